"""The plan decides the comparison period and the data window once (reportgen/plan.py): for every kind of period
the months the records are read for cover both the period and the period it is compared with."""

from __future__ import annotations

import pytest

from reportgen.periods import parse_period
from reportgen.plan import Plan, comparison_of


@pytest.mark.parametrize("key, compare, months", [
    ("2023", "2022", ("2022-01", "2023-12")),            # 同比
    ("2023-09", "2022-09", ("2022-09", "2023-09")),      # a calendar month: 同比, both months read
    ("2023-09K", "2023-08K", ("2023-07", "2023-09")),    # a 考核期: 环比, 2023-07-19 … 2023-09-19
])
def test_comparison_and_data_window(key, compare, months):
    period = parse_period(key, 19)
    plan = Plan(None, period, comparison_of(period, None, 19))     # type: ignore[arg-type]
    assert plan.compare.key == compare
    assert plan.months == months
    first, last = plan.months
    assert first <= f"{plan.compare.start:%Y-%m}" and f"{plan.period.start:%Y-%m}" >= first
    assert last == f"{period.end - __import__('datetime').timedelta(days=1):%Y-%m}"


def test_a_declared_comparison_wins():
    period = parse_period("2023-09", 19)
    plan = Plan(None, period, comparison_of(period, "2023-08", 19))   # type: ignore[arg-type]
    assert plan.compare.key == "2023-08" and plan.months == ("2023-08", "2023-09")


def test_the_pipeline_and_the_report_use_the_plans_comparison():
    """The annual report's comparison year is the plan's: the document's 同比 base and the records' window."""
    from reportgen.pipeline import build

    built = build("annual", "2023")
    assert built.doc.title and "2023" in built.doc.title
    import reportgen.inputs as inputs

    store = next(iter(inputs._STORES.values()))
    assert store.con.execute("SELECT min(month), max(month) FROM records").fetchone() == ("2022-01", "2023-12")
