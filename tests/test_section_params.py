"""Every section type declares its parameters; a misspelt or mistyped one is refused when the config is read.

The types are taken from the registry, so a new section type is covered without a new test.
"""

from __future__ import annotations

import json
import subprocess
import sys
import types
import typing
from pathlib import Path

import pytest
import yaml

import reportgen.reports  # noqa: F401  (registers the section types)
from reportgen.config import load_config
from reportgen.config.sections import SECTION_PARAMS
from reportgen.errors import ConfigError
from reportgen.reports import SECTION_TYPES

TYPES = sorted(SECTION_TYPES)


def _structure(cfg: Path) -> Path:
    return cfg.parent / "reports" / "annual.yaml"


def _add_section(cfg: Path, section: dict) -> int:
    """Append a section to the annual structure; its index in ``sections``."""
    path = _structure(cfg)
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data["sections"].append(section)
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return len(data["sections"]) - 1


def _problems(cfg: Path) -> list[str]:
    with pytest.raises(ConfigError) as exc:
        load_config("annual", "2023", cfg)
    return exc.value.problems


def test_every_section_type_has_a_parameter_model():
    assert set(SECTION_TYPES) == set(SECTION_PARAMS)
    for name, model in SECTION_PARAMS.items():
        assert model.model_config.get("extra") == "forbid" and model.model_config.get("frozen"), name
        for field, info in model.model_fields.items():
            assert info.description, f"{name}.{field} has no description"


@pytest.mark.parametrize("type_name", TYPES)
def test_unknown_key_is_refused_for_every_section_type(type_name, project_copy, monkeypatch):
    monkeypatch.chdir(project_copy.parent.parent)
    i = _add_section(project_copy, {"id": "probe", "type": type_name, "title": "探针", "params": {"zz_unknown": 1}})
    problems = _problems(project_copy)
    assert any(p.startswith("配置错误：文件 config/reports/annual.yaml 第 ")
               and f"，键 sections[{i}].params.zz_unknown：未知的键 “zz_unknown”" in p for p in problems), problems


def _wrong_value(annotation) -> tuple[object, str] | None:
    """A value of the wrong type for a field, and the start of the message it must get."""
    base = typing.get_origin(annotation) or annotation
    args = [a for a in typing.get_args(annotation) if a is not type(None)]
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        if len(args) != 1:
            return None
        return _wrong_value(args[0])
    if base is bool:
        return "也许", "应为true 或 false，实际为“也许”"
    if base is int:
        return "十", "应为整数，实际为“十”"
    if base is list:
        return "一项", "应为列表（每项以 - 开头），实际为“一项”"
    if base is dict:
        return "一项", "应为映射（键: 值），实际为“一项”"
    return None


@pytest.mark.parametrize("type_name", [t for t in TYPES if any(_wrong_value(f.annotation)
                                                                for f in SECTION_PARAMS[t].model_fields.values())])
def test_mistyped_value_is_refused_for_every_section_type(type_name, project_copy, monkeypatch):
    monkeypatch.chdir(project_copy.parent.parent)
    model = SECTION_PARAMS[type_name]
    field, (value, text) = next((n, _wrong_value(f.annotation)) for n, f in model.model_fields.items()
                                if _wrong_value(f.annotation))
    i = _add_section(project_copy, {"id": "probe", "type": type_name, "title": "探针", "params": {field: value}})
    problems = _problems(project_copy)
    assert any(f"，键 sections[{i}].params.{field}：{text}。" in p for p in problems), problems


def test_top_m_exits_2_naming_file_key_path_and_the_likely_key(project_copy, tmp_path):
    structure = _structure(project_copy)
    text = structure.read_text(encoding="utf-8")
    structure.write_text(text.replace("params: {top_n: 20, share_top: 5}", "params: {top_m: 10, share_top: 5}", 1),
                         encoding="utf-8")
    line = next(n for n, t in enumerate(structure.read_text(encoding="utf-8").splitlines(), 1) if "top_m" in t)
    out = tmp_path / "a.pdf"
    r = subprocess.run([sys.executable, "-m", "reportgen.cli", "render", "annual", "--period", "2023",
                        "--config", "config/beijing", "--out", str(out)],
                       capture_output=True, text=True, cwd=project_copy.parent.parent)
    assert r.returncode == 2, r.stderr
    assert r.stderr.strip() == (f"配置错误：文件 config/reports/annual.yaml 第 {line} 行，键 sections[0].params.top_m："
                                "未知的键 “top_m”，是否想写 “top_n”？")
    assert not out.exists()


def test_nested_key_and_string_for_int(project_copy, monkeypatch):
    monkeypatch.chdir(project_copy.parent.parent)
    structure = _structure(project_copy)
    text = structure.read_text(encoding="utf-8")
    structure.write_text(text.replace("params: {district_level: 区级部门, street_level: 街乡镇, top_n: 10}",
                                      "params: {district_level: 区级部门, street_level: 街乡镇, top_n: 十个}", 1),
                         encoding="utf-8")
    line = next(n for n, t in enumerate(structure.read_text(encoding="utf-8").splitlines(), 1) if "top_n: 十个" in t)
    assert _problems(project_copy) == [
        f"配置错误：文件 config/reports/annual.yaml 第 {line} 行，键 sections[3].children[0].params.top_n："
        "应为整数，实际为“十个”。"]


