"""The standalone HTML (``--html``): one file, mailed or archived, that a browser shows in the PDF's type.

* **Fonts.** Every ``@font-face`` of the stylesheet is embedded as a ``data:`` URI (WOFF2; WOFF when brotli is
  missing), subset to the characters that face sets in this document.  Which face sets a character is decided
  as a browser decides it (CSS Fonts §5): the element's computed ``font-family`` list and weight — the
  stylesheet's cascade, read with cssselect2 and tinycss2 (WeasyPrint's own parsers) — and, in that list, the
  first family whose face for the weight has the character.  A face that sets nothing in the document is
  left out; no rule refers to a file any more.  The subsets are kept in the cache (``fonts/*.woff2``).
* **Charts.** Each SVG chart (an ``<img>`` whose ``src`` is an SVG ``data:`` URI) is written inline: an SVG shown
  through ``<img>`` cannot use the page's fonts, so its labels ("Noto Sans CJK SC") would be drawn in whatever
  the reader's machine has.  Inline, they use the embedded face; each chart's ids are prefixed (``c3-…``) so that
  the clip paths and markers of one chart do not resolve to another's.
"""

from __future__ import annotations

import base64
import hashlib
import io
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote, urljoin, urlparse

from .glyphs import _cmap
from .typeset import INVISIBLE

_FONT_FACE = re.compile(r"@font-face\s*\{[^}]*\}")
_STYLE = re.compile(r"(<style>)(.*?)(</style>)", re.S)
_SVG_IMG = re.compile(r'<img src="data:image/svg\+xml;base64,([A-Za-z0-9+/=]+)"([^>]*)>')
_SKIP = {"head", "title", "style", "script", "template", "noscript", "metadata", "defs", "desc"}
_SVG_TEXT = {"text", "tspan", "textPath"}
_SVG_NS = "{http://www.w3.org/2000/svg}"
_WHITESPACE = " \t\n\r\f"

#: the browsers' own stylesheet, as far as a face's choice goes (weights of headings, table headers, b and strong)
_UA_WEIGHT = {**{f"h{i}": "bold" for i in range(1, 7)}, "th": "bold", "b": "bolder", "strong": "bolder"}

#: the standalone file's own rules: the inline charts placed as their <img> was; on screen the type area of the
#: PDF's pages (156 mm, the lines set as lines.py set them for the PDF) on a sheet; the footnotes after their
#: paragraph, as at the foot of the PDF's page (5号, under a rule, numbered through the document)
STANDALONE_CSS = """
svg.chart { display: block; margin: 0 auto; }
.fn-call { color: inherit; text-decoration: none; font-size: 0.6em; vertical-align: 0.7em; line-height: 0; letter-spacing: 0; }
.fn-notes { border-top: 0.5pt solid #000; padding-top: 2mm; margin: 2mm 0 4mm 0; font-size: 10.5pt;
            line-height: 15pt; letter-spacing: 0; text-indent: 0; text-align: justify; }
.fn-notes p { text-indent: 0; }
.fn-notes sup { font-size: 0.6em; vertical-align: 0.5em; line-height: 0; padding-right: 2pt; }
@media screen {
  html { background: #e8e8e8; }
  body { box-sizing: content-box; width: 156mm; margin: 8mm auto; padding: 30mm 27mm; background: #fff;
         box-shadow: 0 0 2mm rgba(0, 0, 0, 0.3); }
  .cover { box-sizing: border-box; min-height: 225mm; }
  .cover, .toc { padding-bottom: 30mm; margin-bottom: 30mm; border-bottom: 1px dashed #bbb; }
}
"""


@dataclass
class Face:
    family: str              # as written in the rule
    weight: int
    italic: bool
    path: Path | None        # the font file, None when it cannot be embedded (outside the project, not a file)
    cmap: frozenset[int] = frozenset()
    chars: set[str] = field(default_factory=set)


# ---- the stylesheet ----------------------------------------------------------------------------------------

def _tinycss2():
    import tinycss2

    return tinycss2


def _families(tokens) -> list[str]:
    """A font-family value (component values) as its list of family names."""
    out, words = [], []
    for tok in tokens:
        if tok.type == "literal" and tok.value == ",":
            if words:
                out.append(" ".join(words))
            words = []
        elif tok.type == "string":
            words.append(tok.value)
        elif tok.type == "ident":
            words.append(tok.value)
    if words:
        out.append(" ".join(words))
    return out


