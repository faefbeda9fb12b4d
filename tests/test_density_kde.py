"""Kernel density estimates from samples (``Density.from_samples(..., bandwidth=...)``), their
age and their exact heat flow ``wgflow.exact.kde``: checked against independent sums."""

from __future__ import annotations

import numpy as np
import pytest
from _helpers import loglog_slope, raises_naming

import wgflow as wg
from wgflow import Density, Grid, SolveResult


def _brute_force(grid: Grid, samples, weights, b) -> np.ndarray:
    """A double loop over cell centres and samples of the product over axes of the 1-D
    Gaussians with every mirror image within 40 box lengths (independent of wgflow)."""
    samples = np.atleast_2d(samples)
    w = np.asarray(weights, dtype=float) / np.sum(weights)
    out = np.zeros(grid.size)
    for p, y in enumerate(grid.points):
        total = 0.0
        for j, x in enumerate(samples):
            term = w[j]
            for i, (lo, hi) in enumerate(grid.bounds):
                length = hi - lo
                s = 0.0
                for n in range(-40, 41):
                    for image in (x[i] + 2 * n * length, 2 * lo - x[i] + 2 * n * length):
                        s += np.exp(-0.5 * ((y[i] - image) / b[i]) ** 2)
                term *= s / (np.sqrt(2 * np.pi) * b[i])
            total += term
        out[p] = total
    return out.reshape(grid.shape)


@pytest.mark.parametrize("b", [[0.15, 0.4], [0.05, 3.0]])  # image sum; one axis by cosines
def test_kde_equals_brute_force_mirrored_sum(b):
    grid = Grid([(-1.0, 1.0), (0.0, 1.5)], (9, 7))
    rng = np.random.default_rng(3)
    samples = np.column_stack([rng.uniform(-1, 1, 6), rng.uniform(0, 1.5, 6)])
    samples[0] = [-1.0, 1.5]  # a point on the walls
    weights = rng.uniform(0.1, 2.0, 6)
    rho = Density.from_samples(grid, samples, weights=weights, bandwidth=b)
    expected = _brute_force(grid, samples, weights, b)
    np.testing.assert_allclose(rho.values, expected, rtol=1e-12, atol=0)
    assert rho.age == pytest.approx(min(b) ** 2 / 2, rel=1e-15)


def test_kde_far_from_walls_is_the_plain_gaussian_kde():
    grid = Grid([(-6.0, 6.0), (-5.0, 5.0)], (48, 40))
    rng = np.random.default_rng(5)
    samples = rng.normal(0.0, [0.3, 0.2], size=(40, 2))
    b = np.array([0.2, 0.15])
    rho = Density.from_samples(grid, samples, bandwidth=b)
    # direct sum of N(x_j, diag(b^2)) at the cell centres, no images
    z = (grid.points[:, None, :] - samples[None, :, :]) / b
    plain = np.exp(-0.5 * (z**2).sum(-1)).mean(1) / (2 * np.pi * b.prod())
    np.testing.assert_allclose(rho.values.ravel(), plain, rtol=1e-12, atol=1e-300)


def test_kde_in_1d_and_3d_against_brute_force():
    grid1 = Grid([(0.0, 1.0)], 11)
    s1 = np.array([0.0, 0.3, 0.95, 1.0])
    rho1 = Density.from_samples(grid1, s1, bandwidth=0.2)
    np.testing.assert_allclose(
        rho1.values, _brute_force(grid1, s1[:, None], np.ones(4), [0.2]), rtol=1e-12
    )
    grid3 = Grid([(0.0, 1.0), (-1.0, 1.0), (0.0, 2.0)], (4, 5, 3))
    rng = np.random.default_rng(1)
    s3 = rng.uniform([0, -1, 0], [1, 1, 2], (5, 3))
    b3 = [0.3, 0.2, 0.5]
    rho3 = Density.from_samples(grid3, s3, bandwidth=b3)
    np.testing.assert_allclose(
        rho3.values, _brute_force(grid3, s3, np.ones(5), b3), rtol=1e-12
    )


