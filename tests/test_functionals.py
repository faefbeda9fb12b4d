"""Tests of wgflow.functionals: values, first variations, moments and KL-proximal maps.

Conventions (DESIGN.md section 1): H = -∫ rho log rho, S_a = ∫ (rho - rho^a)/(a - 1),
R_a = log(∫ rho^a)/(1 - a), ∫ V rho, U_m = ∫ rho^m/(m - 1).

Why the tolerances are what they are:

* Gaussian entropies on a grid.  The functionals are cell-centre (midpoint) sums.  For an
  analytic integrand that decays to 0 well inside the box, the midpoint rule is
  exponentially accurate (Poisson summation: the error is about
  2 exp(-2 pi^2 sigma^2 / h^2) for a Gaussian of standard deviation sigma), and the mass
  outside the box is below exp(-(L/sigma)^2 / 2).  The grids below make both < 1e-14, so
  the closed forms must be matched to round-off of a few thousand-term sum (1e-11).
* Integrands that do not vanish at the walls: the midpoint rule is second order, the error
  is (h^2/24) [f']_a^b + O(h^4); we measure the order.
* First variations: a central difference (F(rho + e phi) - F(rho - e phi)) / (2e) has
  truncation error (e^2/6) d^3F[phi, phi, phi] and round-off ~ 1e-16 |F| / e; with
  rho in [0.5, 1.5], |phi| <= 1 and e = 1e-5 both are < 1e-9 relative.
* KL proxes: the optimality condition is checked to round-off (1e-12); a derivative-free
  scalar minimisation can only locate a minimiser to about sqrt(machine eps) relative
  (the objective is flat to second order there), so it is compared at 1e-6 in log q.
"""

from __future__ import annotations

import numpy as np
import pytest
import scipy.optimize
import scipy.special

from wgflow import Density, Grid, WgflowError, exact
from wgflow.functionals import (
    InternalEnergy,
    PotentialEnergy,
    RenyiEntropy,
    ScaledFunctional,
    SecondMoment,
    ShannonEntropy,
    SumFunctional,
    TsallisEntropy,
    covariance,
    mean,
)
from wgflow.functionals._prox import WrightOmegaSolver, solve_z_plus_log_z

COV2 = np.array([[0.5, 0.2], [0.2, 0.3]])  # eigenvalues 0.62, 0.18
MEAN2 = np.array([0.2, -0.1])


@pytest.fixture(scope="module")
def gauss2():
    # rho^a is a Gaussian of covariance S / a.  Midpoint error ~ exp(-2 pi^2 s / h^2) with s
    # the smallest per-axis variance of S / a (0.1 for a = 3): h = 0.2 gives e^-49.  Box
    # half-width 7.9 standard deviations of rho^0.5 (largest variance 2 * 0.62).
    grid = Grid([(-9.0, 9.0), (-9.0, 9.0)], (90, 90))
    return exact.heat_gaussian(grid, MEAN2, COV2, 0.0)


@pytest.fixture(scope="module")
def gauss1():
    grid = Grid([(-8.0, 8.0)], 256)  # sigma = 0.632, h = 0.0625; 8.6 sigma of rho^0.5
    return exact.heat_gaussian(grid, 0.3, 0.4, 0.0)


@pytest.fixture(scope="module")
def gauss3():
    cov = np.array([0.3, 0.5, 0.4])
    # h = 0.2105: exp(-2 pi^2 0.1 / h^2) = e^-44 for rho^3; box half-width 7.8 standard
    # deviations of rho^0.5 (variance 1)
    grid = Grid([(-8.0, 8.0)] * 3, (76, 76, 76))
    return exact.heat_gaussian(grid, [0.1, 0.2, -0.2], cov, 0.0), np.diag(cov)


