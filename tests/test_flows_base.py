"""The flow/solver contract (wgflow.flows.base): a flow that no module of wgflow knows runs
with the JKO and finite-volume solvers through the interfaces alone.

The flow is the porous medium in a confining potential,

    d_t rho = Lap rho^m + div(rho grad V),

the Wasserstein gradient flow of ``∫ rho^m / (m - 1) + ∫ V rho``.  Its stationary states are
``rho^(m-1) = (m-1)/m (C - V)_+``, which both solvers must approach.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from _helpers import loglog_slope

import wgflow as wg
from wgflow.flows import FiniteVolumeFlow, Fluxes, JKOFlow
from wgflow.flows.base import reject_options
from wgflow.flows.fluxes import diffusion_fluxes, laplacian_rate, upwind_fluxes
from wgflow.functionals import Functional, InternalEnergy, PotentialEnergy
from wgflow.grid import Grid


class ConfinedFluxes(Fluxes):
    """``J = -grad rho^m - rho grad V``: centred diffusion of ``rho^m`` plus the upwind
    flux of the drift velocity ``-grad V`` at the faces."""

    def __init__(self, grid: Grid, m: float, potential: np.ndarray):
        self.grid, self.m = grid, m
        self.velocities = [-np.diff(potential, axis=k) / h for k, h in enumerate(grid.spacing)]

    def __call__(self, rho: np.ndarray, t: float) -> tuple[list[np.ndarray], float]:
        diffusion = diffusion_fluxes(rho**self.m, self.grid)
        drift, drift_rate = upwind_fluxes(rho, self.velocities, self.grid)
        rate = laplacian_rate(self.grid) * self.m * float(rho.max()) ** (self.m - 1)
        return [d + a for d, a in zip(diffusion, drift)], rate + float(drift_rate.max())


class ConfinedPorousMedium(JKOFlow, FiniteVolumeFlow):
    name = "confined-porous-medium"
    equation = "d_t rho = Lap rho^m + div(rho grad V)"

    def __init__(self, m: float, potential):
        self.m = m
        self.potential = PotentialEnergy(potential)

    @property
    def energy(self) -> Functional:
        return InternalEnergy(self.m) + self.potential

    def finite_volume_fluxes(self, grid: Grid, t0: float, **options: Any) -> Fluxes:
        reject_options(self, "finite-volume", options)
        return ConfinedFluxes(grid, self.m, self.potential.potential(grid))


M = 2.0
GRID = wg.Grid([(-1.0, 1.0)], 200)
FLOW = ConfinedPorousMedium(M, lambda x: 4.0 * (x - 0.2) ** 2)
RHO0 = wg.Density.from_function(GRID, lambda x: np.exp(-((x + 0.3) ** 2) / 0.02)).normalized()


def test_the_registry_finds_both_solvers_for_the_new_flow():
    assert FLOW.methods == ("jko", "finite-volume")


def test_jko_and_finite_volumes_agree_at_the_order_of_the_jko_step():
    """The JKO step is first order in dt: its distance to the finite-volume solution (whose
    time error is negligible: sub-steps of order h^2) halves with dt until the spatial and
    entropic errors (of order h^2) take over; measured slope about 1."""
    t_end = 0.04
    reference = wg.solve(FLOW, RHO0, t_end, 1e-3, method="finite-volume").final
    gaps = []
    dts = [4e-3, 2e-3, 1e-3]
    for dt in dts:
        result = wg.solve(FLOW, RHO0, t_end, dt, method="jko")
        assert result.success, result.message
        gaps.append(result.final.relative_l1_error(reference))
    assert 0.7 < loglog_slope(dts, gaps) < 1.3
    assert gaps[-1] < 2e-2


def test_both_solvers_approach_the_stationary_state():
    """``rho^(m-1) = (m-1)/m (C - V)_+`` with C fixed by the mass: both solvers end within
    their spatial error (second order in h: about h^2 / width^2 ~ 1e-3) plus what is left
    of the transient at t = 1."""
    x = GRID.axes[0]
    potential = 4.0 * (x - 0.2) ** 2

    def stationary(c: float) -> np.ndarray:
        return np.maximum((M - 1) / M * (c - potential), 0.0) ** (1 / (M - 1))

    lo, hi = 0.0, 10.0
    for _ in range(100):  # bisection on the mass
        c = (lo + hi) / 2
        lo, hi = (c, hi) if stationary(c).sum() * GRID.cell_volume < 1 else (lo, c)
    exact = wg.Density(GRID, stationary(c))
    for method in ["finite-volume", "jko"]:
        result = wg.solve(FLOW, RHO0, 1.0, 0.05, method=method, track=["energy"])
        assert result.success, result.message
        assert result.final.relative_l1_error(exact) < 1e-2, method
        energy = result.tracked["energy"]
        assert np.diff(energy).max() <= 1e-12 * np.abs(energy).max(), method


def test_an_unsupported_pair_lists_the_valid_methods():
    with pytest.raises(wg.WgflowError, match="method 'spectral' does not integrate the "
                       "confined-porous-medium flow; accepted: 'jko', 'finite-volume'"):
        wg.solve(FLOW, RHO0, 0.01, 1e-3, method="spectral")
    with pytest.raises(wg.WgflowError, match="takes no option 'order' with method"):
        wg.solve(FLOW, RHO0, 0.01, 1e-3, method="finite-volume", order=2)
