"""Tests of wgflow.exact against independent computations.

* PDE residuals: central differences in t against findiff Laplacians (acc=2) in x.
* Entropies: direct quadrature (scipy.integrate.quad, and midpoint sums on fine grids) against
  the closed forms.
* Bad input raises WgflowError with a message that says what is wrong.

Tolerances are justified next to each check by the order of the discretisation.
"""

from __future__ import annotations

import numpy as np
import pytest
from findiff import Diff
from scipy.integrate import quad

from wgflow import exact
from wgflow.density import Density
from wgflow.errors import WgflowError
from wgflow.grid import Grid


def laplacian(values: np.ndarray, grid: Grid, acc: int = 2) -> np.ndarray:
    """Second-order (acc=2) findiff Laplacian; one-sided stencils at the box walls."""
    op = None
    for axis, h in enumerate(grid.spacing):
        term = Diff(axis, h, acc=acc) ** 2
        op = term if op is None else op + term
    return op(values)


def observed_order(e_coarse: float, e_fine: float, ratio: float = 2.0) -> float:
    return float(np.log(e_coarse / e_fine) / np.log(ratio))


def normal_pdf(points: np.ndarray, mean, cov) -> np.ndarray:
    """Textbook N(mean, cov) density via inv and det (independent of the Cholesky path)."""
    points = np.atleast_2d(np.asarray(points, dtype=float).T).T
    cov = np.atleast_2d(cov)
    diff = points - np.atleast_1d(mean)
    quad_form = np.einsum("ni,ij,nj->n", diff, np.linalg.inv(cov), diff)
    return np.exp(-quad_form / 2) / np.sqrt(np.linalg.det(2 * np.pi * cov))


def shannon_sum(values: np.ndarray, cell_volume: float) -> float:
    positive = values[values > 0]
    return float(-(positive * np.log(positive)).sum() * cell_volume)


COV2 = np.array([[0.5, 0.2], [0.2, 0.3]])  # non-diagonal SPD, eigenvalues 0.62 and 0.18


# ---------------------------------------------------------------------------------------
# heat equation: Gaussians
# ---------------------------------------------------------------------------------------
def heat_residual(grid: Grid, mean, cov, t0: float, dt_over_h: float = 1.0) -> float:
    """max |D_t mu - Lap_h mu| / max |Lap_h mu| with dt proportional to h (both errors O(h^2))."""
    dt = dt_over_h * grid.spacing[0]
    f = lambda t: exact.heat_gaussian(grid, mean, cov, t).values  # noqa: E731
    dmu_dt = (f(t0 + dt) - f(t0 - dt)) / (2 * dt)
    lap = laplacian(f(t0), grid)
    return float(np.abs(dmu_dt - lap).max() / np.abs(lap).max())


def test_heat_gaussian_solves_heat_equation_1d():
    # Residual = (dt^2/6) d_t^3 mu - (h^2/12) d_x^4 mu + O(h^4) with dt = h: second order.
    # Measured: 4.9e-3 (n=400), 1.2e-3 (n=800), order 2.00.
    errors = [heat_residual(Grid([(-6, 6)], n), 0.3, 0.5, 0.1) for n in (400, 800)]
    assert 1.8 < observed_order(*errors) < 2.2
    assert errors[1] < 2e-3


def test_heat_gaussian_solves_heat_equation_2d_nondiagonal():
    # Same O(h^2) residual (dt = h/2, so that t0 - dt stays before the singular time -0.088);
    # non-diagonal covariance; a negative time (backward heat, eq. (11)) also satisfies
    # d_t mu = Lap mu as a function of t.
    for t0 in (0.05, -0.04):
        errors = [
            heat_residual(Grid([(-3, 3), (-3, 3)], n), [0.2, -0.1], COV2, t0, 0.5)
            for n in (256, 512)
        ]
        # measured: 4.8e-3 -> 1.2e-3 (t0 = 0.05), 3.8e-2 -> 9.2e-3 (t0 = -0.04, narrower
        # Gaussian, smallest standard deviation 0.32); orders 2.01 and 2.05
        assert 1.8 < observed_order(*errors) < 2.2, errors
        assert errors[1] < 1.5e-2


