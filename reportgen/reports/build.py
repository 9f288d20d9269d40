"""Common machinery of the report builders: context, commentary overrides, section registry."""

from __future__ import annotations

import dataclasses
import difflib
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable, TypeVar

from markupsafe import Markup
from pydantic import Field

from .. import provenance
from ..charts import ChartSpec, Series
from ..config import Config
from ..config.load import display_path
from ..config.models import SectionSpec
from ..config.sections import NoParams, SectionParams, register_params
from ..errors import ConfigError
from ..narrative import Footnotes, Wording, render_markdown
from ..narrative.commentary import evaluate
from ..narrative.slots import copies
from ..numbers import cn_ordinal
from ..periods import Period, parse_period
from .document import Document, Figure, Heading, Para
from .footnotes import place_footnotes

if TYPE_CHECKING:
    from ..records import RecordStore

# ``{{ generated }}`` in an analyst's ``replace``: the generated text (with its footnote calls), which the
# analyst's words continue in the same paragraph.  Markdown sees a placeholder; the generated HTML goes in after.
_CITES_GENERATED = re.compile(r"\{\{\s*generated\s*\}\}")
_GENERATED_SLOT = "\ue000generated\ue000"

SectionBuilder = Callable[..., None]
SECTION_TYPES: dict[str, SectionBuilder] = {}
SECTION_INPUTS: dict[str, tuple[str, ...]] = {}
P = TypeVar("P", bound=SectionParams)

# The inputs a section type can declare, as a message names them.
INPUT_NAMES = {"records": "受理记录", "assessment": "市级考评表", "rankings": "考核排名表"}


def section(type_name: str, params: type[SectionParams] = NoParams,
            needs: tuple[str, ...] = ("records",)) -> Callable[[SectionBuilder], SectionBuilder]:
    """Register a section type: its builder, the pydantic model of its parameters (default: none), which
    the config loader validates the structure's ``params`` and the period file's ``sections.<id>`` through, and
    the inputs it reads (``needs``: records, assessment, rankings), checked once for the whole structure by
    :func:`check_inputs` before any input is read."""
    unknown = set(needs) - set(INPUT_NAMES)
    if unknown:
        raise ValueError(f"section {type_name}: unknown inputs {sorted(unknown)}")

    def register(fn: SectionBuilder) -> SectionBuilder:
        SECTION_TYPES[type_name] = fn
        SECTION_INPUTS[type_name] = tuple(needs)
        register_params(type_name, params)
        return fn
    return register


def _walk(specs) -> list:
    out = []
    for s in specs:
        out += [s, *_walk(s.children)]
    return out


def check_inputs(cfg: Config) -> None:
    """Every section's declared inputs are among those the report reads: records for a ``data: records`` kind,
    the assessment tables for a ``data: assessment`` kind, ranking tables when the period file names
    ``sources.rankings``.  One message per section that lacks one, before any file is read."""
    data = cfg.kind.data
    has = {data} | ({"rankings"} if cfg.period_file.sources.get("rankings") else set())
    problems = []
    for spec in _walk(cfg.kind.sections):
        for need in SECTION_INPUTS.get(spec.type, ()):
            if need in has:
                continue
            if need == "rankings":
                why = f"期间文件 {display_path(cfg.period_path)} 的 sources.rankings 中没有"
            else:
                why = f"只有 data: {need} 的报告读入，本报告为 data: {data}"
            problems.append(f"配置错误：文件 {display_path(cfg.kind_path)}，章节 {spec.id}（类型 {spec.type}）需要"
                            f"{INPUT_NAMES[need]}（{why}）。")
    if problems:
        raise ConfigError(problems[0], problems)


