"""Trackers along DAE trajectories: the same named functionals as :func:`wgflow.solve`.

``"shannon"``, ``"renyi:a"``, ``"tsallis:a"``, ``"mass"`` and ``"w2"`` (Wasserstein distance to
the first density, computed with POT by :func:`wgflow.transport.wasserstein2`), built by
:func:`wgflow.trackers.make_trackers`.  Along a Gaussian DAE, a composition of DAEs or the
continuous DAE the entropies decrease (section 4.1, eq. 16): :func:`track` turns that into
curves a user can plot against the transport time.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ..density import Density
from ..errors import WgflowError
from ..trackers import make_trackers

__all__ = ["track"]


def track(
    densities: Sequence[Density] | object,
    names: Sequence[str] | str,
    times: Sequence[float] | None = None,
) -> dict[str, np.ndarray]:
    """Evaluate trackers along a trajectory.

    Parameters
    ----------
    densities : sequence of Density, or a trajectory
        The densities (the first is the reference of ``"w2"``), or any object with
        ``densities`` and ``times`` attributes (:class:`~wgflow.dae.DAETrajectory`).
    names : sequence of str or str
        Tracker names: ``"shannon"``, ``"renyi:a"``, ``"tsallis:a"``, ``"mass"``, ``"w2"``.
    times : sequence of float, optional
        The times of the densities (default: those of the trajectory, or ``0, 1, 2, ...``).

    Returns
    -------
    dict of str to numpy.ndarray
        One series per name, aligned with ``times``; ``result["times"]`` holds the times.

    Examples
    --------
    >>> import wgflow as wg
    >>> from wgflow.dae import compose
    >>> grid = wg.Grid([(-6, 6)], 128)
    >>> traj = compose(wg.exact.heat_gaussian(grid, 0.0, 1.0, 0.0), [0.1] * 5)
    >>> series = track(traj, ["shannon"])
    >>> bool((np.diff(series["shannon"]) < 0).all())          # a DAE decreases entropy
    True
    """
    if hasattr(densities, "densities") and hasattr(densities, "times"):
        if times is None:
            times = densities.times
        densities = densities.densities
    densities = list(densities)
    if not densities:
        raise WgflowError("track needs at least one density")
    for i, rho in enumerate(densities):
        if not isinstance(rho, Density):
            raise WgflowError(
                f"densities[{i}] must be a wgflow.Density, got {type(rho).__name__}"
            )
        densities[0].grid.check_same(rho.grid, "the densities of a trajectory")
    if times is None:
        times = np.arange(len(densities), dtype=float)
    times = np.asarray(times, dtype=float)
    if times.shape != (len(densities),):
        raise WgflowError(
            f"times must hold one time per density ({len(densities)}), got shape {times.shape}"
        )
    if "energy" in ([names] if isinstance(names, str) else list(names)):
        raise WgflowError(
            "the 'energy' tracker needs a flow's functional; along DAE trajectories track "
            "'shannon', 'renyi:a', 'tsallis:a', 'mass' or 'w2'"
        )
    trackers = make_trackers(names, densities[0])
    for t, rho in zip(times, densities):
        for tracker in trackers:
            tracker.record(t, rho)
    out = {tracker.name: np.asarray(tracker.values) for tracker in trackers}
    out["times"] = times.copy()
    return out
