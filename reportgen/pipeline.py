"""The whole flow for one report: plan → inputs → document → charts → HTML.  Laying out the PDF and writing
the outputs is :mod:`reportgen.publish`, the next stage."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

from . import provenance
from .assessment import BriefData
from .config import Config, load_config
from .inputs import load_inputs
from .notes import names_with_digits, note_footnote_calls, note_rejects, note_ticks
from .plan import plan_for
from .render import render_html
from .reports import Document, build_report
from .reports.build import check_inputs
from .workspace import FONTS_DIR, cache_dir

CHART_FONT = FONTS_DIR / "NotoSansCJKsc-Regular.otf"


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


def build(kind: str, period: str, config_dir: Path | None = None, period_path: Path | None = None,
          workers: int = 2, district: str | None = None, draw: bool = True) -> Built:
    t: dict[str, float] = {}
    t0 = time.perf_counter()
    plan = plan_for(load_config(kind, period, config_dir, period_path, district))
    cfg = plan.cfg
    check_inputs(cfg)                    # every section's declared inputs, before any file is read
    store, data = load_inputs(plan)
    t["load"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    with provenance.collecting() as manifest:
        doc = build_report(cfg, store, data, compare=plan.compare)
        rejects = list(store.rejects) if store is not None else []
        what = "受理记录"
        if isinstance(data, BriefData):
            rejects, what = list(data.assessment.rejects), "考评表"
        if store is not None:
            doc.notices.extend(store.notices)          # e.g. rows outside the report's months: not counted, said so
        if rejects:
            note_rejects(doc, manifest, len(rejects), what)
        note_footnote_calls(doc, manifest)
        manifest.names.update(names_with_digits(cfg, store))
    t["aggregate"] = time.perf_counter() - t0
    if store is not None:       # the data stage: reading and checking the sources, and every group-by
        t["data"] = t["load"] + store.query_seconds
    if not draw:            # the document only (``reportgen paragraphs``): no chart drawn, no HTML
        return Built(cfg, doc, "", t, manifest, rejects=rejects)
    t0 = time.perf_counter()
    figures = doc.figures
    paths = []
    if figures:
        from .charts import render_charts

        paths = render_charts([f.spec for f in figures], chart_style(), cache_dir() / "charts", workers=workers)
    for f, p in zip(figures, paths):
        f.src = p
        note_ticks(manifest, f)
    t["charts"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    html = render_html(doc, profile_dir=cfg.profile_dir)
    t["html"] = time.perf_counter() - t0
    return Built(cfg, doc, html, t, manifest, rejects=rejects)
