"""Where a taxonomy change's footnote is printed: once, at the place its ``anchor`` names.

While the sections are built, every mention of a category that a taxonomy change created is a *mark* (see
``narrative.Footnotes``: the footnote's key and where the mention stands — its paragraph id, the ids of the
sections it is in, and ``category`` in the category's own sub-section).  When the whole document is built,
``place_footnotes`` keeps the one call the anchor asks for and removes every other mark:

* no anchor: the first mention in the document;
* a section id: the first mention inside that section (or a section in it);
* a paragraph id: the first mention in that paragraph;
* ``category``: the category's own sub-section (二, its summary sentence: a call in the heading itself would be
  repeated in the 目录 and the PDF's bookmarks).

An anchor that names neither a section nor a paragraph of the report is a configuration error (the taxonomy
file, line and key).  An anchor whose place does not mention the category this year (it left the top ten)
puts the call at the first mention and says so in the render's notices, so that the footnote of a restated
comparison is never lost.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from html import unescape

from markupsafe import Markup

from .document import Document, Para

MARK = re.compile(r'<span class="fn" data-fn="([^"]*)" data-at="([^"]*)">(.*?)</span>', re.S)
CATEGORY = "category"


def place_footnotes(doc: Document, anchors: dict[str, str | None], section_ids: set[str],
                    unknown_anchor: Callable[[str, str], Exception]) -> None:
    """Keep one call per anchored footnote key (``anchors``: key → anchor or None) in ``doc``'s paragraphs;
    ``unknown_anchor(key, anchor)`` is the error raised for an anchor that names nothing in the report."""
    paras = [b for b in doc.blocks if isinstance(b, Para)]
    block_ids = {b.id for b in paras}
    found: dict[str, list[tuple[int, int, tuple[str, ...]]]] = {}     # key → (paragraph, mark index, at)
    for i, para in enumerate(paras):
        for j, m in enumerate(MARK.finditer(str(para.html))):
            found.setdefault(unescape(m.group(1)), []).append((i, j, tuple(unescape(m.group(2)).split("\x1f"))))
    keep: set[tuple[int, int]] = set()
    for key, anchor in anchors.items():
        if anchor is not None and anchor != CATEGORY and anchor not in section_ids and anchor not in block_ids:
            raise unknown_anchor(key, anchor)
        marks = found.get(key, [])
        if not marks:
            continue
        at_anchor = [mk for mk in marks if anchor is None or anchor in mk[2]]
        if not at_anchor:
            doc.notices.append(f"脚注（{key.removeprefix('remap:')}的分类调整）应放在 {anchor}，但该处本期没有提及"
                               f"{key.removeprefix('remap:')}：已放在报告中首次提及之处。")
            at_anchor = marks
        keep.add(at_anchor[0][:2])
    for i, para in enumerate(paras):
        if '<span class="fn" data-fn=' not in str(para.html):
            if para.generated is not None and '<span class="fn" data-fn=' in str(para.generated):
                para.generated = _strip(str(para.generated), lambda j: False)
            continue
        generated_same = para.generated is not None and str(para.html) == f"<p>{para.generated}</p>"
        para.html = _strip(str(para.html), lambda j, i=i: (i, j) in keep)
        if para.generated is not None:
            para.generated = Markup(str(para.html)[3:-4]) if generated_same else _strip(str(para.generated),
                                                                                        lambda j: False)


def _strip(html: str, kept: Callable[[int], bool]) -> Markup:
    """``html`` with the marks turned into plain footnote calls where ``kept(index)``, removed elsewhere."""
    counter = iter(range(10**9))

    def one(m: re.Match) -> str:
        return f'<span class="fn">{m.group(3)}</span>' if kept(next(counter)) else ""
    return Markup(MARK.sub(one, html))
