"""Dual-axis family ("dual"): bars on the left axis and a line on the right
(e.g. 受理量 万件 as bars, 同比增长 % as a line), or lines on both axes.

Family defaults: ``axis="left"`` series are bars, ``axis="right"`` series are
lines; ``Series.kind`` overrides.  ``draw_xy`` is the shared engine of every
category-x family (bar, grouped_bar, line, dual, stacked_bar): it draws any
mix of bar and line series on one or two y axes, fits the category labels,
value labels, legend and units.

Value axes (``_value_axes``): each axis gets round ticks (1, 2, 2.5, 5 × 10^k)
covering its own data, so every series uses most of the height; with two axes
both have the same number of ticks and share the gridlines (the right ticks
sit exactly on the left grid).  Bars start at 0; lines span their own range.
An axis in 万 whose data are too small for a step of 0.1 is drawn in the base
unit (万件 → 件, values × 10 000) unless it prints value labels, which stay
the report's strings.  Value labels are placed by ``labels.place_labels``
(never across a line, a marker or another label; thinned when there is no
room); the axes grow until the placed labels fit inside the plot.
"""

from __future__ import annotations

import dataclasses

from matplotlib.transforms import Bbox

from .bars import fit_bar_labels, plot_bars
from .labels import bar_label, line_label, place_labels, prefer_below
from .lines import plot_lines
from .style import (
    AXIS_COLOR,
    add_legend,
    data_range,
    draw_units,
    ensure_fonts,
    fit_category_ticks,
    label_list,
    nice_step_ticks,
    new_figure,
    series_colors,
    series_kind,
    shared_ticks,
    style_category_axis,
    style_value_axis,
)

SIDES = ("left", "right")
BASE_UNIT_STEP = 0.1    # an axis in 万 whose round step would be below this is drawn in the base unit
MAX_GROW = 4            # layout passes that grow the axes for their labels


def draw_xy(spec, style, *, bar_mode: str = "group"):
    ensure_fonts(style)
    kinds = [series_kind(spec, s) for s in spec.series]
    spec = _base_units(spec, kinds, bar_mode)
    fig = new_figure(spec)
    ax = fig.add_subplot()
    colors = series_colors(spec, style)
    has_right = any(s.axis == "right" for s in spec.series)
    ax2 = ax.twinx() if has_right else None
    axes = {"left": ax, "right": ax2}
    n = len(spec.categories)

    handle_of = {}
    bar_info = {}
    labels = []
    lines = []
    bars = []
    for side in SIDES:
        a = axes[side]
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
        for cont in hb:
            bars += list(cont.patches)
        lines += hl
        for texts_, patches, _w, mode in info:
            if mode == "group":
                labels += [(a, "bar", t, p) for t, p in zip(texts_, patches)]
        labels += [(a, "line", t, line) for t, line in texts]
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
        ax2.grid(False)
    for side in SIDES:
        a = axes[side]
        if a is not None and any(v is not None and v < 0 for s in spec.series
                                 if s.axis == side for v in s.values):
            if any(kinds[i] == "bar" for i, s in enumerate(spec.series) if s.axis == side):
                a.axhline(0, color=AXIS_COLOR, linewidth=0.6, zorder=2.5)
    draw_units(ax, spec, ax2)
    order = sorted(handle_of)
    add_legend(fig, spec, [handle_of[i] for i in order], [spec.series[i].name for i in order], style)

    # value labels stay inside the axes (placed below), so constrained layout
    # need not measure them: much faster
    for _a, _k, t, _o in labels:
        t.set_in_layout(False)
    for info in bar_info.values():
        for texts_, _p, _w, _m in info:
            for t in texts_:
                t.set_in_layout(False)

    # ticks from the data; then room for the labels above the top tick / below the bottom one, the
    # same share of the height on both axes, so their ticks stay on the same gridlines
    ranges = {side: _range(spec, kinds, side, bar_mode) for side in SIDES
              if axes[side] is not None and _has_data(spec, side)}
    if ax2 is not None and "left" not in ranges:
        ax2.grid(True, axis="y")
    ticks = _set_ticks(axes, ranges)
    room = [0.0, 0.0]                    # below, above: shares of the ticks' span
    for it in range(MAX_GROW + 1):
        _set_limits(axes, ticks, room)
        fig.draw_without_rendering()
        if it == 0:
            fit_category_ticks(fig, ax, spec.categories, style)
            for side in ranges:
                fit_bar_labels(fig, axes[side], bar_info.get(side, []), style)
            fig.draw_without_rendering()
            # labels the bars are too thin for stay out; the others are placed
            labels = [lab for lab in labels if lab[2].get_visible() and lab[2].get_text()]
        need = _place(fig, axes, labels, lines, bars, final=(it == MAX_GROW))
        if not need:
            break
        up = max(u for u, _d in need.values())
        down = max(d for _u, d in need.values())
        tick_px = ax.bbox.height / (1 + room[0] + room[1])
        room[1] += (up + 1.0) / tick_px if up else 0.0
        room[0] += (down + 1.0) / tick_px if down else 0.0
    return fig


