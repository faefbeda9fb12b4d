r"""The quadratic Wasserstein distance ``W2`` between two densities on one grid.

This module computes ``W2``; :func:`wgflow.transport.wasserstein2` is the public entry (it
brings the Gibbs kernel, checks the densities and records nothing else), and the ``"w2"``
tracker (:mod:`wgflow.trackers`) calls it.  Which density the cell values define is a choice,
made here so that a shift of a fraction of a cell costs that fraction, never ``sqrt(shift h)``
as it does for point masses at the cell centres:

* **1-D: the piecewise-constant density** (each cell's mass spread evenly over the cell),
  exactly (:func:`piecewise_constant_w2`).  Its quantile function is piecewise linear, and
  ``W2^2 = int_0^1 (Q_a(t) - Q_b(t))^2 dt`` is a sum of closed forms over the merged
  breakpoints.
* **2-D and 3-D: the smooth density that the cell values sample**
  (:func:`sinkhorn_w2`).  A smooth density ``rho`` sampled at the cell centres has the mean
  and covariance of ``rho`` up to terms like ``exp(-2 pi^2 s^2 / h^2)`` (``s`` its width:
  the midpoint rule is spectrally accurate), while the piecewise-constant density adds
  ``h^2 / 12`` to every variance.  So two Gaussians sampled on the grid are at their Bures
  distance, which is what a flow's exact solution is compared with, and a translate by whole
  cells is at exactly the shift.  The algorithm sees only point masses at the cell centres,
  but through a Gibbs kernel of variance ``eps / 2 >= h^2``: sums of such Gaussians over the
  cells equal integrals of the smooth density up to ``exp(-pi^2 eps / h^2)`` (``5e-5`` at
  ``eps = h^2``, ``3e-9`` at ``2 h^2``), so the point masses act as that smooth density.
  The two choices differ by ``O(h^2 / s^2)`` relative for densities of width ``s``.

The 2-D/3-D algorithm: the debiased Sinkhorn divergence of Feydy et al. (2019),

.. math:: S_\varepsilon(a, b) = \mathrm{OT}_\varepsilon(a, b)
          - \tfrac12 \mathrm{OT}_\varepsilon(a, a) - \tfrac12 \mathrm{OT}_\varepsilon(b, b),
          \qquad
          \mathrm{OT}_\varepsilon(a, b) = \max_{f, g}\; \langle a, f\rangle + \langle b, g\rangle
          - \varepsilon \langle a \otimes b, e^{(f \oplus g - C) / \varepsilon} - 1\rangle,

with ``C = |x - y|^2``, is ``|m_a - m_b|^2`` exactly for two translates (for any ``eps``) and
``W2^2 + c_2 eps^2 + O(eps^3)`` for smooth densities (Chizat et al. 2020; the closed form for
Gaussians of Janati et al. 2020 gives ``c_2 = -(1/s_a - 1/s_b)^2 / 32`` in 1-D, ``s`` the
standard deviations).  It is computed for ``eps = eps_0, eps_0 / 2, eps_0 / 4, ...``
(epsilon-scaling: each blur starts from the potentials of the one before; ``eps_0`` is
:data:`FIRST_BLUR` times ``E|X - Y|^2``), down to at most ``min_blur * h_max^2``, and
extrapolated (Richardson): ``R_k = (4 S_{eps_k} - S_{eps_{k-1}}) / 3 = W2^2 + O(eps_k^3)``.
The error of ``sqrt(R_k)`` is estimated by ``|sqrt(R_k) - sqrt(R_{k-1})|``: in the
asymptotic regime the earlier value errs 8 or more times as much, so this overestimates
(measured 3 to 15 times on Gaussians).  The blurs stop when the estimate meets
``rtol * W2 + atol`` twice in a row (or once, at half the one before) and the last
divergences decay as the extrapolation assumes (:func:`_asymptotic`); at the smallest blur
the value is returned if its estimate (there also at least the last change of
``sqrt(S_eps)``) meets the target, else a :class:`~wgflow.errors.WgflowError` says it is not
resolved (or, with ``strict=False``, a :class:`~wgflow.errors.ConvergenceWarning`).  For the
Gaussians of the benchmark the last blur is 16-64 ``h^2`` on a 128^2 grid, after four blurs,
and every kernel product runs in the exp domain.

Each ``OT_eps`` is solved by Sinkhorn's iteration on the dual potentials,
``f = -eps log K_eps (b e^{g / eps})`` and ``g = -eps log K_eps (a e^{f / eps})`` with
``K_eps = e^{-C / eps}`` (the grid's separable Gibbs kernel with ``gamma = eps``), over-relaxed
(``f <- f + omega (T f - f)``, Thibault et al. 2017) with ``omega = 2 / (1 + sqrt(1 -
kappa))``, ``kappa`` the contraction measured by the first :data:`PLAIN_ITERATIONS`
iterations of a blur or predicted from the blur before (``1 - kappa`` is proportional to
``eps`` once ``kappa >= 1/2``), whichever is larger (measured: 28% fewer kernel products on
the benchmark's Gaussians, 46% on narrower ones); the symmetric problems use the averaged
update ``p <- (p + T p) / 2``.  A blur's iterations stop when the plan's marginals are within
``1e-3 rtol`` in L1; the dual value then errs by a term quadratic in that error, about
``E|X - Y|^2 (1e-3 rtol)^2``.  Kernel products run in the exp domain, shifted by the largest
exponent, wherever every product that matters stays above :data:`EXP_FLOOR`, else in the log
domain (far-apart or narrow densities at the smallest blurs).

References: J. Feydy, T. Séjourné, F.-X. Vialard, S. Amari, A. Trouvé, G. Peyré,
*Interpolating between optimal transport and MMD using Sinkhorn divergences*, AISTATS 2019;
L. Chizat, P. Roussillon, F. Léger, F.-X. Vialard, G. Peyré, *Faster Wasserstein distance
estimation with the Sinkhorn divergence*, NeurIPS 2020; H. Janati, B. Muzellec, G. Peyré,
M. Cuturi, *Entropic optimal transport between unbalanced Gaussian measures has a closed
form*, NeurIPS 2020; A. Thibault, L. Chizat, C. Dossal, N. Papadakis, *Overrelaxed
Sinkhorn-Knopp algorithm for regularized optimal transport*, 2017.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np

from .errors import (
    ConvergenceWarning,
    WgflowError,
    check_bool,
    check_finite_nonnegative,
    check_integer,
    check_positive,
)
from .grid import Grid

#: Smallest exp-domain kernel product (after shifting by the largest exponent) trusted on the
#: cells whose potential it gives; below it the product is redone in the log domain.  Every
#: term lost to underflow is below ``5e-324``, so the products kept err by less than
#: ``1e-60`` relative.
EXP_FLOOR = 1e-250

#: Ratio of successive blurs ``eps``.
BLUR_RATIO = 0.5

#: The first blur as a fraction of ``E|X - Y|^2`` for independent ``X ~ a``, ``Y ~ b`` (the
#: scale of the transport).  Measured on the Gaussians of the benchmark: 1/4 takes fewer
#: sweeps than 1 (the first levels' products are dense) or 1/16 (potentials from zero at a
#: small blur span too wide a range for the exp domain).
FIRST_BLUR = 0.25

#: Fewest blurs solved: two error estimates of the extrapolation need four divergences.
MIN_LEVELS = 4

#: Largest ratio of successive differences of the divergences (``d_k / d_{k-1}``) for which
#: the extrapolation's error estimate is trusted: ``1/4`` where ``S_eps - W2^2 ~ eps^2``,
#: ``1/2`` where it is ``~ eps`` (:func:`_asymptotic`).
MAX_DECAY = 0.5

#: Plain Sinkhorn iterations at the start of a level, which measure its contraction.
PLAIN_ITERATIONS = 4

#: Largest over-relaxation factor.
MAX_OMEGA = 1.9

#: Step of the symmetric iteration ``p <- p + theta (T p - p)`` (Feydy et al. 2019).  The
#: linearised ``T`` has its spectrum in ``[-1, 0]``, ``-1`` for constants and near it for the
#: smooth modes that a change of blur leaves; ``theta = 1 / 2`` maps those to 0 and the rest
#: into ``[0, 1/2]`` (measured: fewer iterations than 0.6, 2/3 or 3/4; 1 does not converge).
SYMMETRIC_STEP = 0.5


class GibbsKernel(Protocol):
    """What the Sinkhorn iterations need of a kernel ``K_ij = exp(-|x_i - x_j|^2 / eps)``."""

    def apply(self, x: np.ndarray) -> np.ndarray:
        """``K x`` for an array of the grid's shape."""
        ...

    def log_apply(self, log_x: np.ndarray) -> np.ndarray:
        """``log(K exp(log_x))`` (``-inf`` entries are zeros of ``exp(log_x)``)."""
        ...


