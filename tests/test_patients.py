"""Patient ids written differently in different files: the matching key."""

from __future__ import annotations

import pytest

from b12core.patients import id_key


@pytest.mark.parametrize(("written", "key"), [
    ("123", "123"),
    ("MRN 00123", "123"),
    ("mrn:123", "123"),
    ("MRN004417", "4417"),
    ("MRN-004417", "4417"),
    ("0004711", "4711"),
    ("4711", "4711"),
    ("NHS 943 476 5919", "9434765919"),
    ("NHS no. 943 476 5919", "9434765919"),
    ("NHS Number: 943-476-5919", "9434765919"),
    ("NHS-No 943/476.5919", "9434765919"),
    ("9434765919", "9434765919"),
    ("ID 42", "42"),
    ("Patient ID: 00-12", "12"),
    ("Patient 7", "7"),
    ("PID 7", "7"),
    ("PT0042", "42"),
    ("No. 5", "5"),
    ("Nr. 5", "5"),
    ("#123", "123"),
    ("Patient #: 7", "7"),
    ("  P-1/a  ", "p1a"),
    ("Abc.12", "abc12"),
    ("MRN A-12", "a12"),
])
def test_written_ids_and_their_keys(written, key):
    assert id_key(written) == key


@pytest.mark.parametrize(("written", "key"), [
    ("000", "0"),  # an id of zeros only stays a zero
    ("0", "0"),
    ("# 0", "0"),
])
def test_zeros_only_stay_zero(written, key):
    assert id_key(written) == key


@pytest.mark.parametrize(("written", "key"), [
    ("A00123", "a00123"),  # leading zeros are dropped only from all-digit ids
    ("00A1", "00a1"),
    ("NOAH7", "noah7"),  # letters that merely begin like a label are part of the id
    ("IDA", "ida"),
    ("Nora", "nora"),
    ("No", "no"),  # a label with nothing after it is the id
    ("MRN:", "mrn:"),
    ("6227c571-2389-5f74-9ac0-aa4bb9307874", "6227c57123895f749ac0aa4bb9307874"),
])
def test_ids_that_keep_their_letters_and_zeros(written, key):
    assert id_key(written) == key


def test_case_and_unicode_spaces_do_not_count():
    assert id_key("mrn\u00a0ABC") == id_key("ABC") == id_key("abc") == "abc"
    assert id_key("STRASSE1") == id_key("straße1")


def test_different_ids_keep_different_keys():
    ids = ["123", "1230", "0123x", "P1", "P2", "9434765919", "9434765918"]
    assert len({id_key(i) for i in ids}) == len(ids)
