"""Scheduled rendering and delivery (reportgen/schedule), driven by a clock the tests control.

Scheduling semantics (firing, catch-up, claims) use a stand-in renderer that writes small files;
skipping unchanged periods, retries and delivery use the real renderer and a real SMTP server
(aiosmtpd on 127.0.0.1).
"""

from __future__ import annotations

import email
import os
import hashlib
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from datetime import datetime, timedelta
from email import policy
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from reportgen.errors import ConfigError
from reportgen.schedule.config import load_schedule
from reportgen.schedule.history import local_time
from reportgen.schedule.mail import Mailer
from reportgen.schedule.runner import Outcome, Runner, latest_fire, period_for

from .conftest import ROOT, copy_config

TZ = ZoneInfo("Asia/Shanghai")
ALL16 = ["东城区", "西城区", "朝阳区", "海淀区", "丰台区", "石景山区", "门头沟区", "房山区", "通州区", "顺义区",
         "大兴区", "昌平区", "平谷区", "怀柔区", "密云区", "延庆区"]


class FakeClock:
    def __init__(self, start: datetime) -> None:
        self.t = start
        self.slept: list[float] = []

    def now(self) -> datetime:
        return self.t

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.t += timedelta(seconds=seconds)


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=TZ)


@pytest.fixture
def city(tmp_path) -> Path:
    """A copy of config/ whose period files and template point at the sample data; its own schedule."""
    return copy_config(tmp_path / "config")


def write_schedule(city: Path, *, cron: str = "0 6 19 * *", districts: str = "all", port: int = 25,
                   attempts: int = 3, delivery: bool = True) -> None:
    (city / "schedule.yaml").write_text(f"""timezone: Asia/Shanghai
database: {city.parent.parent / 'schedule.sqlite'}
smtp: {{host: 127.0.0.1, port: {port}, security: none, sender: 专班 <reports@example.gov.cn>}}
jobs:
  - id: briefs
    report: monthly
    districts: {districts}
    cron: "{cron}"
    period: assessment
    period_template: periods/templates/monthly.yaml
    output: {city.parent.parent / 'out'}/{{report}}-{{period}}/{{district}}.pdf
    start: 2023-09-01
    wait_for_data: 2d
    recheck: 30m
    retry: {{attempts: {attempts}, backoff: 2m}}
""" + ("""    delivery:
      to: [analyst@example.gov.cn, chief@example.gov.cn]
      cc: [archive@example.gov.cn]
      failures_to: [ops@example.gov.cn]
      attach_limit_mb: 50
""" if delivery else ""), encoding="utf-8")


class StandIn:
    """Writes a small file per district and counts the calls (slow enough to overlap when asked)."""

    def __init__(self, delay: float = 0.0) -> None:
        self.calls: list[tuple[str, list[str]]] = []
        self.delay = delay
        self.lock = threading.Lock()

    def __call__(self, job, period, profile_dir, paths):
        with self.lock:
            self.calls.append((period, list(paths)))
        time.sleep(self.delay)
        for d, p in paths.items():
            p.parent.mkdir(parents=True, exist_ok=True)
            p.write_bytes(f"{d} {period}".encode())
        return {d: Outcome(True, pages=1) for d in paths}


def runner(city: Path, clock: FakeClock, renderer=None, mailer=None, owner: str = "test") -> Runner:
    return Runner(load_schedule(city), city, clock=clock, renderer=renderer, mailer=mailer, owner=owner,
                  base_dir=city.parent.parent)


# --- periods and firings ---------------------------------------------------------------------------

def test_period_of_a_firing():
    sched_job = type("J", (), {"period": "assessment"})()
    assert period_for(sched_job, at("2023-09-19T06:00"), 19) == "2023-09"     # the 考核期 that ended at 0:00 today
    assert period_for(sched_job, at("2023-09-18T23:00"), 19) == "2023-08"
    assert period_for(sched_job, at("2024-01-05T06:00"), 19) == "2023-12"
    month = type("J", (), {"period": "month"})()
    assert period_for(month, at("2024-01-01T06:00"), 19) == "2023-12"


def test_the_job_fires_at_its_time(city):
    write_schedule(city)
    clock = FakeClock(at("2023-09-19T05:59"))
    stand_in = StandIn()
    r = runner(city, clock, stand_in)
    assert r.run_due() == []                                   # 05:59: not yet (and nothing before the job's start)
    clock.t = at("2023-09-19T06:00")
    runs = r.run_due()
    assert [(x.period, x.status, len(x.outputs)) for x in runs] == [("2023-09", "done", 16)]
    assert stand_in.calls == [("2023-09", ALL16)]
    assert r.run_due() == []                                   # the same firing never runs twice


def test_a_run_missed_while_stopped_is_made_once_on_restart(city):
    write_schedule(city)
    clock = FakeClock(at("2023-09-19T06:00"))
    stand_in = StandIn()
    runner(city, clock, stand_in).run_due()
    # the service was down from September to 20 November: the October and November firings were missed
    clock.t = at("2023-11-20T09:00")
    r = runner(city, clock, stand_in)
    runs = r.run_due()
    assert [x.fire_time for x in runs] == [at("2023-11-19T06:00").isoformat()]   # made once, the latest
    assert runs[0].period == "2023-11" and runs[0].status == "waiting"           # its data is not there yet
    assert "units-2023-11K" in runs[0].error
    assert (city / "periods" / "monthly-2023-11.yaml").exists()                   # period file from the template
    assert r.run_due() == []                                                     # not again
    clock.t = at("2023-11-21T06:30")                                             # past wait_for_data (2 days)
    late = r.run_due()
    assert [(x.period, x.status) for x in late] == [("2023-11", "missing")]
    assert len(r.history.runs("briefs")) == 2 and len(stand_in.calls) == 1


def test_two_services_started_by_mistake_make_one_run(city):
    write_schedule(city)
    stand_in = StandIn(delay=0.5)
    clock = FakeClock(at("2023-09-19T06:00"))
    services = [runner(city, clock, stand_in, owner=f"service-{i}") for i in range(2)]
    barrier = threading.Barrier(2)
    results: list = []

    def wake(svc):
        barrier.wait()
        results.append(svc.run_due())

    threads = [threading.Thread(target=wake, args=(s,)) for s in services]
    [t.start() for t in threads]
    [t.join() for t in threads]
    assert sorted(len(x) for x in results) == [0, 1]
    assert len(stand_in.calls) == 1 and len(services[0].history.runs()) == 1


def test_two_processes_claim_one_firing(city):
    write_schedule(city)
    script = f"""
import sys; sys.path.insert(0, {str(ROOT)!r})
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo
from reportgen.schedule.history import History
h = History(Path({str(city.parent.parent / 'schedule.sqlite')!r}))
t = datetime(2023, 9, 19, 6, tzinfo=ZoneInfo("Asia/Shanghai"))
print("won" if h.claim("briefs", t, sys.argv[1], t, t) else "lost")
"""
    procs = [subprocess.Popen([sys.executable, "-c", script, f"p{i}"], stdout=subprocess.PIPE, text=True) for i in range(4)]
    outcomes = sorted(p.communicate()[0].strip() for p in procs)
    assert outcomes == ["lost", "lost", "lost", "won"]


