"""Many clinicians at once: N real browser sessions, each uploading its own patient, against one server.

Ours (``app.py``) and a minimal Streamlit + plotly peer (``benchmarks/minimal_peer_app.py``) are
measured in the same run, the same way: each server is started on its own (its own process group,
killed at the end) with ``--server.disconnectedSessionTTL`` set to ``--ttl``. Their measured
rounds take turns, mirrored (ours, peer, peer, ours with the default two rounds), so that the
machine's drift during a run (a quarter between runs minutes apart) weighs on both alike. In a
round, one Chromium (Debian's, through Playwright) opens N browser contexts at once; when
every page has finished its first run, all N upload at the same moment, each a different
generated patient (``LOAD-001``, ``LOAD-002``, ...: ten years of monthly labs and injections,
each patient's dates its own). A session is timed from ``set_input_files`` until its page names
the patient ("Patient: LOAD-007") and a plotly figure is drawn whose earliest date is that
patient's own (so neither the sample patient's figure nor a stale one counts); and, reported
beside it, until the whole page is drawn (Streamlit marks the run finished).

Every page, its text and its figures' data (hover texts included), is read every second during
the run and once more at the end for any other session's patient id: one sighting fails the run.

Server memory is the resident memory (VmRSS) of the server's process group, workers included:
before (after a warm-up round of the same sessions, closed, and the TTL plus the app's own
clean-up waited out: the issue's baseline), at peak (sampled every 0.2 s while the measured
rounds run) and after (once their sessions closed and the TTL passed again). Server CPU is the
CPU time the server's processes used from the first upload to the last page of each measured
round, browser CPU that of Chromium (and Playwright's driver) over the same time: both share this
machine's cores, so together they tell where the wait went.

Targets (20 sessions on this 2-core machine): p95 within 1.5x the peer's, no patient seen
by another session, memory after within 20% of before.

Run: .venv/bin/python benchmarks/load_test.py --sessions 20 --ttl 10
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import dataclasses
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections.abc import Collection
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from benchmarks.patient_generator import long_patient  # noqa: E402

APPS = {"ours": "app.py", "peer": "benchmarks/minimal_peer_app.py"}
CHROMIUM = os.environ.get("B12_CHROMIUM", "/usr/bin/chromium")
BROWSER_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                "--disable-sync", "--no-first-run"]
SAMPLE_EVERY = 0.2  # seconds between memory samples
CHECK_EVERY = 1.0  # seconds between looks at every page for other sessions' patients
P95_TARGET = 1.5  # ours / peer
MEMORY_TARGET = 1.2  # after / before
ID_PREFIX = "LOAD-"

# The page names the patient and a drawn figure starts on the patient's own first date.
SHOWS_PATIENT = """([id, firstDays]) => {
  if (!document.body.textContent.includes("Patient: " + id)) return false;
  for (const gd of document.querySelectorAll(".js-plotly-plot")) {
    if (!gd._fullLayout || !gd.data || !gd.data.length) continue;
    let first = null;
    for (const trace of gd.data) {
      for (const x of Array.from(trace.x || [])) {
        const day = String(x).slice(0, 10);
        if (/^\\d{4}-\\d\\d-\\d\\d$/.test(day) && (first === null || day < first)) first = day;
      }
    }
    if (first !== null && firstDays.includes(first)) return true;
  }
  return false;
}"""
# The script has finished its run (Streamlit marks the app) and the page's figures are drawn.
IDLE = """() => {
  const app = document.querySelector("[data-testid=stApp]");
  const figures = [...document.querySelectorAll(".js-plotly-plot")];
  return app && app.dataset.testScriptState === "notRunning" && figures.length > 0
    && figures.every(gd => gd._fullLayout);
}"""
# Every patient id of this test anywhere on the page: its text and its figures' data and layout.
IDS_ON_PAGE = """(prefix) => {
  const parts = [document.body.textContent];
  for (const gd of document.querySelectorAll(".js-plotly-plot")) {
    parts.push(JSON.stringify(gd.data || []), JSON.stringify(gd.layout || {}));
  }
  const pattern = new RegExp(prefix.replace("-", "\\\\-") + "\\\\d{3}", "g");
  return [...new Set(parts.join(" ").match(pattern) || [])];
}"""


@dataclasses.dataclass(frozen=True)
class Patient:
    id: str
    first_days: tuple[str, ...]  # the first dose's day and the first result's day (ISO)
    files: tuple[tuple[str, bytes], ...]


def patients(n: int) -> list[Patient]:
    """N distinct patients: ids LOAD-001..., each starting treatment in a month of its own."""
    import pandas as pd

    out = []
    for k in range(1, n + 1):
        patient_id = f"{ID_PREFIX}{k:03d}"
        start = pd.Timestamp("2008-01-05") + pd.DateOffset(months=k)
        labs, doses = long_patient(seed=k, patient_id=patient_id, start=f"{start:%Y-%m-%d}")
        first_result = pd.Timestamp(f"{start:%Y-%m}-01") + pd.DateOffset(months=1) + pd.Timedelta(days=14)
        out.append(Patient(patient_id, (f"{start:%Y-%m-%d}", f"{first_result:%Y-%m-%d}"),
                           ((f"{patient_id}-labs.csv", labs), (f"{patient_id}-injections.csv", doses))))
    return out


def write_files(patient: Patient, folder: Path) -> list[str]:
    paths = []
    for name, data in patient.files:
        path = folder / name
        path.write_bytes(data)
        paths.append(str(path))
    return paths


# --- the server and its memory -------------------------------------------------------------------

def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(script: str, ttl: float | None,
                 launcher: tuple[str, ...] = ("-m", "streamlit")) -> tuple[str, subprocess.Popen]:
    """``streamlit run <script>`` in a process group of its own, as the browser tests start the app,
    and once it answers its health check. ``launcher``: the Python arguments that start Streamlit's
    command line; ``ttl`` None keeps Streamlit's own session TTL."""
    port = _free_port()
    ttl_flag = [] if ttl is None else [f"--server.disconnectedSessionTTL={ttl:g}"]
    process = subprocess.Popen(
        [sys.executable, *launcher, "run", script, "--server.headless=true", f"--server.port={port}",
         "--server.address=127.0.0.1", "--browser.gatherUsageStats=false", *ttl_flag],
        cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as answer:
                if answer.status == 200:
                    return url, process
        except OSError:
            if process.poll() is not None:
                raise RuntimeError(f"{script} exited with {process.returncode}") from None
            time.sleep(0.3)
    stop_server(process)
    raise RuntimeError(f"{script} did not answer within 90 s")


def stop_server(process: subprocess.Popen) -> None:
    with_signal = [signal.SIGTERM, signal.SIGKILL]
    for sig in with_signal:
        try:
            os.killpg(process.pid, sig)
        except ProcessLookupError:
            return
        try:
            process.wait(timeout=20)
            return
        except subprocess.TimeoutExpired:
            continue


def _proc_stats() -> list[list[str]]:
    """Each live process's pid and the fields after the name of its /proc/<pid>/stat (state,
    ppid, pgrp, ..., utime, stime, cutime, cstime at 11-14)."""
    out = []
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            fields = Path(f"/proc/{entry.name}/stat").read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue  # the process ended while being read
        if len(fields) > 14:
            out.append([entry.name, *fields])
    return out


def _group_stats(group: int) -> list[list[str]]:
    """``_proc_stats`` of every process in a process group."""
    return [stats for stats in _proc_stats() if stats[3] == str(group)]


def group_cpu_seconds(group: int) -> float:
    """CPU time used by a process group so far: its live processes and the children they waited for."""
    ticks = os.sysconf("SC_CLK_TCK")
    return sum(sum(int(f) for f in fields[12:16]) for fields in _group_stats(group)) / ticks  # utime..cstime


def browser_cpu_seconds(server_groups: Collection[int]) -> float:
    """CPU time so far of this process's descendants outside the servers' groups: Playwright's
    driver and Chromium, the browser side of every session."""
    servers = {str(group) for group in server_groups}
    parent, ticks = {}, {}
    for pid, *fields in _proc_stats():
        if fields[2] not in servers:
            parent[int(pid)] = int(fields[1])
            ticks[int(pid)] = sum(int(f) for f in fields[11:15])  # utime..cstime
    mine, grew = {os.getpid()}, True
    while grew:
        more = {pid for pid, ppid in parent.items() if ppid in mine} - mine
        mine |= more
        grew = bool(more)
    return sum(ticks.get(pid, 0) for pid in mine - {os.getpid()}) / os.sysconf("SC_CLK_TCK")


def group_rss_mb(group: int) -> float:
    """Resident memory of every process in a process group (the server and the workers it started), MB."""
    total_kb = 0
    for pid, *_ in _group_stats(group):
        try:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total_kb += int(line.split()[1])
        except (OSError, ValueError, IndexError):
            continue  # the process ended while being read
    return total_kb / 1024


class MemoryPeak:
    """The highest resident memory of a process group, sampled on a thread while in ``with``."""

    def __init__(self, group: int) -> None:
        self.group, self.peak = group, 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, group_rss_mb(self.group))
            self._stop.wait(SAMPLE_EVERY)

    def __enter__(self) -> MemoryPeak:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()


