"""Tests of wgflow.wasserstein and its public entry wgflow.transport.wasserstein2.

Tolerances, from the method's error terms.

* 1-D (:func:`piecewise_constant_w2`): exact up to round-off for the piecewise-constant
  densities.  The brute force splits every cell into ``M`` point masses; each split measure
  is within ``W2 <= (h / M) / sqrt(12)`` of its piecewise-constant density (every sub-cell's
  mass moved to its centre), so the two values differ by at most ``2 h / (M sqrt(12))``
  (the triangle inequality), and measured at second order in ``h / M``.  A sampled Gaussian
  read as piecewise constant has the variance ``s + h^2 / 12``: its W2 to another one is
  Bures' with those variances up to terms of higher order in ``h^2 / s`` (measured below
  2e-6 relative at 256 cells), and Bures' itself is off by ``h^2 / (24 s_1 s_2)`` relative
  for a change of covariance, ``O(h^2)`` for a sub-cell shift.
* 2-D/3-D (:func:`sinkhorn_w2`): the value is ``sqrt(R)`` with the extrapolated divergence
  ``R = W2^2 + O(eps^3)`` and the returned ``error`` is ``|sqrt(R_k) - sqrt(R_{k-1})|``,
  which overestimates the error of ``sqrt(R_k)`` by a factor ``2^3 - 1 = 7`` or more in the
  asymptotic regime.  The other terms are far smaller: the dual values err by about
  ``E|X - Y|^2 (marginal tolerance)^2 <= 1e-12`` (squared length), the kernel's Gaussian
  sums by ``exp(-pi^2 eps / h^2) <= 3e-9`` at ``eps >= 2 h^2``, and the Gaussians of these
  tests lose a mass ``<= 1e-7`` outside their box.  So ``|W2 - Bures| <= error + 1e-6 W2``;
  ``error <= rtol W2 + atol`` holds by construction (the issue's target: 1e-3 relative).
  For translates (also sub-cell ones of a sampled Gaussian) the divergence is the squared
  shift at every blur: only the dual error and the tails remain (1e-6).
* POT: the dense log-domain Sinkhorn (``ot.sinkhorn``) gives ``OT_eps`` from its plan
  (``<P, C> + eps KL(P | a x b)``) to its stopping threshold 1e-13, and the debiased
  divergence must agree to 1e-9; the closed form of Janati et al. (2020) for Gaussians too,
  up to the tails (1e-6).
"""

from __future__ import annotations

import numpy as np
import ot
import pytest
import scipy.linalg
from _helpers import loglog_slope, quantile_w2, raises_naming

import wgflow as wg
from wgflow import exact
from wgflow.errors import ConvergenceWarning, WgflowError
from wgflow.trackers import make_trackers
from wgflow.transport import (
    DenseGibbsKernel,
    SeparableGibbsKernel,
    bures_wasserstein,
    point_mass_wasserstein2,
    wasserstein2,
    wasserstein2_result,
)
from wgflow.wasserstein import grid_wasserstein2, piecewise_constant_w2, sinkhorn_divergence

#: Two anisotropic, rotated covariances and means of the 2-D cases (standard deviations
#: 0.2-0.37, at least 4.6 of them from the walls of [-2, 2]^2).
M1, S1 = np.array([-0.2, 0.1]), np.array([[0.09, 0.02], [0.02, 0.05]])
M2, S2 = np.array([0.3, 0.05]), np.array([[0.04, -0.03], [-0.03, 0.12]])


def gaussian_masses(grid: wg.Grid, mean, cov) -> np.ndarray:
    return exact.heat_gaussian(grid, mean, cov, 0.0).masses


# -- 1-D: exact for piecewise-constant densities -------------------------------------------------


def split_w2(grid: wg.Grid, a: np.ndarray, b: np.ndarray, m: int) -> float:
    """Brute force: W2 between the measures that split every cell into ``m`` equal point
    masses at the sub-cell centres, by the quantile formula of discrete measures."""
    (lo, _), = grid.bounds
    h = grid.spacing[0] / m
    x = lo + (np.arange(len(a) * m) + 0.5) * h
    return quantile_w2(x, np.repeat(a, m), np.repeat(b, m))


