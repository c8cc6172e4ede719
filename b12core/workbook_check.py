"""A workbook is measured before any reader expands it: a small file must not ask for gigabytes.

An ``.xlsx`` or ``.ods`` file is a zip of XML parts. Spreadsheet readers trust what the parts say:
a dense reader allocates every cell between A1 and the last one (a 1.9 KB file with a cell at
XFD1048576 asks for 17 billion), a shared string is copied into every cell that shows it, and a
part can unpack a thousandfold. ``check_workbook`` reads the zip's directory and then streams each
XML part once, without building anything, and refuses the file in one sentence naming the limit
(``b12core.limits.WorkbookLimits``) as soon as one is passed:

- the zip: number of parts, their unpacked size together, the packing ratio of each large part,
  the size of the shared-strings table;
- each sheet: its declared extent (``<dimension>``, in cells: readers reserve room for it), then
  its actual extent and cell count, cell by cell while streaming, in rows, columns and cells; and
  all sheets together, in cells;
- every shared string (copied into each cell that shows it): at most 32,767 characters, Excel's
  own limit; no document type declarations (entity expansion) in any part.

A legacy ``.xls`` file is not a zip and is not measured here, and the sheets of a binary ``.xlsb``
are not XML: only its zip is measured. Like every workbook they are read in a worker process with
a memory and time limit (``b12core.workbook_worker``).
"""

from __future__ import annotations

import io
import re
import zipfile
from xml.parsers import expat

from b12core.errors import InputError
from b12core.limits import MB, WORKBOOK, WorkbookLimits, too_many_columns, too_many_rows

_CHUNK = MB
# Every cell's opening tag, with its position when written first as writers do (``<c r="B7"``);
# a cell written any other way matches with empty groups.
_CELL = re.compile(rb'<(?:[A-Za-z_][\w.-]*:)?c(?:\s+r="([A-Z]{1,3})(\d{1,9})")?[\s/>]')
_UNPLACED = (b"", b"")
_DIMENSION = re.compile(rb'<(?:[A-Za-z_][\w.-]*:)?dimension\s+ref="(?:[A-Z]*\d*:)?([A-Z]{1,3})(\d{1,9})"')
_ODS = frozenset({"content.xml"})
_AS_CSV = "; save it as CSV to read it"  # text files are read without a cell limit


def check_workbook(data: bytes, filename: str, limits: WorkbookLimits = WORKBOOK) -> None:
    """Raise ``InputError`` (one sentence naming the limit) when the workbook in ``data`` holds
    more than ``limits`` allow; return quietly otherwise. Nothing is expanded into memory beyond
    one chunk of one part at a time."""
    if not data.startswith(b"PK"):
        return  # legacy .xls: no zip to measure (see the module docstring)
    try:
        book = zipfile.ZipFile(io.BytesIO(data))
        parts = book.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, EOFError) as err:
        raise InputError(f"{filename} could not be opened as a spreadsheet ({type(err).__name__})") from err
    with book:
        _check_directory(parts, filename, limits)
        cells = 0
        for part in parts:
            if part.filename.lower().endswith(".xml"):
                cells += _check_part(book, part, filename, limits)
                if cells > limits.max_cells:
                    raise InputError(f"{filename}: its sheets together span more than the {limits.max_cells:,} "
                                     f"cells the app reads from one workbook{_AS_CSV}")


def _size(count: int) -> str:
    return f"{count / MB:.1f} MB" if count < 10 * MB else f"{count / MB:,.0f} MB"


def _check_directory(parts: list[zipfile.ZipInfo], name: str, limits: WorkbookLimits) -> None:
    if len(parts) > limits.max_parts:
        raise InputError(f"{name} holds {len(parts):,} parts, more than the {limits.max_parts:,} "
                         "a spreadsheet the app reads may hold")
    unpacked = sum(p.file_size for p in parts)
    if unpacked > limits.max_inflated:
        raise InputError(f"{name} unpacks to {_size(unpacked)}, more than the {limits.max_inflated / MB:g} MB "
                         "the app unpacks from one spreadsheet")
    for part in parts:
        if part.file_size > limits.ratio_floor and part.file_size > limits.max_ratio * max(part.compress_size, 1):
            raise InputError(
                f"{name} is compressed more than {limits.max_ratio} to 1 (one part unpacks from "
                f"{part.compress_size / 1024:,.0f} KB to {_size(part.file_size)}), which a spreadsheet "
                "program never writes, so it was not opened")
        if part.filename.lower().endswith("sharedstrings.xml") and part.file_size > limits.max_shared_strings:
            raise InputError(f"{name} holds {_size(part.file_size)} of text in its table of shared strings, "
                             f"more than the {limits.max_shared_strings / MB:g} MB the app reads")


