"""Periods: half-open time ranges that know how to name themselves and their comparisons."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from .errors import ConfigError


def _add_months(d: dt.date, n: int) -> dt.date:
    y, m = divmod(d.month - 1 + n, 12)
    return d.replace(year=d.year + y, month=m + 1)


@dataclass(frozen=True)
class Period:
    """``[start, end)`` plus its kind: 'year', 'month' or 'assessment' (19th → 19th)."""

    kind: str
    start: dt.date
    end: dt.date
    key: str

    # --- naming --------------------------------------------------------------------------
    @property
    def year(self) -> int:
        return (self.end - dt.timedelta(days=1)).year if not self.kind.startswith("assessment") else self.end.year

    @property
    def label(self) -> str:
        """'2023年', '2023年9月'."""
        if self.kind == "year":
            return f"{self.start.year}年"
        end = self.end if self.kind == "assessment" else self.start
        return f"{end.year}年{end.month}月"

    @property
    def range_text(self) -> str:
        """'2023年1月1日0时至2023年12月31日24时' (calendar) or '2023年8月19日0时至2023年9月19日0时'."""
        s = self.start
        if self.kind == "assessment":
            e = self.end
            return f"{s.year}年{s.month}月{s.day}日0时至{e.year}年{e.month}月{e.day}日0时"
        last = self.end - dt.timedelta(days=1)
        return f"{s.year}年{s.month}月{s.day}日0时至{last.year}年{last.month}月{last.day}日24时"

    @property
    def range_text_short(self) -> str:
        """As ``range_text`` without the end's year when it is the start's: '2020年1月1日0时至12月31日24时'."""
        full, year = self.range_text, f"{self.start.year}年"
        head, _, tail = full.partition("至")
        return f"{head}至{tail.removeprefix(year)}"

    @property
    def months(self) -> list[str]:
        """Months 'YYYY-MM' covered: calendar months, or the 考核期 named by their end month."""
        if self.kind in ("assessment", "assessment_year"):
            out: list[str] = []
            d = self.end.replace(day=1)
            while d > self.start:
                out.insert(0, f"{d.year:04d}-{d.month:02d}")
                d = _add_months(d, -1)
            return out
        out, d = [], self.start.replace(day=1)
        while d < self.end:
            out.append(f"{d.year:04d}-{d.month:02d}")
            d = _add_months(d, 1)
        return out

    # --- comparisons ---------------------------------------------------------------------
    def year_before(self) -> "Period":
        """同比: the same period one year earlier."""
        return Period(self.kind, self.start.replace(year=self.start.year - 1),
                      self.end.replace(year=self.end.year - 1), _shift_key(self.key, -1))

    def previous(self) -> "Period":
        """环比: the period just before."""
        if self.kind == "year":
            return self.year_before()
        start = _add_months(self.start, -1)
        return Period(self.kind, start, self.start, _month_key(_add_months(self.end, -1) if self.kind == "assessment"
                                                           else start, self.kind))


def _month_key(d: dt.date, kind: str) -> str:
    return f"{d.year:04d}-{d.month:02d}" + ("K" if kind == "assessment" else "")


def _shift_key(key: str, years: int) -> str:
    m = re.match(r"^(\d{4})(.*)$", key)
    assert m
    return f"{int(m.group(1)) + years}{m.group(2)}"


def parse_period(text: str, day: int) -> Period:
    """'2023' → calendar year; '2023-09' → calendar month; '2023-09K' → 考核期 2023-08-19 … 2023-09-19;
    '2023K' → the twelve 考核期 of 2023 (2022-12-19 … 2023-12-19).  ``day``: the 考核期 boundary (an assessment
    period runs from that day 0:00 of the previous month to that day 0:00, named by its end month) — the city's
    ``assessment_day`` in profile.yaml, the one definition that the tickets' buckets, the records' kmonth and the
    scheduler's period take too."""
    text = str(text).strip()
    if m := re.fullmatch(r"(\d{4})K", text):
        y = int(m.group(1))
        return Period("assessment_year", dt.date(y - 1, 12, day), dt.date(y, 12, day), text)
    if m := re.fullmatch(r"(\d{4})", text):
        y = int(m.group(1))
        return Period("year", dt.date(y, 1, 1), dt.date(y + 1, 1, 1), text)
    if m := re.fullmatch(r"(\d{4})-(\d{2})(K?)", text):
        y, mo = int(m.group(1)), int(m.group(2))
        if not 1 <= mo <= 12:
            raise ConfigError(f"配置错误：期间 “{text}” 的月份应在 01–12 之间。")
        if m.group(3):
            end = dt.date(y, mo, day)
            return Period("assessment", _add_months(end, -1), end, text)
        start = dt.date(y, mo, 1)
        return Period("month", start, _add_months(start, 1), text)
    raise ConfigError(f"配置错误：无法识别的期间 “{text}”。应为 2023（年度）、2023-09（自然月）或 2023-09K（考核期）。")
