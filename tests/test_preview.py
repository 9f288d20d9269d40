"""The live preview, driven end to end by a real headless Chromium (Debian's ``chromium`` via Playwright).

The preview runs as the analyst runs it (``reportgen preview annual --period 2023``) against a copy of
the configuration, so that the test can change files on disk and break them.
"""

from __future__ import annotations

import difflib
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from .conftest import ROOT, copy_config, pdftotext

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"   # installed by scripts/setup.sh (Debian's package)

DISK_SENTENCE = "预览测试：这一句由磁盘上的修改加入。"
EDITED = "分析人员在页面中改写的这一段，保存后写回期间文件。"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_preview(args: list[str], cwd: Path) -> tuple[subprocess.Popen, str]:
    """``reportgen preview ARGS`` on a free port, once it answers: the process and its URL."""
    port = _free_port()
    proc = subprocess.Popen([sys.executable, "-m", "reportgen.cli", "preview", *args, "--port", str(port)],
                            cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    url = f"http://127.0.0.1:{port}/"
    for _ in range(300):
        try:
            urllib.request.urlopen(url, timeout=1)
            break
        except (urllib.error.URLError, ConnectionError):
            if proc.poll() is not None:
                pytest.fail(proc.stdout.read())
            time.sleep(0.1)
    return proc, url


@pytest.fixture(scope="module")
def preview(tmp_path_factory):
    """A running preview of the annual report on a copy of config/ (module scope: one server for the flow)."""
    tmp = tmp_path_factory.mktemp("preview")
    config = tmp / "config"
    copy_config(config)
    proc, url = start_preview(["annual", "--period", "2023", "--config", str(config / "beijing")], tmp)
    yield {"url": url, "period_file": config / "beijing" / "periods" / "annual-2023.yaml", "config": config / "beijing",
           "tmp": tmp}
    proc.terminate()
    proc.wait(timeout=10)


@pytest.fixture(scope="module")
def page(preview):
    from playwright.sync_api import sync_playwright

    assert Path(CHROMIUM).exists(), "Debian's chromium is missing: run scripts/setup.sh"
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        pg = browser.new_page(viewport={"width": 1200, "height": 1500})
        pg.goto(preview["url"])
        pg.wait_for_selector(".sheet[data-page]", timeout=60_000)      # laid out: A4 sheets with page numbers
        yield pg
        browser.close()


def settle(page) -> None:
    """Wait until the server has nothing pending and the page shows its newest build and layout."""
    page.wait_for_function("""async () => {
        const c = await (await fetch('/content', {cache: 'no-store'})).json();
        return !c.busy && String(c.version) === document.body.dataset.version
            && String(c.pdf_version) === document.body.dataset.pdfVersion;
    }""", timeout=60_000, polling=250)


def _text(page) -> str:
    return page.evaluate("document.getElementById('report').innerText")


def test_annual_preview_shows_a4_pages_with_the_pdfs_numbers(page, preview):
    shot = preview["tmp"] / "preview.png"
    page.screenshot(path=str(shot))
    assert shot.stat().st_size > 50_000
    sheets = page.locator(".sheet[data-page]")
    # every page of the PDF is shown: a sheet per page, or one sheet for a page and the page it runs on to
    covered = [n for first, last in page.evaluate(
        "Array.from(document.querySelectorAll('.sheet[data-page]')).map(s => [+s.dataset.page, +(s.dataset.last || s.dataset.page)])")
        for n in range(first, last + 1)]
    pdf = preview["tmp"] / "preview.pdf"
    pdf.write_bytes(urllib.request.urlopen(preview["url"] + "pdf", timeout=10).read())
    from pypdf import PdfReader

    assert covered == list(range(1, len(PdfReader(pdf).pages) + 1))
    box = sheets.nth(0).bounding_box()
    assert abs(box["width"] / box["height"] - 210 / 297) < 0.01     # A4
    assert page.locator('.sheet[data-page="5"] .folio').inner_text() == "— 1 —"   # the body starts at — 1 —
    # the 目录's page numbers are the PDF's
    printed = re.findall(r"^(\S+?) \.{4,} (\d+)$", pdftotext(pdf, "-f", "2", "-l", "3").replace("\f", "\n"), re.M)
    shown = [tuple(a.inner_text().split("\n")) for a in page.locator(".toc a").all()]
    assert len(printed) >= 20 and shown[:len(printed)] == printed
    assert "2143.8万件" in _text(page)


def test_a_saved_commentary_appears_without_reloading(page, preview):
    settle(page)
    page.evaluate("window.__marker = 42")
    f = preview["period_file"]
    text = f.read_text(encoding="utf-8")
    f.write_text(text.replace("开通以来共互相转办群众反映4.8万件。", "开通以来共互相转办群众反映4.8万件。" + DISK_SENTENCE),
                 encoding="utf-8")
    page.wait_for_function(f"document.getElementById('report').innerText.includes({DISK_SENTENCE!r})", timeout=15_000)
    assert page.evaluate("window.__marker") == 42                    # the page was not reloaded


def test_editing_a_paragraph_in_the_page_writes_the_period_file(page, preview):
    settle(page)
    para = page.locator('.para[data-id="overview.reception"]')
    para.hover()
    para.locator(".edit").click()
    page.locator(".editor textarea").fill(EDITED)
    page.locator(".editor .save").click()
    page.wait_for_function(f"document.getElementById('report').innerText.includes({EDITED!r})", timeout=15_000)
    saved = preview["period_file"].read_text(encoding="utf-8")
    assert f"  overview.reception:\n    replace: |\n      {EDITED}\n" in saved
    # round trip: the analyst's comments, key order and other entries are kept as they were
    assert saved.startswith("# 2023 年度数据分析报告 — 期间文件（数据来源、封面、分析人员的文字）\nreport: annual\n")
    assert "# 分析人员的文字（Markdown）。键为段落编号" in saved and DISK_SENTENCE in saved
    assert page.locator('.para[data-id="overview.reception"]').get_attribute("data-editable") == "analyst"


def test_an_overridden_paragraph_can_be_reset_to_the_generated_text(page, preview):
    settle(page)
    para = page.locator('.para[data-id="overview.reception"]')
    para.hover()
    para.locator(".edit").click()
    page.locator(".editor .reset").click()
    page.wait_for_function("document.getElementById('report').innerText.includes('共受理群众反映')", timeout=15_000)
    assert EDITED not in _text(page)
    assert "overview.reception" not in preview["period_file"].read_text(encoding="utf-8")
    assert page.locator('.para[data-id="overview.reception"]').get_attribute("data-editable") == "generated"


def test_adding_a_paragraph_after_a_generated_one(page, preview):
    settle(page)
    added = "分析人员在生成段落之后补充的一段。"
    para = page.locator('.para[data-id="districts.extremes"]')
    para.scroll_into_view_if_needed()
    para.hover()
    para.locator(".add").click()
    page.locator(".editor textarea").fill(added)
    page.locator(".editor .save").click()
    page.locator('.para[data-id="districts.extremes.after"]').wait_for(timeout=15_000)
    assert page.locator('.para[data-id="districts.extremes.after"] p').first.inner_text() == added
    assert f"  districts.extremes:\n    after: |\n      {added}\n" in preview["period_file"].read_text(encoding="utf-8")
    assert page.locator('.para[data-id="districts.extremes"]').get_attribute("data-editable") == "generated"


def test_broken_yaml_shows_the_clis_message_and_recovers(page, preview):
    f = preview["period_file"]
    good = f.read_text(encoding="utf-8")
    try:
        f.write_text(good.replace("report: annual\n", "report: annual\nissuer: [未闭合\n"), encoding="utf-8")
        banner = page.locator("#banner")
        banner.wait_for(state="visible", timeout=15_000)
        cli = subprocess.run([sys.executable, "-m", "reportgen.cli", "render", "annual", "--period", "2023", "--config",
                              str(preview["config"]), "--out", str(preview["tmp"] / "x.pdf")],
                             capture_output=True, text=True, cwd=preview["tmp"])
        assert cli.returncode == 2
        assert cli.stderr.splitlines()[0] in banner.inner_text()
        assert "2143.8万件" in _text(page)                           # the last good report stays on screen
    finally:
        f.write_text(good, encoding="utf-8")
    banner.wait_for(state="hidden", timeout=15_000)


def test_markdown_cannot_inject_script(page, preview):
    f = preview["period_file"]
    good = f.read_text(encoding="utf-8")
    try:
        f.write_text(good.replace("开通以来共互相转办群众反映4.8万件。", "开通以来共互相转办群众反映4.8万件。"
                                  "<script>window.__pwned=1</script><img src=x onerror=\"window.__pwned=2\">注入测试。"),
                     encoding="utf-8")
        page.wait_for_function("document.getElementById('report').innerText.includes('注入测试。')", timeout=15_000)
        assert page.evaluate("window.__pwned") is None
        assert page.locator("#report script").count() == 0 and page.locator("#report img[src=x]").count() == 0
    finally:
        f.write_text(good, encoding="utf-8")


def test_a_hostile_wording_override_runs_no_script_in_the_browser(page, preview):
    """A wording template is text (issue 17): its markup is printed in Chromium, never parsed or run."""
    f = preview["period_file"]
    good = f.read_text(encoding="utf-8")
    assert "\nwording:" not in good
    try:
        f.write_text(good + 'wording:\n  overview.channels: "<img src=x onerror=\\"window.__pwned=3\\">'
                     '渠道注入<script>window.__pwned=4</script>"\n', encoding="utf-8")
        page.wait_for_function("document.getElementById('report').innerText.includes('渠道注入')", timeout=30_000)
        assert page.evaluate("window.__pwned") is None
        assert page.locator("#report script").count() == 0 and page.locator("#report img[src=x]").count() == 0
        assert '<img src=x onerror="window.__pwned=3">渠道注入<script>window.__pwned=4</script>' in _text(page)
    finally:
        f.write_text(good, encoding="utf-8")
    page.wait_for_function("!document.getElementById('report').innerText.includes('渠道注入')", timeout=30_000)


def test_only_the_reports_own_files_are_served(preview):
    url = preview["url"]

    def status(path: str, data: bytes | None = None, headers: dict | None = None) -> int:
        req = urllib.request.Request(url + path, data=data, headers=headers or {})
        try:
            return urllib.request.urlopen(req, timeout=5).status
        except urllib.error.HTTPError as exc:
            return exc.code

    assert status("fonts/FandolFang-Regular.otf") == 200
    for path in ("fonts/", "fonts/..%2Fpyproject.toml", "asset/chart/..%2F..%2Fpyproject.toml", "config/beijing/profile.yaml",
                 "asset/photo/notahash.jpg", "templates/report.css", ".cache/"):
        assert status(path) == 404, path
    body = b'{"id": "overview.reception", "text": "x"}'
    assert status("api/paragraph", body, {"Content-Type": "application/json"}) == 403          # no token
    assert status("api/paragraph", body, {"Content-Type": "application/json", "X-Preview-Token": "guess"}) == 403


def test_round_trip_edit_then_reset_gives_back_the_file_byte_for_byte(tmp_path):
    from reportgen.preview import edit

    original = (ROOT / "config" / "beijing" / "periods" / "annual-2023.yaml").read_text(encoding="utf-8")
    f = tmp_path / "annual-2023.yaml"
    f.write_text(original, encoding="utf-8")
    edit.set_text(f, "districts.extremes", "改写的段落，引用 {{ top.total.wan }}。\n\n第二段。")
    text = f.read_text(encoding="utf-8")
    # only the new entry's lines are added, at the end of commentary; no other line of the file changes
    diff = [d for d in difflib.ndiff(original.splitlines(), text.splitlines()) if d[:1] in "+-"]
    assert diff == ["+   districts.extremes:", "+     replace: |", "+       改写的段落，引用 {{ top.total.wan }}。", "+ ",
                    "+       第二段。"]
    assert text.index("districts.extremes") < text.index("\nsections:")
    assert edit.reset(f, "districts.extremes") is True
    assert f.read_text(encoding="utf-8") == original
    assert edit.reset(f, "districts.extremes") is False


def test_edit_of_a_before_paragraph_and_of_a_new_brief_yaml(tmp_path):
    from reportgen.preview import edit

    f = tmp_path / "brief.yaml"                             # a district's file that does not exist yet
    edit.set_text(f, "per10k.text.after", "我区将持续推进。")
    assert f.read_text(encoding="utf-8") == "commentary:\n  per10k.text:\n    after: |\n      我区将持续推进。\n"
    edit.set_text(f, "per10k.text.before", "先说一句。")
    assert "    before: |\n      先说一句。\n" in f.read_text(encoding="utf-8")
    edit.reset(f, "per10k.text.after")
    edit.reset(f, "per10k.text.before")
    assert f.read_text(encoding="utf-8") == "commentary: {}\n"


@pytest.mark.parametrize("delay", [0.0, 0.5])
def test_ctrl_c_at_any_moment_stops_the_preview_quietly(delay):
    """Ctrl-C right after the address is printed (before the server is up: uvicorn then exited 3 with an
    English warning, and a Ctrl-C during the first layout left the process running) or later: exit 0, nothing
    said but the address."""
    import os
    import signal

    proc = subprocess.Popen([sys.executable, "-m", "reportgen.cli", "preview", "monthly", "--period", "2023-09",
                             "--district", "密云区", "--port", str(_free_port())], cwd=ROOT, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, env={**os.environ, "PYTHONUNBUFFERED": "1"})
    try:
        first = proc.stdout.readline()
        time.sleep(delay)
        proc.send_signal(signal.SIGINT)
        rest, _ = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert first.startswith("预览：http://127.0.0.1:") and (proc.returncode, rest) == (0, "")


def test_a_port_in_use_is_said_in_chinese_before_anything_is_laid_out():
    import socket

    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        r = subprocess.run([sys.executable, "-m", "reportgen.cli", "preview", "monthly", "--period", "2023-09",
                            "--district", "密云区", "--port", str(port)], cwd=ROOT, capture_output=True, text=True,
                           timeout=60)
    assert (r.returncode, r.stdout) == (2, "")
    assert r.stderr == (f"错误：端口 {port}（127.0.0.1）已被占用（可能另一个预览还在运行）。请换一个端口，如 --port {port + 1}，"
                        "或先关闭占用它的程序。\n")
