"""``reportgen init`` (issue 20, item 3): a new user's flow — init a district's brief for a new period, fill the
Excel templates it made, render once — and the messages that point the way when something is missing."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest
from openpyxl import load_workbook

from .conftest import ROOT, copy_config, fill_template, pdftotext

REPORTGEN = [sys.executable, "-m", "reportgen.cli"]
SAMPLE = ROOT / "data" / "generated" / "assessment"


def run(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    return subprocess.run([*REPORTGEN, *args], capture_output=True, text=True, cwd=cwd)


@pytest.fixture
def office(tmp_path: Path) -> tuple[Path, Path]:
    """A copy of config/ whose monthly template reads the office's own export folder, which holds last period's
    tables (2023-09K) only."""
    city = copy_config(tmp_path / "config")
    data = tmp_path / "export"
    data.mkdir()
    for f in SAMPLE.glob("*-2023-09K.parquet"):
        shutil.copy(f, data)
    template = city / "periods" / "templates" / "monthly.yaml"
    text = template.read_text(encoding="utf-8")
    template.write_text(text.replace(f"path: {ROOT}/data/generated/assessment", f"path: {data}"), encoding="utf-8")
    return city, data


def test_init_fill_render_gives_the_brief(office, tmp_path):
    city, data = office
    made = run("init", "monthly", "--period", "2023-10", "--district", "朝阳区", "--config", str(city))
    assert made.returncode == 0, made.stderr
    lines = made.stdout.splitlines()
    assert any(line.endswith("periods/monthly-2023-10.yaml") and line.startswith("已生成：") for line in lines)
    assert any(line.endswith("periods/monthly-2023-10/朝阳区/brief.yaml") for line in lines)
    assert sorted(p.name for p in data.glob("*-2023-10K.xlsx")) == ["city-2023-10K.xlsx", "districts-2023-10K.xlsx",
                                                                   "units-2023-10K.xlsx"]
    assert "接下来：" in lines
    units = load_workbook(data / "units-2023-10K.xlsx")
    assert units.sheetnames == ["各单位考评表", "填写说明"]
    assert [c.value for c in units["各单位考评表"][1]][:4] == ["考核期", "区", "单位", "单位类型"]
    assert units["各单位考评表"].max_row == 1                      # no example row among the data
    guide = [[c.value for c in row] for row in units["填写说明"].iter_rows(min_row=2, max_row=2)]
    assert guide == [["考核期", "考核期（如 2023-10K）", "必填", "2023-10K"]]
    # not filled in yet: the render says so, file by file
    empty = run("render", "monthly", "--period", "2023-10", "--district", "朝阳区", "--config", str(city),
                "--out", str(tmp_path / "b.pdf"))
    assert empty.returncode == 2 and "units-2023-10K.xlsx 工作表 “各单位考评表”，只有表头，没有数据行。" in empty.stderr
    for name in ("units", "districts", "city"):
        fill_template(data / f"{name}-2023-10K.xlsx", SAMPLE / f"{name}-2023-09K.parquet", "2023-10K")
    out = tmp_path / "朝阳区.pdf"
    done = run("render", "monthly", "--period", "2023-10", "--district", "朝阳区", "--config", str(city), "--out", str(out))
    assert done.returncode == 0, done.stderr
    # the same figures as the sample's 2023-09K, one period later: the October brief prints them
    sep = run("render", "monthly", "--period", "2023-09", "--district", "朝阳区", "--out", str(tmp_path / "sep.pdf"))
    assert sep.returncode == 0, sep.stderr
    text = pdftotext(out)
    requests = duckdb.sql(f"SELECT requests FROM read_parquet('{SAMPLE}/districts-2023-09K.parquet') "
                          "WHERE district = '朝阳区'").fetchall()[0][0]
    assert "10月“接诉即办”考核期工作情况分析" in text and f"{requests}件" in text.replace("\n", "")
    # its 环比 compares with 2023-09K (the export's last period): the September figures in the denominator
    assert "2023年9月19日0时至2023年10月19日0时" in text.replace("\n", "").replace(" ", "")


def test_missing_previous_tables_are_an_error_unless_the_period_file_says_otherwise(office, tmp_path):
    city, data = office
    for f in data.glob("*-2023-09K.parquet"):
        f.unlink()
    assert run("init", "monthly", "--period", "2023-10", "--district", "朝阳区", "--config", str(city)).returncode == 0
    for name in ("units", "districts", "city"):
        fill_template(data / f"{name}-2023-10K.xlsx", SAMPLE / f"{name}-2023-09K.parquet", "2023-10K")
    out = tmp_path / "b.pdf"
    r = run("render", "monthly", "--period", "2023-10", "--district", "朝阳区", "--config", str(city), "--out", str(out))
    assert r.returncode == 2
    assert r.stderr.startswith("数据错误：上一考核期 2023-09K 的考评表不全，缺少 ") and "without_previous: true" in r.stderr
    period = city / "periods" / "monthly-2023-10.yaml"
    period.write_text(period.read_text(encoding="utf-8") + "without_previous: true\n", encoding="utf-8")
    r = run("render", "monthly", "--period", "2023-10", "--district", "朝阳区", "--config", str(city), "--out", str(out))
    assert r.returncode == 0, r.stderr


def test_a_calendar_month_where_the_brief_needs_an_assessment_period_is_named(office):
    city, _ = office
    period = city / "periods" / "monthly-2023-09.yaml"
    period.write_text(period.read_text(encoding="utf-8").replace("period: 2023-09K", "period: 2023-09"), encoding="utf-8")
    r = run("render", "monthly", "--period", "2023-09", "--district", "密云区", "--config", str(city))
    assert r.returncode == 2
    assert r.stderr.strip().endswith("第 3 行，键 period：报告 monthly 按考核期生成，应写 “2023-09K”（上月 19 日 0 时至本月 "
                                     "19 日 0 时），实际为 “2023-09”。"), r.stderr


def test_a_missing_period_file_points_to_init(office):
    city, _ = office
    r = run("render", "monthly", "--period", "2023-11", "--district", "密云区", "--config", str(city))
    assert r.returncode == 2 and "monthly-2023-11.yaml（报告 monthly，期间 2023-11）。新的一期可用 reportgen init monthly " \
                                 "--period 2023-11 --district 区名 生成（含数据模板）。" in r.stderr


def test_init_never_overwrites_and_refuses_an_unknown_district(office):
    city, data = office
    assert run("init", "monthly", "--period", "2023-10", "--district", "朝阳区", "--config", str(city)).returncode == 0
    period = city / "periods" / "monthly-2023-10.yaml"
    period.write_text(period.read_text(encoding="utf-8") + "# 分析人员改过\n", encoding="utf-8")
    again = run("init", "monthly", "--period", "2023-10", "--district", "朝阳区", "--config", str(city))
    assert again.returncode == 0 and "已存在，未改动：" in again.stdout and "# 分析人员改过" in period.read_text(encoding="utf-8")
    bad = run("init", "monthly", "--period", "2023-10", "--district", "朝阳", "--config", str(city))
    assert bad.returncode == 2 and "区 “朝阳” 不在" in bad.stderr and "是否想写 “朝阳区”？" in bad.stderr


def test_init_city_makes_a_folder_that_loads(tmp_path):
    from reportgen.config.load import load_model
    from reportgen.config.models import Profile, Taxonomy

    city = copy_config(tmp_path / "config")
    r = run("init", "city", "某市", "--config", str(city))
    assert r.returncode == 0, r.stderr
    new = city.parent / "某市"
    profile, _ = load_model(new / "profile.yaml", Profile)
    assert profile.city == "某市" and [d.name for d in profile.districts] == ["示例区"]
    load_model(new / "taxonomy.yaml", Taxonomy)
    assert (new / "periods" / "templates" / "monthly.yaml").is_file()
    again = run("init", "city", "某市", "--config", str(city))
    assert again.returncode == 2 and "已存在" in again.stderr
