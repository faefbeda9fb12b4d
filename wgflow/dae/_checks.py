"""Input checks of the :mod:`wgflow.dae` modules that are specific to DAEs (the general ones
are in :mod:`wgflow.errors`), and the identity map they compare with."""

from __future__ import annotations

import numpy as np

from ..errors import WgflowError, as_real_array, check_positive
from ..grid import Grid


def check_grid(grid: object) -> Grid:
    """Return ``grid`` if it is a :class:`~wgflow.grid.Grid`, else raise naming it."""
    if not isinstance(grid, Grid):
        raise WgflowError(f"grid must be a wgflow.Grid, got {type(grid).__name__}")
    return grid


def check_noise_time(t: float, name: str = "t") -> float:
    """The noise variance (transport time) ``t``: a finite real number ``> 0``
    (``t = 0`` would be the identity map)."""
    return check_positive(f"{name} (the noise variance)", t)


def check_map_values(map_values: np.ndarray, grid: Grid, name: str = "map_values") -> np.ndarray:
    """A map on ``grid``: a finite float array of shape ``(d, *grid.shape)``."""
    check_grid(grid)
    try:
        values = as_real_array(name, map_values)
    except WgflowError:
        raise WgflowError(
            f"{name} must be an array of shape {(grid.ndim, *grid.shape)} (d, *grid.shape) "
            f"of real numbers, got {type(map_values).__name__}"
        ) from None
    expected = (grid.ndim, *grid.shape)
    if values.shape != expected:
        raise WgflowError(
            f"{name} has shape {values.shape}; accepted: (d, *grid.shape) = {expected}, the "
            "image of every cell centre (component k of the map in values[k])"
        )
    bad = ~np.isfinite(values)
    if bad.any():
        index = tuple(int(i) for i in np.argwhere(bad)[0])
        raise WgflowError(
            f"{name} must be finite; found {float(values[index])!r} at index {index}"
        )
    return values


def identity_map(grid: Grid) -> np.ndarray:
    """The identity map on ``grid``: the cell centres, shape ``(d, *grid.shape)``."""
    return np.stack(check_grid(grid).coordinates, axis=0).astype(float)
