"""Gaussian kernel density estimates of sample data in a box with no-flux walls.

A Gaussian kernel density estimate of bandwidth ``b`` of points ``x_j`` is the heat flow
``d_t mu = Lap mu`` of their empirical measure at time ``b^2/2``; in a box with no-flux walls
it is the estimate with its mirror images at the walls.  These functions serve
:meth:`wgflow.Density.from_samples` and :func:`wgflow.exact.kde`.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from .errors import (
    WgflowError,
    as_real_array,
    check_choice,
    check_finite_nonnegative,
    check_points,
)
from .grid import Grid

#: The bandwidth rules accepted by :meth:`Density.from_samples` (and :func:`wgflow.exact.kde`).
BANDWIDTH_RULES = ("scott", "silverman")

# images (or cosine modes) are dropped once their factor exp(-z) falls below 1e-16 of the peak
_TAIL = float(np.log(1e16))


def check_samples(
    grid: Grid, samples: np.ndarray, weights: np.ndarray | None
) -> tuple[np.ndarray, np.ndarray]:
    """``samples`` as a ``(k, d)`` float array inside the box and ``weights`` as ``(k,)``;
    raise naming the bad value otherwise."""
    if not isinstance(grid, Grid):
        raise WgflowError(f"grid must be a wgflow.Grid, got {type(grid).__name__}")
    samples = check_points("samples", samples, grid.ndim)
    outside = ~grid.contains(samples)
    if outside.any():
        raise WgflowError(
            f"{int(outside.sum())} samples lie outside the grid box {grid.bounds}, "
            f"for example {samples[outside][0].tolist()}"
        )
    if weights is None:
        weights = np.ones(samples.shape[0])
    weights = as_real_array("weights", weights)
    if weights.shape != (samples.shape[0],):
        raise WgflowError(
            f"weights must have shape ({samples.shape[0]},), got {weights.shape}"
        )
    check_finite_nonnegative("sample weights", weights)
    if weights.sum() <= 0:
        raise WgflowError("sample weights must not all be zero")
    return samples, weights


def kde_bandwidths(
    grid: Grid,
    samples: np.ndarray,
    weights: np.ndarray,
    bandwidth: float | str | Sequence[float] | np.ndarray,
) -> np.ndarray:
    """The per-axis bandwidths ``b_i > 0`` (shape ``(d,)``) of a kernel density estimate.

    ``bandwidth`` is a number ``> 0``, ``d`` numbers ``> 0`` or a rule of
    :data:`BANDWIDTH_RULES` (see :meth:`Density.from_samples`); ``samples`` and ``weights``
    are checked already (:func:`check_samples`).
    """
    d = grid.ndim
    k = samples.shape[0]
    if k < 2:
        raise WgflowError(
            f"a kernel density estimate needs at least two samples, got {k}; accepted: "
            "bandwidth=0 (the histogram) for a single point"
        )
    if isinstance(bandwidth, str):
        rule = check_choice("bandwidth rule", bandwidth.lower(), BANDWIDTH_RULES)
        w = weights / weights.sum()
        n_eff = 1.0 / float(np.sum(w**2))
        if np.count_nonzero(w) < 2:
            raise WgflowError(
                f"the bandwidth rule {rule!r} needs at least two samples of positive weight, "
                f"got {np.count_nonzero(w)}; accepted: give the bandwidth as a number > 0"
            )
        mean = w @ samples
        # the unbiased weighted variance of numpy.cov(aweights=w) (ddof=1)
        variance = (w @ (samples - mean) ** 2) / (1.0 - float(np.sum(w**2)))
        sigma = np.sqrt(np.maximum(variance, 0.0))
        factor = n_eff ** (-1.0 / (d + 4))
        if rule == "silverman":
            factor *= (4.0 / (d + 2)) ** (1.0 / (d + 4))
        b = factor * sigma
        if not (np.isfinite(b).all() and (b > 0).all()):
            axis = int(np.argwhere(~(np.isfinite(b) & (b > 0)))[0, 0])
            raise WgflowError(
                f"the bandwidth rule {rule!r} gives bandwidth {float(b[axis])!r} along axis "
                f"{axis}: the samples (effective number {n_eff:.6g}) do not spread along it; "
                "accepted: give the bandwidth as a number > 0 (or one per axis)"
            )
        return b
    try:
        b = as_real_array("bandwidth", bandwidth)
    except WgflowError:
        raise WgflowError(
            f"bandwidth must be a number > 0, {d} numbers > 0 (one per axis) or a rule "
            f"name ({', '.join(repr(r) for r in BANDWIDTH_RULES)}), got {bandwidth!r}"
        ) from None
    if b.ndim == 0:
        b = np.full(d, float(b))
    elif b.shape != (d,):
        raise WgflowError(
            f"bandwidth must be one number or {d} numbers (one per axis of the grid), got "
            f"{b.size} values: {bandwidth!r}"
        )
    bad = ~(np.isfinite(b) & (b > 0))
    if bad.any():
        axis = int(np.argwhere(bad)[0, 0])
        raise WgflowError(
            f"bandwidth must be a finite number > 0 on every axis, got {float(b[axis])!r} "
            f"along axis {axis} (bandwidth={bandwidth!r}); accepted: numbers > 0, a rule "
            f"name ({', '.join(repr(r) for r in BANDWIDTH_RULES)}), or 0 for the histogram"
        )
    return b


def _mirrored_gaussian(y: np.ndarray, x: np.ndarray, b: float, a: float, c: float) -> np.ndarray:
    """``(k, n)`` values at ``y`` (n,) of the 1-D Gaussians ``N(x_j, b^2)`` (x: (k,)) with
    their mirror images at the walls of ``[a, c]``: the no-flux heat kernel of ``[a, c]`` at
    time ``b^2/2``.  The image sum is used when the box is wide compared with ``b``, the
    equivalent cosine series otherwise; both are cut below ``1e-16`` of the peak."""
    length = c - a
    # images x + 2nL and 2a - x + 2nL lie at least (2|n| - 1) L from any point of the box
    n_images = int(np.ceil((np.sqrt(2.0 * _TAIL) * b / length + 1.0) / 2.0))
    # the cosine series has terms exp(-(m pi b / L)^2 / 2)
    n_modes = int(np.ceil(np.sqrt(2.0 * _TAIL) * length / (np.pi * b)))
    if 2 * (2 * n_images + 1) <= n_modes + 1:
        out = np.zeros((x.size, y.size))
        scale = 1.0 / (np.sqrt(2.0 * np.pi) * b)
        for n in range(-n_images, n_images + 1):
            for image in (x + 2 * n * length, 2 * a - x + 2 * n * length):
                z = (y[None, :] - image[:, None]) / b
                out += np.exp(-0.5 * z * z)
        return out * scale
    m = np.arange(1, n_modes + 1)
    q = np.pi * m / length
    damping = np.exp(-0.5 * (q * b) ** 2)
    cos_x = np.cos(np.outer(x - a, q)) * damping
    cos_y = np.cos(np.outer(q, y - a))
    return (1.0 + 2.0 * cos_x @ cos_y) / length


def kde_values(
    grid: Grid, samples: np.ndarray, weights: np.ndarray, bandwidths: np.ndarray
) -> np.ndarray:
    """The mirrored Gaussian kernel density estimate at the cell centres, ``grid.shape``.

    ``sum_j w_j prod_i K_i[j, :]`` with ``K_i`` the ``(k, n_i)`` matrix of 1-D mirrored
    Gaussians of axis ``i`` (:func:`_mirrored_gaussian`) and ``w`` normalised to sum 1;
    the sum over samples is a matrix product over blocks of samples, so that no
    ``k x grid.size`` array is formed.
    """
    w = weights / weights.sum()
    kernels = [
        _mirrored_gaussian(axis, samples[:, i], float(bandwidths[i]), lo, hi)
        for i, (axis, (lo, hi)) in enumerate(zip(grid.axes, grid.bounds))
    ]
    head = int(np.prod(grid.shape[:-1]))
    block = max(1, 2**22 // max(head, 1))
    values = np.zeros((head, grid.shape[-1]))
    for start in range(0, samples.shape[0], block):
        rows = slice(start, start + block)
        outer = w[rows, None]
        for kernel in kernels[:-1]:
            outer = (outer[:, :, None] * kernel[rows, None, :]).reshape(outer.shape[0], -1)
        values += outer.T @ kernels[-1][rows]
    return np.maximum(values.reshape(grid.shape), 0.0)
