"""click's own words (Usage, Options, “Show this message and exit.”, its error messages) in Chinese.

click looks its messages up through ``gettext`` (``from gettext import gettext as _`` in each of its modules) but
ships no catalogue; ``install()`` puts a lookup in the Chinese of the rest of the CLI in place of that ``_`` and
``ngettext`` in click's modules, once, before any command runs.  A message not in the table stays as click wrote it.
"""

from __future__ import annotations

import importlib

ZH = {
    "Usage:": "用法：",
    "Options": "选项",
    "Commands": "命令",
    "Positional arguments": "参数",
    "Show this message and exit.": "显示本帮助并退出。",
    "Show the version and exit.": "显示版本并退出。",
    "%(prog)s, version %(version)s": "%(prog)s，版本 %(version)s",
    "Error: {message}": "错误：{message}",
    "Try '{command} {option}' for help.": "用 “{command} {option}” 查看帮助。",
    "No such command {name!r}.": "没有命令 “{name}”。",
    "No such option {name!r}.": "没有选项 “{name}”。",
    "Missing argument": "缺少参数",
    "Missing option": "缺少选项",
    "Missing parameter": "缺少参数",
    "Missing command.": "缺少命令。",
    "Missing {param_type}": "缺少{param_type}",
    "Missing parameter: {param_name}": "缺少参数：{param_name}",
    "Invalid value for {param_hint}: {message}": "{param_hint} 的值不对：{message}",
    "Invalid value: {message}": "值不对：{message}",
    "Option {name!r} does not take a value.": "选项 “{name}” 不带值。",
    "Aborted!": "已中止。",
    "required": "必填",
    "default: {default}": "缺省：{default}",
    "env var: {var}": "环境变量：{var}",
    "{value!r} is not a valid {number_type}.": "“{value}” 不是有效的{number_type}。",
    "{value} is not in the range {range}.": "{value} 不在范围 {range} 内。",
    "{name} {filename!r} does not exist.": "{name} “{filename}” 不存在。",
    "{name} {filename!r} is a directory.": "{name} “{filename}” 是文件夹。",
    "{name} {filename!r} is a file.": "{name} “{filename}” 是文件（应为文件夹）。",
    "{name} {filename!r} is not readable.": "{name} “{filename}” 不可读。",
    "{name} {filename!r} is not writable.": "{name} “{filename}” 不可写。",
    "file": "文件", "directory": "文件夹", "path": "路径",
    "integer": "整数",
    "Choose from:\n\t{choices}": "可选：\n\t{choices}",
    # ngettext (singular, plural) → one Chinese text
    "Got unexpected extra argument ({args})": "多余的参数：{args}",
    "Got unexpected extra arguments ({args})": "多余的参数：{args}",
    "Did you mean {possibility}?": "是否想写 {possibility}？",
    "(Did you mean one of: {possibilities}?)": "（是否想写以下之一：{possibilities}？）",
    "Option {name!r} requires an argument.": "选项 “{name}” 需要一个值。",
    "Option {name!r} requires {nargs} arguments.": "选项 “{name}” 需要 {nargs} 个值。",
    "{value!r} is not {choice}.": "“{value}” 不是 {choice}。",
    "{value!r} is not one of {choices}.": "“{value}” 不是以下之一：{choices}。",
}

MODULES = ("core", "decorators", "exceptions", "formatting", "parser", "termui", "types", "utils", "shell_completion")


def _(message: str) -> str:
    return ZH.get(message, message)


def ngettext(singular: str, plural: str, n: int) -> str:
    return ZH.get(singular if n == 1 else plural, singular if n == 1 else plural)


METAVARS = {"[OPTIONS]": "[选项]", "COMMAND [ARGS]...": "命令 [参数]...", "KIND": "报告类型", "TEXT": "文字",
            "INTEGER": "整数", "FILENAME": "文件", "PATH": "路径", "BOOLEAN": "是/否", "FLOAT": "数字", "NAME": "名称",
            "PDF": "PDF", "RUN_ID": "运行编号"}


def _words(text: str) -> str:
    for en, zh in METAVARS.items():
        text = text.replace(en, zh)
    return text


