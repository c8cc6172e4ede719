"""What one upload costs the browser, with a run's messages arriving apart as they do under load.

With many clinicians at once, the server's script threads take turns on Python's one lock, so the
messages of one run (one per element drawn) reach the page tens of milliseconds apart, and
Streamlit's page redraws for each one that arrives on its own. This script shows that cost on a
quiet machine, one session at a time, where the load test (``load_test.py``) needs twenty
browsers and ten minutes and moves by a fifth between runs.

Each app (ours, ``app.py``, and the load test's minimal peer) is started by ``streamlit run`` in a
process of its own whose script threads wait ``--apart`` milliseconds after each message they
send (``--apart 0``: as fast as they come). One Chromium (Debian's, through Playwright) opens a
fresh tab per upload, waits for the first page, uploads one load-test patient and waits for the
whole page; it reads Chrome's performance counters of the page (main-thread time, of which
script, style and layout) and counts the WebSocket messages the upload brought. The first upload
of each app is a warm-up; the medians of the rest are printed, and ours over the peer's.

Run: .venv/bin/python benchmarks/page_messages.py --uploads 8 --apart 40
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from benchmarks.load_test import (  # noqa: E402
    APPS,
    BROWSER_ARGS,
    CHROMIUM,
    _settle,
    _upload,
    patients,
    start_server,
    stop_server,
    write_files,
)

# Streamlit, with its script threads waiting after each message: the run's messages then leave apart.
SERVER = """
import sys, threading, time
from streamlit.runtime.scriptrunner import script_runner
from streamlit.web.cli import main

APART = float(sys.argv.pop(1)) / 1000
send = script_runner.ScriptRunner._enqueue_forward_msg

def send_apart(self, msg):
    send(self, msg)
    if APART and threading.current_thread() is not threading.main_thread():
        time.sleep(APART)

script_runner.ScriptRunner._enqueue_forward_msg = send_apart
sys.argv[0] = "streamlit"
sys.exit(main())
"""
# Counts the WebSocket messages the page receives.
COUNT_MESSAGES = """window.__messages = 0;
const OpenSocket = window.WebSocket;
window.WebSocket = function (...args) {
  const socket = new OpenSocket(...args);
  socket.addEventListener("message", () => { window.__messages += 1; });
  return socket;
};
window.WebSocket.prototype = OpenSocket.prototype;
Object.assign(window.WebSocket, OpenSocket);
"""
COUNTERS = {"main thread": "TaskDuration", "script": "ScriptDuration", "style": "RecalcStyleDuration",
            "layout": "LayoutDuration"}


async def _counters(cdp) -> dict[str, float]:
    metrics = {m["name"]: m["value"] for m in (await cdp.send("Performance.getMetrics"))["metrics"]}
    return {label: metrics[name] * 1000 for label, name in COUNTERS.items()}


async def measure_app(browser, script: str, args: argparse.Namespace, folder: Path) -> dict[str, float]:
    """Medians over the uploads after the first: counters in ms, messages, seconds to the whole page."""
    url, server = start_server(script, None, launcher=("-c", SERVER, f"{args.apart:g}"))  # Streamlit's own TTL
    samples: dict[str, list[float]] = {}
    try:
        for patient in patients(args.uploads + 1):
            context = await browser.new_context(viewport={"width": 1500, "height": 1100})
            await context.add_init_script(COUNT_MESSAGES)
            page = await context.new_page()
            await page.goto(url, timeout=120_000)
            await page.wait_for_selector("input[type=file]", state="attached", timeout=120_000)
            await _settle(page, 120_000)  # both apps draw a figure before an upload
            await page.wait_for_timeout(1000)
            cdp = await context.new_cdp_session(page)
            await cdp.send("Performance.enable")
            before, messages = await _counters(cdp), await page.evaluate("() => window.__messages")
            _, whole = await _upload(page, patient, write_files(patient, folder), 120_000)
            await page.wait_for_timeout(1000)  # what the page does once the run has finished counts too
            after = await _counters(cdp)
            sample = {k: after[k] - before[k] for k in COUNTERS}
            sample["messages"] = await page.evaluate("() => window.__messages") - messages
            sample["whole page"] = whole
            for key, value in sample.items():
                samples.setdefault(key, []).append(value)
            await context.close()
    finally:
        stop_server(server)
    return {key: statistics.median(values[1:]) for key, values in samples.items()}


async def run(args: argparse.Namespace) -> dict[str, dict[str, float]]:
    from playwright.async_api import async_playwright

    with tempfile.TemporaryDirectory(prefix="b12-messages-") as folder:
        async with async_playwright() as playwright:
            browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=BROWSER_ARGS)
            try:
                return {app: await measure_app(browser, APPS[app], args, Path(folder)) for app in APPS}
            finally:
                await browser.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--uploads", type=int, default=8, help="measured uploads per app (default 8)")
    parser.add_argument("--apart", type=float, default=40,
                        help="milliseconds between two messages of a run (default 40; 0: as they come)")
    args = parser.parse_args(argv)
    if args.uploads < 1 or args.apart < 0:
        parser.error("--uploads >= 1, --apart >= 0")
    results = asyncio.run(run(args))
    print(f"one session at a time, {args.uploads} uploads per app, messages {args.apart:g} ms apart "
          f"(medians; os load average {os.getloadavg()[0]:.2f} at the end)")
    keys = [*COUNTERS, "messages", "whole page"]
    print("| app | " + " | ".join(keys) + " |")
    print("|---" * (len(keys) + 1) + "|")
    for app, r in results.items():
        print(f"| {app} | " + " | ".join(f"{r[k]:.0f} ms" if k in COUNTERS else f"{r[k]:.2f} s" if k == "whole page"
                                        else f"{r[k]:.0f}" for k in keys) + " |")
    ours, peer = results["ours"], results["peer"]
    print(f"ours / peer: main thread {ours['main thread'] / peer['main thread']:.2f}x, "
          f"messages {ours['messages'] / peer['messages']:.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
