"""Error estimates of the backward flows by a companion run.

A backward (ill-posed) flow amplifies every error it makes: mode ``k`` of an error made at
time ``s`` has grown by ``exp(|k|^2 (t - s))`` at time ``t`` (eq. (11)), up to the
regularisation's cut-off.  An estimate of the error at ``t`` must therefore follow the
errors along the run, not add up local ones.  wgflow runs a *companion*: the same solver from
the same data with each of the scheme's error sources changed at once,

* the time step doubled (two steps of the run are one of the companion's; an error of order
  two then grows by four: the difference is three times the run's time error),
* a second regularisation level (the smoothing, or the spectral noise level, scaled: the
  difference is the regularisation's sensitivity),
* a second entropic-blur level for the JKO scheme (twice ``gamma``: the blur a debiased step
  leaves is of order ``gamma^2``, so the difference is about three times the run's blur;
  twice ``gamma`` also doubles the width below which the discrete coupling pins mass to its
  cell, so the difference sees the spatial error of a density narrow for its grid),

and the estimate is the relative L1 distance between the two densities, plus what the
solver knows of its own error (the negative mass a cosine series clipped).  The companion
takes half the steps, cheaper ones, and costs a fraction of the run.  The two runs meet at
every second step, whatever the stored times, so that the estimate at a meeting, like the
density, does not depend on how far the run goes; there the estimate is compared with the
tolerance ``rtol``, and a run whose estimate passes it stops with ``success = False``.  A
density stored between two meetings gets the estimate of the next one (the errors of a
backward flow grow with time); a run that ends (or stops) between two meetings meets its
companion there after two half steps of it (a step as long as the run's would not see the
time error of that step: a run of one step would have none in its estimate), so that last
estimate can differ from the one a longer run gives at the same time.
"""

from __future__ import annotations

import math
import time
from typing import Any

from .density import Density
from .solvers import Solver

#: Default tolerance on the estimated relative L1 error of a backward run.
DEFAULT_RTOL = 1e-2


class CompanionEstimate:
    """The error estimate of a run by a companion run (module docstring).

    Parameters
    ----------
    solver : Solver
        The run's solver, at its initial state.
    rho0 : Density
        The initial density.
    rtol : float
        Tolerance: the run stops once its estimate passes it (``inf``: never).
    options : dict
        The companion's options (:meth:`~wgflow.solvers.Solver.companion_options`).
    """

    def __init__(self, solver: Solver, rho0: Density, rtol: float, options: dict[str, Any]):
        self.solver = solver
        self.companion = type(solver)(solver.flow, rho0, solver.t0, **options)
        self.rtol = rtol
        self.current = 0.0
        self._unsynced_steps = 0
        self._pending: list[int] = []
        #: Wall-clock seconds spent in the companion's steps (what the estimate costs).
        self.seconds = 0.0
        #: Why the estimate became unknown (the companion stopped), else ``None``.
        self.note: str | None = None
        #: The estimate of each stored density (``0`` for the initial one).
        self.values = [0.0]

    def after_step(self) -> None:
        """After each step of the run: meet the companion at every second step, and stop
        the run if the estimate passes ``rtol``."""
        self._unsynced_steps += 1
        if self._unsynced_steps == 2:
            self.sync()

    def sync(self) -> None:
        """Bring the companion to the run's time (one step) and update the estimate."""
        solver, companion = self.solver, self.companion
        gap = solver.t - companion.t
        # after one step of the run, a companion step of the same length would see none of
        # its time error: the companion takes it as two half steps instead
        pieces = 2 if self._unsynced_steps == 1 else 1
        self._unsynced_steps = 0
        if companion.status != "failed" and gap > 1e-12 * max(abs(solver.t), 1.0):
            start = time.perf_counter()
            for _ in range(pieces):
                if companion.status != "failed":
                    companion.step(gap / pieces)
            self.seconds += time.perf_counter() - start
        if companion.status == "failed":
            if self.note is None:
                self.note = (
                    f"the error estimate is unknown from t = {companion.t:.6g} on: its "
                    f"companion run stopped ({companion.message})"
                )
            self.current = math.inf
            self._stop(f"{self.note}; stop earlier{self._more_regularisation()}")
        else:
            known = solver.known_error()
            self.current = float(solver.rho.relative_l1_error(companion.rho)) + known
            if self.current > self.rtol:
                self._stop(self._message(known))
        for position in self._pending:
            self.values[position] = self.current
        self._pending.clear()

    def _stop(self, message: str) -> None:
        """Fail the run (unless ``rtol`` is infinite or it has failed already)."""
        if self.rtol < math.inf and self.solver.status != "failed":
            self.solver.fail(message)

    def _message(self, known: float) -> str:
        reason = (
            f"the cosine series lost positivity: the clipped negative mass changes the "
            f"density by {known:.2e} (L1, relative); "
            if known > self.rtol else ""
        )
        return (
            f"{reason}the estimated relative L1 error {self.current:.2e} at t = "
            f"{self.solver.t:.6g} passes rtol = {self.rtol:g}: stop earlier, take a smaller "
            f"dt or a finer grid{self._more_regularisation()}; rtol=inf runs on and keeps "
            "reporting the estimate"
        )

    def _more_regularisation(self) -> str:
        hint = self.solver.regularisation_hint()
        return f", or regularise more ({hint})" if hint else ""

    def record(self) -> None:
        """Record the estimate of the density just stored (that of the next meeting when
        the run is between two)."""
        self.values.append(self.current)
        if self._unsynced_steps:
            self._pending.append(len(self.values) - 1)

    def state(self) -> dict[str, Any]:
        """Everything the estimate carries, for a checkpoint: the companion's solver state
        (:meth:`~wgflow.solvers.Solver.state`), the current estimate, the steps since the
        last meeting, the stored densities waiting for it, the estimates so far, the note
        and the seconds spent."""
        return {
            "companion": self.companion.state(), "current": self.current,
            "unsynced_steps": self._unsynced_steps, "pending": list(self._pending),
            "seconds": self.seconds, "note": self.note, "values": list(self.values),
        }

    def restore(self, state: dict[str, Any]) -> None:
        """Take back a :meth:`state` (of an estimate of the same run)."""
        self.companion.restore(state["companion"])
        self.current = float(state["current"])
        self._unsynced_steps = int(state["unsynced_steps"])
        self._pending = [int(p) for p in state["pending"]]
        self.seconds = float(state["seconds"])
        self.note = None if state["note"] is None else str(state["note"])
        self.values = [float(v) for v in state["values"]]

    def forget(self, positions: list[int]) -> None:
        """Drop the estimates of the stored densities at ``positions`` (of :attr:`values`),
        which a resumed run does not store (:func:`wgflow.resume`)."""
        dropped = set(positions)
        renumber = {old: new for new, old in enumerate(
            p for p in range(len(self.values)) if p not in dropped)}
        self.values = [v for p, v in enumerate(self.values) if p not in dropped]
        self._pending = [renumber[p] for p in self._pending if p not in dropped]

    def finish(self) -> None:
        """At the end of the run (or where it stopped): meet the companion there, so every
        stored density has its estimate."""
        if self._pending or self._unsynced_steps:
            self.sync()
