"""Benchmark: the sample annual report from data to PDF, each measure in a fresh process, as a user runs it.

    .venv/bin/python bench/annual.py [--period 2023] [--cold]

Prints, in one run:

- the data stage: config, reading and checking the sources into DuckDB, and every group-by of the report
  (the build's ``data`` timing), in a fresh process;
- WeasyPrint alone laying out and writing the report's HTML, in a fresh process (the reference);
- ``reportgen render annual`` as a user runs it (a fresh process, charts cached unless ``--cold``);
- the PDF stage inside that render (line breaking, float placement, justification, layout, page map, write);
- the extra time of ``--docx --xlsx`` on that render (issue 18's target: ≤ 30 % of the render).

Targets (issue 16): data stage ≤ 0.15 × WeasyPrint's layout; the whole render with cached charts ≤ 1.6 × it;
the PDF stage ≤ 1.3 × it.  Peak memory is each process's max RSS.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PY = sys.executable

DATA = """
import json, resource, sys, time
sys.path.insert(0, sys.argv[1])
from reportgen.pipeline import build
built = build("annual", sys.argv[2])
open(sys.argv[3], "w", encoding="utf-8").write(built.html)
print(json.dumps({"data": built.timings["data"], "timings": built.timings,
                  "rss": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""

PLAIN = """
import json, resource, sys, time
t0 = time.perf_counter()
from weasyprint import HTML
HTML(filename=sys.argv[1], base_url=sys.argv[2]).write_pdf(sys.argv[3])
print(json.dumps({"layout": time.perf_counter() - t0, "rss": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def last_json(out: str) -> dict:
    return json.loads(out.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--period", default="2023")
    ap.add_argument("--cold", action="store_true", help="empty the chart cache first (every chart drawn)")
    args = ap.parse_args()
    sys.path.insert(0, str(ROOT))
    from reportgen.workspace import cache_dir

    with tempfile.TemporaryDirectory() as tmp:
        tmpd = Path(tmp)
        if not args.cold:      # charts cached (SVG and the .docx's PNG), as on every render after the first
            subprocess.run([str(ROOT / ".venv/bin/reportgen"), "render", "annual", "--period", args.period,
                            "--out", str(tmpd / "warm.pdf"), "--docx", str(tmpd / "warm.docx")],
                           check=True, capture_output=True)
        else:
            shutil.rmtree(cache_dir() / "charts", ignore_errors=True)
        data = last_json(subprocess.run([PY, "-c", DATA, str(ROOT), args.period, str(tmpd / "report.html")],
                                        check=True, capture_output=True, text=True).stdout)
        plain = last_json(subprocess.run([PY, "-c", PLAIN, str(tmpd / "report.html"), str(ROOT) + "/",
                                          str(tmpd / "plain.pdf")], check=True, capture_output=True, text=True).stdout)
        if args.cold:
            shutil.rmtree(cache_dir() / "charts", ignore_errors=True)
        t0 = time.perf_counter()
        run = subprocess.run([str(ROOT / ".venv/bin/reportgen"), "render", "annual", "--period", args.period,
                              "--out", str(tmpd / "annual.pdf"), "--debug"], check=True, capture_output=True, text=True)
        whole = time.perf_counter() - t0
        t0 = time.perf_counter()
        subprocess.run([str(ROOT / ".venv/bin/reportgen"), "render", "annual", "--period", args.period,
                        "--out", str(tmpd / "office.pdf"), "--docx", str(tmpd / "office.docx"),
                        "--xlsx", str(tmpd / "office.xlsx")], check=True, capture_output=True, text=True)
        office = time.perf_counter() - t0 - whole
    layout = plain["layout"]
    print(f"data stage (fresh process)        {data['data']:6.2f} s   {data['data'] / layout:5.2f} × layout "
          f"(target <= 0.15)   peak RSS {data['rss']:.0f} MB")
    print(f"WeasyPrint alone (fresh process)  {layout:6.2f} s   peak RSS {plain['rss']:.0f} MB")
    print(f"reportgen render annual           {whole:6.2f} s   {whole / layout:5.2f} × layout "
          f"(target <= 1.6{'' if not args.cold else '; --cold: every chart drawn'})")
    print(f"--docx --xlsx on that render      {office:6.2f} s   {office / whole:5.0%} of it (target <= 30 %)")
    stages = {k: round(v, 2) for k, v in data["timings"].items()}
    print(f"build stages (data process): {stages}")
    pdf = [ln for ln in run.stderr.splitlines() + run.stdout.splitlines() if "pdf" in ln.lower()]
    if pdf:
        print("render --debug:", " | ".join(pdf[-3:]))


if __name__ == "__main__":
    main()
