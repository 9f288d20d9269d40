"""Safe YAML loading with positions.

* ``SafeLoader`` only: tags such as ``!!python/object`` are rejected, never executed.
* Duplicate keys are an error (PyYAML silently keeps the last one).
* Every value's line is kept so that config errors can say 第 N 行.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from .errors import ConfigError

MAX_ALIAS_EXPANSION = 10_000  # nodes; guards against "billion laughs" anchors


@dataclass
class YamlDoc:
    path: Path
    data: Any
    lines: dict[tuple[str | int, ...], int] = field(default_factory=dict)

    def line_of(self, key_path: tuple[str | int, ...]) -> int | None:
        """Line (1-based) of the deepest known prefix of ``key_path``."""
        for n in range(len(key_path), -1, -1):
            line = self.lines.get(tuple(key_path[:n]))
            if line is not None:
                return line
        return None


class _Loader(yaml.SafeLoader):
    pass


def _construct_mapping(loader: _Loader, node: yaml.MappingNode, deep: bool = False) -> dict:
    seen: dict[Any, yaml.Node] = {}
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=True)
        if key in seen:
            raise yaml.constructor.ConstructorError(
                None, None,
                f"键 “{key}” 重复（第 {seen[key].start_mark.line + 1} 行已有同名键）",
                key_node.start_mark,
            )
        seen[key] = key_node
    return yaml.SafeLoader.construct_mapping(loader, node, deep=deep)


_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def _walk(node: yaml.Node, path: tuple, lines: dict, budget: list[int]) -> None:
    budget[0] -= 1
    if budget[0] < 0:
        raise ConfigError("YAML 引用（锚点 & 与别名 *）展开过多，疑似恶意构造")   # the caller adds the file
    lines.setdefault(path, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        for k, v in node.value:
            key = k.value if isinstance(k, yaml.ScalarNode) else str(k)
            lines[path + (key,)] = k.start_mark.line + 1
            _walk(v, path + (key,), lines, budget)
    elif isinstance(node, yaml.SequenceNode):
        for i, v in enumerate(node.value):
            _walk(v, path + (i,), lines, budget)


def load_yaml(path: Path, *, display: str | None = None) -> YamlDoc:
    """Load one YAML file safely; errors name the file, line and column in Chinese."""
    shown = display or str(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise ConfigError(f"配置错误：找不到文件 {shown}。请检查路径或 --config 参数。") from None
    except UnicodeDecodeError as exc:
        raise ConfigError(f"配置错误：文件 {shown} 不是 UTF-8 编码（第 {exc.start} 字节）。请以 UTF-8 保存。") from None
    try:
        node = yaml.compose(text, Loader=_Loader)
        lines: dict = {}
        if node is not None:
            try:
                _walk(node, (), lines, [MAX_ALIAS_EXPANSION])
            except ConfigError:
                raise ConfigError(f"配置错误：文件 {shown}：YAML 引用（锚点 & 与别名 *）展开后超过 {MAX_ALIAS_EXPANSION} 个节点，"
                                  "疑似恶意构造，已拒绝读取。请直接写出内容，不要层层引用。") from None
        data = yaml.load(text, Loader=_Loader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f"第 {mark.line + 1} 行第 {mark.column + 1} 列" if mark else "某处"
        problem = _translate(exc.problem or exc.context or str(exc))
        raise ConfigError(f"配置错误：文件 {shown} {where}：{problem}。") from None
    except yaml.YAMLError as exc:
        raise ConfigError(f"配置错误：文件 {shown} 不是有效的 YAML：{exc}") from None
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
