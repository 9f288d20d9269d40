"""The records table: every source checked against the records contract, unioned, remapped.

Contract (DESIGN.md): month, channel, disposition, category_l1, category_l2, district, street,
handler_level, handler, topic, count.  Every count-based figure is a group-by-sum over it,
run in DuckDB; pandas only ever sees small result frames.
"""

from __future__ import annotations

import difflib
import json
import os
import re
import time
from dataclasses import dataclass
from pathlib import Path

import duckdb

from typing import TYPE_CHECKING

from .atomic import replacing, write_atomic
from .config.models import Profile, Taxonomy

if TYPE_CHECKING:      # pandas is imported where it is used (a brief never loads it)
    import pandas as pd
from .errors import DataError
from .periods import Period
from .sources import RawSource, derived_file, register_source
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
# other names of the columns, as analysts' exports head them (受理月份 for month, …): renamed on reading
ALIASES = {text.split("（")[1].rstrip("）").split("，")[0]: col for col, text in FIELD_NAMES.items()} | {
    "数量": "count", "件数": "count", "受理时间": "received", "工单编号": "ticket_id"}


@dataclass(frozen=True)
class KnownNames:
    """Names the records may use beyond the profile's districts: each district's streets (streets.yaml and
    streets-former.yaml: earlier names, short forms, functional areas) and the city-level units
    (units.yaml: level → names)."""

    streets: dict[str, set[str]]
    units: dict[str, set[str]]

    @classmethod
    def of(cls, profile_dir: Path) -> "KnownNames | None":
        import yaml

        streets: dict[str, set[str]] = {}
        for name in ("streets.yaml", "streets-former.yaml"):
            f = profile_dir / name
            if f.is_file():
                for d, names in (yaml.safe_load(f.read_text(encoding="utf-8")) or {}).items():
                    streets.setdefault(d, set()).update(names or [])
        f = profile_dir / "units.yaml"
        units = {k: set(v or []) for k, v in (yaml.safe_load(f.read_text(encoding="utf-8")) or {}).items()} \
            if f.is_file() else {}
        return cls(streets, units) if streets or units else None


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
        self.rejects: list[Reject] = []                # rows left out (period file: bad_rows: skip)
        self.query_seconds = 0.0                       # time spent in group-bys (bench/annual.py: the data stage)

    # --- building -------------------------------------------------------------------------
    @classmethod
    def open(cls, files: list, profile: Profile, taxonomy: Taxonomy,
             con: duckdb.DuckDBPyConnection | None = None, as_of: str | None = None,
             known: "KnownNames | None" = None, months: tuple[str, str] | None = None,
             skip_bad: bool = False, cache: Path | None = None) -> "RecordStore":
        """Check and union the sources: ``(path, format, sheet[, encoding])`` files or ``DatabaseTickets``.
        ``as_of`` ('YYYY-MM', the report period's end): the taxonomy changes effective by then are applied to
        all records, so that comparisons are like with like; a report of an earlier period keeps the taxonomy
        of its time.  ``known``: the city's streets and units, checked when given.  ``months`` ('YYYY-MM',
        'YYYY-MM', both inclusive): the months the report reads; a file with none of them is refused.
        ``skip_bad``: rows with problems are left out instead of stopping (problems of a whole file still
        stop); ``store.rejects`` lists each with its reason and its values.  ``cache``: a folder where the
        checked records are kept under a digest of the files' contents, the names they were checked against and
        this code, so that the next process reading the same unchanged files (a re-render, the preview, another
        report of the same year) skips reading and checking them; any change to a file is a new digest."""
        con = con or connect(cache)
        applied = [r for r in taxonomy.remaps if as_of is None or r.effective < as_of]
        digest = _digest(files, profile, taxonomy, known, as_of, months, skip_bad) if cache is not None else None
        if digest is not None and (cache / f"{digest}.parquet").is_file():
            try:
                kept = json.loads((cache / f"{digest}.json").read_text(encoding="utf-8"))
                con.execute("DROP TABLE IF EXISTS records")
                con.execute(f"CREATE TEMP TABLE records_text AS SELECT * FROM "
                            f"read_parquet('{_sql_str(str(cache / f'{digest}.parquet'))}')")
            except (OSError, ValueError, duckdb.Error):
                pass                                # a damaged cache entry: read and check the files again
            else:
                _as_enums(con)
                store = cls(con, [], applied)
                store.rejects = [Reject(**r) for r in kept["rejects"]]
                return store
        sources, fetched = [], {}
        for i, spec in enumerate(files):
            if isinstance(spec, DatabaseTickets):            # tickets in a database: aggregated there
                name = f"src_{i}"
                fetched[name] = fetch_database_aggregate(spec, con, name)
                cols = tuple(r[0] for r in con.execute(f"DESCRIBE {name}").fetchall() if r[0] != "_row")
                sources.append(RawSource(name, None, spec.shown, "database", None, cols, grouped=True))
                continue
            path, fmt, sheet, *rest = spec
            src = register_source(con, f"src_{i}", path, fmt, sheet, encoding=rest[0] if rest else None,
                                  aliases=ALIASES)
            if is_ticket_source(src.columns):                # one row per ticket: aggregated by DuckDB, once
                src = _aggregated_tickets(con, src)
            sources.append(src)
        problems: list[Problem] = []
        for src in sources:
            problems += _check_source(con, src, profile, taxonomy, known, every=skip_bad)
        rejects: list[Reject] = []
        if skip_bad and problems and all(p.row is not None for p in problems):
            rejects, sources = _leave_out(con, problems, sources)
            problems = []
        if not problems and months is not None:
            for src in sources:
                problems += _check_months(con, src, months)
        if problems:
            lines = [str(p) for p in problems[:MAX_REPORTED]]
            if len(problems) > MAX_REPORTED:
                lines.append(f"……另有 {len(problems) - MAX_REPORTED} 处问题未列出。")
            raise DataError(lines[0], lines)
        union = " UNION ALL ".join(_typed_select(src) for src in sources)
        con.execute(f"CREATE OR REPLACE TEMP VIEW records_unmapped AS {union}")
        # one typed, remapped table: the report's group-bys read it, never the sources again
        con.execute("DROP TABLE IF EXISTS records")
        con.execute(f"CREATE TEMP TABLE records_text AS {_remapped_select(applied)}")
        con.execute("DROP VIEW records_unmapped")
        if digest is not None:
            _keep(con, cache, digest, rejects)
        _as_enums(con)
        store = cls(con, sources, applied)
        store.fetched_rows = fetched
        store.rejects = rejects
        return store

    # --- queries ----------------------------------------------------------------------------
    def names_with_digits(self) -> list[str]:
        """The names in the records (categories, streets, units, topics …) that contain a digit (“0-3岁婴幼儿普惠
        托育”): ``reportgen check`` does not take their digits for figures."""
        out: set[str] = set()
        for c in ENUMS:                      # the ENUM types hold each column's distinct values: no scan
            rows = self.con.execute(f"SELECT v FROM (SELECT unnest(enum_range(NULL::records_{c}_t)) AS v) "
                                    "WHERE regexp_matches(v, '[0-9]')").fetchall()
            out.update(r[0] for r in rows)
        return sorted(out)

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
        select = "".join(f"CAST({c} AS VARCHAR) AS {c}, " if c in ENUMS else f"{c}, " for c in by)
        group = f"GROUP BY {cols} ORDER BY {cols}" if by else ""
        sql = f"SELECT {select}CAST(COALESCE(SUM(count), 0) AS BIGINT) AS count FROM records WHERE {' AND '.join(conds)} {group}"
        key = (sql, tuple(params))
        if key not in self._memo:
            t0 = time.perf_counter()
            self._memo[key] = self.con.execute(sql, params).df()
            self.query_seconds += time.perf_counter() - t0
        return self._memo[key].copy()

    def total(self, period: Period, where: dict[str, object] | None = None) -> int:
        from .provenance import Count, Source

        filters = tuple((k, list(v) if isinstance(v, (list, tuple)) else v) for k, v in (where or {}).items())
        return Count(self.group(period, (), where)["count"].iloc[0], Source("SUM(count)", filters, period.key))


