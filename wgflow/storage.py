"""Atomic file writes: every file wgflow writes is first written in full to a temporary file
beside its target and then renamed over it, so that a crash or a kill leaves either the old
file or the new one, never a truncated one."""

from __future__ import annotations

import contextlib
import os
import secrets
from collections.abc import Iterator
from pathlib import Path


def _fsync(path: Path) -> None:
    """Flush ``path`` (a file or a directory) to the disk, where the platform allows it."""
    flags = os.O_RDONLY | getattr(os, "O_DIRECTORY", 0) if path.is_dir() else os.O_RDONLY
    try:
        fd = os.open(path, flags)
    except OSError:  # a directory cannot be opened on Windows: the rename is still atomic
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


@contextlib.contextmanager
def atomic_write(path: str | Path) -> Iterator[Path]:
    """Write ``path`` atomically: yield a temporary path in the same directory, with the same
    suffix (so that ``numpy.savez`` and ``matplotlib`` see the format they expect), then flush
    it and rename it over ``path`` when the block ends normally, or remove it when the block
    raises.

    Parameters
    ----------
    path : str or Path
        The file to write. Its directory must exist.

    Yields
    ------
    Path
        The temporary file to write to (it does not exist yet).

    Examples
    --------
    >>> import numpy as np, tempfile, pathlib
    >>> target = pathlib.Path(tempfile.mkdtemp()) / "values.npz"
    >>> with atomic_write(target) as tmp:
    ...     np.savez(tmp, x=np.arange(3))
    >>> sorted(p.name for p in target.parent.iterdir())
    ['values.npz']
    """
    target = Path(path)
    temporary = target.with_name(f".{target.stem}.{secrets.token_hex(6)}.tmp{target.suffix}")
    try:
        yield temporary
        _fsync(temporary)
        os.replace(temporary, target)
    finally:
        temporary.unlink(missing_ok=True)
    _fsync(target.parent)
