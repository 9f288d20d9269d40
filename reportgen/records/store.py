"""RecordStore: the sources read, checked and unioned once into the records table; every group-by of a
report runs on it."""

from __future__ import annotations

import itertools
import json
import time
from pathlib import Path
from typing import Any

import duckdb

from ..config.models import Profile, Taxonomy
from ..errors import DataError
from ..periods import Period
from ..sources import RawSource, register_source
from ..tickets import DatabaseTickets, fetch_database_aggregate, is_ticket_source
from .cache import _digest, _keep
from .checks import _check_months, _check_source, _duplicate_tickets, _leave_out
from .contract import (
    ALIASES,
    COLUMNS,
    DERIVED,
    ENUMS,
    MAX_REPORTED,
    MAX_TOTAL,
    KnownNames,
    Problem,
    Reject,
    _month,
    _month_end,
    _sql_str,
)
from .table import _aggregated_tickets, _as_enums, _remapped_select, _typed_select, connect

Row = dict[str, Any]     # one group-by result row: the ``by`` columns and ``count``


class RecordStore:
    """A DuckDB connection holding the validated ``records`` view, and the group-bys over it."""

    def __init__(self, con: duckdb.DuckDBPyConnection, sources: list[RawSource], applied: list) -> None:
        self.con = con
        self.sources = sources
        self.applied_remaps = applied   # taxonomy changes applied to every record (the report's taxonomy)
        self._memo: dict[tuple, dict[tuple, tuple[Row, ...]]] = {}   # roll-ups (a store is rebuilt when its files change)
        self.fetched_rows: dict[str, int] = {}        # rows fetched from each database source (aggregates)
        self.rejects: list[Reject] = []                # rows left out (period file: bad_rows: skip)
        self.notices: list[str] = []                   # told to the user: rows outside the months the report reads
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
                store.notices = list(kept.get("notices", []))
                return store
        seen: dict[Path, int] = {}
        for i, spec in enumerate(files):         # the same file twice counts every row twice
            if not isinstance(spec, DatabaseTickets):
                where = Path(spec[0]).resolve()
                if where in seen:
                    from ..config.load import display_path

                    raise DataError(f"数据错误：数据文件 {display_path(Path(spec[0]))} 在 sources 中列了两次"
                                    f"（第 {seen[where] + 1} 项与第 {i + 1} 项），其中每一行都会被计算两次。请删去其中一项。")
                seen[where] = i
        sources, fetched = [], {}
        for i, spec in enumerate(files):
            if isinstance(spec, DatabaseTickets):            # tickets in a database: aggregated there
                name = f"src_{i}"
                fetched[name] = fetch_database_aggregate(spec, con, name, profile.timezone, profile.assessment_day)
                cols = tuple(r[0] for r in con.execute(f"DESCRIBE {name}").fetchall() if r[0] != "_row")
                sources.append(RawSource(name, None, spec.shown, "database", None, cols, grouped=True))
                continue
            path, fmt, sheet, *rest = spec
            src = register_source(con, f"src_{i}", path, fmt, sheet, encoding=rest[0] if rest else None,
                                  aliases=ALIASES)
            sources.append(src)
        rejects: list[Reject] = []
        tickets = [j for j, s in enumerate(sources) if s.fmt != "database" and is_ticket_source(s.columns)]
        with_ids = [sources[j] for j in tickets if "ticket_id" in sources[j].columns]
        if with_ids:                                         # the same ticket twice, in a file or across files
            twice = _duplicate_tickets(con, with_ids, every=skip_bad)
            if twice and not skip_bad:
                _refuse(twice)
            if twice:
                left, kept = _leave_out(con, twice, with_ids)
                rejects += left
                renamed = {a.name: b for a, b in zip(with_ids, kept)}
                sources = [renamed.get(s.name, s) for s in sources]
        for j in tickets:                                    # one row per ticket: aggregated by DuckDB, once
            sources[j] = _aggregated_tickets(con, sources[j], profile.timezone, profile.assessment_day)
        problems: list[Problem] = []
        for src in sources:
            problems += _check_source(con, src, profile, taxonomy, known, every=skip_bad)
        if skip_bad and problems and all(p.row is not None for p in problems):
            left, sources = _leave_out(con, problems, sources)
            rejects += left
            problems = []
        if not problems and months is not None:
            for src in sources:
                problems += _check_months(con, src, months)
        if not problems and len(sources) > 1:
            problems += _across_sources(con, sources)
        if problems:
            _refuse(problems)
        notices = _outside(con, sources, months) if months is not None else []
        within = "" if months is None else (      # rows outside the report's months are left out (told above)
            " WHERE month BETWEEN {} AND {}".format(*(duckdb.ConstantExpression(m) for m in months)))
        union = " UNION ALL ".join(f"SELECT * FROM ({_typed_select(src)}){within}" for src in sources)
        con.execute(f"CREATE OR REPLACE TEMP VIEW records_unmapped AS {union}")
        # one typed, remapped table: the report's group-bys read it, never the sources again
        con.execute("DROP TABLE IF EXISTS records")
        con.execute(f"CREATE TEMP TABLE records_text AS {_remapped_select(applied, profile.assessment_day)}")
        con.execute("DROP VIEW records_unmapped")
        total = con.execute("SELECT sum(CAST(count AS HUGEINT)) FROM records_text").fetchone()[0] or 0
        if total > MAX_TOTAL:                # each row is checked; their sum must stay exact too
            raise DataError(f"数据错误：各数据文件的数量合计为 {total} 件，超过了能精确计算的上限 {MAX_TOTAL}。"
                            "请检查 sources 中的文件与 count 列。")
        if digest is not None:
            _keep(con, cache, digest, rejects, notices)
        _as_enums(con)
        store = cls(con, sources, applied)
        store.fetched_rows = fetched
        store.rejects = rejects
        store.notices = notices
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

    def group(self, period: Period, by: tuple[str, ...] = (), where: dict[str, object] | None = None) -> list[Row]:
        """Sum of ``count`` over ``period`` grouped by ``by`` (contract columns), with equality filters (a value,
        a list of values, or ``None`` for a missing dimension): one dict per group, ordered by ``by`` (missing
        last).  Plain rows, not a DataFrame: a report's ~100 group-bys return a few hundred rows in all, and
        pandas would cost its import (~0.4 s in a fresh process) and its per-row overhead for nothing.

        The filters are answered from a roll-up: one GROUP BY over ``by`` and the filtered columns, run once
        per period and kept, then indexed by the filter values, so that the 27 monthly trends of the annual
        report's sub-categories are one scan of the records, not 27.  Integer sums either way: exact."""
        where = where or {}
        for col in by + tuple(where):
            if col not in COLUMNS + DERIVED:
                raise ValueError(f"unknown records column {col!r}")
        t0 = time.perf_counter()
        keys = tuple(sorted(where))
        index = self._rollup(period, by + tuple(c for c in keys if c not in by), keys, "kmonth" in by)
        choices = [tuple(dict.fromkeys(v)) if isinstance(v, (list, tuple)) else (v,) for v in (where[c] for c in keys)]
        sums: dict[tuple, int] = {}
        for combo in itertools.product(*choices):
            for row in index.get(combo, ()):
                k = tuple(row[c] for c in by)
                sums[k] = sums.get(k, 0) + int(row["count"])
        self.query_seconds += time.perf_counter() - t0
        if not by:
            return [{"count": sums.get((), 0)}]
        order = sorted(sums, key=lambda k: tuple((v is None, "" if v is None else v) for v in k))
        return [{**dict(zip(by, k)), "count": sums[k]} for k in order]

    def _rollup(self, period: Period, cols: tuple[str, ...], keys: tuple[str, ...],
                by_kmonth: bool) -> dict[tuple, tuple[Row, ...]]:
        """The period's sums grouped by ``cols``, indexed by the values of ``keys`` (kept per store)."""
        if period.kind.startswith("assessment") or by_kmonth:
            conds, params = ["date >= ?", "date < ?"], [period.start.isoformat(), period.end.isoformat()]
        else:
            conds, params = ["month >= ?", "month < ?"], [_month(period.start), _month_end(period)]
        select = "".join(f"CAST({c} AS VARCHAR) AS {c}, " if c in ENUMS else f"{c}, " for c in cols)
        group = f" GROUP BY {', '.join(cols)}" if cols else ""
        sql = (f"SELECT {select}CAST(COALESCE(SUM(count), 0) AS BIGINT) AS count FROM records "
               f"WHERE {' AND '.join(conds)}{group}")
        memo = (sql, tuple(params), keys)
        if memo not in self._memo:
            cur = self.con.execute(sql, params)
            names = [d[0] for d in cur.description]
            index: dict[tuple, list[Row]] = {}
            for r in cur.fetchall():
                row = dict(zip(names, r))
                index.setdefault(tuple(row[c] for c in keys), []).append(row)
            self._memo[memo] = {k: tuple(v) for k, v in index.items()}
        return self._memo[memo]

    def total(self, period: Period, where: dict[str, object] | None = None) -> int:
        from ..provenance import Count, Source

        filters = tuple((k, list(v) if isinstance(v, (list, tuple)) else v) for k, v in (where or {}).items())
        return Count(self.group(period, (), where)[0]["count"], Source("SUM(count)", filters, period.key))


    def restatement(self, period: Period, filters: dict[str, object]) -> tuple[str, ...]:
        """The taxonomy changes that restated the records a sum over ``filters`` in ``period`` counts: each rule
        that moved records of the period (received before the change took effect) into or out of the filtered
        category, as “2023-04 分类调整前：教育 / 社会办学 → 社会培训机构 / 社会办学”."""
        if not self.applied_remaps or not ({"category_l1", "category_l2"} & set(filters)):
            return ()
        first = period.start.strftime("%Y-%m")
        def values(key: str) -> set | None:
            v = filters.get(key)
            return None if v is None else set(v) if isinstance(v, (list, tuple, set)) else {v}
        l1, l2 = values("category_l1"), values("category_l2")

        def hit(cat: dict[str, str | None]) -> bool:
            c1, c2 = cat.get("category_l1"), cat.get("category_l2")
            return (l1 is None or c1 in l1) and (l2 is None or c2 is None or c2 in l2)

        out = []
        for remap in self.applied_remaps:
            if remap.effective <= first:
                continue
            for rule in remap.map:
                to = {"category_l1": rule.to.get("category_l1", rule.from_.get("category_l1")),
                      "category_l2": rule.to.get("category_l2", rule.from_.get("category_l2"))}
                if hit(rule.from_) or hit(to):
                    src = " / ".join(v for v in (rule.from_.get("category_l1"), rule.from_.get("category_l2")) if v)
                    dst = " / ".join(v for v in (to["category_l1"], to["category_l2"]) if v)
                    out.append(f"{remap.effective} 分类调整前：{src} → {dst}")
        return tuple(out)