def test_period_file_override_is_checked_in_the_period_file(project_copy, monkeypatch):
    monkeypatch.chdir(project_copy)
    period = project_copy / "periods" / "annual-2023.yaml"
    text = period.read_text(encoding="utf-8")
    assert "\n  topics:\n" in text
    period.write_text(text.replace("\n  topics:\n", "\n  topics:\n    frist: 2\n", 1), encoding="utf-8")
    line = next(n for n, t in enumerate(period.read_text(encoding="utf-8").splitlines(), 1) if "frist" in t)
    assert _problems(project_copy) == [
        f"配置错误：文件 periods/annual-2023.yaml 第 {line} 行，键 sections.topics.frist：未知的键 “frist”，是否想写 “first”？"]


def test_a_type_without_parameters_says_so(project_copy, monkeypatch):
    monkeypatch.chdir(project_copy.parent.parent)
    bare = next(t for t in TYPES if not SECTION_PARAMS[t].model_fields)
    i = _add_section(project_copy, {"id": "probe", "type": bare, "title": "探针", "params": {"top_n": 3}})
    problems = _problems(project_copy)
    assert any(p.endswith(f"，键 sections[{i}].params.top_n：未知的键 “top_n”（章节类型 {bare} 没有参数）。")
               for p in problems), problems


def test_unknown_section_type_and_duplicate_id_are_refused_at_load(project_copy, monkeypatch):
    monkeypatch.chdir(project_copy.parent.parent)
    i = _add_section(project_copy, {"id": "probe", "type": "overveiw", "title": "探针"})
    j = _add_section(project_copy, {"id": "overview", "type": "chapter", "title": "又一个"})
    problems = _problems(project_copy)
    assert any(f"，键 sections[{i}].type：章节 probe 的类型 “overveiw” 未知，是否想写 “overview”？可用的类型：" in p
               for p in problems), problems
    assert any(f"，键 sections[{j}].id：章节编号 “overview” 已在 sections[0] 用过。每个章节的编号应唯一。" in p
               for p in problems), problems


def test_the_sample_configs_load_with_their_parameters():
    cfg = load_config("work-report", "2020")
    assert cfg.section_params is not None
    assert cfg.section_params["districts"].chart_streets == 15
    assert cfg.section_params["districts"].top_streets == 3                # the default, from the model
    assert cfg.section_params["street_ranks"].lists[1].kind == "per_district"


def test_schema_lists_every_section_types_params_with_defaults(tmp_path):
    r = subprocess.run([sys.executable, "-m", "reportgen.cli", "schema", "--out", str(tmp_path)],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    schema = json.loads((tmp_path / "sections.schema.json").read_text(encoding="utf-8"))
    assert set(schema["properties"]) == set(SECTION_TYPES)
    for name, model in SECTION_PARAMS.items():
        props = schema["properties"][name]
        assert props["additionalProperties"] is False, name
        assert set(props.get("properties", {})) == set(model.model_fields), name
        for field, info in model.model_fields.items():
            p = props["properties"][field]
            assert p["description"] == info.description
            if not info.is_required():
                assert p["default"] == json.loads(json.dumps(info.default, default=str)), (name, field)
    assert schema["properties"]["overview"]["properties"]["top_n"]["default"] == 20
    assert schema["properties"]["units"]["required"] == ["level"]


def test_sections_needing_inputs_the_report_does_not_read_are_refused_before_any_file_is_read(project_copy,
                                                                                              monkeypatch):
    """A section type declares its inputs; one check over the whole structure names every section that lacks
    one, before the records are read (the data path is broken on purpose: it is never opened)."""
    from reportgen.pipeline import build

    monkeypatch.chdir(project_copy.parent.parent)
    i = _add_section(project_copy, {"id": "probe_total", "type": "brief_total", "title": "探针"})
    j = _add_section(project_copy, {"id": "probe_ranks", "type": "rankings", "title": "排名"})
    period = project_copy / "periods" / "annual-2023.yaml"
    period.write_text(period.read_text(encoding="utf-8").replace("records-2023.parquet", "never-read.parquet"),
                      encoding="utf-8")
    with pytest.raises(ConfigError) as exc:
        build("annual", "2023", project_copy)
    assert exc.value.problems == [
        "配置错误：文件 config/reports/annual.yaml，章节 probe_total（类型 brief_total）需要市级考评表"
        "（只有 data: assessment 的报告读入，本报告为 data: records）。",
        "配置错误：文件 config/reports/annual.yaml，章节 probe_ranks（类型 rankings）需要考核排名表"
        "（期间文件 config/beijing/periods/annual-2023.yaml 的 sources.rankings 中没有）。",
    ], (i, j)
