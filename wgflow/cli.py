"""The ``wgflow`` command line: ``wgflow demo``, ``wgflow run ...`` and ``wgflow info``.

Every subcommand goes through :func:`main`, which returns an exit code instead of raising:
0 on success, 1 when the solver stopped early (``result.success`` is False) or a file could
not be written, 2 for bad input (with a one-line message, never a traceback), 130 when
interrupted.

The job that ``wgflow demo`` runs is described by :func:`demo_problem`, a :class:`Problem`
(flow, initial density, times, trackers and the exact references to compare with).  Switching
the demo to another equation, e.g. the backward heat equation (eq. (11) of the paper), means
changing that one function; :func:`execute` runs any :class:`Problem`, prints the summary
table and writes the picture and the ``.npz`` file.
"""

from __future__ import annotations

import argparse
import math
import re
import sys
import time
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from scipy.linalg import sqrtm

from . import __version__, exact
from . import flows as flows_module
from .density import Density
from .errors import WgflowError
from .grid import Grid
from .result import SolveResult
from .solve import solve
from .solvers import SOLVERS
from .trackers import TRACKER_NAMES, functional_from_name

__all__ = ["Problem", "Outcome", "demo_problem", "execute", "build_parser", "main"]

PROG = "wgflow"

# -- the demo's built-in problem: a 2-D Gaussian mixture driven back by eq. (11) ------
DEMO_WEIGHTS = (0.3, 0.45, 0.25)
DEMO_MEANS = ((-1.0, -0.5), (0.4, 0.7), (1.2, -0.6))
DEMO_COVS = (
    ((0.15, 0.05), (0.05, 0.08)),
    ((0.06, 0.0), (0.0, 0.2)),
    ((0.2, -0.08), (-0.08, 0.1)),
)
DEMO_BOUNDS = ((-4.0, 4.0), (-4.0, 4.0))
DEMO_N = 128
DEMO_N_QUICK = 64
#: Forward diffusion time of the data; the demo drives them back for 0.8 of it.
DEMO_T = 0.1
DEMO_T_END = 0.8 * DEMO_T
DEMO_DT = 2e-3
DEMO_TRACK = ("shannon", "renyi:2", "tsallis:2", "mass", "w2")
#: Stored times of the demo, in units of T (each one costs an exact W2 with POT).
DEMO_OUTPUTS = (0.0, 0.25, 0.5, 0.65, 0.8)
#: Part of the box shown in the demo's snapshots (the mixture stays well inside it).
DEMO_VIEW = ((-2.5, 2.5), (-2.0, 2.0))

#: Flows of ``wgflow run --flow``.
RUN_FLOWS = ("heat", "porous-medium", "fokker-planck")
#: Initial densities of ``wgflow run --initial``.
RUN_INITIALS = ("gaussian", "barenblatt")
#: Potentials of ``wgflow run --potential``.
RUN_POTENTIALS = ("quadratic",)
RUN_DEFAULT_TRACK = ("shannon", "renyi:2", "tsallis:2", "mass")

ExitCode = int
SUCCESS, SOLVER_FAILED, BAD_INPUT, INTERRUPTED = 0, 1, 2, 130


