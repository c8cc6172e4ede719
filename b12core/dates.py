"""Collection dates: ISO, day-first, month-first, month names, with or without a time.

The order of day and month is decided per file from the data (a first number above 12 means
day-first, a second number above 12 means month-first). When nothing decides it the caller is
asked through ``DateOrderNeeded``; this module never guesses silently.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from b12core.coded import Coded
from b12core.errors import DateOrderNeeded, InputError
from b12core.text import extract, fold

DATE_ORDERS = ("dmy", "mdy")
EARLIEST_YEAR = 1900
LATEST_YEAR = 2261  # the last whole year of pandas' nanosecond timestamps
ZONE_NOTE = "time zone in the file not applied (clock time kept)"

# A clock time after the date; HL7 and Meditech exports write it without a colon ("0830").
_TIME = (r"(?:[T\s,]+(?P<H>\d{1,2})[:.h]?(?P<M>\d{2})(?::(?P<S>\d{2})(?:[.,]\d+)?)?"
         r"\s*(?P<ampm>[AaPp]\.?[Mm]\.?)?)?\s*(?P<tz>Z|UTC|GMT|[+-]\d{2}:?\d{2})?")
ISO = rf"^(?P<y>\d{{4}})[-/.](?P<m>\d{{1,2}})[-/.](?P<d>\d{{1,2}}){_TIME}$"
COMPACT = r"^(?P<y>\d{4})(?P<m>\d{2})(?P<d>\d{2})(?:[T\s]?(?P<H>\d{2})(?P<M>\d{2})(?P<S>\d{2})?)?$"
NUMERIC = rf"^(?P<a>\d{{1,2}})[-/.](?P<b>\d{{1,2}})[-/.](?P<y>\d{{4}}|\d{{2}}){_TIME}$"
DAY_MONTHNAME = rf"^(?P<d>\d{{1,2}})[-.\s/]*(?P<mon>\pL{{3,10}})\.?[-.\s/,]+(?P<y>\d{{4}}|\d{{2}}){_TIME}$"
MONTHNAME_DAY = rf"^(?P<mon>\pL{{3,10}})\.?\s+(?P<d>\d{{1,2}}),?\s+(?P<y>\d{{4}}){_TIME}$"

MONTHS = {
    **dict.fromkeys(["jan", "january", "januar", "januari", "janvier", "janv", "jaenner", "janner"], 1),
    **dict.fromkeys(["feb", "february", "februar", "februari", "fevrier", "fevr", "fev"], 2),
    **dict.fromkeys(["mar", "march", "marz", "maerz", "mrz", "maart", "mrt", "mars"], 3),
    **dict.fromkeys(["apr", "april", "avril", "avr"], 4),
    **dict.fromkeys(["may", "mai", "mei"], 5),
    **dict.fromkeys(["jun", "june", "juni", "juin"], 6),
    **dict.fromkeys(["jul", "july", "juli", "juillet", "juil"], 7),
    **dict.fromkeys(["aug", "august", "augustus", "aout"], 8),
    **dict.fromkeys(["sep", "sept", "september", "septembre"], 9),
    **dict.fromkeys(["oct", "october", "oktober", "okt", "octobre"], 10),
    **dict.fromkeys(["nov", "november", "novembre"], 11),
    **dict.fromkeys(["dec", "december", "dezember", "dez", "decembre"], 12),
}


@dataclass(frozen=True)
class ParsedDates:
    """Per distinct date text: the timestamp (NaT where unusable) and why not."""

    when: np.ndarray  # datetime64[ns]
    problem: np.ndarray  # str ("" when the date is usable)
    zoned: np.ndarray  # bool: the text named a time zone, which is not applied (clock time kept)
    order: str | None  # "dmy" / "mdy" when numeric day/month dates were seen
    order_note: str  # how the order was decided ("" when no numeric dates)


def _num(s: pd.Series) -> pd.Series:
    """Digit texts (regex groups) -> float64, NaN where missing or not a number."""
    try:  # the usual case, by Arrow's cast: every text is digits or missing
        numbers = pc.cast(pa.array(s, type=pa.string(), from_pandas=True), pa.float64())
        return pd.Series(numbers.to_numpy(zero_copy_only=False), index=s.index, dtype="float64")
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        return pd.to_numeric(s, errors="coerce").astype("float64")


def _assemble(parts: pd.DataFrame) -> pd.Series:
    """Timestamp from year, month, day, hour, minute, second (NaN parts -> NaT). A date that does
    not exist (31 April) is NaT; hours, minutes and seconds past their range carry into the next
    unit, as ``pandas.to_datetime`` assembles them."""
    hour = _num(parts["H"]).fillna(0)
    ampm = parts["ampm"].fillna("").str.lower().str.slice(0, 1) if "ampm" in parts else None
    if ampm is not None:
        bad_12h = (ampm != "") & ((hour > 12) | (hour == 0))
        hour = hour.where(~((ampm == "p") & (hour < 12)), hour + 12)
        hour = hour.where(~((ampm == "a") & (hour == 12)), 0)
        hour = hour.where(~bad_12h)
    year, month, day = (_num(parts[k]).to_numpy() for k in ("y", "m", "d"))
    minute, second = (_num(parts[k]).fillna(0).to_numpy() for k in ("M", "S"))
    hour = hour.to_numpy(dtype="float64")
    # Years the timestamp type can hold; earlier ones are refused as before 1900 by the caller.
    with np.errstate(invalid="ignore"):
        valid = (~np.isnan(year + month + day + hour + minute + second) & (year >= EARLIEST_YEAR)
                 & (year <= LATEST_YEAR) & (month >= 1) & (month <= 12) & (day >= 1))
    months = np.where(valid, (year - 1970) * 12 + month - 1, 0).astype("int64")
    first = months.astype("datetime64[M]").astype("datetime64[D]")
    length = ((months + 1).astype("datetime64[M]").astype("datetime64[D]") - first).astype("int64")
    valid &= np.where(valid, day, 0) <= length
    seconds = np.where(valid, ((np.where(valid, day, 1) - 1) * 24 + hour) * 3600 + minute * 60 + second, 0)
    stamp = first.astype("datetime64[ns]") + (seconds * 1e9).astype("int64").astype("timedelta64[ns]")
    return pd.Series(np.where(valid, stamp, np.datetime64("NaT")), index=parts.index, dtype="datetime64[ns]")


def _two_digit_year(y: pd.Series) -> pd.Series:
    """Two-digit years as ``strptime`` reads them: 69-99 -> 19xx, 00-68 -> 20xx."""
    n = _num(y)
    short = y.str.len() == 2
    return n.where(~short, np.where(n >= 69, 1900 + n, 2000 + n)).astype("Int64").astype("str")


def decide_order(first: pd.Series, second: pd.Series, requested: str | None, source: str,
                 examples: list[str]) -> tuple[str, str]:
    """(order, note) for numeric dates: data first, then the caller's choice, never a guess."""
    day_first = bool((first > 12).any())
    month_first = bool((second > 12).any())
    if day_first and not month_first:
        return "dmy", "date order from file (day-first)"
    if month_first and not day_first:
        return "mdy", "date order from file (month-first)"
    if requested in DATE_ORDERS:
        why = "dates in both orders" if day_first else "date order not decided by the file"
        return requested, f"{why}; {requested} as chosen"
    if day_first and month_first:
        raise InputError(f"{source}: dates are written both day-first and month-first "
                         f"(e.g. {', '.join(examples[:2])}); choose the date order (dmy or mdy)")
    raise DateOrderNeeded(source, examples)


