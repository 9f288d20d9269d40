"""What a firing does: find the period, wait for its data, render every district (retrying the ones
that fail), record the run, deliver it — delivery being its own recorded step.

A run is worked on under a lease that is renewed while it lasts (after each district, during back-off
waits, before sending); whatever goes wrong inside a run ends it as ``failed`` with a Chinese message,
never leaves it ``running``.  A report that could not be sent makes the run ``undelivered``: the next
``due`` (or the service's recheck) sends it again — without rendering again while its files still have
their checksums — and the first delivery of a period supersedes the earlier undelivered runs.

Everything that depends on time goes through a :class:`Clock`, so that tests drive the scheduler
with a clock they control.
"""

from __future__ import annotations

import os
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from ..batch import BatchInterrupted
from ..config.load import display_path, district_names, load_config
from ..errors import ConfigError, ReportError
from ..fingerprint import data_paths, district_fingerprints, district_folders, sha256_file
from ..names import NAME_FIELDS
from .config import Job, ScheduleFile, parse_duration, period_key
from .history import History, HistoryError, Run, output_files, register_secret_envs

LEASE = timedelta(minutes=30)           # renewed while the run lasts; a dead holder on this host loses it at once


class Clock:
    """The real clock: aware datetimes in the schedule's time zone."""

    def __init__(self, tz) -> None:
        self.tz = tz

    def now(self) -> datetime:
        return datetime.now(self.tz)

    def sleep(self, seconds: float) -> None:
        time.sleep(seconds)


# --- periods and firings -------------------------------------------------------------------

def period_for(job: Job, fire: datetime, day: int) -> str:
    """The last period that has ended by the firing: the 考核期 (``day`` 0:00 to ``day`` 0:00 — the city's
    assessment_day — named by its end month, '2023-09'), the calendar month ('2023-09') or the year ('2023')."""
    d = fire.date()
    if job.period == "year":
        return f"{d.year - 1:04d}"
    if job.period == "month":
        y, m = (d.year, d.month - 1) if d.month > 1 else (d.year - 1, 12)
        return f"{y:04d}-{m:02d}"
    y, m = d.year, d.month
    if d.day < day:
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

def ensure_period_file(job: Job, period: str, profile_dir: Path, fire: datetime, assessment_day: int) -> Path:
    """The period file of this firing; created from the job's template when it does not exist yet
    (never overwritten: an analyst may have edited it)."""
    target = profile_dir / "periods" / f"{job.report}-{period}.yaml"
    if target.exists() or not job.period_template:
        return target
    source = profile_dir / job.period_template
    try:
        template = source.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        why = "不存在" if isinstance(exc, FileNotFoundError) else f"无法读取（{exc.__class__.__name__}：{exc}）"
        raise ConfigError(f"配置错误：schedule.yaml 作业 {job.id} 的 period_template “{job.period_template}”"
                          f"（{display_path(source)}）{why}，期间文件 {display_path(target)} 也还没有，无法生成 {period} 的报告。"
                          "请改正 period_template，或自己写好该期间文件。") from None
    from ..render import write_atomic
    from ..scaffold import period_text

    text = period_text(template, source, period, period_key(job.period, period), fire.date(), assessment_day)

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
                key_ = parse_period(cfg.period_file.period, cfg.profile.assessment_day).key
                missing += [display_path(f) for f in period_files(path, key_) if not f.exists()]
            elif not path.exists():
                missing.append(display_path(path))
    return missing


def output_paths(job: Job, period: str, districts: list[str], base: Path) -> dict[str, Path]:
    """Each district's output file by the job's pattern (checked at load; checked again here, so that a
    pattern that does not separate the reports never lets one district overwrite another)."""
    from ..names import period_label

    label = period_label(period_key(job.period, period))
    try:
        paths = {d: Path(job.output.format(report=job.report, period=period, period_label=label, district=d))
                 for d in districts}
    except (KeyError, IndexError, ValueError, AttributeError) as exc:
        raise ConfigError(f"配置错误：schedule.yaml 作业 {job.id} 的输出路径模式 “{job.output}” 无法代入"
                          f"（{exc.__class__.__name__}：{exc}）；可用的占位符有 "
                          + "、".join("{" + p + "}" for p in NAME_FIELDS) + "。") from None
    paths = {d: p if p.is_absolute() else base / p for d, p in paths.items()}
    if len(set(paths.values())) < len(paths):
        raise ConfigError(f"配置错误：schedule.yaml 作业 {job.id} 的输出路径模式 “{job.output}” 让几个区写进同一个文件；"
                          "请在其中加入 {district}。")
    return paths


