"""The hostile-input corpus (``tests/corpus/``): every file read and imported in process, run through
the CLI, and a nasty subset uploaded to the app.

The rule for every input: either it imports with counts that add up, or it raises ``InputError``
with one line that names the file. Nothing else may escape: no other exception, no traceback, no
second line on stderr, no user text rendered as live HTML or Markdown. The outcome of each file is
worked out by hand in ``EXPECT`` (counts are read, accepted, ignored, duplicates, rejected).
"""

from __future__ import annotations

import functools
import json
import re
from dataclasses import dataclass

import pandas as pd
import pytest

from b12core import InputError, detect_kind, import_labs, read_tables
from b12core.cli import main as cli_main
from b12core.doses import import_doses
from b12core.symptoms import import_symptoms
from b12core.workspace import build_workspace
from tests.app import conftest as app_conftest
from tests.conftest import REPO
from tests.corpus.make_corpus import FORMULAS, LARGE, LONG_ID, MARKDOWN, SCRIPTS, corpus

CORPUS = REPO / "tests" / "corpus" / "files"
IMPORTERS = {"labs": import_labs, "doses": import_doses, "symptoms": import_symptoms}


@dataclass(frozen=True)
class Err:
    """``InputError`` whose message contains ``words``."""

    words: str


@dataclass(frozen=True)
class Ok:
    kind: str
    read: int
    accepted: int
    ignored: int = 0
    duplicates: int = 0
    rejected: int = 0


def ok(kind: str, read: int, accepted: int, ignored: int = 0, rejected: int = 0) -> Ok:
    return Ok(kind, read, accepted, ignored, 0, rejected)


def labs(read: int, accepted: int, ignored: int = 0, rejected: int = 0) -> Ok:
    return ok("labs", read, accepted, ignored, rejected)


# file -> expected outcome (one table), or table name -> outcome (workbooks with several sheets)
EXPECT: dict[str, Err | Ok | dict[str, Ok]] = {
    # not a table at all
    "empty.csv": Err("is empty"),
    "whitespace_only.csv": Err("is empty"),
    "binary.csv": Err("binary data"),
    "gzip.csv": Err("gzip archive"),
    "pdf.csv": Err("PDF document"),
    "image.xlsx": Err("image (PNG)"),
    "broken.xlsx": Err("could not be opened as a spreadsheet"),
    "fake.xls": Err("could not be opened as a spreadsheet"),
    "empty_sheet.xlsx": Err("no filled cells"),
    "one_column.csv": Err("no result column"),
    "only_delimiters.csv": Err("is this a lab export"),
    "ambiguous_dates.csv": Err("choose the date order"),
    "ambiguous_dates_newline.csv": Err("choose the date order"),
    # workbooks
    "two_sheets.xlsx": {"two_sheets.xlsx [Labs]": labs(3, 3), "two_sheets.xlsx [Injections]": ok("doses", 2, 2)},
    "xlsx_formulas.xlsx": labs(3, 1, rejected=2),
    "csv_named.xlsx": labs(3, 3),
    # encodings and line ends
    "utf16_bom.csv": labs(2, 2),
    "utf16be_bom.csv": labs(2, 2),
    "utf16le_nobom.csv": labs(2, 2),
    "latin1_micro.csv": labs(2, 2),
    "cp1252_smart_quotes.csv": labs(2, 2),
    "utf8_bom.csv": labs(3, 3),
    "invalid_utf8.csv": labs(2, 1, ignored=1),
    "mixed_line_endings.csv": labs(4, 4),
    "nul_bytes.csv": labs(3, 3),
    # shape of the table
    "header_only.csv": labs(0, 0),
    "huge_field.csv": labs(2, 1, ignored=1),
    "quoted_newlines.csv": labs(4, 3, ignored=1),
    "duplicate_columns.csv": labs(2, 2),
    "blank_header_cells.csv": labs(3, 3),
    "trailing_delimiter.csv": labs(3, 3),
    "title_lines.csv": labs(3, 3),
    "excel_sep_line.csv": labs(3, 3),
    "line_separator_title.csv": labs(3, 3),
    "wide_units_row.csv": labs(6, 6),
    "tab_separated.tsv": labs(3, 3),
    "pipe_separated.txt": labs(3, 3),
    "semicolon_commas.csv": labs(3, 3),
    "ragged_rows.csv": labs(4, 2, rejected=2),
    "columns_20000.csv": Err("has 20,000 columns"),
    "rows_200000.csv": labs(200_000, 200_000),
    # values, units, dates
    "mixed_units_hb.csv": labs(4, 4),
    "two_date_formats.csv": labs(4, 4),
    "impossible_dates.csv": labs(5, 1, rejected=4),
    # The core reads any year a file gives (MIMIC shifts dates to 2100-2200 on purpose); the app
    # passes not_after=tomorrow and refuses them: see test_future_dates_are_refused_when_today_is_given.
    "future_dates.csv": labs(3, 3),
    "negative_zero.csv": labs(5, 1, rejected=4),
    "non_numeric_values.csv": labs(6, 1, rejected=5),
    # hostile text
    "formula_cells.csv": labs(12, 4, ignored=4, rejected=4),
    "html_script.csv": labs(4, 2, ignored=2),
    "markdown_names.csv": labs(5, 2, ignored=2, rejected=1),
    "leading_zero_ids.csv": labs(5, 5),
    "long_patient_id.csv": labs(1, 1),
    "emoji_names.csv": labs(2, 1, ignored=1),
    "rtl_text.csv": labs(3, 2, ignored=1),
    # which tests, which kind of file
    "untracked_only.csv": labs(3, 0, ignored=3),
    "unknown_names_only.csv": labs(3, 0, ignored=3),
    "same_file.csv": labs(3, 3),
    "cyanokit.csv": ok("doses", 3, 2, ignored=1),
    "doses_ml_no_strength.csv": ok("doses", 3, 2, rejected=1),
    "symptoms_out_of_range.csv": ok("symptoms", 8, 4, rejected=4),
}

