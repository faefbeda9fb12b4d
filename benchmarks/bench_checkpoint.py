"""Benchmark of checkpoints: what ``checkpoint=`` (every 10 steps) adds to a run.

Problems (``wg.solve`` with the JKO scheme, defaults otherwise, trackers ``shannon`` and
``mass``, the default ten stored densities):

* ``heat-2d-128``: the heat flow of N((0.1, 0), [[0.02, 0.005], [0.005, 0.015]]) on 128^2
  cells of [-1, 1]^2, 40 steps of dt = 2.5e-4;
* ``porous-medium-2d-128``: the porous-medium flow, m = 2, of the Barenblatt profile
  (C = 0.1) at t = 0.01 on 128^2 cells of [-1, 1]^2, 40 steps of dt = 2.5e-4.

Each run is done without and with a checkpoint (``checkpoint_every=10``: 4 writes, after
10, 20 and 30 steps and at the end), alternately, ``--repeats`` times in the
same process; the table gives the fastest time of each (the machine is shared), their ratio,
the number and mean time of the checkpoint writes, their share of the plain run's time
(writes times mean write time over the fastest plain run: what the ratio measures, without
the noise of two whole runs on a shared machine), the size of the file, and checks that both
runs give the same final density bit for bit.  Also a JSON file.  Run:
``python benchmarks/bench_checkpoint.py [--quick] [--repeats N]`` (``--quick``: 64^2).
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

import numpy as np

import wgflow as wg
from wgflow.checkpoint import CheckpointWriter

RESULTS = Path(__file__).resolve().parent / "results"
STEPS, DT, EVERY = 40, 2.5e-4, 10


def problems(n: int) -> dict[str, tuple[wg.flows.Flow, wg.Density]]:
    """``name: (flow, initial density)`` on ``n^2`` cells."""
    grid = wg.Grid([(-1.0, 1.0), (-1.0, 1.0)], n)
    return {
        f"heat-2d-{n}": (
            wg.flows.Heat(),
            wg.exact.heat_gaussian(grid, [0.1, 0.0], [[0.02, 0.005], [0.005, 0.015]], 0.0),
        ),
        f"porous-medium-2d-{n}": (
            wg.flows.PorousMedium(2.0), wg.exact.barenblatt(grid, 2.0, 0.01, 0.1)
        ),
    }


class WriteTimer:
    """Counts the checkpoint writes and their wall time (wraps CheckpointWriter.write)."""

    def __init__(self) -> None:
        self.seconds: list[float] = []
        self._original = CheckpointWriter.write
        timer = self

        def write(writer, state, before_last=None):
            start = time.perf_counter()
            timer._original(writer, state, before_last)
            timer.seconds.append(time.perf_counter() - start)

        CheckpointWriter.write = write  # type: ignore[method-assign]

    def close(self) -> None:
        CheckpointWriter.write = self._original  # type: ignore[method-assign]


def run_problem(name: str, flow: wg.flows.Flow, rho0: wg.Density, repeats: int) -> dict:
    """Time the run without and with checkpoints, alternately."""
    folder = Path(tempfile.mkdtemp(prefix="bench_checkpoint_"))
    path = folder / "run.ckpt.npz"
    plain, checked = [], []
    finals = {}
    timer = WriteTimer()
    try:
        for _ in range(repeats):
            for label, options, times in (("plain", {}, plain),
                                          ("checkpoint", {"checkpoint": path,
                                                          "checkpoint_every": EVERY}, checked)):
                start = time.perf_counter()
                result = wg.solve(flow, rho0, STEPS * DT, DT, track=["shannon", "mass"],
                                  **options)
                times.append(time.perf_counter() - start)
                assert result.success, result.message
                finals[label] = result.final.values
    finally:
        timer.close()
    writes = len(timer.seconds) // repeats
    row = {
        "problem": name, "cells": rho0.grid.size, "steps": STEPS, "checkpoint_every": EVERY,
        "seconds_plain": min(plain), "seconds_checkpoint": min(checked),
        "ratio": min(checked) / min(plain), "writes_per_run": writes,
        "seconds_per_write": float(np.mean(timer.seconds)),
        # the writes' own share: robust to the noise of a shared machine, unlike the ratio
        "write_share": writes * float(np.mean(timer.seconds)) / min(plain),
        "file_bytes": path.stat().st_size,
        "same_final": bool(np.array_equal(finals["plain"], finals["checkpoint"])),
        "all_plain": plain, "all_checkpoint": checked,
    }
    path.unlink()
    folder.rmdir()
    return row


def format_table(rows: list[dict]) -> str:
    header = (f"{'problem':<24}{'plain s':>9}{'ckpt s':>9}{'ratio':>8}{'writes':>8}"
              f"{'s/write':>9}{'share':>8}{'MB':>7}  same final")
    lines = [header, "-" * len(header)]
    for r in rows:
        lines.append(
            f"{r['problem']:<24}{r['seconds_plain']:>9.2f}{r['seconds_checkpoint']:>9.2f}"
            f"{r['ratio']:>8.3f}{r['writes_per_run']:>8d}{r['seconds_per_write']:>9.3f}"
            f"{r['write_share']:>8.3f}{r['file_bytes'] / 1e6:>7.2f}  {r['same_final']}"
        )
    return "\n".join(lines)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="64^2 instead of 128^2")
    parser.add_argument("--repeats", type=int, default=3,
                        help="runs of each kind (default 3; the fastest is reported)")
    parser.add_argument("--output", type=Path, default=RESULTS / "bench_checkpoint.json",
                        help="where the JSON goes (default "
                             "benchmarks/results/bench_checkpoint.json)")
    args = parser.parse_args(argv)
    n = 64 if args.quick else 128
    rows = [run_problem(name, flow, rho0, args.repeats)
            for name, (flow, rho0) in problems(n).items()]
    print(format_table(rows))
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps({"rows": rows, "repeats": args.repeats}, indent=1) + "\n")
    print(f"wrote {args.output}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
