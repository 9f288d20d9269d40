"""Command line: ``reportgen render annual --period 2023``.

Thin layer: options are parsed here, the work happens in :mod:`reportgen.pipeline` and :mod:`reportgen.publish`.
Errors meant for analysts (``ReportError``) print their Chinese message and exit 2;
``--debug`` shows the traceback instead.
"""

from __future__ import annotations

import inspect
import sys
from functools import wraps
from pathlib import Path

import click

from .errors import ReportError


def _friendly(fn):
    wants_debug = "debug" in inspect.signature(fn).parameters

    @wraps(fn)
    def wrapper(*args, debug: bool = False, **kwargs):
        try:
            return fn(*args, **kwargs, **({"debug": debug} if wants_debug else {}))
        except ReportError as exc:
            if debug:
                raise
            for line in exc.problems:
                click.echo(line, err=True)
            sys.exit(exc.exit_code)
        except KeyboardInterrupt:                # Ctrl-C outside a batch's own handling: no traceback, no “Aborted!”
            if debug:
                raise
            click.echo("已中断（Ctrl-C）。", err=True)
            sys.exit(130)
        except (click.exceptions.Exit, click.exceptions.Abort, click.ClickException, SystemExit):
            raise
        except BrokenPipeError:                  # output piped into `head` and cut short: not an error
            sys.stderr.close()
            sys.exit(0)
        except OSError as exc:                   # the disk, not the program: a full disk, a folder without rights
            if debug:
                raise
            from .config.load import display_path

            what = f" {display_path(Path(exc.filename))}" if exc.filename else ""
            click.echo(f"文件错误：无法读写{what}（{exc.strerror or exc.__class__.__name__}）。"
                       "请检查路径、权限和磁盘空间。", err=True)
            sys.exit(1)
        except Exception as exc:                 # a case no check foresaw: still no traceback without --debug
            if debug:
                raise
            click.echo(f"内部错误：{type(exc).__name__}：{exc}。输入可能有本程序未预料到的问题；"
                       "请加 --debug 重新运行查看详情，并把输出交给维护人员。", err=True)
            sys.exit(3)
    return wrapper


def common(fn):
    fn = click.option("--debug", is_flag=True, help="出错时显示完整的 Python 调用栈。")(fn)
    fn = click.option("--config", "config_dir", type=click.Path(path_type=Path, file_okay=False),
                      help="城市配置目录（含 profile.yaml），缺省为 config/beijing。")(fn)
    fn = click.option("--period", required=True, help="期间：2023（年度）、2023-09（月）、2023-09K（考核期）。")(fn)
    fn = click.argument("kind")(fn)
    return fn


@click.group()
@click.version_option(package_name="reportgen")
def main() -> None:
    """12345 热线数据分析报告生成器。"""


@main.command()
@common
@click.option("--out", type=click.Path(path_type=Path),
              help="输出 PDF 路径（缺省为 out/<kind>-<period>.pdf）；--all-districts 时为输出文件夹（缺省为 out/<kind>-<period>/）。")
@click.option("--html", "html_out", type=click.Path(path_type=Path, dir_okay=False), help="另存一份独立的 HTML。")
@click.option("--docx", "docx_out", type=click.Path(path_type=Path, dir_okay=False),
              help="另存一份可编辑的 Word 文档（.docx，送审修改用；与 PDF 同一内容）。")
@click.option("--xlsx", "xlsx_out", type=click.Path(path_type=Path, dir_okay=False),
              help="另存一份 Excel 工作簿（.xlsx）：每张表、每幅图的数据各一页，另有“数字清单”。")
@click.option("--charts", "charts_dir", type=click.Path(path_type=Path, file_okay=False),
              help="把每幅图另存为 PNG（300 dpi）和 SVG，写入该文件夹（文件名：图序号-图题）。")
@click.option("--strict", is_flag=True, help="WeasyPrint 的任何警告或缺字都视为失败。")
@click.option("--workers", type=int, default=2, show_default=True,
              help="并行的进程数（年度报告：绘制图表；--all-districts：同时生成的区）。")
