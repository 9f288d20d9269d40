"""Reading the assessment tables through the input layer (``sources.register_source``), checked row by row.

The three tables (units, districts, city) are read like the records: CSV (UTF-8, BOM, GBK/GB18030), XLSX (the sheet
that names the columns, title rows above the header, percent-formatted cells as the percentages they stand for)
and Parquet, each once into a DuckDB table.  Their columns, Chinese headers and types are declared in
``assessment.yaml`` (``inputs``); every problem is a Chinese line naming the file, the sheet and row as Excel shows
them, the field, the value and the fix, all raised at once.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Sequence
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import duckdb

from ..errors import DataError
from ..sources import Reject, register_source
from .models import UNIT_TYPES, AssessmentConfig, ColumnSpec, load_assessment_config
from .scoring import Rates, composite, decimals_needed
from .tables import Assessment, CityAverages, DistrictScore, OrderCounts, UnitScore

HUNDRED = Decimal(100)
MAX_REPORTED = 20
RATES = ("response_rate", "resolve_rate", "satisfaction_rate")
ORDERS = ("rated_orders", "both_satisfied", "both_failed", "both_failed_district_satisfied", "one_failed",
          "one_failed_district_satisfied", "resolved_basic_satisfied")
PERIOD_RE = r"^\d{4}-(0[1-9]|1[0-2])K$"
PERIOD_HINT = "不是考核期。请写成 2023-09K 这样的形式（以结束月命名）。"


class _Rows:
    """One source file as text cells, with the analyst's row numbers, and its problems."""

    def __init__(self, con: duckdb.DuckDBPyConnection, name: str, path: Path, columns: dict[str, ColumnSpec],
                 problems: list[str]) -> None:
        self.columns = columns
        self.fields = {k: f"{k}（{c.name}）" for k, c in columns.items()}
        aliases = {h: k for k, c in columns.items() for h in (c.name, *c.aliases)}
        self.src = register_source(con, name, Path(path), aliases=aliases, find_header=True, percent_cells=True)
        self.problems = problems
        self.rows: list[dict[str, Any]] = []     # column → text or None, and _row
        absent = [c for c, spec in columns.items() if spec.required and c not in self.src.columns]
        if absent:
            if not any(c in columns for c in self.src.columns):   # not this table: nothing of the file is echoed
                problems.append(f"数据错误：{self.src.where(None)}，缺少必需的列：{'、'.join(self.fields[c] for c in absent)}。"
                                "它的第一行没有一个该表的列名（不像是这张考评表）：请检查文件是否放错。")
                return
            extra = [c for c in self.src.columns if c not in columns]
            hints = []
            for c in absent:
                guess = difflib.get_close_matches(columns[c].name, extra, n=1, cutoff=0.5) or \
                    difflib.get_close_matches(c, extra, n=1, cutoff=0.5)
                hints.append(self.fields[c] + (f"（是否是 “{guess[0]}”？）" if guess else ""))
            problems.append(f"数据错误：{self.src.where(None)}，缺少必需的列：{'、'.join(hints)}。"
                            f"现有的列：{'、'.join(self.src.columns)}。")
            return
        present = [c for c in columns if c in self.src.columns]
        cols = ", ".join(f'CAST("{c}" AS VARCHAR) AS "{c}"' for c in present)
        cur = con.execute(f"SELECT _row, {cols} FROM {self.src.name} ORDER BY _row")
        for rec in cur.fetchall():
            row = {"_row": rec[0], **{c: _cell(v) for c, v in zip(present, rec[1:])}}
            self.rows.append(row)
        if not self.rows:       # a template made by reportgen init, not filled in yet
            problems.append(f"数据错误：{self.src.where(None)}，只有表头，没有数据行。请自表头下一行起填入本期的考评数据。")

    def where(self, row: dict) -> str:
        return self.src.where(row["_row"])

    def problem(self, row: dict, column: str | None, text: str) -> None:
        head = f"字段 {self.fields[column]}的值 “{row.get(column) or ''}” " if column else ""
        self.problems.append(f"数据错误：{self.where(row)}，{head}{text}")

    def cell(self, row: dict, column: str, allowed: Sequence[str] | None = None) -> Any:
        """The cell read as its column's declared type (assessment.yaml ``inputs``); None and a problem when bad."""
        spec = self.columns[column]
        if spec.type == "period":
            return self.text(row, column, spec.required, pattern=PERIOD_RE, hint=PERIOD_HINT)
        if spec.type == "text":
            return self.text(row, column, spec.required, allowed=allowed if allowed is not None else spec.values)
        if spec.type in ("integer", "positive"):
            return self.integer(row, column, spec.required, positive=spec.type == "positive")
        if spec.type == "rate":
            return self.rate(row, column)
        if spec.type == "number":
            return self.decimal(row, column, spec.required)
        return self.score(row, column, spec.required)

    # --- cells ------------------------------------------------------------------------------
    def text(self, row: dict, column: str, required: bool = True, allowed: Sequence[str] | None = None,
             pattern: str | None = None, hint: str = "") -> str | None:
        value = row.get(column)
        if value is None:
            if required:
                self.problems.append(f"数据错误：{self.where(row)}，字段 {self.fields[column]}为空。{hint}")
            return None
        if allowed is not None and value not in allowed:
            self.problem(row, column, f"不在允许的取值中。应为：{'、'.join(allowed)}。")
            return None
        if pattern is not None and not re.match(pattern, value):
            self.problem(row, column, hint)
            return None
        return value

    def integer(self, row: dict, column: str, required: bool = True, positive: bool = False) -> int | None:
        value = row.get(column)
        if value is None:
            if required:
                self.problems.append(f"数据错误：{self.where(row)}，字段 {self.fields[column]}为空。请填写整数。")
            return None
        try:
            number = Decimal(value)
        except InvalidOperation:
            number = None
        if number is None or number != number.to_integral_value() or number < (1 if positive else 0):
            self.problem(row, column, "不是正整数。请填写 1 以上的整数，没有排名则留空。" if positive
                         else "不是非负整数。请填写整数件数。")
            return None
        return int(number)

    def decimal(self, row: dict, column: str, required: bool = True) -> Decimal | None:
        value = row.get(column)
        if value is None:
            if required:
                self.problems.append(f"数据错误：{self.where(row)}，字段 {self.fields[column]}为空。")
            return None
        try:
            number = Decimal(value.rstrip("%").strip())
        except InvalidOperation:
            self.problem(row, column, "不是数字。")
            return None
        if not number.is_finite():
            self.problem(row, column, "不是数字。")
            return None
        return number

    def rate(self, row: dict, column: str) -> Decimal | None:
        value = row.get(column)
        if value is None:
            self.problems.append(f"数据错误：{self.where(row)}，字段 {self.fields[column]}为空。"
                                 "比率以百分数填写，如 95.00。")
            return None
        try:
            number = Decimal(value.rstrip("%").strip())
            if not number.is_finite():
                raise InvalidOperation
        except InvalidOperation:
            self.problem(row, column, "不是数字。比率以百分数填写，如 95.00（可带 %）。")
            return None
        if number < 0:
            self.problem(row, column, "是负数。比率应在 0 到 100 之间。")
            return None
        if number > HUNDRED:
            self.problem(row, column, "超过 100。比率以百分数填写，不能大于 100.00。")
            return None
        if 0 < number <= 1 and not value.endswith("%"):
            shown = f"{number * HUNDRED:.2f}"
            self.problem(row, column, f"像是写成了小数（{value} 即 {shown}%）。比率以百分数填写，应为 {shown}。")
            return None
        return number

    def score(self, row: dict, column: str, required: bool = True) -> Decimal | None:
        number = self.decimal(row, column, required)
        if number is not None and not (0 <= number <= 200):
            self.problem(row, column, "不在 0 到 200 之间，不像综合成绩。")
            return None
        return number

    def decimals(self, columns: Iterable[str]) -> int:
        """How many decimals the file gives these (number) columns: the most any of its cells has, trailing zeros
        not counted (a Parquet decimal(7,4) holding 95.5100 gives two)."""
        most = 0
        for row in self.rows:
            for c in columns:
                value = row.get(c)
                try:
                    exp = Decimal((value or "").rstrip("%").strip()).normalize().as_tuple().exponent
                except InvalidOperation:
                    continue
                if isinstance(exp, int):
                    most = max(most, -exp)
        return most


