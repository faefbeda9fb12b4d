"""Flows (PDEs) that wgflow integrates, each a Wasserstein gradient flow of an energy."""

from .backward import BackwardFlow, BackwardHeat, BackwardPorousMedium
from .base import Flow
from .continuity import Continuity
from .forward import FokkerPlanck, Heat, PorousMedium

__all__ = [
    "Flow",
    "Heat",
    "PorousMedium",
    "FokkerPlanck",
    "Continuity",
    "BackwardFlow",
    "BackwardHeat",
    "BackwardPorousMedium",
]
