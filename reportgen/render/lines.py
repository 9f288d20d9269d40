"""Line breaking of the body's paragraphs on the GB/T 9704 grid, decided before layout.

Pango breaks a line greedily at the last opportunity that fits, and WeasyPrint can only justify by
spreading what is left: when an unbreakable group such as “（54.1万件）、” does not fit, the line
ends early and its characters stand far apart.  A typesetter of Chinese (W3C clreq, JLREQ,
GB/T 15834) chooses the breaks of the whole paragraph together and has more means:

* consecutive punctuation is set solid: the first of “）、”, “。”” … takes half its width (always);
* when a line needs room, its punctuation gives up its blank half — a closing mark at the line's
  end first, then the others of the line (OpenType ``halt``, the font's own half-width forms);
* only then is the remaining space spread, over the CJK characters only — never between the digits
  of a number or inside Latin text (``cjk_justify``).

The body's type is known (16 pt 仿宋 with −0.2 pt tracking on a 156 mm line, 2 em first-line indent),
so each character's advance is read from the font files and the paragraph's breaks are chosen by a
small dynamic programme (badness of a line = its stretch per gap, cubed, or the punctuation it has to
compress).  Each chosen line is written as a ``<span class="ln">`` that does not wrap inside, so that
WeasyPrint's one layout breaks exactly there; a compressed mark is a ``<span class="h">``.

Paragraphs holding anything this model does not know (images, floats other than footnotes, other
fonts or sizes) are left to Pango.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass
from functools import lru_cache
from html import unescape as html_unescape
from pathlib import Path

from fontTools.ttLib import TTFont

from ..atomic import write_atomic
from markupsafe import escape as markup_escape


def _esc(text: str) -> str:
    return str(markup_escape(text))


@dataclass(frozen=True)
class Measure:
    """How a kind of paragraph is set (mirrors report.css)."""
    size: float            # pt
    track: float           # letter-spacing, pt
    width: float           # the line's length, pt
    indent: float          # first-line indent, pt


TYPE_AREA = 156 / 25.4 * 72
BODY = Measure(16.0, -0.2, TYPE_AREA, 32.0)   # 3号 仿宋, 22 lines × 28 characters, text-indent 2em
NOTE = Measure(10.5, 0.0, TYPE_AREA, 0.0)     # a table's note (5号)
MAX_TIGHTEN = 0.07                            # em a line's tracking may tighten, after punctuation
SAFETY = 0.3                                  # pt kept free at the line's end (rounding in Pango)
FN_CALL = 0.5 * 0.6 + 0.06                    # em: a footnote call, one digit at 0.6 em, plus its gap

#: body faces in the order of report.css's font-family, and that of analysts' emphasis (strong)
BODY_FONTS = ("FandolFang-Regular.otf", "cwfs.ttf", "NotoSansCJKsc-Regular.otf")
STRONG_FONTS = ("NotoSansCJKsc-Regular.otf",)

OPEN = set("（［｛〔〈《「『【〖“‘")
CLOSE = set("）］｝〕〉》」』】〗”’、，。．：；？！")
NO_BREAK_BEFORE = CLOSE | set("%‰·・…—～") | {"\u2060"}
NO_BREAK_AFTER = OPEN | set("·・")
QUOTES_OPEN, QUOTES_CLOSE = set("“‘"), set("”’")
ZWSP = "\u200b"
_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
_WORD = re.compile(r"[0-9A-Za-z.,+\-−/%‰°]")
_TAG = re.compile(r"(<[^>]+>)")


@lru_cache(maxsize=None)
def _advances(path: str) -> tuple[dict[int, float], float]:
    """Each character's advance (em) in the font; kept in the cache (``fonts/<name>.adv``, marshal, checked by
    the font's size and time) so that a render does not parse the font again."""
    import marshal

    from ..workspace import cache_dir

    font_path = Path(path)
    st = font_path.stat()
    stamp = (str(font_path.resolve()), st.st_size, st.st_mtime_ns)
    cache = cache_dir() / "fonts" / f"{font_path.name}.adv"
    try:
        saved_stamp, table, upm = marshal.loads(cache.read_bytes())
        if tuple(saved_stamp) == stamp:
            return table, upm
    except (OSError, ValueError, EOFError, TypeError):
        pass
    font = TTFont(path, lazy=True, fontNumber=0)
    try:
        upm = font["head"].unitsPerEm
        hmtx = font["hmtx"]
        table = {cp: hmtx[g][0] / upm for cp, g in (font.getBestCmap() or {}).items()}
    finally:
        font.close()
    try:
        write_atomic(cache, marshal.dumps((stamp, table, upm)), durable=False)
    except OSError:
        pass                               # a read-only cache: parse the font each time
    return table, upm


