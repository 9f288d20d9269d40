"""The sample records reproduce every published figure of the 2023 annual report (sections 一, 二
and 四) and of the 2022 annual report (sections 一, 二 and 三, with its 同比 against 2021), and the
shapes of section 三 of the 2023 report (data/targets/annual-{2022,2023}.yaml).

The data is generated into a temporary folder by data/sample/records.py; every figure is a
DuckDB group-by sum over the Parquet files, rounded half-up from exact values as the reports do.
每月一题 figures are counted by assessment period (考核期: the 19th of the month before to the
18th), across the two files the period spans.
"""

from __future__ import annotations

import re
import time
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import duckdb
import pandas as pd
import pyarrow.parquet as pq
import pytest
import yaml

from data.sample import records as generate_sample     # the repository root is on sys.path (tests/ is a package)

ROOT = Path(__file__).resolve().parents[1]
TARGETS = {y: yaml.safe_load((ROOT / "data" / "targets" / f"annual-{y}.yaml").read_text(encoding="utf-8"))
           for y in (2022, 2023)}
TAXONOMY = yaml.safe_load((ROOT / "config" / "beijing" / "taxonomy.yaml").read_text(encoding="utf-8"))
PROFILE = yaml.safe_load((ROOT / "config" / "beijing" / "profile.yaml").read_text(encoding="utf-8"))
UNITS = yaml.safe_load((ROOT / "config" / "beijing" / "units.yaml").read_text(encoding="utf-8"))
DISTRICTS = [d["name"] for d in PROFILE["districts"]]
T22, T23 = TARGETS[2022], TARGETS[2023]
YEARS = (2021, 2022, 2023)
COLUMNS = ["month", "date", "channel", "disposition", "category_l1", "category_l2", "district", "street",
           "handler_level", "handler", "topic", "count"]
KEY = COLUMNS[:-1]
UNIT_COLUMNS = ("district", "street", "handler_level", "handler", "topic")
LEVELS = ["区级部门", "街乡镇", "市级部门", "国有企业", "企业"]
W22, P22 = T22["precision"]["wan"], T22["precision"]["pct"]
W23, P23 = T23["precision"]["wan"], T23["precision"]["pct"]


# --- exact arithmetic ------------------------------------------------------------------------

def _q(places: int) -> Decimal:
    return Decimal(1).scaleb(-places)


def wan(count: int, places: int = 1) -> Decimal:
    return (Decimal(count) / Decimal(10000)).quantize(_q(places), ROUND_HALF_UP)


def pct(part: int, whole: int, places: int) -> Decimal:
    return (Decimal(part) / Decimal(whole) * 100).quantize(_q(places), ROUND_HALF_UP)


def yoy(cur: int, prev: int, places: int) -> Decimal:
    return ((Decimal(cur) / Decimal(prev) - 1) * 100).quantize(_q(places), ROUND_HALF_UP)


# --- generation and queries ------------------------------------------------------------------

@pytest.fixture(scope="module")
def generated(tmp_path_factory) -> tuple[Path, float]:
    out = tmp_path_factory.mktemp("sample")
    start = time.perf_counter()
    assert generate_sample.main(["--out", str(out)]) == 0
    return out, time.perf_counter() - start


@pytest.fixture(scope="module")
def out(generated) -> Path:
    return generated[0]


def _sql(s: str) -> str:
    return "'" + s.replace("'", "''") + "'"


def remapped_select(source: str) -> str:
    """The comparison year on the current taxonomy: every remap rule applied before its date."""
    l1, l2 = "category_l1", "category_l2"
    for remap in TAXONOMY["remaps"]:
        for rule in remap["map"]:
            cond = " AND ".join([f"month < {_sql(remap['effective'])}"]
                                + [f"{k} = {_sql(v)}" for k, v in rule["from"].items()])
            if "category_l1" in rule["to"]:
                l1 = f"CASE WHEN {cond} THEN {_sql(rule['to']['category_l1'])} ELSE {l1} END"
            if "category_l2" in rule["to"]:
                l2 = f"CASE WHEN {cond} THEN {_sql(rule['to']['category_l2'])} ELSE {l2} END"
    return f"SELECT month, channel, disposition, {l1} AS category_l1, {l2} AS category_l2, count FROM {source}"


@pytest.fixture(scope="module")
def db(out) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    for y in YEARS:
        con.execute(f"CREATE VIEW r{y} AS SELECT * FROM read_parquet({_sql(str(out / f'records-{y}.parquet'))})")
    con.execute(f"CREATE VIEW r2022m AS {remapped_select('r2022')}")
    con.execute("CREATE VIEW rall AS SELECT * FROM r2021 UNION ALL SELECT * FROM r2022 UNION ALL SELECT * FROM r2023")
    return con


