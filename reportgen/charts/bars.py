"""Bar families: "bar" (one series), "grouped_bar" (e.g. 本年 vs 上年 side by
side per month) and "hbar" (horizontal, for ranked lists with long Chinese
category names, e.g. a top-20 of 诉求类别).

Single-series bar/hbar charts whose values include a negative number (or
whose series has ``color="signed"``) colour each bar by sign with
``style.increase_color`` (red, increase) / ``style.decrease_color`` (green).
"""

from __future__ import annotations

import logging
import math

import numpy as np

from .style import (
    PT_PER_INCH,
    TEXT_COLOR,
    add_legend,
    as_array,
    ensure_fonts,
    hide_spines,
    label_list,
    new_figure,
    series_colors,
    style_category_axis,
    style_value_axis,
    text_on,
    text_width_pt,
    wrap_label,
)

SIGNED = "signed"
MIN_LABEL_PT = 5.5

log = logging.getLogger(__name__)


def bar_colors(s, color: str, style) -> list[str] | str:
    """Per-bar colours by sign when asked for (or when values go negative)."""
    vals = [v for v in s.values if v is not None]
    if s.color == SIGNED or (s.color is None and any(v < 0 for v in vals)):
        return [style.increase_color if (v or 0) >= 0 else style.decrease_color
                for v in s.values]
    return color


def plot_bars(ax, series, colors, style, *, mode: str, show_labels: bool):
    """Draw bar series at x = 0..n-1 on ``ax``.

    mode: "group" (side by side; a single series is just centred) or "stack".
    Returns (handles, label_info) where label_info is a list of
    (texts, patches, bar width in data units, mode) for ``fit_bar_labels``.
    """
    n = len(series)
    handles = []
    info = []
    if not n:
        return handles, info
    x = np.arange(len(series[0].values), dtype=float)
    if mode == "stack":
        width = 0.6
        pos_base = np.zeros_like(x)
        neg_base = np.zeros_like(x)
        for s, c in zip(series, colors):
            v = as_array(s.values)
            v0 = np.nan_to_num(v)
            bottom = np.where(v0 >= 0, pos_base, neg_base)
            cont = ax.bar(x, v0, width, bottom=bottom, color=c, label=s.name,
                          linewidth=0, zorder=2)
            pos_base = pos_base + np.where(v0 >= 0, v0, 0)
            neg_base = neg_base + np.where(v0 < 0, v0, 0)
            handles.append(cont)
            labs = label_list(s, show_labels)
            if labs:
                texts = ax.bar_label(cont, labels=labs, label_type="center",
                                     fontsize=style.small_pt, color=text_on(c))
                info.append((list(texts), list(cont.patches), width, "stack"))
        return handles, info

    group = 0.6 if n == 1 else 0.8
    width = group / n
    for i, (s, c) in enumerate(zip(series, colors)):
        v = as_array(s.values)
        offset = (i - (n - 1) / 2) * width
        fill = bar_colors(s, c, style) if n == 1 else c
        cont = ax.bar(x + offset, np.nan_to_num(v), width * (0.92 if n > 1 else 1.0),
                      color=fill, label=s.name, linewidth=0, zorder=2)
        handles.append(cont)
        labs = label_list(s, show_labels)
        if labs:
            texts = ax.bar_label(cont, labels=labs, padding=1.5,
                                 fontsize=style.small_pt, color=TEXT_COLOR)
            info.append((list(texts), list(cont.patches), width if n > 1 else 0.95, "group"))
    return handles, info


def fit_bar_labels(fig, ax, info, style) -> None:
    """Make value labels of bars readable.  Needs a layout pass first.

    Side-by-side bars: if a label is wider than its bar, all labels turn
    vertical; if a vertical label is still thicker than its bar, the labels
    shrink (not below 5.5 pt); failing that they are hidden (and a warning
    is logged) rather than drawn on top of each other.  Stacked bars: a
    label that does not fit inside its segment is hidden.
    """
    if not info:
        return
    x0, x1 = ax.get_xlim()
    y0, y1 = ax.get_ylim()
    pt = PT_PER_INCH / fig.dpi
    pt_per_x = ax.bbox.width / (x1 - x0) * pt
    pt_per_y = ax.bbox.height / (y1 - y0) * pt
    size = style.small_pt
    group = [(texts, width * pt_per_x) for texts, _p, width, mode in info if mode == "group"]
    if group:
        rotate = any(text_width_pt(t.get_text(), style, size) > w
                     for texts, w in group for t in texts)
        if rotate:
            thinnest = min(w for _texts, w in group)
            fit = math.floor(thinnest / 0.95 * 10) / 10  # digit height ~0.75 em + gap
            if fit < MIN_LABEL_PT:
                log.warning("bars too thin for value labels; labels omitted")
            for texts, _w in group:
                for t in texts:
                    if fit < MIN_LABEL_PT:
                        t.set_visible(False)
                        continue
                    t.set_rotation(90)
                    if fit < size:
                        t.set_fontsize(fit)
    for texts, patches, width, mode in info:
        if mode != "stack":
            continue
        for t, p in zip(texts, patches):
            h = abs(p.get_height()) * pt_per_y
            w = text_width_pt(t.get_text(), style, size)
            if h < size * 1.2 or w > width * pt_per_x * 1.05:
                t.set_visible(False)


