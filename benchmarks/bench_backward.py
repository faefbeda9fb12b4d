"""Benchmark of the backward flows: JKO against the second methods, same process.

Problems (well-prepared data: a known density pushed forward exactly):

* ``mixture-2d-128``: three anisotropic Gaussians (the ``wgflow demo`` mixture) diffused to
  T = 0.1 on [-4, 4]^2, 128^2 cells, driven back by the backward heat equation (11) to
  0.8 T with dt = 2e-3; relative L1 error against the exact mixture at 0.5 T and 0.8 T.
* ``mixture-1d-1024``: three Gaussians diffused to T = 0.2 on [-8, 8], 1024 cells, back to
  0.9 T with dt = 1e-3; errors at 0.5, 0.8 and 0.9 T.
  Solvers of both: wgflow's semi-implicit JKO (spectral filter; the 1-D run with smoothing
  0.1, the 2-D run with the default sqrt(t_end / 10)), the same JKO with the Gaussian filter
  (the positivity-keeping filter, same smoothing), the cosine-series solver with a
  noise-level cut-off (``method="spectral"``, exact in time, loses positivity: the Fourier
  reference; noise level 1e-6 in 2-D, the data's leak through the walls) and the continuous
  DAE (eq. 10, Lagrangian RK4 map, ``wg.dae.continuous``, smoothing 0.25).
* ``order-tau``: 1-D problem above, JKO at dt = 8e-3 ... 1e-3 against the same JKO at
  dt = 2.5e-4 (self-convergence at 0.5 T, fixed smoothing 0.1): log-log slope.
* ``pme-1d-1024`` / ``pme-2d-128``: backward porous medium (17), m = 2 and 3, Barenblatt
  (C = 0.1) from t1 = 0.05 back to t1 / 2 on [-1, 1]^d, 25 steps, default regularisation
  (local quadratic regression of the pressure).
* Entropies: along every backward heat run, the largest step-to-step increase of the
  Shannon, Renyi-2 and Tsallis-2 entropies and their largest relative gap to the exact
  curves (quadrature of the exact densities).

Prints a table and writes ``benchmarks/results/bench_backward.json``.  Times are wall-clock
seconds per step on this machine; compare ratios within one run.
Run: ``python benchmarks/bench_backward.py [--quick]`` (``--quick``: no 2-D porous medium).
"""

from __future__ import annotations

import argparse
import json
import time
import warnings
from pathlib import Path

import numpy as np

import wgflow as wg
from wgflow.trackers import functional_from_name

RESULTS = Path(__file__).resolve().parent / "results"
ENTROPIES = ("shannon", "renyi:2", "tsallis:2")

MIXTURE_2D = dict(
    weights=[0.3, 0.45, 0.25],
    means=[[-1.0, -0.5], [0.4, 0.7], [1.2, -0.6]],
    covs=[[[0.15, 0.05], [0.05, 0.08]], [[0.06, 0.0], [0.0, 0.2]], [[0.2, -0.08], [-0.08, 0.1]]],
)
#: Smoothing of the continuous DAE's filter (smaller values make its map fold earlier).
CONTINUOUS_SMOOTHING = 0.25
MIXTURE_1D = dict(weights=[0.3, 0.45, 0.25], means=[[-1.2], [0.3], [1.5]], covs=[0.15, 0.1, 0.2])


def mixture_problem(dim: int):
    """(grid, T, fractions of T to compare at, dt, exact(t))."""
    if dim == 2:
        grid, T, fractions, dt, mixture = wg.Grid([(-4, 4)] * 2, 128), 0.1, (0.5, 0.8), 2e-3, MIXTURE_2D
    else:
        grid, T, fractions, dt, mixture = wg.Grid([(-8, 8)], 1024), 0.2, (0.5, 0.8, 0.9), 1e-3, MIXTURE_1D

    def exact(t: float) -> wg.Density:
        return wg.exact.heat_gaussian_mixture(grid, **mixture, t=T - t)

    return grid, T, fractions, dt, exact


