"""The one chart style, plus the layout helpers every family shares.

Everything here works on explicit ``Figure``/``Axes`` objects inside a
``matplotlib.rc_context``: no pyplot, no global rcParams changes.  The only
process-wide side effect is registering the style's font files with
``matplotlib.font_manager.fontManager`` (idempotent).
"""

from __future__ import annotations

import math
import os
import threading
from dataclasses import dataclass

import matplotlib as mpl
from matplotlib import font_manager
from matplotlib.figure import Figure
from matplotlib.ticker import ScalarFormatter

MM_PER_INCH = 25.4
PT_PER_INCH = 72.0

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

TEXT_COLOR = "#333333"
TICK_COLOR = "#595959"
AXIS_COLOR = "#a6a6a6"
GRID_COLOR = "#e0e0e0"
SVG_HASHSALT = "reportgen.charts"


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


# --------------------------------------------------------------------------
# fonts and rcParams

_font_lock = threading.Lock()
_registered: set[str] = set()


def ensure_fonts(style: ChartStyle) -> None:
    """Register ``style.font_files`` once per process and check the family.

    Raises ``ValueError`` when the family cannot be found, instead of letting
    matplotlib silently fall back to DejaVu Sans (which has no CJK glyphs and
    would mis-measure every Chinese label).
    """
    with _font_lock:
        for path in style.font_files:
            if path in _registered:
                continue
            if not os.path.isabs(path):
                raise ValueError(f"font file path must be absolute: {path!r}")
            if not os.path.exists(path):
                raise ValueError(f"font file not found: {path!r}")
            font_manager.fontManager.addfont(path)
            _registered.add(path)
        names = {f.name for f in font_manager.fontManager.ttflist}
        if style.font_family not in names:
            raise ValueError(
                f"font family {style.font_family!r} is not provided by the registered "
                f"fonts {style.font_files!r}")


def rc_params(style: ChartStyle) -> dict:
    fs = style.font_size_pt
    return {
        # text stays text; deterministic ids; no pyplot state involved
        "svg.fonttype": "none",
        "svg.hashsalt": SVG_HASHSALT,
        "svg.id": None,
        "figure.dpi": PT_PER_INCH,          # 1 display unit == 1 pt
        "savefig.dpi": PT_PER_INCH,
        "figure.facecolor": "none",
        "savefig.facecolor": "none",
        "savefig.edgecolor": "none",
        "axes.facecolor": "none",
        "path.simplify": False,
        "text.usetex": False,
        "text.parse_math": False,          # "$" or "_" in a label are literal
        "font.family": [style.font_family],  # exactly this name in the SVG
        "font.size": fs,
        "axes.unicode_minus": False,
        "axes.formatter.useoffset": False,
        "axes.formatter.limits": (-99, 99),  # never scientific notation
        "axes.formatter.use_locale": False,
        "axes.spines.top": False,
        "axes.spines.right": False,
        "axes.edgecolor": AXIS_COLOR,
        "axes.linewidth": 0.6,
        "axes.labelcolor": TEXT_COLOR,
        "axes.labelsize": fs,
        "axes.axisbelow": True,
        "axes.grid": False,
        "grid.color": GRID_COLOR,
        "grid.linewidth": 0.6,
        "grid.linestyle": "-",
        "xtick.color": AXIS_COLOR,
        "ytick.color": AXIS_COLOR,
        "xtick.labelcolor": TICK_COLOR,
        "ytick.labelcolor": TICK_COLOR,
        "xtick.labelsize": fs,
        "ytick.labelsize": fs,
        "xtick.major.size": 0,
        "ytick.major.size": 0,
        "xtick.major.pad": 3,
        "ytick.major.pad": 3,
        "legend.frameon": False,
        "legend.fontsize": fs,
        "legend.labelcolor": TEXT_COLOR,
        "legend.handlelength": 1.4,
        "legend.handleheight": 0.7,
        "legend.handletextpad": 0.4,
        "legend.columnspacing": 1.4,
        "legend.borderaxespad": 0.2,
        "lines.linewidth": 1.6,
        "lines.markersize": 3.5,
        "figure.constrained_layout.use": False,
        "figure.constrained_layout.h_pad": 0.02,
        "figure.constrained_layout.w_pad": 0.02,
        "figure.constrained_layout.hspace": 0.0,
        "figure.constrained_layout.wspace": 0.0,
    }


