"""B12 therapy follow-up dashboard: ``streamlit run app.py`` (or ``uvicorn app:app``) serves it.

``app`` is the server: it runs ``navigation.py`` for every browser session; alongside it, it
closes the sessions whose browser tab has gone away, freeing their uploads and download files
(``ui/session_end.py``), and answers the share links' manifest and file requests
(``b12core/share_routes.py``) from the share store, dropping expired links' files hourly.
"""

import contextlib
from collections.abc import AsyncIterator
from pathlib import Path

import streamlit as st

from b12core.share_routes import redact_access_log, share_routes
from ui.session_end import lifespan as close_gone_sessions
from ui.share import config, purge_lifespan, store
from ui.startup import freeze_startup


@contextlib.asynccontextmanager
async def lifespan(app: st.App) -> AsyncIterator[None]:
    """What runs beside the sessions: closing gone sessions, dropping expired links' files. First,
    what every run uses is imported and kept out of the collection after each run (``ui/startup.py``)."""
    freeze_startup()
    async with close_gone_sessions(app), purge_lifespan(app):
        yield


redact_access_log()  # a server's access log names paths: a link's id must not be among them
app = st.App(Path(__file__).with_name("navigation.py"), lifespan=lifespan,
             routes=share_routes(store, lambda: config().public_base_url))
