"""Exact solutions and closed-form entropies used as references (DESIGN.md section 4).

Two families of exact solutions are provided, together with the values of the entropies of
DESIGN.md section 1 along them:

* the heat equation ``d_t mu = Lap mu`` started from a Gaussian ``N(mean, cov)`` stays Gaussian,
  ``N(mean, cov + 2 t I)``; negative times give the backward heat equation (eq. (11) of the
  paper) up to its singular time ``lambda_min(cov) / 2``;
* the porous medium equation ``d_t rho = Lap rho^m`` (``m > 1``) has the Barenblatt
  (source-type) solution ``rho(x, t) = t^-alpha (C - k |x|^2 t^(-2 alpha / d))_+^(1/(m-1))``.

Entropy conventions are exactly those of DESIGN.md section 1, applied as written (also to
densities whose mass is not 1):

* Shannon ``H[mu] = -∫ mu log mu``;
* Tsallis ``S_a[mu] = ∫ (mu - mu^a) / (a - 1)``;
* Rényi ``R_a[mu] = log(∫ mu^a) / (1 - a)``.

All grid functions sample the exact solution at the cell centres (values per unit volume);
nothing is renormalised on the grid, so the grid mass differs from the exact mass by the
quadrature error of the midpoint rule and by the mass outside the box.
"""

from __future__ import annotations

import numbers
from collections.abc import Sequence

import numpy as np
from scipy.special import digamma, gammaln

from .density import Density
from .errors import WgflowError, check_integer, check_positive
from .grid import Grid

__all__ = [
    "heat_gaussian",
    "heat_gaussian_mixture",
    "barenblatt_exponents",
    "barenblatt",
    "barenblatt_mass",
    "barenblatt_support_radius",
    "gaussian_shannon_entropy",
    "gaussian_renyi_entropy",
    "gaussian_tsallis_entropy",
    "barenblatt_shannon_entropy",
    "barenblatt_renyi_entropy",
    "barenblatt_tsallis_entropy",
]

CovarianceLike = float | Sequence[float] | Sequence[Sequence[float]] | np.ndarray


