"""Tests of the ``wgflow`` command line (wgflow.cli), one section per module: the report of a
run (``wgflow demo``), the problems and their exact references, the parser and ``main``."""

import contextlib
import dataclasses
import io
import os
import re
import runpy
import signal
import threading

import matplotlib

matplotlib.use("Agg")

import matplotlib.image as mpimg  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from _helpers import gaussian_entropies  # noqa: E402

import wgflow as wg  # noqa: E402
from wgflow import cli  # noqa: E402
from wgflow.cli import problems, report  # noqa: E402
from wgflow.solvers.base import Solver  # noqa: E402


def not_uniform(path):
    pixels = mpimg.imread(path)
    return pixels.ndim == 3 and not np.all(pixels == pixels[0, 0])


def run_args(*options):
    """The parsed options of ``wgflow run`` (flow heat unless given)."""
    argv = ["run", *options] if "--flow" in options else ["run", "--flow", "heat", *options]
    return cli.build_parser().parse_args(argv)


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    """``wgflow demo --quick`` run once; the result handed to ``save`` is kept."""
    out = tmp_path_factory.mktemp("demo")
    saved = []
    original_save = wg.SolveResult.save

    def spy(self, path):
        saved.append(self)
        return original_save(self, path)

    stdout = io.StringIO()
    with pytest.MonkeyPatch.context() as mp, contextlib.redirect_stdout(stdout):
        mp.setattr(wg.SolveResult, "save", spy)
        code = cli.main(["demo", "--quick", "--out", out, "--no-progress"])
    return {"code": code, "out": out, "result": saved[0], "stdout": stdout.getvalue()}


# -- report: wgflow demo end to end ---------------------------------------------------------
def test_demo_exits_zero_and_prints_summary(demo):
    assert demo["code"] == 0
    text = demo["stdout"]
    assert text.startswith("backward heat equation (11) from a diffused 2-D Gaussian mixture")
    assert "status: success" in text
    header = next(line for line in text.splitlines() if line.strip().startswith("t "))
    assert header.split() == ["t", "shannon", "exact", "H", "renyi:2", "tsallis:2", "mass",
                              "w2", "err", "est", "rel", "L1", "err"]
    assert "demo.png" in text and "demo.npz" in text


def test_demo_picture_is_a_real_image(demo):
    path = demo["out"] / "demo.png"
    assert path.is_file() and path.stat().st_size > 0
    assert not_uniform(path)


def test_demo_npz_equals_the_in_memory_result(demo):
    memory = demo["result"]
    loaded = wg.SolveResult.load(demo["out"] / "demo.npz")
    np.testing.assert_array_equal(loaded.times, memory.times)
    assert len(loaded.densities) == len(memory.densities)
    for a, b in zip(loaded.densities, memory.densities):
        assert a.grid == b.grid
        np.testing.assert_array_equal(a.values, b.values)
    assert list(loaded.tracked) == sorted(memory.tracked)
    for name in memory.tracked:
        np.testing.assert_array_equal(loaded.tracked[name], memory.tracked[name])
        np.testing.assert_array_equal(loaded.tracked_times[name], memory.tracked_times[name])
    assert (loaded.success, loaded.message, loaded.flow, loaded.method) == (
        memory.success, memory.message, memory.flow, memory.method)
    assert loaded.settings == memory.settings


def _demo_exact(grid, t):
    return wg.exact.heat_gaussian_mixture(
        grid, problems.DEMO_WEIGHTS, problems.DEMO_MEANS, problems.DEMO_COVS, problems.DEMO_T - t)


