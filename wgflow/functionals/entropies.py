"""Shannon, Tsallis and Rényi entropies (paper section 4, eqs. (15)-(17)).

The Wasserstein gradient flow of a functional F is ``d/dt mu = -grad F[mu]`` (eq. (15)),
that is ``d_t mu = div(mu grad dF/dmu)``.  For the Shannon entropy
``H = -∫ mu log mu`` the flow of ``H`` is the backward heat equation (eq. (16), the
paper's eq. (11)), and the heat equation is the flow of ``-H``.

Sign note.  The paper (section 4.2) calls ``H^alpha = ∫ (mu^alpha - mu) / (alpha - 1)``
"the Rényi entropy" and writes ``grad H^alpha = Lap mu^alpha``; with its own convention
``grad H = Lap mu`` for the Shannon entropy (section 4.1) the consistent statement is that
``H^alpha = -S_a`` for ``a = alpha``, where ``S_a = ∫ (mu - mu^a) / (a - 1)`` is the
Tsallis entropy of order ``a`` used here, and that the backward porous-medium equation (17)
``d_t mu = -Lap mu^m`` (exponent ``m``, the paper's alpha) is the Wasserstein gradient flow
that *decreases* the Tsallis entropy of order ``a = m``.  Both ``S_a`` and the Rényi entropy
``R_a = log(∫ mu^a) / (1 - a)`` tend to ``H`` as ``a -> 1``; all three increase along the
heat flow and decrease along the backward heat equation.
"""

from __future__ import annotations

import numpy as np

from ..errors import WgflowError, check_order
from ..grid import Grid
from ._prox import WrightOmegaSolver, entropy_log_prox_ratio, power_log_prox_ratio
from .base import Functional


def _check_order(a: float) -> float:
    a = check_order("entropy order a", a)
    if a == 1.0:
        raise WgflowError(
            "entropy order a = 1 is the Shannon entropy: use ShannonEntropy() "
            "(tracker name 'shannon'); accepted orders are a > 0, a != 1"
        )
    return a


def _xlogx(values: np.ndarray) -> np.ndarray:
    positive = values > 0
    return np.where(positive, values * np.log(np.where(positive, values, 1.0)), 0.0)


class ShannonEntropy(Functional):
    """Shannon (Boltzmann) entropy ``H[rho] = -∫ rho log rho`` (paper section 4.1).

    First variation ``-(log rho + 1)`` (``+inf`` where rho = 0).  The heat flow is the
    Wasserstein gradient flow of ``-H`` and the backward heat equation (11) the flow of
    ``H`` (eq. (16)).  ``weight * H`` has a KL-proximal map for ``weight < 0`` (where it is
    convex): ``log(q/p) = |weight| (log V - 1 - log p) / (1 + |weight|)``, V the cell volume.
    """

    name = "shannon"

    def evaluate(self, values: np.ndarray, grid: Grid) -> float:
        return float(-_xlogx(values).sum() * grid.cell_volume)

    def variation(self, values: np.ndarray, grid: Grid) -> np.ndarray:
        with np.errstate(divide="ignore"):
            return -(np.log(values) + 1.0)

    def log_prox_ratio(self, log_p: np.ndarray, weight: float, grid: Grid) -> np.ndarray:
        if weight >= 0:
            raise WgflowError(
                "the Shannon entropy is concave: a KL-proximal step exists for negative "
                f"weights only (minimising -H), got weight {weight!r}"
            )
        return entropy_log_prox_ratio(log_p, -weight, grid.cell_volume)


class TsallisEntropy(Functional):
    """Tsallis entropy ``S_a[rho] = ∫ (rho - rho^a) / (a - 1)``, ``a > 0``, ``a != 1``.

    First variation ``(1 - a rho^(a-1)) / (a - 1)``.  The backward porous-medium equation
    (17) ``d_t rho = -Lap rho^m`` is the Wasserstein gradient flow (eq. (15)) of the Tsallis
    entropy of order ``a = m`` (see the module's sign note).  ``weight * S_a`` has a
    KL-proximal map for ``weight < 0`` and ``a > 1``: it is ``|weight| ∫ rho^a / (a - 1)``
    plus a linear term.

    Parameters
    ----------
    a : float
        The order, a finite number ``> 0`` other than 1 (``a = 1`` is
        :class:`ShannonEntropy`).
    """

    def __init__(self, a: float):
        self.a = _check_order(a)
        self._omega = WrightOmegaSolver()

    @property
    def name(self) -> str:
        return f"tsallis:{self.a:g}"

    def evaluate(self, values: np.ndarray, grid: Grid) -> float:
        a = self.a
        return float(((values - values**a).sum() * grid.cell_volume) / (a - 1.0))

    def variation(self, values: np.ndarray, grid: Grid) -> np.ndarray:
        a = self.a
        with np.errstate(divide="ignore"):
            return (1.0 - a * values ** (a - 1.0)) / (a - 1.0)

    def log_prox_ratio(self, log_p: np.ndarray, weight: float, grid: Grid) -> np.ndarray:
        if weight >= 0 or self.a < 1:
            raise WgflowError(
                "a KL-proximal step of weight * S_a exists for weight < 0 and a > 1, got "
                f"weight {weight!r}, a = {self.a!r}"
            )
        strength = -weight
        shift = strength / (self.a - 1.0)
        return shift + power_log_prox_ratio(
            log_p + shift, strength, self.a, grid.cell_volume, self._omega
        )


class RenyiEntropy(Functional):
    """Rényi entropy ``R_a[rho] = log(∫ rho^a) / (1 - a)``, ``a > 0``, ``a != 1``.

    First variation ``a rho^(a-1) / ((1 - a) ∫ rho^a)``.  Along the Barenblatt solution of
    the porous-medium equation of exponent m, ``t^-alpha f(x t^(-alpha/d))`` with
    ``alpha = d / (d (m - 1) + 2)``, it is ``alpha log t + const``.  It has no KL-proximal
    map (a JKO step cannot use it as the energy).

    Parameters
    ----------
    a : float
        The order, a finite number ``> 0`` other than 1 (``a = 1`` is
        :class:`ShannonEntropy`).
    """

    def __init__(self, a: float):
        self.a = _check_order(a)

    @property
    def name(self) -> str:
        return f"renyi:{self.a:g}"

    def _power_integral(self, values: np.ndarray, grid: Grid) -> float:
        integral = float((values**self.a).sum() * grid.cell_volume)
        if integral <= 0:
            raise WgflowError("the Rényi entropy of a density of zero mass is undefined")
        return integral

    def evaluate(self, values: np.ndarray, grid: Grid) -> float:
        return float(np.log(self._power_integral(values, grid)) / (1.0 - self.a))

    def variation(self, values: np.ndarray, grid: Grid) -> np.ndarray:
        a = self.a
        with np.errstate(divide="ignore"):
            return a * values ** (a - 1.0) / ((1.0 - a) * self._power_integral(values, grid))
