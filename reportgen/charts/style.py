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

import matplotlib as mpl
import numpy as np
from matplotlib import font_manager
from matplotlib.figure import Figure
from matplotlib.ticker import Formatter

from .theme import ChartStyle

MM_PER_INCH = 25.4
PT_PER_INCH = 72.0

TEXT_COLOR = "#333333"
TICK_COLOR = "#595959"
AXIS_COLOR = "#a6a6a6"
GRID_COLOR = "#e0e0e0"
SVG_HASHSALT = "reportgen.charts"


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
    """Colours per series: explicit ``Series.color`` (``palette:N``: the palette's N-th colour) or the palette.

    Bars take the palette in order (navy, light blue, …).  Lines in a chart
    that also has bars start after the colours the bars used, from orange on,
    so a line never disappears against bars of the same blue.  Bars under two
    or more lines of the other axis (a combo chart: months as bars, the top
    categories as lines) take a light tint of their colour, so the lines read
    over them.
    """
    kinds = [series_kind(spec, s) for s in spec.series]
    pal = style.palette
    has_bars = "bar" in kinds
    bar_sides = {s.axis for s, k in zip(spec.series, kinds) if k == "bar"}
    overlay = sum(1 for s, k in zip(spec.series, kinds) if k == "line" and s.axis not in bar_sides) >= 2
    out: list[str] = []
    bar_i = 0
    line_i = 0
    for s, k in zip(spec.series, kinds):
        if k == "bar" or not has_bars:
            c = pal[bar_i % len(pal)] if has_bars else pal[line_i % len(pal)]
            if has_bars:
                if overlay:
                    c = tint(c, BAR_UNDER_LINES_TINT)
                bar_i += 1
            else:
                line_i += 1
        else:
            c = pal[(2 + line_i) % len(pal)]
            line_i += 1
        if s.color and s.color.startswith("palette:"):         # the palette's n-th colour, whatever its place
            c = pal[int(s.color.split(":", 1)[1]) % len(pal)]
            out.append(tint(c, BAR_UNDER_LINES_TINT) if overlay and k == "bar" else c)
        else:
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


BAR_UNDER_LINES_TINT = 0.3   # share of the colour mixed with white


def tint(color: str, amount: float) -> str:
    """``color`` mixed with white: ``amount`` of the colour, the rest white."""
    r, g, b = mpl.colors.to_rgb(color)
    return mpl.colors.to_hex(tuple(1 - amount * (1 - c) for c in (r, g, b)))


def text_on(color: str) -> str:
    """Black or white, whichever reads better on ``color``."""
    r, g, b = mpl.colors.to_rgb(color)
    lum = 0.2126 * r + 0.7152 * g + 0.0722 * b
    return "#ffffff" if lum < 0.5 else TEXT_COLOR


# --------------------------------------------------------------------------
# axes decoration


class TickFormatter(Formatter):
    """Axis tick numbers: plain decimals, as many as the ticks need (all ticks of an axis with the
    same number of decimals: 0.00 0.02 0.04; 2.5 5.0 7.5; 400 800), formatted by
    ``reportgen.numbers.fmt_number`` (half-up, never “-0.0”); no offset, no scientific notation."""

    MAX_DECIMALS = 4

    def __init__(self) -> None:
        self.decimals = 0

    def set_locs(self, locs) -> None:
        super().set_locs(locs)
        self.decimals = tick_decimals(locs, self.MAX_DECIMALS)

    def __call__(self, x, pos=None) -> str:
        from ..numbers import fmt_number

        return fmt_number(x, self.decimals)


def tick_decimals(values, max_decimals: int = 4) -> int:
    """The fewest decimals that write every value in ``values`` exactly (up to ``max_decimals``)."""
    for d in range(max_decimals + 1):
        if all(abs(v * 10 ** d - round(v * 10 ** d)) < 1e-6 * max(1.0, abs(v) * 10 ** d)
               for v in values):
            return d
    return max_decimals


def plain_formatter() -> TickFormatter:
    return TickFormatter()


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


