"""Dual-axis family ("dual"): bars on the left axis and a line on the right
(e.g. 受理量 万件 as bars, 同比增长 % as a line).

Family defaults: ``axis="left"`` series are bars, ``axis="right"`` series are
lines; ``Series.kind`` overrides.  ``draw_xy`` is the shared engine of every
category-x family (bar, grouped_bar, line, dual, stacked_bar): it draws any
mix of bar and line series on one or two y axes, fits the category labels,
value labels, legend and units.
"""

from __future__ import annotations

from .bars import fit_bar_labels, plot_bars
from .lines import plot_lines
from matplotlib.ticker import MaxNLocator

from .style import (
    AXIS_COLOR,
    draw_units,
    add_legend,
    ensure_fonts,
    ensure_headroom,
    fit_category_ticks,
    new_figure,
    series_colors,
    series_kind,
    style_category_axis,
    style_value_axis,
)


def draw_xy(spec, style, *, bar_mode: str = "group"):
    ensure_fonts(style)
    fig = new_figure(spec)
    ax = fig.add_subplot()
    colors = series_colors(spec, style)
    kinds = [series_kind(spec, s) for s in spec.series]
    has_right = any(s.axis == "right" for s in spec.series)
    ax2 = ax.twinx() if has_right else None
    n = len(spec.categories)

    handle_of = {}
    label_texts = {}
    bar_info = {}
    for a, side in ((ax, "left"), (ax2, "right")):
        if a is None:
            continue
        idx_bar = [i for i, s in enumerate(spec.series) if s.axis == side and kinds[i] == "bar"]
        idx_line = [i for i, s in enumerate(spec.series) if s.axis == side and kinds[i] == "line"]
        hb, info = plot_bars(a, [spec.series[i] for i in idx_bar], [colors[i] for i in idx_bar],
                             style, mode=bar_mode, show_labels=spec.value_labels)
        hl, texts = plot_lines(a, [spec.series[i] for i in idx_line],
                               [colors[i] for i in idx_line], style,
                               show_labels=spec.value_labels)
        handle_of.update(zip(idx_bar, hb))
        handle_of.update(zip(idx_line, hl))
        bar_info[side] = info
        label_texts[side] = texts + [t for tx, _p, _w, _m in info for t in tx]
        style_value_axis(a, "y", grid=(side == "left"))
        if side == "left" and not idx_bar and not idx_line:
            a.set_yticks([])

    ax.set_xticks(range(n), list(spec.categories))
    ax.set_xlim(-0.5, n - 0.5)
    style_category_axis(ax, "x")
    ax.spines["left"].set_visible(False)
    if ax2 is not None:
        for sp in ax2.spines.values():
            sp.set_visible(False)
        ax2.tick_params(axis="y", length=0)
    for a, side in ((ax, "left"), (ax2, "right")):
        if a is not None and any(v is not None and v < 0 for s in spec.series
                                 if s.axis == side for v in s.values):
            if any(kinds[i] == "bar" for i, s in enumerate(spec.series) if s.axis == side):
                a.axhline(0, color=AXIS_COLOR, linewidth=0.6, zorder=2.5)
    if spec.family == "dual" and ax2 is not None:
        _separate(spec, kinds, ax, ax2)
    draw_units(ax, spec, ax2)
    order = sorted(handle_of)
    add_legend(fig, spec, [handle_of[i] for i in order], [spec.series[i].name for i in order])

    # value labels stay inside the axes (ensure_headroom), so constrained
    # layout need not measure them: much faster
    for texts in label_texts.values():
        for t in texts:
            t.set_in_layout(False)
    fig.draw_without_rendering()
    fit_category_ticks(fig, ax, spec.categories, style)
    fit_bar_labels(fig, ax, bar_info.get("left", []), style)
    if ax2 is not None:
        fit_bar_labels(fig, ax2, bar_info.get("right", []), style)
    pairs = [(ax, label_texts.get("left", []), _floor(spec, "left"))]
    if ax2 is not None:
        pairs.append((ax2, label_texts.get("right", []), _floor(spec, "right")))
    ensure_headroom(fig, pairs)
    return fig


def _values(spec, side, kinds, kind):
    vals = [v for i, s in enumerate(spec.series) if s.axis == side and kinds[i] == kind
            for v in s.values if v is not None]
    return vals


def _floor(spec, side):
    vals = [v for s in spec.series if s.axis == side for v in s.values if v is not None]
    return 0.0 if vals and min(vals) >= 0 else None


def _separate(spec, kinds, ax, ax2, bar_top=0.62, line_band=(0.70, 0.92)):
    """Bars (left) in the lower part, line (right) in a band above them, so
    that the line and its labels never run through the bars and theirs.
    Right-axis ticks are limited to the band actually used by the line."""
    bars = _values(spec, "left", kinds, "bar")
    lines = _values(spec, "right", kinds, "line")
    if not bars or not lines or _values(spec, "left", kinds, "line") \
            or _values(spec, "right", kinds, "bar"):
        return
    bmax, bmin = max(bars), min(0.0, min(bars))
    if bmax > 0:
        ax.set_ylim(bmin, bmin + (bmax - bmin) / bar_top)
        # left ticks/grid only where the bars are
        lt = MaxNLocator(nbins=4).tick_values(bmin, bmax)
        ax.set_yticks([t for t in lt if bmin <= t <= bmax * 1.1])
    lo, hi = min(lines), max(lines)
    r = hi - lo
    if r <= 0:
        r = abs(hi) * 0.2 or 1.0
        lo, hi = lo - r / 2, hi + r / 2
    band_lo, band_hi = line_band
    span = r / (band_hi - band_lo)
    y0 = lo - band_lo * span
    ax2.set_ylim(y0, y0 + span)
    ticks = MaxNLocator(nbins=2).tick_values(lo, hi)
    ax2.set_yticks([t for t in ticks if lo - 0.2 * r <= t <= hi + 0.2 * r])


def draw_dual(spec, style):
    return draw_xy(spec, style, bar_mode="group")
