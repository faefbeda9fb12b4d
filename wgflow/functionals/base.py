"""Base class of functionals F[rho]: value, first variation and KL-proximal map.

The KL-proximal map is what the entropic JKO scheme needs from a functional
(Peyré 2015, "Entropic approximation of Wasserstein gradient flows"): for cell masses
``p`` and a weight ``s`` it is

    prox(p) = argmin_q  s F(q) + KL(q | p),

returned as ``log(q / p)``, which stays finite where ``p`` vanishes (vacuum) for the
energies with a finite first variation at 0 (internal energies, potentials) and is
``+inf`` there for ``∫ rho log rho`` (the exp-domain Sinkhorn loop then switches to the
log domain).
"""

from __future__ import annotations

import numbers
from abc import ABC, abstractmethod
from typing import Any

import numpy as np

from ..density import Density
from ..errors import WgflowError, check_density
from ..grid import Grid
from ._prox import backend_constant


class Functional(ABC):
    """A functional ``F[rho]`` of a density on a grid.

    Subclasses implement :meth:`evaluate` and :meth:`variation` on raw arrays of values
    per unit volume; those that the JKO scheme can step implement :meth:`log_prox_ratio`.
    Functionals add (``F + G``) and scale by reals (``-F``, ``2 * F``).  The Wasserstein
    gradient flow of F, ``d/dt rho = -grad F[rho]`` (eq. (15)), is
    ``d_t rho = div(rho grad dF/drho)``.
    """

    #: True when F is linear in rho (a potential energy); its prox is a multiplication.
    is_linear: bool = False

    @property
    @abstractmethod
    def name(self) -> str:
        """Short name used by trackers and results, e.g. ``"renyi:2"``."""

    @abstractmethod
    def evaluate(self, values: np.ndarray, grid: Grid) -> float:
        """Value of F for values per unit volume on ``grid``."""

    @abstractmethod
    def variation(self, values: np.ndarray, grid: Grid) -> np.ndarray:
        """First variation ``dF/drho`` at each cell (same shape as ``values``)."""

    def potential(self, grid: Grid) -> np.ndarray:
        """For a linear functional ``∫ V rho``: the potential ``V`` on ``grid``."""
        raise WgflowError(f"the functional {self.name!r} is not linear")

    def log_prox_ratio(self, log_p: np.ndarray, weight: float, grid: Grid) -> np.ndarray:
        """``log(q/p)`` for ``q = argmin_q weight * F(q) + KL(q | p)``, masses per cell.

        Parameters
        ----------
        log_p : ndarray
            Log of the cell masses ``p`` (``-inf`` where ``p = 0``).
        weight : float
            The weight of F.
        grid : Grid
            The grid of the masses.

        Returns
        -------
        ndarray
            ``log(q/p)``, shape of ``log_p``.

        Raises
        ------
        WgflowError
            Where no closed form is available or ``weight * F`` is not convex.
        """
        raise WgflowError(
            f"the functional {self.name!r} has no KL-proximal map, so a JKO step cannot "
            "use it as the energy"
        )

    # -- public evaluation on densities -------------------------------------------------
    def __call__(self, rho: Density) -> float:
        """Value ``F[rho]``."""
        check_density("rho", rho)
        return float(self.evaluate(rho.values, rho.grid))

    def first_variation(self, rho: Density) -> np.ndarray:
        """First variation ``dF/drho`` of F at ``rho`` (array of shape ``grid.shape``)."""
        check_density("rho", rho)
        return self.variation(rho.values, rho.grid)

    # -- algebra -------------------------------------------------------------------------
    def __add__(self, other: Functional) -> Functional:
        if not isinstance(other, Functional):
            return NotImplemented
        return SumFunctional([self, other])

    def __mul__(self, factor: float) -> Functional:
        if isinstance(factor, bool) or not isinstance(factor, numbers.Real):
            return NotImplemented
        return ScaledFunctional(float(factor), self)

    __rmul__ = __mul__

    def __neg__(self) -> Functional:
        return ScaledFunctional(-1.0, self)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name}>"


class ScaledFunctional(Functional):
    """``factor * F``; its prox is the prox of F with the weight multiplied by ``factor``."""

    def __init__(self, factor: float, functional: Functional):
        self.factor = factor
        self.functional = functional
        self.is_linear = functional.is_linear

    @property
    def name(self) -> str:
        if self.factor == -1.0:
            return f"-{self.functional.name}"
        return f"{self.factor:g}*{self.functional.name}"

    def evaluate(self, values: np.ndarray, grid: Grid) -> float:
        return self.factor * self.functional.evaluate(values, grid)

    def variation(self, values: np.ndarray, grid: Grid) -> np.ndarray:
        return self.factor * self.functional.variation(values, grid)

    def potential(self, grid: Grid) -> np.ndarray:
        return self.factor * self.functional.potential(grid)

    def log_prox_ratio(self, log_p: np.ndarray, weight: float, grid: Grid) -> np.ndarray:
        return self.functional.log_prox_ratio(log_p, self.factor * weight, grid)


class SumFunctional(Functional):
    """``F_1 + ... + F_n``.

    The prox is available when at most one term is nonlinear: linear terms (potential
    energies ``∫ V rho``) multiply the input by ``exp(-weight V)`` before the nonlinear
    term's prox, which is exact because ``weight ∫V q + KL(q|p) = KL(q | p e^{-weight V})``
    up to a constant.
    """

    terms: list[Functional]

    def __init__(self, terms: list[Functional]):
        flat: list[Functional] = []
        for term in terms:
            flat.extend(term.terms if isinstance(term, SumFunctional) else [term])
        self.terms = flat
        self.is_linear = all(t.is_linear for t in flat)

    @property
    def name(self) -> str:
        return " + ".join(t.name for t in self.terms)

    def evaluate(self, values: np.ndarray, grid: Grid) -> float:
        return float(sum(t.evaluate(values, grid) for t in self.terms))

    def variation(self, values: np.ndarray, grid: Grid) -> np.ndarray:
        return np.sum([t.variation(values, grid) for t in self.terms], axis=0)

    def potential(self, grid: Grid) -> np.ndarray:
        return np.sum([t.potential(grid) for t in self.terms], axis=0)

    def log_prox_ratio(self, log_p: np.ndarray, weight: float, grid: Grid) -> np.ndarray:
        linear = [t for t in self.terms if t.is_linear]
        nonlinear = [t for t in self.terms if not t.is_linear]
        if len(nonlinear) > 1:
            raise WgflowError(
                f"the KL-proximal map of {self.name!r} needs at most one nonlinear term, "
                f"found {len(nonlinear)}"
            )
        shift = -weight * self._linear_potential(linear, grid, log_p) if linear else 0.0
        if not nonlinear:
            return np.broadcast_to(shift, log_p.shape).copy() if isinstance(log_p, np.ndarray) \
                else shift
        return shift + nonlinear[0].log_prox_ratio(log_p + shift, weight, grid)

    def _linear_potential(self, linear: list[Functional], grid: Grid, like: np.ndarray) -> Any:
        """The sum of the linear terms' potentials, on the backend of ``like`` (copied there
        once, :func:`~wgflow.functionals._prox.backend_constant`)."""
        if isinstance(like, np.ndarray):
            return sum(t.potential(grid) for t in linear)
        return backend_constant(self, grid, like, lambda: sum(t.potential(grid) for t in linear))
