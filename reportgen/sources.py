"""Sources: read CSV / Parquet / XLSX files into DuckDB as raw relations with row positions.

One interface, ``register_source``, so later loaders (databases) plug in beside the files.
Each registered relation has the file's own columns plus ``_row`` (the row as the analyst
sees it: the spreadsheet row number, the header being row 1) and ``_sheet``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import duckdb

from .config.load import display_path
from .errors import DataError


@dataclass(frozen=True)
class Reject:
    """A row left out of the report (period file: bad_rows: skip), with why and what it held: records and
    assessment tables alike."""

    file: str
    row: int
    reason: str
    values: dict[str, str | None]


@dataclass(frozen=True)
class RawSource:
    name: str          # DuckDB view name
    path: Path | None  # None: a database
    shown: str         # path as printed in messages
    fmt: str
    sheet: str | None
    columns: tuple[str, ...]
    grouped: bool = False   # made by the tickets' GROUP BY: one row per value, never a duplicate

    def where(self, row: int | None) -> str:
        """'文件 data/x.csv 第 5 行' / '文件 x.xlsx 工作表 “数据” 第 5 行'."""
        sheet = f" 工作表 “{self.sheet}”" if self.sheet else ""
        return f"文件 {self.shown}{sheet}" + (f" 第 {row} 行" if row is not None else "")


def detect_format(path: Path, declared: str | None) -> str:
    if declared:
        return declared
    suffix = path.suffix.lower()
    fmt = {".csv": "csv", ".txt": "csv", ".parquet": "parquet", ".pq": "parquet", ".xlsx": "xlsx", ".xlsm": "xlsx"}.get(suffix)
    if fmt is None:
        raise DataError(
            f"数据错误：文件 {display_path(path)} 的格式无法识别（扩展名 “{suffix}”）。"
            "支持 .csv、.parquet、.xlsx；或在期间文件中用 format 指定。"
        )
    return fmt


def register_source(con: duckdb.DuckDBPyConnection, name: str, path: Path, fmt: str | None = None,
                    sheet: str | None = None, encoding: str | None = None,
                    aliases: dict[str, str] | None = None, find_header: bool = False,
                    percent_cells: bool = False) -> RawSource:
    """Read a file once into the DuckDB table ``name``: every check and every group-by runs on this copy, so
    the file is scanned once, and a file changed after its checks cannot change the report.  ``aliases``: other names of the expected columns (e.g. the
    Chinese 受理月份 for ``month``); such columns are renamed, and an Excel sheet or header row is found by
    them.  CSV: UTF-8 (with or without BOM), else GB18030/GBK, detected; ``encoding`` declares it.
    ``find_header``: in a CSV too, title rows above the header are skipped (the header is the first of the first ten
    lines that names at least two expected columns), as they are in an Excel sheet.  ``percent_cells``: an Excel
    cell with a percent number format is read as the percentage it shows, exactly (0.9681 formatted ``0.00%`` →
    ``96.81%``), not as the fraction it holds."""
    shown = display_path(path)
    if not path.is_file():
        raise DataError(f"数据错误：找不到数据文件 {shown}。请检查期间文件 sources 中的路径，或先运行 scripts/setup.sh 生成样例数据。")
    fmt = detect_format(path, fmt)
    try:
        return _register(con, name, path, fmt, sheet, encoding, aliases or {}, find_header, percent_cells, shown)
    except (FileNotFoundError, NotADirectoryError):
        raise DataError(vanished(shown)) from None
    except duckdb.IOException:
        if not path.is_file():
            raise DataError(vanished(shown)) from None
        raise DataError(f"数据错误：无法读取文件 {shown}（{fmt}）：读取时出现输入输出错误。请确认文件可读、磁盘正常后重试。") from None
    except PermissionError:
        raise DataError(f"数据错误：没有读取文件 {shown} 的权限。请检查文件的权限。") from None


def vanished(shown: str) -> str:
    return (f"数据错误：数据文件 {shown} 在读取过程中被删除或移走了。请确认文件在报告生成完毕之前留在原处"
            "（不要在生成时移动、覆盖或同步该文件），然后重新运行。")


def _register(con: duckdb.DuckDBPyConnection, name: str, path: Path, fmt: str, sheet: str | None,
              encoding: str | None, aliases: dict[str, str], find_header: bool, percent_cells: bool,
              shown: str) -> RawSource:
    if path.stat().st_size == 0:
        raise DataError(f"数据错误：文件 {shown} 是空文件（0 字节）。请重新导出数据。")
    skip = 0
    utf8 = path
    try:
        if fmt == "parquet":
            q = _q(path)
            con.execute(
                f"CREATE OR REPLACE TEMP TABLE {name} AS SELECT * EXCLUDE (file_row_number), "
                f"file_row_number + 2 AS _row FROM read_parquet('{q}', file_row_number = true)"
            )
        elif fmt == "csv":
            utf8 = _utf8_csv(path, shown, encoding)
            q = _q(utf8)
            skip = _csv_title_rows(utf8, aliases) if find_header and aliases else 0
            # the header read here and the dialect given: DuckDB's sniffer would take a ragged row for the header
            # of a small file and read no rows without a word; so a ragged row is an error DuckDB reports
            cols = ", ".join(f"'{_q(c)}': 'VARCHAR'" for c in _csv_header(utf8, skip, shown, aliases))
            con.execute(
                f"CREATE OR REPLACE TEMP TABLE {name} AS SELECT *, row_number() OVER () + {1 + skip} AS _row "
                f"FROM read_csv('{q}', header = true, auto_detect = false, delim = ',', quote = '\"', escape = '\"', "
                f"columns = {{{cols}}}" + (f", skip = {skip})" if skip else ")")
            )
        else:
            sheet = _register_xlsx(con, name, path, sheet, shown, aliases, percent_cells)
        columns = tuple(r[0] for r in con.execute(f"DESCRIBE {name}").fetchall() if r[0] != "_row")
    except duckdb.Error as exc:
        if isinstance(exc, duckdb.IOException) and not path.is_file():
            raise
        first = str(exc).splitlines()[0]
        if fmt == "parquet" and ("magic bytes" in first or "too small" in first or "metadata" in first.lower()):
            raise DataError(f"数据错误：文件 {shown} 不是完整的 Parquet 文件（文件末尾缺失，可能下载或复制未完成）。"
                            "请重新导出或重新复制该文件。") from None
        if fmt == "csv":                    # told by the file itself (row, field, value), never by DuckDB's text
            raise DataError(_csv_problem(path, utf8, shown, skip, aliases)) from None
        raise DataError(f"数据错误：无法读取文件 {shown}（{fmt}）。请用 Excel 或导出程序重新另存该文件。") from None
    for c in columns:                       # 数量 beside count (Excel, Parquet; a CSV's header is checked as read)
        if c in aliases and aliases[c] in columns:
            where = f" 工作表 “{sheet}” 中" if fmt == "xlsx" else " 中"
            raise DataError(twice(shown, where, f"列 “{aliases[c]}”", f"列 “{c}”", aliases[c]))
    renames = {c: aliases[c] for c in columns if c in aliases and aliases[c] not in columns}
    if renames:
        keep = ", ".join(f'"{c}" AS "{renames[c]}"' if c in renames else f'"{c}"' for c in columns)
        con.execute(f"CREATE OR REPLACE TEMP VIEW {name}_named AS SELECT {keep}, _row FROM {name}")
        name = f"{name}_named"
        columns = tuple(renames.get(c, c) for c in columns)
    return RawSource(name, path, shown, fmt, sheet, columns)


def _csv_problem(path: Path, utf8: Path, shown: str, skip: int, aliases: dict[str, str]) -> str:
    """Why DuckDB could not read this CSV, found in the file itself: a byte that is not UTF-8 after lines that
    are, or a row with more or fewer fields than the header.  A value is shown only from a file whose header
    names the expected columns (a data file); of any other file nothing is echoed."""
    import codecs
    import csv

    if utf8 == path:                        # read as UTF-8: the first line that is not
        dec = codecs.getincrementaldecoder("utf-8")()
        line = 1
        with path.open("rb") as f:
            while chunk := f.read(1 << 20):
                try:
                    dec.decode(chunk)
                except UnicodeDecodeError as exc:
                    line += chunk[: exc.start].count(b"\n")
                    return mixed_encoding(shown, line)
                line += chunk.count(b"\n")
    known = set(aliases) | set(aliases.values())
    with utf8.open("r", encoding="utf-8-sig", newline="") as f:
        rows = csv.reader(f)
        for _ in range(skip):
            next(rows, None)
        header = next(rows, None) or []
        data_file = len({c.strip() for c in header} & known) >= 2
        for i, row in enumerate(rows, start=skip + 2):
            if row and len(row) != len(header):
                if len(row) > len(header):
                    extra = "，".join(v[:30] for v in row[len(header):])
                    what = f"有 {len(row)} 个字段，比表头的 {len(header)} 列多" + (
                        f"（多出的值 “{extra}”）" if data_file else "")
                else:
                    what = f"只有 {len(row)} 个字段，比表头的 {len(header)} 列少" + (
                        f"（缺少字段 {'、'.join(header[len(row):])}）" if data_file else "")
                return (f"数据错误：文件 {shown} 第 {i} 行{what}。请检查该行是否多了或少了逗号、"
                        "含逗号的值是否加了英文双引号。")
    return f"数据错误：无法读取文件 {shown}（csv）：它不是逗号分隔、每行字段数相同的 CSV 文件。请用 Excel 另存为 “CSV UTF-8”。"


def _q(path: Path) -> str:
    return str(path).replace("'", "''")


def derived_file(kind: str, source: Path, extra: str, suffix: str) -> Path:
    """Where a file derived from ``source`` is kept (``.cache/<kind>/``): its name is a hash of the source's
    path, size and time and of ``extra`` (what was done to it), so a changed source is derived again."""
    import hashlib

    from .workspace import cache_dir

    try:
        st = source.stat()
    except FileNotFoundError:
        raise DataError(vanished(display_path(source))) from None
    key = hashlib.sha256(f"{source.resolve()}|{st.st_size}|{st.st_mtime_ns}|{extra}".encode()).hexdigest()[:24]
    return cache_dir() / kind / f"{key}{suffix}"


def _utf8_csv(path: Path, shown: str, declared: str | None) -> Path:
    """The CSV as UTF-8: the file itself when it is UTF-8 (a BOM is fine), else a transcoded copy in the
    cache.  Undeclared: UTF-8 if its first megabyte decodes as UTF-8, else GB18030 (which includes GBK)."""
    import codecs

    with path.open("rb") as f:
        head = f.read(1 << 20)
    enc = (declared or "").lower().replace("_", "-") or None
    if enc is None:
        try:
            codecs.getincrementaldecoder("utf-8")().decode(head, final=False)
            enc = "utf-8"
        except UnicodeDecodeError as exc:
            start = head.rfind(b"\n", 0, exc.start) + 1
            if _utf8_chinese(head[:start]):   # UTF-8 Chinese lines, then bytes that are not: two encodings
                raise DataError(mixed_encoding(shown, head[:start].count(b"\n") + 1)) from None
            enc = "gb18030"
    if enc in ("utf-8", "utf8", "utf-8-sig"):
        try:
            codecs.getincrementaldecoder("utf-8")().decode(head, final=False)
        except UnicodeDecodeError as exc:
            line = head[: exc.start].count(b"\n") + 1
            raise DataError(f"数据错误：文件 {shown} 第 {line} 行不是 UTF-8 编码（期间文件声明为 {declared}）。"
                            "中文版 Excel 另存的 CSV 多为 GBK：请把 encoding 改为 gbk，或删去 encoding 由程序识别。") from None
        return path
    out = derived_file("csv", path, enc, ".csv")
    if not out.is_file():
        from .atomic import replacing

        try:
            with replacing(out, durable=False) as tmp, path.open("r", encoding=enc, newline="") as src, \
                    tmp.open("w", encoding="utf-8", newline="") as dst:
                for line in src:
                    dst.write(line)
        except (UnicodeDecodeError, LookupError) as exc:
            what = "无法识别的编码名" if isinstance(exc, LookupError) else "含有不能按该编码读出的字节"
            raise DataError(f"数据错误：文件 {shown}（编码 {enc}）{what}。请用 UTF-8 或 GBK 另存，"
                            "或在期间文件的 encoding 中写明编码。") from None
    return out


def _csv_header(path: Path, skip: int, shown: str, aliases: dict[str, str]) -> list[str]:
    """The CSV's column names (after ``skip`` title lines): an empty name is ``column<n>``, a repeated one gets
    ``_1``, ``_2`` … as DuckDB names them; an expected column given twice (``count`` twice, or 数量 beside
    ``count``) is refused: which of the two the report would count cannot be known."""
    import csv

    with path.open("r", encoding="utf-8-sig", newline="") as f:
        rows = csv.reader(f)
        for _ in range(skip):
            next(rows, None)
        header = next(rows, None) or []
    names: list[str] = []
    meant: dict[str, str] = {}
    for j, h in enumerate(header):
        col = aliases.get(h.strip(), h.strip())
        if col in set(aliases.values()) and col in meant:
            raise DataError(twice(shown, f" 第 {skip + 1} 行（表头）", meant[col], f"第 {j + 1} 列 “{h}”", col))
        if col in set(aliases.values()):
            meant[col] = f"第 {j + 1} 列 “{h}”"
        name = h or f"column{j}"
        base, k = name, 0
        while name in names:
            k += 1
            name = f"{base}_{k}"
        names.append(name)
    return names


def twice(shown: str, where: str, first: str, second: str, col: str) -> str:
    return (f"数据错误：文件 {shown}{where}的{first} 与{second} 都是 {col}。"
            "无法确定应以哪一列为准：请删去其中一列。")


def _utf8_chinese(data: bytes) -> bool:
    """Whether these bytes are UTF-8 Chinese text (not GBK that happens to decode): Chinese characters and
    none of the Cyrillic, Greek, Hebrew … letters that GBK byte pairs decode to."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return any("\u4e00" <= c <= "\u9fff" for c in text) and not any("\u0080" <= c <= "\u07ff" for c in text)


