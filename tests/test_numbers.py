from decimal import Decimal
from decimal import Decimal as D

import pytest

from reportgen.numbers import Amount, Change, Ratio, cn_number, cn_ordinal, round_half_up


def test_half_up_on_exact_decimal_not_binary_float():
    # binary float rounding gives 2.67 for round(2.675, 2); the report must print 2.68
    assert round(2.675, 2) == 2.67
    assert round_half_up(Decimal("2.675"), 2) == Decimal("2.68")
    assert round_half_up(Decimal("-2.45"), 1) == Decimal("-2.5")
    # 0.15 万件 is exactly 1500 件 → 0.2 (float 0.15 is 0.1499999…)
    assert Amount(1500).wan == "0.2万件"
    assert Amount(1499).wan == "0.1万件"


def test_amount_forms():
    a = Amount(21438123)
    assert (a.wan, a.wan_num, a.wan_short) == ("2143.8万件", "2143.8", "2143.8万")
    assert Amount(6754).auto == "6754件"
    assert Amount(19000).auto == "1.9万件"
    assert Amount(21438123, places=2).wan == "2143.81万件"


def test_ratio_and_change_words():
    assert Ratio(10894000, 21438000).pct == "50.8%"
    assert Ratio(1, 3, places=2).pct == "33.33%"
    assert Change(10894000, 8835000).words() == "同比上升23.3%"
    assert Change(21438000, 75924000).words() == "同比下降71.8%"
    assert Change(100000, 100040).words() == "同比持平"       # -0.04 % rounds to 0.0
    assert Change(20893, 23700, places=2).words("环比") == "环比下降11.84%"
    with pytest.raises(ZeroDivisionError):
        _ = Change(5, 0).exact


def test_chinese_numerals():
    assert [cn_number(n) for n in (1, 10, 12, 20, 23)] == ["一", "十", "十二", "二十", "二十三"]
    assert cn_ordinal(3, 1) == "三、"
    assert cn_ordinal(10, 2) == "（十）"
    assert cn_ordinal(16, 3) == "16."


def test_gap_is_the_difference_of_the_printed_scores():
    from reportgen.numbers import Gap

    assert Gap(D("97.08"), D("95.21")).words("我区市级考核综合成绩（95.21分）") == "高于我区市级考核综合成绩（95.21分）1.87分"
    assert Gap(D("95.48"), D("96.72")).words("全市街乡镇平均水平") == "低于全市街乡镇平均水平1.24分"
    # 95.2149 prints 95.21: equal printed scores are 持平, never “高于…0.00分”
    assert Gap(D("95.2149"), D("95.21")).words("全区") == "与全区持平"
    # half-up on each printed score first: 90.005 → 90.01, 90.004 → 90.00
    assert Gap(D("90.005"), D("90.004")).words("X") == "高于X0.01分"


def test_delta_words():
    from reportgen.numbers import Delta

    assert Delta(D("-17.38"), 2, "件/万人").words() == "环比下降17.38件/万人"
    assert Delta(D("3.005"), 2, "件/万人").words() == "环比上升3.01件/万人"
    assert Delta(D("0.004"), 2, "件/万人").words() == "环比持平"


def test_a_value_that_rounds_to_zero_prints_without_sign():
    from reportgen.numbers import Delta, fmt_decimal, fmt_number

    assert fmt_decimal(D("-0.04"), 1) == "0.0"
    assert fmt_decimal(D("-0.004"), 2) == "0.00"
    assert fmt_decimal(D("-0.4"), 0) == "0"
    assert str(round_half_up(D("-0.04"), 1)) == "0.0"
    assert f"{round_half_up(D('-0.04'), 1):.1f}" == "0.0"           # as the charts' share labels format it
    assert fmt_number(-1e-17, 1) == "0.0" and fmt_number(0.1 + 0.2, 1) == "0.3"
    c = Change(99_996, 100_000)                                       # -0.004 %
    assert (c.signed_pct_num, c.pct, c.words()) == ("0.0", "0.0%", "同比持平")
    assert Delta(D("-0.001"), 2).words() == "环比持平"


def test_wan_value_is_the_printed_figure_and_position_the_exact_count():
    w = Amount(523).wan_value
    assert w == D("0.1") and f"{w:.1f}" == "0.1" and w >= D("0.1")   # thresholds compare the printed figure
    assert Amount(523).position == 0.0523                              # where a chart draws it