"""``wgflow.sweep``: run a function over a list of parameters on a Dask cluster and
gather a table."""

from __future__ import annotations

import math
import uuid
from collections import deque
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import WgflowError, check_integer, check_positive
from ..result import SolveResult
from .cluster import DEFAULT_TIMEOUT, Outcome, connect, execute, require_dask
from .figures import (
    Figure,
    FigureChoice,
    FigureSpec,
    check_figures,
    check_parameter_names,
    run_figures,
)
from .params import RESERVED, Run, check_params
from .store import Store

if TYPE_CHECKING:
    import pandas
    from distributed import Client

#: ``callback(index, row)``: called with each row as it becomes available.
Callback = Callable[[int, dict[str, Any]], None]


class _Rows:
    """The rows of the table as they come: from the directory, or from the workers."""

    def __init__(
        self, runs: list[Run], choice: FigureChoice, store: Store | None,
        callback: Callback | None,
    ):
        self.runs = runs
        self.choice = choice
        self.store = store
        self.callback = callback
        self.parameters = list(dict.fromkeys(name for run in runs for name in run.plain))
        self.rows: list[dict[str, Any] | None] = [None] * len(runs)

    def _set(self, run: Run, row: dict[str, Any]) -> None:
        self.rows[run.index] = row
        if self.callback is not None:
            self.callback(run.index, dict(row))

    def _row(
        self, run: Run, success: bool, message: str, error: str,
        figures: Mapping[str, Figure], seconds: float, resumed: bool, file: str,
    ) -> dict[str, Any]:
        return {**run.plain, "success": success, "message": message, "error": error,
                **figures, "seconds": seconds, "resumed": resumed, "file": file}

    def _from_value(
        self, run: Run, value: SolveResult | dict[str, Figure], seconds: float,
        resumed: bool, file: str,
    ) -> dict[str, Any]:
        """The row of a run that returned ``value``."""
        try:
            figures = run_figures(value, self.choice, self.parameters)
        except WgflowError as exc:
            return self._row(run, False, str(exc), type(exc).__name__, {}, seconds, resumed,
                             file)
        if isinstance(value, SolveResult):
            return self._row(run, value.success, value.message, "", figures, seconds,
                             resumed, file)
        return self._row(run, True, "", "", figures, seconds, resumed, file)

    def resume(self) -> list[Run]:
        """Fill the rows of the runs stored in the directory; return the others."""
        todo = []
        for run in self.runs:
            stored = None if self.store is None else self.store.load(run)
            if stored is None:
                todo.append(run)
            else:
                self._set(run, self._from_value(run, stored.value, stored.seconds, True,
                                                stored.file))
        return todo

    def finish(self, run: Run, outcome: Outcome) -> None:
        """Store the outcome of ``run`` (when it returned) and fill its row.

        Raises
        ------
        OSError
            If the directory cannot be written (the sweep stops; what is stored stays).
        """
        if outcome.value is None:
            self._set(run, self._row(run, False, outcome.message, outcome.error, {},
                                     outcome.seconds, False, ""))
            return
        file = ""
        if self.store is not None:
            try:
                file = self.store.save(run, outcome.value, outcome.seconds, outcome.worker)
            except OSError:
                raise
            except Exception as exc:  # e.g. settings that a result file cannot hold
                self._set(run, self._row(run, False, f"cannot store the result: {exc}",
                                         type(exc).__name__, {}, outcome.seconds, False, ""))
                return
        self._set(run, self._from_value(run, outcome.value, outcome.seconds, False, file))

    def table(self) -> pandas.DataFrame:
        """The table: one row per run in the order of the parameters."""
        import pandas

        rows = [row for row in self.rows if row is not None]
        fixed = {*self.parameters, *RESERVED}
        figures = dict.fromkeys(name for row in rows for name in row if name not in fixed)
        columns = [*self.parameters, "success", "message", "error", *figures,
                   "seconds", "resumed", "file"]
        frame = pandas.DataFrame(rows, columns=columns)
        frame.index.name = "run"
        return frame


def _check_client(client: object) -> None:
    from distributed import Client

    if client is not None and not isinstance(client, (str, Client)):
        raise WgflowError(
            f"client must be None (an embedded LocalCluster), a scheduler address such as "
            f"'tcp://127.0.0.1:8786', or a distributed.Client, got {type(client).__name__}"
        )


def _run_all(client: Client, run: Callable[..., Any], todo: list[Run], rows: _Rows) -> None:
    """Run every run of ``todo`` and fill the rows as they finish.

    The runs are submitted in order, as many at a time as the cluster has threads (counted
    again as each run finishes, so that workers may come and go): each worker holds the one
    run it executes, so a worker that dies takes no queued run down with it, and Dask's
    count of the workers a run killed (``distributed.scheduler.allowed-failures``) charges
    the run that killed them.  The runs left are cancelled when anything (an interrupt, a
    directory that cannot be written) stops the sweep.
    """
    from distributed import as_completed

    token = uuid.uuid4().hex[:8]
    waiting = deque(todo)
    running: dict[Any, Run] = {}
    completed = as_completed(loop=client.loop)

    def submit() -> None:
        slots = max(1, sum(client.nthreads().values()))
        while waiting and len(running) < slots:
            item = waiting.popleft()
            future = client.submit(execute, run, item.params,
                                   key=f"wgflow-sweep-{token}-{item.index}")
            running[future] = item
            completed.add(future)

    try:
        submit()
        for future in completed:
            item = running.pop(future)
            try:
                outcome = future.result()
            except Exception as exc:  # the worker died (KilledWorker), the run was cancelled
                outcome = Outcome(None, type(exc).__name__, str(exc), math.nan, "")
            rows.finish(item, outcome)
            submit()
    finally:
        if running:
            client.cancel(list(running))