def _outside(con: duckdb.DuckDBPyConnection, sources: list[RawSource], months: tuple[str, str]) -> list[str]:
    """The rows of each source outside the months the report reads: not counted, and said so (a 2023 export
    with the first days of 2024, a file of three years for a one-year report)."""
    out = []
    for src in sources:
        n, total, lo, hi = con.execute(
            f"SELECT count(*), sum(CAST(count AS HUGEINT)), min(month), max(month) FROM ({_typed_select(src)}) "
            "WHERE month < ? OR month > ?", list(months)).fetchone()
        if n:
            span = lo if lo == hi else f"{lo} 至 {hi}"
            out.append(f"提示：文件 {src.shown} 中有 {n} 行（共 {total} 件）的受理月份为 {span}，不在本报告所读的期间"
                       f"（{months[0]} 至 {months[1]}）内，未计入本报告。")
    return out


def _refuse(problems: list[Problem]) -> None:
    lines = [str(p) for p in problems[:MAX_REPORTED]]
    if len(problems) > MAX_REPORTED:
        lines.append(f"……另有 {len(problems) - MAX_REPORTED} 处问题未列出。")
    raise DataError(lines[0], lines)


def _across_sources(con: duckdb.DuckDBPyConnection, sources: list[RawSource]) -> list[Problem]:
    """A row found in two sources (the 2022-12 rows of a 2023 export and of the 2022 file) would be counted
    twice: the same values in every field, compared as the report reads them, in two different sources."""
    union = " UNION ALL ".join(f"SELECT {i} AS _src, * FROM ({_typed_select(src, row=True)})"
                               for i, src in enumerate(sources))
    cols = ", ".join(COLUMNS)
    # one hash per row, grouped: small and spillable (a GROUP BY of every column with lists of rows ran out of the
    # connection's bounded memory on two years of records); the candidates are then compared field by field
    con.execute(f"CREATE OR REPLACE TEMP TABLE _xsrc AS SELECT _src, _row, hash({cols}) AS h, {cols} FROM ({union})")
    try:
        keys = con.execute("SELECT h FROM _xsrc GROUP BY h HAVING min(_src) <> max(_src) "
                           f"ORDER BY min(_src), min(_row) LIMIT {MAX_REPORTED + 1}").fetchall()
        found = []
        for (h,) in keys:
            rows = con.execute(f"SELECT _src, _row, {cols} FROM _xsrc WHERE h = ? ORDER BY _src, _row", [h]).fetchall()
            first = rows[0]
            twin = next((r for r in rows if r[0] != first[0] and r[2:] == first[2:]), None)
            if twin is not None:
                found.append(((first[0], twin[0]), (first[1], twin[1])))
    finally:
        con.execute("DROP TABLE IF EXISTS _xsrc")
    problems = []
    for (a, b), (ra, rb) in found:
        other = sources[a].where(ra)
        problems.append(Problem(sources[b], rb, f"与{other}完全相同：同一行出现在两个数据文件中，会被计算两次"
                                                "（常见于新一年的导出含有上一年最后一个月的行）。请从其中一个文件中删去重复的行。"))
    return problems
