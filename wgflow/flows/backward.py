"""Backward (ill-posed) flows of the paper: backward heat (11) and backward porous medium (17).

Both are Wasserstein gradient flows of *concave* functionals (the Shannon entropy H,
eq. 16, and the Tsallis entropy S_a, section 4.2; see :mod:`wgflow.functionals.entropies`
for the sign note), so a fully implicit JKO step is not a convex problem.  wgflow takes
the semi-implicit step that freezes the first variation at a smoothed density
``rho~_k = G_s * rho_k`` (a Gaussian filter of standard deviation ``s``, reflecting at
the walls):

    rho_{k+1} = argmin_rho  ∫ V_k rho + D(rho_k, rho) / (2 tau),   V_k = dF/drho [rho~_k].

A linear functional makes the step a convex Wasserstein proximal step.  For the backward
heat equation ``V_k = -(log rho~_k + 1)`` and the step is the optimal transport by the
Gaussian DAE ``x + tau grad log rho~_k`` (eq. 7, DESIGN.md section 3).  The smoothing
scale ``s`` is the regularisation of the ill-posed problem: a fixed ``s`` bounds the
growth of every Fourier mode (mode ``k`` grows like ``exp(k^2 t)`` without it).
"""

from __future__ import annotations

import numpy as np
from scipy.ndimage import gaussian_filter

from ..density import Density
from ..errors import WgflowError, check_positive
from ..functionals import Functional, ShannonEntropy, TsallisEntropy
from ..grid import Grid
from .base import Flow


def smooth(rho: Density, scale: float) -> np.ndarray:
    """``G_s * rho``: Gaussian filter of standard deviation ``scale`` (length units) with
    reflecting (no-flux) walls; mass is kept exactly."""
    sigma = [scale / h for h in rho.grid.spacing]
    return gaussian_filter(rho.values, sigma, mode="reflect", truncate=6.0)


class BackwardFlow(Flow):
    """Base class of the semi-implicit backward flows (see the module docstring)."""

    backward = True

    def step_energy(self, rho: Density, smoothing: float) -> Functional:
        """The linear functional ``∫ V_k rho`` of one semi-implicit JKO step from ``rho``."""
        smoothed = smooth(rho, smoothing)
        with np.errstate(divide="ignore", invalid="ignore"):
            potential = self.energy.variation(smoothed, rho.grid)
        return LinearisedEnergy(np.where(np.isnan(potential), np.inf, potential))


class LinearisedEnergy(Functional):
    """``∫ V rho`` for a frozen first variation ``V`` that may be ``+inf`` (where the
    smoothed density vanishes): its KL-proximal map puts no mass there."""

    is_linear = True
    name = "linearised"

    def __init__(self, potential: np.ndarray):
        self._potential = potential

    def potential(self, grid: Grid) -> np.ndarray:
        return self._potential

    def evaluate(self, values: np.ndarray, grid: Grid) -> float:
        inside = values > 0
        return float((self._potential[inside] * values[inside]).sum() * grid.cell_volume)

    def variation(self, values: np.ndarray, grid: Grid) -> np.ndarray:
        return self._potential.copy()

    def log_prox_ratio(self, log_p: np.ndarray, weight: float, grid: Grid) -> np.ndarray:
        return -weight * self._potential


class BackwardHeat(BackwardFlow):
    """Backward heat equation (11) ``d_t mu = -Lap mu``: descent of the Shannon entropy H.

    Eq. (16): ``d/dt mu = -grad_W H[mu]``; its pushforward is that of the continuous DAE
    (eq. 10, Theorem 3.1).  Exact solutions: a heat solution run backwards in time,
    e.g. ``N(m, S - 2tI)`` up to the singular time ``lambda_min(S)/2``.
    """

    name = "backward-heat"
    equation = "d_t rho = -Lap rho"
    methods = ("jko", "spectral")

    @property
    def energy(self) -> Functional:
        return ShannonEntropy()


class BackwardPorousMedium(BackwardFlow):
    """Backward porous-medium equation (17) ``d_t mu = -Lap mu^a``, ``a > 1``: descent of
    the Tsallis entropy ``S_a = ∫ (mu - mu^a) / (a - 1)`` (the paper's ``-H^a``)."""

    name = "backward-porous-medium"

    def __init__(self, a: float):
        a = check_positive("exponent a", a)
        if a <= 1.0:
            raise WgflowError(f"the backward porous-medium exponent must be a > 1, got a = {a!r}")
        self.a = a

    @property
    def equation(self) -> str:
        return f"d_t rho = -Lap rho^{self.a:g}"

    @property
    def energy(self) -> Functional:
        return TsallisEntropy(self.a)

    def __repr__(self) -> str:
        return f"BackwardPorousMedium(a={self.a:g})"
