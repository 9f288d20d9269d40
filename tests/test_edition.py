"""A next year's edition by configuration alone (issue 19): each need written only in YAML — a city edition that
extends the shared structure and changes sections by id, the districts' order, a table's columns, where a
taxonomy change's footnote goes and in which years, a merger of categories that restates the comparison year —
built from the sample data, and the mistakes an editor makes refused naming the file and key.
"""

from __future__ import annotations

import re
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest
import yaml

import reportgen.reports  # noqa: F401  (registers the section types)
from reportgen.errors import ConfigError
from reportgen.numbers import round_half_up
from reportgen.reports.document import Heading, Para, Table

from .conftest import ROOT, copy_config, pdftotext

DATA = ROOT / "data" / "generated"
ORDER = ["东城区", "西城区", "朝阳区", "海淀区", "丰台区", "石景山区", "门头沟区", "房山区", "通州区", "顺义区",
         "昌平区", "大兴区", "平谷区", "怀柔区", "密云区", "延庆区"]

EDITION = f"""# 下一年的版本：只写与共享的 annual 不同之处
extends: annual
district_order: [{', '.join(ORDER)}]
section_changes:
  - {{id: overview, title: 总体情况}}
  - id: topics
    params:
      columns: [serial, topic, total, units]
      headers: {{topic: 题目, total: 诉求总量（件）}}
"""


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, (path, old)
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def _build(city: Path, kind: str = "annual", period: str = "2023"):
    from reportgen.pipeline import build

    return build(kind, period, city, draw=False)


def _para(doc, pid: str) -> str:
    return next(str(b.html) for b in doc.blocks if isinstance(b, Para) and b.id == pid)


@pytest.fixture(scope="module")
def edition(tmp_path_factory):
    """config/ copied, with an edition in the city's own reports/ folder that the 2023 period file uses."""
    city = copy_config(tmp_path_factory.mktemp("edition") / "config")
    (city / "reports").mkdir()
    (city / "reports" / "annual-next.yaml").write_text(EDITION, encoding="utf-8")
    _edit(city / "periods" / "annual-2023.yaml", "report: annual\n", "report: annual\nstructure: annual-next\n")
    return city


@pytest.fixture(scope="module")
def built(edition):
    return _build(edition)


# --- 1–4: sections by id, found in the city's reports/, the districts' order, a table's columns -------------

def test_the_edition_changes_a_title_by_id_and_keeps_the_rest(built):
    heads = [b.text for b in built.doc.blocks if isinstance(b, Heading)]
    assert heads[0] == "一、总体情况"
    assert "二、群众反映前十类问题情况" in heads                    # every other section as the shared structure has it


def test_the_districts_follow_the_editions_order(built):
    heads = [b.text for b in built.doc.blocks if isinstance(b, Heading)]
    assert heads.index("11.昌平区") < heads.index("12.大兴区")


def test_the_topics_table_has_the_editions_columns(built):
    table = next(b for b in built.doc.blocks if isinstance(b, Table) and b.id == "topics.table")
    assert [c.text for c in table.header] == ["序号", "题目", "诉求总量（件）", "承办量前三位的单位"]
    first = table.groups[0][0]
    assert len(first) == 4 and first[0].text == "1" and not any(c.figure for c in first)


def test_the_edition_renders(edition, tmp_path):
    out = tmp_path / "next.pdf"
    run = subprocess.run([sys.executable, "-m", "reportgen.cli", "render", "annual", "--period", "2023",
                          "--config", str(edition), "--out", str(out)], capture_output=True, text=True, cwd=ROOT)
    assert run.returncode == 0, run.stderr
    text = pdftotext(out, "-layout")
    assert "一、总体情况" in text and "一、总体情况及受理特点" not in text
    assert re.search(r"序号 +题目 +诉求总量（件） +承办量前三位的单位\n", text)
    assert "每月诉求量" not in text


