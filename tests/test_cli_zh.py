"""CLI conventions (issue 20, item 5): Chinese help with click's own words translated, -h, the report kinds in
help and in the error for an unknown one, shell completion of kinds, periods and districts, and no doubled
punctuation in any message of the catalogue."""

from __future__ import annotations

import os
import re
import subprocess
import sys

import pytest

from .conftest import ROOT

ENGLISH = ["Usage:", "Options:", "Commands:", "Show this message", "Show the version", "[OPTIONS]", "COMMAND [ARGS]",
           " TEXT ", "Error:", "Try '"]


def run(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "reportgen.cli", *args], capture_output=True, text=True, cwd=ROOT,
                          env={**os.environ, **(env or {})})


@pytest.mark.parametrize("args", [["--help"], ["-h"], ["render", "-h"], ["init", "-h"], ["schedule", "-h"],
                                  ["schedule", "due", "-h"], ["check", "--help"]])
def test_help_has_no_english_boilerplate(args):
    r = run(*args)
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith("用法： reportgen ")
    assert "选项：" in r.stdout and "显示本帮助并退出。" in r.stdout
    found = [w for w in ENGLISH if w in r.stdout]
    assert not found, (found, r.stdout)


def test_the_top_help_names_the_report_kinds():
    out = run("-h").stdout
    commands = out.split("命令：\n")[-1].splitlines()
    assert len(commands) >= 9 and not [c for c in commands if c.endswith("...")], commands    # none cut short
    assert "annual 年度数据分析报告、monthly 区考核期工作情况分析（简报，按区）" in out and "work-report" in out


def test_clicks_own_errors_are_chinese():
    r = run("render", "--bogus")
    assert r.returncode == 2
    assert "错误：没有选项 “--bogus”。" in r.stderr and "用 “reportgen render --help” 查看帮助。" in r.stderr
    assert not [w for w in ENGLISH if w in r.stderr], r.stderr


@pytest.mark.parametrize("args, said", [(["render"], "错误：缺少参数 报告类型。"),
                                        (["render", "annual"], "错误：缺少选项 --period。"),
                                        (["schedule", "resend"], "错误：缺少参数 运行编号。")])
def test_a_missing_option_or_argument_is_named_in_chinese_with_one_full_stop(args, said):
    r = run(*args)
    assert r.returncode == 2 and r.stderr.splitlines()[-1] == said, r.stderr


def test_an_unknown_kind_lists_the_kinds_and_the_likely_one():
    r = run("render", "anual", "--period", "2023")
    assert r.returncode == 2
    assert r.stderr.strip().endswith("是否想写 “annual”？可用的报告类型：annual、monthly、work-report。"), r.stderr


@pytest.mark.parametrize("words, cword, want", [
    ("reportgen render monthly --district 密", 4, ["密云区"]),
    ("reportgen render a", 2, ["annual"]),
    ("reportgen render annual --period 20", 4, ["2022", "2023"]),
    ("reportgen init c", 2, ["city"]),
])
def test_shell_completion_of_kinds_periods_and_districts(words, cword, want):
    r = run(env={"COMP_WORDS": words, "COMP_CWORD": str(cword), "_REPORTGEN_COMPLETE": "bash_complete"})
    got = [line.split(",", 1)[1] for line in r.stdout.splitlines() if line.startswith("plain,")]
    assert got == want, r.stdout + r.stderr


def test_no_message_of_the_catalogue_doubles_its_punctuation():
    text = (ROOT / "docs" / "error-catalogue.md").read_text(encoding="utf-8")
    messages = [line for line in text.splitlines() if line.lstrip("-> `").startswith(("配置错误", "数据错误", "渲染错误"))]
    assert len(messages) > 100
    doubled = [m for m in messages if re.search(r"[。！？；，：、][。！？；，：、]|。\s*。", m.replace("……", ""))]
    assert not doubled, doubled[:5]


def test_help_is_laid_out_in_terminal_columns_a_chinese_character_taking_two():
    """Every option's description starts in one column and every line fits an 80-column terminal, counted as a
    terminal counts (click counted characters: Chinese lines ran past the edge and descriptions did not line up)."""
    from reportgen.cli_zh import width

    out = run("render", "-h", env={"COLUMNS": "80"}).stdout
    lines = out.split("选项：\n")[1].splitlines()
    assert max(width(line) for line in out.splitlines()) <= 80
    starts = {width(line[:re.search(r"\S\s{2,}(?=\S)", line).end()]) for line in lines
              if line.startswith("  -") and re.search(r"\S\s{2,}(?=\S)", line)}
    assert len(starts) == 1, starts
    assert not [line for line in lines if line.rstrip().endswith(("（", "“"))]      # no opening mark ends a line