class _Extent:
    """The rows, columns and cells one sheet has reached so far, refused past the limits."""

    def __init__(self, name: str, limits: WorkbookLimits) -> None:
        self.name, self.limits = name, limits
        self.rows = self.columns = self.cells = 0

    def declare(self, rows: int, columns: int) -> None:
        """A sheet's own statement of its extent (``<dimension>``): readers reserve room for that
        many cells, so only their number is limited; the cells themselves decide rows and columns
        (a formatted header row can make a real export declare column XFD)."""
        if rows * columns > self.limits.max_cells:
            raise InputError(f"{self.name} declares a sheet of {rows:,} rows by {columns:,} columns, more than "
                             f"the {self.limits.max_cells:,} cells the app reads from one sheet")

    def reach(self, row: int, column: int, cells: int = 1) -> None:
        """Count ``cells`` more cells and extend the sheet to ``row`` and ``column`` (1-based)."""
        limits = self.limits
        self.rows, self.columns, self.cells = max(self.rows, row), max(self.columns, column), self.cells + cells
        if self.columns > limits.max_columns:
            raise InputError(too_many_columns(self.name, self.columns, limits.max_columns, at_least=True))
        if self.rows * self.columns > limits.max_cells or self.cells > limits.max_cells:
            raise InputError(
                f"{self.name} has a sheet of at least {self.rows:,} rows by {self.columns:,} columns, "
                f"more than the {limits.max_cells:,} cells the app reads from one sheet{_AS_CSV}")
        if self.rows > limits.max_rows:
            raise InputError(too_many_rows(self.name, limits.max_rows))


def column_number(letters: bytes | str) -> int:
    """``A`` -> 1, ``Z`` -> 26, ``AA`` -> 27, ``XFD`` -> 16,384."""
    number = 0
    for letter in letters if isinstance(letters, str) else letters.decode("ascii"):
        number = number * 26 + ord(letter) - 64
    return number


def _chunks(book: zipfile.ZipFile, part: zipfile.ZipInfo, name: str):
    try:
        with book.open(part) as stream:
            while chunk := stream.read(_CHUNK):
                yield chunk
    except (zipfile.BadZipFile, EOFError, OSError, ValueError) as err:  # bad CRC, truncated, bad method
        raise InputError(f"{name} could not be opened as a spreadsheet (a damaged part)") from err


def _check_part(book: zipfile.ZipFile, part: zipfile.ZipInfo, name: str, limits: WorkbookLimits) -> int:
    """Stream one XML part: its texts, and if it is a sheet, its extent (regular expressions on
    the common form ``<c r="B7">``; an XML parser when a cell is written any other way). Returns
    the cells the part's sheet spans (0 for a part that is not a sheet)."""
    if part.filename.rsplit("/", 1)[-1] in _ODS:
        return _parse_part(book, part, name, limits)
    extent, tail = _Extent(name, limits), b""
    # A shared string is copied into every cell that shows it, so only there is a long text
    # multiplied; any other text counts once, against the unpacked size.
    shared = part.filename.lower().endswith("sharedstrings.xml")
    long_text = re.compile(rb"[^<]{%d,}" % (limits.max_cell_chars + 1))
    for index, chunk in enumerate(_chunks(book, part, name)):
        buffer = tail + chunk
        cut = buffer.rfind(b">") + 1
        if b"<!DOCTYPE" in buffer:  # anywhere: a long comment may come before it
            raise InputError(f"{name} holds a document type declaration, which a spreadsheet program never "
                             "writes, so it was not opened")
        if index == 0:
            _check_head(buffer, name, extent)
        if shared:
            _check_texts(long_text, buffer, cut, name, limits)
        refs = _CELL.findall(buffer, 0, cut)
        if _UNPLACED in refs:
            return _parse_part(book, part, name, limits)  # a cell without its position first
        if refs:
            last_row = max(map(int, {r for _, r in refs}))
            last_column = max(map(column_number, {c for c, _ in refs}))
            extent.reach(last_row, last_column, len(refs))
        tail = buffer[cut:]
    return extent.rows * extent.columns


def _check_head(buffer: bytes, name: str, extent: _Extent) -> None:
    declared = _DIMENSION.search(buffer)
    if declared:
        extent.declare(int(declared.group(2)), column_number(declared.group(1)))


