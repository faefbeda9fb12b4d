"""The cosine-series reference solver of the heat and backward heat equations."""

from __future__ import annotations

import pytest

import wgflow as wg
from wgflow.errors import WgflowError

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
    problem on R to round-off; the noise-level cut-off reaches (measured) 6.8e-9, 9.4e-6 and
    1.1e-4 at 0.5, 0.8 and 0.9 T, at the price of a small negative part that is removed
    (2.4e-5 of the mass) and reported."""
    grid = wg.Grid([(-8, 8)], 1024)
    data = wg.exact.heat_gaussian_mixture(grid, WEIGHTS, MEANS, COVS, T)
    result = wg.solve(wg.flows.BackwardHeat(), data, 0.9 * T, 1e-2, method="spectral",
                      t_eval=[0.5 * T, 0.8 * T, 0.9 * T])
    assert result.success, result.message
    errors = [rho.relative_l1_error(wg.exact.heat_gaussian_mixture(grid, WEIGHTS, MEANS, COVS, T - t))
              for t, rho in zip(result.times[1:], result.densities[1:])]
    assert errors[0] < 1e-6 and errors[1] < 1e-4 and errors[2] < 1e-3
    assert 0 < max(result.statistics["clipped_mass"]) < 1e-4
    assert result.final.mass == pytest.approx(data.mass, rel=1e-12)
    assert result.settings["noise_level"] == 1e-13


def test_spectral_rejects_other_flows_and_bad_noise_levels():
    grid = wg.Grid([(-1, 1)], 32)
    rho0 = wg.exact.heat_gaussian(grid, [0.0], 0.05, 0)
    with pytest.raises(WgflowError, match="method 'spectral' does not integrate the porous-medium flow; accepted: 'jko', 'finite-volume'"):
        wg.solve(wg.flows.PorousMedium(2), rho0, 0.01, 1e-3, method="spectral")
    with pytest.raises(WgflowError, match="noise_level"):
        wg.solve(wg.flows.BackwardHeat(), rho0, 0.01, 1e-3, method="spectral", noise_level=0.0)
