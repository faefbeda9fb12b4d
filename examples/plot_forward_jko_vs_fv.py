"""
Forward flows, two methods: the entropic JKO scheme against finite volumes
==========================================================================

The heat equation from a Gaussian and the porous-medium equation (m = 2) from a Barenblatt
profile are solved with ``method="jko"`` and ``method="finite-volume"`` on the same 1-D grid and
compared with the exact solutions (``wgflow.exact.heat_gaussian``, ``wgflow.exact.barenblatt``):
final profiles, relative L1 errors against time and the Shannon entropy.

Run: ``python examples/plot_forward_jko_vs_fv.py [--quick] [--out DIR]``.
"""

import numpy as np

import wgflow as wg

from _gallery import finish, new_figure, parse_args

args = parse_args(__doc__)
n = 128 if args.quick else 512
dt = 1e-3 if args.quick else 2.5e-4
grid = wg.Grid([(-1.0, 1.0)], n)
x = grid.axes[0]
m, C, t0 = 2.0, 0.1, 0.01                        # Barenblatt exponent, constant, start time
t_run = 0.02

cases = [
    ("heat  d_t ρ = Δρ", wg.flows.Heat(),
     lambda t: wg.exact.heat_gaussian(grid, 0.0, 0.02, t),
     lambda t: wg.exact.gaussian_shannon_entropy(0.02 + 2 * t, d=1)),
    ("porous medium  d_t ρ = Δρ², Barenblatt", wg.flows.PorousMedium(m),
     lambda t: wg.exact.barenblatt(grid, m, t0 + t, C),
     lambda t: wg.exact.barenblatt_shannon_entropy(1, m, t0 + t, C)),
]
styles = {"jko": ("tab:blue", "-"), "finite-volume": ("tab:orange", "--")}

fig = new_figure((13.0, 7.0))
axes = fig.subplots(2, 3)
for row, (title, flow, exact, exact_entropy) in zip(axes, cases):
    rho0 = exact(0.0)
    row[0].plot(x, rho0.values, color="0.6", lw=1.0, label="initial")
    row[0].plot(x, exact(t_run).values, color="k", lw=2.5, alpha=0.4, label="exact")
    t_fine = np.linspace(0.0, t_run, 50)
    row[2].plot(t_fine, [exact_entropy(t) for t in t_fine], color="k", lw=2.5, alpha=0.4,
                label="exact")
    for method, (colour, ls) in styles.items():
        res = wg.solve(flow, rho0, t_end=t_run, dt=dt, method=method, track=["shannon"])
        if not res.success:
            raise RuntimeError(f"{title}, {method}: {res.message}")
        errors = [rho.relative_l1_error(exact(float(t))) for t, rho in zip(res.times, res.densities)]
        print(f"{title.split()[0]:6s} {method:13s}: relative L1 error at t = {t_run}: "
              f"{errors[-1]:.2e}")
        row[0].plot(x, res.final.values, color=colour, ls=ls, lw=1.4, label=method)
        row[1].semilogy(res.times[1:], errors[1:], "o-", color=colour, ms=3, label=method)
        times = res.tracked_times.get("shannon", res.times) if res.tracked_times else res.times
        row[2].plot(np.asarray(times)[: len(res.tracked["shannon"])], res.tracked["shannon"],
                    color=colour, ls=ls, label=method)
    row[0].set(xlabel="x", ylabel="density", title=f"{title}: t = {t_run}", xlim=(-0.8, 0.8))
    row[1].set(xlabel="t", ylabel="relative L1 error", title="error against the exact solution")
    row[2].set(xlabel="t", ylabel="H", title="Shannon entropy (increases)")
    for ax in row:
        ax.grid(alpha=0.3)
        ax.legend(fontsize="small", frameon=False)
fig.suptitle(f"Forward flows: JKO vs finite volumes ({n} cells, dt = {dt:g})")
finish(fig, args, "forward_jko_vs_fv")
