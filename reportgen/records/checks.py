"""The checks of a source against the records contract, in SQL: each runs on the distinct values first and
looks for the rows only when a value is bad; with bad_rows: skip the bad rows are left out and kept."""

from __future__ import annotations

import difflib
import re
from typing import TYPE_CHECKING

import duckdb

from ..config.models import Profile, Taxonomy
from ..sources import RawSource
from .contract import (
    COLUMNS,
    FIELD_NAMES,
    MAX_COUNT,
    MAX_REPORTED,
    REQUIRED,
    KnownNames,
    Problem,
    Reject,
    _sql_str,
    _suggest,
    count_sql,
    month_sql,
)

if TYPE_CHECKING:      # pandas is imported where it is used (a brief never loads it)
    pass


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
    from decimal import Decimal, InvalidOperation

    field = FIELD_NAMES["count"]
    text = (value or "").strip()
    if not text:
        return f"字段 {field}为空。请填写大于等于 1 的整数件数。"
    if re.fullmatch(r"[0-9]{1,3}(,[0-9]{3})+", text):
        return f"字段 {field}的值 “{text}” 带有千位分隔符。请写成 {text.replace(',', '')}。"
    hint = "请填写大于等于 1 的整数件数。"
    try:                                    # exactly, never through a float (inf, 1e400, 2**63 …)
        number = Decimal(text)
    except InvalidOperation:
        number = None
    if number is None or not number.is_finite():
        hint = "请用阿拉伯数字填写大于等于 1 的整数件数。"
    elif number < 0:
        hint = "件数不能为负数。" + hint
    elif number != number.to_integral_value():
        hint = "件数不能有小数。" + hint
    elif number > MAX_COUNT:
        return (f"字段 {field}的值 “{text}” 超过每行 {MAX_COUNT} 件的上限，不像是件数（是否误填了编号或金额？）。"
                "请改正该单元格。")
    return f"字段 {field}的值 “{text}” 不是正整数。{hint}"


def _month_problem(value: str | None) -> str:
    hint = "请写成 2023-07 这样的形式。"
    if value and value.isdigit() and 20000 <= int(value) <= 80000:      # an Excel date serial number
        import datetime as dt

        day = dt.date(1899, 12, 30) + dt.timedelta(days=int(value))
        hint = (f"它像是 Excel 的日期序列号（即 {day.isoformat()}）：请把该列的单元格格式设为日期，"
                f"或写成 {day.year}-{day.month:02d}。")
    return f"字段 {FIELD_NAMES['month']}的值 “{value or ''}” 不是“年-月”格式。{hint}"


def _month_date_problem(pair: str) -> str:
    month, date = pair.split("\x1f", 1)
    return (f"字段 {FIELD_NAMES['month']}的值 “{month}” 与字段 {FIELD_NAMES['date']}的值 “{date}” 不在同一个月："
            "该行会按月份计入一个月、按日期（考核期）计入另一个月。请改正其中之一。")


def _l2_problem(src: RawSource, row: int, pair: str, taxonomy: Taxonomy) -> Problem:
    l1, l2 = pair.split("\x1f", 1)
    return Problem(src, row, f"字段 {FIELD_NAMES['category_l2']}的值 “{l2}” 不是一级分类“{l1}”下的二级分类。"
                             f"{_suggest(l2, taxonomy.categories[l1])}。")


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
        if not any(c in COLUMNS for c in src.columns):     # not a records file: nothing of it is echoed
            return [Problem(src, None, f"缺少必需的列：{'、'.join(FIELD_NAMES[m] for m in missing)}。它的第一行没有一个受理记录的列名"
                                       "（不像是受理记录文件）：请检查 sources 中的文件是否选错。")]
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
        '"count"', f'"count" IS NULL OR "count" < 1 OR "count" > {MAX_COUNT}' if integer else   # a typed column (Parquet)
        # text: digits only (".0" allowed), read as an exact integer (never a float: 2**53+1 stays itself)
        "\"count\" IS NULL OR NOT regexp_full_match(trim(CAST(\"count\" AS VARCHAR)), '[0-9]+(\\.0+)?') "
        f"OR NOT COALESCE({count_sql('count')} BETWEEN 1 AND {MAX_COUNT}, false)", 'CAST("count" AS VARCHAR)',
        lambda row, value: Problem(src, row, _count_problem(value)))]
    if "date" in src.columns:
        checks.append(("date", "date IS NOT NULL AND TRY_CAST(date AS DATE) IS NULL", "CAST(date AS VARCHAR)",
                       lambda row, value: Problem(src, row, f"字段 {FIELD_NAMES['date']}的值 “{value}” 不是日期。"
                                                            "请写成 2023-07-19 这样的形式。")))
    if "month" in src.columns:
        checks.append(("month, date" if "date" in src.columns else "month", month_cond, "CAST(month AS VARCHAR)",
                       lambda row, value: Problem(src, row, _month_problem(value))))
    if "month" in src.columns and "date" in src.columns:     # a row counted in one month by month, another by date
        ms, ds = month_sql("month"), "TRY_CAST(date AS DATE)"
        checks.append(("month, date", f"month IS NOT NULL AND {ds} IS NOT NULL AND regexp_full_match({ms}, {strict}) "
                       f"AND {ms} <> strftime({ds}, '%Y-%m')",
                       "CAST(month AS VARCHAR) || '\x1f' || CAST(date AS VARCHAR)",
                       lambda row, value: Problem(src, row, _month_date_problem(value))))
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


def _duplicate_tickets(con: duckdb.DuckDBPyConnection, sources: list[RawSource], every: bool = False) -> list[Problem]:
    """The same ticket (``ticket_id``) twice, in one ticket file or in two, would be counted twice: each later
    occurrence is a problem naming the first.  One GROUP BY of the ids (spillable), then only the repeated ones."""
    union = " UNION ALL ".join(f"SELECT {i} AS _src, _row, trim(CAST(ticket_id AS VARCHAR)) AS t FROM {s.name} "
                               "WHERE ticket_id IS NOT NULL AND trim(CAST(ticket_id AS VARCHAR)) <> ''"
                               for i, s in enumerate(sources))
    con.execute(f"CREATE OR REPLACE TEMP TABLE _tickets AS {union}")
    try:
        limit = "" if every else f" LIMIT {MAX_REPORTED + 1}"
        con.execute(f"CREATE OR REPLACE TEMP TABLE _twice AS SELECT t FROM _tickets GROUP BY t HAVING count(*) > 1{limit}")
        rows = con.execute("SELECT t, list([_src, _row] ORDER BY _src, _row) FROM _tickets WHERE t IN (SELECT t FROM _twice) "
                           "GROUP BY t ORDER BY min(_src), min(_row)").fetchall()
    finally:
        con.execute("DROP TABLE IF EXISTS _tickets")
        con.execute("DROP TABLE IF EXISTS _twice")
    problems = []
    for ticket, places in rows:
        (src0, row0), *later = places
        for src, row in later if every else later[:1]:
            first = f"第 {row0} 行" if src == src0 else sources[src0].where(row0)
            problems.append(Problem(sources[src], row, f"字段 ticket_id（工单编号）的值 “{ticket}” 与{first}相同："
                                                       "同一张工单出现两次，会被计算两次。请删去重复的行。"))
    problems.sort(key=lambda p: (p.source.name, p.row or 0))
    return problems
