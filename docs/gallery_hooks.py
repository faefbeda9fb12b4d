"""How sphinx-gallery runs the examples of ``examples/``.

Every gallery script takes ``--quick`` (coarse grids, a few seconds) and ``--out DIR`` and
writes its figure as a PNG file into ``DIR`` (see ``examples/_gallery.py``); the scripts draw
on matplotlib ``Figure`` objects without pyplot, so the usual matplotlib scraper would find
nothing.  :func:`quick_argv` gives each script ``--quick --out <folder of its own>`` and
:func:`png_scraper` hands the PNG files that appeared there to sphinx-gallery.

``docs/conf.py`` names both functions by their dotted names (a configuration holding plain
strings can be cached by Sphinx, one holding functions cannot).
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

from sphinx_gallery.scrapers import figure_rst


def _output_folder(script_vars: dict[str, Any]) -> Path:
    """The ``--out`` folder of one example: beside its generated page, in the build tree."""
    target = Path(script_vars["target_file"])
    return target.parent / "_script_output" / target.stem


def quick_argv(gallery_conf: dict[str, Any], script_vars: dict[str, Any]) -> list[str]:
    """Command-line arguments of an example run by sphinx-gallery (quick mode)."""
    out = _output_folder(script_vars)
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    return ["--quick", "--out", str(out)]


def png_scraper(block: Any, block_vars: dict[str, Any], gallery_conf: dict[str, Any]) -> str:
    """Copy the PNG files the example wrote since the last call into the gallery's images."""
    out = _output_folder(block_vars)
    if not out.is_dir():
        return ""
    images = []
    for png in sorted(out.glob("*.png")):
        target = Path(next(block_vars["image_path_iterator"]))
        shutil.move(png, target)
        images.append(str(target))
    return figure_rst(images, gallery_conf["src_dir"])
