"""The regularisation filters of wgflow.filters against exact properties."""

from __future__ import annotations

import numpy as np
import pytest
from _helpers import raises_naming

import wgflow as wg
from wgflow.filters import gaussian_smooth, local_quadratic_fit, spectral_lowpass
from wgflow.stencils import cosine_wavenumbers_squared


def test_spectral_lowpass_multiplies_each_cosine_mode_by_its_symbol():
    """A cosine mode of the box is an eigenfunction: it comes out multiplied by
    exp(-(|k| s)^8 / 2) to round-off; constants and the mass are kept."""
    grid = wg.Grid([(-2, 2), (0, 1)], (64, 32))
    x, y = grid.coordinates
    s = 0.05
    k2 = cosine_wavenumbers_squared(grid)
    for j, i in [(3, 0), (10, 4), (40, 20)]:
        mode = np.cos(np.pi * j * (x + 2) / 4.0) * np.cos(np.pi * i * y)
        expected = np.exp(-0.5 * (k2[j, i] * s * s) ** 4) * mode
        np.testing.assert_allclose(
            spectral_lowpass(1.0 + mode, grid, s), 1.0 + expected, atol=1e-12
        )


def test_gaussian_smooth_keeps_mass_and_positivity():
    grid = wg.Grid([(-1, 1)], 200)
    values = np.random.default_rng(1).random(200) * (np.arange(200) % 7 == 0)
    smoothed = gaussian_smooth(values, grid, 0.05)
    assert smoothed.sum() == pytest.approx(values.sum(), rel=1e-12)
    assert smoothed.min() >= 0.0


@pytest.mark.parametrize("shape", [(300,), (60, 50)])
def test_local_quadratic_fit_reproduces_quadratics_past_the_edge_of_the_weights(shape):
    """Any quadratic is fitted exactly, value, gradient and Laplacian, whatever the
    weights, also where the window reaches past the weights' support (the free boundary).
    The fit's 1e-10 ridge (which keeps empty windows defined) perturbs the coefficients
    by up to 1e-10 x cond(Gram) ~ 1e-6 near the edge (measured 7e-8); the gradient and
    Laplacian carry 1/s and 2/s^2 of it (s = 0.1)."""
    grid = wg.Grid([(-1, 1)] * len(shape), shape)
    coords = grid.coordinates
    rng = np.random.default_rng(2)
    weights = rng.random(shape) * (sum(c**2 for c in coords) < 0.4)
    f = 0.3 + sum((i + 1) * 0.2 * c for i, c in enumerate(coords)) - sum(
        (i + 1.5) * c**2 for i, c in enumerate(coords))
    gradient_exact = [(i + 1) * 0.2 - 2 * (i + 1.5) * c for i, c in enumerate(coords)]
    laplacian_exact = -2 * sum(i + 1.5 for i in range(len(shape)))
    value, gradient, laplacian = local_quadratic_fit(f, weights, grid, 0.1)
    near = sum(c**2 for c in coords) < 0.6  # inside the support and a window beyond its edge
    np.testing.assert_allclose(value[near], f[near], atol=1e-6)
    for g, g_exact in zip(gradient, gradient_exact):
        np.testing.assert_allclose(g[near], g_exact[near], atol=1e-5)
    np.testing.assert_allclose(laplacian[near], laplacian_exact, atol=2e-4)


@pytest.mark.parametrize("smoothing", [0, 0.0, -0.1, float("nan"), float("inf"), None, "0.1"])
def test_filters_refuse_a_smoothing_length_that_is_not_positive(smoothing):
    grid = wg.Grid([(-1, 1)], 16)
    values = np.ones(16)
    for run in (lambda: spectral_lowpass(values, grid, smoothing),
                lambda: gaussian_smooth(values, grid, smoothing),
                lambda: local_quadratic_fit(values, values, grid, smoothing)):
        with raises_naming("smoothing", repr(smoothing)):
            run()
