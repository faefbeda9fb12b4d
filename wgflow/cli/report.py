"""What the command line shows and writes: :func:`execute` solves a :class:`Problem`, prints
the summary table and writes the picture and the ``.npz`` result; :func:`info_text` is the
text of ``wgflow info``."""

from __future__ import annotations

import inspect
import math
import sys
import time
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path
from typing import TextIO

import numpy as np

from .. import __version__, flows
from ..result import SolveResult
from ..solve import solve
from ..solvers import SOLVERS, resolve_method
from ..trackers import TRACKER_NAMES
from .problems import RUN_FLOWS, Problem


@dataclass
class Outcome:
    """What :func:`execute` produced.

    Attributes
    ----------
    result : SolveResult
        The trajectory.
    errors : ndarray or None
        Relative L1 error to the exact solution at each stored time (None without one; NaN
        at a time where it is not known).
    figure_path, data_path : Path
        The picture and the ``.npz`` result file written.
    seconds : float
        Wall time of :func:`wgflow.solve` (trackers included).
    summary : str
        The printed summary (table and status).
    """

    result: SolveResult
    errors: np.ndarray | None
    figure_path: Path
    data_path: Path
    seconds: float
    summary: str


def _lookup(times: np.ndarray, values: np.ndarray, t: float) -> float:
    """The recorded value at the recorded time closest to ``t`` (NaN if none is close)."""
    if times.size == 0:
        return float("nan")
    index = int(np.argmin(np.abs(times - t)))
    return float(values[index]) if abs(times[index] - t) <= 1e-9 * max(1.0, abs(t)) else math.nan


#: Key of ``result.statistics`` that holds the error estimate of each stored density.
ERROR_ESTIMATE = "error_estimate"
#: Table columns printed in scientific notation.
SCIENTIFIC = ("err est", "rel L1 err")


def _format_table(headers: list[str], rows: list[list[float]], scientific: set[int]) -> str:
    """A plain-text table; columns whose index is in ``scientific`` use ``%.3e``, missing
    values (NaN) show as ``-``."""
    widths = [max(11, len(h)) for h in headers]
    lines = [headers, ["-" * w for w in widths]] + [
        ["-" if math.isnan(v) else f"{v:.3e}" if c in scientific else f"{v:.6g}"
         for c, v in enumerate(row)]
        for row in rows
    ]
    return "\n".join("  ".join(cell.rjust(w) for cell, w in zip(line, widths)) for line in lines)


def summarize(problem: Problem, result: SolveResult, errors: np.ndarray | None) -> str:
    """The summary table (one row per stored time) and the final status, as text.

    Columns: time, every tracked functional, the exact Shannon entropy when known (next to
    the computed one), the solver's estimate of the relative L1 error of each stored density
    when it reports one (``result.statistics["error_estimate"]``, backward flows) and the
    relative L1 error to the exact solution when known.

    Parameters
    ----------
    problem : Problem
        What was run (its exact references).
    result : SolveResult
        The trajectory.
    errors : ndarray or None
        Relative L1 error to the exact solution at each stored time.

    Returns
    -------
    str
    """
    times = [float(t) for t in result.times]
    headers, columns = ["t"], [times]
    for name in result.tracked:
        recorded = np.asarray(result.tracked_times[name]), np.asarray(result.tracked[name])
        headers.append(name)
        columns.append([_lookup(*recorded, t) for t in times])
        if name == "shannon" and "shannon" in problem.exact_tracked:
            headers.append("exact H")
            columns.append([problem.exact_value("shannon", t) for t in times])
    estimates = result.statistics.get(ERROR_ESTIMATE)
    estimated = None if estimates is None else [float(e) for e in estimates]
    if estimated is not None:
        headers.append("err est")
        columns.append(estimated)
    if errors is not None:
        headers.append("rel L1 err")
        columns.append([float(e) for e in errors])
    rows = [list(row) for row in zip(*columns)]
    scientific = {c for c, header in enumerate(headers) if header in SCIENTIFIC}
    lines = [_format_table(headers, rows, scientific), ""]
    if estimated is not None:
        lines.append(f"final error estimate: {estimated[-1]:.3e}")
    if errors is not None and not math.isnan(errors[-1]):
        lines.append(f"final relative L1 error vs exact: {errors[-1]:.3e}")
    if "shannon" in result.tracked and "shannon" in problem.exact_tracked:
        t_final = float(result.tracked_times["shannon"][-1])
        gap = float(result.tracked["shannon"][-1]) - problem.exact_value("shannon", t_final)
        if not math.isnan(gap):
            lines.append(f"final Shannon entropy minus exact: {gap:+.3e}")
    if "mass" in result.tracked:
        mass = np.asarray(result.tracked["mass"])
        lines.append(f"largest relative mass change: {np.max(np.abs(mass / mass[0] - 1.0)):.1e}")
    sweeps = result.statistics.get("sinkhorn_iterations")
    if sweeps:
        lines.append(
            f"Sinkhorn sweeps per step: mean {np.mean(sweeps):.1f}, max {int(np.max(sweeps))}"
            f" (gamma = {result.settings.get('gamma', float('nan')):.3g})"
        )
    status = "success" if result.success else "FAILED"
    lines.append(f"status: {status}: {result.message}")
    return "\n".join(lines)


