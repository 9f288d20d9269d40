"""``reportgen init``: the files a new period (or a new city) needs, made from the city's templates, never
overwriting what an analyst has written.

* ``init monthly --period 2023-10 --district 朝阳区``: ``periods/monthly-2023-10.yaml`` from
  ``periods/templates/monthly.yaml``; the district's folder (``brief.yaml`` with its commentary and wording, where
  ``case.md`` and the photos go); an empty Excel template for each assessment table of the period that is not
  there yet (``units-2023-10K.xlsx`` …), headed exactly as ``assessment.yaml``'s ``inputs`` name the columns, with
  a sheet 填写说明 that gives each column's type, whether it is required and an example value; the previous
  period's tables are looked for (the brief's 环比 needs them).
* ``init annual --period 2024``: ``periods/annual-2024.yaml`` from ``periods/templates/annual.yaml`` and an empty
  records template for each records file of the period that is not there yet (``records-2024.xlsx``).
* ``init city NAME``: a new city folder beside the current one, from the skeleton that comes with reportgen
  (``templates/city``): profile, taxonomy, assessment scheme, schedule, period templates — each with what to fill in.

The example values live in the 填写说明 sheet, never in the data sheet: an example row left in the data would be
counted.  Every step is told (created / kept), then what to fill in next.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from pathlib import Path

from .atomic import write_atomic
from .config.load import check_district, display_path, find_kind, load_model
from .config.models import PeriodFile, Profile, ReportKind
from .errors import ConfigError
from .periods import parse_period
from .workspace import TEMPLATES

EXAMPLES = {"period": "2023-10K", "text": "（文字）", "integer": "120", "positive": "3", "rate": "96.81%",
            "number": "0.5", "score": "95.21"}
TYPE_WORDS = {"period": "考核期（如 2023-10K）", "text": "文字", "integer": "非负整数（件数）", "positive": "正整数（排名、个数）",
              "rate": "比率（96.81 或 96.81%；百分比格式的单元格亦可）", "number": "数字", "score": "成绩（0–200）"}
RECORD_EXAMPLES = {"month": "2024-01", "date": "2024-01-19", "channel": "电话", "disposition": "派单",
                   "category_l1": "市场管理", "category_l2": "网络交易", "district": "朝阳区", "street": "",
                   "handler_level": "街乡镇", "handler": "", "topic": "", "tag": "", "count": "1"}


@dataclass
class Scaffold:
    created: list[Path] = field(default_factory=list)
    kept: list[Path] = field(default_factory=list)
    next_steps: list[str] = field(default_factory=list)

    def lines(self) -> list[str]:
        out = [f"已生成：{display_path(p)}" for p in self.created]
        out += [f"已存在，未改动：{display_path(p)}" for p in self.kept]
        if self.next_steps:
            out.append("接下来：")
            out += [f"  {i}. {s}" for i, s in enumerate(self.next_steps, start=1)]
        return out


def _write_new(path: Path, data: bytes, made: Scaffold) -> bool:
    if path.exists():
        made.kept.append(path)
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(path, data)
    made.created.append(path)
    return True


def period_key(kind: ReportKind, period: str, assessment_day: int) -> str:
    """The period as the period file writes it: '2023-10K' for a report on 考核期 (``data: assessment``)."""
    if kind.data == "assessment" and re.fullmatch(r"\d{4}-\d{2}", period):
        return f"{period}K"
    return period


def init_period(kind_name: str, period: str, profile_dir: Path, district: str | None = None,
                today: dt.date | None = None) -> Scaffold:
    """The period file, the district's folder and the data templates of one report; see the module docstring."""
    profile, _ = load_model(profile_dir / "profile.yaml", Profile)
    kind, _ = load_model(find_kind(profile_dir, kind_name), ReportKind)
    if kind.per_district and district is None:
        raise ConfigError(f"配置错误：报告 {kind_name} 按区生成，请用 --district 指定区"
                          f"（如 --district {profile.districts[0].name if profile.districts else '某区'}）。")
    if district is not None:
        if not kind.per_district:
            raise ConfigError(f"配置错误：报告 {kind_name} 不按区生成，不能指定 --district。")
        check_district(profile, district, profile_dir)
    name = period[:-1] if period.endswith("K") else period          # the file is named without the K
    key = period_key(kind, name, profile.assessment_day)
    try:
        p = parse_period(key, profile.assessment_day)
    except ValueError:
        raise ConfigError(f"配置错误：期间 “{period}” 的写法不对：年度报告写 2024，考核期写 2023-10（或 2023-10K）。") from None
    made = Scaffold()
    template = profile_dir / "periods" / "templates" / f"{kind_name}.yaml"
    target = profile_dir / "periods" / f"{kind_name}-{name}.yaml"
    if not target.exists():
        if not template.is_file():
            raise ConfigError(f"配置错误：没有期间文件的模板 {display_path(template)}。请复制上一期的期间文件为 "
                              f"{display_path(target)}，并改正其中的 period、compare 与 sources。")
        text = period_text(template.read_text(encoding="utf-8"), template, name, key, today or p.end,
                           profile.assessment_day)
        _write_new(target, text.encode("utf-8"), made)
    else:
        made.kept.append(target)
    pf, _ = load_model(target, PeriodFile)
    if district is not None and pf.district_folder:
        folder = (target.parent / pf.district_folder.replace("{district}", district)).resolve()
        _write_new(folder / "brief.yaml", _BRIEF.format(district=district, key=key).encode("utf-8"), made)
        made.next_steps.append(f"（可选）把本期典型案例写成 {display_path(folder / 'case.md')}，照片放在同一文件夹；"
                               "没有 case.md 时简报不印这一部分。本区的补充文字写在该文件夹的 brief.yaml 中。")
    for spec in pf.sources.get("assessment", []):
        folder = (target.parent / spec.path).resolve()
        _assessment_templates(profile_dir, folder, key, p, made)
    for spec in pf.sources.get("records", []):
        path = (target.parent / spec.path).resolve()
        if not path.exists() and path.suffix == ".xlsx":
            _write_new(path, _records_workbook(), made)
            made.next_steps.append(f"把受理记录填入 {display_path(path)}（表头已按所需的中文列名写好，见“填写说明”页）。")
        elif not path.exists():
            made.next_steps.append(f"数据文件 {display_path(path)} 还没有：请放入该文件，或把期间文件 sources.records 改为它的位置。")
    made.next_steps.append(f"检查期间文件 {display_path(target)}（发文日期、封面、各段落的 commentary）。")
    how = f" --district {district}" if district else ""
    from .names import default_output

    pdf = default_output(kind_name, name, key, district)          # the file render writes without --out
    made.next_steps.append(f"生成：reportgen render {kind_name} --period {name}{how}；预览并撰写文字：reportgen preview "
                           f"{kind_name} --period {name}{how}；核对数字：reportgen check {pdf.as_posix()}。")
    return made


