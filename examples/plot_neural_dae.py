"""
A neural DAE on real data against the exact DAE of the data
===========================================================

The data are two standardised features of scikit-learn's wine data (flavanoids and colour
intensity, 178 wines of three cultivars; no download): a bent point cloud with three arms.  A
perceptron is trained to denoise them (``wg.dae.fit_dae(..., model="mlp")``, Gaussian noise of
variance tau = 0.1, section 2.1), and a deep DAE stacks such networks, each trained on the
samples pushed by the layers before it (``fit_deep_dae``, section 3.1).  The reference is
exact: for an empirical measure the optimum of Theorem 2.1 is the posterior mean
``x + tau grad log KDE(x)`` (eq. 7, ``wg.dae.empirical``), and the exact deep DAE is blurring
mean shift.

Top left: the displacement of the first trained layer (black) and of the exact DAE (red)
on a lattice of points.  Top right: the Shannon entropy of the pushed samples' kernel density
estimate (bandwidth sqrt(tau)) along the layers; the deep DAE lowers it (section 4.1).  Bottom:
trajectories through the layers as in the paper's Figure 2 (gray: from a lattice; coloured:
the wines, by cultivar; dots: layer outputs), trained and exact.

Run: ``python examples/plot_neural_dae.py [--quick] [--out DIR]``.
"""

import numpy as np
from _gallery import finish, new_figure, parse_args
from matplotlib import colormaps
from sklearn.datasets import load_wine

import wgflow as wg
from wgflow.dae.empirical import EmpiricalDAE, empirical_compose, relative_map_error
from wgflow.dae.trained import fit_deep_dae
from wgflow.plotting import plot_trajectories

args = parse_args(__doc__)
data = load_wine()
names = list(data.feature_names)
x = data.data[:, [names.index("flavanoids"), names.index("color_intensity")]]
x = (x - x.mean(axis=0)) / x.std(axis=0)
cultivar = data.target
tau = 0.1
layers = 2 if args.quick else 4
# quick: a small network on 30 copies per wine; full: the default settings (about 10^5 pairs)
options = dict(hidden_layer_sizes=(16, 16), n_noise=30) if args.quick else {}

deep = fit_deep_dae(x, [tau] * layers, model="mlp", rng=0, **options)
exact = empirical_compose(x, [tau] * layers)
first = deep.layers[0]
error = relative_map_error(first, x, tau, rng=1, reference=exact.layers[0])
print(f"first layer: relative map error {error.relative:.3f} +- {error.standard_error:.3f} "
      f"(trained on {first.n_train} pairs, {first.network.n_epochs} epochs)")

fig = new_figure((11.0, 9.4))
(ax_map, ax_h), (ax_tr, ax_ex) = fig.subplots(2, 2)
bounds = [(-3.0, 4.5), (-3.0, 4.5)]
colours = colormaps["viridis"](np.array([0.1, 0.5, 0.85]))[cultivar]

# -- the map: trained against exact displacement ------------------------------------------
ticks = [np.linspace(lo + 0.5, hi - 0.5, 11 if args.quick else 15) for lo, hi in bounds]
lattice = np.stack(np.meshgrid(*ticks, indexing="ij"), axis=-1).reshape(-1, 2)
kde = EmpiricalDAE(x, tau)
near = kde.log_density(lattice) > np.log(1e-2) + kde.log_density(x).max()  # where the data are
for model, colour, label in [(kde, "tab:red", "exact Φ* = x + τ ∇log KDE"),
                             (first, "k", "trained perceptron")]:
    shift = model(lattice[near]) - lattice[near]
    ax_map.quiver(*lattice[near].T, *shift.T, color=colour, angles="xy", scale_units="xy",
                  scale=1.0, width=0.004, alpha=0.8, label=label)
ax_map.scatter(*x.T, c=colours, s=8, zorder=3)
ax_map.set_title(f"displacement, τ = {tau}: relative error {error.relative:.2f}",
                 fontsize="medium")
ax_map.legend(fontsize="small", loc="upper right", frameon=False)

# -- entropy of the pushed samples' kernel density estimate along the layers --------------
grid = wg.Grid([(-3.5, 5.0), (-3.5, 5.0)], 64 if args.quick else 128)
entropy = {}
for name, composition in [("trained", deep), ("exact", exact)]:
    densities = [wg.Density.from_samples(grid, s, bandwidth=np.sqrt(tau))
                 for s in composition.samples]
    entropy[name] = wg.dae.track(densities, "shannon", composition.times)["shannon"]
ax_h.plot(exact.times, entropy["exact"], "o-", color="tab:red", label="exact deep DAE")
ax_h.plot(deep.times, entropy["trained"], "s--", color="k", label="trained deep DAE")
ax_h.set(xlabel="t = τ × layers", ylabel="Shannon entropy of the KDE",
         title="entropy of the pushed samples")
ax_h.legend(fontsize="small", frameon=False)
print("entropy along the layers: exact " + ", ".join(f"{h:.4f}" for h in entropy["exact"])
      + "; trained " + ", ".join(f"{h:.4f}" for h in entropy["trained"]))
if not np.all(np.diff(entropy["exact"]) < 0):
    raise RuntimeError("the exact deep DAE did not lower the entropy at every layer")

# -- trajectories (Figure 2 of the paper) ---------------------------------------------------
ticks = [np.linspace(lo + 0.5, hi - 0.5, 7 if args.quick else 10) for lo, hi in bounds]
gray = np.stack(np.meshgrid(*ticks, indexing="ij"), axis=-1).reshape(-1, 2)
gap = np.sqrt(np.mean(np.sum((deep.samples[-1] - exact.samples[-1]) ** 2, axis=1)))
moved = np.sqrt(np.mean(np.sum((exact.samples[-1] - x) ** 2, axis=1)))
for ax, composition, title in [(ax_tr, deep, "trained deep DAE"),
                               (ax_ex, exact, "exact deep DAE (blurring mean shift)")]:
    plot_trajectories(composition.trajectories(gray), composition.times, midpoint_every=tau,
                      ax=ax, color="0.65", linewidth=0.7)
    plot_trajectories(composition.samples, composition.times, midpoint_every=tau, ax=ax,
                      color=list(colours), linewidth=1.0)
    ax.set_title(f"{title}, {layers} layers of τ = {tau}", fontsize="medium")
for ax in (ax_map, ax_tr, ax_ex):
    ax.set(xlim=bounds[0], ylim=bounds[1], xlabel="flavanoids (standardised)",
           ylabel="colour intensity (standardised)")
    ax.set_aspect("equal")
for ax in (ax_map, ax_h, ax_tr, ax_ex):
    ax.grid(alpha=0.3)
print(f"after {layers} layers the trained trajectories of the wines are {gap:.3f} from the "
      f"exact ones (RMS), {gap / moved:.2f} of the exact displacement {moved:.3f}")
fig.suptitle("Neural DAE on the wine data (flavanoids, colour intensity) against the exact "
             "DAE of the data")
finish(fig, args, "neural_dae")
