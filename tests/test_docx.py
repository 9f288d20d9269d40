"""The report as an editable .docx (issue 18): the same paragraphs in the same order as the PDF, real tables with a
repeated header row, real footnotes, one image per chart and photo, GB/T 9704 page set-up; LibreOffice opens it
(converted headless to PDF, as a reader would) with the “— N —” folios and every heading."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import zipfile

import docx
import pytest
from docx.oxml.ns import qn

from reportgen.pipeline import build
from reportgen.publish import render_to_pdf, write_docx_file
from reportgen.reports.document import Heading, Photos, Table

from .conftest import ROOT, pdftotext
from .docx_checks import check_docx_against_pdf, docx_text

FONTCONFIG = ROOT / "templates" / "fontconfig" / "fonts.conf"


@pytest.fixture(scope="module")
def brief(tmp_path_factory):
    out = tmp_path_factory.mktemp("docx")
    built = build("monthly", "2023-09", district="密云区")
    pdf = render_to_pdf(built, out / "brief.pdf")
    path = write_docx_file(built, out / "brief.docx")
    return built, pdf, path


def _squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


def test_the_paragraphs_are_the_pdfs_in_the_same_order_and_every_sentence_is_in_it(brief):
    built, pdf, path = brief
    check_docx_against_pdf(built, pdf, path)
    d = docx.Document(str(path))
    assert [p.style.name for p in d.paragraphs if p.text == built.doc.headings[0].text] == ["Heading 1"]
    sentences = [ln for ln in (ROOT / "tests" / "fixtures" / "monthly-2023-09-miyun-sentences.txt").read_text(
        encoding="utf-8").splitlines() if ln and not ln.startswith("#")]
    text = _squash(docx_text(path))
    assert [s for s in sentences if _squash(s) not in text] == []


def test_tables_are_word_tables_with_a_repeated_header_and_the_same_cells(brief):
    built, _, path = brief
    d = docx.Document(str(path))
    tables = [b for b in built.doc.blocks if isinstance(b, Table)]
    assert len(d.tables) == len(tables) == 4
    for t, w in zip(tables, d.tables):
        first = w.rows[0]._tr
        assert first.trPr is not None and first.trPr.find(qn("w:tblHeader")) is not None, t.id
        assert [c.text for c in w.rows[0].cells] == ["\n".join(c.lines or [c.text]) for c in t.header]
        body = [row for g in t.groups for row in g]
        assert len(w.rows) == 1 + len(body)
        assert [c.text for c in w.rows[1].cells][: len(body[0])] == [c.text for c in body[0]]
    right = d.tables[0].rows[1].cells[3].paragraphs[0]
    assert right.text == "100.00%" and right.alignment is not None


def test_one_image_per_chart_and_photo_and_the_page_set_up(brief):
    built, _, path = brief
    d = docx.Document(str(path))
    photos = sum(len(b.photos) for b in built.doc.blocks if isinstance(b, Photos))
    assert len(d.inline_shapes) == len(built.doc.figures) + photos == 4
    s = d.sections[0]
    assert (round(s.page_width.mm), round(s.page_height.mm)) == (210, 297)
    assert [round(x.mm) for x in (s.top_margin, s.bottom_margin, s.left_margin, s.right_margin)] == [37, 35, 28, 26]
    grid = s._sectPr.find(qn("w:docGrid"))
    assert grid.get(qn("w:linePitch")) == str(int(225 / 25.4 * 72 / 22 * 20))          # 22 lines
    assert d.settings.odd_and_even_pages_header_footer
    with zipfile.ZipFile(path) as z:
        settings = z.read("word/settings.xml").decode()
        footer_xml = "".join(z.read(n).decode() for n in z.namelist() if n.startswith("word/footer"))
    assert "<w:mirrorMargins/>" in settings
    assert footer_xml.count(" PAGE ") == 2 and "— " in footer_xml        # odd and even folios
    names = {st.name for st in d.styles}
    assert {"Normal", "Heading 1", "Heading 2", "图题", "表题", "注"} <= names
    normal = d.styles["Normal"].element.rPr.find(qn("w:rFonts"))
    assert normal.get(qn("w:eastAsia")) == "仿宋_GB2312"


def test_libreoffice_opens_it_with_the_folios_and_every_heading(brief, tmp_path):
    built, _, path = brief
    env = dict(os.environ, FONTCONFIG_FILE=str(FONTCONFIG), HOME=str(tmp_path))
    run = subprocess.run(["soffice", "--headless", "--convert-to", "pdf", "--outdir", str(tmp_path), str(path)],
                         capture_output=True, text=True, timeout=240, env=env)
    converted = tmp_path / "brief.pdf"
    assert converted.is_file(), run.stdout + run.stderr
    text = pdftotext(converted)
    folios = [int(n) for n in re.findall(r"^—\s*(\d+)\s*—$", text, flags=re.M)]
    assert folios == list(range(1, len(folios) + 1)) and len(folios) >= 4, folios
    flat = _squash(text)
    for h in (b.text for b in built.doc.blocks if isinstance(b, Heading)):
        assert _squash(h) in flat, h
    fonts = subprocess.run(["pdffonts", str(converted)], capture_output=True, text=True, check=True).stdout
    assert "FandolFang" in fonts                  # 仿宋_GB2312 shown with the PDF's open 仿宋 (templates/fontconfig)


def test_out_with_a_docx_name_is_refused_naming_docx(tmp_path):
    run = subprocess.run([sys.executable, "-m", "reportgen.cli", "render", "monthly", "--period", "2023-09",
                          "--district", "密云区", "--out", str(tmp_path / "x.docx")],
                         capture_output=True, text=True, cwd=ROOT)
    assert run.returncode == 2
    assert "--out 只写 PDF；Word 文档请用 --docx" in run.stderr
    assert not (tmp_path / "x.docx").exists()



@pytest.mark.parametrize("args, said", [
    (["--all-districts", "--formats", "docx"], "--formats docx：须含 pdf（Word、Excel 文件写在每个区的 PDF 旁）。"),
    (["--all-districts", "--formats", "pdf,doc"], "--formats pdf,doc：不认识 doc；可选 pdf、docx、xlsx。"),
    (["--district", "密云区", "--formats", "pdf,docx"], "--formats 只用于 --all-districts；单份报告请用 --docx 文件名、--xlsx 文件名。"),
    (["--all-districts", "--docx", "x.docx"], "每个区的 Word、Excel 文件请用 --formats pdf,docx,xlsx。"),
])
def test_the_batchs_formats_are_checked_before_anything_is_made(tmp_path, args, said):
    run = subprocess.run([sys.executable, "-m", "reportgen.cli", "render", "monthly", "--period", "2023-09",
                          "--out", str(tmp_path / "out"), *args], capture_output=True, text=True, cwd=tmp_path)
    assert run.returncode == 2 and said in run.stderr, run.stderr
    assert list(tmp_path.iterdir()) == []
