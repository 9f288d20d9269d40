"""The preview under hostile and unlucky requests (issue 17, "The preview"): fast tests that drive the
ASGI app directly (no browser), on one real build of the annual report over a copy of config/.

* DNS rebinding: a foreign ``Host`` gets 400 and not the page (nor its token);
* text written to YAML round-trips exactly: CR/LF normalised, control characters refused with a
  message naming them, nothing but the one commentary entry changes (a lone ``\\r`` cannot add a key);
* wording templates are text: ``<img onerror>`` in a wording override is printed, not run;
* concurrent saves of different paragraphs are all kept;
* bodies: a size limit (413, streamed), malformed JSON / non-objects → 400, never 500;
* a missing period file is not recreated as a stub.
"""

from __future__ import annotations

import asyncio
import json
import socket
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from ruamel.yaml import YAML

from reportgen.preview import edit
from reportgen.preview.app import MAX_BODY, create_app
from reportgen.preview.session import Session

from .conftest import ROOT, copy_config

HOST = "127.0.0.1:8765"


def _yaml(path: Path):
    return YAML(typ="safe", pure=True).load(path.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def env(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("preview-security")
    copy_config(tmp / "config")
    session = Session("annual", "2023", tmp / "config" / "beijing", out_dir=tmp / "out")
    session.rebuild()
    assert session.built is not None, session.state.error
    period_file = session.built.cfg.period_path
    paras = [b.id for b in session.built.doc.blocks if b.kind == "para" and b.commentary]
    return {"session": session, "app": create_app(session), "file": period_file, "paras": paras,
            "original": period_file.read_bytes()}


@pytest.fixture
def fresh(env, monkeypatch):
    """The period file as copied, and no rebuild after each save (the tests look at the file)."""
    env["file"].write_bytes(env["original"])
    monkeypatch.setattr(env["session"], "rebuild", lambda: None)
    yield env
    env["file"].write_bytes(env["original"])


class Reply:
    def __init__(self, status: int, headers: dict, body: bytes) -> None:
        self.status, self.headers, self.body = status, headers, body

    def json(self):
        return json.loads(self.body)


def call(app, method: str, path: str, body: bytes | None = None, *, host: str | None = HOST, headers=None,
         chunks=None, server=("127.0.0.1", 8765), length: bool = True) -> Reply:
    """One request through the ASGI app (as uvicorn delivers it); ``chunks``: a body streamed without
    Content-Length (an iterator, consumed only as far as the app reads)."""
    path, _, query = path.partition("?")
    hdrs = [] if host is None else [(b"host", host.encode("latin-1"))]
    for k, v in (headers or {}).items():
        hdrs.append((k.lower().encode(), v.encode("latin-1")))
    if body is not None and length:
        hdrs.append((b"content-length", str(len(body)).encode()))
    parts = iter(chunks) if chunks is not None else iter([body or b""])
    sent: list[dict] = []

    async def receive():
        try:
            part = next(parts)
        except StopIteration:
            return {"type": "http.request", "body": b"", "more_body": False}
        return {"type": "http.request", "body": part, "more_body": chunks is not None}

    async def send(message):
        sent.append(message)

    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": method, "scheme": "http",
             "path": path, "raw_path": path.encode(), "query_string": query.encode(), "root_path": "",
             "headers": hdrs, "server": server, "client": ("127.0.0.1", 50000)}
    asyncio.run(app(scope, receive, send))
    start = next(m for m in sent if m["type"] == "http.response.start")
    body_out = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    return Reply(start["status"], {k.decode(): v.decode() for k, v in start["headers"]}, body_out)


def save(env, pid: str, text, **kw) -> Reply:
    body = json.dumps({"id": pid, "text": text}).encode()
    headers = {"X-Preview-Token": env["session"].token, "Content-Type": "application/json"} | kw.pop("headers", {})
    return call(env["app"], "POST", "/api/paragraph", body, headers=headers, **kw)


# --- 1. Host: DNS rebinding -----------------------------------------------------------------------

def test_a_foreign_host_gets_400_and_not_the_page_or_its_token(fresh):
    app, token = fresh["app"], fresh["session"].token
    assert call(app, "GET", "/").status == 200
    assert call(app, "GET", "/", host="localhost:8765").status == 200
    for host in ("evil.example:8765", "evil.example", "127.0.0.1.evil.example:8765", "127.0.0.1:9999", "localhost",
                 "", None, "[::1]x", "127.0.0.1:80a"):
        r = call(app, "GET", "/", host=host)
        assert r.status == 400, host
        assert token.encode() not in r.body
        assert "不是本预览的地址" in r.json()["error"]
    # a rebinding page that knew the token still cannot save (and the Origin check cannot be fooled)
    r = save(fresh, fresh["paras"][0], "改写。", host="evil.example:8765",
             headers={"X-Preview-Token": token, "Origin": "http://evil.example:8765"})
    assert r.status == 400 and fresh["file"].read_bytes() == fresh["original"]
    for path in ("/content", "/pdf", "/events", "/api/paragraph?id=preface"):
        assert call(app, "GET", path, host="evil.example:8765").status == 400


def test_the_host_given_with_its_port_is_accepted(fresh):
    app = create_app(fresh["session"], host="preview.lan", port=8765)
    assert call(app, "GET", "/", host="preview.lan:8765", server=("192.168.1.5", 8765)).status == 200
    assert call(app, "GET", "/", host="192.168.1.5:8765", server=("192.168.1.5", 8765)).status == 200
    assert call(app, "GET", "/", host="preview.lan:8766", server=("192.168.1.5", 8765)).status == 400
    assert call(app, "GET", "/", host="other.lan:8765", server=("192.168.1.5", 8765)).status == 400


def test_host_check_on_a_real_server(fresh):
    import uvicorn

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(create_app(fresh["session"], host="127.0.0.1", port=port),
                                           host="127.0.0.1", port=port, log_level="warning"))
    t = threading.Thread(target=server.run, daemon=True)
    t.start()
    try:
        for _ in range(100):
            if server.started:
                break
            time.sleep(0.05)

        def status(host: str | None) -> int:
            req = urllib.request.Request(f"http://127.0.0.1:{port}/", headers={"Host": host} if host else {})
            try:
                return urllib.request.urlopen(req, timeout=5).status
            except urllib.error.HTTPError as exc:
                return exc.code

        assert status(None) == 200
        assert status(f"localhost:{port}") == 200
        assert status(f"attacker.example:{port}") == 400
    finally:
        server.should_exit = True
        t.join(timeout=10)


