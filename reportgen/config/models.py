"""Pydantic models of the three configuration layers.

Every model forbids unknown keys (a misspelt key is an error with a suggestion, never
silently ignored).  Paths are resolved against the file that names them.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal, InvalidOperation
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _date_problem(text: str) -> str | None:
    """Why a ``YYYY-MM-DD`` that is not a date is not one ('2023-02-30': 2023 年 2 月只有 28 天)."""
    m = re.fullmatch(r"(\d{4})-(\d{1,2})-(\d{1,2})", text.strip())
    if not m:
        return None
    y, mo, d = (int(g) for g in m.groups())
    if not 1 <= mo <= 12:
        return f"日期 “{text}” 不存在：月份应为 1～12"
    import calendar

    last = calendar.monthrange(y, mo)[1]
    if not 1 <= d <= last:
        return f"日期 “{text}” 不存在：{y} 年 {mo} 月只有 {last} 天"
    return None


def check_date(value: Any) -> Any:
    """Before pydantic's date parsing: a day that does not exist gets its own message."""
    if isinstance(value, str):
        problem = _date_problem(value)
        if problem:
            raise ValueError(problem)
    if isinstance(value, dt.datetime):
        raise ValueError(f"应为日期（如 2024-03-01），实际为带时刻的 “{value.isoformat(sep=' ')}”")
    return value


def check_year_month(value: str) -> str:
    """'2023-04': a month that exists (the pattern alone lets '2023-13' through)."""
    if isinstance(value, str) and re.fullmatch(r"\d{4}-\d{2}", value) and not 1 <= int(value[5:]) <= 12:
        raise ValueError(f"年月 “{value}” 不存在：月份应为 01～12")
    return value


def check_population(value: str | None) -> str | None:
    """万人 as a plain positive decimal ('70.9'): not '0', not '约52万', not '-3', not 'NaN'."""
    if value is None:
        return value
    text = value.strip()
    try:
        number = Decimal(text)
    except InvalidOperation:
        number = None
    if number is None or not number.is_finite() or not re.fullmatch(r"\d+(\.\d+)?", text):
        raise ValueError(f"应为以万人计的数字（如 “70.9”，不带“约”“万”等文字），实际为“{value}”")
    if number <= 0:
        raise ValueError(f"人口应大于 0（万人诉求比以它为分母），实际为“{value}”")
    return value


# --- city profile -------------------------------------------------------------------------

class RemapRule(Strict):
    from_: dict[str, str] = Field(alias="from", description="匹配条件：category_l1 / category_l2")
    to: dict[str, str] = Field(description="改写为：category_l1（必填）/ category_l2（可省略，保持原值）")

    @field_validator("from_", "to")
    @classmethod
    def _keys(cls, v: dict[str, str]) -> dict[str, str]:
        bad = set(v) - {"category_l1", "category_l2"}
        if bad:
            raise ValueError(f"只能使用 category_l1、category_l2，不能使用 {'、'.join(sorted(bad))}")
        return v


class Remap(Strict):
    """A taxonomy change, applied to comparison periods before ``effective``."""

    effective: str = Field(pattern=r"^\d{4}-\d{2}$", description="生效年月，如 2023-04")
    footnote: str = Field(description="报告中随新分类首次出现时印出的脚注；只印在其同比受这次调整影响的报告中"
                                      "（报告或其对比期读到生效月之前的记录）")
    anchor: str | None = Field(None, description="脚注印在何处：章节编号（该章节中首次提及处）、段落编号，或 category"
                                                 "（该类问题自己的小节）；不写则印在报告中首次提及处")
    map: list[RemapRule]

    _effective = field_validator("effective")(check_year_month)


