"""The two convolutions behind the DAE of eq. (3)/(4) on a grid: the posterior mean.

For a density ``mu`` on the box ``B`` of a grid and a noise law ``nu_t`` the DAE is the
posterior mean (Theorem 2.1, eq. 3)

    Phi_t(x) = E[y | x~ = x] = ∫_B y mu(y) nu_t(x - y) dy / ∫_B mu(y) nu_t(x - y) dy,

with the integrals over the box (the data live in the box; DESIGN.md section 1).  The
denominator is the smoothed density ``(nu_t * mu)(x)``.  Both integrals are computed with a
quadrature rule on the cell values of ``mu``:

``"midpoint"``
    a sum over the cell centres (the data as the discrete measure of its cell masses).  For a
    separable law it is evaluated in the log domain (per-line shifted matrix products, exact
    log-sum-exp where they underflow), so the map is the exact posterior mean of the discrete
    measure *everywhere*, also where the smoothed density underflows.  Spectrally accurate for
    the Gaussian kernel once ``sqrt(t)`` spans a few cells.
``"cubic"``
    the exact integral of the kernel against the local cubic interpolant of the values
    (:func:`~wgflow.dae.noise.cubic_weights`): fourth order for smooth data whatever the
    kernel's smoothness.  Used by default for the Laplace and box laws.
non-separable laws
    the midpoint rule on the grid of cell offsets, by FFT.

Numerators use the positive weights ``y_k - a_k`` (``a_k`` the lower wall), so the
log-domain path never takes the log of a negative number; the mean is ``a_k + num_k / den``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.signal import fftconvolve
from scipy.special import logsumexp

from ..density import Density
from ..errors import WgflowError
from ..grid import Grid
from .noise import QUADRATURES, NoiseLaw, cubic_weights, midpoint_log_weights

__all__ = ["PosteriorMean", "posterior_mean", "resolve_quadrature"]

#: Where the smoothed density is below this fraction of its maximum, a linear-weight quadrature
#: (``"cubic"``, FFT) cannot resolve the ratio: the map is the identity there.
RELATIVE_FLOOR = 1e-14

_TINY = 1e-280
_CHUNK = 2_000_000  # elements per log-sum-exp block


@dataclass(frozen=True)
class PosteriorMean:
    """What :func:`posterior_mean` computes.

    Attributes
    ----------
    mean : numpy.ndarray
        ``E[y | x]`` at the cell centres, shape ``(d, *grid.shape)``; the identity where
        ``defined`` is False.
    log_smoothed : numpy.ndarray
        ``log((nu_t * mu)(x))`` (``-inf`` where it vanishes), shape ``grid.shape``.
    defined : numpy.ndarray
        Boolean mask of the cells where the posterior mean is defined (the smoothed density
        is resolved).
    quadrature : str
        The rule used.
    """

    mean: np.ndarray
    log_smoothed: np.ndarray
    defined: np.ndarray
    quadrature: str


def resolve_quadrature(law: NoiseLaw, quadrature: str) -> str:
    """The quadrature rule for ``law``: ``"auto"`` picks the law's default."""
    if not isinstance(quadrature, str) or quadrature not in QUADRATURES:
        raise WgflowError(
            f"unknown quadrature {quadrature!r}; accepted: {', '.join(map(repr, QUADRATURES))}"
        )
    if quadrature == "auto":
        return law.quadratures[0]
    if quadrature not in law.quadratures:
        raise WgflowError(
            f"quadrature {quadrature!r} is not available for the noise law {law.name!r}; "
            f"accepted: {', '.join(map(repr, ('auto',) + law.quadratures))}"
        )
    return quadrature


