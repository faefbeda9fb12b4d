"""The picture of a trajectory: snapshots above its tracked functionals (:func:`plot_result`,
the picture of ``wgflow demo`` and ``wgflow run``)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import cast

import numpy as np
from matplotlib.figure import Figure

from ..density import Density
from ..errors import check_density
from ..result import SolveResult
from ._checks import Curve, check_densities, check_result, check_times, select
from .figures import FigureLike, new_figure, root
from .snapshots import plot_snapshots, time_label
from .tracked import plot_tracked


def plot_result(
    result: SolveResult,
    exact_final: Density | None = None,
    *,
    exact: Mapping[str, Curve] | None = None,
    error: Curve | None = None,
    names: str | Sequence[str] | None = None,
    max_snapshots: int = 4,
    view: Sequence[Sequence[float]] | None = None,
    title: str | None = None,
    fig: FigureLike | None = None,
) -> Figure:
    """Snapshots of a trajectory above its tracked functionals.

    Parameters
    ----------
    result : SolveResult
        The trajectory.
    exact_final : Density, optional
        The exact solution at the final time, drawn next to the snapshots (a dashed curve in
        1-D, one more image in 2-D/3-D) with its relative L1 distance to ``result.final``.
    exact : mapping of str to (times, values), optional
        Exact values of tracked functionals, drawn dashed (see
        :func:`~wgflow.plotting.plot_tracked`).
    error : (times, values), optional
        An error against time (e.g. the relative L1 error to the exact solution), drawn in
        its own panel with a logarithmic axis; a result with an error estimate
        (``statistics["error_estimate"]``, the backward flows) gets a panel of it too.
    names : str or sequence of str, optional
        Tracked functionals to draw (default all).
    max_snapshots : int
        Most densities of the trajectory drawn (default 4, first and last included).
    view : sequence of (lo, hi), optional
        Part of the box shown by the snapshots (see :func:`~wgflow.plotting.plot_snapshots`).
    title : str, optional
        Title of the picture (default: the flow, method and final status).
    fig : Figure or SubFigure, optional
        Draw into this (empty) figure instead of a new one.

    Returns
    -------
    matplotlib.figure.Figure
        The top-level figure drawn on.

    Raises
    ------
    WgflowError
        If the trajectory is empty, ``exact_final`` is not a Density on the result's grid, or
        a name is not tracked.
    """
    names = check_result(result, names)
    densities = check_densities(result.densities)
    times = check_times(result.times, len(densities))
    if exact_final is not None:
        check_density("exact_final", exact_final)
        result.grid.check_same(exact_final.grid, "the result and exact_final")
    ndim = result.grid.ndim
    chosen = select(len(densities), max_snapshots)
    snapshots = [densities[i] for i in chosen]
    labels = [time_label(times, i) for i in chosen]
    if exact_final is not None and ndim > 1:
        snapshots.append(exact_final)
        labels.append(f"exact, t = {times[-1]:.4g}")

    curves = {} if error is None else {"relative L1 error vs exact": error}
    estimate = np.asarray(result.statistics.get("error_estimate", []), dtype=float)
    if len(estimate) > 1:  # a backward run's own estimate, after the start
        curves["estimated relative L1 error"] = (times[1:], estimate[1:])
    ncurves = len(names) + len(curves)
    ncols = min(3, max(ncurves, 1))
    nrows = -(-ncurves // ncols)
    width = max(3.6 * ncols, 2.6 * len(snapshots) + 1.2 if ndim > 1 else 7.0)
    fig = new_figure(fig, (width, 3.4 + 2.8 * nrows))
    top, bottom = fig, None
    if nrows:
        top, bottom = cast(np.ndarray, fig.subfigures(2, 1, height_ratios=[3.4, 2.8 * nrows]))
    note = None
    if exact_final is not None:
        error_final = result.final.relative_l1_error(exact_final)
        note = f"final relative L1 error vs exact: {error_final:.2e}"
    plot_snapshots(snapshots, labels=labels, max_snapshots=None, view=view, title=note, fig=top)
    if exact_final is not None and ndim == 1:
        ax = top.axes[0]
        ax.plot(exact_final.grid.axes[0], exact_final.values, "--", color="black", lw=1.2,
                label=f"exact, t = {times[-1]:.4g}")
        ax.legend(fontsize="small", frameon=False)
    if bottom is not None:
        plot_tracked(result, names=names, exact=exact, extra=curves or None, ncols=ncols,
                     fig=bottom)
    if title is None:
        status = "success" if result.success else "FAILED"
        title = f"{result.flow} flow, method {result.method}: {status} ({result.message})"
    if bottom is None and note:
        title = f"{title}\n{note}"
    fig.suptitle(title)
    return root(fig)