def test_1d_equals_brute_force_quadrature_at_second_order():
    grid = wg.Grid([(-1.0, 3.0)], 40)
    rng = np.random.default_rng(1)
    a = rng.random(40) * (rng.random(40) > 0.3)  # vacuum cells inside the supports
    b = rng.random(40) * (rng.random(40) > 0.3)
    value = piecewise_constant_w2(grid, a, b)
    h = grid.spacing[0]
    gaps = []
    for m in (30, 300):
        gap = abs(split_w2(grid, a, b, m) - value)
        assert gap <= 2 * h / (m * np.sqrt(12))
        gaps.append(gap)
    # measured: 1.1e-6 and 1.1e-8, order 2
    assert loglog_slope([30, 300], gaps) < -1.9
    rho, sigma = wg.Density(grid, a), wg.Density(grid, 7.0 * b)  # masses need not be 1
    assert wasserstein2(rho, sigma) == pytest.approx(value, rel=1e-14)
    assert wasserstein2(sigma, rho) == pytest.approx(value, rel=1e-12)
    assert wasserstein2(rho, rho) == 0.0


def test_1d_translations_by_whole_cells_and_uniform_boxes_are_exact():
    grid = wg.Grid([(0.0, 4.0)], 200)
    h = grid.spacing[0]
    values = np.zeros(200)
    values[20:60] = np.random.default_rng(2).random(40) * (np.arange(40) % 7 != 3)
    for k in (1, 17, 100):
        shifted = np.roll(values, k)  # the support stays inside
        assert wasserstein2(wg.Density(grid, values), wg.Density(grid, shifted)) == (
            pytest.approx(k * h, rel=1e-12)
        )
    # uniform on [10h, 30h] and on [13h, 38h]: quantiles affine, W2^2 = (m1 - m2)^2 + (L1 -
    # L2)^2 / 12, with a difference of means of 5.5 cells (a half-cell part)
    box1, box2 = np.zeros(200), np.zeros(200)
    box1[10:30], box2[13:38] = 1.0, 1.0
    expected = np.hypot(5.5 * h, 5 * h / np.sqrt(12))
    assert wasserstein2(wg.Density(grid, box1), wg.Density(grid, box2)) == (
        pytest.approx(expected, rel=1e-12)
    )


def test_1d_gaussians_against_bures():
    grid = wg.Grid([(-3.0, 3.0)], 256)
    h = grid.spacing[0]
    d = h**2 / 12  # the variance a piecewise-constant density adds
    for m1, s1, m2, s2 in ((0.0, 0.09, 0.0, 0.25), (-0.2, 0.09, 0.5, 0.25)):
        value = wasserstein2(exact.heat_gaussian(grid, m1, s1, 0.0),
                             exact.heat_gaussian(grid, m2, s2, 0.0))
        bures = np.hypot(m1 - m2, np.sqrt(s1) - np.sqrt(s2))
        with_cells = np.hypot(m1 - m2, np.sqrt(s1 + d) - np.sqrt(s2 + d))
        # measured 1.9e-8 and 1.7e-6 from the piecewise-constant Gaussians' value
        assert value == pytest.approx(with_cells, rel=1e-5)
        # the covariance part changes by -h^2 / (24 s1 s2) relative: 1.5e-4 here
        assert abs(value - bures) <= 1.1 * h**2 / (24 * np.sqrt(s1 * s2)) + 1e-5 * bures
        assert abs(value - bures) <= 1e-3 * bures
    # a sub-cell shift of a sampled Gaussian is no translate of the piecewise-constant one:
    # the error is O(h^2) (measured 1.8e-3, 4.5e-4, 1.1e-4 relative at 64, 128, 256 cells)
    errors, spacings = [], []
    for n in (64, 128, 256):
        grid = wg.Grid([(-3.0, 3.0)], n)
        h = grid.spacing[0]
        shift = 0.3 * h
        value = wasserstein2(exact.heat_gaussian(grid, 0.0, 0.1, 0.0),
                             exact.heat_gaussian(grid, shift, 0.1, 0.0))
        errors.append(abs(value / shift - 1))
        spacings.append(h)
    assert errors[-1] < 1e-3
    assert 1.9 < loglog_slope(spacings, errors) < 2.1


# -- 2-D and 3-D: the debiased Sinkhorn divergence, extrapolated ----------------------------------


