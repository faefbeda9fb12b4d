"""Backward (ill-posed) flows of the paper: backward heat (11) and backward porous medium (17).

Both are Wasserstein gradient flows of *concave* functionals (the Shannon entropy H,
eq. 16, and the Tsallis entropy S_m, section 4.2; see :mod:`wgflow.functionals.entropies`
for the sign note), so a fully implicit JKO step is not a convex problem.  Both read
``d_t rho = -Lap P(rho)`` with ``P(rho) = rho`` (heat) or ``rho^m``, i.e. the continuity
equation with velocity ``v = grad phi``, ``phi = -dF/drho``.

wgflow takes the semi-implicit step that freezes the first variation at a *filtered*
density ``rho~_k`` (the regularisation, :mod:`wgflow.filters`) and makes the step a convex
Wasserstein proximal step of a linear functional::

    rho_{k+1} = argmin_rho  ∫ V_k rho + D(rho_k, rho) / (2 dt).

Its optimal map ``y`` solves ``y = x - dt grad V_k(y)``.  With ``V_k = dF/drho[rho~_k]``
alone the step is first order in ``dt`` (for the heat flow it is the optimal transport by
a Gaussian DAE, eq. 7); wgflow adds the terms that make the map agree with the exact
characteristics ``x' = v(x, t)`` to second order (a Taylor expansion of the flow of
``x' = grad phi(x, t)`` with ``d_t phi = -P'(rho) Lap phi - |grad phi|^2``)::

    V_k = dF/drho[rho~] + (dt / 2) P'(rho~) Lap phi + (3 dt / 4) |grad phi|^2,
    phi = -dF/drho[rho~].

For a Gaussian ``N(0, s)`` (heat flow) the map is then ``x (1 - dt/s - dt^2/(2 s^2))``,
the exact ``x sqrt(1 - 2 dt / s)`` to ``O(dt^3)``.  The filter scale ``smoothing`` bounds
the growth of the Fourier modes (mode ``k`` grows like ``exp(k^2 t)`` without it).
"""

from __future__ import annotations

from abc import abstractmethod
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..density import Density
from ..errors import StepFailure, WgflowError, check_choice, check_exponent, check_positive
from ..filters import FILTERS, local_quadratic_fit
from ..functionals import Functional, ShannonEntropy, TsallisEntropy
from ..grid import Grid
from ..spectrum import NoiseFloor, noise_floor
from ..stencils import gradient_squared_and_laplacian
from .base import JKODiscretisation, JKOFlow, SpectralDiscretisation, SpectralFlow, reject_options
from .lagrangian import LagrangianFlow

#: Fewest cells per axis of a backward flow's grid (one-sided second-order stencils).
MIN_CELLS = 4


#: The growth allowed to a kept Fourier mode by the default smoothing: the cut-off length at
#: time ``t`` is at least ``c sqrt(D t / AMPLIFICATION_EXPONENT)`` (module docstring).
AMPLIFICATION_EXPONENT = 10.0
#: ``c`` of the default smoothing by filter.  The spectral filter passes a mode of wavenumber
#: ``k`` while ``k s < 0.9``: with ``c = 1`` a mode is driven back at most for a time
#: ``0.8 AMPLIFICATION_EXPONENT / (D k^2)``, so it grows by at most ``exp(8)``.  For the local
#: quadratic regression ``c = 0.6 sqrt(AMPLIFICATION_EXPONENT)`` (measured stable above about
#: ``0.4 sqrt(D t)`` on Barenblatt data, m = 2 and 3, 1-D and 2-D; with the weights and pieces
#: of :class:`BackwardPorousMedium`, 0.85 or 1.2 times it was less accurate on merged bumps).
SMOOTHING_FACTORS = {"spectral": 1.0, "local-quadratic": 0.6 * np.sqrt(AMPLIFICATION_EXPONENT)}

#: Default smoothing of the Gaussian filter of the backward flows, in cells (coarsest axis).
DEFAULT_GAUSSIAN_SMOOTHING_CELLS = 2.0