def _weight(value: str, parent: int) -> int:
    v = value.strip().lower()
    if v == "normal":
        return 400
    if v == "bold":
        return 700
    if v == "bolder":
        return 400 if parent < 350 else 700 if parent < 550 else 900
    if v == "lighter":
        return parent if parent < 100 else 100 if parent < 550 else 400 if parent < 750 else 700
    try:
        return max(1, min(1000, int(float(v))))
    except ValueError:
        return parent


def _font_shorthand(tokens) -> tuple[str | None, list[str]]:
    """(weight, families) of a ``font`` shorthand: the weight among the words before the size, the families
    after it (``font: bold 14pt/1.5 "FandolSong", serif``)."""
    toks = [t for t in tokens if t.type not in ("whitespace", "comment")]
    weight = None
    for k, t in enumerate(toks):
        if t.type in ("dimension", "percentage") or (t.type == "ident" and t.lower_value in (
                "xx-small", "x-small", "small", "medium", "large", "x-large", "xx-large", "smaller", "larger")):
            rest = toks[k + 1:]
            if len(rest) >= 2 and rest[0].type == "literal" and rest[0].value == "/":
                rest = rest[2:]                      # the line height
            return weight, _families(rest)
        if t.type == "ident" and t.lower_value in ("bold", "bolder", "lighter"):
            weight = t.lower_value
        elif t.type == "number" and t.is_integer:
            weight = str(t.int_value)
    return None, []


def _declarations(tokens) -> list[tuple[str, object, bool]]:
    """(property, value, important) of the declarations that choose a face: font-family, font-weight, font,
    display (an element not shown sets no character)."""
    tinycss2 = _tinycss2()
    out: list[tuple[str, object, bool]] = []
    for d in tinycss2.parse_blocks_contents(tokens, skip_comments=True, skip_whitespace=True):
        if d.type != "declaration":
            continue
        name = d.lower_name
        text = tinycss2.serialize(d.value).strip()
        if text.lower() == "inherit":
            out.append((name, "inherit", d.important))
        elif name == "font-family":
            out.append((name, _families(d.value), d.important))
        elif name in ("font-weight", "display"):
            out.append((name, text, d.important))
        elif name == "font":
            weight, fams = _font_shorthand(d.value)
            if fams:
                out.append(("font-family", fams, d.important))
                out.append(("font-weight", weight or "normal", d.important))
    return out


def _rules(css: str):
    """A cssselect2 matcher of the stylesheet's style rules (the declarations that choose a face as payload),
    and its @font-face rules (descriptors)."""
    import cssselect2

    tinycss2 = _tinycss2()
    matcher = cssselect2.Matcher()
    faces = []
    for rule in tinycss2.parse_stylesheet(css, skip_comments=True, skip_whitespace=True):
        if rule.type == "at-rule" and rule.lower_at_keyword == "font-face" and rule.content is not None:
            desc = {}
            for d in tinycss2.parse_blocks_contents(rule.content, skip_comments=True, skip_whitespace=True):
                if d.type == "declaration":
                    desc[d.lower_name] = d.value
            faces.append(desc)
        if rule.type != "qualified-rule":
            continue
        decls = _declarations(rule.content)
        if not decls:
            continue
        try:
            selectors = cssselect2.compile_selector_list(rule.prelude)
        except cssselect2.SelectorError:
            continue                                   # a selector a browser would drop as well
        for sel in selectors:
            matcher.add_selector(sel, decls)
    return matcher, faces


# ---- which face sets each character ------------------------------------------------------------------------

@dataclass(frozen=True)
class _Style:
    families: tuple[str, ...]
    weight: int
    shown: bool = True


