"""Result text -> number, qualifier, and the unit or flag written beside it; reference ranges.

All functions work on a Series of *distinct* texts and are vectorised (Arrow regex kernels), so
a million rows cost what their few thousand distinct values cost.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, fields

import numpy as np
import pandas as pd

from b12core.reference import qualifier_key, qualifier_spellings, qualifier_words, ucum_unit
from b12core.text import extract, fold
from b12core.words import counted


def _spelled(words: str) -> str:
    """An RE2 pattern for a qualifier as written and as labs type it without accents or ß (the
    value pattern is case-insensitive): ``supérieur à`` also matches ``SUPERIEUR A``."""
    parts = []
    for char in words:
        plain = fold(char)
        if char.isspace():
            parts.append(r"\s+")
        elif plain != char.lower():
            parts.append(f"(?:{re.escape(char)}|{re.escape(plain)})")
        else:
            parts.append(re.escape(char))
    return "".join(parts)


_QUAL = "|".join(_spelled(q) for q in qualifier_spellings())
VALUE_PATTERN = (
    rf"^\s*(?P<q>(?i:{_QUAL}))?\s*(?P<num>[+-]?(?:\d[\d.,']*\d|\d)(?:[eE][+-]?\d+)?|[+-]?[.,]\d+)"
    r"\s*(?P<rest>.*?)\s*$"
)
_FLAG_TAIL = r"(?:\(?\b(?:HH|LL|H|L|A|AA|N)\b\)?|\*+|!+)$"
_POINT_DECIMAL = r"^[+-]?(?:\d+\.\d{1,2}|\d+\.\d{4,}|0\.\d+|\d{4,}\.\d+|\.\d+)$"
_COMMA_DECIMAL = r"^[+-]?(?:\d+,\d{1,2}|\d+,\d{4,}|0,\d+|\d{4,},\d+|,\d+)$"


@dataclass(frozen=True)
class DecimalMark:
    mark: str  # "." or ","
    reason: str


def clean_text(values: pd.Series) -> pd.Series:
    """Trim and turn non-breaking and thin spaces into plain spaces."""
    return values.str.replace("[\u00a0\u2007\u2009\u202f]", " ", regex=True).str.strip()


def detect_decimal_mark(values: pd.Series, delimiter: str | None) -> DecimalMark:
    """Decide the file's decimal mark from its result values (distinct texts)."""
    num = extract(clean_text(values), VALUE_PATTERN)["num"].dropna()
    both = num[num.str.contains(".", regex=False) & num.str.contains(",", regex=False)]
    last_comma = int((both.str.rfind(",") > both.str.rfind(".")).sum())
    comma_values = num[num.str.fullmatch(_COMMA_DECIMAL).fillna(False).astype(bool)]
    comma = len(comma_values) + last_comma
    point = int(num.str.fullmatch(_POINT_DECIMAL).sum()) + len(both) - last_comma
    if comma and not point:
        example = comma_values.iloc[0] if len(comma_values) else both.iloc[0]
        return DecimalMark(",", f"decimal comma ({counted(comma, 'value')} such as {example})")
    if point and not comma:
        return DecimalMark(".", "decimal point")
    if comma and point:
        mark = "," if comma > point else "."
        return DecimalMark(mark, f"mixed decimal marks; '{mark}' is used by most values")
    if delimiter == ";":
        return DecimalMark(",", "no value decides the decimal mark; comma assumed for a semicolon file")
    return DecimalMark(".", "decimal point")


def qualifier_of(written: pd.Series) -> pd.Series:
    """The sign (``<``, ``>``, ``<=``, ``>=``) of each qualifier as written (``GREATER THAN``,
    ``inférieur à``, ``≤``); "" where none is written or it is not one (once per distinct text)."""
    distinct = pd.unique(written.dropna().to_numpy())
    sign = {w: qualifier_words().get(qualifier_key(w), "") for w in distinct}
    found = written.map(sign)
    return pd.Series(np.where(found.notna(), found, ""), index=written.index, dtype=object)


