"""Benchmark of the backward flows with default settings: accuracy, error estimates, cost.

Every run uses wgflow's defaults (regularisation from the data, the error estimate's
companion run), with ``rtol=inf`` so that every figure exists and its estimate stands beside
it; a second run with the default ``rtol = 1e-2`` shows where the library would stop and the
true error there.  Settings other than the defaults are named in the table.

Problems (well-prepared data: a known density pushed forward, then driven back):

* ``mixture-1d-1024``: three Gaussians diffused to T = 0.2 on [-8, 8], 1024 cells, back to
  0.5, 0.8, 0.9 T with dt = 1e-3 (the exact mixture at T - t).
* ``mixture-2d-128``: three anisotropic Gaussians (the ``wgflow demo`` mixture) diffused to
  T = 0.1 on [-4, 4]^2, 128^2 cells, back to 0.5 and 0.8 T with dt = 2e-3.  The data leak
  about 1e-6 of their mass through the walls: that is their noise floor, and no cut-off
  does better than the Fourier one at that level (8.1e-3 at 0.8 T, the best noise level).
* ``mixture-2d-160``: the same on [-5, 5]^2 with 160^2 cells (the same cell width within
  25%), where the walls leak nothing (noise floor: round-off).
* ``kde-{clusters,ring,heavy}-{1d,2d}``: kernel density estimates (Scott's rule) of 200
  samples (three clusters, a noisy ring, a Student-t tail with 3 degrees of freedom) on a
  box holding the data with 4 bandwidths of margin, 1024 cells (1-D) or 128^2; back to
  0.5 and 0.8 of the estimate's age with dt = age / 40; exact: the estimate with bandwidth
  ``sqrt(b^2 - 2t)`` (``wg.exact.kde``).
* ``pme-barenblatt-{1d-1024,2d-128}-m{2,3}``: backward porous medium (17), Barenblatt
  (C = 0.1) from t1 = 0.05 back to t1 / 2 on [-1, 1]^d, 25 steps.
* ``pme-bumps-{separate,merged}-1d-512-m{1.5,2}``: two Barenblatt bumps (C = 0.1, age 0.01)
  at +-0.6 (separate) or +-0.3 (they merge), pushed forward by 0.05 on [-1.5, 1.5], then
  driven back to half their age (by 0.03).  Reference: finite volumes on a grid 4 times
  finer, averaged onto the test grid (:func:`wgflow.reference.fine_reference`).
* ``pme-offcentre-2d-128-m3``: two bumps of different size and mass off the centre of
  [-1, 1]^2, pushed forward by 0.02, back by 0.015 (full mode only; its 512^2 reference
  takes minutes and is cached in ``benchmarks/results/references``).
* ``order-tau``: the 1-D mixture at 0.5 T, JKO at dt = 8e-3 ... 1e-3 against dt = 2.5e-4
  (self-convergence, fixed smoothing 0.1): log-log slope.

Columns: true relative L1 error / estimate at each stored time (the fractions of the
problem's horizon), their ratio, seconds per step, the share of the wall time spent on the
estimate (its companion run), and the default-rtol run's stop.  Also a JSON file.
Run: ``python benchmarks/bench_backward.py [--quick]`` (``--quick``: 1-D and the 2-D
mixtures only).
"""

from __future__ import annotations

import argparse
import json
import math
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

import wgflow as wg
from wgflow.reference import fine_reference
from wgflow.trackers import functional_from_name

RESULTS = Path(__file__).resolve().parent / "results"
REFERENCES = RESULTS / "references"
ENTROPIES = ("shannon", "renyi:2", "tsallis:2")
DEFAULT_RTOL = 1e-2

MIXTURE_2D = dict(
    weights=[0.3, 0.45, 0.25],
    means=[[-1.0, -0.5], [0.4, 0.7], [1.2, -0.6]],
    covs=[[[0.15, 0.05], [0.05, 0.08]], [[0.06, 0.0], [0.0, 0.2]], [[0.2, -0.08], [-0.08, 0.1]]],
)
MIXTURE_1D = dict(weights=[0.3, 0.45, 0.25], means=[[-1.2], [0.3], [1.5]], covs=[0.15, 0.1, 0.2])


@dataclass
class Problem:
    """Data, the backward flow, the stored times and the exact (or reference) densities."""

    name: str
    flow: wg.flows.Flow
    data: wg.Density
    times: list[float]
    dt: float
    exact: Callable[[float], wg.Density]
    methods: tuple[str, ...] = ("jko",)
    note: str = ""
    entropies: tuple[str, ...] = field(default_factory=tuple)


