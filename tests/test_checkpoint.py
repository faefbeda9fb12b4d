"""Tests of checkpoints and :func:`wgflow.resume` (wgflow.checkpoint, wgflow.solve).

The reference of every resumed run is the same run never interrupted, computed in the same
process: with the numpy backend the two must agree to the bit -- final and stored densities,
stored times, tracked values and statistics (the wall-clock ``companion_seconds`` excepted).
A run is cut short in-process by a step that raises (a crash: the checkpoint file then holds
the last periodic checkpoint, as after a kill), and for real by SIGKILL in a subprocess.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time

import numpy as np
import pytest
from _helpers import raises_naming

import wgflow as wg
from wgflow.checkpoint import CheckpointWriter, read_checkpoint
from wgflow.solvers.base import Solver

#: The W2 tracker on these coarse grids warns that it is not resolved to its tolerance; the
#: tests compare runs with each other, not W2 with a reference.
pytestmark = pytest.mark.filterwarnings(
    "ignore:W2 = .* is not resolved:wgflow.errors.ConvergenceWarning"
)

TRACK = ["shannon", "renyi:2", "w2", "mass"]
#: 16 steps of dt = 2.5e-4 to t_end = 4e-3 (a whole number of steps: every step is dt).
T_END, DT = 4e-3, 2.5e-4
T_EVAL = [1e-3, 1.5e-3, 2.25e-3, 3e-3, 3.5e-3, 4.5e-3, 5.5e-3]


class Crash(Exception):
    """Raised by a step to cut a run short."""


def crash_at(monkeypatch, steps: int) -> None:
    """Make the first solver that has taken ``steps`` steps raise :class:`Crash` at its next
    step (the run's own solver: an error estimate's companion lags behind it)."""
    original = Solver.step
    armed = [True]

    def step(self, dt):
        if armed[0] and self.statistics["steps"] == steps:
            armed[0] = False
            raise Crash
        return original(self, dt)

    monkeypatch.setattr(Solver, "step", step)


def assert_same_run(resumed: wg.SolveResult, reference: wg.SolveResult) -> None:
    """Bitwise the same result, timings excepted."""
    np.testing.assert_array_equal(resumed.times, reference.times)
    assert len(resumed.densities) == len(reference.densities)
    for a, b in zip(resumed.densities, reference.densities):
        np.testing.assert_array_equal(a.values, b.values)
        assert a.age == b.age
    assert sorted(resumed.tracked) == sorted(reference.tracked)
    for name in reference.tracked:
        np.testing.assert_array_equal(resumed.tracked[name], reference.tracked[name])
        np.testing.assert_array_equal(resumed.tracked_times[name], reference.tracked_times[name])
    assert resumed.success == reference.success
    assert resumed.message == reference.message
    assert resumed.settings == reference.settings
    mine, theirs = dict(resumed.statistics), dict(reference.statistics)
    for statistics in (mine, theirs):
        statistics.pop("companion_seconds", None)
    assert json.dumps(mine, sort_keys=True) == json.dumps(theirs, sort_keys=True)
    if reference.maps is None:
        assert resumed.maps is None
    else:
        for a, b in zip(resumed.maps, reference.maps, strict=True):
            np.testing.assert_array_equal(a, b)


def grid_gaussian_2d(n: int = 16) -> wg.Density:
    grid = wg.Grid([(-1.0, 1.0), (-1.0, 1.0)], n)
    return wg.exact.heat_gaussian(grid, [0.1, 0.0], [[0.08, 0.02], [0.02, 0.06]], 0.0)


def backward_data() -> wg.Density:
    """N(0.1, 0.2) on 64 cells of [-2, 2]: driven back to t = 4e-3 with an error estimate of
    2e-4."""
    return wg.exact.heat_gaussian(wg.Grid([(-2.0, 2.0)], 64), [0.1], 0.2, 0.0)


#: name: (flow, initial density, keyword options).
PROBLEMS = {
    "heat": (wg.flows.Heat(), grid_gaussian_2d, {}),
    "porous-medium": (wg.flows.PorousMedium(2.0), grid_gaussian_2d, {}),
    "backward-heat": (wg.flows.BackwardHeat(), backward_data, {}),
}


def interrupted_run(monkeypatch, tmp_path, flow, rho0, t_end, crash, every=3, **options):
    """Run with a checkpoint every ``every`` steps, crashing after ``crash`` steps (no
    crash for ``None``); return the checkpoint's path."""
    path = tmp_path / "run.ckpt.npz"
    if crash is None:
        wg.solve(flow, rho0, t_end, DT, checkpoint=path, checkpoint_every=every, **options)
        return path
    crash_at(monkeypatch, crash)
    with pytest.raises(Crash):
        wg.solve(flow, rho0, t_end, DT, checkpoint=path, checkpoint_every=every, **options)
    monkeypatch.undo()
    assert read_checkpoint(path).state["steps_done"] == crash - crash % every
    return path


