"""Parameter sweeps on Dask: eight 2-D JKO runs on the embedded cluster of two single-thread
workers against the same runs one after another in this process with one BLAS thread.

Problem: the porous-medium equation ``d_t rho = Lap rho^m`` from the Barenblatt profile of
constant C at t0 = 0.01 on [-1, 1]^2, 128^2 cells, JKO with dt = 5e-4 for 260 steps (to
t = 0.13; ``--quick``: 64^2 cells, 40 steps), tracking the Tsallis entropy S_2 and the mass,
for m in (3, 2.5) and C in (0.05, 0.04, 0.03, 0.02): eight runs of 5-8 s each on one core,
listed longest first (m and C decreasing) so that the two workers end together.

Measured, in this process and in this order:

1. ``serial``: the eight runs one after another, under ``threadpool_limits(1)``;
2. ``start-up``: the embedded cluster of :func:`wgflow.sweep` (``LocalCluster`` of
   two processes with one thread each; each worker imports this script, and so wgflow);
3. ``sweep``: ``wg.sweep`` of the eight runs on that cluster, start-up excluded;
4. ``sweep, start-up included``: ``wg.sweep(..., n_workers=2)`` from nothing, as a user
   calls it.

The speed-up is ``serial / sweep`` (target: 1.7 or more with two workers); the final
figures of every run are checked to be bitwise those of the serial runs.  The CPU time of
each run (of the thread that computed it) is recorded in both modes: their ratio says
whether a run costs the workers more work than it costs this process, whatever else the
machine runs.  The load average of the machine is recorded before and after: other
processes make the times noisy (``--repeats N`` alternates N serial and sweep measurements
and keeps the fastest of each).  Prints a table and writes
``benchmarks/results/bench_sweep.json``.
Run: ``python benchmarks/bench_sweep.py [--quick] [--workers 2] [--repeats 1]``.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path

import pandas
from threadpoolctl import threadpool_limits

import wgflow as wg
from wgflow.storage import atomic_write
from wgflow.sweeps import solve_figures, sweep, sweep_product
from wgflow.sweeps.cluster import DEFAULT_TIMEOUT, connect

RESULTS = Path(__file__).resolve().parent / "results"
T0 = 0.01
DT = 5e-4


def porous_medium(p: dict) -> wg.SolveResult:
    """One run of the sweep: JKO for ``p["n_steps"]`` steps of the porous-medium equation of
    exponent ``p["m"]`` from the Barenblatt profile of constant ``p["C"]`` at t0.  The CPU
    time of the thread that ran it is added as ``statistics["cpu_seconds"]`` (with one BLAS
    thread, all of the run's work)."""
    grid = wg.Grid([(-1.0, 1.0), (-1.0, 1.0)], p["n"])
    rho0 = wg.exact.barenblatt(grid, p["m"], T0, p["C"])
    start = time.thread_time()
    result = wg.solve(wg.flows.PorousMedium(p["m"]), rho0, p["n_steps"] * DT, DT,
                      track=["tsallis:2", "mass"])
    result.statistics["cpu_seconds"] = time.thread_time() - start
    return result


def exact_error(p: dict, result: wg.SolveResult) -> float:
    """The relative L1 error of the final density to the Barenblatt profile at t0 + t."""
    exact = wg.exact.barenblatt(result.grid, p["m"], T0 + float(result.times[-1]), p["C"])
    return result.final.relative_l1_error(exact)


def run_serial(params: list[dict]) -> tuple[float, list[float], list[wg.SolveResult]]:
    """The runs one after another in this process with one BLAS thread: the total time,
    each run's time and the results."""
    results, seconds = [], []
    start = time.perf_counter()
    with threadpool_limits(limits=1):
        for p in params:
            begin = time.perf_counter()
            results.append(porous_medium(p))
            seconds.append(time.perf_counter() - begin)
            print(f"serial m = {p['m']:g}, C = {p['C']:g}: {seconds[-1]:.2f} s", flush=True)
    return time.perf_counter() - start, seconds, results


def run_sweep(params: list[dict], workers: int) -> tuple[float, float, pandas.DataFrame]:
    """The sweep on the embedded cluster: its start-up, the sweep's time and its table."""
    start = time.perf_counter()
    with connect(None, workers, DEFAULT_TIMEOUT) as client:
        startup = time.perf_counter() - start
        start = time.perf_counter()
        table = sweep(porous_medium, params, client=client, figures=["cpu_seconds"])
        total = time.perf_counter() - start
    print(f"sweep: {total:.2f} s (start-up {startup:.2f} s)", flush=True)
    return startup, total, table


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="64^2 cells, 40 steps")
    parser.add_argument("--workers", type=int, default=2, help="workers of the cluster")
    parser.add_argument("--repeats", type=int, default=1,
                        help="measure serial and sweep this many times, alternately; keep "
                             "the fastest of each (default 1)")
    parser.add_argument("--output", type=Path, default=RESULTS / "bench_sweep.json")
    args = parser.parse_args(argv)
    n, steps = (64, 40) if args.quick else (128, 260)
    params = sweep_product(m=[3.0, 2.5], C=[0.05, 0.04, 0.03, 0.02], n=[n], n_steps=[steps])
    load_before = os.getloadavg()

    serials, sweeps = [], []
    for _ in range(args.repeats):
        serials.append(run_serial(params))
        sweeps.append(run_sweep(params, args.workers))
    serial_total, serial_seconds, serial = min(serials, key=lambda r: r[0])
    startup, sweep_total, table = min(sweeps, key=lambda r: r[1])
    start = time.perf_counter()
    cold = sweep(porous_medium, params, n_workers=args.workers)
    cold_total = time.perf_counter() - start
    load_after = os.getloadavg()

    differences = [
        (label, i, name, frame.loc[i, name], value)
        for label, frame in (("sweep", table), ("sweep with start-up", cold))
        for i, result in enumerate(serial)
        for name, value in solve_figures(result).items() if frame.loc[i, name] != value
    ]
    failed = [(label, i, frame.loc[i, "error"], frame.loc[i, "message"])
              for label, frame in (("sweep", table), ("sweep with start-up", cold))
              for i in frame.index[~frame["success"]]]
    if differences or failed:
        raise RuntimeError(f"the sweep differs from the serial runs (the code changed on disk "
                           f"while this ran?): {differences} {failed}")
    identical = True
    runs = [
        dict(m=p["m"], C=p["C"], serial_seconds=s,
             serial_cpu_seconds=serial[i].statistics["cpu_seconds"],
             worker_seconds=float(table.loc[i, "seconds"]),
             worker_cpu_seconds=float(table.loc[i, "cpu_seconds"]),
             steps=int(table.loc[i, "steps"]), exact_error=exact_error(p, serial[i]))
        for i, (p, s) in enumerate(zip(params, serial_seconds))
    ]
    cpu_serial = sum(r["serial_cpu_seconds"] for r in runs)
    cpu_workers = sum(r["worker_cpu_seconds"] for r in runs)
    data = dict(
        problem=(f"porous medium, Barenblatt at t0 = {T0} on [-1, 1]^2, {n}^2 cells, JKO, "
                 f"dt = {DT}, {steps} steps, track tsallis:2 and mass; m in (3, 2.5), "
                 "C in (0.05, 0.04, 0.03, 0.02)"),
        runs_count=len(params), workers=args.workers, cpu_count=os.cpu_count(),
        repeats=args.repeats, serial_seconds=serial_total, startup_seconds=startup,
        sweep_seconds=sweep_total, sweep_with_startup_seconds=cold_total,
        speedup=serial_total / sweep_total, speedup_with_startup=serial_total / cold_total,
        serial_cpu_seconds=cpu_serial, worker_cpu_seconds=cpu_workers,
        cpu_ratio=cpu_workers / cpu_serial, figures_bitwise_equal=identical,
        load_average_before=load_before, load_average_after=load_after,
        noisy=max(load_before[0], load_after[0]) > 0.5, runs=runs,
    )

    print(f"\n{data['problem']}")
    print(f"{'m':>4} {'C':>5} {'serial s':>9} {'cpu s':>6} {'worker s':>9} {'cpu s':>6} "
          f"{'steps':>6} {'exact err':>10}")
    for r in runs:
        print(f"{r['m']:4g} {r['C']:5g} {r['serial_seconds']:9.2f} "
              f"{r['serial_cpu_seconds']:6.2f} {r['worker_seconds']:9.2f} "
              f"{r['worker_cpu_seconds']:6.2f} {r['steps']:6d} {r['exact_error']:10.2e}")
    print(f"\nserial (1 BLAS thread)            {serial_total:8.2f} s")
    print(f"cluster start-up ({args.workers} workers)       {startup:8.2f} s")
    print(f"sweep on the started cluster      {sweep_total:8.2f} s   speed-up "
          f"{data['speedup']:.2f}x")
    print(f"sweep, start-up included          {cold_total:8.2f} s   speed-up "
          f"{data['speedup_with_startup']:.2f}x")
    print(f"CPU time of the runs: workers / serial = {data['cpu_ratio']:.3f}")
    print(f"figures bitwise equal to the serial runs: {identical}")
    print(f"load average before / after: {load_before[0]:.2f} / {load_after[0]:.2f}"
          + ("  (NOISY: other processes were running)" if data["noisy"] else ""))
    args.output.parent.mkdir(parents=True, exist_ok=True)
    with atomic_write(args.output) as temporary:
        temporary.write_text(json.dumps(data, indent=2) + "\n")
    print(f"wrote {args.output}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
