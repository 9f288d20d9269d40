"""Every case of the bad-input corpus (cases.yaml) gets exactly its message, or loads when it must.

``BAD_INPUTS_SHOW=/tmp/now.jsonl pytest tests/bad_inputs`` writes what each case gives now (one JSON line each)
instead of checking it.
"""

from __future__ import annotations

import os
from pathlib import Path

import openpyxl
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import reportgen.reports  # noqa: F401  (registers the section types, whose parameters load_config checks)
from reportgen.config import load_config
from reportgen.errors import ReportError

from ..conftest import ROOT
from .catalogue import load_cases

HERE = Path(__file__).resolve().parent
CASES = load_cases()


def build_file(spec: dict, folder: Path) -> Path:
    path = folder / spec["name"]
    if "text" in spec:
        data = spec["text"].encode(spec.get("encoding", "utf-8"))
        if spec.get("bom"):
            data = "\ufeff".encode("utf-8") + data
        path.write_bytes(data)
    elif "truncate" in spec:                       # a whole file, cut short (an interrupted download)
        whole = build_file({**spec["truncate"], "name": "whole-" + spec["name"]}, folder)
        raw = whole.read_bytes()
        whole.unlink()
        path.write_bytes(raw[: int(len(raw) * spec.get("keep", 0.5))])
    elif "sheets" in spec:
        wb = openpyxl.Workbook()
        wb.remove(wb.active)
        for name, rows in spec["sheets"].items():
            ws = wb.create_sheet(name)
            for row in rows:
                ws.append(row)
        for name, ranges in (spec.get("merged") or {}).items():
            for r in ranges:
                wb[name].merge_cells(r)
        for name in spec.get("hidden") or []:
            wb[name].sheet_state = "hidden"
        for name, cells in (spec.get("number_format") or {}).items():
            for cell, fmt in cells.items():
                wb[name][cell].number_format = fmt
        wb.save(path)
    elif "parquet" in spec:
        pq.write_table(pa.table(spec["parquet"]), path)
    else:
        raise ValueError(spec)
    return path


def outcome(case: dict, tmp: Path, config: Path) -> tuple[list[str] | None, object]:
    """(messages, None) when the input is refused, (None, what loaded) when it loads."""
    os.chdir(tmp)
    try:
        if "records" in case:
            from reportgen.records import KnownNames, RecordStore

            cfg = load_config("annual", "2023", config)
            files = case["records"] if isinstance(case["records"], list) else [case["records"]]   # one or several
            sources = [(build_file(r, tmp), r.get("format"), r.get("sheet"), r.get("declare")) for r in files]
            store = RecordStore.open(sources,
                                     cfg.profile, cfg.taxonomy, as_of="2024-01", known=KnownNames.of(config),
                                     months=("2022-01", "2023-12"))
            return None, int(store.con.execute("SELECT sum(count) FROM records").fetchone()[0] or 0)
        if "assessment" in case:
            from reportgen.assessment import load_assessment

            path = build_file(case["assessment"], tmp)
            asm = load_assessment(path, period=case["assessment"].get("period", "2023-09K"),
                                  known_districts=[d for d in ("东城区", "密云区")])
            return None, len(asm.units)
        if "rankings" in case:
            from reportgen.reports.rankings import load_rankings

            path = build_file(case["rankings"], tmp)
            return None, len(load_rankings([path], case["rankings"].get("period", "2020")))
        if "command" in case:
            return _command(case["command"], config), None
        if "config" in case:
            c = case["config"]
            target = config / c["file"]
            if "content" in c:
                target.write_text(c["content"], encoding="utf-8")
            else:
                old, new = c["replace"]
                text = target.read_text(encoding="utf-8")
                assert old in text, (c["file"], old)
                target.write_text(text.replace(old, new, 1), encoding="utf-8")
            if c.get("loader") == "schedule":
                from reportgen.schedule.config import load_schedule

                return None, [j.id for j in load_schedule(config).jobs]
            cfg = load_config(c.get("report", "annual"), c.get("period", "2023"), config)
            return None, cfg.period_file.period
    except ReportError as exc:
        return list(exc.problems), None
    raise ValueError(case)


def _command(c: dict, config: Path) -> list[str]:
    """A command a user types, run in the project folder (its city folder: ``config``, the copy): the lines it
    prints on stderr, click's usage lines left out."""
    from click.testing import CliRunner

    from reportgen.cli import main

    for old, new in c.get("replace", {}).items():          # period file: old text → new
        f, _, text = old.partition(":")
        target = config / f
        assert text in target.read_text(encoding="utf-8"), (f, text)
        target.write_text(target.read_text(encoding="utf-8").replace(text, new, 1), encoding="utf-8")
    result = CliRunner().invoke(main, [*c["args"], "--config", str(config)], prog_name="reportgen")
    assert result.exit_code == c.get("status", 2), result.output
    return [line for line in result.stderr.splitlines()
            if line and not line.startswith(("用法：", "用 “reportgen", "提示："))]


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_case(case, project_copy, tmp_path):
    here = os.getcwd()
    try:
        messages, loaded = outcome(case, tmp_path, project_copy)
    finally:
        os.chdir(here)
    if os.environ.get("BAD_INPUTS_SHOW"):
        import json

        with open(os.environ["BAD_INPUTS_SHOW"], "a", encoding="utf-8") as f:
            f.write(json.dumps({"id": case["id"], "messages": messages, "loaded": loaded}, ensure_ascii=False) + "\n")
        return
    if "loads" in case:
        assert messages is None, messages
        assert loaded == case["loads"]
    elif "messages_start" in case:         # the message names folders of this machine: its beginning is fixed
        assert messages is not None and len(messages) == len(case["messages_start"]), messages
        assert all(m.startswith(start) for m, start in zip(messages, case["messages_start"])), messages
    else:
        assert messages == case["messages"]


def test_the_corpus_is_large_enough_and_ids_unique():
    ids = [c["id"] for c in CASES]
    assert len(ids) >= 40 and len(ids) == len(set(ids))
    assert all(c.get("what") for c in CASES)


def test_the_catalogue_in_docs_is_current():
    from .catalogue import catalogue

    assert (ROOT / "docs" / "error-catalogue.md").read_text(encoding="utf-8") == catalogue()
