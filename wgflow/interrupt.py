"""Interrupts of a run: Ctrl-C (SIGINT) and SIGTERM end :func:`wgflow.solve` cleanly.

Inside :class:`InterruptGuard` the first SIGINT or SIGTERM only sets
:attr:`InterruptGuard.received`; the solver finishes its current step, so no state is left
half updated, and :func:`wgflow.solve` then returns what it has computed with
``success=False``, a message saying where it was interrupted and
``result.interrupted`` set to the signal's name (and flushes its checkpoint first, when it
has one).  A second signal while the first is pending raises :class:`KeyboardInterrupt`
at once, for a step that takes too long to wait for; the checkpoint file then still holds
its last complete state (files are replaced atomically).

Handlers are installed in the main thread only (Python delivers signals there), and the
previous handlers are put back when the block ends.  In any other thread -- a worker of
a thread pool or of a Dask cluster -- the guard does nothing: a signal keeps its usual
effect, so a worker that is killed stays killed.  A signal that the process ignores
(``SIG_IGN``, e.g. SIGINT of a job started in the background by a shell) or whose handler
was not installed from Python is left alone.
"""

from __future__ import annotations

import signal
import threading
from types import FrameType, TracebackType
from typing import Any

#: The signals a run stops at.
SIGNALS = (signal.SIGINT, signal.SIGTERM)
#: The exit status of the ``wgflow`` command after each signal: 128 + its number, the
#: convention of shells (130 after Ctrl-C, 143 after SIGTERM).
EXIT_STATUS = {sig.name: 128 + int(sig) for sig in SIGNALS}


class InterruptGuard:
    """A context manager that turns SIGINT and SIGTERM into a request to stop (module
    docstring).

    Parameters
    ----------
    signals : sequence of signal.Signals
        The signals to catch (default :data:`SIGNALS`).

    Attributes
    ----------
    received : signal.Signals or None
        The first signal caught, ``None`` while there was none.
    installed : bool
        Whether the guard installed handlers (only in the main thread).

    Examples
    --------
    >>> with InterruptGuard() as guard:
    ...     for step in range(3):
    ...         if guard.received is not None:
    ...             break
    >>> guard.received is None
    True
    """

    def __init__(self, signals: tuple[signal.Signals, ...] = SIGNALS):
        self.signals = signals
        self.received: signal.Signals | None = None
        self.installed = False
        self._previous: dict[signal.Signals, Any] = {}

    @property
    def name(self) -> str | None:
        """The name of the signal received (``"SIGINT"``, ``"SIGTERM"``), or ``None``."""
        return None if self.received is None else self.received.name

    def _handle(self, signum: int, frame: FrameType | None) -> None:
        if self.received is not None:
            raise KeyboardInterrupt(
                f"{signal.Signals(signum).name} received twice: stopping at once"
            )
        self.received = signal.Signals(signum)

    def __enter__(self) -> InterruptGuard:
        if threading.current_thread() is not threading.main_thread():
            return self
        for sig in self.signals:
            previous = signal.getsignal(sig)
            if previous is None or previous == signal.SIG_IGN:
                continue  # installed outside Python, or ignored: leave it as it is
            self._previous[sig] = previous
            signal.signal(sig, self._handle)
        self.installed = bool(self._previous)
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        for sig, previous in self._previous.items():
            signal.signal(sig, previous)
        self._previous.clear()
