"""The assessment as typed rows: each unit's and district's scores in a period, the city's averages, and the
loaded ``Assessment`` with its ranks (inside a district, in the city, their changes)."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from .models import AssessmentConfig
from .scoring import Rates, competition_ranks, rank_change


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
    rejects: tuple = ()          # rows left out (bad_rows: skip): sources.Reject

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


@dataclass(frozen=True)
class BriefData:
    """What a brief is built from: the assessment of its period and the one before, for one district."""

    assessment: Assessment
    district: str
    period: str          # '2023-09K'
    previous: str        # '2023-08K'
    source: str = ""     # the folder the tables came from (messages)
