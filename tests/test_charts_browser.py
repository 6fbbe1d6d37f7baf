"""Issue 14 ("Meeting-ready") in a real browser: every plotly chart on every page is named by a data-table expander
after it, a chart's "Download SVG" saves its static SVG with the provenance footer, named like its PNG, and a shared
address (``?followup=3&alternative=greater``) opens the same view and stays in the address from page to page.

Needs /usr/bin/chromium (``scripts/test.sh`` installs it); skipped, saying so, where it is absent.
"""

from __future__ import annotations

import html
import re

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

from medpath.analysis import Settings, analyse
from medpath.export import chart_filename, provenance
from medpath.study import load_sample_study
from medpath.summary import key_numbers

pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists(), reason=f"{CHROMIUM} not found: install Debian's chromium (scripts/test.sh does)"
)

DATA_LABEL = "Data of this chart (table): "

#: For each plotly chart of the page, in document order: its title as plotly draws it (its lines, wrapped to the
#: export width, joined by spaces) and the label of the first expander after it (textContent: charts and labels in a
#: tab not shown count too).
CHARTS_AND_LABELS = """() => {
  const all = [...document.querySelectorAll(
    '[data-testid="stMainBlockContainer"] [data-testid="stPlotlyChart"], ' +
    '[data-testid="stMainBlockContainer"] [data-testid="stExpander"]')];
  const text = (title) => {
    const lines = [...title.querySelectorAll('tspan.line')];
    return lines.length ? lines.map(line => line.textContent).join(' ') : title.textContent;
  };
  return all.flatMap((element, i) => {
    if (element.getAttribute('data-testid') !== 'stPlotlyChart') return [];
    const title = element.querySelector('.gtitle');
    const next = all.slice(i + 1).find(e => e.getAttribute('data-testid') === 'stExpander');
    const summary = next && next.querySelector('summary');
    return [[title ? text(title) : '', summary ? summary.textContent : '']];
  });
}"""


def _clean(text: str) -> str:
    """Text as read: plotly's line breaks (zero-width spaces between its lines) as spaces, word joiners out."""
    text = text.replace("\u200b", " ").replace("\u2060", "").replace("keyboard_arrow_right", "")
    return " ".join(text.split())


def _context(browser, width: int = VIEWPORT["width"]):
    context = browser.new_context(viewport={"width": width, "height": 900}, accept_downloads=True)
    context.set_default_timeout(30_000)
    return context


def test_every_chart_on_every_page_has_a_data_table_naming_it(streamlit_url):
    from playwright.sync_api import sync_playwright

    seen = {}
    with sync_playwright() as p, chromium(p) as browser:
        context = _context(browser)
        page = context.new_page()
        page.goto(streamlit_url)
        wait_for_app(page)
        for title in PAGES:
            if title != "Overview":
                open_page(page, title)
            if title != "Data":  # every other page has a chart: wait for the first (the Overview's come after its
                page.wait_for_selector('[data-testid="stPlotlyChart"]')  # first paint on a busy machine)
            wait_for_charts(page)
            pairs = page.evaluate(CHARTS_AND_LABELS)
            seen[title] = len(pairs)
            for chart_title, label in pairs:
                chart_title, label = _clean(chart_title), _clean(label)
                assert chart_title, f"{title}: a chart without a title"
                assert label == DATA_LABEL + chart_title, f"{title}: chart {chart_title!r} is followed by {label!r}"
            captions = _clean(page.locator('[data-testid="stMainBlockContainer"]').inner_text())
            for chart_title, _ in pairs:  # the visible name (the tab not shown excepted)
                assert f"Chart: {_clean(chart_title)}" in captions or title == "Eligibility"
        context.close()
    assert seen["Data"] == 0
    assert all(n >= 1 for title, n in seen.items() if title != "Data"), seen
    assert seen["Eligibility"] == 2  # the CONSORT diagram and the funnel (second tab)


def _svg_button_beside(page, chart_title: str):
    """The "Download SVG" button in the row of the caption that names ``chart_title`` (the innermost row that holds
    that caption and one button: the Overview's two charts stand in columns of an outer row). The caption joins
    the title's colon to its word (U+2060), so a title is matched up to its colon."""
    rows = page.locator('[data-testid="stHorizontalBlock"]').filter(has_text=f"Chart: {chart_title}")
    return rows.last.get_by_role("button", name="Download SVG")


