"""Closed-form KL-proximal maps shared by the entropy and energy functionals.

They take ``log p`` as a numpy array or as an array of another backend (jax, torch, cupy:
:mod:`wgflow.backend`) and answer on the same backend and device; numpy arrays take the
numpy path of before, bitwise.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable
from typing import Any

import numpy as np

from ..backend import of_array
from ..grid import Grid

_NEWTON_STOP = 1e-8
_NEWTON_MAXITER = 60
#: log(omega(0)) = -W(1), the omega constant with a minus sign.
_LOG_OMEGA_0 = -0.5671432904097838


def solve_z_plus_log_z(
    y: np.ndarray, initial_log_z: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Solve ``z + log z = y`` elementwise: ``z = omega(y)``, the Wright omega function.

    Newton's method on ``u = log z`` for ``f(u) = e^u + u - y``, which is convex and
    increasing with ``f' >= 1`` and ``f'' < f'``, so the iteration converges from any
    start and cannot leave the domain (a safeguarded Newton: every iterate is clamped to
    an upper bound of the root); the error after a step is below half the square of the
    step, so the loop stops once every step is below ``1e-8``.

    Parameters
    ----------
    y : ndarray
        Right-hand sides; ``y = -inf`` gives ``z = 0``, ``y = +inf`` gives ``z = inf``.
    initial_log_z : ndarray, optional
        Starting ``log z`` (for example the previous Sinkhorn sweep's solution); it only
        changes the iteration count.

    Returns
    -------
    z : ndarray
        ``omega(y)``; agrees with :func:`scipy.special.wrightomega` to round-off.
    log_z : ndarray
        ``log z``, accurate where ``z`` underflows.
    """
    y = np.asarray(y, dtype=float)
    finite = np.isfinite(y)
    if not finite.all():  # vacuum (y = -inf) or overflow: Newton on the finite entries only
        z = np.where(y > 0, np.inf, 0.0)
        log_z = np.where(y > 0, np.inf, -np.inf)
        if finite.any():
            warm = None
            if initial_log_z is not None and initial_log_z.shape == y.shape:
                warm = initial_log_z[finite]
            z[finite], log_z[finite] = solve_z_plus_log_z(y[finite], warm)
        return z, log_z
    if initial_log_z is not None and initial_log_z.shape == y.shape:
        u = np.where(np.isfinite(initial_log_z), initial_log_z, _LOG_OMEGA_0)
    else:
        with np.errstate(invalid="ignore"):
            u = np.where(y < 1.0, y, np.log(np.maximum(y - np.log(np.maximum(y, 1.0)), 1.0)))
    # the root satisfies u <= log y for y > 1 and u <= y otherwise; clamping every iterate
    # to this bound keeps a far-off start from creeping towards the root one unit per step
    with np.errstate(divide="ignore", invalid="ignore"):
        upper = np.where(y > 1.0, np.log(np.maximum(y, 1.0)), y)
    np.minimum(u, upper, out=u)
    step = np.empty_like(u)
    for _ in range(_NEWTON_MAXITER):
        eu = np.exp(u)
        np.add(eu, u, out=step)
        step -= y
        step /= eu + 1.0
        u -= step
        np.minimum(u, upper, out=u)
        if np.max(np.abs(step), initial=0.0) < _NEWTON_STOP:
            break
    else:
        raise ArithmeticError("Newton's method for z + log z = y did not converge")
    # exp(u - step) to second order in the last (tiny) step: no further exponential
    return eu * (1.0 - step), u


class WrightOmegaSolver:
    """:func:`solve_z_plus_log_z` warm-started from its own previous solution.

    Successive Sinkhorn sweeps solve nearly the same equation, so starting Newton from
    the last ``log z`` cuts the iterations from about six to one or two.
    """

    def __init__(self) -> None:
        self._last_log_z: np.ndarray | None = None

    def __call__(self, y: Any) -> Any:
        if not isinstance(y, np.ndarray):  # another backend: a fixed number of Newton steps
            return of_array(y).wright_omega(y)[0]
        z, self._last_log_z = solve_z_plus_log_z(y, self._last_log_z)
        return z


#: Per functional, its last host constant copied to a backend, with the key it was made for.
_CONSTANTS: weakref.WeakKeyDictionary[object, tuple[Any, Any]] = weakref.WeakKeyDictionary()


def backend_constant(owner: object, grid: Grid, like: Any,
                     compute: Callable[[], np.ndarray]) -> Any:
    """``compute()``, a host array of ``owner`` on ``grid`` (for example a potential), on the
    backend, device and type of the array ``like``, copied once and then kept with ``owner``
    (not once per Sinkhorn sweep)."""
    backend = of_array(like)
    cached = _CONSTANTS.get(owner)
    if cached is None or cached[0] != (grid, backend):
        cached = ((grid, backend), backend.asarray(compute()))
        _CONSTANTS[owner] = cached
    return cached[1]


def power_log_prox_ratio(
    log_p: Any,
    weight: float,
    m: float,
    cell_volume: float,
    omega: Callable[[Any], Any] | None = None,
) -> Any:
    """``log(q/p)`` for ``q = argmin weight * ∫ rho^m / (m - 1) + KL(q | p)``, weight > 0.

    With ``rho = q / V`` (V the cell volume) and ``c = weight m / (m - 1)`` the optimality
    condition ``log(q/p) + c rho^(m-1) = 0`` becomes ``z + log z = log(weight m) +
    (m - 1) log(p / V)`` for ``z = (m - 1) c rho^(m-1)``; then ``log(q/p) = -z / (m - 1)``.
    Valid for ``m > 1``.  Vacuum (``p = 0``) gives ``q = 0`` and the finite limit
    ratio ``q/p -> 1``.  ``omega`` solves ``z + log z = y`` (a warm-started
    :class:`WrightOmegaSolver` in iterative use).
    """
    with np.errstate(divide="ignore"):
        y = float(np.log(weight * m)) + (m - 1.0) * (log_p - float(np.log(cell_volume)))
    if omega is None:
        omega = WrightOmegaSolver()
    return -omega(y) / (m - 1.0)


def entropy_log_prox_ratio(log_p: Any, weight: float, cell_volume: float) -> Any:
    """``log(q/p)`` for ``q = argmin weight * ∫ rho log rho + KL(q | p)``, weight > 0.

    Optimality ``weight (log(q/V) + 1) + log(q/p) = 0`` gives the closed form
    ``log(q/p) = weight (log V - 1 - log p) / (1 + weight)``: ``q`` is a power of the
    input.  It is ``+inf`` where ``p = 0``.
    """
    with np.errstate(divide="ignore"):
        return weight * (float(np.log(cell_volume)) - 1.0 - log_p) / (1.0 + weight)
