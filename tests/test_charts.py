"""Tests of the chart stage (reportgen.charts): SVG content, caching,
determinism, parallel drawing, and the WeasyPrint -> PDF round trip."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import textwrap
import xml.etree.ElementTree as ET
from pathlib import Path

import matplotlib as mpl
import pytest

from reportgen.charts import (
    ChartSpec,
    ChartStyle,
    Series,
    chart_key,
    draw_svg,
    render_chart,
    render_charts,
)

NOTO = "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"
pytestmark = pytest.mark.skipif(not os.path.exists(NOTO), reason="fonts-noto-cjk not installed")

SVG_NS = "{http://www.w3.org/2000/svg}"
MONTHS = tuple(f"{i}月" for i in range(1, 13))
THIS = (98.1, 87.3, 110.2, 105.6, 112.9, 120.4, 131.5, 128.0, 115.2, 109.8, 101.3, 99.7)
LAST = (90.2, 80.1, 101.5, 99.8, 108.3, 115.6, 122.0, 125.3, 110.1, 104.2, 97.5, 95.0)
TOP = ("网络交易", "物业服务", "供暖", "噪声扰民", "房屋租赁", "交通管理", "市容环境卫生",
       "劳动和社会保障-工资拖欠", "教育培训机构退费", "医疗卫生服务", "城乡建设-老旧小区综合整治",
       "公共交通线路及站点设置", "燃气供应", "供水", "违法建设", "停车管理", "养老服务",
       "快递物流", "体育健身场所", "共享单车停放管理")
TOP_VALUES = tuple(round(40 - i * 1.7, 1) for i in range(20))


def fmt(values):
    """What the report does once; the charts only get the strings."""
    return tuple(f"{v:.1f}" for v in values)


@pytest.fixture(scope="module")
def style():
    return ChartStyle(font_files=(NOTO,))


def family_specs() -> dict[str, tuple[ChartSpec, list[str], list[str]]]:
    """family -> (spec, category labels expected as text, value labels expected)."""
    share = tuple(round(v * 0.38, 1) for v in THIS)
    phone = tuple(round(v - s, 1) for v, s in zip(THIS, share))
    growth = (8.8, 9.0, 8.6, 5.8, 4.2, 4.2, 7.8, 2.2, 4.6, 5.4, 3.9, 4.9)
    growth_l = tuple(f"{v:.1f}%" for v in growth)
    dist = ("东城区", "西城区", "朝阳区", "海淀区", "丰台区", "石景山区")
    dist_v = (32.1, 35.4, 98.2, 81.0, 52.3, 15.2)
    return {
        "bar": (ChartSpec("bar", dist, (Series("2025年", dist_v, fmt(dist_v)),), y_label="万件"),
                list(dist), list(fmt(dist_v)) + ["万件"]),
        "hbar": (ChartSpec("hbar", TOP[:8], (Series("受理量", TOP_VALUES[:8], fmt(TOP_VALUES[:8])),),
                           height_mm=90),
                 ["网络交易", "物业服务", "交通管理"], list(fmt(TOP_VALUES[:8]))),
        "grouped_bar": (ChartSpec("grouped_bar", MONTHS, (Series("2025年", THIS, fmt(THIS)),
                                                          Series("2024年", LAST, fmt(LAST)))),
                        list(MONTHS) + ["2025年", "2024年"], list(fmt(THIS)) + list(fmt(LAST))),
        "line": (ChartSpec("line", MONTHS, (Series("2025年", THIS, fmt(THIS)),
                                            Series("2024年", LAST, fmt(LAST)))),
                 list(MONTHS), list(fmt(THIS)) + list(fmt(LAST))),
        "dual": (ChartSpec("dual", MONTHS, (Series("受理量", THIS, fmt(THIS)),
                                            Series("同比增长", growth, growth_l, axis="right")),
                           y_label="万件", y2_label="%"),
                 list(MONTHS) + ["受理量", "同比增长", "万件", "%"], list(fmt(THIS)) + list(growth_l)),
        "stacked_bar": (ChartSpec("stacked_bar", MONTHS, (Series("电话", phone, fmt(phone)),
                                                          Series("网络", share, fmt(share))),
                                  height_mm=100),
                        list(MONTHS) + ["电话", "网络"], list(fmt(phone)) + list(fmt(share))),
        "spark": (ChartSpec("spark", MONTHS, (Series("受理量", THIS, fmt(THIS)),),
                            width_mm=30, height_mm=8),
                  [], ["99.7"]),  # sparklines draw no categories, only the last value
    }


def svg_texts(path: Path) -> list[ET.Element]:
    root = ET.parse(path).getroot()
    return list(root.iter(f"{SVG_NS}text"))


def text_strings(path: Path) -> list[str]:
    return [(t.text or "") for t in svg_texts(path)]


# --------------------------------------------------------------------------
# SVG content


@pytest.mark.parametrize("family", list(family_specs()))
def test_family_renders_text_as_text(family, style, tmp_path):
    spec, cats, values = family_specs()[family]
    path = render_chart(spec, style, tmp_path)
    assert path.parent == tmp_path and path.suffix == ".svg"
    texts = text_strings(path)
    joined = "".join(texts)
    for c in cats:
        assert c in texts or c in joined, f"category/legend label {c!r} not a <text>"
    for v in values:
        assert v in texts, f"value label {v!r} not a <text>"
    # text, not glyph outlines: no glyph definitions referenced with <use>
    raw = path.read_text(encoding="utf-8")
    assert "NotoSansCJK" not in raw and "DejaVu" not in raw
    # the font family written is exactly the style's one, on every text
    for t in svg_texts(path):
        fam = re.search(r"font-family:\s*([^;]+)", t.get("style", ""))
        assert fam and fam.group(1).strip() == "'Noto Sans CJK SC'"


def test_spark_has_no_axes_text(style, tmp_path):
    spec, _, _ = family_specs()["spark"]
    assert text_strings(render_chart(spec, style, tmp_path)) == ["99.7"]
    no_labels = ChartSpec("spark", MONTHS, (Series("x", THIS),), width_mm=30, height_mm=8)
    assert text_strings(render_chart(no_labels, style, tmp_path)) == []


def test_value_labels_off_and_none_values(style, tmp_path):
    vals = (1.0, None, 3.0)
    labels = ("1.0件", "", "3.0件")
    spec = ChartSpec("bar", ("甲", "乙", "丙"), (Series("s", vals, labels),))
    texts = text_strings(render_chart(spec, style, tmp_path))
    assert [t for t in texts if t.endswith("件")] == ["1.0件", "3.0件"]
    assert "" not in texts
    off = ChartSpec("bar", ("甲", "乙", "丙"), (Series("s", vals, labels),), value_labels=False)
    texts = text_strings(render_chart(off, style, tmp_path))
    assert not [t for t in texts if t.endswith("件")] and "甲" in texts


def test_plain_tick_numbers(style, tmp_path):
    big = tuple(1_000_000 + i * 50_000 for i in range(12))
    spec = ChartSpec("line", MONTHS, (Series("受理量", big),))
    texts = text_strings(render_chart(spec, style, tmp_path))
    numeric = [t for t in texts if re.fullmatch(r"-?[\d.]+", t)]
    assert any(re.fullmatch(r"1\d{6}", t) for t in numeric), texts
    assert not any("e" in t.lower() or "×" in t or "+" in t for t in texts if t not in MONTHS)


def test_bad_specs_rejected(style, tmp_path):
    with pytest.raises(ValueError):
        render_chart(ChartSpec("pie", ("a",), (Series("s", (1.0,)),)), style, tmp_path)
    with pytest.raises(ValueError):
        render_chart(ChartSpec("bar", ("a", "b"), (Series("s", (1.0,)),)), style, tmp_path)
    with pytest.raises(ValueError):
        render_chart(ChartSpec("bar", ("a",), (Series("s", (1.0,), ("1", "2")),)), style, tmp_path)
    with pytest.raises(ValueError):  # unknown family name would silently fall back to DejaVu
        render_chart(ChartSpec("bar", ("a",), (Series("s", (1.0,)),)),
                     ChartStyle(font_files=(NOTO,), font_family="No Such Font"), tmp_path)


# --------------------------------------------------------------------------
# layout: Chinese labels must not overlap


def _figure(spec, style):
    """Draw with the internal engine to inspect text extents."""
    from reportgen.charts.cache import _drawers
    from reportgen.charts.style import ensure_fonts, rc_params

    ensure_fonts(style)
    ctx = mpl.rc_context(rc_params(style))
    ctx.__enter__()
    fig = _drawers()[spec.family](spec, style)
    fig.draw_without_rendering()
    return fig, ctx


def _overlaps(boxes):
    boxes = sorted(boxes, key=lambda b: (b.x0, b.y0))
    return [(a, b) for i, a in enumerate(boxes) for b in boxes[i + 1:]
            if a.x0 < b.x1 - 0.5 and b.x0 < a.x1 - 0.5 and a.y0 < b.y1 - 0.5 and b.y0 < a.y1 - 0.5]


def test_hbar_top20_long_names_do_not_overlap(style):
    spec = ChartSpec("hbar", TOP, (Series("受理量", TOP_VALUES, fmt(TOP_VALUES)),),
                     height_mm=130, y_label="万件")
    fig, ctx = _figure(spec, style)
    try:
        ax = fig.axes[0]
        labels = [t for t in ax.get_yticklabels() if t.get_text()]
        assert [t.get_text().replace("\n", "") for t in labels] == list(TOP)  # top-down order
        assert labels[0].get_window_extent().y0 > labels[-1].get_window_extent().y0
        assert not _overlaps([t.get_window_extent() for t in labels])
        # value labels inside the figure and to the right of the names
        vl = [t for t in ax.texts if t.get_text() in fmt(TOP_VALUES)]
        assert len(vl) == 20
        assert max(t.get_window_extent().x1 for t in vl) <= fig.bbox.x1
        assert max(t.get_window_extent().x1 for t in labels) <= ax.bbox.x0
    finally:
        ctx.__exit__(None, None, None)


def test_month_axis_is_horizontal_and_not_overlapping(style):
    spec = ChartSpec("grouped_bar", MONTHS, (Series("2025年", THIS, fmt(THIS)),
                                             Series("2024年", LAST, fmt(LAST))))
    fig, ctx = _figure(spec, style)
    try:
        ax = fig.axes[0]
        labels = ax.get_xticklabels()
        assert [t.get_text() for t in labels] == list(MONTHS)
        assert all(t.get_rotation() == 0 for t in labels)
        assert not _overlaps([t.get_window_extent() for t in labels])
        # 24 value labels on 12 groups: must not overlap each other or leave the axes
        vl = [t for t in ax.texts if t.get_visible() and t.get_text()]
        assert len(vl) == 24
        assert not _overlaps([t.get_window_extent() for t in vl])
        assert max(t.get_window_extent().y1 for t in vl) <= ax.bbox.y1 + 0.5
    finally:
        ctx.__exit__(None, None, None)


def test_long_category_names_on_vertical_bars_wrap_or_rotate(style):
    cats = ("东城区", "西城区", "朝阳区", "海淀区", "丰台区", "石景山区", "门头沟区", "房山区",
            "通州区", "顺义区", "昌平区", "大兴区", "怀柔区", "平谷区", "密云区", "延庆区",
            "北京经济技术开发区")
    vals = tuple(float(i + 5) for i in range(len(cats)))
    spec = ChartSpec("bar", cats, (Series("2025年", vals, fmt(vals)),))
    fig, ctx = _figure(spec, style)
    try:
        ax = fig.axes[0]
        labels = ax.get_xticklabels()
        assert [t.get_text().replace("\n", "") for t in labels] == list(cats)
        rotated = {t.get_rotation() for t in labels} != {0.0}
        if not rotated:
            assert not _overlaps([t.get_window_extent() for t in labels])
        else:
            # rotated 45°: the gap between anchors, measured across the text
            # direction, must exceed the line height
            xs = [ax.transData.transform((i, 0))[0] for i in range(len(cats))]
            pitch = (xs[1] - xs[0]) * 0.7071
            assert pitch > labels[0].get_fontsize() * 1.1
        # labels stay inside the figure
        assert min(t.get_window_extent().x0 for t in labels) >= fig.bbox.x0 - 0.5
        assert min(t.get_window_extent().y0 for t in labels) >= fig.bbox.y0 - 0.5
    finally:
        ctx.__exit__(None, None, None)


def test_no_global_matplotlib_state_leaks(style, tmp_path):
    before = dict(mpl.rcParams)
    render_chart(family_specs()["line"][0], style, tmp_path)
    render_chart(family_specs()["bar"][0], style, tmp_path)
    after = dict(mpl.rcParams)
    assert {k: v for k, v in after.items() if before.get(k) != v} == {}
    code = ("import sys; from reportgen.charts import *; from pathlib import Path; "
            f"render_chart(ChartSpec('bar', ('甲',), (Series('s', (1.0,)),)), "
            f"ChartStyle(font_files=({NOTO!r},)), Path({str(tmp_path)!r})); "
            "assert 'matplotlib.pyplot' not in sys.modules, 'pyplot imported'")
    subprocess.run([sys.executable, "-c", code], check=True)


# --------------------------------------------------------------------------
# cache and determinism


def test_cache_hit_is_not_rewritten_and_bytes_identical(style, tmp_path):
    spec = family_specs()["dual"][0]
    p1 = render_chart(spec, style, tmp_path)
    st1 = p1.stat()
    data1 = p1.read_bytes()
    p2 = render_chart(spec, style, tmp_path)
    st2 = p2.stat()
    assert p1 == p2
    assert (st1.st_ino, st1.st_mtime_ns, st1.st_size) == (st2.st_ino, st2.st_mtime_ns, st2.st_size)
    assert p2.read_bytes() == data1
    # redrawing from scratch gives the same bytes
    assert draw_svg(spec, style) == data1
    # no temp files left behind
    assert [p.name for p in tmp_path.iterdir()] == [p1.name]
    # a changed value is another chart
    s0 = spec.series[0]
    changed = ChartSpec(spec.family, spec.categories,
                        (Series(s0.name, (s0.values[0] + 0.1,) + s0.values[1:], s0.labels,
                                s0.axis, s0.kind, s0.color),) + spec.series[1:],
                        spec.y_label, spec.y2_label)
    p3 = render_chart(changed, style, tmp_path)
    assert p3 != p1 and p3.exists() and p1.read_bytes() == data1
    # the note is not drawn and not part of the key; the style is
    assert chart_key(spec, style) == chart_key(
        ChartSpec(**{**spec.__dict__, "note": "注：数据来源于12345热线。"}), style)
    assert chart_key(spec, style) != chart_key(spec, ChartStyle(font_files=(NOTO,), font_size_pt=10))


def test_existing_file_is_trusted_as_cache_hit(style, tmp_path):
    spec = family_specs()["bar"][0]
    p = tmp_path / f"{chart_key(spec, style)}.svg"
    p.write_bytes(b"<svg/>")
    assert render_chart(spec, style, tmp_path) == p
    assert p.read_bytes() == b"<svg/>"  # nothing drawn on a hit


def test_render_charts_parallel_order_and_hits(style, tmp_path):
    fam = family_specs()
    specs = [fam[k][0] for k in ("line", "bar", "dual", "stacked_bar", "spark")]
    specs.append(fam["bar"][0])  # duplicate -> same path, drawn once
    pre = render_chart(fam["dual"][0], style, tmp_path)  # a hit before the batch
    pre_stat = pre.stat()
    paths = render_charts(specs, style, tmp_path, workers=2)
    assert paths == [tmp_path / f"{chart_key(s, style)}.svg" for s in specs]
    assert paths[1] == paths[5] and len(set(paths)) == 5
    assert pre.stat().st_mtime_ns == pre_stat.st_mtime_ns and pre.stat().st_ino == pre_stat.st_ino
    for s, p in zip(specs, paths):
        # drawn in another (spawned) process, identical to an in-process drawing
        assert p.read_bytes() == draw_svg(s, style)
    assert sorted(x.name for x in tmp_path.iterdir()) == sorted({p.name for p in paths})
    # second call: all hits, nothing rewritten
    stats = [p.stat().st_mtime_ns for p in paths]
    assert render_charts(specs, style, tmp_path, workers=2) == paths
    assert [p.stat().st_mtime_ns for p in paths] == stats


# --------------------------------------------------------------------------
# end to end: SVG in HTML -> WeasyPrint -> PDF with real CJK text


def _pdf_fonts(pdf_path: Path) -> dict[str, bool]:
    """BaseFont name -> embedded?, walking pages and form XObjects."""
    from pypdf import PdfReader

    fonts: dict[str, bool] = {}
    seen: set[int] = set()

    def walk(res):
        if res is None:
            return
        res = res.get_object()
        for _name, f in (res.get("/Font") or {}).items():
            f = f.get_object()
            desc_fonts = f.get("/DescendantFonts")
            target = desc_fonts.get_object()[0].get_object() if desc_fonts else f
            fd = target.get("/FontDescriptor")
            fd = fd.get_object() if fd else {}
            fonts[str(f.get("/BaseFont"))] = any(k in fd for k in ("/FontFile", "/FontFile2", "/FontFile3"))
        for _name, x in (res.get("/XObject") or {}).items():
            if id(x) in seen:
                continue
            seen.add(id(x))
            x = x.get_object()
            if x.get("/Subtype") == "/Form":
                walk(x.get("/Resources"))

    for page in PdfReader(str(pdf_path)).pages:
        walk(page.get("/Resources"))
    return fonts


def test_weasyprint_pdf_has_selectable_cjk_text(style, tmp_path):
    import weasyprint

    spec = ChartSpec("bar", ("网络交易", "物业服务", "供暖"),
                     (Series("受理量", (23.2, 18.0, 9.5), ("23.2", "18.0", "9.5")),), y_label="万件")
    path = render_chart(spec, style, tmp_path)
    shutil.copy(path, tmp_path / "chart.svg")
    html = ("<html><head><meta charset='utf-8'></head><body>"
            "<img src='chart.svg' style='width:150mm'></body></html>")
    pdf = tmp_path / "out.pdf"
    weasyprint.HTML(string=html, base_url=str(tmp_path) + "/").write_pdf(pdf)
    txt = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], check=True,
                         capture_output=True, text=True).stdout
    for s in ("网络交易", "物业服务", "供暖", "23.2", "18.0", "万件"):
        assert s in txt, (s, txt)
    fonts = _pdf_fonts(pdf)
    cjk = [name for name in fonts if "Noto" in name and "CJK" in name]
    assert cjk, fonts  # pdftotext alone is not enough: tofu boxes extract too
    assert all(fonts[n] for n in cjk), fonts


FC_CONF = """<?xml version="1.0"?>
<!DOCTYPE fontconfig SYSTEM "fonts.dtd">
<fontconfig><dir>{fonts}</dir><cachedir>{cache}</cachedir></fontconfig>
"""

WP_SCRIPT = textwrap.dedent("""
    import sys, weasyprint
    face = sys.argv[2] == "fontface"
    css = ("@font-face {{ font-family: 'Noto Sans CJK SC'; src: url('file://{noto}') }}"
           if face else "")
    html = ("<html><head><meta charset='utf-8'><style>" + css + "</style></head>"
            "<body><img src='chart.svg'></body></html>")
    weasyprint.HTML(string=html, base_url=sys.argv[1] + "/").write_pdf(sys.argv[1] + "/" + sys.argv[2] + ".pdf")
