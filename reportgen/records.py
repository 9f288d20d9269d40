"""The records table: every source checked against the records contract, unioned, remapped.

Contract (DESIGN.md): month, channel, disposition, category_l1, category_l2, district, street,
handler_level, handler, topic, count.  Every count-based figure is a group-by-sum over it,
run in DuckDB; pandas only ever sees small result frames.
"""

from __future__ import annotations

import difflib
import os
from dataclasses import dataclass
from pathlib import Path

import duckdb

from typing import TYPE_CHECKING

from .config.models import Profile, Taxonomy

if TYPE_CHECKING:      # pandas is imported where it is used (a brief never loads it)
    import pandas as pd
from .errors import DataError
from .periods import Period
from .sources import RawSource, register_source
from .tickets import DatabaseTickets, aggregate_sql, fetch_database_aggregate, is_ticket_source, run_with_progress

COLUMNS = ("month", "date", "channel", "disposition", "category_l1", "category_l2", "district", "street",
           "handler_level", "handler", "topic", "tag", "count")
REQUIRED = ("channel", "disposition", "category_l1", "count")   # and month or date
DERIVED = ("kmonth",)   # 考核期 month key: the 19th 0:00 of the previous month to the 19th 0:00, named by its end
FIELD_NAMES = {
    "month": "month（受理月份）", "date": "date（受理日期）", "channel": "channel（渠道）", "disposition": "disposition（办理方式）",
    "category_l1": "category_l1（一级分类）", "category_l2": "category_l2（二级分类）",
    "district": "district（区）", "street": "street（街乡镇）", "handler_level": "handler_level（承办层级）",
    "handler": "handler（承办单位）", "topic": "topic（每月一题）",
    "tag": "tag（标记，如 重复来电或多人反映、涉访涉诉）", "count": "count（数量）",
}
MAX_REPORTED = 20


@dataclass(frozen=True)
class Problem:
    source: RawSource
    row: int | None
    message: str

    def __str__(self) -> str:
        return f"数据错误：{self.source.where(self.row)}，{self.message}"


def _suggest(value: str, known: list[str]) -> str:
    guess = difflib.get_close_matches(value, known, n=3, cutoff=0.4)
    return f"相近的名称：{'、'.join(guess)}" if guess else f"可用的名称见分类配置（共 {len(known)} 个）"


class RecordStore:
    """A DuckDB connection holding the validated ``records`` view, and the group-bys over it."""

    def __init__(self, con: duckdb.DuckDBPyConnection, sources: list[RawSource], applied: list) -> None:
        self.con = con
        self.sources = sources
        self.applied_remaps = applied   # taxonomy changes applied to every record (the report's taxonomy)
        self._memo: dict[tuple, pd.DataFrame] = {}   # group-by results (a store is rebuilt when its files change)
        self.fetched_rows: dict[str, int] = {}        # rows fetched from each database source (aggregates)

    # --- building -------------------------------------------------------------------------
    @classmethod
    def open(cls, files: list[tuple[Path, str | None, str | None]], profile: Profile, taxonomy: Taxonomy,
             con: duckdb.DuckDBPyConnection | None = None, as_of: str | None = None) -> "RecordStore":
        """Check and union the sources.  ``as_of`` ('YYYY-MM', the report period's end): the taxonomy
        changes effective by then are applied to all records, so that comparisons are like with like;
        a report of an earlier period keeps the taxonomy of its time."""
        con = con or duckdb.connect()
        sources, fetched = [], {}
        for i, spec in enumerate(files):
            if isinstance(spec, DatabaseTickets):            # tickets in a database: aggregated there
                name = f"src_{i}"
                fetched[name] = fetch_database_aggregate(spec, con, name)
                cols = tuple(r[0] for r in con.execute(f"DESCRIBE {name}").fetchall() if r[0] != "_row")
                sources.append(RawSource(name, None, spec.shown, "database", None, cols))
                continue
            path, fmt, sheet = spec
            src = register_source(con, f"src_{i}", path, fmt, sheet)
            if is_ticket_source(src.columns):                # one row per ticket: aggregated by DuckDB, once
                src = _aggregated_tickets(con, src)
            sources.append(src)
        problems: list[Problem] = []
        for src in sources:
            problems += _check_source(con, src, profile, taxonomy)
        if problems:
            lines = [str(p) for p in problems[:MAX_REPORTED]]
            if len(problems) > MAX_REPORTED:
                lines.append(f"……另有 {len(problems) - MAX_REPORTED} 处问题未列出。")
            raise DataError(lines[0], lines)
        union = " UNION ALL ".join(_typed_select(src) for src in sources)
        con.execute(f"CREATE OR REPLACE TEMP VIEW records_unmapped AS {union}")
        applied = [r for r in taxonomy.remaps if as_of is None or r.effective < as_of]
        con.execute(f"CREATE OR REPLACE TEMP VIEW records AS {_remapped_select(applied)}")
        store = cls(con, sources, applied)
        store.fetched_rows = fetched
        return store

    # --- queries ----------------------------------------------------------------------------
    def group(self, period: Period, by: tuple[str, ...] = (), where: dict[str, object] | None = None) -> pd.DataFrame:
        """Sum of ``count`` over ``period`` grouped by ``by`` (contract columns), with equality filters."""
        for col in by + tuple(where or ()):
            if col not in COLUMNS + DERIVED:
                raise ValueError(f"unknown records column {col!r}")
        if period.kind.startswith("assessment") or "kmonth" in by:
            conds, params = ["date >= ?", "date < ?"], [period.start.isoformat(), period.end.isoformat()]
        else:
            conds, params = ["month >= ?", "month < ?"], [_month(period.start), _month_end(period)]
        for col, value in (where or {}).items():
            if isinstance(value, (list, tuple)):
                conds.append(f"{col} IN ({', '.join('?' for _ in value)})")
                params += list(value)
            elif value is None:
                conds.append(f"{col} IS NULL")
            else:
                conds.append(f"{col} = ?")
                params.append(value)
        cols = ", ".join(by)
        select = f"{cols}, " if by else ""
        group = f"GROUP BY {cols} ORDER BY {cols}" if by else ""
        sql = f"SELECT {select}CAST(COALESCE(SUM(count), 0) AS BIGINT) AS count FROM records WHERE {' AND '.join(conds)} {group}"
        key = (sql, tuple(params))
        if key not in self._memo:
            self._memo[key] = self.con.execute(sql, params).df()
        return self._memo[key].copy()

    def total(self, period: Period, where: dict[str, object] | None = None) -> int:
        from .provenance import Count, Source

        filters = tuple((k, list(v) if isinstance(v, (list, tuple)) else v) for k, v in (where or {}).items())
        return Count(self.group(period, (), where)["count"].iloc[0], Source("SUM(count)", filters, period.key))


