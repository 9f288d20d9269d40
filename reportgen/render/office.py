"""The 目录's page numbers of a .docx, from LibreOffice's layout of it (headless, at build time).

A TOC field holds its page numbers as a cached result.  Word recomputes them on opening (the document asks it
to: ``updateFields``), LibreOffice and WPS show the cached result as it is — so reportgen fills it in: the
draft .docx is opened by a headless LibreOffice (``uno_toc.py``, run by the Python that has ``uno``), its
table of contents updated there, and the numbers it prints written into the .docx as the fields' results.
Without LibreOffice the .docx is still written; the 目录 then has its page numbers filled in by Word when it is
opened, and the user is told.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import tempfile
from pathlib import Path

from ..workspace import TEMPLATES

SCRIPT = Path(__file__).with_name("uno_toc.py")
# the office font names of the .docx shown with the open fonts the PDF embeds (LibreOffice's layout then
# measures the glyphs the PDF has)
FONTCONFIG = TEMPLATES / "fontconfig" / "fonts.conf"
UNO_PYTHONS = ("/usr/bin/python3", "/usr/lib/libreoffice/program/python", "/opt/libreoffice/program/python",
               "/Applications/LibreOffice.app/Contents/Resources/python")
TIMEOUT = 180


def uno_python() -> str | None:
    """A Python that can ``import uno`` next to a ``soffice`` on PATH: ``$REPORTGEN_UNO_PYTHON``, else the
    usual places (Debian's python3-uno, LibreOffice's own Python)."""
    if shutil.which("soffice") is None:
        return None
    env = os.environ.get("REPORTGEN_UNO_PYTHON")
    for py in ((env,) if env else UNO_PYTHONS):
        if Path(py).is_file():
            probe = subprocess.run([py, "-c", "import uno"], capture_output=True, timeout=30)
            if probe.returncode == 0:
                return py
    return None


def office_env(home: Path) -> dict[str, str]:
    """The environment LibreOffice runs in: the fonts aliased, a HOME of its own."""
    env = dict(os.environ, HOME=str(home))
    if FONTCONFIG.is_file():
        env["FONTCONFIG_FILE"] = str(FONTCONFIG)
    env.pop("PYTHONPATH", None)
    env.pop("PYTHONHOME", None)
    return env


class TocPages:
    """LibreOffice laying out a draft .docx in the background (its own process group): ``result()`` waits for
    the 目录's lines, ``cancel()`` stops it.  Started before the PDF is laid out, it costs no time of its own on a
    machine with a second core."""

    def __init__(self, docx: bytes) -> None:
        self.problem: str | None = None
        self.proc: subprocess.Popen | None = None
        self.tmp = Path(tempfile.mkdtemp(prefix="reportgen-office-"))
        py = uno_python()
        if py is None:
            self.problem = "未找到 LibreOffice（soffice 与 python3-uno）"
            return
        path = self.tmp / "draft.docx"
        path.write_bytes(docx)
        self.proc = subprocess.Popen([py, str(SCRIPT), str(path), str(self.tmp / "profile")], stdout=subprocess.PIPE,
                                     stderr=subprocess.DEVNULL, env=office_env(self.tmp), start_new_session=True)

    def result(self) -> tuple[list[tuple[str, str]] | None, str | None]:
        """``(entries, None)``: the 目录 lines (heading text, page as printed) of LibreOffice's layout;
        ``(None, why)`` when they could not be had (no LibreOffice, it failed or hung), said in Chinese."""
        try:
            if self.proc is None:
                return None, self.problem
            try:
                out, _ = self.proc.communicate(timeout=TIMEOUT)
            except subprocess.TimeoutExpired:
                return None, f"LibreOffice 在 {TIMEOUT} 秒内未完成排版"
            return _entries(out)
        finally:
            self.cancel()

    def cancel(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)     # LibreOffice and its children, all of them
            except ProcessLookupError:
                pass
            self.proc.communicate()
        shutil.rmtree(self.tmp, ignore_errors=True)


def _entries(out: bytes) -> tuple[list[tuple[str, str]] | None, str | None]:
    try:
        answer = json.loads(out.decode("utf-8").strip().splitlines()[-1])
    except (ValueError, IndexError, UnicodeDecodeError):
        return None, "LibreOffice 未给出目录页码"
    if not isinstance(answer, dict) or "entries" not in answer:
        why = str(answer.get("error", ""))[:200] if isinstance(answer, dict) else ""
        return None, f"LibreOffice 未能排版该文档（{why}）"
    entries = answer["entries"]
    if not isinstance(entries, list) or not all(isinstance(e, list) and len(e) == 2 and all(isinstance(x, str) for x in e)
                                                and e[1].isdigit() for e in entries):
        return None, "LibreOffice 给出的目录页码无法识别"
    return [(t, p) for t, p in entries], None


__all__ = ["FONTCONFIG", "TocPages", "office_env", "uno_python"]
