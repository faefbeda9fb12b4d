"""Tests of wgflow.flows.continuity: the face geometry, the face velocities of a velocity
function and of a potential, the advection fluxes (order 1 and 2, time dependent) and the
bad input not already covered by tests/test_solvers_finite_volume.py (which checks wrong
component counts and shapes, a non-finite velocity function at t0, non-callables, a potential
of the wrong shape and an order of 3).

Tolerances: every value compared here is exact in exact arithmetic (face positions, difference
quotients of a quadratic, which equal its derivative at the midpoint), so the bounds are a few
units of machine epsilon ``EPS`` times the size of the terms involved.
"""

from __future__ import annotations

import numpy as np
import pytest
from _helpers import raises_naming

import wgflow as wg
from wgflow.flows import Continuity
from wgflow.flows.continuity import AdvectionFluxes, face_coordinates, face_shape
from wgflow.flows.fluxes import muscl_fluxes, upwind_fluxes

EPS = np.finfo(float).eps
GRID = wg.Grid([(-1.0, 2.0), (0.5, 1.5)], (6, 4))  # h = (0.5, 0.25)
GRID3 = wg.Grid([(-1.0, 1.0), (0.0, 1.0), (2.0, 2.5)], (4, 3, 5))


@pytest.mark.parametrize("grid", [wg.Grid([(-1.0, 2.0)], 7), GRID, GRID3], ids=["1d", "2d", "3d"])
def test_face_coordinates_are_the_midpoints_between_neighbouring_centres(grid):
    """Along ``axis`` the interior faces lie half-way between consecutive cell centres
    (``n - 1`` of them, walls excluded); along the other axes at the cell centres.  Both are
    computed from the bounds, so they agree to a few EPS of the largest coordinate."""
    scale = max(abs(v) for bounds in grid.bounds for v in bounds)
    for axis in range(grid.ndim):
        faces = face_coordinates(grid, axis)
        assert len(faces) == grid.ndim
        shape = list(grid.shape)
        shape[axis] -= 1
        assert face_shape(grid, axis) == tuple(shape)
        for k, (coordinate, centres) in enumerate(zip(faces, grid.coordinates)):
            assert coordinate.shape == tuple(shape)
            lo = [slice(None)] * grid.ndim
            hi = [slice(None)] * grid.ndim
            lo[axis], hi[axis] = slice(None, -1), slice(1, None)
            expected = (centres[tuple(lo)] + centres[tuple(hi)]) / 2 if k == axis else (
                centres[tuple(lo)]
            )
            np.testing.assert_allclose(coordinate, expected, rtol=0, atol=4 * EPS * scale)
        # no face on a wall
        a, b = grid.bounds[axis]
        assert faces[axis].min() > a and faces[axis].max() < b


def test_face_velocities_of_a_velocity_function_are_its_values_on_the_faces():
    """The function is called with the time and the face coordinates of each axis; the
    component normal to the axis is kept; scalars broadcast to the face shape."""
    calls = []

    def velocity(t, x, y):
        calls.append((t, x.shape))
        return (t * x * y, x - 2.0 * y)

    flow = Continuity(velocity)
    faces = flow.face_velocities(0.75, GRID)
    assert calls == [(0.75, face_shape(GRID, 0)), (0.75, face_shape(GRID, 1))]
    x0, y0 = face_coordinates(GRID, 0)
    x1, y1 = face_coordinates(GRID, 1)
    np.testing.assert_array_equal(faces[0], 0.75 * x0 * y0)
    np.testing.assert_array_equal(faces[1], x1 - 2.0 * y1)
    constant = Continuity(lambda t, x, y: (1.5, -0.5)).face_velocities(0.0, GRID)
    assert [v.shape for v in constant] == [face_shape(GRID, 0), face_shape(GRID, 1)]
    assert np.all(constant[0] == 1.5) and np.all(constant[1] == -0.5)


@pytest.mark.parametrize("t", [0.0, 0.4])
def test_face_velocities_of_a_potential_are_exact_for_a_quadratic(t):
    """``(V_{i+1} - V_i) / h`` at the face between two centres equals ``d V / d x_axis`` at the
    face for any quadratic ``V`` (the second derivative cancels in the difference, and a cross
    term ``x y`` is linear along each axis).  ``V`` depends on ``t``: the velocities do.
    Round-off: the difference of values of size ``max |V|`` divided by ``h``."""
    def potential(t, x, y, z):
        return (1.0 + t) * x**2 - 0.5 * x * y + 0.3 * y**2 + t * y * z - 2.0 * z**2 + x - z

    def gradient(t, x, y, z):
        return (
            2 * (1.0 + t) * x - 0.5 * y + 1.0,
            -0.5 * x + 0.6 * y + t * z,
            t * y - 4.0 * z - 1.0,
        )

    flow = Continuity.from_potential(potential)
    size = float(np.abs(potential(t, *GRID3.coordinates)).max())
    for axis, v in enumerate(flow.face_velocities(t, GRID3)):
        exact = gradient(t, *face_coordinates(GRID3, axis))[axis]
        assert v.shape == face_shape(GRID3, axis)
        np.testing.assert_allclose(v, exact, rtol=0, atol=8 * EPS * size / GRID3.spacing[axis])