@click.option("--district", help="按区的报告（简报）：区名，如 密云区。")
@click.option("--all-districts", is_flag=True, help="按区的报告：城市配置中的全部区，各生成一份 PDF。")
@click.option("--quiet", is_flag=True, help="不显示进度（汇总大量工单时的进度条）。")
@click.option("--resume", is_flag=True, help="--all-districts：跳过已生成、且输入未变的区（续做被中断的批量生成）。")
@click.option("--formats", default="pdf", show_default=True, metavar="pdf[,docx][,xlsx]",
              help="--all-districts：每个区生成的文件，逗号分隔；docx、xlsx 与 PDF 同名，写在其旁。")
@_friendly
def render(kind: str, period: str, config_dir: Path | None, out: Path | None, html_out: Path | None,
           docx_out: Path | None, xlsx_out: Path | None, charts_dir: Path | None, strict: bool, workers: int, district: str | None, all_districts: bool, quiet: bool = False,
           resume: bool = False, debug: bool = False, formats: str = "pdf") -> None:
    """生成报告 PDF。"""
    import os

    if quiet:
        os.environ["REPORTGEN_QUIET"] = "1"
    from .pipeline import build
    from .publish import (
        chart_files,
        check_docx_target,
        render_to_pdf,
        standalone_html,
        start_docx,
        write_docx_file,
        write_xlsx_file,
    )
    from .render import write_atomic

    if out is not None and out.suffix.lower() in (".docx", ".doc", ".xlsx", ".html", ".htm"):
        raise click.UsageError(f"--out {out} 不是 PDF 文件名：--out 只写 PDF；Word 文档请用 --docx {out.with_suffix('.docx')}，"
                               "Excel 请用 --xlsx，HTML 请用 --html。")
    chosen = _formats(formats)
    if all_districts:
        if district or html_out or docx_out or xlsx_out or charts_dir:
            raise click.UsageError("--all-districts 不能与 --district、--html、--docx、--xlsx 或 --charts 同时使用；"
                                   "每个区的 Word、Excel 文件请用 --formats pdf,docx,xlsx。")
        _render_all(kind, period, config_dir, out, strict, workers, debug, resume, chosen)
        return
    if chosen != ("pdf",):
        raise click.UsageError("--formats 只用于 --all-districts；单份报告请用 --docx 文件名、--xlsx 文件名。")
    built = build(kind, period, config_dir, workers=workers, district=district)
    name = f"{kind}-{period}" + (f"-{district}" if district else "")
    out = out or Path("out") / f"{name}.pdf"
    if out.is_dir():
        raise click.UsageError(f"--out {out} 是文件夹；生成单份报告时请给出 PDF 文件名。")
    job = None
    if docx_out:            # the .docx's 目录 laid out by LibreOffice while WeasyPrint lays out the PDF
        check_docx_target(built, docx_out)
        job = start_docx(built, workers=workers)
    try:
        render_to_pdf(built, out, strict=strict)
        if html_out:                            # only once the PDF is written: a failed render leaves no HTML
            write_atomic(html_out, standalone_html(built).encode("utf-8"))
        if docx_out:
            write_docx_file(built, docx_out, workers=workers, job=job)
    finally:
        if job is not None:
            job.cancel()
    if xlsx_out:
        write_xlsx_file(built, xlsx_out)
    if charts_dir:
        charts_dir.mkdir(parents=True, exist_ok=True)
        chart_files(built, charts_dir, workers=workers)
    for line in built.doc.notices:
        click.echo(line, err=True)
    click.echo(f"已生成 {out}（{built.pages} 页，{sum(built.timings.values()):.1f} 秒）")


def _formats(text: str) -> tuple[str, ...]:
    """``--formats pdf,docx``: known formats, the PDF always among them, in the order pdf, docx, xlsx."""
    from .batch import FORMATS

    given = [f.strip().lower() for f in text.split(",") if f.strip()]
    unknown = [f for f in given if f not in FORMATS]
    if unknown:
        raise click.UsageError(f"--formats {text}：不认识 {'、'.join(unknown)}；可选 {'、'.join(FORMATS)}。")
    if "pdf" not in given:
        raise click.UsageError(f"--formats {text}：须含 pdf（Word、Excel 文件写在每个区的 PDF 旁）。")
    return tuple(f for f in FORMATS if f in given)


