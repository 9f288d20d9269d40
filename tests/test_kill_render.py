"""Nothing half-done: a render killed at any moment leaves the previous PDF or the new one, never a partial
file (nor a stale temporary file after the next run); an interrupted batch resumes where it stopped."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from pypdf import PdfReader

from .conftest import ROOT

REPORTGEN = [sys.executable, "-m", "reportgen.cli"]


def _complete_pdf(path: Path) -> bool:
    data = path.read_bytes()
    return data.startswith(b"%PDF") and data.rstrip().endswith(b"%%EOF") and len(PdfReader(str(path)).pages) > 0


def _parts(folder: Path) -> list[Path]:
    return sorted(folder.glob(".*.part"))


def test_a_render_killed_at_any_moment_leaves_a_whole_pdf(tmp_path):
    out = tmp_path / "brief.pdf"
    cmd = [*REPORTGEN, "render", "monthly", "--period", "2023-09", "--district", "密云区", "--out", str(out), "--quiet"]
    subprocess.run(cmd, check=True, capture_output=True, cwd=ROOT)
    before = out.read_bytes()
    for delay in (0.2, 0.6, 1.0, 1.4):                   # killed while loading, laying out, writing, …
        proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(delay)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        assert _complete_pdf(out)                        # the old one or the new one, whole
        assert out.read_bytes() == before                # same inputs: the new one is byte for byte the old one
    # killed for certain while the new PDF is written: a slow disk is simulated by holding the PDF's rename
    slow = ("import os, sys, time\n_replace = os.replace\n"
            "def slow(a, b):\n    if str(b).endswith('.pdf'):\n        time.sleep(30)\n    _replace(a, b)\n"
            "os.replace = slow\nfrom reportgen.cli import main\nsys.argv = ['reportgen'] + sys.argv[1:]\nmain()\n")
    proc = subprocess.Popen([sys.executable, "-c", slow, *cmd[3:]], cwd=ROOT, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while not list(tmp_path.glob(".brief.pdf.*.part")) and time.monotonic() < deadline:
        time.sleep(0.02)
    assert list(tmp_path.glob(".brief.pdf.*.part")), "the render never reached the PDF's write"
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert out.read_bytes() == before and _parts(tmp_path)    # the old PDF stands; the killed write left its part
    subprocess.run(cmd, check=True, capture_output=True, cwd=ROOT)
    assert _parts(tmp_path) == []                        # what a killed writer left is cleared by the next run
    assert _complete_pdf(out)


def test_an_interrupted_batch_resumes_with_the_districts_left(tmp_path):
    out = tmp_path / "briefs"
    cmd = [*REPORTGEN, "render", "monthly", "--period", "2023-09", "--all-districts", "--out", str(out), "--workers", "1",
           "--names", "{district}"]
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    deadline = time.monotonic() + 120
    while len(list(out.glob("*.pdf"))) < 3 and time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.05)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    made = sorted(p.stem for p in out.glob("*.pdf"))
    assert 3 <= len(made) < 16
    assert all(_complete_pdf(out / f"{d}.pdf") for d in made)
    stamps = {d: (out / f"{d}.pdf").stat().st_mtime_ns for d in made}
    run = subprocess.run([*cmd, "--resume"], cwd=ROOT, capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    ledger_done = [line for line in run.stderr.splitlines() if line.startswith("已存在且输入未变，跳过：")]
    skipped = ledger_done[0].removeprefix("已存在且输入未变，跳过：").split("、")
    assert set(skipped) <= set(made) and len(skipped) >= len(made) - 1   # the one being written when killed is redone
    for d in skipped:
        assert (out / f"{d}.pdf").stat().st_mtime_ns == stamps[d]        # not rendered again
    assert len(list(out.glob("*.pdf"))) == 16 and _parts(out) == []
    again = subprocess.run([*cmd, "--resume"], cwd=ROOT, capture_output=True, text=True)
    assert "全部 16 个区均已是最新，无需生成" in again.stdout


def test_a_changed_input_is_rendered_again_on_resume(tmp_path, project_copy):
    out = tmp_path / "b"
    cmd = [*REPORTGEN, "render", "monthly", "--period", "2023-09", "--all-districts", "--out", str(out),
           "--config", str(project_copy)]
    subprocess.run(cmd, check=True, capture_output=True, cwd=ROOT)
    case = project_copy / "periods" / "monthly-2023-09" / "密云区" / "case.md"
    case.write_text(case.read_text(encoding="utf-8") + "\n补充一段。\n", encoding="utf-8")
    run = subprocess.run([*cmd, "--resume"], capture_output=True, text=True, cwd=ROOT)
    # 密云区's own input changed: that district again, the other 15 skipped (each district's own fingerprint)
    skipped = [line for line in run.stderr.splitlines() if line.startswith("已存在且输入未变，跳过：")]
    assert len(skipped) == 1 and "密云区" not in skipped[0] and len(skipped[0].split("、")) == 15
    assert "共 1 个区：成功 1" in run.stdout