def total(con, view: str, where: str = "TRUE") -> int:
    return int(con.execute(f"SELECT COALESCE(SUM(count), 0) FROM {view} WHERE {where}").fetchone()[0])


def sums(con, view: str, col: str, where: str = "TRUE") -> dict[str, int]:
    rows = con.execute(f"SELECT {col}, SUM(count) FROM {view} WHERE {where} GROUP BY 1").fetchall()
    return {k: int(v) for k, v in rows}


def ranked(con, view: str, col: str, where: str = "TRUE") -> list[tuple[str, int]]:
    return sorted(sums(con, view, col, where).items(), key=lambda kv: (-kv[1], kv[0]))


def monthly(con, view: str, year: int, l1: str, l2: str | None = None) -> list[int]:
    where = f"category_l1 = {_sql(l1)}" + (f" AND category_l2 = {_sql(l2)}" if l2 else "")
    by = sums(con, view, "month", where)
    return [by.get(f"{year}-{m:02d}", 0) for m in range(1, 13)]


def daily_where() -> str:
    names = ", ".join(_sql(n) for n in T22["daily_excludes"])
    return f"category_l1 NOT IN ({names})"


# --- the records contract ---------------------------------------------------------------------

def test_files(generated):
    out, _seconds = generated          # the generator's time is a benchmark's matter, not a test's
    assert sorted(p.name for p in out.iterdir()) == [
        "records-2021.parquet", "records-2022.parquet", "records-2023.csv", "records-2023.parquet"]


@pytest.mark.parametrize("year", YEARS)
def test_columns_types_and_values(out, db, year):
    schema = pq.read_schema(out / f"records-{year}.parquet")
    assert schema.names == COLUMNS
    assert str(schema.field("count").type) == "int64"
    assert all(str(schema.field(c).type) == "string" for c in COLUMNS[:-1])
    r = f"r{year}"
    months = {x for (x,) in db.execute(f"SELECT DISTINCT month FROM {r}").fetchall()}
    assert months == {f"{year}-{m:02d}" for m in range(1, 13)}
    assert {x for (x,) in db.execute(f"SELECT DISTINCT channel FROM {r}").fetchall()} == {"电话", "网络"}
    assert {x for (x,) in db.execute(f"SELECT DISTINCT disposition FROM {r}").fetchall()} == {"派单", "直接答复"}
    nulls = db.execute(
        f"SELECT COUNT(*) FROM {r} WHERE category_l1 IS NULL OR category_l2 IS NULL OR count IS NULL OR date IS NULL"
    ).fetchone()[0]
    assert nulls == 0


@pytest.mark.parametrize("year", YEARS)
def test_dates_are_half_month_buckets_of_their_month(db, year):
    dates = {x for (x,) in db.execute(f"SELECT DISTINCT date FROM r{year}").fetchall()}
    assert dates == {f"{year}-{m:02d}-{d}" for m in range(1, 13) for d in ("01", "19")}
    bad = db.execute(f"SELECT COUNT(*) FROM r{year} WHERE month <> substr(date, 1, 7)").fetchone()[0]
    assert bad == 0, "month must be the calendar month of date"


@pytest.mark.parametrize("year", YEARS)
def test_direct_answers_have_no_unit_and_no_topic(db, year):
    cond = " OR ".join(f"{c} IS NOT NULL" for c in UNIT_COLUMNS)
    assert db.execute(f"SELECT COUNT(*) FROM r{year} WHERE disposition = '直接答复' AND ({cond})").fetchone()[0] == 0


@pytest.mark.parametrize("year", YEARS)
def test_dispatched_rows_name_their_unit(db, year):
    r = f"r{year}"
    levels = {x for (x,) in db.execute(f"SELECT DISTINCT handler_level FROM {r} WHERE disposition = '派单'").fetchall()}
    assert levels == set(LEVELS)
    district_rows = db.execute(
        f"SELECT COUNT(*) FROM {r} WHERE disposition = '派单' AND handler_level IN ('区级部门', '街乡镇') "
        "AND (district IS NULL OR handler IS NOT NULL)").fetchone()[0]
    city_rows = db.execute(
        f"SELECT COUNT(*) FROM {r} WHERE disposition = '派单' AND handler_level IN ('市级部门', '国有企业', '企业') "
        "AND (district IS NOT NULL OR handler IS NULL)").fetchone()[0]
    assert district_rows == 0 and city_rows == 0
    assert db.execute(f"SELECT COUNT(*) FROM {r} WHERE street IS NOT NULL").fetchone()[0] == 0
    districts = {x for (x,) in db.execute(f"SELECT DISTINCT district FROM {r} WHERE district IS NOT NULL").fetchall()}
    assert districts == set(DISTRICTS)


