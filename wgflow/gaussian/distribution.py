"""The normal distribution ``N(m0, S0)``: its entropies, density, samples, heat flow and W2.

One :class:`Gaussian` type holds the data ``mu0`` of the closed forms of eqs. (12)-(13) and the
exact references of :mod:`wgflow.exact`; its constructor is the one check of a mean and a
covariance in wgflow.
"""

from __future__ import annotations

import numbers

import numpy as np
from numpy.typing import ArrayLike

from .. import transport
from ..errors import WgflowError, as_real_array, check_integer, check_order, check_rng

LOG_2PI = float(np.log(2.0 * np.pi))


def as_float_array(name: str, value: ArrayLike) -> np.ndarray:
    """``value`` as a float array, or a :class:`~wgflow.errors.WgflowError` naming it
    (:func:`wgflow.errors.as_real_array`: not ``None``, strings, booleans or complex)."""
    return as_real_array(name, value)


def check_finite(name: str, arr: np.ndarray) -> None:
    """Raise if ``arr`` holds NaN or infinities, naming the first bad entry."""
    bad = ~np.isfinite(arr)
    if bad.any():
        index = tuple(int(i) for i in np.argwhere(bad)[0])
        raise WgflowError(f"{name} must be finite; found {float(arr[index])!r} at index {index}")