def test_heat_gaussian_values_match_textbook_formula():
    # Pointwise, against the textbook normal density with the covariance cov + 2tI.
    grid = Grid([(-3, 4), (-2, 3)], (40, 30))
    mean, t = [0.5, 0.2], 0.15
    mu = exact.heat_gaussian(grid, mean, COV2, t)
    ref = normal_pdf(grid.points, mean, COV2 + 2 * t * np.eye(2))
    np.testing.assert_allclose(mu.values.ravel(), ref, rtol=1e-12, atol=0)
    assert isinstance(mu, Density) and mu.grid == grid


def test_heat_gaussian_backward_time_and_cov_forms():
    grid = Grid([(-5, 5), (-5, 5)], 50)
    # Backward heat: t = -0.1 from diag(2, 1) is N(0, diag(1.8, 0.8)).
    back = exact.heat_gaussian(grid, [0, 0], [2.0, 1.0], -0.1)
    ref = exact.heat_gaussian(grid, [0, 0], np.diag([1.8, 0.8]), 0.0)
    np.testing.assert_allclose(back.values, ref.values, rtol=1e-13)
    # scalar (isotropic), vector (diagonal) and matrix forms agree
    a = exact.heat_gaussian(grid, [0.1, 0.2], 0.7, 0.2).values
    b = exact.heat_gaussian(grid, [0.1, 0.2], [0.7, 0.7], 0.2).values
    c = exact.heat_gaussian(grid, [0.1, 0.2], 0.7 * np.eye(2), 0.2).values
    np.testing.assert_allclose(a, b, rtol=1e-14)
    np.testing.assert_allclose(a, c, rtol=1e-14)
    # not renormalised, but the grid mass is 1 up to the (spectrally small) midpoint error
    # (variance 2, box +-8.5 sigma: tail mass ~ 2e-17)
    assert abs(exact.heat_gaussian(Grid([(-12, 12)], 400), 0.0, 1.0, 0.5).mass - 1) < 1e-12


def test_heat_gaussian_mixture():
    grid = Grid([(-6, 6)], 300)
    weights, means, covs, t = [2.0, 1.0, 0.0], [-1.0, 1.5, 0.0], [0.3, [0.5], [[0.2]]], 0.1
    mix = exact.heat_gaussian_mixture(grid, weights, means, covs, t)
    x = grid.axes[0]
    ref = (2 / 3) * normal_pdf(x, -1.0, 0.3 + 2 * t) + (1 / 3) * normal_pdf(x, 1.5, 0.5 + 2 * t)
    np.testing.assert_allclose(mix.values, ref, rtol=1e-12)
    # the singular time is the earliest over all components (here lambda_min = 0.2)
    with pytest.raises(WgflowError, match=r"component 2 .*singular time .*/2 = -0\.1"):
        exact.heat_gaussian_mixture(grid, weights, means, covs, -0.1)


# ---------------------------------------------------------------------------------------
# porous medium: Barenblatt
# ---------------------------------------------------------------------------------------
def barenblatt_residual(d: int, m: float, n: int, t0: float = 1.0, C: float = 1.0):
    """Relative residual of d_t rho = Lap rho^m on |x| < 0.8 R(t0), and h / R(t0).

    rho^m behaves like (R - r)^(m/(m-1)) at the free boundary, so its second derivatives are
    not continuous there; inside |x| < 0.8 R (the acc=2 stencil, one cell wide, stays inside
    the support at t0 - dt too) rho is smooth and the residual is O(h^2 + dt^2), dt = h.
    """
    radius = exact.barenblatt_support_radius(d, m, t0, C)
    b = 1.2 * radius
    grid = Grid([(-b, b)] * d, n)
    h = grid.spacing[0]
    f = lambda t: exact.barenblatt(grid, m, t, C).values  # noqa: E731
    drho_dt = (f(t0 + h) - f(t0 - h)) / (2 * h)
    lap = laplacian(f(t0) ** m, grid)
    r = np.sqrt(sum(c**2 for c in grid.coordinates))
    inside = r < 0.8 * radius
    error = np.abs(drho_dt - lap)[inside].max() / np.abs(lap[inside]).max()
    return float(error), h / radius


