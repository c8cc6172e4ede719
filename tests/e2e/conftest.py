"""A real app in a real browser: `streamlit run app.py` on a free port, driven by Debian's Chromium.

Skipped with a clear reason when Chromium is not installed (a developer laptop); CI sets
B12_REQUIRE_BROWSER=1 so that a missing browser fails instead of skipping.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import REPO

CHROMIUM = os.environ.get("B12_CHROMIUM", "/usr/bin/chromium")
ARTIFACTS = REPO / "test-artifacts"
BROWSER_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                "--disable-sync", "--no-first-run"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def chromium_path() -> str:
    if not (Path(CHROMIUM).exists() or shutil.which(CHROMIUM)):
        if os.environ.get("B12_REQUIRE_BROWSER"):
            pytest.fail(f"Chromium is required here but {CHROMIUM} is missing (apt-get install chromium)")
        pytest.skip(f"Chromium not installed at {CHROMIUM}: browser tests skipped (apt-get install chromium)")
    return CHROMIUM


SERVER_OUTPUT: list[str] = []  # everything the app server printed (its log)


def _drain(stream) -> None:
    for line in iter(stream.readline, b""):
        SERVER_OUTPUT.append(line.decode(errors="replace"))


@contextlib.contextmanager
def running_app(*options: str, env: dict[str, str] | None = None, address: str | None = "127.0.0.1",
                port: int | None = None) -> Iterator[tuple[str, subprocess.Popen]]:
    """`streamlit run app.py` on a free port, or ``port`` (with extra ``--server.…`` options and
    environment variables; ``address`` None keeps the shipped ``server.address``); its URL and
    process. What it prints goes to ``SERVER_OUTPUT``."""
    port = port or free_port()
    where = [f"--server.address={address}"] if address else []
    process = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", "app.py", "--server.headless=true", f"--server.port={port}",
         *where, "--browser.gatherUsageStats=false", *options],
        cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True,
        env={**os.environ, **(env or {})})
    threading.Thread(target=_drain, args=(process.stdout,), daemon=True).start()
    url = f"http://127.0.0.1:{port}"
    deadline = time.time() + 60
    while time.time() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                break
        except OSError:
            if process.poll() is not None:
                raise RuntimeError("".join(SERVER_OUTPUT)) from None
            time.sleep(0.3)
    try:
        yield url, process
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            process.wait(timeout=20)


@pytest.fixture(scope="session")
def app_url() -> Iterator[str]:
    with running_app() as (url, _):
        yield url


@pytest.fixture(scope="session")
def browser(chromium_path: str):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium_path, args=BROWSER_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser, app_url):
    context = browser.new_context(viewport={"width": 1500, "height": 1100})
    page = context.new_page()
    page.goto(app_url)
    page.wait_for_selector("[data-testid=stApp]", timeout=60000)
    yield page
    context.close()


def screenshot(page, name: str) -> Path:
    """Save a full-page screenshot as a test artifact."""
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path
