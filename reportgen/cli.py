"""Command line: ``reportgen render annual --period 2023``.

Thin layer: options are parsed here, the work happens in :mod:`reportgen.pipeline` and :mod:`reportgen.publish`.
Errors meant for analysts (``ReportError``) print their Chinese message and exit 2;
``--debug`` shows the traceback instead.
"""

from __future__ import annotations

import inspect
import os
import sys
from functools import wraps
from pathlib import Path

import click

from . import cli_zh
from .errors import ReportError

cli_zh.install()        # click's own words (Usage, Options, its errors) in Chinese


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


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="reportgen")
def main() -> None:
    """12345 热线数据分析报告生成器。

    \b
    报告类型（KIND）：annual 年度数据分析报告、monthly 区考核期工作情况分析（简报，按区）、
    work-report 接诉即办工作报告；城市配置目录的 reports/ 中另有的结构也可用。
    常用：
      reportgen init monthly --period 2023-10 --district 朝阳区
      reportgen render monthly --period 2023-09 --district 密云区
      reportgen render annual --period 2023
      reportgen preview annual --period 2023
      reportgen check out/annual-2023.pdf
    每个命令的说明：reportgen 命令 -h"""


@main.command()
@common
@click.option("--out", type=click.Path(path_type=Path),
              help="输出 PDF 路径（缺省为 out/<kind>-<period>.pdf；按区的报告为 out/<kind>-<period>/ 中按 --names 命名的文件）；"
                   "几个区或 --all-districts 时为输出文件夹（缺省为 out/<kind>-<period>/）。")
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
@click.option("--district", multiple=True,
              help="按区的报告（简报）：区名，如 密云区；可写多次（--district 朝阳区 --district 海淀区），"
                   "各生成一份，与 --all-districts 一样写进文件夹。")
@click.option("--all-districts", is_flag=True, help="按区的报告：城市配置中的全部区，各生成一份 PDF。")
@click.option("--quiet", is_flag=True, help="不显示进度（汇总大量工单时的进度条）。")
@click.option("--resume", is_flag=True, help="--all-districts：跳过已生成、且输入未变的区（续做被中断的批量生成）。")
@click.option("--formats", default="pdf", show_default=True, metavar="pdf[,docx][,xlsx]",
              help="--all-districts：每个区生成的文件，逗号分隔；docx、xlsx 与 PDF 同名，写在其旁。")
@click.option("--names", default="{district}{period_label}工作情况分析", show_default=True,
              help="按区的报告：每个区的文件名（不含 .pdf；单份报告未给 --out 时也用它）；占位符 {district}、{period_label}（2023年9月考核期）、"
                   "{period}、{report}。")
