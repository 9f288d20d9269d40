"""The WeasyPrint internals reportgen patches, checked before any patch is applied.

Inter-character justification (:mod:`.cjk_justify`) and deferred chart placement (:mod:`.floats`) replace
functions inside WeasyPrint.  They were written against WeasyPrint 70: each patch first asks
:func:`compatible` whether the installed WeasyPrint is a supported version and each function it replaces
has the signature it expects; otherwise it leaves WeasyPrint alone, and :func:`problems` says why, so
that ``--strict`` can refuse to print a report whose lines would be ragged or whose charts would leave
part-empty pages.  ``pyproject.toml`` bounds WeasyPrint to the same versions.
"""

from __future__ import annotations

import inspect
from importlib import import_module
from typing import Any

SUPPORTED = ("70.",)

# (module, attribute path, parameter names) of every internal a patch replaces or calls
EXPECTED: dict[str, list[tuple[str, str, tuple[str, ...] | None]]] = {
    "cjk_justify": [("weasyprint.layout.inline", "count_expandable_spaces", ("box",)),
                    ("weasyprint.layout.inline", "add_word_spacing", None),
                    ("weasyprint.text.line_break", "Layout.set_text", ("self", "text", "justify")),
                    ("weasyprint.text.line_break", "TO_UNITS", None)],
    "floats": [("weasyprint.layout.page", "make_page",
                ("context", "root_box", "page_type", "resume_at", "page_number", "page_state")),
               ("weasyprint.layout.page", "remake_page", None)],
    "lines": [("weasyprint.text.line_break", "can_break_text", ("text", "lang"))],
}

_problems: dict[str, str] = {}


def _check(patch: str) -> str | None:
    try:
        import weasyprint
    except ImportError:
        return "未安装 WeasyPrint"
    if not weasyprint.__version__.startswith(SUPPORTED):
        return f"WeasyPrint {weasyprint.__version__} 不在支持的版本（{'、'.join(v + 'x' for v in SUPPORTED)}）之内"
    for module, path, params in EXPECTED[patch]:
        obj: Any
        try:
            obj = import_module(module)
            for part in path.split("."):
                obj = getattr(obj, part)
        except (ImportError, AttributeError):
            return f"WeasyPrint {weasyprint.__version__} 中没有 {module}.{path}"
        if params is not None:
            try:
                got = tuple(inspect.signature(obj).parameters)
            except (TypeError, ValueError):
                return f"无法读取 {module}.{path} 的参数"
            if got != params:
                return f"{module}.{path} 的参数为 ({', '.join(got)})，应为 ({', '.join(params)})"
    return None


def compatible(patch: str) -> bool:
    """Whether ``patch`` (a key of :data:`EXPECTED`) may be applied; the reason is kept when not."""
    why = _check(patch)
    if why is None:
        _problems.pop(patch, None)
        return True
    _problems[patch] = why
    return False


def problems() -> dict[str, str]:
    """The patches that could not be applied and why."""
    return dict(_problems)
