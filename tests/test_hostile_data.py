"""Hostile and unlucky data (issue 17, inputs): every input is either read exactly or refused with the project's
Chinese message naming file, row, field and value — never a DuckDB or Python message, never a silent change."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import reportgen.reports  # noqa: F401  (registers the section types, whose parameters load_config checks)
from reportgen.config import load_config
from reportgen.errors import ReportError
from reportgen.records import RecordStore
from reportgen.records.contract import MAX_COUNT

from .conftest import ROOT

HEADER = "month,channel,disposition,category_l1,category_l2,count\n"
ROW = "2023-01,电话,派单,住房,小区配套,{}\n"


@pytest.fixture(scope="module")
def cfg():
    return load_config("annual", "2023", ROOT / "config" / "beijing")


def open_store(cfg, *files, **kw):
    return RecordStore.open([(Path(f), None, None) for f in files], cfg.profile, cfg.taxonomy, as_of="2024-01",
                            months=kw.pop("months", ("2022-01", "2023-12")), **kw)


def refused(cfg, *files, **kw) -> list[str]:
    with pytest.raises(ReportError) as exc:
        open_store(cfg, *files, **kw)
    msgs = list(exc.value.problems)
    assert msgs and all(m.startswith("数据错误：") and "内部错误" not in m for m in msgs), msgs
    return msgs


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
def test_a_count_is_counted_exactly_or_refused_with_its_message(cfg, tmp_path, text):
    f = tmp_path / "r.csv"
    f.write_text(HEADER + ROW.format(3) + ROW.format(text).replace("2023-01", "2023-02"), encoding="utf-8")
    try:
        store = open_store(cfg, f)
    except ReportError as exc:
        msg = exc.problems[0]
        assert msg.startswith("数据错误：文件 ") and "r.csv 第 3 行，字段 count（数量）" in msg and f"“{text.strip()}”" in msg, msg
        return
    total = store.con.execute("SELECT sum(count) FROM records").fetchone()[0]
    value = int(text.replace(".0", "", 1) if text.endswith(".0") else text)
    assert 1 <= value <= MAX_COUNT and total == 3 + value, (text, total)


def test_counts_beyond_64_bits_and_2_pow_53_plus_1_are_refused_not_rounded(cfg, tmp_path):
    for text in (str(2**53 + 1), str(2**63), str(2**64 + 1), "1e400", "inf"):
        f = tmp_path / "r.csv"
        f.write_text(HEADER + ROW.format(text), encoding="utf-8")
        [msg] = refused(cfg, f)
        assert f"第 2 行，字段 count（数量）的值 “{text}”" in msg


def test_a_sum_beyond_what_is_exact_is_refused(cfg, tmp_path, monkeypatch):
    import reportgen.records.store as store_mod

    monkeypatch.setattr(store_mod, "MAX_TOTAL", 10)       # the bound itself: 2**53-1, too many rows to test
    f = tmp_path / "r.csv"
    f.write_text(HEADER + ROW.format(6) + ROW.format(6).replace("2023-01", "2023-02"), encoding="utf-8")
    [msg] = refused(cfg, f)
    assert "合计为 12 件" in msg
