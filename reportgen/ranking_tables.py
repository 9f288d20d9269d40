"""The year's ranking table (考核排名表, ``sources.rankings`` of the period file), read through the one input layer.

One row per assessed unit: ``period`` ('2020'), ``level`` (区 | 街乡镇 | 市属机构 | 国有企业), ``district`` (区 and 街乡镇
rows), ``unit``, ``score`` (the year's composite), ``months`` (months with scores), ``requests`` (诉求量).  Read with
:func:`reportgen.sources.register_source` like the records and the assessment tables: CSV (UTF-8, GBK), XLSX (title
rows, the sheet that names the columns) or Parquet, with English or Chinese headers (年度、层级、区、单位、综合成绩、
有考评成绩的月数、诉求量); every problem is a Chinese message naming the file, the row as Excel shows it, the field and
the value.  Ranks are computed by the report (reports/rankings.py), never read.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path

import duckdb

from .errors import DataError
from .sources import register_source

LEVELS = ("区", "街乡镇", "市属机构", "国有企业")
FIELDS = {"period": "period（年度）", "level": "level（层级）", "district": "district（区）", "unit": "unit（单位）",
          "score": "score（综合成绩）", "months": "months（有考评成绩的月数）", "requests": "requests（诉求量）"}


@dataclass(frozen=True)
class RankedUnit:
    level: str
    district: str | None
    unit: str
    score: Decimal | None
    months: int | None
    requests: int | None

    @property
    def full_name(self) -> str:
        """'门头沟区大台街道' for a street, the unit's name otherwise."""
        return f"{self.district or ''}{self.unit}" if self.level == "街乡镇" else self.unit


# Chinese headers: the names in FIELDS' brackets (年度、层级 …)
ALIASES = {text.split("（")[1].rstrip("）"): col for col, text in FIELDS.items()} | {"单位名称": "unit"}


def load_rankings(paths: list[Path], period: str) -> list[RankedUnit]:
    con = duckdb.connect()
    problems: list[str] = []
    out: list[RankedUnit] = []
    for i, path in enumerate(paths):
        src = register_source(con, f"rank_{i}", path, aliases=ALIASES, find_header=True)
        missing = [FIELDS[c] for c in ("period", "level", "unit") if c not in src.columns]
        if missing:
            problems.append(f"数据错误：{src.where(None)}，缺少必需的列：{'、'.join(missing)}。")
            continue
        cols = [c for c in FIELDS if c in src.columns]
        rows = con.execute(f"SELECT _row, {', '.join(f'CAST({c} AS VARCHAR)' for c in cols)} FROM {src.name} ORDER BY _row").fetchall()
        for rec in rows:
            r = dict(zip(["_row", *cols], rec))
            where = src.where(r["_row"])
            if (r.get("period") or "").strip() != period:
                continue
            level = (r.get("level") or "").strip()
            if level not in LEVELS:
                problems.append(f"数据错误：{where}，字段 {FIELDS['level']}的值 “{level}” 不在允许的取值中。应为：{'、'.join(LEVELS)}。")
                continue

            def number(col: str, kind, r=r, where=where):
                text = (r.get(col) or "").strip()
                if not text:
                    return None
                try:
                    value = Decimal(text)
                    if kind is int:
                        if value != value.to_integral_value() or value < 0:
                            raise InvalidOperation
                        return int(value)
                    return value
                except InvalidOperation:
                    problems.append(f"数据错误：{where}，字段 {FIELDS[col]}的值 “{text}” 不是{'非负整数' if kind is int else '数字'}。")
                    return None

            out.append(RankedUnit(level, (r.get("district") or None), (r.get("unit") or "").strip(),
                                  number("score", Decimal), number("months", int), number("requests", int)))
    con.close()
    if problems:
        raise DataError(problems[0], problems[:20])
    return out
