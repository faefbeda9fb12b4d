"""
The continuity equation d_t rho + div(rho v) = 0 with a given velocity (eqs. 6 and 14)
======================================================================================

Two velocity fields move a 2-D Gaussian: a rotation v = (-y, x) for a quarter turn (the exact
solution is the rotated Gaussian) and a compression v = -x towards the origin (exact:
N(m e^{-t}, S e^{-2t}), whose Shannon entropy falls as H0 - 2t).  ``wg.flows.Continuity`` is
solved with ``method="finite-volume"`` by the first-order upwind flux and by the second-order
minmod-MUSCL flux (``order=2``); the first-order scheme's numerical diffusion is visible.

Run: ``python examples/plot_continuity.py [--quick] [--out DIR]``.
"""

import numpy as np

import wgflow as wg
from wgflow.plotting import plot_snapshots

from _gallery import finish, new_figure, parse_args

args = parse_args(__doc__)
n = 48 if args.quick else 128
grid = wg.Grid([(-2.5, 2.5), (-2.5, 2.5)], n)

cases = [
    ("rotation v = (-y, x), quarter turn", lambda t, x, y: (-y, x), np.pi / 2, 40,
     wg.exact.heat_gaussian(grid, [0.9, 0.0], 0.12, 0.0),
     wg.exact.heat_gaussian(grid, [0.0, 0.9], 0.12, 0.0), 0.0),
    ("compression v = -x, t = 0.5", lambda t, x, y: (-x, -y), 0.5, 20,
     wg.exact.heat_gaussian(grid, [0.9, 0.0], 0.3, 0.0),
     wg.exact.heat_gaussian(grid, [0.9 * np.exp(-0.5), 0.0], 0.3 * np.exp(-1.0), 0.0), -1.0),
]
fig = new_figure((12.5, 6.6))
rows = fig.subfigures(2, 1)
for row, (title, velocity, t_end, steps, rho0, exact, dH) in zip(rows, cases):
    flow = wg.flows.Continuity(velocity)
    finals, labels = [rho0], ["initial"]
    for order in (1, 2):
        res = wg.solve(flow, rho0, t_end=t_end, dt=t_end / steps, method="finite-volume",
                       order=order, track=["shannon", "mass"])
        if not res.success:
            raise RuntimeError(f"{title}, order {order}: {res.message}")
        error = res.final.relative_l1_error(exact)
        h = res.tracked["shannon"]
        print(f"{title:36s} order {order}: relative L1 error {error:.2e}; Shannon entropy "
              f"change {h[-1] - h[0]:+.4f} (exact {dH:+.4f}); mass drift "
              f"{abs(res.tracked['mass'][-1] - res.tracked['mass'][0]):.1e}")
        finals.append(res.final)
        labels.append(f"order {order}: L1 err {error:.1e}")
    finals.append(exact)
    labels.append("exact")
    plot_snapshots(finals, labels=labels, title=title, fig=row)
fig.suptitle(f"Continuity equation, finite volumes on a {n}² grid")
finish(fig, args, "continuity")
