"""What the browser gets, and what stays behind, in a real session (issue 18, breaks 5, 7 and 9):

- a generated download (the validated XLSX, the report) is served at a /media URL that is dead once its
  session is gone, for a client without cookies;
- the page fetches nothing from a third party (the page icon used to load from fonts.gstatic.com);
- uploaded file names and ids show inert: no links, no Markdown structure, bidirectional controls visible.

One shared ``streamlit run`` server (``browser_support.streamlit_url``) with sign-in off.
"""

from __future__ import annotations

import time
import urllib.error
import urllib.request
from urllib.parse import urlsplit

import pytest
from browser_support import CHROMIUM, VIEWPORT, chromium, open_page, streamlit_url, wait_for_app  # noqa: F401
from conftest import SCREENING_HEADER, VISITS_HEADER, screening_row, xlsx_bytes

from pages.components import DOWNLOAD_LIFETIME

pytestmark = pytest.mark.skipif(not CHROMIUM.exists(), reason=f"{CHROMIUM} not found (scripts/test.sh installs it)")

MAIN = '[data-testid="stMainBlockContainer"]'
FILE_INPUT = '[data-testid="stFileUploader"] input[type=file]'


def status(url: str) -> int:
    """The HTTP status of ``url`` for a client with no cookies and no session."""
    try:
        with urllib.request.urlopen(urllib.request.Request(url), timeout=5) as response:
            response.read()
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def download_url(page, button: str) -> str:
    with page.expect_download(timeout=30_000) as download:
        page.get_by_role("button", name=button).click()
    return download.value.url


def test_a_download_url_is_dead_once_its_session_is_gone(streamlit_url):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p, chromium(p) as browser:
        context = browser.new_context(viewport=VIEWPORT, accept_downloads=True)
        page = context.new_page()
        page.set_default_timeout(30_000)
        page.goto(streamlit_url)
        page.wait_for_selector("text=Primary results")
        wait_for_app(page)
        report = download_url(page, "Download report (HTML)")
        open_page(page, "Data")
        workbook = download_url(page, "Download validated tables and findings (XLSX)")
        urls = [report, workbook]
        assert all(urlsplit(u).path.startswith("/media/") for u in urls), urls
        assert [status(u) for u in urls] == [200, 200]  # served, without cookies, while the session lives
        made = time.monotonic()
        context.close()

    deadline = made + 2 * DOWNLOAD_LIFETIME + 10
    while any(status(u) == 200 for u in urls) and time.monotonic() < deadline:
        time.sleep(0.5)
    assert [status(u) for u in urls] == [404, 404], "a generated file outlived its session"
    print(f"download URLs dead {time.monotonic() - made:.1f} s after they were made")


def test_the_page_fetches_nothing_from_a_third_party(streamlit_url):
    from playwright.sync_api import sync_playwright

    origin = urlsplit(streamlit_url).netloc
    with sync_playwright() as p, chromium(p) as browser:
        page = browser.new_page(viewport=VIEWPORT)
        requested: list[str] = []
        page.on("request", lambda request: requested.append(request.url))
        page.goto(streamlit_url)
        page.wait_for_selector("text=Primary results")
        wait_for_app(page)
        for title in ["Data", "Eligibility", "Trajectories", "Outcomes", "Overview"]:
            open_page(page, title, "MedPath" if title == "Overview" else None)
        icons = page.eval_on_selector_all("link[rel~='icon']", "links => links.map(l => l.href)")
    foreign = [
        u
        for u in requested + icons
        if urlsplit(u).scheme in ("http", "https", "ws", "wss") and urlsplit(u).netloc != origin
    ]
    assert not foreign, f"third-party requests: {foreign}"
    assert icons and all(not icon.startswith("http") or urlsplit(icon).netloc == origin for icon in icons)


# The text the app itself writes: the main area without Streamlit's uploader widget, whose own list of
# uploaded files shows the name as the browser received it (a limitation of st.file_uploader).
OWN_TEXT = f"""() => {{
    const main = document.querySelector('{MAIN}').cloneNode(true);
    main.querySelectorAll('[data-testid="stFileUploader"]').forEach(e => e.remove());
    document.body.appendChild(main);
    const text = main.innerText;
    main.remove();
    return text;
}}"""
NASTY_NAME = "www.evil.example \u202excod.xlsx"
NASTY_IDS = ["http://evil.example/S9", "evil@evil.example", "P_3_ [P4](x)"]


def test_uploaded_names_and_ids_show_inert(streamlit_url, tmp_path):
    from playwright.sync_api import sync_playwright

    screening = [SCREENING_HEADER, *(screening_row(pid) for pid in NASTY_IDS)]
    visits = [VISITS_HEADER] + [[pid, "baseline", -3.0, 7] for pid in NASTY_IDS] + [[NASTY_IDS[0], "month 6", -2.8, 4]]
    path = tmp_path / NASTY_NAME
    path.write_bytes(xlsx_bytes({"screening": screening, "visits": visits}))

    with sync_playwright() as p, chromium(p) as browser:
        page = browser.new_page(viewport=VIEWPORT)
        page.set_default_timeout(30_000)
        page.goto(streamlit_url)
        wait_for_app(page)
        open_page(page, "Data")
        page.set_input_files(FILE_INPUT, str(path))
        page.wait_for_selector(f"{MAIN} :text('xcod.xlsx')")
        wait_for_app(page)
        texts = {}
        for title in ["Data", "Overview", "Trajectories"]:
            open_page(page, title, "MedPath" if title == "Overview" else None)
            texts[title] = page.evaluate(OWN_TEXT)
            links = page.eval_on_selector_all(f"{MAIN} a", "links => links.map(a => a.href)")
            assert not [link for link in links if "evil" in link or link.startswith("mailto:")], (title, links)
            assert page.locator(f"{MAIN} em:has-text('3'), {MAIN} a:has-text('P4')").count() == 0
        for title, text in texts.items():
            assert "\u202e" not in text, f"{title}: a right-to-left override reached the page"
        assert "⟨U+202E⟩" in texts["Data"] and "www" in texts["Data"]
        trajectories = texts["Trajectories"].replace("\u2060", "")
        assert "evil@evil.example" in trajectories and "P_3_ [P4](x)" in trajectories, trajectories  # as typed
