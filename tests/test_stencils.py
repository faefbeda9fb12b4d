"""Tests of wgflow.stencils: exactness on polynomials, orders, walls, deposit moments."""

from __future__ import annotations

import numpy as np
import pytest
from _helpers import loglog_slope
from findiff import Diff

import wgflow as wg
from wgflow.errors import WgflowError
from wgflow.stencils import (
    LocalCubic,
    cosine_wavenumbers_squared,
    cubic_intervals,
    deposit_stencil,
    derivative,
    gradient_squared_and_laplacian,
    laplacian,
    tensor_product,
)


# ----------------------------------------------------------------------------------------------
# finite differences
# ----------------------------------------------------------------------------------------------
@pytest.mark.parametrize("acc", [2, 4, 6])
def test_derivative_is_exact_for_polynomials_of_degree_acc(acc):
    """Central inside and one-sided at the walls, both of order acc: exact (to round-off) for
    polynomials of degree acc, in every cell, along either axis of a 2-D array."""
    grid = wg.Grid([(-1, 2), (0, 1)], (15, 12))
    x, y = grid.coordinates
    f = (x - 0.3) ** acc + x * y
    np.testing.assert_allclose(
        derivative(f, 0, grid.spacing[0], acc), acc * (x - 0.3) ** (acc - 1) + y, atol=1e-9
    )
    np.testing.assert_allclose(derivative(f, 1, grid.spacing[1], acc), x, atol=1e-9)


@pytest.mark.parametrize("acc", [2, 4, 6])
def test_differences_are_findiffs_to_the_last_bit(acc):
    """Same stencils, same order of operations as findiff's operators (documented claim)."""
    f = np.random.default_rng(3).standard_normal((14, 11, 16))
    for axis, h in enumerate((0.3, 0.7, 1.1)):
        np.testing.assert_array_equal(derivative(f, axis, h, acc), Diff(axis, h, acc=acc)(f))
    spacing = (0.3, 0.7, 1.1)
    expected = sum((Diff(k, h, acc=acc) ** 2)(f) for k, h in enumerate(spacing))
    np.testing.assert_array_equal(laplacian(f, spacing, acc), expected)


def test_too_few_cells_for_the_stencil():
    with pytest.raises(WgflowError, match="5 cells along axis 0 are too few for differences of"):
        derivative(np.zeros(5), 0, 0.1, 4)


def test_derivative_with_lower_order_wall_closure():
    """acc = 4 where the central stencil fits, second order (central, then one-sided) in the
    two cells next to each wall: the fourth-order formula inside, exact for quadratics."""
    h = 0.1
    x = np.arange(12) * h
    f = np.sin(3 * x)
    mixed = derivative(f, 0, h, acc=4, wall_acc=2)
    np.testing.assert_array_equal(mixed[:2], derivative(f, 0, h, acc=2)[:2])
    np.testing.assert_array_equal(mixed[-2:], derivative(f, 0, h, acc=2)[-2:])
    central4 = (f[:-4] - 8 * f[1:-3] + 8 * f[3:-1] - f[4:]) / (12 * h)
    np.testing.assert_allclose(mixed[2:-2], central4, rtol=1e-12)
    np.testing.assert_allclose(derivative(x**2, 0, h, acc=4, wall_acc=2), 2 * x, atol=1e-12)
    short = np.sin(3 * x[:4])  # too short for the central fourth-order stencil: all wall_acc
    np.testing.assert_array_equal(
        derivative(short, 0, h, acc=4, wall_acc=2), derivative(short, 0, h, acc=2)
    )


def test_laplacian_orders():
    """Exact for quadratics with acc = 2 (walls included); order 2 and 4 on a smooth field."""
    grid = wg.Grid([(-1, 1), (0, 2)], (9, 7))
    x, y = grid.coordinates
    np.testing.assert_allclose(laplacian(3 * x**2 - y**2 + x * y, grid.spacing), 4.0, atol=1e-10)
    sizes = [32, 64, 128]
    for acc, order in [(2, 2.0), (4, 4.0)]:
        errors = []
        for n in sizes:
            grid = wg.Grid([(0, 1), (0, 1)], n)
            x, y = grid.coordinates
            f = np.sin(2 * x) * np.cos(y)
            errors.append(np.abs(laplacian(f, grid.spacing, acc) + 5 * f).max())
        assert -loglog_slope(sizes, errors) == pytest.approx(order, abs=0.3)


def test_gradient_squared_and_laplacian_of_a_quadratic():
    grid = wg.Grid([(-1, 1), (0, 2)], (9, 7))
    x, y = grid.coordinates
    squared, lap = gradient_squared_and_laplacian(x**2 + 3 * x * y, grid.spacing)
    np.testing.assert_allclose(squared, (2 * x + 3 * y) ** 2 + (3 * x) ** 2, atol=1e-10)
    np.testing.assert_allclose(lap, 2.0, atol=1e-10)


@pytest.mark.parametrize("acc", [3, 0, 2.0, True])
def test_bad_accuracy_orders_are_rejected(acc):
    with pytest.raises(WgflowError, match=r"acc must be an (even )?integer >= 2, got"):
        derivative(np.zeros(8), 0, 0.1, acc)
    with pytest.raises(WgflowError, match="acc must be"):
        laplacian(np.zeros(8), (0.1,), acc)


