"""Tests of ``wgflow run`` on a user's data and of the backward flows on the command line:
reading ``--input`` files (wgflow.cli.inputs), the problems built from them and from the
built-in densities under the backward flows (their default times and exact references), the
summary table (error estimate and exact error), the exit status, and every bad input."""

import math
import re

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pytest  # noqa: E402

import wgflow as wg  # noqa: E402
from wgflow import cli  # noqa: E402
from wgflow.cli import inputs, problems, report  # noqa: E402

#: Options of the backward runs whose success is asserted: with rtol=inf only a singular
#: time or a solver failure stops them, not the error estimate of these coarse grids.
RUN_THROUGH = ["--rtol", "inf"]

RNG = np.random.default_rng(20240610)
LINE = np.concatenate([RNG.normal(-0.4, 0.2, 25), RNG.normal(0.5, 0.15, 15)])  # 1-D
PLANE = RNG.normal([0.2, -0.1], [0.3, 0.2], size=(30, 2))  # 2-D


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    """Sample files: ``line.csv`` (1-D, header and comments), ``plane.txt`` (2-D, spaces),
    ``plane.npy`` and ``line.npy``."""
    folder = tmp_path_factory.mktemp("data")
    lines = ["# 1-D samples", "x"] + [f"{float(x)!r}  # point {i}" for i, x in enumerate(LINE)]
    (folder / "line.csv").write_text("\n".join(lines) + "\n")
    rows = [f"{float(x)!r} {float(y)!r}" for x, y in PLANE]
    (folder / "plane.txt").write_text("\n".join(rows) + "\n")
    np.save(folder / "plane.npy", PLANE)
    np.save(folder / "line.npy", LINE)
    return folder


def run_args(*options):
    """The parsed options of ``wgflow run`` (flow backward-heat unless given)."""
    flow = [] if "--flow" in options else ["--flow", "backward-heat"]
    return cli.build_parser().parse_args(["run", *flow, *options])


def main(tmp_path, *options):
    """``wgflow run`` with the options, output in ``tmp_path / "out"``; its exit status."""
    flow = [] if "--flow" in options else ["--flow", "backward-heat"]
    return cli.main(["run", *flow, *options, "--no-progress", "--out", tmp_path / "out"])


def table(text):
    """The headers and the rows (lists of cells) of the printed summary table."""
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("          t  "))
    headers = re.split(r"\s{2,}", lines[start].strip())
    rows = []
    for line in lines[start + 2:]:
        if not line.strip():
            break
        rows.append(line.split())
    return headers, rows


def column(text, header):
    """The values of one column of the printed table (NaN for ``-``)."""
    headers, rows = table(text)
    index = headers.index(header)
    return np.array([math.nan if row[index] == "-" else float(row[index]) for row in rows])


def saved_run(tmp_path, text, code):
    """The result of a run that succeeded (exit status 0), as saved."""
    assert code == 0 and "status: success" in text
    return wg.SolveResult.load(tmp_path / "out" / "run.npz")


def assert_printed_errors(text, result, exact_at):
    """The printed ``rel L1 err`` column is the relative L1 error of each stored density to
    ``exact_at(t)``; return those errors."""
    errors = [rho.relative_l1_error(exact_at(t)) for rho, t in zip(result.densities,
                                                                    result.times)]
    np.testing.assert_allclose(column(text, "rel L1 err"), errors, rtol=2e-3)
    assert errors[0] == 0.0
    return errors


# -- inputs: reading the files ------------------------------------------------------------
@pytest.mark.parametrize("name", ["line.csv", "line.npy"])
def test_one_dimensional_samples_are_read_as_points(data, name):
    samples = inputs.read_input(data / name)
    assert samples.shape == (LINE.size, 1)
    np.testing.assert_array_equal(samples[:, 0], LINE)


@pytest.mark.parametrize("name", ["plane.txt", "plane.npy"])
def test_two_dimensional_samples_are_read_as_rows(data, name):
    np.testing.assert_array_equal(inputs.read_input(data / name), PLANE)


