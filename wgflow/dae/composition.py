"""Deep DAEs on a grid: single DAEs, compositions (section 3.1) and the continuous DAE (eq. (10)).

* :func:`single` -- the family ``t -> Phi_t # mu0`` of single DAEs (Figure 2 top right, the
  dashed curve of Figure 3).
* :func:`compose` -- ``Phi^t_{0:L} = Phi_L o ... o Phi_0`` where layer ``l`` is the DAE of its own
  input ``mu_l = Phi_{l-1} # mu_{l-1}`` with noise variance ``tau_l`` (section 3.1).
* :func:`continuous` -- the flow ``phi_t`` of ``dx/dt = grad log mu_t(x)``, ``mu_t = phi_t # mu0``
  (Definition 3.1, eq. (10)), whose pushforward solves the backward heat equation (Theorem 3.1):
  ``wgflow.solve(BackwardHeat(), ..., method="lagrangian", maps=True)``
  (:class:`wgflow.solvers.LagrangianSolver`).

All three return a :class:`~wgflow.result.SolveResult` whose ``times`` are transport times
(cumulative noise variances), with the maps from ``mu0`` at the initial cell centres in
``maps``.  A single DAE or a composition is not the run of a solver: its result reads
``flow="dae"`` (the noise law is ``settings["noise"]``) and ``method="dae-single"`` or
``method="dae-composition"``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from ..density import Density
from ..errors import WgflowError, as_real_array, check_density
from ..flows import BackwardHeat
from ..result import SolveResult
from ..solve import solve
from . import tracking
from ._checks import check_noise_time
from .maps import dae_map, identity_map, interpolate_map
from .noise import NoiseLike, resolve_noise
from .pushforward import DEFAULT_MASS_TOL, PushforwardInfo, pushforward_with_info

__all__ = ["single", "compose", "continuous"]


def _noise_times(values: Sequence[float], name: str) -> np.ndarray:
    """Noise variances: a non-empty 1-D sequence of finite numbers ``> 0``."""
    try:
        arr = np.atleast_1d(as_real_array(name, values))
    except WgflowError as exc:
        raise WgflowError(f"{exc}; accepted: a non-empty 1-D sequence of numbers > 0") from None
    if arr.ndim != 1 or arr.size == 0:
        raise WgflowError(f"{name} must be a non-empty 1-D sequence of numbers > 0, got {values!r}")
    for i, v in enumerate(arr):
        check_noise_time(float(v), f"{name}[{i}]")
    return arr


def _result(
    method: str,
    times: np.ndarray,
    densities: list[Density],
    maps: list[np.ndarray],
    infos: list[PushforwardInfo],
    settings: dict[str, Any],
    names: Sequence[str] | str,
) -> SolveResult:
    """The :class:`SolveResult` of DAEs (trackers recorded at every density)."""
    series = tracking.track(densities, names, times) if names else {}
    series.pop("times", None)
    return SolveResult(
        times=times,
        densities=densities,
        tracked=series,
        tracked_times={name: times.copy() for name in series},
        success=True,
        message=f"{len(infos)} {'layers' if method == 'dae-composition' else 'single DAEs'}",
        flow="dae",
        method=method,
        settings=settings,
        statistics={
            "pushforward_schemes": [info.scheme for info in infos],
            "mass_defects": [info.mass_defect for info in infos],
        },
        maps=maps,
    )


def single(
    rho0: Density,
    times: Sequence[float],
    noise: NoiseLike = "gaussian",
    quadrature: str = "auto",
    scheme: str = "auto",
    track: Sequence[str] | str = (),
) -> SolveResult:
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
        Trackers to record at every density (:func:`wgflow.dae.track`).

    Returns
    -------
    SolveResult
        ``method="dae-single"``: ``densities[i] = Phi_t # mu0`` and ``maps[i] = Phi_t`` for
        ``t = times[i]``.
    """
    rho0 = check_density("rho0", rho0)
    ts = _noise_times(times, "times")
    law = resolve_noise(noise)
    densities, maps, infos = [rho0], [identity_map(rho0.grid)], []
    for t in ts:
        phi = dae_map(rho0, float(t), law, quadrature)
        pushed, info = pushforward_with_info(rho0, phi, scheme)
        densities.append(pushed)
        maps.append(phi)
        infos.append(info)
    settings = {"noise": law.name, "quadrature": quadrature, "scheme": scheme}
    return _result(
        "dae-single", np.concatenate([[0.0], ts]), densities, maps, infos, settings, track
    )


