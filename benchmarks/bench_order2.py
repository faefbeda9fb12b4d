"""Second order in time: error against dt and against time for the JKO step of order 1, the
variational BDF2 step (``time_order=2``) and, as a reference, the Richardson combination
``2 rho(dt/2) - rho(dt)`` of two order-1 runs.

Problems:

* ``heat-1d``: 1-D heat from N(0.1, 0.05) to t = 0.12 on 128 cells of [-3, 3] (the test
  problem of ``tests/test_solvers_jko_order2.py``), dt = 0.04, 0.02, 0.01, sinkhorn_tol =
  1e-10; error against the exact Gaussian.
* ``anchor``: porous medium m = 2, Barenblatt C = 0.01 from t0 = 0.01, dt = 1e-3, 5 steps on
  [0, 1]^2, 128^2 cells (``--quick``: 64^2), default settings; error against the exact
  profile.

A setting wins in the Pareto sense when no other has both a smaller error and a smaller
time.  Prints a table and writes ``benchmarks/results/bench_order2.json``; times are seconds
on this machine (compare within one run).  Run: ``python benchmarks/bench_order2.py [--quick]``.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np

import wgflow as wg

RESULTS = Path(__file__).resolve().parent / "results"


def timed(flow, rho0, t_end, dt, **options):
    start = time.perf_counter()
    result = wg.solve(flow, rho0, t_end, dt, **options)
    assert result.success, result.message
    return result.final, time.perf_counter() - start, result.statistics


def runs(problem, flow, rho0, exact, t_end, dts, **options):
    rows = []
    for dt in dts:
        first, seconds1, _ = timed(flow, rho0, t_end, dt, **options)
        second, seconds2, stats = timed(flow, rho0, t_end, dt, time_order=2, **options)
        half, seconds_half, _ = timed(flow, rho0, t_end, dt / 2, **options)
        richardson = wg.Density(rho0.grid, np.maximum(2 * half.values - first.values, 0.0))
        for name, rho, seconds, extra in (
            ("order 1", first, seconds1, {}),
            ("order 2 (BDF2)", second, seconds2,
             {"linearisations": float(np.mean(stats["linearisations"]))}),
            ("Richardson of order 1", richardson, seconds1 + seconds_half, {}),
        ):
            rows.append(dict(problem=problem, dt=dt, scheme=name,
                             error=rho.relative_l1_error(exact), seconds=seconds, **extra))
    return rows


def pareto(rows):
    """Mark the rows of each problem that no other row beats in both error and time."""
    for row in rows:
        same = [r for r in rows if r["problem"] == row["problem"] and r is not row]
        row["pareto"] = not any(r["error"] < row["error"] and r["seconds"] < row["seconds"]
                                for r in same)
    return rows


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="the anchor problem on 64^2")
    parser.add_argument("--output", type=Path, default=RESULTS / "bench_order2.json")
    args = parser.parse_args(argv)
    grid = wg.Grid([(-3.0, 3.0)], 128)
    rows = runs("heat-1d", wg.flows.Heat(), wg.exact.heat_gaussian(grid, [0.1], 0.05, 0.0),
                wg.exact.heat_gaussian(grid, [0.1], 0.05, 0.12), 0.12, [0.04, 0.02, 0.01],
                sinkhorn_tol=1e-10)
    n = 64 if args.quick else 128
    grid = wg.Grid([(0.0, 1.0)] * 2, (n, n))
    center = [0.5, 0.5]
    rows += runs(f"anchor-{n}", wg.flows.PorousMedium(2),
                 wg.exact.barenblatt(grid, 2.0, 0.01, 0.01, center=center),
                 wg.exact.barenblatt(grid, 2.0, 0.015, 0.01, center=center), 5e-3, [1e-3])
    pareto(rows)
    print(f"{'problem':<12}{'dt':>8}  {'scheme':<24}{'rel L1 err':>11}{'seconds':>9}  pareto")
    for r in rows:
        print(f"{r['problem']:<12}{r['dt']:>8.0e}  {r['scheme']:<24}{r['error']:>11.3e}"
              f"{r['seconds']:>9.2f}  {'yes' if r['pareto'] else ''}")
    heat2 = [r for r in rows if r["problem"] == "heat-1d" and r["scheme"].startswith("order 2")]
    dts, errors = [r["dt"] for r in heat2[:2]], [r["error"] for r in heat2[:2]]
    slope = float(np.polyfit(np.log(dts), np.log(errors), 1)[0])
    print(f"\nheat-1d order-2 slope between dt = {dts[0]} and {dts[1]}: {slope:.2f}")
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps({"rows": rows, "heat_order2_slope": slope}, indent=2))
    print(f"wrote {args.output}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