@_friendly
def render(kind: str, period: str, config_dir: Path | None, out: Path | None, html_out: Path | None,
           docx_out: Path | None, xlsx_out: Path | None, charts_dir: Path | None, strict: bool, workers: int,
           district: tuple[str, ...], all_districts: bool, quiet: bool = False,
           resume: bool = False, debug: bool = False, formats: str = "pdf",
           names: str = "{district}{period_label}工作情况分析") -> None:
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
    from .names import check_names, default_output
    from .render import write_atomic

    if out is not None and out.suffix.lower() in (".docx", ".doc", ".xlsx", ".html", ".htm"):
        raise click.UsageError(f"--out {out} 不是 PDF 文件名：--out 只写 PDF；Word 文档请用 --docx {out.with_suffix('.docx')}，"
                               "Excel 请用 --xlsx，HTML 请用 --html。")
    chosen = _formats(formats)
    several = list(dict.fromkeys(district))              # --district given more than once: a batch of those
    if all_districts or len(several) > 1:
        if (all_districts and several) or html_out or docx_out or xlsx_out or charts_dir:
            raise click.UsageError(("--all-districts 不能与 --district、" if all_districts else "几个 --district 不能与 ")
                                   + "--html、--docx、--xlsx 或 --charts 同时使用；"
                                   "每个区的 Word、Excel 文件请用 --formats pdf,docx,xlsx。")
        _render_all(kind, period, config_dir, out, strict, workers, debug, resume, chosen,
                    only=several if not all_districts else None, names=names)
        return
    district = several[0] if several else None
    if chosen != ("pdf",):
        raise click.UsageError("--formats 只用于 --all-districts；单份报告请用 --docx 文件名、--xlsx 文件名。")
    if district and (problem := check_names(names)) is not None:
        raise click.UsageError(problem)
    built = build(kind, period, config_dir, workers=workers, district=district)
    out = out or default_output(kind, period, built.cfg.period_file.period, district, names)
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
                debug: bool, resume: bool = False, formats: tuple[str, ...] = ("pdf",),
                only: list[str] | None = None, names: str = "{district}{period_label}工作情况分析") -> None:
    import time

    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from .batch import (
        BatchInterrupted,
        batch_plan,
        print_table,
        record_done,
        render_many,
        summary_table,
        up_to_date_at,
    )
    from .config.load import check_district, default_config_dir, district_names, load_model
    from .names import check_names
    from .config.models import Profile
    from .errors import ConfigError

    profile_dir = config_dir or default_config_dir()
    profile, _ = load_model(profile_dir / "profile.yaml", Profile)
    districts = district_names(profile)
    if not districts:
        raise ConfigError(f"配置错误：{profile_dir / 'profile.yaml'} 中没有 districts，无法按区生成。")
    for d in only or ():
        check_district(profile, d, profile_dir)
    districts = [d for d in districts if d in only] if only else districts     # in profile.yaml's order
    if out is not None and out.suffix.lower() == ".pdf":
        raise click.UsageError("按区批量生成（--all-districts 或几个 --district）时 --out 应为文件夹（每个区一份 PDF）。")
    if (problem := check_names(names)) is not None:
        raise click.UsageError(problem)
    out_dir = out or Path("out") / f"{kind}-{period}"
    paths, fps = batch_plan(kind, period, config_dir, districts, out_dir, names)
    if resume:
        done_before = up_to_date_at(paths, out_dir, fps, formats)
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
                record_done(out_dir, r.district, fps[r.district])     # what --resume trusts: the district's own
            mark = "[green]完成[/]" if r.ok else "[red]失败[/]"
            progress.console.print(f"{mark} {r.district}（{r.seconds:.1f} 秒）")
            progress.advance(task)

        try:
            results = render_many(kind, period, config_dir, districts, out_dir, workers=workers, strict=strict,
                                  debug=debug, on_done=done, formats=formats, paths=paths)
        except BatchInterrupted as stop:
            interrupted = stop
        else:
            interrupted = None
    if interrupted is not None:         # after the progress bar is gone: a clean summary, no traceback
        selection = " ".join(f"--district {d}" for d in only) if only else "--all-districts"
        if names != "{district}{period_label}工作情况分析":
            selection += f" --names '{names}'"
        _interrupted_summary(interrupted, kind, period, out_dir, time.perf_counter() - t0, selection)
        sys.exit(interrupted.exit_code)
    elapsed = time.perf_counter() - t0
    # the whole table, never cut to the terminal's 80 columns (a log file or a pipe too); file names in out_dir
    print_table(summary_table(results, f"{kind} {period}：{len(districts)} 个区", out_dir))
    failed = [r for r in results if not r.ok]
    for r in failed:                      # whole messages, never cut by the table's width
        for i, line in enumerate(r.error.splitlines()):
            click.echo(f"{r.district}：{line}" if i == 0 else f"  {line}")
    click.echo(f"共 {len(results)} 个区：成功 {len(results) - len(failed)}，失败 {len(failed)}；"
               f"用时 {elapsed:.1f} 秒（{workers} 个进程），输出在 {out_dir}/。")
    if failed:
        sys.exit(1)


def _interrupted_summary(stop, kind: str, period: str, out_dir: Path, elapsed: float,
                         selection: str = "--all-districts") -> None:
    done = [r.district for r in stop.finished if r.ok]
    failed = [r.district for r in stop.finished if not r.ok]
    click.echo(f"已中断：批量生成被 {stop.signal_name} 中断，用时 {elapsed:.1f} 秒，工作进程均已停止。", err=True)
    click.echo(f"已完成 {len(done)} 个区：{'、'.join(done) or '无'}", err=True)
    if failed:
        click.echo(f"失败 {len(failed)} 个区：{'、'.join(failed)}", err=True)
    click.echo(f"未完成 {len(stop.unfinished)} 个区：{'、'.join(stop.unfinished) or '无'}", err=True)
    click.echo(f"已完成的区记在 {out_dir / '.reportgen-batch.json'}；加 --resume 重新运行即只生成其余的区："
               f"reportgen render {kind} --period {period} {selection} --out {out_dir} --resume", err=True)