@pytest.mark.parametrize("m", [2, 3])
@pytest.mark.parametrize("d, n", [(1, 200), (2, 64)])
def test_barenblatt_solves_porous_medium(d, n, m):
    # Second order: measured orders 2.0 (1-D and 2-D); relative residuals ~ 10-16 (h/R)^2.
    e1, _ = barenblatt_residual(d, m, n)
    e2, h_over_r = barenblatt_residual(d, m, 2 * n)
    assert 1.8 < observed_order(e1, e2) < 2.2, (e1, e2)
    assert e2 < 25 * h_over_r**2


@pytest.mark.parametrize("m", [2, 3])
def test_barenblatt_solves_porous_medium_3d_coarse(m):
    # 3-D on 32^3: no order test, the O(h^2) bound with the constant measured in 1-D/2-D
    # (relative residual ~ 15 (h/R)^2; measured 0.09 at h/R = 0.075).
    error, h_over_r = barenblatt_residual(3, m, 32)
    assert error < 25 * h_over_r**2


@pytest.mark.parametrize("m", [2, 3])
@pytest.mark.parametrize("d, ns", [(1, (100, 400, 1600)), (2, (50, 200)), (3, (20, 60))])
def test_barenblatt_grid_mass_converges(d, ns, m):
    # The profile behaves like (R - r)^p, p = 1/(m-1), at the free boundary, so the midpoint
    # rule loses its second order in the cells cut by the boundary: error O(h^(1+p)), with an
    # irregular constant (it depends on where the boundary cuts the cells).  We check the
    # bound 0.1 h^(1+p) (measured constants <= 0.05 for C = 1, t = 1, R = 3.46), that the
    # error falls with h, and that the mass is the same at two times.
    C = 1.0
    p = 1 / (m - 1)
    mass = exact.barenblatt_mass(d, m, C)
    b = 1.1 * exact.barenblatt_support_radius(d, m, 2.0, C)
    errors = []
    for n in ns:
        grid = Grid([(-b, b)] * d, n)
        h = grid.spacing[0]
        for t in (1.0, 2.0):
            e = abs(exact.barenblatt(grid, m, t, C).mass - mass) / mass
            assert e < 0.1 * h ** (1 + p), (n, t, e)
        errors.append(e)
    assert errors[-1] < errors[0]


def test_barenblatt_center_and_support():
    grid = Grid([(-4, 4), (-4, 4)], 80)
    center = [0.5, -0.25]
    rho = exact.barenblatt(grid, 2, 1.5, 0.8, center=center)
    radius = exact.barenblatt_support_radius(2, 2, 1.5, 0.8)
    r = np.hypot(grid.coordinates[0] - center[0], grid.coordinates[1] - center[1])
    assert np.all(rho.values[r >= radius] == 0)
    assert np.all(rho.values[r < 0.999 * radius] > 0)
    # maximum t^-alpha C^(1/(m-1)) at the centre (alpha = 1/2 for d = 2, m = 2)
    alpha, k = exact.barenblatt_exponents(2, 2)
    assert alpha == pytest.approx(0.5) and k == pytest.approx(0.5 * 1 / 8)
    assert rho.values.max() <= 1.5**-0.5 * 0.8
    # default centre is the origin
    shifted = exact.barenblatt(grid, 2, 1.5, 0.8, center=[0.0, 0.0])
    np.testing.assert_array_equal(exact.barenblatt(grid, 2, 1.5, 0.8).values, shifted.values)


