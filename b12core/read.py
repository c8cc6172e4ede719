"""Bytes in, a table of text cells out: encoding, delimiter, header line and Excel sheets.

Every cell is kept as text. Numbers, dates and units are parsed later, column by column, because
a reader that guesses types corrupts locale-formatted data (``01.02.2024`` read as a number with
``.`` as thousands separator, ``7,5`` read as text, leading zeros of ids dropped).
"""

from __future__ import annotations

import csv
import io
import re
from collections import Counter
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv

from b12core.errors import InputError
from b12core.limits import MAX_COLUMNS, SHEET_MAX_ROWS, WorkbookLimits, too_many_columns, too_many_rows
from b12core.words import counted
from b12core.workbook_worker import read_workbook

DELIMITERS = (",", ";", "\t", "|")
# The csv module refuses fields over 128 KB by default; a file may hold longer cells (or a very
# wide header) and must still be read or refused with a clear message.
csv.field_size_limit(2**31 - 1)
SAMPLE_LINES = 60
SAMPLE_CHARS = 262_144
_QUOTED = re.compile(r'"[^"]*"')
_LINE_END = re.compile(rb"\r\n|\n|\r")
_LINE_END_TEXT = re.compile(r"\r\n|\n|\r")
_NOT_SPACE = re.compile(rb"\S")
_NUMBERISH = re.compile(r"^\s*[<>≤≥=+-]*\s*\d[\d.,:/\s-]*\s*$")


@dataclass(frozen=True)
class BadRow:
    """A row the reader could not split into the header's columns."""

    row: int
    reason: str
    text: str


TEXT = pa.dictionary(pa.int32(), pa.string())  # how the CSV reader keeps every column


@dataclass(frozen=True, eq=False)
class RawFile:
    """One table of text cells read from a file (a CSV, or one sheet of a workbook).

    ``cells`` is an Arrow table with one text column per header cell (duplicate headers made
    unique with ``.2``, ``.3``), each a string or a dictionary-of-strings column, so a repeated
    text is stored once. ``row_numbers`` are the 1-based data rows of the file the table's rows
    came from (None: 1, 2, 3, ...; rows the reader could not split are missing from the table and
    listed in ``bad_rows``). ``preamble`` holds the report's lines above the header row (a title
    block such as ``Patient ID: 12345``), as ``preamble_lines`` keeps them.
    """

    name: str
    cells: pa.Table
    headers: tuple[str, ...]
    encoding: str | None = None
    delimiter: str | None = None
    sheet: str | None = None
    header_line: int = 1
    bad_rows: tuple[BadRow, ...] = ()
    notes: tuple[str, ...] = field(default_factory=tuple)
    row_numbers: np.ndarray | None = None
    preamble: tuple[str, ...] = ()  # the filled lines above the header (see ``preamble_lines``)

    @property
    def rows(self) -> int:
        """Data rows read, including rows the reader could not split."""
        return self.cells.num_rows + len(self.bad_rows)

    @property
    def columns(self) -> list[str]:
        """The column names (unique header cells), left to right."""
        return self.cells.column_names

    def data_rows(self) -> np.ndarray:
        """The 1-based data row of the file for each row of ``cells`` (int64)."""
        if self.row_numbers is not None:
            return self.row_numbers
        return np.arange(1, self.cells.num_rows + 1, dtype=np.int64)

    def positions(self, rows: np.ndarray) -> np.ndarray:
        """The 0-based positions in ``cells`` of 1-based data ``rows`` (rows the table holds)."""
        rows = np.asarray(rows, dtype=np.int64)
        if self.row_numbers is None:
            return rows - 1
        return np.searchsorted(self.row_numbers, rows)

    def column(self, name: str) -> pa.Array:
        """One column as a single Arrow array (a dictionary column keeps one dictionary)."""
        column = self.cells.column(name)
        if pa.types.is_dictionary(column.type):
            column = column.unify_dictionaries()
        return column.combine_chunks() if column.num_chunks != 1 else column.chunk(0)

    def frame(self, positions: np.ndarray | None = None, columns: list[str] | None = None) -> pd.DataFrame:
        """Some rows (0-based ``positions``) and columns as a pandas table of ``str`` cells, indexed by
        data row - 1 (``table`` is all of it)."""
        cells = self.cells if columns is None else self.cells.select(columns)
        index = self.data_rows() - 1
        if positions is None:
            texts = {name: _plain(cells.column(name)).combine_chunks() for name in cells.column_names}
        else:
            positions = np.asarray(positions, dtype=np.int64)
            texts = {name: rows_of(cells.column(name), positions) for name in cells.column_names}
            index = index[positions]
        frame = pd.DataFrame({name: pd.Series(pd.arrays.ArrowStringArray(text.cast(pa.large_string())), dtype="str")
                              for name, text in texts.items()}) if texts else pd.DataFrame(index=range(len(index)))
        frame.index = pd.Index(index)
        return frame

    def head(self, n: int) -> pd.DataFrame:
        """The first ``n`` rows (see ``frame``)."""
        return self.frame(np.arange(min(n, self.cells.num_rows)))

    @cached_property
    def table(self) -> pd.DataFrame:
        """Every cell as a pandas table of ``str`` cells, indexed by data row - 1 (built on first use;
        the lab import works on ``cells`` and never builds it)."""
        return self.frame()