# --- unchanged inputs, retries, delivery (real rendering, real SMTP) ------------------------------------

@pytest.fixture
def smtp_server():
    from aiosmtpd.controller import Controller

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    sink = Sink()
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    yield port, sink
    controller.stop()


def _sha(path: str) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def test_unchanged_period_is_skipped_and_a_changed_one_rendered_again(city):
    write_schedule(city, cron="0 6 19-21 * *", districts="[密云区, 延庆区]")
    clock = FakeClock(at("2023-09-19T06:00"))
    r = runner(city, clock)
    first = r.run_due()[0]
    assert first.status == "done" and len(first.outputs) == 2 and first.fingerprint
    clock.t = at("2023-09-20T06:00")                          # next firing, same period, same inputs
    second = r.run_due()[0]
    assert second.status == "unchanged" and second.outputs == first.outputs
    (city / "periods" / "monthly-2023-09" / "延庆区").mkdir()
    (city / "periods" / "monthly-2023-09" / "延庆区" / "brief.yaml").write_text(
        "commentary:\n  per10k.text:\n    after: 我区将持续做好源头治理。\n", encoding="utf-8")
    clock.t = at("2023-09-21T06:00")
    third = r.run_due()[0]
    assert third.status == "done" and third.fingerprint != first.fingerprint
    by = {o["district"]: o for o in third.outputs}
    before = {o["district"]: o for o in first.outputs}
    assert by["密云区"]["sha256"] == before["密云区"]["sha256"] == _sha(by["密云区"]["path"])   # byte-identical rerun
    assert by["延庆区"]["sha256"] != before["延庆区"]["sha256"]


def test_a_failing_district_is_retried_and_reported_while_the_others_are_delivered(city, smtp_server):
    port, sink = smtp_server
    write_schedule(city, cron="0 6 19-20 * *", port=port)
    broken = city / "periods" / "monthly-2023-09" / "东城区"
    broken.mkdir()
    (broken / "case.md").write_text("正文。\n\n![照片](missing.jpg)\n", encoding="utf-8")
    clock = FakeClock(at("2023-09-19T06:00"))
    r = runner(city, clock, mailer=Mailer(load_schedule(city).smtp, tz=load_schedule(city).tz))
    run = r.run_due()[0]
    assert run.status == "partial" and len(run.outputs) == 15 and list(run.failures) == ["东城区"]
    assert "找不到图片 “missing.jpg”" in run.failures["东城区"]
    assert clock.slept == [120, 240]                          # retried twice, backing off 2m, 4m
    assert len(sink.messages) == 2
    (rcpts, delivered), (fail_rcpts, failure) = sink.messages
    assert sorted(rcpts) == ["analyst@example.gov.cn", "archive@example.gov.cn", "chief@example.gov.cn"]
    assert len(list(delivered.iter_attachments())) == 15
    assert fail_rcpts == ["ops@example.gov.cn"] and "东城区" in failure.get_content()
    assert "找不到图片" in failure.get_content()
    # fixed the next day: the period's inputs changed, all 16 are rendered and sent
    shutil.rmtree(broken)
    clock.t = at("2023-09-20T06:00")
    again = r.run_due()[0]
    assert again.status == "done" and len(again.outputs) == 16
    rcpts, msg = sink.messages[-1]
    attachments = list(msg.iter_attachments())
    assert len(attachments) == 16 and sorted(rcpts) == ["analyst@example.gov.cn", "archive@example.gov.cn",
                                                         "chief@example.gov.cn"]
    assert sorted(a.get_filename() for a in attachments) == sorted(f"{d}.pdf" for d in ALL16)
    assert msg["Subject"] == "2023年9月“接诉即办”考核期工作情况分析（16 个区）"
    remade = "其中本次重新生成的是东城区，其余各区的报告与上次生成的相同。"   # one district's inputs changed: only it
    assert remade in msg.get_body(("plain",)).get_content()
    pdf = next(a for a in attachments if a.get_filename() == "密云区.pdf").get_content()
    assert pdf.startswith(b"%PDF") and hashlib.sha256(pdf).hexdigest() == \
        next(o["sha256"] for o in again.outputs if o["district"] == "密云区")
    history = subprocess.run([sys.executable, "-m", "reportgen.cli", "schedule", "history", "--config", str(city)],
                             capture_output=True, text=True, cwd=city.parent.parent)
    assert "│   #1 │ briefs │ 2023-09-19 06:00 │ 2023年9月考核期 │ 部分失败 │ 15 份，失败 1 │" in history.stdout
    assert "\n#1 东城区：配置错误：" in history.stdout


# --- configuration and the service ---------------------------------------------------------------------

def test_credentials_are_never_in_the_yaml(city):
    write_schedule(city)
    f = city / "schedule.yaml"
    f.write_text(f.read_text(encoding="utf-8").replace("security: none,", "security: none, password: secret,"),
                 encoding="utf-8")
    with pytest.raises(ConfigError) as exc:
        load_schedule(city)
    assert "SMTP 的密码不能写在 YAML 中（键 password）：请把它放进环境变量，并在 password_env 中写该变量的名字" in str(exc.value)


def test_the_service_keeps_its_jobs_in_a_persistent_store(city):
    from reportgen.schedule.service import build_scheduler

    write_schedule(city)
    scheduler, known = build_scheduler(city, city.parent.parent)
    scheduler.start(paused=True)
    try:
        assert {j.id for j in scheduler.get_jobs()} == {"briefs", "_recheck"} == known
    finally:
        scheduler.shutdown(wait=False)
    with sqlite3.connect(city.parent.parent / "schedule.sqlite") as con:
        rows = dict(con.execute("SELECT id, next_run_time FROM apscheduler_jobs").fetchall())
    assert set(rows) == {"briefs", "_recheck"} and rows["briefs"] > time.time()
    fire = latest_fire(load_schedule(city).jobs[0], load_schedule(city), at("2023-10-25T00:00"))
    assert fire == at("2023-10-19T06:00")


def test_the_service_fires_at_the_cron_time_and_catches_up_once_after_a_restart(city):
    """The real service (APScheduler, persistent store) on a travelling clock (time-machine)."""
    import time_machine

    from reportgen.schedule.history import History
    from reportgen.schedule.service import start_service

    write_schedule(city, districts="[密云区]", delivery=False)
    history = History(city.parent.parent / "schedule.sqlite")
    base = city.parent.parent
    with time_machine.travel(at("2023-09-19T05:59:58"), tick=True):
        scheduler = start_service(city, base)
        try:
            assert history.runs() == []                          # nothing due before 06:00
            for _ in range(150):
                if history.runs() and history.runs()[0].status != "running":
                    break
                time.sleep(0.2)
        finally:
            scheduler.shutdown(wait=True)
    [run] = history.runs()
    assert (run.fire_time, run.period, run.status, len(run.outputs)) == \
        (at("2023-09-19T06:00").isoformat(), "2023-09", "done", 1)
    # stopped until 25 October: the firing of 19 October was missed; on restart it is made once
    with time_machine.travel(at("2023-10-25T10:00"), tick=True):
        scheduler = start_service(city, base)
        scheduler.shutdown(wait=True)
        scheduler = start_service(city, base)                  # a second restart makes nothing more
        scheduler.shutdown(wait=True)
    runs = history.runs()
    assert [(r.fire_time, r.period) for r in runs] == [(at("2023-10-19T06:00").isoformat(), "2023-10"),
                                                        (at("2023-09-19T06:00").isoformat(), "2023-09")]