def test_demo_matches_the_exact_solution(demo):
    """Quick demo (64^2 cells): measured 1.3e-2 at 0.5 T and 4.8e-2 at 0.8 T (the full
    128^2 demo: 1.1e-3 and 9.2e-3)."""
    loaded = wg.SolveResult.load(demo["out"] / "demo.npz")
    assert loaded.flow == "backward-heat" and loaded.method == "jko"
    assert loaded.grid.shape == (problems.DEMO_N_QUICK, problems.DEMO_N_QUICK)
    assert loaded.times[-1] == pytest.approx(problems.DEMO_T_END)
    half = int(np.argmin(np.abs(loaded.times - 0.5 * problems.DEMO_T)))
    assert loaded.times[half] == pytest.approx(0.5 * problems.DEMO_T)
    exact_half = _demo_exact(loaded.grid, loaded.times[half])
    assert loaded.densities[half].relative_l1_error(exact_half) < 2e-2
    error = loaded.final.relative_l1_error(_demo_exact(loaded.grid, loaded.times[-1]))
    assert error < 6e-2
    # the printed final error is this number
    printed = float(re.search(r"final relative L1 error vs exact: (\S+)", demo["stdout"]).group(1))
    assert printed == pytest.approx(error, rel=1e-3)
    entropy = wg.functionals.ShannonEntropy()(_demo_exact(loaded.grid, loaded.times[-1]))
    assert loaded.tracked["shannon"][-1] == pytest.approx(entropy, rel=error)
    for name in ("shannon", "renyi:2", "tsallis:2"):
        assert np.all(np.diff(loaded.tracked[name]) < 0), name
    mass = loaded.tracked["mass"]
    assert np.max(np.abs(mass - mass[0])) < 1e-10


def test_execute_returns_the_outcome_it_printed(tmp_path):
    problem = problems.run_problem(run_args("--n", "32", "--t-end", "0.002", "--outputs", "2"))
    stream = io.StringIO()
    outcome = report.execute(problem, tmp_path / "new", "job", progress=False, stream=stream)
    assert outcome.figure_path == tmp_path / "new" / "job.png" and outcome.figure_path.is_file()
    assert outcome.data_path == tmp_path / "new" / "job.npz" and outcome.data_path.is_file()
    np.testing.assert_allclose(outcome.result.times, [0.0, 0.001, 0.002])
    assert outcome.summary in stream.getvalue()
    assert outcome.errors.shape == (3,) and outcome.errors[0] == 0.0
    assert f"final relative L1 error vs exact: {outcome.errors[-1]:.3e}" in outcome.summary


@pytest.mark.parametrize("method", ["jko", "finite-volume", "spectral"])
def test_summary_counts_the_steps_taken(method, tmp_path):
    problem = problems.run_problem(run_args("--n", "16", "--t-end", "0.003", "--method", method))
    outcome = report.execute(problem, tmp_path, "job", progress=False, stream=io.StringIO())
    assert outcome.summary.endswith("(3 steps)")


def test_summary_does_not_count_a_failed_step(tmp_path, monkeypatch):
    """The failed third JKO step leaves its Sinkhorn sweeps in the statistics, not a step."""
    advance = wg.solvers.JKOSolver.advance

    def fail_third(self, dt):
        values = advance(self, dt)
        if self.statistics["steps"] == 2:
            raise wg.errors.StepFailure("test")
        return values

    monkeypatch.setattr(wg.solvers.JKOSolver, "advance", fail_third)
    problem = problems.run_problem(run_args("--n", "16", "--t-end", "0.004"))
    outcome = report.execute(problem, tmp_path, "job", progress=False, stream=io.StringIO())
    assert not outcome.result.success
    assert len(outcome.result.statistics["sinkhorn_iterations"]) == 3
    assert outcome.summary.endswith("(2 steps)")


def test_summary_marks_values_missing_at_a_stored_time():
    grid = wg.Grid([(-1, 1)], 8)
    rho = wg.Density(grid, np.ones(8))
    result = wg.SolveResult(
        times=np.array([0.0, 0.5]), densities=[rho, rho], tracked={"w2": np.array([0.0])},
        tracked_times={"w2": np.array([0.0])}, success=False, message="stopped", flow="heat",
        method="jko")
    problem = problems.Problem("t", wg.flows.Heat(), rho, t_end=1.0, dt=0.5)
    lines = report.summarize(problem, result, None).splitlines()
    assert lines[2].split() == ["0", "0"] and lines[3].split() == ["0.5", "-"]
    assert lines[-1] == "status: FAILED: stopped"


