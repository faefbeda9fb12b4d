"""Tests of wgflow.density.Density: values per unit volume, mass = sum(values) * cell_volume.

Everything here is exact arithmetic up to round-off (sums of at most a few thousand terms),
so tolerances are ``1e-12`` relative unless a comment says otherwise.  Interpolation: the
multilinear interpolant reproduces every function that is affine in each coordinate
separately (a + b x + c y + d x y + ...) exactly, so inside the hull of the cell centres the
only error is round-off.
"""

from __future__ import annotations

import numpy as np
import pytest

from wgflow import Density, Grid, GridMismatchError, WgflowError

RTOL = 1e-12


@pytest.fixture
def grid2():
    return Grid([(-1.0, 2.0), (0.0, 1.0)], (6, 4))  # h = (0.5, 0.25), V = 0.125


# -- construction and mass ----------------------------------------------------------------


def test_values_are_per_unit_volume_and_mass_is_sum_times_cell_volume(grid2):
    rng = np.random.default_rng(1)
    values = rng.random(grid2.shape)
    rho = Density(grid2, values)
    np.testing.assert_array_equal(rho.values, values)
    assert grid2.cell_volume == 0.125
    assert rho.mass == pytest.approx(values.sum() * 0.125, rel=RTOL)
    np.testing.assert_allclose(rho.masses, values * 0.125, rtol=RTOL)
    # a constant density c on a box of volume |B| has mass c |B|, whatever the resolution
    for shape in [(3, 2), (6, 4), (30, 17)]:
        g = Grid([(-1.0, 2.0), (0.0, 1.0)], shape)
        assert Density(g, np.full(shape, 2.5)).mass == pytest.approx(2.5 * 3.0, rel=RTOL)


def test_values_are_copied_and_read_only(grid2):
    values = np.ones(grid2.shape)
    rho = Density(grid2, values)
    values[0, 0] = 7.0
    assert rho.values[0, 0] == 1.0
    with pytest.raises(ValueError):
        rho.values[0, 0] = 3.0
    copy = rho.copy()
    assert copy.grid == rho.grid and copy is not rho
    np.testing.assert_array_equal(copy.values, rho.values)


def test_normalized(grid2):
    rho = Density(grid2, np.arange(grid2.size, dtype=float).reshape(grid2.shape))
    unit = rho.normalized()
    assert unit.mass == pytest.approx(1.0, rel=RTOL)
    np.testing.assert_allclose(unit.values * rho.mass, rho.values, rtol=RTOL)
    with pytest.raises(WgflowError, match="zero mass"):
        Density(grid2, np.zeros(grid2.shape)).normalized()


def test_from_function_samples_cell_centres_in_ij_order(grid2):
    f = lambda x, y: 1.0 + x**2 + 3.0 * y  # noqa: E731  (non-negative on the box)
    rho = Density.from_function(grid2, f)
    x, y = grid2.axes
    for i in range(grid2.shape[0]):
        for j in range(grid2.shape[1]):
            assert rho.values[i, j] == pytest.approx(1.0 + x[i] ** 2 + 3.0 * y[j], rel=1e-14)
    # a function returning a scalar (or anything that broadcasts) fills the grid
    const = Density.from_function(grid2, lambda x, y: 2.0)
    np.testing.assert_array_equal(const.values, np.full(grid2.shape, 2.0))
    g3 = Grid([(0, 1), (0, 2), (0, 3)], (2, 3, 4))
    rho3 = Density.from_function(g3, lambda x, y, z: x + 10 * y + 100 * z)
    assert rho3.values[1, 2, 3] == pytest.approx(0.75 + 10 * (5 / 3) + 100 * 2.625, rel=1e-14)


def test_from_function_with_bad_values_raises(grid2):
    with pytest.raises(WgflowError, match="non-negative"):
        Density.from_function(grid2, lambda x, y: x)  # x < 0 on part of the box


def test_from_function_wrong_shape_raises_wgflow_error(grid2):
    with pytest.raises(WgflowError, match=r"\(3,\)"):
        Density.from_function(grid2, lambda x, y: np.ones(3))


# -- histograms -----------------------------------------------------------------------------


def test_from_samples_known_cells_and_mass_one(grid2):
    x, y = grid2.axes
    # samples at the centres of known cells (and one exactly on the upper walls, which
    # belongs to the last cell of a closed box)
    samples = np.array(
        [[x[0], y[0]], [x[0], y[0]], [x[3], y[2]], [x[5], y[1]], [2.0, 1.0], [-1.0, 0.0]]
    )
    rho = Density.from_samples(grid2, samples)
    expected = np.zeros(grid2.shape)
    expected[0, 0] = 3  # two centres plus the lower corner (-1, 0)
    expected[3, 2] = 1
    expected[5, 1] = 1
    expected[5, 3] = 1  # upper corner (2, 1)
    np.testing.assert_allclose(rho.masses, expected / 6, rtol=RTOL, atol=1e-15)


