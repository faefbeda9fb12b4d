"""The DAE closed forms of the paper for Gaussian data ``mu0 = N(m0, S0)`` (eqs. (7)-(13)).

Every function takes the data first (a :class:`~wgflow.gaussian.Gaussian`), then the noise
variance or time ``t`` (or the layer variances ``taus``), then the points, like
:func:`wgflow.dae.dae_map` on grids.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from ..errors import WgflowError, check_nonnegative
from .distribution import Gaussian, as_float_array, check_gaussian


def check_positive_vector(name: str, values: ArrayLike, what: str, min_size: int) -> np.ndarray:
    """``values`` as a 1-D array of at least ``min_size`` finite entries ``> 0``, else raise."""
    arr = np.atleast_1d(as_float_array(name, values))
    if arr.ndim != 1 or arr.size < min_size:
        raise WgflowError(f"{name} must be a 1-D vector of {what}, got shape {arr.shape}")
    bad = ~(np.isfinite(arr) & (arr > 0))
    if bad.any():
        i = int(np.argmax(bad))
        raise WgflowError(
            f"{name} must be finite {what} > 0; found {name}[{i}] = {float(arr[i])!r}"
        )
    return arr


def singular_time(cov: ArrayLike | Gaussian) -> float:
    """Time at which the continuous Gaussian DAE (eq. 12) becomes singular.

    Parameters
    ----------
    cov : array_like or Gaussian
        Covariance ``S0`` (scalar, vector of variances or matrix) or a :class:`Gaussian`.

    Returns
    -------
    float
        ``lambda_min(S0) / 2``: there ``I - 2t S0^{-1}`` has a zero eigenvalue, the map (12)
        collapses an axis and the pushforward ``N(m0, S0 - 2tI)`` degenerates (1/2 for the
        ``diag[2, 1]`` of Figure 2, section 3.3).
    """
    g = cov if isinstance(cov, Gaussian) else Gaussian.centred(cov)
    return 0.5 * float(g.eigenvalues[0])


def _check_continuous_time(g: Gaussian, t: float) -> float:
    t, ts = check_nonnegative("t", t), singular_time(g)
    if t >= ts:
        raise WgflowError(
            f"t = {t!r} is at or past the singular time lambda_min(S0)/2 = {ts!r} of the "
            f"continuous DAE (eq. 12); accepted: 0 <= t < {ts!r}"
        )
    return t


def continuous_dae_map(g: Gaussian, t: float, points: ArrayLike) -> np.ndarray:
    """Continuous Gaussian DAE, eq. (12): ``phi_t(x) = sqrt(I - 2t S0^{-1}) (x - m0) + m0``.

    The flow of eq. (10) ``dx/dt = grad log mu_t(x)`` with ``mu_t = N(m0, S0 - 2tI)``.

    Parameters
    ----------
    g : Gaussian
        ``mu0 = N(m0, S0)``.
    t : float
        Time, ``0 <= t < lambda_min(S0)/2`` (:func:`singular_time`).
    points : array_like
        Points ``x``, shape ``(..., d)`` (1-D: trailing axis optional).

    Returns
    -------
    numpy.ndarray
        ``phi_t(x)``, same shape as ``points``.  The matrix square root is the symmetric one,
        from the eigendecomposition of ``S0`` (``I - 2t S0^{-1}`` has the same eigenvectors).
    """
    t = _check_continuous_time(check_gaussian("g", g), t)
    flat, shape = g.flatten(points)
    if t == 0.0:
        return flat.copy().reshape(shape)
    return g.scale(flat, np.sqrt(1.0 - 2.0 * t / g.eigenvalues)).reshape(shape)


def dae_map(g: Gaussian, t: float, points: ArrayLike) -> np.ndarray:
    """Gaussian DAE, eqs. (7)/(13): ``Phi_t(x) = (I + t S0^{-1})^{-1} x + (I + t^{-1} S0)^{-1} m0``.

    Equivalently ``Phi_t(x) = m0 + S0 (S0 + tI)^{-1} (x - m0) = x + t grad log(W_t * mu0)(x)``.

    Parameters
    ----------
    g : Gaussian
        ``mu0 = N(m0, S0)``.
    t : float
        Noise variance, ``t >= 0`` (``t = 0`` is the identity, the limit of eq. 13).
    points : array_like
        Points ``x``, shape ``(..., d)`` (1-D: trailing axis optional).

    Returns
    -------
    numpy.ndarray
        ``Phi_t(x)``, same shape as ``points``.  Defined for every ``t``: unlike eq. (12) the
        DAE never reaches a singularity (section 3.3).
    """
    g, t = check_gaussian("g", g), check_nonnegative("t", t)
    flat, shape = g.flatten(points)
    if t == 0.0:
        return flat.copy().reshape(shape)
    lam = g.eigenvalues
    return g.scale(flat, lam / (lam + t)).reshape(shape)


def dae_potential(g: Gaussian, t: float, points: ArrayLike) -> np.ndarray:
    """Convex potential of the Gaussian DAE: ``|x|^2 / 2 + t log(W_t * mu0)(x)``.

    ``W_t * mu0 = N(m0, S0 + tI)``, so by eq. (7) the gradient of this function is ``Phi_t``;
    its Hessian ``S0 (S0 + tI)^{-1}`` is positive definite, so ``Phi_t`` is the Brenier map of
    ``mu0`` onto its pushforward.

    Parameters
    ----------
    g : Gaussian
        ``mu0 = N(m0, S0)``.
    t : float
        Noise variance ``t >= 0``.
    points : array_like
        Shape ``(..., d)``.

    Returns
    -------
    numpy.ndarray
        Shape ``(...)`` (1-D scalar points: the shape of ``points``).
    """
    g, t = check_gaussian("g", g), check_nonnegative("t", t)
    flat, shape = g.flatten(points)
    out = 0.5 * np.sum(flat * flat, axis=1)
    if t > 0.0:
        out = out + t * g.with_eigenvalues(g.eigenvalues + t).logpdf(flat)
    return out.reshape(g.value_shape(shape))


def continuous_dae_pushforward(g: Gaussian, t: float) -> Gaussian:
    """Pushforward of ``N(m0, S0)`` by the continuous DAE (Theorem 3.1, section 4.3).

    Parameters
    ----------
    g : Gaussian
        ``mu0 = N(m0, S0)``.
    t : float
        ``0 <= t < lambda_min(S0)/2``.

    Returns
    -------
    Gaussian
        ``N(m0, S0 - 2tI)``: the backward heat equation (11) from ``mu0``.
    """
    t = _check_continuous_time(check_gaussian("g", g), t)
    return g.heat_flow(-t)


def dae_pushforward(g: Gaussian, t: float) -> Gaussian:
    """Pushforward of ``N(m0, S0)`` by the Gaussian DAE (eq. 13; section 4.3).

    With ``A = (I + t S0^{-1})^{-1} = S0 (S0 + tI)^{-1}`` (symmetric) the map is
    ``x -> A x + (I - A) m0``, so the mean stays ``m0`` and the covariance is
    ``A S0 A^T = S0 (I + t S0^{-1})^{-2} = S0^3 (S0 + tI)^{-2}``.

    Parameters
    ----------
    g : Gaussian
        ``mu0 = N(m0, S0)``.
    t : float
        Noise variance ``t >= 0``.

    Returns
    -------
    Gaussian
        ``N(m0, S0 (I + t S0^{-1})^{-2})``; eigenvalue ``lam`` of ``S0`` becomes
        ``lam^3 / (lam + t)^2``, which stays positive for every ``t``.
    """
    g, t = check_gaussian("g", g), check_nonnegative("t", t)
    lam = g.eigenvalues
    return g.with_eigenvalues(lam * (lam / (lam + t)) ** 2)


def composition_factors(lam: np.ndarray, taus: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Eigenvalues and scale factors of a composition of Gaussian DAEs (section 3.1).

    Layer ``l`` maps the eigenvalues ``lam -> lam^3 / (lam + tau_l)^2`` and scales the
    eigen-coordinates by ``lam / (lam + tau_l)``.

    Returns
    -------
    (numpy.ndarray, numpy.ndarray)
        Eigenvalues of ``S_0, ..., S_L`` and the products of the scale factors of the first
        ``l`` layers, ``l = 0, ..., L``; both of shape ``(L + 1, d)``.
    """
    lams = np.empty((taus.size + 1, lam.size))
    lams[0] = lam
    for i, tau in enumerate(taus):
        lams[i + 1] = lams[i] * (lams[i] / (lams[i] + tau)) ** 2
    factors = np.ones_like(lams)
    factors[1:] = np.cumprod(lams[:-1] / (lams[:-1] + taus[:, None]), axis=0)
    return lams, factors


