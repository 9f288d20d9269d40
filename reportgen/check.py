"""``reportgen check``: every number in the PDF's text must be in its figure manifest.

Numbers are taken from ``pdftotext`` page by page.  Excepted by rule (not by list):

* page numbers — a footer line '— 7 —', and the page reference at the end of a 目录 line;
* dates and times — a number followed by 年, 月, 日 or 时;
* names with digits — the hotline's name in the city profile (e.g. '12345' in '12345热线');
* heading and row numbers — a number followed by '.' at the start of a line (they are in the
  manifest too, as 序号).
Everything else must be a number the report printed from data, a chart's axis tick, or a number
an analyst typed in the period file — all three are in the manifest.
"""

from __future__ import annotations

import json
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

NUMBER = re.compile(r"(?<![\d.])[-−]?\d+(?:\.\d+)?")
DATE_AFTER = re.compile(r"^\s*(年|月|日|时)")
FOOTER = re.compile(r"^\s*—\s*\d+\s*—\s*$")
TOC_LINE = re.compile(r"(?:\.\s*){4,}\d+\s*$")


@dataclass(frozen=True)
class Unknown:
    page: int
    number: str
    line: str
    block: str | None = None

    def __str__(self) -> str:
        if self.block is not None:
            return (f"第 {self.page} 页：数字 {self.number} 不在所在段落 {self.block} 的数据清单中"
                    f"（所在行：“{self.line.strip()}”）")
        return f"第 {self.page} 页：数字 {self.number} 不在数据清单中（所在行：“{self.line.strip()}”）"


def pdf_pages(pdf: Path) -> list[str]:
    out = subprocess.run(["pdftotext", "-enc", "UTF-8", str(pdf), "-"], check=True, capture_output=True, text=True).stdout
    return out.split("\f")


def pdf_lines(pdf: Path) -> list[list[tuple[str, tuple[float, float, float, float]]]]:
    """Each page's lines of text with their rectangles (PDF points from the page's top left), from
    ``pdftotext -bbox-layout``; the pieces of one printed line (pdftotext cuts a justified line where its gaps
    are wide) are joined again, with a space."""
    import xml.etree.ElementTree as ET

    out = subprocess.run(["pdftotext", "-enc", "UTF-8", "-bbox-layout", str(pdf), "-"], check=True,
                         capture_output=True).stdout
    ns = {"h": "http://www.w3.org/1999/xhtml"}
    pages = []
    for page in ET.fromstring(out).iterfind(".//h:page", ns):
        lines: list[tuple[str, tuple[float, float, float, float]]] = []
        for block in page.iterfind(".//h:block", ns):
            for line in block.iterfind("h:line", ns):
                text = " ".join((w.text or "") for w in line.iterfind("h:word", ns))
                box = tuple(float(line.get(k)) for k in ("xMin", "yMin", "xMax", "yMax"))
                if lines and abs(lines[-1][1][1] - box[1]) < 2 and abs(lines[-1][1][3] - box[3]) < 2:
                    prev_text, prev = lines[-1]
                    lines[-1] = (prev_text + " " + text, (min(prev[0], box[0]), min(prev[1], box[1]),
                                                          max(prev[2], box[2]), max(prev[3], box[3])))
                else:
                    lines.append((text, box))
        pages.append(lines)
    return pages


def _numbers(line: str, name_digits: set[str]):
    """The numbers of a printed line that must be in the manifest (the rules of the module's docstring)."""
    if FOOTER.match(line):
        return
    body = TOC_LINE.sub("", line)
    for m in NUMBER.finditer(body):
        text = m.group().replace("−", "-")
        after = body[m.end():]
        if DATE_AFTER.match(after) or text in name_digits:
            continue
        if m.start() == len(body) - len(body.lstrip()) and after.startswith("."):
            continue
        yield text


def _block_at(blocks: dict, page: int, box: tuple[float, float, float, float]) -> str | None:
    """The block whose rectangle on ``page`` holds the middle of ``box``."""
    x, y = (box[0] + box[2]) / 2, (box[1] + box[3]) / 2
    for block, rects in blocks.items():
        for p, x0, y0, x1, y1 in rects:
            if p == page and x0 - 1 <= x <= x1 + 1 and y0 - 1 <= y <= y1 + 1:
                return block
    return None


