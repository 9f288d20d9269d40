"""A new edition's sample from its targets file alone: ``python -m data.sample records --targets FILE --year YEAR``
(data/sample/edition.py, the generic path).  The example edition (data/targets/annual-2024-example.yaml, invented
figures) is generated into a temporary folder; every figure of the file is recomputed here with plain DuckDB
group-by sums over the written records, rounded half-up as the reports round (万 with one decimal, percentages with
the file's places), and the records are opened through reportgen's RecordStore, which checks them against the
city's taxonomy, districts and units.

Any other targets file can be checked the same way (the refusal tests are the example's):

    SAMPLE_EDITION_TARGETS=data/targets/annual-2023.yaml .venv/bin/python -m pytest -q tests/test_sample_edition.py
"""

from __future__ import annotations

import os
import time
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from pathlib import Path

import duckdb
import pyarrow.parquet as pq
import pytest
import yaml

from data.sample import records as sample_records
from tests.test_sample_data import _check_fact      # the monthly fact rules of the built-in sample's tests

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "data" / "targets" / "annual-2024-example.yaml"
TARGETS_FILE = ROOT / os.environ.get("SAMPLE_EDITION_TARGETS", str(EXAMPLE))
T = yaml.safe_load(TARGETS_FILE.read_text(encoding="utf-8"))
YEAR, PREV = int(T["year"]), int(T["comparison_year"])
example_only = pytest.mark.skipif(TARGETS_FILE.resolve() != EXAMPLE.resolve(), reason="the example's own refusals")
WP, PP = T["precision"]["wan"], T["precision"]["pct"]
COLUMNS = ["month", "date", "channel", "disposition", "category_l1", "category_l2", "district", "street",
           "handler_level", "handler", "topic", "count"]


def _q(places: int) -> Decimal:
    return Decimal(1).scaleb(-places)


def wan(count: int) -> Decimal:
    return (Decimal(count) / 10000).quantize(_q(WP), ROUND_HALF_UP)


def pct(part: int, whole: int) -> Decimal:
    return (Decimal(part) / Decimal(whole) * 100).quantize(_q(PP), ROUND_HALF_UP)


def yoy(cur: int, prev: int) -> Decimal:
    return ((Decimal(cur) / Decimal(prev) - 1) * 100).quantize(_q(PP), ROUND_HALF_UP)


def D(text) -> Decimal:
    return Decimal(str(text))


@pytest.fixture(scope="module")
def generated(tmp_path_factory) -> tuple[Path, float]:
    out = tmp_path_factory.mktemp("edition")
    start = time.perf_counter()
    assert sample_records.main(["--targets", str(TARGETS_FILE), "--year", str(YEAR), "--out", str(out)]) == 0
    return out, time.perf_counter() - start


@pytest.fixture(scope="module")
def out(generated) -> Path:
    return generated[0]


@pytest.fixture(scope="module")
def db(out) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    for y in (YEAR, PREV):
        con.execute(f"CREATE VIEW r{y} AS SELECT * FROM read_parquet('{out / f'records-{y}.parquet'}')")
    con.execute(f"CREATE VIEW rall AS SELECT * FROM r{YEAR} UNION ALL SELECT * FROM r{PREV}")
    return con


def total(con, view: str, where: str = "TRUE") -> int:
    return int(con.execute(f"SELECT COALESCE(SUM(count), 0) FROM {view} WHERE {where}").fetchone()[0])


def sums(con, view: str, col: str, where: str = "TRUE") -> dict:
    return {k: int(v) for k, v in con.execute(f"SELECT {col}, SUM(count) FROM {view} WHERE {where} GROUP BY 1").fetchall()}


def q(s: str) -> str:
    return "'" + s.replace("'", "''") + "'"


# --- files and contract --------------------------------------------------------------------------------------

