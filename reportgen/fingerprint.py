"""Fingerprints of a render's inputs and checksums of its outputs.

Shared by the batch (``--resume`` trusts a PDF made from the same inputs) and the scheduler (an
``unchanged`` period is not rendered again).  It imports neither of them: ``reportgen.batch`` never
imports ``reportgen.schedule``, and ``reportgen.schedule.runner`` imports the batch only to render.
"""

from __future__ import annotations

import hashlib
from pathlib import Path


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def fingerprint(profile_dir: Path, data_paths: list[Path]) -> str:
    """sha256 over everything a render reads: the city's config (period files, districts' folders,
    photos), the report kinds, the templates, the data files and reportgen's own version.  Equal
    fingerprints give byte-identical PDFs."""
    from . import __version__
    from .workspace import SHARED_REPORTS, TEMPLATES

    h = hashlib.sha256(f"reportgen {__version__}\n".encode())
    roots = [profile_dir, profile_dir.parent / "reports", SHARED_REPORTS, TEMPLATES]
    files: list[Path] = []
    for root in roots:
        if root.is_dir():
            files += [p for p in root.rglob("*") if p.is_file() and "__pycache__" not in p.parts]
    files += [p for d in data_paths for p in ([d] if d.is_file() else sorted(d.rglob("*")) if d.is_dir() else [])
              if p.is_file()]
    for p in sorted(set(files)):
        h.update(str(p.relative_to(p.anchor)).encode() + b"\0")
        with open(p, "rb") as fh:
            for block in iter(lambda: fh.read(1 << 20), b""):
                h.update(block)
    return h.hexdigest()


def data_paths(cfg) -> list[Path]:
    """The data files and folders a loaded configuration's period file names (databases excluded)."""
    return [cfg.resolve(s.path) for specs in cfg.period_file.sources.values() for s in specs if s.path is not None]


def inputs_fingerprint(kind: str, period: str, config_dir: Path | None, district: str | None) -> str:
    """The fingerprint of one report's inputs (config, templates, data)."""
    from .config import load_config
    from .config.load import default_config_dir

    profile_dir = (config_dir or default_config_dir()).resolve()
    cfg = load_config(kind, period, profile_dir, district=district)
    return fingerprint(profile_dir, data_paths(cfg))
