"""One report being previewed: rebuilt on every change, laid out as PDF in the background.

Two worker threads:

* the **build** thread waits for a change (a file save seen by the watcher, or an edit made in the
  page), rebuilds the document (config → figures → HTML; the records store, its group-bys and the
  charts come from caches, so a commentary change costs a fraction of a second) and bumps
  ``version``;
* the **layout** thread lays out the newest good build with WeasyPrint, writes the preview PDF and
  records where every block landed (``layout``), then bumps ``pdf_version``.

A build that fails keeps the last good document and sets ``error`` to the same Chinese lines the
CLI prints; the next good save clears it.
"""

from __future__ import annotations

import logging
import re
import secrets
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from ..config.load import default_config_dir
from ..workspace import TEMPLATES
from ..errors import ReportError

log = logging.getLogger("reportgen.preview")


@dataclass
class Snapshot:
    version: int = 0
    pdf_version: int = 0
    error: list[str] | None = None
    build_seconds: float = 0.0
    pdf_seconds: float = 0.0


@dataclass
class Session:
    kind: str
    period: str
    config_dir: Path | None = None
    district: str | None = None
    out_dir: Path = field(default_factory=lambda: Path("out") / "preview")
    token: str = field(default_factory=lambda: secrets.token_urlsafe(24))

    def __post_init__(self) -> None:
        self.state = Snapshot()
        self.built = None               # the last good build
        self.layout: dict | None = None  # page map of the last PDF layout
        self._dirty = threading.Event()
        self._pdf_dirty = threading.Event()
        self._stop = threading.Event()
        self._lock = threading.Lock()   # one build at a time (DuckDB connection, caches)
        self.changed = threading.Condition()
        self.layout_running = False
        self.threads: list[threading.Thread] = []

    # --- names and paths ----------------------------------------------------------------------
    @property
    def name(self) -> str:
        return f"{self.kind}-{self.period}" + (f"-{self.district}" if self.district else "")

    @property
    def pdf_path(self) -> Path:
        return self.out_dir / f"{self.name}.pdf"

    @property
    def profile_dir(self) -> Path:
        return (self.config_dir or default_config_dir()).resolve()

    def watched(self) -> list[Path]:
        """Folders whose changes rebuild the report: the city's config (periods, commentary, districts'
        folders), the shared report kinds and templates, and the folders of the data files."""
        paths = {self.profile_dir, (self.profile_dir.parent / "reports").resolve(), TEMPLATES}
        cfg = self.built.cfg if self.built is not None else None
        if cfg is not None:
            for specs in cfg.period_file.sources.values():
                for s in specs:
                    if s.path is None:          # a database: nothing on disk to watch
                        continue
                    p = cfg.resolve(s.path)
                    paths.add(p if p.is_dir() else p.parent)
        return sorted(p for p in paths if p.exists())

    # --- building -----------------------------------------------------------------------------
    def rebuild(self) -> None:
        from ..pipeline import build

        with self._lock:
            t0 = time.perf_counter()
            try:
                built = build(self.kind, self.period, self.config_dir, district=self.district, workers=1)
            except ReportError as exc:
                self.state.error = list(exc.problems)
                log.warning("%s", exc.problems[0])
            except Exception as exc:  # noqa: BLE001 — show it in the page, keep serving
                self.state.error = [f"内部错误：{exc.__class__.__name__}: {exc}"]
                log.exception("rebuild failed")
            else:
                self.built = built
                self.state.error = None
                self._pdf_dirty.set()
            self.state.build_seconds = time.perf_counter() - t0
            self.state.version += 1
        self._notify()

    def layout_pdf(self) -> None:
        from ..publish import render_to_pdf

        built = self.built
        if built is None:
            return
        t0 = time.perf_counter()
        layout: dict = {}
        self.layout_running = True
        try:
            render_to_pdf(built, self.pdf_path, layout=layout)
        except ReportError as exc:
            self.state.error = list(exc.problems)
        except Exception as exc:  # noqa: BLE001
            self.state.error = [f"内部错误（排版）：{exc.__class__.__name__}: {exc}"]
            log.exception("layout failed")
        else:
            if built is self.built:
                self.layout = layout
        finally:
            self.layout_running = False
        self.state.pdf_seconds = time.perf_counter() - t0
        self.state.pdf_version += 1
        self._notify()

    def _notify(self) -> None:
        with self.changed:
            self.changed.notify_all()

    @property
    def busy(self) -> bool:
        """A rebuild or a layout is pending or running (the page will change again soon)."""
        return self._dirty.is_set() or self._pdf_dirty.is_set() or self.layout_running or self._lock.locked()

    def request_rebuild(self) -> None:
        self._dirty.set()

    # --- threads ------------------------------------------------------------------------------
    def start(self) -> None:
        self.rebuild()
        for target, name in ((self._build_loop, "build"), (self._layout_loop, "layout"), (self._watch_loop, "watch")):
            t = threading.Thread(target=target, name=f"preview-{name}", daemon=True)
            t.start()
            self.threads.append(t)

    def stop(self) -> None:
        self._stop.set()
        self._dirty.set()
        self._pdf_dirty.set()

    def _build_loop(self) -> None:
        while not self._stop.is_set():
            self._dirty.wait()
            if self._stop.is_set():
                return
            time.sleep(0.05)          # let an editor finish writing (several events for one save)
            self._dirty.clear()
            self.rebuild()

    def _layout_loop(self) -> None:
        while not self._stop.is_set():
            self._pdf_dirty.wait()
            if self._stop.is_set():
                return
            self._pdf_dirty.clear()
            self.layout_pdf()

    def _watch_loop(self) -> None:
        from watchfiles import watch

        ignore = re.compile(r"(\.part$|\.swp$|~$|/\.#|__pycache__|\.figures\.json$|\.pdf$)")
        while not self._stop.is_set():
            paths = self.watched()
            for changes in watch(*paths, stop_event=self._stop, debounce=50, step=20, rust_timeout=500,
                                 yield_on_timeout=True):
                if self._stop.is_set():
                    return
                relevant = [p for _, p in changes if not ignore.search(p)]
                if relevant:
                    self.request_rebuild()
                if set(self.watched()) != set(paths):
                    break                 # a data folder was added or removed: watch the new set