# -- problems: the demo's and run's problems and their exact references --------------------
def test_demo_problem_is_the_documented_setup():
    problem = problems.demo_problem()
    assert isinstance(problem.flow, wg.flows.BackwardHeat)
    assert problem.rho0.grid.shape == (problems.DEMO_N, problems.DEMO_N)
    assert problem.rho0.grid.bounds == ((-4.0, 4.0), (-4.0, 4.0))
    assert (problem.t_end, problem.dt, problem.method) == (pytest.approx(0.08), 2e-3, "jko")
    assert problem.track == ("shannon", "renyi:2", "tsallis:2", "mass", "w2")
    quick = problems.demo_problem(quick=True)
    assert quick.rho0.grid.shape == (64, 64)
    np.testing.assert_array_equal(quick.exact(0.0).values, quick.rho0.values)
    # the data are the mixture diffused to T; the exact solution at t is the mixture at T - t
    np.testing.assert_allclose(quick.exact(0.03).values, _demo_exact(quick.rho0.grid, 0.03).values)
    assert quick.exact_tracked["renyi:2"](0.03) == pytest.approx(
        wg.functionals.RenyiEntropy(2)(_demo_exact(quick.rho0.grid, 0.03)))
    assert set(quick.exact_tracked) == {"shannon", "renyi:2", "tsallis:2"}  # no W2 for mixtures


@pytest.mark.parametrize("flow", ["heat", "fokker-planck"])
def test_gaussian_references_are_the_closed_forms(flow):
    """N(c, v I) stays Gaussian: N(c, s(t) I) with s = v + 2t (heat) or e^-2t v + 1 - e^-2t
    (Ornstein-Uhlenbeck); W2 to the start is sqrt(d) |sqrt(s) - sqrt(v)|."""
    v, d, t = 0.05, 2, 0.3
    args = run_args("--flow", flow, "--dim", "2", "--n", "16", "--bounds", "-3", "3",
                    "--variance", str(v), "--track", "shannon,renyi:2,tsallis:0.5,w2,mass")
    problem = problems.run_problem(args)
    s = v + 2 * t if flow == "heat" else np.exp(-2 * t) * v + 1 - np.exp(-2 * t)
    assert set(problem.exact_tracked) == {"shannon", "renyi:2", "tsallis:0.5", "w2"}
    shannon, renyi, _ = gaussian_entropies(s * np.eye(d), 2.0)
    tsallis = gaussian_entropies(s * np.eye(d), 0.5)[2]
    assert problem.exact_tracked["shannon"](t) == pytest.approx(shannon, rel=1e-12)
    assert problem.exact_tracked["renyi:2"](t) == pytest.approx(renyi, rel=1e-12)
    assert problem.exact_tracked["tsallis:0.5"](t) == pytest.approx(tsallis, rel=1e-12)
    assert problem.exact_tracked["w2"](t) == pytest.approx(
        np.sqrt(d) * abs(np.sqrt(s) - np.sqrt(v)), rel=1e-9)
    assert problem.exact_tracked["w2"](0.0) == pytest.approx(0.0, abs=1e-12)
    np.testing.assert_allclose(problem.exact(t).values, wg.exact.heat_gaussian(
        problem.rho0.grid, [0.0, 0.0], s, 0.0).values, rtol=1e-12)


def test_barenblatt_references_match_the_quadrature_of_the_exact_profile():
    args = run_args("--flow", "porous-medium", "--m", "2", "--n", "4000", "--C", "0.1",
                    "--track", "shannon,renyi:2,tsallis:3")
    problem = problems.run_problem(args)
    t = 0.004
    profile = problem.exact(t)
    np.testing.assert_array_equal(
        profile.values, wg.exact.barenblatt(profile.grid, 2.0, 0.01 + t, 0.1).values)
    for name in ("shannon", "renyi:2", "tsallis:3"):
        quadrature = wg.trackers.functional_from_name(name)(profile)
        assert problem.exact_tracked[name](t) == pytest.approx(quadrature, rel=1e-4), name


def test_problems_without_a_known_solution():
    for options in (["--flow", "porous-medium", "--initial", "gaussian"],
                    ["--flow", "heat", "--initial", "barenblatt"]):
        problem = problems.run_problem(run_args(*options))
        assert problem.exact is None and problem.exact_tracked == {}
        assert problem.description[-1].startswith("exact      none known for the")


