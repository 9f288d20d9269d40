"""The monthly district brief (考核期工作情况分析) rendered to PDF and read back.

The reference is the 密云区 brief of 考核期 2023-09K (shared/seeds/monthly-2023-09-miyun-district-brief.txt):
every paragraph of sections 一–三 must be in the PDF verbatim, every row of tables 1–4 in its row.
The seed's own inconsistencies (data/assessment/README.md) are named where the test meets them.
"""

from __future__ import annotations

import re
import subprocess
import sys
from decimal import Decimal as D
from pathlib import Path

import pytest
from pypdf import PdfReader

from reportgen.assessment import Rates, composite, load_assessment_config
from reportgen.errors import ConfigError
from reportgen.inputs import load_brief_data
from reportgen.pipeline import build
from reportgen.publish import render_to_pdf, text_of

from .conftest import ROOT, SEEDS, pdftotext
from .test_assessment import SEED_RANK_ERRATA, SEED_TABLES, UNROUNDED

FIXTURE = ROOT / "tests" / "fixtures" / "monthly-2023-09-miyun-sentences.txt"
SENTENCES = [line for line in FIXTURE.read_text(encoding="utf-8").splitlines() if line and not line.startswith("#")]
CASE_DIR = ROOT / "config" / "beijing" / "periods" / "monthly-2023-09" / "密云区"
REPORTGEN = [sys.executable, "-m", "reportgen.cli"]


def _flat(text: str) -> str:
    """pdftotext text without line breaks, page breaks and page-number footers."""
    lines = [line for line in text.replace("\f", "\n").splitlines() if not re.fullmatch(r"\s*—\s*\d+\s*—\s*", line)]
    return "".join(line.strip() for line in lines)


@pytest.fixture(scope="module")
def miyun(tmp_path_factory):
    out = tmp_path_factory.mktemp("brief") / "密云区.pdf"
    built = build("monthly", "2023-09", district="密云区")
    render_to_pdf(built, out)
    return built, out


@pytest.fixture(scope="module")
def text(miyun) -> str:
    return pdftotext(miyun[1])


@pytest.fixture(scope="module")
def layout(miyun) -> str:
    return pdftotext(miyun[1], "-layout")


# --- sections 一–三, verbatim --------------------------------------------------------------------

@pytest.mark.parametrize("sentence", SENTENCES, ids=[s[:16] for s in SENTENCES])
def test_every_paragraph_of_sections_1_to_3_is_in_the_pdf(text, sentence):
    assert sentence in _flat(text)


def test_fixture_is_the_seed_verbatim():
    if not SEEDS.is_dir():
        pytest.skip("shared/seeds is not part of this checkout")
    seed = (SEEDS / "monthly-2023-09-miyun-district-brief.txt").read_text(encoding="utf-8")
    seed_lines = {line.strip() for line in seed.splitlines()}
    assert [s for s in SENTENCES if s not in seed_lines and s != "四、当月典型案例"] == []
    assert "四、当月典型案例" in seed      # printed after an image placeholder in the extraction


def test_headings_in_order_and_title_first(text):
    flat = _flat(text)
    heads = ["9月“接诉即办”考核期工作情况分析", "一、诉求总量情况", "二、诉求办理情况", "（一）镇街成绩", "（二）部门成绩",
             "表1：", "表2：", "表3：", "表4：", "三、万人诉求情况", "四、当月典型案例"]
    positions = [flat.index(h) for h in heads]
    assert positions == sorted(positions) and positions[0] == 0


# --- tables 1–4, row by row -----------------------------------------------------------------------

def _table_blocks(layout: str) -> dict[str, str]:
    parts = re.split(r"(表[1-4])：", layout)
    blocks = {parts[i]: parts[i + 1] for i in range(1, len(parts) - 1, 2)}
    blocks["表4"] = blocks["表4"].split("三、万人诉求情况")[0]
    return blocks


def _expected(table: str, row: dict) -> list[str]:
    rank = SEED_RANK_ERRATA.get((table, row["unit"]), (row["rank"], row["rank"]))[1]
    cells = [str(rank), row["unit"], str(row["counted"]), *[f"{r}%" for r in row["rates"]]]
    if table in ("直派+转派+从办", "部门自办+从办"):
        cells.append("—" if row["bonus"] is None else str(row["bonus"]))
    cells.append(f"{row['composite']:.2f}")       # 表1 prints 98.3 and 98.2 (seed inconsistency 8): we print 98.30
    if table == "直派":
        cells += [str(row["city_rank"]), row["change"]]
    return cells


