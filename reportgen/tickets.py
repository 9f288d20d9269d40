"""Raw tickets: one row per ticket, aggregated where they are stored before the reports see them.

A ticket source has a ``received`` timestamp and no ``count``; its other columns are those of the records
contract (DESIGN.md): channel, disposition, category_l1, category_l2, district, street, handler_level,
handler, topic, tag (any may be missing), and usually ``ticket_id``.  The reports never see tickets: one
GROUP BY turns them into records — a row per month, half-month bucket (``date``: the 1st for days 1–18, the
19th from the 19th, which is all an assessment period needs) and value of every other column, with
``count`` — and everything downstream is the same as for a pre-aggregated file.

The GROUP BY is written once, in DuckDB's dialect, and transpiled with SQLGlot for the engine that holds the
tickets: DuckDB over Parquet / CSV files (the default, embedded), PostgreSQL (tested), or Trino, Spark and
ClickHouse (the same statement, transpiled; docs/design.md).  Only aggregate rows leave the engine.
"""

from __future__ import annotations

import os
import sys
import threading
from dataclasses import dataclass

import duckdb

from .errors import ConfigError, DataError

DIMENSIONS = ("channel", "disposition", "category_l1", "category_l2", "district", "street", "handler_level",
              "handler", "topic", "tag")


def is_ticket_source(columns: tuple[str, ...]) -> bool:
    return "received" in columns and "count" not in columns


# a timestamp written with its offset: "2023-07-18T17:00:00Z", "2023-07-19 01:00:00+08:00", "… +0800"
_OFFSET = r"[0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]+)?)?\s*(Z|z|[+-][0-9]{2}(:?[0-9]{2})?)$"


def received_sql(kind: str = "plain", zone: str | None = None) -> str:
    """``received`` as a local timestamp.  ``kind``: how the engine holds it — ``text`` (a CSV, an Excel
    export: a value with an offset is converted to ``zone``, one without is local time already), ``tz`` (a
    timestamp with time zone: converted to ``zone``), ``plain`` (a timestamp without zone: local time)."""
    if zone is None or kind == "plain":
        return "CAST(received AS TIMESTAMP)"
    if kind == "tz":
        return f"(received AT TIME ZONE '{zone}')"
    text = "trim(CAST(received AS VARCHAR))"
    return (f"CASE WHEN regexp_matches({text}, '{_OFFSET}') THEN "
            f"(CAST(regexp_replace({text}, '\\s+([Zz+-])', '\\1') AS TIMESTAMPTZ) AT TIME ZONE '{zone}') "
            "ELSE CAST(received AS TIMESTAMP) END")


def aggregate_sql(relation: str, columns: tuple[str, ...], day: int, row_column: str | None = None,
                  received: str = "CAST(received AS TIMESTAMP)") -> str:
    """The one GROUP BY from tickets to records, in DuckDB's dialect (transpile with ``for_dialect``).

    The inner query groups on cheap values (the month as a truncated timestamp, the half-month as a
    boolean, the raw columns); only the ~10⁵ groups are formatted as text.  ``row_column``: a column whose
    minimum is kept as ``_row`` (the first file row of each group, for messages that name a row).
    ``received``: the ticket's local time (``received_sql``), from which its month and half-month follow;
    ``day``: the 考核期 boundary (profile.yaml's ``assessment_day``) — a ticket of that day or later is in the
    month's second half, dated ``YYYY-MM-<day>``."""
    ts = received
    dims = [c for c in DIMENSIONS if c in columns]
    inner = [f"DATE_TRUNC('MONTH', {ts}) AS bucket_month", f"EXTRACT(DAY FROM {ts}) >= {int(day)} AS late", *dims,
             "COUNT(*) AS count"]
    if row_column:
        inner.append(f"MIN({row_column}) AS _row")
    group = ", ".join(str(i) for i in range(1, 3 + len(dims)))
    month = "STRFTIME(bucket_month, '%Y-%m')"
    outer = [f"{month} AS month", f"{month} || CASE WHEN late THEN '-{int(day):02d}' ELSE '-01' END AS date",
             *(f"CAST({c} AS VARCHAR) AS {c}" for c in dims), "count"] + (["_row"] if row_column else [])
    return (f"SELECT {', '.join(outer)} FROM (SELECT {', '.join(inner)} FROM {relation} GROUP BY {group}) AS g")


