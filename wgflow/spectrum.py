"""The noise floor of a density's cosine spectrum: what the data let a backward flow recover.

Along the backward heat flow (eq. (11)) the cosine coefficient of wavenumber ``k`` grows like
``exp(|k|^2 t)``, its noise included.  A smooth density's coefficients decay fast (a Gaussian
of variance ``s^2``: like ``exp(-|k|^2 s^2 / 2)``) until they meet a *noise floor*: float64
round-off (about ``1e-16`` of the largest coefficient), the leak of a density that does not
vanish at the walls of its box (a slowly decaying tail), or the sampling noise of a histogram
(a flat floor at about ``1 / sqrt(samples)``).  The modes below the floor carry no information
that can be driven back.  As the discrepancy principle of inverse problems sets a cut-off by the
noise level, the backward solvers set their default regularisation by this floor
(:func:`noise_floor`): the cut-off wavenumber is the *knee* where the spectrum stops decaying.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.fft import dctn

from .grid import Grid
from .stencils import cosine_wavenumbers_squared

#: Float64 round-off relative to the largest coefficient: the lowest floor reported.
ROUND_OFF = 1e-16
#: The envelope must fall by this factor over an octave of wavenumbers (``k`` to ``2k``)
#: while it is still signal; where it falls less, the floor has been reached.
OCTAVE_DECAY = 10.0
#: The octave test starts where the envelope first falls below this level: above it, the
#: lowest modes of a broad density or of a mixture may decay slowly without being noise.
BULK_LEVEL = 1e-2
#: A flat floor (round-off, sampling noise) is the median coefficient of the upper half of
#: the wavenumbers; the envelope has met it where it falls below this many times it.
FLAT_FLOOR_MARGIN = 10.0


@dataclass(frozen=True)
class NoiseFloor:
    """Where a density's cosine spectrum meets its noise.

    Attributes
    ----------
    wavenumber : float
        The knee ``k_c``: the modes above it are at the floor (units 1/length).
    level : float
        The floor, relative to the zeroth coefficient (the mean); at least
        :data:`ROUND_OFF`.
    resolved : bool
        False when the spectrum has not reached a floor by half the grid's highest
        wavenumber (a density too narrow for its grid); ``wavenumber`` is then that limit.
    """

    wavenumber: float
    level: float
    resolved: bool


def noise_floor(values: np.ndarray, grid: Grid, exact: bool = False) -> NoiseFloor:
    """The knee of a density's cosine spectrum (module docstring).

    The spectrum is summarised by its upper envelope by shells of wavenumber (``E[j]``: the
    largest ``|c_k| / c_0`` over ``|k| >= (j - 1/2) dk``, ``dk = max_i pi / L_i``,
    non-increasing).  The knee is the first shell where either

    * the envelope falls below :data:`FLAT_FLOOR_MARGIN` times the flat floor (the median
      ``|c_k| / c_0`` over the upper half of the wavenumbers: round-off, or the sampling
      noise of a histogram), or
    * past :data:`BULK_LEVEL`, the envelope falls by less than :data:`OCTAVE_DECAY` over
      the octave ``[j, 2j]`` (a Gaussian-like spectrum falls by ``exp(-3 k^2 s^2 / 2)``
      there; the slowly decaying tail of a wall leak, like ``k^-2``, does not).  Not for
      ``exact`` data.

    Parameters
    ----------
    values : ndarray
        Cell values, shape ``grid.shape``, with a positive sum.
    grid : Grid
    exact : bool
        The values are known to be exact to round-off and to satisfy the no-flux walls, e.g.
        a kernel density estimate with its mirror images (the heat flow of its samples, see
        :meth:`wgflow.Density.from_samples`).  Their spectrum keeps falling, slowly where
        the samples' own noise is damped by the kernel, until round-off; only the flat
        floor is a floor.

    Returns
    -------
    NoiseFloor
    """
    coefficients = np.abs(dctn(values, type=2, norm="ortho"))
    coefficients /= coefficients.flat[0]
    dk = max(np.pi / length for length in grid.lengths)
    wavenumbers = np.sqrt(cosine_wavenumbers_squared(grid))
    shells = np.rint(wavenumbers / dk).astype(int).ravel()
    largest = np.zeros(shells.max() + 1)
    np.maximum.at(largest, shells, coefficients.ravel())
    envelope = np.maximum.accumulate(largest[::-1])[::-1]
    flat = max(float(np.median(coefficients[wavenumbers > 0.5 * wavenumbers.max()])), ROUND_OFF)
    count = len(envelope)
    start = max(1, int(np.argmax(envelope < BULK_LEVEL)) if envelope.min() < BULK_LEVEL else count)
    for shell in range(1, count // 2):
        octave = (
            not exact and shell >= start and envelope[2 * shell] > envelope[shell] / OCTAVE_DECAY
        )
        if octave or envelope[shell] < FLAT_FLOOR_MARGIN * flat:
            return NoiseFloor((shell + 0.5) * dk, max(float(envelope[shell]), ROUND_OFF), True)
    last = max(1, count // 2)
    return NoiseFloor((last + 0.5) * dk, max(float(envelope[last]), ROUND_OFF), False)
