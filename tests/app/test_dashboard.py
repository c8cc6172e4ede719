"""The dashboard page in Streamlit's AppTest: first start on sample data, uploads, bad uploads."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from tests.conftest import REPO

APP = str(REPO / "app.py")
LAB = b"Patient ID,Collection Date,Test Name,Result,Units\nMRN1,2024-03-14,Hemoglobin,9.1,g/dL\n" \
      b"MRN2,2024-03-14,Hemoglobin,13.1,g/dL\nMRN2,2024-03-21,MCV,88,fL\n"


@pytest.fixture
def app() -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60)
    return at.run()


def test_first_start_shows_the_sample_patient_labelled_as_sample(app):
    assert not app.exception
    assert any("Sample data" in i.value for i in app.info)
    table = app.dataframe[0].value
    assert len(table) > 10
    assert {"hemoglobin", "b12"} <= set(table["analyte"].astype(str))


def test_uploaded_export_replaces_the_sample_and_patients_can_be_switched(app):
    app.sidebar.file_uploader[0].upload("lab.csv", LAB, "text/csv").run()
    assert not app.exception
    assert not any("Sample data" in i.value for i in app.info)
    assert app.selectbox[0].options == ["MRN1", "MRN2"]
    assert app.dataframe[0].value["value"].tolist() == [91.0]
    app.selectbox[0].select("MRN2").run()
    assert app.dataframe[0].value["value"].tolist() == [131.0, 88.0]


def test_an_unusable_upload_gives_one_message_and_no_traceback(app):
    app.sidebar.file_uploader[0].upload("photo.csv", b"\x89PNG\r\n\x1a\n" + bytes(64), "text/csv").run()
    assert not app.exception
    assert len(app.error) == 1 and "not a table" in app.error[0].value


def test_ambiguous_dates_ask_for_the_order_and_the_choice_applies(app):
    ambiguous = b"Date,Test,Result,Unit\n01/02/2024,Hb,13.5,g/dL\n03/04/2024,Hb,12,g/dL\n"
    app.sidebar.file_uploader[0].upload("lab.csv", ambiguous, "text/csv").run()
    assert "dmy or mdy" in app.error[0].value
    app.sidebar.radio[0].set_value("dmy").run()
    assert not app.error
    assert [str(d.date()) for d in app.dataframe[0].value["collected_at"]] == ["2024-02-01", "2024-04-03"]