class Taxonomy(Strict):
    categories: dict[str, list[str]] = Field(description="一级分类 → 二级分类")
    remaps: list[Remap] = []
    groups: dict[str, list[str]] = Field(default={}, description="一级分类的分组，如 市政服务类、疫情防控相关")

    @model_validator(mode="after")
    def _groups_known(self) -> "Taxonomy":
        for name, members in self.groups.items():
            unknown = [m for m in members if m not in self.categories]
            if unknown:
                raise ValueError(f"分组 “{name}” 中的 {'、'.join(unknown)} 不是已知的一级分类")
        return self

    def cross_checks(self) -> list[tuple[tuple, str]]:
        """(key path, problem) of every remap rule that lands outside this taxonomy, and of a chain of rules that
        leads back where it started; the loader adds the file and line."""
        out: list[tuple[tuple, str]] = []
        for i, remap in enumerate(self.remaps):
            for j, rule in enumerate(remap.map):
                loc = ("remaps", i, "map", j, "to")
                l1 = rule.to.get("category_l1", rule.from_.get("category_l1"))
                l2 = rule.to.get("category_l2", rule.from_.get("category_l2"))
                if not rule.to:
                    out.append((loc, "为空，应写出改写后的 category_l1（及 category_l2）"))
                elif l1 is not None and l1 not in self.categories:
                    out.append((loc + ("category_l1",) if "category_l1" in rule.to else loc,
                                f"改写为一级分类 “{l1}”，它不在 categories 中"))
                elif l1 is not None and l2 is not None and l2 not in self.categories[l1]:
                    kept = "category_l2" not in rule.to
                    out.append((loc if kept else loc + ("category_l2",),
                                f"改写为 “{l1} / {l2}”，二级分类 “{l2}” 不在 categories.{l1} 中"
                                + ("（未写 category_l2 时沿用原二级分类）" if kept else "")))
        cycle = _remap_cycle(self.remaps)
        if cycle:
            (i, j), names = cycle
            out.append((("remaps", i, "map", j), "分类改写首尾相接成环：" + " → ".join(names)
                        + "，同一条记录会被来回改写，请删去其中一条"))
        return out


def _remap_cycle(remaps: list[Remap]) -> tuple[tuple[int, int], list[str]] | None:
    """A chain of rules a → b → … → a (over all remaps): the first rule's (remap, rule) index and the categories
    along the chain, or None.  A rule without ``category_l2`` in ``from`` matches every sub-category."""
    rules = []
    for i, remap in enumerate(remaps):
        for j, rule in enumerate(remap.map):
            src = (rule.from_.get("category_l1"), rule.from_.get("category_l2"))
            rules.append(((i, j), src, (rule.to.get("category_l1", src[0]), rule.to.get("category_l2", src[1]))))

    def matches(value: tuple, src: tuple) -> bool:
        return value[0] == src[0] and (src[1] is None or value[1] == src[1])

    def name(value: tuple) -> str:
        return " / ".join(x for x in value if x is not None) or "（空）"

    # rule k leads to rule n when what k writes is matched by n's "from"; a cycle is a rule that leads back to itself
    follows = {k: [n for n, r in enumerate(rules) if matches(rules[k][2], r[1])] for k in range(len(rules))}
    for k, (where, src, _) in enumerate(rules):
        parent: dict[int, int] = {}
        queue, seen = [k], {k}
        while queue:
            cur = queue.pop(0)
            for nxt in follows[cur]:
                if nxt == k:
                    chain = [cur]
                    while chain[-1] != k:
                        chain.append(parent[chain[-1]])
                    chain.reverse()
                    return where, [name(src)] + [name(rules[c][2]) for c in chain]
                if nxt not in seen:
                    seen.add(nxt)
                    parent[nxt] = cur
                    queue.append(nxt)
    return None


class District(Strict):
    name: str
    population_wan: str | None = Field(default=None, description="常住人口（万人），第七次人口普查；写数字，如 “70.9”")

    _population = field_validator("population_wan")(check_population)
    zone: str | None = None
    street_kinds: list[Literal["街道", "镇", "乡"]] = Field(default=["街道"], description="下辖街乡镇的种类")


class Area(Strict):
    """A unit that handles requests like a district without being one of them (北京: 经济技术开发区): counted in
    its functional zone and in the districts' total, but given no paragraph or row of its own."""

    name: str
    zone: str | None = None


