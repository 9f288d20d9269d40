"""The one Jinja2 sandbox every analysts' template runs in: commentary, wording, captions.

``BoundedSandbox`` (an ``ImmutableSandboxedEnvironment``: no internals, no mutating methods) also bounds what a
template may compute, so that no text in a YAML file can hang or exhaust a render:

* ``**`` ``*`` ``%`` ``+`` with a result larger than ``MAX_INT_BITS`` bits or ``MAX_ITEMS`` characters / items
  are refused *before* they are computed (``{{ 9**(9**9) }}``, ``{{ 'x' * 10**9 }}``);
* widths and counts given to filters and string methods (``center(10**9)``, ``'{:>999999999}'.format``,
  ``'%0999999999d' % 1``) are at most ``MAX_WIDTH``; a string or list passed to a call, a macro or a
  ``namespace`` is at most ``MAX_ITEMS`` long;
* a render runs for at most ``TIME_LIMIT`` seconds (nested loops over ``range``);
* ``{% include %}``, ``{% import %}``, ``{% from %}`` and ``{% extends %}`` are refused (there is no loader:
  a template can never read a file).

A bound that is hit raises :class:`TemplateLimit` — a ``SecurityError`` (callers that catch Jinja's
``TemplateError`` add the file and key) and a ``ConfigError`` (anything else prints a Chinese message).
"""

from __future__ import annotations

import difflib
import math
import re
import string
import sys
import time
from contextlib import contextmanager
from functools import wraps
from collections.abc import Iterable
from typing import Any

from jinja2 import StrictUndefined, Template, TemplateSyntaxError, nodes
from jinja2.exceptions import SecurityError, TemplateError
from jinja2.ext import Extension
from jinja2.sandbox import ImmutableSandboxedEnvironment
from jinja2.utils import Namespace
from markupsafe import Markup

from .errors import ConfigError
from .numbers import TEMPLATE_FILTERS

MAX_INT_BITS = 4096        # about 1,233 decimal digits
MAX_ITEMS = 100_000        # characters of a string, items of a list
MAX_WIDTH = 10_000         # a width or count argument
TIME_LIMIT = 2.0           # seconds per render
FORBIDDEN_TAGS = ("include", "import", "from", "extends")


class TemplateLimit(SecurityError, ConfigError):
    """A template asked for more than the sandbox allows (or for a file)."""

    def __init__(self, reason: str) -> None:
        SecurityError.__init__(self, reason)
        self.reason = reason
        self.problems = [f"配置错误：模板无法生成：{reason}。"]

    def __str__(self) -> str:
        return self.reason


def _size(value: Any) -> int:
    return len(value) if isinstance(value, (str, bytes, list, tuple, dict, set, frozenset)) else 0


def _check_size(value: Any, what: str = "结果") -> Any:
    if _size(value) > MAX_ITEMS:
        raise TemplateLimit(f"{what}长度为 {_size(value)}，超过模板允许的 {MAX_ITEMS}")
    return value


def _int_bits(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int):
        return 0
    return max(value.bit_length(), 1)


def _check_power(left: Any, right: Any) -> None:
    if isinstance(left, int) and isinstance(right, int) and not isinstance(left, bool):
        if right > 0 and abs(left) > 1 and math.log2(abs(left)) * right > MAX_INT_BITS:
            raise TemplateLimit(f"乘方 {_short(left)}**{_short(right)} 的结果超过 {MAX_INT_BITS} 位二进制（约 "
                                f"{int(MAX_INT_BITS * math.log10(2))} 位十进制），不予计算")
        if right < 0 and abs(right) > MAX_WIDTH:
            raise TemplateLimit(f"乘方的指数 {_short(right)} 过大，不予计算")
    elif isinstance(right, (int, float)) and isinstance(left, (int, float)):
        if isinstance(right, int) and _int_bits(right) > 64:
            raise TemplateLimit(f"乘方的指数 {_short(right)} 过大，不予计算")