def _cell(value: object) -> str | None:
    """A cell as text; empty cells and the tables' dash for “none” (—) are None."""
    if value is None:
        return None
    text = str(value).strip()
    return None if text in ("", "—", "-", "－", "–") else text


def _as_list(paths: Path | str | Sequence[Path | str] | None) -> list[Path]:
    if paths is None:
        return []
    if isinstance(paths, (str, Path)):
        return [Path(paths)]
    return [Path(p) for p in paths]


def load_assessment(units: Path | str | Sequence[Path | str],
                    districts: Path | str | Sequence[Path | str] | None = None,
                    city: Path | str | Sequence[Path | str] | None = None, *,
                    config: AssessmentConfig | None = None, period: str | None = None,
                    known_districts: Iterable[str] | None = None, skip_bad: bool = False) -> Assessment:
    """Read the assessment tables (CSV, Parquet or XLSX; one or more files each) through the input layer and check
    every row.  All problems are collected and raised at once as a ``DataError`` whose lines name the file, the row
    as the analyst sees it, the field and the value (Chinese).

    ``config``: the city's assessment.yaml (default: that of the default city folder).  ``period`` (e.g.
    '2023-09K'): every row must belong to it.  ``known_districts``: the city's districts (profile.yaml); a row naming
    another district is an error.  ``skip_bad`` (period file: ``bad_rows: skip``): a row with problems is left out
    and kept, with its reasons, in ``Assessment.rejects`` (a file's problems — a missing column — still refuse).
    """
    config = config or load_assessment_config()
    known = list(known_districts) if known_districts is not None else None
    con = duckdb.connect()
    problems: list[str] = []
    unit_rows: list[UnitScore] = []
    district_rows: list[DistrictScore] = []
    city_rows: list[CityAverages] = []
    rejects: list[Reject] = []

    def clean(src: _Rows, row: dict, before: int) -> bool:
        """True when the row added no problem; with ``skip_bad`` a bad row's problems become its reject."""
        if len(problems) == before:
            return True
        if skip_bad:
            head = f"数据错误：{src.where(row)}，"
            reason = "；".join(p.removeprefix(head).rstrip("。") for p in problems[before:]) + "。"
            rejects.append(Reject(src.src.shown, row["_row"], reason, {k: v for k, v in row.items() if k != "_row"}))
            del problems[before:]
        return False

    def common(src: _Rows, row: dict) -> tuple[str | None, str | None]:
        p = src.cell(row, "period")
        if p is not None and period is not None and p != period:
            src.problem(row, "period", f"与要读取的考核期 {period} 不符。")
            p = None
        d = src.cell(row, "district")
        if d is not None and known is not None and d not in known:
            guess = difflib.get_close_matches(d, known, n=1, cutoff=0.4)
            src.problem(row, "district", "不是已知的区。" + (f"相近的名称：{guess[0]}。" if guess else ""))
            d = None
        return p, d

    unit_columns = config.columns("units")
    unit_types = unit_columns["unit_type"].values or list(UNIT_TYPES)
    for i, path in enumerate(_as_list(units)):
        src = _Rows(con, f"asm_units_{i}", path, unit_columns, problems)
        seen: dict[tuple, int] = {}
        for row in src.rows:
            before = len(problems)
            p, d = common(src, row)
            unit = src.cell(row, "unit")
            utype = src.cell(row, "unit_type", allowed=unit_types)
            table = src.cell(row, "table", allowed=list(config.tables))
            dclass = src.cell(row, "dept_class", allowed=config.dept_classes)
            if utype is not None and table is not None and config.tables[table].unit_type != utype:
                src.problem(row, "table", f"只用于{config.tables[table].unit_type}，而本行 "
                                          f"{src.fields['unit_type']}为 “{utype}”。")
            if utype == "部门" and row.get("dept_class") is None:
                problems.append(f"数据错误：{src.where(row)}，字段 {src.fields['dept_class']}为空。"
                                f"部门应注明分类：{'、'.join(config.dept_classes)}。")
            if utype == "街乡镇" and row.get("dept_class") is not None:
                src.problem(row, "dept_class", "只用于部门，街乡镇此项应为空。")
            counted = src.cell(row, "counted")
            rates = [src.cell(row, c) for c in RATES]
            bonus = src.cell(row, "bonus")
            if bonus is not None and bonus < 0:
                src.problem(row, "bonus", "是负数。加分项应不小于 0。")
            rank = src.cell(row, "city_rank")
            key = (p, d, unit, table)
            if None not in key:
                if key in seen:
                    problems.append(f"数据错误：{src.where(row)}，与第 {seen[key]} 行重复"
                                    f"（同一考核期、区、单位、表种只能有一行）：{d} {unit}（{table}）。")
                seen.setdefault(key, row["_row"])
            if not clean(src, row, before):
                continue
            r = Rates(*rates)
            unit_rows.append(UnitScore(
                p, d, unit, utype, dclass, table, counted, r, bonus, rank,  # type: ignore[arg-type]
                composite(r, bonus, config.weights, config.composite_places), src.src.shown, row["_row"]))

    district_columns = config.columns("districts")
    for i, path in enumerate(_as_list(districts)):
        src = _Rows(con, f"asm_districts_{i}", path, district_columns, problems)
        given = src.decimals(RATES)
        seen = {}
        for row in src.rows:
            before = len(problems)
            p, d = common(src, row)
            counted = src.cell(row, "counted")
            rates = [src.cell(row, c) for c in RATES]
            bonus = src.cell(row, "bonus")
            printed = src.cell(row, "composite")
            rank = src.cell(row, "city_rank")
            counts = {c: src.cell(row, c) for c in ORDERS}
            requests = src.cell(row, "requests")
            per10k_requests = src.cell(row, "per10k_requests")
            per_table = {name: src.cell(row, f"composite_{t.key}") for name, t in config.tables.items()}
            if (p, d) in seen and None not in (p, d):
                problems.append(f"数据错误：{src.where(row)}，与第 {seen[(p, d)]} 行重复（同一考核期、区只能有一行）：{d}。")
            seen.setdefault((p, d), row["_row"])
            if not clean(src, row, before):
                continue
            r = Rates(*rates)
            computed = composite(r, bonus, config.weights, config.composite_places)
            if printed is not None and printed != computed:
                src.problem(row, "composite", _composite_problem(config, r, bonus, printed, computed, given))
            orders = None
            if any(v is not None for v in counts.values()):
                orders = _order_counts(src, row, counts)
            if not clean(src, row, before):
                continue
            district_rows.append(DistrictScore(
                p, d, counted, r, bonus, computed, rank, orders, requests, per10k_requests,  # type: ignore[arg-type]
                {k: v for k, v in per_table.items() if v is not None}, src.src.shown, row["_row"]))

    city_columns = config.columns("city")
    for i, path in enumerate(_as_list(city)):
        src = _Rows(con, f"asm_city_{i}", path, city_columns, problems)
        for row in src.rows:
            before = len(problems)
            p = src.cell(row, "period")
            vals = (src.cell(row, "street_avg"), src.cell(row, "dept_avg"),
                    src.cell(row, "street_count"), src.cell(row, "dept_count"))
            if clean(src, row, before):
                city_rows.append(CityAverages(p, *vals))  # type: ignore[arg-type]

    con.close()
    if problems:
        lines = problems[:MAX_REPORTED]
        if len(problems) > MAX_REPORTED:
            lines.append(f"……另有 {len(problems) - MAX_REPORTED} 处问题未列出。")
        raise DataError(lines[0], lines)
    return Assessment(config, tuple(unit_rows), tuple(district_rows), tuple(city_rows), tuple(rejects))


