"""Trained DAEs (Theorem 2.1): fit ``g`` minimising ``E|g(x + eps) - x|^2`` from samples.

Theorem 2.1 says that the global minimiser of the DAE objective (eq. 2) over all functions is
the posterior mean ``Phi_t`` of eqs. (3)-(4), so any universal approximator trained on enough
samples approaches it.  Three universal approximators are provided:

``"krr"``
    kernel ridge regression with a Gaussian kernel (exact solve, ``O(m^3)`` for ``m`` training
    pairs; a few thousand pairs take well under a second);
``"rff"``
    ridge regression on random Fourier features of the same Gaussian kernel (``O(m D^2)`` for
    ``D`` features), for larger sample sizes;
``"mlp"``
    a multilayer perceptron (scikit-learn's ``MLPRegressor``, :mod:`wgflow.dae.neural`),
    trained by Adam with early stopping on many corrupted copies of each sample.

All regress the residual ``x - x~ = -eps`` on the corrupted input ``x~``, i.e. ``g(x~) = x~ +
f(x~)`` (the identity "skip connection" of eq. 4, ``Phi_t = x - E[eps | x]``).  The kernel
models are the identity far from the data.  :func:`map_l2_distance` (in
:mod:`wgflow.dae.maps`) measures ``||g - Phi_t||_{L2(rho)}`` against a grid DAE, and
:func:`wgflow.dae.empirical.relative_map_error` against the exact DAE of the samples.
:func:`fit_deep_dae` stacks trained DAEs, each trained on the samples pushed by the layers
before it (section 3.1).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

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
    check_rng,
)
from ..grid import Grid
from ._checks import check_noise_time
from .composition import _noise_times
from .empirical import DeepDAE
from .neural import (
    DEFAULT_HIDDEN_LAYER_SIZES,
    NetworkInfo,
    check_hidden_layer_sizes,
    check_mlp_options,
    check_pairs,
    default_copies,
    fit_network,
)
from .noise import NoiseLike, resolve_noise

__all__ = ["TrainedDAE", "fit_dae", "fit_deep_dae", "sample_density", "TRAINING_MODELS"]

#: Regression models of :func:`fit_dae`.
TRAINING_MODELS: tuple[str, ...] = ("krr", "rff", "mlp")

#: Options of :func:`fit_dae` that only some models take.
_MODEL_OPTIONS = {
    "lengthscale": ("krr", "rff"),
    "ridge": ("krr", "rff"),
    "n_features": ("rff",),
    "hidden_layer_sizes": ("mlp",),
    "max_epochs": ("mlp",),
    "mlp_options": ("mlp",),
}


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
    gen = check_rng("rng", rng)
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


class _KernelDisplacement:
    """The fitted displacement ``f`` of a kernel model: a Gaussian-kernel expansion (``"krr"``)
    or random Fourier features (``"rff"``) of the scaled inputs."""

    def __init__(
        self, model: str, length: float, centres: np.ndarray, offsets: np.ndarray,
        coef: np.ndarray, shift: np.ndarray, scale: np.ndarray,
    ):
        self._model = model
        self._length = length
        self._centres = centres  # krr: scaled training inputs (m, d); rff: frequencies (D, d)
        self._offsets = offsets  # rff phases (D,); empty for krr
        self._coef = coef  # (m, d) or (D, d)
        self._shift = shift
        self._scale = scale

    def __call__(self, points: np.ndarray) -> np.ndarray:
        out = np.empty_like(points)
        for s in range(0, points.shape[0], 4096):
            z = (points[s : s + 4096] - self._shift) / self._scale
            if self._model == "krr":
                features = _gaussian_kernel(z, self._centres, self._length)
            else:
                features = _fourier_features(z, self._centres, self._offsets)
            out[s : s + 4096] = features @ self._coef
        return out


@dataclass(frozen=True)
class TrainedDAE:
    """A DAE ``g(x~) = x~ + f(x~)`` fitted by :func:`fit_dae`.

    Attributes
    ----------
    t : float
        Noise variance it was trained with.
    noise : str
        Name of the noise law.
    model : str
        ``"krr"``, ``"rff"`` or ``"mlp"``.
    n_train : int
        Number of (corrupted input, clean target) pairs.
    dim : int
        Dimension of the points.
    lengthscale, ridge : float or None
        Kernel length and ridge parameter (kernel models; ``None`` for ``"mlp"``).
    network : NetworkInfo or None
        How the network was trained (``"mlp"``; ``None`` for the kernel models).
    """

    t: float
    noise: str
    model: str
    n_train: int
    dim: int
    lengthscale: float | None
    ridge: float | None
    network: NetworkInfo | None
    _displacement: Callable[[np.ndarray], np.ndarray] = field(repr=False)

    def __call__(self, points: np.ndarray) -> np.ndarray:
        """``g(points)`` for points of shape ``(k, d)`` (or ``(k,)`` in 1-D); returns ``(k, d)``."""
        pts = check_points("points", points, self.dim)
        return pts + self._displacement(pts)

    def on_grid(self, grid: Grid) -> np.ndarray:
        """``g`` at the cell centres of ``grid``, shape ``(d, *grid.shape)`` (like ``dae_map``)."""
        if grid.ndim != self.dim:
            raise WgflowError(
                f"the DAE was trained in {self.dim} dimensions, the grid has {grid.ndim}"
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


def _reject_options(model: str, given: dict[str, object]) -> None:
    """Raise for an option given (not ``None``) that ``model`` does not take."""
    for name, value in given.items():
        if value is not None and model not in _MODEL_OPTIONS[name]:
            takes = ", ".join(repr(m) for m in _MODEL_OPTIONS[name])
            raise WgflowError(
                f"{name}={value!r} applies to model {takes}, not to model={model!r}"
            )


def fit_dae(
    samples: np.ndarray,
    t: float,
    noise: NoiseLike = "gaussian",
    model: str = "krr",
    n_noise: int | None = None,
    lengthscale: float | str | None = None,
    ridge: float | str | None = None,
    n_features: int | None = None,
    hidden_layer_sizes: int | Sequence[int] | None = None,
    max_epochs: int | None = None,
    mlp_options: Mapping[str, Any] | None = None,
    rng: np.random.Generator | int | None = None,
) -> TrainedDAE:
    """Train a DAE on samples of ``mu0``: minimise ``(1/m) sum |g(x_i + eps_i) - x_i|^2`` (eq. 2).

    The training pairs are ``n_noise`` corrupted copies ``(x_i + eps_ij, x_i)`` of each
    sample, ``eps_ij`` drawn from the noise law with variance ``t`` (section 2.1).

    Parameters
    ----------
    samples : array_like
        Clean data ``x_i ~ mu0``, shape ``(k, d)`` (or ``(k,)`` in 1-D); finite.
    t : float
        Noise variance ``> 0``.
    noise : str, NoiseLaw or callable
        The corruption law (as in :func:`wgflow.dae.dae_map`; it must be able to sample).
    model : str
        ``"krr"`` (kernel ridge regression, default), ``"rff"`` (random Fourier features) or
        ``"mlp"`` (a multilayer perceptron, scikit-learn's ``MLPRegressor``; needs
        ``pip install "wgflow[neural]"``).
    n_noise : int, optional
        Corrupted copies per clean sample (``m = k n_noise`` training pairs).  Default 1 for
        the kernel models; for ``"mlp"`` enough copies for about 10^5 pairs and at least 20
        per network parameter (:func:`wgflow.dae.neural.default_copies`).
    lengthscale : float or "auto", optional
        Kernel models: Gaussian kernel length in units of the standard deviation of the
        corrupted inputs (per axis).  Default ``0.6 sqrt(t / mean variance)`` clipped to
        ``[0.15, 1]`` (the target ``E[eps | x~]`` is smooth at the scale ``sqrt(t)``);
        ``"auto"`` picks it from ``0.2 ... 1.6`` by the closed-form leave-one-out error on up
        to 500 pairs.
    ridge : float or "auto", optional
        Kernel models: ridge parameter ``lambda`` of ``min (1/m) sum |r_i - f(x~_i)|^2 +
        lambda ||f||^2``; default ``0.1 / sqrt(m)`` (decreasing with the sample size, as
        consistency needs); ``"auto"``: leave-one-out choice among ``1e-5 ... 1e-1``.
    n_features : int, optional
        Number of random features for ``"rff"`` (default 600).
    hidden_layer_sizes : int or sequence of int, optional
        ``"mlp"``: units per hidden layer (default ``(64, 64)``, ReLU).  The network must have
        at most one parameter per 10 training pairs.
    max_epochs : int, optional
        ``"mlp"``: most passes over the pairs (default 200; early stopping usually ends
        training after 40-100).
    mlp_options : dict, optional
        ``"mlp"``: other ``MLPRegressor`` settings, overriding
        :data:`wgflow.dae.neural.MLP_OPTIONS` (Adam, batches of 1000, learning rate 3e-3,
        early stopping after 10 epochs without improvement on a tenth of the pairs).
    rng : numpy.random.Generator or int, optional
        Randomness of the noise draws (and of the features, or of the network's
        initialisation and batches): the same seed gives the same map.

    Returns
    -------
    TrainedDAE

    Raises
    ------
    WgflowError
        For samples with NaN/inf or the wrong shape, ``t <= 0``, an unknown model, an option
        that the model does not take, a noise law that cannot be sampled; for ``"mlp"``: bad
        hidden layer sizes, fewer than 10 training pairs per network parameter, unknown
        ``mlp_options``, or scikit-learn missing.

    Warns
    -----
    ConvergenceWarning
        ``"mlp"``: the network used all ``max_epochs`` epochs without meeting its stopping
        criterion.
    """
    x = check_points("samples", samples)
    t = check_noise_time(t)
    law = resolve_noise(noise)
    model = check_choice("model", model, TRAINING_MODELS)
    _reject_options(model, dict(
        lengthscale=lengthscale, ridge=ridge, n_features=n_features,
        hidden_layer_sizes=hidden_layer_sizes, max_epochs=max_epochs, mlp_options=mlp_options,
    ))
    k, d = x.shape
    if model == "mlp":
        hidden = check_hidden_layer_sizes(
            DEFAULT_HIDDEN_LAYER_SIZES if hidden_layer_sizes is None else hidden_layer_sizes
        )
        copies = default_copies(k, d, hidden) if n_noise is None else check_integer(
            "n_noise", n_noise, 1
        )
        check_pairs(k, copies, d, hidden)
        epochs = 200 if max_epochs is None else check_integer("max_epochs", max_epochs, 1)
        options = check_mlp_options(mlp_options)
    else:
        copies = 1 if n_noise is None else check_integer("n_noise", n_noise, 1)
    gen = check_rng("rng", rng)
    clean = np.repeat(x, copies, axis=0)
    corrupted = clean + law.sample(clean.shape[0], d, t, gen)
    if model == "mlp":
        seed = int(gen.integers(2**32 - 1))
        displacement, info = fit_network(clean, corrupted, t, hidden, epochs, options, seed)
        return TrainedDAE(
            t=t, noise=law.name, model=model, n_train=clean.shape[0], dim=d, lengthscale=None,
            ridge=None, network=info, _displacement=displacement,
        )
    return _fit_kernel(
        clean, corrupted, t, law.name, model, lengthscale, ridge,
        600 if n_features is None else check_integer("n_features", n_features, 1), gen,
    )


def _fit_kernel(
    clean: np.ndarray,
    corrupted: np.ndarray,
    t: float,
    noise: str,
    model: str,
    lengthscale: float | str | None,
    ridge: float | str | None,
    n_features: int,
    gen: np.random.Generator,
) -> TrainedDAE:
    """Kernel ridge regression (``"krr"``) or ridge regression on random Fourier features
    (``"rff"``) of the residual ``clean - corrupted`` on ``corrupted``."""
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
        t=t, noise=noise, model=model, n_train=m, dim=clean.shape[1], lengthscale=length,
        ridge=lam, network=None,
        _displacement=_KernelDisplacement(model, length, centres, offsets, coef, shift, scale),
    )


def fit_deep_dae(
    samples: np.ndarray,
    taus: Sequence[float],
    model: str = "krr",
    rng: np.random.Generator | int | None = None,
    **options: Any,
) -> DeepDAE:
    """A composition of trained DAEs (section 3.1): layer ``l`` is :func:`fit_dae` trained with
    noise variance ``tau_l`` on the samples pushed by the layers before it,
    ``y_{l+1} = g_l(y_l)``, ``y_0 = samples``.

    Parameters
    ----------
    samples : array_like
        Shape ``(k, d)`` (or ``(k,)`` in 1-D).
    taus : sequence of float
        Noise variances ``> 0``, one per layer.
    model : str
        As in :func:`fit_dae`.
    rng : numpy.random.Generator or int, optional
        One generator for all layers, drawn from in turn (the same seed gives the same maps).
    **options
        Further arguments of :func:`fit_dae` (``noise``, ``n_noise``, ``hidden_layer_sizes``,
        ...), the same for every layer.

    Returns
    -------
    DeepDAE
        Its ``layers`` are the :class:`TrainedDAE` s and its ``samples`` the trajectories of
        the samples; compare with :func:`wgflow.dae.empirical.empirical_compose`, the exact
        composition of the same samples.
    """
    x = check_points("samples", samples)
    taus_arr = _noise_times(taus, "taus")
    gen = check_rng("rng", rng)
    layers: list[TrainedDAE] = []
    path = [x]
    for tau in taus_arr:
        layers.append(fit_dae(path[-1], float(tau), model=model, rng=gen, **options))
        path.append(layers[-1](path[-1]))
    return DeepDAE(taus=taus_arr, layers=tuple(layers), samples=np.stack(path))
