"""Figures and axes of :mod:`wgflow.plotting`: the ``fig=`` and ``ax=`` arguments of its
convention (new Agg-backed figures when they are None), images of 2-D values on a grid's
box, and :func:`save_figure`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure, SubFigure
from matplotlib.image import AxesImage

from ..errors import WgflowError
from ..grid import Grid
from ..storage import atomic_write

#: What a ``fig=`` argument accepts.
FigureLike = Figure | SubFigure


def agg_figure(figsize: tuple[float, float]) -> Figure:
    """A new figure with constrained layout on an Agg canvas, not registered with pyplot."""
    fig = Figure(figsize=figsize, layout="constrained")
    FigureCanvasAgg(fig)
    return fig


def new_figure(fig: FigureLike | None, figsize: tuple[float, float]) -> FigureLike:
    """``fig`` itself (checked), or a new figure of size ``figsize`` when it is None."""
    if fig is None:
        return agg_figure(figsize)
    if not isinstance(fig, (Figure, SubFigure)):
        raise WgflowError(f"fig must be a matplotlib Figure or SubFigure, got {type(fig).__name__}")
    return fig


def new_axes(ax: Axes | None, figsize: tuple[float, float]) -> Axes:
    """``ax`` itself (checked), or the one axes of a new figure when it is None."""
    if ax is None:
        return agg_figure(figsize).add_subplot()
    if not isinstance(ax, Axes):
        raise WgflowError(f"ax must be a matplotlib Axes, got {type(ax).__name__}")
    return ax


def root(target: FigureLike | Axes) -> Figure:
    """The top-level figure of a figure, a subfigure or an axes."""
    figure = target.get_figure() if isinstance(target, Axes) else target
    if isinstance(figure, SubFigure):
        try:
            figure = figure.get_figure(root=True)  # matplotlib >= 3.10
        except TypeError:  # pragma: no cover - older matplotlib: .figure is the root
            figure = figure.figure
    assert isinstance(figure, Figure)  # an axes always belongs to a figure
    return figure


def draw_image(ax: Axes, values: np.ndarray, grid: Grid, **style: Any) -> AxesImage:
    """Draw 2-D ``values`` over the box of the first two axes of ``grid``: the first grid axis
    horizontal (``x``), the second vertical (``y``), equal aspect."""
    (x0, x1), (y0, y1) = grid.bounds[:2]
    return ax.imshow(values.T, origin="lower", extent=(x0, x1, y0, y1), aspect="equal", **style)


def output_path(path: str | Path, suffix: str) -> Path:
    """``path`` with ``suffix`` added when it has none; its parent folders are created."""
    path = Path(path)
    if not path.suffix:
        path = path.with_suffix(suffix)
    path.parent.mkdir(parents=True, exist_ok=True)
    return path


def save_figure(fig: FigureLike, path: str | Path, dpi: int = 120) -> Path:
    """Write ``fig`` to ``path`` (format from the suffix, ``.png`` when there is none).

    Parent folders are created; the file is replaced atomically
    (:func:`wgflow.storage.atomic_write`: a crash leaves the old file or the new one).
    Works without a display (Agg).

    Parameters
    ----------
    fig : Figure or SubFigure
        The figure, e.g. from :func:`~wgflow.plotting.plot_result` (a subfigure writes its
        whole top-level figure).
    path : str or Path
        Where to write it.
    dpi : int
        Resolution of raster formats.

    Returns
    -------
    Path
        The path written.

    Raises
    ------
    WgflowError
        If ``fig`` is not a matplotlib figure.
    """
    if not isinstance(fig, (Figure, SubFigure)):
        raise WgflowError(f"fig must be a matplotlib Figure, got {type(fig).__name__}")
    path = output_path(path, ".png")
    with atomic_write(path) as temporary:  # the same suffix: matplotlib sees the format
        root(fig).savefig(temporary, dpi=dpi)
    return path
