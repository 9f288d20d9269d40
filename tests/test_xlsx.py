"""The report's figures as an .xlsx (issue 18): one sheet per table with the PDF's numbers as numbers, one sheet per
chart with its series, and 数字清单 with every number of the figure manifest; the CLI writes it beside the PDF."""

from __future__ import annotations

import subprocess
import sys

import openpyxl

from reportgen.reports.document import Table
from reportgen.render.xlsx import cell_value

from .conftest import ROOT


def test_printed_cells_become_numbers_with_the_printed_decimals():
    assert cell_value("133") == (133, "0")
    assert cell_value("99.59") == (99.59, "0.00")
    assert cell_value("100.00%") == (1.0, "0.00%")
    assert cell_value("96.81%") == (0.9681, "0.00%")
    assert cell_value("12↑") == (12, '0"↑";0"↓";0')
    assert cell_value("44↓") == (-44, '0"↑";0"↓";0')
    assert cell_value("—") == ("—", None)
    assert cell_value("檀营地区") == ("檀营地区", None)


def test_the_brief_as_a_workbook(tmp_path):
    out, book = tmp_path / "brief.pdf", tmp_path / "brief.xlsx"
    run = subprocess.run([sys.executable, "-m", "reportgen.cli", "render", "monthly", "--period", "2023-09",
                          "--district", "密云区", "--out", str(out), "--xlsx", str(book)],
                         capture_output=True, text=True, cwd=ROOT)
    assert run.returncode == 0, run.stderr
    wb = openpyxl.load_workbook(book)
    assert wb.sheetnames == ["表1", "表2", "表3", "表4", "图01", "数字清单"]
    from reportgen.pipeline import build

    built = build("monthly", "2023-09", district="密云区")
    tables = [b for b in built.doc.blocks if isinstance(b, Table)]
    for name, t in zip(wb.sheetnames, tables):
        ws = wb[name]
        assert ws["A1"].value == t.caption
        first = [c.text for c in t.groups[0][0]]
        got = [ws.cell(row=3, column=j + 1) for j in range(len(first))]
        for text, cell in zip(first, got):
            value, fmt = cell_value(text)
            assert cell.value == value, (name, text, cell.value)
            if fmt:
                assert cell.number_format == fmt
    t1 = wb["表1"]
    assert [t1.cell(row=3, column=j).value for j in range(1, 10)] == [1, "檀营地区", 133, 1.0, 0.9918, 1.0, 99.59, 23, 12]
    fig = built.doc.figures[0]
    chart = wb["图01"]
    assert chart["A1"].value == fig.caption == "9月考核期各区万人诉求比"
    assert [chart.cell(row=3 + i, column=1).value for i in range(len(fig.spec.categories))] == list(fig.spec.categories)
    assert chart["B3"].value == 197.06
    listed = wb["数字清单"]
    assert listed.max_row - 1 == len(built.manifest.entries)
    assert [c.value for c in listed[2]][:4] == ["total.text", "20893", "20893", "件"]
    # opened as a reader opens it: LibreOffice shows each table's cells as the PDF prints them
    shown = _libreoffice_sheets(book, tmp_path / "csv")
    assert sorted(shown) == sorted(wb.sheetnames)
    for name, t in zip(wb.sheetnames, tables):
        rows = shown[name]
        assert rows[0][0] == t.caption
        assert rows[1][: len(t.header)] == ["".join(c.lines or [c.text]) for c in t.header], name
        cells = [(i, j, c) for i, j, c in t.placed() if c.figure is None]
        assert len(cells) > 10
        assert [(i, j, c.text) for i, j, c in cells if rows[1 + i][j] != "\n".join(c.lines or [c.text])] == []
    assert [float(r[1]) for r in shown["图01"][2:2 + len(fig.spec.categories)]] == list(fig.spec.series[0].values)
    printed = {r[1] for r in shown["数字清单"][1:]}
    assert {e.text for e in built.manifest.entries} <= printed


def _libreoffice_sheets(book, out_dir) -> dict[str, list[list[str]]]:
    """Every sheet of ``book`` as LibreOffice shows it (values formatted as displayed), via its CSV export."""
    import csv

    from reportgen.render.office import office_env

    out_dir.mkdir()
    # field sep, quote, UTF-8, from line 1, -, -, -, -, cells as shown, -, -, every sheet into its own file
    spec = "csv:Text - txt - csv (StarCalc):44,34,76,1,,0,false,true,true,false,false,-1"
    run = subprocess.run(["soffice", "--headless", "--convert-to", spec, "--outdir", str(out_dir), str(book)],
                         capture_output=True, text=True, timeout=300, env=office_env(out_dir))
    files = sorted(out_dir.glob(f"{book.stem}-*.csv"))
    assert files, run.stdout + run.stderr
    return {f.stem[len(book.stem) + 1:]: list(csv.reader(f.open(encoding="utf-8"))) for f in files}


def test_charts_as_images_named_by_number_and_caption(tmp_path):
    from reportgen.pipeline import build
    from reportgen.publish import chart_files

    built = build("monthly", "2023-09", district="密云区")
    out = tmp_path / "charts"
    out.mkdir()
    files = chart_files(built, out)
    assert [f.name for f in files] == ["图01-9月考核期各区万人诉求比.png", "图01-9月考核期各区万人诉求比.svg"]
    png = files[0].read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    import struct

    w, h = struct.unpack(">II", png[16:24])              # IHDR: 300 dpi of the chart's size in mm
    spec = built.doc.figures[0].spec
    assert abs(w - spec.width_mm / 25.4 * 300) <= 2 and abs(h - spec.height_mm / 25.4 * 300) <= 2
    assert files[1].read_bytes().startswith(b"<?xml")
