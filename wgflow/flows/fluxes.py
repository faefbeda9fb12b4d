"""Face fluxes of the finite-volume discretisation (the flux form ``d_t rho = -div J``).

The grid is cell-centred; the fluxes live on the interior faces (``n - 1`` along each
axis) and the walls carry none, so a finite-volume update changes the total mass only by
round-off.  Each flux below comes with its *outflow rate* ``r_i``: the sum over the faces
of cell i of the coefficients with which its own value leaves it.  An explicit Euler
sub-step ``dt_sub`` is a non-negative combination of the old values, hence keeps
positivity, when ``dt_sub * max_i r_i <= 1``.

- :func:`diffusion_fluxes`: ``J = -(u_{i+1} - u_i) / h`` for ``d_t rho = Lap u``, second
  order in h; with ``u = P(rho)`` the rate is ``sum_k 2 / h_k^2 * max P'(rho)``.
- :func:`upwind_fluxes`: ``J = rho_upwind v`` for a face velocity ``v``, first order.
- :func:`muscl_fluxes`: a minmod-limited MUSCL reconstruction of the face values (second
  order where the solution is smooth, first order at extrema).
- :class:`ScharfetterGummelFluxes`: the exponentially fitted flux of
  ``J = -(grad rho + rho grad V)``, ``J = (B(dV) rho_i - B(-dV) rho_{i+1}) / h`` with
  ``B(x) = x / (e^x - 1)``: centred for small ``dV``, upwind for large ``dV``, and with the
  exact discrete equilibrium ``exp(-V_i) / Z``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from ..grid import Grid
from .base import Fluxes

Slices = tuple[slice, ...]


def shift_slices(ndim: int, axis: int) -> tuple[Slices, Slices]:
    """Index of the cells left (``lo``) and right (``hi``) of the interior faces on ``axis``."""
    lo = [slice(None)] * ndim
    hi = [slice(None)] * ndim
    lo[axis] = slice(None, -1)
    hi[axis] = slice(1, None)
    return tuple(lo), tuple(hi)


def outflow_rate(
    out_right: list[np.ndarray], out_left: list[np.ndarray], shape: tuple[int, ...]
) -> np.ndarray:
    """Per-cell rate ``sum_k`` (coefficient leaving through the right face + the left face)."""
    rate = np.zeros(shape)
    for axis, (right, left) in enumerate(zip(out_right, out_left)):
        pad_r = [(0, 0)] * len(shape)
        pad_l = [(0, 0)] * len(shape)
        pad_r[axis] = (0, 1)
        pad_l[axis] = (1, 0)
        rate += np.pad(right, pad_r) + np.pad(left, pad_l)
    return rate


def laplacian_rate(grid: Grid) -> float:
    """``sum_k 2 / h_k^2``: the outflow rate of :func:`diffusion_fluxes` per unit of
    ``P'(rho)``."""
    return sum(2.0 / h**2 for h in grid.spacing)


def diffusion_fluxes(u: np.ndarray, grid: Grid) -> list[np.ndarray]:
    """``J = -(u_{i+1} - u_i) / h`` on every axis: the fluxes of ``d_t rho = Lap u``."""
    return [-np.diff(u, axis=axis) / h for axis, h in enumerate(grid.spacing)]


def upwind_fluxes(
    rho: np.ndarray, velocities: list[np.ndarray], grid: Grid
) -> tuple[list[np.ndarray], np.ndarray]:
    """Upwind fluxes ``rho v`` for face velocities ``v`` and the per-cell outflow rate."""
    fluxes, out_r, out_l = [], [], []
    for axis, (v, h) in enumerate(zip(velocities, grid.spacing)):
        lo, hi = shift_slices(grid.ndim, axis)
        vp, vm = np.maximum(v, 0.0), np.minimum(v, 0.0)
        fluxes.append(vp * rho[lo] + vm * rho[hi])
        out_r.append(vp / h)
        out_l.append(-vm / h)
    return fluxes, outflow_rate(out_r, out_l, grid.shape)


