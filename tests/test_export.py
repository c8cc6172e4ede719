"""Schedule exports: calendar (ICS), printable page (HTML), CSV and safe download names."""

from __future__ import annotations

import io
import re
from datetime import date

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from icalendar import Calendar

from b12core.errors import InputError
from b12core.export import (
    csv_bytes,
    day_text,
    dose_text,
    plan_to_csv,
    plan_to_html,
    plan_to_ics,
    safe_cell,
    safe_filename,
    safe_frame,
)
from b12core.regimens import PLAN_COLUMNS, build_plan, get_regimen

REGIMENS = ["UK-BNF-noneuro", "US-common", "UK-BNF-neuro", "US-FDA-cyano"]
HOSTILE = "<script>alert(1)</script>"


@pytest.fixture(params=REGIMENS)
def regimen_plan(request) -> tuple[str, pd.DataFrame]:
    """(regimen label, plan from 4 Mar 2024) for each regimen in REGIMENS."""
    return get_regimen(request.param).label, build_plan(request.param, "2024-03-04")


def events(ics: bytes) -> list:
    return Calendar.from_ical(ics).walk("VEVENT")


# --- ICS -----------------------------------------------------------------------------------------

@pytest.mark.parametrize("regimen_id", ["UK-BNF-noneuro", "US-common"])
def test_ics_has_one_event_per_dose_and_recheck(regimen_id):
    plan = build_plan(regimen_id, "2024-03-04")
    found = events(plan_to_ics(plan, get_regimen(regimen_id).label))
    assert len(found) == (plan["kind"] == "dose").sum() + (plan["kind"] == "recheck").sum() == len(plan)
    assert found[0].start == date(2024, 3, 4)
    assert found[0].end == date(2024, 3, 5)  # all-day
    assert [e.start for e in found] == [d.date() for d in plan["date"]]


def test_ics_summaries_read_like_the_brief():
    plan = build_plan("UK-BNF-noneuro", "2024-03-04")
    summaries = [str(e["SUMMARY"]) for e in events(plan_to_ics(plan, "UK"))]
    assert summaries[0] == "B12 injection (loading) — hydroxocobalamin 1 mg IM"
    assert "B12 injection (maintenance) — hydroxocobalamin 1 mg IM" in summaries
    assert "Blood test: full blood count and reticulocytes" in summaries
    assert "Review of your B12 treatment, with a full blood count" in summaries
    us = build_plan("US-FDA-cyano", "2024-03-04")
    assert str(events(plan_to_ics(us, "US"))[0]["SUMMARY"]) == (
        "B12 injection (loading) — cyanocobalamin 100 micrograms IM")


def test_ics_description_carries_what_and_source():
    plan = build_plan("UK-BNF-noneuro", "2024-03-04")
    found = events(plan_to_ics(plan, "UK"))
    recheck = next(i for i, k in enumerate(plan["kind"]) if k == "recheck")
    description = str(found[recheck]["DESCRIPTION"])
    assert plan.loc[recheck, "what"] in description
    assert plan.loc[recheck, "source"] in description
    assert "1 mg (1000 micrograms)" in str(found[0]["DESCRIPTION"])


@pytest.mark.parametrize("regimen_id", REGIMENS)
def test_ics_is_reproducible_and_uids_are_stable(regimen_id):
    label, plan = get_regimen(regimen_id).label, build_plan(regimen_id, "2024-03-04")
    first, second = plan_to_ics(plan, label), plan_to_ics(plan.copy(), label)
    assert first == second
    uids = [str(e["UID"]) for e in events(first)]
    assert len(set(uids)) == len(uids)
    assert all(u.endswith("@b12-followup.local") for u in uids)
    # a longer plan keeps the UIDs of the events both share (a calendar re-import updates them)
    longer = build_plan(regimen_id, "2024-03-04", until="2026-03-04")
    assert set(uids) <= {str(e["UID"]) for e in events(plan_to_ics(longer, label))}