def _digest(files: list, profile: Profile, taxonomy: Taxonomy, known: "KnownNames | None", as_of: str | None,
            months: tuple[str, str] | None, skip_bad: bool) -> str | None:
    """What the checked records depend on: the files' bytes, how they are read, the names they are checked
    against and the code that reads and checks them.  None (no caching) for a database source or a file that
    cannot be read (its message comes from the normal path)."""
    import hashlib

    h = hashlib.sha256()
    try:
        for spec in files:
            if isinstance(spec, DatabaseTickets):
                return None
            path, *how = spec
            h.update(repr((str(path), *how)).encode())
            with open(path, "rb") as f:
                while chunk := f.read(1 << 20):
                    h.update(chunk)
        here = Path(__file__).parent
        for module in ("records.py", "sources.py", "tickets.py"):
            h.update((here / module).read_bytes())
    except OSError:
        return None
    names = None if known is None else ({k: sorted(v) for k, v in known.streets.items()},
                                        {k: sorted(v) for k, v in known.units.items()})
    h.update(json.dumps([profile.model_dump_json(), taxonomy.model_dump_json(), names, as_of, months, skip_bad],
                        ensure_ascii=False, sort_keys=True).encode())
    return h.hexdigest()[:32]


KEPT_ENTRIES = 12


