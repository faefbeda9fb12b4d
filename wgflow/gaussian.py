"""Gaussian closed forms of the transport analysis of denoising autoencoders.

For data ``mu0 = N(m0, S0)`` in any dimension ``d`` everything in the paper (Sonoda & Murata,
sections 2.4, 3.1-3.3 and 4.3) is explicit:

* Gaussian DAE, eq. (7): ``Phi_t(x) = x + t grad log(W_t * mu0)(x)``, which for a Gaussian is
  eq. (13) ``Phi_t(x) = (I + t S0^{-1})^{-1} x + (I + t^{-1} S0)^{-1} m0``;
* its pushforward (section 4.3): ``Phi_t # mu0 = N(m0, S0 (I + t S0^{-1})^{-2})``;
* continuous DAE, eq. (10)/(12): ``phi_t(x) = sqrt(I - 2t S0^{-1}) (x - m0) + m0``, the flow of
  ``dx/dt = grad log mu_t(x) = -(S0 - 2tI)^{-1} (x - m0)``; it is singular at
  ``t = lambda_min(S0) / 2``;
* its pushforward (Theorem 3.1, section 4.3): ``phi_t # mu0 = N(m0, S0 - 2tI)``, the backward
  heat equation (11) run from ``mu0``;
* composition of DAEs (section 3.1): layer ``l`` is the Gaussian DAE of its own input
  ``mu_l = N(m0, S_l)`` with noise variance ``tau_l``;
* score, eq. (8): ``(Phi_t(x) - x) / t -> grad log mu0(x) = -S0^{-1} (x - m0)`` as ``t -> 0``.

All these maps are affine and are functions of ``S0``: in the eigenbasis ``S0 = V diag(lam) V^T``
they scale the coordinates ``y = V^T (x - m0)`` axis by axis, and every pushforward covariance is
``V diag(c^2 lam) V^T`` with the same scale factors ``c``.  The module computes them that way
(one ``eigh`` of ``S0``), which keeps the matrix functions symmetric and exact up to round-off.

Points
------
Functions that take ``points`` accept an array of shape ``(..., d)``; the leading axes are kept
in the result.  In 1-D the trailing axis may be left out: an array whose last axis is not of
length 1 (or a scalar) is read as scalar points, so ``x = np.linspace(-3, 3, 7)`` works directly.
"""

from __future__ import annotations

import numbers
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
from numpy.typing import ArrayLike

from .errors import WgflowError, check_choice, check_integer, check_positive

__all__ = [
    "Gaussian",
    "singular_time",
    "continuous_dae_map",
    "dae_map",
    "dae_potential",
    "continuous_dae_pushforward",
    "dae_pushforward",
    "composition_pushforwards",
    "composition_map",
    "trajectories",
    "sigma_trajectory",
    "entropy_of_sigmas",
    "score",
    "dae_velocity",
    "TRAJECTORY_KINDS",
]

TRAJECTORY_KINDS: tuple[str, ...] = ("continuous", "dae", "composition")
"""The maps :func:`trajectories` and :func:`sigma_trajectory` know (Figures 2 and 3)."""

_LOG_2PI = float(np.log(2.0 * np.pi))


# ----------------------------------------------------------------------------------------------
# input checks
# ----------------------------------------------------------------------------------------------
def _check_time(name: str, t: float, *, allow_zero: bool = True) -> float:
    """Return ``t`` as a float if it is a finite real ``>= 0`` (``> 0`` if not allow_zero)."""
    if not allow_zero:
        return check_positive(name, t)
    if isinstance(t, bool) or not isinstance(t, (numbers.Real, np.floating, np.integer)):
        raise WgflowError(f"{name} must be a real number >= 0, got {t!r}")
    t = float(t)
    if not np.isfinite(t) or t < 0.0:
        raise WgflowError(f"{name} must be a finite number >= 0, got {t!r}")
    return t


