"""Benchmark: the sample annual report from data to PDF, seconds per stage and peak memory.

    .venv/bin/python bench/annual.py [--period 2023] [--cold]

``--cold`` empties the chart cache first (every chart drawn); without it, a second run shows
the cached case (no chart redrawn).  Peak memory is the process's max RSS (children included).

It also measures, in the same run, the PDF stage (everything from the finished HTML to the written
file: line breaking, float placement, justification, layout, page map, write) against WeasyPrint's
own layout and write of the same HTML in a fresh process, and prints their ratio (target ≤ 1.3).
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from reportgen.pipeline import PROJECT_ROOT, build, cache_dir, render_to_pdf  # noqa: E402

PLAIN = """
import sys, time, json
t0 = time.perf_counter()
from weasyprint import HTML
HTML(filename=sys.argv[1], base_url=sys.argv[2]).write_pdf(sys.argv[3])
print(json.dumps(time.perf_counter() - t0))
"""


def plain_weasyprint(html: str, tmp: Path) -> float:
    """Seconds WeasyPrint alone takes to lay out and write the same HTML, in a fresh process."""
    src = tmp / "report.html"
    src.write_text(html, encoding="utf-8")
    out = subprocess.run([sys.executable, "-c", PLAIN, str(src), str(PROJECT_ROOT) + "/", str(tmp / "plain.pdf")],
                         check=True, capture_output=True, text=True).stdout
    return float(json.loads(out.strip().splitlines()[-1]))


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
        plain = plain_weasyprint(built.html, Path(tmp))
    for stage, secs in built.timings.items():
        print(f"{stage:10s} {secs:6.2f} s")
    print(f"{'total':10s} {total:6.2f} s")
    print(f"PDF stage {built.timings['pdf']:.2f} s, WeasyPrint alone on the same HTML {plain:.2f} s: "
          f"ratio {built.timings['pdf'] / plain:.2f} (target <= 1.3)")
    rss = max(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
    print(f"peak RSS   {rss / 1024:6.0f} MB   charts: {len(built.doc.figures)}   PDF: {size / 1e6:.1f} MB")


if __name__ == "__main__":
    main()
