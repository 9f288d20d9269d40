"""Assessment measures: the city's 考评 rates, composite scores, ranks and 万人诉求比.

The monthly district brief (考核期工作情况分析) rests on the city's assessment of every unit — town or
street (街乡镇), district department (部门, 一类 / 二类) and district — per table kind (直派; 转派+从办;
直派+转派+从办; 部门自办+从办).  These are not counts, so they are their own small tables keyed by
period and unit (DESIGN.md), read here with DuckDB and checked row by row.

Everything is exact: rates are percentages held as ``Decimal`` (never ``float``), the composite is
``0.1·响应率 + 0.5·解决率 + 0.4·满意率 + 加分项`` (weights from ``config/<city>/assessment.yaml``)
rounded half-up on the exact decimal, and ranks are competition ranks on the rounded composite
(ties share a rank, the next rank skips: 1, 1, 1, 4).
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Literal, Protocol, TypeVar

import duckdb
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from .config.load import PROJECT_ROOT, load_model
from .errors import DataError
from .numbers import round_half_up
from .sources import register_source

K = TypeVar("K", bound=Hashable)

HUNDRED = Decimal(100)
TABLE_KINDS = ("直派", "转派+从办", "直派+转派+从办", "部门自办+从办")
UNIT_TYPES = ("街乡镇", "部门")
DEPT_CLASSES = ("一类部门", "二类部门")
MAX_REPORTED = 20


# --- configuration ------------------------------------------------------------------------

class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _exact(value: object) -> object:
    """YAML numbers arrive as floats; take their shortest decimal text (0.1 → Decimal('0.1'))."""
    return str(value) if isinstance(value, float) else value


class Weights(_Strict):
    """综合成绩的权重：响应率、解决率、满意率（合计为 1）。"""

    response: Decimal = Field(ge=0, le=1, description="响应率的权重")
    resolve: Decimal = Field(ge=0, le=1, description="解决率的权重")
    satisfaction: Decimal = Field(ge=0, le=1, description="满意率的权重")

    @field_validator("response", "resolve", "satisfaction", mode="before")
    @classmethod
    def _decimal(cls, v: object) -> object:
        return _exact(v)

    @model_validator(mode="after")
    def _sum_to_one(self) -> "Weights":
        total = self.response + self.resolve + self.satisfaction
        if total != 1:
            raise ValueError(f"三个权重之和应为 1，实际为 {total}")
        return self


class Per10kSpec(_Strict):
    """万人诉求比：小数位、排名方向、环比变化的算法。"""

    places: int = Field(2, ge=0, le=4)
    rank: Literal["ascending", "descending"] = Field(
        "ascending", description="ascending：比值越低排名越前；descending：比值越高排名越前")
    change: Literal["rounded", "exact"] = Field(
        "rounded", description="rounded：两期印出的比值相减；exact：精确比值相减后再四舍五入")


class TableKind(_Strict):
    key: str = Field(pattern=r"^[a-z_]+$", description="英文键，用于列名（如 districts 表的 composite_direct）")
    unit_type: Literal["街乡镇", "部门"]
    caption: str = Field(description="表题")
    note: str = Field(description="表注（Jinja2 模板）")


class AssessmentConfig(_Strict):
    """``config/<city>/assessment.yaml``."""

    weights: Weights
    composite_places: int = Field(2, ge=0, le=4)
    rate_places: int = Field(2, ge=0, le=4)
    per_10k: Per10kSpec = Per10kSpec()
    tables: dict[str, TableKind]
    dept_classes: list[str] = list(DEPT_CLASSES)

    @field_validator("tables")
    @classmethod
    def _known_tables(cls, v: dict[str, TableKind]) -> dict[str, TableKind]:
        unknown = [k for k in v if k not in TABLE_KINDS]
        if unknown:
            raise ValueError(f"未知的表种 {'、'.join(unknown)}；应为：{'、'.join(TABLE_KINDS)}")
        keys = [t.key for t in v.values()]
        if len(set(keys)) != len(keys):
            raise ValueError("各表种的 key 不能重复")
        return v

    def table_by_key(self, key: str) -> str:
        return next(name for name, t in self.tables.items() if t.key == key)


def load_assessment_config(path: Path | None = None) -> AssessmentConfig:
    """Load and validate ``assessment.yaml`` (default: the Beijing profile's); Chinese errors."""
    path = path or PROJECT_ROOT / "config" / "beijing" / "assessment.yaml"
    return load_model(path, AssessmentConfig)[0]


# --- pure functions -----------------------------------------------------------------------

class _Triple(Protocol):
    response: Decimal
    resolve: Decimal
    satisfaction: Decimal


@dataclass(frozen=True)
class Rates:
    """响应率、解决率、满意率, as percentages (``Decimal('98.3051')`` is 98.3051%)."""

    response: Decimal
    resolve: Decimal
    satisfaction: Decimal


def composite(rates: _Triple, bonus: Decimal | None, weights: _Triple, places: int = 2) -> Decimal:
    """综合成绩: the weighted rates plus 加分项, rounded half-up to ``places`` on the exact decimal."""
    exact = (weights.response * rates.response + weights.resolve * rates.resolve
             + weights.satisfaction * rates.satisfaction + (bonus or Decimal(0)))
    return round_half_up(exact, places)


def competition_ranks(scores: Mapping[K, Decimal], descending: bool = True) -> dict[K, int]:
    """Competition ranks ("1224"): equal scores share a rank and the next rank skips (1, 1, 1, 4).

    The rank of a unit is 1 + the number of units with a strictly better score.
    """
    ordered = sorted(scores.values(), reverse=descending)
    first: dict[Decimal, int] = {}
    for i, value in enumerate(ordered, start=1):
        first.setdefault(value, i)
    return {k: first[v] for k, v in scores.items()}


def rank_change(now: int | None, before: int | None) -> str:
    """环比变化 of a rank: '12↑' (the rank number fell by 12, i.e. improved), '44↓', '—' (unchanged),
    '新' (no rank last period).  A unit without a rank this period gets '' (nothing to print)."""
    if now is None:
        return ""
    if before is None:
        return "新"
    if now == before:
        return "—"
    return f"{before - now}↑" if now < before else f"{now - before}↓"


def per_10k(count: int, population_wan: Decimal | str) -> Decimal:
    """万人诉求比: 诉求量 ÷ 常住人口（万人）, the exact quotient (round it for printing)."""
    pop = Decimal(str(population_wan))
    if pop <= 0:
        raise ValueError(f"人口（万人）应大于 0，实际为 {population_wan}")
    return Decimal(int(count)) / pop


def per_10k_change(now: Decimal, before: Decimal, spec: Per10kSpec | None = None) -> Decimal:
    """环比变化 of 万人诉求比 (now − before, signed), rounded to ``spec.places``: by default the
    difference of the two printed figures, as the brief prints it (390.09 − 372.71 = 17.38)."""
    spec = spec or Per10kSpec()
    if spec.change == "rounded":
        return round_half_up(now, spec.places) - round_half_up(before, spec.places)
    return round_half_up(now - before, spec.places)


def per_10k_ranks(counts: Mapping[str, int], populations: Mapping[str, Decimal | str],
                  spec: Per10kSpec | None = None) -> dict[str, tuple[Decimal, int]]:
    """Every district's printed 万人诉求比 and its rank among the districts (direction from config)."""
    spec = spec or Per10kSpec()
    ratios = {d: round_half_up(per_10k(n, populations[d]), spec.places) for d, n in counts.items()}
    ranks = competition_ranks(ratios, descending=spec.rank == "descending")
    return {d: (ratios[d], ranks[d]) for d in counts}


def fmt_rate(value: Decimal, places: int = 2) -> str:
    """'100.00%' (table cells)."""
    return f"{round_half_up(value, places):.{places}f}%"


def fmt_score(value: Decimal, places: int = 2) -> str:
    """'98.30' (综合成绩 always with its two decimals)."""
    return f"{round_half_up(value, places):.{places}f}"


def fmt_bonus(value: Decimal | None) -> str:
    """'—' for no 加分项, else the value as given ('0.1')."""
    return "—" if value is None or value == 0 else f"{value.normalize():f}"


# --- typed rows ---------------------------------------------------------------------------

@dataclass(frozen=True)
class UnitScore:
    """One unit's assessment in one table kind and period."""

    period: str
    district: str
    unit: str
    unit_type: str
    dept_class: str | None
    table: str
    counted: int
    rates: Rates
    bonus: Decimal | None
    city_rank: int | None
    composite: Decimal
    source: str = field(default="", compare=False)
    row: int = field(default=0, compare=False)


@dataclass(frozen=True)
class OrderCounts:
    """工单 kinds of a district: 考核三率 = 双满 + 双否 + 单否 + 解决、基本满意."""

    rated: int
    both_satisfied: int
    both_failed: int
    both_failed_district_satisfied: int
    one_failed: int
    one_failed_district_satisfied: int
    resolved_basic_satisfied: int


@dataclass(frozen=True)
class DistrictScore:
    period: str
    district: str
    counted: int
    rates: Rates
    bonus: Decimal | None
    composite: Decimal
    city_rank: int | None
    orders: OrderCounts | None
    requests: int | None            # 受理诉求量（简报第一部分，环比句）
    per10k_requests: int | None     # 市级统计的诉求量，万人诉求比的分子
    table_composites: dict[str, Decimal] = field(default_factory=dict)   # 表种 → 本区该表种综合成绩
    source: str = field(default="", compare=False)
    row: int = field(default=0, compare=False)


@dataclass(frozen=True)
class CityAverages:
    period: str
    street_avg: Decimal
    dept_avg: Decimal
    street_count: int
    dept_count: int


@dataclass(frozen=True)
class Assessment:
    """The loaded tables (any number of periods) and the ranks computed over them."""

    config: AssessmentConfig
    units: tuple[UnitScore, ...]
    districts: tuple[DistrictScore, ...] = ()
    city: tuple[CityAverages, ...] = ()

    def table(self, period: str, district: str, table: str, dept_class: str | None = None) -> list[UnitScore]:
        """A district's units of one table kind, best first; ties by 纳入考评 (more first), then file order."""
        rows = [u for u in self.units if u.period == period and u.district == district and u.table == table
                and (dept_class is None or u.dept_class == dept_class)]
        return sorted(rows, key=lambda u: (-u.composite, -u.counted))

    def district_ranks(self, period: str, district: str, table: str,
                       dept_class: str | None = None) -> dict[str, int]:
        """Ranks inside the district (the tables' 排名 column); departments rank within their class."""
        return competition_ranks({u.unit: u.composite for u in self.table(period, district, table, dept_class)})

    def city_ranks(self, period: str, table: str, dept_class: str | None = None) -> dict[tuple[str, str], int]:
        """Ranks among all units of the kind in the city, keyed by (district, unit)."""
        return competition_ranks({(u.district, u.unit): u.composite for u in self.units
                                  if u.period == period and u.table == table
                                  and (dept_class is None or u.dept_class == dept_class)})

    def rank_changes(self, period: str, previous: str, table: str,
                     dept_class: str | None = None) -> dict[tuple[str, str], str]:
        now = self.city_ranks(period, table, dept_class)
        before = self.city_ranks(previous, table, dept_class)
        return {k: rank_change(r, before.get(k)) for k, r in now.items()}

    def district_score(self, period: str, district: str) -> DistrictScore:
        for d in self.districts:
            if d.period == period and d.district == district:
                return d
        raise KeyError(f"没有 {district} 在考核期 {period} 的区级考评数据")

    def city_averages(self, period: str) -> CityAverages:
        for c in self.city:
            if c.period == period:
                return c
        raise KeyError(f"没有考核期 {period} 的全市平均水平")

    def district_composite_ranks(self, period: str) -> dict[str, int]:
        return competition_ranks({d.district: d.composite for d in self.districts if d.period == period})


# --- loading ------------------------------------------------------------------------------

UNIT_FIELDS = {
    "period": "period（考核期）", "district": "district（区）", "unit": "unit（单位）",
    "unit_type": "unit_type（单位类型）", "dept_class": "dept_class（部门分类）", "table": "table（表种）",
    "counted": "counted（纳入考评数）", "response_rate": "response_rate（响应率）",
    "resolve_rate": "resolve_rate（解决率）", "satisfaction_rate": "satisfaction_rate（满意率）",
    "bonus": "bonus（加分项）", "city_rank": "city_rank（市级排名）",
}
ORDER_FIELDS = {
    "rated_orders": "rated_orders（考核三率工单数）", "both_satisfied": "both_satisfied（双满工单数）",
    "both_failed": "both_failed（双否工单数）",
    "both_failed_district_satisfied": "both_failed_district_satisfied（双否中区级“双满”工单数）",
    "one_failed": "one_failed（单否工单数）",
    "one_failed_district_satisfied": "one_failed_district_satisfied（单否中区级“双满”工单数）",
    "resolved_basic_satisfied": "resolved_basic_satisfied（解决、基本满意工单数）",
}
DISTRICT_FIELDS = {
    "period": "period（考核期）", "district": "district（区）", "counted": "counted（纳入考评数）",
    "response_rate": "response_rate（响应率）", "resolve_rate": "resolve_rate（解决率）",
    "satisfaction_rate": "satisfaction_rate（满意率）", "bonus": "bonus（加分项）",
    "composite": "composite（综合成绩）", "city_rank": "city_rank（市级排名）", **ORDER_FIELDS,
    "requests": "requests（受理诉求量）", "per10k_requests": "per10k_requests（万人诉求比的诉求量）",
    "composite_direct": "composite_direct（镇街直派综合成绩）",
    "composite_transfer": "composite_transfer（镇街转派+从办综合成绩）",
    "composite_street_all": "composite_street_all（镇街直派+转派+从办综合成绩）",
    "composite_dept": "composite_dept（部门自办+从办综合成绩）",
}
CITY_FIELDS = {
    "period": "period（考核期）", "street_avg": "street_avg（全市街乡镇平均综合成绩）",
    "dept_avg": "dept_avg（全市部门平均综合成绩）", "street_count": "street_count（参与排名的街乡镇数）",
    "dept_count": "dept_count（参与排名的部门数）",
}
UNIT_REQUIRED = ("period", "district", "unit", "unit_type", "table", "counted",
                 "response_rate", "resolve_rate", "satisfaction_rate")
DISTRICT_REQUIRED = ("period", "district", "counted", "response_rate", "resolve_rate", "satisfaction_rate",
                     "composite")
CITY_REQUIRED = tuple(CITY_FIELDS)
RATES = ("response_rate", "resolve_rate", "satisfaction_rate")
PERIOD_RE = r"^\d{4}-(0[1-9]|1[0-2])K$"


class _Rows:
    """One source file as text cells, with the analyst's row numbers, and its problems."""

    def __init__(self, con: duckdb.DuckDBPyConnection, name: str, path: Path, fields: dict[str, str],
                 required: tuple[str, ...], problems: list[str]) -> None:
        self.src = register_source(con, name, Path(path))
        self.fields = fields
        self.problems = problems
        missing = [fields[c] for c in required if c not in self.src.columns]
        self.rows: list[dict[str, str | None]] = []
        if missing:
            problems.append(f"数据错误：{self.src.where(None)}，缺少必需的列：{'、'.join(missing)}。"
                            f"现有的列：{'、'.join(self.src.columns)}。")
            return
        present = [c for c in fields if c in self.src.columns]
        cols = ", ".join(f'CAST("{c}" AS VARCHAR) AS "{c}"' for c in present)
        cur = con.execute(f"SELECT _row, {cols} FROM {name} ORDER BY _row")
        for rec in cur.fetchall():
            row = {"_row": rec[0], **{c: _cell(v) for c, v in zip(present, rec[1:])}}
            self.rows.append(row)

    def problem(self, row: dict, column: str | None, text: str) -> None:
        where = self.src.where(row["_row"])
        head = f"字段 {self.fields[column]}的值 “{row.get(column) or ''}” " if column else ""
        self.problems.append(f"数据错误：{where}，{head}{text}")

    # --- cells ------------------------------------------------------------------------------
    def text(self, row: dict, column: str, required: bool = True, allowed: Sequence[str] | None = None,
             pattern: str | None = None, hint: str = "") -> str | None:
        value = row.get(column)
        if value is None:
            if required:
                self.problems.append(f"数据错误：{self.src.where(row['_row'])}，字段 {self.fields[column]}为空。{hint}")
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
                self.problems.append(f"数据错误：{self.src.where(row['_row'])}，字段 {self.fields[column]}为空。"
                                     "请填写整数。")
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
                self.problems.append(f"数据错误：{self.src.where(row['_row'])}，字段 {self.fields[column]}为空。")
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
            self.problems.append(f"数据错误：{self.src.where(row['_row'])}，字段 {self.fields[column]}为空。"
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
                    known_districts: Iterable[str] | None = None) -> Assessment:
    """Read the assessment tables (CSV, Parquet or XLSX; one or more files each) with DuckDB and check
    every row.  All problems are collected and raised at once as a ``DataError`` whose lines name the
    file, the row as the analyst sees it, the field and the value (Chinese).

    ``period`` (e.g. '2023-09K'): every row must belong to it.  ``known_districts``: the city's
    districts (profile.yaml); a row naming another district is an error.
    """
    config = config or load_assessment_config()
    known = list(known_districts) if known_districts is not None else None
    con = duckdb.connect()
    problems: list[str] = []
    unit_rows: list[UnitScore] = []
    district_rows: list[DistrictScore] = []
    city_rows: list[CityAverages] = []

    def common(src: _Rows, row: dict) -> tuple[str | None, str | None]:
        p = src.text(row, "period", pattern=PERIOD_RE, hint="不是考核期。请写成 2023-09K 这样的形式（以结束月命名）。")
        if p is not None and period is not None and p != period:
            src.problem(row, "period", f"与要读取的考核期 {period} 不符。")
            p = None
        d = src.text(row, "district")
        if d is not None and known is not None and d not in known:
            guess = difflib.get_close_matches(d, known, n=1, cutoff=0.4)
            src.problem(row, "district", "不是已知的区。" + (f"相近的名称：{guess[0]}。" if guess else ""))
            d = None
        return p, d

    for i, path in enumerate(_as_list(units)):
        src = _Rows(con, f"asm_units_{i}", path, UNIT_FIELDS, UNIT_REQUIRED, problems)
        seen: dict[tuple, int] = {}
        for row in src.rows:
            before = len(problems)
            p, d = common(src, row)
            unit = src.text(row, "unit")
            utype = src.text(row, "unit_type", allowed=UNIT_TYPES)
            table = src.text(row, "table", allowed=list(config.tables))
            dclass = src.text(row, "dept_class", required=False, allowed=config.dept_classes)
            if utype is not None and table is not None and config.tables[table].unit_type != utype:
                src.problem(row, "table", f"只用于{config.tables[table].unit_type}，而本行 "
                                          f"{UNIT_FIELDS['unit_type']}为 “{utype}”。")
            if utype == "部门" and row.get("dept_class") is None:
                src.problems.append(f"数据错误：{src.src.where(row['_row'])}，字段 {UNIT_FIELDS['dept_class']}为空。"
                                    f"部门应注明分类：{'、'.join(config.dept_classes)}。")
            if utype == "街乡镇" and row.get("dept_class") is not None:
                src.problem(row, "dept_class", "只用于部门，街乡镇此项应为空。")
            counted = src.integer(row, "counted")
            rates = [src.rate(row, c) for c in RATES]
            bonus = src.decimal(row, "bonus", required=False)
            if bonus is not None and bonus < 0:
                src.problem(row, "bonus", "是负数。加分项应不小于 0。")
            rank = src.integer(row, "city_rank", required=False, positive=True)
            key = (p, d, unit, table)
            if None not in key:
                if key in seen:
                    src.problems.append(f"数据错误：{src.src.where(row['_row'])}，与第 {seen[key]} 行重复"
                                        f"（同一考核期、区、单位、表种只能有一行）：{d} {unit}（{table}）。")
                seen.setdefault(key, row["_row"])
            if len(problems) > before:
                continue
            r = Rates(*rates)  # type: ignore[arg-type]
            unit_rows.append(UnitScore(
                p, d, unit, utype, dclass, table, counted, r, bonus, rank,  # type: ignore[arg-type]
                composite(r, bonus, config.weights, config.composite_places), src.src.shown, row["_row"]))

    for i, path in enumerate(_as_list(districts)):
        src = _Rows(con, f"asm_districts_{i}", path, DISTRICT_FIELDS, DISTRICT_REQUIRED, problems)
        seen = {}
        for row in src.rows:
            before = len(problems)
            p, d = common(src, row)
            counted = src.integer(row, "counted")
            rates = [src.rate(row, c) for c in RATES]
            bonus = src.decimal(row, "bonus", required=False)
            printed = src.score(row, "composite")
            rank = src.integer(row, "city_rank", required=False, positive=True)
            counts = {c: src.integer(row, c, required=False) for c in ORDER_FIELDS}
            requests = src.integer(row, "requests", required=False)
            per10k_requests = src.integer(row, "per10k_requests", required=False)
            per_table = {name: src.score(row, f"composite_{t.key}", required=False)
                         for name, t in config.tables.items()}
            if (p, d) in seen and None not in (p, d):
                src.problems.append(f"数据错误：{src.src.where(row['_row'])}，与第 {seen[(p, d)]} 行重复"
                                    f"（同一考核期、区只能有一行）：{d}。")
            seen.setdefault((p, d), row["_row"])
            if len(problems) > before:
                continue
            r = Rates(*rates)  # type: ignore[arg-type]
            computed = composite(r, bonus, config.weights, config.composite_places)
            if printed is not None and printed != computed:
                w = config.weights
                src.problem(row, "composite", f"与按权重计算的 {computed}（{w.response}×响应率＋{w.resolve}×解决率＋"
                                              f"{w.satisfaction}×满意率＋加分项）不符。")
            orders = None
            if any(v is not None for v in counts.values()):
                orders = _order_counts(src, row, counts)
            if len(problems) > before:
                continue
            district_rows.append(DistrictScore(
                p, d, counted, r, bonus, computed, rank, orders, requests, per10k_requests,  # type: ignore[arg-type]
                {k: v for k, v in per_table.items() if v is not None}, src.src.shown, row["_row"]))

    for i, path in enumerate(_as_list(city)):
        src = _Rows(con, f"asm_city_{i}", path, CITY_FIELDS, CITY_REQUIRED, problems)
        for row in src.rows:
            before = len(problems)
            p = src.text(row, "period", pattern=PERIOD_RE, hint="不是考核期。请写成 2023-09K 这样的形式（以结束月命名）。")
            vals = (src.score(row, "street_avg"), src.score(row, "dept_avg"),
                    src.integer(row, "street_count", positive=True), src.integer(row, "dept_count", positive=True))
            if len(problems) == before:
                city_rows.append(CityAverages(p, *vals))  # type: ignore[arg-type]

    con.close()
    if problems:
        lines = problems[:MAX_REPORTED]
        if len(problems) > MAX_REPORTED:
            lines.append(f"……另有 {len(problems) - MAX_REPORTED} 处问题未列出。")
        raise DataError(lines[0], lines)
    return Assessment(config, tuple(unit_rows), tuple(district_rows), tuple(city_rows))


def _order_counts(src: _Rows, row: dict, counts: dict[str, int | None]) -> OrderCounts | None:
    missing = [ORDER_FIELDS[c] for c, v in counts.items() if v is None]
    if missing:
        src.problems.append(f"数据错误：{src.src.where(row['_row'])}，工单分类数不全：缺少 {'、'.join(missing)}。")
        return None
    c = {k: int(v) for k, v in counts.items()}  # type: ignore[arg-type]
    parts = c["both_satisfied"] + c["both_failed"] + c["one_failed"] + c["resolved_basic_satisfied"]
    if parts != c["rated_orders"]:
        src.problem(row, "rated_orders", f"不等于双满、双否、单否、解决基本满意工单数之和 {parts}。")
    for sub, parent in (("both_failed_district_satisfied", "both_failed"),
                        ("one_failed_district_satisfied", "one_failed")):
        if c[sub] > c[parent]:
            src.problem(row, sub, f"大于 {ORDER_FIELDS[parent]}的 {c[parent]}（“含”的部分不能多于总数）。")
    return OrderCounts(c["rated_orders"], c["both_satisfied"], c["both_failed"], c["both_failed_district_satisfied"],
                       c["one_failed"], c["one_failed_district_satisfied"], c["resolved_basic_satisfied"])


def period_files(folder: Path | str, period: str) -> tuple[Path, Path, Path]:
    """``units-<period>``, ``districts-<period>``, ``city-<period>`` in ``folder`` (Parquet, else CSV)."""
    folder = Path(folder)

    def pick(stem: str) -> Path:
        for ext in (".parquet", ".csv", ".xlsx"):
            if (folder / f"{stem}-{period}{ext}").is_file():
                return folder / f"{stem}-{period}{ext}"
        return folder / f"{stem}-{period}.parquet"   # missing: register_source says so in Chinese

    return pick("units"), pick("districts"), pick("city")


def load_periods(folder: Path | str, periods: Sequence[str], *, config: AssessmentConfig | None = None,
                 known_districts: Iterable[str] | None = None) -> Assessment:
    """The three tables of each period in ``folder`` (e.g. the brief's period and the one before it)."""
    files = [period_files(folder, p) for p in periods]
    return load_assessment([f[0] for f in files], [f[1] for f in files], [f[2] for f in files],
                           config=config, known_districts=known_districts)