class Profile(Strict):
    """What is true of a city: ``config/<city>/profile.yaml``."""

    city: str
    hotline: str = "12345热线"
    channels: list[str]
    dispositions: dict[Literal["dispatched", "direct"], str]
    taxonomy: str = "taxonomy.yaml"
    districts: list[District] = []
    areas: list[Area] = Field(default=[], description="与区并列承办、但不单列的功能区（如 经济技术开发区），计入所属功能区")
    data_roots: list[str] = Field(default=[], description="数据文件可以放在哪些文件夹（相对于本城市配置文件夹）；"
                                  "城市配置文件夹与期间文件所在的文件夹总是可以。sources 与 district_folder 指向其外的路径被拒绝")
    assessment_day: int = Field(default=19, ge=1, le=28,
                                description="考核期的分界日：上月该日 0 时至本月该日 0 时为一个考核期，以结束月命名（如 2023-09K）；"
                                            "工单按受理日期是否不早于该日分入下一考核期")
    timezone: str = Field(default="Asia/Shanghai", pattern=r"^[A-Za-z_]+(/[A-Za-z_+\-]+)*$",
                          description="受理时间带时区（如 …Z、+00:00）的工单换算到的本地时区（IANA 名称），再按日期分考核期")
    population_note: str = Field(default="第七次全国人口普查公布的各区人口数",
                                 description="万人诉求比所用人口的出处（简报原文：第七次全国人口普查公布的北京市2020年度各区人口数）")

    def district(self, name: str) -> District | None:
        return next((d for d in self.districts if d.name == name), None)


# --- report kind ----------------------------------------------------------------------------

class Precision(Strict):
    wan: int = Field(1, ge=0, le=4, description="万件保留的小数位")
    pct: int = Field(1, ge=0, le=4, description="百分比保留的小数位")


class SectionSpec(Strict):
    id: str = Field(pattern=r"^[A-Za-z0-9_]+$")
    type: str
    title: str = Field(default="", description="标题；表格等不带标题的章节可省略")
    params: dict[str, Any] = Field(default={}, description="章节参数，按章节类型（type）校验；各类型的参数、缺省值与说明见 "
                                                           "reportgen schema 写出的 sections.schema.json")
    children: list["SectionSpec"] = Field(default=[], description="下一级标题的章节")


class ReportKind(Strict):
    """The structure of a report kind: ``config/reports/<kind>.yaml``."""

    kind: str
    title: str
    layout: Literal["report", "brief"] = Field(
        "report", description="report：封面、目录、正文另起页；brief：首页即标题和正文（简报），无目录")
    data: Literal["records", "assessment"] = Field(
        "records", description="数据：records（受理记录，sources.records）或 assessment（市级考评表，sources.assessment）")
    per_district: bool = Field(False, description="是否按区生成（简报：--district 或 --all-districts）")
    precision: Precision = Precision()
    toc_levels: int = Field(2, ge=1, le=3, description="目录收录的标题层级")
    year_order: Literal["chronological", "latest_first"] = Field(
        "chronological", description="对比两年的图表中系列（及图例）的顺序：chronological 对比年在前、报告年在后（缺省）；"
                                     "latest_first 报告年在前")
    district_order: list[str] | None = Field(
        None, description="各区段落与图表的顺序：列全 profile.yaml 的各区；缺省按 profile.yaml（期间文件可再覆盖）")
    sections: list[SectionSpec]
    section_changes: list[dict[str, Any]] = Field(
        [], description="继承时按章节 id 修改：{id: x, title: …, params: {…}} 改、{id: x, remove: true} 删、"
                        "{id: y, after: x, type: …}（或 before）插入；读入时即已应用")
    wording: dict[str, str] = Field(default={}, description="句式模板（Jinja2），按键名引用")
    footnotes: dict[str, str] = {}
    captions: dict[str, str] = Field(default={}, description="图表标题模板")


# --- period file --------------------------------------------------------------------------