def test_files(generated):
    out, _seconds = generated          # the generator's time is a benchmark's matter, not a test's
    assert sorted(p.name for p in out.iterdir()) == [f"records-{PREV}.parquet", f"records-{YEAR}.csv",
                                                    f"records-{YEAR}.parquet"]


@pytest.mark.parametrize("year", [YEAR, PREV])
def test_contract_columns_and_rows(out, db, year):
    assert pq.read_schema(out / f"records-{year}.parquet").names == COLUMNS
    v = f"r{year}"
    assert total(db, v, "count < 1") == 0 and total(db, v, "street IS NOT NULL") == 0
    assert con_one(db, f"SELECT COUNT(*) FROM {v} WHERE month <> substr(date, 1, 7) OR substr(month, 1, 4) <> '{year}'") == 0
    assert con_one(db, f"SELECT COUNT(*) FROM {v} WHERE substr(date, 9) NOT IN ('01', '19')") == 0
    # 直接答复 rows have no unit and no topic; 派单 rows have a level, and a district exactly on district levels
    assert con_one(db, f"SELECT COUNT(*) FROM {v} WHERE disposition = '直接答复' AND (handler_level IS NOT NULL OR "
                       "district IS NOT NULL OR handler IS NOT NULL OR topic IS NOT NULL)") == 0
    assert con_one(db, f"SELECT COUNT(*) FROM {v} WHERE disposition = '派单' AND (handler_level IS NULL OR "
                       "(handler_level IN ('区级部门', '街乡镇')) <> (district IS NOT NULL) OR "
                       "(district IS NULL) <> (handler IS NOT NULL))") == 0
    key = ", ".join(COLUMNS[:-1])
    assert con_one(db, f"SELECT COUNT(*) FROM (SELECT {key} FROM {v} GROUP BY ALL HAVING COUNT(*) > 1)") == 0


def con_one(con, sql: str):
    return con.execute(sql).fetchone()[0]


def test_csv_is_the_parquet(out):
    import pandas as pd

    a = pd.read_parquet(out / f"records-{YEAR}.parquet")
    b = pd.read_csv(out / f"records-{YEAR}.csv", dtype=str, keep_default_na=False)
    assert len(a) == len(b) and int(b["count"].astype(int).sum()) == int(a["count"].sum())


def test_records_pass_reportgen_checks(out, annual_cfg):
    """Opened through reportgen's record store with the city's taxonomy, districts and units (KnownNames): the
    files are accepted without a rejected row, and the store's sums are ours."""
    from reportgen.periods import parse_period
    from reportgen.records import RecordStore
    from reportgen.records.contract import KnownNames

    files = [(out / f"records-{y}.parquet", None, None) for y in (YEAR, PREV)]
    store = RecordStore.open(files, annual_cfg.profile, annual_cfg.taxonomy, as_of=f"{YEAR + 1}-01",
                             known=KnownNames.of(ROOT / "config" / "beijing"), months=(f"{PREV}-01", f"{YEAR}-12"))
    assert store.rejects == []
    day = annual_cfg.profile.assessment_day
    assert wan(int(store.total(parse_period(str(YEAR), day)))) == D(T["total"]["wan"])
    for item in T.get("topics", {}).get("items", []):       # 每月一题 by assessment year, reportgen's own periods
        assert int(store.total(parse_period(f"{YEAR}K", day), {"topic": item["topic"]})) == item["total"]


# --- 一、总体情况 --------------------------------------------------------------------------------------------

def test_total(db):
    cur, prev = total(db, f"r{YEAR}"), total(db, f"r{PREV}")
    assert wan(cur) == D(T["total"]["wan"])
    assert yoy(cur, prev) == D(T["total"]["yoy_pct"])