# --- rendering -----------------------------------------------------------------------------------

@dataclass
class Outcome:
    ok: bool
    error: str = ""
    pages: int = 0
    seconds: float = 0.0
    files: dict[str, Path] | None = None      # format -> the file beside the PDF (the job's formats)


Renderer = Callable[[Job, str, Path, dict[str, Path]], dict[str, Outcome]]


def render_districts(job: Job, period: str, profile_dir: Path, paths: dict[str, Path], workers: int = 2,
                     on_done: Callable | None = None) -> dict[str, Outcome]:
    """The real renderer: every district's PDF (and the job's other formats beside it) in parallel worker
    processes (reportgen.batch)."""
    from ..batch import render_many

    results = render_many(job.report, period, profile_dir, list(paths), Path("."), workers=workers, paths=paths,
                          on_done=on_done, formats=tuple(job.formats))
    return {r.district: Outcome(r.ok, r.error, r.pages, r.seconds, dict(r.files)) for r in results}



class Runner:
    def __init__(self, sched: ScheduleFile, profile_dir: Path, clock: Clock | None = None,
                 renderer: Renderer | None = None, mailer=None, owner: str | None = None,
                 base_dir: Path | None = None) -> None:
        self.sched = sched
        os.environ["REPORTGEN_QUIET"] = "1"            # no progress bars in the scheduler's logs
        self.profile_dir = profile_dir.resolve()
        self.clock = clock or Clock(sched.tz)
        self.render = renderer or self._render_districts
        self.mailer = mailer
        self.owner = owner or f"{socket.gethostname()}:{os.getpid()}"
        self.base_dir = base_dir or Path.cwd()
        if sched.smtp is not None:                     # their values never reach the history
            register_secret_envs(sched.smtp.username_env, sched.smtp.password_env)
        self.history = History(self._path(sched.database))
        self._leased: int | None = None                # the run being worked on (its lease is renewed)

    def _path(self, p: str) -> Path:
        path = Path(p)
        return path if path.is_absolute() else self.base_dir / path

    # --- leases ------------------------------------------------------------------------------------
    def _render_districts(self, job: Job, period: str, profile_dir: Path, paths: dict[str, Path]) -> dict[str, Outcome]:
        return render_districts(job, period, profile_dir, paths, on_done=lambda _r: self._renew())

    def _renew(self) -> None:
        if self._leased is not None:
            self.history.renew(self._leased, self.owner, self.clock.now() + LEASE)

    def _sleep(self, seconds: float) -> None:
        """A back-off wait, in steps that keep the lease."""
        step = LEASE.total_seconds() / 3
        while seconds > 0:
            chunk = min(seconds, step)
            self.clock.sleep(chunk)
            seconds -= chunk
            self._renew()

    # --- the one entry point: whatever is due now ----------------------------------------------
    def run_due(self, force: bool = False, only: str | None = None) -> list[Run]:
        """Run every job whose latest firing has not run yet (a missed firing is made once: only the
        latest one counts), every run whose wait, retry or delivery retry time has come, and every
        ``running`` run whose holder is gone."""
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
        now = self.clock.now()
        for run in self.history.take_waiting(now, self.owner, now + LEASE, job=only):
            try:
                job = self.sched.job(run.job)
            except KeyError:
                self.history.update(run.id, status="failed", outcome="failed", owner=None, lease_until=None,
                                    next_check=None, error=f"作业 {run.job} 已不在 schedule.yaml 中")
                continue
            if run.status == "undelivered" or (run.status == "running" and run.outcome is not None):
                done.append(self.retry_delivery(job, run, force))   # rendered already: only the sending is left
            else:
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
        """Render the run's reports and deliver them.  Whatever goes wrong ends the run ``failed`` with its
        message (and the failure notice); an interruption (Ctrl-C, SIGTERM) hands the run back for the next
        ``due``; only an unusable history database is raised."""
        t0 = time.perf_counter()
        self._leased = run.id
        try:
            return self._execute(job, run, fire, force, t0)
        except HistoryError:
            raise
        except (BatchInterrupted, KeyboardInterrupt) as stop:
            self._hand_back(run, stop)
            raise
        except ReportError as exc:
            return self._finish(run, job, "failed", t0, error="\n".join(exc.problems))
        except Exception as exc:  # noqa: BLE001 — a bug must not leave the run running forever
            try:
                shown = period_for(job, fire, self._profile().assessment_day)
            except Exception:  # noqa: BLE001 — the message must still be written
                shown = "<期间>"
            return self._finish(run, job, "failed", t0,
                                error=f"内部错误：{exc.__class__.__name__}：{exc}。本次运行已终止；请用 reportgen render "
                                      f"{job.report} --period {shown} --debug 查看详情，并把输出交给维护人员。")
        finally:
            self._leased = None

    def _hand_back(self, run: Run, stop: BaseException) -> None:
        name = getattr(stop, "signal_name", "Ctrl-C")
        self.history.update(run.id, status="waiting", outcome=None, owner=None, lease_until=None,
                            next_check=self.clock.now(),
                            error=f"运行被 {name} 中断，下一次 reportgen schedule due 时重做。")

    def _execute(self, job: Job, run: Run, fire: datetime, force: bool, t0: float) -> Run:
        now = self.clock.now()
        period = period_for(job, fire, self._profile().assessment_day)
        self.history.update(run.id, period=period, attempts=run.attempts + 1, outcome=None)
        ensure_period_file(job, period, self.profile_dir, fire, self._profile().assessment_day)
        districts = self._districts(job)
        paths = output_paths(job, period, districts, self.base_dir)
        missing = missing_inputs(job, period, self.profile_dir, districts[0] if districts else None)
        if missing:
            deadline = datetime.fromisoformat(run.deadline) if run.deadline else now
            if now < deadline:
                self.history.update(run.id, status="waiting", owner=None, lease_until=None,
                                    next_check=now + parse_duration(job.recheck),
                                    error="等待数据：" + "、".join(missing))
                return self._get(run.id)
            return self._finish(run, job, "missing", t0, period=period,
                                error=f"截至 {deadline:%Y-%m-%d %H:%M} 数据仍未到齐：" + "、".join(missing))
        self._renew()
        cfg = load_config(job.report, period, self.profile_dir, district=districts[0] if districts else None)
        # each district's own fingerprint: what every district reads and its own folder (brief.yaml, case.md)
        every = list(dict.fromkeys([*district_names(cfg.profile), *districts]))
        fps = district_fingerprints(self.profile_dir, data_paths(cfg), district_folders(cfg, every))
        fps = {d: fps[d] for d in districts}
        fp = _combined(fps)
        if any(s.database is not None for specs in cfg.period_file.sources.values() for s in specs):
            force = True                                   # a database may change unseen: always render
        reusable = {} if force else self._reusable(job, period, paths, fps)
        if districts and len(reusable) == len(districts):
            # the same reports as last time: sent only when last time's could not be
            last = self.history.last_success(job.id, period)
            pending = last is not None and last.status == "undelivered" and last.delivery == "failed"
            return self._finish(run, job, "unchanged", t0, period=period, fingerprint=fp,
                                outputs=[reusable[d] for d in districts], districts=districts, mail=pending)
        todo = {d: p for d, p in paths.items() if d not in reusable}      # only the districts whose inputs changed
        results = self.render(job, period, self.profile_dir, todo)
        self._renew()
        backoff = parse_duration(job.retry.backoff)
        for attempt in range(2, job.retry.attempts + 1):
            failed = {d: paths[d] for d, r in results.items() if not r.ok}
            if not failed:
                break
            self._sleep((backoff * 2 ** (attempt - 2)).total_seconds())
            results.update(self.render(job, period, self.profile_dir, failed))
            self._renew()
        made = {d: {"district": d, "path": str(paths[d]), "sha256": sha256_file(paths[d]), "pages": r.pages,
                    "seconds": round(r.seconds, 2), "fingerprint": fps[d], "run": run.id,
                    "files": {f: {"path": str(p), "sha256": sha256_file(p)} for f, p in (r.files or {}).items()}}
                for d, r in results.items() if r.ok}
        outputs = [reusable[d] if d in reusable else made[d] for d in districts if d in reusable or d in made]
        failures = {d: r.error for d, r in results.items() if not r.ok}
        status = "done" if not failures else ("partial" if outputs else "failed")
        return self._finish(run, job, status, t0, period=period, fingerprint=fp if not failures else None,
                            outputs=outputs, failures=failures, districts=districts)

    def _reusable(self, job: Job, period: str, paths: dict[str, Path], fps: dict[str, str]) -> dict[str, dict]:
        """District → its newest recorded output of the period when it can stand for this run's: made from the
        same inputs (its own fingerprint), at this very path, in the job's formats, its files still with their
        checksums.  Only the newest record of a district counts (an older file was written over since)."""
        newest: dict[str, dict] = {}
        for old in self.history.period_runs(job.id, period):
            for o in old.outputs:
                newest.setdefault(o.get("district", ""), o)
        return {d: o for d, o in newest.items()
                if d in paths and o.get("fingerprint") == fps.get(d) and o.get("path") == str(paths[d])
                and set(output_files(o)) == set(job.formats) and _intact([o])}

    def _profile(self):
        from ..config.load import load_model
        from ..config.models import Profile

        return load_model(self.profile_dir / "profile.yaml", Profile)[0]

    def _districts(self, job: Job) -> list[str]:
        names = district_names(self._profile())
        if job.districts == "all":
            return names
        unknown = [d for d in job.districts if d not in names]
        if unknown:
            raise ConfigError(f"配置错误：schedule.yaml 作业 {job.id} 的区 “{unknown[0]}” 不在 profile.yaml 中。")
        return list(job.districts)

    def _get(self, run_id: int) -> Run:
        run = self.history.get(run_id)
        assert run is not None
        return run

    def _finish(self, run: Run, job: Job, outcome: str, t0: float, mail: bool = True, **fields) -> Run:
        """Record what the render gave (the run stays leased), then the delivery step."""
        fields.setdefault("failures", {})
        self.history.update(run.id, outcome=outcome, finished=self.clock.now(),
                            seconds=round(time.perf_counter() - t0, 2), **fields)
        return self._deliver(job, self._get(run.id), send=mail)

    # --- delivery ----------------------------------------------------------------------------------
    def _deliver(self, job: Job, run: Run, send: bool = True) -> Run:
        """The delivery step: the run ends with its outcome once sent (or when there is nothing to send),
        ``undelivered`` (to be tried again at the next check) when sending failed."""
        outcome = run.outcome or run.status
        wants = bool(run.outputs or run.failures or outcome in ("failed", "missing"))
        if not (send and wants and self.mailer is not None and job.delivery is not None):
            self.history.update(run.id, status=outcome, owner=None, lease_until=None, next_check=None)
            return self._get(run.id)
        self._renew()
        try:
            self.mailer.deliver(job, run, title=self._title(job, run))
        except Exception as exc:  # noqa: BLE001 — whatever stopped the mail, the run says so and tries again
            why = "\n".join(exc.problems) if isinstance(exc, ReportError) else \
                f"邮件发送失败：{exc.__class__.__name__}：{exc}。"
            retry_at = self.clock.now() + parse_duration(job.recheck)
            self.history.update(run.id, status="undelivered", delivery="failed",
                                delivery_error=f"{why}（第 {run.delivery_attempts + 1} 次发送；{retry_at:%Y-%m-%d %H:%M} 后再试）",
                                delivery_attempts=run.delivery_attempts + 1, next_check=retry_at,
                                owner=None, lease_until=None)
        else:
            self.history.update(run.id, status=outcome, delivery="sent", mailed=self.clock.now(),
                                delivery_attempts=run.delivery_attempts + 1, next_check=None,
                                owner=None, lease_until=None)
            self._supersede(run)
        return self._get(run.id)

    def _title(self, job: Job, run: Run) -> str | None:
        """The report's title as its PDF prints it (for a mail about a run that made no report; None when the
        period's configuration cannot be read)."""
        if not run.period:
            return None
        try:
            from ..reports.build import document_title

            districts = self._districts(job)
            return document_title(load_config(job.report, run.period, self.profile_dir,
                                              district=districts[0] if districts else None))
        except Exception:  # noqa: BLE001 — the mail names the period instead
            return None

    def _supersede(self, run: Run) -> None:
        """The period's report is delivered: earlier runs of it that could not be sent are not tried again."""
        for old in self.history.undelivered(run.job, run.period or "", before=run.id):
            self.history.update(old.id, delivery="superseded", next_check=None,
                                delivery_error=((old.delivery_error or "") + f"（已由运行 #{run.id} 送达。）").strip())

    def retry_delivery(self, job: Job, run: Run, force: bool = False) -> Run:
        """Send a rendered run again: its files as they were when it was recorded; rendered again first
        when they are gone or have changed."""
        self._leased = run.id
        try:
            if run.outputs and not _intact(run.outputs):
                return self.execute(job, run, datetime.fromisoformat(run.fire_time), force)
            return self._deliver(job, run)
        finally:
            self._leased = None

    def resend(self, run_id: int) -> Run:
        """``reportgen schedule resend``: send a finished run's reports again, as they were recorded."""
        from .mail import DeliveryError

        run = self.history.get(run_id)
        if run is None:
            raise ReportError(f"无法重发：运行记录 {self.history.path} 中没有运行 #{run_id}。"
                              "运行编号见 reportgen schedule history。")
        try:
            job = self.sched.job(run.job)
        except KeyError:
            raise ConfigError(f"无法重发：运行 #{run_id} 的作业 {run.job} 已不在 schedule.yaml 中。") from None
        if job.delivery is None or self.mailer is None:
            raise ConfigError(f"无法重发：schedule.yaml 中{'作业 ' + job.id + ' 没有 delivery（收件人）' if job.delivery is None else '没有 smtp'}，"
                              "无法发送邮件。")
        if run.status in ("running", "waiting"):
            raise ReportError(f"无法重发：运行 #{run_id}（{run.job} 期间 {run.period}）还没有完成（{run.status}）。")
        if not run.outputs:
            raise ReportError(f"无法重发：运行 #{run_id}（{run.job} 期间 {run.period}，{run.outcome or run.status}）"
                              "没有生成任何报告。")
        for p, sha in (f for o in run.outputs for f in output_files(o).values()):
            if not p.is_file():
                raise ReportError(f"无法重发：运行 #{run_id} 的输出 {p} 已不存在。请用 reportgen schedule due "
                                  f"--job {run.job} --force 重新生成并发送。")
            if sha256_file(p) != sha:
                raise ReportError(f"无法重发：运行 #{run_id} 的输出 {p} 已与运行记录不符（sha256 已变，多半已被之后的运行"
                                  "重新生成）；为免发出另一份报告，请重发最近的运行（reportgen schedule history）。")
        try:
            self.mailer.deliver(job, run, resend=True, title=self._title(job, run))
        except DeliveryError as exc:
            self.history.update(run.id, delivery_error=str(exc), delivery_attempts=run.delivery_attempts + 1)
            raise
        fields: dict = {"delivery": "sent", "mailed": self.clock.now(), "delivery_attempts": run.delivery_attempts + 1}
        if run.status == "undelivered":
            fields.update(status=run.outcome or "done", next_check=None)
        self.history.update(run.id, **fields)
        self._supersede(run)
        return self._get(run.id)


def _combined(fps: dict[str, str]) -> str:
    """The run's fingerprint: its districts' own, together."""
    import hashlib

    return hashlib.sha256("".join(f"{d}\0{fp}\n" for d, fp in sorted(fps.items())).encode()).hexdigest()


def _intact(outputs: list[dict]) -> bool:
    """Every recorded output (each of its files) is still there with its recorded checksum."""
    return all(p.is_file() and sha256_file(p) == sha for o in outputs for p, sha in output_files(o).values())
