"""The example gallery: every ``examples/plot_*.py`` runs in ``--quick`` mode and writes a
non-blank PNG; the gallery's plotting functions reject bad input clearly."""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from matplotlib.image import imread


EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
SCRIPTS = sorted(EXAMPLES.glob("plot_*.py"))


def test_there_are_examples():
    assert SCRIPTS, f"no plot_*.py in {EXAMPLES}"


@pytest.mark.parametrize("script", SCRIPTS, ids=[s.stem for s in SCRIPTS])
def test_example_has_gallery_title(script: Path):
    """The docs' gallery (sphinx-gallery) needs a docstring that opens with a title line
    underlined by ``=``, followed by a blank line."""
    docstring = ast.get_docstring(ast.parse(script.read_text(encoding="utf-8")))
    assert docstring, f"{script.name} has no docstring"
    title, underline, blank = (docstring.splitlines() + ["", "", ""])[:3]
    assert title.strip() and set(underline) == {"="} and len(underline) >= len(title), (
        f"{script.name}: the docstring must open with a title underlined by '='"
    )
    assert not blank.strip(), f"{script.name}: a blank line must follow the title"


def test_gallery_command_line_without_docstring(monkeypatch):
    """sphinx-gallery runs the scripts with an empty ``__doc__``."""
    monkeypatch.syspath_prepend(str(EXAMPLES))
    monkeypatch.setattr(sys, "argv", ["plot_x.py", "--quick", "--out", "somewhere"])
    from _gallery import parse_args

    args = parse_args("")
    assert args.quick and args.out == Path("somewhere")


@pytest.mark.parametrize("script", SCRIPTS, ids=[s.stem for s in SCRIPTS])
def test_example_quick(script: Path, tmp_path: Path):
    env = dict(os.environ, MPLBACKEND="Agg")
    env.pop("WGFLOW_GALLERY_OUT", None)
    proc = subprocess.run(
        [sys.executable, str(script), "--quick", "--out", str(tmp_path)],
        capture_output=True, text=True, timeout=120, env=env, cwd=tmp_path,
    )
    assert proc.returncode == 0, f"{script.name} failed:\n{proc.stdout}\n{proc.stderr}"
    pngs = list(tmp_path.glob("*.png"))
    assert pngs, f"{script.name} wrote no PNG into --out:\n{proc.stdout}"
    for png in pngs:
        assert png.stat().st_size > 0
        pixels = imread(png)
        assert pixels.ndim == 3 and pixels.shape[0] > 50 and pixels.shape[1] > 50
        flat = pixels.reshape(-1, pixels.shape[-1])
        assert not np.all(flat == flat[0]), f"{png.name} is a single colour"


def test_default_out_from_environment(tmp_path: Path):
    """Without --out the PNG goes to $WGFLOW_GALLERY_OUT."""
    script = EXAMPLES / "plot_figure1_gaussian_dae.py"
    env = dict(os.environ, MPLBACKEND="Agg", WGFLOW_GALLERY_OUT=str(tmp_path / "gallery"))
    proc = subprocess.run([sys.executable, str(script), "--quick"], capture_output=True,
                          text=True, timeout=120, env=env)
    assert proc.returncode == 0, proc.stderr
    assert list((tmp_path / "gallery").glob("*.png"))
