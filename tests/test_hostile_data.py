"""Hostile and unlucky data (issue 17, inputs): every input is either read exactly or refused with the project's
Chinese message naming file, row, field and value — never a DuckDB or Python message, never a silent change."""

from __future__ import annotations


import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import reportgen.reports  # noqa: F401  (registers the section types, whose parameters load_config checks)
from reportgen.errors import ReportError
from reportgen.records.contract import MAX_COUNT

from .conftest import open_store, refused

HEADER = "month,channel,disposition,category_l1,category_l2,count\n"
ROW = "2023-01,电话,派单,住房,小区配套,{}\n"


# ─── 1. numbers ───────────────────────────────────────────────────────────────────────────────────
integer_text = st.one_of(
    st.integers(min_value=-(2**70), max_value=2**70).map(str),
    st.integers(min_value=2**53 - 3, max_value=2**53 + 3).map(str),
    st.integers(min_value=2**63 - 3, max_value=2**64 + 3).map(str),
    st.integers(min_value=0, max_value=10**12).map(lambda n: f"{n}.0"),
    st.integers(min_value=0, max_value=10**12).map(lambda n: f"00{n}"),
    st.integers(min_value=0, max_value=400).map(lambda e: f"1e{e}"),
    st.sampled_from(["inf", "-inf", "nan", "Infinity", "1E400", str(2**63), str(2**53 + 1), "１２"]),
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=integer_text)
def test_a_count_is_counted_exactly_or_refused_with_its_message(annual_cfg, tmp_path, text):
    f = tmp_path / "r.csv"
    f.write_text(HEADER + ROW.format(3) + ROW.format(text).replace("2023-01", "2023-02"), encoding="utf-8")
    try:
        store = open_store(annual_cfg, f)
    except ReportError as exc:
        msg = exc.problems[0]
        assert msg.startswith("数据错误：文件 ") and "r.csv 第 3 行，字段 count（数量）" in msg and f"“{text.strip()}”" in msg, msg
        return
    total = store.con.execute("SELECT sum(count) FROM records").fetchone()[0]
    value = int(text.replace(".0", "", 1) if text.endswith(".0") else text)
    assert 1 <= value <= MAX_COUNT and total == 3 + value, (text, total)


def test_counts_beyond_64_bits_and_2_pow_53_plus_1_are_refused_not_rounded(annual_cfg, tmp_path):
    for text in (str(2**53 + 1), str(2**63), str(2**64 + 1), "1e400", "inf"):
        f = tmp_path / "r.csv"
        f.write_text(HEADER + ROW.format(text), encoding="utf-8")
        [msg] = refused(annual_cfg, f)
        assert f"第 2 行，字段 count（数量）的值 “{text}”" in msg


def test_a_sum_beyond_what_is_exact_is_refused(annual_cfg, tmp_path, monkeypatch):
    import reportgen.records.store as store_mod

    monkeypatch.setattr(store_mod, "MAX_TOTAL", 10)       # the bound itself: 2**53-1, too many rows to test
    f = tmp_path / "r.csv"
    f.write_text(HEADER + ROW.format(6) + ROW.format(6).replace("2023-01", "2023-02"), encoding="utf-8")
    [msg] = refused(annual_cfg, f)
    assert "合计为 12 件" in msg


# ─── 2. files that cannot be read as they are ─────────────────────────────────────────────────────
def _rows(n: int) -> str:
    return "".join(ROW.format(i % 50 + 1).replace("2023-01", f"2023-{i % 12 + 1:02d}") for i in range(n))


def test_a_ragged_row_deep_in_a_large_csv_is_named_by_its_row(annual_cfg, tmp_path):
    f = tmp_path / "r.csv"
    f.write_text(HEADER + _rows(200_000) + "2023-03,电话,派单,住房,小区配套,5,多余\n" + _rows(10), encoding="utf-8")
    [msg] = refused(annual_cfg, f)
    assert "r.csv 第 200002 行有 7 个字段，比表头的 6 列多（多出的值 “多余”）" in msg
    assert "Error" not in msg and "Line" not in msg


def test_one_gbk_row_at_the_end_of_a_utf8_file_is_named_by_its_row(annual_cfg, tmp_path):
    gbk = "2023-03,电话,派单,住房,小区配套,5\n".encode("gbk")
    for n in (3, 200_000):              # in the first megabyte (the encoding is guessed there) and beyond it
        f = tmp_path / f"r{n}.csv"
        f.write_bytes((HEADER + _rows(n)).encode("utf-8") + gbk)
        [msg] = refused(annual_cfg, f)
        assert f"r{n}.csv 第 {n + 2} 行不是 UTF-8 编码，而它前面的行是" in msg, msg


