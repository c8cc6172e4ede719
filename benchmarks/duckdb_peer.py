"""The peer to beat: DuckDB normalising a lab export to the ``labs`` table, in SQL.

The SQL is in ``duckdb_normalize.sql`` (sections run in order); this script only fills in the
paths and the date format, runs it in one in-process DuckDB, and prints one summary line.
It reads the reference tables from ``b12core/reference/`` at run time but imports nothing from
b12core. Unlike b12core it is told the layout's column names and date format; it does not check
plausibility or drop duplicates.

Run: ``.venv/bin/python benchmarks/duckdb_peer.py FILE -o OUT.parquet [--layout auto|long|wide]``
"""

from __future__ import annotations

import argparse
import re
from pathlib import Path

import duckdb

HERE = Path(__file__).resolve().parent
SQL_FILE = HERE / "duckdb_normalize.sql"
REFERENCE = HERE.parent / "b12core" / "reference"
DATE_FORMATS = {"long": "%m/%d/%Y %I:%M %p", "wide": "%d/%m/%Y"}
LONG_FIRST_HEADER = "Patient ID"


def sections(text: str) -> dict[str, str]:
    """The SQL file's ``-- @section NAME`` parts by name."""
    parts = re.split(r"^-- @section (\w+)\s*$", text, flags=re.MULTILINE)
    return {name: body for name, body in zip(parts[1::2], parts[2::2], strict=True)}


def literal(text: str) -> str:
    """A SQL string literal."""
    return "'" + text.replace("'", "''") + "'"


def detect_layout(path: Path) -> str:
    with open(path, encoding="utf-8-sig") as fh:
        return "long" if fh.readline().startswith(LONG_FIRST_HEADER) else "wide"


def main() -> None:
    parser = argparse.ArgumentParser(description="Normalise a lab export with DuckDB (benchmark peer).")
    parser.add_argument("file", type=Path)
    parser.add_argument("-o", "--output", type=Path, required=True, metavar="OUT.parquet")
    parser.add_argument("--layout", choices=("auto", "long", "wide"), default="auto")
    args = parser.parse_args()
    layout = detect_layout(args.file) if args.layout == "auto" else args.layout
    values = {"@reference@": str(REFERENCE), "@input@": str(args.file), "@output@": str(args.output),
              "@source_file@": args.file.name, "@date_format@": DATE_FORMATS[layout]}
    sql = sections(SQL_FILE.read_text(encoding="utf-8"))
    con = duckdb.connect()
    for name in ("reference", f"{layout}_reader", "normalize", "write", "counts"):
        statement = sql[name]
        for key, value in values.items():
            statement = statement.replace(key, literal(value))
        con.execute(statement)
        if name == "write":
            (accepted,) = con.fetchone()
    rows, results, ignored = con.fetchone()
    rejected = results - accepted - ignored
    print(f"duckdb {duckdb.__version__}: read {rows} rows ({results} results), accepted {accepted}, "
          f"ignored {ignored}, rejected {rejected} -> {args.output}")


if __name__ == "__main__":
    main()
