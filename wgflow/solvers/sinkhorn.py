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
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

LogRatio = Callable[[np.ndarray], np.ndarray]


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
    """

    masses: np.ndarray
    iterations: int
    marginal_error: float
    converged: bool
    log_domain: bool
    log_b: np.ndarray


class _NeedsLogDomain(Exception):
    """Raised inside the exp-domain loop when a scaling leaves the floating-point range."""


def entropic_proximal_step(
    kernel,
    masses0: np.ndarray,
    log_prox_ratio: LogRatio,
    *,
    tol: float,
    max_iter: int,
    warm_log_b: np.ndarray | None = None,
    log_domain: bool = False,
    check_every: int = 5,
) -> ProximalStepResult:
    """Solve one entropic JKO step by generalized Sinkhorn scalings.

    Parameters
    ----------
    kernel : SeparableGibbsKernel or DenseGibbsKernel
        Provides ``apply`` (``K x``) and ``log_apply`` (``log K exp(x)``).
    masses0 : ndarray
        Cell masses ``a0`` of the current density (shape ``grid.shape``).
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
        Sweeps between two evaluations of the stopping criterion.
    """
    log_b = np.zeros_like(masses0) if warm_log_b is None else warm_log_b
    if not log_domain:
        try:
            return _exp_domain(kernel, masses0, log_prox_ratio, log_b, tol, max_iter, check_every)
        except _NeedsLogDomain:
            pass
    return _log_domain(kernel, masses0, log_prox_ratio, log_b, tol, max_iter, check_every)


def _exp_domain(kernel, a0, log_prox_ratio, log_b, tol, max_iter, check_every):
    total = a0.sum()
    support = a0 > 0
    a = np.zeros_like(a0)
    with np.errstate(over="ignore", under="ignore", divide="ignore", invalid="ignore"):
        b = np.exp(log_b)
        kb = kernel.apply(b)
        if not _usable(kb, a0):
            raise _NeedsLogDomain
        np.divide(a0, kb, out=a, where=support)
        error, iterations = np.inf, 0
        while iterations < max_iter and error > tol:
            iterations += 1
            log_b = log_prox_ratio(np.log(kernel.apply(a)))
            b = np.exp(log_b)
            kb = kernel.apply(b)
            if iterations % check_every == 0 or iterations == max_iter:
                error = float(np.abs(a * kb - a0).sum() / total)
                if not (np.isfinite(error) and _usable(kb, a0)):
                    raise _NeedsLogDomain
            np.divide(a0, kb, out=a, where=support)
        masses = b * kernel.apply(a)
    if not np.isfinite(masses).all():
        raise _NeedsLogDomain
    return ProximalStepResult(masses, iterations, error, error <= tol, False, log_b)


def symmetric_log_scaling(
    kernel, masses: np.ndarray, *, tol: float, max_iter: int, warm_log_u: np.ndarray | None = None
) -> tuple[np.ndarray, int]:
    """``log u`` of the symmetric entropic transport of ``masses`` to itself.

    ``u * (K u) = r`` (entropy convention), computed by the averaged fixed point
    ``u <- sqrt(u * r / (K u))`` (Feydy et al. 2019), which converges in a few tens of
    sweeps.  ``gamma * log u`` is the first variation of ``W_gamma(r, r) / 2``, the term
    that debiasing subtracts.  Cells with ``r = 0`` get ``log u = -inf``.
    """
    support = masses > 0
    total = masses.sum()
    with np.errstate(divide="ignore", invalid="ignore", under="ignore"):
        u = np.sqrt(masses)
        if warm_log_u is not None:
            u = np.where(np.isfinite(warm_log_u) & support, np.exp(warm_log_u), u)
        for iteration in range(1, max_iter + 1):
            ku = kernel.apply(u)
            np.divide(masses, ku, out=ku, where=support)
            ku[~support] = 0.0
            u = np.sqrt(u * ku)
            if iteration % 5 == 0:
                error = float(np.abs(u * kernel.apply(u) - masses).sum() / total)
                if error <= tol:
                    break
        return np.log(u), iteration


def _usable(kb: np.ndarray, a0: np.ndarray) -> bool:
    """``K b`` is finite everywhere and positive wherever ``a0`` has mass."""
    return bool(np.isfinite(kb).all() and not np.any((kb <= 0) & (a0 > 0)))


def _log_domain(kernel, a0, log_prox_ratio, log_b, tol, max_iter, check_every):
    total = a0.sum()
    with np.errstate(divide="ignore", invalid="ignore", over="ignore", under="ignore"):
        log_a0 = np.log(a0)
        log_b = np.where(np.isfinite(log_b), log_b, 0.0)
        log_kb = kernel.log_apply(log_b)
        log_a = log_a0 - log_kb
        error, iterations = np.inf, 0
        while iterations < max_iter:
            iterations += 1
            log_b = log_prox_ratio(kernel.log_apply(log_a))
            log_kb = kernel.log_apply(log_b)
            if iterations % check_every == 0 or iterations == max_iter:
                error = float(np.abs(np.exp(log_a + log_kb) - a0).sum() / total)
            log_a = log_a0 - log_kb
            if error <= tol:
                break
        masses = np.exp(log_b + kernel.log_apply(log_a))
    return ProximalStepResult(masses, iterations, error, error <= tol, True, log_b)
