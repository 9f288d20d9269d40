"""Publishing a built report: the PDF with its figure manifest and rejects file (checked targets, written
atomically), and the standalone HTML.  Above the pipeline: it takes a :class:`~reportgen.pipeline.Built`."""

from __future__ import annotations

import re
import time
from html import unescape
from pathlib import Path
from typing import TYPE_CHECKING

from .config.load import display_path
from .errors import RenderError
from .pipeline import Built
from .render import render_html, render_pdf, write_atomic
from .render.glyphs import missing_glyphs
from .workspace import FONTS_DIR, RESOURCES, SHARED_REPORTS, TEMPLATES, cache_dir

if TYPE_CHECKING:
    from .render.office import TocPages

BODY_FONTS = ["FandolFang-Regular.otf", "cwfs.ttf", "ARPLUKaiCN.ttf", "NotoSansCJKsc-Regular.otf",
              "FandolSong-Regular.otf", "NotoSerifCJKsc-Bold.otf"]


def manifest_path(pdf: Path) -> Path:
    return pdf.with_name(pdf.stem + ".figures.json")


def standalone_html(built: Built) -> str:
    """The same HTML as one file to mail or archive: photos as data: URIs, the SVG charts inline and the fonts
    embedded, subset to the characters each face sets (render/standalone.py)."""
    import base64

    from .render.standalone import standalone

    def data_uri(fig) -> str:
        return "data:image/svg+xml;base64," + base64.b64encode(fig.src.read_bytes()).decode("ascii")

    def photo_uri(photo) -> str:
        return "data:image/jpeg;base64," + base64.b64encode(photo.src.read_bytes()).decode("ascii")

    html = render_html(built.doc, profile_dir=built.cfg.profile_dir, chart_url=data_uri, photo_url=photo_uri)
    return standalone(html, base=RESOURCES, allowed_roots=[FONTS_DIR, TEMPLATES, built.cfg.profile_dir])


def text_of(html: str) -> str:
    return unescape(re.sub(r"<style>.*?</style>|<[^>]+>", "", html, flags=re.S))


def rejects_path(out: Path) -> Path:
    """Rows left out of the report (period file: bad_rows: skip), next to it: annual-2023.rejects.csv."""
    return out.with_name(f"{out.stem}.rejects.csv")


def rejects_csv(rejects: list) -> bytes:
    """UTF-8 with BOM (Excel opens it as Chinese text): 文件, 行, 原因, then the row's own columns; every cell
    through render/csvsafe.py (a rejected cell ``=HYPERLINK(…)`` is written as text, never as a formula)."""
    from .render.csvsafe import csv_bytes

    cols: list[str] = []
    for r in rejects:
        cols += [c for c in r.values if c not in cols]
    rows = [["文件", "行", "原因", *cols]]
    rows += [[r.file, r.row, r.reason, *(r.values.get(c) or "" for c in cols)] for r in rejects]
    return csv_bytes(rows)


def _inputs(built: Built) -> list[Path]:
    """Every file the render read or may read: the period file, the city folder, the data sources,
    the templates and fonts."""
    cfg = built.cfg
    out = [cfg.period_path, cfg.profile_dir, TEMPLATES, FONTS_DIR, SHARED_REPORTS]
    for specs in cfg.period_file.sources.values():
        for spec in specs:
            if getattr(spec, "path", None):
                out.append(cfg.resolve(spec.path))
    return out


def check_target(built: Built, out: Path) -> None:
    """Refuse an output that would overwrite one of the render's inputs, or that is not a regular file (a
    folder, a FIFO, a device): the PDF, its manifest and its rejects file are written only to new or
    regular files outside the inputs."""
    targets = [out, manifest_path(out), rejects_path(out)]
    inputs = [p.resolve() for p in _inputs(built)]
    for t in targets:
        r = t.resolve()
        if t.exists() and not t.is_file():
            raise RenderError(f"输出错误：{display_path(t)} 已存在且不是普通文件（文件夹、管道或设备），未写入；"
                              "请用 --out 指定一个 PDF 文件名。")
        for i in inputs:
            if r == i or (i.is_dir() and r.is_relative_to(i)):
                raise RenderError(f"输出错误：{display_path(t)} 是本报告的输入（或在输入文件夹 {display_path(i)} 中），"
                                  "不能作为输出；请用 --out 指定 out/ 等其他位置。")


def render_to_pdf(built: Built, out: Path, strict: bool = False, layout: dict | None = None) -> Path:
    """Lay out and write the PDF with its figure manifest (and rejects file).  The manifest records the PDF's
    sha256: written after the PDF, so a reader that finds a manifest of another run beside a PDF (a kill
    between the two writes) is told so by ``reportgen check`` instead of checking the wrong pair."""
    import hashlib

    check_target(built, out)
    t0 = time.perf_counter()
    layout = {} if layout is None else layout
    if strict:
        fonts = [FONTS_DIR / f for f in BODY_FONTS]
        chart_text = "".join(
            "".join(f.spec.categories) + "".join(s.name + "".join(s.labels or ()) for s in f.spec.series)
            for f in built.doc.figures
        )
        missing = missing_glyphs(text_of(built.html) + chart_text, fonts)
        if missing:
            raise RenderError(f"渲染错误（--strict）：以下字符在内嵌字体中没有字形：{' '.join(missing)}。")
    pdf, built.pages = render_pdf(built.html, base_url=RESOURCES,
                     allowed_roots=[FONTS_DIR, TEMPLATES, cache_dir(),
                                    built.cfg.profile_dir, built.cfg.period_path.parent],
                     strict=strict, layout=layout)
    rejects = rejects_path(out)
    if built.rejects:
        write_atomic(rejects, rejects_csv(built.rejects))
    elif rejects.exists():
        rejects.unlink()                       # from an earlier run whose rows were fixed since
    write_atomic(out, pdf)
    if built.manifest is not None:
        write_atomic(manifest_path(out), built.manifest.to_json(pdf_sha256=hashlib.sha256(pdf).hexdigest(),
                                                               blocks=layout.get("boxes"))
                     .encode("utf-8"))
    built.timings["pdf"] = time.perf_counter() - t0
    return out


