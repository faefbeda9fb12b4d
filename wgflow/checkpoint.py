"""Checkpoints of runs, and the checked ``.npz`` archives in which wgflow stores arrays.

Archives.  Results (:meth:`wgflow.SolveResult.save`) and checkpoints are ``.npz`` archives
written through :func:`wgflow.storage.atomic_write` (a crash or a kill leaves the old file or
the new one, never half of one).  Each holds an entry ``meta``, a JSON text that names the
format (:data:`RESULT` or :data:`CHECKPOINT`), its version, the wgflow version that wrote it
and every other entry; no entry is a pickle (they are read with ``allow_pickle=False``).
:func:`read_archive` checks all of it and answers a file that is missing, empty, cut short,
foreign, of the other kind or of another format version with a
:class:`~wgflow.errors.WgflowError` that names the file and what is wrong, never with an
error from numpy's or zipfile's internals; every entry is read in full, so the zip
archive's checksums are verified.

Checkpoints.  ``wg.solve(..., checkpoint=path)`` writes the whole state of the run to
``path`` every ``checkpoint_every`` steps and at the end (:class:`CheckpointWriter`; a file
already there is removed when the run starts): what
the run is (the flow's class, :meth:`~wgflow.flows.Flow.parameters` and
:meth:`~wgflow.flows.Flow.fingerprint`, the initial density, the method and its options,
the times, trackers and outputs asked for) and where it is (the solver's
:meth:`~wgflow.solvers.Solver.state`, the error estimate's, the tracked values and the
stored densities so far).  :func:`wgflow.resume` reads it back (:func:`read_checkpoint`),
rebuilds the solver from what the run is and restores where it was.
"""

from __future__ import annotations

import io
import json
import math
import numbers
import os
import zipfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ._version import __version__
from .density import Density
from .errors import WgflowError, check_integer
from .flows import Flow
from .grid import Grid
from .storage import atomic_write

#: Format name of result files (:meth:`wgflow.SolveResult.save`).
RESULT = "wgflow-result"
#: Format name of checkpoints.
CHECKPOINT = "wgflow-checkpoint"
#: The version of each format that this wgflow writes ...
VERSIONS = {RESULT: 2, CHECKPOINT: 1}
#: ... and those it reads (result format 1, the layout before format names and versions
#: were stored, has no ``format`` entry in its ``meta``).
READABLE_VERSIONS = {RESULT: (1, 2), CHECKPOINT: (1,)}
#: How files of each format are named in messages, and how they are opened.
DESCRIPTIONS = {
    RESULT: ("a wgflow result file", "load it with wg.SolveResult.load"),
    CHECKPOINT: ("a wgflow checkpoint", "continue its run with wg.resume"),
}
#: Default ``checkpoint_every`` of :func:`wgflow.solve`.
DEFAULT_CHECKPOINT_EVERY = 10
#: What a checkpoint stores of its run besides the flow and the initial density.
RUN_KEYS = ("method", "options", "t_end", "dt", "track", "t_eval", "maps", "rtol",
            "checkpoint_every")

#: What can go wrong inside numpy and zipfile when an archive is read.
_READ_ERRORS = (
    OSError, ValueError, KeyError, EOFError, TypeError, zipfile.BadZipFile, zlib.error,
    NotImplementedError,
)
#: The first bytes of a zip archive (an ``.npz`` file) and of a single ``.npy`` array.
_ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06")
_NPY_MAGIC = b"\x93NUMPY"
#: The key that marks an array in the JSON tree of a state (:func:`encode`).
_ARRAY = "__array__"
#: The types JSON writes as they are (``float`` with all its digits).
_PLAIN = (int, float, str, bool, type(None))


