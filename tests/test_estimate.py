"""Error estimates of the backward runs (wgflow.estimate) and the energy watch of JKO steps.

The estimate is the distance to a companion run with every error source changed (twice dt, a
second regularisation and blur level); it must never be far below the true error (at least
a third of it) and, where the run is well resolved, not far above (at most ten times).
"""

from __future__ import annotations

import numpy as np
import pytest

import wgflow as wg
from wgflow.flows import JKOFlow
from wgflow.flows.base import JKODiscretisation
from wgflow.functionals import Functional, ShannonEntropy

MIXTURE_1D = dict(weights=[0.3, 0.45, 0.25], means=[[-1.2], [0.3], [1.5]], covs=[0.15, 0.1, 0.2])


def honesty(result, exact):
    """Estimate / true error at each stored time after the start."""
    return np.array([
        estimate / rho.relative_l1_error(exact(t))
        for t, rho, estimate in zip(result.times[1:], result.densities[1:],
                                    result.statistics["error_estimate"][1:])
    ])


@pytest.mark.parametrize("method", ["jko", "spectral"])
def test_the_estimate_follows_the_true_error_on_a_well_prepared_mixture(method):
    """1-D mixture diffused to T = 0.2, 1024 cells, back to 0.5, 0.8, 0.9 T (measured ratios
    3.1, 2.2, 1.6 for the JKO scheme, 3.6, 2.3, 1.9 for the cosine series)."""
    grid = wg.Grid([(-8, 8)], 1024)

    def exact(t):
        return wg.exact.heat_gaussian_mixture(grid, **MIXTURE_1D, t=0.2 - t)

    result = wg.solve(wg.flows.BackwardHeat(), exact(0.0), 0.18, 1e-3, method=method,
                      t_eval=[0.1, 0.16, 0.18], rtol=np.inf)
    assert result.success, result.message
    ratio = honesty(result, exact)
    assert np.all((ratio > 1 / 3) & (ratio < 10)), ratio
    assert len(result.statistics["error_estimate"]) == len(result.times)
    assert result.statistics["error_estimate"][0] == 0.0
    assert result.settings["rtol"] == np.inf
    assert 0 < result.statistics["companion_steps"] <= 91


@pytest.mark.parametrize("shape", ["clusters", "heavy"])
def test_the_estimate_follows_the_true_error_on_kernel_estimates_of_samples(shape):
    """Kernel density estimates (Scott's rule) of 200 samples, 1024 cells: the closed form
    is the estimate with the narrower bandwidth (measured ratios 0.9 to 2.4)."""
    rng = np.random.default_rng(7)
    if shape == "clusters":
        points = np.array([[-1.0], [0.9], [0.1]])[rng.integers(0, 3, 200)]
        points = points + 0.35 * rng.normal(size=(200, 1))
    else:
        points = 0.5 * rng.standard_t(3, size=(200, 1))
    grid = wg.Grid([(points.min() - 1.5, points.max() + 1.5)], 1024)
    rho0 = wg.Density.from_samples(grid, points, bandwidth="scott")
    age = rho0.age
    result = wg.solve(wg.flows.BackwardHeat(), rho0, 0.8 * age, age / 40,
                      t_eval=[0.5 * age, 0.8 * age], rtol=np.inf)
    ratio = honesty(result, lambda t: wg.exact.kde(grid, points, "scott", -t))
    assert np.all((ratio > 1 / 3) & (ratio < 10)), ratio


def test_rtol_stops_a_run_keeps_its_trajectory_and_rtol_inf_runs_through():
    """N(0, 0.02) on 128 cells driven towards its singular time 0.01: the error grows without
    bound; with rtol = 1e-2 the run stops once the estimate passes it (true error then at
    most 2 rtol), and the run with rtol=inf gives the same densities up to there."""
    grid = wg.Grid([(-1, 1)], 128)
    rho0 = wg.exact.heat_gaussian(grid, [0.0], 0.02, 0.0)
    stopped = wg.solve(wg.flows.BackwardHeat(), rho0, 0.009, 5e-4)
    assert not stopped.success
    assert "passes rtol = 0.01" in stopped.message and "rtol=inf" in stopped.message
    estimates = stopped.statistics["error_estimate"]
    assert estimates[-1] > 1e-2 and min(estimates[1:]) < 1e-2
    assert stopped.settings["rtol"] == 1e-2
    stop = stopped.times[-1]
    assert 0 < stop < 0.009
    exact = wg.exact.heat_gaussian(grid, [0.0], 0.02, -stop)
    assert stopped.final.relative_l1_error(exact) < 2e-2
    through = wg.solve(wg.flows.BackwardHeat(), rho0, 0.0075, 5e-4, rtol=np.inf,
                       t_eval=stopped.times[1:])
    assert through.success and through.times[-1] == pytest.approx(0.0075) and stop < 0.0075
    index = int(np.argmin(np.abs(through.times - stop)))
    np.testing.assert_allclose(through.densities[index].values, stopped.final.values,
                               rtol=1e-10, atol=0)
    assert np.all(np.isfinite(through.statistics["error_estimate"]))