def own_gaussian_entropies(cov: np.ndarray, a: float):
    """Closed forms computed here: H, R_a, S_a of N(m, cov) (independent of wgflow.exact)."""
    cov = np.atleast_2d(cov)
    d = cov.shape[0]
    logdet = np.log(np.linalg.det(cov))
    shannon = 0.5 * d * (1.0 + np.log(2.0 * np.pi)) + 0.5 * logdet
    # ∫ N^a = (2 pi)^{d(1-a)/2} det^{(1-a)/2} a^{-d/2}
    log_int = 0.5 * (1 - a) * (d * np.log(2 * np.pi) + logdet) - 0.5 * d * np.log(a)
    renyi = log_int / (1.0 - a)
    tsallis = (1.0 - np.exp(log_int)) / (a - 1.0)
    return shannon, renyi, tsallis


# -- values against closed forms --------------------------------------------------------------


@pytest.mark.parametrize("a", [0.5, 2.0, 3.0])
def test_gaussian_entropies_1d_2d_3d(gauss1, gauss2, gauss3, a):
    rho3, cov3 = gauss3
    for rho, cov in [(gauss1, np.array([[0.4]])), (gauss2, COV2), (rho3, cov3)]:
        h_own, r_own, s_own = own_gaussian_entropies(cov, a)
        assert exact.gaussian_shannon_entropy(cov) == pytest.approx(h_own, rel=1e-14)
        assert exact.gaussian_renyi_entropy(cov, a) == pytest.approx(r_own, rel=1e-13)
        assert exact.gaussian_tsallis_entropy(cov, a) == pytest.approx(s_own, rel=1e-13)
        assert ShannonEntropy()(rho) == pytest.approx(h_own, abs=1e-11)
        assert RenyiEntropy(a)(rho) == pytest.approx(r_own, abs=1e-10)
        assert TsallisEntropy(a)(rho) == pytest.approx(s_own, abs=1e-11)


def test_uniform_density_entropies_are_exact():
    # uniform on a box of volume |B|: H = R_a = log|B|, S_a = (1 - |B|^(1-a)) / (a - 1)
    grid = Grid([(0.0, 2.0), (-1.0, 2.0)], (5, 7))
    volume = 6.0
    rho = Density(grid, np.full(grid.shape, 1.0 / volume))
    assert ShannonEntropy()(rho) == pytest.approx(np.log(volume), rel=1e-14)
    for a in (0.5, 2.0, 3.5):
        assert RenyiEntropy(a)(rho) == pytest.approx(np.log(volume), rel=1e-13)
        expected = (1.0 - volume ** (1.0 - a)) / (a - 1.0)
        assert TsallisEntropy(a)(rho) == pytest.approx(expected, rel=1e-13)
    # uniform on half the box (zeros elsewhere: 0 log 0 = 0)
    values = np.zeros(grid.shape)
    values[:, :3] = 1.0
    half = Density(grid, values).normalized()
    support = 2.0 * 3.0 * 3.0 / 7.0
    assert ShannonEntropy()(half) == pytest.approx(np.log(support), rel=1e-13)
    assert RenyiEntropy(2.0)(half) == pytest.approx(np.log(support), rel=1e-13)
    assert TsallisEntropy(0.5)(half) == pytest.approx(
        (1.0 - support**0.5) / -0.5, rel=1e-13
    )


def test_energies_against_closed_forms(gauss2):
    # ∫ |x - c|^2 N(m, S) = tr S + |m - c|^2 ;  ∫ (x1 + 2 x2) N(m, S) = m1 + 2 m2
    c = np.array([0.5, 1.0])
    expected = np.trace(COV2) + np.sum((MEAN2 - c) ** 2)
    assert SecondMoment(c)(gauss2) == pytest.approx(expected, rel=1e-12)
    assert SecondMoment()(gauss2) == pytest.approx(np.trace(COV2) + MEAN2 @ MEAN2, rel=1e-12)
    linear = PotentialEnergy(lambda x, y: x + 2.0 * y)
    assert linear(gauss2) == pytest.approx(MEAN2[0] + 2 * MEAN2[1], abs=1e-12)
    array_pot = PotentialEnergy(gauss2.grid.coordinates[0] ** 2)
    assert array_pot(gauss2) == pytest.approx(COV2[0, 0] + MEAN2[0] ** 2, rel=1e-12)
    # U_m[N(0, S)] = ∫ rho^m / (m - 1) = exp(log ∫ rho^m) / (m - 1)
    for m in (1.5, 2.0, 3.0):
        h_own, r_own, _ = own_gaussian_entropies(COV2, m)
        expected = np.exp((1 - m) * r_own) / (m - 1.0)
        assert InternalEnergy(m)(gauss2) == pytest.approx(expected, rel=1e-11)


