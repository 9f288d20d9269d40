"""Deterministic sample assessment tables (市级“接诉即办”考评) for the monthly district brief.

    python -m data.sample assessment [--out data/generated/assessment]

writes, for the assessment periods 2023-09K (2023-08-19 … 2023-09-19) and 2023-08K (the one before):

    units-<period>.parquet       every 街乡镇 (343) in 直派 / 转派+从办 / 直派+转派+从办, every district
                                 department (一类 / 二类部门) in 部门自办+从办: 纳入考评, the three rates,
                                 加分项, city rank
    districts-<period>.parquet   the 16 districts: rates, 加分项, composite, city rank, 工单 kinds, 诉求量,
                                 the 诉求量 behind 万人诉求比, the district's composite per table kind
    city-<period>.parquet        the city's average composites of streets (直派) and departments, and counts

密云区 in 2023-09K is the seed brief (shared/seeds/monthly-2023-09-miyun-district-brief.txt) exactly:
tables 1–4 and every sentence of sections 一–三.  Its 2023-08K 直派 city ranks follow from the printed
rank changes (檀营地区 23 with 12↑ → 35).  Everything else is invented, but consistent: city ranks
computed over all units reproduce 密云's printed ones, the city averages are the means of the units,
every composite is 0.1·响应率 + 0.5·解决率 + 0.4·满意率 + 加分项 of the row's rates.  The invented
values are in ``data/sample/weights/assessment.yaml`` (``W.NAME`` below is its entry NAME);
data/assessment/README.md lists what is invented and every inconsistency of the seed.
"""

from __future__ import annotations

import functools
import math
import random
import sys
from decimal import Decimal
from fractions import Fraction
from pathlib import Path

import pyarrow as pa

from reportgen.assessment import (
    Rates, competition_ranks, composite, load_assessment_config, rank_change, round_half_up,
)
from reportgen.metrics import per_10k

from .common import GENERATED, PROFILE, STREETS_FILE, Weights, cli, half_up, load_yaml, write_parquet

DEFAULT_OUT = GENERATED / "assessment"
PERIOD, PREVIOUS = "2023-09K", "2023-08K"
MIYUN = "密云区"
SEED = 20230919
D = Decimal
ZERO, HUNDRED, CENT = D(0), D(100), D("0.01")

