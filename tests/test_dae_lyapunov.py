"""Tests of wgflow.dae.lyapunov: which entropy a DAE descends.

Checks of the method against closed forms (Gaussian data: every velocity is explicit), of the
small-t theory against the measured velocities (the departure from the Gaussian DAE is t times
the fourth-cumulant term, slope 1), of Theorem 2.3 for every law (the score limit), of the
monotonicity table against eq. (13), and of the bad-input messages.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from _helpers import gaussian_entropies, loglog_slope, raises_naming

import wgflow as wg
from wgflow import stencils
from wgflow.dae import (
    CustomNoise,
    StudentTNoise,
    dae_velocity,
    descent_analyses,
    descent_analysis,
    first_order_theory,
    fit_order,
    monotonicity_table,
    order_residual,
    resolved_region,
    standard_density,
)
from wgflow.dae.lyapunov import STANDARD_DENSITIES


def _grid(name: str, d: int, n: int) -> wg.Grid:
    """[-6, 6]^d, [-10, 10]^d for the heavy tails (n cells per 12 units of length)."""
    half = 10 if name == "heavy" else 6
    return wg.Grid([(-half, half)] * d, 2 * round(n * half / 12))


@pytest.fixture(scope="module")
def gaussian_1d():
    return standard_density("gaussian", _grid("gaussian", 1, 1024))


@pytest.fixture(scope="module")
def mixture_1d():
    return standard_density("mixture", _grid("mixture", 1, 1024))


# ----------------------------------------------------------------------------------------------
# the test densities
# ----------------------------------------------------------------------------------------------
@pytest.mark.parametrize("d", [1, 2])
@pytest.mark.parametrize("name", STANDARD_DENSITIES)
def test_standard_densities_are_standardised(name, d):
    """Mass 1 and mean 0 on the grid; covariance I to the midpoint rule (the bump's edge and
    the heavy density's cut-off at the walls are the largest terms: 2e-3 on these grids)."""
    rho = standard_density(name, _grid(name, d, 128 if d == 2 else 512))
    grid = rho.grid
    w = rho.masses
    assert w.sum() == pytest.approx(1.0, abs=1e-13)
    mean = np.array([(x * w).sum() for x in grid.coordinates])
    cov = np.array([[(x * y * w).sum() for y in grid.coordinates] for x in grid.coordinates])
    np.testing.assert_allclose(mean, 0.0, atol=1e-12)
    np.testing.assert_allclose(cov, np.eye(d), atol=2e-3)


def test_score_is_resolved_on_the_region(mixture_1d):
    """The differences of order 8 of log mu (wgflow.dae.score) on the resolved region of the
    1-D mixture against its closed-form score: 1e-8 relative to its largest value (h = 0.012:
    h^8 times the ninth derivative)."""
    x = mixture_1d.grid.axes[0]
    region = resolved_region(mixture_1d)
    parts = np.stack([np.exp(-0.5 * (x - m) ** 2 / 0.36) for m in (-0.8, 0.8)])
    exact = np.sum(parts * np.stack([-(x + 0.8), -(x - 0.8)]) / 0.36, axis=0) / parts.sum(0)
    err = np.abs(wg.dae.score(mixture_1d, 8)[0] - exact)[region].max()
    assert err < 1e-8 * np.abs(exact[region]).max()
    assert region.sum() > 0.4 * x.size and not region[:4].any()


# ----------------------------------------------------------------------------------------------
# the method on Gaussian data, where everything is explicit
# ----------------------------------------------------------------------------------------------
def test_gaussian_dae_of_gaussian_data_is_the_shannon_velocity_exactly():
    """eq. (13): v_t = -x / (1 + t) for N(0, I): the Shannon velocity -x with amplitude
    1 / (1 + t), residual 0 at a = 1, and a* = 1 at every t."""
    rho = standard_density("gaussian", wg.Grid([(-6, 6)] * 2, 96))
    t = 0.3
    v = dae_velocity(rho, t)
    res, c = order_residual(rho, v, 1.0)
    assert res < 1e-9 and c == pytest.approx(1.0 / (1.0 + t), rel=1e-9)
    fit = fit_order(rho, v)
    assert abs(fit.order - 1.0) < 1e-6 and fit.residual < 1e-9 and not fit.at_bound
    # the order-2 (Tsallis) velocity 2 mu grad mu of mu itself: amplitude 1, order 2
    mu = rho.values / rho.mass
    tsallis = 2.0 * mu * wg.dae.score(rho, 8)
    assert order_residual(rho, tsallis, 2.0)[1] == pytest.approx(1.0, rel=1e-12)
    assert fit_order(rho, tsallis).order == pytest.approx(2.0, abs=1e-6)


def test_signs_of_the_candidates_follow_wgflow_functionals():
    """-grad dF/dmu of the Shannon, Tsallis and Rényi entropies of wgflow.functionals are
    positive multiples of mu^(a-1) grad log mu: each fits its own order with residual ~0 and
    a positive amplitude (the descent velocities the DAE is compared with)."""
    rho = standard_density("mixture", wg.Grid([(-6, 6)], 1024))
    for functional, a in [
        (wg.functionals.ShannonEntropy(), 1.0),
        (wg.functionals.TsallisEntropy(2.0), 2.0),
        (wg.functionals.RenyiEntropy(0.5), 0.5),
        (wg.functionals.RenyiEntropy(3.0), 3.0),
    ]:
        variation = functional.first_variation(rho)
        velocity = -stencils.derivative(variation, 0, rho.grid.spacing[0], 8)[None]
        res, c = order_residual(rho, velocity, a)
        assert res < 1e-7 and c > 0, (functional.name, res, c)


def test_fitted_orders_on_gaussian_data_follow_the_theory():
    """1-D Gaussian data: the departure of any law is (kappa/6)(3x - x^3) t, which lies in the
    span of the score and of the derivative in a of the order-a velocity, so
    a*(t) = 1 - kappa t / 3 + O(t^2) (first_order_theory: beta = -kappa/3, improvement 0).
    Measured at t = 1e-3 within 1% of beta (O(t) and the grid: 0.7% for the Laplace law)."""
    rho = standard_density("gaussian", wg.Grid([(-6, 6)], 1024))
    analyses = descent_analyses(rho, ["laplace", "box", "bimodal", "student-t"], [1e-3, 2e-3])
    for res in analyses:
        kappa = res.excess_kurtosis
        assert res.theory.order_slope == pytest.approx(-kappa / 3, rel=1e-9)
        assert res.theory.improvement < 1e-6
        tol = 0.01 if res.noise != "student-t" else 0.1  # its O(t^1.5) term: infinite 6th moment
        assert (res.order[0] - 1.0) / 1e-3 == pytest.approx(-kappa / 3, rel=tol), res.noise
        assert res.residual[0] < 0.1 * res.candidates["shannon"][0]
        lo, hi = res.order_interval[0]
        assert lo <= res.order[0] <= hi and hi - lo < 2e-4


def test_first_order_theory_closed_forms_in_2d():
    """N(0, I) in 2-D: w = (kappa/6) grad Lap mu / mu = (kappa/6)(4x - x|x|^2) for a spherical
    law, (kappa/6)(3x_i - x_i^3) per axis for a product law; the Gaussian DAE's slope
    grad(Lap mu / (2 mu)) = x.  Spherical laws are order-a velocities to first order
    (improvement 0), product laws are not.  Differences of order 8 on h = 0.094: 1e-4."""
    rho = standard_density("gaussian", wg.Grid([(-6, 6)] * 2, 128))
    x, y = rho.grid.coordinates
    region = resolved_region(rho)
    r2 = x * x + y * y
    t_law = first_order_theory(rho, "student-t")
    laplace = first_order_theory(rho, "laplace")
    gauss = first_order_theory(rho, "gaussian")
    for got, want in [
        (t_law.kurtosis_term, [(4 * x - x * r2), (4 * y - y * r2)]),
        (laplace.kurtosis_term, [0.5 * (3 * x - x**3), 0.5 * (3 * y - y**3)]),
        (gauss.slope, [x, y]),
    ]:
        np.testing.assert_allclose(np.asarray(got)[:, region], np.array(want)[:, region],
                                   atol=2e-4 * np.abs(np.array(want)[:, region]).max())
    assert t_law.improvement < 1e-4 and t_law.order_slope == pytest.approx(-2.0, rel=1e-4)
    assert 0.4 < laplace.improvement < 0.6


# ----------------------------------------------------------------------------------------------
# the limit t -> 0 (Theorem 2.3) and the departure from the Gaussian DAE
# ----------------------------------------------------------------------------------------------
@pytest.mark.parametrize("d", [1, 2])
@pytest.mark.parametrize("name", STANDARD_DENSITIES)
def test_gaussian_noise_recovers_shannon_as_t_goes_to_zero(name, d):
    """a*(t) = 1 + beta t + O(t^2), extrapolated to t = 0 from the two smallest t: within 1e-3
    of 1 (the check of the method), on every test density, in 1-D and 2-D.  The t are the
    smallest that the grids resolve (sqrt(t) > h); the remainder gamma t1 t2 is below 1e-4 in
    1-D and 4e-4 in 2-D for the measured beta's change."""
    ts = [1e-3, 2e-3] if d == 1 else [4e-3, 8e-3]
    rho = standard_density(name, _grid(name, d, 1024 if d == 1 else 192))
    res = descent_analysis(rho, "gaussian", ts)
    assert abs(res.order_limit - 1.0) < 1e-3, res.order
    assert np.all(res.departure == 0.0)


def test_every_law_tends_to_the_score(mixture_1d):
    """Theorem 2.3 for any law of finite variance: ||v_t - grad log mu|| / ||grad log mu|| is
    O(t) (slope 1; the Student-t law's O(t^1.5) remainder lowers it most), and the fitted
    order tends to 1."""
    ts = [1e-3, 2e-3, 4e-3]
    for res in descent_analyses(mixture_1d, ["gaussian", "laplace", "box", "student-t",
                                             "bimodal"], ts):
        slope = loglog_slope(ts, res.score_error)
        assert 0.85 < slope < 1.05, (res.noise, slope)
        assert res.score_error[0] < 0.01
        assert abs(res.order_limit - 1.0) < 1e-3, (res.noise, res.order_limit)


@pytest.mark.parametrize("name", ["gaussian", "mixture"])
def test_laplace_departure_from_the_gaussian_dae_is_first_order(name, gaussian_1d, mixture_1d):
    """The derivation: v_t - v_t^Gauss = t w + O(t^2), w = (kappa/6) mu'''/mu, for a symmetric
    law of finite sixth moment.  For the Laplace law (kappa = 3) the log-log slope of the
    relative departure is 1 + O(t) (measured 0.997 on Gaussian data, 0.986 on the mixture),
    and departure / t, extrapolated linearly to t = 0, is ||w|| / ||grad log mu|| up to the
    grid (0.4% on h = 0.012, where the edge of the resolved region moves with h).  The order
    slope (a* - 1) / t, extrapolated alike, is the predicted beta."""
    rho = gaussian_1d if name == "gaussian" else mixture_1d
    ts = np.array([1e-3, 2e-3])
    res = descent_analysis(rho, "laplace", ts)
    assert abs(res.departure_slope - 1.0) < 0.03, res.departure_slope
    ratio = res.departure / ts
    assert 2 * ratio[0] - ratio[1] == pytest.approx(res.theory.departure_coefficient, rel=0.01)
    assert res.order_limit == pytest.approx(1.0, abs=1e-4)
    slope = 2 * (res.order[0] - 1) / ts[0] - (res.order[1] - 1) / ts[1]
    assert slope == pytest.approx(res.theory.order_slope, rel=0.01)


def test_departure_field_is_t_times_the_kurtosis_term(gaussian_1d):
    """Pointwise: (v_t^Laplace - v_t^Gauss) / t -> w = (kappa/6)(3x - x^3) on N(0, 1), with an
    O(t) error: its mass-weighted L2 norm on |x| < 3.5 doubles with t (at t = 1e-3 the grid's
    error, about 0.005, is no longer negligible against it)."""
    rho = gaussian_1d
    x = rho.grid.axes[0]
    inside = resolved_region(rho) & (np.abs(x) < 3.5)
    weights = rho.values[inside] / rho.values[inside].sum()
    w = 0.5 * (3 * x - x**3)
    errors = []
    for t in (2e-3, 4e-3):
        diff = (dae_velocity(rho, t, "laplace") - dae_velocity(rho, t))[0] / t
        errors.append(math.sqrt(np.sum(weights * (diff - w)[inside] ** 2)))
    assert errors[0] < 0.015 and 1.6 < errors[1] / errors[0] < 2.4, errors


def test_two_grid_interval_and_sharpness(mixture_1d):
    """The confidence interval is a* -+ |a* - a*_coarse| (coarse grid: half the cells), and
    the width is sqrt(0.21 r^2 / curvature): the orders within 10% of the best residual."""
    res = descent_analysis(mixture_1d, "box", [0.01, 0.1])
    np.testing.assert_allclose(res.order_interval[:, 1] - res.order,
                               np.abs(res.order - res.order_coarse))
    assert res.shapes == ((1024,), (512,))
    np.testing.assert_allclose(res.order_width,
                               np.sqrt(0.21 * res.residual**2 / res.order_curvature))
    for t_index, t in enumerate(res.ts):
        v = dae_velocity(mixture_1d, t, "box")
        a = res.order[t_index]
        for step in (-1, 1):
            worse = order_residual(mixture_1d, v, a + step * res.order_width[t_index])[0]
            assert worse == pytest.approx(1.1 * res.residual[t_index], rel=0.02)
    summary = res.to_dict()
    assert summary["noise"] == "box" and summary["theory"]["order_slope"] > 0
    assert set(summary["candidates"]) == {"shannon", "order:0.5", "order:2", "order:3"}


# ----------------------------------------------------------------------------------------------
# monotonicity along compositions
# ----------------------------------------------------------------------------------------------
@pytest.mark.parametrize("d", [1, 2])
def test_monotonicity_table_against_eq13(d):
    """Gaussian data and Gaussian noise: the composition's covariances follow eq. (13),
    Sigma_{l+1} = Sigma_l (I + tau Sigma_l^-1)^-2, so every entropy is explicit and decreasing
    (textbook formulas of tests/_helpers).  The grid values agree to the midpoint rule and the
    pushforward (1e-6 and 2e-4 relative on these grids; the 1-D box is wide enough for the
    tails of mu^(1/2)).  Every other law decreases them too."""
    grid = wg.Grid([(-10, 10)], 1024) if d == 1 else wg.Grid([(-6, 6)] * 2, 64)
    rho = standard_density("gaussian", grid)
    taus = [0.05] * 4
    table = monotonicity_table(rho, ["gaussian", "laplace", "student-t"], taus)
    exact = wg.gaussian.composition_pushforwards(wg.gaussian.Gaussian(np.zeros(d), np.eye(d)),
                                                  taus)
    row = table[0]
    assert row["noise"] == "gaussian" and row["layers"] == 4
    tol = 1e-6 if d == 1 else 2e-4
    for a, key in [(None, "shannon"), (0.5, "order:0.5"), (2.0, "order:2"), (3.0, "order:3")]:
        want = [gaussian_entropies(g.cov, a or 2.0)[0 if a is None else 1] for g in exact]
        np.testing.assert_allclose(row[key]["values"], want, rtol=tol, atol=tol)
        assert row[key]["decreasing"] and row[key]["largest_increase"] == 0.0
        assert row[key]["first_increase"] is None
    for other in table[1:]:
        assert all(other[k]["decreasing"] for k in ("shannon", "order:0.5", "order:2", "order:3"))


def test_renyi_and_tsallis_move_together():
    """The table has one column per order: at fixed mass S_a = (1 - exp((1 - a) R_a)) / (a - 1)
    is increasing in R_a, checked along a Laplace composition."""
    rho = standard_density("mixture", wg.Grid([(-6, 6)], 256))
    res = wg.dae.compose(rho, [0.05] * 3, "laplace", track=["renyi:2", "tsallis:2"])
    assert np.all(np.sign(np.diff(res.tracked["renyi:2"])) ==
                  np.sign(np.diff(res.tracked["tsallis:2"])))


# ----------------------------------------------------------------------------------------------
# bad input
# ----------------------------------------------------------------------------------------------
def test_bad_input_is_refused(gaussian_1d):
    rho = gaussian_1d
    shifted = CustomNoise(lambda e: np.exp(-0.5 * (e - 1) ** 2) / math.sqrt(2 * math.pi),
                          name="shifted")
    with raises_naming("'shifted'", "standardised", "mean [1.0]"):
        descent_analysis(rho, shifted, [0.01, 0.02])

    def t2(e):
        return (1.0 + (e / 0.3) ** 2 / 2.0) ** -1.5 / (2.0 * math.sqrt(2.0) * 0.3)

    with raises_naming("'t2'", "infinite variance"):
        descent_analysis(rho, CustomNoise(t2, name="t2"), [0.01, 0.02])
    with raises_naming("dof", "> 2", "2"):
        descent_analysis(rho, StudentTNoise(2), [0.01, 0.02])
    with raises_naming("infinite fourth cumulant", "'student-t3'"):
        first_order_theory(rho, StudentTNoise(3))
    assert descent_analysis(rho, StudentTNoise(3), [0.01, 0.02]).theory is None
    with raises_naming("orders[1]", "> 0", "-1.0"):
        descent_analysis(rho, "laplace", [0.01, 0.02], orders=(2.0, -1.0))
    with raises_naming("order a", "0.0"):
        order_residual(rho, dae_velocity(rho, 0.1), 0.0)
    for ts, fragment in [([0.01], "at least two"), ([0.02, 0.01], "strictly increasing"),
                         ([0.01, -0.1], "ts[1]"), ("0.1", "at least two"),
                         ([0.01, math.nan], "ts[1]")]:
        with raises_naming(fragment):
            descent_analysis(rho, "laplace", ts)
    empty = wg.Density(rho.grid, np.zeros(rho.grid.shape))
    with raises_naming("rho has zero mass", "positive mass"):
        descent_analysis(empty, "laplace", [0.01, 0.02])
    with raises_naming("threshold", "(0, 1)", "1.5"):
        resolved_region(rho, threshold=1.5)
    spike = np.zeros(rho.grid.shape)
    spike[500:503] = 1.0
    with raises_naming("no cell of rho is resolved"):
        resolved_region(wg.Density(rho.grid, spike))
    with raises_naming("noises must be a sequence"):
        descent_analyses(rho, "laplace", [0.01, 0.02])
    with raises_naming("unknown standard density 'cauchy'", "'heavy'"):
        standard_density("cauchy", rho.grid)
    with raises_naming("support radius", "box"):
        standard_density("bump", wg.Grid([(-2, 2)], 64))
    with raises_naming("velocity must be a finite array of shape (1, 1024)"):
        fit_order(rho, np.zeros((2, 1024)))
    with raises_naming("velocity is zero everywhere"):
        fit_order(rho, np.zeros((1, 1024)))
    flat = wg.Density(rho.grid, np.ones(rho.grid.shape))
    with raises_naming("score of rho vanishes"):
        fit_order(flat, np.ones((1, 1024)))
    assert descent_analysis(rho, "gaussian", [0.01, 0.02]).departure_slope is None
    with raises_naming("even number >= 16", "coarse="):
        descent_analysis(wg.Density(wg.Grid([(-6, 6)], 101), np.ones(101)), "box", [0.1, 0.2])
