"""Reading bytes into tables of text: encodings, delimiters, headers, workbooks, bad input."""

from __future__ import annotations

import datetime as dt
import io

import pytest

from b12core import InputError, read_file, read_tables
from tests.conftest import xlsx_bytes


def test_every_cell_stays_text_so_ids_and_locale_dates_survive():
    raw = read_file(b"Patient;Datum;Wert\n0004711;01.02.2024;7,5\n", "lab.csv")
    assert raw.delimiter == ";"
    assert raw.table.iloc[0].tolist() == ["0004711", "01.02.2024", "7,5"]


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "utf-16", "cp1252", "latin-1"])
def test_encodings_are_detected_and_micro_sign_survives(encoding):
    text = "Test,Result,Unit\nHomocysteine,12.5,µmol/L\n"
    raw = read_file(text.encode(encoding), "lab.csv")
    assert raw.table["Unit"].iloc[0] == "µmol/L"
    assert list(raw.table.columns) == ["Test", "Result", "Unit"]


def test_latin1_is_reported_as_windows_1252_or_latin1():
    raw = read_file("Untersuchung;Wert\nHämoglobin;8,1\n".encode("latin-1"), "lab.csv")
    assert raw.encoding in ("cp1252", "latin-1")
    assert raw.table["Untersuchung"].iloc[0] == "Hämoglobin"


@pytest.mark.parametrize("delimiter", [",", ";", "\t", "|"])
def test_delimiters(delimiter):
    text = delimiter.join(["Test", "Result", "Unit"]) + "\n" + delimiter.join(["Hb", "12.5", "g/dL"]) + "\n"
    raw = read_file(text.encode(), "lab.txt")
    assert raw.delimiter == delimiter
    assert raw.table.iloc[0].tolist() == ["Hb", "12.5", "g/dL"]


def test_semicolon_file_with_decimal_commas_is_not_split_on_commas():
    text = "Test;Wert;Einheit\nHb;7,5;mmol/l\nMCV;101,2;fl\nB12;150;pmol/l\n"
    raw = read_file(text.encode(), "lab.csv")
    assert raw.delimiter == ";"
    assert raw.table["Wert"].tolist() == ["7,5", "101,2", "150"]


def test_preamble_lines_before_the_header_are_skipped_with_a_note():
    text = "Pathology cumulative report\nPrinted 01/07/2024\nTest,Result,Unit\nHb,12.5,g/dL\n"
    raw = read_file(text.encode(), "lab.csv")
    assert list(raw.table.columns) == ["Test", "Result", "Unit"]
    assert len(raw.table) == 1
    assert any("before the header" in n for n in raw.notes)


def test_the_lines_above_the_header_are_kept_as_the_report_wrote_them():
    text = ("Results Review\n"
            "Name: DOE, JANE (MRN 0042)\n"
            "Date Collected:,03/14/2024 08:30,,\n"
            "\n"
            '"Printed: 03/20/2024, 17:05",,,,\n'
            "Test,Result,Units,Ref Range,Flag\n"
            "Hemoglobin,9.1,g/dL,13.5-17.5,L\n")
    raw = read_file(text.encode(), "results_review.csv")
    assert raw.preamble == ("Results Review", "Name: DOE, JANE (MRN 0042)", "Date Collected:,03/14/2024 08:30",
                            "Printed: 03/20/2024, 17:05")  # a line that is one quoted cell reads as that cell
    assert list(raw.table.columns) == ["Test", "Result", "Units", "Ref Range", "Flag"]
    assert read_file(b"Test,Result\nHb,12\n", "plain.csv").preamble == ()


def test_a_sheets_rows_above_the_header_are_kept_cell_by_cell():
    data = xlsx_bytes([
        ["Cumulative report"],
        ["Patient ID:", "12345"],
        ["Date Collected:", dt.datetime(2024, 3, 14, 8, 30), None, "Ward 5"],
        ["Test", "Result", "Units", "Reference range", "Flag"],
        ["Hemoglobin", 9.1, "g/dL", "13.5-17.5", "L"],
    ])
    raw = read_file(data, "report.xlsx")
    assert raw.preamble == ("Cumulative report", "Patient ID:\t12345", "Date Collected:\t2024-03-14 08:30:00\tWard 5")
    assert raw.table["Test"].tolist() == ["Hemoglobin"]


def test_quoted_newlines_and_mixed_line_endings():
    text = 'Test,Result,Comment\r\nHb,12.5,"two\nlines"\nMCV,90,plain\rB12,300,x\r\n'
    raw = read_file(text.encode(), "lab.csv")
    assert raw.table["Test"].tolist() == ["Hb", "MCV", "B12"]
    assert raw.table["Comment"].iloc[0] == "two\nlines"


def test_duplicate_and_blank_headers_are_made_unique():
    raw = read_file(b"Value,Value,\n1,2,3\n", "x.csv")
    assert list(raw.table.columns) == ["Value", "Value.2", "Column 3"]


