"""Which functional does a DAE descend?  The paper's closing conjecture, measured.

Section 5 of the paper expects that "DAEs with non-Gaussian noise correspond to other Lyapunov
functionals such as the Rényi entropy".  This module measures the transport velocity of a
DAE::

    v_t(x) = (Phi_t(x) - x) / t = -E_t[eps | x] / t                                   (eq. 4)

(:func:`wgflow.dae.dae_velocity`, any noise law), against the Wasserstein descent velocities
``-grad dF/dmu`` of the entropies of :mod:`wgflow.functionals` at the data ``mu``:

* Shannon ``H``: ``grad log mu``, the score (eq. 8);
* Tsallis ``S_a`` of order ``a > 0``: ``a mu^(a-2) grad mu``, the velocity of the backward
  porous-medium equation (17); the Rényi entropy ``R_a`` has the same velocity divided by
  ``∫ mu^a > 0`` (see :doc:`/theory/conventions` for the signs).

All are positive multiples of ``mu^(a-1) grad log mu`` (``a = 1``: Shannon), so the fit of an
order has one free amplitude ``c``: :func:`descent_analysis` minimises the mass-weighted
relative residual::

    r(a) = min_c ||v_t - c mu^(a-1) grad log mu||_mu / ||v_t||_mu,
    ||f||_mu^2 = ∫_R mu |f|^2,

over ``a > 0``, on the *resolved region* ``R``: the cells where ``mu`` is at least
``threshold`` times its maximum, shrunk by the half-width of the difference stencils (so that
every difference of ``log mu`` uses cells of that region only).

Small-``t`` theory (derived in :doc:`/theory/lyapunov`): for a symmetric standardised noise
with fourth cumulant ``kappa_ijkl`` (:meth:`wgflow.dae.NoiseLaw.fourth_cumulant`)::

    v_t = grad log(W_t * mu) + t w + O(t^2),      w_i = (1/6) kappa_ijkl d_jkl mu / mu,

so every law of finite variance tends to the score (the limit (8) of Theorem 2.3) with an
``O(t)`` error, and departs from the Gaussian DAE by ``t w``, linear in the excess kurtosis
(for Student-t noise with 5 degrees of freedom the remainder is ``O(t^(3/2))``, its sixth
moment being infinite; with ``dof <= 4`` the departure itself is of order
``t^((dof - 2)/2)``).  :func:`first_order_theory`
computes ``w``, ``g = dv_t/dt|_0 = grad(Lap mu / (2 mu)) + w`` and the order they predict:
``a(t) = 1 + beta t + O(t^2)``.

:func:`monotonicity_table` records whether the Shannon entropy and the order-``a`` entropies
decrease at every layer of a composition of DAEs (section 3.1) for each noise law;
:func:`standard_density` builds the standardised test densities (mean 0, covariance ``I``).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy.ndimage import binary_erosion
from scipy.optimize import brentq, minimize_scalar

from .. import stencils
from ..density import Density
from ..errors import WgflowError, check_choice, check_density, check_integer, check_order
from ..grid import Grid
from ..trackers import largest_increase
from ._checks import check_noise_time
from .composition import compose
from .maps import dae_velocity, score
from .noise import GaussianNoise, NoiseLaw, NoiseLike, resolve_noise

__all__ = [
    "STANDARD_DENSITIES",
    "standard_density",
    "resolved_region",
    "order_residual",
    "fit_order",
    "OrderFit",
    "first_order_theory",
    "FirstOrderTheory",
    "descent_analysis",
    "descent_analyses",
    "DescentAnalysis",
    "monotonicity_table",
]

#: Names of :func:`standard_density`.
STANDARD_DENSITIES: tuple[str, ...] = ("gaussian", "mixture", "bump", "heavy")

#: Exponent of the Barenblatt profile of the ``"bump"``: ``(1 - |x|^2 / R^2)_+^3``.
BUMP_EXPONENT = 4.0 / 3.0

#: Degrees of freedom of the Student-t profile of the ``"heavy"`` density.
HEAVY_DOF = 3.0

#: The range of orders searched by :func:`fit_order`.
ORDER_RANGE: tuple[float, float] = (0.02, 50.0)

#: The reference law of the departures: one instance, so that the convolutions' cached weight
#: matrices are shared between analyses on the same grid.
_GAUSSIAN = GaussianNoise()


# ----------------------------------------------------------------------------------------------
# standardised test densities
# ----------------------------------------------------------------------------------------------
def _mixture_parts(d: int) -> tuple[list[float], np.ndarray, list[np.ndarray]]:
    """A standardised Gaussian mixture: two bumps in 1-D, three in 2-D and 3-D, whitened by
    the affine map that gives the mixture mean 0 and covariance ``I`` (exact)."""
    if d == 1:
        return [0.5, 0.5], np.array([[-0.8], [0.8]]), [np.eye(1) * 0.36] * 2
    w = np.array([0.4, 0.35, 0.25])
    base = np.array([[-1.0, -0.4, 0.2], [0.9, 0.6, -0.3], [0.1, 1.3, 0.4]])[:, :d]
    covs = [np.diag([0.3, 0.2, 0.25][:d]), np.diag([0.2, 0.35, 0.3][:d]), 0.15 * np.eye(d)]
    covs[0] = covs[0] + 0.08 * (np.ones((d, d)) - np.eye(d))
    mean = w @ base
    total = sum(wi * (c + np.outer(m - mean, m - mean)) for wi, m, c in zip(w, base, covs))
    lam, vec = np.linalg.eigh(total)
    white = vec @ np.diag(lam**-0.5) @ vec.T
    means = (base - mean) @ white.T
    return list(w), means, [white @ c @ white.T for c in covs]


def _heavy_values(grid: Grid, scale: float) -> np.ndarray:
    r2 = sum(x * x for x in grid.coordinates)
    return (1.0 + r2 / (HEAVY_DOF * scale * scale)) ** (-0.5 * (HEAVY_DOF + grid.ndim))


def _grid_variance(grid: Grid, values: np.ndarray) -> float:
    """The mean per-axis variance of ``values`` on ``grid`` (midpoint rule, mean 0)."""
    mass = values.sum()
    return float(sum((x * x * values).sum() for x in grid.coordinates) / (grid.ndim * mass))


def standard_density(name: str, grid: Grid) -> Density:
    """A standardised test density (mean 0, covariance ``I``) on ``grid``, mass 1 on the grid.

    ``"gaussian"``
        ``N(0, I)``.
    ``"mixture"``
        A Gaussian mixture, two bumps ``(N(-0.8, 0.36) + N(0.8, 0.36)) / 2`` in 1-D, three
        anisotropic bumps whitened to mean 0 and covariance ``I`` in 2-D and 3-D (exact).
    ``"bump"``
        The Barenblatt profile of exponent ``m = 4/3`` (:func:`wgflow.exact.barenblatt`),
        ``(1 - |x|^2 / R^2)_+^3`` with ``R^2 = d + 8``, whose covariance is ``I``: compact
        support, twice continuously differentiable.
    ``"heavy"``
        A Student-t profile with 3 degrees of freedom, ``(1 + |x|^2 / (3 s^2))^(-(3 + d)/2)``,
        truncated to the box, its scale ``s`` solved so that its covariance on the grid is
        ``I``: tails like ``|x|^-(3 + d)``.

    The box should hold ``[-6, 6]^d`` for the truncation of the tails to stay below 1e-7
    (Gaussian, mixture).  The values are those of the formulas at the cell centres, divided by
    the grid mass.

    Raises
    ------
    WgflowError
        For an unknown name or a grid that does not hold the support of the bump.
    """
    from .. import exact

    name = check_choice("standard density", name, STANDARD_DENSITIES)
    if not isinstance(grid, Grid):
        raise WgflowError(f"grid must be a wgflow.Grid, got {type(grid).__name__}")
    d = grid.ndim
    if name == "gaussian":
        rho = exact.heat_gaussian(grid, np.zeros(d), 1.0, 0.0)
    elif name == "mixture":
        weights, means, covs = _mixture_parts(d)
        rho = exact.heat_gaussian_mixture(grid, weights, means, covs, 0.0)
    elif name == "bump":
        power = 1.0 / (BUMP_EXPONENT - 1.0)
        radius2 = d + 2.0 * power + 2.0  # E|x|^2 = d R^2 / (d + 2 p + 2)
        _, k = exact.barenblatt_exponents(d, BUMP_EXPONENT)
        inside = [(lo <= -math.sqrt(radius2)) and (hi >= math.sqrt(radius2))
                  for lo, hi in grid.bounds]
        if not all(inside):
            raise WgflowError(
                f"the bump has support radius {math.sqrt(radius2):.4g}; accepted: a grid whose "
                f"box holds it, got bounds {grid.bounds}"
            )
        rho = exact.barenblatt(grid, BUMP_EXPONENT, 1.0, k * radius2)
    else:
        scale = brentq(
            lambda s: _grid_variance(grid, _heavy_values(grid, s)) - 1.0, 0.05, 5.0, xtol=1e-14
        )
        rho = Density(grid, _heavy_values(grid, scale))
    return rho.normalized()


# ----------------------------------------------------------------------------------------------
# the resolved region and the fit of an order
# ----------------------------------------------------------------------------------------------
def resolved_region(rho: Density, threshold: float = 1e-3, acc: int = 8) -> np.ndarray:
    """The cells where the velocities are compared: ``rho >= threshold * max(rho)``, shrunk by
    ``acc / 2`` cells along every axis (the half-width of the difference stencils of order
    ``acc``), so that no difference of ``log rho`` reaches below the threshold.

    Raises
    ------
    WgflowError
        For a threshold outside ``(0, 1)`` or when no cell is left.
    """
    rho = check_density("rho", rho)
    if isinstance(threshold, bool) or not 0.0 < float(threshold) < 1.0:
        raise WgflowError(
            f"threshold (a fraction of the density's maximum) must be in (0, 1), got "
            f"{threshold!r}"
        )
    acc = check_integer("acc", acc, 2)
    above = rho.values >= float(threshold) * float(rho.values.max())
    structure = np.ones((2 * (acc // 2) + 1,) * rho.grid.ndim, dtype=bool)
    region = binary_erosion(above, structure=structure, border_value=1)
    if not region.any():
        raise WgflowError(
            f"no cell of rho is resolved at threshold {threshold!r} with stencils of order "
            f"{acc}; accepted: a density above the threshold on more than {acc + 1} cells per "
            "axis (refine the grid or lower the threshold)"
        )
    return region


def _check_field(values: np.ndarray, grid: Grid) -> np.ndarray:
    """A velocity field on ``grid``: finite, shape ``(d, *grid.shape)``, not zero."""
    array = np.asarray(values, dtype=float)
    if array.shape != (grid.ndim, *grid.shape) or not np.isfinite(array).all():
        raise WgflowError(
            f"velocity must be a finite array of shape {(grid.ndim, *grid.shape)}, got shape "
            f"{array.shape}"
        )
    if not np.any(array):
        raise WgflowError("velocity is zero everywhere; accepted: a field to fit an order to")
    return array


class _Comparison:
    """The weighted comparison of velocity fields with the descent velocities of ``rho``.

    Holds the resolved region, the weights ``mu`` on it, the score and ``mu / max mu``
    restricted to it; fields of shape ``(d, *grid.shape)`` are restricted with
    :meth:`restrict` and compared with ``<f, g>_mu = sum_R mu f.g V``.
    """

    def __init__(self, rho: Density, threshold: float, acc: int):
        self.rho = check_density("rho", rho)
        self.threshold = threshold
        self.region = resolved_region(rho, threshold, acc)
        self.weights = rho.values[self.region] * rho.grid.cell_volume / rho.mass
        self.score = self.restrict(score(rho, acc))
        if not self.norm(self.score) > 0:
            raise WgflowError(
                "the score of rho vanishes on its resolved region (a uniform density has no "
                "descent velocity); accepted: a density that varies where it is resolved"
            )
        self.peak = float(rho.values.max()) / rho.mass
        self.scaled = rho.values[self.region] / float(rho.values.max())

    def restrict(self, field: np.ndarray) -> np.ndarray:
        return np.asarray(field)[..., self.region]

    def dot(self, f: np.ndarray, g: np.ndarray) -> float:
        return float(np.sum(self.weights * np.sum(f * g, axis=0)))

    def norm(self, f: np.ndarray) -> float:
        return math.sqrt(max(self.dot(f, f), 0.0))

    def direction(self, a: float) -> np.ndarray:
        """``mu^(a-1) grad log mu`` with ``mu`` divided by its maximum (a positive factor)."""
        return self.scaled ** (a - 1.0) * self.score

    def residual(self, v: np.ndarray, u: np.ndarray) -> tuple[float, float]:
        """``(min_c ||v - c u|| / ||v||, c)`` for restricted fields (``v`` not zero)."""
        c = self.dot(v, u) / self.dot(u, u)
        return self.norm(v - c * u) / self.norm(v), c

    def relative_distance(self, v: np.ndarray, w: np.ndarray) -> float:
        """``||v - w|| / ||w||`` for restricted fields."""
        return self.norm(v - w) / self.norm(w)

    def tsallis_amplitude(self, c: float, a: float) -> float:
        """The amplitude of the Tsallis velocity ``a mu^(a-2) grad mu`` of ``mu`` of mass 1
        that equals ``c`` times :meth:`direction`."""
        return c * self.peak ** (1.0 - a) / a

    def fit(self, v: np.ndarray) -> OrderFit:
        """The best order for the restricted field ``v`` (:func:`fit_order`)."""

        def r2(log_a: float) -> float:
            return self.residual(v, self.direction(math.exp(log_a)))[0] ** 2

        scan = np.linspace(math.log(ORDER_RANGE[0]), math.log(ORDER_RANGE[1]), 97)
        values = np.array([r2(x) for x in scan])
        best = int(np.argmin(values))
        bracket = (scan[max(best - 1, 0)], scan[min(best + 1, scan.size - 1)])
        found = minimize_scalar(r2, bounds=bracket, method="bounded", options={"xatol": 1e-10})
        log_a = float(found.x) if found.fun <= values[best] else float(scan[best])
        a = math.exp(log_a)
        step = 1e-3 * a
        centre = r2(log_a)
        curvature = 0.5 * (r2(math.log(a + step)) - 2 * centre + r2(math.log(a - step))) / step**2
        width = math.sqrt(0.21 * centre / curvature) if curvature > 0 else math.inf
        at_bound = bool(log_a <= scan[1] or log_a >= scan[-2])
        return OrderFit(a, math.sqrt(centre), curvature, width, at_bound)


@dataclass(frozen=True)
class OrderFit:
    """The best order of one velocity field on one grid (:func:`fit_order`).

    Attributes
    ----------
    order : float
        ``a*``, the minimiser of ``r(a)`` over ``a > 0`` (searched in :data:`ORDER_RANGE`).
    residual : float
        ``r(a*)``.
    curvature : float
        ``(1/2) d^2 r^2 / da^2`` at ``a*`` (central differences): how sharply ``a`` is fixed.
    width : float
        Half-width of the orders whose residual is within 10% of ``r(a*)``,
        ``sqrt(0.21 r(a*)^2 / curvature)`` (0 for an exact fit, ``inf`` where ``r`` is flat).
    at_bound : bool
        True when ``a*`` is at an end of the searched range (no interior minimum).
    """

    order: float
    residual: float
    curvature: float
    width: float
    at_bound: bool


def order_residual(
    rho: Density, velocity: np.ndarray, a: float, threshold: float = 1e-3, acc: int = 8
) -> tuple[float, float]:
    """The relative residual ``r(a)`` of ``velocity`` against the order-``a`` descent velocity.

    Parameters
    ----------
    rho : Density
        The data ``mu`` (its values are the weight).
    velocity : numpy.ndarray
        Shape ``(d, *grid.shape)``, e.g. :func:`wgflow.dae.dae_velocity`.
    a : float
        The order, ``> 0`` (1: Shannon).
    threshold, acc
        The resolved region (:func:`resolved_region`) and the order of the differences of
        ``log mu`` (:func:`wgflow.dae.score`).

    Returns
    -------
    (float, float)
        ``r(a) = min_c ||v - c a mu^(a-2) grad mu||_mu / ||v||_mu`` and the minimising ``c``,
        for ``mu`` of mass 1 (``c = 1`` when ``v`` is that velocity itself).
    """
    a = check_order("order a", a)
    comparison = _Comparison(rho, threshold, acc)
    v = comparison.restrict(_check_field(velocity, comparison.rho.grid))
    res, c = comparison.residual(v, comparison.direction(a))
    return res, comparison.tsallis_amplitude(c, a)


def fit_order(
    rho: Density, velocity: np.ndarray, threshold: float = 1e-3, acc: int = 8
) -> OrderFit:
    """The order ``a > 0`` whose descent velocity fits ``velocity`` best (free amplitude).

    ``r(a)`` (:func:`order_residual`) is scanned on 97 log-spaced orders of
    :data:`ORDER_RANGE` and minimised by Brent's method in ``log a`` around the best of them.
    """
    comparison = _Comparison(rho, threshold, acc)
    return comparison.fit(comparison.restrict(_check_field(velocity, comparison.rho.grid)))


# ----------------------------------------------------------------------------------------------
# first-order theory
# ----------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class FirstOrderTheory:
    """The small-``t`` expansion ``v_t = s + t g + O(t^2)`` of a DAE (:func:`first_order_theory`).

    Attributes
    ----------
    kurtosis_term : numpy.ndarray
        ``w = (1/6) kappa_ijkl d_jkl mu / mu``, shape ``(d, *grid.shape)`` (0 outside the
        resolved region): ``v_t - v_t^Gauss = t w + o(t)``.
    slope : numpy.ndarray
        ``g = grad(Lap mu / (2 mu)) + w``, the ``t``-derivative of ``v_t`` at ``t = 0``.
    departure_coefficient : float
        ``||w||_mu / ||grad log mu||_mu``: the relative departure from the Gaussian DAE is
        this times ``t`` at small ``t``.
    order_slope : float
        ``beta`` in ``a*(t) = 1 + beta t + O(t^2)``: the coefficient of ``log mu grad log mu``
        (the derivative in ``a`` of the order-``a`` direction at ``a = 1``) when ``g`` is
        projected on it and the score.
    improvement : float
        ``r(a*) / r(1)`` as ``t -> 0``: the share of the ``O(t)`` departure from the score that
        the best order explains away (0: an order-``a`` velocity to first order, 1: none).
    """

    kurtosis_term: np.ndarray
    slope: np.ndarray
    departure_coefficient: float
    order_slope: float
    improvement: float


def _third_derivatives(
    values: np.ndarray, grid: Grid, acc: int
) -> dict[tuple[int, ...], np.ndarray]:
    """``d_ijk f`` for ``i <= j <= k`` by nested differences of order ``acc``."""
    h = grid.spacing
    first = [stencils.derivative(values, i, h[i], acc) for i in range(grid.ndim)]
    second = {
        (i, j): stencils.derivative(first[i], j, h[j], acc)
        for i in range(grid.ndim) for j in range(i, grid.ndim)
    }
    return {
        (i, j, k): stencils.derivative(second[(i, j)], k, h[k], acc)
        for (i, j) in second for k in range(j, grid.ndim)
    }


def first_order_theory(
    rho: Density, noise: NoiseLike, threshold: float = 1e-3, acc: int = 8
) -> FirstOrderTheory:
    """The first-order (in ``t``) velocity of a DAE and the order it predicts.

    Expanding the posterior mean of eq. (4) in the cumulants of the standardised noise gives
    (derivation in :doc:`/theory/lyapunov`)::

        v_t = grad log(W_t * mu) + t w + O(t^2),   w_i = (1/6) kappa_ijkl d_jkl mu / mu,

    and ``grad log(W_t * mu) = grad log mu + t grad(Lap mu / (2 mu)) + O(t^2)``.  Derivatives
    of ``mu`` by differences of order ``acc`` (:mod:`wgflow.stencils`).

    Raises
    ------
    WgflowError
        For a law whose fourth cumulant is infinite (Student-t with ``dof <= 4``): its departure
        from the Gaussian DAE is not ``O(t)``.
    """
    comparison = _Comparison(rho, threshold, acc)
    return _first_order(comparison, resolve_noise(noise), acc)


def _first_order(comparison: _Comparison, law: NoiseLaw, acc: int) -> FirstOrderTheory:
    rho = comparison.rho
    grid = rho.grid
    d = grid.ndim
    law.check_standardised(d)
    kappa = law.fourth_cumulant(d)
    if not np.isfinite(kappa).all():
        raise WgflowError(
            f"the noise law {law.name!r} has an infinite fourth cumulant in {d}-D: its DAE "
            "departs from the Gaussian one more slowly than O(t); accepted: a law with a "
            "finite fourth moment"
        )
    mu = rho.values / rho.mass
    third = _third_derivatives(mu, grid, acc)
    region = comparison.region
    safe = np.where(region, mu, 1.0)

    def d3(j: int, k: int, m: int) -> np.ndarray:
        return third[tuple(sorted((j, k, m)))]

    w = np.zeros((d, *grid.shape))
    lap_grad = np.zeros((d, *grid.shape))
    for i in range(d):
        for j in range(d):
            lap_grad[i] += d3(i, j, j)
            for k in range(d):
                for m in range(d):
                    if kappa[i, j, k, m] != 0.0:
                        w[i] += kappa[i, j, k, m] * d3(j, k, m)
    w = np.where(region, w / (6.0 * safe), 0.0)
    lap = stencils.laplacian(mu, grid.spacing, acc)
    s_full = score(rho, acc)
    # grad(Lap mu / (2 mu)) = (grad Lap mu - Lap mu grad log mu) / (2 mu)
    gauss = np.where(region, (lap_grad - lap * s_full) / (2.0 * safe), 0.0)
    g = gauss + w
    s, gr, wr = comparison.score, comparison.restrict(g), comparison.restrict(w)
    u = np.log(comparison.scaled) * s  # d/da of mu^(a-1) grad log mu at a = 1
    gram = np.array([[comparison.dot(p, q) for q in (s, u)] for p in (s, u)])
    gamma, beta = np.linalg.solve(gram, [comparison.dot(gr, s), comparison.dot(gr, u)])
    best = comparison.norm(gr - gamma * s - beta * u)
    shannon = comparison.norm(gr - comparison.dot(gr, s) / comparison.dot(s, s) * s)
    return FirstOrderTheory(
        kurtosis_term=w,
        slope=g,
        departure_coefficient=comparison.norm(wr) / comparison.norm(s),
        order_slope=float(beta),
        improvement=best / shannon if shannon > 0 else 0.0,
    )


# ----------------------------------------------------------------------------------------------
# the analysis
# ----------------------------------------------------------------------------------------------
def _check_ts(ts: Sequence[float]) -> np.ndarray:
    try:
        arr = np.asarray(ts, dtype=float)
    except (TypeError, ValueError):
        arr = np.array([])
    if isinstance(ts, str) or arr.ndim != 1 or arr.size < 2:
        raise WgflowError(
            f"ts must be a 1-D sequence of at least two noise variances > 0 (for the slopes in "
            f"t), got {ts!r}"
        )
    for i, t in enumerate(arr):
        check_noise_time(float(t), f"ts[{i}]")
    if not (np.diff(arr) > 0).all():
        raise WgflowError(f"ts must be strictly increasing, got {arr.tolist()}")
    return arr


def _check_orders(orders: Sequence[float]) -> tuple[float, ...]:
    try:
        values = [float(a) for a in orders]
    except (TypeError, ValueError) as exc:
        raise WgflowError(f"orders must be a sequence of numbers > 0, got {orders!r}") from exc
    for i, a in enumerate(values):
        check_order(f"orders[{i}] (a candidate order of the entropy)", a)
    return tuple(values)


def _coarsen(rho: Density) -> Density:
    """The data on the grid with half the cells per axis, by local cubic interpolation of the
    values (fourth order), normalised to mass 1."""
    grid = rho.grid
    if any(n % 2 or n < 16 for n in grid.shape):
        raise WgflowError(
            f"the coarse grid halves the cells of rho's grid {grid.shape}; accepted: an even "
            "number >= 16 of cells per axis, or pass coarse= (the data on a second grid)"
        )
    coarse = Grid(grid.bounds, tuple(n // 2 for n in grid.shape))
    values = stencils.LocalCubic(grid, coarse.points)(rho.values).reshape(coarse.shape)
    return Density(coarse, np.maximum(values, 0.0)).normalized()


def _loglog_slope(ts: np.ndarray, values: np.ndarray) -> float | None:
    """Least-squares slope of ``log values`` against ``log ts``; None unless every value is
    positive (the departure of the Gaussian law from itself is 0)."""
    if not (values > 0).all():
        return None
    return float(np.polyfit(np.log(ts), np.log(values), 1)[0])


@dataclass(frozen=True)
class DescentAnalysis:
    """What :func:`descent_analysis` measures, one entry per noise variance ``t``.

    Attributes
    ----------
    noise : str
        The law's name.
    dimension : int
    excess_kurtosis : float
        Of a coordinate of the standardised law (:meth:`wgflow.dae.NoiseLaw.excess_kurtosis`).
    ts : numpy.ndarray
        The noise variances.
    order, order_coarse : numpy.ndarray
        The best order ``a*(t)`` on the grid of ``rho`` and on the coarse grid.
    order_interval : numpy.ndarray
        Shape ``(len(ts), 2)``: ``a* -+ |a* - a*_coarse|``, the two-grid confidence interval.
    order_width : numpy.ndarray
        Half-width of the orders within 10% of the best residual (:class:`OrderFit`).
    order_curvature : numpy.ndarray
        ``(1/2) d^2 r^2 / da^2`` at ``a*``.
    order_at_bound : numpy.ndarray
        True where ``a*`` is at an end of :data:`ORDER_RANGE`.
    residual : numpy.ndarray
        ``r(a*)``.
    candidates : dict of str to numpy.ndarray
        ``r(a)`` of each candidate: ``"shannon"`` (a = 1) and ``"order:a"``.
    departure : numpy.ndarray
        ``||v_t - v_t^Gauss||_mu / ||v_t^Gauss||_mu``, the relative departure from the Gaussian
        DAE at the same ``t``.
    departure_slope : float or None
        Its least-squares log-log slope in ``t`` over ``ts`` (None for the Gaussian law, whose
        departure is 0).
    score_error : numpy.ndarray
        ``||v_t - grad log mu||_mu / ||grad log mu||_mu`` (Theorem 2.3: ``-> 0``).
    score_error_slope : float or None
        Its log-log slope in ``t`` over ``ts`` (None if the velocity is the score at some
        ``t``).
    order_limit : float
        ``a*(0)`` extrapolated linearly from the two smallest ``t``
        (``a*(t) = a0 + a1 t + O(t^2)``).
    theory : FirstOrderTheory or None
        The first-order predictions (None for an infinite fourth cumulant).
    threshold, acc : float, int
        The resolved region's rule (:func:`resolved_region`).
    shapes : tuple
        The grid shapes (fine, coarse).
    """

    noise: str
    dimension: int
    excess_kurtosis: float
    ts: np.ndarray
    order: np.ndarray
    order_coarse: np.ndarray
    order_interval: np.ndarray
    order_width: np.ndarray
    order_curvature: np.ndarray
    order_at_bound: np.ndarray
    residual: np.ndarray
    candidates: dict[str, np.ndarray]
    departure: np.ndarray
    departure_slope: float | None
    score_error: np.ndarray
    score_error_slope: float | None
    order_limit: float
    theory: FirstOrderTheory | None
    threshold: float
    acc: int
    shapes: tuple[tuple[int, ...], tuple[int, ...]] = field(default=((), ()))

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready summary (lists and floats; the theory's scalars, not its fields)."""

        def clean(x: Any) -> Any:  # JSON: lists, and "inf" for infinities
            if isinstance(x, np.ndarray):
                return clean(x.tolist())
            if isinstance(x, list):
                return [clean(v) for v in x]
            if isinstance(x, dict):
                return {k: clean(v) for k, v in x.items()}
            if isinstance(x, float) and not math.isfinite(x):
                return str(x)
            return x

        out = {
            name: clean(getattr(self, name))
            for name in (
                "noise", "dimension", "excess_kurtosis", "ts", "order", "order_coarse",
                "order_interval", "order_width", "order_curvature", "order_at_bound",
                "residual", "candidates", "departure", "departure_slope", "score_error",
                "score_error_slope", "order_limit", "threshold", "acc",
            )
        }
        out["shapes"] = [list(s) for s in self.shapes]
        if self.theory is not None:
            out["theory"] = {
                "departure_coefficient": self.theory.departure_coefficient,
                "order_slope": self.theory.order_slope,
                "improvement": self.theory.improvement,
            }
        return out