def _render_all(kind: str, period: str, config_dir: Path | None, out: Path | None, strict: bool, workers: int,
                debug: bool, resume: bool = False, formats: tuple[str, ...] = ("pdf",)) -> None:
    import time

    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
    from rich.table import Table

    from .batch import BatchInterrupted, record_done, render_many, up_to_date
    from .config.load import default_config_dir, district_names, load_model
    from .config.models import Profile
    from .errors import ConfigError
    from .fingerprint import inputs_fingerprint

    profile_dir = config_dir or default_config_dir()
    profile, _ = load_model(profile_dir / "profile.yaml", Profile)
    districts = district_names(profile)
    if not districts:
        raise ConfigError(f"配置错误：{profile_dir / 'profile.yaml'} 中没有 districts，无法按区生成。")
    if out is not None and out.suffix.lower() == ".pdf":
        raise click.UsageError("--all-districts 时 --out 应为文件夹（每个区一份 PDF）。")
    out_dir = out or Path("out") / f"{kind}-{period}"
    fp = inputs_fingerprint(kind, period, config_dir, districts[0])
    if resume:
        done_before = up_to_date(out_dir, districts, fp, formats)
        if done_before:
            click.echo(f"已存在且输入未变，跳过：{'、'.join(done_before)}", err=True)
        districts = [d for d in districts if d not in done_before]
        if not districts:
            click.echo(f"全部 {len(done_before)} 个区均已是最新，无需生成。输出在 {out_dir}/。")
            return
    console = Console(stderr=True, highlight=False)
    t0 = time.perf_counter()
    with Progress(TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  console=console, transient=True) as progress:
        task = progress.add_task(f"生成 {kind} {period}", total=len(districts))

        def done(r) -> None:
            if r.ok:
                record_done(out_dir, r.district, fp)     # what --resume trusts
            mark = "[green]完成[/]" if r.ok else "[red]失败[/]"
            progress.console.print(f"{mark} {r.district}（{r.seconds:.1f} 秒）")
            progress.advance(task)

        try:
            results = render_many(kind, period, config_dir, districts, out_dir, workers=workers, strict=strict,
                                  debug=debug, on_done=done, formats=formats)
        except BatchInterrupted as stop:
            interrupted = stop
        else:
            interrupted = None
    if interrupted is not None:         # after the progress bar is gone: a clean summary, no traceback
        _interrupted_summary(interrupted, kind, period, out_dir, time.perf_counter() - t0)
        sys.exit(interrupted.exit_code)
    elapsed = time.perf_counter() - t0
    table = Table(title=f"{kind} {period}：{len(districts)} 个区", show_lines=False)
    for col in ("区", "结果", "页数", "用时（秒）", "从略的部分", "文件或错误"):
        table.add_column(col, justify="right" if col in ("页数", "用时（秒）") else "left")
    for r in results:
        table.add_row(r.district, "成功" if r.ok else "[red]失败[/]", str(r.pages) if r.ok else "",
                      f"{r.seconds:.1f}", "、".join(r.omitted),
                      (str(r.path) + (f"（另有 {'、'.join(p.suffix for p in r.files.values())}）" if r.files else ""))
                      if r.ok else "见下")
    # a log file or a pipe gets the whole table, not one cut to 80 columns
    Console(highlight=False, soft_wrap=False, width=None if sys.stdout.isatty() else 160).print(table)
    failed = [r for r in results if not r.ok]
    for r in failed:                      # whole messages, never cut by the table's width
        for i, line in enumerate(r.error.splitlines()):
            click.echo(f"{r.district}：{line}" if i == 0 else f"  {line}")
    click.echo(f"共 {len(results)} 个区：成功 {len(results) - len(failed)}，失败 {len(failed)}；"
               f"用时 {elapsed:.1f} 秒（{workers} 个进程），输出在 {out_dir}/。")
    if failed:
        sys.exit(1)


def _interrupted_summary(stop, kind: str, period: str, out_dir: Path, elapsed: float) -> None:
    done = [r.district for r in stop.finished if r.ok]
    failed = [r.district for r in stop.finished if not r.ok]
    click.echo(f"已中断：批量生成被 {stop.signal_name} 中断，用时 {elapsed:.1f} 秒，工作进程均已停止。", err=True)
    click.echo(f"已完成 {len(done)} 个区：{'、'.join(done) or '无'}", err=True)
    if failed:
        click.echo(f"失败 {len(failed)} 个区：{'、'.join(failed)}", err=True)
    click.echo(f"未完成 {len(stop.unfinished)} 个区：{'、'.join(stop.unfinished) or '无'}", err=True)
    click.echo(f"已完成的区记在 {out_dir / '.reportgen-batch.json'}；加 --resume 重新运行即只生成其余的区："
               f"reportgen render {kind} --period {period} --all-districts --out {out_dir} --resume", err=True)


