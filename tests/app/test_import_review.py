"""The import review page in AppTest: what was read, mapping unknown names, changing kinds and roles."""

from __future__ import annotations

from tests.app.conftest import markers_table, texts, upload

UNKNOWN = (b"Patient ID,Collection Date,Test Name,Result,Units\n"
           b"p1,2024-03-14,Haemoglobin level X,91,g/L\np1,2024-03-14,MCV,101,fL\n"
           b"p1,2024-03-28,Haemoglobin level X,99,g/L\n")


def open_review(app):
    app.switch_page("pages/import_review.py").run()
    assert not app.exception, [e.message for e in app.exception]
    return app


def test_sample_files_are_reviewed_with_counts_and_columns(app):
    open_review(app)
    labels = [e.label for e in app.expander]
    assert any("uk\\_wide\\_labs\\.csv" in label and "Lab results" in label for label in labels)
    assert any("uk\\_injections\\.xlsx" in label and "Injection record" in label for label in labels)
    counts = [d.value for d in app.dataframe if list(d.value.columns)[:2] == ["Read", "Accepted"]]
    assert counts and all((c["Read"] == c[["Accepted", "Ignored", "Duplicates", "Rejected"]].sum(axis=1)).all()
                          for c in counts)


def test_mapping_an_unknown_name_updates_the_dashboard(app):
    open_review(app)
    upload(app, contents={"lab.csv": UNKNOWN})
    unknown = [d.value for d in app.dataframe if list(d.value.columns) == ["Test name", "Rows"]]
    assert unknown[0].values.tolist() == [["Haemoglobin level X", 2]]
    app.selectbox(key=next(s.key for s in app.selectbox if s.key.startswith("target_"))).select("hemoglobin")
    app.button[[b.label for b in app.button].index("Map")].click().run()
    assert any("Haemoglobin level X → Hemoglobin" in t for t in texts(app.text))
    app.switch_page("pages/dashboard.py").run()  # the upload stays with the session
    markers = markers_table(app)
    assert markers.loc["Hb (g/L)", "Latest"] == "99 (low)"


def test_a_file_can_be_read_as_another_kind_or_left_out(app):
    open_review(app)
    upload(app, "us_long_labs.csv", "us_injections.csv")
    kind = next(s for s in app.selectbox if s.label == "Read this file as")
    kind.select("skip").run()
    assert not app.exception
    labels = [e.label for e in app.expander]
    assert any("Leave out" in label for label in labels)


def test_changing_a_column_role(app):
    data = b"Patient ID,Date,Reported on,Test Name,Result,Units\np1,2024-03-14,2024-03-20,Hb,9.1,g/dL\n"
    open_review(app)
    upload(app, contents={"lab.csv": data})
    role = next(s for s in app.selectbox if s.label == "Role")
    column = next(s for s in app.selectbox if s.label == "Column")
    role.select("collected_at")
    column.select("Reported on")
    app.button[[b.label for b in app.button].index("Use this column")].click().run()
    mapping = next(d.value for d in app.dataframe if list(d.value.columns) == ["Role", "Column", "Why"])
    row = mapping.set_index("Role").loc["collection time"]
    assert (row["Column"], row["Why"]) == ("Reported on", "chosen by you")


def test_rejected_rows_are_listed_with_reasons(app):
    open_review(app)
    upload(app, "us_long_labs.csv")
    rejected = [d.value for d in app.dataframe if "The row as read" in d.value.columns]
    assert rejected and any("'QNS' is not a number" in reason for reason in rejected[0]["Why"])
