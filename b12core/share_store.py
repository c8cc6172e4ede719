"""The share store: encrypted snapshots behind SMART Health Links (SMART Health Cards and Links IG, STU1).

The server never holds a readable copy of a patient's data: it keeps the compact JWE only, and the
key travels only in the link. Link ids, revoke tokens and file tokens are stored as their SHA-256,
passcodes as scrypt hashes, owners as SHA-256; a clinician reads a link by its short ``ref``.

SQLAlchemy Core on SQLite (one file) or PostgreSQL. Every check that a link is still usable is made
in the same ``UPDATE … RETURNING`` that uses it, so concurrent requests on several app servers agree.
Nothing here writes to Python logging: ids, tokens, passcodes, recipients and ciphertext stay out of logs.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from b12core.errors import InputError

# Wrong passcodes a P link accepts before it is disabled for good. The spec leaves the number to the
# server; five lets a clinician mistype a few times while keeping guessing of a short passcode hopeless.
PASSCODE_ATTEMPTS = 5
# How long a link's row and its access log are kept after the link expired: long enough for the
# clinician to see who opened it, short enough that the store does not grow a history of old shares.
RETENTION = timedelta(days=30)
# The spec's limit for a manifest's file ``location`` URL: short-lived, at most one hour.
LOCATION_LIFETIME = timedelta(hours=1)
RECIPIENT_MAX = 200  # characters of the requester's ``recipient`` kept in the access log
REF_LENGTH = 8  # hex characters of a link's id hash shown in lists: a reference, not a secret
SQLITE_BUSY_TIMEOUT_S = 30  # how long a SQLite writer waits for another one instead of failing
# scrypt cost (RFC 7914 interactive parameters: 16 MiB, tens of milliseconds per check).
SCRYPT_N, SCRYPT_R, SCRYPT_P, SCRYPT_LEN = 2**14, 8, 1, 32
CONTENT_TYPE_JSON = "application/json"
FILE_CONTENT_TYPE = "application/fhir+json"
NOT_VALID = {"error": "This link is not valid. It may have expired or been revoked."}

OPENED = "opened"
WRONG_PASSCODE = "wrong passcode"
REFUSED_REVOKED = "refused: revoked"
REFUSED_EXPIRED = "refused: expired"
REFUSED_USED_UP = "refused: passcode attempts used up"
FILE_FETCHED = "file fetched"


class UTCDateTime(sa.types.TypeDecorator):
    """A timezone-aware UTC datetime: ``timestamptz`` on PostgreSQL, a naive UTC text on SQLite
    (fixed width, so text order is time order); read back as aware UTC on both."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("share store times must be timezone-aware")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


metadata = sa.MetaData()
links = sa.Table(
    "share_links", metadata,
    sa.Column("id_hash", sa.String(64), primary_key=True),
    sa.Column("owner_hash", sa.String(64), nullable=False, index=True),
    sa.Column("ciphertext", sa.Text, nullable=True),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("expires_at", UTCDateTime, nullable=False),
    sa.Column("flags", sa.String(4), nullable=False),
    sa.Column("passcode_hash", sa.String(200), nullable=True),
    sa.Column("attempts_left", sa.Integer, nullable=False),
    sa.Column("uses", sa.Integer, nullable=False),
    sa.Column("revoked", sa.Boolean, nullable=False),
    sa.Column("revoke_hash", sa.String(64), nullable=False, unique=True),
    sa.Column("created_by", sa.String(200), nullable=False, server_default=""),  # the signed-in user, if any
)
access = sa.Table(
    "share_access", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("link_hash", sa.String(64), sa.ForeignKey("share_links.id_hash"), nullable=False, index=True),
    sa.Column("at", UTCDateTime, nullable=False),
    sa.Column("outcome", sa.String(60), nullable=False),
    sa.Column("recipient", sa.String(RECIPIENT_MAX), nullable=False),
    sa.Column("user", sa.String(200), nullable=False),
)
files = sa.Table(
    "share_files", metadata,
    sa.Column("token_hash", sa.String(64), primary_key=True),
    sa.Column("link_hash", sa.String(64), sa.ForeignKey("share_links.id_hash"), nullable=False, index=True),
    sa.Column("expires_at", UTCDateTime, nullable=False),
)