def test_too_large_attachments_are_sent_as_links(city, smtp_server):
    port, sink = smtp_server
    write_schedule(city, port=port)
    f = city / "schedule.yaml"
    f.write_text(f.read_text(encoding="utf-8").replace("attach_limit_mb: 50", "attach_limit_mb: 0.0001\n"
                                                       "      link_base: https://reports.example.gov.cn/"),
                 encoding="utf-8")
    r = runner(city, FakeClock(at("2023-09-19T06:00")), StandIn(), mailer=Mailer(load_schedule(city).smtp, tz=load_schedule(city).tz))
    run = r.run_due()[0]
    assert run.status == "done"
    [(rcpts, msg)] = sink.messages
    assert list(msg.iter_attachments()) == []
    body = msg.get_body(("plain",)).get_content()
    assert "超过 0.0001 MB，改为链接" in body
    assert f"  密云区：https://reports.example.gov.cn/{Path(run.outputs[14]['path']).as_posix()}" in body


# --- delivery is its own step: SMTP down, then up; resend ------------------------------------------------

def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Sink:
    """What a real SMTP server (aiosmtpd) received."""

    def __init__(self) -> None:
        self.messages: list[tuple[list[str], email.message.EmailMessage]] = []
        self.raw: list[bytes] = []                       # as it came over the wire (an .eml)

    async def handle_DATA(self, server, session, envelope):
        self.raw.append(envelope.original_content or envelope.content)
        self.messages.append((list(envelope.rcpt_tos), email.message_from_bytes(envelope.content, policy=policy.default)))
        return "250 OK"


def _due(city: Path, *extra: str):
    from click.testing import CliRunner

    from reportgen.cli import main

    return CliRunner().invoke(main, ["schedule", *extra, "--config", str(city)], catch_exceptions=False)


def test_a_report_not_sent_while_smtp_is_down_is_delivered_once_when_it_is_up(city):
    """The issue's case: SMTP down at the first firing, up at the second; real rendering, real SMTP server."""
    import time_machine
    from aiosmtpd.controller import Controller

    from reportgen.schedule.history import History

    port = _free_port()                                   # nothing listens there yet: the server is down
    write_schedule(city, cron="0 6 19-20 * *", districts="[密云区]", port=port)
    with time_machine.travel(at("2023-09-19T06:00"), tick=True):
        first = _due(city, "due")
    assert first.exit_code == 1, first.output
    assert first.stdout.splitlines() == [
        "#1 作业 briefs 2023年9月考核期：未送达（1 份报告；邮件发送失败）",
        f"  邮件发送失败：无法连接 SMTP 服务器 127.0.0.1:{port}（ConnectionRefusedError：[Errno 111] Connection refused）。"
        "（第 1 次发送；2023-09-19 06:30 后再试）"]
    history = History(city.parent.parent / "schedule.sqlite")
    [run1] = history.runs()
    assert (run1.status, run1.outcome, run1.delivery, run1.delivery_attempts, run1.mailed) == \
        ("undelivered", "done", "failed", 1, None)
    pdf = Path(run1.outputs[0]["path"])
    made = pdf.stat().st_mtime_ns

    sink = Sink()
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()                                    # the server is back
    try:
        with time_machine.travel(at("2023-09-20T06:00"), tick=True):
            second = _due(city, "due")
        with time_machine.travel(at("2023-09-20T08:00"), tick=True):
            third = _due(city, "due")
    finally:
        controller.stop()
    assert second.exit_code == 0, second.output
    assert second.stdout.splitlines() == ["#2 作业 briefs 2023年9月考核期：未变化（1 份报告；邮件已发送）"]
    assert (third.exit_code, third.stdout) == (0, "没有到期的作业。\n")
    [(rcpts, msg)] = sink.messages                        # delivered exactly once
    assert sorted(rcpts) == ["analyst@example.gov.cn", "archive@example.gov.cn", "chief@example.gov.cn"]
    assert msg["Subject"] == "密云区2023年9月“接诉即办”考核期工作情况分析"
    [attachment] = list(msg.iter_attachments())
    assert attachment.get_filename() == "密云区.pdf"
    assert hashlib.sha256(attachment.get_content()).hexdigest() == run1.outputs[0]["sha256"]
    assert pdf.stat().st_mtime_ns == made                 # not rendered again
    run2, run1 = history.runs()
    assert (run2.status, run2.delivery, run2.mailed is not None) == ("unchanged", "sent", True)
    assert (run1.status, run1.delivery) == ("undelivered", "superseded")   # recorded as not delivered
    assert run1.delivery_error.endswith("（已由运行 #2 送达。）")
    shown = _due(city, "history").stdout
    assert "│   #1 │ briefs │ 2023-09-19 06:00 │ 2023年9月考核期 │ 未送达 │ 1 份" in shown
    assert "│ 未送达，已由之后的运行送达（1 次） │" in shown and "│ 已发送（1 次）" in shown


@pytest.fixture
def smtp_later():
    """A real SMTP server on a port chosen now and started when the test says so."""
    from aiosmtpd.controller import Controller

    port, sink, started = _free_port(), Sink(), []

    def up() -> None:
        controller = Controller(sink, hostname="127.0.0.1", port=port)
        controller.start()
        started.append(controller)

    yield port, sink, up
    for c in started:
        c.stop()


def test_the_next_due_sends_again_without_rendering_and_renders_only_when_the_files_changed(city, smtp_later):
    port, sink, up = smtp_later
    write_schedule(city, districts="[密云区, 延庆区]", port=port)
    clock = FakeClock(at("2023-09-19T06:00"))
    stand_in = StandIn()
    r = runner(city, clock, stand_in, mailer=Mailer(load_schedule(city).smtp, tz=load_schedule(city).tz))
    [run] = r.run_due()
    assert (run.status, run.delivery, run.next_check) == ("undelivered", "failed", at("2023-09-19T06:30").isoformat())
    clock.t = at("2023-09-19T06:10")
    assert r.run_due() == []                              # not before the next check (recheck: 30m)
    clock.t = at("2023-09-19T06:30")
    [again] = r.run_due()                                 # the server is still down: tried, recorded, later again
    assert (again.status, again.delivery_attempts, again.next_check) == \
        ("undelivered", 2, at("2023-09-19T07:00").isoformat())
    up()
    clock.t = at("2023-09-19T07:00")
    [sent] = r.run_due()
    assert (sent.id, sent.status, sent.delivery, sent.delivery_attempts) == (run.id, "done", "sent", 3)
    assert len(stand_in.calls) == 1 and len(sink.messages) == 1          # sent, not rendered again
    assert len(list(sink.messages[0][1].iter_attachments())) == 2