# ---------------------------------------------------------------------------------------
# problems and their execution
# ---------------------------------------------------------------------------------------
@dataclass
class Problem:
    """Everything a run needs: what to solve, how, and what to compare with.

    Attributes
    ----------
    title : str
        One line naming the problem (printed and used as the picture's title).
    flow : Flow
        The equation, e.g. ``wg.flows.Heat()``.
    rho0 : Density
        Initial density.
    t_end, dt : float
        Final time and time step of :func:`wgflow.solve`.
    method : str
        Solver method (``"jko"``).
    track : tuple of str
        Tracker names recorded along the trajectory.
    options : dict
        Solver options passed to :func:`wgflow.solve` (e.g. ``gamma``).
    t_eval : array, optional
        Times at which densities are stored (default: ten evenly spaced).
    exact : callable, optional
        ``exact(t)`` is the exact solution at time ``t`` (a Density on the same grid);
        when given, every stored density is compared with it (relative L1 error).
    exact_tracked : dict of str to callable
        ``exact_tracked[name](t)`` is the exact value of tracker ``name`` at time ``t``.
    description : list of str
        Lines printed before the run (the setup in words).
    view : list of (lo, hi), optional
        Part of the box shown in the picture's snapshots (default the whole box).
    """

    title: str
    flow: flows_module.Flow
    rho0: Density
    t_end: float
    dt: float
    method: str = "jko"
    track: tuple[str, ...] = ()
    options: dict = field(default_factory=dict)
    t_eval: np.ndarray | None = None
    exact: Callable[[float], Density] | None = None
    exact_tracked: dict[str, Callable[[float], float]] = field(default_factory=dict)
    description: list[str] = field(default_factory=list)
    view: list[tuple[float, float]] | None = None