#: Builds the kernel of a grid and a blur ``eps`` (``gamma = eps``), for example
#: :class:`wgflow.transport.SeparableGibbsKernel`.
KernelFactory = Callable[[Grid, float], GibbsKernel]


@dataclass(frozen=True)
class W2Result:
    """``W2`` between two grid densities and how it was obtained.

    Attributes
    ----------
    value : float
        ``W2``.
    error : float
        Estimated error of ``value`` (0 in 1-D, where the value is exact up to round-off).
    resolved : bool
        Whether ``error <= rtol value + atol`` (always, unless ``strict=False``).
    blurs, divergences : tuple of float
        The blurs ``eps`` solved, largest first, and the debiased divergences ``S_eps``
        (squared length) there; empty in 1-D and for equal densities.
    sweeps : int
        Kernel products, all problems and blurs together.
    log_sweeps : int
        Those among them done in the log domain.
    """

    value: float
    error: float
    resolved: bool = True
    blurs: tuple[float, ...] = ()
    divergences: tuple[float, ...] = ()
    sweeps: int = 0
    log_sweeps: int = 0


def grid_wasserstein2(
    grid: Grid,
    a: np.ndarray,
    b: np.ndarray,
    kernel: KernelFactory,
    *,
    rtol: float = 1e-3,
    atol: float | None = None,
    min_blur: float = 2.0,
    max_iterations: int = 10_000,
    strict: bool = True,
) -> W2Result:
    """``W2`` between the densities with cell masses ``a`` and ``b`` (each normalised to 1).

    1-D: :func:`piecewise_constant_w2` (exact); 2-D and 3-D: :func:`sinkhorn_w2`.  The
    options apply to the latter and are checked in any dimension.

    Parameters
    ----------
    grid : Grid
        The grid of both densities.
    a, b : ndarray
        Cell masses (or values), of shape ``grid.shape``, finite, non-negative, with a
        positive sum.
    kernel : callable
        ``kernel(grid, eps)`` builds the Gibbs kernel (:data:`KernelFactory`).
    rtol : float
        Target relative accuracy of ``W2``, in ``(0, 0.1]``.
    atol : float, optional
        Target absolute accuracy (length); default ``1e-3 rtol`` times the root-mean-square
        distance ``sqrt(E|X - Y|^2)`` between independent samples of the two densities.  The
        estimated error meets ``error <= rtol W2 + atol``.
    min_blur : float
        Smallest blur ``eps`` in units of the squared largest spacing, ``>= 1``: below
        ``eps = h^2`` the kernel no longer smooths the point masses into a density.
    max_iterations : int
        Largest number of Sinkhorn iterations of one problem at one blur.
    strict : bool
        Raise when the target accuracy is not reached at the smallest blur (default); with
        ``False`` return the value with ``resolved=False`` and its error estimate, and warn
        (:class:`~wgflow.errors.ConvergenceWarning`).

    Raises
    ------
    WgflowError
        For bad input (named); when the target accuracy is not reached at the smallest blur
        (densities with features of a few cells, or jumps) and ``strict``; when a blur's
        iteration does not converge within ``max_iterations``.  Never a NaN.
    """
    a = np.asarray(a, dtype=float)
    b = np.asarray(b, dtype=float)
    for name, masses in (("first", a), ("second", b)):
        if masses.shape != grid.shape:
            raise WgflowError(
                f"the {name} density's masses have shape {masses.shape}, the grid {grid.shape}"
            )
        check_finite_nonnegative(f"the {name} density's masses", masses)
        if not masses.sum() > 0.0:
            raise WgflowError(
                f"W2 is defined between densities of positive mass; the {name} one has zero mass"
            )
    rtol = check_positive("rtol", rtol)
    if rtol > 0.1:
        raise WgflowError(f"rtol must be a number in (0, 0.1], got {rtol!r}")
    if atol is not None:
        atol = check_positive("atol", atol)
    min_blur = check_positive("min_blur", min_blur)
    if min_blur < 1.0:
        raise WgflowError(
            "min_blur must be a number >= 1 (a blur eps >= h^2 still smooths the cell masses "
            f"into a density), got {min_blur!r}"
        )
    max_iterations = check_integer("max_iterations", max_iterations)
    strict = check_bool("strict", strict)
    a, b = a / a.sum(), b / b.sum()
    if grid.ndim == 1:
        return W2Result(piecewise_constant_w2(grid, a, b), 0.0)
    return sinkhorn_w2(grid, a, b, kernel, rtol=rtol, atol=atol, min_blur=min_blur,
                       max_iterations=max_iterations, strict=strict)