# --- 2. Text round-trips exactly ------------------------------------------------------------------

def test_a_lone_cr_cannot_add_a_top_level_key(fresh):
    pid = fresh["paras"][1]
    r = save(fresh, pid, "第一段文字。\rbad_rows: skip\r\n第三行\r")
    assert r.status == 200, r.body
    data = _yaml(fresh["file"])
    assert "bad_rows" not in data
    base, field = edit.split_id(pid)
    assert data["commentary"][base][field] == "第一段文字。\nbad_rows: skip\n第三行\n"
    before = YAML(typ="safe", pure=True).load(fresh["original"].decode("utf-8"))
    before["commentary"].setdefault(base, {})
    before["commentary"][base] = {**(before["commentary"][base] or {}), field: data["commentary"][base][field]}
    assert data == before                      # nothing but the one entry changed


@pytest.mark.parametrize("ch, code", [("\x0b", "U+000B"), ("\x00", "U+0000"), ("\x1b", "U+001B"), ("\x85", "U+0085"),
                                      ("\u2028", "U+2028"), ("\x7f", "U+007F"), ("\ud800", "U+D800")])
def test_control_characters_are_refused_with_their_name(fresh, ch, code):
    r = save(fresh, fresh["paras"][0], f"前文\n后{ch}文")
    assert r.status == 400
    msg = r.json()["error"]
    assert code in msg and "第 2 行第 2 个字符" in msg and "ParserError" not in msg
    assert fresh["file"].read_bytes() == fresh["original"]