def test_ics_calendar_properties_and_line_format(regimen_plan):
    label, plan = regimen_plan
    ics = plan_to_ics(plan, label, patient_label="Zoë Müller — ward 7 " * 4)
    calendar = Calendar.from_ical(ics)
    assert str(calendar["VERSION"]) == "2.0"
    assert str(calendar["PRODID"])
    assert str(calendar["CALSCALE"]) == "GREGORIAN"
    assert ics.startswith(b"BEGIN:VCALENDAR\r\n") and ics.endswith(b"END:VCALENDAR\r\n")
    assert b"\n" not in ics.replace(b"\r\n", b"")  # CRLF only
    lines = ics.split(b"\r\n")
    assert max(len(line) for line in lines) <= 75  # octets, also with multi-byte characters
    stamps = {e["DTSTAMP"].dt for e in calendar.walk("VEVENT")}
    assert len(stamps) == 1  # from the plan, not the clock


def test_ics_patient_label_only_in_calendar_name():
    plan = build_plan("UK-BNF-noneuro", "2024-03-04")
    ics = plan_to_ics(plan, "UK", patient_label="Jane Doe")
    calendar = Calendar.from_ical(ics)
    assert "Jane Doe" in str(calendar["X-WR-CALNAME"])
    for event in calendar.walk("VEVENT"):
        assert "Jane" not in event.to_ical().decode()
    assert [str(e["UID"]) for e in calendar.walk("VEVENT")] == [
        str(e["UID"]) for e in events(plan_to_ics(plan, "UK"))]


def test_ics_of_an_empty_plan_is_an_input_error():
    plan = build_plan("UK-BNF-noneuro", "2024-03-04").iloc[0:0]
    with pytest.raises(InputError):
        plan_to_ics(plan, "UK")


# --- HTML ----------------------------------------------------------------------------------------

def test_html_lists_every_planned_date(regimen_plan):
    label, plan = regimen_plan
    page = plan_to_html(plan, label)
    assert "Your vitamin B12 injection schedule" in page
    for day in plan["date"]:
        assert day_text(day) in page
    assert "Mon 4 Mar 2024" in page
    assert "Sources" in page
    assert "contact your practice" in page


def test_html_sections_and_dose_wording():
    plan = build_plan("UK-BNF-noneuro", "2024-03-04")
    page = plan_to_html(plan, "UK", issued=date(2024, 3, 4))
    loading = page[page.index("Loading injections"):page.index("Maintenance injections")]
    maintenance = page[page.index("Maintenance injections"):page.index("Blood tests and reviews")]
    assert loading.count("<tr><td>") == 6
    assert maintenance.count("<tr><td>") == (plan["phase"] == "maintenance").sum()
    assert "1 mg (1000 micrograms)" in loading
    assert "Issued:</strong> Mon 4 Mar 2024" in page
    us = plan_to_html(build_plan("US-FDA-cyano", "2024-03-04"), "US")
    assert "100 micrograms" in us and "mg (100" not in us
    for source in plan["source"].unique():
        assert source.replace("&", "&amp;") in page


def test_html_escapes_data_and_is_self_contained():
    plan = build_plan("UK-BNF-noneuro", "2024-03-04")
    plan.loc[plan["kind"] == "recheck", "what"] = HOSTILE
    plan.loc[plan["phase"] == "loading", "what"] = f"{HOSTILE} & bring the vial"  # said once, as the table's note
    plan.loc[plan["phase"] == "maintenance", "product"] = "<b>B12</b> & co"
    plan["symptom_note"] = f"{HOSTILE} & call us"
    plan["source"] = 'a "quoted" <b>source</b> & more'
    page = plan_to_html(plan, HOSTILE, patient_label=f"{HOSTILE} & Co")
    assert "<script" not in page.lower()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<strong>For:</strong> &lt;script&gt;alert(1)&lt;/script&gt; &amp; Co</p>" in page
    assert "<strong>Note:</strong> &lt;script&gt;alert(1)&lt;/script&gt; &amp; bring the vial</p>" in page
    assert "contact your practice.</strong> &lt;script&gt;alert(1)&lt;/script&gt; &amp; call us</p>" in page
    assert "<td>&lt;b&gt;B12&lt;/b&gt; &amp; co, injection into a muscle (IM)</td>" in page
    assert "&lt;b&gt;source&lt;/b&gt; &amp; more" in page
    assert " & " not in page
    assert not re.search(r"<(link|img|iframe|object|embed)\b", page, re.IGNORECASE)
    assert not re.search(r"\s(src|href)\s*=", page, re.IGNORECASE)
    assert "@media print" in page