@pytest.mark.parametrize("name", sorted(PROBLEMS))
def test_resume_after_a_crash_equals_the_uninterrupted_run(name, monkeypatch, tmp_path):
    flow, data, options = PROBLEMS[name]
    rho0 = data()
    t_eval = [t for t in T_EVAL if t <= T_END]
    reference = wg.solve(flow, rho0, T_END, DT, track=TRACK, t_eval=t_eval, **options)
    assert reference.success, reference.message
    path = interrupted_run(monkeypatch, tmp_path, flow, rho0, T_END, crash=8, track=TRACK,
                           t_eval=t_eval, **options)
    assert_same_run(wg.resume(path), reference)
    # the resumed run wrote its own checkpoints: the file now holds the finished run
    assert read_checkpoint(path).state["steps_done"] == 16
    assert_same_run(wg.resume(path), reference)


@pytest.mark.parametrize("name", ["heat", "backward-heat"])
@pytest.mark.parametrize(
    "t_end, crash, t_new",
    [
        (T_END, 8, 2.5e-3),   # a mid-run checkpoint to an earlier t_end (10 steps)
        (T_END, 8, 6e-3),     # ... and to a later one (24 steps)
        (3.7e-3, None, 5e-3),  # a finished run, last step shortened, goes further
        (3.5e-3, None, 4.6e-3),  # a finished run, whole last step, goes further
    ],
)
def test_resume_to_another_t_end_equals_a_run_to_it(name, t_end, crash, t_new, monkeypatch,
                                                      tmp_path):
    flow, data, options = PROBLEMS[name]
    rho0 = data()
    path = interrupted_run(monkeypatch, tmp_path, flow, rho0, t_end, crash, track=TRACK,
                           t_eval=[t for t in T_EVAL if t <= t_end], **options)
    t_eval = [t for t in T_EVAL if t <= t_new]
    reference = wg.solve(flow, rho0, t_new, DT, track=TRACK, t_eval=t_eval, **options)
    assert_same_run(wg.resume(path, t_end=t_new, t_eval=t_eval), reference)


@pytest.mark.parametrize(
    "flow, data, options, given",
    [
        (wg.flows.Heat(), grid_gaussian_2d, {"method": "jko", "time_order": 2}, False),
        (wg.flows.Heat(), grid_gaussian_2d, {"method": "finite-volume"}, False),
        (wg.flows.Heat(), grid_gaussian_2d, {"method": "spectral"}, False),
        (wg.flows.BackwardHeat(), backward_data, {"method": "spectral"}, False),
        (wg.flows.BackwardHeat(), backward_data, {"method": "lagrangian", "maps": True}, False),
        (wg.flows.BackwardPorousMedium(2.0),
         lambda: wg.exact.barenblatt(wg.Grid([(-1.0, 1.0)], 64), 2.0, 0.05, 0.1),
         {"rtol": np.inf}, False),
        (wg.flows.FokkerPlanck(lambda x, y: x**2 + 0.5 * y**2), grid_gaussian_2d,
         {"method": "jko"}, True),
        (wg.flows.Continuity(lambda t, x, y: (-y, x * (1.0 + t))), grid_gaussian_2d,
         {"method": "finite-volume", "order": 2}, True),
    ],
    ids=["jko-order-2", "finite-volume", "spectral", "backward-spectral", "lagrangian",
         "backward-porous-medium", "fokker-planck", "continuity"],
)
def test_every_method_resumes_bitwise(flow, data, options, given, monkeypatch, tmp_path):
    """Each solver's own state (BDF2's previous density and kinetic bound, the last CFL rate,
    the elapsed time of a cosine series, a flow map) is saved and restored; flows that hold
    functions are given again."""
    rho0 = data()
    reference = wg.solve(flow, rho0, T_END, DT, track=["shannon"], **options)
    assert reference.success, reference.message
    path = interrupted_run(monkeypatch, tmp_path, flow, rho0, T_END, 8, track=["shannon"],
                           **options)
    assert_same_run(wg.resume(path, flow=flow if given else None), reference)


