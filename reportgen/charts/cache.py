"""Content-addressed SVG cache and parallel drawing.

The file name is the SHA-256 of a canonical JSON of (spec without ``note``,
style, ``CHART_VERSION``, matplotlib version).  A present file is a hit and is
never rewritten; a miss is drawn and written atomically (temp file in
``out_dir`` + ``os.replace``), so concurrent renderers and interrupted runs
never leave a truncated SVG under a final name.

Bump ``CHART_VERSION`` whenever a change in this package changes the drawing.
"""

from __future__ import annotations

import dataclasses
import hashlib
import io
import json
import logging
import multiprocessing
import time
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from functools import cache
from importlib.metadata import version
from pathlib import Path

from .spec import ChartSpec, validate
from .theme import ChartStyle

CHART_VERSION = "3"

log = logging.getLogger(__name__)


def _drawers():
    from .bars import draw_hbar
    from .dual import draw_bar, draw_dual, draw_grouped_bar, draw_line
    from .spark import draw_spark
    from .stacked import draw_stacked_bar

    return {
        "bar": draw_bar,
        "hbar": draw_hbar,
        "grouped_bar": draw_grouped_bar,
        "line": draw_line,
        "dual": draw_dual,
        "stacked_bar": draw_stacked_bar,
        "spark": draw_spark,
    }


@cache
def _matplotlib_version() -> str:
    """From the installed package's metadata: a render whose charts are all cached never imports matplotlib."""
    return version("matplotlib")


def chart_key(spec: ChartSpec, style: ChartStyle) -> str:
    """Hex SHA-256 identifying the drawing of ``spec`` in ``style``."""
    spec_d = dataclasses.asdict(spec)
    spec_d.pop("note", None)  # not drawn
    payload = {
        "spec": spec_d,
        "style": dataclasses.asdict(style),
        "chart_version": CHART_VERSION,
        "matplotlib": _matplotlib_version(),
    }
    blob = json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()


def chart_path(spec: ChartSpec, style: ChartStyle, out_dir: Path, dpi: int | None = None) -> Path:
    """``<key>.svg``, or ``<key>@<dpi>.png`` for a raster copy (the .docx, the chart images)."""
    key = chart_key(spec, style)
    return Path(out_dir) / (f"{key}.svg" if dpi is None else f"{key}@{int(dpi)}.png")


def draw_svg(spec: ChartSpec, style: ChartStyle) -> bytes:
    """Draw ``spec`` and return the SVG bytes (deterministic)."""
    return draw(spec, style)


def draw(spec: ChartSpec, style: ChartStyle, dpi: int | None = None) -> bytes:
    """Draw ``spec`` as SVG (``dpi`` None) or as PNG at ``dpi`` — the same figure, so the same text and marks."""
    import matplotlib as mpl

    from .style import ensure_fonts, rc_params

    validate(spec)
    ensure_fonts(style)
    drawer = _drawers()[spec.family]
    with mpl.rc_context(rc_params(style)):
        fig = drawer(spec, style)
        buf = io.BytesIO()
        try:
            if dpi is None:
                fig.savefig(buf, format="svg", metadata={"Date": None})
            else:
                fig.savefig(buf, format="png", dpi=int(dpi), metadata={"Software": None})
        finally:
            fig.clear()
    return buf.getvalue()


def _atomic_write(path: Path, data: bytes) -> None:
    from ..atomic import write_atomic

    write_atomic(path, data, durable=False)      # a cache: a lost entry is drawn again


def _draw_to(spec: ChartSpec, style: ChartStyle, path: str, dpi: int | None = None) -> float:
    """Worker entry point (top level: picklable under spawn). Returns seconds."""
    p = Path(path)
    if p.exists():
        return 0.0
    t0 = time.perf_counter()
    data = draw(spec, style, dpi)
    _atomic_write(p, data)
    dt = time.perf_counter() - t0
    log.debug("drew %s chart %s in %.3fs", spec.family, p.name, dt)
    return dt


def render_chart(spec: ChartSpec, style: ChartStyle, out_dir: Path) -> Path:
    """Write ``out_dir/<key>.svg`` unless present; return its path."""
    validate(spec)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    path = chart_path(spec, style, out_dir)
    if not path.exists():
        _draw_to(spec, style, str(path))
    return path


def render_charts(specs: Sequence[ChartSpec], style: ChartStyle, out_dir: Path,
                  workers: int = 2, dpi: int | None = None) -> list[Path]:
    """Paths for ``specs`` in the same order; misses drawn in parallel.

    Misses are de-duplicated (equal specs are drawn once) and drawn in a
    ``ProcessPoolExecutor`` using the *spawn* start method (safe with
    threads, same behaviour on Linux/macOS/Windows).  As with any spawn pool,
    a calling script must guard its entry point with
    ``if __name__ == "__main__":``.  With ``workers <= 1`` or a single miss,
    drawing happens in-process.  ``dpi``: PNG files at that resolution instead of SVG.
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    for s in specs:
        validate(s)
    paths = [chart_path(s, style, out_dir, dpi) for s in specs]
    misses: dict[Path, ChartSpec] = {}
    for s, p in zip(specs, paths):
        if p not in misses and not p.exists():
            misses[p] = s
    if not misses:
        return paths
    from .style import ensure_fonts

    ensure_fonts(style)  # fail early, in the caller, on a bad font setup
    if workers <= 1 or len(misses) == 1:
        for p, s in misses.items():
            _draw_to(s, style, str(p), dpi)
        return paths
    ctx = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=min(workers, len(misses)), mp_context=ctx) as ex:
        futures = [ex.submit(_draw_to, s, style, str(p), dpi) for p, s in misses.items()]
        for f in futures:
            f.result()
    return paths