def legend_layout(labels, width_pt: float, style: ChartStyle) -> tuple[int, list[str]]:
    """Columns and (wrapped) entry texts of a legend that fits ``width_pt``: as many columns as fit
    (balanced: 5 entries in 3 + 2, never 4 + 1), entries wrapped at word boundaries when even one
    column is too wide.  matplotlib fills a legend column by column, as measured here."""
    fs = style.font_size_pt
    mark = (mpl.rcParams["legend.handlelength"] + mpl.rcParams["legend.handletextpad"]) * fs
    gap = mpl.rcParams["legend.columnspacing"] * fs
    frame = 2 * (mpl.rcParams["legend.borderpad"] + mpl.rcParams["legend.borderaxespad"]) * fs + 2
    avail = width_pt - frame
    n = len(labels)
    texts = list(labels)
    widths = [mark + text_width_pt(t, style) for t in texts]

    def total(ncols: int) -> float:
        rows = math.ceil(n / ncols)
        cols = [widths[i:i + rows] for i in range(0, n, rows)]
        return sum(max(c) for c in cols) + gap * (len(cols) - 1)

    for ncols in range(n, 0, -1):
        rows = math.ceil(n / ncols)
        ncols = math.ceil(n / rows)          # balanced columns for that many rows
        if total(ncols) <= avail:
            return ncols, texts
    # one column is still too wide: wrap each entry
    texts = [wrap_label(t, avail - mark, style) or t for t in texts]
    return 1, texts


def add_legend(fig, spec, handles, labels, style: ChartStyle) -> None:
    """Centred above the plot, no frame, inside the figure: as many columns as fit its width."""
    if not spec.legend or len(handles) < 2:
        return
    width_pt = spec.width_mm / MM_PER_INCH * PT_PER_INCH
    ncols, texts = legend_layout(labels, width_pt, style)
    fig.legend(handles, texts, loc="outside upper center", ncols=ncols, frameon=False)


# --------------------------------------------------------------------------
# value axes: nice ticks shared by two axes

_NICE = (1, 2, 25, 5)   # mantissas of a tick step (25 = 2.5)


def nice_step_ticks(lo: float, hi: float, intervals: int) -> list[float]:
    """``intervals + 1`` ticks with a round step (1, 2, 2.5 or 5 × 10^k) covering ``[lo, hi]`` with the
    smallest such step, on multiples of the step: from the first multiple at or below ``lo``, or,
    for a range ending at or below 0 (negative bars), up to the first multiple at or above ``hi``,
    so 0 is the top tick.  Tick values are exact decimals (computed with ``Decimal``, returned as
    floats), so 0.1 + 0.2 never prints 0.30000000000000004."""
    from decimal import Decimal

    if not hi > lo:
        raise ValueError("empty range")
    k = math.floor(math.log10((hi - lo) / intervals)) - 1
    while True:
        for m in _NICE:
            step = Decimal(m).scaleb(k - 1 if m == 25 else k)
            fs = float(step)
            if hi <= 0:
                end = Decimal(math.ceil(hi / fs - 1e-9)) * step
                start = end - intervals * step
                ok = float(start) <= lo + 1e-9 * fs
            else:
                start = Decimal(math.floor(lo / fs + 1e-9)) * step
                ok = float(start + intervals * step) >= hi - 1e-9 * fs
            if ok:
                return [float(start + i * step) for i in range(intervals + 1)]
        k += 1


# intervals an axis may have, and what a count costs against how well the data fill the axis:
# 4 or 5 intervals are the norm, 3 and 7 only when they fill far better
TICK_INTERVALS = {4: 0.0, 5: 0.0, 6: 0.02, 3: 0.1, 7: 0.15}


def shared_ticks(ranges: list[tuple[float, float]]) -> list[list[float]]:
    """Ticks for several value axes drawn over the same height, one list per range, all with the same
    number of ticks, so every axis's ticks sit on the same gridlines.  The number of intervals is the
    one whose worst-filled axis is filled best by its data, less the cost of that count
    (``TICK_INTERVALS``); on a tie the fewer intervals."""
    best = None
    for n, cost in sorted(TICK_INTERVALS.items()):
        ticks = [nice_step_ticks(lo, hi, n) for lo, hi in ranges]
        score = min((hi - lo) / (t[-1] - t[0]) for (lo, hi), t in zip(ranges, ticks)) - cost
        if best is None or score > best[0] + 1e-9:
            best = (score, ticks)
    return best[1]


def data_range(values, include_zero: bool) -> tuple[float, float]:
    """[lo, hi] of ``values`` (0 included for bars); a flat series gets a range around its value."""
    vals = [float(v) for v in values if v is not None and not math.isnan(float(v))]
    if not vals:
        return (0.0, 1.0)
    lo, hi = min(vals), max(vals)
    if include_zero:
        lo, hi = min(lo, 0.0), max(hi, 0.0)
    if hi <= lo:
        d = abs(hi) * 0.1 or 1.0
        lo, hi = (lo, lo + d) if (include_zero and lo == 0.0) else (lo - d, hi + d)
    return lo, hi


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
_CONJUNCTIONS = set("和与及")
_UNIT_AFTER_NUMBER = set("年月日号时季度期周岁个件次万亿元")
# Endings of Chinese administrative and organisational names, longest first.  A label breaks before
# or after one of them ("白纸坊|街道", "大数据|中心", "北京市|大数据|中心") and never inside one.
NAME_SUFFIXES = ("委员会", "管委会", "办事处", "管理局", "管理处", "开发区", "街道", "地区", "中心",
                 "社区", "公司", "集团", "机构", "管理", "服务", "区", "县", "市", "乡", "镇")


