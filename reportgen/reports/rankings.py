"""考核排名 of a year: districts, streets, city bodies and state enterprises, from the year's ranking table.

The table (``sources.rankings`` of the period file; CSV, Parquet or XLSX, read by ``reportgen/ranking_tables.py``
through the one input layer) has one row per assessed unit:
``period`` ('2020'), ``level`` (区 | 街乡镇 | 市属机构 | 国有企业), ``district`` (区 and 街乡镇 rows),
``unit``, ``score`` (the year's composite, e.g. '98.76'), ``months`` (months with scores, for 市属机构 and
国有企业), ``requests`` (诉求量, where units are ranked by volume).  Ranks are computed, never read:
competition ranks (1, 1, 3) for the city-wide lists; the per-district lists count places the way the
published report does (并列第一名…、第二名…: dense places).

Section type ``rankings`` — ``params.lists``: a list of
  {kind: top, level: 区|街乡镇|…, by: score|requests, n: 3, caption: …}          → a ranked list
  {kind: per_district, level: 街乡镇, n: 3, caption: …}                          → each district's first places
  {kind: months_split, level: 市属机构, threshold: 7, wording: key,
   caption_more: …, caption_fewer: …}                                          → a sentence (counts by months)
                                                                                 and each group's ranked list
"""

from __future__ import annotations

import difflib
from collections import defaultdict
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import AfterValidator, Field, model_validator

from ..assessment import competition_ranks
from ..config.models import SectionSpec
from ..config.sections import SectionParams, distinct
from ..numbers import Amount
from ..provenance import Source, note
from ..ranking_tables import FIELDS, LEVELS, RankedUnit, load_rankings  # noqa: F401  (load_rankings: re-exported)
from .build import BuildContext, section
from .document import Cell, Table


def _ranked(units: list[RankedUnit], by: str) -> list[tuple[int, RankedUnit]]:
    values = {i: getattr(u, by) for i, u in enumerate(units) if getattr(u, by) is not None}
    ranks = competition_ranks(values)
    order = sorted(values, key=lambda i: (ranks[i], -(units[i].requests or 0), i))
    return [(ranks[i], units[i]) for i in order]


def dense_places(units: list[RankedUnit], n: int) -> list[tuple[int, list[RankedUnit]]]:
    """The first ``n`` places by score, ties sharing a place and the next place not skipped."""
    levels: dict[Decimal, list[RankedUnit]] = defaultdict(list)
    for u in units:
        if u.score is not None:
            levels[u.score].append(u)
    return [(i, levels[s]) for i, s in enumerate(sorted(levels, reverse=True)[:n], start=1)]


PLACE = "一二三四五六七八九十"


def places_text(places: list[tuple[int, list[RankedUnit]]]) -> str:
    """'A、B、C' when no place is shared; else '第一名A 并列第二名B、C 第三名D' (the report's wording)."""
    if all(len(us) == 1 for _, us in places):
        return "、".join(us[0].unit for _, us in places)
    return " ".join(f"{'并列' if len(us) > 1 else ''}第{PLACE[i - 1]}名{'、'.join(u.unit for u in us)}" for i, us in places)


RANK_COLUMNS: dict[str, str] = {       # top / months_split tables: column → default header
    "rank": "名次",
    "name": "单位",          # “区” in a table of districts
    "district": "所属区",
    "score": "综合成绩",
    "requests": "诉求量（件）",
    "months": "考评月数",
}
DISTRICT_COLUMNS: dict[str, str] = {   # per_district tables
    "serial": "序号",
    "district": "区",
    "places": "考评排名前三的街道（乡镇）",
}


def _rank_cell(column: str, rank: int, u: RankedUnit, source: Source) -> Cell:
    """One cell of a ranked list; every number it prints noted as printed."""
    if column == "rank":
        note(str(rank), str(rank), "名", source)
        return Cell(str(rank), cls="serial")
    if column == "name":
        return Cell(u.full_name, cls="name")
    if column == "district":
        return Cell(u.district or "—", cls="name")
    value = getattr(u, column)
    if value is None:
        return Cell("—", cls="num")
    text = Amount(value).num if column == "requests" else str(value)
    unit = {"score": "分", "requests": "件", "months": "个月"}[column]
    note(text, str(value), unit, Source(f"ranking table {column}", (("level", u.level), ("unit", u.full_name)),
                                        source.period))
    return Cell(text, cls="num")


def _rank_table(tid: str, rows: list[tuple[int, RankedUnit]], item: "RankingList", caption: str,
                source: Source) -> Table:
    """名次 | 单位 (or 区) by default; the list's ``columns`` and ``headers`` otherwise."""
    headers = {**RANK_COLUMNS, **({"name": "区"} if item.level == "区" else {}), **item.headers}
    columns = item.columns or ["rank", "name"]
    return Table(tid, [Cell(headers[c], cls=f"col-{c}") for c in columns],
                 [[[_rank_cell(c, rank, u, source) for c in columns] for rank, u in rows]],
                 cls="ranking", caption=caption)


