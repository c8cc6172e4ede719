"""Collection dates: formats, the day/month order decided from the data or asked, impossible dates."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from b12core.dates import parse_dates
from b12core.errors import DateOrderNeeded, InputError
from tests.conftest import import_text


def parse(texts, order=None):
    return parse_dates(pd.Series(texts), order, "lab.csv")


@pytest.mark.parametrize("text,expected", [
    ("2024-01-31", "2024-01-31 00:00"), ("2024-01-31T08:30:00Z", "2024-01-31 08:30"),
    ("2024-01-31 08:30:15", "2024-01-31 08:30:15"), ("2024/01/31", "2024-01-31 00:00"),
    ("20240131", "2024-01-31 00:00"), ("03-Feb-2024", "2024-02-03 00:00"), ("3 Feb 2024", "2024-02-03 00:00"),
    ("Feb 3, 2024", "2024-02-03 00:00"), ("14. März 2024", "2024-03-14 00:00"), ("2 mei 2024", "2024-05-02"),
    ("2021-08-23T03:26:50+01:00", "2021-08-23 03:26:50"),
    # a clock time written without its colon (HL7, Meditech)
    ("2025-01-15 0830", "2025-01-15 08:30"), ("15/01/2025 0830", "2025-01-15 08:30"),
    ("Jan 15, 2025 830", "2025-01-15 08:30"),
])
def test_unambiguous_formats_need_no_order(text, expected):
    p = parse([text])
    assert p.problem[0] == ""
    assert pd.Timestamp(p.when[0]) == pd.Timestamp(expected)


def test_day_first_decided_by_a_day_above_12():
    p = parse(["01/02/2024", "14/03/2024 08:15"])
    assert p.order == "dmy" and "from file" in p.order_note
    assert pd.Timestamp(p.when[0]) == pd.Timestamp("2024-02-01")
    assert pd.Timestamp(p.when[1]) == pd.Timestamp("2024-03-14 08:15")


def test_month_first_with_12_hour_times():
    p = parse(["03/14/2024 08:30 AM", "01/02/2024 12:15 PM", "01/02/2024 12:05 am"])
    assert p.order == "mdy"
    assert [str(pd.Timestamp(w)) for w in p.when] == [
        "2024-03-14 08:30:00", "2024-01-02 12:15:00", "2024-01-02 00:05:00"]


def test_dotted_german_dates_with_time():
    p = parse(["14.03.2024 08:15", "01.04.2024 10:00"])
    assert pd.Timestamp(p.when[1]) == pd.Timestamp("2024-04-01 10:00")


def test_ambiguous_dates_ask_the_caller_never_guess():
    with pytest.raises(DateOrderNeeded, match="dmy or mdy"):
        parse(["01/02/2024", "03/04/2024"])
    assert pd.Timestamp(parse(["01/02/2024"], "mdy").when[0]) == pd.Timestamp("2024-01-02")
    assert pd.Timestamp(parse(["01/02/2024"], "dmy").when[0]) == pd.Timestamp("2024-02-01")


def test_the_file_decides_even_when_the_caller_chose_the_other_order():
    p = parse(["03/14/2024"], "dmy")
    assert p.order == "mdy" and p.problem[0] == ""


def test_both_orders_in_one_file_is_reported_and_misfits_rejected_when_chosen():
    with pytest.raises(InputError, match="both day-first and month-first"):
        parse(["13/02/2024", "02/13/2024"])
    p = parse(["13/02/2024", "02/13/2024"], "dmy")
    assert p.problem[0] == ""
    assert "does not exist when read dmy" in p.problem[1]


@pytest.mark.parametrize("text,words", [
    ("2024-02-30", "does not exist"), ("1899-12-31", "before 1900"), ("yesterday", "not a date"),
    ("", "no collection date"), ("2024-13-01", "does not exist"),
])
def test_unusable_dates_have_reasons(text, words):
    p = parse([text])
    assert np.isnat(p.when[0])
    assert words in p.problem[0]


def test_two_digit_years():
    p = parse(["31/01/24", "31/01/98"])
    assert [pd.Timestamp(w).year for w in p.when] == [2024, 1998]


def test_every_calendar_day_and_clock_time_agrees_with_pandas():
    """The vectorised assembly of timestamps gives what pandas.to_datetime gives: leap days only in
    leap years, no 31 April, and times past their range carried into the next day."""
    days = pd.date_range("1999-12-01", "2001-03-31", freq="D")
    texts = [f"{d:%Y-%m-%d} {h:02d}:{m:02d}" for d in days for h, m in ((0, 0), (13, 59))]
    texts += ["2023-02-29", "2024-02-29", "2100-02-29", "2000-02-29", "2024-04-31", "2024-13-01",
              "2024-01-31 24:30", "2024-12-31 23:75"]
    p = parse(texts)
    expected = pd.to_datetime(pd.Series(texts), format="mixed", errors="coerce")
    expected[texts.index("2024-01-31 24:30")] = pd.Timestamp("2024-02-01 00:30")
    expected[texts.index("2024-12-31 23:75")] = pd.Timestamp("2025-01-01 00:15")
    assert list(pd.to_datetime(p.when)) == list(expected)
    assert [p.problem[texts.index(t)] != "" for t in ("2023-02-29", "2100-02-29", "2024-04-31", "2024-13-01")] == \
        [True] * 4


# --- the column's own format read at once gives what the patterns give --------------------------

def _by_patterns_only(texts: list[str], order: str | None):
    """The reference: every text through the patterns, nothing read by the column's format."""
    from b12core.dates import _parse_patterns, _Quick

    text = pd.Series(texts, dtype="str").str.strip()
    nothing = pd.Series(np.nan, index=text.index)
    none = _Quick(pd.Series(pd.NaT, index=text.index, dtype="datetime64[ns]"), nothing, nothing, None)
    return _parse_patterns(text, order, "lab.csv", none)