def test_advection_fluxes_of_order_1_and_2():
    """Order 1 gives the upwind fluxes and forward-Euler sub-steps, order 2 the minmod-MUSCL
    fluxes and Heun sub-steps, both of the face velocities at the time asked, with the
    largest outflow rate; both are time dependent (the solver evaluates them at its
    sub-step times)."""
    flow = Continuity(lambda t, x, y: (np.cos(t) * y, np.sin(t) * x))
    rho = np.random.default_rng(1).uniform(0.0, 2.0, GRID.shape)
    for order, reconstruct, flux in ((1, upwind_fluxes, "upwind"),
                                     (2, muscl_fluxes, "minmod-MUSCL + SSP-RK2")):
        options = {} if order == 1 else {"order": order}
        fluxes_of = flow.finite_volume_fluxes(GRID, 0.0, **options)
        assert isinstance(fluxes_of, AdvectionFluxes)
        assert fluxes_of.order == order and fluxes_of.time_dependent
        assert fluxes_of.settings() == {"order": order, "flux": flux}
        for t in (0.0, 1.0, 2.5):
            fluxes, rate = fluxes_of(rho, t)
            expected, rates = reconstruct(rho, flow.face_velocities(t, GRID), GRID)
            for a, b in zip(fluxes, expected):
                np.testing.assert_array_equal(a, b)
            assert rate == float(rates.max()) > 0.0
    # a float order equal to 1 or 2 is taken as that order
    assert flow.finite_volume_fluxes(GRID, 0.0, order=2.0).order == 2


def test_the_time_dependence_of_the_fluxes_follows_the_velocity():
    """``v = t`` in 1-D: the upwind flux at time t is ``t rho_left`` for ``t > 0``,
    ``t rho_right`` for ``t < 0`` and 0 at ``t = 0``, with outflow rate ``|t| / h``."""
    grid = wg.Grid([(0.0, 1.0)], 8)
    rho = np.arange(1.0, 9.0)
    fluxes_of = Continuity(lambda t, x: (np.full_like(x, t),)).finite_volume_fluxes(grid, 0.0)
    for t, expected in ((2.0, 2.0 * rho[:-1]), (-3.0, -3.0 * rho[1:]), (0.0, 0.0 * rho[1:])):
        (flux,), rate = fluxes_of(rho, t)
        np.testing.assert_array_equal(flux, expected)
        assert rate == abs(t) * 8


def test_energy_and_repr():
    def swirl(t, x, y):
        return (-y, x)

    def log_mu(t, x):
        return -(x**2) / 2

    assert Continuity(swirl).energy is None
    assert Continuity.from_potential(log_mu).energy is None
    assert repr(Continuity(swirl)) == "Continuity(swirl)"
    assert repr(Continuity.from_potential(log_mu)) == "Continuity.from_potential(log_mu)"


@pytest.mark.parametrize("order", [True, 0, "2", 1.5, None])
def test_orders_other_than_1_and_2_are_rejected_naming_the_value(order):
    flow = Continuity(lambda t, x: (x,))
    with raises_naming("order must be 1 (upwind) or 2 (minmod MUSCL)", f"got {order!r}"):
        flow.finite_volume_fluxes(GRID3, 0.0, order=order)


def test_options_besides_order_are_rejected_naming_them():
    flow = Continuity.from_potential(lambda t, x: x)
    with raises_naming("the continuity flow", "'cfl_factor', 'limiter'", "'finite-volume'"):
        flow.finite_volume_fluxes(GRID3, 0.0, order=2, limiter="vanleer", cfl_factor=2)


def test_a_potential_that_is_not_finite_at_t0_is_named_with_the_face():
    """An infinite potential in cell 3 makes the face velocities on both sides of it
    infinite; the error names the component, the value and the first bad face."""
    grid = wg.Grid([(0.0, 1.0), (0.0, 1.0)], (6, 3))

    def potential(t, x, y):
        values = x + y
        values[3, :] = np.inf
        return values

    flow = Continuity.from_potential(potential)
    with raises_naming("not finite at t = 0.25", "component 0", "inf", "face index (2, 0)"):
        with np.errstate(invalid="ignore"):  # inf - inf along axis 1
            flow.finite_volume_fluxes(grid, 0.25)
    # at other times a non-finite velocity is a step failure of the run, not bad input
    steady = Continuity(lambda t, x, y: (x / (1 - t), y))
    fluxes_of = steady.finite_volume_fluxes(grid, 0.0)
    with raises_naming("velocity field is not finite at t = 1", error=wg.errors.StepFailure):
        with np.errstate(divide="ignore", invalid="ignore"):
            fluxes_of(np.ones(grid.shape), 1.0)