def piecewise_constant_w2(grid: Grid, a: np.ndarray, b: np.ndarray) -> float:
    r"""``W2`` between the piecewise-constant densities of a 1-D grid's cell masses.

    A cell ``[e_i, e_i + h]`` of mass ``a_i`` holds the levels ``(A_{i-1}, A_i]`` of the
    cumulative masses, and there the quantile function is ``Q_a(t) = e_i + h (t - A_{i-1}) /
    a_i``.  Between consecutive breakpoints ``t_0 < t_1`` of both quantile functions the
    difference ``D = Q_a - Q_b`` is linear, so

    .. math:: W_2^2 = \int_0^1 (Q_a - Q_b)^2\,dt
              = \sum \frac{t_1 - t_0}{3}\,\big(D(t_0)^2 + D(t_0) D(t_1) + D(t_1)^2\big),

    with ``D(t_0), D(t_1)`` the limits inside the interval (cells of zero mass hold no
    levels).  Exact up to round-off; ``O(n log n)``.

    Parameters
    ----------
    grid : Grid
        A 1-D grid.
    a, b : ndarray
        Non-negative cell masses with positive sums (normalised here).
    """
    (lo, _), = grid.bounds
    h = grid.spacing[0]
    tops, bottoms = [], []
    for masses in (a, b):
        top = np.cumsum(masses)
        top /= top[-1]  # ends at 1 exactly and never exceeds it
        tops.append(top)
        bottoms.append(np.concatenate(([0.0], top[:-1])))
    breaks = np.union1d(np.concatenate(tops), 0.0)
    t0, t1 = breaks[:-1], breaks[1:]
    ends = []
    for top, bottom in zip(tops, bottoms):
        # the first cell with top >= t1 holds the levels (t0, t1]: bottom <= t0 < t1 <= top
        cell = np.searchsorted(top, t1)
        width = top[cell] - bottom[cell]  # > 0, but may be subnormal: divide, then scale
        left = lo + cell * h
        ends.append(tuple(
            left + h * np.clip((t - bottom[cell]) / width, 0.0, 1.0) for t in (t0, t1)
        ))
    d0 = ends[0][0] - ends[1][0]
    d1 = ends[0][1] - ends[1][1]
    value = float(np.sum((t1 - t0) * (d0 * d0 + d0 * d1 + d1 * d1)) / 3.0)
    return math.sqrt(max(value, 0.0))