def for_dialect(sql: str, dialect: str) -> str:
    """The DuckDB statement in another engine's SQL (postgres, trino, spark, clickhouse, …)."""
    if dialect == "duckdb":
        return sql
    import sqlglot

    return sqlglot.transpile(sql, read="duckdb", write=dialect)[0]


# --- progress ------------------------------------------------------------------------------------

def _show_progress() -> bool:
    return sys.stderr.isatty() and not os.environ.get("REPORTGEN_QUIET")


def run_with_progress(con: duckdb.DuckDBPyConnection, sql: str, label: str) -> None:
    """Run a long DuckDB statement; on a terminal, show its progress and an estimate of the time left
    (DuckDB's own query progress, polled).  Quiet under --quiet, in the scheduler and when not a terminal."""
    if not _show_progress():
        con.execute(sql)
        return
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

    error: list[BaseException] = []

    def work() -> None:
        try:
            con.execute(sql)
        except BaseException as exc:    # re-raised in the caller's thread
            error.append(exc)

    thread = threading.Thread(target=work, daemon=True)
    with Progress(TextColumn("{task.description}"), BarColumn(), TextColumn("{task.percentage:>5.1f}%"),
                  TimeElapsedColumn(), TextColumn("剩余约"), TimeRemainingColumn(), transient=True,
                  console=None) as bar:
        task = bar.add_task(label, total=100.0)
        thread.start()
        while thread.is_alive():
            thread.join(0.2)
            try:
                done = con.query_progress()
            except duckdb.Error:
                done = -1
            if done >= 0:
                bar.update(task, completed=float(done))
        bar.update(task, completed=100.0)
    if error:
        raise error[0]


# --- databases -----------------------------------------------------------------------------------

@dataclass(frozen=True)
class DatabaseTickets:
    """Tickets in a database: ``url_env`` names the environment variable holding the connection URL
    (never the URL itself in YAML), ``table`` or ``query`` the tickets, ``dialect`` the engine's SQL."""

    url_env: str
    table: str | None = None
    query: str | None = None
    dialect: str = "postgres"

    @property
    def shown(self) -> str:
        return f"数据库（{self.url_env}）的{'表 ' + self.table if self.table else '查询'}"

    def relation(self) -> str:
        if self.table:
            return self.table
        return f"({self.query}) AS tickets"


def fetch_database_aggregate(src: DatabaseTickets, con: duckdb.DuckDBPyConnection, name: str,
                             zone: str | None, day: int) -> int:
    """Run the GROUP BY in the database and register its result as ``name`` in DuckDB; returns the number
    of rows fetched (aggregates only: never a ticket)."""
    url = os.environ.get(src.url_env)
    if not url:
        raise ConfigError(f"配置错误：{src.shown} 的连接串应在环境变量 {src.url_env} 中（不写进 YAML），该变量未设置。")
    if src.dialect != "postgres":
        raise ConfigError(f"配置错误：{src.shown}：本机只连接 PostgreSQL；{src.dialect} 引擎请按 docs/design.md（Cluster engines）用其客户端执行 "
                          "`reportgen sql --dialect` 打印的语句，把结果导出为 Parquet 后作为数据文件使用。")
    import psycopg
    import pyarrow as pa

    try:
        with psycopg.connect(url, connect_timeout=10) as pg:
            cur = pg.cursor()
            cur.execute(f"SELECT * FROM {src.relation()} LIMIT 0")
            columns = tuple(d.name for d in cur.description)
            if "received" not in columns:
                raise DataError(f"数据错误：{src.shown} 缺少必需的列：received（受理时间）。现有的列：{'、'.join(columns)}。")
            held = {1184: "tz", 1114: "plain", 1082: "plain"}.get(cur.description[columns.index("received")].type_code,
                                                                  "text")   # timestamptz, timestamp, date; else text
            sql = for_dialect(aggregate_sql(src.relation(), columns, day, received=received_sql(held, zone)), "postgres")
            cur.execute(sql)
            names = [d.name for d in cur.description]
            rows = cur.fetchall()
    except psycopg.Error as exc:
        raise DataError(f"数据错误：无法从{src.shown}读取：{str(exc).splitlines()[0]}") from None
    table = pa.table({n: [r[i] for r in rows] for i, n in enumerate(names)})
    con.register(f"{name}_arrow", table)
    con.execute(f"CREATE OR REPLACE TEMP VIEW {name} AS SELECT *, NULL::BIGINT AS _row FROM {name}_arrow")
    return len(rows)
