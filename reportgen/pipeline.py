"""The whole flow for one report: config → records → document → charts → HTML → PDF."""

from __future__ import annotations

import re
import time
from functools import lru_cache
from dataclasses import dataclass, field
from html import unescape
from pathlib import Path

from . import provenance
from .assessment import Assessment, load_assessment_config, load_periods, period_files
from .config import Config, load_config
from .config.load import display_path
from .errors import ConfigError, DataError, RenderError
from .periods import parse_period
from .plan import plan_for
from .render import render_html, render_pdf, write_atomic
from .tickets import DatabaseTickets
from .render.glyphs import missing_glyphs
from .reports import Document, build_report
from .reports.brief import BriefData

from .workspace import FONTS_DIR, RESOURCES, SHARED_REPORTS, TEMPLATES, cache_dir  # noqa: F401  (cache_dir: re-exported)
CHART_FONT = FONTS_DIR / "NotoSansCJKsc-Regular.otf"
BODY_FONTS = ["FandolFang-Regular.otf", "cwfs.ttf", "ARPLUKaiCN.ttf", "NotoSansCJKsc-Regular.otf",
              "FandolSong-Regular.otf", "NotoSerifCJKsc-Bold.otf"]


@dataclass
class Built:
    cfg: Config
    doc: Document
    html: str
    timings: dict[str, float] = field(default_factory=dict)
    manifest: provenance.Manifest | None = None
    pages: int = 0           # set when the PDF is laid out
    rejects: list = field(default_factory=list)   # record rows left out (bad_rows: skip)


def chart_style():
    from .charts import ChartStyle

    return ChartStyle(font_files=(str(CHART_FONT),), font_family="Noto Sans CJK SC")


def _sources(cfg: Config, key: str) -> list:
    specs = cfg.period_file.sources.get(key)
    if not specs:
        raise ConfigError(f"配置错误：文件 {display_path(cfg.period_path)}，报告 {cfg.kind.kind} 需要 sources.{key}"
                          f"（{'受理记录' if key == 'records' else '市级考评表所在的文件夹'}），期间文件中没有。")
    return specs


@lru_cache(maxsize=4)
def _assessment(folder: Path, periods: tuple[str, ...], config_path: Path, districts: tuple[str, ...],
                stamp: tuple) -> Assessment:
    """The assessment tables, read once per process (a batch renders many districts from them).
    ``stamp`` (the files' sizes and times) makes a changed file a new cache entry."""
    return load_periods(folder, periods, config=load_assessment_config(config_path), known_districts=districts)


_STORES: dict[tuple, object] = {}


def _stamp(path: Path) -> tuple:
    try:
        st = path.stat()
        return (st.st_size, st.st_mtime_ns)
    except OSError:
        return (None, None)


def record_store(files: list, cfg: Config, as_of: str, months: tuple[str, str] | None = None):
    skip = cfg.period_file.bad_rows == "skip"
    """The checked records of these files (or databases), reused while the files, the profile and the taxonomy
    are unchanged (the preview rebuilds on every save; its group-bys then come from the store's memo).  A
    database source is read again only in a new process."""
    from .records import KnownNames, RecordStore

    key = (tuple(repr(f) if isinstance(f, DatabaseTickets) else (str(f[0]), *f[1:], *_stamp(f[0])) for f in files),
           cfg.profile.model_dump_json(), months, skip, _stamp(cfg.profile_dir / "units.yaml"),
           _stamp(cfg.profile_dir / "streets.yaml"), _stamp(cfg.profile_dir / "streets-former.yaml"),
           cfg.taxonomy.model_dump_json(), as_of)
    store = _STORES.get(key)
    if store is None:
        store = RecordStore.open(files, cfg.profile, cfg.taxonomy, as_of=as_of, known=KnownNames.of(cfg.profile_dir),
                                 months=months, skip_bad=skip, cache=cache_dir() / "records")
        _STORES.clear()
        _STORES[key] = store
    return store


def load_brief_data(cfg: Config, compare=None) -> BriefData:
    specs = _sources(cfg, "assessment")
    folder = cfg.resolve(specs[0].path)
    if not folder.is_dir():
        raise DataError(f"数据错误：文件 {display_path(cfg.period_path)}，sources.assessment 的 “{specs[0].path}” "
                        f"应为考评表所在的文件夹（{display_path(folder)} 不存在或不是文件夹）。")
    period = parse_period(cfg.period_file.period)
    previous = compare if compare is not None else plan_for(cfg).compare
    periods = (period.key, previous.key)
    present = [p for p in periods if all(f.is_file() for f in period_files(folder, p))]
    if period.key not in present:
        missing = [display_path(f) for f in period_files(folder, period.key) if not f.is_file()]
        raise DataError(f"数据错误：考核期 {period.key} 的考评表不全，缺少 {'、'.join(missing)}。")
    stamp = tuple((str(f), f.stat().st_size, f.stat().st_mtime_ns) for p in present for f in period_files(folder, p))
    asm = _assessment(folder, tuple(present), cfg.profile_dir / "assessment.yaml",
                      tuple(d.name for d in cfg.profile.districts), stamp)
    assert cfg.district is not None
    return BriefData(asm, cfg.district, period.key, previous.key, display_path(folder))