def test_text_separators_header_and_comments(tmp_path):
    path = tmp_path / "mixed.CSV"  # the extension in any case
    path.write_text("x, y\n\n1, 2  # first\n3\t4\n# a comment line\n5 ,6\n")
    np.testing.assert_array_equal(inputs.read_input(path), [[1, 2], [3, 4], [5, 6]])


def test_a_saved_result_gives_its_final_density(tmp_path):
    grid = wg.Grid([(-1.0, 1.0)], 16)
    rho = wg.Density.from_samples(grid, LINE[LINE**2 < 1], bandwidth=0.2)
    result = wg.solve(wg.flows.Heat(), rho, t_end=2e-3, dt=1e-3)
    loaded = inputs.read_input(result.save(tmp_path / "saved.npz"))
    assert isinstance(loaded, wg.Density) and loaded.grid == grid
    np.testing.assert_array_equal(loaded.values, result.final.values)
    assert loaded.age == pytest.approx(0.02 + 2e-3)  # b^2/2 + t: the heat flow ages it


def test_bandwidth_values():
    assert inputs.bandwidth_value("0.25") == 0.25
    assert inputs.bandwidth_value("1e-1") == 0.1
    assert inputs.bandwidth_value(" Scott ") == "scott"
    assert inputs.is_histogram(inputs.bandwidth_value("0"))
    assert not inputs.is_histogram("scott") and not inputs.is_histogram(0.1)


@pytest.mark.parametrize("rule", ["scott", "silverman"])
def test_sample_bandwidths_are_those_of_the_library(rule):
    grid = wg.Grid([(-2.0, 2.0)] * 2, 8)
    b = inputs.sample_bandwidths(PLANE, rule)
    assert b.shape == (2,)
    rho = wg.Density.from_samples(grid, PLANE, bandwidth=rule)
    assert rho.age == pytest.approx(np.min(b**2) / 2, rel=1e-12)
    np.testing.assert_array_equal(inputs.sample_bandwidths(PLANE, 0.3), [0.3, 0.3])
    assert inputs.sample_bandwidths(PLANE, 0.0) is None


def test_sample_box_is_the_range_with_the_documented_margin():
    b = np.array([0.1, 0.05])
    lo, hi = PLANE.min(axis=0), PLANE.max(axis=0)
    margin = 3 * b + 0.1 * (hi - lo)
    np.testing.assert_allclose(inputs.sample_box(PLANE, b), np.column_stack([lo - margin,
                                                                           hi + margin]))
    no_kernel = 0.1 * (hi - lo)
    np.testing.assert_allclose(inputs.sample_box(PLANE, None),
                               np.column_stack([lo - no_kernel, hi + no_kernel]))


# -- problems: the user's data and the backward flows ---------------------------------------
def test_samples_problem_is_the_kernel_estimate_on_a_box_around_the_data(data):
    problem = problems.run_problem(run_args("--input", str(data / "plane.txt"), "--n", "24"))
    b = inputs.sample_bandwidths(PLANE, "scott")
    grid = problem.rho0.grid
    assert grid.shape == (24, 24)
    np.testing.assert_allclose(grid.bounds, inputs.sample_box(PLANE, b), rtol=1e-12)
    expected = wg.Density.from_samples(grid, PLANE, bandwidth="scott")
    np.testing.assert_allclose(problem.rho0.values, expected.values, rtol=1e-12)
    age = np.min(b**2) / 2
    assert problem.rho0.age == pytest.approx(age, rel=1e-12)
    # backward heat: half the age, 40 steps; the exact solution is the estimate at b^2 - 2t
    assert problem.t_end == pytest.approx(age / 2) and problem.dt == pytest.approx(age / 80)
    assert problem.exact_until == pytest.approx(age)
    t = 0.3 * age
    np.testing.assert_allclose(problem.exact(t).values,
                               wg.exact.kde(grid, PLANE, "scott", -t).values, rtol=1e-12)
    assert problem.exact_value("shannon", t) == pytest.approx(
        wg.functionals.ShannonEntropy()(wg.exact.kde(grid, PLANE, "scott", -t)), rel=1e-12)
    assert problem.exact_at(age) is None and math.isnan(problem.exact_value("shannon", age))
    assert "kernel density estimate of 30 points" in problem.description[1]
    assert "scott" in problem.description[1]