class _Measure:
    """A density's masses, their logarithms (``-inf`` on vacuum) and support."""

    def __init__(self, masses: np.ndarray) -> None:
        self.masses = masses
        self.support = masses > 0
        with np.errstate(divide="ignore"):
            self.log = np.log(masses)

    def marginal_error(self, potential: np.ndarray, update: np.ndarray, eps: float) -> float:
        """L1 error of a plan's marginal on this measure: with ``potential`` the plan has the
        marginal ``masses exp((potential - update) / eps)``, ``update`` the Sinkhorn update."""
        with np.errstate(over="ignore"):
            excess = np.expm1((potential - update)[self.support] / eps)
        return float(np.sum(self.masses[self.support] * np.abs(excess)))


@dataclass
class _Divergence:
    """The debiased Sinkhorn divergence of two measures, blur after blur (warm starts).

    ``f, g`` are the potentials of ``OT_eps(a, b)``, ``p, q`` those of ``OT_eps(a, a)`` and
    ``OT_eps(b, b)``; ``kappa`` is the contraction of the last pair iteration.
    """

    grid: Grid
    a: _Measure
    b: _Measure
    kernel: KernelFactory
    tol: float
    max_iterations: int
    sweeps: int = 0
    log_sweeps: int = 0
    kappa: float = 0.0
    potentials: list[np.ndarray] = field(default_factory=list)

    def at(self, eps: float) -> float:
        """``S_eps(a, b)``, from the potentials of the previous blur."""
        if not self.potentials:
            self.potentials = [np.zeros(self.grid.shape) for _ in range(4)]
        f, g, p, q = self.potentials
        gibbs = self.kernel(self.grid, eps)
        f, g, value_ab = self._pair(gibbs, eps, f, g)
        p, value_aa = self._symmetric(gibbs, eps, self.a, p)
        q, value_bb = self._symmetric(gibbs, eps, self.b, q)
        self.potentials = [f, g, p, q]
        # in the asymptotic regime 1 - kappa is proportional to eps
        self.kappa = 1.0 - (1.0 - self.kappa) * BLUR_RATIO if self.kappa >= 0.5 else 0.0
        return value_ab - 0.5 * (value_aa + value_bb)

    def _softmin(self, gibbs: GibbsKernel, eps: float, exponent: np.ndarray,
                 support: np.ndarray) -> np.ndarray:
        """``-eps log(K exp(exponent))`` on ``support``, 0 elsewhere: in the exp domain after
        shifting by the largest exponent when every product on ``support`` is at least
        :data:`EXP_FLOOR`, else in the log domain."""
        self.sweeps += 1
        top = float(exponent.max())
        with np.errstate(under="ignore"):
            product = gibbs.apply(np.exp(exponent - top))
        if np.all(product[support] >= EXP_FLOOR):
            with np.errstate(divide="ignore"):
                log_product = np.log(product) + top
        else:
            self.log_sweeps += 1
            log_product = gibbs.log_apply(exponent)
        result = np.where(support, -eps * log_product, 0.0)
        if not np.all(np.isfinite(result)):
            raise WgflowError(f"the Sinkhorn iteration for W2 broke down at blur eps = {eps:.3g}")
        return result

    def _pair(self, gibbs: GibbsKernel, eps: float, f: np.ndarray,
              g: np.ndarray) -> tuple[np.ndarray, np.ndarray, float]:
        """Over-relaxed Sinkhorn iterations for ``OT_eps(a, b)`` from ``(f, g)``; the value
        ``<a, f> + <b, g>`` after a final plain update (the plan's mass is then 1)."""
        a, b = self.a, self.b
        errors: list[float] = []
        omega, rises, error_b = 1.0, 0, 0.0
        for iteration in range(self.max_iterations):
            update_f = self._softmin(gibbs, eps, b.log + g / eps, a.support)
            error = a.marginal_error(f, update_f, eps) + error_b
            if error <= self.tol:
                g = self._softmin(gibbs, eps, a.log + update_f / eps, b.support)
                return update_f, g, float(np.sum(a.masses * update_f) + np.sum(b.masses * g))
            errors.append(error)
            if iteration == PLAIN_ITERATIONS - 1:
                self.kappa = max(min(errors[-1] / errors[-2], 1.0), self.kappa)
                omega = min(2.0 / (1.0 + math.sqrt(1.0 - self.kappa)), MAX_OMEGA)
            elif iteration >= PLAIN_ITERATIONS and error > errors[-2]:
                rises += 1
                if rises >= 3:  # safeguard: the relaxation is too strong for this problem
                    omega, rises = 1.0 + 0.5 * (omega - 1.0), 0
            f = f + omega * (update_f - f)
            update_g = self._softmin(gibbs, eps, a.log + f / eps, b.support)
            # the plan (f, g) has the exact second marginal when omega = 1, not otherwise
            error_b = b.marginal_error(g, update_g, eps) if omega != 1.0 else 0.0
            g = g + omega * (update_g - g)
        raise WgflowError(
            f"the Sinkhorn iteration for W2 did not reach the marginal error {self.tol:.1e} in "
            f"{self.max_iterations} iterations at blur eps = {eps:.3g} (last error "
            f"{errors[-1]:.2e}); raise max_iterations or rtol"
        )

    def _symmetric(self, gibbs: GibbsKernel, eps: float, a: _Measure,
                   p: np.ndarray) -> tuple[np.ndarray, float]:
        """Averaged Sinkhorn iterations for ``OT_eps(a, a)``; the potential and the value
        ``<a, p + T p>`` (the plan of ``(p, T p)`` has mass 1)."""
        for _ in range(self.max_iterations):
            update = self._softmin(gibbs, eps, a.log + p / eps, a.support)
            if a.marginal_error(p, update, eps) <= self.tol:
                return p + SYMMETRIC_STEP * (update - p), float(np.sum(a.masses * (p + update)))
            p = p + SYMMETRIC_STEP * (update - p)
        raise WgflowError(
            f"the symmetric Sinkhorn iteration for W2 did not reach the marginal error "
            f"{self.tol:.1e} in {self.max_iterations} iterations at blur eps = {eps:.3g}; "
            "raise max_iterations or rtol"
        )


