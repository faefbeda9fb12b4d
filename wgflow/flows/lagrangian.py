"""What the Lagrangian solver asks of a flow: the velocity's dependence on the density.

The Lagrangian solver (``method="lagrangian"``, :class:`wgflow.solvers.LagrangianSolver`)
moves particles with the flow map ``phi_t`` of the continuity equation
``d_t rho + div(rho v) = 0``, ``rho_t = phi_t # rho_0``.  It serves the flows whose velocity
is a multiple of the score,

    v = c(rho) grad log rho,

which the solver evaluates at the particles from the initial density alone, through the
change of variables of the paper's Appendix B,
``log rho_t(phi_t(x)) = log rho_0(x) - log det grad phi_t(x)``.  The flow supplies ``c``:
``+1`` for the backward heat flow (eq. (11); the continuous DAE of eq. (10), Theorem 3.1),
``-1`` for the heat flow, ``P'(rho)`` for ``d_t rho = -Lap P(rho)`` and ``-P'(rho)`` for
``d_t rho = Lap P(rho)`` (``-Lap P(rho) = -div(rho P'(rho) grad log rho)``).
"""

from __future__ import annotations

from abc import abstractmethod

import numpy as np

from .base import Flow


class LagrangianFlow(Flow):
    """A flow the Lagrangian solver integrates (``method="lagrangian"``): a continuity
    equation whose velocity is ``v = c(rho) grad log rho`` (module docstring)."""

    @abstractmethod
    def score_coefficient(self, values: np.ndarray) -> np.ndarray:
        """``c(rho)`` of the velocity ``v = c(rho) grad log rho``, at the density values
        ``values`` (same shape)."""