@pytest.fixture(scope="module")
def grid128() -> wg.Grid:
    return wg.Grid([(-2.0, 2.0), (-2.0, 2.0)], (128, 128))


@pytest.mark.parametrize(
    "m1, c1, m2, c2",
    [
        (M1, S1, M1 + [0.4, -0.3], S1),  # a shift of many cells (13 and 10)
        (M1, S1, M1, S2),  # different, rotated covariances
        (M1, S1, M2, S2),  # both
    ],
    ids=["shift", "covariance", "both"],
)
def test_2d_gaussians_against_bures_on_128(grid128, m1, c1, m2, c2):
    result = wasserstein2_result(wg.Density(grid128, gaussian_masses(grid128, m1, c1)),
                                 wg.Density(grid128, gaussian_masses(grid128, m2, c2)))
    bures = bures_wasserstein(m1, c1, m2, c2)
    print(f"W2 {result.value:.8f}, Bures {bures:.8f}, rel {result.value / bures - 1:.1e}, "
          f"estimate {result.error:.1e}, blurs/h^2 "
          f"{[round(e / grid128.spacing[0] ** 2) for e in result.blurs]}")
    assert result.resolved
    assert result.error <= 1e-3 * result.value + 1e-6
    assert abs(result.value - bures) <= result.error + 1e-6 * bures
    assert abs(result.value - bures) <= 1e-3 * bures  # measured 3e-7 to 3e-5


def test_2d_sub_cell_shifts_of_a_gaussian(grid128):
    h = grid128.spacing[0]
    for shift in (np.array([0.3 * h, 0.0]), np.array([0.05 * h, -0.2 * h])):
        value = wasserstein2(wg.Density(grid128, gaussian_masses(grid128, M1, S1)),
                             wg.Density(grid128, gaussian_masses(grid128, M1 + shift, S1)))
        # measured 1e-8: the point masses give sqrt(|shift| h) instead (5.5 and 2.5 times)
        assert value == pytest.approx(np.linalg.norm(shift), rel=1e-6)
    # a sub-cell shift with a change of covariance: Bures, as above
    result = wasserstein2_result(wg.Density(grid128, gaussian_masses(grid128, M1, S1)),
                                 wg.Density(grid128, gaussian_masses(grid128, M1 + 0.3 * h, S2)))
    bures = bures_wasserstein(M1, S1, M1 + 0.3 * h, S2)
    assert abs(result.value - bures) <= min(result.error + 1e-6 * bures, 1e-3 * bures)


def test_2d_divergence_converges_at_second_order_in_the_blur():
    """The premise of the extrapolation: S_eps - W2^2 = c eps^2 + O(eps^3)."""
    grid = wg.Grid([(-2.0, 2.0), (-2.0, 2.0)], (64, 64))
    result = wasserstein2_result(wg.Density(grid, gaussian_masses(grid, M1, S1)),
                                 wg.Density(grid, gaussian_masses(grid, M1, S2)), rtol=3e-5)
    squared = bures_wasserstein(M1, S1, M1, S2) ** 2
    gaps = np.abs(np.array(result.divergences) - squared)
    slopes = np.diff(np.log(gaps)) / np.diff(np.log(result.blurs))
    # measured 1.78, 1.94, 1.98, 1.99 from eps = 0.125 (the O(eps^3) term fading)
    print(f"blurs {result.blurs}, slopes {slopes}")
    assert len(slopes) >= 4 and np.all(np.diff(slopes) > -0.01)
    assert abs(slopes[-1] - 2.0) < 0.03


def janati_ot(m1, a, m2, b, eps):
    """OT_eps between N(m1, a) and N(m2, b) for the cost |x - y|^2 and eps KL(P | a x b):
    Janati, Muzellec, Peyré & Cuturi (2020), with sigma^2 = eps / 2."""
    s2, d = eps / 2, len(m1)
    root = scipy.linalg.sqrtm(a).real
    dd = scipy.linalg.sqrtm(4 * root @ b @ root + s2**2 * np.eye(d)).real
    return (np.sum((m1 - m2) ** 2) + np.trace(a) + np.trace(b) - np.trace(dd)
            + d * s2 * (1 - np.log(2 * s2)) + s2 * np.log(np.linalg.det(dd + s2 * np.eye(d))))


