"""``python -m wgflow.cli``: the ``wgflow`` command."""

import sys

from . import main

if __name__ == "__main__":  # not when a tool (e.g. the docs' autosummary) imports this module
    sys.exit(main())
