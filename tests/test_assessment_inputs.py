"""The assessment tables through the one input layer (reportgen.sources, as the records): the office's real exports.

An .xlsx export with Chinese headers, a title row above the header and percent-formatted rate cells, and the same
tables saved as GBK CSV, render the 密云区 2023-09K brief with exactly the text of the Parquet sample
(tests/fixtures/golden/monthly-2023-09-密云区.txt).  Rates rounded too coarsely for the composite check get a
message saying how many decimals are needed; table kinds and columns come from assessment.yaml.
"""

from __future__ import annotations

import csv
import shutil
from decimal import Decimal as D
from pathlib import Path

import duckdb
import openpyxl
import pytest

from reportgen.assessment import decimals_needed, load_assessment, load_assessment_config, load_periods
from reportgen.assessment.scoring import Rates
from reportgen.config.load import load_model
from reportgen.config.models import Profile
from reportgen.errors import ConfigError, DataError

from .conftest import ROOT, assert_golden_text, pdftotext

GENERATED = ROOT / "data" / "generated" / "assessment"
PERIODS = ("2023-09K", "2023-08K")
TABLES = ("units", "districts", "city")
TITLE = {"units": "市级考评各单位诉求办理情况统计表", "districts": "市级考评各区诉求办理情况统计表",
         "city": "市级考评全市平均水平"}
RATES = ("response_rate", "resolve_rate", "satisfaction_rate")


def _rows(path: Path) -> tuple[list[str], list[tuple]]:
    rel = duckdb.sql(f"SELECT * FROM read_parquet('{path}')")
    return rel.columns, rel.fetchall()


def _chinese(table: str) -> dict[str, str]:
    """English column → its Chinese header (assessment.yaml's ``inputs``)."""
    return {k: c.name for k, c in load_assessment_config().columns(table).items()}


def _write_xlsx(src: Path, dst: Path, table: str) -> None:
    """As the office exports it: a title row, Chinese headers, rates as fractions in cells formatted ``0.00%``."""
    cols, rows = _rows(src)
    names = _chinese(table)
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "考评结果"
    ws.append([f"{TITLE[table]}（{src.stem.split('-', 1)[1]}）"])
    ws.append([names[c] for c in cols])
    for row in rows:
        cells = []
        for c, v in zip(cols, row):
            if isinstance(v, D):
                v = float(v / 100) if c in RATES else float(v)
            cells.append(v)
        ws.append(cells)
        for j, c in enumerate(cols, start=1):
            if c in RATES:
                ws.cell(ws.max_row, j).number_format = "0.00%"
    wb.save(dst)


def _write_gbk_csv(src: Path, dst: Path, table: str) -> None:
    """The same saved as CSV by a Chinese Excel: GBK, the title line, Chinese headers, rates with their % sign."""
    cols, rows = _rows(src)
    names = _chinese(table)
    with dst.open("w", encoding="gbk", newline="") as f:
        w = csv.writer(f)
        w.writerow([f"{TITLE[table]}（{src.stem.split('-', 1)[1]}）"] + [""] * (len(cols) - 1))
        w.writerow([names[c] for c in cols])
        for row in rows:
            w.writerow(["" if v is None else f"{v}%" if c in RATES else str(v) for c, v in zip(cols, row)])


@pytest.fixture(scope="module")
def exports(tmp_path_factory) -> dict[str, Path]:
    if not all((GENERATED / f"{t}-{p}.parquet").is_file() for t in TABLES for p in PERIODS):
        pytest.skip("data/generated/assessment not generated")
    out = {}
    for fmt, write in (("xlsx", _write_xlsx), ("csv", _write_gbk_csv)):
        folder = tmp_path_factory.mktemp(f"assessment-{fmt}")
        for t in TABLES:
            for p in PERIODS:
                write(GENERATED / f"{t}-{p}.parquet", folder / f"{t}-{p}.{fmt}", t)
        out[fmt] = folder
    return out


def _config_reading(folder: Path, tmp: Path) -> Path:
    """A copy of the city folder whose monthly-2023-09 period file reads the assessment tables from ``folder``."""
    dst = tmp / "config"
    shutil.copytree(ROOT / "config", dst)
    period = dst / "beijing" / "periods" / "monthly-2023-09.yaml"
    text = period.read_text(encoding="utf-8")
    assert "    - path: ../../../data/generated/assessment\n" in text
    period.write_text(text.replace("../../../data/generated/assessment", str(folder)), encoding="utf-8")
    return dst / "beijing"


def test_the_exports_hold_what_the_office_sends(exports):
    ws = openpyxl.load_workbook(exports["xlsx"] / "units-2023-09K.xlsx")["考评结果"]
    assert ws["A1"].value.startswith("市级考评各单位") and ws["A2"].value == "考核期" and ws["H2"].value == "响应率"
    assert ws["H3"].number_format == "0.00%" and 0 < ws["H3"].value <= 1
    raw = (exports["csv"] / "districts-2023-09K.csv").read_bytes()
    with pytest.raises(UnicodeDecodeError):
        raw.decode("utf-8")
    assert raw.decode("gbk").splitlines()[1].startswith("考核期,区,纳入考评数,响应率")


