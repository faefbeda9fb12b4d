"""wgflow: Wasserstein gradient flows on grids and the transport analysis of DAEs.

Quick start::

    import wgflow as wg
    grid = wg.Grid(bounds=[(-1, 1), (-1, 1)], shape=(128, 128))
    rho0 = wg.exact.heat_gaussian(grid, mean=[0, 0], cov=[[0.02, 0.01], [0.01, 0.03]], t=0)
    res = wg.solve(wg.flows.Heat(), rho0, t_end=0.05, dt=1e-3, track=["shannon", "w2"],
                   checkpoint="heat.npz")      # wg.resume("heat.npz") continues a run
"""

from . import dae, exact, flows, functionals, gaussian, solvers, trackers
from ._version import __version__
from .density import Density
from .errors import ConvergenceWarning, GridMismatchError, WgflowError
from .grid import Grid
from .result import SolveResult
from .solve import resume, solve
from .sweeps import sweep, sweep_product

__all__ = [
    "__version__",
    "Grid",
    "Density",
    "solve",
    "resume",
    "sweep",
    "sweep_product",
    "SolveResult",
    "flows",
    "dae",
    "functionals",
    "exact",
    "gaussian",
    "trackers",
    "solvers",
    "WgflowError",
    "GridMismatchError",
    "ConvergenceWarning",
]
