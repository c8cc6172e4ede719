"""Write the hostile-input corpus into ``tests/corpus/files/`` and its ``README.md``.

Deterministic: the same bytes on every run (seeded random data, fixed zip timestamps, gzip
mtime 0), so the committed files only change when this script does. Run from the repo root::

    .venv/bin/python tests/corpus/make_corpus.py

Files too large to commit (200,000 rows, 20,000 columns) are not written; ``LARGE`` holds their
generators and ``tests/test_corpus.py`` builds them at run time.
"""

from __future__ import annotations

import gzip
import io
import random
import re
import struct
import zipfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
FILES = HERE / "files"
LAB = ["Patient ID", "Collection Date", "Test Name", "Result", "Units"]
DOSE = ["Patient ID", "Date Given", "Medication", "Dose", "Dose Unit", "Route"]
ZIP_TIME = (2024, 1, 1, 0, 0, 0)


@dataclass(frozen=True)
class Entry:
    name: str
    make: Callable[[], bytes]
    exercises: str
    expected: str


def quote(cell: str, delim: str) -> str:
    """CSV quoting as a spreadsheet would write it."""
    if any(c in cell for c in (delim, '"', "\n", "\r")):
        return '"' + cell.replace('"', '""') + '"'
    return cell


def table(rows: list[list[str]], delim: str = ",", eol: str = "\n", end: bool = True) -> str:
    text = eol.join(delim.join(quote(c, delim) for c in row) for row in rows)
    return text + (eol if end else "")


def lab(rows: list[list[str]], **kw) -> str:
    return table([LAB, *rows], **kw)


def utf8(text: str) -> bytes:
    return text.encode("utf-8")


# --- containers ------------------------------------------------------------------------------