def _to_float_array(name: str, value: ArrayLike) -> np.ndarray:
    try:
        arr = np.asarray(value, dtype=float)
    except (TypeError, ValueError) as exc:
        raise WgflowError(f"{name} must be an array of real numbers, got {value!r}") from exc
    return arr


def _check_finite(name: str, arr: np.ndarray) -> None:
    bad = ~np.isfinite(arr)
    if bad.any():
        index = tuple(int(i) for i in np.argwhere(bad)[0])
        raise WgflowError(
            f"{name} must be finite; found {float(arr[index])!r} at index {index}"
        )


def _as_points(points: ArrayLike, dim: int) -> tuple[np.ndarray, tuple[int, ...]]:
    """Return ``(flat, shape)``: points as an ``(n, dim)`` array and the input's shape.

    In 1-D an input whose last axis is not of length 1 (or a scalar) holds scalar points.
    """
    arr = _to_float_array("points", points)
    if dim == 1 and (arr.ndim == 0 or arr.shape[-1] != 1):
        flat = arr.reshape(-1, 1)
    elif arr.ndim >= 1 and arr.shape[-1] == dim:
        flat = arr.reshape(-1, dim)
    else:
        raise WgflowError(
            f"points must have shape (..., d) with d = {dim} (the Gaussian's dimension), "
            f"got shape {arr.shape}"
        )
    _check_finite("points", arr)
    return flat, arr.shape


def _point_axis(shape: tuple[int, ...], dim: int) -> bool:
    """Whether the input shape has a trailing coordinate axis (False for 1-D scalar points)."""
    return not (dim == 1 and (len(shape) == 0 or shape[-1] != 1))


def _check_t_grid(t_grid: ArrayLike) -> np.ndarray:
    arr = np.atleast_1d(_to_float_array("t_grid", t_grid))
    if arr.ndim != 1 or arr.size == 0:
        raise WgflowError(f"t_grid must be a non-empty 1-D array of times, got shape {arr.shape}")
    _check_finite("t_grid", arr)
    if (arr < 0).any():
        i = int(np.argmax(arr < 0))
        raise WgflowError(f"t_grid must hold times >= 0; found {float(arr[i])!r} at index {i}")
    return arr


def _check_taus(taus: ArrayLike) -> np.ndarray:
    arr = np.atleast_1d(_to_float_array("taus", taus))
    if arr.ndim != 1:
        raise WgflowError(f"taus must be a 1-D sequence of noise variances, got shape {arr.shape}")
    bad = ~(np.isfinite(arr) & (arr > 0))
    if bad.any():
        i = int(np.argmax(bad))
        raise WgflowError(
            f"taus must be finite noise variances > 0; found taus[{i}] = {float(arr[i])!r}"
        )
    return arr


