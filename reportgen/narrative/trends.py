"""Rules that describe monthly series (the words live in wording templates ``trend.*``).

Each series is classified by simple, documented rules on its exact monthly counts:

* ``rising``          ≥ 7 of the 11 steps go up, the last month ≥ 1.3 × the first, maximum in the last quarter
* ``two_peaks``       two local maxima ≥ 3 months apart, both ≥ 1.15 × the mean, a dip ≥ 15 % between them
* ``concentrated``    three consecutive months hold ≥ 40 % of the year
* ``peak_then_flat``  maximum before the last quarter; afterwards within ±15 % of their mean and ≤ 0.9 × peak
* ``peak_then_fall``  maximum before the last quarter; the last month ≤ 0.75 × peak
* ``flat``            (max − min) < 0.3 × mean
* ``fluctuating``     anything else
The first (largest) series is always described; the others only when notable (not flat or
fluctuating).  Series with the same clause and the same months are told together
('A和B问题反映量逐渐上升，在12月达到最高，分别为1.7万件、1.9万件').
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from ..numbers import Amount, Ratio

NOTABLE = ("rising", "two_peaks", "peak_then_flat", "peak_then_fall", "concentrated")


@dataclass(frozen=True)
class MonthValue:
    month: int
    amount: Amount

    @property
    def wan(self) -> str:
        return self.amount.wan

    @property
    def wan_short(self) -> str:
        return self.amount.wan_short


@dataclass(frozen=True)
class SeriesFacts:
    """A named monthly series with the facts analysts may cite: ``s['X'].peak.wan``, ``s['X'].m[7].wan``."""

    name: str
    values: tuple[int, ...]
    first_month: int = 1
    places: int = 1

    @property
    def m(self) -> dict[int, MonthValue]:
        return {self.first_month + i: MonthValue(self.first_month + i, Amount(v, self.places))
                for i, v in enumerate(self.values)}

    @property
    def peak(self) -> MonthValue:
        i = max(range(len(self.values)), key=lambda k: (self.values[k], -k))
        return MonthValue(self.first_month + i, Amount(self.values[i], self.places))

    @property
    def low(self) -> MonthValue:
        i = min(range(len(self.values)), key=lambda k: (self.values[k], k))
        return MonthValue(self.first_month + i, Amount(self.values[i], self.places))

    @property
    def total(self) -> Amount:
        return Amount(sum(self.values), self.places)

    def share(self, month: int, places: int = 2) -> Ratio:
        """A month's share of the series' year: ``s['房产中介'].share(11).pct`` → '25.00%'."""
        return Ratio(self.values[month - self.first_month], sum(self.values), places)


@dataclass
class TrendClause:
    kind: str
    names: list[str]
    months: list[int]
    values: list[MonthValue] = field(default_factory=list)


def classify(values: tuple[int, ...]) -> tuple[str, list[int]]:
    """(kind, months) of one series; months are 0-based indexes."""
    n = len(values)
    v = [Decimal(x) for x in values]
    mean = sum(v) / n if n else Decimal(0)
    if n < 4 or mean == 0:
        return "flat", []
    top = max(range(n), key=lambda k: (v[k], -k))
    ups = sum(1 for i in range(1, n) if v[i] > v[i - 1])
    if ups >= 7 and v[-1] >= v[0] * Decimal("1.3") and top >= n - 3:
        return "rising", [top]
    local = [i for i in range(n) if (i == 0 or v[i] > v[i - 1]) and (i == n - 1 or v[i] > v[i + 1])]
    local.sort(key=lambda k: (-v[k], k))
    if len(local) >= 2 and top in local[:2]:
        a, b = sorted(local[:2])
        dip = min(v[a:b + 1])
        if b - a >= 3 and min(v[a], v[b]) >= mean * Decimal("1.15") and dip <= min(v[a], v[b]) * Decimal("0.85"):
            return "two_peaks", [a, b]
    best = max(range(n - 2), key=lambda k: (sum(v[k:k + 3]), -k))
    if sum(v[best:best + 3]) >= sum(v) * Decimal("0.4"):
        return "concentrated", [best, best + 2]
    if top < n - 3:
        after = v[top + 1:]
        am = sum(after) / len(after)
        if all(abs(x - am) <= am * Decimal("0.15") for x in after) and max(after) <= v[top] * Decimal("0.9"):
            return "peak_then_flat", [top]
        if after[-1] <= v[top] * Decimal("0.75"):
            return "peak_then_fall", [top]
    if max(v) - min(v) < mean * Decimal("0.3"):
        return "flat", []
    return "fluctuating", []


def describe_trends(series: list[SeriesFacts], max_clauses: int = 3) -> list[TrendClause]:
    clauses: list[TrendClause] = []
    for rank, s in enumerate(series):
        kind, idx = classify(s.values)
        if rank > 0 and kind not in NOTABLE:
            continue
        months = [s.first_month + i for i in idx]
        values = [s.m[m] for m in months] if kind in ("rising", "two_peaks", "peak_then_flat", "peak_then_fall") else []
        for c in clauses:
            if c.kind == kind and c.months == months and kind in ("rising", "peak_then_flat", "peak_then_fall", "concentrated"):
                c.names.append(s.name)
                c.values += values
                break
        else:
            if len(clauses) < max_clauses:
                clauses.append(TrendClause(kind, [s.name], months, values))
    return clauses
