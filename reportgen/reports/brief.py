"""The monthly district brief (考核期工作情况分析): one district's figures in the city's assessment.

Sections (types registered here, order and wording in ``config/reports/monthly.yaml``):

* ``brief_total``       一、诉求总量情况 — 受理诉求量 and its 环比
* ``brief_assessment``  二、诉求办理情况 — the district's rates, composite and rank; 工单 kinds
* ``brief_streets``     （一）镇街成绩 — 直派 / 转派+从办 / 全量 composites against the district and the city
* ``brief_departments`` （二）部门成绩
* ``assessment_table``  表1–表4 — one table kind of the assessment, columns from the section's params
* ``per10k``            三、万人诉求情况 — 万人诉求比, its 环比 and rank, the city's front three; with
  ``params.chart``, a chart of every district's 万人诉求比 in rank order (caption ``params.caption``, default
  ``per10k.chart``)
* ``case``              四、当月典型案例 — the district office's Markdown and photos (see :mod:`.case`)

Every figure is formatted once here (and noted in the figure manifest); the wording templates
only place the strings.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from pydantic import Field, field_validator

from ..assessment import BriefData, DistrictScore, UnitScore, fmt_bonus, fmt_rate, fmt_score
from ..metrics import per_10k, per_10k_change, per_10k_ranks
from ..charts import ChartSpec, Series
from ..config.load import display_path
from ..config.models import SectionSpec
from ..config.sections import SectionParams
from ..errors import ConfigError, DataError
from ..numbers import Amount, Change, Delta, Gap, round_half_up
from ..provenance import Source, note
from ..provenance import printed as carried
from .build import BuildContext, section
from .document import Cell, Table


# --- formatting (each printed figure noted once in the manifest) ----------------------------

def _src(what: str, period: str, district: str, unit: str = "") -> Source:
    filters = (("district", district),) + ((("unit", unit),) if unit else ())
    return Source(what, filters, period)


def score(value: Decimal, places: int, source: Source) -> str:
    text = fmt_score(value, places)
    return carried(text, note(text, str(value), "分", source))


def rate(value: Decimal, places: int, source: Source) -> str:
    text = fmt_rate(value, places)
    return carried(text, note(text[:-1], str(value), "%", source))


def integer(value: int, source: Source, unit: str = "件") -> str:
    text = str(int(value))
    return carried(text, note(text, text, unit, source))


def _need(d: DistrictScore, value: Any, column: str, what: str) -> Any:
    if value is None:
        raise DataError(f"数据错误：文件 {d.source} 第 {d.row} 行，{d.district}（考核期 {d.period}）的字段 {column}（{what}）"
                        "为空，简报需要这一数据。")
    return value


def _data(ctx: BuildContext) -> BriefData:
    """The brief's inputs (the section types here declare ``needs=("assessment",)``: check_inputs made sure)."""
    assert isinstance(ctx.data, BriefData)
    return ctx.data


class _Scores:
    """The district's scores of this period and the last, formatted for the wording."""

    def __init__(self, ctx: BuildContext) -> None:
        b = _data(ctx)
        self.ctx, self.b = ctx, b
        self.asm = b.assessment
        self.cfg = b.assessment.config
        self.places = self.cfg.composite_places
        self.now = self.asm.district_score(b.period, b.district)
        self.before = self._previous()
        self.city = self.asm.city_averages(b.period)

    def _previous(self) -> DistrictScore | None:
        try:
            return self.asm.district_score(self.b.previous, self.b.district)
        except KeyError:
            return None

    def table_composite(self, table: str) -> Decimal:
        value = self.now.table_composites.get(table)
        key = self.cfg.tables[table].key
        return _need(self.now, value, f"composite_{key}", f"本区{table}综合成绩")

    def fmt(self, value: Decimal, what: str) -> str:
        return score(value, self.places, _src(what, self.b.period, self.b.district))

    def gap(self, a: Decimal, b: Decimal) -> Gap:
        return Gap(a, b, self.places)


# --- 一、诉求总量情况 -------------------------------------------------------------------------