# ----------------------------------------------------------------------------------------------
# the Gaussian
# ----------------------------------------------------------------------------------------------
@dataclass(frozen=True, eq=False)
class Gaussian:
    """The normal distribution ``N(mean, cov)`` on ``R^d``, the data ``mu0`` of eqs. (12)-(13).

    Parameters
    ----------
    mean : array_like
        Mean ``m0``, shape ``(d,)`` (a scalar means ``d = 1``).
    cov : array_like
        Covariance ``S0``: a scalar ``c`` (``c I``), a vector of ``d`` variances (a diagonal
        matrix) or a symmetric positive definite ``(d, d)`` matrix.  Asymmetry up to a relative
        ``1e-10`` is removed by symmetrising; otherwise non-symmetric, indefinite or numerically
        singular matrices (smallest eigenvalue ``<= d * eps * largest``) are rejected.

    Attributes
    ----------
    mean : numpy.ndarray
        Shape ``(d,)``, read-only.
    cov : numpy.ndarray
        Shape ``(d, d)``, symmetric positive definite, read-only.

    Notes
    -----
    Equality is identity (``eq=False``); compare ``mean`` and ``cov`` with ``numpy.allclose``.

    Examples
    --------
    >>> g = Gaussian([0.0, 0.0], [2.0, 1.0])          # N(0, diag[2, 1]) of Figure 2
    >>> g.dim
    2
    >>> h = np.log(2 * np.pi * np.e) + 0.5 * np.log(2.0)   # (d/2) log(2 pi e) + log det / 2
    >>> bool(abs(g.shannon_entropy() - h) < 1e-12)
    True
    """

    mean: np.ndarray
    cov: np.ndarray
    _evals: np.ndarray = field(init=False, repr=False, compare=False)
    _evecs: np.ndarray = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        mean = np.atleast_1d(_to_float_array("mean", self.mean)).copy()
        if mean.ndim != 1 or mean.size == 0:
            raise WgflowError(f"mean must be a scalar or a 1-D vector, got shape {mean.shape}")
        _check_finite("mean", mean)
        d = mean.size
        cov = _to_float_array("cov", self.cov)
        if cov.ndim == 0:
            cov = float(cov) * np.eye(d)
        elif cov.ndim == 1:
            if cov.size != d:
                raise WgflowError(
                    f"cov given as a vector of variances must have {d} entries (the mean's "
                    f"length), got {cov.size}"
                )
            cov = np.diag(cov)
        elif cov.ndim == 2:
            if cov.shape != (d, d):
                raise WgflowError(
                    f"cov must be a ({d}, {d}) matrix to match the mean's length {d}, got "
                    f"shape {cov.shape}"
                )
            cov = cov.copy()
        else:
            raise WgflowError(
                f"cov must be a scalar, a vector of variances or a (d, d) matrix, got shape "
                f"{cov.shape}"
            )
        _check_finite("cov", cov)
        scale = float(np.max(np.abs(cov))) if cov.size else 0.0
        asym = float(np.max(np.abs(cov - cov.T)))
        if asym > 1e-10 * max(scale, np.finfo(float).tiny):
            raise WgflowError(
                f"cov must be symmetric; max |cov - cov.T| = {asym:.3g} (cov = {cov.tolist()})"
            )
        cov = 0.5 * (cov + cov.T)
        evals, evecs = np.linalg.eigh(cov)
        lam_min, lam_max = float(evals[0]), float(evals[-1])
        if not lam_max > 0 or lam_min <= d * np.finfo(float).eps * lam_max:
            raise WgflowError(
                f"cov must be positive definite; its smallest eigenvalue is {lam_min:.6g} "
                f"(largest {lam_max:.6g}); accepted: symmetric matrices with all eigenvalues "
                f"> 0 (cov = {cov.tolist()})"
            )
        for arr in (mean, cov, evals, evecs):
            arr.setflags(write=False)
        object.__setattr__(self, "mean", mean)
        object.__setattr__(self, "cov", cov)
        object.__setattr__(self, "_evals", evals)
        object.__setattr__(self, "_evecs", evecs)

    # -- basic properties -------------------------------------------------------------------
    @property
    def dim(self) -> int:
        """Dimension ``d`` of the space."""
        return int(self.mean.size)

    @property
    def eigenvalues(self) -> np.ndarray:
        """Eigenvalues of ``cov`` in ascending order (read-only)."""
        return self._evals

    @property
    def eigenvectors(self) -> np.ndarray:
        """Orthonormal eigenvectors of ``cov`` as columns, matching :attr:`eigenvalues`."""
        return self._evecs

    def log_det_cov(self) -> float:
        """``log det S0``."""
        return float(np.sum(np.log(self._evals)))

    # -- entropies (section 4; DESIGN.md section 1) -----------------------------------------
    def shannon_entropy(self) -> float:
        """Shannon (Boltzmann) entropy ``H = -∫ mu log mu`` of section 4.1.

        Returns
        -------
        float
            ``(d/2) log(2 pi e) + (1/2) log det S0``; in the paper's Figure 3 parametrisation
            (section 4.3) this is ``log sigma_1 + log sigma_2 + const``.
        """
        d = self.dim
        return float(0.5 * d * (_LOG_2PI + 1.0) + 0.5 * self.log_det_cov())

    def log_power_integral(self, a: float) -> float:
        """``log ∫ mu^a = (1-a) [(d/2) log(2 pi) + (1/2) log det S0] - (d/2) log a``.

        Parameters
        ----------
        a : float
            Exponent, ``a > 0``.
        """
        a = check_positive("entropy order a", a)
        d = self.dim
        log_norm = 0.5 * d * _LOG_2PI + 0.5 * self.log_det_cov()
        return float((1.0 - a) * log_norm - 0.5 * d * np.log(a))

    def renyi_entropy(self, a: float) -> float:
        """Rényi entropy ``R_a = log(∫ mu^a) / (1 - a)`` (DESIGN.md section 1).

        Parameters
        ----------
        a : float
            Order, ``a > 0``; ``a = 1`` gives the Shannon limit.

        Returns
        -------
        float
            ``(d/2) log(2 pi) + (1/2) log det S0 + (d/2) log(a) / (a - 1)``.
        """
        a = check_positive("entropy order a", a)
        if a == 1.0:
            return self.shannon_entropy()
        d = self.dim
        return float(
            0.5 * d * _LOG_2PI + 0.5 * self.log_det_cov() + 0.5 * d * np.log(a) / (a - 1.0)
        )

    def tsallis_entropy(self, a: float) -> float:
        """Tsallis entropy ``S_a = ∫ (mu - mu^a) / (a - 1) = (1 - ∫ mu^a) / (a - 1)``.

        This is minus the paper's "Rényi entropy" ``H^a`` of section 4.2 (eq. 17 is the descent
        of ``S_a``; see DESIGN.md section 1 for the sign note).

        Parameters
        ----------
        a : float
            Order, ``a > 0``; ``a = 1`` gives the Shannon limit.
        """
        a = check_positive("entropy order a", a)
        if a == 1.0:
            return self.shannon_entropy()
        return float(-np.expm1(self.log_power_integral(a)) / (a - 1.0))

    # -- density and sampling ---------------------------------------------------------------
    def logpdf(self, points: ArrayLike) -> np.ndarray:
        """Log density at ``points`` (shape ``(..., d)``); returns shape ``(...)``."""
        flat, shape = _as_points(points, self.dim)
        y = (flat - self.mean) @ self._evecs
        quad = np.sum(y * y / self._evals, axis=1)
        out = -0.5 * (self.dim * _LOG_2PI + self.log_det_cov() + quad)
        out_shape = shape[:-1] if _point_axis(shape, self.dim) else shape
        return out.reshape(out_shape)

    def pdf(self, points: ArrayLike) -> np.ndarray:
        """Density ``(2 pi)^{-d/2} det(S0)^{-1/2} exp(-(x-m0)^T S0^{-1} (x-m0) / 2)``."""
        return np.exp(self.logpdf(points))

    def sample(
        self, n: int, rng: np.random.Generator | int | None = None
    ) -> np.ndarray:
        """Draw ``n`` samples, shape ``(n, d)``.

        Parameters
        ----------
        n : int
            Number of samples, ``>= 0``.
        rng : numpy.random.Generator or int or None
            A generator, or a seed for :func:`numpy.random.default_rng`.
        """
        n = check_integer("n", n, 0)
        rng = rng if isinstance(rng, np.random.Generator) else np.random.default_rng(rng)
        z = rng.standard_normal((int(n), self.dim))
        return self.mean + (z * np.sqrt(self._evals)) @ self._evecs.T

    # -- helpers for the maps ---------------------------------------------------------------
    def _with_eigenvalues(self, lam: np.ndarray) -> Gaussian:
        """``N(mean, V diag(lam) V^T)`` with this Gaussian's eigenvectors ``V``."""
        cov = (self._evecs * lam) @ self._evecs.T
        return Gaussian(self.mean, 0.5 * (cov + cov.T))


