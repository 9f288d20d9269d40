"""Deterministic sample data for the 2020 接诉即办 work report (and the 2019 figures it compares with).

    python -m data.sample work --out data/generated

writes ``records-2020.parquet``, ``records-2019.parquet`` (the records contract, DESIGN.md; pre-aggregated,
one row per month and value of every other column) and ``assessment/annual-2020.parquet`` (the year's
ranking table: period, level, district, unit, score, months, requests).

Group-by sums over these files give back, after the report's half-up rounding, every figure of sections
一 to 四 of the published report that a hotline record can hold (``data/targets/work-2020.yaml``; the
inconsistencies of the seed and what had to be invented: ``data/targets/work-2020-notes.md`` and
``data/work/README.md``; the invented values are in ``data/sample/weights/work2020.yaml``, ``W.NAME`` below).
Stages, each keeping the sums of the one before exactly:

    district totals and 区级部门 (a small integer search over all printed constraints of 三)   solve_districts()
    category and sub-category totals of 2020 (the largest sub's share, the 1 万 threshold)      plan_categories()
    12 months per sub-category (the printed month values pinned)                               plan_months()
    派单 per district × category × month (each district's top five, busiest/quietest month)    district_cells()
    市属机构 / 国有企业 per unit × category × month                                            city_cells()
    派单 onto sub-categories, units onto streets, 直接答复 = the rest, tags, channels            build_rows()
    2019: category totals from the 环比, months and channels; 派单 by district (the 三 (一) chart) records_2019()
    ranking table: scores that give the printed rankings                                         rankings()
"""

from __future__ import annotations

import math
import random
import sys
from decimal import Decimal
from functools import partial
from pathlib import Path

import numpy as np
import pandas as pd

from .common import (
    GENERATED, STREETS_FILE, TARGETS_DIR, TAXONOMY, UNITS_FILE, Weights, cli, half_up, load_yaml, pairs,
    pct_window, replace_atomically, wan_window,
)

TARGETS = TARGETS_DIR / "work-2020.yaml"
DEFAULT_OUT = GENERATED

YEAR, PREV = 2020, 2019
COLUMNS = ("month", "channel", "disposition", "category_l1", "category_l2", "district", "street",
           "handler_level", "handler", "tag", "count")
DISPATCHED, DIRECT = "派单", "直接答复"
PHONE, NETWORK = "电话", "网络"
DEPT, STREET, CITY, SOE = "区级部门", "街乡镇", "市级部门", "国有企业"
TAG_REPEAT, TAG_PETITION = "重复来电或多人反映", "涉访涉诉"
AREA = "经济技术开发区"           # a handling area of 平原新城 that is not one of the 16 districts (notes #5)
AREA_RANKING_NAME = "北京经济技术开发区"     # the name 四's table prints
NAME_FIX = {"潮县镇": "漷县镇"}     # a misprint of the seed's 四 (notes #8): the data has the town's name

# Pinned month values (件) of sub-categories and categories: the report's printed month figures.
PINNED = {
    ("市场管理", "网络交易"): {1: 61000, 11: 61000, 12: 61000},
    ("公共服务", "公交"): {9: 21000},
    ("住房", "房屋修缮"): {8: 23000},
    ("住房", "房产中介"): {11: 37000},                 # 占全年的 25.56% is impossible (notes #2): 3.7 万 kept
    ("医疗卫生", "疾病预防"): {4: 44000, 9: 6000, 10: 6000, 11: 6000, 12: 6000},
    ("城乡建设", "施工管理"): {8: 27000},
    ("交通管理", "停车管理"): {9: 28000, 10: 28000, 11: 28000, 12: 28000},
    ("社会秩序", "经济纠纷"): {12: 30000},
    ("教育", "社会办学"): {10: 39000},
    ("教育", "入学升学"): {7: 11000},
}
PINNED_CATEGORY = {"劳动和社会保障": {12: 51000}}
# Names of the city bodies and state enterprises of 2020 beyond units.yaml's (52 and 44 units were assessed:
# printed, targets' assessment ``with_scores``).  These and the pinned values above are the report's, not invented.
N_CITY, N_SOE = 52, 44


def _tables(raw: dict) -> dict:
    """data/sample/weights/work2020.yaml as the stages use it: ordered (name, value) lists, (l1, l2) tuple keys
    of the sub-categories' shapes, tuples, and the ranking's quoted decimals as Decimal."""
    t = dict(raw)
    for name in ("OTHER_2020", "OTHER_2019"):
        t[name] = pairs(raw[name])
    t["EXTRA_SUBS"] = {l1: pairs(subs) for l1, subs in raw["EXTRA_SUBS"].items()}
    t["SHAPES"] = {(tuple(k.split("/")) if "/" in k else k): v for k, v in raw["SHAPES"].items()}
    t["TOP5_SHARES"] = tuple(raw["TOP5_SHARES"])
    t["DISTRICTS_2019_FACTOR"] = tuple(raw["DISTRICTS_2019_FACTOR"])
    t["RANKING"] = {k: Decimal(v) if isinstance(v, str) else v for k, v in raw["RANKING"].items()}
    return t


