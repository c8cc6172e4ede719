"""Hostile workbooks, made at test time: small files that ask a reader for far more than they hold.

Each is a real ``.xlsx`` (a zip of SpreadsheetML parts) written part by part, so that a test can
say exactly what is inside: a cell far away, a huge shared string, many rows, a part that
unpacks a hundredfold. ``xlsx_parts`` with an ordinary sheet gives a workbook every reader opens.
"""

from __future__ import annotations

import io
import zipfile

_NS = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
_REL_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
    '<Override PartName="/xl/sharedStrings.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>'
    '</Types>')
_ROOT_RELS = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
    'relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>')
_WORKBOOK = (
    f'<?xml version="1.0" encoding="UTF-8"?><workbook {_NS} xmlns:r="{_REL_NS}">'
    '<sheets><sheet name="Results" sheetId="1" r:id="rId1"/></sheets></workbook>')
_WORKBOOK_RELS = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
    'relationships/worksheet" Target="worksheets/sheet1.xml"/>'
    '<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
    'relationships/sharedStrings" Target="sharedStrings.xml"/></Relationships>')


def xlsx_parts(sheet_data: bytes, shared: list[bytes] | None = None, dimension: str | None = None,
               level: int = 6) -> bytes:
    """A workbook of one sheet named Results whose ``<sheetData>`` holds ``sheet_data``."""
    head = f'<?xml version="1.0" encoding="UTF-8"?><worksheet {_NS}>'.encode()
    if dimension:
        head += f'<dimension ref="{dimension}"/>'.encode()
    sheet = head + b"<sheetData>" + sheet_data + b"</sheetData></worksheet>"
    strings = shared or []
    table = (f'<?xml version="1.0" encoding="UTF-8"?><sst {_NS} count="{len(strings)}" '
             f'uniqueCount="{len(strings)}">').encode() + b"".join(
                 b"<si><t>" + s + b"</t></si>" for s in strings) + b"</sst>"
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=level) as book:
        book.writestr("[Content_Types].xml", _CONTENT_TYPES)
        book.writestr("_rels/.rels", _ROOT_RELS)
        book.writestr("xl/workbook.xml", _WORKBOOK)
        book.writestr("xl/_rels/workbook.xml.rels", _WORKBOOK_RELS)
        book.writestr("xl/worksheets/sheet1.xml", sheet)
        book.writestr("xl/sharedStrings.xml", table)
    return buffer.getvalue()


def number_cell(ref: str, value: int | float) -> bytes:
    """One numeric cell, e.g. ``number_cell("B2", 13.5)``."""
    return f'<c r="{ref}"><v>{value}</v></c>'.encode()


def text_cell(ref: str, index: int) -> bytes:
    """One cell showing shared string number ``index``."""
    return f'<c r="{ref}" t="s"><v>{index}</v></c>'.encode()


def row(number: int, *cells: bytes) -> bytes:
    return f'<row r="{number}">'.encode() + b"".join(cells) + b"</row>"


def ordinary() -> bytes:
    """A small, honest lab export: a header and two results."""
    shared = [b"Test", b"Result", b"Hemoglobin"]
    return xlsx_parts(
        row(1, text_cell("A1", 0), text_cell("B1", 1))
        + row(2, text_cell("A2", 2), number_cell("B2", 13.1))
        + row(3, text_cell("A3", 2), number_cell("B3", 12.4)), shared, dimension="A1:B3")


def sparse_extent() -> bytes:
    """Two cells, A1 and XFD1048576: a dense reader asks for 17 billion cells (the 1.9 KB file
    that aborted the server)."""
    return xlsx_parts(row(1, number_cell("A1", 1)) + row(1_048_576, number_cell("XFD1048576", 1)))


def declared_extent() -> bytes:
    """Two small cells under a ``<dimension>`` that declares the whole sheet."""
    return xlsx_parts(row(1, number_cell("A1", 1), number_cell("B1", 2)), dimension="A1:XFD1048576")


