"""Hostile content in analysts' text cannot reach the reader's machine or the report's resources: no HTML, script
or CSS from commentary, no file outside the project and no network fetched while rendering."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from pypdf import PdfReader

from reportgen.pipeline import build
from reportgen.publish import render_to_pdf
from reportgen.render import pdf as pdfmod

from .conftest import ROOT, pdftotext

HOSTILE = ('注入测试：<img src="file:///etc/passwd"> <script>alert(1)</script> '
           '<style>@import url("http://evil.example/x.css");</style> '
           '<link rel="stylesheet" href="https://evil.example/y.css"> '
           '![照片](file:///etc/passwd) ![远程](http://evil.example/a.png) [链接](http://evil.example/) '
           '@import url(http://evil.example/z.css); 结束。')


def _images(pdf: Path) -> int:
    return sum(len(page.images) for page in PdfReader(str(pdf)).pages)


@pytest.fixture
def fetched(monkeypatch):
    """Every URL WeasyPrint asks the project's fetcher for, refused or not."""
    urls: list[str] = []
    original = pdfmod.make_url_fetcher

    def spy(roots):
        fetcher = original(roots)
        inner = fetcher.fetch

        def fetch(url, headers=None):
            urls.append(url)
            return inner(url, headers)

        fetcher.fetch = fetch
        return fetcher

    monkeypatch.setattr(pdfmod, "make_url_fetcher", spy)
    return urls


def test_hostile_commentary_is_printed_as_text_and_nothing_is_fetched(project_copy, tmp_path, fetched):
    p = project_copy / "periods" / "annual-2023.yaml"
    text = p.read_text(encoding="utf-8")
    p.write_text(text.replace("commentary:\n", "commentary:\n  overview.reception:\n    after: '" + HOSTILE.replace("'", "''")
                              + "'\n", 1), encoding="utf-8")
    clean = tmp_path / "clean.pdf"
    render_to_pdf(build("annual", "2023"), clean)
    out = tmp_path / "hostile.pdf"
    built = build("annual", "2023", config_dir=project_copy)
    import re

    para = next(b for b in built.doc.blocks if getattr(b, "id", "") == "overview.reception.after")
    tags = re.findall(r"<(/?[a-zA-Z]+)", str(para.html))
    assert set(tags) <= {"p", "/p"}, tags                          # no element came from the commentary
    assert "&lt;script&gt;" in str(para.html) and "href" not in str(para.html).replace("href=&quot;", "")
    render_to_pdf(built, out)
    words = "".join(pdftotext(out).split())
    assert "注入测试：" in words and "结束。" in words
    assert "<script>alert(1)</script>" in words                  # shown as the characters it is, not run
    assert "root:x:0:0" not in words                              # /etc/passwd was not read into the report
    assert _images(out) == _images(clean)                         # no picture came in with the commentary
    assert not [u for u in fetched if "evil.example" in u or "/etc/" in u]
    assert all(u.startswith(("file://", "data:")) for u in fetched)
    for page in PdfReader(str(out)).pages:                        # no link to the outside either
        for annot in page.get("/Annots") or []:
            assert "evil.example" not in str(annot.get_object().get("/A", {}))


def test_the_fetcher_refuses_files_outside_the_project_and_the_network(tmp_path, fetched):
    html = ('<html><head><link rel="stylesheet" href="https://evil.example/a.css">'
            '<style>@import url("file:///etc/hostname");</style></head>'
            '<body><p>正文</p><img src="file:///etc/passwd"><img src="http://evil.example/b.png"></body></html>')
    data, pages = pdfmod.render_pdf(html, base_url=ROOT, allowed_roots=[ROOT / "templates"])
    assert pages == 1
    assert set(fetched) >= {"https://evil.example/a.css", "file:///etc/passwd", "http://evil.example/b.png"}
    out = tmp_path / "x.pdf"
    out.write_bytes(data)
    assert _images(out) == 0
    fetcher = pdfmod.make_url_fetcher([ROOT / "templates"])
    with pytest.raises(PermissionError, match="项目之外的文件 /etc/passwd"):
        fetcher.fetch("file:///etc/passwd")
    with pytest.raises(PermissionError, match="外部资源 http://evil.example/b.png"):
        fetcher.fetch("http://evil.example/b.png")


def test_the_preview_listens_on_localhost_by_default():
    run = subprocess.run([sys.executable, "-m", "reportgen.cli", "preview", "--help"], capture_output=True, text=True)
    assert "--host 文字" in run.stdout and "[缺省：127.0.0.1]" in run.stdout


def test_the_preview_shows_the_same_hostile_text_inert(project_copy):
    """The preview's page body (what the browser is given) holds the commentary as text: no element from it,
    and no URL outside the preview's own routes."""
    import re

    from reportgen.preview.app import _report_parts
    from reportgen.preview.session import Session

    p = project_copy / "periods" / "annual-2023.yaml"
    text = p.read_text(encoding="utf-8")
    p.write_text(text.replace("commentary:\n", "commentary:\n  overview.reception:\n    after: '" + HOSTILE.replace("'", "''")
                              + "'\n", 1), encoding="utf-8")
    session = Session("annual", "2023", config_dir=project_copy)
    session.rebuild()
    assert session.state.error is None
    css, body, _ = _report_parts(session)
    para = re.search(r'<div class="para[^"]*" data-id="overview.reception.after"[^>]*>(.*?)</div>', body, re.S)
    assert para and set(re.findall(r"<(/?[a-zA-Z]+)", para.group(1))) <= {"p", "/p", "span", "/span"}
    assert set(re.findall(r"<span[^>]*>", para.group(1))) <= {'<span class="nw">'}   # only the typesetting's own
    assert "注入测试：" in para.group(1) and "&lt;script&gt;" in para.group(1)
    srcs = re.findall(r'(?:src|href)="([^"]+)"', body) + re.findall(r"url\(([^)]+)\)", css)
    assert srcs and all(u.strip("'\"").startswith(("/asset/", "/fonts/", "fonts/", "#", "data:")) for u in srcs), srcs
