"""A batch of briefs as a reader gets it (issue 20, items 6 and 7): files named 密云区2023年9月考核期工作情况分析.pdf,
several ``--district`` in one command, ``--resume`` judged on each district's own inputs (one district's changed
case renders that district only), and a summary table never cut at 80 columns."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from reportgen.names import NAME, batch_paths, check_names, period_label

from .conftest import ROOT

REPORTGEN = [sys.executable, "-m", "reportgen.cli"]


def test_period_labels_and_default_names(tmp_path):
    assert period_label("2023-10K") == "2023年10月考核期"
    assert period_label("2023-10") == "2023年10月"
    assert period_label("2023") == "2023年"
    assert batch_paths(tmp_path, ["朝阳区"], "monthly", "2023-10", "2023-10K") == {
        "朝阳区": tmp_path / "朝阳区2023年10月考核期工作情况分析.pdf"}
    assert NAME == "{district}{period_label}工作情况分析"


@pytest.mark.parametrize("names, problem", [
    ("{period_label}简报", "--names “{period_label}简报” 中没有 {district}：各区的报告会写进同一个文件、互相覆盖。"
                           "请加入 {district}，如 {district}{period_label}工作情况分析。"),
    ("{district}{month}", "--names “{district}{month}” 中的 {month} 不是可用的占位符；可用的有 {report}、{period}、"
                          "{period_label}、{district}（不带格式）。"),
    ("{district", "--names “{district” 的花括号不成对：占位符写成 {district} 这样，可用的有 {report}、{period}、"
                  "{period_label}、{district}。"),
    ("sub/{district}", "--names “sub/{district}” 是文件名（不含扩展名 .pdf），不能含 / 或 \\；文件夹请用 --out。"),
])
def test_a_name_pattern_that_does_not_separate_the_districts_is_refused(names, problem):
    assert check_names(names) == problem


def test_several_districts_resume_on_their_own_inputs_and_the_summary_is_whole_at_80_columns(project_copy, tmp_path):
    from rich.cells import cell_len

    out = tmp_path / "briefs"
    cmd = [*REPORTGEN, "render", "monthly", "--period", "2023-09", "--district", "延庆区", "--district", "密云区",
           "--config", str(project_copy), "--out", str(out), "--workers", "2"]
    env = {**os.environ, "COLUMNS": "80"}
    first = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT, env=env)
    assert first.returncode == 0, first.stderr
    names = {d: f"{d}2023年9月考核期工作情况分析.pdf" for d in ("密云区", "延庆区")}
    assert sorted(p.name for p in out.glob("*.pdf")) == sorted(names.values())
    # the summary: in profile.yaml's order, every cell whole although the table is wider than 80 columns
    lines = first.stdout.splitlines()
    rows = [line for line in lines if line.startswith("│ 密云区") or line.startswith("│ 延庆区")]
    assert [r.split("│")[1].strip() for r in rows] == ["密云区", "延庆区"]
    for row, d in zip(rows, ("密云区", "延庆区")):
        cells = [c.strip() for c in row.split("│")[1:-1]]
        assert cells[1] == "成功" and cells[-1] == names[d], row
    assert max(cell_len(line) for line in lines) > 80
    assert "共 2 个区：成功 2，失败 0" in first.stdout

    # 延庆区's own folder gets a case: only 延庆区 is rendered again
    folder = project_copy / "periods" / "monthly-2023-09" / "延庆区"
    folder.mkdir()
    (folder / "case.md").write_text("延庆区的典型案例。\n", encoding="utf-8")
    stamps = {d: (out / n).stat().st_mtime_ns for d, n in names.items()}
    second = subprocess.run([*cmd, "--resume"], capture_output=True, text=True, cwd=ROOT, env=env)
    assert second.returncode == 0, second.stderr
    assert "已存在且输入未变，跳过：密云区" in second.stderr.splitlines()
    assert "共 1 个区：成功 1，失败 0" in second.stdout
    assert (out / names["密云区"]).stat().st_mtime_ns == stamps["密云区"]
    assert (out / names["延庆区"]).stat().st_mtime_ns != stamps["延庆区"]
    third = subprocess.run([*cmd, "--resume"], capture_output=True, text=True, cwd=ROOT, env=env)
    assert "全部 2 个区均已是最新，无需生成" in third.stdout

    # what every district reads changed (the period file): both again
    period_file = project_copy / "periods" / "monthly-2023-09.yaml"
    period_file.write_text(period_file.read_text(encoding="utf-8") + "# 改过\n", encoding="utf-8")
    fourth = subprocess.run([*cmd, "--resume"], capture_output=True, text=True, cwd=ROOT, env=env)
    assert "跳过" not in fourth.stderr and "共 2 个区：成功 2，失败 0" in fourth.stdout


def test_several_districts_are_checked_and_exclusive_with_all_districts(project_copy, tmp_path):
    base = [*REPORTGEN, "render", "monthly", "--period", "2023-09", "--config", str(project_copy),
            "--out", str(tmp_path / "b")]
    unknown = subprocess.run([*base, "--district", "密云区", "--district", "密云"], capture_output=True, text=True,
                             cwd=ROOT)
    assert unknown.returncode == 2 and "配置错误：区 “密云” 不在" in unknown.stderr and "是否想写 “密云区”？" in unknown.stderr
    both = subprocess.run([*base, "--all-districts", "--district", "密云区"], capture_output=True, text=True, cwd=ROOT)
    assert both.returncode == 2 and "--all-districts 不能与 --district、--html" in both.stderr
    assert not (tmp_path / "b").exists()
