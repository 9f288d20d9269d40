"""Deterministic sample records for the 2021, 2022 and 2023 Beijing 12345 annual reports.

    python -m data.sample records --out data/generated

writes ``records-2021.parquet``, ``records-2022.parquet``, ``records-2023.parquet`` and
``records-2023.csv`` (UTF-8) in the records contract (DESIGN.md), pre-aggregated: one row per
(date, channel, disposition, category_l1, category_l2, district, street, handler_level, handler,
topic) with its ``count``.  ``date`` is a half-month bucket: the 1st (days 1–18) or the 19th (days
19 to the end of the month), so that assessment periods (考核期, the 19th to the 19th) can be
counted as well as calendar months.  派单 rows carry the handling unit (district + 区级部门 /
街乡镇, or a city-level unit: 市级部门 / 国有企业 / 企业 in ``handler``) and the 每月一题 topic;
直接答复 rows have no unit and no topic.  ``street`` is null.

The published figures come from ``data/targets/annual-{2022,2023}.yaml`` (the 2021 figures are the
2022 report's 同比); everything the reports do not print is invented, in
``data/sample/weights/records.yaml`` (``W.NAME`` below is its entry NAME), and listed in
data/README.md.  Exact integer totals are found by small searches so that every published figure,
rounded half-up as the reports round, comes out of group-by sums over the records; the tests check
every one of them.

The data is built in stages, one function per dimension; every stage keeps the sums of the one
before it exactly:

    yearly totals per (category_l1, category_l2)        plan_years()
      → 12 months                                        split_months()
      → 派单 / 直接答复                                  split_disposition()
      → half-month buckets (dates)                       split_dates()
      → 每月一题 topics (派单, by assessment period)     plan_topics()
      → handling units (派单)                            split_units()
      → 电话 / 网络                                      split_channel()
"""

from __future__ import annotations

import calendar
import math
import sys
import zlib
from collections import deque
from dataclasses import dataclass, field
from decimal import Decimal
from functools import partial
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa

from .common import (
    GENERATED, PROFILE, ROOT, TARGETS_DIR, TAXONOMY, UNIT, UNITS_FILE, Weights, category, cli, half_up,
    load_yaml, pairs, pct_window, replace_atomically, spread_ties, wan_window, write_parquet,
)

COLUMNS = ("month", "date", "channel", "disposition", "category_l1", "category_l2", "district", "street",
           "handler_level", "handler", "topic", "count")
YEARS = (2021, 2022, 2023)
MONTHS = 12
BUCKETS = 2 * MONTHS              # half-month buckets: index 2·month + (0: the 1st, 1: the 19th)
SPLIT_DAY = 19                    # a bucket's second half starts on the 19th (考核期 boundary)
DISPATCHED, DIRECT = "派单", "直接答复"
PHONE, NETWORK = "电话", "网络"
DISTRICT_LEVEL, STREET_LEVEL = "区级部门", "街乡镇"
CITY_DEPT, STATE_ENT, ENTERPRISE = "市级部门", "国有企业", "企业"
LEVELS = (DISTRICT_LEVEL, STREET_LEVEL, CITY_DEPT, STATE_ENT, ENTERPRISE)
DEFAULT_OUT = GENERATED


# 每月一题 topics: how a topic's rows are made (the entries of TOPIC_SPEC in the weights file).
# cats: (l1, l2, weight) the topic's rows are filed under; shape: monthly weights per assessment
# period where the report has no chart values; street: share of the district rows handled by
# 街乡镇; tilt: how the units after the top three are weighted (rural / urban / None); extra:
# city-level units that may also handle it (below the third).
@dataclass(frozen=True)
class TopicSpec:
    cats: tuple
    shape: tuple = (1.0,) * 12
    street: float = .3
    tilt: str | None = None
    extra: tuple = ()


def _tables(raw: dict) -> dict:
    """data/sample/weights/records.yaml as the stages use it: ordered (name, value) lists, (year,) l1, l2
    tuple keys (l2 None: the whole category), sets, the monthly styles and TopicSpec."""
    t = dict(raw)
    t["EXTRA_L2"] = {y: {l1: pairs(subs) for l1, subs in d.items()} for y, d in raw["EXTRA_L2"].items()}
    t["TOP11_20"] = {y: pairs(d) for y, d in raw["TOP11_20"].items()}
    t["TAIL_BOUNDS"] = {y: (b["hi"], b["lo"]) for y, b in raw["TAIL_BOUNDS"].items()}
    t["EPIDEMIC_EXTRA_2022"] = pairs(raw["EPIDEMIC_EXTRA_2022"])
    t["L2_MIX"] = {l1: pairs(mix) for l1, mix in raw["L2_MIX"].items()}
    t["SERIES"] = {(y, *category(k)): v for y, d in raw["SERIES"].items() for k, v in d.items()}
    t["L1_PROFILE"] = {(y, l1): v for y, d in raw["L1_PROFILE"].items() for l1, v in d.items()}
    ramp, zigzag = raw["STYLES"]["ramp"], raw["STYLES"]["zigzag"]
    styles = {"ramp": [ramp["start"] + ramp["step"] * i for i in range(MONTHS)],
              "zigzag": [zigzag["mean"] + (zigzag["swing"] if i % 2 else -zigzag["swing"]) for i in range(MONTHS)]}
    t["L1_STYLE"] = {(y, l1): styles[style] for y, d in raw["L1_STYLE"].items() for l1, style in d.items()}
    t["L2_SHAPE"] = {category(k): v for k, v in raw["L2_SHAPE"].items()}
    t["SEASON_YEAR"] = {(y, l1): v for y, d in raw["SEASON_YEAR"].items() for l1, v in d.items()}
    t["DISPATCH_L2"] = {(y, *category(k)): v for k, d in raw["DISPATCH_L2"].items() for y, v in d.items()}
    t["EPIDEMIC_2021"] = pairs(raw["EPIDEMIC_2021"])
    t["DISTRICTS_2021"] = {d: (v["wan"], v["streets"]) for d, v in raw["DISTRICTS_2021"].items()}
    for name in ("RURAL_CATS", "URBAN_CATS", "ONLINE_CATS"):
        t[name] = {category(k) for k in raw[name]}
    t["STREET_SHARE"] = {category(k): v for k, v in raw["STREET_SHARE"].items()}
    t["CITY_UNITS"] = {y: {level: pairs(units) for level, units in d.items()} for y, d in raw["CITY_UNITS"].items()}
    t["TOPIC_ONLY"] = set(raw["TOPIC_ONLY"])
    t["UNIT_AFFINITY"] = {u: {category(k): v for k, v in d.items()} for u, d in raw["UNIT_AFFINITY"].items()}
    t["TOPIC_SPEC"] = {y: {name: TopicSpec(cats=tuple((*category(k), w) for k, w in s["cats"].items()),
                                           shape=tuple(s.get("shape", TopicSpec.shape)), street=s["street"],
                                           tilt=s.get("tilt"), extra=tuple(s.get("extra", ())))
                           for name, s in d.items()} for y, d in raw["TOPIC_SPEC"].items()}
    return t


W = Weights("records", _tables)     # the invented values (data/README.md, "Invented values")


# =============================================================================================
# Exact arithmetic (half-up, as the reports round)
# =============================================================================================


def wan(count: int, places: int = 1) -> Decimal:
    return half_up(Decimal(count) / UNIT, places)


def pct(part: int, whole: int, places: int = 1) -> Decimal:
    return half_up(Decimal(part) / Decimal(whole) * 100, places)


def yoy(cur: int, prev: int, places: int = 1) -> Decimal:
    return half_up((Decimal(cur) / Decimal(prev) - 1) * 100, places)


def center(text: str) -> int:
    """The count that prints exactly as ``text`` 万."""
    return int(Decimal(text) * UNIT)


def wan_range(text: str, places: int = 1) -> range:
    """All counts that print as ``text`` 万 (half-up)."""
    return range(*wan_window(text, places))


def nominal(x: float) -> int:
    return int(half_up(Decimal(str(x)) * UNIT, 0))


def solve_pair(cur_range: range, cur_c: int, yoy_text: str, places: int,
               prev_range: range | None = None, prev_c: int | None = None) -> tuple[int, int]:
    """(cur, prev) in their ranges, closest to their centres, whose 同比 prints as ``yoy_text``."""
    t = Decimal(yoy_text)
    half = Decimal(5).scaleb(-places - 1)
    lo_ratio, hi_ratio = 1 + (t - half) / 100, 1 + (t + half) / 100   # cur / prev in [lo, hi)
    best: tuple[int, int, int] | None = None
    for cur in sorted(cur_range, key=lambda x: (abs(x - cur_c), x)):
        if best is not None and abs(cur - cur_c) > best[0]:
            break
        p_lo, p_hi = int(Decimal(cur) / hi_ratio) - 2, int(Decimal(cur) / lo_ratio) + 2
        want = prev_c if prev_c is not None else int(Decimal(cur) / (1 + t / 100))
        if prev_range is not None:
            p_lo, p_hi = max(p_lo, prev_range.start), min(p_hi, prev_range.stop - 1)
        cands = [p for p in range(p_lo, p_hi + 1) if p > 0 and yoy(cur, p, places) == t]
        if not cands:
            continue
        p = min(cands, key=lambda x: (abs(x - want), x))
        cost = abs(cur - cur_c) + abs(p - want)
        if best is None or cost < best[0]:
            best = (cost, cur, p)
    if best is None:
        raise SystemExit(f"no exact pair for 同比 {yoy_text}% in {cur_range}")
    return best[1], best[2]


