"""The 2020 接诉即办 work report (工作年度报告) rendered from the sample data and read back from the PDF.

Reference: shared/seeds/annual-2020-jiesujiban-work-report.txt.  Every figure-bearing sentence of its sections
一 to 四 (tests/fixtures/work-2020-sentences.txt) must be in the PDF's text, and its ranking lists must be the
PDF's.  Where the seed contradicts itself or varies its own wording, the sentence is expected with the
report's one consistent form instead; DEVIATIONS names each case and the note of
data/targets/work-2020-notes.md that explains it, and the test checks that the seed's form is really absent.
"""

from __future__ import annotations

import re
import subprocess
import sys

import pytest

from reportgen.pipeline import build
from reportgen.publish import render_to_pdf

from .conftest import ROOT, SEEDS, pdftotext

FIXTURE = ROOT / "tests" / "fixtures" / "work-2020-sentences.txt"
SENTENCES = [line for line in FIXTURE.read_text(encoding="utf-8").splitlines() if line and not line.startswith("#")]
REPORTGEN = [sys.executable, "-m", "reportgen.cli"]

# seed's form → the PDF's form (after normalisation), and why
DEVIATIONS = {
    "环比上升26%": ("环比上升26.00%", "#11: one change printed without decimals; the report prints two everywhere"),
    "占全年的25.56%": ("占全年的25.06%", "#2: 3.7 万 of 14.8 万 cannot be 25.56%; the data keeps 3.7 万"),
    "从全年诉求承办情况看，11月份承办诉求量最多": ("从全年诉求办理情况看，11月份办理诉求量最多",
                                        "#8: 东城区's sentence alone says 承办 for the same quantity"),
    "4月份承办诉求最少": ("4月份办理诉求最少", "#8: as above"),
    "办理量排名前三街道": ("办理量排名前三的街道", "通州区's sentence alone drops 的"),
    "梨园镇（10961件）": ("梨园镇（1.1万件）", "#9: counts from 1 万 up are printed in 万 everywhere else"),
    "占各区办理量的2.8%": ("占各区办理量的2.80%", "#11: two decimals like the other districts"),
    "占各区办理量的3.6%": ("占各区办理量的3.60%", "#11"),
    "占比41.7%": ("占比41.70%", "#11"),
    "（房山区、顺义区、昌平区、大兴区、": ("（房山区、顺义区、大兴区、昌平区、",
                                "the zone lists its members in the districts' order (三 (一): 大兴区 before 昌平区)"),
}


def norm(text: str) -> str:
    """No whitespace (the extraction's spaces around numbers, line breaks), one width of punctuation."""
    text = re.sub(r"\s+", "", text).replace("\u200b", "")
    return text.translate(str.maketrans({",": "，", ";": "；", "(": "（", ")": "）", ":": "："}))


def flat(pdf_text: str) -> str:
    lines = [ln for ln in pdf_text.replace("\f", "\n").splitlines() if not re.fullmatch(r"\s*—\s*\d+\s*—\s*", ln)]
    return norm("".join(lines))


def expected(sentence: str) -> str:
    out = norm(sentence)
    for seed_form, (ours, _) in DEVIATIONS.items():
        out = out.replace(seed_form, ours)
    return out


@pytest.fixture(scope="module")
def work(tmp_path_factory):
    out = tmp_path_factory.mktemp("work") / "work-2020.pdf"
    built = build("work-report", "2020")
    render_to_pdf(built, out)
    return built, out


@pytest.fixture(scope="module")
def text(work) -> str:
    return flat(pdftotext(work[1]))


@pytest.mark.parametrize("sentence", SENTENCES, ids=[s[:18] for s in SENTENCES])
def test_every_figure_bearing_sentence_of_sections_1_to_4_is_in_the_pdf(text, sentence):
    assert expected(sentence) in text
    if expected(sentence) != norm(sentence):
        assert norm(sentence) not in text


def test_every_deviation_is_met_and_real(text):
    joined = "\n".join(norm(s) for s in SENTENCES)
    for seed_form, (ours, why) in DEVIATIONS.items():
        assert seed_form in joined, f"no sentence has {seed_form} ({why})"
        assert ours in text and seed_form not in text


def test_fixture_is_the_seed_verbatim():
    if not SEEDS.is_dir():
        pytest.skip("shared/seeds is not part of this checkout")
    seed = (SEEDS / "annual-2020-jiesujiban-work-report.txt").read_text(encoding="utf-8")
    joined = re.sub(r"\n[ \t]*(?=\n)", "\n", seed)        # the extraction's space-only lines
    joined = re.sub(r"\n+", "", joined)
    assert [s for s in SENTENCES if s not in joined] == []


