"""Flows (PDEs) that wgflow integrates, and the discretisations they supply to solvers."""

from .backward import BackwardFlow, BackwardHeat, BackwardPorousMedium
from .base import (
    FiniteVolumeFlow,
    Flow,
    Fluxes,
    JKOFlow,
    JKOScheme,
    SpectralFlow,
    SpectralScheme,
)
from .continuity import Continuity
from .forward import FokkerPlanck, Heat, PorousMedium
from .lagrangian import LagrangianFlow

__all__ = [
    "Flow",
    "JKOFlow",
    "JKOScheme",
    "FiniteVolumeFlow",
    "Fluxes",
    "SpectralFlow",
    "SpectralScheme",
    "LagrangianFlow",
    "Heat",
    "PorousMedium",
    "FokkerPlanck",
    "Continuity",
    "BackwardFlow",
    "BackwardHeat",
    "BackwardPorousMedium",
]
