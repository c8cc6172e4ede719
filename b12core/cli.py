"""Command line: ``python -m b12core labs FILE... -o OUT.(parquet|csv)``.

Exit 0 with a one-line summary on stderr when the output is written; exit 2 with one clear line
on stderr when an input cannot be used at all. Never a traceback.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from b12core.errors import InputError
from b12core.files import import_lab_set, read_files
from b12core.labs import LabImport

EXIT_OK, EXIT_INPUT = 0, 2


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # argparse prints usage and exits 2: keep it one line
        raise InputError(message)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="python -m b12core", description="B12 therapy follow-up: normalise lab exports.")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    labs = commands.add_parser("labs", help="lab exports -> canonical labs table")
    labs.add_argument("files", nargs="+", type=Path, metavar="FILE")
    labs.add_argument("-o", "--output", required=True, type=Path, metavar="OUT.(parquet|csv)")
    labs.add_argument("--rejected", type=Path, metavar="R.csv", help="write rejected rows with reasons")
    labs.add_argument("--date-order", choices=("auto", "dmy", "mdy"), default="auto",
                      help="day/month order where a file's dates do not decide it")
    return parser


def import_lab_files(paths: Sequence[Path], date_order: str | None) -> LabImport:
    """Read and import lab files named on the command line (code dictionaries among them)."""
    files = []
    for path in paths:
        try:
            files.append((path.name, path.read_bytes()))
        except OSError as err:
            raise InputError(f"{path}: cannot be read ({err.strerror or err})") from err
    return import_lab_set(read_files(files), date_order, strict=True)


def write_table(frame: pd.DataFrame, path: Path) -> None:
    """Write a table as Parquet or CSV, chosen by the file extension."""
    suffix = path.suffix.lower()
    if suffix == ".parquet":
        frame.to_parquet(path, index=False)
    elif suffix == ".csv":
        frame.to_csv(path, index=False)
    else:
        raise InputError(f"{path}: output must end in .parquet or .csv")


def run_labs(args: argparse.Namespace) -> str:
    if args.output.suffix.lower() not in (".parquet", ".csv"):
        raise InputError(f"{args.output}: output must end in .parquet or .csv")
    result = import_lab_files(args.files, None if args.date_order == "auto" else args.date_order)
    try:
        write_table(result.labs, args.output)
        if args.rejected:
            write_table(result.rejections, args.rejected)
    except OSError as err:
        raise InputError(f"cannot write output: {err.strerror or err}") from err
    unknown = result.unknown_names
    line = result.summary()
    if len(unknown):
        names = unknown.groupby("name")["rows"].sum().sort_values(ascending=False)
        shown = ", ".join(f"{n} ({r})" for n, r in names.head(5).items())
        line += f"; unknown tests: {shown}{' …' if len(names) > 5 else ''}"
    return line


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; returns the exit code."""
    try:
        args = build_parser().parse_args(argv)
        line = run_labs(args)
    except InputError as err:
        print(f"error: {err}", file=sys.stderr)
        return EXIT_INPUT
    except KeyboardInterrupt:
        return 130
    except Exception as err:  # a bug of ours: still one line, never a traceback
        print(f"error: unexpected {type(err).__name__}; please report it with the command you ran",
              file=sys.stderr)
        return 1
    print(line, file=sys.stderr)
    return EXIT_OK