# Where the code is wrong today (each case is still asserted strictly; see the reasons).
IMPORT_FAILS: dict[str, tuple[str, type[BaseException]]] = {}  # file -> (what happens instead, exception)
CLI_FAILS: dict[str, tuple[str, type[BaseException]]] = {}
CLI_MAX_LINE = 500  # "one clear line": a summary that quotes a 60 KB cell is not one


def names() -> list[str]:
    return sorted(p.name for p in CORPUS.iterdir()) + list(LARGE)


def cases(fails: dict[str, tuple[str, type[BaseException]]]) -> list:
    return [pytest.param(n, marks=pytest.mark.xfail(strict=True, reason=fails[n][0], raises=fails[n][1]))
            if n in fails else n for n in names()]


@functools.cache
def load(name: str) -> bytes:
    return LARGE[name]() if name in LARGE else (CORPUS / name).read_bytes()


def tables_of(expected: Ok | dict[str, Ok], name: str) -> dict[str, Ok]:
    return expected if isinstance(expected, dict) else {name: expected}


def import_file(name: str) -> dict[str, tuple[str, object]]:
    """table name -> (kind, import result), as the app does it (read, detect, import)."""
    out = {}
    for raw in read_tables(load(name), name):
        kind = detect_kind(raw)
        out[raw.name] = (kind, IMPORTERS[kind](raw))
    return out


def frame_of(result) -> pd.DataFrame:
    return next(getattr(result, f) for f in ("labs", "doses", "symptoms") if hasattr(result, f))


def assert_one_line_naming(message: str, name: str) -> None:
    assert message.strip(), "empty message"
    assert "\n" not in message and "\r" not in message, f"message spans lines: {message!r}"
    assert name in message, f"message does not name the file: {message!r}"


def test_every_corpus_file_has_an_expectation():
    assert sorted(EXPECT) == sorted(names())
    assert len(names()) >= 40


def test_committed_files_are_what_the_generator_writes():
    entries = corpus()
    assert sorted(e.name for e in entries) == sorted(p.name for p in CORPUS.iterdir())
    changed = [e.name for e in entries if e.make() != load(e.name)]
    assert not changed, "run .venv/bin/python tests/corpus/make_corpus.py"


# --- 1. in process ----------------------------------------------------------------------------