def _keep(con: duckdb.DuckDBPyConnection, cache: Path, digest: str, rejects: list) -> None:
    """The checked ``records_text`` and its rejects into the cache (temporary names, then renamed: a reader
    never sees half an entry; the Parquet file, renamed last, marks the entry complete)."""
    try:
        write_atomic(cache / f"{digest}.json", json.dumps({"rejects": [r.__dict__ for r in rejects]},
                                                          ensure_ascii=False).encode("utf-8"), durable=False)
        with replacing(cache / f"{digest}.parquet", durable=False) as tmp:
            con.execute(f"COPY records_text TO '{_sql_str(str(tmp))}' (FORMAT parquet)")
        entries = sorted(cache.glob("*.parquet"), key=lambda f: f.stat().st_mtime, reverse=True)
        for old in entries[KEPT_ENTRIES:]:        # the newest few: this year's and last year's reports, the preview
            old.unlink(missing_ok=True)
            old.with_suffix(".json").unlink(missing_ok=True)
    except (OSError, duckdb.Error):
        pass                                    # no cache (read-only, full disk): the next render checks again


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


ENUMS = ("channel", "disposition", "category_l1", "category_l2", "district", "street", "handler_level", "handler",
         "topic", "tag")


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


def _aggregated_tickets(con: duckdb.DuckDBPyConnection, src: RawSource) -> RawSource:
    """The ticket file's records: its one GROUP BY, kept in the cache (``.cache/tickets``) under the file's
    path, size and time and the statement, so the next report of the same tickets (the other districts'
    briefs, the preview, a re-run) reads ~10⁵ aggregate rows instead of millions of tickets."""
    sql = aggregate_sql(src.name, src.columns, row_column="_row")
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
    month = month_sql(_col(src, "month")) if "month" in src.columns else "NULL"
    parts.insert(0, f"COALESCE({month}, substr({date}, 1, 7)) AS month")
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


@dataclass(frozen=True)
class Reject:
    """A row left out of the report, with why and what it held."""

    file: str
    row: int
    reason: str
    values: dict[str, str | None]


