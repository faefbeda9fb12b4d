"""Neural DAEs: a multilayer perceptron trained to denoise (section 2.1, Theorem 2.1).

:func:`wgflow.dae.fit_dae` with ``model="mlp"`` trains scikit-learn's ``MLPRegressor`` on the
pairs ``(x_i + eps, x_i)``, ``eps ~ N(0, tI)`` (or another sampled noise law), minimising the
empirical version of ``E |g(x + eps) - x|^2`` (eq. 2) with the squared loss.  As the kernel
models do, the network learns the residual: it maps the standardised corrupted input
``z = (x~ - m) / s`` (``m``, ``s``: mean and standard deviation of the corrupted inputs, per
axis) to ``(x - x~) / sqrt(t) = -eps / sqrt(t)``, and

    g(x~) = x~ + sqrt(t) f((x~ - m) / s),

the identity plus a learned denoising term (``Phi_t = x - E[eps | x]``, eq. 4), with inputs and
targets of unit scale whatever the data's units and the noise level.  Training uses Adam on
mini-batches and early stopping on a held-out tenth of the pairs (the coefficients of the best
validation epoch are kept); the targets are noisy (their conditional variance is the posterior
variance of ``eps``), so the error of the fitted map is mostly the variance of the fit, and it
falls as the number of corrupted copies grows.

scikit-learn is an optional dependency (``pip install "wgflow[neural]"``); this module imports
it only when a network is trained.
"""

from __future__ import annotations

import math
import numbers
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..errors import ConvergenceWarning, WgflowError
from ..kernels import single_blas_thread

__all__ = ["NetworkInfo", "DEFAULT_HIDDEN_LAYER_SIZES", "MLP_OPTIONS", "MIN_PAIRS_PER_PARAMETER"]

#: Hidden layers of the default network: two layers of 64 ReLU units (4482 parameters in 2-D).
DEFAULT_HIDDEN_LAYER_SIZES: tuple[int, ...] = (64, 64)

#: Fewest training pairs (corrupted copies count) per network parameter that are accepted.
MIN_PAIRS_PER_PARAMETER = 10

#: Training pairs aimed at by default: ``n_noise = ceil(max(DEFAULT_PAIRS, 2 x 10 x
#: parameters) / k)`` corrupted copies of each of ``k`` samples.
DEFAULT_PAIRS = 100_000

#: Settings of ``sklearn.neural_network.MLPRegressor`` used unless ``mlp_options`` says
#: otherwise: Adam on batches of 1000 (a hundred batches per epoch of the default 10^5 pairs)
#: and early stopping on a tenth of the pairs.  With them the default network reaches a
#: relative map error of 0.13-0.15 on two standardised features of scikit-learn's wine data
#: (178 samples, ``t = 0.1``; ``benchmarks/bench_neural_dae.py``).
MLP_OPTIONS: Mapping[str, Any] = {
    "activation": "relu",
    "solver": "adam",
    "alpha": 1e-4,
    "batch_size": 1000,
    "learning_rate_init": 3e-3,
    "early_stopping": True,
    "validation_fraction": 0.1,
    "n_iter_no_change": 10,
    "tol": 1e-5,
}

#: ``MLPRegressor`` parameters that :func:`wgflow.dae.fit_dae` sets itself.
_RESERVED = ("hidden_layer_sizes", "max_iter", "random_state", "warm_start", "verbose")

#: Points per block of a prediction (the hidden activations of a block stay small).
_PREDICT_BLOCK = 65_536

_INSTALL = 'pip install "wgflow[neural]"'


def _is_width(n: object) -> bool:
    """Whether ``n`` is an integer ``>= 1`` (not a bool)."""
    return isinstance(n, (int, np.integer)) and not isinstance(n, bool) and int(n) >= 1