def _minmod(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.where(a * b > 0, np.sign(a) * np.minimum(np.abs(a), np.abs(b)), 0.0)


def muscl_fluxes(
    rho: np.ndarray, velocities: list[np.ndarray], grid: Grid
) -> tuple[list[np.ndarray], np.ndarray]:
    """Fluxes ``rho v`` with minmod-limited MUSCL face values and the outflow rate (the
    face values are at most ``2 rho_i``, so the rate is twice the upwind one)."""
    fluxes, out_r, out_l = [], [], []
    for axis, (v, h) in enumerate(zip(velocities, grid.spacing)):
        lo, hi = shift_slices(grid.ndim, axis)
        vp, vm = np.maximum(v, 0.0), np.minimum(v, 0.0)
        pad = [(0, 0)] * grid.ndim
        pad[axis] = (1, 1)
        jumps = np.pad(np.diff(rho, axis=axis), pad)  # zero jump beyond the walls
        slope = _minmod(jumps[lo], jumps[hi])
        fluxes.append(vp * (rho + slope / 2)[lo] + vm * (rho - slope / 2)[hi])
        out_r.append(2.0 * vp / h)
        out_l.append(-2.0 * vm / h)
    return fluxes, outflow_rate(out_r, out_l, grid.shape)


class PressureDiffusionFluxes(Fluxes):
    """The fluxes of ``d_t rho = Lap P(rho)`` (heat: ``P(rho) = rho``; porous medium:
    ``P(rho) = rho^m``).

    Parameters
    ----------
    grid : Grid
    pressure : callable
        ``P``, applied to the cell values.
    max_derivative : callable
        ``max_i P'(rho_i)`` of the cell values (the rate is ``laplacian_rate * max P'``).
    name : str
        The flux in words, for ``settings``.
    """

    def __init__(
        self,
        grid: Grid,
        pressure: Callable[[np.ndarray], np.ndarray],
        max_derivative: Callable[[np.ndarray], float],
        name: str,
    ):
        self.grid = grid
        self.pressure = pressure
        self.max_derivative = max_derivative
        self.name = name

    def __call__(self, rho: np.ndarray, t: float) -> tuple[list[np.ndarray], float]:
        rate = laplacian_rate(self.grid) * self.max_derivative(rho)
        return diffusion_fluxes(self.pressure(rho), self.grid), rate

    def settings(self) -> dict[str, Any]:
        return {"order": 2, "flux": self.name}


def _bernoulli(x: np.ndarray) -> np.ndarray:
    """``B(x) = x / (e^x - 1)``, with ``B(0) = 1``, stable for large ``|x|``."""
    small = np.abs(x) < 1e-8
    safe = np.where(small, 1.0, x)
    with np.errstate(over="ignore"):
        value = safe / np.expm1(safe)
    return np.where(small, 1.0 - x / 2.0, value)


class ScharfetterGummelFluxes(Fluxes):
    """Scharfetter--Gummel fluxes of ``d_t rho = Lap rho + div(rho grad V)`` (module
    docstring), second order in h.

    Parameters
    ----------
    grid : Grid
    potential : ndarray
        ``V`` at the cell centres.
    """

    def __init__(self, grid: Grid, potential: np.ndarray):
        self.grid = grid
        self.coefficients = []
        out_r, out_l = [], []
        for axis, h in enumerate(grid.spacing):
            dv = np.diff(potential, axis=axis)
            b_lo, b_hi = _bernoulli(dv) / h, _bernoulli(-dv) / h
            self.coefficients.append((b_lo, b_hi))
            out_r.append(b_lo / h)
            out_l.append(b_hi / h)
        self.rate = float(outflow_rate(out_r, out_l, grid.shape).max())

    def __call__(self, rho: np.ndarray, t: float) -> tuple[list[np.ndarray], float]:
        fluxes = []
        for axis, (b_lo, b_hi) in enumerate(self.coefficients):
            lo, hi = shift_slices(self.grid.ndim, axis)
            fluxes.append(b_lo * rho[lo] - b_hi * rho[hi])
        return fluxes, self.rate

    def settings(self) -> dict[str, Any]:
        return {"order": 2, "flux": "Scharfetter-Gummel"}
