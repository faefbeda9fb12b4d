"""Tests of wgflow.flows.lagrangian: the interface of the flows that the Lagrangian solver
runs, ``v = c(rho) grad log rho`` with ``c`` supplied by the flow.

tests/test_solvers_lagrangian.py already runs a constant coefficient (the heat flow,
``c = -1``, from a Gaussian against ``N(m, S + 2tI)``) and checks ``BackwardHeat``'s
``c = +1``.  Here: the interface is abstract, a flow implementing it is registered for
``method="lagrangian"`` only, and a coefficient that *depends on the density* is evaluated at
the density the flow has reached, as the interface promises (``c = -P'(rho)`` for
``d_t rho = Lap P(rho)``): fast diffusion ``P(rho) = rho^m``, ``m = 1/2``, whose positive
Barenblatt profile moves by the exact linear map ``phi_t(x) = x ((t0 + t) / t0)^alpha``.
"""

from __future__ import annotations

import numpy as np
import pytest
from _helpers import loglog_slope

import wgflow as wg
from wgflow.flows import Flow, LagrangianFlow

M = 0.5
ALPHA = 1.0 / (M + 1.0)  # d = 1
K = ALPHA * (1.0 - M) / (2.0 * M)


def fast_diffusion_profile(x: np.ndarray, s: float) -> np.ndarray:
    """The Barenblatt solution of ``d_t rho = Lap rho^m``, ``0 < m < 1``, at time ``s``:
    ``s^-alpha (1 + k x^2 s^(-2 alpha))^(1 / (m - 1))``, ``alpha = 1 / (m + 1)``,
    ``k = alpha (1 - m) / (2 m)``; self-similar, so mass moves along ``x s^alpha``."""
    return s ** (-ALPHA) * (1.0 + K * x**2 * s ** (-2.0 * ALPHA)) ** (1.0 / (M - 1.0))


class FastDiffusion(LagrangianFlow):
    """``d_t rho = Lap rho^m = -div(rho (-m rho^(m-1)) grad log rho)``, a flow no module of
    wgflow knows; it records the density values its coefficient is asked at."""

    name = "fast-diffusion"
    equation = "d_t rho = Lap rho^(1/2)"
    energy = None

    def __init__(self) -> None:
        self.asked: list[np.ndarray] = []

    def score_coefficient(self, values: np.ndarray) -> np.ndarray:
        self.asked.append(values.copy())
        return -M * values ** (M - 1.0)


def test_the_interface_is_abstract_and_registered_for_the_lagrangian_solver():
    class NoCoefficient(LagrangianFlow):
        name = "incomplete"
        energy = None

    with pytest.raises(TypeError, match="score_coefficient"):
        NoCoefficient()
    assert issubclass(LagrangianFlow, Flow)
    assert FastDiffusion().methods == ("lagrangian",)


def test_a_density_dependent_coefficient_is_asked_at_the_current_density():
    """From the profile at ``t0 = 1`` to ``t0 + 0.5``: the first request is the initial
    density to round-off (the map is still the identity), every request has the grid's
    shape, and the flow map converges to the exact linear map at the order of the solver's
    differences: 4 inside (fourth-order central differences; measured 3.97) and 2 over the
    whole box (second-order closures in the two cells next to each wall; measured 2.3 to
    2.6).  The time error of RK4 at ``dt = 0.05`` is below 1e-9 (halving ``dt`` changes
    nothing visible).  Had the coefficient been taken at the initial density instead, the
    map would miss by about 0.045 inside on every grid (measured), not converge."""
    t_end = 0.5
    cells = (25, 50, 100)
    inside, everywhere = [], []
    for n in cells:
        grid = wg.Grid([(-5.0, 5.0)], n)
        x = grid.axes[0]
        rho0 = wg.Density(grid, fast_diffusion_profile(x, 1.0))
        flow = FastDiffusion()
        result = wg.solve(flow, rho0, t_end, 0.05, method="lagrangian", maps=True,
                          t_eval=[t_end])
        assert result.success, result.message
        assert all(values.shape == grid.shape for values in flow.asked)
        # the Jacobian of the identity map, from differences of coordinates of size <= 5 over
        # 2 h >= 0.2, is 1 up to about 25 EPS: so is the first density asked for
        np.testing.assert_allclose(flow.asked[0], rho0.values, rtol=64 * np.finfo(float).eps)
        error = np.abs(result.maps[-1][0] - x * (1.0 + t_end) ** ALPHA)
        inside.append(float(error[np.abs(x) < 2.5].max()))
        everywhere.append(float(error.max()))
    spacings = [10.0 / n for n in cells]
    print(f"map errors inside {inside}, everywhere {everywhere}")
    assert loglog_slope(spacings, inside) > 3.5
    assert loglog_slope(spacings, everywhere) > 1.8
    displacement = 5.0 * ((1.0 + t_end) ** ALPHA - 1.0)
    assert everywhere[-1] < 1e-4 * displacement