class BriefTotalParams(SectionParams):
    wording: str = Field("brief.total", description="句式键")


@section("brief_total", params=BriefTotalParams, needs=("assessment",))
def brief_total(ctx: BuildContext, spec: SectionSpec, level: int) -> None:
    s = _Scores(ctx)
    P = ctx.pct_places
    ctx.heading(level, spec.title)
    requests = _need(s.now, s.now.requests, "requests", "受理诉求量")
    v: dict[str, Any] = {"requests": Amount(requests), "requests_change": None}
    if s.before is not None and s.before.requests:
        v["requests_change"] = Change(requests, s.before.requests, P)
    pid = f"{spec.id}.text"
    ctx.para(pid, ctx.wording.render(ctx.params(spec, BriefTotalParams).wording, **ctx.base_vars(), **v), v)
    # the period's key figures, as printed (a summary of the brief — the scheduler's mail — repeats them)
    ctx.key_figure("requests", "受理诉求量", lambda: v["requests"].jian, pid)
    change = v["requests_change"]
    if change is not None:
        ctx.key_figure("requests_change", "环比", lambda: change.words("环比").removeprefix("环比"), pid)


# --- 二、诉求办理情况 -------------------------------------------------------------------------

@section("brief_assessment", needs=("assessment",))
def brief_assessment(ctx: BuildContext, spec: SectionSpec, level: int) -> None:
    s = _Scores(ctx)
    d, P, rp = s.now, ctx.pct_places, s.cfg.rate_places
    ctx.heading(level, spec.title)
    src = _src("district assessment", s.b.period, s.b.district)
    # the rank among the districts: computed from all districts' composites when the table has them all,
    # else the city's given rank; the two must agree when both are there
    ranks = s.asm.district_composite_ranks(s.b.period)
    complete = {n.name for n in ctx.cfg.profile.districts} <= set(ranks)
    rank = ranks[s.b.district] if complete else _need(d, d.city_rank, "city_rank", "市级排名")
    if complete and d.city_rank is not None and d.city_rank != rank:
        raise DataError(f"数据错误：文件 {d.source} 第 {d.row} 行，字段 city_rank（市级排名）的值 “{d.city_rank}” 与按各区"
                        f"综合成绩计算的排名 {rank} 不符。")
    v: dict[str, Any] = {
        "rates": {"response": rate(d.rates.response, rp, src), "resolve": rate(d.rates.resolve, rp, src),
                  "satisfaction": rate(d.rates.satisfaction, rp, src)},
        "composite": s.fmt(d.composite, "district composite"),
        "rank": integer(rank, src, "位"),
    }
    ctx.para(f"{spec.id}.city", ctx.wording.render("brief.city", **ctx.base_vars(), **v), v)
    ctx.key_figure("composite", "综合成绩", lambda: f"{v['composite']}分", f"{spec.id}.city")
    ctx.key_figure("rank", "排名", lambda: f"第{v['rank']}位", f"{spec.id}.city")
    o = d.orders
    w: dict[str, Any] = {"counted": Amount(d.counted), "counted_change": None, "orders": None}
    if s.before is not None and s.before.counted:
        w["counted_change"] = Change(d.counted, s.before.counted, P)
    if o is not None:
        w["orders"] = {k: integer(getattr(o, k), src) for k in (
            "rated", "both_satisfied", "both_failed", "both_failed_district_satisfied", "one_failed",
            "one_failed_district_satisfied", "resolved_basic_satisfied")}
    ctx.para(f"{spec.id}.orders", ctx.wording.render("brief.orders", **ctx.base_vars(), **w), w)
    for child in spec.children:
        ctx.build_section(child, level + 1)


def _table_name(s: _Scores, key: str) -> str:
    try:
        return s.cfg.table_by_key(key)
    except StopIteration:
        raise ConfigError(f"配置错误：assessment.yaml 的 tables 中没有 key 为 “{key}” 的表种。") from None