@pytest.mark.parametrize("year", YEARS)
def test_every_unit_is_in_units_yaml(db, year):
    listed = {(level, name) for level, names in UNITS.items() for name in names}
    used = set(db.execute(f"SELECT DISTINCT handler_level, handler FROM r{year} WHERE handler IS NOT NULL").fetchall())
    assert used - listed == set()
    assert set(UNITS) == {"市级部门", "国有企业", "企业"}
    names = [n for ns in UNITS.values() for n in ns]
    assert len(names) == len(set(names)), "a unit belongs to one class"


def test_units_yaml_lists_only_units_of_the_data(db):
    used = set(db.execute("SELECT DISTINCT handler_level, handler FROM rall WHERE handler IS NOT NULL").fetchall())
    # and the 2020 work report's (data/sample/work2020.py, written by scripts/setup.sh)
    work = ROOT / "data" / "generated" / "records-2020.parquet"
    used |= set(db.execute(f"SELECT DISTINCT handler_level, handler FROM read_parquet('{work}') "
                           "WHERE handler IS NOT NULL").fetchall())
    assert {(level, name) for level, names in UNITS.items() for name in names} == used


def test_taxonomy_groups_are_known_categories():
    groups = TAXONOMY["groups"]
    assert set(groups) == {"疫情防控相关", "市政服务类"}
    for members in groups.values():
        assert set(members) <= set(TAXONOMY["categories"])
    assert groups["疫情防控相关"] == T22["daily_excludes"]


@pytest.mark.parametrize("year", YEARS)
def test_one_row_per_key_no_zero_rows_and_small(db, year):
    r = f"r{year}"
    keys = ", ".join(KEY)
    n, distinct, low = db.execute(f"SELECT COUNT(*), COUNT(DISTINCT ({keys})), MIN(count) FROM {r}").fetchone()
    assert n == distinct, "rows must be pre-aggregated: one per key (every column but count)"
    assert low >= 1, "no zero rows"
    assert n < 400_000


def test_csv_matches_parquet(out):
    csv = pd.read_csv(out / "records-2023.csv", encoding="utf-8", dtype={"month": str, "date": str})
    par = pd.read_parquet(out / "records-2023.parquet")
    assert list(csv.columns) == COLUMNS
    assert len(csv) == len(par)
    assert (csv["count"].to_numpy() == par["count"].to_numpy()).all()
    for col in ("category_l2", "month", "date", "handler"):
        assert (csv[col].fillna("") == par[col].fillna("")).all()


def test_deterministic(out, tmp_path):
    assert generate_sample.main(["--out", str(tmp_path)]) == 0
    for year in YEARS:
        name = f"records-{year}.parquet"
        pd.testing.assert_frame_equal(pd.read_parquet(out / name), pd.read_parquet(tmp_path / name))
    assert (out / "records-2023.csv").read_bytes() == (tmp_path / "records-2023.csv").read_bytes()


@pytest.mark.parametrize("year", YEARS)
def test_categories_are_in_the_taxonomy(db, year):
    known = {(l1, l2) for l1, subs in TAXONOMY["categories"].items() for l2 in subs}
    pairs = set(db.execute(f"SELECT DISTINCT category_l1, category_l2 FROM r{year}").fetchall())
    assert pairs - known == set()


def test_2021_and_2022_use_the_old_taxonomy_and_2023_the_new(db):
    for old in ("r2021", "r2022"):
        assert total(db, old, "category_l1 = '社会培训机构'") == 0
        assert total(db, old, "category_l1 = '教育' AND category_l2 = '社会办学'") > 0
    moved = [rule["from"] for remap in TAXONOMY["remaps"] for rule in remap["map"]]
    for f in moved:
        cond = " AND ".join(f"{k} = {_sql(v)}" for k, v in f.items())
        assert total(db, "r2023", cond) == 0, f"2023 records must not use the old category {f}"


@pytest.mark.parametrize("year", YEARS)
def test_every_monthly_maximum_is_unique(db, year):
    rows = db.execute(f"SELECT category_l1, category_l2, month, SUM(count) FROM r{year} GROUP BY ALL").fetchall()
    series: dict[tuple[str, str], dict[str, int]] = {}
    for l1, l2, m, c in rows:
        series.setdefault((l1, l2), {})[m] = int(c)
    tied = [k for k, v in series.items() if list(v.values()).count(max(v.values())) > 1]
    assert tied == []


# --- 2023: 一、总体情况 -------------------------------------------------------------------------

def test_2023_total(db):
    cur, prev = total(db, "r2023"), total(db, "r2022")
    assert wan(cur, W23) == Decimal(T23["total"]["wan"])
    assert yoy(cur, prev, P23) == Decimal(T23["total"]["yoy_pct"])