def descent_analysis(
    rho: Density,
    noise: NoiseLike,
    ts: Sequence[float],
    orders: Sequence[float] = (0.5, 2.0, 3.0),
    coarse: Density | None = None,
    threshold: float = 1e-3,
    acc: int = 8,
    quadrature: str = "auto",
) -> DescentAnalysis:
    """Which entropy the DAE of ``rho`` with noise ``noise`` descends, at each ``t`` of ``ts``.

    For each noise variance ``t`` the DAE velocity ``v_t = (Phi_t - x) / t`` (eq. 4,
    :func:`wgflow.dae.dae_velocity`) is compared, on the resolved region
    (:func:`resolved_region`) with the weight ``mu``, with

    * the descent velocities of the candidate entropies: Shannon (``grad log mu``) and the
      order-``a`` entropies of ``orders`` (``a mu^(a-2) grad mu``, Tsallis and Rényi alike),
      each with its best amplitude (:func:`order_residual`);
    * the best order ``a*(t)`` over all ``a > 0`` (:func:`fit_order`), on the grid of ``rho``
      and on a coarser grid (``coarse``, by default half the cells per axis): their difference
      is the confidence interval, beside the sharpness of the minimum;
    * the Gaussian DAE at the same ``t`` (the departure of the law from it) and the score
      (Theorem 2.3), with their log-log slopes in ``t``;
    * the first-order predictions of :func:`first_order_theory`.

    Parameters
    ----------
    rho : Density
        The data ``mu`` (any mass; best standardised, so that ``t`` is in its units:
        :func:`standard_density`).
    noise : str, NoiseLaw or callable
        The noise law (:func:`wgflow.dae.resolve_noise`); it must be standardised with a finite
        variance (checked).
    ts : sequence of float
        At least two strictly increasing noise variances ``> 0``.
    orders : sequence of float
        The candidate orders ``a > 0`` besides Shannon.
    coarse : Density, optional
        The same data on a second (coarser) grid for the confidence interval; by default the
        data interpolated (local cubics) onto the grid with half the cells per axis.
    threshold, acc : float, int
        The resolved region and the order of the differences (default 1e-3, 8).
    quadrature : str
        Of the convolutions (:func:`wgflow.dae.dae_map`).

    Returns
    -------
    DescentAnalysis

    Raises
    ------
    WgflowError
        For a law that is not standardised or has an infinite variance, bad ``ts``, an order
        ``<= 0``, a density with no mass or no resolved cell.

    Examples
    --------
    >>> import wgflow as wg
    >>> grid = wg.Grid([(-6, 6)], 512)
    >>> rho = standard_density("gaussian", grid)
    >>> res = descent_analysis(rho, "laplace", [0.001, 0.002])
    >>> [round(float(a), 3) for a in res.order]       # a*(t) = 1 - kappa t / 3 = 1 - t
    [0.999, 0.998]
    """
    return descent_analyses(rho, [noise], ts, orders, coarse, threshold, acc, quadrature)[0]