def test_checkpoints_are_written_every_k_steps_and_at_the_end(monkeypatch, tmp_path):
    written = []
    original = CheckpointWriter.write

    def write(self, state, before_last=None):
        written.append((state["steps_done"], before_last is not None))
        original(self, state, before_last)

    monkeypatch.setattr(CheckpointWriter, "write", write)
    path = tmp_path / "run.npz"
    path.write_text("an old file, replaced")
    rho0 = grid_gaussian_2d()
    wg.solve(wg.flows.Heat(), rho0, 3.7e-3, DT, checkpoint=path, checkpoint_every=4)
    # 15 steps, the last one shortened: the final checkpoint keeps the state before it
    assert written == [(4, False), (8, False), (12, False), (15, True)]
    assert read_checkpoint(path).time == pytest.approx(3.7e-3, rel=1e-12)
    assert [p.name for p in tmp_path.iterdir()] == ["run.npz"]  # no temporary file left
    written.clear()
    wg.solve(wg.flows.Heat(), rho0, 25 * DT, DT, checkpoint=path)  # default: every 10
    assert [steps for steps, _ in written] == [10, 20, 25]


def test_a_run_stopped_before_its_first_checkpoint_leaves_none(monkeypatch, tmp_path):
    """The file of an earlier run is removed when a run starts: a resume cannot take it for
    this run."""
    path = interrupted_run(monkeypatch, tmp_path, wg.flows.Heat(), grid_gaussian_2d(), T_END,
                           crash=6, every=5)
    crash_at(monkeypatch, 3)
    with pytest.raises(Crash):
        wg.solve(wg.flows.PorousMedium(2.0), grid_gaussian_2d(), T_END, DT, checkpoint=path,
                 checkpoint_every=5)
    with raises_naming(str(path), "there is no such file"):
        wg.resume(path)


def test_default_outputs_resumed_to_another_t_end_keep_what_was_stored(monkeypatch, tmp_path):
    """Without t_eval the stored times depend on t_end: a run resumed to another t_end keeps
    the densities stored before the checkpoint and stores the new run's default times after
    it; the final density and the values tracked at every step are the uninterrupted run's."""
    flow, rho0 = wg.flows.Heat(), grid_gaussian_2d()
    path = interrupted_run(monkeypatch, tmp_path, flow, rho0, T_END, 8, track=["shannon"])
    checkpoint_time = read_checkpoint(path).time
    reference = wg.solve(flow, rho0, 6e-3, DT, track=["shannon"])
    resumed = wg.resume(path, t_end=6e-3)
    np.testing.assert_array_equal(resumed.final.values, reference.final.values)
    np.testing.assert_array_equal(resumed.tracked["shannon"], reference.tracked["shannon"])
    original = wg.solve(flow, rho0, T_END, DT)
    before = [t for t in original.times if t <= checkpoint_time]
    after = [t for t in reference.times if t > checkpoint_time]
    np.testing.assert_array_equal(resumed.times, [*before, *after])
    assert len(before) == 5 and set(resumed.times) != set(reference.times)


def test_a_finished_run_resumes_to_its_own_result(tmp_path):
    flow, rho0 = wg.flows.BackwardHeat(), backward_data()
    path = tmp_path / "run.npz"
    finished = wg.solve(flow, rho0, T_END, DT, track=TRACK, checkpoint=path)
    assert_same_run(wg.resume(path, checkpoint=False), finished)