@section("brief_streets", needs=("assessment",))
def brief_streets(ctx: BuildContext, spec: SectionSpec, level: int) -> None:
    s = _Scores(ctx)
    ctx.heading(level, spec.title)
    direct = s.table_composite(_table_name(s, "direct"))
    transfer = s.table_composite(_table_name(s, "transfer"))
    street_all = s.table_composite(_table_name(s, "street_all"))
    d, avg = s.now.composite, s.city.street_avg
    v = {
        "district_score": s.fmt(d, "district composite"),
        "street_avg": score(avg, s.places, Source("city street average", (), s.b.period)),
        "direct": s.fmt(direct, "direct composite"), "transfer": s.fmt(transfer, "transfer composite"),
        "street_all": s.fmt(street_all, "street_all composite"),
        "direct_vs_district": s.gap(direct, d), "direct_vs_city": s.gap(direct, avg),
        "transfer_vs_direct": s.gap(transfer, direct), "transfer_vs_district": s.gap(transfer, d),
        "transfer_vs_city": s.gap(transfer, avg), "all_vs_city": s.gap(street_all, avg),
    }
    ctx.para(f"{spec.id}.direct", ctx.wording.render("brief.streets.direct", **ctx.base_vars(), **v), v)
    ctx.para(f"{spec.id}.transfer", ctx.wording.render("brief.streets.transfer", **ctx.base_vars(), **v), v)


@section("brief_departments", needs=("assessment",))
def brief_departments(ctx: BuildContext, spec: SectionSpec, level: int) -> None:
    s = _Scores(ctx)
    ctx.heading(level, spec.title)
    dept = s.table_composite(_table_name(s, "dept"))
    d, avg = s.now.composite, s.city.dept_avg
    v = {
        "district_score": s.fmt(d, "district composite"),
        "dept_avg": score(avg, s.places, Source("city department average", (), s.b.period)),
        "dept": s.fmt(dept, "department composite"),
        "dept_vs_city": s.gap(dept, avg), "dept_vs_district": s.gap(dept, d),
    }
    ctx.para(f"{spec.id}.text", ctx.wording.render("brief.departments", **ctx.base_vars(), **v), v)


# --- 表1–表4 ------------------------------------------------------------------------------

COLUMNS: dict[str, tuple[str, ...]] = {      # column → default header lines
    "rank": ("排名",),
    "class": ("分类",),
    "unit": ("单位",),
    "counted": ("纳入", "考评"),
    "response": ("响应率",),
    "resolve": ("解决率",),
    "satisfaction": ("满意率",),
    "bonus": ("加分项",),
    "composite": ("综合", "成绩"),
    "city_rank": ("市级", "排名"),
    "rank_change": ("环比", "变化"),
}


def _cells(s: _Scores, u: UnitScore, columns: list[str], rank: int, city_rank: int | None, change: str) -> list[Cell]:
    src = _src(f"assessment {u.table}", u.period, u.district, u.unit)
    rp = s.cfg.rate_places
    out = []
    for c in columns:
        if c == "rank":
            out.append(Cell(integer(rank, src, "名"), cls="serial"))
        elif c == "unit":
            out.append(Cell(u.unit, cls="name"))
        elif c == "counted":
            out.append(Cell(integer(u.counted, src), cls="num"))
        elif c in ("response", "resolve", "satisfaction"):
            out.append(Cell(rate(getattr(u.rates, c), rp, src), cls="num"))
        elif c == "bonus":
            text = fmt_bonus(u.bonus)
            if u.bonus:
                note(text, str(u.bonus), "分", src)
            out.append(Cell(text, cls="num"))
        elif c == "composite":
            out.append(Cell(score(u.composite, s.places, src), cls="num"))
        elif c == "city_rank":
            out.append(Cell(integer(city_rank, src, "名") if city_rank is not None else "—", cls="num"))
        elif c == "rank_change":
            if change[:-1].isdigit():
                note(change[:-1], change[:-1], "名", src)
            out.append(Cell(change, cls="change"))
    return out


