"""Pictures of densities: a row of snapshots (:func:`plot_snapshots`) and an animated GIF
(:func:`animate_densities`)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
from matplotlib import colormaps
from matplotlib.artist import Artist
from matplotlib.colors import Colormap, Normalize
from matplotlib.figure import Figure
from numpy.typing import ArrayLike

from ..density import Density
from ..errors import WgflowError, check_integer
from ..storage import atomic_write
from ._checks import check_densities, check_times, check_view, select
from .figures import FigureLike, agg_figure, draw_image, new_figure, output_path, root

#: Default most snapshots drawn by :func:`plot_snapshots` (evenly chosen, first and last kept).
MAX_SNAPSHOTS = 6


def time_label(times: np.ndarray | None, index: int) -> str:
    """``"t = ..."`` for density ``index`` of a trajectory, ``"#index"`` without times."""
    return f"#{index}" if times is None else f"t = {times[index]:.4g}"


def _colormap(cmap: str) -> Colormap:
    try:
        return colormaps[cmap]
    except KeyError:
        raise WgflowError(f"unknown matplotlib colour map {cmap!r}") from None


def plot_snapshots(
    densities: Density | Sequence[Density],
    times: ArrayLike | None = None,
    *,
    labels: Sequence[str] | None = None,
    max_snapshots: int | None = MAX_SNAPSHOTS,
    cmap: str = "viridis",
    view: Sequence[Sequence[float]] | None = None,
    title: str | None = None,
    fig: FigureLike | None = None,
) -> Figure:
    """Draw densities side by side.

    * 1-D: all curves on one axes, coloured from early (dark) to late (light);
    * 2-D: one image per density in a row, with a shared colour scale and one colour bar;
    * 3-D: the same for the middle slice along the last axis (its coordinate is shown).

    Parameters
    ----------
    densities : Density or sequence of Density
        Densities of one dimension (1, 2 or 3), e.g. ``result.densities``.
    times : sequence of float, optional
        One time per density (e.g. ``result.times``), used in legends and titles.
    labels : sequence of str, optional
        One label per density; overrides the ``t = ...`` labels (e.g. ``"exact"``).
    max_snapshots : int or None
        Draw at most this many densities, evenly chosen with the first and last kept
        (default 6); ``None`` draws all.
    cmap : str
        Matplotlib colour map of the 2-D/3-D images and of the 1-D curve colours.
    view : sequence of (lo, hi), optional
        The part of the box to show: ``[(x0, x1)]`` in 1-D, ``[(x0, x1), (y0, y1)]`` in
        2-D/3-D (default the whole box).
    title : str, optional
        Title of the picture.
    fig : Figure or SubFigure, optional
        Draw into this (empty) figure instead of a new one.

    Returns
    -------
    matplotlib.figure.Figure
        The top-level figure drawn on.

    Raises
    ------
    WgflowError
        If ``densities`` is empty or not made of :class:`~wgflow.density.Density` of one
        dimension, or ``times``/``labels``/``view``/``cmap``/``max_snapshots`` do not fit it.
    """
    items = check_densities(densities)
    time_array = None if times is None else check_times(times, len(items))
    if labels is not None and len(labels) != len(items):
        raise WgflowError(
            f"labels must hold one label per density: {len(items)} densities, "
            f"{len(labels)} labels"
        )
    chosen = select(len(items), max_snapshots)
    names = [time_label(time_array, i) if labels is None else str(labels[i]) for i in chosen]
    grid = items[0].grid
    limits = check_view(view, grid.ndim)
    colormap = _colormap(cmap)

    if grid.ndim == 1:
        fig = new_figure(fig, (6.4, 4.0))
        ax = fig.add_subplot()
        for shade, index, name in zip(np.linspace(0.0, 0.85, len(chosen)), chosen, names):
            ax.plot(grid.axes[0], items[index].values, color=colormap(shade), label=name)
        ax.set(xlabel="x", ylabel="density", xlim=limits[0] if limits else grid.bounds[0])
        ax.set_ylim(bottom=0.0)
        ax.legend(fontsize="small", frameon=False)
        ax.grid(alpha=0.3)
        if title:
            ax.set_title(title)
        return root(fig)

    # 2-D and 3-D: a row of images with one colour scale (the middle z-slice in 3-D)
    fig = new_figure(fig, (2.6 * len(chosen) + 1.2, 3.2))
    axes = fig.subplots(1, len(chosen), sharex=True, sharey=True, squeeze=False)[0]
    middle = (slice(None), slice(None), grid.shape[-1] // 2) if grid.ndim == 3 else ...
    slices = [items[i].values[middle] for i in chosen]
    vmax = max(float(np.max(s)) for s in slices)
    norm = Normalize(vmin=0.0, vmax=vmax if vmax > 0 else 1.0)
    for ax, values, name in zip(axes, slices, names):
        image = draw_image(ax, values, grid, cmap=colormap, norm=norm, interpolation="nearest")
        ax.set_title(name, fontsize="medium")
        ax.set_xlabel("x")
        if limits:
            ax.set(xlim=limits[0], ylim=limits[1])
    axes[0].set_ylabel("y")
    fig.colorbar(image, ax=list(axes), shrink=0.9, label="density")
    if grid.ndim == 3:
        note = f"middle slice z = {grid.axes[2][grid.shape[2] // 2]:.3g}"
        title = f"{title} ({note})" if title else note
    if title:
        fig.suptitle(title)
    return root(fig)


def animate_densities(
    densities: Sequence[Density],
    times: ArrayLike,
    path: str | Path,
    *,
    fps: int = 5,
    cmap: str = "viridis",
    title: str | None = None,
) -> Path:
    """Write an animated GIF of densities (1-D curves or 2-D images) with PillowWriter.

    Parameters
    ----------
    densities : sequence of Density
        The frames, all of one dimension (1 or 2).
    times : sequence of float
        One time per frame (shown in the title).
    path : str or Path
        Output file (``.gif`` added when there is no suffix); parent folders are created.
    fps : int
        Frames per second (``>= 1``).
    cmap : str
        Colour map of 2-D frames.
    title : str, optional
        Text put before the time in each frame's title.

    Returns
    -------
    Path
        The written file.

    Raises
    ------
    WgflowError
        If ``densities`` is empty, of mixed or unsupported dimension, ``times`` does not
        match it, or ``fps`` is not a positive integer.
    """
    from matplotlib.animation import FuncAnimation, PillowWriter

    items = check_densities(densities)
    grid = items[0].grid
    if grid.ndim not in (1, 2):
        raise WgflowError(f"animate_densities draws 1-D and 2-D densities, got {grid.ndim}-D")
    time_array = check_times(times, len(items))
    fps = check_integer("fps", fps)
    path = output_path(path, ".gif")
    fig = agg_figure((5.0, 4.0))
    ax = fig.add_subplot()
    vmax = max(float(np.max(rho.values)) for rho in items) or 1.0
    if grid.ndim == 1:
        (line,) = ax.plot(grid.axes[0], items[0].values)
        ax.set(ylim=(0.0, 1.05 * vmax), xlabel="x", ylabel="density")

        def draw(k: int) -> Artist:
            line.set_ydata(items[k].values)
            return line
    else:
        image = draw_image(ax, items[0].values, grid, cmap=_colormap(cmap), vmin=0.0, vmax=vmax)
        fig.colorbar(image, ax=ax, label="density")
        ax.set(xlabel="x", ylabel="y")

        def draw(k: int) -> Artist:
            image.set_data(items[k].values.T)
            return image

    def update(k: int) -> tuple[Artist]:
        ax.set_title(f"{title + ': ' if title else ''}t = {time_array[k]:.4g}")
        return (draw(k),)

    update(0)
    with atomic_write(path) as temporary:
        FuncAnimation(fig, update, frames=len(items)).save(
            str(temporary), writer=PillowWriter(fps=fps)
        )
    return path
