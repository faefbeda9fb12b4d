"""Helpers shared by the test modules (imported as ``from _helpers import ...``)."""

from __future__ import annotations

import numpy as np


def loglog_slope(x, y) -> float:
    """The least-squares slope of ``log y`` against ``log x``: a measured convergence order."""
    return float(np.polyfit(np.log(x), np.log(y), 1)[0])