def compose(
    rho0: Density,
    taus: Sequence[float],
    noise: NoiseLike = "gaussian",
    quadrature: str = "auto",
    scheme: str = "auto",
    mass_tol: float = DEFAULT_MASS_TOL,
    track: Sequence[str] | str = (),
) -> SolveResult:
    """Composition of DAEs ``Phi^t_{0:L} = Phi_L o ... o Phi_0`` (section 3.1).

    Layer ``l`` is the DAE (eq. (4)) of its own input ``mu_l`` with noise variance ``tau_l``, and
    ``mu_{l+1} = Phi_l # mu_l``; the total time after layer ``l`` is ``tau_0 + ... + tau_l``.
    As ``max tau -> 0`` with the total time fixed, the composition approaches the continuous
    DAE at first order in ``tau`` (an Euler broken line of eq. (10); measured in the tests).

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
        Trackers to record at every density (:func:`wgflow.dae.track`).

    Returns
    -------
    SolveResult
        ``method="dae-composition"``, ``times[l] = tau_0 + ... + tau_{l-1}``,
        ``densities[l] = mu_l``, ``maps[l] = Phi_{0:l-1}`` at the initial cell centres (the
        layer maps interpolated at the moving points).  The map of layer ``l`` on the grid is
        ``dae_map(densities[l], taus[l], noise, quadrature)``, the same computation as here.

    Notes
    -----
    Each small DAE is a step of the ill-posed backward heat flow and amplifies perturbations
    (a mode of wavenumber k grows like ``exp(k^2 tau)``), so errors grow geometrically with the
    number of layers; the default pull-back pushforward injects errors near round-off for
    smooth data, which keeps tens of layers accurate in the bulk.  The tails go first: for
    ``N(0.3, 1)`` on a 400-cell grid, 40 layers of ``tau = 0.0075`` give densities within 8e-4
    (relative L1) of the exact recursion, but round-off in the composed map at 3.7 standard
    deviations grows by about 2.4 per layer (1e-14 after 10 layers, 2e-3 after 30, 0.12 after
    40).  The layer maps themselves stay accurate where each layer's input has mass.
    """
    rho0 = check_density("rho0", rho0)
    ts = _noise_times(taus, "taus")
    law = resolve_noise(noise)
    grid = rho0.grid
    points = grid.points.copy()
    rho = rho0
    densities, maps, infos = [rho0], [identity_map(grid)], []
    for tau in ts:
        phi = dae_map(rho, float(tau), law, quadrature)
        rho, info = pushforward_with_info(rho, phi, scheme, mass_tol)
        points = interpolate_map(grid, phi, points)
        densities.append(rho)
        maps.append(points.T.reshape((grid.ndim, *grid.shape)).copy())
        infos.append(info)
    settings = {
        "noise": law.name, "quadrature": quadrature, "scheme": scheme,
        "mass_tol": float(mass_tol), "taus": ts.tolist(),
    }
    return _result(
        "dae-composition", np.concatenate([[0.0], np.cumsum(ts)]), densities, maps, infos,
        settings, track,
    )


def continuous(
    rho0: Density,
    t_end: float,
    dt: float,
    t_eval: Sequence[float] | None = None,
    track: Sequence[str] = (),
    progress: bool = False,
    **options: Any,
) -> SolveResult:
    """The continuous Gaussian DAE of eq. (10): the flow of ``dx/dt = grad log mu_t(x)``.

    ``mu_t = phi_t # mu0`` is the flow's own pushforward; by Theorem 3.1 it solves the backward
    heat equation (11).  For ``mu0 = N(m0, S0)`` the flow is eq. (12),
    ``phi_t(x) = sqrt(I - 2t S0^-1)(x - m0) + m0``, singular at ``t = lambda_min(S0)/2``.
    This is ``wgflow.solve(BackwardHeat(), rho0, t_end, dt, method="lagrangian", maps=True)``.

    Parameters
    ----------
    rho0 : Density
        ``mu0``.
    t_end, dt, t_eval, track, progress
        As in :func:`wgflow.solve`.
    **options
        Options of :class:`~wgflow.solvers.LagrangianSolver`: ``smoothing``,
        ``smoothing_order``, ``integrator``, ``acc``, ``min_singular``, ``scheme``.

    Returns
    -------
    SolveResult
        With the maps ``phi_t`` at the stored times; ``success`` is False (with the reason in
        ``message``) when the flow reached the singular time before ``t_end``, and the
        trajectory up to the last regular step is kept.
    """
    return solve(
        BackwardHeat(), rho0, t_end, dt, method="lagrangian", track=track, t_eval=t_eval,
        progress=progress, maps=True, **options,
    )