# --- the seed brief, as printed --------------------------------------------------------------
# 表1（直派）：镇街 纳入考评 响应率 解决率 满意率 综合成绩 市级排名 环比变化
TABLE1 = """
檀营地区 133 100.00 99.18 100.00 99.59 23 12↑
古北口镇 131 100.00 99.01 98.81 99.03 45 44↓
十里堡镇 284 100.00 98.68 98.94 98.92 54 11↓
北庄镇 157 100.00 98.58 98.30 98.61 67 41↓
大城子镇 201 100.00 98.26 98.37 98.48 76 13↓
不老屯镇 270 100.00 98.31 98.31 98.47 77 30↓
密云镇 182 100.00 98.56 97.55 98.30 90 76↑
巨各庄镇 316 100.00 97.65 98.43 98.20 97 6↓
高岭镇 234 100.00 97.89 97.79 98.06 112 48↑
西田各庄镇 412 100.00 97.41 97.56 97.73 130 72↓
鼓楼街道 473 100.00 97.40 97.54 97.72 132 46↑
石城镇 93 100.00 97.14 97.14 97.43 157 35↑
东邵渠镇 277 100.00 96.55 97.33 97.21 173 67↓
河南寨镇 224 99.11 95.51 96.63 96.32 220 39↑
冯家峪镇 173 100.00 95.00 96.86 96.24 224 132↓
穆家峪镇 427 100.00 94.89 96.04 95.86 248 146↓
太师屯镇 349 100.00 94.90 95.71 95.73 253 127↓
果园街道 297 100.00 94.72 95.12 95.41 273 1↑
溪翁庄镇 352 99.43 93.31 93.17 93.87 308 79↓
新城子镇 140 100.00 92.11 94.39 93.81 311 87↓
"""
# 表2（转派+从办）：镇街 纳入考评 响应率 解决率 满意率 综合成绩
TABLE2 = """
石城镇 15 100.00 100.00 100.00 100.00
北庄镇 37 100.00 100.00 95.00 98.00
东邵渠镇 60 100.00 96.15 95.38 96.23
西田各庄镇 95 100.00 95.12 96.59 96.20
河南寨镇 57 100.00 93.55 96.77 95.48
冯家峪镇 41 100.00 94.12 94.12 94.71
大城子镇 45 100.00 91.67 95.83 94.17
不老屯镇 104 100.00 93.18 93.18 93.86
巨各庄镇 69 100.00 89.47 94.21 92.42
高岭镇 75 100.00 90.48 92.86 92.38
古北口镇 65 100.00 88.89 91.11 90.89
新城子镇 27 100.00 87.50 92.50 90.75
密云镇 101 100.00 90.00 89.33 90.73
太师屯镇 84 100.00 88.37 90.23 90.28
十里堡镇 90 100.00 86.96 89.13 89.13
鼓楼街道 434 100.00 85.32 87.03 87.47
溪翁庄镇 143 100.00 84.62 87.08 87.14
穆家峪镇 138 100.00 84.75 86.78 87.08
果园街道 241 100.00 82.86 85.29 85.54
檀营地区 98 100.00 81.82 80.00 82.91
"""
# 表3（直派+转派+从办）：镇街 纳入考评 响应率 解决率 满意率 加分项 综合成绩
TABLE3 = """
北庄镇 194 100.00 98.76 97.89 — 98.53
大城子镇 246 100.00 97.45 98.06 — 97.95
石城镇 108 100.00 97.40 97.40 — 97.66
不老屯镇 374 100.00 97.29 97.29 — 97.56
西田各庄镇 507 100.00 97.11 97.43 — 97.52
巨各庄镇 385 100.00 96.59 97.88 — 97.45
十里堡镇 374 100.00 96.70 97.29 — 97.27
东邵渠镇 337 100.00 96.51 97.13 — 97.11
高岭镇 309 100.00 96.55 96.90 — 97.03
密云镇 283 100.00 97.04 96.09 — 96.96
古北口镇 196 100.00 96.35 96.79 — 96.89
河南寨镇 281 99.29 95.22 96.65 — 96.20
冯家峪镇 214 100.00 94.90 96.56 — 96.08
太师屯镇 433 100.00 94.07 95.01 — 95.04
穆家峪镇 565 100.00 93.37 94.64 — 94.54
檀营地区 231 100.00 93.79 93.79 — 94.41
鼓楼街道 907 100.00 92.46 93.24 — 93.53
新城子镇 167 100.00 91.54 94.15 0.1 93.53
溪翁庄镇 495 99.60 91.69 92.03 — 92.62
果园街道 538 100.00 90.41 91.55 — 91.83
"""
# 表4（部门自办+从办）：分类 部门 纳入考评 响应率 解决率 满意率 加分项 综合成绩（“教  委”即 教委）
TABLE4 = """
一类部门 体育局 66 100.00 100.00 100.00 — 100.00
一类部门 园林绿化局 34 100.00 100.00 100.00 — 100.00
一类部门 民政局 12 100.00 100.00 100.00 — 100.00
一类部门 人力社保局 236 100.00 100.00 99.29 — 99.71
一类部门 密云城服集团 289 100.00 98.74 97.91 — 98.54
一类部门 卫生健康委 310 100.00 98.88 97.30 — 98.36
一类部门 密云城投集团 80 100.00 98.36 97.70 — 98.26
一类部门 交通局 589 100.00 98.05 97.53 — 98.04
一类部门 农业农村局 28 100.00 95.00 100.00 — 97.50
一类部门 商务局 161 100.00 100.00 93.33 — 97.33
一类部门 教委 140 100.00 97.22 96.11 — 97.06
一类部门 市场监督管理局 528 100.00 95.97 95.17 — 96.05
一类部门 文化和旅游局 728 100.00 95.92 94.29 0.1 95.77
一类部门 水务局 45 100.00 94.44 95.00 — 95.22
一类部门 密云企业管理公司 44 100.00 94.29 93.14 — 94.40
一类部门 园林中心 47 100.00 93.55 93.55 — 94.19
一类部门 中关村密云园 487 100.00 90.10 93.47 — 92.44
一类部门 静态交通 49 100.00 88.00 95.20 — 92.08
一类部门 城市管理委 215 100.00 90.32 91.48 — 91.75
一类部门 住建委 944 100.00 89.38 92.53 — 91.71
一类部门 公路分局 77 100.00 90.38 89.23 — 90.88
一类部门 规自分局 39 100.00 83.33 80.00 — 83.67
二类部门 密云生态集团 25 100.00 100.00 100.00 — 100.00
二类部门 生态环境局 17 100.00 100.00 100.00 — 100.00
二类部门 国资委 15 100.00 100.00 100.00 — 100.00
二类部门 供销社 14 100.00 100.00 100.00 — 100.00
二类部门 文旅集团 13 100.00 100.00 100.00 — 100.00
二类部门 消防支队 5 100.00 100.00 100.00 — 100.00
二类部门 退役军人事务局 4 100.00 100.00 100.00 — 100.00
二类部门 农业服务中心 1 100.00 100.00 100.00 — 100.00
二类部门 人防办 1 100.00 100.00 100.00 — 100.00
二类部门 政务服务管理局 7 100.00 100.00 95.00 — 98.00
二类部门 发改委 18 100.00 94.12 100.00 — 97.06
二类部门 经贸分院 3 100.00 100.00 90.00 — 96.00
"""
# Sentences: 区级考评, 工单 kinds, 诉求量, 万人诉求比, city averages, per-table composites.
MIYUN_DISTRICT = {
    "counted": 12382, "previous_counted": 11897,                  # 12382，环比上升4.08% → 11897 (unique)
    "rates": ("99.96", "94.29", "94.94"), "composite": D("95.21"), "city_rank": 11,
    "requests": 20893, "previous_requests": 23699,                # 20893，环比下降11.84% → 23698…23700
    "orders": (7022, 6458, 308, 51, 85, 59, 171),
    "composites": {"直派": D("97.08"), "转派+从办": D("89.33"), "直派+转派+从办": D("95.48"),
                   "部门自办+从办": D("95.28")},
}
CITY_STREET_AVG, CITY_DEPT_AVG, CITY_STREETS = D("96.72"), D("99.05"), 343
# 万人诉求比 (件/万人, population from profile.yaml): 密云 372.71 (15th), 环比下降17.38 → 390.09;
# 前三 (lowest): 大兴区 197.06, 昌平区 197.29, 门头沟区 213.46
PER10K = {MIYUN: D("372.71"), "大兴区": D("197.06"), "昌平区": D("197.29"), "门头沟区": D("213.46")}
PER10K_PREVIOUS_MIYUN = D("390.09")