@pytest.mark.parametrize("params, key, problem", [
    ("{columns: [serial, topik]}", "params.columns[1]", "列 “topik” 未知，是否想写 “topic”？可用的列：serial、topic、"
                                                         "monthly、total、units、unit_counts。"),
    ("{headers: {totl: 总量}}", "params.headers.totl", "列 “totl” 未知，是否想写 “total”？"),
    ("{columns: [serial, serial]}", "params.columns", "列 “serial” 写了两次。"),
])
def test_a_misspelt_column_is_refused_naming_the_file_and_key(edition, tmp_path, params, key, problem):
    from reportgen.config import load_config

    city = copy_config(tmp_path / "config")
    (city / "reports").mkdir()
    (city / "reports" / "annual-next.yaml").write_text(
        f"extends: annual\nsection_changes:\n  - {{id: topics, params: {params}}}\n", encoding="utf-8")
    _edit(city / "periods" / "annual-2023.yaml", "report: annual\n", "report: annual\nstructure: annual-next\n")
    with pytest.raises(ConfigError) as exc:
        load_config("annual", "2023", city)
    msg = exc.value.problems[0]          # where the edition wrote it: its file, line and key path
    assert re.match(rf"配置错误：文件 \S+/config/beijing/reports/annual-next\.yaml 第 3 行，键 section_changes\[0\]\."
                    rf"{re.escape(key)}：{re.escape(problem)}", msg), msg


def test_ranking_tables_take_their_columns_from_the_structure(tmp_path):
    from reportgen.config import load_config

    city = copy_config(tmp_path / "config")
    path = city.parent / "reports" / "work-report.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    spec = next(s for s in _walk(data["sections"]) if s.get("type") == "rankings")
    lists = spec["params"]["lists"]
    top = next(i for i, item in enumerate(lists) if item.get("kind", "top") == "top" and item["level"] == "区")
    lists[top]["columns"] = ["rank", "name", "score"]
    lists[top]["headers"] = {"name": "区名"}
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    doc = _build(city, "work-report", "2020").doc
    table = next(b for b in doc.blocks if isinstance(b, Table) and b.id == f"{spec['id']}.{top}")
    assert [c.text for c in table.header] == ["名次", "区名", "综合成绩"]
    rows = [[c.text for c in row] for row in table.groups[0]]
    scores = duckdb.sql(f"SELECT unit, score FROM '{DATA}/assessment/annual-2020.parquet' WHERE level = '区' "
                        "ORDER BY CAST(score AS DECIMAL(9, 4)) DESC").fetchall()
    assert rows[0] == ["1", scores[0][0], str(scores[0][1])]
    lists[top]["columns"] = ["rank", "nmae"]
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    with pytest.raises(ConfigError) as exc:
        load_config("work-report", "2020", city)
    assert "columns 中的列 “nmae” 未知，是否想写 “name”？top 表可用的列：rank、name、district、score、requests、" \
           "months。" in exc.value.problems[0], exc.value.problems[0]


def _walk(sections):
    for s in sections:
        yield s
        yield from _walk(s.get("children", []))


# --- 5: where a taxonomy change's footnote goes, and in which years -----------------------------------------

FOOTNOTE = "2023年4月新增社会培训机构一级分类"


def _with_anchor(tmp_path: Path, anchor: str | None, effective: str | None = None) -> Path:
    city = copy_config(tmp_path / "config")
    tax = city / "taxonomy.yaml"
    if anchor is not None:
        _edit(tax, '  - effective: "2023-04"', f'  - effective: "2023-04"\n    anchor: {anchor}')
    if effective is not None:
        _edit(tax, '  - effective: "2023-04"', f'  - effective: "{effective}"')
    return city


def _calls(doc) -> list[str]:
    return [b.id for b in doc.blocks if isinstance(b, Para) and FOOTNOTE in str(b.html)]


def test_by_default_the_footnote_is_at_the_first_mention(built):
    assert _calls(built.doc) == ["overview.top"]
    assert "社会培训机构<span class=\"fn\">" in _para(built.doc, "overview.top")


@pytest.mark.parametrize("anchor", ["category", "top_categories", "top_categories.社会培训机构.summary"])
def test_an_anchor_puts_the_footnote_in_the_categorys_own_section(tmp_path, anchor):
    doc = _build(_with_anchor(tmp_path, anchor)).doc
    assert _calls(doc) == ["top_categories.社会培训机构.summary"]
    assert _para(doc, "top_categories.社会培训机构.summary").startswith(
        f'<p>社会培训机构<span class="fn">{FOOTNOTE}')
    assert "社会培训机构等问题直接答复占比较高" in _para(doc, "overview.top")
    assert 'data-fn' not in "".join(str(getattr(b, "html", "")) for b in doc.blocks)