@pytest.mark.parametrize("section,col", [("disposition", "disposition"), ("channel", "channel")])
def test_parts_of_the_total(db, section, col):
    whole, whole_prev = total(db, f"r{YEAR}"), total(db, f"r{PREV}")
    cur, prev = sums(db, f"r{YEAR}", col), sums(db, f"r{PREV}", col)
    assert set(cur) == set(T[section])
    for name, spec in T[section].items():
        assert wan(cur[name]) == D(spec["wan"]), name
        if "share_pct" in spec:
            assert pct(cur[name], whole) == D(spec["share_pct"]), name
        if "yoy_pct" in spec:
            assert yoy(cur[name], prev[name]) == D(spec["yoy_pct"]), name
        if "prev_share_pct" in spec:
            assert pct(prev[name], whole_prev) == D(spec["prev_share_pct"]), name


def test_top20(db):
    by = sums(db, f"r{YEAR}", "category_l1")
    ranked = sorted(by, key=lambda c: -by[c])
    top20 = ranked[:20]
    assert by[ranked[19]] > by[ranked[20]], "the 20th is ahead of the 21st"
    s = sum(by[c] for c in top20)
    assert wan(s) == D(T["top20"]["wan"]) and pct(s, total(db, f"r{YEAR}")) == D(T["top20"]["share_pct"])
    disp = sums(db, f"r{YEAR}", "category_l1", "disposition = '派单'")
    share = {c: Fraction(disp.get(c, 0), by[c]) for c in top20}
    order = sorted(top20, key=lambda c: -share[c])
    hi, lo = T["top20"]["highest_dispatch_share"], T["top20"]["highest_direct_answer_share"]
    assert order[:len(hi)] == hi and share[order[len(hi) - 1]] > share[order[len(hi)]]
    assert order[::-1][:len(lo)] == lo and share[order[-len(lo)]] < share[order[-len(lo) - 1]]
    assert len({share[c] for c in hi + lo}) == len(hi + lo), "no ties inside the two orderings"


# --- 二、top 10 with sub-categories and 同比 -------------------------------------------------------------------

def test_top10_order(db):
    by = sums(db, f"r{YEAR}", "category_l1")
    ranked = sorted(by, key=lambda c: -by[c])
    names = [e["l1"] for e in T["top10"]]
    assert ranked[:len(names)] == names
    values = [by[c] for c in ranked[:len(names) + 1]]
    assert all(a > b for a, b in zip(values, values[1:])), "strictly ordered, the last ahead of the next"


@pytest.mark.parametrize("e", T["top10"], ids=[e["l1"] for e in T["top10"]])
def test_top10_category(db, e):
    where = f"category_l1 = {q(e['l1'])}"
    cur, prev = total(db, f"r{YEAR}", where), total(db, f"r{PREV}", where)
    assert wan(cur) == D(e["wan"])
    assert yoy(cur, prev) == D(e["yoy_pct"])
    subs = sums(db, f"r{YEAR}", "category_l2", where)
    ranked = sorted(subs, key=lambda s: -subs[s])
    assert ranked[:5] == [n for n, _ in e["top5"]], "the five sub-categories in order"
    assert [str(wan(subs[n])) for n, _ in e["top5"]] == [v for _, v in e["top5"]]
    if len(ranked) > 5:
        assert subs[ranked[4]] > subs[ranked[5]], "the fifth ahead of the sixth"
    assert all(subs[a] > subs[b] for a, b in zip(ranked[:5], ranked[1:6])), "no ties in the top five"


# --- monthly facts ------------------------------------------------------------------------------------------

FACTS = [("monthly", f) for f in T["monthly"]] + [("shapes", f) for f in T["shapes"]]


@pytest.mark.parametrize("section,f", FACTS, ids=[f"{s}-{f.get('l2', f['l1'])}-{f['fact']}" for s, f in FACTS])
def test_monthly_fact(db, section, f):
    where = f"category_l1 = {q(f['l1'])}" + (f" AND category_l2 = {q(f['l2'])}" if "l2" in f else "")
    by = sums(db, f"r{YEAR}", "month", where)
    v = [by.get(f"{YEAR}-{m:02d}", 0) for m in range(1, 13)]
    _check_fact(f, v, WP)