@main.command()
@common
@click.option("--district", help="按区的报告（简报）：区名。")
@_friendly
def paragraphs(kind: str, period: str, config_dir: Path | None, district: str | None) -> None:
    """列出报告中全部段落编号（用于期间文件或区文件夹 brief.yaml 的 commentary）。"""
    from .pipeline import build

    built = build(kind, period, config_dir, district=district, draw=False)     # the paragraphs: no chart drawn
    for b in built.doc.blocks:
        if b.kind == "para" and b.commentary:
            mark = "  [已由分析人员改写]" if b.overridden else ""
            click.echo(f"{b.id}{mark}")


@main.command()
@common
@click.option("--district", help="按区的报告（简报）：区名。")
@click.option("--host", default="127.0.0.1", show_default=True, help="监听地址（缺省只接受本机访问）。")
@click.option("--port", type=int, default=8765, show_default=True, help="端口。")
@click.option("--open", "open_browser", is_flag=True, help="启动后在浏览器中打开。")
@_friendly
def preview(kind: str, period: str, config_dir: Path | None, district: str | None, host: str, port: int,
            open_browser: bool) -> None:
    """启动本地预览：保存期间文件、文字、配置、模板或数据后页面自动更新；可在页面中直接修改段落。"""
    import threading
    import webbrowser

    import uvicorn

    from .preview.app import create_app
    from .preview.session import Session

    session = Session(kind, period, config_dir, district)
    session.start()
    if session.built is None and session.state.error:
        for line in session.state.error:
            click.echo(line, err=True)
        click.echo("（预览已启动，修正后保存即可。）", err=True)
    url = f"http://{host}:{port}/"
    click.echo(f"预览：{url}（Ctrl+C 退出）")
    if open_browser:
        threading.Timer(1.0, webbrowser.open, args=(url,)).start()
    try:
        uvicorn.run(create_app(session, host=host, port=port), host=host, port=port, log_level="warning")
    finally:
        session.stop()


@main.group()
def schedule() -> None:
    """定时生成与发送（config/<城市>/schedule.yaml）。"""


def _schedule_opts(fn):
    fn = click.option("--debug", is_flag=True, help="出错时显示完整的 Python 调用栈。")(fn)
    fn = click.option("--config", "config_dir", type=click.Path(path_type=Path, file_okay=False),
                      help="城市配置目录（含 schedule.yaml），缺省为 config/beijing。")(fn)
    return fn


def _runner(config_dir: Path | None, mail: bool = True):
    from .config.load import default_config_dir
    from .schedule.config import load_schedule
    from .schedule.mail import Mailer
    from .schedule.runner import Runner

    profile_dir = (config_dir or default_config_dir()).resolve()
    sched = load_schedule(profile_dir)
    mailer = Mailer(sched.smtp) if (mail and sched.smtp) else None
    return Runner(sched, profile_dir, mailer=mailer), sched, profile_dir


@schedule.command("run")
@_schedule_opts
@_friendly
def schedule_run(config_dir: Path | None) -> None:
    """长期运行的定时服务（APScheduler，作业存储在 SQLite 中）。"""
    from .config.load import default_config_dir
    from .schedule.service import run_service

    click.echo("定时服务已启动（Ctrl+C 或 SIGTERM 退出）。")
    run_service((config_dir or default_config_dir()).resolve(), Path.cwd())


@schedule.command("due")
@_schedule_opts
@click.option("--job", help="只运行这一个作业。")
@click.option("--force", is_flag=True, help="输入未变化也重新生成。")
@click.option("--no-mail", is_flag=True, help="不发送邮件。")
@_friendly
def schedule_due(config_dir: Path | None, job: str | None, force: bool, no_mail: bool) -> None:
    """运行此刻到期的作业一次后退出（供 cron 或 systemd timer 调用）；有失败、缺数据或未能发送的运行时退出码为 1。"""
    from .batch import BatchInterrupted

    runner, _, _ = _runner(config_dir, mail=not no_mail)
    try:
        runs = runner.run_due(force=force, only=job)
    except BatchInterrupted as stop:
        click.echo(f"已中断：定时作业被 {stop.signal_name} 中断，工作进程均已停止；本次运行已交回，"
                   "下一次 reportgen schedule due 时重做。", err=True)
        sys.exit(stop.exit_code)
    if not runs:
        click.echo("没有到期的作业。")
    for r in runs:
        click.echo(_run_line(r))
    if any(r.status in ("failed", "partial", "missing", "undelivered") for r in runs):
        sys.exit(1)