def test_a_gbk_file_is_still_read_as_gbk(annual_cfg, tmp_path):
    f = tmp_path / "r.csv"
    f.write_bytes((HEADER + _rows(12)).encode("gbk"))
    assert open_store(annual_cfg, f).con.execute("SELECT count(*) FROM records").fetchone()[0] == 12


@pytest.mark.parametrize("kind", ["csv", "parquet", "xlsx"])
def test_a_data_file_removed_while_it_is_read_gets_the_message(annual_cfg, tmp_path, monkeypatch, kind):
    import pyarrow as pa
    import pyarrow.parquet as pq

    import reportgen.sources as sources

    f = tmp_path / f"r.{kind}"
    if kind == "csv":
        f.write_text(HEADER + _rows(3), encoding="utf-8")
    elif kind == "parquet":
        pq.write_table(pa.table({"month": ["2023-01"], "channel": ["电话"], "disposition": ["派单"],
                                 "category_l1": ["住房"], "category_l2": ["小区配套"], "count": [3]}), f)
    else:
        import openpyxl

        wb = openpyxl.Workbook()
        wb.active.append(HEADER.strip().split(","))
        wb.active.append(ROW.format(3).strip().split(","))
        wb.save(f)
    real = sources.detect_format

    def and_remove(path, declared):     # the file goes away after it was found, before it is read
        fmt = real(path, declared)
        path.unlink()
        return fmt

    monkeypatch.setattr(sources, "detect_format", and_remove)
    [msg] = refused(annual_cfg, f)
    assert "在读取过程中被删除或移走了" in msg and f"r.{kind}" in msg


def test_a_parquet_column_of_the_wrong_type_gets_the_row_message(annual_cfg, tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    base = {"channel": ["电话", "电话"], "disposition": ["派单", "派单"], "category_l1": ["住房", "住房"],
            "category_l2": ["小区配套", "小区配套"]}
    f = tmp_path / "r.parquet"
    pq.write_table(pa.table({**base, "month": ["2023-01", "2023-02"], "count": ["3", "abc"]}), f)
    assert "r.parquet 第 3 行，字段 count（数量）的值 “abc” 不是正整数" in refused(annual_cfg, f)[0]
    pq.write_table(pa.table({**base, "month": [202301, 202302], "count": [3, 4]}), f)
    assert "r.parquet 第 2 行，字段 month（受理月份）的值 “202301” 不是“年-月”格式" in refused(annual_cfg, f)[0]
    pq.write_table(pa.table({**base, "month": ["2023-01", "2023-02"], "count": [3.0, float("inf")]}), f)
    assert "r.parquet 第 3 行，字段 count（数量）的值 “inf” 不是正整数" in refused(annual_cfg, f)[0]


# ─── 3. duplicates across the sources of a report ─────────────────────────────────────────────────
def test_the_same_row_in_two_files_is_refused_naming_both(annual_cfg, tmp_path):
    a, b = tmp_path / "r2022.csv", tmp_path / "r2023.csv"
    a.write_text(HEADER + ROW.format(3).replace("2023-01", "2022-11") + ROW.format(4).replace("2023-01", "2022-12"),
                 encoding="utf-8")
    b.write_text(HEADER + ROW.format(4).replace("2023-01", "2022-12") + ROW.format(5), encoding="utf-8")
    [msg] = refused(annual_cfg, a, b)
    assert "r2023.csv 第 2 行，与文件" in msg and "r2022.csv 第 3 行完全相同" in msg, msg


def test_the_same_file_listed_twice_is_refused(annual_cfg, tmp_path):
    a = tmp_path / "r.csv"
    a.write_text(HEADER + ROW.format(3), encoding="utf-8")
    [msg] = refused(annual_cfg, a, tmp_path / "." / "r.csv")
    assert "在 sources 中列了两次（第 1 项与第 2 项）" in msg


def test_different_rows_in_two_files_are_counted(annual_cfg, tmp_path):
    a, b = tmp_path / "a.csv", tmp_path / "b.csv"
    a.write_text(HEADER + ROW.format(3), encoding="utf-8")
    b.write_text(HEADER + ROW.format(3).replace("2023-01", "2023-02"), encoding="utf-8")
    assert open_store(annual_cfg, a, b).con.execute("SELECT sum(count) FROM records").fetchone()[0] == 6