def entropy_report(result, exact) -> dict:
    """Largest entropy increase per step and largest relative gap to the exact curve."""
    report = {}
    for name in ENTROPIES:
        if name not in result.tracked:
            continue
        functional = functional_from_name(name)
        times = result.tracked_times[name]
        values = np.asarray(result.tracked[name])
        exact_values = np.array([functional(exact(float(t))) for t in times])
        report[name] = dict(
            largest_increase=float(max(np.diff(values).max(initial=-np.inf), 0.0)),
            largest_gap=float(np.max(np.abs(values - exact_values) / np.abs(exact_values))),
        )
    return report


def run_solver(label, run, exact, times, steps):
    """Run ``run()`` (returns an object with times/densities/success), time it, compare."""
    start = time.perf_counter()
    result = run()
    seconds = time.perf_counter() - start
    errors = {}
    for t in times:
        index = int(np.argmin(np.abs(np.asarray(result.times) - t)))
        if abs(result.times[index] - t) < 1e-9:
            errors[f"{t:.4g}"] = float(result.densities[index].relative_l1_error(exact(t)))
    minimum = min(float(rho.values.min()) for rho in result.densities)
    row = dict(solver=label, success=bool(result.success), errors=errors,
               seconds_per_step=seconds / steps, min_value=minimum)
    statistics = getattr(result, "statistics", {}) or {}
    if "clipped_mass" in statistics:
        row["clipped_mass"] = float(max(statistics["clipped_mass"]))
    if hasattr(result, "tracked") and result.tracked:
        row["entropies"] = entropy_report(result, exact)
        if "mass" in result.tracked:
            mass = np.asarray(result.tracked["mass"])
            row["mass_drift"] = float(np.abs(mass / mass[0] - 1).max())
    return row, result


def mixture(dim: int) -> dict:
    grid, T, fractions, dt, exact = mixture_problem(dim)
    t_end = fractions[-1] * T
    times = [f * T for f in fractions]
    steps = int(round(t_end / dt))
    smoothing = {} if dim == 2 else {"smoothing": 0.1}
    track = [*ENTROPIES, "mass"]
    data = exact(0.0)
    jko, result = run_solver(
        "wgflow jko (spectral filter)",
        lambda: wg.solve(wg.flows.BackwardHeat(), data, t_end, dt, t_eval=times, track=track,
                         **smoothing),
        exact, times, steps)
    jko["smoothing"] = result.settings["smoothing"]
    jko["message"] = result.message
    gaussian, result = run_solver(
        "wgflow jko (gaussian filter)",
        lambda: wg.solve(wg.flows.BackwardHeat(), data, t_end, dt, t_eval=times, track=track,
                         smoothing=jko["smoothing"], smoothing_filter="gaussian"),
        exact, times, steps)
    gaussian["message"] = result.message
    # the 2-D data leak about 1e-6 of their mass through the walls of [-4, 4]^2: the
    # cut-off must sit at that level (1e-8 gives an error of 0.2 at 0.5 T)
    noise_level = 1e-6 if dim == 2 else 1e-13
    spectral, result = run_solver(
        "spectral (Fourier cut-off)",
        lambda: wg.solve(wg.flows.BackwardHeat(), data, t_end, dt, method="spectral",
                         t_eval=times, track=track, noise_level=noise_level),
        exact, times, steps)
    spectral["noise_level"] = noise_level
    spectral["message"] = result.message
    continuous, result = run_solver(
        "continuous DAE (eq. 10)",
        lambda: wg.dae.continuous(data, t_end, dt, t_eval=times, smoothing=CONTINUOUS_SMOOTHING),
        exact, times, steps)
    continuous["smoothing"] = CONTINUOUS_SMOOTHING
    continuous["message"] = result.message
    name = f"mixture-{dim}d-{grid.shape[0]}"
    return dict(problem=name, grid="x".join(map(str, grid.shape)), T=T, dt=dt,
                rows=[jko, gaussian, spectral, continuous])


