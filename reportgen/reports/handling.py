"""Handling sections (群众诉求办理情况): districts and their streets, city-level units, 每月一题."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import AfterValidator, Field

from ..charts import ChartSpec, Series
from ..config.models import SectionSpec
from ..config.sections import SectionParams, column_type, distinct
from ..errors import ConfigError
from ..metrics import cross, ranked
from ..numbers import Amount, Ratio
from ..periods import parse_period
from ..provenance import Count, Source, note, printed
from .build import BuildContext, section
from .document import Cell, Figure, Table


def _geo(a: Amount) -> float:
    return a.position


def _dispatched(ctx: BuildContext) -> dict[str, Any]:
    return {"disposition": ctx.cfg.profile.dispositions["dispatched"]}


class DistrictsParams(SectionParams):
    district_level: str = Field("区级部门", description="数据中区级部门的承办层级（handler_level）")
    street_level: str = Field("街乡镇", description="数据中街乡镇的承办层级（handler_level）")
    top_n: int = Field(10, ge=1, description="每区的图表列出前几类问题")


@section("districts", params=DistrictsParams)
def districts(ctx: BuildContext, spec: SectionSpec, level: int) -> None:
    """（一）区及街道乡镇承办情况: the busiest and quietest district, the streets' part, one sub-section a district."""
    p = ctx.params(spec, DistrictsParams)
    W, P = ctx.wan_places, ctx.pct_places
    dept_level, street_level = p.district_level, p.street_level
    ctx.heading(level, spec.title)
    names = [d.name for d in ctx.cfg.districts]
    by = cross(ctx.store, ctx.period, "district", "handler_level", _dispatched(ctx))
    prev_by = cross(ctx.store, ctx.compare, "district", "category_l1", _dispatched(ctx))
    unknown = sorted(set(by) - set(names))
    if unknown:
        raise ConfigError(f"配置错误：数据中的区 “{unknown[0]}” 不在城市配置 profile.yaml 的 districts 中。")
    total = Count(sum(sum(v.values()) for k, v in by.items() if k in names),
                  Source("SUM(count)", (("disposition", _dispatched(ctx)["disposition"]), ("district", names)), ctx.period.key))
    streets = Count(sum(by.get(n, {}).get(street_level, 0) for n in names),
                    Source("SUM(count)", (("disposition", _dispatched(ctx)["disposition"]), ("district", names),
                                          ("handler_level", street_level)), ctx.period.key))
    rows = []
    for d in ctx.cfg.districts:
        parts = by.get(d.name, {})
        t = Count(sum(parts.values()), Source("SUM(count)", (("disposition", _dispatched(ctx)["disposition"]),
                                                             ("district", d.name)), ctx.period.key))
        dept, st = parts.get(dept_level, 0), parts.get(street_level, 0)
        rows.append({"name": d.name, "district": d, "total": Amount(t, W), "share": Ratio(t, total, P),
                     "dept": Amount(dept, W), "dept_share": Ratio(dept, t, P),
                     "street": Amount(st, W), "street_share": Ratio(st, t, P), "street_kinds": d.street_kinds})
    order = sorted(rows, key=lambda r: (-r["total"].count, r["name"]))
    v = {"n": len(rows), "top": order[0], "low": order[-1], "total": Amount(total, W),
         "streets": Amount(streets, W), "streets_share": Ratio(streets, total, P)}
    ctx.para(f"{spec.id}.extremes", ctx.wording.render("districts.extremes", **ctx.base_vars(), **v), v)
    ctx.figure(f"{spec.id}.chart", "districts.chart", ChartSpec(
        family="stacked_bar", categories=tuple(r["name"] for r in rows),
        series=(Series(dept_level, tuple(_geo(r["dept"]) for r in rows)),
                Series(street_level, tuple(_geo(r["street"]) for r in rows))),
        y_label="万件", value_labels=False, height_mm=70.0))
    ctx.para(f"{spec.id}.streets", ctx.wording.render("districts.streets", **ctx.base_vars(), **v), v)
    top_n = p.top_n
    for r in rows:
        ctx.heading(level + 1, r["name"])
        ctx.para(f"{spec.id}.{r['name']}", ctx.wording.render("districts.district", **ctx.base_vars(), d=r), {"d": r})
        cats = ranked(ctx.store, ctx.period, "category_l1", {**_dispatched(ctx), "district": r["name"]},
                      exclude=ctx.excluded())[:top_n]
        last = prev_by.get(r["name"], {})
        ctx.figure(f"{spec.id}.{r['name']}.top", "districts.top", ChartSpec(
            family="grouped_bar", categories=tuple(c.name for c in cats),
            series=ctx.by_year(Series(f"{ctx.period.year}年", tuple(_geo(Amount(c.count, W)) for c in cats)),
                               Series(f"{ctx.compare.year}年", tuple(_geo(Amount(last.get(c.name, 0), W)) for c in cats))),
            y_label="万件", value_labels=False, height_mm=55.0), name=r["name"], n=top_n)