def _as_gaussian(mean: ArrayLike, cov: ArrayLike) -> Gaussian:
    return Gaussian(mean, cov)


def _apply_factors(g: Gaussian, flat: np.ndarray, factors: np.ndarray) -> np.ndarray:
    """``m0 + V diag(factors) V^T (x - m0)`` for the rows ``x`` of ``flat``."""
    y = (flat - g.mean) @ g._evecs
    return g.mean + (y * factors) @ g._evecs.T


# ----------------------------------------------------------------------------------------------
# singular time, maps and pushforwards
# ----------------------------------------------------------------------------------------------
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
    if isinstance(cov, Gaussian):
        return 0.5 * float(cov.eigenvalues[0])
    c = _to_float_array("cov", cov)
    d = c.shape[0] if c.ndim >= 1 else 1
    return 0.5 * float(Gaussian(np.zeros(d), c).eigenvalues[0])


def _check_continuous_time(t: float, g: Gaussian) -> float:
    t = _check_time("t", t)
    ts = singular_time(g)
    if t >= ts:
        raise WgflowError(
            f"t = {t!r} is at or past the singular time lambda_min(S0)/2 = {ts!r} of the "
            f"continuous DAE (eq. 12); accepted: 0 <= t < {ts!r}"
        )
    return t


def continuous_dae_map(
    points: ArrayLike, t: float, mean: ArrayLike, cov: ArrayLike
) -> np.ndarray:
    """Continuous Gaussian DAE, eq. (12): ``phi_t(x) = sqrt(I - 2t S0^{-1}) (x - m0) + m0``.

    The flow of eq. (10) ``dx/dt = grad log mu_t(x)`` with ``mu_t = N(m0, S0 - 2tI)``.

    Parameters
    ----------
    points : array_like
        Points ``x``, shape ``(..., d)`` (1-D: trailing axis optional).
    t : float
        Time, ``0 <= t < lambda_min(S0)/2`` (:func:`singular_time`).
    mean, cov : array_like
        ``m0`` and ``S0`` of ``mu0`` (see :class:`Gaussian` for the accepted forms).

    Returns
    -------
    numpy.ndarray
        ``phi_t(x)``, same shape as ``points``.  The matrix square root is the symmetric one,
        from the eigendecomposition of ``S0`` (``I - 2t S0^{-1}`` has the same eigenvectors).
    """
    g = _as_gaussian(mean, cov)
    t = _check_continuous_time(t, g)
    flat, shape = _as_points(points, g.dim)
    if t == 0.0:
        return flat.copy().reshape(shape)
    factors = np.sqrt(1.0 - 2.0 * t / g.eigenvalues)
    return _apply_factors(g, flat, factors).reshape(shape)


