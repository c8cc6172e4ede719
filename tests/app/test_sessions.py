"""Two clinicians at once: one session's patient data never reaches another session."""

from __future__ import annotations

import ast
import threading

from streamlit.testing.v1 import AppTest

from benchmarks.patient_generator import long_patient
from tests.app.conftest import APP, markers_table, texts, upload
from tests.conftest import REPO
from ui import slots


def new_session() -> AppTest:
    at = AppTest.from_file(APP, default_timeout=90)
    at.run()
    return at


def patients(at: AppTest) -> list[str]:
    pickers = [s for s in at.sidebar.selectbox if s.key == "patient"]
    return list(pickers[0].options) if pickers else []


def test_two_sessions_see_only_their_own_uploads():
    first, second = new_session(), new_session()
    upload(first, "us_long_labs.csv", "us_injections.csv")
    upload(second, "eu_semicolon_labs.csv", "eu_injections.csv")
    first.run()
    assert patients(first) == ["MRN004417", "MRN007731"]
    assert "0004711" not in str([h.proto.body for h in first.get("html")])
    markers_second = markers_table(second)
    assert "Active B12 (pmol/L)" in markers_second.index  # only the German file has holoTC
    assert patients(second) == []  # one patient: no picker
    third = new_session()  # a new visitor sees the sample, nothing uploaded by others
    assert any("Sample data" in i.value for i in third.info)
    assert "MRN004417" not in str([h.proto.body for h in third.get("html")])
    assert not any("MRN004417" in m.value for m in third.markdown)


def test_every_cache_of_the_app_is_per_session():
    """st.cache_data and st.cache_resource are shared by every user unless scope="session": no
    cache may forget it."""
    for path in [*(REPO / "ui").glob("*.py"), *(REPO / "pages").glob("*.py"), REPO / "app.py", REPO / "navigation.py"]:
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Call) and getattr(node.func, "attr", "") in ("cache_data", "cache_resource"):
                keywords = {k.arg: k.value for k in node.keywords}
                assert isinstance(keywords.get("scope"), ast.Constant) and keywords["scope"].value == "session", \
                    f"{path.name}:{node.lineno} caches without scope='session'"
                assert "max_entries" in keywords, f"{path.name}:{node.lineno} caches without max_entries"


def test_the_shipped_settings_free_an_ended_session_within_three_minutes():
    """What SECURITY.md promises: a session whose tab has gone is closed, its uploads and download
    files freed, 100 to 120 seconds later (the closing itself is seen over HTTP in
    tests/e2e/test_session_end.py)."""
    import tomllib

    from ui.session_end import timing

    ttl = tomllib.loads((REPO / ".streamlit" / "config.toml").read_text())["server"]["disconnectedSessionTTL"]
    interval, grace = timing(ttl)
    assert (ttl, interval, grace) == (120, 10, 100)
    assert grace + interval <= ttl <= 180
    security = (REPO / "SECURITY.md").read_text()
    assert "100 to 120 seconds" in security


def test_an_upload_takes_a_compute_slot_for_its_import_its_figure_and_its_summary(monkeypatch):
    """With many clinicians at once, each heavy step waits for one of the server's compute slots
    (ui/slots.py): an upload takes three turns, a rerun that changes nothing takes none."""
    turns = []

    class Recorded(threading.BoundedSemaphore):
        def __enter__(self):
            turns.append(threading.get_ident())
            return super().__enter__()

    monkeypatch.setattr(slots, "_slots", Recorded(slots.SLOTS))
    at = new_session()
    turns.clear()  # the sample patient's
    labs, doses = long_patient(seed=3, patient_id="SLOT-0003", start="2015-03-01")
    upload(at, contents={"slot-labs.csv": labs, "slot-injections.csv": doses})
    assert "**Patient:** SLOT-0003" in texts(at.markdown)
    assert at.get("plotly_chart")
    assert len(turns) == 3
    at.run()
    assert len(turns) == 3