def test_cosine_wavenumbers_are_minus_the_eigenvalues_of_the_laplacian():
    """cos(pi j (x - a) / L) has zero flux at the walls and Lap = -(pi j / L)^2: compared
    with a sixth-order finite-difference Laplacian of the mode."""
    grid = wg.Grid([(-2, 2), (0, 1)], (64, 32))
    k2 = cosine_wavenumbers_squared(grid)
    x, y = grid.coordinates
    mode = np.cos(np.pi * 3 * (x + 2) / 4) * np.cos(np.pi * 2 * y)
    inner = (slice(4, -4), slice(4, -4))
    np.testing.assert_allclose(
        laplacian(mode, grid.spacing, 6)[inner], -k2[3, 2] * mode[inner], atol=1e-6 * k2[3, 2]
    )
    assert k2[3, 2] == pytest.approx((3 * np.pi / 4) ** 2 + (2 * np.pi) ** 2, rel=1e-15)


# ----------------------------------------------------------------------------------------------
# interpolation
# ----------------------------------------------------------------------------------------------
@pytest.mark.parametrize("n", [2, 3, 4, 9])
def test_cubic_intervals_reproduce_polynomials(n):
    """Each interval's polynomial reproduces cubics (linear ones with fewer than 4 nodes),
    with the nodes centred on the interval and shifted inside at the ends."""
    start, coef = cubic_intervals(n)
    k = 4 if n >= 4 else 2
    assert coef.shape == (n - 1, k, k) and not coef.flags.writeable
    np.testing.assert_array_equal(start, np.clip(np.arange(n - 1) - (k - 1) // 2, 0, n - k))
    nodes = np.arange(float(n))
    f = 0.5 - nodes + 0.3 * nodes**2 - 0.1 * nodes**3 if k == 4 else 0.5 - 2 * nodes
    for m in range(n - 1):
        for s in (0.0, 0.3, 1.0):
            value = sum(s**p * coef[m, p] @ f[start[m] : start[m] + k] for p in range(k))
            q = m + s
            exact = 0.5 - q + 0.3 * q**2 - 0.1 * q**3 if k == 4 else 0.5 - 2 * q
            assert value == pytest.approx(exact, abs=1e-12)


def test_local_cubic_reproduces_cubics_up_to_the_walls_and_holds_beyond():
    grid = wg.Grid([(-1, 1), (0, 3)], (10, 3))  # cubic along axis 0, linear along axis 1

    def f(x, y):
        return (1 + x - 2 * x**3) * (2 - y)

    rng = np.random.default_rng(0)
    inside = np.column_stack([rng.uniform(-1, 1, 200), rng.uniform(0, 3, 200)])
    fields = np.stack([f(*grid.coordinates), 2 * f(*grid.coordinates)])
    interp = LocalCubic(grid, inside)
    np.testing.assert_allclose(interp(fields), [f(*inside.T), 2 * f(*inside.T)], atol=1e-12)
    outside = np.array([[-1.7, 0.4], [1.3, 3.6]])
    at_wall = np.array([[-1.0, 0.4], [1.0, 3.0]])
    np.testing.assert_allclose(LocalCubic(grid, outside)(fields[0]), f(*at_wall.T), atol=1e-12)


def test_local_cubic_is_fourth_order():
    rng = np.random.default_rng(1)
    points = rng.uniform(-1, 1, (300, 1))
    sizes, errors = [16, 32, 64], []
    for n in sizes:
        grid = wg.Grid([(-1, 1)], n)
        values = np.exp(np.sin(3 * grid.axes[0]))
        exact = np.exp(np.sin(3 * points[:, 0]))
        errors.append(np.abs(LocalCubic(grid, points)(values) - exact).max())
    assert -loglog_slope(sizes, errors) > 3.7


@pytest.mark.parametrize("kernel", ["m4", "cic"])
def test_deposit_stencil_moments_and_walls(kernel):
    """Inside, M4' keeps the mass, the position and a zero spread of a point mass; CIC keeps
    mass and position and spreads by s (1 - s).  At the walls the reflected weights still
    sum to 1 and stay on the grid."""
    n = 10
    q = np.array([2.0, 3.25, 4.5, 6.9])
    index, weights = deposit_stencil(q, n, kernel)
    np.testing.assert_allclose(weights.sum(axis=0), 1.0, rtol=1e-15)
    np.testing.assert_allclose((weights * index).sum(axis=0), q, rtol=1e-14)
    s = q - np.floor(q)
    spread = 0.0 if kernel == "m4" else s * (1 - s)
    np.testing.assert_allclose((weights * (index - q) ** 2).sum(axis=0), spread, atol=1e-14)
    index, weights = deposit_stencil(np.array([-0.5, 0.2, n - 0.5]), n, kernel)
    assert index.min() >= 0 and index.max() <= n - 1
    np.testing.assert_allclose(weights.sum(axis=0), 1.0, rtol=1e-15)
    with pytest.raises(WgflowError, match="unknown deposit kernel 'tsc'; accepted: 'm4', 'cic'"):
        deposit_stencil(q, n, "tsc")


def test_tensor_product_nodes_and_weights():
    """Flat indices in C order and products of the per-axis weights times the factor."""
    shape = (4, 5)
    ix, wx = np.array([[0, 1], [1, 2]]), np.array([[0.25, 0.5], [0.75, 0.5]])
    iy, wy = np.array([[3, 0], [4, 1]]), np.array([[0.1, 0.6], [0.9, 0.4]])
    factor = np.array([2.0, 3.0])
    nodes = list(tensor_product([(ix, wx), (iy, wy)], shape, factor))
    assert len(nodes) == 4
    for (flat, weight), (a, b) in zip(nodes, [(0, 0), (0, 1), (1, 0), (1, 1)]):
        np.testing.assert_array_equal(flat, np.ravel_multi_index((ix[a], iy[b]), shape))
        np.testing.assert_allclose(weight, factor * wx[a] * wy[b], rtol=1e-15)
