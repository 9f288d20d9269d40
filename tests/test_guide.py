"""The user's guide runs (issue 20, item 4), as datasette and sqlite-utils test their documentation.

docs/guide.md is followed as a new user follows it, in order, in a fresh copy of the project (its config/ and the
sample data): every ``$ command`` of a ```console block is run and what the guide shows below it must be in what
it prints (each shown line inside a printed line, in order; a line “……” stands for lines left out, a trailing
“……” for the rest of the line); a command ends with status 0 unless it says ``# 退出状态 N``. What a user does by
hand is a directive the guide carries as an HTML comment (invisible when read):

* ``<!-- guide-test: fill 2023-10K from 2023-09K -->``: the Excel templates ``init`` made for 2023-10K filled in
  with the sample's 2023-09K rows, as an analyst types the office's figures in;
* ``<!-- guide-test: write PATH -->``: the fenced block that follows is saved as PATH (the guide says “改为”);
* ``<!-- guide-test: structure NAME -->``: the block that follows is the report structure NAME the guide has the
  reader write; it must build the 2023 report with its changes.

The long-running commands (the preview, the scheduler's service) run until they print what the guide shows and
are then stopped with Ctrl-C, as a user stops them; the preview gets a free port.  Every command the guide names
in running text (a code span starting with ``reportgen``) must be one that was run, or the start of one.  All run
at the guide's date (2023-10-20 07:00, Beijing time), so that the schedule's output is the guide's."""

from __future__ import annotations

import os
import re
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from .conftest import ROOT, fill_template

GUIDE = ROOT / "docs" / "guide.md"
CLOCK = "2023-10-20T07:00:00+08:00"
# reportgen at the guide's date: the command as a user types it, with the clock set
WRAPPER = ("import sys, time_machine; time_machine.travel(sys.argv.pop(1), tick=True).start(); "
           "sys.argv[0] = 'reportgen'; from reportgen.cli import main; main(prog_name='reportgen')")
SERVERS = (("preview",), ("schedule", "run"))
STATUS = re.compile(r"\s+#\s*退出状态\s*(\d+)\s*$")
DIRECTIVE = re.compile(r"<!--\s*guide-test:\s*(.*?)\s*-->")


@dataclass
class Step:
    line: int                          # in docs/guide.md
    kind: str                          # run | fill | write
    args: list[str] = field(default_factory=list)
    env: dict[str, str] = field(default_factory=dict)
    shown: list[str] = field(default_factory=list)
    status: int = 0
    text: str = ""                     # a written file's content

    @property
    def command(self) -> str:
        return " ".join(self.args)


def guide_steps(text: str) -> list[Step]:
    """The guide's steps in order: its console commands (with what they show), and its directives."""
    steps: list[Step] = []
    lines = text.splitlines()
    i, write_to = 0, None
    while i < len(lines):
        line = lines[i]
        if m := DIRECTIVE.search(line):
            words = m.group(1).split()
            if words[0] == "fill":
                steps.append(Step(i + 1, "fill", words[1:]))
            elif words[0] == "write":
                write_to = words[1]
            elif words[0] == "structure":           # the next block is a report structure of that name
                write_to = f"structure:{words[1]}"
            else:
                raise AssertionError(f"docs/guide.md line {i + 1}: unknown directive {m.group(0)}")
        elif line.startswith("```"):
            lang, start, body = line[3:].strip(), i + 1, []
            i += 1
            while not lines[i].startswith("```"):
                body.append(lines[i])
                i += 1
            if write_to is not None:
                kind, _, name = write_to.rpartition(":")
                steps.append(Step(start, kind or "write", [name], text="\n".join(body) + "\n"))
                write_to = None
            elif lang == "console":
                steps += _console(body, start)
        i += 1
    assert write_to is None, f"docs/guide.md: guide-test: write {write_to} is not followed by a fenced block"
    return steps


