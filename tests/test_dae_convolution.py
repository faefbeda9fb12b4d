"""Tests of wgflow.dae.convolution: the quadrature rules of the two convolutions of eq. (4)."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.integrate import quad

import wgflow as wg
from wgflow.dae import GaussianNoise, LaplaceNoise, NoiseLaw, UniformBoxNoise
from wgflow.dae.convolution import cubic_weights, posterior_mean, resolve_quadrature
from wgflow.errors import WgflowError


@pytest.mark.parametrize("law", [LaplaceNoise(), UniformBoxNoise()], ids=["laplace", "box"])
def test_cubic_weights_integrate_the_kernel_against_the_interpolant_exactly(law):
    """For cubic data the interpolant is the cubic itself on [x_0, x_{n-1}] and the end
    values over the half cells up to the walls: W f is that integral, to round-off."""
    grid = wg.Grid([(-1, 2)], 12)
    x, h, t = grid.axes[0], grid.spacing[0], 0.05

    def cubic(y):
        return 1.0 + y - 0.7 * y**2 + 0.4 * y**3

    weights = cubic_weights(law, x, h, t)
    for i in (0, 3, 11):
        def kernel(y, i=i):
            return np.exp(law.log_pdf_1d(x[i] - y, t))

        opts = dict(points=[x[i]], epsabs=1e-15, epsrel=1e-13, limit=200)
        ref = quad(lambda y: kernel(y) * cubic(y), x[0], x[-1], **opts)[0]  # noqa: B023
        ref += cubic(x[0]) * quad(kernel, -1.0, x[0], **opts)[0]
        ref += cubic(x[-1]) * quad(kernel, x[-1], 2.0, **opts)[0]
        assert weights[i] @ cubic(x) == pytest.approx(ref, rel=1e-11)


def test_cubic_weights_need_four_cells():
    with pytest.raises(WgflowError, match="needs at least 4 cells per axis, got 3"):
        cubic_weights(UniformBoxNoise(), np.arange(3.0), 1.0, 0.5)


def test_resolve_quadrature():
    assert resolve_quadrature(GaussianNoise(), "auto") == "midpoint"
    assert resolve_quadrature(LaplaceNoise(), "auto") == "cubic"
    assert resolve_quadrature(LaplaceNoise(), "midpoint") == "midpoint"
    with pytest.raises(WgflowError, match="'cubic' is not available .* accepted: 'auto', 'mid"):
        resolve_quadrature(GaussianNoise(), "cubic")
    with pytest.raises(WgflowError, match="unknown quadrature 'simpson'; accepted: 'auto', "):
        resolve_quadrature(LaplaceNoise(), "simpson")


def test_log_domain_posterior_mean_where_the_kernel_underflows():
    """A single data cell: the posterior mean is that cell's centre at every cell, also 300
    standard deviations away, where exp(-|x - y|^2 / 2t) underflows.  The logs reach -5e4,
    so their difference carries a round-off of some 1e-11 (measured error 7e-11)."""
    grid = wg.Grid([(-5, 5), (-5, 5)], 50)
    values = np.zeros(grid.shape)
    values[7, 31] = 1.0
    post = posterior_mean(wg.Density(grid, values), GaussianNoise(), 1e-3)
    assert post.defined.all() and post.quadrature == "midpoint"
    np.testing.assert_allclose(post.mean[0], grid.axes[0][7], rtol=1e-10)
    np.testing.assert_allclose(post.mean[1], grid.axes[1][31], rtol=1e-10)
    assert np.isfinite(post.log_smoothed).all() and post.log_smoothed.min() < -1e4


def test_a_kernel_that_is_not_a_density_is_refused():
    class Bad(NoiseLaw):
        name = "bad"
        separable = False

        def pdf(self, eps: np.ndarray, t: float) -> np.ndarray:
            return -np.ones(eps.shape[:-1])

    grid = wg.Grid([(-1, 1)], 8)
    with pytest.raises(WgflowError, match="'bad' gives a kernel that is not a density"):
        posterior_mean(wg.Density(grid, np.ones(8)), Bad(), 0.1)
