"""Tests of wgflow.dae.composition: single DAEs and compositions (section 3.1), the
``continuous`` convenience (eq. (10)) and wgflow.dae.track.

References: the Gaussian closed forms of ``wgflow.gaussian`` (eqs. 12-13, the composition
recursion).  The Lagrangian solver behind ``continuous`` is tested in test_solvers_lagrangian.py.
"""

from __future__ import annotations

import numpy as np
import pytest
from _helpers import loglog_slope

import wgflow as wg
from wgflow import gaussian as G
from wgflow.dae import compose, continuous, dae_map, single, track
from wgflow.errors import WgflowError

M0 = np.array([0.7, -0.4])
S0 = np.array([[2.0, 0.6], [0.6, 1.0]])
LAW = G.Gaussian(M0, S0)


def _cov(rho: wg.Density) -> np.ndarray:
    w = rho.masses.ravel() / rho.mass
    p = rho.grid.points
    c = p - w @ p
    return c.T @ (c * w[:, None])


@pytest.fixture(scope="module")
def gauss2d():
    grid = wg.Grid([(-8, 8), (-8, 8)], 64)
    return grid, wg.exact.heat_gaussian(grid, M0, S0, 0.0)


def test_composition_covariances_match_recursion(gauss2d):
    grid, rho = gauss2d
    taus = [0.1, 0.2, 0.05, 0.15, 0.1]
    res = compose(rho, taus)
    exact = G.composition_pushforwards(LAW, taus)
    assert (res.flow, res.method) == ("dae", "dae-composition") and res.success
    assert len(res.densities) == len(res.maps) == len(taus) + 1
    assert np.allclose(res.times, np.concatenate([[0], np.cumsum(taus)]))
    assert set(res.statistics["pushforward_schemes"]) == {"pullback"}
    errs = [
        np.abs(_cov(d) - g.cov).max() / np.abs(g.cov).max()
        for d, g in zip(res.densities[1:], exact[1:])
    ]
    mask = rho.values > 1e-3 * rho.values.max()
    points = G.composition_map(LAW, taus, grid.points)  # (L + 1, N, 2)
    map_errs = [
        np.abs(m - points[k].T.reshape(m.shape))[:, mask].max()
        for k, m in enumerate(res.maps) if k > 0
    ]
    print(f"composition covariance errors {np.array(errs)}")
    print(f"composed-map errors {np.array(map_errs)}")
    assert max(errs) <= 1e-3  # every layer's covariance is the recursion's to 1e-3 relative
    assert max(map_errs) <= 1e-3
    for layer, tau in enumerate(taus):  # each layer is the DAE of its own input (eq. (13))
        phi = dae_map(res.densities[layer], tau)
        exact_layer = G.dae_map(exact[layer], tau, grid.points).T.reshape(phi.shape)
        inputs = res.densities[layer].values
        layer_mask = inputs > 1e-3 * inputs.max()
        assert np.abs(phi - exact_layer)[:, layer_mask].max() < 1e-4


def test_composition_approaches_continuous_at_first_order_in_tau():
    grid = wg.Grid([(-6, 6)], 400)
    var0, t = 1.0, 0.3  # singular time 0.5
    rho = wg.exact.heat_gaussian(grid, 0.3, var0, 0.0)
    # (the map is compared where mu0 > 1e-2 of its peak: composing many small DAEs amplifies
    # round-off in the far tails by about 2 per layer, see the Notes of compose)
    taus = [0.06, 0.03, 0.015, 0.0075]
    mask = rho.values > 1e-2 * rho.values.max()
    var_err, map_err = [], []
    exact_map = G.continuous_dae_map(G.Gaussian(0.3, var0), t, grid.axes[0])
    for tau in taus:
        res = compose(rho, [tau] * int(round(t / tau)))
        var_err.append(abs(_cov(res.final)[0, 0] - (var0 - 2 * t)))
        map_err.append(np.abs(res.maps[-1][0] - exact_map)[mask].max())
    s_var, s_map = loglog_slope(taus[1:], var_err[1:]), loglog_slope(taus[1:], map_err[1:])
    print(f"composition vs continuous: variance errors {var_err} (slope {s_var:.3f}); "
          f"map errors {map_err} (slope {s_map:.3f})")
    assert 0.85 < s_var < 1.15 and 0.85 < s_map < 1.15