def _composite_problem(config: AssessmentConfig, rates: Rates, bonus: Decimal | None, printed: Decimal,
                       computed: Decimal, given: int) -> str:
    """The city's composite is not the one the rates give: a real disagreement, or rates rounded too coarsely
    (then how many decimals the rates need, computed from the figures)."""
    w = config.weights
    text = (f"与按权重计算的 {computed}（{w.response}×响应率＋{w.resolve}×解决率＋{w.satisfaction}×满意率＋加分项）"
            "不符")
    need = decimals_needed(rates, given, bonus, w, printed, config.composite_places)
    if need is None:
        return text + "。"
    return (text + f"：表中的响应率、解决率、满意率只保留了 {given} 位小数，而综合成绩是按未舍入的比率计算的，"
            f"{given} 位小数的比率算不出它。请提供至少保留 {need} 位小数的响应率、解决率、满意率"
            "（考评系统导出的原值；Excel 另存为 CSV 只保留单元格显示的位数，可直接使用 .xlsx 文件）。")


def _order_counts(src: _Rows, row: dict, counts: dict[str, int | None]) -> OrderCounts | None:
    missing = [src.fields[c] for c, v in counts.items() if v is None]
    if missing:
        src.problems.append(f"数据错误：{src.where(row)}，工单分类数不全：缺少 {'、'.join(missing)}。")
        return None
    c = {k: int(v) for k, v in counts.items()}  # type: ignore[arg-type]
    parts = c["both_satisfied"] + c["both_failed"] + c["one_failed"] + c["resolved_basic_satisfied"]
    if parts != c["rated_orders"]:
        src.problem(row, "rated_orders", f"不等于双满、双否、单否、解决基本满意工单数之和 {parts}。")
    for sub, parent in (("both_failed_district_satisfied", "both_failed"),
                        ("one_failed_district_satisfied", "one_failed")):
        if c[sub] > c[parent]:
            src.problem(row, sub, f"大于 {src.fields[parent]}的 {c[parent]}（“含”的部分不能多于总数）。")
    return OrderCounts(c["rated_orders"], c["both_satisfied"], c["both_failed"], c["both_failed_district_satisfied"],
                       c["one_failed"], c["one_failed_district_satisfied"], c["resolved_basic_satisfied"])


def period_files(folder: Path | str, period: str) -> tuple[Path, Path, Path]:
    """``units-<period>``, ``districts-<period>``, ``city-<period>`` in ``folder`` (Parquet, else CSV, else XLSX)."""
    folder = Path(folder)

    def pick(stem: str) -> Path:
        for ext in (".parquet", ".csv", ".xlsx"):
            if (folder / f"{stem}-{period}{ext}").is_file():
                return folder / f"{stem}-{period}{ext}"
        return folder / f"{stem}-{period}.parquet"   # missing: register_source says so in Chinese

    return pick("units"), pick("districts"), pick("city")


def load_periods(folder: Path | str, periods: Sequence[str], *, config: AssessmentConfig | None = None,
                 known_districts: Iterable[str] | None = None, skip_bad: bool = False) -> Assessment:
    """The three tables of each period in ``folder`` (e.g. the brief's period and the one before it)."""
    files = [period_files(folder, p) for p in periods]
    return load_assessment([f[0] for f in files], [f[1] for f in files], [f[2] for f in files],
                           config=config, known_districts=known_districts, skip_bad=skip_bad)