@dataclass(frozen=True)
class NewLink:
    """A link just made. ``link_id`` and ``revoke_token`` are shown once and never stored."""

    link_id: str
    revoke_token: str
    ref: str
    flags: str


@dataclass(frozen=True)
class Answer:
    """An HTTP answer: status, JSON body (a dict) or text, and its content type."""

    status: int
    body: dict[str, Any] | str
    content_type: str = CONTENT_TYPE_JSON


@dataclass(frozen=True)
class LinkRow:
    """One link as its owner sees it; ``attempts_left`` is None for a link without a passcode."""

    ref: str
    created_at: datetime
    expires_at: datetime
    flags: str
    uses: int
    attempts_left: int | None
    status: str  # "active" | "expired" | "revoked" | "passcode attempts used up"
    created_by: str = ""  # the signed-in user who made it ("" without sign-in)


@dataclass(frozen=True)
class AccessRow:
    """One request for a link, as its owner sees it."""

    ref: str
    at: datetime
    outcome: str
    recipient: str
    user: str


def sha256_hex(text: str) -> str:
    """The SHA-256 of ``text`` (UTF-8) as 64 hex characters."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _utc_now(now: datetime | None) -> datetime:
    if now is None:
        return datetime.now(UTC)
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    return now.astimezone(UTC)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def hash_passcode(passcode: str) -> str:
    """``scrypt$n$r$p$salt$hash`` with a fresh random 16-byte salt (base64url parts)."""
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(passcode.encode("utf-8"), salt=salt, n=SCRYPT_N, r=SCRYPT_R, p=SCRYPT_P,
                            dklen=SCRYPT_LEN)
    return f"scrypt${SCRYPT_N}${SCRYPT_R}${SCRYPT_P}${_b64(salt)}${_b64(digest)}"


def passcode_matches(passcode: str, stored: str) -> bool:
    """Whether ``passcode`` is the one ``stored`` (from ``hash_passcode``) was made from."""
    kind, n, r, p, salt, digest = stored.split("$")
    if kind != "scrypt":
        return False
    expected = _unb64(digest)
    got = hashlib.scrypt(passcode.encode("utf-8"), salt=_unb64(salt), n=int(n), r=int(r), p=int(p),
                         dklen=len(expected))
    return hmac.compare_digest(got, expected)


def _status(row: Any, now: datetime) -> str:
    """A link's state; the order says which reason a refused request is logged under."""
    if row.revoked:
        return "revoked"
    if row.attempts_left <= 0:
        return "passcode attempts used up"
    if row.expires_at <= now or row.ciphertext is None:
        return "expired"
    return "active"


_REFUSAL = {"revoked": REFUSED_REVOKED, "expired": REFUSED_EXPIRED, "passcode attempts used up": REFUSED_USED_UP}


def _active(now: datetime) -> sa.ColumnElement[bool]:
    """The SQL condition of a usable link at ``now``."""
    return sa.and_(links.c.ciphertext.is_not(None), links.c.revoked.is_(False), links.c.expires_at > now,
                   links.c.attempts_left > 0)


@dataclass(frozen=True)
class ManifestRequest:
    """A manifest request's body, checked."""

    recipient: str
    passcode: str | None
    embedded_length_max: int | None


def parse_manifest_request(body: bytes) -> ManifestRequest | None:
    """The request body as the spec defines it (JSON: ``recipient``, optional ``passcode`` and
    ``embeddedLengthMax``), or None when it is not one."""
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError, RecursionError):  # not JSON, or nested too deep to read
        return None
    if not isinstance(data, dict) or not isinstance(data.get("recipient"), str):
        return None
    passcode, limit = data.get("passcode"), data.get("embeddedLengthMax")
    if passcode is not None and (not isinstance(passcode, str) or not _encodable(passcode)):
        return None
    if limit is not None and (isinstance(limit, bool) or not isinstance(limit, int) or limit < 0):
        return None
    return ManifestRequest(_printable(data["recipient"])[:RECIPIENT_MAX], passcode, limit)


