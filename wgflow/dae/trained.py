"""Trained DAEs (Theorem 2.1): fit ``g`` minimising ``E|g(x + eps) - x|^2`` from samples.

Theorem 2.1 says that the global minimiser of the DAE objective (eq. 2) over all functions is
the posterior mean ``Phi_t`` of eqs. (3)-(4), so any universal approximator trained on enough
samples approaches it.  Two universal approximators built on numpy/scipy are provided:

``"krr"``
    kernel ridge regression with a Gaussian kernel (exact solve, ``O(m^3)`` for ``m`` training
    pairs; a few thousand pairs take well under a second);
``"rff"``
    ridge regression on random Fourier features of the same Gaussian kernel (``O(m D^2)`` for
    ``D`` features), for larger sample sizes.

Both regress the residual ``x - x~ = -eps`` on the corrupted input ``x~``, i.e. ``g(x~) = x~ +
f(x~)`` (the identity "skip connection" of eq. 4, ``Phi_t = x - E[eps | x]``), so that ``g`` is
the identity far from the data.  :func:`map_l2_distance` (in :mod:`wgflow.dae.maps`) measures
``||g - Phi_t||_{L2(rho)}``; the tests report how it falls with the sample size.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy.linalg import cho_factor, cho_solve

from ..density import Density
from ..errors import WgflowError, check_integer, check_positive
from ..grid import Grid
from ._checks import check_density, check_noise_time, check_samples
from .noise import NoiseLike, resolve_noise

__all__ = ["TrainedDAE", "fit_dae", "sample_density", "TRAINING_METHODS"]

#: Regression methods of :func:`fit_dae`.
TRAINING_METHODS: tuple[str, ...] = ("krr", "rff")


def _rng(rng: np.random.Generator | int | None) -> np.random.Generator:
    return rng if isinstance(rng, np.random.Generator) else np.random.default_rng(rng)


def sample_density(
    rho: Density, n: int, rng: np.random.Generator | int | None = None
) -> np.ndarray:
    """Draw ``n`` points from a grid density: a cell with probability its mass, then uniform
    in the cell.

    Returns
    -------
    numpy.ndarray
        Shape ``(n, d)``.
    """
    rho = check_density(rho)
    n = check_integer("n", n, 1)
    gen = _rng(rng)
    grid = rho.grid
    p = rho.masses.ravel() / rho.masses.sum()
    cells = gen.choice(grid.size, size=n, p=p)
    index = np.stack(np.unravel_index(cells, grid.shape), axis=1)
    lower = np.array([a for a, _ in grid.bounds])
    h = np.array(grid.spacing)
    return lower + (index + gen.uniform(size=(n, grid.ndim))) * h


@dataclass
class TrainedDAE:
    """A DAE ``g(x~) = x~ + f(x~)`` fitted by :func:`fit_dae`.

    Attributes
    ----------
    t : float
        Noise variance it was trained with.
    noise : str
        Name of the noise law.
    method : str
        ``"krr"`` or ``"rff"``.
    lengthscale, ridge : float
        Kernel length and ridge parameter used.
    n_train : int
        Number of (corrupted input, clean target) pairs.
    """

    t: float
    noise: str
    method: str
    lengthscale: float
    ridge: float
    n_train: int
    _centres: np.ndarray  # krr: training inputs; rff: frequencies (D, d)
    _offsets: np.ndarray | None  # rff phases (D,)
    _coef: np.ndarray  # (m, d) or (D, d)
    _scale: np.ndarray  # input scaling (d,)
    _shift: np.ndarray

    def _features(self, z: np.ndarray) -> np.ndarray:
        z = (z - self._shift) / self._scale
        if self.method == "krr":
            c = (self._centres - self._shift) / self._scale
            sq = (
                np.sum(z * z, axis=1)[:, None]
                + np.sum(c * c, axis=1)[None, :]
                - 2.0 * z @ c.T
            )
            return np.exp(-0.5 * np.maximum(sq, 0.0) / self.lengthscale**2)
        return math.sqrt(2.0 / self._centres.shape[0]) * np.cos(
            z @ self._centres.T + self._offsets
        )

    def __call__(self, points: np.ndarray) -> np.ndarray:
        """``g(points)`` for points of shape ``(k, d)`` (or ``(k,)`` in 1-D); returns ``(k, d)``."""
        pts = check_samples(points, self._shift.size, "points")
        out = np.empty_like(pts)
        for s in range(0, pts.shape[0], 4096):
            block = pts[s : s + 4096]
            out[s : s + 4096] = block + self._features(block) @ self._coef
        return out

    def on_grid(self, grid: Grid) -> np.ndarray:
        """``g`` at the cell centres of ``grid``, shape ``(d, *grid.shape)`` (like ``dae_map``)."""
        if grid.ndim != self._shift.size:
            raise WgflowError(
                f"the DAE was trained in {self._shift.size} dimensions, the grid has {grid.ndim}"
            )
        return self(grid.points).T.reshape(grid.ndim, *grid.shape)


def _gaussian_gram(z: np.ndarray, length: float) -> np.ndarray:
    """``exp(-|z_i - z_j|^2 / (2 length^2))``."""
    sq = np.sum(z * z, axis=1)
    dist2 = np.maximum(sq[:, None] + sq[None, :] - 2.0 * z @ z.T, 0.0)
    return np.exp(-0.5 * dist2 / length**2)


#: Candidates of the leave-one-out selection (``lengthscale="auto"``, ``ridge="auto"``).
_LENGTHS = (0.2, 0.35, 0.6, 1.0, 1.6)
_RIDGES = (1e-5, 1e-4, 1e-3, 1e-2, 1e-1)
_LOO_POINTS = 500


def _select_by_loo(
    z: np.ndarray,
    residual: np.ndarray,
    method: str,
    n_features: int,
    gen: np.random.Generator,
    lengths: tuple[float, ...],
    ridges: tuple[float, ...],
) -> tuple[float, float]:
    """Kernel length and ridge minimising the closed-form leave-one-out error.

    On a subsample of at most ``_LOO_POINTS`` pairs: with ``H = K (K + m lambda I)^-1`` (KRR, from
    an eigendecomposition of ``K``) or the hat matrix of the random-feature regression (from an
    SVD of the features), the leave-one-out residuals are ``(r - H r) / (1 - diag H)``.
    """
    m = z.shape[0]
    if m > _LOO_POINTS:
        pick = gen.choice(m, _LOO_POINTS, replace=False)
        z, residual = z[pick], residual[pick]
        m = _LOO_POINTS
    best = (math.inf, lengths[0], ridges[0])
    for length in lengths:
        if method == "krr":
            gram = _gaussian_gram(z, length)
            evals, evecs = np.linalg.eigh(gram)
            evals = np.maximum(evals, 0.0)
        else:
            freqs = gen.standard_normal((n_features, z.shape[1])) / length
            offsets = gen.uniform(0.0, 2.0 * math.pi, n_features)
            phi = math.sqrt(2.0 / n_features) * np.cos(z @ freqs.T + offsets)
            evecs, sing, _ = np.linalg.svd(phi, full_matrices=False)
            evals = sing**2
        proj = evecs.T @ residual
        for ridge in ridges:
            shrink = evals / (evals + m * ridge)
            fitted = evecs @ (shrink[:, None] * proj)
            lev = np.einsum("ij,j,ij->i", evecs, shrink, evecs)
            loo = (residual - fitted) / np.maximum(1.0 - lev, 1e-12)[:, None]
            score = float(np.mean(np.sum(loo * loo, axis=1)))
            if score < best[0]:
                best = (score, length, ridge)
    return float(best[1]), float(best[2])


def fit_dae(
    samples: np.ndarray,
    t: float,
    noise: NoiseLike = "gaussian",
    method: str = "krr",
    n_noise: int = 1,
    lengthscale: float | str | None = None,
    ridge: float | str | None = None,
    n_features: int = 600,
    rng: np.random.Generator | int | None = None,
) -> TrainedDAE:
    """Train a DAE on samples of ``mu0``: minimise ``(1/m) sum |g(x_i + eps_i) - x_i|^2`` (eq. 2).

    Parameters
    ----------
    samples : array_like
        Clean data ``x_i ~ mu0``, shape ``(k, d)`` (or ``(k,)`` in 1-D); finite.
    t : float
        Noise variance ``> 0``.
    noise : str, NoiseLaw or callable
        The corruption law (as in :func:`wgflow.dae.dae_map`; it must be able to sample).
    method : str
        ``"krr"`` (kernel ridge regression, default) or ``"rff"`` (random Fourier features).
    n_noise : int
        Corrupted copies per clean sample (``m = k n_noise`` training pairs).
    lengthscale : float or "auto", optional
        Gaussian kernel length in units of the standard deviation of the corrupted inputs
        (per axis).  Default ``0.6 sqrt(t / mean variance)`` clipped to ``[0.15, 1]`` (the
        target ``E[eps | x~]`` is smooth at the scale ``sqrt(t)``); ``"auto"`` picks it from
        ``0.2 ... 1.6`` by the closed-form leave-one-out error on up to 500 pairs.
    ridge : float or "auto", optional
        Ridge parameter ``lambda`` of ``min (1/m) sum |r_i - f(x~_i)|^2 + lambda ||f||^2``;
        default ``0.1 / sqrt(m)`` (decreasing with the sample size, as consistency needs);
        ``"auto"``: leave-one-out choice among ``1e-5 ... 1e-1``.
    n_features : int
        Number of random features for ``"rff"``.
    rng : numpy.random.Generator or int, optional
        Randomness of the noise draws (and of the features).

    Returns
    -------
    TrainedDAE

    Raises
    ------
    WgflowError
        For samples with NaN/inf or the wrong shape, ``t <= 0``, an unknown method, or a noise
        law that cannot be sampled.
    """
    x = check_samples(samples)
    t = check_noise_time(t)
    law = resolve_noise(noise)
    if not isinstance(method, str) or method not in TRAINING_METHODS:
        raise WgflowError(
            f"unknown method {method!r}; accepted: {', '.join(map(repr, TRAINING_METHODS))}"
        )
    n_noise = check_integer("n_noise", n_noise, 1)
    n_features = check_integer("n_features", n_features, 1)
    gen = _rng(rng)
    k, d = x.shape
    clean = np.repeat(x, n_noise, axis=0)
    eps = law.sample(clean.shape[0], d, t, gen)
    corrupted = clean + eps
    residual = clean - corrupted  # = -eps
    m = corrupted.shape[0]

    shift = corrupted.mean(axis=0)
    scale = np.maximum(corrupted.std(axis=0), 1e-12)
    auto_length = isinstance(lengthscale, str) and lengthscale == "auto"
    auto_ridge = isinstance(ridge, str) and ridge == "auto"
    if lengthscale is None or auto_length:
        lengthscale = float(np.clip(0.6 * math.sqrt(t / float(np.mean(scale**2))), 0.15, 1.0))
    else:
        lengthscale = check_positive("lengthscale", lengthscale)
    if ridge is None or auto_ridge:
        ridge = 0.1 / math.sqrt(m)
    else:
        ridge = check_positive("ridge", ridge)

    z = (corrupted - shift) / scale
    if auto_length or auto_ridge:
        lengthscale, ridge = _select_by_loo(
            z, residual, method, n_features, gen,
            _LENGTHS if auto_length else (lengthscale,),
            _RIDGES if auto_ridge else (ridge,),
        )
    if method == "krr":
        gram = _gaussian_gram(z, lengthscale)
        gram[np.diag_indices(m)] += m * ridge
        coef = cho_solve(cho_factor(gram, lower=True, check_finite=False), residual)
        centres, offsets = corrupted, None
    else:
        freqs = gen.standard_normal((n_features, d)) / lengthscale
        offsets = gen.uniform(0.0, 2.0 * math.pi, n_features)
        phi = math.sqrt(2.0 / n_features) * np.cos(z @ freqs.T + offsets)
        normal = phi.T @ phi
        normal[np.diag_indices(n_features)] += m * ridge
        coef = cho_solve(cho_factor(normal, lower=True, check_finite=False), phi.T @ residual)
        centres = freqs
    return TrainedDAE(
        t=t, noise=law.name, method=method, lengthscale=lengthscale, ridge=ridge, n_train=m,
        _centres=centres, _offsets=offsets, _coef=coef, _scale=scale, _shift=shift,
    )
