"""The standalone HTML (``--html``, reportgen/render/standalone.py) and the invisible characters (issue 20, item 8).

* The file is self-contained: its @font-face rules carry the fonts as data: URIs, subset to the characters each face
  sets; the charts are inline SVG (their labels in the embedded Noto Sans CJK SC); nothing is read from elsewhere.
  Chromium, given no CJK font of its own, loads every embedded face and keeps the PDF's lines.
* No output carries a zero-width space, joiner, word joiner, BOM or soft hyphen into copied text: not the --html
  (monthly brief and annual report), not the preview's HTML, not the PDF's text (pdftotext).  The break
  opportunities typeset.py adds are ``<wbr>`` elements.
"""

from __future__ import annotations

import base64
import io
import re
import subprocess
import sys
from types import SimpleNamespace

import pytest
from fontTools.ttLib import TTFont
from markupsafe import Markup

from .conftest import ROOT, pdftotext

INVISIBLE = ["\u200b", "\u200c", "\u200d", "\u2060", "\ufeff", "\u00ad"]
FONTS = ROOT / "fonts"
#: the face each @font-face rule of templates/report.css names
ORIGINAL = {("FandolFang", 400): "FandolFang-Regular.otf", ("FandolSong", 400): "FandolSong-Regular.otf",
            ("cwTeX FangSong", 400): "cwfs.ttf", ("AR PL UKai CN", 400): "ARPLUKaiCN.ttf",
            ("Noto Sans CJK SC", 400): "NotoSansCJKsc-Regular.otf", ("Noto Sans CJK SC", 700): "NotoSansCJKsc-Bold.otf",
            ("Noto Serif CJK SC", 700): "NotoSerifCJKsc-Bold.otf"}
BODY_STACK = [("FandolFang", 400), ("cwTeX FangSong", 400), ("Noto Sans CJK SC", 400)]   # html's font-family
SANS, KAI, TITLE = [("Noto Sans CJK SC", 400)], [("AR PL UKai CN", 400)], [("Noto Serif CJK SC", 700)]
HTML_NS, SVG_NS = "{http://www.w3.org/1999/xhtml}", "{http://www.w3.org/2000/svg}"


def _original_cmap(face) -> frozenset[int]:
    font = TTFont(FONTS / ORIGINAL[face], lazy=True)
    try:
        return frozenset(font.getBestCmap())
    finally:
        font.close()


def embedded_faces(html: str) -> dict[tuple[str, int], TTFont]:
    """The fonts of the file's @font-face rules, read back from their data: URIs; every rule must carry one."""
    css = re.search(r"<style>(.*?)</style>", html, re.S).group(1)
    out = {}
    for rule in re.findall(r"@font-face\s*\{([^}]*)\}", css):
        family = re.search(r'font-family:\s*"([^"]+)"', rule).group(1)
        weight = int(re.search(r"font-weight:\s*(\d+)", rule).group(1))
        src = re.fullmatch(r'\s*src:\s*url\("data:font/woff2;base64,([A-Za-z0-9+/=]+)"\)\s*format\("woff2"\);\s*',
                           rule.split(";", 2)[2])
        assert src, f"{family} {weight}: {rule[:200]}"
        font = TTFont(io.BytesIO(base64.b64decode(src.group(1))))
        assert font.flavor == "woff2"
        assert (font["name"].getDebugName(16) or font["name"].getDebugName(1)).startswith(family)
        assert (family, weight) not in out
        out[(family, weight)] = font
    return out


def _texts(html: str):
    """(element, text) of every displayed text run: each element's own text and its children's tails."""
    import tinyhtml5

    def walk(el, chain):
        name = el.tag.split("}")[-1]
        if name in ("head", "style", "script", "metadata", "defs"):
            return
        chain = chain + [el]
        if el.text:
            yield chain, el.text
        for child in el:
            yield from walk(child, chain)
            if child.tail:
                yield chain, child.tail

    yield from walk(tinyhtml5.parse(html), [])


def _cls(el) -> list[str]:
    return (el.get("class") or "").split()


def _stack_of(chain) -> list[tuple[str, int]] | None:
    """The family list report.css gives the text of the innermost element of ``chain``, for the elements whose text
    this test checks (the nearest element that decides it); None for the others."""
    if chain[-1].tag.startswith(SVG_NS):
        return SANS if chain[-1].tag == SVG_NS + "text" else None     # the charts' labels
    for k in range(len(chain) - 1, -1, -1):
        el, cls = chain[k], _cls(chain[k])
        name = el.tag.removeprefix(HTML_NS)
        parent = _cls(chain[k - 1]) if k else []
        if name == "strong" and any("para" in _cls(p) for p in chain[:k]):
            return SANS                                                # analysts' emphasis: 黑体
        if name == "h1":
            return TITLE
        if name == "h2" or name == "th" or "table-caption" in cls or "toc-l1" in cls:
            return SANS
        if name == "h3" or "toc-l2" in cls or "cover-issuer" in cls or "cover-date" in cls:
            return KAI
        if name == "h4":                                               # bold: FandolFang's one face, synthesised
            return [("FandolFang", 400), ("cwTeX FangSong", 400), ("Noto Sans CJK SC", 700)]
        if name == "figcaption":
            return KAI if "photo" in parent else SANS
        if name == "td" or {"para", "table-note", "fn-notes", "chart-note"} & set(cls):
            return BODY_STACK
    return None


