"""The preview's web server (Starlette on uvicorn, 127.0.0.1 by default).

Routes — nothing else is served (no directory listing, no path from the request reaches the disk
unchecked):

* ``GET /``                 the page: report CSS + the preview's own CSS and script
* ``GET /content``          JSON: the report's HTML, its CSS, the page map of the last PDF layout, the error
* ``GET /events``           server-sent events: a message whenever the build or the PDF layout changed
* ``GET /pdf``              the PDF of the last layout
* ``GET /fonts/<file>``     a font of ``fonts/`` (the report CSS names them)
* ``GET /asset/chart/<hash>.svg``, ``GET /asset/photo/<hash>.jpg``   charts and scaled photos from the cache
* ``GET /api/paragraph?id=``           the paragraph's source (the analyst's Markdown, or the generated text)
* ``POST /api/paragraph``, ``POST /api/paragraph/reset``   save / reset; need the page's token

Writes need the per-session token that only the served page carries, and a same-origin request:
another web site open in the analyst's browser cannot post to the preview.

Every request passes ``Guard`` (one ASGI middleware) first:

* the ``Host`` header must name the server itself — 127.0.0.1, localhost, ::1, the ``--host`` given or
  the address the connection came in on — with its port, else 400: a foreign page that rebinds its
  DNS name to 127.0.0.1 gets nothing (not the page, not its token);
* a body over ``MAX_BODY`` (1 MB) is refused with 413, from ``Content-Length`` before anything is read,
  and by counting the bytes as they arrive when there is none (chunked) — never read whole first.

Bodies are parsed in one place (``_payload``): malformed JSON, a body that is not a JSON object, or a
field of the wrong type → 400 with a Chinese message, never a 500.
"""

from __future__ import annotations

import asyncio
import json
import re
from html import unescape
from pathlib import Path

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from ..config.load import display_path
from ..workspace import TEMPLATES
from ..errors import ReportError
from ..narrative.slots import mark_copies, slot_forms, with_slots
from . import edit
from .session import Session

STATIC = TEMPLATES / "preview"
HASH_SVG = re.compile(r"^[0-9a-f]{16,64}\.svg$")
HASH_JPG = re.compile(r"^[0-9a-f]{16,64}\.jpg$")
_STYLE = re.compile(r"<style>(.*?)</style>", re.S)
_BODY = re.compile(r"<body[^>]*>(.*)</body>", re.S)
MAX_BODY = 1 << 20                   # 1 MB: a paragraph is a few KB
LOCAL_NAMES = frozenset({"127.0.0.1", "localhost", "::1"})


