"""``reportgen schedule status`` and ``history`` as tables a person reads: every time in the schedule's time zone
in one format (2023-10-20 08:00), statuses in words, the whole messages below the table (never cut by it)."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from .history import Run, local_time

if TYPE_CHECKING:                     # the command line imports this module for its words: nothing heavy at import
    from .config import ScheduleFile

STATUS_NAMES = {"done": "完成", "partial": "部分失败", "failed": "失败", "missing": "数据缺失", "unchanged": "未变化",
                "waiting": "等待数据", "running": "进行中", "undelivered": "未送达"}
DELIVERY_NAMES = {"sent": "已发送", "failed": "发送失败", "superseded": "未送达，已由之后的运行送达"}


def period_name(sched: ScheduleFile, run: Run) -> str:
    """The run's period as a reader names it (2023年9月考核期); as recorded when it cannot be named."""
    from ..names import period_label
    from .config import period_key

    if not run.period:
        return "—"
    try:
        job_period = sched.job(run.job).period
    except KeyError:
        return run.period
    try:
        return period_label(period_key(job_period, run.period))
    except Exception:  # noqa: BLE001 — a period recorded by an earlier version: shown as it is
        return run.period


def _reports(run: Run) -> str:
    if not run.outputs and not run.failures and run.status in ("waiting", "running"):
        return "—"
    return f"{len(run.outputs)} 份" + (f"，失败 {len(run.failures)}" if run.failures else "")


def status_table(sched: ScheduleFile, lasts: dict[str, Run | None], nexts: dict[str, datetime | None]):
    """One row per job: report, districts, cron, next run, the last run's firing, period, result, mail."""
    from rich.table import Table

    table = Table(title=f"定时作业（时间为 {sched.timezone}）")
    for col in ("作业", "报告", "区", "定时（cron）", "下次运行", "最近一次触发", "期间", "结果", "报告份数", "邮件"):
        table.add_column(col, no_wrap=True)
    for job in sched.jobs:
        r = lasts.get(job.id)
        districts = "全部" if job.districts == "all" else "、".join(job.districts)
        nxt = nexts.get(job.id)
        head = [job.id, job.report, districts, job.cron, local_time(nxt, sched.tz) if nxt else "无"]
        if r is None:
            table.add_row(*head, "尚未运行", "", "", "", "")
        else:
            table.add_row(*head, local_time(r.fire_time, sched.tz), period_name(sched, r),
                          STATUS_NAMES.get(r.status, r.status), _reports(r),
                          DELIVERY_NAMES.get(r.delivery, r.delivery) if r.delivery else "—")
    return table


def history_table(sched: ScheduleFile, runs: list[Run]):
    """One row per run, newest first: number, job, firing, period, result, reports, time taken, attempts, mail."""
    from rich.table import Table

    table = Table(title=f"运行记录（时间为 {sched.timezone}）")
    for col in ("编号", "作业", "触发时间", "期间", "结果", "报告份数", "用时（秒）", "尝试", "邮件", "发送时间"):
        table.add_column(col, no_wrap=True, justify="right" if col in ("编号", "用时（秒）", "尝试") else "left")
    for r in runs:
        mail = "—"
        if r.delivery:
            mail = DELIVERY_NAMES.get(r.delivery, r.delivery) + f"（{r.delivery_attempts} 次）"
        table.add_row(f"#{r.id}", r.job, local_time(r.fire_time, sched.tz), period_name(sched, r),
                      STATUS_NAMES.get(r.status, r.status), _reports(r),
                      f"{r.seconds:.1f}" if r.seconds is not None else "—", str(r.attempts), mail,
                      local_time(r.mailed, sched.tz))
    return table


def history_notes(runs: list[Run], files: bool = False) -> list[str]:
    """The runs' messages in full, below the table: failed districts, errors, delivery errors (and with ``files``
    each report's file, pages and sha256)."""
    lines: list[str] = []

    def say(run: Run, head: str, text: str) -> None:
        body = text.splitlines() or [""]
        lines.append(f"#{run.id} {head}{body[0]}")
        lines.extend(f"    {line}" for line in body[1:])

    for r in runs:
        for district, error in r.failures.items():
            say(r, f"{district}：", error)
        if r.error:
            say(r, "", r.error)
        if r.delivery_error:
            say(r, "邮件：" + ("此前" if r.delivery == "sent" else ""), r.delivery_error)
        if files:
            for o in r.outputs:
                lines.append(f"#{r.id} {o['district']}：{o['path']}（{o['pages']} 页，sha256 {o['sha256'][:16]}）")
    return lines
