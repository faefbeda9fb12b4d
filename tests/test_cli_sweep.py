"""``wgflow sweep SPEC.toml`` (wgflow.cli.sweep): the spec's checks, all made before any run
starts, and a sweep on the embedded Dask cluster, resumed."""

from __future__ import annotations

import argparse
import math
import socket

import numpy as np
import pandas
import pytest
from _helpers import raises_naming
from threadpoolctl import threadpool_limits

import wgflow as wg
from wgflow.cli import sweep as cli_sweep
from wgflow.cli.parser import build_parser
from wgflow.sweeps import solve_figures


def wgflow_sweep(*argv: str) -> int:
    """``wgflow sweep ARGV``, parsed by the parser that :func:`add_parser` adds."""
    parser = argparse.ArgumentParser(prog="wgflow")
    cli_sweep.add_parser(parser.add_subparsers(dest="command"))
    return cli_sweep.main(parser.parse_args(["sweep", *map(str, argv)]))


def write(tmp_path, text: str, name: str = "spec.toml"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


# -- the spec ----------------------------------------------------------------------------------


def test_the_spec_keys_are_the_options_of_wgflow_run():
    commands = next(a for a in build_parser()._actions if a.dest == "command")
    run = commands.choices["run"]
    options = {a.dest for a in run._actions} - {"help", "out", "no_progress"}
    assert set(cli_sweep.RUN_KEYS) == options
    defaults = {a.dest: a.default for a in run._actions if a.dest in options}
    assert {**defaults, "track": list(defaults["track"])} == cli_sweep.RUN_DEFAULTS


def test_lists_are_swept_in_the_order_of_the_file(tmp_path):
    spec = cli_sweep.read_spec(write(tmp_path, """
        flow = "porous-medium"
        m = [2, 3]
        t-end = [0.01, 0.02]
        bounds = [-1, 1]
        track = "shannon,mass"
        n = 32
        [sweep]
        directory = "out"
        figures = ["gamma"]
        timeout = 2
    """))
    assert spec.swept == ["m", "t_end"]
    assert [(p["m"], p["t_end"]) for p in spec.params] == [
        (2.0, 0.01), (2.0, 0.02), (3.0, 0.01), (3.0, 0.02)]
    assert spec.params[0] == {"flow": "porous-medium", "m": 2.0, "t_end": 0.01,
                              "bounds": [-1.0, 1.0], "track": ["shannon", "mass"], "n": 32}
    assert (spec.directory, spec.figures, spec.timeout) == ("out", ["gamma"], 2.0)
    assert spec.scheduler is None and spec.n_workers is None


def test_options_whose_values_are_lists_are_swept_by_lists_of_lists():
    spec = cli_sweep.check_spec({"flow": "heat", "bounds": [[-1, 1], [-2, 2]],
                                 "track": [["shannon"], "mass,renyi:2"]})
    assert spec.swept == ["bounds", "track"]
    assert [(p["bounds"], p["track"]) for p in spec.params] == [
        ([-1.0, 1.0], ["shannon"]), ([-1.0, 1.0], ["mass", "renyi:2"]),
        ([-2.0, 2.0], ["shannon"]), ([-2.0, 2.0], ["mass", "renyi:2"])]


@pytest.mark.parametrize("data, fragments", [
    ({"flow": "heat", "shape": [64, 64]}, ("unknown spec key 'shape'", "t_end", "flow", "n,")),
    ({"flow": "heat", "sweep": {"workers": 2}}, ("'workers'", "[sweep]", "n_workers")),
    ({"m": 2}, ("needs a flow", "heat")),
    ({"flow": 3}, ("flow = 3", "heat", "porous-medium")),
    ({"flow": "cold"}, ("flow = 'cold'", "heat")),
    ({"flow": "heat", "n": 64.5}, ("n = 64.5", "an integer")),
    ({"flow": "heat", "n": True}, ("n = True", "an integer")),
    ({"flow": "heat", "dim": 4}, ("dim = 4", "1, 2 or 3")),
    ({"flow": "porous-medium", "m": "two"}, ("m = 'two'", "a number")),
    ({"flow": "heat", "t_end": []}, ("t_end = []", "a number")),
    ({"flow": "heat", "bounds": 1.0}, ("bounds = 1.0", "pair [A, B]")),
    ({"flow": "heat", "bounds": [[-1, 1], 2]}, ("bounds", "pair [A, B]")),
    ({"flow": "heat", "track": 3}, ("track = 3", "tracker names")),
    ({"flow": "heat", "sweep": {"figures": "gamma"}}, ("figures = 'gamma'", "a list of names")),
    ({"flow": "heat", "sweep": {"n_workers": 0}}, ("n_workers", ">= 1")),
    ({"flow": "heat", "sweep": {"timeout": 0}}, ("timeout", "0")),
    ({"flow": "heat", "sweep": {"directory": 1}}, ("directory = 1", "a path")),
    ({"flow": "heat", "sweep": {"scheduler": "tcp://x:1", "n_workers": 2}},
     ("n_workers", "embedded", "tcp://x:1")),
    ({"flow": "heat", "sweep": 3}, ("sweep must be a table",)),
    # combinations that wgflow run refuses, named by their run and in the spec's words
    ({"flow": ["porous-medium", "heat"], "m": 2}, ("run 1 (flow = 'heat')", "m is used only")),
    ({"flow": "heat", "t_end": [0.01, -0.01]}, ("run 1 (t_end = -0.01)", "t_end must be")),
    ({"flow": "heat", "track": [["shannon"], ["entropy"]]}, ("run 1", "entropy")),
])
def test_a_bad_spec_is_refused(data, fragments):
    with raises_naming(*fragments):
        cli_sweep.check_spec(data)


def test_the_command_line_overrides_the_sweep_table():
    spec = cli_sweep.check_spec({"flow": "heat", "sweep": {"n_workers": 3, "directory": "a"}})
    args = argparse.Namespace(directory="b", scheduler="tcp://h:1", n_workers=None)
    spec = cli_sweep._overrides(spec, args)
    assert (spec.directory, spec.scheduler, spec.n_workers) == ("b", "tcp://h:1", None)
    spec = cli_sweep._overrides(cli_sweep.check_spec({"flow": "heat"}),
                                argparse.Namespace(directory=None, scheduler=None, n_workers=2))
    assert (spec.directory, spec.scheduler, spec.n_workers) == ("wgflow-sweep", None, 2)
    with raises_naming("--n-workers", ">= 1", "0"):
        cli_sweep._overrides(cli_sweep.check_spec({"flow": "heat"}),
                             argparse.Namespace(directory=None, scheduler=None, n_workers=0))


def test_a_spec_file_that_is_not_toml_or_missing(tmp_path):
    with raises_naming("spec.toml", "not valid TOML"):
        cli_sweep.read_spec(write(tmp_path, "flow = [heat"))
    with raises_naming("missing.toml", "cannot read"):
        cli_sweep.read_spec(tmp_path / "missing.toml")


def test_bad_input_exits_2_before_any_run(tmp_path, capsys):
    spec = write(tmp_path, 'flow = "heat"\nshape = 64\n[sweep]\ndirectory = "out"\n')
    assert wgflow_sweep(spec) == cli_sweep.BAD_INPUT
    assert "unknown spec key 'shape'" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()
    spec = write(tmp_path, 'flow = "heat"\nn = 16\n')
    assert wgflow_sweep(spec, "--scheduler", "tcp://127.0.0.1:1", "--n-workers", "2") == 2
    assert "--n-workers applies to the embedded cluster" in capsys.readouterr().err


def test_an_unreachable_scheduler_exits_2_naming_it(tmp_path, capsys):
    with socket.socket() as sock:  # a port that nothing listens on
        sock.bind(("127.0.0.1", 0))
        address = f"tcp://127.0.0.1:{sock.getsockname()[1]}"
    spec = write(tmp_path, f'flow = "heat"\nn = 16\n[sweep]\nscheduler = "{address}"\n'
                           f'timeout = 1\ndirectory = "{(tmp_path / "out").as_posix()}"\n')
    assert wgflow_sweep(spec) == cli_sweep.BAD_INPUT
    assert address in capsys.readouterr().err
    assert not list((tmp_path / "out").iterdir())


# -- a sweep on the embedded cluster -------------------------------------------------------------


def test_a_sweep_prints_and_writes_its_table_and_resumes(tmp_path, capsys):
    """The heat flow of N(0, 0.01) runs to t = 0.006 (its exact error is a figure); the
    backward heat flow stops early (its age is 0.005): exit status 1.  Run again, nothing
    runs and the table is the same."""
    out = tmp_path / "out"
    spec = write(tmp_path, f"""
        flow = ["heat", "backward-heat"]
        n = 48
        variance = 0.01
        t_end = 0.006
        dt = 5e-4
        track = "shannon,mass"
        [sweep]
        directory = "{out.as_posix()}"
        n_workers = 1
        figures = ["gamma"]
    """)
    assert wgflow_sweep(spec) == cli_sweep.SOME_FAILED
    printed = capsys.readouterr().out
    assert "swept  flow" in printed and "run 1 failed" in printed
    table = pandas.read_csv(out / cli_sweep.TABLE_NAME, index_col="run")
    assert list(table["flow"]) == ["heat", "backward-heat"]
    assert list(table["success"]) == [True, False]

    params = cli_sweep.check_spec({"flow": "heat", "n": 48, "variance": 0.01, "t_end": 0.006,
                                   "dt": 5e-4, "track": "shannon,mass"}).params[0]
    with threadpool_limits(limits=1):
        expected = cli_sweep.run_options(params)
    heat = table.loc[0]
    for name, value in solve_figures(expected).items():
        assert heat[name] == value, name
    assert heat["gamma"] == expected.settings["gamma"]
    stored = wg.SolveResult.load(out / heat["file"])
    assert np.array_equal(stored.final.values, expected.final.values)
    grid = stored.grid
    exact = wg.exact.heat_gaussian(grid, [0.0], [[0.01 + 2 * stored.times[-1]]], 0.0)
    # equal up to the round-off of the reference's variance (0.01 + 2 t, summed in another
    # order by the command)
    assert heat["exact_error"] == pytest.approx(stored.final.relative_l1_error(exact),
                                                rel=1e-12)
    # first order in time (dt = 5e-4) plus the entropic blur: a few 1e-3 at most
    assert heat["exact_error"] < 1e-2

    backward = table.loc[1]
    assert backward["t_final"] < 0.006 and backward["message"]
    assert math.isfinite(backward["error_estimate"])

    assert wgflow_sweep(spec) == cli_sweep.SOME_FAILED
    printed = capsys.readouterr().out
    assert printed.count("stored before, not run again") == 2
    again = pandas.read_csv(out / cli_sweep.TABLE_NAME, index_col="run")
    assert again["resumed"].all()
    assert again.drop(columns="resumed").equals(table.drop(columns="resumed"))


def test_help_shows_an_example_spec(capsys):
    with pytest.raises(SystemExit) as exit_info:
        wgflow_sweep("--help")
    assert exit_info.value.code == 0
    text = capsys.readouterr().out
    assert "SPEC" in text and "[sweep]" in text and "n_workers" in text
