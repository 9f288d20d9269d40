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


def test_an_edition_orders_the_districts_and_a_wrong_order_is_refused(tmp_path):
    """district_order in the period file: the district sections (and their numbering) follow it; a name that is
    not a district, one listed twice or one left out is refused naming the file, line and key."""
    from reportgen.errors import ConfigError
    from reportgen.pipeline import build
    from reportgen.reports.document import Heading

    from .conftest import copy_config

    city = copy_config(tmp_path / "config")
    order = ["东城区", "西城区", "朝阳区", "海淀区", "丰台区", "石景山区", "门头沟区", "房山区", "通州区", "顺义区",
             "昌平区", "大兴区", "平谷区", "怀柔区", "密云区", "延庆区"]
    period = city / "periods" / "annual-2023.yaml"
    text = period.read_text(encoding="utf-8")
    period.write_text(text + f"district_order: [{', '.join(order)}]\n", encoding="utf-8")
    built = build("annual", "2023", city)
    heads = [b.text for b in built.doc.blocks if isinstance(b, Heading)]
    assert "11.昌平区" in heads and "12.大兴区" in heads and heads.index("11.昌平区") < heads.index("12.大兴区")
    line = text.count("\n") + 1
    for wrong, problem in [
            ([*order[:11], "大兴", *order[12:]], f"第 {line} 行，键 district_order[11]：“大兴” 不是 profile.yaml 中的区，"
                                                  "是否应为 “大兴区”。"),
            ([*order, "东城区"], f"第 {line} 行，键 district_order[16]：“东城区” 列了两次。"),
            (order[:-1], f"第 {line} 行，键 district_order：缺少 延庆区：顺序须列全 profile.yaml 的 16 个区。")]:
        period.write_text(text + f"district_order: [{', '.join(wrong)}]\n", encoding="utf-8")
        with pytest.raises(ConfigError) as exc:
            build("annual", "2023", city)
        assert exc.value.problems[0].endswith(problem), exc.value.problems
