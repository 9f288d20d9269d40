"""The whole flow for one report: config → records → document → charts → HTML → PDF."""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field
from html import unescape
from pathlib import Path

from . import provenance
from .charts import ChartStyle, render_charts
from .config import Config, load_config
from .config.load import PROJECT_ROOT
from .errors import RenderError
from .periods import parse_period
from .records import RecordStore
from .render import render_html, render_pdf, write_atomic
from .render.glyphs import missing_glyphs
from .reports import Document, build_report

FONTS_DIR = PROJECT_ROOT / "fonts"
CHART_FONT = FONTS_DIR / "NotoSansCJKsc-Regular.otf"
BODY_FONTS = ["FandolFang-Regular.otf", "LXGWWenKai-Regular.ttf", "NotoSansCJKsc-Regular.otf",
              "FandolSong-Regular.otf", "NotoSerifCJKsc-Bold.otf"]


def cache_dir() -> Path:
    import os

    return Path(os.environ.get("REPORTGEN_CACHE", PROJECT_ROOT / ".cache"))


@dataclass
class Built:
    cfg: Config
    doc: Document
    html: str
    timings: dict[str, float] = field(default_factory=dict)
    manifest: provenance.Manifest | None = None


def chart_style() -> ChartStyle:
    return ChartStyle(font_files=(str(CHART_FONT),), font_family="Noto Sans CJK SC")


def build(kind: str, period: str, config_dir: Path | None = None, period_path: Path | None = None,
          workers: int = 2) -> Built:
    t: dict[str, float] = {}
    t0 = time.perf_counter()
    cfg = load_config(kind, period, config_dir, period_path)
    files = [(cfg.resolve(s.path), s.format, s.sheet) for s in cfg.period_file.sources["records"]]
    end = parse_period(cfg.period_file.period).end
    store = RecordStore.open(files, cfg.profile, cfg.taxonomy, as_of=f"{end.year:04d}-{end.month:02d}")
    t["load"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    with provenance.collecting() as manifest:
        doc = build_report(cfg, store)
    t["aggregate"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    figures = doc.figures
    paths = render_charts([f.spec for f in figures], chart_style(), cache_dir() / "charts", workers=workers)
    for f, p in zip(figures, paths):
        f.src = p
        _note_ticks(manifest, f)
    t["charts"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    html = render_html(doc, profile_dir=cfg.profile_dir)
    t["html"] = time.perf_counter() - t0
    return Built(cfg, doc, html, t, manifest)


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

    return render_html(built.doc, profile_dir=built.cfg.profile_dir, chart_url=data_uri)


def text_of(html: str) -> str:
    return unescape(re.sub(r"<style>.*?</style>|<[^>]+>", "", html, flags=re.S))


def render_to_pdf(built: Built, out: Path, strict: bool = False) -> Path:
    t0 = time.perf_counter()
    if strict:
        fonts = [FONTS_DIR / f for f in BODY_FONTS]
        chart_text = "".join(
            "".join(f.spec.categories) + "".join(s.name + "".join(s.labels or ()) for s in f.spec.series)
            for f in built.doc.figures
        )
        missing = missing_glyphs(text_of(built.html) + chart_text, fonts)
        if missing:
            raise RenderError(f"渲染错误（--strict）：以下字符在内嵌字体中没有字形：{' '.join(missing)}。")
    pdf = render_pdf(built.html, base_url=PROJECT_ROOT,
                     allowed_roots=[PROJECT_ROOT / "fonts", PROJECT_ROOT / "templates", cache_dir(),
                                    built.cfg.profile_dir, built.cfg.period_path.parent],
                     strict=strict)
    if built.manifest is not None:
        write_atomic(manifest_path(out), built.manifest.to_json().encode("utf-8"))
    write_atomic(out, pdf)
    built.timings["pdf"] = time.perf_counter() - t0
    return out
