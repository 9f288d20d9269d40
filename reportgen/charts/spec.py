"""Chart specifications: frozen, hashable, picklable value objects.

A spec describes *what* to draw, never *how numbers are written*: value
labels arrive preformatted (``Series.labels``) because the report formats
every number exactly once and the chart must show the same string as the
text and the tables.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

FAMILIES = ("bar", "hbar", "grouped_bar", "line", "dual", "stacked_bar", "spark")
AXES = ("left", "right")
KINDS = ("bar", "line")


@dataclass(frozen=True)
class Series:
    """One data series.

    ``values`` give geometry only (``None`` = missing: gap in a line, no bar).
    ``labels`` are the preformatted strings drawn on bars/points (same length
    as ``values``; ``""`` or ``None`` entries are skipped). ``axis`` picks the
    left or right y axis; ``kind`` overrides the family default ("bar" or
    "line"); ``color`` overrides the palette (a colour, ``signed``, or ``palette:N``).
    """

    name: str
    values: tuple[float | None, ...]
    labels: tuple[str, ...] | None = None
    axis: str = "left"
    kind: str | None = None
    color: str | None = None


@dataclass(frozen=True)
class ChartSpec:
    """One chart.

    family: "bar" | "hbar" | "grouped_bar" | "line" | "dual" | "stacked_bar" | "spark"
    categories: x labels ("1月" … "12月", or category names; for hbar the
        y labels, drawn top-down in the given order).
    y_label / y2_label: units of the left/right axis (e.g. "万件", "%"), drawn
        horizontally above the axis, as usual in Chinese statistical charts.
    width_mm / height_mm: the exact size of the SVG canvas.
    legend: draw a legend (only when there are two or more series).
    value_labels: draw ``Series.labels``.
    note: not drawn (the report prints it under the chart); not part of the
        cache key either.
    """

    family: str
    categories: tuple[str, ...]
    series: tuple[Series, ...]
    y_label: str = ""
    y2_label: str = ""
    width_mm: float = 150.0
    height_mm: float = 80.0
    legend: bool = True
    value_labels: bool = True
    note: str | None = None


def validate(spec: ChartSpec) -> None:
    """Raise ``ValueError`` for a spec that cannot be drawn faithfully."""
    if spec.family not in FAMILIES:
        raise ValueError(f"unknown chart family {spec.family!r}; expected one of {FAMILIES}")
    if not spec.series:
        raise ValueError("a chart needs at least one series")
    if not (spec.width_mm > 0 and spec.height_mm > 0):
        raise ValueError("width_mm and height_mm must be positive")
    if not isinstance(spec.categories, tuple) or not isinstance(spec.series, tuple):
        raise ValueError("categories and series must be tuples (the spec is hashed)")
    n = len(spec.categories)
    for s in spec.series:
        if not isinstance(s.values, tuple):
            raise ValueError(f"series {s.name!r}: values must be a tuple")
        if spec.family != "spark" or n:
            if len(s.values) != n:
                raise ValueError(
                    f"series {s.name!r} has {len(s.values)} values for {n} categories")
        if s.labels is not None:
            if not isinstance(s.labels, tuple):
                raise ValueError(f"series {s.name!r}: labels must be a tuple")
            if len(s.labels) != len(s.values):
                raise ValueError(
                    f"series {s.name!r} has {len(s.labels)} labels for {len(s.values)} values")
        if s.axis not in AXES:
            raise ValueError(f"series {s.name!r}: axis must be 'left' or 'right'")
        if s.kind is not None and s.kind not in KINDS:
            raise ValueError(f"series {s.name!r}: kind must be 'bar', 'line' or None")
        for v in s.values:
            if v is not None and (not isinstance(v, (int, float)) or math.isinf(v)):
                raise ValueError(f"series {s.name!r}: bad value {v!r}")
