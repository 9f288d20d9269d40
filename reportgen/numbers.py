"""Exact numbers: decimal half-up rounding and the report's number formats.

Every count stays an ``int`` and every ratio a pair of ints until it is formatted; rounding
is ``ROUND_HALF_UP`` on the exact ``Decimal`` value, never on a binary float.  A figure is
formatted once (``Amount.wan``, ``Ratio.pct``) and that one string goes to text, tables and
chart labels alike.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from markupsafe import Markup, escape

from .provenance import Source, derived, note, printed, source_of

WAN = Decimal(10000)


def round_half_up(value: Decimal, places: int) -> Decimal:
    """Round an exact decimal half-up to ``places`` decimals (2.45 → 2.5, -2.45 → -2.5).

    A value that rounds to zero is zero without a sign (-0.04 → 0.0, never -0.0), so no number
    formatted from it prints as “-0.0”, “-0.00” or “-0%”."""
    quantum = Decimal(1).scaleb(-places)
    rounded = Decimal(value).quantize(quantum, rounding=ROUND_HALF_UP)
    return rounded.copy_abs() if rounded.is_zero() else rounded


def fmt_decimal(value: Decimal, places: int) -> str:
    """The one formatting of a number: half-up to ``places`` decimals, no sign on a zero."""
    return f"{round_half_up(value, places):.{places}f}"


def fmt_number(value: float | int | Decimal, places: int) -> str:
    """A chart's axis tick (a position, not a figure of the data): the float's shortest decimal form,
    then as ``fmt_decimal`` — 0.30000000000000004 → '0.3', -1e-17 → '0.0'."""
    exact = Decimal(value) if isinstance(value, (int, Decimal)) else Decimal(repr(float(value)))
    return fmt_decimal(exact, places)


@dataclass(frozen=True)
class Amount:
    """A count of reflections (件) with its formatted forms."""

    count: int
    places: int = 1  # decimals of the 万 figure
    source: Source | None = field(default=None, compare=False)

    def __post_init__(self) -> None:
        if self.source is None and source_of(self.count) is not None:
            object.__setattr__(self, "source", source_of(self.count))

    @property
    def wan_value(self) -> Decimal:
        """The printed 万 figure as a number (thresholds compare it; a chart draws ``position``)."""
        return round_half_up(Decimal(self.count) / WAN, self.places)

    @property
    def position(self) -> float:
        """The exact count in 万 as a float: where a chart draws it (never printed)."""
        return int(self.count) / 10000

    @property
    def wan_num(self) -> str:
        """'2143.8' — the 万 figure without unit (chart labels, tables)."""
        text = fmt_decimal(Decimal(self.count) / WAN, self.places)
        return printed(text, note(text, f"{int(self.count)}/10000", "万件", self.source))

    @property
    def wan(self) -> str:
        """'2143.8万件'."""
        num = self.wan_num
        return printed(f"{num}万件", num)

    @property
    def wan_trim(self) -> str:
        """'140万件' for 140.0, '19.4万件' otherwise (the 2022 edition's handling sentences)."""
        num = self.wan_num
        if "." in num:
            trimmed = num.rstrip("0").rstrip(".")
            num = printed(trimmed, note(trimmed, f"{int(self.count)}/10000", "万件", self.source))
        return printed(f"{num}万件", num)

    @property
    def wan_short(self) -> str:
        """'2.6万' (the seeds drop 件 in some sentences)."""
        num = self.wan_num
        return printed(f"{num}万", num)

    @property
    def num(self) -> str:
        """'6754' — the exact count (tables)."""
        text = str(int(self.count))
        return printed(text, note(text, text, "件", self.source))

    @property
    def jian(self) -> str:
        """'6754件' — an exact count."""
        num = self.num
        return printed(f"{num}件", num)

    @property
    def auto(self) -> str:
        """'1.9万件' from ten thousand up, '6754件' below (the work report's style)."""
        return self.wan if self.count >= 10000 else self.jian

    def __int__(self) -> int:
        return self.count


@dataclass(frozen=True)
class Ratio:
    """part / whole, formatted as a percentage with ``places`` decimals."""

    part: int
    whole: int
    places: int = 1

    @property
    def exact(self) -> Decimal:
        if self.whole == 0:
            raise ZeroDivisionError("占比的分母为 0")
        return Decimal(self.part) * 100 / Decimal(self.whole)

    @property
    def pct_num(self) -> str:
        text = fmt_decimal(self.exact, self.places)
        return printed(text, note(text, f"{int(self.part)}/{int(self.whole)}*100", "%",
                                  derived("part/whole", self.part, self.whole)))

    @property
    def pct(self) -> str:
        """'50.8%'."""
        num = self.pct_num
        return printed(f"{num}%", num)


@dataclass(frozen=True)
class Change:
    """Change of ``current`` against ``previous`` (同比 / 环比)."""

    current: int
    previous: int
    places: int = 1

    @property
    def exact(self) -> Decimal:
        if self.previous == 0:
            raise ZeroDivisionError("比较期数值为 0，无法计算变化率")
        return (Decimal(self.current) - Decimal(self.previous)) * 100 / Decimal(self.previous)

    @property
    def rounded(self) -> Decimal:
        return round_half_up(self.exact, self.places)

    @property
    def direction(self) -> str:
        """'上升' / '下降' / '持平' — judged on the rounded figure the reader sees."""
        r = self.rounded
        if r > 0:
            return "上升"
        if r < 0:
            return "下降"
        return "持平"

    @property
    def pct(self) -> str:
        """Absolute value: '23.3%'."""
        text = f"{abs(self.rounded):.{self.places}f}"
        e = note(text, f"({int(self.current)}-{int(self.previous)})/{int(self.previous)}*100", "%",
                 derived("(current-previous)/previous", self.current, self.previous))
        return printed(f"{text}%", e)

    def words(self, prefix: str = "同比") -> str:
        """'同比上升23.3%' / '同比下降71.8%' / '同比持平'."""
        if self.direction == "持平":
            return f"{prefix}持平"
        pct = self.pct
        return printed(f"{prefix}{self.direction}{pct}", pct)

    @property
    def signed_pct_num(self) -> str:
        text = f"{self.rounded:.{self.places}f}"
        return printed(text, note(text, f"({int(self.current)}-{int(self.previous)})/{int(self.previous)}*100", "%",
                                  derived("(current-previous)/previous", self.current, self.previous)))


@dataclass(frozen=True)
class Gap:
    """How a printed score compares with another: '高于…1.87分' / '低于…3.77分' / '与…持平'.

    The gap is the difference of the two *printed* figures (97.08 − 95.21 = 1.87), so the
    sentence never contradicts the numbers beside it.
    """

    a: Decimal
    b: Decimal
    places: int = 2
    unit: str = "分"

    @property
    def value(self) -> Decimal:
        return round_half_up(self.a, self.places) - round_half_up(self.b, self.places)

    def words(self, label: str) -> str:
        d = self.value
        if d == 0:
            return f"与{label}持平"
        text = f"{abs(d):.{self.places}f}"
        e = note(text, f"{round_half_up(self.a, self.places)}-{round_half_up(self.b, self.places)}", self.unit,
                 Source("difference of printed figures"))
        return printed(f"{'高于' if d > 0 else '低于'}{label}{text}{self.unit}", e)


@dataclass(frozen=True)
class Delta:
    """A signed change already in its unit (万人诉求比 −17.38 件/万人): '环比下降17.38件/万人'."""

    value: Decimal
    places: int = 2
    unit: str = ""
    how: str = ""

    def words(self, prefix: str = "环比") -> str:
        d = round_half_up(self.value, self.places)
        if d == 0:
            return f"{prefix}持平"
        text = f"{abs(d):.{self.places}f}"
        e = note(text, self.how or str(self.value), self.unit, Source("change"))
        return printed(f"{prefix}{'上升' if d > 0 else '下降'}{text}{self.unit}", e)


CN_NUMERALS = "〇一二三四五六七八九"


def cn_number(n: int) -> str:
    """1 → 一, 10 → 十, 12 → 十二, 20 → 二十, 23 → 二十三 (up to 99)."""
    if not 0 < n < 100:
        raise ValueError(f"不支持的序号：{n}")
    tens, ones = divmod(n, 10)
    if tens == 0:
        return CN_NUMERALS[ones]
    head = "" if tens == 1 else CN_NUMERALS[tens]
    return f"{head}十{CN_NUMERALS[ones] if ones else ''}"


def cn_ordinal(n: int, level: int) -> str:
    """Heading numbers of 党政机关公文: level 1 '一、', level 2 '（一）', level 3 '1.'."""
    if level == 1:
        return f"{cn_number(n)}、"
    if level == 2:
        return f"（{cn_number(n)}）"
    return f"{n}."


# --- the filters of wording templates and commentary (one vocabulary: ``{{ total|wan }}``, ``{{ c|change }}``) ---

def _wan(a: Amount, places: int | None = None) -> str:
    """'2143.8万件'; ``wan(0)`` prints whole 万 ('706万件') where an edition does so."""
    if places is not None and places != a.places:
        return Amount(a.count, places, a.source).wan
    return a.wan


def _wan_trim(a: Amount) -> str:
    return a.wan_trim


def _pct(r: Ratio) -> str:
    return r.pct


def _change(c: Change, prefix: str = "同比") -> str:
    return c.words(prefix)


def _than(g: Gap, label: str) -> str:
    return g.words(label)


def _delta(d: Delta, prefix: str = "环比") -> str:
    return d.words(prefix)


def _items(pairs: list[tuple[str, Amount]], unit: str = "wan") -> Markup:
    parts = [Markup("{}（{}）").format(name, getattr(a, unit)) for name, a in pairs]
    return Markup("、").join(parts)


def _names(names: list[Any], sep: str = "、") -> Markup:
    return Markup(escape(sep)).join(names)


TEMPLATE_FILTERS: dict[str, Any] = {
    "wan": _wan, "wan_trim": _wan_trim, "pct": _pct, "change": _change, "items": _items, "names": _names,
    "cn": cn_number, "than": _than, "delta": _delta,
}