def to_number(num: pd.Series, mark: str) -> pd.Series:
    """Number texts -> float64 with the file's decimal mark; NaN where grouping is malformed."""
    thousands = "," if mark == "." else "."
    esc_t, esc_m = ("," if thousands == "," else r"\."), (r"\." if mark == "." else ",")
    grouped = rf"^[+-]?\d{{1,3}}(?:{esc_t}\d{{3}})+(?:{esc_m}\d+)?$"
    plain = rf"^[+-]?(?:\d+(?:{esc_m}\d*)?|{esc_m}\d+)(?:[eE][+-]?\d+)?$"
    ok = num.str.fullmatch(plain) | num.str.fullmatch(grouped)
    normal = num.str.replace(thousands, "", regex=False).str.replace("'", "", regex=False)
    if mark == ",":
        normal = normal.str.replace(",", ".", regex=False)
    out = pd.to_numeric(normal.where(ok.fillna(False).astype(bool)), errors="coerce")
    return out.astype("float64")


@dataclass(frozen=True)
class ParsedValues:
    """Per distinct value text: number, qualifier, unit written in the value, and why not."""

    value: np.ndarray  # float64, NaN where unreadable
    qualifier: np.ndarray  # str
    unit: np.ndarray  # str: a unit written after the number ("" when none)
    flag: np.ndarray  # str: a flag written after the number ("" when none)
    problem: np.ndarray  # str: why the text is not a usable result ("" when it is)


def parse_values(values: pd.Series, mark: str) -> ParsedValues:
    """Parse distinct result texts such as ``12.5``, ``<150``, ``GREATER THAN 2000``, ``7,5 H``."""
    text = clean_text(values.astype("str"))
    parts = extract(text, VALUE_PATTERN)
    qualifier = qualifier_of(parts["q"])
    number = to_number(parts["num"].fillna(""), mark)
    rest = parts["rest"].fillna("")
    flag, unit_text = _flag_and_unit(rest)
    known = _known_units(unit_text)
    unit = unit_text.where(known, "")  # as written
    problem = np.full(len(text), "", dtype=object)
    empty = (text == "").to_numpy()
    no_number = parts["num"].isna().to_numpy()
    bad_number = (~no_number) & number.isna().to_numpy()
    bad_rest = ((unit_text != "") & (unit == "")).to_numpy()
    shown = text.str.slice(0, 60).to_numpy()
    problem[bad_rest] = [f"result {t!r} has text after the number that is not a unit" for t in shown[bad_rest]]
    problem[bad_number] = [f"result {t!r} is not a number written with the file's decimal mark '{mark}'"
                           for t in shown[bad_number]]
    problem[no_number] = [f"result {t!r} is not a number" for t in shown[no_number]]
    problem[empty] = "no result value"
    number = np.where(problem == "", number.to_numpy(dtype="float64"), np.nan)
    return ParsedValues(number, qualifier.to_numpy(dtype=object),
                        unit.to_numpy(dtype=object), flag.str.strip("()").to_numpy(dtype=object),
                        problem)


_UNAMBIGUOUS_DECIMAL = {",": _COMMA_DECIMAL, ".": _POINT_DECIMAL}


def parse_free_text(values: pd.Series, mark: str) -> ParsedValues:
    """``parse_values`` for results a person typed in free text (the lab's comment): a number the
    file's ``mark`` cannot read is read with the other mark when it is unambiguously that mark's
    decimal (``kleiner dan 4,0`` in a decimal-point file), never a possible thousands group
    (``1,250`` stays 1250), as range texts are."""
    own = parse_values(values, mark)
    other_mark = "," if mark == "." else "."
    other = parse_values(values, other_mark)
    num = extract(clean_text(values.astype("str")), VALUE_PATTERN)["num"].fillna("")
    unambiguous = num.str.fullmatch(_UNAMBIGUOUS_DECIMAL[other_mark]).fillna(False).to_numpy(dtype=bool)
    use = (own.problem != "") & unambiguous & (other.problem == "")
    return ParsedValues(*(np.where(use, getattr(other, f.name), getattr(own, f.name))
                          for f in fields(ParsedValues)))


