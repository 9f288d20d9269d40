"""Scheduled rendering and delivery (reportgen/schedule), driven by a clock the tests control.

Scheduling semantics (firing, catch-up, claims) use a stand-in renderer that writes small files;
skipping unchanged periods, retries and delivery use the real renderer and a real SMTP server
(aiosmtpd on 127.0.0.1).
"""

from __future__ import annotations

import email
import hashlib
import shutil
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
from reportgen.schedule.mail import Mailer
from reportgen.schedule.runner import Outcome, Runner, latest_fire, period_for

from .conftest import ROOT

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
    dst = tmp_path / "config"
    shutil.copytree(ROOT / "config", dst)
    for f in [*(dst / "beijing" / "periods").glob("*.yaml"), *(dst / "beijing" / "periods" / "templates").glob("*.yaml")]:
        f.write_text(f.read_text(encoding="utf-8").replace("../../../data/", f"{ROOT}/data/"), encoding="utf-8")
    return dst / "beijing"


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
    assert period_for(sched_job, at("2023-09-19T06:00")) == "2023-09"     # the 考核期 that ended at 0:00 today
    assert period_for(sched_job, at("2023-09-18T23:00")) == "2023-08"
    assert period_for(sched_job, at("2024-01-05T06:00")) == "2023-12"
    month = type("J", (), {"period": "month"})()
    assert period_for(month, at("2024-01-01T06:00")) == "2023-12"


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

    class Sink:
        def __init__(self) -> None:
            self.messages: list[tuple[list[str], email.message.EmailMessage]] = []

        async def handle_DATA(self, server, session, envelope):
            self.messages.append((list(envelope.rcpt_tos), email.message_from_bytes(envelope.content, policy=policy.default)))
            return "250 OK"

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
    r = runner(city, clock, mailer=Mailer(load_schedule(city).smtp))
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
    assert msg["Subject"] == "2023-09 monthly：16 份报告（全部生成）"
    pdf = next(a for a in attachments if a.get_filename() == "密云区.pdf").get_content()
    assert pdf.startswith(b"%PDF") and hashlib.sha256(pdf).hexdigest() == \
        next(o["sha256"] for o in again.outputs if o["district"] == "密云区")
    history = subprocess.run([sys.executable, "-m", "reportgen.cli", "schedule", "history", "--config", str(city)],
                             capture_output=True, text=True, cwd=city.parent.parent)
    assert "briefs 触发 2023-09-19T06:00:00+08:00 期间 2023-09 partial" in history.stdout
    assert "失败 东城区：配置错误：" in history.stdout


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
    r = runner(city, FakeClock(at("2023-09-19T06:00")), StandIn(), mailer=Mailer(load_schedule(city).smtp))
    run = r.run_due()[0]
    assert run.status == "done"
    [(rcpts, msg)] = sink.messages
    assert list(msg.iter_attachments()) == []
    body = msg.get_content()
    assert "超过 0.0001 MB，改为链接" in body
    assert f"  密云区：https://reports.example.gov.cn/{Path(run.outputs[14]['path']).as_posix()}" in body