@dataclass
class Outcome:
    """What :func:`execute` produced.

    Attributes
    ----------
    result : SolveResult
        The trajectory.
    errors : ndarray or None
        Relative L1 error to the exact solution at each stored time (None without one).
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


def _bures_wasserstein(mean0, cov0, mean1, cov1) -> float:
    """W2 between two Gaussians (Bures–Wasserstein closed form)."""
    cov0, cov1 = np.asarray(cov0, float), np.asarray(cov1, float)
    root0 = np.real(sqrtm(cov0))
    cross = np.real(sqrtm(root0 @ cov1 @ root0))
    squared = float(np.sum((np.asarray(mean0, float) - np.asarray(mean1, float)) ** 2))
    squared += float(np.trace(cov0 + cov1 - 2.0 * cross))
    return math.sqrt(max(squared, 0.0))


def _gaussian_references(
    mean: np.ndarray, covariance: Callable[[float], np.ndarray], track: Sequence[str],
    mean_at: Callable[[float], np.ndarray] | None = None,
) -> dict[str, Callable[[float], float]]:
    """Exact values of the trackers along a Gaussian trajectory ``N(mean(t), covariance(t))``."""
    mean_at = mean_at or (lambda t: mean)
    cov0 = covariance(0.0)
    references: dict[str, Callable[[float], float]] = {
        "shannon": lambda t: exact.gaussian_shannon_entropy(covariance(t)),
        "w2": lambda t: _bures_wasserstein(mean, cov0, mean_at(t), covariance(t)),
    }
    for name in track:
        kind, _, order = name.partition(":")
        if kind == "renyi" and order:
            a = float(order)
            references[name] = lambda t, a=a: exact.gaussian_renyi_entropy(covariance(t), a)
        elif kind == "tsallis" and order:
            a = float(order)
            references[name] = lambda t, a=a: exact.gaussian_tsallis_entropy(covariance(t), a)
    return {name: references[name] for name in track if name in references}


def _mixture_references(
    exact_at: Callable[[float], Density], track: Sequence[str]
) -> dict[str, Callable[[float], float]]:
    """Exact values of the entropy trackers along an exact trajectory ``exact_at(t)``: the
    functionals of the exact density by grid quadrature (cell midpoints; spectrally
    accurate for a smooth density that vanishes at the walls)."""
    return {
        name: (lambda t, functional=functional_from_name(name): functional(exact_at(t)))
        for name in track
        if name.partition(":")[0] in ("shannon", "renyi", "tsallis")
    }


def demo_problem(quick: bool = False) -> Problem:
    """The built-in job of ``wgflow demo``: the backward heat equation (eq. 11) by JKO.

    Well-prepared data: the mixture of three anisotropic Gaussians ``DEMO_WEIGHTS``,
    ``DEMO_MEANS``, ``DEMO_COVS`` diffused by the heat flow to ``T = 0.1`` (exact, component
    by component) on ``[-4, 4]^2`` (128^2 cells, 64^2 with ``quick``), then driven back
    by ``wg.flows.BackwardHeat()`` with the semi-implicit JKO scheme for ``0.8 T``
    (``dt = 2e-3``, default regularisation), compared with the exact mixture
    ``heat_gaussian_mixture(grid, ..., T - t)`` and its entropies; W2 to the start by POT.

    Parameters
    ----------
    quick : bool
        Use the coarser 64^2 grid.

    Returns
    -------
    Problem
    """
    n = DEMO_N_QUICK if quick else DEMO_N
    grid = Grid(bounds=DEMO_BOUNDS, shape=(n, n))

    def exact_at(t: float) -> Density:
        return exact.heat_gaussian_mixture(grid, DEMO_WEIGHTS, DEMO_MEANS, DEMO_COVS, DEMO_T - t)

    return Problem(
        title=f"backward heat equation (11) from a diffused 2-D Gaussian mixture, {n}x{n} "
        "grid, JKO",
        flow=flows_module.BackwardHeat(),
        rho0=exact_at(0.0),
        t_end=DEMO_T_END,
        dt=DEMO_DT,
        method="jko",
        track=DEMO_TRACK,
        t_eval=DEMO_T * np.array(DEMO_OUTPUTS),
        exact=exact_at,
        exact_tracked=_mixture_references(exact_at, DEMO_TRACK),
        description=[
            "equation   d_t rho = -Lap rho (backward heat, eq. 11), the Wasserstein gradient "
            "flow that decreases H",
            f"data       3 anisotropic Gaussians diffused to T = {DEMO_T:g} on "
            f"{[list(b) for b in DEMO_BOUNDS]}, {n}x{n} cells",
            f"solver     semi-implicit JKO (POT kernels), back for {DEMO_T_END:g} = 0.8 T, "
            f"dt = {DEMO_DT:g}",
            "exact      the mixture diffused to T - t, its entropies by quadrature",
        ],
        view=list(DEMO_VIEW),
    )


def _lookup(times: np.ndarray, values: np.ndarray, t: float) -> float:
    """The recorded value at the recorded time closest to ``t`` (NaN if none is close)."""
    if times.size == 0:
        return float("nan")
    index = int(np.argmin(np.abs(times - t)))
    return float(values[index]) if abs(times[index] - t) <= 1e-9 * max(1.0, abs(t)) else float("nan")


def _format_table(headers: list[str], rows: list[list[float]], scientific: set[int] = frozenset()) -> str:
    """A plain-text table; columns whose index is in ``scientific`` use ``%.3e``."""
    widths = [max(11, len(h)) for h in headers]
    lines = ["  ".join(h.rjust(w) for h, w in zip(headers, widths))]
    lines.append("  ".join("-" * w for w in widths))
    for row in rows:
        cells = []
        for column, (value, width) in enumerate(zip(row, widths)):
            if value is None or math.isnan(value):
                text = "-"
            elif column in scientific:
                text = f"{value:.3e}"
            else:
                text = f"{value:.6g}"
            cells.append(text.rjust(width))
        lines.append("  ".join(cells))
    return "\n".join(lines)


def summarize(problem: Problem, result: SolveResult, errors: np.ndarray | None) -> str:
    """The summary table (one row per stored time) and the final status, as text.

    Columns: time, every tracked functional, the exact Shannon entropy when known (next to
    the computed one) and the relative L1 error to the exact solution when known.
    """
    headers = ["t"]
    columns: list[Callable[[int, float], float]] = []
    for name in result.tracked:
        times = np.asarray(result.tracked_times[name])
        values = np.asarray(result.tracked[name])
        headers.append(name)
        columns.append(lambda i, t, times=times, values=values: _lookup(times, values, t))
        if name == "shannon" and "shannon" in problem.exact_tracked:
            headers.append("exact H")
            columns.append(lambda i, t: problem.exact_tracked["shannon"](t))
    if errors is not None:
        headers.append("rel L1 err")
        columns.append(lambda i, t: float(errors[i]))
    rows = [[float(t)] + [c(i, float(t)) for c in columns] for i, t in enumerate(result.times)]
    scientific = {len(headers) - 1} if errors is not None else set()
    lines = [_format_table(headers, rows, scientific), ""]
    if errors is not None:
        lines.append(f"final relative L1 error vs exact: {errors[-1]:.3e}")
    if "shannon" in result.tracked and "shannon" in problem.exact_tracked:
        t_final = float(result.tracked_times["shannon"][-1])
        gap = float(result.tracked["shannon"][-1]) - problem.exact_tracked["shannon"](t_final)
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
    stream=None,
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
    """
    from .plotting import plot_result, save_figure  # matplotlib only when needed

    stream = stream or sys.stdout
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    print(problem.title, file=stream)
    for line in problem.description:
        print("  " + line, file=stream)
    stream.flush()

    start = time.perf_counter()
    result = solve(
        problem.flow, problem.rho0, t_end=problem.t_end, dt=problem.dt, method=problem.method,
        track=list(problem.track), t_eval=problem.t_eval, progress=progress, **problem.options,
    )
    seconds = time.perf_counter() - start

    errors = None
    exact_final = None
    if problem.exact is not None:
        references = [problem.exact(float(t)) for t in result.times]
        errors = np.array([rho.relative_l1_error(ref) for rho, ref in zip(result.densities, references)])
        exact_final = references[-1]
    summary = summarize(problem, result, errors)
    summary += f"\nsolve time: {seconds:.1f} s ({len(result.statistics.get('sinkhorn_iterations', []))} steps)"

    exact_curves = {}
    for name, function in problem.exact_tracked.items():
        if name in result.tracked:
            t_ref = np.linspace(0.0, float(result.times[-1]), 101)
            exact_curves[name] = (t_ref, [function(float(t)) for t in t_ref])
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

    print(file=stream)
    print(summary, file=stream)
    print(f"wrote {figure_path} and {data_path}", file=stream)
    stream.flush()
    return Outcome(result, errors, figure_path, data_path, seconds, summary)


