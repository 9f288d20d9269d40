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
from .history import HistoryError, _history_message, local_time
from .runner import Runner

log = logging.getLogger("reportgen.schedule")


class _Formatter(logging.Formatter):
    """“2023-10-20 08:00 作业 monthly-briefs 2023年10月考核期：完成（16 份报告；邮件已发送）”: the time in the
    schedule's time zone, in the one format of status and history."""

    def __init__(self, tz) -> None:
        super().__init__("%(asctime)s %(message)s")
        self.tz = tz

    def formatTime(self, record, datefmt=None) -> str:  # noqa: N802 — logging's name
        from datetime import datetime

        return local_time(datetime.fromtimestamp(record.created, self.tz))


_handler: logging.Handler | None = None


def configure_logging(tz, stream=None) -> logging.Handler:
    """The service's log: one line per event, with its time and its job, to ``stream`` (stderr: the journal)."""
    global _handler
    if _handler is not None:
        log.removeHandler(_handler)
    _handler = logging.StreamHandler(stream)
    _handler.setFormatter(_Formatter(tz))
    log.addHandler(_handler)
    log.setLevel(logging.INFO)
    log.propagate = False
    return _handler


def run_line(sched, run, sep: str = "；") -> str:
    """A run in the service's log (and in ``schedule due``'s lines, messages each on a line of its own: ``sep``):
    the job, the period as people name it, the result in words."""
    from .show import DELIVERY_NAMES, STATUS_NAMES, period_name

    what = f"{len(run.outputs)} 份报告" + (f"，失败 {len(run.failures)} 个区（{'、'.join(run.failures)}）"
                                         if run.failures else "")
    if run.delivery:
        what += f"；邮件{DELIVERY_NAMES.get(run.delivery, run.delivery)}"
    line = f"作业 {run.job} {period_name(sched, run)}：{STATUS_NAMES.get(run.status, run.status)}（{what}）"
    for text in (run.error, run.delivery_error if run.delivery != "sent" else None):
        if text:
            line += sep + (" " if sep == "；" else sep).join(text.splitlines())
    return line


def _fire(profile_dir: str, job_id: str, base_dir: str) -> None:
    from .mail import Mailer

    sched = load_schedule(Path(profile_dir))
    runner = Runner(sched, Path(profile_dir), mailer=Mailer(sched.smtp, tz=sched.tz) if sched.smtp else None,
                    base_dir=Path(base_dir))
    for run in runner.run_due(only=job_id or None):
        level = logging.INFO if run.status in ("done", "unchanged", "waiting") else logging.WARNING
        log.log(level, run_line(sched, run))


def fire(profile_dir: str, job_id: str, base_dir: str) -> None:
    """What APScheduler calls (module-level, so that the persistent store can name it): the runs due now, each
    logged; an error is logged in its Chinese message (the service goes on)."""
    from ..errors import ReportError

    try:
        _fire(profile_dir, job_id, base_dir)
    except ReportError as exc:
        for line in exc.problems:
            log.error(("作业 %s：" % job_id if job_id else "") + line)
    except Exception as exc:  # noqa: BLE001 — the service goes on; the next firing or recheck tries again
        log.error(("作业 %s：" % job_id if job_id else "") + f"内部错误：{exc.__class__.__name__}：{exc}")


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

    _fire(str(profile_dir), "", str(base_dir))  # a firing missed while no service ran is made now, once
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

    configure_logging(load_schedule(profile_dir).tz)
    scheduler = start_service(profile_dir, base_dir)
    for job in scheduler.get_jobs():
        if job.id != "_recheck":
            log.info(f"作业 {job.id}：下次运行 {local_time(job.next_run_time, scheduler.timezone)}")
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    stop.wait()
    log.info("定时服务正在停止（等待进行中的运行结束）。")
    scheduler.shutdown(wait=True)
    log.info("定时服务已停止。")