""")


def test_font_not_installed_needs_font_face_in_html(style, tmp_path):
    """With fontconfig seeing no CJK font (only DejaVu Sans), the SVG text
    falls back (boxes) unless the HTML declares @font-face for the family;
    the page's @font-face is used for text inside <img> SVGs."""
    spec = ChartSpec("bar", ("网络交易", "供暖"), (Series("s", (2.0, 1.0), ("2.0", "1.0")),))
    shutil.copy(render_chart(spec, style, tmp_path), tmp_path / "chart.svg")
    fonts_dir = tmp_path / "fcfonts"
    fonts_dir.mkdir()
    dejavu = Path(mpl.get_data_path()) / "fonts" / "ttf" / "DejaVuSans.ttf"
    shutil.copy(dejavu, fonts_dir)
    conf = tmp_path / "fonts.conf"
    conf.write_text(FC_CONF.format(fonts=fonts_dir, cache=tmp_path / "fccache"))
    script = tmp_path / "wp.py"
    script.write_text(WP_SCRIPT.format(noto=NOTO))
    env = {**os.environ, "FONTCONFIG_FILE": str(conf)}
    env.pop("FONTCONFIG_PATH", None)
    for mode in ("plain", "fontface"):
        subprocess.run([sys.executable, str(script), str(tmp_path), mode], env=env, check=True,
                       capture_output=True, timeout=120)
    plain = _pdf_fonts(tmp_path / "plain.pdf")
    face = _pdf_fonts(tmp_path / "fontface.pdf")
    assert not any("CJK" in n for n in plain), plain
    assert any("Noto" in n and "CJK" in n and emb for n, emb in face.items()), face
    txt = subprocess.run(["pdftotext", str(tmp_path / "fontface.pdf"), "-"], check=True,
                         capture_output=True, text=True).stdout
    assert "网络交易" in txt