# -- archives ----------------------------------------------------------------------------
def write_archive(
    path: str | Path, kind: str, meta: dict[str, Any], arrays: dict[str, np.ndarray],
    compress: bool = False,
) -> Path:
    """Write an archive of format ``kind`` atomically: ``meta`` (with the format, its
    version, the wgflow version and the names of the entries added) as JSON, and
    ``arrays``.

    Parameters
    ----------
    path : str or Path
        The file (written as given, whatever its suffix); its directory must exist.
    kind : str
        :data:`RESULT` or :data:`CHECKPOINT`.
    meta : dict
        JSON-compatible values (numpy scalars and arrays are converted).
    arrays : dict of str to ndarray
        The entries besides ``meta``.
    compress : bool
        Deflate the entries (smaller, slower).

    Returns
    -------
    Path

    Raises
    ------
    TypeError
        For a value of ``meta`` that JSON cannot hold, or an array of Python objects (no
        entry is ever a pickle).
    """
    path = Path(path)
    header = {
        **meta, "format": kind, "version": VERSIONS[kind], "wgflow": __version__,
        "arrays": sorted(arrays),
    }
    entries: dict[str, Any] = {"meta": np.array(json.dumps(header, default=_to_json))}
    for name, array in arrays.items():
        entries[name] = np.asarray(array)
        if entries[name].dtype.hasobject:
            raise TypeError(f"cannot store the Python objects of {name!r} in a wgflow file")
    buffer = io.BytesIO()  # one write to the file: a zip archive written in place seeks
    (np.savez_compressed if compress else np.savez)(buffer, **entries)
    with atomic_write(path) as temporary, open(temporary, "wb") as handle:
        handle.write(buffer.getbuffer())
    return path


def read_archive(path: str | Path, kind: str) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    """Read and check an archive of format ``kind`` written by :func:`write_archive`.

    Parameters
    ----------
    path : str or Path
    kind : str
        :data:`RESULT` or :data:`CHECKPOINT`.

    Returns
    -------
    meta : dict
        The JSON entry (``meta["version"]`` is the file's format version).
    arrays : dict of str to ndarray
        Every other entry, read in full (their checksums verified).

    Raises
    ------
    WgflowError
        If the file is missing, empty, not an ``.npz`` archive, cut short or damaged, not
        written by wgflow, of the other format (a checkpoint where a result is expected, or
        the reverse) or of a format version this wgflow does not read; the message names
        the file and says which.
    """
    what, _ = DESCRIPTIONS[kind]
    if not isinstance(path, (str, os.PathLike)):
        raise WgflowError(f"path must be a file name (str or os.PathLike) of {what}, got {path!r}")

    def error(reason: str) -> WgflowError:
        return WgflowError(f"{path} is not {what}: {reason}")

    _check_file_start(Path(path), error)
    try:
        with np.load(path, allow_pickle=False) as data:
            names = set(data.files)
            if "meta" not in names:
                raise error("it has no 'meta' entry (an .npz archive that wgflow did not write)")
            meta = _meta(_entry(data, "meta", error), error)
            version = _check_format(path, meta, kind, error)
            listed = meta.get("arrays") if _version_has_list(kind, version) else None
            expected = sorted(names - {"meta"}) if listed is None else listed
            missing = [name for name in expected if name not in names]
            if missing:
                raise error(f"it is incomplete: its entries {missing} are missing")
            arrays = {name: _entry(data, name, error) for name in expected}
    except WgflowError:
        raise
    except _READ_ERRORS as exc:
        raise error(f"it is damaged or cut short ({type(exc).__name__}: {exc})") from None
    meta["version"] = version
    return meta, arrays


def _version_has_list(kind: str, version: int) -> bool:
    """Whether files of this format version list their entries in ``meta["arrays"]`` (all
    but result format 1)."""
    return not (kind == RESULT and version == 1)


def _check_file_start(path: Path, error: Callable[[str], WgflowError]) -> None:
    """Raise ``error(...)`` for a missing, empty or non-zip file (before numpy sees it)."""
    try:
        with open(path, "rb") as handle:
            start = handle.read(6)
    except FileNotFoundError:
        raise error("there is no such file") from None
    except IsADirectoryError:
        raise error("it is a directory") from None
    except OSError as exc:
        raise error(f"it cannot be opened ({exc.strerror or exc})") from None
    if not start:
        raise error("it is empty (0 bytes)")
    if start.startswith(_NPY_MAGIC):
        raise error("it is a single numpy array (.npy), not an .npz archive")
    if not start.startswith(_ZIP_MAGIC):
        raise error("it is not an .npz archive (its first bytes are not those of a zip file)")


