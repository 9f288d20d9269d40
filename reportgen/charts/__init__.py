"""Chart stage: chart spec -> SVG file (text kept as text), cached by content.

Public API::

    from reportgen.charts import Series, ChartSpec, ChartStyle, render_chart, render_charts

    style = ChartStyle(font_files=("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",))
    path = render_chart(ChartSpec("bar", ("网络交易", "物业服务"),
                                  (Series("2025年", (23.2, 18.0), labels=("23.2", "18.0")),),
                                  y_label="万件"), style, out_dir)
    paths = render_charts(specs, style, out_dir, workers=2)   # same order as specs

Families: "bar", "hbar", "grouped_bar", "line", "dual", "stacked_bar", "spark"
(see the module of each family for its conventions).  Charts never format
numbers: value labels are the preformatted ``Series.labels``; axis ticks are
plain numbers (no scientific notation, no offset).

SVG output
----------
matplotlib's SVG backend with ``svg.fonttype = 'none'``: every label is an
SVG ``<text>`` element whose style carries
``font-family: '<ChartStyle.font_family>'`` (exactly that one name, e.g.
``'Noto Sans CJK SC'``), ``font-size`` in user units (= pt) and explicit
``text-anchor``.  The SVG is ``width_mm x height_mm`` (given in pt), has a
transparent background, fixed ids (``svg.hashsalt``) and no date, so equal
inputs give byte-identical files.  The file name is the SHA-256 of the spec
(minus ``note``), the style and the package version (``cache.CHART_VERSION``).

What the HTML must do for the fonts (WeasyPrint >= 53, checked with 70)
----------------------------------------------------------------------
Embed charts as ``<img src="….svg">`` (or CSS ``background-image``); WeasyPrint
renders the SVG itself (``weasyprint/svg``), laying out each ``<text>`` with
Pango from the SVG's ``font-family`` attribute/style, using the *document's*
``FontConfiguration``.  So the family name in the SVG resolves exactly like a
``font-family`` in the HTML's CSS:

* If the font is installed where fontconfig sees it (here: Debian
  ``fonts-noto-cjk``, family "Noto Sans CJK SC"), nothing is needed in the
  HTML; no ``@font-face`` is required.  The PDF then has real, selectable
  text (``pdftotext`` returns the labels) in an embedded subset of the CJK
  font.
* If the font is *not* installed system-wide (e.g. shipped in the project's
  ``fonts/`` directory), the HTML's stylesheet must declare it with
  ``@font-face { font-family: "<exactly ChartStyle.font_family>"; src:
  url(<file>) }`` and the *same* ``FontConfiguration`` must be used for the
  stylesheet and ``write_pdf`` (``HTML(...).write_pdf(font_config=fc,
  stylesheets=[CSS(..., font_config=fc)])`` or simply the ``<style>`` in the
  page).  The declared fonts are visible to the SVGs drawn by that document.
  ``ChartStyle.font_files`` must list the same file so matplotlib measures
  with the same metrics.  (Checked by
  ``test_font_not_installed_needs_font_face_in_html``: fontconfig limited to
  DejaVu Sans; without the ``@font-face`` the labels come out as boxes, with
  it the CJK font is embedded.)
* Otherwise Pango silently falls back to whatever fontconfig offers; with no
  CJK font the labels come out as missing-glyph boxes.  ``pdftotext`` still
  "finds" such labels (the ToUnicode map is there), so check the embedded
  font (``pdffonts``), not only the extracted text.
* ``@font-face`` rules must be in the HTML's stylesheets (``<style>``/``<link>``
  or ``stylesheets=``); the SVG written here carries no ``<style>`` of its own.
* Do not style the SVG text from the HTML CSS (``img`` content is a separate
  document; CSS rules of the page do not reach it).
"""

from typing import Any

from .spec import FAMILIES, ChartSpec, Series

# matplotlib is imported only when a chart is drawn (a district brief has no chart; cached charts are not drawn)
_LAZY = {"CHART_VERSION": "cache", "chart_key": "cache", "draw_svg": "cache", "render_chart": "cache",
         "render_charts": "cache", "DEFAULT_FONT_FILES": "theme", "DEFAULT_PALETTE": "theme",
         "ChartStyle": "theme", "default_style": "theme"}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(f".{_LAZY[name]}", __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

__all__ = [
    "CHART_VERSION",
    "DEFAULT_FONT_FILES",
    "DEFAULT_PALETTE",
    "FAMILIES",
    "ChartSpec",
    "ChartStyle",
    "Series",
    "chart_key",
    "default_style",
    "draw_svg",
    "render_chart",
    "render_charts",
]
