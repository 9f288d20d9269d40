"""What the pipeline adds to a built document's figure manifest and text besides the sections' own figures:
the rows left out, names with digits, footnote calls and the charts' axis ticks (so that ``reportgen check``
finds every number the PDF prints)."""

from __future__ import annotations

import re
from html import unescape

from . import provenance
from .config import Config


def note_rejects(doc, manifest, n: int, what: str = "受理记录") -> None:
    """The report says how many record rows it left out, at its end; the command says so too."""
    from markupsafe import Markup

    from .reports.document import Para

    provenance.note(str(n), str(n), "行", provenance.Source("rows left out (bad_rows: skip)"))
    text = (f"说明：{what}中有{n}行不符合要求，未计入本报告的统计；每一行及其原因见与本报告同名、"
            "扩展名为 .rejects.csv 的文件。")
    doc.blocks.append(Para("data_note", Markup("<p>{}</p>").format(text), commentary=False))
    manifest.place("data_note")
    doc.notices.append(f"{what}中有 {n} 行不合格，已按期间文件的 bad_rows: skip 不计入；明细写在报告旁的 .rejects.csv 中。")


def names_with_digits(cfg: Config, store) -> list[str]:
    """Names the report may print that contain digits: the city's (hotline, districts, streets), the taxonomy's,
    and those in the records."""
    prof, tax = cfg.profile, cfg.taxonomy
    names = [prof.hotline, prof.city, *(d.name for d in prof.districts)]
    names += [n for l1, subs in tax.categories.items() for n in (l1, *subs)]
    if store is not None:
        names += store.names_with_digits()
    return [n for n in names if n and re.search(r"\d", n)]


def note_footnote_calls(doc, manifest: provenance.Manifest) -> None:
    """The footnote calls (superscript 1, 2, … — the stylesheet's one footnote counter, in document order) are
    printed in their block: noted there, so that ``reportgen check`` finds each call's number in its block."""
    n = 0
    for block in doc.blocks:
        where = str(getattr(block, "id", None) or getattr(block, "anchor", ""))
        text = "".join(str(getattr(block, k, None) or "") for k in ("title", "html", "caption", "note"))
        for _ in range(text.count('<span class="fn">')):
            n += 1
            manifest.entries.append(provenance.Entry(str(n), str(n), "注", where, {"measure": "footnote number"}))


_SVG_TEXT = re.compile(r"<text[^>]*>([^<]*)</text>")
_NUM = re.compile(r"^[−-]?\d+(?:\.\d+)?%?$")


def note_ticks(manifest: provenance.Manifest, fig) -> None:
    """Numbers a chart prints besides its value labels (axis ticks) go into the manifest too."""
    labels = {lab for s in fig.spec.series for lab in (s.labels or ())}
    for text in _SVG_TEXT.findall(fig.src.read_text(encoding="utf-8")):
        text = unescape(text).strip()
        if _NUM.match(text) and text not in labels:
            manifest.note(text.replace("−", "-").rstrip("%"), text, "axis", provenance.Source("axis tick"))
    manifest.place(fig.id)