UK_GUIDANCE = re.compile(r"\b(?:NICE|BNF|NHS)\b")
DEVELOPER_WORDS = re.compile(r"clinical-facts|§|\[S\]|\[V\]|\[U\]|\bissues?\b|project rule|project choice|"
                             r"design\.md|real-data|suggested rule", re.IGNORECASE)


def calendar_text(ics: bytes) -> str:
    """Every text of a calendar as a reader sees it (unfolded, unescaped)."""
    calendar = Calendar.from_ical(ics)
    parts = [str(calendar.get("DESCRIPTION", "")), str(calendar.get("X-WR-CALNAME", ""))]
    for event in calendar.walk("VEVENT"):
        parts += [str(event["SUMMARY"]), str(event["DESCRIPTION"])]
    return "\n".join(parts)


@pytest.mark.parametrize("regimen_id,names", [
    ("US-FDA-cyano", ["FDA label: cyanocobalamin injection"]),
    ("US-common", ["Langan &amp; Goodbred, Am Fam Physician 2017", "FDA label: cyanocobalamin injection"]),
    ("US-CDC", ["CDC", "FDA label: cyanocobalamin injection"]),
])
def test_a_us_handout_and_calendar_cite_us_guidance_only(regimen_id, names):
    regimen = get_regimen(regimen_id)
    plan = build_plan(regimen_id, "2024-03-04")
    page = plan_to_html(plan, regimen.label)
    assert not UK_GUIDANCE.search(page), UK_GUIDANCE.search(page)
    sources = page[page.index("<h2>Sources</h2>"):]
    assert all(name in sources for name in names)
    assert "contact your practice" in page  # the advice every patient gets stays
    text = calendar_text(plan_to_ics(plan, regimen.label))
    assert not UK_GUIDANCE.search(text)
    assert all(name.replace("&amp;", "&") in text for name in names)


@pytest.mark.parametrize("regimen_id", ["UK-BNF-noneuro", "UK-BNF-neuro", "custom"])
def test_a_uk_handout_keeps_the_nice_note_on_more_frequent_injections(regimen_id):
    regimen = get_regimen(regimen_id)
    page = plan_to_html(build_plan(regimen_id, "2024-03-04"), regimen.label)
    note = page[page.index('<div class="note">'):page.index("</div>")]
    assert "contact your practice" in note
    assert "NICE guideline NG239" in note and "more often" in note
    sources = page[page.index("<h2>Sources</h2>"):]
    assert "NICE NG239" in sources and "NHS Lothian RefHelp" in sources
    if regimen_id != "custom":
        assert "BNF: hydroxocobalamin" in sources


@pytest.mark.parametrize("regimen_id", [*REGIMENS, "US-CDC", "custom"])
def test_handout_and_calendar_have_no_developer_words(regimen_id):
    regimen = get_regimen(regimen_id)
    plan = build_plan(regimen_id, "2024-03-04")
    assert not DEVELOPER_WORDS.search(plan_to_html(plan, regimen.label))
    assert not DEVELOPER_WORDS.search(calendar_text(plan_to_ics(plan, regimen.label)))


def test_html_is_reproducible():
    plan = build_plan("US-common", "2024-03-04")
    assert plan_to_html(plan, "US") == plan_to_html(plan.copy(), "US")


# --- CSV -----------------------------------------------------------------------------------------