class DocxJob:
    """The report's .docx under way: built from the document, and LibreOffice laying out the draft for the 目录's
    page numbers in its own process (``start_docx`` before the PDF is laid out, ``finish`` after: the two run
    side by side).  ``cancel`` stops LibreOffice when the render fails."""

    def __init__(self, built: Built, workers: int = 2) -> None:
        from .charts import render_charts
        from .pipeline import chart_style
        from .render.docx import draft_docx

        t0 = time.perf_counter()
        self.built = built
        figures = built.doc.figures
        pngs = render_charts([f.spec for f in figures], chart_style(), cache_dir() / "charts", workers=workers,
                             dpi=300)
        by_figure = {id(f): p for f, p in zip(figures, pngs)}
        self.draft = draft_docx(built.doc, lambda f: by_figure[id(f)], built.cfg.profile_dir)
        self.data = self.draft.save()
        self.entries = ([h for h in built.doc.headings if h.level <= built.doc.toc_levels]
                        if built.doc.layout == "report" else [])           # a brief has no 目录
        self.layout: TocPages | None = None
        if self.entries:
            from .render.office import TocPages

            self.layout = TocPages(self.data)
        self.seconds = time.perf_counter() - t0

    def finish(self) -> bytes:
        if self.layout is None:
            return self.data
        t0 = time.perf_counter()
        lines, problem = self.layout.result()
        pages = _toc_pages(lines, problem, self.entries)
        self.seconds += time.perf_counter() - t0
        if isinstance(pages, str):
            self.built.doc.notices.append(f"提示：{pages}，Word 文档目录的页码将在 Word 打开文档时填入"
                                          "（LibreOffice、WPS 中可按“更新目录”填入）。")
            return self.data
        return self.draft.fill_toc(pages)

    def cancel(self) -> None:
        if self.layout is not None:
            self.layout.cancel()


def start_docx(built: Built, workers: int = 2) -> DocxJob:
    return DocxJob(built, workers)


def _toc_pages(lines, problem: str | None, entries: list) -> dict[str, str] | str:
    """The 目录's page numbers by heading anchor from LibreOffice's 目录 ``lines``; or why not."""
    if lines is None:
        return problem or "LibreOffice 未给出目录页码"
    shown = [re.sub(r"\s+", "", t) for t, _ in lines]
    if shown != [re.sub(r"\s+", "", h.text) for h in entries]:
        return "LibreOffice 排出的目录与报告的标题不一致"
    return {h.anchor: page for h, (_, page) in zip(entries, lines)}


def check_docx_target(built: Built, out: Path) -> None:
    if out.suffix.lower() != ".docx":
        raise RenderError(f"输出错误：--docx {display_path(out)} 的扩展名应为 .docx。")
    check_target(built, out)


def write_docx_file(built: Built, out: Path, workers: int = 2, job: DocxJob | None = None) -> Path:
    """Write the .docx atomically (refused onto an input, as the PDF); ``job``: one started before the PDF."""
    check_docx_target(built, out)
    t0 = time.perf_counter()
    try:
        job = job or DocxJob(built, workers)
        data = job.finish()
    finally:
        if job is not None:
            job.cancel()
    write_atomic(out, data)
    built.timings["docx"] = time.perf_counter() - t0 + (job.seconds if job is not None else 0.0)
    return out


def write_xlsx_file(built: Built, out: Path) -> Path:
    """The report's tables, chart series and figure list as an .xlsx, written atomically."""
    from .render.xlsx import write_xlsx

    if out.suffix.lower() != ".xlsx":
        raise RenderError(f"输出错误：--xlsx {display_path(out)} 的扩展名应为 .xlsx。")
    check_target(built, out)
    t0 = time.perf_counter()
    write_atomic(out, write_xlsx(built.doc, built.manifest))
    built.timings["xlsx"] = time.perf_counter() - t0
    return out


def chart_files(built: Built, folder: Path, workers: int = 2) -> list[Path]:
    """Every chart as 300 dpi PNG and as SVG, named by its number and caption (图03-2023年市场管理反映前五类问题.png),
    for slides; written atomically, never onto an input."""
    import re as _re

    from .charts import render_charts
    from .pipeline import chart_style

    if folder.exists() and not folder.is_dir():
        raise RenderError(f"输出错误：--charts {display_path(folder)} 应为文件夹。")
    figures = built.doc.figures
    pngs = render_charts([f.spec for f in figures], chart_style(), cache_dir() / "charts", workers=workers, dpi=300)
    written = []
    width = max(2, len(str(len(figures))))
    for k, (fig, png) in enumerate(zip(figures, pngs), start=1):
        stem = f"图{k:0{width}d}-" + _re.sub(r'[\\/:*?"<>|\s]+', "", fig.caption)[:80]
        for src, ext in ((png, ".png"), (fig.src, ".svg")):
            if src is None:
                continue
            target = folder / f"{stem}{ext}"
            check_target(built, target)
            write_atomic(target, Path(src).read_bytes())
            written.append(target)
    return written
