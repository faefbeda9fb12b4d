"""
Which entropy does a non-Gaussian DAE descend?
==============================================

The paper closes with a conjecture: DAEs with non-Gaussian noise should correspond to other
Lyapunov functionals, such as the Rényi entropy.  ``wg.dae.descent_analysis`` measures the
DAE velocity v_t = (Phi_t(x) - x)/t (eq. 4) against the descent velocities of the Shannon
entropy (the score, a = 1) and of the order-a Tsallis/Rényi entropies (a mu^(a-2) grad mu,
eq. 17), each with its best amplitude.  Panels: the velocities of six noise laws on a
two-bump mixture against the score; their departures from the Gaussian DAE divided by t
against the first-order theory (kappa/6) mu'''/mu; the best order a*(t) on Gaussian data
against 1 - kappa t / 3; the residual of the best order against the score's on four data
sets.  The answer: every law tends to the score as t -> 0; at finite t the best order moves
like 1 - kappa t / 3 (heavy tails below 1, light tails above), exactly so only on Gaussian
data.

Run: ``python examples/plot_dae_lyapunov.py [--quick] [--out DIR]``.
"""

import numpy as np
from _gallery import finish, new_figure, parse_args

import wgflow as wg
from wgflow.dae import (
    dae_velocity,
    descent_analyses,
    first_order_theory,
    resolved_region,
    score,
    standard_density,
)

args = parse_args(__doc__)
n = 256 if args.quick else 512
laws = [wg.dae.resolve_noise(name) for name in
        ("gaussian", "laplace", "box", "student-t", "bimodal")]
colours = dict(zip([law.name for law in laws],
                   ["k", "tab:red", "tab:blue", "tab:purple", "tab:green"]))
grid = wg.Grid([(-6.0, 6.0)], n)
x = grid.axes[0]

fig = new_figure((13.0, 8.0))
(ax_v, ax_w), (ax_a, ax_r) = fig.subplots(2, 2)

# velocities on a two-bump mixture at t = 0.1
mixture = standard_density("mixture", grid)
region = resolved_region(mixture)
t = 0.1
ax_v.plot(x[region], score(mixture)[0][region], "--", color="0.5", lw=2, label="score (a = 1)")
for law in laws:
    ax_v.plot(x[region], dae_velocity(mixture, t, law)[0][region], color=colours[law.name],
              lw=1, label=law.name)
ax_v.set(xlabel="x", ylabel="v_t(x)", title=f"DAE velocities at t = {t} (mixture)")

# departures from the Gaussian DAE over t, against the theory
t_small = 0.01 if args.quick else 0.003
v_gauss = dae_velocity(mixture, t_small, laws[0])[0]
for law in laws[1:]:
    w = first_order_theory(mixture, law).kurtosis_term[0]
    diff = (dae_velocity(mixture, t_small, law)[0] - v_gauss) / t_small
    ax_w.plot(x[region], diff[region], color=colours[law.name], lw=1.5, label=law.name)
    ax_w.plot(x[region], w[region], ":", color="k", lw=1)
ax_w.set(xlabel="x", ylabel="(v_t - v_t^Gauss) / t",
         title=f"departure / t at t = {t_small}; dotted: (kappa/6) mu'''/mu")
ax_w.set_ylim(np.percentile(w[region], 1) * 2.5, np.percentile(w[region], 99) * 2.5)

# the best order against t on Gaussian data
gaussian = standard_density("gaussian", grid)
ts = [0.01, 0.1, 0.3] if args.quick else [0.003, 0.01, 0.03, 0.1, 0.3]
for res in descent_analyses(gaussian, laws, ts):
    colour = colours[res.noise]
    ax_a.errorbar(res.ts, res.order, yerr=np.abs(res.order - res.order_coarse), fmt="o",
                  color=colour, ms=4, label=f"{res.noise} (kurtosis {res.excess_kurtosis:g})")
    fine = np.geomspace(ts[0], 0.05, 30)  # the first-order line, where it applies
    ax_a.plot(fine, 1 - res.excess_kurtosis * fine / 3, "-", color=colour, lw=0.8)
    print(f"{res.noise:9s}: a*(t) = {np.round(res.order, 3)} at t = {ts}; "
          f"theory 1 - kappa t/3 = {np.round(1 - res.excess_kurtosis * np.array(ts) / 3, 3)}")
ax_a.set(xscale="log", xlabel="noise variance t", ylabel="best order a*",
         title="best order on N(0, 1); lines: 1 - kappa t / 3 (first order)")

# the residual of the best order against the score's, on four data sets
names = wg.dae.STANDARD_DENSITIES
width = 0.8 / len(laws)
for j, name in enumerate(names):
    rho = standard_density(name, wg.Grid([(-10.0, 10.0)] if name == "heavy" else [(-6, 6)], n))
    for i, res in enumerate(descent_analyses(rho, laws, [0.05, 0.1])):
        ratio = res.residual[1] / res.candidates["shannon"][1]
        ax_r.bar(j + (i - 2) * width, ratio, width, color=colours[res.noise],
                 label=res.noise if j == 0 else None)
ax_r.axhline(1.0, color="0.6", lw=0.8)
ax_r.set_xticks(range(len(names)), names)
ax_r.set(ylabel="r(a*) / r(1)", ylim=(0, 1.1),
         title="best order's residual / score's residual, t = 0.1 (1 = no better)")

for ax in (ax_v, ax_w, ax_a, ax_r):
    ax.grid(alpha=0.3)
    ax.legend(fontsize="small", frameon=False)
fig.suptitle("The conjecture of section 5: other noises, other entropies? Only at O(t)")
finish(fig, args, "dae_lyapunov")