# --- the fast path: the file's own format, read by Arrow's strptime ------------------------------

QUICK_SAMPLE = 1000  # distinct texts looked at to decide a column's format
_SHAPE = re.compile(r"^(?:(?P<iso>\d{4})(?P<isep>[-/.])\d{1,2}(?P=isep)\d{1,2}"
                    r"|(?P<a>\d{1,2})(?P<sep>[-/.])(?P<b>\d{1,2})(?P=sep)(?P<y>\d{4}|\d{2}))"
                    r"(?:(?P<t>[T ])\d{1,2}:\d{2}(?P<sec>:\d{2})?(?P<ampm> ?[AP]M)?)?$")


@dataclass(frozen=True)
class _Quick:
    """Dates read by the column's own format: timestamps (NaT where not read), and for numeric
    day/month dates the two numbers as written (evidence for the order) and the order assumed."""

    when: pd.Series
    first: pd.Series
    second: pd.Series
    order: str | None


def _format_of(text: str, order: str) -> tuple[str, bool] | None:
    """(strptime format, numeric day/month) of one date text in a common shape, else None."""
    m = _SHAPE.match(text)
    if m is None:
        return None
    if m["iso"]:
        day = f"%Y{m['isep']}%m{m['isep']}%d"
    else:
        parts = ("%d", "%m") if order == "dmy" else ("%m", "%d")
        day = f"{parts[0]}{m['sep']}{parts[1]}{m['sep']}{'%Y' if len(m['y']) == 4 else '%y'}"
    if not m["t"]:
        return day, not m["iso"]
    clock = ("%I" if m["ampm"] else "%H") + ":%M" + (":%S" if m["sec"] else "")
    clock += (" %p" if m["ampm"].startswith(" ") else "%p") if m["ampm"] else ""
    return day + m["t"] + clock, not m["iso"]


