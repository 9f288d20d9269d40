"""Fingerprints of a render's inputs and checksums of its outputs.

Shared by the batch (``--resume`` trusts a PDF made from the same inputs) and the scheduler (an
``unchanged`` period is not rendered again).  Per district (:func:`district_fingerprints`): what every district
reads (the city's config, templates, data) and that district's own folder of the period (brief.yaml, case.md,
photos), so that one district's changed case renders that district again, not all of them.  It imports neither of them: ``reportgen.batch`` never
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


# not read by any render: changing the schedule (recipients, cron) renders nothing again
NOT_INPUTS = ("schedule.yaml",)


def _files(root: Path) -> list[Path]:
    if root.is_file():
        return [root]
    if root.is_dir():
        return [p for p in root.rglob("*") if p.is_file() and "__pycache__" not in p.parts]
    return []


def _digest(h, files: list[Path]) -> None:
    for p in sorted(set(files)):
        h.update(str(p.relative_to(p.anchor)).encode() + b"\0")
        with open(p, "rb") as fh:
            for block in iter(lambda: fh.read(1 << 20), b""):
                h.update(block)


def district_fingerprints(profile_dir: Path, data_paths: list[Path], folders: dict[str, Path | None]) -> dict[str, str]:
    """District → sha256 of what its report reads: everything every district reads (as :func:`fingerprint`,
    without the districts' own folders of this period and without ``schedule.yaml``) and the district's own
    folder (``folders[district]``, None or missing: nothing of its own).  A change in one district's folder
    changes that district's fingerprint only."""
    from . import __version__
    from .workspace import SHARED_REPORTS, TEMPLATES

    own = {d: f.resolve() for d, f in folders.items() if f is not None}
    mine = set(own.values())
    common: list[Path] = []
    for root in [profile_dir, profile_dir.parent / "reports", SHARED_REPORTS, TEMPLATES, *data_paths]:
        for p in _files(root):
            r = p.resolve()
            if any(r == f or r.is_relative_to(f) for f in mine):
                continue                              # a district's own: in that district's fingerprint only
            if p.parent == profile_dir and p.name in NOT_INPUTS:
                continue
            common.append(p)
    h = hashlib.sha256(f"reportgen {__version__}\n".encode())
    _digest(h, common)
    shared = h.digest()
    out = {}
    for d in folders:
        hd = hashlib.sha256(shared + b"\0district\0" + d.encode())
        if d in own:
            _digest(hd, _files(own[d]))
        out[d] = hd.hexdigest()
    return out


def district_folders(cfg, districts: list[str]) -> dict[str, Path | None]:
    """Each district's own folder of the period (the period file's ``district_folder``), None without one."""
    folder = cfg.period_file.district_folder
    return {d: (cfg.period_path.parent / folder.replace("{district}", d)).resolve() if folder else None
            for d in districts}

