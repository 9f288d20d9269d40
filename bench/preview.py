"""Benchmark: the live preview — from saving a commentary file to the updated page in the browser.

    .venv/bin/python bench/preview.py [--runs 5]

Starts ``reportgen preview annual --period 2023`` on a copy of config/, opens it in headless Chromium
(Debian's, via Playwright), then saves the period file with a changed commentary sentence ``--runs``
times and measures:

* save → the new sentence on screen (HTML preview; target ≤ 1 s)
* save → the refreshed PDF laid out (target ≤ 20 s)
* charts redrawn by those saves (target: none)
"""

from __future__ import annotations

import argparse
import json
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from reportgen.workspace import cache_dir  # noqa: E402

ANCHOR = "开通以来共互相转办群众反映4.8万件。"


def main() -> None:
    from playwright.sync_api import sync_playwright

    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=5)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        config = tmp / "config"
        shutil.copytree(ROOT / "config", config)
        for f in (config / "beijing" / "periods").glob("*.yaml"):
            f.write_text(f.read_text(encoding="utf-8").replace("../../../data/", f"{ROOT}/data/"), encoding="utf-8")
        period_file = config / "beijing" / "periods" / "annual-2023.yaml"
        original = period_file.read_text(encoding="utf-8")
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        url = f"http://127.0.0.1:{port}/"
        proc = subprocess.Popen([sys.executable, "-m", "reportgen.cli", "preview", "annual", "--period", "2023",
                                 "--config", str(config / "beijing"), "--port", str(port)], cwd=tmp,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            for _ in range(300):
                try:
                    urllib.request.urlopen(url, timeout=1)
                    break
                except OSError:
                    time.sleep(0.1)
            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path=shutil.which("chromium") or "/usr/bin/chromium",
                                            args=["--no-sandbox"])
                page = browser.new_page()
                page.goto(url)
                page.wait_for_selector(".sheet[data-page]", timeout=60_000)
                html_times, pdf_times, builds = [], [], []
                charts_before = {f: f.stat().st_mtime_ns for f in (cache_dir() / "charts").glob("*.svg")}
                for i in range(args.runs):
                    before = json.load(urllib.request.urlopen(url + "content"))
                    sentence = f"基准测试第{i + 1}次保存的句子。"
                    t0 = time.perf_counter()
                    period_file.write_text(original.replace(ANCHOR, ANCHOR + sentence), encoding="utf-8")
                    page.wait_for_function(f"document.getElementById('report').innerText.includes({sentence!r})",
                                           timeout=30_000, polling="raf")
                    html_times.append(time.perf_counter() - t0)
                    while True:
                        now = json.load(urllib.request.urlopen(url + "content"))
                        if now["pdf_version"] > before["pdf_version"] and now["version"] > before["version"] \
                                and now["pdf_version"] >= now["version"]:
                            break
                        time.sleep(0.05)
                    pdf_times.append(time.perf_counter() - t0)
                    builds.append(now["build_seconds"])
                redrawn = [f for f in (cache_dir() / "charts").glob("*.svg")
                           if charts_before.get(f) != f.stat().st_mtime_ns]
                browser.close()
        finally:
            proc.terminate()
            proc.wait(timeout=10)
    print(f"save → page updated (HTML)   median {statistics.median(html_times):5.2f} s   max {max(html_times):5.2f} s"
          "   (target ≤ 1 s)")
    print(f"  of which the rebuild        median {statistics.median(builds):5.2f} s")
    print(f"save → PDF laid out          median {statistics.median(pdf_times):5.2f} s   max {max(pdf_times):5.2f} s"
          "   (target ≤ 20 s)")
    print(f"charts redrawn by {args.runs} saves: {len(redrawn)}")


if __name__ == "__main__":
    main()
