"""The floor under any import that follows design.md: what it must do besides normalising.

design.md makes every step a function taking and returning pandas objects, so ``b12core labs``
must import pandas, read the file, hold the whole canonical ``labs`` table as a pandas DataFrame
and write it. This process does exactly that and nothing else: it reads the CSV with pyarrow,
then gets the ``labs`` table the cheapest way there is, by loading b12core's finished output for
the same file, and writes it to Parquet with the CLI's own ``write_table``. No test name is looked up, no value or
date parsed. It imports b12core and chooses Arrow's allocator as ``python -m b12core`` does
(``use_batch_memory_pool``), so the two differ only in the work between reading and writing.
An import that follows the design cannot be faster or smaller than this; the difference between
it and ``b12core labs`` is the cost of the normalisation itself.

Run from the repository: ``.venv/bin/python -m benchmarks.design_floor FILE.csv B12CORE_OUTPUT.parquet -o OUT.parquet``
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

START = time.perf_counter()

import pandas as pd  # noqa: E402  (importing is part of what is measured)
import pyarrow.csv as pacsv  # noqa: E402

from b12core.cli import use_batch_memory_pool, write_table  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("file", help="the lab export (CSV)")
    parser.add_argument("labs", help="b12core's labs output for that file (Parquet)")
    parser.add_argument("-o", "--output", required=True, metavar="OUT.parquet")
    args = parser.parse_args()
    use_batch_memory_pool()
    imported = time.perf_counter()
    rows = pacsv.read_csv(args.file).num_rows
    read = time.perf_counter()
    labs = pd.read_parquet(args.labs)
    held = time.perf_counter()
    write_table(labs, Path(args.output))
    written = time.perf_counter()
    print(f"floor: read {rows} rows, held {len(labs)} labs rows; seconds: imports {imported - START:.2f}, "
          f"read {read - imported:.2f}, labs table {held - read:.2f}, write {written - held:.2f}")


if __name__ == "__main__":
    main()
