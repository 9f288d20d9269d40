import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SEEDS = ROOT.parent / "shared" / "seeds"


@pytest.fixture
def project_copy(tmp_path: Path) -> Path:
    """A copy of config/ (to break on purpose) whose period file still points at the sample data."""
    dst = tmp_path / "config"
    shutil.copytree(ROOT / "config", dst)
    for f in (dst / "beijing" / "periods").glob("*.yaml"):
        f.write_text(f.read_text(encoding="utf-8").replace("../../../data/", f"{ROOT}/data/"), encoding="utf-8")
    return dst / "beijing"


def pdftotext(pdf: Path, *args: str) -> str:
    return subprocess.run(["pdftotext", "-enc", "UTF-8", *args, str(pdf), "-"], check=True,
                          capture_output=True, text=True).stdout
