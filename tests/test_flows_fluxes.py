"""Tests of wgflow.flows.fluxes: the face fluxes of the finite-volume discretisation and their
outflow rates, against facts that hold exactly.

Tolerances.  Every fact checked here is exact in exact arithmetic (a telescoping sum, a second
difference of a quadratic, a linear reconstruction of a linear profile, the Scharfetter--Gummel
flux of ``exp(-V)``), so the bounds are round-off: a few units of ``EPS`` (machine epsilon)
times the size of the terms that cancel.  The one limit (Scharfetter--Gummel -> centred
differences) is checked by its order, from the Taylor series ``B(x) = 1 - x/2 + x^2/12 + ...``.
"""

from __future__ import annotations

import numpy as np
import pytest
from _helpers import loglog_slope

import wgflow as wg
from wgflow.flows.continuity import face_coordinates, face_shape
from wgflow.flows.fluxes import (
    PressureDiffusionFluxes,
    ScharfetterGummelFluxes,
    diffusion_fluxes,
    laplacian_rate,
    muscl_fluxes,
    shift_slices,
    upwind_fluxes,
)

EPS = np.finfo(float).eps

#: Grids of each dimension with unequal spacings per axis (so that a mix-up of axes shows).
GRIDS = {
    1: wg.Grid([(-1.0, 2.0)], 23),
    2: wg.Grid([(-1.0, 1.0), (0.0, 3.0)], (9, 14)),
    3: wg.Grid([(-1.0, 1.0), (0.0, 0.5), (2.0, 5.0)], (6, 5, 7)),
}


def divergence(fluxes: list[np.ndarray], grid: wg.Grid) -> np.ndarray:
    """``sum_k (J_{i+1/2} - J_{i-1/2}) / h_k`` with no flux through the walls, written out
    here independently of the solver (the update is ``rho <- rho - dt_sub * divergence``)."""
    div = np.zeros(grid.shape)
    for axis, (flux, h) in enumerate(zip(fluxes, grid.spacing)):
        assert flux.shape == face_shape(grid, axis)  # interior faces only: the walls carry none
        lo, hi = shift_slices(grid.ndim, axis)
        div[lo] += flux / h  # the flux leaves the cell left of the face ...
        div[hi] -= flux / h  # ... and enters the cell right of it
    return div


def random_state(grid: wg.Grid, seed: int, zeros: bool = False):
    """Non-negative cell values (a quarter of them 0 when ``zeros``), face velocities of both
    signs and a potential, all random."""
    rng = np.random.default_rng(seed)
    rho = rng.uniform(0.0, 2.0, grid.shape)
    if zeros:
        rho[rng.uniform(size=grid.shape) < 0.25] = 0.0
    velocities = [rng.normal(0.0, 3.0, face_shape(grid, k)) for k in range(grid.ndim)]
    potential = rng.normal(0.0, 2.0, grid.shape)
    return rho, velocities, potential


def all_fluxes(grid: wg.Grid, rho, velocities, potential):
    """``name -> (fluxes, largest outflow rate)`` for every flux of the module."""
    porous = PressureDiffusionFluxes(grid, lambda r: r**2, lambda r: 2.0 * float(r.max()), "rho^2")
    upwind, upwind_rate = upwind_fluxes(rho, velocities, grid)
    muscl, muscl_rate = muscl_fluxes(rho, velocities, grid)
    return {
        "diffusion": (diffusion_fluxes(rho, grid), laplacian_rate(grid)),
        "porous-medium": porous(rho, 0.0),
        "upwind": (upwind, float(upwind_rate.max())),
        "muscl": (muscl, float(muscl_rate.max())),
        "scharfetter-gummel": ScharfetterGummelFluxes(grid, potential)(rho, 0.0),
    }