def _local(tag) -> str:
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def _styled_text(html: str, matcher) -> Iterator[tuple[_Style, str]]:
    """Each run of displayed text of ``html`` with the computed family list and weight that set it."""
    import cssselect2
    import tinyhtml5

    tinycss2 = _tinycss2()
    root = cssselect2.ElementWrapper.from_html_root(tinyhtml5.parse(html))

    def style_of(wrapper, parent: _Style) -> _Style:
        el = wrapper.etree_element
        families, weight, shown = parent.families, parent.weight, parent.shown
        name = _local(el.tag)
        if name in _UA_WEIGHT and not el.tag.startswith(_SVG_NS):
            weight = _weight(_UA_WEIGHT[name], parent.weight)
        decls: list[tuple[tuple, str, object]] = []
        for spec, order, pseudo, payload in matcher.match(wrapper):
            if pseudo is None:
                decls += [((imp, 0, spec, order), p, v) for p, v, imp in payload]
        inline = el.get("style")
        if inline:
            decls += [((imp, 1, (0, 0, 0), 0), p, v)
                      for p, v, imp in _declarations(tinycss2.parse_component_value_list(inline))]
        for _, prop, value in sorted(decls, key=lambda d: d[0]):
            if value == "inherit":
                if prop == "font-family":
                    families = parent.families
                elif prop == "font-weight":
                    weight = parent.weight
            elif prop == "font-family":
                families = tuple(value)  # type: ignore[arg-type]
            elif prop == "font-weight":
                weight = _weight(str(value), parent.weight)
            elif prop == "display":
                shown = shown and str(value).lower() != "none"
        return _Style(families, weight, shown)

    def walk(wrapper, parent: _Style, in_svg: bool) -> Iterator[tuple[_Style, str]]:
        el = wrapper.etree_element
        name = _local(el.tag)
        if name in _SKIP:
            return
        style = style_of(wrapper, parent)
        if not style.shown:
            return
        svg = in_svg or el.tag.startswith(_SVG_NS)
        text_here = not svg or name in _SVG_TEXT           # in an SVG only <text> and its spans are drawn
        if el.text and text_here:
            yield style, el.text
        for child in wrapper.iter_children():
            yield from walk(child, style, svg)
            if child.etree_element.tail and text_here:
                yield style, child.etree_element.tail

    yield from walk(root, _Style(("serif",), 400), False)


def _match_face(faces: list[Face], weight: int) -> Face:
    """The face of one family a browser takes for ``weight`` (CSS Fonts 4 §5.2, font-weight)."""
    weights = sorted({f.weight for f in faces})
    if weight in weights:
        best = weight
    else:
        lighter = [w for w in weights if w < weight][::-1]
        heavier = [w for w in weights if w > weight]
        if 400 <= weight <= 500:
            mid = [w for w in heavier if w <= 500]
            order = mid + lighter + [w for w in heavier if w > 500]
        elif weight < 400:
            order = lighter + heavier
        else:
            order = heavier + lighter
        best = order[0]
    return next(f for f in faces if f.weight == best)


def assign_characters(html: str, css: str, faces: list[Face], matcher=None) -> None:
    """Fill each face's ``chars``: the characters of ``html`` (its text and its inline SVGs' labels) that a
    browser sets in that face."""
    if matcher is None:
        matcher, _ = _rules(css)
    by_family: dict[str, list[Face]] = {}
    for f in faces:
        by_family.setdefault(f.family.lower(), []).append(f)
    runs: dict[_Style, set[str]] = {}
    for style, text in _styled_text(html, matcher):
        runs.setdefault(style, set()).update(text)
    for style, chars in runs.items():
        for ch in chars:
            if ch in _WHITESPACE:
                continue
            for fam in style.families:
                family = by_family.get(fam.lower())
                if not family:
                    continue                            # a generic or installed family: nothing to embed
                face = _match_face(family, style.weight)
                if ord(ch) in face.cmap:
                    face.chars.add(ch)
                    break


# ---- subsetting ----------------------------------------------------------------------------------------------

def _flavor() -> str:
    try:
        import brotli  # noqa: F401
    except ImportError:
        return "woff"
    return "woff2"


_SUBSET_OPTIONS = "features *, names *, notdef outline, no FFTM, mort"   # part of the cache key