# --------------------------------------------------------------------------
# issue 15 (item 4): precision, dual axes, legends, combo charts, wrapping, no “-0.0”


def _svg_ticks(svg: bytes, cats) -> tuple[dict[float, str], dict[float, str]]:
    """Left and right axis tick numbers of a chart, read back from its SVG: {y: text}."""
    root = ET.fromstring(svg)
    items = []
    for t in root.iter(f"{SVG_NS}text"):
        anchor = re.search(r"text-anchor:\s*(\w+)", t.get("style", "")).group(1)
        items.append((t.text or "", anchor, float(t.get("x")), float(t.get("y"))))
    cat_x = [x for s, _a, x, _y in items if s in cats]
    lo, hi = min(cat_x), max(cat_x)
    num = re.compile(r"-?\d+(\.\d+)?")
    left = {round(y, 1): s for s, a, x, y in items if num.fullmatch(s) and a == "end" and x < lo}
    right = {round(y, 1): s for s, a, x, y in items if num.fullmatch(s) and a == "start" and x > hi}
    return left, right


def _line_segments(fig):
    """(line, segment) of every series' line (not the zero line) in display units."""
    import numpy as np

    out = []
    for a in fig.axes:
        for ln in a.get_lines():
            if ln.get_label().startswith("_"):
                continue
            xy = ln.get_transform().transform(np.asarray(ln.get_xydata(), dtype=float))
            out += [(ln, (*p, *q)) for p, q in zip(xy[:-1], xy[1:])
                    if np.isfinite(p).all() and np.isfinite(q).all()]
    return out