# -- limits a -> 1 -------------------------------------------------------------------------------


def test_tsallis_and_renyi_tend_to_shannon_at_first_order(gauss2):
    # Expanding rho^a = rho exp((a-1) L), L = log rho:
    #   S_a - H = -(a - 1)/2 ∫ rho L^2 + O((a-1)^2),
    #   R_a - H = -(a - 1)/2 Var_rho(L) + O((a-1)^2);
    # for a d-dim Gaussian Var(L) = d/2 and ∫ rho L^2 = H^2 + d/2.
    d = 2
    H = ShannonEntropy()(gauss2)
    deltas = np.array([1e-2, 1e-3, 1e-4])
    for sign in (+1.0, -1.0):
        s_err = np.array([TsallisEntropy(1 + sign * e)(gauss2) - H for e in deltas])
        r_err = np.array([RenyiEntropy(1 + sign * e)(gauss2) - H for e in deltas])
        for err in (s_err, r_err):
            slopes = np.diff(np.log(np.abs(err))) / np.diff(np.log(deltas))
            np.testing.assert_allclose(slopes, 1.0, rtol=0, atol=0.01)  # O(|a - 1|)
        # the coefficients themselves: the next term is O((a-1)^2), i.e. a relative
        # deviation ~ |a-1| (measured 1e-4 at |a-1| = 1e-4, 1e-2 at 1e-2)
        np.testing.assert_allclose(
            s_err[-1] / (sign * deltas[-1]), -(H**2 + d / 2) / 2, rtol=5e-4
        )
        np.testing.assert_allclose(r_err[-1] / (sign * deltas[-1]), -d / 4, rtol=5e-4)


# -- first variations ---------------------------------------------------------------------------


def _fd_setup():
    grid = Grid([(-1.0, 1.0), (0.0, 1.5)], (7, 5))
    x, y = grid.coordinates
    rho = Density(grid, 1.0 + 0.5 * np.sin(2 * x + 3 * y))  # in [0.5, 1.5]
    phi = np.cos(3 * x - y) * np.exp(-(x**2))  # |phi| <= 1, signed
    return grid, rho, phi


V_FD = lambda x, y: x**2 - 0.5 * y + np.sin(x * y)  # noqa: E731

FD_CASES = {
    "shannon": (ShannonEntropy(), lambda r, g: -(np.log(r) + 1.0)),
    "tsallis:0.5": (TsallisEntropy(0.5), lambda r, g: (1 - 0.5 * r**-0.5) / -0.5),
    "tsallis:2": (TsallisEntropy(2.0), lambda r, g: 1 - 2 * r),
    "tsallis:3": (TsallisEntropy(3.0), lambda r, g: (1 - 3 * r**2) / 2),
    "renyi:0.5": (
        RenyiEntropy(0.5),
        lambda r, g: 0.5 * r**-0.5 / (0.5 * (r**0.5).sum() * g.cell_volume),
    ),
    "renyi:2": (RenyiEntropy(2.0), lambda r, g: 2 * r / (-(r**2).sum() * g.cell_volume)),
    "potential": (PotentialEnergy(V_FD), lambda r, g: V_FD(*g.coordinates)),
    "second_moment": (
        SecondMoment([0.3, 0.2]),
        lambda r, g: (g.coordinates[0] - 0.3) ** 2 + (g.coordinates[1] - 0.2) ** 2,
    ),
    "internal:1.5": (InternalEnergy(1.5), lambda r, g: 3 * r**0.5),
    "internal:2": (InternalEnergy(2.0), lambda r, g: 2 * r),
    "internal:3": (InternalEnergy(3.0), lambda r, g: 1.5 * r**2),
    "fokker_planck": (
        -ShannonEntropy() + PotentialEnergy(V_FD),
        lambda r, g: np.log(r) + 1.0 + V_FD(*g.coordinates),
    ),
    "scaled_sum": (
        2.5 * (InternalEnergy(2.0) + SecondMoment()),
        lambda r, g: 2.5 * (2 * r + g.coordinates[0] ** 2 + g.coordinates[1] ** 2),
    ),
    "renyi_minus_tsallis": (
        RenyiEntropy(3.0) + (-0.7) * TsallisEntropy(2.0),
        lambda r, g: 3 * r**2 / (-2 * (r**3).sum() * g.cell_volume) - 0.7 * (1 - 2 * r),
    ),
}