def test_mass_tends_to_one_spectrally_with_the_predicted_aliasing_error():
    # The mirrored estimate is smooth and even about both walls, so the midpoint rule is
    # spectrally accurate: mass - 1 = 2 sum_p (-1)^p c_{2pn}, with
    # c_m = mean_j cos(m pi (x_j - a)/L) exp(-(m pi b/L)^2/2) (the aliased cosine modes).
    rng = np.random.default_rng(2)
    samples = rng.uniform(0.0, 1.0, 30)
    b = 0.02
    cells = np.array([16, 32, 48, 64])
    errors = []
    for n in cells:
        rho = Density.from_samples(Grid([(0.0, 1.0)], int(n)), samples, bandwidth=b)
        p = np.arange(1, 200)
        m = 2 * p * n
        c = np.cos(np.pi * np.outer(m, samples)).mean(1) * np.exp(-0.5 * (m * np.pi * b) ** 2)
        predicted = 2 * np.sum((-1.0) ** p * c)
        assert rho.mass - 1 == pytest.approx(predicted, abs=1e-13)
        errors.append(abs(rho.mass - 1))
    errors = np.array(errors)
    assert errors[-1] < 1e-12 < errors[0]
    # faster than the h^2 of the midpoint rule on a rough function: the slope is far below -2
    assert loglog_slope(cells[:3], errors[:3]) < -6


def test_kde_of_the_exact_module_is_the_estimate_with_widened_bandwidths():
    grid = Grid([(-1.0, 1.0), (-1.0, 1.0)], (24, 20))
    rng = np.random.default_rng(4)
    samples = rng.uniform(-0.8, 0.8, (30, 2))
    weights = rng.uniform(0.5, 1.0, 30)
    b = np.array([0.2, 0.3])
    for t in (0.01, 0.0, -0.015):
        rho = wg.exact.kde(grid, samples, b, t, weights=weights)
        same = Density.from_samples(grid, samples, weights, bandwidth=np.sqrt(b**2 + 2 * t))
        np.testing.assert_array_equal(rho.values, same.values)
        assert rho.age == pytest.approx(0.02 + t, rel=1e-14)
    assert wg.exact.kde(grid, samples, "scott", 0.0).age == pytest.approx(
        Density.from_samples(grid, samples, bandwidth="scott").age, rel=1e-15
    )


def test_spectral_heat_run_from_a_kde_lands_on_the_exact_kde():
    # The spectral solver is exact in time and uses the continuous eigenvalues of the no-flux
    # Laplacian; the DCT of the cell-centre samples of the mirrored estimate is exact up to
    # the aliased cosine modes m >= n, of size exp(-(n pi b / L)^2 / 2) < 1e-30 here.  The
    # tolerance is therefore round-off.
    grid = Grid([(-1.0, 1.0), (-1.0, 1.0)], (64, 64))
    rng = np.random.default_rng(6)
    samples = rng.normal(0.3, 0.3, (200, 2)).clip(-1, 1)
    b = np.array([0.12, 0.1])
    rho0 = Density.from_samples(grid, samples, bandwidth=b)
    result = wg.solve(wg.flows.Heat(), rho0, 0.02, 1e-2, method="spectral")
    exact = wg.exact.kde(grid, samples, b, 0.02)
    assert result.success
    assert result.final.relative_l1_error(exact) < 1e-12


@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("rule", ["scott", "silverman"])
def test_bandwidth_rules_follow_their_formulas(rule, weighted):
    grid = Grid([(-4.0, 4.0), (-4.0, 4.0)], (8, 8))
    rng = np.random.default_rng(8)
    samples = rng.normal(0.0, [0.5, 1.0], (50, 2))
    w = rng.uniform(0.2, 1.0, 50) if weighted else np.ones(50)
    rho = Density.from_samples(grid, samples, weights=w if weighted else None, bandwidth=rule)
    d = 2
    k = w.sum() ** 2 / (w**2).sum()
    sigma = np.sqrt(np.diag(np.cov(samples.T, aweights=w)))
    factor = k ** (-1 / (d + 4))
    if rule == "silverman":
        factor *= (4 / (d + 2)) ** (1 / (d + 4))
    b = factor * sigma
    assert rho.age == pytest.approx(min(b) ** 2 / 2, rel=1e-12)
    same = Density.from_samples(grid, samples, weights=w, bandwidth=b)
    np.testing.assert_allclose(rho.values, same.values, rtol=1e-12, atol=1e-300)
    # scipy's rules (the same formulas, with the effective sample size for weights), in 1-D
    import scipy.stats

    reference = scipy.stats.gaussian_kde(samples[:, 0], bw_method=rule, weights=w)
    rho1 = Density.from_samples(Grid([(-4.0, 4.0)], 8), samples[:, 0], weights=w,
                                bandwidth=rule)
    assert np.sqrt(2 * rho1.age) == pytest.approx(np.sqrt(reference.covariance[0, 0]),
                                                  rel=1e-12)


