"""Sample records of a new edition, driven only by its targets file (the generic path of ``records``).

    python -m data.sample records --targets data/targets/annual-2024-example.yaml --year 2024 --out DIR

writes ``records-<year>.parquet``, ``records-<year>.csv`` and ``records-<comparison_year>.parquet`` (the targets'
``comparison_year``) in the same records contract as the built-in 2021–2023 data (``records.py``): one row per
(date, channel, disposition, category_l1, category_l2, district, street, handler_level, handler, topic) with its
``count``, half-month ``date`` buckets, handling units on 派单 rows.  Group-by sums over them, rounded half-up as
the reports round, give back every figure of the targets file that this path honours:

- ``total``, ``disposition``, ``channel``: 万, ``share_pct`` and ``yoy_pct`` against the comparison year (and
  ``channel.网络.prev_share_pct``, the comparison year's network share);
- ``top10``: the categories in order, each with its 万, 同比 and its top five sub-categories in order with their 万;
- ``top20``: 万, share, and the five highest 派单 / 直接答复 shares among the top 20, in order;
- ``monthly`` and ``shapes``: every fact kind of the 2023 file (printed monthly values pinned; each fact is drawn
  into the series, then checked: a combination the drawing cannot meet stops with the fact's key);
- ``handling``: the 16-district total, the streets' total and share, every printed district sentence (all of it or
  a few districts), the highest and the lowest district, and the city-level rankings (``ranking`` with 万, then
  ``then`` in order);
- ``topics``: every topic's total by assessment period (考核期), its top three units exactly, the table's count,
  万 and top three.

Nothing here names a year: the edition's year is ``--year`` (it must match the file's ``year``), the comparison
year is the file's ``comparison_year``, and everything the file does not print is invented, in
``data/sample/weights/edition.yaml`` (``EW.NAME``) and the year-free entries of ``records.yaml`` (``W.NAME``).  The
comparison year gets only what the 同比 need exactly (total, 派单, 直接答复, the channels with a 同比, the top-ten
categories); the rest of it follows this year's mix.  No taxonomy remap is simulated: both years are written in
the current taxonomy.  Keys of the targets file this path does not know (``epidemic``, ``daily_top20``,
``monthly_total``, ``channel_facts``, …: the 2022 report's special cases) are named on stderr and not reproduced.
When a figure cannot be met (inconsistent figures), generation stops with the targets file, the key and its value.
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction
from functools import lru_cache, partial
from pathlib import Path
from typing import Any, NoReturn

import numpy as np
import pandas as pd
import pyarrow as pa

from . import records as R
from .common import PROFILE, ROOT, TAXONOMY, UNIT, Weights, category, load_yaml, pct_window, replace_atomically
from .common import wan_window as _wan_window
from .common import spread_ties, write_parquet
from .records import (
    DIRECT, DISPATCHED, DISTRICT_LEVEL, MONTHS, NETWORK, PHONE, STREET_LEVEL, TopicSpec, UnitPlan, W, YearPlan,
    allocate, rng_for,
)

KNOWN_KEYS = ("year", "source", "comparison_year", "precision", "total", "disposition", "channel", "top20", "top10",
              "monthly", "shapes", "handling", "topics", "not_targeted")
BIG = 10 ** 15


def _topic_spec(raw: dict) -> TopicSpec:
    return TopicSpec(cats=tuple((*category(k), w) for k, w in raw["cats"].items()),
                     shape=tuple(raw.get("shape", TopicSpec.shape)), street=raw.get("street", TopicSpec.street),
                     tilt=raw.get("tilt"), extra=tuple(raw.get("extra", ())))


def _tables(raw: dict) -> dict:
    t = dict(raw)
    t["DISPATCH_L2"] = {category(k): v for k, v in raw.get("DISPATCH_L2", {}).items()}
    t["TOPIC_SPEC"] = {name: _topic_spec(s) for name, s in raw.get("TOPIC_SPEC", {}).items()}
    t["CITY_LEVEL"] = {name: level for level, units in raw["CITY_UNITS"].items() for name in units}
    return t


EW = Weights("edition", _tables)    # data/sample/weights/edition.yaml


# =============================================================================================
# The targets file
# =============================================================================================


def _show(value: Any) -> str:
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


@dataclass
class Edition:
    path: Path
    t: dict
    year: int
    prev: int
    wan_places: int
    pct_places: int
    taxonomy: dict
    profile: dict
    notices: list[str] = field(default_factory=list)

    def fail(self, key: str, value: Any, why: str) -> NoReturn:
        raise SystemExit(f"{_rel(self.path)}: {key} = {_show(value)}: {why}")

    @property
    def districts(self) -> list[str]:
        return [d["name"] for d in self.profile["districts"]]

    def subs(self, l1: str) -> list[str]:
        return list(self.taxonomy["categories"].get(l1) or [])

    def wan_window(self, text: Any) -> tuple[int, int]:
        return _wan_window(str(text), self.wan_places)

    def wan(self, count: int) -> Decimal:
        return R.wan(count, self.wan_places)

    def pct(self, part: int, whole: int) -> Decimal:
        return R.pct(part, whole, self.pct_places)

    def center(self, text: Any) -> int:
        return int(Decimal(str(text)) * UNIT)

    def shim(self) -> R.Inputs:
        """The few records.py stages reused here read only the taxonomy and the districts of their Inputs."""
        return R.Inputs({}, {}, self.taxonomy, self.profile)


def _rel(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(ROOT))
    except ValueError:
        return str(path)


def load_edition(path: Path, year: int, taxonomy: Path = TAXONOMY, profile: Path = PROFILE) -> Edition:
    t = load_yaml(path)
    if not isinstance(t, dict):
        raise SystemExit(f"{_rel(path)}: not a targets file (a YAML mapping with total, disposition, top10, …)")
    base = Edition(path, t, year, 0, 1, 1, load_yaml(taxonomy), load_yaml(profile))
    if "year" in t and int(t["year"]) != year:
        base.fail("year", t["year"], f"the file is for another year than --year {year}")
    if "comparison_year" not in t:
        base.fail("comparison_year", None, "the generic path needs the comparison year of the 同比")
    prev = int(t["comparison_year"])
    if prev == year:
        base.fail("comparison_year", prev, "the comparison year must differ from the edition's year")
    precision = t.get("precision") or {}
    base.prev, base.wan_places, base.pct_places = prev, int(precision.get("wan", 1)), int(precision.get("pct", 1))
    if "total" not in t or "wan" not in (t["total"] or {}):
        base.fail("total", t.get("total"), "the generic path needs total.wan")
    unknown = [k for k in t if k not in KNOWN_KEYS]
    if unknown:
        base.notices.append(f"{_rel(path)}: not reproduced by the generic path (keys it does not know): "
                            + ", ".join(unknown))
    return base


# =============================================================================================
# Exact windows
# =============================================================================================


@lru_cache(maxsize=None)
def _prev_window(cur: int, text: str, places: int) -> tuple[int, int]:
    t = Decimal(text)
    half = Decimal(5).scaleb(-places - 1)
    r_lo, r_hi = 1 + (t - half) / 100, 1 + (t + half) / 100       # cur / p in about [r_lo, r_hi)
    if r_hi <= 0:
        return 1, 1

    def edge(p: int, pred) -> int:
        """The smallest p' with pred(p'), starting near p (the 同比 falls as p' grows)."""
        p = max(1, p)
        while p > 1 and pred(p - 1):
            p -= 1
        while not pred(p):
            p += 1
        return p

    lo = edge(int(Decimal(cur) / r_hi), lambda p: R.yoy(cur, p, places) <= t)
    hi = edge(int(Decimal(cur) / r_lo) if r_lo > 0 else BIG, lambda p: R.yoy(cur, p, places) < t)
    return lo, hi


def prev_window(cur: int, text: Any, places: int) -> tuple[int, int]:
    """[lo, hi): the comparison-year values p > 0 whose 同比 ``cur`` against p prints as ``text`` % (half-up):
    the ends from the exact ratios, checked and moved to the exact edges with the reports' rounding."""
    return _prev_window(int(cur), str(text), int(places))


def _meet(*windows: tuple[int, int] | None) -> tuple[int, int]:
    lo, hi = -BIG, BIG
    for w in windows:
        if w is not None:
            lo, hi = max(lo, w[0]), min(hi, w[1])
    return lo, hi


def _minus(total: int, w: tuple[int, int] | None) -> tuple[int, int] | None:
    """{total − x : x in w}, half-open."""
    return None if w is None else (total - w[1] + 1, total - w[0] + 1)


def _near(w: tuple[int, int], want: float, k: int | None = None) -> list[int]:
    """The integers of w, nearest to ``want`` first (at most k of them)."""
    lo, hi = w
    if lo >= hi:
        return []
    c = min(max(int(round(want)), lo), hi - 1)
    out = [c]
    step = 1
    while (k is None or len(out) < k) and (c - step >= lo or c + step < hi):
        if c - step >= lo:
            out.append(c - step)
        if c + step < hi:
            out.append(c + step)
        step += 1
    return out[:k] if k is not None else out


def _clamp(x: float, w: tuple[int, int]) -> int | None:
    return None if w[0] >= w[1] else min(max(int(round(x)), w[0]), w[1] - 1)


# =============================================================================================
# Stage 1: the headline (total, 派单 / 直接答复, 电话 / 网络) of both years
# =============================================================================================


def _yoy_ratio(spec: dict | None) -> float | None:
    if not spec or "yoy_pct" not in spec:
        return None
    return 1 + float(Decimal(str(spec["yoy_pct"]))) / 100


def solve_headline(ed: Edition) -> tuple[dict[str, int], dict[str, int]]:
    t = ed.t
    disp, chan = t.get("disposition") or {}, t.get("channel") or {}
    tw = ed.wan_window(t["total"]["wan"])

    def part_window(spec: dict | None, whole: int) -> tuple[int, int] | None:
        if not spec:
            return None
        ws = []
        if "wan" in spec:
            ws.append(ed.wan_window(spec["wan"]))
        if "share_pct" in spec:
            ws.append(pct_window(str(spec["share_pct"]), whole, ed.pct_places))
        return _meet(*ws) if ws else None

    def split(whole: int, a: dict | None, b: dict | None, default: float) -> list[int]:
        """The values of part a (b = whole − a), nearest to their centres first."""
        wa, wb = part_window(a, whole), part_window(b, whole)
        w = _meet((0, whole + 1), wa, _minus(whole, wb))
        if a and "wan" in a:
            want = float(ed.center(a["wan"]))
        elif b and "wan" in b:
            want = whole - float(ed.center(b["wan"]))
        else:
            want = whole * default
        return _near(w, want, 12)

    ratio = float(EW.COMPARISON["ratio"])
    for total in _near(tw, ed.center(t["total"]["wan"])):
        d_opts = split(total, disp.get(DISPATCHED), disp.get(DIRECT), float(EW.HEADLINE["dispatched"]))
        n_opts = split(total, chan.get(NETWORK), chan.get(PHONE), float(EW.HEADLINE["network"]))
        for d in d_opts:
            for n in n_opts:
                cur = {"total": total, DISPATCHED: d, DIRECT: total - d, PHONE: total - n, NETWORK: n}
                if min(cur.values()) <= 0:
                    continue
                prev = _solve_prev_headline(ed, cur, ratio)
                if prev is not None:
                    return cur, prev
    ed.fail("total / disposition / channel", {"total": t["total"], "disposition": disp, "channel": chan},
            "no integer totals print all of these figures together (万, shares and 同比): "
            + _headline_diagnosis(ed, tw, split))


def _headline_diagnosis(ed: Edition, tw: tuple[int, int], split) -> str:
    """Which part of the headline cannot be met: this year's 万 and shares, or the 同比's comparison values."""
    t = ed.t
    disp, chan = t.get("disposition") or {}, t.get("channel") or {}
    for total in _near(tw, ed.center(t["total"]["wan"])):
        d = split(total, disp.get(DISPATCHED), disp.get(DIRECT), float(EW.HEADLINE["dispatched"]))
        n = split(total, chan.get(NETWORK), chan.get(PHONE), float(EW.HEADLINE["network"]))
        if d and n:
            break
    else:
        return "this year's 万 and shares alone do not fit (派单 + 直接答复 and 电话 + 网络 must make the total)"
    cur = {"total": total, DISPATCHED: d[0], DIRECT: total - d[0], PHONE: total - n[0], NETWORK: n[0]}
    specs = {"total": t["total"], DISPATCHED: disp.get(DISPATCHED), DIRECT: disp.get(DIRECT),
             PHONE: chan.get(PHONE), NETWORK: chan.get(NETWORK)}
    parts = []
    for k, spec in specs.items():
        if spec and "yoy_pct" in spec:
            lo, hi = prev_window(cur[k], spec["yoy_pct"], ed.pct_places)
            parts.append(f"{k} {spec['yoy_pct']}% → {ed.prev} in {lo}–{hi - 1}")
    return ("the 同比 ask for comparison-year values that cannot add up (" + "; ".join(parts) + ")") if parts else \
        "no combination found"


def _solve_prev_headline(ed: Edition, cur: dict[str, int], ratio: float) -> dict[str, int] | None:
    t = ed.t
    disp, chan = t.get("disposition") or {}, t.get("channel") or {}
    specs = {"total": t["total"], DISPATCHED: disp.get(DISPATCHED), DIRECT: disp.get(DIRECT),
             PHONE: chan.get(PHONE), NETWORK: chan.get(NETWORK)}
    win: dict[str, tuple[int, int] | None] = {}
    want: dict[str, float] = {}
    for k, spec in specs.items():
        r = _yoy_ratio(spec)
        win[k] = prev_window(cur[k], spec["yoy_pct"], ed.pct_places) if r is not None else None  # type: ignore[index]
        want[k] = cur[k] / r if r is not None else cur[k] * ratio

    def both(a: str, b: str) -> tuple[int, int] | None:
        wa, wb = win[a], win[b]
        return None if wa is None or wb is None else (wa[0] + wb[0], wa[1] + wb[1] - 1)

    tw = _meet((2, BIG), win["total"], both(DISPATCHED, DIRECT), both(PHONE, NETWORK))
    if win["total"] is None:
        want_t = (want[DISPATCHED] + want[DIRECT]) if (win[DISPATCHED] or win[DIRECT]) else want["total"]
    else:
        want_t = want["total"]
    total = _clamp(want_t, tw)
    if total is None:
        return None
    out = {"total": total}
    for a, b in ((DISPATCHED, DIRECT), (NETWORK, PHONE)):
        ws = [win[a], _minus(total, win[b]), (1, total)]
        if a == NETWORK and chan.get(NETWORK, {}).get("prev_share_pct") is not None:
            ws.append(pct_window(str(chan[NETWORK]["prev_share_pct"]), total, ed.pct_places))
        w = _meet(*ws)
        wa = want[a] if win[a] is not None else total * cur[a] / cur["total"]
        v = _clamp(wa, w)
        if v is None:
            return None
        out[a], out[b] = v, total - v
    return out


# =============================================================================================
# Stage 2: yearly totals per category and sub-category
# =============================================================================================


@dataclass
class Plan:
    cur: YearPlan
    prev: YearPlan
    top20: list[str] = field(default_factory=list)         # this year's top 20 (printed top ten first)
    yoy_fixed: set[str] = field(default_factory=set)        # categories whose comparison value a 同比 fixes


def _split_ties(vals: list[int], windows: list[tuple[int, int]]) -> list[int]:
    """Printed values that tie (the same 万) made strictly decreasing inside their windows."""
    def step(i: int, k: int) -> int:
        return max(1, int(min(w[1] - w[0] for w in windows[i:i + k]) * 0.6 / k))
    return spread_ties(vals, step)


def _descending(total: int, weights: list[float], below: int) -> list[int]:
    """Strictly decreasing integers summing to ``total``, each < ``below``, about proportional to ``weights``
    (given in falling order), or None when impossible."""
    k = len(weights)
    base = total - k * (k - 1) // 2
    if k == 0:
        return [] if total == 0 else None  # type: ignore[return-value]
    if base < 0 or base > k * (below - k):
        return None  # type: ignore[return-value]
    y = sorted(allocate(base, weights, [below - k] * k).tolist(), reverse=True)
    return [int(v) + (k - 1 - j) for j, v in enumerate(y)]


def _extra_subs(ed: Edition, l1: str, printed: list[str]) -> list[tuple[str, float]]:
    known = ed.subs(l1)
    if l1 in EW.EXTRA_L2:
        return [(n, float(w)) for n, w in (EW.EXTRA_L2[l1] or {}).items() if n in known and n not in printed]
    if l1 in W.L2_MIX:
        mix = [(n, float(w)) for n, w in W.L2_MIX[l1] if n in known and n not in printed]
        if mix:
            return mix
    return [(n, 1.0 / (i + 1)) for i, n in enumerate(n for n in known if n not in printed)]


def _mix(ed: Edition, l1: str, total: int) -> dict[str, int]:
    known = ed.subs(l1)
    if not known:
        ed.fail("top10 / top20", l1, f"{l1} has no sub-categories in {_rel(TAXONOMY)}")
    mix = [(n, float(w)) for n, w in W.L2_MIX.get(l1, []) if n in known] or \
        [(n, 1.0 / (i + 1)) for i, n in enumerate(known)]
    return {n: int(v) for (n, _), v in zip(mix, allocate(total, [w for _, w in mix])) if v > 0}


def plan_top10(ed: Edition, plan: Plan) -> None:
    """The printed categories in order: each total in its window and below the one before it, its top five as
    printed (ties split) and the invented rest below the fifth, and its comparison value from the 同比."""
    cur, prev = plan.cur, plan.prev
    upper: int | None = None
    for i, e in enumerate(ed.t.get("top10") or []):
        key = f"top10[{i}]"
        l1 = e.get("l1")
        if l1 not in ed.taxonomy["categories"]:
            ed.fail(f"{key}.l1", l1, f"not a category of {_rel(TAXONOMY)}")
        if l1 in cur.totals:
            ed.fail(f"{key}.l1", l1, "listed twice")
        top5 = [(str(n), str(v)) for n, v in (e.get("top5") or [])]
        names = [n for n, _ in top5]
        for n in names:
            if n not in ed.subs(l1):
                ed.fail(f"{key}.top5", e.get("top5"), f"{l1}/{n} is not a sub-category of {_rel(TAXONOMY)}")
        if len(set(names)) != len(names):
            ed.fail(f"{key}.top5", e.get("top5"), "a sub-category is listed twice")
        printed = [Decimal(v) for _, v in top5]
        if any(a < b for a, b in zip(printed, printed[1:])):
            ed.fail(f"{key}.top5", e.get("top5"), "the sub-categories are not in descending order")
        windows = [ed.wan_window(v) for _, v in top5]
        vals = _split_ties([ed.center(v) for _, v in top5], windows)
        extras = _extra_subs(ed, l1, names)
        lo, hi = ed.wan_window(e["wan"])
        if upper is not None:
            hi = min(hi, upper)
        if lo >= hi:
            ed.fail(f"{key}.wan", e["wan"], f"{l1} must be below the category before it ({upper} records)")
        cap5 = (vals[-1] - 1) if vals else hi
        if vals and (not extras or sum(vals) >= hi):
            target = min(max(sum(vals), lo), hi - 1)
            try:
                vals = R.fit_parts(vals, [range(*w) for w in windows], target)
            except SystemExit:
                ed.fail(f"{key}", {"wan": e["wan"], "top5": e.get("top5")},
                        f"the printed sub-categories of {l1} cannot add up to a total that prints as {e['wan']} 万"
                        + ("" if extras else " (the taxonomy has no other sub-category to make up the rest)"))
            cap5 = vals[-1] - 1
            if not extras:
                lo, hi = target, target + 1
        if vals:
            lo = max(lo, sum(vals))
            hi = min(hi, sum(vals) + len(extras) * max(cap5, 0) + 1)
        if lo >= hi:
            ed.fail(f"{key}", {"wan": e["wan"], "top5": e.get("top5")},
                    f"{l1}'s other sub-categories, each below the fifth, cannot make up its total")
        total: int | None = None
        if "yoy_pct" in e:
            for c in _near((lo, hi), ed.center(e["wan"])):
                pw = prev_window(c, e["yoy_pct"], ed.pct_places)
                if pw[0] < pw[1]:
                    total = c
                    ratio = 1 + float(Decimal(str(e["yoy_pct"]))) / 100
                    prev.totals[l1] = _clamp(c / ratio, pw) or pw[0]
                    plan.yoy_fixed.add(l1)
                    break
            if total is None:
                ed.fail(f"{key}.yoy_pct", e["yoy_pct"], f"no comparison value gives {l1} this 同比")
        else:
            total = _clamp(ed.center(e["wan"]), (lo, hi))
        assert total is not None
        cur.totals[l1] = total
        upper = total
        rest = total - sum(vals)
        subs = dict(zip(names, vals))
        if rest:
            caps = [max(cap5, 0)] * len(extras)
            subs |= {n: int(v) for (n, _), v in zip(extras, allocate(rest, [w for _, w in extras], caps)) if v > 0}
        cur.subs[l1] = subs


def plan_others(ed: Edition, plan: Plan) -> None:
    """Categories after the printed ones: 11–20 (with the printed top20 total and every category its two
    orderings name) and the rest, each below the one it must stay below."""
    cur = plan.cur
    t20 = ed.t.get("top20") or {}
    total = cur.headline["total"]
    printed = list(cur.totals)
    named = [c for key in ("highest_dispatch_share", "highest_direct_answer_share") for c in (t20.get(key) or [])]
    for c in named:
        if c not in ed.taxonomy["categories"]:
            ed.fail("top20", t20, f"{c} is not a category of {_rel(TAXONOMY)}")
    weights = {c: float(v) for c, v in EW.CATEGORIES.items() if c in ed.taxonomy["categories"]}
    for c in named:
        weights.setdefault(c, float(EW.CATEGORY_DEFAULT))
    others = [c for c in sorted(weights, key=lambda c: -weights[c]) if c not in printed]
    below = min(cur.totals.values()) if cur.totals else total + 1
    left = total - sum(cur.totals.values())
    if left < 0:
        ed.fail("top10", [e.get("wan") for e in ed.t.get("top10") or []], f"the printed categories exceed total.wan "
                f"{ed.t['total']['wan']}")
    n_mid = 20 - len(printed)
    if t20 and "wan" in t20 and n_mid > 0:
        forced = [c for c in named if c not in printed]
        if len(set(forced)) > n_mid:
            ed.fail("top20", t20, f"the two orderings name {len(set(forced))} categories outside the printed ones; "
                    f"only {n_mid} places are left in the top 20")
        mid = list(dict.fromkeys(forced))
        mid += [c for c in others if c not in mid][: n_mid - len(mid)]
        mid.sort(key=lambda c: -weights[c])
        tail = [c for c in others if c not in mid]
        w20 = _meet(ed.wan_window(t20["wan"]),
                    pct_window(str(t20["share_pct"]), total, ed.pct_places) if "share_pct" in t20 else None)
        got = None
        for s20 in _near(w20, ed.center(t20["wan"]), 2000):
            vals = _descending(s20 - sum(cur.totals.values()), [weights[c] for c in mid], below)
            if vals is None:
                continue
            rest = total - s20
            if tail and rest > len(tail) * (vals[-1] - 1) or not tail and rest:
                continue
            got = (vals, rest)
            break
        if got is None:
            ed.fail("top20", {k: t20.get(k) for k in ("wan", "share_pct")},
                    f"categories 11–20 must share what the top ten leave of it, each below the 10th, and the "
                    f"{len(tail)} categories after them what it leaves of total.wan {ed.t['total']['wan']}, each "
                    "below the 20th")
        vals, rest = got
        cur.totals |= dict(zip(mid, vals))
        if tail:
            cap = vals[-1] - 1
            cur.totals |= {c: int(v) for c, v in zip(tail, allocate(rest, [weights[c] for c in tail],
                                                                    [cap] * len(tail))) if v > 0}
    else:
        if others and left > len(others) * (below - 1) or not others and left:
            ed.fail("total", ed.t["total"], f"the {len(others)} categories after the printed ones cannot take the "
                    f"{left} records left, each below the last printed one")
        if others and left:
            cur.totals |= {c: int(v) for c, v in zip(others, allocate(left, [weights[c] for c in others],
                                                                      [below - 1] * len(others))) if v > 0}
    ranked = sorted(cur.totals, key=lambda c: -cur.totals[c])
    plan.top20 = ranked[:20]
    for c in named:
        if c not in plan.top20:
            ed.fail("top20", t20, f"{c} is not among the top 20 categories")
    for l1, v in cur.totals.items():
        if l1 not in cur.subs:
            cur.subs[l1] = _mix(ed, l1, v)


def plan_comparison(ed: Edition, plan: Plan) -> None:
    """The comparison year: the top-ten values the 同比 fix; every other category this year's value × noise,
    scaled to what the total leaves; sub-categories in this year's mix × noise."""
    cur, prev = plan.cur, plan.prev
    fixed = sum(prev.totals.values())
    left = prev.headline["total"] - fixed
    if left < 0:
        ed.fail("top10", {e["l1"]: e.get("yoy_pct") for e in ed.t.get("top10") or []},
                f"the 同比 put the printed categories at {fixed} records in {ed.prev}, more than that year's total "
                f"({prev.headline['total']}, from total.yoy_pct)")
    free = [c for c in cur.totals if c not in prev.totals]
    jit = float(EW.COMPARISON["comparison"])
    if free:
        w = [cur.totals[c] * (1 + jit * rng_for(ed.prev, c, "comparison").uniform(-1, 1)) for c in free]
        prev.totals |= {c: int(v) for c, v in zip(free, allocate(left, w)) if v > 0}
    elif left:
        ed.fail("total.yoy_pct", ed.t["total"].get("yoy_pct"), "every category is printed, and they do not add up "
                "to the comparison year's total")
    mix = float(EW.COMPARISON["mix"])
    for l1, v in prev.totals.items():
        names = list(cur.subs[l1])
        w = np.array([cur.subs[l1][n] for n in names], dtype=float)
        w *= 1 + mix * rng_for(ed.prev, l1, "mix").uniform(-1, 1, len(w))
        prev.subs[l1] = {n: int(x) for n, x in zip(names, allocate(v, w)) if x > 0}


def plan_years(ed: Edition) -> Plan:
    head, prev_head = solve_headline(ed)
    plan = Plan(YearPlan(ed.year, headline=head), YearPlan(ed.prev, headline=prev_head))
    plan_top10(ed, plan)
    plan_others(ed, plan)
    plan_comparison(ed, plan)
    for yp in (plan.cur, plan.prev):
        yp.totals = dict(sorted(yp.totals.items(), key=lambda kv: (-kv[1], kv[0])))
    return plan


# =============================================================================================
# Stage 3: months (the monthly facts drawn into the series, then checked)
# =============================================================================================


def _local_maxima(v) -> list[int]:
    n = len(v)
    return [i for i in range(n) if (i == 0 or v[i] > v[i - 1]) and (i == n - 1 or v[i] > v[i + 1])]


def _corr(v) -> float:
    x = np.arange(len(v), dtype=float)
    y = np.asarray(v, dtype=float)
    sx, sy = x - x.mean(), y - y.mean()
    d = float(np.sqrt((sx ** 2).sum() * (sy ** 2).sum()))
    return float((sx * sy).sum() / d) if d else 0.0


def fact_problem(f: dict, v: list[int], places: int) -> str | None:
    """Why the monthly series ``v`` does not show fact ``f`` (None: it does).  The rules of
    tests/test_sample_data.py (data/README.md, "Monthly fact kinds")."""
    kind = f["fact"]
    mean = lambda xs: sum(xs) / len(xs)   # noqa: E731
    if kind == "max":
        i = f["month"] - 1
        if v.count(max(v)) != 1 or v.index(max(v)) != i:
            return f"the unique maximum is not in month {f['month']}"
        if "wan" in f and str(R.wan(v[i], places)) != str(f["wan"]):
            return f"month {f['month']} prints {R.wan(v[i], places)} 万"
    elif kind == "relative_highs":
        idx = [m - 1 for m in f["months"]]
        local = _local_maxima(v)
        if not set(idx) <= set(local):
            return "the months are not all local maxima"
        if any(v[i] >= min(v[j] for j in idx) for i in local if i not in idx):
            return "another local maximum is as high"
        if "wan" in f and [str(R.wan(v[i], places)) for i in idx] != [str(x) for x in f["wan"]]:
            return f"the months print {[str(R.wan(v[i], places)) for i in idx]} 万"
    elif kind == "rising":
        if not (_corr(v) >= 0.8 and mean(v[9:]) >= 1.3 * mean(v[:3])):
            return "not rising enough"
    elif kind == "falling":
        if not (_corr(v) <= -0.6 and mean(v[:3]) >= 1.15 * mean(v[9:])):
            return "not falling enough"
    elif kind in ("rising_between", "falling_between"):
        part = v[f["from"] - 1:f["to"]]
        up = kind == "rising_between"
        if not all((a < b) if up else (a > b) for a, b in zip(part, part[1:])):
            return "not strictly monotone"
    elif kind == "flat_after":
        after = v[f["month"]:]
        m = mean(after)
        if not all(abs(x - m) <= 0.1 * m for x in after):
            return "not flat"
    elif kind == "surge_after":
        m = f["month"]
        if not mean(v[m:]) >= float(f["factor"]) * mean(v[:m]):
            return "no surge"
    elif kind == "steep_after":
        steps = [b - a for a, b in zip(v, v[1:])]
        k = f["month"] - 1
        if not steps[k] > max(steps[:k], default=-BIG):
            return "the step is not the steepest"
    elif kind == "rebound":
        i = f["month"] - 1
        if not v[i - 1] < v[i] < max(v):
            return "no rebound"
    elif kind == "rise_then_fall":
        i = v.index(max(v))
        if not (v.count(max(v)) == 1 and 3 <= i <= 8 and v[i] >= 1.3 * v[0] and v[i] >= 1.3 * v[-1]):
            return "no rise and fall"
    elif kind == "fluctuating":
        steps = [b - a for a, b in zip(v, v[1:])]
        if sum(1 for a, b in zip(steps, steps[1:]) if a * b < 0) < 3:
            return "not fluctuating"
    elif kind == "jump":
        i = f["month"] - 1
        if not v[i] >= float(f["factor"]) * v[i - 1]:
            return "no jump"
    elif kind == "concentrated":
        k = len(f["months"])
        top = sorted(range(12), key=lambda i: -v[i])[:k]
        if not (sorted(i + 1 for i in top) == sorted(f["months"]) and v[top[-1]] > sorted(v, reverse=True)[k]):
            return "the months are not the largest"
    elif kind == "high_period":
        inside = [i - 1 for i in f["months"]]
        if not mean([v[i] for i in inside]) >= 1.15 * mean([v[i] for i in range(12) if i not in inside]):
            return "the period is not high enough"
    elif kind == "persistently_high":
        if not min(v) >= 0.75 * max(v):
            return "not persistently high"
    elif kind == "local_rise":
        i = f["month"] - 1
        if not (v[i] > v[i - 1] and v[i] > v[i + 1]):
            return "no local rise"
    elif kind == "stable":
        if not max(v) - min(v) <= 0.5 * mean(v):
            return "not stable"
    elif kind == "quiet_except":
        loud = [m - 1 for m in f["months"]]
        if not all(v[i] <= float(f["factor"]) * max(v) for i in range(12) if i not in loud):
            return "not quiet"
    else:
        return f"unknown fact kind {kind!r}"
    return None


TRENDS = ("rising", "falling", "rising_between", "falling_between", "flat_after", "surge_after", "fluctuating",
          "rise_then_fall", "stable", "persistently_high")


def draw(facts: list[dict], base: np.ndarray | None = None) -> np.ndarray:
    """Monthly weights showing ``facts``: from ``base`` (the series' seasonal shape) when no fact is a trend,
    else flat; the trends first, then the peaks and the quiet months."""
    s = EW.FACT_SHAPES
    trend = any(f["fact"] in TRENDS for f in facts)
    b = np.array(base, dtype=float) / np.mean(base) if base is not None and not trend else np.ones(MONTHS)
    i12 = np.arange(MONTHS, dtype=float)
    for f in (f for f in facts if f["fact"] in TRENDS):
        kind = f["fact"]
        if kind == "rising":
            b *= s["ramp"]["start"] + s["ramp"]["step"] * i12
        elif kind == "falling":
            b *= s["ramp"]["start"] + s["ramp"]["step"] * (MONTHS - 1 - i12)
        elif kind in ("rising_between", "falling_between"):
            g = 1 + s["step"] if kind == "rising_between" else 1 - s["step"]
            a = f["from"] - 1
            for i in range(a + 1, f["to"]):
                b[i] = b[a] * g ** (i - a)
        elif kind == "flat_after":
            m = f["month"]
            b[m:] = b[m:].mean()
        elif kind == "surge_after":
            m = f["month"]
            b[m:] *= float(f["factor"]) * s["surge_margin"] * b[:m].mean() / b[m:].mean()
        elif kind == "fluctuating":
            b *= 1 + s["zigzag"] * np.where(np.arange(MONTHS) % 2 == 1, 1.0, -1.0)
        elif kind == "rise_then_fall":
            h = s["hump"]
            b *= h["base"] + h["height"] * np.exp(-(((i12 - (h["month"] - 1)) / h["width"]) ** 2))
    for f in (f for f in facts if f["fact"] not in TRENDS):
        kind = f["fact"]
        if kind == "max":
            i = f["month"] - 1
            b[i] = max(b[i], s["peak"] * np.delete(b, i).max())
        elif kind == "relative_highs":
            idx = [m - 1 for m in f["months"]]
            rest = np.delete(b, idx).max()
            for n, i in enumerate(idx):
                b[i] = max(b[i], s["high"] * rest * (1 + 0.01 * n))
        elif kind == "local_rise":
            i = f["month"] - 1
            b[i] = max(b[i], s["local"] * max(b[i - 1], b[(i + 1) % MONTHS]))
        elif kind == "jump":
            i = f["month"] - 1
            b[i] = max(b[i], float(f["factor"]) * s["jump_margin"] * b[i - 1])
        elif kind == "concentrated":
            idx = [m - 1 for m in f["months"]]
            top = s["block"] * np.delete(b, idx).max()
            for i in idx:
                b[i] = max(b[i], top)
        elif kind == "high_period":
            for m in f["months"]:
                b[m - 1] *= s["period"]
        elif kind == "steep_after":
            k = f["month"] - 1
            steps = np.diff(b[: k + 1])
            b[k + 1] = max(b[k + 1], b[k] + s["steep"] * max(float(steps.max(initial=0.0)), 0.05 * b.mean()))
        elif kind == "rebound":
            i = f["month"] - 1
            top = np.delete(b, i).max()
            want = max(b[i], b[i - 1] * s["rebound"])
            b[i] = want if want < top * 0.97 else (b[i - 1] + top) / 2
    for f in (f for f in facts if f["fact"] == "quiet_except"):
        loud = [m - 1 for m in f["months"]]
        cap = float(f["factor"]) * s["quiet"] * b.max()
        for i in range(MONTHS):
            if i not in loud:
                b[i] = min(b[i], cap)
    return b


def _base_shape(year: int, l1: str, l2: str) -> np.ndarray:
    noise = 1 + W.NOISE * rng_for(year, l1, l2).uniform(-1, 1, MONTHS)
    base = W.L2_SHAPE.get((l1, l2), W.SEASON.get(l1, [1.0] * MONTHS))
    return np.array(base, dtype=float) * np.array(EW.TREND, dtype=float) * noise


def month_series(total: int, weights: np.ndarray, pins: dict[int, int], caps: dict[int, int] | None = None
                 ) -> np.ndarray:
    """``total`` over the months in proportion to ``weights``, the pinned months as given, the others at most
    their ``caps``, and a unique maximum where one can be had by moving single records (records.month_series,
    bounded: a series of a few records may keep its ties)."""
    out = np.zeros(MONTHS, dtype=np.int64)
    for m, v in pins.items():
        out[m] = v
    free = [m for m in range(MONTHS) if m not in pins]
    rest = total - sum(pins.values())
    cap = [min((caps or {}).get(m, rest), rest) for m in free]
    if rest > sum(cap):
        raise ValueError(f"the other months cannot take {rest} records below the printed peaks")
    out[free] = allocate(rest, np.asarray(weights, dtype=float)[free], cap)
    for _ in range(MONTHS):
        top = np.flatnonzero(out == out.max())
        movable = [m for m in top if m not in pins]
        if len(top) == 1 or not movable:
            break
        dst = [m for m in free if out[m] <= out.max() - 2]
        if not dst:
            break
        src = movable[-1]
        d = min(dst, key=lambda m: (out[m], m))
        out[src] -= 1
        out[d] += 1
    return out


def _caps(facts: list[tuple[str, dict]], pins: dict[int, int]) -> dict[int, int]:
    """Where months are printed as peaks, the other months stay below them (97 % of the lowest printed peak for
    every other month of ``relative_highs``, of the maximum for ``max``)."""
    caps: dict[int, int] = {}
    for _, f in facts:
        if "wan" not in f or f["fact"] not in ("max", "relative_highs"):
            continue
        months = [m - 1 for m in (f["months"] if "months" in f else [f["month"]])]
        low = int(min(pins[m] for m in months) * 0.97)
        for m in range(MONTHS):
            if m not in months:
                caps[m] = min(caps.get(m, low), low)
    return caps


def _series(ed: Edition, key: str, fact: dict, what: str, total: int, shape: np.ndarray,
            facts: list[tuple[str, dict]]) -> np.ndarray:
    pins = _pins(ed, facts)
    if sum(pins.values()) > total:
        ed.fail(key, fact, f"the printed months exceed {what}'s year ({total} records)")
    try:
        return month_series(total, shape, pins, _caps(facts, pins))
    except ValueError as e:
        ed.fail(key, fact, f"{what}: {e} ({total} records in the year)")


def _pins(ed: Edition, facts: list[tuple[str, dict]]) -> dict[int, int]:
    pins: dict[int, int] = {}
    for key, f in facts:
        if "wan" not in f:
            continue
        months = f["months"] if "months" in f else [f["month"]]
        values = f["wan"] if isinstance(f["wan"], list) else [f["wan"]]
        if len(values) != len(months):
            ed.fail(f"{key}.wan", f["wan"], "one value per month")
        for m, v in zip(months, values):
            c = ed.center(v)
            if pins.get(m - 1, c) != c:
                ed.fail(key, f, f"month {m} is printed with two values")
            pins[m - 1] = c
    return pins


def split_months(ed: Edition, plan: Plan) -> dict[int, pd.DataFrame]:
    """(category_l1, category_l2, m, count) per year.  This year's described series are drawn from their facts
    (a fact on a whole category: the category's series, its sub-categories fitted to it); the rest follow the
    seasons of records.yaml × TREND."""
    facts: dict[tuple[str, str | None], list[tuple[str, dict]]] = {}
    for section in ("monthly", "shapes"):
        for i, f in enumerate(ed.t.get(section) or []):
            key = f"{section}[{i}]"
            l1, l2 = f.get("l1"), f.get("l2")
            if l1 not in plan.cur.subs or (l2 is not None and l2 not in plan.cur.subs[l1]):
                ed.fail(key, f, f"{l1}{'/' + l2 if l2 else ''} has no records this year (not a category the sample "
                        "holds: print it in top10, or give it a weight in edition.yaml)")
            facts.setdefault((l1, l2), []).append((key, f))
    out: dict[int, pd.DataFrame] = {}
    for yp in (plan.cur, plan.prev):
        rows: list[tuple[str, str, int, int]] = []
        for l1, subs in yp.subs.items():
            series: dict[str, np.ndarray] = {}
            mine = yp is plan.cur
            for l2, total in subs.items():
                f = facts.get((l1, l2), []) if mine else []
                if f:
                    shape = draw([x for _, x in f], _base_shape(yp.year, l1, l2)) * (1 + EW.FACT_SHAPES["noise"]
                                                       * rng_for(yp.year, l1, l2, "fact").uniform(-1, 1, MONTHS))
                    series[l2] = _series(ed, f[0][0], f[0][1], f"{l1}/{l2}", total, shape, f)
                else:
                    series[l2] = month_series(total, _base_shape(yp.year, l1, l2), {})
            whole = facts.get((l1, None), []) if mine else []
            if whole:
                series = _fit_category(ed, l1, subs, series, whole, {l2 for l2 in subs if facts.get((l1, l2))})
            for l2, s in series.items():
                rows += [(l1, l2, m, int(x)) for m, x in enumerate(s)]
        cells = pd.DataFrame(rows, columns=["category_l1", "category_l2", "m", "count"])
        out[yp.year] = cells[cells["count"] > 0].reset_index(drop=True)
    for (l1, l2), fs in facts.items():
        c = out[ed.year]
        sel = c[(c["category_l1"] == l1) & ((c["category_l2"] == l2) if l2 is not None else True)]
        v = sel.groupby("m")["count"].sum().reindex(range(MONTHS), fill_value=0).astype(int).tolist()
        for key, f in fs:
            why = fact_problem(f, v, ed.wan_places)
            if why is not None:
                ed.fail(key, f, f"{why} (series {[str(R.wan(x, ed.wan_places)) for x in v]} 万): the generic drawing "
                        "cannot show this fact together with the series' other facts and figures")
    return out


def _fit_category(ed: Edition, l1: str, subs: dict[str, int], series: dict[str, np.ndarray],
                  facts: list[tuple[str, dict]], fixed: set[str]) -> dict[str, np.ndarray]:
    """A category-level shape: the category's series drawn from its facts; its sub-categories without facts of
    their own share it (exact on both margins)."""
    total = sum(subs.values())
    shape = draw([f for _, f in facts], sum(_base_shape(ed.year, l1, l2) * subs[l2] for l2 in subs))
    whole = _series(ed, facts[0][0], facts[0][1], l1, total, shape, facts)
    free = [l2 for l2 in subs if l2 not in fixed]
    cols = whole - sum((series[l2] for l2 in fixed), np.zeros(MONTHS, dtype=np.int64))
    if (cols < 0).any() or not free:
        ed.fail(facts[0][0], facts[0][1], f"{l1}'s sub-categories with facts of their own leave no room for the "
                "category's shape")
    rows = np.array([subs[l2] for l2 in free], dtype=np.int64)
    w = np.outer(rows, np.maximum(cols, 0)).astype(float) + 1e-9
    fitted = R.round_matrix(R.ipf(w, rows, cols, f"{l1} months"), rows, cols, f"{l1} months")
    return {l2: series[l2] for l2 in fixed} | {l2: fitted[i] for i, l2 in enumerate(free)}


# =============================================================================================
# Stage 4: 派单 / 直接答复, then half-month buckets
# =============================================================================================


def _shares(ed: Edition, totals: dict[str, int], target: int, default: dict[str, float],
            bounds: dict[str, tuple[float, float]], fixed: dict[str, float], key: str) -> dict[str, int]:
    """Integer 派单 per category summing to ``target``: ``fixed`` shares as given, the others their default
    shifted alike (each within its bounds)."""
    free = [c for c in totals if c not in fixed]
    n = {c: totals[c] for c in totals}
    base = sum(int(round(fixed[c] * n[c])) for c in fixed)

    def at(lam: float) -> float:
        return sum(min(max(default[c] + lam, bounds[c][0]), bounds[c][1]) * n[c] for c in free)

    need = target - base
    lo, hi = -2.0, 2.0
    if not at(lo) <= need <= at(hi):
        ed.fail(key, ed.t.get("disposition", {}).get(DISPATCHED), f"派单 {target} cannot be reached with the top-20 "
                f"orderings (top20.highest_*): the other categories can take {int(at(lo))}–{int(at(hi))}, they need "
                f"{need}")
    for _ in range(100):
        mid = (lo + hi) / 2
        if at(mid) < need:
            lo = mid
        else:
            hi = mid
    s = {c: min(max(default[c] + hi, bounds[c][0]), bounds[c][1]) for c in free}
    out = {c: int(round(fixed[c] * n[c])) for c in fixed}
    floor = {c: int(np.floor(s[c] * n[c])) for c in free}
    rest = need - sum(floor.values())
    caps = [max(0, int(np.floor(bounds[c][1] * n[c])) - floor[c]) for c in free]
    frac = [s[c] * n[c] - floor[c] + 1e-9 for c in free]
    for c, extra in zip(free, allocate(rest, frac, caps) if rest > 0 else [0] * len(free)):
        out[c] = floor[c] + int(extra)
    if rest < 0:
        ed.fail(key, target, "internal: 派单 rounding went below the target")
    return out


def plan_dispatch(ed: Edition, plan: Plan) -> tuple[dict[str, int], dict[str, int]]:
    """派单 per category for both years: this year with top20's two orderings, the comparison year this year's
    shares × noise; both shifted to their exact 派单 totals."""
    cur, prev = plan.cur, plan.prev
    t20 = ed.t.get("top20") or {}
    hi_list = list(t20.get("highest_dispatch_share") or [])
    lo_list = list(t20.get("highest_direct_answer_share") or [])
    ladder_hi, ladder_lo = list(EW.DISPATCH_LADDER["high"]), list(EW.DISPATCH_LADDER["low"])
    if len(hi_list) > len(ladder_hi) or len(lo_list) > len(ladder_lo):
        ed.fail("top20", t20, f"the orderings may name at most {len(ladder_hi)} categories each (DISPATCH_LADDER)")
    if set(hi_list) & set(lo_list):
        ed.fail("top20", t20, "a category is in both orderings")
    fixed = {c: float(ladder_hi[k]) for k, c in enumerate(hi_list)} | {c: float(ladder_lo[k]) for k, c in
                                                                          enumerate(lo_list)}
    band = (float(ladder_lo[len(lo_list) - 1]) + 0.01 if lo_list else 0.0,
            float(ladder_hi[len(hi_list) - 1]) - 0.01 if hi_list else 1.0)

    def default(c: str) -> float:
        return float(EW.DISPATCH.get(c, W.DISPATCH_BASE.get(c, W.DISPATCH_DEFAULT)))

    d_cur = {c: default(c) for c in cur.totals}
    bounds = {c: band if c in plan.top20 else (0.0, 1.0) for c in cur.totals}
    disp = _shares(ed, cur.totals, cur.headline[DISPATCHED], d_cur, bounds, fixed, "disposition.派单")
    _check_orderings(ed, plan, disp, hi_list, lo_list, t20)
    jit = float(EW.COMPARISON["comparison"]) / 3
    d_prev = {c: min(max(disp.get(c, 0) / max(cur.totals.get(c, 1), 1) * (1 + jit * rng_for(ed.prev, c, "派单")
                                                                            .uniform(-1, 1)), 0.0), 1.0)
              for c in prev.totals}
    disp_prev = _shares(ed, prev.totals, prev.headline[DISPATCHED], d_prev, {c: (0.0, 1.0) for c in prev.totals},
                        {}, "disposition.派单.yoy_pct")
    return disp, disp_prev


def _check_orderings(ed: Edition, plan: Plan, disp: dict[str, int], hi_list: list[str], lo_list: list[str],
                     t20: dict) -> None:
    share = {c: Fraction(disp[c], plan.cur.totals[c]) for c in plan.top20}
    order = sorted(plan.top20, key=lambda c: -share[c])
    for key, want, got in (("highest_dispatch_share", hi_list, order[: len(hi_list)]),
                           ("highest_direct_answer_share", lo_list, order[::-1][: len(lo_list)])):
        if want and (got != want or len({share[c] for c in got}) != len(got)):
            ed.fail(f"top20.{key}", t20.get(key), f"the shares came out in the order {got}")
    if hi_list and len(order) > len(hi_list) and not share[order[len(hi_list) - 1]] > share[order[len(hi_list)]]:
        ed.fail("top20.highest_dispatch_share", hi_list, "the fifth ties with the sixth")
    if lo_list and len(order) > len(lo_list) and not share[order[-len(lo_list)]] < share[order[-len(lo_list) - 1]]:
        ed.fail("top20.highest_direct_answer_share", lo_list, "the fifth ties with the sixth")


def split_disposition(year: int, cells: pd.DataFrame, disp: dict[str, int]) -> pd.DataFrame:
    """Each category's 派单 over its (sub-category, month) cells, about in proportion (DISPATCH_L2 tilts)."""
    dispatched = np.zeros(len(cells), dtype=np.int64)
    for l1, idx in cells.groupby("category_l1", sort=False).indices.items():
        sub = cells.iloc[idx]
        total = int(sub["count"].sum())
        share = disp[l1] / max(1, total)
        tilt = np.array([EW.DISPATCH_L2[(l1, l2)] / max(share, 1e-9) if (l1, l2) in EW.DISPATCH_L2
                         else 1 + W.JITTER["dispatch_l2"] * rng_for(year, l1, l2, "派单").uniform(-1, 1)
                         for l2 in sub["category_l2"]])
        count = sub["count"].to_numpy()
        dispatched[idx] = allocate(disp[l1], count * tilt, count)
    a = cells.assign(disposition=DISPATCHED, count=dispatched)
    b = cells.assign(disposition=DIRECT, count=cells["count"].to_numpy() - dispatched)
    return pd.concat([a, b], ignore_index=True)


# =============================================================================================
# Stage 5: handling units — exact totals
# =============================================================================================


def _district_rows(ed: Edition) -> dict[str, tuple[str, dict]]:
    """Every printed district: its key in the targets and its figures (a districts entry, merged with highest /
    lowest)."""
    h = ed.t.get("handling") or {}
    rows: dict[str, tuple[str, dict]] = {}
    for i, r in enumerate(h.get("districts") or []):
        d = r.get("district")
        if d not in ed.districts:
            ed.fail(f"handling.districts[{i}].district", d, f"not a district of {_rel(PROFILE)}")
        rows[d] = (f"handling.districts[{i}]", r)
    for key in ("highest", "lowest"):
        if key in h:
            r = h[key]
            d = r.get("district")
            if d not in ed.districts:
                ed.fail(f"handling.{key}.district", d, f"not a district of {_rel(PROFILE)}")
            if d in rows:
                other = rows[d][1]
                for k in ("wan", "share_pct"):
                    if k in r and k in other and str(r[k]) != str(other[k]):
                        ed.fail(f"handling.{key}.{k}", r[k], f"{rows[d][0]} prints {other[k]} for {d}")
                rows[d] = (rows[d][0], {**r, **other})
            else:
                rows[d] = (f"handling.{key}", r)
    return rows


def solve_districts(ed: Edition, dispatched: int) -> dict[str, tuple[int, int]]:
    """{district: (total, streets)}: printed figures exact, the other districts sharing what is left."""
    h = ed.t.get("handling") or {}
    places = ed.pct_places
    rows = _district_rows(ed)
    full = (set(rows) == set(ed.districts) and "districts_total" in h and "streets_total" in h
            and all(DISTRICT_LEVEL in r and STREET_LEVEL in r for _, r in rows.values()))
    if full:
        spec = dict(h)
        spec["districts"] = [rows[d][1] for d in ed.districts]
        got = R.solve_districts(spec, places)
        _check_extremes(ed, got)
        return got
    weights = {d: float(EW.DISTRICTS[d]["wan"]) for d in ed.districts}
    street_share = {d: float(EW.DISTRICTS[d]["streets"]) for d in ed.districts}
    if "districts_total" in h:
        s_win = _wan_window(str(h["districts_total"]["wan"]), int(h["districts_total"].get("wan_places", 1)))
        s_want = ed.center(h["districts_total"]["wan"])
    else:
        s_want = int(dispatched * float(EW.DISTRICT_SHARE))
        s_win = (s_want - 5000, s_want + 5000)
    st = h.get("streets_total") or {}
    free = [d for d in ed.districts if d not in rows]
    bad: dict[str, int] = {}                                  # printed districts that could not be met, how often
    for total in _near(_meet(s_win, (1, dispatched + 1)), s_want, 400):
        chosen: dict[str, tuple[int, int, int]] = {}            # district: (n, b_lo, b_hi)
        ok = True
        for d, (key, r) in rows.items():
            n_w = _meet(ed.wan_window(r["wan"]) if "wan" in r else None,
                        pct_window(str(r["share_pct"]), total, places) if "share_pct" in r else None, (1, BIG))
            opts = []
            for n in _near(n_w, ed.center(r["wan"]) if "wan" in r else total * weights[d] / sum(weights.values()), 60):
                ws = [(0, n + 1)]
                if STREET_LEVEL in r:
                    x = r[STREET_LEVEL]
                    ws += [ed.wan_window(x["wan"]) if "wan" in x else None,
                           pct_window(str(x["share_pct"]), n, places) if "share_pct" in x else None]
                if DISTRICT_LEVEL in r:
                    x = r[DISTRICT_LEVEL]
                    ws += [_minus(n, ed.wan_window(x["wan"]) if "wan" in x else None),
                           _minus(n, pct_window(str(x["share_pct"]), n, places) if "share_pct" in x else None)]
                bw = _meet(*ws)
                if bw[0] < bw[1]:
                    opts.append((n, bw[0], bw[1]))
                    break
            if not opts:
                bad[key] = bad.get(key, 0) + 1
                ok = False
                break
            chosen[d] = opts[0]
        if not ok:
            continue
        rest = total - sum(n for n, _, _ in chosen.values())
        hi_d, lo_d = h.get("highest", {}).get("district"), h.get("lowest", {}).get("district")
        cap = chosen[hi_d][0] - 1 if hi_d in chosen else BIG
        floor = chosen[lo_d][0] + 1 if lo_d in chosen else 1
        if free:
            if rest < floor * len(free) or rest > cap * len(free):
                continue
            vals = allocate(rest - floor * len(free), [weights[d] for d in free], [cap - floor] * len(free)) + floor
            for d, v in zip(free, vals):
                chosen[d] = (int(v), 0, int(v) + 1)
        elif rest:
            continue
        values = {d: c[0] for d, c in chosen.items()}
        if hi_d and any(v >= values[hi_d] for d, v in values.items() if d != hi_d):
            continue
        if lo_d and any(v <= values[lo_d] for d, v in values.items() if d != lo_d):
            continue
        # the streets: printed districts inside their windows, the others free; the total in its window
        b_win = _meet(ed.wan_window(st["wan"]) if "wan" in st else None,
                      pct_window(str(st["share_pct"]), total, places) if "share_pct" in st else None,
                      (sum(c[1] for c in chosen.values()), sum(c[2] - 1 for c in chosen.values()) + 1))
        want_b = sum(values[d] * street_share[d] for d in ed.districts)
        b_total = _clamp(want_b, b_win)
        if b_total is None:
            continue
        lows = {d: c[1] for d, c in chosen.items()}
        room = [chosen[d][2] - 1 - lows[d] for d in ed.districts]
        mids = [max(0.0, values[d] * street_share[d] - lows[d]) + 1e-6 for d in ed.districts]
        extra = allocate(b_total - sum(lows.values()), mids, room)
        got = {d: (values[d], lows[d] + int(x)) for d, x in zip(ed.districts, extra)}
        _check_extremes(ed, got)
        return got
    if bad:
        key = max(bad, key=lambda k: bad[k])
        d = next(d for d, (k, _) in rows.items() if k == key)
        ed.fail(key, rows[d][1], "its 万, shares and levels cannot be printed together with the 16-district total "
                f"handling.districts_total = {_show(h.get('districts_total'))}")
    ed.fail("handling", {k: h.get(k) for k in ("districts_total", "streets_total", "highest", "lowest")},
            "no district totals print every district figure together (the districts' 万, shares, levels, the "
            "highest and the lowest)")


def _check_extremes(ed: Edition, got: dict[str, tuple[int, int]]) -> None:
    h = ed.t.get("handling") or {}
    values = {d: n for d, (n, _) in got.items()}
    for key, pick in (("highest", max), ("lowest", min)):
        if key in h:
            best = pick(values.values())
            names = [d for d, v in values.items() if v == best]
            if names != [h[key]["district"]]:
                ed.fail(f"handling.{key}", h[key], f"the districts' figures make {names} the {key}")


def _rankings(ed: Edition) -> list[tuple[str, dict]]:
    h = ed.t.get("handling") or {}
    return [(f"handling.{k}", v) for k, v in h.items() if isinstance(v, dict) and "level" in v and "ranking" in v]


def city_units(ed: Edition, present: set[tuple[str, str]]) -> dict[str, str]:
    """{unit: class} of this edition: edition.yaml's CITY_UNITS and the units the targets name, each with some
    派单 it can handle (``present``: this year's (category_l1, category_l2) with 派单)."""
    listed = load_yaml(R.UNITS_FILE)
    where = {name: level for level, names in listed.items() for name in names}
    units = dict(EW.CITY_LEVEL)
    for key, spec in _rankings(ed):
        for e in list(spec.get("ranking") or []) + [{"unit": u} for u in spec.get("then") or []]:
            u = e["unit"]
            if where.get(u) != spec["level"]:
                ed.fail(f"{key}.ranking", u, f"not a {spec['level']} of {_rel(R.UNITS_FILE)}")
            units.setdefault(u, spec["level"])
    for i, item in enumerate((ed.t.get("topics") or {}).get("items") or []):
        for u, _ in item.get("units") or []:
            if u not in ed.districts and u not in units:
                if u not in where:
                    ed.fail(f"topics.items[{i}].units", item.get("units"),
                            f"{u} is neither a district nor a unit of {_rel(R.UNITS_FILE)}")
                units[u] = where[u]
    named = set(units) - set(EW.CITY_LEVEL)
    l1s = {l1 for l1, _ in present}
    for u in list(units):
        if u in W.ZONE_UNITS:
            continue
        aff = W.UNIT_AFFINITY.get(u)
        if aff is None:
            ed.fail("handling", u, "no entry in UNIT_AFFINITY or ZONE_UNITS (data/sample/weights/records.yaml): "
                    "what does it handle?")
        if not any((l2 is None and l1 in l1s) or (l1, l2) in present for l1, l2 in aff):
            if u in named:
                ed.fail("handling", u, "none of the categories it handles (UNIT_AFFINITY) has 派单 this year")
            del units[u]
    return units


def plan_city(ed: Edition, year: int, up: UnitPlan, dispatched: int, units: dict[str, str],
              use: dict[str, int]) -> None:
    """The city-level units share what the districts leave of 派单: printed units exactly, the ``then`` units
    next in order, the others in proportion to CITY_UNITS, every unit at least its 每月一题 rows."""
    city_total = dispatched - sum(up.totals.values())
    fixed: dict[str, int] = {}
    caps: dict[str, int] = {}
    then: list[tuple[str, list[str], int]] = []
    for key, spec in _rankings(ed):
        prev_v: int | None = None
        for k, e in enumerate(spec.get("ranking") or []):
            v = ed.center(e["wan"])
            if prev_v is not None and v >= prev_v:
                lo, _ = ed.wan_window(e["wan"])
                v = prev_v - 1
                if v < lo:
                    ed.fail(f"{key}.ranking[{k}]", e, "must be below the unit before it")
            fixed[e["unit"]] = v
            prev_v = v
        if prev_v is not None:
            for u, level in units.items():
                if level == spec["level"] and u not in fixed:
                    caps[u] = prev_v - 1
        then.append((spec["level"], list(spec.get("then") or []), prev_v or BIG))
    nominal = {u: float(v) for level in EW.CITY_UNITS.values() for u, v in level.items()}
    free = [u for u in units if u not in fixed]
    left = city_total - sum(fixed.values()) - sum(use.get(u, 0) for u in free)
    if left < 0:
        ed.fail("handling", {k: v.get("ranking") for k, v in _rankings(ed)},
                f"the printed city-level units need more than the {city_total} records the districts leave of 派单")
    jit = float(EW.COMPARISON["units"])
    w = [max(nominal.get(u, 0.1), 0.01) * (1 + jit * rng_for(year, u, "unit").uniform(-1, 1)) for u in free]
    cap = [max(0, caps.get(u, BIG) - use.get(u, 0)) for u in free]
    if left > sum(cap):
        ed.fail("handling", {k: v.get("ranking") for k, v in _rankings(ed)},
                "the other city-level units cannot take what is left, each below the last printed unit of its class")
    values = {u: int(v) + use.get(u, 0) for u, v in zip(free, allocate(left, w, cap))}
    for level, names, _top in then:
        others = sorted((u for u in free if units[u] == level), key=lambda u: -values[u])
        if not names:
            continue
        missing = [u for u in names if u not in others]
        if missing:
            ed.fail("handling", names, f"{missing} are printed units of {level} elsewhere")
        pool = sorted((values[u] for u in others), reverse=True)
        rest = [u for u in others if u not in names]
        order = names + sorted(rest, key=lambda u: -values[u])
        for u, v in zip(order, pool):
            values[u] = v
        for j in range(len(names) - 1, -1, -1):                # strict: move one record down the line if tied
            a = order[j]
            b = order[j + 1] if j + 1 < len(order) else None
            if b is not None and values[a] <= values[b]:
                d = values[b] - values[a] + 1
                if values[b] - d < use.get(b, 0):
                    ed.fail("handling", names, f"{level}: the units after {a} are too close to order")
                values[a] += d
                values[b] -= d
        for u in names:
            if values[u] < use.get(u, 0):
                ed.fail("handling", names, f"{u} has fewer records than its 每月一题 rows")
    for u, v in fixed.items():
        if v < use.get(u, 0):
            ed.fail("handling", u, f"{u}'s printed value {v} is less than its 每月一题 rows ({use[u]})")
    for u in units:
        v = fixed.get(u, values.get(u, 0))
        if v > 0:
            up.totals[(units[u], None, u)] = v
    _check_rankings(ed, up)


def _check_rankings(ed: Edition, up: UnitPlan) -> None:
    for key, spec in _rankings(ed):
        named = [e["unit"] for e in spec.get("ranking") or []] + list(spec.get("then") or [])
        values = up.city(spec["level"])
        order = sorted(values, key=lambda n: -values[n])
        if order[: len(named)] != named or (len(order) > len(named)
                                            and values[order[len(named) - 1]] <= values[order[len(named)]]):
            ed.fail(key, named, f"the units came out as {order[:len(named) + 2]}")
        for e in spec.get("ranking") or []:
            if ed.wan(values[e["unit"]]) != Decimal(str(e["wan"])):
                ed.fail(key, e, "prints differently")


def comparison_units(ed: Edition, frame: pd.DataFrame, dated: pd.DataFrame, dispatched: int):
    """The comparison year's units: its 派单 per sub-category spread as this year's is (``frame``: this year's
    records), then made exact to its 派单 total (no noise of its own: the mix differs from this year's already).
    Returns the unit plan and the category × unit weights for split_units (that spread itself: its margins are
    the plan's, so the fitting has nothing left to move)."""
    d = frame[frame["disposition"] == DISPATCHED]
    keys = ["category_l1", "category_l2", "handler_level", "district", "handler"]
    g = d.assign(**{k: d[k].fillna("") for k in keys[2:]}).groupby(keys, sort=False)["count"].sum()
    share: dict[tuple[str, str], dict[tuple, float]] = {}
    overall: dict[tuple, float] = {}
    for (l1, l2, level, district, handler), n in g.items():
        k = (level or None, district or None, handler or None)
        share.setdefault((l1, l2), {})[k] = float(n)
        overall[k] = overall.get(k, 0.0) + float(n)
    p = dated[dated["disposition"] == DISPATCHED]
    need = p.groupby(["category_l1", "category_l2"], sort=False)["count"].sum()
    weight: dict[tuple, float] = {}
    for (l1, l2), n in need.items():
        part = share.get((l1, l2), overall)
        whole = sum(part.values())
        for k, v in part.items():
            weight[k] = weight.get(k, 0.0) + float(n) * v / whole
    ukeys = list(weight)
    up = UnitPlan(ed.prev)
    for k, v in zip(ukeys, allocate(dispatched, [weight[k] for k in ukeys])):
        if v > 0:
            up.totals[k] = int(v)

    def weigh(cats: list[tuple[str, str]], ulist: list[tuple]) -> np.ndarray:
        col = {u: j for j, u in enumerate(ulist)}
        w = np.zeros((len(cats), len(ulist)))
        for i, c in enumerate(cats):
            part = share.get(c, overall)
            whole = sum(part.values())
            for k, v in part.items():
                if k in col:
                    w[i, col[k]] = float(need.get(c, 0)) * v / whole
        return w

    return up, weigh


# =============================================================================================
# Stage 6: 每月一题 (this year's table, by assessment period)
# =============================================================================================


def topic_spec(ed: Edition, key: str, name: str) -> TopicSpec:
    if name in EW.TOPIC_SPEC:
        spec = EW.TOPIC_SPEC[name]
    else:
        found = [W.TOPIC_SPEC[y][name] for y in sorted(W.TOPIC_SPEC, reverse=True) if name in W.TOPIC_SPEC[y]]
        if not found:
            ed.fail(f"{key}.topic", name, "no entry in TOPIC_SPEC (data/sample/weights/edition.yaml or records.yaml): "
                    "which categories are its rows filed under?")
        spec = found[0]
    for l1, l2, _ in spec.cats:
        if l2 not in ed.subs(l1):
            ed.fail(f"{key}.topic", name, f"its TOPIC_SPEC category {l1}/{l2} is not in {_rel(TAXONOMY)}")
    return spec


def check_topic_table(ed: Edition) -> list[dict]:
    t = ed.t.get("topics") or {}
    items = list(t.get("items") or [])
    for i, item in enumerate(items):
        counts = [int(c) for _, c in item.get("units") or []]
        if any(a <= b for a, b in zip(counts, counts[1:])):
            ed.fail(f"topics.items[{i}].units", item.get("units"), "the top units must be strictly ordered")
        if sum(counts) > int(item["total"]):
            ed.fail(f"topics.items[{i}]", item, "the top units exceed the topic's total")
    if "count" in t and int(t["count"]) != len(items):
        ed.fail("topics.count", t["count"], f"the table lists {len(items)} topics")
    if "wan" in t and ed.wan(sum(int(x["total"]) for x in items)) != Decimal(str(t["wan"])):
        ed.fail("topics.wan", t["wan"], f"the topics' totals add up to {sum(int(x['total']) for x in items)}")
    if "top3" in t:
        order = [x["topic"] for x in sorted(items, key=lambda x: -int(x["total"]))][: len(t["top3"])]
        if order != list(t["top3"]):
            ed.fail("topics.top3", t["top3"], f"the topics' totals put {order} first")
    return items


def plan_topics(ed: Edition, up: UnitPlan, dated: pd.DataFrame, units: dict[str, str]
                ) -> tuple[list[tuple], dict[str, int]]:
    """Every topic of this year's table: its total over the assessment periods 1K–12K and its top three units
    exact, filed under its categories where the 派单 cells have room.  Period 1K's rows are all dated the 1st of
    January (the comparison year's file has no topic rows); rows dated the 19th of December carry no topic."""
    items = check_topic_table(ed)
    year = ed.year
    cap = R.Capacity({year: dated})
    rows: list[tuple] = []
    use: dict[str, int] = {}
    inp = ed.shim()
    for i, item in sorted(enumerate(items), key=lambda x: -int(x[1]["total"])):
        key = f"topics.items[{i}]"
        name, total = item["topic"], int(item["total"])
        spec = topic_spec(ed, key, name)
        shape = np.array(item.get("monthly") or spec.shape, dtype=float)
        noise = W.JITTER["topic_months"] * rng_for(year, name, "months").uniform(-1, 1, MONTHS)
        periods = allocate(total, shape * (1 + noise))
        buckets: list[tuple[int, int]] = []
        for k, v in enumerate(periods, start=1):
            pair = [0] if k == 1 else [2 * k - 3, 2 * k - 2]
            room = [sum(cap.get(year, l1, l2, b) for l1, l2, _ in spec.cats) for b in pair]
            if v > sum(room):
                ed.fail(key, {"topic": name, "total": total}, f"period {k}K needs {v} rows, its categories "
                        f"({', '.join(f'{a}/{b}' for a, b, _ in spec.cats)}) have {sum(room)} 派单 to give")
            for b, n in zip(pair, allocate(int(v), [r * 1.0 for r in room], room)):
                buckets.append((b, int(n)))
        top = [u for u, _ in item["units"]]
        top_counts = [int(c) for _, c in item["units"]]
        for u in top:
            if u not in ed.districts and u not in units:
                ed.fail(f"{key}.units", item["units"], f"{u} is neither a district nor a city-level unit")
        units_by_year = {year: up}
        rest, below = total - sum(top_counts), (top_counts[-1] - 1 if top_counts else total)
        others = R.topic_others(inp, units_by_year, year, spec, top, rest, below) if rest else {}
        for u in others:
            if u not in ed.districts and u not in units:
                ed.fail(f"{key}.topic", name, f"its TOPIC_SPEC extra unit {u} is not a unit of this edition")
        unit_totals = dict(zip(top, top_counts)) | others
        if sum(unit_totals.values()) != total:
            ed.fail(key, item, "its units cannot take the whole total below the third")
        unames = list(unit_totals)
        ucount = np.array([unit_totals[u] for u in unames], dtype=np.int64)
        bcount = np.array([n for _, n in buckets], dtype=np.int64)
        grid = R.round_matrix(np.outer(bcount, ucount) / total, bcount, ucount, f"每月一题 {name}")
        for (b, n), per_unit in zip(buckets, grid):
            if n == 0:
                continue
            cats = [(l1, l2) for l1, l2, _ in spec.cats]
            room = np.array([cap.get(year, l1, l2, b) for l1, l2 in cats], dtype=np.int64)
            w = np.array([wt for _, _, wt in spec.cats], dtype=float) * (room > 0)
            per_cat = allocate(n, w, room)
            split = R.round_matrix(np.outer(per_unit, per_cat) / n, per_unit, per_cat, f"每月一题 {name} {b}")
            for ui, u in enumerate(unames):
                for ci, (l1, l2) in enumerate(cats):
                    c = int(split[ui, ci])
                    if c == 0:
                        continue
                    cap.take(year, l1, l2, b, c)
                    if u in ed.districts:
                        rows.append((l1, l2, b, R.topic_level(name, u, spec.street), u, None, name, c))
                    else:
                        rows.append((l1, l2, b, units[u], None, u, name, c))
                    use[u] = use.get(u, 0) + c
    district_use: dict[tuple, int] = {}
    for _l1, _l2, _b, level, d, _h, _n, c in rows:
        if d is not None:
            district_use[(level, d, None)] = district_use.get((level, d, None), 0) + c
    for k, c in district_use.items():
        if c > up.totals.get(k, 0):
            ed.fail("topics", k[1], f"its {k[0]} rows of the topics ({c}) exceed its total ({up.totals.get(k, 0)})")
    return rows, {u: c for u, c in use.items() if u not in ed.districts}


# =============================================================================================
# Stage 7: channels, assembly, output
# =============================================================================================


def split_channel(network: int, rows: pd.DataFrame) -> pd.DataFrame:
    share = np.array(EW.NETWORK_SHARE, dtype=float)[rows["b"].to_numpy() // 2]
    factor = rows["category_l1"].map(lambda l1: EW.NETWORK_FACTOR.get(l1, EW.NETWORK_FACTOR_DEFAULT)).to_numpy()
    count = rows["count"].to_numpy()
    net = allocate(network, count * share * factor.astype(float), count)
    return pd.concat([rows.assign(channel=PHONE, count=count - net), rows.assign(channel=NETWORK, count=net)],
                     ignore_index=True)


def pruned_affinity(ed: Edition, year: int, dated: pd.DataFrame, up: UnitPlan):
    """records.affinity with the district units of a sub-category dropped where they would get fewer than
    EW.PRUNE["below"] records, except a sub-category's EW.PRUNE["keep"] largest district units and a district
    unit's EW.PRUNE["unit_keep"] largest sub-categories: small sub-categories are handled by a few districts, and
    the files stay small (a pair of sub-category and unit is at least one row per channel)."""
    d = dated[dated["disposition"] == DISPATCHED]
    volume = d.groupby(["category_l1", "category_l2"], sort=False)["count"].sum().to_dict()
    below, keep, unit_keep = float(EW.PRUNE["below"]), int(EW.PRUNE["keep"]), int(EW.PRUNE["unit_keep"])

    def weigh(cats: list[tuple[str, str]], ulist: list[tuple]) -> np.ndarray:
        w = R.affinity(year, cats, ulist, ed.districts, up, EW.ONLINE)
        district = np.array([u[2] is None for u in ulist])
        vol = np.array([float(volume.get(c, 0)) for c in cats])
        expected = w / np.maximum(w.sum(1, keepdims=True), 1e-12) * vol[:, None]
        drop = district[None, :] & (expected < below)
        rows = np.argsort(-np.where(district[None, :], expected, -1.0), axis=1, kind="stable")[:, :keep]
        drop[np.arange(len(cats))[:, None], rows] = False
        cols = np.argsort(-expected, axis=0, kind="stable")[:unit_keep, :]
        drop[cols, np.arange(len(ulist))[None, :]] = False
        w[drop] = 0.0
        return w

    return weigh


def _assemble(ed: Edition, yp: YearPlan, dated: pd.DataFrame, topic_rows: list[tuple], up: UnitPlan,
              weigh=None) -> pd.DataFrame:
    dispatched = R.split_units(yp.year, dated, topic_rows, up, ed.districts, online=EW.ONLINE, weigh=weigh,
                               sparsity=float(EW.SPARSITY))
    direct = dated[dated["disposition"] == DIRECT].drop(columns=["disposition"])
    direct = direct.assign(handler_level=None, district=None, handler=None, topic=None)
    rows = pd.concat([dispatched.assign(disposition=DISPATCHED), direct.assign(disposition=DIRECT)],
                     ignore_index=True)
    rows = rows[rows["count"] > 0]
    rows = split_channel(yp.headline[NETWORK], rows)
    frame = R.finish(yp, ed.shim(), rows)
    R.check_taxonomy(frame, ed.taxonomy, yp.year)
    return frame


def generate(ed: Edition) -> dict[int, pd.DataFrame]:
    plan = plan_years(ed)
    printed = ((ed.t.get("handling") or {}).get("dispatched") or {}).get("wan")
    if printed is not None and ed.wan(plan.cur.headline[DISPATCHED]) != Decimal(str(printed)):
        ed.fail("handling.dispatched.wan", printed, f"派单 is {plan.cur.headline[DISPATCHED]} records "
                f"({ed.wan(plan.cur.headline[DISPATCHED])} 万, disposition.派单)")
    months = split_months(ed, plan)
    disp, disp_prev = plan_dispatch(ed, plan)
    dated = {plan.cur.year: R.split_dates(plan.cur, split_disposition(ed.year, months[ed.year], disp)),
             plan.prev.year: R.split_dates(plan.prev, split_disposition(ed.prev, months[ed.prev], disp_prev))}
    d = dated[ed.year]
    d = d[(d["disposition"] == DISPATCHED) & (d["count"] > 0)]
    units = city_units(ed, set(zip(d["category_l1"], d["category_l2"])))
    up = UnitPlan(ed.year)
    for d, (n, b) in solve_districts(ed, plan.cur.headline[DISPATCHED]).items():
        up.totals[(DISTRICT_LEVEL, d, None)] = n - b
        up.totals[(STREET_LEVEL, d, None)] = b
    topic_rows, use = plan_topics(ed, up, dated[ed.year], units)
    plan_city(ed, ed.year, up, plan.cur.headline[DISPATCHED], units, use)
    frames = {ed.year: _assemble(ed, plan.cur, dated[ed.year], topic_rows, up,
                                 pruned_affinity(ed, ed.year, dated[ed.year], up))}
    prev_up, weigh = comparison_units(ed, frames[ed.year], dated[ed.prev], plan.prev.headline[DISPATCHED])
    frames[ed.prev] = _assemble(ed, plan.prev, dated[ed.prev], [], prev_up, weigh)
    R.check_units_file(frames)
    return frames


def write(frames: dict[int, pd.DataFrame], out: Path, year: int) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for y, frame in sorted(frames.items(), reverse=True):
        table = pa.Table.from_pandas(frame, schema=R.SCHEMA, preserve_index=False).replace_schema_metadata(None)
        path = out / f"records-{y}.parquet"
        write_parquet(path, table)
        written.append(path)
        if y == year:
            csv = out / f"records-{y}.csv"
            replace_atomically(csv, partial(frame.to_csv, index=False, encoding="utf-8", lineterminator="\n"))
            written.append(csv)
    return written


def run(out: Path, targets: Path, year: int) -> int:
    ed = load_edition(targets, year)
    if out.resolve() == R.DEFAULT_OUT.resolve() and {ed.year, ed.prev} & set(R.YEARS):
        raise SystemExit(f"--out {_rel(out)} holds the built-in {'/'.join(map(str, R.YEARS))} records, which "
                         f"records-{ed.year}/{ed.prev}.parquet would replace: give another --out "
                         f"(e.g. data/generated/edition-{ed.year})")
    frames = generate(ed)
    for note in ed.notices:
        print(note, file=sys.stderr)
    for path in write(frames, out, ed.year):
        print(path)
    return 0