def _aggregated_tickets(con: duckdb.DuckDBPyConnection, src: RawSource) -> RawSource:
    """The ticket file's records: its one GROUP BY, kept in the cache (``.cache/tickets``) under the file's
    path, size and time and the statement, so the next report of the same tickets (the other districts'
    briefs, the preview, a re-run) reads ~10⁵ aggregate rows instead of millions of tickets."""
    import hashlib

    from .pipeline import cache_dir

    sql = aggregate_sql(src.name, src.columns, row_column="_row")
    st = src.path.stat()
    key = hashlib.sha256(f"{src.path.resolve()}|{st.st_size}|{st.st_mtime_ns}|{src.fmt}|{sql}".encode()).hexdigest()[:24]
    cached = cache_dir() / "tickets" / f"{key}.parquet"
    name = f"{src.name}_agg"
    if not cached.is_file():
        try:
            run_with_progress(con, f"CREATE OR REPLACE TEMP TABLE {name} AS {sql}", f"汇总工单 {src.shown}")
        except duckdb.Error as exc:
            raise DataError(f"数据错误：文件 {src.shown} 的工单无法汇总（received 应为受理时间，如 2023-07-19 08:30:00）："
                            f"{str(exc).splitlines()[0]}") from None
        cached.parent.mkdir(parents=True, exist_ok=True)
        tmp = cached.with_suffix(f".{os.getpid()}.tmp")
        con.execute(f"COPY {name} TO '{_sql_str(str(tmp))}' (FORMAT parquet)")
        os.replace(tmp, cached)
    else:
        con.execute(f"CREATE OR REPLACE TEMP VIEW {name} AS SELECT * FROM read_parquet('{_sql_str(str(cached))}')")
    cols = tuple(r[0] for r in con.execute(f"DESCRIBE {name}").fetchall() if r[0] != "_row")
    return RawSource(name, src.path, src.shown, src.fmt, src.sheet, cols)


def _month(d) -> str:
    return f"{d.year:04d}-{d.month:02d}"


def _month_end(period: Period) -> str:
    # half-open on months: a calendar period ending 2024-01-01 covers months < '2024-01'
    return _month(period.end)


def _col(src: RawSource, name: str) -> str:
    return f'"{name}"' if name in src.columns else "NULL"


def _typed_select(src: RawSource) -> str:
    parts = [f"CAST({_col(src, c)} AS VARCHAR) AS {c}" for c in COLUMNS if c not in ("count", "month", "date")]
    date = f'CAST(TRY_CAST({_col(src, "date")} AS DATE) AS VARCHAR)'
    parts.insert(0, f"COALESCE(CAST({_col(src, 'month')} AS VARCHAR), substr({date}, 1, 7)) AS month")
    parts.insert(1, f"{date} AS date")
    parts.append('CAST(CAST("count" AS DOUBLE) AS BIGINT) AS count')
    return f"SELECT {', '.join(parts)} FROM {src.name}"


def _remapped_select(remaps: list) -> str:
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
    kmonth = ("CASE WHEN date IS NULL THEN NULL ELSE strftime(CASE WHEN day(CAST(date AS DATE)) >= 19 "
              "THEN CAST(date AS DATE) + INTERVAL 1 MONTH ELSE CAST(date AS DATE) END, '%Y-%m') END AS kmonth")
    return f"SELECT {l1} AS category_l1, {l2} AS category_l2, {others}, {kmonth} FROM records_unmapped"


