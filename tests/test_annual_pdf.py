"""The sample 2023 annual report, rendered once and read back from the PDF."""

import re
import subprocess
from pathlib import Path

import pytest
from pypdf import PdfReader

from reportgen.pipeline import build
from reportgen.publish import render_to_pdf

from .conftest import ROOT, pdftotext

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture(scope="module", params=["2023", "2022"])
def edition(request):
    return request.param


@pytest.fixture(scope="module")
def rendered(tmp_path_factory, edition):
    out = tmp_path_factory.mktemp("annual") / f"annual-{edition}.pdf"
    built = build("annual", edition, ROOT / "config" / "beijing")
    render_to_pdf(built, out, strict=True)
    return built, out


@pytest.fixture(scope="module")
def pages(rendered):
    _, pdf = rendered
    n = len(PdfReader(pdf).pages)
    return [pdftotext(pdf, "-f", str(i), "-l", str(i)) for i in range(1, n + 1)]


@pytest.fixture(scope="module")
def footers(rendered):
    """Text of each page's footer band (below the type area: 262 mm → 290 mm from the top)."""
    _, pdf = rendered
    n = len(PdfReader(pdf).pages)
    return [pdftotext(pdf, "-f", str(i), "-l", str(i), "-x", "0", "-y", "743", "-W", "595", "-H", "80").strip()
            for i in range(1, n + 1)]


def page_numbers(footers) -> dict[int, int]:
    """printed page number → PDF page index (0-based)."""
    out = {}
    for i, f in enumerate(footers):
        m = re.fullmatch(r"—\s*(\d+)\s*—", f)
        if m:
            out[int(m.group(1))] = i
    return out


def norm(s: str) -> str:
    return re.sub(r"\s+", "", s).replace("(", "（").replace(")", "）")


def expected_sentences(edition) -> list[str]:
    out = []
    for line in (FIXTURES / f"annual-{edition}-sentences.txt").read_text(encoding="utf-8").splitlines():
        if line and not line.startswith("#"):
            out.append(line.split(" => ")[-1])
    return out


SUPERSCRIPTS = "⁰¹²³⁴⁵⁶⁷⁸⁹"


def body_text(pdf) -> str:
    """The running text in reading order: words set in the body size (16 pt) and footnote calls; without
    footers, footnote bodies, chart labels or table cells, so that a sentence broken across pages reads whole."""
    out = subprocess.run(["pdftotext", "-enc", "UTF-8", "-bbox", str(pdf), "-"], capture_output=True, text=True,
                         check=True).stdout
    words = re.findall(r'<word xMin="[\d.]+" yMin="([\d.]+)" xMax="[\d.]+" yMax="([\d.]+)">([^<]*)</word>', out)
    import html

    keep = [html.unescape(w) for y0, y1, w in words if float(y1) - float(y0) >= 15.5]
    return "".join(keep)


def plain(sentence: str) -> str:
    """A fixture sentence without its footnote calls (they are set as raised small digits, apart from the text)."""
    return "".join(c for c in sentence if c not in SUPERSCRIPTS)


def test_every_published_sentence_is_in_the_pdf(rendered, pages, edition):
    _, pdf = rendered
    body, everything = norm(body_text(pdf)), norm("".join(pages))
    missing = [s for s in expected_sentences(edition)
               if (norm(s[1:]) not in everything if s[0] in SUPERSCRIPTS else norm(plain(s)) not in body)]
    assert missing == []


HEADINGS = {
    "2023": ["一、总体情况及受理特点", "二、群众反映前十类问题情况", "（一）市场管理", "（二）社会培训机构", "（三）住房",
             "（四）劳动和社会保障", "（五）交通管理", "（六）公共服务", "（七）城乡建设", "（八）社会秩序",
             "（九）农村管理", "（十）文体市场管理", "三、群众反映特征分析", "（一）民生服务保障加大，市政服务类问题占比下降",
             "（四）热点事件和政策调整期间，相关反映有明显变化", "四、群众诉求办理情况", "（一）区及街道乡镇承办情况",
             "1.东城区", "16.延庆区", "（二）市级部门承办情况", "（三）国有企业承办情况", "（四）“每月一题”相关诉求情况"],
    "2022": ["一、总体情况", "二、群众反映前十类日常问题情况", "（一）市场管理", "（五）教育", "（十）物业管理",
             "三、群众诉求办理情况", "（一）区及街道乡镇承办情况", "1.东城区", "16.延庆区", "（二）市属机构承办情况",
             "（三）国有企业承办情况", "（四）“每月一题”相关诉求情况"],
}