def check_hidden_layer_sizes(value: object) -> tuple[int, ...]:
    """Hidden layer widths: a positive integer (one layer) or a non-empty sequence of them."""
    sizes = [value] if isinstance(value, (numbers.Integral, np.integer)) else value
    if not (isinstance(sizes, (tuple, list)) and sizes and all(_is_width(n) for n in sizes)):
        raise WgflowError(
            f"hidden_layer_sizes must be a positive integer or a non-empty sequence of positive "
            f"integers (units per hidden layer, e.g. (64, 64)), got {value!r}"
        )
    return tuple(int(n) for n in sizes)


def count_parameters(d: int, hidden: tuple[int, ...]) -> int:
    """Weights and biases of a perceptron ``d -> hidden[0] -> ... -> hidden[-1] -> d``."""
    widths = (d, *hidden, d)
    return sum((a + 1) * b for a, b in zip(widths[:-1], widths[1:]))


def default_copies(k: int, d: int, hidden: tuple[int, ...]) -> int:
    """Default corrupted copies per sample: about :data:`DEFAULT_PAIRS` pairs, and at least
    twice the minimum of :data:`MIN_PAIRS_PER_PARAMETER` pairs per parameter."""
    pairs = max(DEFAULT_PAIRS, 2 * MIN_PAIRS_PER_PARAMETER * count_parameters(d, hidden))
    return max(1, math.ceil(pairs / k))


def check_pairs(k: int, n_noise: int, d: int, hidden: tuple[int, ...]) -> None:
    """Raise unless ``k n_noise`` training pairs are at least :data:`MIN_PAIRS_PER_PARAMETER`
    per network parameter."""
    params = count_parameters(d, hidden)
    need = MIN_PAIRS_PER_PARAMETER * params
    if k * n_noise < need:
        raise WgflowError(
            f"too few training pairs for the network: {k} samples x n_noise={n_noise} corrupted "
            f"copies = {k * n_noise} pairs, but hidden_layer_sizes={hidden} has {params} "
            f"parameters in {d}-D and needs at least {need} pairs ({MIN_PAIRS_PER_PARAMETER} per "
            f"parameter); accepted: n_noise >= {math.ceil(need / k)} or a smaller network"
        )


def check_mlp_options(options: Mapping[str, Any] | None) -> dict[str, Any]:
    """:data:`MLP_OPTIONS` updated by ``options`` (keys checked against ``MLPRegressor``'s
    parameters; their values are checked by scikit-learn when the network is trained)."""
    if options is None:
        return dict(MLP_OPTIONS)
    if not isinstance(options, Mapping):
        raise WgflowError(f"mlp_options must be a dict of MLPRegressor settings, got {options!r}")
    accepted = sorted(set(_mlp_class()().get_params()) - set(_RESERVED))
    unknown = [key for key in options if key not in accepted]
    if unknown:
        reserved = [key for key in unknown if key in _RESERVED]
        hint = (
            f" ({', '.join(reserved)}: set by fit_dae's own arguments hidden_layer_sizes, "
            "max_epochs and rng)" if reserved else ""
        )
        raise WgflowError(
            f"unknown mlp_options {', '.join(repr(key) for key in unknown)}{hint}; accepted: "
            f"{', '.join(accepted)}"
        )
    return {**MLP_OPTIONS, **options}


def _mlp_class() -> Any:
    """``sklearn.neural_network.MLPRegressor``, or an error saying how to install it."""
    try:
        from sklearn.neural_network import MLPRegressor
    except ImportError as exc:
        raise WgflowError(
            f'model="mlp" trains a scikit-learn MLPRegressor, and scikit-learn is not '
            f"installed: {_INSTALL}"
        ) from exc
    return MLPRegressor