@dataclass
class BuildContext:
    cfg: Config
    store: RecordStore | None
    period: Period
    compare: Period
    wording: Wording
    doc: Document
    wan_places: int
    pct_places: int
    used_commentary: set[str] = field(default_factory=set)
    counters: list[int] = field(default_factory=lambda: [0, 0, 0])
    data: Any = None          # the report kind's own inputs (the brief: its BriefData)
    tables: int = 0           # 表1, 表2 … numbering

    @property
    def year(self) -> int:
        return self.period.year

    def chapter_vars(self, spec) -> dict[str, Any]:
        from ..numbers import Amount

        if self.store is None:          # a chapter of a report without records
            return {}
        d_name = self.cfg.profile.dispositions["dispatched"]
        return {"dispatched": Amount(self.store.total(self.period, {"disposition": d_name}), self.wan_places)}

    def base_vars(self) -> dict[str, Any]:
        return {"year": self.period.year, "period": self.period, "compare": self.compare,
                "hotline": self.cfg.profile.hotline, "city": self.cfg.profile.city, "district": self.cfg.district}

    # --- blocks ---------------------------------------------------------------------------
    def params(self, spec: SectionSpec, model: type[P]) -> P:
        """The section's parameters (the report kind's, overridden by the period file's ``sections.<id>``), as
        validated by ``load_config`` through the section type's model."""
        if self.cfg.section_params is None:
            raise RuntimeError("the configuration was loaded before the section types were registered: "
                               "import reportgen.reports before calling load_config")
        p = self.cfg.section_params[spec.id]
        if not isinstance(p, model):
            raise TypeError(f"section {spec.id}: parameters are {type(p).__name__}, not {model.__name__}")
        return p

    def by_year(self, current: Series, previous: Series) -> tuple[Series, Series]:
        """The report year's and the comparison year's series in the structure's ``year_order``: the comparison
        year first (chronological, the default) or the report year first (``latest_first``).  The report year
        keeps the palette's first (darkest) colour wherever it stands."""
        current = dataclasses.replace(current, color=current.color or "palette:0")
        previous = dataclasses.replace(previous, color=previous.color or "palette:1")
        return (current, previous) if self.cfg.kind.year_order == "latest_first" else (previous, current)

    def section_path(self, section_id: str) -> tuple[str, ...]:
        """The ids of the sections from the outermost to ``section_id`` (a chapter's child: both)."""
        def find(specs, path: tuple[str, ...]) -> tuple[str, ...] | None:
            for s in specs:
                here = (*path, s.id)
                if s.id == section_id:
                    return here
                if (inner := find(s.children, here)) is not None:
                    return inner
            return None
        return find(self.cfg.kind.sections, ()) or (section_id,)

    def excluded(self) -> tuple[str, ...]:
        """Categories left out of rankings: names or groups of the taxonomy."""
        out: list[str] = []
        for name in self.cfg.period_file.exclude_categories:
            out += self.cfg.taxonomy.groups.get(name, [name])
        return tuple(out)

    def build_section(self, spec, level: int) -> None:
        builder = SECTION_TYPES.get(spec.type)
        if builder is None:
            raise ConfigError(
                f"配置错误：文件 {display_path(self.cfg.kind_path)}，章节 {spec.id} 的类型 “{spec.type}” 未知。"
                f"可用的类型：{'、'.join(sorted(SECTION_TYPES))}。"
            )
        outer, self.wording.section = self.wording.section, spec.id    # the section of the wording's calls
        try:
            builder(self, spec, level)
        finally:
            self.wording.section = outer

    def heading(self, level: int, title: str) -> Heading:
        self.counters[level - 1] += 1
        for i in range(level, len(self.counters)):
            self.counters[i] = 0
        n = self.counters[level - 1]
        anchor = "h-" + "-".join(str(c) for c in self.counters[:level])
        h = Heading(level, cn_ordinal(n, level), title, anchor)
        self.add(h)
        if level == 3:
            provenance.note(str(n), str(n), "序号", provenance.Source("heading number"))
            provenance.active() and provenance.active().place(anchor)
        return h

    def add(self, block, slots: dict[str, Any] | None = None) -> None:
        """Append a block; the numbers formatted since the last block, and the figures of ``slots`` printed in
        the block's text, are noted as printed in it."""
        self.doc.blocks.append(block)
        manifest = provenance.active()
        if manifest is not None:
            text = str(block.html) if slots is not None and hasattr(block, "html") else None
            manifest.place(block.id if hasattr(block, "id") else getattr(block, "anchor", ""), text, slots)

    def analyst_text(self, pid: str, markdown: str, ctx: dict[str, Any], where: str) -> Para:
        """Analysts' Markdown as a paragraph; the numbers they typed are noted as given in the period file."""
        html = render_markdown(markdown, ctx, where)
        copied = dict(copies(markdown))
        literal = re.sub(r"\{\{.*?\}\}|\{%.*?%\}|\{#.*?#\}", " ", markdown)
        for num in re.findall(r"\d+(?:\.\d+)?", literal):
            filters: tuple = (("file", where),)
            if num in copied:          # copied from a figure (the preview marked it): what that figure prints now
                now = evaluate(copied[num], ctx)
                filters += (("copied_from", copied[num]), ("now", now if now is not None else "（无法计算）"))
            provenance.note(num, num, "", provenance.Source("typed by an analyst", filters))
        return Para(pid, html, overridden=True)

    def para(self, pid: str, generated: Markup | None, slots: dict[str, Any] | None = None) -> None:
        """A generated paragraph, replaced or extended by the analysts' commentary of the same id."""
        entry = self.cfg.period_file.commentary.get(pid)
        where = f"{display_path(self.cfg.commentary_file(pid))} 的 commentary.{pid}"
        ctx = {**self.base_vars(), **(slots or {})}
        first = len(self.doc.blocks)
        try:
            self._para(pid, generated, slots, entry, where, ctx)
        finally:
            for block in self.doc.blocks[first:]:       # what a commentary here may cite (the preview's slots)
                if isinstance(block, Para):
                    block.slots = ctx

    def _para(self, pid: str, generated: Markup | None, slots: dict[str, Any] | None, entry, where: str,
              ctx: dict[str, Any]) -> None:
        if entry is None:
            if generated is not None:
                self.add(Para(pid, Markup("<p>{}</p>").format(generated), generated=generated), slots)
            return
        self.used_commentary.add(pid)
        manifest = provenance.active()
        # the generated text's numbers are printed only if the analyst did not replace it
        generated_numbers = manifest.take_pending() if manifest is not None else []
        if entry.before:
            self.add(self.analyst_text(f"{pid}.before", entry.before, ctx, where), ctx)
        if entry.replace is not None:
            if generated is not None and _CITES_GENERATED.search(entry.replace):
                # the analyst continues the generated sentence in the same paragraph: "{{ generated }}上升的主要原因：…"
                if manifest is not None:
                    manifest.restore_pending(generated_numbers)
                para = self.analyst_text(pid, entry.replace, {**ctx, "generated": _GENERATED_SLOT}, where)
                para.html = Markup(str(para.html).replace(_GENERATED_SLOT, str(generated)))
            else:
                para = self.analyst_text(pid, entry.replace, ctx, where)
            para.generated = generated
            self.add(para, ctx)
        elif generated is not None:
            if manifest is not None:
                manifest.restore_pending(generated_numbers)
            self.add(Para(pid, Markup("<p>{}</p>").format(generated), generated=generated), slots)
        if entry.after:
            self.add(self.analyst_text(f"{pid}.after", entry.after, ctx, where), ctx)

    def key_figure(self, name: str, label: str, text: Callable[[], Any], where: str) -> None:
        """A figure a summary of the report (the scheduler's mail) may repeat: ``text()`` as the block ``where`` (just
        added) prints it.  Recorded in the manifest's ``summary`` only when the block's text holds it as is (an
        analyst's commentary may have replaced the sentence), so that a summary never shows a figure the report
        does not; formatting it again notes nothing."""
        manifest = provenance.active()
        if manifest is None:
            return
        before = manifest.take_pending()
        shown = str(text())
        manifest.discard_pending()
        manifest.restore_pending(before)
        block = next((b for b in reversed(self.doc.blocks) if getattr(b, "id", None) == where), None)
        if block is None or not shown:
            return
        from html import unescape

        plain = unescape(re.sub(r"<[^>]+>", "", str(block.html)))
        if shown in plain:
            manifest.summary.setdefault("key_figures", []).append(
                {"name": name, "label": label, "text": shown, "where": where})

    def figure(self, fid: str, caption_key: str, spec: ChartSpec, note: str | None = None, **vars: Any) -> None:
        captions = self.cfg.kind.captions
        if caption_key not in captions:
            raise ConfigError(f"配置错误：报告结构文件 {display_path(self.cfg.kind_path)} 缺少图表标题 captions.{caption_key}。")
        caption = self.wording.env.from_string(captions[caption_key]).render(**self.base_vars(), **vars)
        self.add(Figure(fid, str(caption), spec, note))