@pytest.mark.parametrize("name", list(FD_CASES))
def test_first_variation_matches_directional_derivative(name):
    functional, formula = FD_CASES[name]
    grid, rho, phi = _fd_setup()
    variation = functional.first_variation(rho)
    # the formula written out here (independent of the library)
    np.testing.assert_allclose(variation, formula(rho.values, grid), rtol=1e-13, atol=1e-13)
    e = 1e-5
    fd = (
        functional(Density(grid, rho.values + e * phi))
        - functional(Density(grid, rho.values - e * phi))
    ) / (2 * e)
    predicted = float((variation * phi).sum() * grid.cell_volume)
    scale = float(np.abs(variation * phi).sum() * grid.cell_volume)
    assert abs(fd - predicted) <= 1e-8 * scale, (fd, predicted)


def test_functional_algebra_and_names():
    f = -ShannonEntropy() + PotentialEnergy(V_FD)
    assert isinstance(f, SumFunctional) and len(f.terms) == 2
    assert f.name == "-shannon + potential"
    nested = f + InternalEnergy(2) + SecondMoment()
    assert len(nested.terms) == 4  # sums are flattened
    scaled = 2 * PotentialEnergy(V_FD)
    assert isinstance(scaled, ScaledFunctional) and scaled.is_linear
    assert (PotentialEnergy(V_FD) + SecondMoment()).is_linear
    assert not f.is_linear
    assert ShannonEntropy().name == "shannon"
    assert RenyiEntropy(2).name == "renyi:2"
    assert TsallisEntropy(2).name == "tsallis:2"
    assert InternalEnergy(1.5).name == "internal:1.5"


def test_bad_parameters_and_arguments():
    with pytest.raises(WgflowError, match="ShannonEntropy"):
        TsallisEntropy(1.0)
    with pytest.raises(WgflowError, match="ShannonEntropy"):
        RenyiEntropy(1)
    with pytest.raises(WgflowError, match="entropy order a.*-2"):
        RenyiEntropy(-2.0)
    with pytest.raises(WgflowError, match="entropy order a.*0"):
        TsallisEntropy(0.0)
    with pytest.raises(WgflowError, match=r"m > 1.*0\.5"):
        InternalEnergy(0.5)
    with pytest.raises(WgflowError, match=r"m > 1.*1\.0"):
        InternalEnergy(1.0)
    with pytest.raises(WgflowError, match="Density.*ndarray"):
        ShannonEntropy()(np.ones(4))
    grid = Grid([(0, 1), (0, 1)], (3, 3))
    rho = Density(grid, np.ones((3, 3)))
    with pytest.raises(WgflowError, match="finite"):
        PotentialEnergy(np.array([[np.nan, 1.0]]))
    with pytest.raises(WgflowError, match=r"\(2, 2\).*\(3, 3\)"):
        PotentialEnergy(np.ones((2, 2)))(rho)
    with pytest.raises(WgflowError, match="finite on the grid"), np.errstate(divide="ignore"):
        PotentialEnergy(lambda x, y: np.log(x - x))(rho)
    with pytest.raises(WgflowError, match="center must have 2 entries"):
        SecondMoment([0.0, 0.0, 0.0])(rho)
    with pytest.raises(WgflowError, match="zero mass"):
        RenyiEntropy(2)(Density(grid, np.zeros((3, 3))))
    with pytest.raises(WgflowError, match="not linear"):
        ShannonEntropy().potential(grid)


