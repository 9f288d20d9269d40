"""Line breaking of body paragraphs before layout (reportgen/render/lines.py): rules checked on the breaker's
own output for any paragraph (Hypothesis), and the HTML it writes."""

import re

from hypothesis import given, settings
from hypothesis import strategies as st
from markupsafe import escape

from reportgen.render.lines import BODY, CLOSE, MAX_TIGHTEN, OPEN, Metrics, atoms_of, break_paragraph, set_lines
from reportgen.render.typeset import typeset

from .conftest import ROOT

METRICS = Metrics(ROOT / "fonts")

words = st.sampled_from(["市场管理", "网络交易", "同比上升", "占比", "其中", "问题", "反映", "街道", "城乡建设", "诉求",
                         "北京市", "热线", "受理", "较", "主要是"])
figures = st.builds(lambda n, d, u: f"{n}.{d}{u}" if d is not None else f"{n}{u}",
                    st.integers(0, 99999), st.one_of(st.none(), st.integers(0, 99)),
                    st.sampled_from(["万件", "件", "%", "年", "月", "个"]))
pieces = st.one_of(words, figures, st.sampled_from(["，", "。", "、", "；", "："]),
                   st.builds(lambda w, f: f"{w}（{f}）", words, figures), st.builds(lambda w: f"“{w}”", words))
paragraphs = st.lists(pieces, min_size=3, max_size=60).map("".join)


def _lines(text):
    atoms = atoms_of(str(typeset(escape(text))), METRICS)
    assert atoms is not None
    return atoms, break_paragraph(atoms)


@settings(max_examples=150, deadline=None)
@given(paragraphs)
def test_breaks_follow_the_rules_and_every_line_fits(text):
    atoms, lines = _lines(text)
    assert lines, text
    assert lines[0].start == 0 and lines[-1].end == len(atoms)
    assert all(a.end == b.start for a, b in zip(lines, lines[1:]))          # in order, nothing lost or repeated
    assert "".join(a.text for a in atoms) == "".join(a.text for ln in lines for a in atoms[ln.start:ln.end])
    for k, ln in enumerate(lines):
        first, last = atoms[ln.start], atoms[ln.end - 1]
        if k:
            assert not (first.text and first.text[0] in CLOSE), text       # no line starts with closing punctuation
            assert not first.fn
        if k < len(lines) - 1:
            assert not (last.text and last.text[-1] in OPEN), text         # none ends with an opening one
        natural = sum(a.width for a in atoms[ln.start:ln.end])
        marks, track = ln.compress, ln.track
        chars = sum(len(a.text) for a in atoms[ln.start:ln.end])
        avail = BODY.width - (BODY.indent if k == 0 else 0)
        assert natural - sum(atoms[c].shrink for c in marks) - track * chars <= avail + 0.01, (text, k)
        assert track <= MAX_TIGHTEN * BODY.size + 1e-9         # at most 0.07 em (docs/design.md)
    # a number with its unit is one atom: never split between lines
    for m in re.finditer(r"\d+(?:\.\d+)?(?:万件|件|%|年|月|个)", text):
        assert any(m.group() in a.text for a in atoms), m.group()


def test_consecutive_punctuation_is_set_solid_and_a_bracketed_figure_stays_whole():
    atoms, lines = _lines("主要是网络交易（54.1万件）、市场环境秩序（13.2万件）、预付式消费（9.6万件）等问题。")
    closing = [(a, b) for a, b in zip(atoms, atoms[1:]) if a.text == "）"]
    assert [a.solid for a, _ in closing] == [True, True, False]            # “）、” at half width, “）等” not
    assert any(a.text == "54.1万件" for a in atoms)


def test_the_html_has_one_unbreakable_span_per_line_and_compressed_marks():
    html = ('<main class="body"><div class="para" data-id="x"><p>'
            + str(typeset(escape("上的主要是网络交易（54.1万件）、市场环境秩序（13.2万件）、预付式消费（9.6万件）、"
                                 "商品服务质量（7.6万件）、服务质量（5.0万件）等问题。")))
            + "</p></div></main>")
    out = set_lines(html, ROOT / "fonts")
    spans = re.findall(r'<span class="ln"[^>]*>', out)
    assert len(spans) == 3
    assert '<span class="h">）</span>、' in out
    assert re.sub(r"<[^>]+>", "", out) == re.sub(r"<[^>]+>", "", html)       # the text itself is unchanged


def test_spaced_latin_text_is_left_to_pango():
    assert atoms_of("see http://example.org and more", METRICS) is None