def _value_labels(fig):
    return [t for a in fig.axes for t in a.texts if t.get_visible() and t.get_text()
            and re.fullmatch(r"-?[\d.]+%?", t.get_text())]


SHARE = ChartSpec("dual", ("住房", "城乡建设", "环境保护", "公共服务", "市容环卫", "市政"),
                  (Series("占比变化", (-1.7, -2.4, -0.9, -0.3, -0.3, -1.0),
                          ("-1.7", "-2.4", "-0.9", "-0.3", "-0.3", "-1.0"), color="signed"),
                   Series("同比", (69.2, 34.4, 36.7, 100.6, 87.7, 33.1),
                          ("69.2", "34.4", "36.7", "100.6", "87.7", "33.1"), axis="right", kind="line")),
                  y_label="百分点", y2_label="%", height_mm=70)
COMBO = ChartSpec("dual", MONTHS, (
    Series("承办量", tuple(float(v * 100) for v in THIS), kind="bar"),
    *(Series(name, tuple(float(v * (9 - k)) for v in LAST), axis="right", kind="line")
      for k, name in enumerate(("住房", "市场管理", "城乡建设", "市容环卫", "交通管理")))),
    y_label="件", y2_label="件", value_labels=False, height_mm=62)


@pytest.mark.parametrize("spec", [family_specs()["dual"][0], SHARE, COMBO], ids=["volume", "share", "combo"])
def test_dual_axes_share_gridlines_with_round_ticks(spec, style):
    from decimal import Decimal

    left, right = _svg_ticks(draw_svg(spec, style), spec.categories)
    assert len(left) >= 4 and sorted(left) == sorted(right), (left, right)   # same y positions
    for ticks in (left, right):
        vals = [Decimal(ticks[y]) for y in sorted(ticks, reverse=True)]     # bottom-up
        steps = {b - a for a, b in zip(vals, vals[1:])}
        assert len(steps) == 1                                               # evenly spaced
        step = steps.pop()
        mantissa = step.scaleb(-step.adjusted()).normalize()
        assert mantissa in {Decimal(1), Decimal(2), Decimal("2.5"), Decimal(5)}, step