# ---------------------------------------------------------------------------------------
# wgflow run: building a Problem from the command line
# ---------------------------------------------------------------------------------------
def _positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not math.isfinite(value) or value <= 0:
        raise argparse.ArgumentTypeError(f"expected a finite number > 0, got {text!r}")
    return value


def _finite_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"expected a finite number, got {text!r}")
    return value


def _integer_at_least(minimum: int):
    """An argparse type: an integer ``>= minimum``."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected an integer, got {text!r}") from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"expected an integer >= {minimum}, got {text!r}")
        return value

    return parse


def _tracker_list(text: str) -> tuple[str, ...]:
    names = tuple(name.strip() for name in text.split(",") if name.strip())
    if not names:
        raise argparse.ArgumentTypeError("expected comma-separated tracker names, e.g. shannon,mass")
    for name in names:
        if name in ("mass", "energy", "w2"):
            continue
        try:
            functional_from_name(name)
        except WgflowError:
            raise argparse.ArgumentTypeError(
                f"unknown tracker {name!r}; accepted: {', '.join(TRACKER_NAMES)} "
                "(a is an order > 0, a != 1, e.g. renyi:2)"
            ) from None
    return names


def _potential(name: str, center: np.ndarray) -> Callable[..., np.ndarray]:
    """``V(x) = |x - center|^2 / 2`` (the only potential so far: equilibrium N(center, I))."""
    if name != "quadratic":  # pragma: no cover - argparse restricts the choices
        raise WgflowError(f"unknown potential {name!r}; accepted: {', '.join(RUN_POTENTIALS)}")
    return lambda *x: 0.5 * sum((xi - c) ** 2 for xi, c in zip(x, center))


def run_problem(args: argparse.Namespace) -> Problem:
    """Turn the options of ``wgflow run`` into a :class:`Problem` (raises WgflowError)."""
    a, b = args.bounds
    if not a < b:
        raise WgflowError(f"--bounds A B needs A < B, got {a:g} {b:g}")
    if args.dt > args.t_end:
        raise WgflowError(f"--dt {args.dt:g} is larger than --t-end {args.t_end:g}")
    initial = args.initial or ("barenblatt" if args.flow == "porous-medium" else "gaussian")
    uses_m = args.flow == "porous-medium" or initial == "barenblatt"
    if args.m is not None and not uses_m:
        raise WgflowError("--m is used only by --flow porous-medium and --initial barenblatt")
    if args.potential is not None and args.flow != "fokker-planck":
        raise WgflowError("--potential applies to --flow fokker-planck only")
    for option, value in (("--t0", args.t0), ("--C", args.C)):
        if value is not None and initial != "barenblatt":
            raise WgflowError(f"{option} applies to --initial barenblatt only")
    if args.variance is not None and initial != "gaussian":
        raise WgflowError("--variance applies to --initial gaussian only")
    m = 2.0 if args.m is None else args.m
    if uses_m and m <= 1:
        raise WgflowError(f"--m must be > 1 (m = 1 is the heat equation), got {m:g}")
    t0 = 0.01 if args.t0 is None else args.t0
    C = 0.01 if args.C is None else args.C
    variance = 0.01 if args.variance is None else args.variance

    d = args.dim
    grid = Grid(bounds=[(a, b)] * d, shape=(args.n,) * d)
    center = np.full(d, 0.5 * (a + b))
    identity = np.eye(d)

    if args.flow == "heat":
        flow = flows_module.Heat()
    elif args.flow == "porous-medium":
        flow = flows_module.PorousMedium(m)
    else:
        potential = args.potential or "quadratic"
        flow = flows_module.FokkerPlanck(_potential(potential, center))

    exact_solution = None
    exact_tracked: dict[str, Callable[[float], float]] = {}
    if initial == "gaussian":
        cov = variance * identity
        rho0 = exact.heat_gaussian(grid, center, cov, 0.0)
        start = f"N(centre, {variance:g} I)"
        if args.flow == "heat":
            exact_note = "N(centre, (variance + 2 t) I)"

            def covariance(t: float) -> np.ndarray:
                return cov + 2.0 * t * identity

            exact_solution = lambda t: exact.heat_gaussian(grid, center, cov, t)  # noqa: E731
            exact_tracked = _gaussian_references(center, covariance, args.track)
        elif args.flow == "fokker-planck":
            # Ornstein–Uhlenbeck: N(c, e^{-2t} S + (1 - e^{-2t}) I), walls neglected
            exact_note = "Ornstein-Uhlenbeck N(centre, e^-2t S + (1 - e^-2t) I)"

            def covariance(t: float) -> np.ndarray:
                return math.exp(-2.0 * t) * cov + (1.0 - math.exp(-2.0 * t)) * identity

            exact_solution = lambda t: exact.heat_gaussian(grid, center, covariance(t), 0.0)  # noqa: E731
            exact_tracked = _gaussian_references(center, covariance, args.track)
        else:
            exact_note = "none known (porous medium from a Gaussian)"
    else:
        rho0 = exact.barenblatt(grid, m, t0, C, center=center)
        if rho0.mass <= 0:
            raise WgflowError(
                f"the Barenblatt profile at t0 = {t0:g} with C = {C:g} falls between the cell "
                "centres (zero mass on the grid): raise --n, --C or --t0"
            )
        start = f"Barenblatt(m = {m:g}, C = {C:g}) at t0 = {t0:g}"
        if args.flow == "porous-medium":
            exact_note = f"Barenblatt at t0 + t = {t0:g} + t"
            exact_solution = lambda t: exact.barenblatt(grid, m, t0 + t, C, center=center)  # noqa: E731
            references = {
                "shannon": lambda t: exact.barenblatt_shannon_entropy(d, m, t0 + t, C),
            }
            for name in args.track:
                kind, _, order = name.partition(":")
                if kind == "renyi" and order:
                    references[name] = lambda t, q=float(order): exact.barenblatt_renyi_entropy(
                        d, m, t0 + t, C, q)
                elif kind == "tsallis" and order:
                    references[name] = lambda t, q=float(order): exact.barenblatt_tsallis_entropy(
                        d, m, t0 + t, C, q)
            exact_tracked = {n: f for n, f in references.items() if n in args.track}
        else:
            exact_note = "none known (Barenblatt start outside the porous-medium flow)"

    options = {} if args.gamma is None else {"gamma": args.gamma}
    t_eval = None if args.outputs is None else np.linspace(0.0, args.t_end, args.outputs + 1)
    return Problem(
        title=f"{flow.name} flow in {d}-D, {'x'.join([str(args.n)] * d)} cells, {args.method}",
        flow=flow,
        rho0=rho0,
        t_end=args.t_end,
        dt=args.dt,
        method=args.method,
        track=tuple(args.track),
        options=options,
        t_eval=t_eval,
        exact=exact_solution,
        exact_tracked=exact_tracked,
        description=[
            f"equation   {flow.equation}",
            f"initial    {start} on [{a:g}, {b:g}]^{d}, {args.n} cells per axis",
            f"solver     {args.method}, t_end = {args.t_end:g}, dt = {args.dt:g}"
            + (f", gamma = {args.gamma:g}" if args.gamma is not None else ""),
            f"exact      {exact_note}",
        ],
    )


# ---------------------------------------------------------------------------------------
# wgflow info
# ---------------------------------------------------------------------------------------
def info_text() -> str:
    """Version, flows, methods and trackers available (the text of ``wgflow info``)."""
    import matplotlib
    import ot
    import scipy

    lines = [
        f"wgflow {__version__}  (numpy {np.__version__}, scipy {scipy.__version__}, "
        f"POT {ot.__version__}, matplotlib {matplotlib.__version__}, Python "
        f"{sys.version.split()[0]})",
        "",
        "flows (wgflow.flows):",
    ]
    for name in flows_module.__all__:
        cls = getattr(flows_module, name)
        if cls is flows_module.Flow or not isinstance(cls, type):
            continue
        equation = cls.__dict__.get("equation")
        if not isinstance(equation, str):
            equation = (cls.__doc__ or "").strip().splitlines()[0].replace("``", "") if cls.__doc__ else ""
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


# ---------------------------------------------------------------------------------------
# the parser
# ---------------------------------------------------------------------------------------
DESCRIPTION = """\
wgflow evolves probability densities on grids (1-D, 2-D, 3-D boxes) along Wasserstein
gradient flows -- heat, porous-medium and Fokker-Planck equations -- with the entropic JKO
scheme (Wasserstein proximal steps computed with POT), records entropies (Shannon, Renyi,
Tsallis) along the way, and compares with exact solutions. It implements the transport
analysis of denoising autoencoders (Sonoda & Murata), in which a DAE moves mass like the
backward heat equation.

