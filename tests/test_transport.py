"""Tests of wgflow.transport, the module that calls POT.

* Gibbs kernels: the separable kernel must equal the dense one (built from ``ot.dist``) and
  an explicit double loop written here to round-off: every entry is a sum of at most a
  few hundred positive terms, so ``rtol=1e-13``.  On grids wider than its band it must
  equal the dense per-axis products (the full ``n x n`` matrix of each axis) entry by entry:
  ``|banded - dense| <= 1e-13 |dense| + 1e-300`` for nonnegative arrays (relative agreement
  wherever the dense value is a normal number: the band follows the array, so the terms it
  drops are below 2^-52 of the entry itself, not of the largest entry), which implies the
  criterion ``max |banded - dense| <= 1e-12 max |dense|``; ``1e-13`` of the product of ``|x|``
  for signed arrays; in the log domain ``1e-13`` relative plus ``1e-12``, ``-inf`` exactly where
  the dense sum is, never NaN.  A band fixed at 2^-52 of the kernel's peak would not do: it
  changes the heat scalings below by their whole size, and a heat step from an indicator
  function by 0.9% of its maximum on 200 cells (23% on 512 cells).
* W2 between the point masses at the cell centres (:func:`point_mass_wasserstein2`, the
  reference and the old tracker) is computed exactly (1-D quantile formula, a linear
  program), so integer-cell translations give the translation length to round-off; for
  sampled continuous densities the discrete measure sits within sqrt(sum h_k^2 / 12) of the
  cell-averaged one (each cell's mass moved to its centre), which bounds the
  discretisation error; for Gaussians we also measure its order.  The W2 of the densities
  (:func:`wasserstein2`) is tested in ``tests/test_wasserstein.py``; here only its bad input.
* Sinkhorn references are compared with a log-domain Sinkhorn written here and run to
  convergence (1e-10 or better).
"""

from __future__ import annotations

import warnings

import numpy as np
import ot
import pytest
import scipy.optimize
from scipy.special import logsumexp

from _helpers import quantile_w2
from wgflow import Density, Grid, GridMismatchError, WgflowError, exact, transport
from wgflow.flows import Heat
from wgflow.solvers.jko import JKOSolver
from wgflow.transport import (
    DenseGibbsKernel,
    SeparableGibbsKernel,
    bures_wasserstein,
    dense_kl_jko_step,
    dense_sinkhorn_cost,
    make_kernel,
    point_mass_wasserstein2,
    wasserstein2,
)

KERNEL_GRIDS = [
    Grid([(0.0, 1.0)], 9),
    Grid([(0.0, 1.0), (-1.0, 2.0)], (5, 7)),  # h = (0.2, 0.43)
    Grid([(0.0, 1.0), (0.0, 2.0), (-1.0, 0.5)], (3, 4, 5)),  # h = (0.33, 0.5, 0.3)
]


def explicit_kernel(grid: Grid, gamma: float) -> np.ndarray:
    """K_ij = exp(-|x_i - x_j|^2 / gamma) from the points, by broadcasting (no POT)."""
    p = grid.points
    sq = ((p[:, None, :] - p[None, :, :]) ** 2).sum(axis=-1)
    return np.exp(-sq / gamma), sq


# -- Gibbs kernels ---------------------------------------------------------------------------


@pytest.mark.parametrize("grid", KERNEL_GRIDS, ids=["1d", "2d", "3d"])
@pytest.mark.parametrize("gamma", [0.02, 0.3])
def test_separable_kernel_equals_dense_and_explicit(grid, gamma):
    rng = np.random.default_rng(0)
    x = rng.random(grid.shape)
    sep = SeparableGibbsKernel(grid, gamma)
    dense = DenseGibbsKernel(grid, gamma)
    K, sq = explicit_kernel(grid, gamma)
    np.testing.assert_allclose(dense.cost, sq, rtol=1e-13, atol=1e-15)
    expected = (K @ x.ravel()).reshape(grid.shape)
    np.testing.assert_allclose(dense.apply(x), expected, rtol=1e-13)
    np.testing.assert_allclose(sep.apply(x), expected, rtol=1e-13)
    log_x = np.log(x)
    expected_log = logsumexp(log_x.ravel()[None, :] - sq / gamma, axis=1).reshape(grid.shape)
    np.testing.assert_allclose(sep.log_apply(log_x), expected_log, rtol=1e-13, atol=1e-13)
    np.testing.assert_allclose(dense.log_apply(log_x), expected_log, rtol=1e-13, atol=1e-13)
    # the kernel is linear and symmetric: <y, K x> = <K y, x>
    y = rng.random(grid.shape)
    assert np.sum(y * sep.apply(x)) == pytest.approx(np.sum(sep.apply(y) * x), rel=1e-13)