def test_csv_round_trips_with_iso_dates(regimen_plan):
    _, plan = regimen_plan
    data = plan_to_csv(plan)
    back = pd.read_csv(io.BytesIO(data), encoding="utf-8-sig", keep_default_na=False, na_values=[""])
    assert list(back.columns) == list(PLAN_COLUMNS)  # the app's own check columns stay out of the patient's copy
    assert back["date"].tolist() == plan["date"].dt.strftime("%Y-%m-%d").tolist()
    assert back["what"].tolist() == plan["what"].tolist()
    assert back["source"].tolist() == plan["source"].tolist()
    pd.testing.assert_series_equal(back["dose_ug"], plan["dose_ug"], check_dtype=False)
    assert b"\r" not in data and b"1000.0" not in data  # the line ends and numbers of every CSV (csv_bytes)
    assert data.startswith("\ufeff".encode()) and data.decode("utf-8-sig")  # valid UTF-8, with a BOM for Excel


def test_csv_bytes_is_the_one_csv_dialect():
    frame = pd.DataFrame({"name;=1": ["=SUM(1)", "Zoë, µmol/L", None], "value": [60.715399999999995, 123.0, None],
                          "n": [1, -2, 3], "signed": [-3.5, -0.5, 1e-07]})
    data = csv_bytes(frame, bom=False)
    assert data == ("name;'=1,value,n,signed\n'=SUM(1),60.7154,1,-3.5\n"
                    '"Zoë, µmol/L",123,-2,-0.5\n,,3,1e-07\n').encode()
    assert csv_bytes(frame, bom=True) == "\ufeff".encode() + data
    assert frame.loc[0, "name;=1"] == "=SUM(1)"  # the input is not changed


def test_csv_neutralises_formulas():
    plan = build_plan("UK-BNF-noneuro", "2024-03-04")
    plan.loc[0, "what"] = "=cmd|' /C calc'!A0"
    plan.loc[1, "product"] = "@SUM(1+1)"
    data = plan_to_csv(plan, bom=False)
    assert not data.startswith(b"\xef\xbb\xbf")
    back = pd.read_csv(io.BytesIO(data), keep_default_na=False)
    assert back.loc[0, "what"] == "'=cmd|' /C calc'!A0"
    assert back.loc[1, "product"] == "'@SUM(1+1)"
    # an untouched text comes back as it was (row 2 is the day-2 potassium recheck, beside the day-2 dose)
    assert back.loc[2, "what"] == plan.loc[2, "what"] and plan.loc[2, "kind"] == "recheck"
    assert back.loc[3, "what"] == "loading dose"


@pytest.mark.parametrize(("text", "expected"), [
    ("=1+1", "'=1+1"), ("+1+1", "'+1+1"), ("-1+1", "'-1+1"), ("@x", "'@x"), ("\tx", "'\tx"), ("\rx", "'\rx"),
    ("\nx", "'\nx"), ("  =1", "'  =1"), ("a=1", "a=1"), ("", ""), ("loading dose", "loading dose"),
    ("\uff1dSUM(1)", "'\uff1dSUM(1)"), ("-", "'-"), ("-x", "'-x"),
])
def test_safe_cell(text, expected):
    assert safe_cell(text) == expected