# -- problems ------------------------------------------------------------------------------
def mixture(dim: int, half_width: float = 4.0, n: int = 128) -> Problem:
    if dim == 1:
        grid, T, fractions, dt, mix = wg.Grid([(-8, 8)], 1024), 0.2, (0.5, 0.8, 0.9), 1e-3, MIXTURE_1D
    else:
        grid, T, fractions, dt, mix = (wg.Grid([(-half_width, half_width)] * 2, n), 0.1,
                                       (0.5, 0.8), 2e-3, MIXTURE_2D)

    def exact(t: float) -> wg.Density:
        return wg.exact.heat_gaussian_mixture(grid, **mix, t=T - t)

    name = f"mixture-{dim}d-{grid.shape[0]}"
    return Problem(name, wg.flows.BackwardHeat(), exact(0.0), [f * T for f in fractions], dt,
                   exact, ("jko", "spectral"), f"box {grid.bounds[0]}", ENTROPIES)


def samples(shape: str, dim: int, rng: np.random.Generator, count: int = 200) -> np.ndarray:
    """200 points: three clusters, a noisy ring (its x coordinate in 1-D) or a heavy tail."""
    if shape == "clusters":
        centres = np.array([[-1.0, -0.4], [0.9, 0.5], [0.1, 1.3]])[:, :dim]
        return centres[rng.integers(0, 3, count)] + 0.35 * rng.normal(size=(count, dim))
    if shape == "ring":
        angle = rng.uniform(0.0, 2 * np.pi, count)
        radius = 1.2 + 0.12 * rng.normal(size=count)
        ring = np.stack([radius * np.cos(angle), radius * np.sin(angle)], axis=1)
        return ring[:, :dim]
    return 0.5 * rng.standard_t(3, size=(count, dim))


def kde(shape: str, dim: int) -> Problem:
    points = samples(shape, dim, np.random.default_rng(7))
    probe = wg.Density.from_samples(wg.Grid([(-100, 100)] * dim, 4), points, bandwidth="scott")
    bandwidth = math.sqrt(2 * probe.age)
    low, high = points.min(axis=0) - 4 * bandwidth, points.max(axis=0) + 4 * bandwidth
    grid = wg.Grid(list(zip(low.tolist(), high.tolist())), 1024 if dim == 1 else 128)
    data = wg.Density.from_samples(grid, points, bandwidth="scott")
    age = data.age

    def exact(t: float) -> wg.Density:
        return wg.exact.kde(grid, points, "scott", -t)

    return Problem(f"kde-{shape}-{dim}d", wg.flows.BackwardHeat(), data, [0.5 * age, 0.8 * age],
                   age / 40, exact, ("jko", "spectral"),
                   f"{len(points)} points, b/h = {bandwidth / grid.spacing[0]:.1f}")


def barenblatt(dim: int, m: float) -> Problem:
    grid = wg.Grid([(-1, 1)] * dim, 1024 if dim == 1 else 128)
    C, t1 = 0.1, 0.05

    def exact(t: float) -> wg.Density:
        return wg.exact.barenblatt(grid, m, t1 - t, C)

    return Problem(f"pme-barenblatt-{dim}d-{grid.shape[0]}-m{m:g}",
                   wg.flows.BackwardPorousMedium(m), exact(0.0), [t1 / 4, t1 / 2], t1 / 50, exact)


def bump(m: float, dim: int, C: float, age: float, centre: list[float]) -> Callable[..., np.ndarray]:
    """A Barenblatt profile of exponent m, constant C and the given age at ``centre``."""
    alpha = dim / (dim * (m - 1) + 2)
    k = alpha * (m - 1) / (2 * m * dim)

    def profile(*x: np.ndarray) -> np.ndarray:
        r2 = sum((xi - c) ** 2 for xi, c in zip(x, centre))
        return age**-alpha * np.maximum(C - k * r2 * age ** (-2 * alpha / dim), 0.0) ** (1 / (m - 1))

    return profile


def cached_reference(name: str, flow, initial, grid, times, refine: int = 4) -> list[wg.Density]:
    """:func:`fine_reference`, cached in ``benchmarks/results/references/NAME.npz``."""
    path = REFERENCES / f"{name}-refine{refine}.npz"
    if path.exists():
        with np.load(path) as stored:
            if np.allclose(stored["times"], times):
                return [wg.Density(grid, values) for values in stored["values"]]
    references = fine_reference(flow, initial, grid, times, refine=refine)
    path.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(path, times=np.asarray(times), values=np.stack([r.values for r in references]))
    return references