def test_a_report_whose_files_changed_before_the_retry_is_rendered_again_then_sent(city, smtp_later):
    port, sink, up = smtp_later
    write_schedule(city, districts="[密云区, 延庆区]", port=port)
    clock = FakeClock(at("2023-09-19T06:00"))
    stand_in = StandIn()
    r = runner(city, clock, stand_in, mailer=Mailer(load_schedule(city).smtp, tz=load_schedule(city).tz))
    [run] = r.run_due()
    assert run.status == "undelivered"
    Path(run.outputs[0]["path"]).unlink()                 # gone before the retry: never send a different file
    up()
    clock.t = at("2023-09-19T06:30")
    [sent] = r.run_due()
    assert (sent.id, sent.status, sent.delivery, sent.attempts) == (run.id, "done", "sent", 2)
    assert len(stand_in.calls) == 2 and len(sink.messages) == 1
    assert Path(run.outputs[0]["path"]).exists()


def test_resend_sends_a_runs_reports_again_or_says_why_not(city, smtp_later):
    port, sink, up = smtp_later
    up()
    write_schedule(city, districts="[密云区, 延庆区]", port=port)
    r = runner(city, FakeClock(at("2023-09-19T06:00")), StandIn(), mailer=Mailer(load_schedule(city).smtp, tz=load_schedule(city).tz))
    [run] = r.run_due()
    assert run.status == "done" and len(sink.messages) == 1
    resent = _due(city, "resend", str(run.id))
    assert resent.exit_code == 0, resent.output
    assert resent.stdout == (f"已重发运行 #{run.id}（作业 briefs 2023年9月考核期）：2 份报告，发给 analyst@example.gov.cn、"
                             "chief@example.gov.cn，抄送 archive@example.gov.cn。\n")
    rcpts, msg = sink.messages[-1]
    assert len(sink.messages) == 2 and msg["Subject"] == "【重发】2023年9月“接诉即办”考核期工作情况分析（2 个区）"
    assert sorted(a.get_filename() for a in msg.iter_attachments()) == ["密云区.pdf", "延庆区.pdf"]
    assert r.history.get(run.id).delivery_attempts == 2

    unknown = _due(city, "resend", "99")
    assert (unknown.exit_code, unknown.stderr) == (
        2, f"无法重发：运行记录 {city.parent.parent / 'schedule.sqlite'} 中没有运行 #99。运行编号见 reportgen schedule history。\n")
    empty = r.history.claim("briefs", at("2023-08-19T06:00"), "test", at("2023-08-19T06:00"), at("2023-08-19T06:00"))
    r.history.update(empty.id, status="missing", outcome="missing", period="2023-08")
    nothing = _due(city, "resend", str(empty.id))
    assert (nothing.exit_code, nothing.stderr) == (
        2, f"无法重发：运行 #{empty.id}（briefs 期间 2023-08，missing）没有生成任何报告。\n")
    gone = Path(run.outputs[1]["path"])
    gone.unlink()
    missing = _due(city, "resend", str(run.id))
    assert (missing.exit_code, missing.stderr) == (
        2, f"无法重发：运行 #{run.id} 的输出 {gone} 已不存在。请用 reportgen schedule due --job briefs --force 重新生成并发送。\n")
    assert len(sink.messages) == 2


# --- leases: a dead or stalled holder never blocks its firing; errors end a run ------------------------------

def test_a_run_whose_process_was_killed_during_due_is_taken_back(city):
    write_schedule(city, districts="[密云区]", delivery=False)
    script = f"""
import sys, time
sys.path.insert(0, {str(ROOT)!r})
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo
from reportgen.schedule.config import load_schedule
from reportgen.schedule.runner import Runner
city = Path({str(city)!r})
class Clock:
    def now(self): return datetime(2023, 9, 19, 6, tzinfo=ZoneInfo("Asia/Shanghai"))
    def sleep(self, s): pass
def hangs(job, period, profile_dir, paths):
    print("rendering", flush=True)
    time.sleep(120)
Runner(load_schedule(city), city, clock=Clock(), renderer=hangs, base_dir=city.parent.parent).run_due()
"""
    proc = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "rendering"
    proc.kill()                                           # SIGKILL during `due`: nothing of its own runs
    proc.wait()
    clock = FakeClock(at("2023-09-19T06:05"))             # well within the dead run's lease
    stand_in = StandIn()
    r = runner(city, clock, stand_in, owner=f"{socket.gethostname()}:{os.getpid()}")
    [stuck] = r.history.runs()
    assert (stuck.status, stuck.owner) == ("running", f"{socket.gethostname()}:{proc.pid}")
    [run] = r.run_due()
    assert (run.id, run.status, len(run.outputs), run.owner, run.lease_until) == (stuck.id, "done", 1, None, None)
    assert f"（上次运行的进程 {socket.gethostname()}:{proc.pid} 未完成就已停止（租约至 {local_time(stuck.lease_until)}），" \
           f"由 {socket.gethostname()}:{os.getpid()} 接手重做。）" in run.error
    assert stand_in.calls == [("2023-09", ["密云区"])]


def test_a_live_holder_keeps_its_run_while_it_renews_the_lease(city):
    """A holder on another host is trusted until its lease runs out; a long run renews its lease (here during
    the back-off before a retry), so that another service does not take it over while it works."""
    from reportgen.schedule.history import History
    from reportgen.schedule.runner import LEASE

    write_schedule(city, districts="[密云区]", attempts=2, delivery=False)
    f = city / "schedule.yaml"
    f.write_text(f.read_text(encoding="utf-8").replace("backoff: 2m", "backoff: 50m"), encoding="utf-8")
    other = History(city.parent.parent / "schedule.sqlite")
    seen: list = []

    class Watching(FakeClock):
        def sleep(self, seconds: float) -> None:
            super().sleep(seconds)                        # 50 minutes in all: longer than a lease
            seen.append(other.take_waiting(self.t + timedelta(minutes=1), "elsewhere:1", self.t + LEASE))

    calls = []

    def fails_first(job, period, profile_dir, paths):
        calls.append(list(paths))
        ok = len(calls) > 1
        if ok:
            StandIn()(job, period, profile_dir, paths)
        return {d: Outcome(ok, "" if ok else "配置错误：暂时失败。") for d in paths}

    clock = Watching(at("2023-09-19T06:00"))
    [run] = runner(city, clock, fails_first, owner="host-a:1").run_due()
    assert run.status == "done" and len(calls) == 2
    assert clock.slept == [600.0] * 5 and seen == [[]] * 5     # renewed every 10 minutes: never taken
    # a holder that stopped renewing (another host, lease run out) is taken back
    stalled = other.claim("briefs", at("2023-10-19T06:00"), "host-b:7", at("2023-10-19T06:30"), at("2023-10-21T06:00"))
    assert other.take_waiting(at("2023-10-19T06:29"), "host-a:1", at("2023-10-19T07:00")) == []
    [taken] = other.take_waiting(at("2023-10-19T06:31"), "host-a:1", at("2023-10-19T07:00"))
    assert (taken.id, taken.owner, taken.status) == (stalled.id, "host-a:1", "running")


