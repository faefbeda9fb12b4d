"""Moments of a density: mass-normalised mean and covariance."""

from __future__ import annotations

import numpy as np

from ..density import Density
from ..errors import WgflowError, check_density


def mean(rho: Density) -> np.ndarray:
    """Mean ``∫ x rho / ∫ rho`` (length-d array).

    Raises
    ------
    WgflowError
        If ``rho`` is not a :class:`~wgflow.density.Density` or has zero mass.
    """
    if not isinstance(rho, Density):
        check_density("rho", rho)  # names the type
    mass = rho.mass
    if mass <= 0:
        raise WgflowError("rho has zero mass: the mean of a density of zero mass is undefined")
    return np.array([(c * rho.values).sum() for c in rho.grid.coordinates]) * (
        rho.grid.cell_volume / mass
    )


def covariance(rho: Density) -> np.ndarray:
    """Covariance ``∫ (x - m)(x - m)^T rho / ∫ rho`` (d x d array).

    Cell-centre quadrature: for a smooth density it is second-order accurate in h; it
    does not add the ``h^2/12`` of the uniform distribution within a cell.

    Raises
    ------
    WgflowError
        If ``rho`` is not a :class:`~wgflow.density.Density` or has zero mass.
    """
    centre = mean(rho)
    weights = rho.values * (rho.grid.cell_volume / rho.mass)
    deviations = [c - m for c, m in zip(rho.grid.coordinates, centre)]
    return np.array([[(u * v * weights).sum() for v in deviations] for u in deviations])
