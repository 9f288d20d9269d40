"""Stacked bar family ("stacked_bar"), e.g. 电话 / 网络 受理量 per month.

Series stack bottom-up in the given order (positive and negative parts
stack separately).  Value labels sit centred inside their segment, in white
or black depending on the fill, and are hidden when the segment is too small
to hold them.  A series with ``kind="line"`` (e.g. a share in % on
``axis="right"``) is drawn as a line on top.
"""

from __future__ import annotations


def draw_stacked_bar(spec, style):
    from .dual import draw_xy
    return draw_xy(spec, style, bar_mode="stack")