@pytest.mark.parametrize("name", cases(IMPORT_FAILS))
def test_import(name):
    expected = EXPECT[name]
    try:
        results = import_file(name)
    except InputError as err:
        assert_one_line_naming(str(err), name)
        assert isinstance(expected, Err), f"unexpected InputError: {err}"
        assert expected.words in str(err)
        return
    assert not isinstance(expected, Err), f"imported, but expected InputError ({expected.words!r})"
    got = {table: Ok(kind, *(int(result.counts[c].sum()) for c in
                             ("read", "accepted", "ignored", "duplicates", "rejected")))
           for table, (kind, result) in results.items()}
    assert got == tables_of(expected, name)
    for table, (kind, result) in results.items():
        c = result.counts
        assert list(c["source_file"]) == [table]
        assert (c["read"] == c["accepted"] + c["ignored"] + c["duplicates"] + c["rejected"]).all()
        assert int(c["accepted"].sum()) == len(frame_of(result))
        assert int(c["rejected"].sum()) == len(result.rejections)
        assert (result.rejections["reason"].str.strip() != "").all()
        listed = [getattr(result, f, None) for f in ("unknown_names", "ignored_names")]
        if kind != "symptoms":  # every ignored row is listed under its name
            assert sum(int(n["rows"].sum()) for n in listed if n is not None) == int(c["ignored"].sum())
        if "patient_id" in frame_of(result):
            assert all(isinstance(p, str) for p in frame_of(result)["patient_id"])


def dates(values: pd.Series) -> list[str]:
    return [f"{v:%Y-%m-%d}" for v in values]


# file, column of the first table, values in order (for what the counts cannot show)
VALUES = [
    ("leading_zero_ids.csv", "patient_id", ["000123", "0004711", "007", "00", "0"]),
    ("two_sheets.xlsx", "patient_id", ["000123"] * 3),
    ("latin1_micro.csv", "patient_id", ["0004711"] * 2),
    ("latin1_micro.csv", "reported_unit", ["µmol/l", "mmol/l"]),
    ("latin1_micro.csv", "value", [12.5, pytest.approx(7.4 * 16.1145, rel=1e-3)]),
    ("utf16_bom.csv", "reported_unit", ["µmol/L", "g/L"]),
    ("utf16be_bom.csv", "reported_name", ["Homocysteine", "Hämoglobin"]),
    ("utf16le_nobom.csv", "reported_unit", ["µmol/L", "g/L"]),
    ("utf8_bom.csv", "patient_id", ["p1"] * 3),
    ("nul_bytes.csv", "value", [91.0, 104.0, 110.0]),
    ("mixed_units_hb.csv", "value", [91.0, 95.0, 102.0, 120.0]),
    ("semicolon_commas.csv", "value", [91.0, 104.0, 105.5]),
    ("wide_units_row.csv", "value", [91.0, 105.0, pytest.approx(150 * 0.7378, rel=1e-3),
                                     104.0, 101.0, pytest.approx(800 * 0.7378, rel=1e-3)]),
    ("two_date_formats.csv", "collected_at", ["2024-03-01", "2024-03-14", "2024-03-28", "2024-04-05"]),
    ("impossible_dates.csv", "collected_at", ["2024-03-15"]),
    ("mixed_line_endings.csv", "value", [91.0, 104.0, 110.0, 110.0]),
    ("formula_cells.csv", "patient_id", FORMULAS),
    ("xlsx_formulas.xlsx", "patient_id", ['=HYPERLINK("http://x","click")']),
    ("html_script.csv", "patient_id", SCRIPTS),
    ("markdown_names.csv", "patient_id", MARKDOWN),
    ("long_patient_id.csv", "patient_id", [LONG_ID]),
    ("emoji_names.csv", "patient_id", ["😀-001"]),
    ("rtl_text.csv", "patient_id", ["מטופל-7", "\u202e1234"]),
    ("cyanokit.csv", "dose_ug", [1000.0, 1000.0]),
    ("doses_ml_no_strength.csv", "dose_ug", [1000.0, 1000.0]),
    ("symptoms_out_of_range.csv", "score", [5.0, 10.0, 0.0, 7.5]),
]


@pytest.mark.parametrize(("name", "column", "values"), VALUES, ids=[f"{n}-{c}" for n, c, _ in VALUES])
def test_values(name, column, values):
    _kind, result = next(iter(import_file(name).values()))
    got = frame_of(result)[column]
    assert (dates(got) if column == "collected_at" else list(got)) == values