class AssessmentTableParams(SectionParams):
    table: str = Field(description="表种（assessment.yaml 的 tables 中的名称），如 直派、部门自办+从办")
    columns: list[str] = Field(["rank", "unit", "counted", "response", "resolve", "satisfaction", "composite"],
                               description="列：rank 排名、class 分类、unit 单位、counted 纳入考评、response / resolve / "
                                           "satisfaction 三率、bonus 加分项、composite 综合成绩、city_rank 市级排名、"
                                           "rank_change 环比变化")
    headers: dict[str, str] = Field({}, description="列 → 表头文字（换行处即表头中的分行），覆盖缺省的表头")

    @field_validator("columns")
    @classmethod
    def _columns(cls, v: list[str]) -> list[str]:
        unknown = [c for c in v if c not in COLUMNS]
        if unknown:
            raise ValueError(f"列 “{unknown[0]}” 未知。可用的列：{'、'.join(COLUMNS)}")
        return v

    @field_validator("headers")
    @classmethod
    def _headers(cls, v: dict[str, str]) -> dict[str, str]:
        unknown = [c for c in v if c not in COLUMNS]
        if unknown:
            raise ValueError(f"表头中的列 “{unknown[0]}” 未知。可用的列：{'、'.join(COLUMNS)}")
        return v


@section("assessment_table", params=AssessmentTableParams, needs=("assessment",))
def assessment_table(ctx: BuildContext, spec: SectionSpec, level: int) -> None:
    """One table kind for the district: ranked inside the district, optionally grouped by 部门分类."""
    s = _Scores(ctx)
    p = ctx.params(spec, AssessmentTableParams)
    table = p.table
    if table not in s.cfg.tables:
        raise ConfigError(f"配置错误：文件 {display_path(ctx.cfg.kind_path)}，章节 {spec.id} 的 params.table "
                          f"“{table}” 不是 assessment.yaml 中的表种：{'、'.join(s.cfg.tables)}。")
    columns = list(p.columns)
    headers = {**{k: "\n".join(v) for k, v in COLUMNS.items()}, **p.headers}
    kind = s.cfg.tables[table]
    b = s.b
    classes: list[str | None] = list(s.cfg.dept_classes) if "class" in columns else [None]
    groups: list[list[list[Cell]]] = []
    for cls in classes:
        rows = s.asm.table(b.period, b.district, table, cls)
        if not rows:
            continue
        ranks = s.asm.district_ranks(b.period, b.district, table, cls)
        city = s.asm.city_ranks(b.period, table, cls) if {"city_rank", "rank_change"} & set(columns) else {}
        changes = s.asm.rank_changes(b.period, b.previous, table, cls) if "rank_change" in columns else {}
        group = []
        for i, u in enumerate(rows):
            cells = _cells(s, u, [c for c in columns if c != "class"], ranks[u.unit],
                           city.get((u.district, u.unit)), changes.get((u.district, u.unit), ""))
            if cls is not None:
                if i == 0:
                    cells.insert(columns.index("class"), Cell(cls, rowspan=len(rows), cls="group"))
            group.append(cells)
        groups.append(group)
    if not groups:
        raise DataError(f"数据错误：{b.source} 中没有 {b.district} 在考核期 {b.period} 的{table}考评数据。")
    ctx.tables += 1
    number = ctx.tables
    vars_ = {
        "composite": s.fmt(s.table_composite(table), f"{table} composite"),
        "street_count": integer(s.city.street_count, Source("city street count", (), b.period), "个"),
        "street_avg": score(s.city.street_avg, s.places, Source("city street average", (), b.period)),
        "dept_count": integer(s.city.dept_count, Source("city department count", (), b.period), "个"),
        "dept_avg": score(s.city.dept_avg, s.places, Source("city department average", (), b.period)),
        **ctx.base_vars(),
    }
    caption = f"表{number}：{kind.caption}"
    note_text = str(ctx.wording.env.from_string(kind.note).render(**vars_))
    header = [Cell(lines=headers[c].split("\n"), cls=f"col-{c}") for c in columns]
    ctx.add(Table(f"{spec.id}", header, groups, cls=f"assessment cols-{len(columns)} " + " ".join(
        f"has-{c}" for c in columns), caption=caption, note=note_text))