def _leave_out(con: duckdb.DuckDBPyConnection, problems: list[Problem],
               sources: list[RawSource]) -> tuple[list[Reject], list[RawSource]]:
    """Every row with a problem, out of its source (a filtered view) and into the rejects list."""
    by_source: dict[str, dict[int, list[str]]] = {}
    for p in problems:
        by_source.setdefault(p.source.name, {}).setdefault(p.row, []).append(p.message)
    rejects: list[Reject] = []
    kept: list[RawSource] = []
    for src in sources:
        bad = by_source.get(src.name)
        if not bad:
            kept.append(src)
            continue
        rows = sorted(bad)
        import pyarrow as pa

        con.register(f"{src.name}_bad", pa.table({"r": rows}))
        cols = list(src.columns)
        casts = ", ".join('CAST("' + c + '" AS VARCHAR)' for c in cols)
        values = con.execute(f"SELECT _row, {casts} FROM {src.name} "
                             f"WHERE _row IN (SELECT r FROM {src.name}_bad) ORDER BY _row").fetchall()
        for rec in values:
            rejects.append(Reject(src.shown, rec[0], "；".join(m.rstrip("。") for m in bad[rec[0]]) + "。",
                                  dict(zip(cols, rec[1:]))))
        con.execute(f"CREATE OR REPLACE TEMP VIEW {src.name}_ok AS SELECT * FROM {src.name} "
                    f"WHERE _row NOT IN (SELECT r FROM {src.name}_bad)")
        kept.append(RawSource(f"{src.name}_ok", src.path, src.shown, src.fmt, src.sheet, src.columns, src.grouped))
    return rejects, kept


def _check_places(con, src: RawSource, profile: Profile, known: KnownNames | None,
                  every: bool = False) -> list[Problem]:
    """The streets of each district and the city-level units (when known)."""
    problems: list[Problem] = []
    n = src.name
    def pairs(a: str, b: str) -> list[tuple]:
        """(row, a, b) of the rows with a value of ``b``: each row (``every``), else the first of each pair."""
        if every:
            return con.execute(f"SELECT _row, {a}, {b} FROM {n} WHERE {b} IS NOT NULL ORDER BY 1").fetchall()
        return con.execute(f"SELECT min(_row), {a}, {b} FROM {n} WHERE {b} IS NOT NULL GROUP BY 2, 3 ORDER BY 1").fetchall()

    if known is not None and known.streets and "street" in src.columns and "district" in src.columns:
        for row, d, value in pairs("district", "street"):
            if d in known.streets and value not in known.streets[d]:
                elsewhere = [x for x, ss in known.streets.items() if value in ss]
                where = f"“{value}” 属于{'、'.join(elsewhere)}" if elsewhere else _suggest(value, sorted(known.streets[d]))
                problems.append(Problem(src, row, f"字段 {FIELD_NAMES['street']}的值 “{value}” 不是{d}的街乡镇"
                                                  f"（{where}）。街乡镇名单见 streets.yaml 与 streets-former.yaml。"))
    if known is not None and known.units and "handler" in src.columns and "handler_level" in src.columns:
        for row, level, value in pairs("handler_level", "handler"):
            if level in known.units and value not in known.units[level]:
                problems.append(Problem(src, row, f"字段 {FIELD_NAMES['handler']}的值 “{value}” 不是已知的{level}。"
                                                  f"{_suggest(value, sorted(known.units[level]))}；"
                                                  "新的单位请先加入 units.yaml。"))
    return problems


def _count_problem(value: str | None) -> str:
    field = FIELD_NAMES["count"]
    text = (value or "").strip()
    if not text:
        return f"字段 {field}为空。请填写大于等于 1 的整数件数。"
    if re.fullmatch(r"[0-9]{1,3}(,[0-9]{3})+", text):
        return f"字段 {field}的值 “{text}” 带有千位分隔符。请写成 {text.replace(',', '')}。"
    hint = "请填写大于等于 1 的整数件数。"
    try:
        number = float(text)
        if number < 0:
            hint = "件数不能为负数。" + hint
        elif number != int(number):
            hint = "件数不能有小数。" + hint
    except ValueError:
        hint = "请用阿拉伯数字填写大于等于 1 的整数件数。"
    return f"字段 {field}的值 “{text}” 不是正整数。{hint}"


def _month_problem(value: str | None) -> str:
    hint = "请写成 2023-07 这样的形式。"
    if value and value.isdigit() and 20000 <= int(value) <= 80000:      # an Excel date serial number
        import datetime as dt

        day = dt.date(1899, 12, 30) + dt.timedelta(days=int(value))
        hint = (f"它像是 Excel 的日期序列号（即 {day.isoformat()}）：请把该列的单元格格式设为日期，"
                f"或写成 {day.year}-{day.month:02d}。")
    return f"字段 {FIELD_NAMES['month']}的值 “{value or ''}” 不是“年-月”格式。{hint}"


