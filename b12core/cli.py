"""Command line, as in design.md::

    python -m b12core labs   FILE... -o OUT.(parquet|csv) [--rejected R.csv] [--date-order auto|dmy|mdy]
    python -m b12core doses  FILE... -o OUT.(parquet|csv) [--rejected R.csv] [--date-order ...]
    python -m b12core phases FILE... -o OUT.csv [--date-order ...]
    python -m b12core plan   --regimen ID --start YYYY-MM-DD -o OUT.(csv|ics|html)
    python -m b12core plan   --list

Exit 0 with a one-line summary on stderr when the output is written; exit 2 with one clear line
on stderr when an input cannot be used at all. Never a traceback.
"""

from __future__ import annotations

import argparse
import ctypes
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa

from b12core.accounting import top_names
from b12core.errors import InputError
from b12core.export import plan_to_csv, plan_to_html, plan_to_ics, safe_frame
from b12core.phases import detect_phases
from b12core.regimens import build_plan, custom_regimen, get_regimen, regimens
from b12core.words import counted
from b12core.workspace import KIND_LABELS, Choices, FileReport, Workspace, build_workspace

EXIT_OK, EXIT_INPUT = 0, 2
DATE_ORDERS = ("auto", "dmy", "mdy")


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # argparse prints usage and exits 2: keep it one line
        raise InputError(message)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="python -m b12core", description="B12 therapy follow-up from lab exports and doses.")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    def with_files(name: str, help_text: str, outputs: str, rejected: bool = True) -> argparse.ArgumentParser:
        command = commands.add_parser(name, help=help_text)
        command.add_argument("files", nargs="+", type=Path, metavar="FILE")
        command.add_argument("-o", "--output", required=True, type=Path, metavar=f"OUT.({outputs})")
        if rejected:
            command.add_argument("--rejected", type=Path, metavar="R.csv", help="write rejected rows with reasons")
        command.add_argument("--date-order", choices=DATE_ORDERS, default="auto",
                             help="day/month order where a file's dates do not decide it")
        return command

    with_files("labs", "lab exports -> canonical labs table", "parquet|csv")
    with_files("doses", "injection records -> canonical doses table", "parquet|csv")
    with_files("phases", "injection records -> loading and maintenance phases", "csv", rejected=False)
    plan = commands.add_parser("plan", help="a regimen's planned doses and lab rechecks")
    plan.add_argument("--list", action="store_true", help="list the regimen templates and their sources")
    plan.add_argument("--regimen", metavar="ID")
    plan.add_argument("--start", metavar="YYYY-MM-DD")
    plan.add_argument("--loading-end", metavar="YYYY-MM-DD", help="end of an open-ended loading phase")
    plan.add_argument("--until", metavar="YYYY-MM-DD", help="last day of the plan (default: one year)")
    plan.add_argument("--every-days", type=float, help="custom regimen: loading every N days")
    plan.add_argument("--loading-doses", type=int, help="custom regimen: number of loading doses")
    plan.add_argument("--maintenance-months", type=int, help="custom regimen: maintenance every K months")
    plan.add_argument("-o", "--output", type=Path, metavar="OUT.(csv|ics|html)")
    return parser


def _workspace(paths: Sequence[Path], date_order: str | None, kind: str) -> Workspace:
    """Read and import the named files as the app does, but strictly: a file that cannot be used,
    or holds no table of ``kind`` (a workbook's other sheets are only named), stops the command."""
    files = []
    for path in paths:
        try:
            files.append((path.name, path.read_bytes()))
        except OSError as err:
            raise InputError(f"{path}: cannot be read ({err.strerror or err})") from err
    ws = build_workspace(files, Choices(date_order=date_order))
    if ws.errors:
        raise InputError(ws.errors[0])
    wanted = {_file_of(f) for f in ws.files if f.kind in (kind, "dictionary")}
    for report in ws.files:
        if report.kind not in (kind, "dictionary") and _file_of(report) not in wanted:
            raise InputError(f"{report.name} looks like {KIND_LABELS[report.kind]}, not {KIND_LABELS[kind]}")
    if (ws.labs if kind == "labs" else ws.doses) is None:
        raise InputError(f"none of the files holds {KIND_LABELS[kind]}")
    return ws