class UnitsParams(SectionParams):
    level: str = Field(description="承办层级（数据中的 handler_level），如 市级部门、国有企业")
    label: str | None = Field(None, description="句中和图题中的称谓（如 市属机构）；缺省与 level 相同")
    top_n: int = Field(10, ge=1, description="图表列出前几个单位")
    more: int = Field(1, ge=0, description="句中第一名之后再点出几个单位")
    wording: str = Field("units.first_and_next", description="句式键")
    chart: bool = Field(True, description="是否画承办量前几名的图")
    caption: str = Field("units.top", description="图题键（captions 中的键名）")


@section("units", params=UnitsParams)
def units(ctx: BuildContext, spec: SectionSpec, level: int) -> None:
    """（二）市级部门 / （三）国有企业承办情况: the top units, a sentence naming the first ones, a chart."""
    p = ctx.params(spec, UnitsParams)
    W = ctx.wan_places
    handler_level = p.level
    if not handler_level:
        raise ConfigError(f"配置错误：章节 {spec.id} 缺少参数 level（承办层级，如 市级部门、国有企业）。")
    label = p.label if p.label is not None else handler_level
    ctx.heading(level, spec.title)
    top_n = p.top_n
    top = ranked(ctx.store, ctx.period, "handler", {**_dispatched(ctx), "handler_level": handler_level})[:top_n]
    if not top:
        raise ConfigError(f"配置错误：章节 {spec.id}：数据中没有承办层级为 “{handler_level}” 的诉求。")
    items = [{"name": u.name, "amount": Amount(u.count, W)} for u in top]
    v = {"label": label, "units": items, "first": items[0], "more": [u["name"] for u in items[1:1 + p.more]]}
    ctx.para(f"{spec.id}.lead", ctx.wording.render(p.wording, **ctx.base_vars(), **v), v)
    if not p.chart:
        return
    ctx.figure(f"{spec.id}.chart", p.caption, ChartSpec(
        family="bar", categories=tuple(u["name"] for u in items),
        series=(Series("承办量", tuple(_geo(u["amount"]) for u in items), labels=tuple(u["amount"].wan_num for u in items)),),
        y_label="万件", legend=False, height_mm=65.0), label=label, n=top_n)


TOPIC_COLUMNS: dict[str, str] = {       # column → default header
    "serial": "序号",
    "topic": "问题",
    "monthly": "每月诉求量（按考评周期统计诉求量）",
    "total": "诉求总量",
    "units": "承办量前三位的单位",
    "unit_counts": "承办量",
}


class TopicsParams(SectionParams):
    order: list[str] = Field([], description="表中每月一题的顺序（数据中的 topic）；缺省按名称排序")
    first: int = Field(3, ge=0, description="导语中点出前几个题目")
    columns: Annotated[list[column_type(TOPIC_COLUMNS)], AfterValidator(distinct)] = Field(  # type: ignore[valid-type]
        list(TOPIC_COLUMNS), min_length=1,
        description="表的列及其顺序：serial 序号、topic 问题、monthly 每月诉求量（小图）、total 诉求总量、"
                    "units 承办量前三位的单位、unit_counts 其承办量")
    headers: dict[column_type(TOPIC_COLUMNS), str] = Field(  # type: ignore[valid-type]
        {}, description="列 → 表头文字，覆盖缺省的表头（缺省：" + "、".join(f"{k} {v}" for k, v in TOPIC_COLUMNS.items()) + "）")