def test_errors_inside_a_run_end_it_failed_never_running(city, smtp_later):
    port, sink, up = smtp_later
    up()

    def buggy(job, period, profile_dir, paths):
        raise RuntimeError("boom")

    write_schedule(city, districts="[密云区]", port=port)
    clock = FakeClock(at("2023-09-19T06:00"))
    [run] = runner(city, clock, buggy).run_due()
    assert (run.status, run.owner, run.lease_until) == ("failed", None, None)
    assert run.error == ("内部错误：RuntimeError：boom。本次运行已终止；请用 reportgen render monthly --period 2023-09 "
                         "--debug 查看详情，并把输出交给维护人员。")
    f = city / "schedule.yaml"
    f.write_text(f.read_text(encoding="utf-8").replace("periods/templates/monthly.yaml", "periods/templates/gone.yaml"),
                 encoding="utf-8")
    clock.t = at("2023-11-19T06:00")                      # no period file for 2023-11: the template is needed
    r = runner(city, clock, StandIn(), mailer=Mailer(load_schedule(city).smtp, tz=load_schedule(city).tz))
    [run] = r.run_due()
    assert (run.status, run.owner, run.lease_until) == ("failed", None, None)
    assert run.error == (f"配置错误：schedule.yaml 作业 briefs 的 period_template “periods/templates/gone.yaml”"
                         f"（{city / 'periods/templates/gone.yaml'}）不存在，期间文件 {city / 'periods/monthly-2023-11.yaml'} "
                         "也还没有，无法生成 2023-11 的报告。请改正 period_template，或自己写好该期间文件。")
    [(rcpts, notice)] = sink.messages                     # and the failure notice says so
    # no period file to take the title from: the period names the report
    assert rcpts == ["ops@example.gov.cn"] and notice["Subject"] == "【失败】密云区2023年11月考核期报告：全部失败"
    assert "period_template" in notice.get_content()
    assert [x.status for x in r.history.runs()] == ["failed", "failed"]


# --- the schedule is checked when it is read; the history is named when it cannot be used ----------------

@pytest.mark.parametrize("districts, output, problem", [
    ("all", "out/{report}-{period}.pdf",
     "输出路径模式 “out/{report}-{period}.pdf” 中没有 {district}：作业要为全部区（all）各生成一份报告，它们会写进同一个文件、互相覆盖。"
     "请加入 {district}，如 out/{report}-{period}/{district}.pdf。"),
    ("[密云区, 延庆区]", "out/{report}-{period}/brief.pdf",
     "输出路径模式 “out/{report}-{period}/brief.pdf” 中没有 {district}：作业要为 2 个区各生成一份报告，它们会写进同一个文件、互相覆盖。"
     "请加入 {district}，如 out/{report}-{period}/{district}.pdf。"),
    ("all", "out/{report}-{month}/{district}.pdf",
     "输出路径模式 “out/{report}-{month}/{district}.pdf” 中的 {month} 不是可用的占位符；可用的有 {report}、{period}、{period_label}、"
     "{district}（不带格式）。"),
    ("all", "out/{report}/{district}.pdf",
     "输出路径模式 “out/{report}/{district}.pdf” 中没有 {period}：下一期的报告会覆盖这一期的。"
     "请加入 {period}，如 out/{report}-{period}/{district}.pdf。"),
    ("all", "out/{report}-{period}/{district.pdf",
     "输出路径模式 “out/{report}-{period}/{district.pdf” 的花括号不成对：占位符写成 {district} 这样，"
     "可用的有 {report}、{period}、{period_label}、{district}。"),
])
def test_an_output_pattern_that_does_not_separate_the_reports_is_refused(city, districts, output, problem):
    write_schedule(city, districts=districts)
    f = city / "schedule.yaml"
    text = f.read_text(encoding="utf-8")
    f.write_text(text.replace(text.split("output: ")[1].split("\n")[0], output), encoding="utf-8")
    with pytest.raises(ConfigError) as exc:
        load_schedule(city)
    assert str(exc.value).endswith(f"第 11 行，键 jobs[0].output：{problem}")
    assert not (city.parent.parent / "out").exists()


def test_one_district_may_have_a_pattern_without_district(city):
    write_schedule(city, districts="[密云区]")
    f = city / "schedule.yaml"
    f.write_text(f.read_text(encoding="utf-8").replace("/{district}.pdf", "/brief.pdf"), encoding="utf-8")
    assert load_schedule(city).jobs[0].output.endswith("/{report}-{period}/brief.pdf")


def test_a_password_typed_into_password_env_is_refused_and_never_repeated_or_stored(city):
    from reportgen.schedule.history import History, register_secret_envs

    write_schedule(city)
    f = city / "schedule.yaml"
    f.write_text(f.read_text(encoding="utf-8").replace("security: none,", "security: none, password_env: 'Tr0ub4dor&3',"),
                 encoding="utf-8")
    refused = subprocess.run([sys.executable, "-m", "reportgen.cli", "schedule", "due", "--config", str(city)],
                             capture_output=True, text=True, cwd=city.parent.parent)
    assert refused.returncode == 2 and refused.stdout == ""
    assert refused.stderr.endswith(
        "第 3 行，键 smtp.password_env：应为保存 SMTP 密码的环境变量的名字（大写字母、数字和下划线，以字母开头，如 "
        "REPORTGEN_SMTP_PASSWORD），所写的值不是变量名（为免泄露，这里不显示它）。若写的是密码本身，请把它从文件中删去、放进环境变量，"
        "并在此只写该变量的名字；这个密码已写进文件，请尽快更换。\n")
    assert "Tr0ub4dor" not in refused.stderr
    assert not (city.parent.parent / "schedule.sqlite").exists()          # refused before any history is opened
    f.write_text(f.read_text(encoding="utf-8").replace("'Tr0ub4dor&3'", "smtp-password"), encoding="utf-8")
    with pytest.raises(ConfigError) as exc:
        load_schedule(city)
    assert "键 smtp.password_env：应为保存 SMTP 密码的环境变量的名字" in str(exc.value) and "smtp-password" not in str(exc.value)
    f.write_text(f.read_text(encoding="utf-8").replace("smtp-password", "HUNTER22"), encoding="utf-8")
    with pytest.raises(ConfigError) as exc:             # capitals and digits run together, no such variable
        load_schedule(city)
    assert "键 smtp.password_env：应为保存 SMTP 密码的环境变量的名字" in str(exc.value) and "HUNTER22" not in str(exc.value)
    os.environ["SMTP2"] = "x"                            # … unless a variable of that name is set
    try:
        f.write_text(f.read_text(encoding="utf-8").replace("HUNTER22", "SMTP2"), encoding="utf-8")
        assert load_schedule(city).smtp.password_env == "SMTP2"
    finally:
        del os.environ["SMTP2"]
    # a proper name: its variable's value is blanked out of whatever the history records
    os.environ["REPORTGEN_TEST_PW"] = "correct horse battery"
    register_secret_envs("REPORTGEN_TEST_PW")
    h = History(city.parent.parent / "schedule.sqlite")
    run = h.claim("briefs", at("2023-09-19T06:00"), "test", at("2023-09-19T06:30"), at("2023-09-21T06:00"))
    h.update(run.id, delivery_error="邮件发送失败：535 auth failed for correct horse battery")
    assert h.get(run.id).delivery_error == "邮件发送失败：535 auth failed for ******"
    assert b"correct horse" not in (city.parent.parent / "schedule.sqlite").read_bytes()


