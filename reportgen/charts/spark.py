"""Sparkline family ("spark"): a tiny monthly line for a table cell.

No axes, ticks, grid or legend, and no category labels (the table header
says what the months are).  Draws every series as a thin line (first series
emphasised), a dot on the last valid point of the first series and, when
``value_labels`` and ``labels`` are given, the label of that last point to
the right of the line (space for it is reserved).  Typical size 30 x 8 mm.
"""

from __future__ import annotations

import numpy as np

from .style import as_array, label_list
from .style import PT_PER_INCH, TEXT_COLOR, ensure_fonts, new_figure, series_colors, text_width_pt


def draw_spark(spec, style):
    ensure_fonts(style)
    fig = new_figure(spec, constrained=False)
    width_pt = spec.width_mm / 25.4 * PT_PER_INCH
    height_pt = spec.height_mm / 25.4 * PT_PER_INCH
    size = min(style.small_pt, max(5.0, height_pt * 0.6))
    first = spec.series[0]
    v0 = as_array(first.values)
    valid = np.flatnonzero(~np.isnan(v0))
    last = int(valid[-1]) if valid.size else None
    labs = label_list(first, spec.value_labels)
    last_label = labs[last] if (labs and last is not None) else ""
    reserve = (text_width_pt(last_label, style, size) + 3.0) if last_label else 0.0
    pad = 2.0  # pt, room for the end dot and line width
    right = max(0.3, 1 - (reserve + pad) / width_pt)
    fig.subplots_adjust(left=pad / width_pt, right=right,
                        bottom=pad / height_pt, top=1 - pad / height_pt)
    ax = fig.add_subplot()
    ax.set_axis_off()
    colors = series_colors(spec, style)
    for i, (s, c) in enumerate(zip(spec.series, colors)):
        v = as_array(s.values)
        x = np.arange(len(v), dtype=float)
        ax.plot(x, v, color=c, linewidth=1.1 if i == 0 else 0.8,
                alpha=1.0 if i == 0 else 0.7, clip_on=False, solid_capstyle="round")
    if last is not None:
        ax.plot([last], [v0[last]], marker="o", markersize=2.6, markeredgewidth=0,
                color=colors[0], clip_on=False)
        if last_label:
            # vertically centred in the cell, whatever the last value is
            ax.annotate(last_label, xy=(last, 0.5), xycoords=("data", "axes fraction"),
                        xytext=(3, 0),
                        textcoords="offset points", ha="left", va="center",
                        fontsize=size, color=TEXT_COLOR, annotation_clip=False)
    n = max(len(s.values) for s in spec.series)
    ax.set_xlim(0, max(n - 1, 1))
    return fig
