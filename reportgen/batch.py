"""Per-district reports in a batch: every district's brief in parallel worker processes.

Each worker builds and lays out whole briefs; the assessment tables are read once per worker
(:func:`reportgen.inputs.load_brief_data` caches them).  A district that fails is reported
with its Chinese message and does not stop the others.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import sys
import threading
import time
import traceback
from collections.abc import Callable, Iterable
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import ReportError
from .names import NAME, batch_paths


@dataclass
class Result:
    district: str
    path: Path
    ok: bool = False
    seconds: float = 0.0
    pages: int = 0
    error: str = ""
    notices: list[str] = field(default_factory=list)
    omitted: list[str] = field(default_factory=list)
    peak_mb: float = 0.0
    files: dict[str, Path] = field(default_factory=dict)    # format -> file written beside the PDF (.docx, .xlsx)


FORMATS = ("pdf", "docx", "xlsx")      # what a batch or a scheduled job can write for each report


def beside(pdf: Path, fmt: str) -> Path:
    """The file of format ``fmt`` written beside ``pdf`` (the same name, its own extension)."""
    return pdf if fmt == "pdf" else pdf.with_suffix(f".{fmt}")


def _peak_mb() -> float:
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def render_one(kind: str, period: str, config_dir: Path | None, district: str, out: Path,
               strict: bool = False, debug: bool = False, formats: tuple[str, ...] = ("pdf",)) -> Result:
    """Build and write one district's report (the PDF ``out``, and the other ``formats`` beside it, from the
    same build); never raises (the error is in the result)."""
    from .pipeline import build
    from .publish import render_to_pdf, write_docx_file, write_xlsx_file

    t0 = time.perf_counter()
    result = Result(district, out)
    try:
        built = build(kind, period, config_dir, district=district, workers=1)
        render_to_pdf(built, out, strict=strict)
        if "docx" in formats:
            result.files["docx"] = write_docx_file(built, beside(out, "docx"), workers=1)
        if "xlsx" in formats:
            result.files["xlsx"] = write_xlsx_file(built, beside(out, "xlsx"))
        result.ok = True
        result.pages = built.pages
        result.notices = list(built.doc.notices)
        result.omitted = list(built.doc.omitted)
    except ReportError as exc:
        result.error = "\n".join(exc.problems)
    except Exception as exc:  # noqa: BLE001 — one district's bug must not stop the batch
        result.error = f"内部错误：{exc.__class__.__name__}: {exc}"
        if debug:
            result.error += "\n" + traceback.format_exc()
    result.seconds = time.perf_counter() - t0
    result.peak_mb = _peak_mb()
    return result


class BatchInterrupted(Exception):
    """SIGINT (Ctrl-C) or SIGTERM stopped the batch: the workers are gone, ``finished`` holds the results
    that came back (each already passed to ``on_done``), ``unfinished`` the districts not done."""

    def __init__(self, signum: int, finished: list[Result], unfinished: list[str]) -> None:
        self.signum = signum
        self.finished = finished
        self.unfinished = unfinished
        name = {int(signal.SIGINT): "Ctrl-C", int(signal.SIGTERM): "SIGTERM"}.get(int(signum), f"信号 {signum}")
        self.signal_name = name
        super().__init__(f"批量生成被 {name} 中断：完成 {len(finished)} 个区，未完成 {len(unfinished)} 个区")

    @property
    def exit_code(self) -> int:
        return 128 + int(self.signum)           # 130 for SIGINT, 143 for SIGTERM


PR_SET_PDEATHSIG = 1


def _worker_init(parent: int) -> None:
    """In each worker: die with the parent (Linux: the kernel sends SIGKILL when the parent dies), leave
    Ctrl-C to the parent (a terminal sends SIGINT to the whole process group), default SIGTERM."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    if sys.platform.startswith("linux"):
        try:
            import ctypes

            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(PR_SET_PDEATHSIG, int(signal.SIGKILL), 0, 0, 0)
        except (OSError, AttributeError):   # no prctl: the parent still kills its workers on its way out
            pass
    if os.getppid() != parent:              # the parent died before prctl took effect
        os._exit(1)


def _kill_workers(procs: list) -> None:
    for p in procs:
        try:
            p.kill()
        except (OSError, ValueError):
            pass
    for p in procs:
        try:
            p.join(5)
        except (OSError, ValueError, AssertionError):
            pass