@pytest.mark.parametrize("name", list(T23["disposition"]))
def test_2023_disposition(db, name):
    spec = T23["disposition"][name]
    cur = total(db, "r2023", f"disposition = {_sql(name)}")
    prev = total(db, "r2022", f"disposition = {_sql(name)}")
    assert wan(cur, W23) == Decimal(spec["wan"])
    assert yoy(cur, prev, P23) == Decimal(spec["yoy_pct"])
    assert pct(cur, total(db, "r2023"), P23) == Decimal(spec["share_pct"])


@pytest.mark.parametrize("name", list(T23["channel"]))
def test_2023_channel(db, name):
    spec = T23["channel"][name]
    cur = total(db, "r2023", f"channel = {_sql(name)}")
    assert wan(cur, W23) == Decimal(spec["wan"])
    assert pct(cur, total(db, "r2023"), P23) == Decimal(spec["share_pct"])


def _share_orders(con, view: str, cats: list[tuple[str, int]]) -> tuple[list[str], list[str]]:
    dispatched = sums(con, view, "category_l1", "disposition = '派单'")
    share = {name: Decimal(dispatched.get(name, 0)) / Decimal(count) for name, count in cats}
    assert len(set(share.values())) == len(share), "dispatch shares must not tie"
    order = sorted(share, key=lambda n: -share[n])
    return order[:5], order[::-1][:5]


def test_2023_top20(db):
    cats = ranked(db, "r2023", "category_l1")
    top = cats[:20]
    assert top[19][1] > cats[20][1], "the 20th must be larger than the 21st"
    s = sum(c for _, c in top)
    assert wan(s, W23) == Decimal(T23["top20"]["wan"])
    assert pct(s, total(db, "r2023"), P23) == Decimal(T23["top20"]["share_pct"])
    dispatch_top, direct_top = _share_orders(db, "r2023", top)
    assert dispatch_top == T23["top20"]["highest_dispatch_share"]
    assert direct_top == T23["top20"]["highest_direct_answer_share"]


# --- 2023: 二、前十类问题 -----------------------------------------------------------------------

def test_2023_top10_order(db):
    names = [n for n, _ in ranked(db, "r2023", "category_l1")[:10]]
    assert names == [e["l1"] for e in T23["top10"]]


def _check_top5(con, view: str, e: dict, places: int) -> None:
    subs = ranked(con, view, "category_l2", f"category_l1 = {_sql(e['l1'])}")
    got = [(n, str(wan(c, places))) for n, c in subs[:5]]
    assert got == [(n, v) for n, v in e["top5"]]
    counts = [c for _, c in subs]
    assert all(a > b for a, b in zip(counts[:5], counts[1:6])), f"{e['l1']}: top five must be strictly ordered"


@pytest.mark.parametrize("e", T23["top10"], ids=[e["l1"] for e in T23["top10"]])
def test_2023_category(db, e):
    where = f"category_l1 = {_sql(e['l1'])}"
    cur, prev = total(db, "r2023", where), total(db, "r2022m", where)
    assert wan(cur, W23) == Decimal(e["wan"])
    assert prev > 0 and yoy(cur, prev, P23) == Decimal(e["yoy_pct"]), f"同比 against the remapped 2022 value {prev}"
    _check_top5(db, "r2023", e, W23)


# --- monthly facts (both years) ---------------------------------------------------------------

def _corr(v: list[int]) -> float:
    x = list(range(len(v)))
    mx, my = sum(x) / len(x), sum(v) / len(v)
    sxy = sum((a - mx) * (b - my) for a, b in zip(x, v))
    sxx = sum((a - mx) ** 2 for a in x)
    syy = sum((b - my) ** 2 for b in v)
    return sxy / (sxx * syy) ** 0.5


def _mean(xs) -> float:
    xs = list(xs)
    return sum(xs) / len(xs)


def _local_maxima(v: list[int]) -> list[int]:
    n = len(v)
    return [i for i in range(n) if (i == 0 or v[i] > v[i - 1]) and (i == n - 1 or v[i] > v[i + 1])]


def _unique_argmax(v: list[int]) -> int:
    top = max(v)
    assert v.count(top) == 1, "the maximum must be unique"
    return v.index(top)


