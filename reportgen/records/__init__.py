"""The records table: every source checked against the records contract, unioned, remapped.

Contract (DESIGN.md): month, channel, disposition, category_l1, category_l2, district, street,
handler_level, handler, topic, count.  Every count-based figure is a group-by-sum over it,
run in DuckDB; pandas only ever sees small result frames.

One module per job: ``contract`` (columns, names, problem types), ``checks`` (the checks in SQL),
``table`` (the DuckDB connection and the typed, remapped, ENUM-typed table), ``cache`` (checked records
kept between processes), ``store`` (RecordStore: open, check, group).
"""

from .contract import ALIASES, COLUMNS, ENUMS, FIELD_NAMES, KnownNames, Problem, Reject, month_sql
from .store import RecordStore
from .table import connect

__all__ = ["ALIASES", "COLUMNS", "ENUMS", "FIELD_NAMES", "KnownNames", "Problem", "Reject", "RecordStore", "connect",
           "month_sql"]
