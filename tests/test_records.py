"""Bad data rows: the message names the file, the row as the analyst sees it, the field and the value."""

from pathlib import Path

import openpyxl
import pytest

from reportgen.config import load_config
from reportgen.errors import DataError
from reportgen.periods import parse_period
from reportgen.records import RecordStore

HEADER = "month,channel,disposition,category_l1,category_l2,count\n"


@pytest.fixture
def cfg(project_copy):
    return load_config("annual", "2023", project_copy)


def _open(cfg, path: Path, as_of="2024-01"):
    return RecordStore.open([(path, None, None)], cfg.profile, cfg.taxonomy, as_of=as_of)


def _messages(cfg, path: Path) -> list[str]:
    with pytest.raises(DataError) as exc:
        _open(cfg, path)
    return exc.value.problems


def test_csv_rows_are_checked_with_spreadsheet_row_numbers(cfg, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    f = tmp_path / "r.csv"
    f.write_text(HEADER
                 + "2023-01,电话,派单,住房,小区配套,10\n"
                 + "2023-01,电话,派单,住房,小区配套,-3\n"
                 + "2023-13,电话,派单,住房,小区配套,5\n"
                 + "2023-02,传真,派单,住房,小区配套,5\n"
                 + "2023-02,电话,派单,住防,小区配套,5\n"
                 + "2023-02,电话,派单,住房,小区配奎,2.5\n", encoding="utf-8")
    assert _messages(cfg, f) == [
        "数据错误：文件 r.csv 第 3 行，字段 count（数量）的值 “-3” 不是正整数。件数不能为负数。请填写大于等于 1 的整数件数。",
        "数据错误：文件 r.csv 第 4 行，字段 month（受理月份）的值 “2023-13” 不是“年-月”格式。请写成 2023-07 这样的形式。",
        "数据错误：文件 r.csv 第 5 行，字段 channel（渠道）的值 “传真” 不在允许的取值中。应为：电话、网络。",
        "数据错误：文件 r.csv 第 6 行，字段 category_l1（一级分类）的值 “住防” 不是已知的一级分类。相近的名称：住房。",
        "数据错误：文件 r.csv 第 7 行，字段 count（数量）的值 “2.5” 不是正整数。件数不能有小数。请填写大于等于 1 的整数件数。",
        "数据错误：文件 r.csv 第 7 行，字段 category_l2（二级分类）的值 “小区配奎” 不是一级分类“住房”下的二级分类。相近的名称：小区配套。",
    ]


def test_missing_column_suggests_the_misspelt_one(cfg, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    f = tmp_path / "r.csv"
    f.write_text("month,channel,disposition,category_l1,cnt\n2023-01,电话,派单,住房,1\n", encoding="utf-8")
    assert _messages(cfg, f) == [
        "数据错误：文件 r.csv，缺少必需的列：count（数量）（是否是 “cnt”？）。现有的列：month、channel、disposition、category_l1、cnt。"
    ]


def test_xlsx_rows_name_the_sheet(cfg, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "2023年数据"
    ws.append(["month", "channel", "disposition", "category_l1", "category_l2", "count"])
    ws.append(["2023-01", "电话", "派单", "住房", "小区配套", 3])
    ws.append(["2023-01", "网络", "直接回复", "住房", "小区配套", 4])
    wb.save(tmp_path / "r.xlsx")
    assert _messages(cfg, tmp_path / "r.xlsx") == [
        "数据错误：文件 r.xlsx 工作表 “2023年数据” 第 3 行，字段 disposition（办理方式）的值 “直接回复” 不在允许的取值中。应为：派单、直接答复。"
    ]


def test_csv_parquet_and_xlsx_give_the_same_sums(cfg, tmp_path):
    rows = [("2023-01", "电话", "派单", "住房", "小区配套", 3), ("2023-02", "网络", "直接答复", "住房", "房屋修缮", 4),
            ("2023-02", "电话", "派单", "教育", "社会办学", 5)]
    (tmp_path / "r.csv").write_text(HEADER + "".join(",".join(map(str, r)) + "\n" for r in rows), encoding="utf-8")
    wb = openpyxl.Workbook()
    wb.active.append(HEADER.strip().split(","))
    for r in rows:
        wb.active.append(list(r))
    wb.save(tmp_path / "r.xlsx")
    import duckdb
    duckdb.execute(f"COPY (SELECT * FROM read_csv('{tmp_path / 'r.csv'}')) TO '{tmp_path / 'r.parquet'}'")
    year = parse_period("2023", 19)
    results = []
    for name in ("r.csv", "r.xlsx", "r.parquet"):
        store = _open(cfg, tmp_path / name)
        results.append(store.group(year, ("category_l1",)))
    # 教育/社会办学 before 2023-04 is counted as 社会培训机构 (the taxonomy change of config)
    assert results[0] == [{"category_l1": "住房", "count": 7}, {"category_l1": "社会培训机构", "count": 5}]
    assert results[0] == results[1] == results[2]


def test_taxonomy_change_applies_only_to_reports_of_its_time(cfg, tmp_path):
    (tmp_path / "r.csv").write_text(HEADER + "2022-05,电话,派单,教育,社会办学,5\n2022-05,电话,派单,教育,入学升学,2\n",
                                    encoding="utf-8")
    year = parse_period("2022", 19)
    new = _open(cfg, tmp_path / "r.csv", as_of="2024-01")     # the 2023 report compares like with like
    assert new.group(year, ("category_l1",)) == [
        {"category_l1": "教育", "count": 2}, {"category_l1": "社会培训机构", "count": 5}]
    old = _open(cfg, tmp_path / "r.csv", as_of="2023-01")     # the 2022 report keeps its own taxonomy
    assert old.group(year, ("category_l1",)) == [{"category_l1": "教育", "count": 7}]


def test_dates_give_assessment_periods(cfg, tmp_path):
    (tmp_path / "r.csv").write_text(
        "date,channel,disposition,category_l1,category_l2,count\n"
        "2023-08-18,电话,派单,住房,小区配套,1\n2023-08-19,电话,派单,住房,小区配套,10\n"
        "2023-09-18,电话,派单,住房,小区配套,100\n2023-09-19,电话,派单,住房,小区配套,1000\n", encoding="utf-8")
    store = _open(cfg, tmp_path / "r.csv")
    assert store.total(parse_period("2023-09K", 19)) == 110          # 2023-08-19 0:00 … 2023-09-19 0:00
    assert store.total(parse_period("2023-09", 19)) == 1100          # the calendar month
    assert store.group(parse_period("2023", 19), ("kmonth",)) == [
        {"kmonth": "2023-08", "count": 1}, {"kmonth": "2023-09", "count": 110}, {"kmonth": "2023-10", "count": 1000}]


def test_the_assessment_day_comes_from_the_profile(cfg, tmp_path):
    """A city whose 考核期 runs 20th to 20th: the profile says so, and the periods, the records' kmonth and the
    tickets' half-months follow it (nothing in the code knows the 19th)."""
    prof = cfg.profile.model_copy(update={"assessment_day": 20})
    (tmp_path / "r.csv").write_text(
        "date,channel,disposition,category_l1,category_l2,count\n"
        "2023-08-19,电话,派单,住房,小区配套,1\n2023-08-20,电话,派单,住房,小区配套,10\n"
        "2023-09-19,电话,派单,住房,小区配套,100\n2023-09-20,电话,派单,住房,小区配套,1000\n", encoding="utf-8")
    store = RecordStore.open([(tmp_path / "r.csv", None, None)], prof, cfg.taxonomy, as_of="2024-01")
    period = parse_period("2023-09K", 20)
    assert period.range_text == "2023年8月20日0时至2023年9月20日0时"
    assert store.total(period) == 110
    assert store.group(parse_period("2023", 20), ("kmonth",)) == [
        {"kmonth": "2023-08", "count": 1}, {"kmonth": "2023-09", "count": 110}, {"kmonth": "2023-10", "count": 1000}]
    tickets = tmp_path / "t.csv"
    tickets.write_text("received,channel,disposition,category_l1,category_l2\n"
                       "2023-09-19 23:59:59,电话,派单,住房,小区配套\n2023-09-20 00:00:00,电话,派单,住房,小区配套\n",
                       encoding="utf-8")
    store = RecordStore.open([(tickets, None, None)], prof, cfg.taxonomy, as_of="2024-01")
    assert store.total(parse_period("2023-09K", 20)) == 1
    assert store.total(parse_period("2023-10K", 20)) == 1