def _transport_scale(grid: Grid, a: np.ndarray, b: np.ndarray) -> float:
    """``E|X - Y|^2`` for independent ``X ~ a``, ``Y ~ b`` (point masses at the centres):
    the sum of both traces of the covariance and the squared distance of the means."""
    total = 0.0
    for x in grid.coordinates:
        mean_a, mean_b = float(np.sum(a * x)), float(np.sum(b * x))
        total += float(np.sum(a * (x - mean_a) ** 2) + np.sum(b * (x - mean_b) ** 2))
        total += (mean_a - mean_b) ** 2
    return total


def _blurs(scale: float, smallest: float) -> list[float]:
    """``smallest / BLUR_RATIO^k``, largest first, from about ``FIRST_BLUR * scale``."""
    levels = max(math.ceil(math.log(FIRST_BLUR * scale / smallest) / math.log(1 / BLUR_RATIO)),
                 MIN_LEVELS - 1) + 1
    return [smallest / BLUR_RATIO ** (levels - 1 - k) for k in range(levels)]


def _asymptotic(divergences: list[float], value: float, target: float) -> bool:
    """Whether the last divergences decay as the extrapolation assumes.

    Each of the last two differences ``d_k = S_k - S_{k-1}`` is at most
    :data:`MAX_DECAY` times the one before and of the same sign (``1/4`` for
    ``c eps^2``, ``1/2`` for ``c eps``; slower decay, or growth, as for blurs far above the
    densities' own scale or for kinks at a fraction of a cell, would make the error
    estimate too small), or negligible: below ``1e-2`` of ``2 W2 target``, the change of
    ``W2^2`` that the target allows.
    """
    differences = np.diff(divergences[-4:])
    negligible = 2e-2 * value * target
    for earlier, later in zip(differences[:-1], differences[1:]):
        if abs(later) > negligible and not (earlier != 0.0 and 0.0 <= later / earlier <= MAX_DECAY):
            return False
    return len(differences) == 3