def test_run_problem_passes_the_solver_options():
    problem = problems.run_problem(run_args("--gamma", "0.01", "--outputs", "4", "--t-end", "0.02",
                                            "--dt", "0.005", "--method", "finite-volume"))
    assert problem.options == {"gamma": 0.01} and problem.method == "finite-volume"
    np.testing.assert_allclose(problem.t_eval, [0.0, 0.005, 0.01, 0.015, 0.02])
    assert problems.run_problem(run_args()).options == {}


# -- parser and main: wgflow run, bad input, help, info ------------------------------------
PME = ["run", "--flow", "porous-medium", "--m", "2", "--dim", "1", "--n", "64",
       "--bounds", "-1", "1", "--C", "0.1", "--t-end", "0.005", "--dt", "1e-3", "--no-progress"]


def test_run_porous_medium_1d(tmp_path, capsys):
    assert cli.main(PME + ["--out", tmp_path]) == 0
    text = capsys.readouterr().out
    assert "porous-medium" in text and "status: success" in text and "rel L1 err" in text
    result = wg.SolveResult.load(tmp_path / "run.npz")
    assert result.flow == "porous-medium" and result.grid.shape == (64,)
    assert set(result.tracked) == {"shannon", "renyi:2", "tsallis:2", "mass"}
    exact_final = wg.exact.barenblatt(result.grid, 2.0, 0.01 + result.times[-1], 0.1)
    assert result.final.relative_l1_error(exact_final) < 0.05
    assert (tmp_path / "run.png").stat().st_size > 0 and not_uniform(tmp_path / "run.png")


@pytest.mark.parametrize(
    "flow_args",
    [
        ["--flow", "heat", "--track", "shannon,w2,energy"],
        ["--flow", "fokker-planck", "--potential", "quadratic", "--bounds", "-4", "4",
         "--variance", "0.1"],
        ["--flow", "heat", "--dim", "2", "--n", "12", "--gamma", "0.03", "--outputs", "2"],
        ["--flow", "porous-medium", "--initial", "gaussian", "--m", "3", "--dim", "3", "--n", "8",
         "--variance", "0.05"],
    ],
)
def test_run_other_flows(tmp_path, capsys, flow_args):
    args = ["run", "--n", "32", "--t-end", "0.004", "--dt", "2e-3", "--no-progress",
            "--out", str(tmp_path)]
    assert cli.main(args + flow_args) == 0
    assert "status: success" in capsys.readouterr().out
    assert (tmp_path / "run.png").is_file() and (tmp_path / "run.npz").is_file()


def test_run_gaussian_heat_error_is_small(tmp_path, capsys):
    args = ["run", "--flow", "heat", "--n", "64", "--t-end", "0.004", "--dt", "1e-3",
            "--no-progress", "--out", str(tmp_path)]
    assert cli.main(args) == 0
    error = float(re.search(r"final relative L1 error vs exact: (\S+)",
                            capsys.readouterr().out).group(1))
    assert error < 2e-2


def test_run_reports_solver_failure_with_exit_code_1(tmp_path, capsys, monkeypatch):
    real_solve = report.solve

    def failing(*args, **kwargs):
        return dataclasses.replace(real_solve(*args, **kwargs), success=False,
                                   message="step from t = 0.001 failed: test")

    monkeypatch.setattr(report, "solve", failing)
    assert cli.main(PME + ["--out", tmp_path]) == 1
    assert "status: FAILED: step from t = 0.001 failed: test" in capsys.readouterr().out


