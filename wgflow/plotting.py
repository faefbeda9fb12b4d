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

from pathlib import Path
from typing import Mapping, Sequence

import numpy as np
from matplotlib import colormaps
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.colors import Normalize
from matplotlib.figure import Figure, SubFigure

from .density import Density
from .errors import WgflowError
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
    if isinstance(maximum, bool) or not isinstance(maximum, (int, np.integer)) or maximum < 1:
        raise WgflowError(f"max_snapshots must be an integer >= 1, got {maximum!r}")
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
    if isinstance(ncols, bool) or not isinstance(ncols, (int, np.integer)) or ncols < 1:
        raise WgflowError(f"ncols must be an integer >= 1, got {ncols!r}")
    ncols = min(int(ncols), panels)
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