def _check_fact(f: dict, v: list[int], places: int) -> None:
    kind = f["fact"]
    if kind == "max":
        assert _unique_argmax(v) == f["month"] - 1
        if "wan" in f:
            assert str(wan(v[f["month"] - 1], places)) == f["wan"]
    elif kind == "relative_highs":
        idx = [m - 1 for m in f["months"]]
        local = _local_maxima(v)
        assert set(idx) <= set(local), f"months {f['months']} must be local maxima (local maxima: {[i + 1 for i in local]})"
        assert all(v[i] < min(v[j] for j in idx) for i in local if i not in idx), "they must be the highest local maxima"
        if "wan" in f:
            assert [str(wan(v[i], places)) for i in idx] == f["wan"]
    elif kind == "rising":
        assert _corr(v) >= 0.8 and _mean(v[9:]) >= 1.3 * _mean(v[:3])
    elif kind == "falling":
        assert _corr(v) <= -0.6 and _mean(v[:3]) >= 1.15 * _mean(v[9:])
    elif kind == "rising_between":
        part = v[f["from"] - 1:f["to"]]
        assert all(a < b for a, b in zip(part, part[1:]))
    elif kind == "falling_between":
        part = v[f["from"] - 1:f["to"]]
        assert all(a > b for a, b in zip(part, part[1:]))
    elif kind == "flat_after":
        after = v[f["month"]:]
        m = _mean(after)
        assert all(abs(x - m) <= 0.1 * m for x in after)
    elif kind == "surge_after":
        m = f["month"]
        assert _mean(v[m:]) >= float(f["factor"]) * _mean(v[:m])
    elif kind == "steep_after":
        steps = [b - a for a, b in zip(v, v[1:])]          # steps[k]: month k+1 → k+2
        k = f["month"] - 1
        assert steps[k] > max(steps[:k])
    elif kind == "rebound":
        i = f["month"] - 1
        assert v[i - 1] < v[i] < max(v)
    elif kind == "rise_then_fall":
        i = _unique_argmax(v)
        assert 3 <= i <= 8 and v[i] >= 1.3 * v[0] and v[i] >= 1.3 * v[-1]
    elif kind == "fluctuating":
        steps = [b - a for a, b in zip(v, v[1:])]
        turns = sum(1 for a, b in zip(steps, steps[1:]) if a * b < 0)
        assert turns >= 3
    elif kind == "jump":
        i = f["month"] - 1
        assert v[i] >= float(f["factor"]) * v[i - 1]
    elif kind == "concentrated":
        k = len(f["months"])
        top = sorted(range(12), key=lambda i: -v[i])[:k]
        assert sorted(i + 1 for i in top) == sorted(f["months"]) and v[top[-1]] > sorted(v, reverse=True)[k]
    elif kind == "high_period":
        inside = [i - 1 for i in f["months"]]
        assert _mean(v[i] for i in inside) >= 1.15 * _mean(v[i] for i in range(12) if i not in inside)
    elif kind == "persistently_high":
        assert min(v) >= 0.75 * max(v)
    elif kind == "local_rise":
        i = f["month"] - 1
        assert v[i] > v[i - 1] and v[i] > v[i + 1]
    elif kind == "stable":
        assert max(v) - min(v) <= 0.5 * _mean(v)
    elif kind == "quiet_except":
        loud = [m - 1 for m in f["months"]]
        assert all(v[i] <= float(f["factor"]) * max(v) for i in range(12) if i not in loud)
    else:
        raise AssertionError(f"unknown fact kind {kind!r}")


def _fact_id(f: dict) -> str:
    extra = f.get("month", f.get("months", f.get("from", "")))
    return f"{f.get('l2', f['l1'])}-{f['fact']}-{extra}".replace(" ", "")


@pytest.mark.parametrize("f", T23["monthly"], ids=[_fact_id(f) for f in T23["monthly"]])
def test_2023_monthly_fact(db, f):
    v = monthly(db, "r2023", 2023, f["l1"], f.get("l2"))
    _check_fact(f, v, W23)


@pytest.mark.parametrize("f", T23["shapes"], ids=[_fact_id(f) for f in T23["shapes"]])
def test_2023_section3_shape(db, f):
    v = monthly(db, "r2023", 2023, f["l1"], f.get("l2"))
    _check_fact(f, v, W23)


@pytest.mark.parametrize("f", T22["monthly"], ids=[_fact_id(f) for f in T22["monthly"]])
def test_2022_monthly_fact(db, f):
    v = monthly(db, "r2022", 2022, f["l1"], f.get("l2"))
    _check_fact(f, v, W22)


# --- 2022: 一、总体情况 -------------------------------------------------------------------------

def test_2022_total(db):
    cur, prev = total(db, "r2022"), total(db, "r2021")
    assert wan(cur, W22) == Decimal(T22["total"]["wan"])
    assert yoy(cur, prev, P22) == Decimal(T22["total"]["yoy_pct"]), "同比 against 2021"


@pytest.mark.parametrize("name", list(T22["disposition"]))
def test_2022_disposition(db, name):
    spec = T22["disposition"][name]
    cur = total(db, "r2022", f"disposition = {_sql(name)}")
    prev = total(db, "r2021", f"disposition = {_sql(name)}")
    assert wan(cur, W22) == Decimal(spec["wan"])
    assert pct(cur, total(db, "r2022"), P22) == Decimal(spec["share_pct"])
    assert yoy(cur, prev, P22) == Decimal(spec["yoy_pct"])


