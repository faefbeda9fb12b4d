"""Shared command line of the gallery scripts: ``[--quick] [--out DIR]``.

Not an example itself: its name does not start with ``plot_``, and the docs' gallery
(sphinx-gallery, configured in ``docs/conf.py``) skips files whose names start with ``_``.
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

import numpy as np


def parse_args(description: str | None) -> argparse.Namespace:
    """``--quick`` (coarse, fast settings) and ``--out`` (default: $WGFLOW_GALLERY_OUT or
    examples/output).

    ``description`` is the script's docstring, whose first line (the title) the help shows;
    sphinx-gallery runs the scripts with an empty ``__doc__``.
    """
    title = (description or "").strip().splitlines()
    parser = argparse.ArgumentParser(description=title[0] if title else None)
    parser.add_argument("--quick", action="store_true", help="coarse grids, fewer steps")
    default = os.environ.get("WGFLOW_GALLERY_OUT") or str(Path(__file__).parent / "output")
    parser.add_argument("--out", default=default, help=f"output folder (default {default})")
    args = parser.parse_args()
    args.out = Path(args.out)
    args.start = time.perf_counter()
    return args


def new_figure(figsize=(8.0, 4.0)):
    """A new Agg-backed figure with constrained layout (no pyplot, no display needed)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=figsize, layout="constrained")
    FigureCanvasAgg(fig)
    return fig


def check_figure(fig) -> None:
    """Raise rather than save a figure with nothing drawn in it."""
    drawn = False
    for ax in fig.axes:
        if ax.lines or ax.collections or ax.images or ax.patches:
            drawn = True
        for line in ax.lines:
            data = np.asarray(line.get_xydata(), dtype=float)
            if data.size and not np.isfinite(data).any():
                raise RuntimeError(f"a curve of {ax.get_title()!r} holds no finite value")
    if not drawn:
        raise RuntimeError("the figure is blank: nothing was drawn")


def finish(fig, args: argparse.Namespace, name: str) -> Path:
    """Check and save ``fig`` as ``<out>/<name>.png`` and report the time taken."""
    from wgflow.plotting import save_figure

    check_figure(fig)
    path = save_figure(fig, args.out / f"{name}.png")
    elapsed = time.perf_counter() - args.start
    print(f"wrote {path} ({'quick' if args.quick else 'full'} mode, {elapsed:.1f} s)")
    return path
