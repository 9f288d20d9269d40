"""What a firing does: find the period, wait for its data, render every district (retrying the ones
that fail), record the run, deliver it.

Everything that depends on time goes through a :class:`Clock`, so that tests drive the scheduler
with a clock they control.
"""

from __future__ import annotations

import hashlib
import os
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from ..config.load import PROJECT_ROOT, district_names, load_config
from ..errors import ConfigError, ReportError
from .config import Job, ScheduleFile, parse_duration
from .history import History, Run

LEASE = timedelta(hours=2)


class Clock:
    """The real clock: aware datetimes in the schedule's time zone."""

    def __init__(self, tz) -> None:
        self.tz = tz

    def now(self) -> datetime:
        return datetime.now(self.tz)

    def sleep(self, seconds: float) -> None:
        time.sleep(seconds)


# --- periods and firings -------------------------------------------------------------------

def period_for(job: Job, fire: datetime) -> str:
    """The last period that has ended by the firing: the 考核期 (19th 0:00 to 19th 0:00, named by its
    end month, '2023-09'), the calendar month ('2023-09') or the year ('2023')."""
    d = fire.date()
    if job.period == "year":
        return f"{d.year - 1:04d}"
    if job.period == "month":
        y, m = (d.year, d.month - 1) if d.month > 1 else (d.year - 1, 12)
        return f"{y:04d}-{m:02d}"
    y, m = d.year, d.month
    if d.day < 19:
        y, m = (y, m - 1) if m > 1 else (y - 1, 12)
    return f"{y:04d}-{m:02d}"


def latest_fire(job: Job, sched: ScheduleFile, now: datetime, not_before: datetime | None = None) -> datetime | None:
    """The last time the job's cron fired at or before ``now`` (None if none since ``not_before``)."""
    from apscheduler.triggers.cron import CronTrigger

    trigger = CronTrigger.from_crontab(job.cron, timezone=sched.tz)
    start = not_before or (now - timedelta(days=400))
    fire, last = trigger.get_next_fire_time(None, start), None
    while fire is not None and fire <= now:
        last = fire
        fire = trigger.get_next_fire_time(fire, fire + timedelta(seconds=1))
    return last


def next_fire(job: Job, sched: ScheduleFile, now: datetime) -> datetime | None:
    from apscheduler.triggers.cron import CronTrigger

    return CronTrigger.from_crontab(job.cron, timezone=sched.tz).get_next_fire_time(None, now + timedelta(seconds=1))


# --- inputs ----------------------------------------------------------------------------------

def ensure_period_file(job: Job, period: str, profile_dir: Path, fire: datetime) -> Path:
    """The period file of this firing; created from the job's template when it does not exist yet
    (never overwritten: an analyst may have edited it)."""
    target = profile_dir / "periods" / f"{job.report}-{period}.yaml"
    if target.exists() or not job.period_template:
        return target
    template = (profile_dir / job.period_template).read_text(encoding="utf-8")
    key = f"{period}K" if job.period == "assessment" else period
    text = (template.replace("{period}", period).replace("{period_key}", key)
            .replace("{document_date}", fire.date().isoformat()))
    from ..render import write_atomic

    write_atomic(target, text.encode("utf-8"))
    return target


def missing_inputs(job: Job, period: str, profile_dir: Path, district: str | None) -> list[str]:
    """The data files this period needs and that are not there (yet)."""
    from ..assessment import period_files
    from ..periods import parse_period

    cfg = load_config(job.report, period, profile_dir, district=district)
    missing = []
    for key, specs in cfg.period_file.sources.items():
        for s in specs:
            if s.path is None:              # a database is read when the report is rendered
                continue
            path = cfg.resolve(s.path)
            if key == "assessment":
                missing += [str(f) for f in period_files(path, parse_period(cfg.period_file.period).key) if not f.exists()]
            elif not path.exists():
                missing.append(str(path))
    return missing


