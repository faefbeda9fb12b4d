"""DAE maps on a grid: eq. (4) for any noise law, eq. (7) for Gaussian noise, and the score.

* :func:`dae_map` -- ``Phi_t(x) = x - E_t[eps | x] = E[y | x~ = x]`` (Theorem 2.1, eqs. 3-4) at
  every cell centre, from two convolutions of the data with the noise density
  (:mod:`wgflow.dae.convolution`).  For Gaussian noise this *is* eq. (7)
  ``Phi_t = x + t grad log(W_t * mu0)`` (Stein's identity holds for the kernel, so it holds for
  the box integral too), computed without differentiating.
* :func:`dae_velocity` -- ``(Phi_t(x) - x) / t``, whose limit ``t -> 0`` is the score, eq. (8).
* :func:`score` -- ``grad log mu0`` by finite differences (:mod:`wgflow.stencils`).
* :func:`initial_velocity` -- ``(Phi_t # mu0 - mu0) / t``, which tends to ``-Lap mu0`` for
  Gaussian noise (Lemma 2.2, Theorem 2.4, eq. 9).

Where the smoothed density vanishes
-----------------------------------
For Gaussian noise (log-domain midpoint rule) the posterior mean is defined at every cell
centre as soon as the data have positive mass: far from the data the map sends a point to the
(weighted) nearest data cells, exactly as the formula says, and no underflow can produce NaN.
For compactly supported noise (box, ball) ``nu_t * mu0`` is exactly zero at points farther
than the noise reach from every data cell, and for the linear-weight quadratures it is
unresolved below ``1e-14`` of its maximum: there the map is the **identity** (no data to
denoise towards; ``E[eps] = 0``), and :attr:`PosteriorMean.defined` says where.  Map values
always lie in the box (the posterior mean of data in the box).
"""

from __future__ import annotations

import numpy as np

from .. import stencils
from ..density import Density
from ..errors import check_density, check_points
from ..grid import Grid
from ._checks import check_map_values, check_noise_time, identity_map
from .convolution import PosteriorMean, posterior_mean
from .noise import NoiseLike, resolve_noise
from .pushforward import pushforward

__all__ = [
    "dae_map",
    "dae_posterior",
    "dae_velocity",
    "score",
    "laplacian",
    "initial_velocity",
    "identity_map",
    "map_l2_distance",
    "interpolate_map",
]


def dae_posterior(
    rho: Density, t: float, noise: NoiseLike = "gaussian", quadrature: str = "auto"
) -> PosteriorMean:
    """The DAE of eq. (4) with its smoothed density and the mask where it is defined.

    Same parameters as :func:`dae_map`; returns a
    :class:`~wgflow.dae.convolution.PosteriorMean` (``mean`` is the map).
    """
    rho = check_density("rho", rho)
    t = check_noise_time(t)
    law = resolve_noise(noise)
    return posterior_mean(rho, law, t, quadrature)


def dae_map(
    rho: Density, t: float, noise: NoiseLike = "gaussian", quadrature: str = "auto"
) -> np.ndarray:
    """The DAE ``Phi_t`` of eq. (4) for the data ``rho``, at every cell centre.

    ``Phi_t(x) = x - E_t[eps | x] = ∫ y mu0(y) nu_t(x - y) dy / ∫ mu0(y) nu_t(x - y) dy`` with
    the integrals over the grid's box (the posterior mean of Theorem 2.1, eq. 3).  For
    ``noise="gaussian"`` this equals eq. (7) ``x + t grad log(W_t * mu0)(x)``.

    Parameters
    ----------
    rho : Density
        The data distribution ``mu0`` (positive mass; normalisation does not matter).
    t : float
        Noise variance ``> 0`` (per coordinate: ``Cov[eps] = t I``), the transport time.
    noise : str, NoiseLaw or callable
        ``"gaussian"`` (eq. 7), ``"laplace"``, ``"box"`` (alias ``"uniform"``), ``"ball"``, a
        :class:`~wgflow.dae.noise.NoiseLaw`, or a standardised density ``pdf(e_1, ..., e_d)``
        (wrapped in :class:`~wgflow.dae.noise.CustomNoise`).
    quadrature : str
        ``"auto"`` (the law's default: ``"midpoint"`` for Gaussian noise, ``"cubic"`` for
        Laplace and box noise), ``"midpoint"`` or ``"cubic"``; see
        :mod:`wgflow.dae.convolution`.

    Returns
    -------
    numpy.ndarray
        Shape ``(d, *grid.shape)``: ``Phi_t(x_i)[k]`` in ``[k, i...]``.  Finite everywhere; the
        identity where the smoothed density vanishes (module docstring).

    Notes
    -----
    Accuracy (tests/test_dae_maps.py): for Gaussian data and noise the midpoint rule matches
    eq. (13) to ~1e-7 relative on a 64^2 grid; its error behaves like
    ``exp(-2 pi^2 s^2 / h^2)`` with ``s^2`` the posterior variance (about ``t`` for small
    ``t``), so it needs ``sqrt(t) >~ h``.  The ``"cubic"`` rule (Laplace, box) is fourth order
    in ``h`` against a direct quadrature of eq. (4), whatever ``t``.

    Raises
    ------
    WgflowError
        For ``t <= 0``, an unknown noise or quadrature, or a density of zero mass.

    Examples
    --------
    >>> import wgflow as wg
    >>> grid = wg.Grid([(-6, 6)], 128)
    >>> rho = wg.exact.heat_gaussian(grid, 0.0, 1.0, 0.0)
    >>> phi = dae_map(rho, 0.5)                # eq. (13): Phi(x) = x / 1.5
    >>> bool(abs(phi[0, 64] - grid.axes[0][64] / 1.5) < 1e-8)
    True
    """
    return dae_posterior(rho, t, noise, quadrature).mean