def subset_font(path: Path, chars: set[str]) -> tuple[bytes, str]:
    """The font file subset to ``chars`` (every OpenType feature kept: ``halt``, ``hwid``, ``tnum`` …), as WOFF2
    (or WOFF) bytes, and its CSS format name; cached by the font's size and time and the characters."""
    import fontTools
    from fontTools import subset

    from ..atomic import write_atomic
    from ..workspace import cache_dir

    flavor = _flavor()
    st = path.stat()
    stamp = (_SUBSET_OPTIONS, str(path.resolve()), st.st_size, st.st_mtime_ns, fontTools.version, flavor, sorted(chars))
    key = hashlib.sha256(repr(stamp).encode("utf-8")).hexdigest()[:24]
    cache = cache_dir() / "fonts" / f"{path.stem}.{key}.{flavor}"
    try:
        return cache.read_bytes(), flavor
    except OSError:
        pass
    options = subset.Options()
    options.layout_features = ["*"]
    options.name_IDs = ["*"]                 # the copyright and licence records travel with the font
    options.notdef_outline = True
    options.flavor = flavor
    options.drop_tables = [*options.drop_tables, "FFTM", "mort"]   # FontForge's time stamp, AAT morphs (old)
    font = subset.load_font(str(path), options, dontLoadGlyphNames=True)
    try:
        sub = subset.Subsetter(options)
        sub.populate(unicodes=sorted(ord(c) for c in chars))
        sub.subset(font)
        buf = io.BytesIO()
        subset.save_font(font, buf, options)
    finally:
        font.close()
    data = buf.getvalue()
    try:
        write_atomic(cache, data, durable=False)
    except OSError:
        pass                                  # a read-only cache: subset each time
    return data, flavor


# ---- the file ----------------------------------------------------------------------------------------------

def _face_of(desc: dict, resolve: Callable[[str], Path | None]) -> Face | None:
    tinycss2 = _tinycss2()
    fams = _families(desc.get("font-family", []))
    if not fams:
        return None
    weight = _weight(tinycss2.serialize(desc["font-weight"]) if "font-weight" in desc else "normal", 400)
    italic = "font-style" in desc and tinycss2.serialize(desc["font-style"]).strip().lower() in ("italic", "oblique")
    path = None
    for tok in desc.get("src", []):
        url = tok.value if tok.type == "url" else (
            tok.arguments[0].value if tok.type == "function" and tok.lower_name == "url" and tok.arguments
            and tok.arguments[0].type == "string" else None)
        if url is not None:
            path = resolve(url)
            if path is not None:
                break
    face = Face(fams[0], weight, italic, path)
    if path is not None:
        face.cmap = _cmap(str(path))
    return face


def _face_rule(face: Face) -> str:
    data, flavor = subset_font(face.path, face.chars) if face.path else (b"", "")
    style = " font-style: italic;" if face.italic else ""
    return (f'@font-face {{ font-family: "{face.family}"; font-weight: {face.weight};{style} '
            f'src: url("data:font/{flavor};base64,{base64.b64encode(data).decode("ascii")}") format("{flavor}"); }}')


def embed_fonts(html: str, resolve: Callable[[str], Path | None]) -> tuple[str, list[Face]]:
    """``html`` with the @font-face rules of its stylesheet (the first ``<style>``) carrying subset fonts as data:
    URIs; a face that sets no character, or whose file ``resolve`` refuses, is left out.  Returns the faces too."""
    m = _STYLE.search(html)
    if m is None:
        return html, []
    css = m.group(2)
    matcher, descs = _rules(css)
    faces = [_face_of(d, resolve) for d in descs]
    known = [f for f in faces if f is not None and f.path is not None]
    assign_characters(html, css, known, matcher)
    rules = iter(faces)

    def one(_: re.Match) -> str:
        face = next(rules, None)
        if face is None or face.path is None:
            return "/* a font outside the project: not embedded */"
        if not face.chars:
            return f"/* {face.family} {face.weight}: sets nothing in this document */"
        return _face_rule(face)

    css = _FONT_FACE.sub(one, css)
    return html[:m.start(2)] + css + STANDALONE_CSS + html[m.end(2):], [f for f in known if f.chars]


