"""Backward flows by the semi-implicit JKO step: what the scheme computes, checked exactly.

The step freezes the first variation of the entropy at ``G_s * rho`` (Gaussian filter of
standard deviation s).  For a centred Gaussian of variance S in 1-D the frozen velocity
of the backward heat equation is ``x / (S + s^2)``, so the scheme's time-continuous
limit is the ODE ``dS/dt = -2 S / (S + s^2)`` (exact backward heat: ``dS/dt = -2``).
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy.integrate import solve_ivp

import wgflow as wg
from wgflow.errors import WgflowError
from wgflow.functionals import covariance


def _variance_ode(S0: float, s: float, t: float) -> float:
    sol = solve_ivp(lambda _, S: -2 * S / (S + s**2), (0, t), [S0], rtol=1e-12, atol=1e-14)
    return float(sol.y[0, -1])


def test_backward_heat_gaussian_follows_the_smoothed_dynamics_at_first_order():
    """Variance after the run against the ODE of the smoothed velocity; the scheme is
    first order in dt (explicit in the frozen velocity), so halving dt halves the gap."""
    grid = wg.Grid([(-4, 4)], 512)
    S0, s, t_end = 0.5, 0.05, 0.1
    rho0 = wg.exact.heat_gaussian(grid, [0.0], S0, 0.0)
    target = _variance_ode(S0, s, t_end)
    gaps = []
    for dt in (4e-3, 2e-3):
        # gamma = 2e-3 keeps 2 dt / gamma small, so the scalings stay in the exp domain
        result = wg.solve(wg.flows.BackwardHeat(), rho0, t_end, dt, smoothing=s, gamma=2e-3)
        assert result.success, result.message
        gaps.append(abs(covariance(result.final)[0, 0] - target))
    assert gaps[1] < 0.65 * gaps[0]
    assert gaps[1] < 5e-3 * target


def test_backward_heat_decreases_every_entropy_and_keeps_mass():
    grid = wg.Grid([(-2, 2), (-2, 2)], (64, 64))
    rho0 = wg.exact.heat_gaussian(grid, [0.1, -0.1], [[0.3, 0.1], [0.1, 0.25]], 0.0)
    result = wg.solve(wg.flows.BackwardHeat(), rho0, 0.05, 5e-3, smoothing=0.1,
                      track=["shannon", "renyi:2", "tsallis:2", "mass"])
    assert result.success, result.message
    for name in ("shannon", "renyi:2", "tsallis:2"):
        assert np.all(np.diff(result.tracked[name]) < 0), name
        assert result.statistics["largest_increase"][name] == 0.0
    mass = result.tracked["mass"]
    assert np.max(np.abs(mass - mass[0])) <= 1e-10 * mass[0]
    assert result.settings["smoothing"] == 0.1


def test_well_prepared_mixture_half_way_back():
    """1-D mixture of three Gaussians diffused to T = 0.2 and driven back to 0.5 T with
    smoothing 0.1: measured relative L1 error 8.6e-3 (smoothing bias, O(s^2))."""
    grid = wg.Grid([(-5, 5)], 1024)
    weights, means, covs, T = [0.3, 0.45, 0.25], [[-1.2], [0.3], [1.5]], [0.15, 0.1, 0.2], 0.2
    data = wg.exact.heat_gaussian_mixture(grid, weights, means, covs, T)
    result = wg.solve(wg.flows.BackwardHeat(), data, 0.5 * T, 1e-3, smoothing=0.1)
    assert result.success, result.message
    exact = wg.exact.heat_gaussian_mixture(grid, weights, means, covs, 0.5 * T)
    assert result.final.relative_l1_error(exact) < 1.5e-2


def test_gaussian_past_its_singular_time_stops_with_a_message():
    """N(0, 0.02) reaches its singular time at t = 0.01; asked to go to 0.03 the run must
    stop with success=False, keep what it computed, and name the option to raise."""
    grid = wg.Grid([(-1, 1)], 256)
    rho0 = wg.exact.heat_gaussian(grid, [0.0], 0.02, 0.0)
    result = wg.solve(wg.flows.BackwardHeat(), rho0, 0.03, 1e-3, smoothing=0.01)
    assert not result.success
    assert "smoothing" in result.message and "rough" in result.message
    assert result.times[-1] < 0.03
    assert all(np.isfinite(rho.values).all() and (rho.values >= 0).all() for rho in result.densities)


def test_backward_porous_medium_decreases_tsallis_entropy():
    grid = wg.Grid([(-1, 1)], 512)
    rho0 = wg.exact.barenblatt(grid, 2.0, 0.02, 0.05)
    result = wg.solve(wg.flows.BackwardPorousMedium(2), rho0, 2e-3, 2e-4, smoothing=0.02,
                      track=["tsallis:2", "mass"])
    assert result.success, result.message
    assert np.all(np.diff(result.tracked["tsallis:2"]) < 0)


def test_backward_flow_bad_input():
    grid = wg.Grid([(-1, 1)], 64)
    rho0 = wg.exact.heat_gaussian(grid, [0.0], 0.05, 0.0)
    with pytest.raises(WgflowError, match="a > 1"):
        wg.flows.BackwardPorousMedium(1.0)
    with pytest.raises(WgflowError, match="smoothing"):
        wg.solve(wg.flows.BackwardHeat(), rho0, 0.01, 1e-3, smoothing=-1.0)
    with pytest.raises(WgflowError, match="smoothing regularises the backward flows only"):
        wg.solve(wg.flows.Heat(), rho0, 0.01, 1e-3, smoothing=0.1)


def test_backward_heat_jko_agrees_with_the_continuous_dae():
    """Theorem 3.1: the pushforward of the continuous DAE (eq. 10) solves the backward heat
    equation (11).  wgflow.dae.continuous (Lagrangian, RK4; 8e-7 from the exact
    N(0, 0.5 - 2t)) and the semi-implicit JKO of BackwardHeat (smoothing 0.05: measured
    4.4e-3 from exact, the O(s^2) smoothing bias) must agree to the JKO's error."""
    grid = wg.Grid([(-4, 4)], 512)
    rho0 = wg.exact.heat_gaussian(grid, [0.0], 0.5, 0.0)
    exact = wg.exact.heat_gaussian(grid, [0.0], 0.5, -0.1)
    continuous = wg.dae.continuous(rho0, 0.1, 0.01)
    jko = wg.solve(wg.flows.BackwardHeat(), rho0, 0.1, 2e-3, smoothing=0.05, gamma=2e-3)
    assert continuous.success and jko.success
    assert continuous.final.relative_l1_error(exact) < 1e-5
    assert continuous.final.relative_l1_error(jko.final) < 1e-2
