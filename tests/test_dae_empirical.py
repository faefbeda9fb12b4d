"""Tests of wgflow.dae.empirical: the exact DAE of an empirical measure (Theorem 2.1, eq. 7),
its compositions (section 3.1) and the Monte Carlo map error."""

from __future__ import annotations

import math

import numpy as np
import pytest
from _helpers import loglog_slope, raises_naming
from findiff import Diff
from scipy.special import softmax

import wgflow as wg
from wgflow import gaussian as G
from wgflow.dae.empirical import (
    DeepDAE,
    EmpiricalDAE,
    MapError,
    empirical_compose,
    relative_map_error,
)
from wgflow.errors import WgflowError

M0 = np.array([0.5, -0.3])
S0 = np.array([[2.0, 0.6], [0.6, 1.0]])


def direct_posterior(points, samples, t, weights=None):
    """Eq. (3) for an empirical measure, written out: softmax of -|p - x_j|^2 / 2t + log w_j
    over the samples (scipy), the weighted mean of the samples, and the log of the Gaussian
    kernel density estimate of bandwidth sqrt(t) summed term by term."""
    w = np.full(len(samples), 1.0 / len(samples)) if weights is None else weights / weights.sum()
    dist2 = np.sum((points[:, None, :] - samples[None, :, :]) ** 2, axis=2)
    with np.errstate(divide="ignore"):
        logits = np.log(w) - dist2 / (2 * t)
    d = samples.shape[1]
    kde = (w * np.exp(-dist2 / (2 * t))).sum(axis=1) / (2 * np.pi * t) ** (d / 2)
    return softmax(logits, axis=1) @ samples, np.log(kde)


def test_posterior_mean_and_kde_equal_the_direct_sums():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(40, 2)) * [1.5, 0.7] + [3.0, -1.0]
    weights = rng.uniform(size=40)
    weights[:5] = 0.0  # atoms of weight zero pull nothing
    points = rng.normal(size=(300, 2)) * 2 + [3.0, -1.0]
    for w in (None, weights):
        phi = EmpiricalDAE(x, 0.2, w)
        mean, log_kde = direct_posterior(points, x, 0.2, w)
        assert np.abs(phi(points) - mean).max() < 1e-12 * np.abs(x).max()
        assert np.abs(phi.log_density(points) - log_kde).max() < 1e-12
        assert np.abs(phi.score(points) - (mean - points) / 0.2).max() < 1e-10
        assert np.allclose(phi.pushforward(), direct_posterior(x, x, 0.2, w)[0], atol=1e-12)
    assert np.abs(EmpiricalDAE(x, 0.2, weights)(x[:5]) - x[:5]).min() > 0  # x_0..4 not atoms


def test_far_points_are_finite_and_go_to_the_extreme_atom():
    """Far from the data every weight of eq. (3) underflows; the log-sum-exp keeps the
    dominant atom: the one that maximises p.x_j - |x_j|^2 / 2 (here the right end)."""
    x = np.array([[0.0], [1.0], [2.0]])
    phi = EmpiricalDAE(x, 1e-3)
    far = np.array([[1e3], [-1e3]])
    assert np.array_equal(phi(far), [[2.0], [0.0]])
    dominant = -((far[:, 0] - [2.0, 0.0]) ** 2) / 2e-3 + np.log(1 / 3) - 0.5 * np.log(2e-3 * np.pi)
    assert np.allclose(phi.log_density(far), dominant, rtol=1e-14)


def test_score_is_the_gradient_of_log_kde_fourth_order_findiff():
    """grad log KDE by findiff's fourth-order central differences of ``log_density`` on a
    2-D lattice: the difference to ``score`` falls like h^4 (log-log slope)."""
    x = np.random.default_rng(1).normal(size=(200, 2)) * [1.0, 0.5]
    phi = EmpiricalDAE(x, 0.1)
    errors, steps = [], []
    for n in (41, 81):
        axis = np.linspace(-1.0, 1.0, n)
        h = axis[1] - axis[0]
        pts = np.stack([a.ravel() for a in np.meshgrid(axis, axis, indexing="ij")], axis=1)
        log_kde = phi.log_density(pts).reshape(n, n)
        score = phi.score(pts).T.reshape(2, n, n)
        errors.append(max(np.abs(Diff(i, h, acc=4)(log_kde) - score[i]).max() for i in range(2)))
        steps.append(h)
    order = loglog_slope(steps, errors)
    print(f"findiff acc=4 against the score: errors {errors}, order {order:.2f}")
    assert 3.7 < order < 4.3
    assert errors[-1] < 1e-4 * np.abs(score).max()