def fit_parts(values: list[int], ranges: list[range], target: int) -> list[int]:
    """Move ``values`` (strictly decreasing) inside their ranges until they sum to ``target``."""
    vals = list(values)
    step = 1 if target > sum(vals) else -1
    i = 0
    guard = 0
    while sum(vals) != target:
        k = i % len(vals)
        nxt = vals[k] + step
        ok_range = nxt in ranges[k]
        ok_order = (k == 0 or nxt < vals[k - 1]) and (k == len(vals) - 1 or nxt > vals[k + 1])
        if ok_range and ok_order:
            vals[k] = nxt
            guard = 0
        else:
            guard += 1
            if guard > len(vals):
                raise SystemExit(f"cannot fit {values} to {target}")
        i += 1
    return vals


def strict_top5(top5: list[list[str]]) -> list[int]:
    """Exact counts of a published top five: the printed values, ties split by ±150."""
    # two equal values: +150 / −150; three: +200 / 0 / −200
    return spread_ties([center(v) for _, v in top5], lambda i, k: 300 if k == 2 else 200)


def allocate(total: int, weights, caps=None) -> np.ndarray:
    """Integers proportional to ``weights`` summing to ``total`` (largest remainder), each ≤ cap."""
    w = np.asarray(weights, dtype=float)
    n = len(w)
    caps = np.full(n, max(int(total), 0), dtype=np.int64) if caps is None else np.asarray(caps, np.int64)
    out = np.zeros(n, dtype=np.int64)
    free = w > 0
    rem = int(total)
    if rem < 0 or (rem > 0 and not free.any()):
        raise SystemExit(f"cannot allocate {total}")
    if rem > int(caps[free].sum()):
        raise SystemExit(f"cannot allocate {total} under caps {int(caps[free].sum())}")
    while True:
        x = np.zeros(n)
        x[free] = rem * w[free] / w[free].sum()
        over = free & (x > caps)
        if not over.any():
            break
        out[over] = caps[over]
        rem -= int(caps[over].sum())
        free &= ~over
    base = np.floor(x).astype(np.int64)
    short = rem - int(base[free].sum())
    frac = np.where(free & (base < caps), x - base, -1.0)
    order = np.lexsort((np.arange(n), -frac))[:short]
    base[order] += 1
    out[free] = base[free]
    assert int(out.sum()) == total and (out <= caps).all()
    return out


def rng_for(*key) -> np.random.Generator:
    return np.random.default_rng(zlib.crc32("|".join(map(str, key)).encode("utf-8")))


def ipf(weights: np.ndarray, rows: np.ndarray, cols: np.ndarray, what: str, tol: float = 1e-7,
        iters: int = 5000) -> np.ndarray:
    """Iterative proportional fitting: r_i · W_ij · c_j with the given row and column sums."""
    w = np.asarray(weights, dtype=float)
    rows = np.asarray(rows, dtype=float)
    cols = np.asarray(cols, dtype=float)
    if abs(rows.sum() - cols.sum()) > 0.5:
        raise SystemExit(f"{what}: margins differ ({rows.sum()} vs {cols.sum()})")
    c = np.ones(w.shape[1])
    r = np.ones(w.shape[0])
    for _ in range(iters):
        wc = w @ c
        r = np.divide(rows, wc, out=np.zeros_like(rows), where=wc > 0)
        wr = w.T @ r
        c = np.divide(cols, wr, out=np.zeros_like(cols), where=wr > 0)
        err = np.abs(r * (w @ c) - rows).max()
        if err < tol * max(1.0, rows.max()) ** 0.5:
            break
    else:
        raise SystemExit(f"{what}: proportional fitting did not converge (error {err:.3g})")
    return w * r[:, None] * c[None, :]


def round_matrix(f: np.ndarray, rows, cols, what: str, support: np.ndarray | None = None) -> np.ndarray:
    """Integers near ``f`` (each its floor or ceiling where possible) with exactly the given row
    and column sums: the floors, then +1 on the largest fractions, then augmenting paths."""
    f = np.asarray(f, dtype=float)
    rows = np.asarray(rows, dtype=np.int64)
    cols = np.asarray(cols, dtype=np.int64)
    if rows.sum() != cols.sum():
        raise SystemExit(f"{what}: margins differ ({rows.sum()} vs {cols.sum()})")
    sup = (f > 1e-12) if support is None else (support & (f >= 0))
    x = np.floor(f + 1e-7).astype(np.int64)
    x[~sup] = 0
    # floors can only exceed a margin by rounding noise: take the excess back from the largest
    for axis, target in ((1, rows), (0, cols)):
        over = x.sum(axis) - target
        for i in np.flatnonzero(over > 0):
            line = x[i] if axis == 1 else x[:, i]
            for j in np.argsort(-line, kind="stable")[: int(over[i])]:
                line[j] -= 1
    need_r = rows - x.sum(1)
    need_c = cols - x.sum(0)
    if (need_r < 0).any() or (need_c < 0).any():
        raise SystemExit(f"{what}: cannot round")
    frac = np.where(sup, f - x, -1.0)
    order = np.argsort(-frac, axis=None, kind="stable")
    for k in order:
        if frac.flat[k] <= 1e-9:
            break
        i, j = divmod(int(k), x.shape[1])
        if need_r[i] > 0 and need_c[j] > 0:
            x[i, j] += 1
            need_r[i] -= 1
            need_c[j] -= 1
    while need_r.sum() > 0:
        if not _augment(x, sup, need_r, need_c):
            raise SystemExit(f"{what}: no integer solution on this support")
    return x


def _augment(x: np.ndarray, sup: np.ndarray, need_r: np.ndarray, need_c: np.ndarray) -> bool:
    """One unit more for a row that needs it and a column that needs it, along an alternating
    path row → column (add) → row (remove) → column (add) … on the support."""
    n, m = x.shape
    prev_col = np.full(m, -2)          # the row that reached this column
    prev_row = np.full(n, -2)          # the column that reached this row (-1: a start)
    queue: deque = deque()
    for i in np.flatnonzero(need_r > 0):
        prev_row[i] = -1
        queue.append(int(i))
    while queue:
        i = queue.popleft()
        for j in np.flatnonzero(sup[i] & (prev_col == -2)):
            prev_col[j] = i
            if need_c[j] > 0:
                need_c[j] -= 1
                while True:                       # walk the path back to its start
                    ii = prev_col[j]
                    x[ii, j] += 1
                    jj = prev_row[ii]
                    if jj == -1:
                        need_r[ii] -= 1
                        return True
                    x[ii, jj] -= 1
                    j = jj
            for i2 in np.flatnonzero((x[:, j] > 0) & (prev_row == -2)):
                prev_row[i2] = j
                queue.append(int(i2))
    return False


# =============================================================================================
# Inputs
# =============================================================================================


@dataclass
class Inputs:
    t22: dict
    t23: dict
    taxonomy: dict
    profile: dict

    def targets(self, year: int) -> dict:
        return {2022: self.t22, 2023: self.t23}[year]

    @property
    def districts(self) -> list[str]:
        return [d["name"] for d in self.profile["districts"]]

    @property
    def remap_rules(self) -> list[dict]:
        return [rule for remap in self.taxonomy.get("remaps", []) for rule in remap["map"]]

    def remapped_l1(self, l1: str, l2: str) -> str:
        for rule in self.remap_rules:
            f = rule["from"]
            if f.get("category_l1", l1) == l1 and f.get("category_l2", l2) == l2:
                return rule["to"]["category_l1"]
        return l1


def load_inputs(targets_dir: Path = TARGETS_DIR, taxonomy: Path = TAXONOMY, profile: Path = PROFILE) -> Inputs:
    return Inputs(load_yaml(targets_dir / "annual-2022.yaml"), load_yaml(targets_dir / "annual-2023.yaml"),
                  load_yaml(taxonomy), load_yaml(profile))


# =============================================================================================
# Stage 1: yearly totals per (category_l1, category_l2)
# =============================================================================================


@dataclass
class YearPlan:
    year: int
    totals: dict[str, int] = field(default_factory=dict)                    # l1 -> count
    subs: dict[str, dict[str, int]] = field(default_factory=dict)           # l1 -> l2 -> count
    headline: dict[str, int] = field(default_factory=dict)                  # total, 派单, 直接答复, 电话, 网络
    epidemic: list[str] = field(default_factory=list)                       # categories filled last (2022)
    epidemic_like: list[str] = field(default_factory=list)                  # epidemic-related categories (2021, 2022)


