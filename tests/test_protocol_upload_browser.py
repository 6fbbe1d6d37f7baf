"""A protocol file uploaded in the app, in a real browser (issue 26): on the Data page, "Your own protocol" →
"Upload a protocol file" takes a .yaml file through the real file input; the protocol is chosen at once for this
session, every page runs (the protocol has no sample: "No study yet"), and a broken file is refused with its line
while the session goes on.

Needs /usr/bin/chromium (``scripts/test.sh`` installs it); skipped, saying so, where it is absent.
"""

from __future__ import annotations

import contextlib

import pytest
from browser_support import CHROMIUM, VIEWPORT, chromium, open_page, streamlit_url, wait_for_app  # noqa: F401 (fixture)

from medpath.protocol import bundled_folder

pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists(), reason=f"{CHROMIUM} not found: install Debian's chromium (scripts/test.sh does)"
)

MAIN = '[data-testid="stMainBlockContainer"]'
EXCEPTION = '[data-testid="stException"]'


def _own_protocol() -> str:
    text = (bundled_folder() / "demo_knee_prp.yaml").read_text(encoding="utf-8")
    lines = [line for line in text.splitlines() if not line.startswith(("text:", "sample:", "id:"))]
    return "id: OURS-1\n" + "\n".join(lines) + "\n"


def _text(locator) -> str:
    """The text shown, in single spaces, without the word joiner ``literal`` puts after a colon."""
    return " ".join(locator.inner_text().replace("\u2060", "").split())


def _upload_protocol(page, path, then: str) -> None:
    """Open "Your own protocol", turn on its uploader (when off), upload ``path`` and wait for the text ``then``. The
    toggle's state decides, not whether the uploader is visible at that instant: after a refusal the expander opens
    and the uploader is made again, and a click on a toggle seen off while the page redraws turned it off. A click
    that did not take (a clean-clone CI run waited 30 s for an uploader that never came) is made again, twice at
    most."""
    from playwright.sync_api import expect

    toggle = page.locator('[data-testid="stCheckbox"]', has_text="Upload a protocol file")
    for _ in range(3):  # a click made while the page was still redrawing can be lost: click until the toggle is on
        if toggle.locator("input").is_checked():
            break
        if not toggle.is_visible():
            page.get_by_text("Your own protocol").click()
            toggle.wait_for(state="visible")
        toggle.get_by_text("Upload a protocol file").click()
        with contextlib.suppress(AssertionError):  # not on within 5 s: the next round clicks again
            expect(toggle.locator("input")).to_be_checked(timeout=5_000)
    wait_for_app(page)
    uploader = page.locator('[data-testid="stFileUploader"]', has_text="Protocol file")
    uploader.locator("input[type=file]").set_input_files(str(path))
    page.get_by_text(then).first.wait_for()
    wait_for_app(page)


def test_a_protocol_uploaded_in_the_app_is_used_for_the_session_and_a_broken_one_is_refused(streamlit_url, tmp_path):
    from playwright.sync_api import sync_playwright

    good, broken = tmp_path / "ours.yaml", tmp_path / "draft.yaml"
    good.write_text(_own_protocol(), encoding="utf-8")
    broken.write_text("id: DRAFT\ntitle: Phase 2: pilot\n", encoding="utf-8")
    with sync_playwright() as p, chromium(p) as browser:
        page = browser.new_context(viewport=VIEWPORT).new_page()
        page.set_default_timeout(30_000)
        page.goto(streamlit_url)
        wait_for_app(page)
        open_page(page, "Data")
        _upload_protocol(page, broken, then="This protocol file cannot be used")
        main = page.locator(MAIN)
        assert "draft.yaml, line 2: not valid YAML: a value holds ': '" in _text(main)
        _upload_protocol(page, good, then="No study yet")
        assert "No study yet: protocol OURS-1 has no sample study" in _text(main)
        assert "OURS-1 — " in page.locator('[data-testid="stSelectbox"]', has_text="Trial protocol").inner_html()
        for title in ("Overview", "Eligibility", "Trajectories", "Outcomes", "Safety"):
            open_page(page, title, heading="MedPath — OURS-1" if title == "Overview" else title)
            assert page.locator(EXCEPTION).count() == 0, title
            assert "protocol OURS-1 has no sample study" in _text(main), title
