"""Densities: non-negative values per unit volume on a :class:`~wgflow.grid.Grid`."""

from __future__ import annotations

import numbers
from collections.abc import Callable

import numpy as np
from scipy.interpolate import RegularGridInterpolator

from .errors import WgflowError, check_broadcast, check_finite_nonnegative
from .grid import Grid


class Density:
    """A probability (or finite) density sampled at the cell centres of a grid.

    ``values`` are per unit volume, so ``mass = sum(values) * grid.cell_volume``.  Values
    must be finite and non-negative; a density is immutable (its array is read-only) and
    arithmetic with densities on the same grid or with real numbers gives new densities.

    Parameters
    ----------
    grid : Grid
        The grid the values live on.
    values : array_like
        Values per unit volume, shape ``grid.shape``.  A copy is stored.

    Raises
    ------
    WgflowError
        If ``grid`` is not a :class:`~wgflow.grid.Grid`, the shapes differ, or a value is
        negative or not finite (the message names the first such value and its index).

    Examples
    --------
    >>> grid = Grid([(-4, 4)], 256)
    >>> rho = Density.from_function(grid, lambda x: np.exp(-x**2 / 2)).normalized()
    >>> round(rho.mass, 12)
    1.0
    """

    __array_priority__ = 100.0

    def __init__(self, grid: Grid, values: np.ndarray):
        if not isinstance(grid, Grid):
            raise WgflowError(f"grid must be a wgflow.Grid, got {type(grid).__name__}")
        values = np.array(values, dtype=float, copy=True)
        if values.shape != grid.shape:
            raise WgflowError(
                f"density values have shape {values.shape}, but the grid has shape "
                f"{grid.shape}"
            )
        check_finite_nonnegative("density values", values)
        values.setflags(write=False)
        self._grid = grid
        self._values = values

    # -- construction ---------------------------------------------------------------
    @classmethod
    def from_function(cls, grid: Grid, function: Callable[..., np.ndarray]) -> Density:
        """Sample ``function(x, y, ...)`` at the cell centres (coordinate arrays, ij order)."""
        values = check_broadcast("the function", function(*grid.coordinates), grid.shape)
        return cls(grid, values)

    @classmethod
    def from_samples(
        cls, grid: Grid, samples: np.ndarray, weights: np.ndarray | None = None
    ) -> Density:
        """Histogram of points on the grid, of mass 1.

        Parameters
        ----------
        grid : Grid
            The grid of the histogram.
        samples : ndarray
            Points, shape ``(k, d)`` (or ``(k,)`` in 1-D), inside the closed box.
        weights : ndarray, optional
            Non-negative weights, shape ``(k,)``, not all zero; default equal weights.

        Returns
        -------
        Density
            Each sample puts mass ``1/k`` (or its normalised weight) into the cell that
            holds it.
        """
        samples = np.asarray(samples, dtype=float)
        if samples.ndim == 1 and grid.ndim == 1:
            samples = samples[:, None]
        if samples.ndim != 2 or samples.shape[1] != grid.ndim or samples.shape[0] == 0:
            raise WgflowError(
                f"samples must have shape (k, {grid.ndim}) with k >= 1, got {samples.shape}"
            )
        if not np.isfinite(samples).all():
            raise WgflowError("samples must be finite; found NaN or infinity")
        outside = ~grid.contains(samples)
        if outside.any():
            raise WgflowError(
                f"{int(outside.sum())} samples lie outside the grid box {grid.bounds}, "
                f"for example {samples[outside][0].tolist()}"
            )
        if weights is None:
            weights = np.ones(samples.shape[0])
        weights = np.asarray(weights, dtype=float)
        if weights.shape != (samples.shape[0],):
            raise WgflowError(
                f"weights must have shape ({samples.shape[0]},), got {weights.shape}"
            )
        check_finite_nonnegative("sample weights", weights)
        if weights.sum() <= 0:
            raise WgflowError("sample weights must not all be zero")
        counts, _ = np.histogramdd(
            samples, bins=grid.shape, range=grid.bounds, weights=weights
        )
        return cls(grid, counts / (weights.sum() * grid.cell_volume))

    # -- basic properties -------------------------------------------------------------
    @property
    def grid(self) -> Grid:
        """The grid the density lives on."""
        return self._grid

    @property
    def values(self) -> np.ndarray:
        """Values per unit volume (read-only array of shape ``grid.shape``)."""
        return self._values

    @property
    def masses(self) -> np.ndarray:
        """Mass in each cell, ``values * cell_volume``."""
        return self._values * self._grid.cell_volume

    @property
    def mass(self) -> float:
        """Total mass ``sum(values) * cell_volume``."""
        return float(self._values.sum() * self._grid.cell_volume)

    def normalized(self) -> Density:
        """The density divided by its mass (mass 1); zero mass is an error."""
        mass = self.mass
        if mass <= 0:
            raise WgflowError("cannot normalise a density of zero mass")
        return Density(self._grid, self._values / mass)

    def copy(self) -> Density:
        """An independent copy."""
        return Density(self._grid, self._values)

    # -- comparisons -------------------------------------------------------------------
    def l1_distance(self, other: Density) -> float:
        """``∫ |self - other|``, the L1 distance on the common grid."""
        self._grid.check_same(other.grid)
        return float(np.abs(self._values - other.values).sum() * self._grid.cell_volume)

    def relative_l1_error(self, reference: Density) -> float:
        """``∫ |self - reference| / ∫ |reference|``."""
        norm = reference.mass
        if norm <= 0:
            raise WgflowError("the reference density has zero mass")
        return self.l1_distance(reference) / norm

    # -- evaluation ----------------------------------------------------------------------
    def __call__(self, points: np.ndarray) -> np.ndarray:
        """Evaluate at arbitrary points by multilinear interpolation of the cell values.

        Parameters
        ----------
        points : ndarray
            Shape ``(k, d)`` (or ``(k,)`` in 1-D).

        Returns
        -------
        ndarray
            Shape ``(k,)``.  Between the outermost cell centre and the box wall the value
            at the nearest point of the hull of the centres is used; outside the box the
            density is 0.
        """
        points = np.asarray(points, dtype=float)
        if points.ndim == 1 and self._grid.ndim == 1:
            points = points[:, None]
        if points.ndim != 2 or points.shape[1] != self._grid.ndim:
            raise WgflowError(
                f"points must have shape (k, {self._grid.ndim}), got {points.shape}"
            )
        inside = self._grid.contains(points)
        clipped = np.clip(
            points,
            [axis[0] for axis in self._grid.axes],
            [axis[-1] for axis in self._grid.axes],
        )
        interpolator = RegularGridInterpolator(self._grid.axes, self._values)
        return np.where(inside, interpolator(clipped), 0.0)

    # -- arithmetic that keeps the grid ---------------------------------------------------
    def _operand(self, other: object) -> np.ndarray | float:
        if isinstance(other, Density):
            self._grid.check_same(other.grid)
            return other.values
        if isinstance(other, numbers.Real):
            return float(other)
        raise WgflowError(
            f"densities combine with densities on the same grid or real numbers, "
            f"not {type(other).__name__}"
        )

    def __add__(self, other: object) -> Density:
        return Density(self._grid, self._values + self._operand(other))

    __radd__ = __add__

    def __mul__(self, other: object) -> Density:
        return Density(self._grid, self._values * self._operand(other))

    __rmul__ = __mul__

    def __truediv__(self, other: object) -> Density:
        operand = self._operand(other)
        if np.any(np.asarray(operand) <= 0):
            raise WgflowError("densities may only be divided by positive numbers")
        return Density(self._grid, self._values / operand)

    def __repr__(self) -> str:
        return f"Density(grid={self._grid!r}, mass={self.mass:.6g})"
