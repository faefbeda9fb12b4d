"""The entropic JKO scheme (Jordan–Kinderlehrer–Otto with entropic transport).

Each step is the Wasserstein proximal step of the flow's energy F (DESIGN.md section 3)

    rho_{k+1} = argmin_rho  F(rho) + D_gamma(rho_k, rho) / (2 tau),

solved by generalized Sinkhorn scalings
(:func:`~wgflow.solvers.sinkhorn.entropic_proximal_step`) with a Gibbs kernel from
:mod:`wgflow.transport` (POT's backend).

Plain entropic JKO uses ``D_gamma = W_gamma``, whose blur adds about ``gamma/2`` of
variance per step, i.e. an extra diffusion ``gamma/(4 tau) Lap rho``.  By default
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
from ..errors import ConvergenceWarning, WgflowError, check_choice, check_integer, check_positive
from ..flows import BackwardFlow, Flow
from ..flows.backward import Regularised
from ..transport import make_kernel
from .base import Solver, StepFailure
from .sinkhorn import entropic_proximal_step, symmetric_log_scaling

#: Default smoothing of a backward run of duration ``t``: ``c sqrt(D t)`` with ``D`` the
#: largest diffusivity ``P'(rho0)`` of ``d_t rho = -Lap P(rho)`` (1 for the heat flow).  For
#: the spectral filter ``c = 1/sqrt(10)``: its cut-off wavenumber ``1/s`` then grows by at
#: most ``e^10`` over the run.  For the local quadratic regression ``c = 0.6`` (measured
#: stable above about ``0.4 sqrt(D t)`` on Barenblatt data, m = 2 and 3, 1-D and 2-D).
SMOOTHING_FACTORS = {"spectral": 1.0 / np.sqrt(10.0), "local-quadratic": 0.6}

#: Default smoothing of the Gaussian filter of the backward flows, in cells (coarsest axis).
DEFAULT_GAUSSIAN_SMOOTHING_CELLS = 2.0

#: Sinkhorn tolerance of the solves that only supply the next linearisation point.
PREDICTOR_TOL = 1e-3


def _debiased_log_prox_ratio(energy, weight: float, grid, log_u: np.ndarray):
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


def _default_smoothing(
    flow: BackwardFlow, rho0: Density, smoothing_filter: str, horizon: float | None
) -> float:
    """The default ``smoothing`` of a backward run (see :data:`SMOOTHING_FACTORS`), at
    least one cell."""
    if smoothing_filter == "gaussian":
        return DEFAULT_GAUSSIAN_SMOOTHING_CELLS * max(rho0.grid.spacing)
    if horizon is None:
        raise WgflowError(
            f"the {smoothing_filter} regularisation of a backward flow needs smoothing= or "
            "horizon= (the run's duration, from which the default smoothing follows)"
        )
    diffusivity = float(flow.pressure_derivative(rho0.values).max())
    smoothing = SMOOTHING_FACTORS[smoothing_filter] * np.sqrt(diffusivity * horizon)
    return float(max(smoothing, max(rho0.grid.spacing)))  # at least one cell


class JKOSolver(Solver):
    """Entropic JKO time stepper.

    Parameters
    ----------
    flow : Flow
        A flow whose energy has a KL-proximal map (heat, porous medium, Fokker–Planck).
    rho0 : Density
        Initial density.
    t0 : float
        Initial time.
    gamma : float, optional
        Entropic regularisation in squared length units; default ``gamma_factor h_min^2``.
    gamma_factor : float
        Default 2.0 with debiasing, 1.0 without (near the accuracy optimum of each,
        DESIGN.md section 3); ignored when ``gamma`` is given.
    debias : bool
        Remove the entropic blur by the Sinkhorn-divergence correction (default True).
    debias_iterations : int
        Linearisations of the debiasing term per step (default 2; 1 is cheaper and
        about half as accurate).
    kernel : {"separable", "dense"}
        How the Gibbs kernel is applied: axis by axis (default; memory linear in the
        number of cells) or as a dense matrix (small grids; the reference).
    tol : float
        Sinkhorn stopping tolerance on the relative L1 error of the first marginal.
    max_iter : int
        Sinkhorn sweeps per proximal solve before a :class:`~wgflow.errors.ConvergenceWarning`.
    log_domain : bool
        Run every step in the log domain (default: exp domain with automatic fallback).
    smoothing : float, optional
        Backward flows only: the regularisation of the ill-posed flow, the length scale
        ``s`` of the filter applied before the first variation is frozen
        (:mod:`wgflow.filters`; reported in ``settings``).  Default ``c sqrt(D horizon)``
        with ``D = max P'(rho0)`` (:data:`SMOOTHING_FACTORS`; for the backward heat flow
        ``sqrt(horizon / 10)``, so the cut-off wavenumber ``1/s`` is amplified by at most
        ``e^10`` over the run, DESIGN.md section 3), at least one cell; two cells for the
        Gaussian filter.  The default depends on the run's duration: the same time
        reached by a longer run is computed with more smoothing.
    smoothing_filter : str, optional
        Backward flows only: one of the flow's ``filters`` (the first is the default):
        ``"spectral"``, ``"gaussian"`` (density filters) and, for the porous medium,
        ``"local-quadratic"`` (regression of the pressure).
    horizon : float, optional
        Backward flows only: the duration of the run, which sets the default smoothing of
        the spectral filter (:func:`wgflow.solve` passes ``t_end``).
    roughness_limit : float
        Backward flows only: the run stops with ``success = False`` once the
        regularisation filter removes more than this fraction of the density (of the
        pressure, for ``"local-quadratic"``) and twice the fraction it removes from the
        initial density (default 0.05).
    """

    method = "jko"

    def __init__(
        self,
        flow: Flow,
        rho0: Density,
        t0: float = 0.0,
        *,
        gamma: float | None = None,
        gamma_factor: float | None = None,
        debias: bool = True,
        debias_iterations: int = 2,
        kernel: str = "separable",
        tol: float = 1e-6,
        max_iter: int = 20_000,
        log_domain: bool = False,
        smoothing: float | None = None,
        smoothing_filter: str | None = None,
        horizon: float | None = None,
        roughness_limit: float = 0.05,
    ):
        super().__init__(flow, rho0, t0)
        grid = rho0.grid
        self.backward = isinstance(flow, BackwardFlow)
        for name, value in [("smoothing", smoothing), ("smoothing_filter", smoothing_filter)]:
            if value is not None and not self.backward:
                raise WgflowError(
                    f"{name} regularises the backward flows only; {flow.name} does not take it"
                )
        if horizon is not None:
            horizon = check_positive("horizon", horizon)
        if self.backward:
            flow.check_grid(grid)
            if smoothing_filter is None:
                smoothing_filter = flow.filters[0]
            self.smoothing_filter = check_choice("smoothing_filter", smoothing_filter, flow.filters)
            if smoothing is None:
                self.smoothing = _default_smoothing(flow, rho0, self.smoothing_filter, horizon)
            else:
                self.smoothing = check_positive("smoothing", smoothing)
            if self.smoothing_filter == "local-quadratic" and self.smoothing < max(grid.spacing):
                raise WgflowError(
                    f"smoothing = {self.smoothing!r} is below one cell ({max(grid.spacing):.4g}); "
                    "the local quadratic regression needs a window of at least one cell"
                )
        self.roughness_limit = check_positive("roughness_limit", roughness_limit)
        self._initial_roughness: float | None = None
        self._regularised: Regularised | None = None
        self.debias = bool(debias)
        if gamma is None:
            factor = (2.0 if self.debias else 1.0) if gamma_factor is None else gamma_factor
            gamma = check_positive("gamma_factor", factor) * min(grid.spacing) ** 2
        self.gamma = check_positive("gamma", gamma)
        self.debias_iterations = check_integer("debias_iterations", debias_iterations, 1)
        self.tol = check_positive("tol", tol)
        self.max_iter = check_integer("max_iter", max_iter, 1)
        self.kernel = make_kernel(grid, self.gamma, kernel)
        self.kernel_kind = kernel
        self.log_domain = bool(log_domain)
        self.energy = flow.energy
        if not self.backward:
            # the energy must have a KL-proximal map: fail here rather than at the first step
            self.energy.log_prox_ratio(np.zeros(grid.shape), 1.0, grid)
        self._warm_log_b: np.ndarray | None = None
        self._warm_log_u: np.ndarray | None = None
        self.statistics.update(
            sinkhorn_iterations=[], marginal_error=[], log_domain_steps=0, unconverged_steps=0
        )

    @classmethod
    def run_options(cls, flow: Flow, t_end: float, options: dict[str, Any]) -> dict[str, Any]:
        """A backward run's duration sets the default smoothing (``horizon``)."""
        if isinstance(flow, BackwardFlow):
            return {"horizon": t_end, **options}
        return options

    def settings(self) -> dict[str, Any]:
        return {
            "gamma": self.gamma,
            "debias": self.debias,
            "debias_iterations": self.debias_iterations if self.debias else 0,
            "kernel": self.kernel_kind,
            **({"smoothing": self.smoothing, "smoothing_filter": self.smoothing_filter}
               if self.backward else {}),
            "tol": self.tol,
            "max_iter": self.max_iter,
        }

    def advance(self, dt: float) -> np.ndarray:
        grid = self.rho.grid
        weight = 2.0 * dt / self.gamma
        if self.backward:
            energy = self.flow.step_energy(self._current_regularised(), dt)
        else:
            energy = self.energy
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
                    self.kernel, reference, tol=self.tol, max_iter=self.max_iter,
                    warm_log_u=self._warm_log_u,
                )
                self._warm_log_u = log_u
                log_prox_ratio = _debiased_log_prox_ratio(energy, weight, grid, log_u)
                result = self._solve(masses0, log_prox_ratio, self.tol if last else PREDICTOR_TOL)
                reference = result.masses
                sweeps += result.iterations + symmetric_sweeps
        self._record(result, sweeps)
        values = result.masses / grid.cell_volume
        if self.backward:
            regularised = self._regularise(values)
            self._check_roughness(regularised.roughness)
            self._regularised = regularised
        return values

    def _regularise(self, values: np.ndarray) -> Regularised:
        return self.flow.regularise(values, self.rho.grid, self.smoothing, self.smoothing_filter)

    def _current_regularised(self) -> Regularised:
        """The regularisation of the current density: the one the roughness check computed
        after the last step when it belongs to this density, else computed now."""
        if self._regularised is None or not np.array_equal(
            self._regularised.values, self.rho.values
        ):
            self._regularised = self._regularise(self.rho.values)
        if self._initial_roughness is None:
            self._initial_roughness = self._regularised.roughness
        return self._regularised

    def _check_roughness(self, roughness: float) -> None:
        """Stop a backward flow whose density has become rough (DESIGN.md section 3).

        Roughness (:class:`~wgflow.flows.backward.Regularised`) is the L1 fraction of the density (of
        the pressure, for the local quadratic regression) that the regularisation removes:
        small for a density whose modes lie below the cut-off (whatever the grid), O(1)
        once noise near the cut-off is amplified or the density collapses onto a few cells
        (e.g. a Gaussian at its singular time).  The run stops when it exceeds
        ``roughness_limit`` and twice the roughness of the initial density.
        """
        self.statistics.setdefault("roughness", []).append(roughness)
        limit = max(self.roughness_limit, 2.0 * self._initial_roughness)
        if roughness > limit:
            raise StepFailure(
                f"the density has become rough (fraction {roughness:.3f} removed by the "
                f"{self.smoothing_filter} filter > {limit:.3g}): either the backward flow has "
                "amplified noise (raise the regularisation option smoothing, now "
                f"{self.smoothing:.4g}) or the density has become narrower than the filter "
                "(collapse, e.g. at a Gaussian's singular time: stop earlier, or lower "
                "smoothing on a finer grid)"
            )

    def _solve(self, masses0: np.ndarray, log_prox_ratio, tol: float | None = None):
        result = entropic_proximal_step(
            self.kernel, masses0, log_prox_ratio,
            tol=self.tol if tol is None else max(tol, self.tol), max_iter=self.max_iter,
            warm_log_b=self._warm_log_b, log_domain=self.log_domain,
        )
        if not np.isfinite(result.masses).all():
            raise StepFailure("the Sinkhorn iteration produced non-finite masses")
        self._warm_log_b = result.log_b
        return result

    def _record(self, result, sweeps: int) -> None:
        stats = self.statistics
        stats["sinkhorn_iterations"].append(sweeps)
        stats["marginal_error"].append(result.marginal_error)
        stats["log_domain_steps"] += int(result.log_domain)
        if not result.converged:
            stats["unconverged_steps"] += 1
            warnings.warn(
                f"JKO step at t = {self.t:.6g} stopped after {result.iterations} Sinkhorn "
                f"sweeps with marginal error {result.marginal_error:.2e} > tol = {self.tol:.1e};"
                " raise max_iter or gamma",
                ConvergenceWarning,
                stacklevel=3,
            )