# -- moments -----------------------------------------------------------------------------------


def test_mean_and_covariance_of_grid_gaussians(gauss1, gauss2, gauss3):
    # exponentially accurate (see the module docstring): round-off only
    np.testing.assert_allclose(mean(gauss1), [0.3], rtol=0, atol=1e-13)
    np.testing.assert_allclose(covariance(gauss1), [[0.4]], rtol=0, atol=1e-13)
    np.testing.assert_allclose(mean(gauss2), MEAN2, rtol=0, atol=1e-13)
    np.testing.assert_allclose(covariance(gauss2), COV2, rtol=0, atol=1e-13)
    rho3, cov3 = gauss3
    np.testing.assert_allclose(mean(rho3), [0.1, 0.2, -0.2], rtol=0, atol=1e-12)
    np.testing.assert_allclose(covariance(rho3), cov3, rtol=0, atol=1e-12)
    # moments are normalised by the mass
    np.testing.assert_allclose(covariance(3.0 * gauss2), COV2, rtol=0, atol=1e-13)
    with pytest.raises(WgflowError, match="zero mass"):
        mean(Density(gauss2.grid, np.zeros(gauss2.grid.shape)))


def test_moments_are_second_order_for_densities_not_vanishing_at_the_walls():
    # rho(x, y) = exp(x + 2 y) (1 + x y / 2) on [0, 1]^2: independent moments from
    # scipy.integrate.dblquad; the midpoint rule errs by O(h^2) since rho != 0 at the walls.
    from scipy.integrate import dblquad

    f = lambda x, y: np.exp(x + 2 * y) * (1 + 0.5 * x * y)  # noqa: E731
    opts = dict(epsabs=1e-13, epsrel=1e-12)  # 1e-12 << the 1e-4 ... 1e-5 errors measured
    m0 = dblquad(lambda y, x: f(x, y), 0, 1, 0, 1, **opts)[0]
    mx = dblquad(lambda y, x: x * f(x, y), 0, 1, 0, 1, **opts)[0] / m0
    my = dblquad(lambda y, x: y * f(x, y), 0, 1, 0, 1, **opts)[0] / m0
    cxx = dblquad(lambda y, x: (x - mx) ** 2 * f(x, y), 0, 1, 0, 1, **opts)[0] / m0
    cxy = dblquad(lambda y, x: (x - mx) * (y - my) * f(x, y), 0, 1, 0, 1, **opts)[0] / m0
    cyy = dblquad(lambda y, x: (y - my) ** 2 * f(x, y), 0, 1, 0, 1, **opts)[0] / m0
    true_mean = np.array([mx, my])
    true_cov = np.array([[cxx, cxy], [cxy, cyy]])
    errors_m, errors_c = [], []
    for n in (16, 32, 64):
        rho = Density.from_function(Grid([(0, 1), (0, 1)], n), f)
        errors_m.append(np.abs(mean(rho) - true_mean).max())
        errors_c.append(np.abs(covariance(rho) - true_cov).max())
    for errors in (errors_m, errors_c):
        orders = np.log2(np.array(errors[:-1]) / np.array(errors[1:]))
        np.testing.assert_allclose(orders, 2.0, rtol=0, atol=0.05)
        assert errors[-1] < 1e-4  # h = 1/64: C h^2 with C ~ 0.1


# -- KL-proximal maps ---------------------------------------------------------------------------

PROX_GRID = Grid([(0.0, 1.0), (0.0, 2.0)], (5, 4))  # cell volume 0.1
V_PROX = lambda x, y: 1.5 * x - y**2 + 0.3  # noqa: E731


def _prox_masses(seed=11):
    rng = np.random.default_rng(seed)
    # masses spanning four decades (densities 1e-3 ... 10)
    return 10.0 ** rng.uniform(-4, 0, PROX_GRID.shape)


