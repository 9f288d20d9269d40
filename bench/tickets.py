#!/usr/bin/env python
"""Raw tickets from the sample records: one row per ticket, deterministic, at any scale.

    python bench/tickets.py --year 2023 --scale 1 --out /tmp/tickets            # 21.4 million tickets
    python bench/tickets.py --year 2023 --scale 0.01 --csv --out /tmp/tickets   # 1 %, and a CSV copy

The sample records (data/generated/records-<year>.parquet, pre-aggregated: a row per bucket and value with a
``count``) are first scaled (``--scale`` < 1: each row's count × scale, rounded up or down at random so the
total stays in proportion; the reduced records are written too, ``records-<year>-s<scale>.parquet``, so a
report rendered from them is the reference for the tickets), then expanded: every unit of ``count`` becomes
a ticket with an id, a ``received`` time drawn uniformly inside its row's half-month bucket (the 1st–18th or
the 19th to the month's end), and the row's channel, disposition, categories, district, street, handler level
and unit, topic and tag.  Output (git-ignored): ``tickets-<year>-s<scale>.parquet`` (row groups of 1 million
tickets, written as they are made, so memory stays flat), and with ``--csv`` the same as UTF-8 CSV.
"""

from __future__ import annotations

import argparse
import calendar
import sys
from datetime import datetime
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

ROOT = Path(__file__).resolve().parents[1]
DIMENSIONS = ("channel", "disposition", "category_l1", "category_l2", "district", "street", "handler_level",
              "handler", "topic", "tag")
CHUNK = 1_000_000


def scale_tag(scale: float) -> str:
    return f"s{scale:g}"


def reduce(records: pa.Table, scale: float, seed: int) -> pa.Table:
    """Each row's count × scale, rounded down or up at random (unbiased); rows that reach 0 are dropped."""
    if scale >= 1:
        return records
    rng = np.random.default_rng(seed)
    counts = records.column("count").to_numpy().astype(np.float64) * scale
    n = np.floor(counts + rng.random(len(counts))).astype(np.int64)
    out = records.set_column(records.schema.get_field_index("count"), "count", pa.array(n))
    return out.filter(pc.greater(out.column("count"), 0))


def _bucket_bounds(records: pa.Table) -> tuple[np.ndarray, np.ndarray]:
    """Start and end (epoch seconds) of each row's bucket: its half month when it has a date, else its month."""
    months = records.column("month").to_pylist()
    dates = records.column("date").to_pylist() if "date" in records.column_names else [None] * len(months)
    starts, ends = np.empty(len(months), np.int64), np.empty(len(months), np.int64)
    cache: dict[tuple, tuple[int, int]] = {}
    for i, (m, d) in enumerate(zip(months, dates)):
        key = (m, str(d) if d is not None else None)
        if key not in cache:
            y, mo = int(m[:4]), int(m[5:7])
            last = calendar.monthrange(y, mo)[1]
            day = int(str(d)[8:10]) if d is not None else 1
            begin = datetime(y, mo, day)
            if d is None:
                stop = datetime(y + (mo == 12), mo % 12 + 1, 1)
            elif day < 19:
                stop = datetime(y, mo, 19)
            else:
                stop = datetime(y + (mo == 12), mo % 12 + 1, 1) if last >= 19 else datetime(y, mo, last)
            cache[key] = (calendar.timegm(begin.timetuple()), calendar.timegm(stop.timetuple()))
        starts[i], ends[i] = cache[key]
    return starts, ends


def expand(records: pa.Table, year: int, seed: int):
    """Yield tables of tickets, about CHUNK each."""
    rng = np.random.default_rng(seed + 1)
    counts = records.column("count").to_numpy().astype(np.int64)
    starts, ends = _bucket_bounds(records)
    cols = [c for c in DIMENSIONS if c in records.column_names]
    serial = 0
    i = 0
    while i < len(counts):
        j, total = i, 0
        while j < len(counts) and (total < CHUNK or j == i):
            total += counts[j]
            j += 1
        rows = np.repeat(np.arange(i, j), counts[i:j])
        secs = starts[rows] + (rng.random(len(rows)) * (ends[rows] - starts[rows])).astype(np.int64)
        order = np.argsort(secs, kind="stable")              # tickets in the order they came in
        rows, secs = rows[order], secs[order]
        ids = pa.array([f"{year}{serial + k:09d}" for k in range(len(rows))])
        serial += len(rows)
        take = pa.array(rows)
        data = {"ticket_id": ids, "received": pa.array(secs.astype("datetime64[s]"), pa.timestamp("s"))}
        for c in cols:
            data[c] = records.column(c).take(take).combine_chunks().dictionary_encode() \
                if pa.types.is_string(records.schema.field(c).type) else records.column(c).take(take)
        yield pa.table(data)
        i = j


def write(year: int, scale: float, out: Path, csv: bool = False, seed: int = 2023,
          source: Path | None = None) -> dict[str, Path]:
    source = source or ROOT / "data" / "generated" / f"records-{year}.parquet"
    records = reduce(pq.read_table(source), scale, seed + year)
    out.mkdir(parents=True, exist_ok=True)
    tag = scale_tag(scale)
    paths: dict[str, Path] = {}
    if scale < 1:
        paths["records"] = out / f"records-{year}-{tag}.parquet"
        pq.write_table(records, paths["records"])
    paths["tickets"] = out / f"tickets-{year}-{tag}.parquet"
    tmp = paths["tickets"].with_suffix(".tmp")
    writer = None
    csv_writer = None
    csv_tmp = out / f"tickets-{year}-{tag}.csv.tmp"
    try:
        for table in expand(records, year, seed + year):
            if writer is None:
                writer = pq.ParquetWriter(tmp, table.schema, compression="zstd")
            writer.write_table(table, row_group_size=CHUNK)
            if csv:
                plain = pa.table({n: (c.cast(pa.string()) if pa.types.is_dictionary(c.type) else c)
                                  for n, c in zip(table.column_names, table.columns)})
                if csv_writer is None:
                    csv_writer = pacsv.CSVWriter(csv_tmp, plain.schema)
                csv_writer.write_table(plain)
    finally:
        if writer is not None:
            writer.close()
        if csv_writer is not None:
            csv_writer.close()
    tmp.replace(paths["tickets"])
    if csv:
        paths["csv"] = out / f"tickets-{year}-{tag}.csv"
        csv_tmp.replace(paths["csv"])
    return paths


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--year", type=int, default=2023)
    ap.add_argument("--scale", type=float, default=1.0)
    ap.add_argument("--csv", action="store_true")
    ap.add_argument("--out", type=Path, default=ROOT / "data" / "generated" / "tickets")
    args = ap.parse_args(argv)
    for key, path in write(args.year, args.scale, args.out, args.csv).items():
        print(f"{key}: {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
