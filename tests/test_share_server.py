"""The share routes as the app serves them (``streamlit run app.py``, as the README starts it): a
link's manifest and short-lived file over HTTP, addresses built on the configured public base URL
whatever Host a request names, nothing of a link in the server's log, and expired links' files
dropped when the server starts."""

from __future__ import annotations

import datetime as dt
import json
import time
import urllib.request

import pytest

from b12core.share_links import create_link
from b12core.share_store import ShareStore
from b12core.shl import parse_shlink, payload_key
from tests.e2e.conftest import SERVER_OUTPUT, running_app
from tests.share_data import PATIENT_ID, bundle, jwcrypto_decrypt

PUBLIC = "https://b12.clinic.example"  # not where the test reaches the server: links must use it anyway


def _post(url: str, body: dict) -> tuple[int, dict]:
    request = urllib.request.Request(url, data=json.dumps(body).encode(), method="POST",
                                     headers={"Content-Type": "application/json", "Host": "evil.example"})
    try:
        with urllib.request.urlopen(request, timeout=30) as answer:
            return answer.status, json.loads(answer.read())
    except urllib.error.HTTPError as refused:
        return refused.code, json.loads(refused.read())


def _ciphertext_kept(path, ref: str) -> bool:
    import sqlite3

    with sqlite3.connect(path) as db:
        return any(row[0] is not None for row in
                   db.execute("select ciphertext from share_links where id_hash like ?", (ref + "%",)))


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    path = tmp_path_factory.mktemp("served") / "links.sqlite3"
    store = ShareStore(f"sqlite:///{path}")
    then = dt.datetime.now(dt.UTC) - dt.timedelta(days=3)
    live = create_link(store, bundle(), base_url=PUBLIC, label="live", days=14, owner="me")
    expired = create_link(store, bundle(), base_url=PUBLIC, label="old", days=1, owner="me", now=then)
    store.close()
    assert _ciphertext_kept(path, expired.ref)
    with running_app(env={"B12_SHARE_SQLITE_PATH": str(path), "B12_PUBLIC_BASE_URL": PUBLIC}) as (url, _):
        yield url, path, expired, live


def _local(url: str, public_url: str) -> str:
    return url + public_url.removeprefix(PUBLIC)


def test_the_app_server_answers_a_links_manifest_and_its_short_lived_file(served):
    url, _, _, live = served
    payload = parse_shlink(live.viewer_url)
    assert payload["url"].startswith(PUBLIC + "/shl/m/")
    status, manifest = _post(_local(url, payload["url"]), {"recipient": "Other viewer", "embeddedLengthMax": 100})
    assert status == 200
    location = manifest["files"][0]["location"]
    assert location.startswith(PUBLIC + "/shl/f/")  # the configured address, not the request's Host
    with urllib.request.urlopen(_local(url, location), timeout=30) as answer:
        assert answer.headers["Content-Type"].startswith("application/jose")
        plain = json.loads(jwcrypto_decrypt(answer.read().decode(), payload_key(payload)))
    assert plain["entry"][0]["resource"]["identifier"][0]["value"] == PATIENT_ID
    secrets = (payload["url"].rsplit("/", 1)[1], location.rsplit("/", 1)[1], payload["key"])
    assert not [line for line in SERVER_OUTPUT if any(s in line for s in secrets)]


def test_an_expired_links_file_is_dropped_when_the_server_starts(served):
    _, path, expired, live = served
    deadline = time.time() + 30
    while _ciphertext_kept(path, expired.ref) and time.time() < deadline:
        time.sleep(0.5)
    assert not _ciphertext_kept(path, expired.ref)
    assert _ciphertext_kept(path, live.ref)


def test_under_uvicorn_the_access_log_names_the_share_routes_without_their_ids(tmp_path):
    import os
    import socket
    import subprocess
    import sys

    from tests.conftest import REPO

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "app:app", "--host", "127.0.0.1", "--port", str(port)], cwd=REPO,
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        env={**os.environ, "B12_SHARE_SQLITE_PATH": str(tmp_path / "links.sqlite3")})
    link_id = "Q" * 43
    try:
        deadline = time.time() + 60
        while True:
            try:
                status, _ = _post(f"http://127.0.0.1:{port}/shl/m/{link_id}", {"recipient": "x"})
                break
            except OSError:
                assert time.time() < deadline and server.poll() is None, "uvicorn did not start"
                time.sleep(0.5)
        assert status == 404
    finally:
        server.terminate()
        output = server.communicate(timeout=30)[0].decode(errors="replace")
    assert '"POST /shl/m/… HTTP/1.1" 404' in output  # logged, without the id
    assert link_id not in output