def test_single_dae_family_is_figure_1():
    """Figure 1: N(0, 1) pushed by DAEs with t = 0.5 and 1.0 (variances 1/1.5^2 and 1/4)."""
    grid = wg.Grid([(-6, 6)], 300)
    rho = wg.exact.heat_gaussian(grid, 0.0, 1.0, 0.0)
    res = single(rho, [0.5, 1.0], track=["shannon"])
    assert (res.flow, res.method) == ("dae", "dae-single")
    assert np.array_equal(res.times, [0.0, 0.5, 1.0])
    for d, v in zip(res.densities[1:], [1 / 1.5**2, 0.25]):
        assert abs(_cov(d)[0, 0] - v) < 1e-6
    assert np.array_equal(res.maps[1], dae_map(rho, 0.5))
    assert np.all(np.diff(res.tracked["shannon"]) < 0)
    assert np.array_equal(res.tracked_times["shannon"], res.times)


def test_continuous_is_the_lagrangian_backward_heat_solve(gauss2d):
    _, rho = gauss2d
    options = dict(t_eval=[0.1, 0.2], track=["shannon"], smoothing=0.5, integrator="heun")
    res = continuous(rho, 0.2, 0.05, **options)
    ref = wg.solve(wg.flows.BackwardHeat(), rho, 0.2, 0.05, method="lagrangian", maps=True,
                   **options)
    assert (res.flow, res.method) == ("backward-heat", "lagrangian") and res.success
    assert res.settings == ref.settings and np.array_equal(res.times, ref.times)
    assert all(np.array_equal(a, b) for a, b in zip(res.maps, ref.maps))
    assert all(np.array_equal(a.values, b.values) for a, b in zip(res.densities, ref.densities))
    assert np.array_equal(res.tracked["shannon"], ref.tracked["shannon"])


def test_composition_result_saves_and_loads(gauss2d, tmp_path):
    _, rho = gauss2d
    res = compose(rho, [0.1, 0.2], mass_tol=2e-3, track=["shannon", "mass"])
    assert res.settings == {"noise": "gaussian", "quadrature": "auto", "scheme": "auto",
                            "mass_tol": 2e-3, "taus": [0.1, 0.2]}
    back = wg.SolveResult.load(res.save(tmp_path / "composition"))
    assert (back.flow, back.method, back.settings) == (res.flow, res.method, res.settings)
    assert np.array_equal(back.times, res.times)
    assert all(np.array_equal(a, b) for a, b in zip(back.maps, res.maps))
    assert all(np.array_equal(a.values, b.values) for a, b in zip(back.densities, res.densities))
    assert all(np.array_equal(back.tracked[k], res.tracked[k]) for k in res.tracked)


def test_tracking_along_a_composition(gauss2d):
    _, rho = gauss2d
    names = ["shannon", "renyi:2", "tsallis:2", "mass", "w2"]
    taus = [0.1] * 4
    res = compose(rho, taus, track=names)
    exact = G.composition_pushforwards(LAW, taus)
    print({k: np.round(v, 6).tolist() for k, v in res.tracked.items()})
    for key in ("shannon", "renyi:2", "tsallis:2"):
        assert np.all(np.diff(res.tracked[key]) < 0), key  # a DAE decreases entropy
    assert np.all(np.diff(res.tracked["w2"]) > 0)
    assert np.allclose(res.tracked["mass"], rho.mass, rtol=1e-12)
    h_exact = np.array([g.shannon_entropy() for g in exact])
    assert np.abs(res.tracked["shannon"] - h_exact).max() < 1e-4
    r2_exact = np.array([g.renyi_entropy(2) for g in exact])
    assert np.abs(res.tracked["renyi:2"] - r2_exact).max() < 1e-4
    series = track(res.densities, "shannon", res.times)
    assert np.array_equal(series["shannon"], res.tracked["shannon"])
    assert np.array_equal(series["times"], res.times)
    assert np.array_equal(track(res.densities, ["mass"])["times"], np.arange(5.0))


def test_bad_composition_and_single_input(gauss2d):
    grid, rho = gauss2d
    for bad in ([0.1, 0.0], [0.1, -0.2], [float("nan")], []):
        with pytest.raises(WgflowError, match="taus"):
            compose(rho, bad)
        with pytest.raises(WgflowError, match="times"):
            single(rho, bad)
    with pytest.raises(WgflowError, match="rho0 must be a wgflow.Density"):
        compose(np.ones(grid.shape), [0.1])
    with pytest.raises(WgflowError, match="pushforward scheme 'nearest'; accepted"):
        compose(rho, [0.1], scheme="nearest")