STATUS_NAMES = {"done": "完成", "partial": "部分失败", "failed": "失败", "missing": "数据缺失", "unchanged": "未变化",
                "waiting": "等待数据", "running": "进行中", "undelivered": "未送达"}
DELIVERY_NAMES = {"sent": "已发送", "failed": "发送失败", "superseded": "未送达，已由之后的运行送达"}


def _run_line(r) -> str:
    """One run in the words of `due` and `resend`: status, outputs, failures, delivery, messages."""
    line = f"#{r.id} {r.job} {r.period}：{r.status}（{STATUS_NAMES.get(r.status, r.status)}；{len(r.outputs)} 份，失败 {len(r.failures)}"
    if r.delivery:
        line += f"；邮件{DELIVERY_NAMES.get(r.delivery, r.delivery)}"
    line += "）"
    for text in (r.error, r.delivery_error if r.delivery != "sent" else None):
        if text:
            line += "\n  " + text.replace("\n", "\n  ")
    return line


@schedule.command("resend")
@_schedule_opts
@click.argument("run_id", type=int)
@_friendly
def schedule_resend(config_dir: Path | None, run_id: int) -> None:
    """把一次运行生成的报告按运行记录原样再发一次（RUN_ID 见 reportgen schedule history）。"""
    runner, sched, _ = _runner(config_dir)
    run = runner.resend(run_id)
    d = sched.job(run.job).delivery
    click.echo(f"已重发运行 #{run.id}（{run.job} 期间 {run.period}）：{len(run.outputs)} 份报告，发给 {'、'.join(d.to)}"
               + (f"，抄送 {'、'.join(d.cc)}" if d.cc else "") + "。")


@schedule.command("status")
@_schedule_opts
@_friendly
def schedule_status(config_dir: Path | None) -> None:
    """列出作业、下次运行时间与最近一次结果。"""
    from .schedule.runner import next_fire

    runner, sched, _ = _runner(config_dir, mail=False)
    now = runner.clock.now()
    for job in sched.jobs:
        last = runner.history.runs(job.id, limit=1)
        nxt = next_fire(job, sched, now)
        click.echo(f"{job.id}（{job.report}，cron “{job.cron}” {sched.timezone}）")
        click.echo(f"  下次运行：{nxt:%Y-%m-%d %H:%M %Z}" if nxt else "  下次运行：无")
        if last:
            r = last[0]
            click.echo(f"  最近一次：{r.fire_time} 期间 {r.period}：{r.status}（{len(r.outputs)} 份，失败 {len(r.failures)}）"
                       + (f"，邮件{DELIVERY_NAMES.get(r.delivery, r.delivery)}" if r.delivery else ""))
        else:
            click.echo("  最近一次：尚未运行")


@schedule.command("history")
@_schedule_opts
@click.option("--job", help="只看这一个作业。")
@click.option("--limit", type=int, default=20, show_default=True)
@_friendly
def schedule_history(config_dir: Path | None, job: str | None, limit: int) -> None:
    """运行记录：作业、期间、区、输入指纹、输出与校验和、用时、状态、错误。"""
    runner, _, _ = _runner(config_dir, mail=False)
    for r in runner.history.runs(job, limit):
        click.echo(f"#{r.id} {r.job} 触发 {r.fire_time} 期间 {r.period} {r.status} 用时 {r.seconds or 0:.1f} 秒 "
                   f"尝试 {r.attempts} 次 指纹 {(r.fingerprint or '—')[:12]}"
                   + (f" 邮件 {r.delivery}（发送 {r.delivery_attempts} 次）" if r.delivery else ""))
        for o in r.outputs:
            click.echo(f"    {o['district']}  {o['path']}  sha256 {o['sha256'][:16]}  {o['pages']} 页")
        for d, e in r.failures.items():
            click.echo(f"    失败 {d}：{e.splitlines()[0] if e else ''}")
        if r.error:
            click.echo(f"    {r.error}")
        if r.delivery_error:
            click.echo(f"    {'此前' if r.delivery == 'sent' else ''}{r.delivery_error}")