def _encodable(text: str) -> bool:
    """False for text with lone surrogates (JSON allows them; UTF-8 does not)."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _printable(text: str) -> str:
    """Text for the log with control characters (NUL, line breaks, …) turned into spaces: a
    database text column cannot hold NUL, and a log line is one line."""
    return "".join(ch if ch.isprintable() else " " for ch in text)


def _sqlite_path(url: sa.URL) -> Path | None:
    database = url.database or ""
    if url.get_backend_name() != "sqlite" or database in ("", ":memory:") or database.startswith("file:"):
        return None
    return Path(database)


def _make_engine(database_url: str) -> Engine:
    """An engine; SQLite gets a busy timeout and ``BEGIN IMMEDIATE`` transactions, so concurrent
    writers wait for each other instead of failing."""
    url = sa.make_url(database_url)
    path = _sqlite_path(url)
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
    if url.get_backend_name() != "sqlite":
        return sa.create_engine(url, pool_pre_ping=True)
    engine = sa.create_engine(url, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_S})

    @sa.event.listens_for(engine, "connect")
    def _no_implicit_begin(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # pysqlite leaves transactions to the "begin" hook

    @sa.event.listens_for(engine, "begin")
    def _begin_immediate(conn: Connection) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE")

    return engine


class ShareStore:
    """The links, their access log and their short-lived file tokens in one database
    (``sqlite:///path`` or ``postgresql+psycopg://…``). The engine and tables are made on first use."""

    def __init__(self, database_url: str) -> None:
        self._url = database_url
        self._engine: Engine | None = None
        self._lock = threading.Lock()

    def _db(self) -> Engine:
        with self._lock:
            if self._engine is None:
                engine = _make_engine(self._url)
                metadata.create_all(engine)
                self._engine = engine
            return self._engine

    def close(self) -> None:
        """Close the database connections (a later call opens them again)."""
        with self._lock:
            if self._engine is not None:
                self._engine.dispose()
                self._engine = None

    # --- making and listing links -------------------------------------------------------------------

    def create_link(self, ciphertext: str, *, expires_at: datetime, owner: str, passcode: str | None = None,
                    long_term: bool = False, now: datetime | None = None, created_by: str = "") -> NewLink:
        """Store ``ciphertext`` (a compact JWE) behind a new link until ``expires_at``; ``owner`` is the
        caller's name for whose list it is in (stored hashed), ``created_by`` the signed-in user who
        made it (stored as given; "" without sign-in). Purges expired links first."""
        now = _utc_now(now)
        if not ciphertext:
            raise InputError("there is nothing to share")
        if _utc_now(expires_at) <= now:
            raise InputError("a link's expiry must be in the future")
        if passcode is not None and not passcode:
            raise InputError("a passcode cannot be empty")
        self.purge(now)
        link_id, revoke_token = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
        flags = ("L" if long_term else "") + ("P" if passcode is not None else "")
        row = {"id_hash": sha256_hex(link_id), "owner_hash": sha256_hex(owner), "ciphertext": ciphertext,
               "created_at": now, "expires_at": expires_at, "flags": flags,
               "passcode_hash": hash_passcode(passcode) if passcode is not None else None,
               "attempts_left": PASSCODE_ATTEMPTS, "uses": 0, "revoked": False,
               "revoke_hash": sha256_hex(revoke_token), "created_by": _printable(created_by)[:RECIPIENT_MAX]}
        with self._db().begin() as conn:
            conn.execute(links.insert().values(**row))
        return NewLink(link_id, revoke_token, row["id_hash"][:REF_LENGTH], flags)

    def _link_rows(self, where: sa.ColumnElement[bool], now: datetime) -> list[LinkRow]:
        query = sa.select(links).where(where).order_by(links.c.created_at.desc())
        with self._db().connect() as conn:
            rows = conn.execute(query).all()
        return [LinkRow(r.id_hash[:REF_LENGTH], r.created_at, r.expires_at, r.flags, r.uses,
                        r.attempts_left if "P" in r.flags else None, _status(r, now), r.created_by) for r in rows]

    def links_of(self, owner: str, now: datetime | None = None) -> list[LinkRow]:
        """The owner's links, newest first."""
        return self._link_rows(links.c.owner_hash == sha256_hex(owner), _utc_now(now))

    def link_for_revoke_token(self, revoke_token: str, now: datetime | None = None) -> LinkRow | None:
        """The link a revoke token belongs to, or None."""
        rows = self._link_rows(links.c.revoke_hash == sha256_hex(revoke_token), _utc_now(now))
        return rows[0] if rows else None

    def _access_rows(self, where: sa.ColumnElement[bool]) -> list[AccessRow]:
        query = (sa.select(access).join(links, links.c.id_hash == access.c.link_hash).where(where)
                 .order_by(access.c.at.desc(), access.c.id.desc()))
        with self._db().connect() as conn:
            rows = conn.execute(query).all()
        return [AccessRow(r.link_hash[:REF_LENGTH], r.at, r.outcome, r.recipient, r.user) for r in rows]

    def access_log(self, owner: str) -> list[AccessRow]:
        """Every request for the owner's links, newest first."""
        return self._access_rows(links.c.owner_hash == sha256_hex(owner))

    def access_log_for_revoke_token(self, revoke_token: str) -> list[AccessRow]:
        """Every request for the link of a revoke token, newest first."""
        return self._access_rows(links.c.revoke_hash == sha256_hex(revoke_token))

    # --- revoking and purging -----------------------------------------------------------------------

    def _revoke(self, where: sa.ColumnElement[bool]) -> bool:
        with self._db().begin() as conn:
            hashes = conn.execute(links.update().where(where, links.c.revoked.is_(False))
                                  .values(revoked=True, ciphertext=None).returning(links.c.id_hash)).scalars().all()
            if hashes:
                conn.execute(files.delete().where(files.c.link_hash.in_(hashes)))
        return bool(hashes)

    def revoke(self, ref: str, owner: str) -> bool:
        """Revoke the owner's link with this ``ref``; False when there is no such active one."""
        if len(ref) != REF_LENGTH or any(c not in "0123456789abcdef" for c in ref):
            return False
        return self._revoke(sa.and_(links.c.owner_hash == sha256_hex(owner), links.c.id_hash.startswith(ref)))

    def revoke_with_token(self, revoke_token: str) -> bool:
        """Revoke the link of a revoke token; False when there is no such unrevoked link."""
        return self._revoke(links.c.revoke_hash == sha256_hex(revoke_token))

    def purge(self, now: datetime | None = None) -> int:
        """Drop the ciphertext of expired links and expired file tokens; delete links (and their
        log) that expired more than ``RETENTION`` ago. Returns how many links were deleted."""
        now = _utc_now(now)
        with self._db().begin() as conn:
            conn.execute(links.update().where(links.c.expires_at <= now, links.c.ciphertext.is_not(None))
                         .values(ciphertext=None))
            conn.execute(files.delete().where(files.c.expires_at <= now))
            old = sa.select(links.c.id_hash).where(links.c.expires_at <= now - RETENTION)
            conn.execute(files.delete().where(files.c.link_hash.in_(old)))
            conn.execute(access.delete().where(access.c.link_hash.in_(old)))
            return conn.execute(links.delete().where(links.c.expires_at <= now - RETENTION)).rowcount

    # --- the manifest and file requests -------------------------------------------------------------

    def _log(self, conn: Connection, link_hash: str, now: datetime, outcome: str, recipient: str,
             user: str) -> None:
        conn.execute(access.insert().values(link_hash=link_hash, at=now, outcome=outcome,
                                            recipient=_printable(recipient)[:RECIPIENT_MAX],
                                            user=_printable(user)[:RECIPIENT_MAX]))

    def _refuse(self, link_hash: str, now: datetime, recipient: str, user: str) -> Answer:
        """The one 404 of an inactive link, logged under the reason it is inactive."""
        with self._db().begin() as conn:
            row = conn.execute(sa.select(links).where(links.c.id_hash == link_hash)).one_or_none()
            if row is not None:
                self._log(conn, link_hash, now, _REFUSAL.get(_status(row, now), REFUSED_EXPIRED), recipient, user)
        return Answer(404, dict(NOT_VALID))

    def _wrong_passcode(self, link_hash: str, now: datetime, recipient: str, user: str) -> Answer:
        """One attempt fewer, in one statement that also checks the link is still usable; the last
        attempt disables the link."""
        decrement = (links.update().where(links.c.id_hash == link_hash, _active(now))
                     .values(attempts_left=links.c.attempts_left - 1,
                             ciphertext=sa.case((links.c.attempts_left <= 1, sa.null()), else_=links.c.ciphertext))
                     .returning(links.c.attempts_left))
        with self._db().begin() as conn:
            left = conn.execute(decrement).scalar_one_or_none()
            if left is not None:
                self._log(conn, link_hash, now, WRONG_PASSCODE, recipient, user)
                if left <= 0:
                    conn.execute(files.delete().where(files.c.link_hash == link_hash))
        if left is None:  # another request used the last attempt, or the link was revoked meanwhile
            return self._refuse(link_hash, now, recipient, user)
        return Answer(401, {"remainingAttempts": left})

    def _open(self, link_hash: str, now: datetime, request: ManifestRequest, user: str,
              file_url: Callable[[str], str]) -> Answer:
        """The manifest of a usable link: one use more, in the statement that checks it is usable."""
        use = (links.update().where(links.c.id_hash == link_hash, _active(now)).values(uses=links.c.uses + 1)
               .returning(links.c.ciphertext, links.c.expires_at))
        with self._db().begin() as conn:
            row = conn.execute(use).one_or_none()
            if row is None:
                entry = None
            elif request.embedded_length_max is not None and len(row.ciphertext) > request.embedded_length_max:
                token = secrets.token_urlsafe(32)
                conn.execute(files.insert().values(token_hash=sha256_hex(token), link_hash=link_hash,
                                                   expires_at=min(now + LOCATION_LIFETIME, row.expires_at)))
                entry = {"contentType": FILE_CONTENT_TYPE, "location": file_url(token)}
            else:
                entry = {"contentType": FILE_CONTENT_TYPE, "embedded": row.ciphertext}
            if entry is not None:
                self._log(conn, link_hash, now, OPENED, request.recipient, user)
        if entry is None:
            return self._refuse(link_hash, now, request.recipient, user)
        # STU1's manifest "status": the file of a link never changes, whatever its flags.
        return Answer(200, {"status": "finalized", "files": [entry]})

    def manifest(self, link_id: str, request_body: bytes, *, file_url: Callable[[str], str],
                 now: datetime | None = None, user: str = "") -> Answer:
        """Answer the spec's manifest request (POST to the manifest URL) for ``link_id``:
        400 for a malformed body, 404 (one body for every reason) for a link that is unknown or no
        longer usable, 401 with ``remainingAttempts`` for a missing or wrong passcode, else 200 with
        the file embedded, or at ``file_url(token)`` when it is longer than ``embeddedLengthMax``."""
        now = _utc_now(now)
        request = parse_manifest_request(request_body)
        if request is None:
            return Answer(400, {"error": "The request must be JSON with a recipient."})
        link_hash = sha256_hex(link_id)
        with self._db().connect() as conn:
            row = conn.execute(sa.select(links).where(links.c.id_hash == link_hash)).one_or_none()
        if row is None:
            return Answer(404, dict(NOT_VALID))
        if _status(row, now) != "active":
            return self._refuse(link_hash, now, request.recipient, user)
        if row.passcode_hash is not None and (
                request.passcode is None or not passcode_matches(request.passcode, row.passcode_hash)):
            return self._wrong_passcode(link_hash, now, request.recipient, user)
        return self._open(link_hash, now, request, user, file_url)

    def file(self, token: str, now: datetime | None = None) -> str | None:
        """The JWE behind a manifest's ``location`` token while the token and its link are valid
        (logged as fetched); None otherwise."""
        now = _utc_now(now)
        query = (sa.select(files.c.link_hash, links.c.ciphertext).join(links, links.c.id_hash == files.c.link_hash)
                 .where(files.c.token_hash == sha256_hex(token), files.c.expires_at > now, _active(now)))
        with self._db().begin() as conn:
            row = conn.execute(query).one_or_none()
            if row is not None:
                self._log(conn, row.link_hash, now, FILE_FETCHED, "", "")
        return row.ciphertext if row is not None else None