def sparse_rows(last_row: int = 1_000_000, last_column: str = "J") -> bytes:
    """A1 and one cell at ``last_column``/``last_row``, under a small declared dimension."""
    return xlsx_parts(row(1, number_cell("A1", 1))
                      + row(last_row, number_cell(f"{last_column}{last_row}", 1)), dimension="A1:B2")


def shared_string_bomb(length: int = 50_000_000, uses: int = 20) -> bytes:
    """One shared string of ``length`` characters shown in ``uses`` cells (53 KB packed)."""
    cells = b"".join(row(i, text_cell(f"A{i}", 0)) for i in range(1, uses + 1))
    return xlsx_parts(cells, [b"A" * length], level=9)


def dense_rows(rows: int = 600_000, columns: int = 9) -> bytes:
    """``rows`` full rows of small numbers: more cells than any reader should be asked for."""
    letters = [chr(ord("A") + i) for i in range(columns)]
    body = b"".join(row(r, *(number_cell(f"{c}{r}", r % 97) for c in letters)) for r in range(1, rows + 1))
    return xlsx_parts(body, level=1)


def ratio_bomb(padding: int = 30 * 2**20) -> bytes:
    """An ordinary sheet padded with ``padding`` bytes of blanks between two rows: the sheet part
    unpacks about a thousandfold."""
    return xlsx_parts(row(1, number_cell("A1", 1)) + b" " * padding + row(2, number_cell("A2", 2)))


_ODS_MANIFEST = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.2">'
    '<manifest:file-entry manifest:full-path="/" manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/>'
    '<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/>'
    '</manifest:manifest>')


def ods_parts(rows: str) -> bytes:
    """An OpenDocument spreadsheet of one sheet whose ``<table:table>`` holds ``rows``."""
    content = (
        '<?xml version="1.0" encoding="UTF-8"?><office:document-content '
        'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
        'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
        'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.2">'
        '<office:body><office:spreadsheet><table:table table:name="Results">'
        f'{rows}</table:table></office:spreadsheet></office:body></office:document-content>')
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as book:
        book.writestr(zipfile.ZipInfo("mimetype"), "application/vnd.oasis.opendocument.spreadsheet")
        book.writestr("META-INF/manifest.xml", _ODS_MANIFEST)
        book.writestr("content.xml", content)
    return buffer.getvalue()


def ods_cell(text: str, repeat: int = 1) -> str:
    repeated = f' table:number-columns-repeated="{repeat}"' if repeat > 1 else ""
    return f'<table:table-cell office:value-type="string"{repeated}><text:p>{text}</text:p></table:table-cell>'


def ods_ordinary() -> bytes:
    """Two results, and the empty rows and columns LibreOffice writes to the end of every sheet."""
    empty = '<table:table-cell table:number-columns-repeated="1022"/>'
    return ods_parts(
        f"<table:table-row>{ods_cell('Test')}{ods_cell('Result')}{empty}</table:table-row>"
        f"<table:table-row>{ods_cell('Hemoglobin')}{ods_cell('13.1')}{empty}</table:table-row>"
        f'<table:table-row table:number-rows-repeated="1048574"><table:table-cell '
        f'table:number-columns-repeated="1024"/></table:table-row>')


def ods_repeated() -> bytes:
    """One text repeated across 16,000 columns and 100,000 rows by two attributes: 1.6 billion cells."""
    return ods_parts(f'<table:table-row table:number-rows-repeated="100000">{ods_cell("x", 16_000)}</table:table-row>')


def amplified_shared_string(cells: int = 70_000, length: int = 32_000) -> bytes:
    """Within every limit the workbook is measured against (one shared string of Excel's length,
    70,000 small cells, a modest packing ratio), but each cell showing the string becomes a copy of
    it: 2.2 GB for the reader. The worker's memory limit ends it."""
    body = b"".join(row(r, text_cell(f"A{r}", 0)) for r in range(1, cells + 1))
    return xlsx_parts(body, [b"y" * length])