def descent_analyses(
    rho: Density,
    noises: Sequence[NoiseLike],
    ts: Sequence[float],
    orders: Sequence[float] = (0.5, 2.0, 3.0),
    coarse: Density | None = None,
    threshold: float = 1e-3,
    acc: int = 8,
    quadrature: str = "auto",
) -> list[DescentAnalysis]:
    """:func:`descent_analysis` for several noise laws on the same data, in order, computing
    the Gaussian DAE (the reference of the departures) once per ``t``.

    Pass :class:`~wgflow.dae.NoiseLaw` instances rather than names to reuse the convolutions'
    cached weight matrices across calls on the same grid.
    """
    rho = check_density("rho", rho)
    if isinstance(noises, (str, NoiseLaw)) or callable(noises):
        raise WgflowError(
            f"noises must be a sequence of noise laws, got {noises!r}; for one law use "
            "descent_analysis"
        )
    laws = [resolve_noise(noise) for noise in noises]
    d = rho.grid.ndim
    for law in laws:
        law.check_standardised(d)
    times = _check_ts(ts)
    candidate_orders = _check_orders(orders)
    coarse = _coarsen(rho) if coarse is None else check_density("coarse", coarse)
    if coarse.grid.ndim != d:
        raise WgflowError(
            f"coarse must live in {d} dimensions like rho, got a {coarse.grid.ndim}-D grid"
        )
    fine_cmp = _Comparison(rho, threshold, acc)
    coarse_cmp = _Comparison(coarse, threshold, acc)
    directions = {"shannon": fine_cmp.score}
    directions.update({f"order:{a:g}": fine_cmp.direction(a) for a in candidate_orders})
    gaussian = next((law for law in laws if isinstance(law, GaussianNoise)), _GAUSSIAN)
    references = [
        fine_cmp.restrict(dae_velocity(rho, float(t), gaussian, quadrature)) for t in times
    ]
    return [
        _analyse(fine_cmp, coarse_cmp, law, times, directions, references, quadrature, acc)
        for law in laws
    ]


