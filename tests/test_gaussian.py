"""Tests of wgflow.gaussian: Gaussian closed forms of the DAE transport analysis.

Every closed form is checked against something computed independently: direct matrix algebra
(``np.linalg.inv``), scipy's ODE solver, scipy's quadrature and densities, Monte Carlo, or
finite differences.  Convergence orders are measured as log-log slopes.  The maps take the
Gaussian first, then ``t`` (or ``taus``), then the points.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from _helpers import loglog_slope
from scipy import integrate, stats

from wgflow.errors import WgflowError
from wgflow.gaussian import (
    Gaussian,
    bures_distance,
    composition_map,
    composition_pushforwards,
    continuous_dae_map,
    continuous_dae_pushforward,
    dae_map,
    dae_potential,
    dae_pushforward,
    dae_velocity,
    entropy_of_sigmas,
    score,
    sigma_trajectory,
    singular_time,
    trajectories,
)

# A non-diagonal 2-D covariance with a non-zero mean (eigenvalues ~ 0.68 and 2.32).
M0 = np.array([0.7, -0.4])
S0 = np.array([[2.0, 0.6], [0.6, 1.0]])
LAM_MIN = float(np.linalg.eigvalsh(S0)[0])
# The Figure 2 / Figure 3 data distribution.
FIG_COV = np.diag([2.0, 1.0])


def _inv(a):
    return np.linalg.inv(a)


def _sqrtm_sym(a):
    w, v = np.linalg.eigh(0.5 * (a + a.T))
    return (v * np.sqrt(w)) @ v.T


def _dae_matrix(cov, t):
    """A = (I + t S^{-1})^{-1}, computed directly."""
    return _inv(np.eye(cov.shape[0]) + t * _inv(cov))


@pytest.fixture
def g2():
    return Gaussian(M0, S0)


# ----------------------------------------------------------------------------------------------
# the Gaussian
# ----------------------------------------------------------------------------------------------
def test_cov_forms_and_dim():
    a = Gaussian([1.0, 2.0], 3.0)
    b = Gaussian([1.0, 2.0], [3.0, 3.0])
    c = Gaussian([1.0, 2.0], 3.0 * np.eye(2))
    for g in (a, b, c):
        assert g.dim == 2
        np.testing.assert_array_equal(g.cov, 3.0 * np.eye(2))
    one = Gaussian(0.5, 2.0)
    assert one.dim == 1 and one.cov.shape == (1, 1)
    with pytest.raises(ValueError):  # read-only arrays
        a.mean[0] = 5.0


def test_pdf_against_scipy(g2):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(50, 2)) * 2
    np.testing.assert_allclose(g2.pdf(x), stats.multivariate_normal(M0, S0).pdf(x), rtol=1e-12)
    assert g2.pdf(x[0]).shape == ()
    g1 = Gaussian(0.3, 1.7)
    xs = np.linspace(-3, 3, 11)
    np.testing.assert_allclose(g1.pdf(xs), stats.norm(0.3, np.sqrt(1.7)).pdf(xs), rtol=1e-12)
    np.testing.assert_allclose(g1.pdf(xs[:, None]), g1.pdf(xs), rtol=0)


def test_sample_moments(g2):
    n = 200_000
    x = g2.sample(n, rng=1)
    assert x.shape == (n, 2)
    se_mean = np.sqrt(np.diag(S0) / n)
    assert np.all(np.abs(x.mean(axis=0) - M0) < 5 * se_mean)
    se_cov = np.sqrt((np.outer(np.diag(S0), np.diag(S0)) + S0**2) / n)
    assert np.all(np.abs(np.cov(x.T) - S0) < 5 * se_cov)


def _quad_1d(f, lo, hi):
    return integrate.quad(f, lo, hi, epsabs=1e-13, epsrel=1e-12, limit=200)[0]


@pytest.mark.parametrize("var", [0.3, 1.0, 2.5])
def test_entropies_against_quadrature_1d(var):
    g = Gaussian(0.4, var)
    p = stats.norm(0.4, np.sqrt(var)).pdf
    half = 14 * np.sqrt(var)
    lo, hi = 0.4 - half, 0.4 + half
    h = _quad_1d(lambda x: -p(x) * np.log(p(x)), lo, hi)
    assert abs(g.shannon_entropy() - h) < 1e-9
    for a in (0.5, 2.0, 3.0):
        ipow = _quad_1d(lambda x, a=a: p(x) ** a, lo, hi)
        assert abs(g.renyi_entropy(a) - np.log(ipow) / (1 - a)) < 1e-9
        assert abs(g.tsallis_entropy(a) - (1 - ipow) / (a - 1)) < 1e-9
    # both tend to the Shannon entropy as a -> 1
    for a in (1 - 1e-6, 1 + 1e-6):
        assert abs(g.renyi_entropy(a) - h) < 1e-5
        assert abs(g.tsallis_entropy(a) - h) < 1e-5
    assert g.renyi_entropy(1) == g.tsallis_entropy(1) == g.shannon_entropy()


def test_entropies_against_quadrature_2d(g2):
    # the density written out by hand (scalar, fast), checked against scipy's
    (a, b), (_, c) = np.linalg.inv(S0)
    norm = 1.0 / (2 * np.pi * np.sqrt(np.linalg.det(S0)))

    def p(x, y):
        u, v = x - M0[0], y - M0[1]
        return norm * math.exp(-0.5 * (a * u * u + 2 * b * u * v + c * v * v))

    assert abs(p(0.3, 0.1) - stats.multivariate_normal(M0, S0).pdf([0.3, 0.1])) < 1e-15
    half = 10 * np.sqrt(np.max(np.diag(S0)))

    def quad2(f):
        return integrate.dblquad(
            lambda y, x: f(p(x, y)),
            M0[0] - half, M0[0] + half,
            M0[1] - half, M0[1] + half,
            epsabs=1e-11, epsrel=1e-10,
        )[0]

    h = quad2(lambda v: -v * math.log(v) if v > 0 else 0.0)
    assert abs(g2.shannon_entropy() - h) < 1e-7
    i2 = quad2(lambda v: v**2)
    assert abs(g2.renyi_entropy(2) - (-np.log(i2))) < 1e-7
    assert abs(g2.tsallis_entropy(2) - (1 - i2)) < 1e-8
    i_half = quad2(math.sqrt)
    assert abs(g2.renyi_entropy(0.5) - 2 * np.log(i_half)) < 1e-7


def test_centred_and_heat_flow(g2):
    np.testing.assert_array_equal(Gaussian.centred(0.7, 3).cov, 0.7 * np.eye(3))
    np.testing.assert_array_equal(Gaussian.centred(S0).mean, [0.0, 0.0])
    assert Gaussian.centred([[2.0]]).dim == 1
    # the heat flow N(m0, S0 + 2tI), forwards and (eq. 11) backwards up to lambda_min/2
    for t in (0.3, -0.9 * LAM_MIN / 2):
        h = g2.heat_flow(t)
        np.testing.assert_array_equal(h.mean, M0)
        np.testing.assert_allclose(h.cov, S0 + 2 * t * np.eye(2), rtol=1e-15)
    with pytest.raises(WgflowError, match=r"singular time .*accepted: t > -0\.3594875"):
        g2.heat_flow(-LAM_MIN / 2)
    with pytest.raises(WgflowError, match="t must be a finite real number"):
        g2.heat_flow(np.inf)


def test_bures_distance_closed_forms(g2):
    # 1-D: W2(N(a, s^2), N(b, r^2))^2 = (a - b)^2 + (s - r)^2
    assert bures_distance(Gaussian(0.5, 4.0), Gaussian(-1.0, 0.25)) == pytest.approx(
        np.hypot(1.5, 1.5), rel=1e-14
    )
    # commuting covariances (eigenvectors of S0): W2^2 = |m0 - m1|^2 + sum (sqrt lam - sqrt mu)^2
    lam0, v = np.linalg.eigh(S0)
    for lam1, m1 in (([0.3, 4.0], [-1.0, 2.0]), ([2.5, 0.1], M0)):
        g1 = Gaussian(m1, (v * lam1) @ v.T)
        expected = np.sqrt(np.sum((M0 - g1.mean) ** 2)
                           + np.sum((np.sqrt(lam0) - np.sqrt(lam1)) ** 2))
        assert bures_distance(g2, g1) == pytest.approx(expected, rel=1e-12)
        assert bures_distance(g1, g2) == pytest.approx(expected, rel=1e-12)
    # the DAE map (eq. 13) is the Brenier map of mu0 onto its pushforward, so W2 is its
    # transport cost E|Phi_t(x) - x|^2 = tr((I - A) S0 (I - A)), A = (I + t S0^{-1})^{-1}
    for t in (0.1, 2.0):
        i_a = np.eye(2) - _dae_matrix(S0, t)
        cost = np.trace(i_a @ S0 @ i_a)
        assert bures_distance(g2, dae_pushforward(g2, t)) == pytest.approx(np.sqrt(cost), rel=1e-12)
    # non-commuting: the cost of the affine optimal map T = m1 + A (x - m0),
    # A = S0^{-1/2} (S0^{1/2} S1 S0^{1/2})^{1/2} S0^{-1/2}, which pushes N(m0, S0) to N(m1, S1)
    g1 = Gaussian([0.4, -0.2], [[0.12, -0.03], [-0.03, 0.25]])
    r = _sqrtm_sym(S0)
    r_inv = _inv(r)
    a = r_inv @ _sqrtm_sym(r @ g1.cov @ r) @ r_inv
    np.testing.assert_allclose(a @ S0 @ a, g1.cov, atol=1e-14)
    cost = np.sum((g1.mean - M0) ** 2) + np.trace((a - np.eye(2)) @ S0 @ (a - np.eye(2)))
    assert bures_distance(g2, g1) == pytest.approx(np.sqrt(cost), rel=1e-12)
    with pytest.raises(WgflowError, match="same dimension, got 2 and 1"):
        bures_distance(g2, Gaussian(0.0, 1.0))
    with pytest.raises(WgflowError, match="g1 must be a wgflow.gaussian.Gaussian"):
        bures_distance(g2, S0)


# ----------------------------------------------------------------------------------------------
# single DAE, eq. (13), and continuous DAE, eq. (12)
# ----------------------------------------------------------------------------------------------
@pytest.mark.parametrize("t", [0.05, 0.4, 3.0])
def test_dae_map_equals_eq13_and_eq7(g2, t):
    x = g2.sample(20, rng=2)
    # eq. (13), matrices computed directly
    expected = x @ _dae_matrix(S0, t).T + _inv(np.eye(2) + S0 / t) @ M0
    np.testing.assert_allclose(dae_map(g2, t, x), expected, rtol=1e-12, atol=1e-12)
    # eq. (7): x + t grad log(W_t * mu0)(x), the gradient by central differences of scipy's logpdf
    smoothed = stats.multivariate_normal(M0, S0 + t * np.eye(2))
    h = 1e-5
    grad = np.stack(
        [(smoothed.logpdf(x + h * e) - smoothed.logpdf(x - h * e)) / (2 * h) for e in np.eye(2)],
        axis=-1,
    )
    np.testing.assert_allclose(dae_map(g2, t, x), x + t * grad, atol=1e-8)
    np.testing.assert_array_equal(dae_map(g2, 0.0, x), x)


def test_dae_pushforward_closed_form(g2):
    for t in (0.01, 0.3, 2.0, 50.0):
        pf = dae_pushforward(g2, t)
        a = _dae_matrix(S0, t)
        np.testing.assert_allclose(pf.cov, a @ S0 @ a.T, rtol=1e-12, atol=1e-14)
        # the paper's form S0 (I + t S0^{-1})^{-2}
        np.testing.assert_allclose(pf.cov, S0 @ a @ a, rtol=1e-12, atol=1e-14)
        # mean: A m0 + (I + S0/t)^{-1} m0 = m0
        b = _inv(np.eye(2) + S0 / t)
        np.testing.assert_allclose(a @ M0 + b @ M0, M0, rtol=1e-12)
        np.testing.assert_array_equal(pf.mean, M0)


def test_pushforwards_match_monte_carlo(g2):
    n = 200_000
    taus = [0.2, 0.1, 0.4]
    x = g2.sample(n, rng=3)
    cases = [
        (dae_map(g2, 0.7, x), dae_pushforward(g2, 0.7)),
        (continuous_dae_map(g2, 0.3, x), continuous_dae_pushforward(g2, 0.3)),
        (composition_map(g2, taus, x)[-1], composition_pushforwards(g2, taus)[-1]),
    ]
    for y, pf in cases:
        c = pf.cov
        se_cov = np.sqrt((np.outer(np.diag(c), np.diag(c)) + c**2) / n)
        assert np.all(np.abs(np.cov(y.T) - c) < 5 * se_cov)
        assert np.all(np.abs(y.mean(axis=0) - pf.mean) < 5 * np.sqrt(np.diag(c) / n))


def test_continuous_pushforward_is_backward_heat(g2):
    t = 0.2
    pf = continuous_dae_pushforward(g2, t)
    np.testing.assert_allclose(pf.cov, S0 - 2 * t * np.eye(2), rtol=1e-14)
    m = _sqrtm_sym(np.eye(2) - 2 * t * _inv(S0))
    np.testing.assert_allclose(m @ S0 @ m.T, pf.cov, atol=1e-13)
    x = g2.sample(10, rng=4)
    np.testing.assert_allclose(continuous_dae_map(g2, t, x), (x - M0) @ m.T + M0, atol=1e-13)


def test_continuous_map_solves_the_ode(g2):
    """eq. (12) is the flow of eq. (10): dx/dt = grad log mu_t = -(S0 - 2tI)^{-1} (x - m0)."""
    t_end = 0.9 * singular_time(S0)
    x0s = g2.sample(6, rng=5)

    def rhs(t, x):
        return -np.linalg.solve(S0 - 2 * t * np.eye(2), x - M0)

    worst = 0.0
    for x0 in x0s:
        sol = integrate.solve_ivp(rhs, (0, t_end), x0, method="DOP853", rtol=1e-13, atol=1e-13,
                                  dense_output=True)
        assert sol.success
        for t in np.linspace(0, t_end, 7):
            worst = max(worst, np.max(np.abs(sol.sol(t) - continuous_dae_map(g2, t, x0))))
    assert worst < 1e-8


def test_continuous_map_semigroup_over_small_steps(g2):
    """Composing continuous maps of the successive pushforwards over small steps gives eq. (12)."""
    t_end, steps = 0.3, 30
    dt = t_end / steps
    x = g2.sample(8, rng=6)
    y, g = x.copy(), g2
    for _ in range(steps):
        y = continuous_dae_map(g, dt, y)
        g = continuous_dae_pushforward(g, dt)
    np.testing.assert_allclose(y, continuous_dae_map(g2, t_end, x), atol=1e-12)
    np.testing.assert_allclose(g.cov, continuous_dae_pushforward(g2, t_end).cov, atol=1e-13)


def test_singular_time():
    assert singular_time(FIG_COV) == 0.5
    assert singular_time([2.0, 1.0]) == 0.5
    assert singular_time(3.0) == 1.5
    assert abs(singular_time(S0) - LAM_MIN / 2) < 1e-15
    assert singular_time(Gaussian(M0, S0)) == singular_time(S0)


def test_single_dae_never_reaches_the_singular_time(g2):
    ts = singular_time(S0)
    x = g2.sample(5, rng=7)
    with pytest.raises(WgflowError, match="singular time"):
        continuous_dae_map(g2, ts, x)
    for t in ts * np.array([0.5, 1.0, 2.0, 10.0, 1e3, 1e6]):
        pf = dae_pushforward(g2, t)  # Gaussian() validates: SPD
        w = np.linalg.eigvalsh(pf.cov)
        assert np.all(w > 0)
        jac = _dae_matrix(S0, t)
        assert np.all(np.linalg.eigvalsh(jac) > 0)  # injective: no axis collapses
        assert np.all(np.isfinite(dae_map(g2, t, x)))
    # along the axes it slows down: sigma^3 / (sigma^2 + t) > 0 for all t
    s = sigma_trajectory([np.sqrt(2), 1.0], [0, 0.5, 5, 50, 500], "dae")
    assert np.all(s > 0) and np.all(np.diff(s, axis=0) < 0)


# ----------------------------------------------------------------------------------------------
# compositions (section 3.1)
# ----------------------------------------------------------------------------------------------
def test_composition_recursion_direct(g2):
    taus = [0.1, 0.25, 0.05, 0.3]
    pfs = composition_pushforwards(g2, taus)
    assert len(pfs) == len(taus) + 1 and pfs[0] is g2
    x = g2.sample(7, rng=8)
    traj = composition_map(g2, taus, x)
    assert traj.shape == (len(taus) + 1, 7, 2)
    np.testing.assert_array_equal(traj[0], x)
    cov, y = S0.copy(), x.copy()
    for ell, tau in enumerate(taus):
        a = _dae_matrix(cov, tau)
        y = y @ a.T + _inv(np.eye(2) + cov / tau) @ M0  # eq. (13) for N(m0, S_l)
        cov = a @ cov @ a.T
        np.testing.assert_allclose(pfs[ell + 1].cov, cov, rtol=1e-12, atol=1e-14)
        np.testing.assert_allclose(pfs[ell + 1].mean, M0, rtol=1e-14)
        np.testing.assert_allclose(traj[ell + 1], y, rtol=1e-12, atol=1e-12)
    # empty composition = identity
    assert composition_map(g2, [], x).shape == (1, 7, 2)


def test_composition_converges_to_continuous_first_order(g2):
    t_end = 0.25  # below the singular time ~0.34
    x = g2.sample(10, rng=9)
    exact_cov = continuous_dae_pushforward(g2, t_end).cov
    exact_x = continuous_dae_map(g2, t_end, x)
    taus, err_cov, err_x = [], [], []
    for layers in (25, 50, 100, 200, 400, 800):
        tau = t_end / layers
        taus.append(tau)
        cov = composition_pushforwards(g2, [tau] * layers)[-1].cov
        err_cov.append(np.max(np.abs(cov - exact_cov)))
        err_x.append(np.max(np.abs(composition_map(g2, [tau] * layers, x)[-1] - exact_x)))
    slope_cov, slope_x = loglog_slope(taus, err_cov), loglog_slope(taus, err_x)
    assert 0.8 < slope_cov < 1.2, slope_cov
    assert 0.8 < slope_x < 1.2, slope_x
    assert err_cov[-1] < 1e-2 and err_x[-1] < 1e-2


def test_score_limit_first_order(g2):
    """eq. (8): (Phi_t(x) - x)/t -> grad log mu0(x) = -S0^{-1}(x - m0), error O(t)."""
    x = g2.sample(10, rng=10)
    sc = score(g2, x)
    np.testing.assert_allclose(sc, -(x - M0) @ _inv(S0).T, rtol=1e-12, atol=1e-13)
    ts = np.geomspace(1e-5, 1e-2, 7)
    errs = [np.max(np.abs((dae_map(g2, t, x) - x) / t - sc)) for t in ts]
    slope = loglog_slope(ts, errs)
    assert 0.8 < slope < 1.2, slope
    np.testing.assert_array_equal(dae_velocity(g2, 0.0, x), sc)
    np.testing.assert_allclose(dae_velocity(g2, 0.3, x), (dae_map(g2, 0.3, x) - x) / 0.3,
                               rtol=1e-10, atol=1e-12)


# ----------------------------------------------------------------------------------------------
# entropy decrease, convexity
# ----------------------------------------------------------------------------------------------
def test_entropy_decreases_along_all_maps(g2):
    ts = np.linspace(0, 0.95 * singular_time(S0), 12)
    cont = [continuous_dae_pushforward(g2, t) for t in ts]
    dae = [dae_pushforward(g2, t) for t in np.linspace(0, 10, 12)]
    comp_fine = composition_pushforwards(g2, [0.05] * 12)
    comp_coarse = composition_pushforwards(g2, [0.5] * 4)
    for seq in (cont, dae, comp_fine, comp_coarse):
        for name in ("shannon", "renyi", "tsallis"):
            if name == "shannon":
                vals = [g.shannon_entropy() for g in seq]
            elif name == "renyi":
                vals = [g.renyi_entropy(2.0) for g in seq]
            else:
                vals = [g.tsallis_entropy(0.5) for g in seq]
            assert np.all(np.diff(vals) < 0), (name, vals)


def test_dae_map_is_gradient_of_convex_function(g2):
    rng = np.random.default_rng(11)
    h = 1e-5
    for t in (0.05, 0.5, 5.0):
        for x in rng.normal(size=(4, 2)) * 2:
            jac = np.stack(
                [(dae_map(g2, t, x + h * e) - dae_map(g2, t, x - h * e)) / (2 * h)
                 for e in np.eye(2)],
                axis=1,
            )
            assert np.max(np.abs(jac - jac.T)) < 1e-8
            w = np.linalg.eigvalsh(0.5 * (jac + jac.T))
            assert np.all(w > 0) and np.all(w < 1)
            # grad of the potential |x|^2/2 + t log(W_t * mu0) is the map
            grad = np.array([(dae_potential(g2, t, x + h * e)
                              - dae_potential(g2, t, x - h * e)) / (2 * h) for e in np.eye(2)])
            np.testing.assert_allclose(grad, dae_map(g2, t, x), atol=1e-7)


# ----------------------------------------------------------------------------------------------
# Figures 2 and 3
# ----------------------------------------------------------------------------------------------
def test_trajectories_figure2():
    g = Gaussian([0.0, 0.0], FIG_COV)
    xs, ys = np.meshgrid(np.linspace(-2, 2, 5), np.linspace(-2, 2, 5))
    pts = np.stack([xs.ravel(), ys.ravel()], axis=-1)
    t_grid = np.linspace(0, 0.5, 11)  # includes the singular time 1/2
    cont = trajectories(g, t_grid, pts, "continuous")
    assert cont.shape == (11, 25, 2)
    for i, t in enumerate(t_grid[:-1]):
        np.testing.assert_allclose(cont[i], continuous_dae_map(g, t, pts), atol=1e-14)
    np.testing.assert_allclose(cont[-1][:, 1], 0.0, atol=1e-14)  # axis 2 collapsed at t = 1/2
    np.testing.assert_allclose(cont[-1][:, 0], pts[:, 0] * np.sqrt(0.5), atol=1e-14)
    t_long = np.linspace(0, 3, 16)
    dae = trajectories(g, t_long, pts, "dae")
    for i, t in enumerate(t_long):
        np.testing.assert_allclose(dae[i], dae_map(g, t, pts), atol=1e-14)
    for tau in (0.05, 0.5):
        layers = int(round(3 / tau))
        ref = composition_map(g, [tau] * layers, pts)
        comp = trajectories(g, tau * np.arange(layers + 1), pts, "composition", tau=tau)
        np.testing.assert_allclose(comp, ref, atol=1e-13)
        # between the knots: the DAE of the current pushforward with the remaining time,
        # continuous at the knots
        pf = composition_pushforwards(g, [tau] * 2)[2]
        t_mid = [2 * tau + 0.3 * tau, 3 * tau * (1 - 1e-12)]
        mid = trajectories(g, t_mid, pts, "composition", tau=tau)
        np.testing.assert_allclose(mid[0], dae_map(pf, 0.3 * tau, ref[2]), atol=1e-13)
        np.testing.assert_allclose(mid[1], ref[3], atol=1e-10)


def test_sigma_trajectory_figure3():
    s0 = np.array([np.sqrt(2.0), 1.0])
    g = Gaussian([0.0, 0.0], s0**2)
    t_cont = np.linspace(0, 0.49, 8)
    sc = sigma_trajectory(s0, t_cont, "continuous")
    np.testing.assert_allclose(sc, np.sqrt(s0**2 - 2 * t_cont[:, None]), rtol=1e-14)
    for i, t in enumerate(t_cont):
        pf = continuous_dae_pushforward(g, t)
        np.testing.assert_allclose(sc[i] ** 2, np.diag(pf.cov), rtol=1e-13)
    t = np.linspace(0, 2, 9)
    sd = sigma_trajectory(g, t, "dae")
    for i, ti in enumerate(t):
        np.testing.assert_allclose(sd[i] ** 2, np.diag(dae_pushforward(g, ti).cov), rtol=1e-13)
    for tau, t_max in ((0.05, 0.7), (0.5, 2.0)):
        knots = tau * np.arange(int(round(t_max / tau)) + 1)
        sk = sigma_trajectory(s0, knots, "composition", tau=tau)
        pfs = composition_pushforwards(g, [tau] * (knots.size - 1))
        for i, pf in enumerate(pfs):
            np.testing.assert_allclose(sk[i] ** 2, np.diag(pf.cov), rtol=1e-12)
        # entropy levels: log s1 + log s2 + const is the Shannon entropy, and it decreases
        ent = entropy_of_sigmas(sk)
        np.testing.assert_allclose(ent, [pf.shannon_entropy() for pf in pfs], rtol=1e-12)
        assert np.all(np.diff(ent) < 0)
    # past the singular time the small axis of the tau = 0.05 composition collapses
    # super-exponentially (lam -> lam^3 / (lam + tau)^2): sigma_trajectory follows it down to an
    # exact 0, the Gaussian pushforwards refuse a numerically singular covariance
    knots = 0.05 * np.arange(41)
    sk = sigma_trajectory(s0, knots, "composition", tau=0.05)
    lam = s0**2
    for i in range(1, 41):
        lam = lam**3 / (lam + 0.05) ** 2
        np.testing.assert_allclose(sk[i] ** 2, lam, rtol=1e-12, atol=1e-300)
    assert sk[-1, 1] == 0.0 and np.all(np.diff(sk, axis=0) <= 0)
    assert entropy_of_sigmas(sk[-1]) == -np.inf
    with pytest.raises(WgflowError, match="after layer 15 .*numerically singular"):
        composition_pushforwards(g, [0.05] * 40)
    # the composition with small tau hugs the continuous curve; the single DAE leaves it
    t_cmp = np.array([0.4])
    cont = sigma_trajectory(s0, t_cmp)
    gap_fine = np.abs(sigma_trajectory(s0, t_cmp, "composition", tau=0.05) - cont).max()
    gap_dae = np.abs(sigma_trajectory(s0, t_cmp, "dae") - cont).max()
    assert gap_fine < gap_dae
    # level-set grid
    s1, s2 = np.meshgrid(np.linspace(0.1, 2, 4), np.linspace(0.1, 2, 3))
    ent = entropy_of_sigmas(np.stack([s1, s2], axis=-1))
    assert ent.shape == (3, 4)
    np.testing.assert_allclose(ent, np.log(s1) + np.log(s2) + np.log(2 * np.pi * np.e), rtol=1e-14)


def test_one_dimensional_figure1():
    g = Gaussian(0.0, 1.0)
    x = np.linspace(-3, 3, 13)
    for t in (0.5, 1.0):
        y = dae_map(g, t, x)
        assert y.shape == x.shape
        np.testing.assert_allclose(y, x / (1 + t), rtol=1e-14)
        assert abs(dae_pushforward(g, t).cov[0, 0] - 1 / (1 + t) ** 2) < 1e-15


# ----------------------------------------------------------------------------------------------
# bad input
# ----------------------------------------------------------------------------------------------
def test_bad_inputs(g2):
    x = g2.sample(3, rng=12)
    with pytest.raises(WgflowError, match=r"singular time lambda_min\(S0\)/2 = 0\.5"):
        continuous_dae_map(Gaussian([0, 0], FIG_COV), 0.6, x)
    with pytest.raises(WgflowError, match="singular time"):
        continuous_dae_pushforward(Gaussian([0, 0], FIG_COV), 0.5)
    with pytest.raises(WgflowError, match="past the singular time"):
        trajectories(Gaussian([0, 0], FIG_COV), [0, 0.7], x, "continuous")
    with pytest.raises(WgflowError, match="positive definite.*smallest eigenvalue"):
        Gaussian([0, 0], [[1.0, 2.0], [2.0, 1.0]])
    with pytest.raises(WgflowError, match="positive definite"):
        Gaussian([0, 0], [[1.0, 1.0], [1.0, 1.0]])
    with pytest.raises(WgflowError, match="positive definite"):
        dae_map(Gaussian([0, 0], [1.0, -1.0]), 0.1, x)
    with pytest.raises(WgflowError, match="symmetric"):
        Gaussian([0, 0], [[2.0, 0.5], [0.1, 1.0]])
    with pytest.raises(WgflowError, match=r"\(3, 3\) matrix"):
        Gaussian([0, 0, 0], S0)
    with pytest.raises(WgflowError, match="3 entries"):
        Gaussian([0, 0, 0], [1.0, 2.0])
    with pytest.raises(WgflowError, match=r"shape \(\.\.\., d\) with d = 2"):
        dae_map(g2, 0.1, np.zeros((4, 3)))
    with pytest.raises(WgflowError, match="points must be finite.*nan"):
        dae_map(g2, 0.1, np.array([[0.0, np.nan]]))
    with pytest.raises(WgflowError, match="points must be finite"):
        composition_map(g2, [0.1], np.array([[np.nan, 0.0]]))
    with pytest.raises(WgflowError, match="mean must be finite"):
        Gaussian([np.nan, 0], S0)
    with pytest.raises(WgflowError, match=r"taus\[1\] = 0\.0"):
        composition_pushforwards(g2, [0.1, 0.0])
    with pytest.raises(WgflowError, match=r"taus\[0\] = -0\.1"):
        composition_map(g2, [-0.1], x)
    with pytest.raises(WgflowError, match="t must be a finite real number >= 0, got -1.0"):
        dae_map(g2, -1.0, x)
    with pytest.raises(WgflowError, match="t must be a finite real number >= 0, got nan"):
        continuous_dae_map(g2, np.nan, x)
    with pytest.raises(WgflowError, match="unknown kind 'euler'; accepted"):
        trajectories(g2, [0, 0.1], x, "euler")
    with pytest.raises(WgflowError, match="needs the layer noise variance tau"):
        trajectories(g2, [0, 0.1], x, "composition")
    with pytest.raises(WgflowError, match="tau must be a finite number > 0"):
        sigma_trajectory([1.0, 1.0], [0, 0.1], "composition", tau=0.0)
    with pytest.raises(WgflowError, match="only used with kind='composition'"):
        trajectories(g2, [0, 0.1], x, "dae", tau=0.1)
    with pytest.raises(WgflowError, match="t_grid must hold times >= 0"):
        trajectories(g2, [0, -0.1], x, "dae")
    with pytest.raises(WgflowError, match=r"sigmas\[1\] = -1\.0"):
        sigma_trajectory([1.0, -1.0], [0.0])
    with pytest.raises(WgflowError, match="diagonal covariance"):
        sigma_trajectory(g2, [0.0])
    with pytest.raises(WgflowError, match="entropy order a must be a finite number > 0"):
        g2.renyi_entropy(0.0)
    with pytest.raises(WgflowError, match="n must be an integer"):
        g2.sample(-1)
    with pytest.raises(WgflowError, match="g must be a wgflow.gaussian.Gaussian"):
        dae_pushforward(S0, 0.1)
    with pytest.raises(WgflowError, match="g must be a wgflow.gaussian.Gaussian, got ndarray"):
        dae_map(x, 0.1, x)  # the data come first, then t, then the points
    with pytest.raises(ValueError):  # WgflowError is a ValueError
        singular_time([[1.0, 0.0], [0.0, -1.0]])
