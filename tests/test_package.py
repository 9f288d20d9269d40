"""The package works outside its source folder: the wheel carries its resources (templates, fonts, shared report
structures), and, installed into a new venv, renders the sample brief from another folder with the city folder
given by --config — the same text as the brief rendered in the checkout."""

from __future__ import annotations

import os
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

from .conftest import ROOT, assert_golden_text


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation",
                    "--disable-pip-version-check", str(ROOT), "-w", str(out)], check=True, capture_output=True)
    (whl,) = out.glob("reportgen-*.whl")
    return whl


def test_the_wheel_carries_the_resources(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    for needed in ("reportgen/_resources/templates/report.html.j2", "reportgen/_resources/templates/report.css",
                   "reportgen/_resources/templates/preview/shell.html",
                   "reportgen/_resources/config/reports/monthly.yaml",
                   "reportgen/_resources/fonts/FandolFang-Regular.otf", "reportgen/workspace.py"):
        assert needed in names, needed
    assert not [n for n in names if n.endswith(".adv") or "__pycache__" in n or "/config/beijing/" in n]


def test_installed_wheel_renders_the_brief_from_outside_the_source_folder(wheel, tmp_path):
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    py = venv / "bin" / "python"
    purelib = Path(subprocess.run([str(py), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                                  check=True, capture_output=True, text=True).stdout.strip())
    # reportgen from the wheel; its dependencies from the project's venv (already installed: no network)
    with zipfile.ZipFile(wheel) as z:
        z.extractall(purelib)
    (purelib / "deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    work = tmp_path / "elsewhere"
    work.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("REPORTGEN_", "PYTHON"))}
    env["XDG_CACHE_HOME"] = str(tmp_path / "cache")
    code = ("import reportgen.workspace as w, sys; from pathlib import Path; "
            f"assert not w.IN_CHECKOUT and w.RESOURCES == Path({str(purelib)!r}) / 'reportgen' / '_resources', "
            "w.RESOURCES; sys.argv[0] = 'reportgen'; from reportgen.cli import main; main()")
    done = subprocess.run([str(py), "-c", code, "render", "monthly", "--period", "2023-09", "--district", "密云区",
                           "--config", str(ROOT / "config" / "beijing"), "--out", "brief.pdf"],
                          cwd=work, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "cache" / "reportgen" / "charts").is_dir()      # the cache is the user's, not the package's
    assert not (purelib / "reportgen" / ".cache").exists()
    assert_golden_text(work / "brief.pdf", "monthly-2023-09-密云区")