def assert_each_character_is_in_its_face(html: str, faces: dict) -> int:
    """Each character of the checked elements is in the subset of the face a browser sets it in: the first family of
    the element's list whose (whole) font has it.  Returns the number of characters checked."""
    subsets = {k: frozenset(f.getBestCmap()) for k, f in faces.items()}
    originals = {k: _original_cmap(k) for k in ORIGINAL}
    checked, missing = 0, []
    for chain, text in _texts(html):
        stack = _stack_of(chain)
        if stack is None:
            continue
        for ch in text:
            if ch in " \t\r\n\f":
                continue
            face = next((f for f in stack if ord(ch) in originals[f]), None)
            assert face is not None, f"{ch!r}: in none of {stack}"
            checked += 1
            if ord(ch) not in subsets.get(face, ()):
                missing.append((ch, face))
    assert missing == []
    return checked


def _all_text(html: str) -> set[str]:
    return {ch for _, text in _texts(html) for ch in text if ch not in " \t\r\n\f"}


def _assert_no_invisible(text: str, where: str) -> None:
    found = {f"U+{ord(c):04X}" for c in INVISIBLE if c in text}
    assert found == set(), f"{where}: {sorted(found)}"


def _assert_every_wbr_is_a_quote_break(html: str) -> int:
    """The break opportunities typeset.py adds: each before an opening or after a closing quotation mark."""
    body = html[html.index("<body"):]
    flat = re.sub(r"<(?!wbr>)[^>]+>", "", body)                    # the text with only the <wbr> elements
    pairs = re.findall(r"(.)<wbr>(.)", flat, re.S)
    assert pairs and len(pairs) == flat.count("<wbr>")
    assert [p for p in pairs if not (p[0] in "”’" or p[1] in "“‘")] == []
    return len(pairs)


# ---- the monthly brief, as the command line writes it -------------------------------------------------------

