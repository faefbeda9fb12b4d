"""Deep DAEs on a grid: single DAEs, compositions (section 3.1) and the continuous DAE (eq. 10).

* :func:`single` -- the family ``t -> Phi_t # mu0`` of single DAEs (Figure 2 top right, the
  dashed curve of Figure 3).
* :func:`compose` -- ``Phi^t_{0:L} = Phi_L o ... o Phi_0`` where layer ``l`` is the DAE of its own
  input ``mu_l = Phi_{l-1} # mu_{l-1}`` with noise variance ``tau_l`` (section 3.1).
* :func:`continuous` -- the flow ``phi_t`` of ``dx/dt = grad log mu_t(x)``, ``mu_t = phi_t # mu0``
  (Definition 3.1, eq. 10), whose pushforward solves the backward heat equation (Theorem 3.1).

The continuous DAE is integrated in Lagrangian form: the particles start at the cell centres
and the score of the current pushforward at a particle comes from the change of variables of
the paper's Appendix B, ``log mu_t(phi_t(x)) = log mu0(x) - log det grad phi_t(x)``::

    grad log mu_t(phi_t(x)) = (grad phi_t(x))^{-T} grad_x [log mu0(x) - log det grad phi_t(x)],

with all derivatives taken on the fixed grid of initial positions.  No density is
deposited inside the time loop, so no grid-imprinting noise is fed back.  Derivatives are
fourth-order central differences inside and second order in the two cells next to each wall
(fourth-order one-sided closures make the flow unstable at the walls; second-order ones are
stable, and exact for the Gaussian case).

Regularisation.  The backward heat flow is ill-posed (DESIGN.md section 3): a perturbation of
wavenumber k of the map grows like ``exp(k^2 t)`` (faster as the map contracts) because
``log det grad phi`` enters with two derivatives.  The named parameter ``smoothing`` (a length
``s``) filters ``log det grad phi_t`` before it is differentiated with the cosine-series filter
``exp(-(|k| s)^(2 p) / 2)`` (``p = smoothing_order``): modes with ``|k| s < 0.5`` pass almost
unchanged, modes with ``|k| s > 1.3`` are removed, so the growth rate is bounded by about
``(1.2 / s)^2``.  For a Gaussian ``mu0`` the map stays affine, ``log det grad phi_t`` is constant
and the filter introduces no bias at all.  For other data the choice of ``s`` trades a bias
(large ``s``) against the amplification of discretisation errors (small ``s``); measured on
the 1-D two-Gaussian mixture of the tests (data = heat flow of the mixture to ``T``, compared
with the exact backward solution; n = 256 on [-6, 6], dt = 0.002, ``s = 0.25``): relative L1
error 2e-3 at ``0.25 T``, 1.2e-2 at ``0.5 T``, 5e-2 at ``0.8 T``, 7e-2 at ``0.9 T``; with
``s = 0.07``: 1e-4 at ``0.25 T`` but the flow blows up before ``0.5 T`` (and stops with
``success=False``).  The term is also switched off where the data are below
``1e-12`` of their peak (ramping to full weight at ``1e-8``): those particles carry no mass.

The flow stops (``success=False``) when it reaches the singular time: when the map collapses
(smallest singular value of ``grad phi_t`` below ``min_singular`` on the cells with mass, or a
non-positive determinant), including in an intermediate stage of the time step.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..density import Density
from ..errors import WgflowError, check_integer, check_positive
from ..filters import spectral_lowpass
from ._checks import (
    check_density,
    check_noise_time,
    identity_map,
)
from .maps import dae_map, interpolate_map
from .noise import NoiseLike, resolve_noise
from .pushforward import DEFAULT_MASS_TOL, PUSHFORWARD_SCHEMES, pushforward_with_info
from .tracking import track as _track

__all__ = ["DAETrajectory", "single", "compose", "continuous", "CONTINUOUS_SCHEMES"]

#: Time-stepping schemes of :func:`continuous`.
CONTINUOUS_SCHEMES: tuple[str, ...] = ("heun", "rk4", "euler")


@dataclass
class DAETrajectory:
    """A trajectory of densities and maps produced by :func:`single`, :func:`compose` or
    :func:`continuous`.

    Attributes
    ----------
    kind : str
        ``"single"``, ``"composition"`` or ``"continuous"``.
    times : numpy.ndarray
        Transport times ``t`` of the entries (``t_l = tau_0 + ... + tau_{l-1}`` for a
        composition).
    densities : list of Density
        The pushforwards ``mu_t`` on the grid (``densities[0]`` is ``mu0``).
    maps : list of numpy.ndarray
        The maps from ``mu0`` at the initial cell centres, each ``(d, *grid.shape)``:
        ``Phi_t`` (single), the composition ``Phi_{0:l}`` (composition; layer maps are
        interpolated at the moving points), ``phi_t`` (continuous).  ``maps[0]`` is the
        identity.
    layer_maps : list of numpy.ndarray
        Composition only: ``Phi_l`` of each layer on the grid (the DAE of ``mu_l``), so
        ``len(layer_maps) = len(times) - 1``.
    success : bool
        False when the computation stopped early (continuous DAE at its singular time).
    message : str
        What happened.
    settings : dict
        The parameters in force (noise, quadrature, smoothing, dt, scheme, ...).
    statistics : dict
        Counters: pushforward schemes used, mass defects, steps.
    tracked : dict of str to numpy.ndarray
        Series recorded by :meth:`track` (or the ``track=`` argument), aligned with ``times``.
    """

    kind: str
    times: np.ndarray
    densities: list[Density]
    maps: list[np.ndarray]
    layer_maps: list[np.ndarray] = field(default_factory=list)
    success: bool = True
    message: str = ""
    settings: dict[str, Any] = field(default_factory=dict)
    statistics: dict[str, Any] = field(default_factory=dict)
    tracked: dict[str, np.ndarray] = field(default_factory=dict)

    @property
    def final(self) -> Density:
        """The last density."""
        return self.densities[-1]

    @property
    def grid(self):
        """The grid."""
        return self.densities[0].grid

    def track(self, names: Sequence[str] | str) -> dict[str, np.ndarray]:
        """Record trackers (``"shannon"``, ``"renyi:a"``, ``"tsallis:a"``, ``"mass"``, ``"w2"``)
        along the densities; stores and returns the series (see :func:`wgflow.dae.track`)."""
        series = _track(self.densities, names, self.times)
        series.pop("times")
        self.tracked.update(series)
        return series

    def __repr__(self) -> str:
        return (
            f"DAETrajectory(kind={self.kind!r}, success={self.success}, "
            f"t=[{self.times[0]:.4g}, {self.times[-1]:.4g}], {len(self.densities)} densities, "
            f"tracked={sorted(self.tracked)}, message={self.message!r})"
        )


def _check_times(values: Sequence[float] | float, name: str) -> np.ndarray:
    arr = np.atleast_1d(np.asarray(values, dtype=float)) if not isinstance(values, str) else None
    if arr is None or arr.ndim != 1 or arr.size == 0:
        raise WgflowError(f"{name} must be a non-empty 1-D sequence of numbers > 0, got {values!r}")
    for i, v in enumerate(arr):
        check_noise_time(float(v), f"{name}[{i}]")
    return arr


def _finish(traj: DAETrajectory, track: Sequence[str] | str) -> DAETrajectory:
    if track:
        traj.track(track)
    return traj


# ----------------------------------------------------------------------------------------------
# single DAEs and compositions
# ----------------------------------------------------------------------------------------------
def single(
    rho0: Density,
    times: Sequence[float],
    noise: NoiseLike = "gaussian",
    quadrature: str = "auto",
    scheme: str = "auto",
    track: Sequence[str] | str = (),
) -> DAETrajectory:
    """The single DAEs ``t -> Phi_t # mu0`` for the given noise variances (no composition).

    Parameters
    ----------
    rho0 : Density
        ``mu0``.
    times : sequence of float
        Noise variances ``t > 0`` (the entry ``t = 0``, ``mu0`` itself, is added first).
    noise, quadrature
        As in :func:`wgflow.dae.dae_map`.
    scheme : str
        Pushforward scheme (:func:`wgflow.dae.pushforward`).
    track : sequence of str
        Trackers to record (see :meth:`DAETrajectory.track`).
    """
    rho0 = check_density(rho0, "rho0")
    ts = _check_times(times, "times")
    law = resolve_noise(noise)
    densities, maps, schemes, defects = [rho0], [identity_map(rho0.grid)], [], []
    for t in ts:
        phi = dae_map(rho0, float(t), law, quadrature)
        pushed, info = pushforward_with_info(rho0, phi, scheme)
        densities.append(pushed)
        maps.append(phi)
        schemes.append(info.scheme)
        defects.append(info.mass_defect)
    traj = DAETrajectory(
        kind="single",
        times=np.concatenate([[0.0], ts]),
        densities=densities,
        maps=maps,
        message=f"{ts.size} single DAEs",
        settings={"noise": law.name, "quadrature": quadrature, "scheme": scheme},
        statistics={"pushforward_schemes": schemes, "mass_defects": defects},
    )
    return _finish(traj, track)


def compose(
    rho0: Density,
    taus: Sequence[float],
    noise: NoiseLike = "gaussian",
    quadrature: str = "auto",
    scheme: str = "auto",
    mass_tol: float = DEFAULT_MASS_TOL,
    track: Sequence[str] | str = (),
) -> DAETrajectory:
    """Composition of DAEs ``Phi^t_{0:L} = Phi_L o ... o Phi_0`` (section 3.1).

    Layer ``l`` is the DAE (eq. 4) of its own input ``mu_l`` with noise variance ``tau_l``, and
    ``mu_{l+1} = Phi_l # mu_l``; the total time after layer ``l`` is ``tau_0 + ... + tau_l``.
    As ``max tau -> 0`` with the total time fixed, the composition approaches the continuous
    DAE at first order in ``tau`` (an Euler broken line of eq. 10; measured in the tests).

    Parameters
    ----------
    rho0 : Density
        ``mu0``.
    taus : sequence of float
        Noise variances of the layers, each ``> 0``.
    noise, quadrature
        As in :func:`wgflow.dae.dae_map` (each layer uses the same law).  For Gaussian noise
        the midpoint quadrature needs ``sqrt(tau) >~ h`` (its error is about
        ``exp(-2 pi^2 tau / h^2)``).
    scheme, mass_tol
        Pushforward scheme and tolerance (:func:`wgflow.dae.pushforward`).
    track : sequence of str
        Trackers to record (see :meth:`DAETrajectory.track`).

    Returns
    -------
    DAETrajectory
        ``densities[l] = mu_l``, ``layer_maps[l] = Phi_l`` on the grid, ``maps[l] = Phi_{0:l-1}``
        at the initial cell centres.

    Notes
    -----
    Each small DAE is a step of the ill-posed backward heat flow and amplifies perturbations
    (DESIGN.md section 3), so errors grow geometrically with the number of layers; the default
    pull-back pushforward injects errors near round-off for smooth data, which keeps tens of
    layers accurate in the bulk.  The tails go first: for ``N(0.3, 1)`` on a 400-cell grid,
    40 layers of ``tau = 0.0075`` give densities within 8e-4 (relative L1) of the exact
    recursion, but round-off in the composed map at 3.7 standard deviations grows by about
    2.4 per layer (1e-14 after 10 layers, 2e-3 after 30, 0.12 after 40).  The layer maps
    themselves (``layer_maps``) stay accurate where each layer's input has mass.
    """
    rho0 = check_density(rho0, "rho0")
    ts = _check_times(taus, "taus")
    law = resolve_noise(noise)
    grid = rho0.grid
    points = grid.points.copy()
    shape = (grid.ndim, *grid.shape)
    rho = rho0
    densities, maps, layer_maps, schemes, defects = [rho0], [identity_map(grid)], [], [], []
    for tau in ts:
        phi = dae_map(rho, float(tau), law, quadrature)
        rho, info = pushforward_with_info(rho, phi, scheme, mass_tol)
        points = interpolate_map(grid, phi, points)
        densities.append(rho)
        layer_maps.append(phi)
        maps.append(points.T.reshape(shape).copy())
        schemes.append(info.scheme)
        defects.append(info.mass_defect)
    traj = DAETrajectory(
        kind="composition",
        times=np.concatenate([[0.0], np.cumsum(ts)]),
        densities=densities,
        maps=maps,
        layer_maps=layer_maps,
        message=f"{ts.size} layers",
        settings={
            "noise": law.name, "quadrature": quadrature, "scheme": scheme, "taus": ts.tolist(),
        },
        statistics={"pushforward_schemes": schemes, "mass_defects": defects},
    )
    return _finish(traj, track)


# ----------------------------------------------------------------------------------------------
# continuous DAE
# ----------------------------------------------------------------------------------------------
class _Collapse(Exception):
    """The flow map degenerated (singular time)."""


#: The Jacobian term is switched off where the data are below ``_EMPTY`` of their peak and
#: ramps up to full weight at ``_FULL`` (particles there carry no mass that matters).
_EMPTY, _FULL = 1e-12, 1e-8


def _smoothstep(s: np.ndarray) -> np.ndarray:
    s = np.clip(s, 0.0, 1.0)
    return s * s * (3.0 - 2.0 * s)


def _taper(rho0: Density) -> np.ndarray:
    """Weight in [0, 1] of ``grad log det grad phi``: 0 where the data vanish."""
    peak = float(rho0.values.max())
    with np.errstate(divide="ignore"):
        level = np.log(np.maximum(rho0.values, 1e-300) / peak)
    return _smoothstep((level - math.log(_EMPTY)) / (math.log(_FULL) - math.log(_EMPTY)))


def _derivative(f: np.ndarray, axis: int, h: float, acc: int) -> np.ndarray:
    """``d f / d x_axis``: central of order ``acc`` inside, second order in the two end cells.

    Fourth-order one-sided closures make the anti-diffusive Lagrangian flow unstable at the
    walls; second-order closures (exact for quadratics, so for the Gaussian case) do not.
    """
    out = np.gradient(f, h, axis=axis, edge_order=2)
    if acc == 2 or f.shape[axis] < 5:
        return out
    g = np.moveaxis(f, axis, 0)
    o = np.moveaxis(out, axis, 0)
    o[2:-2] = (g[:-4] - 8.0 * g[1:-3] + 8.0 * g[3:-1] - g[4:]) / (12.0 * h)
    return out


class _LagrangianScore:
    """``v(phi) = (grad phi)^-T grad_x [log mu0 - S(log det grad phi)]`` on the initial grid."""

    def __init__(
        self, rho0: Density, smoothing: float, order: int, acc: int, min_singular: float
    ):
        grid = rho0.grid
        self.grid = grid
        self.d = grid.ndim
        self.diffs = [
            (lambda f, k=k, h=h: _derivative(f, k, h, acc)) for k, h in enumerate(grid.spacing)
        ]
        peak = float(rho0.values.max())
        self.carry = rho0.values > 1e-12 * peak  # the cells whose mass matters
        log0 = np.log(np.maximum(rho0.values, 1e-300 * max(peak, 1e-300)))
        self.grad_log0 = np.stack([diff(log0) for diff in self.diffs])
        self.sigma = smoothing if smoothing > 0 else None
        self.order = order
        self.min_singular = min_singular
        self.taper = _taper(rho0)

    def jacobian(self, phi: np.ndarray) -> np.ndarray:
        """``J[k, l] = d phi_k / d x_l``, shape ``(*grid.shape, d, d)``."""
        jac = np.empty((*self.grid.shape, self.d, self.d))
        for l, diff in enumerate(self.diffs):
            for k in range(self.d):
                jac[..., k, l] = diff(phi[k])
        return jac

    def smallest_singular(self, jac: np.ndarray) -> float:
        """Smallest singular value of ``grad phi`` over the cells with mass (``-inf`` if folded)."""
        sub = jac[self.carry]
        if not np.isfinite(sub).all():
            return -math.inf
        if (np.linalg.det(sub) <= 0).any():
            return -math.inf
        return float(np.linalg.svd(sub, compute_uv=False)[..., -1].min())

    def __call__(self, phi: np.ndarray) -> np.ndarray:
        jac = self.jacobian(phi)
        smallest = self.smallest_singular(jac)
        if not smallest > self.min_singular:
            raise _Collapse(smallest)
        det = np.linalg.det(jac)
        log_det = np.log(np.where(det > 0, det, 1.0))
        if self.sigma is not None:
            log_det = spectral_lowpass(log_det, self.grid, self.sigma, self.order)
        rhs = self.grad_log0 - self.taper * np.stack([diff(log_det) for diff in self.diffs])
        rhs = np.moveaxis(rhs, 0, -1)[..., None]  # (*shape, d, 1)
        jt = np.swapaxes(jac, -1, -2)
        ok = det > 0
        vel = np.zeros((*self.grid.shape, self.d))
        vel[ok] = np.linalg.solve(jt[ok], rhs[ok])[..., 0]
        # speed of the Lagrangian characteristics, |J^-1 v| (cells per unit time), for the
        # CFL limit of the explicit scheme
        sel = ok & self.carry
        if sel.any():
            lag = np.linalg.solve(jac[sel], vel[sel][..., None])[..., 0]
            lag /= np.array(self.grid.spacing)
            self.last_rate = float(np.abs(lag).max())
        else:
            self.last_rate = 0.0
        return np.moveaxis(vel, -1, 0)


#: Largest number of cells the Lagrangian characteristics may cross in one (sub)step, per
#: scheme (RK4 is stable for central advection up to about 2; Heun and Euler are weakly
#: unstable for it at any step, so they are kept lower).
_CFL = {"rk4": 2.0, "heun": 1.0, "euler": 0.5}


def _step_sizes(t_end: float, dt: float) -> list[float]:
    n = max(1, math.ceil(t_end / dt - 1e-9))
    return [dt] * (n - 1) + [t_end - (n - 1) * dt]


def continuous(
    rho0: Density,
    t_end: float,
    dt: float,
    smoothing: float | None = None,
    smoothing_order: int = 4,
    scheme: str = "rk4",
    acc: int = 4,
    min_singular: float = 1e-3,
    t_eval: Sequence[float] | None = None,
    pushforward_scheme: str = "auto",
    track: Sequence[str] | str = (),
) -> DAETrajectory:
    """The continuous Gaussian DAE of eq. (10): the flow of ``dx/dt = grad log mu_t(x)``.

    ``mu_t = phi_t # mu0`` is the flow's own pushforward; by Theorem 3.1 it solves the backward
    heat equation (11).  For ``mu0 = N(m0, S0)`` the flow is eq. (12),
    ``phi_t(x) = sqrt(I - 2t S0^-1)(x - m0) + m0``, singular at ``t = lambda_min(S0)/2``.

    Parameters
    ----------
    rho0 : Density
        ``mu0``: smooth and positive where it has mass (cells below ``1e-12`` of the peak are
        treated as empty: their particles move but carry no weight in the checks).
    t_end : float
        Final time ``> 0``.
    dt : float
        Time step ``> 0`` (the last step is shortened to land on ``t_end``).  A step is split
        into substeps where the CFL condition of the explicit scheme requires it: the
        linearised Lagrangian flow transports perturbations of the map at the speed
        ``|(grad phi)^-1 v|`` (in cells per unit time), and a substep may cross at most 2 cells
        (RK4), 1 (Heun) or 1/2 (Euler); substeps are counted in
        ``statistics["extra_substeps"]``.
    smoothing : float, optional
        Length ``s`` of the cosine-series filter applied to ``log det grad phi_t`` before it is
        differentiated -- the regularisation of the ill-posed backward flow (module
        docstring).  ``0`` switches it off; default ``4 max(h)``.
    smoothing_order : int
        Order ``p`` of the filter ``exp(-(|k| s)^(2p) / 2)`` (default 4).
    scheme : str
        ``"rk4"`` (default), ``"heun"`` (RK2) or ``"euler"``: explicit particle integrators.
    acc : int
        Accuracy order of the central differences on the initial grid: 2 or 4 (default); the
        end cells use second-order closures (stable, exact for the Gaussian case).
    min_singular : float
        The flow stops when the smallest singular value of ``grad phi_t`` on the cells with
        mass falls to this value (default ``1e-3``): the singular time is reached.
    t_eval : sequence of float, optional
        Times at which densities and maps are stored, each snapped to the nearest step
        (default: every step).  ``0`` and the last time are always stored.
    pushforward_scheme : str
        Scheme of the stored densities ``phi_t # mu0`` (:func:`wgflow.dae.pushforward`).
    track : sequence of str
        Trackers to record (see :meth:`DAETrajectory.track`).

    Returns
    -------
    DAETrajectory
        ``success`` is False (with the reason in ``message``) when the flow reached the
        singular time before ``t_end``; the trajectory up to the last regular step is kept.
    """
    rho0 = check_density(rho0, "rho0")
    t_end = check_positive("t_end", t_end)
    dt = check_positive("dt", dt)
    grid = rho0.grid
    if smoothing is None:
        smoothing = 4.0 * max(grid.spacing)
    elif (
        isinstance(smoothing, bool)
        or not isinstance(smoothing, (int, float, np.floating, np.integer))
        or not np.isfinite(smoothing)
        or smoothing < 0
    ):
        raise WgflowError(f"smoothing must be a length >= 0 (0: none), got {smoothing!r}")
    smoothing = float(smoothing)
    if not isinstance(pushforward_scheme, str) or pushforward_scheme not in PUSHFORWARD_SCHEMES:
        raise WgflowError(
            f"unknown pushforward_scheme {pushforward_scheme!r}; accepted: "
            f"{', '.join(map(repr, PUSHFORWARD_SCHEMES))}"
        )
    if not isinstance(scheme, str) or scheme not in CONTINUOUS_SCHEMES:
        raise WgflowError(
            f"unknown scheme {scheme!r}; accepted: {', '.join(map(repr, CONTINUOUS_SCHEMES))}"
        )
    if acc not in (2, 4) or isinstance(acc, bool):
        raise WgflowError(f"acc must be 2 or 4, got {acc!r}")
    min_singular = check_positive("min_singular", min_singular)

    steps = _step_sizes(t_end, dt)
    ends = np.cumsum(steps)
    if t_eval is None:
        store = set(range(len(steps)))
    else:
        t_arr = np.atleast_1d(np.asarray(t_eval, dtype=float))
        if not np.isfinite(t_arr).all() or (t_arr < 0).any() or (t_arr > t_end + 1e-12).any():
            raise WgflowError(f"t_eval must lie in [0, t_end = {t_end:g}], got {t_arr.tolist()}")
        store = {int(np.argmin(np.abs(ends - t))) for t in t_arr if t > 0} | {len(steps) - 1}

    smoothing_order = check_integer("smoothing_order", smoothing_order, 1)
    velocity = _LagrangianScore(rho0, smoothing, smoothing_order, acc, min_singular)
    phi = identity_map(grid)
    times, maps = [0.0], [phi.copy()]
    success, message = True, f"reached t_end = {t_end:g} in {len(steps)} steps"
    t = 0.0
    done = 0
    substeps = 0

    def advance(phi: np.ndarray, k1: np.ndarray, h: float) -> np.ndarray:
        if scheme == "euler":
            new = phi + h * k1
        elif scheme == "heun":
            k2 = velocity(phi + h * k1)
            new = phi + 0.5 * h * (k1 + k2)
        else:
            k2 = velocity(phi + 0.5 * h * k1)
            k3 = velocity(phi + 0.5 * h * k2)
            k4 = velocity(phi + h * k3)
            new = phi + h / 6.0 * (k1 + 2 * k2 + 2 * k3 + k4)
        smallest = velocity.smallest_singular(velocity.jacobian(new))
        if not smallest > min_singular:
            raise _Collapse(smallest)
        return new

    try:
        for i, h in enumerate(steps):
            remaining = h
            while remaining > 0:
                k1 = velocity(phi)
                # CFL: the characteristics of the linearised Lagrangian flow must not cross
                # more than _CFL cells per step (the explicit schemes are unstable beyond)
                sub = min(remaining, _CFL[scheme] / max(velocity.last_rate, 1e-300))
                if sub < remaining and remaining - sub < 1e-12 * h:
                    sub = remaining
                if sub < remaining:
                    substeps += 1
                phi = advance(phi, k1, sub)
                remaining -= sub
            t = float(ends[i])
            done = i + 1
            if i in store:
                times.append(t)
                maps.append(phi.copy())
    except _Collapse as exc:
        success = False
        value = exc.args[0]
        how = (
            "a non-positive Jacobian determinant (the map folds)"
            if value == -math.inf
            else f"smallest singular value of grad phi {value:.3g} <= min_singular = "
            f"{min_singular:g}"
        )
        message = (
            f"stopped at t = {t:.6g} < t_end = {t_end:g}: the flow map collapses in the next "
            f"step ({how}): the continuous DAE reached a singular time (for N(m0, S0) it is "
            "lambda_min(S0)/2, section 3.3), or, with little smoothing or rough data, it has "
            "amplified noise; raise smoothing if the data should allow going further"
        )
        if times[-1] != t:
            times.append(t)
            maps.append(phi.copy())

    densities, schemes, defects = [rho0], [], []
    for m in maps[1:]:
        pushed, info = pushforward_with_info(rho0, m, pushforward_scheme)
        densities.append(pushed)
        schemes.append(info.scheme)
        defects.append(info.mass_defect)
    traj = DAETrajectory(
        kind="continuous",
        times=np.asarray(times),
        densities=densities,
        maps=maps,
        success=success,
        message=message,
        settings={
            "dt": dt, "t_end": t_end, "smoothing": smoothing,
            "smoothing_order": smoothing_order, "scheme": scheme, "acc": acc,
            "min_singular": min_singular, "pushforward_scheme": pushforward_scheme,
        },
        statistics={
            "steps": done, "extra_substeps": substeps, "pushforward_schemes": schemes,
            "mass_defects": defects,
        },
    )
    return _finish(traj, track)