def _outcome(call):
    try:
        p = call()
    except (DateOrderNeeded, InputError) as err:
        return type(err).__name__, str(err)
    return (p.when.astype("int64").tolist(), list(p.problem), p.zoned.tolist(), p.order, p.order_note)


def _date_texts():
    from hypothesis import strategies as st

    day = st.integers(0, 32).map(lambda d: st.sampled_from([f"{d}", f"{d:02d}"])).flatmap(lambda s: s)
    month = st.integers(0, 13).map(lambda m: st.sampled_from([f"{m}", f"{m:02d}"])).flatmap(lambda s: s)
    year = st.sampled_from(["1899", "1900", "1969", "2000", "2024", "2261", "2262", "24", "69", "99"])
    clock = st.sampled_from(["", " 08:42", " 8:42", " 23:59", " 24:00", "T08:42:07", " 08:42 AM", " 12:05 PM",
                             " 13:10 PM", " 00:10 AM", " 8:42am", " 08:42:07", " 08:42Z", " 08:42 +01:00"])
    sep = st.sampled_from(["/", "-", "."])
    numeric = st.builds(lambda a, b, y, s, c: f"{a}{s}{b}{s}{y}{c}", day, month, year, sep, clock)
    iso = st.builds(lambda y, m, d, s, c: f"{y}{s}{m}{s}{d}{c}", st.sampled_from(["1850", "1999", "2024", "2300"]),
                    month, day, sep, clock)
    other = st.sampled_from(["", "garbage", "3 Feb 2024", "Feb 3, 2024", "20240131", "2024-01-31 08:30:15.5"])
    return st.lists(st.one_of(numeric, iso, other), min_size=1, max_size=40, unique=True)


def test_reading_by_the_columns_format_changes_nothing():
    from hypothesis import given, settings
    from hypothesis import strategies as st

    @settings(max_examples=200, deadline=None)
    @given(_date_texts(), st.sampled_from([None, "dmy", "mdy"]))
    def check(texts, order):
        fast = _outcome(lambda: parse(texts, order))
        assert fast == _outcome(lambda: _by_patterns_only(texts, order)), texts

    check()


def test_a_column_in_one_format_is_read_by_it_and_the_odd_ones_by_the_patterns():
    texts = ["01/17/2021 08:42 AM", "02/30/2021 01:00 PM", "01/17/2021 13:42 PM", "1/7/2021 8:42 AM",
             "01/17/1850 08:42 AM", "03/01/2021 12:00 AM", "04/31/2021 09:00 PM"]
    p = parse(texts)
    assert [str(pd.Timestamp(w)) if not np.isnat(w) else "" for w in p.when] == [
        "2021-01-17 08:42:00", "", "", "2021-01-07 08:42:00", "", "2021-03-01 00:00:00", ""]
    assert list(p.problem)[1] == "date '02/30/2021 01:00 PM' does not exist when read mdy"
    assert list(p.problem)[4] == "date '01/17/1850 08:42 AM' is before 1900"


def test_a_separate_time_column_without_colons_dates_its_results():
    imp = import_text("MRN,Date,Time,Test,Result,Units\n1,2025-01-15,0830,Hemoglobin,10.2,g/dL\n", "meditech.csv")
    assert imp.labs["collected_at"].tolist() == [pd.Timestamp("2025-01-15 08:30")]