def test_barenblatt_exponents_values():
    # alpha = d/(d(m-1)+2), k = alpha (m-1)/(2 m d)
    assert exact.barenblatt_exponents(1, 2) == pytest.approx((1 / 3, 1 / 12))
    assert exact.barenblatt_exponents(3, 3) == pytest.approx((3 / 8, (3 / 8) * 2 / 18))


# ---------------------------------------------------------------------------------------
# entropies: Gaussians
# ---------------------------------------------------------------------------------------
ORDERS = [0.5, 2.0, 3.0]


def gaussian_grid_entropies(grid: Grid, mean, cov):
    mu = exact.heat_gaussian(grid, mean, cov, 0.0).values
    dv = grid.cell_volume
    shannon = shannon_sum(mu, dv)
    power = {a: float((mu**a).sum() * dv) for a in ORDERS}
    return shannon, power


@pytest.mark.parametrize(
    "grid, mean, cov",
    [
        (Grid([(-12, 12)], 3000), 0.3, 0.7),
        (Grid([(-9, 9), (-9, 9)], 600), [0.1, -0.2], COV2),
    ],
    ids=["1d", "2d-nondiagonal"],
)
def test_gaussian_entropies_against_grid_quadrature(grid, mean, cov):
    # The midpoint rule is spectrally accurate for a Gaussian well inside the box (error
    # ~ exp(-2 pi^2 sigma^2 / h^2)); mu^0.5 has standard deviations sqrt(2) times larger
    # (at most 1.2 here), and the boxes reach 7.5 of them, so the tails are < 1e-12 and
    # agreement to 1e-10 is a safe margin.
    shannon, power = gaussian_grid_entropies(grid, mean, cov)
    assert exact.gaussian_shannon_entropy(cov, d=grid.ndim) == pytest.approx(shannon, rel=1e-10)
    for a in ORDERS:
        renyi = np.log(power[a]) / (1 - a)
        tsallis = (1 - power[a]) / (a - 1)
        assert exact.gaussian_renyi_entropy(cov, a, d=grid.ndim) == pytest.approx(renyi, rel=1e-10)
        assert exact.gaussian_tsallis_entropy(cov, a, d=grid.ndim) == pytest.approx(
            tsallis, rel=1e-10
        )


def test_gaussian_entropy_forms_and_limits():
    # H = (d/2) log(2 pi e det(S)^(1/d))
    assert exact.gaussian_shannon_entropy(COV2) == pytest.approx(
        np.log(2 * np.pi * np.e * np.linalg.det(COV2) ** 0.5)
    )
    assert exact.gaussian_shannon_entropy(0.7, d=3) == pytest.approx(
        exact.gaussian_shannon_entropy([0.7, 0.7, 0.7])
    )
    h = exact.gaussian_shannon_entropy(COV2)
    for a in (1 - 1e-7, 1.0, 1 + 1e-7):
        assert exact.gaussian_renyi_entropy(COV2, a) == pytest.approx(h, rel=1e-6)
        assert exact.gaussian_tsallis_entropy(COV2, a) == pytest.approx(h, rel=1e-6)
    # the entropies increase along the heat flow: covariance S + 2tI
    values = [exact.gaussian_renyi_entropy(COV2 + 2 * t * np.eye(2), 2.0) for t in (-0.05, 0, 0.1)]
    assert values[0] < values[1] < values[2]


# ---------------------------------------------------------------------------------------
# entropies: Barenblatt
# ---------------------------------------------------------------------------------------
def barenblatt_radial_integral(d, m, t, C, g):
    """∫_{R^d} g(rho(|x|, t)) dx by scipy quad: in 1-D over x in [-R, R], otherwise radially
    with the sphere area 2 pi r (d = 2) or 4 pi r^2 (d = 3).  Independent of the Beta formula."""
    alpha, k = exact.barenblatt_exponents(d, m)
    radius = exact.barenblatt_support_radius(d, m, t, C)

    def rho(r):
        return t**-alpha * max(C - k * r**2 * t ** (-2 * alpha / d), 0.0) ** (1 / (m - 1))

    if d == 1:
        value, _ = quad(lambda x: g(rho(x)), -radius, radius, epsabs=0, epsrel=1e-12, limit=200)
    else:
        area = {2: lambda r: 2 * np.pi * r, 3: lambda r: 4 * np.pi * r**2}[d]
        value, _ = quad(lambda r: g(rho(r)) * area(r), 0, radius, epsabs=0, epsrel=1e-12, limit=200)
    return value


