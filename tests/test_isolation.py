"""Session isolation in a real browser: one ``streamlit run dashboard.py`` server, several independent browser
contexts (separate cookies and storage, so separate Streamlit sessions). Each of two contexts uploads a
different workbook through the real file input of the Data page; each must then see only its own study on the
Overview and Data pages and nothing of the other's. A third, fresh context must see the synthetic sample, and
a reload (a new Streamlit session) must drop the upload, since uploads live only in session memory.

Needs /usr/bin/chromium (``scripts/test.sh`` installs it); skipped, saying so, where it is absent.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from browser_support import CHROMIUM, VIEWPORT, chromium, metric_value, open_page, streamlit_url, wait_for_app  # noqa: F401 (streamlit_url is a fixture)
from conftest import SCREENING_HEADER, screening_row, visits_rows, xlsx_bytes

from medpath.study import SAMPLE_LABEL

pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists(), reason=f"{CHROMIUM} not found: install Debian's chromium (scripts/test.sh does)"
)

FILE_INPUT = '[data-testid="stFileUploader"] input[type=file]'
MAIN = '[data-testid="stMainBlockContainer"]'
EXCEPTION = '[data-testid="stException"]'
SAMPLE_BANNER = "Synthetic sample study"
SAMPLE_ENROLLED = "5"


def study_workbook(prefix: str, n: int) -> bytes:
    """``n`` screened and enrolled patients ``<prefix>-1..n``, each with a baseline and a month-6 visit."""
    visits = visits_rows(n)
    for row in visits[1:]:
        row[0] = f"{prefix}-{row[0].removeprefix('P')}"
    screening = [SCREENING_HEADER, *(screening_row(f"{prefix}-{i}") for i in range(1, n + 1))]
    return xlsx_bytes({"screening": screening, "visits": visits})


STUDIES = {"alpha": ("ALPHA", 3), "bravo": ("BRAVO", 4)}  # file stem -> (patient-id prefix, n)


def whole_page(page) -> str:
    """Everything the browser holds for this page (HTML, hidden text, the data grids' accessible tables),
    lower-cased: the other study's ids or file name must not appear anywhere in it."""
    return page.content().lower()


GRID_CELLS = (
    "() => [...document.querySelectorAll('[data-testid=stDataFrame] table td')].map(td => td.textContent.trim())"
)


def grid_cells(page, prefix: str) -> set[str]:
    """The dataframe cells on screen starting with ``prefix`` (glide-data-grid mirrors its canvas in an accessible
    table, filled in once the grid has drawn: wait for the first such cell)."""
    page.wait_for_function(f"p => ({GRID_CELLS})().some(t => t.startsWith(p))", arg=prefix)
    return {cell for cell in page.evaluate(GRID_CELLS) if cell.startswith(prefix)}


def assert_no_exception(page, where: str) -> None:
    assert page.locator(EXCEPTION).count() == 0, (
        f"exception box on {where}: {page.locator(EXCEPTION).first.inner_text()}"
    )


def assert_absent(page, others: list[str], where: str) -> None:
    html = whole_page(page)
    for other in others:
        assert other.lower() not in html, f"{where} shows {other!r}, which belongs to another session"


def upload(page, path: Path) -> None:
    open_page(page, "Data")
    page.set_input_files(FILE_INPUT, str(path))
    page.wait_for_selector(f'{MAIN} :text("Data: {path.name}")')
    wait_for_app(page)


def check_own_study(page, stem: str) -> None:
    """This context's Overview and Data pages show study ``stem`` and nothing of any other study or the sample."""
    prefix, n = STUDIES[stem]
    others = [word for other, (other_prefix, _) in STUDIES.items() if other != stem for word in (other, other_prefix)]

    open_page(page, "Overview", "MedPath")
    assert_no_exception(page, f"{stem}'s Overview")
    text = page.locator(MAIN).inner_text()
    assert f"{stem}.xlsx" in text and SAMPLE_BANNER not in text
    assert metric_value(page, "Screened") == str(n)
    assert metric_value(page, "Enrolled") == str(n)
    assert metric_value(page, "Completed") == str(n)
    assert f"n = {n} pairs" in text
    assert_absent(page, others, f"{stem}'s Overview")

    open_page(page, "Data")
    assert_no_exception(page, f"{stem}'s Data page")
    text = page.locator(MAIN).inner_text()
    assert f"Data: {stem}.xlsx" in text and SAMPLE_BANNER not in text
    assert f"{n} candidate(s)" in text
    ids = grid_cells(page, prefix)
    assert ids == {f"{prefix}-{i}" for i in range(1, n + 1)}, f"screening table of {stem}: {ids}"
    assert_absent(page, others, f"{stem}'s Data page")


def check_sample(page, where: str) -> None:
    """The page shows the labelled synthetic sample and nothing of any uploaded study."""
    open_page(page, "Overview", "MedPath")
    assert_no_exception(page, where)
    text = page.locator(MAIN).inner_text()
    assert SAMPLE_BANNER in text and SAMPLE_LABEL in text, f"{where}: no sample banner"
    assert metric_value(page, "Enrolled") == SAMPLE_ENROLLED
    open_page(page, "Data")
    assert page.locator('[data-testid="stFileUploaderFile"]').count() == 0, f"{where}: a file is listed"
    assert page.get_by_role("button", name="Back to the sample study").count() == 0
    assert_absent(page, [word for stem, (prefix, _) in STUDIES.items() for word in (stem, prefix)], where)


def new_session(browser, url: str):
    context = browser.new_context(viewport=VIEWPORT)
    page = context.new_page()
    page.set_default_timeout(30_000)
    page.goto(url)
    page.wait_for_selector("text=Primary results")
    wait_for_app(page)
    return context, page


def test_two_sessions_see_only_their_own_upload(streamlit_url, tmp_path):
    from playwright.sync_api import sync_playwright

    started = time.monotonic()
    paths = {}
    for stem, (prefix, n) in STUDIES.items():
        paths[stem] = tmp_path / f"{stem}.xlsx"
        paths[stem].write_bytes(study_workbook(prefix, n))

    with sync_playwright() as p, chromium(p) as browser:
        (context_a, a), (context_b, b) = new_session(browser, streamlit_url), new_session(browser, streamlit_url)
        # Both start on the sample; A uploads, then B uploads while A's session is alive, then both are checked
        # again, so neither the older nor the newer upload can leak across.
        check_sample(a, "A before any upload")
        upload(a, paths["alpha"])
        check_sample(b, "B after A's upload")
        upload(b, paths["bravo"])
        check_own_study(a, "alpha")
        check_own_study(b, "bravo")
        check_own_study(a, "alpha")

        # A third, fresh context (a new visitor) sees only the sample.
        context_c, c = new_session(browser, streamlit_url)
        check_sample(c, "a fresh context")
        context_c.close()

        # A reload in A's browser context opens a new Streamlit session. Uploads live only in the old session's
        # st.session_state (never on disk, never in a cookie), so the reloaded page is back on the sample;
        # B, untouched, keeps its own study.
        a.reload()  # A was last on the Data page, so the reload lands there
        a.wait_for_selector(f'{MAIN} h1:has-text("Data")')
        wait_for_app(a)
        check_sample(a, "A after a reload")
        check_own_study(b, "bravo")

        context_a.close()
        context_b.close()
    print(f"isolation flow: {time.monotonic() - started:.1f} s")
