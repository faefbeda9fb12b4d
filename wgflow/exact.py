"""Exact solutions and closed-form entropies used as references.

Two families of exact solutions are provided, together with the values of the entropies
along them:

* the heat equation ``d_t mu = Lap mu`` started from a Gaussian ``N(mean, cov)`` stays Gaussian,
  ``N(mean, cov + 2 t I)`` (:meth:`wgflow.gaussian.Gaussian.heat_flow`); negative times give the
  backward heat equation (eq. (11) of the paper) up to its singular time ``lambda_min(cov) / 2``;
* the porous medium equation ``d_t rho = Lap rho^m`` (``m > 1``) has the Barenblatt
  (source-type) solution ``rho(x, t) = t^-alpha (C - k |x|^2 t^(-2 alpha / d))_+^(1/(m-1))``.

The entropies are applied as written (also to densities whose mass is not 1):

* Shannon ``H[mu] = -∫ mu log mu``;
* Tsallis ``S_a[mu] = ∫ (mu - mu^a) / (a - 1)``;
* Rényi ``R_a[mu] = log(∫ mu^a) / (1 - a)``.

The Gaussian ones are those of :class:`wgflow.gaussian.Gaussian`, which also checks every mean
and covariance given here.  All grid functions sample the exact solution at the cell centres
(values per unit volume); nothing is renormalised on the grid, so the grid mass differs from the
exact mass by the quadrature error of the midpoint rule and by the mass outside the box.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import ArrayLike
from scipy.special import digamma, gammaln

from .density import Density
from .errors import WgflowError, check_exponent, check_integer, check_order, check_positive
from .gaussian import Gaussian
from .gaussian.distribution import as_float_array, check_finite
from .grid import Grid
from .kde import check_samples, kde_bandwidths, kde_values

__all__ = [
    "heat_gaussian",
    "heat_gaussian_mixture",
    "kde",
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


def _check_grid(grid: Grid) -> Grid:
    if not isinstance(grid, Grid):
        raise WgflowError(f"grid must be a wgflow.Grid, got {type(grid).__name__}")
    return grid


def _vector(value: ArrayLike, d: int, name: str) -> np.ndarray:
    """``value`` as a finite float array of shape ``(d,)`` (a scalar is accepted when d = 1)."""
    vector = np.atleast_1d(as_float_array(name, value))
    if vector.shape != (d,):
        raise WgflowError(
            f"{name} must have length {d} (the grid dimension), got shape {vector.shape} "
            f"from {value!r}"
        )
    check_finite(name, vector)
    return vector


def _heat_values(grid: Grid, mean: ArrayLike, cov: CovarianceLike, t: float) -> np.ndarray:
    """``N(mean, cov + 2tI)`` at the cell centres, shape ``grid.shape``."""
    g = Gaussian(_vector(mean, grid.ndim, "mean"), cov).heat_flow(t)
    return g.pdf(grid.points).reshape(grid.shape)


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
    return Density(grid, _heat_values(grid, mean, cov, t))


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

    Raises
    ------
    WgflowError
        For bad weights, or a bad component (the message names it: ``component j``).
    """
    grid = _check_grid(grid)
    w = as_float_array("weights", weights)
    if w.ndim != 1 or w.size == 0:
        raise WgflowError(f"weights must be a non-empty 1-D vector, got shape {w.shape}")
    if not np.isfinite(w).all() or (w < 0).any():
        raise WgflowError(f"weights must be finite and non-negative, got {w.tolist()!r}")
    total = float(w.sum())
    if not total > 0.0:
        raise WgflowError(f"weights must have a positive sum, got {w.tolist()!r}")
    w = w / total
    for name, items in (("means", means), ("covs", covs)):
        if not isinstance(items, (Sequence, np.ndarray)) or isinstance(items, (str, bytes)):
            raise WgflowError(
                f"{name} must be a sequence of {w.size} (one per weight), got {items!r}"
            )
    if len(means) != w.size or len(covs) != w.size:
        raise WgflowError(
            f"weights, means and covs must have the same length (one per component); got "
            f"{w.size} weights, {len(means)} means and {len(covs)} covs"
        )
    values = np.zeros(grid.shape)
    for j in range(w.size):
        try:
            component = _heat_values(grid, means[j], covs[j], t)
        except WgflowError as exc:
            raise WgflowError(f"component {j} (means[{j}], covs[{j}]): {exc}") from exc
        if w[j] > 0.0:
            values += w[j] * component
    return Density(grid, values)


