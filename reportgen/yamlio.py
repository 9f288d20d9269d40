"""Safe YAML loading with positions.

* ``SafeLoader`` only: tags such as ``!!python/object`` are rejected, never executed.
* Duplicate keys are an error (PyYAML silently keeps the last one).
* Every value's line is kept so that config errors can say 第 N 行.
* Bounded: a file larger than ``MAX_BYTES``, nesting deeper than ``MAX_DEPTH`` (brackets or indentation,
  counted after aliases are followed), an alias that refers to itself and more than ``MAX_ALIAS_EXPANSION``
  nodes after expansion are refused with a message before anything is constructed — never a RecursionError.
* A date that does not exist (``2023-02-30``) is kept as the text it is, for the models to refuse with the
  key path and line (PyYAML raises a bare ValueError).

Every YAML file reportgen reads goes through :func:`load_yaml`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from .errors import ConfigError

MAX_ALIAS_EXPANSION = 10_000  # nodes; guards against "billion laughs" anchors
MAX_DEPTH = 64                # nested mappings / lists (the project's own files need fewer than 10)
MAX_BYTES = 4 * 1024 * 1024   # a period file with a year of commentary is well under 100 KB


class _TooDeep(Exception):
    def __init__(self, line: int) -> None:
        self.line = line


class _Recursive(Exception):
    def __init__(self, line: int, alias_line: int) -> None:
        self.line, self.alias_line = line, alias_line


class _TooMany(Exception):
    pass


@dataclass
class YamlDoc:
    path: Path
    data: Any
    lines: dict[tuple[str | int, ...], int] = field(default_factory=dict)
    # a key path of the merged data (``extends``) → the key path in this file that wrote it (``section_changes[2]``)
    aliases: dict[tuple[str | int, ...], tuple[str | int, ...]] = field(default_factory=dict)

    def line_of(self, key_path: tuple[str | int, ...]) -> int | None:
        """Line (1-based) of the deepest known prefix of ``key_path``."""
        key_path = self.written_at(key_path)
        for n in range(len(key_path), -1, -1):
            line = self.lines.get(tuple(key_path[:n]))
            if line is not None:
                return line
        return None

    def written_at(self, key_path: tuple[str | int, ...]) -> tuple[str | int, ...]:
        """``key_path`` as the file writes it: through the deepest alias of one of its prefixes."""
        for n in range(len(key_path), 0, -1):
            alias = self.aliases.get(tuple(key_path[:n]))
            if alias is not None:
                return (*alias, *key_path[n:])
        return tuple(key_path)


class _Loader(yaml.SafeLoader):
    """The composer counts its nesting: 5,000 nested brackets are refused at the 65th, not by a RecursionError."""

    _depth = 0

    def compose_node(self, parent, index):
        self._depth += 1
        try:
            if self._depth > MAX_DEPTH:
                raise _TooDeep(self.peek_event().start_mark.line + 1)
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1


def _construct_timestamp(loader: _Loader, node: yaml.ScalarNode):
    try:
        return yaml.SafeLoader.construct_yaml_timestamp(loader, node)
    except (ValueError, OverflowError):
        return loader.construct_scalar(node)      # '2023-02-30': the model names it (key path, line)


_Loader.add_constructor("tag:yaml.org,2002:timestamp", _construct_timestamp)


def _construct_mapping(loader: _Loader, node: yaml.MappingNode, deep: bool = False) -> dict:
    seen: dict[Any, yaml.Node] = {}
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=True)
        try:
            hash(key)
        except TypeError:
            raise yaml.constructor.ConstructorError(
                None, None, "键不能是列表或映射（“? [a, b]: …” 这样的写法），请用文字作键", key_node.start_mark) from None
        if key in seen:
            raise yaml.constructor.ConstructorError(
                None, None,
                f"键 “{key}” 重复（第 {seen[key].start_mark.line + 1} 行已有同名键）",
                key_node.start_mark,
            )
        seen[key] = key_node
    return yaml.SafeLoader.construct_mapping(loader, node, deep=deep)


_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def _walk(node: yaml.Node, path: tuple, lines: dict, budget: list[int], parents: tuple = ()) -> None:
    """Every key's line; refuses a node inside itself (``a: &a [*a]``), nesting beyond ``MAX_DEPTH`` once
    aliases are followed, and more than ``MAX_ALIAS_EXPANSION`` nodes."""
    budget[0] -= 1
    if budget[0] < 0:
        raise _TooMany()
    if len(parents) >= MAX_DEPTH:         # reached through aliases: the line of the top-level key it is under
        raise _TooDeep(lines.get(path[:1], node.start_mark.line + 1))
    lines.setdefault(path, node.start_mark.line + 1)
    if isinstance(node, (yaml.MappingNode, yaml.SequenceNode)):
        inner = parents + (node,)
        pairs = node.value if isinstance(node, yaml.MappingNode) else [(None, v) for v in node.value]
        for i, (k, v) in enumerate(pairs):
            if any(v is p for p in inner):
                raise _Recursive(v.start_mark.line + 1, (k or v).start_mark.line + 1)
            if k is None:
                _walk(v, path + (i,), lines, budget, inner)
            else:
                key = k.value if isinstance(k, yaml.ScalarNode) else str(k)
                lines[path + (key,)] = k.start_mark.line + 1
                _walk(v, path + (key,), lines, budget, inner)


def load_yaml(path: Path, *, display: str | None = None) -> YamlDoc:
    """Load one YAML file safely; errors name the file, line and column in Chinese."""
    shown = display or str(path)
    try:
        size = path.stat().st_size
        if size > MAX_BYTES:
            raise ConfigError(f"配置错误：文件 {shown} 有 {size // 1024} KB，超过配置文件的上限 {MAX_BYTES // 1024 // 1024} MB，"
                              "已拒绝读取。请检查是否选错了文件。")
        text = path.read_text(encoding="utf-8-sig")
    except (FileNotFoundError, NotADirectoryError):
        raise ConfigError(f"配置错误：找不到文件 {shown}。请检查路径或 --config 参数。") from None
    except IsADirectoryError:
        raise ConfigError(f"配置错误：{shown} 是文件夹，不是 YAML 文件。") from None
    except PermissionError:
        raise ConfigError(f"配置错误：没有读取文件 {shown} 的权限。") from None
    except UnicodeDecodeError as exc:
        raise ConfigError(f"配置错误：文件 {shown} 不是 UTF-8 编码（第 {exc.start} 字节）。请以 UTF-8 保存。") from None
    loader = None
    try:
        loader = _Loader(text)
        node = loader.get_single_node()
        lines: dict = {}
        if node is not None:
            _walk(node, (), lines, [MAX_ALIAS_EXPANSION])
        data = loader.construct_document(node) if node is not None else None
    except _TooMany:
        raise ConfigError(f"配置错误：文件 {shown}：YAML 引用（锚点 & 与别名 *）展开后超过 {MAX_ALIAS_EXPANSION} 个节点，"
                          "疑似恶意构造，已拒绝读取。请直接写出内容，不要层层引用。") from None
    except _TooDeep as exc:
        raise ConfigError(f"配置错误：文件 {shown} 第 {exc.line} 行：列表或映射嵌套超过 {MAX_DEPTH} 层（括号或缩进，"
                          "含锚点与别名展开后的层数），已拒绝读取。配置文件不需要这么深的嵌套，请检查括号是否配对。") from None
    except _Recursive as exc:
        raise ConfigError(f"配置错误：文件 {shown} 第 {exc.alias_line} 行：YAML 别名（*）引用了包含它自己的锚点（&），"
                          "展开后无穷无尽，已拒绝读取。请直接写出内容。") from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f"第 {mark.line + 1} 行第 {mark.column + 1} 列" if mark else "某处"
        problem = _translate(exc.problem or exc.context or str(exc))
        raise ConfigError(f"配置错误：文件 {shown} {where}：{problem}。") from None
    except yaml.reader.ReaderError as exc:
        line = text[: exc.position].count("\n") + 1
        raise ConfigError(f"配置错误：文件 {shown} 第 {line} 行：含有不允许的控制字符（U+{exc.character:04X}），"
                          "YAML 文件中只能有可打印的文字、空格、制表符和换行。") from None
    except yaml.YAMLError as exc:
        raise ConfigError(f"配置错误：文件 {shown} 不是有效的 YAML：{exc}") from None
    except RecursionError:      # not reached within the bounds above; kept so that no input gives a traceback
        raise ConfigError(f"配置错误：文件 {shown}：嵌套过深，已拒绝读取。") from None
    finally:
        if loader is not None:
            loader.dispose()
    return YamlDoc(path=path, data=data, lines=lines)


def _translate(problem: str) -> str:
    """The most common PyYAML problems in Chinese (the rest is kept as is)."""
    table = {
        "found character '\\t' that cannot start any token": "含有制表符（Tab），YAML 缩进只能用空格",
        "could not determine a constructor for the tag": "含有不允许的标签（只接受普通数据，不执行任何对象构造）",
        "mapping values are not allowed here": "此处不能出现“键: 值”，可能是缩进错误或值中含未加引号的冒号",
        "found undefined alias": "引用了未定义的锚点",
        "expected <block end>, but found": "缩进不一致",
        "found unexpected end of stream": "文件意外结束（引号或括号未闭合）",
        "expected ',' or ']', but got": "方括号列表没有正确结束（缺少 “]”，或元素之间缺少逗号）",
        "expected ',' or '}', but got": "花括号映射没有正确结束（缺少 “}”，或元素之间缺少逗号）",
        "could not find expected ':'": "缺少冒号（“键: 值” 的冒号后要有空格）",
        "did not find expected key": "缩进不一致（同一层的键应对齐）",
        "did not find expected '-' indicator": "列表项的缩进不一致",
        "found unknown escape character": "双引号字符串中含有无效的转义（反斜杠 \\）",
    }
    for en, zh in table.items():
        if problem.startswith(en):
            return zh + ("：" + problem[len(en):].strip(" '") if en.endswith("tag") else "")
    return problem
