"""The peer to beat: DuckDB normalising a lab export to the ``labs`` table, in SQL.

The SQL is in ``duckdb_normalize.sql`` (sections run in order); this script only fills in the
paths, the date format and the column names of the file's shape, runs it in one in-process
DuckDB, and prints one summary line. It reads the reference tables from ``b12core/reference/``
at run time but imports nothing from b12core. Unlike b12core it is told each shape's column names
and date format (benchmarks/generate.py's four shapes, known by their first header); it does not
check plausibility or drop duplicates.

Run: ``.venv/bin/python benchmarks/duckdb_peer.py FILE -o OUT.parquet [--layout auto|long|wide|real_long|real_wide]``
"""

from __future__ import annotations

import argparse
import re
from dataclasses import dataclass
from pathlib import Path

import duckdb

HERE = Path(__file__).resolve().parent
SQL_FILE = HERE / "duckdb_normalize.sql"
REFERENCE = HERE.parent / "b12core" / "reference"


@dataclass(frozen=True)
class Shape:
    """What the peer is told about a file: its reader, date format and column names."""

    reader: str  # "long" or "wide": the SQL section `<reader>_reader`
    date_format: str
    columns: dict[str, str]  # SQL placeholder -> column name


LONG_COLUMNS = ("@patient@", "@collected@", "@test@", "@result@", "@units@", "@ref_range@", "@flag@")
SHAPES = {  # first header -> (shape name, shape)
    "Patient ID": ("long", Shape("long", "%m/%d/%Y %I:%M %p", dict(zip(LONG_COLUMNS, (
        "Patient ID", "Collection Date", "Test Name", "Result", "Units", "Reference Range", "Flag"), strict=True)))),
    "NHS Number": ("wide", Shape("wide", "%d/%m/%Y", {"@patient@": "NHS Number", "@collected@": "Specimen Date"})),
    "MRN": ("real_long", Shape("long", "%m/%d/%Y %H:%M", dict(zip(LONG_COLUMNS, (
        "MRN", "Collected", "Component", "Result", "Units", "Reference Range", "Abnormal Flag"), strict=True)))),
    "Hospital Number": ("real_wide", Shape("wide", "%d/%m/%Y %H:%M", {
        "@patient@": "Hospital Number", "@collected@": "Specimen Date/Time"})),
}
BY_NAME = dict(SHAPES.values())


def sections(text: str) -> dict[str, str]:
    """The SQL file's ``-- @section NAME`` parts by name."""
    parts = re.split(r"^-- @section (\w+)\s*$", text, flags=re.MULTILINE)
    return {name: body for name, body in zip(parts[1::2], parts[2::2], strict=True)}


def literal(text: str) -> str:
    """A SQL string literal."""
    return "'" + text.replace("'", "''") + "'"


def identifier(name: str) -> str:
    """A quoted SQL identifier."""
    return '"' + name.replace('"', '""') + '"'


def detect_layout(path: Path) -> str:
    """The shape's name, from the file's first header."""
    with open(path, encoding="utf-8-sig") as fh:
        first = fh.readline().split(",", 1)[0].strip()
    if first not in SHAPES:
        raise SystemExit(f"{path}: first header {first!r} is not one of the benchmark's shapes ({', '.join(SHAPES)})")
    return SHAPES[first][0]


def main() -> None:
    parser = argparse.ArgumentParser(description="Normalise a lab export with DuckDB (benchmark peer).")
    parser.add_argument("file", type=Path)
    parser.add_argument("-o", "--output", type=Path, required=True, metavar="OUT.parquet")
    parser.add_argument("--layout", choices=("auto", *BY_NAME), default="auto")
    args = parser.parse_args()
    shape = BY_NAME[detect_layout(args.file) if args.layout == "auto" else args.layout]
    values = {"@reference@": str(REFERENCE), "@input@": str(args.file), "@output@": str(args.output),
              "@source_file@": args.file.name, "@date_format@": shape.date_format}
    fills = {key: literal(value) for key, value in values.items()}
    fills.update({key: identifier(column) for key, column in shape.columns.items()})
    sql = sections(SQL_FILE.read_text(encoding="utf-8"))
    con = duckdb.connect()
    for name in ("reference", f"{shape.reader}_reader", "normalize", "write", "counts"):
        statement = sql[name]
        for key, value in fills.items():
            statement = statement.replace(key, value)
        con.execute(statement)
        if name == "write":
            (accepted,) = con.fetchone()
    rows, results, ignored = con.fetchone()
    rejected = results - accepted - ignored
    print(f"duckdb {duckdb.__version__}: read {rows} rows ({results} results), accepted {accepted}, "
          f"ignored {ignored}, rejected {rejected} -> {args.output}")


if __name__ == "__main__":
    main()
