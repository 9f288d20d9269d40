"""Run history and run claims in SQLite (the scheduler's own table; APScheduler keeps its job store
in the same file).

A run is one firing of a job: ``(job, fire_time)`` is unique, so two services that wake for the
same firing insert the same key and only one of them gets the run (SQLite serialises the writes,
across processes).  A run that is being worked on holds a lease (``owner`` = host:pid, ``lease_until``):
a run that has to come back later (data not there yet, a retry, a delivery to try again) is taken
again under a lease, and a ``running`` run whose lease has expired — or whose holder on this host is
no longer alive (killed during ``due``) — is taken back, so a dead process never blocks its firing.

Delivery is its own recorded step (``delivery``: ``sent``, ``failed`` — to be tried again at
``next_check`` —, ``superseded`` when a later run of the same period delivered, NULL when nothing was
to be sent).  A run whose report could not be sent has the status ``undelivered``.

Nothing secret is stored: the history holds no configuration, and every text written to it passes
through :func:`scrub` (the values of the SMTP credentials' environment variables are blanked out).

Errors of the database itself (a corrupt file, a read-only file or folder) are :class:`HistoryError`:
a Chinese message naming the file, never a traceback.
"""

from __future__ import annotations

import json
import os
import socket
import sqlite3
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Iterator

from ..errors import ReportError

SCHEMA = """
CREATE TABLE IF NOT EXISTS runs (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    job         TEXT NOT NULL,
    fire_time   TEXT NOT NULL,
    period      TEXT,
    status      TEXT NOT NULL,          -- running, waiting, done, partial, failed, missing, unchanged, undelivered
    owner       TEXT,
    lease_until TEXT,
    next_check  TEXT,
    deadline    TEXT,
    districts   TEXT,                   -- JSON list
    fingerprint TEXT,
    outputs     TEXT,                   -- JSON list of {district, path, sha256, pages, seconds, files}
    failures    TEXT,                   -- JSON {district: message}
    attempts    INTEGER NOT NULL DEFAULT 0,
    started     TEXT,
    finished    TEXT,
    seconds     REAL,
    error       TEXT,
    mailed      TEXT,
    delivery    TEXT,                   -- sent, failed, superseded; NULL: nothing to send
    delivery_error TEXT,
    delivery_attempts INTEGER NOT NULL DEFAULT 0,
    outcome     TEXT,                   -- what the render gave (done, partial, failed, missing, unchanged), kept
                                        -- while the delivery is pending; status is it once delivered
    UNIQUE (job, fire_time)
);
CREATE INDEX IF NOT EXISTS runs_job_period ON runs (job, period);
"""

# columns added after the first release: an existing history file gets them on open
ADDED = {"delivery": "TEXT", "delivery_error": "TEXT", "delivery_attempts": "INTEGER NOT NULL DEFAULT 0",
         "outcome": "TEXT"}


class HistoryError(ReportError):
    """The run-history database cannot be used (corrupt, read-only, not creatable)."""


def _history_message(path: Path, exc: BaseException) -> str:
    text = str(exc)
    low = text.lower()
    if "not a database" in low or "malformed" in low or "corrupt" in low:
        what = f"不是可用的 SQLite 数据库（文件已损坏或不是运行记录：{text}）。请把它移走或改名（运行记录将从头开始），或从备份恢复"
    elif "readonly" in low or "read-only" in low or isinstance(exc, PermissionError):
        what = f"不可写（{text}）。请检查该文件及其所在文件夹的权限与磁盘，或在 schedule.yaml 的 database 中改用可写的位置"
    elif "locked" in low or "busy" in low:
        what = f"被其他进程长时间占用（{text}）。请确认没有卡住的 reportgen 进程后重试"
    elif "unable to open" in low or isinstance(exc, OSError):
        what = f"无法打开或创建（{text}）。请检查路径、其所在文件夹是否存在且可写，或在 schedule.yaml 的 database 中改用别的位置"
    elif "disk" in low or "full" in low:
        what = f"无法写入（{text}）。请检查磁盘空间"
    else:
        what = f"无法使用（{exc.__class__.__name__}：{text}）。请检查该文件，或在 schedule.yaml 的 database 中改用别的文件"
    return f"运行记录错误：定时作业的运行记录数据库 {path} {what}。"