def test_a_kernel_estimate_keeps_its_age_through_a_resume(monkeypatch, tmp_path):
    grid = wg.Grid([(-3.0, 3.0)], 64)
    rho0 = wg.Density.from_samples(grid, np.array([[-0.5], [0.2], [0.9]]), bandwidth=0.4)
    flow = wg.flows.Heat()
    reference = wg.solve(flow, rho0, T_END, DT)
    path = interrupted_run(monkeypatch, tmp_path, flow, rho0, T_END, 8)
    resumed = wg.resume(path)
    assert_same_run(resumed, reference)
    assert resumed.final.age == pytest.approx(rho0.age + T_END, rel=1e-12)


# -- flows that must be given again, and flows that do not match ---------------------------
def test_flows_that_hold_functions_must_be_given_and_must_match(monkeypatch, tmp_path):
    rho0 = grid_gaussian_2d()
    flow = wg.flows.FokkerPlanck(lambda x, y: x**2 + y**2)
    path = interrupted_run(monkeypatch, tmp_path, flow, rho0, T_END, 5)
    with raises_naming(str(path), "FokkerPlanck", "pass it again", "flow=..."):
        wg.resume(path)
    with raises_naming("flow = Heat()", "is not the flow of the run", "FokkerPlanck"):
        wg.resume(path, flow=wg.flows.Heat())
    largest_gap = 0.5 * rho0.grid.axes[1].max() ** 2  # 0.5 y^2 at the outermost cells
    with raises_naming("is not the flow of the run", "potential", f"by up to {largest_gap:.3g}"):
        wg.resume(path, flow=wg.flows.FokkerPlanck(lambda x, y: x**2 + 0.5 * y**2))
    other_grid = np.zeros((8, 8))
    with raises_naming("does not fit the grid of the run", "(16, 16)", "(8, 8)"):
        wg.resume(path, flow=wg.flows.FokkerPlanck(other_grid))
    with raises_naming("flow must be a wgflow flow", "str"):
        wg.resume(path, flow="fokker-planck")


def test_flows_made_of_numbers_are_rebuilt_and_checked(monkeypatch, tmp_path):
    rho0 = grid_gaussian_2d()
    path = interrupted_run(monkeypatch, tmp_path, wg.flows.PorousMedium(2.0), rho0, T_END, 5)
    with raises_naming("PorousMedium(m=3)", "{'m': 3.0}", "{'m': 2.0}"):
        wg.resume(path, flow=wg.flows.PorousMedium(3.0))
    reference = wg.solve(wg.flows.PorousMedium(2.0), rho0, T_END, DT)
    assert_same_run(wg.resume(path, flow=wg.flows.PorousMedium(2)), reference)


# -- bad input -----------------------------------------------------------------------------
@pytest.mark.parametrize("every", [0, -3, 2.5, True, "3"])
def test_checkpoint_every_must_be_a_positive_integer(every, tmp_path):
    with raises_naming("checkpoint_every", repr(every), "integer >= 1"):
        wg.solve(wg.flows.Heat(), grid_gaussian_2d(), T_END, DT, checkpoint=tmp_path / "c.npz",
                 checkpoint_every=every)


def test_bad_checkpoint_arguments_are_named(tmp_path):
    rho0 = grid_gaussian_2d()
    missing = tmp_path / "no" / "such" / "c.npz"
    with raises_naming(str(missing), str(tmp_path / "no" / "such"), "does not exist"):
        wg.solve(wg.flows.Heat(), rho0, T_END, DT, checkpoint=missing)
    with raises_naming("checkpoint_every = 5", "without checkpoint"):
        wg.solve(wg.flows.Heat(), rho0, T_END, DT, checkpoint_every=5)
    with raises_naming(str(tmp_path), "is a directory"):
        wg.solve(wg.flows.Heat(), rho0, T_END, DT, checkpoint=tmp_path)
    with raises_naming("option gamma", "cannot be stored in a checkpoint"):
        wg.solve(wg.flows.Heat(), rho0, T_END, DT, checkpoint=tmp_path / "c.npz",
                 gamma=np.array([1e-3]))

    class MySolver(wg.solvers.FiniteVolumeSolver):
        method = "mine"

    with raises_naming("registered method", "MySolver"):
        wg.solve(wg.flows.Heat(), rho0, T_END, DT, method=MySolver,
                 checkpoint=tmp_path / "c.npz")
    assert not (tmp_path / "c.npz").exists()  # refused before anything was written