def period_text(template: str, source: Path, name: str, key: str, document_date: dt.date, assessment_day: int) -> str:
    """A period file from its template (``init`` and the scheduler): the placeholders filled in, and the template's
    own opening comment (“由 reportgen init 据此生成 …”, about the template) replaced by where the file came from."""
    p = parse_period(key, assessment_day)
    compare = p.year_before() if p.kind == "year" else p.previous()
    lines = template.splitlines(keepends=True)
    while lines and lines[0].startswith("# 由 reportgen"):
        lines.pop(0)
    head = f"# 由 reportgen 据 {display_path(source)} 于 {dt.date.today().isoformat()} 生成，可直接修改；不会再被覆盖。\n"
    return head + ("".join(lines).replace("{period}", name).replace("{period_key}", key)
                   .replace("{compare}", compare.key).replace("{document_date}", document_date.isoformat()))


def _assessment_templates(profile_dir: Path, folder: Path, key: str, period, made: Scaffold) -> None:
    from .assessment.load import period_files
    from .assessment.models import load_assessment_config

    cfg = load_assessment_config(profile_dir)
    names = {"units": "各单位考评表", "districts": "各区考评表", "city": "全市汇总"}
    rows = {"units": "每行一个单位", "districts": "每行一个区", "city": "全市一行"}
    for table, path in zip(("units", "districts", "city"), period_files(folder, key)):
        if path.exists():
            made.kept.append(path)
            continue
        target = path.with_suffix(".xlsx")
        _write_new(target, _assessment_workbook(cfg, table, names[table], key), made)
        made.next_steps.append(f"把本期{names[table]}填入 {display_path(target)}（自“{names[table]}”页第 2 行起，"
                               f"{rows[table]}；表头勿改，说明见“填写说明”页）。")
    before = period.previous().key
    missing = [p for p in period_files(folder, before) if not p.exists()]
    if missing:
        made.next_steps.append(f"上一考核期（{before}）的考评表缺少 {'、'.join(display_path(p) for p in missing)}："
                               "简报的环比与排名变化需要它们，请一并放入该文件夹。")


