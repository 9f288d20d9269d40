"""Value labels that never collide: each label takes the first free place among its candidates.

A chart's value labels are matplotlib ``Annotation`` objects placed by an offset (in points) from their
data point.  ``place_labels`` tries, per label, a few offsets (above / below a line's point, then to
its right or left; a bar's label outside its end, then inside it) and keeps the first one whose box
touches no line of any series, no marker, no other label, no axis tick label and stays inside the
plot.  A place over a bar of another series is taken only when nothing better is free; the label then
gets a white ground.  A label crosses its own line only when no other place is free (at a dip of
the line).  A label with no free place is left out (thinned) rather than struck through by
another series.

Everything is computed in display units (1 unit = 1 pt: figures are drawn at 72 dpi).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
from matplotlib.transforms import Bbox

from .style import text_on

GAP = 4.0        # pt between a line's point and its label
BAR_PAD = 1.5    # pt between a bar's end and its label (matplotlib's bar_label padding)
MARGIN = 0.5     # pt of clearance required around a label


@dataclass
class Label:
    text: object                    # the Annotation
    ax: object
    candidates: list                # [(ox, oy, ha, va, inside_color or None)]
    own_patch: object = None        # the bar the label belongs to (not an obstacle for it)
    own_line: object = None         # the line the label belongs to
    placed: Bbox | None = field(default=None)


def line_label(text, ax, line, prefer_below: bool = False) -> Label:
    above = (0.0, GAP, "center", "bottom", None)
    below = (0.0, -GAP - 1.0, "center", "top", None)
    right = (GAP + 1.5, 0.0, "left", "center", None)
    left = (-GAP - 1.5, 0.0, "right", "center", None)
    above_r = (1.5, GAP, "left", "bottom", None)
    above_l = (-1.5, GAP, "right", "bottom", None)
    below_r = (1.5, -GAP - 1.0, "left", "top", None)
    below_l = (-1.5, -GAP - 1.0, "right", "top", None)
    if prefer_below:
        order = [below, above, below_r, below_l, above_r, above_l]
    else:
        order = [above, below, above_r, above_l, below_r, below_l]
    return Label(text, ax, order + [right, left], own_line=line)


def bar_label(text, ax, patch) -> Label:
    """Outside the bar's end first, then inside it (in the colour that reads on the bar)."""
    negative = patch.get_height() < 0
    inside_color = text_on(_hex(patch.get_facecolor()))
    if negative:
        cands = [(0.0, -BAR_PAD, "center", "top", None), (0.0, BAR_PAD, "center", "bottom", inside_color)]
    else:
        cands = [(0.0, BAR_PAD, "center", "bottom", None), (0.0, -BAR_PAD, "center", "top", inside_color)]
    return Label(text, ax, cands, own_patch=patch)


def _hex(rgba) -> str:
    import matplotlib.colors as mcolors

    return mcolors.to_hex(rgba)


# --------------------------------------------------------------------------
# geometry


def _segments(line) -> np.ndarray:
    """The drawn segments of a line in display coordinates, shape (k, 4): x0, y0, x1, y1."""
    xy = line.get_transform().transform(np.asarray(line.get_xydata(), dtype=float))
    a, b = xy[:-1], xy[1:]
    ok = np.isfinite(a).all(axis=1) & np.isfinite(b).all(axis=1)
    return np.hstack([a[ok], b[ok]]) if ok.any() else np.zeros((0, 4))


def _points(line) -> np.ndarray:
    xy = line.get_transform().transform(np.asarray(line.get_xydata(), dtype=float))
    return xy[np.isfinite(xy).all(axis=1)]


def segment_hits_box(seg, box: Bbox) -> bool:
    """Does the segment (x0, y0, x1, y1) pass through ``box`` (Liang–Barsky clipping)?"""
    x0, y0, x1, y1 = seg
    dx, dy = x1 - x0, y1 - y0
    t0, t1 = 0.0, 1.0
    for p, q in ((-dx, x0 - box.x0), (dx, box.x1 - x0), (-dy, y0 - box.y0), (dy, box.y1 - y0)):
        if p == 0:
            if q < 0:
                return False
            continue
        r = q / p
        if p < 0:
            if r > t1:
                return False
            t0 = max(t0, r)
        else:
            if r < t0:
                return False
            t1 = min(t1, r)
    return t0 <= t1


def _overlap(a: Bbox, b: Bbox) -> bool:
    return a.x0 < b.x1 and b.x0 < a.x1 and a.y0 < b.y1 and b.y0 < a.y1


