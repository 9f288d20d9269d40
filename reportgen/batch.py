"""Per-district reports in a batch: every district's brief in parallel worker processes.

Each worker builds and lays out whole briefs; the assessment tables are read once per worker
(:func:`reportgen.pipeline.load_brief_data` caches them).  A district that fails is reported
with its Chinese message and does not stop the others.
"""

from __future__ import annotations

import multiprocessing
import time
import traceback
from collections.abc import Callable, Iterable
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path

from .errors import ReportError


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


def _peak_mb() -> float:
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def render_one(kind: str, period: str, config_dir: Path | None, district: str, out: Path,
               strict: bool = False, debug: bool = False) -> Result:
    """Build and write one district's report; never raises (the error is in the result)."""
    from .pipeline import build, render_to_pdf

    t0 = time.perf_counter()
    result = Result(district, out)
    try:
        built = build(kind, period, config_dir, district=district, workers=1)
        render_to_pdf(built, out, strict=strict)
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


def render_many(kind: str, period: str, config_dir: Path | None, districts: Iterable[str], out_dir: Path, *,
                workers: int = 2, strict: bool = False, debug: bool = False,
                on_done: Callable[[Result], None] | None = None, paths: dict[str, Path] | None = None) -> list[Result]:
    """Every district's report into ``out_dir/<district>.pdf`` (or ``paths[district]``); results in the
    districts' order."""
    districts = list(districts)
    jobs = {d: (paths or {}).get(d, out_dir / f"{d}.pdf") for d in districts}
    results: dict[str, Result] = {}
    if workers <= 1:
        for d, out in jobs.items():
            results[d] = render_one(kind, period, config_dir, d, out, strict, debug)
            if on_done:
                on_done(results[d])
    else:
        # fork: the workers start at once with the modules already imported (the parent has loaded
        # no data and started no threads yet); spawn elsewhere
        import weasyprint  # noqa: F401  (imported once here, inherited by the forked workers)

        from . import pipeline  # noqa: F401
        from .reports import brief, case  # noqa: F401

        methods = multiprocessing.get_all_start_methods()
        ctx = multiprocessing.get_context("fork" if "fork" in methods else "spawn")
        with ProcessPoolExecutor(max_workers=workers, mp_context=ctx) as pool:
            futures = {pool.submit(render_one, kind, period, config_dir, d, out, strict, debug): d
                       for d, out in jobs.items()}
            for fut in as_completed(futures):
                d = futures[fut]
                try:
                    results[d] = fut.result()
                except Exception as exc:  # noqa: BLE001 — a worker died (e.g. out of memory)
                    results[d] = Result(d, jobs[d], error=f"工作进程异常退出：{exc.__class__.__name__}: {exc}")
                if on_done:
                    on_done(results[d])
    return [results[d] for d in districts]


# --- resuming an interrupted batch -------------------------------------------------------------------

LEDGER = ".reportgen-batch.json"


def inputs_fingerprint(kind: str, period: str, config_dir: Path | None, district: str) -> str:
    """sha256 of everything the batch's reports read (config, templates, data; the scheduler's fingerprint)."""
    from .config import load_config
    from .config.load import default_config_dir
    from .schedule.runner import fingerprint

    profile_dir = (config_dir or default_config_dir()).resolve()
    cfg = load_config(kind, period, profile_dir, district=district)
    paths = [cfg.resolve(s.path) for specs in cfg.period_file.sources.values() for s in specs if s.path is not None]
    return fingerprint(profile_dir, paths)


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


def up_to_date(out_dir: Path, districts: list[str], fp: str) -> list[str]:
    """The districts whose PDF is there and was made from these very inputs (``--resume`` skips them)."""
    ledger = read_ledger(out_dir)
    return [d for d in districts if ledger.get(d) == fp and (out_dir / f"{d}.pdf").is_file()]
