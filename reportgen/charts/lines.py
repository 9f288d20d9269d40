"""Line family: multi-series monthly lines ("line").

A series with ``axis="right"`` goes on a second y axis (e.g. 满意率 % next to
volumes); ``kind="bar"`` turns a series into bars (see ``dual``).  Missing
values (``None``) leave a gap.  When exactly two labelled series share an
axis, the higher point of each month gets its label above and the lower one
below, so the two label rows do not collide.
"""

from __future__ import annotations

import numpy as np

from .bars import as_array, label_list
from .style import TEXT_COLOR


def plot_lines(ax, series, colors, style, *, show_labels: bool):
    """Draw line series at x = 0..n-1; returns (handles, value label texts)."""
    handles = []
    texts = []
    arrays = [as_array(s.values) for s in series]
    labelled = [i for i, s in enumerate(series) if label_list(s, show_labels)]
    used: list[str] = []
    for i, (s, c, v) in enumerate(zip(series, colors, arrays)):
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
        for j, (xj, yj, lab) in enumerate(zip(x, v, labs)):
            if not lab or np.isnan(yj):
                continue
            below = False
            if len(labelled) == 2:
                other = arrays[labelled[1] if labelled[0] == i else labelled[0]][j]
                if not np.isnan(other) and (yj < other or (yj == other and i == labelled[1])):
                    below = True
            t = ax.annotate(
                lab, xy=(xj, yj), xytext=(0, -5 if below else 4),
                textcoords="offset points", ha="center",
                va="top" if below else "bottom",
                fontsize=style.small_pt, color=TEXT_COLOR, annotation_clip=False,
                zorder=4)
            texts.append(t)
    return handles, texts


def draw_line(spec, style):
    from .dual import draw_xy
    return draw_xy(spec, style, bar_mode="group")
