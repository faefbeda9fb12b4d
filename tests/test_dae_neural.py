"""Tests of fit_dae(model="mlp") (wgflow.dae.neural): a perceptron trained to denoise (section
2.1) approaches the exact DAE of its samples (Theorem 2.1), measured against
wgflow.dae.empirical on real data (two standardised features of scikit-learn's wine data).

Training is kept small here (networks of 16-32 units, 1e4-4e4 pairs, about a second each);
the default settings are measured by benchmarks/bench_neural_dae.py.
"""

from __future__ import annotations

import sys
import warnings

import numpy as np
import pytest
from _helpers import raises_naming

import wgflow as wg
from wgflow.dae import TrainedDAE, fit_dae
from wgflow.dae.empirical import DeepDAE, EmpiricalDAE, empirical_compose, relative_map_error
from wgflow.dae.trained import fit_deep_dae
from wgflow.errors import ConvergenceWarning, WgflowError

pytest.importorskip("sklearn")

T = 0.1


@pytest.fixture(scope="module")
def wine():
    """Flavanoids and colour intensity of the 178 wines, standardised: three cultivars in
    three arms of a bent point cloud."""
    from sklearn.datasets import load_wine

    data = load_wine()
    names = list(data.feature_names)
    x = data.data[:, [names.index("flavanoids"), names.index("color_intensity")]]
    return (x - x.mean(axis=0)) / x.std(axis=0)


@pytest.fixture(scope="module")
def exact(wine):
    return EmpiricalDAE(wine, T)


@pytest.fixture(scope="module")
def small_net(wine):
    """Two hidden layers of 32 units, 100 corrupted copies of each wine (17800 pairs)."""
    return fit_dae(wine, T, model="mlp", hidden_layer_sizes=(32, 32), n_noise=100, rng=0)


def best_affine_error(samples, t, reference):
    """The relative error of the best affine map x -> A x + b in L2 of the corrupted law
    (least squares against Phi* on the Monte Carlo points of ``relative_map_error``)."""
    points = np.repeat(samples, 50, axis=0)
    points += np.sqrt(t) * np.random.default_rng(123).standard_normal(points.shape)
    design = np.column_stack([points, np.ones(len(points))])
    coef = np.linalg.lstsq(design, reference(points), rcond=None)[0]
    return relative_map_error(lambda p: np.column_stack([p, np.ones(len(p))]) @ coef,
                              samples, t, rng=123, reference=reference).relative


def test_network_approaches_the_exact_dae_of_the_data(wine, exact, small_net):
    """Relative map error ||g - Phi*|| / ||Phi* - id|| in L2 of the corrupted law.

    Over eight seeds this configuration measured 0.268 on average (standard deviation 0.008,
    range 0.259-0.284); the Monte Carlo error of one evaluation (8900 points) is about 0.003.
    The bound is the mean plus four standard deviations.  The identity is at 1 and the best
    affine map (the best any linear denoiser can do) at 0.83: the network has learnt the
    three arms."""
    assert isinstance(small_net, TrainedDAE)
    assert small_net.model == "mlp" and small_net.n_train == 17800
    assert small_net.lengthscale is None and small_net.ridge is None
    info = small_net.network
    assert info.hidden_layer_sizes == (32, 32) and info.n_parameters == 1218
    assert info.stopped_early and 0 < info.n_epochs < 200 and len(info.loss_curve) == info.n_epochs
    err = relative_map_error(small_net, wine, T, rng=123, reference=exact)
    affine = best_affine_error(wine, T, exact)
    print(f"network {err.relative:.3f} +- {err.standard_error:.3f}; best affine map {affine:.3f}")
    assert err.standard_error < 0.01
    assert err.relative < 0.30
    assert err.relative < 0.5 * affine


def test_error_falls_with_the_number_of_corrupted_copies(wine, exact):
    """Theorem 2.1: the trained map tends to the minimiser of eq. (2) as the training pairs
    grow.  The targets are noisy, so the error is mostly the fit's variance: ten times more
    copies (25 -> 250 per sample, 16-unit layers) lowered it from 0.50 +- 0.08 to
    0.23 +- 0.02 (means and standard deviations over eight seeds; worst pair 0.42 / 0.25)."""
    errors = [
        relative_map_error(
            fit_dae(wine, T, model="mlp", hidden_layer_sizes=(16, 16), n_noise=n, rng=3),
            wine, T, rng=123, reference=exact,
        ).relative
        for n in (25, 250)
    ]
    print(f"relative errors with 25 and 250 copies: {errors}")
    assert errors[1] < 0.75 * errors[0]