# Each cell as a security test wrote it, and as it must leave: a spreadsheet that splits a cell on
# ; , | tab CR or LF (an importer can be set to split on any of them) must never see a piece that,
# after spaces, starts a formula. The quote goes at the start of each such piece.
FRAGMENTS = [
    ("SEMIPT0001;=1+1", "SEMIPT0001;'=1+1"),
    ("a,+cmd|' /C calc'!A0", "a,'+cmd|' /C calc'!A0"),
    ("x\t@SUM(1)", "x\t'@SUM(1)"),
    ("ok; =1+1", "ok;' =1+1"),
    ("ok,   -2+3", "ok,'   -2+3"),
    ("SEMIPT0001;\uff1d1+1", "SEMIPT0001;'\uff1d1+1"),  # full-width equals sign
    ("a|@SUM(A1)", "a|'@SUM(A1)"),
    ("line one\n=1+1", "line one\n'=1+1"),
    ("line one\r\n+1", "line one\r\n'+1"),  # a CRLF break stays one break: the piece after LF is quoted
    ("=1;=2,=3", "'=1;'=2,'=3"),
    ("a;;=1", "a;;'=1"),
    ("1,-2", "1,'-2"),  # a text cell: its pieces are quoted like any other text
    ("normal text, with commas", "normal text, with commas"),
    ("paragraph\r\n\r\nnext", "paragraph\r\n\r\nnext"),
    ("a - b; c + d", "a - b; c + d"),
    ("SEMIPT0001", "SEMIPT0001"),
]


@pytest.mark.parametrize(("text", "expected"), FRAGMENTS)
def test_safe_cell_quotes_every_piece_a_spreadsheet_may_split_off(text, expected):
    assert safe_cell(text) == expected
    assert safe_cell(expected) == expected  # neutralising twice changes nothing


@pytest.mark.parametrize("text", ["-3.5", "+1", "-1", "0.5", "-1e-3", "1E+5", "-0042", "-1,5", "2024-01-02", "-.5"])
def test_safe_cell_keeps_a_cell_that_is_exactly_a_number(text):
    assert safe_cell(text) == text


SEPARATORS = ";,|\t\r\n"
FORMULA_START = "=+-@\uff1d\uff0b\uff0d\uff20"


def pieces(text: str) -> list[str]:
    """Every piece a spreadsheet may make of a cell: the cell itself and, for each separator it may
    split on, the parts after each occurrence."""
    out = [text]
    for separator in SEPARATORS:
        out += text.split(separator)[1:]
    return out


@settings(derandomize=True, database=None, deadline=None, max_examples=400)
@given(st.text(st.sampled_from([*SEPARATORS, *FORMULA_START, " ", "'", "a", "1", "."]), max_size=12))
def test_no_piece_of_a_neutralised_cell_starts_a_formula(text):
    safe = safe_cell(text)
    assert safe_cell(safe) == safe
    assert safe.replace("'", "") == text.replace("'", "")  # only quotes are added
    if safe == text and re.fullmatch(r"[+-]?(?:[0-9]+(?:[.,][0-9]*)?|[.,][0-9]+)(?:[eE][+-]?[0-9]+)?", text):
        return  # exactly a number: a spreadsheet reads it as that number
    assert safe[:1] not in "\t\r\n" or not safe
    for piece in pieces(safe):
        assert piece.lstrip(" ")[:1] not in FORMULA_START or not piece.lstrip(" "), (text, safe, piece)


@settings(derandomize=True, database=None, deadline=None, max_examples=60)
@given(st.lists(st.text(st.sampled_from([*SEPARATORS, *FORMULA_START, " ", "'", "a", "1", "."]), max_size=8),
                max_size=20))
def test_safe_frame_agrees_with_safe_cell_for_every_kind_of_text_column(texts):
    # Arrow text is rewritten by Arrow's regex engine, object text by Python's: both must match safe_cell
    expected = [safe_cell(t) for t in texts]
    for dtype in ("str", "object", "string[python]", "category"):
        frame = pd.DataFrame({"t": pd.Series(texts, dtype=dtype)})
        assert safe_frame(frame)["t"].astype(object).tolist() == expected, dtype


