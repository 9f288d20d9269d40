"""Benchmark: the sample annual report from data to PDF, seconds per stage and peak memory.

    .venv/bin/python bench/annual.py [--period 2023] [--cold]

``--cold`` empties the chart cache first (every chart drawn); without it, a second run shows
the cached case (no chart redrawn).  Peak memory is the process's max RSS (children included).
"""

from __future__ import annotations

import argparse
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from reportgen.pipeline import build, cache_dir, render_to_pdf  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--period", default="2023")
    ap.add_argument("--cold", action="store_true")
    args = ap.parse_args()
    if args.cold:
        shutil.rmtree(cache_dir() / "charts", ignore_errors=True)
    t0 = time.perf_counter()
    built = build("annual", args.period)
    with tempfile.TemporaryDirectory() as tmp:
        out = render_to_pdf(built, Path(tmp) / "annual.pdf")
        size = out.stat().st_size
    total = time.perf_counter() - t0
    for stage, secs in built.timings.items():
        print(f"{stage:10s} {secs:6.2f} s")
    print(f"{'total':10s} {total:6.2f} s")
    rss = max(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
    print(f"peak RSS   {rss / 1024:6.0f} MB   charts: {len(built.doc.figures)}   PDF: {size / 1e6:.1f} MB")


if __name__ == "__main__":
    main()