def composition_pushforwards(g: Gaussian, taus: ArrayLike) -> list[Gaussian]:
    """Pushforwards ``mu_0, mu_1, ..., mu_L`` through a composition of Gaussian DAEs (sec. 3.1).

    Layer ``l`` is the Gaussian DAE (eq. 13) trained on its own input ``mu_l = N(m0, S_l)`` with
    noise variance ``tau_l``, so ``mu_{l+1} = N(m0, S_l (I + tau_l S_l^{-1})^{-2})``.

    Parameters
    ----------
    g : Gaussian
        ``mu_0``.
    taus : array_like
        Noise variances ``tau_0, ..., tau_{L-1}``, each ``> 0`` (``L = len(taus)`` layers,
        total time ``t = sum(taus)``).

    Returns
    -------
    list of Gaussian
        ``L + 1`` Gaussians, starting with ``g``.

    Raises
    ------
    WgflowError
        For a bad ``tau`` or when a covariance becomes numerically singular (the composition
        shrinks the small axes super-exponentially once ``t`` passes ``lambda_min/2``).
    """
    g = check_gaussian("g", g)
    taus = check_positive_vector("taus", taus, "noise variances", 0)
    lams, _ = composition_factors(g.eigenvalues, taus)
    out = [g]
    for i in range(1, lams.shape[0]):
        try:
            out.append(g.with_eigenvalues(lams[i]))
        except WgflowError as exc:
            raise WgflowError(
                f"the pushforward after layer {i - 1} (total time {float(np.sum(taus[:i]))!r}) "
                f"has a numerically singular covariance: {exc}"
            ) from exc
    return out