def dae_map(points: ArrayLike, t: float, mean: ArrayLike, cov: ArrayLike) -> np.ndarray:
    """Gaussian DAE, eqs. (7)/(13): ``Phi_t(x) = (I + t S0^{-1})^{-1} x + (I + t^{-1} S0)^{-1} m0``.

    Equivalently ``Phi_t(x) = m0 + S0 (S0 + tI)^{-1} (x - m0) = x + t grad log(W_t * mu0)(x)``.

    Parameters
    ----------
    points : array_like
        Points ``x``, shape ``(..., d)`` (1-D: trailing axis optional).
    t : float
        Noise variance, ``t >= 0`` (``t = 0`` is the identity, the limit of eq. 13).
    mean, cov : array_like
        ``m0`` and ``S0`` of ``mu0``.

    Returns
    -------
    numpy.ndarray
        ``Phi_t(x)``, same shape as ``points``.  Defined for every ``t``: unlike eq. (12) the
        DAE never reaches a singularity (section 3.3).
    """
    g = _as_gaussian(mean, cov)
    t = _check_time("t", t)
    flat, shape = _as_points(points, g.dim)
    if t == 0.0:
        return flat.copy().reshape(shape)
    lam = g.eigenvalues
    return _apply_factors(g, flat, lam / (lam + t)).reshape(shape)


