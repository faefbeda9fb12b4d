"""The curves of the paper's Figures 2 and 3: trajectories, standard deviations, entropy levels.

Along every map of eqs. (12)-(13) and their compositions the eigen-coordinates of
``mu0 = N(m0, S0)`` are scaled by factors ``c(t)``, and every pushforward eigenvalue is
``c(t)^2 lam`` (section 4.3).
"""

from __future__ import annotations

from typing import Literal

import numpy as np
from numpy.typing import ArrayLike

from ..errors import WgflowError, check_choice, check_finite_nonnegative, check_positive
from .distribution import LOG_2PI, Gaussian, as_float_array, check_finite, check_gaussian
from .maps import check_positive_vector, composition_factors

TRAJECTORY_KINDS: tuple[str, ...] = ("continuous", "dae", "composition")
"""The maps :func:`trajectories` and :func:`sigma_trajectory` know (Figures 2 and 3)."""

Kind = Literal["continuous", "dae", "composition"]


def _check_t_grid(t_grid: ArrayLike) -> np.ndarray:
    arr = np.atleast_1d(as_float_array("t_grid", t_grid))
    if arr.ndim != 1 or arr.size == 0:
        raise WgflowError(f"t_grid must be a non-empty 1-D array of times, got shape {arr.shape}")
    check_finite("t_grid", arr)
    if (arr < 0).any():
        i = int(np.argmax(arr < 0))
        raise WgflowError(f"t_grid must hold times >= 0; found {float(arr[i])!r} at index {i}")
    return arr


def _split_time(t_grid: np.ndarray, tau: float) -> tuple[np.ndarray, np.ndarray]:
    """Full layers ``k`` and remainder ``r`` with ``t = k tau + r``, multiples of tau exact."""
    q = t_grid / tau
    near = np.rint(q)
    snap = np.abs(q - near) <= 1e-9 * np.maximum(1.0, near)
    k = np.where(snap, near, np.floor(q))
    r = np.where(snap, 0.0, t_grid - k * tau)
    return k.astype(np.int64), np.maximum(r, 0.0)


def _factors(lam: np.ndarray, t_grid: np.ndarray, kind: str, tau: float | None) -> np.ndarray:
    """Scale factors ``c(t)`` (shape ``(T, d)``) along the eigen-axes: ``y_t = c(t) y_0``."""
    check_choice("kind", kind, TRAJECTORY_KINDS)
    if kind != "composition" and tau is not None:
        raise WgflowError(
            f"tau is only used with kind='composition', got tau={tau!r} with kind={kind!r}"
        )
    t = t_grid[:, None]
    if kind == "continuous":
        ts = 0.5 * float(lam.min())
        if (t_grid > ts).any():
            i = int(np.argmax(t_grid > ts))
            raise WgflowError(
                f"t_grid[{i}] = {float(t_grid[i])!r} is past the singular time lambda_min(S0)/2 = "
                f"{ts!r} of the continuous DAE (eq. 12); accepted: 0 <= t <= {ts!r}"
            )
        return np.sqrt(np.maximum(1.0 - 2.0 * t / lam, 0.0))
    if kind == "dae":
        return lam / (lam + t)
    if tau is None:
        raise WgflowError("kind='composition' needs the layer noise variance tau > 0")
    tau = check_positive("tau", tau)
    k, r = _split_time(t_grid, tau)
    lams, cum = composition_factors(lam, np.full(int(k.max()), tau))
    lk, rk = lams[k], r[:, None]
    return cum[k] * np.divide(lk, lk + rk, out=np.ones_like(lk), where=rk > 0)


