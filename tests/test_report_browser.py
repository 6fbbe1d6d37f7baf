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
        drawn = page.evaluate("[...document.querySelectorAll('.plotly-graph-div')]"
                              ".map(d => [d.id, d.querySelectorAll('.scatterlayer .trace, .funnellayer .trace').length])")
        context.close()
    assert errors == []
    assert requests == [path.as_uri()]  # nothing else is fetched
    assert dict(drawn) == {"chart-funnel": 1, "chart-spaghetti-bmd-tscore": 6, "chart-spaghetti-vas": 6,
                           "chart-small-multiples": 10, "chart-before-after-bmd-tscore": 5,
                           "chart-before-after-vas": 5}
