"""The records contract (DESIGN.md): the columns, their Chinese names and aliases, the ENUM columns, the
names a city knows, and the problem and rejected-row types every check reports with."""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from ..periods import Period
from ..sources import RawSource, Reject  # noqa: F401  (Reject: re-exported)

if TYPE_CHECKING:      # pandas is imported where it is used (a brief never loads it)
    pass


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
# the largest count a row may hold: no hotline row is a billion tickets, and any sum of such rows stays exact
# (far inside 64 bits and inside the 2**53 a float carries exactly); larger is a mistyped cell (an id, an amount)
MAX_COUNT = 1_000_000_000
MAX_TOTAL = 2**53 - 1      # the largest sum of counts the report computes exactly
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


ENUMS = ("channel", "disposition", "category_l1", "category_l2", "district", "street", "handler_level", "handler",
         "topic", "tag")


def _month(d) -> str:
    return f"{d.year:04d}-{d.month:02d}"


def _month_end(period: Period) -> str:
    # half-open on months: a calendar period ending 2024-01-01 covers months < '2024-01'
    return _month(period.end)


def _sql_str(s: str) -> str:
    return s.replace("'", "''")


def month_sql(expr: str) -> str:
    """A month as analysts write it, as 'YYYY-MM': '2023-07', '2023年7月', '2023/7', '2023.07'."""
    v = f"trim(CAST({expr} AS VARCHAR))"
    return (f"CASE WHEN regexp_full_match({v}, '[0-9]{{4}}-[0-9]{{2}}') THEN {v} "     # the usual form, fast
            f"WHEN regexp_full_match({v}, '[0-9]{{4}}(年|/|\\.|-)[0-9]{{1,2}}月?') THEN "
            f"regexp_extract({v}, '^([0-9]{{4}})', 1) || '-' || lpad(regexp_extract({v}, '^[0-9]{{4}}[^0-9]([0-9]{{1,2}})', 1), 2, '0') "
            f"ELSE {v} END")


def count_sql(expr: str) -> str:
    """A count cell as an exact integer (HUGEINT: '12', '12.0', ' 007 '), NULL when it is not one: the text
    is cast directly, never through a float, so 9007199254740993 stays 9007199254740993."""
    return (f"TRY_CAST(regexp_replace(trim(CAST(\"{expr}\" AS VARCHAR)), '\\.0+$', '') AS HUGEINT)")