def order_in_tau() -> dict:
    """Self-convergence at 0.5 T (at 0.8 T the amplified modes keep it pre-asymptotic:
    slope 1.5 over dt = 8e-3 ... 2e-3)."""
    grid, T, _, _, exact = mixture_problem(1)
    t_end = 0.5 * T
    data = exact(0.0)

    def final(dt):
        result = wg.solve(wg.flows.BackwardHeat(), data, t_end, dt, smoothing=0.1)
        return result.final

    reference = final(2.5e-4)
    steps = [8e-3, 4e-3, 2e-3, 1e-3]
    gaps, errors = [], []
    for dt in steps:
        rho = final(dt)
        gaps.append(float(rho.relative_l1_error(reference)))
        errors.append(float(rho.relative_l1_error(exact(t_end))))
    slope = float(np.polyfit(np.log(steps), np.log(gaps), 1)[0])
    return dict(problem="order-tau", dt=steps, gap_to_fine=gaps, error_vs_exact=errors,
                reference_dt=2.5e-4, reference_error=float(reference.relative_l1_error(exact(t_end))),
                slope=slope)


def porous_medium(dim: int, m: float) -> dict:
    n = 1024 if dim == 1 else 128
    grid = wg.Grid([(-1, 1)] * dim, n)
    C, t1 = 0.1, 0.05
    steps = 25
    dt = t1 / 2 / steps

    def exact(t: float) -> wg.Density:
        return wg.exact.barenblatt(grid, m, t1 - t, C)

    row, result = run_solver(
        "wgflow jko",
        lambda: wg.solve(wg.flows.BackwardPorousMedium(m), exact(0.0), t1 / 2, dt,
                         t_eval=[t1 / 4, t1 / 2], track=[f"tsallis:{m:g}"]),
        exact, [t1 / 4, t1 / 2], steps)
    row["smoothing"] = result.settings["smoothing"]
    row["message"] = result.message
    return dict(problem=f"pme-{dim}d-{n}-m{m:g}", grid="x".join(map(str, grid.shape)),
                dt=dt, rows=[row])


def format_table(problems: list[dict]) -> str:
    lines = [f"{'problem':20s} {'solver':30s} {'errors (time: rel L1)':44s} {'s/step':>8s} "
             f"{'min value':>10s} {'ok':>3s}"]
    for problem in problems:
        for row in problem["rows"]:
            errors = " ".join(f"{t}:{e:.2e}" for t, e in row["errors"].items())
            lines.append(f"{problem['problem']:20s} {row['solver']:30s} {errors:44s} "
                         f"{row['seconds_per_step']:8.3f} {row['min_value']:10.1e} "
                         f"{'yes' if row['success'] else 'NO':>3s}")
            if not row["success"]:
                lines.append(f"{'':20s}   stopped: {row['message'][:110]}")
    return "\n".join(lines)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="no 2-D porous medium")
    parser.add_argument("--output", type=Path, default=RESULTS / "bench_backward.json",
                        help="where the JSON goes (default benchmarks/results/bench_backward.json)")
    args = parser.parse_args(argv)
    warnings.simplefilter("ignore", wg.errors.ConvergenceWarning)

    problems = [mixture(2), mixture(1)]
    cases = [(1, 2.0), (1, 3.0)] + ([] if args.quick else [(2, 2.0), (2, 3.0)])
    problems += [porous_medium(dim, m) for dim, m in cases]
    order = order_in_tau()
    print(format_table(problems))
    print()
    print("order in tau (1-D mixture, smoothing 0.1, gap to dt = 2.5e-4 at 0.5 T): "
          + ", ".join(f"dt {dt:g}: {gap:.2e}" for dt, gap in zip(order["dt"], order["gap_to_fine"]))
          + f"; slope {order['slope']:.2f}")
    print("entropies (largest increase per step / largest relative gap to exact):")
    for problem in problems:
        for row in problem["rows"]:
            for name, report in row.get("entropies", {}).items():
                print(f"  {problem['problem']:18s} {row['solver']:30s} {name:10s} "
                      f"{report['largest_increase']:.1e} / {report['largest_gap']:.1e}")
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps({"problems": problems, "order": order}, indent=2))
    print(f"wrote {args.output}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
