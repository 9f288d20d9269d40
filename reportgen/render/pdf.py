"""HTML → PDF with WeasyPrint: restricted resource loading, strict mode, fixed metadata, atomic write."""

from __future__ import annotations

import logging
from pathlib import Path
from urllib.parse import unquote, urlparse

from ..atomic import write_atomic  # noqa: F401  (re-exported: render.write_atomic)
from ..errors import RenderError

log = logging.getLogger("reportgen")


class _Counter(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


def make_url_fetcher(allowed_roots: list[Path]):
    """Only ``file:`` (and ``data:``) URLs under the allowed folders; no network, no other files.

    A refused URL raises inside WeasyPrint, which logs a warning and leaves the resource out
    (``--strict`` turns that warning into a failure).
    """
    from weasyprint.urls import URLFetcher

    roots = [r.resolve() for r in allowed_roots]

    class ProjectFetcher(URLFetcher):
        def fetch(self, url, headers=None):
            parsed = urlparse(url)
            if parsed.scheme == "file":
                path = Path(unquote(parsed.path)).resolve()
                if not any(path.is_relative_to(r) for r in roots):
                    raise PermissionError(f"报告引用了项目之外的文件 {path}，已拒绝")
            elif parsed.scheme != "data":
                raise PermissionError(f"报告引用了外部资源 {url}，只允许项目内的文件")
            return super().fetch(url, headers)

    return ProjectFetcher(allowed_protocols={"file", "data"}, timeout=5)


def page_map(rendered, offset: int) -> dict:
    """For each page its type and printed number (None when unnumbered); for each element with an ``id`` or
    ``data-id`` the page (0-based) on which it starts; and for each block (``data-id``) the rectangle it covers on
    each of its pages, in PDF points from the page's top left (``boxes``: id → [[page, x0, y0, x1, y1], …]) —
    ``reportgen check`` reads each number of the PDF against the manifest of the block it is printed in."""
    pages, ids = [], {}
    boxes: dict[str, dict[int, list[float]]] = {}
    pt = 0.75                                          # CSS px → pt
    for i, page in enumerate(rendered.pages):
        box = page._page_box
        kind = box.page_type.name or ""
        pages.append({"type": kind, "blank": bool(getattr(box.page_type, "blank", False)),
                      "folio": i - offset + 1 if kind == "body" and i >= offset else None})
        for child in box.descendants():
            element = getattr(child, "element", None)
            if element is None:
                continue
            for attr in ("data-id", "id"):
                key = element.get(attr)
                if key and f"{attr}:{key}" not in ids:
                    ids[f"{attr}:{key}"] = i
            block = element.get("data-id")
            if block and hasattr(child, "border_box_x"):
                x0, y0 = child.border_box_x(), child.border_box_y()
                x1, y1 = x0 + child.border_width(), y0 + child.border_height()
                r = boxes.setdefault(block, {}).get(i)
                boxes[block][i] = [min(r[0], x0), min(r[1], y0), max(r[2], x1), max(r[3], y1)] if r else [x0, y0, x1, y1]
    rects = {k: [[i, *(round(v * pt, 2) for v in r)] for i, r in sorted(per.items())] for k, per in boxes.items()}
    return {"pages": pages, "ids": ids, "boxes": rects}


CLOSING = set("）〕〉》」』】”’、，。．：；？！")
PX_PER_MM = 96 / 25.4


def outside_type_area(rendered, offset: int, tolerance_pt: float = 2.0) -> list[dict]:
    """Every line of text and every image that runs past the left or right edge of its page's type area
    (the page box's content area; headers and folios in the margin boxes are outside it by design).  A closing
    mark may hang by half its em (its blank half; its ink does not pass the edge), as in tests/layout.py.
    A table is measured by its border box (its columns' widths are the stylesheet's, padding and rules included);
    the text inside its cells is not measured again."""
    from weasyprint.formatting_structure import boxes

    found = []
    tol = tolerance_pt * 96 / 72
    for i, page in enumerate(rendered.pages):
        pbox = page._page_box
        left = pbox.content_box_x()
        right = left + pbox.width
        folio = i - offset + 1 if pbox.page_type.name == "body" and i >= offset else None
        stack = [c for c in pbox.children if not isinstance(c, boxes.MarginBox)]
        while stack:
            box = stack.pop()
            if isinstance(box, boxes.TableBox):
                x0 = box.border_box_x()
                over = max(x0 + box.border_width() - right, left - x0)
                if over > tol:
                    caption = (box.element.get("class") or "") if box.element is not None else ""
                    found.append({"page": i + 1, "folio": folio, "mm": over / PX_PER_MM,
                                  "text": f"表格 {caption}".strip()})
                continue      # the cells' text is laid out inside the table's fixed columns
            if isinstance(box, boxes.LineBox):
                texts = [b for b in box.descendants() if isinstance(b, boxes.TextBox) and b.text.strip("\u200b ")]
                if texts:
                    x0 = min(b.position_x for b in texts)
                    last = max(texts, key=lambda b: b.position_x + b.width)
                    x1 = last.position_x + last.width
                    hang = last.style["font_size"] / 2 if last.text.rstrip()[-1:] in CLOSING else 0
                    over = max(x1 - right - hang, left - x0)
                    if over > tol:
                        text = "".join(b.text for b in texts).replace("\u200b", "")
                        found.append({"page": i + 1, "folio": folio, "mm": over / PX_PER_MM, "text": text})
                stack.extend(c for c in box.children if not isinstance(c, (boxes.TextBox, boxes.InlineBox)))
                continue
            if isinstance(box, boxes.ReplacedBox):
                x0, x1 = box.position_x, box.position_x + box.margin_width()
                over = max(x1 - right, left - x0)
                if over > tol:
                    found.append({"page": i + 1, "folio": folio, "mm": over / PX_PER_MM,
                                  "text": f"图片 {box.element.get('alt') or box.element.get('src', '')[:60]}"})
                continue
            stack.extend(getattr(box, "children", ()))
    return found


def type_area_error(found: list[dict]) -> RenderError:
    """--strict: the pages and lines that run past the type area, in Chinese."""
    def page(f: dict) -> str:
        return f"第 {f['page']} 页" + (f"（页码 {f['folio']}）" if f["folio"] else "")

    def short(text: str) -> str:
        return text if len(text) <= 60 else text[:57] + "…"

    lines = [f"{page(f)}超出 {f['mm']:.1f} 毫米：“{short(f['text'])}”" for f in found[:5]]
    more = f"等 {len(found)} 处" if len(found) > 5 else ""
    return RenderError(f"渲染错误（--strict）：有内容超出版心（页面的排版区域）{more}：{'；'.join(lines)}。"
                       "长数字、网址等不能断开的文字请加空格或分成几段，图片请缩小。")


def page_labels(offset: int):
    """A finisher for WeasyPrint: PDF page labels equal to the printed folios (the body's first page is 1; the
    cover and 目录 before it are i, ii, …), and the viewer opens with the bookmarks panel shown."""
    import pydyf

    def finish(_document, pdf) -> None:
        nums = pydyf.Array()
        if offset:
            nums.extend([0, pydyf.Dictionary({"S": "/r"})])
        nums.extend([offset, pydyf.Dictionary({"S": "/D", "St": 1})])
        pdf.catalog["PageLabels"] = pydyf.Dictionary({"Nums": nums})
        pdf.catalog["PageMode"] = "/UseOutlines"

    return finish


def render_pdf(html: str, *, base_url: Path, allowed_roots: list[Path], strict: bool = False,
               layout: dict | None = None) -> tuple[bytes, int]:
    """Lay out and write the PDF; returns its bytes and its number of pages.

    ``layout`` (a dict, filled in): where each block landed — see :func:`page_map` (the preview
    draws its pages from it).

    The body's page numbers start at 1 after the cover and the 目录 (the stylesheet resets the page
    counter on the first body page), so the document is laid out once.
    """
    from weasyprint import HTML
    from weasyprint.text.fonts import FontConfiguration

    from .cjk_justify import enable as enable_cjk_justification
    from .floats import enable as enable_floats
    from .lines import set_lines
    from .typeset import wbr_as_zwsp

    enable_cjk_justification()
    enable_floats()
    if strict:
        from .weasy import compatible, problems

        compatible("lines")
        if problems():
            why = "；".join(f"{k}：{v}" for k, v in sorted(problems().items()))
            raise RenderError(f"渲染错误（--strict）：已安装的 WeasyPrint 与 reportgen 的排版补丁不符（{why}），"
                              "中文两端对齐或图表的延后放置不能生效。请安装 pyproject.toml 限定的 WeasyPrint 版本。")

    counter = _Counter()
    wlog = logging.getLogger("weasyprint")
    wlog.addHandler(counter)
    try:
        fonts = FontConfiguration()
        fetcher = make_url_fetcher(allowed_roots)
        html = set_lines(wbr_as_zwsp(html), Path(base_url) / "fonts")
        document = HTML(string=html, base_url=str(base_url) + "/", url_fetcher=fetcher)
        # one layout: the page counter restarts at the first body page (report.css, @page :nth(1 of body))
        rendered = document.render(font_config=fonts, optimize_images=False)
        offset = next((i for i, p in enumerate(rendered.pages) if p._page_box.page_type.name == "body"), 0)
        if strict and counter.records:
            msgs = "；".join(r.getMessage() for r in counter.records[:5])
            raise RenderError(f"渲染错误（--strict）：WeasyPrint 报告了 {len(counter.records)} 条警告：{msgs}")
        if strict:
            found = outside_type_area(rendered, offset)
            if found:
                raise type_area_error(found)
        if layout is not None:
            layout.update(page_map(rendered, offset))
        return rendered.write_pdf(uncompressed_pdf=False, finisher=page_labels(offset)), len(rendered.pages)
    finally:
        wlog.removeHandler(counter)
