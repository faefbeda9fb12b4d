"""The JKO step on a GPU against numpy on the CPU, in the same process.

Problems: the anchor problem of ``bench_jko.py`` (porous medium m = 2, Barenblatt C = 0.01
from t0 = 0.01, dt = 1e-3, 5 steps on [0,1]^2, 128^2 cells, default settings) and, unless
``--quick``, the same on 512^2 cells (2 steps) and on 64^3 cells (2 steps).  Each runs on
numpy (the CPU baseline) and on every GPU backend found (torch on "cuda", jax on "gpu",
cupy), in float64 and in float32; each row gives the error against the Barenblatt
solution, seconds per step, sweeps per step, the speed-up over numpy on the same problem in
this run, and the largest difference from numpy's density relative to its maximum.  The
first step of a GPU run includes compilation and transfers: it is timed apart (``first``)
from the rest.

Without a GPU it says "no GPU found", runs the numpy rows (and jax on the CPU, when jax is
installed, as a check that the backend path runs) and writes the JSON all the same.
Prints a table and writes ``benchmarks/results/bench_gpu.json``.
Run: ``python benchmarks/bench_gpu.py [--quick]``.
"""

from __future__ import annotations

import argparse
import json
import time
import warnings
from pathlib import Path

import numpy as np

import wgflow as wg
from wgflow.backend import resolve
from wgflow.errors import WgflowError

RESULTS = Path(__file__).resolve().parent / "results"

#: ``(backend, device)`` pairs tried for the GPU rows.
GPU_CANDIDATES = (("torch", "cuda"), ("jax", "gpu"), ("cupy", "cuda"))


def available_gpus() -> list[tuple[str, str]]:
    """The ``(backend, device)`` pairs of :data:`GPU_CANDIDATES` that are installed and see a
    GPU."""
    found = []
    for backend, device in GPU_CANDIDATES:
        try:
            resolve(backend, device)
        except WgflowError:
            continue
        found.append((backend, device))
    return found


def run(shape: tuple[int, ...], steps: int, backend: str, device: str | None,
        dtype: str) -> dict:
    grid = wg.Grid([(0.0, 1.0)] * len(shape), shape)
    center = [0.5] * len(shape)
    rho0 = wg.exact.barenblatt(grid, 2.0, 0.01, 0.01, center=center)
    dt = 1e-3
    exact = wg.exact.barenblatt(grid, 2.0, 0.01 + steps * dt, 0.01, center=center)
    options = dict(backend=backend, device=device, dtype=dtype)
    if dtype == "float32":
        options["sinkhorn_tol"] = 1e-5
    start = time.perf_counter()
    first = wg.solve(wg.flows.PorousMedium(2), rho0, dt, dt, **options)
    first_seconds = time.perf_counter() - start
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = wg.solve(wg.flows.PorousMedium(2), rho0, steps * dt, dt, t_eval=[steps * dt],
                          **options)
    seconds = (time.perf_counter() - start) / steps
    assert first.success and result.success, result.message
    return dict(
        grid="x".join(map(str, shape)), steps=steps, backend=backend, device=device or "cpu",
        dtype=dtype, error=float(result.final.relative_l1_error(exact)),
        first_step_seconds=first_seconds, seconds_per_step=seconds,
        sweeps_per_step=float(np.mean(result.statistics["sinkhorn_iterations"])),
        values=result.final.values,
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="the 128^2 anchor problem only")
    parser.add_argument("--output", type=Path, default=RESULTS / "bench_gpu.json",
                        help="where the JSON goes (default benchmarks/results/bench_gpu.json)")
    args = parser.parse_args(argv)
    gpus = available_gpus()
    targets: list[tuple[str, str | None]] = list(gpus)
    if not gpus:
        print("no GPU found (tried torch on 'cuda', jax on 'gpu', cupy): numpy rows only, "
              "and jax on the cpu when it is installed")
        try:
            resolve("jax")
            targets = [("jax", "cpu")]
        except WgflowError:
            targets = []
    problems = [((128, 128), 5)] if args.quick else [((128, 128), 5), ((512, 512), 2),
                                                     ((64, 64, 64), 2)]
    rows = []
    for shape, steps in problems:
        baseline = run(shape, steps, "numpy", None, "float64")
        rows.append(baseline)
        for backend, device in targets:
            for dtype in ("float64", "float32"):
                row = run(shape, steps, backend, device, dtype)
                reference = baseline["values"]
                row["max_difference_to_numpy"] = float(
                    np.abs(row["values"] - reference).max() / reference.max())
                row["speedup"] = baseline["seconds_per_step"] / row["seconds_per_step"]
                rows.append(row)
    header = (f"{'grid':>10} {'backend':>7} {'device':>6} {'dtype':>7} {'error':>9} "
              f"{'s/step':>8} {'first s':>8} {'sweeps':>6} {'speed-up':>8} {'vs numpy':>9}")
    print(header)
    for row in rows:
        print(f"{row['grid']:>10} {row['backend']:>7} {row['device']:>6} {row['dtype']:>7} "
              f"{row['error']:9.3e} {row['seconds_per_step']:8.4f} "
              f"{row['first_step_seconds']:8.3f} {row['sweeps_per_step']:6.1f} "
              f"{row.get('speedup', 1.0):8.2f} {row.get('max_difference_to_numpy', 0.0):9.2e}")
    for row in rows:
        del row["values"]
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps({"gpus": [f"{b} on {d}" for b, d in gpus],
                                       "rows": rows}, indent=1) + "\n")
    print(f"wrote {args.output}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