def test_download_svg_saves_the_charts_static_svg_with_its_footer(streamlit_url):
    from playwright.sync_api import sync_playwright

    study = load_sample_study()
    with sync_playwright() as p, chromium(p) as browser:
        context = _context(browser)
        page = context.new_page()
        page.goto(streamlit_url)
        wait_for_app(page)
        wait_for_charts(page)
        wait_for_app(page)
        with page.expect_download() as download_info:
            _svg_button_beside(page, "Spine BMD T-score").click()
        download = download_info.value
        assert download.suggested_filename == f"{chart_filename(study, 'bmd_tscore_before_after_overview')}.svg"
        svg = download.path().read_text(encoding="utf-8")
        assert svg.lstrip().startswith("<svg") and 'role="img"' in svg
        assert "Spine BMD T-score: baseline and month 6" in svg
        for part in provenance(study).split(" · "):  # the footer: trial, file, date, SYNTHETIC
            assert part in html.unescape(svg), part

        # The CONSORT diagram's SVG is its own vector drawing (boxes and arrows), named like its PNG.
        open_page(page, "Eligibility")
        with page.expect_download() as download_info:
            page.get_by_role("button", name="Download SVG").first.click()
        download = download_info.value
        assert download.suggested_filename == f"{chart_filename(study, 'consort_flow')}.svg"
        assert "Assessed for eligibility" in download.path().read_text(encoding="utf-8")
        context.close()


def test_a_shared_address_opens_the_same_view(streamlit_url):
    from playwright.sync_api import sync_playwright

    numbers = key_numbers(analyse(load_sample_study(), Settings(followup_month=3.0, alternative="greater")))
    with sync_playwright() as p, chromium(p) as browser:
        context = _context(browser)
        page = context.new_page()
        page.goto(f"{streamlit_url}/?followup=3&alternative=greater")
        wait_for_app(page)
        page.wait_for_selector("text=Primary results")
        text = _clean(page.locator('[data-testid="stMainBlockContainer"]').inner_text())
        for sentence in numbers.sentences.values():
            assert _clean(sentence) in text
        assert "analysed, month 3" in text  # the participant flow follows it too

        open_page(page, "Outcomes")  # the page changes, the view and the address stay
        assert re.search(r"[?&]followup=3(&|$)", page.url) and "alternative=greater" in page.url
        assert page.get_by_role("combobox", name="Direction tested").input_value() == "Increase only (one-sided)"
        assert page.get_by_role("combobox", name="Compare baseline with").input_value() == "month 3"

        page.reload()  # a refreshed page shows the same view
        wait_for_app(page)
        assert page.get_by_role("combobox", name="Direction tested").input_value() == "Increase only (one-sided)"
        assert "followup=3" in page.url

        page.goto(f"{streamlit_url}/?followup=99")  # a bad value: ignored, said in a caption, left out of the address
        wait_for_app(page)
        page.wait_for_selector("text=The page address asked for followup")
        assert "followup" not in page.url
        context.close()


# --- the trajectory charts of 1 to 30 patients, drawn by plotly.js as the camera button saves them --------------


@pytest.fixture(scope="module")
def plotly_js_page():
    from chart_gallery import plotly_page

    with plotly_page() as page:
        yield page


def _overlap(a: dict, b: dict, tolerance: float = 1.0) -> bool:
    return min(a["right"], b["right"]) - max(a["left"], b["left"]) > tolerance and (
        min(a["bottom"], b["bottom"]) - max(a["top"], b["top"]) > tolerance
    )


@pytest.mark.parametrize("n", [1, 5, 9, 30])
def test_trajectory_charts_of_one_to_thirty_patients_have_no_cut_or_overlapping_text(plotly_js_page, n):
    """Long ids ("UCMSC-001"), tied VAS end values, the WHO class labels, wrapped titles: every text plotly draws
    (titles, axis titles, tick labels, patient and class labels, legend, footer) inside the picture, none on
    another."""
    from chart_gallery import draw, figures

    for name, fig in figures(n).items():
        drawn = draw(plotly_js_page, fig)
        texts = drawn["texts"]
        assert any(t["kind"] == "gtitle" for t in texts), name
        for t in texts:
            inside = (
                t["left"] >= 0 and t["top"] >= 0 and t["right"] <= drawn["width"] and t["bottom"] <= drawn["height"]
            )
            assert inside, (name, t)
        for i, a in enumerate(texts):
            for b in texts[i + 1 :]:
                assert not _overlap(a, b), (name, a, b)
