"""Write analysts' text back into the period file (or the district's brief.yaml) — round trip.

The file is parsed with ruamel.yaml's round-trip loader, which knows the line and column of every
key; the edit then replaces, inserts or removes exactly the lines of the one ``commentary`` entry
and leaves every other byte of the file as the analyst wrote it — comments, key order, quoting,
flow lists and their line breaks (re-dumping the whole file, even with ruamel, reflows long flow
lists and moves comments).  The text is written as a literal block (``|``) so that Markdown line
breaks stay as typed.  Files are replaced atomically, and the result is parsed again before it is
written.
"""

from __future__ import annotations

import re
from pathlib import Path

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap

from ..errors import ConfigError
from ..render import write_atomic

FIELDS = ("replace", "before", "after")
_KEY_SAFE = re.compile(r"^[^\s#:{}\[\],&*!|>'\"%@`][^#:{}\[\],]*$")


def split_id(pid: str) -> tuple[str, str]:
    """'overview.channels.after' → ('overview.channels', 'after'); other ids replace."""
    for f in ("before", "after"):
        if pid.endswith(f".{f}"):
            return pid[: -len(f) - 1], f
    return pid, "replace"


def _parse(text: str, path: Path) -> CommentedMap:
    try:
        data = YAML().load(text)
    except Exception as exc:  # noqa: BLE001 — any parse error: say so in Chinese, change nothing
        raise ConfigError(f"配置错误：文件 {path} 无法读取，未保存（{exc.__class__.__name__}）。请先修正该文件。") from None
    if data is None:
        return CommentedMap()
    if not isinstance(data, CommentedMap):
        raise ConfigError(f"配置错误：文件 {path} 的顶层不是映射，未保存。")
    return data


def _key(k: str) -> str:
    return k if _KEY_SAFE.match(k) else '"' + k.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _literal(indent: int, field: str, text: str) -> list[str]:
    body = text.strip("\n").replace("\r\n", "\n").rstrip()
    lines = body.split("\n")
    head = "|2" if lines and lines[0].startswith(" ") else "|"
    pad = " " * (indent + 2)
    return [f"{' ' * indent}{field}: {head}"] + [pad + line if line.strip() else "" for line in lines]


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" "))


def _end(lines: list[str], start: int, col: int) -> int:
    """The line after the block of the key on line ``start`` (at column ``col``): up to the next line
    indented no deeper than the key, without the blank lines and comments that lead into what follows."""
    i = start + 1
    while i < len(lines):
        s = lines[i]
        if s.strip() and _indent(s) <= col:
            break
        i += 1
    while i - 1 > start and (not lines[i - 1].strip() or (lines[i - 1].lstrip().startswith("#")
                                                           and _indent(lines[i - 1]) <= col)):
        i -= 1
    return i


def _write(path: Path, lines: list[str]) -> None:
    text = "\n".join(lines).rstrip("\n") + "\n"
    _parse(text, path)                       # never write a file that does not parse
    write_atomic(path, text.encode("utf-8"))


def set_text(path: Path, pid: str, text: str) -> None:
    """commentary.<base>.<field> = text (Markdown), touching only those lines of the file."""
    base, field = split_id(pid)
    original = path.read_text(encoding="utf-8") if path.exists() else ""
    data = _parse(original, path)
    lines = original.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    commentary = data.get("commentary") if "commentary" in data else None
    if "commentary" not in data:
        lines += ["commentary:", f"  {_key(base)}:"] + _literal(4, field, text)
        return _write(path, lines)
    c_line, c_col = data.lc.key("commentary")
    if not isinstance(commentary, CommentedMap) or not commentary:
        # commentary: (empty) or commentary: {} — becomes a block mapping
        end = _end(lines, c_line, c_col)
        new = [f"{' ' * c_col}commentary:", f"{' ' * (c_col + 2)}{_key(base)}:"] + _literal(c_col + 4, field, text)
        lines[c_line:end] = new
        return _write(path, lines)
    if base not in commentary:
        last = list(commentary)[-1]
        k_line, k_col = commentary.lc.key(last)
        end = _end(lines, k_line, k_col)
        lines[end:end] = [f"{' ' * k_col}{_key(base)}:"] + _literal(k_col + 2, field, text)
        return _write(path, lines)
    entry = commentary[base]
    b_line, b_col = commentary.lc.key(base)
    if not isinstance(entry, CommentedMap) or not entry:
        end = _end(lines, b_line, b_col)
        lines[b_line:end] = [f"{' ' * b_col}{_key(base)}:"] + _literal(b_col + 2, field, text)
        return _write(path, lines)
    if field in entry:
        f_line, f_col = entry.lc.key(field)
        end = _end(lines, f_line, f_col)
        lines[f_line:end] = _literal(f_col, field, text)
    else:
        last = list(entry)[-1]
        l_line, l_col = entry.lc.key(last)
        end = _end(lines, l_line, l_col)
        lines[end:end] = _literal(l_col, field, text)
    _write(path, lines)


def reset(path: Path, pid: str) -> bool:
    """Remove the analyst's text for ``pid`` (back to the generated paragraph); False if there was none."""
    base, field = split_id(pid)
    if not path.exists():
        return False
    original = path.read_text(encoding="utf-8")
    data = _parse(original, path)
    commentary = data.get("commentary")
    entry = commentary.get(base) if isinstance(commentary, CommentedMap) else None
    if not isinstance(entry, CommentedMap) or field not in entry:
        return False
    lines = original.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    if len(entry) > 1:
        f_line, f_col = entry.lc.key(field)
        del lines[f_line:_end(lines, f_line, f_col)]
    elif len(commentary) > 1:
        b_line, b_col = commentary.lc.key(base)
        del lines[b_line:_end(lines, b_line, b_col)]
    else:
        c_line, c_col = data.lc.key("commentary")
        lines[c_line:_end(lines, c_line, c_col)] = [f"{' ' * c_col}commentary: {{}}"]
    _write(path, lines)
    return True
