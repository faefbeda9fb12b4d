"""Potential and internal energies, the driving functionals of the forward flows.

The porous-medium equation ``d_t rho = Lap rho^m`` is the Wasserstein gradient flow
(eq. (15)) of the internal energy, and the Fokker--Planck equation
``d_t rho = Lap rho + div(rho grad V)`` that of ``∫ rho log rho + ∫ V rho``.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from ..errors import WgflowError, as_real_array, check_broadcast, check_callable, check_exponent
from ..grid import Grid
from ._prox import WrightOmegaSolver, backend_constant, power_log_prox_ratio
from .base import Functional


class PotentialEnergy(Functional):
    """Potential energy ``∫ V rho`` for a potential ``V(x, y, ...)``.

    First variation ``V``.  The KL-proximal map multiplies by ``exp(-weight V)``, since
    ``weight ∫ V q + KL(q | p) = KL(q | p exp(-weight V))`` up to a constant.

    Parameters
    ----------
    potential : callable or ndarray
        ``V`` as a function of the coordinate arrays (like :meth:`Density.from_function`)
        or an array of shape ``grid.shape``; it must be finite on the grid.
    name : str
        The functional's name in trackers and results.
    """

    is_linear = True

    def __init__(self, potential: Callable[..., np.ndarray] | np.ndarray, name: str = "potential"):
        if not callable(potential):
            potential = as_real_array("the potential V", potential)
            if not np.isfinite(potential).all():
                raise WgflowError("the potential V must be finite everywhere")
        self._potential = potential
        self._name = name

    @property
    def name(self) -> str:
        return self._name

    def potential(self, grid: Grid) -> np.ndarray:
        if callable(self._potential):
            d = grid.ndim
            check_callable(f"the potential V (of the {d} coordinate arrays)", self._potential, d)
            values = check_broadcast("the potential", self._potential(*grid.coordinates),
                                     grid.shape)
        else:
            values = self._potential
        if values.shape != grid.shape:
            raise WgflowError(
                f"the potential has shape {values.shape}, the grid {grid.shape}"
            )
        if not np.isfinite(values).all():
            raise WgflowError("the potential V must be finite on the grid")
        return values

    def evaluate(self, values: np.ndarray, grid: Grid) -> float:
        return float((self.potential(grid) * values).sum() * grid.cell_volume)

    def variation(self, values: np.ndarray, grid: Grid) -> np.ndarray:
        return np.array(self.potential(grid), dtype=float)

    def log_prox_ratio(self, log_p: np.ndarray, weight: float, grid: Grid) -> np.ndarray:
        if not isinstance(log_p, np.ndarray):  # another backend: V copied there once
            return -weight * backend_constant(self, grid, log_p, lambda: self.potential(grid))
        return np.broadcast_to(-weight * self.potential(grid), log_p.shape).copy()


class SecondMoment(PotentialEnergy):
    """Second moment ``∫ |x - center|^2 rho``, the potential energy of ``V = |x - c|^2``.

    Parameters
    ----------
    center : array_like, optional
        The centre ``c`` (``d`` entries); default the origin.
    """

    def __init__(self, center: np.ndarray | None = None):
        self.center = None if center is None else as_real_array("center", center)
        super().__init__(self._squared_distance, name="second_moment")

    def _squared_distance(self, *coordinates: np.ndarray) -> np.ndarray:
        center = np.zeros(len(coordinates)) if self.center is None else self.center
        if center.shape != (len(coordinates),):
            raise WgflowError(
                f"center must have {len(coordinates)} entries, got {center.tolist()}"
            )
        if not np.isfinite(center).all():
            raise WgflowError(f"center must be finite, got {center.tolist()}")
        return sum((x - c) ** 2 for x, c in zip(coordinates, center))


class InternalEnergy(Functional):
    """Internal energy ``U_m[rho] = ∫ rho^m / (m - 1)``, ``m > 1``.

    The porous-medium equation ``d_t rho = Lap rho^m`` is its Wasserstein gradient flow
    (eq. (15) with ``F = U_m``); ``U_m = -S_m + mass / (m - 1)`` with ``S_m`` the Tsallis
    entropy, so the backward porous-medium equation (17) is the flow of ``-U_m``.  First
    variation ``m rho^(m-1) / (m - 1)``.  The KL-proximal map solves
    ``log(q/p) + weight m rho^(m-1) / (m - 1) = 0`` in closed form through the Wright omega
    function (a safeguarded Newton iteration); it exists for ``weight > 0``.

    Parameters
    ----------
    m : float
        The exponent, a finite number ``> 1``.
    """

    def __init__(self, m: float):
        self.m = check_exponent("internal-energy exponent m", m)
        self._omega = WrightOmegaSolver()

    @property
    def name(self) -> str:
        return f"internal:{self.m:g}"

    def evaluate(self, values: np.ndarray, grid: Grid) -> float:
        return float((values**self.m).sum() * grid.cell_volume / (self.m - 1.0))

    def variation(self, values: np.ndarray, grid: Grid) -> np.ndarray:
        return self.m * values ** (self.m - 1.0) / (self.m - 1.0)

    def log_prox_ratio(self, log_p: np.ndarray, weight: float, grid: Grid) -> np.ndarray:
        if weight <= 0:
            raise WgflowError(
                "the internal energy is convex: a KL-proximal step needs weight > 0, "
                f"got {weight!r}"
            )
        return power_log_prox_ratio(log_p, weight, self.m, grid.cell_volume, self._omega)
