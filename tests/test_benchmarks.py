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
    assert 0.8 <= data["order"]["slope"] <= 1.2
    per_cell = [m["bytes_per_cell"] for m in data["memory"]["runs"]]
    assert max(per_cell) < 1.5 * min(per_cell)  # linear in the number of cells
    assert "order in dt" in capsys.readouterr().out


@pytest.mark.benchmark
def test_bench_backward_quick_meets_the_accuracy_targets(tmp_path):
    sys.path.insert(0, str(BENCHMARKS))
    import bench_backward

    output = tmp_path / "bench_backward.json"
    assert bench_backward.main(["--quick", "--output", str(output)]) == 0
    data = json.loads(output.read_text())
    rows = {(p["problem"], r["solver"]): r for p in data["problems"] for r in p["rows"]}
    jko_2d = rows[("mixture-2d-128", "wgflow jko (spectral filter)")]
    assert jko_2d["success"] and jko_2d["min_value"] >= 0.0
    assert jko_2d["errors"]["0.05"] < 5e-3 and jko_2d["errors"]["0.08"] < 2e-2
    assert jko_2d["mass_drift"] < 1e-10
    jko_1d = rows[("mixture-1d-1024", "wgflow jko (spectral filter)")]
    assert jko_1d["errors"]["0.18"] < 1e-2
    for row in (jko_1d, jko_2d):
        for report in row["entropies"].values():
            assert report["largest_increase"] == 0.0 and report["largest_gap"] < 1e-2
    assert 1.7 <= data["order"]["slope"] <= 2.2
    for m in ("2", "3"):
        pme = rows[(f"pme-1d-1024-m{m}", "wgflow jko")]
        assert pme["success"] and pme["errors"]["0.025"] < 2e-2
