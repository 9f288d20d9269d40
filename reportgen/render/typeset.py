"""Chinese line breaking that Pango does not do by itself, applied to the HTML's text nodes.

* A break is allowed before an opening quotation mark “‘ and after a closing one ”’ when they
  stand next to Chinese text.  Pango follows UAX #14, where quotation marks are class QU and
  glue to both neighbours, so '共受理“12345”市民' could only break before 理 — leaving a short,
  ragged line.  A ``<wbr>`` element marks the break opportunity: it adds no character to the
  text, so nothing invisible is copied out of the standalone HTML or the preview.  WeasyPrint sets
  ``<wbr>`` as a zero-width space of its own (``wbr::before``); :func:`wbr_as_zwsp` writes that
  space into the text node before layout instead (the text stays one box, as the line breaker of
  lines.py measures it).  Pango draws it as an empty glyph: it is not in the PDF's text either.
* A number stays on one line with its unit: '0.36分', '11.84%', '372.71件/万人', '第11位' are
  never split as '0.36' / '分。'.
* No lone character on a paragraph's last line (孤字): its last two characters and the closing
  punctuation are kept together, so '…有小幅上' / '升。' cannot happen.
"""

from __future__ import annotations

import re

from markupsafe import Markup

_TAG = re.compile(r"(<[^>]+>)")
_CJK = "\u3400-\u9fff\uf900-\ufaff"
_BEFORE_OPEN = re.compile(f"(?<=[{_CJK}0-9A-Za-z%，、：；。）])(?=[“‘])")
_AFTER_CLOSE = re.compile(f"(?<=[”’])(?=[{_CJK}0-9A-Za-z“‘（])")
UNITS = ("件/万人", "万件", "万人", "百分点", "件", "分", "位", "个", "名", "万", "%", "倍", "年", "月", "日", "时")
_NUM_UNIT = re.compile(r"(?<![#\d.])[-−]?\d+(?:\.\d+)?(?:" + "|".join(re.escape(u) for u in UNITS) + ")")
ZWSP = "\u200b"
WBR = "<wbr>"
#: characters that are invisible in print but copied with the text (zero-width space, non-joiner, joiner, word
#: joiner, BOM / zero-width no-break space, soft hyphen): never written into an output's text
INVISIBLE = re.compile("[\u200b\u200c\u200d\u2060\ufeff\u00ad]")


def _text(t: str) -> str:
    t = _BEFORE_OPEN.sub(WBR, t)
    t = _AFTER_CLOSE.sub(WBR, t)
    return _NUM_UNIT.sub(lambda m: f'<span class="nw">{m.group()}</span>', t)


_TAIL = re.compile(f"([{_CJK}]{{2}}[。；！？：”’）]*)$")


def typeset(html: str) -> Markup:
    """The same (already escaped) HTML with break opportunities, unbreakable number+unit spans and no
    lone last character; without the invisible characters it may hold (:data:`INVISIBLE`)."""
    raw = _TAG.split(INVISIBLE.sub("", str(html)))      # a pasted zero-width space is not a break opportunity of ours
    parts = [p if p.startswith("<") else _text(p) for p in raw]
    for i, p in enumerate(raw):
        if p == "</p>" and i > 0 and not raw[i - 1].startswith("<"):
            parts[i - 1] = _TAIL.sub(lambda m: f"\x00{m.group(1)}\x01", parts[i - 1])
    out = "".join(parts)
    return Markup(out.replace("\x00", '<span class="nw">').replace("\x01", "</span>"))


def wbr_as_zwsp(html: str) -> str:
    """The HTML for WeasyPrint: each ``<wbr>`` of :func:`typeset` as the zero-width space WeasyPrint would set for
    it, inside the text node (a ``wbr::before`` box of its own would split the text box and change the lines
    that lines.py chose).  Only for the PDF's layout: Pango draws the space as an empty glyph, with no text."""
    return html.replace(WBR, ZWSP)
