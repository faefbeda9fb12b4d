"""Densities: non-negative values per unit volume on a :class:`~wgflow.grid.Grid`."""

from __future__ import annotations

import numbers
from collections.abc import Callable, Sequence

import numpy as np
from scipy.interpolate import RegularGridInterpolator

from .errors import (
    WgflowError,
    as_real_array,
    check_broadcast,
    check_callable,
    check_finite_nonnegative,
    check_nonnegative,
)
from .grid import Grid
from .kde import check_samples, kde_bandwidths, kde_values


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
        Values per unit volume (real numbers), shape ``grid.shape``.  A copy is stored.
    age : float, optional
        The density's age (see :attr:`age`): a finite number >= 0, or ``None`` (default)
        when it is not known to be a heat flow of a point cloud.

    Raises
    ------
    WgflowError
        If ``grid`` is not a :class:`~wgflow.grid.Grid`, ``values`` is not an array of real
        numbers (``None``, strings, booleans, complex numbers), the shapes differ, a value is
        negative or not finite (the message names the first such value and its index), or
        ``age`` is not ``None`` or a finite number >= 0.

    Examples
    --------
    >>> grid = Grid([(-4, 4)], 256)
    >>> rho = Density.from_function(grid, lambda x: np.exp(-x**2 / 2)).normalized()
    >>> round(rho.mass, 12)
    1.0
    """

    __array_priority__ = 100.0

    def __init__(self, grid: Grid, values: np.ndarray, *, age: float | None = None):
        if not isinstance(grid, Grid):
            raise WgflowError(f"grid must be a wgflow.Grid, got {type(grid).__name__}")
        values = np.array(as_real_array("density values", values), copy=True)
        if values.shape != grid.shape:
            raise WgflowError(
                f"density values have shape {values.shape}, but the grid has shape "
                f"{grid.shape}"
            )
        check_finite_nonnegative("density values", values)
        if age is not None:
            age = check_nonnegative("age", age)
        values.setflags(write=False)
        self._grid = grid
        self._values = values
        self._age = age

    # -- construction ---------------------------------------------------------------
    @classmethod
    def from_function(cls, grid: Grid, function: Callable[..., np.ndarray]) -> Density:
        """Sample ``function(x, y, ...)`` at the cell centres (coordinate arrays, ij order).

        Raises
        ------
        WgflowError
            If ``grid`` is not a :class:`~wgflow.grid.Grid`, ``function`` cannot be called
            with ``grid.ndim`` arrays, or its values are not real, finite, non-negative and
            of (or broadcastable to) the grid's shape; the message names the function.
        """
        if not isinstance(grid, Grid):
            raise WgflowError(f"grid must be a wgflow.Grid, got {type(grid).__name__}")
        d = grid.ndim
        check_callable(f"the function (of the {d} coordinate arrays)", function, d)
        values = check_broadcast("the function", function(*grid.coordinates), grid.shape)
        check_finite_nonnegative("the values of the function", values)
        return cls(grid, values)

    @classmethod
    def from_samples(
        cls,
        grid: Grid,
        samples: np.ndarray,
        weights: np.ndarray | None = None,
        bandwidth: float | str | Sequence[float] | np.ndarray = 0,
    ) -> Density:
        r"""Histogram (``bandwidth=0``) or Gaussian kernel density estimate of points.

        With a bandwidth ``b > 0`` the result is the Gaussian kernel density estimate

        .. math:: \rho(y) = \sum_j w_j \prod_i N(y_i;\, x_{j,i},\, b_i^2),
                  \qquad \sum_j w_j = 1,

        together with its mirror images at the walls (the reflections ``x -> 2a - x`` and
        ``x -> 2c - x`` of each axis ``[a, c]``, repeated), sampled at the cell centres, the
        convention of :mod:`wgflow.exact`.  A Gaussian kernel density estimate is the heat
        flow ``d_t mu = Lap mu`` of the empirical measure ``sum_j w_j delta_{x_j}`` at time
        ``b^2/2`` (per axis: at time ``b_i^2/2`` along axis ``i``); the mirrored sum is that
        heat flow in the box with no-flux walls, so its mass in the box is exactly 1.  The
        cell-centre values have mass 1 up to the midpoint rule's error (they are not
        renormalised); as the mirrored estimate is smooth and even about every wall, the
        midpoint rule is spectrally accurate on it: along an axis of ``n`` cells and length
        ``L`` only the cosine modes ``2pn`` (``p >= 1``) alias onto the mass, so the error
        is at most ``2 sum_p exp(-2 (p n pi b / L)^2)``, far below ``h^2`` once ``b`` spans
        a few cells.  The image sum (or, for bandwidths comparable to the
        box, the equivalent cosine series of the no-flux heat kernel) is cut where the next
        term is below ``1e-16`` of the peak, so the values are exact to round-off.  The
        result records its :attr:`age`, ``min_i b_i^2/2``: the time its backward heat flow
        (eq. (11) of the paper) takes to reach the empirical measure, a singular time
        (see :func:`wgflow.exact.kde`).

        Parameters
        ----------
        grid : Grid
            The grid of the result.
        samples : ndarray
            Points, shape ``(k, d)`` (or ``(k,)`` in 1-D), finite, inside the closed box.
        weights : ndarray, optional
            Non-negative weights, shape ``(k,)``, not all zero, normalised to sum 1; default
            equal weights ``1/k``.
        bandwidth : float, sequence of float or str, optional
            ``0`` (default): the histogram.  A number ``b > 0``: the same bandwidth on every
            axis.  A sequence of ``d`` numbers ``> 0``: one per axis.  ``"scott"``:
            ``b_i = k^(-1/(d+4)) sigma_i``; ``"silverman"``:
            ``b_i = (4/(d+2))^(1/(d+4)) k^(-1/(d+4)) sigma_i``, with ``sigma_i`` the sample
            standard deviation along axis ``i`` (``ddof=1``).  With weights, ``sigma_i`` is
            the weighted standard deviation (as :func:`numpy.cov` with ``aweights``) and
            ``k`` is the effective sample size ``(sum w)^2 / sum w^2``.  A kernel estimate
            needs at least two points.

        Returns
        -------
        Density
            The histogram (each sample puts mass ``1/k``, or its normalised weight, into the
            cell that holds it; ``age`` is ``None``) or the kernel estimate at the cell
            centres (``age = min_i b_i^2/2``).

        Raises
        ------
        WgflowError
            For samples that are not finite, of the wrong shape or outside the box (the
            message gives the count and an example), bad weights, fewer than two points
            with a bandwidth, a bandwidth that is not positive or of the wrong length, an
            unknown rule name, or a rule that gives a zero bandwidth (points that do not
            spread along an axis).
        """
        samples, weights = check_samples(grid, samples, weights)
        if isinstance(bandwidth, (numbers.Real, np.integer)) and not isinstance(
            bandwidth, bool
        ) and bandwidth == 0:
            counts, _ = np.histogramdd(
                samples, bins=grid.shape, range=grid.bounds, weights=weights
            )
            return cls(grid, counts / (weights.sum() * grid.cell_volume))
        b = kde_bandwidths(grid, samples, weights, bandwidth)
        return cls(grid, kde_values(grid, samples, weights, b), age=float(np.min(b**2) / 2))

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
    def age(self) -> float | None:
        """The time ``min_i b_i^2/2`` for which this density is the heat flow of a point cloud.

        Set for a Gaussian kernel density estimate (:meth:`from_samples` with a bandwidth,
        :func:`wgflow.exact.kde`): its backward heat flow reaches the empirical measure, a
        singular time, after this time.  ``None`` when unknown (histograms,
        :meth:`from_function`, arithmetic results).  Kept by :meth:`copy` and
        :meth:`normalized`.
        """
        return self._age

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
        return Density(self._grid, self._values / mass, age=self._age)

    def copy(self) -> Density:
        """An independent copy (with the same :attr:`age`)."""
        return Density(self._grid, self._values, age=self._age)

    # -- comparisons -------------------------------------------------------------------
    def l1_distance(self, other: Density) -> float:
        """``∫ |self - other|``, the L1 distance on the common grid."""
        if not isinstance(other, Density):
            raise WgflowError(f"other must be a wgflow.Density, got {type(other).__name__}")
        self._grid.check_same(other.grid)
        return float(np.abs(self._values - other.values).sum() * self._grid.cell_volume)

    def relative_l1_error(self, reference: Density) -> float:
        """``∫ |self - reference| / ∫ |reference|``."""
        if not isinstance(reference, Density):
            raise WgflowError(
                f"reference must be a wgflow.Density, got {type(reference).__name__}"
            )
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
        points = as_real_array("points", points)
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
        if isinstance(other, numbers.Real) and not isinstance(other, bool):
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
