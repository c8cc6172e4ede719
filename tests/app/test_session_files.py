"""The session's files in AppTest: read once per upload, imported again only when a choice changes,
and the same files and choices on every page.

``ui.data`` calls ``read_files`` and ``build_workspace``; counting those calls shows what a rerun
does (AppTest runs the pages in this process, so the counters see every call).
"""

from __future__ import annotations

import pytest

import ui.data
from tests.app.conftest import markers_table, texts, upload

LABS = (b"Patient ID,Collection Date,Test Name,Result,Units\n"
        b"p1,2024-03-14,Haemoglobin level X,91,g/L\np1,2024-03-14,MCV,101,fL\n"
        b"p1,2024-03-28,Haemoglobin level X,99,g/L\n")
INJECTIONS = (b"Date given,Medicine,Dose,Route\n"
              b"2024-03-15,Hydroxocobalamin 1 mg/mL,1 mg,IM\n2024-03-17,Hydroxocobalamin 1 mg/mL,1 mg,IM\n")


class Calls:
    """Counts the calls of a function of ``ui.data`` while a test runs."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, name: str) -> None:
        self.count = 0
        real = getattr(ui.data, name)

        def counted(*args, **kwargs):
            self.count += 1
            return real(*args, **kwargs)

        monkeypatch.setattr(ui.data, name, counted)


def open_page(app, name: str):
    app.switch_page(f"pages/{name}.py").run()
    assert not app.exception, [e.message for e in app.exception]
    return app


def test_files_are_read_once_and_imported_again_only_for_a_new_choice(app, monkeypatch):
    reads, builds = Calls(monkeypatch, "read_files"), Calls(monkeypatch, "build_workspace")
    upload(app, contents={"labs.csv": LABS, "injections.csv": INJECTIONS})
    assert (reads.count, builds.count) == (1, 1)
    app.session_state["view_open"] = True  # the sidebar's view controls, opened
    app.run()
    app.sidebar.button_group(key="units").set_value("US").run()  # a view control: nothing read or imported
    open_page(app, "schedule")
    open_page(app, "import_review")
    assert (reads.count, builds.count) == (1, 1)
    target = next(s.key for s in app.selectbox if s.key.startswith("target_"))
    app.selectbox(key=target).select("hemoglobin")
    app.button[[b.label for b in app.button].index("Map")].click().run()
    assert (reads.count, builds.count) == (1, 2)  # imported again with the mapping, not read again
    open_page(app, "dashboard")
    assert (reads.count, builds.count) == (1, 2)


def test_a_mapping_made_on_import_review_reaches_the_dashboard_and_the_schedule(app):
    upload(app, contents={"labs.csv": LABS, "injections.csv": INJECTIONS})
    assert "Hb (g/L)" not in markers_table(app).index  # the lab's own name for haemoglobin is not known yet
    open_page(app, "import_review")  # a second page after the upload: the same files
    labels = [e.label for e in app.expander]
    assert any("labs\\.csv" in label for label in labels) and any("injections\\.csv" in label for label in labels)
    assert not any("uk\\_wide\\_labs" in label for label in labels)  # not the sample
    target = next(s.key for s in app.selectbox if s.key.startswith("target_"))
    app.selectbox(key=target).select("hemoglobin")
    app.button[[b.label for b in app.button].index("Map")].click().run()
    open_page(app, "dashboard")
    assert markers_table(app).loc["Hb (g/L)", "Latest"] == "99 (low)"
    open_page(app, "schedule")
    assert any("Patient:" in t and "p1" in t for t in texts(app.markdown))
    assert not any("Sample data" in t for t in texts(app.info))


def test_a_new_upload_replaces_the_files_on_every_page(app):
    upload(app, contents={"labs.csv": LABS})
    open_page(app, "import_review")
    upload(app, contents={"other.csv": LABS.replace(b"p1,", b"p2,")})
    labels = [e.label for e in app.expander]
    assert any("other\\.csv" in label for label in labels) and not any("labs\\.csv" in label for label in labels)
    open_page(app, "dashboard")
    assert any("Patient:" in t and "p2" in t for t in texts(app.markdown))
