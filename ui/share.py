"""The share settings, the share store and who is sharing, for the Share and viewer pages.

The store (a database connection pool) is one per server process; it holds no readable patient
data (only ciphertext), so sharing it between sessions shares nothing of a patient.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from functools import cache
from pathlib import Path

import streamlit as st
from sqlalchemy.exc import SQLAlchemyError

from b12core.share_settings import ShareConfig, share_config
from b12core.share_store import ShareStore

log = logging.getLogger("b12")
OPENED = "shared_link"  # session-state key: the link opened in the viewer (its key stays in memory)


def _secrets() -> dict:
    try:
        return dict(st.secrets.get("share", {}))
    except FileNotFoundError:  # no secrets file (StreamlitSecretNotFoundError): every setting has a default
        return {}


@cache
def config() -> ShareConfig:
    """The deployment's share settings (environment, ``[share]`` secrets, defaults)."""
    return share_config(_secrets(), port=int(st.get_option("server.port")))


@cache
def store() -> ShareStore:
    """The deployment's share store (created on first use)."""
    return ShareStore(config().database_url)


PURGE_EVERY_S = 3600  # how often a server drops expired links' ciphertext (also done whenever a link is made)


def _store_in_use() -> bool:
    """True when links may exist: a database URL is set, or the SQLite file has been made."""
    url = config().database_url
    return not url.startswith("sqlite:///") or Path(url.removeprefix("sqlite:///")).exists()


async def _purge_forever() -> None:
    while True:
        if _store_in_use():
            try:
                await asyncio.to_thread(store().purge)
            except SQLAlchemyError as err:  # the database is down: try again next time
                log.error("share store purge failed: %s", type(err).__name__)
        await asyncio.sleep(PURGE_EVERY_S)


@contextlib.asynccontextmanager
async def purge_lifespan(_app: object) -> AsyncIterator[None]:
    """The server's start and stop: expired links' ciphertext is dropped at start and hourly."""
    task = asyncio.create_task(_purge_forever(), name="purge expired share links")
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