def test_headings_and_order(pages, edition):
    lines = [norm(line) for p in pages[2:] for line in p.splitlines()]
    positions = [lines.index(h) if h in lines else -1 for h in HEADINGS[edition]]
    assert -1 not in positions and positions == sorted(positions)


COVERS = {"2023": "2023年北京12345市民服务热线年度数据分析报告 北京市政务服务和数据管理局 2024 年 3 月",
          "2022": "2022年北京12345市民服务热线年度数据分析报告 北京市政务服务管理局"}


def test_cover_and_toc(pages, edition):
    assert norm(pages[0]) == norm(COVERS[edition])
    assert norm(pages[1]).startswith("目录一、总体情况")


def _toc_entries(toc_text: str) -> list[tuple[str, int]]:
    entries = []
    for line in toc_text.splitlines():
        m = re.match(r"^\s*(.+?)\s*\.{3,}\s*(\d+)\s*$", line)
        if m:
            entries.append((m.group(1).replace(" ", ""), int(m.group(2))))
    return entries


def toc_pages(pages) -> int:
    """The 目录 runs from page 2 to the page before the first numbered page."""
    return next(i for i, p in enumerate(pages) if i > 1 and not norm(p).startswith("目录") and
                re.search(r"\.{4,}\s*\d+\s*$", p, re.M) is None)


def test_toc_page_numbers_are_the_pages_of_the_headings(pages, footers, rendered, edition):
    built, _ = rendered
    toc_text = "\n".join(pages[1:toc_pages(pages)])
    entries = _toc_entries(toc_text)
    expected = [h.text for h in built.doc.headings if h.level <= built.doc.toc_levels]
    assert [t for t, _ in entries] == [norm(e) for e in expected]
    assert len(entries) == {"2023": 12 + 1 + 4 + 1 + 4 + 16, "2022": 12 + 5 + 16}[edition]     # 1.–16. the districts
    numbered = page_numbers(footers)
    for title, page in entries:
        lines = [norm(line) for line in pages[numbered[page]].splitlines()]
        # the heading is a line of that page (not only mentioned in a sentence)
        assert norm(title) in lines, (title, page)


def test_page_numbers_official_style_and_body_starts_at_one(pages, footers):
    front = toc_pages(pages)
    first = next(i for i, f in enumerate(footers) if f)
    assert first >= front and first % 2 == 0                        # the body starts on a right-hand page
    assert all(norm(p) == "" for p in pages[front:first])            # only a blank page between 目录 and body
    assert re.fullmatch(r"—\s*1\s*—", footers[first])
    numbered = page_numbers(footers)
    assert sorted(numbered) == list(range(1, len(numbered) + 1))   # every numbered page, in order
    blank = [i for i in range(front, len(pages)) if i not in numbered.values()]
    assert all(norm(pages[i]) == "" for i in blank)                # only blank pages go unnumbered


def test_page_labels_are_the_printed_folios_and_bookmarks_open(rendered, footers):
    _, pdf = rendered
    reader = PdfReader(pdf)
    labels = reader.page_labels
    numbered = page_numbers(footers)
    assert len(numbered) > 20 and all(labels[i] == str(n) for n, i in numbered.items())
    first = numbered[1]
    assert labels[:first] == ["i", "ii", "iii", "iv", "v"][:first]        # cover and 目录
    assert reader.trailer["/Root"]["/PageMode"] == "/UseOutlines"


