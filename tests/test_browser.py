"""The main flow in a real browser: ``streamlit run dashboard.py`` on a free port, driven through Debian's
headless Chromium with Playwright. A workbook goes in through the real file input, every page is opened
from the sidebar, the numbers on screen are the core's, no page shows an exception box, a chart's PNG and
the HTML report download, and each page is screenshotted (into pytest's tmp_path).

Needs /usr/bin/chromium (``scripts/test.sh`` installs it); skipped, saying so, where it is absent.
"""

from __future__ import annotations

import time

import pytest
from browser_support import (
    CHROMIUM,
    PAGES,
    VIEWPORT,
    chromium,
    full_page_screenshot,
    metric_value,
    open_page,
    streamlit_url,  # noqa: F401 - a pytest fixture, used by name
    wait_for_app,
    wait_for_charts,
)
from test_pages import trial_workbook
from workbooks import study_bytes

from medpath.analysis import analyse
from medpath.export import chart_filename
from medpath.outcomes import headline, primary_analysis
from medpath.protocol import default_protocol
from medpath.study import load_study
from medpath.summary import key_numbers
from medpath.wording import plain_sentence

pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists(), reason=f"{CHROMIUM} not found: install Debian's chromium (scripts/test.sh does)"
)

EXCEPTION = '[data-testid="stException"]'
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def main_text(page) -> str:
    return page.locator('[data-testid="stMainBlockContainer"]').inner_text()


def assert_no_exception(page, where: str) -> None:
    assert page.locator(EXCEPTION).count() == 0, (
        f"exception box on {where}: {page.locator(EXCEPTION).first.inner_text()}"
    )


def test_upload_and_walk_every_page(streamlit_url, tmp_path):
    from playwright.sync_api import sync_playwright

    started = time.monotonic()
    workbook = tmp_path / "trial.xlsx"
    workbook.write_bytes(trial_workbook())
    study = load_study([(workbook.name, workbook.read_bytes())], protocol=default_protocol())
    numbers = key_numbers(analyse(study))

    with sync_playwright() as p, chromium(p) as browser:
        context = browser.new_context(viewport=VIEWPORT, accept_downloads=True)
        page = context.new_page()
        page.set_default_timeout(30_000)
        page.goto(streamlit_url)
        page.wait_for_selector("text=Primary results")
        wait_for_app(page)
        assert_no_exception(page, "the sample's Overview")
        assert metric_value(page, "Enrolled") == "5"

        # Upload through the real file input of the Data page.
        open_page(page, "Data")
        page.set_input_files('[data-testid="stFileUploader"] input[type=file]', str(workbook))
        page.wait_for_selector('[data-testid="stAlertContentError"]:has-text("1 error(s)")')
        wait_for_app(page)
        assert "Data: trial.xlsx" in main_text(page)
        with page.expect_download() as download_info:
            page.get_by_role("button", name="Download findings (CSV)").click()
        findings = download_info.value.path().read_text(encoding="utf-8-sig")
        assert "trial.xlsx,visits,7,vas,11" in findings.replace(".0,", ",")

        for title, name in PAGES.items():
            open_page(page, title, "MedPath" if title == "Overview" else title)
            wait_for_charts(page)
            assert_no_exception(page, title)
            text = main_text(page)
            assert "Synthetic sample" not in text, f"{title} still shows the sample"
            if title == "Overview":
                assert metric_value(page, "Screened") == str(numbers.screened)
                assert metric_value(page, "Enrolled") == str(numbers.enrolled)
                assert metric_value(page, "Completed") == str(numbers.completed)
                assert metric_value(page, "Errors") == "1"
            if title == "Outcomes":  # the plain sentence up front, the statistician's line one click away
                results = primary_analysis(study.visits, lost=study.left_out_text, protocol=study.protocol)
                assert "P3 month 6 left out (11)" in results["vas"].left_out  # said beside the VAS result
                for comparison in results.values():
                    assert plain_sentence(comparison) in text
                    assert headline(comparison) not in text
                page.get_by_text("Statistical details").first.click()
                page.wait_for_timeout(300)
                assert headline(results["bmd_tscore"]) in main_text(page)
            if title == "Eligibility":
                assert "Assessed for eligibility" in text or page.locator("text=Assessed for eligibility").count()
            if title == "Secondary outcomes":  # the workbook has no ROM, QoL or BMD g/cm²: the page says so
                assert "No secondary outcome" in text
            if title == "Safety":
                assert "No adverse-event sheet was supplied" in text
            full_page_screenshot(page, tmp_path / f"{name}.png")
            assert (tmp_path / f"{name}.png").read_bytes().startswith(PNG_MAGIC)

        # On the Outcomes page: a chart's modebar PNG (2x, named study_chart_date) and the HTML report.
        open_page(page, "Outcomes")
        wait_for_charts(page)
        chart = page.locator('[data-testid="stPlotlyChart"]').first
        chart.hover()
        with page.expect_download() as download_info:
            chart.locator('.modebar-btn[data-title="Download plot as a png" i]').click()
        png = download_info.value
        assert png.suggested_filename == f"{chart_filename(study, 'bmd_tscore_before_after')}.png"
        assert png.path().read_bytes().startswith(PNG_MAGIC)

        with page.expect_download() as download_info:
            page.get_by_role("button", name="Download report (HTML)").click()
        report = download_info.value
        assert report.suggested_filename.endswith(".html")
        html = report.path().read_text(encoding="utf-8")
        assert "<html" in html.lower() and "trial.xlsx" in html

        # A corrected workbook uploaded after the first one replaces it (issue 11: it used to be added, its
        # rows rejected as duplicates, and the Overview kept the first file's numbers).
        corrected = tmp_path / "corrected.xlsx"
        corrected.write_bytes(study_bytes("C", n=4))
        open_page(page, "Data")
        page.set_input_files('[data-testid="stFileUploader"] input[type=file]', str(corrected))
        page.wait_for_selector("text=No problems found")
        wait_for_app(page)
        assert "Current study: corrected.xlsx" in main_text(page)
        open_page(page, "Overview", "MedPath")
        assert metric_value(page, "Enrolled") == "4"
        assert "trial.xlsx" not in main_text(page)
        context.close()
    print(f"browser flow: {time.monotonic() - started:.1f} s")