def draw_hbar(spec, style):
    """Horizontal bars, categories top-down in the given order."""
    ensure_fonts(style)
    fig = new_figure(spec)
    ax = fig.add_subplot()
    colors = series_colors(spec, style)
    cats = list(spec.categories)
    ncat = len(cats)
    n = len(spec.series)
    y = np.arange(ncat, dtype=float)
    group = 0.65 if n == 1 else 0.8
    h = group / n
    width_pt = spec.width_mm / 25.4 * PT_PER_INCH
    height_pt = spec.height_mm / 25.4 * PT_PER_INCH

    # rows too tight for the font: shrink category labels (never below 6 pt)
    row_pt = height_pt * 0.85 / max(ncat, 1)
    tick_size = style.font_size_pt
    max_lines = 2
    if row_pt < tick_size * 1.3:
        tick_size = max(6.0, round(row_pt / 1.3, 1))
    if row_pt < tick_size * 2.5:
        max_lines = 1
    max_name = width_pt * 0.38
    names = []
    for c in cats:
        w = wrap_label(c, max_name, style, tick_size, max_lines=max_lines)
        names.append(w if w is not None else c)

    handles = []
    texts_all = []
    for i, (s, c) in enumerate(zip(spec.series, colors)):
        v = as_array(s.values)
        offset = (i - (n - 1) / 2) * h
        fill = bar_colors(s, c, style) if n == 1 else c
        cont = ax.barh(y + offset, np.nan_to_num(v), h * (0.92 if n > 1 else 1.0),
                       color=fill, label=s.name, linewidth=0, zorder=2)
        handles.append(cont)
        labs = label_list(s, spec.value_labels)
        if labs:
            texts_all += list(ax.bar_label(cont, labels=labs, padding=2,
                                           fontsize=min(style.small_pt, tick_size),
                                           color=TEXT_COLOR))
    ax.set_yticks(y, names)
    ax.tick_params(axis="y", labelsize=tick_size, length=0)
    ax.set_ylim(ncat - 0.5, -0.5)  # first category on top
    style_category_axis(ax, "y")
    style_value_axis(ax, "x", grid=True)
    hide_spines(ax, "top", "right")
    ax.spines["left"].set_visible(True)
    ax.spines["bottom"].set_visible(False)
    ax.tick_params(axis="x", labelcolor="#8c8c8c")
    if spec.y_label:  # the unit of the (horizontal) value axis
        ax.set_xlabel(spec.y_label, loc="right", color="#595959", labelpad=2)
    add_legend(fig, spec, handles, [s.name for s in spec.series], style)
    for t in texts_all:
        t.set_in_layout(False)
    _ensure_width(fig, ax, texts_all)
    return fig


def _ensure_width(fig, ax, texts, max_iter: int = 4) -> None:
    """Grow x limits until value labels at bar ends fit inside the axes."""
    for _ in range(max_iter):
        fig.draw_without_rendering()
        texts = [t for t in texts if t.get_text()]
        if not texts:
            return
        box = ax.bbox
        right = max(t.get_window_extent().x1 for t in texts)
        left = min(t.get_window_extent().x0 for t in texts)
        x0, x1 = ax.get_xlim()
        span = x1 - x0
        changed = False
        if right > box.x1 - 1:
            x1 += span * (right - box.x1 + 1) / box.width * 1.15 + span * 0.01
            changed = True
        if left < box.x0 + 1 and x0 < 0:
            x0 -= span * (box.x0 + 1 - left) / box.width * 1.15 + span * 0.01
            changed = True
        if not changed:
            return
        ax.set_xlim(x0, x1)