def fingerprint(profile_dir: Path, data_paths: list[Path]) -> str:
    """sha256 over everything a render reads: the city's config (period files, districts' folders,
    photos), the report kinds, the templates, the fonts' names, the data files and reportgen's own
    version.  Equal fingerprints give byte-identical PDFs."""
    from .. import __version__

    h = hashlib.sha256(f"reportgen {__version__}\n".encode())
    roots = [profile_dir, profile_dir.parent / "reports", PROJECT_ROOT / "templates"]
    files: list[Path] = []
    for root in roots:
        if root.is_dir():
            files += [p for p in root.rglob("*") if p.is_file() and "__pycache__" not in p.parts]
    files += [p for d in data_paths for p in ([d] if d.is_file() else sorted(d.rglob("*")) if d.is_dir() else [])
              if p.is_file()]
    for p in sorted(set(files)):
        h.update(str(p.relative_to(p.anchor)).encode() + b"\0")
        with open(p, "rb") as fh:
            for block in iter(lambda: fh.read(1 << 20), b""):
                h.update(block)
    return h.hexdigest()


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


# --- rendering -----------------------------------------------------------------------------------

@dataclass
class Outcome:
    ok: bool
    error: str = ""
    pages: int = 0
    seconds: float = 0.0


Renderer = Callable[[Job, str, Path, dict[str, Path]], dict[str, Outcome]]


def render_districts(job: Job, period: str, profile_dir: Path, paths: dict[str, Path], workers: int = 2) -> dict[str, Outcome]:
    """The real renderer: every district's PDF in parallel worker processes (reportgen.batch)."""
    from ..batch import render_many

    results = render_many(job.report, period, profile_dir, list(paths), Path("."), workers=workers, paths=paths)
    return {r.district: Outcome(r.ok, r.error, r.pages, r.seconds) for r in results}