@pytest.mark.parametrize(
    "argv, fragments",
    [
        (["run", "--flow", "diffusion"], ["--flow", "invalid choice: 'diffusion'"]),
        (["run", "--flow", "heat", "--dt", "-1e-3"], ["--dt", "> 0", "-0.001"]),
        (["run", "--flow", "heat", "--dt", "abc"], ["--dt", "invalid float value: 'abc'"]),
        (["run", "--flow", "heat", "--t-end", "0"], ["--t-end", "> 0", "0.0"]),
        (["run", "--flow", "heat", "--n", "1"], ["--n", "integer >= 2", "1"]),
        (["run", "--flow", "heat", "--n", "1.5"], ["--n", "invalid int value: '1.5'"]),
        (["run", "--flow", "heat", "--outputs", "0"], ["--outputs", "integer >= 1", "0"]),
        (["run", "--flow", "heat", "--dim", "4"], ["--dim", "invalid choice: 4"]),
        (["run", "--flow", "heat", "--bounds", "1", "-1"], ["--bounds", "A < B", "1 -1"]),
        (["run", "--flow", "heat", "--bounds", "0", "nan"], ["--bounds", "finite", "0 nan"]),
        (["run", "--flow", "heat", "--dt", "0.1", "--t-end", "0.01"],
         ["--dt 0.1", "larger than --t-end 0.01"]),
        (["run", "--flow", "porous-medium", "--m", "1"], ["--m", "> 1", "1.0"]),
        (["run", "--flow", "heat", "--m", "2"], ["--m is used only", "porous-medium"]),
        (["run", "--flow", "heat", "--potential", "quadratic"], ["--potential", "fokker-planck"]),
        (["run", "--flow", "heat", "--t0", "0.1"], ["--t0", "barenblatt only"]),
        (["run", "--flow", "heat", "--C", "0.1"], ["--C", "barenblatt only"]),
        (["run", "--flow", "porous-medium", "--variance", "0.1"], ["--variance", "gaussian only"]),
        (["run", "--flow", "porous-medium", "--C", "-2"], ["--C", "> 0", "-2.0"]),
        (["run", "--flow", "heat", "--track", "shannon,entropy"],
         ["unknown tracker 'entropy'", "'renyi:a'"]),
        (["run", "--flow", "heat", "--track", "renyi:x"], ["unknown tracker 'renyi:x'"]),
        (["run", "--flow", "heat", "--track", ","], ["--track", "tracker names"]),
        (["run", "--flow", "heat", "--method", "euler"], ["--method", "invalid choice: 'euler'"]),
        (["run", "--flow", "heat", "--method", "lagrangian"],
         ["--method lagrangian does not run --flow heat", "accepted: jko, finite-volume, "
          "spectral"]),
        (["run", "--flow", "heat", "--gamma", "-1"], ["--gamma", "> 0", "-1.0"]),
        (["run", "--flow", "porous-medium", "--n", "4", "--t0", "1e-6"], ["zero mass", "--n"]),
        (["run"], ["required: --flow"]),
        (["frobnicate"], ["invalid choice", "'frobnicate'"]),
    ],
)
def test_bad_input_gives_a_message_and_exit_code_2(argv, fragments, capsys, tmp_path):
    code = cli.main(argv + ["--out", str(tmp_path)] if argv[0] == "run" and len(argv) > 1 else argv)
    assert code == 2
    err = capsys.readouterr().err
    assert all(fragment in err for fragment in fragments), (err, fragments)
    assert "Traceback" not in err
    assert not list(tmp_path.iterdir())  # refused before anything was written


def test_method_choices_are_the_methods_of_the_run_flows():
    for name in problems.RUN_FLOWS:
        flow = problems.run_problem(run_args("--flow", name)).flow
        assert flow.name == name
        assert problems.RUN_FLOW_METHODS[flow.name] == wg.solvers.methods_for(flow)
    # the continuous DAE runs the backward heat flow only
    assert problems.RUN_METHODS == ("jko", "finite-volume", "spectral", "lagrangian")
    assert problems.RUN_FLOW_METHODS["backward-heat"] == ("jko", "spectral", "lagrangian")


@pytest.mark.parametrize("method, flow", [("spectral", "porous-medium"),
                                          ("spectral", "fokker-planck")])