def test_forward_heat_from_samples_compares_with_the_wider_estimate(data):
    problem = problems.run_problem(run_args("--flow", "heat", "--input", str(data / "line.npy"),
                                            "--n", "32", "--bandwidth", "0.2"))
    assert (problem.t_end, problem.dt) == (0.01, 1e-3)  # the forward defaults
    grid = problem.rho0.grid
    np.testing.assert_allclose(problem.exact(0.004).values,
                               wg.exact.kde(grid, LINE, 0.2, 0.004).values, rtol=1e-12)


def test_bounds_override_the_box_of_the_samples(data):
    problem = problems.run_problem(run_args("--input", str(data / "plane.npy"), "--n", "16",
                                            "--bounds", "-3", "3", "--bandwidth", "silverman"))
    assert problem.rho0.grid.bounds == ((-3.0, 3.0), (-3.0, 3.0))
    expected = wg.Density.from_samples(problem.rho0.grid, PLANE, bandwidth="silverman")
    np.testing.assert_allclose(problem.rho0.values, expected.values, rtol=1e-12)


def test_bandwidth_zero_is_the_histogram_without_an_exact_solution(data):
    problem = problems.run_problem(run_args("--input", str(data / "line.csv"), "--n", "20",
                                            "--bandwidth", "0", "--t-end", "1e-3"))
    grid = problem.rho0.grid
    np.testing.assert_allclose(grid.bounds[0], inputs.sample_box(LINE[:, None], None)[0])
    np.testing.assert_array_equal(problem.rho0.values,
                                  wg.Density.from_samples(grid, LINE, bandwidth=0).values)
    assert problem.rho0.age is None and problem.exact is None
    assert problem.dt == pytest.approx(1e-3 / 40)
    assert problem.description[-1] == (
        "exact      none known for the backward-heat flow from a histogram")


def test_gaussian_under_backward_heat(tmp_path):
    problem = problems.run_problem(run_args("--n", "32", "--variance", "0.02"))
    assert problem.rho0.age == pytest.approx(0.01)  # the point mass's heat flow at age v/2
    assert (problem.t_end, problem.dt) == (pytest.approx(0.005), pytest.approx(0.005 / 40))
    assert problem.exact_until == pytest.approx(0.01)
    t = 0.004
    np.testing.assert_allclose(problem.exact(t).values, wg.exact.heat_gaussian(
        problem.rho0.grid, 0.0, 0.02 - 2 * t, 0.0).values, rtol=1e-12)
    gaussian = wg.gaussian.Gaussian([0.0], 0.02 - 2 * t)
    assert problem.exact_value("shannon", t) == pytest.approx(gaussian.shannon_entropy())
    assert "N(centre, (variance - 2 t) I)" in problem.description[-1]


def test_barenblatt_under_backward_porous_medium():
    problem = problems.run_problem(run_args("--flow", "backward-porous-medium", "--m", "3",
                                            "--n", "40", "--C", "0.1", "--t0", "0.02"))
    assert isinstance(problem.flow, wg.flows.BackwardPorousMedium) and problem.flow.m == 3
    assert (problem.t_end, problem.dt) == (pytest.approx(0.01), pytest.approx(0.01 / 40))
    t = 0.006
    np.testing.assert_array_equal(problem.exact(t).values, wg.exact.barenblatt(
        problem.rho0.grid, 3.0, 0.02 - t, 0.1).values)
    assert problem.exact_value("tsallis:2", t) == pytest.approx(
        wg.exact.barenblatt_tsallis_entropy(1, 3.0, 0.02 - t, 0.1, 2.0))
    # past t0 the profile does not exist: no reference
    assert problem.exact_at(0.02) is None and math.isnan(problem.exact_value("shannon", 0.03))
    assert problem.description[-1] == "exact      Barenblatt at t0 - t = 0.02 - t"