def test_an_anchor_where_the_category_is_not_mentioned_falls_back_with_a_notice(tmp_path):
    doc = _build(_with_anchor(tmp_path, "districts")).doc
    assert _calls(doc) == ["overview.top"]
    assert "脚注（社会培训机构的分类调整）应放在 districts，但该处本期没有提及社会培训机构：已放在报告中首次提及之处。" \
        in doc.notices


def test_an_anchor_naming_nothing_is_refused_with_the_file_line_and_key(tmp_path):
    with pytest.raises(ConfigError) as exc:
        _build(_with_anchor(tmp_path, "top_catgories"))
    assert re.match(r"配置错误：文件 \S+/config/beijing/taxonomy\.yaml 第 84 行，键 remaps\[0\]\.anchor：报告结构 "
                    r"\S+/config/reports/annual\.yaml 中没有编号为 “top_catgories” 的章节或段落，是否想写 “top_categories”？"
                    r"可写章节编号（overview、top_categories、features、", exc.value.problems[0]), exc.value.problems[0]


def test_an_older_changes_footnote_is_not_printed_in_a_year_it_does_not_affect(tmp_path):
    """A change effective before anything the report reads (its year and the comparison year) restated nothing
    the report compares: its footnote is not printed, though the category is named."""
    doc = _build(_with_anchor(tmp_path, None, effective="2021-06")).doc
    assert _calls(doc) == []
    assert "社会培训机构等问题直接答复占比较高" in _para(doc, "overview.top")
    # nothing restated into it: the category has no 2022 records, and its summary says so instead of a 同比
    assert _para(doc, "top_categories.社会培训机构.summary").startswith("<p>社会培训机构类问题172.6万件，2022年无此分类，主要反映")


# --- 6: a merger of categories restates the comparison year ---------------------------------------------------

MERGER = """  - effective: "2023-12"
    footnote: "2023年12月起市容环卫与物业管理合并为城市环境与物业一级分类，此前的数据按新分类调整。"
    anchor: category
    map:
      - from: {category_l1: 市容环卫}
        to: {category_l1: 城市环境与物业, category_l2: 环境卫生}
      - from: {category_l1: 物业管理}
        to: {category_l1: 城市环境与物业, category_l2: 物业服务}
"""


def test_a_merger_gives_the_change_on_the_restated_comparison_year(tmp_path):
    city = copy_config(tmp_path / "config")
    tax = city / "taxonomy.yaml"
    _edit(tax, "categories:\n", "categories:\n  城市环境与物业: [环境卫生, 物业服务]\n")
    _edit(tax, "remaps:\n", "remaps:\n" + MERGER)
    period = city / "periods" / "annual-2023.yaml"       # 文体市场管理 leaves the top ten: its commentary goes
    data = yaml.safe_load(period.read_text(encoding="utf-8"))
    del data["commentary"]["top_categories.文体市场管理.trend"]
    period.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    built = _build(city)
    doc = built.doc
    q = ("SELECT sum(count) FROM read_parquet('{f}') WHERE category_l1 IN ('市容环卫', '物业管理')"
         " AND month < '2023-12'")
    now = duckdb.sql(q.format(f=DATA / "records-2023.parquet")).fetchall()[0][0]
    before = duckdb.sql(q.format(f=DATA / "records-2022.parquet")).fetchall()[0][0]
    change = round_half_up((Decimal(now) - before) / before * 100, 1)
    words = f"同比{'上升' if change > 0 else '下降'}{abs(change)}%"
    pid = "top_categories.城市环境与物业.summary"
    text = _para(doc, pid)
    wan = round_half_up(Decimal(now) / 10000, 1)
    assert text.startswith('<p>城市环境与物业<span class="fn">2023年12月起市容环卫与物业管理合并为城市环境与物业一级分类，'
                           f'此前的数据按新分类调整。</span>类问题{wan}万件，{words}，主要反映'), text
    entry = next(e for e in built.manifest.entries if e.where == pid and e.text == str(abs(change)))
    base = entry.how["filters"]["operand2"]
    assert base["period"] == "2022" and base["filters"]["restated"] == [
        "2023-12 分类调整前：市容环卫 → 城市环境与物业 / 环境卫生", "2023-12 分类调整前：物业管理 → 城市环境与物业 / 物业服务"]


# --- 7–8: 特征分析's chart families, the years' order in a chart ---------------------------------------------

