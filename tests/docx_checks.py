"""The .docx of a report against its PDF (issue 18), shared by the four sample reports' test modules: the
paragraphs in the PDF's order, headings as heading styles, real tables with a repeated header row, one image per
chart and photo, real footnotes, and the .docx's whole text for the seeds' sentences."""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

import docx
from docx.oxml.ns import qn

from reportgen.reports.document import Heading, Photos, Table

from .conftest import pdftotext

TOC_STYLES = ("toc 1", "toc 2", "toc 3")


def squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


def footnote_texts(path: Path) -> list[str]:
    with zipfile.ZipFile(path) as z:
        if "word/footnotes.xml" not in z.namelist():
            return []
        xml = z.read("word/footnotes.xml").decode("utf-8")
    notes = re.findall(r'<w:footnote (?:(?!w:type=")[^>])*>(.*?)</w:footnote>', xml, flags=re.S)
    return ["".join(re.findall(r"<w:t(?: [^>]*)?>([^<]*)</w:t>", n)) for n in notes]


def docx_text(path: Path) -> str:
    """Everything a reader of the .docx reads: paragraphs, table cells, footnotes."""
    d = docx.Document(str(path))
    cells = [c.text for t in d.tables for row in t.rows for c in row.cells]
    return "\n".join([p.text for p in d.paragraphs] + cells + footnote_texts(path))


def pdf_reading(pdf: Path) -> str:
    """The PDF's words in reading order, squashed, without its footnote calls and footnote numbers (raised small
    digits: pdftotext reads them out of their line, the .docx has a footnote reference there)."""
    import html
    import subprocess

    out = subprocess.run(["pdftotext", "-enc", "UTF-8", "-bbox", str(pdf), "-"], capture_output=True, text=True,
                         check=True).stdout
    words = re.findall(r'<word xMin="[\d.]+" yMin="([\d.]+)" xMax="[\d.]+" yMax="([\d.]+)">([^<]*)</word>', out)
    return "".join(html.unescape(w) for y0, y1, w in words
                   if not (re.fullmatch(r"\d{1,2}", w) and float(y1) - float(y0) < 9))


def check_docx_against_pdf(built, pdf: Path, path: Path) -> None:
    doc = built.doc
    d = docx.Document(str(path))
    body = [p for p in d.paragraphs if p.text.strip() and p.style.name not in TOC_STYLES]
    captions = [p.text for p in body if p.style.name == "照片说明"]
    assert captions == [ph.caption for b in doc.blocks if isinstance(b, Photos) for ph in b.photos]
    text = re.sub(r"\.{3,}", "", re.sub(r"—\d+—", "", squash(pdf_reading(pdf))))
    for n in footnote_texts(path):      # a footnote's text is read where the page ends: within its paragraph's lines
        assert squash(n) in text, n
        text = text.replace(squash(n), "", 1)
    for c in captions:                  # a photo's caption may sit beside the lines of its paragraph
        assert squash(c) in text, c
        text = text.replace(squash(c), "", 1)
    # a chart (its caption and note) is a float in the PDF: moved past the next paragraph when that fills a page
    # the chart would leave part-empty; the .docx keeps it where the report puts it (Word lays out its own pages)
    floats = [p for p in body if p.style.name in ("图题", "注")]
    assert [p.text for p in floats if squash(p.text) not in text] == []
    at = 0
    for p in (p for p in body if p.style.name not in ("照片说明", "图题", "注")):
        found = text.find(squash(p.text), at)
        assert found >= 0, f"not in the PDF after position {at} ({text[at:at + 40]}…): {p.text}"
        at = found + len(squash(p.text))
    # the 目录: one entry per heading of its levels, with the heading's text
    toc = [p.text.split("\t")[0] for p in d.paragraphs if p.style.name in TOC_STYLES]
    assert toc == ([h.text for h in doc.headings if h.level <= doc.toc_levels] if doc.layout == "report" else [])
    headings = [b.text for b in doc.blocks if isinstance(b, Heading)]
    assert [p.text for p in d.paragraphs if p.style.name.startswith("Heading")] == headings
    # tables: Word tables, the header row repeated on every page, the same cells
    tables = [b for b in doc.blocks if isinstance(b, Table)]
    assert len(d.tables) == len(tables)
    for t, w in zip(tables, d.tables):
        header = w.rows[0]._tr.trPr
        assert header is not None and header.find(qn("w:tblHeader")) is not None, t.id
        assert [c.text for c in w.rows[0].cells] == ["\n".join(c.lines or [c.text]) for c in t.header], t.id
        assert len(w.rows) == 1 + sum(len(g) for g in t.groups), t.id
        for i, j, c in t.placed():
            assert w.cell(i, j).text == "\n".join(c.lines or [c.text]) or c.figure is not None, (t.id, i, j)
    # one image per chart and photo
    photos = sum(len(b.photos) for b in doc.blocks if isinstance(b, Photos))
    assert len(d.inline_shapes) == len(doc.figures) + photos
    # footnotes: Word footnotes, as many as the report's calls, their text not in the paragraphs
    calls = sum(str(getattr(b, "html", "")).count('<span class="fn">') for b in doc.blocks)
    notes = footnote_texts(path)
    assert len(notes) == calls
    with zipfile.ZipFile(path) as z:
        document = z.read("word/document.xml").decode("utf-8")
    assert document.count("<w:footnoteReference ") == calls
    for n in notes:
        assert n.strip() and n.strip() not in document, n