def _entry(data: Any, name: str, error: Callable[[str], WgflowError]) -> np.ndarray:
    """The entry ``name`` of an open archive, read in full (its checksum verified)."""
    try:
        return data[name]
    except _READ_ERRORS as exc:
        if "allow_pickle" in str(exc):
            raise error(f"its entry {name!r} holds Python objects (a pickle), which wgflow "
                        "neither writes nor loads") from None
        raise error(f"it is damaged: its entry {name!r} cannot be read ({exc})") from None


def _meta(entry: np.ndarray, error: Callable[[str], WgflowError]) -> dict[str, Any]:
    """The JSON ``meta`` entry as a dict, or ``error(...)``."""
    if entry.shape != () or entry.dtype.kind != "U":
        raise error("its 'meta' entry is not a text (an .npz archive that wgflow did not write)")
    try:
        meta = json.loads(str(entry))
    except ValueError:
        raise error(
            "its 'meta' entry is not JSON (an .npz archive that wgflow did not write)"
        ) from None
    if not isinstance(meta, dict):
        raise error("its 'meta' entry is not wgflow's (an .npz archive that wgflow did not write)")
    return meta


def _check_format(
    path: str | Path, meta: dict[str, Any], kind: str, error: Callable[[str], WgflowError]
) -> int:
    """The file's format version, checked against :data:`READABLE_VERSIONS`."""
    found = meta.get("format")
    if found is None and kind == RESULT and {"bounds", "shape", "tracked"} <= set(meta):
        return 1  # result format 1: no format name, no version
    if found in DESCRIPTIONS and found != kind:
        other, how = DESCRIPTIONS[found]
        raise error(f"it is {other} ({how})")
    if found != kind:
        raise error(f"its 'meta' entry names no wgflow format (format {found!r})")
    version = meta.get("version")
    accepted = READABLE_VERSIONS[kind]
    if version not in accepted:
        written = meta.get("wgflow", "an unknown version")
        raise WgflowError(
            f"{path} is {DESCRIPTIONS[kind][0]} of format version {version!r} (written by "
            f"wgflow {written}); this wgflow ({__version__}) reads format version"
            f"{'s' if len(accepted) > 1 else ''} {', '.join(map(str, accepted))}"
        )
    return int(version)