# --- 四、handling units -------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def districts(db) -> dict[str, tuple[int, int]]:
    rows = db.execute(f"SELECT district, SUM(count), SUM(count) FILTER (WHERE handler_level = '街乡镇') FROM r{YEAR} "
                      "WHERE disposition = '派单' AND district IS NOT NULL GROUP BY 1").fetchall()
    return {d: (int(n), int(b or 0)) for d, n, b in rows}


def test_handling_totals(db, districts):
    h = T["handling"]
    assert wan(total(db, f"r{YEAR}", "disposition = '派单'")) == D(h["dispatched"]["wan"])
    assert set(total(db, f"r{YEAR}", f"disposition = '派单' AND handler_level = {q(lv)}") > 0
               for lv in h["levels"]) == {True}
    s = sum(n for n, _ in districts.values())
    b = sum(x for _, x in districts.values())
    assert len(districts) == 16
    assert wan(s) == D(h["districts_total"]["wan"])
    assert wan(b) == D(h["streets_total"]["wan"]) and pct(b, s) == D(h["streets_total"]["share_pct"])
    for key, pick in (("highest", max), ("lowest", min)):
        best = pick(n for n, _ in districts.values())
        assert [d for d, (n, _) in districts.items() if n == best] == [h[key]["district"]]
        n = districts[h[key]["district"]][0]
        assert wan(n) == D(h[key]["wan"]) and pct(n, s) == D(h[key]["share_pct"])


@pytest.mark.parametrize("r", T["handling"]["districts"], ids=[r["district"] for r in T["handling"]["districts"]])
def test_district_sentence(districts, r):
    s = sum(n for n, _ in districts.values())
    n, b = districts[r["district"]]
    assert wan(n) == D(r["wan"]) and pct(n, s) == D(r["share_pct"])
    assert wan(n - b) == D(r["区级部门"]["wan"]) and pct(n - b, n) == D(r["区级部门"]["share_pct"])
    assert wan(b) == D(r["街乡镇"]["wan"]) and pct(b, n) == D(r["街乡镇"]["share_pct"])


@pytest.mark.parametrize("key", ["city_departments", "state_enterprises"])
def test_city_ranking(db, key):
    spec = T["handling"][key]
    by = sums(db, f"r{YEAR}", "handler", f"disposition = '派单' AND handler_level = {q(spec['level'])}")
    order = sorted(by, key=lambda u: -by[u])
    named = [e["unit"] for e in spec["ranking"]] + spec.get("then", [])
    assert order[:len(named)] == named
    values = [by[u] for u in order[:len(named) + 1]]
    assert all(a > b for a, b in zip(values, values[1:]))
    for e in spec["ranking"]:
        assert wan(by[e["unit"]]) == D(e["wan"]), e["unit"]


# --- 每月一题 (by assessment period: the 19th of the month before to the 18th) ---------------------------------

KMONTH = ("CASE WHEN substr(date, 9) = '19' THEN strftime(CAST(date AS DATE) + INTERVAL 1 MONTH, '%Y-%m') "
          "ELSE substr(date, 1, 7) END")


def test_topic_table(db):
    t = T["topics"]
    by = sums(db, "rall", "topic", f"topic IS NOT NULL AND {KMONTH} BETWEEN '{YEAR}-01' AND '{YEAR}-12'")
    assert by == {x["topic"]: x["total"] for x in t["items"]}
    assert len(by) == t["count"] and wan(sum(by.values())) == D(t["wan"])
    assert sorted(by, key=lambda k: -by[k])[:3] == t["top3"]
    assert total(db, "rall", f"topic IS NOT NULL AND {KMONTH} > '{YEAR}-12'") == 0, "no topic rows of next year's table"


