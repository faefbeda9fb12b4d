"""Base class of flows: PDEs ``d_t rho = ...`` that wgflow's solvers integrate."""

from __future__ import annotations

from abc import ABC, abstractmethod

from ..functionals import Functional


class Flow(ABC):
    """A evolution equation for a density, usually the Wasserstein gradient flow
    ``d_t rho = div(rho grad dF/drho)`` of an energy F (DESIGN.md section 1).

    Subclasses set :attr:`name`, :attr:`equation` (for summaries) and :attr:`methods`
    (the ``method=`` values of :func:`wgflow.solve` that can integrate them).
    """

    #: Name used on the command line and in results.
    name: str = ""
    #: The PDE in words, e.g. ``"d_t rho = Lap rho"``.
    equation: str = ""
    #: Solver methods that integrate this flow.
    methods: tuple[str, ...] = ("jko",)

    @property
    @abstractmethod
    def energy(self) -> Functional:
        """The functional F whose Wasserstein gradient flow this is (tracker ``"energy"``)."""

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"