def _console(body: list[str], start: int) -> list[Step]:
    steps: list[Step] = []
    for n, line in enumerate(body, start=start + 1):
        if line.startswith("$ "):
            command, status = line[2:], 0
            if m := STATUS.search(command):
                command, status = command[:m.start()], int(m.group(1))
            words = shlex.split(command)
            env = {}
            while words and re.fullmatch(r"[A-Z_][A-Z0-9_]*=.*", words[0]):
                k, v = words.pop(0).split("=", 1)
                env[k] = v
            assert words[0] == "reportgen", f"docs/guide.md line {n}: a command of the guide is a reportgen command"
            steps.append(Step(n, "run", words, env, status=status))
        else:
            assert steps, f"docs/guide.md line {n}: output before any command"
            steps[-1].shown.append(line.rstrip())
    return steps


def shown_in(shown: list[str], printed: list[str]) -> str | None:
    """None when every shown line is inside a printed line, in order; else the first that is not."""
    at = 0
    for want in shown:
        if want.strip() in ("……", ""):
            continue
        want = want.removesuffix("……").removesuffix("…")
        while at < len(printed) and want not in printed[at]:
            at += 1
        if at == len(printed):
            return want
        at += 1
    return None


def mentioned(text: str) -> list[str]:
    """The reportgen commands named in the guide's running text (code spans outside fenced blocks)."""
    prose = re.sub(r"^```.*?^```", "", text, flags=re.S | re.M)
    out = []
    for span in re.findall(r"`([^`\n]+)`", prose):
        out += [m.group(0) for m in re.finditer(r"(?<![\w-])reportgen(?: [^\s>|&;`]+)*", span)]
    return out


@pytest.fixture(scope="module")
def workspace(tmp_path_factory) -> Path:
    """A fresh copy of the project as a new user has it after set-up: config/ and the sample data (hard links:
    nothing is copied twice; every write of reportgen replaces a file, it never writes into one)."""
    ws = tmp_path_factory.mktemp("guide")
    shutil.copytree(ROOT / "config", ws / "config")
    try:
        shutil.copytree(ROOT / "data" / "generated", ws / "data" / "generated", copy_function=os.link)
    except OSError:
        shutil.rmtree(ws / "data", ignore_errors=True)
        shutil.copytree(ROOT / "data" / "generated", ws / "data" / "generated")
    return ws


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _env(step: Step) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "REPORTGEN_DATA_ROOTS"}    # only the project's own roots
    return env | {"PYTHONUNBUFFERED": "1", "COLUMNS": "120"} | step.env


def _serve(step: Step, argv: list[str], cwd: Path) -> tuple[int, list[str]]:
    """A long-running command: until it prints what the guide shows, then Ctrl-C."""
    proc = subprocess.Popen(argv, cwd=cwd, env=_env(step), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            start_new_session=True)
    printed: list[str] = []
    deadline = time.monotonic() + 120
    try:
        assert proc.stdout is not None
        while shown_in(step.shown, printed) is not None and time.monotonic() < deadline:
            line = proc.stdout.readline()
            if not line:
                break
            printed.append(line.rstrip("\n"))
        proc.send_signal(signal.SIGINT)
        rest, _ = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    return proc.returncode, printed + rest.splitlines()


def _run(step: Step, cwd: Path) -> None:
    argv = [sys.executable, "-c", WRAPPER, CLOCK, *step.args[1:]]
    if tuple(step.args[1:3]) in SERVERS or tuple(step.args[1:2]) in SERVERS:
        if step.args[1] == "preview":
            port = str(_free_port())
            argv += ["--port", port]
            step.shown = [s.replace(":8765/", f":{port}/") for s in step.shown]
        status, printed = _serve(step, argv, cwd)
        assert status in (0, -signal.SIGINT, 130), f"guide line {step.line}: {step.command} → {status}\n" + "\n".join(printed)
    else:
        done = subprocess.run(argv, cwd=cwd, env=_env(step), stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                              text=True, timeout=600)       # one stream, in the order a terminal shows them
        status, printed = done.returncode, done.stdout.splitlines()
        assert status == step.status, f"guide line {step.line}: {step.command} → exit {status}\n" + "\n".join(printed)
    missing = shown_in(step.shown, printed)
    assert missing is None, (f"guide line {step.line}: {step.command} does not print “{missing}”; it printed:\n"
                             + "\n".join(printed))