ROWS = [(n, t, r) for n, (t, rows) in enumerate(SEED_TABLES.items(), start=1) for r in rows]


@pytest.mark.parametrize("number,table,row", ROWS, ids=[f"表{n}-{r['unit']}" for n, _, r in ROWS])
def test_every_table_value_is_in_its_row(layout, number, table, row):
    block = _table_blocks(layout)[f"表{number}"]
    lines = [line.split() for line in block.splitlines() if row["unit"] in line.split()]
    assert len(lines) == 1, f"{row['unit']} should be on exactly one line of 表{number}"
    cells = [c for c in lines[0] if c not in ("一类", "二类", "部门")]    # the 分类 cell, printed once a group
    assert cells == _expected(table, row)


def test_table_3_ranks_by_the_computed_score_not_the_seeds_misprints(layout):
    # seed inconsistency 1: 东邵渠镇 (97.11) printed 7th beside 十里堡镇 (97.27); 河南寨镇 (96.20) 11th beside
    # 古北口镇 (96.89).  Competition ranks on the composite make them 8th and 12th.
    block = _table_blocks(layout)["表3"]
    ranks = {line.split()[1]: int(line.split()[0]) for line in block.splitlines()
             if line.split() and line.split()[0].isdigit() and len(line.split()) > 5}
    assert ranks["十里堡镇"] == 7 and ranks["东邵渠镇"] == 8
    assert ranks["古北口镇"] == 11 and ranks["河南寨镇"] == 12
    assert ranks["鼓楼街道"] == ranks["新城子镇"] == 17 and ranks["溪翁庄镇"] == 19     # a real tie: 93.53


def test_each_composite_is_recomputed_from_its_three_rates(miyun):
    """The printed composite is 0.1·响应率 + 0.5·解决率 + 0.4·满意率 + 加分项 of the data, half-up to 0.01."""
    built, _ = miyun
    cfg = load_assessment_config()
    asm = load_brief_data(built.cfg).assessment
    checked = 0
    for table, rows in SEED_TABLES.items():
        for row in rows:
            u = next(u for u in asm.units if u.period == "2023-09K" and u.district == "密云区"
                     and u.table == table and u.unit == row["unit"])
            assert composite(u.rates, u.bonus, cfg.weights, 2) == row["composite"]
            from_printed = composite(Rates(*row["rates"]), row["bonus"], cfg.weights, 2)
            # seed inconsistency 2: 13 rows were computed by the city from unrounded rates
            assert abs(from_printed - row["composite"]) == (D("0.01") if (table, row["unit"]) in UNROUNDED else 0)
            checked += 1
    assert checked == 20 * 3 + 34


def test_table_4_names_each_class_once_per_group(miyun):
    built, _ = miyun
    table = next(b for b in built.doc.blocks if b.kind == "table" and b.id == "table_dept")
    firsts = [g[0][1] for g in table.groups]
    assert [(c.text, c.rowspan) for c in firsts] == [("一类部门", 22), ("二类部门", 12)]
    assert all(len(row) == 8 for g in table.groups for row in g[1:])      # no class cell after the first row
    assert table.caption == "表4：市级考评各部门诉求办理情况统计表（自办+从办）"


def test_a_class_cell_cut_by_a_page_break_is_repeated_on_the_next_page(miyun):
    """表4 runs over two pages inside the 一类部门 group: the class opens the continuation as Word repeats it."""
    _, pdf = miyun
    pages = [pdftotext(pdf, "-f", str(i), "-l", str(i)) for i in range(1, len(PdfReader(pdf).pages) + 1)]
    on = [i for i, p in enumerate(pages) if "表4" in p or "密云企业管理公司" in p]
    first, rest = on[0], [i for i in on if i > on[0]]
    assert rest, "the sample's 表4 no longer runs over a page: choose another case"
    flat = [_flat(p) for p in pages]
    assert "一类" in flat[first] and "一类" in flat[rest[0]]           # both parts name their class


def test_table_headers_repeat_on_every_page(layout):
    pages = layout.split("\f")
    table_pages = [p for p in pages if re.search(r"^\s*\d+\s+\S+\s+\d+\s+[\d.]+%", p, re.M)]
    assert len(table_pages) >= 3
    assert all("响应率" in p and "解决率" in p and "满意率" in p for p in table_pages)


# --- section 四: the typical case with its photos --------------------------------------------------

