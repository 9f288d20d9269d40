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
"""

from __future__ import annotations

import asyncio
import json
import re
from html import unescape
from pathlib import Path

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from ..config.load import PROJECT_ROOT, display_path
from ..errors import ReportError
from . import edit
from .session import Session

STATIC = PROJECT_ROOT / "templates" / "preview"
HASH_SVG = re.compile(r"^[0-9a-f]{16,64}\.svg$")
HASH_JPG = re.compile(r"^[0-9a-f]{16,64}\.jpg$")
_STYLE = re.compile(r"<style>(.*?)</style>", re.S)
_BODY = re.compile(r"<body[^>]*>(.*)</body>", re.S)


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


def create_app(session: Session) -> Starlette:
    from ..pipeline import FONTS_DIR, cache_dir

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
        if text is None:
            text = _plain(para.generated or para.html) if para is not None else ""
        return JSONResponse({"id": pid, "source": text, "overridden": overridden,
                             "file": display_path(_target(session, pid))})

    async def save(request: Request) -> JSONResponse:
        if (denied := _allowed(request)) is not None:
            return denied
        payload = await request.json()
        pid, text = str(payload.get("id", "")), str(payload.get("text", ""))
        if not _editable(pid):
            return JSONResponse({"error": f"报告中没有可编辑的段落 “{pid}”。"}, status_code=404)
        if not text.strip():
            return JSONResponse({"error": "文字为空，未保存。要恢复生成的段落，请用“恢复生成文本”。"}, status_code=400)
        try:
            await asyncio.to_thread(edit.set_text, _target(session, pid), pid, text)
        except ReportError as exc:
            return JSONResponse({"error": "\n".join(exc.problems)}, status_code=409)
        await asyncio.to_thread(session.rebuild)
        return JSONResponse({"ok": True, "version": session.state.version, "error": session.state.error})

    async def reset(request: Request) -> JSONResponse:
        if (denied := _allowed(request)) is not None:
            return denied
        payload = await request.json()
        pid = str(payload.get("id", ""))
        try:
            changed = await asyncio.to_thread(edit.reset, _target(session, pid), pid)
        except ReportError as exc:
            return JSONResponse({"error": "\n".join(exc.problems)}, status_code=409)
        if changed:
            await asyncio.to_thread(session.rebuild)
        return JSONResponse({"ok": True, "changed": changed, "version": session.state.version})

    routes = [
        Route("/", page), Route("/content", content), Route("/events", events), Route("/pdf", pdf),
        Route("/fonts/{name}", font), Route("/asset/{kind}/{name}", asset),
        Route("/api/paragraph", source, methods=["GET"]), Route("/api/paragraph", save, methods=["POST"]),
        Route("/api/paragraph/reset", reset, methods=["POST"]),
    ]
    return Starlette(routes=routes)


def _target(session: Session, pid: str) -> Path:
    """Where an edit of ``pid`` is written: the period file, or for a per-district report the district's
    brief.yaml (created when needed), so that each district office edits its own file."""
    cfg = session.built.cfg
    if cfg.district is not None and cfg.district_dir is not None:
        return cfg.district_dir / "brief.yaml"
    return cfg.commentary_file(pid)


def _plain(html: str) -> str:
    text = re.sub(r'<span class="fn">.*?</span>', "", str(html), flags=re.S)
    text = re.sub(r"</p>\s*<p>", "\n\n", text)
    return unescape(re.sub(r"<[^>]+>", "", text)).strip()


def _esc(text: str) -> str:
    from markupsafe import escape

    return str(escape(text))