def dae_potential(points: ArrayLike, t: float, mean: ArrayLike, cov: ArrayLike) -> np.ndarray:
    """Convex potential of the Gaussian DAE: ``|x|^2 / 2 + t log(W_t * mu0)(x)``.

    ``W_t * mu0 = N(m0, S0 + tI)``, so by eq. (7) the gradient of this function is ``Phi_t``;
    its Hessian ``S0 (S0 + tI)^{-1}`` is positive definite, so ``Phi_t`` is the Brenier map of
    ``mu0`` onto its pushforward (DESIGN.md section 3).

    Parameters
    ----------
    points : array_like
        Shape ``(..., d)``.
    t : float
        Noise variance ``t >= 0``.
    mean, cov : array_like
        ``m0`` and ``S0``.

    Returns
    -------
    numpy.ndarray
        Shape ``(...)`` (1-D scalar points: the shape of ``points``).
    """
    g = _as_gaussian(mean, cov)
    t = _check_time("t", t)
    flat, shape = _as_points(points, g.dim)
    half_sq = 0.5 * np.sum(flat * flat, axis=1)
    if t == 0.0:
        out = half_sq
    else:
        smoothed = g._with_eigenvalues(g.eigenvalues + t)
        out = half_sq + t * smoothed.logpdf(flat)
    return out.reshape(shape[:-1] if _point_axis(shape, g.dim) else shape)


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
    if not isinstance(g, Gaussian):
        raise WgflowError(f"g must be a wgflow.gaussian.Gaussian, got {type(g).__name__}")
    t = _check_continuous_time(t, g)
    return Gaussian(g.mean, g.cov - 2.0 * t * np.eye(g.dim))


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
    if not isinstance(g, Gaussian):
        raise WgflowError(f"g must be a wgflow.gaussian.Gaussian, got {type(g).__name__}")
    t = _check_time("t", t)
    lam = g.eigenvalues
    return g._with_eigenvalues(lam * (lam / (lam + t)) ** 2)


# ----------------------------------------------------------------------------------------------
# compositions (section 3.1)
# ----------------------------------------------------------------------------------------------
def _composition_eigenvalues(lam: np.ndarray, taus: np.ndarray) -> np.ndarray:
    """Eigenvalues of ``S_0, ..., S_L``; layer ``l`` maps ``lam -> lam^3 / (lam + tau_l)^2``."""
    out = np.empty((taus.size + 1, lam.size))
    out[0] = lam
    for i, tau in enumerate(taus):
        cur = out[i]
        out[i + 1] = cur * (cur / (cur + tau)) ** 2
    return out


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
    if not isinstance(g, Gaussian):
        raise WgflowError(f"g must be a wgflow.gaussian.Gaussian, got {type(g).__name__}")
    taus = _check_taus(taus)
    lams = _composition_eigenvalues(g.eigenvalues, taus)
    out = [g]
    for i in range(1, lams.shape[0]):
        try:
            out.append(g._with_eigenvalues(lams[i]))
        except WgflowError as exc:
            raise WgflowError(
                f"the pushforward after layer {i - 1} (total time {float(np.sum(taus[:i]))!r}) "
                f"has a numerically singular covariance: {exc}"
            ) from exc
    return out