def test_kde_and_score_agree_with_the_library_on_fine_grids():
    """``Density.from_samples(bandwidth=sqrt(t))`` is W_t * mu0 at the cell centres (its walls
    are more than 8 bandwidths from every sample, so the mirror images add less than e^-34 of
    the peak); ``wg.dae.score`` of it (fourth-order differences) approaches
    ``EmpiricalDAE.score`` at order 4."""
    x = np.random.default_rng(2).normal(size=(150, 2)) * [1.0, 0.6]
    t = 0.1
    phi = EmpiricalDAE(x, t)
    errors, steps = [], []
    for n in (160, 320):
        grid = wg.Grid([(-5, 5), (-5, 5)], n)
        rho = wg.Density.from_samples(grid, x, bandwidth=math.sqrt(t))
        kde = np.exp(phi.log_density(grid.points)).reshape(grid.shape)
        assert np.abs(kde - rho.values).max() < 1e-12 * rho.values.max()
        exact = phi.score(grid.points).T.reshape(2, *grid.shape)
        mask = rho.values > 1e-3 * rho.values.max()
        errors.append(float(np.abs(wg.dae.score(rho) - exact)[:, mask].max()))
        steps.append(grid.spacing[0])
    order = loglog_slope(steps, errors)
    print(f"library score against EmpiricalDAE.score: {errors}, order {order:.2f}")
    assert 3.7 < order < 4.3


def test_on_grid_is_the_map_at_the_cell_centres_and_pushes_grid_densities():
    x = np.random.default_rng(3).normal(size=(60, 2))
    phi = EmpiricalDAE(x, 0.5)
    grid = wg.Grid([(-6, 6), (-5, 5)], (48, 40))
    values = phi.on_grid(grid)
    assert values.shape == (2, 48, 40)
    assert np.array_equal(values[:, 7, 11], phi(grid.points)[7 * 40 + 11])
    rho = wg.Density.from_samples(grid, x, bandwidth=math.sqrt(0.5))
    pushed = wg.dae.pushforward(rho, values)
    assert abs(pushed.mass - rho.mass) < 1e-10


def test_gaussian_limit_is_eq13_within_the_sampling_error():
    """For samples of N(m0, S0) the exact empirical DAE tends to the Gaussian DAE of eq. (13).

    ``Phi*(p)`` is a self-normalised sum ``sum_j p_j x_j``; by the delta method its sampling
    variance is ``sum_j p_j^2 (x_j - Phi*(p))^2`` per coordinate (computed here from the
    samples, independently of the module).  The errors divided by that standard error are
    about standard normal: their root mean square over 300 points of the corrupted law is 1
    up to the spread of 600 values that are correlated over the noise scale (over 20 draws
    of samples and points: mean 1.04, standard deviation 0.19, largest 1.64); the bound is
    that mean plus 3.5 standard deviations.  A wrong bandwidth (``2t`` for ``t``) gives
    z-scores near 5."""
    law = G.Gaussian(M0, S0)
    t = 0.3
    x = law.sample(5000, rng=7)
    points = G.Gaussian(M0, S0 + t * np.eye(2)).sample(300, rng=8)
    phi = EmpiricalDAE(x, t)(points)
    weights = softmax(-np.sum((points[:, None] - x[None]) ** 2, axis=2) / (2 * t), axis=1)
    se = np.sqrt(np.einsum("ij,ijd->id", weights**2, (x[None] - phi[:, None]) ** 2))
    z = (phi - G.dae_map(law, t, points)) / se
    rms = float(np.sqrt(np.mean(z**2)))
    print(f"RMS z-score of the empirical DAE against eq. (13): {rms:.3f}")
    assert rms < 1.75


def test_composition_is_layer_by_layer_the_exact_dae_of_the_pushed_samples():
    rng = np.random.default_rng(4)
    x = rng.normal(size=(80, 2)) * [1.2, 0.6]
    weights = rng.uniform(0.5, 1.5, size=80)
    taus = [0.05, 0.1, 0.2]
    deep = empirical_compose(x, taus, weights)
    assert isinstance(deep, DeepDAE) and len(deep.layers) == 3
    assert deep.samples.shape == (4, 80, 2)
    assert np.allclose(deep.times, [0.0, 0.05, 0.15, 0.35])
    y = x
    for layer, tau, pushed in zip(deep.layers, taus, deep.samples[1:]):
        y = direct_posterior(y, y, tau, weights)[0]  # the DAE of the pushed samples, at them
        assert np.abs(pushed - y).max() < 1e-12
        assert layer.t == tau
    points = rng.normal(size=(30, 2))
    path = deep.trajectories(points)
    assert path.shape == (4, 30, 2) and np.array_equal(path[0], points)
    assert np.array_equal(deep(points), path[-1])
    # blurring mean shift contracts: the spread of the samples falls layer by layer
    spread = [np.trace(np.cov(s.T, aweights=weights)) for s in deep.samples]
    assert np.all(np.diff(spread) < 0)


