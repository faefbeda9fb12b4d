"""Tests of wgflow.dae maps: eq. (4)/(7) on grids, noise laws, the score and eq. (8).

References are independent of the code under test: the Gaussian closed forms of
``wgflow.gaussian`` (eq. 13, already tested), scipy quadrature of the posterior mean of eq. (4),
analytic scores.  Measured numbers are printed (``pytest -s``).
"""

from __future__ import annotations

import numpy as np
import pytest
from _helpers import loglog_slope
from scipy.integrate import nquad, quad

import wgflow as wg
from wgflow import gaussian as G
from wgflow.dae import (
    CustomNoise,
    LaplaceNoise,
    UniformBallNoise,
    UniformBoxNoise,
    dae_map,
    dae_posterior,
    dae_velocity,
    identity_map,
    interpolate_map,
    map_l2_distance,
    resolve_noise,
    score,
)
from wgflow.errors import WgflowError

# A non-diagonal 2-D covariance with a non-zero mean (eigenvalues ~0.72 and 2.28).
M0 = np.array([0.7, -0.4])
S0 = np.array([[2.0, 0.6], [0.6, 1.0]])

# A 1-D two-Gaussian mixture (non-Gaussian data).
MIX_W = np.array([0.4, 0.6])
MIX_M = np.array([-1.5, 1.0])
MIX_V = np.array([0.3, 0.5])


def mixture_pdf(y: np.ndarray) -> np.ndarray:
    y = np.asarray(y, dtype=float)
    return sum(
        w * np.exp(-((y - m) ** 2) / (2 * v)) / np.sqrt(2 * np.pi * v)
        for w, m, v in zip(MIX_W, MIX_M, MIX_V)
    )


def mixture_score(y: np.ndarray) -> np.ndarray:
    comps = [
        w * np.exp(-((y - m) ** 2) / (2 * v)) / np.sqrt(2 * np.pi * v)
        for w, m, v in zip(MIX_W, MIX_M, MIX_V)
    ]
    grads = [-c * (y - m) / v for c, m, v in zip(comps, MIX_M, MIX_V)]
    return sum(grads) / sum(comps)


@pytest.fixture(scope="module")
def gauss2d():
    grid = wg.Grid([(-8, 8), (-8, 8)], 64)
    return grid, wg.exact.heat_gaussian(grid, M0, S0, 0.0)


# ----------------------------------------------------------------------------------------------
# Gaussian DAE, eq. (7) against eq. (13)
# ----------------------------------------------------------------------------------------------
@pytest.mark.parametrize("t", [0.2, 0.5, 1.0])
def test_gaussian_map_matches_eq13_in_2d(gauss2d, t):
    grid, rho = gauss2d
    phi = dae_map(rho, t)
    assert phi.shape == (2, *grid.shape)
    exact = G.dae_map(G.Gaussian(M0, S0), t, grid.points).T.reshape(phi.shape)
    mask = rho.values > 1e-3 * rho.values.max()
    err = np.linalg.norm(phi - exact, axis=0)[mask]
    rel = err.max() / np.linalg.norm(exact, axis=0)[mask].max()
    disp = np.linalg.norm(exact - identity_map(grid), axis=0)[mask]
    rel_disp = err.max() / disp.max()
    print(f"t={t}: max |Phi - eq13| / max |Phi| = {rel:.2e}, / max displacement {rel_disp:.2e}")
    assert rel <= 1e-4  # the grid map is eq. (13)'s to 1e-4 of its largest value
    assert rel_disp <= 1e-4


def test_gaussian_map_is_eq7_gradient_of_log_smoothed_density():
    """Phi_t = x + t grad log(W_t * mu0): compare with finite differences of log_smoothed."""
    grid = wg.Grid([(-6, 6)], 600)
    rho = wg.Density.from_function(grid, mixture_pdf)
    t = 0.3
    post = dae_posterior(rho, t)
    from findiff import Diff

    grad = Diff(0, grid.spacing[0], acc=6)(post.log_smoothed)
    x = grid.axes[0]
    inner = slice(20, -20)
    err = np.abs(post.mean[0] - (x + t * grad))[inner].max()
    print(f"eq. (7) vs posterior mean: {err:.2e}")
    assert err < 1e-8


