"""The directory of a sweep: one record per finished run, found again by its parameters.

Each run that returned is stored under a name made of its index in the sweep and the key of
its parameters (:func:`~wgflow.sweeps.params.params_key`), e.g. ``run-0007-3f2a9c01b4de``:

* ``run-0007-3f2a9c01b4de.npz``: the :class:`~wgflow.result.SolveResult` (when the run
  returned one), written by :meth:`~wgflow.result.SolveResult.save`;
* ``run-0007-3f2a9c01b4de.json``: the record, written last: the parameters, the figures of
  a run that returned a dict, the run's time and worker.  A run counts as done when its
  record is there, so a sweep killed between the two files runs it again.

Both files are written through :func:`wgflow.storage.atomic_write`: a kill leaves whole
files or none.  A run that raised, or whose worker died, leaves nothing: a resumed sweep
runs it again.
"""

from __future__ import annotations

import json
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .._version import __version__
from ..errors import WgflowError
from ..result import SolveResult
from ..storage import atomic_write
from .figures import Figure, check_figure_dict
from .params import Run

#: The ``format`` entry of every record.
RECORD_FORMAT = "wgflow-sweep-run"
#: The version of the record layout; records of another version are run again.
RECORD_VERSION = 1


@dataclass
class Stored:
    """A finished run as the directory holds it.

    Attributes
    ----------
    value : SolveResult or dict
        What the run returned (a result read back exactly, or its figures).
    seconds : float
        The run's time on its worker.
    file : str
        The file of the result (``.npz``) or, for a dict, of the record (``.json``).
    """

    value: SolveResult | dict[str, Figure]
    seconds: float
    file: str


class Store:
    """The directory of a sweep (created if needed).

    Parameters
    ----------
    directory : str or Path
    count : int
        The number of runs of the sweep (it sets the width of the index in file names).

    Raises
    ------
    WgflowError
        If the directory cannot be created or is not a directory.
    """

    def __init__(self, directory: str | Path, count: int):
        if not isinstance(directory, (str, Path)):
            raise WgflowError(
                f"directory must be a path (str or pathlib.Path), got {type(directory).__name__}"
            )
        self.directory = Path(directory)
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise WgflowError(
                f"directory {str(self.directory)!r} cannot be created: {exc}; accepted: a "
                "folder you can write to"
            ) from None
        self.width = max(4, len(str(max(count - 1, 0))))

    def stem(self, run: Run) -> str:
        """The file name of ``run`` without its suffix."""
        return f"run-{run.index:0{self.width}d}-{run.key}"

    def _record_path(self, run: Run) -> Path | None:
        """The record of ``run``'s parameters: under its own index, else under any index
        (a sweep whose list of parameters changed since)."""
        own = self.directory / f"{self.stem(run)}.json"
        if own.exists():
            return own
        return next(iter(sorted(self.directory.glob(f"run-*-{run.key}.json"))), None)

    def load(self, run: Run) -> Stored | None:
        """The stored outcome of ``run``, or ``None`` if it has none (then it must run).

        A record that cannot be read, or whose result file cannot be, is reported by a
        :class:`RuntimeWarning` and the run runs again.
        """
        path = self._record_path(run)
        if path is None:
            return None
        try:
            record = json.loads(path.read_text(encoding="utf-8"))
            if not isinstance(record, dict) or record.get("format") != RECORD_FORMAT:
                raise ValueError("not a record of a wgflow sweep")
            if record.get("version") != RECORD_VERSION:
                raise ValueError(f"record version {record.get('version')!r}")
            if record.get("params") != run.plain:
                raise ValueError(f"it holds the parameters {record.get('params')}")
            seconds = float(record["seconds"])
            if record["kind"] == "result":
                result = SolveResult.load(path.with_suffix(".npz"))
                return Stored(result, seconds, path.with_suffix(".npz").name)
            figures = check_figure_dict(record["figures"], f"record {path.name}")
            return Stored(figures, seconds, path.name)
        except (OSError, ValueError, KeyError, TypeError) as exc:  # WgflowError is a ValueError
            warnings.warn(f"{path} cannot be read ({exc}); run {run.index} runs again",
                          RuntimeWarning, stacklevel=3)
            return None

    def save(
        self, run: Run, value: SolveResult | dict[str, Figure], seconds: float, worker: str
    ) -> str:
        """Store what ``run`` returned; return the name of its result (or record) file."""
        stem = self.stem(run)
        record: dict[str, Any] = {
            "format": RECORD_FORMAT, "version": RECORD_VERSION, "wgflow": __version__,
            "index": run.index, "key": run.key, "params": run.plain,
            "seconds": seconds, "worker": worker,
        }
        if isinstance(value, SolveResult):
            file = value.save(self.directory / f"{stem}.npz").name  # atomic
            record.update(kind="result", result=file)
        else:
            record.update(kind="figures", figures=value)
            file = f"{stem}.json"
        with atomic_write(self.directory / f"{stem}.json") as temporary:
            temporary.write_text(json.dumps(record, indent=1) + "\n", encoding="utf-8")
        return file
