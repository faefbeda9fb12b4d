"""Low-pass filters of grid functions with no-flux (reflecting) walls.

Two filters regularise the ill-posed backward flows (eqs. 11 and 17; in the backward heat flow
a perturbation of wavenumber ``k`` grows like ``exp(|k|^2 t)``) and the continuous DAE
(eq. 10):

* :func:`spectral_lowpass`, a cosine-series filter with the symbol
  ``exp(-(|k| s)^(2 p) / 2)``: modes with ``|k| s < 0.5`` pass almost unchanged (a relative
  change below ``2^(-2p-1)``), modes with ``|k| s > 1.3`` are removed.  It leaves the smooth,
  well-resolved part of a density untouched, so it brings almost no bias.
* :func:`gaussian_smooth`, the Gaussian filter of standard deviation ``s``, i.e. the heat flow
  for time ``s^2 / 2``: mode ``k`` is multiplied by ``exp(-|k|^2 s^2 / 2)``, a bias of order
  ``s^2`` in every mode; it keeps positivity, which the spectral filter does not.

The cosine transform (type-II DCT of the cell values) is the Fourier series of the even
extension about the walls, natural on a cell-centred grid with no-flux walls: constants pass
unchanged and the mass is kept exactly by both filters.

:func:`local_quadratic_fit`, a weighted local quadratic regression, smooths a first
variation (the pressure of the porous-medium flow) while continuing it past a free boundary
with the right slope.
"""

from __future__ import annotations

import itertools

import numpy as np
from scipy.fft import dctn, idctn
from scipy.ndimage import correlate1d, find_objects, gaussian_filter, label

from .errors import check_positive
from .grid import Grid
from .stencils import cosine_wavenumbers_squared


def spectral_lowpass(
    values: np.ndarray, grid: Grid, smoothing: float, order: int = 4
) -> np.ndarray:
    """Cosine-series filter with symbol ``exp(-(|k| smoothing)^(2 order) / 2)``.

    Parameters
    ----------
    values : ndarray
        Cell values, shape ``grid.shape``.
    grid : Grid
    smoothing : float
        The length ``s > 0`` of the cut-off (wavenumbers above about ``1.3 / s`` are
        removed).
    order : int
        Sharpness ``p`` of the cut-off.

    Returns
    -------
    ndarray
        The filtered values, shape ``grid.shape`` (may dip below zero where ``values``
        has sharp features).

    Raises
    ------
    WgflowError
        If ``smoothing`` is not a finite number > 0.
    """
    smoothing = check_positive("smoothing", smoothing)
    coefficients = dctn(values, type=2, norm="ortho")
    coefficients *= np.exp(
        -0.5 * (cosine_wavenumbers_squared(grid) * smoothing * smoothing) ** order
    )
    return idctn(coefficients, type=2, norm="ortho")


def gaussian_smooth(values: np.ndarray, grid: Grid, smoothing: float) -> np.ndarray:
    """``G_s * values``: Gaussian filter of standard deviation ``s = smoothing > 0`` (length
    units) with reflecting walls, truncated at six standard deviations.

    Returns
    -------
    ndarray
        The filtered values, shape ``grid.shape``; positivity and the sum are kept.

    Raises
    ------
    WgflowError
        If ``smoothing`` is not a finite number > 0.
    """
    smoothing = check_positive("smoothing", smoothing)
    sigma = [smoothing / h for h in grid.spacing]
    return gaussian_filter(values, sigma, mode="reflect", truncate=6.0)


#: The density filters by the name the solvers accept (option ``smoothing_filter``).
FILTERS = {"spectral": spectral_lowpass, "gaussian": gaussian_smooth}


def _multi_indices(ndim: int, max_degree: int) -> list[tuple[int, ...]]:
    """Exponent tuples of the monomials of degree <= ``max_degree``, by degree."""
    return [
        powers
        for degree in range(max_degree + 1)
        for powers in itertools.product(range(degree + 1), repeat=ndim)
        if sum(powers) == degree
    ]


