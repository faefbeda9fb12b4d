"""The continuity equation ``d_t rho = -div(rho v)`` (eqs. (6) and (14) of the paper).

The velocity is a field of time and space.  It is given either as a function
``velocity(t, x, y, ...) -> (v_1, ..., v_d)`` of the time and the coordinate arrays, or
as the gradient of a potential, ``Continuity.from_potential(V)`` with ``v = grad V_t``
(the paper's ``V_t``, e.g. ``log mu_t`` for the continuous DAE).  The flow has no energy:
it is not a gradient flow in general, so ``energy`` is ``None`` and the ``"energy"``
tracker is refused.  It is integrated by the finite-volume solver
(``method="finite-volume"``) with upwind fluxes (option ``order=1``, the default) or
minmod-MUSCL fluxes with Heun's sub-steps (``order=2``), built from the normal velocity at
the interior cell faces (:meth:`Continuity.face_velocities`).
"""

from __future__ import annotations

import numbers
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from ..errors import StepFailure, WgflowError, check_broadcast, check_callable
from ..grid import Grid
from .base import FiniteVolumeFlow, Fluxes, reject_options
from .fluxes import muscl_fluxes, upwind_fluxes


def face_coordinates(grid: Grid, axis: int) -> tuple[np.ndarray, ...]:
    """Coordinate arrays (``indexing="ij"``) of the interior faces normal to ``axis``.

    Along ``axis`` the faces sit at ``a + (i + 1) h``, ``i = 0 .. n - 2`` (the walls carry
    no flux and are left out); along the other axes at the cell centres.  Each array has
    the grid's shape with ``n - 1`` along ``axis``.
    """
    axes = list(grid.axes)
    a = grid.bounds[axis][0]
    h = grid.spacing[axis]
    axes[axis] = a + h * np.arange(1, grid.shape[axis])
    return tuple(np.meshgrid(*axes, indexing="ij"))


def face_shape(grid: Grid, axis: int) -> tuple[int, ...]:
    """Shape of the interior-face arrays normal to ``axis``."""
    shape = list(grid.shape)
    shape[axis] -= 1
    return tuple(shape)


