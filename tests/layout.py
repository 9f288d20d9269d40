"""A typesetter's measure of a report PDF, read from the glyph positions (PyMuPDF).

The same rules as ../shared/tools/layout_quality.py (which is not in a clone of this repository):
stretched lines (CJK characters further apart than 1.12 em), numbers spread apart (two digits further
apart than the usual digit advance + 0.08 em), ragged lines (not a paragraph's last line, ending more
than 1 em short of the type area's edge) and part-empty pages (content ends above 60 % of the type
area, the next page not opening a chapter, not the cover, last page or 目录).
Also: lines that run past the type area's edge (more than a compressed mark's blank half).
"""

from __future__ import annotations

import re
import statistics
from dataclasses import dataclass, field

import pymupdf

CHAPTER = re.compile(r"^[一二三四五六七八九十]+、")
CJK = re.compile(r"[\u4e00-\u9fff]")
DIG = re.compile(r"[0-9]")
CLOSING = set("）〕〉》」』】”’、，。．：；？！")


@dataclass
class Findings:
    stretched: list = field(default_factory=list)
    spread: list = field(default_factory=list)
    ragged: list = field(default_factory=list)
    empty: list = field(default_factory=list)
    overflow: list = field(default_factory=list)

    def counts(self) -> tuple[int, int, int, int, int]:
        return len(self.stretched), len(self.spread), len(self.ragged), len(self.empty), len(self.overflow)


def _body_lines(page):
    for b in page.get_text("rawdict")["blocks"]:
        lines = b.get("lines", [])
        for k, line in enumerate(lines):
            spans = [s for s in line["spans"] if s["size"] >= 12]
            chars = [c for s in spans for c in s["chars"]]
            if len(chars) >= 8 and abs(line["dir"][1]) < 1e-3:
                yield chars, max(s["size"] for s in spans), k == len(lines) - 1


def measure(path) -> Findings:
    doc = pymupdf.open(str(path))
    out = Findings()
    n = len(doc)
    texts = [p.get_text("text") for p in doc]
    toc = {i for i, t in enumerate(texts) if "目" in t[:40] and "录" in t[:60] or t.count("....") > 3}
    lines = [(i, chars, size, last) for i, p in enumerate(doc) if i not in toc for chars, size, last in _body_lines(p)]
    dig = [(b["origin"][0] - a["origin"][0]) / size for _, chars, size, _ in lines
           for a, b in zip(chars, chars[1:]) if DIG.match(a["c"]) and DIG.match(b["c"])]
    natural = statistics.median_low(dig) if dig else 0.5
    rights = sorted(c[-1]["bbox"][2] for _, c, _, _ in lines)
    right_edge = rights[int(len(rights) * 0.9)] if rights else 0
    for i, chars, size, last in lines:
        text = "".join(c["c"] for c in chars)
        if not last and right_edge - chars[-1]["bbox"][2] > size:
            out.ragged.append((i + 1, text))
        page_w = doc[i].rect.width
        edge = page_w - (26 if i % 2 == 0 else 28) / 25.4 * 72      # odd pages (right) 26 mm, even 28 mm
        over = chars[-1]["bbox"][2] - edge - (size / 2 if chars[-1]["c"] in CLOSING else 0)
        if over > 2.0:                      # a compressed closing mark may hang a hair past (its ink does not)
            out.overflow.append((i + 1, round(over, 1), text))
        adv = [(b["origin"][0] - a["origin"][0]) / size for a, b in zip(chars, chars[1:])
               if CJK.match(a["c"]) and CJK.match(b["c"])]
        if len(adv) >= 4 and statistics.median(adv) > 1.12:
            out.stretched.append((i + 1, text))
        for a, b in zip(chars, chars[1:]):
            if DIG.match(a["c"]) and DIG.match(b["c"]) and (b["origin"][0] - a["origin"][0]) / size > natural + 0.08:
                out.spread.append((i + 1, text))
                break
    for i, page in enumerate(doc):
        h = page.rect.height
        top_m, bot_m = 37 / 297 * h, 35 / 297 * h
        area = h - top_m - bot_m
        bottoms = [b[3] for b in page.get_text("blocks") if b[3] < h - bot_m + 5 and b[4].strip()]
        bottoms += [d["rect"].y1 for d in page.get_drawings() if d["rect"].y1 < h - bot_m + 5 and d["rect"].height < h / 2]
        bottoms += [r.y1 for img in page.get_images() for r in page.get_image_rects(img[0])]
        if not bottoms or i == 0 or i == n - 1 or i in toc:
            continue
        fill = (max(bottoms) - top_m) / area
        nxt = texts[i + 1].strip().splitlines()
        if fill < 0.60 and not (nxt and any(CHAPTER.match(x.strip()) for x in nxt[:2])):
            out.empty.append((i + 1, round(fill * 100)))
    return out