def test_histogram_unchanged_and_age_bookkeeping(tmp_path):
    grid = Grid([(0.0, 1.0)], 4)
    hist = Density.from_samples(grid, np.array([0.1, 0.1, 0.6, 0.9]))
    np.testing.assert_allclose(hist.values, [2.0, 0.0, 1.0, 1.0], rtol=1e-15)
    assert hist.age is None
    assert Density.from_samples(grid, np.array([0.1, 0.6]), bandwidth=0.0).age is None
    assert Density.from_function(grid, lambda x: 1 + x).age is None
    kde = Density.from_samples(grid, np.array([0.1, 0.6]), bandwidth=0.2)
    assert kde.age == pytest.approx(0.02)
    assert kde.copy().age == kde.age and kde.normalized().age == kde.age
    assert (kde + kde).age is None and (2 * kde).age is None
    assert Density(grid, np.ones(4), age=0.5).age == 0.5
    with pytest.raises(AttributeError):
        kde.age = 1.0  # type: ignore[misc]
    for bad in (-1.0, np.nan, np.inf, "old"):
        with raises_naming("age", repr(bad)):
            Density(grid, np.ones(4), age=bad)
    # save/load keeps the ages (None stays None)
    result = SolveResult(
        times=np.array([0.0, 0.1]), densities=[kde, hist], tracked={}, tracked_times={},
        success=True, message="", flow="heat", method="spectral",
    )
    loaded = SolveResult.load(result.save(tmp_path / "r.npz"))
    assert loaded.densities[0].age == kde.age and loaded.densities[1].age is None
    # no ages at all: no array stored, and it loads with None
    plain = SolveResult(
        times=np.array([0.0]), densities=[hist], tracked={}, tracked_times={},
        success=True, message="", flow="heat", method="spectral",
    )
    path = plain.save(tmp_path / "p.npz")
    assert "ages" not in np.load(path).files
    assert SolveResult.load(path).densities[0].age is None


# -- bad input ---------------------------------------------------------------------------------
GRID2 = Grid([(-1.0, 2.0), (0.0, 1.0)], (6, 4))
GOOD = np.array([[0.0, 0.5], [1.0, 0.2], [0.5, 0.9]])


@pytest.mark.parametrize(
    "samples, bandwidth, fragments",
    [
        (np.array([[0.0, np.nan], [0.1, 0.2]]), 0.1, ["finite", "nan"]),
        (np.array([[np.inf, 0.5], [0.1, 0.2]]), 0.1, ["finite", "inf"]),
        (np.array([[0.0, 0.5]]), 0.1, ["at least two samples", "got 1", "bandwidth=0"]),
        (np.zeros((3, 3)), 0.1, ["(k, 2)", "(3, 3)"]),
        (np.array([0.1, 0.2]), 0.1, ["(k, 2)", "(2,)"]),
        (np.array([[0.0, 0.5], [2.5, 0.5], [3.0, 0.5]]), 0.1, ["2 samples lie outside",
                                                             "[2.5, 0.5]"]),
        (GOOD, -0.1, ["bandwidth", "-0.1", "> 0"]),
        (GOOD, np.nan, ["bandwidth", "nan", "> 0"]),
        (GOOD, [0.1, -0.2], ["bandwidth", "-0.2", "axis 1"]),
        (GOOD, [0.1, np.nan], ["bandwidth", "nan", "axis 1"]),
        (GOOD, [0.1, 0.2, 0.3], ["2 numbers", "3 values"]),
        (GOOD, "normal", ["'normal'", "'scott'", "'silverman'"]),
        (GOOD, True, ["bandwidth", "True", "'scott'"]),
        (np.array([[0.0, 0.5], [1.0, 0.5]]), "scott", ["'scott'", "axis 1", "number > 0"]),
    ],
)
def test_bad_samples_and_bandwidths(samples, bandwidth, fragments):
    with raises_naming(*fragments):
        Density.from_samples(GRID2, samples, bandwidth=bandwidth)


def test_bad_weights_and_times():
    with raises_naming("weights", "(3,)", "(2,)"):
        Density.from_samples(GRID2, GOOD, weights=np.ones(2), bandwidth=0.1)
    with raises_naming("weights", "non-negative", "-1.0"):
        Density.from_samples(GRID2, GOOD, weights=np.array([1.0, -1.0, 1.0]), bandwidth=0.1)
    with raises_naming("rule 'silverman'", "two samples of positive weight"):
        Density.from_samples(GRID2, GOOD, weights=np.array([1.0, 0, 0]), bandwidth="silverman")
    with raises_naming("singular time", "-0.125", "t > -0.125"):
        wg.exact.kde(GRID2, GOOD, [0.5, 1.0], -0.125)
    with raises_naming("singular time"):
        wg.exact.kde(GRID2, GOOD, 0.1, -1.0)
    with raises_naming("t must be a finite real number", "nan"):
        wg.exact.kde(GRID2, GOOD, 0.1, np.nan)
    with raises_naming("at least two samples"):
        wg.exact.kde(GRID2, GOOD[:1], 0.1, 0.0)
