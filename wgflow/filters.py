"""Low-pass filters of grid functions with no-flux (reflecting) walls.

Two filters regularise the ill-posed backward flows (DESIGN.md section 3) and the continuous
DAE:

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
"""

from __future__ import annotations

import numpy as np
from scipy.fft import dctn, idctn
from scipy.ndimage import gaussian_filter

from .grid import Grid


def cosine_wavenumbers_squared(grid: Grid) -> np.ndarray:
    """``|k|^2 = sum_i (pi j_i / L_i)^2`` of the cosine mode ``j`` (the type-II DCT index):
    minus the eigenvalue of the Laplacian with no-flux walls, shape ``grid.shape``."""
    k2 = np.zeros(grid.shape)
    for axis, (n, length) in enumerate(zip(grid.shape, grid.lengths)):
        shape = [1] * grid.ndim
        shape[axis] = n
        k2 = k2 + ((np.pi * np.arange(n) / length) ** 2).reshape(shape)
    return k2


def spectral_lowpass(values: np.ndarray, grid: Grid, scale: float, order: int = 4) -> np.ndarray:
    """Cosine-series filter with symbol ``exp(-(|k| scale)^(2 order) / 2)``.

    Parameters
    ----------
    values : ndarray
        Cell values, shape ``grid.shape``.
    grid : Grid
    scale : float
        The length ``s`` of the cut-off (wavenumbers above about ``1.3 / s`` are removed).
    order : int
        Sharpness ``p`` of the cut-off.
    """
    coefficients = dctn(values, type=2, norm="ortho")
    coefficients *= np.exp(-0.5 * (cosine_wavenumbers_squared(grid) * scale * scale) ** order)
    return idctn(coefficients, type=2, norm="ortho")


def gaussian_smooth(values: np.ndarray, grid: Grid, scale: float) -> np.ndarray:
    """``G_s * values``: Gaussian filter of standard deviation ``scale`` (length units) with
    reflecting walls; positivity and mass are kept."""
    sigma = [scale / h for h in grid.spacing]
    return gaussian_filter(values, sigma, mode="reflect", truncate=6.0)


#: The filters by the name the solvers accept (option ``smoothing_filter``).
FILTERS = {"spectral": spectral_lowpass, "gaussian": gaussian_smooth}