def check_gaussian(name: str, g: object) -> Gaussian:
    """Return ``g`` if it is a :class:`Gaussian`, else raise naming it."""
    if not isinstance(g, Gaussian):
        raise WgflowError(f"{name} must be a wgflow.gaussian.Gaussian, got {type(g).__name__}")
    return g


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
    Equality is identity; compare ``mean`` and ``cov`` with ``numpy.allclose``.  Every map of
    the closed forms is a function of ``S0``: it scales the coordinates ``V^T (x - m0)`` in the
    eigenbasis ``S0 = V diag(lam) V^T``, computed once here.

    Examples
    --------
    >>> g = Gaussian([0.0, 0.0], [2.0, 1.0])          # N(0, diag[2, 1]) of Figure 2
    >>> g.dim
    2
    >>> h = np.log(2 * np.pi * np.e) + 0.5 * np.log(2.0)   # (d/2) log(2 pi e) + log det / 2
    >>> bool(abs(g.shannon_entropy() - h) < 1e-12)
    True
    """

    __slots__ = ("_mean", "_cov", "_evals", "_evecs")

    def __init__(self, mean: ArrayLike, cov: ArrayLike) -> None:
        m = np.atleast_1d(as_float_array("mean", mean)).copy()
        if m.ndim != 1 or m.size == 0:
            raise WgflowError(f"mean must be a scalar or a 1-D vector, got shape {m.shape}")
        check_finite("mean", m)
        d = m.size
        c = as_float_array("cov", cov)
        if c.ndim == 0:
            c = float(c) * np.eye(d)
        elif c.ndim == 1:
            if c.size != d:
                raise WgflowError(
                    f"cov given as a vector of variances must have {d} entries (the mean's "
                    f"length), got {c.size}"
                )
            c = np.diag(c)
        elif c.ndim != 2:
            raise WgflowError(
                f"cov must be a scalar, a vector of variances or a (d, d) matrix, got shape "
                f"{c.shape}"
            )
        elif c.shape != (d, d):
            raise WgflowError(
                f"cov must be a ({d}, {d}) matrix to match the mean's length {d}, got shape "
                f"{c.shape}"
            )
        check_finite("cov", c)
        asym = float(np.max(np.abs(c - c.T)))
        if asym > 1e-10 * max(float(np.max(np.abs(c))), np.finfo(float).tiny):
            raise WgflowError(
                f"cov must be symmetric; max |cov - cov.T| = {asym:.3g} (cov = {c.tolist()})"
            )
        c = 0.5 * (c + c.T)
        evals, evecs = np.linalg.eigh(c)
        lam_min, lam_max = float(evals[0]), float(evals[-1])
        if not lam_max > 0 or lam_min <= d * np.finfo(float).eps * lam_max:
            raise WgflowError(
                f"cov must be positive definite; its smallest eigenvalue is {lam_min:.6g} "
                f"(largest {lam_max:.6g}); accepted: symmetric matrices with all eigenvalues "
                f"> 0 (cov = {c.tolist()})"
            )
        for arr in (m, c, evals, evecs):
            arr.setflags(write=False)
        self._mean, self._cov, self._evals, self._evecs = m, c, evals, evecs

    @classmethod
    def centred(cls, cov: ArrayLike, dim: int | None = None) -> Gaussian:
        """``N(0, cov)``; a scalar ``cov`` means ``cov I`` in dimension ``dim`` (default 1).

        Parameters
        ----------
        cov : array_like
            Any form accepted by :class:`Gaussian`.
        dim : int, optional
            The dimension; by default the size of a vector or matrix ``cov`` (1 for a scalar).
        """
        if dim is None:
            c = as_float_array("cov", cov)
            dim = c.shape[0] if c.ndim >= 1 else 1
        return cls(np.zeros(check_integer("the dimension d", dim)), cov)

    def __repr__(self) -> str:
        return f"Gaussian(mean={self._mean.tolist()}, cov={self._cov.tolist()})"

    @property
    def mean(self) -> np.ndarray:
        """Mean ``m0``, shape ``(d,)``, read-only."""
        return self._mean

    @property
    def cov(self) -> np.ndarray:
        """Covariance ``S0``, shape ``(d, d)``, symmetric positive definite, read-only."""
        return self._cov

    @property
    def dim(self) -> int:
        """Dimension ``d`` of the space."""
        return int(self._mean.size)

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

    # -- entropies (section 4) --------------------------------------------------------------
    def shannon_entropy(self) -> float:
        """Shannon (Boltzmann) entropy ``H = -∫ mu log mu`` of section 4.1.

        Returns
        -------
        float
            ``(d/2) log(2 pi e) + (1/2) log det S0``; in the paper's Figure 3 parametrisation
            (section 4.3) this is ``log sigma_1 + log sigma_2 + const``.
        """
        return float(0.5 * self.dim * (LOG_2PI + 1.0) + 0.5 * self.log_det_cov())

    def log_power_integral(self, a: float) -> float:
        """``log ∫ mu^a = (1-a) [(d/2) log(2 pi) + (1/2) log det S0] - (d/2) log a``.

        Parameters
        ----------
        a : float
            Exponent, ``a > 0``.
        """
        a = check_order("the entropy order a", a)
        log_norm = 0.5 * self.dim * LOG_2PI + 0.5 * self.log_det_cov()
        return float((1.0 - a) * log_norm - 0.5 * self.dim * np.log(a))

    def renyi_entropy(self, a: float) -> float:
        """Rényi entropy ``R_a = log(∫ mu^a) / (1 - a)``; ``R_a -> H`` as ``a -> 1``.

        Parameters
        ----------
        a : float
            Order, ``a > 0``; ``a = 1`` gives the Shannon limit.

        Returns
        -------
        float
            ``(d/2) log(2 pi) + (1/2) log det S0 + (d/2) log(a) / (a - 1)``.
        """
        a = check_order("the entropy order a", a)
        if a == 1.0:
            return self.shannon_entropy()
        d = self.dim
        return float(0.5 * d * LOG_2PI + 0.5 * self.log_det_cov() + 0.5 * d * np.log(a) / (a - 1))

    def tsallis_entropy(self, a: float) -> float:
        """Tsallis entropy ``S_a = ∫ (mu - mu^a) / (a - 1) = (1 - ∫ mu^a) / (a - 1)``.

        This is minus the paper's "Rényi entropy" ``H^alpha`` of section 4.2 (``alpha = a``):
        the backward porous-medium flow, eq. (17) ``d_t mu = -Lap mu^m``, is the descent of
        the Tsallis entropy of order ``a = m`` (the paper's ``grad H^alpha = Lap mu^alpha``,
        its exponent alpha being ``m``, read with its own sign convention ``grad H = Lap mu``
        for the Shannon entropy).

        Parameters
        ----------
        a : float
            Order, ``a > 0``; ``a = 1`` gives the Shannon limit.
        """
        a = check_order("the entropy order a", a)
        if a == 1.0:
            return self.shannon_entropy()
        return float(-np.expm1(self.log_power_integral(a)) / (a - 1.0))

    # -- density and sampling ---------------------------------------------------------------
    def logpdf(self, points: ArrayLike) -> np.ndarray:
        """Log density at ``points`` (shape ``(..., d)``); returns shape ``(...)``."""
        flat, shape = self.flatten(points)
        chol = np.linalg.cholesky(self._cov)  # S0 = L L^T: the quadratic form is |L^-1 (x - m0)|^2
        z = np.linalg.solve(chol, (flat - self._mean).T)
        out = -0.5 * self.dim * LOG_2PI - np.sum(np.log(np.diag(chol))) - 0.5 * np.sum(z * z, 0)
        return out.reshape(self.value_shape(shape))

    def pdf(self, points: ArrayLike) -> np.ndarray:
        """Density ``(2 pi)^{-d/2} det(S0)^{-1/2} exp(-(x-m0)^T S0^{-1} (x-m0) / 2)``."""
        return np.exp(self.logpdf(points))

    def sample(self, n: int, rng: np.random.Generator | int | None = None) -> np.ndarray:
        """Draw ``n`` samples, shape ``(n, d)``.

        Parameters
        ----------
        n : int
            Number of samples, ``>= 0``.
        rng : numpy.random.Generator or int or None
            A generator, or a seed for :func:`numpy.random.default_rng`.
        """
        n = check_integer("n", n, 0)
        z = check_rng("rng", rng).standard_normal((n, self.dim))
        return self._mean + (z * np.sqrt(self._evals)) @ self._evecs.T

    def heat_flow(self, t: float) -> Gaussian:
        """The heat flow ``d_t mu = Lap mu`` from this Gaussian at time ``t``: ``N(m0, S0 + 2tI)``.

        A negative ``t`` runs the backward heat equation (11) for the time ``|t|``: the
        pushforward of the continuous DAE, eq. (12) (Theorem 3.1).

        Parameters
        ----------
        t : float
            Any finite real ``t > -lambda_min(S0)/2``; at ``-lambda_min(S0)/2`` the backward
            flow collapses an axis.

        Returns
        -------
        Gaussian
            ``N(m0, S0 + 2tI)``.
        """
        if isinstance(t, bool) or not isinstance(t, numbers.Real) or not np.isfinite(t):
            raise WgflowError(f"t must be a finite real number, got {t!r}")
        t_min = -0.5 * float(self._evals[0])
        if t <= t_min:
            raise WgflowError(
                f"t = {t!r} is at or past the singular time -lambda_min(cov)/2 = {t_min!r}: "
                f"the backward heat flow (eq. (11)) from this Gaussian collapses at time "
                f"lambda_min(cov)/2 = {-t_min!r}; accepted: t > {t_min!r}"
            )
        return Gaussian(self._mean, self._cov + 2.0 * float(t) * np.eye(self.dim))

    # -- helpers for the maps of eqs. (12)-(13) ---------------------------------------------
    def flatten(self, points: ArrayLike) -> tuple[np.ndarray, tuple[int, ...]]:
        """Return ``(flat, shape)``: ``points`` as an ``(n, d)`` array, and their shape.

        In 1-D an input whose last axis is not of length 1 (or a scalar) holds scalar points.
        """
        arr = as_float_array("points", points)
        if self.dim == 1 and (arr.ndim == 0 or arr.shape[-1] != 1) or (
            arr.ndim >= 1 and arr.shape[-1] == self.dim
        ):
            check_finite("points", arr)
            return arr.reshape(-1, self.dim), arr.shape
        raise WgflowError(
            f"points must have shape (..., d) with d = {self.dim} (the Gaussian's dimension), "
            f"got shape {arr.shape}"
        )

    def value_shape(self, shape: tuple[int, ...]) -> tuple[int, ...]:
        """Shape of one value per point for points of ``shape`` (drops the coordinate axis)."""
        scalar_points = self.dim == 1 and (len(shape) == 0 or shape[-1] != 1)
        return shape if scalar_points else shape[:-1]

    def scale(self, flat: np.ndarray, factors: np.ndarray) -> np.ndarray:
        """``m0 + V diag(c) V^T (x - m0)`` for the rows ``x`` of ``flat`` and each row ``c``.

        ``factors`` of shape ``(d,)`` give shape ``(n, d)``; ``(T, d)`` give ``(T, n, d)``.
        """
        y = (flat - self._mean) @ self._evecs
        return self._mean + (y * factors[..., None, :]) @ self._evecs.T

    def with_eigenvalues(self, lam: np.ndarray) -> Gaussian:
        """``N(m0, V diag(lam) V^T)`` with this Gaussian's eigenvectors ``V``."""
        cov = (self._evecs * lam) @ self._evecs.T
        return Gaussian(self._mean, 0.5 * (cov + cov.T))