def test_gaussian_map_1d_exact_against_closed_form():
    grid = wg.Grid([(-10, 10)], 400)
    rho = wg.exact.heat_gaussian(grid, 0.5, 1.3, 0.0)
    phi = dae_map(rho, 0.7)
    exact = G.dae_map(G.Gaussian(0.5, 1.3), 0.7, grid.axes[0])
    mask = rho.values > 1e-3 * rho.values.max()
    assert np.abs(phi[0] - exact)[mask].max() < 1e-10


# ----------------------------------------------------------------------------------------------
# non-Gaussian noise against direct quadrature of eq. (4)
# ----------------------------------------------------------------------------------------------
def _quadrature_map_1d(x: float, law, t: float, lo_box: float, hi_box: float) -> float:
    """``x - ∫ eps nu(eps) mu0(x - eps) / ∫ nu(eps) mu0(x - eps)``, ``x - eps`` in the box."""
    if isinstance(law, LaplaceNoise):
        b = law.scale(t)
        lo, hi = x - hi_box, x - lo_box
        points = [0.0] if lo < 0 < hi else None

        def nu(e):
            return np.exp(-abs(e) / b) / (2 * b)
    else:
        a = law.half_width(t)
        lo, hi = max(-a, x - hi_box), min(a, x - lo_box)
        points = None

        def nu(e):
            return 1.0 / (2 * a)

    opts = dict(points=points, epsabs=0.0, epsrel=1e-13, limit=200)
    with np.errstate(all="ignore"):
        num = quad(lambda e: e * nu(e) * mixture_pdf(x - e), lo, hi, **opts)[0]
        den = quad(lambda e: nu(e) * mixture_pdf(x - e), lo, hi, **opts)[0]
    return x - num / den


@pytest.mark.filterwarnings("ignore::scipy.integrate.IntegrationWarning")
@pytest.mark.parametrize("law", [LaplaceNoise(), UniformBoxNoise()], ids=["laplace", "box"])
@pytest.mark.parametrize("t", [0.1, 0.5])
def test_non_gaussian_map_matches_quadrature_1d(law, t):
    grid = wg.Grid([(-6, 6)], 800)
    rho = wg.Density.from_function(grid, mixture_pdf)
    phi = dae_map(rho, t, law)[0]
    x = grid.axes[0]
    mask = rho.values > 1e-3 * rho.values.max()
    idx = np.flatnonzero(mask)[::16]
    ref = np.array([_quadrature_map_1d(x[i], law, t, -6.0, 6.0) for i in idx])
    err = np.abs(phi[idx] - ref).max()
    print(f"{law.name}, t={t}: max |grid map - quadrature| = {err:.2e}")
    assert err <= 1e-6  # the grid map is the quadrature of eq. (4) to 1e-6