def _candidate_box(lab: Label, cand, w: float, h: float) -> Bbox:
    ox, oy, ha, va, _c = cand
    px, py = lab.ax.transData.transform(lab.text.xy)
    x = px + ox - {"left": 0.0, "center": w / 2, "right": w}[ha]
    y = py + oy - {"bottom": 0.0, "center": h / 2, "top": h}[va]
    return Bbox.from_bounds(x, y, w, h)


# --------------------------------------------------------------------------


def place_labels(fig, labels: list[Label], lines, bars, fixed_texts, plot_box: Bbox,
                 final: bool) -> dict[int, tuple[float, float]]:
    """Place every label (in the given order); return, per axes (``id``), how far (pt) the labels
    would have to reach above / below ``plot_box`` to fit — (0, 0) when they all fit.

    ``lines``: the Line2D of every series; ``bars``: every bar patch; ``fixed_texts``: texts labels
    must not touch (tick labels).  With ``final``, a label that finds no place inside the plot is
    hidden instead of being reported."""
    segs = [(ln, _segments(ln)) for ln in lines]
    marks = []
    for ln in lines:
        r = ln.get_markersize() / 2 + 0.5
        marks += [(ln, Bbox.from_extents(x - r, y - r, x + r, y + r)) for x, y in _points(ln)]
    bar_boxes = [(p, p.get_window_extent()) for p in bars]
    taken = [t.get_window_extent() for t in fixed_texts if t.get_visible() and t.get_text()]
    need: dict[int, list[float]] = {}
    for lab in labels:
        t = lab.text
        t.set_visible(True)
        ext = t.get_window_extent()
        w, h = ext.width, ext.height
        best = None
        for rank, cand in enumerate(lab.candidates):
            box = _candidate_box(lab, cand, w, h)
            clear = box.expanded(1.0, 1.0).padded(MARGIN)
            if any(_overlap(clear, o) for o in taken):
                continue
            if any(segment_hits_box(s, clear) for ln, ss in segs if ln is not lab.own_line for s in ss):
                continue
            if any(_overlap(clear, m) for _ln, m in marks):
                continue
            # its own line only when no other place is free (a label at a dip of its line)
            crosses_own = any(segment_hits_box(s, clear) for ln, ss in segs if ln is lab.own_line
                              for s in ss)
            own = lab.own_patch
            if cand[4] is not None:                       # inside its own bar: the bar must hold it
                ob = own.get_window_extent()
                if not (ob.y0 <= box.y0 - BAR_PAD and box.y1 + BAR_PAD <= ob.y1 and
                        ob.x0 <= box.x0 and box.x1 <= ob.x1):
                    continue
            on_bar = any(_overlap(clear, b) for p, b in bar_boxes if p is not own)
            up = max(0.0, box.y1 - (plot_box.y1 - 1.0))
            down = max(0.0, (plot_box.y0 + 1.0) - box.y0)
            if final:        # inside the plot, to within a point
                up, down = (0.0 if up <= 1.0 else up), (0.0 if down <= 1.0 else down)
            sideways = box.x0 < fig.bbox.x0 or box.x1 > fig.bbox.x1
            if sideways:
                continue
            # the preferred place even when the axes must grow for it; outside the plot only at the end
            key = (final and up + down > 0, crosses_own, on_bar, rank, up + down)
            if best is None or key < best[0]:
                best = (key, cand, box, up, down)
        if best is None or (final and (best[3] or best[4])):
            t.set_visible(False)
            continue
        (_outside, _own, on_bar, _rank, _amount), cand, box, up, down = best
        ox, oy, ha, va, inside = cand
        t.xyann = (ox, oy)
        t.set_ha(ha)
        t.set_va(va)
        if inside is not None:
            t.set_color(inside)
        if on_bar:
            t.set_bbox({"boxstyle": "square,pad=0.1", "facecolor": "white", "edgecolor": "none",
                        "alpha": 0.85})
        else:
            t.set_bbox(None)
        taken.append(box)
        lab.placed = box
        if up or down:
            n = need.setdefault(id(lab.ax), [0.0, 0.0])
            n[0], n[1] = max(n[0], up), max(n[1], down)
    return {k: (v[0], v[1]) for k, v in need.items()}


def prefer_below(y_disp: float, others: list[float]) -> bool:
    """Below the point when another series' point of the same month is above it."""
    return any(o > y_disp + 0.5 for o in others if math.isfinite(o))
