"""A generated paragraph as the analyst may edit it: its text with a figure slot (``{{ … }}``) for every figure it
prints, so that an edited paragraph keeps following the data instead of freezing today's numbers.

``slot_forms(slots)`` lists what a commentary in the paragraph can cite — each expression (in the commentary's
vocabulary: ``total|wan``, ``total_change|change``, ``d.share|pct``, ``requests.jian``) with the text it prints
now; ``with_slots(text, forms)`` puts the expressions in place of those texts (the longest text first, each
place once).  A number no form prints stays as it is: ``reportgen check`` lists it as typed by an analyst.

A number the analyst types instead of a slot is a copy of today's figure.  ``mark_copies(text, forms)`` (the
preview, when it saves) marks each typed number equal to a figure of the paragraph with where it was copied
from, as a Jinja comment that prints nothing — ``96.93{# 抄自 dept_avg #}`` — so that when the data changes,
the build can tell that the typed number no longer equals its figure (``copies``) and ``reportgen check`` says so.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any

from ..numbers import Amount, Change, Delta, Ratio
from ..periods import Period

MAX_ITEMS = 40          # items of a list looked into (a district's 16 rows, a top 20)
MAX_DEPTH = 3
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def _child(expr: str, key: Any) -> str:
    if isinstance(key, int):
        return f"{expr}[{key}]"
    return f"{expr}.{key}" if _NAME.match(str(key)) else f"{expr}[{str(key)!r}]"


def _forms(expr: str, value: Any, depth: int) -> Iterator[tuple[str, str]]:
    if isinstance(value, Amount):
        yield f"{expr}|wan", value.wan
        yield f"{expr}.jian", value.jian
    elif isinstance(value, Ratio):
        yield f"{expr}|pct", value.pct
    elif isinstance(value, Change):
        if value.previous:
            yield f"{expr}|change", value.words("同比")
            yield f"{expr}|change('环比')", value.words("环比")
    elif isinstance(value, Delta):
        yield f"{expr}|delta", value.words()
    elif isinstance(value, Period):
        yield f"{expr}.range_text", value.range_text
    elif isinstance(value, bool) or value is None:
        return
    elif isinstance(value, (int, str)):
        text = str(value)
        if re.search(r"\d", text) and len(text) <= 40:
            yield expr, text
    elif depth < MAX_DEPTH and isinstance(value, Mapping):
        for k, v in list(value.items())[:MAX_ITEMS]:
            yield from _forms(_child(expr, k), v, depth + 1)
    elif depth < MAX_DEPTH and isinstance(value, (list, tuple)):
        for i, v in enumerate(value[:MAX_ITEMS]):
            yield from _forms(_child(expr, i), v, depth + 1)


def slot_forms(slots: Mapping[str, Any]) -> list[tuple[str, str]]:
    """(expression, printed text) of every figure the slots can print, the shortest expression first for a text
    printed by several."""
    seen: dict[str, str] = {}
    for name, value in slots.items():
        if not _NAME.match(str(name)):
            continue
        for expr, text in _forms(str(name), value, 0):
            if text and (text not in seen or len(expr) < len(seen[text])):
                seen[text] = expr
    return sorted(((e, t) for t, e in seen.items()), key=lambda f: f[0])


def with_slots(text: str, forms: list[tuple[str, str]]) -> str:
    """``text`` with ``{{ expression }}`` in place of each printed figure (whole numbers only: 12 in 120 is not
    replaced)."""
    by_text = {t: e for e, t in forms}
    if not by_text:
        return text
    pattern = "|".join(re.escape(t) for t in sorted(by_text, key=len, reverse=True))
    # a figure is not part of a longer number: no digit or decimal point right before or after it
    rx = re.compile(rf"(?<![\d.])(?:{pattern})(?![\d])")
    return rx.sub(lambda m: "{{ " + by_text[m.group(0)] + " }}", text)


COPY = re.compile(r"(?<![\d.])(\d+(?:\.\d+)?)\{#\s*抄自\s*(.+?)\s*#\}")
_TEMPLATE = re.compile(r"\{\{.*?\}\}|\{%.*?%\}|\{#.*?#\}", re.S)
_NUMBER = re.compile(r"(?<![\d.])\d+(?:\.\d+)?(?![\d])")


def mark_copies(text: str, forms: list[tuple[str, str]]) -> str:
    """``text`` with each typed number that equals the one number of a figure's text marked with its slot
    expression (``{# 抄自 expr #}``); numbers inside ``{{ }}``, ``{% %}``, ``{# #}`` or already marked are left."""
    source: dict[str, str] = {}
    for expr, printed in forms:
        nums = _NUMBER.findall(printed)
        if len(nums) == 1 and nums[0] not in source:
            source[nums[0]] = expr
    out, last = [], 0
    for m in _TEMPLATE.finditer(text + "{##}"):
        out.append(_mark(text[last:m.start()], source, text[m.start():m.end()].startswith("{#")))
        out.append(text[m.start():m.end()] if m.start() < len(text) else "")
        last = m.end()
    return "".join(out)


def _mark(chunk: str, source: dict[str, str], followed_by_comment: bool) -> str:
    def one(m: re.Match) -> str:
        at_end = m.end() == len(chunk)
        if m.group(0) not in source or (at_end and followed_by_comment):
            return m.group(0)
        return f"{m.group(0)}{{# 抄自 {source[m.group(0)]} #}}"
    return _NUMBER.sub(one, chunk)


def copies(text: str) -> list[tuple[str, str]]:
    """(typed number, slot expression it was copied from) of every mark in ``text``."""
    return [(m.group(1), m.group(2)) for m in COPY.finditer(text)]


__all__ = ["COPY", "copies", "mark_copies", "slot_forms", "with_slots"]
