"""Sign-in through Streamlit's real OpenID Connect flow (st.login), against a real OIDC provider
on loopback (oidc-provider-mock), in Chromium: every page asks for it, the sidebar names the user
and signs out, share links are listed under the user, and their log names a signed-in viewer.
A shared link opens without sign-in unless the deployment requires it for viewing too."""

from __future__ import annotations

import json
import secrets
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from tests.e2e.conftest import free_port, running_app
from tests.e2e.test_share_link import _context, _make_link, _table, _upload
from tests.e2e.test_uploaded_patients import settle, wait_for_text

pytestmark = pytest.mark.e2e

USERS = {"dr.grey": {"email": "dr.grey@clinic.example", "name": "Dr Grey"},
         "dr.ade": {"email": "dr.ade@clinic.example", "name": "Dr Ade"}}


@pytest.fixture(scope="module")
def provider() -> Iterator[str]:
    """A real OpenID Connect provider on loopback, with two users' claims."""
    from oidc_provider_mock import run_server_in_thread

    with run_server_in_thread() as server:
        base = f"http://localhost:{server.server_port}"
        for sub, claims in USERS.items():
            request = urllib.request.Request(f"{base}/users/{sub}", data=json.dumps(claims).encode(), method="PUT",
                                             headers={"Content-Type": "application/json"})
            urllib.request.urlopen(request, timeout=10).close()
        yield base


@contextmanager
def signed_in_app(provider: str, tmp_path, **env: str) -> Iterator[str]:
    """The app with ``[auth]`` pointing at the provider (its secrets file written for the test)."""
    port = free_port()
    secrets_file = tmp_path / f"secrets-{port}.toml"
    secrets_file.write_text(f"""[auth]
redirect_uri = "http://localhost:{port}/oauth2callback"
cookie_secret = "{secrets.token_hex(32)}"
client_id = "b12-follow-up"
client_secret = "{secrets.token_hex(16)}"
server_metadata_url = "{provider}/.well-known/openid-configuration"
""")
    with running_app(f"--secrets.files={secrets_file}", port=port, env=env) as (_, _process):
        yield f"http://localhost:{port}"


def sign_in(page, sub: str) -> None:
    """Sign in as a person does: the app's button, the provider's page, back to the app."""
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_selector("input[name=sub]", timeout=60_000)
    page.fill("input[name=sub]", sub)
    page.get_by_role("button", name="Authorize").click()
    wait_for_text(page, USERS[sub]["email"])
    settle(page)


def test_every_page_needs_sign_in_and_links_are_listed_under_the_user(browser, provider, tmp_path):
    with signed_in_app(provider, tmp_path) as url:
        mine = _context(browser)
        page = mine.new_page()
        page.goto(url + "/schedule")
        wait_for_text(page, "Sign in with your organisation's account")
        assert page.locator("input[type=file]").count() == 0  # nothing of the app before sign-in
        sign_in(page, "dr.grey")
        sidebar = page.locator("[data-testid=stSidebar]").inner_text()
        assert "Signed in as" in sidebar and "dr.grey@clinic.example" in sidebar
        _upload(page, tmp_path)
        link, _ = _make_link(page, "For Dr Ade", "")
        assert "Links you make are listed under your name" in page.locator("[data-testid=stMain]").inner_text()

        anyone = _context(browser).new_page()  # a colleague without an account here: the link opens
        anyone.goto(link)
        wait_for_text(anyone, "a read-only copy shared with you")
        colleague = _context(browser)
        ade = colleague.new_page()
        ade.goto(url)
        sign_in(ade, "dr.ade")
        ade.goto(link)
        wait_for_text(ade, "a read-only copy shared with you")

        page.get_by_role("button", name="Refresh").click()
        wait_for_text(page, "dr.ade@clinic.example")
        settle(page)
        assert "Your links" in page.locator("[data-testid=stMain]").inner_text()
        assert [row[-1] for row in _table(page, 1)] == ["dr.ade@clinic.example", ""]  # the log's signed-in user

        later = mine.new_page()  # another session of the same user: the link is listed there too
        later.goto(url + "/share")
        wait_for_text(later, "Your links")
        settle(later)
        assert _table(later, 0)[0][0] == "(made in another session)"
        later.get_by_role("button", name="Sign out").click()
        later.get_by_role("button", name="End session").click()  # the provider asks to end its session too
        wait_for_text(later, "Sign in with your organisation's account")
        mine.close()
        colleague.close()


def test_a_deployment_can_require_sign_in_to_open_a_shared_link(browser, provider, tmp_path):
    with signed_in_app(provider, tmp_path, B12_VIEWERS_SIGN_IN="true") as url:
        mine = _context(browser)
        page = mine.new_page()
        page.goto(url)
        sign_in(page, "dr.grey")
        _upload(page, tmp_path)
        page.get_by_role("link", name="Share a read-only link with a colleague").click()
        wait_for_text(page, "Colleagues must sign in to open them")
        settle(page)
        page.get_by_role("button", name="Create link").click()
        wait_for_text(page, "Link created")
        link = page.locator("[data-testid=stCode] code").nth(0).inner_text().strip()
        other = _context(browser).new_page()
        other.goto(link)
        wait_for_text(other, "Sign in to open this shared link")
        assert "A-17" not in other.locator("[data-testid=stMain]").inner_text()
        sign_in(other, "dr.ade")
        other.goto(link)
        wait_for_text(other, "a read-only copy shared with you")
        mine.close()
