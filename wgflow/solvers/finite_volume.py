"""Explicit finite volumes in flux form (DESIGN.md section 3, 'Continuity equation on a grid').

Every flow is written as ``d_t rho = -div J`` with a flux ``J`` at the interior faces of
the cell-centred grid; the wall faces carry no flux.  One update is

    rho_i <- rho_i - dt_sub * sum_k (J_{k, i+1/2} - J_{k, i-1/2}) / h_k,

so the sum of ``rho_i`` changes only by round-off (each face flux leaves one cell and
enters its neighbour).  The fluxes:

- :class:`~wgflow.flows.Continuity`: ``J = rho v`` with the face velocity ``v`` and an
  upwind value of ``rho`` (``order=1``), or a minmod-limited MUSCL reconstruction with
  Heun's (SSP-RK2) time stepping (``order=2``, second order where the solution is smooth,
  first order at extrema).
- :class:`~wgflow.flows.Heat`: ``J = -(rho_{i+1} - rho_i) / h`` (second order in h).
- :class:`~wgflow.flows.PorousMedium`: ``J = -(rho_{i+1}^m - rho_i^m) / h``.
- :class:`~wgflow.flows.FokkerPlanck`: the Scharfetter–Gummel (exponentially fitted upwind)
  flux of ``J = -(grad rho + rho grad V)``,
  ``J = (B(dV) rho_i - B(-dV) rho_{i+1}) / h`` with ``dV = V_{i+1} - V_i`` and
  ``B(x) = x / (e^x - 1)``.  It is the centred flux for small ``dV``, the upwind flux of
  the drift for large ``dV`` (second order in h), and its discrete equilibrium is exactly
  ``exp(-V_i) / Z``.

Each of these updates is a non-negative combination of the old cell values once the
sub-step ``dt_sub`` satisfies ``dt_sub * r_i <= 1``, ``r_i`` the rate at which cell i
empties (the sum over its faces of the outgoing coefficients; for the heat equation
``r = sum_k 2 / h_k^2``, i.e. ``dt <= h^2 / (2 d)``; for the porous medium it is multiplied
by ``D_max = m rho_max^(m-1)``; for the continuity equation ``r_i = sum_k (v+_{i+1/2} +
v-_{i-1/2}) / h_k``, which bounds ``max |v| / h``).  The solver splits every step of
:func:`wgflow.solve` into sub-steps with ``dt_sub * max_i r_i <= cfl``, so ``cfl <= 1``
keeps the density non-negative; with ``order=2`` the rate is that of the face values
``rho_i +- s_i / 2`` (at most twice the upwind one).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..density import Density
from ..errors import WgflowError, check_integer, check_positive
from ..flows import Continuity, Flow, FokkerPlanck, Heat, PorousMedium
from .base import Solver, StepFailure


def _shift_slices(ndim: int, axis: int) -> tuple[tuple[slice, ...], tuple[slice, ...]]:
    """Index of the cells left (``lo``) and right (``hi``) of the interior faces on ``axis``."""
    lo = [slice(None)] * ndim
    hi = [slice(None)] * ndim
    lo[axis] = slice(None, -1)
    hi[axis] = slice(1, None)
    return tuple(lo), tuple(hi)


def _divergence(fluxes: list[np.ndarray], spacing: tuple[float, ...], shape) -> np.ndarray:
    """``sum_k (J_{i+1/2} - J_{i-1/2}) / h_k`` with zero flux at the walls."""
    div = np.zeros(shape)
    for axis, (flux, h) in enumerate(zip(fluxes, spacing)):
        pad = [(0, 0)] * len(shape)
        pad[axis] = (1, 1)
        div += np.diff(np.pad(flux, pad), axis=axis) / h
    return div


def _outflow_rate(out_right: list[np.ndarray], out_left: list[np.ndarray], shape) -> np.ndarray:
    """Per-cell rate ``sum_k`` (coefficient leaving through the right face + the left face)."""
    rate = np.zeros(shape)
    for axis, (right, left) in enumerate(zip(out_right, out_left)):
        pad_r = [(0, 0)] * len(shape)
        pad_l = [(0, 0)] * len(shape)
        pad_r[axis] = (0, 1)
        pad_l[axis] = (1, 0)
        rate += np.pad(right, pad_r) + np.pad(left, pad_l)
    return rate


def _minmod(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.where(a * b > 0, np.sign(a) * np.minimum(np.abs(a), np.abs(b)), 0.0)


def _bernoulli(x: np.ndarray) -> np.ndarray:
    """``B(x) = x / (e^x - 1)``, with ``B(0) = 1``, stable for large ``|x|``."""
    x = np.asarray(x, dtype=float)
    small = np.abs(x) < 1e-8
    safe = np.where(small, 1.0, x)
    with np.errstate(over="ignore"):
        value = safe / np.expm1(safe)
    return np.where(small, 1.0 - x / 2.0, value)


#: Attempts to find a sub-step whose midpoint velocity satisfies the CFL condition.
MIDPOINT_TRIES = 30


class FiniteVolumeSolver(Solver):
    """Explicit finite-volume stepper with automatic CFL sub-stepping (module docstring).

    Parameters
    ----------
    flow : Flow
        :class:`~wgflow.flows.Continuity`, :class:`~wgflow.flows.Heat`,
        :class:`~wgflow.flows.PorousMedium` or :class:`~wgflow.flows.FokkerPlanck`.
    rho0 : Density
        Initial density.
    t0 : float
        Initial time (the time passed to a time-dependent velocity).
    cfl : float
        Sub-step safety factor in ``(0, 1]``: ``dt_sub * max_i r_i <= cfl`` (module
        docstring); ``cfl <= 1`` preserves positivity.  Default 0.5.
    max_substeps : int
        Sub-steps allowed per step of :func:`wgflow.solve` before the step fails
        (:class:`~wgflow.solvers.StepFailure`, ``success=False``).  Default 100000.
    order : {1, 2}
        Continuity equation only: upwind (1, default) or minmod-MUSCL with SSP-RK2 (2).

    Notes
    -----
    ``statistics["substeps"]`` lists the sub-steps of every step and
    ``statistics["max_rate"]`` the largest ``max_i r_i`` met in it (``1 / max_rate`` is the
    explicit stability limit).  Accuracy: the continuity equation is first order in h and
    dt with ``order=1`` (the velocity is taken at each sub-step's midpoint time, so the
    time dependence of ``v`` costs no extra order); the diffusive fluxes are second order in h and, with
    ``dt_sub ~ h^2``, first order in dt = second order in h overall.
    """

    method = "finite-volume"

    def __init__(
        self,
        flow: Flow,
        rho0: Density,
        t0: float = 0.0,
        *,
        cfl: float = 0.5,
        max_substeps: int = 100_000,
        order: int = 1,
    ):
        super().__init__(flow, rho0, t0)
        cfl = check_positive("cfl", cfl)
        if cfl > 1.0:
            raise WgflowError(
                f"cfl must lie in (0, 1] (above 1 the explicit scheme loses positivity), "
                f"got {cfl!r}"
            )
        self.cfl = cfl
        self.max_substeps = check_integer("max_substeps", max_substeps)
        if isinstance(order, bool) or order not in (1, 2):
            raise WgflowError(f"order must be 1 (upwind) or 2 (minmod MUSCL), got {order!r}")
        if order == 2 and not isinstance(flow, Continuity):
            raise WgflowError(
                "order=2 (MUSCL reconstruction) applies to the Continuity flow only; the "
                f"{flow.name} flux is already second order in h"
            )
        self.order = int(order)
        grid = rho0.grid
        if isinstance(flow, Continuity):
            self.kind = "continuity"
            faces = flow.face_velocities(self.t, grid)  # shape errors surface here
            for axis, v in enumerate(faces):
                if not np.isfinite(v).all():
                    index = tuple(int(i) for i in np.argwhere(~np.isfinite(v))[0])
                    raise WgflowError(
                        f"the velocity is not finite at t = {self.t:g}: component {axis} is "
                        f"{float(v[index])!r} at face index {index}"
                    )
        elif isinstance(flow, FokkerPlanck):
            self.kind = "fokker-planck"
            potential = flow.potential.potential(grid)
            self._sg = []
            for axis, h in enumerate(grid.spacing):
                dv = np.diff(potential, axis=axis)
                # flux = (B(dV) rho_lo - B(-dV) rho_hi) / h; coefficients per unit length^2
                self._sg.append((_bernoulli(dv) / h, _bernoulli(-dv) / h))
        elif isinstance(flow, PorousMedium):
            self.kind = "porous-medium"
        elif isinstance(flow, Heat):
            self.kind = "heat"
        else:
            raise WgflowError(
                f"the finite-volume solver integrates Continuity, Heat, PorousMedium and "
                f"FokkerPlanck flows, not {type(flow).__name__}"
            )
        self.statistics.update(substeps=[], max_rate=[])
        self._last_rate: float | None = None

    def settings(self) -> dict[str, Any]:
        return {
            "cfl": self.cfl,
            "max_substeps": self.max_substeps,
            "order": self.order if self.kind == "continuity" else 2,
            "flux": {
                "continuity": "upwind" if self.order == 1 else "minmod-MUSCL + SSP-RK2",
                "heat": "centred",
                "porous-medium": "centred (rho^m)",
                "fokker-planck": "Scharfetter-Gummel",
            }[self.kind],
        }

    # -- fluxes ------------------------------------------------------------------------------
    def _velocities(self, t: float) -> list[np.ndarray]:
        faces = self.flow.face_velocities(t, self.rho.grid)
        for v in faces:
            if not np.isfinite(v).all():
                raise StepFailure(f"the velocity field is not finite at t = {t:.6g}")
        return faces

    def _advective(self, rho: np.ndarray, faces: list[np.ndarray]):
        """Upwind or MUSCL fluxes ``rho v`` and the per-cell outflow rate."""
        grid = self.rho.grid
        fluxes, out_r, out_l = [], [], []
        for axis, (v, h) in enumerate(zip(faces, grid.spacing)):
            lo, hi = _shift_slices(grid.ndim, axis)
            vp, vm = np.maximum(v, 0.0), np.minimum(v, 0.0)
            if self.order == 1:
                fluxes.append(vp * rho[lo] + vm * rho[hi])
                out_r.append(vp / h)
                out_l.append(-vm / h)
            else:
                jumps = np.diff(rho, axis=axis)
                pad = [(0, 0)] * grid.ndim
                pad[axis] = (1, 1)
                padded = np.pad(jumps, pad)  # zero jump beyond the walls: slope 0 there
                lo2, hi2 = _shift_slices(grid.ndim, axis)
                slope = _minmod(padded[lo2], padded[hi2])
                right_face = rho + slope / 2  # value at the cell's right face
                left_face = rho - slope / 2
                fluxes.append(vp * right_face[lo] + vm * left_face[hi])
                # the face values are at most 2 rho_i: rate of the worst face, doubled
                out_r.append(2.0 * vp / h)
                out_l.append(-2.0 * vm / h)
        return fluxes, _outflow_rate(out_r, out_l, grid.shape)

    def _diffusive(self, rho: np.ndarray):
        """Fluxes of the gradient flows and the stability rate ``max_i r_i``."""
        grid = self.rho.grid
        fluxes = []
        laplace_rate = sum(2.0 / h**2 for h in grid.spacing)
        if self.kind == "heat":
            for axis, h in enumerate(grid.spacing):
                fluxes.append(-np.diff(rho, axis=axis) / h)
            return fluxes, laplace_rate
        if self.kind == "porous-medium":
            m = self.flow.m
            u = rho**m
            for axis, h in enumerate(grid.spacing):
                fluxes.append(-np.diff(u, axis=axis) / h)
            return fluxes, laplace_rate * m * float(rho.max()) ** (m - 1.0)
        out_r, out_l = [], []
        for axis, (h, (b_lo, b_hi)) in enumerate(zip(grid.spacing, self._sg)):
            lo, hi = _shift_slices(grid.ndim, axis)
            fluxes.append(b_lo * rho[lo] - b_hi * rho[hi])
            out_r.append(b_lo / h)
            out_l.append(b_hi / h)
        return fluxes, float(_outflow_rate(out_r, out_l, grid.shape).max())

    # -- stepping ----------------------------------------------------------------------------
    def _euler(self, rho: np.ndarray, fluxes: list[np.ndarray], dt: float) -> np.ndarray:
        grid = self.rho.grid
        return rho - dt * _divergence(fluxes, grid.spacing, grid.shape)

    def _check_rate(self, rate: float, t: float) -> None:
        if not math.isfinite(rate):
            raise StepFailure(f"the stability rate is not finite at t = {t:.6g}")

    def _substep(self, rate: float, remaining: float) -> float:
        """The largest sub-step with ``rate * dt_sub <= cfl``, or what remains of the step."""
        return remaining if rate * remaining <= self.cfl * (1 + 1e-9) else self.cfl / rate

    def _midpoint_fluxes(self, rho: np.ndarray, t: float, remaining: float, guess: float | None):
        """Upwind fluxes with the velocity at the sub-step's midpoint time (second order
        in time for the velocity's time dependence, one velocity call per sub-step when
        the field does not change much): the sub-step is guessed from the previous rate
        and shortened until ``rate(t + dt_sub / 2) * dt_sub <= cfl``."""
        if guess is None:
            _, rate = self._advective(rho, self._velocities(t))
            guess = float(rate.max())
            self._check_rate(guess, t)
        h_sub = self._substep(guess, remaining)
        for _ in range(MIDPOINT_TRIES):
            fluxes, rate = self._advective(rho, self._velocities(t + h_sub / 2))
            rate = float(rate.max())
            self._check_rate(rate, t + h_sub / 2)
            if rate * h_sub <= self.cfl * (1 + 1e-9):
                return fluxes, rate, h_sub
            h_sub = self.cfl / rate
        raise StepFailure(
            f"no sub-step from t = {t:.6g} satisfies the CFL condition at its midpoint "
            f"(rate {rate:.3e}); the velocity may be blowing up"
        )

    def advance(self, dt: float) -> np.ndarray:
        rho = np.array(self.rho.values, dtype=float)
        t, t_end = self.t, self.t + dt
        substeps, max_rate = 0, 0.0
        last_rate = self._last_rate
        while t < t_end and not math.isclose(t, t_end, rel_tol=0.0, abs_tol=1e-14 * max(1.0, abs(t_end))):
            if substeps >= self.max_substeps:
                raise StepFailure(
                    f"the explicit stability limit needs more than max_substeps = "
                    f"{self.max_substeps} sub-steps (reached t = {t:.6g}, largest rate "
                    f"{max_rate:.3e}, sub-step {self.cfl / max(max_rate, 1e-300):.3e}); "
                    "the velocity or the density may be blowing up"
                )
            if self.kind == "continuity" and self.order == 1:
                fluxes, rate, h_sub = self._midpoint_fluxes(rho, t, t_end - t, last_rate)
            else:
                if self.kind == "continuity":
                    fluxes, rate = self._advective(rho, self._velocities(t))
                    rate = float(rate.max())
                else:
                    fluxes, rate = self._diffusive(rho)
                self._check_rate(rate, t)
                h_sub = self._substep(rate, t_end - t)
            last_rate = rate
            max_rate = max(max_rate, rate)
            new = self._euler(rho, fluxes, h_sub)
            if self.kind == "continuity" and self.order == 2:
                # Heun / SSP-RK2: average of rho and an Euler step from the Euler predictor
                new = np.maximum(new, 0.0)
                fluxes2, rate2 = self._advective(new, self._velocities(t + h_sub))
                if float(rate2.max()) * h_sub > 1.0:
                    # the corrector would lose positivity: shorten to its CFL limit, redo the predictor
                    rate2_max = float(rate2.max())
                    h_sub = min(h_sub, self.cfl / rate2_max)
                    new = np.maximum(self._euler(rho, fluxes, h_sub), 0.0)
                    fluxes2, _ = self._advective(new, self._velocities(t + h_sub))
                new = 0.5 * (rho + self._euler(new, fluxes2, h_sub))
            if not np.isfinite(new).all():
                raise StepFailure(f"non-finite density after a sub-step at t = {t:.6g}")
            # round-off can leave -1e-17 where a cell empties exactly (cfl = 1)
            rho = np.maximum(new, 0.0)
            t += h_sub
            substeps += 1
        self._last_rate = last_rate
        self.statistics["substeps"].append(substeps)
        self.statistics["max_rate"].append(max_rate)
        return rho
