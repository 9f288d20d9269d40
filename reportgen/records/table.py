"""The records table in DuckDB: the connection (bounded memory), the typed and remapped select over the
checked sources, tickets aggregated into records, and the ENUM-typed table the group-bys read."""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import TYPE_CHECKING

import duckdb

from ..atomic import replacing
from ..errors import DataError
from ..sources import RawSource, derived_file
from ..tickets import aggregate_sql, received_sql, run_with_progress
from .contract import COLUMNS, ENUMS, _sql_str, count_sql, month_sql

if TYPE_CHECKING:      # pandas is imported where it is used (a brief never loads it)
    pass


MEMORY_LIMIT = "256MB"


def connect(cache: Path | None = None) -> duckdb.DuckDBPyConnection:
    """The records' DuckDB connection, with bounded memory: beyond ``$REPORTGEN_DUCKDB_MEMORY`` (default 256 MB)
    its tables and operators spill to a folder beside the cache, so a file of millions of pre-aggregated rows
    reads in the same memory as the sample (bench/scale.py --aggregated)."""
    import tempfile

    con = duckdb.connect()
    limit = os.environ.get("REPORTGEN_DUCKDB_MEMORY", MEMORY_LIMIT)
    if not re.fullmatch(r"\d+(\.\d+)?\s*(KB|MB|GB|KiB|MiB|GiB)", limit.strip(), re.I):
        limit = MEMORY_LIMIT
    spill = (cache.parent if cache is not None else Path(tempfile.gettempdir())) / "duckdb-spill"
    try:
        spill.parent.mkdir(parents=True, exist_ok=True)
    except OSError:
        spill = Path(tempfile.gettempdir()) / "reportgen-duckdb-spill"
    con.execute(f"SET memory_limit = '{limit}'")
    con.execute(f"SET temp_directory = '{_sql_str(str(spill))}'")
    return con


def _as_enums(con: duckdb.DuckDBPyConnection) -> None:
    """The checked ``records_text`` as the table ``records`` whose names (category, district, unit …) are ENUMs
    of the values present: a group-by hashes small integers instead of strings, twice as fast.  Queries give
    the names back as text (``group``), so nothing downstream sees the difference."""
    casts = []
    for c in COLUMNS:
        if c in ENUMS:
            con.execute(f"DROP TYPE IF EXISTS records_{c}_t")
            con.execute(f"CREATE TYPE records_{c}_t AS ENUM (SELECT DISTINCT {c} FROM records_text "
                        f"WHERE {c} IS NOT NULL ORDER BY 1)")
            casts.append(f"CAST({c} AS records_{c}_t) AS {c}")
        else:
            casts.append(c)
    con.execute(f"CREATE TEMP TABLE records AS SELECT {', '.join(casts)}, kmonth FROM records_text")
    con.execute("DROP TABLE records_text")


def _aggregated_tickets(con: duckdb.DuckDBPyConnection, src: RawSource, zone: str | None, day: int) -> RawSource:
    """The ticket file's records: its one GROUP BY, kept in the cache (``.cache/tickets``) under the file's
    path, size and time and the statement, so the next report of the same tickets (the other districts'
    briefs, the preview, a re-run) reads ~10⁵ aggregate rows instead of millions of tickets."""
    kind = con.execute(f"SELECT column_type FROM (DESCRIBE {src.name}) WHERE column_name = 'received'").fetchone()[0]
    held = "tz" if kind == "TIMESTAMP WITH TIME ZONE" else "plain" if kind.startswith("TIMESTAMP") or kind == "DATE" else "text"
    sql = aggregate_sql(src.name, src.columns, day, row_column="_row", received=received_sql(held, zone))
    cached = derived_file("tickets", src.path, f"{src.fmt}|{sql}", ".parquet")
    name = f"{src.name}_agg"
    if not cached.is_file():
        try:
            run_with_progress(con, f"CREATE OR REPLACE TEMP TABLE {name} AS {sql}", f"汇总工单 {src.shown}")
        except duckdb.Error as exc:
            raise DataError(f"数据错误：文件 {src.shown} 的工单无法汇总（received 应为受理时间，如 2023-07-19 08:30:00）："
                            f"{str(exc).splitlines()[0]}") from None
        with replacing(cached, durable=False) as tmp:
            con.execute(f"COPY {name} TO '{_sql_str(str(tmp))}' (FORMAT parquet)")
    else:
        con.execute(f"CREATE OR REPLACE TEMP TABLE {name} AS SELECT * FROM read_parquet('{_sql_str(str(cached))}')")
    cols = tuple(r[0] for r in con.execute(f"DESCRIBE {name}").fetchall() if r[0] != "_row")
    return RawSource(name, src.path, src.shown, src.fmt, src.sheet, cols, grouped=True)


def _col(src: RawSource, name: str) -> str:
    return f'"{name}"' if name in src.columns else "NULL"


def _typed_select(src: RawSource, row: bool = False) -> str:
    parts = [f"CAST({_col(src, c)} AS VARCHAR) AS {c}" for c in COLUMNS if c not in ("count", "month", "date")]
    date = f'CAST(TRY_CAST({_col(src, "date")} AS DATE) AS VARCHAR)'
    month = month_sql(_col(src, "month")) if "month" in src.columns else "NULL"
    parts.insert(0, f"COALESCE({month}, substr({date}, 1, 7)) AS month")
    parts.insert(1, f"{date} AS date")
    parts.append(f"CAST({count_sql('count')} AS BIGINT) AS count")   # checked: 1 … MAX_COUNT, exact
    if row:
        parts.append("_row")
    return f"SELECT {', '.join(parts)} FROM {src.name}"


def _remapped_select(remaps: list, day: int) -> str:
    """Apply taxonomy changes to every row received before the change took effect."""
    l1, l2 = "category_l1", "category_l2"
    for remap in remaps:
        for rule in remap.map:
            cond = " AND ".join(
                [f"month < '{remap.effective}'"]
                + [f"{k} = '{_sql_str(v)}'" for k, v in rule.from_.items()]
            )
            new_l1 = rule.to.get("category_l1")
            new_l2 = rule.to.get("category_l2")
            if new_l1:
                l1 = f"CASE WHEN {cond} THEN '{_sql_str(new_l1)}' ELSE {l1} END"
            if new_l2:
                l2 = f"CASE WHEN {cond} THEN '{_sql_str(new_l2)}' ELSE {l2} END"
    others = ", ".join(c for c in COLUMNS if c not in ("category_l1", "category_l2"))
    kmonth = (f"CASE WHEN date IS NULL THEN NULL ELSE strftime(CASE WHEN day(CAST(date AS DATE)) >= {int(day)} "
              "THEN CAST(date AS DATE) + INTERVAL 1 MONTH ELSE CAST(date AS DATE) END, '%Y-%m') END AS kmonth")
    return f"SELECT {l1} AS category_l1, {l2} AS category_l2, {others}, {kmonth} FROM records_unmapped"