@pytest.mark.parametrize("name", list(T22["channel"]))
def test_2022_channel(db, name):
    spec = T22["channel"][name]
    cur = total(db, "r2022", f"channel = {_sql(name)}")
    prev = total(db, "r2021", f"channel = {_sql(name)}")
    assert wan(cur, W22) == Decimal(spec["wan"])
    assert yoy(cur, prev, P22) == Decimal(spec["yoy_pct"])
    if "share_pct" in spec:
        assert pct(cur, total(db, "r2022"), P22) == Decimal(spec["share_pct"])
    if "prev_share_pct" in spec:
        assert pct(prev, total(db, "r2021"), P22) == Decimal(spec["prev_share_pct"])


@pytest.mark.parametrize("f", T22["channel_facts"], ids=[f["fact"] for f in T22["channel_facts"]])
def test_2022_channel_fact(db, f):
    month = f"2022-{f['month']:02d}"
    by = sums(db, "r2022", "channel", f"month = '{month}'")
    if f["fact"] == "network_below_phone":
        assert by["网络"] < by["电话"]
    elif f["fact"] == "network_above_phone":
        assert by["网络"] > by["电话"]
    else:
        raise AssertionError(f["fact"])


def test_2022_network_overtakes_phone_over_the_year(db):
    by = sums(db, "r2022", "channel")
    assert by["网络"] > by["电话"]


@pytest.mark.parametrize("f", T22["monthly_total"], ids=[f"{f['fact']}-{f['month']}" for f in T22["monthly_total"]])
def test_2022_monthly_total(db, f):
    by = sums(db, "r2022", "month")
    v = [by[f"2022-{m:02d}"] for m in range(1, 13)]
    i = f["month"] - 1
    if f["fact"] == "value":
        assert wan(v[i], W22) == Decimal(f["wan"])
    elif f["fact"] == "max":
        assert _unique_argmax(v) == i
    elif f["fact"] == "min":
        assert v.count(min(v)) == 1 and v.index(min(v)) == i
    else:
        raise AssertionError(f["fact"])


def test_2022_epidemic(db):
    e = T22["epidemic"]
    assert wan(total(db, "r2022", f"category_l1 = {_sql(e['l1'])}"), W22) == Decimal(e["wan"])
    assert e["l1"] in T22["daily_excludes"]


# --- 2022: 日常 top 20 and 二、前十类日常问题 --------------------------------------------------------

def test_2022_daily_top20_shares(db):
    cats = ranked(db, "r2022", "category_l1", daily_where())
    assert cats[19][1] > cats[20][1]
    dispatch_top, direct_top = _share_orders(db, "r2022", cats[:20])
    assert dispatch_top == T22["daily_top20"]["highest_dispatch_share"]
    assert direct_top == T22["daily_top20"]["highest_direct_answer_share"]


def test_2022_daily_top10_order(db):
    cats = ranked(db, "r2022", "category_l1", daily_where())
    assert [n for n, _ in cats[:10]] == [e["l1"] for e in T22["top10"]]
    assert cats[9][1] > cats[10][1]


@pytest.mark.parametrize("e", T22["top10"], ids=[e["l1"] for e in T22["top10"]])
def test_2022_category(db, e):
    """On the UN-remapped 2022 data (the 2022 report's own taxonomy)."""
    cur = total(db, "r2022", f"category_l1 = {_sql(e['l1'])}")
    prev = total(db, "r2021", f"category_l1 = {_sql(e['l1'])}")
    assert wan(cur, W22) == Decimal(e["wan"])
    assert prev > 0 and yoy(cur, prev, P22) == Decimal(e["yoy_pct"]), f"同比 against the 2021 value {prev}"
    _check_top5(db, "r2022", e, W22)


# --- handling units (2023 四, 2022 三) ----------------------------------------------------------

def _handling_ids(t: dict) -> list[str]:
    return [d["district"] for d in t["handling"]["districts"]]


def _district_sums(con, view: str) -> tuple[dict[str, int], dict[str, int]]:
    rows = con.execute(f"SELECT district, handler_level, SUM(count) FROM {view} WHERE disposition = '派单' "
                       "AND district IS NOT NULL GROUP BY ALL").fetchall()
    dist: dict[str, int] = {}
    streets: dict[str, int] = {}
    for d, level, c in rows:
        dist[d] = dist.get(d, 0) + int(c)
        if level == "街乡镇":
            streets[d] = int(c)
    return dist, streets


