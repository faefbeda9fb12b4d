"""Sphinx configuration of the wgflow documentation.

Build from the repository root with ``python -m sphinx -W -b html docs docs/_build/html``
(needs the ``docs`` extra: ``pip install ".[docs]"``).  The API reference is generated from
the NumPy-style docstrings (autosummary + numpydoc) and the gallery runs every
``examples/plot_*.py`` in quick mode (sphinx-gallery).  ``WGFLOW_DOCS_GALLERY=0`` builds the
gallery pages without running the examples (no figures), for quick edits of the text.
"""

from __future__ import annotations

import os
import sys
import typing
from pathlib import Path

DOCS = Path(__file__).resolve().parent
ROOT = DOCS.parent
sys.path.insert(0, str(ROOT))  # document the checked-out source
sys.path.insert(0, str(DOCS))  # gallery_hooks

import wgflow  # noqa: E402

project = "wgflow"
author = "the wgflow developers"
copyright = "2026, the wgflow developers"
release = wgflow.__version__
version = release

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.mathjax",
    "sphinx.ext.viewcode",
    "numpydoc",
    "sphinx_gallery.gen_gallery",
]

templates_path = ["_templates"]
exclude_patterns = ["_build", "Thumbs.db", ".DS_Store", "auto_examples/*.ipynb",
                    "auto_examples/*.py", "auto_examples/*.zip"]
default_role = "code"

# -- API reference ----------------------------------------------------------------------------
autosummary_generate = True
autosummary_imported_members = False
# every object once, on the page of the module that defines it (packages re-export names)
autodoc_default_options = {"members": True, "ignore-module-all": True,
                           "member-order": "bysource", "show-inheritance": True}
autodoc_typehints = "none"  # the numpydoc "Parameters" sections state the types
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
numpydoc_xref_param_type = False

# -- gallery ----------------------------------------------------------------------------------
# Each example runs once per build, in quick mode, and writes its own PNG, which the scraper
# of gallery_hooks collects (named by strings so that Sphinx can cache the configuration).
sphinx_gallery_conf = {
    "examples_dirs": str(ROOT / "examples"),
    "gallery_dirs": "auto_examples",
    "filename_pattern": r"/plot_",
    "ignore_pattern": r"(^|/)_",  # examples/_gallery.py is a helper
    "within_subsection_order": "sphinx_gallery.sorting.FileNameSortKey",
    "plot_gallery": os.environ.get("WGFLOW_DOCS_GALLERY", "1") != "0",
    "reset_argv": "gallery_hooks.quick_argv",
    "image_scrapers": ("gallery_hooks.png_scraper",),
    "abort_on_example_error": True,
    "capture_repr": (),  # the scripts end with the path of their PNG: not worth showing
    "download_all_examples": False,
    "remove_config_comments": True,
    "show_memory": False,
    "min_reported_time": 1,
}

# -- HTML -------------------------------------------------------------------------------------
html_theme = "pydata_sphinx_theme"
html_title = f"wgflow {release}"
html_theme_options = {
    "show_toc_level": 2,
    "header_links_before_dropdown": 7,
    "navigation_with_keys": False,
    "secondary_sidebar_items": ["page-toc"],
}
html_show_sourcelink = False


# -- the command line's help texts --------------------------------------------------------------
def _command_help(arguments: list[str]) -> str:
    """What ``wgflow ARGUMENTS --help`` prints, at a fixed width."""
    import contextlib
    import io

    from wgflow.cli import main

    buffer = io.StringIO()
    columns = os.environ.get("COLUMNS")
    os.environ["COLUMNS"] = "90"
    try:
        with contextlib.redirect_stdout(buffer), contextlib.suppress(SystemExit):
            main([*arguments, "--help"])
    finally:
        if columns is None:
            del os.environ["COLUMNS"]
        else:
            os.environ["COLUMNS"] = columns
    return buffer.getvalue()


def _skip_type_aliases(app, what, name, obj, skip, options):
    """Leave out module-level type aliases such as ``Pair = tuple[float, float]``: they
    serve the annotations, and autodoc cannot format them as classes."""
    return True if typing.get_origin(obj) is not None else None


def setup(app):
    from docutils import nodes
    from docutils.parsers.rst import Directive

    class CommandHelp(Directive):
        """``.. wgflow-help:: [SUBCOMMAND]``: the help text of the ``wgflow`` command."""

        optional_arguments = 1

        def run(self):
            text = _command_help(list(self.arguments))
            if not text.strip():
                raise self.error(f"wgflow {' '.join(self.arguments)} --help printed nothing")
            return [nodes.literal_block(text, text)]

    app.add_directive("wgflow-help", CommandHelp)
    app.connect("autodoc-skip-member", _skip_type_aliases)
