"""The HTTP side of SMART Health Links: the manifest URL and the short-lived file URL (Starlette).

``POST {public_base_url}/shl/m/{link_id}`` answers the spec's manifest request; ``GET
{public_base_url}/shl/f/{token}`` serves a file too long to embed, as ``application/jose``. Both are
open to any origin (SHL viewers run in other sites' pages) and never cached. The database work runs in
Starlette's thread pool, off the event loop.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable

from sqlalchemy.exc import SQLAlchemyError
from starlette.concurrency import run_in_threadpool
from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response
from starlette.routing import Route

from b12core.errors import InputError
from b12core.share_store import NOT_VALID, Answer, ShareStore

MANIFEST_PATH = "/shl/m/"
FILE_PATH = "/shl/f/"
MANIFEST_URL_MAX = 128  # the spec's longest manifest URL (it travels in the QR code)
# A manifest request is a recipient, a passcode and a number; anything much longer is not one.
REQUEST_BODY_MAX = 16 * 1024
_TOKEN = r"[A-Za-z0-9_-]{43}"  # secrets.token_urlsafe(32)
log = logging.getLogger("b12")
COMMON_HEADERS = {"Cache-Control": "no-store", "Access-Control-Allow-Origin": "*",
                  "X-Content-Type-Options": "nosniff"}
PREFLIGHT_HEADERS = {"Access-Control-Allow-Methods": "POST, OPTIONS", "Access-Control-Allow-Headers": "Content-Type",
                     "Access-Control-Max-Age": "600"}


class RedactLinkIds(logging.Filter):
    """Keeps link ids and file tokens out of a server's access log (uvicorn's ``uvicorn.access``
    records ``(client, method, path, version, status)``): the path is logged as ``/shl/m/…``."""

    _SECRET = re.compile(f"({re.escape(MANIFEST_PATH)}|{re.escape(FILE_PATH)})[^ ?#]*")

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple) and len(record.args) >= 3 and isinstance(record.args[2], str):
            record.args = (*record.args[:2], self._SECRET.sub(r"\1…", record.args[2]), *record.args[3:])
        return True


def redact_access_log() -> None:
    """Install ``RedactLinkIds`` on uvicorn's access logger (``uvicorn app:app`` logs every path)."""
    logger = logging.getLogger("uvicorn.access")
    if not any(isinstance(f, RedactLinkIds) for f in logger.filters):
        logger.addFilter(RedactLinkIds())


def _base(public_base_url: str) -> str:
    return public_base_url.rstrip("/")


def manifest_url(public_base_url: str, link_id: str) -> str:
    """The manifest URL of a link; ``InputError`` when it would be longer than the spec allows."""
    url = f"{_base(public_base_url)}{MANIFEST_PATH}{link_id}"
    if len(url) > MANIFEST_URL_MAX:
        raise InputError(f"the public address is too long for a share link (at most {MANIFEST_URL_MAX} "
                         "characters with the link's id)")
    return url


def file_url(public_base_url: str, token: str) -> str:
    """The short-lived URL of a file too long to embed."""
    return f"{_base(public_base_url)}{FILE_PATH}{token}"


def link_id_from_manifest_url(public_base_url: str, url: str) -> str | None:
    """The link id of a manifest URL made by ``manifest_url`` with this base URL, else None."""
    match = re.fullmatch(re.escape(_base(public_base_url) + MANIFEST_PATH) + f"({_TOKEN})", url)
    return match.group(1) if match else None


def _response(answer: Answer) -> Response:
    body = json.dumps(answer.body) if isinstance(answer.body, dict) else answer.body
    return Response(body, status_code=answer.status, media_type=answer.content_type, headers=COMMON_HEADERS)


def _unavailable(err: Exception) -> Answer:
    """The answer while the share database cannot be reached (logged by the error's type only)."""
    log.error("share store unavailable: %s", type(err).__name__)
    return Answer(503, {"error": "Shared links cannot be opened just now. Try again later."})


def _not_valid() -> Response:
    return _response(Answer(404, dict(NOT_VALID)))


async def _bounded_body(request: Request) -> bytes | None:
    """The request body, or None when it is longer than ``REQUEST_BODY_MAX`` or cut off."""
    chunks, size = [], 0
    try:
        async for chunk in request.stream():
            size += len(chunk)
            if size > REQUEST_BODY_MAX:
                return None
            chunks.append(chunk)
    except ClientDisconnect:
        return None
    return b"".join(chunks)


def share_routes(store: Callable[[], ShareStore], public_base_url: str | Callable[[], str]) -> list[Route]:
    """The manifest and file routes; ``store()`` gives the store (made on first request if the
    caller wants), and ``public_base_url`` (or a function giving it, read on first use) is where
    these routes are reached from outside."""
    base = public_base_url if callable(public_base_url) else lambda: public_base_url

    async def manifest(request: Request) -> Response:
        if request.method == "OPTIONS":
            return Response(status_code=204, headers={**COMMON_HEADERS, **PREFLIGHT_HEADERS})
        body = await _bounded_body(request)
        link_id = request.path_params["link_id"]

        def answer() -> Answer:
            if body is None:  # as a malformed body: decided before looking at the link
                return Answer(400, {"error": "The request must be JSON with a recipient."})
            try:
                return store().manifest(link_id, body, file_url=lambda token: file_url(base(), token))
            except SQLAlchemyError as err:  # the database is down: the same answer for every link
                return _unavailable(err)

        return _response(await run_in_threadpool(answer))

    def file(request: Request) -> Response:  # sync: Starlette runs it in its thread pool
        try:
            jwe = store().file(request.path_params["token"])
        except SQLAlchemyError as err:
            return _response(_unavailable(err))
        if jwe is None:
            return _not_valid()
        return _response(Answer(200, jwe, "application/jose"))

    return [Route(MANIFEST_PATH + "{link_id}", manifest, methods=["POST", "OPTIONS"]),
            Route(FILE_PATH + "{token}", file, methods=["GET"])]
