"""A batch (``render --all-districts``) stopped by a signal leaves no process behind.

Ctrl-C (SIGINT to the whole process group, as a terminal sends it — twice) and SIGTERM stop it with a Chinese
summary and exit 130 / 143; SIGKILL of the parent takes its workers with it (the kernel kills them: PDEATHSIG).
The resume ledger holds exactly the districts the summary names as finished, and ``--resume`` renders exactly
the others.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil

from .conftest import ROOT

ALL16 = ["东城区", "西城区", "朝阳区", "海淀区", "丰台区", "石景山区", "门头沟区", "房山区", "通州区", "顺义区",
         "大兴区", "昌平区", "平谷区", "怀柔区", "密云区", "延庆区"]


def _pdf(out: Path, district: str) -> Path:
    """A district's PDF of the batch, by the default name pattern (the names a recipient reads)."""
    return out / f"{district}2023年9月考核期工作情况分析.pdf"


def _batch(out: Path, *extra: str) -> list[str]:
    return [sys.executable, "-m", "reportgen.cli", "render", "monthly", "--period", "2023-09", "--all-districts",
            "--out", str(out), "--workers", "2", *extra]


def _start(out: Path, until) -> tuple[subprocess.Popen, list[psutil.Process]]:
    """The batch in its own session (a process group, like a terminal's), once ``until()`` holds and its two
    workers are running; returns it with every process it has started."""
    proc = subprocess.Popen(_batch(out), cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True)
    deadline = time.monotonic() + 120
    children: list[psutil.Process] = []
    while time.monotonic() < deadline and proc.poll() is None:
        try:
            children = psutil.Process(proc.pid).children(recursive=True)
        except psutil.NoSuchProcess:
            break
        if len(children) >= 2 and until():
            return proc, children
        time.sleep(0.05)
    proc.kill()
    raise AssertionError(f"the batch never got going: {proc.communicate()}")


def _gone(procs: list[psutil.Process], within: float = 10.0) -> list[psutil.Process]:
    """The processes still alive after ``within`` seconds (a zombie — dead, not yet reaped — is gone)."""
    deadline = time.monotonic() + within
    while True:
        alive = []
        for p in procs:
            try:
                if p.is_running() and p.status() != psutil.STATUS_ZOMBIE:
                    alive.append(p)
            except psutil.NoSuchProcess:
                pass
        if not alive or time.monotonic() > deadline:
            return alive
        time.sleep(0.05)


def _ledger(out: Path) -> dict:
    path = out / ".reportgen-batch.json"
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}


def test_ctrl_c_stops_the_batch_cleanly_and_resume_renders_exactly_the_rest(tmp_path):
    out = tmp_path / "briefs"
    proc, children = _start(out, lambda: len(_ledger(out)) >= 1)
    os.killpg(proc.pid, signal.SIGINT)                      # Ctrl-C: the whole group, parent and workers
    time.sleep(0.05)
    os.killpg(proc.pid, signal.SIGINT)                      # and a second, impatient one
    stdout, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 130, stderr
    assert _gone(children) == []
    assert "Traceback" not in stderr and "Aborted" not in stderr and "内部错误" not in stderr
    lines = stderr.splitlines()
    assert any(line.startswith("已中断：批量生成被 Ctrl-C 中断，用时 ") and line.endswith(" 秒，工作进程均已停止。")
               for line in lines), stderr
    [done_line] = [line for line in lines if line.startswith("已完成 ")]
    [left_line] = [line for line in lines if line.startswith("未完成 ")]
    finished = done_line.split("：", 1)[1].split("、")
    unfinished = left_line.split("：", 1)[1].split("、")
    assert done_line == f"已完成 {len(finished)} 个区：{'、'.join(finished)}"
    assert left_line == f"未完成 {len(unfinished)} 个区：{'、'.join(unfinished)}"
    assert sorted(finished + unfinished) == sorted(ALL16) and unfinished
    assert f"已完成的区记在 {out / '.reportgen-batch.json'}；加 --resume 重新运行即只生成其余的区：reportgen render " \
           f"monthly --period 2023-09 --all-districts --out {out} --resume" in lines
    assert sorted(_ledger(out)) == sorted(finished)          # the ledger records what was finished
    stamps = {d: _pdf(out, d).stat().st_mtime_ns for d in finished}

    resumed = subprocess.run(_batch(out, "--resume"), cwd=ROOT, capture_output=True, text=True)
    assert resumed.returncode == 0, resumed.stderr
    assert f"已存在且输入未变，跳过：{'、'.join(finished)}" in resumed.stderr.splitlines()
    rendered = [line.split(" ", 1)[1].split("（", 1)[0] for line in resumed.stderr.splitlines()
                if line.startswith("完成 ")]
    assert sorted(rendered) == sorted(unfinished)             # exactly the rest
    assert f"共 {len(unfinished)} 个区：成功 {len(unfinished)}，失败 0" in resumed.stdout
    assert {d: _pdf(out, d).stat().st_mtime_ns for d in finished} == stamps
    assert sorted(p.name for p in out.glob("*.pdf")) == sorted(_pdf(out, d).name for d in ALL16)
    assert not list(out.glob(".*.part"))
    assert sorted(_ledger(out)) == sorted(ALL16)


def test_sigterm_stops_the_batch_with_its_workers(tmp_path):
    out = tmp_path / "briefs"
    proc, children = _start(out, lambda: True)              # as soon as both workers render
    proc.send_signal(signal.SIGTERM)                         # the parent only (systemd's stop, kill PID)
    stdout, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 143, stderr
    assert _gone(children) == []
    assert "Traceback" not in stderr
    assert any(line.startswith("已中断：批量生成被 SIGTERM 中断") for line in stderr.splitlines()), stderr
    assert "未完成 " in stderr


def test_sigkill_of_the_parent_takes_its_workers_with_it(tmp_path):
    out = tmp_path / "briefs"
    proc, children = _start(out, lambda: True)
    proc.send_signal(signal.SIGKILL)                         # the parent only: nothing of its own code runs
    proc.communicate(timeout=60)
    assert proc.returncode == -signal.SIGKILL
    assert _gone(children) == []                            # the workers did not go on rendering, nor wait forever
