"""Chinese line breaking that Pango does not do by itself, applied to the HTML's text nodes.

* A break is allowed before an opening quotation mark “‘ and after a closing one ”’ when they
  stand next to Chinese text.  Pango follows UAX #14, where quotation marks are class QU and
  glue to both neighbours, so '共受理“12345”市民' could only break before 理 — leaving a short,
  ragged line.  A zero-width space (U+200B) marks the break opportunity; it has no width and
  is not in the PDF's text.
* A number stays on one line with its unit: '0.36分', '11.84%', '372.71件/万人', '第11位' are
  never split as '0.36' / '分。'.
"""

from __future__ import annotations

import re

from markupsafe import Markup

_TAG = re.compile(r"(<[^>]+>)")
_CJK = "\u3400-\u9fff\uf900-\ufaff"
_BEFORE_OPEN = re.compile(f"(?<=[{_CJK}0-9A-Za-z%，、：；。）])(?=[“‘])")
_AFTER_CLOSE = re.compile(f"(?<=[”’])(?=[{_CJK}0-9A-Za-z“‘（])")
UNITS = ("件/万人", "万件", "万人", "百分点", "件", "分", "位", "个", "名", "万", "%", "倍")
_NUM_UNIT = re.compile(r"(?<![#\d.])[-−]?\d+(?:\.\d+)?(?:" + "|".join(re.escape(u) for u in UNITS) + ")")
ZWSP = "\u200b"


def _text(t: str) -> str:
    t = _BEFORE_OPEN.sub(ZWSP, t)
    t = _AFTER_CLOSE.sub(ZWSP, t)
    return _NUM_UNIT.sub(lambda m: f'<span class="nw">{m.group()}</span>', t)


def typeset(html: str) -> Markup:
    """The same (already escaped) HTML with break opportunities and unbreakable number+unit spans."""
    parts = _TAG.split(str(html))
    return Markup("".join(p if p.startswith("<") else _text(p) for p in parts))