@section("topics", params=TopicsParams)
def topics(ctx: BuildContext, spec: SectionSpec, level: int) -> None:
    """（四）“每月一题”: lead sentence and the table (monthly sparkline by 考核期, total, top-3 units)."""
    p = ctx.params(spec, TopicsParams)
    W = ctx.wan_places
    ctx.heading(level, spec.title)
    year = parse_period(f"{ctx.period.year}K", ctx.cfg.profile.assessment_day)        # the 12 考核期 of the year
    where = _dispatched(ctx)
    by_topic = {t.name: t for t in ranked(ctx.store, year, "topic", where)}
    order = list(p.order or sorted(by_topic, key=lambda t: t))
    missing = [t for t in order if t not in by_topic]
    if missing:
        raise ConfigError(f"配置错误：章节 {spec.id} 的 order 中的 “{missing[0]}” 在数据中没有诉求（topic 列）。")
    extra = sorted(set(by_topic) - set(order))
    if extra:
        raise ConfigError(f"配置错误：数据中的每月一题 “{extra[0]}” 不在章节 {spec.id} 的 order 中。请补上它在表中的位置。")
    total = Count(sum(by_topic[t].count for t in order),
                  Source("SUM(count)", (("disposition", where["disposition"]), ("topic", order)), year.key))
    by_rank = sorted(order, key=lambda t: (-by_topic[t].count, order.index(t)))
    n = str(len(order))
    v = {"n": printed(n, note(n, n, "个", Source("count of topics", (("topic", order),), year.key))),
         "total": Amount(total, W), "first": order[:p.first], "top": by_rank[:3]}
    ctx.para(f"{spec.id}.lead", ctx.wording.render("topics.lead", **ctx.base_vars(), **v), v)
    monthly = cross(ctx.store, year, "topic", "kmonth", where)
    units_of = _topic_units(ctx, year, where)
    headers = {**TOPIC_COLUMNS, **p.headers}
    header = [Cell(headers[c], cls=f"col-{c}") for c in p.columns]
    groups = []
    for i, name in enumerate(order, start=1):
        top3 = units_of.get(name, [])[:3]
        cells = {}
        for c in p.columns:
            if c == "serial":
                note(str(i), str(i), "序号", Source("row number"))
                cells[c] = Cell(str(i), cls="num serial")
            elif c == "topic":
                cells[c] = Cell(name, cls="topic")
            elif c == "monthly":
                months = [monthly.get(name, {}).get(m, 0) for m in year.months]
                spark = Figure(f"{spec.id}.{name}.spark", f"{name}每月诉求量", ChartSpec(
                    family="spark", categories=tuple(f"{int(m[5:])}月" for m in year.months),
                    series=(Series(name, tuple(float(x) for x in months)),), width_mm=38.0, height_mm=13.0,
                    legend=False, value_labels=False))
                cells[c] = Cell("", figure=spark, cls="spark")
            elif c == "total":
                cells[c] = Cell(Amount(by_topic[name].count).num, cls="num")
            elif c == "units":
                cells[c] = Cell(lines=[u for u, _ in top3] or ["—"], cls="unit")
            else:                                                   # unit_counts
                cells[c] = Cell(lines=[Amount(n).num for _, n in top3] or ["—"], cls="num")
        groups.append([[cells[c] for c in p.columns]])
    ctx.add(Table(f"{spec.id}.table", header, groups, cls="topics"))


def _topic_units(ctx: BuildContext, year, where) -> dict[str, list[tuple[str, int]]]:
    """Per topic its units ranked by count: the district for district-level rows, else the handler."""
    sums: dict[tuple[str, str], int] = {}
    for r in ctx.store.group(year, ("topic", "district", "handler"), where):
        topic, district, handler, n = r["topic"], r["district"], r["handler"], r["count"]
        if topic is None:
            continue
        unit = district if isinstance(district, str) else handler if isinstance(handler, str) else "其他"
        sums[(topic, unit)] = sums.get((topic, unit), 0) + int(n)
    out: dict[str, list[tuple[str, int]]] = {}
    for (topic, unit), n in sums.items():
        src = Source("SUM(count)", (("disposition", where["disposition"]), ("topic", topic), ("unit", unit)), year.key)
        out.setdefault(topic, []).append((unit, Count(n, src)))
    return {t: sorted(v, key=lambda x: (-x[1], x[0])) for t, v in out.items()}
