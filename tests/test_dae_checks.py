"""Tests of wgflow.dae._checks: the input checks specific to the DAE modules, what each
accepts (and returns) and what it refuses, with a message that names the argument and the
bad value; and the identity map."""

from __future__ import annotations

import numpy as np
import pytest
from _helpers import raises_naming

import wgflow as wg
from wgflow.dae._checks import (
    check_map_values,
    check_noise_time,
    identity_map,
)

GRID = wg.Grid([(-1.0, 1.0), (0.0, 3.0)], (4, 3))


@pytest.mark.parametrize("t", [1e-12, 0.5, 3, np.float32(2.0)])
def test_check_noise_time_accepts_positive_reals_as_floats(t):
    value = check_noise_time(t)
    assert value == float(t) and type(value) is float


@pytest.mark.parametrize("t", [0.0, -0.1, float("nan"), float("inf"), True, "0.1", None])
def test_check_noise_time_refuses_naming_the_noise_variance_and_value(t):
    with raises_naming("taus[2] (the noise variance)", repr(t)):
        check_noise_time(t, "taus[2]")


def test_check_map_values_accepts_a_finite_d_by_grid_array():
    """Returned as floats, with the values given (integers and lists are converted)."""
    values = np.arange(24).reshape(2, 4, 3)
    checked = check_map_values(values, GRID)
    assert checked.dtype == float and np.array_equal(checked, values)
    assert np.array_equal(check_map_values(values.tolist(), GRID), values)


@pytest.mark.parametrize(
    "bad, fragments",
    [
        (np.zeros((4, 3)), ["phi has shape (4, 3)", "(d, *grid.shape) = (2, 4, 3)"]),
        (np.zeros((2, 3, 4)), ["phi has shape (2, 3, 4)", "(2, 4, 3)"]),
        (np.zeros((1, 4, 3)), ["phi has shape (1, 4, 3)"]),
        ("abc", ["phi must be an array of shape (2, 4, 3)", "got str"]),
        ({"x": 1}, ["phi must be an array of shape (2, 4, 3)", "got dict"]),
    ],
)
def test_check_map_values_refuses_wrong_shapes_and_types(bad, fragments):
    with raises_naming(*fragments):
        check_map_values(bad, GRID, "phi")


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_check_map_values_names_the_first_non_finite_entry(bad):
    values = identity_map(GRID)
    values[1, 2, 1] = bad
    values[1, 3, 0] = np.nan
    with raises_naming("map_values must be finite", f"found {bad!r}", "(1, 2, 1)"):
        check_map_values(values, GRID)


def test_identity_map_holds_the_cell_centres():
    identity = identity_map(GRID)
    assert identity.shape == (2, 4, 3) and identity.dtype == float
    x, y = GRID.coordinates
    np.testing.assert_array_equal(identity[0], x)
    np.testing.assert_array_equal(identity[1], y)
    np.testing.assert_allclose(identity[0][:, 0], [-0.75, -0.25, 0.25, 0.75], rtol=1e-15)
    np.testing.assert_allclose(identity[1][0], [0.5, 1.5, 2.5], rtol=1e-15)
    identity[0, 0, 0] = 5.0  # a fresh array each call: the grid is not changed
    assert identity_map(GRID)[0, 0, 0] == -0.75