# file -> what each rejection's reason says, in row order
REASONS = {
    "non_numeric_values.csv": ["'N/A'", "'see note'", "'haemolysed'", "'QNS'", "'-'"],
    "impossible_dates.csv": ["'31/02/2024' does not exist", "before 1900", "'2024-13-01' does not exist",
                             "no collection date"],
    "negative_zero.csv": ["-5 g/dL is implausible", "-1 fL is implausible", "0 g/L is implausible",
                          "0 pmol/L is implausible"],
    "formula_cells.csv": FORMULAS,
    "markdown_names.csv": ["'[g/L](http://evil)' is not a unit"],
    "xlsx_formulas.xlsx": ["no result", "no result"],
    "doses_ml_no_strength.csv": ["strength per mL is not written"],
    "symptoms_out_of_range.csv": ["'11'", "'-1'", "'ten'", "'1e9'"],
}


@pytest.mark.parametrize("name", sorted(REASONS))
def test_rejection_reasons(name):
    _kind, result = next(iter(import_file(name).values()))
    reasons = list(result.rejections["reason"])
    assert len(reasons) == len(REASONS[name])
    for reason, words in zip(reasons, REASONS[name], strict=True):
        assert words in reason


def test_names_of_ignored_rows_are_listed():
    def listed(name: str, field: str) -> dict[str, int]:
        _kind, result = next(iter(import_file(name).values()))
        frame = getattr(result, field)
        return dict(zip(frame["name"], frame["rows"], strict=True))

    assert listed("untracked_only.csv", "ignored_names") == {"WBC": 1, "Sodium": 1, "Platelets": 1}
    assert listed("unknown_names_only.csv", "unknown_names") == {"Foo": 2, "Zinc Protoporphyrin": 1}
    assert set(listed("html_script.csv", "unknown_names")) == set(SCRIPTS)
    assert set(listed("markdown_names.csv", "unknown_names")) == set(MARKDOWN)
    assert set(listed("formula_cells.csv", "unknown_names")) == set(FORMULAS)
    cyanokit = listed("cyanokit.csv", "ignored_names")
    assert list(cyanokit) == ["Cyanokit 5 g (5 g: not a B12 replacement dose)"]


def test_raw_text_is_decoded_and_notes_say_what_was_cleaned():
    smart = read_tables(load("cp1252_smart_quotes.csv"), "cp1252_smart_quotes.csv")[0]
    assert smart.table["Comment"].tolist() == ["“fasting” – patient’s 1st visit", "‘repeat’ … ok"]
    nul = read_tables(load("nul_bytes.csv"), "nul_bytes.csv")[0]
    assert any("NUL" in note for note in nul.notes)
    assert "\x00" not in "".join(nul.table.to_numpy().ravel())
    quoted = read_tables(load("quoted_newlines.csv"), "quoted_newlines.csv")[0]
    assert quoted.table["Comment"].tolist()[:2] == ["first line\nsecond line", "a\r\nb"]
    huge = read_tables(load("huge_field.csv"), "huge_field.csv")[0]
    assert len(huge.table["Comment"].iat[0]) == 60_000


def test_the_same_file_twice_is_counted_and_kept_once():
    data = load("same_file.csv")
    ws = build_workspace([("same_file.csv", data), ("same_file.csv", data)])
    assert len(ws.labs.labs) == 3
    totals = ws.labs.counts[["read", "accepted", "duplicates"]].sum().to_dict()
    assert totals == {"read": 6, "accepted": 3, "duplicates": 3}
    ws = build_workspace([("same_file.csv", data), ("same_file (1).csv", data)])
    counts = ws.labs.counts.set_index("source_file")
    assert counts.loc["same_file.csv", ["accepted", "duplicates"]].tolist() == [3, 0]
    assert counts.loc["same_file (1).csv", ["accepted", "duplicates"]].tolist() == [0, 3]


def test_two_different_files_with_the_same_name_are_both_imported():
    first, second = load("same_file.csv"), load("mixed_units_hb.csv")  # two labs' exports, both export.csv
    ws = build_workspace([("export.csv", first), ("export.csv", second)])
    kept = {(f"{r.collected_at:%Y-%m-%d}", r.analyte, r.value) for r in ws.labs.labs.itertuples()}
    assert {("2024-03-15", "hemoglobin", 104.0), ("2024-03-01", "b12", 110.0)} <= kept  # first file
    assert {("2024-03-08", "hemoglobin", 95.0), ("2024-03-29", "hemoglobin", 120.0)} <= kept  # second file
    totals = ws.labs.counts[["read", "accepted", "duplicates"]].sum().to_dict()
    assert totals == {"read": 7, "accepted": 6, "duplicates": 1}  # Hb 91 g/L on 1 March is in both


