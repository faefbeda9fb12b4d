"""The solver contract, modelled on scipy's ``solve_ivp`` step solvers.

A solver holds the current time and density, advances by :meth:`Solver.step`, counts its
work in :attr:`Solver.statistics`, and on failure sets ``status = "failed"`` and a
``message`` instead of producing NaN.  :func:`wgflow.solve` drives any solver.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any

import numpy as np

from ..density import Density
from ..flows import Flow


class StepFailure(Exception):
    """Raised by :meth:`Solver.advance` when a step cannot be taken; the message says why."""


class Solver(ABC):
    """Base class of time steppers for a :class:`~wgflow.flows.Flow`.

    Attributes
    ----------
    t : float
        Current time.
    rho : Density
        Current density.
    status : str
        ``"running"``, ``"finished"`` or ``"failed"``.
    message : str
        Why the solver stopped (empty while running).
    statistics : dict
        Per-step counters (lists) and run-wide settings, reported in the result.
    """

    #: The ``method=`` name of :func:`wgflow.solve`.
    method: str = ""

    def __init__(self, flow: Flow, rho0: Density, t0: float = 0.0):
        self.flow = flow
        self.rho = rho0
        self.t = float(t0)
        self.status = "running"
        self.message = ""
        self.statistics: dict[str, Any] = {"steps": 0}

    @abstractmethod
    def advance(self, dt: float) -> np.ndarray:
        """Return the values per unit volume at ``t + dt``; raise :class:`StepFailure`."""

    @classmethod
    def run_options(cls, flow: Flow, t_end: float, options: dict[str, Any]) -> dict[str, Any]:
        """The solver options of a :func:`wgflow.solve` run to ``t_end``: ``options`` plus
        defaults that depend on the run (none here)."""
        return options

    def settings(self) -> dict[str, Any]:
        """The numerical parameters in force (reported in the result)."""
        return {}

    def step(self, dt: float) -> bool:
        """Advance by ``dt``; on failure keep the last good state, set status and message."""
        try:
            values = self.advance(dt)
            _check_state(values * self.rho.grid.cell_volume, self.rho.mass)
        except StepFailure as failure:
            self.status = "failed"
            self.message = f"step from t = {self.t:.6g} to t = {self.t + dt:.6g} failed: {failure}"
            return False
        self.rho = Density(self.rho.grid, values)
        self.t += dt
        self.statistics["steps"] += 1
        return True


#: Relative change of mass above which a step is declared to have lost mass.
MASS_TOLERANCE = 1e-8


def _check_state(masses: np.ndarray, mass0: float) -> None:
    if not np.isfinite(masses).all():
        raise StepFailure("the new density has non-finite values")
    if (masses < 0).any():
        raise StepFailure(f"positivity lost: minimum cell mass {masses.min():.3e}")
    drift = abs(float(masses.sum()) - mass0) / mass0
    if drift > MASS_TOLERANCE:
        raise StepFailure(f"mass not conserved: relative change {drift:.3e}")
