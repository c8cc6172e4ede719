"""Hostile workbooks are refused before a reader expands them, and a reader that still dies takes
only its own worker process with it.

The files are made at test time (``tests/workbook_bombs.py``); each once made the server ask for
gigabytes or abort. Here they go through the app's reader and through the command line.
"""

from __future__ import annotations

import contextlib
import os
import re
import subprocess
import threading
import time
from pathlib import Path

import pytest

from b12core.errors import InputError
from b12core.limits import APP_MAX_ROWS, MB, WorkbookLimits, WorkerLimits
from b12core.read import read_tables
from b12core.workbook_check import check_workbook
from b12core.workbook_worker import read_workbook
from tests import workbook_bombs as bombs
from tests.test_cli import run as run_cli

# What each refusal must name: the limit the file went over, in words a clinician can act on.
BOMBS = {
    "sparse_extent": (bombs.sparse_extent, r"16,384 columns.*at most 1,000"),
    "declared_extent": (bombs.declared_extent, r"declares a sheet of 1,048,576 rows by 16,384 columns, more than "
                                               r"the 5,000,000 cells"),
    "sparse_rows": (bombs.sparse_rows, r"1,000,000 rows by 10 columns.*more than the 5,000,000 cells"),
    "shared_string_bomb": (bombs.shared_string_bomb, r"compressed more than 100 to 1"),
    "ratio_bomb": (bombs.ratio_bomb, r"compressed more than 100 to 1"),
}


@pytest.fixture(scope="module")
def dense_rows() -> bytes:
    return bombs.dense_rows()


@pytest.mark.parametrize("kind", BOMBS)
def test_app_reader_refuses_each_bomb_with_one_sentence_naming_the_limit(kind):
    make, words = BOMBS[kind]
    with pytest.raises(InputError, match=words) as refused:
        read_tables(make(), "results.xlsx", max_rows=APP_MAX_ROWS)
    message = str(refused.value)
    assert message.startswith("results.xlsx ") and "\n" not in message
    assert message.count(". ") == 0, message  # one sentence


def test_app_reader_refuses_many_rows_while_counting_them(dense_rows):
    with pytest.raises(InputError, match=r"more than 500,000 rows, the most the app reads"):
        read_tables(dense_rows, "results.xlsx", max_rows=APP_MAX_ROWS)


def test_command_line_refuses_many_cells(dense_rows):
    with pytest.raises(InputError, match=r"at least [0-9,]+ rows by 9 columns, more than the 5,000,000 cells "
                                         r"the app reads from one sheet; save it as CSV to read it$"):
        read_tables(dense_rows, "results.xlsx")


def _cli(tmp_path: Path, name: str, data: bytes) -> subprocess.CompletedProcess[str]:
    path = tmp_path / name
    path.write_bytes(data)
    return run_cli("labs", str(path), "-o", str(tmp_path / "out.csv"))


@pytest.mark.parametrize("kind", [*BOMBS, "dense_rows"])
def test_command_line_refuses_each_bomb_with_exit_2_and_no_panic(tmp_path, kind, request):
    data = request.getfixturevalue("dense_rows") if kind == "dense_rows" else BOMBS[kind][0]()
    done = _cli(tmp_path, "results.xlsx", data)
    assert done.returncode == 2, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "results.xlsx" in lines[0], done.stderr
    assert "panic" not in done.stderr.lower() and "Traceback" not in done.stderr
    assert not (tmp_path / "out.csv").exists()


def test_an_ordinary_workbook_is_still_read_through_the_worker():
    [table] = read_tables(bombs.ordinary(), "results.xlsx", max_rows=APP_MAX_ROWS)
    assert table.table.to_dict("list") == {"Test": ["Hemoglobin", "Hemoglobin"], "Result": ["13.1", "12.4"]}


# --- each check on its own, with limits small enough to reach with a small file -------------------

def _refusal(data: bytes, **limits) -> str:
    with pytest.raises(InputError) as refused:
        check_workbook(data, "book.xlsx", WorkbookLimits(**limits))
    return str(refused.value)


def test_unpacked_size_is_limited():
    data = bombs.xlsx_parts(bombs.row(1, bombs.number_cell("A1", 1)), [os.urandom(600_000).hex().encode()])
    assert "unpacks to 1.1 MB, more than the 1 MB" in _refusal(data, max_inflated=MB)