def mixed_encoding(shown: str, line: int) -> str:
    return (f"数据错误：文件 {shown} 第 {line} 行不是 UTF-8 编码，而它前面的行是：文件混用了两种编码"
            "（常见于把 GBK 的 CSV 追加到 UTF-8 的文件之后）。请用 Excel 打开后另存为 “CSV UTF-8”，"
            "或把该行改用 UTF-8 重新写入。")


def _csv_title_rows(path: Path, aliases: dict[str, str]) -> int:
    """How many lines above a CSV's header (title rows of an export saved as CSV): the header is the first of the
    first ten lines that names at least two expected columns; 0 when none does (the first line is the header)."""
    import csv

    known = set(aliases) | set(aliases.values())
    with path.open("r", encoding="utf-8-sig", newline="") as f:
        for i, row in enumerate(csv.reader(f)):
            if i >= 10:
                break
            if len({c.strip() for c in row} & known) >= 2:
                return i
    return 0


def _register_xlsx(con: duckdb.DuckDBPyConnection, name: str, path: Path, sheet: str | None, shown: str,
                   aliases: dict[str, str], percent_cells: bool = False) -> str:
    """XLSX through openpyxl (DuckDB's excel extension needs a download); values as text.

    The sheet: the declared one, else the first whose header names the expected columns.  The header: the
    first of the first ten rows that names at least two expected columns (title rows above it are skipped).
    Refused with a message: merged header cells, formulas without a computed value."""
    import zipfile

    import openpyxl
    import pyarrow as pa

    try:
        wb = openpyxl.load_workbook(path, read_only=False, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError):
        raise DataError(f"数据错误：文件 {shown} 不是有效的 Excel 工作簿（.xlsx）。若它其实是 CSV，请把扩展名改为 .csv；"
                        "若是旧版 .xls，请在 Excel 中另存为 .xlsx。") from None
    known = set(aliases) | set(aliases.values())
    if sheet is not None and sheet not in wb.sheetnames:
        raise DataError(f"数据错误：文件 {shown} 中没有工作表 “{sheet}”。现有的工作表：{'、'.join(wb.sheetnames)}。"
                        "请在期间文件的 sheet 中写明数据所在的工作表。")

    def header_row(ws) -> int | None:
        for i, row in enumerate(ws.iter_rows(min_row=1, max_row=10, values_only=True), start=1):
            names = {str(v).strip() for v in row if v is not None}
            if len(names & known) >= 2:
                return i
        return None

    if sheet is not None:                   # a sheet named in the period file is read, hidden or not
        ws = wb[sheet]
    else:                                   # chosen: never a hidden sheet (an old copy, a lookup list …)
        visible = [w for w in wb.worksheets if w.sheet_state == "visible"] or wb.worksheets[:1]
        found = [w for w in visible if header_row(w) is not None] if known else []
        hidden = [w.title for w in wb.worksheets if w not in visible and known and header_row(w) is not None]
        if not found and hidden:
            raise DataError(f"数据错误：文件 {shown} 中表头相符的只有隐藏的工作表 “{hidden[0]}”，隐藏的工作表不会被自动选用。"
                            f"若数据确在其中，请在期间文件的 sheet 中写明 “{hidden[0]}”，或在 Excel 中取消隐藏。")
        ws = found[0] if found else visible[0]
    head = (header_row(ws) if known else None) or 1
    for rng in ws.merged_cells.ranges:
        if rng.min_row <= head + 1 and rng.max_row >= head - 1:      # in or next to the header row
            first = ws.cell(rng.min_row, rng.min_col).value
            raise DataError(f"数据错误：文件 {shown} 工作表 “{ws.title}” 第 {rng.min_row} 行的表头有合并单元格 {rng.coord}"
                            f"（“{first}”）。请取消合并，让表头只占一行、每列一个列名。")
    rows = ws.iter_rows(min_row=head, values_only=True)
    header = [str(h).strip() if h is not None else "" for h in next(rows, [])]
    seen: dict[str, int] = {}
    for j, h in enumerate(header):
        if h and h in seen:
            raise DataError(twice(shown, f" 工作表 “{ws.title}” 第 {head} 行（表头）", f"第 {seen[h] + 1} 列 “{h}”",
                                  f"第 {j + 1} 列 “{h}”", aliases.get(h, h)))
        seen[h] = j
    month_cols = {i for i, h in enumerate(header) if aliases.get(h, h) == "month"}
    cols: dict[str, list] = {h: [] for h in header if h}
    row_numbers = []
    formulas: list[tuple[int, str, str]] = []
    formula_ws = None
    if percent_cells:                       # the cells themselves, for their number format
        rows = (tuple(_percent_value(c) for c in cells) for cells in ws.iter_rows(min_row=head + 1))
    for i, row in enumerate(rows, start=head + 1):
        if all(v is None for v in row):
            continue
        row_numbers.append(i)
        for j, (h, v) in enumerate(zip(header, row)):
            if not h:
                continue
            if v is None:
                if formula_ws is None:
                    formula_ws = openpyxl.load_workbook(path, read_only=False, data_only=False)[ws.title]
                raw = formula_ws.cell(i, j + 1).value
                if isinstance(raw, str) and raw.startswith("="):
                    formulas.append((i, h, raw))
            cols[h].append(None if v is None else _cell_text(v, month=j in month_cols))
    if formulas:
        lines = [f"数据错误：文件 {shown} 工作表 “{ws.title}” 第 {i} 行，字段 {h} 是公式 “{f}”，文件中没有它的计算结果"
                 "（文件由程序生成、未在 Excel 中打开保存过）。请在 Excel 中打开并保存，或把公式改为数值。" for i, h, f in formulas]
        raise DataError(lines[0], lines[:20])
    cols["_row"] = row_numbers
    table = pa.table(cols)
    con.register(f"{name}_arrow", table)
    con.execute(f"CREATE OR REPLACE TEMP TABLE {name} AS SELECT * FROM {name}_arrow")
    con.unregister(f"{name}_arrow")
    return ws.title


def _percent_value(cell) -> object:
    """A percent-formatted number as the percentage it stands for, exact ('96.81%' for 0.9681: the stored fraction's
    shortest decimal × 100, never binary floating point); any other cell's value as it is."""
    v = cell.value
    if isinstance(v, (int, float)) and not isinstance(v, bool) and "%" in (getattr(cell, "number_format", "") or ""):
        from decimal import Decimal

        text = format((Decimal(repr(v)) * 100).normalize(), "f")
        return f"{text}%"
    return v


def _cell_text(v: object, month: bool = False) -> str:
    import datetime as dt

    if isinstance(v, dt.datetime):
        if month:
            return f"{v.year:04d}-{v.month:02d}"
        return v.date().isoformat() if v.time() == dt.time() else v.isoformat(sep=" ")
    if isinstance(v, dt.date):
        return f"{v.year:04d}-{v.month:02d}" if month else v.isoformat()
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v)