def test_rtol_is_passed_to_the_backward_runs_only_when_given():
    assert problems.run_problem(run_args("--rtol", "0.05")).options == {"rtol": 0.05}
    assert problems.run_problem(run_args("--rtol", "inf")).options == {"rtol": math.inf}
    assert problems.run_problem(run_args()).options == {}
    problem = problems.run_problem(run_args("--gamma", "0.01", "--rtol", "0.1"))
    assert problem.options == {"gamma": 0.01, "rtol": 0.1}
    assert problem.description[2].endswith("gamma = 0.01, rtol = 0.1")


# -- the command end to end ------------------------------------------------------------------
def test_backward_heat_from_a_csv_of_samples(data, tmp_path, capsys):
    code = main(tmp_path, "--input", data / "line.csv", "--n", "64", "--bandwidth", "0.3",
                *RUN_THROUGH)
    text = capsys.readouterr().out
    result = saved_run(tmp_path, text, code)
    assert result.flow == "backward-heat" and result.grid.shape == (64,)
    assert result.times[-1] == pytest.approx(0.3**2 / 4)  # half the age b^2/2
    errors = assert_printed_errors(
        text, result, lambda t: wg.exact.kde(result.grid, LINE, 0.3, -t))
    # a sanity bound only (measured 2.2e-2 on this coarse grid): the accuracy of the
    # backward flows is the business of their own tests
    assert 0 < errors[-1] < 0.2
    exact_h = [wg.functionals.ShannonEntropy()(wg.exact.kde(result.grid, LINE, 0.3, -t))
               for t in result.times]
    np.testing.assert_allclose(column(text, "exact H"), exact_h, rtol=1e-5, atol=1e-5)


def test_backward_heat_from_a_gaussian_by_the_spectral_method(tmp_path, capsys):
    code = main(tmp_path, "--n", "32", "--variance", "0.02", "--method", "spectral",
                *RUN_THROUGH)
    text = capsys.readouterr().out
    result = saved_run(tmp_path, text, code)
    assert result.method == "spectral" and result.times[-1] == pytest.approx(0.005)
    assert len(result.times) == 11
    assert_printed_errors(
        text, result, lambda t: wg.exact.heat_gaussian(result.grid, 0.0, 0.02 - 2 * t, 0.0))


def test_backward_porous_medium_from_a_barenblatt_profile(tmp_path, capsys):
    code = main(tmp_path, "--flow", "backward-porous-medium", "--n", "64", "--C", "0.1",
                *RUN_THROUGH)
    text = capsys.readouterr().out
    result = saved_run(tmp_path, text, code)
    assert result.flow == "backward-porous-medium" and result.times[-1] == pytest.approx(0.005)
    errors = assert_printed_errors(
        text, result, lambda t: wg.exact.barenblatt(result.grid, 2.0, 0.01 - t, 0.1))
    assert errors[-1] < 0.2  # a sanity bound only (measured 9e-2 on 64 cells)


def test_a_run_past_the_singular_time_exits_1(tmp_path, capsys):
    """N(0, 0.02) reaches a point mass at t = 0.01: the run stops before."""
    code = main(tmp_path, "--n", "32", "--variance", "0.02", "--t-end", "0.015", "--dt", "1e-3",
                "--method", "spectral", *RUN_THROUGH)
    text = capsys.readouterr().out
    assert code == 1
    assert "status: FAILED" in text and "singular time" in text
    result = wg.SolveResult.load(tmp_path / "out" / "run.npz")
    assert not result.success and result.times[-1] == pytest.approx(0.009)
    # the exact solution exists at every stored time, all before the singular time
    assert np.all(np.isfinite(column(text, "rel L1 err")))