@pytest.mark.parametrize("grid", KERNEL_GRIDS, ids=["1d", "2d", "3d"])
def test_cost_apply_separable_equals_dense(grid):
    if not hasattr(SeparableGibbsKernel, "cost_apply"):
        pytest.skip("cost_apply not present in this version")
    gamma = 0.1
    rng = np.random.default_rng(4)
    x = rng.random(grid.shape)
    K, sq = explicit_kernel(grid, gamma)
    expected = ((K * sq) @ x.ravel()).reshape(grid.shape)
    np.testing.assert_allclose(SeparableGibbsKernel(grid, gamma).cost_apply(x), expected,
                               rtol=1e-12)
    np.testing.assert_allclose(DenseGibbsKernel(grid, gamma).cost_apply(x), expected,
                               rtol=1e-12)


@pytest.mark.parametrize("grid", KERNEL_GRIDS, ids=["1d", "2d", "3d"])
def test_log_apply_with_vacuum_and_tiny_gamma_has_no_nan(grid):
    rng = np.random.default_rng(1)
    log_x = np.log(rng.random(grid.shape))
    flat = log_x.reshape(-1)
    flat[::3] = -np.inf  # vacuum cells
    for gamma in (0.3, 1e-4):  # 1e-4: exp(-h^2/gamma) underflows to 0 off the diagonal
        _, sq = explicit_kernel(grid, gamma)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # log(0) inside logsumexp
            expected = logsumexp(flat[None, :] - sq / gamma, axis=1).reshape(grid.shape)
            for kernel in (SeparableGibbsKernel(grid, gamma), DenseGibbsKernel(grid, gamma)):
                out = kernel.log_apply(log_x)
                assert not np.isnan(out).any()
                finite = np.isfinite(expected)
                np.testing.assert_array_equal(np.isfinite(out), finite)
                np.testing.assert_allclose(out[finite], expected[finite], rtol=1e-13, atol=1e-12)
        # gamma = 1e-4: the exp domain would lose these; log domain keeps the diagonal term
        if gamma == 1e-4:
            on_support = np.isfinite(log_x)
            np.testing.assert_allclose(out[on_support], log_x[on_support], rtol=0, atol=1e-12)
    # all vacuum: -inf everywhere, no NaN
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        out = SeparableGibbsKernel(grid, 0.1).log_apply(np.full(grid.shape, -np.inf))
    assert np.all(out == -np.inf)


def test_dense_kernel_refuses_large_grids_and_make_kernel():
    with pytest.raises(WgflowError, match=r"4160 cells.*64\^2"):
        DenseGibbsKernel(Grid([(0, 1), (0, 1)], (65, 64)), 0.1)
    with pytest.raises(WgflowError, match=r"64\^2"):
        make_kernel(Grid([(0, 1)] * 3, (17, 16, 16)), 0.1, kind="dense")
    grid = KERNEL_GRIDS[1]
    assert isinstance(make_kernel(grid, 0.1), SeparableGibbsKernel)
    assert isinstance(make_kernel(grid, 0.1, "dense"), DenseGibbsKernel)
    with pytest.raises(WgflowError, match="'fft'.*'separable', 'dense'"):
        make_kernel(grid, 0.1, "fft")
    # a large grid is fine for the separable kernel (memory linear in the cells)
    big = Grid([(0, 1), (0, 1)], (256, 256))
    out = SeparableGibbsKernel(big, 1e-3).apply(np.ones(big.shape))
    # interior: sum_j exp(-(j h)^2/gamma) per axis ~ sqrt(pi gamma)/h (Poisson summation,
    # error ~ exp(-pi^2 gamma / h^2) ~ 1e-28) squared
    expected = (np.sqrt(np.pi * 1e-3) / big.spacing[0]) ** 2
    assert out[128, 128] == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize("gamma", [0.0, -0.1, float("nan")])
