"""Edits in the preview do not freeze numbers (issue 20, item 1), driven in a real headless Chromium: the editor
offers a generated paragraph with a slot for each figure and lists the slots; a number typed instead is saved
with the figure it was copied from, and after the data changes ``reportgen check`` reports it as stale — while
the paragraph that kept the slot prints the new figure and passes."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from .conftest import ROOT, copy_config, pdftotext
from .test_preview import CHROMIUM, settle, start_preview

PID = "departments.text"


def _cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "reportgen.cli", *args], capture_output=True, text=True, cwd=ROOT)


@pytest.fixture(scope="module")
def brief(tmp_path_factory):
    """A preview of 密云区's 2023-09 brief over a copy of config/ and of the assessment tables (so that the test
    can change the data)."""
    tmp = tmp_path_factory.mktemp("slots")
    city = copy_config(tmp / "config")
    data = tmp / "assessment"
    shutil.copytree(ROOT / "data" / "generated" / "assessment", data)
    period = city / "periods" / "monthly-2023-09.yaml"
    period.write_text(period.read_text(encoding="utf-8").replace(f"{ROOT}/data/generated/assessment", str(data)),
                      encoding="utf-8")
    proc, url = start_preview(["monthly", "--period", "2023-09", "--district", "密云区", "--config", str(city)], tmp)
    yield {"url": url, "city": city, "data": data, "period": period, "tmp": tmp}
    proc.terminate()
    proc.wait(timeout=10)


@pytest.fixture(scope="module")
def page(brief):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        pg = browser.new_page(viewport={"width": 1200, "height": 1500})
        pg.goto(brief["url"])
        pg.wait_for_selector(f'.para[data-id="{PID}"]', timeout=60_000)
        yield pg
        browser.close()


def _open_editor(page):
    page.locator(".editor").wait_for(state="detached", timeout=30_000)
    settle(page)
    para = page.locator(f'.para[data-id="{PID}"]')
    para.scroll_into_view_if_needed()
    para.hover()
    para.locator(".edit").click()
    return page.locator(".editor textarea")


def _save(page, brief, text: str) -> str:
    """Save ``text`` in the editor; the district's brief.yaml (a district's commentary is kept in its own folder)
    once the save has written it — the paragraph may already be marked as the analyst's from an earlier save."""
    import time

    f = brief["city"] / "periods" / "monthly-2023-09" / "密云区" / "brief.yaml"
    before = f.read_text(encoding="utf-8") if f.exists() else None
    page.locator(".editor textarea").fill(text)
    page.locator(".editor .save").click()
    page.wait_for_function(f"document.querySelector('.para[data-id=\"{PID}\"]').dataset.editable === 'analyst'",
                           timeout=30_000)
    deadline = time.monotonic() + 30
    while (f.read_text(encoding="utf-8") if f.exists() else None) == before and time.monotonic() < deadline:
        time.sleep(0.1)
    return f.read_text(encoding="utf-8")


def _render_and_check(brief, name: str) -> tuple[str, subprocess.CompletedProcess]:
    out = brief["tmp"] / f"{name}.pdf"
    r = _cli("render", "monthly", "--period", "2023-09", "--district", "密云区", "--config", str(brief["city"]),
             "--out", str(out))
    assert r.returncode == 0, r.stderr
    return pdftotext(out).replace("\n", ""), _cli("check", str(out), "--config", str(brief["city"]))


def _set_dept_composite(brief, value: str) -> None:
    f = brief["data"] / "districts-2023-09K.parquet"
    duckdb.sql(f"COPY (SELECT * REPLACE (CASE WHEN district = '密云区' THEN CAST('{value}' AS DECIMAL(5,2)) "
               f"ELSE composite_dept END AS composite_dept) FROM read_parquet('{f}')) TO '{f}.new' (FORMAT parquet)")
    Path(f"{f}.new").replace(f)


def test_the_editor_offers_the_generated_paragraph_with_its_slots(page):
    area = _open_editor(page)
    source = area.input_value()
    assert source.startswith("全区部门（主办+从办）综合成绩{{ dept }}分，")
    assert "（{{ dept_avg }}分）" in source and "（{{ district_score }}分）" in source
    slots = page.eval_on_selector_all(".editor .slots li", "els => els.map(e => e.textContent)")
    assert "{{ dept }} = 95.28" in slots and "{{ dept_avg }} = 99.05" in slots
    page.locator(".editor .cancel").click()


def test_a_typed_number_goes_stale_when_the_data_changes_and_a_slot_does_not(page, brief):
    _open_editor(page)
    saved = _save(page, brief, "全区部门综合成绩95.28分，比上月有所提高。")
    assert "      全区部门综合成绩95.28{# 抄自 dept #}分，比上月有所提高。\n" in saved
    text, check = _render_and_check(brief, "typed")
    assert "全区部门综合成绩95.28分，比上月有所提高。" in text
    assert check.returncode == 0, check.stderr
    assert f"（段落 {PID}）：95.28（抄自 {{{{ dept }}}}，现为“95.28”）" in check.stdout
    _set_dept_composite(brief, "96.40")            # the city's table is corrected: the data changes
    text, check = _render_and_check(brief, "stale")
    assert "全区部门综合成绩95.28分" in text       # the typed number stayed
    assert check.returncode == 1
    assert (f"（段落 {PID}）：分析人员写的数字 95.28 抄自 {{{{ dept }}}}，该数据现为“96.40”。请改写这个数字，"
            "或改用 {{ dept }}（随数据更新）") in check.stderr
    # the analyst keeps the slot instead: the new figure is printed and check passes
    _open_editor(page)
    saved = _save(page, brief, "全区部门综合成绩{{ dept }}分，比上月有所提高。")
    assert "      全区部门综合成绩{{ dept }}分，比上月有所提高。\n" in saved
    text, check = _render_and_check(brief, "slot")
    assert "全区部门综合成绩96.40分，比上月有所提高。" in text
    assert check.returncode == 0, check.stderr