def test_divergence_at_fixed_blur_against_the_gaussian_closed_form():
    grid = wg.Grid([(-2.0, 2.0), (-2.0, 2.0)], (64, 64))
    a = gaussian_masses(grid, M1, S1)
    b = gaussian_masses(grid, M2, S2)
    for eps in (0.1, 0.01, 4 * grid.spacing[0] ** 2):
        value = sinkhorn_divergence(grid, a / a.sum(), b / b.sum(), SeparableGibbsKernel, eps)
        closed = (janati_ot(M1, S1, M2, S2, eps) - 0.5 * janati_ot(M1, S1, M1, S1, eps)
                  - 0.5 * janati_ot(M2, S2, M2, S2, eps))
        assert value == pytest.approx(closed, rel=1e-6)  # measured 5.7e-8 (the tails)


def test_divergence_against_pot_dense_sinkhorn():
    grid = wg.Grid([(-1.5, 1.5), (-1.5, 1.5)], (16, 16))
    a = gaussian_masses(grid, M1, S1)
    b = gaussian_masses(grid, M2, S2)
    a, b = a / a.sum(), b / b.sum()
    eps = 0.05
    cost = ot.dist(grid.points, grid.points)

    def pot_ot(x, y):
        plan = ot.sinkhorn(x.ravel(), y.ravel(), cost, eps, method="sinkhorn_log",
                           stopThr=1e-13, numItermax=100_000)
        reference = np.outer(x.ravel(), y.ravel())
        return np.sum(plan * cost) + eps * np.sum(plan * np.log(plan / reference))

    expected = pot_ot(a, b) - 0.5 * pot_ot(a, a) - 0.5 * pot_ot(b, b)
    for kernel in (SeparableGibbsKernel, DenseGibbsKernel):
        assert sinkhorn_divergence(grid, a, b, kernel, eps) == pytest.approx(expected, rel=1e-9)


def test_whole_cell_translation_of_rough_data_against_pot_emd():
    """A block of random values with vacuum and its translate by (5, 3) cells: W2 is the
    shift (the divergence is its square at every blur), as POT's exact LP says."""
    grid = wg.Grid([(0.0, 2.0), (0.0, 1.5)], (20, 15))
    values = np.zeros(grid.shape)
    values[3:8, 2:7] = np.random.default_rng(4).random((5, 5)) * (np.eye(5) < 1)
    shifted = np.roll(values, (5, 3), axis=(0, 1))
    rho, sigma = wg.Density(grid, values), wg.Density(grid, 3.0 * shifted)
    h = grid.spacing
    shift = np.hypot(5 * h[0], 3 * h[1])
    pot = np.sqrt(ot.emd2(rho.masses.ravel() / rho.mass, sigma.masses.ravel() / sigma.mass,
                          ot.dist(grid.points, grid.points)))
    assert pot == pytest.approx(shift, rel=1e-12)
    assert wasserstein2(rho, sigma) == pytest.approx(shift, rel=1e-9)
    assert wasserstein2(sigma, rho) == pytest.approx(shift, rel=1e-9)


def quantile_function_w2(f, g, lo: float, hi: float) -> float:
    """W2 between the 1-D densities ``f`` and ``g`` on ``[lo, hi]`` by their quantile
    functions on 400 000 cells (piecewise constant: error ~ (h/...)^2, below 1e-10)."""
    grid = wg.Grid([(lo, hi)], 400_000)
    x = grid.axes[0]
    return piecewise_constant_w2(grid, f(x), g(x))


def test_2d_product_densities_against_1d_quantile_functions():
    """Non-Gaussian data: for products ``rho = f1(x) f2(y)``, ``sigma = g1(x) g2(y)`` the
    optimal plan is the product of the 1-D ones, ``W2^2 = W2(f1, g1)^2 + W2(f2, g2)^2``."""
    def bump(c, w):
        return lambda x: np.exp(-((x - c) ** 2) / (2 * w**2))

    def mixture(x):
        return bump(-0.5, 0.25)(x) + 0.6 * bump(0.6, 0.3)(x)

    f1, f2 = mixture, bump(0.1, 0.35)
    g1, g2 = bump(0.2, 0.4), (lambda x: bump(-0.1, 0.3)(x) * (1 + 0.5 * np.sin(2 * x)))
    grid = wg.Grid([(-2.5, 2.5), (-2.5, 2.5)], (96, 96))
    x, y = grid.coordinates
    result = wasserstein2_result(wg.Density(grid, f1(x) * f2(y)), wg.Density(grid, g1(x) * g2(y)))
    expected = np.hypot(quantile_function_w2(f1, g1, -2.5, 2.5),
                        quantile_function_w2(f2, g2, -2.5, 2.5))
    print(f"W2 {result.value:.8f}, product {expected:.8f}, estimate {result.error:.1e}")
    assert abs(result.value - expected) <= result.error + 1e-6 * expected
    assert abs(result.value - expected) <= 1e-3 * expected