def test_method_that_does_not_run_the_flow_is_refused_before_the_header(
        method, flow, capsys, tmp_path):
    assert cli.main(["run", "--flow", flow, "--method", method, "--out", str(tmp_path)]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert all(fragment in captured.err for fragment in
               (f"--method {method}", f"--flow {flow}", "accepted: jko, finite-volume"))


def test_execute_refuses_a_method_before_printing(tmp_path):
    problem = dataclasses.replace(problems.run_problem(run_args("--flow", "porous-medium")),
                                  method="lagrangian")
    stream = io.StringIO()
    with pytest.raises(wg.WgflowError, match="'lagrangian' does not integrate"):
        report.execute(problem, tmp_path / "new", "job", progress=False, stream=stream)
    assert stream.getvalue() == "" and not (tmp_path / "new").exists()


def test_unwritable_output_folder(tmp_path, capsys):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    assert cli.main(PME + ["--out", blocker]) == 1
    assert "cannot write the output" in capsys.readouterr().err


def test_help_explains_wgflow(capsys):
    assert cli.main(["--help"]) == 0
    out = capsys.readouterr().out
    assert "Wasserstein" in out and "examples:" in out and "wgflow demo" in out
    assert cli.main(["run", "--help"]) == 0
    out = capsys.readouterr().out
    assert "--t0" in out and "Barenblatt" in out and "examples:" in out
    assert cli.main(["demo", "--help"]) == 0
    assert "Backward heat equation" in capsys.readouterr().out


def test_no_command_prints_help(capsys):
    assert cli.main([]) == 2
    assert "usage: wgflow" in capsys.readouterr().out


def test_info_lists_version_flows_methods_trackers(capsys):
    assert cli.main(["info"]) == 0
    out = capsys.readouterr().out
    assert f"wgflow {wg.__version__}" in out
    for word in ("Heat", "PorousMedium", "FokkerPlanck", "BackwardHeat", "jko", "shannon",
                 "renyi:a", "w2", "[wgflow run --flow heat]"):
        assert word in out
    assert "\n  Flow " not in out  # the abstract base class is not a flow to run


def test_version(capsys):
    assert cli.main(["--version"]) == 0
    assert wg.__version__ in capsys.readouterr().out


def test_python_dash_m_runs_main(monkeypatch, capsys):
    monkeypatch.setattr("sys.argv", ["wgflow", "--version"])
    with pytest.raises(SystemExit) as exit_info:
        runpy.run_module("wgflow.cli", run_name="__main__")
    assert exit_info.value.code == 0
    assert wg.__version__ in capsys.readouterr().out


# -- interrupts: the exit status says which signal, and the files are written ------------------
def signal_at_step(monkeypatch, signum, steps):
    """Send ``signum`` to this process, from another thread, while the solver takes the step
    after ``steps`` steps; the step goes on once the run's handler has seen it."""
    original = Solver.step
    started, sent = threading.Event(), threading.Event()

    def sender():
        started.wait()
        os.kill(os.getpid(), signum)
        sent.set()

    threading.Thread(target=sender, daemon=True).start()

    def step(self, dt):
        if self.statistics["steps"] == steps and not started.is_set():
            started.set()
            sent.wait()
            guard = signal.getsignal(signum).__self__  # the run's InterruptGuard
            while guard.received is None:  # the handler runs between two bytecodes
                pass
        return original(self, dt)

    monkeypatch.setattr(Solver, "step", step)


@pytest.mark.parametrize("signum, status", [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_an_interrupted_run_exits_with_its_status_and_writes_its_files(
    signum, status, tmp_path, capsys, monkeypatch
):
    name = signal.Signals(signum).name
    signal_at_step(monkeypatch, signum, 2)
    assert cli.main(PME + ["--out", tmp_path]) == status
    assert f"status: FAILED: interrupted by {name} at t = 0.003 after 3 of 5 steps" in \
        capsys.readouterr().out
    result = wg.SolveResult.load(tmp_path / "run.npz")
    assert result.interrupted == name and result.times[-1] == pytest.approx(3e-3, rel=1e-12)
    assert not_uniform(tmp_path / "run.png")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run.npz", "run.png"]


def test_a_signal_while_the_files_are_written_still_writes_them(tmp_path, capsys, monkeypatch):
    real_solve = report.solve

    def solve_then_signal(*args, **kwargs):
        result = real_solve(*args, **kwargs)
        os.kill(os.getpid(), signal.SIGTERM)  # the command's own handler takes it
        return result

    monkeypatch.setattr(report, "solve", solve_then_signal)
    assert cli.main(PME + ["--out", tmp_path]) == 143
    assert "status: success" in capsys.readouterr().out
    assert wg.SolveResult.load(tmp_path / "run.npz").success
    assert signal.getsignal(signal.SIGTERM) == signal.SIG_DFL
