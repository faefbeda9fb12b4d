"""``wgflow.solve``: integrate a flow from an initial density and record a trajectory;
``wgflow.resume``: continue a run from its checkpoint.

A run (:class:`_Run`) is its solver, its error estimate, its trackers and the densities it
has stored.  With ``checkpoint=`` its whole state is written to a file every
``checkpoint_every`` steps and at the end (:mod:`wgflow.checkpoint`), and :func:`resume`
rebuilds the run from that file: the same solver from the same flow, initial density and
options, restored to where it was, so that it goes on exactly as the run would have.
SIGINT (Ctrl-C) and SIGTERM stop a run after its current step (:mod:`wgflow.interrupt`).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from tqdm.auto import tqdm

from .checkpoint import (
    Checkpoint,
    CheckpointWriter,
    check_checkpoint_every,
    check_checkpoint_path,
    check_options,
    read_checkpoint,
)
from .density import Density
from .errors import (
    StepFailure,
    WgflowError,
    as_real_array,
    check_bool,
    check_density,
    check_positive,
)
from .estimate import DEFAULT_RTOL, CompanionEstimate
from .flows import Flow
from .interrupt import InterruptGuard
from .result import SolveResult
from .solvers import SOLVERS, Solver, resolve_method
from .trackers import largest_increase, make_trackers

#: Default number of stored densities (plus the initial one) when ``t_eval`` is not given.
DEFAULT_OUTPUTS = 10


def _step_sizes(t_end: float, dt: float) -> list[float]:
    """``dt`` repeated, the last step shortened to land on ``t_end`` exactly."""
    n = max(1, math.ceil(t_end / dt - 1e-9))
    return [dt] * (n - 1) + [t_end - (n - 1) * dt]


def _output_steps(t_eval: Sequence[float] | None, step_ends: np.ndarray) -> set[int]:
    """Indices of the steps after which a density is stored (the nearest to each time)."""
    n = len(step_ends)
    if t_eval is None:
        count = min(n, DEFAULT_OUTPUTS)
        return {int(round(k * n / count)) - 1 for k in range(1, count + 1)}
    times = np.atleast_1d(as_real_array("t_eval", t_eval))
    if times.ndim != 1:
        raise WgflowError(
            f"t_eval must be a time or a 1-D sequence of times, got shape {times.shape}"
        )
    if not np.isfinite(times).all() or (times < 0).any() or (times > step_ends[-1] + 1e-12).any():
        raise WgflowError(
            f"t_eval must lie in [0, t_end = {step_ends[-1]:g}], got {times.tolist()}"
        )
    steps = {int(np.argmin(np.abs(step_ends - t))) for t in times if t > 0}
    return steps | {n - 1}


def solve(
    flow: Flow,
    rho0: Density,
    t_end: float,
    dt: float,
    method: str | type[Solver] = "jko",
    track: Sequence[str] = (),
    t_eval: Sequence[float] | None = None,
    progress: bool = False,
    maps: bool = False,
    rtol: float | None = None,
    checkpoint: str | Path | None = None,
    checkpoint_every: int | None = None,
    **options: Any,
) -> SolveResult:
    """Integrate ``flow`` from ``rho0`` over ``[0, t_end]`` with time step ``dt``.

    Parameters
    ----------
    flow : Flow
        The equation, e.g. ``wg.flows.Heat()`` or ``wg.flows.PorousMedium(2)``.
    rho0 : Density
        Initial density (non-negative, positive mass).
    t_end : float
        Final time (> 0).
    dt : float
        Time step (> 0); the last step is shortened to end at ``t_end``.
    method : str or Solver subclass
        Solver: one of the flow's ``methods`` (the registered names that integrate it,
        :data:`wgflow.solvers.SOLVERS`; ``"jko"`` for the gradient flows), or a
        :class:`~wgflow.solvers.Solver` subclass.
    track : sequence of str
        Tracker names (see :mod:`wgflow.trackers`): ``"shannon"``, ``"renyi:2"``,
        ``"tsallis:2"``, ``"mass"``, ``"energy"``, ``"w2"``.
    t_eval : sequence of float, optional
        Times at which densities are stored (each snapped to the nearest step); default
        ten evenly spaced step times.  ``t = 0`` and the last time are always stored.
    progress : bool
        Show a progress bar (tqdm).
    maps : bool
        Also store the flow map from the initial cell centres at each stored time
        (``result.maps``), for solvers that track one (``method="lagrangian"``).
    rtol : float, optional
        Tolerance on the estimated relative L1 error of the runs that estimate it (the
        backward flows, :mod:`wgflow.estimate`; default 1e-2): such a run reports the
        estimate of each stored density in ``statistics["error_estimate"]`` and stops with
        ``success=False`` once it passes ``rtol``; ``rtol=inf`` runs on and still reports it.
        An error for a run without an estimate.
    checkpoint : str or Path, optional
        A file (in an existing, writable directory) to which the whole state of the run is
        written every ``checkpoint_every`` steps and at the end (an ``.npz`` archive,
        replaced atomically each time: :mod:`wgflow.checkpoint`); a file already there is
        removed when the run starts (it holds another run).  :func:`wgflow.resume`
        continues the run from it.  The method must be a registered name and the options
        numbers, strings, booleans or ``None``.
    checkpoint_every : int, optional
        Steps between two checkpoints (default 10; a run killed outright loses at most
        these).  Only with ``checkpoint``.
    **options
        Passed to the solver and, through it, to the flow's discretisation, e.g.
        ``gamma``, ``sinkhorn_tol`` for ``method="jko"`` (:class:`~wgflow.solvers.JKOSolver`)
        or ``smoothing`` for the backward flows.  ``backend``, ``device`` and ``dtype`` of
        ``method="jko"`` say where its step runs (``backend="jax"``, ``"torch"``,
        ``"cupy"``, or arrays of these; :mod:`wgflow.backend`); this loop, the trackers
        and the result stay numpy: trackers evaluate on the host, once per stored step.

    Returns
    -------
    SolveResult
        ``times``, ``densities``, ``final``, ``tracked``, ``success``, ``message``,
        ``settings``, ``statistics`` and, with ``maps=True``, ``maps``.  A solver that
        cannot continue stops with ``success=False`` and a message; the trajectory up to
        there is kept.  SIGINT (Ctrl-C) or SIGTERM in the main thread stops the run after
        its current step with ``success=False``, a message saying where, and
        ``interrupted`` set to the signal's name (:mod:`wgflow.interrupt`); the checkpoint,
        if any, is written first.

    Raises
    ------
    WgflowError
        For bad input, named in the message.
    """
    if not isinstance(flow, Flow):
        raise WgflowError(
            f"flow must be a wgflow flow (e.g. wg.flows.Heat()), got {type(flow).__name__}"
        )
    rho0 = check_density("rho0", rho0)
    t_end = check_positive("t_end", t_end)
    dt = check_positive("dt", dt)
    progress = check_bool("progress", progress)
    maps = check_bool("maps", maps)
    solver_class = resolve_method(method, flow)
    if "t0" in options:
        raise WgflowError(
            f"wg.solve integrates over [0, t_end]; got t0 = {options['t0']!r}.  To start at "
            "another time (a time-dependent flow), step a solver yourself, e.g. "
            "JKOSolver(flow, rho0, t0) and solver.step(dt)"
        )
    if checkpoint is None:
        if checkpoint_every is not None:
            raise WgflowError(
                f"checkpoint_every = {checkpoint_every!r} was given without checkpoint; "
                "accepted: checkpoint='run.npz' (a file) with it"
            )
        path = None
    else:
        path = check_checkpoint_path(checkpoint)
        every = check_checkpoint_every(checkpoint_every)
        options = check_options(options)
        _registered_name(solver_class)
    run = _Run(flow, rho0, t_end, dt, solver_class, track, t_eval, maps, rtol, options)
    run.record_initial()
    writer = None
    if path is not None:
        writer = run.writer(path, every, t_eval, rtol, options)
        writer.claim()
    return run.execute(writer, progress)


def resume(
    path: str | Path,
    t_end: float | None = None,
    flow: Flow | None = None,
    *,
    t_eval: Sequence[float] | None = None,
    progress: bool = False,
    checkpoint: str | Path | bool = True,
    checkpoint_every: int | None = None,
) -> SolveResult:
    """Continue the run whose checkpoint is ``path`` (``wg.solve(..., checkpoint=path)``).

    The run is rebuilt from the file -- the same solver from the same flow, initial
    density and options -- and restored to its state there; it then goes on to ``t_end``.
    The result is that of a run that was never interrupted: the final density, the
    tracked values, the stored densities and times and the statistics are those of
    ``wg.solve`` to that ``t_end`` (to the bit on the numpy backend with the same number
    of threads; the timings in ``statistics``, such as ``companion_seconds``, excepted).

    Parameters
    ----------
    path : str or Path
        The checkpoint.
    t_end : float, optional
        Where the run ends: its own ``t_end`` (default), or another time after the
        checkpoint's, earlier or later than its own.  The steps are those of a run to
        this ``t_end``: ``dt`` each, the last one shortened to land on it (a finished run
        whose last step was shortened takes it again as a whole step to go further).
    flow : Flow, optional
        The run's flow.  A flow of :mod:`wgflow.flows` made only of numbers (heat, porous
        medium, the backward flows) is rebuilt from the file; a flow that holds functions
        (a potential, a velocity) must be given again.  A given flow is checked against the
        file: its class, its :meth:`~wgflow.flows.Flow.parameters` and its
        :meth:`~wgflow.flows.Flow.fingerprint` on the run's grid.
    t_eval : sequence of float, optional
        The stored times (default: the run's own).  Densities the run stored before the
        checkpoint are kept where these times ask for them; the run's last density is
        dropped when a run that goes further does not ask for it.  With the default
        outputs (ten evenly spaced times) and another ``t_end`` the densities stored before
        the checkpoint are kept and the rest follow the new run's default times.
    progress : bool
        Show a progress bar.
    checkpoint : str, Path or bool
        Where the resumed run writes its checkpoints: ``True`` (default), the file it was
        resumed from; another file (removed first if it exists, as by :func:`wgflow.solve`);
        or ``False``, nowhere.
    checkpoint_every : int, optional
        Steps between two checkpoints (default: the run's own).

    Returns
    -------
    SolveResult
        As :func:`wgflow.solve` returns.

    Raises
    ------
    WgflowError
        If ``path`` is not a checkpoint (or is damaged, of another kind or format version),
        the flow cannot be rebuilt or differs from the run's (class, parameters, values on
        its grid), the run in it failed, ``t_end`` is not after the checkpoint's time, or
        ``t_eval`` asks for a density the run passed without storing it; the message says
        which.
    """
    saved = read_checkpoint(path)
    run_info = saved.run
    flow = saved.flow_for(flow)
    solver_class = SOLVERS.get(run_info["method"])
    if solver_class is None:
        raise WgflowError(
            f"the run in {path} used the method {run_info['method']!r}, which this wgflow "
            f"does not have; accepted: {', '.join(map(repr, SOLVERS))}"
        )
    state_solver = saved.state["solver"]
    if state_solver["status"] == "failed":
        raise WgflowError(
            f"the run in {path} failed at t = {state_solver['t']:.6g} ({state_solver['message']}); "
            "a failed run cannot be resumed"
        )
    t_end = run_info["t_end"] if t_end is None else check_positive("t_end", t_end)
    dt = run_info["dt"]
    state, before_last = _state_for(saved, t_end)
    given_t_eval = t_eval is not None
    t_eval = list(np.atleast_1d(np.asarray(t_eval, dtype=float)).tolist()) if given_t_eval \
        else run_info["t_eval"]
    if checkpoint is True:
        target: Path | None = saved.path
    elif checkpoint is False or checkpoint is None:
        target = None
    else:
        target = check_checkpoint_path(checkpoint)
    every = check_checkpoint_every(
        run_info["checkpoint_every"] if checkpoint_every is None else checkpoint_every
    )
    run = _Run(flow, saved.rho0, t_end, dt, solver_class, run_info["track"], t_eval,
               run_info["maps"], run_info["rtol"], run_info["options"])
    run.restore(state, before_last, t_eval, given_t_eval)
    writer = None
    if target is not None:
        writer = run.writer(target, every, t_eval, run_info["rtol"], run_info["options"])
        if target.resolve() != saved.path.resolve():
            writer.claim()
    return run.execute(writer, progress)


def _registered_name(solver_class: type[Solver]) -> str:
    """The registered ``method=`` name of ``solver_class`` (a checkpoint stores it)."""
    if SOLVERS.get(solver_class.method) is not solver_class:
        raise WgflowError(
            f"checkpoint= needs a registered method ({', '.join(map(repr, SOLVERS))}), got "
            f"the solver class {solver_class.__name__}, which a resumed run could not find"
        )
    return solver_class.method


def _state_for(saved: Checkpoint, t_end: float) -> tuple[dict[str, Any], dict[str, Any] | None]:
    """The state of ``saved`` from which a run to ``t_end`` goes on, and the state before its
    last step to keep in the next checkpoint: the steps taken so far must be the first
    steps of a run to ``t_end``.  A finished run whose last step was shortened goes on from
    the state before that step (kept in the file for this)."""
    run_info = saved.run
    dt = run_info["dt"]
    taken = _step_sizes(run_info["t_end"], dt)
    wanted = _step_sizes(t_end, dt)
    for state in (saved.state, saved.before_last):
        if state is None:
            continue
        done = int(state["steps_done"])
        if wanted[:done] == taken[:done] and (len(wanted) > done or t_end == run_info["t_end"]):
            return state, saved.before_last if state is saved.state else None
    raise WgflowError(
        f"t_end = {t_end!r} is not after the time of the run in {saved.path}, "
        f"t = {saved.time!r} ({saved.state['steps_done']} steps of dt = {dt!r}); accepted: a "
        f"t_end > {saved.time!r} (the run's own t_end is {run_info['t_end']!r})"
    )


class _Run:
    """One run of :func:`solve`: its solver, error estimate, trackers and the densities
    (and maps) stored so far; :meth:`execute` steps it and returns its result, and
    :meth:`state` / :meth:`restore` save and take back where it is."""

    def __init__(
        self, flow: Flow, rho0: Density, t_end: float, dt: float, solver_class: type[Solver],
        track: Sequence[str], t_eval: Sequence[float] | None, maps: bool, rtol: float | None,
        options: dict[str, Any],
    ):
        self.flow, self.rho0, self.t_end, self.dt = flow, rho0, t_end, dt
        self.trackers = make_trackers(track, rho0, flow.energy)
        self.solver = solver_class(flow, rho0, **options)
        self.steps = _step_sizes(t_end, dt)
        self.outputs = _output_steps(t_eval, np.cumsum(self.steps))
        self.estimate = _error_estimate(self.solver, rho0, rtol)
        self.maps = [_current_map(self.solver)] if maps else None
        self.singular = _singular_time(flow, rho0)
        self.times, self.densities = [0.0], [rho0]
        #: The step after which each stored density was stored (-1: the initial one).
        self.stored_steps = [-1]
        #: Steps taken.
        self.steps_done = 0
        #: The state before the last step, when it is shorter than ``dt`` (for checkpoints).
        self.before_last: dict[str, Any] | None = None
        #: The name of the signal that stopped the run, or ``None``.
        self.interrupted: str | None = None
        self.checkpoint_path: Path | None = None

    def record_initial(self) -> None:
        """Record the trackers at ``t = 0``."""
        for tracker in self.trackers:
            tracker.record(0.0, self.rho0)

    def writer(
        self, path: Path, every: int, t_eval: Sequence[float] | None, rtol: float | None,
        options: dict[str, Any],
    ) -> CheckpointWriter:
        """The writer of this run's checkpoints."""
        self.checkpoint_path = path
        info = {
            "method": _registered_name(type(self.solver)), "options": options,
            "t_end": self.t_end, "dt": self.dt, "track": [t.name for t in self.trackers],
            "t_eval": None if t_eval is None else np.atleast_1d(
                np.asarray(t_eval, dtype=float)).tolist(),
            "maps": self.maps is not None, "rtol": rtol, "checkpoint_every": every,
        }
        return CheckpointWriter(path, every, info, self.flow, self.rho0)

    # -- the state ---------------------------------------------------------------------
    def state(self) -> dict[str, Any]:
        """Where the run is: the steps taken, the solver's and the estimate's states, the
        tracked values and the stored densities (and maps)."""
        stored: dict[str, Any] = {  # the arrays themselves: a checkpoint stores each once
            "times": np.array(self.times), "steps": list(self.stored_steps),
            "values": [rho.values for rho in self.densities],
            "ages": [rho.age for rho in self.densities],
        }
        if self.maps is not None:
            stored["maps"] = list(self.maps)
        return {
            "steps_done": self.steps_done,
            "solver": self.solver.state(),
            "estimate": None if self.estimate is None else self.estimate.state(),
            "trackers": {
                t.name: {"times": np.array(t.times), "values": np.array(t.values)}
                for t in self.trackers
            },
            "stored": stored,
        }

    def restore(
        self, state: dict[str, Any], before_last: dict[str, Any] | None,
        t_eval: Sequence[float] | None, given_t_eval: bool,
    ) -> None:
        """Take back a :meth:`state` of a run of the same flow, initial density and options,
        and keep the stored densities that this run's outputs ask for (all of them with
        the default outputs)."""
        self.steps_done = int(state["steps_done"])
        self.before_last = before_last
        self.solver.restore(state["solver"])
        if self.estimate is not None:
            self.estimate.restore(state["estimate"])
        for tracker in self.trackers:
            saved = state["trackers"][tracker.name]
            tracker.times = [float(t) for t in saved["times"]]
            tracker.values = [float(v) for v in saved["values"]]
        stored = state["stored"]
        self.times = [float(t) for t in stored["times"]]
        self.stored_steps = [int(step) for step in stored["steps"]]
        self.densities = [self.rho0] + [
            Density(self.rho0.grid, values, age=age)
            for values, age in zip(stored["values"][1:], stored["ages"][1:])
        ]
        if self.maps is not None:
            self.maps = list(stored["maps"])
        if t_eval is not None:
            self._keep_outputs(given_t_eval)

    def _keep_outputs(self, given_t_eval: bool) -> None:
        """Drop the stored densities this run's outputs do not ask for (the last density of
        a finished run that goes further); refuse outputs the run passed without storing."""
        stored = set(self.stored_steps)
        missing = sorted(s for s in self.outputs if s < self.steps_done and s not in stored)
        if missing and given_t_eval:
            ends = np.cumsum(self.steps)
            raise WgflowError(
                f"t_eval asks for densities at t = {[float(ends[s]) for s in missing]}, which "
                f"the checkpointed run passed without storing them; accepted: times after "
                f"its time t = {self.solver.t!r}, or the times it stored, {self.times[1:]}"
            )
        drop = [i for i, step in enumerate(self.stored_steps)
                if step >= 0 and step not in self.outputs]
        keep = [i for i in range(len(self.times)) if i not in drop]
        self.times = [self.times[i] for i in keep]
        self.densities = [self.densities[i] for i in keep]
        self.stored_steps = [self.stored_steps[i] for i in keep]
        if self.maps is not None:
            self.maps = [self.maps[i] for i in keep]
        if self.estimate is not None:
            self.estimate.forget(drop)

    # -- stepping ----------------------------------------------------------------------
    def execute(self, writer: CheckpointWriter | None, progress: bool) -> SolveResult:
        """Take the remaining steps (stopping at SIGINT or SIGTERM after the current one),
        writing checkpoints, and return the result."""
        with InterruptGuard() as guard:
            self._advance(guard, writer, progress)
        return self._result()

    def _advance(
        self, guard: InterruptGuard, writer: CheckpointWriter | None, progress: bool
    ) -> None:
        n = len(self.steps)
        every_step = [tracker for tracker in self.trackers if tracker.every_step]
        with tqdm(total=n, initial=self.steps_done, disable=not progress, desc=self.flow.name,
                  unit="step") as bar:
            while self.steps_done < n and guard.received is None:
                index = self.steps_done
                if writer is not None and index == n - 1 and self.steps[index] != self.dt:
                    self.before_last = self.state()
                if not self._step(index, every_step):
                    break
                self.steps_done += 1
                bar.update()
                if (writer is not None and self.steps_done % writer.every == 0
                        and self.steps_done < n and guard.received is None):
                    writer.write(self.state())
        if self.steps_done < n and guard.received is not None:
            self.interrupted = guard.name
        if writer is not None:
            writer.write(self.state(), self.before_last)

    def _step(self, index: int, every_step: list[Any]) -> bool:
        """Take step ``index``, record the trackers and store its density where asked;
        ``False`` when the run stops."""
        solver, step = self.solver, self.steps[index]
        if self.singular is not None and solver.t + step >= self.singular * (1.0 - 1e-12):
            solver.fail(
                f"the density is a kernel density estimate of age {self.rho0.age:.6g}: its "
                f"backward heat flow reaches the empirical measure, a singular time, at t = "
                f"{self.singular:.6g}; stopped at t = {solver.t:.6g} (estimate the density "
                "with a larger bandwidth to go further)"
            )
            return False
        if not solver.step(step):
            return False
        rho = None
        if every_step:  # before the estimate, which may stop the run at this density
            rho = _current_density(solver, self.flow, self.rho0)
            if rho is None:
                return False
            for tracker in every_step:
                tracker.record(solver.t, rho)
        if self.estimate is not None:
            self.estimate.after_step()
            if solver.status == "failed":
                return False
        if index not in self.outputs:
            return True
        if rho is None:
            rho = _current_density(solver, self.flow, self.rho0)
            if rho is None:
                return False
        self._store(rho, index)
        for tracker in self.trackers:
            if not tracker.every_step:
                tracker.record(solver.t, rho)
        return True

    def _store(self, rho: Density, index: int) -> None:
        self.times.append(self.solver.t)
        self.densities.append(rho)
        self.stored_steps.append(index)
        if self.maps is not None:
            self.maps.append(_current_map(self.solver))
        if self.estimate is not None:
            self.estimate.record()

    def _result(self) -> SolveResult:
        """The result: the density where a run stopped early is stored, the estimate meets
        its companion there, and the message says how the run ended."""
        solver, estimate, n = self.solver, self.estimate, len(self.steps)
        stopped = solver.status == "failed" or self.interrupted is not None
        if stopped and self.times[-1] != solver.t:
            rho = _current_density(solver, self.flow, self.rho0)
            if rho is not None:
                self._store(rho, self.steps_done - 1)
        if estimate is not None:
            estimate.finish()  # may stop the run: the estimate at its end passes rtol
        success = solver.status != "failed" and self.interrupted is None
        if self.interrupted is not None:
            message = (
                f"interrupted by {self.interrupted} at t = {solver.t:.6g} after "
                f"{self.steps_done} of {n} steps"
            )
            if solver.status == "failed":
                message += f"; {solver.message}"
            if self.checkpoint_path is not None:
                message += (
                    f"; the checkpoint {self.checkpoint_path} holds the run there: "
                    f"wg.resume({str(self.checkpoint_path)!r}) continues it"
                )
        elif not success:
            message = solver.message
        else:
            message = f"reached t_end = {self.t_end:g} in {n} steps"
            if estimate is not None and estimate.note is not None:
                message += f"; {estimate.note}"
            unconverged = solver.statistics.get("unconverged_steps", 0)
            if unconverged:
                message += f"; {unconverged} steps stopped before the Sinkhorn tolerance"
        statistics = dict(solver.statistics)
        statistics["largest_increase"] = {
            t.name: largest_increase(t.values) for t in self.trackers
        }
        settings = {"t_end": self.t_end, "dt": self.dt, **solver.settings()}
        if estimate is not None:
            statistics["error_estimate"] = estimate.values
            statistics["companion_steps"] = estimate.companion.statistics["steps"]
            statistics["companion_seconds"] = estimate.seconds
            settings["rtol"] = estimate.rtol
        solver_class = type(solver)
        return SolveResult(
            times=np.array(self.times),
            densities=self.densities,
            tracked={t.name: np.array(t.values) for t in self.trackers},
            tracked_times={t.name: np.array(t.times) for t in self.trackers},
            success=success,
            message=message,
            flow=self.flow.name,
            method=solver_class.method or solver_class.__name__,
            settings=settings,
            statistics=statistics,
            maps=self.maps,
            interrupted=self.interrupted,
        )


def _error_estimate(
    solver: Solver, rho0: Density, rtol: float | None
) -> CompanionEstimate | None:
    """The companion run that estimates the error of ``solver``'s run, or ``None`` for a
    run without one (then ``rtol`` must not be given)."""
    options = solver.companion_options()
    if options is None:
        if rtol is not None:
            raise WgflowError(
                f"rtol = {rtol!r} was given, but the {solver.flow.name} flow with method "
                f"{solver.method!r} has no error estimate (the backward flows have one)"
            )
        return None
    rtol = DEFAULT_RTOL if rtol is None else check_positive("rtol", rtol, allow_inf=True)
    return CompanionEstimate(solver, rho0, rtol, options)


def _singular_time(flow: Flow, rho0: Density) -> float | None:
    """When a flow that lowers the age of a kernel density estimate (the backward heat
    flow) brings ``rho0`` to its empirical measure, or ``None``."""
    if rho0.age is None or flow.age_rate is None or flow.age_rate >= 0:
        return None
    return rho0.age / -flow.age_rate


def _current_density(solver: Solver, flow: Flow, rho0: Density) -> Density | None:
    """The solver's current density, with its age when ``rho0`` has one and the flow says
    how it changes; ``None`` (and a failed solver) when a density the solver computes on
    demand cannot be had."""
    try:
        rho = solver.rho
    except StepFailure as failure:
        if solver.status != "failed":
            solver.fail(f"the density at t = {solver.t:.6g} cannot be had: {failure}")
        return None
    if rho0.age is None or flow.age_rate is None:
        return rho
    return Density(rho.grid, rho.values, age=max(rho0.age + flow.age_rate * solver.t, 0.0))


def _current_map(solver: Solver) -> np.ndarray:
    """The solver's current flow map, or an error if it tracks none."""
    flow_map = solver.flow_map()
    if flow_map is None:
        raise WgflowError(
            f"method {solver.method!r} does not compute flow maps; maps=True needs a solver "
            "that tracks them (method='lagrangian')"
        )
    return flow_map
