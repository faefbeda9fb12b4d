"""Spectral (cosine-series) solver of the heat and backward heat equations.

On the box with no-flux walls the Laplacian is diagonal in the cosine basis
``prod_i cos(pi k_i (x_i - a_i) / L_i)`` (the type-II DCT of the cell values), with
eigenvalue ``-|k|^2 = -sum_i (pi k_i / L_i)^2``.  The heat flow multiplies coefficient k by
``exp(-|k|^2 t)``; the backward heat equation (11) by ``exp(+|k|^2 t)``, which amplifies the
round-off of the data without bound.  The backward solver therefore keeps a mode only while
``noise_level * exp(|k|^2 t) < 1e-2`` (its amplified noise stays below one per cent of the
data's largest coefficient) and only if the data coefficient itself is above the noise level
(a noise-level cut-off, DESIGN.md section 3).  The result is exact in time for the kept modes.

A truncated cosine series can dip below zero.  Densities must be non-negative, so the
negative part is removed and the rest rescaled to the initial mass; the removed mass is
recorded in ``statistics["clipped_mass"]`` (the reference loses positivity; wgflow's JKO
solver does not).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from scipy.fft import dctn, idctn

from ..density import Density
from ..errors import WgflowError, check_positive
from ..filters import cosine_wavenumbers_squared
from ..flows import BackwardHeat, Flow, Heat
from .base import Solver

#: Amplified noise allowed in a kept mode, relative to the largest data coefficient.
AMPLIFIED_NOISE_LIMIT = 1e-2


class SpectralSolver(Solver):
    """Cosine-series solver of ``Heat`` and ``BackwardHeat`` (``method="spectral"``).

    Parameters
    ----------
    flow : Heat or BackwardHeat
    rho0 : Density
    t0 : float
    noise_level : float
        Relative noise of the data (default 1e-13, float64 data after a few operations);
        sets the cut-off of the backward flow.  Reported in ``settings``.
    """

    method = "spectral"

    def __init__(self, flow: Flow, rho0: Density, t0: float = 0.0, *, noise_level: float = 1e-13):
        if not isinstance(flow, (Heat, BackwardHeat)):
            raise WgflowError(
                f"method 'spectral' solves the heat and backward heat equations, not {flow.name}"
            )
        super().__init__(flow, rho0, t0)
        self.noise_level = check_positive("noise_level", noise_level)
        grid = rho0.grid
        self._k2 = cosine_wavenumbers_squared(grid)
        self._sign = 1.0 if isinstance(flow, BackwardHeat) else -1.0
        self._coefficients0 = dctn(rho0.values, type=2, norm="ortho")
        scale = np.abs(self._coefficients0).max()
        self._above_noise = np.abs(self._coefficients0) > self.noise_level * scale
        self._elapsed = 0.0
        self.statistics.update(kept_modes=[], clipped_mass=[])

    def settings(self) -> dict[str, Any]:
        return {"noise_level": self.noise_level} if self._sign > 0 else {}

    def advance(self, dt: float) -> np.ndarray:
        elapsed = self._elapsed + dt
        exponent = self._sign * self._k2 * elapsed
        coefficients = self._coefficients0 * np.exp(np.minimum(exponent, 700.0))
        if self._sign > 0:
            keep = self._above_noise & (
                self.noise_level * np.exp(np.minimum(exponent, 700.0)) < AMPLIFIED_NOISE_LIMIT
            )
            coefficients = np.where(keep, coefficients, 0.0)
            self.statistics["kept_modes"].append(int(keep.sum()))
        values = idctn(coefficients, type=2, norm="ortho")
        positive = np.maximum(values, 0.0)
        total = values.sum()
        clipped = float(positive.sum() - total)
        self.statistics["clipped_mass"].append(clipped / max(total, np.finfo(float).tiny))
        values = positive * (total / positive.sum())
        self._elapsed = elapsed
        return values
