"""What the sample-data generators share: the project's paths, reading YAML (the targets, the city's
configuration and the generators' invented tables in ``data/sample/weights/``), the reports' half-up
rounding of 万 and percentages, Parquet written atomically, and the ``--out`` command line."""

from __future__ import annotations

import argparse
import math
from collections.abc import Callable
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from types import ModuleType
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import yaml

ROOT = Path(__file__).resolve().parents[2]
TARGETS_DIR = ROOT / "data" / "targets"
GENERATED = ROOT / "data" / "generated"
CITY = ROOT / "config" / "beijing"
TAXONOMY = CITY / "taxonomy.yaml"
PROFILE = CITY / "profile.yaml"
UNITS_FILE = CITY / "units.yaml"
STREETS_FILE = CITY / "streets.yaml"
WEIGHTS_DIR = Path(__file__).resolve().parent / "weights"
UNIT = 10_000                     # 1 万


def load_yaml(path: Path) -> Any:
    with open(path, encoding="utf-8") as f:
        return yaml.safe_load(f)


class Weights:
    """The invented tables of one generator (``data/sample/weights/<name>.yaml``), read with yaml.safe_load
    and passed through ``convert`` on first use: importing a generator reads nothing.  ``W.NAME`` is the
    file's top-level entry NAME (after the conversion)."""

    def __init__(self, name: str, convert: Callable[[dict], dict] | None = None) -> None:
        self.path = WEIGHTS_DIR / f"{name}.yaml"
        self._convert = convert
        self._tables: dict | None = None

    def load(self) -> dict:
        if self._tables is None:
            raw = load_yaml(self.path)
            self._tables = self._convert(raw) if self._convert is not None else raw
            self.__dict__.update(self._tables)          # later look-ups are plain attributes
        return self._tables

    def __getattr__(self, key: str) -> Any:
        if key.startswith("_"):
            raise AttributeError(key)
        tables = self.load()
        if key not in tables:
            raise AttributeError(f"{self.path.relative_to(ROOT)} has no entry {key}")
        return tables[key]


def category(key: str) -> tuple[str, str | None]:
    """A weights file's category key: ``l1/l2`` → (l1, l2); a bare ``l1`` (the whole category) → (l1, None)."""
    l1, _, l2 = key.partition("/")
    return l1, l2 or None


def pairs(mapping: dict) -> list[tuple]:
    """An ordered ``{name: value}`` of a weights file as the generators' list of (name, value)."""
    return list(mapping.items())


# --- the reports' rounding (half-up, from exact values) ---------------------------------------------


def half_up(x: Decimal, places: int) -> Decimal:
    return x.quantize(Decimal(1).scaleb(-places), ROUND_HALF_UP)


def wan_window(text: str, places: int = 1) -> tuple[int, int]:
    """[lo, hi): the counts that print as ``text`` 万 with ``places`` decimals (half-up)."""
    p, half = Decimal(text), Decimal(5).scaleb(-places - 1)
    return math.ceil((p - half) * UNIT), math.ceil((p + half) * UNIT)


def pct_window(text: str, whole: int, places: int) -> tuple[int, int]:
    """[lo, hi): the parts of ``whole`` whose share prints as ``text`` % with ``places`` decimals (half-up)."""
    p = int(Decimal(text).scaleb(places))
    m = 2 * 100 * 10 ** places
    lo = -((-(2 * p - 1) * whole) // m)               # ceil((2p − 1)·whole / m)
    hi = -((-(2 * p + 1) * whole) // m)               # parts < (2p + 1)·whole / m
    return lo, hi


# --- output ---------------------------------------------------------------------------------------------


def spread_ties(values: list[int], step: Callable[[int, int], int]) -> list[int]:
    """``values`` with each run of equal neighbours made strictly decreasing around its value: the run
    ``values[i:i + k]`` spread by ``step(i, k)`` apart (+step/2, −step/2 for two; +step, 0, −step for three)."""
    out = list(values)
    i = 0
    while i < len(out):
        j = i
        while j + 1 < len(out) and out[j + 1] == out[i]:
            j += 1
        k = j - i + 1
        if k > 1:
            s = step(i, k)
            for n, idx in enumerate(range(i, j + 1)):
                out[idx] += int(s * ((k - 1) / 2 - n))
        i = j + 1
    return out


def replace_atomically(path: Path, write: Callable[[Path], object]) -> None:
    """``write(tmp)`` next to ``path``, then the finished file takes its place."""
    tmp = path.with_name(path.name + ".tmp")
    write(tmp)
    tmp.replace(path)


def write_parquet(path: Path, table: pa.Table) -> None:
    replace_atomically(path, lambda tmp: pq.write_table(table, tmp, compression="zstd"))


def add_out(parser: argparse.ArgumentParser, generator: ModuleType) -> None:
    """A generator's options: ``--out`` (its ``DEFAULT_OUT``; ``OUT_HELP`` says what goes there), and whatever
    its ``add_options(parser)`` adds, if it has one (``records``: ``--targets``, ``--year``)."""
    default: Path = generator.DEFAULT_OUT
    help = getattr(generator, "OUT_HELP", "output folder")
    parser.add_argument("--out", type=Path, default=default, help=f"{help} (default: {default.relative_to(ROOT)})")
    if hasattr(generator, "add_options"):
        generator.add_options(parser)


def run_parsed(generator: ModuleType, args: argparse.Namespace) -> int:
    """``generator.run(--out, **its other options)``."""
    options = {k: v for k, v in vars(args).items() if k not in ("command", "out")}
    return generator.run(args.out, **options)


def cli(generator: ModuleType, argv: list[str] | None = None) -> int:
    """One generator's command line on its own: ``generator.run(--out, …)`` (``python -m data.sample`` has them
    all as subcommands)."""
    ap = argparse.ArgumentParser(description=summary(generator.__doc__))
    add_out(ap, generator)
    return run_parsed(generator, ap.parse_args(argv))


def summary(doc: str | None) -> str:
    """The first paragraph of a docstring, on one line."""
    return (doc or "").strip().split("\n\n")[0].replace("\n", " ")
