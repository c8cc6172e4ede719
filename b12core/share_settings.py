"""Where share links point and where they are kept: the deployment's settings.

Each setting comes from an environment variable, else from the ``[share]`` section of Streamlit's
secrets, else a default for a laptop:

- ``B12_PUBLIC_BASE_URL`` / ``public_base_url``: the address colleagues open, e.g.
  ``https://b12.clinic.example``. Links are built on it, never on a request's Host header (which a
  client chooses). Default: ``http://localhost:<server port>``.
- ``B12_SHARE_DATABASE_URL`` / ``database_url``: a SQLAlchemy URL; PostgreSQL when several app
  servers share the links (``postgresql+psycopg://user:password@host/db``).
- ``B12_SHARE_SQLITE_PATH`` / ``sqlite_path``: without a database URL, the SQLite file the links
  are kept in (created on first use). Default: ``~/.local/share/b12-follow-up/share-links.sqlite3``
  (or under ``$XDG_DATA_HOME``).
- ``B12_TIMEZONE`` / ``timezone``: the clinic's time zone, which the files' clock times are in
  (an IANA name such as ``Europe/London``). Default: UTC.
- ``B12_VIEWERS_SIGN_IN`` / ``viewers_sign_in``: with sign-in configured, also require it to open
  a shared link (``true``). Default: false (whoever holds a link, and its passcode, opens it).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from b12core.errors import InputError

ENV = {"public_base_url": "B12_PUBLIC_BASE_URL", "database_url": "B12_SHARE_DATABASE_URL",
       "sqlite_path": "B12_SHARE_SQLITE_PATH", "timezone": "B12_TIMEZONE", "viewers_sign_in": "B12_VIEWERS_SIGN_IN"}
TRUE = ("1", "true", "yes", "on")
APP_DIR = "b12-follow-up"
SQLITE_FILE = "share-links.sqlite3"


@dataclass(frozen=True)
class ShareConfig:
    """The deployment's share settings."""

    public_base_url: str  # no trailing slash
    database_url: str
    timezone: str
    viewers_sign_in: bool = False  # with sign-in configured, opening a shared link needs it too


def _setting(name: str, env: Mapping[str, str], secrets: Mapping[str, Any]) -> str:
    return str(env.get(ENV[name]) or secrets.get(name) or "").strip()


def _base_url(text: str) -> str:
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.query or parts.fragment:
        raise InputError(f"the public base URL must be an http(s) address such as https://b12.clinic.example, "
                         f"not {text!r}")
    return text.rstrip("/")


def default_sqlite_path(env: Mapping[str, str]) -> Path:
    """The laptop's share file: under ``$XDG_DATA_HOME`` (else ``~/.local/share``)."""
    data_home = Path(env.get("XDG_DATA_HOME") or Path.home() / ".local" / "share")
    return data_home / APP_DIR / SQLITE_FILE


def share_config(secrets: Mapping[str, Any] | None = None, port: int = 8501,
                 env: Mapping[str, str] | None = None) -> ShareConfig:
    """The share settings from the environment, the ``[share]`` secrets, or the defaults;
    ``InputError`` for a setting that cannot work."""
    env = os.environ if env is None else env
    secrets = secrets or {}
    base = _base_url(_setting("public_base_url", env, secrets) or f"http://localhost:{port}")
    database = _setting("database_url", env, secrets)
    if not database:
        path = Path(_setting("sqlite_path", env, secrets) or default_sqlite_path(env)).expanduser()
        database = f"sqlite:///{path}"
    zone = _setting("timezone", env, secrets) or "UTC"
    try:
        ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError) as err:
        raise InputError(f"the time zone {zone!r} is not a known IANA zone such as Europe/London") from err
    viewers_sign_in = _setting("viewers_sign_in", env, secrets).lower() in TRUE
    return ShareConfig(base, database, zone, viewers_sign_in)
