"""Section parameters: each section type's pydantic model, validated once when the configuration is loaded.

The section types live in ``reportgen/reports/`` (a later stage); they register their parameter models here
(``register_params``, done by ``reports.build.section(..., params=Model)``), so the config layer validates
them without importing the reports.  The structure's ``params`` of a section and the period file's
``sections.<id>`` (which override it key by key) are merged and validated through the model; a problem is
reported in the file its key came from, with its key path and the likely key, as every other config error.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, ValidationError

from ..errors import ConfigError
from ..yamlio import YamlDoc
from .models import PeriodFile, ReportKind, SectionSpec


class SectionParams(BaseModel):
    """Base of every section type's parameters: unknown keys refused, frozen once validated."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class NoParams(SectionParams):
    """这种章节类型没有参数（写任何键都会报错）。"""


def column_type(columns: Mapping[str, Any]) -> Any:
    """The type of one column name of a table section: a key of ``columns`` (column → default header), checked
    item by item so that a misspelt name is reported at its own key path with the likely name."""
    def check(value: str) -> str:
        if value not in columns:
            guess = difflib.get_close_matches(value, list(columns), n=1, cutoff=0.5)
            raise ValueError(f"列 “{value}” 未知" + (f"，是否想写 “{guess[0]}”？" if guess else "。")
                             + f"可用的列：{'、'.join(columns)}")
        return value
    return Annotated[str, AfterValidator(check)]


def distinct(values: list[str]) -> list[str]:
    """A list of columns names each column once."""
    twice = [c for i, c in enumerate(values) if c in values[:i]]
    if twice:
        raise ValueError(f"列 “{twice[0]}” 写了两次")
    return values


# section type → its parameter model (filled by the section types when ``reportgen.reports`` is imported)
SECTION_PARAMS: dict[str, type[SectionParams]] = {}


def register_params(type_name: str, model: type[SectionParams]) -> None:
    SECTION_PARAMS[type_name] = model


def walk(specs: list[SectionSpec], prefix: tuple = ("sections",)) -> Iterator[tuple[SectionSpec, tuple]]:
    """Every section of a structure with its key path in the structure file (``sections[3].children[0]``)."""
    for i, s in enumerate(specs):
        loc = (*prefix, i)
        yield s, loc
        yield from walk(s.children, (*loc, "children"))


def validate_sections(kind: ReportKind, kind_path: Path, kind_doc: YamlDoc, period_file: PeriodFile,
                      period_path: Path, period_doc: YamlDoc,
                      models: Mapping[str, type[SectionParams]]) -> dict[str, SectionParams]:
    """Section id → its validated parameters; every problem of every section in one ConfigError."""
    from .load import _key_path, display_path, validation_problems

    kind_shown, period_shown = display_path(kind_path), display_path(period_path)
    problems: list[str] = []
    out: dict[str, SectionParams] = {}
    seen: dict[str, tuple] = {}
    for spec, loc in walk(kind.sections):
        if spec.id in seen:
            line = kind_doc.line_of((*loc, "id"))
            problems.append(f"配置错误：文件 {kind_shown}" + (f" 第 {line} 行" if line else "") +
                            f"，键 {_key_path((*loc, 'id'))}：章节编号 “{spec.id}” 已在 {_key_path(seen[spec.id])} 用过。"
                            "每个章节的编号应唯一。")
            continue
        seen[spec.id] = loc
        model = models.get(spec.type)
        if model is None:
            line = kind_doc.line_of((*loc, "type"))
            guess = difflib.get_close_matches(spec.type, list(models), n=1, cutoff=0.5)
            problems.append(f"配置错误：文件 {kind_shown}" + (f" 第 {line} 行" if line else "") +
                            f"，键 {_key_path((*loc, 'type'))}：章节 {spec.id} 的类型 “{spec.type}” 未知" +
                            (f"，是否想写 “{guess[0]}”？" if guess else "。") + f"可用的类型：{'、'.join(sorted(models))}。")
            continue
        override = period_file.sections.get(spec.id, {})
        try:
            out[spec.id] = model.model_validate({**spec.params, **override})
        except ValidationError as exc:
            errors = exc.errors()
            # a key the period file gives is its problem there; every other one is the structure file's
            theirs = [e for e in errors if e["loc"] and e["loc"][0] in override]
            ours = [e for e in errors if not (e["loc"] and e["loc"][0] in override)]
            found = []
            if ours:
                found += validation_problems(ours, kind_doc, model, kind_shown, prefix=(*loc, "params"))
            if theirs:
                found += validation_problems(theirs, period_doc, model, period_shown, prefix=("sections", spec.id))
            if not model.model_fields:          # nothing to suggest: say that the type takes no parameters
                found = [f[:-1] + f"（章节类型 {spec.type} 没有参数）。" if f.endswith("”。") else f for f in found]
            problems += found
    if problems:
        raise ConfigError(problems[0], problems)
    return out


def unknown_section_ids(kind: ReportKind, period_file: PeriodFile, period_path: Path) -> None:
    """``sections.<id>`` of the period file must name a section of the structure."""
    from .load import display_path

    known = {s.id for s, _ in walk(kind.sections)}
    unknown = sorted(set(period_file.sections) - known)
    if unknown:
        raise ConfigError(f"配置错误：文件 {display_path(period_path)}，键 sections.{unknown[0]}：报告中没有编号为 "
                          f"“{unknown[0]}” 的章节。可用的编号：{'、'.join(sorted(known))}。")


def sections_schema(models: Mapping[str, type[SectionParams]]) -> dict[str, Any]:
    """One JSON Schema with a definition per section type (its parameters, defaults and descriptions)."""
    defs: dict[str, Any] = {}
    types: dict[str, Any] = {}
    for name in sorted(models):
        schema = models[name].model_json_schema(by_alias=True, ref_template="#/$defs/{model}")
        defs.update(schema.pop("$defs", {}))
        if not schema.get("description"):
            schema["description"] = f"章节类型 {name} 的参数（params）"
        types[name] = schema
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "章节参数（section params）",
        "description": "每种章节类型的参数：报告结构文件中 sections[*].params，及期间文件中 sections.<编号>（按键覆盖）。"
                       "未知的键和类型不符的值在读入配置时即报错。",
        "properties": types,
        "$defs": defs,
    }