def test_a_failed_companion_makes_the_estimate_infinite_and_stops_the_run():
    """A companion that cannot follow (its larger smoothing makes the density rough first
    on data narrower than the filter) leaves the error unknown: the estimate is inf and a
    run with a finite rtol stops saying so."""
    grid = wg.Grid([(-1, 1)], 64)
    rho0 = wg.exact.heat_gaussian(grid, [0.0], 0.02, 0.0)
    result = wg.solve(wg.flows.BackwardHeat(), rho0, 0.009, 1e-3, smoothing=0.06,
                      roughness_limit=0.2, rtol=10.0)
    assert not result.success
    assert "companion run stopped" in result.message
    assert result.statistics["error_estimate"][-1] == np.inf


class NegativeHeat(JKOFlow):
    """A deliberately wrong flow: its steps descend the negative entropy -H (they spread
    the density, as the heat flow does) while it claims to descend H."""

    name = "wrong"
    equation = "d_t rho = Lap rho, claimed to lower H"

    @property
    def energy(self) -> Functional:
        return ShannonEntropy()

    def jko_discretisation(self, rho0, **options) -> JKODiscretisation:
        return JKODiscretisation(-ShannonEntropy(), rho0.grid)


def test_a_step_that_raises_the_energy_stops_the_run():
    grid = wg.Grid([(-1, 1)], 64)
    rho0 = wg.exact.heat_gaussian(grid, [0.0], 0.05, 0.0)
    result = wg.solve(NegativeHeat(), rho0, 0.01, 1e-3)
    assert not result.success
    assert "raised the shannon" in result.message and "must lower it" in result.message
    assert result.times.tolist() == [0.0]


def test_fokker_planck_at_equilibrium_is_not_stopped_by_round_off():
    """Started at its equilibrium exp(-V), a Fokker-Planck run's energy changes by round-off
    and the Sinkhorn tolerance only (measured 4e-13 per step): within the watch's allowance
    (10 sinkhorn_tol (|F| + mass), about 2e-5 here), so it runs on; the changes stay far below
    one sinkhorn_tol."""
    grid = wg.Grid([(-5, 5)], 128)
    flow = wg.flows.FokkerPlanck(lambda x: 0.5 * x**2)
    rho0 = wg.Density.from_function(grid, lambda x: np.exp(-0.5 * x**2)).normalized()
    result = wg.solve(flow, rho0, 0.5, 0.05)
    assert result.success, result.message
    changes = np.array(result.statistics["energy_change"])
    assert len(changes) == 10 and np.abs(changes).max() < 1e-6


def test_a_failed_companion_is_named_in_the_message_of_a_run_with_rtol_inf():
    grid = wg.Grid([(-1, 1)], 64)
    rho0 = wg.exact.heat_gaussian(grid, [0.0], 0.02, 0.0)
    result = wg.solve(wg.flows.BackwardHeat(), rho0, 0.009, 1e-3, smoothing=0.06,
                      roughness_limit=0.2, rtol=np.inf)
    estimates = np.array(result.statistics["error_estimate"])
    if result.success:
        assert "the error estimate is unknown from t =" in result.message
    assert np.isinf(estimates[-1]) and np.all(np.isfinite(estimates[:2]))


def test_a_kernel_estimate_is_exact_data_its_floor_is_round_off():
    """1000 samples with Scott's rule: the kernel damps the samples' own noise into a slowly
    falling shoulder of the spectrum that is not a floor (the data are the exact heat flow of
    the samples); the default regularisation must not cut there.  Driven back to half its age
    the run succeeds with an error far below rtol and an estimate that is not below it."""
    grid = wg.Grid([(-5, 5)], 256)
    points = np.random.default_rng(5).normal(size=(1000, 1)) * 0.7
    rho0 = wg.Density.from_samples(grid, points, bandwidth="scott")
    result = wg.solve(wg.flows.BackwardHeat(), rho0, 0.5 * rho0.age, rho0.age / 40)
    assert result.success, result.message
    error = result.final.relative_l1_error(wg.exact.kde(grid, points, "scott", -0.5 * rho0.age))
    assert error < 1e-2 and result.statistics["error_estimate"][-1] > error / 3
    assert result.settings["smoothing"] < 0.25 * np.sqrt(2 * rho0.age)


def test_an_anisotropic_grid_is_not_smoothed_at_its_coarse_cell():
    """N(0, diag(0.05, 5)) on [-1, 1] x [-10, 10], 64^2 cells (cells 0.03 x 0.31): the
    filter's floor is the fine cell, so the narrow axis is driven back (the coarse cell gave
    an error of 0.2 at t = 0.01 with an estimate of 3e-2)."""
    grid = wg.Grid([(-1, 1), (-10, 10)], 64)
    cov = np.diag([0.05, 5.0])
    rho0 = wg.exact.heat_gaussian(grid, [0.0, 0.0], cov, 0.0)
    result = wg.solve(wg.flows.BackwardHeat(), rho0, 0.01, 1e-3, rtol=np.inf)
    error = result.final.relative_l1_error(wg.exact.heat_gaussian(grid, [0.0, 0.0], cov, -0.01))
    assert result.success and error < 1e-2
    assert error / 3 < result.statistics["error_estimate"][-1] < 10 * error
