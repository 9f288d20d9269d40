"""Where every printed number comes from: sources of counts and the figure manifest.

Metrics return :class:`Count` — an ``int`` that remembers its measure, filters and period.
The number formats (:mod:`reportgen.numbers`) return :class:`Printed` — the printed text carrying the
manifest entries of its numbers (exact value, unit, how it was computed) — and also note each entry into
the active :class:`Manifest`, for figures formatted while a template renders.  When a block is added, the
manifest takes the entries noted since the last block and, for a paragraph, the entries of every slot value
printed in it: a figure computed once and printed in two paragraphs belongs to both, whichever was
formatted first.  The manifest (with where each block is printed) is written as JSON beside the PDF, and
``reportgen check`` proves that every number of each block is one of that block's figures.
"""

from __future__ import annotations

import contextvars
import json
from dataclasses import asdict, dataclass, field
from typing import Any, Iterator


@dataclass(frozen=True)
class Source:
    measure: str                                  # e.g. "SUM(count)"
    filters: tuple[tuple[str, Any], ...] = ()     # column → value (a list for IN)
    period: str = ""                              # period key, e.g. "2023", "2023K", "2023-09K"

    def describe(self) -> dict[str, Any]:
        return {"measure": self.measure, "filters": {k: v for k, v in self.filters}, "period": self.period}


class Count(int):
    """An exact count that knows how it was computed."""

    source: Source | None

    def __new__(cls, value: int, source: Source | None = None) -> "Count":
        obj = super().__new__(cls, int(value))
        obj.source = source
        return obj

    def __reduce__(self):
        return (Count, (int(self), self.source))


def source_of(value: Any) -> Source | None:
    return getattr(value, "source", None)


def derived(measure: str, *parts: Any, period: str = "") -> Source:
    """The source of a figure computed from others (a ratio, a change, a sum)."""
    inner = [s.describe() for p in parts if (s := source_of(p)) is not None]
    return Source(measure, tuple((f"operand{i + 1}", d) for i, d in enumerate(inner)), period)


@dataclass
class Entry:
    text: str            # as printed, e.g. "2143.8"
    value: str           # exact value, e.g. "21438000/10000"
    unit: str            # 万件, 件, %, 百分点
    where: str = ""      # paragraph / chart / table id
    how: dict[str, Any] = field(default_factory=dict)


class Printed(str):
    """Printed text with the manifest entries of the numbers in it (a formatter's value, not a side effect)."""

    entries: tuple["Entry", ...]

    def __new__(cls, text: str, entries: tuple["Entry", ...] = ()) -> "Printed":
        obj = super().__new__(cls, text)
        obj.entries = tuple(entries)
        return obj


def printed(text: str, *parts: Any) -> Printed:
    """``text`` carrying the entries of ``parts`` (Printed values or entries)."""
    entries: list[Entry] = []
    for p in parts:
        if isinstance(p, Entry):
            entries.append(p)
        else:
            entries += getattr(p, "entries", ())
    return Printed(text, tuple(entries))


def entries_in(value: Any, depth: int = 0) -> Iterator["Entry"]:
    """The entries of every Printed value in ``value`` (slot dicts, lists, tuples), and of every plain integer
    there (a count of the period's data such as the number of districts listed, the report's year): a
    commentary may print any slot."""
    if isinstance(value, Printed):
        yield from value.entries
    elif isinstance(value, int) and not isinstance(value, bool):
        yield Entry(str(value), str(value), "", "", {"measure": "integer slot"})
    elif depth < 4 and isinstance(value, dict):
        for v in value.values():
            yield from entries_in(v, depth + 1)
    elif depth < 4 and isinstance(value, (list, tuple)):
        for v in value:
            yield from entries_in(v, depth + 1)


def _printed_in(text: str, number: str) -> bool:
    import re

    return re.search(rf"(?<![\d.]){re.escape(number)}(?![\d])", text) is not None


class Manifest:
    def __init__(self) -> None:
        self.entries: list[Entry] = []
        self._pending: list[Entry] = []
        self.names: set[str] = set()      # printed names with digits (not figures): check leaves their digits alone
        # what a summary of the report may repeat (the scheduler's mail): its title and key figures, each as
        # printed in the report (reports/build.py records them only when they are)
        self.summary: dict[str, Any] = {}

    def note(self, text: str, value: str, unit: str, source: Source | None) -> "Entry":
        how = source.describe() if source else {"measure": "given"}
        entry = Entry(text, value, unit, "", how)
        self._pending.append(entry)
        return entry

    def place(self, where: str, text: str | None = None, slots: Any = None) -> None:
        """Assign the numbers noted since the last call to the block ``where``; with the block's ``text`` and the
        ``slots`` it was written from, also every slot figure printed in it (whichever block noted it first)."""
        from dataclasses import replace

        seen = set()
        candidates = list(self._pending)
        if text is not None and slots is not None:
            candidates += [e for e in entries_in(slots) if _printed_in(text, e.text)]
        for e in candidates:
            key = (e.text, e.unit)
            if key in seen:
                continue
            seen.add(key)
            self.entries.append(replace(e, where=where))
        self._pending = []

    def discard_pending(self) -> None:
        self._pending = []

    def take_pending(self) -> list[Entry]:
        """Set aside the numbers noted since the last block (to place them later, or drop them)."""
        pending, self._pending = self._pending, []
        return pending

    def restore_pending(self, entries: list[Entry]) -> None:
        self._pending = entries + self._pending

    def texts(self) -> set[str]:
        return {e.text for e in self.entries}

    def to_json(self, pdf_sha256: str | None = None, blocks: dict | None = None) -> str:
        """``blocks``: where each block is printed (id → [[page, x0, y0, x1, y1], …], PDF points from the page's top
        left), so that ``reportgen check`` reads each printed number against its own block's entries."""
        head = {"pdf_sha256": pdf_sha256} if pdf_sha256 else {}
        tail: dict[str, Any] = {"blocks": blocks} if blocks else {}
        if self.names:
            tail["names"] = sorted(self.names)
        if self.summary:
            tail["summary"] = self.summary
        return json.dumps({**head, "numbers": [asdict(e) for e in self.entries], **tail}, ensure_ascii=False,
                          indent=1)


_active: contextvars.ContextVar[Manifest | None] = contextvars.ContextVar("manifest", default=None)


def active() -> Manifest | None:
    return _active.get()


class collecting:
    """``with collecting() as manifest:`` — numbers formatted inside are noted."""

    def __enter__(self) -> Manifest:
        self.manifest = Manifest()
        self.token = _active.set(self.manifest)
        return self.manifest

    def __exit__(self, *exc) -> None:
        _active.reset(self.token)


def note(text: str, value: str, unit: str, source: Source | None) -> Entry:
    """The entry of one printed number, noted into the active manifest (if any)."""
    m = _active.get()
    if m is not None:
        return m.note(text, value, unit, source)
    return Entry(text, value, unit, "", source.describe() if source else {"measure": "given"})


def iter_sources(values) -> Iterator[Source]:
    for v in values:
        s = source_of(v)
        if s is not None:
            yield s