class Runner:
    def __init__(self, sched: ScheduleFile, profile_dir: Path, clock: Clock | None = None,
                 renderer: Renderer | None = None, mailer=None, owner: str | None = None,
                 base_dir: Path | None = None) -> None:
        self.sched = sched
        os.environ["REPORTGEN_QUIET"] = "1"            # no progress bars in the scheduler's logs
        self.profile_dir = profile_dir.resolve()
        self.clock = clock or Clock(sched.tz)
        self.render = renderer or render_districts
        self.mailer = mailer
        self.owner = owner or f"{socket.gethostname()}:{os.getpid()}"
        self.base_dir = base_dir or Path.cwd()
        self.history = History(self._path(sched.database))

    def _path(self, p: str) -> Path:
        path = Path(p)
        return path if path.is_absolute() else self.base_dir / path

    # --- the one entry point: whatever is due now ----------------------------------------------
    def run_due(self, force: bool = False, only: str | None = None) -> list[Run]:
        """Run every job whose latest firing has not run yet (a missed firing is made once: only the
        latest one counts), and every run whose wait or retry time has come."""
        now = self.clock.now()
        done: list[Run] = []
        for job in self.sched.jobs:
            if only and job.id != only:
                continue
            fire = latest_fire(job, self.sched, now, not_before=self._start(job))
            if fire is None:
                continue
            deadline = fire + parse_duration(job.wait_for_data)
            run = self.history.claim(job.id, fire, self.owner, now + LEASE, deadline)
            if run is not None:
                done.append(self.execute(job, run, fire, force))
        for run in self.history.take_waiting(now, self.owner, now + LEASE):
            if only and run.job != only:
                continue
            try:
                job = self.sched.job(run.job)
            except KeyError:
                self.history.update(run.id, status="failed", error=f"作业 {run.job} 已不在 schedule.yaml 中", owner=None)
                continue
            done.append(self.execute(job, run, datetime.fromisoformat(run.fire_time), force))
        return done

    def _start(self, job: Job) -> datetime | None:
        """Only firings after the last one taken (a missed firing is made once), and not before the job's start."""
        last = self.history.last_fire(job.id)
        bounds = [datetime.fromisoformat(last) + timedelta(seconds=1)] if last else []
        if job.start is not None:
            bounds.append(datetime.combine(job.start, datetime.min.time(), tzinfo=self.sched.tz))
        return max(bounds) if bounds else None

    # --- one run ---------------------------------------------------------------------------------
    def execute(self, job: Job, run: Run, fire: datetime, force: bool = False) -> Run:
        t0 = time.perf_counter()
        now = self.clock.now()
        period = period_for(job, fire)
        self.history.update(run.id, period=period, attempts=run.attempts + 1)
        try:
            ensure_period_file(job, period, self.profile_dir, fire)
            districts = self._districts(job)
            missing = missing_inputs(job, period, self.profile_dir, districts[0] if districts else None)
        except ReportError as exc:
            return self._finish(run, job, "failed", t0, error="\n".join(exc.problems), period=period)
        if missing:
            deadline = datetime.fromisoformat(run.deadline) if run.deadline else now
            if now < deadline:
                self.history.update(run.id, status="waiting", owner=None, lease_until=None,
                                    next_check=now + parse_duration(job.recheck),
                                    error="等待数据：" + "、".join(missing))
                return self._get(run.id)
            return self._finish(run, job, "missing", t0, period=period,
                                error=f"截至 {deadline:%Y-%m-%d %H:%M} 数据仍未到齐：" + "、".join(missing))
        data_paths = self._data_paths(job, period, districts)
        fp = fingerprint(self.profile_dir, data_paths)
        if self._reads_database(job, period, districts):     # a database may change unseen: always render
            force = True
        paths = {d: self._path(job.output.format(report=job.report, period=period, district=d)) for d in districts}
        last = self.history.last_success(job.id, period)
        if (not force and last is not None and last.fingerprint == fp and last.outputs
                and all(Path(o["path"]).exists() and _sha256(Path(o["path"])) == o["sha256"] for o in last.outputs)):
            return self._finish(run, job, "unchanged", t0, period=period, fingerprint=fp, outputs=last.outputs,
                                districts=districts, mail=False)
        results = self.render(job, period, self.profile_dir, paths)
        backoff = parse_duration(job.retry.backoff)
        for attempt in range(2, job.retry.attempts + 1):
            failed = {d: paths[d] for d, r in results.items() if not r.ok}
            if not failed:
                break
            self.clock.sleep((backoff * 2 ** (attempt - 2)).total_seconds())
            results.update(self.render(job, period, self.profile_dir, failed))
        outputs = [{"district": d, "path": str(paths[d]), "sha256": _sha256(paths[d]), "pages": r.pages,
                    "seconds": round(r.seconds, 2)} for d, r in results.items() if r.ok]
        failures = {d: r.error for d, r in results.items() if not r.ok}
        status = "done" if not failures else ("partial" if outputs else "failed")
        return self._finish(run, job, status, t0, period=period, fingerprint=fp if not failures else None,
                            outputs=outputs, failures=failures, districts=districts)

    def _districts(self, job: Job) -> list[str]:
        from ..config.load import load_model
        from ..config.models import Profile

        profile = load_model(self.profile_dir / "profile.yaml", Profile)[0]
        names = district_names(profile)
        if job.districts == "all":
            return names
        unknown = [d for d in job.districts if d not in names]
        if unknown:
            raise ConfigError(f"配置错误：schedule.yaml 作业 {job.id} 的区 “{unknown[0]}” 不在 profile.yaml 中。")
        return list(job.districts)

    def _data_paths(self, job: Job, period: str, districts: list[str]) -> list[Path]:
        cfg = load_config(job.report, period, self.profile_dir, district=districts[0] if districts else None)
        return [cfg.resolve(s.path) for specs in cfg.period_file.sources.values() for s in specs if s.path is not None]

    def _reads_database(self, job: Job, period: str, districts: list[str]) -> bool:
        cfg = load_config(job.report, period, self.profile_dir, district=districts[0] if districts else None)
        return any(s.database is not None for specs in cfg.period_file.sources.values() for s in specs)

    def _get(self, run_id: int) -> Run:
        return next(r for r in self.history.runs(limit=1000) if r.id == run_id)

    def _finish(self, run: Run, job: Job, status: str, t0: float, mail: bool = True, **fields) -> Run:
        now = self.clock.now()
        fields.setdefault("failures", {})
        self.history.update(run.id, status=status, finished=now, seconds=round(time.perf_counter() - t0, 2),
                            owner=None, lease_until=None, next_check=None, **fields)
        result = self._get(run.id)
        if mail and self.mailer is not None and job.delivery is not None:
            try:
                self.mailer.deliver(job, result)
                self.history.update(run.id, mailed=self.clock.now())
            except Exception as exc:  # noqa: BLE001 — the run is recorded; the mail failure is too
                self.history.update(run.id, error=((result.error or "") + f"\n邮件发送失败：{exc}").strip())
            result = self._get(run.id)
        return result