def test_a_kernel_estimate_run_past_its_age_exits_1(data, tmp_path, capsys):
    code = main(tmp_path, "--input", data / "line.npy", "--n", "48", "--bandwidth", "0.2",
                "--t-end", "0.03", "--dt", "2e-3", *RUN_THROUGH)
    text = capsys.readouterr().out
    assert code == 1
    assert "status: FAILED" in text
    result = wg.SolveResult.load(tmp_path / "out" / "run.npz")
    assert result.times[-1] < 0.02  # the age b^2/2


def test_a_saved_density_runs_back_from_its_age(tmp_path, capsys):
    forward = ["--flow", "heat", "--n", "32", "--variance", "0.02", "--t-end", "0.004"]
    assert cli.main(["run", *forward, "--no-progress", "--out", tmp_path / "a"]) == 0
    saved = wg.SolveResult.load(tmp_path / "a" / "run.npz")
    assert saved.final.age == pytest.approx(0.014)  # v/2 + t
    capsys.readouterr()
    code = main(tmp_path, "--input", tmp_path / "a" / "run.npz", *RUN_THROUGH)
    text = capsys.readouterr().out
    assert code == 0
    assert "the final density of" in text and "age 0.014" in text
    assert "exact      none known for the backward-heat flow from a saved density" in text
    result = wg.SolveResult.load(tmp_path / "out" / "run.npz")
    assert result.grid == saved.grid and result.times[-1] == pytest.approx(0.007)
    np.testing.assert_array_equal(result.densities[0].values, saved.final.values)
    assert "rel L1 err" not in table(text)[0]


# -- the summary table: error estimate and exact error ------------------------------------
def test_table_shows_the_error_estimate_beside_the_exact_error(tmp_path, capsys):
    """A backward heat run of a Gaussian: the library's estimate and the exact error."""
    code = main(tmp_path, "--flow", "backward-heat", "--n", "64", "--variance", "0.05",
                "--t-end", "0.004", "--dt", "1e-3", "--outputs", "4", *RUN_THROUGH)
    text = capsys.readouterr().out
    assert code == 0
    headers, rows = table(text)
    assert headers[-2:] == ["err est", "rel L1 err"]
    result = wg.SolveResult.load(tmp_path / "out" / "run.npz")
    np.testing.assert_allclose(column(text, "err est"), result.statistics["error_estimate"],
                               rtol=2e-3, atol=1e-300)
    assert f"final error estimate: {result.statistics['error_estimate'][-1]:.3e}" in text
    assert np.all(np.isfinite(column(text, "rel L1 err")))


def test_table_without_an_error_estimate(tmp_path, capsys):
    assert main(tmp_path, "--flow", "heat", "--n", "32", "--t-end", "0.002") == 0
    text = capsys.readouterr().out
    assert "err est" not in table(text)[0] and "final error estimate" not in text


def test_table_has_no_exact_error_past_the_exact_solution():
    """A Barenblatt profile driven back past t0: the rows there show ``-``."""
    problem = problems.run_problem(run_args("--flow", "backward-porous-medium", "--n", "16",
                                            "--C", "0.1", "--t-end", "0.02"))
    rho = problem.rho0
    result = wg.SolveResult(
        times=np.array([0.0, 0.005, 0.012]), densities=[rho] * 3,
        tracked={"shannon": np.zeros(3)}, tracked_times={"shannon": np.array([0, 0.005, 0.012])},
        success=False, message="stopped", flow="backward-porous-medium", method="jko")
    errors = np.array([0.0, 0.1, math.nan])
    lines = report.summarize(problem, result, errors).splitlines()
    assert lines[2].split()[-1] == "0.000e+00" and lines[4].split()[-2:] == ["-", "-"]
    assert not any(line.startswith("final relative L1 error") for line in lines)
    assert not any(line.startswith("final Shannon entropy minus exact") for line in lines)