def settled_memory(groups: Collection[int], ttl: float) -> dict[int, float]:
    """The memory of each server (by process group) once closed sessions are gone: Streamlit's TTL,
    then the app's clean-up (it looks every ttl/6 s), waited once for every server (the last
    round's sessions closed last), then the median of a few samples each."""
    time.sleep(ttl + max(0.5, min(10.0, ttl / 6)) * 2 + 3)
    samples: dict[int, list[float]] = {group: [] for group in groups}
    for _ in range(10):
        for group, taken in samples.items():
            taken.append(group_rss_mb(group))
        time.sleep(SAMPLE_EVERY)
    return {group: statistics.median(taken) for group, taken in samples.items()}


# --- browser sessions ----------------------------------------------------------------------------

@dataclasses.dataclass
class Sightings:
    checks: int = 0
    seen: list[tuple[str, str, str]] = dataclasses.field(default_factory=list)  # (session, other id, when)

    def look(self, own: str, ids: list[str], when: str) -> None:
        self.checks += 1
        self.seen += [(own, other, when) for other in ids if other != own]


async def _settle(page, timeout_ms: float) -> None:
    """Until the app's run has finished and every figure on the page is drawn."""
    await page.wait_for_timeout(300)
    await page.wait_for_function(IDLE, timeout=timeout_ms, polling=200)


