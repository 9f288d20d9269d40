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
class RawSource:
    name: str          # DuckDB view name
    path: Path | None  # None: a database
    shown: str         # path as printed in messages
    fmt: str
    sheet: str | None
    columns: tuple[str, ...]

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
                    sheet: str | None = None) -> RawSource:
    shown = display_path(path)
    if not path.is_file():
        raise DataError(f"数据错误：找不到数据文件 {shown}。请检查期间文件 sources 中的路径，或先运行 scripts/setup.sh 生成样例数据。")
    fmt = detect_format(path, fmt)
    q = str(path).replace("'", "''")
    try:
        if fmt == "parquet":
            con.execute(
                f"CREATE OR REPLACE TEMP VIEW {name} AS SELECT * EXCLUDE (file_row_number), "
                f"file_row_number + 2 AS _row FROM read_parquet('{q}', file_row_number = true)"
            )
        elif fmt == "csv":
            con.execute(
                f"CREATE OR REPLACE TEMP VIEW {name} AS SELECT *, row_number() OVER () + 1 AS _row "
                f"FROM read_csv('{q}', header = true, all_varchar = true)"
            )
        else:
            sheet = _register_xlsx(con, name, path, sheet)
        columns = tuple(r[0] for r in con.execute(f"DESCRIBE {name}").fetchall() if r[0] != "_row")
    except duckdb.Error as exc:
        raise DataError(f"数据错误：无法读取文件 {shown}（{fmt}）：{str(exc).splitlines()[0]}") from None
    return RawSource(name, path, shown, fmt, sheet, columns)


def _register_xlsx(con: duckdb.DuckDBPyConnection, name: str, path: Path, sheet: str | None) -> str:
    """XLSX through openpyxl (DuckDB's excel extension needs a download); values as text."""
    import openpyxl
    import pyarrow as pa

    wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    ws = wb[sheet] if sheet else wb.worksheets[0]
    rows = ws.iter_rows(values_only=True)
    header = [str(h).strip() if h is not None else "" for h in next(rows, [])]
    cols: dict[str, list] = {h: [] for h in header if h}
    row_numbers = []
    for i, row in enumerate(rows, start=2):
        if all(v is None for v in row):
            continue
        row_numbers.append(i)
        for h, v in zip(header, row):
            if h:
                cols[h].append(None if v is None else _cell_text(v))
    cols["_row"] = row_numbers
    table = pa.table(cols)
    con.register(f"{name}_arrow", table)
    con.execute(f"CREATE OR REPLACE TEMP VIEW {name} AS SELECT * FROM {name}_arrow")
    return ws.title


def _cell_text(v: object) -> str:
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v)
