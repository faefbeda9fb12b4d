"""
Figure 1: N(0, 1) in 1-D pushed forward by Gaussian DAEs with t = 0.5 and t = 1.0
=================================================================================

The DAE of eq. (7) is computed on a grid from two convolutions (``wg.dae.dae_map``) and the
density is pushed through it (``wg.dae.pushforward``).  The result is compared with the closed
form of eq. (13): the DAE of N(0, 1) is x -> x / (1 + t), so the pushforward is
N(0, (1 / (1 + t))^2) (``wgflow.gaussian.dae_pushforward``).

Run: ``python examples/plot_figure1_gaussian_dae.py [--quick] [--out DIR]``.
"""

import numpy as np

import wgflow as wg
from wgflow.gaussian import Gaussian, dae_pushforward
from _gallery import finish, new_figure, parse_args

args = parse_args(__doc__)
n = 256 if args.quick else 1024
grid = wg.Grid([(-6.0, 6.0)], n)
x = grid.axes[0]
mu0 = Gaussian(0.0, 1.0)
rho0 = wg.Density(grid, mu0.pdf(x[:, None]))

fig = new_figure((9.0, 3.8))
ax_rho, ax_map = fig.subplots(1, 2)
ax_rho.plot(x, rho0.values, color="k", lw=1.5, label="μ0 = N(0, 1)")
ax_map.plot(x, x, color="k", lw=1.0, ls=":", label="identity")

worst = 0.0
for t, colour in [(0.5, "tab:blue"), (1.0, "tab:red")]:
    phi = wg.dae.dae_map(rho0, t)                       # Phi_t at the cell centres, (1, n)
    pushed = wg.dae.pushforward(rho0, phi)              # Phi_t # mu0 on the grid
    exact = dae_pushforward(mu0, t)                     # N(0, (1 / (1 + t))^2)
    exact_values = exact.pdf(x[:, None])
    gap = float(np.max(np.abs(pushed.values - exact_values)))
    map_gap = float(np.max(np.abs(phi[0] - x / (1.0 + t))[np.abs(x) < 4]))
    worst = max(worst, gap)
    print(f"t = {t}: max |numerical - closed-form density| = {gap:.2e} "
          f"(map gap on |x| < 4: {map_gap:.2e})")
    sd = float(np.sqrt(exact.cov[0, 0]))
    ax_rho.plot(x, pushed.values, color=colour, lw=2.0, alpha=0.6,
                label=f"grid DAE, t = {t}")
    ax_rho.plot(x, exact_values, color=colour, lw=1.0, ls="--",
                label=f"N(0, {sd:.3g}²) (eq. 13)")
    ax_map.plot(x, phi[0], color=colour, lw=2.0, alpha=0.6, label=f"Φ_t, t = {t}")
    ax_map.plot(x, x / (1.0 + t), color=colour, lw=1.0, ls="--")

ax_rho.set(xlim=(-4, 4), ylim=(0, None), xlabel="x", ylabel="density",
           title="pushforwards Φ_t # N(0, 1)")
ax_rho.legend(fontsize="small", frameon=False)
ax_map.set(xlim=(-4, 4), ylim=(-4, 4), xlabel="x", ylabel="Φ_t(x)",
           title="DAE maps (dashed: x / (1 + t))")
ax_map.legend(fontsize="small", frameon=False)
for ax in (ax_rho, ax_map):
    ax.grid(alpha=0.3)
fig.suptitle(f"Figure 1: Gaussian DAEs of N(0, 1); largest density gap {worst:.1e}")

print(f"largest gap between numerical and closed-form densities: {worst:.2e}")
assert worst < 1e-3, f"the grid DAE is off the closed form by {worst:.2e}"
finish(fig, args, "figure1_gaussian_dae")