@main.command()
@common
@click.option("--district", help="按区的报告（简报）：区名。")
@_friendly
def paragraphs(kind: str, period: str, config_dir: Path | None, district: str | None) -> None:
    """列出报告中全部段落编号（用于期间文件或区文件夹 brief.yaml 的 commentary）。

    各段用到的句式键（期间文件的 wording）及其可用变量，请用 reportgen wording 列出。"""
    import re

    from .narrative.listing import plain_text
    from .pipeline import build

    built = build(kind, period, config_dir, district=district, draw=False)     # the paragraphs: no chart drawn
    for b in built.doc.blocks:
        if b.kind == "para" and b.commentary:
            mark = "  [已由分析人员改写]" if b.overridden else ""
            text = re.sub(r"\s+", "", plain_text(str(b.html)))
            start = f"  “{_opening(text)}”" if text else ""
            click.echo(f"{b.id}{mark}{start}")      # the id, then how the paragraph begins: which one it is


def _opening(text: str, most: int = 30) -> str:
    """How a paragraph begins, to tell it by: its first clause (up to a ，：；。 after ten characters), else ``most``
    characters never cutting a number, then “……” when there is more."""
    import re

    if len(text) <= most:
        return text
    m = re.search(r"[，：；。]", text[10:most])
    cut = 10 + m.start() if m else most
    while cut < len(text) and re.match(r"[\d.%]", text[cut]) and re.match(r"[\d.]", text[cut - 1]):
        cut += 1
    return text[:cut] + "……"


@main.command()
@common
@click.option("--district", help="按区的报告（简报）：区名。")
@click.option("--section", "section_id", help="只列这一章节（章节编号，如 overview）及其下级章节；此时不列未用到的句式键。")
@click.option("--json", "as_json", is_flag=True, help="以 JSON 输出（供工具读取）。")
@_friendly
def wording(kind: str, period: str, config_dir: Path | None, district: str | None, section_id: str | None,
            as_json: bool) -> None:
    """按章节列出报告用到的句式键（期间文件 wording 中可改写的键）：可用变量、模板来源、当前模板与生成的文字。

    最后列出已定义但本期没有用到的句式键。"""
    from .narrative import listing
    from .pipeline import build

    built = build(kind, period, config_dir, district=district, draw=False)     # the document only: no chart drawn
    sections = built.cfg.kind.sections
    if built.doc.wording is None:
        raise RuntimeError("the build recorded no wording")
    try:
        lst = listing.listing(built.doc.wording, sections, only=section_id)
    except KeyError:
        ids = "、".join(s.id for s, _ in listing.walk(sections))
        raise click.UsageError(f"--section {section_id}：报告中没有这一章节。可用的章节编号：{ids}。") from None
    if as_json:
        click.echo(listing.as_json(lst, kind=kind, period=period, district=district, section=section_id))
    else:
        what = f"{kind} {period}" + (f" {district}" if district else "")
        click.echo(listing.as_text(lst, f"{what} 用到的句式键（按章节，文档顺序）"))


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
    import signal
    import threading
    import webbrowser

    import uvicorn

    from .preview.app import create_app
    from .preview.session import Session

    _port_free(host, port)
    session = Session(kind, period, config_dir, district)
    try:                                # Ctrl-C at any moment, even before the server is up: a quiet stop
        session.start()
        if session.built is None and session.state.error:
            for line in session.state.error:
                click.echo(line, err=True)
            click.echo("（预览已启动，修正后保存即可。）", err=True)
        url = f"http://{host}:{port}/"
        click.echo(f"预览：{url}（Ctrl+C 退出）")
        if open_browser:
            threading.Timer(1.0, webbrowser.open, args=(url,)).start()
        server = uvicorn.Server(uvicorn.Config(create_app(session, host=host, port=port), host=host, port=port,
                                               log_level="critical"))
        # a Ctrl-C before uvicorn takes the signals over asks the server to stop as soon as it is up
        before = signal.signal(signal.SIGINT, lambda *_: setattr(server, "should_exit", True))
        try:
            server.run()
        finally:
            signal.signal(signal.SIGINT, before)
        if not server.started and not server.should_exit:
            raise ReportError(f"错误：无法在 {host}:{port} 上启动预览（端口可能刚被其他程序占用）。"
                              f"请换一个端口，如 --port {port + 1}。")
    except KeyboardInterrupt:
        pass
    finally:
        session.stop()


