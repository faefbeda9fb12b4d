"""Checks of what the callers of :mod:`wgflow.plotting` pass: densities, times, views, curves,
results and names; each raises :class:`~wgflow.errors.WgflowError` naming the bad value."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import ArrayLike

from ..density import Density
from ..errors import WgflowError, check_integer
from ..result import SolveResult

#: A curve ``(times, values)``: two sequences of numbers of one length.
Curve = tuple[ArrayLike, ArrayLike]


def check_densities(densities: Density | Sequence[Density]) -> list[Density]:
    """The densities as a non-empty list of :class:`Density` of one dimension."""
    if isinstance(densities, Density):
        densities = [densities]
    if isinstance(densities, np.ndarray):
        raise WgflowError(
            "densities must be wgflow Density objects (they carry the grid); wrap an array "
            "with wg.Density(grid, values)"
        )
    try:
        items = list(densities)
    except TypeError:
        raise WgflowError(
            f"densities must be a Density or a sequence of Density, got {type(densities).__name__}"
        ) from None
    if not items:
        raise WgflowError("nothing to plot: the sequence of densities is empty")
    for index, item in enumerate(items):
        if not isinstance(item, Density):
            name = type(item).__name__
            raise WgflowError(f"densities[{index}] is a {name}, not a wgflow Density")
        if item.grid.ndim != items[0].grid.ndim:
            raise WgflowError(
                f"all densities must have the same dimension: densities[0] is "
                f"{items[0].grid.ndim}-D, densities[{index}] is {item.grid.ndim}-D"
            )
    return items


def check_times(times: ArrayLike, count: int) -> np.ndarray:
    """``times`` as a finite float array holding one time per item (``count`` of them)."""
    try:
        array = np.asarray(times, dtype=float).reshape(-1)
    except (TypeError, ValueError):
        raise WgflowError(f"times must be a sequence of numbers, got {times!r}") from None
    if array.shape != (count,):
        raise WgflowError(
            f"times must hold one time per density: {count} densities, {array.size} times"
        )
    if not np.isfinite(array).all():
        raise WgflowError(f"times must be finite, got {array.tolist()}")
    return array


def select(count: int, maximum: int | None) -> list[int]:
    """Up to ``maximum`` evenly spaced indices of ``range(count)``, first and last included
    (all of them when ``maximum`` is None)."""
    if maximum is None:
        return list(range(count))
    maximum = check_integer("max_snapshots", maximum)
    if count <= maximum:
        return list(range(count))
    if maximum == 1:
        return [count - 1]
    return sorted({int(round(k)) for k in np.linspace(0, count - 1, maximum)})


def check_view(
    view: Sequence[Sequence[float]] | None, ndim: int
) -> list[tuple[float, float]] | None:
    """The axis limits to show: one ``(lo, hi)`` pair per drawn axis (1 in 1-D, else 2)."""
    if view is None:
        return None
    needed = 1 if ndim == 1 else 2
    try:
        pairs = [(float(lo), float(hi)) for lo, hi in view]
    except (TypeError, ValueError):
        raise WgflowError(f"view must be a sequence of (lo, hi) pairs, got {view!r}") from None
    if len(pairs) != needed or not all(
        np.isfinite(lo) and np.isfinite(hi) and lo < hi for lo, hi in pairs
    ):
        raise WgflowError(
            f"view must hold {needed} finite (lo, hi) pair{'s' if needed > 1 else ''} with "
            f"lo < hi for {ndim}-D densities, got {view!r}"
        )
    return pairs


def check_curve(name: str, curve: Curve) -> tuple[np.ndarray, np.ndarray]:
    """The curve ``name`` (e.g. ``"exact['shannon']"``) as two float arrays of one non-zero
    length."""
    try:
        t, v = (np.asarray(part, dtype=float).reshape(-1) for part in curve)
    except (TypeError, ValueError):
        raise WgflowError(f"{name} must be a pair (times, values) of equal length") from None
    if t.shape != v.shape or t.size == 0:
        raise WgflowError(
            f"{name} must be a pair (times, values) of equal, non-zero length; got "
            f"{t.size} times and {v.size} values"
        )
    return t, v


def check_result(result: SolveResult, names: str | Sequence[str] | None) -> list[str]:
    """Check that ``result`` is a :class:`SolveResult` and return ``names`` as a list: all
    its tracked functionals when None, one when a string."""
    if not isinstance(result, SolveResult):
        raise WgflowError(f"result must be a wgflow SolveResult, got {type(result).__name__}")
    if names is None:
        return list(result.tracked)
    return [names] if isinstance(names, str) else list(names)