def _analyse(
    fine: _Comparison,
    coarse: _Comparison,
    law: NoiseLaw,
    times: np.ndarray,
    directions: dict[str, np.ndarray],
    references: list[np.ndarray],
    quadrature: str,
    acc: int,
) -> DescentAnalysis:
    """One law of :func:`descent_analyses`."""
    fits, coarse_fits, departure, score_error = [], [], [], []
    candidates: dict[str, list[float]] = {name: [] for name in directions}
    for t, v_gauss in zip(times, references):
        v = (
            v_gauss if isinstance(law, GaussianNoise)
            else fine.restrict(dae_velocity(fine.rho, float(t), law, quadrature))
        )
        fits.append(fine.fit(v))
        coarse_fits.append(coarse.fit(
            coarse.restrict(dae_velocity(coarse.rho, float(t), law, quadrature))
        ))
        for name, u in directions.items():
            candidates[name].append(fine.residual(v, u)[0])
        departure.append(fine.relative_distance(v, v_gauss))
        score_error.append(fine.relative_distance(v, fine.score))
    order = np.array([f.order for f in fits])
    order_coarse = np.array([f.order for f in coarse_fits])
    spread = np.abs(order - order_coarse)
    d = fine.rho.grid.ndim
    finite = bool(np.isfinite(law.fourth_cumulant(d)).all())
    t1, t2 = times[0], times[1]
    return DescentAnalysis(
        noise=law.name,
        dimension=d,
        excess_kurtosis=law.excess_kurtosis(d),
        ts=times,
        order=order,
        order_coarse=order_coarse,
        order_interval=np.stack([order - spread, order + spread], axis=1),
        order_width=np.array([f.width for f in fits]),
        order_curvature=np.array([f.curvature for f in fits]),
        order_at_bound=np.array([f.at_bound for f in fits]),
        residual=np.array([f.residual for f in fits]),
        candidates={name: np.array(values) for name, values in candidates.items()},
        departure=np.array(departure),
        departure_slope=_loglog_slope(times, np.array(departure)),
        score_error=np.array(score_error),
        score_error_slope=_loglog_slope(times, np.array(score_error)),
        order_limit=float((t2 * order[0] - t1 * order[1]) / (t2 - t1)),
        theory=_first_order(fine, law, acc) if finite else None,
        threshold=float(fine.threshold),
        acc=int(acc),
        shapes=(fine.rho.grid.shape, coarse.rho.grid.shape),
    )


