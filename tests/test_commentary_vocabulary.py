"""Commentary speaks the wording templates' vocabulary (issue 20, item 2): the same filters and slot names, and
an error names the paragraph, the unknown name and the nearest known ones, in Chinese, with one closing mark."""

from __future__ import annotations

from pathlib import Path

import pytest

import reportgen.reports  # noqa: F401  (registers the section types)
from reportgen.errors import ConfigError
from reportgen.narrative import render_markdown
from reportgen.numbers import TEMPLATE_FILTERS, Amount, Change, Ratio
from reportgen.sandbox import template_problem

from .conftest import copy_config

SLOTS = {"total": Amount(21438000, 1), "total_change": Change(21438000, 75921000, 1),
         "share": Ratio(1, 3, 1), "subs": [("网络交易", Amount(2322000, 1)), ("市场环境秩序", Amount(591000, 1))],
         "top": ["住房", "城乡建设"]}


def test_commentary_has_every_filter_of_the_wording_templates():
    text = render_markdown("共{{ total|wan }}，{{ total_change|change }}，占{{ share|pct }}；主要是{{ subs|items }}；"
                           "{{ top|names }}等{{ 2|cn }}类。", SLOTS)
    assert str(text) == "<p>共2143.8万件，同比下降71.8%，占33.3%；主要是网络交易（232.2万件）、市场环境秩序（59.1万件）；" \
                        "住房、城乡建设等二类。</p>\n"
    assert {"wan", "wan_trim", "pct", "change", "items", "names", "cn", "than", "delta"} <= set(TEMPLATE_FILTERS)


@pytest.mark.parametrize("src, words", [
    ("{{ total|chang }}", "没有名为 “chang” 的过滤器，是否想写 “change”？可用的过滤器：change、cn、delta、items、names、pct、"
                          "than、wan、wan_trim。"),
    ("{{ totl|wan }}", "没有名为 “totl” 的数据，是否想写 “total”？本段可用的名称：share、subs、top、total、total_change。"),
    ("{{ total.zz }}", "数据中没有 “zz” 这一项。"),
])
def test_an_error_names_the_paragraph_the_unknown_name_and_the_nearest(src, words):
    with pytest.raises(ConfigError) as exc:
        render_markdown(src, SLOTS, "periods/annual-2023.yaml 的 commentary.overview.top")
    assert str(exc.value) == f"配置错误：periods/annual-2023.yaml 的 commentary.overview.top 中引用的数据无法生成：{words}"


def test_an_unknown_filter_is_refused_when_the_config_is_read():
    assert template_problem("{{ total|chang }}") == ("模板中没有名为 “chang” 的过滤器，是否想写 “change”？可用的过滤器："
                                                     "change、cn、delta、items、names、pct、than、wan、wan_trim")
    assert template_problem("{{ total|change('环比') }}") is None


def test_a_commentary_paragraph_uses_the_generated_paragraphs_slots_and_filters(tmp_path: Path):
    from reportgen.pipeline import build
    from reportgen.reports.document import Para

    city = copy_config(tmp_path / "config")
    period = city / "periods" / "annual-2023.yaml"
    text = period.read_text(encoding="utf-8")
    period.write_text(text.replace("commentary:\n", "commentary:\n  overview.reception:\n    after: "
                                   "\"全年受理{{ total|wan }}，{{ total_change|change }}，受理诉求占比{{ dispatched_share|pct }}。\"\n",
                                   1), encoding="utf-8")
    doc = build("annual", "2023", city, draw=False).doc
    after = next(b for b in doc.blocks if isinstance(b, Para) and b.id == "overview.reception.after")
    assert str(after.html) == "<p>全年受理2143.8万件，同比下降71.8%，受理诉求占比50.8%。</p>\n"


def test_every_figure_a_commentary_cites_is_traced_before_after_and_instead_of_its_paragraph(tmp_path: Path):
    """The class, not the example: every slot of every generated paragraph of the brief, cited in commentary
    before it, after it and in its place, prints a number that ``reportgen check`` finds in that block's figures
    (the figures cited after a paragraph were once printed untraced)."""
    import subprocess
    import sys

    import yaml

    from reportgen.narrative.slots import slot_forms
    from reportgen.pipeline import build
    from reportgen.reports.document import Para

    city = copy_config(tmp_path / "config")
    doc = build("monthly", "2023-09", city, district="密云区", draw=False).doc
    paras = [b for b in doc.blocks if isinstance(b, Para) and b.generated is not None and b.slots]
    assert len(paras) >= 6
    commentary, cited = {}, 0
    for i, p in enumerate(paras):
        forms = [e for e, _ in slot_forms(p.slots)]
        cited += len(forms)
        where = ("before", "after", "replace")[i % 3]
        commentary[p.id] = {where: "本段引用：" + "、".join("{{ " + e + " }}" for e in forms) + "。"}
    assert cited >= 40
    (city / "periods" / "monthly-2023-09" / "密云区" / "brief.yaml").write_text(
        yaml.safe_dump({"commentary": commentary}, allow_unicode=True), encoding="utf-8")
    pdf = tmp_path / "brief.pdf"
    cli = [sys.executable, "-m", "reportgen.cli"]
    done = subprocess.run([*cli, "render", "monthly", "--period", "2023-09", "--district", "密云区", "--config", str(city),
                           "--out", str(pdf)], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    checked = subprocess.run([*cli, "check", str(pdf), "--config", str(city)], capture_output=True, text=True)
    assert (checked.returncode, checked.stderr) == (0, ""), checked.stdout + checked.stderr
    assert checked.stdout.endswith("全部数字均可追溯。\n") and "brief.yaml" not in checked.stdout, checked.stdout