@pytest.mark.parametrize("dtype", ["str", "object", "category"])
def test_safe_frame_quotes_pieces_of_text_and_keeps_numbers_and_dates(dtype):
    texts = [text for text, _ in FRAGMENTS] + ["-3.5", None]
    frame = pd.DataFrame({"id;=1": pd.Series(texts, dtype=dtype),
                          "value": [-3.5] * (len(texts) - 1) + [float("nan")],
                          "n": range(-1, len(texts) - 1),
                          "when": pd.to_datetime(["2024-01-02"] * len(texts))})
    safe = safe_frame(frame)
    assert list(safe.columns) == ["id;'=1", "value", "n", "when"]
    got = safe["id;'=1"].astype(object).tolist()
    assert got[:-1] == [expected for _, expected in FRAGMENTS] + ["-3.5"]
    assert pd.isna(got[-1])
    pd.testing.assert_series_equal(safe["value"], frame["value"])
    pd.testing.assert_series_equal(safe["n"], frame["n"])
    pd.testing.assert_series_equal(safe["when"], frame["when"])
    assert frame.loc[0, "id;=1"] == "SEMIPT0001;=1+1"  # the input is not changed


def test_safe_frame_leaves_non_text_cells_of_a_mixed_column():
    day = date(2024, 1, 2)
    frame = pd.DataFrame({"mixed": pd.Series(["a;=1", -2.5, day, None, 7], dtype=object)})
    assert safe_frame(frame)["mixed"].tolist() == ["a;'=1", -2.5, day, None, 7]
    only_dates = pd.DataFrame({"d": pd.Series([day, day], dtype=object)})
    assert safe_frame(only_dates)["d"].tolist() == [day, day]
    repeated = pd.DataFrame([["a;=1", "=2"]], columns=["x", "x"])
    assert safe_frame(repeated).iloc[0].tolist() == ["a;'=1", "'=2"]


def test_safe_frame_changes_text_only():
    frame = pd.DataFrame({"=name": ["=x", "ok", None], "n": [-1.0, 2.0, float("nan")]})
    safe = safe_frame(frame)
    assert list(safe.columns) == ["'=name", "n"]
    assert safe["'=name"].tolist()[:2] == ["'=x", "ok"] and pd.isna(safe["'=name"].iloc[2])
    assert safe["n"].iloc[0] == -1.0
    assert frame.loc[0, "=name"] == "=x"  # the input is not changed


# --- names and formatting -------------------------------------------------------------------------

@pytest.mark.parametrize(("text", "suffix", "expected"), [
    ("../../etc/passwd", "ics", "etc-passwd.ics"),
    ("Jane Doe <x>", ".html", "Jane-Doe-x.html"),
    ("", "csv", "b12-schedule.csv"),
    ("   ", "csv", "b12-schedule.csv"),
    ("Zoë Müller", "ics", "Zoe-Muller.ics"),
    ("日本語", "ics", "b12-schedule.ics"),
    (".hidden", "ics", "hidden.ics"),
    ("CON", "ics", "b12-schedule-CON.ics"),
])
def test_safe_filename(text, suffix, expected):
    assert safe_filename(text, suffix) == expected


@pytest.mark.parametrize("text", ["x" * 300, "Zoë/" * 100, "..\\..\\windows\\system32", "a\x00b\nc"])
def test_safe_filename_is_always_a_plain_short_name(text):
    name = safe_filename(text, "ics")
    assert re.fullmatch(r"[A-Za-z0-9_-][A-Za-z0-9._-]*\.ics", name)
    assert len(name) <= 80 and ".." not in name


def test_dose_and_day_text():
    assert dose_text(1000.0) == "1 mg (1000 micrograms)"
    assert dose_text(1500.0) == "1.5 mg (1500 micrograms)"
    assert dose_text(100.0) == "100 micrograms"
    assert dose_text(1.0) == "1 microgram"
    assert dose_text(0.5) == "0.5 micrograms"
    assert dose_text(float("nan")) == ""
    assert day_text(pd.Timestamp("2024-03-04")) == "Mon 4 Mar 2024"


