"""A session's uploads, tables and download files are freed soon after its browser tab goes away.

Streamlit keeps a session whose browser disconnected (tab closed, page reloaded, network lost) for
``server.disconnectedSessionTTL`` seconds so that the tab can reconnect. After that, Streamlit
1.67 only forgets the session: it does not shut it down, so its uploaded files stay in the upload
manager and its download files keep answering at ``/media/…`` until some other session happens to
end. This module closes such sessions itself, on the server's event loop:

- every script run records its session (``remember_this_session``);
- a task started with the server (``lifespan``, given to ``st.App`` in ``app.py``) looks every
  ``interval`` seconds; a session seen disconnected for ``grace`` seconds is closed with
  ``Runtime.close_session``, which removes its uploaded files, its session caches and its
  download files (their addresses answer 404 from then on).

``grace`` ends before Streamlit's own TTL would, so the session is always still there to be shut
down: with the TTL of ``.streamlit/config.toml`` (120 s) a session is closed 100 to 120 seconds
after its tab went away.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
from collections.abc import AsyncIterator

_DISCONNECTED_SINCE: dict[str, float | None] = {}  # session id -> when first seen gone (None: connected)
_LOCK = threading.Lock()


def remember_this_session() -> None:
    """Record the session running this script, so that it is freed when its tab goes away."""
    from streamlit.runtime.scriptrunner import get_script_run_ctx

    context = get_script_run_ctx()
    if context is not None:
        with _LOCK:
            _DISCONNECTED_SINCE[context.session_id] = None


def timing(ttl: float) -> tuple[float, float]:
    """(interval between looks, grace before closing) for Streamlit's ``disconnectedSessionTTL``.

    A disconnection is seen at most one interval late, so closing once it has been seen for
    ``ttl - 2 * interval`` closes every session before ``ttl`` has passed."""
    interval = max(0.5, min(10.0, ttl / 6))
    return interval, max(0.0, ttl - 2 * interval)


def close_gone_sessions(runtime, now: float, grace: float) -> int:
    """Close the sessions seen disconnected for ``grace`` seconds; how many were closed.

    Must run on the server's event loop (``Runtime.close_session`` is not thread-safe)."""
    with _LOCK:
        known = list(_DISCONNECTED_SINCE.items())
    closed = 0
    for session_id, since in known:
        if runtime.is_active_session(session_id):
            update: float | None = None
        elif since is None:
            update = now
        elif now - since < grace:
            continue
        else:
            _free(runtime, session_id)
            with _LOCK:
                _DISCONNECTED_SINCE.pop(session_id, None)
            closed += 1
            continue
        with _LOCK:
            if session_id in _DISCONNECTED_SINCE:
                _DISCONNECTED_SINCE[session_id] = update
    return closed


def _free(runtime, session_id: str) -> None:
    runtime.close_session(session_id)  # shuts the session down when Streamlit still holds it
    # Whatever a session that Streamlit dropped on its own left behind:
    runtime.uploaded_file_mgr.remove_session_files(session_id)
    runtime.media_file_mgr.clear_session_refs(session_id)
    runtime.media_file_mgr.remove_orphaned_files()


async def _close_gone_sessions_forever() -> None:
    from streamlit import config
    from streamlit.runtime import Runtime

    interval, grace = timing(float(config.get_option("server.disconnectedSessionTTL")))
    while True:
        await asyncio.sleep(interval)
        if Runtime.exists():
            close_gone_sessions(Runtime.instance(), time.monotonic(), grace)


@contextlib.asynccontextmanager
async def lifespan(_app: object) -> AsyncIterator[None]:
    """The server's start and stop (``st.App(lifespan=...)``): runs the session closer."""
    task = asyncio.create_task(_close_gone_sessions_forever(), name="close gone sessions")
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