@pytest.mark.parametrize("year", [2022, 2023])
def test_handling_totals(db, year):
    t = TARGETS[year]
    h, wp, pp = t["handling"], t["precision"]["wan"], t["precision"]["pct"]
    r = f"r{year}"
    dispatched = total(db, r, "disposition = '派单'")
    assert wan(dispatched, wp) == Decimal(h["dispatched"]["wan"])
    assert {x for (x,) in db.execute(f"SELECT DISTINCT handler_level FROM {r} WHERE disposition = '派单'").fetchall()} \
        == set(h["levels"])
    dist, streets = _district_sums(db, r)
    s, b = sum(dist.values()), sum(streets.values())
    assert wan(s, h["districts_total"].get("wan_places", wp)) == Decimal(h["districts_total"]["wan"])
    assert wan(b, wp) == Decimal(h["streets_total"]["wan"])
    assert pct(b, s, pp) == Decimal(h["streets_total"]["share_pct"])
    order = sorted(dist, key=lambda d: -dist[d])
    assert dist[order[0]] > dist[order[1]] and dist[order[-1]] < dist[order[-2]]
    for key, name in (("highest", order[0]), ("lowest", order[-1])):
        spec = h[key]
        assert name == spec["district"]
        assert wan(dist[name], wp) == Decimal(spec["wan"])
        assert pct(dist[name], s, pp) == Decimal(spec["share_pct"])


@pytest.mark.parametrize("year,d", [(y, d) for y in (2022, 2023) for d in TARGETS[y]["handling"]["districts"]],
                         ids=[f"{y}-{d['district']}" for y in (2022, 2023) for d in TARGETS[y]["handling"]["districts"]])
def test_handling_district(db, year, d):
    """X区共承办诉求约 N 万件，占全市各区承办的 P%，其中，区级部门承办 a 万件，占比 p%，街乡镇承办 b 万件，占比 q%。"""
    t = TARGETS[year]
    wp, pp = t["precision"]["wan"], t["precision"]["pct"]
    dist, streets = _district_sums(db, f"r{year}")
    n, b = dist[d["district"]], streets[d["district"]]
    a = n - b
    assert wan(n, wp) == Decimal(d["wan"])
    assert pct(n, sum(dist.values()), pp) == Decimal(d["share_pct"])
    assert wan(a, wp) == Decimal(d["区级部门"]["wan"]) and pct(a, n, pp) == Decimal(d["区级部门"]["share_pct"])
    assert wan(b, wp) == Decimal(d["街乡镇"]["wan"]) and pct(b, n, pp) == Decimal(d["街乡镇"]["share_pct"])


def test_handling_districts_are_the_sixteen():
    for year in (2022, 2023):
        assert _handling_ids(TARGETS[year]) == DISTRICTS


@pytest.mark.parametrize("year,key", [(y, k) for y in (2022, 2023) for k in ("city_departments", "state_enterprises")])
def test_handling_city_units(db, year, key):
    """The first units of the class, in order (with their 万 where printed); every other unit below."""
    t = TARGETS[year]
    spec = t["handling"][key]
    by = ranked(db, f"r{year}", "handler", f"disposition = '派单' AND handler_level = {_sql(spec['level'])}")
    named = [e["unit"] for e in spec["ranking"]] + list(spec.get("then", []))
    assert [n for n, _ in by[: len(named)]] == named
    assert by[len(named) - 1][1] > by[len(named)][1], "the named units come before every other unit"
    assert len(by) >= 10, "a top-10 chart needs ten units"
    for e, (_, c) in zip(spec["ranking"], by):
        assert wan(c, t["precision"]["wan"]) == Decimal(e["wan"])


@pytest.mark.parametrize("year", YEARS)
def test_unit_totals_do_not_tie(db, year):
    """Rankings (top-10 charts, highest and lowest district) are well defined."""
    for level in LEVELS[2:]:
        by = ranked(db, f"r{year}", "handler", f"handler_level = {_sql(level)}")
        assert len({c for _, c in by}) == len(by), level
    dist, _ = _district_sums(db, f"r{year}")
    assert len(set(dist.values())) == 16


@pytest.mark.parametrize("year", YEARS)
def test_every_district_has_a_top10_chart(db, year):
    """Each district handles at least ten 日常 categories (the epidemic ones left out)."""
    rows = db.execute(f"SELECT district, COUNT(DISTINCT category_l1) FROM r{year} WHERE disposition = '派单' "
                      f"AND district IS NOT NULL AND {daily_where()} GROUP BY 1").fetchall()
    assert len(rows) == 16 and min(n for _, n in rows) >= 10


# --- 每月一题 (2023 四(四), 2022 三(四)): by assessment period ---------------------------------------

def _period_where(year: int) -> str:
    """Assessment periods <year>-01K … <year>-12K: dates <year-1>-12-19 … <year>-12-18."""
    return f"date >= '{year - 1}-12-19' AND date < '{year}-12-19'"