def test_ragged_rows_short_are_padded_long_are_rejected_with_a_reason():
    text = "Test,Result,Unit\nHb,12.5\nMCV,90,fL,extra\nB12,300,pg/mL\n"
    raw = read_file(text.encode(), "lab.csv")
    assert raw.table["Test"].tolist() == ["Hb", "B12"]
    assert raw.table.index.tolist() == [0, 2]  # data rows 1 and 3
    assert [b.row for b in raw.bad_rows] == [2]
    assert "4 cells but the header has 3" in raw.bad_rows[0].reason
    assert raw.rows == 3


def test_blank_lines_are_not_rows():
    raw = read_file(b"Test,Result\n\nHb,12\n\nMCV,90\n", "x.csv")
    assert raw.table["Test"].tolist() == ["Hb", "MCV"]


@pytest.mark.parametrize("data,words", [
    (b"", "empty"),
    (b"   \n\n", "empty"),
    (b"\x89PNG\r\n\x1a\n" + bytes(200), "image"),
    (bytes(range(256)) * 20, "binary"),
    (b"%PDF-1.4 ...", "PDF"),
])
def test_things_that_are_not_tables_give_one_clear_error(data, words):
    with pytest.raises(InputError, match=words):
        read_tables(data, "upload.csv")


def test_broken_zip_named_xlsx_is_a_clear_error():
    with pytest.raises(InputError, match="could not be opened as a spreadsheet"):
        read_tables(b"PK\x03\x04" + b"not really a zip" * 10, "labs.xlsx")


def test_xlsx_typed_cells_become_unambiguous_text():
    data = xlsx_bytes([
        ["Pathology cumulative report"],
        ["Specimen Date", "Haemoglobin (g/L)", "NHS Number"],
        [dt.datetime(2024, 3, 14), 84, "943 476 5919"],
        [dt.datetime(2024, 3, 21, 9, 30), 92.5, "943 476 5919"],
    ])
    raw = read_file(data, "early.xlsx")
    assert list(raw.table.columns) == ["Specimen Date", "Haemoglobin (g/L)", "NHS Number"]
    assert raw.table["Specimen Date"].tolist() == ["2024-03-14", "2024-03-21 09:30:00"]
    assert raw.table["Haemoglobin (g/L)"].tolist() == ["84", "92.5"]
    assert raw.sheet == "Results"


def test_a_computed_number_in_a_workbook_reads_as_the_spreadsheet_shows_it():
    data = xlsx_bytes([  # results a formula computed (0.1+0.7) carry binary noise in the file
        ["Patient ID", "Date", "Test", "Result", "Units"],
        ["P1", "2025-01-09", "Reticulocytes", 0.1 + 0.7, "%"],
        ["P1", "2025-01-09", "Hemoglobin", 10.01, "g/dL"],
        ["P1", "2025-01-09", "MMA", 1 / 3, "umol/L"],
        ["P1", "2025-01-09", "Vitamin B12", 187.0, "pg/mL"],
    ])
    raw = read_file(data, "noise.xlsx")
    assert raw.table["Result"].tolist() == ["0.8", "10.01", "0.333333333333333", "187"]


def test_workbook_with_two_filled_sheets_gives_two_tables():
    import io

    from openpyxl import Workbook

    book = Workbook()
    book.active.append(["Test", "Result"])
    book.active.append(["Hb", 12])
    other = book.create_sheet("Later")
    other.append(["Test", "Result"])
    other.append(["MCV", 90])
    book.create_sheet("Empty")
    buffer = io.BytesIO()
    book.save(buffer)
    tables = read_tables(buffer.getvalue(), "book.xlsx")
    assert [t.name for t in tables] == ["book.xlsx [Sheet]", "book.xlsx [Later]"]


def test_columns_are_kept_once_per_distinct_text_and_rows_map_back_to_file_rows():
    """The reader stores each distinct text of a column once (Arrow dictionary), and a rejected
    row's cells are found again by its row number, even when an unsplittable row sits before it."""
    text = "Test,Result,Unit\nHb,12.5,g/dL\nMCV,90,fL,extra\nHb,13.1,g/dL\n"
    raw = read_file(text.encode(), "lab.csv")
    assert raw.columns == ["Test", "Result", "Unit"]
    assert raw.data_rows().tolist() == [1, 3]
    assert raw.frame(raw.positions([3]))["Result"].tolist() == ["13.1"]
    big = read_file(("Test,Result\n" + "Hb,12\nMCV,90\n" * 500).encode(), "big.csv")
    test = big.column("Test")
    assert big.rows == 1000 and len(test.dictionary) == 2
    assert big.head(3)["Test"].tolist() == ["Hb", "MCV", "Hb"]


def test_file_with_header_only_or_blank_body_has_no_rows():
    for text in ("Test,Result\n", "Test,Result\n \n\t\n"):
        raw = read_file(text.encode(), "x.csv")
        assert raw.rows == 0 and raw.columns == ["Test", "Result"]


