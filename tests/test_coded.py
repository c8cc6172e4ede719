"""Coded text columns and the per-row bookkeeping built on them: answers worked out once per
distinct text or combination must land on exactly the rows they belong to."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa

from b12core.accounting import Reasons, RowNotes
from b12core.coded import Coded, combine


def test_arrow_column_is_trimmed_and_texts_equal_after_trimming_share_a_code():
    column = pa.array([" Hb", "Hb", "MCV ", "'=1+1", "", "Hb "]).dictionary_encode()
    coded = Coded.of_arrow(column)
    assert coded.texts().tolist() == ["Hb", "Hb", "MCV", "=1+1", "", "Hb"]
    assert len(set(coded.values)) == len(coded.values) == 4
    untouched = Coded.of_arrow(column, strip=False)
    assert untouched.texts().tolist() == [" Hb", "Hb", "MCV ", "'=1+1", "", "Hb "]


def test_combine_gives_one_code_per_distinct_combination_in_order_of_first_appearance():
    a = Coded.from_texts(np.array(["x", "y", "x", "x", "y"], dtype=object))
    b = Coded.from_texts(np.array(["1", "1", "2", "1", "1"], dtype=object))
    constant = Coded.constant(5, "z")
    codes, first = combine(a, constant, b)
    assert codes.tolist() == [0, 1, 2, 0, 1]
    assert first.tolist() == [0, 1, 2]
    pairs = [(a.values[a.codes[f]], b.values[b.codes[f]]) for f in first]
    assert pairs == [("x", "1"), ("y", "1"), ("x", "2")]
    empty_codes, empty_first = combine(Coded.constant(0))
    assert len(empty_codes) == len(empty_first) == 0


def test_series_takes_texts_without_changing_them():
    coded = Coded(np.array([2, 0, 2, 1]), np.array(["a", "", "µmol/L"], dtype=object))
    series = coded.take(np.array([True, False, True, True])).series()
    assert series.dtype == "str" and series.tolist() == ["µmol/L", "µmol/L", ""]


def test_the_first_reason_wins_whatever_form_it_is_given_in():
    reasons = Reasons(5)
    reasons.fail(np.array([True, False, False, False, False]), "no patient id")
    per_text = Coded(np.array([1, 1, 0, 2, 0]), np.array(["", "bad value", "bad unit"], dtype=object))
    reasons.fail(np.ones(5, dtype=bool), per_text)
    reasons.fail(np.ones(5, dtype=bool), np.array(["x", "y", "", "z", "late"], dtype=object))
    assert reasons.text(np.arange(5)).tolist() == ["no patient id", "bad value", "", "bad unit", "late"]
    assert reasons.ok().tolist() == [False, False, True, False, False]


def test_notes_join_in_the_order_added_and_can_be_read_for_some_rows_only():
    notes = RowNotes(4)
    notes.add_coded(Coded(np.array([0, 1, 1, 0]), np.array(["", "mapped by you"], dtype=object)))
    notes.add(np.array([True, True, False, False]), "unit from the test's name")
    expected = ["unit from the test's name", "mapped by you; unit from the test's name", "mapped by you", ""]
    assert notes.coded().texts().tolist() == expected
    assert notes.strings().tolist() == expected
    assert notes.coded(np.array([2, 1])).texts().tolist() == [expected[2], expected[1]]


def test_labs_text_columns_are_pandas_str_columns():
    coded = Coded.from_texts(np.array(["a", "b"], dtype=object))
    assert pd.api.types.is_string_dtype(coded.series())