def composition_map(g: Gaussian, taus: ArrayLike, points: ArrayLike) -> np.ndarray:
    """Trajectory of points through a composition of Gaussian DAEs ``Phi_{0:L}`` (section 3.1).

    ``x_{l+1} = Phi_l(x_l)``, ``Phi_l`` the DAE (eq. 13) of ``mu_l`` (see
    :func:`composition_pushforwards`) with noise variance ``tau_l``.

    Parameters
    ----------
    g : Gaussian
        ``mu_0``.
    taus : array_like
        ``L`` noise variances, each ``> 0``.
    points : array_like
        Starting points ``x_0``, shape ``(n, d)`` (any ``(..., d)``; 1-D: trailing axis optional).

    Returns
    -------
    numpy.ndarray
        Shape ``(L + 1,) + points.shape``: ``x_0, x_1, ..., x_L``.
    """
    g = check_gaussian("g", g)
    taus = check_positive_vector("taus", taus, "noise variances", 0)
    flat, shape = g.flatten(points)
    out = g.scale(flat, composition_factors(g.eigenvalues, taus)[1])
    out[0] = flat  # the starting points, exactly
    return out.reshape((taus.size + 1,) + shape)


def score(g: Gaussian, points: ArrayLike) -> np.ndarray:
    """Score of ``mu0 = N(m0, S0)``: ``grad log mu0(x) = -S0^{-1} (x - m0)``, the limit (8).

    Parameters
    ----------
    g : Gaussian
        ``mu0``.
    points : array_like
        Shape ``(..., d)`` (1-D: trailing axis optional).

    Returns
    -------
    numpy.ndarray
        Same shape as ``points``.
    """
    return dae_velocity(g, 0.0, points)


def dae_velocity(g: Gaussian, t: float, points: ArrayLike) -> np.ndarray:
    """Displacement rate of the DAE: ``(Phi_t(x) - x) / t = grad log(W_t * mu0)(x)`` (eq. 7).

    For a Gaussian this is ``-(S0 + tI)^{-1} (x - m0)``; at ``t = 0`` it is the score, the
    limit of eq. (8), and the error is ``O(t)``.

    Parameters
    ----------
    g : Gaussian
        ``mu0 = N(m0, S0)``.
    t : float
        ``t >= 0``.
    points : array_like
        Shape ``(..., d)``.

    Returns
    -------
    numpy.ndarray
        Same shape as ``points``.
    """
    g, t = check_gaussian("g", g), check_nonnegative("t", t)
    flat, shape = g.flatten(points)
    y = (flat - g.mean) @ g.eigenvectors
    return (-(y / (g.eigenvalues + t)) @ g.eigenvectors.T).reshape(shape)