def trajectories(
    g: Gaussian,
    t_grid: ArrayLike,
    points: ArrayLike,
    kind: Kind = "continuous",
    tau: float | None = None,
) -> np.ndarray:
    """Particle positions at the times ``t_grid`` under one of the maps of Figure 2.

    Parameters
    ----------
    g : Gaussian
        ``mu0`` (Figure 2: ``Gaussian([0, 0], [2, 1])``).
    t_grid : array_like
        Times ``>= 0``, any order.
    points : array_like
        Starting points, shape ``(n, d)`` (any ``(..., d)``; 1-D: trailing axis optional).
    kind : {"continuous", "dae", "composition"}
        ``"continuous"``: ``phi_t(x)`` of eq. (12), times ``<= lambda_min(S0)/2`` (at the
        singular time the collapsed axis is mapped to ``m0``); ``"dae"``: the single DAE
        ``Phi_t(x)`` of eq. (13) evaluated at each ``t``; ``"composition"``: ``Phi_{0:L}^t`` of
        section 3.1 with equal layers ``tau``.
    tau : float, optional
        Layer noise variance, required for (and only for) ``kind="composition"``.  At a time
        ``t = k tau + r`` with ``0 <= r < tau`` (multiples of ``tau`` are detected to a
        relative ``1e-9``) the position is ``k`` full layers followed by the DAE of the current
        pushforward with noise variance ``r``; at the multiples of ``tau`` this is exactly
        :func:`~wgflow.gaussian.composition_map`, and in between it draws the curved pieces
        of Figure 2.

    Returns
    -------
    numpy.ndarray
        Shape ``(len(t_grid),) + points.shape``.
    """
    g = check_gaussian("g", g)
    t_grid = _check_t_grid(t_grid)
    flat, shape = g.flatten(points)
    out = g.scale(flat, _factors(g.eigenvalues, t_grid, kind, tau))
    return out.reshape((t_grid.size,) + shape)


def sigma_trajectory(
    sigmas: ArrayLike | Gaussian,
    t_grid: ArrayLike,
    kind: Kind = "continuous",
    tau: float | None = None,
) -> np.ndarray:
    """Standard deviations along the axes of the pushforwards, the curves of Figure 3.

    For ``mu0 = N(m0, diag[sigma_1^2, ..., sigma_d^2])`` every map keeps the covariance
    diagonal (section 4.3): continuous DAE ``sigma_i(t) = sqrt(sigma_i^2 - 2t)``; DAE
    ``sigma_i(t) = sigma_i^3 / (sigma_i^2 + t)``; composition: the DAE recursion layer by layer.

    Parameters
    ----------
    sigmas : array_like or Gaussian
        Initial standard deviations ``(sigma_1, ..., sigma_d)``, each ``> 0``, or a
        :class:`~wgflow.gaussian.Gaussian` with a diagonal covariance.
    t_grid : array_like
        Times ``>= 0``; for ``"continuous"`` at most ``min(sigma)^2 / 2``, where the smallest
        standard deviation reaches 0 and the flow ends.
    kind : {"continuous", "dae", "composition"}
        As in :func:`trajectories`.
    tau : float, optional
        Layer noise variance for ``kind="composition"`` (same rule as :func:`trajectories`).

    Returns
    -------
    numpy.ndarray
        Shape ``(len(t_grid), d)``.
    """
    if isinstance(sigmas, Gaussian):
        cov = sigmas.cov
        if np.any(cov - np.diag(np.diag(cov)) != 0):
            raise WgflowError(
                "sigma_trajectory needs a diagonal covariance; rotate to the eigenbasis "
                "(Gaussian.eigenvectors) first"
            )
        s = np.sqrt(np.diag(cov))
    else:
        s = check_positive_vector("sigmas", sigmas, "standard deviations", 1)
    return s * _factors(s * s, _check_t_grid(t_grid), kind, tau)


def entropy_of_sigmas(sigmas: ArrayLike) -> np.ndarray:
    """Shannon entropy of ``N(m, diag[sigma_1^2, ..., sigma_d^2])`` (section 4.3, Figure 3).

    Parameters
    ----------
    sigmas : array_like
        Standard deviations, shape ``(..., d)`` with the axes last (e.g.
        ``np.stack([S1, S2], axis=-1)`` of a meshgrid for the level sets of Figure 3); zeros give
        ``-inf``.

    Returns
    -------
    numpy.ndarray
        ``sum_i log sigma_i + (d/2) log(2 pi e)``, shape ``(...)``.
    """
    s = np.atleast_1d(as_float_array("sigmas", sigmas))
    if s.shape[-1] == 0:
        raise WgflowError(f"sigmas must have at least one axis (d >= 1) last, got shape {s.shape}")
    check_finite_nonnegative("sigmas", s)
    with np.errstate(divide="ignore"):
        return np.sum(np.log(s), axis=-1) + 0.5 * s.shape[-1] * (LOG_2PI + 1.0)