@pytest.mark.parametrize("ndim", [1, 2, 3])
def test_the_divergence_of_every_flux_conserves_mass(ndim):
    """Each face flux leaves one cell and enters its neighbour, so ``sum_i div_i h^d`` is a
    telescoping sum: zero up to the rounding of its terms (a few EPS times ``sum |div_i|``;
    a flux through a wall would leave a defect of the size of one term)."""
    grid = GRIDS[ndim]
    rho, velocities, potential = random_state(grid, seed=ndim)
    for name, (fluxes, _) in all_fluxes(grid, rho, velocities, potential).items():
        div = divergence(fluxes, grid)
        total = float(div.sum() * grid.cell_volume)
        scale = float(np.abs(div).sum() * grid.cell_volume)
        assert scale > 1.0, name  # the fluxes are not all zero
        assert abs(total) <= 16 * EPS * scale, (name, total, scale)


@pytest.mark.parametrize("ndim", [1, 2, 3])
def test_the_discrete_laplacian_of_a_quadratic_is_exact_inside(ndim):
    """``-div`` of the diffusion fluxes of ``u`` is the second difference
    ``(u_{i+1} - 2 u_i + u_{i-1}) / h^2`` per axis, exact for quadratics: ``Lap u = 2 sum c_k``
    in every cell not next to a wall.  Round-off: the second difference of values of size
    ``max |u|`` rounded to EPS, divided by ``h^2``."""
    grid = GRIDS[ndim]
    c = np.array([1.5, -0.7, 0.4])[:ndim]
    b = np.array([0.3, 2.0, -1.0])[:ndim]
    u = sum(ck * x**2 + bk * x for ck, bk, x in zip(c, b, grid.coordinates)) + 0.2
    lap = -divergence(diffusion_fluxes(u, grid), grid)
    inside = tuple(slice(1, -1) for _ in range(ndim))
    bound = 8 * ndim * EPS * float(np.abs(u).max()) / min(grid.spacing) ** 2
    np.testing.assert_allclose(lap[inside], 2.0 * c.sum(), rtol=0, atol=bound)
    # next to a wall the missing face makes it a one-sided (Neumann) difference instead
    assert abs(lap[(0,) * ndim] - 2.0 * c.sum()) > 1e-3


@pytest.mark.parametrize("sign", [1.0, -1.0])
def test_upwind_fluxes_translate_by_one_cell_when_the_courant_number_is_one(sign):
    """Constant velocity ``v`` along axis 1 of a 2-D grid and ``dt_sub v = h``: one Euler
    sub-step moves every value one cell downwind; the upwind wall cell empties and the
    downwind wall cell keeps what reaches it (no flux through the walls).  The outflow rate
    is ``|v| / h`` in every cell that has a downwind face, 0 in the downwind wall cells, so
    ``dt_sub * rate = 1``.  Spacings and velocity are powers of 2, so only the rounding of
    the differences ``rho_i - rho_{i-1}`` remains (a few EPS of ``max rho``)."""
    grid = wg.Grid([(0.0, 1.0), (0.0, 2.0)], (4, 16))  # h = (1/4, 1/8)
    rho = np.random.default_rng(5).uniform(0.5, 1.5, grid.shape)
    v = sign * 4.0
    dt_sub = grid.spacing[1] / abs(v)
    velocities = [np.zeros(face_shape(grid, 0)), np.full(face_shape(grid, 1), v)]
    fluxes, rate = upwind_fluxes(rho, velocities, grid)
    new = rho - dt_sub * divergence(fluxes, grid)
    expected = np.zeros_like(rho)
    if sign > 0:
        expected[:, 1:] = rho[:, :-1]
        expected[:, -1] += rho[:, -1]
        downwind_wall = -1
    else:
        expected[:, :-1] = rho[:, 1:]
        expected[:, 0] += rho[:, 0]
        downwind_wall = 0
    np.testing.assert_allclose(new, expected, rtol=0, atol=4 * EPS * rho.max())
    expected_rate = np.full(grid.shape, abs(v) / grid.spacing[1])
    expected_rate[:, downwind_wall] = 0.0
    np.testing.assert_array_equal(rate, expected_rate)
    assert dt_sub * rate.max() == 1.0


