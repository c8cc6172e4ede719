"""AppTest helpers: run the real navigation script (navigation.py, which app.py serves), upload
files through the sidebar uploader."""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from tests.conftest import REPO, SAMPLE

APP = str(REPO / "navigation.py")


@pytest.fixture
def app() -> AppTest:
    at = AppTest.from_file(APP, default_timeout=90)
    at.run()
    assert not at.exception, [e.message for e in at.exception]
    return at


def upload(at: AppTest, *names: str, contents: dict[str, bytes] | None = None) -> AppTest:
    """Upload sample files (by name) or literal contents through the sidebar uploader, then rerun."""
    files = [(n, (SAMPLE / n).read_bytes(), "application/octet-stream") for n in names]
    files += [(n, data, "text/csv") for n, data in (contents or {}).items()]
    at.sidebar.file_uploader[0].set_value(files).run()
    assert not at.exception, [e.message for e in at.exception]
    return at


def figure_spec(at: AppTest) -> dict:
    """The plotly figure the dashboard sent to the browser."""
    charts = at.get("plotly_chart")
    assert charts, "no figure on the page"
    return json.loads(charts[0].proto.spec)


def texts(elements) -> list[str]:
    """Element texts as a person reads them (Markdown escapes removed)."""
    return [re.sub(r"\\(.)", r"\1", e.value) for e in elements]


class _TableText(HTMLParser):
    """The cells of the first table in an HTML fragment, as text (what a person reads)."""

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[list[str]] = []
        self._cell: list[str] | None = None

    def handle_starttag(self, tag, attrs):
        if tag == "tr":
            self.rows.append([])
        elif tag in ("td", "th"):
            self._cell = []

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self._cell is not None:
            self.rows[-1].append("".join(self._cell).replace("\xa0", " ").strip())
            self._cell = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)


def markers_table(at: AppTest) -> pd.DataFrame:
    """The follow-up summary's markers table as shown, indexed by its Marker column ("Hb (g/L)")."""
    bodies = [h.proto.body for h in at.get("html") if "b12-markers" in h.proto.body]
    assert bodies, "no markers table on the page"
    parser = _TableText()
    parser.feed(bodies[0])
    head, *rows = parser.rows
    return pd.DataFrame(rows, columns=head).set_index("Marker")
