"""Coded text columns and the per-row bookkeeping built on them: answers worked out once per
distinct text or combination must land on exactly the rows they belong to."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa

from b12core.accounting import Reasons, RowNotes
from b12core.coded import Coded, combine, joined


def test_arrow_column_is_trimmed_and_texts_equal_after_trimming_share_a_code():
    column = pa.array([" Hb", "Hb", "MCV ", "'=1+1", "", "Hb "]).dictionary_encode()
    coded = Coded.of_arrow(column)
    assert coded.texts().tolist() == ["Hb", "Hb", "MCV", "=1+1", "", "Hb"]
    assert len(set(coded.values)) == len(coded.values) == 4
    untouched = Coded.of_arrow(column, strip=False)
    assert untouched.texts().tolist() == [" Hb", "Hb", "MCV ", "'=1+1", "", "Hb "]


def test_without_unquote_only_whitespace_is_trimmed_as_pandas_strips_it():
    texts = [" Hb", "Hb", "'=1+1 ", "'-2", "\u00a0x\t", ""]
    coded = Coded.of_arrow(pa.array(texts).dictionary_encode(), unquote=False)
    assert coded.texts().tolist() == pd.Series(texts, dtype="str").str.strip().tolist()
    assert coded.texts().tolist() == ["Hb", "Hb", "'=1+1", "'-2", "x", ""]
    assert len(set(coded.values)) == len(coded.values) == 5


def test_ordered_numbers_texts_as_factorize_does_leaving_out_unused_ones():
    coded = Coded(np.array([2, 0, 2, 3]), np.array(["a", "b", "c", "d"], dtype=object))
    ordered = coded.ordered()
    codes, uniques = pd.factorize(coded.texts())
    assert ordered.codes.tolist() == codes.tolist() and ordered.values.tolist() == uniques.tolist() == ["c", "a", "d"]
    assert Coded.constant(3, "x").ordered().texts().tolist() == ["x", "x", "x"]
    assert len(Coded.constant(0).ordered().values) == 0


def test_joined_texts_are_trimmed_and_pairs_joining_to_one_text_share_a_code():
    left = Coded.from_texts(np.array(["A B", "A", "A", "", "C"], dtype=object))
    right = Coded.from_texts(np.array(["", "B", "B", "1 mg", ""], dtype=object))
    both = joined(left, right)
    assert both.texts().tolist() == ["A B", "A B", "A B", "1 mg", "C"]
    assert both.codes.tolist() == [0, 0, 0, 1, 2] and both.values.tolist() == ["A B", "1 mg", "C"]
    assert joined(Coded.constant(2, "2024-01-02"), Coded.constant(2)).texts().tolist() == ["2024-01-02"] * 2
    assert len(joined(Coded.constant(0), Coded.constant(0))) == 0


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


def test_take_by_mask_or_positions_gives_the_same_rows():
    for column in (Coded.constant(4, "same"), Coded(np.array([0, 1, 0, 1]), np.array(["a", "b"], dtype=object))):
        mask = np.array([True, False, False, True])
        assert column.take(mask).texts().tolist() == column.take(np.array([0, 3])).texts().tolist()
        assert len(column.take(mask)) == 2
