"""
Entropy-decrease rates of the backward flows, a parameter sweep on Dask
=======================================================================

A Gaussian DAE of noise level t moves mass like the backward heat equation (eq. 11) run for
a time t; other noises lead to the backward porous-medium equation d_t rho = -Lap rho^a
(eq. 17).  Both are Wasserstein gradient flows that *decrease* an entropy: the Shannon
entropy H for the heat equation (a = 1), the Tsallis entropy S_a for a > 1, at the rate

::

    -dS_a/dt = a^2 ∫ rho^(2a-3) |grad rho|^2     (the Fisher information when a = 1).

This example sweeps the exponent a in (1, 1.5, 2, 3) and the noise level t (the backward
time) over five values with :func:`wgflow.sweep`: each of the 20 runs drives data of
age 0.05 back for a time t -- a Gaussian N(0, 0.1) by ``wg.flows.BackwardHeat()`` for a = 1,
the Barenblatt profile of exponent a at t1 = 0.05 by ``wg.flows.BackwardPorousMedium(a)``
-- and returns the entropy-decrease rate over its last step, (S(t - dt) - S(t)) / dt, beside
the same quotient of the exact entropy (the Gaussian of variance 0.1 - 2t, the Barenblatt
profile at t1 - t) and the relative L1 error of its final density.

The runs execute on the embedded Dask cluster of ``sweep`` (a ``LocalCluster`` of two
single-thread worker processes; the sweep is started under ``if __name__ == "__main__":``
because they import this script).  In ``--quick`` mode, where the runs are tiny and the
start-up of worker processes would be most of the time, they run instead on a Dask cluster
of one thread inside this process, passed to the sweep as an existing cluster
(``client=``).  The results are stored in ``OUT/entropy-rates-sweep``: run the script again
and it loads them instead of running them.

Run: ``python examples/plot_sweep_entropy_rates.py [--quick] [--out DIR]``.
"""

import numpy as np
from _gallery import finish, new_figure, parse_args
from distributed import Client

import wgflow as wg
from wgflow.sweeps import sweep, sweep_product

AGE = 0.05          # the data's age: variance 2 * AGE for a = 1, Barenblatt time for a > 1
C = 0.1             # Barenblatt constant
BOX = (-1.5, 1.5)   # the data stay 4.7 standard deviations (or more) away from the walls


def exact_entropy(a: float, tau: float) -> float:
    """The entropy S_a (H for a = 1) of the exact solution after a backward time tau."""
    if a == 1:
        return wg.gaussian.Gaussian([0.0], [[2 * AGE - 2 * tau]]).shannon_entropy()
    return wg.exact.barenblatt_tsallis_entropy(1, a, AGE - tau, C, a)


def entropy_rate(p: dict) -> dict:
    """One run of the sweep: the backward flow of exponent ``p["a"]`` for the noise level
    ``p["t"]`` on ``p["n"]`` cells with time step ``p["dt"]``; returns its figures."""
    a, t, dt = p["a"], p["t"], p["dt"]
    grid = wg.Grid([BOX], p["n"])
    if a == 1:
        gaussian = wg.exact.heat_gaussian(grid, [0.0], [[2 * AGE]], 0.0)
        rho0 = wg.Density(grid, gaussian.values, age=AGE)
        flow, name = wg.flows.BackwardHeat(), "shannon"
        exact = wg.exact.heat_gaussian(grid, [0.0], [[2 * AGE - 2 * t]], 0.0)
    else:
        rho0 = wg.exact.barenblatt(grid, a, AGE, C)
        flow, name = wg.flows.BackwardPorousMedium(a), f"tsallis:{a:g}"
        exact = wg.exact.barenblatt(grid, a, AGE - t, C)
    result = wg.solve(flow, rho0, t, dt, track=[name])
    if not result.success:
        raise RuntimeError(result.message)  # a failed row of the table, with this message
    entropy, times = result.tracked[name], result.tracked_times[name]
    step = times[-1] - times[-2]
    return {
        "midpoint": times[-1] - step / 2,
        "rate": (entropy[-2] - entropy[-1]) / step,
        "exact_rate": (exact_entropy(a, times[-2]) - exact_entropy(a, times[-1])) / step,
        "l1_error": result.final.relative_l1_error(exact),
    }


def main() -> None:
    args = parse_args(__doc__)
    directory = args.out / "entropy-rates-sweep"
    if args.quick:  # coarse: 3 x 3 runs on a Dask cluster of one thread in this process
        exponents, levels, n, dt = [1.0, 2.0, 3.0], [0.005, 0.015, 0.025], 256, 2.5e-3
    else:
        exponents, levels, n, dt = [1.0, 1.5, 2.0, 3.0], [0.005, 0.01, 0.015, 0.02, 0.025], \
            1024, 1e-3
    params = sweep_product(a=exponents, t=levels, n=[n], dt=[dt])
    if args.quick:
        with Client(processes=False, n_workers=1, threads_per_worker=1,
                    dashboard_address=":0") as client:
            table = sweep(entropy_rate, params, client=client, directory=directory)
    else:  # the embedded cluster: two worker processes
        table = sweep(entropy_rate, params, n_workers=2, directory=directory)
    table["rate_error"] = (table["rate"] / table["exact_rate"] - 1).abs()
    print(table[["a", "t", "success", "rate", "exact_rate", "rate_error", "l1_error",
                 "seconds", "resumed"]].to_string(float_format=lambda v: f"{v:.4g}"))
    if not table["success"].all():
        raise RuntimeError(f"some runs failed:\n{table[~table['success']]}")

    fig = new_figure((12.0, 4.4))
    ax_rate, ax_error = fig.subplots(1, 2)
    fine = np.linspace(0.0, 0.026, 105)
    colours = {1.0: "k", 1.5: "tab:blue", 2.0: "tab:orange", 3.0: "tab:red"}
    for a in exponents:
        colour = colours[a]
        rows = table[table["a"] == a]
        label = "Shannon H (backward heat)" if a == 1 else f"Tsallis S_{a:g} (backward PME)"
        exact = [(exact_entropy(a, s - 1e-6) - exact_entropy(a, s + 1e-6)) / 2e-6
                 for s in fine]
        ax_rate.semilogy(fine, exact, color=colour, lw=2.5, alpha=0.35)
        ax_rate.semilogy(rows["midpoint"], rows["rate"], "o", color=colour, ms=5, label=label)
        ax_error.semilogy(rows["t"], rows["rate_error"], "o-", color=colour, ms=4,
                          label=f"rate, a = {a:g}")
        ax_error.semilogy(rows["t"], rows["l1_error"], "s--", color=colour, ms=3, lw=0.8,
                          label=f"density (L1), a = {a:g}")
    ax_rate.set(xlabel="noise level t (backward time)", ylabel="-dS/dt",
                title="entropy-decrease rate: runs (dots), exact (lines)")
    ax_error.set(xlabel="noise level t", ylabel="relative error",
                 title="error of the rate and of the density")
    for ax in (ax_rate, ax_error):
        ax.grid(alpha=0.3, which="both")
    ax_rate.set_ylim(1e-2, 1e3)  # room for the legend above the curves
    ax_rate.legend(fontsize="small", frameon=False, loc="upper left", ncol=2)
    ax_error.legend(fontsize="x-small", frameon=False, ncol=2)
    fig.suptitle(f"{len(table)} runs swept on Dask ({n} cells, dt = {dt:g}): the backward "
                 "flows decrease their entropies faster as the noise level grows")
    finish(fig, args, "sweep_entropy_rates")


if __name__ == "__main__":
    main()
