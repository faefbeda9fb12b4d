"""Flows (PDEs) that wgflow integrates, and the discretisations they supply to solvers."""

from .backward import BackwardFlow, BackwardHeat, BackwardPorousMedium
from .base import (
    FiniteVolumeFlow,
    Flow,
    Fluxes,
    JKODiscretisation,
    JKOFlow,
    SpectralDiscretisation,
    SpectralFlow,
)
from .continuity import Continuity
from .forward import FokkerPlanck, Heat, PorousMedium
from .lagrangian import LagrangianFlow

__all__ = [
    "Flow",
    "JKOFlow",
    "JKODiscretisation",
    "FiniteVolumeFlow",
    "Fluxes",
    "SpectralFlow",
    "SpectralDiscretisation",
    "LagrangianFlow",
    "Heat",
    "PorousMedium",
    "FokkerPlanck",
    "Continuity",
    "BackwardFlow",
    "BackwardHeat",
    "BackwardPorousMedium",
]