def label_breaks(s: str) -> dict[int, int]:
    """Where a label may break between words: {position: cost} (``s[:pos]`` | ``s[pos:]``).

    Word boundaries without a dictionary: after a separator (cost 0); before a name suffix of two
    or more characters (1: 白纸坊|街道) and after any name suffix (2: 北京市|大数据); after a
    conjunction (1: 劳动和|社会保障); between Chinese and Latin letters or digits (3).  Never inside
    a run of letters and digits, nor inside a suffix.  Lines of one character are refused by the
    caller (石景山|区 never)."""
    n = len(s)
    out: dict[int, int] = {}
    inside: set[int] = set()            # positions inside a suffix: no break there

    def add(pos: int, cost: int) -> None:
        if 0 < pos < n and pos not in inside:
            out[pos] = min(cost, out.get(pos, cost))

    i = 0
    found: list[tuple[int, str]] = []
    while i < n:
        for suf in NAME_SUFFIXES:
            if s.startswith(suf, i):
                found.append((i, suf))
                inside.update(range(i + 1, i + len(suf)))
                i += len(suf)
                break
        else:
            i += 1
    for i, suf in found:
        if len(suf) >= 2:
            add(i, 1)
        add(i + len(suf), 2)
    for i, ch in enumerate(s[:-1]):
        nxt = s[i + 1]
        if ch in _BREAK_AFTER:
            add(i + 1, 0)
        elif ch in _CONJUNCTIONS:
            add(i + 1, 1)
        elif (ch.isascii() and ch.isalnum()) != (nxt.isascii() and nxt.isalnum()) and nxt not in "%.":
            if not (ch.isascii() and ch.isalnum() and nxt in _UNIT_AFTER_NUMBER):   # 10月, 2025年
                add(i + 1, 3)
    return out


def wrap_label(s: str, max_pt: float, style: ChartStyle, size: float | None = None,
               max_lines: int = 3) -> str | None:
    """Wrap a (mostly Chinese) label into at most ``max_lines`` lines no wider than ``max_pt``,
    breaking only between words (``label_breaks``): '白纸坊街道' → '白纸坊\n街道', '大数据中心' →
    '大数据\n中心'; no line of a single character ('石景山区' stays whole).  Fewest lines first, then
    the cheapest breaks, then the most even lines.  Returns ``None`` when no such wrapping fits
    (the caller shrinks or rotates the labels instead)."""
    import itertools

    if text_width_pt(s, style, size) <= max_pt:
        return s
    breaks = label_breaks(s)
    best = None
    for k in range(1, max_lines):
        for cut in itertools.combinations(sorted(breaks), k):
            bounds = (0, *cut, len(s))
            lines = [s[a:b].strip() for a, b in zip(bounds, bounds[1:])]
            if any(len(ln) < 2 for ln in lines):
                continue
            widths = [text_width_pt(ln, style, size) for ln in lines]
            if max(widths) > max_pt:
                continue
            key = (sum(breaks[c] for c in cut), max(widths))
            if best is None or key < best[0]:
                best = (key, lines)
        if best is not None:
            return "\n".join(best[1])
    return None


def fit_category_ticks(fig, ax, categories, style: ChartStyle) -> None:
    """Make category labels on the x axis fit their slots, in this order:

    1. as they are;
    2. slightly smaller (down to 80 % of the font size, not below 7 pt);
    3. wrapped onto up to 3 lines between words (``wrap_label``: 白纸坊/街道,
       never 白纸/坊街/道 nor 石景山/区), at the full size or else the smaller one;
    4. rotated 45° (a label that has no word break to fit).

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
    for size in (fs, min_size):
        wrapped = [wrap_label(c, avail, style, size) for c in categories]
        if all(w is not None for w in wrapped):
            ax.set_xticks(range(n), wrapped)
            if size != fs:
                ax.tick_params(axis="x", labelsize=size)
            return
    ax.set_xticks(range(n), categories)
    for t in ax.get_xticklabels():
        t.set_rotation(45)
        t.set_rotation_mode("anchor")
        t.set_ha("right")
        t.set_va("top")


def as_array(values) -> np.ndarray:
    return np.array([np.nan if v is None else float(v) for v in values], dtype=float)


def label_list(s, show: bool) -> list[str] | None:
    if not show or s.labels is None:
        return None
    return ["" if (lab is None or v is None) else str(lab)
            for lab, v in zip(s.labels, s.values)]
