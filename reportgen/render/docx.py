"""Document → an editable .docx (python-docx): the blocks the PDF is made of, in the same order and words.

Page set-up and styles come from ``templates/docx.yaml`` (GB/T 9704: A4, 37/35/28/26 mm mirrored margins, a 22 × 28
grid, the folio “— N —” right on odd and left on even pages, cover and 目录 unnumbered).  Every paragraph has a named
style (正文, 标题 1–3, 图题, 表题, 注 …; Word's built-in names where Word has one, so that its 目录 and
restyling work), the 目录 is a TOC field, footnotes are Word footnotes, tables are Word tables whose header row
repeats on every page, charts are 300 dpi PNG images and photos the PDF's scaled copies.

python-docx writes the body; what it has no API for (footnotes, fields, the page grid, mirrored margins, the font
table's alternative names) is written as WordprocessingML here, in one place each.
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import yaml
from docx import Document as new_docx
from docx.enum.section import WD_SECTION
from docx.enum.style import WD_STYLE_TYPE
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_BREAK
from docx.opc.constants import CONTENT_TYPE as CT
from docx.opc.constants import RELATIONSHIP_TYPE as RT
from docx.opc.packuri import PackURI
from docx.opc.part import Part
from docx.oxml import OxmlElement, parse_xml
from docx.oxml.ns import nsdecls, qn
from docx.shared import Mm, Pt

from ..reports.document import Document, Figure, Heading, Para, Photos, Table
from ..workspace import TEMPLATES

# the built-in style each named style is (Word shows them by their Chinese names: 正文, 标题 1, 目录 1, 脚注文本)
BUILTIN = {"正文": "Normal", "标题 1": "Heading 1", "标题 2": "Heading 2", "标题 3": "Heading 3",
           "目录 1": "toc 1", "目录 2": "toc 2", "目录 3": "toc 3", "脚注文本": "footnote text"}
ALIGN = {"justify": WD_ALIGN_PARAGRAPH.JUSTIFY, "center": WD_ALIGN_PARAGRAPH.CENTER,
         "left": WD_ALIGN_PARAGRAPH.LEFT, "right": WD_ALIGN_PARAGRAPH.RIGHT}


def load_style(profile_dir: Path | None = None) -> dict[str, Any]:
    """templates/docx.yaml (the city's own first)."""
    own = profile_dir / "templates" / "docx.yaml" if profile_dir is not None else None
    path = own if own is not None and own.is_file() else TEMPLATES / "docx.yaml"
    return yaml.safe_load(path.read_text(encoding="utf-8"))


# --- inline HTML of a paragraph → runs -----------------------------------------------------------------------

@dataclass
class Run:
    text: str = ""
    bold: bool = False
    footnote: str | None = None     # the footnote's text: this run is its reference mark
    br: bool = False


class _Inline(HTMLParser):
    """The paragraphs of a block's HTML (``<p>``, ``<li>``), each a list of runs: ``<strong>``/``<b>`` bold (黑体),
    ``<span class="fn">…</span>`` a footnote, ``<br>`` a line break; every other tag contributes its text."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.paras: list[list[Run]] = []
        self._bold = 0
        self._fn: list[str] | None = None
        self._depth_fn = 0

    def _current(self) -> list[Run]:
        if not self.paras:
            self.paras.append([])
        return self.paras[-1]

    def handle_starttag(self, tag: str, attrs) -> None:
        if self._fn is not None:
            self._depth_fn += tag == "span"
            return
        if tag in ("p", "li", "h1", "h2", "h3", "h4", "blockquote"):
            self.paras.append([])
        elif tag in ("strong", "b"):
            self._bold += 1
        elif tag == "br":
            self._current().append(Run(br=True))
        elif tag == "span" and ("class", "fn") in attrs:
            self._fn = []
            self._depth_fn = 0

    def handle_endtag(self, tag: str) -> None:
        if self._fn is not None:
            if tag == "span":
                if self._depth_fn == 0:
                    self._current().append(Run(footnote="".join(self._fn).strip()))
                    self._fn = None
                else:
                    self._depth_fn -= 1
            return
        if tag in ("strong", "b"):
            self._bold = max(0, self._bold - 1)

    def handle_data(self, data: str) -> None:
        if self._fn is not None:
            self._fn.append(data)
            return
        data = data.replace("\n", "")
        if not data:
            return
        runs = self._current()
        bold = self._bold > 0
        if runs and not runs[-1].footnote and not runs[-1].br and runs[-1].bold == bold:
            runs[-1].text += data
        else:
            runs.append(Run(data, bold))


def inline_runs(html: str) -> list[list[Run]]:
    parser = _Inline()
    parser.feed(str(html))
    parser.close()
    return [p for p in parser.paras if any(r.text.strip() or r.footnote or r.br for r in p)]


# --- the writer ------------------------------------------------------------------------------------------------

class _Writer:
    def __init__(self, doc: Document, style: dict[str, Any], chart_png: Callable[[Figure], Path]) -> None:
        self.doc = doc
        self.style = style
        self.chart_png = chart_png
        self._toc_results: dict[str, Any] = {}   # heading anchor -> the run holding its PAGEREF field's result
        self.d = new_docx()
        self.footnotes: list[str] = []
        self._marks: list[str] = []
        self._drop_template_extras()
        self._styles()

    # --- set-up ------------------------------------------------------------------------------------------
    def _drop_template_extras(self) -> None:
        """python-docx's template carries a thumbnail of an empty page and sample core properties: drop them."""
        pkg = self.d.part.package
        for rel in list(pkg.rels.values()):
            if rel.reltype == RT.THUMBNAIL:
                pkg.rels.pop(rel.rId)
        body = self.d.element.body
        for child in list(body):
            if child.tag != qn("w:sectPr"):
                body.remove(child)

    def font(self, key: str) -> dict[str, str]:
        return self.style["fonts"][key]

    def _set_fonts(self, rpr, key: str) -> None:
        name = self.font(key)["name"]
        fonts = rpr.find(qn("w:rFonts"))
        if fonts is None:
            fonts = OxmlElement("w:rFonts")
            rpr.insert(0, fonts)
        for k in list(fonts.attrib):
            del fonts.attrib[k]
        for attr in ("w:ascii", "w:hAnsi", "w:eastAsia", "w:cs"):
            fonts.set(qn(attr), name)

    def _styles(self) -> None:
        styles = self.d.styles
        for name, spec in self.style["styles"].items():
            builtin = BUILTIN.get(name)
            if builtin is not None:
                try:
                    st = styles[builtin]
                except KeyError:
                    st = styles.add_style(builtin, WD_STYLE_TYPE.PARAGRAPH)
            else:
                st = styles.add_style(name, WD_STYLE_TYPE.PARAGRAPH)
                st.base_style = styles["Normal"]
            if name != "正文":
                st.quick_style = True
            f = st.font
            f.size = Pt(spec["size"])
            f.bold = bool(spec.get("bold", False))
            f.italic = False
            f.color.rgb = None
            rpr = st.element.get_or_add_rPr()
            for tag in ("w:color", "w:rFonts", "w:kern"):
                for el in rpr.findall(qn(tag)):
                    rpr.remove(el)
            self._set_fonts(rpr, spec["font"])
            pf = st.paragraph_format
            pf.space_before = Pt(0)
            pf.space_after = Pt(0)
            if "line" in spec:
                pf.line_spacing = Pt(spec["line"])
            pf.alignment = ALIGN.get(spec.get("align", "justify"))
            ppr = st.element.get_or_add_pPr()
            on_grid = spec.get("line") == self.style["styles"]["正文"]["line"]
            snap = OxmlElement("w:snapToGrid")
            snap.set(qn("w:val"), "1" if on_grid else "0")
            for el in ppr.findall(qn("w:snapToGrid")):
                ppr.remove(el)
            ppr.insert(0, snap)
            for el in rpr.findall(qn("w:spacing")):
                rpr.remove(el)
            sp = OxmlElement("w:spacing")            # written for every style: none inherits the body's
            sp.set(qn("w:val"), str(round(spec.get("spacing", 0) * 20)))
            rpr.append(sp)
            for tag in ("w:autoSpaceDE", "w:autoSpaceDN"):   # no space added between Chinese and digits (as the PDF)
                for el in ppr.findall(qn(tag)):
                    ppr.remove(el)
                off = OxmlElement(tag)
                off.set(qn("w:val"), "0")
                ppr.append(off)
            ind = OxmlElement("w:ind")
            if spec.get("indent"):
                ind.set(qn("w:firstLineChars"), str(int(spec["indent"] * 100)))
                ind.set(qn("w:firstLine"), str(int(spec["indent"] * spec["size"] * 20)))
            else:
                ind.set(qn("w:firstLineChars"), "0")
                ind.set(qn("w:firstLine"), "0")
            if spec.get("left"):
                ind.set(qn("w:leftChars"), str(int(spec["left"] * 100)))
                ind.set(qn("w:left"), str(int(spec["left"] * spec["size"] * 20)))
            for el in ppr.findall(qn("w:ind")):
                ppr.remove(el)
            ppr.append(ind)
            if spec.get("outline"):
                pf.keep_with_next = True
                for el in ppr.findall(qn("w:outlineLvl")):
                    ppr.remove(el)
                lvl = OxmlElement("w:outlineLvl")
                lvl.set(qn("w:val"), str(spec["outline"] - 1))
                ppr.append(lvl)
            _schema_order(ppr, _PPR_ORDER)
            _schema_order(rpr, _RPR_ORDER)
        ref = styles.add_style("footnote reference", WD_STYLE_TYPE.CHARACTER)
        ref.font.superscript = True
        emph = styles.add_style("强调", WD_STYLE_TYPE.CHARACTER)
        self._set_fonts(emph.element.get_or_add_rPr(), self.style["emphasis"])
        self._font_table()

    def _font_table(self) -> None:
        """Each office font in the font table with its alternative name (Word tries it when the font is absent)."""
        part = next(r.target_part for r in self.d.part.rels.values() if r.reltype == RT.FONT_TABLE)
        root = parse_xml(part.blob)
        for spec in self.style["fonts"].values():
            el = parse_xml(f'<w:font {nsdecls("w")} w:name="{_attr(spec["name"])}"><w:altName w:val="{_attr(spec["alt"])}"/>'
                           '<w:charset w:val="86"/><w:family w:val="auto"/><w:pitch w:val="variable"/></w:font>')
            root.append(el)
        part._blob = _xml(root)

    def _page(self, section, numbered: bool, restart: bool) -> None:
        p = self.style["page"]
        section.page_width, section.page_height = Mm(p["width_mm"]), Mm(p["height_mm"])
        section.top_margin, section.bottom_margin = Mm(p["top_mm"]), Mm(p["bottom_mm"])
        section.left_margin, section.right_margin = Mm(p["inside_mm"]), Mm(p["outside_mm"])
        section.footer_distance = Mm(p["footer_mm"])
        section.header_distance = Mm(15)
        sect = section._sectPr
        for tag in ("w:docGrid", "w:pgNumType"):
            for el in sect.findall(qn(tag)):
                sect.remove(el)
        text_h = (p["height_mm"] - p["top_mm"] - p["bottom_mm"]) / 25.4 * 72       # pt
        # the line grid (22 lines); the 28 characters a line come from the body's character spacing (as the PDF's
        # letter-spacing), not from a character grid: LibreOffice gives every character of a character grid a
        # full cell, digits included
        grid = OxmlElement("w:docGrid")
        grid.set(qn("w:type"), "lines")
        grid.set(qn("w:linePitch"), str(int(text_h / p["lines"] * 20)))
        if restart:
            num = OxmlElement("w:pgNumType")
            num.set(qn("w:start"), "1")
            sect.append(num)
        sect.append(grid)
        section.footer.is_linked_to_previous = False
        section.even_page_footer.is_linked_to_previous = False
        for footer, align in ((section.footer, WD_ALIGN_PARAGRAPH.RIGHT), (section.even_page_footer,
                                                                           WD_ALIGN_PARAGRAPH.LEFT)):
            par = footer.paragraphs[0]
            for r in list(par.runs):
                r._r.getparent().remove(r._r)
            if numbered:
                par.style = self.d.styles["页码"]
                par.alignment = align
                fmt = par.paragraph_format
                fmt.left_indent = fmt.right_indent = Pt(14)        # 一字 from the edge of the text block
                par.add_run("— ")
                self._field(par, "PAGE", "1")
                par.add_run(" —")

    @staticmethod
    def _fld(par, kind: str, instr: str | None = None) -> None:
        r = OxmlElement("w:r")
        c = OxmlElement("w:fldChar")
        c.set(qn("w:fldCharType"), kind)
        r.append(c)
        par._p.append(r)
        if instr is not None:
            r = OxmlElement("w:r")
            t = OxmlElement("w:instrText")
            t.set(qn("xml:space"), "preserve")
            t.text = f" {instr} "
            r.append(t)
            par._p.append(r)
            _Writer._fld(par, "separate")

    def _field(self, par, instr: str, shown: str) -> None:
        """A simple field (PAGE, PAGEREF): begin, instruction, separate, the shown result, end."""
        self._fld(par, "begin", instr)
        self._last_result = par.add_run(shown)
        self._fld(par, "end")

    def _toc(self) -> None:
        """The 目录 as Word writes it: a TOC field whose result is already there — one paragraph per heading (styles
        目录 1–3) with a dot leader and a PAGEREF field to the heading's bookmark, so LibreOffice shows the page
        numbers of its own layout and Word updates the field on opening."""
        p = self.style["page"]
        width = Mm(p["width_mm"] - p["inside_mm"] - p["outside_mm"])
        from docx.enum.text import WD_TAB_ALIGNMENT, WD_TAB_LEADER

        entries = [h for h in self.doc.headings if h.level <= self.doc.toc_levels]
        for n, h in enumerate(entries):
            par = self.para(f"目录 {h.level}", "")
            par.paragraph_format.tab_stops.add_tab_stop(width, WD_TAB_ALIGNMENT.RIGHT, WD_TAB_LEADER.DOTS)
            if n == 0:
                self._fld(par, "begin", f'TOC \\o "1-{self.doc.toc_levels}" \\h \\z \\u')
            par.add_run(h.text)
            par.add_run("\t")
            self._field(par, f"PAGEREF {self._bookmark(h)} \\h", "")      # filled by fill_toc
            self._toc_results[h.anchor] = self._last_result
            if n == len(entries) - 1:
                self._fld(par, "end")

    def _bookmark(self, h: Heading) -> str:
        return "_Toc_" + re.sub(r"[^A-Za-z0-9_]", "_", h.anchor)

    def _mark(self, par, h: Heading) -> None:
        """A bookmark around the heading's text (what the 目录's PAGEREF fields point to)."""
        n = len(self._marks)
        self._marks.append(h.anchor)
        start = OxmlElement("w:bookmarkStart")
        start.set(qn("w:id"), str(n))
        start.set(qn("w:name"), self._bookmark(h))
        end = OxmlElement("w:bookmarkEnd")
        end.set(qn("w:id"), str(n))
        par._p.insert(1 if par._p.pPr is not None else 0, start)
        par._p.append(end)

    # --- blocks ------------------------------------------------------------------------------------------
    def para(self, style: str, runs: list[Run] | str, align=None):
        par = self.d.add_paragraph(style=self.d.styles[BUILTIN.get(style, style)])
        if align is not None:
            par.alignment = align
        if isinstance(runs, str):
            if runs:
                par.add_run(runs)
            return par
        for run in runs:
            if run.br:
                par.add_run().add_break(WD_BREAK.LINE)
            elif run.footnote is not None:
                self._footnote_ref(par, run.footnote)
            elif run.text:
                r = par.add_run(run.text)
                if run.bold:
                    r.style = self.d.styles["强调"]
        return par

    def _footnote_ref(self, par, text: str) -> None:
        self.footnotes.append(text)
        r = par.add_run()
        r.style = self.d.styles["footnote reference"]
        ref = OxmlElement("w:footnoteReference")
        ref.set(qn("w:id"), str(len(self.footnotes)))
        r._r.append(ref)

    def save(self) -> bytes:
        buf = io.BytesIO()
        self.d.save(buf)
        return buf.getvalue()

    def fill_toc(self, pages: dict[str, str]) -> bytes:
        """The built document again with the 目录's page numbers (heading anchor -> page as printed)."""
        for anchor, run in self._toc_results.items():
            run.text = pages.get(anchor, "")
        return self.save()

    def build(self) -> None:
        doc = self.doc
        first = self.d.sections[0]
        if doc.layout == "report":
            self._page(first, numbered=False, restart=False)
            cover = self.para("题目", "")
            cover.paragraph_format.space_before = Mm(60)
            for i, line in enumerate(doc.title.split("\n")):
                if i:
                    cover.add_run().add_break(WD_BREAK.LINE)
                cover.add_run(line)
            issuer = self.para("发文机关", doc.issuer)
            issuer.paragraph_format.space_before = Mm(90)
            if doc.date:
                self.para("发文机关", doc.date)
            self.para("目录标题", "目　录").paragraph_format.page_break_before = True
            self._toc()
            body = self.d.add_section(WD_SECTION.NEW_PAGE)
            self._page(body, numbered=True, restart=True)
        else:
            self._page(first, numbered=True, restart=True)
            title = self.para("题目", "")
            for i, line in enumerate(doc.title.split("\n")):
                if i:
                    title.add_run().add_break(WD_BREAK.LINE)
                title.add_run(line)
            title.paragraph_format.space_after = Pt(28.95)
        for block in doc.blocks:
            if isinstance(block, Heading):
                par = self.para(f"标题 {block.level}", block.text)
                if block.level <= doc.toc_levels:
                    self._mark(par, block)
            elif isinstance(block, Para):
                for runs in inline_runs(block.html):
                    self.para("正文", runs)
            elif isinstance(block, Figure):
                self.figure(block)
            elif isinstance(block, Table):
                self.table(block)
            elif isinstance(block, Photos):
                self.photos(block)
        self.d.settings.odd_and_even_pages_header_footer = True
        self._settings()
        self._core()
        if self.footnotes:
            self._footnotes_part()

    def figure(self, fig: Figure) -> None:
        cap = self.para("图题", fig.caption)
        cap.paragraph_format.keep_with_next = True
        cap.paragraph_format.space_before = Pt(4)
        pic = self.para("正文", "", align=WD_ALIGN_PARAGRAPH.CENTER)
        pic.paragraph_format.first_line_indent = Pt(0)
        pic.paragraph_format.line_spacing = None           # an image needs its own height, not the grid's line
        pic.paragraph_format.keep_with_next = bool(fig.note)
        pic.add_run().add_picture(str(self.chart_png(fig)), width=Mm(fig.spec.width_mm), height=Mm(fig.spec.height_mm))
        if fig.note:
            self.para("注", fig.note)

    def table(self, t: Table) -> None:
        if t.caption:
            cap = self.para("表题", t.caption)
            cap.paragraph_format.keep_with_next = True
            cap.paragraph_format.space_before = Pt(6)
        rows = [row for g in t.groups for row in g]
        ncols = len(t.header)
        table = self.d.add_table(rows=1 + len(rows), cols=ncols)
        table.style = self.d.styles["Table Grid"]
        table.alignment = WD_TABLE_ALIGNMENT.CENTER
        table.autofit = False
        widths = self._widths(t)
        head = table.rows[0]
        trpr = head._tr.get_or_add_trPr()
        trpr.append(OxmlElement("w:tblHeader"))           # repeated at the top of every page
        for cell, c in zip(head.cells, t.header):
            self._cell(cell, c.lines or [c.text], "表头", None)
        for i in range(1, len(rows) + 1):
            table.rows[i]._tr.get_or_add_trPr().append(OxmlElement("w:cantSplit"))
        for i, j, c in t.placed():
                cell = table.cell(i, j)
                if c.rowspan > 1:
                    cell = cell.merge(table.cell(min(i + c.rowspan - 1, len(rows)), j))
                if c.figure is not None:          # a sparkline: as wide as its column allows, never clipped
                    from docx.enum.text import WD_LINE_SPACING

                    par = cell.paragraphs[0]
                    par.style = self.d.styles["表格文字"]
                    par.paragraph_format.line_spacing_rule = WD_LINE_SPACING.SINGLE   # not the style's exact lines
                    spec = c.figure.spec
                    w = min(spec.width_mm, widths[j].mm - 2.6)
                    par.add_run().add_picture(str(self.chart_png(c.figure)), width=Mm(w),
                                              height=Mm(spec.height_mm * w / spec.width_mm))
                else:
                    self._cell(cell, c.lines or [c.text], "表格文字", _align(t.cls, c.cls))
        for col, w in zip(table.columns, widths):
            col.width = w
            for cell in col.cells:
                cell.width = w
        if t.note:
            for runs in inline_runs(f"<p>{t.note}</p>"):
                self.para("注", runs).paragraph_format.space_before = Pt(3)

    def _widths(self, t: Table) -> list:
        """Column widths from each column's longest line (a CJK character one em of the table's size, other
        characters half), stretched to the text block's width (a ranking table keeps its natural width).  A
        table wider than the block is narrowed where its text can wrap: no column gets less than its longest
        unbreakable run (a number, a rank “12↑”, a serial “10”) or, with Chinese text, four characters."""
        size = self.style["styles"]["表格文字"]["size"] / 72 * 25.4          # mm an em
        pad = 2.6                                                             # the cell margins, mm
        p = self.style["page"]
        block = p["width_mm"] - p["inside_mm"] - p["outside_mm"]
        full = [0.0] * len(t.header)
        least = [0.0] * len(t.header)

        def take(j: int, lines: list[str]) -> None:
            for x in lines:
                full[j] = max(full[j], _ems(x))
                least[j] = max(least[j], _unbreakable(x))

        for j, c in enumerate(t.header):
            take(j, c.lines or [c.text])
        for _, j, c in t.placed():
            if c.figure is not None:
                full[j] = max(full[j], c.figure.spec.width_mm / size)
                least[j] = max(least[j], 0.6 * c.figure.spec.width_mm / size)      # a sparkline may shrink
            else:
                take(j, c.lines or [c.text])
        mm = [max(2.0, n) * size + pad for n in full]
        low = [min(max(2.0, n) * size + pad, w) for n, w in zip(least, mm)]
        total = sum(mm)
        if total > block and sum(low) < block:            # narrow the columns that can wrap, in proportion
            spare = (block - sum(low)) / (total - sum(low))
            return [Mm(lo + (w - lo) * spare) for lo, w in zip(low, mm)]
        if total > block or "ranking" not in t.cls.split() or "per-district" in t.cls.split():
            mm = [w * block / total for w in mm]
        return [Mm(w) for w in mm]

    def _cell(self, cell, lines: list[str], style: str, align) -> None:
        par = cell.paragraphs[0]
        par.style = self.d.styles[style]
        if align is not None:
            par.alignment = align
        for k, line in enumerate(lines):
            if k:
                par.add_run().add_break(WD_BREAK.LINE)
            par.add_run(line)

    def photos(self, block: Photos) -> None:
        for ph in block.photos:
            pic = self.para("正文", "", align=WD_ALIGN_PARAGRAPH.CENTER)
            pic.paragraph_format.first_line_indent = Pt(0)
            pic.paragraph_format.line_spacing = None
            pic.paragraph_format.keep_with_next = True
            pic.add_run().add_picture(str(ph.src), width=Mm(ph.width_mm), height=Mm(ph.height_mm))
            self.para("照片说明", ph.caption)
        if block.placement == "beside" and block.html is not None:      # the PDF sets it beside the photo
            for runs in inline_runs(block.html):
                self.para("正文", runs)

    # --- parts -------------------------------------------------------------------------------------------
    def _settings(self) -> None:
        """Word fills the TOC field's page numbers on opening (updateFields), as LibreOffice does at build time."""
        settings = self.d.settings.element
        upd = OxmlElement("w:updateFields")
        upd.set(qn("w:val"), "true")
        settings.append(upd)
        mirror = OxmlElement("w:mirrorMargins")
        settings.insert(0, mirror)
        lang = OxmlElement("w:themeFontLang")
        lang.set(qn("w:val"), "en-US")
        lang.set(qn("w:eastAsia"), "zh-CN")
        for el in settings.findall(qn("w:themeFontLang")):
            settings.remove(el)
        settings.append(lang)
        _order_settings(settings)

    def _core(self) -> None:
        core = self.d.core_properties
        core.title = self.doc.title.replace("\n", "")
        core.author = self.doc.issuer
        core.last_modified_by = self.doc.issuer
        core.subject = self.doc.subject
        core.keywords = self.doc.subject
        core.comments = "reportgen"
        core.revision = 1
        import datetime as dt

        try:
            when = dt.datetime.fromisoformat(self.doc.document_date)
        except (TypeError, ValueError):
            when = dt.datetime(2000, 1, 1)
        core.created = core.modified = when

    def _footnotes_part(self) -> None:
        w = nsdecls("w")
        notes = ['<w:footnote w:type="separator" w:id="-1"><w:p><w:pPr><w:spacing w:after="0" w:line="240" '
                 'w:lineRule="auto"/></w:pPr><w:r><w:separator/></w:r></w:p></w:footnote>',
                 '<w:footnote w:type="continuationSeparator" w:id="0"><w:p><w:pPr><w:spacing w:after="0" '
                 'w:line="240" w:lineRule="auto"/></w:pPr><w:r><w:continuationSeparator/></w:r></w:p></w:footnote>']
        for i, text in enumerate(self.footnotes, start=1):
            notes.append(f'<w:footnote w:id="{i}"><w:p><w:pPr><w:pStyle w:val="{_style_id(self.d, "footnote text")}"/>'
                         f'</w:pPr><w:r><w:rPr><w:rStyle w:val="{_style_id(self.d, "footnote reference")}"/></w:rPr>'
                         f'<w:footnoteRef/></w:r><w:r><w:t xml:space="preserve"> {_text(text)}</w:t></w:r></w:p>'
                         '</w:footnote>')
        blob = f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<w:footnotes {w}>{"".join(notes)}</w:footnotes>'
        part = Part(PackURI("/word/footnotes.xml"), CT.WML_FOOTNOTES, blob.encode("utf-8"), self.d.part.package)
        self.d.part.relate_to(part, RT.FOOTNOTES)
        settings = self.d.settings.element
        pr = parse_xml(f'<w:footnotePr {w}><w:footnote w:id="-1"/><w:footnote w:id="0"/></w:footnotePr>')
        settings.append(pr)
        _order_settings(settings)


# The order of w:settings' children the schema requires (Word refuses a file whose elements are out of order).
_SETTINGS_ORDER = ["writeProtection", "view", "zoom", "removePersonalInformation", "removeDateAndTime",
                   "doNotDisplayPageBoundaries", "displayBackgroundShape", "printPostScriptOverText",
                   "printFractionalCharacterWidth", "printFormsData", "embedTrueTypeFonts", "embedSystemFonts",
                   "saveSubsetFonts", "saveFormsData", "mirrorMargins", "alignBordersAndEdges",
                   "bordersDoNotSurroundHeader", "bordersDoNotSurroundFooter", "gutterAtTop", "hideSpellingErrors",
                   "hideGrammaticalErrors", "activeWritingStyle", "proofState", "formsDesign", "attachedTemplate",
                   "linkStyles", "stylePaneFormatFilter", "stylePaneSortMethod", "documentType", "mailMerge",
                   "revisionView", "trackRevisions", "doNotTrackMoves", "doNotTrackFormatting", "documentProtection",
                   "autoFormatOverride", "styleLockTheme", "styleLockQFSet", "defaultTabStop", "autoHyphenation",
                   "consecutiveHyphenLimit", "hyphenationZone", "doNotHyphenateCaps", "showEnvelope",
                   "summaryLength", "clickAndTypeStyle", "defaultTableStyle", "evenAndOddHeaders",
                   "bookFoldRevPrinting", "bookFoldPrinting", "bookFoldPrintingSheets",
                   "drawingGridHorizontalSpacing", "drawingGridVerticalSpacing", "displayHorizontalDrawingGridEvery",
                   "displayVerticalDrawingGridEvery", "doNotUseMarginsForDrawingGridOrigin",
                   "drawingGridHorizontalOrigin", "drawingGridVerticalOrigin", "doNotShadeFormData", "noPunctuationKerning",
                   "characterSpacingControl", "printTwoOnOne", "strictFirstAndLastChars", "noLineBreaksAfter",
                   "noLineBreaksBefore", "savePreviewPicture", "doNotValidateAgainstSchema", "saveInvalidXml",
                   "ignoreMixedContent", "alwaysShowPlaceholderText", "doNotDemarcateInvalidXml", "saveXmlDataOnly",
                   "useXSLTWhenSaving", "saveThroughXslt", "showXMLTags", "alwaysMergeEmptyNamespace", "updateFields",
                   "hdrShapeDefaults", "footnotePr", "endnotePr", "compat", "docVars", "rsids", "mathPr",
                   "attachedSchema", "themeFontLang", "clrSchemeMapping", "doNotIncludeSubdocsInStats",
                   "doNotAutoCompressPictures", "forceUpgrade", "captions", "readModeInkLockDown", "smartTagType",
                   "schemaLibrary", "shapeDefaults", "doNotEmbedSmartTags", "decimalSymbol", "listSeparator"]


_PPR_ORDER = ["pStyle", "keepNext", "keepLines", "pageBreakBefore", "framePr", "widowControl", "numPr",
              "suppressLineNumbers", "pBdr", "shd", "tabs", "suppressAutoHyphens", "kinsoku", "wordWrap",
              "overflowPunct", "topLinePunct", "autoSpaceDE", "autoSpaceDN", "bidi", "adjustRightInd", "snapToGrid",
              "spacing", "ind", "contextualSpacing", "mirrorIndents", "suppressOverlap", "jc", "textDirection",
              "textAlignment", "textboxTightWrap", "outlineLvl", "divId", "cnfStyle", "rPr", "sectPr", "pPrChange"]
_RPR_ORDER = ["rStyle", "rFonts", "b", "bCs", "i", "iCs", "caps", "smallCaps", "strike", "dstrike", "outline",
              "shadow", "emboss", "imprint", "noProof", "snapToGrid", "vanish", "webHidden", "color", "spacing", "w",
              "kern", "position", "sz", "szCs", "highlight", "u", "effect", "bdr", "shd", "fitText", "vertAlign",
              "rtl", "cs", "em", "lang", "eastAsianLayout", "specVanish", "oMath"]


def _schema_order(parent, order: list[str]) -> None:
    """Children in the order the schema requires (Word refuses a file whose elements are out of order)."""
    rank = {qn(f"w:{n}"): i for i, n in enumerate(order)}
    children = list(parent)
    children.sort(key=lambda el: rank.get(el.tag, len(rank)))
    for el in children:
        parent.remove(el)
    for el in children:
        parent.append(el)


def _order_settings(settings) -> None:
    _schema_order(settings, _SETTINGS_ORDER)


def _ems(text: str) -> float:
    return sum(1.0 if ord(ch) > 0x2E80 else 0.55 for ch in text)


def _unbreakable(text: str) -> float:
    """The width in ems that a line of ``text`` cannot be narrowed below: its longest run without a place to
    break (Latin letters, digits, %, arrows …), and four characters where it has Chinese (a column of names
    wraps, but not one character a line)."""
    runs = re.findall(r"[^\s\u3000-\u9fff\uff00-\uffef]+", text)
    least = max((_ems(r) for r in runs), default=0.0)
    if re.search(r"[\u3400-\u9fff]", text):
        least = max(least, min(_ems(text), 4.0))
    return least


def _style_id(d, name: str) -> str:
    return d.styles[name].style_id


def _text(s: str) -> str:
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _attr(s: str) -> str:
    return _text(s).replace('"', "&quot;")


def _xml(el) -> bytes:
    from lxml import etree

    return etree.tostring(el, xml_declaration=True, encoding="UTF-8", standalone=True)


def _align(table_cls: str, cell_cls: str):
    classes = set(cell_cls.split())
    if "num" in classes and "assessment" not in table_cls.split() and "serial" not in classes:
        return WD_ALIGN_PARAGRAPH.RIGHT
    if classes & {"topic", "unit", "topics", "text"}:
        return WD_ALIGN_PARAGRAPH.LEFT
    return WD_ALIGN_PARAGRAPH.CENTER


def draft_docx(doc: Document, chart_png: Callable[[Figure], Path], profile_dir: Path | None = None) -> _Writer:
    """The built .docx of ``doc``, to be saved (``.save()``) and saved again with the 目录's page numbers
    (``.fill_toc(pages)``) once a layout has given them."""
    w = _Writer(doc, load_style(profile_dir), chart_png)
    w.build()
    return w


__all__ = ["draft_docx", "inline_runs", "load_style"]
