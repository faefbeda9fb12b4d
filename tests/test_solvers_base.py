"""The solver contract (wgflow.solvers.base): failures keep what was computed, a failed
solver takes no more steps, densities computed on demand are checked like the others, and
unknown options are answered with all that a method accepts."""

from __future__ import annotations

import numpy as np
import pytest

import wgflow as wg
from wgflow.solvers import FiniteVolumeSolver, JKOSolver, LagrangianSolver


def _two_bumps(grid: wg.Grid, t: float) -> wg.Density:
    return wg.exact.heat_gaussian_mixture(grid, [0.5, 0.5], [[-0.8], [0.8]], [0.05, 0.05], t)


def test_a_density_computed_on_demand_that_fails_ends_the_run_cleanly():
    """The Lagrangian solver pushes its flow map forward only for the densities asked for.
    With the pull-back scheme forced, the map of two merging bumps driven back towards
    their singular time stops satisfying the change of variables: the run must end with
    success=False, a message naming the pushforward, and the densities before it kept."""
    grid = wg.Grid([(-3, 3)], 64)
    result = wg.solve(wg.flows.BackwardHeat(), _two_bumps(grid, 0.1), 0.1, 2e-3,
                      method="lagrangian", scheme="pullback", smoothing=0.3)
    assert not result.success
    assert "cannot be had" in result.message and "pushforward of the flow map" in result.message
    assert 0 < result.times[-1] < 0.1 and np.all(np.diff(result.times) > 0)
    assert len(result.densities) == len(result.times)
    stored = result.statistics["pushforward_times"]  # one per density pushed forward
    assert len(result.statistics["mass_defects"]) == len(stored) == len(result.times) - 1
    assert stored == pytest.approx(result.times[1:].tolist())


def test_a_failed_solver_takes_no_more_steps():
    """A backward heat run of N(0, 0.02) collapses at its singular time t = 0.01 and stops on
    roughness; further steps are refused and change nothing.  The per-step lists hold the
    failed attempt's entry too (its roughness says why it failed)."""
    grid = wg.Grid([(-1, 1)], 64)
    solver = JKOSolver(wg.flows.BackwardHeat(), wg.exact.heat_gaussian(grid, [0.0], 0.02, 0.0),
                       smoothing=0.04)
    while solver.step(1e-3):
        pass
    assert solver.status == "failed" and "rough" in solver.message
    t, values, message = solver.t, solver.rho.values.copy(), solver.message
    assert not solver.step(1e-3)
    assert solver.t == t and solver.message == message
    np.testing.assert_array_equal(solver.rho.values, values)
    steps = solver.statistics["steps"]
    assert len(solver.statistics["roughness"]) == steps + 1
    assert solver.statistics["roughness"][-1] > 0.05


def test_option_names_come_from_the_constructor():
    assert {"gamma", "sinkhorn_tol", "sinkhorn_max_iter", "debias"} <= set(JKOSolver.option_names())
    assert set(FiniteVolumeSolver.option_names()) == {"cfl", "max_substeps"}
    assert "integrator" in LagrangianSolver.option_names()


@pytest.mark.parametrize(
    "options, match",
    [
        ({"gamma": 1e-3, "gamma_factor": 2.0}, "give gamma or gamma_factor, not both"),
        ({"debias": "no"}, "debias must be True or False, got 'no'"),
        ({"log_domain": 1}, "log_domain must be True or False, got 1"),
        ({"sinkhorn_tl": 1e-3}, "unknown option 'sinkhorn_tl' for method 'jko' with the heat "
                                "flow; accepted: .*'sinkhorn_tol'"),
    ],
)
def test_jko_options_are_checked(options, match):
    rho0 = wg.exact.heat_gaussian(wg.Grid([(-1, 1)], 32), [0.0], 0.05, 0.0)
    with pytest.raises(wg.WgflowError, match=match):
        wg.solve(wg.flows.Heat(), rho0, 0.01, 1e-3, **options)


def test_settings_report_every_option_in_force():
    rho0 = wg.exact.heat_gaussian(wg.Grid([(-1, 1)], 32), [0.0], 0.05, 0.0)
    result = wg.solve(wg.flows.Heat(), rho0, 2e-3, 1e-3, log_domain=True)
    assert result.settings["log_domain"] is True
    assert result.settings["sinkhorn_tol"] == 1e-6 and result.settings["debias"] is True
