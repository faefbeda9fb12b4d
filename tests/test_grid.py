"""Tests of wgflow.grid.Grid: cell-centred coordinates ``x_i = a + (i + 1/2) h``,
``h = (b - a) / n``, and input checks.

Every coordinate is compared with an independent formula ``x_i = a + (i + 1/2) h`` evaluated
here; the only error is floating-point round-off, so tolerances are a few ulps
(``rtol=1e-14``, ``atol=1e-15`` relative to the box size).
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from wgflow import GridMismatchError, WgflowError
from wgflow.grid import Grid

ROUNDOFF = dict(rtol=1e-14, atol=1e-14)

CASES = [
    ([(-1.0, 2.0)], (7,)),
    ([(0.0, 1.0), (-3.0, 5.0)], (4, 9)),
    ([(-0.5, 0.25), (1.0, 4.0), (-2.0, -1.0)], (3, 5, 2)),
]


@pytest.mark.parametrize("bounds, shape", CASES)
def test_cell_centres_spacing_and_volume(bounds, shape):
    grid = Grid(bounds=bounds, shape=shape)
    d = len(shape)
    assert grid.ndim == d
    assert grid.shape == shape
    assert grid.size == int(np.prod(shape))
    h = [(b - a) / n for (a, b), n in zip(bounds, shape)]
    np.testing.assert_allclose(grid.spacing, h, **ROUNDOFF)
    np.testing.assert_allclose(grid.lengths, [b - a for a, b in bounds], **ROUNDOFF)
    assert grid.cell_volume == pytest.approx(float(np.prod(h)), rel=1e-14)
    for axis, ((a, _), n) in enumerate(zip(bounds, shape)):
        expected = np.array([a + (i + 0.5) * h[axis] for i in range(n)])
        np.testing.assert_allclose(grid.axes[axis], expected, **ROUNDOFF)


@pytest.mark.parametrize("bounds, shape", CASES)
def test_coordinates_ij_indexing_and_points_c_order(bounds, shape):
    grid = Grid(bounds=bounds, shape=shape)
    h = grid.spacing
    coordinates = grid.coordinates
    assert len(coordinates) == grid.ndim
    for c in coordinates:
        assert c.shape == shape
    points = grid.points
    assert points.shape == (grid.size, grid.ndim)
    # independent enumeration: C order = last index fastest (itertools.product order)
    for row, index in enumerate(itertools.product(*(range(n) for n in shape))):
        expected = [a + (i + 0.5) * hk for (a, _), i, hk in zip(bounds, index, h)]
        np.testing.assert_allclose(points[row], expected, **ROUNDOFF)
        # coordinates[k][index] is the k-th coordinate of the cell with that multi-index
        np.testing.assert_allclose([c[index] for c in coordinates], expected, **ROUNDOFF)


def test_integer_shape_applies_to_every_axis_and_numpy_integers_accepted():
    grid = Grid([(0, 1), (0, 2), (0, 3)], 4)
    assert grid.shape == (4, 4, 4)
    assert Grid([(0, 1), (0, 1)], np.array([3, 5])).shape == (3, 5)
    assert Grid([(0, 1)], np.int64(6)).shape == (6,)
    # the docstring example
    assert Grid(bounds=[(-1, 1), (-1, 1)], shape=(128, 128)).spacing == (0.015625, 0.015625)


def test_contains_is_the_closed_box():
    grid = Grid([(0.0, 1.0), (-1.0, 1.0)], (3, 4))
    points = np.array(
        [[0.0, -1.0], [1.0, 1.0], [0.5, 0.0], [-1e-12, 0.0], [0.5, 1.0 + 1e-12], [2.0, 2.0]]
    )
    np.testing.assert_array_equal(grid.contains(points), [True, True, True, False, False, False])


def test_equality():
    g = Grid([(0, 1), (-2, 2)], (4, 6))
    assert g == Grid([(0.0, 1.0), (-2.0, 2.0)], (4, 6))
    assert g != Grid([(0, 1), (-2, 2)], (4, 7))
    assert g != Grid([(0, 1), (-2, 2.5)], (4, 6))
    assert g != Grid([(0, 1)], 4)
    assert g != "not a grid"
    g.check_same(Grid([(0, 1), (-2, 2)], (4, 6)))
    with pytest.raises(GridMismatchError, match="different grids"):
        g.check_same(Grid([(0, 1), (-2, 2)], (4, 7)))


def test_equal_grids_hash_equal():
    # Python's contract: a == b implies hash(a) == hash(b).
    g = Grid([(0, 1), (-2, 2)], (4, 6))
    assert hash(g) == hash(Grid([(0.0, 1.0), (-2.0, 2.0)], (4, 6)))
    assert len({g, Grid([(0, 1), (-2, 2)], (4, 6))}) == 1


def test_tolerantly_equal_grids_hash_equal():
    g1 = Grid([(0.0, 1.0)], 8)
    g2 = Grid([(0.0, 1.0 + 1e-14)], 8)
    assert g1 == g2
    assert hash(g1) == hash(g2)


# -- bad input ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "bounds, shape, match",
    [
        ([(1.0, 1.0)], 4, r"bounds\[0\] = \(1\.0, 1\.0\)"),  # a == b
        ([(0.0, 1.0), (2.0, -3.0)], 4, r"bounds\[1\] = \(2\.0, -3\.0\)"),  # a > b
        ([(float("nan"), 1.0)], 4, r"bounds\[0\] = \(nan, 1\.0\)"),
        ([(0.0, float("inf"))], 4, r"bounds\[0\] = \(0\.0, inf\)"),
        ([(0, 1)] * 4, 3, r"1, 2 or 3 pairs.*\(0, 1\), \(0, 1\), \(0, 1\), \(0, 1\)"),
        ([], 3, r"1, 2 or 3 pairs.*\[\]"),
        ([(0, 1, 2)], 3, r"\(0, 1, 2\)"),
        ([(0, "a")], 3, r"'a'"),
        ([(0, 1)], 1, r"shape\[0\] must be an integer >= 2, got 1$"),  # fewer than 2 cells
        ([(0, 1), (0, 1)], (5, 1), r"shape\[1\].*>= 2, got 1$"),
        ([(0, 1), (0, 1)], (5, 0), r"shape\[1\].*>= 2, got 0$"),
        ([(0, 1), (0, 1)], (5, -3), r"shape\[1\].*>= 2, got -3$"),
        ([(0, 1), (0, 1)], (5, True), r"shape\[1\].*>= 2, got True$"),
        ([(0, 1), (0, 1)], (4, 4, 4), r"2 integers.*got \(4, 4, 4\)"),  # length mismatch
        ([(0, 1), (0, 1), (0, 1)], (4, 4), r"3 integers.*got \(4, 4\)"),
        ([(0, 1)], (4.0,), r"shape\[0\] must be an integer >= 2, got 4\.0$"),  # not an int
    ],
)
def test_bad_input_raises_naming_the_value(bounds, shape, match):
    with pytest.raises(WgflowError, match=match):
        Grid(bounds=bounds, shape=shape)


def test_float_scalar_shape_raises_wgflow_error():
    with pytest.raises(WgflowError, match="4.0"):
        Grid([(0, 1)], 4.0)