def test_3d_gaussians_and_translation():
    grid = wg.Grid([(-1.5, 1.5)] * 3, (32, 32, 32))
    h = grid.spacing[0]
    c1 = np.array([[0.09, 0.02, 0.0], [0.02, 0.05, 0.01], [0.0, 0.01, 0.07]])
    c2 = np.array([[0.04, -0.02, 0.0], [-0.02, 0.08, 0.0], [0.0, 0.0, 0.05]])
    m1, m2 = np.array([0.05, 0.0, -0.05]), np.array([-0.1, 0.1, 0.05])
    result = wasserstein2_result(wg.Density(grid, gaussian_masses(grid, m1, c1)),
                                 wg.Density(grid, gaussian_masses(grid, m2, c2)))
    bures = bures_wasserstein(m1, c1, m2, c2)
    assert abs(result.value - bures) <= result.error + 1e-6 * bures
    assert abs(result.value - bures) <= 1e-3 * bures  # measured 2.1e-5
    # a translate: the divergence is the squared distance of the means at every blur; the
    # cell masses' means are the Gaussians' up to the tails outside the box (5 standard
    # deviations: the distance of the means is 6e-6 below the shift)
    rho = wg.Density(grid, gaussian_masses(grid, m1, c1))
    shifted = wg.Density(grid, gaussian_masses(grid, m1 + [0.3 * h, 0.0, -2 * h], c1))
    means = [[np.sum(d.masses * x) / d.mass for x in grid.coordinates] for d in (rho, shifted)]
    value = wasserstein2(rho, shifted)
    assert value == pytest.approx(np.linalg.norm(np.subtract(*means)), rel=1e-6)
    assert value == pytest.approx(np.hypot(0.3 * h, 2 * h), rel=2e-5)


def test_symmetry_and_equal_densities(grid128):
    rho = wg.Density(grid128, gaussian_masses(grid128, M1, S1))
    sigma = wg.Density(grid128, gaussian_masses(grid128, M2, S2))
    forward = wasserstein2_result(rho, sigma)
    backward = wasserstein2_result(sigma, rho)
    assert abs(forward.value - backward.value) <= forward.error + backward.error
    assert wasserstein2(rho, rho) == 0.0
    assert wasserstein2(rho, 2.5 * rho) == 0.0  # normalised: the same density
    # one cell changed by 1e-6 of the peak: W2 of order 1e-6 h, never negative or NaN
    values = rho.values.copy()
    values[64, 64] *= 1 + 1e-6
    tiny = wasserstein2(rho, wg.Density(grid128, values))
    assert 0.0 <= tiny < 1e-5 * grid128.spacing[0]


def test_rough_data_not_resolved_raises_or_warns():
    """Gaussians of 1.5 and 2.5 cells: the extrapolation still moves by 0.3% at the
    smallest blur."""
    grid = wg.Grid([(-1.0, 1.0), (-1.0, 1.0)], (64, 64))
    h = grid.spacing[0]
    rho = wg.Density(grid, gaussian_masses(grid, [0.0, 0.0], (1.5 * h) ** 2))
    sigma = wg.Density(grid, gaussian_masses(grid, [h / 3, 0.0], (2.5 * h) ** 2))
    with raises_naming("not resolved to rtol = 0.001", "raise rtol"):
        wasserstein2(rho, sigma)
    with pytest.warns(ConvergenceWarning, match="not resolved"):
        result = wasserstein2_result(rho, sigma, strict=False)
    assert not result.resolved and result.error > 1e-3 * result.value
    looser = wasserstein2_result(rho, sigma, rtol=1e-2)
    assert looser.resolved
    assert abs(looser.value - result.value) <= looser.error + result.error
    # the tracker records it with the warning, never stopping a run
    (tracker,) = make_trackers(["w2"], rho)
    with pytest.warns(ConvergenceWarning, match="not resolved"):
        tracker.record(0.5, sigma)
    assert tracker.values == [result.value]