# ---------------------------------------------------------------------------------------
# input checks
# ---------------------------------------------------------------------------------------
def _check_real(name: str, value: float) -> float:
    """Return ``value`` as a float if it is a finite real number, else raise naming it."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise WgflowError(f"{name} must be a finite real number, got {value!r}")
    value = float(value)
    if not np.isfinite(value):
        raise WgflowError(f"{name} must be a finite real number, got {value!r}")
    return value


def _check_dimension(d: int) -> int:
    return check_integer("the dimension d", d)


def _check_exponent_m(m: float) -> float:
    if isinstance(m, bool) or not isinstance(m, numbers.Real) or not np.isfinite(m):
        raise WgflowError(
            f"the porous-medium exponent m must be a finite real number > 1, got {m!r}"
        )
    m = float(m)
    if m <= 1.0:
        raise WgflowError(
            f"the porous-medium exponent m must be > 1 (m = 1 is the heat equation, "
            f"use heat_gaussian), got m = {m!r}"
        )
    return m


def _check_order(a: float) -> float:
    """Entropy order ``a``: a finite real number > 0."""
    if isinstance(a, bool) or not isinstance(a, numbers.Real) or not np.isfinite(a):
        raise WgflowError(f"the entropy order a must be a finite real number > 0, got {a!r}")
    a = float(a)
    if a <= 0.0:
        raise WgflowError(
            f"the entropy order a must be > 0 (for a <= 0, ∫ mu^a diverges), got a = {a!r}"
        )
    return a


def _mean_vector(
    mean: float | Sequence[float] | np.ndarray, d: int, name: str = "mean"
) -> np.ndarray:
    """``mean`` as a float array of shape ``(d,)`` (a scalar is accepted when d = 1)."""
    try:
        vector = np.asarray(mean, dtype=float)
    except (TypeError, ValueError) as exc:
        raise WgflowError(f"{name} must be a vector of {d} real numbers, got {mean!r}") from exc
    if vector.ndim == 0 and d == 1:
        vector = vector.reshape(1)
    if vector.shape != (d,):
        raise WgflowError(
            f"{name} must have length {d} (the grid dimension), got shape {vector.shape} "
            f"from {mean!r}"
        )
    if not np.isfinite(vector).all():
        raise WgflowError(f"{name} must be finite, got {mean!r}")
    return vector


def _covariance_matrix(cov: CovarianceLike, d: int | None = None, name: str = "cov") -> np.ndarray:
    """Turn an accepted covariance into a symmetric positive definite ``(d, d)`` matrix.

    Accepted forms: a scalar variance ``s`` (meaning ``s I``; d defaults to 1), a length-d
    vector (the diagonal), or a ``d x d`` symmetric positive definite matrix.
    """
    try:
        array = np.asarray(cov, dtype=float)
    except (TypeError, ValueError) as exc:
        raise WgflowError(
            f"{name} must be a scalar variance, a length-d vector (diagonal) or a d x d "
            f"matrix, got {cov!r}"
        ) from exc
    if d is not None:
        d = _check_dimension(d)
    if array.ndim == 0:
        d = 1 if d is None else d
        matrix = float(array) * np.eye(d)
    elif array.ndim == 1:
        if d is not None and array.shape[0] != d:
            raise WgflowError(
                f"{name} given as a vector (diagonal) must have length {d}, got length "
                f"{array.shape[0]}"
            )
        matrix = np.diag(array)
    elif array.ndim == 2 and array.shape[0] == array.shape[1]:
        if d is not None and array.shape[0] != d:
            raise WgflowError(
                f"{name} given as a matrix must be {d} x {d}, got shape {array.shape}"
            )
        matrix = array.copy()
    else:
        raise WgflowError(
            f"{name} must be a scalar variance, a length-d vector (diagonal) or a d x d "
            f"matrix, got an array of shape {array.shape}"
        )
    if matrix.shape[0] == 0:
        raise WgflowError(f"{name} must not be empty")
    if not np.isfinite(matrix).all():
        raise WgflowError(f"{name} must be finite, got {cov!r}")
    scale = float(np.max(np.abs(matrix)))
    if not np.allclose(matrix, matrix.T, rtol=0.0, atol=1e-12 * max(scale, 1e-300)):
        raise WgflowError(f"{name} must be symmetric, got {matrix.tolist()!r}")
    matrix = 0.5 * (matrix + matrix.T)
    lam_min = float(np.linalg.eigvalsh(matrix)[0])
    if not lam_min > 0.0:
        raise WgflowError(
            f"{name} must be positive definite, but its smallest eigenvalue is {lam_min!r} "
            f"(matrix {matrix.tolist()!r})"
        )
    return matrix


def _evolved_covariance(cov: np.ndarray, t: float, name: str = "cov") -> np.ndarray:
    """``cov + 2 t I``, raising if ``t`` is at or before the singular time ``-lambda_min/2``."""
    lam_min = float(np.linalg.eigvalsh(cov)[0])
    evolved = cov + 2.0 * t * np.eye(cov.shape[0])
    if not (t > -lam_min / 2.0 and float(np.linalg.eigvalsh(evolved)[0]) > 0.0):
        raise WgflowError(
            f"t = {t!r} is at or past the singular time t* = -lambda_min({name})/2 = "
            f"{-lam_min / 2:.17g}: {name} + 2 t I is no longer positive definite (the backward "
            f"heat flow from this Gaussian, eq. (11), collapses at time lambda_min({name})/2 = "
            f"{lam_min / 2:.17g}); accepted: t > {-lam_min / 2:.17g}"
        )
    return evolved


def _gaussian_values(grid: Grid, mean: np.ndarray, cov: np.ndarray) -> np.ndarray:
    """Density of ``N(mean, cov)`` at the cell centres, shape ``grid.shape``.

    ``(2 pi)^(-d/2) det(cov)^(-1/2) exp(-(x - mean)^T cov^-1 (x - mean) / 2)``, computed with
    the Cholesky factor ``cov = L L^T``: the quadratic form is ``|L^-1 (x - mean)|^2``.
    """
    d = grid.ndim
    chol = np.linalg.cholesky(cov)
    centred = grid.points - mean  # (N, d)
    z = np.linalg.solve(chol, centred.T)  # (d, N), L z = x - mean
    log_values = (
        -0.5 * d * np.log(2.0 * np.pi)
        - np.sum(np.log(np.diag(chol)))
        - 0.5 * np.sum(z * z, axis=0)
    )
    return np.exp(log_values).reshape(grid.shape)


def _check_grid(grid: Grid) -> Grid:
    if not isinstance(grid, Grid):
        raise WgflowError(f"grid must be a wgflow.Grid, got {type(grid).__name__}")
    return grid


# ---------------------------------------------------------------------------------------
# heat equation: Gaussians
# ---------------------------------------------------------------------------------------
def heat_gaussian(
    grid: Grid,
    mean: float | Sequence[float] | np.ndarray,
    cov: CovarianceLike,
    t: float,
) -> Density:
    r"""The heat flow of a Gaussian: ``N(mean, cov + 2 t I)`` sampled at the cell centres.

    The heat equation ``d_t mu = Lap mu`` started from ``mu_0 = N(mean, cov)`` has the
    solution

    .. math:: \mu_t(x) = (2\pi)^{-d/2} \det(\Sigma_t)^{-1/2}
              \exp\!\big(-\tfrac12 (x - m)^T \Sigma_t^{-1} (x - m)\big),
              \qquad \Sigma_t = \Sigma + 2 t I.

    A negative ``t`` gives the backward heat equation ``d_t mu = -Lap mu`` (eq. (11) of the
    paper) at time ``|t|``: ``N(mean, cov - 2|t| I)``, defined while ``cov + 2 t I`` is positive
    definite, i.e. for ``t > -lambda_min(cov) / 2``.

    Parameters
    ----------
    grid : Grid
        Grid whose cell centres are sampled.
    mean : array_like
        Mean vector of length ``grid.ndim`` (a scalar in 1-D).
    cov : float, array_like
        Initial covariance: a scalar variance ``s`` (isotropic, ``s I``), a length-d vector
        (diagonal covariance) or a ``d x d`` symmetric positive definite matrix.
    t : float
        Time; any real ``t > -lambda_min(cov) / 2``.

    Returns
    -------
    Density
        Values per unit volume of the exact solution at the cell centres.  They are *not*
        renormalised on the grid: the grid mass is 1 up to the midpoint-rule error and the mass
        outside the box.

    Raises
    ------
    WgflowError
        If ``mean`` has the wrong length, ``cov`` is not symmetric positive definite or of
        the wrong size, or ``t`` is at or past the singular time ``-lambda_min(cov)/2``.
    """
    grid = _check_grid(grid)
    d = grid.ndim
    mean_v = _mean_vector(mean, d)
    cov_m = _covariance_matrix(cov, d)
    t = _check_real("t", t)
    return Density(grid, _gaussian_values(grid, mean_v, _evolved_covariance(cov_m, t)))


def heat_gaussian_mixture(
    grid: Grid,
    weights: Sequence[float] | np.ndarray,
    means: Sequence[float | Sequence[float]] | np.ndarray,
    covs: Sequence[CovarianceLike],
    t: float,
) -> Density:
    r"""The heat flow of a Gaussian mixture, component by component.

    For ``mu_0 = sum_j w_j N(m_j, S_j)`` with ``w_j >= 0`` normalised to ``sum_j w_j = 1``,
    linearity of the heat equation gives

    .. math:: \mu_t = \sum_j w_j\, N(m_j, S_j + 2 t I).

    Parameters
    ----------
    grid : Grid
        Grid whose cell centres are sampled.
    weights : array_like
        K non-negative weights with a positive sum; they are divided by their sum.
    means : sequence
        K means, each of length ``grid.ndim`` (scalars in 1-D).
    covs : sequence
        K covariances, each in any form accepted by :func:`heat_gaussian`.
    t : float
        Time; ``t > max_j(-lambda_min(S_j) / 2)`` (negative t: backward heat equation).

    Returns
    -------
    Density
        The mixture at the cell centres, not renormalised on the grid.
    """
    grid = _check_grid(grid)
    d = grid.ndim
    try:
        w = np.asarray(weights, dtype=float)
    except (TypeError, ValueError) as exc:
        raise WgflowError(f"weights must be a vector of real numbers, got {weights!r}") from exc
    if w.ndim != 1 or w.size == 0:
        raise WgflowError(f"weights must be a non-empty 1-D vector, got shape {w.shape}")
    if not np.isfinite(w).all() or (w < 0).any():
        raise WgflowError(f"weights must be finite and non-negative, got {w.tolist()!r}")
    total = float(w.sum())
    if not total > 0.0:
        raise WgflowError(f"weights must have a positive sum, got {w.tolist()!r}")
    w = w / total
    k = w.size
    if len(means) != k or len(covs) != k:
        raise WgflowError(
            f"weights, means and covs must have the same length (one per component); got "
            f"{k} weights, {len(means)} means and {len(covs)} covs"
        )
    t = _check_real("t", t)
    values = np.zeros(grid.shape)
    for j in range(k):
        mean_j = _mean_vector(means[j], d, name=f"means[{j}]")
        cov_j = _covariance_matrix(covs[j], d, name=f"covs[{j}]")
        cov_t = _evolved_covariance(cov_j, t, name=f"covs[{j}]")
        if w[j] > 0.0:
            values += w[j] * _gaussian_values(grid, mean_j, cov_t)
    return Density(grid, values)


# ---------------------------------------------------------------------------------------
# Gaussian entropies
# ---------------------------------------------------------------------------------------
def _gaussian_log_power_integral(cov: np.ndarray, a: float) -> float:
    """``log ∫ N(0, cov)^a = (1-a)/2 [d log(2 pi) + log det cov] - (d/2) log a``."""
    d = cov.shape[0]
    _, logdet = np.linalg.slogdet(cov)
    return 0.5 * (1.0 - a) * (d * np.log(2.0 * np.pi) + logdet) - 0.5 * d * np.log(a)


def gaussian_shannon_entropy(cov: CovarianceLike, d: int | None = None) -> float:
    r"""Shannon entropy ``H = -∫ mu log mu`` of ``mu = N(m, cov)``.

    .. math:: H = \frac d2 \log(2\pi e) + \frac12 \log\det\Sigma
              = \frac d2 \log\big(2\pi e \det(\Sigma)^{1/d}\big).

    Parameters
    ----------
    cov : float, array_like
        A scalar variance (isotropic, dimension ``d``), a length-d vector (diagonal) or a
        ``d x d`` symmetric positive definite matrix.
    d : int, optional
        Dimension; needed only for a scalar ``cov`` in more than one dimension (default 1 for
        a scalar), checked against the size of a vector or matrix ``cov``.
    """
    cov_m = _covariance_matrix(cov, d)
    dim = cov_m.shape[0]
    _, logdet = np.linalg.slogdet(cov_m)
    return float(0.5 * dim * np.log(2.0 * np.pi * np.e) + 0.5 * logdet)


def gaussian_renyi_entropy(cov: CovarianceLike, a: float, d: int | None = None) -> float:
    r"""Rényi entropy ``R_a = log(∫ mu^a) / (1 - a)`` of ``mu = N(m, cov)``.

    From ``∫ mu^a = (2 pi)^{d(1-a)/2} det(cov)^{(1-a)/2} a^{-d/2}``:

    .. math:: R_a = \frac d2 \log(2\pi) + \frac12 \log\det\Sigma - \frac{d \log a}{2(1-a)}.

    At ``a = 1`` the limit, the Shannon entropy :func:`gaussian_shannon_entropy`, is returned.

    Parameters
    ----------
    cov : float, array_like
        Covariance in any accepted form (see :func:`gaussian_shannon_entropy`).
    a : float
        Order, ``a > 0``.
    d : int, optional
        Dimension for a scalar ``cov``.
    """
    cov_m = _covariance_matrix(cov, d)
    a = _check_order(a)
    dim = cov_m.shape[0]
    if a == 1.0:
        return gaussian_shannon_entropy(cov_m)
    _, logdet = np.linalg.slogdet(cov_m)
    # log(a)/(1-a) -> -1 as a -> 1; log1p keeps it accurate near a = 1
    log_ratio = np.log1p(a - 1.0) / (1.0 - a)
    return float(0.5 * dim * np.log(2.0 * np.pi) + 0.5 * logdet - 0.5 * dim * log_ratio)


def gaussian_tsallis_entropy(cov: CovarianceLike, a: float, d: int | None = None) -> float:
    r"""Tsallis entropy ``S_a = ∫ (mu - mu^a) / (a - 1)`` of the probability ``mu = N(m, cov)``.

    With ``∫ mu = 1`` and ``∫ mu^a = exp((1 - a) R_a)`` (:func:`gaussian_renyi_entropy`):

    .. math:: S_a = \frac{1 - e^{(1-a) R_a}}{a - 1} = \frac{\operatorname{expm1}((1-a) R_a)}{1-a},

    evaluated with ``expm1`` so that it is accurate near ``a = 1``; at ``a = 1`` the limit,
    the Shannon entropy, is returned.

    Parameters
    ----------
    cov : float, array_like
        Covariance in any accepted form (see :func:`gaussian_shannon_entropy`).
    a : float
        Order, ``a > 0``.
    d : int, optional
        Dimension for a scalar ``cov``.
    """
    cov_m = _covariance_matrix(cov, d)
    a = _check_order(a)
    if a == 1.0:
        return gaussian_shannon_entropy(cov_m)
    renyi = gaussian_renyi_entropy(cov_m, a)
    return float(np.expm1((1.0 - a) * renyi) / (1.0 - a))


# ---------------------------------------------------------------------------------------
# porous medium: Barenblatt
# ---------------------------------------------------------------------------------------
def barenblatt_exponents(d: int, m: float) -> tuple[float, float]:
    r"""Exponents ``(alpha, k)`` of the Barenblatt solution in dimension ``d``.

    .. math:: \alpha = \frac{d}{d(m-1) + 2}, \qquad k = \frac{\alpha (m-1)}{2 m d}.

    The self-similar variable is ``x t^(-alpha/d)``.

    Parameters
    ----------
    d : int
        Dimension, an integer >= 1.
    m : float
        Porous-medium exponent, ``m > 1``.
    """
    d = _check_dimension(d)
    m = _check_exponent_m(m)
    alpha = d / (d * (m - 1.0) + 2.0)
    k = alpha * (m - 1.0) / (2.0 * m * d)
    return alpha, k


def _check_barenblatt(d: int, m: float, C: float) -> tuple[int, float, float, float, float]:
    d = _check_dimension(d)
    m = _check_exponent_m(m)
    C = check_positive("the Barenblatt constant C", C)
    alpha, k = barenblatt_exponents(d, m)
    return d, m, C, alpha, k


def _check_time(t: float) -> float:
    if isinstance(t, bool) or not isinstance(t, numbers.Real) or not np.isfinite(t):
        raise WgflowError(f"the Barenblatt time t must be a finite real number > 0, got {t!r}")
    t = float(t)
    if t <= 0.0:
        raise WgflowError(
            f"the Barenblatt time t must be > 0 (the solution is a Dirac mass at t = 0), "
            f"got t = {t!r}"
        )
    return t


def _log_profile_power_integral(d: int, C: float, k: float, q: float) -> float:
    r"""``log ∫_{R^d} (C - k |y|^2)_+^q dy`` for ``q > -1``.

    Polar coordinates and ``u = k r^2 / C`` turn the integral into a Beta function:

    .. math:: \int_{R^d} (C - k|y|^2)_+^q\,dy
              = |S^{d-1}| \int_0^{\sqrt{C/k}} (C - k r^2)^q r^{d-1} dr
              = \frac{2\pi^{d/2}}{\Gamma(d/2)} \cdot \frac12 C^{q} (C/k)^{d/2} B(d/2, q+1)
              = \pi^{d/2} C^{q + d/2} k^{-d/2} \frac{\Gamma(q+1)}{\Gamma(q+1+d/2)}.
    """
    return float(
        0.5 * d * np.log(np.pi)
        + (q + 0.5 * d) * np.log(C)
        - 0.5 * d * np.log(k)
        + gammaln(q + 1.0)
        - gammaln(q + 1.0 + 0.5 * d)
    )


def barenblatt(
    grid: Grid,
    m: float,
    t: float,
    C: float,
    center: float | Sequence[float] | np.ndarray | None = None,
) -> Density:
    r"""The Barenblatt solution of the porous medium equation ``d_t rho = Lap rho^m``.

    .. math:: \rho(x, t) = t^{-\alpha}
              \big(C - k |x - x_0|^2 t^{-2\alpha/d}\big)_+^{1/(m-1)},
              \qquad \alpha = \frac{d}{d(m-1)+2},\quad k = \frac{\alpha(m-1)}{2md}

    (DESIGN.md section 4), sampled at the cell centres, not renormalised on the grid.  Its
    mass :func:`barenblatt_mass` does not depend on ``t``; its support is the ball of radius
    :func:`barenblatt_support_radius` around ``x_0``.

    Parameters
    ----------
    grid : Grid
        Grid whose cell centres are sampled (d = 1, 2 or 3).
    m : float
        Exponent, ``m > 1``.
    t : float
        Time, ``t > 0``.
    C : float
        Constant fixing the mass, ``C > 0``.
    center : array_like, optional
        Centre ``x_0`` (length ``grid.ndim``); default the origin.

    Raises
    ------
    WgflowError
        If ``m <= 1``, ``t <= 0``, ``C <= 0`` or ``center`` has the wrong length.
    """
    grid = _check_grid(grid)
    d, m, C, alpha, k = _check_barenblatt(grid.ndim, m, C)
    t = _check_time(t)
    x0 = np.zeros(d) if center is None else _mean_vector(center, d, name="center")
    r2 = sum((x - c) ** 2 for x, c in zip(grid.coordinates, x0))
    base = np.maximum(C - k * r2 * t ** (-2.0 * alpha / d), 0.0)
    return Density(grid, t ** (-alpha) * base ** (1.0 / (m - 1.0)))


def barenblatt_mass(d: int, m: float, C: float) -> float:
    r"""Exact mass ``∫ rho(x, t) dx`` of the Barenblatt solution (the same for every t).

    With ``p = 1/(m-1)`` and the self-similar change of variables ``y = x t^(-alpha/d)``,

    .. math:: M = \int_{R^d} (C - k|y|^2)_+^{p}\,dy
              = \pi^{d/2} C^{p + d/2} k^{-d/2} \frac{\Gamma(p+1)}{\Gamma(p+1+d/2)}.

    Parameters
    ----------
    d : int
        Dimension, an integer >= 1.
    m : float
        Exponent, ``m > 1``.
    C : float
        Constant, ``C > 0``.
    """
    d, m, C, alpha, k = _check_barenblatt(d, m, C)
    return float(np.exp(_log_profile_power_integral(d, C, k, 1.0 / (m - 1.0))))


def barenblatt_support_radius(d: int, m: float, t: float, C: float) -> float:
    r"""Radius of the support of the Barenblatt solution at time ``t``.

    .. math:: R(t) = \sqrt{C / k}\; t^{\alpha/d}.

    Parameters
    ----------
    d : int
        Dimension, an integer >= 1.
    m : float
        Exponent, ``m > 1``.
    t : float
        Time, ``t > 0``.
    C : float
        Constant, ``C > 0``.
    """
    d, m, C, alpha, k = _check_barenblatt(d, m, C)
    t = _check_time(t)
    return float(np.sqrt(C / k) * t ** (alpha / d))


def _barenblatt_log_power_integral(d: int, m: float, t: float, C: float, a: float) -> float:
    r"""``log ∫ rho(., t)^a = alpha (1 - a) log t + log ∫ (C - k|y|^2)_+^{a/(m-1)} dy``.

    Self-similarity: ``rho(x, t) = t^-alpha F(x t^(-alpha/d))`` with
    ``F(y) = (C - k|y|^2)_+^(1/(m-1))``, so with ``x = t^(alpha/d) y``, ``dx = t^alpha dy``,
    ``∫ rho^a dx = t^(-alpha a) t^alpha ∫ F^a dy = t^(alpha (1 - a)) ∫ F^a dy``.
    """
    alpha, k = barenblatt_exponents(d, m)
    return alpha * (1.0 - a) * np.log(t) + _log_profile_power_integral(
        d, C, k, a / (m - 1.0)
    )


def barenblatt_shannon_entropy(d: int, m: float, t: float, C: float) -> float:
    r"""Shannon entropy ``H = -∫ rho log rho`` of the Barenblatt solution (mass ``M``).

    Write ``G(y) = (C - k|y|^2)_+``, ``p = 1/(m-1)``, ``J(q) = ∫ G^q dy`` (the Beta-function
    formula of :func:`barenblatt_mass`, ``M = J(p)``).  Self-similarity gives
    ``H(t) = alpha M log t - ∫ F log F dy`` with ``F = G^p``, and
    ``∫ F log F = p J'(p)``, where differentiating the closed form of ``J`` gives

    .. math:: H(t) = \alpha M \log t
              - p M \big(\log C + \psi(p+1) - \psi(p+1+d/2)\big),

    ``psi`` the digamma function.  This is a closed form; no quadrature is used.

    Parameters
    ----------
    d : int
        Dimension, an integer >= 1.
    m : float
        Exponent, ``m > 1``.
    t : float
        Time, ``t > 0``.
    C : float
        Constant, ``C > 0``.
    """
    d, m, C, alpha, k = _check_barenblatt(d, m, C)
    t = _check_time(t)
    p = 1.0 / (m - 1.0)
    mass = np.exp(_log_profile_power_integral(d, C, k, p))
    f_log_f = p * mass * (np.log(C) + digamma(p + 1.0) - digamma(p + 1.0 + 0.5 * d))
    return float(alpha * mass * np.log(t) - f_log_f)


def barenblatt_renyi_entropy(d: int, m: float, t: float, C: float, a: float) -> float:
    r"""Rényi entropy ``R_a = log(∫ rho^a) / (1 - a)`` of the Barenblatt solution.

    The formula is applied as written to the (not normalised) Barenblatt profile.  With
    :func:`_barenblatt_log_power_integral` and ``q = a/(m-1)``,

    .. math:: R_a(t) = \alpha \log t + \frac{1}{1-a}\Big(\frac d2 \log\pi
              + \big(q + \tfrac d2\big)\log C - \tfrac d2 \log k
              + \log\Gamma(q+1) - \log\Gamma(q+1+\tfrac d2)\Big),

    so ``R_a(t) - alpha log t`` is constant in ``t`` (DESIGN.md section 4).

    Parameters
    ----------
    d : int
        Dimension, an integer >= 1.
    m : float
        Exponent, ``m > 1``.
    t : float
        Time, ``t > 0``.
    C : float
        Constant, ``C > 0``.
    a : float
        Order, ``a > 0`` and ``a != 1``.  At ``a = 1`` the Rényi entropy of a density of mass
        ``M != 1`` has no limit (``log M / (1 - a)`` diverges); use
        :func:`barenblatt_shannon_entropy`.
    """
    d, m, C, alpha, k = _check_barenblatt(d, m, C)
    t = _check_time(t)
    a = _check_order(a)
    if a == 1.0:
        raise WgflowError(
            "the Rényi entropy of order a = 1 is not defined for the Barenblatt profile "
            "(its mass is not 1, so log(∫ rho^a)/(1 - a) diverges as a -> 1); accepted: "
            "a > 0 with a != 1, or use barenblatt_shannon_entropy"
        )
    return float(_barenblatt_log_power_integral(d, m, t, C, a) / (1.0 - a))


def barenblatt_tsallis_entropy(d: int, m: float, t: float, C: float, a: float) -> float:
    r"""Tsallis entropy ``S_a = ∫ (rho - rho^a) / (a - 1)`` of the Barenblatt solution.

    Applied as written to the profile of mass ``M`` (:func:`barenblatt_mass`):

    .. math:: S_a(t) = \frac{M - t^{\alpha(1-a)} \int F^a}{a - 1}
              = \frac{-M\,\operatorname{expm1}\big(\log\int\rho^a - \log M\big)}{a - 1},

    with ``log ∫ rho^a`` from the Beta-function formula (see
    :func:`barenblatt_renyi_entropy`).  At ``a = 1`` the limit, the Shannon entropy
    :func:`barenblatt_shannon_entropy`, is returned.

    Parameters
    ----------
    d : int
        Dimension, an integer >= 1.
    m : float
        Exponent, ``m > 1``.
    t : float
        Time, ``t > 0``.
    C : float
        Constant, ``C > 0``.
    a : float
        Order, ``a > 0``.
    """
    d, m, C, alpha, k = _check_barenblatt(d, m, C)
    t = _check_time(t)
    a = _check_order(a)
    if a == 1.0:
        return barenblatt_shannon_entropy(d, m, t, C)
    log_mass = _log_profile_power_integral(d, C, k, 1.0 / (m - 1.0))
    log_power = _barenblatt_log_power_integral(d, m, t, C, a)
    return float(-np.exp(log_mass) * np.expm1(log_power - log_mass) / (a - 1.0))
