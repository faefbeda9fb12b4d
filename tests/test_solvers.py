"""The solver registry (wgflow.solvers): which solver runs which flow, and ``method=``."""

from __future__ import annotations

import numpy as np
import pytest

import wgflow as wg
from wgflow.solvers import SOLVERS, JKOSolver, Solver, methods_for, resolve_method

GRID = wg.Grid([(-1.0, 1.0)], 64)
RHO0 = wg.exact.heat_gaussian(GRID, [0.0], 0.05, 0.0)


@pytest.mark.parametrize(
    "flow, methods",
    [
        (wg.flows.Heat(), {"jko", "finite-volume", "spectral"}),
        (wg.flows.PorousMedium(2), {"jko", "finite-volume"}),
        (wg.flows.FokkerPlanck(lambda x: x**2), {"jko", "finite-volume"}),
        (wg.flows.Continuity(lambda t, x: (x,)), {"finite-volume"}),
        (wg.flows.BackwardPorousMedium(2), {"jko"}),
    ],
)
def test_methods_follow_from_the_interfaces(flow, methods):
    assert set(methods_for(flow)) == methods
    assert flow.methods == methods_for(flow)
    for name in methods:
        assert SOLVERS[name].supports(flow)


def test_backward_heat_runs_with_jko_spectral_and_lagrangian():
    assert set(wg.flows.BackwardHeat().methods) == {"jko", "spectral", "lagrangian"}


def test_a_solver_class_is_a_method():
    """``method=`` takes a Solver subclass: here one that only renames the JKO solver."""

    class Renamed(JKOSolver):
        method = "renamed-jko"

    assert resolve_method(Renamed, wg.flows.Heat()) is Renamed
    by_class = wg.solve(wg.flows.Heat(), RHO0, 0.01, 5e-3, method=Renamed)
    by_name = wg.solve(wg.flows.Heat(), RHO0, 0.01, 5e-3, method="jko")
    assert by_class.method == "renamed-jko" and by_name.method == "jko"
    np.testing.assert_array_equal(by_class.final.values, by_name.final.values)


@pytest.mark.parametrize(
    "method, match",
    [
        ("fourier", "unknown method 'fourier' for the heat flow; accepted: 'jko', "
                    "'finite-volume', 'spectral'"),
        (3, "unknown method 3 for the heat flow"),
        (dict, "unknown method <class 'dict'>"),
    ],
)
def test_unknown_methods_list_the_valid_ones(method, match):
    with pytest.raises(wg.WgflowError, match=match):
        resolve_method(method, wg.flows.Heat())


def test_a_solver_refuses_a_flow_without_its_interface():
    with pytest.raises(wg.WgflowError, match="method 'jko' does not integrate the continuity"):
        JKOSolver(wg.flows.Continuity(lambda t, x: (x,)), RHO0)
    assert issubclass(JKOSolver, Solver)
