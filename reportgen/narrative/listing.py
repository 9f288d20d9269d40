"""``reportgen wording``: the wording keys a build rendered, section by section, for analysts who override them.

From the calls a :class:`~reportgen.narrative.wording.Wording` recorded (``Wording.calls``): per section of the
structure, in document order, each key once — the names its template can use (the slots of the call), where its
current template comes from (structure or period file), the template and the text it generated (plain: markup and
footnote calls removed; a key rendered several times shows its first text and how many times).  Then the keys that
are defined but were not rendered.  As plain Chinese text or as JSON.
"""

from __future__ import annotations

import html
import json
import re
from dataclasses import asdict, dataclass, field
from typing import Any, Iterable

from ..config.models import SectionSpec
from .wording import Wording

_FOOTNOTE_CALL = re.compile(r'<span class="fn"[^>]*>.*?</span>', re.S)     # a call, or a mark still to place
_TAG = re.compile(r"<[^>]*>")


def plain_text(markup: str) -> str:
    """The generated text as read: footnote calls removed, tags stripped, entities unescaped."""
    return html.unescape(_TAG.sub("", _FOOTNOTE_CALL.sub("", markup))).strip()


@dataclass
class KeyUse:
    key: str
    slots: list[str]
    origin: str
    template: str
    text: str | None          # the first generated text; None for a key not rendered
    count: int                # how many times the section rendered it


@dataclass
class SectionUse:
    id: str
    title: str
    level: int                # 1: a top-level section, 2: its child …
    keys: list[KeyUse] = field(default_factory=list)


@dataclass
class Listing:
    sections: list[SectionUse]
    unused: list[KeyUse]
    filtered: bool = False    # one section (``--section``): the unused keys are not listed


def walk(specs: Iterable[SectionSpec], level: int = 1) -> list[tuple[SectionSpec, int]]:
    """The sections in document order, each with its level."""
    out: list[tuple[SectionSpec, int]] = []
    for s in specs:
        out += [(s, level), *walk(s.children, level + 1)]
    return out


def _find(specs: Iterable[SectionSpec], section_id: str) -> SectionSpec | None:
    return next((s for s, _ in walk(specs) if s.id == section_id), None)


def listing(wording: Wording, sections: list[SectionSpec], only: str | None = None) -> Listing:
    """The keys ``wording`` rendered, per section of ``sections``; ``only``: that section and its sub-sections
    (``KeyError`` when there is none of that id)."""
    def entry(key: str, slots: list[str], text: str | None, count: int) -> KeyUse:
        return KeyUse(key, slots, wording.origin.get(key, "（未知）"), wording.templates.get(key, ""), text, count)

    by_section: dict[str, dict[str, list]] = {}          # section → key → [slots, first text, count]
    for c in wording.calls:
        seen = by_section.setdefault(c.section, {})
        if c.key in seen:
            seen[c.key][0] |= set(c.slots)
            seen[c.key][2] += 1
        else:
            seen[c.key] = [set(c.slots), plain_text(c.text), 1]

    if only is not None:
        top = _find(sections, only)
        if top is None:
            raise KeyError(only)
        chosen = [(s, lv) for s, lv in walk([top])]
    else:
        chosen = walk(sections)
    out = []
    for spec, level in chosen:
        keys = by_section.get(spec.id, {})
        out.append(SectionUse(spec.id, spec.title, level,
                              [entry(k, sorted(v[0]), v[1], v[2]) for k, v in keys.items()]))
    known = {s.id for s, _ in walk(sections)}
    if only is None:                 # calls outside any section of the structure (none in the shipped reports)
        for sid, keys in by_section.items():
            if sid not in known:
                out.append(SectionUse(sid, "", 1, [entry(k, sorted(v[0]), v[1], v[2]) for k, v in keys.items()]))
    used = {c.key for c in wording.calls}
    unused = [entry(k, [], None, 0) for k in wording.templates if k not in used]
    return Listing(out, unused if only is None else [], filtered=only is not None)


def _field(label: str, value: str, indent: str = "    ") -> list[str]:
    """``label：value``, a value of several lines continued under its first."""
    lines = value.splitlines() or [""]
    pad = indent + " " * (len(label) * 2 + 2)        # CJK labels: two columns a character
    return [f"{indent}{label}：{lines[0]}", *(pad + ln for ln in lines[1:])]


def as_text(lst: Listing, title: str) -> str:
    out = [title, ""]
    for sec in lst.sections:
        at = "  " * (sec.level - 1)                   # a sub-section indented under its chapter
        name = f"章节 {sec.id}" if sec.id else "章节之外"
        out.append(f"{at}【{name}】{sec.title or '（无标题）'}")
        if not sec.keys:
            out += [f"{at}  （本节没有用到句式键）", ""]
            continue
        for k in sec.keys:
            text = k.text if k.text else "（空）"
            out.append(f"{at}  {k.key}")
            out += _field("可用变量", "、".join(k.slots) or "（无）", at + "    ")
            out += _field("模板来源", k.origin, at + "    ")
            out += _field("当前模板", k.template, at + "    ")
            out += _field("生成文字", text + (f"（共 {k.count} 处）" if k.count > 1 else ""), at + "    ")
        out.append("")
    used = len({k.key for s in lst.sections for k in s.keys})
    if not lst.filtered:
        out.append(f"【未用到的句式键】（共 {len(lst.unused)} 个：已定义，但本期报告没有生成）")
        if not lst.unused:
            out.append("  （无）")
        for k in lst.unused:
            out.append(f"  {k.key}")
            out += _field("模板来源", k.origin)
            out += _field("当前模板", k.template)
        out.append("")
        out.append(f"共用到 {used} 个句式键，另有 {len(lst.unused)} 个未用到。"
                   "在期间文件的 wording 中写同名的键即可改写其句式。")
    else:
        out.append(f"本节共用到 {used} 个句式键。在期间文件的 wording 中写同名的键即可改写其句式。")
    return "\n".join(out)


def as_json(lst: Listing, **meta: Any) -> str:
    """``{…meta, sections: [{id, title, level, keys: [{key, slots, origin, template, text, count}]}], unused: […]}``."""
    data = {**meta, "sections": [asdict(s) for s in lst.sections], "unused": [asdict(k) for k in lst.unused]}
    return json.dumps(data, ensure_ascii=False, indent=2)