def _workers(pool: ProcessPoolExecutor) -> list:
    return list((getattr(pool, "_processes", None) or {}).values())


class _Signals:
    """SIGINT and SIGTERM, while the batch runs in the main thread, only note that the batch must stop
    (a second Ctrl-C changes nothing); the previous handlers come back afterwards."""

    def __init__(self) -> None:
        self.received: int | None = None
        self._old: dict[int, Any] = {}

    def __enter__(self) -> "_Signals":
        if threading.current_thread() is threading.main_thread():
            for sig in (signal.SIGINT, signal.SIGTERM):
                self._old[sig] = signal.signal(sig, self._note)
        return self

    def _note(self, signum, _frame) -> None:
        if self.received is None:
            self.received = signum

    def __exit__(self, *exc) -> None:
        for sig, old in self._old.items():
            signal.signal(sig, old)


def render_many(kind: str, period: str, config_dir: Path | None, districts: Iterable[str], out_dir: Path, *,
                workers: int = 2, strict: bool = False, debug: bool = False,
                on_done: Callable[[Result], None] | None = None, paths: dict[str, Path] | None = None,
                formats: tuple[str, ...] = ("pdf",)) -> list[Result]:
    """Every district's report into ``out_dir/<district>.pdf`` (or ``paths[district]``), with the other
    ``formats`` (docx, xlsx) beside each PDF; results in the districts' order.  SIGINT or SIGTERM (when
    called from the main thread) stops it: the workers are
    killed and :class:`BatchInterrupted` says what was finished and what not."""
    districts = list(districts)
    jobs = {d: (paths or {}).get(d, out_dir / f"{d}.pdf") for d in districts}
    results: dict[str, Result] = {}

    def finished(d: str, r: Result) -> None:
        results[d] = r
        if on_done:
            on_done(r)

    def interrupted(signum: int) -> BatchInterrupted:
        return BatchInterrupted(signum, [results[d] for d in districts if d in results],
                                [d for d in districts if d not in results])

    with _Signals() as signals:
        if workers <= 1:
            for d, out in jobs.items():          # in this process: the district being rendered finishes first
                if signals.received is not None:
                    raise interrupted(signals.received)
                finished(d, render_one(kind, period, config_dir, d, out, strict, debug, formats))
            if signals.received is not None and len(results) < len(districts):
                raise interrupted(signals.received)
            return [results[d] for d in districts]
        # fork: the workers start at once with the modules already imported (the parent has loaded
        # no data and started no threads yet); spawn elsewhere
        import weasyprint  # noqa: F401  (imported once here, inherited by the forked workers)

        from . import pipeline, publish  # noqa: F401
        from .reports import brief, case  # noqa: F401

        methods = multiprocessing.get_all_start_methods()
        ctx = multiprocessing.get_context("fork" if "fork" in methods else "spawn")
        pool = ProcessPoolExecutor(max_workers=workers, mp_context=ctx, initializer=_worker_init,
                                   initargs=(os.getpid(),))
        stopped = False
        try:
            futures = {pool.submit(render_one, kind, period, config_dir, d, out, strict, debug, formats): d
                       for d, out in jobs.items()}
            pending = set(futures)
            while pending:
                if signals.received is not None:
                    break
                done, pending = wait(pending, timeout=0.2, return_when=FIRST_COMPLETED)
                for fut in done:
                    d = futures[fut]
                    try:
                        r = fut.result()
                    except Exception as exc:  # noqa: BLE001 — a worker died (e.g. out of memory)
                        r = Result(d, jobs[d], error=f"工作进程异常退出：{exc.__class__.__name__}: {exc}")
                    finished(d, r)
            if signals.received is not None:
                for fut in list(pending):       # what came back while the signal arrived still counts
                    if fut.done() and not fut.cancelled() and fut.exception() is None:
                        finished(futures[fut], fut.result())
                stopped = True
                # the pool cancels what has not started (its own thread: cancelling here races with it)
                procs = _workers(pool)
                pool.shutdown(wait=False, cancel_futures=True)
                _kill_workers(procs)
                raise interrupted(signals.received)
        except BaseException:
            if not stopped:                     # any other way out: no worker is left behind either
                procs = _workers(pool)
                pool.shutdown(wait=False, cancel_futures=True)
                _kill_workers(procs)
            raise
        finally:
            pool.shutdown(wait=True, cancel_futures=True)
    return [results[d] for d in districts]