def xlogx(v):
    return v * np.log(v) if v > 0 else 0.0


@pytest.mark.parametrize("d", [1, 2, 3])
@pytest.mark.parametrize("m", [2, 3, 1.5])
def test_barenblatt_entropies_against_quad(d, m):
    # quad resolves the algebraic endpoint singularity (R - r)^(a p) to ~1e-12 (measured
    # agreement <= 3e-14); 1e-9 leaves room for the quadrature error estimate.
    t, C = 1.7, 0.6
    mass = barenblatt_radial_integral(d, m, t, C, lambda v: v)
    assert exact.barenblatt_mass(d, m, C) == pytest.approx(mass, rel=1e-9)
    shannon = -barenblatt_radial_integral(d, m, t, C, xlogx)
    assert exact.barenblatt_shannon_entropy(d, m, t, C) == pytest.approx(shannon, rel=1e-9)
    for a in ORDERS:
        power = barenblatt_radial_integral(d, m, t, C, lambda v, a=a: v**a)
        assert exact.barenblatt_renyi_entropy(d, m, t, C, a) == pytest.approx(
            np.log(power) / (1 - a), rel=1e-9
        )
        assert exact.barenblatt_tsallis_entropy(d, m, t, C, a) == pytest.approx(
            (mass - power) / (a - 1), rel=1e-9
        )


@pytest.mark.parametrize("m", [2, 3])
@pytest.mark.parametrize("d, n", [(1, 4000), (2, 400)])
def test_barenblatt_entropies_against_grid(d, n, m):
    # Midpoint sums of rho^a: the integrand behaves like (R - r)^(a p) at the free boundary,
    # so the error is O(h^(1 + min(a p, 1))) at worst h^1.25 (a = 0.5, m = 3); rho log rho like
    # (R - r)^p log(R - r).  With h/R ~ 5e-4 (1-D) and 5e-3 (2-D) the relative errors are
    # below 1e-4; measured <= 5e-5 (Shannon, m = 3).
    t, C = 1.0, 1.0
    b = 1.05 * exact.barenblatt_support_radius(d, m, t, C)
    grid = Grid([(-b, b)] * d, n)
    rho = exact.barenblatt(grid, m, t, C).values
    dv = grid.cell_volume
    mass = rho.sum() * dv
    assert exact.barenblatt_shannon_entropy(d, m, t, C) == pytest.approx(
        shannon_sum(rho, dv), rel=1e-4
    )
    for a in ORDERS:
        power = (rho**a).sum() * dv
        assert exact.barenblatt_renyi_entropy(d, m, t, C, a) == pytest.approx(
            np.log(power) / (1 - a), rel=1e-4
        )
        # S_a = (M - P)/(a-1) subtracts two midpoint sums: its error is bounded by
        # (|dM| + |dP|)/|a-1| <= 1e-4 (M + P)/|a-1|, not by 1e-4 |S_a|.
        assert exact.barenblatt_tsallis_entropy(d, m, t, C, a) == pytest.approx(
            (mass - power) / (a - 1), rel=0, abs=1e-4 * (mass + power) / abs(a - 1)
        )


