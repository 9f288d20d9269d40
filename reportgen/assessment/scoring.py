"""Scores of the assessment: the composite (综合成绩) from the three rates, competition ranks and their changes,
and how many decimals the rates need for the composite check.  万人诉求比 and its ranks are ``reportgen.metrics``
(which also gives ``competition_ranks`` to every report kind: the one definition is here, below the metrics stage,
because the loaded ``Assessment`` ranks its units with it)."""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from dataclasses import dataclass
from decimal import ROUND_CEILING, Decimal
from typing import Protocol, TypeVar

from ..numbers import round_half_up

__all__ = ["Rates", "composite", "competition_ranks", "decimals_needed", "rank_change", "round_half_up"]

HUNDRED = Decimal(100)
K = TypeVar("K", bound=Hashable)


class _Triple(Protocol):
    """Anything with the three rates' fields (``Rates``, ``Weights``)."""

    @property
    def response(self) -> Decimal: ...
    @property
    def resolve(self) -> Decimal: ...
    @property
    def satisfaction(self) -> Decimal: ...


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


def decimals_needed(rates: _Triple, given: int, bonus: Decimal | None, weights: _Triple, printed: Decimal,
                    places: int = 2, most: int = 2) -> int | None:
    """The rates were rounded to ``given`` decimals and their composite is not the ``printed`` one: could the
    rounding explain it, and with how many decimals at least could it not?

    None when no rates that round to the given ones give the printed composite (the figures disagree, whatever the
    hidden digits).  Else the smallest number of decimals ``d`` (``given`` < d) for which rates of ``d`` decimals,
    each rounding half-up to the given one, give the printed composite: the data need at least that many.  Tried up
    to ``given + most`` decimals; beyond, ``given + most + 1`` (fewer are proven not to be enough)."""
    values = [rates.response, rates.resolve, rates.satisfaction]
    ws = [weights.response, weights.resolve, weights.satisfaction]
    b = bonus or Decimal(0)
    half = Decimal(1).scaleb(-given) / 2
    unit = Decimal(1).scaleb(-places)
    lo_p, hi_p = printed - unit / 2, printed + unit / 2          # the exact composites that print as ``printed``
    bounds = [(max(Decimal(0), v - half), min(HUNDRED, v + half)) for v in values]
    low = sum((w * lo for w, (lo, _) in zip(ws, bounds)), b)
    high = sum((w * hi for w, (_, hi) in zip(ws, bounds)), b)
    if high < lo_p or low >= hi_p:
        return None
    for d in range(given + 1, given + most + 1):
        step = Decimal(1).scaleb(-d)
        grids = [_grid(v, lo, hi, given, step) for v, (lo, hi) in zip(values, bounds)]
        *first, (w_last, last) = list(zip(ws, grids))
        sums = {b}
        for w, g in first:
            sums = {s + w * x for s in sums for x in g}
        if not last:
            continue
        for s in sums:
            if w_last == 0:
                if lo_p <= s < hi_p:
                    return d
                continue
            # the smallest grid value x with s + w·x >= lo_p, then whether it is still below hi_p
            x = max(last[0], ((lo_p - s) / w_last).quantize(step, rounding=ROUND_CEILING))
            if x <= last[-1] and s + w_last * x < hi_p:
                return d
    return given + most + 1


def _grid(v: Decimal, lo: Decimal, hi: Decimal, given: int, step: Decimal) -> list[Decimal]:
    """The values on the ``step`` grid that round half-up to ``v`` at ``given`` places, inside ``lo``–``hi``."""
    half = Decimal(1).scaleb(-given) / 2
    first = (v - half).quantize(step)
    n = int((2 * half) / step)
    return [x for x in (first + i * step for i in range(n + 1)) if lo <= x <= hi and round_half_up(x, given) == v]