def _l2_problem(src: RawSource, row: int, pair: str, taxonomy: Taxonomy) -> Problem:
    l1, l2 = pair.split("\x1f", 1)
    return Problem(src, row, f"字段 {FIELD_NAMES['category_l2']}的值 “{l2}” 不是一级分类“{l1}”下的二级分类。"
                             f"{_suggest(l2, taxonomy.categories[l1])}。")


def month_sql(expr: str) -> str:
    """A month as analysts write it, as 'YYYY-MM': '2023-07', '2023年7月', '2023/7', '2023.07'."""
    v = f"trim(CAST({expr} AS VARCHAR))"
    return (f"CASE WHEN regexp_full_match({v}, '[0-9]{{4}}-[0-9]{{2}}') THEN {v} "     # the usual form, fast
            f"WHEN regexp_full_match({v}, '[0-9]{{4}}(年|/|\\.|-)[0-9]{{1,2}}月?') THEN "
            f"regexp_extract({v}, '^([0-9]{{4}})', 1) || '-' || lpad(regexp_extract({v}, '^[0-9]{{4}}[^0-9]([0-9]{{1,2}})', 1), 2, '0') "
            f"ELSE {v} END")


def _check_months(con: duckdb.DuckDBPyConnection, src: RawSource, months: tuple[str, str]) -> list[Problem]:
    """A file none of whose rows is in the report's months was picked by mistake (last year's export …)."""
    n = src.name
    month = month_sql("month") if "month" in src.columns else "substr(CAST(date AS VARCHAR), 1, 7)"
    inside, lo, hi = con.execute(f"SELECT count(*) FILTER (WHERE m BETWEEN ? AND ?), min(m), max(m) FROM "
                                 f"(SELECT {month} AS m FROM {n})", list(months)).fetchone()
    if inside or lo is None:
        return []
    span = lo if lo == hi else f"{lo} 至 {hi}"
    return [Problem(src, None, f"受理月份为 {span}，没有一行在本报告所需的期间（{months[0]} 至 {months[1]}）内。"
                               "请检查期间文件 sources 中是否选错了文件。")]