def _topic_counts(con, year: int) -> dict[str, int]:
    return sums(con, "rall", "topic", f"topic IS NOT NULL AND {_period_where(year)}")


def _period(date: str) -> int:
    """The assessment period (1–12) a bucket's date belongs to, within its table year."""
    y, m, d = (int(x) for x in date.split("-"))
    return 1 if (m == 12 and d >= 19) else (m + 1 if d >= 19 else m)


@pytest.mark.parametrize("year", [2022, 2023])
def test_topics_lead_sentence(db, year):
    spec = TARGETS[year]["topics"]
    counts = _topic_counts(db, year)
    assert len(counts) == spec["count"] == len(spec["items"])
    assert set(counts) == {i["topic"] for i in spec["items"]}
    assert wan(sum(counts.values()), TARGETS[year]["precision"]["wan"]) == Decimal(spec["wan"])
    assert sorted(counts, key=lambda n: -counts[n])[:3] == spec["top3"]
    assert spec["periods"] == {"first": f"{year}-01K", "last": f"{year}-12K"}


@pytest.mark.parametrize("year,item", [(y, i) for y in (2022, 2023) for i in TARGETS[y]["topics"]["items"]],
                         ids=[f"{y}-{i['seq']}" for y in (2022, 2023) for i in TARGETS[y]["topics"]["items"]])
def test_topic(db, year, item):
    """诉求总量 by assessment period, and the three units that handled most (a district, or a city-level unit)."""
    where = f"topic = {_sql(item['topic'])} AND {_period_where(year)}"
    assert total(db, "rall", where) == item["total"]
    by = ranked(db, "rall", "COALESCE(handler, district)", where)
    assert [[n, c] for n, c in by[:3]] == item["units"]
    assert by[3][1] < by[2][1], "the fourth unit must be below the third"
    tables = " OR ".join(f"({_period_where(y)} AND topic IN ({', '.join(_sql(i['topic']) for i in TARGETS[y]['topics']['items'])}))"
                         for y in (2022, 2023))
    outside = total(db, "rall", f"topic = {_sql(item['topic'])} AND NOT ({tables})")
    assert outside == 0, "a topic's rows lie in the assessment periods of the tables that name it"


@pytest.mark.parametrize("year,item", [(y, i) for y in (2022, 2023) for i in TARGETS[y]["topics"]["items"]
                                       if "monthly" in i],
                         ids=[f"{y}-{i['seq']}" for y in (2022, 2023) for i in TARGETS[y]["topics"]["items"]
                              if "monthly" in i])
def test_topic_months_follow_the_chart(db, year, item):
    """The chart values are read off by eye: each period within 15 % of the chart scaled to the total."""
    by = sums(db, "rall", "date", f"topic = {_sql(item['topic'])} AND {_period_where(year)}")
    periods = [0] * 12
    for date, c in by.items():
        periods[_period(date) - 1] += c
    scale = item["total"] / sum(item["monthly"])
    for got, chart in zip(periods, item["monthly"]):
        assert abs(got - chart * scale) <= 0.15 * chart * scale, (periods, item["monthly"])


def test_topics_are_dispatched_rows_of_their_table_years(db):
    assert total(db, "rall", "topic IS NOT NULL AND disposition <> '派单'") == 0
    names23 = ", ".join(_sql(i["topic"]) for i in T23["topics"]["items"])
    # the 2022-12-19 bucket of the 2022 file holds 2023-01K rows of the 2023 table only
    assert total(db, "r2022", f"topic IS NOT NULL AND date = '2022-12-19' AND topic NOT IN ({names23})") == 0
    assert total(db, "r2022", f"date = '2022-12-19' AND topic IN ({names23})") > 0
    assert total(db, "r2021", "topic IS NOT NULL AND date <> '2021-12-19'") == 0
    assert total(db, "r2023", "topic IS NOT NULL AND date = '2023-12-19'") == 0


# --- the targets files themselves ------------------------------------------------------------

def test_targets_are_strings_as_printed():
    """Published values are kept as the strings the reports print (no float drift)."""
    def walk(node, path=""):
        if isinstance(node, dict):
            for k, v in node.items():
                if k == "precision":
                    continue
                if k in ("wan", "yoy_pct", "share_pct", "factor"):
                    vals = v if isinstance(v, list) else [v]
                    assert all(isinstance(x, str) and re.fullmatch(r"-?\d+(\.\d+)?", x) for x in vals), f"{path}.{k}"
                walk(v, f"{path}.{k}")
        elif isinstance(node, list):
            for i, v in enumerate(node):
                walk(v, f"{path}[{i}]")
    walk(T22)
    walk(T23)
