"""The HTML report opened from disk in headless Chromium (Debian's, via Playwright): the packed plotly.js
is unpacked in the page and every chart is drawn, offline, without a script error.

Needs /usr/bin/chromium (``scripts/test.sh`` installs it); skipped, saying so, where it is absent.
"""

from __future__ import annotations

import pytest

from browser_support import CHROMIUM, chromium
from medpath.report import build_report

pytestmark = pytest.mark.skipif(not CHROMIUM.exists(),
                                reason=f"{CHROMIUM} not found: install Debian's chromium (scripts/test.sh does)")


def test_every_chart_of_the_report_is_drawn_offline(sample_study, tmp_path):
    from playwright.sync_api import sync_playwright

    path = tmp_path / "report.html"
    path.write_text(build_report(sample_study), encoding="utf-8")
    with sync_playwright() as playwright, chromium(playwright) as browser:
        context = browser.new_context(offline=True)
        page = context.new_page()
        errors, requests = [], []
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
        page.on("request", lambda request: requests.append(request.url))
        page.goto(path.as_uri())
        page.wait_for_function("document.querySelectorAll('.plotly-graph-div .main-svg').length >= 6",
                               timeout=60_000)
        # per chart: traces drawn on screen, and traces in the chart's embedded figure JSON
        drawn = page.evaluate("""[...document.querySelectorAll('script.chart-data')].map(h => [h.dataset.chart,
            document.getElementById(h.dataset.chart).querySelectorAll('.scatterlayer .trace, .funnellayer .trace').length,
            JSON.parse(h.textContent).data.length])""")
        context.close()
    assert errors == []
    assert requests == [path.as_uri()]  # nothing else is fetched
    assert [chart for chart, _, _ in drawn] == ["chart-funnel", "chart-spaghetti-bmd-tscore", "chart-spaghetti-vas",
                                                "chart-small-multiples", "chart-before-after-bmd-tscore",
                                                "chart-before-after-vas"]
    assert all(on_screen == in_json > 0 for _, on_screen, in_json in drawn), drawn