def test_a_very_wide_header_is_refused_with_its_real_width():
    """The header of a 100,000-column file is longer than the sample the reader looks at first;
    the refusal still counts every column (it used to say 39,037)."""
    header = ",".join(f"Column{i}" for i in range(100_000))
    with pytest.raises(InputError, match=r"^wide.csv has 100,000 columns; a lab export has far fewer"):
        read_tables((header + "\n" + "1," * 99_999 + "1\n").encode(), "wide.csv")


def test_a_header_of_millions_of_cells_is_refused_without_splitting_it():
    """A 20 MB header line: refused with its width, reading only a bounded sample into cells."""
    import tracemalloc

    data = b"x," * 10_000_000 + b"x\n1,2\n"
    tracemalloc.start()
    with pytest.raises(InputError, match=r"^wide.csv has 10,000,001 columns"):
        read_tables(data, "wide.csv")
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert peak < 200 * 2**20  # a few copies of the 20 MB text, not 20 million cells (over 1 GB)


# FHIR files given as lab exports: one clear line, never a table of JSON or XML text.
_FHIR_OBSERVATION = ('{"resourceType": "Observation", "status": "final", "code": {"coding": [{"system": '
                     '"http://loinc.org", "code": "2132-9"}]}, "valueQuantity": {"value": 310, "unit": "pg/mL"}}')
FHIR_FILES = {
    "bundle.json": ('{\n  "resourceType": "Bundle",\n  "type": "searchset",\n  "entry": [{"resource": '
                    + _FHIR_OBSERVATION + "}]\n}\n").encode(),
    "observations.ndjson": "\n".join([_FHIR_OBSERVATION] * 12).encode() + b"\n",
    "observation.json": b"\xef\xbb\xbf  " + _FHIR_OBSERVATION.encode(),
    "bundle.xml": (b'<?xml version="1.0" encoding="UTF-8"?>\n<Bundle xmlns="http://hl7.org/fhir">\n'
                   b'  <type value="collection"/>\n  <entry><resource><Observation><status value="final"/>'
                   b"</Observation></resource></entry>\n</Bundle>\n"),
}


@pytest.mark.parametrize("name", list(FHIR_FILES))
def test_fhir_files_are_refused_with_one_clear_line(name):
    with pytest.raises(InputError) as err:
        read_tables(FHIR_FILES[name], name)
    message = str(err.value)
    assert message.startswith(f"{name} is a FHIR file")
    assert "FHIR imports are not read yet" in message and "\n" not in message


@pytest.mark.parametrize("data,words", [
    (b'{"patient": "A1", "results": [{"test": "Hb", "value": 12.1}]}', "JSON"),
    (b'<?xml version="1.0"?>\n<results><result test="Hb" value="12.1"/></results>\n', "XML"),
])
def test_other_json_and_xml_are_not_tables(data, words):
    with pytest.raises(InputError, match=f"is not a table: it looks like {words}"):
        read_tables(data, "upload.csv")


def test_a_csv_that_mentions_fhir_is_still_a_table():
    raw = read_file(b'Test,Result,Comment\nHb,12.1,"{""resourceType"": ""Observation""}"\n', "lab.csv")
    assert raw.table["Test"].tolist() == ["Hb"]


def test_a_title_line_that_splits_into_cells_is_not_the_header():
    # "Name: DOE, JANE" is two cells of a comma-separated file, near the width of the table below it.
    raw = read_file(b"Name: DOE, JANE\nDate Collected: 03/02/2025\nTest,Result,Units\nHemoglobin,9.1,g/dL\n"
                    b"MCV,104,fL\n", "report.csv")
    assert raw.columns == ["Test", "Result", "Units"]
    assert raw.preamble == ("Name: DOE, JANE", "Date Collected: 03/02/2025")
    assert len(raw.table) == 2


def test_a_header_with_a_blank_cell_is_still_the_header():
    raw = read_file(b"Patient,,Test,Result\nP1,2025-01-01,Hb,9.1\nP1,2025-02-01,Hb,10.2\n", "labs.csv")
    assert raw.columns == ["Patient", "Column 2", "Test", "Result"]


def test_a_cell_merged_down_several_rows_gives_each_row_its_value():
    from openpyxl import Workbook
    book = Workbook()
    sheet = book.active
    sheet.append(["Cumulative report"])
    sheet.merge_cells("A1:D1")  # a title merged across: stays one cell of the title line
    for row in (["MRN", "Date", "Test", "Result"], ["0042", "2025-01-15", "Hb", 9.1],
                [None, "2025-01-15", "MCV", 104], [None, "2025-02-20", "Hb", 11.2]):
        sheet.append(row)
    sheet.merge_cells("A3:A5")  # one patient's id merged down over their rows
    buffer = io.BytesIO()
    book.save(buffer)
    raw = read_file(buffer.getvalue(), "cumulative.xlsx")
    assert raw.preamble == ("Cumulative report",)
    assert raw.table["MRN"].tolist() == ["0042", "0042", "0042"]
