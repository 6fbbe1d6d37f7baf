"""The HTML report opened from disk in headless Chromium (Debian's, via Playwright): the packed plotly.js
is unpacked in the page and every chart is drawn, offline, without a script error.

Needs /usr/bin/chromium (``scripts/test.sh`` installs it); skipped, saying so, where it is absent.
"""

from __future__ import annotations

import re
import shutil
import subprocess

import pytest
from browser_support import CHROMIUM, chromium
from conftest import SCREENING_HEADER, VISITS_HEADER, screening_row, xlsx_bytes

from medpath.analysis import analyse
from medpath.protocol import default_protocol
from medpath.report import build_report
from medpath.study import load_study

pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists(), reason=f"{CHROMIUM} not found: install Debian's chromium (scripts/test.sh does)"
)


def test_every_chart_of_the_report_is_drawn_offline(sample_study, tmp_path):
    from playwright.sync_api import sync_playwright

    path = tmp_path / "report.html"
    path.write_text(build_report(analyse(sample_study)), encoding="utf-8")
    with sync_playwright() as playwright, chromium(playwright) as browser:
        context = browser.new_context(offline=True)
        page = context.new_page()
        errors, requests = [], []
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
        page.on("request", lambda request: requests.append(request.url))
        page.goto(path.as_uri())
        page.wait_for_function("document.querySelectorAll('.plotly-graph-div .main-svg').length >= 7", timeout=60_000)
        # per chart: traces drawn on screen, and traces in the chart's embedded figure JSON
        drawn = (
            page.evaluate("""[...document.querySelectorAll('script.chart-data')].map(h => [h.dataset.chart,
            document.getElementById(h.dataset.chart).querySelectorAll('.scatterlayer .trace, .funnellayer .trace, .barlayer .trace').length,
            JSON.parse(h.textContent).data.filter(t => (t.y || t.x || [1]).length > 0).length])""")
        )  # empty traces draw nothing
        context.close()
    assert errors == []
    assert requests == [path.as_uri()]  # nothing else is fetched
    assert [chart for chart, _, _ in drawn] == [
        "chart-funnel",
        "chart-spaghetti-bmd-tscore",
        "chart-spaghetti-vas",
        "chart-small-multiples",
        "chart-before-after-bmd-tscore",
        "chart-before-after-vas",
        "chart-waterfall-bmd-g-cm2",
    ]
    assert all(on_screen == in_json > 0 for _, on_screen, in_json in drawn), drawn


def test_report_without_scripts_shows_the_static_charts_and_prints_within_the_page(sample_study, tmp_path):
    """Mail previews, Teams and SharePoint block scripts: every chart is then its static SVG copy. On paper
    (print media, A4) no figure is wider than the page, and the PDF is made."""
    from playwright.sync_api import sync_playwright

    path = tmp_path / "report.html"
    path.write_text(build_report(analyse(sample_study)), encoding="utf-8")
    with sync_playwright() as playwright, chromium(playwright) as browser:
        context = browser.new_context(java_script_enabled=False, viewport={"width": 390, "height": 844})
        page = context.new_page()
        page.goto(path.as_uri())
        shown = page.evaluate("""[...document.querySelectorAll('figure.chart')].map(f => {
            const svg = f.querySelector('.static-chart svg'), box = svg.getBoundingClientRect();
            return [svg.getAttribute('aria-label'), Math.round(box.width), Math.round(box.height),
                    svg.querySelectorAll('polyline, rect, circle, polygon, path').length]; })""")
        assert len(shown) == 7
        for label, width, height, marks in shown:
            assert label and 0 < width <= 390 and height > 100 and marks > 5, (label, width, height, marks)
        page.screenshot(path=str(tmp_path / "no-script-phone.png"), full_page=True)

        page.emulate_media(media="print")
        page.set_viewport_size({"width": 794, "height": 1123})  # A4 at 96 dpi
        widths = page.evaluate("""[...document.querySelectorAll('figure.chart, figure.chart svg, table')]
            .map(e => Math.ceil(e.getBoundingClientRect().right))""")
        assert widths and max(widths) <= 794
        pdf = page.pdf(format="A4", print_background=True)
        assert pdf.startswith(b"%PDF")
        context.close()


PDFTOTEXT = shutil.which("pdftotext")
#: A4 in CSS pixels (96 per inch) less the report's @page margins: the box every figure must fit in.
A4_PRINTABLE = {"width": round((210 - 2 * 14) / 25.4 * 96), "height": round((297 - 2 * 16) / 25.4 * 96)}


def _nine_patients():
    """Nine screened, enrolled patients P1-P9 with baseline, month-3 and month-6 visits (different changes), read
    from a workbook made in memory: small multiples of two blocks of panels, tables of nine rows."""
    screening = [SCREENING_HEADER, *(screening_row(f"P{i}") for i in range(1, 10))]
    visits: list[list] = [list(VISITS_HEADER)]
    for i in range(1, 10):
        visits += [
            [f"P{i}", "baseline", -3.0 - i / 10, 7],
            [f"P{i}", "month 3", -2.9 - i / 10, 6],
            [f"P{i}", "month 6", -3.1 + i / 20, 7 - i % 4],
        ]
    return load_study(
        [("nine.xlsx", xlsx_bytes({"screening": screening, "visits": visits}))], protocol=default_protocol()
    )


@pytest.mark.skipif(PDFTOTEXT is None, reason="pdftotext not found: install poppler-utils")
def test_a_nine_patient_report_prints_to_a4_without_a_blank_page_or_a_split_chart(tmp_path):
    """Printed to A4 (Chromium's own PDF printer): every page carries text, each figure fits on one page (so none is
    split), and the small multiples -- nine patients in two blocks of panels -- are on one page."""
    from playwright.sync_api import sync_playwright

    study = _nine_patients()
    assert len(study.patient_ids) == 9 and not study.errors
    path = tmp_path / "report.html"
    path.write_text(build_report(analyse(study)), encoding="utf-8")
    with sync_playwright() as playwright, chromium(playwright) as browser:
        page = browser.new_page(java_script_enabled=False)  # print shows the static charts either way; faster
        page.goto(path.as_uri())
        page.emulate_media(media="print")
        page.set_viewport_size(A4_PRINTABLE)
        figures = page.evaluate("""[...document.querySelectorAll('figure')].map(f => {
            const box = f.getBoundingClientRect(); return [f.getAttribute('aria-label'), box.width, box.height]; })""")
        pdf = page.pdf(format="A4")
    assert len(figures) == 7  # the CONSORT flow and six charts (funnel, 2 spaghetti, small multiples, 2 before-after)
    for label, width, height in figures:
        assert width <= A4_PRINTABLE["width"] and height <= A4_PRINTABLE["height"], (label, width, height)

    (tmp_path / "report.pdf").write_bytes(pdf)
    text = subprocess.run(
        [PDFTOTEXT, "-layout", str(tmp_path / "report.pdf"), "-"], capture_output=True, check=True, text=True
    ).stdout
    pages = text.split("\f")[:-1]  # pdftotext ends every page with a form feed
    assert len(pages) == len(re.findall(rb"/Type\s*/Page\b", pdf)) > 5
    assert [n for n, words in enumerate(pages, start=1) if not words.strip()] == []  # no blank page
    (small_multiples,) = [words for words in pages if "Primary outcomes by patient — n = 9" in words]
    assert all(f"P{i}" in small_multiples for i in range(1, 10))  # both blocks of panels on the same page
