"""Where the runs of a sweep execute: the Dask cluster (an embedded one, or the user's) and
the task that each worker runs (:func:`execute`)."""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from threadpoolctl import threadpool_limits

from ..errors import WgflowError
from ..result import SolveResult
from .figures import Figure, check_figure_dict

if TYPE_CHECKING:
    from distributed import Client

#: Seconds to wait for a scheduler to answer, and for a worker to join it.
DEFAULT_TIMEOUT = 10.0


def require_dask() -> None:
    """Raise a clear ``ImportError`` if dask.distributed or pandas is missing."""
    try:
        import distributed  # noqa: F401
        import pandas  # noqa: F401
    except ImportError as exc:
        raise ImportError(
            f"wgflow's sweeps need dask.distributed and pandas ({exc}); install them with "
            "pip install 'wgflow[sweep]'"
        ) from exc


def default_workers() -> int:
    """The number of workers of the embedded cluster by default: the cores this process may
    use (``dask.system.CPU_COUNT``: CPU affinity and container quotas included)."""
    from dask.system import CPU_COUNT

    return int(CPU_COUNT)


@dataclass
class Outcome:
    """What one run gave back to the process that runs the sweep.

    Attributes
    ----------
    value : SolveResult or dict, optional
        What ``run`` returned (checked), or ``None`` if it raised or its worker died.
    error : str
        The name of the exception's type (``""`` if the run returned).
    message : str
        The exception's message (``""`` if the run returned).
    seconds : float
        The run's time on its worker (NaN if the worker died).
    worker : str
        The worker's address (``""`` outside a Dask worker).
    """

    value: SolveResult | dict[str, Figure] | None
    error: str
    message: str
    seconds: float
    worker: str


def _worker_address() -> str:
    from distributed import get_worker

    try:
        return str(get_worker().address)
    except ValueError:  # not in a worker
        return ""


def execute(run: Callable[[dict[str, Any]], Any], params: dict[str, Any]) -> Outcome:
    """Run ``run(params)`` on a worker with one BLAS thread (threadpoolctl), so that the
    workers of a machine do not contend for its cores, and catch what it raises.

    The task runs in a thread of the worker, not its main thread: nothing here installs a
    signal handler.

    Returns
    -------
    Outcome
        The checked value (a :class:`~wgflow.result.SolveResult` or a dict of numbers), or
        the exception's type and message.
    """
    worker = _worker_address()
    start = time.perf_counter()
    try:
        with threadpool_limits(limits=1):
            value = run(params)
        if not isinstance(value, SolveResult):
            if not isinstance(value, Mapping):
                raise WgflowError(
                    "run must return a wgflow.SolveResult or a dict of figures (numbers), got "
                    f"{type(value).__name__}"
                )
            value = check_figure_dict(value, "run")
    except Exception as exc:
        return Outcome(None, type(exc).__name__, str(exc), time.perf_counter() - start, worker)
    return Outcome(value, "", "", time.perf_counter() - start, worker)


def _wait_for_workers(client: Client, address: str, timeout: float) -> None:
    """Raise unless the scheduler at ``address`` has a worker within ``timeout`` seconds."""
    try:
        client.wait_for_workers(1, timeout=timeout)
    except (TimeoutError, OSError) as exc:
        raise WgflowError(
            f"the Dask scheduler at {address} has no worker (none joined within {timeout:g} "
            f"s: {exc}); start some, e.g. dask worker {address} --nthreads 1"
        ) from None


#: The entry of Dask's environment of the workers of a nanny that the embedded cluster
#: leaves out (:func:`_embedded_cluster`).
MALLOC_TRIM = "distributed.nanny.pre-spawn-environ.MALLOC_TRIM_THRESHOLD_"


@contextmanager
def _embedded_cluster(n_workers: int) -> Iterator[Any]:
    """A ``LocalCluster`` of ``n_workers`` processes with one thread each on 127.0.0.1,
    without dashboard, closed at the end.

    Dask's nanny sets ``MALLOC_TRIM_THRESHOLD_`` in its workers' environment, which turns off
    glibc's adaptive ``mmap`` threshold: each large temporary array of a run then comes from
    fresh pages of the kernel, which makes a JKO run on 128^2 cells about twice slower and
    more under load.  The embedded workers keep glibc's default; they still get Dask's one
    thread for OpenMP, MKL and OpenBLAS.  The nanny also writes that environment into this
    process's ``os.environ``: its variables are put back as they were when the cluster
    closes.
    """
    import dask
    from distributed import LocalCluster

    names = [*dask.config.get("distributed.nanny.pre-spawn-environ"), "PYTHONHASHSEED"]
    saved = {name: os.environ.get(name) for name in names}
    try:
        with dask.config.set({MALLOC_TRIM: None}):
            try:
                cluster = LocalCluster(
                    n_workers=n_workers, threads_per_worker=1, processes=True,
                    # what goes wrong in a run is in its row; Dask's own logs would only
                    # add the races of its shutdown (a heartbeat to a closed scheduler)
                    host="127.0.0.1", silence_logs=logging.CRITICAL,
                    # no dashboard; the scheduler's HTTP server (health, metrics) on a free port
                    dashboard_address=None, scheduler_kwargs={"dashboard_address": ":0"},
                )
            except RuntimeError as exc:
                raise RuntimeError(
                    f"the embedded Dask cluster could not start its workers ({exc}); the "
                    "workers import the main script, so in a script call the sweep under "
                    "if __name__ == '__main__':"
                ) from exc
        try:
            yield cluster
        finally:
            cluster.close()
    finally:
        _restore(saved)


def _restore(saved: dict[str, str | None]) -> None:
    """Put the environment variables ``saved`` back (``None``: not set)."""
    for name, value in saved.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value


@contextmanager
def connect(
    client: Client | str | None, n_workers: int | None, timeout: float
) -> Iterator[Client]:
    """A Dask client to run a sweep on.

    Parameters
    ----------
    client : distributed.Client, str or None
        ``None``: start an embedded ``LocalCluster`` of ``n_workers`` processes with one
        thread each, closed at the end.  A scheduler address (``"tcp://host:port"``):
        connect to it (only this connection is closed at the end).  A ``Client``: use it
        as it is (nothing is closed).
    n_workers : int, optional
        Workers of the embedded cluster (default :func:`default_workers`).
    timeout : float
        Seconds to wait for a scheduler to answer and for a worker to join it.

    Raises
    ------
    WgflowError
        If the scheduler cannot be reached, or has no worker, within ``timeout``.
    RuntimeError
        If the embedded cluster cannot start its workers.
    """
    from distributed import Client

    if client is None:
        with _embedded_cluster(default_workers() if n_workers is None else n_workers) as cluster:
            with Client(cluster, set_as_default=False) as embedded:
                yield embedded
    elif isinstance(client, str):
        try:
            connection = Client(client, timeout=timeout, set_as_default=False)
        except (OSError, ValueError, TypeError) as exc:
            raise WgflowError(
                f"cannot reach the Dask scheduler at {client!r} within {timeout:g} s: {exc}; "
                "accepted: the address of a running scheduler, e.g. tcp://127.0.0.1:8786"
            ) from None
        try:
            _wait_for_workers(connection, client, timeout)
            yield connection
        finally:
            connection.close()
    else:
        if client.status != "running":
            raise WgflowError(
                f"the Dask client is {client.status}; accepted: a running client"
            )
        _wait_for_workers(client, str(client.scheduler_info().get("address")), timeout)
        yield client
