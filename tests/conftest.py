"""Shared test set-up: the workbook builders of ``workbooks``, the sample study, the ``browser`` marker.

medpath is imported from this checkout: pytest's ``pythonpath`` setting (pyproject.toml) puts the repository,
``tests/`` and ``tests/corpus/`` on ``sys.path``, so no test patches it.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from workbooks import (  # noqa: F401  (re-exported for the tests)
    SCREENING_HEADER,
    VISITS_HEADER,
    csv_bytes,
    screening_row,
    study_bytes,
    visits_rows,
    xlsx_bytes,
)

from medpath.protocol import default_protocol

ROOT = Path(__file__).resolve().parent.parent
SAMPLE_XLSX = Path(str(default_protocol().sample))  # the package data (medpath/sample) on disk
CHROMIUM = Path("/usr/bin/chromium")


@pytest.fixture(scope="session", autouse=True)
def _own_cache_folder(tmp_path_factory):
    """The packed plotly.js a report keeps between processes (``medpath.packed_plotly``) goes to a folder of this
    test run, not to the user's cache (servers started by browser tests inherit it)."""
    os.environ["XDG_CACHE_HOME"] = str(tmp_path_factory.mktemp("cache"))


@pytest.fixture(scope="session")
def sample_study():
    from medpath.study import load_sample_study

    return load_sample_study()


@pytest.fixture(scope="session")
def sample(sample_study):
    """The bundled sample study (the name the slides and Word tables tests use)."""
    return sample_study


@pytest.fixture(scope="session")
def analysis(sample_study):
    """The sample's analysis with the default settings."""
    from medpath.analysis import analyse

    return analyse(sample_study)


def _drives_a_browser(item: pytest.Item) -> bool:
    """A test that serves the dashboard to a real browser (the ``streamlit_url`` fixture), or whose module
    launches Chromium itself (imports browser_support's ``chromium``)."""
    import browser_support

    module = getattr(item, "module", None)
    return "streamlit_url" in getattr(item, "fixturenames", ()) or (
        getattr(module, "chromium", None) is browser_support.chromium
    )


@pytest.hookimpl(tryfirst=True)  # before pytest's own -m selection
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Every browser test is marked ``browser`` and ``slow``, so ``pytest -m "not browser and not slow"`` leaves
    it out."""
    for item in items:
        if _drives_a_browser(item):
            item.add_marker(pytest.mark.browser)
            item.add_marker(pytest.mark.slow)


def pytest_collection_finish(session: pytest.Session) -> None:
    """In CI a selected browser test must run: without Chromium the session stops with an error instead of
    skipping it (elsewhere it is skipped, saying so)."""
    browser_tests = [item for item in session.items if item.get_closest_marker("browser")]
    if browser_tests and os.environ.get("CI") and not CHROMIUM.exists():
        raise pytest.UsageError(
            f"CI is set but {CHROMIUM} is missing: {len(browser_tests)} browser test(s) would "
            "be skipped (scripts/test.sh installs Debian's chromium)"
        )
