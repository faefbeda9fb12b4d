"""The example gallery: every ``examples/plot_*.py`` runs in ``--quick`` mode and writes a
non-blank PNG; the gallery's plotting functions reject bad input clearly."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from matplotlib.image import imread

import wgflow as wg
from wgflow.errors import WgflowError
from wgflow.plotting import animate_densities, plot_displacement, plot_trajectories

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
SCRIPTS = sorted(EXAMPLES.glob("plot_*.py"))


def test_there_are_examples():
    assert SCRIPTS, f"no plot_*.py in {EXAMPLES}"


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


# ---------------------------------------------------------------------------------------
# the new plotting functions
# ---------------------------------------------------------------------------------------
def test_plot_trajectories_draws_lines_and_dots():
    t = np.linspace(0.0, 1.0, 11)
    paths = np.stack([np.outer(1 - t, [1.0, 2.0]), np.outer(1 - t, [-1.0, 0.5])], axis=1)
    fig = plot_trajectories(paths, t, midpoint_every=0.2, color="gray")
    ax = fig.axes[0]
    assert len(ax.lines) == 4                       # a line and a set of dots per particle
    assert len(ax.lines[1].get_xdata()) == 6        # t = 0, 0.2, ..., 1


@pytest.mark.parametrize(
    "paths",
    [np.zeros((5, 3)), np.zeros((5, 3, 3)), np.zeros((0, 3, 2)), np.zeros((4, 0, 2)),
     np.full((4, 2, 2), np.nan), "abc"],
)
def test_plot_trajectories_bad_paths(paths):
    with pytest.raises(WgflowError):
        plot_trajectories(paths)


def test_plot_trajectories_bad_times_and_spacing():
    paths = np.zeros((4, 2, 2))
    with pytest.raises(WgflowError, match="one time per"):
        plot_trajectories(paths, times=[0.0, 1.0])
    with pytest.raises(WgflowError, match="midpoint_every"):
        plot_trajectories(paths, times=[0, 1, 2, 3], midpoint_every=0.0)
    with pytest.raises(WgflowError, match="color"):
        plot_trajectories(paths, color=["r", "g", "b"])
    with pytest.raises(WgflowError, match="Axes"):
        plot_trajectories(paths, ax="not axes")


def test_plot_displacement():
    grid = wg.Grid([(-3, 3), (-3, 3)], 24)
    rho = wg.exact.heat_gaussian(grid, [0, 0], 1.0, 0.0)
    phi = wg.dae.dae_map(rho, 0.5)
    fig = plot_displacement(grid, phi, step=3, density=rho)
    assert fig.axes[0].collections                  # the quiver
    with pytest.raises(WgflowError, match="2-D grid"):
        plot_displacement(wg.Grid([(-1, 1)], 8), np.zeros((1, 8)))
    with pytest.raises(WgflowError, match="shape"):
        plot_displacement(grid, phi[:, :10])
    with pytest.raises(WgflowError, match="step"):
        plot_displacement(grid, phi, step=0)
    with pytest.raises(WgflowError, match="finite"):
        plot_displacement(grid, np.full_like(phi, np.inf))
    with pytest.raises(WgflowError, match="Grid"):
        plot_displacement("grid", phi)


def test_animate_densities(tmp_path: Path):
    grid = wg.Grid([(-2, 2)], 32)
    frames = [wg.exact.heat_gaussian(grid, 0.0, 0.1, t) for t in (0.0, 0.05, 0.1)]
    path = animate_densities(frames, [0.0, 0.05, 0.1], tmp_path / "heat")
    assert path.suffix == ".gif" and path.stat().st_size > 0
    with pytest.raises(WgflowError, match="empty"):
        animate_densities([], [], tmp_path / "x.gif")
    with pytest.raises(WgflowError, match="one time per"):
        animate_densities(frames, [0.0], tmp_path / "x.gif")
    with pytest.raises(WgflowError):
        animate_densities([np.zeros(4)], [0.0], tmp_path / "x.gif")
    grid3 = wg.Grid([(-1, 1)] * 3, 4)
    with pytest.raises(WgflowError, match="1-D and 2-D"):
        animate_densities([wg.Density(grid3, np.ones((4, 4, 4)))], [0.0], tmp_path / "x.gif")
