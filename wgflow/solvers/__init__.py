"""Time steppers: the entropic JKO scheme, finite volumes and the cosine-series reference."""

from .base import Solver, StepFailure
from .finite_volume import FiniteVolumeSolver
from .jko import JKOSolver
from .spectral import SpectralSolver

#: ``method=`` names of :func:`wgflow.solve` and their solver classes.
SOLVERS = {
    "jko": JKOSolver,
    "finite-volume": FiniteVolumeSolver,
    "spectral": SpectralSolver,
}

__all__ = [
    "Solver",
    "StepFailure",
    "JKOSolver",
    "FiniteVolumeSolver",
    "SpectralSolver",
    "SOLVERS",
]