_TEXT = st.text(st.characters(codec="utf-8") | st.sampled_from("\r\n\t :#|>-'\"{}[]&*!%@`"), min_size=1, max_size=60)


@settings(max_examples=150, deadline=None)
@given(text=_TEXT, field=st.sampled_from(["replace", "before", "after"]))
def test_property_saved_text_reads_back_exactly_and_nothing_else_changes(tmp_path_factory, text, field):
    original = (ROOT / "config" / "beijing" / "periods" / "annual-2023.yaml").read_text(encoding="utf-8")
    f = tmp_path_factory.mktemp("prop") / "annual-2023.yaml"
    f.write_text(original, encoding="utf-8")
    pid = "overview.reception" if field == "replace" else f"overview.reception.{field}"
    try:
        cleaned = edit.clean_text(text)
    except edit.TextRefused:
        with pytest.raises(edit.TextRefused):
            edit.set_text(f, pid, text, create=False)
        assert f.read_text(encoding="utf-8") == original
        return
    if not cleaned.strip():
        return                               # the app refuses empty text before it gets here
    edit.set_text(f, pid, text, create=False)
    before, after = YAML(typ="safe", pure=True).load(original), _yaml(f)
    assert after["commentary"]["overview.reception"][field] == edit.stored_value(cleaned)
    assert "\r" not in after["commentary"]["overview.reception"][field]
    del after["commentary"]["overview.reception"][field]
    before["commentary"].setdefault("overview.reception", {})
    before["commentary"]["overview.reception"] = dict(before["commentary"]["overview.reception"] or {})
    before["commentary"]["overview.reception"].pop(field, None)
    if not before["commentary"]["overview.reception"]:
        del before["commentary"]["overview.reception"]
    if not after["commentary"]["overview.reception"]:
        del after["commentary"]["overview.reception"]
    assert after == before


def test_a_write_that_would_change_more_than_the_entry_is_refused_and_the_file_kept(tmp_path):
    # a file whose line breaks ruamel and the line editor count differently (a lone CR in a comment)
    f = tmp_path / "p.yaml"
    text = "title: 标题 # 注释\rsecret: 1\ncommentary:\n  a:\n    replace: |\n      旧。\n"
    f.write_bytes(text.encode("utf-8"))
    try:
        edit.set_text(f, "a", "新。", create=False)
    except edit.ConfigError as exc:
        assert "未保存" in str(exc)
        assert f.read_bytes() == text.encode("utf-8")
    else:
        data = _yaml(f)
        assert data["commentary"]["a"]["replace"] == "新。\n" and data["title"] == YAML(typ="safe").load(text)["title"]


# --- 3. Wording is text ---------------------------------------------------------------------------

def test_wording_templates_print_their_html_as_text():
    from markupsafe import Markup

    from reportgen.narrative.wording import Footnotes, Wording
    from reportgen.numbers import Amount

    w = Wording({"s": "<img src=x onerror=alert(1)>共{{ fn('反映') }}{{ n|wan }} & <b>{% if n %}<i>{% endif %}",
                 "t": "{{ names|names }}"}, Footnotes({"反映": "包括<咨询>。"}))
    out = w.render("s", n=Amount(21438000))
    assert out == Markup('&lt;img src=x onerror=alert(1)&gt;共<span class="fn">包括&lt;咨询&gt;。</span>'
                         '2143.8万件 &amp; &lt;b&gt;&lt;i&gt;')
    assert w.render("t", names=["<a>", "乙"]) == Markup("&lt;a&gt;、乙")


def test_hostile_wording_override_is_text_in_the_preview_and_html(fresh):
    session = fresh["session"]
    text = fresh["original"].decode("utf-8")
    assert "\nwording:" not in text
    fresh["file"].write_text(text + 'wording:\n  overview.channels: "<img src=x onerror=alert(1)>渠道<script>alert(2)</script>"\n',
                             encoding="utf-8")
    Session.rebuild(session)                 # the real rebuild (the fixture stubs the instance's)
    try:
        assert session.state.error is None, session.state.error
        body = call(fresh["app"], "GET", "/content").json()["body"]
        assert "&lt;img src=x onerror=alert(1)&gt;渠道&lt;script&gt;" in body
        assert "<img src=x" not in body and "<script" not in body
    finally:
        fresh["file"].write_bytes(fresh["original"])
        Session.rebuild(session)