class BadRequest(Exception):
    """A request the preview refuses: answered as ``{"error": message}`` with ``status``."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.message, self.status = message, status


class _TooLarge(Exception):
    pass


def _split_host(value: str) -> tuple[str, str | None] | None:
    """'name:port' / '[::1]:port' / 'name' → (name, port or None); None if it is not a host."""
    value = value.strip().lower()
    if value.startswith("["):
        end = value.find("]")
        if end < 0:
            return None
        name, rest = value[1:end], value[end + 1:]
        if rest and not rest.startswith(":"):
            return None
        port = rest[1:] if rest else None
    else:
        name, colon, port = value.partition(":")
        port = port if colon else None
    if not name or (port is not None and not port.isdigit()):
        return None
    return name, port


class Guard:
    """ASGI middleware in front of every route: the Host check and the body size limit."""

    def __init__(self, app, hosts: tuple[str, ...] = (), port: int | None = None, max_body: int = MAX_BODY) -> None:
        self.app = app
        self.names = LOCAL_NAMES | {h.strip("[]").lower() for h in hosts if h}
        self.port = port
        self.max_body = max_body

    def host_ok(self, scope) -> tuple[bool, str]:
        headers = dict(scope.get("headers") or [])
        raw = headers.get(b"host", b"").decode("latin-1")
        parsed = _split_host(raw)
        if parsed is None:
            return False, raw
        name, port = parsed
        server = scope.get("server")
        names = self.names | ({str(server[0]).lower()} if server else set())
        expected = self.port if self.port is not None else (server[1] if server else None)
        if name not in names:
            return False, raw
        if expected is None:
            return True, raw
        if port is None:
            return expected == (443 if scope.get("scheme") == "https" else 80), raw
        return int(port) == expected, raw

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        ok, raw = self.host_ok(scope)
        if not ok:
            shown = raw if raw.isprintable() and len(raw) <= 100 else repr(raw[:100])
            return await _send_error(send, 400, f"请求的主机名 “{shown}” 不是本预览的地址：只接受 "
                                     f"{'、'.join(sorted(self.names))}（及本机端口）。请用预览启动时显示的地址打开。")
        headers = dict(scope.get("headers") or [])
        length = headers.get(b"content-length")
        if length is not None:
            if not length.strip().isdigit():
                return await _send_error(send, 400, "请求头 Content-Length 不是数字，未处理。")
            if int(length) > self.max_body:
                return await _send_error(send, 413, _too_large(self.max_body))
        seen = 0
        started = False

        async def limited_receive():
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_body:
                    raise _TooLarge
            return message

        async def tracking_send(message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, limited_receive, tracking_send)
        except _TooLarge:
            if not started:
                await _send_error(send, 413, _too_large(self.max_body))


def _too_large(limit: int) -> str:
    return f"请求体超过 {limit // (1 << 20)} MB 的上限，未处理。一段文字不应这样长：请检查粘贴的内容。"


async def _send_error(send, status: int, message: str) -> None:
    body = json.dumps({"error": message}, ensure_ascii=False).encode("utf-8")
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json; charset=utf-8"),
                            (b"content-length", str(len(body)).encode()), (b"cache-control", b"no-store")]})
    await send({"type": "http.response.body", "body": body})


_KINDS = {dict: "对象", list: "数组", str: "文字", bool: "布尔值", int: "数字", float: "数字", type(None): "null"}


async def _payload(request: Request, *fields: str) -> dict[str, str]:
    """The request's JSON object, with ``fields`` as strings ('' when absent); BadRequest otherwise."""
    body = await request.body()            # bounded by Guard
    if not body.strip():
        raise BadRequest("请求体为空：应为 JSON 对象，例如 {\"id\": \"…\", \"text\": \"…\"}。")
    try:
        data = json.loads(body.decode("utf-8"))
    except UnicodeDecodeError:
        raise BadRequest("请求体不是 UTF-8 编码的 JSON，未处理。") from None
    except json.JSONDecodeError as exc:
        raise BadRequest(f"请求体不是有效的 JSON（第 {exc.lineno} 行第 {exc.colno} 列有误），未处理。") from None
    except (ValueError, RecursionError):
        raise BadRequest("请求体不是可接受的 JSON（嵌套过深或数字过长），未处理。") from None
    if not isinstance(data, dict):
        raise BadRequest(f"请求体应为 JSON 对象（{{…}}），收到的是{_KINDS.get(type(data), '其他值')}，未处理。")
    out = {}
    for f in fields:
        value = data.get(f, "")
        if not isinstance(value, str):
            raise BadRequest(f"字段 “{f}” 应为文字，收到的是{_KINDS.get(type(value), '其他值')}，未处理。")
        out[f] = value
    return out


def _report_parts(session: Session) -> tuple[str, str, str]:
    """(css, body html, body class) of the last good build, with URLs the preview serves."""
    from ..render import render_html

    built = session.built
    if built is None:
        return "", "", ""

    def chart_url(fig) -> str:
        return f"/asset/chart/{fig.src.name}?v={fig.src.stat().st_mtime_ns}" if fig.src else ""

    def photo_url(photo) -> str:
        return f"/asset/photo/{photo.src.name}"

    html = render_html(built.doc, profile_dir=built.cfg.profile_dir, chart_url=chart_url, photo_url=photo_url)
    css = _STYLE.search(html).group(1) if _STYLE.search(html) else ""
    body = _BODY.search(html).group(1) if _BODY.search(html) else html
    cls = re.search(r'<body class="([^"]*)"', html)
    return css, body, cls.group(1) if cls else ""