def composition_map(points: ArrayLike, g: Gaussian, taus: ArrayLike) -> np.ndarray:
    """Trajectory of points through a composition of Gaussian DAEs ``Phi_{0:L}`` (section 3.1).

    ``x_{l+1} = Phi_l(x_l)``, ``Phi_l`` the DAE (eq. 13) of ``mu_l`` (see
    :func:`composition_pushforwards`) with noise variance ``tau_l``.

    Parameters
    ----------
    points : array_like
        Starting points ``x_0``, shape ``(n, d)`` (any ``(..., d)``; 1-D: trailing axis optional).
    g : Gaussian
        ``mu_0``.
    taus : array_like
        ``L`` noise variances, each ``> 0``.

    Returns
    -------
    numpy.ndarray
        Shape ``(L + 1,) + points.shape``: ``x_0, x_1, ..., x_L``.
    """
    if not isinstance(g, Gaussian):
        raise WgflowError(f"g must be a wgflow.gaussian.Gaussian, got {type(g).__name__}")
    taus = _check_taus(taus)
    flat, shape = _as_points(points, g.dim)
    lams = _composition_eigenvalues(g.eigenvalues, taus)
    factors = np.ones((taus.size + 1, g.dim))
    if taus.size:
        factors[1:] = np.cumprod(lams[:-1] / (lams[:-1] + taus[:, None]), axis=0)
    y = (flat - g.mean) @ g._evecs
    out = g.mean + np.einsum("nd,ld,ed->lne", y, factors, g._evecs)
    out[0] = flat  # the starting points, exactly
    return out.reshape((taus.size + 1,) + shape)


# ----------------------------------------------------------------------------------------------
# trajectories (Figures 2 and 3)
# ----------------------------------------------------------------------------------------------
def _split_time(t_grid: np.ndarray, tau: float) -> tuple[np.ndarray, np.ndarray]:
    """Full layers ``k`` and remainder ``r`` with ``t = k tau + r``, multiples of tau exact."""
    q = t_grid / tau
    k = np.floor(q)
    near = np.rint(q)
    snap = np.abs(q - near) <= 1e-9 * np.maximum(1.0, near)
    k = np.where(snap, near, k)
    r = np.where(snap, 0.0, t_grid - k * tau)
    return k.astype(np.int64), np.maximum(r, 0.0)


def _factors(
    lam: np.ndarray, t_grid: np.ndarray, kind: str, tau: float | None
) -> np.ndarray:
    """Scale factors ``c(t)`` (shape ``(T, d)``) along the eigen-axes: ``y_t = c(t) y_0``.

    Every pushforward eigenvalue is ``c(t)^2 lam``.
    """
    check_choice("kind", kind, TRAJECTORY_KINDS)
    if kind != "composition":
        if tau is not None:
            raise WgflowError(
                f"tau is only used with kind='composition', got tau={tau!r} with kind={kind!r}"
            )
    else:
        if tau is None:
            raise WgflowError("kind='composition' needs the layer noise variance tau > 0")
        tau = check_positive("tau", tau)
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
    k, r = _split_time(t_grid, tau)
    out = np.empty((t_grid.size, lam.size))
    order = np.argsort(k, kind="stable")
    cur_lam = lam.astype(float).copy()
    cum = np.ones_like(cur_lam)
    level = 0
    for i in order:
        while level < k[i]:
            step = cur_lam / (cur_lam + tau)
            cum = cum * step
            cur_lam = cur_lam * step * step
            level += 1
        out[i] = cum * (cur_lam / (cur_lam + r[i])) if r[i] > 0 else cum
    return out


def trajectories(
    points: ArrayLike,
    g: Gaussian,
    t_grid: ArrayLike,
    kind: Literal["continuous", "dae", "composition"] = "continuous",
    tau: float | None = None,
) -> np.ndarray:
    """Particle positions at the times ``t_grid`` under one of the maps of Figure 2.

    Parameters
    ----------
    points : array_like
        Starting points, shape ``(n, d)`` (any ``(..., d)``; 1-D: trailing axis optional).
    g : Gaussian
        ``mu0`` (Figure 2: ``Gaussian([0, 0], [2, 1])``).
    t_grid : array_like
        Times ``>= 0``, any order.
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
        :func:`composition_map`, and in between it draws the curved pieces of Figure 2.

    Returns
    -------
    numpy.ndarray
        Shape ``(len(t_grid),) + points.shape``.
    """
    if not isinstance(g, Gaussian):
        raise WgflowError(f"g must be a wgflow.gaussian.Gaussian, got {type(g).__name__}")
    t_grid = _check_t_grid(t_grid)
    flat, shape = _as_points(points, g.dim)
    factors = _factors(g.eigenvalues, t_grid, kind, tau)
    y = (flat - g.mean) @ g._evecs
    out = g.mean + np.einsum("nd,td,ed->tne", y, factors, g._evecs)
    return out.reshape((t_grid.size,) + shape)