def _tables(raw: dict) -> dict:
    """data/sample/weights/assessment.yaml with its quoted decimals (scores, 加分项, ratios) as Decimal."""
    def decimals(entry: dict) -> dict:
        return {k: D(v) if isinstance(v, str) else v for k, v in entry.items()}

    t = dict(raw)
    for name in ("STREETS", "DEPARTMENT_SCORES", "BONUS"):
        t[name] = decimals(raw[name])
    t["DISTRICT_BONUS"] = [None if b is None else D(b) for b in raw["DISTRICT_BONUS"]]
    highest = raw["PER10K_OTHERS"]["highest"]
    t["PER10K_OTHERS"] = dict(raw["PER10K_OTHERS"], highest=dict(highest, ratio=D(highest["ratio"])))
    return t


W = Weights("assessment", _tables)     # the invented values (data/assessment/README.md)


# --- helpers ------------------------------------------------------------------------------------
def cents(d: Decimal) -> int:
    return int(d * 100)


def dec(c: int) -> Decimal:
    return D(c).scaleb(-2)


def q4(x: Fraction | Decimal) -> Decimal:
    """A rate as stored: percent with four decimals."""
    if isinstance(x, Fraction):
        x = D(x.numerator) * 100 / D(x.denominator)
    return half_up(x, 4)


def parse(block: str) -> list[list[str]]:
    return [line.split() for line in block.strip().splitlines()]


@functools.lru_cache(maxsize=None)
def fractions_in(printed: Decimal, limit: int = 40) -> list[Fraction]:
    """Fractions p/q (smallest q first) whose percentage prints as ``printed`` (two decimals)."""
    if printed == HUNDRED:
        return [Fraction(1)]
    lo, hi = Fraction(printed - D("0.005")) / 100, Fraction(printed + D("0.005")) / 100
    out: list[Fraction] = []
    q = 1
    while len(out) < limit and q < 20000:
        p = math.ceil(lo * q)
        while Fraction(p, q) < hi:
            if math.gcd(p, q) == 1 and round_half_up(q4(Fraction(p, q)), 2) == printed:
                out.append(Fraction(p, q))
            p += 1
        q += 1
    return out


