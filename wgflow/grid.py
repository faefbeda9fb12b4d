"""Cell-centred regular grids on boxes in one, two or three dimensions."""

from __future__ import annotations

import numbers
from collections.abc import Sequence
from functools import cached_property

import numpy as np

from .errors import GridMismatchError, WgflowError, check_integer


def _real(value: object) -> float:
    """``value`` as a float if it is a real number (not a boolean), else ``TypeError``."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise TypeError(f"not a real number: {value!r}")
    return float(value)


class Grid:
    """A regular cell-centred grid on the box ``[a_1, b_1] x ... x [a_d, b_d]``.

    Cell centres are ``x_i = a + (i + 1/2) h`` with ``h = (b - a) / n`` along each axis: a
    density's values live at the centres and each stands for its cell.  The boundary is
    no-flux: every solver keeps the mass in the box.

    Parameters
    ----------
    bounds : sequence of (a, b) pairs
        One pair per axis of real numbers (not booleans), ``a < b``; ``d = len(bounds)``
        must be 1, 2 or 3.
    shape : int or sequence of int
        Number of cells per axis (at least 2 each).  An int is used for every axis.

    Raises
    ------
    WgflowError
        If a pair is not finite with ``a < b``, ``d`` is not 1, 2 or 3, or ``shape`` does not
        hold ``d`` integers ``>= 2``; the message names the bad value.

    Examples
    --------
    >>> grid = Grid(bounds=[(-1, 1), (-1, 1)], shape=(128, 128))
    >>> grid.spacing
    (0.015625, 0.015625)
    """

    def __init__(self, bounds: Sequence[Sequence[float]], shape: int | Sequence[int]):
        try:
            pairs = [tuple(_real(v) for v in pair) for pair in bounds]
        except (TypeError, ValueError) as exc:
            raise WgflowError(
                f"bounds must be a sequence of (a, b) pairs of numbers, got {bounds!r}"
            ) from exc
        if not 1 <= len(pairs) <= 3 or any(len(p) != 2 for p in pairs):
            raise WgflowError(f"bounds must hold 1, 2 or 3 pairs (a, b), got {bounds!r}")
        for axis, (a, b) in enumerate(pairs):
            if not (np.isfinite(a) and np.isfinite(b) and a < b):
                raise WgflowError(f"bounds[{axis}] = {(a, b)!r} must be finite with a < b")
        if isinstance(shape, (int, np.integer)) and not isinstance(shape, bool):
            shape = (int(shape),) * len(pairs)
        if not isinstance(shape, (Sequence, np.ndarray)) or isinstance(shape, (str, bytes)):
            raise WgflowError(
                f"shape must be an int or a sequence of {len(pairs)} ints, got {shape!r}"
            )
        shape = tuple(np.atleast_1d(shape)) if isinstance(shape, np.ndarray) else tuple(shape)
        if len(shape) != len(pairs):
            raise WgflowError(
                f"shape must hold {len(pairs)} integers >= 2 (one per axis of bounds), "
                f"got {shape!r}"
            )
        self._bounds = tuple((a, b) for a, b in pairs)
        self._shape = tuple(check_integer(f"shape[{k}]", n, 2) for k, n in enumerate(shape))

    @property
    def bounds(self) -> tuple[tuple[float, float], ...]:
        """The box, one ``(a, b)`` pair per axis."""
        return self._bounds

    @property
    def shape(self) -> tuple[int, ...]:
        """Number of cells per axis."""
        return self._shape

    @property
    def ndim(self) -> int:
        """Dimension d of the box."""
        return len(self._shape)

    @property
    def size(self) -> int:
        """Total number of cells."""
        return int(np.prod(self._shape))

    @property
    def spacing(self) -> tuple[float, ...]:
        """Cell widths ``h = (b - a) / n`` per axis."""
        return tuple((b - a) / n for (a, b), n in zip(self._bounds, self._shape))

    @property
    def cell_volume(self) -> float:
        """Volume of one cell, the product of the spacings."""
        return float(np.prod(self.spacing))

    @property
    def lengths(self) -> tuple[float, ...]:
        """Side lengths ``b - a`` of the box."""
        return tuple(b - a for a, b in self._bounds)

    @cached_property
    def axes(self) -> tuple[np.ndarray, ...]:
        """Cell-centre coordinates along each axis (1-D arrays)."""
        return tuple(
            a + (np.arange(n) + 0.5) * h
            for (a, _), n, h in zip(self._bounds, self._shape, self.spacing)
        )

    @cached_property
    def coordinates(self) -> tuple[np.ndarray, ...]:
        """Cell-centre coordinate arrays, each of shape ``grid.shape`` (``indexing="ij"``)."""
        return tuple(np.meshgrid(*self.axes, indexing="ij"))

    @cached_property
    def points(self) -> np.ndarray:
        """All cell centres as an array of shape ``(size, d)`` in C order."""
        return np.stack([c.ravel() for c in self.coordinates], axis=1)

    def contains(self, points: np.ndarray) -> np.ndarray:
        """Boolean mask of the points (shape ``(k, d)``) inside the closed box."""
        points = np.asarray(points, dtype=float)
        lower = np.array([a for a, _ in self._bounds])
        upper = np.array([b for _, b in self._bounds])
        return np.all((points >= lower) & (points <= upper), axis=-1)

    def check_same(self, other: Grid, what: str = "densities") -> None:
        """Raise :class:`~wgflow.errors.GridMismatchError` unless ``other`` equals this grid;
        ``what`` names the objects compared in the message."""
        if other != self:
            raise GridMismatchError(f"{what} live on different grids: {self} and {other}")

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Grid):
            return NotImplemented
        return self._shape == other._shape and np.allclose(
            self._bounds, other._bounds, rtol=1e-12, atol=0.0
        )

    def __hash__(self) -> int:
        # equality tolerates round-off in the bounds, so only the shape enters the hash
        return hash(self._shape)

    def __repr__(self) -> str:
        return f"Grid(bounds={[list(p) for p in self._bounds]}, shape={self._shape})"
