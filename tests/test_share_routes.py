"""The SMART Health Link routes (b12core.share_routes) served by a real HTTP server (uvicorn on a
loopback port) and requested with urllib, as a viewer elsewhere would; the JWE served is opened by
jwcrypto, a JOSE implementation independent of the app's."""

from __future__ import annotations

import contextlib
import json
import secrets
import socket
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.message import Message

import pytest
import sqlalchemy as sa
import uvicorn
from starlette.applications import Starlette

from b12core.errors import InputError
from b12core.share_routes import (
    MANIFEST_URL_MAX,
    REQUEST_BODY_MAX,
    link_id_from_manifest_url,
    manifest_url,
    share_routes,
)
from b12core.share_store import NOT_VALID, ShareStore
from tests.share_data import bundle, jwcrypto_decrypt, snapshot_jwe
from tests.test_share_store import postgres_schema

OWNER = "clinician-a"


@dataclass
class Reply:
    status: int
    headers: Message
    body: bytes

    def json(self) -> dict:
        return json.loads(self.body)


@dataclass
class Server:
    base: str
    store: ShareStore
    made: list[int]  # how many times the app asked for its store


@contextlib.contextmanager
def serve(store: ShareStore) -> Iterator[Server]:
    """The share routes over ``store``, served by uvicorn on a loopback port."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    base, made = f"http://127.0.0.1:{sock.getsockname()[1]}", []

    def get_store() -> ShareStore:
        made.append(1)
        return store

    app = Starlette(routes=share_routes(get_store, base))
    http = uvicorn.Server(uvicorn.Config(app, log_level="warning", access_log=False))
    thread = threading.Thread(target=http.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not http.started and time.monotonic() < deadline:
        time.sleep(0.02)
    assert http.started
    try:
        yield Server(base, store, made)
    finally:
        http.should_exit = True
        thread.join(10)
        sock.close()


@pytest.fixture
def server(tmp_path) -> Iterator[Server]:
    store = ShareStore(f"sqlite:///{tmp_path}/share.db")
    try:
        with serve(store) as running:
            yield running
    finally:
        store.close()


def request(url: str, data: bytes | None = None, method: str | None = None, headers: dict | None = None) -> Reply:
    req = urllib.request.Request(url, data=data, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=10) as resp:
            return Reply(resp.status, resp.headers, resp.read())
    except urllib.error.HTTPError as err:
        return Reply(err.code, err.headers, err.read())


def post(url: str, **fields: object) -> Reply:
    body = json.dumps({"recipient": "Dr Grey, haematology", **fields}).encode()
    return request(url, body, headers={"Content-Type": "application/json", "Origin": "https://viewer.example"})


def share(server: Server, **kwargs: object) -> tuple[bytes, str, str]:
    """A new link to a real snapshot: its key, its JWE and its manifest URL."""
    key, jwe, _ = snapshot_jwe()
    link = server.store.create_link(jwe, expires_at=datetime.now(UTC) + timedelta(days=1), owner=OWNER, **kwargs)
    return key, jwe, manifest_url(server.base, link.link_id)


def assert_shared_headers(reply: Reply) -> None:
    assert reply.headers["Access-Control-Allow-Origin"] == "*"
    assert reply.headers["Cache-Control"] == "no-store"


def test_the_manifest_embeds_the_jwe_which_another_jose_implementation_decrypts(server):
    key, jwe, url = share(server)
    assert server.made == []  # the store is asked for on the first request only
    reply = post(url)
    assert reply.status == 200 and reply.headers["Content-Type"] == "application/json"
    assert_shared_headers(reply)
    [entry] = reply.json()["files"]
    assert entry == {"contentType": "application/fhir+json", "embedded": jwe}
    assert json.loads(jwcrypto_decrypt(entry["embedded"], key)) == bundle()
    assert server.made == [1]


def test_a_long_file_is_fetched_from_its_location_as_application_jose(server):
    key, jwe, url = share(server)
    reply = post(url, embeddedLengthMax=100)
    [entry] = reply.json()["files"]
    assert entry["location"].startswith(server.base + "/shl/f/")
    got = request(entry["location"])
    assert got.status == 200 and got.headers["Content-Type"] == "application/jose"
    assert_shared_headers(got)
    assert got.body.decode() == jwe
    assert json.loads(jwcrypto_decrypt(got.body.decode(), key)) == bundle()
    assert [r.outcome for r in server.store.access_log(OWNER)] == ["file fetched", "opened"]


def test_a_wrong_passcode_gets_401_with_the_remaining_attempts(server):
    _, _, url = share(server, passcode="4711")
    reply = post(url, passcode="0000")
    assert (reply.status, reply.json()) == (401, {"remainingAttempts": 4})
    assert_shared_headers(reply)
    assert post(url, passcode="4711").status == 200


def test_unknown_and_revoked_links_and_files_get_the_same_404(server):
    _, _, revoked = share(server)
    server.store.revoke(server.store.links_of(OWNER)[0].ref, OWNER)
    unknown = manifest_url(server.base, secrets.token_urlsafe(32))
    replies = [post(unknown), post(revoked), request(f"{server.base}/shl/f/{secrets.token_urlsafe(32)}")]
    assert {(r.status, r.body, r.headers["Content-Type"]) for r in replies} == \
        {(404, json.dumps(NOT_VALID).encode(), "application/json")}
    for reply in replies:
        assert_shared_headers(reply)


def test_a_malformed_or_oversized_request_gets_400(server):
    _, _, url = share(server)
    assert request(url, b"not json", headers={"Content-Type": "application/json"}).status == 400
    reply = post(url, padding="x" * REQUEST_BODY_MAX)
    assert reply.status == 400
    assert_shared_headers(reply)
    assert request(url).status == 405  # a GET is not a manifest request


def test_a_viewer_on_another_origin_gets_the_cors_preflight_answered(server):
    _, _, url = share(server)
    reply = request(url, method="OPTIONS", headers={
        "Origin": "https://viewer.example", "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "content-type"})
    assert reply.status == 204
    assert_shared_headers(reply)
    assert "POST" in reply.headers["Access-Control-Allow-Methods"]
    assert "content-type" in reply.headers["Access-Control-Allow-Headers"].lower()
    assert server.store.access_log(OWNER) == []  # a preflight is no request for the link


def test_manifest_urls_are_short_and_only_their_own_shape_gives_a_link_id():
    base = "https://b12.clinic.example"
    link_id = secrets.token_urlsafe(32)
    url = manifest_url(base + "/", link_id)
    assert url == f"{base}/shl/m/{link_id}" and len(url) <= MANIFEST_URL_MAX
    assert link_id_from_manifest_url(base, url) == link_id
    for other in (f"https://evil.example/shl/m/{link_id}", f"{base}/shl/f/{link_id}", f"{url}/", f"{url}?x=1",
                  f"{base}/shl/m/{link_id[:-1]}", f"{base}/shl/m/{link_id[:-1]}!", f"{base}.evil/shl/m/{link_id}",
                  f"{base}/x/shl/m/{link_id}", f"{url}#x"):
        assert link_id_from_manifest_url(base, other) is None, other
    with pytest.raises(InputError, match="too long"):
        manifest_url("https://" + "x" * 80 + ".example", link_id)


class Relay:
    """A TCP relay from a loopback port to the database server, which the test cuts and mends as a
    network outage between the app servers and PostgreSQL would: while cut, every connection,
    open or new, is closed at once."""

    def __init__(self, host: str, port: int) -> None:
        self.target = (host, port)
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.up = True
        self.open: list[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            if not self.up:
                client.close()
                continue
            upstream = socket.create_connection(self.target)
            self.open += [client, upstream]
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    @staticmethod
    def _pipe(source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for end in (source, sink):
                with contextlib.suppress(OSError):
                    end.shutdown(socket.SHUT_RDWR)

    def cut(self) -> None:
        self.up = False
        for end in self.open:
            with contextlib.suppress(OSError):
                end.shutdown(socket.SHUT_RDWR)
        self.open.clear()

    def mend(self) -> None:
        self.up = True

    def close(self) -> None:
        self.cut()
        self.listener.close()


@pytest.fixture
def relayed_postgres() -> Iterator[tuple[str, Relay]]:
    """A fresh PostgreSQL schema reached through a ``Relay``: its URL and the relay."""
    with postgres_schema("shl_test") as direct:
        url = sa.make_url(direct)
        relay = Relay(url.host or "127.0.0.1", url.port or 5432)
        try:
            yield url.set(host="127.0.0.1", port=relay.port).update_query_dict(
                {"connect_timeout": "5"}).render_as_string(hide_password=False), relay
        finally:
            relay.close()


def test_while_the_database_cannot_be_reached_every_link_gets_the_same_503_and_then_opens_again(relayed_postgres):
    url, relay = relayed_postgres
    store = ShareStore(url)
    try:
        with serve(store) as running:
            key, _, known = share(running)
            entry = post(known, embeddedLengthMax=100).json()["files"][0]
            unknown = manifest_url(running.base, secrets.token_urlsafe(32))

            relay.cut()
            replies = [post(known), post(unknown), request(entry["location"]),
                       request(f"{running.base}/shl/f/{secrets.token_urlsafe(32)}")]
            assert {(r.status, r.body) for r in replies} == {
                (503, json.dumps({"error": "Shared links cannot be opened just now. Try again later."}).encode())}
            for reply in replies:
                assert_shared_headers(reply)

            relay.mend()  # the pool's stale connections are replaced: no restart needed
            reply = post(known)
            assert reply.status == 200
            assert json.loads(jwcrypto_decrypt(reply.json()["files"][0]["embedded"], key)) == bundle()
            assert post(unknown).status == 404
    finally:
        store.close()