def _check_prox(functional, weight, integrand, variation, log_p=None):
    """Optimality to round-off and agreement with per-cell bounded scalar minimisation.

    ``integrand(rho)``: f with F = ∫ f(rho) (cells are independent); ``variation(rho)``:
    f'(rho), written out here.
    """
    grid = PROX_GRID
    vol = grid.cell_volume
    log_p = np.log(_prox_masses()) if log_p is None else log_p
    ratio = functional.log_prox_ratio(log_p, weight, grid)
    assert ratio.shape == log_p.shape and np.isfinite(ratio).all()
    q = np.exp(log_p + ratio)
    residual = weight * variation(q / vol) + ratio
    scale = np.abs(ratio) + np.abs(weight * variation(q / vol)) + 1.0
    np.testing.assert_array_less(np.abs(residual) / scale, 1e-12)
    # direct minimisation over s = log q of  weight V f(q/V) + q log(q/p) - q + p, per cell
    for index in np.ndindex(grid.shape):
        lp = log_p[index]

        def objective(s):
            qq = np.exp(s)
            return weight * vol * integrand(qq / vol, index) + qq * (s - lp) - qq

        res = scipy.optimize.minimize_scalar(
            objective, bounds=(lp - 40.0, lp + 40.0), method="bounded",
            options={"xatol": 1e-12, "maxiter": 2000},
        )
        assert res.x - lp == pytest.approx(ratio[index], abs=1e-6 * max(1.0, abs(ratio[index])))
    return ratio


@pytest.mark.parametrize("m", [1.5, 2.0, 3.0])
@pytest.mark.parametrize("weight", [1e-3, 0.7, 50.0])
def test_internal_energy_prox(m, weight):
    _check_prox(
        InternalEnergy(m), weight,
        lambda r, i: r**m / (m - 1), lambda r: m * r ** (m - 1) / (m - 1),
    )


@pytest.mark.parametrize("weight", [1e-2, 0.3, 4.0])
def test_negative_shannon_prox(weight):
    # weight * (-H) = weight ∫ rho log rho, via ScaledFunctional and via a negative weight on H
    ratio = _check_prox(
        -ShannonEntropy(), weight, lambda r, i: r * np.log(r), lambda r: np.log(r) + 1.0
    )
    direct = ShannonEntropy().log_prox_ratio(np.log(_prox_masses()), -weight, PROX_GRID)
    np.testing.assert_allclose(ratio, direct, rtol=1e-15)


@pytest.mark.parametrize("a", [1.5, 2.0, 3.0])
def test_tsallis_prox_with_negative_weight(a):
    weight = -0.4
    _check_prox(
        TsallisEntropy(a), weight,
        lambda r, i: (r - r**a) / (a - 1), lambda r: (1 - a * r ** (a - 1)) / (a - 1),
    )


@pytest.mark.parametrize("weight", [-0.8, 0.5])
def test_potential_energy_prox(weight):
    V = V_PROX(*PROX_GRID.coordinates)
    ratio = _check_prox(
        PotentialEnergy(V_PROX), weight, lambda r, i: V[i] * r, lambda r: V
    )
    np.testing.assert_allclose(ratio, -weight * V, rtol=1e-15)
    # a sum of linear terms only
    both = PotentialEnergy(V_PROX) + SecondMoment()
    x, y = PROX_GRID.coordinates
    np.testing.assert_allclose(
        both.log_prox_ratio(np.zeros(PROX_GRID.shape), weight, PROX_GRID),
        -weight * (V + x**2 + y**2), rtol=1e-14,
    )