@main.command()
@click.argument("pdf", type=click.Path(path_type=Path, dir_okay=False, exists=True))
@click.option("--manifest", type=click.Path(path_type=Path, dir_okay=False, exists=True),
              help="数据清单（缺省为 PDF 旁的 <名称>.figures.json）。")
@click.option("--config", "config_dir", type=click.Path(path_type=Path, file_okay=False), help="城市配置目录。")
@_friendly
def check(pdf: Path, manifest: Path | None, config_dir: Path | None) -> None:
    """核对 PDF 中的每个数字都在数据清单中（日期、序号、页码按规则除外）。"""
    from .check import check as run_check
    from .config.load import default_config_dir, load_model
    from .config.models import Profile
    from .publish import manifest_path

    manifest = manifest or manifest_path(pdf)
    if not manifest.exists():
        click.echo(f"找不到数据清单 {manifest}。请先用 reportgen render 生成报告。", err=True)
        sys.exit(2)
    profile, _ = load_model((config_dir or default_config_dir()) / "profile.yaml", Profile)
    from .check import MismatchedManifest

    try:
        problems = run_check(pdf, manifest, [profile.hotline, profile.city])
    except MismatchedManifest as e:
        click.echo(str(e), err=True)
        sys.exit(1)
    for p in problems:
        click.echo(str(p), err=True)
    if problems:
        click.echo(f"共 {len(problems)} 个数字不在数据清单中。", err=True)
        sys.exit(1)
    click.echo(f"{pdf}：全部数字均可追溯。")


@main.command()
@click.option("--out", type=click.Path(path_type=Path, file_okay=False), default=Path("schema"), show_default=True)
@_friendly
def schema(out: Path) -> None:
    """写出配置文件的 JSON Schema（供编辑器补全和检查），及每种章节类型的参数（sections.schema.json）。"""
    import json

    from . import reports  # noqa: F401  (registers the section types and their parameter models)
    from .config.models import PeriodFile, Profile, ReportKind, Taxonomy
    from .config.sections import SECTION_PARAMS, sections_schema
    from .render import write_atomic

    schemas = [(name, model.model_json_schema(by_alias=True)) for name, model in (
        ("profile", Profile), ("taxonomy", Taxonomy), ("report-kind", ReportKind), ("period", PeriodFile))]
    schemas.append(("sections", sections_schema(SECTION_PARAMS)))     # each section type's params, with defaults
    for name, data in schemas:
        target = out / f"{name}.schema.json"
        write_atomic(target, json.dumps(data, ensure_ascii=False, indent=2).encode())
        click.echo(f"已写出 {target}")


@main.command()
@click.option("--dialect", default="duckdb", show_default=True,
              help="引擎：duckdb、postgres、trino、spark、clickhouse（SQLGlot 支持的方言均可）。")
@click.option("--table", default="tickets", show_default=True, help="工单表名。")
@click.option("--columns", default="received,channel,disposition,category_l1,category_l2,district,street,"
              "handler_level,handler,topic,tag", show_default=True, help="工单表中有的列（逗号分隔）。")
@click.option("--config", "config_dir", type=click.Path(path_type=Path, file_okay=False),
              help="城市配置目录（其 profile.yaml 的 assessment_day 决定考核期的分界日）。")
@_friendly
def sql(dialect: str, table: str, columns: str, config_dir: Path | None) -> None:
    """打印把工单汇总为受理记录的那一条 SQL（在集群引擎上执行，结果导出为 Parquet 后作为数据文件）。"""
    from sqlglot.dialects.dialect import Dialect

    from .config.load import default_config_dir, load_model
    from .config.models import Profile
    from .errors import ConfigError
    from .tickets import aggregate_sql, for_dialect

    known = sorted(k for k in Dialect.classes if k)
    if dialect not in known:
        raise ConfigError(f"参数错误：--dialect “{dialect}” 不是 SQLGlot 支持的方言。可用的方言：{'、'.join(known)}。")
    profile, _ = load_model((config_dir or default_config_dir()) / "profile.yaml", Profile)
    names = tuple(c.strip() for c in columns.split(",") if c.strip())
    click.echo(for_dialect(aggregate_sql(table, names, profile.assessment_day), dialect))


if __name__ == "__main__":
    main()
