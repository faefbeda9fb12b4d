"""Tests of wgflow.kernels: one-dimensional Gibbs kernels applied along an axis over the band
that each array needs.

* The bounds behind the certificate (``tail``, ``floor``, ``spread``, ``log_tail``) against
  brute force on small matrices, and the bands they give at ``gamma = 2 h^2``: 8 cells (the
  kernel falls below 2^-52 of its peak at sqrt(36.04 gamma) = 8.5 cells) for an array of
  ratio 1, 38 cells (the last distance where ``exp(-d^2 / gamma)`` is not an exact zero) for
  an array with zeros.
* That the cheap paths are taken: the narrow band for a positive array, the bounding box of
  the support for an array with vacuum, one BLAS thread for the products.  (Their agreement
  with the dense products, entry by entry, is tested in tests/test_transport.py.)
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
from scipy.special import logsumexp
from threadpoolctl import threadpool_info

from wgflow import kernels
from wgflow.kernels import AxisKernel, LogAxisKernel, apply_separable, single_blas_thread


def gibbs(n: int, gamma_cells: float) -> tuple[np.ndarray, np.ndarray]:
    """Cost ``(i - j)^2 / gamma`` and kernel on ``n`` cells of spacing 1 (``gamma`` in cells^2)."""
    x = np.arange(n, dtype=float)
    cost = (x[:, None] - x[None, :]) ** 2 / gamma_cells
    return cost, np.exp(-cost)


def brute_tail(matrix: np.ndarray, w: int) -> float:
    i, j = np.indices(matrix.shape)
    return float(np.where(np.abs(i - j) > w, matrix, 0.0).sum(axis=1).max())


# -- the bounds of the certificate -----------------------------------------------------------


@pytest.mark.parametrize("gamma_cells", [0.5, 2.0, 30.0])
def test_tail_floor_and_spread_against_brute_force(gamma_cells):
    cost, matrix = gibbs(40, gamma_cells)
    for weights in (matrix, matrix * cost):  # the kernel, and the kernel times the cost
        kernel = AxisKernel(weights)
        expected = [brute_tail(weights, w) for w in range(40)]
        np.testing.assert_allclose(kernel.tail, expected, rtol=1e-12, atol=0)
        assert np.all(np.diff(kernel.tail) <= 0) and kernel.tail[-1] == 0.0
        assert kernel.floor == pytest.approx(weights.max(axis=1).min(), rel=1e-15)
        assert kernel.spread == pytest.approx(weights.sum(axis=1).max() / kernel.floor, rel=1e-15)
    log_kernel = LogAxisKernel(cost)
    tails = np.array([brute_tail(matrix, w) for w in range(40)])
    normal = tails > 1e-290  # beyond, the sum in the exp domain underflows; the log one does not
    np.testing.assert_allclose(log_kernel.log_tail[normal], np.log(tails[normal]), rtol=1e-12)
    assert np.all(log_kernel.log_tail[~normal][:-1] < np.log(1e-290))
    assert np.all(np.isfinite(log_kernel.log_tail[:-1])) and log_kernel.log_tail[-1] == -np.inf


def test_bands_at_the_default_gamma():
    cost, matrix = gibbs(200, 2.0)  # gamma = 2 h^2
    kernel, log_kernel = AxisKernel(matrix), LogAxisKernel(cost)
    # exp(-d^2 / 2) < 2^-52 from d = 9 on (exp(-40.5) = 2.6e-18; exp(-32) = 1.3e-14)
    assert kernel.band(1.0) == log_kernel.band(0.0) == 8
    # exp(-38^2 / 2) = 3e-314 is a subnormal number, exp(-39^2 / 2) is zero
    assert matrix[0, 38] > 0 and matrix[0, 39] == 0
    assert kernel.band(math.inf) == 38
    # a wider ratio needs a wider band: 2 sum_{d > w} exp(-d^2 / 2) <= 2^-52 e^-R, d >= 16.5
    assert kernel.band(math.exp(100)) == log_kernel.band(100.0) == 16
    # the log domain has no exact zeros: an unbounded ratio takes the whole axis
    assert log_kernel.band(math.inf) == 199
    # the kernel times the cost has a zero diagonal: its floor is the first neighbour's entry
    assert AxisKernel(matrix * cost).floor == pytest.approx(0.5 * math.exp(-0.5), rel=1e-15)


# -- which path a product takes -------------------------------------------------------------


def spy_bands(monkeypatch) -> list[tuple[int, tuple[int, ...], int]]:
    """Record ``(axis, shape of the part multiplied, band)`` of every ``AxisKernel.apply``."""
    calls = []
    real = AxisKernel.apply

    def spy(self, x, axis, box, w, out):
        calls.append((axis, tuple(b - a for a, b in box), w))
        return real(self, x, axis, box, w, out)

    monkeypatch.setattr(AxisKernel, "apply", spy)
    return calls


def test_positive_arrays_use_the_narrow_band(monkeypatch):
    calls = spy_bands(monkeypatch)
    _, matrix = gibbs(150, 2.0)
    axes = [AxisKernel(matrix), AxisKernel(matrix)]
    x = 1.0 + np.random.default_rng(0).random((150, 150))  # ratio < 2
    apply_separable(axes, x, [np.empty(x.shape)])
    # the ratio grows by the spread (2.5) after the first axis: still the band of 8 cells
    assert calls == [(0, (150, 150), 8), (1, (150, 150), 8)]


def test_arrays_with_vacuum_use_the_support_box_and_every_nonzero_entry(monkeypatch):
    calls = spy_bands(monkeypatch)
    _, matrix = gibbs(150, 2.0)
    axes = [AxisKernel(matrix), AxisKernel(matrix)]
    x = np.zeros((150, 150))
    x[60:70, 100:104] = 1.0
    apply_separable(axes, x, [np.empty(x.shape)])
    # along axis 0 the support (10 x 4 cells) grows by 38 cells on each side, clipped at 150
    assert calls == [(0, (10, 4), 38), (1, (86, 4), 38)]
    calls.clear()
    out = apply_separable(axes, np.zeros((150, 150)), [np.empty((150, 150))])
    assert calls == [(0, (0, 0), 38), (1, (0, 0), 38)] and not out.any()


def test_products_run_on_one_blas_thread(monkeypatch):
    threads = []
    real = kernels._matmul

    def spy(block, lines, out):
        threads.extend(lib["num_threads"] for lib in threadpool_info() if lib["user_api"] == "blas")
        real(block, lines, out)

    monkeypatch.setattr(kernels, "_matmul", spy)
    _, matrix = gibbs(100, 2.0)
    before = [lib["num_threads"] for lib in threadpool_info()]
    apply_separable([AxisKernel(matrix)] * 2, np.ones((100, 100)), [np.empty((100, 100))])
    assert threads and set(threads) == {1}
    assert [lib["num_threads"] for lib in threadpool_info()] == before  # restored
    with pytest.raises(RuntimeError, match="inside"), single_blas_thread():
        raise RuntimeError("inside")
    assert [lib["num_threads"] for lib in threadpool_info()] == before  # restored after errors


def test_blocks_and_the_single_product_agree(monkeypatch):
    """The block product (rows in blocks of BLOCK, each with the columns within its band) and
    the one product over the box give the same array to round-off."""
    cost, matrix = gibbs(300, 2.0)
    axes = [AxisKernel(matrix), AxisKernel(matrix * cost)]
    x = 1.0 + np.random.default_rng(1).random((300, 40))
    blocks = apply_separable(axes, x, [np.empty(x.shape)])
    monkeypatch.setattr(kernels, "DENSE_FRACTION", 0.0)
    single = apply_separable(axes, x, [np.empty(x.shape)])
    np.testing.assert_allclose(blocks, single, rtol=1e-14)


# -- the log domain ----------------------------------------------------------------------------


def test_log_kernel_widens_the_band_until_certified():
    """With vacuum the first band comes from the finite entries; the computed minimum then
    certifies it or gives the band that is.  Here the vacuum gap (30 cells) is wider than the
    first band, so the cells in its middle need terms from 15 cells away."""
    cost, _ = gibbs(120, 2.0)
    kernel = LogAxisKernel(cost)
    log_x = np.zeros(120)
    log_x[45:75] = -np.inf
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        expected = logsumexp(log_x[None, :] - cost, axis=1)
    out = kernel.apply(log_x.reshape(1, 120, 1), 1).ravel()
    assert np.isfinite(out).all()
    np.testing.assert_allclose(out, expected, rtol=1e-14, atol=1e-13)
    # cell 60 is 15 cells from the nearest mass (cell 75)
    assert out[60] == pytest.approx(-(15**2) / 2, abs=1e-6)


@pytest.mark.parametrize(("n", "gamma_cells"), [(64, 3.0), (200, 2.0), (37, 0.5), (90, 40.0)])
def test_log_kernel_whole_axis_and_banded_sums_equal_the_dense_sum(n, gamma_cells):
    """The block-wise whole-axis sum and the full band against scipy's dense log-sum-exp,
    on lines spanning hundreds of units with vacuum (every fourth cell, a whole line, and a
    wide gap): equal to round-off of the results (1e-14 relative, 1e-12 absolute), and -inf
    exactly where the dense sum is."""
    cost, _ = gibbs(n, gamma_cells)
    kernel = LogAxisKernel(cost)
    rng = np.random.default_rng(2)
    lines = rng.normal(scale=30.0, size=(5, n, 3)) + np.linspace(-300, 300, n)[None, :, None]
    lines[:, ::4] = -np.inf
    lines[2] = -np.inf  # a line of vacuum
    lines[3, n // 4 : 3 * n // 4] = -np.inf  # a wide gap
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        dense = np.swapaxes(logsumexp(np.swapaxes(lines, 1, 2)[:, :, None, :] - cost, axis=-1),
                            1, 2)
    for out in (kernel._whole_axis(lines), kernel._banded(lines, n - 1)):
        np.testing.assert_array_equal(np.isfinite(out), np.isfinite(dense))
        finite = np.isfinite(dense)
        np.testing.assert_allclose(out[finite], dense[finite], rtol=1e-14, atol=1e-12)
    assert np.all(kernel._whole_axis(lines)[2] == -np.inf)
    assert kernel.block <= 32 and cost[0, 1] * (kernel.block - 1) ** 2 <= 600


def test_log_kernel_needs_a_uniform_axis():
    x = np.array([0.0, 0.1, 0.3, 0.35])
    with pytest.raises(ValueError, match="uniform axis"):
        LogAxisKernel((x[:, None] - x[None, :]) ** 2)
