#!/usr/bin/env python
"""Benchmark: the annual report straight from raw tickets, at 1, 5 and 21.4 million tickets; and from a large
pre-aggregated file as CSV and as Parquet.

    .venv/bin/python bench/scale.py                 # generates the tickets first (bench/tickets.py), ~2 min
    .venv/bin/python bench/scale.py --sizes 1 5     # only these sizes (millions)
    .venv/bin/python bench/scale.py --aggregated    # ~2.2 M pre-aggregated rows: CSV against Parquet

``--aggregated``: the 2023 sample's records split into ~2.2 million rows (each row's count spread over up to 24
rows that differ in ``tag``; totals unchanged), written once as CSV and as Parquet; the data stage of the annual
report from each, in a fresh process with a fresh cache (read, checks, every group-by), with its peak RSS.
Targets: the CSV at most 2× the Parquet, flat memory.

For each size, in a fresh process (so peak memory is that size's alone):

* data stage: open the tickets (DuckDB aggregates them into records: one GROUP BY) and run every group-by the
  annual report needs (the report's build, timed inside RecordStore.group), with the process's peak RSS;
* at the full size also the whole annual render (build + charts + PDF), cold (the tickets aggregated) and
  warm (the aggregate read from .cache/tickets), against the render from the pre-aggregated sample (the
  target: within 10 %).

The 2022 comparison year is read from its pre-aggregated sample in every run (its cost is the same for all
sizes).  Prints a table with the cost per million tickets, so the growth is visible.
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))
FULL = 21_438_000          # about the 2023 sample's total


def child(config: str, out: str, render: bool) -> None:
    """Runs in a fresh process: time the data stage (and the render), print JSON."""
    from reportgen import records
    from reportgen.pipeline import build
    from reportgen.publish import render_to_pdf

    spent = {"group": 0.0}
    original = records.RecordStore.group

    def timed_group(self, *a, **k):
        t = time.perf_counter()
        try:
            return original(self, *a, **k)
        finally:
            spent["group"] += time.perf_counter() - t

    records.RecordStore.group = timed_group
    opened = {}
    original_open = records.RecordStore.open.__func__

    def timed_open(cls, *a, **k):
        t = time.perf_counter()
        try:
            return original_open(cls, *a, **k)
        finally:
            opened["s"] = time.perf_counter() - t

    records.RecordStore.open = classmethod(timed_open)
    t0 = time.perf_counter()
    built = build("annual", "2023", config_dir=Path(config))
    t_build = time.perf_counter() - t0
    result = {"open": opened.get("s", 0.0), "groups": spent["group"], "build": t_build}
    if render:
        render_to_pdf(built, Path(out))
        result["render"] = time.perf_counter() - t0
    result["peak_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps(result))


def config_for(tmp: Path, records_2023: Path) -> Path:
    dst = tmp / f"config-{records_2023.name}"      # .csv and .parquet of one stem: two folders
    if not dst.exists():
        shutil.copytree(ROOT / "config", dst)
        p = dst / "beijing" / "periods" / "annual-2023.yaml"
        p.write_text(p.read_text(encoding="utf-8").replace(
            "../../../data/generated/records-2023.parquet", str(records_2023)).replace(
            "../../../data/generated/records-2022.parquet", str(ROOT / "data" / "generated" / "records-2022.parquet")),
            encoding="utf-8")
        prof = dst / "beijing" / "profile.yaml"     # the copy reads the project's data and the generated files
        prof.write_text(prof.read_text(encoding="utf-8").replace(
            "data_roots: [../../data]", f"data_roots: ['{ROOT / 'data'}', '{records_2023.parent}']"), encoding="utf-8")
    return dst / "beijing"


def run_child(config: Path, out: Path, render: bool, cache: Path) -> dict:
    cmd = [sys.executable, __file__, "--child", str(config), str(out), "1" if render else "0"]
    env = {"REPORTGEN_QUIET": "1", "PATH": "/usr/bin:/bin", "REPORTGEN_CACHE": str(cache)}
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT, env=env)
    if proc.returncode != 0:
        raise SystemExit(proc.stderr)
    return json.loads(proc.stdout.strip().splitlines()[-1])


def aggregated_files(folder: Path, split: int = 24) -> tuple[Path, Path, int]:
    """The sample's 2023 records as ~2.2 M pre-aggregated rows, CSV and Parquet (made once)."""
    import duckdb

    csv, parquet = folder / "records-2023-2m.csv", folder / "records-2023-2m.parquet"
    if not (csv.exists() and parquet.exists()):
        folder.mkdir(parents=True, exist_ok=True)
        src = ROOT / "data" / "generated" / "records-2023.parquet"
        con = duckdb.connect()
        con.execute(f"""CREATE TABLE big AS
            WITH r AS (SELECT *, least({split}, count) AS k FROM read_parquet('{src}'))
            SELECT * EXCLUDE (count, k, i), 't' || i AS tag,
                   count // k + CASE WHEN i < count % k THEN 1 ELSE 0 END AS count
            FROM r, range(0, {split}) t(i) WHERE i < k""")
        con.execute(f"COPY big TO '{parquet}' (FORMAT parquet)")
        con.execute(f"COPY big TO '{csv}' (FORMAT csv, HEADER)")
    n = duckdb.connect().execute(f"SELECT count(*) FROM read_parquet('{parquet}')").fetchone()[0]
    return csv, parquet, n