def _check_texts(long_text: re.Pattern[bytes], buffer: bytes, cut: int, name: str,
                 limits: WorkbookLimits) -> None:
    for run in long_text.finditer(buffer, 0, cut):
        text = run.group().decode("utf-8", errors="replace")
        if len(text.strip()) > limits.max_cell_chars:
            raise InputError(f"{name} has a cell of more than {limits.max_cell_chars:,} characters, "
                             "the most a spreadsheet cell holds")


def _parse_part(book: zipfile.ZipFile, part: zipfile.ZipInfo, name: str, limits: WorkbookLimits) -> int:
    """The careful path: an XML parser follows rows and cells written without positions
    (``<row>``, ``<c>``: one after the other) and OpenDocument's repeated rows and cells."""
    scan = _ParsedSheet(name, limits)
    parser = expat.ParserCreate(namespace_separator=" ")
    parser.StartElementHandler = scan.start
    parser.EndElementHandler = scan.end
    parser.CharacterDataHandler = scan.text
    parser.StartDoctypeDeclHandler = scan.doctype
    try:
        for chunk in _chunks(book, part, name):
            parser.Parse(chunk, False)
        parser.Parse(b"", True)
    except expat.ExpatError as err:
        raise InputError(f"{name} could not be opened as a spreadsheet (a damaged part)") from err
    return scan.spanned + scan.extent.rows * scan.extent.columns


def _local(name: str) -> str:
    return name.rsplit(" ", 1)[-1]


class _ParsedSheet:
    """Expat handlers that measure SpreadsheetML and OpenDocument sheets (see ``_parse_part``)."""

    def __init__(self, name: str, limits: WorkbookLimits) -> None:
        self.name, self.limits = name, limits
        self.extent = _Extent(name, limits)
        self.spanned = 0  # cells of the sheets before this one (OpenDocument holds them all in one part)
        self.row = self.column = 0
        self.row_repeat = 1
        self.cell: tuple[int, int] | None = None  # an OpenDocument cell: (first column, repeat)
        self.cell_text = 0
        self.has_value = False

    def doctype(self, *_: object) -> None:
        raise InputError(f"{self.name} holds a document type declaration, which a spreadsheet program "
                         "never writes, so it was not opened")

    def start(self, tag: str, attributes: dict[str, str]) -> None:
        local = _local(tag)
        attrs = {_local(k): v for k, v in attributes.items()}
        if local == "table":  # OpenDocument: a new sheet
            self.spanned += self.extent.rows * self.extent.columns
            self.extent, self.row = _Extent(self.name, self.limits), 0
        elif local in ("row", "table-row"):
            self.row = _number(attrs.get("r"), self.row + self.row_repeat)
            self.row_repeat, self.column = _number(attrs.get("number-rows-repeated"), 1), 0
        elif local == "c":
            reference = attrs.get("r", "")
            letters = reference.rstrip("0123456789")
            self.column = column_number(letters) if letters.isalpha() and letters.isupper() else self.column + 1
            self.row = int(reference[len(letters):]) if reference[len(letters):].isdigit() else self.row
            self.cell_text = 0
            self.extent.reach(self.row, self.column)
        elif local in ("table-cell", "covered-table-cell"):
            self.cell = (self.column + 1, _number(attrs.get("number-columns-repeated"), 1))
            self.has_value, self.cell_text = "value-type" in attrs, 0
        elif local == "p" and self.cell is not None:
            self.has_value = True
        elif local == "si":
            self.cell_text = 0
        elif local == "dimension":
            last = attrs.get("ref", "").rsplit(":", 1)[-1]
            letters = last.rstrip("0123456789")
            if letters.isalpha() and last[len(letters):].isdigit():
                self.extent.declare(int(last[len(letters):]), column_number(letters.upper()))

    def end(self, tag: str) -> None:
        if _local(tag) not in ("table-cell", "covered-table-cell") or self.cell is None:
            return
        first, repeat = self.cell
        self.column, self.cell = first + repeat - 1, None
        if self.has_value:
            self.extent.reach(self.row + self.row_repeat - 1, self.column, repeat * self.row_repeat)

    def text(self, data: str) -> None:
        self.cell_text += len(data)
        if self.cell_text > self.limits.max_cell_chars and data.strip():
            raise InputError(f"{self.name} has a cell of more than {self.limits.max_cell_chars:,} characters, "
                             "the most a spreadsheet cell holds")


def _number(text: str | None, default: int) -> int:
    return int(text) if text and text.isdigit() else default
