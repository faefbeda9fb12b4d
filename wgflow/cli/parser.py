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
from ..interrupt import EXIT_STATUS, InterruptGuard
from . import inputs, problems, sweep
from .report import execute, info_text

PROG = "wgflow"
#: Exit statuses of :func:`main`: success, the solver stopped early (or a file could not be
#: written), bad input, interrupted by SIGINT (Ctrl-C) and by SIGTERM (128 + the signal's
#: number, :data:`wgflow.interrupt.EXIT_STATUS`; the files are written in both cases).
SUCCESS, SOLVER_FAILED, BAD_INPUT = 0, 1, 2
INTERRUPTED, TERMINATED = EXIT_STATUS["SIGINT"], EXIT_STATUS["SIGTERM"]

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
  wgflow run --flow backward-heat --input samples.csv --n 64
                                    backward heat flow of the kernel density estimate of
                                    your samples, to half its age, against the exact solution
  wgflow info                       version, flows, methods and trackers
  wgflow sweep spec.toml            runs of 'wgflow run' over lists of option values, on Dask
  wgflow run --help                 every option of 'run'

exit status: 0 success, 1 the solver stopped early (see the printed message),
2 bad input, 130 interrupted by Ctrl-C (SIGINT), 143 stopped by SIGTERM; an
interrupted run stops after its current step and still writes its files."""

DEMO_DESCRIPTION = """\
Backward heat equation d_t rho = -Lap rho (eq. (11) of the paper) from a mixture of three
anisotropic 2-D Gaussians diffused to T = 0.1 on [-4, 4]^2 (128x128 cells; 64x64 with
--quick), driven back for 0.8 T with dt = 2e-3 by the semi-implicit JKO scheme, tracking
the Shannon, Renyi-2 and Tsallis-2 entropies, the mass and W2 to the start. Prints a table
against the exact solution (the mixture diffused to T - t) and writes OUT/demo.png and
OUT/demo.npz."""

RUN_DESCRIPTION = """\
Run one flow from a built-in initial density or from your data, print a summary table,
and write OUT/run.png and OUT/run.npz.

Built-in initial densities sit at the centre of the box [A, B]^dim:
  gaussian    N(centre, VARIANCE I)
  barenblatt  the Barenblatt profile of exponent M and constant C at time T0,
              rho(x, t0) = t0^-alpha (C - k |x - centre|^2 t0^(-2 alpha/d))_+^(1/(m-1))