def _port_free(host: str, port: int) -> None:
    """The preview's address can be listened on — checked before the report is laid out, so that a port in use
    (another preview still running) is said at once, in Chinese."""
    import socket

    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror:
        raise ReportError(f"错误：监听地址 “{host}” 无法解析。请写 127.0.0.1（只许本机访问）或本机的地址。") from None
    family, kind, proto, _, address = infos[0]
    with socket.socket(family, kind, proto) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(address)
        except OSError as exc:
            why = "已被占用（可能另一个预览还在运行）" if exc.errno == 98 else f"无法使用（{exc.strerror}）"
            raise ReportError(f"错误：端口 {port}（{host}）{why}。请换一个端口，如 --port {port + 1}，"
                              "或先关闭占用它的程序。") from None


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
    mailer = Mailer(sched.smtp, tz=sched.tz) if (mail and sched.smtp) else None
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

    runner, sched, _ = _runner(config_dir, mail=not no_mail)
    try:
        runs = runner.run_due(force=force, only=job)
    except BatchInterrupted as stop:
        click.echo(f"已中断：定时作业被 {stop.signal_name} 中断，工作进程均已停止；本次运行已交回，"
                   "下一次 reportgen schedule due 时重做。", err=True)
        sys.exit(stop.exit_code)
    if not runs:
        click.echo("没有到期的作业。")
    for r in runs:
        click.echo(_run_line(sched, r))
    if any(r.status in ("failed", "partial", "missing", "undelivered") for r in runs):
        sys.exit(1)


def _run_line(sched, r) -> str:
    """One run in the words of `due`: the job, the period as people name it, the result; each message below."""
    from .schedule.service import run_line

    return f"#{r.id} " + run_line(sched, r, sep="\n  ")


@schedule.command("resend")
@_schedule_opts
@click.argument("run_id", type=int)
@_friendly
def schedule_resend(config_dir: Path | None, run_id: int) -> None:
    """把一次运行生成的报告按运行记录原样再发一次（RUN_ID 见 reportgen schedule history）。"""
    runner, sched, _ = _runner(config_dir)
    run = runner.resend(run_id)
    d = sched.job(run.job).delivery
    from .schedule.show import period_name

    click.echo(f"已重发运行 #{run.id}（作业 {run.job} {period_name(sched, run)}）：{len(run.outputs)} 份报告，发给 {'、'.join(d.to)}"
               + (f"，抄送 {'、'.join(d.cc)}" if d.cc else "") + "。")


@schedule.command("status")
@_schedule_opts
@_friendly
def schedule_status(config_dir: Path | None) -> None:
    """列出作业、下次运行时间与最近一次结果（表格；时间按 schedule.yaml 的时区）。"""
    from .batch import print_table
    from .schedule.runner import next_fire
    from .schedule.show import status_table

    runner, sched, _ = _runner(config_dir, mail=False)
    now = runner.clock.now()
    lasts = {job.id: next(iter(runner.history.runs(job.id, limit=1)), None) for job in sched.jobs}
    print_table(status_table(sched, lasts, {job.id: next_fire(job, sched, now) for job in sched.jobs}))


@schedule.command("history")
@_schedule_opts
@click.option("--job", help="只看这一个作业。")
@click.option("--limit", type=int, default=20, show_default=True)
@click.option("--files", is_flag=True, help="另列每份报告的文件、页数与 sha256。")
@_friendly
def schedule_history(config_dir: Path | None, job: str | None, limit: int, files: bool = False) -> None:
    """运行记录（表格，新的在前；时间按 schedule.yaml 的时区），其下是各次运行的完整错误信息。"""
    from .batch import print_table
    from .schedule.show import history_notes, history_table

    runner, sched, _ = _runner(config_dir, mail=False)
    runs = runner.history.runs(job, limit)
    if not runs:
        click.echo(f"作业 {job} 没有运行记录。" if job else "没有运行记录。")
        return
    print_table(history_table(sched, runs))
    for line in history_notes(runs, files):
        click.echo(line)


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
    import json

    from .check import typed_numbers

    typed = typed_numbers(json.loads(manifest.read_text(encoding="utf-8")))
    stale = [t for t in typed if t.stale]
    for p in problems:
        click.echo(str(p), err=True)
    for t in stale:
        click.echo(str(t), err=True)
    if typed:       # a reviewer sees every number typed by hand, and where
        click.echo(f"分析人员写入的数字（{len(typed)} 个，不随数据更新，请复核）：")
        for t in typed:
            click.echo(f"  {t}")
    if problems or stale:
        if problems:
            click.echo(f"共 {len(problems)} 个数字不在数据清单中。", err=True)
        if stale:
            click.echo(f"共 {len(stale)} 个分析人员写的数字与其抄自的数据已不相同。", err=True)
        sys.exit(1)
    click.echo(f"{pdf}：全部数字均可追溯。")


