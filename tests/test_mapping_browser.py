"""The mapping step in a real browser (issue 12, "Done when"): an export whose headers and values MedPath does not
know ("No. Responden", "Usia (tahun)", "Masuk Penelitian (Ya/Tidak)", "Pr"/"Lk", "Tidak Reaktif", "Lengkap") is
mapped on the Data page, the profile is downloaded, the page is reloaded (the session and its files are gone), the
workbook is uploaded again with the profile, and every page shows the same numbers.

Needs /usr/bin/chromium; skipped, saying so, where it is absent. A screenshot of the Data page with the mapping step
open is saved in pytest's tmp_path (``MEDPATH_SCREENSHOTS=DIR`` saves it there too).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from browser_support import (  # noqa: F401 (streamlit_url is a fixture)
    CHROMIUM,
    VIEWPORT,
    chromium,
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


def main_text(page) -> str:
    return page.locator('[data-testid="stMainBlockContainer"]').inner_text()


def choose(page, label: str, option: str) -> None:
    """Pick ``option`` in the select box whose label is ``label``."""
    box = page.get_by_role("combobox", name=label, exact=True)
    box.scroll_into_view_if_needed()
    box.click()
    page.get_by_role("option", name=option, exact=True).click()


def numbers_on_every_page(page) -> dict[str, str]:
    shown = {}
    for title in ("Overview", "Outcomes"):
        open_page(page, title, "MedPath" if title == "Overview" else title)
        shown[title] = main_text(page)
    return shown


def test_map_download_reload_and_upload_with_the_profile(streamlit_url, tmp_path):
    from playwright.sync_api import sync_playwright

    workbook = tmp_path / "ekspor_bulan_ini.xlsx"
    workbook.write_bytes(xlsx_bytes({"Skrining": SCREENING, "Kunjungan": VISITS}))
    assert load_study(
        [(workbook.name, workbook.read_bytes())], protocol=default_protocol()
    ).errors  # unknown to MedPath without a mapping

    with sync_playwright() as p, chromium(p) as browser:
        context = browser.new_context(viewport={"width": VIEWPORT["width"], "height": 2000}, accept_downloads=True)
        page = context.new_page()
        page.set_default_timeout(30_000)
        page.goto(streamlit_url)
        wait_for_app(page)
        open_page(page, "Data")
        page.locator(UPLOADER).first.set_input_files(str(workbook))
        page.wait_for_selector("text=needs your answer")
        wait_for_app(page)
        screenshot_dir = Path(os.environ.get("MEDPATH_SCREENSHOTS", tmp_path))
        screenshot_dir.mkdir(parents=True, exist_ok=True)
        age = page.get_by_role("combobox", name="age (years)", exact=True)
        assert age.input_value() == "Skrining › Usia (tahun)  (e.g. 61, 58, 66)"  # the best guess, pre-filled
        page.get_by_role("combobox", name="Sheet 'Kunjungan'", exact=True).wait_for()  # every select box drawn
        page.get_by_text("Mapping: which column is which field").scroll_into_view_if_needed()
        page.wait_for_timeout(800)
        page.screenshot(path=str(screenshot_dir / "data_mapping_step.png"))  # the tall window shows the whole step

        for label, option in (
            ("sex: 'Pr'", "F"),
            ("sex: 'Lk'", "M"),
            ("HIV test: 'Tidak Reaktif'", "negative"),
            ("informed consent: 'Lengkap'", "signed"),
        ):
            choose(page, label, option)
        page.get_by_role("button", name="Apply").click()
        page.wait_for_selector("text=0 error(s)")
        wait_for_app(page)
        text = main_text(page)
        assert "11 of 11 column(s) used" in text and "needs your answer" not in text
        page.get_by_text("Mapping: which column is which field").click()  # the step stays available, closed

        with page.expect_download() as download_info:
            page.get_by_role("button", name="Download mapping profile (YAML)").click()
        download = download_info.value
        assert download.suggested_filename == "medpath_mapping_ekspor_bulan_ini.yaml"
        profile_path = tmp_path / download.suggested_filename
        profile_path.write_bytes(download.path().read_bytes())
        profile = profile_of(profile_path.read_bytes())
        assert profile.columns["Usia (tahun)"] == "age" and profile.values["hiv"] == {"Tidak Reaktif": "negative"}
        first = numbers_on_every_page(page)

        # next month: a fresh page (the session and its files are gone), the export uploaded with the profile
        page.reload()
        wait_for_app(page)
        open_page(page, "Data")
        page.locator(UPLOADER).first.set_input_files(str(workbook))
        page.wait_for_selector("text=needs your answer")
        wait_for_app(page)
        page.locator(UPLOADER).nth(1).set_input_files(str(profile_path))
        page.wait_for_selector("text=0 error(s)")
        wait_for_app(page)
        assert "needs your answer" not in main_text(page)
        again = numbers_on_every_page(page)
        assert again == first
        assert "n = 3" in first["Outcomes"] or "3 pairs" in first["Outcomes"]
        context.close()
