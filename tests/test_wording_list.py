"""``reportgen wording``: every wording key a build rendered, per section, with its slots, origin, template and text."""

from __future__ import annotations

import json
import re
import subprocess
import sys

import pytest
from markupsafe import Markup

from reportgen.narrative import Footnotes, Wording
from reportgen.narrative.listing import plain_text

from .conftest import ROOT, copy_config

RECEPTION = ("2023年1月1日0时至2023年12月31日24时，12345热线共受理群众反映2143.8万件，同比下降71.8%。"
             "其中，受理诉求1089.4万件，同比上升23.3%，占比50.8%，直接答复1054.4万件，同比下降84.3%，占比49.2%。")


def run(*args: str, cwd=ROOT) -> subprocess.CompletedProcess:
    r = subprocess.run([sys.executable, "-m", "reportgen.cli", "wording", *args], capture_output=True, text=True,
                       cwd=cwd)
    assert r.returncode == 0, r.stderr
    return r


@pytest.fixture(scope="module")
def annual() -> list[str]:
    return run("annual", "--period", "2023").stdout.splitlines()


def entry(lines: list[str], key: str) -> list[str]:
    """The lines of one key's entry: its name line and the indented lines under it."""
    i = next(i for i, ln in enumerate(lines) if ln.strip() == key)
    indent = len(lines[i]) - len(lines[i].lstrip())
    out = [lines[i]]
    for ln in lines[i + 1:]:
        if not ln.strip() or len(ln) - len(ln.lstrip()) <= indent:
            break
        out.append(ln)
    return out


def test_the_reception_sentence_shows_slots_origin_template_and_text(annual):
    assert annual[0] == "annual 2023 用到的句式键（按章节，文档顺序）"
    assert annual[2] == "【章节 overview】总体情况及受理特点"
    e = entry(annual, "overview.reception")
    assert e[0] == "  overview.reception"
    assert e[1] == ("    可用变量：city、compare、direct、direct_change、direct_share、dispatched、dispatched_change、"
                    "dispatched_share、district、hotline、period、total、total_change、year")
    assert e[2] == "    模板来源：config/reports/annual.yaml"
    assert e[3].startswith("    当前模板：{{ period.range_text }}，{{ hotline }}共受理群众反映{{ fn('反映') }}{{ total|wan }}")
    assert e[4] == f"    生成文字：{RECEPTION}"          # no footnote call, no markup


def test_sections_in_document_order_repeated_keys_once_with_their_count(annual):
    headers = [ln.strip() for ln in annual if ln.lstrip().startswith("【")]
    assert headers == ["【章节 overview】总体情况及受理特点", "【章节 top_categories】群众反映前十类问题情况",
                       "【章节 features】群众反映特征分析", "【章节 handling】群众诉求办理情况",
                       "【章节 districts】区及街道乡镇承办情况", "【章节 departments】市级部门承办情况",
                       "【章节 enterprises】国有企业承办情况", "【章节 topics】“每月一题”相关诉求情况",
                       "【未用到的句式键】（共 1 个：已定义，但本期报告没有生成）"]
    assert sum(ln.strip() == "top_categories.summary" for ln in annual) == 1
    summary = entry(annual, "top_categories.summary")
    assert summary[1] == "    可用变量：amount、change、city、compare、detail、district、hotline、label、largest、name、period、subs、year"
    assert summary[4].startswith("    生成文字：市场管理类问题365.9万件，同比上升276.8%，") and summary[4].endswith("（共 10 处）")
    district = entry(annual, "districts.district")
    assert district[0] == "    districts.district"              # under its chapter 群众诉求办理情况
    assert district[1] == "      可用变量：city、compare、d、district、hotline、period、year"
    assert district[4].startswith("      生成文字：东城区共承办诉求约35.8万件，") and district[4].endswith("（共 16 处）")
    assert entry(annual, "【章节 features】群众反映特征分析")[1:] == ["  （本节没有用到句式键）"]


def test_keys_defined_but_not_rendered_are_listed_last(annual):
    i = annual.index("【未用到的句式键】（共 1 个：已定义，但本期报告没有生成）")
    assert annual[i + 1:i + 4] == ["  trend.concentrated", "    模板来源：config/reports/annual.yaml",
                                   "    当前模板：{{ names|names('、') }}问题在{{ months[0] }}月至{{ months[1] }}月反映相对集中"]
    assert annual[-1] == "共用到 18 个句式键，另有 1 个未用到。在期间文件的 wording 中写同名的键即可改写其句式。"


