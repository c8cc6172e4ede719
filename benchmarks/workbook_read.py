"""What reading a workbook safely costs: the app's reader against calamine alone, in one run.

The app measures each workbook before reading it (``b12core.workbook_check``) and reads it in a
worker process of its own (``b12core.workbook_worker``). The peer is the reading the app did
before: calamine in this process, the same cells as text and the same tables, without measuring. Both are given the same
lab-export-shaped workbooks (a header and 12 columns per row) of 1,000 to 100,000 rows.

Prints, per size: the app's time, the peer's, their ratio, and the share of the app's time spent
measuring and in process start-up. Medians of 3. Run: .venv/bin/python benchmarks/workbook_read.py
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from b12core.read import read_tables, workbook_tables  # noqa: E402
from b12core.workbook_cells import sheet_cells  # noqa: E402
from b12core.workbook_check import check_workbook  # noqa: E402
from tests.workbook_bombs import number_cell, row, text_cell, xlsx_parts  # noqa: E402

REPEATS = 3
HEADER = [b"Patient ID", b"Collected", b"Test", b"Result", b"Units", b"Range", b"Flag",
          b"Hemoglobin", b"g/L", b"N", b"Comment", b"Lab", b"Order"]


def lab_workbook(rows: int) -> bytes:
    """A lab export of ``rows`` results: texts as shared strings, numbers as numbers."""
    columns = "ABCDEFGHIJKL"
    body = [row(1, *(text_cell(f"{c}1", i) for i, c in enumerate(columns)))]
    for r in range(2, rows + 2):
        body.append(row(r, text_cell(f"A{r}", 0), number_cell(f"B{r}", 45000 + r % 900),
                        text_cell(f"C{r}", 7), number_cell(f"D{r}", 100 + r % 60), text_cell(f"E{r}", 8),
                        text_cell(f"F{r}", 5), text_cell(f"G{r}", 9), text_cell(f"H{r}", 10),
                        text_cell(f"I{r}", 11), number_cell(f"J{r}", r), number_cell(f"K{r}", r % 7),
                        text_cell(f"L{r}", 12)))
    return xlsx_parts(b"".join(body), HEADER)


def median_time(action) -> float:
    times = []
    for _ in range(REPEATS):
        start = time.perf_counter()
        action()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    start_up = median_time(lambda: subprocess.run(
        [sys.executable, "-c", "import b12core.workbook_worker, b12core.workbook_check, b12core.workbook_cells, "
         "python_calamine"], cwd=REPO, check=True))
    print(f"worker process start-up: {start_up:.2f} s")
    print(f"{'rows':>8} {'app s':>7} {'peer s':>7} {'ratio':>6} {'measuring':>10} {'start-up':>9}")
    for rows in (1_000, 10_000, 100_000):
        data = lab_workbook(rows)
        app = median_time(lambda: read_tables(data, "labs.xlsx", max_rows=500_000))  # noqa: B023
        peer = median_time(lambda: workbook_tables(sheet_cells(data, "labs.xlsx"), "labs.xlsx"))  # noqa: B023
        measuring = median_time(lambda: check_workbook(data, "labs.xlsx"))  # noqa: B023
        print(f"{rows:>8,} {app:>7.2f} {peer:>7.2f} {app / peer:>5.1f}x {measuring / app:>9.0%} {start_up / app:>8.0%}")


if __name__ == "__main__":
    main()