def test_from_samples_matches_independent_binning():
    grid = Grid([(-2.0, 1.0), (0.0, 4.0), (1.0, 2.0)], (5, 7, 3))
    rng = np.random.default_rng(7)
    lo = np.array([a for a, _ in grid.bounds])
    h = np.array(grid.spacing)
    # keep samples away from cell faces so that the bin is unambiguous
    cells = np.stack([rng.integers(0, n, 500) for n in grid.shape], axis=1)
    offsets = rng.uniform(0.05, 0.95, size=cells.shape)
    samples = lo + (cells + offsets) * h
    weights = rng.uniform(0.0, 2.0, 500)
    rho = Density.from_samples(grid, samples, weights=weights)
    expected = np.zeros(grid.shape)
    np.add.at(expected, tuple(cells.T), weights)
    np.testing.assert_allclose(rho.masses, expected / weights.sum(), rtol=RTOL, atol=1e-15)


def test_from_samples_1d_vector_input():
    grid = Grid([(0.0, 1.0)], 4)
    rho = Density.from_samples(grid, np.array([0.1, 0.1, 0.6, 0.9]))
    np.testing.assert_allclose(rho.masses, [0.5, 0.0, 0.25, 0.25], rtol=RTOL)
    np.testing.assert_allclose(rho.values, [2.0, 0.0, 1.0, 1.0], rtol=RTOL)


@pytest.mark.parametrize(
    "samples, match",
    [
        (np.array([[0.0, 0.5], [2.5, 0.5]]), r"1 samples lie outside.*\[2\.5, 0\.5\]"),
        (np.array([[0.0, -0.1]]), r"outside.*\[0\.0, -0\.1\]"),
        (np.array([[0.0, np.nan]]), "finite"),
        (np.array([[np.inf, 0.5]]), "finite"),
        (np.array([0.1, 0.2]), r"\(k, 2\).*\(2,\)"),  # 1-D input on a 2-D grid
        (np.zeros((3, 3)), r"\(k, 2\).*\(3, 3\)"),
        (np.zeros((0, 2)), r"k >= 1.*\(0, 2\)"),
    ],
)
def test_from_samples_bad_input(grid2, samples, match):
    with pytest.raises(WgflowError, match=match):
        Density.from_samples(grid2, samples)


def test_from_samples_bad_weights(grid2):
    samples = np.array([[0.0, 0.5], [1.0, 0.5]])
    with pytest.raises(WgflowError, match=r"weights must have shape \(2,\)"):
        Density.from_samples(grid2, samples, weights=np.ones(3))
    with pytest.raises(WgflowError, match="non-negative"):
        Density.from_samples(grid2, samples, weights=np.array([1.0, -1.0]))
    with pytest.raises(WgflowError, match="all be zero"):
        Density.from_samples(grid2, samples, weights=np.zeros(2))


# -- interpolation ---------------------------------------------------------------------------


def _hull_points(grid: Grid, k: int, rng) -> np.ndarray:
    lo = [ax[0] for ax in grid.axes]
    hi = [ax[-1] for ax in grid.axes]
    return rng.uniform(lo, hi, size=(k, grid.ndim))


@pytest.mark.parametrize(
    "bounds, shape",
    [
        ([(-1.0, 3.0)], (9,)),
        ([(-1.0, 2.0), (0.0, 1.0)], (6, 5)),
        ([(0.0, 1.0), (-1.0, 1.0), (2.0, 5.0)], (4, 3, 5)),
    ],
)
def test_interpolation_reproduces_multilinear_functions(bounds, shape):
    grid = Grid(bounds, shape)
    d = grid.ndim
    rng = np.random.default_rng(3)
    coef = np.array([0.3, -0.2, 0.15][:d])

    def f(*xs):
        # affine plus a product term (multilinear); positive on the boxes above
        value = 10.0 + sum(c * x for c, x in zip(coef, xs))
        if d >= 2:
            value = value + 0.05 * xs[0] * xs[1]
        return value

    rho = Density.from_function(grid, f)
    points = _hull_points(grid, 200, rng)
    np.testing.assert_allclose(rho(points), f(*points.T), rtol=1e-13)
    # at the cell centres interpolation returns the stored values
    np.testing.assert_allclose(rho(grid.points), rho.values.ravel(), rtol=1e-14)


def test_interpolation_1d_accepts_vector_and_is_zero_outside_box():
    grid = Grid([(0.0, 1.0)], 4)  # centres 0.125 ... 0.875
    rho = Density(grid, [1.0, 2.0, 3.0, 5.0])
    out = rho(np.array([0.125, 0.25, 0.5, 0.8125, -0.01, 1.01, 1.0, 0.0, 0.05, 0.95]))
    np.testing.assert_allclose(
        out,
        [1.0, 1.5, 2.5, 4.5, 0.0, 0.0, 5.0, 1.0, 1.0, 5.0],  # walls: nearest cell value
        rtol=1e-14,
    )


