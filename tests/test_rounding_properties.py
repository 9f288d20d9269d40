"""Property tests (Hypothesis): rounding is half-up on the exact decimal, never a binary float's; shares and
changes agree with an independent integer computation; ranks with ties follow their definitions.

The oracle is plain integer arithmetic (divmod), not the code under test and not ``decimal``."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import example, given, settings
from hypothesis import strategies as st

from reportgen.assessment import competition_ranks
from reportgen.numbers import Amount, Change, Ratio
from reportgen.reports.rankings import RankedUnit, dense_places

SETTINGS = settings(max_examples=300, deadline=None)


def half_up(num: int, den: int, places: int) -> str:
    """num/den to ``places`` decimals, halves away from zero, by integer arithmetic only."""
    sign = "-" if (num < 0) != (den < 0) and num != 0 else ""
    n, d = abs(num) * 10 ** places, abs(den)
    q, r = divmod(n, d)
    if 2 * r >= d:
        q += 1
    if q == 0:
        sign = ""
    digits = str(q).rjust(places + 1, "0")
    text = f"{digits[:-places]}.{digits[-places:]}" if places else digits
    return sign + text


@SETTINGS
@given(count=st.integers(min_value=0, max_value=10 ** 9), places=st.integers(min_value=0, max_value=3))
@example(count=26_750, places=2)       # 2.675 万 → 2.68 (float rounding gives 2.67)
@example(count=1_005, places=2)        # 0.1005 → 0.10; 0.1005 as a float is 0.10049999…
@example(count=14_999_500, places=2)   # 1499.95 → 1499.95
@example(count=14_999_950, places=1)   # 1499.995 → 1500.0: the carry crosses the decimal point
def test_wan_is_half_up_on_the_exact_decimal(count, places):
    a = Amount(count, places)
    assert a.wan_num == half_up(count, 10_000, places)
    assert a.wan == a.wan_num + "万件"
    assert "e" not in a.wan_num.lower() and len(a.wan_num.partition(".")[2]) == places


@SETTINGS
@given(count=st.integers(min_value=0, max_value=10 ** 9))
@example(count=1_400_000)              # 140.0 → '140万件'
@example(count=194_000)                # 19.4
def test_wan_trim_drops_only_trailing_zeros(count):
    num = Amount(count, 2).wan_trim.removesuffix("万件")
    full = half_up(count, 10_000, 2)
    assert Decimal(num) == Decimal(full)
    assert num == (full.rstrip("0").rstrip(".") if "." in full else full)


@SETTINGS
@given(data=st.data(), places=st.integers(min_value=0, max_value=3))
@example(data=None, places=2)
def test_shares_agree_with_integer_arithmetic_and_stay_in_range(data, places):
    if data is None:                   # 2675 of 100000 = 2.675 % → 2.68 %
        part, whole = 2675, 100_000
    else:
        whole = data.draw(st.integers(min_value=1, max_value=10 ** 9))
        part = data.draw(st.integers(min_value=0, max_value=whole))
    r = Ratio(part, whole, places)
    assert r.pct_num == half_up(part * 100, whole, places)
    assert r.pct == r.pct_num + "%"
    assert Decimal(0) <= Decimal(r.pct_num) <= Decimal(100)


@SETTINGS
@given(current=st.integers(min_value=0, max_value=10 ** 8), previous=st.integers(min_value=1, max_value=10 ** 8),
       places=st.integers(min_value=1, max_value=2))
@example(current=1_005, previous=1_000, places=1)   # +0.5 % → '上升0.5%'
@example(current=99_995, previous=100_000, places=2)  # −0.005 % → '下降0.01%' (half away from zero)
@example(current=100_001, previous=100_000, places=2)  # +0.001 % rounds to 0.00 → '持平'
def test_change_direction_agrees_with_the_printed_figure(current, previous, places):
    c = Change(current, previous, places)
    signed = half_up((current - previous) * 100, previous, places)
    shown = signed.lstrip("-")
    if Decimal(signed) == 0:
        assert c.words("同比") == "同比持平"
    else:
        assert c.words("同比") == ("同比下降" if signed.startswith("-") else "同比上升") + shown + "%"


@SETTINGS
@given(scores=st.dictionaries(st.text(min_size=1, max_size=4), st.integers(min_value=9000, max_value=10000),
                              min_size=1, max_size=40))
def test_competition_ranks_share_ties_and_skip(scores):
    values = {k: Decimal(v) / 100 for k, v in scores.items()}
    ranks = competition_ranks(values)
    for k, v in values.items():
        assert ranks[k] == 1 + sum(1 for o in values.values() if o > v)
    assert min(ranks.values()) == 1


@SETTINGS
@given(scores=st.lists(st.integers(min_value=9500, max_value=9520), min_size=1, max_size=30),
       n=st.integers(min_value=1, max_value=5))
def test_dense_places_are_consecutive_and_ties_share_a_place(scores, n):
    units = [RankedUnit("街乡镇", "某区", f"街道{i}", Decimal(s) / 100, 12, None) for i, s in enumerate(scores)]
    places = dense_places(units, n)
    distinct = sorted({Decimal(s) / 100 for s in scores}, reverse=True)
    assert [p for p, _ in places] == list(range(1, min(n, len(distinct)) + 1))
    for (_p, members), level in zip(places, distinct):
        assert {u.score for u in members} == {level}
        assert len(members) == sum(1 for s in scores if Decimal(s) / 100 == level)


@SETTINGS
@given(num=st.integers(min_value=-10 ** 12, max_value=10 ** 12), scale=st.integers(min_value=0, max_value=8),
       places=st.integers(min_value=0, max_value=3))
@example(num=-4, scale=2, places=1)       # -0.04 → '0.0', never '-0.0'
@example(num=-5, scale=2, places=1)       # -0.05 → '-0.1' (half away from zero)
@example(num=-4, scale=1, places=0)       # -0.4 → '0', never '-0'
def test_no_formatted_zero_has_a_sign(num, scale, places):
    from reportgen.numbers import fmt_decimal, fmt_number, round_half_up

    value = Decimal(num).scaleb(-scale)
    text = fmt_decimal(value, places)
    assert text == half_up(num, 10 ** scale, places)
    if Decimal(text) == 0:
        assert not text.startswith("-"), text
        assert not f"{round_half_up(value, places):.{places}f}".startswith("-")
    assert not fmt_number(float(value), places).startswith("-") or Decimal(fmt_number(float(value), places)) != 0


@SETTINGS
@given(current=st.integers(min_value=0, max_value=10 ** 8), previous=st.integers(min_value=1, max_value=10 ** 8),
       places=st.integers(min_value=0, max_value=2))
@example(current=99_996, previous=100_000, places=1)   # −0.004 % → '0.0', 持平
def test_no_change_prints_minus_zero(current, previous, places):
    c = Change(current, previous, places)
    for text in (c.signed_pct_num, c.pct):
        if Decimal(text.rstrip("%")) == 0:
            assert not text.startswith("-"), text
            assert c.words("同比") == "同比持平"
