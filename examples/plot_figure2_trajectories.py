"""
Figure 2: particle trajectories of four transport maps of N(0, diag[2, 1])
==========================================================================

Panels: the continuous DAE (eq. 12, up to its singular time lambda_min / 2 = 0.5), the single
DAE Phi_t (eq. 13) and compositions of DAEs with layer noise tau = 0.05 and tau = 0.5
(section 3.1), all from the closed forms of ``wgflow.gaussian.trajectories``.  Gray paths start
on a regular grid of points, coloured ones from samples of N(0, diag[2, 1]); dots mark every
0.2 of transport time.

The closed form of the composition is checked against the grid computation: ``wg.dae.compose``
on a 2-D grid, whose pushforward covariances must follow the recursion
S_{l+1} = S_l (I + tau S_l^{-1})^{-2} (``wgflow.gaussian.composition_pushforwards``).

Run: ``python examples/plot_figure2_trajectories.py [--quick] [--out DIR]``.
"""

import numpy as np
from matplotlib import colormaps

import wgflow as wg
from wgflow.gaussian import Gaussian, composition_pushforwards, trajectories
from wgflow.plotting import plot_trajectories

from _gallery import finish, new_figure, parse_args

args = parse_args(__doc__)
mu0 = Gaussian([0.0, 0.0], [2.0, 1.0])                    # N(0, diag[2, 1])
t_end, every = 1.0, 0.2
t_singular = 0.5                                           # lambda_min / 2 for the continuous DAE

# starting points: a regular grid (gray) and samples (coloured)
ticks = np.linspace(-2.5, 2.5, 6 if args.quick else 9)
grid_points = np.stack(np.meshgrid(ticks, ticks, indexing="ij"), axis=-1).reshape(-1, 2)
samples = mu0.sample(25 if args.quick else 60, rng=np.random.default_rng(0))
colours = [colormaps["plasma"](s) for s in np.linspace(0.05, 0.85, len(samples))]

panels = [
    ("continuous DAE (eq. 12)", "continuous", None, t_singular),
    ("DAE Φ_t (eq. 13)", "dae", None, t_end),
    ("composition, τ = 0.05", "composition", 0.05, t_end),
    ("composition, τ = 0.5", "composition", 0.5, t_end),
]
fig = new_figure((13.0, 3.9))
axes = fig.subplots(1, 4, sharex=True, sharey=True)
for ax, (title, kind, tau, t_max) in zip(axes, panels):
    t_grid = np.linspace(0.0, t_max, 201)
    for points, colour, width in [(grid_points, "0.6", 0.7), (samples, colours, 1.0)]:
        paths = trajectories(mu0, t_grid, points, kind=kind, tau=tau)   # (T, n, 2)
        plot_trajectories(paths, t_grid, midpoint_every=every, ax=ax, color=colour,
                          linewidth=width)
    ax.set_title(f"{title}\nt ∈ [0, {t_max:g}]", fontsize="medium")
    ax.set_xlim(-4.5, 4.5)
    ax.set_ylim(-3.2, 3.2)
    ax.grid(alpha=0.3)

# grid check: the composition of DAEs computed on a grid against the closed-form recursion
n = 64 if args.quick else 128
layers = 8 if args.quick else 10                           # tau = 0.05 up to t = 0.4 or 0.5
grid = wg.Grid([(-8.0, 8.0), (-8.0, 8.0)], n)
rho0 = wg.exact.heat_gaussian(grid, [0.0, 0.0], [[2.0, 0.0], [0.0, 1.0]], 0.0)
X, Y = grid.coordinates


def covariance(rho: wg.Density) -> np.ndarray:
    """Covariance matrix of a 2-D density on its grid."""
    w = rho.masses / rho.mass
    dx, dy = X - np.sum(w * X), Y - np.sum(w * Y)
    c = np.sum(w * dx * dy)
    return np.array([[np.sum(w * dx * dx), c], [c, np.sum(w * dy * dy)]])


gap = 0.0
for tau, count in [(0.05, layers), (0.5, 2)]:
    traj = wg.dae.compose(rho0, [tau] * count)
    exact = composition_pushforwards(mu0, [tau] * count)
    for rho, g in zip(traj.densities, exact):
        gap = max(gap, float(np.max(np.abs(covariance(rho) - g.cov))))
print(f"largest gap between grid and closed-form composition covariances: {gap:.2e}")
fig.suptitle(
    "Figure 2: trajectories for N(0, diag[2, 1]) (gray: grid of points, colour: samples; "
    f"dots every {every});  grid composition covariance gap {gap:.1e}"
)
assert gap < 1e-3, f"grid composition covariance off the closed form by {gap:.2e}"
finish(fig, args, "figure2_trajectories")