Each command prints a summary table and writes a picture (.png) and the whole trajectory
(.npz, readable with wgflow.SolveResult.load)."""

EPILOG = """\
examples:
  wgflow demo                       heat flow of a 2-D Gaussian vs the exact solution
  wgflow demo --quick --out /tmp/d  the same on a coarser grid, files in /tmp/d
  wgflow run --flow porous-medium --m 2 --dim 1 --n 256 --bounds -1 1 --t-end 0.01 --dt 1e-3
  wgflow run --flow heat --dim 2 --n 64 --t-end 0.01 --dt 1e-3 --track shannon,w2
  wgflow run --flow fokker-planck --potential quadratic --dim 1 --bounds -4 4 --t-end 0.5 --dt 0.01
  wgflow info                       version, flows, methods and trackers
  wgflow run --help                 every option of 'run'

exit status: 0 success, 1 the solver stopped early (see the printed message),
2 bad input."""

RUN_DESCRIPTION = """\
Run one flow from a built-in initial density, print a summary table, and write
OUT/run.png and OUT/run.npz.

The initial density sits at the centre of the box [A, B]^dim:
  gaussian    N(centre, VARIANCE I)
  barenblatt  the Barenblatt profile of exponent M and constant C at time T0,
              rho(x, t0) = t0^-alpha (C - k |x - centre|^2 t0^(-2 alpha/d))_+^(1/(m-1))