def _check_product(left: Any, right: Any) -> None:
    for seq, n in ((left, right), (right, left)):
        if _size(seq) or isinstance(seq, (str, list, tuple)):
            if isinstance(n, int) and not isinstance(n, bool) and _size(seq) * max(n, 0) > MAX_ITEMS:
                raise TemplateLimit(f"重复 {_short(n)} 次的结果长度超过模板允许的 {MAX_ITEMS}")
    if _int_bits(left) + _int_bits(right) > MAX_INT_BITS:
        raise TemplateLimit(f"乘积超过 {MAX_INT_BITS} 位二进制，不予计算")


def _short(value: Any) -> str:
    text = str(value) if not isinstance(value, int) or _int_bits(value) < 200 else f"（{value.bit_length()} 位二进制的整数）"
    return text if len(text) <= 40 else text[:37] + "…"


_SPEC_DIGITS = __import__("re").compile(r"\d+")


def _check_spec(spec: str) -> None:
    """A format spec's width and precision ('>999999999', '.5000f') within MAX_WIDTH."""
    for digits in _SPEC_DIGITS.findall(spec or ""):
        if len(digits) > 5 or int(digits) > MAX_WIDTH:
            raise TemplateLimit(f"格式中的宽度或精度 {_short(digits)} 超过模板允许的 {MAX_WIDTH}")


def _check_percent_format(fmt: str, args: Any) -> None:
    import re

    for m in re.finditer(r"%(?:\([^)]*\))?[-#0 +]*(\*|\d+)?(?:\.(\*|\d+))?", fmt):
        for part in m.groups():
            if part == "*":
                raise TemplateLimit("“%” 格式中不能用 * 给出宽度")
            if part:
                _check_spec(part)


def _check_call_args(obj: Any, args: tuple, kwargs: dict) -> None:
    for a in (*args, *kwargs.values()):
        _check_size(a, "传给函数的参数")
    name = getattr(obj, "__name__", "")
    owner = getattr(obj, "__self__", None)
    if isinstance(owner, str):
        widths = [a for a in (*args, *kwargs.values()) if isinstance(a, int) and not isinstance(a, bool)]
        if name in ("center", "ljust", "rjust", "zfill", "expandtabs") and any(w > MAX_WIDTH for w in widths):
            raise TemplateLimit(f"字符串的 {name} 宽度 {_short(max(widths))} 超过模板允许的 {MAX_WIDTH}")
        if name == "replace" and len(args) >= 2 and isinstance(args[1], str) \
                and (len(owner) + 1) * max(len(args[1]), 1) > MAX_ITEMS:
            raise TemplateLimit(f"replace 的结果可能超过模板允许的 {MAX_ITEMS} 个字符")
        if name == "join" and args and (len(owner) + 1) * _size(args[0]) > MAX_ITEMS:
            raise TemplateLimit(f"join 的结果可能超过模板允许的 {MAX_ITEMS} 个字符")


_WIDTH_FILTERS = {"do_center", "do_indent", "do_wordwrap", "do_truncate", "do_batch", "do_slice", "do_round",
                  "do_replace", "do_filesizeformat", "do_truncate_words", "do_urlize"}


def _bounded_filter(func):
    """A filter whose width / count arguments (after the value) and result are bounded."""

    @wraps(func)
    def bounded(*args, **kwargs):
        skip = 1 + (1 if getattr(func, "jinja_pass_arg", None) is not None else 0)   # the context/env, the value
        for a in (*args[skip:], *kwargs.values()):
            if func.__name__ in _WIDTH_FILTERS and isinstance(a, int) and not isinstance(a, bool) and abs(a) > MAX_WIDTH:
                raise TemplateLimit(f"过滤器 {func.__name__} 的参数 {_short(a)} 超过模板允许的 {MAX_WIDTH}")
            _check_size(a, f"过滤器 {func.__name__} 的参数")
        if func.__name__ == "do_format" and len(args) >= skip and isinstance(args[skip - 1], str):
            _check_percent_format(args[skip - 1], args[skip:])
        if func.__name__ == "do_replace" and len(args) >= skip + 2:
            value, new = args[skip - 1], args[skip + 1]
            if (_size(str(value)) + 1) * max(_size(str(new)), 1) > MAX_ITEMS:
                raise TemplateLimit(f"replace 的结果可能超过模板允许的 {MAX_ITEMS} 个字符")
        return _check_size(func(*args, **kwargs), f"过滤器 {func.__name__} 的结果")

    return bounded