def _check_source(con: duckdb.DuckDBPyConnection, src: RawSource, profile: Profile, taxonomy: Taxonomy,
                  known: KnownNames | None = None, every: bool = False) -> list[Problem]:
    """The problems of one source.  ``every``: all rows with a problem (to leave them out), not only the
    first ones a message can list."""
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
    n = src.name
    cats = list(taxonomy.categories)
    cat_list = ", ".join(f"'{_sql_str(k)}'" for k in cats)
    pairs = [f"{l1}\x1f{l2}" for l1, subs in taxonomy.categories.items() for l2 in subs]
    con.execute(f"CREATE OR REPLACE TEMP TABLE {n}_pairs AS SELECT unnest(?::VARCHAR[]) AS p", [pairs])
    district_names = [d.name for d in profile.districts] + [a.name for a in profile.areas]
    strict = "'[0-9]{4}-(0[1-9]|1[0-2])'"
    month_cond = ("month IS NULL" + (" AND date IS NULL" if "date" in src.columns else "")
                  + f" OR NOT regexp_full_match(trim(CAST(month AS VARCHAR)), {strict}) "     # the usual form: no more
                  f"AND NOT regexp_full_match({month_sql('month')}, {strict})")
    types = dict(con.execute(f"SELECT column_name, column_type FROM (DESCRIBE {n})").fetchall())
    allowed = {"channel": list(profile.channels), "disposition": list(profile.dispositions.values())}
    # each check: (the columns it reads, the rows it refuses, the value shown, how the problem is told)
    integer = types.get("count") in ("TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "UTINYINT", "USMALLINT",
                                     "UINTEGER", "UBIGINT")
    checks: list[tuple[str, str, str, object]] = [(
        '"count"', '"count" IS NULL OR "count" < 1' if integer else     # a typed column (Parquet) needs no parsing
        "\"count\" IS NULL OR NOT regexp_full_match(trim(CAST(\"count\" AS VARCHAR)), '[0-9]+(\\.0+)?') "
        "OR TRY_CAST(\"count\" AS DOUBLE) < 1", 'CAST("count" AS VARCHAR)',
        lambda row, value: Problem(src, row, _count_problem(value)))]
    if "date" in src.columns:
        checks.append(("date", "date IS NOT NULL AND TRY_CAST(date AS DATE) IS NULL", "CAST(date AS VARCHAR)",
                       lambda row, value: Problem(src, row, f"字段 {FIELD_NAMES['date']}的值 “{value}” 不是日期。"
                                                            "请写成 2023-07-19 这样的形式。")))
    if "month" in src.columns:
        checks.append(("month, date" if "date" in src.columns else "month", month_cond, "CAST(month AS VARCHAR)",
                       lambda row, value: Problem(src, row, _month_problem(value))))
    for field, names in allowed.items():
        in_list = ", ".join(f"'{_sql_str(k)}'" for k in names)
        checks.append((field, f"{field} IS NULL OR {field} NOT IN ({in_list})", field,
                       lambda row, value, field=field, names=names: Problem(
                           src, row, f"字段 {FIELD_NAMES[field]}的值 “{value or ''}” 不在允许的取值中。应为：{'、'.join(names)}。")))
    if "district" in src.columns:
        in_list = ", ".join(f"'{_sql_str(k)}'" for k in district_names)
        checks.append(("district", f"district IS NOT NULL AND district NOT IN ({in_list})", "district",
                       lambda row, value: Problem(src, row, f"字段 {FIELD_NAMES['district']}的值 “{value}” 不是本市的区。"
                                                            f"{_suggest(value, district_names)}。")))
    checks.append(("category_l1", f"category_l1 IS NULL OR category_l1 NOT IN ({cat_list})", "category_l1",
                   lambda row, value: Problem(src, row, f"字段 {FIELD_NAMES['category_l1']}的值 “{value or ''}” 不是已知的"
                                                        f"一级分类。{_suggest(value or '', cats)}。")))
    if "category_l2" in src.columns:
        checks.append(("category_l1, category_l2", f"category_l2 IS NOT NULL AND category_l1 IN ({cat_list}) AND "
                       f"category_l1 || '\x1f' || category_l2 NOT IN (SELECT p FROM {n}_pairs)",
                       "category_l1 || '\x1f' || category_l2", lambda row, value: _l2_problem(src, row, value, taxonomy)))
    limit = "" if every else f" LIMIT {MAX_REPORTED + 1}"
    for cols, cond, shown, tell in checks:
        # the check runs on the column's distinct values (a few dozen months, districts …), not on every row
        if con.execute(f"WITH d AS MATERIALIZED (SELECT DISTINCT {cols} FROM {n}) SELECT 1 FROM d WHERE {cond} LIMIT 1"
                       ).fetchall():
            for row, value in con.execute(f"SELECT _row, {shown} FROM {n} WHERE {cond} ORDER BY _row{limit}").fetchall():
                problems.append(tell(row, value))
    problems += _check_places(con, src, profile, known, every)
    if not src.grouped:                     # duplicates: rows a person pasted twice
        dims = [c for c in src.columns if c in COLUMNS and c != "count"]
        cols = ", ".join(f'"{c}"' for c in dims + ["count"])
        if con.execute(f"SELECT count(*) FROM {n} GROUP BY {cols} HAVING count(*) > 1 LIMIT 1").fetchall():
            for first, others in con.execute(
                f"SELECT min(_row), list(_row ORDER BY _row)[2:] FROM {n} GROUP BY {cols} HAVING count(*) > 1 ORDER BY 1 "
                + ("" if every else f"LIMIT {MAX_REPORTED + 1}")
            ).fetchall():
                for again in others if every else others[:1]:
                    problems.append(Problem(src, again, f"与第 {first} 行完全相同。若是重复粘贴，请删去一行；若确为两组记录，"
                                                        "请合并为一行并把数量相加。"))
    if not con.execute(f"SELECT 1 FROM {n} LIMIT 1").fetchall():
        problems.append(Problem(src, None, "只有表头，没有数据行。"))
    problems.sort(key=lambda p: (p.row or 0))
    return problems