def _png_size(data: bytes) -> tuple[int, int]:
    """Width and height from a PNG's IHDR chunk (bytes 16-24, big-endian)."""
    assert data.startswith(PNG_MAGIC)
    return int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")


@pytest.mark.browser
def test_chart_png_is_1600_by_900_whatever_the_window(streamlit_url):
    """The modebar's camera saves one fixed 16:9 size from a wide and from a phone-narrow window (issue 14:
    it used to follow the window, 716 x 960 from a narrow one, title cut)."""
    from playwright.sync_api import sync_playwright

    sizes = {}
    with sync_playwright() as p, chromium(p) as browser:
        for width in (1280, 390):
            context = browser.new_context(viewport={"width": width, "height": 900}, accept_downloads=True)
            page = context.new_page()
            page.set_default_timeout(30_000)
            page.goto(streamlit_url)
            wait_for_app(page)
            wait_for_charts(page)
            chart = page.locator('[data-testid="stPlotlyChart"]').first
            chart.scroll_into_view_if_needed()
            chart.hover()
            with page.expect_download() as download_info:
                chart.locator('.modebar-btn[data-title="Download plot as a png" i]').click()
            sizes[width] = _png_size(download_info.value.path().read_bytes())
            overflow = page.evaluate("""() => [...document.querySelectorAll('[data-testid="stMainBlockContainer"] > div *')]
                .filter(e => !e.closest('svg') && e.getBoundingClientRect().right > window.innerWidth + 1).length""")
            assert overflow == 0, f"{overflow} element(s) wider than the {width} px window"
            context.close()
    assert sizes == {1280: (1600, 900), 390: (1600, 900)}