def _sample_order(sample: list[str], requested: str | None) -> str:
    """The day/month order a sample of texts shows (the whole column decides in the end)."""
    numbers = [(int(m["a"]), int(m["b"])) for m in map(_SHAPE.match, sample) if m and m["a"]]
    if any(a > 12 for a, _ in numbers):
        return "dmy"
    if any(b > 12 for _, b in numbers):
        return "mdy"
    return requested or "mdy"


def _read_by_format(text: pd.Series, requested: str | None, order: str | None = None) -> _Quick:
    """The dates of ``text`` in its most common format, read at once; the rest is left to the
    patterns. A date Arrow would move (31 April read as 1 May) or outside 1900-2261 is left too."""
    nothing = pd.Series(np.nan, index=text.index)
    none = _Quick(pd.Series(pd.NaT, index=text.index, dtype="datetime64[ns]"), nothing, nothing, None)
    filled = text[text != ""]  # a sample spread over the column: a file sorted by time starts with one month
    sample = filled.iloc[np.linspace(0, len(filled) - 1, min(QUICK_SAMPLE, len(filled))).astype(int)].tolist()
    order = order or _sample_order(sample, requested)
    formats = Counter(f for f in (_format_of(t, order) for t in sample) if f)
    if not formats:
        return none
    (fmt, numeric), _ = formats.most_common(1)[0]
    texts = pa.array(text, type=pa.string(), from_pandas=True)
    read = pc.strptime(texts, format=fmt, unit="s", error_is_null=True)
    year, day = pc.year(read), pc.day(read)
    ok = pc.fill_null(pc.and_(pc.greater_equal(year, EARLIEST_YEAR), pc.less_equal(year, LATEST_YEAR)), False)
    moved = pc.and_(ok, pc.less_equal(day, 3))  # where a day past the month's end would have landed
    if pc.any(moved).as_py():
        rows = np.flatnonzero(moved.to_numpy(zero_copy_only=False))
        same = pc.equal(pc.strftime(read.take(rows), format=fmt), texts.take(rows)).to_numpy(zero_copy_only=False)
        keep = ok.to_numpy(zero_copy_only=False).copy()
        keep[rows[~same]] = False
    else:
        keep = ok.to_numpy(zero_copy_only=False)
    stamps = pc.if_else(pa.array(keep), read, pa.scalar(None, read.type)).cast(pa.timestamp("ns"))
    stamps = stamps.to_numpy(zero_copy_only=False)
    when = pd.Series(np.where(keep, stamps, np.datetime64("NaT")), index=text.index, dtype="datetime64[ns]")
    if not numeric:
        return _Quick(when, nothing, nothing, None)
    month, dom = (pd.Series(np.where(keep, x.to_numpy(zero_copy_only=False), np.nan), index=text.index)
                  for x in (pc.month(read), day))
    first, second = (month, dom) if order == "mdy" else (dom, month)
    return _Quick(when, first, second, order)


