"""Trackers: named functionals recorded along a trajectory.

Names: ``"shannon"`` (``H = -∫ rho log rho``), ``"tsallis:a"``
(``S_a = ∫ (rho - rho^a) / (a - 1)``), ``"renyi:a"`` (``R_a = log(∫ rho^a) / (1 - a)``), any
order ``a > 0``, ``a != 1``; ``"mass"``; ``"energy"`` (the flow's own functional) and
``"w2"`` (Wasserstein distance to the initial density, by
:func:`wgflow.transport.wasserstein2`: exact in 1-D, to an estimated relative ``1e-3`` in 2-D
and 3-D, where a density too rough for that on its grid is recorded with its best value and a
:class:`~wgflow.errors.ConvergenceWarning` rather than stopping the run).  Cheap trackers are
recorded after every step; ``"w2"`` is recorded at the output times only.  All three
entropies increase along the heat flow and decrease along the backward heat equation
(eq. (16)); ``S_a`` decreases along the backward porous-medium equation (17):
:func:`largest_increase` makes this checkable.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

from .density import Density
from .errors import WgflowError, as_real_array, check_density
from .functionals import Functional, RenyiEntropy, ShannonEntropy, TsallisEntropy
from .transport import wasserstein2

#: Tracker names accepted by :func:`make_trackers` (``a`` stands for an order).
TRACKER_NAMES = ("shannon", "tsallis:a", "renyi:a", "mass", "energy", "w2")


@dataclass
class Tracker:
    """One recorded quantity: a name, how to compute it, and when.

    Attributes
    ----------
    name : str
        The tracker's name (key of ``result.tracked``).
    compute : callable
        Maps a :class:`~wgflow.density.Density` to a float.
    every_step : bool
        Record after every step (True) or at the output times only (False).
    times, values : list of float
        What was recorded.
    """

    name: str
    compute: Callable[[Density], float]
    every_step: bool = True
    times: list[float] = field(default_factory=list)
    values: list[float] = field(default_factory=list)

    def record(self, t: float, rho: Density) -> None:
        """Evaluate at ``rho`` and append ``(t, value)``."""
        self.times.append(float(t))
        self.values.append(float(self.compute(rho)))


def _order(name: str, text: str) -> float:
    try:
        return float(text)
    except ValueError:
        raise WgflowError(
            f"tracker {name!r} needs a numeric order after ':', e.g. 'renyi:2'"
        ) from None


def functional_from_name(name: str) -> Functional:
    """The entropy named ``"shannon"``, ``"tsallis:a"`` or ``"renyi:a"``.

    Raises
    ------
    WgflowError
        For any other name or a bad order ``a``.
    """
    if not isinstance(name, str):
        raise WgflowError(f"a functional name must be a string such as 'renyi:2', got {name!r}")
    kind, _, order = name.partition(":")
    if kind == "shannon" and not order:
        return ShannonEntropy()
    if kind == "tsallis" and order:
        return TsallisEntropy(_order(name, order))
    if kind == "renyi" and order:
        return RenyiEntropy(_order(name, order))
    raise WgflowError(
        f"unknown functional name {name!r}; accepted: 'shannon', 'tsallis:a', 'renyi:a'"
    )


def make_trackers(
    names: Sequence[str], initial: Density, energy: Functional | None = None
) -> list[Tracker]:
    """Build trackers from names.

    Parameters
    ----------
    names : sequence of str
        Tracker names, see :data:`TRACKER_NAMES`.
    initial : Density
        The reference of ``"w2"``.
    energy : Functional, optional
        The functional recorded as ``"energy"`` (a flow's energy).

    Returns
    -------
    list of Tracker
        One per distinct name, in the order given.

    Raises
    ------
    WgflowError
        For an unknown name (the message lists the accepted ones) or ``"energy"`` without
        an energy.
    """
    if names is None:
        names = ()
    elif isinstance(names, str):
        names = [names]
    elif not isinstance(names, Sequence):
        raise WgflowError(
            f"track must be a tracker name or a sequence of them (e.g. ['shannon', 'w2']), "
            f"got {names!r}"
        )
    if "w2" in names:
        check_density("the initial density (the reference of 'w2')", initial)
    trackers: list[Tracker] = []
    for name in names:
        if not isinstance(name, str):
            raise WgflowError(f"tracker names are strings, got {name!r}")
        if name in (t.name for t in trackers):
            continue
        if name == "mass":
            trackers.append(Tracker(name, lambda rho: rho.mass))
        elif name == "energy":
            if energy is None:
                raise WgflowError("the 'energy' tracker needs a flow with an energy functional")
            trackers.append(Tracker(name, energy))
        elif name == "w2":
            trackers.append(
                Tracker(name, lambda rho: wasserstein2(initial, rho, strict=False),
                        every_step=False)
            )
        else:
            try:
                functional = functional_from_name(name)
            except WgflowError:
                raise WgflowError(
                    f"unknown tracker {name!r}; accepted: {', '.join(map(repr, TRACKER_NAMES))}"
                    " with a > 0, a != 1 (e.g. 'renyi:2')"
                ) from None
            trackers.append(Tracker(name, functional))
    return trackers


def largest_increase(values: Sequence[float]) -> float:
    """Largest step-to-step increase of a recorded series (0 if it never increases)."""
    series = as_real_array("values", values)
    if series.ndim != 1:
        raise WgflowError(f"values must be a 1-D series, got shape {series.shape}")
    if series.size < 2:
        return 0.0
    return float(max(np.max(np.diff(series)), 0.0))