TIME_FORMAT = "%Y-%m-%d %H:%M"            # the one way a time is shown (status, history, mail, the service's log)


def local_time(value: str | datetime | None, tz=None) -> str:
    """A recorded time (ISO text or a datetime) as people read it, in the schedule's time zone: 2023-10-20 08:00
    (“—” when there is none)."""
    if not value:
        return "—"
    when = datetime.fromisoformat(value) if isinstance(value, str) else value
    if tz is not None and when.tzinfo is not None:
        when = when.astimezone(tz)
    return when.strftime(TIME_FORMAT)


_SECRETS: set[str] = set()


def register_secret_envs(*names: str | None) -> None:
    """The environment variables whose values must never reach the history (SMTP user and password)."""
    for name in names:
        value = os.environ.get(name) if name else None
        if value and len(value) >= 3:
            _SECRETS.add(value)


def scrub(text: Any) -> Any:
    """``text`` with every registered secret blanked out (non-strings unchanged)."""
    if not isinstance(text, str) or not _SECRETS:
        return text
    for secret in sorted(_SECRETS, key=len, reverse=True):
        text = text.replace(secret, "******")
    return text


def holder_alive(owner: str | None) -> bool:
    """Whether the lease holder ``host:pid`` may still be working: False only when it is a process of this
    host that no longer exists (another host's holder is trusted until its lease expires)."""
    if not owner or ":" not in owner:
        return True
    host, _, pid = owner.rpartition(":")
    if host != socket.gethostname() or not pid.isdigit():
        return True
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:                                    # a zombie (killed, not yet reaped) is not working either
        with open(f"/proc/{pid}/stat", encoding="ascii") as fh:
            return fh.read().rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return True


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
    delivery: str | None = None
    delivery_error: str | None = None
    delivery_attempts: int = 0
    outcome: str | None = None


def output_files(output: dict) -> dict[str, tuple[Path, str]]:
    """A recorded output's files by format: its PDF (``path``, ``sha256``) and those written beside it
    (``files``: {"docx": {"path", "sha256"}, …}; runs recorded before formats existed have none)."""
    files = {"pdf": (Path(output["path"]), str(output["sha256"]))}
    for fmt, f in (output.get("files") or {}).items():
        files[fmt] = (Path(f["path"]), str(f["sha256"]))
    return files


def _row(r: sqlite3.Row) -> Run:
    d = dict(r)
    d["districts"] = json.loads(d["districts"] or "[]")
    d["outputs"] = json.loads(d["outputs"] or "[]")
    d["failures"] = json.loads(d["failures"] or "{}")
    return Run(**d)