W = Weights("work2020", _tables)     # the invented values (data/work/README.md)


# =============================================================================================
# Helpers
# =============================================================================================

def q(x: Decimal | float | int | str, places: int) -> Decimal:
    return half_up(Decimal(str(x)), places)


def places_of(printed: str) -> int:
    return max(0, -Decimal(printed).as_tuple().exponent)


def wan_range(printed: str, places: int = 1) -> tuple[int, int]:
    """The counts (件) that print as ``printed`` 万 with ``places`` decimals, both ends inclusive."""
    lo, hi = wan_window(printed, places)
    return lo, hi - 1


def pct_range(whole: int, printed: str, places: int = 2) -> tuple[int, int]:
    """The parts of ``whole`` whose share prints as ``printed`` % with ``places`` decimals, both ends inclusive."""
    lo, hi = pct_window(printed, whole, places)
    return lo, hi - 1


def inter(*ranges: tuple[int, int]) -> tuple[int, int]:
    return max(r[0] for r in ranges), min(r[1] for r in ranges)


def dist(x: int, r: tuple[int, int]) -> int:
    return max(r[0] - x, 0, x - r[1])


def apportion(total: int, weights, floor_each: int = 0) -> list[int]:
    """Integers summing to ``total`` in proportion to ``weights`` (largest remainder, ties to the first)."""
    w = np.asarray(weights, dtype=float)
    if total == 0 or w.sum() == 0:
        return [0] * len(w)
    raw = w / w.sum() * (total - floor_each * len(w))
    base = np.floor(raw).astype(np.int64)
    rest = int(total - floor_each * len(w) - base.sum())
    order = sorted(range(len(w)), key=lambda i: (-(raw[i] - base[i]), i))
    for i in order[:rest]:
        base[i] += 1
    return [int(b) + floor_each for b in base]


def transport(rows: list[int], cols: list[int]) -> list[tuple[int, int, int]]:
    """A non-negative integer matrix with the given row and column sums, close to proportional:
    floor(r·c/N) first, the remaining units by the north-west corner rule.  Returns (i, j, n) with n > 0."""
    total = sum(rows)
    assert total == sum(cols), (total, sum(cols))
    if total == 0:
        return []
    r, c = np.asarray(rows, dtype=np.int64), np.asarray(cols, dtype=np.int64)
    m = (r[:, None] * c[None, :]) // total
    dr, dc = (r - m.sum(axis=1)).tolist(), (c - m.sum(axis=0)).tolist()
    i = j = 0
    while i < len(dr) and j < len(dc):
        if dr[i] == 0:
            i += 1
            continue
        if dc[j] == 0:
            j += 1
            continue
        n = min(dr[i], dc[j])
        m[i, j] += n
        dr[i] -= n
        dc[j] -= n
    ii, jj = np.nonzero(m)
    return [(int(a), int(b), int(m[a, b])) for a, b in zip(ii, jj)]


# =============================================================================================
# 三: districts
# =============================================================================================

def share_text(printed: str) -> str:
    """Shares are computed with two decimals everywhere; '2.8' (as the seed prints 怀柔区's) is 2.80 (notes #11)."""
    return str(q(printed, 2))


