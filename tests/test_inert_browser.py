"""Uploaded text stays inert in a real browser: a study whose file name, patient ids, adverse-event terms, yes/no
values, a visit label, a withdrawal reason and sheet names are links, images, HTML, scripts, an autolink and a bidi
override (``test_inert.hostile_workbook``) goes in through the real file input of ``streamlit run dashboard.py``,
and every page is opened in Debian's headless Chromium. On each page the DOM (plotly's SVG included) holds no link
or image to evil.example, no script or event handler calling alert, no alert dialog opened, and no request went to
any host but the local server; the hostile text is shown, read as typed.

Needs /usr/bin/chromium (``scripts/test.sh`` installs it); skipped, saying so, where it is absent.
"""

from __future__ import annotations

import time
from urllib.parse import urlsplit

import pytest
from browser_support import (
    CHROMIUM,
    PAGES,
    VIEWPORT,
    chromium,
    open_page,
    streamlit_url,  # noqa: F401 - a pytest fixture, used by name
    wait_for_app,
    wait_for_charts,
)
from test_inert import ANCHOR, FILE_NAME, IMG, JAVASCRIPT, LINK, hostile_workbook

from medpath.inert import WORD_JOINER

pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists(), reason=f"{CHROMIUM} not found: install Debian's chromium (scripts/test.sh does)"
)

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
#: Elements that would act on the hostile text: links (HTML, or SVG's xlink:href as plotly draws them) and images
#: to evil.example, scripts and inline event handlers calling alert.
LIVE = """() => {
    const links = [...document.querySelectorAll(
        'a[href*="evil.example"], [*|href*="evil.example"], img[src*="evil.example"], [src*="evil.example"]')];
    const scripts = [...document.querySelectorAll('script')].filter(s => s.textContent.includes('alert'));
    const handlers = [...document.querySelectorAll('*')].filter(
        e => [...e.attributes].some(a => a.name.startsWith('on') && a.value.includes('alert')));
    return [...links, ...scripts, ...handlers].map(e => e.outerHTML.slice(0, 200));
}"""
#: The text every plotly chart on the page draws (tick labels, legends, annotations, text beside markers).
CHART_TEXT = """() => [...document.querySelectorAll('[data-testid="stPlotlyChart"] .main-svg text')]
    .map(t => t.textContent).join('\\n')"""
OPTIONS = "() => [...document.querySelectorAll('[role=option]')].map(o => o.innerText).join('\\n')"


def shown(text: str) -> str:
    """Page text as read: without the invisible word joiners that keep autolinks from forming."""
    return text.replace(WORD_JOINER, "")


def test_hostile_upload_is_inert_on_every_page(streamlit_url):
    from playwright.sync_api import sync_playwright

    started = time.monotonic()
    server = urlsplit(streamlit_url).netloc
    requests: list[str] = []
    dialogs: list[str] = []
    with sync_playwright() as p, chromium(p) as browser:
        page = browser.new_page(viewport={"width": VIEWPORT["width"], "height": 2000})
        page.set_default_timeout(30_000)
        page.on("request", lambda request: requests.append(request.url))
        page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
        page.goto(streamlit_url)
        wait_for_app(page)

        def assert_inert(where: str) -> str:
            assert page.locator('[data-testid="stException"]').count() == 0, where
            assert page.evaluate(LIVE) == [], where
            assert not dialogs, (where, dialogs)
            return shown(page.locator('[data-testid="stMainBlockContainer"]').inner_text())

        open_page(page, "Data")
        page.set_input_files(
            '[data-testid="stFileUploader"] input[type=file]',
            files=[{"name": FILE_NAME, "mimeType": XLSX, "buffer": hostile_workbook()}],
        )
        page.wait_for_selector("text=needs your answer")  # the mapping step asks about the yes/no values
        wait_for_app(page)
        text = assert_inert("the Data page")
        for typed in (FILE_NAME, f"'{LINK}'", f"Sheet '{IMG}'", ANCHOR):  # header, mapping step, findings table
            assert typed in text, typed
        mapping = page.locator('[data-testid="stExpander"] [data-testid="stSelectbox"]').first
        mapping.click()  # the patient-id field's choices: every column with three of its values
        page.wait_for_selector("[role=option]")
        assert LINK in page.evaluate(OPTIONS)
        assert_inert("the mapping step's open select box")
        page.keyboard.press("Escape")

        for title in PAGES:
            if title == "Data":
                continue
            open_page(page, title, "MedPath" if title == "Overview" else title)
            wait_for_charts(page)
            text = assert_inert(title)
            assert FILE_NAME in text, title  # the header names the upload
            if title in ("Safety", "Secondary outcomes", "Trajectories"):  # ids on axes, terms, line labels
                assert ANCHOR in page.evaluate(CHART_TEXT), title
            if title == "Safety":
                assert f"{ANCHOR}: {JAVASCRIPT}, month 1" in text  # the serious event
            if title == "Trajectories":  # every patient chosen: a chip each
                assert ANCHOR in page.locator('[data-testid="stMultiSelect"]').first.inner_text()
    assert {urlsplit(u).netloc for u in requests if urlsplit(u).scheme not in ("data", "blob")} == {server}
    print(f"hostile upload on every page: {time.monotonic() - started:.1f} s")