@pytest.mark.parametrize("spec", [family_specs()["dual"][0], SHARE, COMBO], ids=["volume", "share", "combo"])
def test_dual_series_use_most_of_the_height(spec, style):
    fig, ctx = _figure(spec, style)
    try:
        ax = fig.axes[0]
        h = ax.bbox.height
        for a in fig.axes:
            ys = [y for ln in a.get_lines() for y in ln.get_transform().transform(ln.get_xydata())[:, 1]
                  if ln.get_xydata().size and ln.get_label() and not ln.get_label().startswith("_")]
            ys += [v for p in a.patches for v in (p.get_window_extent().y0, p.get_window_extent().y1)]
            if ys:
                assert (max(ys) - min(ys)) / h >= 0.5, (a, (max(ys) - min(ys)) / h)
    finally:
        ctx.__exit__(None, None, None)


@pytest.mark.parametrize("spec", [family_specs()["dual"][0], family_specs()["line"][0], SHARE],
                         ids=["volume", "two-lines", "share"])
def test_value_labels_never_cross_another_series_or_each_other(spec, style):
    from reportgen.charts.labels import segment_hits_box

    fig, ctx = _figure(spec, style)
    try:
        labels = _value_labels(fig)
        assert len(labels) >= len(spec.categories)      # thinned at most, not dropped wholesale
        boxes = [t.get_window_extent() for t in labels]
        assert not _overlaps(boxes)
        segs = _line_segments(fig)
        for t, box in zip(labels, boxes):
            x, y = t.xy
            own = [ln for ln in t.axes.get_lines() if float(x).is_integer()
                   and len(ln.get_ydata()) > int(x) and ln.get_ydata()[int(x)] == y]
            for ln, seg in segs:
                if ln in own:            # a label may touch its own line at a dip, never another
                    continue
                assert not segment_hits_box(seg, box), (t.get_text(), ln.get_label())
            # inside the plot
            assert fig.axes[0].bbox.y0 - 0.5 <= box.y0 and box.y1 <= fig.axes[0].bbox.y1 + 0.5
    finally:
        ctx.__exit__(None, None, None)


