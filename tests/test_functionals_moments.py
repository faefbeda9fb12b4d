"""Tests of wgflow.functionals.moments: mass-normalised mean and covariance.

On the grid Gaussians of ``conftest.py`` the cell-centre sums equal the moments over R^d to
round-off; for a density that does not vanish at the walls the midpoint rule is second
order in h, which is measured.
"""

from __future__ import annotations

import numpy as np
from scipy.integrate import dblquad

from _helpers import raises_naming
from wgflow import Density, Grid
from wgflow.functionals import covariance, mean


def test_mean_and_covariance_of_grid_gaussians(gaussian_1d, gaussian_2d, gaussian_3d):
    for (rho, law), atol in ((gaussian_1d, 1e-13), (gaussian_2d, 1e-13), (gaussian_3d, 1e-12)):
        np.testing.assert_allclose(mean(rho), law.mean, rtol=0, atol=atol)
        np.testing.assert_allclose(covariance(rho), law.cov, rtol=0, atol=atol)
    # moments are normalised by the mass
    rho, law = gaussian_2d
    np.testing.assert_allclose(mean(3.0 * rho), law.mean, rtol=0, atol=1e-13)
    np.testing.assert_allclose(covariance(3.0 * rho), law.cov, rtol=0, atol=1e-13)


def test_moments_are_second_order_for_densities_not_vanishing_at_the_walls():
    # rho(x, y) = exp(x + 2 y) (1 + x y / 2) on [0, 1]^2: independent moments from
    # scipy.integrate.dblquad; the midpoint rule errs by O(h^2) since rho != 0 at the walls.
    f = lambda x, y: np.exp(x + 2 * y) * (1 + 0.5 * x * y)  # noqa: E731
    opts = dict(epsabs=1e-13, epsrel=1e-12)  # 1e-12 << the 1e-4 ... 1e-5 errors measured
    m0 = dblquad(lambda y, x: f(x, y), 0, 1, 0, 1, **opts)[0]
    mx = dblquad(lambda y, x: x * f(x, y), 0, 1, 0, 1, **opts)[0] / m0
    my = dblquad(lambda y, x: y * f(x, y), 0, 1, 0, 1, **opts)[0] / m0
    cxx = dblquad(lambda y, x: (x - mx) ** 2 * f(x, y), 0, 1, 0, 1, **opts)[0] / m0
    cxy = dblquad(lambda y, x: (x - mx) * (y - my) * f(x, y), 0, 1, 0, 1, **opts)[0] / m0
    cyy = dblquad(lambda y, x: (y - my) ** 2 * f(x, y), 0, 1, 0, 1, **opts)[0] / m0
    true_mean = np.array([mx, my])
    true_cov = np.array([[cxx, cxy], [cxy, cyy]])
    errors_m, errors_c = [], []
    for n in (16, 32, 64):
        rho = Density.from_function(Grid([(0, 1), (0, 1)], n), f)
        errors_m.append(np.abs(mean(rho) - true_mean).max())
        errors_c.append(np.abs(covariance(rho) - true_cov).max())
    for errors in (errors_m, errors_c):
        orders = np.log2(np.array(errors[:-1]) / np.array(errors[1:]))
        np.testing.assert_allclose(orders, 2.0, rtol=0, atol=0.05)
        assert errors[-1] < 1e-4  # h = 1/64: C h^2 with C ~ 0.1


def test_moments_of_zero_mass_raise():
    grid = Grid([(0, 1), (0, 1)], (3, 3))
    with raises_naming("mean", "zero mass"):
        mean(Density(grid, np.zeros((3, 3))))
    with raises_naming("zero mass"):
        covariance(Density(grid, np.zeros((3, 3))))