def _check_structure(ws: Path, step: Step) -> None:
    """A report structure the guide has the reader write (config/beijing/reports/NAME.yaml): it is saved there,
    and the 2023 report built with it (its data is there; the new year's is not yet) has its changes."""
    import reportgen.reports  # noqa: F401  (registers the section types)
    from reportgen.pipeline import build
    from reportgen.reports.document import Heading

    name = step.args[0]
    city = ws / "config" / "beijing"
    (city / "reports").mkdir(exist_ok=True)
    (city / "reports" / f"{name}.yaml").write_text(step.text, encoding="utf-8")
    period = city / "periods" / "annual-2023.yaml"
    trial = period.with_name("annual-2023.structure-check.yaml")
    trial.write_text(period.read_text(encoding="utf-8") + f"\nstructure: {name}\n", encoding="utf-8")
    try:
        doc = build("annual", "2023", city, period_path=trial, draw=False).doc
    finally:
        trial.unlink()
    titles = [b.title for b in doc.blocks if isinstance(b, Heading) and b.level == 1]
    for change in re.findall(r"\{id: (\w+), title: (\S+?)\}", step.text):
        assert change[1] in titles, (change, titles)


def test_every_command_of_the_guide_runs_and_prints_what_the_guide_shows(workspace: Path):
    text = GUIDE.read_text(encoding="utf-8")
    steps = guide_steps(text)
    run = [s.command for s in steps if s.kind == "run"]
    assert len(run) >= 15 and any(s.kind == "fill" for s in steps) and any(s.kind == "write" for s in steps)
    untried = [m for m in mentioned(text) if not any(c == m or c.startswith(m + " ") for c in run)]
    assert not untried, f"commands the guide names but does not run: {untried}"
    for step in steps:
        if step.kind == "fill":
            period, _, source = step.args
            folder = workspace / "data" / "generated" / "assessment"
            for name in ("units", "districts", "city"):
                fill_template(folder / f"{name}-{period}.xlsx", folder / f"{name}-{source}.parquet", period)
        elif step.kind == "structure":
            _check_structure(workspace, step)
        elif step.kind == "write":
            target = workspace / step.args[0]
            assert target.is_file(), f"guide line {step.line}: the guide has the user change {step.args[0]}, which is not there"
            target.write_text(step.text, encoding="utf-8")
        else:
            _run(step, workspace)
    # what the guide's first brief became: a PDF whose every number is traced (its check ran above)
    assert (workspace / "out" / "monthly-2023-10" / "朝阳区2023年10月考核期工作情况分析.pdf").is_file()


def test_the_guide_test_reads_the_guide_as_written():
    """The parser itself: commands, shown lines, statuses, environment, directives; and the matching rule."""
    text = ("x\n<!-- guide-test: fill 2023-10K from 2023-09K -->\n```console\n$ reportgen check a.pdf   # 退出状态 1\n"
            "第 1 页……\n……\n$ A_B=c reportgen -h\n```\n<!-- guide-test: write p.yaml -->\n```yaml\nk: v\n```\n"
            "`reportgen render x` and `cd /srv && .venv/bin/reportgen schedule due >> log`\n")
    steps = guide_steps(text)
    assert [(s.kind, s.args, s.env, s.shown, s.status, s.text) for s in steps] == [
        ("fill", ["2023-10K", "from", "2023-09K"], {}, [], 0, ""),
        ("run", ["reportgen", "check", "a.pdf"], {}, ["第 1 页……", "……"], 1, ""),
        ("run", ["reportgen", "-h"], {"A_B": "c"}, [], 0, ""),
        ("write", ["p.yaml"], {}, [], 0, "k: v\n")]
    assert mentioned(text) == ["reportgen render x", "reportgen schedule due"]
    assert shown_in(["a……", "……", "c"], ["xa1", "b", "c d"]) is None
    assert shown_in(["c", "a"], ["a", "c"]) == "a"
