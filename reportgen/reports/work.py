"""Sections of the 接诉即办 work report (工作年度报告): handling by district and by functional zone.

* ``district_handling`` (``params.chart_streets``: at most this many streets in the chart; ``params.chart_compare``:
  first a chart of every district's requests in the comparison year and in the year, caption
  ``params.compare_caption``, default ``work.districts.compare``): one sub-section a district — its requests, share of all districts', the part its
  district departments handled, its busiest streets (with their counts: '1.9万件' from ten thousand up,
  '6754件' below), its top categories, its busiest and quietest months; a chart of its streets and one of
  its months.
* ``zones``: one sub-section a functional zone (the districts' ``zone`` in profile.yaml, in their order, then
  the ``areas``' such as 经济技术开发区): its members, requests, share, and the split into streets and district
  departments.  ``params.order``: the zones' order where it is not the districts'.

Figures count the dispatched requests handled at the district level (``params.levels``, by default
区级部门 and 街乡镇); shares are of all districts' requests.
"""

from __future__ import annotations

from typing import Any

from pydantic import Field

from ..charts import ChartSpec, Series
from ..config.models import SectionSpec
from ..config.sections import SectionParams
from ..metrics import cross, monthly, ranked
from ..numbers import Amount, Ratio
from ..provenance import Count, Source
from .build import BuildContext, section


class StreetCount(Amount):
    """A count printed the work report's way: '1.9万件' (trailing .0 dropped) from ten thousand up, '6754件' below."""

    @property
    def text(self) -> str:
        return self.wan_trim if self.count >= 10000 else self.jian


class _DistrictLevels(SectionParams):
    district_level: str = Field("区级部门", description="数据中区级部门的承办层级（handler_level）")
    street_level: str = Field("街乡镇", description="数据中街乡镇的承办层级（handler_level）")
    levels: list[str] = Field(["区级部门", "街乡镇"], description="计入各区办理量的承办层级")


class DistrictHandlingParams(_DistrictLevels):
    top_streets: int = Field(3, ge=0, description="每区句中点出办理量前几的街乡镇")
    top_categories: int = Field(5, ge=0, description="每区句中点出前几类问题（及各月走势图中的折线）")
    chart_streets: int | None = Field(None, description="每区街乡镇图最多画几个；缺省全部")
    chart_compare: bool = Field(False, description="先画各区上年与本年办理量的分组柱状图")
    compare_caption: str = Field("work.districts.compare", description="该图的图题键（captions 中的键名）")


class ZonesParams(_DistrictLevels):
    order: list[str] = Field([], description="功能区的顺序（profile.yaml 中的 zone）；未列出的按各区顺序排在后面")


def _where(ctx: BuildContext, p: _DistrictLevels) -> dict[str, Any]:
    return {"disposition": ctx.cfg.profile.dispositions["dispatched"],
            "handler_level": list(p.levels)}


def _district_totals(ctx: BuildContext, p: _DistrictLevels) -> tuple[dict[str, dict[str, int]], Count]:
    by = cross(ctx.store, ctx.period, "district", "handler_level", _where(ctx, p))
    total = Count(sum(sum(v.values()) for v in by.values()),
                  Source("SUM(count)", tuple(_where(ctx, p).items()), ctx.period.key))
    return by, total