class BoundedNamespace(Namespace):
    """``namespace()`` whose attributes cannot grow without bound ({% set ns.a = ns.a ~ ns.a %} in a loop)."""

    def __setitem__(self, name: str, value: Any) -> None:
        _check_size(value, f"namespace 的 {name} ")
        super().__setitem__(name, value)


class NoFileTags(Extension):
    """Refuse {% include %}, {% import %}, {% from %} and {% extends %} while the template is parsed."""

    def filter_stream(self, stream):
        after_block = False
        for tok in stream:
            if after_block and tok.type == "name" and tok.value in FORBIDDEN_TAGS:
                raise TemplateSyntaxError(
                    f"不允许使用 {{% {tok.value} %}}：分析人员的文字与句式模板不能引用其他文件或模板",
                    tok.lineno, stream.name, stream.filename)
            after_block = tok.type == "block_begin"
            yield tok


@contextmanager
def deadline(seconds: float):
    """Stop template code (frames compiled from a template) that runs longer than ``seconds``."""
    if getattr(_state, "active", False):       # a render inside a render: the outer deadline holds
        yield
        return
    end = time.monotonic() + seconds
    previous = sys.gettrace()

    def local(frame, event, arg):
        if event == "line" and time.monotonic() > end:
            raise TemplateLimit(f"计算超过 {seconds:g} 秒，已停止（循环过多？）")
        return local

    def tracer(frame, event, arg):
        if frame.f_code.co_filename == "<template>":
            return local(frame, event, arg)
        return None

    _state.active = True
    sys.settrace(tracer)
    try:
        yield
    finally:
        sys.settrace(previous)
        _state.active = False


class _State(__import__("threading").local):
    active = False


_state = _State()


class BoundedTemplate(Template):
    def render(self, *args: Any, **kwargs: Any) -> str:
        limit = getattr(self.environment, "time_limit", TIME_LIMIT)
        with deadline(limit):
            try:
                return _check_size(super().render(*args, **kwargs), "生成的文字")
            except (TemplateError, ConfigError):
                raise
            except RecursionError:
                raise TemplateLimit("宏或表达式递归过深") from None
            except MemoryError:
                raise TemplateLimit("所需内存过多") from None
            except Exception as exc:     # the analyst's expression failed: 1/0, 2.0**5000, int('x')
                raise TemplateLimit(_runtime_reason(exc)) from None


def _runtime_reason(exc: Exception) -> str:
    words = {ZeroDivisionError: "除数为零", OverflowError: "数值溢出", TypeError: "类型不符", ValueError: "取值不对",
             KeyError: "没有这个键", IndexError: "下标超出范围", AttributeError: "没有这个属性"}
    kind = next((w for t, w in words.items() if isinstance(exc, t)), type(exc).__name__)
    return f"表达式计算出错（{kind}：{exc}）"


def _refuse_loading(name: str):
    raise TemplateLimit(f"不允许引用其他模板或文件（“{name}”）")


class BoundedSandbox(ImmutableSandboxedEnvironment):
    """See the module docstring."""

    template_class = BoundedTemplate
    intercepted_binops = frozenset(["**", "*", "%", "+"])
    time_limit = TIME_LIMIT

    def __init__(self, **options: Any) -> None:
        extensions = [*options.pop("extensions", ()), NoFileTags]
        options.setdefault("undefined", StrictUndefined)
        super().__init__(extensions=extensions, **options)
        self.globals["namespace"] = BoundedNamespace
        self.filters = _FilterTable(self.filters)

    def _load_template(self, name, globals):  # noqa: D401  (no loader: never a file)
        _refuse_loading(str(name))

    def call_binop(self, context, operator: str, left: Any, right: Any) -> Any:
        if operator == "**":
            _check_power(left, right)
        elif operator == "*":
            _check_product(left, right)
        elif operator == "%" and isinstance(left, str):
            _check_percent_format(left, right)
        result = super().call_binop(context, operator, left, right)
        if isinstance(result, int) and _int_bits(result) > MAX_INT_BITS:
            raise TemplateLimit(f"结果超过 {MAX_INT_BITS} 位二进制，不予计算")
        return _check_size(result)

    def call(__self, __context, __obj, *args: Any, **kwargs: Any) -> Any:  # noqa: N805  (Jinja's signature)
        _check_call_args(__obj, args, kwargs)
        return _check_size(super().call(__context, __obj, *args, **kwargs))

    def wrap_str_format(self, value: Any):
        wrapped = super().wrap_str_format(value)
        if wrapped is None:
            return None
        fmt = value.__self__

        def bounded(*args: Any, **kwargs: Any) -> str:
            _check_format_method(fmt)
            return _check_size(wrapped(*args, **kwargs))

        return bounded