def test_headings_in_the_seeds_order(text):
    heads = ["一、总体情况", "二、市民来电及热点分析", "（一）疫情防控", "（十）教育", "三、诉求办理情况", "（一）各区办理分布情况",
             "1.东城区", "16.延庆区", "（二）功能区办理分布情况", "1.中心城区及副中心办理情况", "2.平原新城办理情况",
             "3.生态涵养区办理情况", "（三）市属机构办理情况", "（四）国有企业办理情况", "四、考核排名情况", "（一）各区排名情况",
             "（二）街道（乡镇）排名情况", "（三）市属机构排名情况", "（四）国有企业排名情况"]
    body = text[text.index("一、总体情况", text.index("一、总体情况") + 1):]     # after the 目录
    pos = [body.find(h) for h in heads]
    assert -1 not in pos, [h for h, p in zip(heads, pos) if p == -1]
    assert pos == sorted(pos)
    assert "经济技术开发区共办理" not in text           # an area, not one of the 16 districts (#5)


def test_the_ten_categories_of_both_years(text):
    assert ("群众来电前十类问题分别是疫情防控、市场管理、公共服务、住房、医疗卫生、城乡建设、交通管理、社会秩序、劳动和社会保障、教育。"
            in text)
    assert "疫情防控类问题共来电107.7万件，1万件以上" in text           # new in 2020: no 环比


def test_handling_by_unit_class(text):
    assert ("办理最多的区是朝阳区，最多的街道（乡镇）是丰台区新村街道，最多的市属机构是市公安局，最多的国有企业是公交集团。"
            in text)
    assert "2020年办理量最多的前十位市级部门" in text and "2020年办理量最多的前十位国有企业" in text


def table(work, tid: str) -> list[list[str]]:
    doc = work[0].doc
    t = next(b for b in doc.blocks if getattr(b, "id", None) == tid)
    return [[c.text for c in row] for group in t.groups for row in group]


TARGETS = __import__("yaml").safe_load((ROOT / "data" / "targets" / "work-2020.yaml").read_text(encoding="utf-8"))
A = TARGETS["assessment"]


def test_district_rankings_equal_the_seeds(work, text):
    assert table(work, "district_ranks.0") == [[str(i), d] for i, d in enumerate(A["districts_composite_top3"], 1)]
    assert table(work, "district_ranks.1") == [[str(i), d] for i, d in enumerate(A["districts_volume_top3"], 1)]
    assert "各区综合成绩排名前三名次区1怀柔区2大兴区3东城区" in text        # one page: caption, header, rows
    assert "各区办理量排名前三名次区1朝阳区2海淀区3丰台区" in text


def test_street_top_thirty_equals_the_seeds(work, text):
    want = [[str(i["rank"]), f"{i['district']}{i['street']}"] for i in A["streets_composite_top30"]]
    want[11][0] = "11"        # 滨河街道 shares 马昌营镇's score: the district list's 并列第一名 (#7)
    assert table(work, "street_ranks.0") == want
    for rank, name in want:
        assert f"{rank}{name}" in text


def test_each_districts_first_streets_equal_the_seeds(work, text):
    want = {r["district"]: r["printed"] for r in A["district_streets_top3"]}
    # 通州区: 临河里街道 is 26th city-wide (#6), so it heads its district; 潮县镇 is 漷县镇 (#8)
    want["通州区"] = "临河里街道、新华街道、漷县镇"
    rows = table(work, "street_ranks.1")
    assert {d: places for _, d, places in rows} == want
    # rows in the districts' order of 三 (一) and profile.yaml; the seed's table alone puts 昌平区 before 大兴区
    assert [d for _, d, _ in rows] == [d["district"] for d in TARGETS["handling"]["districts"]]
    assert [n for n, _, _ in rows] == [str(i) for i in range(1, 17)]
    for _, _district, places in rows:
        assert norm(places) in text


def test_city_bodies_and_enterprises_split_by_months(work, text):
    for tid, level, n in (("body_ranks", "市属机构", 52), ("enterprise_ranks", "国有企业", 44)):
        more, fewer = table(work, f"{tid}.0.more"), table(work, f"{tid}.0.fewer")
        assert len(more) + len(fewer) == n and more and fewer
        assert more[0][0] == "1" and fewer[0][0] == "1"
        assert f"有7个月以上考评成绩的{level}排名" in text and f"有6个月以下考评成绩的{level}排名" in text