def _plain(column: pa.ChunkedArray | pa.Array) -> pa.ChunkedArray | pa.Array:
    return column.cast(pa.string()) if pa.types.is_dictionary(column.type) else column


def rows_of(column: pa.ChunkedArray, positions: np.ndarray) -> pa.Array:
    """The texts at 0-based ``positions`` of a chunked column, in the order given, taken chunk by
    chunk: a take across chunks first merges every chunk's dictionary (0.4 s for 20 rows of a
    1M-row file whose dates are nearly all distinct)."""
    order = np.argsort(positions, kind="stable")
    wanted = positions[order]
    lengths = np.array([len(chunk) for chunk in column.chunks], dtype=np.int64)
    starts = np.cumsum(lengths) - lengths
    chunk_of = np.searchsorted(starts, wanted, side="right") - 1
    pieces = [_plain(column.chunk(k).take(pa.array(wanted[chunk_of == k] - starts[k])))
              for k in np.unique(chunk_of)]
    taken = pa.concat_arrays(pieces) if pieces else pa.array([], type=pa.string())
    return taken.take(pa.array(np.argsort(order)))


def text_table(names: list[str], rows: list[list[str]]) -> pa.Table:
    """A table of text cells from rows of equal width (small inputs: workbooks, the forgiving reader)."""
    columns = list(zip(*rows, strict=True)) if rows else [()] * len(names)
    return pa.table([pa.array(list(c), type=pa.string()) for c in columns], names=names)


def read_tables(data: bytes, filename: str, max_rows: int | None = None) -> list[RawFile]:
    """Every table in a file: one for a CSV or TSV, one per non-empty sheet of a workbook.

    Raises ``InputError`` when the bytes are not a table at all (empty, binary, an image), when
    the header is wider than ``MAX_COLUMNS``, or when a table has more than ``max_rows`` rows.
    """
    if not data or data.isspace():
        raise InputError(f"{filename} is empty")
    kind = _sniff_container(data)
    if kind == "workbook":
        tables = _read_workbook(data, filename, max_rows)
    elif kind != "text":
        raise InputError(f"{filename} is not a table: it looks like {kind}")
    else:
        _refuse_documents(data, filename)
        if max_rows is not None and data.count(b"\n") > 2 * max_rows + SAMPLE_LINES:
            raise _too_many_rows(filename, max_rows)  # clearly too long: refuse before parsing
        tables = [_read_text(data, filename)]
    for table in tables:
        if max_rows is not None and table.rows > max_rows:
            raise _too_many_rows(table.name, max_rows)
    return tables


def _too_many_rows(name: str, max_rows: int) -> InputError:
    return InputError(too_many_rows(name, max_rows))


def _check_width(names: list[str], filename: str) -> None:
    if len(names) > MAX_COLUMNS:
        raise InputError(too_many_columns(filename, len(names)))


def read_file(data: bytes, filename: str) -> RawFile:
    """The first table of a file (see ``read_tables`` for workbooks with several sheets)."""
    return read_tables(data, filename)[0]


# --- containers -------------------------------------------------------------------------------

_MAGIC = (
    (b"PK\x03\x04", "workbook"),
    (b"\xd0\xcf\x11\xe0", "workbook"),  # legacy .xls (OLE2)
    (b"\x89PNG", "an image (PNG)"),
    (b"\xff\xd8\xff", "an image (JPEG)"),
    (b"GIF8", "an image (GIF)"),
    (b"%PDF", "a PDF document"),
    (b"\x1f\x8b", "a gzip archive"),
)


def _sniff_container(data: bytes) -> str:
    for magic, kind in _MAGIC:
        if data.startswith(magic):
            return kind
    return "text"


# A JSON document opens with an object (or an array of them), not with a header row.
_JSON_START = re.compile(r'(\{\s*("|\}|$)|\[\s*(\{|\[|\]|$))')
_FHIR_JSON = re.compile(r'"resourceType"\s*:\s*"[A-Z]')
_FHIR_XML = re.compile(r"""xmlns\s*=\s*["']http://hl7\.org/fhir["']""")