def test_shared_strings_size_is_limited():
    strings = [os.urandom(3000).hex().encode() for _ in range(200)]  # 1.2 MB of text that does not pack
    data = bombs.xlsx_parts(bombs.row(1, bombs.text_cell("A1", 0)), strings)
    assert "1.1 MB of text in its table of shared strings, more than the 1 MB" in _refusal(
        data, max_shared_strings=MB)


def test_a_cell_longer_than_a_spreadsheet_allows_is_refused():
    data = bombs.xlsx_parts(bombs.row(1, bombs.text_cell("A1", 0)), [os.urandom(20_000).hex().encode()])
    assert "a cell of more than 32,767 characters" in _refusal(data)


def test_the_declared_extent_is_checked_in_cells_before_the_cells():
    data = bombs.xlsx_parts(bombs.row(1, bombs.number_cell("A1", 1)), dimension="A1:B900")
    assert "declares a sheet of 900 rows by 2 columns, more than the 1,000 cells" in _refusal(data, max_cells=1000)


def test_a_header_row_formatted_to_the_last_column_is_read():
    """Formatting a whole header row makes a real export declare column XFD; its cells decide."""
    shared = [b"Test", b"Result", b"Hemoglobin"]
    data = bombs.xlsx_parts(bombs.row(1, bombs.text_cell("A1", 0), bombs.text_cell("B1", 1))
                            + bombs.row(2, bombs.text_cell("A2", 2), bombs.number_cell("B2", 12.9)),
                            shared, dimension="A1:XFD2")
    [table] = read_tables(data, "results.xlsx", max_rows=APP_MAX_ROWS)
    assert table.table.to_dict("list") == {"Test": ["Hemoglobin"], "Result": ["12.9"]}


def test_cells_without_positions_are_counted_in_order():
    cells = b"".join(b"<row>" + b"<c><v>1</v></c>" * 3 + b"</row>" for _ in range(150))
    assert "more than 100 rows" in _refusal(bombs.xlsx_parts(cells), max_rows=100)
    wide = b"<row>" + b"<c><v>1</v></c>" * 1200 + b"</row>"
    assert "has at least 1,001 columns" in _refusal(bombs.xlsx_parts(wide))


def test_cells_out_of_order_are_caught():
    cells = bombs.row(1, bombs.number_cell("ZZ1", 1), bombs.number_cell("A1", 2))
    assert "702 columns" in _refusal(bombs.xlsx_parts(cells), max_columns=700)


def test_too_many_parts_are_refused():
    import io
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as book:
        for i in range(30):
            book.writestr(f"part{i}.xml", "<a/>")
    assert "30 parts" in _refusal(buffer.getvalue(), max_parts=20)


def test_a_document_type_declaration_is_refused():
    sheet = b'<!DOCTYPE x [<!ENTITY a "aaaaaaaaaa">]>' + bombs.row(1, bombs.number_cell("A1", 1))
    assert "document type declaration" in _refusal(bombs.xlsx_parts(sheet))
    later = b"<!--" + os.urandom(3 * 2**20).hex().encode() + b"-->" + sheet  # past the first chunk
    assert "document type declaration" in _refusal(bombs.xlsx_parts(later))


# --- the worker process ----------------------------------------------------------------------------

def test_a_reader_that_dies_ends_only_its_own_file():
    """With every check switched off, the dense reader asks for 17 billion cells: it is the worker
    that dies (abort or out of memory), and this process gets a message."""
    off = WorkbookLimits(max_rows=2**31, max_columns=2**31, max_cells=2**62)
    started = time.monotonic()
    with pytest.raises(InputError, match=r"results.xlsx could not be read: the spreadsheet reader stopped"):
        read_workbook(bombs.sparse_extent(), "results.xlsx", off)
    assert time.monotonic() - started < 60
    [table] = read_tables(bombs.ordinary(), "results.xlsx")  # and the next file is read as usual
    assert table.rows == 2


def test_a_workbook_within_every_measure_that_still_exhausts_the_reader_ends_only_itself(tmp_path):
    data = bombs.amplified_shared_string()
    check_workbook(data, "results.xlsx", WorkbookLimits(max_rows=APP_MAX_ROWS))  # passes every measure
    with pytest.raises(InputError, match=r"^results.xlsx could not be read: the spreadsheet reader stopped"):
        read_tables(data, "results.xlsx", max_rows=APP_MAX_ROWS)
    done = _cli(tmp_path, "results.xlsx", data)
    assert done.returncode == 2 and "the spreadsheet reader stopped" in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1 and "panic" not in done.stderr.lower()