# ----------------------------------------------------------------------------------------------
# monotonicity along compositions
# ----------------------------------------------------------------------------------------------
def monotonicity_table(
    rho: Density,
    noises: Sequence[NoiseLike],
    taus: Sequence[float],
    orders: Sequence[float] = (0.5, 2.0, 3.0),
    quadrature: str = "auto",
    scheme: str = "auto",
) -> list[dict[str, Any]]:
    """Whether the entropies decrease at every layer of a composition of DAEs, per noise law.

    For each law, :func:`wgflow.dae.compose` (section 3.1) runs the layers ``taus`` from
    ``rho`` and records the Shannon entropy and the Rényi entropy of each order of ``orders``
    (for densities of one mass the Tsallis entropy of an order rises and falls with the Rényi
    entropy of that order: one column per order).

    Returns
    -------
    list of dict
        One row per law: ``"noise"``, ``"layers"``, and for ``"shannon"`` and each
        ``"order:a"`` a dict with ``"decreasing"`` (True when the entropy decreases at every
        layer), ``"largest_increase"`` (:func:`wgflow.trackers.largest_increase`, 0 when it
        decreases), ``"first_increase"`` (the first layer at which it does not decrease, or
        None) and ``"values"`` (the entropy after each layer, the input first).
    """
    rho = check_density("rho", rho)
    orders = _check_orders(orders)
    names = ["shannon"] + [f"renyi:{a:g}" for a in orders]
    table = []
    for noise in noises:
        law = resolve_noise(noise)
        law.check_standardised(rho.grid.ndim)
        result = compose(rho, taus, law, quadrature, scheme, track=names)
        row: dict[str, Any] = {"noise": law.name, "layers": len(result.times) - 1}
        for name in names:
            values = np.asarray(result.tracked[name], dtype=float)
            steps = np.diff(values)
            rising = np.flatnonzero(steps >= 0)
            key = name if name == "shannon" else f"order:{name.split(':')[1]}"
            row[key] = {
                "decreasing": bool(rising.size == 0),
                "largest_increase": largest_increase(values.tolist()),
                "first_increase": int(rising[0]) if rising.size else None,
                "values": values.tolist(),
            }
        table.append(row)
    return table
