"""Flows and what each solver asks of them.

A flow is an evolution equation for a density, usually the Wasserstein gradient flow
``d_t rho = div(rho grad dF/drho)`` of an energy F (Otto calculus: ``grad_W F[rho] =
-div(rho grad dF/drho)``).  Solvers hold no physics: each solver asks its flow for a
*discretisation* through one of the interfaces below, and a flow runs with every solver
whose interface it implements (the registry :data:`wgflow.solvers.SOLVERS`):

- :class:`JKOFlow` -- :meth:`~JKOFlow.jko_discretisation` gives the functional of each JKO step
  (value, first variation, KL-proximal map) and checks each new density;
- :class:`FiniteVolumeFlow` -- :meth:`~FiniteVolumeFlow.finite_volume_fluxes` gives the
  fluxes at the interior cell faces and the explicit stability rate;
- :class:`SpectralFlow` -- :meth:`~SpectralFlow.spectral_discretisation` evolves the cosine
  coefficients of the density.

A new flow is a class that implements the interfaces of the solvers it should run with; no
solver needs an edit.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any

import numpy as np

from ..density import Density
from ..errors import UnknownOptionError, WgflowError
from ..functionals import Functional
from ..grid import Grid


def reject_options(
    flow: Flow, method: str, options: dict[str, Any], accepted: tuple[str, ...] = ()
) -> None:
    """Raise :class:`~wgflow.errors.UnknownOptionError` if a flow's discretisation for
    ``method`` received options it does not take (``accepted`` are those it takes)."""
    if options:
        names = tuple(sorted(options))
        raise UnknownOptionError(
            f"the {flow.name} flow takes no option {', '.join(map(repr, names))} with method "
            f"{method!r}; accepted: {', '.join(map(repr, accepted)) or 'none'}",
            names, accepted,
        )


def _check_no_state(discretisation: object, state: dict[str, Any]) -> None:
    """Raise unless ``state`` is empty: the state of a discretisation that carries none."""
    if state:
        raise WgflowError(
            f"{type(discretisation).__name__} carries no state between steps; got one with "
            f"{sorted(state)}"
        )


class Flow(ABC):
    """Base class of flows.

    Subclasses set :attr:`name` and :attr:`equation` (for summaries) and implement the
    interfaces of the solvers that integrate them.
    """

    #: Name used on the command line and in results.
    name: str = ""
    #: The PDE in words, e.g. ``"d_t rho = Lap rho"``.
    equation: str = ""
    #: How the age of a kernel density estimate (its time as a heat flow of the empirical
    #: measure, :attr:`wgflow.Density.age`) changes along this flow: 1 for the heat flow,
    #: -1 for the backward heat flow (which reaches the empirical measure, a singular time,
    #: when the age reaches 0); ``None`` where the flow does not keep such densities.
    age_rate: float | None = None

    @property
    @abstractmethod
    def energy(self) -> Functional | None:
        """The functional F whose Wasserstein gradient flow this is (tracker ``"energy"``),
        ``None`` for a flow that is not a gradient flow."""

    @property
    def methods(self) -> tuple[str, ...]:
        """The ``method=`` names of :func:`wgflow.solve` that integrate this flow."""
        from ..solvers import methods_for

        return methods_for(self)

    # -- what a checkpoint stores of a flow (:mod:`wgflow.checkpoint`) -----------------------
    def parameters(self) -> dict[str, float | str] | None:
        """The numbers that define this flow: ``type(flow)(**flow.parameters())`` rebuilds it.

        A checkpoint stores them; :func:`wgflow.resume` rebuilds the flows of
        :mod:`wgflow.flows` from them, and compares them with those of a flow it is given.

        Returns
        -------
        dict or None
            ``{}`` for a flow without parameters, ``{"m": 2.0}`` for a porous medium;
            ``None`` (here) for a flow that holds functions (a potential, a velocity) and
            cannot be rebuilt from numbers: :func:`wgflow.resume` needs it again
            (``flow=``).
        """
        return None

    def fingerprint(self, grid: Grid) -> dict[str, np.ndarray]:
        """Arrays that identify this flow on ``grid`` beyond its class and parameters (the
        potential of a Fokker--Planck flow sampled there): a checkpoint stores them and
        :func:`wgflow.resume` compares them with those of the flow it is given (empty here).

        Raises
        ------
        WgflowError
            If the flow does not fit ``grid`` (e.g. a potential array of another shape).
        """
        return {}

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


class JKODiscretisation:
    """What a JKO run asks of its flow, from one initial density on: the functional of each
    step, and a check of each new density.

    This base class serves the gradient flows of a fixed energy with a KL-proximal map
    (heat, porous medium, Fokker--Planck): every step minimises
    ``F(rho) + D(rho_k, rho) / (2 dt)`` for the flow's own energy ``F``.

    Parameters
    ----------
    energy : Functional
        The flow's energy.
    grid : Grid
        The grid of the run (the proximal map is tried there once, so that an energy
        without one fails before the first step).
    """

    #: How a user raises the regularisation, for messages (empty: none to raise).
    regularisation = ""

    def __init__(self, energy: Functional, grid: Grid):
        energy.log_prox_ratio(np.zeros(grid.shape), 1.0, grid)
        self.energy = energy
        #: Per-step diagnostics (lists), merged into the solver's ``statistics``.
        self.statistics: dict[str, Any] = {}

    def step_energy(self, rho: Density, dt: float, t: float) -> Functional:
        """The functional whose Wasserstein proximal step of length ``dt`` from ``rho`` at
        time ``t`` (after the start) is the next density (here the flow's energy)."""
        return self.energy

    def check(self, values: np.ndarray, grid: Grid, t: float) -> None:
        """Accept the density a step produced at time ``t``, or raise
        :class:`~wgflow.errors.StepFailure` (nothing to check for a convex energy)."""

    def settings(self) -> dict[str, Any]:
        """The discretisation's parameters in force (reported in the result)."""
        return {}

    def error_companion(self, options: dict[str, Any]) -> dict[str, Any] | None:
        """The options (from the run's own ``options``) of a companion run whose distance to
        this run estimates its error (:mod:`wgflow.estimate`), or ``None`` for a
        discretisation without an error estimate (here: the well-posed gradient flows)."""
        return None

    def state(self) -> dict[str, Any]:
        """What this discretisation carries from step to step besides its ``statistics``
        (which the solver saves) and what it rebuilds from the initial density: numbers,
        strings, ``None`` and numpy arrays, for :meth:`wgflow.solvers.Solver.state`
        (nothing here: a fixed energy carries nothing)."""
        return {}

    def restore(self, state: dict[str, Any]) -> None:
        """Take back a :meth:`state` (of a discretisation built from the same initial
        density and options; here an empty one)."""
        _check_no_state(self, state)


class JKOFlow(Flow):
    """A flow the JKO solver integrates (``method="jko"``)."""

    def jko_discretisation(self, rho0: Density, **options: Any) -> JKODiscretisation:
        """The discretisation of a JKO run from ``rho0``.

        Gradient flows of a fixed energy take no options; flows that freeze or regularise
        their functional (the backward flows) override this and take their own options.
        """
        reject_options(self, "jko", options)
        energy = self.energy
        if energy is None:
            raise WgflowError(f"the {self.name} flow has no energy for a JKO step")
        return JKODiscretisation(energy, rho0.grid)


class Fluxes(ABC):
    """The fluxes ``J`` of ``d_t rho = -div J`` at the interior faces of a grid
    (what the finite-volume solver asks of a flow).

    Attributes
    ----------
    time_dependent : bool
        Whether the fluxes depend on time (the solver then takes them at each sub-step's
        midpoint time).
    order : int
        1: the solver takes forward Euler sub-steps; 2: Heun's (SSP-RK2) sub-steps, for a
        second-order reconstruction.
    """

    time_dependent: bool = False
    order: int = 1

    @abstractmethod
    def __call__(self, rho: np.ndarray, t: float) -> tuple[list[np.ndarray], float]:
        """The face fluxes (one array per axis, ``n - 1`` faces along it) and the largest
        outflow rate ``max_i r_i`` (a sub-step ``dt_sub`` keeps positivity when
        ``dt_sub * max_i r_i <= 1``)."""

    def settings(self) -> dict[str, Any]:
        """The discretisation's parameters in force (reported in the result)."""
        return {}


class FiniteVolumeFlow(Flow):
    """A flow the finite-volume solver integrates (``method="finite-volume"``)."""

    @abstractmethod
    def finite_volume_fluxes(self, grid: Grid, t0: float, **options: Any) -> Fluxes:
        """The fluxes of this flow on ``grid`` (checked at the initial time ``t0``)."""


class SpectralDiscretisation(ABC):
    """The evolution of the cosine coefficients of a density (what the spectral solver
    asks of a flow)."""

    #: Per-step diagnostics (lists), merged into the solver's ``statistics``.
    statistics: dict[str, Any]
    #: How a user raises the regularisation, for messages (empty: none to raise).
    regularisation = ""

    @abstractmethod
    def coefficients(
        self, coefficients0: np.ndarray, wavenumbers2: np.ndarray, elapsed: float
    ) -> np.ndarray:
        """The coefficients after ``elapsed`` time from ``coefficients0``; ``wavenumbers2``
        holds ``|k|^2`` per mode (the Laplacian's eigenvalue is ``-|k|^2``)."""

    def settings(self) -> dict[str, Any]:
        """The discretisation's parameters in force (reported in the result)."""
        return {}

    def error_companion(self, options: dict[str, Any]) -> dict[str, Any] | None:
        """The options of the error estimate's companion run, or ``None`` (see
        :meth:`JKODiscretisation.error_companion`)."""
        return None

    def state(self) -> dict[str, Any]:
        """What the discretisation carries from step to step (see
        :meth:`JKODiscretisation.state`; nothing here: the coefficients at a time follow
        from the initial ones)."""
        return {}

    def restore(self, state: dict[str, Any]) -> None:
        """Take back a :meth:`state` (here an empty one)."""
        _check_no_state(self, state)


class SpectralFlow(Flow):
    """A flow the cosine-series solver integrates (``method="spectral"``)."""

    @abstractmethod
    def spectral_discretisation(self, rho0: Density, **options: Any) -> SpectralDiscretisation:
        """The spectral discretisation of a run from ``rho0``."""