def new_figure(spec, constrained: bool = True) -> Figure:
    """A detached Figure (no pyplot) of exactly width_mm x height_mm."""
    from matplotlib.backends.backend_svg import FigureCanvasSVG

    fig = Figure(
        figsize=(spec.width_mm / MM_PER_INCH, spec.height_mm / MM_PER_INCH),
        dpi=PT_PER_INCH,
        layout="constrained" if constrained else None,
    )
    FigureCanvasSVG(fig)
    return fig


# --------------------------------------------------------------------------
# colours


def series_colors(spec, style: ChartStyle) -> list[str]:
    """Colours per series: explicit ``Series.color`` or the palette.

    Bars take the palette in order (navy, light blue, …).  Lines in a chart
    that also has bars start after the colours the bars used, from orange on,
    so a line never disappears against bars of the same blue.
    """
    kinds = [series_kind(spec, s) for s in spec.series]
    pal = style.palette
    has_bars = "bar" in kinds
    out: list[str] = []
    bar_i = 0
    line_i = 0
    for s, k in zip(spec.series, kinds):
        if k == "bar" or not has_bars:
            c = pal[bar_i % len(pal)] if has_bars else pal[line_i % len(pal)]
            if has_bars:
                bar_i += 1
            else:
                line_i += 1
        else:
            c = pal[(2 + line_i) % len(pal)]
            line_i += 1
        out.append(s.color or c)
    return out


def series_kind(spec, s) -> str:
    if s.kind:
        return s.kind
    if spec.family == "line" or spec.family == "spark":
        return "line"
    if spec.family == "dual":
        return "bar" if s.axis == "left" else "line"
    return "bar"


def text_on(color: str) -> str:
    """Black or white, whichever reads better on ``color``."""
    r, g, b = mpl.colors.to_rgb(color)
    lum = 0.2126 * r + 0.7152 * g + 0.0722 * b
    return "#ffffff" if lum < 0.5 else TEXT_COLOR


# --------------------------------------------------------------------------
# axes decoration


def plain_formatter() -> ScalarFormatter:
    f = ScalarFormatter(useOffset=False, useMathText=False)
    f.set_scientific(False)
    return f


def style_value_axis(ax, which: str = "y", grid: bool = True) -> None:
    axis = ax.yaxis if which == "y" else ax.xaxis
    axis.set_major_formatter(plain_formatter())
    if grid:
        ax.grid(True, axis=which, which="major")
    else:
        ax.grid(False, axis=which)


def style_category_axis(ax, which: str = "x") -> None:
    ax.grid(False, axis=which)
    ax.tick_params(axis=which, length=0)


def hide_spines(ax, *names: str) -> None:
    for n in names:
        ax.spines[n].set_visible(False)


def draw_units(ax, spec, ax2=None) -> list:
    """Axis units as horizontal text above the axes (left/right corners)."""
    texts = []
    if spec.y_label:
        texts.append(ax.annotate(
            spec.y_label, xy=(0, 1), xycoords="axes fraction", xytext=(0, 5),
            textcoords="offset points", ha="left", va="bottom",
            color=TICK_COLOR, annotation_clip=False))
    if spec.y2_label and ax2 is not None:
        texts.append(ax2.annotate(
            spec.y2_label, xy=(1, 1), xycoords="axes fraction", xytext=(0, 5),
            textcoords="offset points", ha="right", va="bottom",
            color=TICK_COLOR, annotation_clip=False))
    return texts


def add_legend(fig, spec, handles, labels) -> None:
    """One row (or a few balanced rows) above the plot, no frame."""
    if not spec.legend or len(handles) < 2:
        return
    n = len(handles)
    ncols = n if n <= 6 else math.ceil(n / math.ceil(n / 6))
    fig.legend(handles, labels, loc="outside upper center", ncols=ncols, frameon=False)


# --------------------------------------------------------------------------
# text measurement and label fitting


def _prop(style: ChartStyle, size: float):
    return font_manager.FontProperties(family=style.font_family, size=size)


def text_width_pt(s: str, style: ChartStyle, size: float | None = None) -> float:
    """Advance width in points of ``s`` (widest line), measured with the font."""
    from matplotlib.textpath import text_to_path

    prop = _prop(style, size or style.font_size_pt)
    return max(
        (text_to_path.get_text_width_height_descent(line, prop, ismath=False)[0]
         for line in s.split("\n")), default=0.0)


_BREAK_AFTER = set("-/、，,；;：:）)·—_ ")
_UNIT_AFTER_NUMBER = set("年月日号时季度期周岁个件次万亿元")


