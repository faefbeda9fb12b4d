"""Tests of the ``wgflow`` command line (wgflow.cli.main)."""

import contextlib
import dataclasses
import io
import re

import matplotlib

matplotlib.use("Agg")

import matplotlib.image as mpimg  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

import wgflow as wg  # noqa: E402
from wgflow import cli  # noqa: E402


def not_uniform(path):
    pixels = mpimg.imread(path)
    return pixels.ndim == 3 and not np.all(pixels == pixels[0, 0])


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


# -- wgflow demo ----------------------------------------------------------------------------
def test_demo_exits_zero_and_prints_summary(demo):
    assert demo["code"] == 0
    text = demo["stdout"]
    assert "status: success" in text
    for column in ("shannon", "exact H", "renyi:2", "tsallis:2", "mass", "w2", "rel L1 err"):
        assert column in text
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
        grid, cli.DEMO_WEIGHTS, cli.DEMO_MEANS, cli.DEMO_COVS, cli.DEMO_T - t)


def test_demo_matches_the_exact_solution(demo):
    """Quick demo (64^2 cells): measured 1.3e-2 at 0.5 T and 4.8e-2 at 0.8 T (the full
    128^2 demo: 1.1e-3 and 9.2e-3)."""
    loaded = wg.SolveResult.load(demo["out"] / "demo.npz")
    assert loaded.flow == "backward-heat" and loaded.method == "jko"
    assert loaded.grid.shape == (cli.DEMO_N_QUICK, cli.DEMO_N_QUICK)
    assert loaded.times[-1] == pytest.approx(cli.DEMO_T_END)
    half = int(np.argmin(np.abs(loaded.times - 0.5 * cli.DEMO_T)))
    assert loaded.times[half] == pytest.approx(0.5 * cli.DEMO_T)
    assert loaded.densities[half].relative_l1_error(_demo_exact(loaded.grid, loaded.times[half])) < 2e-2
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


def test_demo_problem_is_the_documented_setup():
    problem = cli.demo_problem()
    assert isinstance(problem.flow, wg.flows.BackwardHeat)
    assert problem.rho0.grid.shape == (cli.DEMO_N, cli.DEMO_N)
    assert problem.rho0.grid.bounds == ((-4.0, 4.0), (-4.0, 4.0))
    assert (problem.t_end, problem.dt, problem.method) == (pytest.approx(0.08), 2e-3, "jko")
    assert problem.track == ("shannon", "renyi:2", "tsallis:2", "mass", "w2")
    quick = cli.demo_problem(quick=True)
    assert quick.rho0.grid.shape == (64, 64)
    np.testing.assert_array_equal(quick.exact(0.0).values, quick.rho0.values)
    # the data are the mixture diffused to T; the exact solution at t is the mixture at T - t
    np.testing.assert_allclose(quick.exact(0.03).values, _demo_exact(quick.rho0.grid, 0.03).values)
    assert quick.exact_tracked["renyi:2"](0.03) == pytest.approx(
        wg.functionals.RenyiEntropy(2)(_demo_exact(quick.rho0.grid, 0.03)))
    assert "w2" not in quick.exact_tracked  # no closed form for mixtures


# -- wgflow run ----------------------------------------------------------------------------
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
    real_solve = cli.solve

    def failing(*args, **kwargs):
        return dataclasses.replace(real_solve(*args, **kwargs), success=False,
                                   message="step from t = 0.001 failed: test")

    monkeypatch.setattr(cli, "solve", failing)
    assert cli.main(PME + ["--out", tmp_path]) == 1
    assert "status: FAILED: step from t = 0.001 failed: test" in capsys.readouterr().out


@pytest.mark.parametrize(
    "argv, message",
    [
        (["run", "--flow", "diffusion"], "invalid choice: 'diffusion'"),
        (["run", "--flow", "heat", "--dt", "-1e-3"], "finite number > 0"),
        (["run", "--flow", "heat", "--dt", "abc"], "expected a number"),
        (["run", "--flow", "heat", "--t-end", "0"], "finite number > 0"),
        (["run", "--flow", "heat", "--n", "1"], "integer >= 2"),
        (["run", "--flow", "heat", "--dim", "4"], "invalid choice"),
        (["run", "--flow", "heat", "--bounds", "1", "-1"], "A < B"),
        (["run", "--flow", "heat", "--bounds", "0", "nan"], "finite number"),
        (["run", "--flow", "heat", "--dt", "0.1", "--t-end", "0.01"], "larger than --t-end"),
        (["run", "--flow", "porous-medium", "--m", "1"], "--m must be > 1"),
        (["run", "--flow", "heat", "--m", "2"], "--m is used only"),
        (["run", "--flow", "heat", "--potential", "quadratic"], "fokker-planck only"),
        (["run", "--flow", "heat", "--t0", "0.1"], "barenblatt only"),
        (["run", "--flow", "porous-medium", "--variance", "0.1"], "gaussian only"),
        (["run", "--flow", "heat", "--track", "shannon,entropy"], "unknown tracker 'entropy'"),
        (["run", "--flow", "heat", "--track", "renyi:x"], "unknown tracker"),
        (["run", "--flow", "heat", "--method", "euler"], "invalid choice: 'euler'"),
        (["run", "--flow", "heat", "--gamma", "-1"], "finite number > 0"),
        (["run", "--flow", "porous-medium", "--n", "4", "--t0", "1e-6"], "zero mass"),
        (["run"], "required: --flow"),
        (["frobnicate"], "invalid choice"),
    ],
)
def test_bad_input_gives_a_message_and_nonzero_exit(argv, message, capsys, tmp_path):
    code = cli.main(argv + ["--out", str(tmp_path)] if argv[0] == "run" and len(argv) > 1 else argv)
    assert code == 2
    err = capsys.readouterr().err
    assert message in err
    assert "Traceback" not in err


def test_unwritable_output_folder(tmp_path, capsys):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    assert cli.main(PME + ["--out", blocker]) == 1
    assert "cannot write the output" in capsys.readouterr().err


# -- help, info ----------------------------------------------------------------------------
def test_help_explains_wgflow(capsys):
    assert cli.main(["--help"]) == 0
    out = capsys.readouterr().out
    assert "Wasserstein" in out and "examples:" in out and "wgflow demo" in out
    assert cli.main(["run", "--help"]) == 0
    out = capsys.readouterr().out
    assert "--t0" in out and "Barenblatt" in out and "examples:" in out


def test_no_command_prints_help(capsys):
    assert cli.main([]) == 2
    assert "usage: wgflow" in capsys.readouterr().out


def test_info_lists_version_flows_methods_trackers(capsys):
    assert cli.main(["info"]) == 0
    out = capsys.readouterr().out
    assert f"wgflow {wg.__version__}" in out
    for word in ("Heat", "PorousMedium", "FokkerPlanck", "jko", "shannon", "renyi:a", "w2"):
        assert word in out


def test_version(capsys):
    assert cli.main(["--version"]) == 0
    assert wg.__version__ in capsys.readouterr().out
