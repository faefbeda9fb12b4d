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

from dataclasses import dataclass

import numpy as np
from findiff import Diff

from ..errors import WgflowError, check_positive
from ..filters import FILTERS, local_quadratic_fit
from ..functionals import Functional, ShannonEntropy, TsallisEntropy
from ..grid import Grid
from .base import Flow

#: Fewest cells per axis of a backward flow's grid (one-sided second-order stencils).
MIN_CELLS = 4


def _gradient_and_laplacian(f: np.ndarray, grid: Grid) -> tuple[np.ndarray, np.ndarray]:
    """``|grad f|^2`` and ``Lap f`` by second-order finite differences (findiff): central
    inside (the compact 3-point second difference for ``Lap``), one-sided at the walls."""
    squared = np.zeros(grid.shape)
    laplacian = np.zeros(grid.shape)
    for axis, h in enumerate(grid.spacing):
        squared += Diff(axis, h, acc=2)(f) ** 2
        laplacian += (Diff(axis, h, acc=2) ** 2)(f)
    return squared, laplacian


@dataclass(frozen=True)
class Regularised:
    """A density with what the semi-implicit step freezes: computed once per density,
    used for the roughness check after the step that produced it and for the next step.

    Attributes
    ----------
    values : ndarray
        The density's values.
    grid : Grid
    smoothing_filter : str
        The regularisation that made it.
    smoothed : ndarray
        The filtered density ``rho~`` (density filters) or the fitted pressure ``p~``
        (``"local-quadratic"``).
    roughness : float
        The L1 fraction the regularisation removes (of the density, or of the pressure
        weighted by the density): small for a density whose modes it keeps, O(1) for
        amplified noise or a density narrower than the filter (the solver's stop).
    gradient, laplacian : ndarray, optional
        ``grad p~`` (one array per axis) and ``Lap p~`` of the fitted pressure.
    """

    values: np.ndarray
    grid: Grid
    smoothing_filter: str
    smoothed: np.ndarray
    roughness: float
    gradient: list[np.ndarray] | None = None
    laplacian: np.ndarray | None = None


class BackwardFlow(Flow):
    """Base class of the semi-implicit backward flows (see the module docstring)."""

    backward = True
    #: The regularisations the solver accepts as ``smoothing_filter``; the first is the
    #: default.  "spectral" and "gaussian" filter the density (:data:`wgflow.filters.FILTERS`).
    filters: tuple[str, ...] = ("spectral", "gaussian")

    def pressure_derivative(self, values: np.ndarray) -> np.ndarray:
        """``P'(rho)`` of ``d_t rho = -Lap P(rho)`` (the local diffusivity)."""
        raise NotImplementedError

    def check_grid(self, grid: Grid) -> None:
        """Raise :class:`~wgflow.errors.WgflowError` if ``grid`` has an axis with fewer
        than :data:`MIN_CELLS` cells (the step differentiates the first variation)."""
        if min(grid.shape) < MIN_CELLS:
            raise WgflowError(
                f"the {self.name} flow needs at least {MIN_CELLS} cells per axis, got a grid "
                f"of shape {grid.shape}"
            )

    def regularise(
        self, values: np.ndarray, grid: Grid, smoothing: float, smoothing_filter: str
    ) -> Regularised:
        """The regularisation of a density: its filtered version and its roughness.

        Parameters
        ----------
        values : ndarray
            The density's values on ``grid``.
        grid : Grid
        smoothing : float
            The regularisation's length scale.
        smoothing_filter : str
            One of :attr:`filters`.

        Returns
        -------
        Regularised
            ``smoothed`` is the filtered density ``rho~``; ``roughness`` the L1 fraction of
            the density the filter removes.
        """
        filtered = FILTERS[smoothing_filter](values, grid, smoothing)
        roughness = float(np.abs(values - filtered).sum() / values.sum())
        return Regularised(values, grid, smoothing_filter, filtered, roughness)

    def step_energy(self, regularised: Regularised, dt: float) -> Functional:
        """The linear functional ``∫ V_k rho`` of one semi-implicit JKO step of length
        ``dt`` from the regularised density (module docstring); ``V_k = +inf`` where
        ``rho~`` vanishes and the first variation is not finite there (Shannon), so no
        mass goes there."""
        grid = regularised.grid
        filtered = np.maximum(regularised.smoothed, 0.0)
        with np.errstate(divide="ignore", invalid="ignore"):
            variation = self.energy.variation(filtered, grid)
        finite = np.isfinite(variation)
        # where rho~ vanishes the first variation is +inf (Shannon): fill with the largest
        # finite value, i.e. the smallest phi, so the differences see no false wall there
        phi = -np.where(finite, variation, variation[finite].max())
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
        """``P'(rho) = 1`` (``P(rho) = rho``)."""
        return np.ones_like(values)