def bumps(kind: str, m: float) -> Problem:
    """Two bumps of age 0.01 at +-0.6 (separate) or +-0.3 (they merge), pushed forward by
    0.05, driven back by 0.03 (to half their age)."""
    grid = wg.Grid([(-1.5, 1.5)], 512)
    offset = 0.6 if kind == "separate" else 0.3
    left, right = bump(m, 1, 0.1, 0.01, [-offset]), bump(m, 1, 0.1, 0.01, [offset])
    name = f"pme-bumps-{kind}-1d-512-m{m:g}"
    return pushed_back(name, m, lambda x: left(x) + right(x), grid, forward=0.05, back=0.03)


def pushed_back(name: str, m: float, initial, grid: wg.Grid, forward: float,
                back: float, steps: int = 25) -> Problem:
    """Data: ``initial`` pushed forward by ``forward`` (fine reference); the run drives them
    back by ``back`` in ``steps`` steps; references at every step's time."""
    dt = back / steps
    times = [forward - back + k * dt for k in range(steps + 1)]
    references = cached_reference(name, wg.flows.PorousMedium(m), initial, grid, times)

    def exact(t: float) -> wg.Density:
        return references[steps - int(round(t / dt))]

    return Problem(name, wg.flows.BackwardPorousMedium(m), references[-1], [back / 2, back],
                   dt, exact, note="reference: finite volumes, 4x finer")


def offcentre() -> Problem:
    grid = wg.Grid([(-1, 1)] * 2, 128)
    m = 3.0
    large = bump(m, 2, 0.1, 0.01, [-0.2, 0.1])
    small = bump(m, 2, 0.05, 0.005, [0.25, -0.15])
    return pushed_back("pme-offcentre-2d-128-m3", m,
                       lambda x, y: large(x, y) + 0.6 * small(x, y), grid, forward=0.02,
                       back=0.015)


# -- runs ----------------------------------------------------------------------------------
def entropy_report(result, exact) -> dict:
    """Largest entropy increase per step and largest relative gap to the exact curve."""
    report = {}
    for name in result.tracked:
        if name not in ENTROPIES:
            continue
        functional = functional_from_name(name)
        values = np.asarray(result.tracked[name])
        exact_values = np.array([functional(exact(float(t))) for t in result.tracked_times[name]])
        report[name] = dict(
            largest_increase=float(max(np.diff(values).max(initial=-np.inf), 0.0)),
            largest_gap=float(np.max(np.abs(values - exact_values) / np.abs(exact_values))),
        )
    return report


def errors_at(result, problem: Problem) -> tuple[dict, dict]:
    """True errors and estimates at the problem's stored times that the run reached."""
    errors, estimates = {}, {}
    for t, rho, estimate in zip(result.times, result.densities, result.statistics["error_estimate"]):
        if any(abs(t - s) < 1e-9 for s in problem.times):
            errors[f"{t:.4g}"] = float(rho.relative_l1_error(problem.exact(float(t))))
            estimates[f"{t:.4g}"] = float(estimate)
    return errors, estimates


def run(problem: Problem, method: str) -> dict:
    options = dict(t_eval=problem.times, method=method)
    track = [*problem.entropies, "mass"] if method == "jko" else []
    start = time.perf_counter()
    result = wg.solve(problem.flow, problem.data, problem.times[-1], problem.dt, rtol=math.inf,
                      track=track, **options)
    seconds = time.perf_counter() - start
    errors, estimates = errors_at(result, problem)
    steps = max(result.statistics["steps"], 1)
    row = dict(
        solver=f"wgflow {method}", success=bool(result.success), message=result.message,
        errors=errors, estimates=estimates,
        ratios={t: estimates[t] / errors[t] for t in errors if errors[t] > 0},
        seconds_per_step=seconds / steps,
        estimate_share=result.statistics["companion_seconds"] / seconds,
        min_value=min(float(rho.values.min()) for rho in result.densities),
        settings={k: v for k, v in result.settings.items() if isinstance(v, (int, float, str))},
    )
    if "clipped_mass" in result.statistics:
        row["clipped_mass"] = float(max(result.statistics["clipped_mass"], default=0.0))
    if track:
        row["entropies"] = entropy_report(result, problem.exact)
        mass = np.asarray(result.tracked["mass"])
        row["mass_drift"] = float(np.abs(mass / mass[0] - 1).max())
    default = wg.solve(problem.flow, problem.data, problem.times[-1], problem.dt, **options)
    last = float(default.times[-1])
    row["default_rtol"] = dict(
        success=bool(default.success), stopped_at=last,
        error=float(default.final.relative_l1_error(problem.exact(last))),
        estimate=float(default.statistics["error_estimate"][-1]),
    )
    return row


