"""Trackers along DAE trajectories: the same named functionals as :func:`wgflow.solve`.

``"shannon"``, ``"renyi:a"``, ``"tsallis:a"``, ``"mass"`` and ``"w2"`` (Wasserstein distance to
the first density, by :func:`wgflow.transport.wasserstein2`), built by
:func:`wgflow.trackers.make_trackers`.  Along a Gaussian DAE, a composition of DAEs or the
continuous DAE the entropies decrease (section 4.1, eq. (16)): :func:`track` turns that into
curves a user can plot against the transport time.  :func:`wgflow.dae.single` and
:func:`wgflow.dae.compose` record their ``track=`` names with it; :func:`wgflow.solve` (and
:func:`wgflow.dae.continuous`) record them as they step.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import ArrayLike

from ..density import Density
from ..errors import WgflowError, as_real_array, check_density
from ..trackers import make_trackers

__all__ = ["track"]


def track(
    densities: Sequence[Density],
    names: Sequence[str] | str,
    times: ArrayLike | None = None,
) -> dict[str, np.ndarray]:
    """Evaluate trackers along a trajectory.

    Parameters
    ----------
    densities : sequence of Density
        The densities (the first is the reference of ``"w2"``), e.g. ``result.densities``.
    names : sequence of str or str
        Tracker names: ``"shannon"``, ``"renyi:a"``, ``"tsallis:a"``, ``"mass"``, ``"w2"``.
    times : array_like, optional
        The times of the densities (default ``0, 1, 2, ...``).

    Returns
    -------
    dict of str to numpy.ndarray
        One series per name, aligned with ``times``; ``result["times"]`` holds the times.

    Examples
    --------
    >>> import wgflow as wg
    >>> from wgflow.dae import compose
    >>> grid = wg.Grid([(-6, 6)], 128)
    >>> result = compose(wg.exact.heat_gaussian(grid, 0.0, 1.0, 0.0), [0.1] * 5)
    >>> series = track(result.densities, ["shannon"], result.times)
    >>> bool((np.diff(series["shannon"]) < 0).all())          # a DAE decreases entropy
    True
    """
    if isinstance(densities, Density):
        densities = [densities]
    if not isinstance(densities, Sequence) or isinstance(densities, (str, bytes)):
        raise WgflowError(
            f"densities must be a sequence of wgflow.Density, got {type(densities).__name__}"
        )
    densities = list(densities)
    if not densities:
        raise WgflowError("track needs at least one density (densities is empty)")
    for i, rho in enumerate(densities):
        check_density(f"densities[{i}]", rho)
        densities[0].grid.check_same(rho.grid, "the densities of a trajectory")
    stamps = (
        np.arange(len(densities), dtype=float) if times is None else as_real_array("times", times)
    )
    if stamps.shape != (len(densities),):
        raise WgflowError(
            f"times must hold one time per density ({len(densities)}), got shape {stamps.shape}"
        )
    if not isinstance(names, (str, Sequence)):
        raise WgflowError(f"names must be a tracker name or a sequence of them, got {names!r}")
    trackers = make_trackers(names, densities[0])
    for t, rho in zip(stamps, densities):
        for tracker in trackers:
            tracker.record(t, rho)
    out = {tracker.name: np.asarray(tracker.values) for tracker in trackers}
    out["times"] = stamps.copy()
    return out