@main.command()
@click.argument("kind")
@click.argument("name", required=False)
@click.option("--period", help="期间：2024（年度）、2023-10（考核期，也可写 2023-10K）。")
@click.option("--district", help="按区的报告（简报）：区名。")
@click.option("--config", "config_dir", type=click.Path(path_type=Path, file_okay=False),
              help="城市配置目录（含 profile.yaml），缺省为 config/beijing。")
@click.option("--debug", is_flag=True, help="出错时显示完整的 Python 调用栈。")
@_friendly
def init(kind: str, name: str | None, period: str | None, district: str | None, config_dir: Path | None) -> None:
    """准备新的一期（或新的城市）：期间文件、区文件夹、数据模板（Excel，表头已写好），并说明接下来要填什么。

    \b
    reportgen init monthly --period 2023-10 --district 朝阳区
    reportgen init annual --period 2024
    reportgen init city 某市            （在当前城市配置目录旁新建 config/某市）
    已有的文件不会被覆盖。"""
    from .config.load import default_config_dir
    from .errors import ConfigError
    from .scaffold import init_city, init_period

    profile_dir = (config_dir or default_config_dir()).resolve()
    if kind == "city":
        if not name:
            raise ConfigError("配置错误：请写出新城市的名称，如 reportgen init city 某市。")
        made = init_city(name, profile_dir.parent / name)
    else:
        if name:
            raise ConfigError(f"配置错误：多余的参数 “{name}”；期间请用 --period 给出。")
        if not period:
            raise ConfigError(f"配置错误：请用 --period 给出期间，如 reportgen init {kind} --period 2024。")
        made = init_period(kind, period, profile_dir, district)
    for line in made.lines():
        click.echo(line)


@main.command(short_help="写出配置文件的 JSON Schema（供编辑器补全和检查）。")
@click.option("--out", type=click.Path(path_type=Path, file_okay=False), default=Path("schema"), show_default=True,
              help="写入的文件夹。")
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


# --- shell completion: report kinds, periods and district names of the city folder ------------------------------

def _city(ctx: click.Context) -> Path:
    from .config.load import default_config_dir

    root = ctx.find_root()
    given = ctx.params.get("config_dir") or (root.params.get("config_dir") if root is not ctx else None)
    return Path(given) if given else default_config_dir()


def _complete_kind(ctx, param, incomplete: str):
    from .config.load import known_kinds

    return [k for k in [*known_kinds(_city(ctx)), *(["city"] if ctx.command.name == "init" else [])]
            if k.startswith(incomplete)]


def _complete_period(ctx, param, incomplete: str):
    kind = ctx.params.get("kind") or _word_after(ctx.command.name or "")
    files = sorted((_city(ctx) / "periods").glob(f"{kind}-*.yaml")) if kind else []
    return [f.stem[len(kind) + 1:] for f in files if f.stem[len(kind) + 1:].startswith(incomplete)]


def _word_after(command: str) -> str:
    """The word after ``command`` on the line being completed (click has not parsed the argument yet when the
    option before the cursor has no value)."""
    words = os.environ.get("COMP_WORDS", "").split()
    if command in words:
        rest = [w for w in words[words.index(command) + 1:] if not w.startswith("-")]
        return rest[0] if rest else ""
    return ""


def _complete_district(ctx, param, incomplete: str):
    from .config.load import load_model
    from .config.models import Profile

    try:
        profile, _ = load_model(_city(ctx) / "profile.yaml", Profile)
    except ReportError:
        return []
    return [d.name for d in profile.districts if d.name.startswith(incomplete)]


def _add_completion(group: click.Group) -> None:
    for cmd in group.commands.values():
        if isinstance(cmd, click.Group):
            _add_completion(cmd)
        for param in cmd.params:
            fn = {"kind": _complete_kind, "period": _complete_period, "district": _complete_district}.get(param.name or "")
            if fn is not None:
                param._custom_shell_complete = fn        # click's hook for shell_complete=


_add_completion(main)


if __name__ == "__main__":
    main(prog_name="reportgen")