def test_json_lists_the_same_keys(annual):
    data = json.loads(run("annual", "--period", "2023", "--json").stdout)
    assert [s["id"] for s in data["sections"]] == ["overview", "top_categories", "features", "handling", "districts",
                                                   "departments", "enterprises", "topics"]
    listed = [ln.strip() for ln in annual if re.fullmatch(r"\s+[A-Za-z0-9_]+(\.[A-Za-z0-9_]+)+", ln)]
    in_json = [k["key"] for s in data["sections"] for k in s["keys"]] + [k["key"] for k in data["unused"]]
    assert in_json == listed and len(listed) == 19
    reception = data["sections"][0]["keys"][0]
    assert set(reception) == {"key", "slots", "origin", "template", "text", "count"}
    assert reception["key"] == "overview.reception" and reception["text"] == RECEPTION and reception["count"] == 1
    assert reception["origin"] == "config/reports/annual.yaml"
    assert "total" in reception["slots"] and reception["slots"] == sorted(reception["slots"])
    districts = next(s for s in data["sections"] if s["id"] == "districts")
    assert {k["key"]: k["count"] for k in districts["keys"]}["districts.district"] == 16
    assert data["unused"] == [{"key": "trend.concentrated", "slots": [], "origin": "config/reports/annual.yaml",
                               "template": "{{ names|names('、') }}问题在{{ months[0] }}月至{{ months[1] }}月反映相对集中",
                               "text": None, "count": 0}]


def test_a_period_file_override_shows_its_file_and_text_and_section_filters(tmp_path):
    cfg = copy_config(tmp_path / "config")
    period = cfg / "periods" / "annual-2023.yaml"
    period.write_text(period.read_text(encoding="utf-8")
                      + "\nwording:\n  overview.reception: \"{{ year }}年共受理{{ total|wan }}，{{ total_change|change }}。\"\n",
                      encoding="utf-8")
    lines = run("annual", "--period", "2023", "--config", "config/beijing", "--section", "overview",
                cwd=tmp_path).stdout.splitlines()
    assert [ln for ln in lines if ln.startswith("【")] == ["【章节 overview】总体情况及受理特点"]
    e = entry(lines, "overview.reception")
    assert e[2:] == ["    模板来源：config/beijing/periods/annual-2023.yaml",
                     "    当前模板：{{ year }}年共受理{{ total|wan }}，{{ total_change|change }}。",
                     "    生成文字：2023年共受理2143.8万件，同比下降71.8%。"]
    assert entry(lines, "overview.channels")[2] == "    模板来源：config/reports/annual.yaml"
    assert "未用到的句式键" not in "\n".join(lines)
    assert lines[-1] == "本节共用到 3 个句式键。在期间文件的 wording 中写同名的键即可改写其句式。"


def test_the_monthly_brief_of_a_district():
    lines = run("monthly", "--period", "2023-09", "--district", "密云区").stdout.splitlines()
    assert lines[0] == "monthly 2023-09 密云区 用到的句式键（按章节，文档顺序）"
    e = entry(lines, "brief.total")
    assert e[2] == "    模板来源：config/reports/monthly.yaml"
    assert e[4] == ("    生成文字：2023年8月19日0时至2023年9月19日0时，我区共受理“12345”市民服务热线群众诉求20893件，"
                    "环比下降11.84%。")
    streets = entry(lines, "brief.streets.direct")
    assert streets[0] == "    brief.streets.direct"          # 镇街成绩 under 诉求办理情况
    assert streets[-1] == ("      生成文字：直派工单综合成绩97.08分，高于我区市级考核综合成绩（95.21分）1.87分，"
                           "高于全市街乡镇平均水平（96.72分）0.36分。")


def test_recording_a_render_does_not_change_its_text():
    w = Wording({"s": "共{{ fn('反映') }}{{ n }}件 & <b>"}, Footnotes({"反映": "脚注"}), {"s": "x.yaml"})
    w.section = "overview"
    out = w.render("s", n=3, a=1)
    assert out == Markup('共<span class="fn">脚注</span>3件 &amp; &lt;b&gt;')
    assert [(c.section, c.key, c.slots, c.text) for c in w.calls] == [("overview", "s", ("a", "n"), str(out))]
    assert plain_text(w.calls[0].text) == "共3件 & <b>"
    # a taxonomy change's footnote mark, placed only once the document is built: removed as well
    assert plain_text('社会培训机构<span class="fn" data-fn="remap:x" data-at="overview">2023年4月新增……</span>等') \
        == "社会培训机构等"
