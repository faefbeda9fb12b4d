"""The entropic JKO scheme (Jordan–Kinderlehrer–Otto with entropic transport).

Each step is the Wasserstein proximal step of a functional F supplied by the flow
(:meth:`wgflow.flows.JKOFlow.jko_discretisation`: the flow's energy for the forward flows, a
frozen linear functional for the backward ones)

    rho_{k+1} = argmin_rho  F(rho) + D_gamma(rho_k, rho) / (2 dt),

solved by generalized Sinkhorn scalings
(:func:`~wgflow.solvers.sinkhorn.entropic_proximal_step`) with a Gibbs kernel from
:mod:`wgflow.transport` (POT's backend).

Plain entropic JKO uses ``D_gamma = W_gamma``, whose blur adds about ``gamma/2`` of
variance per step, i.e. an extra diffusion ``gamma/(4 dt) Lap rho``.  By default
wgflow *debiases* the step: ``D_gamma = W_gamma(rho_k, rho) - W_gamma(rho, rho) / 2``
(the rho-dependent part of the Sinkhorn divergence, Feydy et al. 2019), which removes
the blur to first order in gamma.  The subtracted term is concave, so it is linearised
at a reference density r (a convex-concave / majorise-minimise step): its first
variation ``gamma log u_r``, with ``u_r (K u_r) = r``, becomes a potential and the
step stays a KL-proximal Sinkhorn problem whose prox is
``log b = log u_r + log_prox(log p + log u_r)``.  The reference starts as the
blurred ``K rho_k`` and is replaced by the step's own output ``debias_iterations``
times, converging to a stationary point of the debiased step.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np

from ..density import Density
from ..errors import (
    ConvergenceWarning,
    StepFailure,
    WgflowError,
    check_bool,
    check_integer,
    check_positive,
)
from ..filters import gaussian_smooth
from ..flows import JKOFlow
from ..functionals import Functional
from ..grid import Grid
from ..transport import make_kernel
from .base import Solver
from .sinkhorn import (
    LogRatio,
    Overrelaxation,
    ProximalStepResult,
    entropic_proximal_step,
    symmetric_log_scaling,
)

#: Sinkhorn tolerance of the solves that only supply the next linearisation point.
PREDICTOR_TOL = 1e-3
#: The entropic regularisation of the error estimate's companion run, relative to the run's:
#: the blur left by a debiased step is of order ``gamma^2``, so the companion's is about four
#: times larger and the difference about three times the run's.
COMPANION_GAMMA_FACTOR = 2.0
#: How many Sinkhorn tolerances (relative to the energy's size) a step may raise the energy.
ENERGY_TOLERANCE_FACTOR = 10.0


def _debiased_log_prox_ratio(
    energy: Functional, weight: float, grid: Grid, log_u: np.ndarray
) -> LogRatio:
    """``log b = log u + log_prox(log p + log u)``: the prox of ``sigma F - <log u, q>``.

    Cells where the reference vanishes (``log u = -inf``) get ``b = 0``: the linearised
    debiasing term forbids mass there (limit of ``log u + ratio`` for every energy).
    """
    empty = np.isneginf(log_u)

    def log_prox_ratio(log_p: np.ndarray) -> np.ndarray:
        with np.errstate(invalid="ignore"):
            ratio = log_u + energy.log_prox_ratio(log_p + log_u, weight, grid)
        if empty.any():
            ratio[empty] = -np.inf
        return ratio

    return log_prox_ratio


class JKOSolver(Solver):
    """Entropic JKO time stepper.

    Parameters
    ----------
    flow : JKOFlow
        A flow that supplies the functional of each step (heat, porous medium,
        Fokker–Planck, the backward flows, or any flow implementing
        :class:`~wgflow.flows.JKOFlow`).
    rho0 : Density
        Initial density.
    t0 : float
        Initial time.
    gamma : float, optional
        Entropic regularisation in squared length units; default ``gamma_factor h_min^2``.
    gamma_factor : float
        Default 2.0 with debiasing, 1.0 without (near the accuracy optimum of each: below
        about ``h^2`` the discrete coupling pins mass to its cell); ignored when ``gamma``
        is given.
    debias : bool
        Remove the entropic blur by the Sinkhorn-divergence correction (default True).
    debias_iterations : int
        Linearisations of the debiasing term per step (default 2; 1 is cheaper and
        about half as accurate).
    kernel : {"separable", "dense"}
        How the Gibbs kernel is applied: axis by axis (default; memory linear in the
        number of cells) or as a dense matrix (small grids; the reference).
    sinkhorn_tol : float
        Sinkhorn stopping tolerance on the relative L1 error of the first marginal.
    sinkhorn_max_iter : int
        Sinkhorn sweeps per proximal solve before a :class:`~wgflow.errors.ConvergenceWarning`.
    log_domain : bool
        Run every step in the log domain (default: exp domain with automatic fallback).
    overrelax : bool
        Over-relax the Sinkhorn sweeps (default True;
        :class:`~wgflow.solvers.sinkhorn.Overrelaxation`): about half the sweeps for the same
        stopping rule; an overshooting solve falls back to plain sweeps, counted in
        ``statistics["overrelaxation_fallbacks"]``.
    **options
        The flow's own options, e.g. ``smoothing``, ``smoothing_filter`` and
        ``roughness_limit`` of the backward flows
        (:class:`~wgflow.flows.backward.BackwardJKODiscretisation`).
    """

    method = "jko"
    flow_interface = JKOFlow

    def __init__(
        self,
        flow: JKOFlow,
        rho0: Density,
        t0: float = 0.0,
        *,
        gamma: float | None = None,
        gamma_factor: float | None = None,
        debias: bool = True,
        debias_iterations: int = 2,
        kernel: str = "separable",
        sinkhorn_tol: float = 1e-6,
        sinkhorn_max_iter: int = 20_000,
        log_domain: bool = False,
        overrelax: bool = True,
        **options: Any,
    ):
        super().__init__(flow, rho0, t0)
        grid = rho0.grid
        self.discretisation = self.discretise(flow.jko_discretisation, rho0, **options)
        self._options = dict(
            options, gamma=gamma, gamma_factor=gamma_factor, debias=debias,
            debias_iterations=debias_iterations, kernel=kernel, sinkhorn_tol=sinkhorn_tol,
            sinkhorn_max_iter=sinkhorn_max_iter, log_domain=log_domain, overrelax=overrelax,
        )
        self.debias = check_bool("debias", debias)
        if gamma is not None and gamma_factor is not None:
            raise WgflowError(
                f"give gamma or gamma_factor, not both (got gamma = {gamma!r}, gamma_factor = "
                f"{gamma_factor!r})"
            )
        if gamma is None:
            factor = (2.0 if self.debias else 1.0) if gamma_factor is None else gamma_factor
            gamma = check_positive("gamma_factor", factor) * min(grid.spacing) ** 2
        self.gamma = check_positive("gamma", gamma)
        self.debias_iterations = check_integer("debias_iterations", debias_iterations, 1)
        self.sinkhorn_tol = check_positive("sinkhorn_tol", sinkhorn_tol)
        self.sinkhorn_max_iter = check_integer("sinkhorn_max_iter", sinkhorn_max_iter, 1)
        self.kernel = make_kernel(grid, self.gamma, kernel)
        self.kernel_kind = kernel
        self.log_domain = check_bool("log_domain", log_domain)
        self._relaxation = Overrelaxation(check_bool("overrelax", overrelax))
        self._warm_log_b: np.ndarray | None = None
        self._warm_log_u: np.ndarray | None = None
        self._energy = flow.energy
        self._energy_value = self._energy(rho0) if self._energy is not None else None
        self.statistics.update(
            self.discretisation.statistics,
            sinkhorn_iterations=[], marginal_error=[], log_domain_steps=0, unconverged_steps=0,
            energy_change=[], overrelaxation=[], overrelaxation_fallbacks=0,
        )

    def settings(self) -> dict[str, Any]:
        return {
            "gamma": self.gamma,
            "debias": self.debias,
            "debias_iterations": self.debias_iterations if self.debias else 0,
            "kernel": self.kernel_kind,
            **self.discretisation.settings(),
            "sinkhorn_tol": self.sinkhorn_tol,
            "sinkhorn_max_iter": self.sinkhorn_max_iter,
            "log_domain": self.log_domain,
            "overrelax": self._relaxation.enabled,
        }

    def regularisation_hint(self) -> str:
        return self.discretisation.regularisation

    def companion_options(self) -> dict[str, Any] | None:
        """The flow's companion options (:meth:`JKODiscretisation.error_companion`) with a
        second entropic-blur level, :data:`COMPANION_GAMMA_FACTOR` times ``gamma``."""
        options = self.discretisation.error_companion(dict(self._options))
        if options is None:
            return None
        return {**options, "gamma": COMPANION_GAMMA_FACTOR * self.gamma, "gamma_factor": None}

    def advance(self, dt: float) -> np.ndarray:
        grid = self.rho.grid
        weight = 2.0 * dt / self.gamma
        elapsed = self.t - self.t0
        energy = self.discretisation.step_energy(self.rho, dt, elapsed)
        masses0 = self.rho.masses
        sweeps = 0
        if not self.debias:
            result = self._solve(masses0, lambda lp: energy.log_prox_ratio(lp, weight, grid))
            sweeps = result.iterations
        else:
            reference = self.kernel.apply(masses0)
            for iteration in range(self.debias_iterations):
                last = iteration == self.debias_iterations - 1
                log_u, symmetric_sweeps = symmetric_log_scaling(
                    self.kernel, reference, tol=self.sinkhorn_tol,
                    max_iter=self.sinkhorn_max_iter, warm_log_u=self._warm_log_u,
                )
                self._warm_log_u = log_u
                log_prox_ratio = _debiased_log_prox_ratio(energy, weight, grid, log_u)
                result = self._solve(
                    masses0, log_prox_ratio, self.sinkhorn_tol if last else PREDICTOR_TOL
                )
                reference = result.masses
                sweeps += result.iterations + symmetric_sweeps
        self._record(result, sweeps)
        values = result.masses / grid.cell_volume
        self.discretisation.check(values, grid, elapsed + dt)
        self._check_energy(values, result.marginal_error)
        return values

    def _check_energy(self, values: np.ndarray, marginal_error: float) -> None:
        """Stop a step that raised the flow's energy (for the backward flows: the entropy
        they descend, eqs. (16), (17)) by more than the step's tolerance: a JKO step
        minimises ``F(rho) + D(rho_k, rho) / (2 dt)`` with ``D >= 0``, so ``F`` can only
        rise by what the Sinkhorn tolerance leaves, ``ENERGY_TOLERANCE_FACTOR *
        max(sinkhorn_tol, marginal error) * (|F(rho_k)| + mass)``, and, for a step that is
        not debiased, by the entropic blur: the change of ``F`` under the blur itself (the
        heat flow for ``gamma / 4``)."""
        if self._energy is None or self._energy_value is None:
            return
        rho = Density(self.grid, values)
        value = self._energy(rho)
        change = value - self._energy_value
        self.statistics["energy_change"].append(change)
        allowed = ENERGY_TOLERANCE_FACTOR * max(self.sinkhorn_tol, marginal_error) * (
            abs(self._energy_value) + self.mass0
        )
        if not self.debias:
            blurred = gaussian_smooth(values, self.grid, np.sqrt(self.gamma / 2))
            allowed += abs(self._energy(Density(self.grid, blurred)) - value)
        if change > allowed:
            raise StepFailure(
                f"the step raised the {self._energy.name} {self._energy_value:.8g} -> "
                f"{value:.8g} by {change:.3g}, more than its tolerance {allowed:.3g}: the "
                f"{self.flow.name} flow must lower it: the step has blurred or amplified the "
                "density.  Rough data (e.g. a histogram of samples) must be smoothed first "
                "(Density.from_samples(..., bandwidth='scott')); otherwise raise the "
                "regularisation (smoothing_scale > 1) or lower dt"
            )
        self._energy_value = value

    def _solve(
        self, masses0: np.ndarray, log_prox_ratio: LogRatio, tol: float | None = None
    ) -> ProximalStepResult:
        result = entropic_proximal_step(
            self.kernel, masses0, log_prox_ratio,
            tol=self.sinkhorn_tol if tol is None else max(tol, self.sinkhorn_tol),
            max_iter=self.sinkhorn_max_iter, warm_log_b=self._warm_log_b,
            log_domain=self.log_domain, overrelaxation=self._relaxation,
        )
        if not np.isfinite(result.masses).all():
            raise StepFailure("the Sinkhorn iteration produced non-finite masses")
        self._warm_log_b = result.log_b
        return result

    def _record(self, result: ProximalStepResult, sweeps: int) -> None:
        stats = self.statistics
        stats["sinkhorn_iterations"].append(sweeps)
        stats["marginal_error"].append(result.marginal_error)
        stats["log_domain_steps"] += int(result.log_domain)
        stats["overrelaxation"].append(result.overrelaxation)
        stats["overrelaxation_fallbacks"] = self._relaxation.fallbacks
        if not result.converged:
            stats["unconverged_steps"] += 1
            warnings.warn(
                f"JKO step at t = {self.t:.6g} stopped after {result.iterations} Sinkhorn "
                f"sweeps with marginal error {result.marginal_error:.2e} > sinkhorn_tol = "
                f"{self.sinkhorn_tol:.1e}; raise sinkhorn_max_iter or gamma",
                ConvergenceWarning,
                stacklevel=3,
            )
