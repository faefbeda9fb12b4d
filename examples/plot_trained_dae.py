"""
A trained DAE approaches the exact DAE as the sample size grows (Theorem 2.1)
=============================================================================

A DAE is fitted by kernel ridge regression to noisy copies of k samples of a bimodal mixture
(``wg.dae.fit_dae``, Gaussian noise of variance t) and compared with the exact DAE of eq. (7)
computed on the grid (``wg.dae.dae_map``).  Left: the maps for growing k; right: the
L2(mu0) distance ||g - Phi_t|| against k (several random draws per size).

Run: ``python examples/plot_trained_dae.py [--quick] [--out DIR]``.
"""

import numpy as np
from matplotlib import colormaps

import wgflow as wg

from _gallery import finish, new_figure, parse_args

args = parse_args(__doc__)
grid = wg.Grid([(-5.0, 5.0)], 256 if args.quick else 512)
x = grid.axes[0]
rho0 = wg.exact.heat_gaussian_mixture(grid, [0.5, 0.5], [-1.2, 1.0], [0.4, 0.6], 0.0)
t = 0.3
exact = wg.dae.dae_map(rho0, t)                      # the exact DAE on the grid, (1, n)
sizes = [50, 200, 800] if args.quick else [50, 100, 200, 400, 800, 1600, 3200]
draws = 2 if args.quick else 4

fig = new_figure((12.0, 4.4))
ax_map, ax_err = fig.subplots(1, 2)
ax_map.fill_between(x, -0.9, rho0.values / rho0.values.max() * 0.6 - 0.9, color="0.9",
                    label="μ0 (rescaled)")
ax_map.plot(x, exact[0] - x, color="k", lw=2.5, alpha=0.5, label="exact Φ_t")
colours = colormaps["viridis"](np.linspace(0.0, 0.9, len(sizes)))
means = []
for k, colour in zip(sizes, colours):
    errors = []
    for draw in range(draws):
        samples = wg.dae.sample_density(rho0, k, rng=1000 * k + draw)
        model = wg.dae.fit_dae(samples, t, rng=draw)
        trained = model.on_grid(grid)
        errors.append(wg.dae.map_l2_distance(rho0, trained, exact))
        if draw == 0:
            ax_map.plot(x, trained[0] - x, color=colour, lw=1.0, label=f"trained, k = {k}")
    means.append(np.mean(errors))
    ax_err.plot([k] * draws, errors, "o", color=colour, ms=4, alpha=0.7)
    print(f"k = {k:5d}: L2(mu0) distance to the exact DAE {np.mean(errors):.3e} "
          f"(min {np.min(errors):.2e}, max {np.max(errors):.2e}, {draws} draws)")
ax_err.loglog(sizes, means, "k-", lw=1.0, label="mean over draws")
ax_err.loglog(sizes, means[0] * (np.array(sizes) / sizes[0]) ** -0.5, "k:", lw=1.0,
              label="slope -1/2")
if not means[-1] < means[0]:
    raise RuntimeError("the trained DAE did not improve with more samples")
ax_map.set(xlim=(-3.5, 3.5), ylim=(-0.9, 0.9), xlabel="x", ylabel="g(x) - x",
           title=f"trained vs exact DAE displacement, t = {t}")
ax_err.set(xlabel="number of samples k", ylabel="||g - Φ_t|| in L2(μ0)",
           title="convergence with the sample size")
for ax in (ax_map, ax_err):
    ax.grid(alpha=0.3, which="both")
    ax.legend(fontsize="small", frameon=False)
fig.suptitle("Trained DAE (kernel ridge regression) against the exact DAE of a bimodal mixture")
finish(fig, args, "trained_dae")
