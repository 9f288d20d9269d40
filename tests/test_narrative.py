"""Wording, trend rules and analysts' Markdown."""

import pytest
from markupsafe import Markup

from reportgen.errors import ConfigError
from reportgen.narrative import describe_trends, render_markdown
from reportgen.narrative.commentary import tidy_spacing
from reportgen.narrative.trends import SeriesFacts, classify
from reportgen.narrative.wording import Footnotes, Wording
from reportgen.numbers import Amount, Change


def test_trend_rules_classify_shapes():
    assert classify((10, 11, 12, 13, 15, 16, 18, 19, 21, 22, 24, 26)) == ("rising", [11])
    assert classify((61, 43, 45, 44, 46, 47, 44, 45, 46, 44, 51, 68)) == ("two_peaks", [0, 11])
    assert classify((22, 24, 27, 24, 24, 23, 24, 24, 23, 24, 23, 24)) == ("peak_then_flat", [2])
    assert classify((14, 16, 20, 19, 18, 16, 14, 13, 12, 11, 10, 9)) == ("peak_then_fall", [2])
    assert classify((10, 10, 10, 10, 10, 40, 45, 42, 10, 10, 10, 10)) == ("concentrated", [5, 7])
    assert classify((10, 11, 10, 11, 10, 11, 10, 11, 10, 11, 10, 12)) == ("flat", [])


def test_same_clause_same_month_series_are_told_together():
    facts = [SeriesFacts("停车管理", (22000, 24000, 27000, 24000, 24000, 23000, 24000, 24000, 23000, 24000, 23000, 24000)),
             SeriesFacts("互联网约车", (7000, 8000, 9000, 10000, 10500, 11000, 12000, 13000, 14000, 15000, 16000, 17000)),
             SeriesFacts("缓堵措施", (10000, 10100, 10200, 10000, 10300, 10100, 10000, 10200, 10100, 10000, 10300, 10200)),
             SeriesFacts("违章处理", (6000, 7000, 8000, 9000, 10000, 11000, 12000, 13000, 14000, 15000, 16000, 19000))]
    clauses = describe_trends(facts)
    assert [(c.kind, c.names, c.months) for c in clauses] == [
        ("peak_then_flat", ["停车管理"], [3]), ("rising", ["互联网约车", "违章处理"], [12])]
    assert [v.wan for v in clauses[1].values] == ["1.7万件", "1.9万件"]


def test_wording_templates_escape_values_and_place_footnotes():
    w = Wording({"s": "{{ name }}共受理群众反映{{ fn('反映') }}{{ total|wan }}，{{ ch|change }}。再次{{ fn('反映') }}"},
                Footnotes({"反映": "包括咨询、求助等。"}))
    out = w.render("s", name="<b>热线</b>", total=Amount(21438000), ch=Change(21438000, 75924000))
    assert out == Markup('&lt;b&gt;热线&lt;/b&gt;共受理群众反映<span class="fn">包括咨询、求助等。</span>'
                         '2143.8万件，同比下降71.8%。再次')


def test_wording_errors_name_the_template():
    w = Wording({"s": "{{ totl|wan }}"}, Footnotes({}), {"s": "config/reports/annual.yaml"})
    with pytest.raises(ConfigError) as exc:
        w.render("s", total=Amount(1))
    assert str(exc.value) == ("配置错误：config/reports/annual.yaml 中的句式模板 “s” 无法生成：没有名为 “totl” 的数据，"
                              "是否想写 “total”？本段可用的名称：fn、total。")


def test_markdown_cannot_inject_html_script_or_resources():
    html = render_markdown('<script>alert(1)</script> ![x](file:///etc/passwd) [a](http://evil) <img src=x>'
                           '{{ "<style>body{}</style>" }}')
    assert "<script" not in html and "<img" not in html and "<style" not in html and "href" not in html
    assert "&lt;script&gt;" in html