def png_1x1() -> bytes:
    """A valid 1x1 grey PNG."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    ihdr = struct.pack(">IIBBBBB", 1, 1, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\x00\x80", 9)) + \
        chunk(b"IEND", b"")


def fixed_zip(data: bytes) -> bytes:
    """The same zip with fixed timestamps (openpyxl stamps the current time on entries and on the
    workbook's 'modified' property)."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            body = src.read(info.filename)
            if info.filename == "docProps/core.xml":
                body = re.sub(rb"(<dcterms:modified[^>]*>)[^<]*", rb"\g<1>2024-01-01T00:00:00Z", body)
            dst.writestr(zipfile.ZipInfo(info.filename, ZIP_TIME), body, zipfile.ZIP_DEFLATED)
    return out.getvalue()


def workbook(sheets: dict[str, list[list[object]]]) -> bytes:
    import datetime as dt

    from openpyxl import Workbook

    book = Workbook()
    book.remove(book.active)
    for title, rows in sheets.items():
        ws = book.create_sheet(title)
        for row in rows:
            ws.append(row)
    book.properties.created = dt.datetime(2024, 1, 1)
    buffer = io.BytesIO()
    book.save(buffer)
    return fixed_zip(buffer.getvalue())


def two_sheets() -> bytes:
    import datetime as dt

    return workbook({
        "Labs": [LAB,
                 ["000123", dt.datetime(2024, 3, 1), "Hemoglobin", 9.1, "g/dL"],
                 ["000123", dt.datetime(2024, 3, 1), "Vitamin B12", 110, "pmol/L"],
                 ["000123", dt.datetime(2024, 3, 15), "Hemoglobin", 10.4, "g/dL"]],
        "Injections": [DOSE,
                       ["000123", dt.datetime(2024, 3, 2), "Hydroxocobalamin 1 mg/mL injection", 1, "mg", "IM"],
                       ["000123", dt.datetime(2024, 3, 4), "Hydroxocobalamin 1 mg/mL injection", 1, "mg", "IM"]],
    })


def xlsx_formulas() -> bytes:
    """Real formulas (no cached value, as openpyxl writes them) as results, and formula text
    stored as a plain string in a patient id cell."""
    data = workbook({"Results": [
        LAB,
        ["p1", "2024-03-01", "Hemoglobin", "=1/0", "g/L"],
        ["p1", "2024-03-01", "MCV", '=HYPERLINK("http://x","click")', "fL"],
        ["ID", "2024-03-02", "Hemoglobin", 95, "g/L"],
    ]})
    # Replace the placeholder id by formula text typed as a string (inline string, not a formula).
    return _replace_in_zip(data, "xl/worksheets/sheet1.xml", b"<t>ID</t>", b'<t>=HYPERLINK("http://x","click")</t>')


def _replace_in_zip(data: bytes, member: str, old: bytes, new: bytes) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        assert member in src.namelist(), member
        for info in src.infolist():
            body = src.read(info.filename)
            if info.filename == member:
                assert old in body, member
                body = body.replace(old, new.replace(b'"', b"&quot;"))
            dst.writestr(zipfile.ZipInfo(info.filename, ZIP_TIME), body, zipfile.ZIP_DEFLATED)
    return out.getvalue()


# --- generated large inputs (built at test time, see LARGE) ----------------------------------

def rows_200000() -> bytes:
    """200,000 haemoglobin results: 1,000 patients x 200 days, no two alike."""
    out = io.StringIO()
    out.write(",".join(LAB) + "\n")
    import datetime as dt

    start = dt.date(2020, 1, 1)
    days = [(start + dt.timedelta(days=d)).isoformat() for d in range(200)]
    for d in range(200):
        day = days[d]
        for p in range(1000):
            out.write(f"P{p:04d},{day},Hemoglobin,{80 + (p + d) % 90},g/L\n")
    return out.getvalue().encode()


def columns_20000() -> bytes:
    """A wide header of 20,000 columns: id, date, haemoglobin and 19,997 unnamed extras."""
    header = ["Patient ID", "Collection Date", "Haemoglobin (g/L)", *(f"Extra {i}" for i in range(1, 19998))]
    blank = [""] * 19997
    rows = [header, ["p1", "2024-03-01", "91", *blank], ["p1", "2024-03-15", "104", *blank]]
    return utf8(table(rows))


LARGE: dict[str, Callable[[], bytes]] = {"rows_200000.csv": rows_200000, "columns_20000.csv": columns_20000}


# --- the corpus -------------------------------------------------------------------------------

HUGE = ("Lorem ipsum dolor sit amet, consectetur adipiscing elit; " * 1200)[:60000]
FORMULAS = ['=HYPERLINK("http://x","click")', "+cmd|' /C calc'!A0", "@SUM(A1:A2)", "-2+3"]
SCRIPTS = ["<script>alert(1)</script>", "<img src=x onerror=alert(1)>"]
MARKDOWN = ["[click](http://evil)", "**bold**"]
LONG_ID = "P" + "0123456789" * 1000


def corpus() -> list[Entry]:
    std = [["p1", "2024-03-01", "Hemoglobin", "91", "g/L"], ["p1", "2024-03-15", "Hemoglobin", "104", "g/L"],
           ["p1", "2024-03-01", "Vitamin B12", "110", "pmol/L"]]
    two_sheet_bytes = two_sheets()
    return [
        Entry("empty.csv", lambda: b"", "zero bytes", "InputError: empty"),
        Entry("header_only.csv", lambda: utf8(lab([])), "a header and no data rows",
              "labs: read 0, accepted 0"),
        Entry("whitespace_only.csv", lambda: b"   \n\t\t\n \r\n\n   ", "spaces, tabs and line ends only",
              "InputError: empty"),
        Entry("binary.csv", lambda: random.Random(20240314).randbytes(4096), "4 KB of random bytes named .csv",
              "InputError: binary data"),
        Entry("gzip.csv", lambda: gzip.compress(utf8(lab(std)), mtime=0), "a gzip archive named .csv",
              "InputError: not a table (gzip)"),
        Entry("pdf.csv", lambda: b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\ntrailer\n<<>>\n%%EOF\n",
              "a PDF named .csv", "InputError: not a table (PDF)"),
        Entry("image.xlsx", png_1x1, "a PNG image named .xlsx", "InputError: not a table (image)"),
        Entry("broken.xlsx", lambda: two_sheet_bytes[: len(two_sheet_bytes) // 2],
              "a real workbook cut in half (truncated download)", "InputError: could not be opened as a spreadsheet"),
        Entry("fake.xls", lambda: b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(range(256)) * 4,
              "OLE2 (legacy .xls) magic followed by junk", "InputError: could not be opened as a spreadsheet"),
        Entry("empty_sheet.xlsx", lambda: workbook({"Sheet1": []}), "a valid workbook with no filled cells",
              "InputError: no filled cells"),
        Entry("two_sheets.xlsx", lambda: two_sheet_bytes,
              "a real workbook: sheet Labs (results) and sheet Injections (doses)",
              "two tables: [Labs] labs read 3 accepted 3; [Injections] doses read 2 accepted 2; id 000123 kept"),
        Entry("xlsx_formulas.xlsx", xlsx_formulas, "formula cells without cached values in a workbook",
              "labs: read 3, accepted 1 (formula text id kept verbatim), rejected 2 (no result value)"),
        Entry("csv_named.xlsx", lambda: utf8(lab(std)), "a plain CSV named .xlsx", "labs: read 3, accepted 3"),
        Entry("utf16_bom.csv", lambda: lab([["p1", "2024-03-01", "Homocysteine", "12.5", "µmol/L"],
                                            ["p1", "2024-03-01", "Hämoglobin", "91", "g/L"]]).encode("utf-16"),
              "UTF-16 LE with BOM, µ and ä", "labs: read 2, accepted 2"),
        Entry("utf16be_bom.csv", lambda: b"\xfe\xff" + lab([["p1", "2024-03-01", "Homocysteine", "12.5", "µmol/L"],
                                                             ["p1", "2024-03-01", "Hämoglobin", "91", "g/L"]]
                                                            ).encode("utf-16-be"),
              "UTF-16 BE with BOM", "labs: read 2, accepted 2"),
        Entry("utf16le_nobom.csv", lambda: lab([["p1", "2024-03-01", "Homocysteine", "12.5", "µmol/L"],
                                                ["p1", "2024-03-01", "Hämoglobin", "91", "g/L"]]).encode("utf-16-le"),
              "UTF-16 LE without a BOM", "labs: read 2, accepted 2"),
        Entry("latin1_micro.csv",
              lambda: table([["Patientennummer", "Abnahmedatum", "Untersuchung", "Ergebnis", "Einheit"],
                             ["0004711", "14.03.2024", "Homocystein", "12,5", "µmol/l"],
                             ["0004711", "14.03.2024", "Hämoglobin", "7,4", "mmol/l"]], delim=";").encode("latin-1"),
              "Latin-1, semicolons, decimal commas, µ and ä", "labs: read 2, accepted 2; µmol/l understood"),
        Entry("cp1252_smart_quotes.csv",
              lambda: table([[*LAB, "Comment"],
                             ["p1", "2024-03-01", "Hemoglobin", "91", "g/L", "“fasting” – patient’s 1st visit"],
                             ["p1", "2024-03-15", "Hemoglobin", "104", "g/L", "‘repeat’ … ok"]]).encode("cp1252"),
              "Windows-1252 smart quotes, dash and ellipsis", "labs: read 2, accepted 2; comment decoded"),
        Entry("utf8_bom.csv", lambda: b"\xef\xbb\xbf" + utf8(lab(std)), "UTF-8 BOM before the first header",
              "labs: read 3, accepted 3; 'Patient ID' recognised despite the BOM"),
        Entry("invalid_utf8.csv", lambda: utf8(lab(std[:1])) + b"p1,2024-03-15,H\xe6moglobin \xff\xfe,104,g/L\n",
              "bytes that are not UTF-8 in an otherwise UTF-8 file", "labs: read 2, accepted 1, ignored 1"),
        Entry("mixed_line_endings.csv",
              lambda: utf8(",".join(LAB) + "\r\n" + ",".join(std[0]) + "\n" + ",".join(std[1]) + "\r"
                           + ",".join(std[2]) + "\r\n" + "p1,2024-03-29,Hemoglobin,110,g/L"),
              "CRLF, LF and CR line ends in one file, no final newline", "labs: read 4, accepted 4"),
        Entry("huge_field.csv",
              lambda: utf8(table([[*LAB, "Comment"], ["p1", "2024-03-01", "Hemoglobin", "91", "g/L", HUGE],
                                  ["p1", "2024-03-01", HUGE, "5", "g/L", ""]])),
              "a 60,000-character comment and a 60,000-character test name",
              "labs: read 2, accepted 1, ignored 1 (unknown name)"),
        Entry("quoted_newlines.csv",
              lambda: utf8(table([[*LAB, "Comment"],
                                  ["p1", "2024-03-01", "Hemoglobin", "91", "g/L", "first line\nsecond line"],
                                  ["p1", "2024-03-01", "Vitamin\nB12", "110", "pmol/L", "a\r\nb"],
                                  ["p1", "2024-03-15", "Hemoglobin", "104", "g/L", ""],
                                  ["p1", "2024-03-15", "Zinc\nProtoporphyrin", "40", "ug/dL", ""]])),
              "line breaks inside quoted values (comment, a known and an unknown test name)",
              "labs: read 4, accepted 3, ignored 1; CLI summary still one line"),
        Entry("duplicate_columns.csv",
              lambda: utf8(table([["Patient ID", "Collection Date", "Test Name", "Result", "Units", "Result",
                                   "Comment", "Comment"],
                                  ["p1", "2024-03-01", "Hemoglobin", "91", "g/L", "", "a", "b"],
                                  ["p1", "2024-03-15", "Hemoglobin", "104", "g/L", "", "c", "d"]])),
              "two columns named Result and two named Comment", "labs: read 2, accepted 2 (first Result used)"),
        Entry("blank_header_cells.csv",
              lambda: utf8(table([["Patient ID", "", "Test Name", "Result", "", "Comment"],
                                  ["p1", "2024-03-01", "Hemoglobin", "91", "g/L", ""],
                                  ["p1", "2024-03-15", "Hemoglobin", "104", "g/L", ""],
                                  ["p1", "2024-03-01", "MCV", "105", "fL", ""]])),
              "header cells left blank over the date and unit columns",
              "labs: read 3, accepted 3 (date and unit found from contents)"),
        Entry("mixed_units_hb.csv",
              lambda: utf8(lab([["p1", "2024-03-01", "Hemoglobin", "9.1", "g/dL"],
                                ["p1", "2024-03-08", "Hemoglobin", "95", "g/L"],
                                ["p1", "2024-03-15", "Hemoglobin", "10.2", "g/dL"],
                                ["p1", "2024-03-29", "Hemoglobin", "120", "g/L"]])),
              "g/dL and g/L rows of Hb in one column", "labs: read 4, accepted 4; values 91, 95, 102, 120 g/L"),
        Entry("two_date_formats.csv",
              lambda: utf8(lab([["p1", "2024-03-01", "Hemoglobin", "91", "g/L"],
                                ["p1", "14/03/2024", "Hemoglobin", "95", "g/L"],
                                ["p1", "2024-03-28", "Hemoglobin", "99", "g/L"],
                                ["p1", "05/04/2024", "Hemoglobin", "104", "g/L"]])),
              "ISO and day-first dates in one column", "labs: read 4, accepted 4; 05/04/2024 is 5 April"),
        Entry("impossible_dates.csv",
              lambda: utf8(lab([["p1", "31/02/2024", "Hemoglobin", "91", "g/L"],
                                ["p1", "1899-12-31", "Hemoglobin", "92", "g/L"],
                                ["p1", "2024-13-01", "Hemoglobin", "93", "g/L"],
                                ["p1", "15/03/2024", "Hemoglobin", "94", "g/L"],
                                ["p1", "", "Hemoglobin", "95", "g/L"]])),
              "31/02/2024, a pre-1900 date, month 13, a missing date",
              "labs: read 5, accepted 1, rejected 4 with reasons"),
        Entry("ambiguous_dates.csv",
              lambda: utf8(lab([["p1", "03/04/2024", "Hemoglobin", "91", "g/L"],
                                ["p1", "05/06/2024", "Hemoglobin", "92", "g/L"]])),
              "dates that are valid day-first and month-first", "DateOrderNeeded: choose the date order"),
        Entry("ambiguous_dates_newline.csv",
              lambda: utf8(lab([["p1", "03/04/2024\n09:10", "Hemoglobin", "91", "g/L"],
                                ["p1", "05/06/2024\n10:00", "Hemoglobin", "92", "g/L"]])),
              "ambiguous dates with the time on a second line of the cell (Alt+Enter)",
              "DateOrderNeeded, message on one line"),
        Entry("future_dates.csv",
              lambda: utf8(lab([["p1", "2199-01-01", "Hemoglobin", "91", "g/L"],
                                ["p1", "31/12/2199", "Hemoglobin", "92", "g/L"],
                                ["p1", "2024-03-15", "Hemoglobin", "94", "g/L"]])),
              "collection dates in 2199", "labs: read 3, accepted 1, rejected 2 (date in the future)"),
        Entry("negative_zero.csv",
              lambda: utf8(lab([["p1", "2024-03-01", "Hemoglobin", "-5", "g/dL"],
                                ["p1", "2024-03-01", "MCV", "-1", "fL"],
                                ["p1", "2024-03-01", "Hemoglobin", "0", "g/L"],
                                ["p1", "2024-03-01", "Vitamin B12", "0", "pmol/L"],
                                ["p1", "2024-03-15", "Hemoglobin", "9.1", "g/dL"]])),
              "negative and zero results", "labs: read 5, accepted 1, rejected 4"),
        Entry("non_numeric_values.csv",
              lambda: utf8(lab([["p1", "2024-03-01", "Vitamin B12", "N/A", "pmol/L"],
                                ["p1", "2024-03-01", "Hemoglobin", "see note", "g/L"],
                                ["p1", "2024-03-01", "Folate", "haemolysed", "nmol/L"],
                                ["p1", "2024-03-01", "MCV", "QNS", "fL"],
                                ["p1", "2024-03-01", "Ferritin", "-", "ug/L"],
                                ["p1", "2024-03-15", "Hemoglobin", "104", "g/L"]])),
              "N/A, see note, haemolysed, QNS and - as results", "labs: read 6, accepted 1, rejected 5"),
        Entry("formula_cells.csv",
              lambda: utf8(lab([["p1", "2024-03-01", t, f, u] for t, f, u in
                                zip(["Hemoglobin", "MCV", "Vitamin B12", "Folate"], FORMULAS,
                                    ["g/L", "fL", "pmol/L", "nmol/L"], strict=True)]
                               + [[f, f"2024-03-0{i + 2}", "Hemoglobin", str(91 + i), "g/L"]
                                  for i, f in enumerate(FORMULAS)]
                               + [["p1", "2024-03-09", f, "5", "g/L"] for f in FORMULAS])),
              "spreadsheet formulas as results, patient ids and test names",
              "labs: read 12, accepted 4 (formula ids kept verbatim), ignored 4, rejected 4"),
        Entry("html_script.csv",
              lambda: utf8(lab([["p1", "2024-03-01", s, "5", "g/L"] for s in SCRIPTS]
                               + [[s, "2024-03-01", "Hemoglobin", "91", "g/L"] for s in SCRIPTS])),
              "<script> and <img onerror> as test names and patient ids",
              "labs: read 4, accepted 2, ignored 2"),
        Entry("markdown_names.csv",
              lambda: utf8(lab([["p1", "2024-03-01", m, "5", "g/L"] for m in MARKDOWN]
                               + [[m, "2024-03-01", "Hemoglobin", "91", "g/L"] for m in MARKDOWN]
                               + [["p1", "2024-03-02", "Hemoglobin", "91", "[g/L](http://evil)"]])),
              "Markdown link and bold in test names, patient ids and a unit",
              "labs: read 5, accepted 2, ignored 2, rejected 1"),
        Entry("leading_zero_ids.csv",
              lambda: utf8(lab([[p, "2024-03-01", "Hemoglobin", "91", "g/L"] for p in
                                ("000123", "0004711", "007", "00", "0")])),
              "patient ids with leading zeros", "labs: read 5, accepted 5; ids kept as text"),
        Entry("nul_bytes.csv",
              lambda: utf8(lab(std[:1])) + b"p1,2024-03-15,Hemo\x00globin,104,g/L\x00\n"
                      + b"p1,2024-03-01,Vitamin B12,11\x000,pmol/L\n",
              "NUL bytes inside a name, after a unit and inside a number", "labs: read 3, accepted 3"),
        Entry("semicolon_commas.csv",
              lambda: utf8(table([["Patient", "Date", "Test", "Result", "Unit", "Comment"],
                                  ["p1", "14.03.2024", "Hb", "9,1", "g/dL", "fasting, morning, left arm"],
                                  ["p1", "28.03.2024", "Hb", "10,4", "g/dL", "ok"],
                                  ["p1", "14.03.2024", "MCV", "105,5", "fL", "a, b"]], delim=";")),
              "semicolon delimiter with decimal commas and commas in comments",
              "labs: read 3, accepted 3; 9,1 g/dL is 91 g/L"),
        Entry("untracked_only.csv",
              lambda: utf8(lab([["p1", "2024-03-01", "WBC", "6.1", "10*9/L"],
                                ["p1", "2024-03-01", "Sodium", "139", "mmol/L"],
                                ["p1", "2024-03-01", "Platelets", "250", "10*9/L"]])),
              "only tests the app does not track", "labs: read 3, ignored 3, accepted 0"),
        Entry("unknown_names_only.csv",
              lambda: utf8(lab([["p1", "2024-03-01", "Zinc Protoporphyrin", "40", "ug/dL"],
                                ["p1", "2024-03-01", "Foo", "1", ""],
                                ["p1", "2024-03-02", "Foo", "2", ""]])),
              "only test names nobody has mapped", "labs: read 3, ignored 3; 2 unknown names listed"),
        Entry("cyanokit.csv",
              lambda: utf8(table([DOSE,
                                  ["p1", "2024-03-01", "Hydroxocobalamin 1 mg/mL injection", "1", "mg", "IM"],
                                  ["p1", "2024-03-03", "Hydroxocobalamin 1 mg/mL injection", "1", "mg", "IM"],
                                  ["p1", "2024-03-04", "Cyanokit 5 g", "5", "g", "IV"]])),
              "an injection record with a 5 g Cyanokit (cyanide antidote) row",
              "doses: read 3, accepted 2, ignored 1 (not a B12 replacement dose)"),
        Entry("doses_ml_no_strength.csv",
              lambda: utf8(table([DOSE,
                                  ["p1", "2024-03-01", "Hydroxocobalamin", "1", "mL", "IM"],
                                  ["p1", "2024-03-03", "Cyanocobalamin", "1", "mL", "IM"],
                                  ["p1", "2024-03-05", "Methylcobalamin", "1", "mL", "IM"]])),
              "doses in mL with no strength written",
              "doses: read 3, accepted 2 (usual 1 mg/mL, noted), rejected 1 (no strength known)"),
        Entry("symptoms_out_of_range.csv",
              lambda: utf8(table([["Date", "Symptom", "Score"],
                                  ["2024-03-01", "fatigue", "11"], ["2024-03-01", "tingling", "-1"],
                                  ["2024-03-02", "fatigue", "5"], ["2024-03-03", "fatigue", "ten"],
                                  ["2024-03-04", "fatigue", "10"], ["2024-03-05", "fatigue", "0"],
                                  ["2024-03-06", "fatigue", "7.5"], ["2024-03-07", "fatigue", "1e9"]])),
              "a symptom diary with scores out of 0-10 and not numbers",
              "symptoms: read 8, accepted 4, rejected 4"),
        Entry("trailing_delimiter.csv", lambda: utf8(lab(std).replace("\n", ",\n")),
              "a trailing comma on every line", "labs: read 3, accepted 3"),
        Entry("title_lines.csv",
              lambda: utf8("Laboratory report\nPatient: Jane Doe\nPrinted: 14/03/2024 10:00\n\nAll results\n"
                           + lab(std)),
              "5 title lines (one blank) before the header", "labs: read 3, accepted 3"),
        Entry("excel_sep_line.csv", lambda: utf8("sep=;\n" + table([LAB, *std], delim=";")),
              "Excel's 'sep=;' line before the header", "labs: read 3, accepted 3"),
        Entry("line_separator_title.csv",
              lambda: utf8("Lab report\u2028St Mary\x85s\nPrinted 2024\n" + lab(std)),
              "U+2028 and NEL inside a title line (not line ends for CSV)", "labs: read 3, accepted 3"),
        Entry("wide_units_row.csv",
              lambda: utf8(table([["Patient ID", "Date", "Haemoglobin", "MCV", "Vitamin B12"],
                                  ["", "", "g/dL", "fL", "pg/mL"],
                                  ["p1", "14/03/2024", "9.1", "105", "150"],
                                  ["p1", "28/03/2024", "10.4", "101", "800"]])),
              "a wide file whose first data row holds the units",
              "labs: read 6, accepted 6; Hb 91 and 104 g/L"),
        Entry("tab_separated.tsv", lambda: utf8(table([LAB, *std], delim="\t")), "tab-separated",
              "labs: read 3, accepted 3"),
        Entry("pipe_separated.txt", lambda: utf8(table([LAB, *std], delim="|")), "pipe-separated",
              "labs: read 3, accepted 3"),
        Entry("ragged_rows.csv",
              lambda: utf8(lab(std[:2]) + "p1,2024-03-01,Vitamin B12,1,100,pmol/L\np1,2024-03-29,Hemoglobin\n"),
              "a row with an unquoted comma (too many cells) and a short row",
              "labs: read 4, accepted 2, rejected 2"),
        Entry("one_column.csv", lambda: b"Hemoglobin\n91\n104\n", "one column, no delimiter",
              "InputError (no test and result columns)"),
        Entry("only_delimiters.csv", lambda: b",,,,\n,,,,\n;;\n", "delimiters and nothing else",
              "InputError (no test columns)"),
        Entry("long_patient_id.csv",
              lambda: utf8(lab([[LONG_ID, "2024-03-01", "Hemoglobin", "91", "g/L"]])),
              "a 10,001-character patient id", "labs: read 1, accepted 1; id kept whole"),
        Entry("emoji_names.csv",
              lambda: utf8(table([[*LAB, "Comment"],
                                  ["😀-001", "2024-03-01", "Hemoglobin 🩸", "91", "g/L", "👍"],
                                  ["😀-001", "2024-03-01", "🧪🧪", "5", "g/L", ""]])),
              "emoji in patient ids, test names and comments",
              "labs: read 2, accepted 1, ignored 1 (🧪🧪 unknown)"),
        Entry("rtl_text.csv",
              lambda: utf8(lab([["מטופל-7", "2024-03-01", "Hemoglobin", "91", "g/L"],
                                ["מטופל-7", "2024-03-01", "هيموغلوبين", "9", "g/dL"],
                                ["\u202e1234", "2024-03-01", "\u202eHemoglobin", "92", "g/L"]])),
              "Hebrew ids, an Arabic test name, right-to-left override characters",
              "labs: read 3, accepted 2, ignored 1"),
        Entry("same_file.csv", lambda: utf8(lab(std)), "uploaded twice in the tests",
              "labs: read 3, accepted 3; twice: 3 kept, 3 duplicates"),
    ]


def write(entries: list[Entry]) -> None:
    FILES.mkdir(parents=True, exist_ok=True)
    names = {e.name for e in entries}
    for old in FILES.iterdir():
        if old.name not in names:
            old.unlink()
    for entry in entries:
        data = entry.make()
        assert len(data) < 300_000, entry.name
        (FILES / entry.name).write_bytes(data)


def readme(entries: list[Entry]) -> str:
    def cell(text: str) -> str:
        return text.replace("|", "\\|").replace("<", "&lt;")

    lines = [
        "# Hostile-input corpus",
        "",
        "Odd or hostile files every reader, importer, the CLI and the app must survive with one clear",
        "message (`InputError`) or an import whose counts add up. Written by `make_corpus.py`",
        "(deterministic; run `.venv/bin/python tests/corpus/make_corpus.py` from the repo root);",
        "checked by `tests/test_corpus.py`, whose `EXPECT` table is the authority for the counts.",
        "",
        "Counts are `read, accepted, ignored, duplicates, rejected` of `counts`, per file. The expected",
        "outcome is what the code should do. Where it does something else today, the test keeps the",
        "strict expectation and marks the case `xfail(strict=True)` with what happens instead (see",
        "`IMPORT_FAILS`, `CLI_FAILS` and `APP_CASES` in `tests/test_corpus.py`).",
        "",
        "| file | exercises | expected |",
        "|---|---|---|",
    ]
    lines += [f"| `{e.name}` | {cell(e.exercises)} | {cell(e.expected)} |" for e in entries]
    lines += [
        "",
        "Built at test time (too large to commit):",
        "",
        "| file | exercises | expected |",
        "|---|---|---|",
        "| `rows_200000.csv` | 200,000 rows of one test (1,000 patients x 200 days) | "
        "labs: read 200000, accepted 200000 |",
        "| `columns_20000.csv` | a 20,000-column header (wide layout) | labs: read 2, accepted 2 |",
        "",
    ]
    return "\n".join(lines)


def main() -> None:
    entries = corpus()
    assert len({e.name for e in entries}) == len(entries)
    write(entries)
    (HERE / "README.md").write_text(readme(entries), encoding="utf-8")
    print(f"wrote {len(entries)} files to {FILES}")


if __name__ == "__main__":
    main()