def test_a_reader_over_its_time_is_stopped():
    with pytest.raises(InputError, match=r"results.xlsx could not be read within 0.01 seconds"):
        read_workbook(bombs.ordinary(), "results.xlsx", worker=WorkerLimits(seconds=0.01))


def _workers(limits_seen: list[str] | None = None) -> int:
    """Worker processes this test process has running now (read from /proc, not from our code);
    their ``/proc/<pid>/limits`` texts are added to ``limits_seen``."""
    count = 0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            cmdline = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        parent = int(stat.rsplit(")", 1)[1].split()[1])
        if parent == os.getpid() and b"b12core.workbook_worker" in cmdline:
            count += 1
            if limits_seen is not None:
                with contextlib.suppress(OSError):
                    limits_seen.append((entry / "limits").read_text())
    return count


def test_at_most_two_workbooks_are_read_at_once_and_the_rest_wait():
    data = bombs.xlsx_parts(b"".join(bombs.row(r, *(bombs.number_cell(f"{c}{r}", r) for c in "ABCDEFGH"))
                                     for r in range(1, 40_001)))
    results: list[int] = []
    threads = [threading.Thread(target=lambda: results.append(read_workbook(data, "book.xlsx")[0][1].__len__()))
               for _ in range(5)]
    seen, limits = 0, []
    for thread in threads:
        thread.start()
    while any(t.is_alive() for t in threads):
        seen = max(seen, _workers(limits))
        time.sleep(0.005)
    assert results == [40_000] * 5
    assert seen == 2
    # Once a worker has set its limits: 2 GB of address space, no core file, no file written. The
    # worker sets them one after another, the file size last: a look in between sees only some.
    limited = [text for text in limits if re.search(r"Max file size\s+0\s+0", text)]
    assert limited, "no worker was seen with its limits set"
    for text in limited:
        assert re.search(r"Max address space\s+2147483648", text) and re.search(r"Max core file size\s+0\s+0", text)


def test_opendocument_sheets_are_measured_with_their_repeats():
    [table] = read_tables(bombs.ods_ordinary(), "results.ods", max_rows=APP_MAX_ROWS)
    assert table.table.to_dict("list") == {"Test": ["Hemoglobin"], "Result": ["13.1"]}
    with pytest.raises(InputError, match=r"results.ods has at least 16,000 columns"):
        read_tables(bombs.ods_repeated(), "results.ods", max_rows=APP_MAX_ROWS)


def _with_sheets(data: bytes, *sheets: bytes) -> bytes:
    """``data`` with more sheet parts added to its zip."""
    import io
    import zipfile

    buffer = io.BytesIO(data)
    with zipfile.ZipFile(buffer, "a", zipfile.ZIP_DEFLATED) as book:
        for number, sheet in enumerate(sheets, start=2):
            book.writestr(f"xl/worksheets/sheet{number}.xml",
                          b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
                          + sheet + b"</sheetData></worksheet>")
    return buffer.getvalue()


def test_sheets_are_limited_together_as_well_as_one_by_one():
    sparse = bombs.row(1, bombs.number_cell("A1", 1)) + bombs.row(200_000, bombs.number_cell("J200000", 1))
    data = _with_sheets(bombs.xlsx_parts(sparse), sparse, sparse)  # three sheets of 2,000,000 cells
    assert "its sheets together span more than the 5,000,000 cells" in _refusal(data)


def test_text_filled_in_from_shared_strings_is_limited_in_the_worker():
    """Each shared string within its limit, but shown in many cells: the worker stops counting the
    text at the limit, so neither it nor the app holds the whole of it."""
    cells = b"".join(bombs.row(r, bombs.text_cell(f"A{r}", 0)) for r in range(1, 2_001))
    data = bombs.xlsx_parts(cells, [b"x" * 30_000])
    with pytest.raises(InputError, match=r"^book.xlsx holds more than 10 MB of text in its cells once its "
                                         r"shared texts are filled in, the most the app reads"):
        read_workbook(data, "book.xlsx", WorkbookLimits(max_text=10 * MB))
