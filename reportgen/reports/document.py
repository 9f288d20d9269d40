"""The document model handed from the report builders to the renderers."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from markupsafe import Markup

from ..charts import ChartSpec
from ..narrative import Wording


@dataclass
class Heading:
    level: int            # 1: 一、  2: （一）  3: 1.
    number: str
    title: str
    anchor: str
    kind: str = "heading"

    @property
    def text(self) -> str:
        return f"{self.number}{self.title}"


@dataclass
class Para:
    id: str
    html: Markup
    overridden: bool = False   # an analyst replaced the generated text
    generated: Markup | None = None
    commentary: bool = True    # false: not a commentary paragraph (e.g. the typical case, edited in its case.md)
    kind: str = "para"
    # the names a commentary of this paragraph may cite (the generated text's slots): the preview's editor
    slots: dict | None = field(default=None, repr=False, compare=False)


@dataclass
class Figure:
    id: str
    caption: str
    spec: ChartSpec
    note: str | None = None
    src: Path | None = None
    kind: str = "figure"


@dataclass
class Photo:
    src: Path             # the scaled copy in the cache (what the PDF embeds)
    caption: str
    width_mm: float
    height_mm: float
    original: Path | None = None


@dataclass
class Photos:
    """Photos of a typical case: a row between paragraphs, or one photo beside a paragraph."""

    id: str
    photos: list[Photo]
    placement: str = "row"        # row | beside
    html: Markup | None = None    # the paragraph the photo stands beside
    kind: str = "photos"


@dataclass
class Cell:
    text: str = ""
    rowspan: int = 1
    figure: Figure | None = None
    cls: str = ""
    lines: list[str] | None = None   # several lines in one cell (e.g. the top-3 units), kept aligned across cells


@dataclass
class Table:
    """A table whose header repeats on every page; a row is never split across pages."""

    id: str
    header: list[Cell]
    groups: list[list[list[Cell]]]
    cls: str = ""
    caption: str = ""          # '表1：…' above the table
    note: str = ""             # the note line under it
    kind: str = "table"

    def placed(self):
        """(row, column, cell) of the body rows (row 1 = the first under the header; columns from 0), each cell's
        column found past the cells that rows above span into (``rowspan``): the grid the .docx and .xlsx fill."""
        rows = [row for g in self.groups for row in g]
        ncols = len(self.header)
        taken: set[tuple[int, int]] = set()
        for i, row in enumerate(rows, start=1):
            j = 0
            for c in row:
                while (i, j) in taken:
                    j += 1
                if j >= ncols:
                    break
                for k in range(i + 1, min(i + c.rowspan - 1, len(rows)) + 1):
                    taken.add((k, j))
                yield i, j, c
                j += 1


@dataclass
class Document:
    kind: str
    title: str
    issuer: str
    date: str
    document_date: str
    blocks: list = field(default_factory=list)
    toc_levels: int = 2
    layout: str = "report"     # report: cover, 目录, body; brief: title and body from the first page
    subject: str = ""          # e.g. the district of a brief (PDF metadata)
    notices: list[str] = field(default_factory=list)   # told to the user, not printed (e.g. a section left out)
    omitted: list[str] = field(default_factory=list)   # titles of sections left out for want of input
    lang: str = "zh-CN"
    wording: Wording | None = field(default=None, repr=False, compare=False)   # the build's (its calls: reportgen wording)

    @property
    def headings(self) -> list[Heading]:
        return [b for b in self.blocks if isinstance(b, Heading)]

    @property
    def figures(self) -> list[Figure]:
        """Every figure: the blocks' and those inside table cells."""
        out: list[Figure] = []
        for b in self.blocks:
            if isinstance(b, Figure):
                out.append(b)
            elif isinstance(b, Table):
                out += [c.figure for g in b.groups for row in g for c in row if c.figure is not None]
        return out