def build_report(cfg: Config, store: RecordStore | None, data: Any = None, compare: Period | None = None) -> Document:
    """The report's document; ``compare``: the plan's comparison period (reportgen/plan.py decides it, once)."""
    pf, kind = cfg.period_file, cfg.kind
    period = parse_period(pf.period, cfg.profile.assessment_day)
    if compare is None:
        from ..plan import comparison_of

        compare = comparison_of(period, pf.compare, cfg.profile.assessment_day)
    precision = kind.precision.model_dump() | pf.precision
    templates = dict(kind.wording) | dict(pf.wording)
    origin = {k: display_path(cfg.kind_path) for k in kind.wording} | {k: display_path(cfg.period_path) for k in pf.wording}
    footnotes = dict(kind.footnotes)
    anchored: dict[str, str | None] = {}
    anchor_of: dict[str, int] = {}          # footnote key → index of its remap in the taxonomy's remaps
    first_month = min(period.start, compare.start).strftime("%Y-%m")
    for remap in (store.applied_remaps if store is not None else ()):
        if remap.effective <= first_month:
            continue                # no record this report reads was restated: its footnote is of an earlier year
        for rule in remap.map:
            key = f"remap:{rule.to['category_l1']}"
            if key not in anchored:
                footnotes.setdefault(key, remap.footnote)
                anchored[key] = remap.anchor
                anchor_of[key] = cfg.taxonomy.remaps.index(remap)
    wording = Wording(templates, Footnotes(footnotes, anchored), origin)
    title = document_title(cfg, period, wording)
    issuer = pf.issuer.replace("{district}", cfg.district or "")
    doc = Document(kind.kind, title, issuer, pf.date, pf.document_date.isoformat(), toc_levels=kind.toc_levels,
                   layout=kind.layout, subject=cfg.district or "")
    ctx = BuildContext(cfg, store, period, compare, wording, doc, precision["wan"], precision["pct"], data=data)
    doc.wording = wording            # its calls, templates and origins: ``reportgen wording``
    ctx.para("preface", None)
    for spec in kind.sections:
        ctx.build_section(spec, 1)
    ctx.para("closing", None)        # the analysts' closing paragraphs after the last section (commentary only)
    manifest = provenance.active()
    if manifest is not None:         # what a summary of it (the scheduler's mail) names it by
        manifest.summary.update({"title": title, "district": cfg.district or "", "period": period.key})
    place_footnotes(doc, anchored, {s.id for s in _walk(kind.sections)},
                    lambda key, anchor: _unknown_anchor(cfg, anchor_of[key], anchor))
    unused = sorted(set(pf.commentary) - ctx.used_commentary)
    if unused:
        raise ConfigError(
            f"配置错误：文件 {display_path(cfg.period_path)}，commentary 中的段落 “{unused[0]}” 在报告中不存在。"
            "请检查段落编号（可用 reportgen paragraphs 列出全部编号）。"
        )
    return doc