def data_noise_floor(rho0: Density) -> NoiseFloor:
    """The noise floor of a backward run's data (:func:`wgflow.spectrum.noise_floor`); a
    kernel density estimate (a density with an ``age``) is exact: its floor is round-off."""
    return noise_floor(rho0.values, rho0.grid, exact=rho0.age is not None)


class DefaultSmoothing:
    """The default regularisation length of a backward run at each time, from the data.

    ``s(t) = max(h, 1 / k_c, c sqrt(D t / A))`` for the spectral filter and the local
    quadratic regression, where

    * ``h`` is one cell width (no filter acts below one cell): the finest axis's for the
      density filters, the coarsest axis's for the local quadratic regression;
    * ``k_c`` is the knee of the initial density's cosine spectrum, where it meets its noise
      floor (:func:`wgflow.spectrum.noise_floor`): round-off for exact data, the wall leak of
      data that do not vanish at the walls, the sampling noise of a histogram.  Modes above
      it carry no information to drive back (the discrepancy principle);
    * ``c sqrt(D t / A)``, ``D = max P'(rho0)`` the largest diffusivity of
      ``d_t rho = -Lap P(rho)``, bounds the amplification of what the filter keeps: a mode
      of wavenumber ``k`` passes the filter only until ``D k^2 t`` reaches about
      ``A = AMPLIFICATION_EXPONENT`` (:data:`SMOOTHING_FACTORS`).

    ``s`` depends on the data and the current time only, never on how far the run goes: the
    density at a time ``t`` is the same whether the run ends there or later.  The Gaussian
    filter (which biases every mode) uses two cells at all times.

    Parameters
    ----------
    flow : BackwardFlow
    rho0 : Density
        The initial density.
    smoothing_filter : str
    """

    def __init__(self, flow: BackwardFlow, rho0: Density, smoothing_filter: str):
        grid = rho0.grid
        # one cell: of the finest axis for the density filters (a coarser one would smooth
        # the fine axis for nothing), of the coarsest for the local regression (whose window
        # must hold a neighbour on every axis)
        spacing = grid.spacing
        self.cell = max(spacing) if smoothing_filter.startswith("local") else min(spacing)
        self.smoothing_filter = smoothing_filter
        self.noise_length = 1.0 / data_noise_floor(rho0).wavenumber
        self.diffusivity = float(flow.pressure_derivative(rho0.values).max())

    def __call__(self, t: float) -> float:
        """The smoothing at time ``t >= 0`` after the start."""
        if self.smoothing_filter == "gaussian":
            return DEFAULT_GAUSSIAN_SMOOTHING_CELLS * self.cell
        growth = SMOOTHING_FACTORS[self.smoothing_filter] * np.sqrt(
            self.diffusivity * t / AMPLIFICATION_EXPONENT
        )
        return float(max(self.cell, self.noise_length, growth))


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
    smoothing : float
        Its length scale.
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
    smoothing: float
    smoothed: np.ndarray
    roughness: float
    gradient: list[np.ndarray] | None = None
    laplacian: np.ndarray | None = None


class BackwardFlow(JKOFlow):
    """Base class of the semi-implicit backward flows ``d_t rho = -Lap P(rho)`` (see the
    module docstring)."""

    #: The regularisations the JKO scheme accepts as ``smoothing_filter``; the first is the
    #: default.  "spectral" and "gaussian" filter the density (:data:`wgflow.filters.FILTERS`).
    filters: tuple[str, ...] = ("spectral", "gaussian")

    @abstractmethod
    def pressure_derivative(self, values: np.ndarray) -> np.ndarray:
        """``P'(rho)`` of ``d_t rho = -Lap P(rho)`` (the local diffusivity)."""

    def jko_discretisation(self, rho0: Density, **options: Any) -> JKODiscretisation:
        """The semi-implicit JKO discretisation (:class:`BackwardJKODiscretisation`; options
        ``smoothing``, ``smoothing_scale``, ``smoothing_filter``, ``roughness_limit``)."""
        accepted = ("smoothing", "smoothing_scale", "smoothing_filter", "roughness_limit")
        chosen = {name: options.pop(name) for name in accepted if name in options}
        reject_options(self, "jko", options, accepted)
        return BackwardJKODiscretisation(self, rho0, **chosen)

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
        return Regularised(values, grid, smoothing_filter, smoothing, filtered, roughness)

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
        squared_gradient, laplacian = gradient_squared_and_laplacian(phi, grid.spacing)
        potential = (
            variation
            + 0.5 * dt * self.pressure_derivative(filtered) * laplacian
            + 0.75 * dt * squared_gradient
        )
        return LinearisedEnergy(np.where(finite, potential, np.inf))

    @property
    @abstractmethod
    def energy(self) -> Functional:
        """The entropy this flow decreases."""


