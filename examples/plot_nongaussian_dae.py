"""
A DAE with Laplace noise: its transport map and the entropy it decreases
========================================================================

For non-Gaussian noise the DAE of eq. (4), Phi_t(x) = x - E_t[eps | x], is no longer
x + t grad log(W_t * mu0); ``wg.dae`` computes it from two convolutions with the noise law.
Panels: the maps Phi_t of Laplace and Gaussian noise (same variance t) for a bimodal mixture
in 1-D; the pushforwards after a composition of such DAEs (``wg.dae.compose``); the Shannon
entropy along the compositions (tracked, it decreases); the displacement Phi_t(x) - x of the
Laplace DAE of a 2-D mixture (``wgflow.plotting.plot_displacement``).

Run: ``python examples/plot_nongaussian_dae.py [--quick] [--out DIR]``.
"""

import numpy as np

import wgflow as wg
from wgflow.plotting import plot_displacement

from _gallery import finish, new_figure, parse_args

args = parse_args(__doc__)
grid = wg.Grid([(-5.0, 5.0)], 256 if args.quick else 1024)
x = grid.axes[0]
rho0 = wg.exact.heat_gaussian_mixture(grid, [0.5, 0.5], [-1.2, 1.0], [0.4, 0.6], 0.0)
t, tau, layers = 0.3, 0.01, 8 if args.quick else 12

fig = new_figure((13.0, 7.4))
(ax_map, ax_rho), (ax_h, ax_q) = fig.subplots(2, 2)
ax_map.plot(x, np.zeros_like(x), color="0.6", lw=0.8)
ax_rho.plot(x, rho0.values, color="k", lw=1.5, label="μ0")
colours = {"laplace": "tab:red", "gaussian": "tab:blue"}
for noise, colour in colours.items():
    phi = wg.dae.dae_map(rho0, t, noise=noise)
    ax_map.plot(x, phi[0] - x, color=colour, label=f"{noise} noise, t = {t}")
    traj = wg.dae.compose(rho0, [tau] * layers, noise=noise, track=["shannon"])
    entropy = traj.tracked["shannon"]
    if not np.all(np.diff(entropy) < 0):
        raise RuntimeError(f"the Shannon entropy did not decrease along the {noise} DAEs")
    print(f"{noise:8s}: Shannon entropy {entropy[0]:.4f} -> {entropy[-1]:.4f} after {layers} "
          f"layers of tau = {tau} (largest step change {np.max(np.diff(entropy)):.2e})")
    ax_rho.plot(x, traj.final.values, color=colour, label=f"{noise}: {layers} layers, τ = {tau}")
    ax_h.plot(traj.times, entropy, "o-", color=colour, ms=3, label=noise)
ax_map.set(xlim=(-3, 3), ylim=(-1, 1), xlabel="x", ylabel="Φ_t(x) - x", title="DAE displacement (1-D mixture)")
ax_rho.set(xlim=(-4, 4), ylim=(0, None), xlabel="x", ylabel="density",
           title="pushforward by compositions of DAEs")
ax_h.set(xlabel="total time t", ylabel="H", title="Shannon entropy along the compositions")
for ax in (ax_map, ax_rho, ax_h):
    ax.grid(alpha=0.3)
    ax.legend(fontsize="small", frameon=False)

# 2-D: displacement field of the Laplace DAE of a two-bump mixture
grid2 = wg.Grid([(-3.0, 3.0), (-3.0, 3.0)], 32 if args.quick else 64)
rho2 = wg.exact.heat_gaussian_mixture(grid2, [0.5, 0.5], [[-1.0, -0.5], [1.0, 0.6]],
                                      [0.3, 0.4], 0.0)
t2 = 0.1                                   # arrows drawn at their true length
phi2 = wg.dae.dae_map(rho2, t2, noise="laplace")
plot_displacement(grid2, phi2, step=2 if args.quick else 4, ax=ax_q, density=rho2,
                  title=f"Laplace DAE Φ_t(x) - x in 2-D, t = {t2}")
fig.suptitle("Non-Gaussian (Laplace) DAE: transport towards the modes, entropy down")
finish(fig, args, "nongaussian_dae")