class BackwardPorousMedium(BackwardFlow):
    """Backward porous-medium equation (17) ``d_t mu = -Lap mu^a``, ``a > 1``: descent of
    the Tsallis entropy ``S_a = ∫ (mu - mu^a) / (a - 1)`` (the paper's ``-H^a``).

    Default regularisation ``"local-quadratic"``: the pressure ``p = a/(a-1) rho^(a-1)``
    (``dS_a/drho = 1/(a-1) - p``) is replaced by its mass-weighted local quadratic
    regression ``p~`` in a Gaussian window of standard deviation ``smoothing``
    (:func:`wgflow.filters.local_quadratic_fit`).  Filtering the density instead flattens
    the pressure gradient at the free boundary, where the support must shrink; the
    regression reproduces quadratics exactly (the Barenblatt pressure is one), so it
    continues the pressure past the edge with the right slope.  The step potential is the
    second-order one of the module docstring with ``phi = p~`` (``P'(rho) = (a-1) p``),

        V_k = 1/(a-1) - p~ + (tau/2)(a-1) p~ Lap p~ + (3 tau/4) |grad p~|^2,

    and ``+inf`` where ``rho_k = 0`` or ``p~ <= 0``: the backward flow only shrinks the
    support, so no mass goes outside the current one or the fitted free boundary.
    """

    name = "backward-porous-medium"
    filters = ("local-quadratic", "spectral", "gaussian")

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
        """``P'(rho) = a rho^(a-1)`` (``P(rho) = rho^a``), zero where ``rho <= 0``."""
        return self.a * np.maximum(values, 0.0) ** (self.a - 1.0)

    def pressure(self, values: np.ndarray) -> np.ndarray:
        """``p = a/(a-1) rho^(a-1)``, the velocity potential ``v = grad p``."""
        return self.a / (self.a - 1.0) * np.maximum(values, 0.0) ** (self.a - 1.0)

    def regularise(
        self, values: np.ndarray, grid: Grid, smoothing: float, smoothing_filter: str
    ) -> Regularised:
        """With ``"local-quadratic"``: the fitted pressure ``p~``, its derivatives, and as
        roughness the mass-weighted L1 fraction of the pressure that the fit removes (zero
        for a Barenblatt profile, O(1) for amplified noise); otherwise
        :meth:`BackwardFlow.regularise`."""
        if smoothing_filter != "local-quadratic":
            return super().regularise(values, grid, smoothing, smoothing_filter)
        pressure = self.pressure(values)
        fitted, gradient, laplacian = local_quadratic_fit(pressure, values, grid, smoothing)
        roughness = float((values * np.abs(pressure - fitted)).sum() / (values * pressure).sum())
        return Regularised(
            values, grid, smoothing_filter, fitted, roughness, gradient, laplacian
        )

    def step_energy(self, regularised: Regularised, dt: float) -> Functional:
        """The step's linear functional; with ``"local-quadratic"`` the potential of the
        class docstring, otherwise :meth:`BackwardFlow.step_energy`."""
        if regularised.smoothing_filter != "local-quadratic":
            return super().step_energy(regularised, dt)
        a = self.a
        fitted = regularised.smoothed
        potential = (
            1.0 / (a - 1.0) - fitted
            + 0.5 * dt * (a - 1.0) * fitted * regularised.laplacian
            + 0.75 * dt * sum(g * g for g in regularised.gradient)
        )
        inside = (regularised.values > 0) & (fitted > 0)
        return LinearisedEnergy(np.where(inside, potential, np.inf))

    def __repr__(self) -> str:
        return f"BackwardPorousMedium(a={self.a:g})"
