"""Tests of interrupts (wgflow.interrupt): SIGINT and SIGTERM end a run after its current step.

The signals are real: a thread sends them to this process with ``os.kill`` while a step of
the run is in progress (the step waits until the signal is sent, so the run is interrupted
after that very step).
"""

from __future__ import annotations

import os
import signal
import threading

import numpy as np
import pytest

import wgflow as wg
from wgflow.checkpoint import read_checkpoint
from wgflow.interrupt import EXIT_STATUS, InterruptGuard
from wgflow.solvers.base import Solver

#: The W2 tracker on these coarse grids warns that it is not resolved to its tolerance; the
#: tests compare runs with each other, not W2 with a reference.
pytestmark = pytest.mark.filterwarnings(
    "ignore:W2 = .* is not resolved:wgflow.errors.ConvergenceWarning"
)

#: 16 steps of dt = 2.5e-4.
T_END, DT = 4e-3, 2.5e-4


def rho0() -> wg.Density:
    grid = wg.Grid([(-1.0, 1.0), (-1.0, 1.0)], 16)
    return wg.exact.heat_gaussian(grid, [0.1, 0.0], [[0.08, 0.02], [0.02, 0.06]], 0.0)


def signal_during_step(monkeypatch, signum: int, steps: int, again: bool = False) -> None:
    """While the first solver that has taken ``steps`` steps takes its next one, a thread
    sends ``signum`` to this process; the step goes on once the run's handler has seen it
    (``again``: after sending it a second time, from the step itself)."""
    original = Solver.step
    started, sent = threading.Event(), threading.Event()
    armed = [True]

    def sender() -> None:
        started.wait()
        os.kill(os.getpid(), signum)
        sent.set()

    threading.Thread(target=sender, daemon=True).start()

    def step(self, dt):
        if armed[0] and self.statistics["steps"] == steps:
            armed[0] = False
            started.set()
            sent.wait()
            guard = signal.getsignal(signum).__self__  # the run's InterruptGuard
            while guard.received is None:  # the handler runs between two bytecodes
                pass
            if again:
                os.kill(os.getpid(), signum)
        return original(self, dt)

    monkeypatch.setattr(Solver, "step", step)


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_a_signal_ends_the_run_after_its_step_with_the_result_so_far(signum, monkeypatch):
    before = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}
    reference = wg.solve(wg.flows.Heat(), rho0(), T_END, DT, track=["shannon", "mass"])
    signal_during_step(monkeypatch, signum, 5)
    result = wg.solve(wg.flows.Heat(), rho0(), T_END, DT, track=["shannon", "mass"])
    name = signal.Signals(signum).name
    assert not result.success and result.interrupted == name
    assert result.message == f"interrupted by {name} at t = 0.0015 after 6 of 16 steps"
    assert result.statistics["steps"] == 6
    # the stored densities up to there are the uninterrupted run's, and the density where it
    # stopped is stored as well (6 steps: not one of the default output times)
    np.testing.assert_array_equal(result.times[:-1], reference.times[:4])
    assert result.times[-1] == pytest.approx(6 * DT, rel=1e-12)
    for a, b in zip(result.densities[:-1], reference.densities):
        np.testing.assert_array_equal(a.values, b.values)
    np.testing.assert_array_equal(result.tracked["shannon"], reference.tracked["shannon"][:7])
    assert {sig: signal.getsignal(sig) for sig in before} == before  # handlers put back


def test_sigterm_flushes_the_checkpoint_and_the_run_resumes_bitwise(monkeypatch, tmp_path):
    path = tmp_path / "run.npz"
    track, t_eval = ["shannon", "w2"], [1e-3, 3e-3]
    signal_during_step(monkeypatch, signal.SIGTERM, 6)
    stopped = wg.solve(wg.flows.PorousMedium(2.0), rho0(), T_END, DT, track=track,
                       t_eval=t_eval, checkpoint=path, checkpoint_every=5)
    monkeypatch.undo()
    assert stopped.interrupted == "SIGTERM" and str(path) in stopped.message
    assert "wg.resume(" in stopped.message
    assert read_checkpoint(path).state["steps_done"] == 7  # flushed at the interruption
    resumed = wg.resume(path)
    reference = wg.solve(wg.flows.PorousMedium(2.0), rho0(), T_END, DT, track=track,
                         t_eval=t_eval)
    assert resumed.success and resumed.interrupted is None
    np.testing.assert_array_equal(resumed.times, reference.times)
    for a, b in zip(resumed.densities, reference.densities, strict=True):
        np.testing.assert_array_equal(a.values, b.values)
    for name in track:
        np.testing.assert_array_equal(resumed.tracked[name], reference.tracked[name])
    assert resumed.statistics == reference.statistics


def test_a_second_signal_stops_at_once(monkeypatch, tmp_path):
    path = tmp_path / "run.npz"
    before = signal.getsignal(signal.SIGINT)
    signal_during_step(monkeypatch, signal.SIGINT, 5, again=True)
    with pytest.raises(KeyboardInterrupt, match="SIGINT received twice"):
        wg.solve(wg.flows.Heat(), rho0(), T_END, DT, checkpoint=path, checkpoint_every=5)
    assert signal.getsignal(signal.SIGINT) is before
    assert read_checkpoint(path).state["steps_done"] == 5  # the last complete checkpoint


def test_a_run_in_another_thread_installs_no_handler(monkeypatch):
    installed = []
    monkeypatch.setattr(signal, "signal", lambda *args: installed.append(args))
    results = []
    worker = threading.Thread(
        target=lambda: results.append(wg.solve(wg.flows.Heat(), rho0(), 1e-3, DT))
    )
    worker.start()
    worker.join()
    assert results[0].success and installed == []
    with InterruptGuard() as guard:  # the main thread: the handlers are installed
        assert guard.installed
    assert [args[0] for args in installed] == [signal.SIGINT, signal.SIGTERM] * 2


def test_the_guard_restores_handlers_and_leaves_ignored_signals_alone():
    calls = []

    def mine(signum, frame):
        calls.append(signum)

    previous_int = signal.signal(signal.SIGINT, mine)
    previous_term = signal.signal(signal.SIGTERM, signal.SIG_IGN)
    try:
        with InterruptGuard() as guard:
            assert signal.getsignal(signal.SIGINT).__self__ is guard
            assert signal.getsignal(signal.SIGTERM) == signal.SIG_IGN  # ignored: left so
            os.kill(os.getpid(), signal.SIGINT)
        assert guard.received == signal.SIGINT and guard.name == "SIGINT"
        assert calls == [] and signal.getsignal(signal.SIGINT) == mine
        os.kill(os.getpid(), signal.SIGINT)
        assert calls == [signal.SIGINT]
    finally:
        signal.signal(signal.SIGINT, previous_int)
        signal.signal(signal.SIGTERM, previous_term)


def test_exit_statuses_follow_the_shell_convention():
    assert EXIT_STATUS == {"SIGINT": 130, "SIGTERM": 143}