def _schedule_cli(city: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "reportgen.cli", "schedule", *args, "--config", str(city)],
                          capture_output=True, text=True, cwd=city.parent.parent)


def test_a_corrupt_history_database_is_named_without_a_traceback(city):
    write_schedule(city)
    db = city.parent.parent / "schedule.sqlite"
    db.write_bytes(b"these are not the runs you are looking for\n" * 200)
    for command in ("due", "status", "history"):
        run = _schedule_cli(city, command)
        assert run.returncode == 2 and "Traceback" not in run.stderr
        assert run.stderr == (f"运行记录错误：定时作业的运行记录数据库 {db.name} 不是可用的 SQLite 数据库（文件已损坏或不是运行记录："
                              "file is not a database）。请把它移走或改名（运行记录将从头开始），或从备份恢复。\n")


def test_a_read_only_history_database_is_named_without_a_traceback(city):
    from reportgen.schedule.history import History

    write_schedule(city)
    db = city.parent.parent / "schedule.sqlite"
    History(db)
    if os.geteuid() == 0:                                 # root writes through permissions: make it immutable
        if subprocess.run(["chattr", "+i", str(db)], capture_output=True).returncode != 0:
            pytest.skip("chattr +i is not available here")
        undo = ["chattr", "-i", str(db)]
    else:
        db.chmod(0o444)
        undo = ["chmod", "644", str(db)]
    try:
        run = _schedule_cli(city, "due")                  # claiming the latest firing writes
        assert run.returncode == 2 and "Traceback" not in run.stderr
        assert run.stderr == (f"运行记录错误：定时作业的运行记录数据库 {db.name} 不可写（attempt to write a readonly database）。"
                              "请检查该文件及其所在文件夹的权限与磁盘，或在 schedule.yaml 的 database 中改用可写的位置。\n")
        assert _schedule_cli(city, "status").returncode == 0          # reading it still works
    finally:
        subprocess.run(undo, check=True)


def test_ctrl_c_during_due_stops_the_workers_and_hands_the_run_back(city):
    import psutil

    write_schedule(city, delivery=False)
    script = f"""
import sys, time_machine
from datetime import datetime
from zoneinfo import ZoneInfo
from reportgen.cli import main
with time_machine.travel(datetime(2023, 9, 19, 6, 1, tzinfo=ZoneInfo("Asia/Shanghai"))):
    sys.argv = ["reportgen", "schedule", "due", "--config", {str(city)!r}]
    main()
"""
    proc = subprocess.Popen([sys.executable, "-c", script], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, start_new_session=True)
    deadline, workers = time.monotonic() + 60, []
    while time.monotonic() < deadline and len(workers) < 2 and proc.poll() is None:
        workers = psutil.Process(proc.pid).children(recursive=True)
        time.sleep(0.05)
    assert len(workers) >= 2, proc.communicate()
    os.killpg(proc.pid, signal.SIGINT)
    stdout, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 130 and "Traceback" not in stderr
    assert stderr == "已中断：定时作业被 Ctrl-C 中断，工作进程均已停止；本次运行已交回，下一次 reportgen schedule due 时重做。\n"
    time.sleep(0.2)
    assert [w for w in workers if w.is_running() and w.status() != psutil.STATUS_ZOMBIE] == []
    stand_in = StandIn()
    r = runner(city, FakeClock(at("2023-09-19T06:05")), stand_in)
    [handed_back] = r.history.runs()
    assert (handed_back.status, handed_back.owner) == ("waiting", None)
    assert handed_back.error == "运行被 Ctrl-C 中断，下一次 reportgen schedule due 时重做。"
    [run] = r.run_due()
    assert (run.id, run.status, len(run.outputs)) == (handed_back.id, "done", 16)


# --- formats: the .docx and .xlsx beside each PDF, mailed when the job says so (issue 18) ------------------

def _with_formats(city: Path, formats: str, attach: str | None) -> None:
    f = city / "schedule.yaml"
    text = f.read_text(encoding="utf-8").replace("    start: 2023-09-01\n", f"    formats: {formats}\n    start: 2023-09-01\n")
    if attach is not None:
        text = text.replace("      attach_limit_mb: 50\n", f"      attach_limit_mb: 50\n      attach: {attach}\n")
    f.write_text(text, encoding="utf-8")


def test_a_job_with_formats_writes_the_docx_and_xlsx_beside_each_pdf_and_mails_what_it_attaches(city, smtp_server):
    import docx
    import openpyxl

    port, sink = smtp_server
    write_schedule(city, cron="0 6 19-21 * *", districts="[密云区]", port=port)
    _with_formats(city, "[pdf, docx, xlsx]", "[pdf, docx]")
    clock = FakeClock(at("2023-09-19T06:00"))
    r = runner(city, clock, mailer=Mailer(load_schedule(city).smtp, tz=load_schedule(city).tz))
    [run] = r.run_due()
    assert run.status == "done"
    [out] = run.outputs
    pdf = Path(out["path"])
    assert set(out["files"]) == {"docx", "xlsx"}
    for fmt, f in out["files"].items():
        assert f["path"] == str(pdf.with_suffix(f".{fmt}"))
        assert hashlib.sha256(Path(f["path"]).read_bytes()).hexdigest() == f["sha256"]
    assert docx.Document(out["files"]["docx"]["path"]).paragraphs                 # a real Word document
    assert "表1" in "".join(openpyxl.load_workbook(out["files"]["xlsx"]["path"]).sheetnames)
    [(_, msg)] = sink.messages
    attachments = {a.get_filename(): a for a in msg.iter_attachments()}
    assert set(attachments) == {"密云区.pdf", "密云区.docx"}                     # attach: [pdf, docx], not the .xlsx
    assert attachments["密云区.docx"].get_content_type() == \
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    assert attachments["密云区.docx"].get_content() == Path(out["files"]["docx"]["path"]).read_bytes()
    assert attachments["密云区.docx"]["Content-Type"].params["name"] == "密云区.docx"      # the encoded-word form too
    body = msg.get_body(("plain",)).get_content()
    assert "\n附件：\n  密云区：密云区.pdf、密云区.docx\n" in body
    # the next firing of the same period: nothing changed, nothing rendered or sent
    clock.t = at("2023-09-20T06:00")
    [same] = r.run_due()
    assert same.status == "unchanged" and len(sink.messages) == 1
    # a .docx lost since: the report is made again, all its files, and sent
    Path(out["files"]["docx"]["path"]).unlink()
    clock.t = at("2023-09-21T06:00")
    [again] = r.run_due()
    assert (again.period, again.status) == ("2023-09", "done") and len(sink.messages) == 2
    assert Path(again.outputs[0]["files"]["docx"]["path"]).is_file()