@pytest.mark.parametrize("item", T["topics"]["items"], ids=[x["topic"] for x in T["topics"]["items"]])
def test_topic_units(db, item):
    rows = db.execute(f"SELECT COALESCE(district, handler), SUM(count) FROM rall WHERE topic = {q(item['topic'])} "
                      f"AND {KMONTH} BETWEEN '{YEAR}-01' AND '{YEAR}-12' GROUP BY 1").fetchall()
    by = {u: int(n) for u, n in rows}
    order = sorted(by, key=lambda u: -by[u])
    assert [[u, by[u]] for u in order[:3]] == [list(x) for x in item["units"]]
    assert len(order) == 3 or by[order[2]] > by[order[3]]
    if "monthly" in item:                          # the chart's shape: the highest and the lowest periods
        months = sums(db, "rall", KMONTH, f"topic = {q(item['topic'])} AND {KMONTH} BETWEEN '{YEAR}-01' AND '{YEAR}-12'")
        v = [months.get(f"{YEAR}-{m:02d}", 0) for m in range(1, 13)]
        chart = item["monthly"]
        assert v.index(max(v)) in [i for i, x in enumerate(chart) if x == max(chart)]


# --- the command line and its refusals ------------------------------------------------------------------------

def _refusal(tmp_path, text: str, year: int = YEAR, *extra: str) -> str:
    f = tmp_path / "targets.yaml"
    f.write_text(text, encoding="utf-8")
    with pytest.raises(SystemExit) as exc:
        sample_records.main(["--targets", str(f), "--year", str(year), "--out", str(tmp_path / "out"), *extra])
    return str(exc.value)


@example_only
def test_inconsistent_figures_stop_naming_the_key(tmp_path):
    base = TARGETS_FILE.read_text(encoding="utf-8")
    # 派单 and 直接答复 must be 53.0 % and 47.0 %: 49.0 % cannot be
    msg = _refusal(tmp_path, base.replace('share_pct: "47.0"', 'share_pct: "49.0"'))
    assert "total / disposition / channel" in msg and '"49.0"' in msg and "targets.yaml" in msg
    # the comparison values the 同比 of 派单 and 直接答复 give cannot add up to one with −4.6 %
    msg = _refusal(tmp_path, base.replace('yoy_pct: "-4.7"', 'yoy_pct: "-4.6"'))
    assert "total / disposition / channel" in msg and '"-4.6"' in msg and "the 同比 ask for" in msg
    # a sub-category that is not in the taxonomy
    msg = _refusal(tmp_path, base.replace("[服务质量, \"2.2\"]", "[服务态度, \"2.2\"]"))
    assert "top10[0].top5" in msg and "服务态度" in msg
    # 3.1 万 of 5.4 万 is 57.4 %, not 67.4 %
    msg = _refusal(tmp_path, base.replace('区级部门: {wan: "3.1", share_pct: "57.4"}', '区级部门: {wan: "3.1", share_pct: "67.4"}'))
    assert "handling.districts[1]" in msg and "密云区" in msg and '"67.4"' in msg
    # the file's year is not --year
    assert "year = 2024" in _refusal(tmp_path, base, 2025)
    # a printed monthly peak the rest of the year would have to exceed
    msg = _refusal(tmp_path, base.replace('wan: ["3.9", "4.4"]', 'wan: ["1.9", "2.4"]')
                   .replace('month: 11, wan: "4.4"', 'month: 11, wan: "2.4"'))
    assert "monthly[0]" in msg and "网络交易" in msg


def test_targets_and_year_go_together(tmp_path):
    with pytest.raises(SystemExit, match="--targets and --year go together"):
        sample_records.main(["--year", str(YEAR), "--out", str(tmp_path)])


def test_the_built_in_files_are_not_overwritten():
    with pytest.raises(SystemExit, match="built-in"):
        sample_records.main(["--targets", str(TARGETS_FILE), "--year", str(YEAR)])
