"""Write analysts' text back into the period file (or the district's brief.yaml) — round trip.

The file is parsed with ruamel.yaml's round-trip loader, which knows the line and column of every
key; the edit then replaces, inserts or removes exactly the lines of the one ``commentary`` entry
and leaves every other byte of the file as the analyst wrote it — comments, key order, quoting,
flow lists and their line breaks (re-dumping the whole file, even with ruamel, reflows long flow
lists and moves comments).  The text is written as a literal block (``|``) so that Markdown line
breaks stay as typed.  Files are replaced atomically, and the result is parsed again before it is
written.

What is written reads back exactly: line ends are normalised (``\r\n`` and a lone ``\r`` become
``\n``), any other control character (or a character YAML reads as a line break, U+0085, U+2028,
U+2029) is refused with a message naming it, and the new file is compared with the old one, before
and again after writing: apart from the one commentary entry it must hold the same data, and that
entry must read back as the text saved — else the previous bytes are put back and the save fails.
Edits of one file are serialised (a lock in the process and ``flock`` on the file's folder across
processes), so concurrent saves of different paragraphs are never lost.  A missing period file is
not created (``create=False``); a district's brief.yaml may be.
"""

from __future__ import annotations

import contextlib
import copy
import os
import re
import threading
import unicodedata
from pathlib import Path

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap

from ..errors import ConfigError
from ..render import write_atomic

FIELDS = ("replace", "before", "after")
_KEY_SAFE = re.compile(r"^[^\s#:{}\[\],&*!|>'\"%@`][^#:{}\[\],]*$")
_C0 = ("NUL SOH STX ETX EOT ENQ ACK BEL BS HT LF VT FF CR SO SI DLE DC1 DC2 DC3 DC4 NAK SYN ETB CAN EM SUB ESC "
       "FS GS RS US").split()
_NAMES = {0x7F: "DEL，删除符", 0x85: "NEL，下一行", 0x2028: "行分隔符", 0x2029: "段分隔符", 0xFEFF: "BOM，零宽不换行空格",
          0xFFFE: "非字符", 0xFFFF: "非字符"}


class TextRefused(ConfigError):
    """The text holds a character that cannot be saved (the request is at fault: HTTP 400)."""


_LOCKS: dict[Path, threading.Lock] = {}
_LOCKS_GUARD = threading.Lock()


