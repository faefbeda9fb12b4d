"""The ``wgflow`` command line: ``wgflow demo``, ``wgflow run ...``, ``wgflow sweep SPEC.toml``
and ``wgflow info``.

Every subcommand goes through :func:`main`, which returns an exit code instead of raising:
0 on success, 1 when the solver stopped early (``result.success`` is False) or a file could
not be written, 2 for bad input (with a one-line message naming the option, never a
traceback), 130 when interrupted by Ctrl-C (SIGINT) and 143 by SIGTERM (the run stops after
its current step and its files are still written; :mod:`wgflow.interrupt`).

One job per module:

* :mod:`wgflow.cli.parser` -- the options and their help (:func:`build_parser`) and
  :func:`main`;
* :mod:`wgflow.cli.problems` -- the jobs, each a :class:`Problem` (flow, initial density,
  times, trackers and the exact references to compare with): :func:`demo_problem`, the
  backward heat equation (eq. (11) of the paper) from a diffused Gaussian mixture, and
  :func:`run_problem`, which checks the options of ``wgflow run`` and builds its problem,
  forward or backward, from a built-in density or from the user's data;
* :mod:`wgflow.cli.inputs` -- the data of ``wgflow run --input FILE``: samples (text or
  ``.npy``) or a density saved by wgflow (``.npz``), the bandwidths of their kernel density
  estimate and the box that holds them;
* :mod:`wgflow.cli.sweep` -- ``wgflow sweep``: the TOML spec (the options of ``wgflow run``,
  lists swept) checked before any run, the runs on Dask (:func:`wgflow.sweep`), the table;
* :mod:`wgflow.cli.report` -- :func:`execute` runs any :class:`Problem`, prints the summary
  table (with the error estimate of a backward run and the exact error where known) and
  writes the picture and the ``.npz`` file; :func:`info_text` is ``wgflow info``.

Switching the demo to another equation means changing :func:`demo_problem` only.
"""

from .parser import build_parser, main
from .problems import Problem, demo_problem, run_problem
from .report import Outcome, execute, info_text

__all__ = [
    "Problem",
    "Outcome",
    "demo_problem",
    "run_problem",
    "execute",
    "info_text",
    "build_parser",
    "main",
]
