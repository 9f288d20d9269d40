"""The chart style as data: fonts, sizes and colours (no matplotlib here).

A chart's cache key is computed from its spec and this style, so a render whose charts are all cached
never imports matplotlib (~1.5 s in a fresh process); ``style`` draws with it.
"""

from __future__ import annotations

from dataclasses import dataclass

# Debian/Ubuntu fonts-noto-cjk. The .ttc holds SC/TC/JP/KR/HK faces;
# matplotlib (>= 3.10) registers every face of a collection.
DEFAULT_FONT_FILES = ("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",)

# Sober, colour-blind-safe: blues first (navy / light blue differ by
# lightness, safe for all CVD types), then orange (the blue/orange axis is the
# safest hue contrast), then neutral grey, purple, teal.
DEFAULT_PALETTE = (
    "#1f4e79",  # navy
    "#6fa8dc",  # light blue
    "#e08214",  # orange
    "#8c8c8c",  # grey
    "#8073ac",  # muted purple
    "#35978f",  # teal
)


@dataclass(frozen=True)
class ChartStyle:
    """Typography and colours shared by all charts of a report.

    font_files: absolute paths of .otf/.ttf/.ttc files registered with
        matplotlib's font manager (used to *measure* text; the SVG keeps the
        text as text and only names ``font_family``).
    font_family: written verbatim as the SVG ``font-family``; WeasyPrint must
        be able to resolve it (see ``reportgen.charts`` docstring).
    increase_color / decrease_color: used for single-series bar/hbar charts
        whose values change sign (e.g. 同比 changes): red = increase,
        green = decrease, as customary in Chinese reports.
    """

    font_files: tuple[str, ...] = DEFAULT_FONT_FILES
    font_family: str = "Noto Sans CJK SC"
    font_size_pt: float = 9.0
    palette: tuple[str, ...] = DEFAULT_PALETTE
    increase_color: str = "#c0392b"
    decrease_color: str = "#27ae60"

    @property
    def small_pt(self) -> float:
        """Size of value labels and legend-less annotations."""
        return round(self.font_size_pt * 0.8, 2)


def default_style() -> ChartStyle:
    return ChartStyle()
