"""Outputs (issue 17): nothing the render reads is overwritten, only regular files are written, the PDF and its
manifest are checked as one pair, and a failed render leaves no HTML behind."""

import os
import shutil

from .test_cli import run

BRIEF = ("render", "monthly", "--period", "2023-09", "--district", "密云区")


def test_out_onto_an_input_is_refused_and_the_input_kept(project_copy, tmp_path):
    period = project_copy / "periods" / "monthly-2023-09.yaml"
    before = period.read_bytes()
    r = run(*BRIEF, "--config", str(project_copy), "--out", str(period))
    assert r.returncode == 2
    assert "是本报告的输入" in r.stderr and "不能作为输出" in r.stderr
    assert period.read_bytes() == before
    # a data file, and a file in the city folder, are inputs too
    r = run(*BRIEF, "--config", str(project_copy), "--out", str(project_copy / "new.pdf"))
    assert r.returncode == 2 and "是本报告的输入" in r.stderr and not (project_copy / "new.pdf").exists()


def test_out_onto_a_fifo_is_refused_and_stays_a_fifo(tmp_path):
    fifo = tmp_path / "pipe.pdf"
    os.mkfifo(fifo)
    r = run(*BRIEF, "--out", str(fifo))
    assert r.returncode == 2 and "不是普通文件" in r.stderr
    assert not fifo.is_file() and fifo.exists()


def test_check_refuses_a_manifest_of_another_pdf(tmp_path):
    a, b = tmp_path / "a.pdf", tmp_path / "b.pdf"
    assert run(*BRIEF, "--out", str(a)).returncode == 0
    assert run("render", "monthly", "--period", "2023-09", "--district", "东城区", "--out", str(b)).returncode == 0
    assert run("check", str(a)).returncode == 0
    shutil.copy(b, a)                 # as if the process died between the PDF and its manifest
    r = run("check", str(a))
    assert r.returncode == 1 and "不是为" in r.stderr and "校验和不符" in r.stderr


def test_a_strict_failure_leaves_no_html(project_copy, tmp_path):
    # a character that no embedded font has fails --strict, after the document (and its HTML) was built
    brief = project_copy / "periods" / "monthly-2023-09" / "密云区" / "brief.yaml"
    assert not brief.exists()
    brief.write_text("commentary:\n  total.text:\n    after: 没有字形的字：\U0001F600。\n", encoding="utf-8")
    html = tmp_path / "b.html"
    r = run(*BRIEF, "--config", str(project_copy), "--out", str(tmp_path / "b.pdf"), "--strict", "--html", str(html))
    assert r.returncode != 0, r.stdout
    assert "字形" in r.stderr, r.stderr
    assert not html.exists() and not (tmp_path / "b.pdf").exists()
