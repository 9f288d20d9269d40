"""Common machinery of the report builders: context, commentary overrides, section registry."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

from markupsafe import Markup

from ..charts import ChartSpec
from ..config import Config
from ..config.load import display_path
from ..errors import ConfigError
from ..narrative import Footnotes, Wording, render_markdown
from ..numbers import cn_ordinal
from ..periods import Period, parse_period
from ..records import RecordStore
from .document import Document, Figure, Heading, Para

SectionBuilder = Callable[["BuildContext", Any], None]
SECTION_TYPES: dict[str, SectionBuilder] = {}


def section(type_name: str) -> Callable[[SectionBuilder], SectionBuilder]:
    def register(fn: SectionBuilder) -> SectionBuilder:
        SECTION_TYPES[type_name] = fn
        return fn
    return register


@dataclass
class BuildContext:
    cfg: Config
    store: RecordStore
    period: Period
    compare: Period
    wording: Wording
    doc: Document
    wan_places: int
    pct_places: int
    used_commentary: set[str] = field(default_factory=set)
    counters: list[int] = field(default_factory=lambda: [0, 0, 0])

    @property
    def year(self) -> int:
        return self.period.year

    def base_vars(self) -> dict[str, Any]:
        return {"year": self.period.year, "period": self.period, "compare": self.compare,
                "hotline": self.cfg.profile.hotline, "city": self.cfg.profile.city}

    # --- blocks ---------------------------------------------------------------------------
    def heading(self, level: int, title: str) -> Heading:
        self.counters[level - 1] += 1
        for i in range(level, len(self.counters)):
            self.counters[i] = 0
        n = self.counters[level - 1]
        anchor = "h-" + "-".join(str(c) for c in self.counters[:level])
        h = Heading(level, cn_ordinal(n, level), title, anchor)
        self.doc.blocks.append(h)
        return h

    def para(self, pid: str, generated: Markup | None, slots: dict[str, Any] | None = None) -> None:
        """A generated paragraph, replaced or extended by the analysts' commentary of the same id."""
        entry = self.cfg.period_file.commentary.get(pid)
        where = f"{display_path(self.cfg.period_path)} 的 commentary.{pid}"
        ctx = {**self.base_vars(), **(slots or {})}
        if entry is None:
            if generated is not None:
                self.doc.blocks.append(Para(pid, Markup("<p>{}</p>").format(generated), generated=generated))
            return
        self.used_commentary.add(pid)
        if entry.before:
            self.doc.blocks.append(Para(f"{pid}.before", render_markdown(entry.before, ctx, where), overridden=True))
        if entry.replace is not None:
            self.doc.blocks.append(Para(pid, render_markdown(entry.replace, ctx, where), overridden=True,
                                        generated=generated))
        elif generated is not None:
            self.doc.blocks.append(Para(pid, Markup("<p>{}</p>").format(generated), generated=generated))
        if entry.after:
            self.doc.blocks.append(Para(f"{pid}.after", render_markdown(entry.after, ctx, where), overridden=True))

    def figure(self, fid: str, caption_key: str, spec: ChartSpec, note: str | None = None, **vars: Any) -> None:
        captions = self.cfg.kind.captions
        if caption_key not in captions:
            raise ConfigError(f"配置错误：报告结构文件 {display_path(self.cfg.kind_path)} 缺少图表标题 captions.{caption_key}。")
        caption = self.wording.env.from_string(captions[caption_key]).render(**self.base_vars(), **vars)
        self.doc.blocks.append(Figure(fid, str(caption), spec, note))


def build_report(cfg: Config, store: RecordStore) -> Document:
    from . import annual  # noqa: F401  (registers the annual section types)

    pf, kind = cfg.period_file, cfg.kind
    period = parse_period(pf.period)
    compare = parse_period(pf.compare) if pf.compare else period.year_before()
    precision = kind.precision.model_dump() | pf.precision
    templates = dict(kind.wording) | dict(pf.wording)
    origin = {k: display_path(cfg.kind_path) for k in kind.wording} | {k: display_path(cfg.period_path) for k in pf.wording}
    footnotes = dict(kind.footnotes)
    for remap in cfg.taxonomy.remaps:
        for rule in remap.map:
            footnotes.setdefault(f"remap:{rule.to['category_l1']}", remap.footnote)
    wording = Wording(templates, Footnotes(footnotes), origin)
    title = pf.title or str(wording.env.from_string(kind.title).render(year=period.year, city=cfg.profile.city))
    doc = Document(kind.kind, title, pf.issuer, pf.date, pf.document_date.isoformat())
    ctx = BuildContext(cfg, store, period, compare, wording, doc, precision["wan"], precision["pct"])
    ctx.para("preface", None)
    for spec in kind.sections:
        builder = SECTION_TYPES.get(spec.type)
        if builder is None:
            raise ConfigError(
                f"配置错误：文件 {display_path(cfg.kind_path)}，章节 {spec.id} 的类型 “{spec.type}” 未知。"
                f"可用的类型：{'、'.join(sorted(SECTION_TYPES))}。"
            )
        builder(ctx, spec)
    unused = sorted(set(pf.commentary) - ctx.used_commentary)
    if unused:
        raise ConfigError(
            f"配置错误：文件 {display_path(cfg.period_path)}，commentary 中的段落 “{unused[0]}” 在报告中不存在。"
            "请检查段落编号（可用 reportgen paragraphs 列出全部编号）。"
        )
    return doc