def clean_text(text: str) -> str:
    """The text as it is stored: line ends normalised to ``\n``; any other control character refused
    (ConfigError naming the character and where it is)."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    for i, ch in enumerate(text):
        cp = ord(ch)
        if ch in "\n\t":
            continue
        cat = unicodedata.category(ch)
        if cat in ("Cc", "Cs", "Zl", "Zp") or cp in _NAMES:
            if cp < 0x20:
                name = f"{_C0[cp]}，控制字符"
            elif cat == "Cs":
                name = "代理码位，不是完整的字符"
            else:
                name = _NAMES.get(cp, "控制字符")
            line = text.count("\n", 0, i) + 1
            col = i - (text.rfind("\n", 0, i) + 1) + 1
            raise TextRefused(f"文字中含有无法保存的字符 U+{cp:04X}（{name}），在第 {line} 行第 {col} 个字符处，未保存。"
                              "请删除该字符后再保存（多由复制粘贴带入）。")
    return text


def stored_value(text: str) -> str:
    """What the literal block written for ``text`` reads back as (``text`` already cleaned)."""
    return "\n".join(line if line.strip() else "" for line in text.strip("\n").rstrip().split("\n")) + "\n"


@contextlib.contextmanager
def locked(path: Path):
    """One read-modify-write of ``path`` at a time: a lock per file in this process, and ``flock`` on the
    file's folder against another process (no lock file is left in the analysts' folder)."""
    key = path.resolve()
    with _LOCKS_GUARD:
        lock = _LOCKS.setdefault(key, threading.Lock())
    with lock:
        fd = None
        try:
            import fcntl

            fd = os.open(key.parent, os.O_RDONLY)
            fcntl.flock(fd, fcntl.LOCK_EX)
        except (ImportError, OSError):
            fd = None                       # no flock here (or no folder yet): the in-process lock still holds
        try:
            yield
        finally:
            if fd is not None:
                os.close(fd)                # closing releases the flock


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


def _text(lines: list[str]) -> str:
    return "\n".join(lines).rstrip("\n") + "\n"


def _plain(x):
    """Parsed YAML as plain Python values, to compare two parses of a file."""
    if isinstance(x, dict):
        return {_plain(k): _plain(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [_plain(v) for v in x]
    if x is None or isinstance(x, (str, int, float, bool)):
        return x
    if hasattr(x, "value") and hasattr(x, "tag"):          # a tagged scalar
        return ("tagged", str(getattr(x.tag, "value", x.tag)), _plain(x.value))
    return x


def _expect_set(old: dict, base: str, field: str, value: str) -> dict:
    new = copy.deepcopy(old)
    commentary = new.get("commentary")
    if not isinstance(commentary, dict) or not commentary:
        commentary = {}
    entry = commentary.get(base)
    if not isinstance(entry, dict) or not entry:
        entry = {}
    entry[field] = value
    commentary[base] = entry
    new["commentary"] = commentary
    return new


def _expect_reset(old: dict, base: str, field: str) -> dict:
    new = copy.deepcopy(old)
    commentary = new["commentary"]
    del commentary[base][field]
    if not commentary[base]:
        del commentary[base]
    return new


def _commit(path: Path, before: bytes | None, lines: list[str], expected: dict, pid: str) -> None:
    """Write ``lines`` if — and only if — the file then holds ``expected``; check again on disk after
    writing and put the previous bytes back if it does not."""
    text = _text(lines)
    what = f"配置错误：文件 {path} 中段落 “{pid}” 的修改"
    if _plain(_parse(text, path)) != expected:
        raise ConfigError(f"{what}会改变该段落以外的内容（或读回的文字与保存的不同），未保存。请检查该文件的格式后再试。")
    write_atomic(path, text.encode("utf-8"))
    try:
        ok = _plain(_parse(path.read_bytes().decode("utf-8"), path)) == expected
    except (ConfigError, OSError, UnicodeDecodeError):
        ok = False
    if not ok:
        if before is None:
            path.unlink(missing_ok=True)
        else:
            write_atomic(path, before)
        raise ConfigError(f"{what}写入后核对不符（文件在保存时被别的程序改动？），已恢复原文件，未保存。请重新保存。")


def _read(path: Path, create: bool) -> bytes | None:
    if path.exists():
        return path.read_bytes()
    if not create:
        raise ConfigError(f"配置错误：文件 {path} 不存在（已被移走、改名或删除？），未保存。请恢复该文件后再保存；"
                          "不会新建一个只含这段文字的文件。")
    return None


def set_text(path: Path, pid: str, text: str, create: bool = True) -> None:
    """commentary.<base>.<field> = text (Markdown), touching only those lines of the file.  ``create``:
    a missing file may be created (a district's brief.yaml), else the save fails."""
    base, field = split_id(pid)
    text = clean_text(text)
    with locked(path):
        before = _read(path, create)
        try:
            original = before.decode("utf-8") if before is not None else ""
        except UnicodeDecodeError:
            raise ConfigError(f"配置错误：文件 {path} 不是 UTF-8 编码，未保存。请先修正该文件。") from None
        data = _parse(original, path)
        expected = _expect_set(_plain(data), base, field, stored_value(text))
        _commit(path, before, _set_lines(original, data, base, field, text), expected, pid)


def _set_lines(original: str, data: CommentedMap, base: str, field: str, text: str) -> list[str]:
    lines = original.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    commentary = data.get("commentary") if "commentary" in data else None
    if "commentary" not in data:
        return lines + ["commentary:", f"  {_key(base)}:"] + _literal(4, field, text)
    c_line, c_col = data.lc.key("commentary")
    if not isinstance(commentary, CommentedMap) or not commentary:
        # commentary: (empty) or commentary: {} — becomes a block mapping
        end = _end(lines, c_line, c_col)
        new = [f"{' ' * c_col}commentary:", f"{' ' * (c_col + 2)}{_key(base)}:"] + _literal(c_col + 4, field, text)
        lines[c_line:end] = new
        return lines
    if base not in commentary:
        last = list(commentary)[-1]
        k_line, k_col = commentary.lc.key(last)
        end = _end(lines, k_line, k_col)
        lines[end:end] = [f"{' ' * k_col}{_key(base)}:"] + _literal(k_col + 2, field, text)
        return lines
    entry = commentary[base]
    b_line, b_col = commentary.lc.key(base)
    if not isinstance(entry, CommentedMap) or not entry:
        end = _end(lines, b_line, b_col)
        lines[b_line:end] = [f"{' ' * b_col}{_key(base)}:"] + _literal(b_col + 2, field, text)
        return lines
    if field in entry:
        f_line, f_col = entry.lc.key(field)
        end = _end(lines, f_line, f_col)
        lines[f_line:end] = _literal(f_col, field, text)
    else:
        last = list(entry)[-1]
        l_line, l_col = entry.lc.key(last)
        end = _end(lines, l_line, l_col)
        lines[end:end] = _literal(l_col, field, text)
    return lines


def reset(path: Path, pid: str) -> bool:
    """Remove the analyst's text for ``pid`` (back to the generated paragraph); False if there was none."""
    base, field = split_id(pid)
    with locked(path):
        if not path.exists():
            return False
        before = path.read_bytes()
        try:
            original = before.decode("utf-8")
        except UnicodeDecodeError:
            raise ConfigError(f"配置错误：文件 {path} 不是 UTF-8 编码，未保存。请先修正该文件。") from None
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
        _commit(path, before, lines, _expect_reset(_plain(data), base, field), pid)
        return True