def test_bookmarks_mirror_headings(rendered):
    _, pdf = rendered
    reader = PdfReader(pdf)

    def walk(items, depth=0):
        for it in items:
            if isinstance(it, list):
                yield from walk(it, depth + 1)
            else:
                yield depth, it.title

    marks = list(walk(reader.outline))
    built, _ = rendered
    assert marks == [(h.level - 1, h.text) for h in built.doc.headings]


def test_fonts_are_embedded_subsets(rendered):
    _, pdf = rendered
    out = subprocess.run(["pdffonts", str(pdf)], capture_output=True, text=True, check=True).stdout
    rows = out.splitlines()[2:]
    assert rows, out
    names = " ".join(r.split()[0] for r in rows)
    for family in ("FandolFang", "AR-PL-UKai-CN", "Noto-Sans-CJK-SC", "FandolSong", "Noto-Serif-CJK-SC"):
        assert family in names, names
    for r in rows:
        cols = r.split()
        assert re.match(r"^[A-Z]{6}\+", cols[0]), r          # subset
        assert cols[-5] == "yes", r                            # emb


def _calls_and_markers(pdf):
    """Per page: footnote calls (raised small digits in a body line) and footnote markers (small raised digits
    starting a line of the footnote area), each as (number, font, x gap to the preceding glyph)."""
    import pymupdf

    out = []
    for page in pymupdf.open(str(pdf)):
        calls, markers = [], []
        for b in page.get_text("rawdict")["blocks"]:
            for line in b.get("lines", []):
                spans = line["spans"]
                for k, sp in enumerate(spans):
                    text = "".join(c["c"] for c in sp["chars"]).strip()
                    if not text.isdigit() or sp["size"] > 10:
                        continue
                    if k > 0 and spans[k - 1]["size"] >= 15:
                        prev = spans[k - 1]
                        raised = prev["origin"][1] - sp["origin"][1]
                        gap = sp["chars"][0]["origin"][0] - prev["chars"][-1]["bbox"][2]
                        calls.append((int(text), sp["font"], round(gap, 1), round(raised, 1)))
                    elif k == 0 and len(spans) > 1 and spans[1]["size"] >= 10:
                        markers.append((int(text), sp["font"], round(spans[1]["origin"][1] - sp["origin"][1], 1),
                                        sp["origin"][1]))
        out.append((calls, markers))
    return out


def test_footnotes_are_real_superscripts_at_the_foot_of_their_page(rendered, pages):
    _, pdf = rendered
    found = _calls_and_markers(pdf)
    all_calls = [c for calls, _ in found for c in calls]
    assert len(all_calls) >= 2
    for calls, markers in found:
        # each call has its footnote on the same page; the same face (the body's 仿宋) for calls and markers
        assert sorted(c[0] for c in calls) == sorted(m[0] for m in markers)
        for n, font, gap, raised in calls:
            assert "FandolFang" in font and gap < 1.0 and raised > 3, (n, font, gap, raised)
        for n, font, _, _ in markers:
            assert "FandolFang" in font, (n, font)
    # numbered 1, 2, 3 … through the report
    assert [c[0] for c in all_calls] == list(range(1, len(all_calls) + 1))
    page = next(p for p in pages if "共受理群众反映" in norm(p))
    assert "12345热线及其网络平台接收的群众反映的各类事项" in norm(page)
    assert "转至承办单位办理" in norm(page)
    # the text copies clean: no superscript code points
    assert not any(c in SUPERSCRIPTS for p in pages for c in p)
    assert re.search(r"共受理群众反映\d+\.\d万件", norm(body_text(pdf)))


def test_layout_a_typesetter_accepts(rendered):
    """No stretched line, no number spread apart, no ragged line, no part-empty page, nothing past the edge."""
    from .layout import measure

    _, pdf = rendered
    found = measure(pdf)
    assert found.counts() == (0, 0, 0, 0, 0), found


def test_charts_text_is_text(pages, edition):
    text = norm("".join(pages))
    # chart axis labels and value labels come out of the PDF as text
    assert "网络交易" in text and {"2023": "232.2", "2022": "58.2"}[edition] in text and "12月" in text


