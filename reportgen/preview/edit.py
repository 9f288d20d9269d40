"""Write analysts' text back into the period file (or the district's brief.yaml) — round trip.

ruamel.yaml's round-trip mode keeps the file as the analyst wrote it: comments, key order, quoting
and block styles survive; only the one entry changes.  The text is written as a literal block
(``|``) so that Markdown line breaks stay as typed.  Files are replaced atomically.
"""

from __future__ import annotations

import io
from pathlib import Path

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap
from ruamel.yaml.scalarstring import LiteralScalarString

from ..errors import ConfigError
from ..render import write_atomic

FIELDS = ("replace", "before", "after")


def _yaml() -> YAML:
    y = YAML()
    y.preserve_quotes = True
    y.width = 4096            # never fold a long Chinese line
    y.indent(mapping=2, sequence=4, offset=2)
    return y


def split_id(pid: str) -> tuple[str, str]:
    """'overview.channels.after' → ('overview.channels', 'after'); other ids replace."""
    for f in ("before", "after"):
        if pid.endswith(f".{f}"):
            return pid[: -len(f) - 1], f
    return pid, "replace"


def _load(path: Path) -> tuple[YAML, CommentedMap]:
    y = _yaml()
    if not path.exists():
        return y, CommentedMap()
    try:
        data = y.load(path.read_text(encoding="utf-8"))
    except Exception as exc:  # noqa: BLE001 — any parse error: say so in Chinese, change nothing
        raise ConfigError(f"配置错误：文件 {path} 无法读取，未保存（{exc.__class__.__name__}）。请先修正该文件。") from None
    if data is None:
        data = CommentedMap()
    if not isinstance(data, CommentedMap):
        raise ConfigError(f"配置错误：文件 {path} 的顶层不是映射，未保存。")
    return y, data


def _dump(y: YAML, data: CommentedMap, path: Path) -> None:
    buf = io.StringIO()
    y.dump(data, buf)
    write_atomic(path, buf.getvalue().encode("utf-8"))


def set_text(path: Path, pid: str, text: str) -> None:
    """commentary.<base>.<field> = text (Markdown)."""
    base, field = split_id(pid)
    y, data = _load(path)
    commentary = data.get("commentary")
    if not isinstance(commentary, CommentedMap):
        commentary = CommentedMap()
        data["commentary"] = commentary
    entry = commentary.get(base)
    if not isinstance(entry, CommentedMap):
        entry = CommentedMap()
        commentary[base] = entry
    entry[field] = LiteralScalarString(text.strip().replace("\r\n", "\n") + "\n")
    _dump(y, data, path)


def reset(path: Path, pid: str) -> bool:
    """Remove the analyst's text for ``pid`` (back to the generated paragraph); False if there was none."""
    base, field = split_id(pid)
    y, data = _load(path)
    commentary = data.get("commentary")
    entry = commentary.get(base) if isinstance(commentary, CommentedMap) else None
    if not isinstance(entry, CommentedMap) or field not in entry:
        return False
    del entry[field]
    if not entry:
        del commentary[base]
    _dump(y, data, path)
    return True
