"""Deferred placement of charts and short tables (floats), decided inside WeasyPrint's one layout.

A chart (``figure.chart``) or a table kept on one page (``.table-block.keep``) that does not fit in the
space left on a page would, in plain CSS, move to the next page and leave that space empty — often 40 %
of the page, because a chart is 8–10 lines tall.  A typesetter (and LaTeX's float placement) lets the
text flow on instead: the paragraph after the float fills the page, and the float goes to the top of
the next page, after the rest of that paragraph.  The float never moves more than one paragraph away
from the text that introduces it, and never past a heading, a table or another float.

WeasyPrint lays out pages one after another (``layout.page.make_page``).  This module wraps that
function: when a page ends just before a float with at least :data:`MIN_GAP` of its height unused and
a paragraph follows the float, the float and that paragraph change places in the box tree, and the
one page is laid out again (the state the page changed — counters, footnotes, running elements — is
put back first).  Pages before it are final and pages after it see the new order, so the document is
still laid out once: the cost is one extra page for each deferred float.

The same hook repeats a table's merged cell on a new page: when a page break falls inside a row group
whose cell spans rows on both sides of it (the 分类 of a brief's table), the cell is cut in two — its
first part ends with the page, a copy with the same text opens the next page — as Word repeats it.

Only WeasyPrint 70 has been checked for the internals used here; with any other version the patch
is not applied and floats stay where the HTML puts them (:func:`enable` returns False).
"""

from __future__ import annotations

import copy

MIN_GAP = 2.5 * 28.95          # pt: the unused height (2½ body lines) that makes a float worth deferring
_enabled: bool | None = None


def _classes(box) -> set[str]:
    element = getattr(box, "element", None)
    if element is None or getattr(box, "element_tag", "").endswith(("::before", "::after", "::marker")):
        return set()
    return set((element.get("class") or "").split())


def is_float(box) -> bool:
    tag = getattr(box, "element_tag", "")
    cls = _classes(box)
    return (tag == "figure" and "chart" in cls) or ("table-block" in cls and "keep" in cls)


def is_paragraph(box) -> bool:
    return getattr(box, "element_tag", "") == "div" and "para" in _classes(box)


class _State:
    """Per document: the path from the root box to ``<main>`` and the floats already deferred."""

    def __init__(self, root_box):
        self.path: list[int] | None = None
        self.main = None
        self.deferred: set[int] = set()
        box, path = root_box, []
        for _ in range(4):                         # html > body > main
            for i, child in enumerate(getattr(box, "children", ())):
                if getattr(child, "element_tag", "") == "main":
                    self.path, self.main = path + [i], child
                    return
            nxt = next(((i, c) for i, c in enumerate(getattr(box, "children", ()))
                        if getattr(c, "element_tag", "") == "body"), None)
            if nxt is None:
                return
            path.append(nxt[0])
            box = nxt[1]

    def next_child(self, resume_at) -> int | None:
        """Index in ``<main>`` of the block the next page starts with, when it starts at a block's top."""
        if self.path is None or not resume_at:
            return None
        stack = resume_at
        for index in self.path:
            if not isinstance(stack, dict) or list(stack) != [index]:
                return None
            stack = stack[index]
        if isinstance(stack, dict) and len(stack) == 1:
            (k, rest), = stack.items()
            if rest is None:
                return k
        return None


def _main_bottom(page) -> float | None:
    """Bottom (pt) of the last block of ``<main>`` laid out on this page."""
    stack = list(page.children[:1])
    while stack:
        box = stack.pop()
        if getattr(box, "element_tag", "") == "main":
            kids = [c for c in box.children if hasattr(c, "margin_height")]
            if not kids:
                return None
            last = kids[-1]
            return last.position_y + last.margin_height()
        stack.extend(getattr(box, "children", ()))
    return None


def _snapshot(context, page_state, page_number):
    remake_state = context.page_maker[page_number - 1][-1]
    return {
        "page_state": copy.deepcopy(page_state),
        "footnotes": list(context.footnotes),
        "reported_footnotes": list(context.reported_footnotes),
        "broken_out_of_flow": dict(context.broken_out_of_flow),
        "running": {name: {p: list(v) for p, v in pages.items()} for name, pages in context.running_elements.items()},
        "rendered_notes": len(context.rendered_notes),
        "forced_break": context.forced_break,
        "remake": {k: (list(v) if isinstance(v, list) else v) for k, v in remake_state.items()},
    }