def _check_format_method(fmt: str) -> None:
    """``'{:>999999999}'.format(…)``: widths and precisions of ``str.format`` within MAX_WIDTH, none nested."""
    try:
        fields = list(string.Formatter().parse(str(fmt)))
    except ValueError:
        return                                   # str.format itself raises the same error
    for _, _, spec, _ in fields:
        if spec and "{" in spec:
            raise TemplateLimit("格式中不能嵌套 {…} 给出宽度")
        _check_spec(spec or "")


class _FilterTable(dict):
    """``env.filters``: every filter, built-in or added later (``filters.update``), is bounded."""

    def __init__(self, filters: dict) -> None:
        super().__init__()
        self.update(filters)

    def __setitem__(self, name: str, func) -> None:
        super().__setitem__(name, _bounded_filter(func))

    def update(self, *args: Any, **kwargs: Any) -> None:
        for name, func in dict(*args, **kwargs).items():
            self[name] = func


_checker = BoundedSandbox()
_checker.filters.update(TEMPLATE_FILTERS)


def _guess(name: str, known: Iterable[str]) -> str:
    near = difflib.get_close_matches(name, sorted(set(known)), n=3, cutoff=0.7)
    return "，是否想写 " + "、".join(f"“{n}”" for n in near) + "？" if near else "。"


def _listed(names: Iterable[str], limit: int = 40) -> str:
    names = sorted(set(names))
    return "、".join(names[:limit]) + (f" 等 {len(names)} 个" if len(names) > limit else "")


def explain(exc: Exception, names: Iterable[str] = (), filters: Iterable[str] | None = None) -> str:
    """A template's error in the analysts' words: an unknown filter or name with the nearest known ones
    (``names``: the slots the paragraph has; ``filters``: the filters of the vocabulary), a missing key or
    attribute of a slot, or the sandbox's own reason."""
    filters = TEMPLATE_FILTERS if filters is None else filters
    text = getattr(exc, "message", None) or str(exc)
    if m := re.match(r"No filter named '([^']*)'", text):
        return f"没有名为 “{m[1]}” 的过滤器{_guess(m[1], filters)}可用的过滤器：{_listed(filters)}"
    if m := re.match(r"'([^']*)' is undefined", text):
        names = list(names)
        return f"没有名为 “{m[1]}” 的数据{_guess(m[1], names)}本段可用的名称：{_listed(names)}"
    if m := re.match(r"'(.*)' has no (?:attribute|element) '?([^']*?)'?$", text):
        return f"数据中没有 “{m[2]}” 这一项"
    return text


def template_problem(source: str, *, wording: bool = False) -> str | None:
    """Why ``source`` cannot be a template (syntax, a refused tag, a filter outside the vocabulary), in
    Chinese; None when it compiles."""
    if not isinstance(source, str) or ("{" not in source):
        return None
    try:
        tree = _checker.parse(source)
        unknown = [f.name for f in tree.find_all(nodes.Filter) if f.name not in _checker.filters]
        if unknown:
            return f"模板中{explain(TemplateError(f'No filter named {unknown[0]!r}.'))}"
    except TemplateSyntaxError as exc:
        detail = exc.message or ""
        where = f"模板第 {exc.lineno} 行" if source.count("\n") else "模板"
        if detail.startswith("不允许"):
            return f"{where}中{detail}"
        return f"{where}的 Jinja 语法有误（{detail}）；引用数据写作 {{{{ … }}}}，原文中的花括号请写作 {{{{ '{{' }}}}"
    except TemplateError as exc:
        return f"模板无法编译：{exc}"
    return None


__all__ = ["BoundedSandbox", "Markup", "TemplateLimit", "deadline", "explain", "template_problem"]