Where an exact solution is known the table shows the relative L1 error to it:
  heat from a Gaussian              N(centre, (VARIANCE + 2 t) I)
  porous-medium from a Barenblatt   the Barenblatt profile at time T0 + t
  fokker-planck (quadratic V) from a Gaussian   Ornstein-Uhlenbeck closed form
(exact solutions live on the whole space; the box walls are ignored, so keep the
density away from them)."""

RUN_EPILOG = """\
examples:
  wgflow run --flow porous-medium --m 2 --dim 1 --n 256 --bounds -1 1 --t-end 0.01 --dt 1e-3
  wgflow run --flow porous-medium --dim 2 --n 128 --bounds -0.5 0.5 --t0 0.01 --C 0.01 \\
             --t-end 0.005 --dt 1e-3
  wgflow run --flow heat --initial gaussian --variance 0.02 --dim 2 --n 64 --bounds -1 1 \\
             --t-end 0.02 --dt 2e-3 --track shannon,renyi:2,w2"""


_Formatter = argparse.RawDescriptionHelpFormatter

#: Negative numbers, scientific notation included ("-1e-3"), are values, not options.
_NEGATIVE_NUMBER = re.compile(r"^-(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$")


def _accept_negative_numbers(parser: argparse.ArgumentParser) -> None:
    """Let ``--dt -1e-3`` reach the value check (argparse only knows "-1" and "-.5")."""
    parser._negative_number_matcher = _NEGATIVE_NUMBER  # private in argparse; harmless if unused


def build_parser() -> argparse.ArgumentParser:
    """The ``wgflow`` argument parser (subcommands ``demo``, ``run``, ``info``)."""
    parser = argparse.ArgumentParser(
        prog=PROG, description=DESCRIPTION, epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"wgflow {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", title="commands")

    demo = commands.add_parser(
        "demo", formatter_class=_Formatter,
        help="run the built-in example: heat flow of a 2-D Gaussian vs its exact solution",
        description=(
            "Heat flow d_t rho = Lap rho of the 2-D Gaussian N(0, [[0.02, 0.01], [0.01, 0.03]])\n"
            "on [-2, 2]^2 (128x128 cells; 64x64 with --quick) up to t = 0.05 with dt = 1e-3 by\n"
            "the entropic JKO scheme, tracking the Shannon, Renyi-2 and Tsallis-2 entropies,\n"
            "the mass and W2 to the start. Prints a table against the exact solution\n"
            "N(0, cov + 2 t I) and writes OUT/demo.png and OUT/demo.npz."
        ),
    )
    demo.add_argument("--out", default="wgflow-demo", metavar="DIR",
                      help="folder for demo.png and demo.npz (default ./wgflow-demo)")
    demo.add_argument("--quick", action="store_true", help="use a 64x64 grid instead of 128x128")
    demo.add_argument("--no-progress", action="store_true", help="hide the progress bar")

    run = commands.add_parser(
        "run", formatter_class=_Formatter, description=RUN_DESCRIPTION, epilog=RUN_EPILOG,
        help="run a chosen flow, grid and method",
    )
    run.add_argument("--flow", required=True, choices=RUN_FLOWS,
                     help="the equation: heat d_t rho = Lap rho; porous-medium d_t rho = "
                          "Lap rho^m; fokker-planck d_t rho = Lap rho + div(rho grad V)")
    run.add_argument("--m", type=_finite_float, default=None, metavar="M",
                     help="porous-medium / Barenblatt exponent m > 1 (default 2)")
    run.add_argument("--potential", choices=RUN_POTENTIALS, default=None,
                     help="fokker-planck potential: quadratic V = |x - centre|^2 / 2 "
                          "(default quadratic)")
    run.add_argument("--initial", choices=RUN_INITIALS, default=None,
                     help="initial density (default barenblatt for porous-medium, else gaussian)")
    run.add_argument("--variance", type=_positive_float, default=None,
                     help="variance of the Gaussian initial density (default 0.01)")
    run.add_argument("--t0", type=_positive_float, default=None,
                     help="time of the Barenblatt initial profile (default 0.01)")
    run.add_argument("--C", type=_positive_float, default=None,
                     help="Barenblatt constant C, fixes the mass (default 0.01)")
    run.add_argument("--dim", type=int, choices=(1, 2, 3), default=1, help="dimension (default 1)")
    run.add_argument("--n", type=_integer_at_least(2), default=128, metavar="N", help="cells per axis (default 128)")
    run.add_argument("--bounds", type=_finite_float, nargs=2, default=(-1.0, 1.0),
                     metavar=("A", "B"), help="the box [A, B]^dim (default -1 1)")
    run.add_argument("--t-end", type=_positive_float, default=0.01, metavar="T",
                     help="final time (default 0.01)")
    run.add_argument("--dt", type=_positive_float, default=1e-3, metavar="DT", help="time step (default 1e-3)")
    run.add_argument("--method", choices=sorted(SOLVERS), default="jko", help="solver (default jko)")
    run.add_argument("--gamma", type=_positive_float, default=None, metavar="G",
                     help="entropic regularisation of the JKO steps (default: 2 h^2, "
                          "h the cell width)")
    run.add_argument("--track", type=_tracker_list, default=RUN_DEFAULT_TRACK,
                     metavar="NAMES",
                     help="comma-separated functionals to record: shannon, renyi:a, "
                          "tsallis:a, mass, energy, w2 (w2 solves an exact transport problem "
                          "per stored time: slow in 2-D/3-D; default shannon,renyi:2,tsallis:2,mass)")
    run.add_argument("--outputs", type=_integer_at_least(1), default=None, metavar="K",
                     help="number of stored densities after t = 0 (default 10)")
    run.add_argument("--out", default="wgflow-run", metavar="DIR",
                     help="folder for run.png and run.npz (default ./wgflow-run)")
    run.add_argument("--no-progress", action="store_true", help="hide the progress bar")

    for sub in (parser, demo, run):
        _accept_negative_numbers(sub)
    commands.add_parser(
        "info", help="print the version and the flows, methods and trackers available",
        description="Print the version and the flows, methods and trackers available.",
    )
    return parser


def _show_warning(message, category, filename, lineno, file=None, line=None) -> None:
    print(f"{PROG}: {category.__name__}: {message}", file=sys.stderr)


def main(argv: Sequence[str] | None = None) -> ExitCode:
    """Entry point of the ``wgflow`` console script.

    Parameters
    ----------
    argv : sequence of str, optional
        The arguments (default ``sys.argv[1:]``); ``pathlib.Path`` items are accepted.

    Returns
    -------
    int
        0 on success, 1 when the solver stopped early or a file could not be written,
        2 for bad input, 130 when interrupted.
    """
    parser = build_parser()
    if argv is not None:
        argv = [str(a) for a in argv]
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # --help, --version and usage errors
        return exc.code if isinstance(exc.code, int) else (0 if exc.code is None else BAD_INPUT)
    if args.command is None:
        parser.print_help()
        return BAD_INPUT
    if args.command == "info":
        print(info_text())
        return SUCCESS

    with warnings.catch_warnings():
        warnings.showwarning = _show_warning
        try:
            if args.command == "demo":
                problem, stem = demo_problem(quick=args.quick), "demo"
            else:
                problem, stem = run_problem(args), "run"
            outcome = execute(problem, args.out, stem, progress=not args.no_progress)
        except WgflowError as exc:
            print(f"{PROG} {args.command}: error: {exc}", file=sys.stderr)
            return BAD_INPUT
        except OSError as exc:
            print(f"{PROG} {args.command}: error: cannot write the output: {exc}", file=sys.stderr)
            return SOLVER_FAILED
        except KeyboardInterrupt:
            print(f"\n{PROG} {args.command}: interrupted", file=sys.stderr)
            return INTERRUPTED
    return SUCCESS if outcome.result.success else SOLVER_FAILED


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