def test_case_text_and_photos(miyun, text):
    built, pdf = miyun
    flat = _flat(text)
    # the sample's photos are drawings: their captions say so (示意图), so that nobody sends them as photos
    captions = ("悦欣汇小区新增设的电动自行车充电棚（示意图）", "居民在充电棚内为电动自行车充电（示意图）", "社区新安装的健身器材（示意图）")
    for caption in captions:
        assert caption in flat
    prose = flat
    for caption in captions:            # a photo's caption is extracted where the photo stands, inside the text
        prose = prose.replace(caption, "")
    for paragraph in (CASE_DIR / "case.md").read_text(encoding="utf-8").split("\n\n"):
        words = re.sub(r"!\[[^\]]*\]\([^)]*\)", "", paragraph).strip()
        if words:
            assert words in prose
    photos = [b for b in built.doc.blocks if b.kind == "photos"]
    assert [(b.placement, len(b.photos)) for b in photos] == [("row", 2), ("beside", 1)]
    row = photos[0].photos
    assert row[0].height_mm == row[1].height_mm                     # one height in a row
    assert abs(sum(p.width_mm for p in row) + 6 - 156) < 0.05 or row[0].height_mm == 72.0
    # WeasyPrint shares one resource dictionary between pages: each photo is embedded once
    images = list({img.name: img for page in PdfReader(pdf).pages for img in page.images}.values())
    assert len(images) == 3
    for img, photo in zip(sorted(images, key=lambda i: -i.image.width), [*row, photos[1].photos[0]]):
        # scaled to the printed size at 300 dpi, not the camera's pixels
        assert img.image.width <= round(photo.width_mm / 25.4 * 300) + 1


def test_per10k_chart_of_every_district_in_rank_order(miyun, text):
    built, _ = miyun
    figures = [b for b in built.doc.blocks if b.kind == "figure"]
    assert [f.id for f in figures] == ["per10k.chart"]
    chart = figures[0]
    assert chart.caption == "9月考核期各区万人诉求比"
    flat = _flat(text)
    # under 三's paragraph, before 四
    assert flat.index("三、万人诉求情况") < flat.index("9月考核期各区万人诉求比") < flat.index("四、当月典型案例")
    assert len(chart.spec.categories) == 16 and chart.spec.y_label == "件/万人"
    labels = dict(zip(chart.spec.categories, chart.spec.series[0].labels))
    # the labels are the figures the paragraph prints: the district's own and the city's front three
    assert labels["密云区"] == "372.71"
    assert list(chart.spec.categories[:3]) == ["大兴区", "昌平区", "门头沟区"] and labels["大兴区"] == "197.06"
    assert list(chart.spec.categories).index("密云区") == 14                      # 排名第15位
    values = chart.spec.series[0].values
    assert list(values) == sorted(values)


def test_a_district_without_a_case_leaves_section_4_out(tmp_path):
    built = build("monthly", "2023-09", district="东城区")
    assert built.doc.omitted == ["当月典型案例"]
    assert "四、" not in "".join(h.text for h in built.doc.headings)
    assert any("东城区没有当月典型案例" in n for n in built.doc.notices)


def test_photo_outside_the_district_folder_is_refused(project_copy):
    case = project_copy / "periods" / "monthly-2023-09" / "密云区" / "case.md"
    case.write_text("正文。\n\n![说明](../../../profile.yaml)\n", encoding="utf-8")
    with pytest.raises(ConfigError) as exc:
        build("monthly", "2023-09", config_dir=project_copy, district="密云区")
    assert "第 3 行，图片 “../../../profile.yaml” 不在本区的文件夹" in str(exc.value)


# --- other districts, overlays, determinism, CLI ------------------------------------------------

@pytest.mark.parametrize("district", ["东城区", "延庆区"])
def test_other_districts_have_the_same_sentences_with_their_own_figures(district):
    built = build("monthly", "2023-09", district=district)
    data = load_brief_data(built.cfg)
    d = data.assessment.district_score("2023-09K", district)
    flat = text_of(built.html).replace("\u200b", "")
    assert f"我区共受理“12345”市民服务热线群众诉求{d.requests}件，环比" in flat
    assert f"综合成绩{d.composite:.2f}分，排名第" in flat
    assert f"本月纳入市级考评工单{d.counted}件" in flat
    assert re.search(r"我区万人诉求比为\d+\.\d\d件/万人，环比(上升|下降)\d+\.\d\d件/万人，排名第\d+位。", flat)
    assert "大兴区、昌平区、门头沟区万人诉求比位居全市前三" in flat
    assert len([b for b in built.doc.blocks if b.kind == "table"]) == 4


