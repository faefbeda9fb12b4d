"""The options of the ``wgflow`` command (:func:`build_parser`) and its entry point
(:func:`main`)."""

from __future__ import annotations

import argparse
import re
import sys
import warnings
from collections.abc import Sequence
from typing import TextIO

from .. import __version__
from ..errors import WgflowError
from . import problems
from .report import execute, info_text

PROG = "wgflow"
#: Exit statuses of :func:`main`.
SUCCESS, SOLVER_FAILED, BAD_INPUT, INTERRUPTED = 0, 1, 2, 130

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
  wgflow demo                       backward heat flow of a diffused 2-D Gaussian mixture
  wgflow demo --quick --out /tmp/d  the same on a coarser grid, files in /tmp/d
  wgflow run --flow porous-medium --m 2 --dim 1 --n 256 --bounds -1 1 --t-end 0.01 --dt 1e-3
  wgflow run --flow heat --dim 2 --n 64 --t-end 0.01 --dt 1e-3 --track shannon,w2
  wgflow run --flow fokker-planck --potential quadratic --dim 1 --bounds -4 4 --t-end 0.5 --dt 0.01
  wgflow info                       version, flows, methods and trackers
  wgflow run --help                 every option of 'run'

exit status: 0 success, 1 the solver stopped early (see the printed message),
2 bad input."""

DEMO_DESCRIPTION = """\
Backward heat equation d_t rho = -Lap rho (eq. (11) of the paper) from a mixture of three
anisotropic 2-D Gaussians diffused to T = 0.1 on [-4, 4]^2 (128x128 cells; 64x64 with
--quick), driven back for 0.8 T with dt = 2e-3 by the semi-implicit JKO scheme, tracking
the Shannon, Renyi-2 and Tsallis-2 entropies, the mass and W2 to the start. Prints a table
against the exact solution (the mixture diffused to T - t) and writes OUT/demo.png and
OUT/demo.npz."""

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

#: Negative numbers, scientific notation included ("-1e-3"), are values, not options.
_NEGATIVE_NUMBER = re.compile(r"^-(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$")


def _names(text: str) -> tuple[str, ...]:
    """The names of a comma-separated list (checked by :func:`~wgflow.cli.run_problem`)."""
    names = tuple(name.strip() for name in text.split(",") if name.strip())
    if not names:
        raise argparse.ArgumentTypeError("expected tracker names, e.g. shannon,mass")
    return names


def build_parser() -> argparse.ArgumentParser:
    """The ``wgflow`` argument parser (subcommands ``demo``, ``run``, ``info``).

    It converts the option values to numbers and names; their ranges are checked by
    :func:`~wgflow.cli.run_problem`.

    Returns
    -------
    argparse.ArgumentParser
    """
    formatter = argparse.RawDescriptionHelpFormatter
    parser = argparse.ArgumentParser(
        prog=PROG, description=DESCRIPTION, epilog=EPILOG, formatter_class=formatter
    )
    parser.add_argument("--version", action="version", version=f"wgflow {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", title="commands")

    demo = commands.add_parser(
        "demo", formatter_class=formatter, description=DEMO_DESCRIPTION,
        help="run the built-in example: the backward heat equation from a diffused 2-D "
             "Gaussian mixture, against its exact solution",
    )
    demo.add_argument("--out", default="wgflow-demo", metavar="DIR",
                      help="folder for demo.png and demo.npz (default ./wgflow-demo)")
    demo.add_argument("--quick", action="store_true", help="use a 64x64 grid instead of 128x128")
    demo.add_argument("--no-progress", action="store_true", help="hide the progress bar")

    run = commands.add_parser(
        "run", formatter_class=formatter, description=RUN_DESCRIPTION, epilog=RUN_EPILOG,
        help="run a chosen flow, grid and method",
    )
    run.add_argument("--flow", required=True, choices=problems.RUN_FLOWS,
                     help="the equation: heat d_t rho = Lap rho; porous-medium d_t rho = "
                          "Lap rho^m; fokker-planck d_t rho = Lap rho + div(rho grad V)")
    run.add_argument("--m", type=float, default=None, metavar="M",
                     help="porous-medium / Barenblatt exponent m > 1 (default 2)")
    run.add_argument("--potential", choices=problems.RUN_POTENTIALS, default=None,
                     help="fokker-planck potential: quadratic V = |x - centre|^2 / 2 "
                          "(default quadratic)")
    run.add_argument("--initial", choices=problems.RUN_INITIALS, default=None,
                     help="initial density (default barenblatt for porous-medium, else gaussian)")
    run.add_argument("--variance", type=float, default=None,
                     help="variance of the Gaussian initial density (default 0.01)")
    run.add_argument("--t0", type=float, default=None,
                     help="time of the Barenblatt initial profile (default 0.01)")
    run.add_argument("--C", type=float, default=None,
                     help="Barenblatt constant C, fixes the mass (default 0.01)")
    run.add_argument("--dim", type=int, choices=(1, 2, 3), default=1, help="dimension (default 1)")
    run.add_argument("--n", type=int, default=128, metavar="N",
                     help="cells per axis, at least 2 (default 128)")
    run.add_argument("--bounds", type=float, nargs=2, default=(-1.0, 1.0),
                     metavar=("A", "B"), help="the box [A, B]^dim (default -1 1)")
    run.add_argument("--t-end", type=float, default=0.01, metavar="T",
                     help="final time (default 0.01)")
    run.add_argument("--dt", type=float, default=1e-3, metavar="DT",
                     help="time step (default 1e-3)")
    run.add_argument("--method", choices=problems.RUN_METHODS, default="jko",
                     help="solver (default jko); by flow: " + "; ".join(
                         f"{flow}: {', '.join(methods)}"
                         for flow, methods in problems.RUN_FLOW_METHODS.items()))
    run.add_argument("--gamma", type=float, default=None, metavar="G",
                     help="entropic regularisation of the JKO steps (default: 2 h^2, "
                          "h the cell width)")
    run.add_argument("--track", type=_names, default=problems.RUN_DEFAULT_TRACK, metavar="NAMES",
                     help="comma-separated functionals to record: shannon, renyi:a, "
                          "tsallis:a, mass, energy, w2 (w2 solves an exact transport problem "
                          "per stored time: slow in 2-D/3-D; default "
                          "shannon,renyi:2,tsallis:2,mass)")
    run.add_argument("--outputs", type=int, default=None, metavar="K",
                     help="number of stored densities after t = 0 (default 10)")
    run.add_argument("--out", default="wgflow-run", metavar="DIR",
                     help="folder for run.png and run.npz (default ./wgflow-run)")
    run.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    commands.add_parser(
        "info", help="print the version and the flows, methods and trackers available",
        description="Print the version and the flows, methods and trackers available.",
    )
    for sub in (parser, demo, run):
        # let "--dt -1e-3" reach the value check (argparse only knows "-1" and "-.5")
        sub._negative_number_matcher = _NEGATIVE_NUMBER
    return parser


def _show_warning(
    message: Warning | str, category: type[Warning], filename: str, lineno: int,
    file: TextIO | None = None, line: str | None = None,
) -> None:
    """Print a warning as one line on stderr (no source line)."""
    print(f"{PROG}: {category.__name__}: {message}", file=sys.stderr)


def main(argv: Sequence[str] | None = None) -> int:
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
    try:
        args = parser.parse_args(None if argv is None else [str(a) for a in argv])
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
                problem = problems.demo_problem(quick=args.quick)
            else:
                problem = problems.run_problem(args)
            outcome = execute(problem, args.out, args.command, progress=not args.no_progress)
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