class Metrics:
    def __init__(self, fonts_dir: Path, measure: Measure = BODY):
        self.m = measure
        self.body = [_advances(str(fonts_dir / f))[0] for f in BODY_FONTS if (fonts_dir / f).is_file()]
        self.strong = [_advances(str(fonts_dir / f))[0] for f in STRONG_FONTS if (fonts_dir / f).is_file()]

    def width(self, ch: str, strong: bool = False) -> float:
        if ch == ZWSP or ch == "\u2060":
            return 0.0
        for table in (self.strong if strong else self.body):
            adv = table.get(ord(ch))
            if adv is not None:
                return adv * self.m.size + self.m.track
        return self.m.size + self.m.track


@dataclass
class Atom:
    html: str              # the atom's own markup (tags inside it included)
    text: str              # its visible characters
    ctx: tuple[str, ...]   # open tags around it (re-opened on each line)
    width: float
    gaps: int              # characters that take justification space
    shrink: float = 0.0    # how much it can give up (a punctuation mark's blank half)
    solid: bool = False    # compressed in any case (consecutive punctuation)
    fn: bool = False       # a footnote call (no break before it)


def _punct_atom(ch: str, ctx, metrics, strong) -> Atom:
    w = metrics.width(ch, strong)
    return Atom(ch, ch, ctx, w, 1, shrink=metrics.m.size / 2 if (ch in OPEN or ch in CLOSE) and not strong else 0.0)


def atoms_of(inner: str, metrics: Metrics) -> list[Atom] | None:
    """The paragraph's atoms (units that are never broken), or None when it holds what the model
    does not know."""
    parts = _TAG.split(inner)
    out: list[Atom] = []
    ctx: list[str] = []
    i = 0
    while i < len(parts):
        part = parts[i]
        if part.startswith("<"):
            tag = part
            name = re.match(r"</?\s*(\w+)", tag)
            name = name.group(1).lower() if name else ""
            if tag.startswith("</"):
                if not ctx:
                    return None
                ctx.pop()
                i += 1
                continue
            if name == "br" or name == "img":
                return None
            if name == "wbr":
                # typeset's break opportunity: the zero-width space WeasyPrint sets for it (render_pdf writes
                # it so: typeset.wbr_as_zwsp), one atom of no width
                out.append(Atom(ZWSP, ZWSP, tuple(ctx), 0.0, 0))
                i += 1
                continue
            cls = re.search(r'class="([^"]*)"', tag)
            cls = cls.group(1).split() if cls else []
            if name == "span" and ("nw" in cls or "fn" in cls):
                # take the whole element (spans do not nest inside these) as one atom
                depth, j, html = 1, i + 1, [tag]
                text = []
                while j < len(parts) and depth:
                    p = parts[j]
                    if p.startswith("</"):
                        depth -= 1
                    elif p.startswith("<") and not p.endswith("/>"):
                        depth += 1
                    elif not p.startswith("<"):
                        text.append(p)
                    html.append(p)
                    j += 1
                strong = "strong" in " ".join(ctx)
                if "fn" in cls:
                    out.append(Atom("".join(html), "", tuple(ctx), FN_CALL * metrics.m.size, 0, fn=True))
                else:
                    t = html_unescape("".join(text))
                    out.append(Atom("".join(html), t, tuple(ctx),
                                    sum(metrics.width(c, strong) for c in t), _gap_count(t)))
                i = j
                continue
            if name not in ("strong", "em", "span", "b"):
                return None
            ctx.append(tag)
            i += 1
            continue
        strong = any("<strong" in t or "<b" in t for t in ctx)
        text = html_unescape(part)
        k = 0
        while k < len(text):
            ch = text[k]
            if ch in "\n\r\t":
                k += 1
                continue
            if ch in " \u00a0\u3000":
                return None            # spaced (Latin) text: Pango breaks and justifies at its spaces
            if _WORD.match(ch):
                m = k
                while m < len(text) and _WORD.match(text[m]):
                    m += 1
                word = text[k:m]
                out.append(Atom(_esc(word), word, tuple(ctx), sum(metrics.width(c, strong) for c in word), 0))
                k = m
                continue
            if ch in "—…":
                m = k
                while m < len(text) and text[m] == ch:
                    m += 1
                run = text[k:m]
                out.append(Atom(run, run, tuple(ctx), sum(metrics.width(c, strong) for c in run), len(run)))
                k = m
                continue
            if ch in OPEN or ch in CLOSE:
                out.append(_punct_atom(ch, tuple(ctx), metrics, strong))
            else:
                out.append(Atom(_esc(ch), ch, tuple(ctx), metrics.width(ch, strong),
                                1 if _CJK.match(ch) else 0))
            k += 1
        i += 1
    if ctx or any(a.width > metrics.m.width / 3 for a in out):
        return None                    # an unbreakable run this long is not the Chinese text this model sets
    _solid_pairs(out)
    return out