@pytest.fixture(scope="module")
def brief(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("standalone")
    pdf, html = tmp / "b.pdf", tmp / "b.html"
    run = subprocess.run([sys.executable, "-m", "reportgen.cli", "render", "monthly", "--period", "2023-09",
                          "--district", "密云区", "--out", str(pdf), "--html", str(html)],
                         capture_output=True, text=True, cwd=ROOT)
    assert run.returncode == 0, run.stderr
    return pdf, html.read_text(encoding="utf-8"), html.stat().st_size


@pytest.fixture(scope="module")
def brief_built():
    from reportgen.pipeline import build

    return build("monthly", "2023-09", district="密云区")


def test_the_brief_html_embeds_the_faces_it_uses_as_woff2_data_uris(brief):
    _, html, _ = brief
    faces = embedded_faces(html)
    # the brief sets nothing in FandolSong (folios are the PDF's), cwTeX FangSong (no character FandolFang lacks) or
    # bold Noto Sans: those rules are left out
    assert sorted(faces) == [("AR PL UKai CN", 400), ("FandolFang", 400), ("Noto Sans CJK SC", 400),
                             ("Noto Serif CJK SC", 700)]


def test_the_brief_html_reads_nothing_from_outside_the_file(brief):
    _, html, _ = brief
    assert re.findall(r"url\((?![\"']?(?:data:|#))", html) == []
    assert re.findall(r'\bsrc="(?!data:)', html) == []
    assert re.findall(r'\bhref="(?!#)', html) == []
    assert "file:" not in html and "fonts/" not in html and "http://" not in html.replace(
        "http://www.w3.org/", "")


def test_the_brief_fonts_are_subsets_and_the_file_stays_small(brief):
    _, html, size = brief
    faces = embedded_faces(html)
    for face, font in faces.items():
        subset, original = frozenset(font.getBestCmap()), _original_cmap(face)
        assert subset <= original
        assert len(subset) <= len(_all_text(html)) + 40, face     # the document's characters (and their closure)
        assert len(subset) < len(original) / 20, face
    assert size < 1_000_000, size                                   # ~0.65 MB: three photos, a chart, four faces


def test_each_character_of_the_brief_is_in_the_embedded_face_that_sets_it(brief):
    _, html, _ = brief
    faces = embedded_faces(html)
    assert assert_each_character_is_in_its_face(html, faces) > 2000
    covered = set().union(*(f.getBestCmap() for f in faces.values()))
    assert {c for c in _all_text(html) if ord(c) not in covered} == set()


def test_the_brief_charts_are_inline_svg_with_ids_of_their_own(brief, brief_built):
    _, html, _ = brief
    assert "data:image/svg+xml" not in html
    charts = re.findall(r'<svg [^>]*class="chart" role="img" aria-label="([^"]*)"', html)
    assert charts == [f.caption for f in brief_built.doc.figures]
    ids = re.findall(r'\bid="([^"]+)"', html)
    assert len(ids) == len(set(ids))
    refs = set(re.findall(r"url\(#([^)]+)\)", html)) | set(re.findall(r'href="#([^"]+)"', html))
    assert refs and refs <= set(ids)


def test_the_brief_has_no_invisible_character_in_its_html_or_its_pdf_text(brief):
    pdf, html, _ = brief
    _assert_no_invisible(html, "--html")
    _assert_no_invisible(pdftotext(pdf), "pdftotext")
    assert _assert_every_wbr_is_a_quote_break(html) >= 10


def test_chromium_without_cjk_fonts_loads_every_embedded_face_and_keeps_the_pdfs_lines(brief, tmp_path):
    """Chromium with a fontconfig that has no CJK font: the Chinese can only be drawn in the embedded faces.  Every
    face loads, and each line the PDF has (a <span class="ln">) is one line of the page, inside the type area."""
    import pymupdf
    from playwright.sync_api import sync_playwright

    from .test_preview import CHROMIUM

    pdf, html, _ = brief
    page_file = tmp_path / "b.html"
    page_file.write_text(html, encoding="utf-8")
    conf = tmp_path / "fonts.conf"
    conf.write_text('<?xml version="1.0"?><fontconfig><dir>/usr/share/fonts/truetype/dejavu</dir>'
                    f"<cachedir>{tmp_path / 'fc'}</cachedir></fontconfig>", encoding="utf-8")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"],
                                    env={"FONTCONFIG_FILE": str(conf), "HOME": str(tmp_path)})
        try:
            pg = browser.new_page(viewport={"width": 1000, "height": 1400})
            pg.goto(page_file.as_uri())
            got = pg.evaluate("""async () => {
                await document.fonts.ready;
                const area = document.querySelector('main').getBoundingClientRect();
                return {
                  faces: [...document.fonts].map(f => [f.family, +f.weight, f.status]),
                  lines: [...document.querySelectorAll('.ln')].map(s => ({
                    text: s.textContent,
                    tops: [...new Set([...s.getClientRects()].map(r => Math.round(r.top)))],
                    over: Math.max(s.getBoundingClientRect().right - area.right, area.left - s.getBoundingClientRect().left),
                  })),
                };
            }""")
        finally:
            browser.close()
    assert sorted(got["faces"]) == sorted([f, w, "loaded"] for f, w in embedded_faces(html))
    lines = got["lines"]
    assert len(lines) > 30
    assert [ln["text"] for ln in lines if len(ln["tops"]) != 1 or ln["over"] > 1.0] == []
    # the same lines as the PDF: each span's text is a line of the PDF (its characters on one baseline)
    printed = set()
    for page in pymupdf.open(pdf):
        rows: dict[int, list] = {}
        for block in page.get_text("rawdict")["blocks"]:
            for line in block.get("lines", []):
                for span in line["spans"]:
                    for c in span["chars"]:
                        rows.setdefault(round(c["origin"][1]), []).append((c["origin"][0], c["c"]))
        printed |= {"".join(c for _, c in sorted(cs)).strip() for cs in rows.values()}
    assert [ln["text"] for ln in lines if ln["text"] not in printed] == []


def test_the_previews_html_has_no_invisible_character(brief_built):
    from reportgen.preview.app import _report_parts

    css, body, _ = _report_parts(SimpleNamespace(built=brief_built))
    _assert_no_invisible(css + body, "preview")
    assert body.count("<wbr>") == brief_built.html.count("<wbr>") == _assert_every_wbr_is_a_quote_break(
        "<body>" + body)


# ---- the annual report --------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def annual(tmp_path_factory):
    from reportgen.pipeline import build
    from reportgen.publish import render_to_pdf, standalone_html

    out = tmp_path_factory.mktemp("annual-standalone") / "annual-2023.pdf"
    built = build("annual", "2023", ROOT / "config" / "beijing")
    render_to_pdf(built, out)
    return built, out, standalone_html(built)


def test_the_annual_pdf_text_and_html_have_no_invisible_character(annual):
    built, pdf, html = annual
    _assert_no_invisible(pdftotext(pdf), "pdftotext")
    _assert_no_invisible(html, "--html")
    assert _assert_every_wbr_is_a_quote_break(html) == built.html.count("<wbr>") >= 10


