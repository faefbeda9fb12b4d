"""Pictures of transport maps: particle paths (:func:`plot_trajectories`, Figure 2 of the
paper) and displacement fields ``T(x) - x`` (:func:`plot_displacement`)."""

from __future__ import annotations

from typing import Any

import numpy as np
from matplotlib import colormaps
from matplotlib.axes import Axes
from matplotlib.colors import is_color_like
from matplotlib.figure import Figure
from numpy.typing import ArrayLike

from ..density import Density
from ..errors import WgflowError, check_integer, check_positive
from ..grid import Grid
from ._checks import check_times
from .figures import draw_image, new_axes, root


def _finite_array(name: str, values: ArrayLike, shape: str) -> np.ndarray:
    """``values`` as a finite float array (``shape`` describes the expected shape)."""
    try:
        array = np.asarray(values, dtype=float)
    except (TypeError, ValueError):
        raise WgflowError(f"{name} must be a numeric array of shape {shape}") from None
    if not np.isfinite(array).all():
        raise WgflowError(f"{name} must be finite")
    return array


def plot_trajectories(
    paths: ArrayLike,
    times: ArrayLike | None = None,
    midpoint_every: float | None = None,
    *,
    ax: Axes | None = None,
    color: Any = None,
    linewidth: float = 0.8,
    markersize: float = 2.5,
    label: str | None = None,
) -> Figure:
    """Draw particle paths in the plane, in the style of Figure 2 of the paper.

    Each particle is a line from its start to its end; when ``midpoint_every`` is given,
    dots mark its positions at the times ``0, midpoint_every, 2 midpoint_every, ...``
    (the nearest stored times), so that the speed along the path can be read.

    Parameters
    ----------
    paths : array_like
        Positions of shape ``(T, n, 2)``: ``T`` times, ``n`` particles (e.g. the output of
        :func:`wgflow.gaussian.trajectories` for 2-D points).
    times : sequence of float, optional
        The ``T`` times of ``paths`` (needed with ``midpoint_every``; default ``0, 1, ...``).
    midpoint_every : float, optional
        Time between two dots (``> 0``); ``None`` draws no dots.
    ax : matplotlib Axes, optional
        Draw into these axes instead of a new figure.
    color : colour or sequence of colours, optional
        One colour for all particles, or one per particle (default: a colour map over the
        particles).
    linewidth, markersize : float
        Line width and dot size.
    label : str, optional
        Legend label (given to the first particle only).

    Returns
    -------
    matplotlib.figure.Figure
        The top-level figure drawn on.

    Raises
    ------
    WgflowError
        If ``paths`` is not a non-empty finite ``(T, n, 2)`` array, ``times`` does not match
        it, ``midpoint_every`` is not positive, ``color`` is not one colour or one per
        particle, or ``ax`` is not an Axes.
    """
    arr = _finite_array("paths", paths, "(T, n, 2)")
    if arr.ndim != 3 or arr.shape[-1] != 2:
        raise WgflowError(
            f"paths must have shape (T, n, 2) (times, particles, 2-D positions), got {arr.shape}"
        )
    count, particles = arr.shape[:2]
    if count == 0 or particles == 0:
        raise WgflowError(f"nothing to plot: the trajectory is empty (shape {arr.shape})")
    time_array = np.arange(count, dtype=float) if times is None else check_times(times, count)
    marks: list[int] = []
    if midpoint_every is not None:
        every = check_positive("midpoint_every", midpoint_every)
        t0, t1 = float(time_array.min()), float(time_array.max())
        targets = np.arange(t0, t1 + 1e-9 * max(1.0, abs(t1)), every)
        marks = sorted({int(np.argmin(np.abs(time_array - s))) for s in targets})
    if color is None:
        colours = [colormaps["viridis"](s) for s in np.linspace(0.0, 0.9, particles)]
    elif is_color_like(color):
        colours = [color] * particles
    else:
        colours = list(color) if np.iterable(color) else []
        if len(colours) != particles or not all(is_color_like(c) for c in colours):
            raise WgflowError(
                f"color must be one colour or one colour per particle: {particles} particles, "
                f"got {color!r}"
            )
    ax = new_axes(ax, (5.0, 4.0))
    for j in range(particles):
        ax.plot(arr[:, j, 0], arr[:, j, 1], color=colours[j], lw=linewidth,
                label=label if j == 0 else None)
        if marks:
            ax.plot(arr[marks, j, 0], arr[marks, j, 1], "o", color=colours[j], ms=markersize,
                    mec="none")
    ax.set_aspect("equal", adjustable="box")
    ax.set(xlabel="x", ylabel="y")
    return root(ax)


def plot_displacement(
    grid: Grid,
    map_values: ArrayLike,
    step: int = 4,
    *,
    ax: Axes | None = None,
    density: Density | None = None,
    title: str | None = None,
) -> Figure:
    """Quiver plot of the displacement ``T(x) - x`` of a 2-D map on a grid.

    Parameters
    ----------
    grid : Grid
        A 2-D grid.
    map_values : array_like
        The map at the cell centres, shape ``(2, nx, ny)`` (as :func:`wgflow.dae.dae_map`).
    step : int
        Draw one arrow every ``step`` cells along each axis (``>= 1``).
    ax : matplotlib Axes, optional
        Draw into these axes instead of a new figure.
    density : Density, optional
        A 2-D density drawn underneath as an image (e.g. the data ``mu0``).
    title : str, optional
        Title of the axes.

    Returns
    -------
    matplotlib.figure.Figure
        The top-level figure drawn on.

    Raises
    ------
    WgflowError
        If the grid is not 2-D, ``map_values`` does not have shape ``(2, nx, ny)`` or is not
        finite, ``step`` is not a positive integer, ``density`` is not a 2-D Density, or
        ``ax`` is not an Axes.
    """
    if not isinstance(grid, Grid):
        raise WgflowError(f"grid must be a wgflow Grid, got {type(grid).__name__}")
    if grid.ndim != 2:
        raise WgflowError(f"plot_displacement needs a 2-D grid, got a {grid.ndim}-D grid")
    values = _finite_array("map_values", map_values, "(2, nx, ny)")
    if values.shape != (2, *grid.shape):
        raise WgflowError(
            f"map_values must have shape {(2, *grid.shape)} for this grid, got {values.shape}"
        )
    step = check_integer("step", step)
    if density is not None and (not isinstance(density, Density) or density.grid.ndim != 2):
        raise WgflowError("density must be a 2-D wgflow Density")
    ax = new_axes(ax, (5.0, 4.4))
    if density is not None:
        draw_image(ax, density.values, grid, cmap="Greys", alpha=0.5)
    x, y = grid.coordinates
    u, v = values[0] - x, values[1] - y
    sl = (slice(step // 2, None, step), slice(step // 2, None, step))
    quiver = ax.quiver(x[sl], y[sl], u[sl], v[sl], np.hypot(u[sl], v[sl]), cmap="viridis",
                       angles="xy", scale_units="xy", scale=1.0, width=0.004)
    root(ax).colorbar(quiver, ax=ax, shrink=0.85, label="|T(x) - x|")
    ax.set(xlim=grid.bounds[0], ylim=grid.bounds[1], aspect="equal", xlabel="x", ylabel="y")
    if title:
        ax.set_title(title)
    return root(ax)
