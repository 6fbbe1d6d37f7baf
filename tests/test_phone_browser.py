"""Every page on a phone (390 px wide, a phone's user agent, touch) in Debian's headless Chromium: nothing runs off the
page's right edge, plotly's toolbar stays off the chart titles until a chart is touched, the charts that need more
room keep it and scroll sideways in their own box, and a status badge wraps instead of being cut short. Each page is
screenshotted into pytest's tmp_path.

Needs /usr/bin/chromium (``scripts/test.sh`` installs it); skipped, saying so, where it is absent.
"""

from __future__ import annotations

import pytest
from browser_support import (
    CHROMIUM,
    PAGES,
    chromium,
    full_page_screenshot,
    streamlit_url,  # noqa: F401 - a pytest fixture, used by name
    wait_for_app,
    wait_for_charts,
)

pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists(), reason=f"{CHROMIUM} not found: install Debian's chromium (scripts/test.sh does)"
)

PHONE = {
    "viewport": {"width": 390, "height": 844},
    "is_mobile": True,
    "has_touch": True,
    "user_agent": "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/17.0 Mobile/15E148 Safari/604.1",
}
#: The plotly charts of each page of the sample (none on the Data page), and the toolbar plotly adds to each.
CHARTS = {"overview": 2, "eligibility": 2, "trajectories": 2, "outcomes": 2, "secondary": 4, "safety": 1}
TOOLBAR = '[data-testid="stPlotlyChart"] .modebar-container'
#: Per page: the keyed containers ("wide-…", pages.session.PAGE_CSS) whose chart keeps its width (px) on a phone.
WIDE = {
    "eligibility": {"wide-consort": 1100},
    "trajectories": {"wide-small-multiples": 720},
    "secondary": {"wide-bmd_g_cm2-waterfall": 720},
    "safety": {"wide-timeline": 720},
}


def test_every_page_fits_a_phone(streamlit_url, tmp_path):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright, chromium(playwright) as browser:
        page = browser.new_context(**PHONE).new_page()
        for name in PAGES.values():
            page.goto(streamlit_url + ("/" if name == "overview" else f"/{name}"))
            wait_for_app(page)
            page.wait_for_function(  # every chart drawn, with the toolbar plotly adds to it
                f"document.querySelectorAll('{TOOLBAR}').length === {CHARTS.get(name, 0)}"
            )
            wait_for_charts(page)
            assert page.evaluate("document.documentElement.scrollWidth") <= 390, name  # nothing off the right edge
            toolbars = page.evaluate(
                f"[...document.querySelectorAll('{TOOLBAR}')].map(m => getComputedStyle(m).opacity)"
            )
            assert set(toolbars) <= {"0"}, name  # shown only while a chart is touched
            for key, width in WIDE.get(name, {}).items():
                box = page.locator(f".st-key-{key}")
                drawn = box.locator('[data-testid="stPlotlyChart"] .main-svg').first.bounding_box()
                assert drawn is not None and drawn["width"] >= width, (key, drawn)  # drawn at its own width ...
                assert box.evaluate("e => e.scrollWidth > e.clientWidth && e.clientWidth <= 390"), key  # ... scrolling
            full_page_screenshot(page, tmp_path / f"phone-{name}.png")
        page.goto(streamlit_url)
        wait_for_app(page)
        badge = page.locator(".stMarkdownBadge", has_text="Data checked").first
        assert "could not be checked — see Eligibility" in badge.inner_text()
        assert badge.evaluate("e => e.scrollWidth <= e.clientWidth && e.getBoundingClientRect().height > 30")  # wraps
