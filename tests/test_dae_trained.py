"""Tests of wgflow.dae.trained: Theorem 2.1, a trained DAE approaches the posterior mean."""

from __future__ import annotations

import numpy as np
import pytest
from _helpers import loglog_slope

import wgflow as wg
from wgflow import gaussian as G
from wgflow.dae import dae_map, fit_dae, map_l2_distance, sample_density
from wgflow.errors import WgflowError


@pytest.fixture(scope="module")
def mixture():
    grid = wg.Grid([(-6, 6)], 200)
    return grid, wg.exact.heat_gaussian_mixture(grid, [0.4, 0.6], [-1.5, 1.0], [0.3, 0.5], 0.0)


@pytest.mark.parametrize("noise", ["gaussian", "laplace"])
def test_trained_dae_converges_to_dae_map(mixture, noise):
    grid, rho = mixture
    t = 0.3
    target = dae_map(rho, t, noise)
    sizes = [250, 1000, 4000]
    errors = []
    for n in sizes:
        errs = []
        for s in range(2):
            g = fit_dae(sample_density(rho, n, rng=s), t, noise, model="rff", rng=50 + s)
            errs.append(map_l2_distance(rho, g.on_grid(grid), target))
        errors.append(float(np.mean(errs)))
    rate = loglog_slope(sizes, errors)
    print(f"{noise}: ||g_n - Phi_t||_L2(rho) = {errors} for n = {sizes}: rate n^{rate:.2f}")
    assert errors[0] > errors[1] > errors[2]
    assert rate < -0.3
    assert errors[-1] < 0.05


def test_trained_dae_krr_and_2d():
    grid = wg.Grid([(-7, 7), (-7, 7)], 40)
    m0, s0 = np.array([0.7, -0.4]), np.array([[2.0, 0.6], [0.6, 1.0]])
    rho = wg.exact.heat_gaussian(grid, m0, s0, 0.0)
    samples = G.Gaussian(m0, s0).sample(1500, rng=1)
    phi = dae_map(rho, 0.5)
    scale = map_l2_distance(rho, phi)  # the displacement |Phi - id| in L2(rho)
    g0 = fit_dae(samples, 0.5, rng=2)
    g = fit_dae(samples, 0.5, rng=2, lengthscale="auto", ridge="auto")
    assert g.model == "krr" and g.n_train == 1500
    err0 = map_l2_distance(rho, g0.on_grid(grid), phi)
    err = map_l2_distance(rho, g.on_grid(grid), phi)
    print(f"2-D KRR, n = 1500: error {err0:.3e} (default hyperparameters), {err:.3e} "
          f"(leave-one-out: length {g.lengthscale}, ridge {g.ridge}); displacement {scale:.3e}")
    assert err < err0
    assert err < 0.2 * scale
    pts = np.array([[0.0, 0.0], [1.0, -1.0]])
    assert g(pts).shape == (2, 2)


def test_sample_density_matches_moments(mixture):
    grid, rho = mixture
    x = sample_density(rho, 20000, rng=0)
    mean = float(np.sum(rho.masses * grid.axes[0]) / rho.mass)
    assert x.shape == (20000, 1)
    assert abs(x.mean() - mean) < 0.03


def test_bad_training_input(mixture):
    grid, rho = mixture
    bad = np.array([[0.1], [np.nan], [0.3]])
    with pytest.raises(WgflowError, match=r"samples must be finite; found \[nan\] at row 1"):
        fit_dae(bad, 0.3)
    with pytest.raises(WgflowError, match="noise variance"):
        fit_dae(np.zeros((5, 1)), 0.0)
    with pytest.raises(WgflowError, match="unknown model 'cnn'; accepted: 'krr', 'rff', 'mlp'"):
        fit_dae(np.zeros((5, 1)), 0.3, model="cnn")
    with pytest.raises(WgflowError, match="hidden_layer_sizes=.8,. applies to model 'mlp', not"):
        fit_dae(np.zeros((5, 1)), 0.3, hidden_layer_sizes=(8,))
    with pytest.raises(WgflowError, match="n_features=10 applies to model 'rff', not to model="):
        fit_dae(np.zeros((5, 1)), 0.3, n_features=10)
    with pytest.raises(WgflowError, match="cannot be sampled|has no sampler"):
        fit_dae(np.zeros((5, 1)), 0.3, noise=lambda e: np.exp(-e * e / 2))
    with pytest.raises(WgflowError, match="columns"):
        fit_dae(np.zeros((5, 4)), 0.3)
    with pytest.raises(WgflowError, match="lengthscale must be a real number > 0, 'auto' or"):
        fit_dae(np.zeros((5, 1)), 0.3, lengthscale="wide")
    with pytest.raises(WgflowError, match="ridge must be a finite number > 0, got 0.0"):
        fit_dae(np.zeros((5, 1)), 0.3, ridge=0.0)
    g = fit_dae(np.random.default_rng(0).normal(size=(50, 1)), 0.3)
    with pytest.raises(WgflowError, match="trained in 1 dimensions"):
        g.on_grid(wg.Grid([(-1, 1), (-1, 1)], 4))
