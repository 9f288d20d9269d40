"""``reportgen schedule run``: the long-lived service, on APScheduler with a persistent job store.

APScheduler keeps the jobs and their next run times in the SQLite file of the run history
(SQLAlchemyJobStore), fires each job at its cron time in the schedule's time zone, coalesces
firings missed while the service was down into one (``coalesce``, ``misfire_grace_time``), and
never starts a job while its previous run is still going (``max_instances=1``).  What a firing does
is :meth:`Runner.run_due`, whose claims in the history make it safe when two services (or a
service and a cron-started ``schedule due``) wake for the same firing: one of them runs it.
"""

from __future__ import annotations

import logging
from pathlib import Path

from .config import load_schedule, parse_duration
from .history import HistoryError, _history_message
from .runner import Runner

log = logging.getLogger("reportgen.schedule")


def fire(profile_dir: str, job_id: str, base_dir: str) -> None:
    """What APScheduler calls (module-level, so that the persistent store can name it)."""
    from .mail import Mailer

    sched = load_schedule(Path(profile_dir))
    runner = Runner(sched, Path(profile_dir), mailer=Mailer(sched.smtp) if sched.smtp else None,
                    base_dir=Path(base_dir))
    for run in runner.run_due(only=job_id or None):
        log.warning("作业 %s 期间 %s：%s", run.job, run.period, run.status)


def build_scheduler(profile_dir: Path, base_dir: Path):
    from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
    from apscheduler.schedulers.background import BackgroundScheduler
    from apscheduler.triggers.cron import CronTrigger
    from apscheduler.triggers.interval import IntervalTrigger

    sched = load_schedule(profile_dir)
    db = Path(sched.database)
    db = db if db.is_absolute() else base_dir / db
    db.parent.mkdir(parents=True, exist_ok=True)
    scheduler = BackgroundScheduler(jobstores={"default": SQLAlchemyJobStore(url=f"sqlite:///{db}")}, timezone=sched.tz,
                    job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": 30 * 86400})
    args = [str(profile_dir), "", str(base_dir)]
    for job in sched.jobs:
        scheduler.add_job(fire, CronTrigger.from_crontab(job.cron, timezone=sched.tz), id=job.id,
                          args=[str(profile_dir), job.id, str(base_dir)], replace_existing=True, name=job.id)
    recheck = min(parse_duration(j.recheck) for j in sched.jobs) if sched.jobs else parse_duration("30m")
    scheduler.add_job(fire, IntervalTrigger(seconds=int(recheck.total_seconds()), timezone=sched.tz), id="_recheck",
                      args=args, replace_existing=True, name="等待数据与重试的检查")
    known = {j.id for j in sched.jobs} | {"_recheck"}
    return scheduler, known


def start_service(profile_dir: Path, base_dir: Path):
    """Catch up, then start the scheduler (in its own thread); returns it running."""
    from sqlalchemy.exc import SQLAlchemyError

    fire(str(profile_dir), "", str(base_dir))  # a firing missed while no service ran is made now, once
    scheduler = None
    try:
        scheduler, known = build_scheduler(profile_dir, base_dir)
        scheduler.start(paused=True)
        for job in scheduler.get_jobs():          # jobs removed from schedule.yaml leave the store too
            if job.id not in known:
                job.remove()
        scheduler.resume()
    except SQLAlchemyError as exc:                # the job store shares the history's file: the same message
        if scheduler is not None and scheduler.running:
            scheduler.shutdown(wait=False)
        sched = load_schedule(profile_dir)
        db = Path(sched.database)
        db = db if db.is_absolute() else base_dir / db
        raise HistoryError(_history_message(db, getattr(exc, "orig", None) or exc)) from None
    return scheduler


def run_service(profile_dir: Path, base_dir: Path) -> None:
    import signal
    import threading

    scheduler = start_service(profile_dir, base_dir)
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    stop.wait()
    scheduler.shutdown(wait=True)