def test_resume_needs_a_t_end_after_the_checkpoint(monkeypatch, tmp_path):
    path = interrupted_run(monkeypatch, tmp_path, wg.flows.Heat(), grid_gaussian_2d(), T_END, 8)
    for t_end in (1e-3, 6 * DT, 6 * DT * (1 - 1e-12)):
        with raises_naming(f"t_end = {t_end!r}", "is not after", f"t = {6 * DT!r}"):
            wg.resume(path, t_end=t_end)
    with raises_naming("t_end must be a finite number > 0", "-1.0"):
        wg.resume(path, t_end=-1.0)


def test_t_eval_cannot_ask_for_a_density_the_run_passed(monkeypatch, tmp_path):
    path = interrupted_run(monkeypatch, tmp_path, wg.flows.Heat(), grid_gaussian_2d(), T_END,
                           8, t_eval=[1e-3, 3e-3])
    with raises_naming("t_eval asks for densities at t = [0.0005]", "passed without storing"):
        wg.resume(path, t_eval=[5e-4, 3e-3])


def test_a_failed_run_cannot_be_resumed(tmp_path):
    rho0 = grid_gaussian_2d()
    flow = wg.flows.Continuity(lambda t, x, y: (x * np.nan if t > 1e-3 else -x, y))
    path = tmp_path / "run.npz"
    result = wg.solve(flow, rho0, T_END, DT, method="finite-volume", checkpoint=path)
    assert not result.success
    with raises_naming(str(path), "failed at t = 0.001", "cannot be resumed"):
        wg.resume(path, flow=flow)


# -- a real kill -----------------------------------------------------------------------------
#: Shared by the test and its subprocess: the problem of the killed run.
PROBLEM = """
import numpy as np
import wgflow as wg
grid = wg.Grid([(-1.0, 1.0), (-1.0, 1.0)], 16)
RHO0 = wg.exact.heat_gaussian(grid, [0.1, 0.0], [[0.08, 0.02], [0.02, 0.06]], 0.0)
ARGS = (wg.flows.PorousMedium(2.0), RHO0, 4e-3, 2.5e-4)
OPTIONS = dict(track=["shannon", "w2", "mass"], t_eval=[1e-3, 2.25e-3, 3e-3])
"""

#: The subprocess: the run with a checkpoint every 3 steps; after 7 steps it says so (the
#: file ``gate``) and waits to be killed.
CHILD = PROBLEM + """
import sys, time
from wgflow.solvers.base import Solver
gate, checkpoint = sys.argv[1], sys.argv[2]
original = Solver.step
def step(self, dt):
    if self.statistics["steps"] == 7:
        open(gate, "w").close()
        while True:
            time.sleep(1)
    return original(self, dt)
Solver.step = step
wg.solve(*ARGS, checkpoint=checkpoint, checkpoint_every=3, **OPTIONS)
"""


def test_a_run_killed_by_sigkill_resumes_from_its_checkpoint(tmp_path):
    """SIGKILL leaves the checkpoint of step 6 (the run was in its 8th step, 1 < k = 3 steps
    lost); the resumed run equals the uninterrupted one to the bit."""
    gate, path = tmp_path / "gate", tmp_path / "run.npz"
    child = subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(CHILD), str(gate), str(path)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )
    while not gate.exists():
        assert child.poll() is None, child.communicate()
        time.sleep(0.01)
    os.kill(child.pid, signal.SIGKILL)
    child.communicate()
    assert child.returncode == -signal.SIGKILL
    assert [p.name for p in tmp_path.iterdir() if p.name != "gate"] == ["run.npz"]
    assert read_checkpoint(path).state["steps_done"] == 6
    names: dict = {}
    exec(PROBLEM, names)
    reference = wg.solve(*names["ARGS"], **names["OPTIONS"])
    assert_same_run(wg.resume(path), reference)