def test_excel_export_neutralises_formula_cells_and_keeps_types():
    import io

    from openpyxl import load_workbook

    from b12core.export import frame_to_xlsx

    frame = pd.DataFrame({"name": ["=HYPERLINK(\"http://x\",\"click\")", "+cmd", "@SUM(A1)", "-2+3", "Hb"],
                          "value": [1.5, 2.0, 3.0, 4.0, 5.0],
                          "when": pd.to_datetime(["2024-01-02"] * 5)})
    sheet = load_workbook(io.BytesIO(frame_to_xlsx(frame, "results")))["results"]
    names = [sheet.cell(row=r, column=1).value for r in range(2, 7)]
    assert names == ["'=HYPERLINK(\"http://x\",\"click\")", "'+cmd", "'@SUM(A1)", "'-2+3", "Hb"]
    assert sheet.cell(row=2, column=2).value == 1.5
    assert all(sheet.cell(row=r, column=1).data_type == "s" for r in range(2, 7))


HOSTILE_CELLS = ["SEMIPT0001;=1+1", "a,+cmd|' /C calc'!A0", "x\t@SUM(1)", "ok; =1+1", "normal text, with commas",
                 "SEMIPT0001;\uff1d1+1"]
NEUTRALISED = ["SEMIPT0001;'=1+1", "a,'+cmd|' /C calc'!A0", "x\t'@SUM(1)", "ok;' =1+1", "normal text, with commas",
               "SEMIPT0001;'\uff1d1+1"]


def test_csv_neutralises_formulas_after_separators():
    plan = build_plan("UK-BNF-noneuro", "2024-03-04").head(len(HOSTILE_CELLS))
    plan["what"] = HOSTILE_CELLS
    plan["dose_ug"] = plan["dose_ug"].astype(float)
    plan.loc[0, "dose_ug"] = -3.5
    data = plan_to_csv(plan, bom=False, patient_label="SEMIPT0001;=1+1")
    text = data.decode("utf-8")
    assert "SEMIPT0001;=" not in text and "SEMIPT0001;\uff1d" not in text
    assert text.count("SEMIPT0001;'=1+1") == len(plan) + 1  # the patient column and the first row's what
    assert '"a,\'+cmd|\' /C calc\'!A0"' in text  # a field holding the file's delimiter stays quoted
    assert '"normal text, with commas"' in text
    assert ",-3.5," in text  # a number keeps its sign and stays unquoted
    back = pd.read_csv(io.BytesIO(data), keep_default_na=False, na_values=[""])
    assert back["what"].tolist() == NEUTRALISED
    assert set(back["patient"]) == {"SEMIPT0001;'=1+1"}
    assert back.loc[0, "dose_ug"] == -3.5
    # what a spreadsheet splitting the file on ; or tab would put in a cell
    for line in text.splitlines():
        for separator in ";\t|":
            for piece in line.split(separator)[1:]:
                assert piece.lstrip(" ")[:1] not in "=+@\uff1d", (line, piece)


def _sheet_cells(data: bytes, sheet: str) -> list:
    from openpyxl import load_workbook

    return [cell for row in load_workbook(io.BytesIO(data))[sheet].iter_rows() for cell in row]


def test_excel_export_neutralises_formulas_after_separators():
    from b12core.export import frame_to_xlsx

    frame = pd.DataFrame({"patient_id": HOSTILE_CELLS, "value": [-3.5, 1.0, 2.0, 3.0, 4.0, 5.0],
                          "when": pd.to_datetime(["2024-01-02"] * len(HOSTILE_CELLS))})
    cells = _sheet_cells(frame_to_xlsx(frame, "results"), "results")
    assert all(c.data_type != "f" for c in cells)
    values = [[c.value for c in cells[i:i + 3]] for i in range(0, len(cells), 3)]
    assert values[0] == ["patient_id", "value", "when"]
    assert [row[0] for row in values[1:]] == NEUTRALISED
    assert values[1][1] == -3.5 and cells[4].data_type == "n"
    assert [c.data_type for c in cells[3::3]] == ["s"] * len(HOSTILE_CELLS)