def test_combo_bars_are_light_under_lines(style):
    from matplotlib.colors import to_rgb

    fig, ctx = _figure(COMBO, style)
    try:
        bar = fig.axes[0].patches[0].get_facecolor()
        assert sum(bar[:3]) / 3 > 0.6                      # a light tint: the five lines read over it
        colors = {ln.get_color() for ln in fig.axes[1].get_lines()}
        assert len(colors) == 5 and all(sum(to_rgb(c)) / 3 < 0.7 for c in colors)
    finally:
        ctx.__exit__(None, None, None)


LONG_LEGEND = ChartSpec("line", MONTHS, tuple(
    Series(n, tuple(v / (k + 1) for v in THIS)) for k, n in enumerate(
        ("物业服务不规范", "小区停车秩序管理", "小区安保问题", "业主大会及业主委员会", "物业收费问题"))),
    y_label="万件", value_labels=False, height_mm=62)


@pytest.mark.parametrize("width", [150.0, 100.0, 60.0])
def test_legend_inside_the_figure(style, width):
    spec = ChartSpec(**{**LONG_LEGEND.__dict__, "width_mm": width})
    fig, ctx = _figure(spec, style)
    try:
        leg = fig.legends[0]
        box = leg.get_window_extent()
        assert fig.bbox.x0 <= box.x0 and box.x1 <= fig.bbox.x1 and box.y1 <= fig.bbox.y1 + 0.5
        texts = [t.get_text().replace("\n", "") for t in leg.get_texts()]
        assert texts == [s.name for s in spec.series]           # nothing cut off
        for t in leg.get_texts():
            e = t.get_window_extent()
            assert fig.bbox.x0 <= e.x0 and e.x1 <= fig.bbox.x1
        # the legend stays above the plot
        assert box.y0 >= fig.axes[0].bbox.y1
    finally:
        ctx.__exit__(None, None, None)


