"""Analysts' commentary: Markdown, optionally citing computed figures with ``{{ … }}``.

The text first goes through the bounded Jinja2 sandbox (``reportgen.sandbox``) (so that a paragraph written by an
analyst can say ``{{ s['薪酬纠纷'].peak.wan }}`` and stay true when the data changes), then
through markdown-it with raw HTML, images and links disabled: commentary can never inject
markup, script, CSS or a resource fetch into the report.
"""

from __future__ import annotations

import re
from typing import Any

from jinja2 import TemplateError
from markdown_it import MarkdownIt
from markupsafe import Markup

from ..errors import ConfigError
from ..numbers import TEMPLATE_FILTERS
from ..sandbox import BoundedSandbox, explain

_md = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})
_md.disable(["image", "link", "autolink", "html_inline", "html_block"])

# the one sandbox (reportgen/sandbox.py): bounded arithmetic, sizes and time; no include / import / extends
# the wording templates' vocabulary: {{ total|wan }}, {{ total_change|change }}, {{ subs|items }} …
_env = BoundedSandbox(autoescape=False)
_env.filters.update(TEMPLATE_FILTERS)


_CJK = "\u3000-\u303f\u4e00-\u9fff\uff00-\uffef“”‘’"
_SPACE_AFTER_CJK = re.compile(f"(?<=[{_CJK}])[ \t]+(?=[0-9A-Za-z%.])")
_SPACE_BEFORE_CJK = re.compile(f"(?<=[0-9A-Za-z%.])[ \t]+(?=[{_CJK}])")


def tidy_spacing(text: str) -> str:
    """Drop spaces between Chinese and Latin/digits ('2023 年' → '2023年'): Chinese official
    documents set no such spaces, and a justified line would stretch them."""
    return _SPACE_BEFORE_CJK.sub("", _SPACE_AFTER_CJK.sub("", text))


def render_markdown(text: str, context: dict[str, Any] | None = None, where: str = "commentary") -> Markup:
    """Markdown (with optional figure slots) → safe HTML."""
    if "{{" in text or "{%" in text or "{#" in text:
        try:
            text = _env.from_string(text).render(**(context or {}))
        except TemplateError as exc:
            raise ConfigError(f"配置错误：{where} 中引用的数据无法生成：{explain(exc, context or {})}。") from None
    return Markup(_md.render(tidy_spacing(text)))


def evaluate(expr: str, context: dict[str, Any]) -> str | None:
    """What the slot ``{{ expr }}`` prints now in ``context`` (None when it cannot be computed)."""
    try:
        return str(_env.from_string("{{ " + expr + " }}").render(**context))
    except (TemplateError, ConfigError):
        return None
