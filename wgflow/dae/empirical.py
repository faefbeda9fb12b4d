"""The exact DAE of an empirical measure, its compositions, and the error of a map against it.

For data given as samples ``x_1 ... x_k`` (weights ``w_j``, default ``1/k``) the data law is the
empirical measure ``mu0 = sum_j w_j delta_{x_j}``, and with Gaussian noise of variance ``t`` the
global minimiser of the DAE objective (eq. 2) is the posterior mean of Theorem 2.1, eq. (3),

::

    Phi*(x) = sum_j p_j(x) x_j,    p_j(x) = w_j exp(-|x - x_j|^2 / 2t) / sum_i (same),

a softmax over the samples.  Since ``W_t * mu0`` is the Gaussian kernel density estimate
``KDE_t`` of bandwidth ``sqrt(t)``, eq. (7) reads ``Phi*(x) = x + t grad log KDE_t(x)``: this is
exactly the map any DAE trained on these samples approaches (the training pairs of section 2.1
are draws of ``(x + eps, x)`` with ``x ~ mu0``), not an approximation of it.  The pushforward
of the samples moves every sample to the posterior mean at its own position, one step of
Gaussian mean shift; a composition of such DAEs (section 3.1), each the exact DAE of the
samples pushed by the layers before it, is blurring mean shift with bandwidths ``sqrt(tau_l)``.

:class:`EmpiricalDAE` evaluates ``Phi*``, ``log KDE_t`` and the score ``grad log KDE_t`` at any
points or on a grid, with a stable log-sum-exp over blocks of points (memory ``O(block x k)``);
:func:`empirical_compose` builds the exact deep DAE of samples as a :class:`DeepDAE`, the type
that :func:`wgflow.dae.trained.fit_deep_dae` returns for trained layers;
:func:`relative_map_error` measures ``||g - Phi*|| / ||Phi* - id||`` in ``L2`` of the corrupted
data's law by Monte Carlo, with its standard error.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from ..errors import (
    WgflowError,
    check_finite_nonnegative,
    check_integer,
    check_points,
    check_rng,
)
from ..grid import Grid
from ..kernels import single_blas_thread
from ._checks import check_noise_time
from .composition import _noise_times

__all__ = [
    "EmpiricalDAE",
    "DeepDAE",
    "MapError",
    "PointMap",
    "empirical_compose",
    "relative_map_error",
]

#: Entries of the ``(points, samples)`` array of exponents per block (16 MiB).
_BLOCK = 2**21


class PointMap(Protocol):
    """A map of points: ``(k, d)`` arrays to ``(k, d)`` arrays (a trained or an exact DAE)."""

    def __call__(self, points: np.ndarray) -> np.ndarray: ...


def _check_weights(weights: object, k: int) -> np.ndarray:
    """Weights of ``k`` samples normalised to sum 1 (default ``1/k``)."""
    if weights is None:
        return np.full(k, 1.0 / k)
    try:
        w = np.asarray(weights, dtype=float)
    except (TypeError, ValueError) as exc:
        raise WgflowError(f"weights must be {k} real numbers >= 0, got {weights!r}") from exc
    if w.shape != (k,):
        raise WgflowError(f"weights must have shape ({k},), one per sample, got {w.shape}")
    check_finite_nonnegative("weights", w)
    if not w.sum() > 0:
        raise WgflowError("weights must not all be zero")
    return w / w.sum()


class EmpiricalDAE:
    """The exact Gaussian DAE of an empirical measure: ``Phi*(x) = x + t grad log KDE_t(x)``.

    Parameters
    ----------
    samples : array_like
        The data ``x_j``, shape ``(k, d)`` (or ``(k,)`` in 1-D), finite, ``d <= 3``.
    t : float
        Noise variance ``> 0``; the kernel density estimate has bandwidth ``sqrt(t)``.
    weights : array_like, optional
        Non-negative weights of the samples, not all zero (normalised to sum 1); default equal.

    Examples
    --------
    >>> phi = EmpiricalDAE([[0.0, 0.0], [2.0, 0.0]], 0.5)
    >>> phi(np.array([[1.0, 0.0]]))          # halfway between two atoms: their mean
    array([[1., 0.]])
    """

    def __init__(self, samples: np.ndarray, t: float, weights: np.ndarray | None = None):
        self._samples = check_points("samples", samples)
        self._samples.setflags(write=False)
        self._t = check_noise_time(t)
        self._weights = _check_weights(weights, self._samples.shape[0])
        self._weights.setflags(write=False)
        self._centre = self._samples.mean(axis=0)
        self._centred = self._samples - self._centre
        with np.errstate(divide="ignore"):
            # log w_j - |x_j|^2 / 2t: the part of the exponents that does not depend on the point
            self._log_w_norm = np.log(self._weights) - np.sum(
                self._centred**2, axis=1
            ) / (2.0 * self._t)

    @property
    def samples(self) -> np.ndarray:
        """The samples ``x_j``, shape ``(k, d)`` (read-only)."""
        return self._samples

    @property
    def weights(self) -> np.ndarray:
        """Their weights, summing to 1 (read-only)."""
        return self._weights

    @property
    def t(self) -> float:
        """The noise variance."""
        return self._t

    def _points(self, points: object) -> np.ndarray:
        """``points`` checked: a finite ``(n, d)`` array in the samples' dimension."""
        return check_points("points", points, self._samples.shape[1])

    def _evaluate(self, pts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """``(Phi*(p) - p, log sum_j w_j exp(-|p - x_j|^2 / 2t))`` at checked points, by
        blocks.

        Coordinates are taken from the samples' mean.  The exponents
        ``log w_j - (|x_j|^2 - 2 p.x_j) / 2t`` leave out ``-|p|^2 / 2t``, the same for every
        ``j`` (it cancels in the softmax and is added back to the log-sum-exp), and are
        shifted by their maximum, so that no weight underflows to a zero sum however far a
        point lies from the data.
        """
        centre = self._centre
        x = self._centred
        k = x.shape[0]
        step = max(1, _BLOCK // k)
        shift = np.empty_like(pts)
        lse = np.empty(pts.shape[0])
        with single_blas_thread():  # products with d <= 3 columns: threads only slow them
            for s in range(0, pts.shape[0], step):
                self._block(pts[s : s + step] - centre, shift[s : s + step], lse[s : s + step])
        return shift, lse

    def _block(self, p: np.ndarray, shift: np.ndarray, lse: np.ndarray) -> None:
        """One block of :meth:`_evaluate`: write ``Phi*(p) - p`` into ``shift`` and the
        log-sum-exp into ``lse``, for points ``p`` already centred."""
        x = self._centred
        logits = p @ (x.T / self._t)
        logits += self._log_w_norm
        top = logits.max(axis=1, keepdims=True)
        logits -= top
        np.exp(logits, out=logits)
        total = logits.sum(axis=1)
        shift[:] = (logits @ x) / total[:, None] - p
        lse[:] = top[:, 0] + np.log(total) - np.sum(p * p, axis=1) / (2.0 * self._t)

    def __call__(self, points: np.ndarray) -> np.ndarray:
        """``Phi*(points)``, shape ``(n, d)``: the posterior mean ``E[x | x + eps = p]`` (eq. 3)."""
        pts = self._points(points)
        return pts + self._evaluate(pts)[0]

    def displacement(self, points: np.ndarray) -> np.ndarray:
        """``Phi*(p) - p = -E[eps | x~ = p]`` (eq. 4), shape ``(n, d)``."""
        return self._evaluate(self._points(points))[0]

    def score(self, points: np.ndarray) -> np.ndarray:
        """``grad log KDE_t(p) = (Phi*(p) - p) / t`` (eq. 7), shape ``(n, d)``."""
        return self._evaluate(self._points(points))[0] / self._t

    def log_density(self, points: np.ndarray) -> np.ndarray:
        """``log KDE_t(p) = log (W_t * mu0)(p)``, the Gaussian kernel density estimate of
        bandwidth ``sqrt(t)`` (no walls), shape ``(n,)``."""
        d = self._samples.shape[1]
        return self._evaluate(self._points(points))[1] - 0.5 * d * math.log(2.0 * math.pi * self._t)

    def on_grid(self, grid: Grid) -> np.ndarray:
        """``Phi*`` at the cell centres of ``grid``, shape ``(d, *grid.shape)`` (like
        :func:`wgflow.dae.dae_map`, so :func:`wgflow.dae.pushforward` can transport a grid
        density with it)."""
        if not isinstance(grid, Grid):
            raise WgflowError(f"grid must be a wgflow.Grid, got {type(grid).__name__}")
        if grid.ndim != self._samples.shape[1]:
            raise WgflowError(
                f"the samples are {self._samples.shape[1]}-dimensional, the grid has "
                f"{grid.ndim} dimensions"
            )
        return self(grid.points).T.reshape(grid.ndim, *grid.shape)

    def pushforward(self) -> np.ndarray:
        """The samples moved by the map, ``Phi*(x_j)``, shape ``(k, d)``: the atoms of
        ``Phi*#mu0`` (with the same weights)."""
        return self(self._samples)


@dataclass(frozen=True, eq=False)
class DeepDAE:
    """A composition of DAEs ``Phi_{L-1} o ... o Phi_0`` on points (section 3.1).

    Attributes
    ----------
    taus : numpy.ndarray
        The noise variance of each layer, shape ``(L,)``.
    layers : tuple of PointMap
        The layer maps (:class:`EmpiricalDAE` or :class:`~wgflow.dae.TrainedDAE`).
    samples : numpy.ndarray
        The trajectories of the samples the layers were built on, shape ``(L + 1, k, d)``:
        ``samples[l]`` is what layer ``l`` was built on, ``samples[L]`` the output.
    """

    taus: np.ndarray
    layers: tuple[PointMap, ...]
    samples: np.ndarray

    @property
    def times(self) -> np.ndarray:
        """The cumulative noise levels ``0, tau_0, tau_0 + tau_1, ...``, shape ``(L + 1,)``:
        the transport times of the paper's ``Phi^t_{0:L}``."""
        return np.concatenate([[0.0], np.cumsum(self.taus)])

    def trajectories(self, points: np.ndarray) -> np.ndarray:
        """The points after ``0, 1, ..., L`` layers, shape ``(L + 1, n, d)``."""
        pts = check_points("points", points, self.samples.shape[2])
        out = [pts]
        for layer in self.layers:
            out.append(np.asarray(layer(out[-1]), dtype=float))
        return np.stack(out)

    def __call__(self, points: np.ndarray) -> np.ndarray:
        """The composed map ``Phi^t_{0:L}(points)``, shape ``(n, d)``."""
        return self.trajectories(points)[-1]


def empirical_compose(
    samples: np.ndarray, taus: Sequence[float], weights: np.ndarray | None = None
) -> DeepDAE:
    """The exact deep DAE of samples: layer ``l`` is the :class:`EmpiricalDAE` of the samples
    pushed by the layers before it, with noise variance ``tau_l`` (section 3.1).

    Each layer's optimum is again ``y + tau_l grad log KDE`` of the pushed samples (eq. 7 with
    ``mu_l = Phi_{l-1} # mu_{l-1}``, an empirical measure with the same weights): the samples
    follow blurring Gaussian mean shift.

    Parameters
    ----------
    samples : array_like
        Shape ``(k, d)`` (or ``(k,)`` in 1-D).
    taus : sequence of float
        Noise variances ``> 0``, one per layer.
    weights : array_like, optional
        Weights of the samples (default equal).

    Returns
    -------
    DeepDAE
    """
    x = check_points("samples", samples)
    taus_arr = _noise_times(taus, "taus")
    layers: list[EmpiricalDAE] = []
    path = [x]
    for tau in taus_arr:
        layers.append(EmpiricalDAE(path[-1], float(tau), weights))
        path.append(layers[-1].pushforward())
    return DeepDAE(taus=taus_arr, layers=tuple(layers), samples=np.stack(path))


@dataclass(frozen=True)
class MapError:
    """``||g - Phi*|| / ||Phi* - id||`` in ``L2`` of the corrupted data's law (Monte Carlo).

    Attributes
    ----------
    relative : float
        ``error / displacement``.
    standard_error : float
        Its Monte Carlo standard error (delta method, the draws taken as independent).
    error : float
        ``(E |g(x~) - Phi*(x~)|^2)^(1/2)``, ``x~ = x + eps``, ``x ~ mu0``, ``eps ~ N(0, tI)``.
    displacement : float
        ``(E |Phi*(x~) - x~|^2)^(1/2)``.
    n_points : int
        Number of Monte Carlo points ``x~``.
    """

    relative: float
    standard_error: float
    error: float
    displacement: float
    n_points: int


def relative_map_error(
    model: PointMap,
    samples: np.ndarray,
    t: float,
    n_draws: int = 50,
    weights: np.ndarray | None = None,
    reference: PointMap | None = None,
    rng: np.random.Generator | int | None = None,
) -> MapError:
    """How far a map ``g`` is from the exact Gaussian DAE ``Phi*`` of samples, relative to
    ``Phi*``'s displacement, in ``L2`` of the law of ``x + eps``, ``x ~ mu0``,
    ``eps ~ N(0, tI)`` (the inputs a DAE sees in training).

    Parameters
    ----------
    model : callable
        The map ``g``, ``(n, d) -> (n, d)`` (a :class:`~wgflow.dae.TrainedDAE`, ...).
    samples : array_like
        The data ``x_j``, shape ``(k, d)``.
    t : float
        Noise variance ``> 0``.
    n_draws : int
        Noise draws per sample: ``k n_draws`` Monte Carlo points (stratified over the samples).
    weights : array_like, optional
        Weights of the samples (default equal).
    reference : callable, optional
        ``Phi*`` if already built (default ``EmpiricalDAE(samples, t, weights)``).
    rng : numpy.random.Generator or int, optional
        Randomness of the noise draws.

    Returns
    -------
    MapError
    """
    x = check_points("samples", samples)
    t = check_noise_time(t)
    n_draws = check_integer("n_draws", n_draws, 1)
    w = np.repeat(_check_weights(weights, x.shape[0]), n_draws) / n_draws
    gen = check_rng("rng", rng)
    points = np.repeat(x, n_draws, axis=0)
    points += math.sqrt(t) * gen.standard_normal(points.shape)
    exact = (EmpiricalDAE(x, t, weights) if reference is None else reference)(points)
    found = np.asarray(model(points), dtype=float)
    if found.shape != points.shape:
        raise WgflowError(
            f"the model maps points of shape {points.shape} to shape {found.shape}; accepted: "
            "a map of (n, d) arrays to (n, d) arrays"
        )
    a = np.sum((found - exact) ** 2, axis=1)
    b = np.sum((exact - points) ** 2, axis=1)
    mean_a, mean_b = float(w @ a), float(w @ b)
    ratio = math.sqrt(mean_a / mean_b)
    # delta method: Var(A/B) ~ sum w_i^2 (a_i - (A/B) b_i)^2 / B^2, and d sqrt(r) = dr / 2 sqrt(r)
    var_ratio2 = float(w**2 @ (a - ratio**2 * b) ** 2) / mean_b**2
    se = math.sqrt(var_ratio2) / (2.0 * ratio) if ratio > 0 else 0.0
    return MapError(
        relative=ratio, standard_error=se, error=math.sqrt(mean_a),
        displacement=math.sqrt(mean_b), n_points=points.shape[0],
    )