def bures_distance(g0: Gaussian, g1: Gaussian) -> float:
    """Quadratic Wasserstein distance between two Gaussians (the Bures–Wasserstein distance).

    ``W2^2 = |m0 - m1|^2 + tr(S0 + S1 - 2 (S0^{1/2} S1 S0^{1/2})^{1/2})``, computed by POT
    (:func:`wgflow.transport.bures_wasserstein`).  For commuting covariances it is
    ``sqrt(|m0 - m1|^2 + sum_i (sqrt(lam_i) - sqrt(mu_i))^2)`` over the common eigenbasis; the
    optimal map between them is affine (the maps of eqs. (12)-(13) are such maps).

    Parameters
    ----------
    g0, g1 : Gaussian
        Two Gaussians of the same dimension.

    Returns
    -------
    float
        ``W2(g0, g1) >= 0``, the square root of a difference of traces: for two equal
        Gaussians it may be of the order of ``1e-7`` rather than 0.
    """
    g0, g1 = check_gaussian("g0", g0), check_gaussian("g1", g1)
    if g0.dim != g1.dim:
        raise WgflowError(f"the Gaussians must have the same dimension, got {g0.dim} and {g1.dim}")
    return transport.bures_wasserstein(g0.mean, g0.cov, g1.mean, g1.cov)
