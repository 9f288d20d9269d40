"""How the assessment's figures are printed in the brief's tables and sentences."""

from __future__ import annotations

from decimal import Decimal

from ..numbers import round_half_up


def fmt_rate(value: Decimal, places: int = 2) -> str:
    """'100.00%' (table cells)."""
    return f"{round_half_up(value, places):.{places}f}%"


def fmt_score(value: Decimal, places: int = 2) -> str:
    """'98.30' (综合成绩 always with its two decimals)."""
    return f"{round_half_up(value, places):.{places}f}"


def fmt_bonus(value: Decimal | None) -> str:
    """'—' for no 加分项, else the value as given ('0.1')."""
    return "—" if value is None or value == 0 else f"{value.normalize():f}"
