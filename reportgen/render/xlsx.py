"""Document → an .xlsx (openpyxl) for the analysts' next meeting: one sheet per table of the report (its 表N title,
header and note; numbers as numbers with the printed decimals, percentages as percent cells, rank changes as
signed numbers), one sheet per chart with the series it plots, and “数字清单”: every printed number with its block,
exact value, unit and how it was computed (the figure manifest)."""

from __future__ import annotations

import io
import re
from decimal import Decimal

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter

from ..reports.document import Document, Table

_INT = re.compile(r"^-?\d+$")
_DEC = re.compile(r"^-?\d+\.(\d+)$")
_PCT = re.compile(r"^(-?\d+(?:\.(\d+))?)%$")
_CHANGE = re.compile(r"^(\d+)([↑↓])$")
_BAD = re.compile(r"[\[\]:*?/\\]")


def cell_value(text: str) -> tuple[object, str | None]:
    """A printed cell as Excel should hold it: (value, number format); text stays text."""
    t = text.strip()
    if _INT.match(t):
        return int(t), "0"
    if m := _DEC.match(t):
        return float(Decimal(t)), "0." + "0" * len(m.group(1))
    if m := _PCT.match(t):
        places = len(m.group(2) or "")
        return float(Decimal(m.group(1)) / 100), "0" + ("." + "0" * places if places else "") + "%"
    if m := _CHANGE.match(t):          # 12↑ (up 12 places), 44↓
        n = int(m.group(1))
        return (n if m.group(2) == "↑" else -n), '0"↑";0"↓";0'
    return text, None


def _name(base: str, taken: set[str]) -> str:
    name = _BAD.sub("-", base)[:31] or "表"
    k = 2
    while name in taken:
        suffix = f"({k})"
        name = name[: 31 - len(suffix)] + suffix
        k += 1
    taken.add(name)
    return name


def _table_sheet(wb: Workbook, t: Table, n: int, taken: set[str]) -> None:
    caption = t.caption or f"表{n}"
    ws = wb.create_sheet(_name(caption.split("：", 1)[0] if "：" in caption else f"表{n}", taken))
    ws.append([caption])
    ws["A1"].font = Font(bold=True)
    ws.append(["".join(c.lines) if c.lines else c.text for c in t.header])
    for cell in ws[2]:
        cell.font = Font(bold=True)
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
    rows = [row for g in t.groups for row in g]
    for i, j, c in t.placed():
        if c.figure is not None:
            value, fmt = "（见报告中的图）", None
        elif c.lines:
            value, fmt = "\n".join(c.lines), None
        else:
            value, fmt = cell_value(c.text)
        cell = ws.cell(row=i + 2, column=j + 1, value=value)
        if fmt:
            cell.number_format = fmt
        if c.lines:
            cell.alignment = Alignment(wrap_text=True, vertical="top")
        if c.rowspan > 1:
            ws.merge_cells(start_row=i + 2, start_column=j + 1, end_row=min(i + c.rowspan - 1, len(rows)) + 2,
                           end_column=j + 1)
    if t.note:
        ws.append([])
        ws.append([re.sub(r"<[^>]+>", "", t.note)])
    for j in range(1, len(t.header) + 1):
        ws.column_dimensions[get_column_letter(j)].width = 14
    ws.freeze_panes = "A3"


def write_xlsx(doc: Document, manifest=None) -> bytes:
    wb = Workbook()
    wb.remove(wb.active)
    taken: set[str] = set()
    n = 0
    for block in doc.blocks:
        if isinstance(block, Table):
            n += 1
            _table_sheet(wb, block, n, taken)
    for k, fig in enumerate(doc.figures, start=1):
        ws = wb.create_sheet(_name(f"图{k:02d}", taken))
        ws.append([fig.caption])
        ws["A1"].font = Font(bold=True)
        ws.append(["类别", *(s.name for s in fig.spec.series)])
        for cell in ws[2]:
            cell.font = Font(bold=True)
        for i, cat in enumerate(fig.spec.categories):
            row: list[object] = [cat]
            for s in fig.spec.series:
                label = (s.labels[i] if s.labels and i < len(s.labels) else "") or ""
                value, _ = cell_value(label) if label else (s.values[i], None)
                row.append(value if isinstance(value, (int, float)) else s.values[i])
            ws.append(row)
        if fig.spec.y_label:
            ws.append([])
            ws.append([f"单位：{fig.spec.y_label}"])
        ws.column_dimensions["A"].width = 22
    ws = wb.create_sheet(_name("数字清单", taken))
    ws.append(["块", "印出的文字", "精确值", "单位", "计算方式", "筛选条件", "期间"])
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for e in (manifest.entries if manifest is not None else []):
        how = e.how or {}
        filters = how.get("filters") or {}
        ws.append([e.where, e.text, e.value, e.unit, how.get("measure", ""),
                   "；".join(f"{k}={v}" for k, v in filters.items()) if isinstance(filters, dict) else str(filters),
                   how.get("period", "")])
    for col, width in zip("ABCDEFG", (18, 14, 28, 8, 36, 40, 10)):
        ws.column_dimensions[col].width = width
    ws.freeze_panes = "A2"
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


__all__ = ["cell_value", "write_xlsx"]