def test_district_overlay_replaces_a_paragraph(project_copy):
    folder = project_copy / "periods" / "monthly-2023-09" / "延庆区"
    folder.mkdir(parents=True)
    (folder / "brief.yaml").write_text(
        "commentary:\n  per10k.text:\n    after: 我区将持续做好{{ district }}群众诉求的源头治理。\n", encoding="utf-8")
    built = build("monthly", "2023-09", config_dir=project_copy, district="延庆区")
    paras = {b.id: b for b in built.doc.blocks if b.kind == "para"}
    assert "我区将持续做好延庆区群众诉求的源头治理。" in paras["per10k.text.after"].html


def test_unknown_district_is_named_with_a_suggestion():
    with pytest.raises(ConfigError) as exc:
        build("monthly", "2023-09", district="密云")
    assert str(exc.value) == ("配置错误：区 “密云” 不在 config/beijing/profile.yaml 的 districts 中。是否想写 “密云区”？"
                              "可用的区：东城区、西城区、朝阳区、海淀区、丰台区、石景山区、门头沟区、房山区、通州区、顺义区、"
                              "大兴区、昌平区、平谷区、怀柔区、密云区、延庆区。")


def test_the_brief_needs_a_district():
    with pytest.raises(ConfigError) as exc:
        build("monthly", "2023-09")
    assert "按区生成，请用 --district 指定区" in str(exc.value)


def test_same_inputs_give_byte_identical_briefs(miyun, tmp_path):
    again = tmp_path / "again.pdf"
    render_to_pdf(build("monthly", "2023-09", district="密云区"), again)
    assert again.read_bytes() == miyun[1].read_bytes()


def test_every_number_in_the_brief_is_in_the_manifest(miyun):
    from reportgen.check import check
    from reportgen.publish import manifest_path

    _, pdf = miyun
    assert check(pdf, manifest_path(pdf), ["12345热线", "北京市"]) == []


def test_check_reads_each_number_against_its_own_block(miyun, tmp_path):
    """A wrong figure that equals a figure printed elsewhere is caught: 95.21 (the district's composite) is printed
    in 一 and again in 三's paragraph on the streets; with it missing from that paragraph's entries (as if the
    paragraph printed a number it did not compute) the check names the paragraph, although 95.21 is in the
    manifest (of 一) — the whole-report check before blocks let it pass."""
    import json

    from reportgen.check import check
    from reportgen.publish import manifest_path

    _, pdf = miyun
    data = json.loads(manifest_path(pdf).read_text(encoding="utf-8"))
    where = {e["where"] for e in data["numbers"] if e["text"] == "95.21"}
    assert "streets.transfer" in where and len(where) >= 2          # computed once, printed in several blocks
    data["numbers"] = [e for e in data["numbers"] if not (e["text"] == "95.21" and e["where"] == "streets.transfer")]
    del data["pdf_sha256"]
    bad = tmp_path / "m.json"
    bad.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    unknown = check(pdf, bad, ["12345热线", "北京市"])
    assert [str(u) for u in unknown] == [
        "第 1 页：数字 95.21 不在所在段落 streets.transfer 的数据清单中"
        "（所在行：“合成绩7.75分，低于我区市级考核综合成绩（95.21分）5.88分，”）"]
    # without the blocks' positions (a manifest of an earlier version) the number is found elsewhere and passes
    del data["blocks"]
    bad.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    assert check(pdf, bad, ["12345热线", "北京市"]) == []


def test_a_figure_shared_by_two_paragraphs_is_in_both(miyun):
    """The streets' two paragraphs are written from one set of figures: each paragraph's entries hold the figures
    it prints, whichever paragraph formatted them first (provenance by value, not by call order)."""
    built, _ = miyun
    by_block: dict[str, set[str]] = {}
    for e in built.manifest.entries:
        by_block.setdefault(e.where, set()).add(e.text)
    assert {"89.33", "95.21", "95.48", "7.75", "5.88", "1.24"} <= by_block["streets.transfer"]
    assert {"97.08", "95.21"} <= by_block["streets.direct"]


def test_cli_single_district(tmp_path):
    out = tmp_path / "brief.pdf"
    run = subprocess.run([*REPORTGEN, "render", "monthly", "--period", "2023-09", "--district", "密云区", "--out", str(out)],
                         capture_output=True, text=True, cwd=ROOT)
    assert run.returncode == 0, run.stderr
    assert re.match(rf"已生成 {re.escape(str(out))}（\d+ 页，[\d.]+ 秒）", run.stdout)
    assert out.is_file()


