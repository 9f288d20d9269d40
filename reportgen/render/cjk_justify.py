"""Inter-character justification for Chinese text in WeasyPrint.

WeasyPrint (≤ 70) justifies a line only by widening its spaces; a line of Chinese has none, so
``text-align: justify`` leaves it ragged on the right.  Chinese typesetting (W3C clreq, GB/T 15834
practice) spreads the line's extra width evenly between the characters instead.

This module teaches WeasyPrint that: every character of a line (CJK or not; spaces keep their own
word-spacing) counts as an expansion opportunity, and when the line is drawn, each gets the line's
justification spacing as extra letter-spacing.  Spreading over all characters, digits included,
keeps each gap small (a fraction of a point on a typical line): a gap as wide as a space would make
PDF text extraction insert spaces into the copied text.  It patches two internals (``count_expandable_spaces`` in
``weasyprint.layout.inline`` and ``Layout.set_text`` in ``weasyprint.text.line_break``), and only
when they have the shape this was written against; otherwise it leaves WeasyPrint alone (lines are
then ragged, as before).  The last line of a paragraph is not justified, as in CSS.
"""

from __future__ import annotations

import re

# the characters that take the line's extra space: CJK ideographs and CJK punctuation — never the digits of a
# number or Latin letters, which stay as the font sets them
CJK = re.compile(r"[\u3000-\u303f\u3400-\u9fff\uf900-\ufaff\uff01-\uff5e“”‘’—…·]")
_enabled = False


def _cjk_byte_ranges(text: str) -> list[tuple[int, int]]:
    out, pos = [], 0
    for ch in text:
        n = len(ch.encode("utf-8"))
        if CJK.match(ch):
            out.append((pos, pos + n))
        pos += n
    return out


def enable() -> bool:
    """Patch WeasyPrint once; returns whether inter-character justification is active."""
    global _enabled
    if _enabled:
        return True
    from .weasy import compatible

    if not compatible("cjk_justify"):
        return False
    try:
        from weasyprint.formatting_structure import boxes
        from weasyprint.layout import inline
        from weasyprint.text import line_break
        from weasyprint.text.ffi import ffi, pango
    except ImportError:
        return False
    original_count = getattr(inline, "count_expandable_spaces", None)
    original_set_text = getattr(getattr(line_break, "Layout", None), "set_text", None)
    if original_count is None or original_set_text is None or not hasattr(inline, "add_word_spacing"):
        return False
    to_units = getattr(line_break, "TO_UNITS", None)
    if to_units is None:
        return False

    def count_expandable_spaces(box):
        if isinstance(box, boxes.TextBox):
            return original_count(box) + len(CJK.findall(box.text))
        if isinstance(box, (boxes.LineBox, boxes.InlineBox)):
            return sum(count_expandable_spaces(child) for child in box.children)
        return 0

    def set_text(self, text, justify=False):
        original_set_text(self, text, justify)
        spacing = getattr(self, "justification_spacing", 0)
        if not (justify and spacing and self.text):
            return
        ranges = _cjk_byte_ranges(self.text)
        if not ranges:
            return
        letter = self.style["letter_spacing"]
        letter = 0 if letter == "normal" else letter
        attr_list = pango.pango_layout_get_attributes(self.layout)
        if attr_list == ffi.NULL:
            attr_list = ffi.gc(pango.pango_attr_list_new(), pango.pango_attr_list_unref)
        # the same spacing for every character: Pango gives the first and last character of the text
        # half of it, so a line ends a fraction of a point short of the edge, which no eye sees (doubling
        # it there, as WeasyPrint does for spaces, opens a visible gap after the first character)
        value = int((letter + spacing) * to_units)
        for start, end in ranges:
            attr = pango.pango_attr_letter_spacing_new(value)
            attr.start_index, attr.end_index = start, end
            pango.pango_attr_list_change(attr_list, attr)
        pango.pango_layout_set_attributes(self.layout, attr_list)

    inline.count_expandable_spaces = count_expandable_spaces
    line_break.Layout.set_text = set_text
    _enabled = True
    return True