def _refuse_documents(data: bytes, filename: str) -> None:
    """Raise ``InputError`` for a JSON or XML document given as a table; a FHIR file (a Bundle or a
    resource as JSON, NDJSON or XML) is named as one, so the user knows to export a table instead."""
    head = detect_encoding(data[:8192])[1].lstrip("\ufeff \t\r\n")
    if _JSON_START.match(head):
        kind = "JSON" if not head.startswith("{") or head.count("\n{") == 0 else "NDJSON"
        if _FHIR_JSON.search(head):
            raise InputError(fhir_not_read(filename, kind))
        raise InputError(f"{filename} is not a table: it looks like JSON")
    if head.startswith("<"):
        if _FHIR_XML.search(head):
            raise InputError(fhir_not_read(filename, "XML"))
        if head.startswith("<?xml"):
            raise InputError(f"{filename} is not a table: it looks like XML")


def fhir_not_read(filename: str, kind: str) -> str:
    """The one line for a FHIR file given where a table is read."""
    return (f"{filename} is a FHIR file ({kind}); FHIR imports are not read yet: export the results "
            "from your system as a CSV or Excel table instead")


# --- text files -------------------------------------------------------------------------------

def detect_encoding(data: bytes) -> tuple[str, str]:
    """(encoding name, decoded text). BOMs first, then strict UTF-8, then Windows-1252, Latin-1."""
    boms = ((b"\xef\xbb\xbf", "utf-8-sig"), (b"\xff\xfe\x00\x00", "utf-32-le"),
            (b"\x00\x00\xfe\xff", "utf-32-be"), (b"\xff\xfe", "utf-16-le"), (b"\xfe\xff", "utf-16-be"))
    for bom, name in boms:
        if data.startswith(bom):
            return name, data[len(bom):].decode(name.replace("-sig", ""), errors="replace")
    head = data[:4096]
    if head.count(0) > len(head) // 4:  # UTF-16 without a BOM: every other byte is NUL
        even_nuls = head[0::2].count(0)
        name = "utf-16-be" if even_nuls > head[1::2].count(0) else "utf-16-le"
        return name, data.decode(name, errors="replace")
    for name in ("utf-8", "cp1252"):
        try:
            return name, data.decode(name)
        except UnicodeDecodeError:
            continue
    return "latin-1", data.decode("latin-1")


CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")  # below a space, except tab, newline, return