@pytest.mark.filterwarnings("ignore::scipy.integrate.IntegrationWarning")
def test_cubic_quadrature_is_fourth_order():
    law, t = UniformBoxNoise(), 0.1
    errors, sizes = [], [100, 200, 400]
    for n in sizes:
        grid = wg.Grid([(-6, 6)], n)
        rho = wg.Density.from_function(grid, mixture_pdf)
        phi = dae_map(rho, t, law)[0]
        x = grid.axes[0]
        idx = np.flatnonzero(rho.values > 1e-3 * rho.values.max())[:: n // 25]
        ref = np.array([_quadrature_map_1d(x[i], law, t, -6.0, 6.0) for i in idx])
        errors.append(np.abs(phi[idx] - ref).max())
    slope = -loglog_slope(sizes, errors)
    print(f"box noise, cubic quadrature: errors {errors}, order {slope:.2f}")
    assert slope > 3.5


def test_laplace_map_matches_quadrature_2d():
    """Correlated (non-product) data with product-Laplace noise: 2-D quadrature at points."""
    m = np.array([0.3, -0.2])
    s = np.array([[1.0, 0.4], [0.4, 0.7]])
    si = np.linalg.inv(s)

    def mu(y1, y2):
        d1, d2 = y1 - m[0], y2 - m[1]
        return np.exp(-0.5 * (si[0, 0] * d1 * d1 + 2 * si[0, 1] * d1 * d2 + si[1, 1] * d2 * d2))

    n, t = 320, 0.5
    b = np.sqrt(t / 2)
    grid = wg.Grid([(-6, 6), (-6, 6)], n)
    rho = wg.Density.from_function(grid, mu)
    phi = dae_map(rho, t, "laplace")
    opts = [{"points": [0.0], "epsabs": 1e-14, "epsrel": 1e-12, "limit": 200}] * 2
    worst = 0.0
    for i, j in [(n // 2, n // 2), (n // 3, n // 2 + n // 8)]:
        x = np.array([grid.axes[0][i], grid.axes[1][j]])
        ranges = [[x[0] - 6, x[0] + 6], [x[1] - 6, x[1] + 6]]

        def integrand(e1, e2, power, x=x):
            return (
                np.exp(-(abs(e1) + abs(e2)) / b) * mu(x[0] - e1, x[1] - e2) * power(e1, e2)
            )

        den = nquad(lambda e1, e2: integrand(e1, e2, lambda a, c: 1.0), ranges, opts=opts)[0]
        n1 = nquad(lambda e1, e2: integrand(e1, e2, lambda a, c: a), ranges, opts=opts)[0]
        n2 = nquad(lambda e1, e2: integrand(e1, e2, lambda a, c: c), ranges, opts=opts)[0]
        ref = x - np.array([n1, n2]) / den
        worst = max(worst, float(np.abs(phi[:, i, j] - ref).max()))
    print(f"2-D Laplace noise: max |grid map - quadrature| = {worst:.2e}")
    assert worst <= 1e-6


@pytest.mark.filterwarnings("ignore::scipy.integrate.IntegrationWarning")
def test_midpoint_quadrature_is_available_and_less_accurate():
    grid = wg.Grid([(-6, 6)], 400)
    rho = wg.Density.from_function(grid, mixture_pdf)
    cubic = dae_map(rho, 0.1, "box")
    midpoint = dae_map(rho, 0.1, "box", quadrature="midpoint")
    x = grid.axes[0]
    i = np.argmax(rho.values)
    ref = _quadrature_map_1d(x[i], UniformBoxNoise(), 0.1, -6, 6)
    assert abs(cubic[0, i] - ref) < abs(midpoint[0, i] - ref)


def test_custom_gaussian_density_agrees_with_gaussian_noise(gauss2d):
    grid, rho = gauss2d
    custom = CustomNoise(lambda a, b: np.exp(-(a * a + b * b) / 2) / (2 * np.pi), name="std-normal")
    phi_c = dae_map(rho, 0.5, custom)
    phi_g = dae_map(rho, 0.5, "gaussian")
    mask = rho.values > 1e-3 * rho.values.max()
    err = np.abs(phi_c - phi_g)[:, mask].max()
    print(f"custom standard normal vs built-in gaussian: {err:.2e}")
    assert err < 1e-9
    # a bare callable is wrapped as a custom law
    assert np.allclose(dae_map(rho, 0.5, custom._pdf)[:, mask], phi_c[:, mask])


def test_ball_noise_against_quadrature_first_order():
    grid = wg.Grid([(-5, 5), (-5, 5)], 80)
    m = np.array([0.2, -0.1])
    rho = wg.exact.heat_gaussian(grid, m, [[1.0, 0.3], [0.3, 0.6]], 0.0)
    t = 0.3
    law = UniformBallNoise(subcells=4)
    phi = dae_map(rho, t, law)
    r = law.radius(t, 2)
    si = np.linalg.inv(np.array([[1.0, 0.3], [0.3, 0.6]]))
    i, j = 44, 36
    x = np.array([grid.axes[0][i], grid.axes[1][j]])

    def mu(y):
        d = y - m
        return np.exp(-0.5 * d @ si @ d)

    def polar(f):
        def radial(th):
            return quad(lambda rr: rr * f(rr * np.cos(th), rr * np.sin(th)), 0, r, epsabs=1e-12)[0]

        return quad(radial, 0, 2 * np.pi, epsabs=1e-12)[0]

    den = polar(lambda e1, e2: mu(x - np.array([e1, e2])))
    num = [polar(lambda e1, e2, k=k: (e1, e2)[k] * mu(x - np.array([e1, e2]))) for k in range(2)]
    ref = x - np.array(num) / den
    err = np.abs(phi[:, i, j] - ref).max()
    print(f"ball noise (subcells=4, h={grid.spacing[0]}): {err:.2e}")
    assert err < 5e-3


# ----------------------------------------------------------------------------------------------
# score and the score limit, eq. (8)
# ----------------------------------------------------------------------------------------------
def test_score_by_finite_differences():
    grid = wg.Grid([(-6, 6)], 600)
    rho = wg.Density.from_function(grid, mixture_pdf)
    s = score(rho)
    x = grid.axes[0]
    mask = rho.values > 1e-3 * rho.values.max()
    err = np.abs(s[0] - mixture_score(x))[mask].max()
    assert err < 2e-5  # fourth-order differences, h = 0.02
    grid2 = wg.Grid([(-8, 8), (-8, 8)], 48)
    rho2 = wg.exact.heat_gaussian(grid2, M0, S0, 0.0)
    s2 = score(rho2)
    exact = G.score(G.Gaussian(M0, S0), grid2.points).T.reshape(s2.shape)
    assert np.abs(s2 - exact).max() < 1e-9  # log of a Gaussian is quadratic: exact differences


@pytest.mark.parametrize("data", ["gaussian-2d", "mixture-1d"])
def test_score_limit_is_first_order_in_t(data):
    """(Phi_t(x) - x)/t -> grad log mu0 (eq. 8) with an O(t) error: measured slope ~ 1."""
    if data == "gaussian-2d":
        ts = np.array([0.02, 0.03, 0.045, 0.0675])
        grid = wg.Grid([(-8, 8), (-8, 8)], 96)
        rho = wg.exact.heat_gaussian(grid, M0, S0, 0.0)
        target = G.score(G.Gaussian(M0, S0), grid.points).T.reshape(2, *grid.shape)
    else:
        ts = np.array([0.0025, 0.005, 0.01, 0.02])
        grid = wg.Grid([(-6, 6)], 1200)
        rho = wg.Density.from_function(grid, mixture_pdf)
        target = mixture_score(grid.axes[0])[None]
    mask = rho.values > 1e-3 * rho.values.max()
    errors = [
        map_l2_distance(rho, np.where(mask, dae_velocity(rho, t), 0.0), np.where(mask, target, 0.0))
        for t in ts
    ]
    slope = loglog_slope(ts, errors)
    print(f"{data}: ||(Phi_t - x)/t - score||_L2(rho) = {np.array(errors)}, slope {slope:.3f}")
    assert 0.9 < slope < 1.1


# ----------------------------------------------------------------------------------------------
# empty regions, maps at points
# ----------------------------------------------------------------------------------------------
@pytest.mark.parametrize("noise", ["gaussian", "laplace", "box", "ball"])
def test_empty_regions_give_finite_maps_inside_the_box(noise):
    grid = wg.Grid([(-4, 4), (-4, 4)], 40)
    values = np.zeros(grid.shape)
    values[5:10, 5:12] = 1.0
    values[28:33, 25:35] = 2.0
    rho = wg.Density(grid, values)
    post = dae_posterior(rho, 0.2, noise)
    assert np.isfinite(post.mean).all()
    for k, (a, b) in enumerate(grid.bounds):
        assert post.mean[k].min() >= a and post.mean[k].max() <= b
    ident = identity_map(grid)
    # where the smoothed density vanishes the map is the identity (documented convention)
    assert np.array_equal(post.mean[:, ~post.defined], ident[:, ~post.defined])
    if noise == "gaussian":
        assert post.defined.all()  # log-domain: defined everywhere
        # the far corner is mapped onto (the convex hull of) the nearest data cells
        corner = post.mean[:, 39, 0]
        assert grid.axes[0][5] - 1e-9 <= corner[0] <= grid.axes[0][32] + 1e-9
    if noise in ("box", "ball"):
        assert not post.defined.all()


def test_interpolate_map_reproduces_affine_maps(gauss2d):
    grid, rho = gauss2d
    phi = dae_map(rho, 0.5)
    rng = np.random.default_rng(0)
    pts = rng.uniform(-5, 5, size=(200, 2))
    exact = G.dae_map(G.Gaussian(M0, S0), 0.5, pts)
    assert np.abs(interpolate_map(grid, phi, pts) - exact).max() < 1e-5


# ----------------------------------------------------------------------------------------------
# bad input
# ----------------------------------------------------------------------------------------------
def test_bad_times_are_rejected(gauss2d):
    _, rho = gauss2d
    for bad in (0.0, -1.0, float("nan"), float("inf"), "0.5", True):
        with pytest.raises(WgflowError, match="t"):
            dae_map(rho, bad)


def test_bad_noise_is_rejected(gauss2d):
    _, rho = gauss2d
    with pytest.raises(WgflowError, match="unknown noise 'cauchy'; accepted: 'gaussian'"):
        dae_map(rho, 0.5, "cauchy")
    with pytest.raises(WgflowError, match="noise must be"):
        dae_map(rho, 0.5, 3.0)
    with pytest.raises(WgflowError, match="must be non-negative; found -"):
        dae_map(rho, 0.5, lambda a, b: a + b)
    with pytest.raises(WgflowError, match="must be finite; found nan"):
        dae_map(rho, 0.5, lambda a, b: np.full(a.shape, np.nan))
    with pytest.raises(WgflowError, match="standardised.*mass 0"):
        dae_map(rho, 0.5, lambda a, b: 0.0 * a)
    # a variance-4 Gaussian is a density but not the standardised member of its family
    wide = lambda a, b: np.exp(-(a**2 + b**2) / 8) / (8 * np.pi)  # noqa: E731
    with pytest.raises(WgflowError, match="standardised.*covariance"):
        dae_map(rho, 0.5, wide)
    shifted = lambda a, b: np.exp(-((a - 0.5) ** 2 + b**2) / 2) / (2 * np.pi)  # noqa: E731
    with pytest.raises(WgflowError, match="standardised.*mean"):
        dae_map(rho, 0.5, shifted)
    with pytest.raises(WgflowError, match="quadrature 'cubic' is not available"):
        dae_map(rho, 0.5, "gaussian", quadrature="cubic")
    with pytest.raises(WgflowError, match="unknown quadrature"):
        dae_map(rho, 0.5, "laplace", quadrature="simpson")
    assert isinstance(resolve_noise("uniform"), UniformBoxNoise)


def test_bad_points_and_orders_are_rejected(gauss2d):
    grid, rho = gauss2d
    with pytest.raises(WgflowError, match=r"points must have shape \(k, 2\) with k >= 1, got"):
        interpolate_map(grid, identity_map(grid), np.zeros((3, 3)))
    with pytest.raises(WgflowError, match=r"points must be finite; found \[nan, 0.0\] at row 1"):
        interpolate_map(grid, identity_map(grid), np.array([[0.0, 0.0], [np.nan, 0.0]]))
    with pytest.raises(WgflowError, match="acc must be an even integer >= 2, got 3"):
        score(rho, acc=3)


def test_bad_densities_are_rejected():
    grid = wg.Grid([(-1, 1)], 8)
    with pytest.raises(WgflowError, match="zero mass"):
        dae_map(wg.Density(grid, np.zeros(8)), 0.1)
    with pytest.raises(WgflowError, match="must be a wgflow.Density"):
        dae_map(np.ones(8), 0.1)
