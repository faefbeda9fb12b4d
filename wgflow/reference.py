"""Reference solutions by an independent, finer computation, where no closed form exists.

A backward flow is tested on *well-prepared* data: a known density pushed forward by the
forward flow, then driven back.  Where the forward flow has no closed form (two porous-medium
bumps that merge, an off-centre non-symmetric bump), :func:`fine_reference` computes it by
another method (finite volumes by default, not the JKO scheme under test) on a grid
``refine`` times finer per axis and returns the *cell averages* on the test grid: the data
and the reference are then in the same convention, and the reference's own error is that
of the finer run (second order in the cell width: ``refine^2`` times smaller).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from .density import Density
from .errors import WgflowError, check_integer
from .flows import Flow
from .grid import Grid
from .solve import solve


def refined(grid: Grid, refine: int) -> Grid:
    """The grid of the same box with ``refine`` times more cells per axis."""
    refine = check_integer("refine", refine, 1)
    return Grid(grid.bounds, tuple(n * refine for n in grid.shape))


def cell_averages(rho: Density, grid: Grid) -> Density:
    """The averages of ``rho`` over the cells of the coarser ``grid`` of the same box.

    Parameters
    ----------
    rho : Density
        On a grid of the same box whose cell counts are multiples of ``grid``'s.
    grid : Grid

    Returns
    -------
    Density
        On ``grid``, with the same mass (and age).

    Raises
    ------
    WgflowError
        If the boxes differ or a cell count is not a multiple.
    """
    fine = rho.grid
    factors = [n // m for n, m in zip(fine.shape, grid.shape)]
    if (
        fine.ndim != grid.ndim
        or not np.allclose(fine.bounds, grid.bounds)
        or any(f * m != n for f, m, n in zip(factors, grid.shape, fine.shape))
    ):
        raise WgflowError(
            f"cannot average a density on {fine} onto {grid}: the boxes must agree and each "
            "cell count be a multiple of the coarse one"
        )
    shape = [size for m, f in zip(grid.shape, factors) for size in (m, f)]
    values = rho.values.reshape(shape).mean(axis=tuple(range(1, 2 * grid.ndim, 2)))
    return Density(grid, values, age=rho.age)


#: Most steps of a fine reference run.
MAX_STEPS = 1_000_000


def _common_step(times: np.ndarray) -> float:
    """The longest step of at most a tenth of the shortest interval between ``0, *times``
    of which every time is a multiple (``times`` increasing, > 0)."""
    shortest = np.diff(np.concatenate([[0.0], times])).min()
    first = math.ceil(times[-1] / (shortest / 10.0) - 1e-9)
    if first > MAX_STEPS:
        raise WgflowError(
            f"times {times.tolist()} are too close for a fine run: a tenth of their shortest "
            f"interval is {shortest / 10:.3g}, more than {MAX_STEPS} steps"
        )
    for count in range(first, min(1000 * first, MAX_STEPS) + 1):
        multiples = times * count / times[-1]
        if np.allclose(multiples, np.rint(multiples), rtol=0.0, atol=1e-9 * count):
            return float(times[-1] / count)
    raise WgflowError(
        f"times must be multiples of a common step, got {times.tolist()}"
    )


def fine_reference(
    flow: Flow,
    initial: Callable[..., np.ndarray],
    grid: Grid,
    times: Sequence[float],
    refine: int = 4,
    method: str = "finite-volume",
    **options: Any,
) -> list[Density]:
    """The flow of a known initial density, computed on a finer grid and averaged onto
    ``grid`` at each of ``times``.

    Parameters
    ----------
    flow : Flow
        A forward flow (e.g. ``wg.flows.PorousMedium(2)``).
    initial : callable
        The initial density as a function of the coordinate arrays (as
        :meth:`Density.from_function`), sampled at the fine cell centres.
    grid : Grid
        The test grid.
    times : sequence of float
        Increasing times ``>= 0`` at which the reference is wanted.
    refine : int
        Cells per axis of the fine grid per cell of ``grid`` (default 4).
    method : str
        The fine run's solver (default ``"finite-volume"``, independent of the JKO scheme).
    **options
        Passed to :func:`wgflow.solve`.

    Returns
    -------
    list of Density
        The cell averages on ``grid`` at each time.

    Raises
    ------
    WgflowError
        If ``times`` are not increasing and ``>= 0`` or have no common step, or the fine
        run fails.
    """
    at = np.asarray(times, dtype=float)
    if at.ndim != 1 or at.size == 0 or (at < 0).any() or (np.diff(at) <= 0).any():
        raise WgflowError(f"times must be increasing numbers >= 0, got {at.tolist()}")
    rho = Density.from_function(refined(grid, refine), initial)
    later = at[at > 0]
    if later.size == 0:
        return [cell_averages(rho, grid)]
    dt = _common_step(later)
    result = solve(flow, rho, later[-1], dt, method=method, t_eval=later.tolist(), **options)
    if not result.success:
        raise WgflowError(f"the fine reference run failed: {result.message}")
    stored = dict(zip(np.round(result.times / dt).astype(int), result.densities))
    return [cell_averages(rho if t == 0 else stored[k], grid)
            for t, k in zip(at, np.rint(at / dt).astype(int))]