def solve_headline(inp: Inputs) -> tuple[dict[str, int], dict[str, int]]:
    """Exact totals: 2022 first (its own shares), then 2023 (shares and 同比 against 2022)."""
    t22, t23 = inp.t22, inp.t23
    p22, p23 = t22["precision"]["pct"], t23["precision"]["pct"]
    offsets = sorted(range(-450, 451, 50), key=abs)

    def disposition(t: dict, prev: dict | None, places: int) -> dict[str, int]:
        d_t, a_t = t["disposition"][DISPATCHED], t["disposition"][DIRECT]
        for dd in offsets:
            for da in offsets:
                d, a = center(d_t["wan"]) + dd, center(a_t["wan"]) + da
                tot = d + a
                checks = [wan(d) == Decimal(d_t["wan"]), wan(a) == Decimal(a_t["wan"]),
                          wan(tot) == Decimal(t["total"]["wan"])]
                for key, part in ((DISPATCHED, d), (DIRECT, a)):
                    spec = t["disposition"][key]
                    if "share_pct" in spec:
                        checks.append(pct(part, tot, places) == Decimal(spec["share_pct"]))
                    if prev is not None and "yoy_pct" in spec:
                        checks.append(yoy(part, prev[key], places) == Decimal(spec["yoy_pct"]))
                if prev is not None and "yoy_pct" in t["total"]:
                    checks.append(yoy(tot, prev["total"], places) == Decimal(t["total"]["yoy_pct"]))
                if all(checks):
                    return {"total": tot, DISPATCHED: d, DIRECT: a}
        raise SystemExit(f"no exact headline for {t['year']}")

    def channels(t: dict, tot: int, places: int) -> dict[str, int]:
        for dp in sorted(range(-499, 500), key=abs):
            p = center(t["channel"][PHONE]["wan"]) + dp
            n = tot - p
            checks = [wan(p) == Decimal(t["channel"][PHONE]["wan"]), wan(n) == Decimal(t["channel"][NETWORK]["wan"])]
            for key, part in ((PHONE, p), (NETWORK, n)):
                if "share_pct" in t["channel"][key]:
                    checks.append(pct(part, tot, places) == Decimal(t["channel"][key]["share_pct"]))
            if all(checks):
                return {PHONE: p, NETWORK: n}
        raise SystemExit(f"no exact channel split for {t['year']}")

    h22 = disposition(t22, None, p22)
    h22.update(channels(t22, h22["total"], p22))
    h23 = disposition(t23, h22, p23)
    h23.update(channels(t23, h23["total"], p23))
    return h22, h23


def published_subs(top: dict, extras: list[tuple[str, float]], total: int) -> dict[str, int]:
    """A published category: its top five as printed, the rest spread over invented sub-categories."""
    names = [n for n, _ in top["top5"]]
    vals = strict_top5(top["top5"])
    if not extras:
        vals = fit_parts(vals, [wan_range(v) for _, v in top["top5"]], total)
        return dict(zip(names, vals))
    rest = total - sum(vals)
    extra_vals = allocate(rest, [w for _, w in extras])
    if not (extra_vals < vals[-1]).all() or not (extra_vals > 0).all():
        raise SystemExit(f"{top['l1']}: invented sub-categories {extra_vals} not below the 5th ({vals[-1]})")
    return dict(zip(names, vals)) | {n: int(v) for (n, _), v in zip(extras, extra_vals)}


def plan_years(inp: Inputs) -> dict[int, YearPlan]:
    t22, t23 = inp.t22, inp.t23
    h22, h23 = solve_headline(inp)
    y22, y23 = YearPlan(2022, headline=h22), YearPlan(2023, headline=h23)
    top22 = {e["l1"]: e for e in t22["top10"]}
    places23 = t23["precision"]["pct"]

    # --- 2023 top 10 and the 2022 values their 同比 compares with -------------------------------
    prev_remapped: dict[str, int] = {}        # 2022 values after the remaps, for categories they touch
    remap_targets = {rule["to"]["category_l1"] for rule in inp.remap_rules}
    for e in t23["top10"]:
        l1 = e["l1"]
        rng = wan_range(e["wan"])
        if not W.EXTRA_L2[2023].get(l1):       # the top five are all there is: the total follows them
            fixed = sum(fit_parts(strict_top5(e["top5"]), [wan_range(v) for _, v in e["top5"]],
                                  min(max(center(e["wan"]), rng.start), rng.stop - 1)))
            rng = range(fixed, fixed + 1)
        if l1 in top22 and l1 not in remap_targets:
            cur, prev = solve_pair(rng, center(e["wan"]), e["yoy_pct"], places23,
                                   wan_range(top22[l1]["wan"]), center(top22[l1]["wan"]))
            y22.totals[l1] = prev
        else:
            cur, prev = solve_pair(rng, center(e["wan"]), e["yoy_pct"], places23)
            if l1 in remap_targets:
                prev_remapped[l1] = prev
            else:
                y22.totals[l1] = prev        # e.g. 文体市场管理: a small 2022 category
        y23.totals[l1] = cur
        y23.subs[l1] = published_subs(e, W.EXTRA_L2[2023].get(l1, []), cur)

    # --- 2023 categories 11–20 and the rest --------------------------------------------------------
    top20_target = center(t23["top20"]["wan"])
    invented = [(l1, nominal(v)) for l1, v in W.TOP11_20[2023]]
    invented[-1] = (invented[-1][0], top20_target - sum(y23.totals.values()) - sum(v for _, v in invented[:-1]))
    for l1, v in invented:
        y23.totals[l1] = v
    tail_total = h23["total"] - sum(y23.totals.values())
    hi, lo = W.TAIL_BOUNDS[2023]
    names = W.TAIL[2023]
    tail = allocate(tail_total, [hi - (hi - lo) * i / (len(names) - 1) for i in range(len(names))])
    for l1, v in zip(names, tail):
        y23.totals[l1] = int(v)
    for l1, v in y23.totals.items():
        if l1 not in y23.subs:
            y23.subs[l1] = mix_subs(l1, v)

    # --- 2022 日常 top 10 -------------------------------------------------------------------------------
    for e in t22["top10"]:
        l1 = e["l1"]
        if l1 == "教育":
            continue
        total = y22.totals.get(l1, center(e["wan"]))
        if wan(total) != Decimal(e["wan"]):
            raise SystemExit(f"2022 {l1}: {total} does not print as {e['wan']}")
        y22.totals[l1] = total
        y22.subs[l1] = published_subs(e, W.EXTRA_L2[2022].get(l1, []), total)
    plan_education_2022(inp, y22, prev_remapped)

    # --- 2022 categories 11–20, the rest of 日常, and the epidemic categories ----------------------
    for l1, v in W.TOP11_20[2022]:
        y22.totals[l1] = nominal(v)
    hi, lo = W.TAIL_BOUNDS[2022]
    names = W.TAIL[2022]
    tail = allocate(nominal(W.TAIL_TOTAL_2022), [hi - (hi - lo) * i / (len(names) - 1) for i in range(len(names))])
    for l1, v in zip(names, tail):
        y22.totals[l1] = int(v)
    epidemic = t22["epidemic"]
    y22.totals[epidemic["l1"]] = center(epidemic["wan"])
    extra_total = h22["total"] - sum(y22.totals.values())
    for (l1, _), v in zip(W.EPIDEMIC_EXTRA_2022, allocate(extra_total, [w for _, w in W.EPIDEMIC_EXTRA_2022])):
        y22.totals[l1] = int(v)
    y22.epidemic = [epidemic["l1"]] + [l1 for l1, _ in W.EPIDEMIC_EXTRA_2022]
    for l1, v in y22.totals.items():
        if l1 not in y22.subs and l1 not in y22.epidemic:
            y22.subs[l1] = mix_subs(l1, v)

    y22.epidemic_like = list(y22.epidemic)
    y21 = plan_2021(inp, y22)
    for plan in (y21, y22, y23):
        plan.totals = dict(sorted(plan.totals.items(), key=lambda kv: (-kv[1], kv[0])))
    return {2021: y21, 2022: y22, 2023: y23}


def solve_prev(cur: int, yoy_text: str, places: int, want: int | None = None) -> list[int]:
    """Every earlier-year value whose 同比 to ``cur`` prints as ``yoy_text`` (closest to ``want`` first)."""
    t = Decimal(yoy_text)
    guess = int(Decimal(cur) / (1 + t / 100))
    cands = [p for p in range(guess - 3000, guess + 3001) if p > 0 and yoy(cur, p, places) == t]
    if not cands:
        raise SystemExit(f"no value with 同比 {yoy_text}% to {cur}")
    w = guess if want is None else want
    return sorted(cands, key=lambda p: (abs(p - w), p))


