"""The mapping step in a real browser (issues 12 and 24, "Done when"): one export is mapped end to end through the
app's boxes. An export whose headers and values MedPath does not know ("No. Responden", "Usia (tahun)", "Masuk
Penelitian (Ya/Tidak)", "Pr"/"Lk", "Tidak Reaktif", "Lengkap") is uploaded on the Data page; the live preview changes
when a box changes (before Apply); Apply reads it; the profile is downloaded; next month's export (one more patient)
is uploaded in the same session, where the app asks whether to keep the profile of the previous upload; then in a
fresh session (the page reloaded: the session and its files are gone) next month's export is uploaded with the
downloaded profile, and the funnel is the file's own: 5 screened, 4 enrolled, 4 completed.

Needs /usr/bin/chromium; skipped, saying so, where it is absent. A screenshot of the Data page with the mapping step
open (1280 px wide) is saved in pytest's tmp_path (``MEDPATH_SCREENSHOTS=DIR`` saves it there too).
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest
from browser_support import (  # noqa: F401 (streamlit_url is a fixture)
    CHROMIUM,
    VIEWPORT,
    chromium,
    metric_value,
    open_page,
    streamlit_url,
    wait_for_app,
)
from test_mapping import SCREENING, VISITS
from workbooks import profile_of, xlsx_bytes

from medpath.protocol import default_protocol
from medpath.study import load_study

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason=f"{CHROMIUM} not found: install Debian's chromium"),
]

UPLOADER = '[data-testid="stFileUploader"] input[type=file]'
#: next month's export: one more patient screened, enrolled and seen at baseline and month 6
NEXT_SCREENING = [*SCREENING, ["R05", "Lk", 64, -2.8, "Tidak Reaktif", "Lengkap", "Ya"]]
NEXT_VISITS = [*VISITS, ["R05", "Awal", -2.8, 6], ["R05", "Bulan 6", -2.5, 3]]


def main_text(page) -> str:
    return page.locator('[data-testid="stMainBlockContainer"]').inner_text()


def preview_row(page, count: str) -> str:
    """The preview table's row of one count ("VAS pain: n pairs"), as text (word joiners, which keep a colon from
    starting Markdown, left out)."""
    rows = page.locator('[data-testid="stTable"] tr')
    for part in count.split(":"):
        rows = rows.filter(has_text=part.strip())
    return rows.first.inner_text().replace("\u2060", "")


def row_shows(page, count: str, wanted: str, timeout: float = 20.0) -> str:
    """The preview's row of ``count`` once its value with these choices starts with ``wanted`` (the page reruns
    after a box changes); the row as last seen otherwise."""
    deadline = time.monotonic() + timeout
    while True:
        row = preview_row(page, count)
        cells = [c.strip() for c in row.split("\t") if c.strip()]
        if (len(cells) > 1 and cells[1].startswith(wanted)) or time.monotonic() > deadline:
            return row
        page.wait_for_timeout(250)


def choose(page, label: str, option: str) -> None:
    """Pick ``option`` in the select box whose label is ``label``, and wait for the page to follow."""
    box = page.get_by_role("combobox", name=label, exact=True)
    box.scroll_into_view_if_needed()
    box.click()
    page.get_by_role("option", name=option, exact=True).click()
    wait_for_app(page)


def funnel(page) -> tuple[str, str, str]:
    open_page(page, "Overview", "MedPath")
    return tuple(metric_value(page, label) for label in ("Screened", "Enrolled", "Completed"))  # type: ignore[return-value]


def test_map_preview_apply_download_and_read_next_months_export_with_the_profile(streamlit_url, tmp_path):
    from playwright.sync_api import sync_playwright

    workbook = tmp_path / "ekspor_maret.xlsx"
    workbook.write_bytes(xlsx_bytes({"Skrining": SCREENING, "Kunjungan": VISITS}))
    next_month = tmp_path / "ekspor_april.xlsx"
    next_month.write_bytes(xlsx_bytes({"Skrining": NEXT_SCREENING, "Kunjungan": NEXT_VISITS}))
    assert load_study(  # unknown to MedPath without a mapping
        [(workbook.name, workbook.read_bytes())], protocol=default_protocol()
    ).errors

    with sync_playwright() as p, chromium(p) as browser:
        context = browser.new_context(viewport=VIEWPORT, accept_downloads=True)
        page = context.new_page()
        page.set_default_timeout(30_000)
        page.goto(streamlit_url)
        wait_for_app(page)
        open_page(page, "Data")
        page.locator(UPLOADER).first.set_input_files(str(workbook))
        page.wait_for_selector("text=needs your answer")
        wait_for_app(page)
        assert "open the mapping step below" in main_text(page)  # the refusal points to the fix
        age = page.get_by_role("combobox", name="age (years)", exact=True)
        assert age.input_value() == "Skrining › Usia (tahun)  (e.g. 61, 58, 66)"  # the best guess, pre-filled
        assert "3" in row_shows(page, "VAS pain: n pairs", "3").split()  # the guesses read 3 pairs, before Apply

        # the preview follows the boxes: without the pain column there are no VAS pairs; with it, 3 again
        choose(page, "VAS pain (0–10)", "— not in the file —")
        assert "not determinable: no column is read as VAS pain" in row_shows(page, "VAS pain: n pairs", "not")
        assert "● changed (MedPath's guess: Kunjungan › Skor Nyeri)" in main_text(page)
        choose(page, "VAS pain (0–10)", "Kunjungan › Skor Nyeri  (e.g. 7, 4, 6)")
        assert "3" in row_shows(page, "VAS pain: n pairs", "3").split()

        for label, option in (
            ("sex: 'Pr'", "F"),
            ("sex: 'Lk'", "M"),
            ("HIV test: 'Tidak Reaktif'", "negative"),
            ("informed consent: 'Lengkap'", "signed"),
        ):
            choose(page, label, option)
        assert "● 12 change(s) not applied yet" in main_text(page)
        screenshot_dir = Path(os.environ.get("MEDPATH_SCREENSHOTS", tmp_path))
        screenshot_dir.mkdir(parents=True, exist_ok=True)
        page.set_viewport_size({"width": VIEWPORT["width"], "height": 4000})  # the whole step in one picture
        wait_for_app(page)
        step = page.locator('[data-testid="stExpander"]', has_text="Mapping: which column is which field").first
        step.screenshot(path=str(screenshot_dir / "data_mapping_step.png"))
        page.set_viewport_size(VIEWPORT)

        page.get_by_role("button", name="Apply", exact=True).click()
        page.wait_for_selector("text=as at the last Apply", state="attached")
        wait_for_app(page)
        text = main_text(page)
        assert "11 of 11 column(s) used" in text and "needs your answer" not in text
        assert "No problems found" in text or "0 error(s) and" in text
        # the step stays open after an Apply made in it: the profile's download is in view
        assert page.get_by_role("button", name="Download mapping profile (YAML)").is_visible()

        with page.expect_download() as download_info:
            page.get_by_role("button", name="Download mapping profile (YAML)").click()
        download = download_info.value
        assert download.suggested_filename == "medpath_mapping_ekspor_maret.yaml"
        profile_path = tmp_path / download.suggested_filename
        profile_path.write_bytes(download.path().read_bytes())
        profile = profile_of(profile_path.read_bytes())
        assert profile.columns["Usia (tahun)"] == "age" and profile.values["hiv"] == {"Tidak Reaktif": "negative"}
        assert funnel(page) == ("4", "3", "3")

        # next month's export in the same session: the profile of the previous upload is asked about
        open_page(page, "Data")
        page.locator(UPLOADER).first.set_input_files(str(next_month))
        page.wait_for_selector("text=was in use for the previous upload")
        wait_for_app(page)
        page.get_by_role("button", name="Keep the profile").click()
        page.wait_for_selector("text=Mapping profile in use:", state="attached")  # in the step, closed: no question
        wait_for_app(page)
        assert funnel(page) == ("5", "4", "4")

        # a fresh session next month: the export with the downloaded profile
        page.reload()
        wait_for_app(page)
        open_page(page, "Data")
        page.locator(UPLOADER).first.set_input_files(str(next_month))
        page.wait_for_selector("text=needs your answer")
        wait_for_app(page)
        page.locator(UPLOADER).nth(1).set_input_files(str(profile_path))
        page.wait_for_selector(f"text=Mapping profile in use: {profile_path.name}", state="attached")
        wait_for_app(page)
        assert "needs your answer" not in main_text(page)
        page.locator('[data-testid="stExpander"] summary', has_text="Mapping: which column").click()
        assert "4" in row_shows(page, "VAS pain: n pairs", "4").split()
        assert funnel(page) == ("5", "4", "4")
        context.close()