def test_cli_all_districts_one_failure_does_not_stop_the_others_and_formats_add_the_docx(project_copy, tmp_path):
    bad = project_copy / "periods" / "monthly-2023-09" / "东城区"
    bad.mkdir(parents=True)
    (bad / "case.md").write_text("正文。\n\n![照片](missing.jpg)\n", encoding="utf-8")
    out = tmp_path / "briefs"
    run = subprocess.run([*REPORTGEN, "render", "monthly", "--period", "2023-09", "--all-districts",
                          "--config", str(project_copy), "--out", str(out), "--workers", "2", "--formats", "pdf,docx"],
                         capture_output=True, text=True, cwd=ROOT, env={"COLUMNS": "200", "PATH": "/usr/bin:/bin"})
    assert run.returncode == 1
    written = sorted(p.stem for p in out.glob("*.pdf"))                   # named as a reader names them
    assert len(written) == 15 and "东城区2023年9月考核期工作情况分析" not in written
    assert "密云区2023年9月考核期工作情况分析" in written
    assert sorted(p.stem for p in out.glob("*.docx")) == written           # the .docx beside each PDF written
    assert re.search(r"密云区2023年9月考核期工作情况分析\.pdf（另有 \.docx）", run.stdout)
    assert not list(out.glob("*.part"))
    assert "共 16 个区：成功 15，失败 1" in run.stdout
    assert ("东城区：配置错误：文件 config/beijing/periods/monthly-2023-09/东城区/case.md 第 3 行，找不到图片 “missing.jpg”"
            not in run.stdout)   # paths are shown as given, the copy lives elsewhere
    assert re.search(r"^东城区：配置错误：文件 \S+/monthly-2023-09/东城区/case\.md 第 3 行，找不到图片 “missing\.jpg”", run.stdout, re.M)
    assert re.search(r"密云区\s*│\s*成功\s*│\s*7", run.stdout)


def _line_ends(pdf: Path, page: int) -> list[float]:
    """Where each line of body text (3号, 16 pt; not a photo's 10.5 pt caption) ends, from the glyph positions.
    A closing mark at a line's end may be set at half width: its blank half then lies past the edge, and the
    line ends where the mark's ink does."""
    import pymupdf

    pg = pymupdf.open(str(pdf))[page - 1]
    edge = (210 - (26 if page % 2 else 28)) / 25.4 * 72
    bottom = (297 - 35) / 25.4 * 72            # the type area's lower edge; the page number is below it
    ends = []
    for b in pg.get_text("rawdict")["blocks"]:
        for line in b.get("lines", []):
            chars = [c for sp in line["spans"] if sp["size"] >= 15 for c in sp["chars"]]
            if not chars or chars[-1]["origin"][1] > bottom:
                continue
            end = chars[-1]["bbox"][2]
            if chars[-1]["c"] in "）〕〉》」』】”’、，。．：；？！" and end > edge + 4:
                end -= 8.0
            ends.append(end)
    return ends


@pytest.mark.parametrize("page", [1, 7])        # 7: the case's text (三's chart moved it from page 6)
def test_chinese_lines_are_justified_to_the_right_edge(miyun, page):
    """Full lines of Chinese text end at the right edge of the type area (inter-character justification):
    no line stops short of it by up to a character, as WeasyPrint alone leaves them, and none runs past it."""
    ends = _line_ends(miyun[1], page)
    edge = (210 - (26 if page % 2 else 28)) / 25.4 * 72      # the type area's right edge, in pt
    assert max(ends) < edge + 1.5
    # within 4 pt of the edge (a full-width bracket or comma at the end of a line keeps its own blank half);
    # unjustified, such lines stop short by up to a character (16 pt)
    ragged = [e for e in ends if edge - 15 < e < edge - 4]
    assert ragged == [] and sum(e >= edge - 4 for e in ends) >= 8


def test_layout_a_typesetter_accepts(miyun):
    """No stretched line, no number spread apart, no ragged line, no part-empty page, nothing past the edge."""
    from .layout import measure

    found = measure(miyun[1] if isinstance(miyun, tuple) else miyun)
    assert found.counts() == (0, 0, 0, 0, 0), found


def test_text_is_the_golden_text(miyun):
    from .conftest import assert_golden_text

    assert_golden_text(miyun[1], "monthly-2023-09-密云区")