def _known_units(texts: pd.Series) -> pd.Series:
    """Per text: it is a unit we know (looked up once per distinct text; "" is not a unit)."""
    distinct = pd.unique(texts[texts != ""].to_numpy())
    known = {u for u in distinct if ucum_unit(u)}
    return texts.isin(known)


def _flag_and_unit(rest: pd.Series) -> tuple[pd.Series, pd.Series]:
    """(flag, unit text) of what follows the number. A text that is a unit is all unit: the "L" of
    ``g/L`` is the litre, not a low flag; a flag is taken off the end only when it is not."""
    whole_unit = _known_units(rest)
    flag = extract(rest, rf"(?P<f>{_FLAG_TAIL})")["f"].fillna("").where(~whole_unit, "")
    unit_text = rest.str.replace(_FLAG_TAIL, "", regex=True).str.strip().where(~whole_unit, rest)
    return flag, unit_text


_RANGE_NUM = r"[+-]?(?:\d[\d.,']*\d|\d)"
RANGE_PATTERN = (
    rf"^\s*[\(\[]?\s*(?:(?P<lo>{_RANGE_NUM})\s*(?:-|–|—|to|bis|tot|à|a|\.\.|;)\s*(?P<hi>{_RANGE_NUM})"
    rf"|(?P<ltq><=|<|≤|=<|up to)\s*(?P<lt>{_RANGE_NUM})"
    rf"|(?P<gtq>>=|>|≥|=>)\s*(?P<gt>{_RANGE_NUM}))\s*[\)\]]?\s*(?P<unit>[^\d\s][^\d]*)?$"
)


def parse_ranges(ranges: pd.Series, mark: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Distinct reference-range texts -> (low, high, readable) in the reported unit.

    ``13.5-17.5`` -> (13.5, 17.5); ``<400`` -> (NaN, 400); ``>3`` -> (3, NaN). ``readable`` is
    False for non-empty texts that are not a range (kept out of ``ref_low``/``ref_high``). A range
    the file's decimal ``mark`` cannot read is read with the other mark when that reads all its
    numbers: a workbook's ``12,0 - 16,0`` beside results typed as numbers (``10.9``). A range both
    marks read (``1,250 - 2,000``) is read with the file's.
    """
    text = clean_text(ranges.astype("str"))
    parts = extract(text, RANGE_PATTERN)
    low_text, high_text = parts["lo"].fillna(parts["gt"]).fillna(""), parts["hi"].fillna(parts["lt"]).fillna("")
    low, high = _bounds(low_text, high_text, mark)
    other_low, other_high = _bounds(low_text, high_text, "," if mark == "." else ".")
    own = _all_read(low_text, low) & _all_read(high_text, high)
    theirs = ~own & _all_read(low_text, other_low) & _all_read(high_text, other_high)
    low, high = np.where(theirs, other_low, low), np.where(theirs, other_high, high)
    readable = (text == "").to_numpy() | ~(np.isnan(low) & np.isnan(high))
    return low, high, readable


def _bounds(low_text: pd.Series, high_text: pd.Series, mark: str) -> tuple[np.ndarray, np.ndarray]:
    """(low, high) of ranges' number texts read with ``mark`` (NaN where it cannot read one)."""
    return (to_number(low_text, mark).to_numpy(dtype="float64"),
            to_number(high_text, mark).to_numpy(dtype="float64"))


def _all_read(written: pd.Series, number: np.ndarray) -> np.ndarray:
    """Per range: its number is read, or none is written."""
    return (written == "").to_numpy() | ~np.isnan(number)
