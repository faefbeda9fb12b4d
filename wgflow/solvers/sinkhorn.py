"""Generalized Sinkhorn iterations for one entropic Wasserstein proximal (JKO) step.

Peyré (2015), "Entropic approximation of Wasserstein gradient flows": with cell masses
``a0 = mu_k``, cost ``C_ij = |x_i - x_j|^2``, Gibbs kernel ``K = exp(-C / gamma)`` and
``sigma = 2 dt / gamma``, the step

    min_q  F(q) + W_gamma(a0, q) / (2 dt),
    W_gamma(a0, q) = min { <C, P> + gamma sum P (log P - 1) : P 1 = a0, P^T 1 = q }

is solved by the scalings ``P = diag(a) K diag(b)``:

    a <- a0 / (K b),        b <- prox_{sigma F}^{KL}(K a) / (K a),

where ``prox_{sigma F}^{KL}(p) = argmin_q sigma F(q) + KL(q | p)`` comes from the
functional (:meth:`~wgflow.functionals.Functional.log_prox_ratio`).  The new masses are
``q = b * (K a)``; because ``a`` is updated last, ``sum q = sum a0`` to round-off
whatever the iteration count.

The iteration runs in the exp domain (two kernel products per sweep) and falls back to
the log domain (log-sum-exp along each axis; stable for any ``gamma`` and for vacuum)
as soon as a scaling under- or overflows.  The warm start is the previous step's ``b``.
Both updates are over-relaxed by a factor measured from the plain iteration's rate
(:class:`Overrelaxation`), with a safeguard that restores the best scalings; the stopping
rule is the same, and the last update of ``a`` is a plain one.

The arrays live on the kernel's :class:`~wgflow.backend.ArrayBackend` (numpy, jax, torch or
cupy, on its device) and every operation is one of POT's backend ``nx`` or of that class;
inside the loop only the scalars of the stopping rule, at its checks, come to the host.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..errors import StepFailure

if TYPE_CHECKING:
    from ..backend import ArrayBackend

#: An array of the run's backend (a numpy array on the numpy backend).
Array = Any
LogRatio = Callable[[Array], Array]

#: Largest over-relaxation factor (:class:`Overrelaxation`).
OMEGA_MAX = 1.9
#: Two rates of the plain iteration agree when their logarithms differ by at most this
#: fraction (:class:`Overrelaxation`).
RATE_AGREEMENT = 0.2
#: Fewest sweeps between the two checks that measure a rate (:class:`Overrelaxation`).
RATE_SPAN = 5
#: Sweeps without a new smallest error after which the over-relaxed iteration is abandoned
#: for the best scalings (:class:`Overrelaxation`).
PATIENCE = 25
#: After a restore, plain sweeps lower the error by this factor before over-relaxing again.
RETRY_DECREASE = 10.0


@dataclass
class ProximalStepResult:
    """Outcome of one proximal step.

    Attributes
    ----------
    masses : ndarray
        New cell masses ``q``.
    iterations : int
        Sinkhorn sweeps done.
    marginal_error : float
        ``sum |P 1 - a0| / sum a0`` at the last check (the stopping criterion).
    converged : bool
        Whether ``marginal_error <= tol``.
    log_domain : bool
        Whether the step ended in the log domain.
    log_b : ndarray
        ``log b`` at the end (the warm start of the next step).
    overrelaxation : float
        The over-relaxation factor at the end (1: plain sweeps).
    fell_back : bool
        Whether the over-relaxed iteration overshot and the plain one finished the solve.
    """

    masses: Array
    iterations: int
    marginal_error: float
    converged: bool
    log_domain: bool
    log_b: Array
    overrelaxation: float = 1.0
    fell_back: bool = False


class Overrelaxation:
    """The over-relaxation factor of the proximal solves, set from the measured rate.

    Sinkhorn's iteration is a block Gauss–Seidel iteration on the dual potentials
    ``(log a, log b)``; over-relaxing both updates,

        log a <- (1 - w) log a + w log(a0 / K b),
        log b <- (1 - w) log b + w log(prox(K a) / K a),

    turns a linear rate ``theta`` per sweep of the plain iteration (``w = 1``) into ``w - 1``
    at Young's optimal factor ``w = 2 / (1 + sqrt(1 - theta))`` (Thibault, Chizat, Dossal &
    Papadakis 2017; Lehmann, von Renesse, Sambale & Uschmajew 2021): measured on the anchor
    problem, a plain rate of 0.82 per sweep becomes 0.5 at ``w = 1.4`` (0.4 in theory).

    ``theta`` is measured from the decay of the marginal error between checks at least
    :data:`RATE_SPAN` sweeps apart: plain sweeps until two successive such rates agree within
    :data:`RATE_AGREEMENT` (the iteration has left its transient), then Young's factor for
    that rate.  The factor carries over to the next solve (one object per solver: the solves
    of a run have nearly the same rate).

    The marginal error of an over-relaxed iteration is not monotone: switching it on can
    raise it by many orders of magnitude for a few sweeps before it falls far below where
    it was.  The safeguard therefore keeps the scalings of the check with the smallest error
    and restores them when :data:`PATIENCE` sweeps have passed without improving on it, or when
    the scalings leave the floating-point range; the plain sweeps that follow converge, and
    the over-relaxation resumes, with at most half the excess factor ``w - 1`` that failed,
    once they have lowered the error by :data:`RETRY_DECREASE`.  :attr:`fallbacks` counts
    the restores.

    Parameters
    ----------
    enabled : bool
        False: plain sweeps only.

    Attributes
    ----------
    omega : float
        The factor of the next sweep.
    fell_back : bool
        Whether the current solve restored scalings at least once.
    fallbacks : int
        How many times scalings were restored, over all solves.
    """

    #: :meth:`observe`'s answers: keep the current scalings as the best ones, go on, or
    #: restore the best ones.
    SAVE, GO_ON, RESTORE = "save", "go on", "restore"

    def __init__(self, enabled: bool = True) -> None:
        self.enabled = enabled
        self.omega = 1.0
        self.fallbacks = 0
        self.start()

    def state(self) -> dict[str, float]:
        """What carries from solve to solve: the factor and the count of restores (the
        rest is reset by :meth:`start`)."""
        return {"omega": self.omega, "fallbacks": self.fallbacks}

    def restore(self, state: dict[str, float]) -> None:
        """Take back a :meth:`state`."""
        self.omega = float(state["omega"])
        self.fallbacks = int(state["fallbacks"])

    def start(self) -> None:
        """Begin a solve: no check seen yet."""
        self.fell_back = False
        self._best = math.inf
        self._last: tuple[float, int] | None = None
        self._last_rate = math.nan
        self._best_sweeps = 0
        self._cap = OMEGA_MAX
        self._retry_below = math.inf

    def observe(self, error: float, sweeps: int) -> str:
        """Take the marginal error after ``sweeps`` (NaN: the scalings left the range);
        answer :attr:`SAVE`, :attr:`GO_ON` or :attr:`RESTORE`."""
        last, self._last = self._last, (error, sweeps)
        if error < self._best:
            self._best, self._best_sweeps = error, sweeps
            answer = self.SAVE
        else:
            answer = self.GO_ON
        if not self.enabled:
            return answer
        stalled = sweeps - self._best_sweeps >= PATIENCE
        if self.omega > 1.0 and (stalled or not math.isfinite(error)):
            self._cap = 1.0 + (self.omega - 1.0) / 2.0
            self._retry_below = self._best / RETRY_DECREASE
            self.omega, self.fell_back, self._best_sweeps = 1.0, True, sweeps
            self._last, self._last_rate = None, math.nan
            self.fallbacks += 1
            return self.RESTORE
        if last is None or not 0.0 < error < last[0]:
            self._last_rate = math.nan
            return answer
        if sweeps - last[1] < RATE_SPAN:  # too close for a rate: keep the earlier check
            self._last = last
            return answer
        rate = (error / last[0]) ** (1.0 / (sweeps - last[1]))
        previous, self._last_rate = self._last_rate, rate
        if self.omega == 1.0:
            steady = abs(math.log(rate / previous)) <= RATE_AGREEMENT * -math.log(rate)
            if steady and error < self._retry_below:
                self.omega = min(self._cap, _optimal_factor(rate))
        return answer


def _optimal_factor(theta: float) -> float:
    """Young's factor ``2 / (1 + sqrt(1 - theta))`` for the plain rate ``theta``, at most
    :data:`OMEGA_MAX`."""
    return min(OMEGA_MAX, 2.0 / (1.0 + math.sqrt(max(1.0 - theta, 0.0))))


class _NeedsLogDomain(Exception):
    """Raised inside the exp-domain loop when a scaling leaves the floating-point range."""


def entropic_proximal_step(
    kernel,
    masses0: Array,
    log_prox_ratio: LogRatio,
    *,
    tol: float,
    max_iter: int,
    warm_log_b: Array | None = None,
    log_domain: bool = False,
    check_every: int = 5,
    overrelaxation: Overrelaxation | bool = True,
) -> ProximalStepResult:
    """Solve one entropic JKO step by generalized Sinkhorn scalings.

    Parameters
    ----------
    kernel : SeparableGibbsKernel or DenseGibbsKernel
        Provides ``apply`` (``K x``), ``log_apply`` (``log K exp(x)``) and ``backend`` (the
        :class:`~wgflow.backend.ArrayBackend` of the arrays).
    masses0 : array
        Cell masses ``a0`` of the current density (shape ``grid.shape``, on the kernel's
        backend).
    log_prox_ratio : callable
        Maps ``log p`` to ``log(prox(p) / p)`` for the weighted energy ``sigma F``.
    tol : float
        Stop when the relative L1 error of the first marginal is below ``tol``.
    max_iter : int
        Largest number of sweeps.
    warm_log_b : ndarray, optional
        Initial ``log b`` (default 0).
    log_domain : bool
        Start in the log domain instead of the exp domain.
    check_every : int
        Sweeps between two evaluations of the stopping criterion, after one evaluation per
        sweep for the first ``check_every`` sweeps.
    overrelaxation : Overrelaxation or bool
        Over-relax the sweeps: True (default) with a factor measured in this solve, an
        :class:`Overrelaxation` that carries the factor from solve to solve, or False for
        plain sweeps.  The stopping rule is the same, and the last update of ``a`` is a plain
        one, so the mass is kept.

    Raises
    ------
    StepFailure
        On a float32 backend, where the step needs the log domain (float64 only).
    """
    relaxation = (overrelaxation if isinstance(overrelaxation, Overrelaxation)
                  else Overrelaxation(bool(overrelaxation)))
    relaxation.start()
    nx = kernel.backend.nx
    if log_domain and kernel.backend.dtype != "float64":
        raise StepFailure("the log domain runs in float64 only; use dtype='float64'")
    log_b = nx.zeros(masses0.shape, type_as=masses0) if warm_log_b is None else warm_log_b
    if not log_domain:
        try:
            return _exp_domain(kernel, masses0, log_prox_ratio, log_b, tol, max_iter, check_every,
                               relaxation)
        except _NeedsLogDomain:
            if kernel.backend.dtype != "float64":
                raise StepFailure(
                    f"a scaling left the {kernel.backend.dtype} range: the step needs the log "
                    "domain, whose log-scalings of size |x - y|^2 / gamma lose their digits in "
                    "float32; use dtype='float64' (or a larger gamma)"
                ) from None
    relaxation.start()
    return _log_domain(kernel, masses0, log_prox_ratio, log_b, tol, max_iter, check_every,
                       relaxation)


def _is_check(iterations: int, check_every: int, max_iter: int) -> bool:
    """Whether the stopping criterion is evaluated after this sweep: after each of the first
    ``check_every`` sweeps (a warm-started solve often converges in one or two), then every
    ``check_every`` sweeps, and after the last."""
    return iterations <= check_every or iterations % check_every == 0 or iterations == max_iter


def _relaxed(nx: Any, old: Array, new: Array, omega: float) -> Array:
    """``(1 - omega) old + omega new`` where both are finite, ``new`` elsewhere."""
    if omega == 1.0:
        return new
    mixed = (1.0 - omega) * old + omega * new
    return nx.where(nx.isfinite(mixed), mixed, new)


def _exp_domain(kernel, a0, log_prox_ratio, log_b, tol, max_iter, check_every, relaxation):
    ops = kernel.backend
    nx = ops.nx
    total = ops.to_float(nx.sum(a0))
    support = a0 > 0
    with ops.errstate():
        b = nx.exp(log_b)
        kb = kernel.apply(b)
        if not _usable(ops, kb, support):
            raise _NeedsLogDomain
        a = ops.divide(a0, kb, support)
        error, iterations = math.inf, 0
        best = (a, log_b, kb, error)
        while iterations < max_iter and error > tol:
            iterations += 1
            log_b = _relaxed(nx, log_b, log_prox_ratio(nx.log(kernel.apply(a))),
                             relaxation.omega)
            b = nx.exp(log_b)
            kb = kernel.apply(b)
            if _is_check(iterations, check_every, max_iter):
                error = ops.to_float(nx.sum(nx.abs(a * kb - a0))) / total
                if not _usable(ops, kb, support):
                    error = math.nan
                answer = relaxation.observe(error, iterations)
                if answer == relaxation.SAVE:
                    best = (a, log_b, kb, error)
                elif answer == relaxation.RESTORE:
                    a, log_b, kb, error = best
                if not math.isfinite(error):
                    raise _NeedsLogDomain
            plain = ops.divide(a0, kb, support)
            if relaxation.omega == 1.0 or error <= tol or iterations == max_iter:
                a = plain
            else:  # a (plain / a)^w, the over-relaxed update of log a (plain where a underflowed)
                held = a > 0
                factor = ops.divide(plain, a, held, fill=1.0)
                a = nx.where(held, a * factor**relaxation.omega, plain)
        b = nx.exp(log_b)
        masses = b * kernel.apply(a)
    if not ops.all_finite(masses):
        raise _NeedsLogDomain
    return ProximalStepResult(masses, iterations, error, error <= tol, False, log_b,
                              relaxation.omega, relaxation.fell_back)


def symmetric_log_scaling(
    kernel, masses: Array, *, tol: float, max_iter: int, warm_log_u: Array | None = None
) -> tuple[Array, int]:
    """``log u`` of the symmetric entropic transport of ``masses`` to itself.

    ``u * (K u) = r`` (entropy convention), computed by the averaged fixed point
    ``u <- sqrt(u * r / (K u))`` (Feydy et al. 2019), which converges in a few tens of
    sweeps.  ``gamma * log u`` is the first variation of ``W_gamma(r, r) / 2``, the term
    that debiasing subtracts.  Cells with ``r = 0`` get ``log u = -inf``.  Every sweep
    applies the kernel once and checks ``sum |u (K u) - r| <= tol sum r`` with that product;
    the count returned is the number of kernel products.
    """
    ops = kernel.backend
    nx = ops.nx
    support = masses > 0
    total = ops.to_float(nx.sum(masses))
    with ops.errstate():
        u = nx.sqrt(masses)
        if warm_log_u is not None:
            u = nx.where(nx.isfinite(warm_log_u) & support, nx.exp(warm_log_u), u)
        for iteration in range(1, max_iter + 1):
            ku = kernel.apply(u)
            if ops.to_float(nx.sum(nx.abs(u * ku - masses))) <= tol * total:
                return nx.log(u), iteration
            u = nx.sqrt(u * ops.divide(masses, ku, support))
        return nx.log(u), max_iter


def _usable(ops: ArrayBackend, kb: Array, support: Array) -> bool:
    """``K b`` is finite everywhere and positive wherever ``a0`` has mass (``support``)."""
    return ops.all_finite(kb) and not ops.any((kb <= 0) & support)


def _log_domain(kernel, a0, log_prox_ratio, log_b, tol, max_iter, check_every, relaxation):
    ops = kernel.backend
    nx = ops.nx
    total = ops.to_float(nx.sum(a0))
    with ops.errstate():
        log_a0 = nx.log(a0)
        log_b = nx.where(nx.isfinite(log_b), log_b, 0.0)
        log_kb = kernel.log_apply(log_b)
        log_a = log_a0 - log_kb
        error, iterations = math.inf, 0
        best = (log_a, log_b, log_kb, error)
        while iterations < max_iter:
            iterations += 1
            log_b = _relaxed(nx, log_b, log_prox_ratio(kernel.log_apply(log_a)),
                             relaxation.omega)
            log_kb = kernel.log_apply(log_b)
            if _is_check(iterations, check_every, max_iter):
                error = ops.to_float(nx.sum(nx.abs(nx.exp(log_a + log_kb) - a0))) / total
                answer = relaxation.observe(error, iterations)
                if answer == relaxation.SAVE:
                    best = (log_a, log_b, log_kb, error)
                elif answer == relaxation.RESTORE:
                    log_a, log_b, log_kb, error = best
            if error <= tol or iterations == max_iter:
                log_a = log_a0 - log_kb
                break
            log_a = _relaxed(nx, log_a, log_a0 - log_kb, relaxation.omega)
        masses = nx.exp(log_b + kernel.log_apply(log_a))
    return ProximalStepResult(masses, iterations, error, error <= tol, True, log_b,
                              relaxation.omega, relaxation.fell_back)
