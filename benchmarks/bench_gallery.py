"""Time every gallery example (``examples/plot_*.py``) in quick and full mode.

Each script runs in its own process (as a user runs it), so the times include Python start-up
and the import of wgflow.  The gallery must stay quick: every example under 60 s in full
mode and under 10 s in quick mode, the whole quick gallery under 2 minutes.  With
``--thumbnails DIR`` the full-mode PNGs are also shrunk to thumbnails for the README.

Prints a table and writes ``benchmarks/results/bench_gallery.json``.
Run: ``python benchmarks/bench_gallery.py [--thumbnails docs/gallery]``.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = sorted((ROOT / "examples").glob("plot_*.py"))
RESULTS = ROOT / "benchmarks" / "results"


def run(script: Path, quick: bool, out: Path) -> float:
    start = time.perf_counter()
    command = [sys.executable, str(script), "--out", str(out)] + (["--quick"] if quick else [])
    completed = subprocess.run(command, capture_output=True, text=True)
    if completed.returncode != 0:
        raise RuntimeError(f"{script.name} failed:\n{completed.stderr[-2000:]}")
    return time.perf_counter() - start


def thumbnail(png: Path, target: Path, width: int = 360) -> None:
    from PIL import Image

    with Image.open(png) as image:
        height = round(image.height * width / image.width)
        image.convert("RGB").resize((width, height), Image.LANCZOS).save(
            target.with_suffix(".png"), optimize=True)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--thumbnails", type=Path, help="write README thumbnails here")
    args = parser.parse_args(argv)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for script in EXAMPLES:
            quick = run(script, True, Path(tmp) / "quick")
            full = run(script, False, Path(tmp) / "full")
            rows.append(dict(example=script.name, quick_seconds=quick, full_seconds=full))
            print(f"{script.name:<36} quick {quick:6.1f} s   full {full:6.1f} s", flush=True)
        if args.thumbnails:
            args.thumbnails.mkdir(parents=True, exist_ok=True)
            for png in sorted((Path(tmp) / "full").glob("*.png")):
                thumbnail(png, args.thumbnails / png.name)
    total_quick = sum(r["quick_seconds"] for r in rows)
    print(f"whole quick gallery: {total_quick:.1f} s; slowest full: "
          f"{max(r['full_seconds'] for r in rows):.1f} s; slowest quick: "
          f"{max(r['quick_seconds'] for r in rows):.1f} s")
    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / "bench_gallery.json"
    path.write_text(json.dumps({"rows": rows, "total_quick_seconds": total_quick}, indent=2))
    print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
