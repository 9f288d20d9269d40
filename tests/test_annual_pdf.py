"""The sample 2023 annual report, rendered once and read back from the PDF."""

import re
import subprocess
from pathlib import Path

import pytest
from pypdf import PdfReader

from reportgen.pipeline import build, render_to_pdf

from .conftest import ROOT, pdftotext

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture(scope="module")
def rendered(tmp_path_factory):
    out = tmp_path_factory.mktemp("annual") / "annual-2023.pdf"
    built = build("annual", "2023", ROOT / "config" / "beijing")
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


def expected_sentences() -> list[str]:
    out = []
    for line in (FIXTURES / "annual-2023-sentences.txt").read_text(encoding="utf-8").splitlines():
        if line and not line.startswith("#"):
            out.append(line.split(" => ")[-1])
    return out


def test_every_published_sentence_is_in_the_pdf(pages):
    text = norm("".join(pages))
    missing = [s for s in expected_sentences() if norm(s) not in text]
    assert missing == []


def test_headings_and_order(pages):
    text = norm("".join(pages))
    heads = ["一、总体情况及受理特点", "二、群众反映前十类问题情况", "（一）市场管理", "（二）社会培训机构", "（三）住房",
             "（四）劳动和社会保障", "（五）交通管理", "（六）公共服务", "（七）城乡建设", "（八）社会秩序",
             "（九）农村管理", "（十）文体市场管理"]
    body = text[text.index("一、总体情况及受理特点", text.index("目录") + 30):]
    positions = [body.find(h) for h in heads]
    assert -1 not in positions and positions == sorted(positions)


def test_cover_and_toc(pages):
    assert norm(pages[0]) == norm("2023年北京12345市民服务热线年度数据分析报告 北京市政务服务和数据管理局 2024 年 3 月")
    assert norm(pages[1]).startswith("目录一、总体情况及受理特点")


def _toc_entries(toc_text: str) -> list[tuple[str, int]]:
    entries = []
    for line in toc_text.splitlines():
        m = re.match(r"^\s*(.+?)\s*\.{3,}\s*(\d+)\s*$", line)
        if m:
            entries.append((m.group(1).replace(" ", ""), int(m.group(2))))
    return entries


def test_toc_page_numbers_are_the_pages_of_the_headings(pages, footers):
    entries = _toc_entries(pages[1])
    assert [t for t, _ in entries][:3] == ["一、总体情况及受理特点", "二、群众反映前十类问题情况", "（一）市场管理"]
    assert len(entries) == 12
    numbered = page_numbers(footers)
    for title, page in entries:
        lines = [norm(line) for line in pages[numbered[page]].splitlines()]
        # the heading is a line of that page (not only mentioned in a sentence)
        assert norm(title) in lines, (title, page)


def test_page_numbers_official_style_and_body_starts_at_one(pages, footers):
    assert footers[0] == "" and footers[1] == ""                # cover and 目录 unnumbered
    assert re.fullmatch(r"—\s*1\s*—", footers[2])
    numbered = page_numbers(footers)
    assert sorted(numbered) == list(range(1, len(pages) - 1))   # every body page, in order
    assert list(numbered.values()) == list(range(2, len(pages)))


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
    assert marks[0] == (0, "一、总体情况及受理特点")
    assert (1, "（一）市场管理") in marks
    assert [t for d, t in marks if d == 0] == ["一、总体情况及受理特点", "二、群众反映前十类问题情况"]
    assert len([t for d, t in marks if d == 1]) == 10


def test_fonts_are_embedded_subsets(rendered):
    _, pdf = rendered
    out = subprocess.run(["pdffonts", str(pdf)], capture_output=True, text=True, check=True).stdout
    rows = out.splitlines()[2:]
    assert rows, out
    names = " ".join(r.split()[0] for r in rows)
    for family in ("FandolFang", "LXGW-WenKai", "Noto-Sans-CJK-SC", "FandolSong", "Noto-Serif-CJK-SC"):
        assert family in names, names
    for r in rows:
        cols = r.split()
        assert re.match(r"^[A-Z]{6}\+", cols[0]), r          # subset
        assert cols[-5] == "yes", r                            # emb


def test_footnotes_at_the_foot_of_their_page(pages):
    page = next(p for p in pages if "共受理群众反映" in norm(p))
    body, _, foot = page.rpartition("¹")
    assert "共受理群众反映¹2143.8万件" in norm(body)
    assert "12345热线及其网络平台接收的群众反映的各类事项" in norm(foot)
    assert "转至承办单位办理" in norm(page)


def test_charts_text_is_text(pages):
    text = norm("".join(pages))
    # chart axis labels and value labels come out of the PDF as text
    assert "线上退费纠纷" in text and "232.2" in text and "12月" in text


def test_no_line_starts_with_closing_punctuation(pages):
    bad = [line for p in pages[2:] for line in p.splitlines() if line and line[0] in "。，、；：？！）》”’"]
    assert bad == []


def test_body_grid_is_about_28_characters_per_line(pages):
    # full lines of pure Chinese text in the body hold 27–28 characters (3号 on a 156 mm line)
    lines = [line.strip() for p in pages[2:] for line in p.splitlines()]
    widths = [len(line) for line in lines if len(line) >= 26 and re.fullmatch(r"[\u4e00-\u9fff，、。“”；：（）]+", line)]
    assert widths and max(widths) <= 28 and min(widths) >= 26