def _sql_str(s: str) -> str:
    return s.replace("'", "''")


def _check_source(con: duckdb.DuckDBPyConnection, src: RawSource, profile: Profile, taxonomy: Taxonomy) -> list[Problem]:
    missing = [c for c in REQUIRED if c not in src.columns]
    if "month" not in src.columns and "date" not in src.columns:
        missing.insert(0, "month")
    if missing:
        extra = [c for c in src.columns if c not in COLUMNS]
        hints = []
        for m in missing:
            guess = difflib.get_close_matches(m, extra, n=1, cutoff=0.5)
            hints.append(f"{FIELD_NAMES[m]}" + (f"（是否是 “{guess[0]}”？）" if guess else ""))
        return [Problem(src, None, f"缺少必需的列：{'、'.join(hints)}。现有的列：{'、'.join(src.columns)}。")]
    problems: list[Problem] = []

    def rows(sql: str) -> list[tuple]:
        return con.execute(f"SELECT _row, * EXCLUDE (_row) FROM ({sql}) LIMIT {MAX_REPORTED + 1}").fetchall()

    n = src.name
    # count: a positive integer
    for row, value in rows(
        f"SELECT _row, CAST(\"count\" AS VARCHAR) AS v FROM {n} "
        f"WHERE \"count\" IS NULL OR NOT regexp_full_match(trim(CAST(\"count\" AS VARCHAR)), '[0-9]+(\\.0+)?') "
        f"OR TRY_CAST(\"count\" AS DOUBLE) < 1 ORDER BY _row"
    ):
        problems.append(Problem(src, row, f"字段 {FIELD_NAMES['count']}的值 “{value if value is not None else ''}” "
                                          "不是正整数。请填写大于等于 1 的整数件数。"))
    if "date" in src.columns:
        for row, value in rows(
            f"SELECT _row, CAST(date AS VARCHAR) FROM {n} WHERE date IS NOT NULL AND TRY_CAST(date AS DATE) IS NULL "
            f"ORDER BY _row"
        ):
            problems.append(Problem(src, row, f"字段 {FIELD_NAMES['date']}的值 “{value}” 不是日期。请写成 2023-07-19 这样的形式。"))
    month_cond = "month IS NULL" + (" AND date IS NULL" if "date" in src.columns else "") if "month" in src.columns else "FALSE"
    for row, value in rows(
        f"SELECT _row, CAST(month AS VARCHAR) FROM {n} WHERE {month_cond} OR NOT "
        f"regexp_full_match(CAST(month AS VARCHAR), '[0-9]{{4}}-(0[1-9]|1[0-2])') ORDER BY _row"
    ) if "month" in src.columns else []:
        problems.append(Problem(src, row, f"字段 {FIELD_NAMES['month']}的值 “{value or ''}” 不是“年-月”格式。"
                                          "请写成 2023-07 这样的形式。"))
    allowed = {"channel": list(profile.channels), "disposition": list(profile.dispositions.values())}
    for field, known in allowed.items():
        in_list = ", ".join(f"'{_sql_str(k)}'" for k in known)
        for row, value in rows(f"SELECT _row, {field} FROM {n} WHERE {field} IS NULL OR {field} NOT IN ({in_list}) ORDER BY _row"):
            problems.append(Problem(src, row, f"字段 {FIELD_NAMES[field]}的值 “{value or ''}” 不在允许的取值中。"
                                              f"应为：{'、'.join(known)}。"))
    cats = list(taxonomy.categories)
    in_list = ", ".join(f"'{_sql_str(k)}'" for k in cats)
    for row, value in rows(f"SELECT _row, category_l1 FROM {n} WHERE category_l1 IS NULL OR category_l1 NOT IN ({in_list}) ORDER BY _row"):
        problems.append(Problem(src, row, f"字段 {FIELD_NAMES['category_l1']}的值 “{value or ''}” 不是已知的一级分类。"
                                          f"{_suggest(value or '', cats)}。"))
    if "category_l2" in src.columns:
        pairs = [(l1, l2) for l1, subs in taxonomy.categories.items() for l2 in subs]
        import pandas as pd

        con.register(f"{n}_tax", pd.DataFrame(pairs, columns=["l1", "l2"]))
        for row, l1, l2 in rows(
            f"SELECT s._row, s.category_l1, s.category_l2 FROM {n} s WHERE s.category_l2 IS NOT NULL AND "
            f"s.category_l1 IN ({in_list}) AND NOT EXISTS (SELECT 1 FROM {n}_tax t WHERE t.l1 = s.category_l1 "
            f"AND t.l2 = s.category_l2) ORDER BY s._row"
        ):
            problems.append(Problem(src, row, f"字段 {FIELD_NAMES['category_l2']}的值 “{l2}” 不是一级分类“{l1}”下的"
                                              f"二级分类。{_suggest(l2, taxonomy.categories[l1])}。"))
    problems.sort(key=lambda p: (p.row or 0))
    return problems
