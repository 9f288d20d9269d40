"""特征分析: sub-sections written by analysts (Markdown) with charts declared in YAML, no code per chart.

In the period file::

    sections:
      features:
        intro:                       # blocks before the first sub-section
          - chart: {kind: share_change, top: 20, caption: "{{ year }}年群众反映前二十问题占比变化",
                    note: 注：占比变化参见左侧坐标轴，同比变化参见右侧坐标轴。}
        subsections:
          - title: 民生服务保障加大，市政服务类问题占比下降
            blocks:
              - text: 住房、城乡建设领域问题相关反映占比下降明显。……
              - chart: {kind: share_change, group: 市政服务类, caption: …, note: …}
              - chart:
                  kind: monthly
                  caption: …
                  series: [{l2: 供水}, {l2: 供电}, {total: true, label: 日常问题总量, axis: right}]

``share_change``: bars are the change of each category's share of all reflections (less the
categories or groups in ``exclude``, e.g. 疫情防控相关 so that 日常问题 compare with 日常问题) against the
comparison year (percentage points, red up / green down, left axis), the line its 同比 (right axis).
``volume_change``: bars are each category's change in volume against the comparison year (万件, red up /
green down, value labels), the line its 同比 (right axis, %).
``yoy``: bars are each category's 同比 (%, red for an increase, green for a decrease, value labels).
``monthly``: one line per series (a sub-category ``l2``, a category ``l1``, a taxonomy ``group``,
or the ``total``), in 万件; ``axis: right`` puts a series on the second axis.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from ..charts import ChartSpec, Series
from ..config.load import display_path
from ..config.models import SectionSpec
from ..config.sections import SectionParams
from ..errors import ConfigError
from ..metrics import monthly, ranked, split
from ..numbers import Amount, Change, Ratio, round_half_up
from .build import BuildContext, section


class _M(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class SeriesRef(_M):
    l1: str | None = None
    l2: str | None = None
    group: str | None = None
    total: bool = False
    label: str | None = None
    axis: Literal["left", "right"] = "left"

    @model_validator(mode="after")
    def _one(self) -> "SeriesRef":
        if not (self.l1 or self.l2 or self.group or self.total):
            raise ValueError("每个系列需要 l1、l2、group 或 total 之一")
        return self


class ChartDecl(_M):
    kind: Literal["share_change", "volume_change", "yoy", "monthly"]
    caption: str
    note: str | None = None
    top: int | None = Field(default=None, ge=1, le=40)
    group: str | None = None
    categories: list[str] | None = None
    series: list[SeriesRef] = []
    exclude: list[str] = Field(default=[], description="不计入占比分母和“总量”的一级分类或分组（如 疫情防控相关）")
    height_mm: float = Field(70.0, gt=20, le=200)


class Block(_M):
    text: str | None = None
    chart: ChartDecl | None = None


class Subsection(_M):
    title: str
    blocks: list[Block] = []


class FeaturesParams(SectionParams):
    intro: list[Block] = Field([], description="第一个小节之前的段落与图表")
    subsections: list[Subsection] = Field([], description="小节：标题及其段落（text，Markdown）与图表（chart）")


@section("features", params=FeaturesParams)
def features(ctx: BuildContext, spec: SectionSpec, level: int) -> None:
    params = ctx.params(spec, FeaturesParams)
    ctx.heading(level, spec.title)
    _blocks(ctx, spec, params.intro, f"{spec.id}.intro")
    for i, sub in enumerate(params.subsections, start=1):
        ctx.heading(level + 1, sub.title)
        _blocks(ctx, spec, sub.blocks, f"{spec.id}.{i}")


def _blocks(ctx: BuildContext, spec: SectionSpec, blocks: list[Block], prefix: str) -> None:
    where = f"{display_path(ctx.cfg.period_path)} 的 sections.{spec.id}"
    for j, b in enumerate(blocks, start=1):
        if b.text:
            ctx.add(ctx.analyst_text(f"{prefix}.{j}", b.text, ctx.base_vars(), where))
        if b.chart:
            _chart(ctx, b.chart, f"{prefix}.{j}")


def _caption(ctx: BuildContext, text: str) -> str:
    return str(ctx.wording.env.from_string(text).render(**ctx.base_vars()))


def _chart(ctx: BuildContext, c: ChartDecl, fid: str) -> None:
    from .document import Figure

    make = {"share_change": _share_change, "volume_change": _volume_change, "yoy": _yoy, "monthly": _monthly}[c.kind]
    spec = make(ctx, c)
    ctx.add(Figure(fid, _caption(ctx, c.caption), spec, c.note))


def _categories(ctx: BuildContext, c: ChartDecl) -> list[str]:
    tax = ctx.cfg.taxonomy
    if c.group:
        if c.group not in tax.groups:
            raise ConfigError(f"配置错误：特征分析图表 “{c.caption}” 引用的分组 “{c.group}” 未在 taxonomy.yaml 的 groups 中定义。")
        return list(tax.groups[c.group])
    if c.categories:
        bad = [x for x in c.categories if x not in tax.categories]
        if bad:
            raise ConfigError(f"配置错误：特征分析图表 “{c.caption}” 中的 “{bad[0]}” 不是已知的一级分类。")
        return list(c.categories)
    return [r.name for r in ranked(ctx.store, ctx.period, "category_l1", exclude=ctx.excluded())[:c.top or 20]]


def _excluded(ctx: BuildContext, c: ChartDecl) -> set[str]:
    out = set(ctx.excluded())
    for name in c.exclude:
        members = ctx.cfg.taxonomy.groups.get(name, [name])
        unknown = [m for m in members if m not in ctx.cfg.taxonomy.categories]
        if unknown:
            raise ConfigError(f"配置错误：特征分析图表 “{c.caption}” 的 exclude 中的 “{unknown[0]}” 不是已知的一级分类或分组。")
        out |= set(members)
    return out


def _share_change(ctx: BuildContext, c: ChartDecl) -> ChartSpec:
    P = ctx.pct_places
    cats = _categories(ctx, c)
    excluded = _excluded(ctx, c)
    cur, prev = split(ctx.store, ctx.period, "category_l1"), split(ctx.store, ctx.compare, "category_l1")
    cur_total = sum(v for k, v in cur.items() if k not in excluded)
    prev_total = sum(v for k, v in prev.items() if k not in excluded)
    shift, yoy = [], []
    for name in cats:
        d = Ratio(cur.get(name, 0), cur_total, P).exact - Ratio(prev.get(name, 0), prev_total, P).exact
        shift.append(round_half_up(d, P))
        yoy.append(Change(cur.get(name, 0), prev.get(name, 0), P) if prev.get(name) else None)
    return ChartSpec(
        family="dual", categories=tuple(cats),
        series=(Series("占比变化", tuple(float(x) for x in shift), labels=tuple(_shift_label(x, P, n) for x, n in zip(shift, cats)),
                       color="signed"),
                Series("同比", tuple(float(y.rounded) if y else None for y in yoy),
                       labels=tuple(y.signed_pct_num if y else "" for y in yoy) if len(cats) <= 10 else None,
                       axis="right", kind="line")),
        y_label="百分点", y2_label="%", height_mm=max(c.height_mm, 85.0) if len(cats) > 10 else c.height_mm)


def _changes(ctx: BuildContext, c: ChartDecl) -> tuple[list[str], dict, dict]:
    """The chart's categories with their counts in the report's period and in the comparison period."""
    cats = _categories(ctx, c)
    cur, prev = split(ctx.store, ctx.period, "category_l1"), split(ctx.store, ctx.compare, "category_l1")
    return cats, cur, prev


def _volume_change(ctx: BuildContext, c: ChartDecl) -> ChartSpec:
    """Change in volume (万件) against the comparison year as signed bars, 同比 as a line on the right axis."""
    from ..provenance import Source, note

    W, P = ctx.wan_places, ctx.pct_places
    cats, cur, prev = _changes(ctx, c)
    deltas, labels, yoy = [], [], []
    for name in cats:
        now, before = int(cur.get(name, 0)), int(prev.get(name, 0))
        d = round_half_up((Decimal(now) - before) / 10000, W)
        text = f"{d:.{W}f}"
        note(text, f"({now}-{before})/10000", "万件", Source("count(current) - count(previous)",
                                                            (("category_l1", name),), ctx.period.key))
        deltas.append(d)
        labels.append(text)
        yoy.append(Change(cur.get(name, 0), prev.get(name, 0), P) if prev.get(name) else None)
    return ChartSpec(
        family="dual", categories=tuple(cats),
        series=(Series("反映量变化", tuple(float(x) for x in deltas), labels=tuple(labels), color="signed"),
                Series("同比", tuple(float(y.rounded) if y else None for y in yoy),
                       labels=tuple(y.signed_pct_num if y else "" for y in yoy) if len(cats) <= 10 else None,
                       axis="right", kind="line")),
        y_label="万件", y2_label="%", height_mm=max(c.height_mm, 85.0) if len(cats) > 10 else c.height_mm)


def _yoy(ctx: BuildContext, c: ChartDecl) -> ChartSpec:
    """Each category's 同比 as a bar: red for an increase, green for a decrease, its value on it.  A category
    the comparison year does not have gets no bar (and no label)."""
    P = ctx.pct_places
    cats, cur, prev = _changes(ctx, c)
    yoy = [Change(cur.get(name, 0), prev.get(name, 0), P) if prev.get(name) else None for name in cats]
    return ChartSpec(
        family="bar", categories=tuple(cats),
        series=(Series("同比", tuple(float(y.rounded) if y else None for y in yoy),
                       labels=tuple(y.signed_pct_num if y else "" for y in yoy), color="signed"),),
        y_label="%", legend=False, height_mm=c.height_mm)


def _shift_label(x, places: int, name: str) -> str:
    from ..provenance import Source, note

    text = f"{x:.{places}f}"
    note(text, str(x), "百分点", Source("share(current) - share(previous)", (("category_l1", name),)))
    return text


def _series_where(ctx: BuildContext, ref: SeriesRef, excluded: set[str]) -> tuple[str, dict]:
    tax = ctx.cfg.taxonomy
    if ref.total:
        return ref.label or "总量", {"category_l1": [k for k in tax.categories if k not in excluded]}
    if ref.group:
        if ref.group not in tax.groups:
            raise ConfigError(f"配置错误：特征分析图表的系列引用了未定义的分组 “{ref.group}”。")
        return ref.label or ref.group, {"category_l1": list(tax.groups[ref.group])}
    if ref.l2:
        owners = [l1 for l1, subs in tax.categories.items() if ref.l2 in subs and (ref.l1 is None or l1 == ref.l1)]
        if not owners:
            raise ConfigError(f"配置错误：特征分析图表的系列 “{ref.l2}” 不是已知的二级分类。")
        if len(owners) > 1:
            raise ConfigError(f"配置错误：二级分类 “{ref.l2}” 同时属于 {'、'.join(owners)}，请用 l1 指明。")
        return ref.label or ref.l2, {"category_l1": owners[0], "category_l2": ref.l2}
    if ref.l1 not in tax.categories:
        raise ConfigError(f"配置错误：特征分析图表的系列 “{ref.l1}” 不是已知的一级分类。")
    return ref.label or ref.l1, {"category_l1": ref.l1}


def _monthly(ctx: BuildContext, c: ChartDecl) -> ChartSpec:
    W = ctx.wan_places
    if not c.series:
        raise ConfigError(f"配置错误：特征分析图表 “{c.caption}” 是 monthly，需要 series。")
    out = []
    excluded = _excluded(ctx, c)
    for ref in c.series:
        name, where = _series_where(ctx, ref, excluded)
        values = monthly(ctx.store, ctx.period, None, where)["全部"]
        out.append(Series(name, tuple(Amount(v, W).position for v in values), axis=ref.axis, kind="line"))
    has_right = any(s.axis == "right" for s in out)
    return ChartSpec(family="dual" if has_right else "line",
                     categories=tuple(f"{int(m[5:])}月" for m in ctx.period.months), series=tuple(out),
                     y_label="万件", y2_label="万件" if has_right else "", value_labels=False, height_mm=c.height_mm)