class BackwardJKODiscretisation(JKODiscretisation):
    """The semi-implicit JKO discretisation of a backward flow (module docstring).

    Each step freezes the first variation at the regularised current density
    (:meth:`BackwardFlow.step_energy`); each new density is regularised for the roughness
    check after the step that produced it (and, when the smoothing has not changed, for the
    next step's potential).

    Parameters
    ----------
    flow : BackwardFlow
    rho0 : Density
    smoothing : float, optional
        The regularisation's length scale ``s`` at every step.  Default: chosen at each step
        from the data and the current time (:class:`DefaultSmoothing`), never from the run's
        duration; its last value is reported in ``settings`` and every step's in
        ``statistics["smoothing"]``.
    smoothing_scale : float
        A factor applied to the smoothing (given or default; default 1).  The error
        estimate's companion run uses a larger one (:meth:`error_companion`).
    smoothing_filter : str, optional
        One of the flow's ``filters`` (the first is the default): ``"spectral"``,
        ``"gaussian"`` (density filters) and, for the porous medium, ``"local-quadratic"``
        (regression of the pressure).
    roughness_limit : float
        The run stops with ``success = False`` once the regularisation removes more than
        this fraction of the density (of the pressure, for ``"local-quadratic"``) and twice
        the fraction it removes from the initial density (default 0.05).
    """

    regularisation = "a smoothing_scale > 1 or a larger smoothing"
    #: The smoothing factor of the error estimate's companion run, by filter: a second
    #: regularisation level whose bias is about twice the run's, so that their difference is
    #: about the run's own.  The Gaussian filter's bias grows like ``s^2`` (factor
    #: ``sqrt(2)``), the local quadratic fit's like ``s^4`` (``2^(1/4) = 1.19``); the
    #: spectral filter's cut-off bias has no power law (1.2, measured).
    COMPANION_SMOOTHING_SCALES = {"spectral": 1.2, "gaussian": np.sqrt(2.0), "local-quadratic": 1.2}

    def __init__(
        self,
        flow: BackwardFlow,
        rho0: Density,
        smoothing: float | None = None,
        smoothing_scale: float = 1.0,
        smoothing_filter: str | None = None,
        roughness_limit: float = 0.05,
    ):
        grid = rho0.grid
        flow.check_grid(grid)
        self.flow = flow
        self.smoothing_filter = check_choice(
            "smoothing_filter", flow.filters[0] if smoothing_filter is None else smoothing_filter,
            flow.filters,
        )
        self.given_smoothing = None if smoothing is None else check_positive("smoothing", smoothing)
        self.smoothing_scale = check_positive("smoothing_scale", smoothing_scale)
        self.default_smoothing = DefaultSmoothing(flow, rho0, self.smoothing_filter)
        if self.smoothing_filter == "local-quadratic" and self.smoothing(0.0) < max(grid.spacing):
            raise WgflowError(
                f"smoothing = {self.smoothing(0.0)!r} is below one cell ({max(grid.spacing):.4g}); "
                "the local quadratic regression needs a window of at least one cell"
            )
        self.roughness_limit = check_positive("roughness_limit", roughness_limit)
        self.statistics = {"roughness": [], "smoothing": []}
        self._regularised: Regularised | None = None
        self._initial_roughness: float | None = None

    def smoothing(self, t: float) -> float:
        """The regularisation length at time ``t`` after the start."""
        base = self.default_smoothing(t) if self.given_smoothing is None else self.given_smoothing
        return base * self.smoothing_scale

    def settings(self) -> dict[str, Any]:
        used = self.statistics["smoothing"]
        return {
            "smoothing": used[-1] if used else self.smoothing(0.0),
            "smoothing_rule": "given" if self.given_smoothing is not None else "data",
            "smoothing_scale": self.smoothing_scale,
            "smoothing_filter": self.smoothing_filter,
        }

    def error_companion(self, options: dict[str, Any]) -> dict[str, Any]:
        """The options of the error estimate's companion run: the same, with the smoothing
        scaled by :attr:`COMPANION_SMOOTHING_SCALES` (a second regularisation level)."""
        scale = self.COMPANION_SMOOTHING_SCALES[self.smoothing_filter]
        return {**options, "smoothing_scale": self.smoothing_scale * scale}

    def state(self) -> dict[str, Any]:
        """The roughness of the initial density (the reference of :meth:`check`), ``None``
        before the first step.  The regularisation of the current density is a cache: it
        follows from the density and the smoothing, and is recomputed after a restore."""
        return {"initial_roughness": self._initial_roughness}

    def restore(self, state: dict[str, Any]) -> None:
        """Take back a :meth:`state`."""
        roughness = state["initial_roughness"]
        self._initial_roughness = None if roughness is None else float(roughness)
        self._regularised = None

    def _regularise(self, values: np.ndarray, grid: Grid, smoothing: float) -> Regularised:
        cached = self._regularised
        if (
            cached is not None and cached.smoothing == smoothing
            and np.array_equal(cached.values, values)
        ):
            return cached
        self._regularised = self.flow.regularise(values, grid, smoothing, self.smoothing_filter)
        return self._regularised

    def step_energy(self, rho: Density, dt: float, t: float) -> Functional:
        """The linear functional of the step from ``rho`` at time ``t`` to ``t + dt``,
        regularised at the smoothing of the step's end."""
        smoothing = self.smoothing(t + dt)
        self.statistics["smoothing"].append(smoothing)
        regularised = self._regularise(rho.values, rho.grid, smoothing)
        if self._initial_roughness is None:
            self._initial_roughness = regularised.roughness
        return self.flow.step_energy(regularised, dt)

    def check(self, values: np.ndarray, grid: Grid, t: float) -> None:
        """Stop a backward flow whose density at time ``t`` has become rough.

        Roughness (:class:`Regularised`) is the L1 fraction of the density (of the
        pressure, for the local quadratic regression) that the regularisation at time ``t``
        removes: small for a density whose modes lie below the cut-off (whatever the grid),
        O(1) once noise near the cut-off is amplified or the density collapses onto a few
        cells (e.g. a Gaussian at its singular time).  The run stops when it exceeds
        ``roughness_limit`` and twice the roughness of the initial density.
        """
        smoothing = self.smoothing(t)
        roughness = self._regularise(values, grid, smoothing).roughness
        self.statistics["roughness"].append(roughness)
        limit = max(self.roughness_limit, 2.0 * (self._initial_roughness or 0.0))
        if roughness > limit:
            raise StepFailure(
                f"the density has become rough (fraction {roughness:.3f} removed by the "
                f"{self.smoothing_filter} filter > {limit:.3g}): either the backward flow has "
                "amplified noise (raise the regularisation: smoothing_scale > 1 or a larger "
                f"smoothing, now {smoothing:.4g}) or the density has become narrower than the "
                "filter (collapse, e.g. at a Gaussian's singular time: stop earlier, or use a "
                "finer grid)"
            )


