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
TOC_LINE = re.compile(r"\.{4,}\s*\d+\s*$")


@dataclass(frozen=True)
class Unknown:
    page: int
    number: str
    line: str

    def __str__(self) -> str:
        return f"第 {self.page} 页：数字 {self.number} 不在数据清单中（所在行：“{self.line.strip()}”）"


def pdf_pages(pdf: Path) -> list[str]:
    out = subprocess.run(["pdftotext", "-enc", "UTF-8", str(pdf), "-"], check=True, capture_output=True, text=True).stdout
    return out.split("\f")


def find_unknown(pdf: Path, manifest: dict, names: list[str]) -> list[Unknown]:
    known = {e["text"].replace("−", "-") for e in manifest["numbers"]}
    name_digits = {d for n in names for d in re.findall(r"\d+", n)}
    unknown = []
    for page_no, page in enumerate(pdf_pages(pdf), start=1):
        for line in page.splitlines():
            if FOOTER.match(line):
                continue
            body = TOC_LINE.sub("", line)
            for m in NUMBER.finditer(body):
                text = m.group().replace("−", "-")
                after = body[m.end():]
                if DATE_AFTER.match(after):
                    continue
                if text in name_digits:
                    continue
                if m.start() == len(body) - len(body.lstrip()) and after.startswith("."):
                    continue
                if text in known or text.lstrip("-") in known:
                    continue
                unknown.append(Unknown(page_no, text, line))
    return unknown


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
