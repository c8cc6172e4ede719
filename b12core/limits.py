"""Size limits: a file that would exhaust memory or time is refused with a message, not half-read.

The upload size is limited in ``.streamlit/config.toml`` (``server.maxUploadSize``); the app also
limits how many files and rows it reads. The command line reads text files of any length (batch
jobs), but no reader accepts a header wider than ``MAX_COLUMNS``: no lab export is that wide.

Workbooks (``.xlsx``, ``.ods``: zip files of XML) are checked before any reader expands them
(``b12core.workbook_check``), for the app and the command line alike, and are read in a worker
process of their own with a memory and time limit (``b12core.workbook_worker``).
"""

from __future__ import annotations

from dataclasses import dataclass

MAX_COLUMNS = 1_000
APP_MAX_FILES = 30
APP_MAX_ROWS = 500_000

MB = 2**20

# Excel's own limits (Microsoft, "Excel specifications and limits"): a sheet has at most
# 1,048,576 rows and a cell holds at most 32,767 characters. A file beyond them was not written
# by a spreadsheet program.
SHEET_MAX_ROWS = 1_048_576
CELL_MAX_CHARS = 32_767


@dataclass(frozen=True)
class WorkbookLimits:
    """What one workbook may hold before any reader expands it (see ``b12core.workbook_check``)."""

    max_rows: int = SHEET_MAX_ROWS  # per sheet; the app passes APP_MAX_ROWS
    max_columns: int = MAX_COLUMNS  # per sheet: a sheet's extent, not only its header
    max_cells: int = 5_000_000  # rows x columns of a sheet's extent (dense readers allocate all)
    max_cell_chars: int = CELL_MAX_CHARS
    max_inflated: int = 200 * MB  # every part of the zip, unpacked, together
    max_ratio: int = 100  # unpacked / packed size of any part over ``ratio_floor``
    ratio_floor: int = MB  # small parts (styles, a short sheet) may compress better
    max_parts: int = 10_000
    max_shared_strings: int = 50 * MB  # the workbook's table of texts, unpacked
    max_text: int = 200 * MB  # characters in all cells once shared texts are filled in (worker)


@dataclass(frozen=True)
class WorkerLimits:
    """The process one workbook is read in (``b12core.workbook_worker``)."""

    memory: int = 2 * 2**30  # bytes of address space
    seconds: float = 60.0
    at_once: int = 2  # workbooks read at the same time by one server; the rest wait their turn


def too_many_rows(name: str, max_rows: int) -> str:
    """The refusal of a table longer than ``max_rows`` (one sentence)."""
    return (f"{name} has more than {max_rows:,} rows, the most the app reads from one file; "
            "export a shorter period or one patient, or use the command line")


def too_many_columns(name: str, columns: int, max_columns: int = MAX_COLUMNS, at_least: bool = False) -> str:
    """The refusal of a table wider than ``max_columns`` (one sentence); ``at_least`` when the
    reader stopped counting at the first column over the limit."""
    return (f"{name} has {'at least ' if at_least else ''}{columns:,} columns; a lab export has far fewer "
            f"(at most {max_columns:,} are read)")


WORKBOOK = WorkbookLimits()  # the command line's; the app's differ in max_rows
WORKER = WorkerLimits()
