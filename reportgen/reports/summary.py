"""A heading and paragraphs written from the period's headline figures (the work report's 一 and the
openings of its 二 and 三).

``params.paragraphs``: wording keys, one paragraph each; a list of keys in that list is one paragraph
(the sentences of its templates run on; the paragraph id is the first key's).  ``params.wan``: decimals of 万件 here
(the work report prints its headline figures with two).  Every template gets:

* ``total`` / ``total_change`` (against the comparison period, worded with ``change('环比')`` where the
  edition says so); ``channels[name]`` and ``dispositions['dispatched'|'direct']`` as {amount, share, change};
* ``top`` / ``top_compare``: the first ``params.top_n`` categories of the period and of the comparison period;
* ``tags[name]``: parts of the dispatched requests marked in the ``tag`` column, with their share of them;
  ``tagged`` (all marked ones) and ``untagged`` (the rest: the work report's 直接办理 requests that are assessed);
* ``levels[name]``: dispatched requests by handler level, with share, and ``busiest``: the district (区级部门),
  the street (街乡镇, as '区名街道名') or the unit (市级部门, 国有企业) that handled most.
"""

from __future__ import annotations

from typing import Any

from markupsafe import Markup
from pydantic import Field

from ..config.models import SectionSpec
from ..config.sections import SectionParams
from ..metrics import cross, ranked, split
from ..numbers import Amount, Change, Ratio
from .build import BuildContext, section


def headline_figures(ctx: BuildContext, wan: int, top_n: int = 10) -> dict[str, Any]:
    store, cur, prev = ctx.store, ctx.period, ctx.compare
    P = ctx.pct_places
    total, prev_total = store.total(cur), store.total(prev)
    out: dict[str, Any] = {"total": Amount(total, wan),
                           "total_change": Change(total, prev_total, P) if prev_total else None}
    ch, prev_ch = split(store, cur, "channel"), split(store, prev, "channel")
    out["channels"] = {c: {"amount": Amount(ch.get(c, 0), wan), "share": Ratio(ch.get(c, 0), total, P),
                           "change": Change(ch.get(c, 0), prev_ch[c], P) if prev_ch.get(c) else None}
                       for c in ctx.cfg.profile.channels}
    disp, prev_disp = split(store, cur, "disposition"), split(store, prev, "disposition")
    out["dispositions"] = {
        key: {"name": name, "amount": Amount(disp.get(name, 0), wan), "share": Ratio(disp.get(name, 0), total, P),
              "change": Change(disp.get(name, 0), prev_disp[name], P) if prev_disp.get(name) else None}
        for key, name in ctx.cfg.profile.dispositions.items()}
    excluded = ctx.excluded()
    out["top"] = [c.name for c in ranked(store, cur, "category_l1", exclude=excluded)[:top_n]]
    out["top_compare"] = [c.name for c in ranked(store, prev, "category_l1", exclude=excluded)[:top_n]]
    d_name = ctx.cfg.profile.dispositions["dispatched"]
    dispatched = disp.get(d_name, 0)
    where = {"disposition": d_name}
    tag_rows = ranked(store, cur, "tag", where)           # ranked() leaves out rows without a tag
    out["tags"] = {r.name: {"amount": Amount(r.count, wan), "share": Ratio(r.count, dispatched, P)} for r in tag_rows}
    tagged = sum(r.count for r in tag_rows)
    out["tagged"] = Amount(tagged, wan)
    out["untagged"] = Amount(dispatched - tagged, wan)
    out["levels"] = {}
    for r in ranked(store, cur, "handler_level", where):
        level, n = r.name, r.count
        entry: dict[str, Any] = {"amount": Amount(n, wan), "share": Ratio(n, dispatched, P), "busiest": None}
        lw = {**where, "handler_level": level}
        units = ranked(store, cur, "handler", where=lw)
        if units and units[0].name:
            entry["busiest"] = units[0].name
        else:
            streets = cross(store, cur, "district", "street", lw)
            best = max(((n2, d, s) for d, subs in streets.items() for s, n2 in subs.items() if d and s), default=None)
            if best is not None:
                entry["busiest"] = f"{best[1]}{best[2]}"
            else:
                by_district = ranked(store, cur, "district", where=lw)
                entry["busiest"] = by_district[0].name if by_district else None
        out["levels"][level] = entry
    districts = ranked(store, cur, "district", where=where)
    out["busiest_district"] = districts[0].name if districts else None
    return out


class SummaryParams(SectionParams):
    wan: int | None = Field(None, ge=0, le=4, description="本章万件数保留的小数位；缺省同报告的 precision.wan")
    top_n: int = Field(10, ge=1, description="句中前几类问题（top、top_compare）")
    paragraphs: list[str | list[str]] = Field(
        [], description="依次生成的段落的句式键；方括号内的几个句式连成一段")


@section("summary", params=SummaryParams)
def summary(ctx: BuildContext, spec: SectionSpec, level: int) -> None:
    p = ctx.params(spec, SummaryParams)
    if spec.title:
        ctx.heading(level, spec.title)
    figures = headline_figures(ctx, p.wan if p.wan is not None else ctx.wan_places, p.top_n)
    for keys in p.paragraphs:
        # a list of keys is one paragraph (its sentences run on, as the edition prints them); named by the first
        keys = [keys] if isinstance(keys, str) else list(keys)
        text = Markup("").join(ctx.wording.render(k, **ctx.base_vars(), **figures) for k in keys)
        ctx.para(f"{spec.id}.{keys[0].rsplit('.', 1)[-1]}", text, figures)
    for child in spec.children:
        ctx.build_section(child, level + 1)