def _place(fig, axes, labels, lines, bars, final: bool):
    """Bars' labels first (at their bars' ends when free), then the lines' labels round them."""
    ax = axes["left"]
    plot_box = Bbox(ax.bbox.get_points())
    fixed = list(ax.get_yticklabels()) + list(ax.get_xticklabels())
    if axes["right"] is not None:
        fixed += list(axes["right"].get_yticklabels())
    items = [bar_label(t, a, owner) for a, kind, t, owner in labels if kind == "bar"]
    for a, kind, t, owner in labels:
        if kind != "line":
            continue
        x, y = t.xy
        yd = a.transData.transform((x, y))[1]
        others = [ln.get_transform().transform((x, ln.get_ydata()[int(x)]))[1]
                  for ln in lines if ln is not owner and len(ln.get_ydata()) > int(x)]
        items.append(line_label(t, a, owner, prefer_below(yd, others)))
    return place_labels(fig, items, lines, bars, fixed, plot_box, final)


def _has_data(spec, side) -> bool:
    return any(v is not None for s in spec.series if s.axis == side for v in s.values)


def _has_bars(spec, kinds, side) -> bool:
    return any(k == "bar" for s, k in zip(spec.series, kinds) if s.axis == side)


def _range(spec, kinds, side, bar_mode) -> tuple[float, float]:
    """The data range of one axis: bars from 0 (stacked: their sums), lines their own extent."""
    vals = []
    bar_series = [s for s, k in zip(spec.series, kinds) if s.axis == side and k == "bar"]
    if bar_series and bar_mode == "stack":
        for j in range(len(spec.categories)):
            col = [s.values[j] for s in bar_series if s.values[j] is not None]
            vals += [sum(v for v in col if v > 0), sum(v for v in col if v < 0)]
    else:
        vals += [v for s in bar_series for v in s.values]
    vals += [v for s, k in zip(spec.series, kinds) if s.axis == side and k == "line" for v in s.values]
    return data_range(vals, include_zero=bool(bar_series))


def _set_ticks(axes, ranges) -> dict:
    """Round ticks for every axis with data, the same number on each (``shared_ticks``)."""
    sides = [s for s in SIDES if s in ranges]
    out = dict(zip(sides, shared_ticks([ranges[s] for s in sides]))) if sides else {}
    for side, t in out.items():
        axes[side].set_yticks(t)
    return out


def _set_limits(axes, ticks, room) -> None:
    for side, t in ticks.items():
        span = t[-1] - t[0]
        axes[side].set_ylim(t[0] - room[0] * span, t[-1] + room[1] * span)


def _base_units(spec, kinds, bar_mode):
    """万件 → 件 (values × 10 000) on an axis whose data are too small for ticks of 0.1 万, when that
    axis prints no value labels (a label is the report's string and keeps its unit)."""
    changes = {}
    for side, attr in (("left", "y_label"), ("right", "y2_label")):
        unit = getattr(spec, attr)
        if not (unit.startswith("万") and len(unit) > 1):
            continue
        ser = [s for s in spec.series if s.axis == side]
        if not ser or any(label_list(s, spec.value_labels) and any(label_list(s, spec.value_labels))
                          for s in ser):
            continue
        lo, hi = _range(spec, kinds, side, bar_mode)
        ticks = nice_step_ticks(lo, hi, 5)
        if ticks[1] - ticks[0] < BASE_UNIT_STEP - 1e-12:
            changes[side] = unit[1:]
    if not changes:
        return spec
    series = tuple(dataclasses.replace(s, values=tuple(None if v is None else round(v * 10000, 6)
                                                       for v in s.values))
                   if s.axis in changes else s for s in spec.series)
    return dataclasses.replace(spec, series=series,
                               y_label=changes.get("left", spec.y_label),
                               y2_label=changes.get("right", spec.y2_label))


def draw_dual(spec, style):
    return draw_xy(spec, style, bar_mode="group")


# bars and lines on one value axis are the same drawing on a single axis (bars.py and lines.py plot, this
# module lays out: the families import the plotters, never the other way round)
draw_bar = draw_grouped_bar = draw_line = draw_dual
