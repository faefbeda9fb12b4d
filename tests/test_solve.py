"""Tests of wgflow.solve: the contract every solver run shares.

``solve(flow, rho0, t_end, dt, method="jko", track=(), t_eval=None, progress=False,
**options)`` takes steps of ``dt`` (the last one shortened to land on ``t_end``), stores the
initial density, the densities at the step ends nearest to ``t_eval`` (default: ten evenly
spaced step ends) and the last one, stops with ``success=False`` and a message when a step
fails (keeping what was computed), and answers bad input with a
:class:`~wgflow.errors.WgflowError` that names the bad value and what is accepted.

The runs are heat flows of a small Gaussian with the cosine-series solver (exact in time and
cheap) unless the test is about another method; the times are compared to 1e-15 relative
(sums of a few step sizes).
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import wgflow as wg
from _helpers import raises_naming
from wgflow.errors import ConvergenceWarning


def heat(rho0: wg.Density, t_end: float, dt: float, **kwargs) -> wg.SolveResult:
    result = wg.solve(wg.flows.Heat(), rho0, t_end, dt, method="spectral", track=["mass"],
                      **kwargs)
    assert result.success, result.message
    return result


# -- steps and stored times -------------------------------------------------------------------


@pytest.mark.parametrize(
    "t_end, dt, step_ends",
    [
        (0.1, 0.03, [0.03, 0.06, 0.09, 0.1]),  # the last step is shortened
        (0.3, 0.1, [0.1, 0.2, 0.3]),  # 0.3 / 0.1 = 2.9999999999999996: no sliver step
        (0.05, 0.2, [0.05]),  # dt > t_end: one step of t_end
        (1e-3, 1e-4, list(np.arange(1, 11) * 1e-4)),
    ],
)
def test_step_sizes_land_on_t_end(small_gaussian_1d, t_end, dt, step_ends):
    result = heat(small_gaussian_1d[0], t_end, dt)
    np.testing.assert_allclose(result.tracked_times["mass"], [0.0, *step_ends], rtol=1e-15)
    assert result.times[-1] == pytest.approx(t_end, rel=1e-15)
    assert result.settings["t_end"] == t_end and result.settings["dt"] == dt
    assert result.message == f"reached t_end = {t_end:g} in {len(step_ends)} steps"


def test_default_outputs_are_ten_evenly_spaced_step_ends(small_gaussian_1d):
    rho0 = small_gaussian_1d[0]
    result = heat(rho0, 0.2, 0.01)  # 20 steps: every second step end is stored
    np.testing.assert_allclose(result.times, np.linspace(0.0, 0.2, 11), rtol=1e-14)
    assert result.densities[0] is rho0 and len(result.densities) == 11
    few = heat(rho0, 0.05, 0.01)  # fewer steps than outputs: every step end is stored
    np.testing.assert_allclose(few.times, np.linspace(0.0, 0.05, 6), rtol=1e-14)


@pytest.mark.parametrize(
    "t_eval, stored",
    [
        ([0.033, 0.051], [0.04, 0.06]),  # each time snaps to the nearest step end
        ([0.051, 0.033], [0.04, 0.06]),  # in any order
        ([0.041, 0.039, 0.04], [0.04]),  # times that snap to one step end store it once
        ([0.0, 0.1], []),  # t = 0 and the last time are always stored
        (0.07, [0.08]),  # a scalar is one time
        ([], []),
    ],
)
def test_t_eval_snaps_to_step_ends(small_gaussian_1d, t_eval, stored):
    result = heat(small_gaussian_1d[0], 0.1, 0.02, t_eval=t_eval)
    np.testing.assert_allclose(result.times, [0.0, *stored, 0.1], rtol=1e-15)
    # the stored times are the step ends themselves, and each density is the one at its time
    step_ends = result.tracked_times["mass"]
    assert set(result.times) <= set(step_ends)
    assert len(result.densities) == len(result.times)
    for t, rho in zip(result.times[1:], result.densities[1:]):
        exact = heat(small_gaussian_1d[0], t, t)  # one exact step to t
        np.testing.assert_allclose(rho.values, exact.final.values, rtol=1e-10, atol=1e-12)


def test_progress_bar_does_not_change_the_result(small_gaussian_1d, capsys):
    quiet = heat(small_gaussian_1d[0], 0.02, 0.01)
    shown = heat(small_gaussian_1d[0], 0.02, 0.01, progress=True)
    assert "heat" in capsys.readouterr().err
    for a, b in zip(quiet.densities, shown.densities):
        np.testing.assert_array_equal(a.values, b.values)


# -- failures ------------------------------------------------------------------------------------


def test_a_failed_step_keeps_the_trajectory(small_gaussian_1d):
    """A velocity that turns NaN after t = 0.25 fails the step from 0.2 to 0.3: the run stops
    there with success=False and a message, and keeps the densities and the tracked values
    up to t = 0.2 (which is stored although it is no output time)."""
    rho0 = small_gaussian_1d[0]
    flow = wg.flows.Continuity(lambda t, x: (x * np.nan if t > 0.25 else -x,))
    result = wg.solve(flow, rho0, t_end=0.5, dt=0.1, method="finite-volume",
                      track=["mass", "shannon"], t_eval=[0.1, 0.4])
    assert not result.success
    assert "t = 0.2" in result.message and "t = 0.3" in result.message
    np.testing.assert_allclose(result.times, [0.0, 0.1, 0.2], rtol=1e-15)
    assert len(result.densities) == 3
    assert result.final.values.max() > rho0.values.max()  # the density was compressed
    for name in ("mass", "shannon"):
        np.testing.assert_allclose(result.tracked_times[name], [0.0, 0.1, 0.2], rtol=1e-15)
    np.testing.assert_allclose(result.tracked["mass"], rho0.mass, rtol=1e-14)


def test_unconverged_sinkhorn_steps_are_reported(small_gaussian_2d):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        result = wg.solve(wg.flows.Heat(), small_gaussian_2d[0], t_end=2e-3, dt=1e-3,
                          sinkhorn_max_iter=2)
    assert result.success
    assert result.message.endswith("2 steps stopped before the Sinkhorn tolerance")


# -- bad input ------------------------------------------------------------------------------------


def test_flow_and_initial_density_are_checked(small_gaussian_1d):
    rho0 = small_gaussian_1d[0]
    with raises_naming("flow must be", "str"):
        wg.solve("heat", rho0, 0.1, 0.01)
    with raises_naming("flow must be", "Heat"):
        wg.solve(wg.flows.Heat, rho0, 0.1, 0.01)  # the class, not a flow
    with raises_naming("rho0 must be a wgflow.Density", "ndarray"):
        wg.solve(wg.flows.Heat(), rho0.values, 0.1, 0.01)
    with raises_naming("rho0", "zero mass"):
        wg.solve(wg.flows.Heat(), wg.Density(rho0.grid, np.zeros(rho0.grid.shape)), 0.1, 0.01)


@pytest.mark.parametrize("name", ["t_end", "dt"])
@pytest.mark.parametrize(
    "value, shown", [(0.0, "0.0"), (-1e-3, "-0.001"), (float("nan"), "nan"),
                     (float("inf"), "inf"), ("0.1", "'0.1'"), (None, "None")],
)
def test_t_end_and_dt_must_be_positive_numbers(small_gaussian_1d, name, value, shown):
    arguments = {"t_end": 0.1, "dt": 0.01, name: value}
    with raises_naming(name, shown):
        wg.solve(wg.flows.Heat(), small_gaussian_1d[0], method="spectral", **arguments)


@pytest.mark.parametrize(
    "flow, method, accepted",
    [
        (wg.flows.Heat(), "euler", ["'jko'", "'finite-volume'", "'spectral'"]),
        (wg.flows.Heat(), "JKO", ["'jko'"]),
        (wg.flows.PorousMedium(2), "spectral", ["'jko'", "'finite-volume'"]),
    ],
)
def test_unknown_method_lists_the_accepted_ones(small_gaussian_1d, flow, method, accepted):
    with raises_naming(repr(method), *accepted):
        wg.solve(flow, small_gaussian_1d[0], 0.1, 0.01, method=method)


@pytest.mark.parametrize(
    "t_eval, shown",
    [([0.5], "0.5"), ([0.05, 0.2], "0.2"), ([-0.01], "-0.01"), ([float("nan")], "nan")],
)
def test_t_eval_must_lie_in_the_run(small_gaussian_1d, t_eval, shown):
    with raises_naming("t_eval", "t_end = 0.1", shown):
        wg.solve(wg.flows.Heat(), small_gaussian_1d[0], 0.1, 0.01, method="spectral",
                 t_eval=t_eval)


@pytest.mark.parametrize("method", ["jko", "finite-volume", "spectral"])
def test_unknown_options_are_named(small_gaussian_1d, method):
    with raises_naming("'bogus'"):
        wg.solve(wg.flows.Heat(), small_gaussian_1d[0], 0.1, 0.01, method=method, bogus=1)


def test_a_start_time_is_refused_with_the_solver_api_named(small_gaussian_1d):
    """``wg.solve`` integrates over ``[0, t_end]``; a ``t0`` among the options would start the
    solver elsewhere and give the result a time axis that contradicts its densities."""
    with raises_naming("t0 = 0.01", "[0, t_end]", "JKOSolver(flow, rho0, t0)"):
        wg.solve(wg.flows.Heat(), small_gaussian_1d[0], 0.1, 0.01, t0=0.01)


def test_unknown_trackers_are_refused_before_the_run(small_gaussian_1d):
    with raises_naming("unknown tracker 'entropy'", "'shannon'"):
        wg.solve(wg.flows.Heat(), small_gaussian_1d[0], 0.1, 0.01, track=["mass", "entropy"])


def test_a_kernel_estimate_carries_its_age_along_heat_flows():
    """A Gaussian kernel density estimate of bandwidth b is the heat flow of its data at age
    b^2/2: the heat flow adds t to it (and the spectral solver, exact in time, lands on the
    closed form to round-off), the backward heat flow takes t off, and a backward run that
    would reach the empirical measure stops before it with success=False."""
    grid = wg.Grid([(-3.0, 3.0)], 256)
    points = np.random.default_rng(1).normal(0.0, 0.6, 60)
    rho0 = wg.Density.from_samples(grid, points, bandwidth=0.3)
    assert rho0.age == pytest.approx(0.045)
    forward = wg.solve(wg.flows.Heat(), rho0, 0.02, 5e-3, method="spectral")
    assert forward.final.age == pytest.approx(0.065)
    exact = wg.exact.kde(grid, points, 0.3, 0.02)
    assert forward.final.relative_l1_error(exact) < 1e-12
    backward = wg.solve(wg.flows.BackwardHeat(), rho0, 0.02, 2e-3, method="spectral",
                        noise_level=1e-10)
    assert backward.success and backward.final.age == pytest.approx(0.025)
    stopped = wg.solve(wg.flows.BackwardHeat(), rho0, 0.06, 1e-2, method="spectral",
                       noise_level=1e-10, rtol=np.inf)
    assert not stopped.success
    assert "singular time, at t = 0.045" in stopped.message
    assert stopped.times[-1] == pytest.approx(0.04)
    assert stopped.final.age == pytest.approx(0.005)
