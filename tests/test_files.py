"""Tests of the files wgflow writes (wgflow.checkpoint's archives, wgflow.storage).

Every file is written atomically (no temporary file is left, a failed write leaves the old
file) and read back with checks: a missing, empty, cut, damaged or foreign file, a file of
the other kind and a file of another format version are each answered by a WgflowError that
names the file and says which -- never by an error from numpy's or zipfile's internals.
"""

from __future__ import annotations

import json
import zipfile

import numpy as np
import pytest
from _helpers import image_not_uniform, raises_naming

import wgflow as wg
from wgflow.checkpoint import CHECKPOINT, RESULT, read_checkpoint, write_archive
from wgflow.plotting import plot_result, save_figure


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    """A result file and a checkpoint of the same small run."""
    folder = tmp_path_factory.mktemp("files")
    grid = wg.Grid([(-1.0, 1.0)], 32)
    rho0 = wg.exact.heat_gaussian(grid, [0.0], 0.05, 0.0)
    result = wg.solve(wg.flows.Heat(), rho0, 2e-3, 5e-4, track=["shannon"],
                      checkpoint=folder / "run.ckpt.npz")
    return result, result.save(folder / "run.npz"), folder / "run.ckpt.npz"


def loaders():
    return [
        ("not a wgflow result file", wg.SolveResult.load),
        ("not a wgflow checkpoint", read_checkpoint),
        ("not a wgflow checkpoint", wg.resume),
    ]