def _to_json(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    raise TypeError(f"cannot store {type(value).__name__} in a wgflow file")


# -- states: nested dicts of numbers, strings and arrays ----------------------------------
def encode(states: dict[str, Any], arrays: dict[str, np.ndarray]) -> dict[str, Any]:
    """Split states into JSON-compatible trees and their arrays.

    Each numpy array becomes an entry of ``arrays`` named by its path in the trees
    (``name/key/...``) and, in the tree, ``{"__array__": <that name>}``; an array object met
    again (the same object: a density stored by the run and held by its solver, or in the
    state before the last step) refers to the entry of its first appearance, also one
    given in ``arrays`` beforehand.  Numpy scalars become Python numbers (floats are written
    by JSON with all their digits, so they come back to the bit).

    Parameters
    ----------
    states : dict
        ``name: state``; a state is a number, string, boolean, ``None``, numpy array, or a
        list or dict of these.
    arrays : dict of str to ndarray
        The entries so far; the arrays of the states are added.

    Returns
    -------
    dict
        ``name: tree``.

    Raises
    ------
    WgflowError
        For a value that is none of these (a function, an object).
    """
    seen = {id(array): name for name, array in arrays.items()}

    def walk(value: Any, where: str) -> Any:
        if isinstance(value, np.ndarray):
            if id(value) not in seen:
                seen[id(value)] = where
                arrays[where] = value
            return {_ARRAY: seen[id(value)]}
        if isinstance(value, dict):
            return {str(key): walk(item, f"{where}/{key}") for key, item in value.items()}
        if isinstance(value, (list, tuple)):
            if all(type(item) in _PLAIN for item in value):  # per-step statistics: as they are
                return list(value)
            return [walk(item, f"{where}/{index}") for index, item in enumerate(value)]
        if isinstance(value, np.generic):
            return value.item()
        if value is None or isinstance(value, (bool, int, float, str)):
            return value
        raise WgflowError(
            f"{where} = {value!r} cannot be stored in a checkpoint; accepted: numbers, "
            "strings, booleans, None, numpy arrays, and lists and dicts of these"
        )

    return {name: walk(state, name) for name, state in states.items()}


def decode(tree: Any, arrays: dict[str, np.ndarray]) -> Any:
    """The state that :func:`encode` split into ``tree`` and ``arrays``."""
    if isinstance(tree, dict):
        if set(tree) == {_ARRAY}:
            return arrays[tree[_ARRAY]]
        return {key: decode(item, arrays) for key, item in tree.items()}
    if isinstance(tree, list):
        return [decode(item, arrays) for item in tree]
    return tree


# -- flows -------------------------------------------------------------------------------
def flow_class_name(flow: Flow) -> str:
    """``module.QualifiedName`` of the flow's class."""
    return f"{type(flow).__module__}.{type(flow).__qualname__}"


def _rebuildable(qualified: str) -> type[Flow] | None:
    """The class of :mod:`wgflow.flows` named ``qualified``, or ``None``."""
    from . import flows

    cls = getattr(flows, qualified.rpartition(".")[2], None)
    if not (isinstance(cls, type) and issubclass(cls, Flow)):
        return None
    return cls if f"{cls.__module__}.{cls.__qualname__}" == qualified else None


# -- checkpoints -------------------------------------------------------------------------
def check_checkpoint_path(path: object) -> Path:
    """``path`` as a :class:`~pathlib.Path` of a file that can be written: its directory
    exists and it is not itself a directory.

    Raises
    ------
    WgflowError
        Naming the path and what is wrong.
    """
    if not isinstance(path, (str, os.PathLike)) or not str(path):
        raise WgflowError(f"checkpoint must be a file path (str or Path), got {path!r}")
    path = Path(path)
    folder = path.parent
    if not folder.is_dir():
        raise WgflowError(
            f"checkpoint = {str(path)!r}: its directory {str(folder)!r} does not exist; "
            "accepted: a file in an existing directory"
        )
    if path.is_dir():
        raise WgflowError(f"checkpoint = {str(path)!r} is a directory; accepted: a file path")
    return path


def check_checkpoint_every(value: object) -> int:
    """``checkpoint_every`` as an int ``>= 1`` (:data:`DEFAULT_CHECKPOINT_EVERY` for
    ``None``), else a :class:`~wgflow.errors.WgflowError` naming it."""
    if value is None:
        return DEFAULT_CHECKPOINT_EVERY
    return check_integer("checkpoint_every", value, 1)  # type: ignore[arg-type]


def check_options(options: dict[str, Any]) -> dict[str, Any]:
    """The solver options of a run with a checkpoint, which must be stored in it: numbers,
    strings, booleans and ``None``.

    Raises
    ------
    WgflowError
        Naming an option of another type (an array backend, a function).
    """
    for name, value in options.items():
        if not (value is None or isinstance(value, (bool, np.bool_, str, numbers.Real))):
            raise WgflowError(
                f"option {name} = {value!r} cannot be stored in a checkpoint; accepted with "
                "checkpoint=: numbers, strings, booleans or None (e.g. backend='jax' rather "
                "than an array)"
            )
    return {name: value.item() if isinstance(value, np.generic) else value
            for name, value in options.items()}


class CheckpointWriter:
    """Writes the checkpoints of one run: what the run is, fixed when it starts, and its
    state at each call of :meth:`write`.

    Parameters
    ----------
    path : Path
        The checkpoint file (replaced, atomically, at every write).
    every : int
        Steps between two checkpoints.
    run : dict
        What the run is, besides its flow and initial density: ``method``, ``options``,
        ``t_end``, ``dt``, ``track``, ``t_eval``, ``maps``, ``rtol``, ``checkpoint_every``
        (:data:`RUN_KEYS`; JSON-compatible).
    flow : Flow
    rho0 : Density
    """

    def __init__(self, path: Path, every: int, run: dict[str, Any], flow: Flow, rho0: Density):
        self.path = path
        self.every = every
        fingerprint = flow.fingerprint(rho0.grid)
        self._meta = {
            "run": run,
            "flow": {
                "class": flow_class_name(flow), "name": flow.name, "repr": repr(flow),
                "parameters": flow.parameters(), "fingerprint": sorted(fingerprint),
            },
            "grid": {"bounds": rho0.grid.bounds, "shape": rho0.grid.shape},
            "rho0_age": rho0.age,
        }
        self._arrays = {"rho0": rho0.values, **{f"flow/{k}": v for k, v in fingerprint.items()}}

    def claim(self) -> None:
        """Make the file this run's before its first checkpoint: check that its directory
        can be written to, and remove a file already there (it holds another run, which a
        resume must not take for this one if this run stops before its first checkpoint).

        Raises
        ------
        WgflowError
            If the directory cannot be written to.
        """
        folder = self.path.parent
        if not os.access(folder, os.W_OK | os.X_OK):
            raise WgflowError(
                f"checkpoint = {str(self.path)!r}: its directory {str(folder)!r} cannot be "
                "written to; accepted: a file in a writable directory"
            )
        self.path.unlink(missing_ok=True)

    def write(self, state: dict[str, Any], before_last: dict[str, Any] | None = None) -> None:
        """Replace the file by one holding ``state`` and, for a run whose last step was
        shorter than ``dt``, the state before that step (``before_last``: a resumed run that
        goes further takes that step again, as a whole one)."""
        arrays = dict(self._arrays)
        trees = encode({"state": state, "before_last": before_last}, arrays)
        write_archive(self.path, CHECKPOINT, {**self._meta, **trees}, arrays)


@dataclass
class Checkpoint:
    """A checkpoint read back (:func:`read_checkpoint`).

    Attributes
    ----------
    path : Path
    run : dict
        What the run is: ``method``, ``options``, ``t_end``, ``dt``, ``track``, ``t_eval``,
        ``maps``, ``rtol``, ``checkpoint_every``.
    flow : dict
        The flow's class, name, repr, parameters and the names of its fingerprint arrays.
    fingerprint : dict of str to ndarray
        :meth:`~wgflow.flows.Flow.fingerprint` of the run's flow on its grid.
    rho0 : Density
        The initial density.
    state : dict
        The run's state when the checkpoint was written.
    before_last : dict or None
        The state before the run's last step, when it was shorter than ``dt``.
    version : int
        The file's format version.
    """

    path: Path
    run: dict[str, Any]
    flow: dict[str, Any]
    fingerprint: dict[str, np.ndarray]
    rho0: Density
    state: dict[str, Any]
    before_last: dict[str, Any] | None
    version: int

    @property
    def time(self) -> float:
        """The run's time in the checkpoint."""
        return float(self.state["solver"]["t"])

    def flow_for(self, flow: Flow | None) -> Flow:
        """The flow of the run: rebuilt from the file when ``flow`` is ``None`` (a flow of
        :mod:`wgflow.flows` made only of numbers), else ``flow`` once checked against it.

        Raises
        ------
        WgflowError
            If the flow cannot be rebuilt (it holds functions: pass it again), or ``flow``
            differs from the checkpoint's: another class, other parameters, or other
            values on the checkpoint's grid (or it does not fit that grid); the message
            says which.
        """
        saved = self.flow
        if flow is None:
            cls = _rebuildable(saved["class"])
            if cls is None or saved["parameters"] is None:
                raise WgflowError(
                    f"the run in {self.path} is of the flow {saved['repr']} "
                    f"({saved['class']}), which holds functions or is not one of wgflow.flows: "
                    f"it cannot be rebuilt from the file; pass it again: "
                    f"wg.resume({str(self.path)!r}, flow=...)"
                )
            return cls(**saved["parameters"])
        if not isinstance(flow, Flow):
            raise WgflowError(f"flow must be a wgflow flow, got {type(flow).__name__}")
        if flow_class_name(flow) != saved["class"]:
            raise WgflowError(
                f"flow = {flow!r} ({flow_class_name(flow)}) is not the flow of the run in "
                f"{self.path}: {saved['repr']} ({saved['class']})"
            )
        if flow.parameters() != saved["parameters"]:
            raise WgflowError(
                f"flow = {flow!r} has the parameters {flow.parameters()}, the flow of the "
                f"run in {self.path} {saved['parameters']}"
            )
        grid = self.rho0.grid
        try:
            mine = flow.fingerprint(grid)
        except WgflowError as exc:
            raise WgflowError(
                f"flow = {flow!r} does not fit the grid of the run in {self.path}, {grid}: "
                f"{exc}"
            ) from None
        for name in sorted(set(mine) | set(self.fingerprint)):
            _check_same_values(flow, name, mine.get(name), self.fingerprint.get(name), self.path,
                               grid)
        return flow


def _check_same_values(
    flow: Flow, name: str, mine: np.ndarray | None, saved: np.ndarray | None, path: Path,
    grid: Grid,
) -> None:
    """Raise unless the fingerprint arrays ``name`` agree to round-off (relative 1e-12)."""
    if mine is None or saved is None or mine.shape != saved.shape:
        shapes = (None if a is None else a.shape for a in (mine, saved))
        raise WgflowError(
            f"flow = {flow!r} does not fit the grid of the run in {path}, {grid}: its {name} "
            "has the shape {} there, the run's {}".format(*shapes)
        )
    scale = float(np.max(np.abs(saved), initial=0.0))
    gap = float(np.max(np.abs(mine - saved), initial=0.0))
    if not gap <= 1e-12 * scale:
        raise WgflowError(
            f"flow = {flow!r} is not the flow of the run in {path}: its {name} on the run's "
            f"grid differs by up to {gap:.3g} (of {scale:.3g})"
        )


def read_checkpoint(path: str | Path) -> Checkpoint:
    """Read a checkpoint written by :func:`wgflow.solve` (``checkpoint=``).

    Raises
    ------
    WgflowError
        If ``path`` is not a checkpoint this wgflow reads (:func:`read_archive`) or its
        content is not consistent; the message names the file.
    """
    meta, arrays = read_archive(path, CHECKPOINT)
    try:
        grid = Grid(meta["grid"]["bounds"], tuple(meta["grid"]["shape"]))
        age = meta["rho0_age"]
        rho0 = Density(grid, arrays["rho0"], age=None if age is None else float(age))
        fingerprint = {name: arrays[f"flow/{name}"] for name in meta["flow"]["fingerprint"]}
        state = decode(meta["state"], arrays)
        before_last = decode(meta["before_last"], arrays)
        run = meta["run"]
        missing = [key for key in RUN_KEYS if key not in run]
        if missing:
            raise KeyError(f"the run's {missing} are missing")
        int(state["steps_done"])
        if not math.isfinite(float(state["solver"]["t"])):
            raise ValueError("its time is not finite")
    except (KeyError, TypeError, ValueError, IndexError) as exc:
        raise WgflowError(
            f"{path} is not a wgflow checkpoint this wgflow can use: its content is malformed "
            f"({type(exc).__name__}: {exc})"
        ) from None
    return Checkpoint(Path(path), run, meta["flow"], fingerprint, rho0, state, before_last,
                      meta["version"])