def _file_of(report: FileReport) -> str:
    """The file a table came from: a workbook's sheets are named ``file [sheet]``."""
    sheet = report.raw.sheet if report.raw is not None else None
    return report.name.removesuffix(f" [{sheet}]") if sheet else report.name


def _not_read(ws: Workspace, kind: str) -> str:
    others = [f.name for f in ws.files if f.kind not in (kind, "dictionary")]
    return f"; sheets not read as {KIND_LABELS[kind]}: {', '.join(others)}" if others else ""


def _order(args: argparse.Namespace) -> str | None:
    return None if args.date_order == "auto" else args.date_order


def _write(path: Path, write: Callable[[Path], None]) -> None:
    try:
        write(path)
    except OSError as err:
        raise InputError(f"cannot write {path}: {err.strerror or err}") from err


FREE_TEXT_COLUMNS = ("reported_value", "reported_unit", "reported_name", "reported_flag", "notes", "reason", "raw")


def write_table(frame: pd.DataFrame, path: Path) -> None:
    """Write a table as Parquet or CSV, chosen by the file extension.

    Parquet keeps min/max statistics for the columns a reader filters on (patient, time, analyte,
    value, ...), not for free text as written in the file: on a million-row wide export those cost
    a fifth of the write and no query uses them.
    """
    suffix = path.suffix.lower()
    if suffix == ".parquet":
        stats = [c for c in frame.columns if c not in FREE_TEXT_COLUMNS]
        _write(path, lambda p: frame.to_parquet(p, index=False, write_statistics=stats))
    elif suffix == ".csv":  # cells a spreadsheet would run as formulas are neutralised
        _write(path, lambda p: safe_frame(frame).to_csv(p, index=False))
    else:
        raise InputError(f"{path}: output must end in .parquet or .csv")


def _check_suffix(path: Path, allowed: tuple[str, ...]) -> None:
    if path.suffix.lower() not in allowed:
        raise InputError(f"{path}: output must end in {' or '.join(allowed)}")


def _write_import(args: argparse.Namespace, table: pd.DataFrame, rejections: pd.DataFrame) -> None:
    write_table(table, args.output)
    if args.rejected:
        write_table(rejections, args.rejected)


def run_labs(args: argparse.Namespace) -> str:
    _check_suffix(args.output, (".parquet", ".csv"))
    ws = _workspace(args.files, _order(args), "labs")
    result = ws.labs
    _write_import(args, result.labs, result.rejections)
    line = result.summary()
    if len(result.unknown_names):
        line += f"; unknown tests: {top_names(result.unknown_names, 5)}"
    return line + _not_read(ws, "labs")


def run_doses(args: argparse.Namespace) -> str:
    _check_suffix(args.output, (".parquet", ".csv"))
    ws = _workspace(args.files, _order(args), "doses")
    result = ws.doses
    _write_import(args, result.doses, result.rejections)
    line = result.summary()
    ignored = result.ignored_names
    return line + (f"; not counted as B12 doses: {top_names(ignored, 3)}" if len(ignored) else "")


def run_phases(args: argparse.Namespace) -> str:
    _check_suffix(args.output, (".csv",))
    result = _workspace(args.files, _order(args), "doses").doses
    phases = detect_phases(result.doses).phases
    columns = ["phase", "start", "end", "doses"]
    if phases["patient_id"].nunique() > 1:
        columns.insert(0, "patient_id")  # several patients: say whose phase each row is
    out = phases[columns].assign(start=phases["start"].dt.strftime("%Y-%m-%d"),
                                 end=phases["end"].dt.strftime("%Y-%m-%d"))
    write_table(out, args.output)
    return f"{result.summary()}; {counted(len(phases), 'phase')}"


