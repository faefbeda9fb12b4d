"""Parameter sweeps on Dask (wgflow.sweeps) against real Dask components: a scheduler and
worker processes started here (``python -m dask scheduler`` / ``worker``), and the embedded
``LocalCluster``.

The run functions are module-level so that the workers import them from this module (the
workers get this folder on their ``PYTHONPATH``; the embedded cluster's processes inherit
``sys.path``).  Every process a test starts is stopped by its fixture, also when the test
fails.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import dask
import numpy as np
import pytest
from _helpers import raises_naming
from distributed import Client
from threadpoolctl import threadpool_info, threadpool_limits

import wgflow as wg
from wgflow.sweeps import cluster as sweep_cluster, solve_figures, sweep, sweep_product
from wgflow.sweeps.figures import FigureChoice, check_figures, run_figures
from wgflow.sweeps.params import check_params, params_key
from wgflow.sweeps.store import Store

TESTS = Path(__file__).resolve().parent

# -- run functions (imported by the workers) ---------------------------------------------------


def porous_run(p: dict) -> wg.SolveResult:
    """A small JKO run of the porous-medium equation from a Barenblatt profile (m = 1 is bad
    input: the exponent must be > 1)."""
    grid = wg.Grid([(-1.0, 1.0)], 48)
    rho0 = wg.exact.barenblatt(grid, p["m"], 0.01, 0.01)
    return wg.solve(wg.flows.PorousMedium(p["m"]), rho0, 0.004, p["dt"],
                    track=["shannon", "tsallis:2", "mass"])


def logged_run(p: dict) -> wg.SolveResult:
    """``porous_run``, appending its parameters to the file ``p["log"]`` when called."""
    with open(p["log"], "a", encoding="utf-8") as log:
        log.write(json.dumps(p) + "\n")
    return porous_run(p)


def probe_run(p: dict) -> dict:
    """Where and how the run executes; ``crash`` kills its worker process."""
    if p.get("crash"):
        os._exit(3)
    blas = [lib["num_threads"] for lib in threadpool_info() if lib["user_api"] == "blas"]
    return {"pid": os.getpid(), "blas_threads": max(blas),
            "main_thread": threading.current_thread() is threading.main_thread(),
            "malloc_trim_set": "MALLOC_TRIM_THRESHOLD_" in os.environ}


def slow_run(p: dict) -> dict:
    """Marks its start and end in the folder ``p["marks"]`` and lasts ``p["sleep"]`` s."""
    marks = Path(p["marks"])
    (marks / f"start-{p['x']}-{os.getpid()}").touch()
    time.sleep(p["sleep"])
    (marks / f"end-{p['x']}-{os.getpid()}").touch()
    return {"square": p["x"] ** 2, "pid": os.getpid()}


def direct(run, p):
    """``run(p)`` in this process, with one BLAS thread as on the workers."""
    with threadpool_limits(limits=1):
        return run(p)


# -- a Dask cluster of separate processes ------------------------------------------------------


@contextlib.contextmanager
def dask_processes(folder: Path, n_workers: int) -> Iterator[tuple[str, list[subprocess.Popen]]]:
    """A scheduler and ``n_workers`` single-thread workers (no nanny: killing one kills it)
    on 127.0.0.1, each its own process; yields the address and the worker processes and
    kills every process it started, whatever happens."""
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(
        [str(TESTS), *filter(None, [os.environ.get("PYTHONPATH")])]))
    env.pop("OMP_NUM_THREADS", None)  # the sweep itself must make BLAS single-threaded
    env["PYTHONHASHSEED"] = "12345"  # string hashes unlike this process's (salted at random)
    processes: list[subprocess.Popen] = []

    def start(name: str, *args: str) -> subprocess.Popen:
        log = open(folder / f"{name}.log", "wb")  # noqa: SIM115 -- closed with the process
        process = subprocess.Popen([sys.executable, "-m", "dask", *args], stdout=log,
                                   stderr=subprocess.STDOUT, env=env, cwd=folder)
        log.close()
        processes.append(process)
        return process

    def alive() -> None:
        dead = [p.args for p in processes if p.poll() is not None]
        assert not dead, f"a Dask process exited early: {dead}; logs in {folder}"

    try:
        scheduler_file = folder / "scheduler.json"
        start("scheduler", "scheduler", "--host", "127.0.0.1", "--port", "0", "--no-dashboard",
              "--scheduler-file", str(scheduler_file), "--idle-timeout", "300")
        while not scheduler_file.exists():
            alive()
            time.sleep(0.05)
        address = json.loads(scheduler_file.read_text())["address"]
        workers = [
            start(f"worker{i}", "worker", address, "--nthreads", "1", "--no-nanny",
                  "--no-dashboard", "--name", f"w{i}", "--death-timeout", "60",
                  "--local-directory", str(folder / "scratch"))
            for i in range(n_workers)
        ]
        with Client(address, set_as_default=False) as client:
            while len(client.nthreads()) < n_workers:
                alive()
                time.sleep(0.05)
        yield address, workers
    finally:  # they hold nothing worth a graceful close (which can hang in Dask)
        for process in processes:
            if process.poll() is None:
                process.kill()
            process.wait()


@pytest.fixture(scope="module")
def cluster(tmp_path_factory) -> Iterator[str]:
    """The address of a scheduler with two workers, shared by the tests of this module."""
    with dask_processes(tmp_path_factory.mktemp("dask"), 2) as (address, _):
        yield address


# -- parameters ------------------------------------------------------------------------------


def test_sweep_product_varies_the_first_list_slowest():
    assert sweep_product(m=[2, 3], dt=[1e-3, 5e-4]) == [
        {"m": 2, "dt": 1e-3}, {"m": 2, "dt": 5e-4}, {"m": 3, "dt": 1e-3}, {"m": 3, "dt": 5e-4}]
    assert sweep_product() == [{}]


def test_sweep_product_rejects_a_value_that_is_not_a_list():
    with raises_naming("m", "list", "m=[2]"):
        sweep_product(m=2)
    with raises_naming("dt", "empty"):
        sweep_product(m=[2], dt=[])


def test_params_become_plain_values():
    (run,) = check_params([{"m": np.float64(2.0), "n": np.int64(3), "b": (1, 2)}])
    assert run.plain == {"m": 2.0, "n": 3, "b": [1, 2]}
    assert type(run.plain["m"]) is float and type(run.plain["n"]) is int


@pytest.mark.parametrize("params, fragments", [
    ({"m": 2}, ("params must be a list", "dict")),
    ([{"m": 2}, 3], ("params[1]", "dict")),
    ([{"m": object()}], ("params[0]['m']", "object", "accepted")),
    ([{"success": 1}], ("'success'", "reserved")),
    ([{"steps": 10}], ("'steps'", "figure of every SolveResult", "'n_steps'")),
    ([{"final_shannon": 1.0}], ("'final_shannon'", "final_<tracker>")),
    ([{1: 2}], ("params[0]", "1", "strings")),
    ([{"m": 2, "dt": 0.1}, {"dt": 0.1, "m": 2}], ("params[1] repeats params[0]",)),
])
def test_bad_params_are_refused_before_any_run(params, fragments, tmp_path):
    with raises_naming(*fragments):
        sweep(probe_run, params, directory=tmp_path / "out")
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("kwargs, fragments", [
    ({"run": 3}, ("run must be a function", "3")),
    ({"figures": "gamma"}, ("figures must be a list of names", "'gamma'")),
    ({"figures": ["x"]}, ("'x'", "parameter")),
    ({"n_workers": 0}, ("n_workers", ">= 1", "0")),
    ({"n_workers": 2, "client": "tcp://127.0.0.1:1"}, ("n_workers", "embedded")),
    ({"client": 8786}, ("client must be", "int")),
    ({"timeout": -1}, ("timeout", "-1")),
    ({"callback": "print"}, ("callback", "'print'")),
])
def test_bad_arguments_are_refused_before_any_run(kwargs, fragments):
    arguments = {"run": probe_run, "params": [{"x": 1}], **kwargs}
    with raises_naming(*fragments):
        sweep(**arguments)


def test_no_params_give_an_empty_table_without_a_cluster():
    table = sweep(probe_run, [], client="tcp://127.0.0.1:1")  # never contacted
    assert table.empty and list(table.columns) == [
        "success", "message", "error", "seconds", "resumed", "file"]


def test_a_directory_that_cannot_be_created_is_refused(tmp_path):
    (tmp_path / "file").write_text("in the way")
    with raises_naming("directory", "file", "cannot be created"):
        sweep(probe_run, [{"x": 1}], directory=tmp_path / "file" / "sub")


def test_an_unreachable_scheduler_is_refused_within_the_timeout(tmp_path):
    import socket

    with socket.socket() as sock:  # a port that nothing listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    address = f"tcp://127.0.0.1:{port}"
    log = tmp_path / "calls.txt"
    with raises_naming(address, "cannot reach"):
        sweep(logged_run, [{"m": 2.0, "dt": 1e-3, "log": str(log)}], client=address,
              timeout=1)
    assert not log.exists()


# -- figures and the directory (no cluster) ----------------------------------------------------


def test_solve_figures_of_a_result():
    result = direct(porous_run, {"m": 2.0, "dt": 1e-3})
    figures = solve_figures(result)
    mass0, mass1 = result.densities[0].mass, result.final.mass
    assert figures["t_final"] == result.times[-1] == pytest.approx(0.004, rel=1e-12)
    assert figures["steps"] == 4
    assert figures["mass_error"] == abs(mass1 - mass0) / mass0
    assert figures["sinkhorn_iterations"] == sum(result.statistics["sinkhorn_iterations"])
    for name in ("shannon", "tsallis:2", "mass"):
        assert figures[f"final_{name}"] == result.tracked[name][-1]
    assert figures["final_shannon"] == wg.functionals.ShannonEntropy()(result.final)
    assert "error_estimate" not in figures  # a forward run estimates no error


def test_named_and_computed_figures():
    result = direct(porous_run, {"m": 2.0, "dt": 1e-3})
    choice = check_figures(["gamma", "marginal_error", "shannon"], ["m", "dt"])
    figures = run_figures(result, choice, ["m", "dt"])
    assert figures["gamma"] == result.settings["gamma"]
    assert figures["marginal_error"] == result.statistics["marginal_error"][-1]
    assert figures["shannon"] == result.tracked["shannon"][-1]
    computed = run_figures(result, FigureChoice(function=lambda r: {"peak": r.final.values.max()}),
                           ["m"])
    assert computed["peak"] == result.final.values.max()
    with raises_naming("'nothing'", "gamma", "shannon"):
        run_figures(result, FigureChoice(names=("nothing",)), [])
    with raises_naming("'m'", "rename"):
        run_figures(result, FigureChoice(function=lambda r: {"m": 1.0}), ["m"])
    with raises_naming("'peak'", "str"):
        run_figures(result, FigureChoice(function=lambda r: {"peak": "high"}), [])
    with raises_naming("ZeroDivisionError"):
        run_figures(result, FigureChoice(function=lambda r: {"x": 1 / 0}), [])


def test_store_runs_again_what_it_cannot_read(tmp_path):
    (run,) = check_params([{"m": 2.0, "dt": 1e-3}])
    store = Store(tmp_path, 1)
    result = direct(porous_run, run.params)
    assert store.save(run, result, 1.5, "w") == f"{store.stem(run)}.npz"
    stored = store.load(run)
    assert stored is not None and stored.seconds == 1.5
    assert np.array_equal(stored.value.final.values, result.final.values)
    (tmp_path / f"{store.stem(run)}.npz").write_bytes(b"truncated")
    with pytest.warns(RuntimeWarning, match="runs again"):
        assert store.load(run) is None
    (tmp_path / f"{store.stem(run)}.json").write_text("{not json")
    with pytest.warns(RuntimeWarning, match="runs again"):
        assert store.load(run) is None


# -- an existing cluster of separate processes --------------------------------------------------


def test_sweep_on_an_existing_cluster(cluster, tmp_path):
    """Rows in parameter order, a run with bad input as a failed row, the figures and the
    stored results bitwise equal to calling the run directly, the cluster left as it was."""
    params = sweep_product(m=[2.0, 1.0, 3.0], dt=[1e-3, 5e-4])
    with Client(cluster, set_as_default=False) as client:
        table = sweep(porous_run, params, client=client, directory=tmp_path,
                      figures=["gamma"])
        assert client.status == "running" and len(client.nthreads()) == 2
        # the key that names a run's files is the same in another process (Python's own
        # hash of strings is salted per process) and whatever the order of the keys
        key = params_key(dict(reversed(params[0].items())))
        assert client.submit(params_key, params[0]).result() == key
    assert params_key({**params[0], "m": 2.0000000000000004}) != key
    assert table[["m", "dt"]].to_dict("records") == params
    assert list(table.index) == list(range(len(params)))
    bad = table[table["m"] == 1.0]
    assert len(bad) == 2 and not bad["success"].any()
    assert set(bad["error"]) == {"WgflowError"}
    assert all("exponent m" in message and "1.0" in message for message in bad["message"])
    assert (bad["file"] == "").all()
    good = table[table["m"] != 1.0]
    assert good["success"].all() and (good["error"] == "").all() and not good["resumed"].any()
    for index, row in good.iterrows():
        expected = direct(porous_run, params[index])
        figures = {**solve_figures(expected), "gamma": expected.settings["gamma"]}
        assert {name: row[name] for name in figures} == figures
        stored = wg.SolveResult.load(tmp_path / row["file"])
        assert np.array_equal(stored.times, expected.times)
        assert all(np.array_equal(a.values, b.values)
                   for a, b in zip(stored.densities, expected.densities))
        assert row["message"] == expected.message
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        [*good["file"], *(f.replace(".npz", ".json") for f in good["file"])])


def test_workers_run_with_one_blas_thread_off_the_main_thread(cluster):
    table = sweep(probe_run, [{"x": 1}, {"x": 2}], client=cluster)
    assert table["success"].all()
    assert (table["blas_threads"] == 1).all() and not table["main_thread"].any()
    assert os.getpid() not in set(table["pid"])


class Stop(Exception):
    """Stops a sweep from its callback (as an interrupt would)."""


def test_an_interrupted_sweep_resumes_without_running_stored_runs_again(cluster, tmp_path):
    log = tmp_path / "calls.txt"
    directory = tmp_path / "sweep"
    params = sweep_product(m=[2.0, 2.5, 3.0], dt=[1e-3, 5e-4], log=[str(log)])
    seen: dict[int, dict] = {}

    def stop_after_two(index, row):
        seen[index] = row
        if len(seen) == 2:
            raise Stop

    with pytest.raises(Stop):
        sweep(logged_run, params, client=cluster, directory=directory, callback=stop_after_two)
    stored = {index: directory / row["file"] for index, row in seen.items()}
    assert all(path.is_file() for path in stored.values())
    times = {index: (path.stat().st_mtime_ns, path.with_suffix(".json").stat().st_mtime_ns)
             for index, path in stored.items()}

    table = sweep(logged_run, params, client=cluster, directory=directory)
    assert table["success"].all() and len(table) == len(params)
    assert set(table.index[table["resumed"]]) == set(stored)
    for index, path in stored.items():
        assert (path.stat().st_mtime_ns, path.with_suffix(".json").stat().st_mtime_ns) \
            == times[index]
        figures = {name: seen[index][name] for name in solve_figures(direct(porous_run,
                                                                             params[index]))}
        assert {name: table.loc[index, name] for name in figures} == figures
    calls = [json.loads(line) for line in log.read_text().splitlines()]
    for index in stored:
        assert calls.count(params[index]) == 1
    for index in set(range(len(params))) - set(stored):
        assert calls.count(params[index]) >= 1
    # a third time, everything is on disk: nothing runs, not even a cluster is needed
    again = sweep(logged_run, params, client="tcp://127.0.0.1:1", directory=directory)
    assert again["resumed"].all()
    assert again.drop(columns="resumed").equals(table.drop(columns="resumed"))


def test_a_worker_killed_mid_sweep(tmp_path):
    """SIGKILL one of two workers while it runs; its run moves to the other worker and the
    sweep ends with every row."""
    marks = tmp_path / "marks"
    marks.mkdir()
    # short and long runs alternate, so that when one ends the other worker is mid-run
    params = [{"x": x, "sleep": 0.8 if x % 2 else 0.3, "marks": str(marks)} for x in range(6)]
    killed: dict[str, object] = {}

    def busy_runs() -> set[tuple[int, int]]:
        """(x, pid) of the runs started and not ended."""
        def marked(kind):
            return {tuple(map(int, p.name.split("-")[1:])) for p in marks.glob(f"{kind}-*")}
        return marked("start") - marked("end")

    with dask_processes(tmp_path, 2) as (address, workers):
        pids = {worker.pid for worker in workers}

        def kill_a_busy_worker(index, row):
            busy = busy_runs()
            if killed or not busy:
                return  # try again at the next row
            x, pid = sorted(busy)[0]
            assert pid in pids
            os.kill(pid, signal.SIGKILL)
            killed.update(pid=pid, runs={x for x, p in busy if p == pid})

        table = sweep(slow_run, params, client=address, callback=kill_a_busy_worker)
        assert killed, "no worker was busy when a row came in"
        victim = next(w for w in workers if w.pid == killed["pid"])
        assert victim.wait() == -signal.SIGKILL
    survivor = (pids - {killed["pid"]}).pop()
    assert len(table) == len(params) and table["success"].all()
    assert list(table["square"]) == [x * x for x in range(6)]
    for x in killed["runs"]:
        assert table.loc[x, "pid"] == survivor
        assert not (marks / f"end-{x}-{killed['pid']}").exists()


# -- the embedded cluster -----------------------------------------------------------------------


def test_the_embedded_cluster_and_a_run_that_kills_its_worker(monkeypatch):
    """By default a LocalCluster of default_workers() single-thread processes, closed at the
    end; a run that kills its worker is a failed row (KilledWorker), the others succeed."""
    asked = []

    def two_workers() -> int:
        asked.append(True)
        return 2

    monkeypatch.setattr(sweep_cluster, "default_workers", two_workers)
    params = [{"x": x, "crash": x == 2} for x in range(5)]
    names = [*dask.config.get("distributed.nanny.pre-spawn-environ"), "PYTHONHASHSEED"]
    environ = {name: os.environ.get(name) for name in names}
    with dask.config.set({"distributed.scheduler.allowed-failures": 0}):
        table = sweep(probe_run, params)
    assert asked
    # Dask's nanny wrote its workers' environment into this process's: put back
    assert {name: os.environ.get(name) for name in names} == environ
    # glibc's adaptive mmap threshold is kept (Dask's nanny would turn it off)
    assert not table["malloc_trim_set"].fillna(False).any()
    crashed = table.loc[2]
    assert not crashed["success"] and crashed["error"] == "KilledWorker"
    others = table.drop(index=2)
    assert others["success"].all() and list(others["x"]) == [0, 1, 3, 4]
    assert (others["blas_threads"] == 1).all() and not others["main_thread"].any()
    assert os.getpid() not in set(others["pid"])
    for pid in set(others["pid"]):  # the cluster is closed: its worker processes are gone
        with pytest.raises(ProcessLookupError):
            os.kill(int(pid), 0)


def test_default_workers_are_the_usable_cores():
    from dask.system import CPU_COUNT

    assert sweep_cluster.default_workers() == CPU_COUNT >= 1