@pytest.mark.parametrize("m", [2, 3])
@pytest.mark.parametrize("d, n", [(1, 4000), (2, 300)])
def test_barenblatt_renyi_scaling_law(d, n, m):
    # Self-similarity: ∫ rho^a = t^(alpha (1-a)) ∫ F^a, so R_a(t) - alpha log t is constant.
    # Checked exactly (round-off) on the closed form, and on grid sums at t = 1, 2, 4 on one
    # grid covering the support at t = 4 (same O(h^(1+min(ap,1))) error as above, h/R(1)
    # ~ 1e-3 in 1-D, 1e-2 in 2-D: tolerance 1e-3).
    C = 1.0
    alpha, _ = exact.barenblatt_exponents(d, m)
    b = 1.05 * exact.barenblatt_support_radius(d, m, 4.0, C)
    grid = Grid([(-b, b)] * d, n)
    for a in ORDERS:
        closed = [
            exact.barenblatt_renyi_entropy(d, m, t, C, a) - alpha * np.log(t)
            for t in (1, 2, 4, 10)
        ]
        np.testing.assert_allclose(closed, closed[0], rtol=1e-13, atol=1e-13)
        numeric = []
        for t in (1.0, 2.0, 4.0):
            rho = exact.barenblatt(grid, m, t, C).values
            numeric.append(np.log((rho**a).sum() * grid.cell_volume) / (1 - a) - alpha * np.log(t))
        np.testing.assert_allclose(numeric, closed[0], rtol=1e-3, atol=1e-3)
    # Shannon: H(t) = alpha M log t + const (M = mass), increasing
    mass = exact.barenblatt_mass(d, m, C)
    shannon = [
        exact.barenblatt_shannon_entropy(d, m, t, C) - alpha * mass * np.log(t) for t in (1, 3)
    ]
    assert shannon[0] == pytest.approx(shannon[1], rel=1e-13, abs=1e-13)


@pytest.mark.parametrize("d", [1, 2, 3])
def test_barenblatt_tsallis_limit_is_shannon(d):
    # S_a -> H as a -> 1 (derivative of the Beta formula vs the digamma closed form).
    h = exact.barenblatt_shannon_entropy(d, 2.5, 1.3, 0.7)
    assert exact.barenblatt_tsallis_entropy(d, 2.5, 1.3, 0.7, 1.0) == h
    for a in (1 - 1e-6, 1 + 1e-6):
        assert exact.barenblatt_tsallis_entropy(d, 2.5, 1.3, 0.7, a) == pytest.approx(
            h, rel=1e-5, abs=1e-5
        )


# ---------------------------------------------------------------------------------------
# bad input
# ---------------------------------------------------------------------------------------
GRID2 = Grid([(-3, 3), (-3, 3)], 20)


def test_bad_covariances():
    with pytest.raises(WgflowError, match="cov must be positive definite"):
        exact.heat_gaussian(GRID2, [0, 0], [[1.0, 2.0], [2.0, 1.0]], 0.1)
    with pytest.raises(WgflowError, match="cov must be positive definite"):
        exact.heat_gaussian(GRID2, [0, 0], [1.0, -1.0], 0.1)
    with pytest.raises(WgflowError, match="cov must be symmetric"):
        exact.heat_gaussian(GRID2, [0, 0], [[1.0, 0.2], [0.1, 1.0]], 0.1)
    with pytest.raises(WgflowError, match=r"cov must be a \(2, 2\) matrix .*got shape \(3, 3\)"):
        exact.heat_gaussian(GRID2, [0, 0], np.eye(3), 0.1)
    with pytest.raises(WgflowError, match="vector of variances must have 2 entries .*got 3"):
        exact.heat_gaussian(GRID2, [0, 0], [1.0, 1.0, 1.0], 0.1)
    with pytest.raises(WgflowError, match="cov must be positive definite"):
        exact.gaussian_shannon_entropy(0.0)
    with pytest.raises(WgflowError, match="cov must be finite"):
        exact.gaussian_renyi_entropy([1.0, np.nan], 2.0)