def solve_headline_2021(t22: dict, h22: dict[str, int]) -> dict[str, int]:
    """2021 totals from the 2022 report's 同比 (two decimals) and its 2021 network share."""
    places = t22["precision"]["pct"]
    totals = solve_prev(h22["total"], t22["total"]["yoy_pct"], places)
    dispatched = set(solve_prev(h22[DISPATCHED], t22["disposition"][DISPATCHED]["yoy_pct"], places))
    direct = set(solve_prev(h22[DIRECT], t22["disposition"][DIRECT]["yoy_pct"], places))
    phone = set(solve_prev(h22[PHONE], t22["channel"][PHONE]["yoy_pct"], places))
    network = solve_prev(h22[NETWORK], t22["channel"][NETWORK]["yoy_pct"], places)
    share = t22["channel"][NETWORK]["prev_share_pct"]
    for tot in totals:
        near = sorted(dispatched, key=lambda x: abs(x - tot * W.DISPATCHED_2021))
        d = next((d for d in near if tot - d in direct), None)
        n = next((n for n in network if tot - n in phone and pct(n, tot, places) == Decimal(share)), None)
        if d is not None and n is not None:
            return {"total": tot, DISPATCHED: d, DIRECT: tot - d, PHONE: tot - n, NETWORK: n}
    raise SystemExit("no exact 2021 headline")


def plan_2021(inp: Inputs, y22: YearPlan) -> YearPlan:
    """2021 on the old taxonomy: the 2022 top-10 日常 categories at the values their 同比 fixes,
    the other 日常 categories at their 2022 value × DAILY_FACTOR_2021 (± noise), and the epidemic
    categories with what the total leaves.  Sub-categories follow the 2022 mix (± noise)."""
    t22 = inp.t22
    places = t22["precision"]["pct"]
    y21 = YearPlan(2021, headline=solve_headline_2021(t22, y22.headline))
    top = {e["l1"]: e for e in t22["top10"]}
    for l1, v22 in y22.totals.items():
        if l1 in y22.epidemic:
            continue
        if l1 in top:
            want = int(v22 / (1 + float(top[l1]["yoy_pct"]) / 100))
            y21.totals[l1] = solve_prev(v22, top[l1]["yoy_pct"], places, want)[0]
        else:
            noise = W.JITTER["daily_2021"] * rng_for(2021, l1).uniform(-1, 1)
            y21.totals[l1] = int(v22 * W.DAILY_FACTOR_2021 * (1 + noise))
    rest = y21.headline["total"] - sum(y21.totals.values())
    if rest <= 0:
        raise SystemExit("2021: the 日常 categories exceed the total")
    for (l1, _), v in zip(W.EPIDEMIC_2021, allocate(rest, [w for _, w in W.EPIDEMIC_2021])):
        y21.totals[l1] = int(v)
    y21.epidemic_like = [l1 for l1, _ in W.EPIDEMIC_2021]
    for l1, total in y21.totals.items():
        if l1 in y21.epidemic_like:
            y21.subs[l1] = mix_subs(l1, total)
            continue
        names = list(y22.subs[l1])
        w = np.array([y22.subs[l1][n] for n in names], dtype=float)
        w *= 1 + W.JITTER["mix_2021"] * rng_for(2021, l1, "mix").uniform(-1, 1, len(w))
        y21.subs[l1] = {n: int(v) for n, v in zip(names, allocate(total, w)) if v > 0}
    return y21


def mix_subs(l1: str, total: int) -> dict[str, int]:
    mix = W.L2_MIX[l1]
    return {n: int(v) for (n, _), v in zip(mix, allocate(total, [w for _, w in mix]))}


def plan_education_2022(inp: Inputs, y22: YearPlan, prev_remapped: dict[str, int]) -> None:
    """2022 教育 on the old taxonomy.  The remaps move 社会办学 and the invented 在线教育 and
    职业技能培训 to 社会培训机构, whose 2022 value the 2023 同比 fixes; 教育 itself (49.9 万) must
    still hold un-remapped, so the four 教育 sub-categories that stay are fitted to it."""
    e = next(x for x in inp.t22["top10"] if x["l1"] == "教育")
    target_l1 = inp.remapped_l1("教育", e["top5"][0][0])
    remapped_total = prev_remapped[target_l1]
    top = strict_top5(e["top5"])
    moved = [i for i, (n, _) in enumerate(e["top5"]) if inp.remapped_l1("教育", n) != "教育"]
    stay = [i for i in range(5) if i not in moved]
    extras = W.EXTRA_L2[2022]["教育"]
    if any(inp.remapped_l1("教育", n) == "教育" for n, _ in extras):
        raise SystemExit("the invented 2022 教育 sub-categories must all be remapped to 社会培训机构")
    moved_extra = remapped_total - sum(top[i] for i in moved)
    extra_vals = allocate(moved_extra, [w for _, w in extras])
    stay_vals = fit_parts([top[i] for i in stay], [wan_range(e["top5"][i][1]) for i in stay],
                          center(e["wan"]) - remapped_total)
    for i, v in zip(stay, stay_vals):
        top[i] = v
    if not (extra_vals < top[-1]).all():
        raise SystemExit(f"2022 教育: {extra_vals} not below the 5th ({top[-1]})")
    y22.totals["教育"] = sum(top) + int(extra_vals.sum())
    y22.subs["教育"] = {n: v for (n, _), v in zip(e["top5"], top)} | {n: int(v) for (n, _), v in zip(extras, extra_vals)}


# =============================================================================================
# Stage 2: months
# =============================================================================================


def month_pins(targets: dict) -> dict[tuple[str, str], dict[int, int]]:
    """Printed monthly values: {(l1, l2): {month index: count}}."""
    pins: dict[tuple[str, str], dict[int, int]] = {}
    for f in targets.get("monthly", []):
        if "l2" not in f or "wan" not in f:
            continue
        months = f["months"] if "months" in f else [f["month"]]
        values = f["wan"] if isinstance(f["wan"], list) else [f["wan"]]
        for m, v in zip(months, values):
            pins.setdefault((f["l1"], f["l2"]), {})[m - 1] = center(v)
    return pins


def shape(year: int, l1: str, l2: str) -> np.ndarray:
    if (year, l1, l2) in W.SERIES:
        return np.array(W.SERIES[(year, l1, l2)], dtype=float)
    noise = 1 + W.NOISE * rng_for(year, l1, l2).uniform(-1, 1, MONTHS)
    if (year, l1) in W.L1_PROFILE:
        return np.array(W.L1_PROFILE[(year, l1)]) * (1 + W.JITTER["profile"] * (noise - 1))
    if (l1, l2) in W.L2_SHAPE:
        base = W.L2_SHAPE[(l1, l2)]
    elif (year, l1) in W.SEASON_YEAR:
        base = W.SEASON_YEAR[(year, l1)]
    else:
        base = W.L1_STYLE.get((year, l1), W.SEASON.get(l1, [1.0] * MONTHS))
    return np.array(base, dtype=float) * np.array(W.TREND[year]) * noise


def month_series(total: int, weights: np.ndarray, pins: dict[int, int]) -> np.ndarray:
    out = np.zeros(MONTHS, dtype=np.int64)
    for m, v in pins.items():
        out[m] = v
    free = [m for m in range(MONTHS) if m not in pins]
    out[free] = allocate(total - sum(pins.values()), weights[free])
    # a unique maximum, so that "the peak month" is well defined
    while True:
        top = np.flatnonzero(out == out.max())
        movable = [m for m in top if m not in pins]
        if len(top) == 1:
            return out
        if not movable:
            raise SystemExit(f"tied pinned maxima {out}")
        src = movable[-1]
        dst = min((m for m in free if m not in top), key=lambda m: (out[m], m))
        out[src] -= 1
        out[dst] += 1


def split_months(plan: YearPlan, targets: dict | None) -> pd.DataFrame:
    """(l1, l2, month, count) for every sub-category; 2022's epidemic categories fill the months."""
    pins = month_pins(targets or {})
    rows: list[tuple[str, str, int, int]] = []
    for l1, subs in plan.subs.items():
        for l2, total in subs.items():
            series = month_series(total, shape(plan.year, l1, l2), pins.get((l1, l2), {}))
            rows += [(l1, l2, m, int(v)) for m, v in enumerate(series)]
    cells = pd.DataFrame(rows, columns=["category_l1", "category_l2", "m", "count"])
    if plan.epidemic:
        cells = pd.concat([cells, epidemic_months(plan, targets, cells)], ignore_index=True)
    return cells