@pytest.mark.parametrize("ndim", [1, 2, 3])
def test_scharfetter_gummel_fluxes_vanish_on_the_discrete_equilibrium(ndim):
    """``B(-x) = e^x B(x)``, so ``B(dV) e^{-V_i} - B(-dV) e^{-V_i - dV} = 0`` on every face:
    ``exp(-V)`` is an exact discrete equilibrium.  The potential mixes face jumps ``|dV|`` up
    to about 15 (the upwind regime), of order 1, below 1e-8 (the Taylor branch of ``B``) and
    exactly 0; the flux vanishes to the rounding of its two terms (EPS times their size)."""
    grid = GRIDS[ndim]
    rng = np.random.default_rng(10 + ndim)
    potential = rng.normal(0.0, 3.0, grid.shape)
    potential[rng.uniform(size=grid.shape) < 0.3] = 0.0  # dV = 0 between neighbouring zeros
    potential[(0,) * ndim] = 1e-9  # |dV| < 1e-8 next to a zero
    fluxes_of = ScharfetterGummelFluxes(grid, potential)
    rho = np.exp(-potential)
    fluxes, _ = fluxes_of(rho, 0.0)
    for axis, (flux, (b_lo, b_hi)) in enumerate(zip(fluxes, fluxes_of.coefficients)):
        lo, hi = shift_slices(ndim, axis)
        size = b_lo * rho[lo] + b_hi * rho[hi]
        assert float(size.min()) > 0.0
        assert np.all(np.abs(flux) <= 8 * EPS * size), axis
    # not every density is stationary: a constant one is not when V is not
    flat, _ = fluxes_of(np.ones(grid.shape), 0.0)
    assert max(float(np.abs(f).max()) for f in flat) > 0.1


def test_scharfetter_gummel_fluxes_reduce_to_centred_differences_as_v_vanishes():
    """With ``V = 0`` the flux is the centred diffusion flux ``-(rho_{i+1} - rho_i) / h``
    (``B(0) = 1``; it is computed as ``rho_i / h - rho_{i+1} / h``, so up to the rounding of
    those two terms).  For ``V = s W`` it differs from the centred flux of
    ``J = -(grad rho + rho grad V)``, ``-(rho_{i+1} - rho_i) / h - dV (rho_i + rho_{i+1}) /
    (2 h)``, by ``dV^2 / 12 (rho_i - rho_{i+1}) / h + O(dV^4)``: second order in ``s``."""
    grid = GRIDS[2]
    rho, _, potential = random_state(grid, seed=3)
    zero, _ = ScharfetterGummelFluxes(grid, np.zeros(grid.shape))(rho, 0.0)
    for a, b, h in zip(zero, diffusion_fluxes(rho, grid), grid.spacing):
        np.testing.assert_allclose(a, b, rtol=0, atol=4 * EPS * rho.max() / h)
    scales = [0.1, 0.05, 0.025, 0.0125]
    gaps = []
    for s in scales:
        fluxes, _ = ScharfetterGummelFluxes(grid, s * potential)(rho, 0.0)
        gap = 0.0
        for axis, (flux, h) in enumerate(zip(fluxes, grid.spacing)):
            lo, hi = shift_slices(grid.ndim, axis)
            dv = np.diff(s * potential, axis=axis)
            centred = -(rho[hi] - rho[lo]) / h - dv * (rho[lo] + rho[hi]) / (2 * h)
            gap = max(gap, float(np.abs(flux - centred).max()))
        gaps.append(gap)
    assert 1.95 < loglog_slope(scales, gaps) < 2.05, gaps


def linear_part(grid: wg.Grid, make) -> np.ndarray:
    """The diagonal of the linear map ``rho -> div J(rho)``: for each cell i, the rate at
    which a unit value in cell i alone leaves it (``make(e_i)`` gives the fluxes)."""
    diagonal = np.zeros(grid.shape)
    for index in np.ndindex(grid.shape):
        unit = np.zeros(grid.shape)
        unit[index] = 1.0
        diagonal[index] = divergence(make(unit), grid)[index]
    return diagonal


