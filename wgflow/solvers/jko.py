"""The entropic JKO scheme (Jordan–Kinderlehrer–Otto with entropic transport).

Each step is the Wasserstein proximal step of the flow's energy F (DESIGN.md section 3)

    rho_{k+1} = argmin_rho  F(rho) + W_gamma(rho_k, rho) / (2 tau),

solved by :func:`~wgflow.solvers.sinkhorn.entropic_proximal_step` with a Gibbs kernel
from :mod:`wgflow.transport` (POT's backend).  The entropic blur adds about ``gamma/2``
of variance per step; the default ``gamma = h_min^2`` sits where that blur and the
pinning of mass to cells balance (DESIGN.md section 3).
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np

from ..density import Density
from ..errors import ConvergenceWarning, WgflowError, check_positive
from ..flows import Flow
from ..transport import make_kernel
from .base import Solver, StepFailure
from .sinkhorn import entropic_proximal_step


class JKOSolver(Solver):
    """Entropic JKO time stepper.

    Parameters
    ----------
    flow : Flow
        A flow whose energy has a KL-proximal map (heat, porous medium, Fokker–Planck).
    rho0 : Density
        Initial density.
    gamma : float, optional
        Entropic regularisation in squared length units; default ``gamma_factor * h_min^2``.
    gamma_factor : float
        Default 1.0; ignored when ``gamma`` is given.
    kernel : {"separable", "dense"}
        How the Gibbs kernel is applied: axis by axis (default, memory linear in the
        number of cells) or as a dense matrix (small grids; the reference).
    tol : float
        Sinkhorn stopping tolerance on the relative L1 marginal error (default 1e-10).
    max_iter : int
        Sinkhorn sweeps per step before a :class:`~wgflow.errors.ConvergenceWarning`.
    log_domain : bool
        Run every step in the log domain (default: exp domain with automatic fallback).
    """

    method = "jko"

    def __init__(
        self,
        flow: Flow,
        rho0: Density,
        t0: float = 0.0,
        *,
        gamma: float | None = None,
        gamma_factor: float = 1.0,
        kernel: str = "separable",
        tol: float = 1e-10,
        max_iter: int = 20_000,
        log_domain: bool = False,
    ):
        super().__init__(flow, rho0, t0)
        grid = rho0.grid
        h_min = min(grid.spacing)
        gamma_factor = check_positive("gamma_factor", gamma_factor)
        self.gamma = gamma_factor * h_min**2 if gamma is None else check_positive("gamma", gamma)
        self.tol = check_positive("tol", tol)
        if isinstance(max_iter, bool) or not isinstance(max_iter, (int, np.integer)) or max_iter < 1:
            raise WgflowError(f"max_iter must be a positive integer, got {max_iter!r}")
        self.max_iter = int(max_iter)
        self.kernel = make_kernel(grid, self.gamma, kernel)
        self.kernel_kind = kernel
        self.log_domain = bool(log_domain)
        self.energy = flow.energy
        self._warm_log_b: np.ndarray | None = None
        self.statistics.update(
            sinkhorn_iterations=[], marginal_error=[], log_domain_steps=0, unconverged_steps=0
        )

    def settings(self) -> dict[str, Any]:
        return {
            "gamma": self.gamma,
            "kernel": self.kernel_kind,
            "tol": self.tol,
            "max_iter": self.max_iter,
        }

    def advance(self, dt: float) -> np.ndarray:
        grid = self.rho.grid
        weight = 2.0 * dt / self.gamma
        energy = self.energy

        def log_prox_ratio(log_p: np.ndarray) -> np.ndarray:
            return energy.log_prox_ratio(log_p, weight, grid)

        result = entropic_proximal_step(
            self.kernel,
            self.rho.masses,
            log_prox_ratio,
            tol=self.tol,
            max_iter=self.max_iter,
            warm_log_b=self._warm_log_b,
            log_domain=self.log_domain,
        )
        stats = self.statistics
        stats["sinkhorn_iterations"].append(result.iterations)
        stats["marginal_error"].append(result.marginal_error)
        stats["log_domain_steps"] += int(result.log_domain)
        if not np.isfinite(result.masses).all():
            raise StepFailure("the Sinkhorn iteration produced non-finite masses")
        if not result.converged:
            stats["unconverged_steps"] += 1
            warnings.warn(
                f"JKO step at t = {self.t:.6g} stopped after {result.iterations} Sinkhorn "
                f"sweeps with marginal error {result.marginal_error:.2e} > tol = {self.tol:.1e};"
                " raise max_iter or gamma",
                ConvergenceWarning,
                stacklevel=2,
            )
        self._warm_log_b = result.log_b
        return result.masses / grid.cell_volume
