"""The figures of a run: the numbers in its row of the sweep's table.

A run returns a :class:`~wgflow.result.SolveResult` or a dict of figures.  The figures of a
result are :func:`solve_figures` (always) plus those the user names or computes
(``figures=`` of :func:`~wgflow.sweep`); those of a dict are its entries plus the
computed ones.  They are computed in the process that calls the sweep, from the result as
it arrives or as it is read back from the sweep's directory, so that a resumed sweep, or
one rerun with other ``figures=``, gives the same rows without running anything again.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..errors import WgflowError
from ..result import SolveResult
from .params import RESERVED

#: The figures of every result (:func:`solve_figures`), and the prefix of the last values of
#: the tracked functionals: no parameter may take these names.
RESULT_FIGURES = ("t_final", "steps", "mass_error", "sinkhorn_iterations", "error_estimate")
TRACKED_PREFIX = "final_"

#: A figure: a number or a truth value.
Figure = float | int | bool
#: What ``figures=`` accepts: names, or a function of the result that returns figures.
FigureSpec = Sequence[str] | Callable[[Any], Mapping[str, Any]] | None


def solve_figures(result: SolveResult) -> dict[str, Figure]:
    """The figures of every :class:`~wgflow.result.SolveResult` in a sweep's table.

    Parameters
    ----------
    result : SolveResult

    Returns
    -------
    dict
        ``t_final``
            the last stored time (``t_end``, or where a run that stopped early stopped);
        ``steps``
            the number of steps taken (``statistics["steps"]``; NaN if the solver does not
            count them);
        ``mass_error``
            ``|M(final) - M(initial)| / M(initial)``, ``M`` the mass;
        ``sinkhorn_iterations``
            the total over the steps (JKO runs only);
        ``error_estimate``
            the last estimated relative L1 error (backward runs only, :mod:`wgflow.estimate`);
        ``final_<name>``
            the last value of each tracked functional, e.g. ``final_shannon``,
            ``final_tsallis:2``.
    """
    statistics = result.statistics
    initial, final = result.densities[0].mass, result.final.mass
    figures: dict[str, Figure] = {
        "t_final": float(result.times[-1]),
        "steps": statistics.get("steps", math.nan),
        "mass_error": abs(final - initial) / initial if initial > 0 else math.nan,
    }
    if "sinkhorn_iterations" in statistics:
        figures["sinkhorn_iterations"] = int(np.sum(statistics["sinkhorn_iterations"]))
    if statistics.get("error_estimate"):
        figures["error_estimate"] = float(statistics["error_estimate"][-1])
    for name in sorted(result.tracked):  # sorted: a result read back keeps no other order
        values = result.tracked[name]
        figures[f"final_{name}"] = float(values[-1]) if len(values) else math.nan
    return figures


def check_parameter_names(names: Sequence[str]) -> None:
    """Raise if a parameter has the name of a figure of every result (:data:`RESULT_FIGURES`,
    ``final_<tracker>``), which would hide it in the table."""
    for name in names:
        if name in RESULT_FIGURES or name.startswith(TRACKED_PREFIX):
            raise WgflowError(
                f"the parameter {name!r} has the name of a figure of every SolveResult "
                f"({', '.join(RESULT_FIGURES)}, {TRACKED_PREFIX}<tracker>); rename it, e.g. "
                f"{'n_' + name if name in RESULT_FIGURES else name[len(TRACKED_PREFIX):]!r}"
            )


@dataclass(frozen=True)
class FigureChoice:
    """The figures chosen by ``figures=``: names looked up in each result, or a function.

    Attributes
    ----------
    names : tuple of str
        Looked up by :func:`named_figure`.
    function : callable, optional
        ``function(value)`` of each run's value (result or dict) returns more figures.
    """

    names: tuple[str, ...] = ()
    function: Callable[[Any], Mapping[str, Any]] | None = None


def check_figures(figures: object, parameters: Sequence[str]) -> FigureChoice:
    """Check ``figures=`` of :func:`~wgflow.sweep` against the parameter names.

    Raises
    ------
    WgflowError
        If ``figures`` is not ``None``, a list of names or a callable, or a name is a
        parameter or a reserved column.
    """
    if figures is None:
        return FigureChoice()
    if callable(figures):
        return FigureChoice(function=figures)
    if isinstance(figures, (list, tuple)) and all(isinstance(n, str) and n for n in figures):
        for name in figures:
            if name in parameters or name in RESERVED:
                raise WgflowError(
                    f"figures: {name!r} is also the name of a parameter or of a column "
                    f"({', '.join(RESERVED)}); accepted: other names"
                )
        return FigureChoice(names=tuple(figures))
    raise WgflowError(
        f"figures must be a list of names (e.g. ['gamma', 'roughness']) or a function of a "
        f"run's result that returns a dict of numbers, got {figures!r}"
    )


def _figure(name: str, value: object, where: str) -> Figure:
    """``value`` as a figure (a Python number or bool), or an error naming it."""
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (numbers.Integral, np.integer)):
        return int(value)
    if isinstance(value, (numbers.Real, np.floating)):
        return float(value)
    raise WgflowError(
        f"{where}: figure {name!r} = {value!r} is a {type(value).__name__}; accepted: a "
        "number or a bool"
    )


def check_figure_dict(value: object, where: str) -> dict[str, Figure]:
    """A dict of figures with string keys and number values, or an error naming ``where``."""
    if not isinstance(value, Mapping):
        raise WgflowError(f"{where} must return a dict of figures, got {type(value).__name__}")
    for name in value:
        if not isinstance(name, str) or not name:
            raise WgflowError(f"{where}: figure name {name!r}; accepted: non-empty strings")
    return {name: _figure(name, item, where) for name, item in value.items()}


def named_figure(value: SolveResult | Mapping[str, Figure], name: str) -> Figure:
    """The figure ``name`` of a run's value.

    For a dict, its entry ``name``.  For a :class:`~wgflow.result.SolveResult`, in this
    order: the last value of the tracked functional ``name``; the entry ``name`` of
    ``statistics`` (a number, or the last entry of a per-step list); the entry ``name`` of
    ``settings`` (a number or a bool).

    Raises
    ------
    WgflowError
        If there is no such figure (the message lists those there are) or it is not a
        number.
    """
    if not isinstance(value, SolveResult):
        if name not in value:
            raise WgflowError(
                f"figures: the run returned no figure {name!r}; it returned "
                f"{', '.join(map(repr, value)) or 'none'}"
            )
        return value[name]
    if name in value.tracked:
        series = value.tracked[name]
        return float(series[-1]) if len(series) else math.nan
    for where, table in (("statistics", value.statistics), ("settings", value.settings)):
        if name in table:
            item = table[name]
            if isinstance(item, (list, tuple, np.ndarray)):
                item = item[-1] if len(item) else math.nan
            return _figure(name, item, f"figures: {where}[{name!r}]")
    available = sorted({*value.tracked, *value.statistics, *value.settings})
    raise WgflowError(
        f"figures: the result has no {name!r}; accepted: a tracked functional, an entry of "
        f"statistics or settings: {', '.join(available)}"
    )


def run_figures(
    value: SolveResult | Mapping[str, Figure], choice: FigureChoice, parameters: Sequence[str]
) -> dict[str, Figure]:
    """All the figures of a run's value: the defaults (:func:`solve_figures`, or the dict
    itself), the named ones and those of the function, in this order.

    Raises
    ------
    WgflowError
        If a named figure is missing, the function fails or returns something other than a
        dict of numbers, or a figure has the name of a parameter or a reserved column.
    """
    figures = dict(solve_figures(value) if isinstance(value, SolveResult) else value)
    for name in choice.names:
        figures[name] = named_figure(value, name)
    if choice.function is not None:
        try:
            extra = choice.function(value)
        except Exception as exc:
            raise WgflowError(
                f"figures: the function raised {type(exc).__name__}: {exc}"
            ) from exc
        figures.update(check_figure_dict(extra, "the figures function"))
    clash = [name for name in figures if name in parameters or name in RESERVED]
    if clash:
        raise WgflowError(
            f"figures {', '.join(map(repr, clash))} have the names of parameters or of "
            f"columns ({', '.join(RESERVED)}); rename them"
        )
    return figures