def run_plan(args: argparse.Namespace) -> str:
    if args.list:
        for regimen in regimens().values():
            print(f"{regimen.id}\t{regimen.label}\t{regimen.cite}")
        return f"{len(regimens())} regimens"
    if not args.regimen or not args.start or not args.output:
        raise InputError("plan needs --regimen ID, --start YYYY-MM-DD and -o OUT.(csv|ics|html), or --list")
    _check_suffix(args.output, (".csv", ".ics", ".html"))
    if args.regimen == "custom":
        if None in (args.every_days, args.loading_doses, args.maintenance_months):
            raise InputError("the custom regimen needs --every-days, --loading-doses and --maintenance-months")
        regimen = custom_regimen(args.every_days, args.loading_doses, args.maintenance_months)
    else:
        regimen = get_regimen(args.regimen)
    plan = build_plan(regimen, args.start, loading_end=args.loading_end, until=args.until)
    suffix = args.output.suffix.lower()
    if suffix == ".csv":
        _write(args.output, lambda p: p.write_bytes(plan_to_csv(plan)))
    elif suffix == ".ics":
        _write(args.output, lambda p: p.write_bytes(plan_to_ics(plan, regimen.label)))
    else:
        _write(args.output, lambda p: p.write_text(plan_to_html(plan, regimen.label), encoding="utf-8"))
    doses = int((plan["kind"] == "dose").sum())
    checks = counted(len(plan) - doses, "blood test or review", "blood tests or reviews")
    return f"{regimen.id}: {counted(doses, 'dose')} and {checks} planned"


# glibc's mallopt parameters (malloc.h) and the values a batch run uses.
_M_TRIM_THRESHOLD, _M_TOP_PAD, _M_MMAP_THRESHOLD = -1, -2, -3
_BATCH_MALLOC = ((_M_MMAP_THRESHOLD, 32 << 20), (_M_TRIM_THRESHOLD, 1 << 30), (_M_TOP_PAD, 256 << 20))


def tune_memory_for_batch() -> None:
    """Memory settings for the short-lived command-line process (never the app server, which stays
    small between requests); each does nothing where it is not available.

    An import of a large file makes and drops many arrays of tens of megabytes. By default glibc
    maps each from the system and unmaps it when freed, so every new array pays its page faults
    again: keeping freed memory for reuse (up to 1 GB above the heap, arrays up to 32 MB from the
    heap) avoids that. NumPy asks for huge pages for large arrays; on a machine whose memory is
    fragmented by earlier jobs, each first touch then stalls while the kernel compacts memory.
    On the 1M-row wide benchmark file, run after other jobs, the two took ``labs`` from about 6.3 s
    to about 5 s for 2% more peak memory (see ``benchmarks/``). Arrow's own default allocator,
    mimalloc, gives freed memory back to the system at once here as well; jemalloc (in the pyarrow
    wheels; glibc's allocator where it is missing) keeps it for reuse: 5.2 s -> 4.0 s on the same
    file, 1.7 s -> 1.55 s on the 1M-row long one, with the same peak memory.
    """
    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):
        pass
    else:
        for parameter, value in _BATCH_MALLOC:
            mallopt(parameter, value)
    try:
        pa.set_memory_pool(pa.jemalloc_memory_pool())
    except NotImplementedError:  # a pyarrow built without jemalloc
        pa.set_memory_pool(pa.system_memory_pool())
    huge_pages = getattr(getattr(np, "_core", None), "multiarray", None)
    if hasattr(huge_pages, "_set_madvise_hugepage"):  # NumPy's switch, also read from NUMPY_MADVISE_HUGEPAGE
        huge_pages._set_madvise_hugepage(False)


COMMANDS = {"labs": run_labs, "doses": run_doses, "phases": run_phases, "plan": run_plan}


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; returns the exit code."""
    try:
        args = build_parser().parse_args(argv)
        line = COMMANDS[args.command](args)
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