def sinkhorn_divergence(
    grid: Grid,
    a: np.ndarray,
    b: np.ndarray,
    kernel: KernelFactory,
    eps: float,
    *,
    marginal_tol: float = 1e-9,
    max_iterations: int = 10_000,
) -> float:
    """The debiased Sinkhorn divergence ``S_eps(a, b)`` (squared length) between the point
    masses ``a``, ``b`` (normalised) at the cell centres, reached by epsilon-scaling from
    the first blur of :func:`sinkhorn_w2`; each blur's iterations stop at the L1 marginal
    error ``marginal_tol``."""
    eps = check_positive("eps", eps)
    divergence = _Divergence(grid, _Measure(a), _Measure(b), kernel,
                             check_positive("marginal_tol", marginal_tol),
                             check_integer("max_iterations", max_iterations))
    value = math.nan
    for blur in _blurs(_transport_scale(grid, a, b), eps):
        value = divergence.at(blur)
    return value


def sinkhorn_w2(
    grid: Grid,
    a: np.ndarray,
    b: np.ndarray,
    kernel: KernelFactory,
    *,
    rtol: float,
    atol: float | None,
    min_blur: float,
    max_iterations: int,
    strict: bool,
) -> W2Result:
    """``W2`` of the smooth densities sampled by the cell masses ``a``, ``b`` (normalised):
    the debiased Sinkhorn divergence with epsilon-scaling and Richardson extrapolation (see
    the module's docstring; options as in :func:`grid_wasserstein2`, whose defaults they
    take and which checks them)."""
    if np.array_equal(a, b):
        return W2Result(0.0, 0.0)
    scale = _transport_scale(grid, a, b)
    if atol is None:
        atol = 1e-3 * rtol * math.sqrt(scale)
    # the value errs by about scale * (marginal error)^2 (quadratic: a dual value), far
    # below rtol W2^2 unless W2 is below 1e-3 rtol sqrt(scale), the default atol
    divergence = _Divergence(grid, _Measure(a), _Measure(b), kernel, 1e-3 * rtol,
                             max_iterations)
    blurs = _blurs(scale, min_blur * max(grid.spacing) ** 2)
    r2 = BLUR_RATIO**2
    divergences: list[float] = []
    extrapolated: list[float] = []
    estimates: list[float] = []
    resolved = asymptotic = False
    for eps in blurs:
        divergences.append(divergence.at(eps))
        if len(divergences) >= 2:  # Richardson: S_eps = W2^2 + c eps^2 + O(eps^3)
            squared = (divergences[-1] - r2 * divergences[-2]) / (1.0 - r2)
            extrapolated.append(math.sqrt(max(squared, 0.0)))
        if len(extrapolated) >= 2:
            estimates.append(abs(extrapolated[-1] - extrapolated[-2]))
        if len(estimates) >= 2:
            target = rtol * extrapolated[-1] + atol
            asymptotic = _asymptotic(divergences, extrapolated[-1], target)
            resolved = asymptotic and estimates[-1] <= target
            if resolved and (estimates[-2] <= target or estimates[-1] <= 0.5 * estimates[-2]):
                break
    value, error = extrapolated[-1], estimates[-1]
    if not asymptotic:  # at the smallest blur: the last change of the divergence counts too
        last = abs(math.sqrt(max(divergences[-1], 0.0)) - math.sqrt(max(divergences[-2], 0.0)))
        error = max(error, last)
        resolved = error <= rtol * value + atol
    if not resolved:
        message = (
            f"W2 = {value:.6g} is not resolved to rtol = {rtol:g} (atol = {atol:.3g}) on this "
            f"grid: its estimated error at the smallest blur eps = {min_blur:g} h^2 is "
            f"{error:.3g}, as for densities with jumps or features of a few cells"
        )
        if strict:
            raise WgflowError(f"{message}; raise rtol or atol, or refine the grid")
        warnings.warn(message, ConvergenceWarning, stacklevel=3)
    return W2Result(
        value=value,
        error=error,
        resolved=resolved,
        blurs=tuple(blurs[: len(divergences)]),
        divergences=tuple(divergences),
        sweeps=divergence.sweeps,
        log_sweeps=divergence.log_sweeps,
    )
