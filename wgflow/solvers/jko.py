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

from ..backend import FLOAT32_MIN_TOL, ArrayBackend, resolve
from ..density import Density
from ..errors import (
    ConvergenceWarning,
    StepFailure,
    WgflowError,
    check_bool,
    check_choice,
    check_integer,
    check_positive,
)
from ..filters import gaussian_smooth
from ..flows import JKODiscretisation, JKOFlow
from ..functionals import Functional
from ..grid import Grid
from ..transport import make_kernel
from .base import Solver
from .bdf2 import (
    MAX_LINEARISATIONS,
    OMEGA_MAX,
    KineticBound,
    bdf2_weights,
    first_reference,
    linearisation_tolerance,
    potential_relaxation,
    relax_potential,
    target_log_scaling,
)
from .sinkhorn import (
    Array,
    LogRatio,
    Overrelaxation,
    ProximalStepResult,
    entropic_proximal_step,
    symmetric_log_scaling,
)

#: Default Sinkhorn tolerance (float64).
DEFAULT_SINKHORN_TOL = 1e-6
#: Sinkhorn tolerance of the solves that only supply the next linearisation point.
PREDICTOR_TOL = 1e-3
#: The entropic regularisation of the error estimate's companion run, relative to the run's:
#: the blur left by a debiased step is of order ``gamma^2``, so the companion's is about four
#: times larger and the difference about three times the run's.
COMPANION_GAMMA_FACTOR = 2.0
#: How many Sinkhorn tolerances (relative to the energy's size) a step may raise the energy.
ENERGY_TOLERANCE_FACTOR = 10.0


def _check_second_order(flow: JKOFlow, discretisation: JKODiscretisation) -> None:
    """Raise unless the flow's JKO step functional is its own energy (the forward gradient
    flows), the case of the BDF2 step; the backward flows freeze a linearised functional at
    each step, a first-order construction."""
    if type(discretisation).step_energy is not JKODiscretisation.step_energy:
        raise WgflowError(
            f"time_order = 2 is for the gradient flows of a fixed energy (heat, porous medium, "
            f"Fokker–Planck); the {flow.name} flow's JKO step freezes its functional at each "
            "step, which is first order: use time_order = 1 with it"
        )


def _step_log_prox_ratio(
    energy: Functional, weight: float, grid: Grid, backend: ArrayBackend
) -> LogRatio:
    """``log_p -> energy.log_prox_ratio(log_p, weight, grid)`` on the run's backend.

    A linear energy's ratio ``-weight V`` does not depend on ``log p`` (its prox is a
    multiplication): off numpy it is evaluated once per step on the host and copied to the
    device, so a functional whose potential is a numpy array needs no backend code.
    """
    if energy.is_linear and not backend.is_numpy:
        ratio = backend.asarray(energy.log_prox_ratio(np.zeros(grid.shape), weight, grid))
        return lambda log_p: ratio
    return lambda log_p: energy.log_prox_ratio(log_p, weight, grid)