Your data (--input FILE; the dimension is the data's):
  samples     text (.csv .tsv .txt .dat: one point a row, coordinates separated by commas
              or spaces, '#' starts a comment, a first line of column names is skipped) or
              .npy (shape (k, d); a 1-D array is k points on a line), turned into the
              Gaussian kernel density estimate of bandwidth --bandwidth (or a histogram
              with --bandwidth 0) on a box that holds the data: their range widened on
              each side by 3 bandwidths plus 10% of the range, unless --bounds is given
  density     the final density of a result saved by wgflow (.npz, e.g. OUT/run.npz),
              on its own grid and with its age

The backward flows (backward-heat d_t rho = -Lap rho, backward-porous-medium
d_t rho = -Lap rho^m) run, unless --t-end is given, for half the time that brings the
initial density to its singular point: half its age under backward-heat (VARIANCE/2 for
a Gaussian, min b^2/2 for a kernel estimate of bandwidth b, the age saved with a
density), T0/2 for a Barenblatt profile under backward-porous-medium.  A run that
reaches the singular point, or whose error estimate passes --rtol, stops early.

The table shows, at each stored time, the error estimate of a backward run (when the
library reports one) and the relative L1 error to the exact solution where one is known:
  (backward-)heat from a Gaussian               N(centre, (VARIANCE +/- 2 t) I)
  (backward-)heat from a kernel estimate        the estimate of bandwidth sqrt(b^2 +/- 2 t)
  (backward-)porous-medium from a Barenblatt    the Barenblatt profile at time T0 +/- t
  fokker-planck (quadratic V) from a Gaussian   Ornstein-Uhlenbeck closed form
(the Gaussian and Barenblatt solutions live on the whole space, the box walls are
ignored, so keep the density away from them; the kernel estimate includes its mirror
images at the walls, exactly the flow in the box).

Exit status: 0 success, 1 the solver stopped early, 2 bad input, 130 interrupted by
Ctrl-C (SIGINT), 143 stopped by SIGTERM (the files are written)."""

RUN_EPILOG = """\
examples:
  wgflow run --flow porous-medium --m 2 --dim 1 --n 256 --bounds -1 1 --t-end 0.01 --dt 1e-3
  wgflow run --flow porous-medium --dim 2 --n 128 --bounds -0.5 0.5 --t0 0.01 --C 0.01 \\
             --t-end 0.005 --dt 1e-3
  wgflow run --flow heat --initial gaussian --variance 0.02 --dim 2 --n 64 --bounds -1 1 \\
             --t-end 0.02 --dt 2e-3 --track shannon,renyi:2,w2
  wgflow run --flow backward-heat --input samples.csv --bandwidth silverman --n 64
  wgflow run --flow backward-heat --input points.npy --bandwidth 0.2 --t-end 0.01 \\
             --method spectral
  wgflow run --flow backward-porous-medium --m 3 --n 256 --C 0.1
  wgflow run --flow backward-heat --input wgflow-run/run.npz --rtol inf"""

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
                          "Lap rho^m; fokker-planck d_t rho = Lap rho + div(rho grad V); "
                          "backward-heat d_t rho = -Lap rho; backward-porous-medium "
                          "d_t rho = -Lap rho^m")
    run.add_argument("--m", type=float, default=None, metavar="M",
                     help="exponent m > 1 of the (backward) porous-medium flow and of the "
                          f"Barenblatt profile (default {problems.DEFAULT_M:g})")
    run.add_argument("--potential", choices=problems.RUN_POTENTIALS, default=None,
                     help="fokker-planck potential: quadratic V = |x - centre|^2 / 2 "
                          "(default quadratic)")
    start = run.add_mutually_exclusive_group()
    start.add_argument("--initial", choices=problems.RUN_INITIALS, default=None,
                       help="built-in initial density (default barenblatt for the porous-medium "
                            "flows, else gaussian)")
    start.add_argument("--input", default=None, metavar="FILE",
                       help="start from your data: samples (" + " ".join(inputs.TEXT_SUFFIXES)
                            + f", {inputs.NPY_SUFFIX}) or a density saved by wgflow "
                            f"({inputs.RESULT_SUFFIX}); see above")
    run.add_argument("--bandwidth", type=inputs.bandwidth_value, default=None, metavar="B",
                     help="kernel density estimate of --input samples: a bandwidth > 0, a "
                          "rule (scott, silverman), or 0 for a histogram (default "
                          f"{inputs.DEFAULT_BANDWIDTH})")
    run.add_argument("--variance", type=float, default=None,
                     help="variance of the Gaussian initial density (default "
                          f"{problems.DEFAULT_VARIANCE:g})")
    run.add_argument("--t0", type=float, default=None,
                     help="time of the Barenblatt initial profile (default "
                          f"{problems.DEFAULT_T0:g})")
    run.add_argument("--C", type=float, default=None,
                     help="Barenblatt constant C, fixes the mass (default "
                          f"{problems.DEFAULT_C:g})")
    run.add_argument("--dim", type=int, choices=(1, 2, 3), default=None,
                     help="dimension (default 1; with --input the data's, which --dim must "
                          "match)")
    run.add_argument("--n", type=int, default=None, metavar="N",
                     help=f"cells per axis, at least 2 (default {problems.DEFAULT_N})")
    run.add_argument("--bounds", type=float, nargs=2, default=None, metavar=("A", "B"),
                     help="the box [A, B]^dim (default -1 1; for samples a box around the "
                          "data)")
    run.add_argument("--t-end", type=float, default=None, metavar="T",
                     help=f"final time (default {problems.FORWARD_T_END:g}; backward flows: "
                          "half the time to the singular point, see above)")
    run.add_argument("--dt", type=float, default=None, metavar="DT",
                     help=f"time step (default {problems.FORWARD_DT:g}; backward flows: "
                          f"T/{problems.BACKWARD_STEPS})")
    run.add_argument("--method", choices=problems.RUN_METHODS, default="jko",
                     help="solver (default jko); by flow: " + "; ".join(
                         f"{flow}: {', '.join(methods)}"
                         for flow, methods in problems.RUN_FLOW_METHODS.items()))
    run.add_argument("--gamma", type=float, default=None, metavar="G",
                     help="entropic regularisation of the JKO steps (default: 2 h^2, "
                          "h the cell width)")
    run.add_argument("--rtol", type=float, default=None, metavar="R",
                     help="backward flows: stop when the estimated relative L1 error passes "
                          "R, a number > 0, or inf to run through and report the estimate "
                          "(default: the library's)")
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
    sweep.add_parser(commands)
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
        2 for bad input, 130 when interrupted by SIGINT (Ctrl-C) and 143 by SIGTERM: the
        run stops after its current step and its files are written (a second signal stops
        at once, with 130 and no files).
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
    if args.command == "sweep":
        return sweep.main(args)
    with warnings.catch_warnings():
        warnings.showwarning = _show_warning
        try:
            if args.command == "demo":
                problem = problems.demo_problem(quick=args.quick)
            else:
                problem = problems.run_problem(args)
            with InterruptGuard() as guard:  # a signal while the files are written
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
    signal_name = outcome.result.interrupted or guard.name
    if signal_name is not None:
        return EXIT_STATUS[signal_name]
    return SUCCESS if outcome.result.success else SOLVER_FAILED