def test_rtol_inf_runs_through_and_reports_the_library_estimate(data, tmp_path, capsys):
    assert main(tmp_path, "--input", data / "line.csv", "--n", "48", "--rtol", "inf") == 0
    text = capsys.readouterr().out
    result = wg.SolveResult.load(tmp_path / "out" / "run.npz")
    estimate = result.statistics["error_estimate"]
    assert len(estimate) == len(result.times)
    np.testing.assert_allclose(column(text, "err est"), estimate, rtol=2e-3)


def test_a_run_stopped_by_rtol_exits_1(data, tmp_path, capsys):
    assert main(tmp_path, "--input", data / "line.csv", "--n", "48", "--rtol", "1e-12") == 1
    assert "status: FAILED" in capsys.readouterr().out


# -- bad input: a message naming the value, exit status 2, nothing written ------------------
def _write(folder, name, content):
    path = folder / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    elif isinstance(content, np.ndarray):
        np.save(path, content)
    else:
        path.write_text(content)
    return path


BAD_FILES = [
    ("missing.csv", None, [], ["--input", "missing.csv", "does not exist"]),
    ("empty.csv", "", [], ["empty.csv", "is empty"]),
    ("header.csv", "x,y\n# nothing else\n", [], ["header.csv", "holds no numbers"]),
    ("words.csv", "1,2\n3,abc\n", [], ["words.csv, line 2", "'abc' is not a number"]),
    ("ragged.csv", "1 2\n3\n", [], ["line 2 has 1 values", "first row has 2"]),
    ("binary.csv", b"\xff\xfe\x00\x81", [], ["binary.csv", "cannot be read as text"]),
    ("nan.csv", "0.1\nnan\n0.3\n", [], ["nan.csv", "must be finite", "[nan]", "row 1"]),
    ("inf.npy", np.array([[0.1, 0.2], [np.inf, 0.0]]), [], ["must be finite", "inf"]),
    ("one.csv", "0.5\n", [], ["one.csv holds 1 point", "at least two"]),
    ("wide.csv", "1 2 3 4\n5 6 7 8\n", [], ["wide.csv", "d = 1, 2 or 3 columns", "got 4"]),
    ("cube.npy", np.zeros((2, 3, 4)), [], ["cube.npy", "shape (k, d)", "(2, 3, 4)"]),
    ("text.npy", "0.1\n0.2\n", [], ["text.npy", "is not a NumPy .npy array"]),
    ("strings.npy", np.array(["a", "b"]), [], ["strings.npy", "real numbers"]),
    ("points.json", "[0.1, 0.2]", [], ["unknown format '.json'", ".csv", ".npy", ".npz"]),
    ("points", "0.1\n0.2\n", [], ["unknown format '(no extension)'"]),
    ("other.npz", b"PK\x03\x04 not really", [], ["other.npz", "is not a wgflow result file"]),
    ("plane.csv", "0 0\n1 1\n", ["--dim", "1"], ["--dim 1", "points are 2-D", "--dim 2"]),
    ("far.csv", "0\n0.5\n2\n-3\n", ["--bounds", "-1", "1"],
     ["2 samples lie outside", "for example [2.0]", "--bounds A B that hold"]),
    ("ok.csv", "0\n0.5\n1\n", ["--bandwidth", "-0.1"],
     ["--bandwidth -0.1", "> 0", "-0.1", "0 for the histogram"]),
    ("ok.csv", "0\n0.5\n1\n", ["--bandwidth", "wide"],
     ["--bandwidth wide", "unknown bandwidth rule 'wide'", "'scott'"]),
    ("ok.csv", "0\n0.5\n1\n", ["--bandwidth", "nan"], ["--bandwidth nan", "got nan"]),
    ("same.csv", "0.5\n0.5\n", [], ["--bandwidth scott", "bandwidth 0.0", "number > 0"]),
    ("same.csv", "0.5\n0.5\n", ["--bandwidth", "0"], ["all lie at 0.5", "--bounds"]),
    ("ok.csv", "0\n0.5\n1\n", ["--bandwidth", "0"], ["--t-end is needed", "a histogram"]),
    ("ok.csv", "0\n0.5\n1\n", ["--initial", "gaussian"], ["--input", "not allowed with"]),
    ("ok.csv", "0\n0.5\n1\n", ["--variance", "0.1"], ["--variance", "gaussian only"]),
]


