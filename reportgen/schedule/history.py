"""Run history and run claims in SQLite (the scheduler's own table; APScheduler keeps its job store
in the same file).

A run is one firing of a job: ``(job, fire_time)`` is unique, so two services that wake for the
same firing insert the same key and only one of them gets the run (SQLite serialises the writes,
across processes).  A run that has to come back later (data not there yet, a retry) is taken
again under a lease, so that it is never worked on by two services at once either.
"""

from __future__ import annotations

import json
import sqlite3
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Iterator

SCHEMA = """
CREATE TABLE IF NOT EXISTS runs (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    job         TEXT NOT NULL,
    fire_time   TEXT NOT NULL,
    period      TEXT,
    status      TEXT NOT NULL,          -- running, waiting, done, partial, failed, missing, unchanged
    owner       TEXT,
    lease_until TEXT,
    next_check  TEXT,
    deadline    TEXT,
    districts   TEXT,                   -- JSON list
    fingerprint TEXT,
    outputs     TEXT,                   -- JSON list of {district, path, sha256, pages, seconds}
    failures    TEXT,                   -- JSON {district: message}
    attempts    INTEGER NOT NULL DEFAULT 0,
    started     TEXT,
    finished    TEXT,
    seconds     REAL,
    error       TEXT,
    mailed      TEXT,
    UNIQUE (job, fire_time)
);
CREATE INDEX IF NOT EXISTS runs_job_period ON runs (job, period);
"""


@dataclass
class Run:
    id: int
    job: str
    fire_time: str
    period: str | None
    status: str
    owner: str | None
    lease_until: str | None
    next_check: str | None
    deadline: str | None
    districts: list[str]
    fingerprint: str | None
    outputs: list[dict]
    failures: dict[str, str]
    attempts: int
    started: str | None
    finished: str | None
    seconds: float | None
    error: str | None
    mailed: str | None


def _row(r: sqlite3.Row) -> Run:
    d = dict(r)
    d["districts"] = json.loads(d["districts"] or "[]")
    d["outputs"] = json.loads(d["outputs"] or "[]")
    d["failures"] = json.loads(d["failures"] or "{}")
    return Run(**d)


class History:
    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self._conn() as con:
            con.executescript(SCHEMA)

    @contextmanager
    def _conn(self) -> Iterator[sqlite3.Connection]:
        con = sqlite3.connect(self.path, timeout=60, isolation_level=None)
        con.row_factory = sqlite3.Row
        try:
            yield con
        finally:
            con.close()

    def claim(self, job: str, fire_time: datetime, owner: str, lease_until: datetime, deadline: datetime) -> Run | None:
        """Take the run of this firing; None when another service (or an earlier run) already has it."""
        with self._conn() as con:
            cur = con.execute(
                "INSERT OR IGNORE INTO runs (job, fire_time, status, owner, lease_until, deadline, started) "
                "VALUES (?, ?, 'running', ?, ?, ?, ?)",
                (job, fire_time.isoformat(), owner, lease_until.isoformat(), deadline.isoformat(),
                 datetime.now(fire_time.tzinfo).isoformat()))
            if cur.rowcount != 1:
                return None
            return _row(con.execute("SELECT * FROM runs WHERE id = ?", (cur.lastrowid,)).fetchone())

    def take_waiting(self, now: datetime, owner: str, lease_until: datetime) -> list[Run]:
        """Runs waiting for data or for a retry whose check time has come, leased to ``owner``."""
        taken = []
        with self._conn() as con:
            rows = con.execute("SELECT id FROM runs WHERE status = 'waiting' AND next_check <= ? "
                               "AND (lease_until IS NULL OR lease_until < ?)", (now.isoformat(), now.isoformat())).fetchall()
            for (rid,) in rows:
                cur = con.execute("UPDATE runs SET status = 'running', owner = ?, lease_until = ? WHERE id = ? AND "
                                  "status = 'waiting' AND (lease_until IS NULL OR lease_until < ?)",
                                  (owner, lease_until.isoformat(), rid, now.isoformat()))
                if cur.rowcount == 1:
                    taken.append(_row(con.execute("SELECT * FROM runs WHERE id = ?", (rid,)).fetchone()))
        return taken

    def update(self, run_id: int, **fields: Any) -> None:
        for k in ("districts", "outputs", "failures"):
            if k in fields and not isinstance(fields[k], str):
                fields[k] = json.dumps(fields[k], ensure_ascii=False)
        for k, v in list(fields.items()):
            if isinstance(v, datetime):
                fields[k] = v.isoformat()
        cols = ", ".join(f"{k} = ?" for k in fields)
        with self._conn() as con:
            con.execute(f"UPDATE runs SET {cols} WHERE id = ?", (*fields.values(), run_id))

    def last_success(self, job: str, period: str) -> Run | None:
        with self._conn() as con:
            r = con.execute("SELECT * FROM runs WHERE job = ? AND period = ? AND status IN ('done', 'unchanged') "
                            "AND fingerprint IS NOT NULL ORDER BY id DESC LIMIT 1", (job, period)).fetchone()
        return _row(r) if r else None

    def last_fire(self, job: str) -> str | None:
        with self._conn() as con:
            r = con.execute("SELECT MAX(fire_time) FROM runs WHERE job = ?", (job,)).fetchone()
        return r[0] if r else None

    def runs(self, job: str | None = None, limit: int = 50) -> list[Run]:
        with self._conn() as con:
            if job:
                rows = con.execute("SELECT * FROM runs WHERE job = ? ORDER BY id DESC LIMIT ?", (job, limit)).fetchall()
            else:
                rows = con.execute("SELECT * FROM runs ORDER BY id DESC LIMIT ?", (limit,)).fetchall()
        return [_row(r) for r in rows]