@pytest.mark.parametrize("formats, attach, problem", [
    ("[docx]", None, "第 12 行，键 jobs[0].formats：formats [docx] 中没有 pdf：PDF 是每份报告的正式文件，"
                     "Word、Excel 写在它旁边。请写成 [pdf, docx] 这样。"),
    ("[pdf, doc]", None, "第 12 行，键 jobs[0].formats[1]：应为以下之一：pdf、docx、xlsx，实际为“doc”。"),
    ("[pdf]", "[pdf, xlsx]", "键 jobs[0]：delivery.attach 要发送 xlsx，但作业的 formats 只生成 pdf：请在 formats 中加入 xlsx。"),
])
def test_formats_and_attachments_are_checked(city, formats, attach, problem):
    write_schedule(city)
    _with_formats(city, formats, attach)
    with pytest.raises(ConfigError) as exc:
        load_schedule(city)
    assert problem in str(exc.value), str(exc.value)


# --- what a recipient sees: human names, the key figures, attachments that decode (issue 20, item 6) -------------

def _without_output(city: Path) -> None:
    """The job without its own output pattern: the default one, whose file names are the recipients'."""
    f = city / "schedule.yaml"
    f.write_text("".join(line for line in f.read_text(encoding="utf-8").splitlines(keepends=True)
                         if not line.startswith("    output: ")), encoding="utf-8")


def test_the_report_mail_names_the_report_and_shows_its_key_figures_as_printed(city, smtp_server, tmp_path):
    """The done-when of issue 20 item 6: an .eml from a real render and a real SMTP server has the human subject,
    an HTML body with the period's key figures (and a plain-text alternative), and attachment names that decode
    in Python's email parser in both forms (RFC 2231 and RFC 2047 encoded words); no job id, ISO time or hash."""
    import json
    import re
    from email.header import decode_header, make_header
    from email.parser import BytesParser

    import pymupdf

    port, sink = smtp_server
    write_schedule(city, districts="[朝阳区]", port=port)
    _without_output(city)
    r = runner(city, FakeClock(at("2023-09-19T06:00")), mailer=Mailer(load_schedule(city).smtp, tz=load_schedule(city).tz))
    [run] = r.run_due()
    assert run.status == "done", run.failures
    name = "朝阳区2023年9月考核期工作情况分析.pdf"
    pdf = city.parent.parent / "out" / "monthly-2023-09" / name
    assert run.outputs[0]["path"] == str(pdf) and pdf.is_file()
    eml = tmp_path / "report.eml"
    [raw] = sink.raw
    eml.write_bytes(raw)
    msg = BytesParser(policy=policy.default).parsebytes(eml.read_bytes())
    assert msg["Subject"] == "朝阳区2023年9月“接诉即办”考核期工作情况分析"
    assert msg["Date"].datetime.utcoffset() == timedelta(hours=8)      # the schedule's time zone, not the machine's
    assert msg.get_content_type() == "multipart/mixed"
    html = msg.get_body(("html",)).get_content()
    plain = msg.get_body(("plain",)).get_content()
    # the key figures: those the render recorded in the PDF's manifest, each as the PDF prints it
    figures = {f["label"]: f["text"] for f in json.loads(pdf.with_name(pdf.stem + ".figures.json")
                                                         .read_text(encoding="utf-8"))["summary"]["key_figures"]}
    assert figures == {"受理诉求量": "134187件", "环比": "上升0.21%", "综合成绩": "96.61分", "排名": "第2位"}
    text = re.sub(r"\s", "", "".join(page.get_text() for page in pymupdf.open(str(pdf))))
    assert "受理“12345”市民服务热线群众诉求134187件，环比上升0.21%" in text
    assert "综合成绩96.61分，排名第2位" in text
    for label, shown in figures.items():
        assert f'>{label}</th>' in html and f'text-align:right">{shown}</td>' in html
    assert plain == ("各位好：\n\n现发送朝阳区2023年9月“接诉即办”考核期工作情况分析，见附件。\n\n"
                     "本期主要数字（摘自报告）：\n  朝阳区：受理诉求量134187件，环比上升0.21%，综合成绩96.61分，排名第2位\n\n"
                     f"附件：\n  朝阳区：{name}\n")
    # no number the PDF does not print; no job id, ISO time or checksum
    body_text = re.sub(r"<[^>]+>", "", html.split("<body", 1)[1].split(">", 1)[1])
    for body in (plain, body_text):
        assert set(re.findall(r"\d+(?:\.\d+)?", body)) <= set(re.findall(r"\d+(?:\.\d+)?", text))
        assert "briefs" not in body and not re.search(r"\d{4}-\d{2}-\d{2}|[0-9a-f]{12}", body)
    # the attachment's name in both forms, each decoded by the parser
    [part] = list(msg.iter_attachments())
    assert part.get_filename() == name                                   # Content-Disposition: filename*= (RFC 2231)
    assert part["Content-Type"].params["name"] == name                   # Content-Type: name="=?utf-8?b?…?=" (RFC 2047)
    head = raw.split(b"JVBERi0", 1)[0].decode("ascii").rsplit("\n--=", 1)[1]   # the attachment's headers, as sent
    assert "filename*0*=utf-8''" in head and ' name="=?utf-8?b?' in head
    assert all(len(line) <= 78 for line in head.splitlines())
    old = email.message_from_bytes(raw)                                   # the compat32 parser
    [old_part] = [p for p in old.walk() if p.get_content_maintype() == "application"]
    assert old_part.get_filename() == name
    assert str(make_header(decode_header(old_part.get_param("name")))) == name
    assert hashlib.sha256(part.get_content()).hexdigest() == run.outputs[0]["sha256"]


def test_a_mail_repeats_only_figures_the_pdf_prints(city, smtp_server):
    """A key figure whose sentence an analyst replaced is not in the PDF: the mail leaves it out."""
    port, sink = smtp_server
    write_schedule(city, districts="[延庆区]", port=port)
    folder = city / "periods" / "monthly-2023-09" / "延庆区"
    folder.mkdir()
    (folder / "brief.yaml").write_text("commentary:\n  total.text:\n    replace: 本考核期我区诉求总量平稳。\n",
                                       encoding="utf-8")
    [run] = runner(city, FakeClock(at("2023-09-19T06:00")), mailer=Mailer(load_schedule(city).smtp, tz=load_schedule(city).tz)).run_due()
    assert run.status == "done", run.failures
    [(_, msg)] = sink.messages
    plain = msg.get_body(("plain",)).get_content()
    assert "  延庆区：综合成绩" in plain and "受理诉求量" not in plain and "环比" not in plain
    assert "受理诉求量" not in msg.get_body(("html",)).get_content()


# --- status you can read (issue 20, item 7) -------------------------------------------------------------------