class ChineseHelpFormatter:
    """click's HelpFormatter with Chinese headings (full-width colon) and metavars."""

    @staticmethod
    def make():
        import click

        class Formatter(click.HelpFormatter):
            def write_usage(self, prog: str, args: str = "", prefix: str | None = None) -> None:
                super().write_usage(prog, _words(args), prefix)

            def write_heading(self, heading: str) -> None:
                self.write(f"{'':>{self.current_indent}}{heading}：\n")

            def write_dl(self, rows, col_max: int = 30, col_spacing: int = 2) -> None:
                """click's definition list measured in terminal columns (a Chinese character takes two), so
                that every description starts in one column and wraps within the terminal's width."""
                rows = [(_words(a), b) for a, b in rows]
                first_col = min(max((width(a) for a, _ in rows), default=0), col_max) + col_spacing
                indent = " " * self.current_indent
                for first, second in rows:
                    self.write(f"{indent}{first}")
                    if not second:
                        self.write("\n")
                        continue
                    if width(first) <= first_col - col_spacing:
                        self.write(" " * (first_col - width(first)))
                    else:
                        self.write("\n" + " " * (first_col + self.current_indent))
                    lines = wrap(second, max(self.width - first_col - self.current_indent - 2, 20))
                    self.write(lines[0] + "\n")
                    for line in lines[1:]:
                        self.write(" " * (first_col + self.current_indent) + line + "\n")
        return Formatter


def width(text: str) -> int:
    """Terminal columns of ``text``: two for a wide (CJK) character, one for the others."""
    import unicodedata

    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def wrap(text: str, columns: int) -> list[str]:
    """``text`` in lines of at most ``columns`` terminal columns: broken between Chinese characters or at a
    space, never inside a Latin word or a number, never before closing punctuation."""
    import re

    tokens = re.findall(r"[A-Za-z0-9_.\-+/<>\[\]{}=:'\"@%]+|\s+|.", " ".join(text.split()))
    lines, line = [], ""
    for tok in tokens:
        opening = tok in "（“『「《"                # kept with what follows it: never the last of a line
        if line and width(line) + width(tok) + (2 if opening else 0) > columns and not tok.isspace() \
                and tok not in "，。、；：？！）”』」》":
            lines.append(line.rstrip())
            line = ""
        if not (tok.isspace() and not line):
            line += tok
    return [*lines, line.rstrip()] if line or not lines else lines


def _in_chinese(format_message):
    """click's messages with Chinese punctuation: its ASCII quotes of a name ('--period') as “--period”, the
    full stop it adds after “Missing option '--period'” (not a message it looks up) as “。”, a missing argument
    by its Chinese metavar (缺少参数 报告类型。), and no space after a full-width mark."""
    import re

    def wrapped(self) -> str:
        text = re.sub(r"'([^'\s]+)'", r"“\1”", format_message(self))
        if m := re.fullmatch(r"(缺少\S*)(?: (.*?))?\.(?: (.*))?", text, re.S):
            hint = _words(" / ".join(h.strip("“”\"") for h in (m.group(2) or "").split(" / ")))
            text = f"{m.group(1)} {hint}。" + (m.group(3) or "") if hint else f"{m.group(1)}。" + (m.group(3) or "")
        return re.sub(r"([。？！，；：]) +", r"\1", text)
    wrapped._zh = True                  # type: ignore[attr-defined]
    return wrapped


def install() -> None:
    import click
    from click import exceptions

    click.Context.formatter_class = ChineseHelpFormatter.make()
    for cls in (exceptions.UsageError, exceptions.BadParameter, exceptions.MissingParameter, exceptions.NoSuchOption,
                exceptions.BadOptionUsage, exceptions.BadArgumentUsage):
        own = cls.__dict__.get("format_message")
        if own is not None and not getattr(own, "_zh", False):
            cls.format_message = _in_chinese(own)       # type: ignore[method-assign]
    for name in MODULES:
        module = importlib.import_module(f"click.{name}")
        if hasattr(module, "_"):
            module._ = _                     # type: ignore[attr-defined]
        if hasattr(module, "ngettext"):
            module.ngettext = ngettext       # type: ignore[attr-defined]