class _WrongOrder(Exception):
    """The whole column decided the other day/month order than the sample the quick read assumed."""


def parse_dates(texts: pd.Series, requested_order: str | None, source: str) -> ParsedDates:
    """Parse distinct date texts. ``requested_order`` (``dmy``/``mdy``/None) is used only when the
    data does not decide; raises ``DateOrderNeeded`` when it must and is None.

    The column's most common format is read at once by Arrow (``_read_by_format``); only the texts
    it leaves go through the patterns, which also decide the day/month order on the evidence of
    every numeric date of the column."""
    text = texts.astype("str").str.strip()
    quick = _read_by_format(text, requested_order)
    try:
        return _parse_patterns(text, requested_order, source, quick)
    except _WrongOrder as wrong:
        return _parse_patterns(text, requested_order, source, _read_by_format(text, requested_order, str(wrong)))


def _parse_patterns(text: pd.Series, requested_order: str | None, source: str, quick: _Quick) -> ParsedDates:
    when = quick.when.copy()
    matched = when.notna()
    day_month = quick.first.notna()  # rows read with the file's day/month order
    zoned = pd.Series(False, index=text.index)
    order: str | None = None
    note = ""

    year = pd.Series(np.where(matched, 2000.0, np.nan), index=text.index)  # read dates are in range

    def fill(parts: pd.DataFrame, ordered: bool = False) -> None:
        hit = parts.index[parts["y"].notna() & ~matched.loc[parts.index]]
        if len(hit):
            when.loc[hit] = _assemble(parts.loc[hit])
            year.loc[hit] = _num(parts.loc[hit, "y"])
            matched.loc[hit] = True
            day_month.loc[hit] = ordered
            if "tz" in parts:
                zoned.loc[hit] = parts.loc[hit, "tz"].notna()

    def rest_parts(pattern: str) -> pd.DataFrame | None:
        """The parts of the texts no earlier pattern read, or None when none is left: the quick
        read takes a whole column in the usual export, and a pattern tried on nothing cost about
        half a millisecond (parsing a lab export's dates took 6 ms, half of it on nothing)."""
        rest = text[~matched & (text != "")]
        return extract(rest, pattern) if len(rest) else None

    for pattern, extra in ((ISO, {}), (COMPACT, {"ampm": ""})):
        if (parts := rest_parts(pattern)) is not None:
            fill(parts.assign(**extra))
    numeric = rest_parts(NUMERIC)
    nums = numeric[numeric["a"].notna()] if numeric is not None else None
    has_nums = nums is not None and len(nums) > 0
    known = quick.first.notna()
    if has_nums or known.any():
        first = pd.concat([quick.first[known], *([_num(nums["a"])] if has_nums else [])]).sort_index()
        second = pd.concat([quick.second[known], *([_num(nums["b"])] if has_nums else [])]).sort_index()
        examples = list(text[first.index].head(3))
        order, note = decide_order(first, second, requested_order, source, examples)
        if quick.order is not None and order != quick.order:
            raise _WrongOrder(order)
        if has_nums:
            day, month = (nums["a"], nums["b"]) if order == "dmy" else (nums["b"], nums["a"])
            fill(nums.assign(d=day, m=month, y=_two_digit_year(nums["y"])), ordered=True)
    for pattern in (DAY_MONTHNAME, MONTHNAME_DAY):
        parts = rest_parts(pattern)
        if parts is None:
            break
        month = parts["mon"].map({m: MONTHS.get(fold(m).rstrip(".")) for m in parts["mon"].dropna().unique()})
        parts = parts.assign(m=month.astype("Int64").astype("str").where(month.notna()),
                             y=_two_digit_year(parts["y"].fillna("")).where(parts["y"].notna()))
        parts.loc[month.isna(), "y"] = np.nan
        fill(parts)
    return _with_problems(text, when, matched, day_month, zoned, year, order, note)