def epidemic_months(plan: YearPlan, targets: dict, daily: pd.DataFrame) -> pd.DataFrame:
    """2022: monthly totals (1月 and 10月 printed) minus the 日常 categories = the epidemic volume,
    shared by the epidemic categories (新型冠状病毒肺炎疫情 takes the rest of every month)."""
    pinned = {f["month"] - 1: center(f["wan"]) for f in targets["monthly_total"] if f["fact"] == "value"}
    months = np.zeros(MONTHS, dtype=np.int64)
    for m, v in pinned.items():
        months[m] = v
    for m, v in W.MONTH_TOTALS_2022.items():
        months[m - 1] = nominal(v)
    rest = [m for m in range(MONTHS) if months[m] == 0]
    assert len(rest) == 1, "exactly one month takes the remainder"
    months[rest[0]] = plan.headline["total"] - int(months.sum())
    daily_m = daily.groupby("m")["count"].sum().reindex(range(MONTHS), fill_value=0).to_numpy()
    volume = months - daily_m
    per_l1: dict[str, np.ndarray] = {}
    for l1 in plan.epidemic[1:]:
        per_l1[l1] = allocate(plan.totals[l1], volume * np.array(W.EPIDEMIC_TILT_2022[l1]))
    main = volume - sum(per_l1.values())
    if (main <= 0).any() or int(main.sum()) != plan.totals[plan.epidemic[0]]:
        raise SystemExit(f"epidemic months do not add up: {main}")
    per_l1 = {plan.epidemic[0]: main} | per_l1
    rows = []
    for l1, series in per_l1.items():
        mix = W.L2_MIX[l1]
        plan.subs[l1] = {}
        for m in range(MONTHS):
            noise = 1 + W.NOISE * rng_for(2022, l1, m).uniform(-1, 1, len(mix))
            for (l2, _), v in zip(mix, allocate(int(series[m]), np.array([w for _, w in mix]) * noise)):
                rows.append((l1, l2, m, int(v)))
                plan.subs[l1][l2] = plan.subs[l1].get(l2, 0) + int(v)
    return pd.DataFrame(rows, columns=["category_l1", "category_l2", "m", "count"])


# =============================================================================================
# Stage 3: 派单 / 直接答复
# =============================================================================================


def split_disposition(plan: YearPlan, cells: pd.DataFrame) -> pd.DataFrame:
    fixed = W.DISPATCH[plan.year]
    totals = cells.groupby("category_l1", sort=False)["count"].sum()
    target: dict[str, int] = {l1: int(round(fixed[l1] * int(totals[l1]))) for l1 in fixed}
    absorbers = [l1 for l1 in totals.index if l1 not in fixed]
    left = plan.headline[DISPATCHED] - sum(target.values())
    base = [W.DISPATCH_BASE.get(l1, W.DISPATCH_DEFAULT) * int(totals[l1]) for l1 in absorbers]
    caps = [int(totals[l1]) for l1 in absorbers]
    for l1, v in zip(absorbers, allocate(left, base, caps)):
        target[l1] = int(v)
    dispatched = np.zeros(len(cells), dtype=np.int64)
    for l1, idx in cells.groupby("category_l1", sort=False).indices.items():
        sub = cells.iloc[idx]
        share = target[l1] / max(1, int(totals[l1]))
        tilt = np.array([W.DISPATCH_L2[(plan.year, l1, l2)] / max(share, 1e-9) if (plan.year, l1, l2) in W.DISPATCH_L2
                         else 1 + W.JITTER["dispatch_l2"] * rng_for(plan.year, l1, l2, "派单").uniform(-1, 1) for l2 in sub["category_l2"]])
        dispatched[idx] = allocate(target[l1], sub["count"].to_numpy() * tilt, sub["count"].to_numpy())
    a = cells.assign(disposition=DISPATCHED, count=dispatched)
    b = cells.assign(disposition=DIRECT, count=cells["count"].to_numpy() - dispatched)
    return pd.concat([a, b], ignore_index=True)


# =============================================================================================
# Stage 4: half-month buckets (dates)
# =============================================================================================


def bucket_date(year: int, b: int) -> str:
    return f"{year}-{b // 2 + 1:02d}-{'01' if b % 2 == 0 else str(SPLIT_DAY)}"


def split_dates(plan: YearPlan, cells: pd.DataFrame) -> pd.DataFrame:
    """Each (category, month, disposition) cell → the buckets dated the 1st (days 1–18) and the
    19th (days 19 to the end), in proportion to their days (± a little noise per sub-category)."""
    days = np.array([calendar.monthrange(plan.year, m + 1)[1] for m in range(MONTHS)])
    first_share = (SPLIT_DAY - 1) / days
    keys = cells["category_l1"] + "|" + cells["category_l2"]
    jitter = W.JITTER["first_half"]
    tilt = keys.map({k: 1 + jitter * rng_for(plan.year, k, "date").uniform(-1, 1) for k in keys.unique()}).to_numpy()
    count = cells["count"].to_numpy()
    share = np.clip(first_share[cells["m"].to_numpy()] * tilt, 0, 1)
    first = np.floor(count * share + 0.5).astype(np.int64)
    a = cells.assign(b=2 * cells["m"].to_numpy(), count=first)
    b = cells.assign(b=2 * cells["m"].to_numpy() + 1, count=count - first)
    out = pd.concat([a, b], ignore_index=True).drop(columns=["m"])
    return out[out["count"] > 0].reset_index(drop=True)


# =============================================================================================
# Handling units: exact totals
# =============================================================================================

Unit = tuple[str, str | None, str | None]       # (handler_level, district, handler)


@dataclass
class UnitPlan:
    """The exact 派单 total of every handling unit in one year's file."""
    year: int
    totals: dict[Unit, int] = field(default_factory=dict)

    def city(self, level: str | None = None) -> dict[str, int]:
        return {u[2]: v for u, v in self.totals.items() if u[2] is not None and (level is None or u[0] == level)}


def solve_districts(spec: dict, places: int) -> dict[str, tuple[int, int]]:
    """{district: (total, streets)} with every figure of the district sentences, the 16-district
    total, the streets' total and its share exact (spec: the targets' ``handling``)."""
    s_lo, s_hi = wan_window(spec["districts_total"]["wan"], spec["districts_total"].get("wan_places", 1))
    rows = spec["districts"]
    # the districts' shares narrow the 16-district total down
    lo, hi = s_lo, s_hi
    for r in rows:
        n_lo, n_hi = wan_window(r["wan"])
        p = Decimal(r["share_pct"]) / 100
        h = Decimal(5).scaleb(-places - 3)
        lo = max(lo, math.floor(Decimal(n_lo) / (p + h)))
        hi = min(hi, math.ceil(Decimal(n_hi) / (p - h)) + 1)
    st = spec["streets_total"]
    b_lo, b_hi = wan_window(st["wan"])
    for total in sorted(range(lo, hi), key=lambda s: (abs(2 * s - lo - hi), s)):
        options = []
        for r in rows:
            n_lo, n_hi = wan_window(r["wan"])
            p_lo, p_hi = pct_window(r["share_pct"], total, places)
            cands = []
            for n in range(max(n_lo, p_lo), min(n_hi, p_hi)):
                x_lo, x_hi = wan_window(r[STREET_LEVEL]["wan"])
                a_lo, a_hi = wan_window(r[DISTRICT_LEVEL]["wan"])
                q_lo, q_hi = pct_window(r[STREET_LEVEL]["share_pct"], n, places)
                pa_lo, pa_hi = pct_window(r[DISTRICT_LEVEL]["share_pct"], n, places)
                b0 = max(x_lo, n - a_hi + 1, q_lo, n - pa_hi + 1)
                b1 = min(x_hi, n - a_lo + 1, q_hi, n - pa_lo + 1)          # [b0, b1)
                if b0 < b1:
                    cands.append((n, b0, b1))
            if not cands:
                break
            options.append(cands)
        else:
            got = _fit_districts(options, total, (b_lo, b_hi), st["share_pct"], places)
            if got is not None:
                return {r["district"]: v for r, v in zip(rows, got)}
    raise SystemExit(f"no district totals reproduce the handling figures ({spec['districts_total']['wan']} 万)")


