"""The two convolutions behind the DAE of eq. (3)/(4) on a grid: the posterior mean.

For a density ``mu`` on the box ``B`` of a grid and a noise law ``nu_t`` the DAE is the
posterior mean (Theorem 2.1, eq. 3)

    Phi_t(x) = E[y | x~ = x] = ∫_B y mu(y) nu_t(x - y) dy / ∫_B mu(y) nu_t(x - y) dy,

with the integrals over the box (the data live in the box of the grid).  The
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
    (:func:`cubic_weights`): fourth order for smooth data whatever the kernel's smoothness.
    Used by default for the Laplace and box laws.
non-separable laws
    the midpoint rule on the grid of cell offsets, by FFT.

Numerators use the positive weights ``y_k - a_k`` (``a_k`` the lower wall), so the
log-domain path never takes the log of a negative number; the mean is ``a_k + num_k / den``.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from scipy.signal import fftconvolve
from scipy.special import logsumexp

from ..density import Density
from ..errors import WgflowError, check_choice
from ..grid import Grid
from ..stencils import cubic_intervals
from .noise import NoiseLaw

__all__ = ["PosteriorMean", "posterior_mean", "resolve_quadrature", "cubic_weights"]

#: Quadrature rules of the convolutions (``"auto"``: the noise law's default).
QUADRATURES: tuple[str, ...] = ("auto", "midpoint", "cubic")

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
    if check_choice("quadrature", quadrature, QUADRATURES) == "auto":
        return law.quadratures[0]
    if quadrature not in law.quadratures:
        raise WgflowError(
            f"quadrature {quadrature!r} is not available for the noise law {law.name!r}; "
            f"accepted: {', '.join(map(repr, ('auto',) + law.quadratures))}"
        )
    return quadrature


# ----------------------------------------------------------------------------------------------
# one-dimensional weight matrices
# ----------------------------------------------------------------------------------------------
def cubic_weights(law: NoiseLaw, x: np.ndarray, h: float, t: float) -> np.ndarray:
    """Weights ``W`` with ``(W f)_i = ∫ p_t(x_i - y) (I f)(y) dy`` exactly, on one axis.

    ``I f`` is the local cubic interpolant of the values ``f`` at the cell centres ``x``
    (:func:`wgflow.stencils.cubic_intervals`) on ``[x_0, x_{n-1}]``, extended by the constant
    end values over the half cells up to the walls (the convention of
    :meth:`wgflow.density.Density.__call__`; :class:`wgflow.stencils.LocalCubic` continues the
    end polynomials there instead, which interpolating displacements needs, but which would
    change this rule by a term of the end cells).  The kernel's moments over each interval
    come in closed form from :meth:`NoiseLaw.interval_moments`, so the rule is exact for cubic
    data and fourth order for smooth data whatever the kernel's smoothness (a kink for
    Laplace, jumps for the box).  The interpolant is local, so the weights vanish where the
    data vanish on a 4-cell stencil: empty regions stay empty.

    Parameters
    ----------
    law : NoiseLaw
        A separable law with :meth:`NoiseLaw.interval_moments`.
    x : numpy.ndarray
        Cell centres (uniform spacing ``h``), at least 4.
    h : float
        Spacing.
    t : float
        Noise variance.

    Returns
    -------
    numpy.ndarray
        ``(n, n)`` matrix.
    """
    n = x.size
    if n < 4:
        raise WgflowError(
            f"quadrature='cubic' needs at least 4 cells per axis, got {n}; use "
            "quadrature='midpoint'"
        )
    start, coef = cubic_intervals(n)
    delta = x[:, None] - x[None, :-1]  # (n, n-1): x_i - x_m
    moments = law.interval_moments(delta, 0.0, h, t, 3)  # (4, n, n-1), ∫_0^h p(delta-u) u^p du
    scale = h ** -np.arange(4.0)
    # contribution of interval m to node start[m] + q: sum_p moments[p] h^-p coef[m, p, q]
    contrib = np.einsum("pim,mpq->imq", moments * scale[:, None, None], coef)  # (n, n-1, 4)
    weights = np.zeros((n, n))
    for q in range(4):  # intervals share nodes: accumulate
        np.add.at(weights.T, start + q, contrib[:, :, q].T)
    weights[:, 0] += law.interval_moments(x - x[0], -0.5 * h, 0.0, t, 0)[0]
    weights[:, -1] += law.interval_moments(x - x[-1], 0.0, 0.5 * h, t, 0)[0]
    return weights


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


@lru_cache(maxsize=64)
def _axis_matrix(law: NoiseLaw, quadrature: str, axis: bytes, h: float, t: float) -> np.ndarray:
    """The weight matrix of one axis (log weights for ``"midpoint"``), cached: compositions
    reuse it; ``axis`` holds the cell centres as bytes (hashable, exact)."""
    x = np.frombuffer(axis)
    if quadrature == "midpoint":  # log(h p_t(x_i - x_j)), the log-domain midpoint rule
        return math.log(h) + law.log_pdf_1d(x[:, None] - x[None, :], t)
    return cubic_weights(law, x, h, t)


def _fft_conv(values: np.ndarray, kernel: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    full = fftconvolve(values, kernel, mode="full")
    index = tuple(slice(n - 1, 2 * n - 1) for n in shape)
    return np.maximum(full[index], 0.0)


def _smoother(
    law: NoiseLaw, grid: Grid, t: float, quadrature: str
) -> Callable[[np.ndarray], np.ndarray]:
    """The convolution with ``nu_t`` by the rule ``quadrature``: of the logs of the values for
    a separable law and the midpoint rule (log domain), of the values otherwise."""
    if law.separable:
        mats = [
            _axis_matrix(law, quadrature, x.tobytes(), h, float(t))
            for x, h in zip(grid.axes, grid.spacing)
        ]
        conv = _log_conv_axis if quadrature == "midpoint" else _lin_conv_axis

        def smooth(f: np.ndarray) -> np.ndarray:
            for axis, mat in enumerate(mats):
                f = conv(f, mat, axis)
            return f

        return smooth
    offsets = tuple(np.arange(-(n - 1), n) * h for n, h in zip(grid.shape, grid.spacing))
    kernel = law.kernel_on_offsets(tuple(np.meshgrid(*offsets, indexing="ij")), grid.spacing, t)
    if not np.isfinite(kernel).all() or (kernel < 0).any() or not kernel.sum() > 0:
        raise WgflowError(
            f"the noise law {law.name!r} gives a kernel that is not a density on the "
            f"grid of offsets at t = {t:g} (non-finite, negative or all zero)"
        )
    kernel = kernel * grid.cell_volume
    return lambda f: _fft_conv(f, kernel, grid.shape)


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
    smooth = _smoother(law, grid, t, quadrature)
    values = rho.values
    # numerator weights y_k - a_k > 0 (a_k the lower wall), so that their logs are defined
    lower = np.array([a for a, _ in grid.bounds])
    coords = [c - a for c, a in zip(grid.coordinates, lower)]
    mean = np.empty((grid.ndim, *grid.shape))
    if law.separable and quadrature == "midpoint":  # smooth acts on logs
        with np.errstate(divide="ignore"):
            log_f = np.log(values)
            log_smoothed = smooth(log_f)
            defined = np.isfinite(log_smoothed)
            for k, coord in enumerate(coords):
                log_num = smooth(log_f + np.log(coord))
                mean[k] = lower[k] + np.exp(np.where(defined, log_num - log_smoothed, 0.0))
    else:
        den = smooth(values)
        defined = den > max(RELATIVE_FLOOR * float(den.max()), _TINY)
        safe = np.where(defined, den, 1.0)
        for k, coord in enumerate(coords):
            mean[k] = lower[k] + smooth(values * coord) / safe
        with np.errstate(divide="ignore"):
            log_smoothed = np.where(den > 0, np.log(np.where(den > 0, den, 1.0)), -np.inf)

    # where undefined: the identity (no data within reach of the noise); always inside the box
    for k, ((a, b), c) in enumerate(zip(grid.bounds, grid.coordinates)):
        mean[k] = np.clip(np.where(defined, mean[k], c), a, b)
    return PosteriorMean(
        mean=mean, log_smoothed=log_smoothed, defined=defined, quadrature=quadrature
    )
