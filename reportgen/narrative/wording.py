"""Wording templates: ``key → Jinja2 template string`` from the report kind and the period file.

Templates run in the *bounded sandbox* (``reportgen.sandbox``: no internals, no include / import / extends, bounded
arithmetic, sizes and time), *autoescaping*, *StrictUndefined*: analysts' templates cannot reach Python internals
or hang a render, every value is escaped, and a misspelt name fails
the render instead of printing blank.  The template's own literal text is escaped too (a wording
override ``<img src=x onerror=…>`` prints as text): wording is text, and the only markup in its output
is what the filters and ``fn(…)`` generate as safe ``Markup``.  Filters turn figures into the reports' wording:

* ``wan``     Amount → '2143.8万件'      ``wan_trim``: '140万件' for 140.0
* ``pct``     Ratio → '50.8%'
* ``change``  Change → '同比上升23.3%' / '同比下降71.8%' / '同比持平' (``change('环比')``)
* ``items``   [(name, Amount)] → 'A（1.0万件）、B（2.0万件）'
* ``names``   [name] → 'A、B、C'
* ``cn``      12 → '十二'
* ``than``    Gap → '高于我区市级考核综合成绩（95.21分）1.87分' / '低于…' / '与…持平'  (``gap|than(label)``)
* ``delta``   Delta → '环比下降17.38件/万人' / '环比持平'
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from jinja2 import TemplateError
from jinja2.ext import Extension
from jinja2.lexer import Token
from markupsafe import Markup, escape

from ..errors import ConfigError
from ..numbers import TEMPLATE_FILTERS
from ..sandbox import BoundedSandbox, explain


class Footnotes:
    """Footnote calls, numbered in order of first use; each text printed once.

    ``anchored``: keys whose call is placed after the whole document is built (a taxonomy change's footnote,
    which its ``anchor`` puts at a section, a paragraph or the category's own sub-section): each call of such
    a key is a mark carrying where it stands (``at``), and ``reports/footnotes.place_footnotes`` keeps one."""

    def __init__(self, texts: dict[str, str], anchored: dict[str, str | None] | None = None) -> None:
        self.texts = dict(texts)
        self.anchored = dict(anchored or {})
        self.used: list[str] = []

    def call(self, key: str, at: tuple[str, ...] = ()) -> Markup:
        if key not in self.texts:
            raise ConfigError(f"配置错误：句式模板引用了未定义的脚注 “{key}”。请在报告结构文件的 footnotes 中定义。")
        if key in self.anchored:
            return Markup('<span class="fn" data-fn="{}" data-at="{}">{}</span>').format(key, "\x1f".join(at),
                                                                                       self.texts[key])
        if key in self.used:
            return Markup("")
        self.used.append(key)
        return Markup('<span class="fn">{}</span>').format(self.texts[key])


class EscapeLiteralText(Extension):
    """Escape the template's literal text (the lexer's ``data`` tokens) before it is compiled: under
    autoescape Jinja emits literal text verbatim as trusted HTML; wording templates are text."""

    def filter_stream(self, stream):
        for tok in stream:
            yield Token(tok.lineno, "data", str(escape(tok.value))) if tok.type == "data" else tok


@dataclass(frozen=True)
class Call:
    """One ``Wording.render``: the section it ran in, the key, the names the template could use, the text it gave."""

    section: str
    key: str
    slots: tuple[str, ...]
    text: str


class Wording:
    """Compiled wording templates (report kind defaults, overridden by the period file).

    Every render is recorded in ``calls`` (``reportgen wording`` lists them), under ``section``: the id of the
    section being built, set by the report builder."""

    def __init__(self, templates: dict[str, str], footnotes: Footnotes, origin: dict[str, str] | None = None) -> None:
        self.env = BoundedSandbox(autoescape=True, trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=False,
                                  extensions=[EscapeLiteralText])
        self.env.filters.update(TEMPLATE_FILTERS)
        self.footnotes = footnotes
        self.env.globals["fn"] = footnotes.call
        self.templates = templates
        self.origin = origin or {}
        self.section = ""
        self.calls: list[Call] = []

    def has(self, key: str) -> bool:
        return key in self.templates

    def render(self, key: str, **context: Any) -> Markup:
        if key not in self.templates:
            raise ConfigError(f"配置错误：缺少句式模板 “{key}”。请在报告结构文件或期间文件的 wording 中定义。")
        where = self.origin.get(key, "wording")
        try:
            text = self.env.from_string(self.templates[key]).render(**context)
        except TemplateError as exc:
            names = [*context, "fn"]
            raise ConfigError(f"配置错误：{where} 中的句式模板 “{key}” 无法生成：{explain(exc, names)}。") from None
        _note_literals(self.templates[key], key, where)
        out = Markup(text.strip())
        self.calls.append(Call(self.section, key, tuple(sorted(context)), str(out)))
        return out


def _note_literals(template: str, key: str, where: str) -> None:
    """Numbers written into a wording template itself (“1万件以上的主要是……”) are printed as written: noted in
    the manifest as the template's, like the numbers an analyst types into commentary."""
    import re

    from ..provenance import Source, note

    literal = re.sub(r"\{\{.*?\}\}|\{%.*?%\}|\{#.*?#\}", " ", template, flags=re.S)
    for num in re.findall(r"\d+(?:\.\d+)?", literal):
        note(num, num, "", Source("written in the wording template", (("key", key), ("file", where))))