def _gap_count(text: str) -> int:
    return sum(1 for c in text if _CJK.match(c) or c in OPEN or c in CLOSE)


def _solid_pairs(atoms: list[Atom]) -> None:
    """Consecutive punctuation set solid: a closing mark followed by another mark, and an opening mark
    that follows another, give up their blank half in any case (clreq §3.1.6)."""
    for a, b in zip(atoms, atoms[1:]):
        if a.shrink and a.text in CLOSE and b.text and (b.text[0] in CLOSE or b.text[0] in OPEN):
            a.solid = True
        elif b.shrink and b.text in OPEN and a.text and (a.text[-1] in OPEN):
            b.solid = True
    for a in atoms:
        if a.solid:
            a.width -= a.shrink
            a.shrink = 0.0


@lru_cache(maxsize=None)
def _pango_breaks(x: str, y: str) -> bool:
    """Whether Pango (UAX #14) has a break opportunity between the two characters: a line span may
    only end where WeasyPrint can break."""
    from weasyprint.text.line_break import can_break_text

    return bool(can_break_text(x + y, "zh"))


def can_break(a: Atom, b: Atom) -> bool:
    ok = _can_break(a, b)
    if ok and a.text and b.text and not a.fn:
        return _pango_breaks(a.text[-1], b.text[0])
    return ok


def _can_break(a: Atom, b: Atom) -> bool:
    if b.fn or not b.text:
        return False                       # a footnote call stays with the word it follows
    if a.fn or not a.text:
        # after a call the line may end (WeasyPrint sees the call's digit beside the next word, so the
        # line span then ends with a zero-width space, which is not in the PDF's text)
        return b.text[0] not in NO_BREAK_BEFORE and b.text[0] not in QUOTES_OPEN
    x, y = a.text[-1], b.text[0]
    if y in NO_BREAK_BEFORE or x in NO_BREAK_AFTER:
        return False
    if y in QUOTES_OPEN and x != ZWSP:
        return False
    if x in QUOTES_CLOSE and y != ZWSP:
        return False
    if _WORD.match(x) and _WORD.match(y):
        return False
    return True


@dataclass
class Line:
    start: int
    end: int               # atoms[start:end]
    compress: tuple[int, ...]  # atoms set at half width
    track: float = 0.0         # pt the line's tracking tightens, when compression is not enough


