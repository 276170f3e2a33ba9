"""Open the report in headless Chromium (Debian's /usr/bin/chromium, driven by Playwright).

Used by the browser test and to refresh docs/report-screenshot.png:

    .venv/bin/python -m devtools.browser [REPORT_HTML] [PNG]

Playwright is a test-time tool, imported only here; no browser is downloaded (never run
`playwright install`): CHROMIUM_PATH, default /usr/bin/chromium, is the browser.
Every request that is not for a local file is refused and recorded, so a report that needs
the network shows up as `blocked_requests`.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from devtools import CHECKOUT_DIR

CHROMIUM_PATH = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
VIEWPORT = {"width": 1400, "height": 900}
LOCAL_SCHEMES = ("file:", "data:", "blob:", "about:")
# Every chart container holds a Plotly root with at least one drawn trace.
CHARTS_DRAWN_JS = """
() => [...document.querySelectorAll('[data-testid^="chart-"]')].every(
    (c) => c.querySelector('svg.main-svg .cartesianlayer .trace, canvas') !== null)
"""


@dataclass
class OpenedReport:
    page: object  # playwright.sync_api.Page
    load_seconds: float
    console_errors: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)
    blocked_requests: list[str] = field(default_factory=list)


@contextmanager
def open_report(report: Path, timeout_ms: int = 60_000) -> Iterator[OpenedReport]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM_PATH, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport=VIEWPORT, device_scale_factor=1)
            console_errors: list[str] = []
            page_errors: list[str] = []
            blocked: list[str] = []
            page.on("console", lambda m: console_errors.append(m.text) if m.type == "error" else None)
            page.on("pageerror", lambda e: page_errors.append(str(e)))

            def route(request_route):
                url = request_route.request.url
                if url.startswith(LOCAL_SCHEMES):
                    request_route.continue_()
                else:
                    blocked.append(url)
                    request_route.abort()

            page.route("**/*", route)
            started = time.perf_counter()
            page.goto(report.resolve().as_uri(), wait_until="load", timeout=timeout_ms)
            page.wait_for_function(CHARTS_DRAWN_JS, timeout=timeout_ms)
            opened = OpenedReport(page, round(time.perf_counter() - started, 3), console_errors, page_errors, blocked)
            yield opened
        finally:
            browser.close()


def screenshot(report: Path, png: Path) -> OpenedReport:
    """The first screen (1400x900) of the report, as a person opening it sees it."""
    with open_report(report) as opened:
        png.parent.mkdir(parents=True, exist_ok=True)
        opened.page.screenshot(path=os.fspath(png))
        return opened


def main(argv: list[str]) -> int:
    from pipeline.report.paths import report_path

    report = Path(argv[0]) if argv else report_path()
    png = Path(argv[1]) if len(argv) > 1 else CHECKOUT_DIR / "docs" / "report-screenshot.png"
    opened = screenshot(report, png)
    print(
        f"{png}: loaded in {opened.load_seconds:.2f} s; console errors {opened.console_errors}, "
        f"page errors {opened.page_errors}, blocked requests {opened.blocked_requests}"
    )
    return 1 if (opened.console_errors or opened.page_errors or opened.blocked_requests) else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
