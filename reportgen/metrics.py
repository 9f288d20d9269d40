"""Metrics: pure functions from the checked tables to exact figures, no formatting.

Counts from the record store (ranked, split, monthly, cross), and the ranks and ratios every report kind shares:
competition ranks (1, 1, 1, 4; defined with the assessment's scores, which rank with them when loaded) and
万人诉求比 (requests per 10,000 residents) with its rank among the districts and its change.  Exact: ``Decimal`` and
``int``, never ``float``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING

from .assessment.models import Per10kSpec
from .assessment.scoring import competition_ranks
from .numbers import round_half_up
from .periods import Period
from .provenance import Count, Source

if TYPE_CHECKING:
    from .records import RecordStore

__all__ = ["Ranked", "competition_ranks", "cross", "monthly", "per_10k", "per_10k_change", "per_10k_ranks", "ranked",
           "split"]


# --- 万人诉求比 ---------------------------------------------------------------------------------

def per_10k(count: int, population_wan: Decimal | str) -> Decimal:
    """万人诉求比: 诉求量 ÷ 常住人口（万人）, the exact quotient (round it for printing)."""
    pop = Decimal(str(population_wan))
    if pop <= 0:
        raise ValueError(f"人口（万人）应大于 0，实际为 {population_wan}")
    return Decimal(int(count)) / pop


def per_10k_change(now: Decimal, before: Decimal, spec: Per10kSpec | None = None) -> Decimal:
    """环比变化 of 万人诉求比 (now − before, signed), rounded to ``spec.places``: by default (``change: rounded``)
    the difference of the two printed figures, as the brief prints it (390.09 − 372.71 = 17.38); ``exact`` rounds
    the exact difference."""
    spec = spec or Per10kSpec()
    if spec.change == "rounded":
        return round_half_up(now, spec.places) - round_half_up(before, spec.places)
    return round_half_up(now - before, spec.places)


def per_10k_ranks(counts: Mapping[str, int], populations: Mapping[str, Decimal | str],
                  spec: Per10kSpec | None = None) -> dict[str, tuple[Decimal, int]]:
    """Every district's printed 万人诉求比 (rounded half-up to ``spec.places``) and its competition rank among the
    districts on the printed figure (by default the lowest ratio is 1st; ``rank: descending`` the highest)."""
    spec = spec or Per10kSpec()
    ratios = {d: round_half_up(per_10k(n, populations[d]), spec.places) for d, n in counts.items()}
    ranks = competition_ranks(ratios, descending=spec.rank == "descending")
    return {d: (ratios[d], ranks[d]) for d in counts}


# --- counts from the record store -----------------------------------------------------------


def _src(store: RecordStore, period: Period, where: dict | None, **more) -> Source:
    """How a sum was computed: its filters and period, and the taxonomy changes that restated its records."""
    filters = {**(where or {}), **more}
    pairs = [(k, list(v) if isinstance(v, (list, tuple)) else v) for k, v in filters.items()]
    restated = store.restatement(period, filters)
    if restated:
        pairs.append(("restated", list(restated)))
    return Source("SUM(count)", tuple(pairs), period.key)


@dataclass(frozen=True)
class Ranked:
    name: str
    count: int


def ranked(store: RecordStore, period: Period, by: str, where: dict | None = None,
           exclude: tuple[str, ...] = ()) -> list[Ranked]:
    """Values of ``by`` ordered by their sum (descending; ties by name, so the order is stable)."""
    rows = [Ranked(str(r[by]), Count(r["count"], _src(store, period, where, **{by: str(r[by])})))
            for r in store.group(period, (by,), where) if r[by] is not None]
    rows = [r for r in rows if r.name not in exclude]
    return sorted(rows, key=lambda r: (-r.count, r.name))


def split(store: RecordStore, period: Period, by: str, where: dict | None = None) -> dict[str, int]:
    return {str(r[by]): Count(r["count"], _src(store, period, where, **{by: str(r[by])}))
            for r in store.group(period, (by,), where)}


def monthly(store: RecordStore, period: Period, by: str | None = None, where: dict | None = None,
            names: list[str] | None = None) -> dict[str, list[int]]:
    """12 (or n) monthly sums per value of ``by`` (all months present, zeros filled)."""
    months = period.months
    cols = ("month", by) if by else ("month",)
    rows = store.group(period, cols, where)
    out: dict[str, list[int]] = {}
    keys = names if names is not None else sorted({str(r[by]) for r in rows}) if by else ["全部"]
    for key in keys:
        out[key] = [Count(0, _src(store, period, where, month=m, **({by: key} if by else {}))) for m in months]
    for r in rows:
        key = str(r[by]) if by else "全部"
        if key in out and r["month"] in months:
            out[key][months.index(r["month"])] = Count(r["count"], _src(store, period, where, month=r["month"],
                                                                          **({by: key} if by else {})))
    return out


def cross(store: RecordStore, period: Period, row: str, col: str, where: dict | None = None) -> dict[str, dict[str, int]]:
    """{row value: {col value: count}}."""
    out: dict[str, dict[str, int]] = {}
    for r in store.group(period, (row, col), where):
        if r[row] is None or r[col] is None:
            continue   # rows without that dimension (e.g. 直接答复 have no district)
        out.setdefault(str(r[row]), {})[str(r[col])] = Count(r["count"], _src(store, period, where, **{row: str(r[row]), col: str(r[col])}))
    return out