def test_log_domain_for_far_apart_narrow_densities():
    """Compact bumps (products of Gaussians of 1.5 and 2.1 cells, cut at 1e-6 of the peak)
    far apart: the blurs go down to the smallest, where the exp-domain products underflow
    and the iteration continues in the log domain.  Bures' value holds up to the cut (a
    mass of 1e-6 relative moved by at most the box: 1e-5)."""
    grid = wg.Grid([(0.0, 1.0), (0.0, 1.0)], (48, 48))
    x, y = grid.coordinates
    a = np.exp(-((x - 0.2) ** 2 / 0.002 + (y - 0.2) ** 2 / 0.004))
    b = np.exp(-((x - 0.8) ** 2 / 0.004 + (y - 0.75) ** 2 / 0.002))
    a[a < 1e-6], b[b < 1e-6] = 0.0, 0.0
    result = grid_wasserstein2(grid, a, b, SeparableGibbsKernel)
    assert result.log_sweeps > 0 and result.resolved
    bures = bures_wasserstein(np.array([0.2, 0.2]), np.diag([0.001, 0.002]),
                              np.array([0.8, 0.75]), np.diag([0.002, 0.001]))
    assert abs(result.value - bures) <= result.error + 1e-5 * bures  # measured 1.1e-6
    # the point masses are farther from it than the estimate (the old tracker's bias)
    point_masses = point_mass_wasserstein2(wg.Density(grid, a), wg.Density(grid, b))
    assert abs(point_masses - bures) > 10 * result.error


# -- bad input ----------------------------------------------------------------------------------


def test_bad_masses_are_named():
    grid = wg.Grid([(0.0, 1.0), (0.0, 1.0)], (6, 6))
    good = np.ones(grid.shape)
    for bad, words in (
        (np.where(np.eye(6) > 0, -1.0, 1.0), ("second density's masses", "non-negative", "-1.0")),
        (np.where(np.eye(6) > 0, np.nan, 1.0), ("second density's masses", "finite", "nan")),
        (np.zeros(grid.shape), ("second one has zero mass",)),
        (np.ones((6, 5)), ("second density's masses have shape (6, 5)", "(6, 6)")),
    ):
        with raises_naming(*words):
            grid_wasserstein2(grid, good, bad, SeparableGibbsKernel)
    with raises_naming("first density's masses", "-1.0"):
        grid_wasserstein2(grid, -good, good, SeparableGibbsKernel)


@pytest.mark.parametrize(
    "option, value, words",
    [
        ("rtol", 0.0, ("rtol", "> 0")),
        ("rtol", 0.5, ("rtol", "(0, 0.1]")),
        ("rtol", float("nan"), ("rtol",)),
        ("atol", -1.0, ("atol", "> 0")),
        ("min_blur", 0.5, ("min_blur", ">= 1")),
        ("max_iterations", 0, ("max_iterations", ">= 1")),
        ("max_iterations", 2.5, ("max_iterations", "integer")),
        ("strict", "yes", ("strict", "True or False")),
    ],
)
def test_bad_options_are_named(option, value, words):
    grid = wg.Grid([(0.0, 1.0), (0.0, 1.0)], (6, 6))
    rho = wg.Density(grid, np.ones(grid.shape))
    with raises_naming(*words):
        wasserstein2(rho, rho, **{option: value})


def test_a_solve_that_does_not_converge_raises():
    grid = wg.Grid([(-2.0, 2.0), (-2.0, 2.0)], (32, 32))
    rho = wg.Density(grid, gaussian_masses(grid, M1, S1))
    sigma = wg.Density(grid, gaussian_masses(grid, M2, S2))
    with raises_naming("did not reach the marginal error", "in 3 iterations", "max_iterations"):
        wasserstein2(rho, sigma, max_iterations=3)
    with pytest.raises(TypeError):
        wasserstein2(rho, sigma, tolerance=1e-3)  # an unknown option
    with pytest.raises(WgflowError, match="rho must be a wgflow.Density"):
        wasserstein2(np.ones((32, 32)), sigma)