def aggregated() -> int:
    files = aggregated_files(ROOT / "data" / "generated" / "bench")
    csv, parquet, n = files
    tmp = Path(tempfile.mkdtemp(prefix="reportgen-agg-"))
    try:
        results = {}
        for label, path in (("Parquet", parquet), ("CSV", csv)):
            results[label] = run_child(config_for(tmp, path), tmp / "x.pdf", render=False, cache=tmp / f"cache-{label}")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print(f"data stage of the annual report from {n:,} pre-aggregated rows (fresh process, fresh cache):")
    print(f"{'format':>8} {'size MB':>8} {'read+check s':>13} {'group-bys s':>12} {'data stage s':>13} {'peak MB':>8}")
    for label, path in (("Parquet", parquet), ("CSV", csv)):
        r = results[label]
        print(f"{label:>8} {path.stat().st_size / 2**20:>8.0f} {r['open']:>13.2f} {r['groups']:>12.2f} "
              f"{r['open'] + r['groups']:>13.2f} {r['peak_mb']:>8.0f}")
    ratio = (results["CSV"]["open"] + results["CSV"]["groups"]) / (results["Parquet"]["open"] + results["Parquet"]["groups"])
    print(f"CSV / Parquet: {ratio:.2f}× (target ≤ 2)")
    return 0


def main() -> int:
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        child(sys.argv[2], sys.argv[3], sys.argv[4] == "1")
        return 0
    if "--aggregated" in sys.argv[1:]:
        return aggregated()
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sizes", type=float, nargs="*", default=[1, 5, FULL / 1e6], help="millions of tickets")
    ap.add_argument("--tickets", type=Path, default=ROOT / "data" / "generated" / "tickets")
    args = ap.parse_args()
    import tickets as ticketgen

    tmp = Path(tempfile.mkdtemp(prefix="reportgen-scale-"))
    rows = []
    try:
        shared = tmp / "cache"                 # charts drawn once by the sample's render, reused by all renders
        sample = run_child(config_for(tmp, ROOT / "data" / "generated" / "records-2023.parquet"), tmp / "s.pdf", True,
                           cache=shared)
        sample = run_child(config_for(tmp, ROOT / "data" / "generated" / "records-2023.parquet"), tmp / "s.pdf", True,
                           cache=shared)
        for size in args.sizes:
            scale = min(1.0, size * 1e6 / FULL)
            path = args.tickets / f"tickets-2023-{ticketgen.scale_tag(scale)}.parquet"
            if not path.exists():
                print(f"generating {size:g} M tickets → {path}", file=sys.stderr)
                ticketgen.write(2023, scale, args.tickets)
            import pyarrow.parquet as pq

            n = pq.ParquetFile(path).metadata.num_rows
            cfg = config_for(tmp, path)
            r = run_child(cfg, tmp / "t.pdf", render=False, cache=tmp / f"cache-{n}")   # fresh: tickets aggregated
            if scale >= 1.0:
                shutil.rmtree(shared / "tickets", ignore_errors=True)
                r["render_cold"] = run_child(cfg, tmp / "t.pdf", render=True, cache=shared)["render"]
                r["render_warm"] = run_child(cfg, tmp / "t.pdf", render=True, cache=shared)["render"]
            rows.append((n, r))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print("data stage (fresh cache: the tickets' GROUP BY, then every group-by of the annual report), peak RSS of it:")
    print(f"{'tickets':>12} {'aggregate s':>12} {'group-bys s':>12} {'data stage s':>13} {'s per M':>8} {'peak MB':>8}")
    for n, r in rows:
        data = r["open"] + r["groups"]
        print(f"{n:>12,} {r['open']:>12.2f} {r['groups']:>12.2f} {data:>13.2f} {data / (n / 1e6):>8.3f} {r['peak_mb']:>8.0f}")
    print(f"{'sample':>12} {sample['open']:>12.2f} {sample['groups']:>12.2f} {sample['open'] + sample['groups']:>13.2f} "
          f"{'':>8} {'':>8}   (pre-aggregated records)")
    full = [(n, r) for n, r in rows if "render_cold" in r]
    if full:
        n, r = full[-1]
        base = sample["render"]
        print(f"whole annual render: from the sample {base:.2f} s; from {n:,} tickets {r['render_cold']:.2f} s "
              f"({r['render_cold'] / base - 1:+.1%}, aggregating) and {r['render_warm']:.2f} s "
              f"({r['render_warm'] / base - 1:+.1%}, aggregate cached)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