def test_the_analysts_text_is_marked_and_typed_figures_are_noted(work):
    paras = {b.id: b for b in work[0].doc.blocks if type(b).__name__ == "Para"}
    assert paras["rankings.intro"].overridden and paras["top.住房.trend"].overridden
    assert not paras["districts.东城区.summary"].overridden


def test_every_number_in_the_report_is_in_the_manifest(work):
    from reportgen.check import check
    from reportgen.publish import manifest_path

    assert check(work[1], manifest_path(work[1]), ["12345热线", "北京市", "12345", "12315", "12320"]) == []


def test_cli_renders_the_work_report(tmp_path):
    out = tmp_path / "work.pdf"
    run = subprocess.run([*REPORTGEN, "render", "work-report", "--period", "2020", "--out", str(out)],
                         capture_output=True, text=True, cwd=ROOT)
    assert run.returncode == 0, run.stderr
    assert out.read_bytes().startswith(b"%PDF") and "已生成" in run.stdout + run.stderr


def test_opening_paragraph_before_1_and_closing_part_after_4(work, text):
    toc_end = text.index("一、总体情况")                          # the 目录's entry
    body = text.index("一、总体情况", toc_end + 1)
    opening = text.index("2020年，北京市“接诉即办”改革工作深入贯彻党的十九大")
    assert toc_end < opening < body
    closing = text.index("当前，“接诉即办”改革工作还存在一些问题和不足。")
    assert closing > text.index("有6个月以下考评成绩的国有企业排名")
    assert text.endswith("助推基层治理体系治理能力提档升级。")
    blocks = work[0].doc.blocks
    assert blocks[0].id == "preface" and blocks[-1].id == "closing"


def test_paragraphs_run_on_where_the_seed_runs_on(work):
    from reportgen.publish import text_of

    paras = {b.id: norm(text_of(str(b.html))) for b in work[0].doc.blocks if type(b).__name__ == "Para"}
    # the total and the analysts' reasons for its rise are one paragraph, the work items then follow
    assert "环比2019年上升55.24%。上升的主要原因：一是" in paras["overview.total"]
    assert "overview.total.after" not in paras
    # 三's opening: where the requests went, then each handler level's part, in one paragraph
    assert "占比4.91%。在2020年通过派单方式办理的448.71万件群众诉求中，区级部门办理" in paras["handling.intro"]
    assert "handling.levels" not in paras


def test_districts_chart_of_both_years_and_each_districts_chart_names_it(work, text):
    districts = [d["district"] for d in TARGETS["handling"]["districts"]]
    figs = {f.id: f for f in work[0].doc.figures}
    both = figs["districts.compare"]
    assert both.caption == "2019年和2020年各区办理情况"
    assert both.spec.family == "grouped_bar" and list(both.spec.categories) == districts
    assert [s.name for s in both.spec.series] == ["2019年", "2020年"]
    assert all(v and v > 0 for s in both.spec.series for v in s.values)
    y2019, y2020 = (dict(zip(districts, s.values)) for s in both.spec.series)
    assert max(y2020, key=y2020.get) == "朝阳区" and y2020["东城区"] == pytest.approx(16.7, abs=0.05)
    # under （一）, before its first district
    start = text.index("（一）各区办理分布情况", text.index("四、考核排名情况") + 1)     # after the 目录
    assert start < text.index("2019年和2020年各区办理情况") < text.index("1.东城区", start)
    captions = [figs[f"districts.{d}.monthly"].caption for d in districts]
    assert captions == [f"2020年{d}承办量及前五类问题每月变化趋势图" for d in districts]
    for c in captions:
        assert c in text


def test_layout_a_typesetter_accepts(work):
    """No stretched line, no number spread apart, no ragged line, no part-empty page, nothing past the edge."""
    from .layout import measure

    found = measure(work[1])
    assert found.counts() == (0, 0, 0, 0, 0), found


def test_text_is_the_golden_text(work):
    from .conftest import assert_golden_text

    assert_golden_text(work[1], "work-report-2020")


def test_the_docx_has_the_pdfs_paragraphs_in_order_its_tables_images_footnotes_and_sentences(work, tmp_path):
    from reportgen.publish import write_docx_file

    from .docx_checks import check_docx_against_pdf, check_libreoffice_opens_it, docx_text

    built, pdf = work
    path = write_docx_file(built, tmp_path / "work-2020.docx")
    check_docx_against_pdf(built, pdf, path)
    text = norm(docx_text(path))
    assert [s for s in SENTENCES if expected(s) not in text] == []
    check_libreoffice_opens_it(built, path, tmp_path, min_pages=10)
