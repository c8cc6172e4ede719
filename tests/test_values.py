"""Result texts: numbers, censored results, decimal marks, units and flags written in the value."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from b12core.values import detect_decimal_mark, parse_free_text, parse_ranges, parse_values


def one(text: str, mark: str = "."):
    p = parse_values(pd.Series([text]), mark)
    return p.value[0], p.qualifier[0], p.unit[0], p.flag[0], p.problem[0]


@pytest.mark.parametrize("text,value,qualifier", [
    ("12.5", 12.5, ""), ("<150", 150, "<"), ("> 2000", 2000, ">"), ("≤0.05", 0.05, "<="),
    ("≥ 10", 10, ">="), (">=10", 10, ">="), ("GREATER THAN 2000", 2000, ">"), ("less than 50", 50, "<"),
    ("416  ", 416, ""), ("1,250", 1250, ""), (".5", 0.5, ""),
])
def test_numbers_and_censored_results(text, value, qualifier):
    v, q, _, _, problem = one(text)
    assert problem == ""
    assert v == pytest.approx(value)
    assert q == qualifier


@pytest.mark.parametrize("text,value,qualifier,unit", [
    ("SUPERIEUR A 20 NG/ML", 20, ">", "NG/ML"), ("supérieur à 2000", 2000, ">", ""),
    ("inférieur à 0,5", 0.5, "<", ""), ("INFERIEUR A 150 pmol/L", 150, "<", "pmol/L"),
    ("kleiner 5", 5, "<", ""), ("kleiner als 5 ng/ml", 5, "<", "ng/ml"), ("größer als 2000", 2000, ">", ""),
    ("GRÖSSER ALS 2000", 2000, ">", ""), ("kleiner dan 45,4", 45.4, "<", ""),
    ("Groter dan 45,4 nmol/L", 45.4, ">", "nmol/L"),
    ("menor que 150", 150, "<", ""), ("menor de 150", 150, "<", ""), ("mayor que 2000", 2000, ">", ""),
    ("MAYOR DE 2000 pg/mL", 2000, ">", "pg/mL"), ("inferiore a 150", 150, "<", ""), ("superiore a 20", 20, ">", ""),
])
def test_censored_results_written_in_words_of_other_languages(text, value, qualifier, unit):
    v, q, u, _, problem = one(text, ",")
    assert (v, q, u, problem) == (value, qualifier, unit, "")


@pytest.mark.parametrize("text,value,qualifier", [
    ("Superior a 2000", 2000, ">"), ("Inferior a 2.0", 2.0, "<"), ("más de 2000", 2000, ">"),
    ("MAS DE 2000", 2000, ">"), ("menos de 150", 150, "<"), ("über 2000", 2000, ">"), ("UEBER 2000", 2000, ">"),
    ("unter 5", 5, "<"), ("meer dan 50", 50, ">"), ("minder dan 50", 50, "<"), ("lager dan 3.5", 3.5, "<"),
    ("hoger dan 45", 45, ">"), ("meno di 5", 5, "<"), ("più di 2000", 2000, ">"), ("PIU DI 2000", 2000, ">"),
    ("plus de 5000", 5000, ">"), ("moins de 5", 5, "<"),
])
def test_more_and_less_than_in_spanish_german_dutch_italian_and_french_words(text, value, qualifier):
    v, q, _, _, problem = one(text)
    assert (v, q, problem) == (value, qualifier, "")


def test_unit_and_flag_written_after_the_number():
    assert one("GREATER THAN 20 NG/ML")[:3] == (20, ">", "NG/ML")
    assert one("12.1 H")[3] == "H"
    assert one("12 (L)")[3] == "L"
    assert one("3.2*")[3] == "*"


@pytest.mark.parametrize("text,value,unit,flag", [
    ("102 g/L", 102, "g/L", ""), ("150 ng/L", 150, "ng/L", ""), ("3.4 mmol/L", 3.4, "mmol/L", ""),
    ("250 pmol/L", 250, "pmol/L", ""), ("12.1 µmol/L", 12.1, "µmol/L", ""), ("2.9 ug/L", 2.9, "ug/L", ""),
    ("4.5 10*9/L", 4.5, "10*9/L", ""), ("105 fL", 105, "fL", ""), ("10.2 g/dL", 10.2, "g/dL", ""),
    ("95 g/L L", 95, "g/L", "L"), ("190 g/L H", 190, "g/L", "H"), ("95 g/L (L)", 95, "g/L", "L"),
    ("95 g/L *", 95, "g/L", "*"), ("102 L", 102, "", "L"), ("102 H", 102, "", "H"), ("102 (L)", 102, "", "L"),
])
def test_a_unit_ending_in_l_is_a_unit_not_a_low_flag(text, value, unit, flag):
    v, _, u, f, problem = one(text)
    assert (v, u, f, problem) == (value, unit, flag, "")


def test_a_unit_ending_in_l_with_a_decimal_comma_and_a_qualifier():
    assert one("> 45,4 nmol/L", ",") == (45.4, ">", "nmol/L", "", "")


@pytest.mark.parametrize("text,words", [
    ("UNABLE TO REPORT", "not a number"), ("___", "not a number"), ("N/A", "not a number"),
    ("see note", "not a number"), ("haemolysed", "not a number"), ("", "no result value"),
    ("12 apples", "not a unit"),
])
def test_text_results_are_not_numbers(text, words):
    v, *_, problem = one(text)
    assert math.isnan(v)
    assert words in problem


def test_decimal_comma_values():
    p = parse_values(pd.Series(["7,5", "1.234,5", "0,04", "12"]), ",")
    assert list(p.value) == [7.5, 1234.5, 0.04, 12]


def test_a_value_in_the_other_decimal_mark_is_rejected_not_misread():
    v, *_, problem = one("7,5", ".")
    assert math.isnan(v) and "decimal mark" in problem
    v, *_, problem = one("7.5", ",")
    assert math.isnan(v) and "decimal mark" in problem


@pytest.mark.parametrize("values,delimiter,mark", [
    (["7,5", "101,2", "150"], ";", ","), (["12.5", "90", "1,250"], ",", "."), (["150", "90"], ";", ","),
    (["150", "90"], ",", "."), (["1.234,5"], ";", ","), (["1,234.5"], ",", "."),
])
def test_decimal_mark_decided_from_the_values(values, delimiter, mark):
    assert detect_decimal_mark(pd.Series(values), delimiter).mark == mark


@pytest.mark.parametrize("text,low,high", [
    ("13.5-17.5", 13.5, 17.5), ("13.5 - 17.5", 13.5, 17.5), ("(80-100)", 80, 100), ("<400", None, 400),
    (">3", 3, None), ("180 to 914 pg/mL", 180, 914), ("3.0–10.0", 3, 10),
])
def test_reference_ranges(text, low, high):
    lo, hi, ok = parse_ranges(pd.Series([text]), ".")
    assert ok[0]
    assert (math.isnan(lo[0]) if low is None else lo[0] == low)
    assert (math.isnan(hi[0]) if high is None else hi[0] == high)


@pytest.mark.parametrize("text,mark,low,high", [
    ("12,0 - 16,0", ".", 12.0, 16.0), ("> 3,9", ".", 3.9, None), ("0,5-2,5", ".", 0.5, 2.5),
    ("12.5 - 17.5", ",", 12.5, 17.5), ("< 0.4", ",", None, 0.4),
    ("1,250 - 2,000", ".", 1250, 2000), ("1.250 - 2.000", ",", 1250, 2000),  # the file's grouping reads them
    ("1,250 - 3,5", ".", 1.25, 3.5),  # one number only the comma reads: the range is read with it
])
def test_a_range_is_read_with_its_own_decimal_mark_when_the_files_cannot_read_it(text, mark, low, high):
    lo, hi, ok = parse_ranges(pd.Series([text]), mark)
    assert ok[0]
    assert (math.isnan(lo[0]) if low is None else lo[0] == low)
    assert (math.isnan(hi[0]) if high is None else hi[0] == high)


def test_reference_ranges_with_decimal_commas_and_unreadable_ones():
    lo, hi, ok = parse_ranges(pd.Series(["7,5 - 10,0", "M: 130-170 F: 120-150"]), ",")
    assert (lo[0], hi[0], ok[0]) == (7.5, 10.0, True)
    assert not ok[1]


def test_the_decimal_comma_reason_quotes_a_value_of_the_file():
    mark = detect_decimal_mark(pd.Series(["9,1", "145", "11,8"]), ";")
    assert (mark.mark, mark.reason) == (",", "decimal comma (2 values such as 9,1)")


@pytest.mark.parametrize("text,mark,value,qualifier", [
    ("kleiner dan 4,0", ".", 4.0, "<"), ("< 0,5", ".", 0.5, "<"), ("1,250", ".", 1250, ""),
    ("kleiner dan 1,250", ".", 1250, "<"), ("< 4.5", ",", 4.5, "<"), ("1.250", ",", 1250, ""),
])
def test_a_free_text_number_is_read_with_the_other_decimal_mark_only_when_unambiguous(text, mark, value, qualifier):
    p = parse_free_text(pd.Series([text]), mark)
    assert (p.value[0], p.qualifier[0], p.problem[0]) == (value, qualifier, "")