def build(kind: str, period: str, config_dir: Path | None = None, period_path: Path | None = None,
          workers: int = 2, district: str | None = None) -> Built:
    t: dict[str, float] = {}
    t0 = time.perf_counter()
    plan = plan_for(load_config(kind, period, config_dir, period_path, district))
    cfg = plan.cfg
    store = data = None
    if cfg.kind.data == "records":
        files = [DatabaseTickets(**s.database.model_dump()) if s.database
                 else (cfg.resolve(s.path), s.format, s.sheet, s.encoding) for s in _sources(cfg, "records")]
        store = record_store(files, cfg, as_of=plan.as_of, months=plan.months)
        if cfg.period_file.sources.get("rankings"):
            from .ranking_tables import load_rankings

            data = {"rankings": load_rankings([cfg.resolve(s.path) for s in cfg.period_file.sources["rankings"]],
                                              cfg.period_file.period)}
    else:
        data = load_brief_data(cfg, plan.compare)
    t["load"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    with provenance.collecting() as manifest:
        doc = build_report(cfg, store, data, compare=plan.compare)
        rejects = list(store.rejects) if store is not None else []
        if store is not None:
            doc.notices.extend(store.notices)          # e.g. rows outside the report's months: not counted, said so
        if rejects:
            _note_rejects(doc, manifest, len(rejects))
        _note_footnote_calls(doc, manifest)
        manifest.names.update(_names_with_digits(cfg, store))
    t["aggregate"] = time.perf_counter() - t0
    if store is not None:       # the data stage: reading and checking the sources, and every group-by
        t["data"] = t["load"] + store.query_seconds
    t0 = time.perf_counter()
    figures = doc.figures
    paths = []
    if figures:
        from .charts import render_charts

        paths = render_charts([f.spec for f in figures], chart_style(), cache_dir() / "charts", workers=workers)
    for f, p in zip(figures, paths):
        f.src = p
        _note_ticks(manifest, f)
    t["charts"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    html = render_html(doc, profile_dir=cfg.profile_dir)
    t["html"] = time.perf_counter() - t0
    return Built(cfg, doc, html, t, manifest, rejects=rejects)


def _note_rejects(doc, manifest, n: int) -> None:
    """The report says how many record rows it left out, at its end; the command says so too."""
    from markupsafe import Markup

    from .reports.document import Para

    provenance.note(str(n), str(n), "行", provenance.Source("rows left out (bad_rows: skip)"))
    text = (f"说明：受理记录中有{n}行不符合要求，未计入本报告的统计；每一行及其原因见与本报告同名、"
            "扩展名为 .rejects.csv 的文件。")
    doc.blocks.append(Para("data_note", Markup("<p>{}</p>").format(text), commentary=False))
    manifest.place("data_note")
    doc.notices.append(f"受理记录中有 {n} 行不合格，已按期间文件的 bad_rows: skip 不计入；明细写在报告旁的 .rejects.csv 中。")


def _names_with_digits(cfg: Config, store) -> list[str]:
    """Names the report may print that contain digits: the city's (hotline, districts, streets), the taxonomy's,
    and those in the records."""
    import re as _re

    prof, tax = cfg.profile, cfg.taxonomy
    names = [prof.hotline, prof.city, *(d.name for d in prof.districts)]
    names += [n for l1, subs in tax.categories.items() for n in (l1, *subs)]
    if store is not None:
        names += store.names_with_digits()
    return [n for n in names if n and _re.search(r"\d", n)]


def _note_footnote_calls(doc, manifest: provenance.Manifest) -> None:
    """The footnote calls (superscript 1, 2, … — the stylesheet's one footnote counter, in document order) are
    printed in their block: noted there, so that ``reportgen check`` finds each call's number in its block."""
    n = 0
    for block in doc.blocks:
        where = getattr(block, "id", None) or getattr(block, "anchor", "")
        text = "".join(str(getattr(block, k, None) or "") for k in ("title", "html", "caption", "note"))
        for _ in range(text.count('<span class="fn">')):
            n += 1
            manifest.entries.append(provenance.Entry(str(n), str(n), "注", where, {"measure": "footnote number"}))


_SVG_TEXT = re.compile(r"<text[^>]*>([^<]*)</text>")
_NUM = re.compile(r"^[−-]?\d+(?:\.\d+)?%?$")


def _note_ticks(manifest: provenance.Manifest, fig) -> None:
    """Numbers a chart prints besides its value labels (axis ticks) go into the manifest too."""
    labels = {lab for s in fig.spec.series for lab in (s.labels or ())}
    for text in _SVG_TEXT.findall(fig.src.read_text(encoding="utf-8")):
        text = unescape(text).strip()
        if _NUM.match(text) and text not in labels:
            manifest.note(text.replace("−", "-").rstrip("%"), text, "axis", provenance.Source("axis tick"))
    manifest.place(fig.id)


def manifest_path(pdf: Path) -> Path:
    return pdf.with_name(pdf.stem + ".figures.json")


def standalone_html(built: Built) -> str:
    """The same HTML with every chart inlined as a data: URI (a single file to mail or archive)."""
    import base64

    def data_uri(fig) -> str:
        return "data:image/svg+xml;base64," + base64.b64encode(fig.src.read_bytes()).decode("ascii")

    def photo_uri(photo) -> str:
        return "data:image/jpeg;base64," + base64.b64encode(photo.src.read_bytes()).decode("ascii")

    return render_html(built.doc, profile_dir=built.cfg.profile_dir, chart_url=data_uri, photo_url=photo_uri)


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