async def _open(browser, url: str, timeout_ms: float):
    context = await browser.new_context(viewport={"width": 1500, "height": 1100})
    page = await context.new_page()
    await page.goto(url, timeout=timeout_ms)
    await page.wait_for_selector("input[type=file]", state="attached", timeout=timeout_ms)
    await _settle(page, timeout_ms)  # both apps draw a figure before an upload
    return context, page


async def _watch(page, own: str, sightings: Sightings, done: asyncio.Event) -> None:
    while not done.is_set():
        with contextlib.suppress(Exception):  # the page is between two states: look again
            sightings.look(own, await page.evaluate(IDS_ON_PAGE, ID_PREFIX), "during")
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(done.wait(), CHECK_EVERY)


async def _upload(page, patient: Patient, paths: list[str], timeout_ms: float) -> tuple[float, float]:
    """Seconds from the upload to the patient's figure, and to the whole page (the run finished)."""
    start = time.perf_counter()
    await page.locator("input[type=file]").set_input_files(paths)
    await page.wait_for_function(SHOWS_PATIENT, arg=[patient.id, list(patient.first_days)], polling=100,
                                 timeout=timeout_ms)
    figure = time.perf_counter() - start
    await page.wait_for_function(IDLE, timeout=timeout_ms, polling=100)
    return figure, time.perf_counter() - start