# --- 三、万人诉求情况 -------------------------------------------------------------------------

class Per10kParams(SectionParams):
    top_n: int = Field(3, ge=1, description="句中列出万人诉求比排名前几的区")
    chart: bool = Field(False, description="是否画各区万人诉求比的柱状图（按排名）")
    caption: str = Field("per10k.chart", description="该图的图题键（captions 中的键名）")


@section("per10k", params=Per10kParams, needs=("assessment",))
def per10k(ctx: BuildContext, spec: SectionSpec, level: int) -> None:
    s = _Scores(ctx)
    spec10 = s.cfg.per_10k
    b = s.b
    p = ctx.params(spec, Per10kParams)
    top_n = p.top_n
    ctx.heading(level, spec.title)
    pops = {d.name: d.population_wan for d in ctx.cfg.profile.districts}
    missing_pop = [n for n, v in pops.items() if v is None]
    if missing_pop:
        raise ConfigError(f"配置错误：文件 {display_path(ctx.cfg.profile_dir / 'profile.yaml')}，区 {missing_pop[0]} 缺少 "
                          "population_wan（常住人口，万人），无法计算万人诉求比。")

    def counts(period: str) -> dict[str, int]:
        return {d.district: _need(d, d.per10k_requests, "per10k_requests", "万人诉求比的诉求量")
                for d in s.asm.districts if d.period == period and d.district in pops}

    now_counts = counts(b.period)
    absent = [n for n in pops if n not in now_counts]
    if absent:
        raise DataError(f"数据错误：{b.source} 的区级考评表（考核期 {b.period}）缺少 {'、'.join(absent)}，"
                        "无法在各区之间排列万人诉求比。")
    now = {d: per_10k(n, pops[d]) for d, n in now_counts.items()}
    ranked = per_10k_ranks(now_counts, pops, spec10)
    printed = {d: ratio for d, (ratio, _) in ranked.items()}
    ranks = {d: rank for d, (_, rank) in ranked.items()}
    order = list(pops)
    front = sorted((d for d in printed if ranks[d] <= top_n), key=lambda d: (ranks[d], order.index(d)))

    def fmt(d: str, r: Decimal) -> str:
        text = f"{round_half_up(r, spec10.places):.{spec10.places}f}"
        return carried(text, note(text, f"{s.asm.district_score(b.period, d).per10k_requests}/{pops[d]}", "件/万人",
                                  Source("per 10k", (("district", d),), b.period)))

    before_count = counts(b.previous).get(b.district)
    before = per_10k(before_count, pops[b.district]) if before_count is not None else None
    v = {
        "ratio": fmt(b.district, now[b.district]),
        "change": Delta(per_10k_change(now[b.district], before, spec10), spec10.places, "件/万人",
                        f"{printed[b.district]}-{round_half_up(before, spec10.places)}") if before is not None else None,
        "rank": integer(ranks[b.district], Source("per 10k rank", (("district", b.district),), b.period), "位"),
        "front_names": front, "front_values": [fmt(d, now[d]) for d in front], "front_n": top_n,
        "population_note": ctx.cfg.profile.population_note,
    }
    ctx.para(f"{spec.id}.text", ctx.wording.render("brief.per10k", **ctx.base_vars(), **v), v)
    if p.chart:
        # every district's 万人诉求比 in the order of its rank, labelled with the printed figures; the same chart
        # for every district's brief (drawn once, then from the cache)
        ranked_all = sorted(printed, key=lambda d: (ranks[d], order.index(d)))
        ctx.figure(f"{spec.id}.chart", p.caption, ChartSpec(
            family="bar", categories=tuple(ranked_all),
            series=(Series("万人诉求比", tuple(float(printed[d]) for d in ranked_all),
                           labels=tuple(fmt(d, now[d]) for d in ranked_all)),),
            y_label="件/万人", legend=False, height_mm=70.0))