class RankingList(SectionParams):
    """rankings 章节中的一张排名表（或 months_split 的一句及两张表）。"""

    kind: Literal["top", "per_district", "months_split"] = Field(
        "top", description="top：按成绩或诉求量排名的前 n 名；per_district：各区的前 n 名；months_split：按有考评成绩的月数分两组排名")
    level: Literal["区", "街乡镇", "市属机构", "国有企业"] = Field(description="排名表中的层级")
    by: Literal["score", "requests"] = Field("score", description="top：按综合成绩（score）或诉求量（requests）排名")
    n: int = Field(3, ge=1, description="top、per_district：列出前几名")
    caption: str = Field("", description="表题（Jinja2 模板）")
    threshold: int = Field(7, ge=1, description="months_split：有这么多个月以上考评成绩的为一组")
    wording: str = Field("work.rankings.months", description="months_split：说明两组家数的句式键")
    caption_more: str | None = Field(None, description="months_split：月数达到 threshold 的一组的表题；不写则不列表")
    caption_fewer: str | None = Field(None, description="months_split：月数不足 threshold 的一组的表题；不写则不列表")
    columns: Annotated[list[str], AfterValidator(distinct)] | None = Field(
        None, min_length=1,
        description="表的列及其顺序。top、months_split：" + "、".join(f"{k} {v}" for k, v in RANK_COLUMNS.items())
                    + "（缺省 rank、name）；per_district：" + "、".join(f"{k} {v}" for k, v in DISTRICT_COLUMNS.items())
                    + "（缺省全部）")
    headers: dict[str, str] = Field({}, description="列 → 表头文字，覆盖缺省的表头")

    @model_validator(mode="after")
    def _known_columns(self) -> "RankingList":
        known = DISTRICT_COLUMNS if self.kind == "per_district" else RANK_COLUMNS
        for key, names in (("columns", self.columns or []), ("headers", list(self.headers))):
            for name in names:
                if name not in known:
                    guess = difflib.get_close_matches(name, list(known), n=1, cutoff=0.5)
                    raise ValueError(f"{key} 中的列 “{name}” 未知" + (f"，是否想写 “{guess[0]}”？" if guess else "。")
                                     + f"{self.kind} 表可用的列：{'、'.join(known)}")
        return self


class RankingsParams(SectionParams):
    lists: list[RankingList] = Field([], description="依次列出的排名表")


@section("rankings", params=RankingsParams, needs=("rankings",))
def rankings(ctx: BuildContext, spec: SectionSpec, level: int) -> None:
    p = ctx.params(spec, RankingsParams)
    data = ctx.data          # needs=("rankings",): check_inputs made sure the period file names them
    assert isinstance(data, dict) and "rankings" in data
    units: list[RankedUnit] = data["rankings"]
    if spec.title:
        ctx.heading(level, spec.title)
    for j, item in enumerate(p.lists):
        lv = item.level
        pool = [u for u in units if u.level == lv]
        caption = str(ctx.wording.env.from_string(item.caption).render(**ctx.base_vars()))
        kind = item.kind
        if kind == "top":
            by, n = item.by, item.n
            rows = [r for r in _ranked(pool, by) if r[0] <= n]
            ctx.add(_rank_table(f"{spec.id}.{j}", rows, item, caption, Source(f"rank by {by}", (("level", lv),),
                                                                              ctx.period.key)))
        elif kind == "per_district":
            n = item.n
            columns = item.columns or list(DISTRICT_COLUMNS)
            headers = {**DISTRICT_COLUMNS, **item.headers}
            rows = []
            for i, d in enumerate([d.name for d in ctx.cfg.districts], start=1):
                places = dense_places([u for u in pool if u.district == d], n)
                if places:
                    cells = {"serial": Cell(str(i), cls="serial"), "district": Cell(d, cls="name"),
                             "places": Cell(places_text(places), cls="text")}
                    if "serial" in columns:
                        note(str(i), str(i), "序号", Source("row number"))
                    rows.append([cells[c] for c in columns])
            ctx.add(Table(f"{spec.id}.{j}", [Cell(headers[c], cls=f"col-{c}") for c in columns], [rows],
                          cls="ranking per-district", caption=caption))
        else:                                                   # months_split
            threshold = item.threshold
            scored = [u for u in pool if u.months]
            v = {"level": lv, "count": len(scored), "threshold": threshold,
                 "more": sum(1 for u in scored if u.months >= threshold),
                 "fewer": sum(1 for u in scored if u.months < threshold)}
            note(str(len(scored)), str(len(scored)), "个", Source("count", (("level", lv),), ctx.period.key))
            for t in (threshold, threshold - 1):      # “有7个月以上……和有6个月以下……”: the structure's threshold
                note(str(t), str(t), "个月", Source("threshold of the report structure", (("threshold", threshold),)))
            ctx.para(f"{spec.id}.{j}", ctx.wording.render(item.wording,
                                                          **ctx.base_vars(), **v), v)
            groups = (("more", [u for u in scored if u.months >= threshold]),
                      ("fewer", [u for u in scored if u.months < threshold]))
            for key, members in groups:
                template = item.caption_more if key == "more" else item.caption_fewer
                if not members or not template:
                    continue
                cap = str(ctx.wording.env.from_string(template).render(**ctx.base_vars(), **v))
                ctx.add(_rank_table(f"{spec.id}.{j}.{key}", _ranked(members, "score"), item, cap,
                                    Source("rank by score", (("level", lv), ("months", key)), ctx.period.key)))