@pytest.mark.parametrize(
    "functional, weight, integrand, variation",
    [
        (
            InternalEnergy(2.0) + PotentialEnergy(V_PROX),
            0.6,
            lambda r, V: r**2 + V * r,
            lambda r, V: 2 * r + V,
        ),
        (  # Fokker-Planck: ∫ rho log rho + ∫ V rho
            -ShannonEntropy() + PotentialEnergy(V_PROX),
            0.25,
            lambda r, V: r * np.log(r) + V * r,
            lambda r, V: np.log(r) + 1 + V,
        ),
        (  # weight * (-S_3 + 2 ∫ V rho) with a positive weight, via a scaled sum
            -1.0 * (TsallisEntropy(3.0) + 2.0 * PotentialEnergy(V_PROX)) * -1.0 * -1.0,
            0.3,
            lambda r, V: -(r - r**3) / 2 - 2 * V * r,
            lambda r, V: -(1 - 3 * r**2) / 2 - 2 * V,
        ),
    ],
    ids=["internal+potential", "fokker-planck", "scaled-tsallis-sum"],
)
def test_sum_functional_prox_against_bfgs(functional, weight, integrand, variation):
    grid = PROX_GRID
    vol = grid.cell_volume
    V = V_PROX(*grid.coordinates)
    log_p = np.log(_prox_masses(3))
    ratio = functional.log_prox_ratio(log_p, weight, grid)
    q = np.exp(log_p + ratio)
    residual = weight * variation(q / vol, V) + ratio
    np.testing.assert_allclose(residual, 0.0, rtol=0, atol=1e-12 * (1 + np.abs(ratio).max()))

    # whole-array minimisation with BFGS on s = log q, objective from the library's
    # evaluate (the F that is being proximated), gradient written out here
    def objective(s):
        s = s.reshape(grid.shape)
        qq = np.exp(s)
        value = weight * functional.evaluate(qq / vol, grid) + np.sum(qq * (s - log_p) - qq)
        grad = qq * (weight * variation(qq / vol, V) + s - log_p)
        return value, grad.ravel()

    res = scipy.optimize.minimize(
        objective, log_p.ravel(), jac=True, method="BFGS",
        options={"gtol": 1e-13, "maxiter": 5000},
    )
    # The line search works on values, which are resolved to eps |f|: near the minimum a
    # cell with mass q moves the objective by q ds^2 / 2, so BFGS stops within
    # ds ~ sqrt(2 eps |f| / q_min) (~1e-6 for q_min = 1e-4).  The library's point must be
    # at least as good as BFGS's to round-off, and within that distance of it.
    f_library = objective((log_p + ratio).ravel())[0]
    assert f_library <= res.fun + 8 * np.finfo(float).eps * max(1.0, abs(res.fun))
    resolution = np.sqrt(2 * np.finfo(float).eps * max(1.0, abs(res.fun)) / q.min())
    np.testing.assert_allclose(res.x.reshape(grid.shape) - log_p, ratio, rtol=0, atol=10 * resolution)


def test_vacuum_internal_energy_and_tsallis_prox_is_finite():
    log_p = np.log(_prox_masses())
    log_p[1, 2] = -np.inf
    log_p[4, 0] = -np.inf
    with np.errstate(all="raise"):
        for m in (1.5, 2.0, 3.0):
            ratio = InternalEnergy(m).log_prox_ratio(log_p, 0.7, PROX_GRID)
            assert ratio[1, 2] == 0.0 and ratio[4, 0] == 0.0  # q/p -> 1 as p -> 0
            assert np.isfinite(ratio).all()
            # the other cells are unchanged by the vacuum cells
            full = InternalEnergy(m).log_prox_ratio(np.log(_prox_masses()), 0.7, PROX_GRID)
            mask = np.isfinite(log_p)
            np.testing.assert_allclose(ratio[mask], full[mask], rtol=1e-14)
    # weight * S_a (weight < 0) = |w| U_a - |w| mass / (a - 1): vacuum ratio exp(|w|/(a-1))
    ratio = TsallisEntropy(2.0).log_prox_ratio(log_p, -0.4, PROX_GRID)
    assert ratio[1, 2] == pytest.approx(0.4, rel=1e-15)
    assert np.isfinite(ratio).all()