def kde(
    grid: Grid,
    samples: np.ndarray,
    bandwidth: float | str | Sequence[float] | np.ndarray,
    t: float,
    weights: np.ndarray | None = None,
) -> Density:
    r"""The heat flow of a Gaussian kernel density estimate in the box with no-flux walls.

    A Gaussian kernel density estimate with bandwidths ``b_i`` is the heat flow of the
    empirical measure ``sum_j w_j delta_{x_j}`` at age ``b_i^2/2`` (per axis); with its
    mirror images at the walls it is that heat flow in the box with no-flux walls
    (:meth:`wgflow.density.Density.from_samples`).  Running the heat equation for a further
    time ``t`` therefore gives the estimate with bandwidths

    .. math:: b_i(t) = \sqrt{b_i^2 + 2t},

    and a negative ``t`` gives the backward heat equation ``d_t mu = -Lap mu`` (eq. (11) of
    the paper) at time ``|t|``, defined for ``t > -min_i b_i^2/2``; at ``t = -min_i b_i^2/2``
    the estimate reaches the empirical measure along that axis, a singular time.  The values
    are those of ``Density.from_samples(grid, samples, weights, bandwidth=b(t))`` (the same
    code): the mirrored sum sampled at the cell centres, exact to round-off.

    Parameters
    ----------
    grid : Grid
        Grid whose cell centres are sampled.
    samples : ndarray
        Points, shape ``(k, d)`` (or ``(k,)`` in 1-D), ``k >= 2``, inside the closed box.
    bandwidth : float, sequence of float or str
        The bandwidths at ``t = 0``: a number ``> 0``, one number ``> 0`` per axis, or a rule
        name (``"scott"``, ``"silverman"``, computed from the samples and weights as in
        :meth:`~wgflow.density.Density.from_samples`).
    t : float
        Time; any real ``t > -min_i b_i^2/2`` (negative: the backward heat flow).
    weights : ndarray, optional
        Non-negative sample weights, shape ``(k,)``; default equal weights.

    Returns
    -------
    Density
        The estimate with bandwidths ``sqrt(b_i^2 + 2t)`` at the cell centres, of
        :attr:`~wgflow.density.Density.age` ``min_i(b_i^2/2 + t)``.

    Raises
    ------
    WgflowError
        For bad samples, weights or bandwidths (as :meth:`Density.from_samples`), a ``t``
        that is not a finite number, or ``t`` at or past the singular time
        ``-min_i b_i^2/2``.
    """
    samples, weights = check_samples(_check_grid(grid), samples, weights)
    if isinstance(t, bool) or not isinstance(t, (int, float, np.integer, np.floating)) \
            or not np.isfinite(t):
        raise WgflowError(f"t must be a finite real number, got {t!r}")
    b = kde_bandwidths(grid, samples, weights, bandwidth)
    singular = float(np.min(b**2)) / 2.0
    if not t > -singular:
        raise WgflowError(
            f"t = {float(t)!r} is at or past the singular time -{singular!r} = -min_i b_i^2/2 "
            f"of the kernel density estimate (bandwidths {b.tolist()}), where its backward "
            f"heat flow reaches the empirical measure; accepted: t > {-singular!r}"
        )
    bt = np.sqrt(b**2 + 2.0 * float(t))
    return Density(
        grid, kde_values(grid, samples, weights, bt), age=float(np.min(bt**2) / 2.0)
    )


# ---------------------------------------------------------------------------------------
# Gaussian entropies
# ---------------------------------------------------------------------------------------
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
    return Gaussian.centred(cov, d).shannon_entropy()


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
    return Gaussian.centred(cov, d).renyi_entropy(a)


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
    return Gaussian.centred(cov, d).tsallis_entropy(a)


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
    d = check_integer("the dimension d", d)
    m = check_exponent("the porous-medium exponent m", m)
    alpha = d / (d * (m - 1.0) + 2.0)
    return alpha, alpha * (m - 1.0) / (2.0 * m * d)


def _check_barenblatt(d: int, m: float, C: float) -> tuple[int, float, float, float, float]:
    alpha, k = barenblatt_exponents(d, m)
    return int(d), float(m), check_positive("the Barenblatt constant C", C), alpha, k


def _check_time(t: float) -> float:
    return check_positive("the Barenblatt time t", t)


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
              \qquad \alpha = \frac{d}{d(m-1)+2},\quad k = \frac{\alpha(m-1)}{2md},

    sampled at the cell centres, not renormalised on the grid.  Its mass
    :func:`barenblatt_mass` does not depend on ``t``; its support is the ball of radius
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
    x0 = np.zeros(d) if center is None else _vector(center, d, "center")
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

    so ``R_a(t) - alpha log t`` is constant in ``t``: every Rényi entropy grows like
    ``alpha log t`` along the porous-medium flow.

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
    a = check_order("the entropy order a", a)
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
    a = check_order("the entropy order a", a)
    if a == 1.0:
        return barenblatt_shannon_entropy(d, m, t, C)
    log_mass = _log_profile_power_integral(d, C, k, 1.0 / (m - 1.0))
    log_power = _barenblatt_log_power_integral(d, m, t, C, a)
    return float(-np.exp(log_mass) * np.expm1(log_power - log_mass) / (a - 1.0))
