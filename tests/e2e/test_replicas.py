"""Two app servers over one PostgreSQL, as a clinic's load balancer would run them: a link made in
Chromium on one server opens on the other, read-only, with the same figure and summary."""

from __future__ import annotations

import secrets
from collections.abc import Iterator

import pytest
import sqlalchemy as sa

from tests.e2e.conftest import free_port, running_app
from tests.e2e.test_share_link import FIGURE, _context, _make_link, _markers, _upload
from tests.e2e.test_uploaded_patients import TIMEOUT, settle, wait_for_text
from tests.test_share_store import postgres_schema

pytestmark = pytest.mark.e2e


@pytest.fixture
def shared_database() -> Iterator[str]:
    """A fresh schema in the test PostgreSQL server, as the replicas' one share database."""
    with postgres_schema("replicas") as url:  # skips without a server, fails when CI requires one
        yield url


def test_a_link_made_on_one_server_opens_on_the_other(browser, shared_database, tmp_path):
    one, two = free_port(), free_port()
    public = f"http://127.0.0.1:{one}"  # the address the load balancer would give both
    env = {"B12_SHARE_DATABASE_URL": shared_database, "B12_PUBLIC_BASE_URL": public,
           "STREAMLIT_SERVER_COOKIE_SECRET": secrets.token_hex(32)}  # one cookie secret for every replica
    with running_app(port=one, env=env) as (first, _), running_app(port=two, env=env) as (second, _):
        mine = _context(browser)
        page = mine.new_page()
        page.goto(first)
        _upload(page, tmp_path)
        page.wait_for_selector(".js-plotly-plot", timeout=TIMEOUT)
        figure, markers = page.evaluate(FIGURE), _markers(page)
        link, _ = _make_link(page, "For the haematology MDT", "")
        assert link.startswith(public + "/view#shlink:/")

        theirs = _context(browser)
        other = theirs.new_page()
        other.goto(second + "/view#" + link.split("#", 1)[1])  # the balancer sent the colleague to the other server
        wait_for_text(other, "a read-only copy shared with you")
        other.wait_for_selector(".js-plotly-plot", timeout=TIMEOUT)
        settle(other)
        assert "Patient: A-17" in other.locator("[data-testid=stMain]").inner_text()
        assert other.evaluate(FIGURE) == figure and _markers(other) == markers
        assert other.locator("input[type=file]").count() == 0
        engine = sa.create_engine(shared_database)  # the link and its opening are in the shared database
        with engine.connect() as conn:
            assert conn.execute(sa.text("SELECT uses FROM share_links")).scalars().all() == [1]
        engine.dispose()
        mine.close()
        theirs.close()
