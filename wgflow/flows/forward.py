"""Forward (well-posed) Wasserstein gradient flows: heat, porous medium, Fokker–Planck."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from ..density import Density
from ..errors import check_exponent
from ..functionals import Functional, InternalEnergy, PotentialEnergy, ShannonEntropy
from ..grid import Grid
from .base import (
    FiniteVolumeFlow,
    Fluxes,
    JKOFlow,
    SpectralDiscretisation,
    SpectralFlow,
    reject_options,
)
from .fluxes import PressureDiffusionFluxes, ScharfetterGummelFluxes


class HeatSpectralDiscretisation(SpectralDiscretisation):
    """The heat semigroup on cosine coefficients: mode k decays like ``exp(-|k|^2 t)``."""

    def __init__(self) -> None:
        self.statistics = {}

    def coefficients(
        self, coefficients0: np.ndarray, wavenumbers2: np.ndarray, elapsed: float
    ) -> np.ndarray:
        return coefficients0 * np.exp(-wavenumbers2 * elapsed)


class Heat(JKOFlow, FiniteVolumeFlow, SpectralFlow):
    """Heat equation ``d_t rho = Lap rho``: the Wasserstein gradient flow of ``-H``.

    ``H = -∫ rho log rho`` is the Shannon entropy (paper section 4.1), so ``H`` increases
    along the flow.  Exact solution from a Gaussian: ``N(m, S + 2tI)``.
    """

    name = "heat"
    equation = "d_t rho = Lap rho"
    age_rate = 1.0

    @property
    def energy(self) -> Functional:
        return -ShannonEntropy()

    def parameters(self) -> dict[str, float | str]:
        """No parameters (``{}``): a checkpoint rebuilds ``Heat()``."""
        return {}

    def finite_volume_fluxes(self, grid: Grid, t0: float, **options: Any) -> Fluxes:
        reject_options(self, "finite-volume", options)
        return PressureDiffusionFluxes(grid, lambda rho: rho, lambda rho: 1.0, "centred")

    def spectral_discretisation(self, rho0: Density, **options: Any) -> SpectralDiscretisation:
        reject_options(self, "spectral", options)
        return HeatSpectralDiscretisation()


class PorousMedium(JKOFlow, FiniteVolumeFlow):
    """Porous-medium equation ``d_t rho = Lap rho^m``, ``m > 1``.

    The Wasserstein gradient flow of the internal energy ``∫ rho^m / (m - 1)``; exact
    self-similar solutions are the Barenblatt profiles (:func:`wgflow.exact.barenblatt`).
    """

    name = "porous-medium"

    def __init__(self, m: float):
        self.m = check_exponent("porous-medium exponent m", m)
        self.equation = f"d_t rho = Lap rho^{self.m:g}"

    @property
    def energy(self) -> Functional:
        return InternalEnergy(self.m)

    def parameters(self) -> dict[str, float | str]:
        """The exponent: ``{"m": m}`` (a checkpoint rebuilds the flow from it)."""
        return {"m": self.m}

    def finite_volume_fluxes(self, grid: Grid, t0: float, **options: Any) -> Fluxes:
        reject_options(self, "finite-volume", options)
        m = self.m
        return PressureDiffusionFluxes(
            grid, lambda rho: rho**m, lambda rho: m * float(rho.max()) ** (m - 1.0),
            "centred (rho^m)",
        )

    def __repr__(self) -> str:
        return f"PorousMedium(m={self.m:g})"


class FokkerPlanck(JKOFlow, FiniteVolumeFlow):
    """Linear Fokker–Planck equation ``d_t rho = Lap rho + div(rho grad V)``.

    The Wasserstein gradient flow of ``∫ rho log rho + ∫ V rho``; its equilibrium is
    ``exp(-V)`` normalised.  ``V`` is a function of the coordinate arrays or an array
    on the grid.
    """

    name = "fokker-planck"
    equation = "d_t rho = Lap rho + div(rho grad V)"

    def __init__(self, potential: Callable[..., np.ndarray] | np.ndarray):
        self.potential = PotentialEnergy(potential)

    @property
    def energy(self) -> Functional:
        return -ShannonEntropy() + self.potential

    def fingerprint(self, grid: Grid) -> dict[str, np.ndarray]:
        """The potential at the cell centres of ``grid`` (the flow holds a function or an
        array: :func:`wgflow.resume` needs it again and compares it with this)."""
        return {"potential": np.array(self.potential.potential(grid), dtype=float)}

    def finite_volume_fluxes(self, grid: Grid, t0: float, **options: Any) -> Fluxes:
        reject_options(self, "finite-volume", options)
        return ScharfetterGummelFluxes(grid, self.potential.potential(grid))