def test_wrap_label_breaks_between_words(style):
    from reportgen.charts.style import ensure_fonts, text_width_pt, wrap_label

    ensure_fonts(style)
    narrow = text_width_pt("白纸坊", style) + 1
    assert wrap_label("白纸坊街道", narrow, style) == "白纸坊\n街道"
    assert wrap_label("大数据中心", narrow, style) == "大数据\n中心"
    assert wrap_label("金顶街街道", narrow, style) == "金顶街\n街道"
    assert wrap_label("劳动和社会保障", text_width_pt("社会保障", style) + 1, style) == "劳动和\n社会保障"
    assert wrap_label("北京市大数据中心", narrow, style) == "北京市\n大数据\n中心"
    assert wrap_label("石景山区", narrow, style) is None                 # never 石景山/区
    assert wrap_label("石景山区", 100, style) == "石景山区"
    assert wrap_label("10月", 5, style) is None


def test_category_axis_wraps_at_word_boundaries_or_rotates(style):
    streets = ("白纸坊街道", "大栅栏街道", "金顶街街道", "八宝山街道", "鲁谷街道", "苹果园街道",
               "广宁街道", "五里坨街道", "老山街道", "古城街道", "八角街道", "大数据中心")
    vals = tuple(float(1000 + 100 * i) for i in range(len(streets)))
    for cats in (streets, ("东城区", "西城区", "朝阳区", "海淀区", "丰台区", "石景山区", "门头沟区", "房山区",
                           "通州区", "顺义区", "昌平区", "大兴区", "怀柔区", "平谷区", "密云区", "延庆区")):
        spec = ChartSpec("bar", cats, (Series("办理量", vals[:len(cats)] + (1.0,) * (len(cats) - len(vals))),),
                         y_label="件", legend=False, value_labels=False, height_mm=55)
        fig, ctx = _figure(spec, style)
        try:
            labels = fig.axes[0].get_xticklabels()
            for t, c in zip(labels, cats):
                lines = t.get_text().split("\n")
                assert "".join(lines) == c
                assert all(len(ln) >= 2 for ln in lines), lines
                for ln in lines[1:]:
                    assert ln in ("街道", "中心"), lines                  # only before a suffix here
            if any("\n" in t.get_text() for t in labels):
                assert {t.get_rotation() for t in labels} == {0.0}
        finally:
            ctx.__exit__(None, None, None)