def _workbook(sheet: str, header: list[str], notes: list[tuple[str, str, str, str]]) -> bytes:
    import io

    from openpyxl import Workbook
    from openpyxl.styles import Font

    wb = Workbook()
    ws = wb.active
    ws.title = sheet
    ws.append(header)
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for i, h in enumerate(header, start=1):
        ws.column_dimensions[ws.cell(1, i).column_letter].width = max(10, 2 * len(h) + 2)
    ws.freeze_panes = "A2"
    guide = wb.create_sheet("填写说明")
    guide.append(["列（表头）", "类型", "是否必填", "示例"])
    for row in notes:
        guide.append(list(row))
    for col, width in zip("ABCD", (28, 40, 10, 16)):
        guide.column_dimensions[col].width = width
    guide.append([])
    guide.append([f"数据填在“{sheet}”页，自第 2 行起；示例只写在本页，不要抄进数据页（会被计入）。"])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _assessment_workbook(cfg, table: str, sheet: str, key: str) -> bytes:
    cols = cfg.columns(table)
    header = [c.name for c in cols.values()]
    notes = []
    for c in cols.values():
        example = key if c.type == "period" else (c.values[0] if c.values else EXAMPLES[c.type])
        words = TYPE_WORDS[c.type] + (f"，取值：{'、'.join(c.values)}" if c.values else "")
        notes.append((c.name, words, "必填" if c.required else "可空", example))
    return _workbook(sheet, header, notes)


def _records_workbook() -> bytes:
    from .records.contract import FIELD_NAMES, REQUIRED

    header = [text.split("（")[1].rstrip("）").split("，")[0] for text in FIELD_NAMES.values()]
    notes = [(h, col, "必填" if col in REQUIRED else "可空（month 与 date 至少填一个）" if col in ("month", "date") else "可空",
              RECORD_EXAMPLES.get(col, "")) for h, col in zip(header, FIELD_NAMES)]
    return _workbook("受理记录", header, notes)


_BRIEF = """# {district} {key} 简报的本区文字（可选）。
# commentary：按段落编号改写或补充段落（reportgen paragraphs monthly --period … --district {district} 列出编号）；
# wording：按句式键改写句子（reportgen wording monthly --period … --district {district} 列出句式键与可用的数据名）。
# 例：
# commentary:
#   total.text:
#     after: 本月诉求量下降的主要原因是……
commentary: {{}}
wording: {{}}
"""


def init_city(name: str, dest: Path) -> Scaffold:
    """A new city folder ``dest`` from the skeleton that comes with reportgen; refused if ``dest`` exists."""
    skeleton = TEMPLATES / "city"
    if dest.exists():
        raise ConfigError(f"配置错误：{display_path(dest)} 已存在；新城市的配置文件夹请换一个名字。")
    made = Scaffold()
    for src in sorted(skeleton.rglob("*")):
        if src.is_file():
            text = src.read_text(encoding="utf-8").replace("{city}", name)
            _write_new(dest / src.relative_to(skeleton), text.encode("utf-8"), made)
    made.next_steps += [
        f"在 {display_path(dest / 'profile.yaml')} 中写全各区（名称、常住人口）与热线名称。",
        f"在 {display_path(dest / 'taxonomy.yaml')} 中写全问题分类（一级 → 二级）。",
        f"按本市的考评办法改 {display_path(dest / 'assessment.yaml')}（权重、表种、考评表的列）。",
        f"然后：reportgen init monthly --period 2024-01 --district 某区 --config {display_path(dest)}。",
    ]
    return made


__all__ = ["Scaffold", "init_city", "init_period", "period_key"]
