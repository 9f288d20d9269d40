"""bad_rows: skip — the report is rendered without the bad rows, every one of them is written with its reason to
a rejects file next to the PDF, the report's closing note says how many, and nothing else changes."""

from __future__ import annotations

import csv
import subprocess
import sys

from reportgen.config.load import display_path
from reportgen.pipeline import build
from reportgen.publish import rejects_path, render_to_pdf

from ..conftest import pdftotext

BAD = ("month,channel,disposition,category_l1,category_l2,count\n"
       "2023-03,电话,直接答复,住房,小区配套,-4\n"          # row 2: negative
       "2023-03,电话,直接答复,住防,小区配套,5\n"           # row 3: unknown category
       "2023-03,传真,直接答复,住房,小区配套,6\n")          # row 4: unknown channel


def _with_extra_file(project_copy, text: str, mode: str | None):
    extra = project_copy / "periods" / "extra.csv"
    extra.write_text(text, encoding="utf-8")
    p = project_copy / "periods" / "annual-2023.yaml"
    t = p.read_text(encoding="utf-8")
    t = t.replace("  records:\n", "  records:\n    - path: extra.csv\n", 1)
    if mode:
        t = t.replace("issuer:", f"bad_rows: {mode}\nissuer:", 1)
    p.write_text(t, encoding="utf-8")


def test_bad_rows_are_left_out_listed_and_counted(project_copy, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    _with_extra_file(project_copy, BAD + "2024-02,电话,直接答复,住房,小区配套,7\n"       # row 5: after the year
                     "2023-03,电话,直接答复,住房,小区配套,1\n", "skip")
    built = build("annual", "2023", config_dir=project_copy)
    out = tmp_path / "annual-2023.pdf"
    render_to_pdf(built, out)
    rows = list(csv.reader(rejects_path(out).read_text(encoding="utf-8-sig").splitlines()))
    assert rows[0][:3] == ["文件", "行", "原因"]
    assert [(r[1], r[2]) for r in rows[1:]] == [
        ("2", "字段 count（数量）的值 “-4” 不是正整数。件数不能为负数。请填写大于等于 1 的整数件数。"),
        ("3", "字段 category_l1（一级分类）的值 “住防” 不是已知的一级分类。相近的名称：住房。"),
        ("4", "字段 channel（渠道）的值 “传真” 不在允许的取值中。应为：电话、网络。"),
    ]
    assert rows[1][0].endswith("extra.csv") and "-4" in rows[1]          # the row's own values are kept
    text = "".join(pdftotext(out).split())
    assert "说明：受理记录中有3行不符合要求，未计入本报告的统计；每一行及其原因见与本报告同名、扩展名为.rejects.csv的文件。" in text
    assert any("3 行不合格" in n for n in built.doc.notices)
    assert f"提示：文件 {display_path(project_copy / 'periods' / 'extra.csv')} 中有 1 行（共 7 件）的受理月份为 2024-02" \
           "，不在本报告所读的期间（2022-01 至 2023-12）内，未计入本报告。" in built.doc.notices
    # the rest of the report is the sample's and the extra file's one good row
    assert "2143.8万件" in text


def test_without_skip_the_bad_rows_stop_the_report(project_copy, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    _with_extra_file(project_copy, BAD, None)
    run = subprocess.run([sys.executable, "-m", "reportgen.cli", "render", "annual", "--period", "2023",
                          "--config", str(project_copy), "--out", str(tmp_path / "a.pdf")],
                         capture_output=True, text=True, cwd=tmp_path)
    assert run.returncode == 2 and "Traceback" not in run.stderr
    assert "第 2 行，字段 count（数量）的值 “-4” 不是正整数" in run.stderr
    assert not (tmp_path / "a.pdf").exists() and not (tmp_path / "a.rejects.csv").exists()


def test_a_clean_run_removes_an_old_rejects_file(project_copy, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    out = tmp_path / "annual-2023.pdf"
    rejects_path(out).write_text("old", encoding="utf-8")
    render_to_pdf(build("annual", "2023", config_dir=project_copy), out)
    assert not rejects_path(out).exists()
