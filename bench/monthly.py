"""Benchmark: the monthly district brief — one district, and all 16 in one parallel batch.

    .venv/bin/python bench/monthly.py [--period 2023-09] [--workers 2] [--quick]

Measured end to end, as a user runs them (a fresh ``reportgen`` process each time, imports included):

* one brief:      ``reportgen render monthly --period P --district 密云区``
* the batch:      ``reportgen render monthly --period P --all-districts --workers N``
* one by one:     the 16 single-district commands in a row (skipped with ``--quick``), for the speed-up
* memory:         the peak RSS of each batch worker (from the workers themselves)

Targets (issue 5, on the 2-core machine of BASELINES.md): one brief ≤ 3 s; all 16 ≤ 20 s; ≤ 300 MB per worker.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from reportgen.batch import render_many  # noqa: E402
from reportgen.config.load import default_config_dir, district_names, load_model  # noqa: E402
from reportgen.config.models import Profile  # noqa: E402

CLI = [sys.executable, "-m", "reportgen.cli", "render", "monthly"]


def timed(args: list[str]) -> float:
    t0 = time.perf_counter()
    subprocess.run(args, check=True, cwd=ROOT, capture_output=True)
    return time.perf_counter() - t0


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--period", default="2023-09")
    ap.add_argument("--district", default="密云区")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--quick", action="store_true", help="skip rendering the 16 one by one")
    args = ap.parse_args()
    districts = district_names(load_model(default_config_dir() / "profile.yaml", Profile)[0])
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp)
        timed([*CLI, "--period", args.period, "--district", args.district, "--out", str(out / "warm.pdf")])  # page cache
        one = min(timed([*CLI, "--period", args.period, "--district", args.district, "--out", str(out / "one.pdf")])
                  for _ in range(3))
        print(f"one brief ({args.district}), end to end     {one:6.2f} s   (target ≤ 3 s)")
        batch = timed([*CLI, "--period", args.period, "--all-districts", "--workers", str(args.workers),
                       "--out", str(out / "batch")])
        print(f"all {len(districts)} briefs, {args.workers} workers, end to end  {batch:6.2f} s   (target ≤ 20 s)")
        if not args.quick:
            serial = sum(timed([*CLI, "--period", args.period, "--district", d, "--out", str(out / f"{d}.pdf")])
                         for d in districts)
            print(f"the {len(districts)} one by one (16 commands)     {serial:6.2f} s   speed-up of the batch: "
                  f"{serial / batch:.1f}×")
        results = render_many("monthly", args.period, None, districts, out / "mem", workers=args.workers)
        failed = [r.district for r in results if not r.ok]
        peak = max(r.peak_mb for r in results)
        print(f"peak RSS per worker                  {peak:6.0f} MB   (target ≤ 300 MB)"
              + (f"   FAILED: {'、'.join(failed)}" if failed else ""))


if __name__ == "__main__":
    main()