class Gen:
    def __init__(self) -> None:
        self.cfg = load_assessment_config()
        self.w = self.cfg.weights
        self.rng = random.Random(SEED)
        profile = load_yaml(PROFILE)
        self.population = {d["name"]: D(str(d["population_wan"])) for d in profile["districts"]}
        self.districts = list(self.population)
        self.streets: dict[str, list[str]] = load_yaml(STREETS_FILE)
        if list(self.streets) != self.districts:
            raise SystemExit("config/beijing/streets.yaml 的区与 profile.yaml 不一致")
        if sum(map(len, self.streets.values())) != CITY_STREETS:
            raise SystemExit(f"config/beijing/streets.yaml 应列出 {CITY_STREETS} 个街乡镇")
        self.depts = self._departments()
        prev_rng = random.Random(SEED + 3)
        now = self._per10k_counts()
        before = {d: int(n * D(str(prev_rng.uniform(*W.PER10K_OTHERS["previous_drift"])))) for d, n in now.items()}
        before[MIYUN] = int(round_half_up(PER10K_PREVIOUS_MIYUN * self.population[MIYUN], 0))
        self.per10k = {PERIOD: now, PREVIOUS: before}

    def comp(self, r: tuple[Decimal, Decimal, Decimal], bonus: Decimal | None) -> Decimal:
        return composite(Rates(*r), bonus, self.w)

    # --- 密云区 as printed: find the unrounded rates -----------------------------------------
    def seed_rates(self, printed: tuple[Decimal, Decimal, Decimal], target: Decimal, bonus: Decimal | None,
                   response: Fraction | None = None) -> tuple[Decimal, Decimal, Decimal]:
        """Rates that print as ``printed`` and give the printed composite: each the smallest-denominator
        fraction in its rounding interval that works (the city computes on unrounded rates; for most rows
        the printed rates already give the composite, for 13 rows only the unrounded ones do)."""
        resp = [response] if response is not None and round_half_up(q4(response), 2) == printed[0] \
            else fractions_in(printed[0])
        pairs = sorted(((a, b) for a in fractions_in(printed[1]) for b in fractions_in(printed[2])),
                       key=lambda ab: (max(ab[0].denominator, ab[1].denominator),
                                       ab[0].denominator + ab[1].denominator))
        for p in resp:
            for a, b in pairs:
                rates = (q4(p), q4(a), q4(b))
                if self.comp(rates, bonus) == target:
                    return rates
        raise SystemExit(f"找不到与印出的比率 {printed} 和综合成绩 {target} 相符的比率")

    def miyun_current(self) -> dict[str, list[dict]]:
        out: dict[str, list[dict]] = {t: [] for t in self.cfg.tables}
        responded: dict[str, int] = {}
        for name, n, r1, r2, r3, comp, *_ in parse(TABLE1):
            n = int(n)
            k = int(round_half_up(D(r1) * n / 100, 0))
            responded[name] = k
            rates = self.seed_rates((D(r1), D(r2), D(r3)), D(comp), None, Fraction(k, n))
            out["直派"].append(dict(unit=name, counted=n, rates=rates, bonus=None))
        for name, n, r1, r2, r3, comp in parse(TABLE2):
            n = int(n)
            k = int(round_half_up(D(r1) * n / 100, 0))
            responded[name] += k
            rates = self.seed_rates((D(r1), D(r2), D(r3)), D(comp), None, Fraction(k, n))
            out["转派+从办"].append(dict(unit=name, counted=n, rates=rates, bonus=None))
        for name, n, r1, r2, r3, bonus, comp in parse(TABLE3):
            b = None if bonus == "—" else D(bonus)
            rates = self.seed_rates((D(r1), D(r2), D(r3)), D(comp), b, Fraction(responded[name], int(n)))
            out["直派+转派+从办"].append(dict(unit=name, counted=int(n), rates=rates, bonus=b))
        for cls, name, n, r1, r2, r3, bonus, comp in parse(TABLE4):
            b = None if bonus == "—" else D(bonus)
            rates = self.seed_rates((D(r1), D(r2), D(r3)), D(comp), b, Fraction(int(n), int(n)))
            out["部门自办+从办"].append(dict(unit=name, counted=int(n), rates=rates, bonus=b, dept_class=cls))
        return out

    # --- invented rates for a target composite ------------------------------------------------
    def solve(self, target: Decimal, bonus: Decimal | None, n: int, miss: bool = True,
              spread: int | None = None) -> tuple[Decimal, Decimal, Decimal]:
        """响应率, 解决率, 满意率 (four decimals) whose composite is exactly ``target``; 满意率 within
        about ±``spread``/100 points of 解决率 (default: RATES.spread.direct)."""
        rng = self.rng
        rc = W.RATES
        spread = rc["spread"]["direct"] if spread is None else spread
        rest_all = target - (bonus or ZERO)
        for attempt in range(500):
            p = HUNDRED
            if miss and n >= rc["miss_min_counted"] and rest_all < rc["miss_below"] and attempt < 400 \
                    and rng.random() < rc["miss_share"]:
                p = q4(Fraction(n - rng.choice(rc["missed"]), n))
            rest = rest_all - self.w.response * p
            # 满意率 s = (rest − 0.5 r) / 0.4 must lie in [0, 100] and near r
            lo = max(2 * (rest - 40), (rest - dec(spread) * D("0.4")) / D("0.9"), ZERO)
            hi = min(HUNDRED, (rest + dec(spread) * D("0.6")) / D("0.9"))
            if lo > hi:
                continue
            r = q4(lo + (hi - lo) * D(rng.randint(0, 10000)) / 10000)
            s = q4((rest - self.w.resolve * r) / self.w.satisfaction)
            if ZERO <= s <= HUNDRED and self.comp((p, r, s), bonus) == target:
                return p, r, s
        raise SystemExit(f"无法为综合成绩 {target} 构造比率")

    # --- composites around fixed units with fixed ranks ----------------------------------------
    def fill(self, fixed: list[tuple[Decimal, int]], others: int, floor: Decimal, top_100: float) -> list[Decimal]:
        """Composites of ``others`` units such that every fixed (value, rank) pair gets exactly its
        competition rank among all units: ``rank − 1`` units strictly above it.

        With the fixed values v0 > v1 > … (distinct), ``rank_i − 1 − i`` others must be strictly above
        v_i; those not above v_(i−1) go strictly between the two, or tie with v_(i−1) when the two are
        one cent apart (a tie with v_(i−1) leaves its rank unchanged)."""
        rng = self.rng
        fixed = sorted(fixed, key=lambda vr: -vr[0])
        out: list[Decimal] = []
        placed = 0
        for i, (value, rank) in enumerate(fixed):
            need = rank - 1 - i - placed
            if need < 0:
                raise SystemExit(f"排名 {rank} 与综合成绩 {value} 不可能同时成立")
            upper = HUNDRED + CENT if i == 0 else fixed[i - 1][0]
            lo_c, hi_c = cents(value) + 1, cents(upper) - 1
            for _ in range(need):
                if lo_c > hi_c:
                    out.append(upper)                      # one cent apart: tie with the unit above
                elif i == 0 and rng.random() < top_100:
                    out.append(HUNDRED)
                else:
                    out.append(dec(rng.randint(lo_c, hi_c)))
            placed += need
        low_c, high_c = cents(floor), cents(fixed[-1][0]) - 1
        for _ in range(others - placed):   # denser near the top of the range
            u = rng.random()
            out.append(dec(high_c - int((high_c - low_c) * u * u)))
        return out

    @staticmethod
    def adjust_mean(values: list[Decimal], movable: list[int], target: Decimal, lo: Decimal, hi: Decimal,
                    rng: random.Random, extra: Decimal = ZERO, extra_n: int = 0) -> None:
        """Move ``values[i]`` (i in ``movable``) by cents within [lo, hi] until the mean of the values
        plus ``extra`` (the fixed sum of ``extra_n`` more units) rounds half-up to ``target``."""
        n = len(values) + extra_n
        total = sum(values) + extra
        for _ in range(1_000_000):
            mean = total / n
            if round_half_up(mean, 2) == target:
                return
            i = rng.choice(movable)
            step = CENT if mean < target else -CENT
            if lo <= values[i] + step <= hi:
                values[i] += step
                total += step
        raise SystemExit("无法调整到目标平均值")

    # --- departments -----------------------------------------------------------------------------
    def _departments(self) -> dict[str, list[tuple[str, str]]]:
        rng = random.Random(SEED + 1)
        out: dict[str, list[tuple[str, str]]] = {}
        for d in self.districts:
            if d == MIYUN:
                out[d] = [(name, cls) for cls, name, *_ in parse(TABLE4)]
                continue
            d1, d2 = W.DEPARTMENTS["一类部门"], W.DEPARTMENTS["二类部门"]
            more1 = [x for x in d1["more"] if not (d in W.URBAN_ONLY and x in W.NOT_URBAN)]
            one = d1["common"] + rng.sample(more1, rng.randint(*d1["more_count"]))
            two = d2["common"] + rng.sample(d2["more"], rng.randint(*d2["more_count"]))
            out[d] = [(n, "一类部门") for n in one] + [(n, "二类部门") for n in two]
        return out

    def dept_target(self, n: int) -> Decimal:
        rng = self.rng
        s = W.DEPARTMENT_SCORES
        if rng.random() < s["perfect_share"]["small" if n <= s["small_counted"] else "large"]:
            return HUNDRED
        return dec(10000 - min(s["max_gap"], 1 + int(rng.expovariate(1 / s["mean_gap"]))))

    # --- one period ------------------------------------------------------------------------------
    def period(self, key: str, miyun: dict[str, list[dict]], direct_ranks: dict[str, int],
               street_avg: Decimal | None, dept_avg: Decimal | None) -> list[dict]:
        """All unit rows of one period.  ``miyun``: 密云's rows (rates given); ``direct_ranks``: the city
        ranks 密云's towns must get in 直派; the averages, when given, are hit exactly."""
        rng = self.rng
        rows: list[dict] = []
        # 直派: the other 323 streets placed around 密云's towns
        m_direct = {r["unit"]: self.comp(r["rates"], None) for r in miyun["直派"]}
        fixed = [(m_direct[u], direct_ranks[u]) for u in m_direct]
        others = [(d, s) for d in self.districts if d != MIYUN for s in self.streets[d]]
        values = self.fill(fixed, len(others), W.STREETS["floor"], W.STREETS["perfect_share"])
        if street_avg is not None:
            floor_idx = [i for i, v in enumerate(values) if v < min(m_direct.values())]
            self.adjust_mean(values, floor_idx, street_avg, W.STREETS["mean_floor"], min(m_direct.values()) - CENT, rng,
                             extra=sum(m_direct.values()), extra_n=len(m_direct))
        rng.shuffle(values)
        # 纳入考评 of a district's units ≈ 60 % of its 诉求量 (密云: 12415 of 19679), split like 密云's
        # (直派 41 %, 转派+从办 16 %, departments 43 %) over its streets and departments
        counts: dict[tuple[str, str, str], int] = {}
        for d in self.districts:
            if d == MIYUN:
                continue
            total = int(self.per10k[key][d] * D(str(rng.uniform(*W.COUNTED["of_requests"]))))
            for t, names in (("直派", self.streets[d]), ("转派+从办", self.streets[d]),
                             ("部门自办+从办", [n for n, _ in self.depts[d]])):
                share, sigma = W.COUNTED["tables"][t]["share"], W.COUNTED["tables"][t]["sigma"]
                for name, n in zip(names, allocate(int(total * D(share)), len(names), rng, sigma)):
                    counts[(d, t, name)] = n
        direct: dict[tuple[str, str], dict] = {}
        for (d, s), v in zip(others, values):
            n = counts[(d, "直派", s)]
            direct[(d, s)] = dict(district=d, unit=s, counted=n, rates=self.solve(v, None, n), bonus=None)
        # 转派+从办 and 直派+转派+从办 of the other streets
        transfer: dict[tuple[str, str], dict] = {}
        tr = W.TRANSFER
        for d, s in others:
            n = counts[(d, "转派+从办", s)]
            v = HUNDRED if n < tr["perfect_below"] and rng.random() < tr["perfect_share"] \
                else dec(max(tr["min"], min(10000, int(rng.gauss(tr["mean"], tr["sd"])))))
            transfer[(d, s)] = dict(district=d, unit=s, counted=n, bonus=None,
                                    rates=self.solve(v, None, n, miss=False, spread=W.RATES["spread"]["transfer"]))
        for d in self.districts:
            if d == MIYUN:
                continue
            for s in self.streets[d]:
                a, b = direct[(d, s)], transfer[(d, s)]
                n = a["counted"] + b["counted"]
                responded = (a["rates"][0] * a["counted"] + b["rates"][0] * b["counted"]) / 100
                resp = q4(Fraction(int(round_half_up(responded, 0)), n))
                mix = [q4((a["rates"][j] * a["counted"] + b["rates"][j] * b["counted"]) / n) for j in (1, 2)]
                bonus = W.BONUS["value"] if rng.random() < W.BONUS["share"] else None
                rows.append(dict(district=d, unit=s, table="直派", **_only(a)))
                rows.append(dict(district=d, unit=s, table="转派+从办", **_only(b)))
                rows.append(dict(district=d, unit=s, table="直派+转派+从办", counted=n,
                                 rates=(resp, mix[0], mix[1]), bonus=bonus))
        for t in ("直派", "转派+从办", "直派+转派+从办"):
            rows += [dict(district=MIYUN, table=t, **r) for r in miyun[t]]
        # departments
        dept_rows: list[dict] = []
        for d in self.districts:
            if d == MIYUN:
                continue
            for name, cls in self.depts[d]:
                n = counts[(d, "部门自办+从办", name)]
                dept_rows.append(dict(district=d, unit=name, dept_class=cls, counted=n, target=self.dept_target(n)))
        if dept_avg is not None:
            m_sum = sum(self.comp(r["rates"], r["bonus"]) for r in miyun["部门自办+从办"])
            targets = [r["target"] for r in dept_rows]
            movable = [i for i, v in enumerate(targets) if v < HUNDRED]
            self.adjust_mean(targets, movable, dept_avg, W.DEPARTMENT_SCORES["mean_floor"],
                             W.DEPARTMENT_SCORES["mean_ceiling"], rng,
                             extra=m_sum, extra_n=len(miyun["部门自办+从办"]))
            for r, v in zip(dept_rows, targets):
                r["target"] = v
        for r in dept_rows:
            v = r.pop("target")
            bonus = W.BONUS["value"] if v <= W.BONUS["dept_max"] and rng.random() < W.BONUS["share"] else None
            r["rates"] = self.solve(v, bonus, r["counted"], miss=False, spread=W.RATES["spread"]["departments"])
            r["bonus"] = bonus
            rows.append(dict(table="部门自办+从办", **r))
        rows += [dict(district=MIYUN, table="部门自办+从办", **r) for r in miyun["部门自办+从办"]]
        # city ranks, per table kind (departments: per class)
        for r in rows:
            r["period"] = key
            r["unit_type"] = self.cfg.tables[r["table"]].unit_type
            r.setdefault("dept_class", None)
            r["composite"] = self.comp(r["rates"], r["bonus"])
        for t in self.cfg.tables:
            for cls in ([None] if self.cfg.tables[t].unit_type == "街乡镇" else self.cfg.dept_classes):
                group = [r for r in rows if r["table"] == t and r["dept_class"] == cls]
                ranks = competition_ranks({(r["district"], r["unit"]): r["composite"] for r in group})
                for r in group:
                    r["city_rank"] = ranks[(r["district"], r["unit"])]
        order = {d: i for i, d in enumerate(self.districts)}
        tables = list(self.cfg.tables)
        rows.sort(key=lambda r: (order[r["district"]], tables.index(r["table"])))   # stable: seed order kept
        return rows

    def miyun_previous(self, current: dict[str, list[dict]], previous_ranks: dict[str, int]) -> dict[str, list[dict]]:
        """密云's 2023-08K rows: 直派 composites placed so that the city ranks are the printed ones
        before the change; the rest invented."""
        rng = self.rng
        mp = W.MIYUN_PREVIOUS
        out: dict[str, list[dict]] = {t: [] for t in self.cfg.tables}
        # 直派: values descending with the previous ranks, one cent apart where nobody sits between
        value = D("100.00")
        last_rank = 0
        by_rank = sorted(previous_ranks.items(), key=lambda kv: kv[1])
        counted = {r["unit"]: r["counted"] for r in current["直派"]}
        for i, (unit, rank) in enumerate(by_rank):
            if i > 0:
                gap = rank - last_rank - 1
                value -= CENT if gap == 0 else dec(min(mp["max_gap"],
                                                       mp["gap_base"] + gap * rng.randint(*mp["per_rank"])))
            last_rank = rank
            n = max(mp["counted_min"], int(counted[unit] * rng.uniform(*mp["counted_drift"])))
            out["直派"].append(dict(unit=unit, counted=n, rates=self.solve(value, None, n), bonus=None))
        direct = {r["unit"]: r for r in out["直派"]}
        tr = mp["transfer"]
        for r in current["转派+从办"]:
            n = max(tr["counted_min"], int(r["counted"] * rng.uniform(*tr["counted_drift"])))
            v = dec(max(tr["min"], min(10000, int(rng.gauss(tr["mean"], tr["sd"])))))
            out["转派+从办"].append(dict(unit=r["unit"], counted=n, bonus=None,
                                       rates=self.solve(v, None, n, False, W.RATES["spread"]["transfer"])))
        for r in out["转派+从办"]:
            a = direct[r["unit"]]
            n = a["counted"] + r["counted"]
            responded = (a["rates"][0] * a["counted"] + r["rates"][0] * r["counted"]) / 100
            mix = [q4((a["rates"][j] * a["counted"] + r["rates"][j] * r["counted"]) / n) for j in (1, 2)]
            out["直派+转派+从办"].append(dict(unit=r["unit"], counted=n, bonus=None, rates=(
                q4(Fraction(int(round_half_up(responded, 0)), n)), mix[0], mix[1])))
        dp = mp["departments"]
        for r in current["部门自办+从办"]:
            n = max(dp["counted_min"], int(r["counted"] * rng.uniform(*dp["counted_drift"])))
            out["部门自办+从办"].append(dict(unit=r["unit"], dept_class=r["dept_class"], counted=n, bonus=None,
                                          rates=self.solve(self.dept_target(n), None, n, False,
                                                           W.RATES["spread"]["departments"])))
        return out

    # --- districts -------------------------------------------------------------------------------
    def district_rows(self, key: str, units: list[dict]) -> list[dict]:
        rng = self.rng
        m = MIYUN_DISTRICT
        rows: list[dict] = []
        # composites: 密云 11th in 2023-09K (10 above 95.21, 5 below)
        others = [d for d in self.districts if d != MIYUN]
        dc = W.DISTRICT_COMPOSITES
        if key == PERIOD:
            above = m["city_rank"] - 1
            pool_hi = rng.sample(range(cents(m["composite"]) + 1, dc["highest"] + 1), above)
            pool_lo = rng.sample(range(dc["lowest"], cents(m["composite"])), len(others) - above)
            targets = dict(zip(rng.sample(others, len(others)), [dec(c) for c in pool_hi + pool_lo]))
            targets[MIYUN] = m["composite"]
        else:
            drawn = rng.sample(range(*dc["previous"]), len(self.districts))
            targets = {d: dec(c) for d, c in zip(self.districts, drawn)}
        per10k_counts = self.per10k[key]
        for d in self.districts:
            if d == MIYUN:
                counted = m["counted"] if key == PERIOD else m["previous_counted"]
                requests = m["requests"] if key == PERIOD else m["previous_requests"]
            else:
                # each 工单 once: the units' sum counts a 从办 工单 for every unit (密云: 12415 → 12382)
                units_sum = sum(u["counted"] for u in units if u["district"] == d
                                and u["table"] in ("直派+转派+从办", "部门自办+从办"))
                counted = units_sum - rng.randint(0, units_sum // W.COUNTED["district_dedup"])
                requests = int(per10k_counts[d] * D(str(rng.uniform(*W.REQUESTS_OVER_PER10K))))
            if d == MIYUN and key == PERIOD:
                bonus = D("0.09")
                k = int(round_half_up(D(m["rates"][0]) * counted / 100, 0))
                rates = (q4(Fraction(k, counted)), D(m["rates"][1]), D(m["rates"][2]))
                orders = m["orders"]
            else:
                bonus = rng.choice(W.DISTRICT_BONUS)
                rates = self.solve(targets[d], bonus, counted, spread=W.RATES["spread"]["districts"])
                o = W.ORDERS
                rated = int(counted * D(str(rng.uniform(*o["rated"]))))
                bf = int(rated * D(str(rng.uniform(*o["both_failed"]))))
                of = int(rated * D(str(rng.uniform(*o["one_failed"]))))
                rb = int(rated * D(str(rng.uniform(*o["resolved_basic"]))))
                orders = (rated, rated - bf - of - rb, bf, int(bf * D(str(rng.uniform(*o["both_failed_district"])))),
                          of, int(of * D(str(rng.uniform(*o["one_failed_district"])))), rb)
            comp = self.comp(rates, bonus)
            if d == MIYUN and key == PERIOD and comp != m["composite"]:
                raise SystemExit(f"密云区综合成绩应为 {m['composite']}，算得 {comp}")
            per_table = {}
            for t in self.cfg.tables:
                if d == MIYUN and key == PERIOD:
                    per_table[t] = m["composites"][t]
                    continue
                group = [u for u in units if u["district"] == d and u["table"] == t]
                total = sum(u["counted"] for u in group)
                per_table[t] = round_half_up(sum(u["composite"] * u["counted"] for u in group) / total, 2)
            rows.append(dict(period=key, district=d, counted=counted, rates=rates, bonus=bonus, composite=comp,
                             orders=orders, requests=requests, per10k_requests=per10k_counts[d], per_table=per_table))
        ranks = competition_ranks({r["district"]: r["composite"] for r in rows})
        for r in rows:
            r["city_rank"] = ranks[r["district"]]
        return rows

    def _per10k_counts(self) -> dict[str, int]:
        """2023-09K: counts whose ratios print as the brief's and rank as it says."""
        rng = random.Random(SEED + 2)
        out = {}
        for d, ratio in PER10K.items():
            out[d] = int(round_half_up(ratio * self.population[d], 0))
        highest = W.PER10K_OTHERS["highest"]
        middle = [d for d in self.districts if d not in PER10K and d != highest["district"]]
        for d, c in zip(middle, rng.sample(range(*W.PER10K_OTHERS["middle"]), len(middle))):
            out[d] = int(round_half_up(dec(c) * self.population[d], 0))
        out[highest["district"]] = int(round_half_up(highest["ratio"] * self.population[highest["district"]], 0))
        return {d: out[d] for d in self.districts}


def allocate(total: int, k: int, rng: random.Random, sigma: float) -> list[int]:
    """``total`` split into ``k`` positive parts with log-normal weights (largest remainder)."""
    weights = [rng.lognormvariate(0, sigma) for _ in range(k)]
    scale = sum(weights)
    raw = [max(1, int(total * w / scale)) for w in weights]
    for i in sorted(range(k), key=lambda i: -weights[i])[:max(0, total - sum(raw))]:
        raw[i] += 1
    return raw


def _only(r: dict) -> dict:
    return {k: r[k] for k in ("counted", "rates", "bonus")}


# --- writing ------------------------------------------------------------------------------------
RATE = pa.decimal128(7, 4)
SCORE = pa.decimal128(5, 2)
UNIT_SCHEMA = pa.schema([
    ("period", pa.string()), ("district", pa.string()), ("unit", pa.string()), ("unit_type", pa.string()),
    ("dept_class", pa.string()), ("table", pa.string()), ("counted", pa.int32()),
    ("response_rate", RATE), ("resolve_rate", RATE), ("satisfaction_rate", RATE),
    ("bonus", SCORE), ("city_rank", pa.int32()),
])
DISTRICT_SCHEMA = pa.schema([
    ("period", pa.string()), ("district", pa.string()), ("counted", pa.int32()),
    ("response_rate", RATE), ("resolve_rate", RATE), ("satisfaction_rate", RATE),
    ("bonus", SCORE), ("composite", SCORE), ("city_rank", pa.int32()),
    ("rated_orders", pa.int32()), ("both_satisfied", pa.int32()), ("both_failed", pa.int32()),
    ("both_failed_district_satisfied", pa.int32()), ("one_failed", pa.int32()),
    ("one_failed_district_satisfied", pa.int32()), ("resolved_basic_satisfied", pa.int32()),
    ("requests", pa.int32()), ("per10k_requests", pa.int32()),
    ("composite_direct", SCORE), ("composite_transfer", SCORE), ("composite_street_all", SCORE),
    ("composite_dept", SCORE),
])
CITY_SCHEMA = pa.schema([
    ("period", pa.string()), ("street_avg", SCORE), ("dept_avg", SCORE),
    ("street_count", pa.int32()), ("dept_count", pa.int32()),
])


def _write(path: Path, rows: list[dict], schema: pa.Schema) -> None:
    write_parquet(path, pa.Table.from_pylist(rows, schema=schema))


def write_period(out: Path, gen: Gen, key: str, units: list[dict], districts: list[dict]) -> None:
    _write(out / f"units-{key}.parquet", [
        dict(period=key, district=u["district"], unit=u["unit"], unit_type=u["unit_type"],
             dept_class=u["dept_class"], table=u["table"], counted=u["counted"],
             response_rate=u["rates"][0], resolve_rate=u["rates"][1], satisfaction_rate=u["rates"][2],
             bonus=u["bonus"], city_rank=u["city_rank"]) for u in units], UNIT_SCHEMA)
    keys = {t: gen.cfg.tables[t].key for t in gen.cfg.tables}
    _write(out / f"districts-{key}.parquet", [
        dict(period=key, district=r["district"], counted=r["counted"], response_rate=r["rates"][0],
             resolve_rate=r["rates"][1], satisfaction_rate=r["rates"][2], bonus=r["bonus"],
             composite=r["composite"], city_rank=r["city_rank"],
             **dict(zip(("rated_orders", "both_satisfied", "both_failed", "both_failed_district_satisfied",
                         "one_failed", "one_failed_district_satisfied", "resolved_basic_satisfied"), r["orders"])),
             requests=r["requests"], per10k_requests=r["per10k_requests"],
             **{f"composite_{keys[t]}": v for t, v in r["per_table"].items()}) for r in districts], DISTRICT_SCHEMA)
    streets = [u["composite"] for u in units if u["table"] == "直派"]
    depts = [u["composite"] for u in units if u["table"] == "部门自办+从办"]
    _write(out / f"city-{key}.parquet", [dict(
        period=key, street_avg=round_half_up(sum(streets) / len(streets), 2),
        dept_avg=round_half_up(sum(depts) / len(depts), 2), street_count=len(streets), dept_count=len(depts))],
        CITY_SCHEMA)


def check(gen: Gen, units: list[dict], previous: list[dict], districts: list[dict]) -> None:
    """The printed figures of the seed come out of the generated rows (the tests check them again)."""
    def ranks(rows: list[dict]) -> dict[str, int]:
        return {u["unit"]: u["city_rank"] for u in rows if u["district"] == MIYUN and u["table"] == "直派"}
    now, before = ranks(units), ranks(previous)
    for name, *_, rank, change in parse(TABLE1):
        if now[name] != int(rank) or rank_change(now[name], before[name]) != change:
            raise SystemExit(f"{name}：市级排名 {now[name]}（应为 {rank}），环比 {rank_change(now[name], before[name])}"
                             f"（应为 {change}）")
    streets = [u["composite"] for u in units if u["table"] == "直派"]
    depts = [u["composite"] for u in units if u["table"] == "部门自办+从办"]
    assert len(streets) == CITY_STREETS
    assert round_half_up(sum(streets) / len(streets), 2) == CITY_STREET_AVG, sum(streets) / len(streets)
    assert round_half_up(sum(depts) / len(depts), 2) == CITY_DEPT_AVG, sum(depts) / len(depts)
    ratios = {r["district"]: round_half_up(per_10k(r["per10k_requests"], gen.population[r["district"]]), 2)
              for r in districts}
    order = sorted(ratios, key=lambda d: ratios[d])
    assert order[:3] == ["大兴区", "昌平区", "门头沟区"] and order[14] == MIYUN, order
    assert ratios[MIYUN] == PER10K[MIYUN]
    miyun = next(r for r in districts if r["district"] == MIYUN)
    assert miyun["city_rank"] == MIYUN_DISTRICT["city_rank"], miyun["city_rank"]


def generate(out: Path) -> None:
    gen = Gen()
    out.mkdir(parents=True, exist_ok=True)
    miyun_now = gen.miyun_current()
    printed = {name: int(rank) for name, *_, rank, _change in parse(TABLE1)}
    before_ranks = {}
    for name, *_, rank, change in parse(TABLE1):
        n = int(change[:-1])
        before_ranks[name] = int(rank) + n if change.endswith("↑") else int(rank) - n
    miyun_before = gen.miyun_previous(miyun_now, before_ranks)
    units_now = gen.period(PERIOD, miyun_now, printed, CITY_STREET_AVG, CITY_DEPT_AVG)
    units_before = gen.period(PREVIOUS, miyun_before, before_ranks, None, None)
    districts_before = gen.district_rows(PREVIOUS, units_before)
    districts_now = gen.district_rows(PERIOD, units_now)
    check(gen, units_now, units_before, districts_now)
    write_period(out, gen, PERIOD, units_now, districts_now)
    write_period(out, gen, PREVIOUS, units_before, districts_before)


def run(out: Path) -> int:
    generate(out)
    print(f"wrote {PERIOD} and {PREVIOUS} to {out}")
    return 0


def main(argv: list[str] | None = None) -> int:
    return cli(sys.modules[__name__], argv)