def sigma_trajectory(
    sigmas: ArrayLike | Gaussian,
    t_grid: ArrayLike,
    kind: Literal["continuous", "dae", "composition"] = "continuous",
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
        :class:`Gaussian` with a diagonal covariance.
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
        s = np.atleast_1d(_to_float_array("sigmas", sigmas))
        if s.ndim != 1 or s.size == 0:
            raise WgflowError(
                f"sigmas must be a 1-D vector of standard deviations, got shape {s.shape}"
            )
        bad = ~(np.isfinite(s) & (s > 0))
        if bad.any():
            i = int(np.argmax(bad))
            raise WgflowError(
                f"sigmas must be finite standard deviations > 0; found sigmas[{i}] = "
                f"{float(s[i])!r}"
            )
    t_grid = _check_t_grid(t_grid)
    return s * _factors(s * s, t_grid, kind, tau)


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
    s = _to_float_array("sigmas", sigmas)
    if s.ndim == 0:
        s = s.reshape(1)
    if np.isnan(s).any() or (s < 0).any() or np.isinf(s).any():
        bad = np.isnan(s) | (s < 0) | np.isinf(s)
        index = tuple(int(i) for i in np.argwhere(bad)[0])
        raise WgflowError(
            f"sigmas must be finite standard deviations >= 0; found {float(s[index])!r} at "
            f"index {index}"
        )
    d = s.shape[-1]
    with np.errstate(divide="ignore"):
        return np.sum(np.log(s), axis=-1) + 0.5 * d * (_LOG_2PI + 1.0)


# ----------------------------------------------------------------------------------------------
# score (eq. 8)
# ----------------------------------------------------------------------------------------------
def score(points: ArrayLike, mean: ArrayLike, cov: ArrayLike) -> np.ndarray:
    """Score of ``mu0 = N(m0, S0)``: ``grad log mu0(x) = -S0^{-1} (x - m0)``, the limit (8).

    Parameters
    ----------
    points : array_like
        Shape ``(..., d)`` (1-D: trailing axis optional).
    mean, cov : array_like
        ``m0`` and ``S0``.

    Returns
    -------
    numpy.ndarray
        Same shape as ``points``.
    """
    return dae_velocity(points, 0.0, mean, cov)


def dae_velocity(points: ArrayLike, t: float, mean: ArrayLike, cov: ArrayLike) -> np.ndarray:
    """Displacement rate of the DAE: ``(Phi_t(x) - x) / t = grad log(W_t * mu0)(x)`` (eq. 7).

    For a Gaussian this is ``-(S0 + tI)^{-1} (x - m0)``; at ``t = 0`` it is the score, the
    limit of eq. (8), and the error is ``O(t)``.

    Parameters
    ----------
    points : array_like
        Shape ``(..., d)``.
    t : float
        ``t >= 0``.
    mean, cov : array_like
        ``m0`` and ``S0``.

    Returns
    -------
    numpy.ndarray
        Same shape as ``points``.
    """
    g = _as_gaussian(mean, cov)
    t = _check_time("t", t)
    flat, shape = _as_points(points, g.dim)
    y = (flat - g.mean) @ g._evecs
    return (-(y / (g.eigenvalues + t)) @ g._evecs.T).reshape(shape)