class LinearisedEnergy(Functional):
    """``∫ V rho`` for a frozen first variation ``V`` that may be ``+inf`` (where the
    filtered density vanishes): its KL-proximal map puts no mass there.  ``V`` is stored
    shifted so that its smallest finite value is 0, which changes the functional by a constant
    times the mass and not its minimiser at fixed mass."""

    is_linear = True
    name = "linearised"

    def __init__(self, potential: np.ndarray):
        # a constant does not move the minimiser at fixed mass; removing the smallest value
        # keeps 2 dt / gamma * V of order one for dilute densities (whose time scale, and so
        # whose steps, are long), where it would otherwise underflow the kernel's scalings
        finite = np.isfinite(potential)
        self._potential = potential - potential[finite].min() if finite.any() else potential

    def potential(self, grid: Grid) -> np.ndarray:
        return self._potential

    def evaluate(self, values: np.ndarray, grid: Grid) -> float:
        inside = values > 0
        return float((self._potential[inside] * values[inside]).sum() * grid.cell_volume)

    def variation(self, values: np.ndarray, grid: Grid) -> np.ndarray:
        return self._potential.copy()

    def log_prox_ratio(self, log_p: np.ndarray, weight: float, grid: Grid) -> np.ndarray:
        return -weight * self._potential


