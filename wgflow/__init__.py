"""wgflow: Wasserstein gradient flows on grids and the transport analysis of DAEs."""

from .density import Density
from .errors import ConvergenceWarning, GridMismatchError, WgflowError
from .grid import Grid

__version__ = "0.1.0"

__all__ = ["Grid", "Density", "WgflowError", "GridMismatchError", "ConvergenceWarning"]
