"""Explicit finite volumes in flux form.

Every flow is written as ``d_t rho = -div J`` with a flux ``J`` at the interior faces of
the cell-centred grid, supplied by the flow (:meth:`wgflow.flows.FiniteVolumeFlow.
finite_volume_fluxes`, built from :mod:`wgflow.flows.fluxes`); the wall faces carry no
flux.  One sub-step is

    rho_i <- rho_i - dt_sub * sum_k (J_{k, i+1/2} - J_{k, i-1/2}) / h_k,

so the sum of ``rho_i`` changes only by round-off (each face flux leaves one cell and
enters its neighbour).  The update is a non-negative combination of the old cell values
once ``dt_sub * r <= 1``, ``r`` the largest outflow rate the fluxes report (for the heat
equation ``r = sum_k 2 / h_k^2``, i.e. ``dt <= h^2 / (2 d)``).  The solver splits every step
of :func:`wgflow.solve` into sub-steps with ``dt_sub * r <= cfl``, so ``cfl <= 1`` keeps the
density non-negative.  Time-dependent fluxes are taken at each sub-step's midpoint time;
fluxes of order 2 (a second-order reconstruction) are advanced by Heun's (SSP-RK2)
sub-steps.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..density import Density
from ..errors import StepFailure, WgflowError, check_integer, check_positive
from ..flows import FiniteVolumeFlow
from ..grid import Grid
from .base import Solver

#: Attempts to find a sub-step whose midpoint fluxes satisfy the CFL condition.
MIDPOINT_TRIES = 30


def _divergence(fluxes: list[np.ndarray], grid: Grid) -> np.ndarray:
    """``sum_k (J_{i+1/2} - J_{i-1/2}) / h_k`` with zero flux at the walls."""
    div = np.zeros(grid.shape)
    for axis, (flux, h) in enumerate(zip(fluxes, grid.spacing)):
        pad = [(0, 0)] * grid.ndim
        pad[axis] = (1, 1)
        div += np.diff(np.pad(flux, pad), axis=axis) / h
    return div


class FiniteVolumeSolver(Solver):
    """Explicit finite-volume stepper with automatic CFL sub-stepping (module docstring).

    Parameters
    ----------
    flow : FiniteVolumeFlow
        Continuity, heat, porous medium, Fokker–Planck or any flow that supplies fluxes.
    rho0 : Density
        Initial density.
    t0 : float
        Initial time (the time passed to time-dependent fluxes).
    cfl : float
        Sub-step safety factor in ``(0, 1]``: ``dt_sub * r <= cfl``; ``cfl <= 1`` preserves
        positivity.  Default 0.5.
    max_substeps : int
        Sub-steps allowed per step of :func:`wgflow.solve` before the step fails
        (``success=False``).  Default 100000.
    **options
        The flow's own options, e.g. ``order`` (1 or 2) of
        :class:`~wgflow.flows.Continuity`.

    Notes
    -----
    ``statistics["substeps"]`` lists the sub-steps of every step and
    ``statistics["max_rate"]`` the largest rate met in it (``1 / max_rate`` is the explicit
    stability limit).  The continuity equation is first order in h and dt with upwind
    fluxes (the velocity's time dependence costs no order: it is taken at each sub-step's
    midpoint); the diffusive fluxes are second order in h and, with ``dt_sub ~ h^2``, first
    order in dt = second order in h overall.
    """

    method = "finite-volume"
    flow_interface = FiniteVolumeFlow

    def __init__(
        self,
        flow: FiniteVolumeFlow,
        rho0: Density,
        t0: float = 0.0,
        *,
        cfl: float = 0.5,
        max_substeps: int = 100_000,
        **options: Any,
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
        self.fluxes = self.discretise(flow.finite_volume_fluxes, rho0.grid, self.t, **options)
        self.statistics.update(substeps=[], max_rate=[])
        self._last_rate: float | None = None

    def settings(self) -> dict[str, Any]:
        return {"cfl": self.cfl, "max_substeps": self.max_substeps, **self.fluxes.settings()}

    def state(self) -> dict[str, Any]:
        """The base state (:meth:`Solver.state`) and the last rate met (the first guess of
        the next step's sub-step)."""
        return {**super().state(), "last_rate": self._last_rate}

    def restore(self, state: dict[str, Any]) -> None:
        super().restore(state)
        rate = state["last_rate"]
        self._last_rate = None if rate is None else float(rate)

    def _rate_fluxes(self, rho: np.ndarray, t: float) -> tuple[list[np.ndarray], float]:
        fluxes, rate = self.fluxes(rho, t)
        if not math.isfinite(rate):
            raise StepFailure(f"the stability rate is not finite at t = {t:.6g}")
        return fluxes, rate

    def _substep(self, rate: float, remaining: float) -> float:
        """The largest sub-step with ``rate * dt_sub <= cfl``, or what remains of the step."""
        return remaining if rate * remaining <= self.cfl * (1 + 1e-9) else self.cfl / rate

    def _midpoint_fluxes(
        self, rho: np.ndarray, t: float, remaining: float, guess: float | None
    ) -> tuple[list[np.ndarray], float, float]:
        """Fluxes at the sub-step's midpoint time (second order in time for their time
        dependence, one evaluation per sub-step when they do not change much): the
        sub-step is guessed from the previous rate and shortened until
        ``rate(t + dt_sub / 2) * dt_sub <= cfl``."""
        if guess is None:
            guess = self._rate_fluxes(rho, t)[1]
        h_sub = self._substep(guess, remaining)
        for _ in range(MIDPOINT_TRIES):
            fluxes, rate = self._rate_fluxes(rho, t + h_sub / 2)
            if rate * h_sub <= self.cfl * (1 + 1e-9):
                return fluxes, rate, h_sub
            h_sub = self.cfl / rate
        raise StepFailure(
            f"no sub-step from t = {t:.6g} satisfies the CFL condition at its midpoint "
            f"(rate {rate:.3e}); the velocity may be blowing up"
        )

    def _heun(
        self, rho: np.ndarray, fluxes: list[np.ndarray], t: float, h_sub: float
    ) -> tuple[np.ndarray, float]:
        """Heun's (SSP-RK2) sub-step from the Euler predictor, shortened to the corrector's
        CFL limit when the corrector would lose positivity."""
        grid = self.rho.grid
        predictor = np.maximum(rho - h_sub * _divergence(fluxes, grid), 0.0)
        fluxes2, rate2 = self._rate_fluxes(predictor, t + h_sub)
        if rate2 * h_sub > 1.0:
            h_sub = min(h_sub, self.cfl / rate2)
            predictor = np.maximum(rho - h_sub * _divergence(fluxes, grid), 0.0)
            fluxes2, _ = self._rate_fluxes(predictor, t + h_sub)
        return 0.5 * (rho + (predictor - h_sub * _divergence(fluxes2, grid))), h_sub

    def advance(self, dt: float) -> np.ndarray:
        grid = self.rho.grid
        rho = np.array(self.rho.values, dtype=float)
        t, t_end = self.t, self.t + dt
        substeps, max_rate = 0, 0.0
        last_rate = self._last_rate
        tolerance = 1e-14 * max(1.0, abs(t_end))
        while t < t_end and not math.isclose(t, t_end, rel_tol=0.0, abs_tol=tolerance):
            if substeps >= self.max_substeps:
                raise StepFailure(
                    f"the explicit stability limit needs more than max_substeps = "
                    f"{self.max_substeps} sub-steps (reached t = {t:.6g}, largest rate "
                    f"{max_rate:.3e}, sub-step {self.cfl / max(max_rate, 1e-300):.3e}); "
                    "the velocity or the density may be blowing up"
                )
            if self.fluxes.time_dependent and self.fluxes.order == 1:
                fluxes, rate, h_sub = self._midpoint_fluxes(rho, t, t_end - t, last_rate)
            else:
                fluxes, rate = self._rate_fluxes(rho, t)
                h_sub = self._substep(rate, t_end - t)
            last_rate = rate
            max_rate = max(max_rate, rate)
            if self.fluxes.order == 2:
                new, h_sub = self._heun(rho, fluxes, t, h_sub)
            else:
                new = rho - h_sub * _divergence(fluxes, grid)
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