def test_topics_table_totals_and_top3_units(rendered, pages, edition):
    import yaml

    built, _ = rendered
    table = next(b for b in built.doc.blocks if getattr(b, "kind", "") == "table")
    rows = []
    for group in table.groups:
        row = group[0]
        rows.append([row[1].text, int(row[3].text), [[u, int(n)] for u, n in zip(row[4].lines, row[5].lines)]])
    expected = yaml.safe_load((FIXTURES / "topics.yaml").read_text(encoding="utf-8"))[edition]
    for got, exp in zip(rows, expected):
        if exp[0] is not None:
            assert got[0] == exp[0]
        assert got[1:] == exp[1:]
    assert len(rows) == len(expected)
    # the table's header repeats on every page the table runs over
    table_pages = [p for p in pages if "承办量前三位" in p or re.search(r"\b125560\b|\b150290\b", p)]
    assert len(table_pages) >= 2 and all("承办量前三位" in p for p in table_pages)


def test_every_number_in_the_pdf_is_in_the_manifest(rendered):
    from reportgen.check import check
    from reportgen.publish import manifest_path

    _, pdf = rendered
    assert check(pdf, manifest_path(pdf), ["12345热线", "北京市"]) == []


def test_check_catches_a_number_that_is_not_in_the_manifest(rendered, tmp_path):
    import json

    from reportgen.check import check
    from reportgen.publish import manifest_path

    _, pdf = rendered
    data = json.loads(manifest_path(pdf).read_text(encoding="utf-8"))
    data["numbers"] = [e for e in data["numbers"] if e["text"] not in ("1089.4", "883.5")]
    bad = tmp_path / "m.json"
    bad.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    unknown = check(pdf, bad, ["12345热线", "北京市"])
    assert unknown and {u.number for u in unknown} <= {"1089.4", "883.5"}


def body_lines(pdf) -> list[str]:
    """Each line of body text (16 pt) as set on the page, from the glyph positions (pdftotext splits a line
    where a compressed punctuation mark overlaps the next glyph's box)."""
    import pymupdf

    out = []
    for page in list(pymupdf.open(str(pdf)))[2:]:
        for b in page.get_text("rawdict")["blocks"]:
            for line in b.get("lines", []):
                chars = [c["c"] for sp in line["spans"] if sp["size"] >= 15 for c in sp["chars"]]
                if chars:
                    out.append("".join(chars).strip())
    return out


def test_no_line_starts_with_closing_punctuation(rendered):
    _, pdf = rendered
    bad = [line for line in body_lines(pdf) if line and line[0] in "。，、；：？！）》”’"]
    assert bad == []


def test_body_grid_is_about_28_characters_per_line(rendered):
    # full lines of pure Chinese text in the body hold 27–29 characters (3号 on a 156 mm line; a line may hold
    # one more when its punctuation is set at half width)
    _, pdf = rendered
    lines = body_lines(pdf)
    widths = [len(line) for line in lines if len(line) >= 26 and re.fullmatch(r"[\u4e00-\u9fff，、。“”；：（）]+", line)]
    assert widths and max(widths) <= 29 and min(widths) >= 26


RUN_ON = {
    # paragraph id → the generated sentence's end and the analysts' continuation, one paragraph as in the seed
    "2023": {"overview.channels": "占比17.4%。电话渠道全年各月接通率稳定在98%左右",
             "districts.streets": "承办量的22.9%。其中朝阳区、大兴区、丰台区"},
    "2022": {"overview.reception": "占比88.36%。2022年直接答复量大幅上升",
             "districts.streets": "承办量的35.88%。其中朝阳区、海淀区、通州区"},
}


def test_analysts_text_runs_on_in_the_generated_paragraph(rendered, edition):
    from reportgen.publish import text_of

    built, _ = rendered
    paras = {b.id: norm(text_of(str(b.html))) for b in built.doc.blocks if getattr(b, "kind", "") == "para"}
    for pid, joined in RUN_ON[edition].items():
        assert joined in paras[pid], (pid, paras[pid][:80])
        assert f"{pid}.after" not in paras