CHARTS = [
    {"chart": {"kind": "volume_change", "categories": ["市场管理", "住房", "新型冠状病毒肺炎疫情"],
               "caption": "{{ year }}年部分问题反映量及同比变化", "note": "注：反映量变化参见左侧坐标轴，同比参见右侧坐标轴。"}},
    {"chart": {"kind": "yoy", "categories": ["市场管理", "住房", "新型冠状病毒肺炎疫情"], "caption": "{{ year }}年部分问题同比变化"}},
]


def _count(year: int, l1: str) -> int:
    return duckdb.sql(f"SELECT sum(count) FROM read_parquet('{DATA}/records-{year}.parquet') "
                      f"WHERE category_l1 = '{l1}'").fetchall()[0][0]


@pytest.fixture(scope="module")
def charted(tmp_path_factory):
    """The 2023 period file with two more charts in 特征分析 (only YAML), and the structure's year order reversed."""
    city = copy_config(tmp_path_factory.mktemp("charts") / "config")
    period = city / "periods" / "annual-2023.yaml"
    data = yaml.safe_load(period.read_text(encoding="utf-8"))
    data["sections"]["features"]["intro"] += CHARTS
    period.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return _build(city)


def _figure(doc, fid: str):
    from reportgen.reports.document import Figure

    return next(b for b in doc.blocks if isinstance(b, Figure) and b.id == fid)


def test_volume_change_bars_in_wan_with_the_change_on_a_second_axis(charted):
    fig = _figure(charted.doc, "features.intro.2")
    assert fig.caption == "2023年部分问题反映量及同比变化" and fig.spec.family == "dual"
    bars, line = fig.spec.series
    want = [round_half_up((Decimal(_count(2023, c)) - _count(2022, c)) / 10000, 1) for c in CHARTS[0]["chart"]["categories"]]
    assert bars.labels == tuple(f"{w:.1f}" for w in want) and bars.color == "signed" and bars.axis == "left"
    pct = [round_half_up((Decimal(_count(2023, c)) - _count(2022, c)) * 100 / _count(2022, c), 1)
           for c in CHARTS[0]["chart"]["categories"]]
    assert line.axis == "right" and line.labels == tuple(f"{p:.1f}" for p in pct)
    assert (fig.spec.y_label, fig.spec.y2_label) == ("万件", "%")
    printed = {(e.where, e.text) for e in charted.manifest.entries}
    assert all(("features.intro.2", lab) in printed for lab in (*bars.labels, *line.labels))


def test_yoy_bars_red_up_green_down_with_their_values(charted, tmp_path):
    from reportgen.charts import default_style, render_chart

    fig = _figure(charted.doc, "features.intro.3")
    (bars,) = fig.spec.series
    pct = [round_half_up((Decimal(_count(2023, c)) - _count(2022, c)) * 100 / _count(2022, c), 1)
           for c in CHARTS[1]["chart"]["categories"]]
    assert fig.spec.family == "bar" and bars.color == "signed" and bars.labels == tuple(f"{p:.1f}" for p in pct)
    assert any(p > 0 for p in pct) and any(p < 0 for p in pct)       # both colours are drawn
    style = default_style()
    svg = render_chart(fig.spec, style, tmp_path).read_text(encoding="utf-8")
    assert all(f">{p:.1f}<" in svg for p in pct)
    fills = set(re.findall(r"fill: ?(#[0-9a-f]{6})", svg))
    assert {style.increase_color.lower(), style.decrease_color.lower()} <= fills, fills


def test_two_years_are_drawn_in_chronological_order_unless_the_structure_says_otherwise(charted, built):
    fig = _figure(charted.doc, "districts.东城区.top")
    assert [(s.name, s.color) for s in fig.spec.series] == [("2022年", "palette:1"), ("2023年", "palette:0")]
    assert [s.name for s in _figure(built.doc, "districts.东城区.top").spec.series] == ["2022年", "2023年"]


def test_latest_first_puts_the_report_year_first(tmp_path):
    city = copy_config(tmp_path / "config")
    (city / "reports").mkdir()
    (city / "reports" / "annual-next.yaml").write_text("extends: annual\nyear_order: latest_first\n", encoding="utf-8")
    _edit(city / "periods" / "annual-2023.yaml", "report: annual\n", "report: annual\nstructure: annual-next\n")
    fig = _figure(_build(city).doc, "districts.东城区.top")       # the report year keeps its colour
    assert [(s.name, s.color) for s in fig.spec.series] == [("2023年", "palette:0"), ("2022年", "palette:1")]
