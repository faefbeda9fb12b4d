"""The benchmark scripts as long tests (``pytest -m benchmark``): each must run and its
accuracy figures must meet the bounds asserted here (times are not asserted)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"


@pytest.mark.benchmark
def test_bench_jko_quick_meets_the_accuracy_targets(capsys, tmp_path):
    sys.path.insert(0, str(BENCHMARKS))
    import bench_jko

    output = tmp_path / "bench_jko.json"
    assert bench_jko.main(["--quick", "--output", str(output)]) == 0
    data = json.loads(output.read_text())
    errors = {(r["problem"], r["solver"]): r["error"] for r in data["rows"]}
    assert errors[("heat-2d-128", "wgflow jko")] < 1e-2
    assert errors[("barenblatt-2d-128", "wgflow jko")] < 1.6e-2
    assert errors[("barenblatt-2d-128", "wgflow jko")] < errors[("barenblatt-2d-128", "plain banded JKO")]
    # the accuracy half of the back-and-forth comparison (its times are ratios in one run):
    # measured 6.8e-3 (accurate) and 1.2e-2 (fast) against its 9.2e-3 and 1.7e-2 points
    assert errors[("barenblatt-2d-128", "wgflow jko, accurate")] < 9.2e-3
    assert errors[("barenblatt-2d-128", "wgflow jko, fast")] < 1.7e-2
    assert 0.8 <= data["order"]["slope"] <= 1.2
    per_cell = [m["bytes_per_cell"] for m in data["memory"]["runs"]]
    assert max(per_cell) < 1.5 * min(per_cell)  # linear in the number of cells
    assert "order in dt" in capsys.readouterr().out


@pytest.mark.benchmark
def test_bench_w2_quick_meets_the_accuracy_target(tmp_path):
    """W2 of Gaussians on 128^2 within 1e-3 of the Bures distance (measured 4e-9 .. 3.4e-5),
    and more accurate than the point-mass linear program in every case."""
    sys.path.insert(0, str(BENCHMARKS))
    import bench_w2

    output = tmp_path / "bench_w2.json"
    assert bench_w2.main(["--quick", "--repeats", "1", "--output", str(output)]) == 0
    rows = [r for r in json.loads(output.read_text())["rows"] if r["grid"] == "2d-128"]
    assert len(rows) >= 4
    for r in rows:
        assert r["new"]["error"] < 1e-3 and r["new"]["error"] < r["old"]["error"]


@pytest.mark.benchmark
def test_bench_backward_quick_meets_the_accuracy_targets(tmp_path):
    """Default settings; measured 6.6e-3 (1-D mixture, 0.9 T), 1.3e-3 (2-D, 0.5 T),
    estimate / truth 0.60 ... 9.3 over all cases, the companion at most 36% of the time."""
    sys.path.insert(0, str(BENCHMARKS))
    import bench_backward

    output = tmp_path / "bench_backward.json"
    assert bench_backward.main(["--quick", "--output", str(output)]) == 0
    data = json.loads(output.read_text())
    rows = {(p["problem"], r["solver"]): r for p in data["problems"] for r in p["rows"]}
    jko_1d = rows[("mixture-1d-1024", "wgflow jko")]
    assert jko_1d["success"] and jko_1d["errors"]["0.18"] < 1e-2
    jko_2d = rows[("mixture-2d-128", "wgflow jko")]
    assert jko_2d["min_value"] >= 0.0 and jko_2d["mass_drift"] < 1e-10
    assert jko_2d["errors"]["0.05"] < 2e-3
    for row in (jko_1d, jko_2d):
        for report in row["entropies"].values():
            assert report["largest_increase"] == 0.0 and report["largest_gap"] < 1e-2
    for shape in ("clusters", "ring", "heavy"):
        assert rows[(f"kde-{shape}-1d", "wgflow jko")]["success"]
        assert max(rows[(f"kde-{shape}-1d", "wgflow jko")]["errors"].values()) < 1e-2
    for m in ("2", "3"):
        assert rows[(f"pme-barenblatt-1d-1024-m{m}", "wgflow jko")]["errors"]["0.025"] < 2e-3
    for m in ("1.5", "2"):
        assert rows[(f"pme-bumps-separate-1d-512-m{m}", "wgflow jko")]["errors"]["0.03"] < 5e-3
    honesty = data["honesty"]
    assert 1 / 3 < honesty["smallest_ratio"] and honesty["largest_ratio"] < 10
    assert honesty["largest_error_of_a_default_success"] <= 2e-2
    assert honesty["largest_estimate_share"] < 0.5
    assert 1.7 <= data["order"]["slope"] <= 2.2




@pytest.mark.benchmark
def test_bench_lyapunov_recovers_the_score_and_the_first_order_departure(tmp_path):
    """Gaussian noise: the fitted order extrapolated to t = 0 is 1 to 1e-3 on every density
    (the method's check); Laplace noise in 1-D departs from the Gaussian DAE at first order in
    t (log-log slope 1, measured 0.986-0.997); every entropy decreases at every layer."""
    sys.path.insert(0, str(BENCHMARKS))
    import bench_lyapunov

    output = tmp_path / "bench_lyapunov.json"
    assert bench_lyapunov.main(["--output", str(output),
                                "--figure", str(tmp_path / "bench_lyapunov.png")]) == 0
    data = json.loads(output.read_text())
    for row in data["analyses"]:
        if row["noise"] == "gaussian":
            assert abs(row["order_limit"] - 1.0) < 1e-3
        if row["dimension"] == 1 and row["noise"] == "laplace":
            assert abs(row["small_t_departure_slope"] - 1.0) < 0.05
    for row in data["monotonicity"]:
        for name in ("shannon", "order:0.5", "order:2", "order:3"):
            assert row[name]["decreasing"]


@pytest.mark.benchmark
def test_bench_neural_dae_quick_meets_the_map_error_target(tmp_path):
    """The default perceptron on the wine data at t = 0.1: displacement error against the
    exact optimum at most 0.3 (measured 0.13-0.15), below the kernel model's (0.32); the
    trained deep DAE stays within 0.3 of the exact composition's displacement (measured
    0.15-0.17)."""
    sys.path.insert(0, str(BENCHMARKS))
    import bench_neural_dae

    output = tmp_path / "bench_neural_dae.json"
    assert bench_neural_dae.main(["--quick", "--output", str(output)]) == 0
    data = json.loads(output.read_text())
    default = data["default"]
    assert default["largest_error"] <= 0.3
    assert default["largest_error"] < default["kernel"]["error"]
    assert all(row["relative_gap"] < 0.3 for row in data["composition"]["rows"][1:])


@pytest.mark.benchmark
def test_bench_sweep_quick_runs_and_matches_the_serial_runs(tmp_path):
    """The sweep on the embedded cluster gives the serial runs' figures to the bit (the
    speed-up is a time, printed and stored, not asserted)."""
    sys.path.insert(0, str(BENCHMARKS))
    import bench_sweep

    output = tmp_path / "bench_sweep.json"
    assert bench_sweep.main(["--quick", "--output", str(output)]) == 0
    data = json.loads(output.read_text())
    assert data["figures_bitwise_equal"]
    assert len(data["runs"]) == data["runs_count"]