def test_prox_wrong_sign_and_missing_prox_raise():
    grid = PROX_GRID
    log_p = np.log(_prox_masses())
    for weight in (0.0, -0.5):
        with pytest.raises(WgflowError, match="weight > 0"):
            InternalEnergy(2).log_prox_ratio(log_p, weight, grid)
    for weight in (0.0, 0.5):
        with pytest.raises(WgflowError, match="negative"):
            ShannonEntropy().log_prox_ratio(log_p, weight, grid)
        with pytest.raises(WgflowError, match="weight < 0 and a > 1"):
            TsallisEntropy(2.0).log_prox_ratio(log_p, weight, grid)
    with pytest.raises(WgflowError, match="negative"):
        (-ShannonEntropy()).log_prox_ratio(log_p, -0.5, grid)  # weight * (-H), weight < 0
    with pytest.raises(WgflowError, match="weight < 0 and a > 1"):
        TsallisEntropy(0.5).log_prox_ratio(log_p, -0.5, grid)  # S_a concave part for a<1
    with pytest.raises(WgflowError, match="renyi:2.*no KL-proximal map"):
        RenyiEntropy(2).log_prox_ratio(log_p, -0.5, grid)
    with pytest.raises(WgflowError, match="at most one nonlinear term, found 2"):
        (InternalEnergy(2) + -ShannonEntropy()).log_prox_ratio(log_p, 0.5, grid)


# -- Wright omega --------------------------------------------------------------------------------

Y_RANGE = np.concatenate([np.linspace(-700.0, 700.0, 20001), [-1e-300, 0.0, 1.0, -np.inf]])


def _reference_omega(y):
    with np.errstate(divide="ignore"):
        w = scipy.special.wrightomega(y)
        return w, np.log(w)


def test_solve_z_plus_log_z_equals_wrightomega():
    z, log_z = solve_z_plus_log_z(Y_RANGE)
    w, log_w = _reference_omega(Y_RANGE)
    finite = np.isfinite(Y_RANGE)
    # Newton stops once steps < 1e-8; the error after the last step is < step^2 / 2,
    # so both z (relative) and log z (absolute) agree to a few ulps
    np.testing.assert_allclose(z[finite], w[finite], rtol=1e-14, atol=0)
    np.testing.assert_allclose(log_z[finite], log_w[finite], rtol=0, atol=1e-14 * 700)
    np.testing.assert_allclose(log_z[finite], log_w[finite], rtol=1e-14, atol=1e-15)
    assert z[-1] == 0.0 and log_z[-1] == -np.inf  # y = -inf
    # and the defining equation holds
    np.testing.assert_allclose(z[finite] + log_z[finite], Y_RANGE[finite], rtol=1e-15, atol=1e-15)


def test_wright_omega_solver_warm_start_on_nearby_equations():
    # the intended use: successive Sinkhorn sweeps solve nearly the same equation
    solver = WrightOmegaSolver()
    rng = np.random.default_rng(2)
    y = np.concatenate([np.linspace(-700.0, 700.0, 4001), [-np.inf]])
    for sweep in range(5):
        y_sweep = y + np.where(np.isfinite(y), 0.5 * rng.standard_normal(y.shape), 0.0)
        y_sweep = np.clip(y_sweep, -700.0, 700.0)
        np.testing.assert_allclose(
            solver(y_sweep)[:-1], scipy.special.wrightomega(y_sweep[:-1]), rtol=1e-14, atol=0
        )


def test_wright_omega_solver_warm_start_from_distant_equation():
    solver = WrightOmegaSolver()
    y = np.linspace(-700.0, 700.0, 2001)
    solver(y)
    y_reversed = y[::-1].copy()  # every cell jumps across the range
    np.testing.assert_allclose(
        solver(y_reversed), scipy.special.wrightomega(y_reversed), rtol=1e-14, atol=0
    )


def test_internal_energy_prox_does_not_depend_on_previous_call():
    grid = PROX_GRID
    m, weight = 3.0, 1.0
    energy = InternalEnergy(m)
    energy.log_prox_ratio(np.full(grid.shape, -700.0), weight, grid)
    # y = log(3) + 2 (log_p - log V) ~ 101: z ~ 97 (a very dense cell, rho ~ 5e21)
    log_p = np.full(grid.shape, 48.0)
    fresh = InternalEnergy(m).log_prox_ratio(log_p, weight, grid)
    np.testing.assert_allclose(energy.log_prox_ratio(log_p, weight, grid), fresh, rtol=1e-12)
