"""AppTest helpers: run the real app.py, upload files through the sidebar uploader."""

from __future__ import annotations

import json
import re

import pytest
from streamlit.testing.v1 import AppTest

from tests.conftest import REPO, SAMPLE

APP = str(REPO / "app.py")


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
