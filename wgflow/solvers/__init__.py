"""Time steppers: the entropic JKO scheme and its Sinkhorn machinery."""

from .base import Solver, StepFailure
from .finite_volume import FiniteVolumeSolver
from .jko import JKOSolver

#: ``method=`` names of :func:`wgflow.solve` and their solver classes.
SOLVERS = {"jko": JKOSolver, "finite-volume": FiniteVolumeSolver}

__all__ = ["Solver", "StepFailure", "JKOSolver", "FiniteVolumeSolver", "SOLVERS"]