class Continuity(FiniteVolumeFlow):
    """Continuity equation ``d_t rho = -div(rho v)`` with a prescribed velocity field.

    Parameters
    ----------
    velocity : callable
        ``velocity(t, x, y, ...)`` returns a sequence of ``d`` arrays (the components of
        ``v``), each broadcastable to the shape of the coordinate arrays it receives.  It is
        called with the coordinates of the interior cell faces (see
        :func:`face_coordinates`), once per axis and time, so it must be vectorised.  The
        walls carry no flux whatever ``v`` is there (mass stays in the box).

    Examples
    --------
    >>> rotation = Continuity(lambda t, x, y: (-y, x))
    >>> compression = Continuity.from_potential(lambda t, x: -x**2 / 2)   # v = -x
    """

    name = "continuity"
    equation = "d_t rho = -div(rho v)"

    def __init__(self, velocity: Callable[..., Sequence[np.ndarray]]):
        if not callable(velocity):
            raise WgflowError(
                "the velocity must be a function velocity(t, x, y, ...) returning d arrays, "
                f"got {type(velocity).__name__}"
            )
        self.velocity: Callable[..., Sequence[np.ndarray]] | None = velocity
        self.potential: Callable[..., np.ndarray] | None = None

    @classmethod
    def from_potential(cls, potential: Callable[..., np.ndarray]) -> Continuity:
        """The continuity equation of the gradient field ``v = grad V_t``.

        ``potential(t, x, y, ...)`` is evaluated at the cell centres; the normal velocity
        at a face is the difference quotient ``(V_{i+1} - V_i) / h`` of the two cells it
        separates (second-order accurate at the face, and exactly the discrete gradient
        whose adjoint is the finite-volume divergence).
        """
        if not callable(potential):
            raise WgflowError(
                "the potential must be a function V(t, x, y, ...) returning an array, "
                f"got {type(potential).__name__}"
            )
        flow = cls.__new__(cls)
        flow.velocity = None
        flow.potential = potential
        return flow

    @property
    def energy(self) -> None:
        """``None``: a prescribed velocity field is not the gradient flow of an energy."""
        return None

    def fingerprint(self, grid: Grid) -> dict[str, np.ndarray]:
        """The normal velocities at the interior faces of ``grid`` at ``t = 0``, one array
        per axis (the flow holds a function: :func:`wgflow.resume` needs it again and
        compares it with this)."""
        return {
            f"velocity/{axis}": np.array(v, dtype=float)
            for axis, v in enumerate(self.face_velocities(0.0, grid))
        }

    def face_velocities(self, t: float, grid: Grid) -> list[np.ndarray]:
        """Normal velocities at the interior faces at time ``t``, one array per axis.

        Raises
        ------
        WgflowError
            If the velocity has the wrong number of components or shapes, or the potential
            the wrong shape.  Non-finite values are returned as they are (the solver
            decides whether they are an input error or a blow-up).
        """
        if self.potential is not None:
            check_callable("the potential V(t, x, ...)", self.potential, grid.ndim + 1)
            values = check_broadcast(
                "the potential V(t, x, ...)", self.potential(t, *grid.coordinates), grid.shape
            )
            return [np.diff(values, axis=k) / h for k, h in enumerate(grid.spacing)]
        assert self.velocity is not None  # set whenever the potential is not
        faces = []
        for axis in range(grid.ndim):
            check_callable("the velocity v(t, x, ...)", self.velocity, grid.ndim + 1)
            components = self.velocity(t, *face_coordinates(grid, axis))
            try:
                count = len(components)
            except TypeError:
                count = None
            if count != grid.ndim:
                raise WgflowError(
                    f"the velocity must return a sequence of {grid.ndim} component arrays "
                    f"(one per axis) on a {grid.ndim}-D grid, got "
                    + (f"a {type(components).__name__}" if count is None else f"{count} components")
                )
            faces.append(check_broadcast(
                f"velocity component {axis} (called on the faces normal to axis {axis})",
                components[axis], face_shape(grid, axis),
            ))
        return faces

    def finite_volume_fluxes(self, grid: Grid, t0: float, **options: Any) -> Fluxes:
        """Upwind (``order=1``) or MUSCL (``order=2``) fluxes ``rho v``.

        Raises
        ------
        WgflowError
            If ``order`` is not 1 or 2, or the velocity is not finite at ``t0``.
        """
        order = options.pop("order", 1)
        reject_options(self, "finite-volume", options, ("order",))
        if isinstance(order, (bool, np.bool_)) or not isinstance(order, numbers.Real) or (
            order not in (1, 2)
        ):
            raise WgflowError(f"order must be 1 (upwind) or 2 (minmod MUSCL), got {order!r}")
        source = " (the gradient of the potential V)" if self.potential is not None else ""
        for axis, v in enumerate(self.face_velocities(t0, grid)):
            if not np.isfinite(v).all():
                index = tuple(int(i) for i in np.argwhere(~np.isfinite(v))[0])
                raise WgflowError(
                    f"the velocity{source} is not finite at t = {t0:g}: component {axis} is "
                    f"{float(v[index])!r} at face index {index}"
                )
        return AdvectionFluxes(self, grid, 1 if order == 1 else 2)

    def __repr__(self) -> str:
        if self.potential is not None:
            return f"Continuity.from_potential({getattr(self.potential, '__name__', 'V')})"
        return f"Continuity({getattr(self.velocity, '__name__', 'velocity')})"


class AdvectionFluxes(Fluxes):
    """The fluxes ``rho v`` of :class:`Continuity` at the interior faces (time dependent)."""

    time_dependent = True

    def __init__(self, flow: Continuity, grid: Grid, order: int):
        self.flow = flow
        self.grid = grid
        self.order = order

    def __call__(self, rho: np.ndarray, t: float) -> tuple[list[np.ndarray], float]:
        velocities = self.flow.face_velocities(t, self.grid)
        for v in velocities:
            if not np.isfinite(v).all():
                raise StepFailure(f"the velocity field is not finite at t = {t:.6g}")
        reconstruct = upwind_fluxes if self.order == 1 else muscl_fluxes
        fluxes, rate = reconstruct(rho, velocities, self.grid)
        return fluxes, float(rate.max())

    def settings(self) -> dict[str, Any]:
        return {
            "order": self.order,
            "flux": "upwind" if self.order == 1 else "minmod-MUSCL + SSP-RK2",
        }