def execute(
    problem: Problem,
    out: str | Path,
    stem: str,
    progress: bool = True,
    stream: TextIO | None = None,
) -> Outcome:
    """Solve ``problem``, print its summary, write ``<out>/<stem>.png`` and ``<out>/<stem>.npz``.

    Parameters
    ----------
    problem : Problem
        What to run.
    out : str or Path
        Output folder (created if needed).
    stem : str
        Base name of the two files.
    progress : bool
        Show the progress bar (tqdm, on stderr).
    stream : file, optional
        Where to print (default ``sys.stdout``).

    Returns
    -------
    Outcome

    Raises
    ------
    WgflowError
        If ``problem.method`` does not integrate ``problem.flow`` (before anything is
        printed or written).
    """
    from ..plotting import plot_result, save_figure  # matplotlib only when needed

    resolve_method(problem.method, problem.flow)
    stream = stream or sys.stdout
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    print("\n  ".join([problem.title, *problem.description]), file=stream, flush=True)

    start = time.perf_counter()
    result = solve(
        problem.flow, problem.rho0, t_end=problem.t_end, dt=problem.dt, method=problem.method,
        track=list(problem.track), t_eval=problem.t_eval, progress=progress, **problem.options,
    )
    seconds = time.perf_counter() - start

    errors = None
    exact_final = None
    if problem.exact is not None:
        references = [problem.exact_at(float(t)) for t in result.times]
        errors = np.array([math.nan if ref is None else rho.relative_l1_error(ref)
                           for rho, ref in zip(result.densities, references)])
        exact_final = references[-1]
    steps = result.statistics["steps"]
    summary = summarize(problem, result, errors) + f"\nsolve time: {seconds:.1f} s ({steps} steps)"

    t_ref = np.linspace(0.0, float(result.times[-1]), 101)
    exact_curves = {
        name: (t_ref, [problem.exact_value(name, float(t)) for t in t_ref])
        for name in problem.exact_tracked if name in result.tracked
    }
    figure = plot_result(
        result,
        exact_final=exact_final,
        exact=exact_curves,
        error=(result.times[1:], errors[1:]) if errors is not None and len(errors) > 1 else None,
        view=problem.view,
        title=problem.title,
    )
    figure_path = save_figure(figure, out / f"{stem}.png")
    data_path = result.save(out / f"{stem}.npz")
    print(f"\n{summary}\nwrote {figure_path} and {data_path}", file=stream, flush=True)
    return Outcome(result, errors, figure_path, data_path, seconds, summary)


def info_text() -> str:
    """Version, flows, methods and trackers available (the text of ``wgflow info``).

    Returns
    -------
    str
    """
    import matplotlib
    import scipy

    lines = [
        f"wgflow {__version__}  (numpy {np.__version__}, scipy {scipy.__version__}, "
        f"POT {version('pot')}, matplotlib {matplotlib.__version__}, Python "
        f"{sys.version.split()[0]})",
        "",
        "flows (wgflow.flows):",
    ]
    for name in flows.__all__:
        cls = getattr(flows, name)
        if not (isinstance(cls, type) and issubclass(cls, flows.Flow)) or inspect.isabstract(cls):
            continue
        equation = cls.__dict__.get("equation")
        if not isinstance(equation, str):
            equation = (cls.__doc__ or "").strip().splitlines()[0].replace("``", "")
        cli = f"  [wgflow run --flow {cls.name}]" if cls.name in RUN_FLOWS else ""
        lines.append(f"  {name:<22} {equation}{cli}")
    lines += [
        "",
        f"methods (wg.solve(..., method=...)): {', '.join(sorted(SOLVERS))}",
        f"trackers (wg.solve(..., track=[...])): {', '.join(TRACKER_NAMES)}"
        "  (a: an order > 0, a != 1)",
        "exact solutions (wgflow.exact): heat_gaussian, heat_gaussian_mixture, barenblatt,"
        " and closed-form entropies",
    ]
    return "\n".join(lines)
