r"""The variational BDF2 step of Matthes & Plazotta (2019) for the entropic JKO solver.

With steps ``dt_n`` and ratio ``omega = dt_n / dt_{n-1}``, the step is ::

    rho_n = argmin_rho  F(rho) + alpha W2^2(rho_{n-1}, rho) / (2 dt_n)
                               - beta  W2^2(rho_{n-2}, rho) / (2 dt_n),
    alpha = 1 + omega,    beta = omega^2 / (1 + omega),

(Matthes & Plazotta, "A variational formulation of the BDF2 method for metric gradient
flows", ESAIM: M2AN 53 (2019); for ``omega = 1``: ``alpha = 2``, ``beta = 1/2``, i.e.
``W2^2(rho_{n-1}, .)/dt - W2^2(rho_{n-2}, .)/(4 dt)``).  In R^d, where ``W2^2`` is
``|x - y|^2``, its optimality condition
``alpha (x_n - x_{n-1}) - beta (x_n - x_{n-2}) = -dt_n grad F(x_n)`` is the variable-step BDF2
formula ``((1 + 2 omega) x_n - (1 + omega)^2 x_{n-1} + omega^2 x_{n-2}) / (1 + omega)
= -dt_n grad F(x_n)``, second order for any bounded ratio and zero-stable for
``omega < 1 + sqrt 2`` (:data:`OMEGA_MAX`).

Entropic and debiased.  Each ``W2^2(mu, .)`` becomes ``W_gamma(mu, .) - W_gamma(., .) / 2``
(debiased) or ``W_gamma(mu, .)`` (plain), so the step minimises ::

    F(q) + [alpha W_gamma(a1, q) - beta W_gamma(a2, q)] / (2 dt)
         - (alpha - beta) W_gamma(q, q) / (4 dt)                        (debiased)

with ``a1 = rho_{n-1}``, ``a2 = rho_{n-2}`` (cell masses).  Both subtracted terms are
concave in ``q``; each is replaced by its tangent at a reference density ``r``, which lies
above it (a majorise-minimise step).  The first variation of ``W_gamma(a2, .)`` at ``r`` is
the target-side entropic dual potential ``gamma log v_r`` of the transport from ``a2`` to
``r`` (``P = diag(u) K diag(v)``, :func:`target_log_scaling`), that of ``W_gamma(q, q) / 2``
is ``gamma log u_r`` with ``u_r (K u_r) = r``.  Dividing by ``alpha / (2 dt)``, the step is
the generalised Sinkhorn problem of a first-order step of length ``dt / alpha`` ::

    min_q  sigma F(q) + W_gamma(a1, q) / gamma - <lambda, q>,    sigma = 2 dt / (alpha gamma),
    lambda = (beta / alpha) log v_r + ((alpha - beta) / alpha) log u_r,

whose KL-prox is ``log b = lambda + log_prox(log p + lambda)`` (the debiased step's, with
``lambda`` in place of ``log u_r``).

The linearisation is repeated with the output as the next reference.  In R^d the output
moves by ``beta / (alpha + dt lambda_F)`` times the error of the reference (1/4 at
``omega = 1``; ``lambda_F`` is the curvature of ``F``), and the first reference is a step
away from the solution, so a fixed number of linearisations would leave an ``O(dt)``
fraction of each step: an inconsistent scheme.  Three things make it converge fast and
stop at the right place:

* the first reference of the transport term is ``rho_{n-1}`` itself, with the blurred
  ``K rho_{n-1}`` only where ``rho_{n-1}`` has no mass (:func:`first_reference`; the
  debiasing term starts at ``K rho_{n-1}``, as in a first-order step);
* the second transport potential is over-relaxed once,
  ``log v <- log v + theta (log v - log v_0)`` with ``theta = beta / (alpha - beta)``
  (:func:`potential_relaxation`), which cancels the flat part of the factor above (over-
  relaxing every linearisation re-injects the error of the modes the step damps; measured);
* the linearisation stops when the output changes by at most
  ``LINEARISATION_KAPPA delta^3`` (relative L1, ``delta`` the step's own relative change,
  about ``dt`` over the flow's time scale), so that what it leaves is ``O(dt^3)``, below the
  step's truncation error, or by the floor the Sinkhorn tolerance leaves
  (:func:`linearisation_tolerance`).

Energy.  A BDF2 step need not lower ``F``; the a-priori energy estimate of Matthes &
Plazotta (for ``omega = 1``) follows from comparing the minimiser with ``rho_{n-1}``
and ``W2(a2, q)^2 <= (1 + eps) W2(a2, a1)^2 + (1 + 1/eps) W2(a1, q)^2``.  With
``eps = beta / (alpha - beta)`` ::

    F(rho_n) - F(rho_{n-1}) <= beta^2 / (alpha - beta) * W2^2(rho_{n-2}, rho_{n-1}) / (2 dt_n),

and the kinetic term on the right is bounded by the energies of the earlier steps
(:class:`KineticBound`).  This is the rise the solver's energy watch allows a BDF2 step.
"""

from __future__ import annotations

import math

import numpy as np

from .sinkhorn import Overrelaxation, ProximalStepResult, entropic_proximal_step

#: Largest step ratio ``dt_n / dt_{n-1}`` taken by a BDF2 step (the zero-stability bound of
#: variable-step BDF2); a larger ratio restarts with first-order steps.
OMEGA_MAX = 1.0 + math.sqrt(2.0)
#: The linearisation stops when the output changes (relative L1) by at most
#: ``LINEARISATION_KAPPA delta^3`` (``delta``: the step's relative change), and at most ...
LINEARISATION_KAPPA = 0.1
#: ... this many ``sinkhorn_tol`` (the floor the Sinkhorn solves leave) ...
LINEARISATION_FLOOR = 10.0
#: ... or after this many linearisations.
MAX_LINEARISATIONS = 20


