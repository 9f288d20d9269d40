"""Where every printed number comes from: sources of counts and the figure manifest.

Metrics return :class:`Count` — an ``int`` that remembers its measure, filters and period.
The number formats (:mod:`reportgen.numbers`) note each string they print into the active
:class:`Manifest`; report builders tell the manifest which paragraph, chart or table the notes
belong to.  The manifest is written as JSON beside the PDF, and ``reportgen check`` proves that
every number in the PDF's text is in it.
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


class Manifest:
    def __init__(self) -> None:
        self.entries: list[Entry] = []
        self._pending: list[Entry] = []

    def note(self, text: str, value: str, unit: str, source: Source | None) -> None:
        how = source.describe() if source else {"measure": "given"}
        self._pending.append(Entry(text, value, unit, "", how))

    def place(self, where: str) -> None:
        """Assign the numbers noted since the last call to the block ``where``."""
        seen = set()
        for e in self._pending:
            key = (e.text, e.unit)
            if key in seen:
                continue
            seen.add(key)
            e.where = where
            self.entries.append(e)
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

    def to_json(self, pdf_sha256: str | None = None) -> str:
        head = {"pdf_sha256": pdf_sha256} if pdf_sha256 else {}
        return json.dumps({**head, "numbers": [asdict(e) for e in self.entries]}, ensure_ascii=False, indent=1)


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


def note(text: str, value: str, unit: str, source: Source | None) -> None:
    m = _active.get()
    if m is not None:
        m.note(text, value, unit, source)


def iter_sources(values) -> Iterator[Source]:
    for v in values:
        s = source_of(v)
        if s is not None:
            yield s
