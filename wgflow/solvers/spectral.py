"""Spectral (cosine-series) solver: the reference for the heat and backward heat flows.

On the box with no-flux walls the Laplacian is diagonal in the cosine basis
``prod_i cos(pi k_i (x_i - a_i) / L_i)`` (the type-II DCT of the cell values), with
eigenvalue ``-|k|^2 = -sum_i (pi k_i / L_i)^2``.  The flow supplies the evolution of the
coefficients (:class:`wgflow.flows.SpectralDiscretisation`: the heat flow multiplies coefficient k
by ``exp(-|k|^2 t)``; the backward heat flow by ``exp(+|k|^2 t)`` on the modes its
noise-level cut-off keeps); the solver transforms, evolves from the initial coefficients
(exact in time) and transforms back.

A truncated cosine series can dip below zero.  Densities must be non-negative, so the
negative part is removed and the rest rescaled to the initial mass; the removed mass
relative to the total is recorded in ``statistics["clipped_mass"]`` (the reference loses
positivity; wgflow's JKO solver does not).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from scipy.fft import dctn, idctn

from ..density import Density
from ..flows import SpectralFlow
from ..stencils import cosine_wavenumbers_squared
from .base import Solver


class SpectralSolver(Solver):
    """Cosine-series solver (``method="spectral"``).

    Parameters
    ----------
    flow : SpectralFlow
        ``Heat`` or ``BackwardHeat`` (or any flow supplying a spectral discretisation).
    rho0 : Density
    t0 : float
    **options
        The flow's own options, e.g. ``noise_level`` of the backward heat flow (the
        relative noise of the data, by default the noise floor of ``rho0``'s cosine spectrum;
        sets its cut-off, reported in ``settings``).
    """

    method = "spectral"
    flow_interface = SpectralFlow

    def __init__(self, flow: SpectralFlow, rho0: Density, t0: float = 0.0, **options: Any):
        super().__init__(flow, rho0, t0)
        self.discretisation = self.discretise(flow.spectral_discretisation, rho0, **options)
        self._options = options
        self._k2 = cosine_wavenumbers_squared(rho0.grid)
        self._coefficients0 = dctn(rho0.values, type=2, norm="ortho")
        self._elapsed = 0.0
        self.statistics.update(self.discretisation.statistics, clipped_mass=[])

    def settings(self) -> dict[str, Any]:
        return self.discretisation.settings()

    def regularisation_hint(self) -> str:
        return self.discretisation.regularisation

    def companion_options(self) -> dict[str, Any] | None:
        """The flow's companion options (:meth:`SpectralDiscretisation.error_companion`)."""
        return self.discretisation.error_companion(dict(self._options))

    def known_error(self) -> float:
        """The L1 change made by removing the negative part and rescaling: twice the
        clipped mass relative to the total (0 before the first step)."""
        clipped = self.statistics["clipped_mass"]
        return 2.0 * clipped[-1] if clipped else 0.0

    def state(self) -> dict[str, Any]:
        """The base state (:meth:`Solver.state`), the time elapsed since the start (the
        coefficients at a time follow from the initial ones) and the discretisation's."""
        return {
            **super().state(), "elapsed": self._elapsed,
            "discretisation": self.discretisation.state(),
        }

    def restore(self, state: dict[str, Any]) -> None:
        super().restore(state)
        self._elapsed = float(state["elapsed"])
        self.discretisation.restore(state["discretisation"])

    def advance(self, dt: float) -> np.ndarray:
        elapsed = self._elapsed + dt
        coefficients = self.discretisation.coefficients(self._coefficients0, self._k2, elapsed)
        values = idctn(coefficients, type=2, norm="ortho")
        positive = np.maximum(values, 0.0)
        total = values.sum()
        clipped = float(positive.sum() - total)
        self.statistics["clipped_mass"].append(clipped / max(total, np.finfo(float).tiny))
        self._elapsed = elapsed
        return positive * (total / positive.sum())