def _check_text(text: str, filename: str) -> tuple[str, list[str]]:
    notes: list[str] = []
    sample = text[:65536]
    controls = len(CONTROL_CHARACTERS.findall(sample))
    if controls > max(8, len(sample) // 100):
        raise InputError(f"{filename} is not a text table: it looks like binary data")
    if "\x00" in text:
        notes.append(f"removed {text.count(chr(0))} NUL characters")
        text = text.replace("\x00", "")
    return text, notes


def detect_delimiter(lines: list[str]) -> str | None:
    """The delimiter that splits the sample lines into the most consistent number of cells > 1."""
    best: tuple[float, int, str] | None = None
    for delim in DELIMITERS:
        widths = [len(r) for r in csv.reader(lines, delimiter=delim) if any(c.strip() for c in r)]
        if not widths:
            continue
        wide = Counter(w for w in widths if w >= 2)
        if not wide:
            continue
        mode = max(wide, key=lambda w: (wide[w], w))
        count = wide[mode]
        score = (count / len(widths), mode, delim)
        if best is None or score[:2] > best[:2]:
            best = score
    return best[2] if best else None


_LABELLED = re.compile(r"^[^\W\d_][^:]{0,40}:\s+\S")  # "Name: DOE", "Date Collected: 03/02/2025"


def find_header(rows: list[list[str]]) -> int | None:
    """Index of the header row among the first rows: the first row as wide as the table whose
    cells are mostly words, and none of them a labelled value of a title block ("Name: DOE, JANE"
    is two cells of a comma-separated line). None when the first full-width row is already data."""
    widths = Counter(w for w in (sum(1 for c in r if c.strip()) for r in rows) if w >= 2)
    if not widths:
        return None
    width = max(widths, key=lambda w: (widths[w], w))
    for i, row in enumerate(rows):
        cells = [c for c in row if c.strip()]
        if len(cells) < max(1, int(width * 0.8)) or any(_LABELLED.match(c.strip()) for c in cells):
            continue
        numeric = sum(1 for c in cells if _NUMBERISH.match(c))
        return i if numeric <= len(cells) / 2 else None
    return None


def preamble_lines(rows: list[list[str]], lines: list[str] | None = None,
                   delimiter: str | None = None) -> tuple[str, ...]:
    """The filled lines above a table's header as a person reads them. For a text file (``lines``
    beside their cells ``rows``): a line of one filled cell is that cell (unquoted), any other line
    is kept as written without the empty cells (trailing delimiters) a spreadsheet leaves at its
    end. For a sheet: a row's filled cells separated by tabs."""
    kept = []
    for i, row in enumerate(rows):
        filled = [c.strip() for c in row if c.strip()]
        if not filled:
            continue
        if lines is None:
            kept.append("\t".join(filled))
        elif len(filled) == 1:
            kept.append(filled[0])
        else:
            kept.append(lines[i].rstrip().rstrip(f"{delimiter or ''} \t").rstrip())
    return tuple(kept)


def unique_headers(headers: list[str]) -> list[str]:
    """Header cells made unique and non-empty: ``Value``, ``Value.2``; blank -> ``Column 3``."""
    seen: Counter[str] = Counter()
    out = []
    for i, h in enumerate(headers, start=1):
        name = h.strip() or f"Column {i}"
        seen[name] += 1
        out.append(name if seen[name] == 1 else f"{name}.{seen[name]}")
    return out


def _line_offsets(data: bytes, count: int) -> list[int]:
    """Byte offsets just after each of the first ``count`` line ends."""
    offsets = []
    for match in _LINE_END.finditer(data):
        offsets.append(match.end())
        if len(offsets) >= count:
            break
    return offsets


def _sample_lines(text: str) -> list[str]:
    """The first ``SAMPLE_LINES`` lines within the first ``SAMPLE_CHARS`` characters (the last one
    may be cut): enough to find the delimiter and the header, bounded however long a line is."""
    return _LINE_END_TEXT.split(text[:SAMPLE_CHARS])[:SAMPLE_LINES]


def _whole_header(text: str, index: int, delimiter: str | None, filename: str) -> list[str]:
    """Header line ``index``, read whole when the sample cut it (a very wide header). Its width is
    counted first without building its cells (delimiters outside quotes), so a header of millions
    of cells is refused with its real width and never split into millions of strings."""
    start = 0
    for number, end in enumerate(_LINE_END_TEXT.finditer(text)):
        if number == index:
            line = text[start:end.start()]
            break
        start = end.end()
    else:
        line = text[start:]
    width = _QUOTED.sub("", line).count(delimiter or "\x1f") + 1
    if width > MAX_COLUMNS:
        raise InputError(too_many_columns(filename, width))
    return next(csv.reader([line], delimiter=delimiter or "\x1f"), [])


def _read_text(data: bytes, filename: str) -> RawFile:
    encoding, text = detect_encoding(data)
    text, notes = _check_text(text, filename)
    # Lines end where the CSV reader ends them (CR, LF, CRLF); str.splitlines would also split at
    # U+2028 and other separators inside cells and miscount the lines before the header.
    sample_lines = _sample_lines(text)
    delimiter = detect_delimiter(sample_lines)
    parsed = [next(csv.reader([ln], delimiter=delimiter or "\x1f"), []) for ln in sample_lines]
    header_index = find_header(parsed)
    if header_index == len(parsed) - 1 and len(text) > SAMPLE_CHARS:  # the sample cut the header line
        parsed[header_index] = _whole_header(text, header_index, delimiter, filename)
    if header_index is None:
        width = max((len(r) for r in parsed), default=1)
        headers = [f"Column {i}" for i in range(1, width + 1)]
        skip_lines = 0
        notes.append("no header row found; columns are numbered")
    else:
        headers = [c.strip() for c in parsed[header_index]]
        skip_lines = header_index + 1
        if header_index:
            notes.append(f"skipped {header_index} line(s) before the header")
    names = unique_headers(headers)
    _check_width(names, filename)
    body = text.encode("utf-8") if (encoding != "utf-8" or notes) else data
    del text  # the decoded copy was for checking and sampling; the reader parses the bytes
    offsets = _line_offsets(body, skip_lines)
    start = offsets[-1] if skip_lines and len(offsets) == skip_lines else (len(body) if skip_lines else 0)
    rest = pa.py_buffer(body)[start:]  # the data rows, without copying the file
    numbers: np.ndarray | None = None
    try:
        table = _read_arrow(rest, names, delimiter)
        bad_rows: list[BadRow] = []
    except (pa.ArrowInvalid, UnicodeDecodeError):
        text = rest.to_pybytes().decode("utf-8", errors="replace")
        table, numbers, bad_rows, more = _read_python(text, names, delimiter)
        notes.extend(more)
    return RawFile(filename, table, tuple(headers), encoding=encoding, delimiter=delimiter,
                   header_line=skip_lines, bad_rows=tuple(bad_rows), notes=tuple(notes), row_numbers=numbers,
                   preamble=preamble_lines(parsed[:header_index or 0], sample_lines, delimiter))


def _read_arrow(body: pa.Buffer, names: list[str], delimiter: str | None) -> pa.Table:
    if not _NOT_SPACE.search(memoryview(body)):
        return text_table(names, [])
    return pacsv.read_csv(
        pa.BufferReader(body),
        read_options=pacsv.ReadOptions(column_names=names),
        parse_options=pacsv.ParseOptions(delimiter=delimiter or "\x1f", newlines_in_values=True),
        convert_options=pacsv.ConvertOptions(
            column_types=dict.fromkeys(names, TEXT),
            strings_can_be_null=False, quoted_strings_can_be_null=False),
    )


def _read_python(text: str, names: list[str], delimiter: str | None
                 ) -> tuple[pa.Table, np.ndarray, list[BadRow], list[str]]:
    """The slow, forgiving path for rows with a wrong number of cells."""
    width = len(names)
    rows: list[list[str]] = []
    bad: list[BadRow] = []
    padded = 0
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter or "\x1f")
    number = 0
    for record in reader:
        if not record or not any(c.strip() for c in record):
            continue
        number += 1
        if len(record) > width and any(c.strip() for c in record[width:]):
            bad.append(BadRow(number, f"row has {counted(len(record), 'cell')} but the header has {width}; "
                                      "is a delimiter unquoted inside a value?",
                              (delimiter or "").join(record)[:500]))
            rows.append(None)  # type: ignore[arg-type]
            continue
        if len(record) < width:
            padded += 1
            record = record + [""] * (width - len(record))
        rows.append(record[:width])
    kept = [r for r in rows if r is not None]
    numbers = np.array([i for i, r in enumerate(rows, start=1) if r is not None], dtype=np.int64)
    notes = [f"{padded} short row(s) padded with empty cells"] if padded else []
    return text_table(names, kept), numbers, bad, notes