def test_markdown_slots_cite_figures_and_sandbox_blocks_internals():
    s = {"文化市场": SeriesFacts("文化市场", (18000, 20000, 25000, 28000, 31000, 36000, 43000, 63000, 72000, 61000, 54000, 60000))}
    assert render_markdown("在 {{ s['文化市场'].peak.month }} 月达到全年最高点，为 {{ s['文化市场'].peak.wan }}。", {"s": s}) == \
        Markup("<p>在9月达到全年最高点，为7.2万件。</p>\n")
    with pytest.raises(ConfigError):
        render_markdown("{{ ''.__class__.__mro__ }}")


def test_tidy_spacing_only_between_chinese_and_latin():
    assert tidy_spacing("2023 年 12345 热线 受理 98% 以上, ok go") == "2023年12345热线 受理98%以上, ok go"


def test_typeset_keeps_numbers_with_units_and_lets_quotes_break():
    from reportgen.render.typeset import typeset

    html = typeset("<p>我区共受理“12345”市民诉求20893件，高于平均水平（96.72分）0.36分，比为372.71件/万人。</p>")
    assert str(html) == ('<p>我区共受理<wbr>“12345”<wbr>市民诉求<span class="nw">20893件</span>，高于平均水平'
                         '（<span class="nw">96.72分</span>）<span class="nw">0.36分</span>，比为'
                         '<span class="nw">372.71件/万人</span>。</p>')
    # tags, attributes and character references are left alone
    assert str(typeset('<span class="fn" data-n="12分">&#34;5分</span>')) == \
        '<span class="fn" data-n="12分">&#34;<span class="nw">5分</span></span>'


def test_typeset_keeps_a_paragraphs_last_two_characters_together():
    from reportgen.render.typeset import typeset

    assert str(typeset("<p>社会保险等问题在6月份之后有小幅上升。</p>")) == \
        '<p>社会保险等问题在<span class="nw">6月</span>份之后有小幅<span class="nw">上升。</span></p>'   # 6月 stays whole
    assert str(typeset("<p>共两段：“甲”。</p><p>为7303件。</p>")) == \
        '<p>共两段：<wbr>“甲”。</p><p>为<span class="nw">7303件</span>。</p>'   # a quote or a number: untouched
    assert str(typeset("<p>12分，有小幅上升。</p>")) == \
        '<p><span class="nw">12分</span>，有小幅<span class="nw">上升。</span></p>'  # a text node opening with a number


def test_no_paragraph_ends_with_a_lone_character(tmp_path):
    """孤字: no line of the annual report's text is one Chinese character and its full stop."""
    import re

    from reportgen.pipeline import build
    from reportgen.publish import render_to_pdf

    from .conftest import pdftotext

    out = tmp_path / "a.pdf"
    render_to_pdf(build("annual", "2023"), out)
    lone = [ln for ln in pdftotext(out, "-layout").splitlines() if re.fullmatch(r"\s*[\u4e00-\u9fff][。；！？]”?\s*", ln)]
    assert lone == []


def test_per_district_places_are_written_the_way_the_work_report_writes_ties():
    from decimal import Decimal as D

    from reportgen.reports.rankings import RankedUnit, dense_places, places_text

    def units(*pairs):
        return [RankedUnit("街乡镇", "X区", name, D(score), None, None) for name, score in pairs]

    # 朝阳区 2020: one first place, two sharing the second, then the third (places, not competition ranks)
    chaoyang = units(("小红门地区", "99.1"), ("小关街道", "98.7"), ("孙河地区", "98.7"), ("麦子店街道", "98.2"), ("x", "97"))
    assert places_text(dense_places(chaoyang, 3)) == "第一名小红门地区 并列第二名小关街道、孙河地区 第三名麦子店街道"
    pinggu = units(("滨河街道", "99"), ("马昌营镇", "99"), ("熊儿寨乡", "98"), ("南独乐河镇", "97"))
    assert places_text(dense_places(pinggu, 3)) == "并列第一名滨河街道、马昌营镇 第二名熊儿寨乡 第三名南独乐河镇"
    plain = units(("前门街道", "99"), ("景山街道", "98"), ("建国门街道", "97"), ("x", "96"))
    assert places_text(dense_places(plain, 3)) == "前门街道、景山街道、建国门街道"
