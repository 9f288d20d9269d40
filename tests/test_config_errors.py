"""A bad configuration gives one Chinese message per problem: file, line, key path, expected, given."""

from pathlib import Path

import pytest

from reportgen.config import load_config
from reportgen.errors import ConfigError


def _period(cfg: Path) -> Path:
    return cfg / "periods" / "annual-2023.yaml"


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def _problems(cfg: Path) -> list[str]:
    with pytest.raises(ConfigError) as exc:
        load_config("annual", "2023", cfg)
    return exc.value.problems


def test_valid_sample_config_loads(project_copy):
    cfg = load_config("annual", "2023", project_copy)
    assert cfg.period_file.issuer == "北京市政务服务和数据管理局"
    assert cfg.kind.sections[0].id == "overview"


def test_unknown_key_suggests_the_intended_one(project_copy, monkeypatch):
    monkeypatch.chdir(project_copy)
    _edit(_period(project_copy), "issuer:", "isuer:")
    assert _problems(project_copy) == [
        "配置错误：文件 periods/annual-2023.yaml 第 5 行，键 isuer：未知的键 “isuer”，是否想写 “issuer”？",
        "配置错误：文件 periods/annual-2023.yaml，键 （文件顶层）：缺少必填键 “issuer”。",
    ]


def test_wrong_type_names_key_path_expected_and_given(project_copy, monkeypatch):
    monkeypatch.chdir(project_copy)
    _edit(project_copy.parent / "reports" / "annual.yaml", "params: {top_n: 10, sub_top_n: 5}",
          "params: {top_n: 10, sub_top_n: 5}\n    title2: x")
    _edit(project_copy.parent / "reports" / "annual.yaml", "precision: {wan: 1, pct: 1}", "precision: {wan: 一位, pct: 1}")
    assert _problems(project_copy) == [
        f"配置错误：文件 {project_copy.parent}/reports/annual.yaml 第 8 行，键 precision.wan：应为整数，实际为“一位”。",
        f"配置错误：文件 {project_copy.parent}/reports/annual.yaml 第 20 行，键 sections[1].title2：未知的键 “title2”，是否想写 “title”？",
    ]


def test_tab_indentation_is_reported_with_line_and_column(project_copy, monkeypatch):
    monkeypatch.chdir(project_copy)
    _edit(_period(project_copy), "report: annual", "report: annual\n\tperiod: x")
    assert _problems(project_copy) == [
        "配置错误：文件 periods/annual-2023.yaml 第 3 行第 1 列：含有制表符（Tab），YAML 缩进只能用空格。"
    ]


def test_duplicate_key_is_an_error_not_a_silent_override(project_copy, monkeypatch):
    monkeypatch.chdir(project_copy)
    _edit(_period(project_copy), "date: 2024 年 3 月", "date: 2024 年 3 月\ndate: 2024 年 4 月")
    assert _problems(project_copy) == [
        "配置错误：文件 periods/annual-2023.yaml 第 7 行第 1 列：键 “date” 重复（第 6 行已有同名键）。"
    ]


def test_python_object_tags_are_rejected_not_executed(project_copy, monkeypatch, tmp_path):
    monkeypatch.chdir(project_copy)
    marker = tmp_path / "pwned"
    _edit(_period(project_copy), "report: annual",
          f"report: !!python/object/apply:os.system ['touch {marker}']")
    problems = _problems(project_copy)
    assert not marker.exists()
    assert problems[0].startswith("配置错误：文件 periods/annual-2023.yaml 第 2 行第 9 列：含有不允许的标签")


def test_missing_period_file(project_copy, monkeypatch):
    monkeypatch.chdir(project_copy)
    with pytest.raises(ConfigError) as exc:
        load_config("annual", "2031", project_copy)
    assert str(exc.value) == ("配置错误：找不到期间文件 periods/annual-2031.yaml（报告 annual，期间 2031）。"
                              "新的一期可用 reportgen init annual --period 2031 生成（含数据模板）。")


def test_features_chart_declaration_errors_name_the_key_path(project_copy, monkeypatch):
    from reportgen.pipeline import build

    monkeypatch.chdir(project_copy)
    _edit(_period(project_copy), "kind: monthly", "kind: montly")
    with pytest.raises(ConfigError) as exc:
        build("annual", "2023", project_copy)
    line = next(i for i, t in enumerate(_period(project_copy).read_text(encoding="utf-8").splitlines(), 1)
                if "kind: montly" in t)
    assert exc.value.problems == [
        f"配置错误：文件 periods/annual-2023.yaml 第 {line} 行，键 sections.features.subsections[0].blocks[3].chart.kind："
        "应为以下之一：share_change、volume_change、yoy、monthly，实际为“montly”。"
    ]


def test_every_message_names_a_file_of_the_project_relative_to_it(tmp_path, monkeypatch):
    """The one place every message passes (ReportError) writes paths inside the project relative to it, whatever
    path the message was built from; paths elsewhere stay whole."""
    from reportgen.errors import ConfigError

    monkeypatch.chdir(tmp_path)
    err = ConfigError(f"配置错误：文件 {tmp_path}/config/x.yaml 不存在；{tmp_path}/data/a.csv、/srv/other/b.csv 也没有。",
                      [f"数据错误：文件 {tmp_path}/data/a.csv 第 2 行。", f"见 “{tmp_path}/out/r.pdf”。"])
    assert str(err.args[0]) == "配置错误：文件 config/x.yaml 不存在；data/a.csv、/srv/other/b.csv 也没有。"
    assert err.problems == ["数据错误：文件 data/a.csv 第 2 行。", "见 “out/r.pdf”。"]