# --- 2. the CLI in process --------------------------------------------------------------------

def cli_command(expected: Err | Ok | dict[str, Ok], name: str) -> str:
    if isinstance(expected, Err):
        return "labs"
    kinds = {o.kind for o in tables_of(expected, name).values()}
    return "doses" if kinds == {"doses"} else "labs"


@pytest.mark.parametrize("name", cases(CLI_FAILS))
def test_cli(name, tmp_path, capsys):
    expected = EXPECT[name]
    path = tmp_path / name
    path.write_bytes(load(name))
    command = cli_command(expected, name)
    code = cli_main([command, str(path), "-o", str(tmp_path / "out.parquet")])
    out, err = capsys.readouterr()
    assert "Traceback" not in err + out
    assert err.count("\n") == 1 and err.endswith("\n") and "\r" not in err, f"not one line: {err[:300]!r}"
    assert len(err) <= CLI_MAX_LINE, f"a {len(err)}-character line: {err[:120]!r}…"
    # A workbook is usable when one of its sheets is of the command's kind; the others are named.
    usable = not isinstance(expected, Err) and any(o.kind == command for o in tables_of(expected, name).values())
    assert code == (0 if usable else 2), err
    if usable:
        o = next(o for o in tables_of(expected, name).values() if o.kind == command)
        assert err.startswith(f"1 file: read {o.read}, accepted {o.accepted}, ignored {o.ignored}, "
                              f"duplicates {o.duplicates}, rejected {o.rejected}")
        assert len(pd.read_parquet(tmp_path / "out.parquet")) == o.accepted
    else:
        assert err.startswith("error: ") and name in err


# --- 3. the app (AppTest) ---------------------------------------------------------------------

app = app_conftest.app  # the AppTest fixture of tests/app: the real navigation script, first run done
GUARD = "Something went wrong"  # ui/guard.py: shown only when a page hits a bug
# user text that must never render live: a Markdown link or bold, an HTML tag whose "<" is not escaped
LIVE = re.compile(r"\[click\]\(http://evil\)|\*\*bold\*\*|(?<!\\)<(?:script|img)")
MD_NAME = "[click](http://evil) **bold**.csv"
HTML_NAME = "<img src=x onerror=alert(1)>.csv"
SCRIPT_NAME = "<script>alert(1)</script>.csv"


@dataclass(frozen=True)
class AppCase:
    id: str
    files: tuple[tuple[str, str], ...]  # (upload name, corpus file)
    error: str = ""  # words of the message the dashboard shows ("" = none expected)
    escaped: str = ""  # an escaped form some Markdown element must show
    fails: str = ""


APP_CASES = [
    AppCase("binary", ((SCRIPT_NAME, "binary.csv"),), "binary data", escaped="\\<script\\>"),
    AppCase("broken-xlsx", (("broken.xlsx", "broken.xlsx"),), "could not be opened as a spreadsheet"),
    AppCase("png-as-xlsx", (("image.xlsx", "image.xlsx"),), "image"),
    AppCase("utf16-bom", (("utf16_bom.csv", "utf16_bom.csv"),)),
    AppCase("utf16le-no-bom", (("utf16le_nobom.csv", "utf16le_nobom.csv"),)),
    AppCase("nul-bytes", (("nul_bytes.csv", "nul_bytes.csv"),)),
    AppCase("formula-cells", ((FORMULAS[0] + ".csv", "formula_cells.csv"),)),
    AppCase("script-html", ((HTML_NAME, "html_script.csv"),), escaped="\\<img"),
    AppCase("markdown-names", ((MD_NAME, "markdown_names.csv"),), escaped="\\[click\\]"),
    AppCase("huge-field", (("huge_field.csv", "huge_field.csv"),)),
    AppCase("20000-columns", (("columns_20000.csv", "columns_20000.csv"),), "has 20,000 columns"),
    AppCase("two-date-formats", (("two_date_formats.csv", "two_date_formats.csv"),)),
    AppCase("ambiguous-dates-newline", (("ambiguous_dates_newline.csv", "ambiguous_dates_newline.csv"),),
            "choose the date order"),
    AppCase("two-sheets", (("two_sheets.xlsx", "two_sheets.xlsx"),)),
    AppCase("same-file-twice", (("same_file.csv", "same_file.csv"), ("same_file.csv", "same_file.csv"))),
    AppCase("ragged-rows", (("ragged_rows.csv", "ragged_rows.csv"),)),
]