def bdf2_weights(omega: float) -> tuple[float, float]:
    """``(alpha, beta) = (1 + omega, omega^2 / (1 + omega))``: the weights of
    ``W2^2(rho_{n-1}, .)`` and ``-W2^2(rho_{n-2}, .)`` over ``2 dt_n`` for the step ratio
    ``omega = dt_n / dt_{n-1}``."""
    return 1.0 + omega, omega**2 / (1.0 + omega)


def potential_relaxation(omega: float) -> float:
    """``theta = beta / (alpha - beta)``: the over-relaxation of the linearised potential that
    cancels the contraction ``beta / alpha`` of the plain linearisation (1/3 at
    ``omega = 1``)."""
    alpha, beta = bdf2_weights(omega)
    return beta / (alpha - beta)


def relax_potential(log_v: np.ndarray, used: np.ndarray | None, theta: float) -> np.ndarray:
    """``log_v + theta (log_v - used)`` where both are finite, ``log_v`` elsewhere (and when
    there is no previous potential)."""
    if used is None:
        return log_v
    finite = np.isfinite(log_v) & np.isfinite(used)
    with np.errstate(invalid="ignore"):
        return np.where(finite, log_v + theta * (log_v - used), log_v)


def linearisation_tolerance(delta: float, sinkhorn_tol: float) -> float:
    """The relative L1 change of a BDF2 step's output between two linearisations at which
    the linearisation stops: ``max(LINEARISATION_KAPPA delta^3, LINEARISATION_FLOOR
    sinkhorn_tol)`` for a step that changes the density by ``delta`` (relative L1, about
    ``dt`` over the flow's time scale), so that what the linearisation leaves is
    ``O(dt^3)``, the order of the step's truncation error, down to the Sinkhorn floor."""
    return max(LINEARISATION_KAPPA * delta**3, LINEARISATION_FLOOR * sinkhorn_tol)


def first_reference(masses: np.ndarray, blurred: np.ndarray) -> np.ndarray:
    """The first linearisation point of the transport term: ``rho_{n-1}`` where it has mass,
    the blurred ``K rho_{n-1}`` (rescaled to the same mass) where it has none, so that the
    support can grow into the cells the blur reaches."""
    return np.where(masses > 0, masses, blurred * (masses.sum() / blurred.sum()))


def target_log_scaling(
    kernel,
    source: np.ndarray,
    target: np.ndarray,
    *,
    tol: float,
    max_iter: int,
    warm_log_v: np.ndarray | None = None,
    overrelaxation: Overrelaxation | bool = True,
) -> ProximalStepResult:
    """The entropic transport from ``source`` to ``target`` (rescaled to the source's mass):
    its ``log_b`` is ``log v``, the target-side dual potential over ``gamma``, i.e. the first
    variation of ``W_gamma(source, .)`` at ``target`` over ``gamma``.

    Solved as the proximal step (:func:`~wgflow.solvers.sinkhorn.entropic_proximal_step`) of
    the indicator of ``{q = target}``, whose KL-prox ratio is ``target / p``; cells where
    the target vanishes get ``log v = -inf``.
    """
    empty = target <= 0
    with np.errstate(divide="ignore"):
        log_target = np.log(target * (source.sum() / target.sum()))

    def fixed_marginal(log_p: np.ndarray) -> np.ndarray:
        with np.errstate(invalid="ignore"):
            ratio = log_target - log_p
        ratio[empty] = -np.inf
        return ratio

    return entropic_proximal_step(
        kernel, source, fixed_marginal, tol=tol, max_iter=max_iter, warm_log_b=warm_log_v,
        overrelaxation=overrelaxation,
    )


class KineticBound:
    """An upper bound ``B_n >= W2^2(rho_{n-1}, rho_n) / (2 dt_n)`` computed from the energies.

    A first-order (JKO) step gives ``F(rho_n) + W2^2 / (2 dt) <= F(rho_{n-1})``:
    ``B_n = F(rho_{n-1}) - F(rho_n)`` (also for two half steps, by the triangle inequality).
    A BDF2 step gives, with ``eps = 2 beta / (alpha - beta)`` in the estimate of the module
    docstring, ::

        (alpha - beta) / 2 * W2^2(rho_{n-1}, rho_n) / (2 dt_n)
            <= F(rho_{n-1}) - F(rho_n) + 2 beta^2 / ((alpha - beta) omega) * B_{n-1},

    (at ``omega = 1``: ``B_n = 4/3 (F(rho_{n-1}) - F(rho_n)) + 4/9 B_{n-1}``), and allows the
    rise ``F(rho_n) - F(rho_{n-1}) <= beta^2 / ((alpha - beta) omega) * B_{n-1}``.  The bounds
    hold for exact minimisers; the solver adds its Sinkhorn tolerance to the allowed rise,
    and a bound is never taken below 0.
    """

    def __init__(self) -> None:
        self.value = 0.0

    def after_first_order_step(self, drop: float) -> None:
        """Record a first-order step that lowered ``F`` by ``drop``."""
        self.value = max(drop, 0.0)

    def allowed_rise(self, omega: float) -> float:
        """How much a BDF2 step of ratio ``omega`` may raise ``F``."""
        alpha, beta = bdf2_weights(omega)
        return beta**2 / ((alpha - beta) * omega) * self.value

    def after_bdf2_step(self, drop: float, omega: float) -> None:
        """Record a BDF2 step of ratio ``omega`` that lowered ``F`` by ``drop``."""
        alpha, beta = bdf2_weights(omega)
        carried = 2.0 * beta**2 / ((alpha - beta) * omega) * self.value
        self.value = max(2.0 * (drop + carried) / (alpha - beta), 0.0)
