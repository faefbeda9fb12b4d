"""The data of ``wgflow run --input FILE``: sample points (text or ``.npy``) or a density saved
by wgflow (``.npz``), the bandwidths of their kernel density estimate and the box that holds
them.

File formats, chosen by the file's extension (any case):

* text (``.csv``, ``.tsv``, ``.txt``, ``.dat``): one point a row, its coordinates separated by
  commas and/or white space; blank lines and everything from ``#`` to the end of a line are
  skipped; the first remaining line is a header (column names, skipped) when one of its
  fields is not a number; any later field that is not a number is an error;
* ``.npy``: an array of shape ``(k, d)``, one point a row (a 1-D array of shape ``(k,)`` is
  ``k`` points on a line);
* ``.npz``: a result written by :meth:`wgflow.result.SolveResult.save` (``wgflow run`` writes one);
  its final density is the data, with its grid and its :attr:`~wgflow.density.Density.age`.

The points themselves are checked by the library (:func:`wgflow.errors.check_points`: finite,
``d`` = 1, 2 or 3 columns); this module adds the checks that concern the file.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ..density import Density
from ..errors import WgflowError, check_points
from ..grid import Grid
from ..kde import kde_bandwidths
from ..result import SolveResult

#: Extensions of text files of samples.
TEXT_SUFFIXES = (".csv", ".tsv", ".txt", ".dat")
#: Extension of a NumPy array of samples.
NPY_SUFFIX = ".npy"
#: Extension of a result saved by wgflow.
RESULT_SUFFIX = ".npz"
INPUT_SUFFIXES = (*TEXT_SUFFIXES, NPY_SUFFIX, RESULT_SUFFIX)
#: Default ``--bandwidth`` of the kernel density estimate of samples.
DEFAULT_BANDWIDTH = "scott"
#: The default box of samples is their range widened on each side by this many bandwidths ...
MARGIN_BANDWIDTHS = 3.0
#: ... plus this fraction of the range.
MARGIN_FRACTION = 0.1


def bandwidth_value(text: str) -> float | str:
    """The value of ``--bandwidth``: a number, or else a rule name (lower case).

    Its range and the rule names are checked by the library when the estimate is made
    (:func:`sample_bandwidths`).
    """
    try:
        return float(text)
    except ValueError:
        return text.strip().lower()


def is_histogram(bandwidth: float | str) -> bool:
    """Whether ``--bandwidth`` asks for the histogram (``0``) rather than a kernel estimate."""
    return not isinstance(bandwidth, str) and bandwidth == 0


def read_input(path: str | Path) -> np.ndarray | Density:
    """The data of ``--input path``: samples as a ``(k, d)`` array, or a saved density.

    Parameters
    ----------
    path : str or Path
        A text or ``.npy`` file of samples, or an ``.npz`` result of wgflow (see the module
        docstring).

    Returns
    -------
    ndarray or Density
        The samples (finite, ``k >= 2`` rows, ``d`` = 1, 2 or 3 columns), or the final
        density of the saved result.

    Raises
    ------
    WgflowError
        If the file is missing, empty, unreadable, of another format, or its samples are not
        numbers, not finite, fewer than two or of a dimension other than 1, 2, 3; the message
        names the file and the bad value.
    """
    path = Path(path)
    if not path.is_file():
        problem = "is not a file" if path.exists() else "does not exist"
        raise WgflowError(f"--input {path} {problem}")
    if path.stat().st_size == 0:
        raise WgflowError(f"--input {path} is empty; accepted: one point a row")
    suffix = path.suffix.lower()
    if suffix == RESULT_SUFFIX:
        return SolveResult.load(path).final
    if suffix == NPY_SUFFIX:
        raw = _read_npy(path)
    elif suffix in TEXT_SUFFIXES:
        raw = _read_text(path)
    else:
        raise WgflowError(
            f"--input {path}: unknown format {suffix or '(no extension)'!r}; accepted: "
            f"{', '.join(INPUT_SUFFIXES)} (text and .npy: samples; .npz: a wgflow result)"
        )
    samples = check_points(f"the samples of --input {path}", raw)
    if len(samples) < 2:
        raise WgflowError(
            f"--input {path} holds {len(samples)} point; accepted: at least two points"
        )
    return samples


def _read_npy(path: Path) -> np.ndarray:
    """The array of a ``.npy`` file (no pickled objects)."""
    try:
        return np.asarray(np.load(path, allow_pickle=False))
    except (OSError, ValueError, EOFError) as exc:
        raise WgflowError(f"--input {path} is not a NumPy .npy array: {exc}") from None


def _read_text(path: Path) -> np.ndarray:
    """The rows of numbers of a text file (see the module docstring for the format)."""
    try:
        lines = path.read_text().splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise WgflowError(f"--input {path} cannot be read as text: {exc}") from None
    rows: list[list[float]] = []
    header_allowed = True
    for number, line in enumerate(lines, start=1):
        fields = line.split("#", 1)[0].replace(",", " ").split()
        if not fields:
            continue
        row = _numbers(fields)
        if isinstance(row, str):
            if header_allowed:  # a first line of column names
                header_allowed = False
                continue
            raise WgflowError(
                f"--input {path}, line {number}: {row!r} is not a number; accepted: numbers "
                "separated by commas or spaces (one header line of names first, # comments)"
            )
        header_allowed = False
        if rows and len(row) != len(rows[0]):
            raise WgflowError(
                f"--input {path}, line {number} has {len(row)} values where the first row has "
                f"{len(rows[0])}; accepted: the same number of coordinates on every row"
            )
        rows.append(row)
    if not rows:
        raise WgflowError(f"--input {path} holds no numbers; accepted: one point a row")
    return np.array(rows)


def _numbers(fields: list[str]) -> list[float] | str:
    """The fields as numbers, or the first field that is not a number."""
    values = []
    for text in fields:
        try:
            values.append(float(text))
        except ValueError:
            return text
    return values


def sample_bandwidths(samples: np.ndarray, bandwidth: float | str) -> np.ndarray | None:
    """The bandwidth of each axis of the kernel density estimate of ``samples``, or ``None``
    for the histogram (``bandwidth == 0``).

    Parameters
    ----------
    samples : ndarray
        Checked points, shape ``(k, d)``.
    bandwidth : float or str
        The value of ``--bandwidth``: a number > 0, a rule name (``"scott"``,
        ``"silverman"``), or 0.

    Returns
    -------
    ndarray or None
        Shape ``(d,)``, as :meth:`wgflow.density.Density.from_samples` computes them.

    Raises
    ------
    WgflowError
        For a negative or non-finite number, an unknown rule, or a rule that gives a zero
        bandwidth (the library's message, after the option).
    """
    if is_histogram(bandwidth):
        return None
    unit_box = Grid([(0.0, 1.0)] * samples.shape[1], 2)  # only its dimension is read
    try:
        return kde_bandwidths(unit_box, samples, np.ones(len(samples)), bandwidth)
    except WgflowError as exc:
        raise WgflowError(f"--bandwidth {bandwidth}: {exc}") from None


def sample_box(samples: np.ndarray, bandwidths: np.ndarray | None) -> list[tuple[float, float]]:
    """The default box of ``samples``: on each axis their range widened on both sides by
    :data:`MARGIN_BANDWIDTHS` bandwidths plus :data:`MARGIN_FRACTION` of the range.

    Parameters
    ----------
    samples : ndarray
        Points, shape ``(k, d)``.
    bandwidths : ndarray or None
        Per-axis bandwidths of the kernel estimate, ``None`` for the histogram.

    Returns
    -------
    list of (float, float)

    Raises
    ------
    WgflowError
        If the histogram's samples do not spread along an axis (the box would be flat).
    """
    lo, hi = samples.min(axis=0), samples.max(axis=0)
    margin = MARGIN_FRACTION * (hi - lo)
    if bandwidths is not None:
        margin = margin + MARGIN_BANDWIDTHS * bandwidths
    flat = np.flatnonzero(margin <= 0)
    if flat.size:
        axis = int(flat[0])
        raise WgflowError(
            f"the samples all lie at {float(lo[axis]):g} along axis {axis}: no box holds them "
            "with a margin; accepted: --bounds A B, or a --bandwidth other than 0"
        )
    return [(float(a), float(b)) for a, b in zip(lo - margin, hi + margin)]