def test_small_series_are_drawn_at_their_precision_in_jian(style):
    """Exact positions (not 0.1 万 steps), in 件 when the 万 ticks would need a step below 0.1."""
    from reportgen.numbers import Amount

    tourism = (507, 760, 591, 760, 1351, 845, 1267, 1351, 844, 1436, 507, 422)
    culture = (17992, 19991, 23989, 27987, 30986, 35984, 42980, 62971, 72000, 60972, 53975, 59973)
    spec = ChartSpec("dual", MONTHS, (
        Series("文化市场", tuple(Amount(c).position for c in culture), kind="line"),
        Series("旅游消费", tuple(Amount(c).position for c in tourism), axis="right", kind="line")),
        y_label="万件", y2_label="万件", value_labels=False)
    assert spec.series[1].values[-1] == 0.0422               # not the printed 0.0
    svg = draw_svg(spec, style)
    texts = [t.text for t in ET.fromstring(svg).iter(f"{SVG_NS}text")]
    assert "件" in texts and "万件" in texts                 # right axis in 件, left still in 万件
    left, right = _svg_ticks(svg, MONTHS)
    assert sorted(left) == sorted(right)
    assert all(re.fullmatch(r"\d+", s) for s in right.values()), right
    fig, ctx = _figure(spec, style)
    try:
        line = fig.axes[1].get_lines()[0]
        assert list(line.get_ydata()) == [float(c) for c in tourism]
        lo, hi = fig.axes[1].get_ylim()
        assert (max(tourism) - min(tourism)) / (hi - lo) > 0.5   # not a flat line along an edge
    finally:
        ctx.__exit__(None, None, None)


def test_no_tick_prints_minus_zero(style):
    for spec in (SHARE, ChartSpec("bar", ("甲", "乙", "丙"), (Series("s", (-0.3, 0.2, 0.1)),)),
                 ChartSpec("line", MONTHS, (Series("s", tuple((i - 6) / 100 for i in range(12))),))):
        texts = [t.text or "" for t in ET.fromstring(draw_svg(spec, style)).iter(f"{SVG_NS}text")]
        assert not [t for t in texts if re.fullmatch(r"-0(\.0+)?%?", t)], texts


def test_two_lines_on_one_axis_keep_all_labels(style):
    spec, _cats, values = family_specs()["line"]
    fig, ctx = _figure(spec, style)
    try:
        assert sorted(t.get_text() for t in _value_labels(fig)) == sorted(values)
    finally:
        ctx.__exit__(None, None, None)