def wrap_label(s: str, max_pt: float, style: ChartStyle, size: float | None = None,
               max_lines: int = 3) -> str | None:
    """Wrap a (mostly CJK) label into lines no wider than ``max_pt``.

    Breaks between any two CJK characters, preferring to break after
    punctuation/separators; never inside a run of Latin letters or digits.
    Returns ``None`` when it cannot fit into ``max_lines``.
    """
    if text_width_pt(s, style, size) <= max_pt:
        return s
    # tokens: runs of ASCII alnum/.%, or single other characters
    # tokens: runs of ASCII letters/digits (with . and %), a number keeps the
    # unit character that follows it ("10月", "2025年"), other chars alone
    tokens: list[str] = []
    for ch in s:
        prev = tokens[-1][-1:] if tokens else ""
        glue = prev.isascii() and prev.isalnum()
        if glue and ((ch.isascii() and ch.isalnum()) or ch in ".%" or ch in _UNIT_AFTER_NUMBER):
            tokens[-1] += ch
        else:
            tokens.append(ch)
    lines: list[str] = []
    cur = ""
    for tok in tokens:
        if cur and text_width_pt(cur + tok, style, size) > max_pt:
            # prefer to move back to the last separator if it is close
            cut = max((i for i, c in enumerate(cur) if c in _BREAK_AFTER), default=-1)
            if cut >= len(cur) * 0.6 and cut < len(cur) - 1:
                lines.append(cur[:cut + 1])
                cur = cur[cut + 1:]
            else:
                lines.append(cur)
                cur = ""
        cur += tok
    if cur:
        lines.append(cur)
    lines = [ln.strip() for ln in lines if ln.strip()]
    if len(lines) > max_lines or any(text_width_pt(ln, style, size) > max_pt * 1.02
                                     for ln in lines):
        return None
    return "\n".join(lines)


def fit_category_ticks(fig, ax, categories, style: ChartStyle) -> None:
    """Make category labels on the x axis fit their slots, in this order:

    1. as they are;
    2. slightly smaller (down to 80 % of the font size, not below 7 pt);
    3. wrapped onto up to 3 lines (only for labels of 4+ characters, so
       "10月" is never split);
    4. rotated 45°.

    Call after a first layout pass (``fig.draw_without_rendering()``) so the
    axes width is known.
    """
    n = len(categories)
    if not n:
        return
    fs = style.font_size_pt
    slot = ax.bbox.width / n * (PT_PER_INCH / fig.dpi)
    avail = slot * 0.92
    widest = max(text_width_pt(c, style) for c in categories)
    if widest <= avail:
        return
    min_size = max(7.0, fs * 0.8)
    if widest * min_size / fs <= avail:
        size = math.floor(fs * avail / widest * 10) / 10
        ax.tick_params(axis="x", labelsize=max(min_size, size))
        return
    if max(len(c) for c in categories) >= 4:
        wrapped = [wrap_label(c, avail, style) for c in categories]
        if all(w is not None for w in wrapped):
            ax.set_xticks(range(n), wrapped)
            return
    ax.set_xticks(range(n), categories)
    for t in ax.get_xticklabels():
        t.set_rotation(45)
        t.set_rotation_mode("anchor")
        t.set_ha("right")
        t.set_va("top")


def ensure_headroom(fig, axes_texts, max_iter: int = 4) -> None:
    """Grow y limits until every value label lies inside its axes.

    ``axes_texts``: list of (axes, [Text, ...], floor).  ``floor`` is a value
    the lower limit must not cross when growing downwards (0 for axes whose
    data are all >= 0, ``None`` for no limit).  Labels are positioned by
    offset points from data, so the overflow in points stays constant while
    the data is squeezed: iterate a few layout passes.
    """
    for _ in range(max_iter):
        fig.draw_without_rendering()
        changed = False
        for ax, texts, floor in axes_texts:
            texts = [t for t in texts if t.get_visible() and t.get_text()]
            if not texts:
                continue
            box = ax.bbox
            exts = [t.get_window_extent() for t in texts]
            top = max(e.y1 for e in exts)
            bottom = min(e.y0 for e in exts)
            y0, y1 = ax.get_ylim()
            span = y1 - y0
            h = box.height
            if h <= 0 or span <= 0:
                continue
            grow_top = top - (box.y1 - 1.0)
            grow_bot = (box.y0 + 1.0) - bottom
            n0, n1 = y0, y1
            if grow_top > 0:
                n1 = y1 + span * (grow_top / h) * 1.15 + span * 0.01
            if grow_bot > 0:
                n0 = y0 - span * (grow_bot / h) * 1.15 - span * 0.01
                if floor is not None and y0 >= floor:
                    n0 = max(n0, floor)
            if (n0, n1) != (y0, y1):
                ax.set_ylim(n0, n1)
                changed = True
        if not changed:
            return
