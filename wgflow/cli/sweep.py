"""``wgflow sweep SPEC.toml``: the runs of ``wgflow run`` over the product of lists of option
values, on Dask (:func:`wgflow.sweep`).

The spec is a TOML file.  Its keys are the options of ``wgflow run`` (``flow``, ``m``,
``n``, ``t_end``, ...; a dash may stand for the underscore); a list sweeps the option over
its values, a single value fixes it.  Options whose value is itself a list are swept by a
list of lists: ``bounds = [-1, 1]`` is fixed, ``bounds = [[-1, 1], [-2, 2]]`` swept;
``track = ["shannon", "mass"]`` (or ``"shannon,mass"``) is fixed, a list of lists swept.
A ``[sweep]`` table says where and how: ``directory``, ``scheduler``, ``n_workers``,
``figures``, ``timeout``.  Every run is checked, as ``wgflow run`` checks its options,
before any starts.
"""

from __future__ import annotations

import argparse
import importlib
import itertools
import math
import numbers
import re
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeGuard

from ..errors import WgflowError, check_integer, check_positive
from ..interrupt import EXIT_STATUS
from ..result import SolveResult
from ..solve import solve
from ..storage import atomic_write
from . import problems

#: Exit statuses (those of :func:`wgflow.cli.main`; an interrupt's is 128 + SIGINT).
SUCCESS, SOME_FAILED, BAD_INPUT = 0, 1, 2
INTERRUPTED = EXIT_STATUS["SIGINT"]

#: The spec keys: the options of ``wgflow run`` (their ``argparse`` names) and what each takes.
RUN_KEYS: dict[str, str] = {
    "flow": "choice", "m": "real", "potential": "choice", "initial": "choice",
    "input": "text", "bandwidth": "bandwidth", "variance": "real", "t0": "real", "C": "real",
    "dim": "dimension", "n": "integer", "bounds": "pair", "t_end": "real", "dt": "real",
    "method": "choice", "gamma": "real", "rtol": "real", "track": "names",
    "outputs": "integer",
}
#: The accepted values of the keys of kind ``"choice"``.
CHOICES: dict[str, Sequence[str]] = {
    "flow": problems.RUN_FLOWS, "potential": problems.RUN_POTENTIALS,
    "initial": problems.RUN_INITIALS, "method": problems.RUN_METHODS,
}
#: The values of ``wgflow run`` when an option is not given.
RUN_DEFAULTS: dict[str, Any] = {
    **dict.fromkeys(RUN_KEYS), "method": "jko", "track": list(problems.RUN_DEFAULT_TRACK),
}
#: The keys of the ``[sweep]`` table and what each takes.
SWEEP_KEYS = {
    "directory": "a path (default wgflow-sweep)",
    "scheduler": "the address of a running Dask scheduler, e.g. 'tcp://127.0.0.1:8786' "
                 "(default: an embedded cluster)",
    "n_workers": "an integer >= 1: the workers of the embedded cluster (default: the cores)",
    "figures": "a list of names: tracked functionals, statistics or settings of the results",
    "timeout": "seconds to wait for the scheduler and a worker (default 10)",
}
DEFAULT_DIRECTORY = "wgflow-sweep"
#: Name of the table written in the directory.
TABLE_NAME = "sweep.csv"
#: The figure every run of the command adds: its relative L1 error to the exact solution.
EXACT_ERROR = "exact_error"

_KIND_TEXT = {
    "real": "a number", "integer": "an integer", "dimension": "1, 2 or 3",
    "text": "a string", "bandwidth": "a number >= 0 or a rule name (scott, silverman)",
}

DESCRIPTION = """\
Run 'wgflow run' for every combination of the option values listed in SPEC (a TOML file)
on a Dask cluster, print a table with one row per run and write it as DIR/sweep.csv beside
each run's result (DIR/run-<index>-<key>.npz, read with wgflow.SolveResult.load).  Run it
again with the same directory to finish an interrupted sweep: the runs stored there are
not run again.

SPEC holds the options of 'wgflow run' as keys (t_end or t-end); a list sweeps an option,
a value fixes it (bounds and track, whose values are lists, are swept by lists of lists).
Every run is checked before any starts.  An optional [sweep] table:
  directory  where the results and sweep.csv go (default ./wgflow-sweep)
  scheduler  the address of a running Dask scheduler (default: an embedded cluster)
  n_workers  the workers of the embedded cluster (default: the number of cores)
  figures    more columns: names of tracked functionals, statistics or settings
  timeout    seconds to wait for the scheduler and its workers (default 10)

Exit status: 0 every run succeeded, 1 some run failed (see its row), 2 bad input."""