@pytest.mark.parametrize("kind", ["separable", "dense"])
def test_kernels_reject_non_positive_gamma(kind, gamma):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        with pytest.raises(WgflowError, match="gamma"):
            make_kernel(Grid([(0.0, 1.0)], 4), gamma, kind)


# -- the separable kernel on grids wider than its band ----------------------------------------

BANDED_GRIDS = [
    Grid([(0.0, 1.0)], 300),
    Grid([(0.0, 1.0), (-1.0, 2.0)], (90, 70)),  # h = (0.011, 0.043): anisotropic
    Grid([(0.0, 1.0), (0.0, 2.0), (-1.0, 0.5)], (36, 30, 24)),  # h = (0.028, 0.067, 0.063)
]
BANDED_IDS = ["1d-300", "2d-90x70", "3d-36x30x24"]
# 2 h^2 on the finest axis (the JKO default: a band of 8 cells there, 1-2 on the coarse
# axes), 0.5 (a band wider than every axis), 1e-7 (the kernel is the identity in float64)
GAMMA_FACTORS = [2.0, None, 1e-7]


def gamma_for(grid: Grid, factor: float | None) -> float:
    return 0.5 if factor is None else factor * min(grid.spacing) ** 2


def dense_per_axis(grid: Grid, gamma: float, x: np.ndarray, log: bool = False,
                   cost_axis: int | None = None) -> np.ndarray:
    """The reference: the full dense ``n x n`` matrix of each axis (the kernel times the
    squared distance on ``cost_axis``), applied axis by axis."""
    out = x
    for axis, c in enumerate(grid.axes):
        sq = (c[:, None] - c[None, :]) ** 2
        moved = np.moveaxis(out, axis, -1)
        if log:
            moved = logsumexp(moved[..., None, :] - sq / gamma, axis=-1)
        else:
            moved = moved @ (np.exp(-sq / gamma) * (sq if axis == cost_axis else 1.0))
        out = np.moveaxis(moved, -1, axis)
    return out


def sample_arrays(grid: Grid, gamma: float) -> dict[str, np.ndarray]:
    """Nonnegative arrays: smooth and positive; positive over 600 orders of e (ratio e^600);
    compact support (vacuum); the scalings of a heat step from it, ``b = (K a)^-0.9`` where
    ``K a > 0`` (zeros, and a range of e^+-700 where mass moves into vacuum)."""
    rng = np.random.default_rng(21)
    r2 = sum((c - c.mean()) ** 2 for c in grid.coordinates)
    ball = np.where(r2 < 0.05, 1.0 + rng.random(grid.shape), 0.0)
    with np.errstate(divide="ignore"):
        kb = dense_per_axis(grid, gamma, ball)
        scalings = np.where(kb > 0, kb ** -0.9, 0.0)
    return {
        "smooth": np.exp(-r2 / 0.1) + 1e-3,
        "wide": np.exp(rng.uniform(-300.0, 300.0, grid.shape)),
        "vacuum": ball,
        "heat-scalings": scalings,
    }


def assert_entrywise(banded: np.ndarray, dense: np.ndarray, name: str = "") -> None:
    assert not np.isnan(banded).any(), name
    np.testing.assert_allclose(banded, dense, rtol=1e-13, atol=1e-300, err_msg=name)
    assert np.abs(banded - dense).max() <= 1e-12 * np.abs(dense).max(), name