#: Amplified noise allowed in a kept mode of the spectral backward heat solution, relative
#: to the largest data coefficient.
AMPLIFIED_NOISE_LIMIT = 1e-2
#: The noise level of the error estimate's companion run, relative to the run's own.
COMPANION_NOISE_FACTOR = 20.0


class BackwardHeatSpectralDiscretisation(SpectralDiscretisation):
    """The backward heat semigroup on cosine coefficients with a noise-level cut-off.

    Mode k grows like ``exp(|k|^2 t)``, which amplifies the data's noise without bound.
    A mode is kept only while ``noise_level * exp(|k|^2 t) < 1e-2`` (its amplified noise
    stays below one per cent of the largest data coefficient) and only if its data
    coefficient is above the noise level; the mean (the mass, which does not grow) is
    always kept.  The kept modes are exact in time.

    Parameters
    ----------
    rho0 : Density
        The initial density.
    noise_level : float, optional
        Relative noise of the data, below :data:`AMPLIFIED_NOISE_LIMIT` (at or above it no
        mode but the mean could be kept).  Default: the floor of the initial density's
        cosine spectrum (:func:`data_noise_floor`: round-off for exact float64 data and for
        kernel density estimates, the wall leak of data that do not vanish at the walls, the
        sampling noise of a histogram).

    Raises
    ------
    WgflowError
        If ``noise_level`` is not a number in ``(0, 1e-2)``, or the data's own floor is
        there (a histogram: their noise leaves no mode to drive back by this method).
    """

    regularisation = "a larger noise_level"

    def __init__(self, rho0: Density, noise_level: float | None = None):
        given = noise_level is not None
        if noise_level is None:
            noise_level = data_noise_floor(rho0).level
        self.noise_level = check_positive("noise_level", noise_level)
        if self.noise_level >= AMPLIFIED_NOISE_LIMIT:
            source = "given" if given else "the data's noise floor"
            raise WgflowError(
                f"noise_level = {self.noise_level:.3g} ({source}) must be below "
                f"{AMPLIFIED_NOISE_LIMIT:g}: at that noise no cosine mode but the mean can be "
                "driven back; use the JKO scheme (method='jko'), or smooth the data first "
                "(Density.from_samples(..., bandwidth='scott'))"
            )
        self.statistics = {"kept_modes": []}
        # the modes above the noise level, computed once for the run's initial coefficients
        self._source: np.ndarray | None = None
        self._above_noise = np.zeros(0, dtype=bool)

    def coefficients(
        self, coefficients0: np.ndarray, wavenumbers2: np.ndarray, elapsed: float
    ) -> np.ndarray:
        growth = np.exp(np.minimum(wavenumbers2 * elapsed, 700.0))
        if coefficients0 is not self._source:
            magnitude = np.abs(coefficients0)
            self._above_noise = magnitude > self.noise_level * magnitude.max()
            self._source = coefficients0
        keep = self._above_noise & (self.noise_level * growth < AMPLIFIED_NOISE_LIMIT)
        keep.flat[0] = True  # the mean: the mass, which does not grow
        self.statistics["kept_modes"].append(int(keep.sum()))
        return np.where(keep, coefficients0 * growth, 0.0)

    def settings(self) -> dict[str, Any]:
        return {"noise_level": self.noise_level}

    def error_companion(self, options: dict[str, Any]) -> dict[str, Any]:
        """The companion run assumes :data:`COMPANION_NOISE_FACTOR` times more noise (it
        keeps fewer modes), at most the geometric mean of the run's and
        :data:`AMPLIFIED_NOISE_LIMIT`: their difference is the content of the modes the
        cut-off is unsure of."""
        noise = min(COMPANION_NOISE_FACTOR * self.noise_level,
                    float(np.sqrt(self.noise_level * AMPLIFIED_NOISE_LIMIT)))
        return {**options, "noise_level": noise}


