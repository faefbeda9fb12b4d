"""Tests of wgflow.result.SolveResult: the trajectory container and its ``.npz`` storage.

``save`` then ``load`` must restore every field exactly (arrays bit for bit); a file that is
not a result written by ``save`` must give a :class:`~wgflow.errors.WgflowError` that names
the file.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from _helpers import raises_naming

import wgflow as wg


@pytest.fixture(scope="module")
def result_2d(small_gaussian_2d):
    rho0, _ = small_gaussian_2d
    result = wg.solve(wg.flows.Heat(), rho0, t_end=3e-3, dt=1e-3, method="spectral",
                      track=["shannon", "renyi:2", "mass", "w2"])
    assert result.success, result.message
    return result


def assert_same_result(loaded: wg.SolveResult, result: wg.SolveResult) -> None:
    assert loaded.times.dtype == result.times.dtype
    np.testing.assert_array_equal(loaded.times, result.times)
    assert len(loaded.densities) == len(result.densities)
    for a, b in zip(loaded.densities, result.densities):
        assert a.grid == b.grid and a.grid.bounds == b.grid.bounds
        np.testing.assert_array_equal(a.values, b.values)
    assert sorted(loaded.tracked) == sorted(result.tracked)
    for name in result.tracked:
        np.testing.assert_array_equal(loaded.tracked[name], result.tracked[name])
        np.testing.assert_array_equal(loaded.tracked_times[name], result.tracked_times[name])
    for field in ("success", "message", "flow", "method", "settings", "statistics"):
        assert getattr(loaded, field) == getattr(result, field), field


def test_save_load_round_trip_is_exact(result_2d, tmp_path):
    path = result_2d.save(tmp_path / "run.npz")
    assert path == tmp_path / "run.npz"
    assert_same_result(wg.SolveResult.load(path), result_2d)


def test_round_trip_of_a_failed_1d_run_without_trackers(small_gaussian_1d, tmp_path):
    rho0, _ = small_gaussian_1d
    result = wg.solve(wg.flows.Heat(), rho0, t_end=2e-3, dt=1e-3, method="spectral")
    failed = dataclasses.replace(result, success=False, message="step from t = 0.002 failed: x")
    loaded = wg.SolveResult.load(failed.save(tmp_path / "failed.npz"))
    assert_same_result(loaded, failed)
    assert loaded.tracked == {} and not loaded.success


def test_save_appends_the_npz_suffix(result_2d, tmp_path):
    assert result_2d.save(tmp_path / "run") == tmp_path / "run.npz"
    assert result_2d.save(str(tmp_path / "run.v1")) == tmp_path / "run.v1.npz"
    assert (tmp_path / "run.npz").is_file() and (tmp_path / "run.v1.npz").is_file()


def test_final_grid_and_repr(result_2d):
    assert result_2d.final is result_2d.densities[-1]
    assert result_2d.grid == result_2d.densities[0].grid
    text = repr(result_2d)
    for fragment in ("flow='heat'", "method='spectral'", "success=True", "4 densities",
                     "'renyi:2'"):
        assert fragment in text, text


def test_missing_file_names_the_file(tmp_path):
    path = tmp_path / "missing.npz"
    with raises_naming(str(path), "not a wgflow result file"):
        wg.SolveResult.load(path)


def test_foreign_files_name_the_file(tmp_path):
    foreign = tmp_path / "foreign.npz"
    np.savez(foreign, x=np.ones(3))
    text = tmp_path / "notes.npz"
    text.write_text("not numpy")
    array = tmp_path / "array.npy"
    np.save(array, np.ones(3))
    for path in (foreign, text, array):
        with raises_naming(str(path), "not a wgflow result file"):
            wg.SolveResult.load(path)


def test_truncated_file_names_the_file(result_2d, tmp_path):
    data = result_2d.save(tmp_path / "run.npz").read_bytes()
    truncated = tmp_path / "truncated.npz"
    truncated.write_bytes(data[: len(data) // 2])
    with raises_naming(str(truncated), "not a wgflow result file"):
        wg.SolveResult.load(truncated)


def test_an_interrupted_result_keeps_the_signal_and_the_format_is_named(result_2d, tmp_path):
    interrupted = dataclasses.replace(result_2d, success=False, interrupted="SIGTERM",
                                      message="interrupted by SIGTERM at t = 0.002")
    path = interrupted.save(tmp_path / "run.npz")
    loaded = wg.SolveResult.load(path)
    assert_same_result(loaded, interrupted)
    assert loaded.interrupted == "SIGTERM" and result_2d.interrupted is None
    with np.load(path, allow_pickle=False) as data:
        assert '"format": "wgflow-result", "version": 2' in str(data["meta"])
