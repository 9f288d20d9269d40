"""python -m data.sample {records,assessment,work,photos} [--out DIR] (from the repository root; records also takes
--targets FILE --year YEAR, a new edition's sample by the generic path)."""

from __future__ import annotations

import argparse
import sys

from . import assessment, photos, records, work2020
from .common import add_out, run_parsed, summary

COMMANDS = {"records": records, "assessment": assessment, "work": work2020, "photos": photos}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m data.sample", description=summary(sys.modules[__package__].__doc__))
    sub = ap.add_subparsers(dest="command", required=True, metavar="{" + ",".join(COMMANDS) + "}")
    for name, generator in COMMANDS.items():
        add_out(sub.add_parser(name, help=summary(generator.__doc__), description=summary(generator.__doc__)),
                generator)
    args = ap.parse_args(argv)
    return run_parsed(COMMANDS[args.command], args)


if __name__ == "__main__":
    sys.exit(main())