def _without_names(line: str, names: list[str]) -> str:
    """The line with every name containing digits blanked out — also a name's start at the end of the line and its
    end at the start of the line (a name broken across two lines), when that piece holds the name's digits."""
    for name in names:
        line = line.replace(name, " " * len(name))
        for k in range(len(name) - 1, 2, -1):
            head, tail = name[:k], name[-k:]
            if re.search(r"\d", head) and line.endswith(head):
                line = line[: -k] + " " * k
                break
            if re.search(r"\d", tail) and line.startswith(tail):
                line = " " * k + line[k:]
                break
    return line


def find_unknown(pdf: Path, manifest: dict, names: list[str]) -> list[Unknown]:
    """Every number of the PDF's text that the manifest does not account for.  A number printed inside a block
    (paragraph, table, chart: the manifest's ``blocks`` say where each is printed) must be one of *that block's*
    numbers — a wrong figure that happens to equal a figure printed elsewhere is caught; a number outside every
    block (cover, 目录, headings, notes) must be somewhere in the manifest."""
    def norm(t: str) -> str:
        return t.replace("−", "-")

    known = {norm(e["text"]) for e in manifest["numbers"]}
    by_block: dict[str, set[str]] = {}
    for e in manifest["numbers"]:
        by_block.setdefault(e.get("where") or "", set()).add(norm(e["text"]))
    blocks = manifest.get("blocks") or {}
    printed_names = sorted({n for n in [*names, *manifest.get("names", [])] if re.search(r"\d", n or "")},
                           key=len, reverse=True)
    name_digits = {d for n in names for d in re.findall(r"\d+", n)}
    unknown = []
    if not blocks:                                   # a manifest of an earlier version: the whole report at once
        for page_no, page in enumerate(pdf_pages(pdf), start=1):
            for line in page.splitlines():
                unknown += [Unknown(page_no, t, line) for t in _numbers(line, name_digits)
                            if t not in known and t.lstrip("-") not in known]
        return unknown
    for page_no, lines in enumerate(pdf_lines(pdf), start=1):
        for line, box in lines:
            block = _block_at(blocks, page_no - 1, box)
            allowed = by_block.get(block, set()) if block is not None else known
            for t in _numbers(_without_names(line, printed_names), name_digits):
                if t not in allowed and t.lstrip("-") not in allowed:
                    unknown.append(Unknown(page_no, t, line, block))
    return unknown


@dataclass(frozen=True)
class Typed:
    """A number an analyst typed (not a slot), where it is, and — when the preview saw it copied from a figure —
    that figure's slot and what it prints now."""

    number: str
    block: str
    file: str
    copied_from: str | None = None
    now: str | None = None

    @property
    def stale(self) -> bool:
        """Copied from a figure that no longer prints this number (the data changed, the typed text did not)."""
        return self.now is not None and self.number not in NUMBER.findall(self.now.replace("−", "-"))

    def __str__(self) -> str:
        where = f"{self.file}（段落 {self.block}）"
        if self.stale:
            return (f"{where}：分析人员写的数字 {self.number} 抄自 {{{{ {self.copied_from} }}}}，该数据现为“{self.now}”。"
                    f"请改写这个数字，或改用 {{{{ {self.copied_from} }}}}（随数据更新）")
        return f"{where}：{self.number}" + (f"（抄自 {{{{ {self.copied_from} }}}}，现为“{self.now}”）" if self.copied_from else "")


def typed_numbers(manifest: dict) -> list[Typed]:
    """Every number of the manifest that an analyst typed, in document order."""
    out = []
    for e in manifest["numbers"]:
        how = e.get("how") or {}
        if how.get("measure") != "typed by an analyst":
            continue
        f = how.get("filters") or {}
        file = str(f.get("file", "")).split(" 的 commentary.")[0]
        out.append(Typed(e["text"], e.get("where") or "", file, f.get("copied_from"), f.get("now")))
    return out


class MismatchedManifest(Exception):
    """The manifest was written for another PDF than the one beside it."""


def check(pdf: Path, manifest_path: Path, names: list[str]) -> list[Unknown]:
    import hashlib

    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    want = manifest.get("pdf_sha256")
    if want and hashlib.sha256(pdf.read_bytes()).hexdigest() != want:
        raise MismatchedManifest(f"数据清单 {manifest_path} 不是为 {pdf} 这份 PDF 生成的（校验和不符，可能是两次生成之间"
                                 "被中断）；请重新生成报告后再核对。")
    return find_unknown(pdf, manifest, names)
