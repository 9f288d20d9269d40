"""Line family: multi-series monthly lines ("line").

A series with ``axis="right"`` goes on a second y axis (e.g. 满意率 % next to
volumes); ``kind="bar"`` turns a series into bars (see ``dual``).  Missing
values (``None``) leave a gap (never a point at 0).  Value labels are placed
afterwards by ``labels.place_labels`` (above the point, or below it when
another series is above, never across a line), see ``dual.draw_xy``.
"""

from __future__ import annotations

import numpy as np

from .style import TEXT_COLOR, as_array, label_list


def plot_lines(ax, series, colors, style, *, show_labels: bool):
    """Draw line series at x = 0..n-1; returns (handles, [(value label, its line)])."""
    handles = []
    texts = []
    used: list[str] = []
    for s, c in zip(series, colors):
        v = as_array(s.values)
        x = np.arange(len(v), dtype=float)
        # more series than palette colours: repeated colours get dashed
        dashed = c in used
        used.append(c)
        (line,) = ax.plot(x, v, color=c, marker="o", markersize=3.2,
                          linestyle=(0, (4, 2)) if dashed else "-",
                          markeredgewidth=0, label=s.name, zorder=3,
                          solid_capstyle="round", clip_on=False)
        handles.append(line)
        labs = label_list(s, show_labels)
        if not labs:
            continue
        for xj, yj, lab in zip(x, v, labs):
            if not lab or np.isnan(yj):
                continue
            t = ax.annotate(
                lab, xy=(xj, yj), xytext=(0, 4), textcoords="offset points", ha="center",
                va="bottom", fontsize=style.small_pt, color=TEXT_COLOR, annotation_clip=False,
                zorder=4)
            texts.append((t, line))
    return handles, texts