def test_the_network_is_a_trained_dae_on_grids_and_points(wine, exact, small_net):
    """On the grid like any TrainedDAE.  Its pushforward of the data's kernel density estimate
    (bandwidth sqrt(t)) is as far from the exact DAE's pushforward as 0.31 times the distance
    the exact DAE moves the density (relative L1; over six seeds 0.300-0.327, standard
    deviation 0.011): the pushforward error follows the map error.  Bound: mean + 4 sd; the
    pushed samples obey the same bound."""
    grid = wg.Grid([(-4.0, 4.5), (-3.5, 4.5)], (68, 64))
    values = small_net.on_grid(grid)
    assert values.shape == (2, 68, 64)
    assert np.array_equal(values[:, 5, 9], small_net(grid.points[5 * 64 + 9 : 5 * 64 + 10])[0])
    rho = wg.Density.from_samples(grid, wine, bandwidth=np.sqrt(T))
    trained = wg.dae.pushforward(rho, values)
    reference = wg.dae.pushforward(rho, exact.on_grid(grid))
    assert abs(trained.mass - rho.mass) < 1e-8
    l1 = trained.relative_l1_error(reference)
    moved = rho.relative_l1_error(reference)
    print(f"L1 pushforward error {l1:.3f}, the exact DAE moves {moved:.3f}")
    assert l1 < 0.36 * moved
    pushed = small_net(wine)
    assert pushed.shape == wine.shape
    assert np.sqrt(np.mean((pushed - exact.pushforward()) ** 2)) < 0.36 * np.sqrt(
        np.mean((exact.pushforward() - wine) ** 2))


def test_same_seed_same_network(wine):
    kwargs = dict(model="mlp", hidden_layer_sizes=8, n_noise=20, max_epochs=15)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        a = fit_dae(wine, T, rng=11, **kwargs)
        b = fit_dae(wine, T, rng=11, **kwargs)
        c = fit_dae(wine, T, rng=12, **kwargs)
    points = np.random.default_rng(0).normal(size=(50, 2))
    assert np.array_equal(a(points), b(points))
    assert not np.allclose(a(points), c(points))
    assert a.network.hidden_layer_sizes == (8,)


def test_deep_dae_of_trained_layers_follows_the_exact_composition(wine):
    """Two layers of tau = 0.1, each trained on the samples pushed by the trained layer before
    it.  The root-mean-square gap between the trained and the exact trajectories of the
    samples, relative to the exact composition's displacement of them, measured 0.255-0.298
    after each layer over six seeds (mean 0.275, standard deviation 0.015): bound 0.35."""
    taus = [0.1, 0.1]
    deep = fit_deep_dae(wine, taus, model="mlp", hidden_layer_sizes=(32, 32), n_noise=100, rng=5)
    exact = empirical_compose(wine, taus)
    assert isinstance(deep, DeepDAE) and deep.samples.shape == (3, 178, 2)
    assert np.allclose(deep.times, [0.0, 0.1, 0.2])
    for layer, tau, before, after in zip(deep.layers, taus, deep.samples[:-1], deep.samples[1:]):
        assert layer.t == tau and layer.model == "mlp"
        assert np.array_equal(layer(before), after)
    assert np.array_equal(deep(wine), deep.samples[-1])
    gap = np.sqrt(np.mean(np.sum((deep.samples - exact.samples) ** 2, axis=2), axis=1))
    moved = np.sqrt(np.mean(np.sum((exact.samples - wine) ** 2, axis=2), axis=1))
    print(f"trajectory gap {gap}, exact displacement {moved}")
    assert np.all(gap[1:] < 0.35 * moved[1:])


def test_convergence_warning_when_epochs_run_out(wine):
    with pytest.warns(ConvergenceWarning, match="max_epochs=2"):
        g = fit_dae(wine, T, model="mlp", hidden_layer_sizes=8, n_noise=20, max_epochs=2, rng=0)
    assert not g.network.stopped_early and g.network.n_epochs == 2


def test_bad_network_input(wine, monkeypatch):
    with raises_naming("unknown model 'cnn'", "'krr', 'rff', 'mlp'"):
        fit_dae(wine, T, model="cnn")
    with raises_naming("too few training pairs", "178 samples x n_noise=10", "1780 pairs",
                       "4482 parameters", "44820", "n_noise >= 252"):
        fit_dae(wine, T, model="mlp", n_noise=10)
    for bad in [(), 0, (64, 0), "64", (64.5,), True, (8, None)]:
        with raises_naming("hidden_layer_sizes", repr(bad)):
            fit_dae(wine, T, model="mlp", hidden_layer_sizes=bad)
    with raises_naming("unknown mlp_options 'dropout'", "learning_rate_init"):
        fit_dae(wine, T, model="mlp", mlp_options={"dropout": 0.5})
    with raises_naming("'max_iter'", "max_epochs"):
        fit_dae(wine, T, model="mlp", mlp_options={"max_iter": 5})
    with raises_naming("mlp_options", "activation"):
        fit_dae(wine, T, model="mlp", hidden_layer_sizes=4, n_noise=10,
                mlp_options={"activation": "cubic"})
    with raises_naming("lengthscale=0.5", "'krr', 'rff'", "model='mlp'"):
        fit_dae(wine, T, model="mlp", lengthscale=0.5)
    with raises_naming("max_epochs", "0"):
        fit_dae(wine, T, model="mlp", max_epochs=0)
    with raises_naming("taus", "[]"):
        fit_deep_dae(wine, [], model="mlp")
    # scikit-learn missing: its import fails, and the error says how to install it
    monkeypatch.setitem(sys.modules, "sklearn", None)
    monkeypatch.setitem(sys.modules, "sklearn.neural_network", None)
    with raises_naming("scikit-learn is not installed", 'pip install "wgflow[neural]"'):
        fit_dae(wine, T, model="mlp")
    with pytest.raises(WgflowError, match="scikit-learn"):
        fit_dae(wine, T, model="mlp", mlp_options={"alpha": 1.0})