# --- resuming an interrupted batch -------------------------------------------------------------------

LEDGER = ".reportgen-batch.json"

# the inputs' fingerprint lives in reportgen.fingerprint (shared with the scheduler, no import cycle)


def read_ledger(out_dir: Path) -> dict[str, str]:
    """District → the inputs' fingerprint its PDF in ``out_dir`` was made from."""
    import json

    try:
        return json.loads((out_dir / LEDGER).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def record_done(out_dir: Path, district: str, fp: str) -> None:
    import json

    from .render import write_atomic

    ledger = read_ledger(out_dir)
    ledger[district] = fp
    write_atomic(out_dir / LEDGER, json.dumps(ledger, ensure_ascii=False, indent=1).encode("utf-8"))


def up_to_date_at(paths: dict[str, Path], ledger_dir: Path, fps: dict[str, str],
                  formats: tuple[str, ...] = ("pdf",)) -> list[str]:
    """The districts of ``paths`` whose files (the PDF at ``paths[d]`` and the other ``formats`` beside it) are there
    and were made from these very inputs — each district's own fingerprint (``fps``): one district's changed
    case makes only that district out of date."""
    ledger = read_ledger(ledger_dir)
    return [d for d, pdf in paths.items() if d in fps and ledger.get(d) == fps[d]
            and all(beside(pdf, f).is_file() for f in formats)]


# --- tables a person reads: never cut at the terminal's width ---------------------------------------------

def print_table(table, err: bool = False) -> None:
    """Print a rich table whole: as wide as it needs (a log file, a pipe or a terminal of 80 columns gets every
    cell in full; a narrower terminal wraps the long lines, never cuts them)."""
    import shutil

    from rich.console import Console

    stream = sys.stderr if err else sys.stdout
    needed = Console(width=10_000, highlight=False).measure(table).maximum
    width = max(needed, shutil.get_terminal_size((80, 24)).columns if stream.isatty() else 0, 20)
    console = Console(file=stream, width=width, highlight=False, soft_wrap=False)
    with console.capture() as captured:
        console.print(table)
    # without the blanks that pad the centred title to the table's width
    stream.write("".join(line.rstrip() + "\n" for line in captured.get().splitlines()))
    stream.flush()


def summary_table(results: list[Result], title: str, folder: Path):
    """The batch's summary: district, result, pages, seconds, sections left out, file (its name in ``folder``)."""
    from rich.table import Table

    table = Table(title=title, show_lines=False)
    for col in ("区", "结果", "页数", "用时（秒）", "从略的部分", "文件或错误"):
        table.add_column(col, justify="right" if col in ("页数", "用时（秒）") else "left", no_wrap=True)

    def shown(p: Path) -> str:
        try:
            return str(p.relative_to(folder))
        except ValueError:
            return str(p)

    for r in results:
        table.add_row(r.district, "成功" if r.ok else "[red]失败[/]", str(r.pages) if r.ok else "",
                      f"{r.seconds:.1f}", "、".join(r.omitted),
                      (shown(r.path) + (f"（另有 {'、'.join(p.suffix for p in r.files.values())}）" if r.files else ""))
                      if r.ok else "见下")
    return table


def batch_plan(kind: str, period: str, config_dir: Path | None, districts: list[str], out_dir: Path,
               names: str = NAME) -> tuple[dict[str, Path], dict[str, str]]:
    """A batch's files (each district's PDF in ``out_dir``, named by ``names``) and every district's own inputs'
    fingerprint (what ``--resume`` compares)."""
    from .config import load_config
    from .config.load import default_config_dir, district_names
    from .fingerprint import data_paths, district_fingerprints, district_folders

    profile_dir = (config_dir or default_config_dir()).resolve()
    cfg = load_config(kind, period, profile_dir, district=districts[0])
    every = list(dict.fromkeys([*district_names(cfg.profile), *districts]))
    fps = district_fingerprints(profile_dir, data_paths(cfg), district_folders(cfg, every))
    return batch_paths(out_dir, districts, kind, period, cfg.period_file.period, names), fps