@pytest.mark.parametrize("ndim", [1, 2])
def test_the_outflow_rate_is_the_diagonal_of_the_linear_fluxes(ndim):
    """For the fluxes linear in rho (upwind, Scharfetter--Gummel, heat diffusion) the outflow
    rate of cell i is by definition the coefficient with which rho_i leaves it, i.e. the
    diagonal of ``rho -> div J``: the bound ``dt_sub * rate <= 1`` is sharp (a value alone
    in the cell of largest rate empties exactly at ``dt_sub * rate = 1``)."""
    grid = GRIDS[ndim]
    _, velocities, potential = random_state(grid, seed=20 + ndim)
    upwind = linear_part(grid, lambda r: upwind_fluxes(r, velocities, grid)[0])
    rate = upwind_fluxes(np.ones(grid.shape), velocities, grid)[1]
    np.testing.assert_allclose(upwind, rate, rtol=4 * EPS)
    sg_of = ScharfetterGummelFluxes(grid, potential)
    sg = linear_part(grid, lambda r: sg_of(r, 0.0)[0])
    assert sg.max() == pytest.approx(sg_of.rate, rel=4 * EPS)
    heat = linear_part(grid, lambda r: diffusion_fluxes(r, grid))
    assert heat.max() == pytest.approx(laplacian_rate(grid), rel=4 * EPS)


@pytest.mark.parametrize("seed", range(5))
@pytest.mark.parametrize("ndim", [1, 2, 3])
def test_one_sub_step_within_the_outflow_rate_keeps_any_data_non_negative(ndim, seed):
    """An Euler sub-step with ``dt_sub * rate = 1`` (the largest the bound allows) is a
    non-negative combination of the old values, for random non-negative data with empty
    cells, random velocities of both signs and a random potential.  A cell may empty
    exactly, so round-off of the size of the cancelling terms (a few EPS of ``max rho``
    times the number of faces) may remain below 0."""
    grid = GRIDS[ndim]
    rho, velocities, potential = random_state(grid, seed=100 * ndim + seed, zeros=True)
    for name, (fluxes, rate) in all_fluxes(grid, rho, velocities, potential).items():
        new = rho - divergence(fluxes, grid) / rate
        assert new.min() >= -8 * ndim * EPS * rho.max(), (name, new.min())


def test_muscl_reproduces_the_face_values_of_a_linear_profile_away_from_walls():
    """The minmod slope of a linear profile is its exact jump, so the MUSCL face value
    ``rho_up +- slope / 2`` is the profile at the face (second order); where the upwind cell
    touches a wall the jump beyond it counts as 0, the slope is 0 and the face value is the
    cell value (first order), as for the upwind flux everywhere.  The face values are
    ``J / v`` (``v`` of both signs, never 0): exact up to a few EPS of ``max rho``."""
    grid = GRIDS[2]
    x, y = grid.coordinates
    rho = 2.0 + 0.3 * x - 0.2 * y
    _, velocities, _ = random_state(grid, seed=7)
    fluxes, _ = muscl_fluxes(rho, velocities, grid)
    upwind, _ = upwind_fluxes(rho, velocities, grid)
    for axis, (flux, up, v) in enumerate(zip(fluxes, upwind, velocities)):
        fx, fy = face_coordinates(grid, axis)
        exact = 2.0 + 0.3 * fx - 0.2 * fy
        n = grid.shape[axis]
        index = np.arange(n - 1).reshape([-1 if k == axis else 1 for k in range(2)])
        upwind_cell = np.where(v > 0, index, index + 1)
        at_wall = (upwind_cell == 0) | (upwind_cell == n - 1)  # both kinds occur for seed 7
        np.testing.assert_allclose((flux / v)[~at_wall], exact[~at_wall], rtol=4 * EPS)
        np.testing.assert_allclose(flux[at_wall], up[at_wall], rtol=4 * EPS)
        # the first-order upwind value misses the profile by |slope| h / 2 off the walls
        gap = np.abs(up / v - exact)[~at_wall]
        assert gap.min() > 0.05 * grid.spacing[axis]