def break_paragraph(atoms: list[Atom], measure: Measure = BODY) -> list[Line] | None:
    """Breaks of least total badness (None when no line can be set)."""
    SIZE, BOX_EDGE = measure.size, -measure.track
    tighten = MAX_TIGHTEN * SIZE
    n = len(atoms)
    if n == 0:
        return None
    cum_w = [0.0]
    cum_g = [0]
    cum_c = [0]                            # characters that take tracking
    cum_b = [0]                            # atoms set as spans of their own
    for a in atoms:
        cum_c.append(cum_c[-1] + len(a.text.replace(ZWSP, "")))
        cum_b.append(cum_b[-1] + (1 if a.html.startswith("<") or a.solid else 0))
        # an atom set as its own span is a text box of its own, whose first and last characters Pango
        # gives only half of the (negative) tracking: count it a little wider
        box = BOX_EDGE if (a.html.startswith("<") or a.solid) else 0.0
        cum_w.append(cum_w[-1] + a.width + box)
        cum_g.append(cum_g[-1] + a.gaps)
    breaks = [j for j in range(1, n) if can_break(atoms[j - 1], atoms[j])] + [n]
    best: dict[int, tuple[float, int, tuple[int, ...], float]] = {0: (0.0, -1, (), 0.0)}
    order = [0] + breaks
    for i in order:
        if i not in best:
            continue
        cost_i = best[i][0]
        avail = measure.width - SAFETY - (measure.indent if i == 0 else 0.0)
        # candidate ends: from the last break that fits without shrinking, back a few, and forward while
        # compression can make room
        k = bisect.bisect_right(breaks, i)
        fit = bisect.bisect_right(cum_w, cum_w[i] + avail) - 1      # atoms[i:fit] fit naturally
        lo = bisect.bisect_left(breaks, fit, k) - 4
        for idx in range(max(k, lo), len(breaks)):
            j = breaks[idx]
            natural = cum_w[j] - cum_w[i]
            last = j == n
            if natural <= avail:
                if last:
                    if not _tail_ok(atoms, i, j):
                        continue
                    bad = 0.0
                else:
                    gaps = max(1, cum_g[j] - cum_g[i] - 1)
                    r = (avail - natural) / gaps / SIZE
                    bad = 100.0 * (r / 0.08) ** 3
                comp: tuple[int, ...] = ()
                track = 0.0
            else:
                comp, short = _compression(atoms, i, j, natural - avail)
                short += BOX_EDGE * len(comp)          # each compressed mark is a span too
                track = 0.0
                if short > 0:
                    # what compression cannot win, a slightly tighter tracking of the line may (each text box
                    # of the line has one character fewer that takes it)
                    boxes = 1 + len(comp) + cum_b[j] - cum_b[i]
                    # (and a quarter kept in reserve: marks set at half width take it unevenly)
                    chars = int(0.75 * (cum_c[j] - cum_c[i] - boxes))
                    track = -(-short * 20 // max(1, chars)) / 20          # per character, in 0.05 pt steps
                    if track > tighten:
                        break
                if last and not _tail_ok(atoms, i, j):
                    continue
                room = sum(atoms[c].shrink for c in comp) + (track * chars if track else 0.0) \
                    - (natural - avail) - BOX_EDGE * len(comp)
                gaps = max(1, cum_g[j] - cum_g[i] - 1)
                bad = 6.0 * len(comp) + 60.0 * track / tighten \
                    + (0.0 if last else 100.0 * (room / gaps / SIZE / 0.08) ** 3)
            total = cost_i + bad + 10.0
            if j not in best or total < best[j][0]:
                best[j] = (total, i, comp, track)
    if n not in best:
        return None
    lines, j = [], n
    while j > 0:
        _, i, comp, track = best[j]
        lines.append(Line(i, j, comp, track))
        j = i
    return lines[::-1]


def _tail_ok(atoms, i, j) -> bool:
    """The last line holds at least two characters besides punctuation (no 孤字)."""
    chars = sum(len(a.text) - sum(1 for c in a.text if c in CLOSE) for a in atoms[i:j])
    return chars >= 2 or j - i == len(atoms)


def _compression(atoms, i, j, need) -> tuple[tuple[int, ...], float]:
    """Which marks of atoms[i:j] give up their blank half to win ``need`` pt — the line's last mark
    first, then the others from the end of the line — and what is still missing."""
    got, chosen = 0.0, []
    for k in range(j - 1, i - 1, -1):
        if got >= need:
            break
        if atoms[k].shrink:
            chosen.append(k)
            got += atoms[k].shrink
    return tuple(sorted(chosen)), max(0.0, need - got)


def _wrap(atoms: list[Atom], line: Line, measure: Measure) -> str:
    out, ctx = [], ()
    comp, track = set(line.compress), line.track
    for k in range(line.start, line.end):
        a = atoms[k]
        if a.ctx != ctx:
            out.extend("</" + re.match(r"<\s*(\w+)", t).group(1) + ">" for t in reversed(ctx))
            out.extend(a.ctx)
            ctx = a.ctx
        html = a.html
        if a.solid or k in comp:
            html = f'<span class="h">{html}</span>'
        out.append(html)
    out.extend("</" + re.match(r"<\s*(\w+)", t).group(1) + ">" for t in reversed(ctx))
    if atoms[line.end - 1].fn and line.end < len(atoms):
        out.append(ZWSP)
    style = f' style="letter-spacing: {measure.track - track:.2f}pt"' if track else ""
    return f'<span class="ln"{style}>' + "".join(out) + "</span>"


_P = re.compile(r"(<p>)(.*?)(</p>)", re.S)
_PARA = re.compile(r'(<div class="para[^"]*"[^>]*>)(.*?)(</div>)', re.S)
_NOTE = re.compile(r'(<p class="table-note">)(.*?)(</p>)', re.S)


def set_lines(html: str, fonts_dir: Path) -> str:
    """The report's HTML with the lines of the body's paragraphs and of the tables' notes chosen (see the
    module's docstring)."""
    body, note = Metrics(fonts_dir, BODY), Metrics(fonts_dir, NOTE)

    def para(m: re.Match) -> str:
        head, inner, tail = m.groups()
        if "with-photo" in head:
            return m.group(0)
        return head + _P.sub(lambda pm: pm.group(1) + _set(pm.group(2), body) + pm.group(3), inner) + tail

    main_start = html.find('<main class="body">')
    if main_start < 0:
        return html
    rest = _PARA.sub(para, html[main_start:])
    rest = _NOTE.sub(lambda m: m.group(1) + _set(m.group(2), note) + m.group(3), rest)
    return html[:main_start] + rest


def _set(inner: str, metrics: Metrics) -> str:
    atoms = atoms_of(inner, metrics)
    if not atoms:
        return inner
    lines = break_paragraph(atoms, metrics.m)
    if not lines:
        return inner
    return "".join(_wrap(atoms, line, metrics.m) for line in lines)