class BackwardHeat(BackwardFlow, SpectralFlow, LagrangianFlow):
    """Backward heat equation (11) ``d_t mu = -Lap mu``: descent of the Shannon entropy H.

    Eq. (16): ``d/dt mu = -grad_W H[mu]``; its pushforward is that of the continuous DAE
    (eq. 10, Theorem 3.1).  Exact solutions: a heat solution run backwards in time,
    e.g. ``N(m, S - 2tI)`` up to the singular time ``lambda_min(S)/2``.  Methods: ``"jko"``
    (the semi-implicit step), ``"spectral"`` (the cosine-series reference with a noise-level
    cut-off, option ``noise_level``, by default the data's noise floor), ``"lagrangian"``
    (the continuous DAE, eq. (10)).
    """

    name = "backward-heat"
    equation = "d_t rho = -Lap rho"
    age_rate = -1.0

    @property
    def energy(self) -> Functional:
        return ShannonEntropy()

    def parameters(self) -> dict[str, float | str]:
        """No parameters (``{}``): a checkpoint rebuilds ``BackwardHeat()``."""
        return {}

    def pressure_derivative(self, values: np.ndarray) -> np.ndarray:
        """``P'(rho) = 1`` (``P(rho) = rho``)."""
        return np.ones_like(values)

    def score_coefficient(self, values: np.ndarray) -> np.ndarray:
        """``v = grad log rho``: the continuous DAE (eq. (10)), coefficient 1."""
        return np.ones_like(values)

    def spectral_discretisation(self, rho0: Density, **options: Any) -> SpectralDiscretisation:
        noise_level = options.pop("noise_level", None)
        reject_options(self, "spectral", options, ("noise_level",))
        return BackwardHeatSpectralDiscretisation(rho0, noise_level)


