"""The cells of a workbook's sheets as text, read by calamine (run in a worker process).

Every cell becomes the text a person would type for it: numbers as a spreadsheet shows them (15
significant digits, without a trailing ``.0``), dates as ISO dates, booleans as TRUE/FALSE. Blank
rows are left out. This module imports neither pandas nor the importers, so the worker process that
runs it starts quickly.
"""

from __future__ import annotations

import datetime as dt
import io

from b12core.errors import InputError
from b12core.limits import MB

SPREADSHEET_DIGITS = 15  # significant digits a spreadsheet shows of a number (Excel keeps and shows 15)


def cell_text(value: object) -> str:
    """One cell's value as text (see the module docstring)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 10.0 ** SPREADSHEET_DIGITS:
            return str(int(value))
        return f"{value:.{SPREADSHEET_DIGITS}g}"  # a formula's 0.1+0.7 is 0.8, not 0.7999999999999999
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%d") if value.time() == dt.time() else value.isoformat(sep=" ")
    if isinstance(value, (dt.date, dt.time)):
        return value.isoformat()
    return str(value)


def _fill_merged_down(cells: list[list[object]], ranges: list[tuple[tuple[int, int], tuple[int, int]]]) -> None:
    """Give every row of a cell merged down one column (a patient id spanning that patient's
    rows) the merged cell's value, which the file stores in its top cell only. Cells merged across
    columns (a title) are left as they are: one cell of its line."""
    for (top, column), (bottom, right) in ranges:
        if right != column or bottom <= top or top >= len(cells):
            continue
        value = cells[top][column] if column < len(cells[top]) else ""
        for row in cells[top + 1:bottom + 1]:
            if column < len(row):
                row[column] = value


def sheet_cells(data: bytes, filename: str, max_text: int | None = None) -> list[tuple[str, list[list[str]]]]:
    """(sheet name, rows of text cells) for each sheet with a filled cell, rows of equal width.

    ``max_text`` bounds the characters of all cells together: a shared text is copied into every
    cell that shows it, so a small workbook can hold gigabytes of it; counting stops at the limit."""
    from python_calamine import CalamineWorkbook

    try:
        book = CalamineWorkbook.from_filelike(io.BytesIO(data))
    except Exception as err:  # calamine raises several types for corrupt files
        raise InputError(f"{filename} could not be opened as a spreadsheet ({type(err).__name__})") from err
    sheets, text = [], 0
    for sheet_name in book.sheet_names:
        try:
            sheet = book.get_sheet_by_name(sheet_name)
            cells = sheet.to_python(skip_empty_area=False)
            _fill_merged_down(cells, sheet.merged_cell_ranges or [])
        except Exception as err:
            raise InputError(f"{filename}: sheet {sheet_name!r} could not be read") from err
        rows = []
        for values in cells:
            row = [cell_text(v) for v in values]
            text += sum(map(len, row))
            if max_text is not None and text > max_text:
                raise InputError(f"{filename} holds more than {max_text / MB:g} MB of text in its cells once its "
                                 "shared texts are filled in, the most the app reads")
            if any(c.strip() for c in row):
                rows.append(row)
        del cells
        if rows:
            sheets.append((sheet_name, rows))
    return sheets