# --- 4. Concurrent saves --------------------------------------------------------------------------

def test_eight_concurrent_saves_of_different_paragraphs_are_all_kept(fresh):
    pids = fresh["paras"][:8]
    assert len(pids) == 8
    barrier = threading.Barrier(8)
    replies: dict[str, int] = {}

    def one(i: int, pid: str) -> None:
        barrier.wait()
        replies[pid] = save(fresh, pid, f"并发保存的第 {i} 段。").status

    threads = [threading.Thread(target=one, args=(i, p)) for i, p in enumerate(pids)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert set(replies.values()) == {200}
    data = _yaml(fresh["file"])
    for i, pid in enumerate(pids):
        base, field = edit.split_id(pid)
        assert data["commentary"][base][field] == f"并发保存的第 {i} 段。\n", pid


def test_concurrent_edits_in_the_edit_layer(tmp_path):
    f = tmp_path / "brief.yaml"
    f.write_text("commentary: {}\n", encoding="utf-8")
    threads = [threading.Thread(target=edit.set_text, args=(f, f"p{i}.text", f"第 {i} 段。")) for i in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert {k: v["replace"] for k, v in _yaml(f)["commentary"].items()} == {f"p{i}.text": f"第 {i} 段。\n" for i in range(16)}


# --- 5. Bodies ------------------------------------------------------------------------------------

def test_a_body_over_the_limit_is_refused_from_content_length(fresh):
    r = call(fresh["app"], "POST", "/api/paragraph", b"x" * (MAX_BODY + 1), headers={"X-Preview-Token": fresh["session"].token})
    assert r.status == 413 and "上限" in r.json()["error"]


def test_a_streamed_body_is_counted_not_read_whole(fresh):
    consumed = 0

    def endless():
        nonlocal consumed
        while True:
            consumed += 1
            yield b"[" * 65536

    r = call(fresh["app"], "POST", "/api/paragraph", chunks=endless(), headers={"X-Preview-Token": fresh["session"].token})
    assert r.status == 413 and "上限" in r.json()["error"]
    assert consumed <= MAX_BODY // 65536 + 2
    assert fresh["file"].read_bytes() == fresh["original"]


@pytest.mark.parametrize("body, words", [
    (b"{", "不是有效的 JSON"), (b"[1, 2]", "收到的是数组"), (b"null", "收到的是null"), (b'"text"', "收到的是文字"),
    (b"", "请求体为空"), (b"\xff\xfe{}", "UTF-8"), (b"[" * 100000 + b"]" * 100000, "JSON"),
    (b'{"id": "preface", "text": 12}', "字段 “text” 应为文字"), (b'{"id": ["preface"], "text": "x"}', "字段 “id” 应为文字"),
    (b'{"id": "preface", "text": "x"', "第 1 行"),
])
@pytest.mark.parametrize("path", ["/api/paragraph", "/api/paragraph/reset"])
def test_malformed_bodies_get_400_with_a_message(fresh, body, words, path):
    if path.endswith("reset") and b"text" in body:
        return
    r = call(fresh["app"], "POST", path, body, headers={"X-Preview-Token": fresh["session"].token})
    assert r.status == 400, r.body
    assert words in r.json()["error"]
    assert fresh["file"].read_bytes() == fresh["original"]


# --- 6. Missing period file -----------------------------------------------------------------------

def test_a_save_while_the_period_file_is_missing_creates_no_stub(fresh):
    f = fresh["file"]
    moved = f.with_name(f.name + ".moved")
    f.rename(moved)
    try:
        r = save(fresh, fresh["paras"][0], "改写。")
        assert r.status == 409 and "不存在" in r.json()["error"]
        assert not f.exists()
    finally:
        moved.rename(f)
