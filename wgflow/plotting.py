"""Pictures of trajectories: density snapshots and tracked functionals against time.

Every function builds a :class:`matplotlib.figure.Figure` and returns it, so that the caller
can restyle it (``fig.axes``, ``fig.suptitle``, ...) before saving it with
:func:`save_figure`.  New figures are *not* registered with :mod:`matplotlib.pyplot`: they
work with any backend (Agg included, no display needed), do not accumulate in pyplot's
figure list, and show in Jupyter when returned from a cell.  To draw into a pyplot window
instead, pass ``fig=plt.figure()`` and call ``plt.show()``.

Conventions: values are densities per unit volume (DESIGN.md section 1); 2-D densities are
drawn with the first grid axis horizontal (``x``) and the second vertical (``y``); 3-D
densities are shown by their middle slice along the last axis.

Examples
--------
>>> import wgflow as wg
>>> from wgflow.plotting import plot_result, save_figure
>>> grid = wg.Grid([(-2, 2)], 64)
>>> rho0 = wg.exact.heat_gaussian(grid, 0.0, 0.05, 0.0)
>>> res = wg.solve(wg.flows.Heat(), rho0, t_end=0.01, dt=5e-3, track=["shannon"])
>>> fig = plot_result(res)
>>> path = save_figure(fig, "heat.png")  # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
from matplotlib import colormaps
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.colors import Normalize
from matplotlib.figure import Figure, SubFigure

from .density import Density
from .errors import WgflowError, check_integer
from .result import SolveResult

__all__ = ["plot_snapshots", "plot_tracked", "plot_result", "save_figure"]

#: Default most snapshots drawn by :func:`plot_snapshots` (evenly chosen, first and last kept).
MAX_SNAPSHOTS = 6

#: Readable labels of tracker names (others are shown as they are).
LABELS = {
    "shannon": "Shannon entropy H",
    "mass": "mass",
    "energy": "energy F",
    "w2": "W2 to the initial density",
}

FigureLike = Figure | SubFigure


# ---------------------------------------------------------------------------------------
# helpers
# ---------------------------------------------------------------------------------------
def _new_figure(fig: FigureLike | None, figsize: tuple[float, float]) -> FigureLike:
    """``fig`` itself, or a new Agg-backed figure with constrained layout."""
    if fig is None:
        fig = Figure(figsize=figsize, layout="constrained")
        FigureCanvasAgg(fig)
        return fig
    if not isinstance(fig, (Figure, SubFigure)):
        raise WgflowError(f"fig must be a matplotlib Figure or SubFigure, got {type(fig).__name__}")
    return fig


def _root(fig: FigureLike) -> Figure:
    """The top-level Figure of a figure or subfigure."""
    if isinstance(fig, SubFigure):
        try:
            return fig.get_figure(root=True)  # matplotlib >= 3.10
        except TypeError:  # pragma: no cover - older matplotlib: .figure is the root
            return fig.figure
    return fig


def _label(name: str) -> str:
    kind, _, order = name.partition(":")
    if kind == "renyi" and order:
        return f"Rényi entropy R_{order}"
    if kind == "tsallis" and order:
        return f"Tsallis entropy S_{order}"
    return LABELS.get(name, name)


def _as_density_list(densities: Density | Sequence[Density]) -> list[Density]:
    if isinstance(densities, Density):
        densities = [densities]
    if isinstance(densities, np.ndarray):
        raise WgflowError(
            "plot_snapshots takes wgflow Density objects (they carry the grid); wrap an "
            "array with wg.Density(grid, values)"
        )
    try:
        items = list(densities)
    except TypeError:
        raise WgflowError(
            f"densities must be a Density or a sequence of Density, got {type(densities).__name__}"
        ) from None
    if not items:
        raise WgflowError("nothing to plot: the sequence of densities is empty")
    for index, item in enumerate(items):
        if not isinstance(item, Density):
            raise WgflowError(
                f"densities[{index}] is a {type(item).__name__}, not a wgflow Density"
            )
    grid = items[0].grid
    for index, item in enumerate(items[1:], start=1):
        if item.grid.ndim != grid.ndim:
            raise WgflowError(
                f"all densities must have the same dimension: densities[0] is {grid.ndim}-D, "
                f"densities[{index}] is {item.grid.ndim}-D"
            )
    if grid.ndim not in (1, 2, 3):  # pragma: no cover - Grid allows 1 to 3 only
        raise WgflowError(f"cannot plot {grid.ndim}-D densities; 1-D, 2-D and 3-D are supported")
    return items


def _as_times(times: Sequence[float] | np.ndarray | None, count: int) -> np.ndarray | None:
    if times is None:
        return None
    try:
        array = np.asarray(times, dtype=float).reshape(-1)
    except (TypeError, ValueError):
        raise WgflowError(f"times must be a sequence of numbers, got {times!r}") from None
    if array.shape != (count,):
        raise WgflowError(
            f"times must hold one time per density: {count} densities, {array.size} times"
        )
    if not np.isfinite(array).all():
        raise WgflowError(f"times must be finite, got {array.tolist()}")
    return array


def _select(count: int, maximum: int | None) -> list[int]:
    """Up to ``maximum`` evenly spaced indices of ``range(count)``, first and last included."""
    if maximum is None or count <= maximum:
        return list(range(count))
    check_integer("max_snapshots", maximum)
    if maximum == 1:
        return [count - 1]
    return sorted({int(round(k)) for k in np.linspace(0, count - 1, maximum)})


def _check_view(view: Sequence[Sequence[float]] | None, ndim: int) -> list[tuple[float, float]] | None:
    """The axis limits to show: one ``(lo, hi)`` pair per drawn axis (1 in 1-D, else 2)."""
    if view is None:
        return None
    needed = 1 if ndim == 1 else 2
    try:
        pairs = [(float(lo), float(hi)) for lo, hi in view]
    except (TypeError, ValueError):
        raise WgflowError(f"view must be a sequence of (lo, hi) pairs, got {view!r}") from None
    if len(pairs) != needed or not all(
        np.isfinite(lo) and np.isfinite(hi) and lo < hi for lo, hi in pairs
    ):
        raise WgflowError(
            f"view must hold {needed} finite (lo, hi) pair{'s' if needed > 1 else ''} with "
            f"lo < hi for {ndim}-D densities, got {view!r}"
        )
    return pairs


def _slice_values(rho: Density) -> np.ndarray:
    """The values to draw: all of a 1-D or 2-D density, the middle z-slice of a 3-D one."""
    if rho.grid.ndim == 3:
        return rho.values[:, :, rho.grid.shape[2] // 2]
    return rho.values


def _time_label(t: float | None, index: int) -> str:
    return f"t = {t:.4g}" if t is not None else f"#{index}"


# ---------------------------------------------------------------------------------------
# public functions
# ---------------------------------------------------------------------------------------
def plot_snapshots(
    densities: Density | Sequence[Density],
    times: Sequence[float] | np.ndarray | None = None,
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
        Figure title.
    fig : Figure or SubFigure, optional
        Draw into this (empty) figure instead of a new one.

    Returns
    -------
    matplotlib.figure.Figure
        The figure (the top-level figure when ``fig`` is a subfigure).

    Raises
    ------
    WgflowError
        If ``densities`` is empty or not made of :class:`~wgflow.density.Density` of one
        dimension, or ``times``/``labels``/``view`` do not match it.
    """
    items = _as_density_list(densities)
    time_array = _as_times(times, len(items))
    if labels is not None:
        labels = [str(label) for label in labels]
        if len(labels) != len(items):
            raise WgflowError(
                f"labels must hold one label per density: {len(items)} densities, "
                f"{len(labels)} labels"
            )
    chosen = _select(len(items), max_snapshots)
    names = [
        labels[i] if labels is not None
        else _time_label(None if time_array is None else float(time_array[i]), i)
        for i in chosen
    ]
    grid = items[0].grid
    limits = _check_view(view, grid.ndim)
    try:
        colormap = colormaps[cmap]
    except KeyError:
        raise WgflowError(f"unknown matplotlib colour map {cmap!r}") from None

    if grid.ndim == 1:
        fig = _new_figure(fig, (6.4, 4.0))
        ax = fig.add_subplot()
        shades = np.linspace(0.0, 0.85, len(chosen)) if len(chosen) > 1 else [0.0]
        for shade, index, name in zip(shades, chosen, names):
            rho = items[index]
            ax.plot(rho.grid.axes[0], rho.values, color=colormap(shade), label=name)
        ax.set_xlabel("x")
        ax.set_ylabel("density")
        ax.set_xlim(*(limits[0] if limits else grid.bounds[0]))
        ax.set_ylim(bottom=0.0)
        ax.legend(fontsize="small", frameon=False)
        ax.grid(alpha=0.3)
        if title:
            ax.set_title(title)
        return _root(fig)

    # 2-D and 3-D: a row of images with one colour scale
    count = len(chosen)
    fig = _new_figure(fig, (2.6 * count + 1.2, 3.2))
    axes = np.atleast_1d(fig.subplots(1, count, sharex=True, sharey=True, squeeze=False)[0])
    slices = [_slice_values(items[i]) for i in chosen]
    vmax = max(float(np.max(s)) for s in slices)
    norm = Normalize(vmin=0.0, vmax=vmax if vmax > 0 else 1.0)
    (x0, x1), (y0, y1) = grid.bounds[0], grid.bounds[1]
    image = None
    for ax, values, name in zip(axes, slices, names):
        image = ax.imshow(
            values.T, origin="lower", extent=(x0, x1, y0, y1), cmap=colormap, norm=norm,
            interpolation="nearest", aspect="equal",
        )
        ax.set_title(name, fontsize="medium")
        ax.set_xlabel("x")
        if limits:
            ax.set_xlim(*limits[0])
            ax.set_ylim(*limits[1])
    axes[0].set_ylabel("y")
    fig.colorbar(image, ax=list(axes), shrink=0.9, label="density")
    if grid.ndim == 3:
        z = grid.axes[2][grid.shape[2] // 2]
        note = f"middle slice z = {z:.3g}"
        title = f"{title} ({note})" if title else note
    if title:
        fig.suptitle(title)
    return _root(fig)


def _series(result: SolveResult, name: str) -> tuple[np.ndarray, np.ndarray]:
    values = np.asarray(result.tracked[name], dtype=float)
    times = result.tracked_times.get(name) if result.tracked_times else None
    times = np.asarray(times if times is not None else result.times[: values.size], dtype=float)
    return times, values


def _check_pair(name: str, pair: object) -> tuple[np.ndarray, np.ndarray]:
    try:
        t, v = pair  # type: ignore[misc]
        t = np.asarray(t, dtype=float).reshape(-1)
        v = np.asarray(v, dtype=float).reshape(-1)
    except (TypeError, ValueError):
        raise WgflowError(
            f"exact[{name!r}] must be a pair (times, values) of equal length"
        ) from None
    if t.shape != v.shape or t.size == 0:
        raise WgflowError(
            f"exact[{name!r}] must be a pair (times, values) of equal, non-zero length; got "
            f"{t.size} times and {v.size} values"
        )
    return t, v


def plot_tracked(
    result: SolveResult,
    names: str | Sequence[str] | None = None,
    exact: Mapping[str, tuple[Sequence[float], Sequence[float]]] | None = None,
    *,
    extra: Mapping[str, tuple[Sequence[float], Sequence[float]]] | None = None,
    log_extra: bool = True,
    ncols: int | None = None,
    title: str | None = None,
    fig: FigureLike | None = None,
) -> Figure:
    """Plot tracked functionals against time, one panel per name.

    Parameters
    ----------
    result : SolveResult
        A result of :func:`wgflow.solve` (or :meth:`SolveResult.load`).
    names : str or sequence of str, optional
        Which of ``result.tracked`` to draw (default: all, in the result's order).
    exact : mapping of str to (times, values), optional
        Reference curves, drawn dashed in the panel of the same name, e.g.
        ``{"shannon": (t, wg.exact.gaussian_shannon_entropy(...))}``.
    extra : mapping of str to (times, values), optional
        Further panels that are not tracked functionals, e.g.
        ``{"relative L1 error": (times, errors)}``; drawn with markers.
    log_extra : bool
        Use a logarithmic y axis for the ``extra`` panels whose values are positive and span
        more than a factor 10.
    ncols : int, optional
        Panels per row (default: up to 3).
    title : str, optional
        Figure title.
    fig : Figure or SubFigure, optional
        Draw into this (empty) figure instead of a new one.

    Returns
    -------
    matplotlib.figure.Figure
        The figure (the top-level figure when ``fig`` is a subfigure).

    Raises
    ------
    WgflowError
        If ``result`` is not a result, tracked nothing, or a name or ``exact`` entry is not
        among its tracked functionals.
    """
    if not isinstance(result, SolveResult):
        raise WgflowError(f"result must be a wgflow SolveResult, got {type(result).__name__}")
    available = list(result.tracked)
    if names is None:
        names = available
    elif isinstance(names, str):
        names = [names]
    names = list(names)
    extra = dict(extra or {})
    if not names and not extra:
        raise WgflowError(
            "nothing to plot: the result tracked no functionals (pass track=[...] to "
            "wg.solve, e.g. track=['shannon'])"
        )
    unknown = [n for n in names if n not in result.tracked]
    if unknown:
        raise WgflowError(
            f"not tracked in this result: {', '.join(map(repr, unknown))}; tracked: "
            f"{', '.join(map(repr, available)) or 'nothing'}"
        )
    exact = dict(exact or {})
    stray = [n for n in exact if n not in names]
    if stray:
        raise WgflowError(
            f"exact curves given for {', '.join(map(repr, stray))}, which are not plotted; "
            f"plotted: {', '.join(map(repr, names))}"
        )
    exact_pairs = {n: _check_pair(n, pair) for n, pair in exact.items()}
    extra_pairs = {n: _check_pair(n, pair) for n, pair in extra.items()}

    panels = len(names) + len(extra_pairs)
    if ncols is None:
        ncols = min(3, panels)
    ncols = min(check_integer("ncols", ncols), panels)
    nrows = -(-panels // ncols)
    fig = _new_figure(fig, (3.6 * ncols, 2.8 * nrows))
    axes = fig.subplots(nrows, ncols, squeeze=False, sharex=True).ravel()

    for ax, name in zip(axes, names):
        times, values = _series(result, name)
        ax.plot(times, values, color="C0", lw=1.8, label="wgflow")
        if values.size <= 25:
            ax.plot(times, values, "o", color="C0", ms=3)
        if name in exact_pairs:
            t_ref, v_ref = exact_pairs[name]
            ax.plot(t_ref, v_ref, "--", color="black", lw=1.2, label="exact")
            ax.legend(fontsize="small", frameon=False)
        ax.set_title(_label(name), fontsize="medium")
        ax.grid(alpha=0.3)
    for ax, (name, (t_ref, v_ref)) in zip(axes[len(names):], extra_pairs.items()):
        ax.plot(t_ref, v_ref, "o-", color="C3", ms=3, lw=1.5)
        if log_extra and np.all(v_ref > 0) and v_ref.max() > 10.0 * v_ref.min():
            ax.set_yscale("log")
        ax.set_title(name, fontsize="medium")
        ax.grid(alpha=0.3, which="both")
    for ax in axes[:panels][-ncols:]:
        ax.set_xlabel("t")
        ax.xaxis.set_tick_params(labelbottom=True)
    for ax in axes[panels:]:
        ax.set_visible(False)
    if title:
        fig.suptitle(title)
    return _root(fig)


def plot_result(
    result: SolveResult,
    exact_final: Density | None = None,
    *,
    exact: Mapping[str, tuple[Sequence[float], Sequence[float]]] | None = None,
    error: tuple[Sequence[float], Sequence[float]] | None = None,
    names: str | Sequence[str] | None = None,
    max_snapshots: int = 4,
    view: Sequence[Sequence[float]] | None = None,
    title: str | None = None,
) -> Figure:
    """Snapshots of a trajectory above its tracked functionals (the picture of ``wgflow demo``).

    Parameters
    ----------
    result : SolveResult
        The trajectory.
    exact_final : Density, optional
        The exact solution at the final time, drawn next to the snapshots (a dashed curve in
        1-D, one more image in 2-D/3-D) with its relative L1 distance to ``result.final``.
    exact : mapping of str to (times, values), optional
        Exact values of tracked functionals, drawn dashed (see :func:`plot_tracked`).
    error : (times, values), optional
        An error against time (e.g. the relative L1 error to the exact solution), drawn in
        its own panel with a logarithmic axis.
    names : str or sequence of str, optional
        Tracked functionals to draw (default all).
    max_snapshots : int
        Most densities of the trajectory drawn (default 4, first and last included).
    view : sequence of (lo, hi), optional
        Part of the box shown by the snapshots (see :func:`plot_snapshots`).
    title : str, optional
        Figure title (default: the flow, method and final status).

    Returns
    -------
    matplotlib.figure.Figure

    Raises
    ------
    WgflowError
        If the trajectory is empty, ``exact_final`` is not a Density on the result's grid, or
        a name is not tracked.
    """
    if not isinstance(result, SolveResult):
        raise WgflowError(f"result must be a wgflow SolveResult, got {type(result).__name__}")
    if len(result.densities) == 0:
        raise WgflowError("the result holds no densities: the trajectory is empty")
    densities = _as_density_list(result.densities)
    times = _as_times(result.times, len(densities))
    if exact_final is not None:
        if not isinstance(exact_final, Density):
            raise WgflowError(
                f"exact_final must be a wgflow Density, got {type(exact_final).__name__}"
            )
        result.grid.check_same(exact_final.grid, "the result and exact_final")

    chosen = _select(len(densities), max_snapshots)
    snapshots = [densities[i] for i in chosen]
    labels = [_time_label(float(times[i]), i) for i in chosen]
    if exact_final is not None and result.grid.ndim > 1:
        snapshots.append(exact_final)
        labels.append(f"exact, t = {times[-1]:.4g}")

    if names is None:
        names = list(result.tracked)
    elif isinstance(names, str):
        names = [names]
    ncurves = len(names) + (error is not None)
    has_curves = ncurves > 0
    ncols = min(3, max(ncurves, 1))
    nrows = -(-ncurves // ncols) if has_curves else 0
    width = max(3.6 * ncols, 2.6 * len(snapshots) + 1.2 if result.grid.ndim > 1 else 7.0)
    height = 3.4 + 2.8 * nrows
    fig = Figure(figsize=(width, height), layout="constrained")
    FigureCanvasAgg(fig)
    if has_curves:
        top, bottom = fig.subfigures(2, 1, height_ratios=[3.4, 2.8 * nrows])
    else:
        top, bottom = fig, None

    note = None
    if exact_final is not None:
        note = f"final relative L1 error vs exact: {result.final.relative_l1_error(exact_final):.2e}"
    plot_snapshots(snapshots, labels=labels, max_snapshots=None, view=view, title=note, fig=top)
    if exact_final is not None and result.grid.ndim == 1:
        ax = top.axes[0]
        ax.plot(exact_final.grid.axes[0], exact_final.values, "--", color="black", lw=1.2,
                label=f"exact, t = {times[-1]:.4g}")
        ax.legend(fontsize="small", frameon=False)
    if bottom is not None:
        extra = {"relative L1 error vs exact": error} if error is not None else None
        plot_tracked(result, names=names, exact=exact, extra=extra, ncols=ncols, fig=bottom)
    if title is None:
        status = "success" if result.success else "FAILED"
        title = f"{result.flow} flow, method {result.method}: {status} ({result.message})"
    if bottom is None and note:
        title = f"{title}\n{note}"
    fig.suptitle(title)
    return fig


def save_figure(fig: Figure | SubFigure, path: str | Path, dpi: int = 120) -> Path:
    """Write ``fig`` to ``path`` (format from the suffix, ``.png`` when there is none).

    Parent folders are created.  Works without a display (Agg).

    Parameters
    ----------
    fig : Figure
        The figure, e.g. from :func:`plot_result`.
    path : str or Path
        Where to write it.
    dpi : int
        Resolution of raster formats.

    Returns
    -------
    Path
        The path written.
    """
    if isinstance(fig, SubFigure):
        fig = _root(fig)
    if not isinstance(fig, Figure):
        raise WgflowError(f"fig must be a matplotlib Figure, got {type(fig).__name__}")
    path = Path(path)
    if not path.suffix:
        path = path.with_suffix(".png")
    path.parent.mkdir(parents=True, exist_ok=True)
    if fig.canvas is None or not hasattr(fig.canvas, "print_figure"):  # pragma: no cover
        FigureCanvasAgg(fig)
    fig.savefig(path, dpi=dpi)
    return path


# ---------------------------------------------------------------------------------------
# gallery helpers: particle paths, displacement fields, animations
# ---------------------------------------------------------------------------------------
__all__ += ["plot_trajectories", "plot_displacement", "animate_densities"]


def _new_axes(ax, figsize: tuple[float, float]):
    """``(figure, axes)``: ``ax`` and its figure, or a new Agg-backed figure with one axes."""
    if ax is None:
        fig = _new_figure(None, figsize)
        return fig, fig.add_subplot()
    from matplotlib.axes import Axes

    if not isinstance(ax, Axes):
        raise WgflowError(f"ax must be a matplotlib Axes, got {type(ax).__name__}")
    return _root(ax.get_figure()), ax


def plot_trajectories(
    paths: np.ndarray,
    times: Sequence[float] | np.ndarray | None = None,
    midpoint_every: float | None = None,
    ax=None,
    color=None,
    *,
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
        The figure holding the axes.

    Raises
    ------
    WgflowError
        If ``paths`` is not a non-empty finite ``(T, n, 2)`` array, ``times`` does not match
        it, or ``midpoint_every`` is not positive.
    """
    from matplotlib.colors import is_color_like

    try:
        arr = np.asarray(paths, dtype=float)
    except (TypeError, ValueError):
        raise WgflowError("paths must be a numeric array of shape (T, n, 2)") from None
    if arr.ndim != 3 or arr.shape[-1] != 2:
        raise WgflowError(
            f"paths must have shape (T, n, 2) (times, particles, 2-D positions), got {arr.shape}"
        )
    if arr.shape[0] == 0 or arr.shape[1] == 0:
        raise WgflowError(f"nothing to plot: the trajectory is empty (shape {arr.shape})")
    if not np.isfinite(arr).all():
        raise WgflowError("paths must be finite")
    count, particles = arr.shape[0], arr.shape[1]
    if times is None:
        time_array = np.arange(count, dtype=float)
    else:
        time_array = _as_times(times, count)
    if midpoint_every is not None:
        try:
            every = float(midpoint_every)
        except (TypeError, ValueError):
            raise WgflowError(f"midpoint_every must be a number > 0, got {midpoint_every!r}") from None
        if not np.isfinite(every) or every <= 0:
            raise WgflowError(f"midpoint_every must be a number > 0, got {midpoint_every!r}")
    fig, ax = _new_axes(ax, (5.0, 4.0))
    if color is None:
        colours = [colormaps["viridis"](s) for s in np.linspace(0.0, 0.9, particles)]
    elif is_color_like(color) and not (
        not isinstance(color, str) and len(color) == particles
        and all(is_color_like(c) for c in color)
    ):
        colours = [color] * particles
    else:
        try:
            colours = list(color)
        except TypeError:
            raise WgflowError(f"color must be a colour or a sequence of colours, got {color!r}") from None
        if len(colours) != particles or not all(is_color_like(c) for c in colours):
            raise WgflowError(
                f"color must be one colour or one colour per particle: {particles} particles, "
                f"got {color!r}"
            )
    marks: list[int] = []
    if midpoint_every is not None:
        t0, t1 = float(time_array.min()), float(time_array.max())
        targets = np.arange(t0, t1 + 1e-9 * max(1.0, abs(t1)), every)
        marks = sorted({int(np.argmin(np.abs(time_array - s))) for s in targets})
    for j in range(particles):
        ax.plot(arr[:, j, 0], arr[:, j, 1], color=colours[j], lw=linewidth,
                label=label if j == 0 else None)
        if marks:
            ax.plot(arr[marks, j, 0], arr[marks, j, 1], "o", color=colours[j], ms=markersize,
                    mec="none")
    ax.set_aspect("equal", adjustable="box")
    ax.set_xlabel("x")
    ax.set_ylabel("y")
    return fig


def plot_displacement(
    grid,
    map_values: np.ndarray,
    step: int = 4,
    *,
    ax=None,
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
        Draw into these axes.
    density : Density, optional
        Drawn underneath as an image (e.g. the data ``mu0``).
    title : str, optional
        Axes title.

    Returns
    -------
    matplotlib.figure.Figure

    Raises
    ------
    WgflowError
        If the grid is not 2-D, ``map_values`` does not have shape ``(2, nx, ny)`` or is not
        finite, or ``step`` is not a positive integer.
    """
    from .grid import Grid

    if not isinstance(grid, Grid):
        raise WgflowError(f"grid must be a wgflow Grid, got {type(grid).__name__}")
    if grid.ndim != 2:
        raise WgflowError(f"plot_displacement needs a 2-D grid, got a {grid.ndim}-D grid")
    try:
        values = np.asarray(map_values, dtype=float)
    except (TypeError, ValueError):
        raise WgflowError("map_values must be a numeric array of shape (2, nx, ny)") from None
    if values.shape != (2, *grid.shape):
        raise WgflowError(
            f"map_values must have shape {(2, *grid.shape)} for this grid, got {values.shape}"
        )
    if not np.isfinite(values).all():
        raise WgflowError("map_values must be finite")
    if isinstance(step, bool) or not isinstance(step, (int, np.integer)) or step < 1:
        raise WgflowError(f"step must be an integer >= 1, got {step!r}")
    fig, ax = _new_axes(ax, (5.0, 4.4))
    x, y = grid.coordinates
    u, v = values[0] - x, values[1] - y
    (x0, x1), (y0, y1) = grid.bounds
    if density is not None:
        if not isinstance(density, Density) or density.grid.ndim != 2:
            raise WgflowError("density must be a 2-D wgflow Density")
        ax.imshow(density.values.T, origin="lower", extent=(x0, x1, y0, y1), cmap="Greys",
                  alpha=0.5, aspect="equal")
    sl = (slice(step // 2, None, step), slice(step // 2, None, step))
    length = np.hypot(u[sl], v[sl])
    quiver = ax.quiver(x[sl], y[sl], u[sl], v[sl], length, cmap="viridis", angles="xy",
                       scale_units="xy", scale=1.0, width=0.004)
    fig.colorbar(quiver, ax=ax, shrink=0.85, label="|T(x) - x|")
    ax.set_xlim(x0, x1)
    ax.set_ylim(y0, y1)
    ax.set_aspect("equal")
    ax.set_xlabel("x")
    ax.set_ylabel("y")
    if title:
        ax.set_title(title)
    return fig


def animate_densities(
    densities: Sequence[Density],
    times: Sequence[float] | np.ndarray,
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
        Frames per second.
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
        If ``densities`` is empty, of mixed or unsupported dimension, or ``times`` does not
        match it.
    """
    from matplotlib.animation import FuncAnimation, PillowWriter

    items = _as_density_list(densities)
    if items[0].grid.ndim not in (1, 2):
        raise WgflowError(f"animate_densities draws 1-D and 2-D densities, got {items[0].grid.ndim}-D")
    time_array = _as_times(times, len(items))
    if time_array is None:
        raise WgflowError("times must hold one time per density")
    if isinstance(fps, bool) or not isinstance(fps, (int, np.integer)) or fps < 1:
        raise WgflowError(f"fps must be an integer >= 1, got {fps!r}")
    path = Path(path)
    if not path.suffix:
        path = path.with_suffix(".gif")
    path.parent.mkdir(parents=True, exist_ok=True)
    grid = items[0].grid
    fig = _new_figure(None, (5.0, 4.0))
    ax = fig.add_subplot()
    prefix = f"{title}: " if title else ""
    vmax = max(float(np.max(rho.values)) for rho in items) or 1.0
    if grid.ndim == 1:
        (line,) = ax.plot(grid.axes[0], items[0].values)
        ax.set_ylim(0.0, 1.05 * vmax)
        ax.set_xlabel("x")
        ax.set_ylabel("density")
        artist = line

        def update(k: int):
            line.set_ydata(items[k].values)
            ax.set_title(f"{prefix}t = {time_array[k]:.4g}")
            return (line,)
    else:
        (x0, x1), (y0, y1) = grid.bounds
        artist = ax.imshow(items[0].values.T, origin="lower", extent=(x0, x1, y0, y1),
                           cmap=cmap, vmin=0.0, vmax=vmax, aspect="equal")
        fig.colorbar(artist, ax=ax, label="density")
        ax.set_xlabel("x")
        ax.set_ylabel("y")

        def update(k: int):
            artist.set_data(items[k].values.T)
            ax.set_title(f"{prefix}t = {time_array[k]:.4g}")
            return (artist,)

    update(0)
    anim = FuncAnimation(fig, update, frames=len(items), blit=False)
    anim.save(str(path), writer=PillowWriter(fps=fps))
    return path