# ----------------------------------------------------------------------------------------------
# axis-by-axis convolutions
# ----------------------------------------------------------------------------------------------
def _log_conv_axis(log_f: np.ndarray, log_k: np.ndarray, axis: int) -> np.ndarray:
    """``log(sum_j exp(log_k[i, j] + log_f[..., j, ...]))`` along ``axis``."""
    moved = np.moveaxis(log_f, axis, -1)
    shape = moved.shape
    lines = moved.reshape(-1, shape[-1])
    shift = lines.max(axis=1, keepdims=True)
    finite = np.isfinite(shift)
    shift = np.where(finite, shift, 0.0)
    with np.errstate(under="ignore"):
        kernel = np.exp(log_k)
        values = np.exp(lines - shift) @ kernel.T
    with np.errstate(divide="ignore"):
        out = np.log(values) + shift
    bad_rows = np.flatnonzero(((values < _TINY) & finite).any(axis=1))
    if bad_rows.size:
        n_out, n_in = log_k.shape
        step = max(1, _CHUNK // (n_out * n_in))
        for s in range(0, bad_rows.size, step):
            rows = bad_rows[s : s + step]
            out[rows] = logsumexp(lines[rows][:, None, :] + log_k[None], axis=-1)
    return np.moveaxis(out.reshape(shape[:-1] + (log_k.shape[0],)), -1, axis)


def _lin_conv_axis(f: np.ndarray, weights: np.ndarray, axis: int) -> np.ndarray:
    """``sum_j weights[i, j] f[..., j, ...]`` along ``axis``."""
    return np.moveaxis(np.tensordot(weights, f, axes=([1], [axis])), 0, axis)


#: Per-axis weight matrices, keyed by the identity of the noise law and the grid axis;
#: each entry keeps its law alive so that the identity cannot be reused by another law.
_CACHE: dict[tuple, tuple[NoiseLaw, np.ndarray]] = {}
_CACHE_MAX = 64


def _axis_matrices(law: NoiseLaw, grid: Grid, t: float, quadrature: str) -> list[np.ndarray]:
    mats = []
    for axis, (x, h) in enumerate(zip(grid.axes, grid.spacing)):
        key = (id(law), quadrature, x.size, float(x[0]), float(h), float(t))
        entry = _CACHE.get(key)
        if entry is not None and entry[0] is law:
            mat = entry[1]
        else:
            if quadrature == "midpoint":
                mat = midpoint_log_weights(law, x, h, t)
            else:
                mat = cubic_weights(law, x, h, t)
            if len(_CACHE) >= _CACHE_MAX:
                _CACHE.pop(next(iter(_CACHE)))
            _CACHE[key] = (law, mat)
        mats.append(mat)
    return mats


def _coordinate_weights(grid: Grid) -> list[np.ndarray]:
    """``y_k - a_k`` (positive on the grid) broadcast to ``grid.shape``, one per axis."""
    return [c - a for c, (a, _) in zip(grid.coordinates, grid.bounds)]


def _fft_conv(values: np.ndarray, kernel: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    full = fftconvolve(values, kernel, mode="full")
    index = tuple(slice(n - 1, 2 * n - 1) for n in shape)
    return np.maximum(full[index], 0.0)


# ----------------------------------------------------------------------------------------------
# posterior mean
# ----------------------------------------------------------------------------------------------
def posterior_mean(
    rho: Density, law: NoiseLaw, t: float, quadrature: str = "auto"
) -> PosteriorMean:
    """``E[y | x]`` at every cell centre for data ``rho`` and noise ``nu_t`` (eq. 3).

    Parameters
    ----------
    rho : Density
        The data density ``mu0`` (positive mass).
    law : NoiseLaw
        The noise law.
    t : float
        Noise variance ``> 0``.
    quadrature : str
        ``"auto"`` (the law's default), ``"midpoint"`` or ``"cubic"``.

    Returns
    -------
    PosteriorMean
    """
    quadrature = resolve_quadrature(law, quadrature)
    grid = rho.grid
    d = grid.ndim
    lower = np.array([a for a, _ in grid.bounds])
    values = rho.values
    coords = _coordinate_weights(grid)
    mean = np.empty((d, *grid.shape))

    if law.separable and quadrature == "midpoint":
        mats = _axis_matrices(law, grid, t, quadrature)

        def smooth(log_f: np.ndarray) -> np.ndarray:
            for axis, mat in enumerate(mats):
                log_f = _log_conv_axis(log_f, mat, axis)
            return log_f

        with np.errstate(divide="ignore"):
            log_f = np.log(values)
            log_den = smooth(log_f)
            defined = np.isfinite(log_den)
            for k in range(d):
                log_num = smooth(log_f + np.log(coords[k]))
                ratio = np.exp(np.where(defined, log_num - log_den, 0.0))
                mean[k] = lower[k] + ratio
        log_smoothed = log_den
    else:
        if law.separable:
            mats = _axis_matrices(law, grid, t, quadrature)

            def smooth(f: np.ndarray) -> np.ndarray:
                for axis, mat in enumerate(mats):
                    f = _lin_conv_axis(f, mat, axis)
                return f
        else:
            offsets = tuple(
                np.arange(-(n - 1), n) * h for n, h in zip(grid.shape, grid.spacing)
            )
            kernel = law.kernel_on_offsets(
                tuple(np.meshgrid(*offsets, indexing="ij")), grid.spacing, t
            )
            if not np.isfinite(kernel).all() or (kernel < 0).any() or not kernel.sum() > 0:
                raise WgflowError(
                    f"the noise law {law.name!r} gives a kernel that is not a density on the "
                    f"grid of offsets at t = {t:g} (non-finite, negative or all zero)"
                )
            kernel = kernel * grid.cell_volume

            def smooth(f: np.ndarray) -> np.ndarray:
                return _fft_conv(f, kernel, grid.shape)

        den = smooth(values)
        peak = float(den.max()) if den.size else 0.0
        defined = den > max(RELATIVE_FLOOR * peak, _TINY)
        safe = np.where(defined, den, 1.0)
        for k in range(d):
            num = smooth(values * coords[k])
            mean[k] = np.where(defined, lower[k] + num / safe, grid.coordinates[k])
        with np.errstate(divide="ignore"):
            log_smoothed = np.where(den > 0, np.log(np.where(den > 0, den, 1.0)), -np.inf)

    # where undefined: the identity (no data within reach of the noise); always inside the box
    for k, ((a, b), c) in enumerate(zip(grid.bounds, grid.coordinates)):
        mean[k] = np.clip(np.where(defined, mean[k], c), a, b)
    return PosteriorMean(
        mean=mean, log_smoothed=log_smoothed, defined=defined, quadrature=quadrature
    )