def solve_districts(t: dict) -> dict:
    """Each district's requests (区级部门 + 街乡镇) and 区级部门, the area's, and 各区办理量, such that every
    printed figure of 三 (一)–(二) comes out: counts, shares of 各区办理量, the 区级部门 parts and shares, the
    class totals and the zones (a local search; the system is feasible only narrowly, notes #3)."""
    h = t["handling"]
    levels = {x["level"]: x for x in h["levels"]}
    dept_total = wan_range(levels["区级部门"]["wan"])[0] + 0            # 168.9 万 → 1689000 (any in range works)
    dept_total = int(Decimal(levels["区级部门"]["wan"]) * 10000)
    street_total = int(Decimal(levels["街道（乡镇）"]["wan"]) * 10000)
    T = dept_total + street_total
    ds = h["districts"]
    names = [d["district"] for d in ds]
    zone_of = {d["district"]: d["zone"] for d in ds}
    n_rng = {d["district"]: inter(wan_range(d["wan"]), pct_range(T, share_text(d["share_pct"]))) for d in ds}
    zr = {z["zone"]: (inter(wan_range(z["wan"]), pct_range(T, share_text(z["share_pct"]))),
                      wan_range(z["区级部门"]["wan"]), wan_range(z["街道（乡镇）"]["wan"])) for z in h["zones"]}
    area = h["implied_units"][0]
    area_zone = area["zone"]

    def a_rng(d: dict, n: int) -> tuple[int, int]:
        return inter(wan_range(d["区级部门"]["wan"]), pct_range(n, share_text(d["区级部门"]["share_pct"])))

    N = {n: sum(n_rng[n]) // 2 for n in names}
    A = {d["district"]: sum(a_rng(d, N[d["district"]])) // 2 for d in ds}

    def cost() -> int:
        e, ea = T - sum(N.values()), dept_total - sum(A.values())
        c = 0
        for d in ds:
            n = d["district"]
            c += 100 * dist(N[n], n_rng[n]) + 100 * dist(A[n], a_rng(d, N[n]))
        for z, (nr, ar, sr) in zr.items():
            mem = [n for n in names if zone_of[n] == z]
            zn = sum(N[n] for n in mem) + (e if z == area_zone else 0)
            za = sum(A[n] for n in mem) + (ea if z == area_zone else 0)
            c += dist(zn, nr) + dist(za, ar) + dist(zn - za, sr)
        c += 10 * dist(e, tuple(area["jian"])) + 10 * dist(ea, (1, min(max(e, 0), area["区级部门_jian"][1])))
        return c

    rng = random.Random(2020)
    cur, it = cost(), 0
    while cur > 0:
        it += 1
        if it > 400_000:
            e, ea = T - sum(N.values()), dept_total - sum(A.values())
            bad = [(d["district"], N[d["district"]], n_rng[d["district"]], A[d["district"]], a_rng(d, N[d["district"]]))
                   for d in ds if dist(N[d["district"]], n_rng[d["district"]]) or dist(A[d["district"]], a_rng(d, N[d["district"]]))]
            zs = {z: (sum(N[n] for n in names if zone_of[n] == z), sum(A[n] for n in names if zone_of[n] == z), r)
                  for z, r in zr.items()}
            raise SystemExit(f"solve_districts: no solution found (cost {cur}; e={e}, ea={ea}; {bad}; {zs})")
        step = rng.choice([-50, -10, -3, -1, 1, 3, 10, 50])
        D, k, k2, pair = rng.choice([N, A]), rng.choice(names), rng.choice(names), rng.random() < 0.5
        D[k] += step
        if pair:
            D[k2] -= step
        new = cost()
        if new <= cur or rng.random() < math.exp(-(new - cur) / max(1.0, 30 * (1 - it / 200_000))):
            cur = new
        else:
            D[k] -= step
            if pair:
                D[k2] += step
    # then give the area's 区级部门 a plausible part of its requests (any move that keeps every constraint)
    for _ in range(20_000):
        k, step = rng.choice(names), rng.choice([1, 3, 10])
        A[k] -= step
        if cost() > 0 or dept_total - sum(A.values()) > (T - sum(N.values())) * 2 // 3:
            A[k] += step
    e, ea = T - sum(N.values()), dept_total - sum(A.values())
    out = {n: {"total": N[n], "dept": A[n]} for n in names}
    out[AREA] = {"total": e, "dept": ea}
    return out


def district_months(d: dict, total: int) -> list[int]:
    """Twelve months: the printed busiest and quietest exactly, the other ten strictly between them."""
    hi, lo = d["busiest_month"], d["quietest_month"]
    months = [0] * 12
    months[hi["month"] - 1], months[lo["month"] - 1] = hi["count"], lo["count"]
    rest = total - hi["count"] - lo["count"]
    idx = [i for i in range(12) if i not in (hi["month"] - 1, lo["month"] - 1)]
    w = [W.DISTRICT_MONTHS[i] for i in idx]
    for _ in range(50):
        vals = apportion(rest, w)
        bad = [(i, v) for i, v in zip(idx, vals) if not lo["count"] < v < hi["count"]]
        if not bad:
            break
        # pull the shape towards flat until every month lies strictly between the two printed ones
        mean = sum(w) / len(w)
        w = [x + (mean - x) * 0.3 for x in w]
    else:
        raise SystemExit(f"district_months: {d['district']} cannot be fitted")
    for i, v in zip(idx, vals):
        months[i] = v
    assert sum(months) == total
    return months


def street_totals(d: dict, streets: list[str], total: int) -> dict[str, int]:
    """The district's streets: the printed top three (件 exactly, or within the printed 万), the others
    below the third."""
    top = d["top3_streets"]
    counts: dict[str, int] = {}
    for i, (name, printed) in enumerate(top):
        num = printed.removesuffix("件")
        if num.endswith("万"):
            lo, hi = wan_range(num.removesuffix("万"))
            lo = max(lo, 10000)                                   # printed in 万 only from 1 万 up
            counts[name] = lo + (hi - lo) * (3 - i) // 4        # keeps the printed order of equal 万 figures
        else:
            counts[name] = int(num)
    vals = list(counts.values())
    for a, b in zip(vals, vals[1:]):
        assert a >= b, (d["district"], vals)
    others = [s for s in streets if s not in counts]
    rest = total - sum(vals)
    w = [len(others) - i * W.STREET_SLOPE for i in range(len(others))]
    shares = apportion(rest, w)
    if shares and max(shares) >= vals[-1]:
        raise SystemExit(f"street_totals: {d['district']}: other streets would exceed {vals[-1]}")
    counts.update(zip(others, shares))
    return counts


# =============================================================================================
# 二: categories, sub-categories, months
# =============================================================================================

def plan_categories(t: dict) -> tuple[dict[str, dict[str, int]], int]:
    """2020 totals per category and sub-category, the grand total exact as printed."""
    total = int(Decimal(t["total"]["wan"]) * 10000)
    cats: dict[str, dict[str, int]] = {}
    for c in t["top10"]:
        lo, hi = wan_range(c["wan"])
        s_name, s_printed = c["subs"][0]
        best = None
        # the category and its largest sub-category: printed 万 and the printed share of the largest
        for C in range(lo + (hi - lo) // 2, hi + 1) if c["l1"] != "疫情防控" else range(hi, lo - 1, -1):
            s_rng = inter(wan_range(s_printed), pct_range(C, c["largest"]["share_pct"]))
            if s_rng[0] <= s_rng[1]:
                best = (C, (s_rng[0] + s_rng[1]) // 2)
                break
        if best is None:       # search the lower half too
            for C in range(lo, hi + 1):
                s_rng = inter(wan_range(s_printed), pct_range(C, c["largest"]["share_pct"]))
                if s_rng[0] <= s_rng[1]:
                    best = (C, (s_rng[0] + s_rng[1]) // 2)
                    break
        assert best, c["l1"]
        C, S1 = best
        subs = {s_name: S1}
        for i, (name, printed) in enumerate(c["subs"][1:], start=1):
            lo2, hi2 = wan_range(printed)
            subs[name] = min(hi2, int(Decimal(printed) * 10000) + (len(c["subs"]) - i))   # distinct, in printed order
        rest = C - sum(subs.values())
        listed = list(subs.values())
        bound = listed[-1] if len(listed) == 5 else 9500        # below the 5th listed, or below 1 万 (prints < 1)
        extra = W.EXTRA_SUBS[c["l1"]]
        vals = apportion(rest, [w for _, w in extra])
        assert rest >= 0 and all(v < bound for v in vals), (c["l1"], rest, vals, bound)
        for (name, _), v in zip(extra, vals):
            if v:
                subs[name] = v
        cats[c["l1"]] = subs
    top_sum = sum(sum(s.values()) for s in cats.values())
    smallest = min(sum(s.values()) for s in cats.values())
    others = apportion(total - top_sum, [w for _, w in W.OTHER_2020])
    assert max(others) < smallest
    taxonomy = load_yaml(TAXONOMY)["categories"]
    for (name, _), v in zip(W.OTHER_2020, others):
        subs = taxonomy[name][:W.OTHER_SUBS]
        cats[name] = dict(zip(subs, apportion(v, [len(subs) - i for i in range(len(subs))])))
    assert sum(sum(s.values()) for s in cats.values()) == total
    return cats, total


def spread(total: int, shape: list[float], pinned: dict[int, int] | None = None) -> list[int]:
    months = [0] * 12
    pinned = pinned or {}
    for m, v in pinned.items():
        months[m - 1] = v
    idx = [i for i in range(12) if i + 1 not in pinned]
    vals = apportion(total - sum(pinned.values()), [shape[i] for i in idx])
    for i, v in zip(idx, vals):
        months[i] = v
    return months


def plan_months(cats: dict[str, dict[str, int]]) -> dict[tuple[str, str], list[int]]:
    out: dict[tuple[str, str], list[int]] = {}
    for l1, subs in cats.items():
        cat_shape = W.SHAPES.get(l1, W.FLAT)
        for l2, n in subs.items():
            shape = W.SHAPES.get((l1, l2)) or cat_shape
            pinned = PINNED.get((l1, l2))          # (the shapes of pinned sub-categories weigh their months 0)
            out[(l1, l2)] = spread(n, shape, pinned)
        if l1 in PINNED_CATEGORY:        # a category's own month value: the first sub-category takes the difference
            for m, want in PINNED_CATEGORY[l1].items():
                have = sum(out[(l1, l2)][m - 1] for l2 in subs)
                first = next(iter(subs))
                delta = want - have
                series = out[(l1, first)]
                series[m - 1] += delta
                others = [i for i in range(12) if i != m - 1]
                fix = apportion(delta, [series[i] for i in others])
                for i, f in zip(others, fix):
                    series[i] -= f
    return out


# =============================================================================================
# 派单: districts, city bodies, state enterprises
# =============================================================================================

def district_categories(d: dict, cats: dict, rng: random.Random) -> dict[str, float]:
    """Weights of a district's categories: its printed top five in order, then others below the fifth."""
    top = d["top5_categories"]
    w = dict(zip(top, W.TOP5_SHARES))
    pool = [c for c in cats if c not in top and c != "疫情防控"]
    pool.sort(key=lambda c: -sum(cats[c].values()))
    chosen = sorted(rng.sample(pool[:W.DISTRICT_OTHER + W.DISTRICT_POOL], W.DISTRICT_OTHER), key=pool.index) + ["疫情防控"]
    rest = 1 - sum(W.TOP5_SHARES)
    ow = W.DISTRICT_OTHER_WEIGHTS
    raw = [rng.uniform(*ow["draw"]) * (ow["start"] - i / (2 * len(chosen))) for i in range(len(chosen))]
    scale = rest / sum(raw)
    for c, r in zip(chosen, raw):
        w[c] = min(r * scale, W.TOP5_SHARES[-1] * ow["cap"])
    return w


def fit_matrix(row_totals: list[int], col_totals: list[int], shape: np.ndarray) -> np.ndarray:
    """An integer matrix with these row and column sums, proportional to ``shape`` (IPF, then rounding
    with the largest row absorbing the column corrections)."""
    m = shape.astype(float).copy()
    r, c = np.asarray(row_totals, float), np.asarray(col_totals, float)
    for _ in range(200):
        m *= (r / np.maximum(m.sum(axis=1), 1e-12))[:, None]
        m *= (c / np.maximum(m.sum(axis=0), 1e-12))[None, :]
    out = np.zeros(m.shape, dtype=np.int64)
    big = int(np.argmax(r))
    for i in range(len(r)):
        if i != big:
            out[i] = apportion(int(r[i]), m[i])
    out[big] = np.asarray(col_totals) - out.sum(axis=0)
    assert (out[big] >= 0).all() and out[big].sum() == r[big]
    return out


def month_shape(months: dict, l1: str) -> np.ndarray:
    return np.sum([v for (a, _), v in months.items() if a == l1], axis=0).astype(float)


def district_cells(t: dict, sol: dict, cats: dict, months: dict) -> dict[str, dict[str, list[int]]]:
    """派单 handled by each district: category × month, its months exact."""
    rng = random.Random(7)
    out = {}
    for d in t["handling"]["districts"]:
        total = sol[d["district"]]["total"]
        w = district_categories(d, cats, rng)
        names = list(w)
        amounts = apportion(total, [w[c] for c in names])
        # keep the printed order of the top five strictly
        top = d["top5_categories"]
        for a, b in zip(top, top[1:]):
            assert amounts[names.index(a)] > amounts[names.index(b)]
        assert max(amounts[len(top):]) < amounts[len(top) - 1]
        ms = district_months(d, total)
        shape = np.array([month_shape(months, c) / month_shape(months, c).sum() * a for c, a in zip(names, amounts)])
        mat = fit_matrix(amounts, ms, shape)
        out[d["district"]] = {c: mat[i].tolist() for i, c in enumerate(names)}
    area_total = sol[AREA]["total"]
    area_cats = list(W.AREA_CATEGORIES)
    amounts = apportion(area_total, list(W.AREA_CATEGORIES.values()))
    out[AREA] = {c: spread(a, W.FLAT) for c, a in zip(area_cats, amounts)}
    return out


def unit_names(units: dict) -> tuple[list[str], list[str]]:
    city = [u for u in units[CITY] if u != "开发区管委会"]        # 2020: 经开区管委会 (units.yaml)
    soe = [u for u in units[SOE] if u != "公交公司"]               # 2020: 公交集团
    return city[:N_CITY], soe[:N_SOE]


def city_cells(t: dict, cats: dict, months: dict, units: dict) -> dict[tuple[str, str], dict[str, list[int]]]:
    """派单 handled by 市属机构 and 国有企业: unit × category × month; the printed busiest unit first."""
    levels = {x["level"]: x for x in t["handling"]["levels"]}
    city, soe = unit_names(units)
    assert len(city) == N_CITY and len(soe) == N_SOE, (len(city), len(soe))
    out: dict[tuple[str, str], dict[str, list[int]]] = {}
    for level, names, printed, weights in ((CITY, city, levels["市属机构"], W.CITY_CATS),
                                           (SOE, soe, levels["国有企业"], W.SOE_CATS)):
        total = int(Decimal(printed["wan"]) * 10000)
        busiest = printed["busiest"]
        names = [busiest] + [u for u in names if u != busiest]
        first = round(total * W.BUSIEST_SHARE[level])
        rest = apportion(total - first, [1 / (i + W.RANK_SIZE["offset"]) ** W.RANK_SIZE["exponent"]
                                         for i in range(len(names) - 1)])
        assert max(rest) < first
        per_unit = [first] + rest
        cat_names = list(weights)
        cat_tot = apportion(total, [weights[c] for c in cat_names])
        cells: dict[str, dict[str, int]] = {u: {} for u in names}
        for i, j, n in transport(per_unit, cat_tot):       # each class's categories in proportion over its units
            cells[names[i]][cat_names[j]] = n
        for u in names:
            out[(level, u)] = {c: spread(a, list(month_shape(months, c))) for c, a in cells[u].items()}
    return out


# =============================================================================================
# Rows
# =============================================================================================

def build_rows(sol: dict, cats: dict, months: dict, dcells: dict, ccells: dict,
               street_counts: dict[str, dict[str, int]]) -> pd.DataFrame:
    recs: list[tuple] = []
    # 派单 per (category, month) by unit, to be spread onto sub-categories
    units_cm: dict[tuple[str, int], list[tuple[tuple, int]]] = {}
    for district, cells in dcells.items():
        tot = sol[district]
        st = street_counts[district]
        unit_keys = [(district, None, DEPT, None)] + [(district, s, STREET, None) for s in st]
        unit_tot = [tot["dept"]] + list(st.values())
        row_keys = [(c, m) for c in cells for m in range(12)]
        row_tot = [cells[c][m] for c, m in row_keys]
        for i, j, n in transport(row_tot, unit_tot):
            units_cm.setdefault(row_keys[i], []).append((unit_keys[j], n))
    for (level, unit), cells in ccells.items():
        for c, ms in cells.items():
            for m, n in enumerate(ms):
                if n:
                    units_cm.setdefault((c, m), []).append(((None, None, level, unit), n))
    # sub-categories: 派单 of a (category, month) onto its sub-categories in proportion, 直接答复 the rest
    for l1, subs in cats.items():
        names = list(subs)
        for m in range(12):
            avail = [months[(l1, s)][m] for s in names]
            parts = units_cm.get((l1, m), [])
            disp = sum(n for _, n in parts)
            cap = sum(avail)
            if disp > cap * (1 - W.DIRECT_SHARE_MIN):
                raise SystemExit(f"build_rows: {l1} {m + 1}月: 派单 {disp} > {cap}")
            sub_disp = apportion(disp, avail)
            for k, s in enumerate(names):
                if sub_disp[k] > avail[k]:
                    raise SystemExit(f"build_rows: {l1}/{s} {m + 1}月")
                direct = avail[k] - sub_disp[k]
                if direct:
                    recs.append((m, DIRECT, l1, s, None, None, None, None, direct))
            for i, j, n in transport([n for _, n in parts], sub_disp):
                district, street, level, handler = parts[i][0]
                recs.append((m, DISPATCHED, l1, names[j], district, street, level, handler, n))
    df = pd.DataFrame(recs, columns=["m", "disposition", "category_l1", "category_l2", "district", "street",
                                     "handler_level", "handler", "count"])
    t = load_yaml(TARGETS)
    df = split_tags(t, df)
    df = split_channel(t, df)
    df["month"] = [f"{YEAR}-{m + 1:02d}" for m in df["m"]]
    return df[list(COLUMNS)]


def split_column(df: pd.DataFrame, mask: pd.Series, targets: dict[str, int], column: str,
                 default: str | None, seed: int) -> pd.DataFrame:
    """Mark rows under ``mask`` with the values of ``targets`` (value → exact total): whole rows taken in a
    seeded random order, the last one split; the other rows keep ``default``."""
    if column not in df:
        df[column] = default
    df = df.reset_index(drop=True)
    idx = np.flatnonzero(mask.to_numpy())
    order = np.random.default_rng(seed).permutation(idx)
    counts = df["count"].to_numpy().copy()
    pos, extra = 0, []
    col = df[column].to_numpy(dtype=object).copy()
    for value, want in targets.items():
        while want > 0:
            i = order[pos]
            pos += 1
            if counts[i] <= want:
                col[i] = value
                want -= counts[i]
            else:                                    # split the row: ``want`` marked, the rest stays
                part = df.loc[i].copy()
                part["count"], part[column] = want, value
                extra.append(part)
                counts[i] -= want
                want = 0
    df[column] = col
    df["count"] = counts
    return pd.concat([df, pd.DataFrame(extra)], ignore_index=True) if extra else df


def split_tags(t: dict, df: pd.DataFrame) -> pd.DataFrame:
    parts = t["disposition"]["派单"]["of_which"]
    targets = {TAG_REPEAT: int(Decimal(parts[TAG_REPEAT]["wan"]) * 10000),
               TAG_PETITION: int(Decimal(parts[TAG_PETITION]["wan"]) * 10000)}
    return split_column(df, df["disposition"] == DISPATCHED, targets, "tag", None, seed=11)


def split_channel(t: dict, df: pd.DataFrame) -> pd.DataFrame:
    want = int(Decimal(t["channel"][NETWORK]["wan"]) * 10000)
    return split_column(df, df["count"] > 0, {NETWORK: want}, "channel", PHONE, seed=12)


# =============================================================================================
# 2019
# =============================================================================================

# 2019 派单 handled by the districts (区级部门 + 街乡镇; the report prints no 2019 unit figure, only the chart
# “2019年和2020年各区办理情况” of 三 (一)): W.DISTRICTS_2019_SHARE % of each cell, spread over the districts in
# proportion to their 2020 counts times a seeded factor (W.DISTRICTS_2019_FACTOR; 2020's rise was not even), and in
# each district split between its departments and its streets as in 2020.  The rest of 派单 keeps no handler (city
# bodies and enterprises).


def districts_2019(sol: dict) -> list[tuple[str, str, float]]:
    """(district, level, weight) of the 2019 派单 handled by the districts: deterministic."""
    rng = random.Random(PREV)
    out = []
    for d in sorted(sol):
        if not isinstance(sol[d], dict) or "total" not in sol[d]:
            continue
        f = rng.uniform(*W.DISTRICTS_2019_FACTOR)
        total, dept = sol[d]["total"], sol[d]["dept"]
        out += [(d, DEPT, dept * f), (d, STREET, (total - dept) * f)]
    return out


def records_2019(t: dict, cats: dict, sol: dict | None = None) -> pd.DataFrame:
    """2019: each category's total from its printed 环比 (the nearest count to the middle of the admissible
    range), the three unprinted ones of the 2019 top ten and the others invented; months, 派单 share and
    channels flat; with ``sol`` (the 2020 districts), 派单 partly by district and level (districts_2019)."""
    where = districts_2019(sol) if sol else []
    total_2020 = sum(sum(s.values()) for s in cats.values())
    p = Decimal(t["total"]["yoy_pct"])
    lo = total_2020 / (1 + (p + Decimal("0.005")) / 100)
    hi = total_2020 / (1 + (p - Decimal("0.005")) / 100)
    total = int((lo + hi) / 2)
    prev: dict[str, int] = {}
    for c in t["top10"]:
        if c["yoy_pct"] is None:
            continue
        n = sum(cats[c["l1"]].values())
        pc = Decimal(c["yoy_pct"])
        h = Decimal(5).scaleb(-places_of(c["yoy_pct"]) - 1) if places_of(c["yoy_pct"]) else Decimal("0.005")
        lo_c, hi_c = n / (1 + (pc + h) / 100), n / (1 + (pc - h) / 100)
        prev[c["l1"]] = int((lo_c + hi_c) / 2)
    for name, wan in W.PREV_BOUNDED.items():
        prev[name] = int(wan * 10000)
    others = apportion(total - sum(prev.values()), [w for _, w in W.OTHER_2019])
    for (name, _), v in zip(W.OTHER_2019, others):
        prev[name] = v
    order = t["top10_2019"]
    vals = [prev[c] for c in order]
    assert vals == sorted(vals, reverse=True), vals
    assert max(v for c, v in prev.items() if c not in order) < vals[-1]
    assert sum(prev.values()) == total
    recs = []
    taxonomy = load_yaml(TAXONOMY)["categories"]
    for l1, n in prev.items():
        subs = list(cats[l1]) if l1 in cats else taxonomy[l1][:W.OTHER_SUBS]
        for l2, v in zip(subs, apportion(n, [len(subs) - i for i in range(len(subs))])):
            for m, x in enumerate(spread(v, W.FLAT)):
                disp = x * W.DISPATCHED_PCT_2019 // 100
                for disposition, y in ((DISPATCHED, disp), (DIRECT, x - disp)):
                    net = y * W.NETWORK_PCT_2019 // 100
                    for channel, z in ((PHONE, y - net), (NETWORK, net)):
                        if not z:
                            continue
                        month = f"{PREV}-{m + 1:02d}"
                        if disposition == DISPATCHED and where:
                            part = z * W.DISTRICTS_2019_SHARE // 100
                            for (d, level, _), k in zip(where, apportion(part, [w for _, _, w in where])):
                                if k:
                                    recs.append((month, channel, disposition, l1, l2, d, level, k))
                            z -= part
                        if z:
                            recs.append((month, channel, disposition, l1, l2, None, None, z))
    df = pd.DataFrame(recs, columns=["month", "channel", "disposition", "category_l1", "category_l2", "district",
                                     "handler_level", "count"])
    for col in COLUMNS:
        if col not in df:
            df[col] = None
    return df[list(COLUMNS)]


# =============================================================================================
# 四: ranking table
# =============================================================================================

def rankings(t: dict, sol: dict, street_counts: dict[str, dict[str, int]], ccells: dict) -> pd.DataFrame:
    """One row per assessed unit with a composite score that gives the printed rankings.

    Choices where the seed contradicts itself (notes #6, #7, #8): 平谷区's 滨河街道 and 马昌营镇 share a score
    (the district list's 并列第一名; the city list then ranks both 11th); 通州区's 临河里街道 keeps its 26th
    place, so it heads 通州区's own list, followed by the printed 新华街道 and 漷县镇 (printed 潮县镇)."""
    a = t["assessment"]
    rk = W.RANKING
    rows = []
    rng = random.Random(4)
    # districts: printed top three by composite; requests = their 派单 handled
    top_d = a["districts_composite_top3"]
    others = [d["district"] for d in t["handling"]["districts"] if d["district"] not in top_d]
    for i, name in enumerate(top_d + others):
        jitter = Decimal(rng.randint(0, rk["district_jitter"])) / 100
        score = rk["district_top"] - rk["district_step"] * i - jitter * (i >= 3)
        rows.append({"level": "区", "district": name, "unit": name, "score": q(score, 2),
                     "months": 12, "requests": sol[name]["total"]})
    # streets: the city top thirty in order, then each district's printed top three, then the rest
    area_name = {AREA_RANKING_NAME: AREA}
    scores: dict[tuple[str, str], Decimal] = {}
    s = rk["street_top"]
    for item in a["streets_composite_top30"]:
        key = (area_name.get(item["district"], item["district"]), item["street"])
        if key == ("平谷区", "滨河街道"):
            scores[key] = scores[("平谷区", "马昌营镇")]        # 并列第一名 (notes #7)
            continue
        scores[key] = s
        s -= rk["street_step"]
    floor30 = s
    order: dict[str, list[str]] = {}
    for row in a["district_streets_top3"]:
        district = row["district"]
        best = min((v for (d, _), v in scores.items() if d == district), default=floor30)
        cur = min(best, floor30)
        order[district] = []
        for place in row["ranking"]:
            names = [NAME_FIX.get(n, n) for n in place["streets"]]
            order[district] += names
            if all((district, n) in scores for n in names):
                continue
            cur = cur - rk["district_street_step"]
            for n in names:
                scores.setdefault((district, n), cur)
    low = min(scores.values())
    for district, counts in street_counts.items():
        for n in counts:
            if (district, n) not in scores:
                scores[(district, n)] = q(low - rk["rest_gap"] - Decimal(rng.randint(0, rk["rest_jitter"])) / 100, 2)
    for district, counts in street_counts.items():
        first = [n for n in order.get(district, []) if n in counts]
        for n in first + sorted((n for n in counts if n not in first), key=lambda n: -scores[(district, n)]):
            rows.append({"level": "街乡镇", "district": AREA_RANKING_NAME if district == AREA else district,
                         "unit": n, "score": scores[(district, n)], "months": 12, "requests": counts[n]})
    # city bodies and state enterprises: months with scores split at 7; requests = their records
    for level, label in ((CITY, "市属机构"), (SOE, "国有企业")):
        us = [(u, sum(sum(v) for v in cells.values())) for (lv, u), cells in ccells.items() if lv == level]
        for k, (u, n) in enumerate(us):
            months = 12 if k % 4 else (6 if k % 8 == 0 else 9)
            if k % 5 == 3:
                months = 4 + k % 3
            sc = q(rk["city_top"] - Decimal(rng.randint(0, rk["city_jitter"])) / 100, 2)
            rows.append({"level": label, "district": None, "unit": u, "score": sc, "months": months, "requests": n})
    df = pd.DataFrame(rows)
    df.insert(0, "period", str(YEAR))
    df["score"] = df["score"].map(lambda x: f"{x:.2f}")
    df["months"] = df["months"].astype("Int64")
    df["requests"] = df["requests"].astype("Int64")
    return df


# =============================================================================================

def streets_2020(t: dict) -> dict[str, list[str]]:
    """The streets of 2020: streets.yaml (the current division) with the names the 2020 report prints."""
    cur = load_yaml(STREETS_FILE)
    out = {d: list(v) for d, v in cur.items()}
    renames = {("西城区", "广安门外街道"): "广外街道", ("丰台区", "方庄街道"): "方庄地区",
               ("通州区", "于家务回族乡"): "于家务乡"}
    for (d, old), new in renames.items():
        out[d] = [new if s == old else s for s in out[d]]
    out["大兴区"] = [s for s in out["大兴区"] if s not in ("博兴街道", "荣华街道")]
    out[AREA] = ["博兴街道", "荣华街道"]
    # 平谷区's 马昌营镇 handled more than 滨河街道: the city list shows the two tied streets in that order (notes #7)
    pg = out["平谷区"]
    i, j = pg.index("滨河街道"), pg.index("马昌营镇")
    pg[i], pg[j] = pg[j], pg[i]
    for d in t["handling"]["districts"]:
        for name, _ in d["top3_streets"]:
            assert name in out[d["district"]], (d["district"], name)
    return out


def generate(out_dir: Path) -> dict[str, Path]:
    t = load_yaml(TARGETS)
    units = load_yaml(UNITS_FILE)
    sol = solve_districts(t)
    cats, _ = plan_categories(t)
    months = plan_months(cats)
    for (l1, l2), ms in months.items():
        assert sum(ms) == cats[l1][l2] and min(ms) >= 0, (l1, l2)
    streets_of = streets_2020(t)
    dcells = district_cells(t, sol, cats, months)
    ccells = city_cells(t, cats, months, units)
    dinfo = {d["district"]: d for d in t["handling"]["districts"]}
    street_counts = {}
    for district, names in streets_of.items():
        n = sol[district]["total"] - sol[district]["dept"]
        if district == AREA:
            street_counts[district] = dict(zip(names, apportion(n, W.AREA_STREETS)))
        else:
            street_counts[district] = street_totals(dinfo[district], names, n)
    df = build_rows(sol, cats, months, dcells, ccells, street_counts)
    df19 = records_2019(t, cats, sol)
    rk = rankings(t, sol, street_counts, ccells)
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "assessment").mkdir(exist_ok=True)
    paths = {"records-2020": out_dir / "records-2020.parquet", "records-2019": out_dir / "records-2019.parquet",
             "rankings": out_dir / "assessment" / "annual-2020.parquet"}
    for key, frame in (("records-2020", df), ("records-2019", df19), ("rankings", rk)):
        frame = frame.copy()
        if key != "rankings":
            frame["count"] = frame["count"].astype("int64")
            frame = frame.sort_values(list(COLUMNS[:-1]), na_position="first", kind="stable").reset_index(drop=True)
        replace_atomically(paths[key], partial(frame.to_parquet, index=False))
    return paths


def run(out: Path) -> int:
    for key, path in generate(out).items():
        print(f"{key}: {path}")
    return 0


def main(argv: list[str] | None = None) -> int:
    return cli(sys.modules[__name__], argv)
