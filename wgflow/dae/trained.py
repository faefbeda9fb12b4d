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
from ..errors import (
    WgflowError,
    check_choice,
    check_density,
    check_integer,
    check_points,
    check_positive,
)
from ..grid import Grid
from ._checks import check_noise_time
from .noise import NoiseLike, resolve_noise

__all__ = ["TrainedDAE", "fit_dae", "sample_density", "TRAINING_MODELS"]

#: Regression models of :func:`fit_dae`.
TRAINING_MODELS: tuple[str, ...] = ("krr", "rff")


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
    rho = check_density("rho", rho)
    n = check_integer("n", n, 1)
    gen = np.random.default_rng(rng)
    grid = rho.grid
    p = rho.masses.ravel() / rho.masses.sum()
    cells = gen.choice(grid.size, size=n, p=p)
    index = np.stack(np.unravel_index(cells, grid.shape), axis=1)
    lower = np.array([a for a, _ in grid.bounds])
    h = np.array(grid.spacing)
    return lower + (index + gen.uniform(size=(n, grid.ndim))) * h


def _gaussian_kernel(a: np.ndarray, b: np.ndarray, length: float) -> np.ndarray:
    """``exp(-|a_i - b_j|^2 / (2 length^2))``: the Gram matrix of the Gaussian kernel."""
    dist2 = np.maximum(
        np.sum(a * a, axis=1)[:, None] + np.sum(b * b, axis=1)[None, :] - 2.0 * a @ b.T, 0.0
    )
    return np.exp(-0.5 * dist2 / length**2)


def _fourier_features(z: np.ndarray, freqs: np.ndarray, offsets: np.ndarray) -> np.ndarray:
    """``sqrt(2 / D) cos(z w_j + b_j)``: random Fourier features of the Gaussian kernel."""
    return math.sqrt(2.0 / freqs.shape[0]) * np.cos(z @ freqs.T + offsets)


def _design(
    z: np.ndarray, model: str, length: float, n_features: int, gen: np.random.Generator
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The Gram matrix ``K(z, z)`` (``"krr"``) or the random features ``Phi(z)`` (``"rff"``,
    drawn from ``gen``) of the scaled inputs ``z``, with the centres (or frequencies) and the
    phases that evaluate it at new points."""
    if model == "krr":
        return _gaussian_kernel(z, z, length), z, np.empty(0)
    freqs = gen.standard_normal((n_features, z.shape[1])) / length
    offsets = gen.uniform(0.0, 2.0 * math.pi, n_features)
    return _fourier_features(z, freqs, offsets), freqs, offsets


@dataclass
class TrainedDAE:
    """A DAE ``g(x~) = x~ + f(x~)`` fitted by :func:`fit_dae`.

    Attributes
    ----------
    t : float
        Noise variance it was trained with.
    noise : str
        Name of the noise law.
    model : str
        ``"krr"`` or ``"rff"``.
    lengthscale, ridge : float
        Kernel length and ridge parameter used.
    n_train : int
        Number of (corrupted input, clean target) pairs.
    """

    t: float
    noise: str
    model: str
    lengthscale: float
    ridge: float
    n_train: int
    _centres: np.ndarray  # krr: scaled training inputs (m, d); rff: frequencies (D, d)
    _offsets: np.ndarray  # rff phases (D,); empty for krr
    _coef: np.ndarray  # (m, d) or (D, d)
    _scale: np.ndarray  # input scaling (d,)
    _shift: np.ndarray

    def _features(self, points: np.ndarray) -> np.ndarray:
        z = (points - self._shift) / self._scale
        if self.model == "krr":
            return _gaussian_kernel(z, self._centres, self.lengthscale)
        return _fourier_features(z, self._centres, self._offsets)

    def __call__(self, points: np.ndarray) -> np.ndarray:
        """``g(points)`` for points of shape ``(k, d)`` (or ``(k,)`` in 1-D); returns ``(k, d)``."""
        pts = check_points("points", points, self._shift.size)
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


#: Candidates of the leave-one-out selection (``lengthscale="auto"``, ``ridge="auto"``).
_LENGTHS = (0.2, 0.35, 0.6, 1.0, 1.6)
_RIDGES = (1e-5, 1e-4, 1e-3, 1e-2, 1e-1)
_LOO_POINTS = 500


def _select_by_loo(
    z: np.ndarray,
    residual: np.ndarray,
    model: str,
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
        matrix = _design(z, model, length, n_features, gen)[0]
        if model == "krr":
            evals, evecs = np.linalg.eigh(matrix)
            evals = np.maximum(evals, 0.0)
        else:
            evecs, sing, _ = np.linalg.svd(matrix, full_matrices=False)
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


def _hyperparameter(name: str, value: float | str | None, default: float) -> tuple[float, bool]:
    """``(value, chosen by leave-one-out)`` of a hyperparameter given as a number > 0, ``None``
    (the default) or ``"auto"`` (the default as a starting value)."""
    if value is None or (isinstance(value, str) and value == "auto"):
        return default, value is not None
    if isinstance(value, str):
        raise WgflowError(f"{name} must be a real number > 0, 'auto' or None, got {value!r}")
    return check_positive(name, value), False


def fit_dae(
    samples: np.ndarray,
    t: float,
    noise: NoiseLike = "gaussian",
    model: str = "krr",
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
    model : str
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
        For samples with NaN/inf or the wrong shape, ``t <= 0``, an unknown model, or a noise
        law that cannot be sampled.
    """
    x = check_points("samples", samples)
    t = check_noise_time(t)
    law = resolve_noise(noise)
    model = check_choice("model", model, TRAINING_MODELS)
    n_noise = check_integer("n_noise", n_noise, 1)
    n_features = check_integer("n_features", n_features, 1)
    gen = np.random.default_rng(rng)
    clean = np.repeat(x, n_noise, axis=0)
    corrupted = clean + law.sample(clean.shape[0], x.shape[1], t, gen)
    residual = clean - corrupted  # = -eps
    m = corrupted.shape[0]

    shift = corrupted.mean(axis=0)
    scale = np.maximum(corrupted.std(axis=0), 1e-12)
    length, auto_length = _hyperparameter(
        "lengthscale", lengthscale,
        float(np.clip(0.6 * math.sqrt(t / float(np.mean(scale**2))), 0.15, 1.0)),
    )
    lam, auto_ridge = _hyperparameter("ridge", ridge, 0.1 / math.sqrt(m))
    z = (corrupted - shift) / scale
    if auto_length or auto_ridge:
        length, lam = _select_by_loo(
            z, residual, model, n_features, gen,
            _LENGTHS if auto_length else (length,),
            _RIDGES if auto_ridge else (lam,),
        )
    matrix, centres, offsets = _design(z, model, length, n_features, gen)
    normal, rhs = (matrix, residual) if model == "krr" else (matrix.T @ matrix, matrix.T @ residual)
    normal[np.diag_indices(normal.shape[0])] += m * lam
    coef = cho_solve(cho_factor(normal, lower=True, check_finite=False), rhs)
    return TrainedDAE(
        t=t, noise=law.name, model=model, lengthscale=length, ridge=lam, n_train=m,
        _centres=centres, _offsets=offsets, _coef=coef, _scale=scale, _shift=shift,
    )