def local_quadratic_fit(
    values: np.ndarray,
    weights: np.ndarray,
    grid: Grid,
    smoothing: float,
    truncate: float = 4.0,
    separate_pieces: bool = False,
) -> tuple[np.ndarray, list[np.ndarray], np.ndarray]:
    """Weighted local quadratic regression: value, gradient and Laplacian of the fit.

    At every cell ``x`` the quadratic ``P`` minimises
    ``sum_y G_s(y - x) w(y) (f(y) - P(y - x))^2`` (Gaussian window of standard deviation
    ``s = smoothing``, truncated at ``truncate s``; cells outside the box have no weight).  The
    fit reproduces every quadratic exactly whatever the weights, so it continues ``f``
    smoothly past the edge of the weights' support (a free boundary) with the right slope,
    and it damps a wave of number ``k`` by about ``exp(-x) (1 + x)``, ``x = k^2 s^2 / 2``.
    All weighted sums are separable correlations with the 1-D kernels ``u^j exp(-u^2/2)``,
    ``u = (y - x) / s``.

    Parameters
    ----------
    values : ndarray
        ``f`` on the cells, shape ``grid.shape``.
    weights : ndarray
        Non-negative weights ``w`` (e.g. the density), shape ``grid.shape``.
    grid : Grid
    smoothing : float
        The window's standard deviation ``s > 0`` (length units).
    truncate : float
        Window half-width in units of ``s``.
    separate_pieces : bool
        Fit each connected piece of the weights' support (cells with ``w > 0`` that share a
        face) with the weights of that piece only, and return the fit on the support only
        (zero elsewhere): the window of a cell then never reaches into another piece across
        a gap narrower than the window, where ``f`` need not continue (two bumps with their
        own free boundaries).  Each piece is fitted in its bounding box.

    Returns
    -------
    value : ndarray
        ``P(0)`` at every cell (where the weights vanish within the window: 0).
    gradient : list of ndarray
        ``grad P(0)``, one array per axis.
    laplacian : ndarray
        ``Lap P``.

    Raises
    ------
    WgflowError
        If ``smoothing`` is not a finite number > 0.
    """
    smoothing = check_positive("smoothing", smoothing)
    kernels = []
    for h in grid.spacing:
        half = int(np.ceil(truncate * smoothing / h))
        u = np.arange(-half, half + 1) * h / smoothing
        kernels.append([u**power * np.exp(-0.5 * u * u) for power in range(5)])
    if not separate_pieces:
        return _quadratic_fit(values, weights, kernels, smoothing)
    value = np.zeros(grid.shape)
    gradient = [np.zeros(grid.shape) for _ in range(grid.ndim)]
    laplacian = np.zeros(grid.shape)
    labels, _ = label(weights > 0)
    for index, box in enumerate(find_objects(labels), start=1):
        piece = labels[box] == index
        fit = _quadratic_fit(values[box], np.where(piece, weights[box], 0.0), kernels, smoothing)
        for whole, part in zip([value, *gradient, laplacian], [fit[0], *fit[1], fit[2]]):
            whole[box][piece] = part[piece]
    return value, gradient, laplacian


def _quadratic_fit(
    values: np.ndarray, weights: np.ndarray, kernels: list[list[np.ndarray]], smoothing: float
) -> tuple[np.ndarray, list[np.ndarray], np.ndarray]:
    """:func:`local_quadratic_fit` on an array of any shape with the window ``kernels``
    (``kernels[axis][j]`` samples ``u^j exp(-u^2/2)`` on that axis)."""
    ndim = values.ndim

    def correlate(array: np.ndarray, powers: tuple[int, ...]) -> np.ndarray:
        for axis, power in enumerate(powers):
            array = correlate1d(array, kernels[axis][power], axis=axis, mode="constant")
        return array

    basis = _multi_indices(ndim, 2)  # 1, u_i, u_i u_j
    moments = {powers: correlate(weights, powers) for powers in _multi_indices(ndim, 4)}
    total = moments[(0,) * ndim]
    total = np.where(total > 0, total, 1.0)
    gram = np.stack(
        [np.stack([moments[tuple(p + q for p, q in zip(a, b))] for b in basis], axis=-1)
         for a in basis],
        axis=-2,
    ) / total[..., None, None]
    rhs = np.stack([correlate(weights * values, a) for a in basis], axis=-1) / total[..., None]
    # a tiny ridge keeps the solve defined where the window holds (almost) no weight
    coefficients = np.linalg.solve(gram + 1e-10 * np.eye(len(basis)), rhs[..., None])[..., 0]
    coefficient = {powers: coefficients[..., i] for i, powers in enumerate(basis)}

    def unit(axis: int, power: int) -> tuple[int, ...]:
        return tuple(power if j == axis else 0 for j in range(ndim))

    gradient = [coefficient[unit(axis, 1)] / smoothing for axis in range(ndim)]
    laplacian = sum(
        (2.0 * coefficient[unit(axis, 2)] / smoothing**2 for axis in range(ndim)),
        np.zeros(values.shape),
    )
    return coefficient[(0,) * ndim], gradient, laplacian