@pytest.mark.parametrize("fmt", ["xlsx", "csv"])
def test_the_exports_load_the_same_rows_as_the_parquet_sample(exports, fmt):
    districts = [d.name for d in load_model(ROOT / "config" / "beijing" / "profile.yaml", Profile)[0].districts]
    parquet = load_periods(GENERATED, PERIODS, known_districts=districts)
    other = load_periods(exports[fmt], PERIODS, known_districts=districts)
    assert other.units == parquet.units and other.districts == parquet.districts and other.city == parquet.city
    assert len(other.units) > 1000
    first = other.units[0]
    assert first.source.endswith(f"/units-2023-09K.{fmt}") and first.row == 3     # title row 1, header row 2


@pytest.mark.parametrize("fmt", ["xlsx", "csv"])
def test_the_brief_from_the_exports_has_the_text_of_the_parquet_sample(exports, fmt, tmp_path):
    from reportgen.pipeline import build
    from reportgen.publish import render_to_pdf

    config = _config_reading(exports[fmt], tmp_path)
    out = tmp_path / "密云区.pdf"
    render_to_pdf(build("monthly", "2023-09", config_dir=config, district="密云区"), out)
    assert_golden_text(out, "monthly-2023-09-密云区")


# --- rates rounded too coarsely -----------------------------------------------------------------------
DISTRICT_HEADER = "period,district,counted,response_rate,resolve_rate,satisfaction_rate,bonus,composite\n"