@pytest.mark.parametrize("what, load", loaders())
def test_foreign_and_broken_files_are_named(what, load, run, tmp_path):
    _, result_path, _ = run
    data = result_path.read_bytes()
    cases = {
        "missing.npz": (None, "there is no such file"),
        "empty.npz": (b"", "it is empty (0 bytes)"),
        "text.npz": (b"time,value\n0,1\n", "is not an .npz archive"),
        "half.npz": (data[: len(data) // 2], "damaged or cut short"),
        "array.npy": (None, "a single numpy array"),
        "foreign.npz": (None, "no 'meta' entry"),
        "pickled.npz": (None, "holds Python objects (a pickle)"),
    }
    np.save(tmp_path / "array.npy", np.ones(3))
    np.savez(tmp_path / "foreign.npz", x=np.ones(3))
    np.savez(tmp_path / "pickled.npz", meta=np.array([{"a": 1}], dtype=object))
    for name, (content, reason) in cases.items():
        path = tmp_path / name
        if content is not None:
            path.write_bytes(content)
        with raises_naming(str(path), what, reason):
            load(path)
    with raises_naming(str(tmp_path), what, "it is a directory"):
        load(tmp_path)


def test_a_checkpoint_is_not_a_result_and_the_reverse(run):
    _, result_path, checkpoint_path = run
    with raises_naming(str(checkpoint_path), "not a wgflow result file",
                       "it is a wgflow checkpoint", "wg.resume"):
        wg.SolveResult.load(checkpoint_path)
    with raises_naming(str(result_path), "not a wgflow checkpoint",
                       "it is a wgflow result file", "wg.SolveResult.load"):
        wg.resume(result_path)


def test_a_damaged_entry_is_found_by_its_checksum(run, tmp_path):
    """One byte changed inside the stored densities of a checkpoint (stored, not deflated):
    the zip archive's CRC-32 of that entry no longer matches."""
    _, _, checkpoint_path = run
    data = bytearray(checkpoint_path.read_bytes())
    with zipfile.ZipFile(checkpoint_path) as archive:
        info = archive.getinfo("rho0.npy")
    offset = info.header_offset + 30 + len(info.filename) + len(info.extra) + info.file_size - 8
    data[offset] ^= 0xFF
    damaged = tmp_path / "damaged.npz"
    damaged.write_bytes(bytes(data))
    with raises_naming(str(damaged), "not a wgflow checkpoint", "damaged", "'rho0'"):
        read_checkpoint(damaged)


def rewrite_meta(source, target, change) -> None:
    """Copy the archive ``source`` to ``target`` with ``change(meta)`` applied."""
    with np.load(source) as data:
        arrays = {name: data[name] for name in data.files}
    meta = json.loads(str(arrays.pop("meta")))
    change(meta)
    np.savez(target, meta=np.array(json.dumps(meta)), **arrays)


def test_other_format_versions_are_named(run, tmp_path):
    _, result_path, checkpoint_path = run
    newer = tmp_path / "newer.npz"
    rewrite_meta(result_path, newer, lambda meta: meta.update(version=3, wgflow="9.0"))
    with raises_naming(str(newer), "format version 3", "wgflow 9.0", "reads format versions 1, 2"):
        wg.SolveResult.load(newer)
    newer_checkpoint = tmp_path / "newer.ckpt.npz"
    rewrite_meta(checkpoint_path, newer_checkpoint, lambda meta: meta.update(version=2))
    with raises_naming(str(newer_checkpoint), "checkpoint of format version 2",
                       "reads format version 1"):
        wg.resume(newer_checkpoint)
    incomplete = tmp_path / "incomplete.npz"
    rewrite_meta(result_path, incomplete, lambda meta: meta["arrays"].append("values2"))
    with raises_naming(str(incomplete), "incomplete", "values2"):
        wg.SolveResult.load(incomplete)


def test_result_files_of_format_1_are_still_read(run, tmp_path):
    """Format 1, before format names and versions were stored: the same entries, a ``meta``
    without ``format``, ``version`` and ``arrays``."""
    result, result_path, _ = run
    old = tmp_path / "old.npz"
    rewrite_meta(result_path, old, lambda meta: [meta.pop(k) for k in
                                                 ("format", "version", "wgflow", "arrays",
                                                  "interrupted")])
    loaded = wg.SolveResult.load(old)
    np.testing.assert_array_equal(loaded.final.values, result.final.values)
    np.testing.assert_array_equal(loaded.tracked["shannon"], result.tracked["shannon"])
    assert loaded.interrupted is None and loaded.message == result.message


def test_files_are_written_whole_or_not_at_all(run, tmp_path, monkeypatch):
    result, _, _ = run
    path = result.save(tmp_path / "run.npz")
    before = path.read_bytes()

    def fail(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr("wgflow.storage.os.replace", fail)  # the last move of a write
    with pytest.raises(OSError, match="disk full"):
        result.save(path)
    assert path.read_bytes() == before  # the old file is untouched
    assert [p.name for p in tmp_path.iterdir()] == ["run.npz"]  # no temporary file left
    monkeypatch.undo()
    figure = save_figure(plot_result(result), tmp_path / "run.png")
    assert image_not_uniform(figure)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run.npz", "run.png"]


def test_a_result_that_cannot_be_stored_is_named(run, tmp_path):
    result, _, _ = run
    result.statistics["callback"] = print
    try:
        with raises_naming(str(tmp_path / "bad.npz"), "cannot store builtin_function_or_method"):
            result.save(tmp_path / "bad.npz")
    finally:
        del result.statistics["callback"]
    assert list(tmp_path.iterdir()) == []


def test_archives_name_their_format_and_entries(run, tmp_path):
    path = write_archive(tmp_path / "a.bin", CHECKPOINT, {"x": 1}, {"b": np.arange(3)})
    with np.load(path, allow_pickle=False) as data:
        meta = json.loads(str(data["meta"]))
    assert meta["format"] == CHECKPOINT and meta["version"] == 1
    assert meta["arrays"] == ["b"] and meta["wgflow"] == wg.__version__
    _, result_path, _ = run
    with np.load(result_path, allow_pickle=False) as data:
        meta = json.loads(str(data["meta"]))
    assert meta["format"] == RESULT and meta["version"] == 2
