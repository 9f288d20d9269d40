"""The sample records reproduce every published figure of sections 一 and 二 of the 2023 annual
report and the 2022 figures they are compared with (data/targets/annual-{2022,2023}.yaml).

The data is generated into a temporary folder by data/generate_sample.py; every figure is a
DuckDB group-by sum over the Parquet files, rounded half-up from exact values as the reports do.
"""

from __future__ import annotations

import importlib.util
import re
import sys
import time
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import duckdb
import pandas as pd
import pyarrow.parquet as pq
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
TARGETS = {y: yaml.safe_load((ROOT / "data" / "targets" / f"annual-{y}.yaml").read_text(encoding="utf-8"))
           for y in (2022, 2023)}
TAXONOMY = yaml.safe_load((ROOT / "config" / "beijing" / "taxonomy.yaml").read_text(encoding="utf-8"))
T22, T23 = TARGETS[2022], TARGETS[2023]
COLUMNS = ["month", "channel", "disposition", "category_l1", "category_l2", "district", "street",
           "handler_level", "handler", "topic", "count"]
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

def _generator():
    spec = importlib.util.spec_from_file_location("generate_sample", ROOT / "data" / "generate_sample.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module          # dataclasses look their module up while being defined
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def generated(tmp_path_factory) -> tuple[Path, float]:
    out = tmp_path_factory.mktemp("sample")
    start = time.perf_counter()
    assert _generator().main(["--out", str(out)]) == 0
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
    for y in (2022, 2023):
        con.execute(f"CREATE VIEW r{y} AS SELECT * FROM read_parquet({_sql(str(out / f'records-{y}.parquet'))})")
    con.execute(f"CREATE VIEW r2022m AS {remapped_select('r2022')}")
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

def test_files_and_runtime(generated):
    out, seconds = generated
    assert sorted(p.name for p in out.iterdir()) == ["records-2022.parquet", "records-2023.csv", "records-2023.parquet"]
    assert seconds < 20, f"generation took {seconds:.1f} s"


@pytest.mark.parametrize("year", [2022, 2023])
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
        f"SELECT COUNT(*) FROM {r} WHERE category_l1 IS NULL OR category_l2 IS NULL OR count IS NULL").fetchone()[0]
    assert nulls == 0
    later = " OR ".join(f"{c} IS NOT NULL" for c in ("district", "street", "handler_level", "handler", "topic"))
    assert db.execute(f"SELECT COUNT(*) FROM {r} WHERE {later}").fetchone()[0] == 0, "later dimensions must be null for now"


@pytest.mark.parametrize("year", [2022, 2023])
def test_one_row_per_key_no_zero_rows_and_small(db, year):
    r = f"r{year}"
    n, keys, low = db.execute(
        f"SELECT COUNT(*), COUNT(DISTINCT (month, channel, disposition, category_l1, category_l2)), MIN(count) FROM {r}"
    ).fetchone()
    assert n == keys, "rows must be pre-aggregated: one per (month, channel, disposition, category_l1, category_l2)"
    assert low >= 1, "no zero rows"
    assert n < 20_000


def test_csv_matches_parquet(out):
    csv = pd.read_csv(out / "records-2023.csv", encoding="utf-8", dtype={"month": str})
    par = pd.read_parquet(out / "records-2023.parquet")
    assert list(csv.columns) == COLUMNS
    assert len(csv) == len(par)
    assert (csv["count"].to_numpy() == par["count"].to_numpy()).all()
    assert (csv["category_l2"] == par["category_l2"]).all() and (csv["month"] == par["month"]).all()


def test_deterministic(out, tmp_path):
    assert _generator().main(["--out", str(tmp_path)]) == 0
    for name in ("records-2022.parquet", "records-2023.parquet"):
        pd.testing.assert_frame_equal(pd.read_parquet(out / name), pd.read_parquet(tmp_path / name))
    assert (out / "records-2023.csv").read_bytes() == (tmp_path / "records-2023.csv").read_bytes()


@pytest.mark.parametrize("year", [2022, 2023])
def test_categories_are_in_the_taxonomy(db, year):
    known = {(l1, l2) for l1, subs in TAXONOMY["categories"].items() for l2 in subs}
    pairs = set(db.execute(f"SELECT DISTINCT category_l1, category_l2 FROM r{year}").fetchall())
    assert pairs - known == set()


def test_2022_uses_the_old_taxonomy_and_2023_the_new(db):
    assert total(db, "r2022", "category_l1 = '社会培训机构'") == 0
    assert total(db, "r2022", "category_l1 = '教育' AND category_l2 = '社会办学'") > 0
    moved = [rule["from"] for remap in TAXONOMY["remaps"] for rule in remap["map"]]
    for f in moved:
        cond = " AND ".join(f"{k} = {_sql(v)}" for k, v in f.items())
        assert total(db, "r2023", cond) == 0, f"2023 records must not use the old category {f}"


@pytest.mark.parametrize("year", [2022, 2023])
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
    else:
        raise AssertionError(f"unknown fact kind {kind!r}")


def _fact_id(f: dict) -> str:
    extra = f.get("month", f.get("months", f.get("from", "")))
    return f"{f.get('l2', f['l1'])}-{f['fact']}-{extra}".replace(" ", "")


@pytest.mark.parametrize("f", T23["monthly"], ids=[_fact_id(f) for f in T23["monthly"]])
def test_2023_monthly_fact(db, f):
    v = monthly(db, "r2023", 2023, f["l1"], f.get("l2"))
    _check_fact(f, v, W23)


@pytest.mark.parametrize("f", T22["monthly"], ids=[_fact_id(f) for f in T22["monthly"]])
def test_2022_monthly_fact(db, f):
    v = monthly(db, "r2022", 2022, f["l1"], f.get("l2"))
    _check_fact(f, v, W22)


# --- 2022: 一、总体情况 -------------------------------------------------------------------------

def test_2022_total(db):
    assert wan(total(db, "r2022"), W22) == Decimal(T22["total"]["wan"])


@pytest.mark.parametrize("name", list(T22["disposition"]))
def test_2022_disposition(db, name):
    spec = T22["disposition"][name]
    cur = total(db, "r2022", f"disposition = {_sql(name)}")
    assert wan(cur, W22) == Decimal(spec["wan"])
    assert pct(cur, total(db, "r2022"), P22) == Decimal(spec["share_pct"])


@pytest.mark.parametrize("name", list(T22["channel"]))
def test_2022_channel(db, name):
    spec = T22["channel"][name]
    cur = total(db, "r2022", f"channel = {_sql(name)}")
    assert wan(cur, W22) == Decimal(spec["wan"])
    if "share_pct" in spec:
        assert pct(cur, total(db, "r2022"), P22) == Decimal(spec["share_pct"])


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
    assert wan(cur, W22) == Decimal(e["wan"])
    _check_top5(db, "r2022", e, W22)


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
