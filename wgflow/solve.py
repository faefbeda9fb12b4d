"""``wgflow.solve``: integrate a flow from an initial density and record a trajectory."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
from tqdm.auto import tqdm

from .density import Density
from .errors import StepFailure, WgflowError, check_density, check_positive
from .estimate import DEFAULT_RTOL, CompanionEstimate
from .flows import Flow
from .result import SolveResult
from .solvers import Solver, resolve_method
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
    times = np.atleast_1d(np.asarray(t_eval, dtype=float))
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
        there is kept.
    """
    if not isinstance(flow, Flow):
        raise WgflowError(
            f"flow must be a wgflow flow (e.g. wg.flows.Heat()), got {type(flow).__name__}"
        )
    rho0 = check_density("rho0", rho0)
    t_end = check_positive("t_end", t_end)
    dt = check_positive("dt", dt)
    solver_class = resolve_method(method, flow)
    if "t0" in options:
        raise WgflowError(
            f"wg.solve integrates over [0, t_end]; got t0 = {options['t0']!r}.  To start at "
            "another time (a time-dependent flow), step a solver yourself, e.g. "
            "JKOSolver(flow, rho0, t0) and solver.step(dt)"
        )
    trackers = make_trackers(track, rho0, flow.energy)
    solver = solver_class(flow, rho0, **options)
    steps = _step_sizes(t_end, dt)
    outputs = _output_steps(t_eval, np.cumsum(steps))
    estimate = _error_estimate(solver, rho0, rtol)
    stored_maps = [_current_map(solver)] if maps else None

    singular = _singular_time(flow, rho0)

    times, densities = [0.0], [rho0]

    def store(rho: Density) -> None:
        times.append(solver.t)
        densities.append(rho)
        if stored_maps is not None:
            stored_maps.append(_current_map(solver))
        if estimate is not None:
            estimate.record()

    for tracker in trackers:
        tracker.record(0.0, rho0)
    every_step = [tracker for tracker in trackers if tracker.every_step]
    for index, step in enumerate(tqdm(steps, disable=not progress, desc=flow.name, unit="step")):
        if singular is not None and solver.t + step >= singular * (1.0 - 1e-12):
            solver.fail(
                f"the density is a kernel density estimate of age {rho0.age:.6g}: its backward "
                f"heat flow reaches the empirical measure, a singular time, at t = "
                f"{singular:.6g}; stopped at t = {solver.t:.6g} (estimate the density with a "
                "larger bandwidth to go further)"
            )
            break
        if not solver.step(step):
            break
        if estimate is not None:
            estimate.after_step()
            if solver.status == "failed":
                break
        if not every_step and index not in outputs:
            continue
        rho = _current_density(solver, flow, rho0)
        if rho is None:
            break
        for tracker in every_step:
            tracker.record(solver.t, rho)
        if index in outputs:
            store(rho)
            for tracker in trackers:
                if not tracker.every_step:
                    tracker.record(solver.t, rho)
    if solver.status == "failed" and times[-1] != solver.t:
        rho = _current_density(solver, flow, rho0)
        if rho is not None:
            store(rho)
    if estimate is not None:
        estimate.finish()  # may stop the run: the estimate at its end passes rtol
    success = solver.status != "failed"
    message = solver.message if not success else f"reached t_end = {t_end:g} in {len(steps)} steps"
    if success and estimate is not None and estimate.note is not None:
        message += f"; {estimate.note}"
    unconverged = solver.statistics.get("unconverged_steps", 0)
    if success and unconverged:
        message += f"; {unconverged} steps stopped before the Sinkhorn tolerance"
    statistics = dict(solver.statistics)
    statistics["largest_increase"] = {t.name: largest_increase(t.values) for t in trackers}
    settings = {"t_end": t_end, "dt": dt, **solver.settings()}
    if estimate is not None:
        statistics["error_estimate"] = estimate.values
        statistics["companion_steps"] = estimate.companion.statistics["steps"]
        statistics["companion_seconds"] = estimate.seconds
        settings["rtol"] = estimate.rtol
    return SolveResult(
        times=np.array(times),
        densities=densities,
        tracked={t.name: np.array(t.values) for t in trackers},
        tracked_times={t.name: np.array(t.times) for t in trackers},
        success=success,
        message=message,
        flow=flow.name,
        method=solver_class.method or solver_class.__name__,
        settings=settings,
        statistics=statistics,
        maps=stored_maps,
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