def dae_velocity(
    rho: Density, t: float, noise: NoiseLike = "gaussian", quadrature: str = "auto"
) -> np.ndarray:
    """``(Phi_t(x) - x) / t`` at every cell centre, shape ``(d, *grid.shape)``.

    For Gaussian noise it is ``grad log(W_t * mu0)`` (eq. 7), and it tends to the score
    ``grad log mu0`` as ``t -> 0`` (eq. 8) with an ``O(t)`` error.
    """
    phi = dae_map(rho, t, noise, quadrature)
    return (phi - identity_map(rho.grid)) / float(t)


def score(rho: Density, acc: int = 4) -> np.ndarray:
    """The score ``grad log mu0`` at the cell centres by finite differences, the limit of
    eq. (8).

    Parameters
    ----------
    rho : Density
        The density.
    acc : int
        Accuracy order of the central differences (one-sided at the walls), even, ``>= 2``.

    Returns
    -------
    numpy.ndarray
        Shape ``(d, *grid.shape)``.  Cells where ``rho`` vanishes get score 0 (no information);
        next to them the differences use ``log`` of a floor (the smallest positive value times
        ``1e-3``), so the score is large there but finite.
    """
    rho = check_density("rho", rho)
    values = rho.values
    positive = values > 0
    floor = 1e-3 * float(values[positive].min())
    log_values = np.log(np.where(positive, values, floor))
    out = np.empty((rho.grid.ndim, *rho.grid.shape))
    for k, h in enumerate(rho.grid.spacing):
        out[k] = np.where(positive, stencils.derivative(log_values, k, h, acc), 0.0)
    return out


def laplacian(rho: Density, acc: int = 4) -> np.ndarray:
    """``Lap rho`` at the cell centres by finite differences of order ``acc`` (even,
    ``>= 2``), the limit of Theorem 2.4 (eq. 9)."""
    return stencils.laplacian(check_density("rho", rho).values, rho.grid.spacing, acc)


def initial_velocity(
    rho: Density,
    t: float,
    noise: NoiseLike = "gaussian",
    quadrature: str = "auto",
    scheme: str = "auto",
) -> np.ndarray:
    """``(Phi_t # mu0 - mu0) / t``: the difference quotient of the pushforward at ``t = 0``.

    By Lemma 2.2 and Theorem 2.4 (eq. 9) it tends to ``-div(mu0 grad log mu0) = -Lap mu0`` as
    ``t -> 0`` for Gaussian noise (the backward heat equation at ``t = 0``).

    Returns
    -------
    numpy.ndarray
        Values per unit volume per unit time, shape ``grid.shape``.
    """
    rho = check_density("rho", rho)
    pushed = pushforward(rho, dae_map(rho, t, noise, quadrature), scheme=scheme)
    return (pushed.values - rho.values) / float(t)


def map_l2_distance(
    rho: Density, map_a: np.ndarray, map_b: np.ndarray | None = None
) -> float:
    """``||T_a - T_b||_{L2(rho)} = (∫ |T_a - T_b|^2 drho / ∫ drho)^(1/2)`` (``T_b`` = identity).

    With ``map_b`` omitted this is the transport cost ``(∫ |T - id|^2 drho)^(1/2)``, which equals
    ``W2(rho, T # rho)`` when ``T`` is an optimal (Brenier) map, as the Gaussian DAE is: by
    eq. (7) ``Phi_t`` is the gradient of ``|x|^2 / 2 + t log(W_t * mu0)``, a convex function
    (its Hessian is the posterior covariance ``Cov[y | x~ = x] / t``).
    """
    rho = check_density("rho", rho)
    grid = rho.grid
    a = check_map_values(map_a, grid, "map_a")
    b = identity_map(grid) if map_b is None else check_map_values(map_b, grid, "map_b")
    weights = rho.masses / rho.mass
    return float(np.sqrt(np.sum(weights * np.sum((a - b) ** 2, axis=0))))


def interpolate_map(grid: Grid, map_values: np.ndarray, points: np.ndarray) -> np.ndarray:
    """Evaluate a map given at the cell centres at arbitrary points (local cubic).

    The displacement ``T(x) - x`` is interpolated with local tensor-product cubics (4-point
    Lagrange, fourth order); it is extrapolated over the half cells next to the walls and held
    beyond the walls.

    Parameters
    ----------
    grid : Grid
        The grid of the map.
    map_values : array_like
        Shape ``(d, *grid.shape)``.
    points : array_like
        Shape ``(k, d)`` (or ``(k,)`` in 1-D).

    Returns
    -------
    numpy.ndarray
        ``T(points)``, shape ``(k, d)``.
    """
    values = check_map_values(map_values, grid)
    pts = check_points("points", points, grid.ndim)
    displacement = values - identity_map(grid)
    return pts + stencils.LocalCubic(grid, pts)(displacement).T
