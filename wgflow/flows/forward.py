"""Forward (well-posed) Wasserstein gradient flows: heat, porous medium, Fokker–Planck."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from ..errors import WgflowError, check_positive
from ..functionals import Functional, InternalEnergy, PotentialEnergy, ShannonEntropy
from .base import Flow


class Heat(Flow):
    """Heat equation ``d_t rho = Lap rho``: the Wasserstein gradient flow of ``-H``.

    ``H = -∫ rho log rho`` is the Shannon entropy (paper section 4.1), so ``H`` increases
    along the flow.  Exact solution from a Gaussian: ``N(m, S + 2tI)``.
    """

    name = "heat"
    methods = ("jko", "finite-volume", "spectral")
    equation = "d_t rho = Lap rho"

    @property
    def energy(self) -> Functional:
        return -ShannonEntropy()


class PorousMedium(Flow):
    """Porous-medium equation ``d_t rho = Lap rho^m``, ``m > 1``.

    The Wasserstein gradient flow of the internal energy ``∫ rho^m / (m - 1)``; exact
    self-similar solutions are the Barenblatt profiles (:func:`wgflow.exact.barenblatt`).
    """

    name = "porous-medium"
    methods = ("jko", "finite-volume")

    def __init__(self, m: float):
        m = check_positive("porous-medium exponent m", m)
        if m <= 1.0:
            raise WgflowError(
                f"the porous-medium exponent must be m > 1, got m = {m!r} "
                "(m = 1 is the heat equation: use Heat())"
            )
        self.m = m

    @property
    def equation(self) -> str:
        return f"d_t rho = Lap rho^{self.m:g}"

    @property
    def energy(self) -> Functional:
        return InternalEnergy(self.m)

    def __repr__(self) -> str:
        return f"PorousMedium(m={self.m:g})"


class FokkerPlanck(Flow):
    """Linear Fokker–Planck equation ``d_t rho = Lap rho + div(rho grad V)``.

    The Wasserstein gradient flow of ``∫ rho log rho + ∫ V rho``; its equilibrium is
    ``exp(-V)`` normalised.  ``V`` is a function of the coordinate arrays or an array
    on the grid.
    """

    name = "fokker-planck"
    methods = ("jko", "finite-volume")
    equation = "d_t rho = Lap rho + div(rho grad V)"

    def __init__(self, potential: Callable[..., np.ndarray] | np.ndarray):
        self.potential = PotentialEnergy(potential)

    @property
    def energy(self) -> Functional:
        return -ShannonEntropy() + self.potential
