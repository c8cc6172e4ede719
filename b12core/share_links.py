"""Making and opening a share link: the snapshot encrypted, stored, and offered as a SMART Health Link.

A link is ``<public base URL>/view#shlink:/…``: the viewer page of this app with the link in the
address's fragment, which a browser never sends to a server, so the key reaches no server log.
The server keeps only the ciphertext (``share_store``); the key is in the link alone.

Opening a link here does what any SMART Health Links viewer does — parse the link, ask the
manifest for the file (with the recipient and the passcode), decrypt it with the link's key — but
calls this deployment's store directly rather than over HTTP: the viewer opens links of this
deployment only, and an app server cannot always reach its own public address.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from typing import Any

from b12core.errors import InputError
from b12core.share import SharedDashboard, shared_dashboard
from b12core.share_routes import file_url, link_id_from_manifest_url, manifest_url
from b12core.share_store import ShareStore
from b12core.shl import decrypt, encrypt, new_key, parse_shlink, payload_key, shlink
from b12core.snapshot import read_snapshot

VIEW_PAGE = "view"  # the viewer page's address under the base URL
SHARE_PAGE = "share"  # the Share page's; a private revoke link opens it with ``#revoke:<token>``
REVOKE_PREFIX = "revoke:"
DAYS_DEFAULT = 14  # a link's life unless its creator chooses another
DAYS_MAX = 365
INVALID = ("This link cannot be opened: it is not valid, or it has expired or been revoked. "
           "Ask the person who shared it for a new link.")
NOT_HERE = ("This link was made by another service, so this app does not open it: open it with that "
            "service's viewer.")
NOT_A_LINK = "This address holds no share link. Open the link exactly as it was sent to you."


@dataclass(frozen=True)
class CreatedLink:
    """A new link, as its creator is shown it once."""

    viewer_url: str  # the link to send: the viewer page with the SMART Health Link in its fragment
    revoke_url: str  # the creator's private link to revoke it later
    ref: str  # a short reference for lists (not secret, opens nothing)
    label: str
    expires_at: dt.datetime
    flags: str


@dataclass(frozen=True)
class OpenedLink:
    """A link opened in the viewer: the shared dashboard and what the banner says."""

    dashboard: SharedDashboard
    label: str
    expires_at: dt.datetime | None  # None when the link names no expiry (the spec allows that)

    @property
    def de_identified(self) -> bool:
        return self.dashboard.patient_id == ""


class LinkRefused(InputError):
    """The link was not opened; ``remaining_attempts`` after a wrong passcode."""

    def __init__(self, message: str, remaining_attempts: int | None = None) -> None:
        super().__init__(message)
        self.remaining_attempts = remaining_attempts


def propose_label() -> str:
    """A label without identifiers and without a date (it travels in the link, readable by whoever
    holds it; a real date beside a de-identified link's moved ones would tell the shift)."""
    return "B12 follow-up results"


def create_link(store: ShareStore, bundle: dict[str, Any], *, base_url: str, label: str, days: int,
                owner: str, passcode: str = "", now: dt.datetime | None = None, user: str = "") -> CreatedLink:
    """Encrypt the snapshot ``bundle`` with a fresh key, keep only the ciphertext, and make the link
    (``user``: the signed-in user making it, recorded with it)."""
    if not 1 <= days <= DAYS_MAX:
        raise InputError(f"a link lasts 1 to {DAYS_MAX} days")
    now = now or dt.datetime.now(dt.UTC)
    expires_at = now + dt.timedelta(days=days)
    key = new_key()
    token = encrypt(json.dumps(bundle, separators=(",", ":")).encode("utf-8"), key)
    new = store.create_link(token, expires_at=expires_at, owner=owner, passcode=passcode or None, now=now,
                            created_by=user)
    link = shlink(manifest_url(base_url, new.link_id), key, exp=int(expires_at.timestamp()), flags=new.flags,
                  label=label.strip())
    return CreatedLink(f"{base_url}/{VIEW_PAGE}#{link}", f"{base_url}/{SHARE_PAGE}#{REVOKE_PREFIX}{new.revoke_token}",
                       new.ref, label.strip(), expires_at, new.flags)


def link_payload(fragment: str) -> dict[str, Any]:
    """The SMART Health Link in a viewer address's fragment; ``LinkRefused`` when there is none."""
    try:
        return parse_shlink(fragment)
    except InputError as err:
        raise LinkRefused(NOT_A_LINK) from err


def needs_passcode(fragment: str) -> bool:
    """True when the link asks for a passcode (its ``P`` flag)."""
    return "P" in str(link_payload(fragment).get("flag", ""))


def _file(store: ShareStore, answer: Any, base_url: str, now: dt.datetime | None) -> str:
    entry = answer.body["files"][0]
    if "embedded" in entry:
        return entry["embedded"]
    token = entry["location"].rsplit("/", 1)[-1]
    found = store.file(token, now=now)
    if found is None:
        raise LinkRefused(INVALID)
    return found


def open_link(store: ShareStore, fragment: str, *, base_url: str, tz: str = "UTC", recipient: str,
              passcode: str = "", user: str = "", now: dt.datetime | None = None) -> OpenedLink:
    """Open a link of this deployment as an SHL viewer does; ``LinkRefused`` with one message for
    a link that is not valid, expired or revoked, and the attempts left after a wrong passcode."""
    payload = link_payload(fragment)
    link_id = link_id_from_manifest_url(base_url, payload["url"])
    if link_id is None:
        raise LinkRefused(NOT_HERE)
    request = {"recipient": recipient, **({"passcode": passcode} if passcode else {})}
    answer = store.manifest(link_id, json.dumps(request).encode("utf-8"),
                            file_url=lambda token: file_url(base_url, token), now=now, user=user)
    if answer.status == 401:
        left = int(answer.body.get("remainingAttempts", 0))
        raise LinkRefused(f"The passcode is not right. {left} attempt{'s' if left != 1 else ''} left before "
                          "the link is disabled.", left)
    if answer.status != 200:
        raise LinkRefused(INVALID)
    try:
        snapshot = read_snapshot(decrypt(_file(store, answer, base_url, now), payload_key(payload)), tz)
    except InputError as err:
        raise LinkRefused(INVALID) from err
    exp = payload.get("exp")
    expires = dt.datetime.fromtimestamp(exp, dt.UTC) if exp is not None else None
    return OpenedLink(shared_dashboard(snapshot), str(payload.get("label", "")), expires)