class History:
    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise HistoryError(_history_message(self.path, exc)) from None
        with self._conn() as con:
            con.executescript(SCHEMA)
            have = {r[1] for r in con.execute("PRAGMA table_info(runs)")}
            for col, decl in ADDED.items():
                if col not in have:
                    con.execute(f"ALTER TABLE runs ADD COLUMN {col} {decl}")

    @contextmanager
    def _conn(self) -> Iterator[sqlite3.Connection]:
        try:
            con = sqlite3.connect(self.path, timeout=60, isolation_level=None)
        except (sqlite3.Error, OSError) as exc:
            raise HistoryError(_history_message(self.path, exc)) from None
        con.row_factory = sqlite3.Row
        try:
            yield con
        except (sqlite3.DatabaseError, sqlite3.OperationalError) as exc:
            raise HistoryError(_history_message(self.path, exc)) from None
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

    def take_waiting(self, now: datetime, owner: str, lease_until: datetime, job: str | None = None) -> list[Run]:
        """Runs to work on again, leased to ``owner``: waiting for data or for a retry (their check time has
        come), undelivered (time to try the delivery again), and ``running`` runs whose holder is gone (the
        lease expired, or the holder on this host is dead)."""
        taken = []
        at = now.isoformat()
        with self._conn() as con:
            rows = con.execute(
                "SELECT id, status, owner, lease_until, job FROM runs WHERE "
                "(status = 'waiting' AND next_check <= ? AND (lease_until IS NULL OR lease_until < ?)) OR "
                "(status = 'undelivered' AND delivery = 'failed' AND next_check <= ? "
                " AND (lease_until IS NULL OR lease_until < ?)) OR "
                "status = 'running' ORDER BY id", (at, at, at, at)).fetchall()
            for rid, status, holder, until, of_job in rows:
                if job is not None and of_job != job:
                    continue
                if status == "running" and until is not None and until >= at and holder_alive(holder):
                    continue                     # being worked on
                cur = con.execute(
                    "UPDATE runs SET status = CASE status WHEN 'waiting' THEN 'running' ELSE status END, "
                    "owner = ?, lease_until = ?, "
                    "error = CASE WHEN status = 'running' THEN trim(coalesce(error, '') || char(10) || ?) "
                    "ELSE error END "
                    "WHERE id = ? AND status = ? AND owner IS ? AND lease_until IS ?",
                    (owner, lease_until.isoformat(),
                     f"（上次运行的进程 {holder or '—'} 未完成就已停止（租约至 {local_time(until)}），由 {owner} 接手重做。）",
                     rid, status, holder, until))
                if cur.rowcount == 1:
                    taken.append(_row(con.execute("SELECT * FROM runs WHERE id = ?", (rid,)).fetchone()))
        return taken

    def renew(self, run_id: int, owner: str, lease_until: datetime) -> bool:
        """Extend the lease of a run this owner holds; False when it no longer holds it."""
        with self._conn() as con:
            cur = con.execute("UPDATE runs SET lease_until = ? WHERE id = ? AND owner = ?",
                              (lease_until.isoformat(), run_id, owner))
            return cur.rowcount == 1

    def get(self, run_id: int) -> Run | None:
        with self._conn() as con:
            r = con.execute("SELECT * FROM runs WHERE id = ?", (run_id,)).fetchone()
        return _row(r) if r else None

    def undelivered(self, job: str, period: str, before: int) -> list[Run]:
        """Earlier runs of the period whose report could not be sent (a later delivery supersedes them)."""
        with self._conn() as con:
            rows = con.execute("SELECT * FROM runs WHERE job = ? AND period = ? AND id < ? AND status = 'undelivered' "
                               "AND delivery = 'failed'", (job, period, before)).fetchall()
        return [_row(r) for r in rows]

    def update(self, run_id: int, **fields: Any) -> None:
        for k in ("districts", "outputs", "failures"):
            if k in fields and not isinstance(fields[k], str):
                fields[k] = json.dumps(fields[k], ensure_ascii=False)
        for k, v in list(fields.items()):
            if isinstance(v, datetime):
                fields[k] = v.isoformat()
            else:
                fields[k] = scrub(v)
        cols = ", ".join(f"{k} = ?" for k in fields)
        with self._conn() as con:
            con.execute(f"UPDATE runs SET {cols} WHERE id = ?", (*fields.values(), run_id))

    def last_success(self, job: str, period: str) -> Run | None:
        with self._conn() as con:
            r = con.execute("SELECT * FROM runs WHERE job = ? AND period = ? AND status IN ('done', 'unchanged', "
                            "'undelivered') AND fingerprint IS NOT NULL ORDER BY id DESC LIMIT 1", (job, period)).fetchone()
        return _row(r) if r else None

    def period_runs(self, job: str, period: str) -> list[Run]:
        """The job's runs of the period that recorded outputs, newest first."""
        with self._conn() as con:
            rows = con.execute("SELECT * FROM runs WHERE job = ? AND period = ? AND outputs IS NOT NULL "
                               "AND outputs != '[]' ORDER BY id DESC", (job, period)).fetchall()
        return [_row(r) for r in rows]

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