def create_app(session: Session, host: str | None = None, port: int | None = None) -> Starlette:
    """The preview's app; ``host``/``port`` as given to the server (the Host header must name them; without
    them, the address and port each connection came in on)."""
    from ..workspace import FONTS_DIR, cache_dir

    def page(request: Request) -> HTMLResponse:
        shell = (STATIC / "shell.html").read_text(encoding="utf-8")
        title = session.built.doc.title.replace("\n", "") if session.built else session.name
        shell = (shell.replace("{{TITLE}}", _esc(title)).replace("{{TOKEN}}", session.token)
                 .replace("{{NAME}}", _esc(session.name)))
        return HTMLResponse(shell, headers={"Cache-Control": "no-store"})

    def content(request: Request) -> JSONResponse:
        css, body, cls = _report_parts(session)
        s = session.state
        return JSONResponse({
            "version": s.version, "pdf_version": s.pdf_version, "error": s.error, "css": css, "body": body,
            "body_class": cls, "layout": session.layout, "build_seconds": round(s.build_seconds, 3),
            "pdf_seconds": round(s.pdf_seconds, 3), "has_pdf": session.pdf_path.exists(), "busy": session.busy,
        }, headers={"Cache-Control": "no-store"})

    async def events(request: Request) -> StreamingResponse:
        async def stream():
            last = None
            idle = 0.0
            while True:
                if await request.is_disconnected():
                    return
                now = (session.state.version, session.state.pdf_version)
                if now != last:
                    last = now
                    idle = 0.0
                    yield f"data: {json.dumps({'version': now[0], 'pdf_version': now[1]})}\n\n"
                await asyncio.sleep(0.05)
                idle += 0.05
                if idle >= 15:
                    idle = 0.0
                    yield ": keep-alive\n\n"
        return StreamingResponse(stream(), media_type="text/event-stream", headers={"Cache-Control": "no-store"})

    def pdf(request: Request) -> Response:
        if not session.pdf_path.exists():
            return Response("PDF 尚在排版，请稍候。", status_code=404, media_type="text/plain; charset=utf-8")
        return FileResponse(session.pdf_path, media_type="application/pdf", headers={"Cache-Control": "no-store"})

    def font(request: Request) -> Response:
        name = request.path_params["name"]
        allowed = {p.name for p in FONTS_DIR.iterdir()} if FONTS_DIR.is_dir() else set()
        if name not in allowed:
            return Response(status_code=404)
        return FileResponse(FONTS_DIR / name)

    def asset(request: Request) -> Response:
        kind, name = request.path_params["kind"], request.path_params["name"]
        if kind == "chart" and HASH_SVG.match(name):
            path = cache_dir() / "charts" / name
        elif kind == "photo" and HASH_JPG.match(name):
            path = cache_dir() / "photos" / name
        else:
            return Response(status_code=404)
        return FileResponse(path) if path.is_file() else Response(status_code=404)

    def _allowed(request: Request) -> Response | None:
        if request.headers.get("x-preview-token") != session.token:
            return JSONResponse({"error": "缺少或错误的令牌：请在预览页面中操作。"}, status_code=403)
        origin = request.headers.get("origin")
        if origin and origin.rstrip("/") != f"{request.url.scheme}://{request.url.netloc}":
            return JSONResponse({"error": "只接受预览页面本身的请求。"}, status_code=403)
        return None

    def _para(pid: str):
        built = session.built
        if built is None:
            return None
        return next((b for b in built.doc.blocks if b.kind == "para" and b.id == pid and b.commentary), None)

    def _editable(pid: str) -> bool:
        """An existing paragraph, or a new paragraph before/after one (an analyst's addition)."""
        base, fieldname = edit.split_id(pid)
        return _para(pid) is not None or (fieldname != "replace" and _para(base) is not None)

    def source(request: Request) -> JSONResponse:
        pid = request.query_params.get("id", "")
        if not _editable(pid):
            return JSONResponse({"error": f"报告中没有可编辑的段落 “{pid}”。"}, status_code=404)
        para = _para(pid)
        cfg = session.built.cfg
        base, fieldname = edit.split_id(pid)
        entry = cfg.period_file.commentary.get(base)
        text = getattr(entry, fieldname, None) if entry is not None else None
        overridden = text is not None
        owner = para if para is not None else _para(base)       # a new before/after paragraph: its paragraph's
        forms = slot_forms(owner.slots or {}) if owner is not None else []
        if text is None:
            # the generated text with a slot for every figure it prints: an edit keeps following the data
            text = with_slots(_plain(para.generated or para.html), forms) if para is not None else ""
        return JSONResponse({"id": pid, "source": text, "overridden": overridden,
                             "slots": [{"slot": "{{ " + e + " }}", "text": t} for e, t in forms],
                             "file": display_path(_target(session, pid)[0])})

    async def _edit(fn, *args):
        try:
            return await asyncio.to_thread(fn, *args)
        except edit.TextRefused as exc:
            raise BadRequest("\n".join(exc.problems)) from None
        except ReportError as exc:
            raise BadRequest("\n".join(exc.problems), 409) from None
        except OSError as exc:
            raise BadRequest(f"无法写入文件 {display_path(Path(exc.filename)) if exc.filename else ''}："
                             f"{exc.strerror or exc.__class__.__name__}，未保存。", 409) from None

    async def save(request: Request) -> JSONResponse:
        if (denied := _allowed(request)) is not None:
            return denied
        payload = await _payload(request, "id", "text")
        pid, text = payload["id"], payload["text"]
        if not _editable(pid):
            return JSONResponse({"error": f"报告中没有可编辑的段落 “{pid}”。"}, status_code=404)
        if not text.strip():
            return JSONResponse({"error": "文字为空，未保存。要恢复生成的段落，请用“恢复生成文本”。"}, status_code=400)
        path, create = _target(session, pid)
        base = edit.split_id(pid)[0]
        owner = _para(pid) or _para(base)
        # a number typed instead of a slot remembers the figure it was copied from ({# 抄自 … #}): check finds it
        # when the data has changed and the typed number has not
        text = mark_copies(text, slot_forms(owner.slots or {})) if owner is not None else text
        await _edit(edit.set_text, path, pid, text, create)
        await asyncio.to_thread(session.rebuild)
        return JSONResponse({"ok": True, "version": session.state.version, "error": session.state.error})

    async def reset(request: Request) -> JSONResponse:
        if (denied := _allowed(request)) is not None:
            return denied
        pid = (await _payload(request, "id"))["id"]
        if session.built is None:
            return JSONResponse({"error": "报告尚未生成成功，无法恢复段落。"}, status_code=409)
        changed = await _edit(edit.reset, _target(session, pid)[0], pid)
        if changed:
            await asyncio.to_thread(session.rebuild)
        return JSONResponse({"ok": True, "changed": changed, "version": session.state.version})

    async def refused(request: Request, exc: BadRequest) -> JSONResponse:
        return JSONResponse({"error": exc.message}, status_code=exc.status, headers={"Cache-Control": "no-store"})

    routes = [
        Route("/", page), Route("/content", content), Route("/events", events), Route("/pdf", pdf),
        Route("/fonts/{name}", font), Route("/asset/{kind}/{name}", asset),
        Route("/api/paragraph", source, methods=["GET"]), Route("/api/paragraph", save, methods=["POST"]),
        Route("/api/paragraph/reset", reset, methods=["POST"]),
    ]
    hosts = (host,) if host else ()
    return Starlette(routes=routes, middleware=[Middleware(Guard, hosts=hosts, port=port)],
                     exception_handlers={BadRequest: refused})


def _target(session: Session, pid: str) -> tuple[Path, bool]:
    """Where an edit of ``pid`` is written, and whether that file may be created: the period file (never
    created: a missing one is an error), or for a per-district report the district's brief.yaml
    (created when needed), so that each district office edits its own file."""
    cfg = session.built.cfg
    if cfg.district is not None and cfg.district_dir is not None:
        return cfg.district_dir / "brief.yaml", True
    return cfg.commentary_file(pid), False


def _plain(html: str) -> str:
    text = re.sub(r'<span class="fn">.*?</span>', "", str(html), flags=re.S)
    text = re.sub(r"</p>\s*<p>", "\n\n", text)
    return unescape(re.sub(r"<[^>]+>", "", text)).strip()


def _esc(text: str) -> str:
    from markupsafe import escape

    return str(escape(text))
