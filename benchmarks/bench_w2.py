"""Benchmark of the W2 tracker: :func:`wgflow.transport.wasserstein2` against Bures.

Cases (Gaussians sampled at the cell centres, at least 4.6 standard deviations inside the
box, ``[-2, 2]^d`` and ``[-4, 4]`` in 1-D; ``h`` the cell width):

* ``sub-cell``: the same covariance, the mean moved by ``0.3 h`` along the first axis;
* ``shift``: the same covariance, the mean moved by many cells;
* ``covariance``: two anisotropic covariances rotated against each other, one mean;
* ``both``: a shift and the change of covariance;
* ``sub-cell+cov``: a shift of ``(0.3 h, -0.2 h)`` with the change of covariance.

On 128^2, 256^2 and 64^3 (and 2048 cells in 1-D).  Each case is computed by the new method
(the default ``rtol = 1e-3``) and by the old one in the same process: the point masses at the
cell centres and POT's exact linear program on grids coarsened until the support has at most
1024 cells (:func:`wgflow.transport.point_mass_wasserstein2`; in 1-D ``ot.wasserstein_1d``).
Columns: the value, Bures' value, the relative error, the estimated error (new), seconds (the
fastest of ``--repeats`` runs: the machine is shared), and the ratios new / old of the time
and of the error.  Also a JSON file.  Run: ``python benchmarks/bench_w2.py [--quick]``
(``--quick``: 128^2 and 1-D only).
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import numpy as np

import wgflow as wg
from wgflow.transport import bures_wasserstein, point_mass_wasserstein2, wasserstein2_result

RESULTS = Path(__file__).resolve().parent / "results"
T = TypeVar("T")

#: Covariances of the cases, per dimension: anisotropic and rotated against each other.
COVARIANCES = {
    1: (np.array([[0.09]]), np.array([[0.25]])),
    2: (np.array([[0.09, 0.02], [0.02, 0.05]]), np.array([[0.04, -0.03], [-0.03, 0.12]])),
    3: (np.array([[0.09, 0.02, 0.0], [0.02, 0.05, 0.01], [0.0, 0.01, 0.07]]),
        np.array([[0.04, -0.03, 0.0], [-0.03, 0.12, 0.0], [0.0, 0.0, 0.05]])),
}

#: ``name: (dimension, cells per axis, half-width of the box)``.
GRIDS = {"1d-2048": (1, 2048, 4.0), "2d-128": (2, 128, 2.0), "2d-256": (2, 256, 2.0),
         "3d-64": (3, 64, 2.0)}


def cases(dim: int, h: float) -> dict[str, tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]]:
    """``name: (mean0, cov0, mean1, cov1)``."""
    c0, c1 = COVARIANCES[dim]
    origin = np.zeros(dim)
    sub_cell = np.zeros(dim)
    sub_cell[0] = 0.3 * h
    far = np.array([0.4, -0.3, 0.2][:dim])
    both = np.array([0.5, -0.15, 0.1][:dim])
    sub_cell_2 = np.array([0.3 * h, -0.2 * h, 0.1 * h][:dim])
    return {
        "sub-cell": (origin - 0.1, c0, origin - 0.1 + sub_cell, c0),
        "shift": (origin - 0.2, c0, origin - 0.2 + far, c0),
        "covariance": (origin, c0, origin, c1),
        "both": (origin - 0.2, c0, origin - 0.2 + both, c1),
        "sub-cell+cov": (origin, c0, origin + sub_cell_2, c1),
    }


def fastest(function: Callable[[wg.Density, wg.Density], T], rho: wg.Density,
            sigma: wg.Density, repeats: int) -> tuple[T, float]:
    """What ``function(rho, sigma)`` returns and the smallest of ``repeats`` wall times."""
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        value = function(rho, sigma)
        times.append(time.perf_counter() - start)
    return value, min(times)


def run_grid(name: str, repeats: int) -> list[dict]:
    dim, n, half_width = GRIDS[name]
    grid = wg.Grid([(-half_width, half_width)] * dim, (n,) * dim)
    h = grid.spacing[0]
    rows = []
    for case, (m0, c0, m1, c1) in cases(dim, h).items():
        rho = wg.exact.heat_gaussian(grid, m0, c0, 0.0)
        sigma = wg.exact.heat_gaussian(grid, m1, c1, 0.0)
        bures = bures_wasserstein(m0, c0, m1, c1)
        details, new_seconds = fastest(wasserstein2_result, rho, sigma, repeats)
        old, old_seconds = fastest(point_mass_wasserstein2, rho, sigma, repeats)
        new = details.value
        new_error, old_error = abs(new / bures - 1), abs(old / bures - 1)
        rows.append({
            "grid": name, "case": case, "bures": bures,
            "new": {"value": new, "error": new_error, "estimate": details.error / new,
                    "seconds": new_seconds, "sweeps": details.sweeps,
                    "log_sweeps": details.log_sweeps,
                    "blurs_in_h2": [eps / h**2 for eps in details.blurs]},
            "old": {"value": old, "error": old_error, "seconds": old_seconds},
            "time_ratio": new_seconds / old_seconds,
            "error_ratio": new_error / old_error if old_error > 0 else None,
        })
    return rows


def format_table(rows: list[dict]) -> str:
    head = (f"{'grid':8s} {'case':13s} {'Bures':>9s} | {'new W2':>10s} {'rel err':>8s} "
            f"{'estimate':>8s} {'s':>6s} {'sweeps':>6s} | {'old W2':>9s} {'rel err':>8s} "
            f"{'s':>6s} | {'t new/old':>9s} {'err new/old':>11s}")
    lines = [head, "-" * len(head)]
    for r in rows:
        new, old = r["new"], r["old"]
        ratio = "exact" if r["error_ratio"] is None else f"{r['error_ratio']:.1e}"
        lines.append(
            f"{r['grid']:8s} {r['case']:13s} {r['bures']:9.6f} | {new['value']:10.7f} "
            f"{new['error']:8.1e} {new['estimate']:8.1e} {new['seconds']:6.3f} "
            f"{new['sweeps']:6d} | {old['value']:9.6f} {old['error']:8.1e} "
            f"{old['seconds']:6.3f} | {r['time_ratio']:9.2f} {ratio:>11s}"
        )
    return "\n".join(lines)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="128^2 and 1-D only")
    parser.add_argument("--repeats", type=int, default=3, help="runs per timing (default 3)")
    parser.add_argument("--output", type=Path, default=RESULTS / "bench_w2.json",
                        help="where the JSON goes (default benchmarks/results/bench_w2.json)")
    args = parser.parse_args(argv)
    names = ["1d-2048", "2d-128"] if args.quick else list(GRIDS)
    rows = [row for name in names for row in run_grid(name, args.repeats)]
    print(format_table(rows))
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps({"rows": rows, "repeats": args.repeats}, indent=1) + "\n")
    print(f"wrote {args.output}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
