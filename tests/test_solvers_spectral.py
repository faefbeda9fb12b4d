"""The cosine-series reference solver of the heat and backward heat equations."""

from __future__ import annotations

import numpy as np
import pytest

import wgflow as wg
from wgflow.errors import WgflowError
from wgflow.spectrum import noise_floor

WEIGHTS, MEANS, COVS, T = [0.3, 0.45, 0.25], [[-1.2], [0.3], [1.5]], [0.15, 0.1, 0.2], 0.2


def test_forward_heat_is_exact_in_time():
    """Cosine modes evolve exactly; the error is the box (Neumann images, ~e^-40 here) and
    round-off, so 1e-6 is a loose bound (measured 3e-7 on 64^2)."""
    grid = wg.Grid([(-2, 2), (-2, 2)], (64, 64))
    cov = [[0.05, 0.01], [0.01, 0.04]]
    rho0 = wg.exact.heat_gaussian(grid, [0, 0], cov, 0)
    result = wg.solve(wg.flows.Heat(), rho0, 0.05, 1e-2, method="spectral")
    assert result.final.relative_l1_error(wg.exact.heat_gaussian(grid, [0, 0], cov, 0.05)) < 1e-6


def test_backward_heat_reference_on_well_prepared_mixture():
    """1-D mixture diffused to T on a box wide enough that the Neumann problem equals the
    problem on R to round-off.  The noise level comes from the data (the floor of their
    cosine spectrum: round-off, 5.9e-16); the cut-off then reaches (measured) 5.2e-10,
    2.0e-6 and 3.2e-5 at 0.5, 0.8 and 0.9 T, at the price of a small negative part that is
    removed (7e-6 of the mass) and reported; the error estimate is within a factor 1/3 to 10
    of the truth (measured 1.9 to 4.3)."""
    grid = wg.Grid([(-8, 8)], 1024)
    data = wg.exact.heat_gaussian_mixture(grid, WEIGHTS, MEANS, COVS, T)
    result = wg.solve(wg.flows.BackwardHeat(), data, 0.9 * T, 1e-2, method="spectral",
                      t_eval=[0.5 * T, 0.8 * T, 0.9 * T])
    assert result.success, result.message
    errors = np.array([
        rho.relative_l1_error(wg.exact.heat_gaussian_mixture(grid, WEIGHTS, MEANS, COVS, T - t))
        for t, rho in zip(result.times[1:], result.densities[1:])
    ])
    assert errors[0] < 1e-8 and errors[1] < 1e-5 and errors[2] < 1e-4
    ratio = np.array(result.statistics["error_estimate"][1:]) / errors
    assert np.all((ratio > 1 / 3) & (ratio < 10)), ratio
    assert 0 < max(result.statistics["clipped_mass"]) < 1e-4
    assert result.final.mass == pytest.approx(data.mass, rel=1e-12)
    assert result.settings["noise_level"] == noise_floor(data.values, grid).level < 1e-15


def test_a_noise_level_below_the_data_s_stops_on_the_clipped_mass():
    """N(0, 0.5) on [-4, 4] leaks 1e-7 of its peak through the walls: its noise floor is
    about 2e-8, and with it the run back by 0.1 is within 1.6e-5 of N(0, 0.3).  Told the
    data are good to 1e-13, the cut-off keeps amplified wall leak: the negative part
    clipped is many times the mass, and the run stops at once saying so."""
    grid = wg.Grid([(-4, 4)], 256)
    rho0 = wg.exact.heat_gaussian(grid, [0.0], 0.5, 0.0)
    good = wg.solve(wg.flows.BackwardHeat(), rho0, 0.1, 0.01, method="spectral")
    assert good.success, good.message
    error = good.final.relative_l1_error(wg.exact.heat_gaussian(grid, [0.0], 0.5, -0.1))
    assert error < 1e-4 and good.statistics["error_estimate"][-1] > error / 3
    bad = wg.solve(wg.flows.BackwardHeat(), rho0, 0.1, 0.01, method="spectral", noise_level=1e-13)
    assert not bad.success
    assert "lost positivity" in bad.message and "a larger noise_level" in bad.message
    assert bad.times[-1] < 0.1 and bad.statistics["error_estimate"][-1] > 1


def test_spectral_rejects_other_flows_and_bad_noise_levels():
    grid = wg.Grid([(-1, 1)], 32)
    rho0 = wg.exact.heat_gaussian(grid, [0.0], 0.05, 0)
    with pytest.raises(WgflowError, match="method 'spectral' does not integrate the porous-medium flow; accepted: 'jko', 'finite-volume'"):
        wg.solve(wg.flows.PorousMedium(2), rho0, 0.01, 1e-3, method="spectral")
    with pytest.raises(WgflowError, match="noise_level"):
        wg.solve(wg.flows.BackwardHeat(), rho0, 0.01, 1e-3, method="spectral", noise_level=0.0)


def test_noise_levels_at_or_above_one_per_cent_are_refused_and_the_mean_is_always_kept():
    """At noise 1e-2 no mode but the mean could be driven back: refused, given or found in
    the data (a histogram of samples).  Below it the mean is kept whatever the companion's
    noise level (N(0, 0.1) on [-1, 1] leaks 7e-4 through the walls)."""
    grid = wg.Grid([(-1, 1)], 128)
    rho0 = wg.exact.heat_gaussian(grid, [0.0], 0.1, 0.0)
    with pytest.raises(WgflowError, match="noise_level = 0.02 \\(given\\) must be below 0.01"):
        wg.solve(wg.flows.BackwardHeat(), rho0, 0.01, 1e-3, method="spectral", noise_level=0.02)
    samples = np.clip(np.random.default_rng(0).normal(size=(2000, 1)) * 0.3, -0.99, 0.99)
    histogram = wg.Density.from_samples(grid, samples)
    with pytest.raises(WgflowError, match="the data's noise floor\\) must be below 0.01.*method='jko'"):
        wg.solve(wg.flows.BackwardHeat(), histogram, 0.01, 1e-3, method="spectral")
    result = wg.solve(wg.flows.BackwardHeat(), rho0, 0.02, 1e-3, method="spectral", rtol=np.inf)
    assert result.success, result.message
    assert np.all(np.isfinite(result.statistics["error_estimate"]))
    assert all(rho.mass == pytest.approx(rho0.mass, rel=1e-12) for rho in result.densities)