@pytest.mark.parametrize("factor", GAMMA_FACTORS, ids=["2h2", "0.5", "1e-7h2"])
@pytest.mark.parametrize("grid", BANDED_GRIDS, ids=BANDED_IDS)
def test_separable_kernel_equals_dense_per_axis_entry_by_entry(grid, factor):
    gamma = gamma_for(grid, factor)
    kernel = SeparableGibbsKernel(grid, gamma)
    for name, x in sample_arrays(grid, gamma).items():
        assert_entrywise(kernel.apply(x), dense_per_axis(grid, gamma, x), name)
        expected = sum(dense_per_axis(grid, gamma, x, cost_axis=k) for k in range(grid.ndim))
        assert_entrywise(kernel.cost_apply(x), expected, name)
    # signed arrays: every nonzero entry of the matrices, so within round-off of the sum of
    # the absolute terms
    x = np.random.default_rng(22).normal(size=grid.shape)
    error = np.abs(kernel.apply(x) - dense_per_axis(grid, gamma, x))
    assert np.all(error <= 1e-13 * dense_per_axis(grid, gamma, np.abs(x)))
    if factor == 1e-7:  # exp(-h^2 / gamma) underflows: K is the identity
        np.testing.assert_array_equal(kernel.apply(x), x)


def test_a_band_fixed_at_the_kernel_resolution_would_change_the_products():
    """Why the band follows the array: dropping the entries below 2^-52 of the kernel's peak
    changes ``K b`` for the heat scalings by their whole size (and with it the JKO step,
    see below); the kernel instead keeps every entry the dense matrix does not hold as zero."""
    grid = BANDED_GRIDS[0]
    gamma = gamma_for(grid, 2.0)
    kernel = SeparableGibbsKernel(grid, gamma)
    b = sample_arrays(grid, gamma)["heat-scalings"]
    axis_kernel, fixed = kernel._kernels[0], np.empty(b.shape)
    axis_kernel.apply(b, 0, [(0, b.size)], axis_kernel.band(1.0), fixed)
    dense = dense_per_axis(grid, gamma, b)
    normal = dense > 1e-300
    assert np.max(np.abs(fixed - dense)[normal] / dense[normal]) > 0.5
    assert_entrywise(kernel.apply(b), dense)


@pytest.mark.parametrize("debias", [True, False], ids=["debiased-exp-domain", "log-domain"])
def test_jko_step_with_vacuum_equals_the_dense_kernel_step(debias):
    """Heat from an indicator function on 200 cells: mass moves 10 cells and more in the step,
    beyond the 8 cells where the kernel is above 2^-52 of its peak, through scalings of
    e^40 and more; the separable kernel's step equals the dense kernel's to round-off (a band
    fixed at 2^-52 changes it by 0.9% of its maximum, and the log-domain step fails)."""
    grid = Grid([(-1.0, 1.0)], 200)
    rho0 = Density.from_function(grid, lambda x: (np.abs(x) < 0.3) * 1.0)
    values = {}
    for kind in ("separable", "dense"):
        solver = JKOSolver(Heat(), rho0, 0.0, kernel=kind, debias=debias)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            assert solver.step(1e-3), solver.message
        values[kind] = solver.rho.values
    np.testing.assert_allclose(values["separable"], values["dense"], rtol=0,
                               atol=1e-10 * values["dense"].max())
    assert np.count_nonzero(values["dense"] > 1e-3) > np.count_nonzero(rho0.values) + 2 * 10