def order_in_tau() -> dict:
    """Self-convergence at 0.5 T of the 1-D mixture (fixed smoothing 0.1)."""
    problem = mixture(1)
    t_end = 0.5 * 0.2

    def final(dt):
        return wg.solve(problem.flow, problem.data, t_end, dt, smoothing=0.1,
                        rtol=math.inf).final

    reference = final(2.5e-4)
    steps = [8e-3, 4e-3, 2e-3, 1e-3]
    gaps = [float(final(dt).relative_l1_error(reference)) for dt in steps]
    slope = float(np.polyfit(np.log(steps), np.log(gaps), 1)[0])
    return dict(problem="order-tau", dt=steps, gap_to_fine=gaps, reference_dt=2.5e-4, slope=slope)


def problems(quick: bool) -> list[Problem]:
    cases = [mixture(1), mixture(2), mixture(2, 5.0, 160)]
    cases += [kde(shape, dim) for dim in (1, 2) for shape in ("clusters", "ring", "heavy")]
    cases += [barenblatt(1, 2.0), barenblatt(1, 3.0)]
    cases += [bumps(kind, m) for kind in ("separate", "merged") for m in (1.5, 2.0)]
    if not quick:
        cases += [barenblatt(2, 2.0), barenblatt(2, 3.0), offcentre()]
    return cases


def format_table(results: list[dict]) -> str:
    lines = [f"{'problem':28s} {'solver':16s} {'true / estimate at each time (ratio)':58s} "
             f"{'s/step':>7s} {'est.':>5s} {'default rtol: stop, error':>26s}"]
    for problem in results:
        for row in problem["rows"]:
            cells = " ".join(
                f"{row['errors'][t]:.1e}/{row['estimates'][t]:.1e}({row['ratios'].get(t, 0):.1f})"
                for t in row["errors"])
            default = row["default_rtol"]
            stop = "end" if default["success"] else f"t={default['stopped_at']:.3g}"
            lines.append(f"{problem['problem']:28s} {row['solver']:16s} {cells:58s} "
                         f"{row['seconds_per_step']:7.3f} {row['estimate_share']:5.0%} "
                         f"{stop:>14s} {default['error']:.1e}")
            if not row["success"]:
                lines.append(f"{'':28s}   stopped: {row['message'][:100]}")
    return "\n".join(lines)


def honesty(results: list[dict]) -> dict:
    """The estimate against the truth over every row and time, and the default-rtol runs."""
    ratios = [r for p in results for row in p["rows"] for r in row["ratios"].values()]
    successes = [row["default_rtol"] for p in results for row in p["rows"]
                 if row["default_rtol"]["success"]]
    return dict(
        smallest_ratio=min(ratios), largest_ratio=max(ratios), cases=len(ratios),
        largest_error_of_a_default_success=max((s["error"] for s in successes), default=0.0),
        largest_estimate_share=max(row["estimate_share"] for p in results for row in p["rows"]),
    )


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true",
                        help="1-D problems and the 2-D mixtures only")
    parser.add_argument("--output", type=Path, default=RESULTS / "bench_backward.json",
                        help="where the JSON goes (default benchmarks/results/bench_backward.json)")
    args = parser.parse_args(argv)
    warnings.simplefilter("ignore", wg.errors.ConvergenceWarning)
    results = []
    for problem in problems(args.quick):
        rows = [run(problem, method) for method in problem.methods]
        results.append(dict(problem=problem.name, note=problem.note, times=problem.times,
                            dt=problem.dt, rows=rows))
    order = order_in_tau()
    summary = honesty(results)
    print(format_table(results))
    print()
    print("order in dt (1-D mixture, smoothing 0.1, gap to dt = 2.5e-4 at 0.5 T): "
          + ", ".join(f"dt {dt:g}: {gap:.2e}" for dt, gap in zip(order["dt"], order["gap_to_fine"]))
          + f"; slope {order['slope']:.2f}")
    print(f"estimate / true error over {summary['cases']} cases: "
          f"{summary['smallest_ratio']:.2f} ... {summary['largest_ratio']:.1f}; largest true "
          f"error of a run that succeeded with rtol = {DEFAULT_RTOL:g}: "
          f"{summary['largest_error_of_a_default_success']:.2e}; the estimate's share of the "
          f"wall time: at most {summary['largest_estimate_share']:.0%}")
    print("entropies of the JKO runs (largest increase per step / largest relative gap to exact):")
    for problem in results:
        for row in problem["rows"]:
            for name, report in row.get("entropies", {}).items():
                print(f"  {problem['problem']:18s} {name:10s} "
                      f"{report['largest_increase']:.1e} / {report['largest_gap']:.1e}")
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps({"problems": results, "order": order, "honesty": summary},
                                      indent=2))
    print(f"wrote {args.output}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