@dataclass(frozen=True)
class NetworkInfo:
    """How the network of a neural DAE was trained.

    Attributes
    ----------
    hidden_layer_sizes : tuple of int
        Units per hidden layer.
    n_parameters : int
        Weights and biases.
    n_epochs : int
        Passes over the training pairs.
    stopped_early : bool
        Whether training stopped because the validation score stopped improving (``False``:
        it ran ``max_epochs`` epochs, and a :class:`~wgflow.errors.ConvergenceWarning` said so).
    best_validation_score : float or None
        Best coefficient of determination ``R^2`` of the scaled residual on the held-out pairs
        (``None`` without early stopping).  It stays well below 1: the targets hold the noise
        that no denoiser can predict.
    loss_curve : tuple of float
        Half the mean squared error of the scaled residual (plus the weight penalty) per epoch.
    options : dict
        The ``MLPRegressor`` settings used (:data:`MLP_OPTIONS` and ``mlp_options``).
    """

    hidden_layer_sizes: tuple[int, ...]
    n_parameters: int
    n_epochs: int
    stopped_early: bool
    best_validation_score: float | None
    loss_curve: tuple[float, ...] = field(repr=False)
    options: dict[str, Any] = field(repr=False)


class NetworkDisplacement:
    """The learned denoising term ``x~ -> sqrt(t) f((x~ - m) / s)`` of a trained network."""

    def __init__(self, network: Any, shift: np.ndarray, scale: np.ndarray, t: float):
        self._network = network
        self._shift = shift
        self._scale = scale
        self._root_t = math.sqrt(t)

    def __call__(self, points: np.ndarray) -> np.ndarray:
        """The displacement at checked points of shape ``(n, d)``, shape ``(n, d)``."""
        out = np.empty_like(points)
        with single_blas_thread():
            for s in range(0, points.shape[0], _PREDICT_BLOCK):
                z = (points[s : s + _PREDICT_BLOCK] - self._shift) / self._scale
                out[s : s + _PREDICT_BLOCK] = self._network.predict(z).reshape(z.shape)
        return self._root_t * out


def fit_network(
    clean: np.ndarray,
    corrupted: np.ndarray,
    t: float,
    hidden: tuple[int, ...],
    max_epochs: int,
    options: dict[str, Any],
    seed: int,
) -> tuple[NetworkDisplacement, NetworkInfo]:
    """Train the perceptron on the pairs ``(corrupted, clean)`` (checked by the caller).

    The network is trained in single precision on one BLAS thread (reproducible for a given
    ``seed``); its predictions are returned in double precision.
    """
    mlp = _mlp_class()
    shift = corrupted.mean(axis=0)
    scale = np.maximum(corrupted.std(axis=0), 1e-12)
    z = ((corrupted - shift) / scale).astype(np.float32)
    target = ((clean - corrupted) / math.sqrt(t)).astype(np.float32)
    if target.shape[1] == 1:
        target = target[:, 0]
    network = mlp(hidden_layer_sizes=hidden, max_iter=max_epochs, random_state=seed, **options)
    with warnings.catch_warnings(record=True) as caught, single_blas_thread():
        warnings.simplefilter("always")
        try:
            network.fit(z, target)
        except ValueError as exc:  # the pairs are finite and shaped: a bad MLPRegressor setting
            raise WgflowError(
                f"mlp_options rejected by scikit-learn's MLPRegressor: {exc}"
            ) from exc
    ran_out = any(type(w.message).__name__ == "ConvergenceWarning" for w in caught)
    for w in caught:
        if type(w.message).__name__ != "ConvergenceWarning":
            warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
    if ran_out:
        warnings.warn(
            f"the network trained for max_epochs={max_epochs} epochs without meeting its "
            "stopping criterion (n_iter_no_change epochs without improvement); raise "
            "max_epochs or learning_rate_init",
            ConvergenceWarning,
            stacklevel=3,
        )
    best = getattr(network, "best_validation_score_", None)
    info = NetworkInfo(
        hidden_layer_sizes=hidden,
        n_parameters=count_parameters(clean.shape[1], hidden),
        n_epochs=int(network.n_iter_),
        stopped_early=not ran_out,
        best_validation_score=None if best is None else float(best),
        loss_curve=tuple(float(v) for v in getattr(network, "loss_curve_", ())),
        options=dict(options),
    )
    return NetworkDisplacement(network, shift, scale, t), info
