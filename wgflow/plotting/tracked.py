"""Tracked functionals against time, one panel per name (:func:`plot_tracked`)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
from matplotlib.figure import Figure

from ..errors import WgflowError, check_integer
from ..result import SolveResult
from ._checks import Curve, check_curve, check_result
from .figures import FigureLike, new_figure, root

#: Readable labels of tracker names (others are shown as they are).
LABELS = {
    "shannon": "Shannon entropy H",
    "mass": "mass",
    "energy": "energy F",
    "w2": "W2 to the initial density",
}


def _label(name: str) -> str:
    """The panel title of tracker ``name``."""
    kind, _, order = name.partition(":")
    if kind == "renyi" and order:
        return f"Rényi entropy R_{order}"
    if kind == "tsallis" and order:
        return f"Tsallis entropy S_{order}"
    return LABELS.get(name, name)


def _series(result: SolveResult, name: str) -> tuple[np.ndarray, np.ndarray]:
    """The recorded ``(times, values)`` of tracker ``name``."""
    values = np.asarray(result.tracked[name], dtype=float)
    times = result.tracked_times.get(name) if result.tracked_times else None
    times = np.asarray(times if times is not None else result.times[: values.size], dtype=float)
    return times, values


def plot_tracked(
    result: SolveResult,
    names: str | Sequence[str] | None = None,
    exact: Mapping[str, Curve] | None = None,
    *,
    extra: Mapping[str, Curve] | None = None,
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
        ``{"shannon": (t, [g.shannon_entropy() for g in gaussians])}``.
    extra : mapping of str to (times, values), optional
        Further panels that are not tracked functionals, e.g.
        ``{"relative L1 error": (times, errors)}``; drawn with markers.
    log_extra : bool
        Use a logarithmic y axis for the ``extra`` panels whose values are positive and span
        more than a factor 10.
    ncols : int, optional
        Panels per row (default: up to 3).
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
        If ``result`` is not a result, tracked nothing, or a name or ``exact`` entry is not
        among its tracked functionals.
    """
    names = check_result(result, names)
    if not names and not extra:
        raise WgflowError(
            "nothing to plot: the result tracked no functionals (pass track=[...] to "
            "wg.solve, e.g. track=['shannon'])"
        )
    tracked = ", ".join(map(repr, result.tracked)) or "nothing"
    unknown = [n for n in names if n not in result.tracked]
    if unknown:
        raise WgflowError(f"not tracked in this result: {', '.join(map(repr, unknown))}; "
                          f"tracked: {tracked}")
    stray = [n for n in exact or {} if n not in names]
    if stray:
        raise WgflowError(
            f"exact curves given for {', '.join(map(repr, stray))}, which are not plotted; "
            f"plotted: {', '.join(map(repr, names))}"
        )
    exact_curves = {n: check_curve(f"exact[{n!r}]", c) for n, c in (exact or {}).items()}
    extra_curves = {n: check_curve(f"extra[{n!r}]", c) for n, c in (extra or {}).items()}

    panels = len(names) + len(extra_curves)
    ncols = min(3 if ncols is None else check_integer("ncols", ncols), panels)
    nrows = -(-panels // ncols)
    fig = new_figure(fig, (3.6 * ncols, 2.8 * nrows))
    axes = fig.subplots(nrows, ncols, squeeze=False, sharex=True).ravel()
    for ax, name in zip(axes, names):
        times, values = _series(result, name)
        ax.plot(times, values, color="C0", lw=1.8, label="wgflow")
        if values.size <= 25:
            ax.plot(times, values, "o", color="C0", ms=3)
        if name in exact_curves:
            ax.plot(*exact_curves[name], "--", color="black", lw=1.2, label="exact")
            ax.legend(fontsize="small", frameon=False)
        ax.set_title(_label(name), fontsize="medium")
        ax.grid(alpha=0.3)
    for ax, (name, (t_ref, v_ref)) in zip(axes[len(names):], extra_curves.items()):
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
    return root(fig)