@section("district_handling", params=DistrictHandlingParams)
def district_handling(ctx: BuildContext, spec: SectionSpec, level: int) -> None:
    p = ctx.params(spec, DistrictHandlingParams)
    W, P = ctx.wan_places, ctx.pct_places
    dept_level, street_level = p.district_level, p.street_level
    n_streets, n_cats = p.top_streets, p.top_categories
    ctx.heading(level, spec.title)
    ctx.para(f"{spec.id}.intro", None)
    by, total = _district_totals(ctx, p)
    where = _where(ctx, p)
    if p.chart_compare:
        # the districts' requests of the comparison year and of the year, side by side (grouped bars, 万件)
        prev = cross(ctx.store, ctx.compare, "district", "handler_level", where)
        names = [d.name for d in ctx.cfg.districts]
        years = [Series(f"{y}年", tuple(Amount(sum(b.get(n, {}).values()), W).position for n in names))
                 for y, b in ((ctx.period.year, by), (ctx.compare.year, prev))]
        ctx.figure(f"{spec.id}.compare", p.compare_caption, ChartSpec(
            family="grouped_bar", categories=tuple(names),
            series=ctx.by_year(*years),
            y_label="万件", value_labels=False, height_mm=70.0))
    for d in ctx.cfg.districts:
        parts = by.get(d.name, {})
        if not parts:
            continue
        ctx.heading(level + 1, d.name)
        n = Count(sum(parts.values()), Source("SUM(count)", (*where.items(), ("district", d.name)), ctx.period.key))
        dept = parts.get(dept_level, 0)
        sw = {**where, "district": d.name, "handler_level": street_level}
        streets = ranked(ctx.store, ctx.period, "street", where=sw)
        cats = ranked(ctx.store, ctx.period, "category_l1", where={**where, "district": d.name}, exclude=ctx.excluded())
        months = monthly(ctx.store, ctx.period, where={**where, "district": d.name})["全部"]
        mi = list(range(len(months)))
        peak = max(mi, key=lambda i: (months[i], -i))
        low = min(mi, key=lambda i: (months[i], i))
        month_no = [int(m[5:]) for m in ctx.period.months]
        v = {
            "name": d.name, "amount": Amount(n, W), "share": Ratio(n, total, P),
            "dept": Amount(dept, W), "dept_share": Ratio(dept, n, P),
            "streets": [(s.name, StreetCount(s.count, W)) for s in streets[:n_streets]],
            "categories": [c.name for c in cats[:n_cats]],
            "peak": {"month": month_no[peak], "amount": Amount(months[peak], W)},
            "low": {"month": month_no[low], "amount": Amount(months[low], W)},
        }
        pid = f"{spec.id}.{d.name}"
        ctx.para(f"{pid}.summary", ctx.wording.render("work.district.summary", **ctx.base_vars(), **v), v)
        shown = streets[:p.chart_streets] if p.chart_streets else streets
        ctx.figure(f"{pid}.streets", "work.district.streets", ChartSpec(
            family="bar", categories=tuple(s.name for s in shown),
            series=(Series("办理量", tuple(float(s.count) for s in shown)),),
            y_label="件", legend=False, value_labels=False, height_mm=55.0), name=d.name,
            shown=len(shown), total=len(streets))
        ctx.para(f"{pid}.months", ctx.wording.render("work.district.months", **ctx.base_vars(), **v), v)
        series = monthly(ctx.store, ctx.period, "category_l1", where={**where, "district": d.name},
                         names=v["categories"])
        # the district's months as bars (left axis), its top categories as lines on the right axis
        ctx.figure(f"{pid}.monthly", "work.district.monthly", ChartSpec(
            family="dual", categories=tuple(f"{m}月" for m in month_no),
            series=(Series("承办量", tuple(float(x) for x in months), kind="bar"),
                    *(Series(k, tuple(float(x) for x in vals), axis="right", kind="line") for k, vals in series.items())),
            y_label="件", y2_label="件", value_labels=False, height_mm=62.0), name=d.name)


@section("zones", params=ZonesParams)
def zones(ctx: BuildContext, spec: SectionSpec, level: int) -> None:
    p = ctx.params(spec, ZonesParams)
    W, P = ctx.wan_places, ctx.pct_places
    dept_level, street_level = p.district_level, p.street_level
    ctx.heading(level, spec.title)
    by, total = _district_totals(ctx, p)
    order: list[str] = []
    members: dict[str, list[str]] = {}
    for d in [*ctx.cfg.districts, *ctx.cfg.profile.areas]:
        if d.zone:
            if d.zone not in members:
                order.append(d.zone)
            members.setdefault(d.zone, []).append(d.name)
    wanted = [z for z in p.order if z in members]
    order = wanted + [z for z in order if z not in wanted]
    for zone in order:
        ctx.heading(level + 1, f"{zone}办理情况")
        names = members[zone]
        n = Count(sum(sum(by.get(x, {}).values()) for x in names), Source("SUM(count)", (("district", names),), ctx.period.key))
        streets = Count(sum(by.get(x, {}).get(street_level, 0) for x in names), Source("SUM(count)", (("district", names),), ctx.period.key))
        dept = Count(sum(by.get(x, {}).get(dept_level, 0) for x in names), Source("SUM(count)", (("district", names),), ctx.period.key))
        v = {"zone": zone, "districts": names, "amount": Amount(n, W), "share": Ratio(n, total, P),
             "streets": Amount(streets, W), "dept": Amount(dept, W)}
        ctx.para(f"{spec.id}.{zone}", ctx.wording.render("work.zone", **ctx.base_vars(), **v), v)
