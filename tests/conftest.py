import os
import shutil
import tempfile
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
# the tests' own data files live in pytest's temporary folders: a data root, as a deployment names its export drive
os.environ.setdefault("REPORTGEN_DATA_ROOTS", tempfile.gettempdir())
SEEDS = ROOT.parent / "shared" / "seeds"


@pytest.fixture
def project_copy(tmp_path: Path) -> Path:
    """A copy of config/ (to break on purpose) whose period file still points at the sample data."""
    dst = tmp_path / "config"
    shutil.copytree(ROOT / "config", dst)
    for f in (dst / "beijing" / "periods").glob("*.yaml"):
        f.write_text(f.read_text(encoding="utf-8").replace("../../../data/", f"{ROOT}/data/"), encoding="utf-8")
    profile = dst / "beijing" / "profile.yaml"        # the data stays where it is: its folder is a data root
    profile.write_text(profile.read_text(encoding="utf-8").replace("data_roots: [../../data]",
                                                                   f"data_roots: ['{ROOT}/data']"), encoding="utf-8")
    return dst / "beijing"


def pdftotext(pdf: Path, *args: str) -> str:
    return subprocess.run(["pdftotext", "-enc", "UTF-8", *args, str(pdf), "-"], check=True,
                          capture_output=True, text=True).stdout


GOLDEN = Path(__file__).parent / "fixtures" / "golden"


def assert_golden_text(pdf: Path, name: str) -> None:
    """The PDF's text (pdftotext, reading order, line breaks included) is the text the sample report had when
    the golden file was written: a refactor must leave every report's text identical.  A deliberate change of
    wording or layout rewrites the file with ``REPORTGEN_UPDATE_GOLDEN=1 pytest …`` and shows in the diff."""
    import os

    text = pdftotext(pdf)
    golden = GOLDEN / f"{name}.txt"
    if os.environ.get("REPORTGEN_UPDATE_GOLDEN") == "1":
        golden.write_text(text, encoding="utf-8")
    expected = golden.read_text(encoding="utf-8")
    if text != expected:
        import difflib

        diff = "".join(list(difflib.unified_diff(expected.splitlines(True), text.splitlines(True),
                                                 f"golden/{name}.txt", "now", n=1))[:60])
        raise AssertionError(f"the text of {name} differs from tests/fixtures/golden/{name}.txt:\n{diff}")
