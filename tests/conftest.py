"""Fixtures shared by the test modules (plain helpers are in ``_helpers.py``).

Grid Gaussians come as ``(rho, law)``: the density sampled at the cell centres and the
:class:`wgflow.gaussian.Gaussian` it samples.

* ``gaussian_1d``, ``gaussian_2d``, ``gaussian_3d``: fine grids on which cell-centre sums of
  ``rho^a`` (``a`` in [0.5, 3]) equal the integrals over R^d to round-off.  The midpoint rule
  is exponentially accurate for an analytic integrand that vanishes well inside the box
  (Poisson summation: the error is about ``2 exp(-2 pi^2 s / h^2)`` for a Gaussian of
  smallest variance ``s``), and the mass outside the box is below ``exp(-(L/sigma)^2 / 2)``
  for a half-width of ``L/sigma`` standard deviations.  Both are below 1e-14 here.
* ``small_gaussian_1d``, ``small_gaussian_2d``: coarse grids for cheap solver runs.
* ``dae_gaussian_2d``: the non-diagonal Gaussian data of the DAE tests on a 64^2 grid.

Hypothesis profiles (the property and fuzz tests): ``ci``, the default, draws a fixed set of
examples (``derandomize=True``, no example database, no deadline: the same examples on every
machine and every run); ``HYPOTHESIS_PROFILE=dev`` draws ten times as many, randomly, for a
longer search on a developer's machine (a failure prints the ``@reproduce_failure`` blob that
replays it).  No health check is suppressed: drawing a problem takes milliseconds, the runs
happen in the test body.
"""

from __future__ import annotations

import os

import pytest
from hypothesis import settings

import wgflow as wg

settings.register_profile("ci", derandomize=True, database=None, deadline=None, max_examples=100,
                          print_blob=True)
settings.register_profile("dev", database=None, deadline=None, max_examples=1000, print_blob=True)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


def _grid_gaussian(grid: wg.Grid, mean, cov) -> tuple[wg.Density, wg.gaussian.Gaussian]:
    return wg.exact.heat_gaussian(grid, mean, cov, 0.0), wg.gaussian.Gaussian(mean, cov)


@pytest.fixture(scope="session")
def gaussian_1d():
    """N(0.3, 0.4) on 256 cells of [-8, 8]: sigma = 0.632, h = 0.0625; 8.6 standard
    deviations of rho^0.5 to each wall."""
    return _grid_gaussian(wg.Grid([(-8.0, 8.0)], 256), [0.3], 0.4)


@pytest.fixture(scope="session")
def gaussian_2d():
    """A non-diagonal covariance (eigenvalues 0.62, 0.18) on 90^2 cells of [-9, 9]^2.
    ``rho^a`` has covariance ``S / a``; for a = 3 its smallest per-axis variance is 0.1 and
    ``h = 0.2`` gives ``exp(-2 pi^2 0.1 / h^2) = e^-49``; the half-width is 7.9 standard
    deviations of ``rho^0.5`` (largest variance 2 * 0.62)."""
    return _grid_gaussian(
        wg.Grid([(-9.0, 9.0), (-9.0, 9.0)], (90, 90)), [0.2, -0.1], [[0.5, 0.2], [0.2, 0.3]]
    )


@pytest.fixture(scope="session")
def gaussian_3d():
    """Variances (0.3, 0.5, 0.4) on 76^3 cells of [-8, 8]^3: h = 0.2105 gives
    ``exp(-2 pi^2 0.1 / h^2) = e^-44`` for rho^3; half-width 7.8 standard deviations of
    rho^0.5 (variance 1)."""
    return _grid_gaussian(wg.Grid([(-8.0, 8.0)] * 3, 76), [0.1, 0.2, -0.2], [0.3, 0.5, 0.4])


@pytest.fixture(scope="session")
def small_gaussian_1d():
    """N(0, 0.02) on 32 cells of [-1, 1] (7 standard deviations to each wall)."""
    return _grid_gaussian(wg.Grid([(-1.0, 1.0)], 32), [0.0], 0.02)


@pytest.fixture(scope="session")
def small_gaussian_2d():
    """A non-diagonal Gaussian on a 12 x 10 grid of [-1, 1]^2 (120 cells: dense POT
    references are cheap)."""
    return _grid_gaussian(
        wg.Grid([(-1.0, 1.0), (-1.0, 1.0)], (12, 10)), [0.1, 0.0], [[0.1, 0.03], [0.03, 0.15]]
    )


@pytest.fixture(scope="session")
def dae_gaussian_2d():
    """N([0.7, -0.4], [[2, 0.6], [0.6, 1]]) on 64^2 cells of [-8, 8]^2: the data of the DAE
    tests (singular time of the continuous DAE ``wg.gaussian.singular_time(law.cov)``)."""
    return _grid_gaussian(
        wg.Grid([(-8.0, 8.0), (-8.0, 8.0)], 64), [0.7, -0.4], [[2.0, 0.6], [0.6, 1.0]]
    )