def _with_problems(text: pd.Series, when: pd.Series, matched: pd.Series, day_month: pd.Series,
                   zoned: pd.Series, year: pd.Series, order: str | None, note: str) -> ParsedDates:
    w = when.to_numpy()
    nat = np.isnat(w)
    m = matched.to_numpy()
    years = year.to_numpy()
    early = m & (years < EARLIEST_YEAR)
    late = m & (years > LATEST_YEAR)
    problem = np.full(len(text), "", dtype=object)
    shown = np.full(len(text), "", dtype=object)  # quoted in a reason: made for those texts only
    quoted = ~m | nat | early | late
    shown[quoted] = text[quoted].str.slice(0, 40).to_numpy(dtype=object)
    problem[~m] = [f"date {t!r} is not a date we can read" for t in shown[~m]]
    ordered = day_month.to_numpy()
    problem[m & nat] = [f"date {t!r} does not exist" + (f" when read {order}" if o else "")
                        for t, o in zip(shown[m & nat], ordered[m & nat], strict=True)]
    problem[early] = [f"date {t!r} is before {EARLIEST_YEAR}" for t in shown[early]]
    problem[late] = [f"date {t!r} is after {LATEST_YEAR}" for t in shown[late]]
    problem[(text == "").to_numpy()] = "no collection date"
    w = np.where(problem == "", w, np.datetime64("NaT"))
    return ParsedDates(w.astype("datetime64[ns]"), problem, zoned.to_numpy(dtype=bool), order, note)


def after(when: np.ndarray, not_after: pd.Timestamp | None) -> Coded:
    """Per row, coded: a reason when the time lies after ``not_after`` (the app passes tomorrow: a
    result or dose dated in the future is a typing or export error); "" otherwise."""
    if not_after is None:
        return Coded.constant(len(when))
    late = np.flatnonzero(~np.isnat(when) & (when > np.datetime64(pd.Timestamp(not_after))))
    days = when[late].astype("datetime64[D]")
    codes = np.zeros(len(when), dtype=np.int64)
    distinct, inverse = np.unique(days, return_inverse=True)
    codes[late] = inverse + 1
    texts = [""] + [f"date {pd.Timestamp(d):%Y-%m-%d} is in the future" for d in distinct]
    return Coded(codes, np.array(texts, dtype=object))


def dates_for_codes(texts: Coded, rows: np.ndarray, requested_order: str | None, source: str
                    ) -> tuple[np.ndarray, Coded, np.ndarray, str]:
    """``parse_dates`` over a coded column: (timestamps, problems (coded), zone named, order note)
    per row.

    Only the texts used by ``rows`` can decide or ask for the date order; other rows get NaT.
    """
    used = np.zeros(texts.size, dtype=bool)
    used[texts.codes[rows]] = True
    distinct = texts.arrow_texts().filter(pa.array(used)).cast(pa.large_string())
    parsed = parse_dates(pd.Series(pd.arrays.ArrowStringArray(distinct), dtype="str"), requested_order, source)
    # Texts only other rows use are not parsed: as an empty date, they have no collection date.
    value_when = np.full(len(used), np.datetime64("NaT"), dtype="datetime64[ns]")
    value_problem = np.full(len(used), "no collection date", dtype=object)
    value_zoned = np.zeros(len(used), dtype=bool)
    value_when[used], value_problem[used], value_zoned[used] = parsed.when, parsed.problem, parsed.zoned
    when = np.where(rows, texts.per_value(value_when), np.datetime64("NaT")).astype("datetime64[ns]")
    return when, Coded(texts.codes, value_problem), texts.per_value(value_zoned), parsed.order_note