class BackwardPorousMedium(BackwardFlow):
    """Backward porous-medium equation (17) ``d_t mu = -Lap mu^m``, ``m > 1``: descent of
    the Tsallis entropy of order m, ``S_m = ∫ (mu - mu^m) / (m - 1)`` (the paper's
    ``-H^a`` with ``a = m``).

    Default regularisation ``"local-quadratic"``: the pressure ``p = m/(m-1) rho^(m-1)``
    (``dS_m/drho = 1/(m-1) - p``) is replaced by its local quadratic regression ``p~`` in a
    Gaussian window of standard deviation ``smoothing``
    (:func:`wgflow.filters.local_quadratic_fit`).  Filtering the density instead flattens
    the pressure gradient at the free boundary, where the support must shrink; the
    regression reproduces quadratics exactly (the Barenblatt pressure is one), so it
    continues the pressure past the edge with the right slope.  Two choices make it work
    beyond one Barenblatt profile:

    * each connected piece of the support is fitted on its own (``separate_pieces``): two
      bumps a gap narrower than the window apart no longer see each other's pressure, which
      pinned their facing edges (m = 3, bumps at +-0.6 driven back to half their age:
      relative L1 error 2.6e-2 with one fit across the gap, 1.4e-3 piece by piece);
    * the regression weights are ``rho^2``, not ``rho``: the window's sum of
      ``(rho (p - p~))^2`` is least, so the pressure is fitted best where the mass that it
      moves is, and the thin parts (the valley between merged bumps, the edge) weigh less.
      Of the weights ``rho^g``, ``g`` = 0 .. 10, ``g = 2`` was the best compromise over 18
      cases (1-D m = 1.5, 2, 3: Barenblatt, two separate and two merged bumps; 2-D:
      Barenblatt and off-centre non-symmetric bumps, m = 2 and 3): better than ``g = 1`` on
      15 (two bumps at +-0.3 that merged, m = 2, half their age: 4.5e-2 -> 3.0e-2; at
      +-0.25, m = 1.5: 8.6e-2 -> 4.6e-2; 2-D Barenblatt, m = 2, 128^2: 6.8e-3 -> 5.0e-3),
      up to 17% worse on three
      (the largest: 2-D off-centre bumps, m = 3, 8.7e-3 -> 9.2e-3); ``g = 3`` gains on
      merged bumps with m = 2 and loses with m = 1.5 and 3, ``g < 1`` loses everywhere.

    Where the pressure has features narrower than the window that the backward flow
    sharpens (the valley between bumps that merged shortly before the target time) the fit
    rounds them off and the error grows (m = 2, bumps at +-0.3 that merged at age 0.0205,
    from age 0.06 back to 0.03: 3.0e-2, estimated 1.8e-2); a narrower window amplifies the
    data's noise instead (the run turns rough), so the error estimate, not the fit, must
    report it.  Bumps that merged long before the target time are fine (merged at age
    0.0061, back to 0.03: 2.4e-3).

    The step potential is the second-order one of the module docstring with ``phi = p~``
    (``P'(rho) = (m-1) p``)::

        V_k = 1/(m-1) - p~ + (dt/2)(m-1) p~ Lap p~ + (3 dt/4) |grad p~|^2,

    and ``+inf`` where ``rho_k = 0`` or ``p~ <= 0``: the backward flow only shrinks the
    support, so no mass goes outside the current one or the fitted free boundary.
    """

    name = "backward-porous-medium"
    filters = ("local-quadratic", "spectral", "gaussian")

    def __init__(self, m: float):
        self.m = check_exponent("backward porous-medium exponent m", m)
        self.equation = f"d_t rho = -Lap rho^{self.m:g}"

    @property
    def energy(self) -> Functional:
        return TsallisEntropy(self.m)

    def parameters(self) -> dict[str, float | str]:
        """The exponent: ``{"m": m}`` (a checkpoint rebuilds the flow from it)."""
        return {"m": self.m}

    def pressure_derivative(self, values: np.ndarray) -> np.ndarray:
        """``P'(rho) = m rho^(m-1)`` (``P(rho) = rho^m``), zero where ``rho <= 0``."""
        return self.m * np.maximum(values, 0.0) ** (self.m - 1.0)

    def pressure(self, values: np.ndarray) -> np.ndarray:
        """``p = m/(m-1) rho^(m-1)``, the velocity potential ``v = grad p``."""
        return self.m / (self.m - 1.0) * np.maximum(values, 0.0) ** (self.m - 1.0)

    def regularise(
        self, values: np.ndarray, grid: Grid, smoothing: float, smoothing_filter: str
    ) -> Regularised:
        """With ``"local-quadratic"``: the fitted pressure ``p~`` (weights ``rho^2``, each
        piece of the support on its own: class docstring; zero outside the support), its
        derivatives, and as roughness the mass-weighted L1 fraction of the pressure that the
        fit removes (zero for a Barenblatt profile, O(1) for amplified noise); otherwise
        :meth:`BackwardFlow.regularise`."""
        if smoothing_filter != "local-quadratic":
            return super().regularise(values, grid, smoothing, smoothing_filter)
        pressure = self.pressure(values)
        fitted, gradient, laplacian = local_quadratic_fit(
            pressure, values**2, grid, smoothing, separate_pieces=True
        )
        roughness = float((values * np.abs(pressure - fitted)).sum() / (values * pressure).sum())
        return Regularised(
            values, grid, smoothing_filter, smoothing, fitted, roughness, gradient, laplacian
        )

    def step_energy(self, regularised: Regularised, dt: float) -> Functional:
        """The step's linear functional; with ``"local-quadratic"`` the potential of the
        class docstring, otherwise :meth:`BackwardFlow.step_energy`."""
        if regularised.gradient is None or regularised.laplacian is None:
            return super().step_energy(regularised, dt)
        m = self.m
        fitted = regularised.smoothed
        # dS_m/drho = 1/(m - 1) - p; the constant does not move the step, and formed here it
        # would take the digits of a dilute density's small pressure
        potential = (
            -fitted
            + 0.5 * dt * (m - 1.0) * fitted * regularised.laplacian
            + 0.75 * dt * sum(g * g for g in regularised.gradient)
        )
        inside = (regularised.values > 0) & (fitted > 0)
        return LinearisedEnergy(np.where(inside, potential, np.inf))

    def __repr__(self) -> str:
        return f"BackwardPorousMedium(m={self.m:g})"
