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


def copy_config(dst: Path) -> Path:
    """config/ copied to ``dst`` with its period files (and templates) still pointing at the sample data, and
    the sample data's folder named a data root of the copy: the city folder of the copy is returned."""
    shutil.copytree(ROOT / "config", dst)
    periods = dst / "beijing" / "periods"
    for f in [*periods.glob("*.yaml"), *(periods / "templates").glob("*.yaml")]:
        f.write_text(f.read_text(encoding="utf-8").replace("../../../data/", f"{ROOT}/data/"), encoding="utf-8")
    profile = dst / "beijing" / "profile.yaml"        # the data stays where it is: its folder is a data root
    text = profile.read_text(encoding="utf-8")
    assert "data_roots: [../../data]" in text
    profile.write_text(text.replace("data_roots: [../../data]", f"data_roots: ['{ROOT}/data']"), encoding="utf-8")
    return dst / "beijing"


@pytest.fixture
def project_copy(tmp_path: Path) -> Path:
    """A copy of config/ (to break on purpose) whose period file still points at the sample data."""
    return copy_config(tmp_path / "config")


@pytest.fixture(scope="session")
def annual_cfg():
    """The annual 2023 configuration of config/beijing, read once (tests that open record stores of their own)."""
    import reportgen.reports  # noqa: F401  (registers the section types, whose parameters load_config checks)
    from reportgen.config import load_config

    return load_config("annual", "2023", ROOT / "config" / "beijing")


def open_store(cfg, *files, **kw):
    """A record store of ``files`` (paths) with the profile and taxonomy of ``cfg``, over 2022-01 to 2023-12."""
    from reportgen.records import RecordStore

    return RecordStore.open([(Path(f), None, kw.pop("sheet", None)) for f in files], cfg.profile, cfg.taxonomy,
                            as_of="2024-01", months=kw.pop("months", ("2022-01", "2023-12")), **kw)


def refused(cfg, *files, **kw) -> list[str]:
    """The messages with which opening a store of ``files`` is refused: each the project's 数据错误, none internal."""
    from reportgen.errors import ReportError

    with pytest.raises(ReportError) as exc:
        open_store(cfg, *files, **kw)
    msgs = list(exc.value.problems)
    assert msgs and all(m.startswith("数据错误：") and "内部错误" not in m for m in msgs), msgs
    return msgs


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


def fill_template(xlsx: Path, parquet: Path, period: str) -> None:
    """An assessment template made by ``reportgen init`` filled in as an analyst does: the office's figures
    typed in under its Chinese headers (the rows of ``parquet``, e.g. the sample's 2023-09K, as ``period``'s)."""
    import duckdb
    from openpyxl import load_workbook

    from reportgen.assessment.models import load_assessment_config

    table = xlsx.name.split("-")[0]
    cols = load_assessment_config(ROOT / "config" / "beijing").columns(table)
    wb = load_workbook(xlsx)
    ws = wb.worksheets[0]
    header = [c.value for c in ws[1]]
    key_of = {c.name: k for k, c in cols.items()}
    rel = duckdb.sql(f"SELECT * FROM read_parquet('{parquet}')")
    names = rel.columns
    for rec in rel.fetchall():
        row = dict(zip(names, rec))
        row["period"] = period
        ws.append([None if row.get(key_of[h]) is None else str(row[key_of[h]]) for h in header])
    wb.save(xlsx)