# --- workbooks --------------------------------------------------------------------------------

def _read_workbook(data: bytes, filename: str, max_rows: int | None) -> list[RawFile]:
    """Measured and read in a worker process (``b12core.workbook_worker``), limits applied while
    the sheets are streamed, before any cell is expanded."""
    limits = WorkbookLimits(max_rows=SHEET_MAX_ROWS if max_rows is None else max_rows)
    return workbook_tables(read_workbook(data, filename, limits), filename)


def workbook_tables(sheets: list[tuple[str, list[list[str]]]], filename: str) -> list[RawFile]:
    """One table per sheet from (sheet name, rows of text cells): header found, columns named."""
    if not sheets:
        raise InputError(f"{filename} has no filled cells in any sheet")
    return [_sheet_table(filename if len(sheets) == 1 else f"{filename} [{sheet_name}]", sheet_name, rows)
            for sheet_name, rows in sheets]


def _sheet_table(name: str, sheet_name: str, rows: list[list[str]]) -> RawFile:
    header_index = find_header(rows[:SAMPLE_LINES])
    notes = []
    if header_index is None:
        headers = [f"Column {i}" for i in range(1, max(len(r) for r in rows) + 1)]
        body = rows
        notes.append("no header row found; columns are numbered")
    else:
        headers = list(rows[header_index])
        body = rows[header_index + 1:]
        if header_index:
            notes.append(f"skipped {header_index} row(s) before the header")
    names = unique_headers(headers)
    _check_width(names, name)
    width = len(names)
    bad: list[BadRow] = []
    numbers = None
    if any(len(r) != width for r in body):  # a sheet's rows are as wide as its header row; not so here
        bad = [BadRow(i, f"row has cells beyond the last header column ({width})", " | ".join(r))
               for i, r in enumerate(body, start=1) if any(c.strip() for c in r[width:])]
        bad_numbers = {b.row for b in bad}
        body = [(r + [""] * width)[:width] for i, r in enumerate(body, start=1) if i not in bad_numbers]
        numbers = np.array([i for i in range(1, len(body) + len(bad) + 1) if i not in bad_numbers],
                           dtype=np.int64) if bad else None
    return RawFile(name, text_table(names, body), tuple(h.strip() for h in headers), sheet=sheet_name,
                   header_line=(header_index or 0) + 1, bad_rows=tuple(bad), notes=tuple(notes),
                   row_numbers=numbers, preamble=preamble_lines(rows[:header_index or 0]))
