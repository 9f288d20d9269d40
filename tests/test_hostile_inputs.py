"""Inputs that would change a report without a word (issue 17): the same ticket twice, rows outside the report's
months, month and date that disagree, a hidden sheet, timestamps with an offset, data paths outside the data
roots.  Each is refused with the project's message, or read exactly and said so."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import reportgen.reports  # noqa: F401  (registers the section types, whose parameters load_config checks)
from reportgen.config import load_config
from reportgen.config.load import display_path as S
from reportgen.errors import ReportError

from .conftest import open_store, refused

TICKETS = "ticket_id,received,channel,disposition,category_l1,category_l2\n"
TICKET = "{},{},电话,派单,住房,小区配套\n"


def by_bucket(store) -> dict[tuple[str, str], int]:
    return {(m, d): n for m, d, n in store.con.execute(
        "SELECT month, date, sum(count) FROM records GROUP BY 1, 2 ORDER BY 1, 2").fetchall()}


# ─── the same ticket twice ───────────────────────────────────────────────────────────────────────
def test_the_same_ticket_twice_in_a_ticket_file_is_refused(annual_cfg, tmp_path):
    f = tmp_path / "t.csv"
    f.write_text(TICKETS + TICKET.format("A1", "2023-07-01 08:00:00") + TICKET.format("A2", "2023-07-02 08:00:00")
                 + TICKET.format("A1", "2023-07-01 08:00:00"), encoding="utf-8")
    [msg] = refused(annual_cfg, f)
    assert msg == (f"数据错误：文件 {S(f)} 第 4 行，字段 ticket_id（工单编号）的值 “A1” 与第 2 行相同："
                   "同一张工单出现两次，会被计算两次。请删去重复的行。")


def test_the_same_ticket_in_two_ticket_files_is_refused_naming_both(annual_cfg, tmp_path):
    a, b = tmp_path / "a.csv", tmp_path / "b.csv"
    a.write_text(TICKETS + TICKET.format("X9", "2023-06-30 23:00:00"), encoding="utf-8")
    b.write_text(TICKETS + TICKET.format("Y1", "2023-07-01 08:00:00") + TICKET.format("X9", "2023-06-30 23:00:00"),
                 encoding="utf-8")
    [msg] = refused(annual_cfg, a, b)
    assert msg == (f"数据错误：文件 {S(b)} 第 3 行，字段 ticket_id（工单编号）的值 “X9” 与文件 {S(a)} 第 2 行相同："
                   "同一张工单出现两次，会被计算两次。请删去重复的行。")


def test_with_bad_rows_skip_the_second_ticket_is_left_out_and_kept(annual_cfg, tmp_path):
    f = tmp_path / "t.csv"
    f.write_text(TICKETS + TICKET.format("A1", "2023-07-01 08:00:00") + TICKET.format("A1", "2023-07-01 08:00:00"),
                 encoding="utf-8")
    store = open_store(annual_cfg, f, skip_bad=True)
    assert by_bucket(store) == {("2023-07", "2023-07-01"): 1}
    [reject] = store.rejects
    assert (reject.row, reject.values["ticket_id"]) == (3, "A1") and "同一张工单出现两次" in reject.reason


# ─── timestamps with an offset ────────────────────────────────────────────────────────────────────
OFFSET_FORMS = [("{}Z", 0), ("{}+00:00", 0), ("{} +0000", 0), ("{}+08:00", 8), ("{}-05:00", -5), ("{}", None)]


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(moment=st.datetimes(min_value=dt.datetime(2022, 1, 2), max_value=dt.datetime(2023, 12, 30)).map(
           lambda t: t.replace(microsecond=0)),
       form=st.sampled_from(OFFSET_FORMS))
def test_a_timestamp_with_an_offset_is_bucketed_by_its_beijing_time(annual_cfg, tmp_path, moment, form):
    """The month and the half-month (the 19th) of a ticket follow its local time in the profile's time zone."""
    pattern, hours = form
    f = tmp_path / "t.csv"
    f.write_text(TICKETS + TICKET.format("T1", pattern.format(moment.isoformat())), encoding="utf-8")
    local = moment if hours is None else moment - dt.timedelta(hours=hours) + dt.timedelta(hours=8)
    day = "19" if local.day >= 19 else "01"
    assert by_bucket(open_store(annual_cfg, f)) == {(f"{local:%Y-%m}", f"{local:%Y-%m}-{day}"): 1}


