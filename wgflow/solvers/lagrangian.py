"""Lagrangian solver: the flow map of ``d_t rho + div(rho v) = 0`` for ``v = c(rho) grad log rho``.

The flow supplies ``c`` (:class:`wgflow.flows.LagrangianFlow`); for the backward heat flow
``c = 1`` and the solver integrates the continuous DAE of eq. (10), ``dx/dt = grad log
mu_t(x)`` with ``mu_t = phi_t # mu0``, whose pushforward solves the backward heat equation
(Theorem 3.1).  Particles start at the cell centres; the score of the current pushforward at a
particle comes from the change of variables of the paper's Appendix B,
``log mu_t(phi_t(x)) = log mu0(x) - log det grad phi_t(x)``::

    v(phi_t(x)) = c (grad phi_t(x))^{-T} grad_x [log mu0(x) - log det grad phi_t(x)],

with all derivatives taken on the fixed grid of initial positions.  No density is fed back
into the velocity, so no grid-imprinting noise enters the flow; the density of each step is
the pushforward ``phi_t # mu0`` (:func:`wgflow.dae.pushforward`, option ``scheme``).
Derivatives are fourth-order central differences inside and second order in the two cells
next to each wall (fourth-order one-sided closures make the flow unstable at the walls;
second-order ones are stable, and exact for the Gaussian case).

Regularisation.  The backward heat flow is ill-posed: a perturbation of wavenumber k of the map
grows like ``exp(k^2 t)`` (faster as the map contracts) because ``log det grad phi`` enters
with two derivatives.  The option ``smoothing`` (a length ``s``) filters ``log det grad phi_t``
before it is differentiated with the cosine-series filter ``exp(-(|k| s)^(2 p) / 2)``
(``p = smoothing_order``): modes with ``|k| s < 0.5`` pass almost unchanged, modes with
``|k| s > 1.3`` are removed, so the growth rate is bounded by about ``(1.2 / s)^2``.  For a
Gaussian ``mu0`` the map stays affine, ``log det grad phi_t`` is constant and the filter
introduces no bias at all.  For other data the choice of ``s`` trades a bias (large ``s``)
against the amplification of discretisation errors (small ``s``); measured on the 1-D
two-Gaussian mixture of the tests (data = heat flow of the mixture to ``T``, compared with the
exact backward solution; n = 256 on [-6, 6], dt = 0.002, ``s = 0.25``): relative L1 error
2e-3 at ``0.25 T``, 1.2e-2 at ``0.5 T``, 5e-2 at ``0.8 T``, 7e-2 at ``0.9 T``; with
``s = 0.07``: 1e-4 at ``0.25 T`` but the flow blows up before ``0.5 T`` (and stops with
``success=False``).  The term is also switched off where the data are below ``1e-12`` of
their peak (ramping to full weight at ``1e-8``): those particles carry no mass.

A step fails (:class:`~wgflow.errors.StepFailure`, ``success=False``) when the flow reaches a
singular time: when the map collapses (smallest singular value of ``grad phi_t`` below
``min_singular`` on the cells with mass, or a non-positive determinant), including in an
intermediate stage of the step.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..dae.maps import identity_map
from ..dae.pushforward import PUSHFORWARD_SCHEMES, pushforward_with_info
from ..density import Density
from ..errors import StepFailure, WgflowError, check_choice, check_integer, check_positive
from ..filters import spectral_lowpass
from ..flows import LagrangianFlow
from ..flows.base import reject_options
from ..stencils import derivative
from .base import Solver

#: Largest number of cells the Lagrangian characteristics may cross in one (sub)step, per
#: integrator (RK4 is stable for central advection up to about 2; Heun and Euler are weakly
#: unstable for it at any step, so they are kept lower).
CFL = {"rk4": 2.0, "heun": 1.0, "euler": 0.5}

#: The Jacobian term is switched off where the data are below ``_EMPTY`` of their peak and
#: ramps up to full weight at ``_FULL`` (particles there carry no mass that matters).
_EMPTY, _FULL = 1e-12, 1e-8


def _taper(values: np.ndarray) -> np.ndarray:
    """Weight in [0, 1] of ``grad log det grad phi``: 0 where the data vanish (smoothstep in
    the log of the data between ``_EMPTY`` and ``_FULL`` of the peak)."""
    with np.errstate(divide="ignore"):
        level = np.log(np.maximum(values, 1e-300) / float(values.max()))
    s = np.clip((level - math.log(_EMPTY)) / (math.log(_FULL) - math.log(_EMPTY)), 0.0, 1.0)
    return s * s * (3.0 - 2.0 * s)


class LagrangianSolver(Solver):
    """Lagrangian particle solver (``method="lagrangian"``; module docstring).

    Each step of :func:`wgflow.solve` is split into sub-steps where the CFL condition of the
    explicit integrator requires it: the linearised Lagrangian flow transports perturbations
    of the map at the speed ``|(grad phi)^-1 v|`` (in cells per unit time), and a sub-step may
    cross at most 2 cells (RK4), 1 (Heun) or 1/2 (Euler); sub-steps beyond one per step are
    counted in ``statistics["extra_substeps"]``.  The flow map is :meth:`flow_map`
    (``wgflow.solve(..., maps=True)`` stores it).

    Parameters
    ----------
    flow : LagrangianFlow
        E.g. ``BackwardHeat()``: the continuous DAE of eq. (10).
    rho0 : Density
        ``mu0``: smooth and positive where it has mass (cells below ``1e-12`` of the peak are
        treated as empty: their particles move but carry no weight in the checks).
    t0 : float
        Initial time.
    smoothing : float, optional
        Length ``s > 0`` of the cosine-series filter applied to ``log det grad phi_t`` before
        it is differentiated: the regularisation of the ill-posed backward flow (module
        docstring).  Default ``4 max(h)``.
    smoothing_order : int
        Order ``p`` of the filter ``exp(-(|k| s)^(2p) / 2)`` (default 4).
    integrator : str
        ``"rk4"`` (default), ``"heun"`` (RK2) or ``"euler"``: explicit particle integrators.
    acc : int
        Accuracy order of the central differences on the initial grid: 2 or 4 (default); the
        end cells use second-order closures (stable, exact for the Gaussian case).
    min_singular : float
        A step fails when the smallest singular value of ``grad phi_t`` on the cells with
        mass falls to this value (default ``1e-3``): the singular time is reached.
    scheme : str
        Pushforward scheme of the densities ``phi_t # mu0`` (:func:`wgflow.dae.pushforward`).
    **options
        None accepted (an error names any given).
    """

    method = "lagrangian"
    flow_interface = LagrangianFlow

    def __init__(
        self,
        flow: LagrangianFlow,
        rho0: Density,
        t0: float = 0.0,
        *,
        smoothing: float | None = None,
        smoothing_order: int = 4,
        integrator: str = "rk4",
        acc: int = 4,
        min_singular: float = 1e-3,
        scheme: str = "auto",
        **options: Any,
    ):
        super().__init__(flow, rho0, t0)
        self.discretise(reject_options, flow, self.method, options)
        self.score_coefficient = flow.score_coefficient
        grid = rho0.grid
        self.smoothing = (
            4.0 * max(grid.spacing) if smoothing is None else check_positive("smoothing", smoothing)
        )
        self.smoothing_order = check_integer("smoothing_order", smoothing_order, 1)
        self.integrator = check_choice("integrator", integrator, tuple(CFL))
        self.acc = check_choice("acc", acc, (2, 4))
        self.min_singular = check_positive("min_singular", min_singular)
        self.scheme = check_choice("scheme", scheme, PUSHFORWARD_SCHEMES)
        self.rho0 = rho0
        peak = float(rho0.values.max())
        self.carry = rho0.values > 1e-12 * peak  # the cells whose mass matters
        log0 = np.log(np.maximum(rho0.values, 1e-300 * max(peak, 1e-300)))
        self.grad_log0 = self._gradient(log0)
        self.taper = _taper(rho0.values)
        self.phi = identity_map(grid)
        self.statistics.update(
            extra_substeps=0, pushforward_times=[], pushforward_schemes=[], mass_defects=[]
        )

    def settings(self) -> dict[str, Any]:
        return {
            "smoothing": self.smoothing, "smoothing_order": self.smoothing_order,
            "integrator": self.integrator, "acc": self.acc, "min_singular": self.min_singular,
            "scheme": self.scheme,
        }

    def state(self) -> dict[str, Any]:
        """The base state (:meth:`Solver.state`) and the flow map ``phi_t`` (the density
        follows from it on demand)."""
        return {**super().state(), "phi": self.phi.copy()}

    def restore(self, state: dict[str, Any]) -> None:
        super().restore(state)
        self.phi = np.array(state["phi"], dtype=float)

    def flow_map(self) -> np.ndarray:
        """``phi_t`` at the initial cell centres, shape ``(d, *grid.shape)``."""
        return self.phi.copy()

    def _gradient(self, f: np.ndarray) -> np.ndarray:
        """``grad f`` on the initial grid, shape ``(d, *grid.shape)`` (module docstring)."""
        grid = self.rho0.grid
        return np.stack([
            derivative(f, k, h, self.acc, wall_acc=2) for k, h in enumerate(grid.spacing)
        ])

    def _jacobian(self, phi: np.ndarray) -> np.ndarray:
        """``J[..., k, l] = d phi_k / d x_l``, shape ``(*grid.shape, d, d)``."""
        return np.stack([np.moveaxis(self._gradient(c), 0, -1) for c in phi], axis=-2)

    def _check_map(self, jac: np.ndarray) -> None:
        """Raise :class:`~wgflow.errors.StepFailure` if ``grad phi`` collapses on the cells
        with mass: a non-positive determinant, or a singular value ``<= min_singular``."""
        sub = jac[self.carry]
        folds = not np.isfinite(sub).all() or bool((np.linalg.det(sub) <= 0).any())
        smallest = -math.inf if folds else float(np.linalg.svd(sub, compute_uv=False).min())
        if smallest > self.min_singular:
            return
        how = (
            "a non-positive Jacobian determinant (the map folds)" if folds
            else f"smallest singular value of grad phi {smallest:.3g} <= min_singular = "
            f"{self.min_singular:g}"
        )
        raise StepFailure(
            f"the flow map collapses ({how}): the flow reached a singular time (for the "
            "continuous DAE of N(m0, S0) it is lambda_min(S0)/2, section 3.3), or, with little "
            "smoothing or rough data, it has amplified noise; raise smoothing if the data "
            "should allow going further"
        )

    def _velocity(self, phi: np.ndarray) -> tuple[np.ndarray, float]:
        """The velocity of the particles ``phi`` and the speed of the Lagrangian
        characteristics ``max |J^-1 v|`` in cells per unit time (for the CFL limit)."""
        jac = self._jacobian(phi)
        self._check_map(jac)
        det = np.linalg.det(jac)
        log_det = np.log(np.where(det > 0, det, 1.0))
        log_det = spectral_lowpass(log_det, self.rho0.grid, self.smoothing, self.smoothing_order)
        rhs = self.grad_log0 - self.taper * self._gradient(log_det)
        rhs = np.moveaxis(rhs, 0, -1)[..., None]  # (*shape, d, 1)
        ok = det > 0
        vel = np.zeros(rhs.shape[:-1])
        vel[ok] = np.linalg.solve(np.swapaxes(jac, -1, -2)[ok], rhs[ok])[..., 0]
        vel *= self.score_coefficient(self.rho0.values * np.exp(-log_det))[..., None]
        sel = ok & self.carry
        rate = 0.0
        if sel.any():
            lag = np.linalg.solve(jac[sel], vel[sel][..., None])[..., 0]
            rate = float(np.abs(lag / np.array(self.rho0.grid.spacing)).max())
        return np.moveaxis(vel, -1, 0), rate

    def _substep(self, phi: np.ndarray, k1: np.ndarray, h: float) -> np.ndarray:
        """One explicit sub-step of length ``h`` from ``phi`` with slope ``k1``."""
        if self.integrator == "euler":
            new = phi + h * k1
        elif self.integrator == "heun":
            k2 = self._velocity(phi + h * k1)[0]
            new = phi + 0.5 * h * (k1 + k2)
        else:
            k2 = self._velocity(phi + 0.5 * h * k1)[0]
            k3 = self._velocity(phi + 0.5 * h * k2)[0]
            k4 = self._velocity(phi + h * k3)[0]
            new = phi + h / 6.0 * (k1 + 2 * k2 + 2 * k3 + k4)
        self._check_map(self._jacobian(new))
        return new

    def advance(self, dt: float) -> None:
        """Move the flow map by ``dt`` (the density follows on demand)."""
        phi, remaining = self.phi, dt
        while remaining > 0:
            k1, rate = self._velocity(phi)
            sub = min(remaining, CFL[self.integrator] / max(rate, 1e-300))
            if sub < remaining and remaining - sub < 1e-12 * dt:
                sub = remaining
            if sub < remaining:
                self.statistics["extra_substeps"] += 1
            phi = self._substep(phi, k1, sub)
            remaining -= sub
        self.phi = phi

    def density_values(self) -> np.ndarray:
        """The pushforward ``phi_t # mu0`` (:func:`wgflow.dae.pushforward`, option
        ``scheme``), computed only for the densities asked for: its time, scheme and mass
        defect are recorded in ``statistics`` (``pushforward_times``, ...)."""
        try:
            pushed, info = pushforward_with_info(self.rho0, self.phi, self.scheme)
        except WgflowError as error:
            raise StepFailure(
                f"the pushforward of the flow map fails: {error}"
            ) from error
        self.statistics["pushforward_times"].append(self.t)
        self.statistics["pushforward_schemes"].append(info.scheme)
        self.statistics["mass_defects"].append(info.mass_defect)
        return pushed.values