def test_rates_rounded_too_coarsely_say_how_many_decimals_are_needed(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    # the city's rates 100 / 95.0049 / 94.9849 give 95.4964… → 95.50; rounded to two decimals they give 95.492 →
    # 95.49; with three decimals (95.004, 94.984) the printed 95.50 is reached again
    (tmp_path / "d.csv").write_text(DISTRICT_HEADER + "2023-09K,密云区,12382,100.00,95.00,94.98,,95.50\n"
                                    # off by far more than rounding: the plain message
                                    + "2023-09K,延庆区,5880,99.96,94.29,94.94,,95.21\n", encoding="utf-8")
    # the 密云 row of the sample with its rates rounded to one decimal: 95.20 instead of the city's 95.21
    (tmp_path / "d1.csv").write_text(DISTRICT_HEADER + "2023-09K,密云区,12382,100.0,94.3,94.9,0.09,95.21\n",
                                     encoding="utf-8")
    with pytest.raises(DataError) as exc:
        load_assessment([], [tmp_path / "d.csv", tmp_path / "d1.csv"])
    weights = "（0.1×响应率＋0.5×解决率＋0.4×满意率＋加分项）不符"
    assert exc.value.problems == [
        f"数据错误：文件 d.csv 第 2 行，字段 composite（综合成绩）的值 “95.50” 与按权重计算的 95.49{weights}："
        "表中的响应率、解决率、满意率只保留了 2 位小数，而综合成绩是按未舍入的比率计算的，2 位小数的比率算不出它。"
        "请提供至少保留 3 位小数的响应率、解决率、满意率（考评系统导出的原值；Excel 另存为 CSV 只保留单元格显示的位数，"
        "可直接使用 .xlsx 文件）。",
        f"数据错误：文件 d.csv 第 3 行，字段 composite（综合成绩）的值 “95.21” 与按权重计算的 95.12{weights}。",
        f"数据错误：文件 d1.csv 第 2 行，字段 composite（综合成绩）的值 “95.21” 与按权重计算的 95.20{weights}："
        "表中的响应率、解决率、满意率只保留了 1 位小数，而综合成绩是按未舍入的比率计算的，1 位小数的比率算不出它。"
        "请提供至少保留 2 位小数的响应率、解决率、满意率（考评系统导出的原值；Excel 另存为 CSV 只保留单元格显示的位数，"
        "可直接使用 .xlsx 文件）。",
    ]


def test_decimals_needed_is_computed_from_the_figures():
    w = load_assessment_config().weights
    # one decimal: 100.0 / 94.3 / 94.9 + 0.09 → 95.20, printed 95.21: two decimals (94.30 → 94.31 …) reach it
    assert decimals_needed(Rates(D("100.0"), D("94.3"), D("94.9")), 1, D("0.09"), w, D("95.21")) == 2
    assert decimals_needed(Rates(D(100), D("95.00"), D("94.98")), 2, None, w, D("95.50")) == 3
    # 0.09 apart with two decimals: no rounding explains it
    assert decimals_needed(Rates(D("99.96"), D("94.29"), D("94.94")), 2, None, w, D("95.21")) is None
    # a rate of 100.00 cannot have been rounded up from above 100
    assert decimals_needed(Rates(D(100), D(100), D(100)), 2, None, w, D("100.01")) is None
    assert decimals_needed(Rates(D(0), D("0.00"), D("0.01")), 2, None, w, D("0.01")) == 3


# --- the scheme comes from assessment.yaml ----------------------------------------------------------
def test_table_kinds_and_headers_come_from_assessment_yaml(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    text = (ROOT / "config" / "beijing" / "assessment.yaml").read_text(encoding="utf-8")
    text = text.replace("\n# 部门分类", "  网格派单:\n    key: grid\n    unit_type: 街乡镇\n    caption: 网格表\n"
                        "    note: 网格{{ composite }}\n\n# 部门分类", 1)
    text = text.replace("unit: {name: 单位, aliases: [单位名称]", "unit: {name: 单位, aliases: [单位名称, 街乡镇名称]", 1)
    (tmp_path / "assessment.yaml").write_text(text, encoding="utf-8")
    cfg = load_assessment_config(tmp_path)
    assert list(cfg.tables)[-1] == "网格派单" and "composite_grid" in cfg.columns("districts")
    (tmp_path / "u.csv").write_text("考核期,区,街乡镇名称,单位类型,部门分类,表种,纳入考评数,响应率,解决率,满意率,加分项,市级排名\n"
                                    "2023-09K,密云区,檀营地区,街乡镇,,网格派单,133,100%,99.18%,100%,—,\n",
                                    encoding="utf-8")
    asm = load_assessment(tmp_path / "u.csv", config=cfg)
    assert [(u.unit, u.table, u.composite) for u in asm.units] == [("檀营地区", "网格派单", D("99.59"))]


def test_an_input_table_must_declare_every_column_the_loader_reads(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    text = (ROOT / "config" / "beijing" / "assessment.yaml").read_text(encoding="utf-8")
    text = text.replace("    bonus: {name: 加分项, type: number}\n", "", 1)
    (tmp_path / "assessment.yaml").write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as exc:
        load_assessment_config(tmp_path / "assessment.yaml")
    assert exc.value.problems[0].endswith("键 inputs：units 表缺少列 bonus 的说明。")


# --- bad_rows: skip ----------------------------------------------------------------------------------------

def test_bad_rows_skip_leaves_a_bad_assessment_row_out_and_keeps_it(tmp_path, monkeypatch):
    """The same ``bad_rows: skip`` as the records: a bad row of the units table is left out, reported with its
    reasons in the rejects file, and said at the report's end; with ``stop`` (the default) it refuses."""
    from reportgen.pipeline import build
    from reportgen.publish import rejects_path, render_to_pdf

    monkeypatch.chdir(tmp_path)
    folder = tmp_path / "asm"
    shutil.copytree(GENERATED, folder)
    units = folder / "units-2023-09K.parquet"
    duckdb.sql(f"COPY (SELECT * FROM read_parquet('{units}')) TO '{folder / 'units-2023-09K.csv'}' (HEADER)")
    units.unlink()
    lines = (folder / "units-2023-09K.csv").read_text(encoding="utf-8").splitlines()
    bad = next(i for i, line in enumerate(lines) if ",延庆区," in line)
    cells = lines[bad].split(",")
    col = lines[0].split(",").index("resolve_rate")
    cells[col] = "九十"
    lines[bad] = ",".join(cells)
    (folder / "units-2023-09K.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    config = _config_reading(folder, tmp_path)
    with pytest.raises(DataError) as exc:
        build("monthly", "2023-09", config_dir=config, district="密云区")
    assert exc.value.problems == [f"数据错误：文件 asm/units-2023-09K.csv 第 {bad + 1} 行，字段 resolve_rate（解决率）"
                                  "的值 “九十” 不是数字。比率以百分数填写，如 95.00（可带 %）。"]
    period = config / "periods" / "monthly-2023-09.yaml"
    period.write_text(period.read_text(encoding="utf-8") + "bad_rows: skip\n", encoding="utf-8")
    built = build("monthly", "2023-09", config_dir=config, district="密云区")
    assert built.doc.notices[-1] == ("考评表中有 1 行不合格，已按期间文件的 bad_rows: skip 不计入；明细写在报告旁的 "
                                     ".rejects.csv 中。")
    out = render_to_pdf(built, tmp_path / "密云区.pdf")
    text = pdftotext(out).replace("\n", "")
    assert "说明：考评表中有1行不符合要求，未计入本报告的统计" in text
    rejects = rejects_path(out).read_text(encoding="utf-8-sig").splitlines()
    assert rejects[0].startswith("文件,行,原因,period,district,")
    assert rejects[1].startswith(f"asm/units-2023-09K.csv,{bad + 1},字段 resolve_rate（解决率）的值 “九十” 不是数字。比率以百分数填写，如 95.00（可带 %）。,"
                                 "2023-09K,延庆区,")