def sweep(
    run: Callable[[dict[str, Any]], SolveResult | Mapping[str, Figure]],
    params: list[dict[str, Any]],
    client: Client | str | None = None,
    directory: str | Path | None = None,
    *,
    figures: FigureSpec = None,
    n_workers: int | None = None,
    timeout: float = DEFAULT_TIMEOUT,
    callback: Callback | None = None,
) -> pandas.DataFrame:
    """Run ``run(p)`` for every parameter dict ``p`` of ``params`` on a Dask cluster and
    gather one row per run.

    Parameters
    ----------
    run : callable
        ``run(p)`` returns a :class:`~wgflow.result.SolveResult` or a dict of figures
        (numbers).  It runs on the workers (one BLAS thread each, in a worker thread), so
        it must be picklable: a module-level function, or one defined in the main script
        (then call ``sweep`` under ``if __name__ == "__main__":``, the workers import the
        script).
    params : list of dict
        One dict of parameters per run, e.g. :func:`sweep_product`; values are numbers,
        strings, booleans, ``None`` or lists of these.
    client : None, str or distributed.Client
        ``None`` (default): an embedded ``LocalCluster`` of ``n_workers`` processes with one
        thread each, started here and closed at the end.  A scheduler address or a
        ``Client``: that cluster, used as it is and never closed (an address is connected
        to, and that connection closed, here).
    directory : str or Path, optional
        Where each run's outcome is stored as it finishes (created if needed;
        :mod:`wgflow.sweeps.store`).  A sweep run again with the same directory loads the
        rows of the runs stored there and runs only the others.  ``None``: nothing is
        stored.
    figures : list of str or callable, optional
        Figures beside the defaults (:func:`solve_figures` of a result, the entries of a
        dict): names looked up in each result (a tracked functional, a ``statistics`` or
        ``settings`` entry: :func:`~wgflow.sweeps.figures.named_figure`), or a function of
        the run's value that returns a dict of numbers.
    n_workers : int, optional
        Workers of the embedded cluster (default: the number of cores).  Only with
        ``client=None``.
    timeout : float
        Seconds to wait for a scheduler to answer and for a worker to join it (default 10).
    callback : callable, optional
        ``callback(index, row)`` is called with each row (a dict) as it becomes available:
        first those loaded from ``directory``, then each run as it finishes.

    Returns
    -------
    pandas.DataFrame
        One row per run, in the order of ``params`` (index ``run``).  Columns: the
        parameters; ``success`` (False for a run that raised, whose worker died, or whose
        solver stopped early); ``message`` (the solver's message, or the exception's);
        ``error`` (the exception's type, e.g. ``"WgflowError"`` or ``"KilledWorker"``;
        empty if the run returned); the figures; ``seconds`` (the run's time on its
        worker); ``resumed`` (loaded from ``directory``, not run now); ``file`` (the
        stored result in ``directory``).

    Raises
    ------
    WgflowError
        Before any run starts: if ``run`` is not callable, ``params`` is not a list of
        dicts of plain values, ``figures``, ``n_workers``, ``timeout`` or ``client`` is
        bad, ``directory`` cannot be created, or the scheduler cannot be reached (or has
        no worker) within ``timeout``.
    OSError
        If a result cannot be written to ``directory`` (the runs stored so far stay).

    Notes
    -----
    A run that raises, or whose worker dies (Dask gives it to another worker first, up to
    ``distributed.scheduler.allowed-failures`` times), is a row with ``success=False``,
    not a failed sweep; it is not stored, so a resumed sweep runs it again.
    """
    require_dask()
    if not callable(run):
        raise WgflowError(f"run must be a function of a parameter dict, got {run!r}")
    runs = check_params(params)
    names = list(dict.fromkeys(name for item in runs for name in item.plain))
    check_parameter_names(names)
    choice = check_figures(figures, names)
    _check_client(client)
    if n_workers is not None:
        if client is not None:
            raise WgflowError(
                f"n_workers = {n_workers!r} applies to the embedded cluster (client=None) "
                "only; an existing cluster keeps its workers"
            )
        check_integer("n_workers", n_workers)
    timeout = check_positive("timeout", timeout)
    if callback is not None and not callable(callback):
        raise WgflowError(f"callback must be a function (index, row), got {callback!r}")
    store = None if directory is None else Store(directory, len(runs))
    rows = _Rows(runs, choice, store, callback)
    todo = rows.resume()
    if todo:
        with connect(client, n_workers, timeout) as dask_client:
            _run_all(dask_client, run, todo, rows)
    return rows.table()
