"""Shared helpers for the tests: build raw files from literal text or rows."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from b12core import RawFile, import_labs, read_file

REPO = Path(__file__).resolve().parent.parent
SAMPLE = REPO / "data" / "sample"
FIXTURES = Path(__file__).resolve().parent / "fixtures"


def raw_csv(text: str, name: str = "export.csv", encoding: str = "utf-8") -> RawFile:
    """A raw file read from literal CSV text, as the app would read an upload."""
    return read_file(text.encode(encoding), name)


def xlsx_bytes(rows: list[list[object]], sheet: str = "Results") -> bytes:
    """A real .xlsx workbook holding ``rows`` (openpyxl writes typed cells: dates stay dates)."""
    from openpyxl import Workbook

    book = Workbook()
    ws = book.active
    ws.title = sheet
    for row in rows:
        ws.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def import_text(text: str, name: str = "export.csv", **kwargs):
    """Read and import literal CSV text in one step."""
    return import_labs(raw_csv(text, name), **kwargs)


def assert_accounted(imp) -> None:
    """The accounting identity of design.md, per file."""
    c = imp.counts
    assert (c["read"] == c["accepted"] + c["ignored"] + c["duplicates"] + c["rejected"]).all(), c
    table = next(getattr(imp, name) for name in ("labs", "doses", "symptoms") if hasattr(imp, name))
    assert int(c["accepted"].sum()) == len(table)
    assert int(c["rejected"].sum()) == len(imp.rejections)


@pytest.fixture
def tmp_out(tmp_path: Path) -> Path:
    return tmp_path


def keep_navigation_mode() -> None:
    """Make AppTest run the app as a server does: the entry point (navigation.py) on every rerun, then
    the page.

    A server decides once that the app uses ``st.navigation`` and never looks at the ``pages/``
    folder again. AppTest forgets that before each run and, seeing our ``pages/`` folder, reruns
    the page alone (Streamlit's legacy pages-folder mode), so the sidebar the entry point draws
    would vanish after the first run. This keeps AppTest's decision the server's.
    """
    from streamlit.runtime.pages_manager import PagesManager

    original = PagesManager.__init__
    if getattr(original, "keeps_navigation_mode", False):
        return

    def init(self, *args, **kwargs):
        original(self, *args, **kwargs)
        PagesManager.uses_pages_directory = False

    init.keeps_navigation_mode = True
    PagesManager.__init__ = init


@pytest.fixture(autouse=True, scope="session")
def entry_point_runs_on_every_rerun():
    """Every AppTest of the suite runs the entry point on each rerun (see ``keep_navigation_mode``)."""
    keep_navigation_mode()


@pytest.fixture(scope="session", autouse=True)
def share_links_in_a_temporary_file(tmp_path_factory) -> None:
    """Share links made by tests (the Share page, the app's server) go to a temporary SQLite
    file, not the user's own (``B12_SHARE_SQLITE_PATH``), unless a database URL is set."""
    import os

    if not os.environ.get("B12_SHARE_DATABASE_URL"):
        os.environ.setdefault("B12_SHARE_SQLITE_PATH", str(tmp_path_factory.mktemp("share") / "links.sqlite3"))
