"""Pictures of trajectories, densities and transport maps.

One convention for axes and figures holds for every function:

* a function that draws a single panel (:func:`plot_trajectories`,
  :func:`plot_displacement`) takes a keyword ``ax=``: it draws into that matplotlib ``Axes``,
  or into the one axes of a new figure when ``ax`` is None;
* a function that lays out panels itself (:func:`plot_snapshots`, :func:`plot_tracked`,
  :func:`plot_result`) takes a keyword ``fig=``: it fills that empty ``Figure`` or
  ``SubFigure``, or a new figure when ``fig`` is None;
* every drawing function returns the top-level :class:`matplotlib.figure.Figure` it drew on,
  so that the caller can restyle it (``fig.axes``, ``fig.suptitle``, ...) and write it with
  :func:`save_figure`; the functions that write a file (:func:`save_figure`,
  :func:`animate_densities`) return its path.

New figures are *not* registered with :mod:`matplotlib.pyplot`: they work with any backend
(Agg included, no display needed), do not accumulate in pyplot's figure list, and show in
Jupyter when returned from a cell.  To draw into a pyplot window instead, pass
``fig=plt.figure()`` (or ``ax=plt.gca()``) and call ``plt.show()``.

What is drawn: values are densities per unit volume (the mass is the sum of the values times
the cell volume); 2-D densities are drawn with the first grid axis horizontal (``x``) and the
second vertical (``y``); 3-D densities are shown by their middle slice along the last axis.

Modules: :mod:`~wgflow.plotting.figures` (this convention, and :func:`save_figure`),
:mod:`~wgflow.plotting.snapshots` (densities), :mod:`~wgflow.plotting.tracked` (functionals
against time), :mod:`~wgflow.plotting.result` (both, for a trajectory) and
:mod:`~wgflow.plotting.maps` (particle paths and displacement fields).

Examples
--------
>>> import wgflow as wg
>>> from wgflow.plotting import plot_result, save_figure
>>> grid = wg.Grid([(-2, 2)], 64)
>>> rho0 = wg.exact.heat_gaussian(grid, 0.0, 0.05, 0.0)
>>> res = wg.solve(wg.flows.Heat(), rho0, t_end=0.01, dt=5e-3, track=["shannon"])
>>> fig = plot_result(res)
>>> path = save_figure(fig, "heat.png")  # doctest: +SKIP
"""

from .figures import save_figure
from .maps import plot_displacement, plot_trajectories
from .result import plot_result
from .snapshots import animate_densities, plot_snapshots
from .tracked import plot_tracked

__all__ = [
    "plot_snapshots",
    "plot_tracked",
    "plot_result",
    "plot_trajectories",
    "plot_displacement",
    "animate_densities",
    "save_figure",
]