async def one_round(browser, url: str, cohort: list[Patient], folder: Path, sightings: Sightings,
                    timeout_ms: float, server: int, servers: Collection[int]
                    ) -> tuple[list[float | None], list[float | None], float, float]:
    """N sessions open the app; once all have drawn their first page, all upload at once. Seconds
    from upload to figure and to the whole page per session (None: the session did not get there),
    and the CPU seconds the server (``server``, the group of the app measured) and the browser
    (all but ``servers``, the groups of every app server running) used from the first upload to
    the last page."""
    sessions = await asyncio.gather(*(_open(browser, url, timeout_ms) for _ in cohort))
    pages = [page for _, page in sessions]
    done = asyncio.Event()
    watchers = [asyncio.create_task(_watch(page, p.id, sightings, done)) for page, p in zip(pages, cohort, strict=True)]
    uploads = [_upload(page, p, write_files(p, folder), timeout_ms) for page, p in zip(pages, cohort, strict=True)]
    cpu, browser_cpu = group_cpu_seconds(server), browser_cpu_seconds(servers)
    times = await asyncio.gather(*uploads, return_exceptions=True)
    cpu, browser_cpu = group_cpu_seconds(server) - cpu, browser_cpu_seconds(servers) - browser_cpu
    done.set()
    await asyncio.gather(*watchers)
    for page, p in zip(pages, cohort, strict=True):  # the end state, once every run has finished
        try:
            await _settle(page, timeout_ms)
            sightings.look(p.id, await page.evaluate(IDS_ON_PAGE, ID_PREFIX), "end")
        except Exception as err:
            print(f"  {p.id}: could not read the final page: {type(err).__name__}", file=sys.stderr)
    await asyncio.gather(*(context.close() for context, _ in sessions))
    for p, t in zip(cohort, times, strict=True):
        if isinstance(t, BaseException):
            print(f"  {p.id}: no figure: {type(t).__name__}: {str(t).splitlines()[0] if str(t) else ''}",
                  file=sys.stderr)
    got = [t if isinstance(t, tuple) else None for t in times]
    return [t and t[0] for t in got], [t and t[1] for t in got], cpu, browser_cpu


@dataclasses.dataclass
class AppResult:
    app: str
    times: list[float | None]
    complete: list[float | None]  # upload to the whole page drawn
    before: float
    peak: float
    after: float
    sightings: Sightings
    cpu: float  # server CPU seconds from the uploads to the last page, measured rounds
    browser_cpu: float  # Chromium's (and Playwright's) CPU seconds over the same time


def round_order(apps: list[str], rounds: int) -> list[str]:
    """The apps' measured rounds, alternated and mirrored (ours, peer, peer, ours, ...): a machine
    that slows down or speeds up during the run weighs on every app alike."""
    order: list[str] = []
    for r in range(rounds):
        order += apps if r % 2 == 0 else apps[::-1]
    return order


async def measure(args: argparse.Namespace, cohort: list[Patient], folder: Path) -> dict[str, AppResult]:
    """Every app's server started at once; a warm-up round each, the memory baseline, then the
    measured rounds of the apps in turn (``round_order``), and the memory after."""
    from playwright.async_api import async_playwright

    timeout_ms = args.timeout * 1000
    servers: dict[str, tuple[str, subprocess.Popen]] = {}
    try:
        for app in args.apps:
            servers[app] = start_server(APPS[app], args.ttl)
        groups = [process.pid for _, process in servers.values()]
        results = {app: AppResult(app, [], [], 0.0, 0.0, 0.0, Sightings(), 0.0, 0.0) for app in args.apps}
        async with async_playwright() as p:
            browser = await p.chromium.launch(executable_path=CHROMIUM, args=BROWSER_ARGS)
            for app, (url, process) in servers.items():
                print(f"{app}: warm-up round of {len(cohort)} sessions", file=sys.stderr)
                await one_round(browser, url, cohort, folder, results[app].sightings, timeout_ms, process.pid, groups)
            before = settled_memory(groups, args.ttl)
            for app, (_, process) in servers.items():
                results[app].before = before[process.pid]
            for n, app in enumerate(round_order(args.apps, args.rounds), start=1):
                url, process = servers[app]
                r = results[app]
                print(f"{app}: measured round {n} of {args.rounds * len(args.apps)}", file=sys.stderr)
                with MemoryPeak(process.pid) as peak:
                    got, whole, used, used_browser = await one_round(browser, url, cohort, folder, r.sightings,
                                                                     timeout_ms, process.pid, groups)
                r.times += got
                r.complete += whole
                r.cpu += used
                r.browser_cpu += used_browser
                r.peak = max(r.peak, peak.peak)
            after = settled_memory(groups, args.ttl)
            for app, (_, process) in servers.items():
                results[app].after = after[process.pid]
            await browser.close()
    finally:
        for _, process in servers.values():
            stop_server(process)
    return results


