"""Time steppers and the registry of which solver runs which flow.

:data:`SOLVERS` maps each ``method=`` name of :func:`wgflow.solve` to its solver class; a
solver runs every flow that implements its :attr:`~Solver.flow_interface`, so the methods
of a flow (:func:`methods_for`) follow from the registry and the flow's interfaces alone.
"""

from __future__ import annotations

import inspect

from ..errors import WgflowError
from ..flows import Flow
from .base import Solver
from .finite_volume import FiniteVolumeSolver
from .jko import JKOSolver
from .lagrangian import LagrangianSolver
from .spectral import SpectralSolver

#: ``method=`` names of :func:`wgflow.solve` and their solver classes.
SOLVERS: dict[str, type[Solver]] = {
    "jko": JKOSolver,
    "finite-volume": FiniteVolumeSolver,
    "spectral": SpectralSolver,
    "lagrangian": LagrangianSolver,
}


def methods_for(flow: Flow) -> tuple[str, ...]:
    """The registered ``method=`` names whose solvers integrate ``flow``."""
    return tuple(name for name, solver in SOLVERS.items() if solver.supports(flow))


def resolve_method(method: str | type[Solver], flow: Flow) -> type[Solver]:
    """The solver class of ``method`` (a registered name or a :class:`Solver` subclass)
    for ``flow``.

    Raises
    ------
    WgflowError
        If ``method`` is neither, or its solver does not integrate ``flow``; the message
        lists the methods that do.
    """
    accepted = ", ".join(map(repr, methods_for(flow))) or "none"
    if isinstance(method, type) and issubclass(method, Solver) and not inspect.isabstract(method):
        solver = method
    elif isinstance(method, str) and method in SOLVERS:
        solver = SOLVERS[method]
    else:
        raise WgflowError(
            f"unknown method {method!r} for the {flow.name} flow; accepted: {accepted} "
            "(or a concrete wgflow.solvers.Solver subclass)"
        )
    if not solver.supports(flow):
        raise WgflowError(
            f"method {method if isinstance(method, str) else solver.__name__!r} does not "
            f"integrate the {flow.name} flow; accepted: {accepted}"
        )
    return solver


__all__ = [
    "Solver",
    "JKOSolver",
    "FiniteVolumeSolver",
    "SpectralSolver",
    "LagrangianSolver",
    "SOLVERS",
    "methods_for",
    "resolve_method",
]
