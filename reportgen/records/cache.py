"""Checked records kept between processes: under a digest of the files, how they were read, the names
they were checked against and this code, beside their rejected rows."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

import duckdb

from ..atomic import replacing, write_atomic
from ..config.models import Profile, Taxonomy
from ..tickets import DatabaseTickets
from .contract import KnownNames, _sql_str

if TYPE_CHECKING:      # pandas is imported where it is used (a brief never loads it)
    pass


def _digest(files: list, profile: Profile, taxonomy: Taxonomy, known: "KnownNames | None", as_of: str | None,
            months: tuple[str, str] | None, skip_bad: bool) -> str | None:
    """What the checked records depend on: the files' bytes, how they are read, the names they are checked
    against and the code that reads and checks them.  None (no caching) for a database source or a file that
    cannot be read (its message comes from the normal path)."""
    import hashlib

    h = hashlib.sha256()
    try:
        for spec in files:
            if isinstance(spec, DatabaseTickets):
                return None
            path, *how = spec
            h.update(repr((str(path), *how)).encode())
            with open(path, "rb") as f:
                while chunk := f.read(1 << 20):
                    h.update(chunk)
        here = Path(__file__).parent             # the records package, and the readers it uses
        for module in (*sorted(here.glob("*.py")), here.parent / "sources.py", here.parent / "tickets.py"):
            h.update(module.read_bytes())
    except OSError:
        return None
    names = None if known is None else ({k: sorted(v) for k, v in known.streets.items()},
                                        {k: sorted(v) for k, v in known.units.items()})
    h.update(json.dumps([profile.model_dump_json(), taxonomy.model_dump_json(), names, as_of, months, skip_bad],
                        ensure_ascii=False, sort_keys=True).encode())
    return h.hexdigest()[:32]


KEPT_ENTRIES = 12


def _keep(con: duckdb.DuckDBPyConnection, cache: Path, digest: str, rejects: list, notices: list[str]) -> None:
    """The checked ``records_text`` and its rejects into the cache (temporary names, then renamed: a reader
    never sees half an entry; the Parquet file, renamed last, marks the entry complete)."""
    try:
        write_atomic(cache / f"{digest}.json", json.dumps({"rejects": [r.__dict__ for r in rejects], "notices": notices},
                                                          ensure_ascii=False).encode("utf-8"), durable=False)
        with replacing(cache / f"{digest}.parquet", durable=False) as tmp:
            con.execute(f"COPY records_text TO '{_sql_str(str(tmp))}' (FORMAT parquet)")
        entries = sorted(cache.glob("*.parquet"), key=lambda f: f.stat().st_mtime, reverse=True)
        for old in entries[KEPT_ENTRIES:]:        # the newest few: this year's and last year's reports, the preview
            old.unlink(missing_ok=True)
            old.with_suffix(".json").unlink(missing_ok=True)
    except (OSError, duckdb.Error):
        pass                                    # no cache (read-only, full disk): the next render checks again
