"""The result of :func:`wgflow.solve`, with lossless ``.npz`` storage."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from .checkpoint import RESULT, read_archive, write_archive
from .density import Density
from .errors import WgflowError
from .grid import Grid


@dataclass
class SolveResult:
    """A trajectory computed by :func:`wgflow.solve` (the contract of ``solve_ivp``).

    Attributes
    ----------
    times : ndarray
        Output times (those of ``densities``).
    densities : list of Density
        Densities at ``times``.
    tracked : dict of str to ndarray
        Recorded functionals; ``tracked_times[name]`` holds their times.
    tracked_times : dict of str to ndarray
        Times of each tracked series.
    success : bool
        False when the solver stopped early; the trajectory up to there is kept.
    message : str
        Why the solver stopped.
    flow, method : str
        What was solved and how.
    settings : dict
        The numerical parameters in force (``dt``, ``gamma``, ...).
    statistics : dict
        Solver counters, e.g. ``sinkhorn_iterations`` per step.
    maps : list of ndarray, optional
        The flow maps from the initial cell centres at ``times``, each
        ``(d, *grid.shape)`` (Lagrangian runs and DAE compositions; ``None`` otherwise).
    interrupted : str, optional
        The signal that stopped the run (``"SIGINT"``, ``"SIGTERM"``;
        :mod:`wgflow.interrupt`), ``None`` for a run that was not interrupted.
    """

    times: np.ndarray
    densities: list[Density]
    tracked: dict[str, np.ndarray]
    tracked_times: dict[str, np.ndarray]
    success: bool
    message: str
    flow: str
    method: str
    settings: dict[str, Any] = field(default_factory=dict)
    statistics: dict[str, Any] = field(default_factory=dict)
    maps: list[np.ndarray] | None = None
    interrupted: str | None = None

    @property
    def final(self) -> Density:
        """The last density computed."""
        return self.densities[-1]

    @property
    def grid(self) -> Grid:
        """The grid of the trajectory."""
        return self.densities[0].grid

    def __repr__(self) -> str:
        return (
            f"SolveResult(flow={self.flow!r}, method={self.method!r}, success={self.success}, "
            f"t=[{self.times[0]:.4g}, {self.times[-1]:.4g}], {len(self.densities)} densities, "
            f"tracked={sorted(self.tracked)}, message={self.message!r})"
        )

    # -- storage ---------------------------------------------------------------------------
    def save(self, path: str | Path) -> Path:
        """Write the result to ``path`` (``.npz`` appended when it has another suffix);
        :meth:`load` restores it exactly.

        The file is a compressed ``.npz`` archive of format ``"wgflow-result"``, version 2
        (:mod:`wgflow.checkpoint`), written atomically
        (:func:`wgflow.storage.atomic_write`).  The densities' :attr:`~wgflow.density.Density.age`
        values are stored as an array ``ages`` (NaN for ``None``) when any is set; files
        without it load with no ages.

        Raises
        ------
        WgflowError
            If ``settings`` or ``statistics`` hold a value that cannot be stored (a
            function, an object).
        """
        path = Path(path)
        if path.suffix != ".npz":
            path = path.with_suffix(path.suffix + ".npz")
        grid = self.grid
        meta = {
            "bounds": grid.bounds, "shape": grid.shape, "success": self.success,
            "message": self.message, "flow": self.flow, "method": self.method,
            "settings": self.settings, "statistics": self.statistics,
            "tracked": sorted(self.tracked), "interrupted": self.interrupted,
        }
        arrays: dict[str, np.ndarray] = {
            "times": np.asarray(self.times),
            "values": np.stack([rho.values for rho in self.densities]),
        }
        if any(rho.age is not None for rho in self.densities):
            # the ages of the densities (Density.age), NaN where there is none
            arrays["ages"] = np.array(
                [np.nan if rho.age is None else rho.age for rho in self.densities]
            )
        if self.maps is not None:
            arrays["maps"] = np.stack(self.maps)
        for name in self.tracked:
            arrays[f"tracked/{name}"] = np.asarray(self.tracked[name])
            arrays[f"tracked_times/{name}"] = np.asarray(self.tracked_times[name])
        try:
            return write_archive(path, RESULT, meta, arrays, compress=True)
        except TypeError as exc:
            raise WgflowError(f"the result cannot be saved to {path}: {exc}") from None

    @classmethod
    def load(cls, path: str | Path) -> SolveResult:
        """Read a result written by :meth:`save` (format versions 1 and 2).

        Raises
        ------
        WgflowError
            If ``path`` cannot be read or is not a result file (missing, empty, cut short,
            damaged, foreign, a checkpoint, another format version); the message names the
            file and says which.
        """
        meta, data = read_archive(path, RESULT)
        try:
            grid = Grid(meta["bounds"], tuple(meta["shape"]))
            values = data["values"]
            ages = data["ages"] if "ages" in data else np.full(len(values), np.nan)
            if ages.shape != (len(values),):
                raise ValueError(f"{ages.size} ages stored for {len(values)} densities")
            return cls(
                times=data["times"],
                densities=[
                    Density(grid, v, age=None if np.isnan(a) else float(a))
                    for v, a in zip(values, ages)
                ],
                tracked={n: data[f"tracked/{n}"] for n in meta["tracked"]},
                tracked_times={n: data[f"tracked_times/{n}"] for n in meta["tracked"]},
                success=meta["success"], message=meta["message"], flow=meta["flow"],
                method=meta["method"], settings=meta["settings"],
                statistics=meta["statistics"],
                maps=list(data["maps"]) if "maps" in data else None,
                interrupted=meta.get("interrupted"),
            )
        except (KeyError, ValueError, TypeError) as exc:
            raise WgflowError(
                f"{path} is not a wgflow result file: its content is malformed "
                f"({type(exc).__name__}: {exc})"
            ) from None
