"""The share store (b12core.share_store): SMART Health Link manifests, passcodes, revocation, expiry,
the access log and purging, each test run on SQLite and on a real PostgreSQL server.

PostgreSQL comes from ``B12_TEST_DATABASE_URL`` (each test gets its own schema, dropped afterwards);
without it those cases skip, unless ``B12_REQUIRE_POSTGRES=1`` (CI), which makes them fail.
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import re
import secrets
import threading
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from b12core.errors import InputError
from b12core.share_store import (
    LOCATION_LIFETIME,
    NOT_VALID,
    PASSCODE_ATTEMPTS,
    RECIPIENT_MAX,
    RETENTION,
    Answer,
    ShareStore,
    hash_passcode,
    passcode_matches,
)
from b12core.shl import decrypt
from b12core.snapshot import read_snapshot
from tests.share_data import LABS, PATIENT_ID, RESULT_VALUE, SETTINGS, snapshot_jwe

NOW = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)
DAY = timedelta(days=1)
OWNER = "clinician-a"
BODY = json.dumps({"recipient": "Dr Grey, haematology"}).encode()


def file_url(token: str) -> str:
    return f"https://clinic.example/shl/f/{token}"


def token_of(url: str) -> str:
    return url.rsplit("/", 1)[1]


def body(**fields: object) -> bytes:
    return json.dumps({"recipient": "Dr Grey, haematology", **fields}).encode()


def ask(store: ShareStore, link_id: str, request: bytes = BODY, now: datetime = NOW, **kwargs: object) -> Answer:
    return store.manifest(link_id, request, file_url=file_url, now=now, **kwargs)


def postgres_url() -> str:
    url = os.environ.get("B12_TEST_DATABASE_URL", "")
    if not url:
        reason = "PostgreSQL store tests need B12_TEST_DATABASE_URL (e.g. postgresql+psycopg://b12:b12@127.0.0.1/b12test)"
        if os.environ.get("B12_REQUIRE_POSTGRES") == "1":
            pytest.fail(reason + "; B12_REQUIRE_POSTGRES=1 requires them")
        pytest.skip(reason)
    return url


@contextlib.contextmanager
def postgres_schema(prefix: str) -> Iterator[str]:
    """A new schema in the test PostgreSQL server, dropped afterwards: the URL that works in it."""
    base = postgres_url()
    schema = f"{prefix}_{secrets.token_hex(6)}"
    admin = sa.create_engine(base)
    with admin.begin() as conn:
        conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield sa.make_url(base).update_query_dict({"options": f"-csearch_path={schema}"}) \
            .render_as_string(hide_password=False)
    finally:
        with admin.begin() as conn:
            conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh database: a SQLite file in a directory not made yet, or a new PostgreSQL schema."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path}/store/share.db"
        return
    with postgres_schema("shl_test") as url:
        yield url


@pytest.fixture
def store(database_url: str) -> Iterator[ShareStore]:
    shares = ShareStore(database_url)
    yield shares
    shares.close()


def stored_ciphertexts(database_url: str) -> list[str | None]:
    """The ciphertext column as the database holds it."""
    engine = sa.create_engine(database_url)
    try:
        with engine.connect() as conn:
            return list(conn.execute(sa.text("SELECT ciphertext FROM share_links")).scalars())
    finally:
        engine.dispose()


def row_count(database_url: str, table: str) -> int:
    engine = sa.create_engine(database_url)
    try:
        with engine.connect() as conn:
            return conn.execute(sa.text(f"SELECT count(*) FROM {table}")).scalar_one()
    finally:
        engine.dispose()


def outcomes(store: ShareStore, owner: str = OWNER) -> list[str]:
    return [row.outcome for row in store.access_log(owner)]


def new_link(store: ShareStore, jwe: str = "a.b.c.d.e", **kwargs: object):
    kwargs = {"expires_at": NOW + DAY, "owner": OWNER, "now": NOW, **kwargs}
    return store.create_link(jwe, **kwargs)


def test_a_shared_snapshot_comes_back_from_the_manifest_and_decrypts_to_the_same_values(store):
    key, jwe, plain = snapshot_jwe()
    link = new_link(store, jwe)
    assert len(link.link_id) == 43 and len(link.revoke_token) == 43 and link.link_id != link.revoke_token
    assert re.fullmatch(r"[0-9a-f]{8}", link.ref) and link.flags == ""
    answer = ask(store, link.link_id)
    assert answer.status == 200 and answer.content_type == "application/json"
    assert answer.body == {"status": "finalized", "files": [{"contentType": "application/fhir+json", "embedded": jwe}]}
    assert decrypt(answer.body["files"][0]["embedded"], key) == plain
    back = read_snapshot(decrypt(answer.body["files"][0]["embedded"], key))
    assert back.patient_id == PATIENT_ID and back.settings == SETTINGS
    assert back.labs["value"].tolist() == LABS["value"].tolist()
    assert back.labs["collected_at"].tolist() == LABS["collected_at"].tolist()
    [row] = store.links_of(OWNER, now=NOW)
    assert (row.ref, row.uses, row.status, row.attempts_left) == (link.ref, 1, "active", None)
    assert (row.created_at, row.expires_at) == (NOW, NOW + DAY)


def test_a_file_longer_than_embedded_length_max_is_given_at_a_short_lived_location(store):
    key, jwe, plain = snapshot_jwe()
    link = new_link(store, jwe)
    assert ask(store, link.link_id, body(embeddedLengthMax=len(jwe))).body["files"][0]["embedded"] == jwe
    answer = ask(store, link.link_id, body(embeddedLengthMax=len(jwe) - 1))
    [entry] = answer.body["files"]
    assert answer.status == 200 and set(entry) == {"contentType", "location"}
    assert entry["location"].startswith("https://clinic.example/shl/f/")
    token = token_of(entry["location"])
    assert len(token) == 43
    assert decrypt(store.file(token, now=NOW), key) == plain
    assert store.file(token, now=NOW + LOCATION_LIFETIME - timedelta(seconds=1)) == jwe
    assert store.file(token, now=NOW + LOCATION_LIFETIME) is None  # at most one hour
    assert store.file("x" * 43, now=NOW) is None
    assert outcomes(store) == ["file fetched", "file fetched", "opened", "opened"]
    assert store.links_of(OWNER, now=NOW)[0].uses == 2  # fetching the file is not another use


def test_a_location_never_outlives_its_link(store):
    link = new_link(store, "x" * 100, expires_at=NOW + timedelta(minutes=10))
    token = token_of(ask(store, link.link_id, body(embeddedLengthMax=10)).body["files"][0]["location"])
    assert store.file(token, now=NOW + timedelta(minutes=9)) == "x" * 100
    assert store.file(token, now=NOW + timedelta(minutes=10)) is None
    other = new_link(store, "y" * 100)
    token = token_of(ask(store, other.link_id, body(embeddedLengthMax=10)).body["files"][0]["location"])
    assert store.revoke(other.ref, OWNER)
    assert store.file(token, now=NOW) is None


def test_an_expired_link_is_refused_and_listed_as_expired(store):
    link = new_link(store, expires_at=NOW + DAY)
    assert ask(store, link.link_id, now=NOW + DAY - timedelta(seconds=1)).status == 200
    assert ask(store, link.link_id, now=NOW + DAY) == Answer(404, NOT_VALID)
    assert store.links_of(OWNER, now=NOW + DAY)[0].status == "expired"
    assert store.links_of(OWNER, now=NOW)[0].status == "active"
    assert outcomes(store) == ["refused: expired", "opened"]


def test_a_link_is_revoked_by_its_owner_by_ref(store, database_url):
    link = new_link(store)
    assert not store.revoke(link.ref, "someone else")
    assert not store.revoke("not-a-ref", OWNER)
    assert store.revoke(link.ref, OWNER)
    assert not store.revoke(link.ref, OWNER)  # already revoked
    assert ask(store, link.link_id) == Answer(404, NOT_VALID)
    assert store.links_of(OWNER, now=NOW)[0].status == "revoked"
    assert outcomes(store) == ["refused: revoked"]
    assert stored_ciphertexts(database_url) == [None]


def test_a_link_is_revoked_with_its_private_revoke_token(store, database_url):
    link = new_link(store, passcode="4711")
    assert ask(store, link.link_id, body(passcode="4711")).status == 200
    assert store.link_for_revoke_token(link.link_id) is None  # the link id is not a revoke token
    row = store.link_for_revoke_token(link.revoke_token, now=NOW)
    assert (row.ref, row.status, row.flags, row.uses) == (link.ref, "active", "P", 1)
    assert store.revoke_with_token(link.revoke_token)
    assert not store.revoke_with_token(link.revoke_token)
    assert not store.revoke_with_token("nothing")
    assert store.link_for_revoke_token(link.revoke_token, now=NOW).status == "revoked"
    assert ask(store, link.link_id, body(passcode="4711")) == Answer(404, NOT_VALID)
    assert [r.outcome for r in store.access_log_for_revoke_token(link.revoke_token)] == \
        ["refused: revoked", "opened"]
    assert store.access_log_for_revoke_token("nothing") == []
    assert stored_ciphertexts(database_url) == [None]


def test_wrong_passcodes_count_down_and_the_last_one_disables_the_link_for_good(store, database_url):
    link = new_link(store, passcode="4711", long_term=True)
    assert link.flags == "LP"
    assert ask(store, link.link_id, body(passcode="0000")) == Answer(401, {"remainingAttempts": 4})
    assert ask(store, link.link_id, body(passcode="4711")).status == 200
    assert ask(store, link.link_id, body(passcode="4711")).status == 200  # the right one costs nothing
    assert store.links_of(OWNER, now=NOW)[0].attempts_left == 4
    assert ask(store, link.link_id) == Answer(401, {"remainingAttempts": 3})  # a missing one is wrong too
    assert [ask(store, link.link_id, body(passcode=p)).body for p in ("", "4712", "4711 ")] == \
        [{"remainingAttempts": 2}, {"remainingAttempts": 1}, {"remainingAttempts": 0}]
    assert ask(store, link.link_id, body(passcode="4711")) == Answer(404, NOT_VALID)
    assert ask(store, link.link_id, body(passcode="4711"), now=NOW + timedelta(hours=1)) == Answer(404, NOT_VALID)
    [row] = store.links_of(OWNER, now=NOW)
    assert (row.status, row.attempts_left, row.uses) == ("passcode attempts used up", 0, 2)
    assert stored_ciphertexts(database_url) == [None]
    assert outcomes(store) == ["refused: passcode attempts used up"] * 2 + ["wrong passcode"] * 4 + \
        ["opened", "opened", "wrong passcode"]


def test_a_passcode_sent_to_a_link_without_one_is_ignored(store):
    link = new_link(store)
    assert ask(store, link.link_id, body(passcode="anything")).status == 200


def test_unknown_revoked_expired_and_used_up_links_get_one_identical_answer(store):
    revoked, expired, used_up = new_link(store), new_link(store, expires_at=NOW + timedelta(minutes=1)), \
        new_link(store, passcode="4711")
    store.revoke_with_token(revoked.revoke_token)
    for _ in range(PASSCODE_ATTEMPTS):
        ask(store, used_up.link_id, body(passcode="wrong"))
    later = NOW + timedelta(minutes=2)
    answers = [ask(store, link_id, body(passcode="4711"), now=later)
               for link_id in (secrets.token_urlsafe(32), revoked.link_id, expired.link_id, used_up.link_id)]
    assert {(a.status, json.dumps(a.body), a.content_type) for a in answers} == \
        {(404, json.dumps(NOT_VALID), "application/json")}


def test_a_malformed_request_is_refused_before_the_link_is_looked_at(store):
    link = new_link(store)
    bad = [b"", b"not json", b"\xff\xfe", b"[]", b'"Dr Grey"', json.dumps({"passcode": "4711"}).encode(),
           body(recipient=5), body(recipient=None), body(passcode=4711), body(embeddedLengthMax="10"),
           body(embeddedLengthMax=-1), body(embeddedLengthMax=True), body(embeddedLengthMax=1.5)]
    for request in bad:
        for link_id in (link.link_id, secrets.token_urlsafe(32)):
            answer = ask(store, link_id, request)
            assert answer.status == 400, request
            assert answer == ask(store, secrets.token_urlsafe(32), request)
    assert store.access_log(OWNER) == [] and store.links_of(OWNER, now=NOW)[0].uses == 0


def test_twenty_concurrent_wrong_passcodes_use_exactly_the_five_attempts(store):
    link = new_link(store, passcode="4711")
    start = threading.Barrier(20)
    answers: list[Answer] = []
    lock = threading.Lock()

    def guess(i: int) -> None:
        start.wait()
        answer = ask(store, link.link_id, body(passcode=f"guess {i}"))
        with lock:
            answers.append(answer)

    threads = [threading.Thread(target=guess, args=(i,)) for i in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert Counter(a.status for a in answers) == {401: PASSCODE_ATTEMPTS, 404: 20 - PASSCODE_ATTEMPTS}
    assert sorted(a.body["remainingAttempts"] for a in answers if a.status == 401) == [0, 1, 2, 3, 4]
    assert all(a.body == NOT_VALID for a in answers if a.status == 404)
    assert ask(store, link.link_id, body(passcode="4711")) == Answer(404, NOT_VALID)
    log = Counter(outcomes(store))
    assert log == {"wrong passcode": 5, "refused: passcode attempts used up": 16}


def test_the_access_log_keeps_each_request_for_a_known_link_newest_first(store):
    first, second = new_link(store), new_link(store, owner="clinician-b")
    long_name = "Dr " + "x" * 300
    ask(store, first.link_id, body(recipient=long_name), now=NOW + timedelta(minutes=1), user="grey@clinic")
    ask(store, first.link_id, now=NOW + timedelta(minutes=2))
    ask(store, second.link_id)
    ask(store, secrets.token_urlsafe(32))  # unknown ids are not logged
    log = store.access_log(OWNER)
    assert [(r.ref, r.at, r.outcome, r.recipient, r.user) for r in log] == [
        (first.ref, NOW + timedelta(minutes=2), "opened", "Dr Grey, haematology", ""),
        (first.ref, NOW + timedelta(minutes=1), "opened", long_name[:RECIPIENT_MAX], "grey@clinic"),
    ]
    assert [r.ref for r in store.access_log("clinician-b")] == [second.ref]
    assert store.access_log("nobody") == []


def test_links_are_listed_newest_first_with_their_flags(store):
    plain = new_link(store, now=NOW)
    both = new_link(store, passcode="4711", long_term=True, now=NOW + timedelta(minutes=1))
    long_term = new_link(store, long_term=True, now=NOW + timedelta(minutes=2))
    rows = store.links_of(OWNER, now=NOW + timedelta(minutes=3))
    assert [(r.ref, r.flags, r.attempts_left) for r in rows] == \
        [(long_term.ref, "L", None), (both.ref, "LP", PASSCODE_ATTEMPTS), (plain.ref, "", None)]
    assert store.links_of("someone else") == []


def test_a_link_must_expire_in_the_future_and_times_must_carry_a_zone(store):
    with pytest.raises(InputError):
        new_link(store, expires_at=NOW)
    with pytest.raises(InputError):
        new_link(store, passcode="")
    with pytest.raises(ValueError):
        new_link(store, now=NOW.replace(tzinfo=None))
    with pytest.raises(ValueError):
        new_link(store, expires_at=(NOW + DAY).replace(tzinfo=None))


def test_purge_drops_expired_ciphertext_at_once_and_the_rows_after_the_retention(store, database_url):
    old = new_link(store, "o" * 100, expires_at=NOW + timedelta(minutes=30))
    kept = new_link(store, "k" * 100, expires_at=NOW + 60 * DAY, now=NOW + timedelta(minutes=1))
    ask(store, old.link_id, body(embeddedLengthMax=10))
    ask(store, kept.link_id, body(embeddedLengthMax=10), now=NOW + timedelta(minutes=25))
    assert row_count(database_url, "share_files") == 2
    assert store.purge(NOW + timedelta(minutes=31)) == 0
    assert set(stored_ciphertexts(database_url)) == {"k" * 100, None}
    assert row_count(database_url, "share_files") == 1  # the kept link's, until its hour is over
    assert [r.status for r in store.links_of(OWNER, now=NOW + timedelta(minutes=31))] == ["active", "expired"]
    assert store.purge(NOW + timedelta(minutes=86)) == 0
    assert row_count(database_url, "share_files") == 0
    # creating a link purges: the old link's row and its log go once the retention has passed
    later = NOW + timedelta(minutes=30) + RETENTION + timedelta(seconds=1)
    new = new_link(store, expires_at=later + DAY, now=later)
    assert {r.ref for r in store.links_of(OWNER, now=later)} == {kept.ref, new.ref}
    assert [r.ref for r in store.access_log(OWNER)] == [kept.ref]
    assert row_count(database_url, "share_access") == 1
    assert store.purge(later) == 0


def test_passcodes_are_stored_as_salted_scrypt_hashes():
    one, two = hash_passcode("4711"), hash_passcode("4711")
    assert one != two and one.startswith("scrypt$") and "4711" not in one
    assert passcode_matches("4711", one) and passcode_matches("4711", two)
    assert not passcode_matches("4712", one)


def test_the_sqlite_file_holds_no_patient_data_link_id_token_or_passcode_in_clear(tmp_path):
    store = ShareStore(f"sqlite:///{tmp_path}/share.db")
    key, jwe, _ = snapshot_jwe()
    link = store.create_link(jwe, expires_at=NOW + DAY, owner=OWNER, passcode="sesame-4711", now=NOW)
    answer = ask(store, link.link_id, body(passcode="sesame-4711", embeddedLengthMax=10))
    token = token_of(answer.body["files"][0]["location"])
    assert store.file(token, now=NOW) == jwe
    store.close()
    stored = b"".join(p.read_bytes() for p in tmp_path.iterdir() if p.is_file())
    assert jwe.encode() in stored  # the file is there, encrypted
    secrets_in_clear = [PATIENT_ID, "7731", str(RESULT_VALUE), "hydroxocobalamin", link.link_id, link.revoke_token,
                        "sesame-4711", token, OWNER, key.hex(), base64.urlsafe_b64encode(key).rstrip(b"=").decode()]
    for text in secrets_in_clear:
        assert text.encode() not in stored, text


def test_no_table_holds_patient_data_link_id_token_or_passcode_in_clear(store, database_url):
    key, jwe, _ = snapshot_jwe()
    link = store.create_link(jwe, expires_at=NOW + DAY, owner=OWNER, passcode="sesame-4711", now=NOW)
    answer = ask(store, link.link_id, body(passcode="sesame-4711", embeddedLengthMax=10))
    token = token_of(answer.body["files"][0]["location"])
    engine = sa.create_engine(database_url)
    try:
        with engine.connect() as conn:
            cells = [str(value) for table in ("share_links", "share_access", "share_files")
                     for row in conn.execute(sa.text(f"SELECT * FROM {table}")) for value in row]
    finally:
        engine.dispose()
    assert jwe in cells and "Dr Grey, haematology" in cells  # the encrypted file, and the log's recipient
    text = " ".join(cells)
    for secret in (PATIENT_ID, str(RESULT_VALUE), link.link_id, link.revoke_token, "sesame-4711", token, OWNER,
                   base64.urlsafe_b64encode(key).rstrip(b"=").decode()):
        assert secret not in text, secret


def test_no_passcode_is_hashed_for_an_unknown_revoked_or_expired_link(store, monkeypatch):
    import b12core.share_store as share_store

    checked: list[str] = []
    real = share_store.passcode_matches
    monkeypatch.setattr(share_store, "passcode_matches",
                        lambda given, stored: checked.append(given) or real(given, stored))
    revoked = new_link(store, passcode="4711")
    store.revoke_with_token(revoked.revoke_token)
    expired = new_link(store, passcode="4711", expires_at=NOW + timedelta(minutes=1))
    later = NOW + timedelta(minutes=2)
    for link_id in (secrets.token_urlsafe(32), revoked.link_id, expired.link_id):
        assert ask(store, link_id, body(passcode="4711"), now=later).status == 404
    assert checked == []
    live = new_link(store, passcode="4711", now=later, expires_at=later + DAY)
    assert ask(store, live.link_id, body(passcode="4711"), now=later).status == 200
    assert checked == ["4711"]  # the spy sees the check an active link does get


def test_a_recipient_with_control_characters_is_logged_as_one_line_on_either_database(store):
    link, revoked = new_link(store), new_link(store)
    store.revoke_with_token(revoked.revoke_token)
    request = body(recipient="Dr\u0000Grey\nhaematology")
    assert ask(store, link.link_id, request).status == 200
    assert ask(store, revoked.link_id, request) == ask(store, secrets.token_urlsafe(32), request)  # one 404
    assert {row.recipient for row in store.access_log(OWNER)} == {"Dr Grey haematology"}



def test_bodies_nested_too_deep_or_with_lone_surrogates_are_malformed_requests(store):
    link = new_link(store, passcode="4711")
    for request in (b"[" * 5000 + b"]" * 5000, b'{"recipient": "x", "passcode": "\\ud800"}'):
        assert ask(store, link.link_id, request).status == 400
    assert ask(store, link.link_id, b'{"recipient": "\\ud800", "passcode": "4711"}').status == 200