def app_cases() -> list:
    def marks(c: AppCase):
        return pytest.mark.xfail(strict=True, reason=c.fails, raises=AssertionError) if c.fails else ()

    return [pytest.param(c, id=c.id, marks=marks(c)) for c in APP_CASES]


def put(at, case: AppCase):
    if len({upload_name for upload_name, _ in case.files}) == len(case.files):
        return app_conftest.upload(at, contents={upload_name: load(corpus) for upload_name, corpus in case.files})
    # the same name twice, as a browser sends one file picked twice (a dict cannot hold it)
    files = [(upload_name, load(corpus), "text/csv") for upload_name, corpus in case.files]
    at.sidebar.file_uploader[0].set_value(files).run()
    assert not at.exception, [e.message for e in at.exception]
    return at


def markdown_texts(at) -> list[str]:
    """Every text the app passes through a Markdown renderer (messages, captions, labels)."""
    texts = [e.value for kind in ("markdown", "caption", "error", "warning", "info", "success", "title",
                                  "header", "subheader") for e in at.get(kind)]
    texts += [e.label for e in at.expander]
    texts += [w.label for kind in ("selectbox", "radio", "button", "multiselect") for w in at.get(kind)]
    return texts


def all_texts(at) -> list[str]:
    texts = markdown_texts(at) + [e.value for kind in ("text", "code") for e in at.get(kind)]
    texts += [e.message + "".join(e.stack_trace or ()) for e in at.exception]
    texts += [d.value.astype("str").to_csv() for d in at.dataframe]
    return texts


def check_page(at, case: AppCase, page: str) -> None:
    assert not at.exception, [e.message for e in at.exception]
    texts = all_texts(at)
    assert not any("Traceback" in t for t in texts), page
    assert not any(GUARD in e.value for e in at.error), f"{page}: the page hit a bug"
    live = [t[:120] for t in markdown_texts(at) if LIVE.search(t)]
    assert not live, f"{page}: user text rendered live: {live}"
    charts = at.get("plotly_chart")
    if charts:
        spec = json.loads(charts[0].proto.spec)
        assert not any(bad in json.dumps(spec) for bad in ("<script", "<img")), f"{page}: raw HTML in the figure"


@pytest.mark.parametrize("case", app_cases())
def test_app(app, case):
    put(app, case)
    check_page(app, case, "dashboard")
    errors = [e.value for e in app.error]
    if case.error:
        assert any(case.error in e for e in errors), errors
    else:
        assert not errors, errors
    dashboard = markdown_texts(app)
    app.switch_page("pages/import_review.py").run()  # the uploads stay with the session
    check_page(app, case, "import review")
    if case.escaped:
        assert any(case.escaped in t for t in dashboard + markdown_texts(app))
    labels = [re.sub(r"\\(.)", r"\1", e.label) for e in app.expander]  # as a person reads them
    for upload_name, _ in case.files:
        assert any(label.startswith(upload_name) for label in labels), f"{upload_name!r} not listed"
    if case.id == "same-file-twice":  # the second upload is its own file; its results repeat the first's
        counts = [d.value for d in app.dataframe if list(d.value.columns)[:2] == ["Read", "Accepted"]]
        assert [c[["Read", "Accepted", "Duplicates"]].iloc[0].tolist() for c in counts] == [[3, 3, 0], [3, 0, 3]]



def test_future_dates_are_refused_when_today_is_given():
    raw = read_tables(load("future_dates.csv"), "future_dates.csv")[0]
    imp = import_labs(raw, not_after=pd.Timestamp("2025-01-02"))
    assert imp.counts.iloc[0][["read", "accepted", "rejected"]].tolist() == [3, 1, 2]
    assert sorted(imp.rejections["reason"]) == ["date 2199-01-01 is in the future", "date 2199-12-31 is in the future"]