def test_handling_section_charts(rendered, pages, edition):
    """四 (2022: 三) 群众诉求办理情况: the districts' chart, one chart a district, and the top ten of the city
    bodies and of the enterprises."""
    built, _ = rendered
    blocks = built.doc.blocks
    start = next(i for i, b in enumerate(blocks) if getattr(b, "kind", "") == "heading" and b.level == 1
                 and b.title == "群众诉求办理情况")
    figures = [b for b in blocks[start:] if getattr(b, "kind", "") == "figure"]
    assert len(figures) == 1 + 16 + 2
    label = {"2023": "市级部门", "2022": "市属机构"}[edition]
    captions = [f"{edition}年承办量最多的前十位{label}", f"{edition}年承办量最多的前十位国有企业"]
    assert [f.caption for f in figures[-2:]] == captions
    assert [len(f.spec.categories) for f in figures[-2:]] == [10, 10]
    text = norm("".join(pages))
    for c in captions:
        assert c in text


def test_topics_table_states_its_unit(rendered, pages):
    built, _ = rendered
    table = next(b for b in built.doc.blocks if getattr(b, "kind", "") == "table")
    header = [c.text for c in table.header]
    assert "诉求总量（件）" in header and "承办量（件）" in header
    # printed as 诉求总量 / （件） on two lines; the one-line header of the next column (承办量前三位的单位) sits
    # between them in pdftotext's reading order
    assert re.search(r"诉求总量(承办量前三位的单位)?（件）", norm("".join(pages)))


def test_text_is_the_golden_text(rendered, edition):
    from .conftest import assert_golden_text

    assert_golden_text(rendered[1], f"annual-{edition}")


# --- the same report as an editable .docx (issue 18) -----------------------------------------------------

@pytest.fixture(scope="module")
def word(rendered, tmp_path_factory):
    from reportgen.publish import write_docx_file

    built, pdf = rendered
    return write_docx_file(built, tmp_path_factory.mktemp("docx") / f"{pdf.stem}.docx")


def test_the_docx_has_the_pdfs_paragraphs_in_order_its_tables_images_footnotes_and_sentences(rendered, word, edition):
    from .docx_checks import check_docx_against_pdf, docx_text

    built, pdf = rendered
    check_docx_against_pdf(built, pdf, word)
    text = norm(docx_text(word))
    assert [s for s in expected_sentences(edition) if norm(s[1:] if s[0] in SUPERSCRIPTS else plain(s)) not in text] == []
    if edition == "2023":       # the four footnote calls of the 2023 report (受理诉求 …, 社会培训机构, …)
        assert sum(str(getattr(b, "html", "")).count('<span class="fn">') for b in built.doc.blocks) == 4


def test_libreoffice_opens_the_docx_with_a_toc_whose_page_numbers_are_right_and_the_folios(rendered, word, tmp_path):
    from .docx_checks import check_libreoffice_opens_it

    check_libreoffice_opens_it(rendered[0], word, tmp_path, min_pages=20)


def test_without_libreoffice_the_docx_is_written_and_the_user_told_that_word_fills_the_toc(rendered, monkeypatch):
    import dataclasses

    from reportgen.publish import start_docx

    built, _ = rendered
    built = dataclasses.replace(built, doc=dataclasses.replace(built.doc, notices=[]))
    monkeypatch.setenv("REPORTGEN_UNO_PYTHON", "/nonexistent/python3")
    data = start_docx(built).finish()
    assert data.startswith(b"PK")
    assert built.doc.notices == ["提示：未找到 LibreOffice（soffice 与 python3-uno），Word 文档目录的页码将在 Word 打开文档时填入"
                                 "（LibreOffice、WPS 中可按“更新目录”填入）。"]


def test_a_cancelled_docx_leaves_no_libreoffice_running(rendered, edition):
    import os

    from reportgen.publish import start_docx

    if edition == "2022":
        pytest.skip("checked once, on the 2023 edition")
    job = start_docx(rendered[0])
    assert job.layout is not None and job.layout.proc is not None
    group = job.layout.proc.pid
    job.cancel()                 # the PDF's render failed: LibreOffice and its children are stopped
    with pytest.raises(ProcessLookupError):
        os.killpg(group, 0)
    assert not job.layout.tmp.exists()
