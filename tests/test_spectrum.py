"""The knee of a density's cosine spectrum (wgflow.spectrum): where it meets its noise."""

from __future__ import annotations

import numpy as np

import wgflow as wg
from wgflow.spectrum import noise_floor


def test_a_gaussian_meets_round_off_where_its_spectrum_reaches_it():
    """N(0, s^2) away from the walls: coefficients exp(-k^2 s^2 / 2) reach 1e-16 at
    k = sqrt(2 ln 1e16) / s = 8.6 / s; the knee is there, within a shell or two."""
    grid = wg.Grid([(-8, 8)], 1024)
    for s in (0.3, 0.5):
        floor = noise_floor(wg.exact.heat_gaussian(grid, [0.0], s * s, 0.0).values, grid)
        assert floor.resolved
        assert 7.0 / s < floor.wavenumber < 9.5 / s
        assert floor.level < 1e-14


def test_a_density_that_leaks_through_the_walls_has_the_leak_as_its_floor():
    """N(0, 0.5) on [-4, 4] is exp(-16) = 1e-7 of its peak at the walls: the no-flux box sees
    a slowly decaying tail at about that level, far above round-off, and the knee comes
    earlier than on a wide box."""
    narrow, wide = wg.Grid([(-4, 4)], 256), wg.Grid([(-8, 8)], 512)
    leak = noise_floor(wg.exact.heat_gaussian(narrow, [0.0], 0.5, 0.0).values, narrow)
    clean = noise_floor(wg.exact.heat_gaussian(wide, [0.0], 0.5, 0.0).values, wide)
    assert 1e-10 < leak.level < 1e-6 and clean.level < 1e-14
    assert leak.wavenumber < clean.wavenumber


def test_a_histogram_s_floor_is_its_sampling_noise():
    """5000 samples of N(0, 0.49) binned on 256 cells: the spectrum is flat at about the
    sampling noise beyond k ~ 3; the signal exp(-0.245 k^2) meets it there."""
    grid = wg.Grid([(-4, 4)], 256)
    samples = np.random.default_rng(0).normal(size=(5000, 1)) * 0.7
    floor = noise_floor(wg.Density.from_samples(grid, samples).values, grid)
    assert floor.resolved and 1.5 < floor.wavenumber < 5.0
    assert 1e-2 < floor.level < 0.3


def test_a_density_too_narrow_for_its_grid_is_not_resolved():
    grid = wg.Grid([(-1, 1)], 32)
    floor = noise_floor(wg.exact.heat_gaussian(grid, [0.0], 0.0004, 0.0).values, grid)
    assert not floor.resolved
    assert floor.wavenumber <= np.pi * 32 / 2 / 2 + np.pi / 2


def test_two_dimensional_mixture_leaks_about_1e_6():
    """The demo's mixture diffused to T = 0.1 on [-4, 4]^2: the floor is its wall leak."""
    grid = wg.Grid([(-4, 4)] * 2, 128)
    data = wg.exact.heat_gaussian_mixture(
        grid, [0.3, 0.45, 0.25], [[-1.0, -0.5], [0.4, 0.7], [1.2, -0.6]],
        [[[0.15, 0.05], [0.05, 0.08]], [[0.06, 0.0], [0.0, 0.2]],
         [[0.2, -0.08], [-0.08, 0.1]]], 0.1)
    floor = noise_floor(data.values, grid)
    assert 1e-7 < floor.level < 1e-5 and 8 < floor.wavenumber < 13