def test_bad_mean_and_time():
    with pytest.raises(WgflowError, match=r"mean must have length 2 \(the grid dimension\)"):
        exact.heat_gaussian(GRID2, [0, 0, 0], COV2, 0.1)
    with pytest.raises(WgflowError, match=r"mean must have length 2"):
        exact.heat_gaussian(GRID2, 0.0, COV2, 0.1)
    lam_min = np.linalg.eigvalsh(COV2)[0]
    # singular time of the backward heat flow: lambda_min(cov)/2 = 0.0881966...
    with pytest.raises(WgflowError, match=r"singular time .*lambda_min\(cov\)/2 = 0\.08819660"):
        exact.heat_gaussian(GRID2, [0, 0], COV2, -lam_min / 2)
    with pytest.raises(WgflowError, match=r"accepted: t > -0\.0881966"):
        exact.heat_gaussian(GRID2, [0, 0], COV2, -0.1)
    exact.heat_gaussian(GRID2, [0, 0], COV2, -0.99 * lam_min / 2)  # just before: fine
    with pytest.raises(WgflowError, match="t must be a finite real number"):
        exact.heat_gaussian(GRID2, [0, 0], COV2, np.inf)


def test_bad_mixture_weights():
    grid = Grid([(-3, 3)], 20)
    with pytest.raises(WgflowError, match="non-negative"):
        exact.heat_gaussian_mixture(grid, [1, -1], [0, 1], [1, 1], 0.0)
    with pytest.raises(WgflowError, match="positive sum"):
        exact.heat_gaussian_mixture(grid, [0, 0], [0, 1], [1, 1], 0.0)
    with pytest.raises(WgflowError, match="same length"):
        exact.heat_gaussian_mixture(grid, [1, 1], [0, 1, 2], [1, 1], 0.0)
    # a bad component is named, whatever its weight
    bad_component = r"component 1 \(means\[1\], covs\[1\]\): cov must be positive definite"
    with pytest.raises(WgflowError, match=bad_component):
        exact.heat_gaussian_mixture(grid, [1, 0], [0, 1], [1, -1], 0.0)
    with pytest.raises(WgflowError, match=r"component 0 .*: mean must have length 1"):
        exact.heat_gaussian_mixture(grid, [1, 1], [[0, 0], 1], [1, 1], 0.0)


def test_bad_barenblatt_parameters():
    with pytest.raises(WgflowError, match=r"exponent m must be a finite real .*> 1 .*got 1\.0"):
        exact.barenblatt(GRID2, 1.0, 1.0, 1.0)
    with pytest.raises(WgflowError, match=r"exponent m must be a finite real number > 1"):
        exact.barenblatt_mass(2, 0.5, 1.0)
    with pytest.raises(WgflowError, match=r"Barenblatt time t must be .* > 0, got 0\.0"):
        exact.barenblatt(GRID2, 2, 0.0, 1.0)
    with pytest.raises(WgflowError, match=r"Barenblatt time t must be .* > 0, got -1\.0"):
        exact.barenblatt_support_radius(2, 2, -1.0, 1.0)
    with pytest.raises(WgflowError, match=r"Barenblatt constant C must be a finite number > 0"):
        exact.barenblatt(GRID2, 2, 1.0, 0.0)
    with pytest.raises(WgflowError, match=r"Barenblatt constant C must be a finite number > 0"):
        exact.barenblatt_renyi_entropy(1, 2, 1.0, -1.0, 2.0)
    with pytest.raises(WgflowError, match=r"center must have length 2"):
        exact.barenblatt(GRID2, 2, 1.0, 1.0, center=[0.0])
    with pytest.raises(WgflowError, match=r"dimension d must be an integer >= 1"):
        exact.barenblatt_exponents(0, 2)


def test_bad_entropy_orders():
    with pytest.raises(WgflowError, match=r"entropy order a must be .* > 0, got 0\.0"):
        exact.gaussian_renyi_entropy(1.0, 0.0)
    with pytest.raises(WgflowError, match=r"entropy order a must be .* > 0, got -0\.5"):
        exact.barenblatt_tsallis_entropy(1, 2, 1.0, 1.0, -0.5)
    with pytest.raises(
        WgflowError, match=r"order a = 1 is not defined .*barenblatt_shannon_entropy"
    ):
        exact.barenblatt_renyi_entropy(1, 2, 1.0, 1.0, 1.0)
