"""Backward (ill-posed) flows of the paper: backward heat (11) and backward porous medium (17).

Both are Wasserstein gradient flows of *concave* functionals (the Shannon entropy H,
eq. 16, and the Tsallis entropy S_a, section 4.2; see :mod:`wgflow.functionals.entropies`
for the sign note), so a fully implicit JKO step is not a convex problem.  Both read
``d_t rho = -Lap P(rho)`` with ``P(rho) = rho`` (heat) or ``rho^a``, i.e. the continuity
equation with velocity ``v = grad phi``, ``phi = -dF/drho``.

wgflow takes the semi-implicit step that freezes the first variation at a *filtered*
density ``rho~_k`` (the regularisation, :mod:`wgflow.filters`) and makes the step a convex
Wasserstein proximal step of a linear functional:

    rho_{k+1} = argmin_rho  ∫ V_k rho + D(rho_k, rho) / (2 tau).

Its optimal map ``y`` solves ``y = x - tau grad V_k(y)``.  With ``V_k = dF/drho[rho~_k]``
alone the step is first order in ``tau`` (for the heat flow it is the optimal transport by
a Gaussian DAE, eq. 7); wgflow adds the terms that make the map agree with the exact
characteristics ``x' = v(x, t)`` to second order (a Taylor expansion of the flow of
``x' = grad phi(x, t)`` with ``d_t phi = -P'(rho) Lap phi - |grad phi|^2``):

    V_k = dF/drho[rho~] + (tau / 2) P'(rho~) Lap phi + (3 tau / 4) |grad phi|^2,
    phi = -dF/drho[rho~].

For a Gaussian ``N(0, s)`` (heat flow) the map is then ``x (1 - tau/s - tau^2/(2 s^2))``,
the exact ``x sqrt(1 - 2 tau / s)`` to ``O(tau^3)``.  The filter scale ``smoothing`` bounds
the growth of the Fourier modes (mode ``k`` grows like ``exp(k^2 t)`` without it).
"""

from __future__ import annotations

import numpy as np

from ..density import Density
from ..errors import WgflowError, check_positive
from ..filters import FILTERS
from ..functionals import Functional, ShannonEntropy, TsallisEntropy
from ..grid import Grid
from .base import Flow


def _gradient_and_laplacian(f: np.ndarray, grid: Grid) -> tuple[np.ndarray, np.ndarray]:
    """``|grad f|^2`` and ``Lap f`` by second-order central differences (one-sided at the
    walls)."""
    squared = np.zeros(grid.shape)
    laplacian = np.zeros(grid.shape)
    for axis, h in enumerate(grid.spacing):
        derivative = np.gradient(f, h, axis=axis, edge_order=2)
        squared += derivative**2
        laplacian += np.gradient(derivative, h, axis=axis, edge_order=2)
    return squared, laplacian


class BackwardFlow(Flow):
    """Base class of the semi-implicit backward flows (see the module docstring)."""

    backward = True
    #: The filter of ``rho~`` used unless the solver is given ``smoothing_filter``.
    default_filter = "spectral"

    def pressure_derivative(self, values: np.ndarray) -> np.ndarray:
        """``P'(rho)`` of ``d_t rho = -Lap P(rho)``."""
        raise NotImplementedError

    def step_energy(self, rho: Density, dt: float, smoothing: float, smoothing_filter: str) -> Functional:
        """The linear functional ``∫ V_k rho`` of one semi-implicit JKO step of length ``dt``
        from ``rho`` (module docstring); ``V_k = +inf`` where ``rho~`` vanishes and the
        first variation is not finite there (Shannon), so no mass goes there."""
        grid = rho.grid
        filtered = FILTERS[smoothing_filter](rho.values, grid, smoothing)
        filtered = np.maximum(filtered, 0.0)
        with np.errstate(divide="ignore", invalid="ignore"):
            variation = self.energy.variation(filtered, grid)
        finite = np.isfinite(variation)
        phi = -np.where(finite, variation, variation[finite].min() if finite.any() else 0.0)
        squared_gradient, laplacian = _gradient_and_laplacian(phi, grid)
        potential = (
            variation
            + 0.5 * dt * self.pressure_derivative(filtered) * laplacian
            + 0.75 * dt * squared_gradient
        )
        return LinearisedEnergy(np.where(finite, potential, np.inf))


class LinearisedEnergy(Functional):
    """``∫ V rho`` for a frozen first variation ``V`` that may be ``+inf`` (where the
    filtered density vanishes): its KL-proximal map puts no mass there."""

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

    def pressure_derivative(self, values: np.ndarray) -> np.ndarray:
        return np.ones_like(values)


class BackwardPorousMedium(BackwardFlow):
    """Backward porous-medium equation (17) ``d_t mu = -Lap mu^a``, ``a > 1``: descent of
    the Tsallis entropy ``S_a = ∫ (mu - mu^a) / (a - 1)`` (the paper's ``-H^a``)."""

    name = "backward-porous-medium"
    #: The Gaussian filter keeps the filtered density non-negative near the free boundary,
    #: where a cosine series rings.
    default_filter = "gaussian"

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

    def pressure_derivative(self, values: np.ndarray) -> np.ndarray:
        return self.a * values ** (self.a - 1.0)

    def __repr__(self) -> str:
        return f"BackwardPorousMedium(a={self.a:g})"