@pytest.mark.parametrize("factor", GAMMA_FACTORS, ids=["2h2", "0.5", "1e-7h2"])
@pytest.mark.parametrize("grid", BANDED_GRIDS, ids=BANDED_IDS)
def test_separable_log_kernel_equals_dense_per_axis(grid, factor):
    gamma = gamma_for(grid, factor)
    kernel = SeparableGibbsKernel(grid, gamma)
    rng = np.random.default_rng(23)
    with np.errstate(divide="ignore"):
        logs = {name: np.log(x) for name, x in sample_arrays(grid, gamma).items()}
    every_third = rng.normal(scale=50.0, size=grid.shape)
    every_third.reshape(-1)[::3] = -np.inf
    logs["every-third-vacuum"] = every_third
    lines = np.zeros(grid.shape)
    lines[..., : grid.shape[-1] // 2] = -np.inf  # lines of vacuum along the first axes
    logs["vacuum-lines"] = lines
    for name, log_x in logs.items():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            expected = dense_per_axis(grid, gamma, log_x, log=True)
        out = kernel.log_apply(log_x)
        assert not np.isnan(out).any(), name
        finite = np.isfinite(expected)
        np.testing.assert_array_equal(np.isfinite(out), finite, err_msg=name)
        np.testing.assert_array_equal(out[~finite], expected[~finite], err_msg=name)
        np.testing.assert_allclose(out[finite], expected[finite], rtol=1e-13, atol=1e-12,
                                   err_msg=name)


# -- W2 between the point masses (point_mass_wasserstein2) in 1-D -----------------------------


def test_point_mass_w2_1d_equals_pot_and_quantile_formula():
    grid = Grid([(-1.0, 3.0)], 40)
    rng = np.random.default_rng(6)
    a = rng.random(40) * (rng.random(40) > 0.3)
    b = rng.random(40) * (rng.random(40) > 0.3)
    rho, sigma = Density(grid, a), Density(grid, 5.0 * b)  # masses need not be 1
    value = point_mass_wasserstein2(rho, sigma)
    x = grid.axes[0]
    pot = np.sqrt(ot.wasserstein_1d(x, x, a / a.sum(), b / b.sum(), p=2))
    assert value == pytest.approx(pot, rel=1e-12)
    assert value == pytest.approx(quantile_w2(x, a, b), rel=1e-10)
    assert point_mass_wasserstein2(rho, rho) == pytest.approx(0.0, abs=1e-7)
    assert point_mass_wasserstein2(sigma, rho) == pytest.approx(value, rel=1e-12)


def test_point_mass_w2_1d_translations():
    grid = Grid([(0.0, 4.0)], 200)
    h = grid.spacing[0]
    bump = lambda x, c: np.exp(-((x - c) ** 2) / 0.02)  # noqa: E731
    base = Density.from_function(grid, lambda x: bump(x, 1.0 + 0.5 * h))
    # integer-cell shift: the discrete measures are exact translates (tails ~ e^-100)
    for k in (1, 17, 100):
        shifted = Density.from_function(grid, lambda x, k=k: bump(x, 1.0 + (k + 0.5) * h))
        assert point_mass_wasserstein2(base, shifted) == pytest.approx(k * h, rel=1e-9)
    # arbitrary shift s: W2 of the continuous densities is |s|; the sampled measures are each
    # within h / sqrt(12) of cell-averaged ones, which differ from the continuous ones by
    # at most h / 2 per mass: |W2 - s| <= h
    for s in (0.123, 1.7777):
        shifted = Density.from_function(grid, lambda x, s=s: bump(x, 1.0 + 0.5 * h + s))
        assert abs(point_mass_wasserstein2(base, shifted) - s) <= h


# -- W2 between the point masses in 2-D and 3-D ---------------------------------------------------


def test_point_mass_w2_2d_and_3d_integer_translation_is_exact():
    grid = Grid([(0.0, 2.0), (0.0, 1.5)], (20, 15))  # h = (0.1, 0.1)
    values = np.zeros(grid.shape)
    rng = np.random.default_rng(8)
    values[3:8, 2:6] = rng.random((5, 4))
    shifted = np.roll(np.roll(values, 9, axis=0), 7, axis=1)  # support stays inside
    h = grid.spacing
    expected = np.hypot(9 * h[0], 7 * h[1])
    value = point_mass_wasserstein2(Density(grid, values), Density(grid, shifted))
    assert value == pytest.approx(expected, rel=1e-10)
    grid3 = Grid([(0.0, 1.0), (0.0, 2.0), (0.0, 0.5)], (6, 8, 5))
    v3 = np.zeros(grid3.shape)
    v3[0:2, 1:3, 0:2] = rng.random((2, 2, 2))
    s3 = np.roll(v3, (3, 4, 2), axis=(0, 1, 2))
    h3 = np.array(grid3.spacing)
    value = point_mass_wasserstein2(Density(grid3, v3), Density(grid3, 2.0 * s3))
    assert value == pytest.approx(np.linalg.norm(h3 * [3, 4, 2]), rel=1e-10)


def test_point_mass_w2_2d_smooth_translation_within_h():
    grid = Grid([(-1.0, 1.0), (-1.0, 1.0)], (30, 30))
    f = lambda c: (lambda x, y: np.exp(-((x - c[0]) ** 2 + (y - c[1]) ** 2) / 0.03))  # noqa
    shift = np.array([0.33, -0.21])
    value = point_mass_wasserstein2(Density.from_function(grid, f([-0.2, 0.1])),
                                    Density.from_function(grid, f(np.array([-0.2, 0.1]) + shift)))
    h = grid.spacing[0]
    assert abs(value - np.linalg.norm(shift)) <= h


def test_point_mass_w2_equals_direct_emd2_and_linear_program():
    grid = Grid([(0.0, 1.0), (0.0, 2.0)], (3, 4))
    rng = np.random.default_rng(9)
    a = rng.random(grid.shape)
    b = rng.random(grid.shape)
    b[1, 2] = 0.0  # a zero cell is dropped by the library; the LP below keeps it
    value = point_mass_wasserstein2(Density(grid, a), Density(grid, b))
    pa, pb = a.ravel() / a.sum(), b.ravel() / b.sum()
    M = ot.dist(grid.points, grid.points)
    assert value**2 == pytest.approx(ot.emd2(pa, pb, M), rel=1e-12)
    # independent: the transport LP solved by scipy's HiGHS
    n = grid.size
    rows = np.kron(np.eye(n), np.ones(n))
    cols = np.kron(np.ones(n), np.eye(n))
    lp = scipy.optimize.linprog(
        M.ravel(), A_eq=np.vstack([rows, cols]), b_eq=np.concatenate([pa, pb]),
        bounds=(0, None), method="highs",
    )
    assert lp.status == 0
    assert value**2 == pytest.approx(lp.fun, rel=1e-9)


def test_bures_wasserstein_commuting_closed_form():
    # diagonal covariances: W2^2 = |m1 - m2|^2 + sum_i (sigma_i - s_i)^2 (the non-commuting
    # case is tested against the cost of the optimal affine map in tests/test_gaussian.py)
    m1, m2 = np.array([0.1, 0.2]), np.array([1.1, -0.3])
    value = bures_wasserstein(m1, np.diag([2.0, 1.0]), m2, np.diag([0.5, 3.0]))
    expected = np.sqrt(1.25 + (np.sqrt(2) - np.sqrt(0.5)) ** 2 + (1 - np.sqrt(3)) ** 2)
    assert isinstance(value, float)
    assert value == pytest.approx(expected, rel=1e-14)


def test_point_mass_w2_gaussians_approach_bures_wasserstein_at_second_order():
    m1, S1 = np.array([-0.3, 0.1]), np.array([[0.20, 0.05], [0.05, 0.10]])
    m2, S2 = np.array([0.4, -0.2]), np.array([[0.12, -0.03], [-0.03, 0.25]])
    bw = bures_wasserstein(m1, S1, m2, S2)
    errors, spacings = [], []
    for n in (24, 32):
        # box half-width 2.5 = 5 standard deviations of the widest component; tail mass ~1e-6
        # enters W2 at second order
        grid = Grid([(-2.5, 2.5), (-2.5, 2.5)], (n, n))
        rho = exact.heat_gaussian(grid, m1, S1, 0.0)
        sigma = exact.heat_gaussian(grid, m2, S2, 0.0)
        value = point_mass_wasserstein2(rho, sigma)
        h = grid.spacing[0]
        # rigorous: each sampled measure is within ~ sqrt(2 h^2 / 12) of the Gaussian
        assert abs(value - bw) <= 2 * np.sqrt(2 * h**2 / 12)
        errors.append(abs(value - bw))
        spacings.append(h)
    # measured: the quantisation bias is O(h^2) (4.6e-3 at h = 0.156), order 2.0
    order = np.log(errors[0] / errors[1]) / np.log(spacings[0] / spacings[1])
    assert 1.8 < order < 2.3, (errors, order)


def test_point_mass_w2_coarsened_when_support_is_large():
    # 72 x 72 = 5184 cells > EXACT_W2_MAX_POINTS: both densities are coarsened by 2 per axis
    # until they fit; each fine mass moves at most half a coarse-cell diagonal, so the
    # result stays within
    # 2 * (coarse diagonal / 2) of the fine-grid value, itself within the bound above of BW.
    assert transport.EXACT_W2_MAX_POINTS < 72 * 72
    grid = Grid([(-2.5, 2.5), (-2.5, 2.5)], (72, 72))
    m1, S1 = np.array([-0.3, 0.1]), np.array([[0.20, 0.05], [0.05, 0.10]])
    m2, S2 = np.array([0.4, -0.2]), np.array([[0.12, -0.03], [-0.03, 0.25]])
    value = point_mass_wasserstein2(exact.heat_gaussian(grid, m1, S1, 0.0),
                                    exact.heat_gaussian(grid, m2, S2, 0.0))
    cells, factor = 72, 1
    while cells**2 > transport.EXACT_W2_MAX_POINTS:
        cells, factor = cells // 2, factor * 2
    h_coarse = factor * grid.spacing[0]
    bound = np.sqrt(2) * h_coarse + 2 * np.sqrt(2 * grid.spacing[0] ** 2 / 12)
    error = abs(value - bures_wasserstein(m1, S1, m2, S2))
    assert error <= bound
    # sharper: the coarsened measures are the cell sums on the coarse grid at the block
    # centroids, so the error is the O(h^2) quantisation bias of that grid (constant 0.19
    # measured in the test above); measured 3.3e-3 = 0.17 h_coarse^2
    assert error <= 0.3 * h_coarse**2


@pytest.mark.parametrize("w2", [point_mass_wasserstein2, wasserstein2])
def test_w2_different_grids_raise(w2):
    g1 = Grid([(0, 1), (0, 1)], (4, 4))
    g2 = Grid([(0, 1), (0, 1)], (4, 5))
    with pytest.raises(GridMismatchError, match="W2"):
        w2(Density(g1, np.ones((4, 4))), Density(g2, np.ones((4, 5))))
    with pytest.raises(GridMismatchError):
        w2(Density(Grid([(0, 1)], 4), np.ones(4)), Density(Grid([(0, 2)], 4), np.ones(4)))


@pytest.mark.parametrize("w2", [point_mass_wasserstein2, wasserstein2])
def test_w2_zero_mass_raises(w2):
    for grid in (Grid([(0, 1)], 6), Grid([(0, 1), (0, 1)], (4, 4))):
        zero = Density(grid, np.zeros(grid.shape))
        one = Density(grid, np.ones(grid.shape))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            with pytest.raises(WgflowError, match="zero mass"):
                w2(zero, one)


def test_point_mass_w2_coarsening_of_thin_grids(monkeypatch):
    # guard: never let the library hand empty histograms to POT's C code (it segfaults)
    real_emd2 = ot.emd2

    def guarded_emd2(a, b, M, *args, **kwargs):
        assert len(a) > 0 and len(b) > 0, "empty histogram passed to ot.emd2"
        return real_emd2(a, b, M, *args, **kwargs)

    monkeypatch.setattr(transport.ot, "emd2", guarded_emd2)
    grid = Grid([(0.0, 1.0), (0.0, 1.0)], (8200, 2))
    rho = Density(grid, np.ones(grid.shape))
    assert point_mass_wasserstein2(rho, rho) == pytest.approx(0.0, abs=1e-3)


# -- dense Sinkhorn references ---------------------------------------------------------------------


def own_log_sinkhorn(a, b, M, gamma, lam=np.inf, iterations=20000):
    """Plan of min <P, M> + gamma sum P (log P - 1) s.t. P 1 = a and, for lam = inf,
    P^T 1 = b; for finite lam the column marginal is penalised by lam KL(P^T 1 | b)."""
    f = np.zeros(len(a))
    g = np.zeros(len(b))
    la, lb = np.log(a), np.log(b)
    fac = 1.0 if np.isinf(lam) else lam / (lam + gamma)
    for _ in range(iterations):
        f = gamma * (la - logsumexp((g[None, :] - M) / gamma, axis=1))
        g_new = fac * gamma * (lb - logsumexp((f[:, None] - M) / gamma, axis=0))
        if np.max(np.abs(g_new - g)) < 1e-14:
            g = g_new
            break
        g = g_new
    f = gamma * (la - logsumexp((g[None, :] - M) / gamma, axis=1))
    return np.exp((f[:, None] + g[None, :] - M) / gamma)


def test_dense_sinkhorn_cost():
    grid = Grid([(-1.0, 1.0), (-1.0, 1.0)], (4, 4))
    rng = np.random.default_rng(10)
    a = rng.random(grid.shape) + 0.05
    b = rng.random(grid.shape) + 0.05
    a, b = a / a.sum(), b / b.sum()
    M = ot.dist(grid.points, grid.points)
    emd = ot.emd2(a.ravel(), b.ravel(), M)
    independent = float(np.sum(np.outer(a, b) * M))
    costs = []
    for gamma in (3.0, 0.3, 0.1):
        cost = dense_sinkhorn_cost(a, b, grid, gamma, numItermax=100000, stopThr=1e-13)
        own = float(np.sum(own_log_sinkhorn(a.ravel(), b.ravel(), M, gamma) * M))
        assert cost == pytest.approx(own, rel=1e-9)
        # a feasible plan costs at least the optimum, at most the independent coupling
        assert emd - 1e-12 <= cost <= independent + 1e-12
        costs.append(cost)
    # gamma = 0.04 < h^2 / 10: the entropic plan is nearly the OT plan (measured gap
    # 2.6e-5, against 1.5e-2 at gamma = 0.1); the gap falls monotonically with gamma
    costs.append(dense_sinkhorn_cost(a, b, grid, 0.04, numItermax=100000, stopThr=1e-11))
    assert np.all(np.diff(costs) < 0)  # less blur, less cost
    assert emd - 1e-12 <= costs[-1] <= emd + 1e-4


@pytest.mark.filterwarnings("ignore:If reg_type = entropy:UserWarning")
@pytest.mark.parametrize("grid", [Grid([(0.0, 1.0)], 12), Grid([(0.0, 1.0), (0.0, 1.0)], (4, 5))],
                         ids=["1d", "2d"])
def test_dense_kl_jko_step(grid):
    rng = np.random.default_rng(12)
    mu = rng.random(grid.shape) + 0.1
    mu /= mu.sum()
    nu = np.ones(grid.shape) / grid.size
    gamma, dt = 0.02, 0.05
    new = dense_kl_jko_step(mu, nu, grid, gamma, dt, numItermax=100000, stopThr=1e-15)
    assert new.shape == grid.shape
    assert np.all(new > 0)
    # mass: P 1 = mu_k exactly at convergence, so sum P^T 1 = sum mu_k
    assert new.sum() == pytest.approx(mu.sum(), rel=1e-10)
    M = ot.dist(grid.points, grid.points)
    own = own_log_sinkhorn(mu.ravel(), nu.ravel(), M, gamma, lam=2 * dt).sum(axis=0)
    np.testing.assert_allclose(new.ravel(), own, rtol=1e-8)
    # a KL step towards the uniform reference flattens the density
    assert np.ptp(new) < np.ptp(mu)
    # default options (stopThr 1e-6) conserve mass to about that tolerance
    rough = dense_kl_jko_step(mu, nu, grid, gamma, dt)
    assert rough.sum() == pytest.approx(mu.sum(), rel=1e-5)