def libreoffice_pdf(path: Path, out_dir: Path) -> Path:
    """The .docx converted to PDF by a headless LibreOffice, as a reader would open it (the office fonts
    shown with the open fonts the PDF embeds)."""
    import os
    import subprocess

    from reportgen.render.office import office_env

    run = subprocess.run(["soffice", "--headless", "--convert-to", "pdf", "--outdir", str(out_dir), str(path)],
                         capture_output=True, text=True, timeout=300, env=office_env(out_dir))
    converted = out_dir / (path.stem + ".pdf")
    assert converted.is_file(), run.stdout + run.stderr
    assert os.path.getsize(converted) > 0
    return converted


def folio_pages(pdf: Path) -> dict[int, str]:
    """Printed page number (the “— N —” folio) → that page's text, squashed."""
    import subprocess

    n = int(re.search(r"Pages:\s+(\d+)", subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True,
                                                         check=True).stdout).group(1))
    out: dict[int, str] = {}
    for i in range(1, n + 1):
        page = pdftotext(pdf, "-f", str(i), "-l", str(i))
        m = re.findall(r"^—\s*(\d+)\s*—$", page, flags=re.M)
        if m:
            out[int(m[-1])] = squash(page)
    return out


def check_libreoffice_opens_it(built, path: Path, tmp: Path, min_pages: int) -> None:
    """Converted by LibreOffice: the “— N —” folios run 1, 2, …; the 目录 lists every heading of its levels with
    the page of LibreOffice's own layout on which that heading stands; every heading is there."""
    converted = libreoffice_pdf(path, tmp)
    pages = folio_pages(converted)
    assert sorted(pages) == list(range(1, len(pages) + 1)) and len(pages) >= min_pages
    toc = pdftotext(converted, "-l", "5").split("\f")           # the cover, the 目录's pages, the first body page
    toc = "\n".join(page for page in toc[1:] if not re.search(r"^—\s*\d+\s*—$", page, flags=re.M))
    entries = re.findall(r"^\s*(\S.*?)\s*\.{3,}\s*(\d+)\s*$", toc, flags=re.M)
    wanted = [h.text for h in built.doc.headings if h.level <= built.doc.toc_levels]
    assert [squash(e) for e, _ in entries] == [squash(h) for h in wanted]
    wrong = [(e, n) for e, n in entries if squash(e) not in pages.get(int(n), "")]
    assert wrong == []          # each entry's page is the page of LibreOffice's layout that has the heading
    flat = "".join(pages.values())
    assert [h.text for h in built.doc.headings if squash(h.text) not in flat] == []