EPILOG = """\
example spec (pme.toml): the backward porous-medium flow of 2 x 2 Barenblatt profiles
  flow = "backward-porous-medium"
  m = [2.0, 3.0]
  C = [0.1, 0.2]
  n = 512
  track = ["tsallis:2", "mass"]

  [sweep]
  directory = "pme-sweep"
  n_workers = 2

  wgflow sweep pme.toml
  wgflow sweep pme.toml --scheduler tcp://127.0.0.1:8786"""


@dataclass
class Spec:
    """A sweep spec, checked.

    Attributes
    ----------
    params : list of dict
        The options of each run (every key of the spec, swept or fixed, as plain values).
    swept : list of str
        The keys that take more than one value.
    directory : str
    scheduler : str, optional
    n_workers : int, optional
    figures : list of str
    timeout : float
    """

    params: list[dict[str, Any]]
    swept: list[str]
    directory: str = DEFAULT_DIRECTORY
    scheduler: str | None = None
    n_workers: int | None = None
    figures: list[str] = field(default_factory=list)
    timeout: float = 10.0


def _is_real(value: object) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


def _is_integer(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_pair(value: object) -> TypeGuard[list[float]]:
    return isinstance(value, list) and len(value) == 2 and all(map(_is_real, value))


def _is_names(value: object) -> bool:
    return isinstance(value, str) or (
        isinstance(value, list) and bool(value) and all(isinstance(v, str) for v in value)
    )


def _scalar_ok(kind: str, value: object) -> bool:
    """Whether ``value`` is one value of an option of ``kind``."""
    if kind == "real":
        return _is_real(value)
    if kind == "integer":
        return _is_integer(value)
    if kind == "dimension":
        return _is_integer(value) and value in (1, 2, 3)
    if kind == "bandwidth":
        return _is_real(value) or isinstance(value, str)
    return isinstance(value, str)  # choice, text


def _describe(key: str, kind: str) -> str:
    """What ``key`` accepts, in words."""
    if kind == "choice":
        return f"one of {', '.join(CHOICES[key])}"
    if kind == "pair":
        return "a pair [A, B] of numbers, or a list of pairs to sweep"
    if kind == "names":
        return ("tracker names ('shannon,mass' or ['shannon', 'mass']), or a list of such "
                "lists to sweep")
    return f"{_KIND_TEXT[kind]}, or a list of them to sweep"


def _values(key: str, value: object) -> list[Any]:
    """The values that the spec's ``key = value`` takes (one if fixed), as plain values."""
    kind = RUN_KEYS[key]
    bad = WgflowError(
        f"spec key {key} = {value!r} ({type(value).__name__}); accepted: {_describe(key, kind)}"
    )
    if kind == "pair":
        if _is_pair(value):
            return [[float(v) for v in value]]
        if isinstance(value, list) and value and all(map(_is_pair, value)):
            return [[float(v) for v in pair] for pair in value]
        raise bad
    if kind == "names":
        if isinstance(value, (str, list)) and _is_names(value):
            return [_names(value)]
        if isinstance(value, list) and value and all(map(_is_names, value)):
            return [_names(names) for names in value]
        raise bad
    values: list[Any] = value if isinstance(value, list) else [value]
    if not values or not all(_scalar_ok(kind, v) for v in values):
        raise bad
    if kind == "choice":
        for v in values:
            if v not in CHOICES[key]:
                raise WgflowError(
                    f"spec key {key} = {v!r}; accepted: {', '.join(CHOICES[key])}"
                )
    if kind == "bandwidth":
        return [v.strip().lower() if isinstance(v, str) else float(v) for v in values]
    return [float(v) if kind == "real" else v for v in values]


def _names(value: str | list[str]) -> list[str]:
    """Tracker names from ``"a,b"`` or ``["a", "b"]``."""
    items = value.split(",") if isinstance(value, str) else value
    return [name.strip() for name in items if name.strip()]


def _option_text(message: str) -> str:
    """A message of ``wgflow run`` with its option names (``--t-end``) as spec keys
    (``t_end``)."""
    return re.sub(r"--([A-Za-z][\w-]*)", lambda m: m.group(1).replace("-", "_"), message)


def _check_sweep_table(table: object) -> dict[str, Any]:
    """The ``[sweep]`` table, checked."""
    if not isinstance(table, dict):
        raise WgflowError(f"spec: sweep must be a table ([sweep]), got {table!r}")
    unknown = [key for key in table if key not in SWEEP_KEYS]
    if unknown:
        accepted = "; ".join(f"{key}: {text}" for key, text in SWEEP_KEYS.items())
        raise WgflowError(
            f"unknown key {', '.join(map(repr, unknown))} in the [sweep] table; accepted: "
            f"{accepted}"
        )
    checked = dict(table)
    for key in ("directory", "scheduler"):
        if key in table and not isinstance(table[key], str):
            raise WgflowError(
                f"[sweep] {key} = {table[key]!r}; accepted: {SWEEP_KEYS[key]}"
            )
    if "n_workers" in table:
        check_integer("[sweep] n_workers", table["n_workers"])
    if "timeout" in table:
        checked["timeout"] = check_positive("[sweep] timeout", table["timeout"])
    if "figures" in table:
        figures = table["figures"]
        if not isinstance(figures, list) or not all(isinstance(f, str) and f for f in figures):
            raise WgflowError(
                f"[sweep] figures = {figures!r}; accepted: {SWEEP_KEYS['figures']}, e.g. "
                "['gamma', 'roughness']"
            )
    if "scheduler" in table and "n_workers" in table:
        raise WgflowError(
            "[sweep] n_workers applies to the embedded cluster only; with scheduler = "
            f"{table['scheduler']!r} the cluster keeps its own workers"
        )
    return checked


def check_spec(data: dict[str, Any]) -> Spec:
    """Check a parsed spec and build the options of every run.

    Every run is checked as ``wgflow run`` checks its options
    (:func:`wgflow.cli.problems.run_problem`), so that a bad combination is refused before
    any run starts.

    Raises
    ------
    WgflowError
        For an unknown key (the message lists the accepted ones), a value of the wrong type
        or range, or a combination that ``wgflow run`` refuses (naming the run).
    """
    table = _check_sweep_table(data.get("sweep", {}))
    options = {key.replace("-", "_"): value for key, value in data.items() if key != "sweep"}
    unknown = [key for key in options if key not in RUN_KEYS]
    if unknown:
        raise WgflowError(
            f"unknown spec key {', '.join(map(repr, unknown))}; accepted: the options of "
            f"wgflow run: {', '.join(RUN_KEYS)}, and a [sweep] table"
        )
    if "flow" not in options:
        raise WgflowError(
            f"the spec needs a flow (as wgflow run needs --flow): one of "
            f"{', '.join(problems.RUN_FLOWS)}"
        )
    values = {key: _values(key, value) for key, value in options.items()}
    swept = [key for key, items in values.items() if len(items) > 1]
    params = [dict(zip(values, combination))
              for combination in itertools.product(*values.values())]
    for index, run in enumerate(params):
        try:
            problems.run_problem(namespace(run))
        except WgflowError as exc:
            where = ", ".join(f"{key} = {run[key]!r}" for key in swept)
            raise WgflowError(
                f"run {index}{f' ({where})' if where else ''}: {_option_text(str(exc))}"
            ) from None
    return Spec(params, swept, **table)


def read_spec(path: str | Path) -> Spec:
    """Read and check the spec file ``path`` (TOML; :func:`check_spec`).

    Raises
    ------
    WgflowError
        If the file cannot be read or is not TOML (naming the file), or its content is bad.
    """
    toml = importlib.import_module("tomllib" if sys.version_info >= (3, 11) else "tomli")
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise WgflowError(f"cannot read the spec {str(path)!r}: {exc}") from None
    try:
        data = toml.loads(text)
    except toml.TOMLDecodeError as exc:
        raise WgflowError(f"the spec {str(path)!r} is not valid TOML: {exc}") from None
    return check_spec(data)


def namespace(params: dict[str, Any]) -> argparse.Namespace:
    """The parsed options of ``wgflow run`` that a run of the spec stands for."""
    options = {**RUN_DEFAULTS, **params}
    options["track"] = tuple(options["track"])
    return argparse.Namespace(**options)


def run_options(params: dict[str, Any]) -> SolveResult:
    """One run of a spec: ``wgflow run`` with the options ``params``, without its picture.

    The run's relative L1 error to the exact solution at its final time, where one is known
    (as ``wgflow run`` reports it), is added as ``statistics["exact_error"]`` (NaN where
    none is known).

    Returns
    -------
    SolveResult
    """
    problem = problems.run_problem(namespace(params))
    result = solve(
        problem.flow, problem.rho0, t_end=problem.t_end, dt=problem.dt, method=problem.method,
        track=list(problem.track), t_eval=problem.t_eval, **problem.options,
    )
    exact = problem.exact_at(float(result.times[-1]))
    result.statistics[EXACT_ERROR] = (
        math.nan if exact is None else result.final.relative_l1_error(exact)
    )
    return result


def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    """Add ``wgflow sweep`` to the subcommands of the ``wgflow`` parser.

    Parameters
    ----------
    subparsers
        What ``ArgumentParser.add_subparsers`` returned.

    Returns
    -------
    argparse.ArgumentParser
        The parser of ``wgflow sweep``.
    """
    parser = subparsers.add_parser(
        "sweep", formatter_class=argparse.RawDescriptionHelpFormatter,
        description=DESCRIPTION, epilog=EPILOG,
        help="run 'wgflow run' over lists of option values on Dask (a TOML spec)",
    )
    parser.add_argument("spec", metavar="SPEC", help="the sweep spec, a TOML file")
    parser.add_argument("--directory", default=None, metavar="DIR",
                        help="where the results go (instead of the spec's)")
    parser.add_argument("--scheduler", default=None, metavar="ADDRESS",
                        help="a running Dask scheduler (instead of the spec's)")
    parser.add_argument("--n-workers", type=int, default=None, metavar="N",
                        help="workers of the embedded cluster (instead of the spec's)")
    parser.add_argument("--quiet", action="store_true", help="print only the table")
    return parser


def _overrides(spec: Spec, args: argparse.Namespace) -> Spec:
    """The spec with the command line's ``--directory``, ``--scheduler``, ``--n-workers``."""
    if args.directory is not None:
        spec.directory = args.directory
    if args.scheduler is not None:
        spec.scheduler, spec.n_workers = args.scheduler, None
    if args.n_workers is not None:
        if spec.scheduler is not None:
            raise WgflowError(
                f"--n-workers applies to the embedded cluster only, not to the scheduler "
                f"{spec.scheduler!r}"
            )
        spec.n_workers = check_integer("--n-workers", args.n_workers)
    return spec


def _progress(spec: Spec, stream: Any) -> Callable[[int, dict[str, Any]], None]:
    """A callback of :func:`wgflow.sweep` that prints a line per finished run."""
    done = itertools.count(1)
    total = len(spec.params)

    def report(index: int, row: dict[str, Any]) -> None:
        where = ", ".join(f"{key} = {row[key]!r}" for key in spec.swept) or "the run"
        if row["resumed"]:
            state = "stored before, not run again"
        elif row["success"]:
            state = f"done in {row['seconds']:.1f} s"
        else:
            state = f"FAILED: {row['error'] + ': ' if row['error'] else ''}{row['message']}"
        print(f"[{next(done)}/{total}] run {index} ({where}): {state}", file=stream, flush=True)

    return report


def _shown(table: Any, spec: Spec) -> Any:
    """The columns printed: the swept options, the outcome and the figures."""
    fixed = [key for key in spec.params[0] if key not in spec.swept] if spec.params else []
    return table.drop(columns=[*fixed, "message", "error", "file"])


def main(args: argparse.Namespace) -> int:
    """``wgflow sweep``: read the spec, run the sweep, print the table, write ``sweep.csv``.

    Parameters
    ----------
    args : argparse.Namespace
        The options parsed by the parser of :func:`add_parser`.

    Returns
    -------
    int
        0 if every run succeeded, 1 if some run failed or the directory could not be
        written, 2 for bad input (nothing has run), 130 when interrupted.
    """
    from ..sweeps import sweep

    stream = sys.stdout
    try:
        spec = _overrides(read_spec(args.spec), args)
        fixed = {key: value for key, value in spec.params[0].items() if key not in spec.swept}
        workers = ("one worker per core" if spec.n_workers is None else
                   f"{spec.n_workers} worker{'s' if spec.n_workers > 1 else ''}")
        where = (f"the Dask scheduler at {spec.scheduler}" if spec.scheduler else
                 f"an embedded Dask cluster ({workers})")
        if not args.quiet:
            print(f"wgflow sweep: {len(spec.params)} runs of wgflow run on {where}, results in "
                  f"{spec.directory}", file=stream)
            print("  fixed  " + ", ".join(f"{k} = {v!r}" for k, v in fixed.items()), file=stream)
            print("  swept  " + (", ".join(spec.swept) or "nothing (one run)"), file=stream,
                  flush=True)
        table = sweep(
            run_options, spec.params, client=spec.scheduler, directory=spec.directory,
            figures=list(dict.fromkeys([EXACT_ERROR, *spec.figures])),
            n_workers=spec.n_workers, timeout=spec.timeout,
            callback=None if args.quiet else _progress(spec, stream),
        )
        csv = Path(spec.directory) / TABLE_NAME
        with atomic_write(csv) as temporary:
            table.to_csv(temporary)
    except WgflowError as exc:
        print(f"wgflow sweep: error: {exc}", file=sys.stderr)
        return BAD_INPUT
    except OSError as exc:
        print(f"wgflow sweep: error: cannot write the results: {exc}", file=sys.stderr)
        return SOME_FAILED
    except KeyboardInterrupt:
        print("\nwgflow sweep: interrupted (run it again to finish: the runs done are stored)",
              file=sys.stderr)
        return INTERRUPTED
    print(_shown(table, spec).to_string(float_format=lambda v: f"{v:.4g}"), file=stream)
    failed = table[~table["success"]]
    for index, row in failed.iterrows():
        print(f"run {index} failed: {row['error'] + ': ' if row['error'] else ''}"
              f"{row['message']}", file=stream)
    print(f"wrote {csv}", file=stream)
    return SUCCESS if failed.empty else SOME_FAILED
