"""Sections of the annual city report (年度数据分析报告)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from markupsafe import Markup
from pydantic import Field

from ..charts import ChartSpec, Series
from ..config.models import SectionSpec
from ..config.sections import SectionParams
from ..metrics import Ranked, cross, monthly, ranked, split
from ..narrative import describe_trends
from ..narrative.trends import SeriesFacts
from ..numbers import Amount, Change, Ratio, round_half_up
from ..provenance import Count, Source
from .build import BuildContext, section


def _months_axis(ctx: BuildContext) -> tuple[str, ...]:
    return tuple(f"{int(m[5:])}月" for m in ctx.period.months)


def category_label(ctx: BuildContext, name: str, spec: SectionSpec, pid: str, own: bool = False) -> Markup:
    """A category name with the footnote of the taxonomy change that made it, where it stands: paragraph
    ``pid`` of section ``spec`` (``own``: the category's own sub-section).  Which mention keeps the call is
    decided once the whole document is built (``reports/footnotes.py``: the change's ``anchor``)."""
    key = f"remap:{name}"
    if key in ctx.wording.footnotes.texts:
        at = (pid, *ctx.section_path(spec.id), *(("category",) if own else ()))
        return Markup("{}{}").format(name, ctx.wording.footnotes.call(key, at))
    return Markup.escape(name)


class OverviewParams(SectionParams):
    top_n: int = Field(20, ge=1, description="前几类问题（图表与句中的“前N类”）")
    share_top: int = Field(5, ge=1, description="派单占比最高、直接答复占比最高的各列出几类")


@section("overview", params=OverviewParams)
def overview(ctx: BuildContext, spec: SectionSpec, level: int) -> None:
    """一、总体情况及受理特点: reception, channels, the top-N categories."""
    p = ctx.params(spec, OverviewParams)
    store, cur, prev = ctx.store, ctx.period, ctx.compare
    W, P = ctx.wan_places, ctx.pct_places
    names = ctx.cfg.profile.dispositions
    ctx.heading(level, spec.title)

    total, prev_total = store.total(cur), store.total(prev)
    disp, prev_disp = split(store, cur, "disposition"), split(store, prev, "disposition")
    d_name, a_name = names["dispatched"], names["direct"]
    v = {
        "total": Amount(total, W), "total_change": Change(total, prev_total, P),
        "dispatched": Amount(disp.get(d_name, 0), W),
        "dispatched_change": Change(disp.get(d_name, 0), prev_disp.get(d_name, 0), P),
        "dispatched_share": Ratio(disp.get(d_name, 0), total, P),
        "direct": Amount(disp.get(a_name, 0), W),
        "direct_change": Change(disp.get(a_name, 0), prev_disp.get(a_name, 0), P),
        "direct_share": Ratio(disp.get(a_name, 0), total, P),
    }
    ctx.para(f"{spec.id}.reception", ctx.wording.render("overview.reception", **ctx.base_vars(), **v), v)
    by_month = monthly(store, cur, "disposition", names=[d_name, a_name])
    ctx.figure(f"{spec.id}.reception", "overview.reception", ChartSpec(
        family="stacked_bar", categories=_months_axis(ctx),
        series=tuple(Series(n, tuple(Amount(x, W).position for x in vals), labels=None)
                     for n, vals in (("诉求", by_month[d_name]), (a_name, by_month[a_name]))),
        y_label="万件", value_labels=False, height_mm=70.0))

    ch, prev_ch = split(store, cur, "channel"), split(store, prev, "channel")
    channels = [{"name": c, "amount": Amount(ch.get(c, 0), W), "share": Ratio(ch.get(c, 0), total, P),
                 "change": Change(ch.get(c, 0), prev_ch.get(c, 0), P) if prev_ch.get(c) else None,
                 "prev_share": Ratio(prev_ch.get(c, 0), prev_total, P)}
                for c in ctx.cfg.profile.channels]
    months_total = SeriesFacts("受理量", tuple(monthly(store, cur)["全部"]), places=W)
    first = months_total.m[1]
    growth = round_half_up((Decimal(months_total.peak.amount.count) - first.amount.count) / first.amount.count, 0) \
        if first.amount.count else None
    v = {"channels": channels, "ch": {c["name"]: c for c in channels}, "months": months_total,
         "growth_times": int(growth) if growth is not None else None}
    ctx.para(f"{spec.id}.channels", ctx.wording.render("overview.channels", **ctx.base_vars(), **v), v)
    ch_month = monthly(store, cur, "channel", names=list(ctx.cfg.profile.channels))
    ctx.figure(f"{spec.id}.channels", "overview.channels", ChartSpec(
        family="stacked_bar", categories=_months_axis(ctx),
        series=tuple(Series(f"{c}渠道", tuple(Amount(x, W).position for x in ch_month[c])) for c in ch_month),
        y_label="万件", value_labels=False, height_mm=70.0))

    n = p.top_n
    share_n = p.share_top
    cats = ranked(store, cur, "category_l1", exclude=ctx.excluded())[:n]
    top_sum = Count(sum(c.count for c in cats), Source("SUM(count)", (("category_l1", [c.name for c in cats]),), cur.key))
    by_disp = cross(store, cur, "category_l1", "disposition")
    d_share = {c.name: Ratio(by_disp.get(c.name, {}).get(d_name, 0), c.count, P) for c in cats}
    order = sorted(cats, key=lambda c: (-d_share[c.name].exact, c.name))
    dispatch_top = [c.name for c in order[:share_n]]
    direct_top = [c.name for c in reversed(order)][:share_n]
    all_cats = split(store, cur, "category_l1")
    v = {"n": n, "top_sum": Amount(top_sum, W), "top_share": Ratio(top_sum, total, P),
         "categories": {k: Amount(c, W) for k, c in all_cats.items()},
         "dispatch_top": [category_label(ctx, x, spec, f"{spec.id}.top") for x in dispatch_top],
         "direct_top": [category_label(ctx, x, spec, f"{spec.id}.top") for x in direct_top]}
    ctx.para(f"{spec.id}.top", ctx.wording.render("overview.top", **ctx.base_vars(), **v), v)
    ctx.figure(f"{spec.id}.top", "overview.top", ChartSpec(
        family="hbar", categories=tuple(c.name for c in cats),
        series=(Series("反映量", tuple(Amount(c.count, W).position for c in cats),
                       labels=tuple(Amount(c.count, W).wan_num for c in cats)),),
        y_label="万件", legend=False, height_mm=120.0), n=n)


def _trend_text(ctx: BuildContext, facts: list[SeriesFacts]) -> Markup | None:
    clauses = describe_trends(facts)
    parts = []
    for c in clauses:
        key = f"trend.{c.kind}"
        parts.append(ctx.wording.render(key, names=c.names, months=c.months, values=c.values,
                                        many=len(c.names) > 1))
    if not parts:
        return None
    return ctx.wording.render("trend.sentence", clauses=parts)


class TopCategoriesParams(SectionParams):
    top_n: int = Field(10, ge=1, description="前几类问题，每类一个小节")
    sub_top_n: int = Field(5, ge=1, description="每类列出前几个二级分类")
    sub_min_wan: Decimal | None = Field(None, description="只列出不少于这么多万件的二级分类（如 \"1\"：1万件以上的主要是……）")
    wording: str = Field("top_categories.summary", description="每类概述的句式键")
    details: dict[str, str] = Field({}, description="一级分类 → 具体涉及的问题（句中“具体涉及……等问题”）")


@section("top_categories", params=TopCategoriesParams)
def top_categories(ctx: BuildContext, spec: SectionSpec, level: int) -> None:
    """二、群众反映前十类问题情况: per category its top sub-categories and their monthly trends.

    Params: ``top_n``, ``sub_top_n``; ``sub_min_wan`` (list only sub-categories printed at or above this
    many 万件, e.g. "1" for the work report's “1 万件以上的主要是…”); ``wording`` (the summary's template
    key).  The summary template gets ``largest`` (the biggest sub-category and its share of the category)
    and ``change`` is None when the category did not exist in the comparison period."""
    p = ctx.params(spec, TopCategoriesParams)
    store, cur, prev = ctx.store, ctx.period, ctx.compare
    W, P = ctx.wan_places, ctx.pct_places
    n, sub_n = p.top_n, p.sub_top_n
    sub_min = p.sub_min_wan
    summary_key = p.wording
    details = p.details
    if spec.title:                      # without a title the categories are the parent's sub-sections (2020: （一）疫情防控)
        ctx.heading(level, spec.title)
        level += 1
    cats: list[Ranked] = ranked(store, cur, "category_l1", exclude=ctx.excluded())[:n]
    prev_all = split(store, prev, "category_l1")
    ctx.para(f"{spec.id}.intro", None)
    ctx.figure(f"{spec.id}.top", "top_categories.top", ChartSpec(
        family="bar", categories=tuple(c.name for c in cats),
        series=(Series("反映量", tuple(Amount(c.count, W).position for c in cats),
                       labels=tuple(Amount(c.count, W).wan_num for c in cats)),),
        y_label="万件", legend=False, height_mm=70.0), n=n)
    for cat in cats:
        ctx.heading(level, cat.name)
        all_subs = ranked(store, cur, "category_l2", where={"category_l1": cat.name})
        subs = all_subs[:sub_n]
        listed = [s for s in subs if sub_min is None or Amount(s.count, W).wan_value >= sub_min]
        pid = f"{spec.id}.{cat.name}"
        v: dict[str, Any] = {
            "name": cat.name, "label": category_label(ctx, cat.name, spec, f"{pid}.summary", own=True),
            "amount": Amount(cat.count, W),
            "change": Change(cat.count, prev_all[cat.name], P) if prev_all.get(cat.name) else None,
            "subs": [(s.name, Amount(s.count, W)) for s in listed],
            "largest": (all_subs[0].name, Ratio(all_subs[0].count, cat.count, P)) if all_subs else None,
            "detail": details.get(cat.name),
        }
        ctx.para(f"{pid}.summary", ctx.wording.render(summary_key, **ctx.base_vars(), **v), v)
        ctx.figure(f"{pid}.subs", "top_categories.subs", ChartSpec(
            family="bar", categories=tuple(s.name for s in subs),
            series=(Series("反映量", tuple(Amount(s.count, W).position for s in subs),
                           labels=tuple(Amount(s.count, W).wan_num for s in subs)),),
            y_label="万件", legend=False, height_mm=50.0), name=cat.name)
        series = monthly(store, cur, "category_l2", where={"category_l1": cat.name}, names=[s.name for s in subs])
        facts = [SeriesFacts(name, tuple(vals), places=W) for name, vals in series.items()]
        whole = SeriesFacts(cat.name, tuple(monthly(store, cur, where={"category_l1": cat.name})["全部"]), places=W)
        ctx.para(f"{pid}.trend", _trend_text(ctx, facts), {"s": {f.name: f for f in facts}, "all": whole, **v})
        ctx.figure(f"{pid}.monthly", "top_categories.monthly", ChartSpec(
            family="line", categories=_months_axis(ctx),
            series=tuple(Series(f.name, tuple(Amount(x, W).position for x in f.values)) for f in facts),
            y_label="万件", value_labels=False, height_mm=62.0), name=cat.name)