def test_every_results_download_neutralises_formulas_after_separators():
    from b12core.downloads import About, results_csv, results_xlsx

    labs = pd.DataFrame({"patient_id": HOSTILE_CELLS, "value": [-3.5, 1.0, 2.0, 3.0, 4.0, 5.0],
                         "reported_value": ["-3.5", "1", "2", "3", "4", "5"],
                         "collected_at": pd.to_datetime(["2024-01-02"] * len(HOSTILE_CELLS))})
    about = About(patient="SEMIPT0001;=1+1", made_on=date(2026, 11, 26))
    back = pd.read_csv(io.BytesIO(results_csv(labs, about)), encoding="utf-8-sig", keep_default_na=False,
                       dtype={"reported_value": str})
    assert back["patient_id"].tolist() == NEUTRALISED
    assert back["value"].tolist() == labs["value"].tolist()
    assert back["reported_value"].tolist() == labs["reported_value"].tolist()  # "-3.5" keeps its sign
    book = results_xlsx(labs, about)
    for sheet in ("About", "Results"):
        cells = _sheet_cells(book, sheet)
        assert all(c.data_type != "f" for c in cells), sheet
        texts = [c.value for c in cells if isinstance(c.value, str)]
        assert not any(piece.lstrip(" ")[:1] in "=+@\uff1d" for t in texts for s in ";,\t|" for piece in t.split(s)[1:])
    assert "SEMIPT0001;'=1+1" in [c.value for c in _sheet_cells(book, "About")]
    assert [c.value for c in _sheet_cells(book, "Results")][4::4][:len(NEUTRALISED)] == NEUTRALISED


def test_the_figure_download_escapes_the_patient_label():
    from b12core.downloads import About, figure_html
    from b12core.figures import trend_figure
    from b12core.sample import sample_files
    from b12core.workspace import build_workspace, latest_record, patient_view

    ws = build_workspace(sample_files())
    view = patient_view(ws, ws.patients[0], as_of=latest_record(ws))
    figure = trend_figure(view.labs, view.doses, view.phases.phases)
    page = figure_html(figure, About(f"{HOSTILE} & Co", date(2026, 11, 26)))
    head = page[:page.index("<body>")]
    assert head.startswith("<!doctype html>")
    assert "<title>B12 follow-up: &lt;script&gt;alert(1)&lt;/script&gt; &amp; Co (26 Nov 2026)</title>" in head
    assert head.count("<meta charset") == 1 and "<script" not in head
    assert HOSTILE not in page and "alert(1)</script>" not in page and " & Co" not in page
    assert "&lt;script&gt;alert(1)&lt;\\u002fscript&gt; &amp; Co" in page  # the figure's title, as plotly writes it
    assert re.search(r"plotly\.js v\d", page) and not re.search(r"<script[^>]*\bsrc\s*=", page)  # works offline


def test_every_schedule_download_names_the_patient_and_the_day_it_was_made():
    plan = build_plan("UK-BNF-noneuro", "2026-03-02")
    made = date(2026, 11, 26)
    page = plan_to_html(plan, "UK plan", "MRN 00123", issued=made)
    assert "MRN 00123" in page and "Thu 26 Nov 2026" in page and "Sample data" not in page
    calendar = Calendar.from_ical(plan_to_ics(plan, "UK plan", "MRN 00123", issued=made))
    assert "MRN 00123" in str(calendar.get("NAME") or calendar.get("X-WR-CALNAME"))
    assert "Made on Thu 26 Nov 2026" in str(calendar.get("DESCRIPTION"))
    table = pd.read_csv(io.BytesIO(plan_to_csv(plan, patient_label="MRN 00123", issued=made)), dtype=str)
    assert list(table.columns[:2]) == ["patient", "made_on"]
    assert set(table["patient"]) == {"MRN 00123"} and set(table["made_on"]) == {"2026-11-26"}


def test_only_the_sample_schedule_says_it_is_sample_data():
    plan = build_plan("UK-BNF-noneuro", "2026-03-02")
    assert "Sample data" in plan_to_html(plan, "UK plan", "PA-NEURO", sample=True)
    assert "Sample data" not in plan_to_html(plan, "UK plan", "PA-NEURO")