@pytest.mark.parametrize("name, content, options, fragments", BAD_FILES)
def test_bad_input_file(name, content, options, fragments, tmp_path, capsys):
    folder = tmp_path / "in"
    folder.mkdir()
    path = folder / name if content is None else _write(folder, name, content)
    assert main(tmp_path, "--input", path, *options) == 2
    err = capsys.readouterr().err
    assert all(fragment in err for fragment in fragments), (err, fragments)
    assert "Traceback" not in err
    assert not (tmp_path / "out").exists()  # refused before anything was written


def test_bad_input_folder_and_saved_grid(tmp_path, capsys):
    assert main(tmp_path, "--input", tmp_path) == 2
    assert f"--input {tmp_path} is not a file" in capsys.readouterr().err
    saved = wg.SolveResult.load(  # a 1-D density with an age
        wg.solve(wg.flows.Heat(), wg.Density.from_samples(
            wg.Grid([(-2.0, 2.0)], 16), LINE, bandwidth=0.3), t_end=1e-3, dt=1e-3
        ).save(tmp_path / "saved.npz"))
    assert saved.final.age is not None
    for options, fragments in (
        (["--n", "32"], ["--n does not apply to --input", "keeps its grid (16 cells"]),
        (["--bounds", "-1", "1", "--bandwidth", "0.1"], ["--bounds, --bandwidth does not apply"]),
        (["--dim", "2"], ["--dim 2 does not match", "density is 1-D"]),
    ):
        assert main(tmp_path, "--input", tmp_path / "saved.npz", *options) == 2
        err = capsys.readouterr().err
        assert all(fragment in err for fragment in fragments), (err, fragments)


@pytest.mark.parametrize(
    "options, fragments",
    [
        (["--rtol", "0"], ["--rtol", "> 0", "inf", "0.0"]),
        (["--rtol", "-1e-3"], ["--rtol", "-0.001"]),
        (["--rtol", "nan"], ["--rtol", "nan"]),
        (["--rtol", "tight"], ["--rtol", "invalid float value: 'tight'"]),
        (["--flow", "heat", "--rtol", "0.1"],
         ["--rtol applies to --flow backward-heat and backward-porous-medium only"]),
        (["--bandwidth", "0.1"], ["--bandwidth applies to --input with samples only"]),
        (["--flow", "backward-porous-medium", "--initial", "gaussian"],
         ["--t-end is needed", "backward-porous-medium", "a Gaussian"]),
        (["--flow", "backward-porous-medium", "--method", "spectral"],
         ["--method spectral does not run --flow backward-porous-medium", "accepted: jko"]),
        (["--flow", "heat", "--m", "2"], ["--m is used only by", "backward-porous-medium"]),
    ],
)
def test_bad_options(options, fragments, tmp_path, capsys):
    assert main(tmp_path, *options) == 2
    err = capsys.readouterr().err
    assert all(fragment in err for fragment in fragments), (err, fragments)
    assert not (tmp_path / "out").exists()


def test_help_describes_the_data_and_the_backward_flows(capsys):
    assert cli.main(["run", "--help"]) == 0
    out = capsys.readouterr().out
    for words in ("--input FILE", "--bandwidth B", "--rtol R", "backward-porous-medium",
                  "3 bandwidths plus 10% of the range", "T/40", "a first line of column names",
                  "wgflow run --flow backward-heat --input samples.csv"):
        assert words in out, words
    assert cli.main(["--help"]) == 0
    assert "--input samples.csv" in capsys.readouterr().out
