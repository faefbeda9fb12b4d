"""
Figure 3: the maps of Figure 2 in the (sigma_1, sigma_2) plane, over entropy level sets
=======================================================================================

Every map of Figure 2 keeps N(0, diag[sigma_1^2, sigma_2^2]) Gaussian and diagonal, so a
trajectory of pushforwards is a curve in the plane of standard deviations
(``wgflow.gaussian.sigma_trajectory``); the Shannon entropy is
log sigma_1 + log sigma_2 + log(2 pi e) (``wgflow.gaussian.entropy_of_sigmas``), drawn as level
sets.  All four curves start at (sqrt 2, 1) and go down the entropy.

Markers are the standard deviations of pushforwards computed on a 2-D grid with ``wg.dae``
(``continuous``, ``single`` and ``compose``); the largest gap to the curves is printed.

Run: ``python examples/plot_figure3_sigma_plane.py [--quick] [--out DIR]``.
"""

import numpy as np

import wgflow as wg
from wgflow.gaussian import entropy_of_sigmas, sigma_trajectory

from _gallery import finish, new_figure, parse_args

args = parse_args(__doc__)
sigma0 = np.array([np.sqrt(2.0), 1.0])                      # N(0, diag[2, 1])
t_end = 1.0

fig = new_figure((6.6, 5.4))
ax = fig.add_subplot()

# entropy level sets
s1, s2 = np.meshgrid(np.linspace(0.02, 1.6, 300), np.linspace(0.02, 1.15, 300), indexing="ij")
entropy = entropy_of_sigmas(np.stack([s1, s2], axis=-1))
levels = np.arange(0.5, 3.01, 0.25)
contours = ax.contour(s1, s2, entropy, levels=levels, colors="0.75", linewidths=0.7)
ax.clabel(contours, levels[::2], fontsize="x-small", fmt="H=%.1f")

# closed-form curves, dots every 0.2 of transport time
curves = {
    "continuous DAE": ("continuous", None, 0.5, "k"),
    "DAE Φ_t": ("dae", None, t_end, "tab:blue"),
    "composition τ = 0.05": ("composition", 0.05, t_end, "tab:orange"),
    "composition τ = 0.5": ("composition", 0.5, t_end, "tab:green"),
}
for label, (kind, tau, t_max, colour) in curves.items():
    t_grid = np.linspace(0.0, t_max, 401)
    sig = sigma_trajectory(sigma0, t_grid, kind=kind, tau=tau)
    ax.plot(sig[:, 0], sig[:, 1], color=colour, lw=1.6, label=label)
    dots = sigma_trajectory(sigma0, np.arange(0.0, t_max + 1e-9, 0.2), kind=kind, tau=tau)
    ax.plot(dots[:, 0], dots[:, 1], "o", color=colour, ms=3)

# the same from the grid (wg.dae), drawn as open markers on top of the curves
n = 64 if args.quick else 128
grid = wg.Grid([(-8.0, 8.0), (-8.0, 8.0)], n)
rho0 = wg.exact.heat_gaussian(grid, [0.0, 0.0], [[2.0, 0.0], [0.0, 1.0]], 0.0)
X, Y = grid.coordinates


def stds(rho: wg.Density) -> np.ndarray:
    """Standard deviations along x and y of a centred 2-D density."""
    w = rho.masses / rho.mass
    mx, my = np.sum(w * X), np.sum(w * Y)
    return np.sqrt([np.sum(w * (X - mx) ** 2), np.sum(w * (Y - my) ** 2)])


runs = [  # (label, trajectory, kind, tau, colour)
    ("continuous DAE", wg.dae.continuous(rho0, 0.4, 0.05, t_eval=[0.1, 0.2, 0.3, 0.4]),
     "continuous", None, "k"),
    ("DAE Φ_t", wg.dae.single(rho0, [0.25, 0.5, 0.75, 1.0]), "dae", None, "tab:blue"),
    ("composition τ = 0.05", wg.dae.compose(rho0, [0.05] * (8 if args.quick else 10)),
     "composition", 0.05, "tab:orange"),
    ("composition τ = 0.5", wg.dae.compose(rho0, [0.5, 0.5]), "composition", 0.5, "tab:green"),
]
gap = 0.0
for label, traj, kind, tau, colour in runs:
    numeric = np.array([stds(rho) for rho in traj.densities])
    exact = sigma_trajectory(sigma0, traj.times, kind=kind, tau=tau)
    this = float(np.max(np.abs(numeric - exact)))
    gap = max(gap, this)
    print(f"{label:22s} grid vs closed form: largest sigma gap {this:.2e} "
          f"({len(traj.times)} pushforwards, t up to {traj.times[-1]:.3g})")
    ax.plot(numeric[:, 0], numeric[:, 1], "s", mfc="none", mec=colour, ms=8, mew=1.2)
ax.plot([], [], "s", mfc="none", mec="0.3", ms=8, label=f"grid (wg.dae, {n}²)")
ax.plot(*sigma0, "*", color="crimson", ms=12, label="μ0 = N(0, diag[2, 1])")

print(f"largest gap between grid and closed-form standard deviations: {gap:.2e}")
ax.set(xlim=(0.0, 1.6), ylim=(0.0, 1.15), xlabel="σ1", ylabel="σ2", aspect="equal")
ax.set_title(f"Figure 3: pushforwards in the (σ1, σ2) plane\n"
             f"gray: Shannon entropy level sets; grid gap {gap:.1e}", fontsize="medium")
ax.legend(fontsize="small", loc="upper left")
assert gap < 1e-3, f"grid standard deviations off the closed form by {gap:.2e}"
finish(fig, args, "figure3_sigma_plane")
