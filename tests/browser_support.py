"""Real-browser support: the dashboard served by ``streamlit run`` on a free port, and Debian's Chromium
driven by Playwright's Python package (Playwright's own browser download is never used).

As a pytest fixture (``streamlit_url``, session-scoped): imported by ``tests/test_browser.py``.
As a script, it produces the screenshots in docs/pages.md of the sample study::

    python tests/browser_support.py --screenshots docs/screenshots
"""

from __future__ import annotations

import argparse
import contextlib
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
VIEWPORT = {"width": 1280, "height": 900}
#: Page title in the sidebar navigation -> file name of its screenshot.
PAGES = {
    "Overview": "overview",
    "Data": "data",
    "Eligibility": "eligibility",
    "Trajectories": "trajectories",
    "Outcomes": "outcomes",
    "Secondary outcomes": "secondary",
    "Safety": "safety",
}
STARTUP_TIMEOUT = 60.0


def metric_value(page, label: str) -> str:
    """The value shown by the st.metric whose label contains ``label``."""
    metric = page.locator('[data-testid="stMetric"]', has_text=label).first
    return metric.locator('[data-testid="stMetricValue"]').inner_text().strip()


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
            return response.status == 200 and response.read().strip() == b"ok"
    except OSError:
        return False


@contextlib.contextmanager
def streamlit_server(
    *flags: str,
    env: dict[str, str] | None = None,
    port: int | None = None,
    base_path: str = "",
    timeout: float = STARTUP_TIMEOUT,
) -> Iterator[str]:
    """``streamlit run dashboard.py`` from the repository root on 127.0.0.1 (a free port unless ``port``), with
    ``flags`` (``--section.option=value``) and ``env`` added to a clean environment (no STREAMLIT_* or MEDPATH_*
    of the caller: the app's .streamlit/config.toml applies); yields its URL, with the base path. Start-up
    waits at most ``timeout`` seconds; the server is stopped on exit."""
    port = port or free_port()
    url = f"http://127.0.0.1:{port}" + (f"/{base_path.strip('/')}" if base_path.strip("/") else "")
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("STREAMLIT_", "MEDPATH_"))}
    clean |= {"PYTHONUNBUFFERED": "1", "STREAMLIT_BROWSER_GATHER_USAGE_STATS": "false"} | (env or {})
    log = tempfile.TemporaryFile()
    command = [sys.executable, "-m", "streamlit", "run", "dashboard.py", f"--server.port={port}"]
    command += ["--server.address=127.0.0.1", "--server.headless=true", *flags]
    process = subprocess.Popen(command, cwd=ROOT, env=clean, stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + timeout
        while not healthy(url):
            if process.poll() is not None or time.monotonic() > deadline:
                log.seek(0)
                output = log.read().decode(errors="replace")[-4000:]
                raise RuntimeError(f"streamlit did not become healthy at {url} (exit code {process.poll()}):\n{output}")
            time.sleep(0.25)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


@pytest.fixture(scope="session")
def streamlit_url() -> Iterator[str]:
    with streamlit_server() as url:
        yield url


@contextlib.contextmanager
def chromium(playwright):
    browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
    try:
        yield browser
    finally:
        browser.close()


def wait_for_app(page, timeout: float = 30_000) -> None:
    """Wait until the current script run has finished and its output is on screen."""
    page.wait_for_selector('[data-testid="stApp"][data-test-script-state="notRunning"]', timeout=timeout)
    page.wait_for_selector('[data-testid="stMainBlockContainer"] h1', timeout=timeout)
    # Streamlit marks output of the previous run "stale" for a moment; wait until none is left.
    page.wait_for_function("() => !document.querySelector('[data-stale=\"true\"]')", timeout=timeout)


def open_page(page, title: str, heading: str | None = None, timeout: float = 30_000) -> None:
    """Click ``title`` in the sidebar navigation and wait for the page to render (its h1 = ``heading``)."""
    page.locator('[data-testid="stSidebarNav"] a', has_text=title).first.click()
    page.wait_for_selector(f'[data-testid="stMainBlockContainer"] h1:has-text("{heading or title}")', timeout=timeout)
    wait_for_app(page, timeout)


def wait_for_charts(page, timeout: float = 30_000) -> None:
    """Wait until every plotly chart on the page has drawn its SVG."""
    page.wait_for_function(
        """() => [...document.querySelectorAll('[data-testid="stPlotlyChart"]')]
                 .every(c => c.querySelector('.main-svg'))""",
        timeout=timeout,
    )


def full_page_screenshot(page, path: Path) -> None:
    """The whole page, not only the viewport: Streamlit scrolls inside its main container, so the viewport
    is made as tall as the content for the shot (plotly charts keep their width), then restored."""
    size = page.viewport_size
    height = page.evaluate(
        """() => Math.max(...['[data-testid="stMain"]', '[data-testid="stAppViewContainer"]', 'body']
                 .map(s => document.querySelector(s)).filter(Boolean).map(e => e.scrollHeight))"""
    )
    page.set_viewport_size({"width": size["width"], "height": max(size["height"], int(height))})
    page.wait_for_timeout(500)  # let the layout settle at the new height
    page.screenshot(path=str(path), full_page=True)
    page.set_viewport_size(size)


def screenshots(directory: Path) -> list[Path]:
    """Full-page screenshots of every page of the sample study, 1280 px wide, into ``directory``."""
    from playwright.sync_api import sync_playwright

    directory.mkdir(parents=True, exist_ok=True)
    saved = []
    with streamlit_server() as url, sync_playwright() as p, chromium(p) as browser:
        page = browser.new_page(viewport=VIEWPORT)
        page.goto(url)
        wait_for_app(page)
        for title, name in PAGES.items():
            if title != "Overview":
                open_page(page, title)
            else:
                page.wait_for_selector("text=Primary results")
            wait_for_charts(page)
            page.mouse.move(0, 0)
            page.wait_for_timeout(800)  # let plotly finish its transitions
            path = directory / f"{name}.png"
            full_page_screenshot(page, path)
            saved.append(path)
    return saved


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--screenshots", type=Path, required=True, help="directory for <page>.png")
    for saved in screenshots(parser.parse_args().screenshots):
        print(saved)