# --- the report ----------------------------------------------------------------------------------

def latency(times: list[float | None]) -> dict[str, float]:
    """p50, p95 (interpolated between ranks) and max of the sessions that got their figure."""
    got = sorted(t for t in times if t is not None)
    if not got:
        return {"p50": float("nan"), "p95": float("nan"), "max": float("nan")}
    cuts = statistics.quantiles(got, n=100, method="inclusive") if len(got) > 1 else [got[0]] * 99
    return {"p50": statistics.median(got), "p95": cuts[94], "max": got[-1]}


def verdicts(results: dict[str, AppResult]) -> list[tuple[str, bool]]:
    """Each of the issue's targets that this run measured, and whether it is met."""
    out = []
    if "ours" in results and "peer" in results:
        ratio = latency(results["ours"].times)["p95"] / latency(results["peer"].times)["p95"]
        out.append((f"p95 ours / peer {ratio:.2f}x <= {P95_TARGET}x", ratio <= P95_TARGET))
    for app, r in results.items():
        failed = sum(t is None for t in r.times)
        out.append((f"{app}: every session got its figure ({len(r.times) - failed} of {len(r.times)})", failed == 0))
        out.append((f"{app}: no session showed another's patient ({len(r.sightings.seen)} sightings in "
                    f"{r.sightings.checks} looks)", not r.sightings.seen))
    if "ours" in results:
        r = results["ours"]
        out.append((f"ours: memory after / before {r.after / r.before:.2f} <= {MEMORY_TARGET}",
                    r.after <= r.before * MEMORY_TARGET))
    return out


def report(results: dict[str, AppResult], args: argparse.Namespace, load: tuple[float, float]) -> str:
    lines = [f"{args.sessions} sessions x {args.rounds} round(s), TTL {args.ttl:g} s, load average "
             f"{load[0]:.2f} before / {load[1]:.2f} after",
             "| app | p50 | p95 | max | whole page p95 | memory before | peak | after | after / before "
             "| server CPU | browser CPU |",
             "|---|---|---|---|---|---|---|---|---|---|---|"]
    for app, r in results.items():
        t, whole = latency(r.times), latency(r.complete)
        lines.append(f"| {app} | {t['p50']:.2f} s | {t['p95']:.2f} s | {t['max']:.2f} s | {whole['p95']:.2f} s | "
                     f"{r.before:,.0f} MB | {r.peak:,.0f} MB | {r.after:,.0f} MB | {r.after / r.before:.2f} | "
                     f"{r.cpu:.0f} s | {r.browser_cpu:.0f} s |")
    lines += [f"{'PASS' if ok else 'FAIL'}  {what}" for what, ok in verdicts(results)]
    for app, r in results.items():
        lines += [f"  {app}: session {own} showed {other} ({when})" for own, other, when in r.sightings.seen[:20]]
    return "\n".join(lines)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--sessions", type=int, default=20, help="browser sessions at once (default 20)")
    parser.add_argument("--rounds", type=int, default=2,
                        help="measured rounds of each app after the warm-up, taking turns (default 2)")
    parser.add_argument("--ttl", type=float, default=10,
                        help="server.disconnectedSessionTTL for both servers, seconds (default 10)")
    parser.add_argument("--apps", nargs="+", choices=list(APPS), default=list(APPS), help="ours, peer or both")
    parser.add_argument("--timeout", type=float, default=300, help="seconds a session may wait for its figure")
    args = parser.parse_args(argv)
    if args.sessions < 1 or args.sessions > 999 or args.rounds < 1 or args.ttl <= 0:
        parser.error("--sessions 1-999, --rounds >= 1, --ttl > 0")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    cohort = patients(args.sessions)
    load_before = os.getloadavg()[0]
    with tempfile.TemporaryDirectory(prefix="b12-load-") as folder:
        results = asyncio.run(measure(args, cohort, Path(folder)))
    print(report(results, args, (load_before, os.getloadavg()[0])))
    broken = any(r.sightings.seen or None in r.times for r in results.values())
    return 1 if broken else 0  # times and memory are reported, not enforced; wrong data is an error


if __name__ == "__main__":
    sys.exit(main())
