"""Fine references: a finer finite-volume run averaged onto the test grid."""

from __future__ import annotations

import numpy as np
import pytest
from _helpers import loglog_slope
from scipy.special import erf

import wgflow as wg
from wgflow.errors import WgflowError
from wgflow.reference import cell_averages, fine_reference, refined

GRID = wg.Grid([(-1, 1)], 32)
VARIANCE = 0.02


def gaussian(x):
    return np.exp(-x**2 / (2 * VARIANCE)) / np.sqrt(2 * np.pi * VARIANCE)


def exact_cell_averages(grid, variance):
    """Averages of N(0, variance) over the cells of ``grid`` (erf differences)."""
    (a, b), n = grid.bounds[0], grid.shape[0]
    edges = np.linspace(a, b, n + 1) / np.sqrt(2 * variance)
    return wg.Density(grid, np.diff(erf(edges)) / 2 / grid.spacing[0])


def test_cell_averages_keep_mass_and_age_and_average_blocks():
    fine = refined(GRID, 3)
    assert fine.shape == (96,)
    rho = wg.Density(fine, np.arange(1.0, 97.0), age=0.1)
    coarse = cell_averages(rho, GRID)
    np.testing.assert_allclose(coarse.values, np.arange(1.0, 97.0).reshape(32, 3).mean(axis=1))
    assert coarse.mass == pytest.approx(rho.mass, rel=1e-14) and coarse.age == 0.1
    plane = wg.Grid([(0, 1), (0, 2)], (2, 3))
    fine_plane = wg.Density(refined(plane, 2), np.ones((4, 6)))
    np.testing.assert_allclose(cell_averages(fine_plane, plane).values, np.ones((2, 3)))


def test_the_reference_of_the_heat_flow_converges_to_the_exact_cell_averages():
    """The heat flow of N(0, 0.02) by finite volumes on 2, 4 and 8 times finer grids,
    averaged onto 32 cells: second order in the fine cell width (the fine initial values
    are point samples, the fluxes second order)."""
    times = [0.0, 0.005, 0.01]
    errors = []
    refines = (2, 4, 8)
    for refine in refines:
        references = fine_reference(wg.flows.Heat(), gaussian, GRID, times, refine=refine)
        assert len(references) == 3
        errors.append(max(
            rho.relative_l1_error(exact_cell_averages(GRID, VARIANCE + 2 * t))
            for t, rho in zip(times, references)
        ))
    assert 1.7 < loglog_slope([1 / r for r in refines], errors) < 2.3, errors


def test_bad_input_is_named():
    with pytest.raises(WgflowError, match="increasing numbers >= 0, got \\[0.1, 0.05\\]"):
        fine_reference(wg.flows.Heat(), gaussian, GRID, [0.1, 0.05])
    with pytest.raises(WgflowError, match="multiples of a common step"):
        fine_reference(wg.flows.Heat(), gaussian, GRID, [0.01, np.pi / 100])
    with pytest.raises(WgflowError, match="too close for a fine run"):
        fine_reference(wg.flows.Heat(), gaussian, GRID, [0.1, 0.1 + 1e-12])
    with pytest.raises(WgflowError, match="refine must be"):
        refined(GRID, 0)
    with pytest.raises(WgflowError, match="cannot average a density on"):
        cell_averages(wg.Density(wg.Grid([(-1, 1)], 48), np.ones(48)), GRID)