def _fit_districts(options, total, b_window, b_share, places):
    """Pick (n, b) per district: Σn = total, Σb inside the streets' window and share.  Start in
    the middle of every district's candidates, make Σn exact, then trade n between districts
    (one up, one down by the same amount) until the streets' sum can reach its window."""
    idx = [len(c) // 2 for c in options]
    diff = total - sum(c[i][0] for c, i in zip(options, idx))
    for k in range(len(options)):
        c = options[k]
        while diff > 0 and idx[k] + 1 < len(c):
            idx[k] += 1
            diff -= c[idx[k]][0] - c[idx[k] - 1][0]
        while diff < 0 and idx[k] > 0:
            idx[k] -= 1
            diff += c[idx[k] + 1][0] - c[idx[k]][0]
    if diff:
        return None
    p_lo, p_hi = pct_window(b_share, total, places)
    lo_b, hi_b = max(b_window[0], p_lo), min(b_window[1], p_hi) - 1          # inclusive
    if lo_b > hi_b:
        return None
    for _ in range(20000):
        chosen = [c[i] for c, i in zip(options, idx)]
        mins = sum(b0 for _, b0, _ in chosen)
        maxs = sum(b1 - 1 for _, _, b1 in chosen)
        if maxs >= lo_b and mins <= hi_b:
            break
        up = maxs < lo_b                       # raise the streets' maximum, or lower their minimum
        best = None
        for step in (50, 10, 1):
            for i, ci in enumerate(options):
                if idx[i] + step >= len(ci):
                    continue
                dn = ci[idx[i] + step][0] - ci[idx[i]][0]
                for j, cj in enumerate(options):
                    if j == i or idx[j] - step < 0 or cj[idx[j]][0] - cj[idx[j] - step][0] != dn:
                        continue
                    if up:
                        gain = (ci[idx[i] + step][2] - ci[idx[i]][2]) + (cj[idx[j] - step][2] - cj[idx[j]][2])
                    else:
                        gain = -((ci[idx[i] + step][1] - ci[idx[i]][1]) + (cj[idx[j] - step][1] - cj[idx[j]][1]))
                    if gain > 0 and (best is None or gain > best[0]):
                        best = (gain, i, j, step)
            if best is not None:
                break
        if best is None:
            return None
        _, i, j, step = best
        idx[i] += step
        idx[j] -= step
    else:
        return None
    chosen = [c[i] for c, i in zip(options, idx)]
    mins = sum(b0 for _, b0, _ in chosen)
    maxs = sum(b1 - 1 for _, _, b1 in chosen)
    want = (max(lo_b, mins) + min(hi_b, maxs)) // 2
    mids = [(b0 + b1 - 1) // 2 for _, b0, b1 in chosen]
    caps_up = [b1 - 1 - m for (_, _, b1), m in zip(chosen, mids)]
    caps_dn = [m - b0 for (_, b0, _), m in zip(chosen, mids)]
    gap = want - sum(mids)
    if gap > 0:
        mids = [m + int(d) for m, d in zip(mids, allocate(gap, [c + 1e-9 for c in caps_up], caps_up))]
    elif gap < 0:
        mids = [m - int(d) for m, d in zip(mids, allocate(-gap, [c + 1e-9 for c in caps_dn], caps_dn))]
    return [(n, b) for (n, _, _), b in zip(chosen, mids)]


def solve_units(inp: Inputs, plans: dict[int, YearPlan]) -> dict[int, UnitPlan]:
    """District (区级部门, 街乡镇) totals for every year, then the city-level units'."""
    out: dict[int, UnitPlan] = {}
    for year in YEARS:
        up = UnitPlan(year)
        if year == 2021:
            total = int(plans[2021].headline[DISPATCHED] * W.DISTRICT_SHARE_2021)
            names = inp.districts
            n = allocate(total, [W.DISTRICTS_2021[d][0] for d in names])
            for d, v in zip(names, n):
                streets = int(round(int(v) * W.DISTRICTS_2021[d][1]))
                up.totals[(DISTRICT_LEVEL, d, None)] = int(v) - streets
                up.totals[(STREET_LEVEL, d, None)] = streets
        else:
            t = inp.targets(year)
            got = solve_districts(t["handling"], t["precision"]["pct"])
            for d in inp.districts:
                n, b = got[d]
                up.totals[(DISTRICT_LEVEL, d, None)] = n - b
                up.totals[(STREET_LEVEL, d, None)] = b
        out[year] = up
    return out


def printed_units(inp: Inputs, year: int) -> dict[str, int]:
    """City-level units whose 万 a report prints: {name: exact count}."""
    if year == 2021:
        return {}
    h = inp.targets(year)["handling"]
    return {e["unit"]: center(e["wan"]) for key in ("city_departments", "state_enterprises") for e in h[key]["ranking"]}


def plan_city_units(inp: Inputs, year: int, up: UnitPlan, dispatched: int, topic_use: dict[str, int]) -> None:
    """The city-level units share what the districts leave of 派单: printed units exactly,
    topic-only units their topic rows, the others in proportion to CITY_UNITS."""
    city_total = dispatched - sum(up.totals.values())
    fixed = printed_units(inp, year)
    units = [(level, name, w) for level, lst in W.CITY_UNITS[year].items() for name, w in lst]
    values: dict[str, int] = {}
    for _level, name, _w in units:
        if name in fixed:
            values[name] = fixed[name]
        elif name in W.TOPIC_ONLY:
            values[name] = topic_use.get(name, 0)
    free = [(level, name, w) for level, name, w in units if name not in values]
    left = city_total - sum(values.values())
    jitter = W.JITTER["city_unit"]                                                   # no ties
    weights = [w * (1 + jitter * rng_for(year, name, "unit").uniform(-1, 1)) for _, name, w in free]
    for (_level, name, _), v in zip(free, allocate(left, weights)):
        values[name] = int(v)
    for level, name, _ in units:
        if values[name] < topic_use.get(name, 0):
            raise SystemExit(f"{year} {name}: {values[name]} is less than its 每月一题 rows ({topic_use[name]})")
        if values[name] > 0:
            up.totals[(level, None, name)] = values[name]
    check_unit_order(inp, year, up)


def check_unit_order(inp: Inputs, year: int, up: UnitPlan) -> None:
    """The printed rankings hold: named units first, in order, every other unit of the class below."""
    if year == 2021:
        return
    h = inp.targets(year)["handling"]
    for key in ("city_departments", "state_enterprises"):
        spec = h[key]
        named = [e["unit"] for e in spec["ranking"]] + list(spec.get("then", []))
        values = up.city(spec["level"])
        if len(set(values.values())) != len(values):
            raise SystemExit(f"{year} {spec['level']}: two units have the same total")
        order = sorted(values, key=lambda n: -values[n])
        if order[: len(named)] != named or values[order[len(named) - 1]] <= values[order[len(named)]]:
            raise SystemExit(f"{year} {spec['level']}: the ranking {order[:len(named) + 2]} does not start with {named}")


# =============================================================================================
# Stage 5: 每月一题 topics (派单 rows, counted by assessment period)
# =============================================================================================

ROW_KEYS = ["category_l1", "category_l2", "b", "handler_level", "district", "handler", "topic", "count"]


def period_buckets(table_year: int, k: int) -> list[tuple[int, int]]:
    """The two buckets of assessment period k (1–12) of ``table_year``: the 19th of the month
    before (in the previous year's file for k = 1) and the 1st of month k."""
    first = (table_year - 1, BUCKETS - 1) if k == 1 else (table_year, 2 * k - 3)
    return [first, (table_year, 2 * k - 2)]


class Capacity:
    """派单 per (year, category, bucket) that topics may still take."""

    def __init__(self, dated: dict[int, pd.DataFrame]) -> None:
        self.free: dict[tuple[int, str, str], np.ndarray] = {}
        for year, cells in dated.items():
            d = cells[cells["disposition"] == DISPATCHED]
            for (l1, l2), g in d.groupby(["category_l1", "category_l2"], sort=False):
                arr = np.zeros(BUCKETS, dtype=np.int64)
                arr[g["b"].to_numpy()] = np.floor(g["count"].to_numpy() * W.TOPIC_FILL).astype(np.int64)
                self.free[(year, l1, l2)] = arr

    def get(self, year: int, l1: str, l2: str, b: int) -> int:
        arr = self.free.get((year, l1, l2))
        return 0 if arr is None else int(arr[b])

    def take(self, year: int, l1: str, l2: str, b: int, n: int) -> None:
        arr = self.free[(year, l1, l2)]
        if arr[b] < n:
            raise SystemExit(f"{year} {l1}/{l2} bucket {b}: topic rows exceed the 派单 cell")
        arr[b] -= n


def city_levels(year: int) -> dict[str, str]:
    return {name: level for level, lst in W.CITY_UNITS[year].items() for name, _ in lst}


def topic_level(topic: str, district: str, street: float) -> str:
    return STREET_LEVEL if rng_for(topic, district, "level").uniform() < street else DISTRICT_LEVEL


def topic_others(inp: Inputs, units: dict[int, UnitPlan], table_year: int, spec: TopicSpec, top: list[str],
                 rest: int, cap: int) -> dict[str, int]:
    """The units after the top three: districts (weighted by size and the topic's tilt) and the
    spec's extra city units, each below the third."""
    up = units[table_year]
    names = [d for d in inp.districts if d not in top]
    size = {d: up.totals[(DISTRICT_LEVEL, d, None)] + up.totals[(STREET_LEVEL, d, None)] for d in names}
    tilt = {"rural": W.RURAL, "urban": W.URBAN}.get(spec.tilt or "", {})
    weights = [size[d] * tilt.get(d, 1.0) for d in names]
    extra = [u for u in spec.extra if u not in top]
    mean = sum(weights) / len(weights)
    names += extra
    weights += [W.TOPIC_EXTRA_WEIGHT * mean] * len(extra)
    weights = [w * (1 + W.JITTER["topic_units"] * rng_for(table_year, spec.cats[0][1], n, "topic").uniform(-1, 1))
               for n, w in zip(names, weights)]
    # graded caps below the third, so that the units that reach their cap do not tie
    rank = np.argsort(np.argsort(-np.array(weights), kind="stable"), kind="stable")
    top, step = W.TOPIC_CAPS["top"], W.TOPIC_CAPS["step"]
    caps = [min(cap, int((cap + 1) * (top - step * k))) for k in rank]
    if sum(caps) < rest:
        caps = [cap] * len(names)
    got = allocate(rest, weights, caps)
    return {n: int(v) for n, v in zip(names, got) if v > 0}


def plan_topics(inp: Inputs, units: dict[int, UnitPlan], dated: dict[int, pd.DataFrame]
                ) -> tuple[dict[int, list[tuple]], dict[int, dict[str, int]]]:
    """Every topic of the 2022 and 2023 tables: exact total over its assessment periods and exact
    top-three units; rows filed under the spec's categories where the 派单 cells have room."""
    cap = Capacity(dated)
    rows: dict[int, list[tuple]] = {y: [] for y in YEARS}
    use: dict[int, dict[str, int]] = {y: {} for y in YEARS}
    items = [(y, item) for y in (2023, 2022) for item in inp.targets(y)["topics"]["items"]]
    for table_year, item in sorted(items, key=lambda x: -x[1]["total"]):
        name, total = item["topic"], int(item["total"])
        spec = W.TOPIC_SPEC[table_year][name]
        shape = np.array(item.get("monthly") or spec.shape, dtype=float)
        noise = W.JITTER["topic_months"] * rng_for(table_year, name, "months").uniform(-1, 1, MONTHS)
        periods = allocate(total, shape * (1 + noise))
        # periods → buckets, where the topic's categories have room
        buckets: list[tuple[int, int, int]] = []
        for k, v in enumerate(periods, start=1):
            pair = period_buckets(table_year, k)
            room = [sum(cap.get(y, l1, l2, b) for l1, l2, _ in spec.cats) for y, b in pair]
            if v > sum(room):
                raise SystemExit(f"每月一题 {table_year} {name}: period {k}K needs {v}, its categories have {sum(room)}")
            for (y, b), n in zip(pair, allocate(int(v), [r * 1.0 for r in room], room)):
                buckets.append((y, b, int(n)))
        # units: the top three exactly, the others below the third
        top = [u for u, _ in item["units"]]
        top_counts = [int(c) for _, c in item["units"]]
        if any(a <= b for a, b in zip(top_counts, top_counts[1:])):
            raise SystemExit(f"每月一题 {name}: the top three must be strictly ordered")
        others = topic_others(inp, units, table_year, spec, top, total - sum(top_counts), top_counts[-1] - 1)
        unit_totals = dict(zip(top, top_counts)) | others
        unames = list(unit_totals)
        ucount = np.array([unit_totals[u] for u in unames], dtype=np.int64)
        bcount = np.array([n for _, _, n in buckets], dtype=np.int64)
        grid = round_matrix(np.outer(bcount, ucount) / total, bcount, ucount, f"每月一题 {name}")
        # each bucket's units → the spec's categories
        for (y, b, n), per_unit in zip(buckets, grid):
            if n == 0:
                continue
            levels = city_levels(y)
            cats = [(l1, l2) for l1, l2, _ in spec.cats]
            room = np.array([cap.get(y, l1, l2, b) for l1, l2 in cats], dtype=np.int64)
            w = np.array([wt for _, _, wt in spec.cats], dtype=float) * (room > 0)
            per_cat = allocate(n, w, room)          # the spec's mix, as far as the cells have room
            split = round_matrix(np.outer(per_unit, per_cat) / n, per_unit, per_cat, f"每月一题 {name} {y}/{b}")
            for ui, u in enumerate(unames):
                for ci, (l1, l2) in enumerate(cats):
                    c = int(split[ui, ci])
                    if c == 0:
                        continue
                    cap.take(y, l1, l2, b, c)
                    if u in levels:
                        rows[y].append((l1, l2, b, levels[u], None, u, name, c))
                    elif u in inp.districts:
                        rows[y].append((l1, l2, b, topic_level(name, u, spec.street), u, None, name, c))
                    else:
                        raise SystemExit(f"每月一题 {name}: unknown unit {u} in {y}")
                    use[y][u] = use[y].get(u, 0) + c
    return rows, use


# =============================================================================================
# Stage 6: handling units (派单 rows)
# =============================================================================================


def _lookup(table: dict, l1: str, l2: str, default=None):
    return table.get((l1, l2), table.get((l1, None), default))


def _in(cats: set, l1: str, l2: str) -> bool:
    return (l1, l2) in cats or (l1, None) in cats


def affinity(year: int, cats: list[tuple[str, str]], ulist: list[Unit], districts: list[str],
             up: UnitPlan, online: dict[str, float] | None = None) -> np.ndarray:
    """W[category, unit]: how a category's 派单 spreads over the units before their totals are imposed
    (``online``: the districts' ONLINE factors, the year's entry of ONLINE when not given)."""
    size = np.array([up.totals[(DISTRICT_LEVEL, d, None)] + up.totals[(STREET_LEVEL, d, None)] for d in districts], float)
    size /= size.sum()
    rural = np.array([W.RURAL[d] for d in districts])
    urban = np.array([W.URBAN[d] for d in districts])
    online_factor = W.ONLINE[year] if online is None else online
    online_arr = np.array([online_factor.get(d, 1.0) for d in districts])
    col = {u: i for i, u in enumerate(ulist)}
    w = np.zeros((len(cats), len(ulist)))
    for ci, (l1, l2) in enumerate(cats):
        dw = size.copy()
        if _in(W.RURAL_CATS, l1, l2):
            dw *= rural
        if _in(W.URBAN_CATS, l1, l2):
            dw *= urban
        if _in(W.ONLINE_CATS, l1, l2):
            dw *= online_arr
        dw *= 1 + W.JITTER["districts"] * rng_for(year, l1, l2, "districts").uniform(-1, 1, len(districts))
        dw /= dw.sum()
        s = _lookup(W.STREET_SHARE, l1, l2, W.STREET_SHARE_DEFAULT)
        for di, d in enumerate(districts):
            if (DISTRICT_LEVEL, d, None) in col:
                w[ci, col[(DISTRICT_LEVEL, d, None)]] = dw[di] * (1 - s)
            if (STREET_LEVEL, d, None) in col:
                w[ci, col[(STREET_LEVEL, d, None)]] = dw[di] * s
        for u, j in col.items():
            if u[2] is None:
                continue
            if u[2] in W.ZONE_UNITS:
                w[ci, j] = W.ZONE_UNITS[u[2]]
            else:
                w[ci, j] = _lookup(W.UNIT_AFFINITY.get(u[2], {}), l1, l2, 0.0)
    return w


def time_split(year: int, cat: tuple[str, str], r: np.ndarray, x: np.ndarray, ulist: list[Unit],
               sparsity: float | None = None) -> list[tuple[int, int, int]]:
    """A category's buckets (counts r) → its units (counts x), sparsely: largest unit first, each
    in about volume / SPARSITY buckets (the ones with the most room left, with some noise so that
    units differ), in proportion to that room.  Σ over units = r and Σ over buckets = x exactly."""
    nb = len(r)
    room = np.asarray(r, dtype=np.int64).copy()
    out: list[tuple[int, int, int]] = []
    for j in np.argsort(-x, kind="stable"):
        need = int(x[j])
        if need == 0:
            continue
        k = int(min(nb, max(1, math.ceil(need / (W.SPARSITY if sparsity is None else sparsity)))))
        noise = 1 + W.JITTER["buckets"] * rng_for(year, cat, ulist[j], "buckets").uniform(-1, 1, nb)
        pref = [int(b) for b in np.argsort(-(room * noise), kind="stable") if room[b] > 0]
        chosen = pref[:k]
        while room[chosen].sum() < need:
            chosen = pref[: len(chosen) + 1]
        vals = allocate(need, room[chosen].astype(float), room[chosen])
        for bb, v in zip(chosen, vals):
            if v:
                out.append((bb, int(j), int(v)))
                room[bb] -= int(v)
    if room.sum():
        raise SystemExit(f"{year} {cat}: buckets left over after the units")
    return out


def split_units(year: int, dated: pd.DataFrame, topic_rows: list[tuple], up: UnitPlan,
                districts: list[str], online: dict[str, float] | None = None, weigh=None,
                sparsity: float | None = None) -> pd.DataFrame:
    """The 派单 cells (category × bucket) → handling units, on top of the topic rows: every unit's
    total is exact (UnitPlan), and every cell keeps its count (``online``: as for ``affinity``;
    ``weigh(cats, ulist)``: the category × unit weights instead of ``affinity``'s; ``sparsity``: instead of
    SPARSITY)."""
    d = dated[dated["disposition"] == DISPATCHED]
    cats = list(dict.fromkeys(zip(d["category_l1"], d["category_l2"])))
    cidx = {c: i for i, c in enumerate(cats)}
    cells = np.zeros((len(cats), BUCKETS), dtype=np.int64)
    np.add.at(cells, ([cidx[c] for c in zip(d["category_l1"], d["category_l2"])], d["b"].to_numpy()), d["count"].to_numpy())
    topics = pd.DataFrame(topic_rows, columns=ROW_KEYS, dtype=object).astype({"b": np.int64, "count": np.int64})
    left = dict(up.totals)
    for l1, l2, b, level, district, handler, _, n in topic_rows:
        cells[cidx[(l1, l2)], b] -= n
        key = (level, district, handler)
        left[key] = left.get(key, 0) - n
    if (cells < 0).any():
        raise SystemExit(f"{year}: topic rows exceed their 派单 cells")
    if any(v < 0 for v in left.values()):
        raise SystemExit(f"{year}: topic rows exceed a unit's total: {[u for u, v in left.items() if v < 0]}")
    ulist = [u for u, v in left.items() if v > 0]
    ucount = np.array([left[u] for u in ulist], dtype=np.int64)
    rowsum = cells.sum(1)
    if rowsum.sum() != ucount.sum():
        raise SystemExit(f"{year}: units total {ucount.sum()} ≠ 派单 left {rowsum.sum()}")
    w = affinity(year, cats, ulist, districts, up, online) if weigh is None else weigh(cats, ulist)
    x = round_matrix(ipf(w, rowsum, ucount, f"{year} units"), rowsum, ucount, f"{year} units", support=w > 0)
    out_l1, out_l2, out_b, out_u, out_n = [], [], [], [], []
    for ci, cat in enumerate(cats):
        r = cells[ci]
        bs = np.flatnonzero(r > 0)
        xs = x[ci]
        js = np.flatnonzero(xs > 0)
        if len(bs) == 0:
            continue
        parts = time_split(year, cat, r[bs], xs[js], [ulist[j] for j in js], sparsity)
        out_l1 += [cat[0]] * len(parts)
        out_l2 += [cat[1]] * len(parts)
        out_b.append(np.array([bs[p[0]] for p in parts], dtype=np.int64))
        out_u += [ulist[js[p[1]]] for p in parts]
        out_n.append(np.array([p[2] for p in parts], dtype=np.int64))
    rest = pd.DataFrame({
        "category_l1": out_l1, "category_l2": out_l2, "b": np.concatenate(out_b),
        "handler_level": [u[0] for u in out_u], "district": [u[1] for u in out_u], "handler": [u[2] for u in out_u],
        "topic": None, "count": np.concatenate(out_n),
    })
    return pd.concat([topics, rest], ignore_index=True)


# =============================================================================================
# Stage 7: 电话 / 网络
# =============================================================================================


def split_channel(plan: YearPlan, rows: pd.DataFrame) -> pd.DataFrame:
    year = plan.year
    share = np.array(W.NETWORK_SHARE[year])[rows["b"].to_numpy() // 2]
    factor = rows["category_l1"].map(lambda l1: W.NETWORK_FACTOR[year].get(l1, W.NETWORK_FACTOR_DEFAULT[year])).to_numpy()
    count = rows["count"].to_numpy()
    network = allocate(plan.headline[NETWORK], count * share * factor, count)
    a = rows.assign(channel=PHONE, count=count - network)
    b = rows.assign(channel=NETWORK, count=network)
    return pd.concat([a, b], ignore_index=True)


# =============================================================================================
# Assembly and output
# =============================================================================================


@dataclass
class Built:
    plans: dict[int, YearPlan]
    units: dict[int, UnitPlan]
    frames: dict[int, pd.DataFrame]


def build(inp: Inputs) -> Built:
    plans = plan_years(inp)
    dated: dict[int, pd.DataFrame] = {}
    for year in YEARS:
        targets = inp.targets(year) if year != 2021 else None
        cells = split_months(plans[year], targets)
        cells = split_disposition(plans[year], cells)
        dated[year] = split_dates(plans[year], cells)
    units = solve_units(inp, plans)
    topic_rows, topic_use = plan_topics(inp, units, dated)
    frames = {}
    for year in YEARS:
        plan_city_units(inp, year, units[year], plans[year].headline[DISPATCHED], topic_use[year])
        dispatched = split_units(year, dated[year], topic_rows[year], units[year], inp.districts)
        direct = dated[year][dated[year]["disposition"] == DIRECT].drop(columns=["disposition"])
        direct = direct.assign(handler_level=None, district=None, handler=None, topic=None)
        rows = pd.concat([dispatched.assign(disposition=DISPATCHED), direct.assign(disposition=DIRECT)],
                         ignore_index=True)
        rows = rows[rows["count"] > 0]
        rows = split_channel(plans[year], rows)
        frames[year] = finish(plans[year], inp, rows)
        check_taxonomy(frames[year], inp.taxonomy, year)
    return Built(plans, units, frames)


def finish(plan: YearPlan, inp: Inputs, rows: pd.DataFrame) -> pd.DataFrame:
    rows = rows[rows["count"] > 0]
    order = {l1: i for i, l1 in enumerate(plan.totals)}
    dorder = {d: i for i, d in enumerate(inp.districts)}
    lorder = {lv: i for i, lv in enumerate(LEVELS)}
    rows = rows.assign(_o=rows["category_l1"].map(order),
                       _d=rows["disposition"].map({DISPATCHED: 0, DIRECT: 1}),
                       _c=rows["channel"].map({PHONE: 0, NETWORK: 1}),
                       _l=rows["handler_level"].map(lorder).fillna(-1),
                       _di=rows["district"].map(dorder).fillna(-1),
                       _h=rows["handler"].fillna(""), _t=rows["topic"].fillna(""))
    rows = rows.sort_values(["b", "_o", "category_l1", "category_l2", "_d", "_l", "_di", "_h", "_t", "_c"],
                            kind="mergesort")
    b = rows["b"].to_numpy()
    out = pd.DataFrame({
        "month": [f"{plan.year}-{m + 1:02d}" for m in b // 2],
        "date": [bucket_date(plan.year, int(x)) for x in b],
        "channel": rows["channel"].to_numpy(),
        "disposition": rows["disposition"].to_numpy(),
        "category_l1": rows["category_l1"].to_numpy(),
        "category_l2": rows["category_l2"].to_numpy(),
        "district": rows["district"].to_numpy(dtype=object),
        "street": pd.Series([None] * len(rows), dtype="object"),
        "handler_level": rows["handler_level"].to_numpy(dtype=object),
        "handler": rows["handler"].to_numpy(dtype=object),
        "topic": rows["topic"].to_numpy(dtype=object),
        "count": rows["count"].to_numpy().astype("int64"),
    })
    for col in ("district", "handler_level", "handler", "topic"):
        out[col] = out[col].where(out[col].notna(), None)
    return out[list(COLUMNS)].reset_index(drop=True)


def check_taxonomy(frame: pd.DataFrame, taxonomy: dict, year: int) -> None:
    known = {(l1, l2) for l1, subs in taxonomy["categories"].items() for l2 in subs}
    pairs = set(zip(frame["category_l1"], frame["category_l2"]))
    unknown = sorted(pairs - known)
    if unknown:
        raise SystemExit(f"{year}: categories missing from {TAXONOMY.relative_to(ROOT)}: {unknown[:10]}")


def check_units_file(frames: dict[int, pd.DataFrame]) -> None:
    """Every city-level unit of the data is listed in config/beijing/units.yaml under its class."""
    listed = load_yaml(UNITS_FILE)
    known = {(level, name) for level, names in listed.items() for name in names}
    for year, frame in frames.items():
        city = frame[frame["handler"].notna()]
        pairs = set(zip(city["handler_level"], city["handler"]))
        missing = sorted(pairs - known)
        if missing:
            raise SystemExit(f"{year}: units missing from {UNITS_FILE.relative_to(ROOT)}: {missing[:10]}")


SCHEMA = pa.schema([(c, pa.int64() if c == "count" else pa.string()) for c in COLUMNS])


def generate(inp: Inputs | None = None) -> dict[int, pd.DataFrame]:
    frames = build(inp or load_inputs()).frames
    check_units_file(frames)
    return frames


def write(frames: dict[int, pd.DataFrame], out: Path) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for year, frame in frames.items():
        table = pa.Table.from_pandas(frame, schema=SCHEMA, preserve_index=False).replace_schema_metadata(None)
        path = out / f"records-{year}.parquet"
        write_parquet(path, table)
        written.append(path)
        if year == 2023:
            csv = out / f"records-{year}.csv"
            replace_atomically(csv, partial(frame.to_csv, index=False, encoding="utf-8", lineterminator="\n"))
            written.append(csv)
    return written


def add_options(parser) -> None:
    """``--targets`` and ``--year``: a new edition's sample by the generic path (data/sample/edition.py)."""
    parser.add_argument("--targets", type=Path, default=None,
                        help="a targets file (data/targets/annual-<year>.yaml): make the sample of that edition "
                             "and its comparison year by the generic path, instead of the built-in 2021–2023 data")
    parser.add_argument("--year", type=int, default=None, help="the edition's year (with --targets)")


def run(out: Path, targets: Path | None = None, year: int | None = None) -> int:
    if targets is not None or year is not None:
        if targets is None or year is None:
            raise SystemExit("--targets and --year go together (the built-in 2021–2023 data takes neither)")
        from . import edition

        return edition.run(out, targets, year)
    for path in write(generate(), out):
        print(path)
    return 0


def main(argv: list[str] | None = None) -> int:
    return cli(sys.modules[__name__], argv)
