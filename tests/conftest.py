"""Shared test set-up: the repository on sys.path, the workbook builders of ``workbooks``, the sample study."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from workbooks import (  # noqa: E402,F401  (re-exported for the tests)
    SCREENING_HEADER,
    VISITS_HEADER,
    csv_bytes,
    screening_row,
    study_bytes,
    visits_rows,
    xlsx_bytes,
)

SAMPLE_XLSX = ROOT / "data" / "sample" / "medpath_sample_study.xlsx"


@pytest.fixture(scope="session")
def sample_study():
    from medpath.study import load_sample_study

    return load_sample_study()