def test_the_annual_html_is_self_contained_and_its_characters_are_in_their_faces(annual):
    built, _, html = annual
    faces = embedded_faces(html)
    assert sorted(faces) == [("AR PL UKai CN", 400), ("FandolFang", 400), ("Noto Sans CJK SC", 400),
                             ("Noto Serif CJK SC", 700)]
    assert assert_each_character_is_in_its_face(html, faces) > 10000
    assert re.findall(r"url\((?![\"']?(?:data:|#))", html) == [] and "<img " not in html
    assert html.count(' class="chart" role="img"') == len(built.doc.figures)
    assert len(html.encode("utf-8")) < 2_000_000                    # ~1.4 MB: 72 charts and four faces


def test_the_annual_footnotes_follow_their_paragraph_numbered_as_in_the_pdf(annual):
    built, pdf, html = annual
    shown = [(int(n), re.sub(r"<[^>]+>", "", t)) for n, t in
             re.findall(r'<p id="fn-(\d+)"><sup>\d+</sup>(.*?)</p>', html, re.S)]
    calls = [int(n) for n in re.findall(r'<a class="fn-call" href="#fn-(\d+)">\d+</a>', html)]
    assert built.html.count('<span class="fn"') == len(shown) == 4 and 'class="fn"' not in html
    assert calls == [n for n, _ in shown] == [1, 2, 3, 4]
    text = pdftotext(pdf)
    for n, t in shown:                                             # the notes the PDF prints at the page's foot
        assert re.search(rf"^{re.escape(t[:12])}", text, re.M), (n, t)


# ---- the pieces -----------------------------------------------------------------------------------------------

def test_an_analysts_invisible_characters_are_not_written():
    from reportgen.reports.document import Document, Heading, Para
    from reportgen.render import render_html

    doc = Document(kind="monthly", title="标题", issuer="单位", date="", document_date="2024-01-01", layout="brief",
                   blocks=[Heading(1, "一、", "总\u200b体\ufeff情况", "h1"),
                           Para("p", Markup("<p>共受理\u200b“12345”\u2060热线\u00ad诉求\u200c\u200d件。</p>"))])
    html = render_html(doc)
    _assert_no_invisible(html, "render_html")
    assert "一、总体情况" in html
    # stripped before typesetting: the quotes still get their break opportunities
    assert '<p>共受理<wbr>“12345”<wbr>热线诉<span class="nw">求件。</span></p>' in html


def test_a_wbr_is_set_as_the_zero_width_space_the_pdf_had():
    """lines.py reads typeset's <wbr> as the zero-width space it read before: the lines, and so the PDF, are those
    of the earlier code (render_pdf writes the space into the text before layout: typeset.wbr_as_zwsp)."""
    from markupsafe import escape

    from reportgen.render.lines import set_lines
    from reportgen.render.typeset import typeset, wbr_as_zwsp

    text = ("本月纳入市级考评工单12382件，环比上升4.08%。其中“考核三率”工单7022件：“双满工单”6458件，"
            "“双否工单”308件（含51件区级“双满”工单），“单否工单”85件。")
    inner = str(typeset(escape(text)))
    assert inner.count("<wbr>") == 10 and "\u200b" not in inner
    html = f'<main class="body"><div class="para" data-id="x"><p>{inner}</p></div></main>'
    assert set_lines(html, FONTS) == set_lines(wbr_as_zwsp(html), FONTS)
    assert set_lines(html, FONTS).count('<span class="ln"') == 3


def test_a_character_fandolfang_lacks_is_embedded_in_cwtex_fangsong():
    from reportgen.render.standalone import Face, assign_characters
    from reportgen.render.glyphs import _cmap

    css = (ROOT / "templates" / "report.css").read_text(encoding="utf-8")
    faces = {k: Face(k[0], k[1], False, FONTS / f, _cmap(str(FONTS / f))) for k, f in ORIGINAL.items()}
    assert ord("漷") not in faces[("FandolFang", 400)].cmap and ord("漷") in faces[("cwTeX FangSong", 400)].cmap
    html = ('<html><head><style></style></head><body><main class="body"><h4 class="h3">1.漷县镇</h4>'
            '<div class="para"><p>漷县<strong>重点</strong></p></div><h2 class="h1">一、总体</h2></main></body></html>')
    assign_characters(html, css, list(faces.values()))
    got = {k: "".join(sorted(f.chars)) for k, f in faces.items() if f.chars}
    # the bold 1. heading takes FandolFang's one face (synthetic bold, as in the PDF); strong is 黑体
    assert got == {("FandolFang", 400): "".join(sorted("1.县镇")), ("cwTeX FangSong", 400): "漷",
                   ("Noto Sans CJK SC", 400): "".join(sorted("重点一、总体"))}