def test_interpolation_between_wall_and_outer_centres_and_outside_2d(grid2):
    rho = Density.from_function(grid2, lambda x, y: 5.0 + x + 2.0 * y)
    x, y = grid2.axes
    # between the wall and the outermost centre the value is that at the clipped point
    pts = np.array([[-1.0, 0.5], [2.0, 0.5], [0.3, 0.0], [0.3, 1.0], [-1.0, 1.0]])
    clipped = np.clip(pts, [x[0], y[0]], [x[-1], y[-1]])
    np.testing.assert_allclose(rho(pts), 5.0 + clipped[:, 0] + 2.0 * clipped[:, 1], rtol=1e-14)
    outside = np.array([[-1.0 - 1e-9, 0.5], [0.0, 1.0 + 1e-9], [5.0, 5.0], [0.0, -3.0]])
    np.testing.assert_array_equal(rho(outside), np.zeros(4))


def test_interpolation_bad_points_shape(grid2):
    rho = Density(grid2, np.ones(grid2.shape))
    with pytest.raises(WgflowError, match=r"\(k, 2\).*\(3, 3\)"):
        rho(np.zeros((3, 3)))


# -- arithmetic ------------------------------------------------------------------------------


def test_arithmetic_keeps_grid(grid2):
    rng = np.random.default_rng(5)
    a, b = rng.random(grid2.shape) + 0.1, rng.random(grid2.shape) + 0.1
    rho, sigma = Density(grid2, a), Density(grid2, b)
    for result, expected in [
        (rho + sigma, a + b),
        (rho + 2.0, a + 2.0),
        (2.0 + rho, a + 2.0),
        (rho * sigma, a * b),
        (rho * 3, a * 3),
        (3 * rho, a * 3),
        (np.float64(0.5) * rho, a * 0.5),
        (rho / 4.0, a / 4.0),
        (rho / sigma, a / b),
    ]:
        assert isinstance(result, Density)
        assert result.grid == grid2
        np.testing.assert_allclose(result.values, expected, rtol=1e-15)
    # mass is linear: mass(2 rho + sigma) = 2 mass(rho) + mass(sigma)
    assert (2 * rho + sigma).mass == pytest.approx(2 * rho.mass + sigma.mass, rel=RTOL)


def test_arithmetic_rejects_other_grids_and_bad_operands(grid2):
    rho = Density(grid2, np.ones(grid2.shape))
    other = Density(Grid([(-1.0, 2.0), (0.0, 1.0)], (6, 5)), np.ones((6, 5)))
    for op in (lambda: rho + other, lambda: rho * other, lambda: rho / other,
               lambda: rho.l1_distance(other), lambda: rho.relative_l1_error(other)):
        with pytest.raises(GridMismatchError, match="different grids"):
            op()
    with pytest.raises(WgflowError, match="ndarray"):
        rho + np.ones(grid2.shape)
    with pytest.raises(WgflowError, match="non-negative"):
        rho * -1.0
    with pytest.raises(WgflowError, match="positive"):
        rho / 0.0
    with pytest.raises(WgflowError, match="positive"):
        rho / Density(grid2, np.zeros(grid2.shape))


def test_l1_distance_and_relative_l1_error():
    grid = Grid([(0.0, 2.0)], 4)  # V = 0.5
    rho = Density(grid, [1.0, 2.0, 0.0, 1.0])
    ref = Density(grid, [2.0, 2.0, 1.0, 1.0])
    # ∫|rho - ref| = (1 + 0 + 1 + 0) * 0.5 = 1;  ∫ ref = 6 * 0.5 = 3
    assert rho.l1_distance(ref) == pytest.approx(1.0, rel=RTOL)
    assert rho.relative_l1_error(ref) == pytest.approx(1.0 / 3.0, rel=RTOL)
    assert ref.relative_l1_error(rho) == pytest.approx(1.0 / 2.0, rel=RTOL)
    assert rho.relative_l1_error(rho) == 0.0
    with pytest.raises(WgflowError, match="zero mass"):
        rho.relative_l1_error(Density(grid, np.zeros(4)))


# -- bad values --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "bad, match",
    [
        # numpy 2 writes the value as np.float64(...); accept either spelling
        (-1e-3, r"non-negative; found (np\.float64\()?-0\.001\)? at index \(2, 1\)"),
        (np.nan, r"finite; found (np\.float64\()?nan\)? at index \(2, 1\)"),
        (np.inf, r"finite; found (np\.float64\()?inf\)? at index \(2, 1\)"),
        (-np.inf, r"finite; found (np\.float64\()?-inf\)? at index \(2, 1\)"),
    ],
)
def test_bad_values_name_the_index(grid2, bad, match):
    values = np.ones(grid2.shape)
    values[2, 1] = bad
    with pytest.raises(WgflowError, match=match):
        Density(grid2, values)


def test_shape_mismatch_and_non_grid(grid2):
    with pytest.raises(WgflowError, match=r"shape \(4, 6\).*shape \(6, 4\)"):
        Density(grid2, np.ones((4, 6)))
    with pytest.raises(WgflowError, match=r"shape \(24,\)"):
        Density(grid2, np.ones(24))
    with pytest.raises(WgflowError, match="wgflow.Grid"):
        Density("grid", np.ones(3))
