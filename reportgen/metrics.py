"""Metrics: pure functions from the record store to exact figures (ints), no formatting."""

from __future__ import annotations

from dataclasses import dataclass

from .periods import Period
from .provenance import Count, Source
from .records import RecordStore


def _src(period: Period, where: dict | None, **more) -> Source:
    filters = {**(where or {}), **more}
    return Source("SUM(count)", tuple((k, list(v) if isinstance(v, (list, tuple)) else v)
                                      for k, v in filters.items()), period.key)


@dataclass(frozen=True)
class Ranked:
    name: str
    count: int


def ranked(store: RecordStore, period: Period, by: str, where: dict | None = None,
           exclude: tuple[str, ...] = ()) -> list[Ranked]:
    """Values of ``by`` ordered by their sum (descending; ties by name, so the order is stable)."""
    df = store.group(period, (by,), where)
    rows = [Ranked(str(r[by]), Count(r["count"], _src(period, where, **{by: str(r[by])})))
            for _, r in df.iterrows() if r[by] is not None and r[by] == r[by]]
    rows = [r for r in rows if r.name not in exclude]
    return sorted(rows, key=lambda r: (-r.count, r.name))


def split(store: RecordStore, period: Period, by: str, where: dict | None = None) -> dict[str, int]:
    df = store.group(period, (by,), where)
    return {str(r[by]): Count(r["count"], _src(period, where, **{by: str(r[by])})) for _, r in df.iterrows()}


def monthly(store: RecordStore, period: Period, by: str | None = None, where: dict | None = None,
            names: list[str] | None = None) -> dict[str, list[int]]:
    """12 (or n) monthly sums per value of ``by`` (all months present, zeros filled)."""
    months = period.months
    cols = ("month", by) if by else ("month",)
    df = store.group(period, cols, where)
    out: dict[str, list[int]] = {}
    keys = names if names is not None else sorted({str(v) for v in df[by]}) if by else ["全部"]
    for key in keys:
        out[key] = [Count(0, _src(period, where, month=m, **({by: key} if by else {}))) for m in months]
    for _, r in df.iterrows():
        key = str(r[by]) if by else "全部"
        if key in out and r["month"] in months:
            out[key][months.index(r["month"])] = Count(r["count"], _src(period, where, month=r["month"],
                                                                          **({by: key} if by else {})))
    return out


def cross(store: RecordStore, period: Period, row: str, col: str, where: dict | None = None) -> dict[str, dict[str, int]]:
    """{row value: {col value: count}}."""
    df = store.group(period, (row, col), where)
    out: dict[str, dict[str, int]] = {}
    for _, r in df.iterrows():
        if r[row] is None or r[col] is None or r[row] != r[row] or r[col] != r[col]:
            continue   # rows without that dimension (e.g. 直接答复 have no district)
        out.setdefault(str(r[row]), {})[str(r[col])] = Count(r["count"], _src(period, where, **{row: str(r[row]), col: str(r[col])}))
    return out
