"""The solver contract, modelled on scipy's ``solve_ivp`` step solvers.

A solver holds the current time and density, advances by :meth:`Solver.step`, counts its
work in :attr:`Solver.statistics`, and on failure sets ``status = "failed"`` and a
``message`` instead of producing NaN.  :func:`wgflow.solve` drives any solver.  A solver
holds no physics: it asks its flow for a discretisation through the interface named by
:attr:`Solver.flow_interface` (:mod:`wgflow.flows.base`) and runs every flow that
implements it.
"""

from __future__ import annotations

import copy
import inspect
from abc import ABC, abstractmethod
from collections.abc import Callable
from typing import Any, ClassVar, TypeVar

import numpy as np

from ..density import Density
from ..errors import StepFailure, UnknownOptionError, WgflowError
from ..flows import Flow

T = TypeVar("T")

#: Relative change of mass above which a step is declared to have lost mass.
MASS_TOLERANCE = 1e-8


class Solver(ABC):
    """Base class of time steppers.

    Parameters
    ----------
    flow : Flow
        A flow implementing :attr:`flow_interface`.
    rho0 : Density
        Initial density.
    t0 : float
        Initial time.

    Attributes
    ----------
    t0 : float
        Initial time.
    t : float
        Current time.
    rho : Density
        Current density.
    status : str
        ``"running"``, ``"finished"`` or ``"failed"``.
    message : str
        Why the solver stopped (empty while running).
    statistics : dict
        Per-step counters (lists) and run-wide counts, reported in the result.
    """

    #: The ``method=`` name of :func:`wgflow.solve`.
    method: ClassVar[str] = ""
    #: The interface (:mod:`wgflow.flows.base`) a flow implements to run with this solver.
    flow_interface: ClassVar[type] = Flow

    def __init__(self, flow: Flow, rho0: Density, t0: float = 0.0):
        if not self.supports(flow):
            raise WgflowError(
                f"method {self.method!r} does not integrate the {flow.name} flow; accepted "
                f"methods for it: {', '.join(map(repr, flow.methods)) or 'none'}"
            )
        self.flow = flow
        self.grid = rho0.grid
        self.mass0 = rho0.mass
        self._rho: Density | None = rho0
        self.t0 = float(t0)
        self.t = self.t0
        self.status = "running"
        self.message = ""
        self.statistics: dict[str, Any] = {"steps": 0}

    @classmethod
    def supports(cls, flow: Flow) -> bool:
        """Whether ``flow`` supplies the discretisation this solver asks for."""
        return isinstance(flow, cls.flow_interface)

    @property
    def rho(self) -> Density:
        """The current density (computed on demand by solvers whose :meth:`advance` moves
        another state, such as a flow map).

        Raises
        ------
        StepFailure
            If the density computed on demand cannot be had, is not finite, has negative
            values or has lost mass (:func:`wgflow.solve` then ends the run with
            ``success=False``).
        """
        if self._rho is None:
            values = self.density_values()
            _check_state(values * self.grid.cell_volume, self.mass0)
            self._rho = Density(self.grid, values)
        return self._rho

    @classmethod
    def option_names(cls) -> tuple[str, ...]:
        """The keyword options of this solver's constructor (besides the flow's own)."""
        parameters = inspect.signature(cls.__init__).parameters.values()
        return tuple(p.name for p in parameters if p.kind is inspect.Parameter.KEYWORD_ONLY)

    def discretise(self, factory: Callable[..., T], *args: Any, **options: Any) -> T:
        """Ask the flow for its discretisation, ``factory(*args, **options)``; an unknown
        option is reported with all that this method accepts (the solver's and the flow's)."""
        try:
            return factory(*args, **options)
        except UnknownOptionError as error:
            accepted = sorted({*self.option_names(), *error.accepted})
            raise WgflowError(
                f"unknown option {', '.join(map(repr, error.names))} for method "
                f"{self.method!r} with the {self.flow.name} flow; accepted: "
                f"{', '.join(map(repr, accepted))}"
            ) from None

    @abstractmethod
    def advance(self, dt: float) -> np.ndarray | None:
        """Return the values per unit volume at ``t + dt``, or ``None`` when the solver
        advances another state and computes the density on demand
        (:meth:`density_values`); raise :class:`~wgflow.errors.StepFailure`."""

    def density_values(self) -> np.ndarray:
        """The current values, for solvers whose :meth:`advance` returns ``None`` (checked
        like the values :meth:`advance` returns); raise
        :class:`~wgflow.errors.StepFailure` if they cannot be computed."""
        raise NotImplementedError(f"{type(self).__name__} returns its values from advance()")

    def settings(self) -> dict[str, Any]:
        """The numerical parameters in force (reported in the result)."""
        return {}

    def companion_options(self) -> dict[str, Any] | None:
        """The options of a companion run of this solver from the same initial density,
        whose distance to this run estimates its error (:mod:`wgflow.estimate`), or ``None``
        where the solver and flow give no error estimate (the well-posed flows)."""
        return None

    def regularisation_hint(self) -> str:
        """How a user raises this run's regularisation, for messages (empty: none)."""
        return ""

    def known_error(self) -> float:
        """A part of the current density's relative L1 error that the solver knows
        directly (e.g. the negative mass a cosine series clipped), added to the error
        estimate's bound; 0 here."""
        return 0.0

    def flow_map(self) -> np.ndarray | None:
        """The flow map from the initial cell centres to the current time, shape
        ``(d, *grid.shape)``, for solvers that track one (``None`` here)."""
        return None

    def state(self) -> dict[str, Any]:
        """Everything of this solver that later steps depend on and that does not follow
        from its flow, initial density and options: a checkpoint saves it
        (:mod:`wgflow.checkpoint`) and :meth:`restore` takes it back.

        Here: the time, status and message, the statistics and the current density (when
        it is held; solvers that compute it on demand may not hold one).  Subclasses add
        theirs (warm starts, a flow map, the discretisation's :meth:`state`).

        Returns
        -------
        dict
            Numbers, strings, booleans, ``None``, lists and dicts of these, and numpy
            arrays.  The arrays are those the solver holds, not copies (a checkpoint stores
            an array held in two places once): a solver replaces its arrays at each step
            and never changes one in place, so a state stays valid while it steps on.
        """
        state: dict[str, Any] = {
            "t": self.t, "status": self.status, "message": self.message,
            "statistics": copy.deepcopy(self.statistics),
        }
        if self._rho is not None:
            state["rho"] = self._rho.values  # read-only
            state["rho_age"] = self._rho.age
        return state

    def restore(self, state: dict[str, Any]) -> None:
        """Take back a :meth:`state` of a solver built from the same flow, initial density
        and options: the steps that follow are those the saved solver would have taken, to
        the bit on the numpy backend.

        The per-step lists of ``statistics`` are refilled in place, so that lists a
        discretisation shares with the solver stay shared.
        """
        self.t = float(state["t"])
        self.status = str(state["status"])
        self.message = str(state["message"])
        for key, value in state["statistics"].items():
            current = self.statistics.get(key)
            if isinstance(current, list):
                current[:] = value
            else:
                self.statistics[key] = value
        self._rho = (
            Density(self.grid, state["rho"], age=state["rho_age"]) if "rho" in state else None
        )

    def fail(self, message: str) -> None:
        """Stop the solver: ``status = "failed"`` with ``message``; it takes no more steps."""
        self.status = "failed"
        self.message = message

    def step(self, dt: float) -> bool:
        """Advance by ``dt``; on failure keep the last good state, set status and message.

        A failed solver takes no more steps (``False``).  The per-step lists of
        ``statistics`` then hold one more entry than ``statistics["steps"]``: the failed
        attempt's, which says why it failed.
        """
        if self.status == "failed":
            return False
        try:
            values = self.advance(dt)
            if values is not None:
                _check_state(values * self.grid.cell_volume, self.mass0)
        except StepFailure as failure:
            self.fail(f"step from t = {self.t:.6g} to t = {self.t + dt:.6g} failed: {failure}")
            return False
        self._rho = None if values is None else Density(self.grid, values)
        self.t += dt
        self.statistics["steps"] += 1
        return True


def _check_state(masses: np.ndarray, mass0: float) -> None:
    if not np.isfinite(masses).all():
        raise StepFailure("the new density has non-finite values")
    if (masses < 0).any():
        raise StepFailure(f"positivity lost: minimum cell mass {masses.min():.3e}")
    drift = abs(float(masses.sum()) - mass0) / mass0
    if drift > MASS_TOLERANCE:
        raise StepFailure(f"mass not conserved: relative change {drift:.3e}")