def _restore(context, saved, page_state, page_number):
    quote_depth, counters, scopes, groups = page_state
    s_quote, s_counters, s_scopes, s_groups = saved["page_state"]
    quote_depth[:] = s_quote
    counters.clear()
    counters.update(s_counters)
    scopes[:] = s_scopes
    groups[:] = s_groups
    context.footnotes[:] = saved["footnotes"]
    context.reported_footnotes = list(saved["reported_footnotes"])
    context.broken_out_of_flow = dict(saved["broken_out_of_flow"])
    for name, pages in context.running_elements.items():
        pages.clear()
        pages.update({p: list(v) for p, v in saved["running"].get(name, {}).items()})
    del context.rendered_notes[saved["rendered_notes"]:]
    context.forced_break = saved["forced_break"]
    remake_state = context.page_maker[page_number - 1][-1]
    remake_state.clear()
    remake_state.update({k: (list(v) if isinstance(v, list) else v) for k, v in saved["remake"].items()})


def repeat_spanning_cells(root_box, resume_at) -> bool:
    """When the next page starts at row r > 0 of a row group, cells of earlier rows that span past r are cut
    there and a copy of each opens row r.  Returns whether the box tree changed."""
    from weasyprint.formatting_structure import boxes

    box, stack = root_box, resume_at
    while isinstance(stack, dict) and len(stack) == 1:
        (index, sub), = stack.items()
        if isinstance(box, boxes.TableRowGroupBox):
            if sub is not None or index == 0 or index >= len(box.children):
                return False
            target, changed = box.children[index], False
            for j in range(index):
                for cell in list(box.children[j].children):
                    if j + cell.rowspan > index:
                        rest = cell.deepcopy()
                        rest.rowspan = j + cell.rowspan - index
                        cell.rowspan = index - j
                        at = next((k for k, c in enumerate(target.children) if c.grid_x > rest.grid_x),
                                  len(target.children))
                        target.children.insert(at, rest)
                        changed = True
            return changed
        children = getattr(box, "children", None)
        if not children or index >= len(children):
            return False
        box, stack = children[index], sub
    return False


def enable() -> bool:
    """Patch WeasyPrint's page maker once; returns whether deferred placement is active."""
    global _enabled
    if _enabled is not None:
        return _enabled
    _enabled = False
    from .weasy import compatible

    if not compatible("floats"):
        return False
    from weasyprint.layout import page as page_module

    original = page_module.make_page

    def make_page(context, root_box, page_type, resume_at, page_number, page_state):
        state = getattr(context, "_reportgen_floats", None)
        if state is None:
            state = context._reportgen_floats = _State(root_box)
        if page_type.blank or state.main is None:
            return original(context, root_box, page_type, resume_at, page_number, page_state)
        saved = _snapshot(context, page_state, page_number)
        page, next_resume, next_page = original(context, root_box, page_type, resume_at, page_number, page_state)
        if repeat_spanning_cells(root_box, next_resume):
            _restore(context, saved, page_state, page_number)
            return original(context, root_box, page_type, resume_at, page_number, page_state)
        k = state.next_child(next_resume)
        children = state.main.children
        if k is None or k + 1 >= len(children) or k == 0:
            return page, next_resume, next_page
        float_box, following = children[k], children[k + 1]
        if not is_float(float_box) or id(float_box) in state.deferred or not is_paragraph(following):
            return page, next_resume, next_page
        bottom = _main_bottom(page)
        if bottom is None or context.page_bottom - bottom < MIN_GAP:
            return page, next_resume, next_page
        children[k], children[k + 1] = following, float_box
        state.deferred.add(id(float_box))
        _restore(context, saved, page_state, page_number)
        return original(context, root_box, page_type, resume_at, page_number, page_state)

    page_module.make_page = make_page
    _enabled = True
    return True
