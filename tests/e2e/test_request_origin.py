"""Nothing leaves the machine at run time: the browser loads only from the app's own origin.

Every request the page or its workers make is recorded (and any to another host is aborted, so
the test itself leaks nothing) while a user goes through every page, uploads a lab export and an
injection record so the figure renders, hovers the figure, opens the sidebar and the expanders.
The document is also read for addresses the browser may load later or outside the page's own
requests (the favicon, stylesheets' @import and @font-face, images, scripts, frames). `data:`,
`blob:` and `about:` addresses stay in the browser and are allowed.

The app under test configures no identity provider, so no other host is allowed at all. A
deployment that adds sign-in sends the browser to its identity provider only to sign in.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tests.e2e.conftest import screenshot
from tests.e2e.test_uploaded_patients import RUN_FINISHED, wait_for_text

pytestmark = pytest.mark.e2e

UPLOADS = Path(__file__).resolve().parent / "uploads" / "ehr_title_block"
IN_BROWSER = ("data", "blob", "about")

# Every address the document names: links (favicon, stylesheets, preloads), scripts, images,
# SVG images and uses, frames, media, and the @import and @font-face rules of every stylesheet
# (a font face is fetched only when text needs it, so a declared one is a request waiting to happen).
DOCUMENT_URLS = """() => {
    const urls = [];
    const add = (u, what) => { if (u) urls.push([String(u), what]); };
    document.querySelectorAll('link[href]').forEach(e => add(e.href, 'link rel=' + e.rel));
    document.querySelectorAll('script[src]').forEach(e => add(e.src, 'script'));
    document.querySelectorAll('img').forEach(e => { add(e.currentSrc || e.src, 'img'); });
    document.querySelectorAll('iframe[src], source[src], video[src], audio[src], embed[src]')
        .forEach(e => add(e.src, e.tagName.toLowerCase()));
    document.querySelectorAll('object[data]').forEach(e => add(e.data, 'object'));
    document.querySelectorAll('image, use').forEach(e => {
        const h = e.getAttribute('href') || e.getAttribute('xlink:href');
        if (h && !h.startsWith('#')) add(new URL(h, document.baseURI).href, 'svg ' + e.tagName);
    });
    const rules = (sheet, where) => {
        let list;
        try { list = sheet.cssRules; } catch (err) { add(sheet.href, 'unreadable stylesheet'); return; }
        for (const r of list) {
            if (r instanceof CSSImportRule) { add(new URL(r.href, sheet.href || document.baseURI).href, '@import');
                                              if (r.styleSheet) rules(r.styleSheet, where); }
            else if (r instanceof CSSFontFaceRule) {
                for (const m of r.style.getPropertyValue('src').matchAll(/url\\(\\s*["']?([^"')]+)["']?\\s*\\)/g))
                    add(new URL(m[1], sheet.href || document.baseURI).href,
                        '@font-face ' + r.style.getPropertyValue('font-family'));
            } else if (r.cssRules) { rules(r, where); }
        }
    };
    for (const sheet of document.styleSheets) rules(sheet, 'stylesheet');
    for (const e of performance.getEntriesByType('resource')) add(e.name, 'resource timing ' + e.initiatorType);
    return urls;
}"""

# The Material icons as drawn: an icon whose font did not load shows its name ("fact_check") as
# text that overflows its square box (scrollWidth several times its width).
ICONS = """async () => {
    await document.fonts.ready;
    const font = [...document.fonts].filter(f => f.family.includes('Material Symbols')).map(f => f.status);
    const shown = [...document.querySelectorAll('[data-testid=stIconMaterial]')].filter(e => e.clientWidth > 0);
    return {font, shown: shown.length,
            as_text: shown.filter(e => e.scrollWidth > 1.5 * e.clientWidth).map(e => e.textContent)};
}"""


class Recorder:
    """Every address the browser asked for, with the user action it happened during."""

    def __init__(self, app_url: str):
        self.origin = urlsplit(app_url).netloc
        self.action = "opening the app"
        self.seen: list[tuple[str, str, str]] = []  # (url, what, action)

    def is_own(self, url: str) -> bool:
        parts = urlsplit(url)
        if parts.scheme in IN_BROWSER:
            return True
        return parts.scheme in ("http", "https", "ws", "wss") and parts.netloc == self.origin

    def add(self, url: str, what: str) -> None:
        self.seen.append((url, what, self.action))

    def route(self, route) -> None:
        request = route.request
        self.add(request.url, f"routed {request.resource_type}")
        if self.is_own(request.url):
            route.continue_()
        else:
            route.abort("blockedbyclient")

    def off_origin(self) -> list[str]:
        """One line per address on another host: how it was seen, and during which actions."""
        found: dict[str, tuple[dict, dict]] = {}
        for url, what, action in self.seen:
            if not self.is_own(url):
                whats, actions = found.setdefault(url, ({}, {}))
                whats[what] = actions[action] = None
        return [f"{urlsplit(url).netloc or url[:40]}: {url[:160]}\n    seen as: {'; '.join(whats)}"
                f"\n    while: {'; '.join(actions)}" for url, (whats, actions) in sorted(found.items())]


def watch(context, page, recorder: Recorder) -> None:
    context.route("**/*", recorder.route)
    context.on("request", lambda r: recorder.add(r.url, f"context request {r.resource_type}"))
    context.on("requestfailed", lambda r: recorder.add(r.url, f"failed {r.resource_type}"))
    context.on("serviceworker", lambda w: recorder.add(w.url, "service worker"))
    page.on("request", lambda r: recorder.add(r.url, f"page request {r.resource_type}"))
    page.on("websocket", lambda ws: recorder.add(ws.url, "websocket"))
    page.on("worker", lambda w: recorder.add(w.url, "web worker"))
    page.on("popup", lambda p: recorder.add(p.url, "popup"))
    page.on("frameattached", lambda f: recorder.add(f.url or "about:blank", "frame"))


def settle(page, text: str) -> None:
    wait_for_text(page, text)
    page.wait_for_function(RUN_FINISHED, timeout=60000)
    page.wait_for_timeout(800)


def read_document(page, recorder: Recorder) -> None:
    for url, what in page.evaluate(DOCUMENT_URLS):
        recorder.add(url, f"in the document: {what}")


def expand_all(page) -> None:
    for summary in page.locator("[data-testid=stExpander] summary").all():
        if summary.is_visible():
            summary.click()
            page.wait_for_timeout(300)


def test_the_browser_loads_only_from_the_apps_own_origin(browser, app_url):
    recorder = Recorder(app_url)
    context = browser.new_context(viewport={"width": 1500, "height": 1100})
    page = context.new_page()
    watch(context, page, recorder)

    for path, text in (("import_review", "What this page is for"), ("schedule", "How this page works"),
                       ("", "How to read this page")):
        recorder.action = f"opening /{path} by its address"
        page.goto(f"{app_url}/{path}")
        settle(page, text)
        read_document(page, recorder)
    page.wait_for_selector(".js-plotly-plot", timeout=60000)

    recorder.action = "uploading a lab export and an injection record"
    page.locator("input[type=file]").set_input_files([str(UPLOADS / "results_review.csv"),
                                                       str(UPLOADS / "injections_clinic.xlsx")])
    page.wait_for_function("() => !document.body.innerText.includes('Sample data')", timeout=60000)
    settle(page, "Loading from")
    page.wait_for_selector(".js-plotly-plot", timeout=60000)

    recorder.action = "hovering the figure (mode bar, hover labels)"
    page.locator(".js-plotly-plot").first.hover()
    page.mouse.move(700, 600)
    page.wait_for_timeout(800)

    recorder.action = "expanding the dashboard's expanders"
    expand_all(page)
    read_document(page, recorder)

    recorder.action = "closing and opening the sidebar"
    page.locator("[data-testid=stSidebar]").hover()
    page.get_by_test_id("stSidebarCollapseButton").locator("button").click()
    page.get_by_test_id("stExpandSidebarButton").click()
    page.wait_for_selector("[data-testid=stSidebarNav]", state="visible", timeout=10000)

    for link, text in (("Import review", "Injection record"), ("Schedule", "Choose a regimen"),
                       ("Dashboard", "Loading from")):
        recorder.action = f"going to {link} in the sidebar"
        page.get_by_role("link", name=link).first.click()
        settle(page, text)
        recorder.action = f"expanding the expanders on {link}"
        expand_all(page)
        read_document(page, recorder)
    page.wait_for_selector(".js-plotly-plot", timeout=60000)
    screenshot(page, "request-origin-icons")

    favicon = page.evaluate("() => [...document.querySelectorAll('link[rel~=icon]')].map(l => l.href)")
    icons = page.evaluate(ICONS)
    context.close()

    assert recorder.seen, "no request was recorded: the recorder is not working"
    assert any(what.startswith("routed") and recorder.is_own(url) for url, what, _ in recorder.seen)
    off = recorder.off_origin()
    assert not off, "the browser asked another host:\n" + "\n".join(off)
    assert favicon and all(recorder.is_own(url) for url in favicon), favicon
    assert "loaded" in icons["font"], icons  # the bundled icon font, from the app (checked above)
    assert icons["shown"] >= 3 and not icons["as_text"], icons  # the nav's icons at least


def test_the_server_itself_calls_no_other_host(browser, tmp_path):
    """The server, started as the README starts it (its shipped address setting), makes no call
    out either: every HTTP(S) client that honours the standard proxy variables is pointed at a
    listener of this test, which records any connection, while a user uploads and sees a figure.
    (Streamlit, started headless on all addresses, looks up the machine's public address at a
    public web service to print an "External URL".)"""
    import socket
    import threading

    from tests.e2e.conftest import SERVER_OUTPUT, running_app

    calls: list[bytes] = []
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()

    def record() -> None:
        while True:
            try:
                connection, _ = listener.accept()
            except OSError:
                return
            with connection:
                connection.settimeout(2)
                try:
                    calls.append(connection.recv(200))
                except OSError:
                    calls.append(b"(connected)")

    threading.Thread(target=record, daemon=True).start()
    proxy = f"http://127.0.0.1:{listener.getsockname()[1]}"
    env = {"HTTP_PROXY": proxy, "HTTPS_PROXY": proxy, "http_proxy": proxy, "https_proxy": proxy,
           "ALL_PROXY": proxy, "NO_PROXY": "", "no_proxy": ""}
    start = len(SERVER_OUTPUT)
    try:
        with running_app(env=env, address=None) as (url, _):
            context = browser.new_context()
            page = context.new_page()
            page.goto(url.replace("127.0.0.1", "localhost"))
            page.wait_for_selector("[data-testid=stApp]", timeout=60_000)
            page.locator("input[type=file]").set_input_files(sorted(str(p) for p in UPLOADS.iterdir()))
            page.wait_for_selector(".js-plotly-plot", timeout=60_000)
            context.close()
    finally:
        listener.close()
    log = "".join(SERVER_OUTPUT[start:])
    assert calls == [], f"the server called out: {calls}"
    assert "External URL" not in log and "external IP" not in log, log