def inline_charts(html: str) -> str:
    """Each ``<img>`` of an SVG data: URI as the SVG itself, sized as the image was, its ids prefixed per chart."""
    count = 0

    def one(m: re.Match) -> str:
        nonlocal count
        count += 1
        prefix = f"c{count}-"
        svg = INVISIBLE.sub("", base64.b64decode(m.group(1)).decode("utf-8"))
        start = svg.find("<svg")
        if start < 0:
            return m.group(0)
        svg = svg[start:]                                     # no XML declaration, no DOCTYPE
        svg = re.sub(r"\s*<metadata>.*?</metadata>", "", svg, count=1, flags=re.S)
        svg = re.sub(r'\bid="([^"]+)"', lambda i: f'id="{prefix}{i.group(1)}"', svg)
        svg = re.sub(r"url\(#([^)]+)\)", lambda i: f"url(#{prefix}{i.group(1)})", svg)
        svg = re.sub(r'((?:xlink:)?href)="#([^"]+)"', lambda i: f'{i.group(1)}="#{prefix}{i.group(2)}"', svg)
        attrs = m.group(2)
        alt = re.search(r'\balt="([^"]*)"', attrs)
        style = re.search(r'\bstyle="([^"]*)"', attrs)
        head_end = svg.index(">")
        head = re.sub(r'\s(?:width|height)="[^"]*"', "", svg[:head_end])
        head += ' class="chart" role="img"'
        if alt:
            head += f' aria-label="{alt.group(1)}"'
        if style:
            head += f' style="{style.group(1)}"'
        return head + svg[head_end:]

    return _SVG_IMG.sub(one, html)


_FN_OPEN = re.compile(r'<span class="fn"[^>]*>')
_SPAN_TAG = re.compile(r"<(/?)span\b[^>]*>")
_FN_BLOCK = re.compile(r'(<div class="para[^"]*"[^>]*>.*?</div>|<p class="table-note">.*?</p>)', re.S)


def footnotes_after_blocks(html: str) -> str:
    """Each footnote (``<span class="fn">``, a float to the page's foot in the PDF) as its number where it is called
    and its text after the paragraph, as the PDF shows it: a browser has no page foot to float it to."""
    count = 0

    def block(m: re.Match) -> str:
        nonlocal count
        notes: list[str] = []
        text, out, pos = m.group(0), [], 0
        while (f := _FN_OPEN.search(text, pos)) is not None:
            depth = 1
            for t in _SPAN_TAG.finditer(text, f.end()):       # the note's own spans (a number with its unit …)
                depth += -1 if t.group(1) else 1
                if depth == 0:
                    break
            else:
                break                                          # not closed: left as it is
            count += 1
            notes.append(f'<p id="fn-{count}"><sup>{count}</sup>{text[f.end():t.start()]}</p>')
            out += [text[pos:f.start()], f'<a class="fn-call" href="#fn-{count}">{count}</a>']
            pos = t.end()
        out.append(text[pos:])
        return "".join(out) + (f'<div class="fn-notes">{"".join(notes)}</div>' if notes else "")

    return _FN_BLOCK.sub(block, html)


def file_resolver(base: Path, allowed_roots: list[Path]) -> Callable[[str], Path | None]:
    """A stylesheet's URL (relative to ``base``, as the PDF reads it) as a file under the allowed folders, or None."""
    roots = [r.resolve() for r in allowed_roots]

    def resolve(url: str) -> Path | None:
        parsed = urlparse(urljoin(base.resolve().as_uri() + "/", url))
        if parsed.scheme != "file":
            return None
        path = Path(unquote(parsed.path)).resolve()
        if not path.is_file() or not any(path.is_relative_to(r) for r in roots):
            return None
        return path

    return resolve


def standalone(html: str, base: Path, allowed_roots: list[Path]) -> str:
    """The report's HTML (charts and photos as data: URIs) as one self-contained file: charts inline, the body's
    lines as the PDF sets them, footnotes after their paragraph, fonts embedded and subset (see the module's
    docstring)."""
    from .lines import set_lines
    from .typeset import WBR, ZWSP, wbr_as_zwsp

    html = inline_charts(html)
    # the lines the PDF has; the zero-width spaces lines.py reads and writes as break opportunities are <wbr> again
    # (render_html leaves no other: INVISIBLE)
    html = set_lines(wbr_as_zwsp(html), base / "fonts").replace(ZWSP, WBR)
    html = footnotes_after_blocks(html)
    out, _ = embed_fonts(html, file_resolver(base, allowed_roots))
    return out