def document_title(cfg: Config, period: Period | None = None, wording: Wording | None = None) -> str:
    """The report's title as its first page prints it: the period file's ``title``, else the structure's template
    (“10月“接诉即办”考核期工作情况分析”)."""
    if cfg.period_file.title:
        return cfg.period_file.title
    period = period or parse_period(cfg.period_file.period, cfg.profile.assessment_day)
    wording = wording or Wording({}, Footnotes({}))
    return str(wording.env.from_string(cfg.kind.title).render(
        year=period.year, period=period, city=cfg.profile.city, district=cfg.district))


def _unknown_anchor(cfg: Config, index: int, anchor: str) -> ConfigError:
    from ..config.load import load_model
    from ..config.models import Taxonomy

    path = cfg.profile_dir / cfg.profile.taxonomy
    _, tdoc = load_model(path, Taxonomy)
    line = tdoc.line_of(("remaps", index, "anchor"))
    ids = [s.id for s in _walk(cfg.kind.sections)]
    guess = difflib.get_close_matches(anchor, [*ids, "category"], n=1, cutoff=0.6)
    return ConfigError(f"配置错误：文件 {display_path(path)}" + (f" 第 {line} 行" if line else "")
                       + f"，键 remaps[{index}].anchor：报告结构 {display_path(cfg.kind_path)} 中没有编号为 “{anchor}” 的"
                       + "章节或段落" + (f"，是否想写 “{guess[0]}”？" if guess else "。")
                       + f"可写章节编号（{'、'.join(ids)}）、段落编号（reportgen paragraphs 列出）或 category（该类问题自己的小节）。")


class ChapterParams(SectionParams):
    intro: str | None = Field(default=None, description="导语段落的句式键（wording 中的键名）；不写则没有导语")


@section("chapter", params=ChapterParams, needs=())
def chapter(ctx: BuildContext, spec: SectionSpec, level: int) -> None:
    """A heading, an optional lead paragraph (wording key ``params.intro``), then the child sections."""
    ctx.heading(level, spec.title)
    intro = ctx.params(spec, ChapterParams).intro
    if intro:
        ctx.para(f"{spec.id}.intro", ctx.wording.render(intro, **ctx.base_vars(), **ctx.chapter_vars(spec)))
    for child in spec.children:
        ctx.build_section(child, level + 1)