def test_composition_tends_to_the_gaussian_composition_at_the_sampling_rate():
    """Trajectories of fixed points in the bulk of N(m0, S0) (Mahalanobis radius < 1.5)
    through three exact layers of k samples approach those of the Gaussian composition
    (section 3.1, eqs. 13) like k^(-1/2): the log-log slope of the root-mean-square error
    over k = 1000, 4000 (two draws each; a draw's error spreads by about 10%, so the
    slope's sampling spread is about 0.07) lies within 0.25 of -1/2."""
    law = G.Gaussian(M0, S0)
    taus = [0.1, 0.1, 0.1]
    points = law.sample(200, rng=99)
    radius = np.linalg.solve(np.linalg.cholesky(S0), (points - M0).T)
    points = points[np.sum(radius**2, axis=0) < 1.5**2]
    exact = G.composition_map(law, taus, points)[-1]
    sizes, errors = [1000, 4000], []
    for k in sizes:
        errs = [np.sqrt(np.mean((empirical_compose(law.sample(k, rng=s + k), taus)(points)
                                 - exact) ** 2)) for s in range(2)]
        errors.append(float(np.mean(errs)))
    slope = loglog_slope(sizes, errors)
    print(f"composition vs Gaussian closed form: errors {errors}, slope {slope:.2f}")
    assert -0.75 < slope < -0.25


def test_relative_map_error_of_known_maps():
    """The identity is exactly one displacement away (relative error 1); the exact map is 0;
    the map ``x + s (Phi* - x)`` is ``|1 - s|`` away, with no Monte Carlo error at all."""
    x = np.random.default_rng(5).normal(size=(50, 2))
    phi = EmpiricalDAE(x, 0.2)
    ident = relative_map_error(lambda p: p, x, 0.2, rng=1)
    assert isinstance(ident, MapError) and ident.n_points == 50 * 50
    assert ident.relative == pytest.approx(1.0, abs=1e-12) and ident.standard_error < 1e-12
    assert relative_map_error(phi, x, 0.2, rng=1, reference=phi).relative == 0.0
    half = relative_map_error(lambda p: p + 0.3 * (phi(p) - p), x, 0.2, n_draws=20, rng=2)
    assert half.relative == pytest.approx(0.7, abs=1e-12)
    assert half.displacement == pytest.approx(ident.displacement, rel=0.2)


def test_relative_map_error_standard_error_matches_the_spread_of_draws():
    """A map with an error that is random across the corrupted law: the standard error
    reported by one evaluation is the spread of the relative error over repeated draws
    (20 repetitions: the spread's own relative sampling error is about 1/sqrt(40) = 16%)."""
    x = np.random.default_rng(6).normal(size=(30, 2))
    phi = EmpiricalDAE(x, 0.2)

    def model(p):
        return phi(p) + 0.05 * np.sin(3.0 * p[:, ::-1])

    runs = [relative_map_error(model, x, 0.2, n_draws=10, reference=phi, rng=s) for s in range(20)]
    spread = float(np.std([r.relative for r in runs], ddof=1))
    reported = float(np.mean([r.standard_error for r in runs]))
    print(f"spread of the relative error {spread:.4f}, reported standard error {reported:.4f}")
    assert 0.6 < reported / spread < 1.6


def test_bad_input():
    x = np.zeros((4, 2))
    with raises_naming("noise variance", "-1.0"):
        EmpiricalDAE(x, -1.0)
    with raises_naming("weights", "(4,)"):
        EmpiricalDAE(x, 0.1, weights=[1.0, 2.0])
    with raises_naming("weights", "-1.0"):
        EmpiricalDAE(x, 0.1, weights=[1.0, -1.0, 1.0, 1.0])
    with raises_naming("weights must not all be zero"):
        EmpiricalDAE(x, 0.1, weights=np.zeros(4))
    with raises_naming("points", "(k, 2)"):
        EmpiricalDAE(x, 0.1)(np.zeros((3, 3)))
    with raises_naming("samples", "[nan, 0.0]", "row 1"):
        EmpiricalDAE([[0.0, 0.0], [np.nan, 0.0]], 0.1)
    with raises_naming("2-dimensional", "3 dimensions"):
        EmpiricalDAE(x, 0.1).on_grid(wg.Grid([(0, 1)] * 3, 4))
    with raises_naming("taus", "[]"):
        empirical_compose(x, [])
    with raises_naming("taus[1]", "0.0"):
        empirical_compose(x, [0.1, 0.0])
    with raises_naming("n_draws", "0"):
        relative_map_error(lambda p: p, x, 0.1, n_draws=0)
    with raises_naming("(8, 2)", "(8,)"):
        relative_map_error(lambda p: p[:, 0], x, 0.1, n_draws=2)
    with pytest.raises(WgflowError):
        EmpiricalDAE(x, 0.1).on_grid("grid")  # type: ignore[arg-type]