def test_a_utc_ticket_of_the_18th_evening_belongs_to_the_next_assessment_period(annual_cfg, tmp_path):
    f = tmp_path / "t.csv"
    f.write_text(TICKETS + TICKET.format("T1", "2023-07-18T17:00:00Z"), encoding="utf-8")
    assert by_bucket(open_store(annual_cfg, f)) == {("2023-07", "2023-07-19"): 1}


def test_a_parquet_timestamp_with_time_zone_is_read_as_beijing_time(annual_cfg, tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    f = tmp_path / "t.parquet"
    when = dt.datetime(2023, 7, 18, 16, 30, tzinfo=dt.timezone.utc)         # 00:30 on the 19th in Beijing
    pq.write_table(pa.table({"ticket_id": ["T1"], "received": pa.array([when], pa.timestamp("us", tz="UTC")),
                             "channel": ["电话"], "disposition": ["派单"], "category_l1": ["住房"],
                             "category_l2": ["小区配套"]}), f)
    assert by_bucket(open_store(annual_cfg, f)) == {("2023-07", "2023-07-19"): 1}


# ─── month and date ───────────────────────────────────────────────────────────────────────────────
def test_month_and_date_that_disagree_are_refused(annual_cfg, tmp_path):
    f = tmp_path / "r.csv"
    f.write_text("month,date,channel,disposition,category_l1,category_l2,count\n"
                 "2023-07,2023-07-19,电话,派单,住房,小区配套,3\n"
                 "2023-07,2023-08-19,电话,派单,住房,小区配套,2\n", encoding="utf-8")
    [msg] = refused(annual_cfg, f)
    assert msg == (f"数据错误：文件 {S(f)} 第 3 行，字段 month（受理月份）的值 “2023-07” 与字段 date（受理日期）的值 "
                   "“2023-08-19” 不在同一个月：该行会按月份计入一个月、按日期（考核期）计入另一个月。请改正其中之一。")


# ─── rows outside the report's months ────────────────────────────────────────────────────────────
def test_rows_outside_the_reports_months_are_not_counted_and_said_so(annual_cfg, tmp_path):
    f = tmp_path / "r.csv"
    f.write_text("month,channel,disposition,category_l1,category_l2,count\n"
                 "2023-12,电话,派单,住房,小区配套,3\n2024-01,电话,派单,住房,小区配套,2\n"
                 "2024-02,电话,派单,住房,小区配套,4\n", encoding="utf-8")
    store = open_store(annual_cfg, f)
    assert store.notices == [f"提示：文件 {S(f)} 中有 2 行（共 6 件）的受理月份为 2024-01 至 2024-02，不在本报告所读的期间"
                             "（2022-01 至 2023-12）内，未计入本报告。"]
    again = open_store(annual_cfg, f, cache=tmp_path / "cache")
    assert open_store(annual_cfg, f, cache=tmp_path / "cache").notices == again.notices == store.notices   # cached too


# ─── a hidden sheet ───────────────────────────────────────────────────────────────────────────────
def _workbook(path: Path, sheets: list[tuple[str, str, int]]) -> None:
    import openpyxl

    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for title, state, count in sheets:
        ws = wb.create_sheet(title)
        ws.sheet_state = state
        ws.append(["month", "channel", "disposition", "category_l1", "category_l2", "count"])
        ws.append(["2023-07", "电话", "派单", "住房", "小区配套", count])
    wb.save(path)


def test_a_hidden_sheet_is_never_chosen_over_a_visible_one(annual_cfg, tmp_path):
    f = tmp_path / "r.xlsx"
    _workbook(f, [("旧数据", "hidden", 999), ("2023年", "visible", 5)])
    assert by_bucket(open_store(annual_cfg, f)) == {("2023-07", None): 5}


def test_only_a_hidden_sheet_with_the_columns_is_refused_unless_named(annual_cfg, tmp_path):
    f = tmp_path / "r.xlsx"
    _workbook(f, [("说明", "visible", 0), ("数据", "hidden", 7)])
    from openpyxl import load_workbook

    wb = load_workbook(f)
    wb["说明"].delete_rows(1, 2)
    wb["说明"].append(["本工作簿的数据见另一张表"])
    wb.save(f)
    [msg] = refused(annual_cfg, f)
    assert msg == (f"数据错误：文件 {S(f)} 中表头相符的只有隐藏的工作表 “数据”，隐藏的工作表不会被自动选用。"
                   "若数据确在其中，请在期间文件的 sheet 中写明 “数据”，或在 Excel 中取消隐藏。")
    assert by_bucket(open_store(annual_cfg, f, sheet="数据")) == {("2023-07", None): 7}


# ─── data paths outside the data roots ───────────────────────────────────────────────────────────
@pytest.mark.parametrize("path", ["../../../../../../../etc/passwd", "/etc/shadow", "../streets.yaml/../../../../../../../../../../etc/shadow"])
def test_a_data_path_outside_the_data_roots_is_refused_and_nothing_of_it_is_echoed(project_copy, path):
    period = project_copy / "periods" / "annual-2023.yaml"
    text = period.read_text(encoding="utf-8")
    first = text.split("    - path: ", 1)[1].split("\n", 1)[0]
    period.write_text(text.replace(first, path, 1), encoding="utf-8")
    line = 1 + text[: text.index(first)].count("\n")
    run = subprocess.run([sys.executable, "-m", "reportgen.cli", "render", "annual", "--period", "2023", "--config",
                          str(project_copy), "--out", str(project_copy / "x.pdf")], capture_output=True, text=True)
    assert run.returncode == 2, run.stderr
    target = (period.parent / path).resolve()
    assert f"第 {line} 行，键 sources.records[0].path：“{path}” 指向 {S(target)}，在允许的数据文件夹之外" in run.stderr
    assert "root:" not in run.stderr and "Traceback" not in run.stderr and "内部错误" not in run.stderr


def test_a_symbolic_link_out_of_the_data_roots_is_refused(project_copy, tmp_path):
    link = project_copy / "periods" / "link.parquet"
    link.symlink_to("/etc/passwd")
    period = project_copy / "periods" / "annual-2023.yaml"
    text = period.read_text(encoding="utf-8")
    first = text.split("    - path: ", 1)[1].split("\n", 1)[0]
    period.write_text(text.replace(first, "link.parquet", 1), encoding="utf-8")
    with pytest.raises(ReportError) as exc:
        load_config("annual", "2023", project_copy)
    assert f"“link.parquet” 指向 {S(Path('/etc/passwd'))}，在允许的数据文件夹之外" in exc.value.problems[0]


def test_a_file_that_is_not_a_records_file_is_refused_without_echoing_it(annual_cfg, tmp_path):
    f = tmp_path / "secret.csv"
    f.write_text("root:x:0:0:root:/root:/bin/bash\ndaemon:x:1:1:daemon\n", encoding="utf-8")
    [msg] = refused(annual_cfg, f)
    assert "root:x" not in msg and "daemon" not in msg
    assert msg.startswith(f"数据错误：文件 {S(f)}，缺少必需的列：month（受理月份）、") and "不像是受理记录文件" in msg


def test_a_data_folder_outside_the_project_is_read_only_when_named_a_data_root(project_copy, tmp_path, monkeypatch):
    export = tmp_path / "export"
    export.mkdir()
    (export / "r.csv").write_text("month,channel,disposition,category_l1,category_l2,count\n", encoding="utf-8")
    period = project_copy / "periods" / "annual-2023.yaml"
    period.write_text(period.read_text(encoding="utf-8").replace("  records:\n", f"  records:\n    - path: {export}/r.csv\n", 1),
                      encoding="utf-8")
    monkeypatch.delenv("REPORTGEN_DATA_ROOTS")
    with pytest.raises(ReportError) as exc:
        load_config("annual", "2023", project_copy)
    assert f"“{export}/r.csv” 指向 {S(export / 'r.csv')}，在允许的数据文件夹之外" in exc.value.problems[0]
    monkeypatch.setenv("REPORTGEN_DATA_ROOTS", f"/nonexistent:{export}")
    assert load_config("annual", "2023", project_copy).period_file.sources["records"][0].path == f"{export}/r.csv"
