"""Functionals of densities: entropies and energies with value, first variation and prox.

Conventions: Shannon ``H = -∫ rho log rho``, Tsallis ``S_a = ∫ (rho - rho^a) / (a - 1)``,
Rényi ``R_a = log(∫ rho^a) / (1 - a)``, potential energy ``∫ V rho``, internal energy
``∫ rho^m / (m - 1)``.  A flow ``d/dt rho = -grad F[rho]`` (the paper's eq. (15)) is
``d_t rho = div(rho grad dF/drho)``.  See :mod:`.entropies` for the sign note on the paper's
"Rényi entropy" ``H^a``.
"""

from .base import Functional, ScaledFunctional, SumFunctional
from .energies import InternalEnergy, PotentialEnergy, SecondMoment
from .entropies import RenyiEntropy, ShannonEntropy, TsallisEntropy
from .moments import covariance, mean

__all__ = [
    "Functional",
    "ScaledFunctional",
    "SumFunctional",
    "ShannonEntropy",
    "TsallisEntropy",
    "RenyiEntropy",
    "PotentialEnergy",
    "SecondMoment",
    "InternalEnergy",
    "mean",
    "covariance",
]