class DatabaseSpec(Strict):
    """Raw tickets in a database; the GROUP BY runs there and only aggregates come back."""

    url_env: str = Field(pattern=r"^[A-Z_][A-Z0-9_]*$",
                         description="保存连接串的环境变量名（如 REPORTGEN_PG_URL）；连接串不写进 YAML")
    table: str | None = Field(default=None, pattern=r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)?$",
                              description="工单表（可带 schema：ops.tickets）")
    query: str | None = Field(default=None, description="或一条 SELECT（其结果为工单）")
    dialect: Literal["postgres"] = "postgres"

    @model_validator(mode="after")
    def _one(self) -> "DatabaseSpec":
        if (self.table is None) == (self.query is None):
            raise ValueError("database 需要 table 或 query 之一")
        return self


class SourceSpec(Strict):
    path: str | None = Field(default=None, description="数据文件（CSV / Parquet / XLSX），相对于期间文件")
    database: DatabaseSpec | None = Field(default=None, description="或数据库中的工单（每行一张工单）")
    format: Literal["csv", "parquet", "xlsx"] | None = None
    sheet: str | None = None
    encoding: str | None = None

    @model_validator(mode="after")
    def _one(self) -> "SourceSpec":
        if (self.path is None) == (self.database is None):
            raise ValueError("数据来源需要 path（文件）或 database（数据库）之一")
        return self


class CommentaryEntry(Strict):
    """Analysts' text for one generated paragraph (Markdown; ``{{ … }}`` may cite figures)."""

    replace: str | None = None
    before: str | None = None
    after: str | None = None


class PeriodFile(Strict):
    """One edition: which period, which data, the cover, and the analysts' commentary."""

    report: str
    structure: str | None = Field(default=None, description="报告结构文件名（config/reports/<structure>.yaml），缺省与 report 相同")
    period: str = Field(description="期间：年度如 2023；月度如 2023-09；考核期如 2023-09K")
    compare: str | None = Field(default=None, description="同比期间，缺省为上一年同期")
    title: str | None = None
    issuer: str
    date: str | None = Field(default=None, description="封面日期，如 “2024 年 3 月”；不写则封面不印日期")
    document_date: dt.date = Field(description="PDF 元数据中的日期（固定，保证重复生成逐字节一致）")
    sources: dict[Literal["records", "assessment", "rankings"], list[SourceSpec]]
    district_folder: str | None = Field(
        default=None, description="按区的文件夹（相对于期间文件，{district} 处代入区名）：brief.yaml（该区的 commentary / wording）、case.md 与照片")
    precision: dict[str, int] = {}
    exclude_categories: list[str] = Field(default=[], description="排名时不计入的一级分类或分组（如 2022 年的疫情防控相关）")
    district_order: list[str] | None = Field(
        None, description="这一期各区段落与图表的顺序：列全 profile.yaml 的各区；缺省按报告结构或 profile.yaml")
    without_previous: bool = Field(
        False, description="简报：上一考核期的考评表缺少时照常生成（环比与排名变化从略，各单位标为“新”）；缺省报错")
    bad_rows: Literal["stop", "skip"] = Field(
        default="stop", description="受理记录或考评表中有不合格的行时：stop 停止并列出问题（缺省）；skip 不计入这些行照常生成，"
                                    "并把每一行及其原因写入与报告同名的 .rejects.csv，报告末尾的说明写明不计入的行数")
    sections: dict[str, dict[str, Any]] = Field(default={}, description="按章节编号覆盖或补充章节参数（如特征分析的小节）")
    wording: dict[str, str] = {}
    commentary: dict[str, CommentaryEntry] = {}

    _document_date = field_validator("document_date", mode="before")(check_date)

    @model_validator(mode="after")
    def _sources(self) -> "PeriodFile":
        empty = [k for k, v in self.sources.items() if not v]
        if not self.sources or empty:
            raise ValueError(f"sources.{empty[0] if empty else 'records'} 至少要有一个数据文件")
        return self


class DistrictOverlay(Strict):
    """``<district_folder>/brief.yaml``: one district's own wording and commentary for the period."""

    wording: dict[str, str] = {}
    commentary: dict[str, CommentaryEntry] = {}