def test_status_and_history_are_tables_in_one_time_format_never_cut_at_80_columns(city):
    import time_machine
    from click.testing import CliRunner

    from reportgen.cli import main

    write_schedule(city, districts="[密云区, 延庆区]", delivery=False)
    clock = FakeClock(at("2023-09-19T06:00"))
    r = runner(city, clock, StandIn())
    r.run_due()
    clock.t = at("2023-10-19T06:00")                     # the October data is not there yet
    r.run_due()
    r.history.update(1, seconds=12.3)                     # the stand-in's time taken, fixed for the expected lines

    def cli(*args: str):
        with time_machine.travel(at("2023-10-20T08:00"), tick=False):
            return CliRunner().invoke(main, ["schedule", *args, "--config", str(city)], env={"COLUMNS": "80"},
                                      catch_exceptions=False)

    status = cli("status")
    assert status.exit_code == 0, status.output
    assert status.stdout.splitlines() == STATUS_TABLE
    history = cli("history")
    assert history.exit_code == 0, history.output
    data = (ROOT / "data" / "generated" / "assessment").relative_to(Path.cwd()) if ROOT == Path.cwd() else \
        ROOT / "data" / "generated" / "assessment"        # paths in messages: relative to the project
    assert history.stdout.splitlines() == [*HISTORY_TABLE, f"#2 等待数据：{data}/units-2023-10K.parquet、"
                                           f"{data}/districts-2023-10K.parquet、{data}/city-2023-10K.parquet"]
    assert max(len(line) for line in status.stdout.splitlines()) == 138 > 80     # whole, at 80 columns too


STATUS_TABLE = [
    "                                                     定时作业（时间为 Asia/Shanghai）",
    "┏━━━━━━━━┳━━━━━━━━━┳━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━┳━━━━━━━━━━┳━━━━━━┓",
    "┃ 作业   ┃ 报告    ┃ 区             ┃ 定时（cron） ┃ 下次运行         ┃ 最近一次触发     ┃ 期间             ┃ 结果     ┃ 报告份数 ┃ 邮件 ┃",
    "┡━━━━━━━━╇━━━━━━━━━╇━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━╇━━━━━━━━━━╇━━━━━━┩",
    "│ briefs │ monthly │ 密云区、延庆区 │ 0 6 19 * *   │ 2023-11-19 06:00 │ 2023-10-19 06:00 │ 2023年10月考核期 │ 等待数据 │ —        │ —    │",
    "└────────┴─────────┴────────────────┴──────────────┴──────────────────┴──────────────────┴──────────────────┴──────────┴──────────┴──────┘",
]
HISTORY_TABLE = [
    "                                         运行记录（时间为 Asia/Shanghai）",
    "┏━━━━━━┳━━━━━━━━┳━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━┳━━━━━━━━━━┳━━━━━━━━━━━━┳━━━━━━┳━━━━━━┳━━━━━━━━━━┓",
    "┃ 编号 ┃ 作业   ┃ 触发时间         ┃ 期间             ┃ 结果     ┃ 报告份数 ┃ 用时（秒） ┃ 尝试 ┃ 邮件 ┃ 发送时间 ┃",
    "┡━━━━━━╇━━━━━━━━╇━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━╇━━━━━━━━━━╇━━━━━━━━━━━━╇━━━━━━╇━━━━━━╇━━━━━━━━━━┩",
    "│   #2 │ briefs │ 2023-10-19 06:00 │ 2023年10月考核期 │ 等待数据 │ —        │          — │    1 │ —    │ —        │",
    "│   #1 │ briefs │ 2023-09-19 06:00 │ 2023年9月考核期  │ 完成     │ 2 份     │       12.3 │    1 │ —    │ —        │",
    "└──────┴────────┴──────────────────┴──────────────────┴──────────┴──────────┴────────────┴──────┴──────┴──────────┘",
]


def test_history_says_when_there_are_no_runs(city):
    write_schedule(city)
    assert _due(city, "history").stdout == "没有运行记录。\n"
    assert _due(city, "history", "--job", "briefs").stdout == "作业 briefs 没有运行记录。\n"


def test_the_service_logs_each_run_with_its_time_and_its_job(city, monkeypatch):
    import io

    import time_machine

    from reportgen.schedule import runner as runner_module
    from reportgen.schedule.service import configure_logging, fire

    write_schedule(city, districts="[密云区, 延庆区]", delivery=False)
    monkeypatch.setattr(runner_module, "render_districts",
                        lambda job, period, profile_dir, paths, on_done=None: StandIn()(job, period, profile_dir, paths))
    stream = io.StringIO()
    handler = configure_logging(TZ, stream)
    try:
        with time_machine.travel(at("2023-09-19T06:00:20"), tick=False):
            fire(str(city), "briefs", str(city.parent.parent))
        with time_machine.travel(at("2023-10-19T06:00:05"), tick=False):
            fire(str(city), "briefs", str(city.parent.parent))
        (city / "schedule.yaml").write_text("jobs: [", encoding="utf-8")
        with time_machine.travel(at("2023-10-19T06:30"), tick=False):
            fire(str(city), "briefs", str(city.parent.parent))          # an error is logged, the service goes on
    finally:
        import logging

        logging.getLogger("reportgen.schedule").removeHandler(handler)
    lines = stream.getvalue().splitlines()
    assert lines[0] == "2023-09-19 06:00 作业 briefs 2023年9月考核期：完成（2 份报告）"
    assert lines[1].startswith("2023-10-19 06:00 作业 briefs 2023年10月考核期：等待数据（0 份报告）；等待数据：")
    assert lines[2].startswith("2023-10-19 06:30 作业 briefs：配置错误：") and "schedule.yaml" in lines[2]


# --- each district's own fingerprint: one district's changed case renders that district only ----------------------

def test_one_districts_changed_case_renders_only_that_district(city):
    write_schedule(city, cron="0 6 19-23 * *", delivery=False)
    clock = FakeClock(at("2023-09-19T06:00"))
    stand_in = StandIn()
    r = runner(city, clock, stand_in)
    [first] = r.run_due()
    assert (first.status, len(first.outputs), stand_in.calls) == ("done", 16, [("2023-09", ALL16)])
    folder = city / "periods" / "monthly-2023-09" / "延庆区"
    folder.mkdir()
    (folder / "case.md").write_text("延庆区的典型案例。\n", encoding="utf-8")
    clock.t = at("2023-09-20T06:00")
    [second] = r.run_due()
    assert second.status == "done" and stand_in.calls[-1] == ("2023-09", ["延庆区"])      # that district only
    assert [o["district"] for o in second.outputs] == ALL16                               # the period's 16 reports
    before = {o["district"]: o for o in first.outputs}
    assert all(o == before[o["district"]] for o in second.outputs if o["district"] != "延庆区")
    assert next(o for o in second.outputs if o["district"] == "延庆区")["run"] == second.id
    clock.t = at("2023-09-21T06:00")
    [third] = r.run_due()
    assert third.status == "unchanged" and len(stand_in.calls) == 2
    # what every district reads (the period file) changed: all 16 again
    period_file = city / "periods" / "monthly-2023-09.yaml"
    period_file.write_text(period_file.read_text(encoding="utf-8") + "# 改过\n", encoding="utf-8")
    clock.t = at("2023-09-22T06:00")
    [fourth] = r.run_due()
    assert fourth.status == "done" and stand_in.calls[-1] == ("2023-09", ALL16)
    # the schedule itself is not read by a render: changing it renders nothing again
    f = city / "schedule.yaml"
    f.write_text(f.read_text(encoding="utf-8").replace("recheck: 30m", "recheck: 20m"), encoding="utf-8")
    clock.t = at("2023-09-23T06:00")
    [fifth] = runner(city, clock, stand_in).run_due()
    assert fifth.status == "unchanged" and len(stand_in.calls) == 3