def _debiased_log_prox_ratio(
    energy: Functional, weight: float, grid: Grid, log_u: Array, backend: ArrayBackend
) -> LogRatio:
    """``log b = log u + log_prox(log p + log u)``: the prox of ``sigma F - <log u, q>``.

    Cells where the reference vanishes (``log u = -inf``) get ``b = 0``: the linearised
    debiasing term forbids mass there (limit of ``log u + ratio`` for every energy).
    """
    empty = log_u == -np.inf
    vacuum = backend.any(empty)
    step_ratio = _step_log_prox_ratio(energy, weight, grid, backend)

    def log_prox_ratio(log_p: Array) -> Array:
        with backend.errstate():
            ratio = log_u + step_ratio(log_p + log_u)
        return backend.nx.where(empty, -np.inf, ratio) if vacuum else ratio

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
    sinkhorn_tol : float, optional
        Sinkhorn stopping tolerance on the relative L1 error of the first marginal (default
        1e-6; :data:`wgflow.backend.FLOAT32_MIN_TOL` in float32).
    sinkhorn_max_iter : int
        Sinkhorn sweeps per proximal solve before a :class:`~wgflow.errors.ConvergenceWarning`.
    log_domain : bool
        Run every step in the log domain (default: exp domain with automatic fallback).
    backend : str or array, optional
        Where the step runs (:func:`wgflow.backend.resolve`): ``"numpy"`` (default),
        ``"jax"``, ``"torch"``, ``"cupy"``, or an array of one of these libraries (its
        library and device).  The solver keeps its scalings there; each step copies its
        density there and back once.
    device : str, optional
        ``"cpu"`` (default), ``"cuda"``/``"gpu"`` or ``"cuda:N"``.
    dtype : {"float64", "float32"}, optional
        The floating-point type of the step (default float64, or float32 when ``backend``
        is given as float32 arrays; float32: jax, torch, cupy; its Sinkhorn
        tolerance is at least, and by default, :data:`wgflow.backend.FLOAT32_MIN_TOL`;
        not in the log domain).
    overrelax : bool
        Over-relax the Sinkhorn sweeps (default True;
        :class:`~wgflow.solvers.sinkhorn.Overrelaxation`): about half the sweeps for the same
        stopping rule; an overshooting solve falls back to plain sweeps, counted in
        ``statistics["overrelaxation_fallbacks"]``.
    time_order : {1, 2}
        Order in ``dt`` of the steps: 1 (default), the JKO step; 2, the variational BDF2
        step of Matthes & Plazotta (:mod:`wgflow.solvers.bdf2`) for the flows whose step
        functional is their energy (heat, porous medium, Fokker–Planck; not the backward
        flows), started (and restarted after a step more than ``1 + sqrt 2`` times the
        previous one) by two first-order half steps; ``statistics["step_order"]`` records
        the order of each step.  Each BDF2 step solves a balanced transport and a proximal
        problem per linearisation (``statistics["linearisations"]``: 4-5 on smooth 1-D
        heat data); measured 6-15 times a first-order step's time in 1-D and 150 times on
        the 2-D porous-medium anchor (:doc:`/theory/jko`).
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
        sinkhorn_tol: float | None = None,
        sinkhorn_max_iter: int = 20_000,
        log_domain: bool = False,
        overrelax: bool = True,
        backend: str | Any | None = None,
        device: str | None = None,
        dtype: str | None = None,
        time_order: int = 1,
        **options: Any,
    ):
        super().__init__(flow, rho0, t0)
        grid = rho0.grid
        self.discretisation = self.discretise(flow.jko_discretisation, rho0, **options)
        self._options = dict(
            options, gamma=gamma, gamma_factor=gamma_factor, debias=debias,
            debias_iterations=debias_iterations, kernel=kernel, sinkhorn_tol=sinkhorn_tol,
            sinkhorn_max_iter=sinkhorn_max_iter, log_domain=log_domain, overrelax=overrelax,
            backend=backend, device=device, dtype=dtype,
            time_order=time_order,
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
        self.backend = resolve(backend, device, dtype)
        single = self.backend.dtype == "float32"
        if sinkhorn_tol is None:
            sinkhorn_tol = FLOAT32_MIN_TOL if single else DEFAULT_SINKHORN_TOL
        self.sinkhorn_tol = check_positive("sinkhorn_tol", sinkhorn_tol)
        self.sinkhorn_max_iter = check_integer("sinkhorn_max_iter", sinkhorn_max_iter, 1)
        self.kernel = make_kernel(grid, self.gamma, kernel, self.backend)
        self.kernel_kind = kernel
        self.log_domain = check_bool("log_domain", log_domain)
        if single:
            self._check_float32()
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
        self.time_order = check_choice("time_order", time_order, (1, 2))
        if self.time_order == 2 and not self.backend.is_numpy:
            raise WgflowError(
                f"time_order=2 runs on the numpy backend only; got backend "
                f"{self.backend.name!r} (use time_order=1 there)"
            )
        if self.time_order == 2:
            _check_second_order(flow, self.discretisation)
            self.statistics["step_order"] = []
            self.statistics["linearisations"] = []
        self._previous: tuple[np.ndarray, float] | None = None
        self._kinetic = KineticBound()
        self._warm_log_v: np.ndarray | None = None
        self._transport_relaxation = Overrelaxation(self._relaxation.enabled)

    def _check_float32(self) -> None:
        """Refuse float32 where the step needs float64 (:mod:`wgflow.backend`)."""
        if self.log_domain:
            raise WgflowError("log_domain=True with dtype='float32': the log domain runs in "
                              "float64 only (its log-scalings lose their digits in float32)")
        if self.sinkhorn_tol < FLOAT32_MIN_TOL:
            raise WgflowError(
                f"sinkhorn_tol = {self.sinkhorn_tol!r} is below what float32 resolves: with "
                f"dtype='float32' it must be at least {FLOAT32_MIN_TOL:g} (the marginal is "
                "resolved to about 1e-7); use dtype='float64' for a smaller tolerance"
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
            "backend": self.backend.name,
            "device": self.backend.device,
            "dtype": self.backend.dtype,
            "time_order": self.time_order,
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

    #: The warm starts of the Sinkhorn solves, saved by :meth:`state` (on the host).
    _WARM_STARTS = ("_warm_log_b", "_warm_log_u", "_warm_log_v")

    def state(self) -> dict[str, Any]:
        """The base state (:meth:`Solver.state`) and what the JKO steps carry: the warm
        starts of the Sinkhorn solves (on the host), the over-relaxation factors, the
        energy of the current density, the previous density and step and the kinetic
        bound of the BDF2 steps, and the discretisation's own state (e.g. the initial
        roughness of a backward flow)."""
        state = super().state()
        for name in self._WARM_STARTS:
            warm = getattr(self, name)
            if warm is not None:
                state[name.lstrip("_")] = self.backend.to_host(warm)
        state.update(
            energy_value=self._energy_value,
            relaxation=self._relaxation.state(),
            transport_relaxation=self._transport_relaxation.state(),
            kinetic_bound=self._kinetic.value,
            discretisation=self.discretisation.state(),
        )
        if self._previous is not None:
            state["previous_masses"] = self._previous[0]
            state["previous_dt"] = self._previous[1]
        return state

    def restore(self, state: dict[str, Any]) -> None:
        super().restore(state)
        for name in self._WARM_STARTS:
            saved = state.get(name.lstrip("_"))
            setattr(self, name, None if saved is None else self.backend.asarray(saved))
        energy = state["energy_value"]
        self._energy_value = None if energy is None else float(energy)
        self._relaxation.restore(state["relaxation"])
        self._transport_relaxation.restore(state["transport_relaxation"])
        self._kinetic.value = float(state["kinetic_bound"])
        self.discretisation.restore(state["discretisation"])
        self._previous = (
            (np.asarray(state["previous_masses"]), float(state["previous_dt"]))
            if "previous_masses" in state else None
        )

    def advance(self, dt: float) -> np.ndarray:
        grid = self.grid
        elapsed = self.t - self.t0
        masses0 = self.rho.masses
        omega = self._step_ratio(dt)
        allowed_rise = 0.0
        if omega is not None:
            result, sweeps = self._bdf2_step(masses0, dt, elapsed, omega)
            allowed_rise = self._kinetic.allowed_rise(omega)
        elif self.time_order == 2:  # start (or restart): two first-order half steps
            half, sweeps = self._jko_step(self.rho, dt / 2, elapsed)
            result, more = self._jko_step(
                Density(grid, half.masses / grid.cell_volume), dt / 2, elapsed + dt / 2
            )
            sweeps += more
        else:
            result, sweeps = self._jko_step(self.rho, dt, elapsed)
        self._record(result, sweeps)
        values = self._host_values(result.masses)
        self.discretisation.check(values, grid, elapsed + dt)
        if self.time_order == 2:
            self.statistics["step_order"].append(1 if omega is None else 2)
        before = self._energy_value
        self._check_energy(values, result.marginal_error, allowed_rise)
        if self.time_order == 2:
            after = self._energy_value
            drop = 0.0 if before is None or after is None else before - after
            if omega is None:
                self._kinetic.after_first_order_step(drop)
            else:
                self._kinetic.after_bdf2_step(drop, omega)
            self._previous = (masses0, dt)
        return values

    def _step_ratio(self, dt: float) -> float | None:
        """``omega = dt / dt_prev`` when the step is a BDF2 step (order 2, a previous step,
        ``omega <= OMEGA_MAX``), else ``None`` (a first-order start or restart)."""
        if self.time_order == 1 or self._previous is None:
            return None
        omega = dt / self._previous[1]
        return omega if omega <= OMEGA_MAX else None

    def _jko_step(
        self, rho: Density, dt: float, elapsed: float
    ) -> tuple[ProximalStepResult, int]:
        """One first-order step from ``rho`` (the proximal result and the sweeps it took)."""
        grid = self.grid
        weight = 2.0 * dt / self.gamma
        energy = self.discretisation.step_energy(rho, dt, elapsed)
        masses0 = self.backend.asarray(rho.masses)
        sweeps = 0
        if not self.debias:
            result = self._solve(masses0, _step_log_prox_ratio(energy, weight, grid, self.backend))
            return result, result.iterations
        reference = self.kernel.apply(masses0)
        for iteration in range(self.debias_iterations):
            last = iteration == self.debias_iterations - 1
            log_u, symmetric_sweeps = symmetric_log_scaling(
                self.kernel, reference, tol=self.sinkhorn_tol,
                max_iter=self.sinkhorn_max_iter, warm_log_u=self._warm_log_u,
            )
            self._warm_log_u = log_u
            log_prox_ratio = _debiased_log_prox_ratio(energy, weight, grid, log_u, self.backend)
            result = self._solve(
                masses0, log_prox_ratio, self.sinkhorn_tol if last else PREDICTOR_TOL
            )
            reference = result.masses
            sweeps += result.iterations + symmetric_sweeps
        return result, sweeps

    def _bdf2_step(
        self, masses0: np.ndarray, dt: float, elapsed: float, omega: float
    ) -> tuple[ProximalStepResult, int]:
        """One variational BDF2 step (:mod:`wgflow.solvers.bdf2`) of ratio ``omega``: the
        generalised Sinkhorn problem of weight ``sigma = 2 dt / (alpha gamma)`` with the
        linearised concave terms as the potential ``lambda``, re-linearised at the output
        until :func:`~wgflow.solvers.bdf2.linearisation_tolerance` is met (at most
        :data:`~wgflow.solvers.bdf2.MAX_LINEARISATIONS` times), the second transport
        potential over-relaxed by :func:`~wgflow.solvers.bdf2.potential_relaxation`."""
        assert self._previous is not None
        grid = self.grid
        alpha, beta = bdf2_weights(omega)
        weight = 2.0 * dt / (alpha * self.gamma)
        theta = potential_relaxation(omega)
        energy = self.discretisation.step_energy(self.rho, dt, elapsed)
        reference = self.kernel.apply(masses0)
        transport_reference = first_reference(masses0, reference)
        used: np.ndarray | None = None
        sweeps = 0
        mass = float(masses0.sum())
        for iteration in range(MAX_LINEARISATIONS):
            transport = target_log_scaling(
                self.kernel, self._previous[0], transport_reference, tol=self.sinkhorn_tol,
                max_iter=self.sinkhorn_max_iter, warm_log_v=self._warm_log_v,
                overrelaxation=self._transport_relaxation,
            )
            self._warm_log_v = transport.log_b
            used = relax_potential(transport.log_b, used if iteration == 1 else None, theta)
            potential = (beta / alpha) * used
            sweeps += transport.iterations
            if self.debias:
                log_u, symmetric_sweeps = symmetric_log_scaling(
                    self.kernel, reference, tol=self.sinkhorn_tol,
                    max_iter=self.sinkhorn_max_iter, warm_log_u=self._warm_log_u,
                )
                self._warm_log_u = log_u
                potential = potential + ((alpha - beta) / alpha) * log_u
                sweeps += symmetric_sweeps
            log_prox_ratio = _debiased_log_prox_ratio(energy, weight, grid, potential, self.backend)
            result = self._solve(masses0, log_prox_ratio)
            change = float(np.abs(result.masses - reference).sum())
            reference = transport_reference = result.masses
            sweeps += result.iterations
            step = float(np.abs(result.masses - masses0).sum()) / mass
            if iteration > 0 and change <= linearisation_tolerance(step, self.sinkhorn_tol) * mass:
                break
        self.statistics["linearisations"].append(iteration + 1)
        if not transport.converged:
            self.statistics["unconverged_steps"] += 1
            warnings.warn(
                f"BDF2 step at t = {self.t:.6g}: the transport to the linearisation point "
                f"stopped after {transport.iterations} Sinkhorn sweeps with marginal error "
                f"{transport.marginal_error:.2e} > sinkhorn_tol = {self.sinkhorn_tol:.1e}; "
                "raise sinkhorn_max_iter or gamma",
                ConvergenceWarning,
                stacklevel=3,
            )
        return result, sweeps

    def _host_values(self, masses: Array) -> np.ndarray:
        """The values per unit volume of the step's masses, on the host.  A float32 step keeps
        the mass to float32 round-off (about 1e-7, above the solver's mass check): its values
        are rescaled in float64 to the mass of the step's start, a change within float32
        resolution."""
        values = self.backend.to_host(masses) / self.grid.cell_volume
        if self.backend.dtype == "float32":
            values *= self.rho.mass / (values.sum() * self.grid.cell_volume)
        return values

    def _check_energy(
        self, values: np.ndarray, marginal_error: float, allowed_rise: float = 0.0
    ) -> None:
        """Stop a step that raised the flow's energy (for the backward flows: the entropy
        they descend, eqs. (16), (17)) by more than the step's tolerance: a JKO step
        minimises ``F(rho) + D(rho_k, rho) / (2 dt)`` with ``D >= 0``, so ``F`` can only
        rise by what the Sinkhorn tolerance leaves, ``ENERGY_TOLERANCE_FACTOR *
        max(sinkhorn_tol, marginal error) * (|F(rho_k)| + mass)``, and, for a step that is
        not debiased, by the entropic blur: the change of ``F`` under the blur itself (the
        heat flow for ``gamma / 4``).  A BDF2 step may raise ``F`` by ``allowed_rise`` more:
        the bound of Matthes & Plazotta's energy estimate
        (:class:`~wgflow.solvers.bdf2.KineticBound`)."""
        if self._energy is None or self._energy_value is None:
            return
        rho = Density(self.grid, values)
        value = self._energy(rho)
        change = value - self._energy_value
        self.statistics["energy_change"].append(change)
        allowed = allowed_rise + ENERGY_TOLERANCE_FACTOR * max(
            self.sinkhorn_tol, marginal_error
        ) * (abs(self._energy_value) + self.mass0)
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
        if not self.backend.all_finite(result.masses):
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
