"""Shared test helpers: workbooks and CSV files built in memory from rows."""

from __future__ import annotations

import io
import sys
from pathlib import Path

import pytest
from openpyxl import Workbook

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

SAMPLE_XLSX = ROOT / "data" / "sample" / "medpath_sample_study.xlsx"


def xlsx_bytes(sheets: dict[str, list[list[object]]]) -> bytes:
    """An .xlsx workbook whose sheets hold the given rows, row 1 first."""
    workbook = Workbook()
    workbook.remove(workbook.active)
    for title, rows in sheets.items():
        sheet = workbook.create_sheet(title)
        for row in rows:
            sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def csv_bytes(rows: list[list[object]], delimiter: str = ",", encoding: str = "utf-8") -> bytes:
    return "\n".join(delimiter.join("" if v is None else str(v) for v in row) for row in rows).encode(encoding)


SCREENING_HEADER = ["patient_id", "sex", "age", "bmd_tscore", "autoimmune_disease", "osteoporosis_related_disease",
                    "osteoporosis_drugs", "immunosuppressant", "anticoagulant", "corticosteroid",
                    "paralysis_after_surgery", "hbsag", "hiv", "cmv", "rubella", "toxoplasma", "consent", "enrolled"]


def screening_row(pid: str, sex="F", age=60, tscore=-3.0, consent="signed", enrolled="yes", **overrides) -> list:
    values = {c: "no" for c in SCREENING_HEADER[4:11]} | {c: "negative" for c in SCREENING_HEADER[11:16]}
    values |= {"consent": consent, "enrolled": enrolled} | overrides
    return [pid, sex, age, tscore, *(values[c] for c in SCREENING_HEADER[4:])]


VISITS_HEADER = ["patient_id", "visit", "bmd_tscore", "vas"]


def visits_rows(n_patients: int = 3) -> list[list]:
    """Baseline and month-6 rows for patients P1..Pn, header first (Excel rows 2, 3, ... follow)."""
    rows = [VISITS_HEADER]
    for i in range(1, n_patients + 1):
        rows.append([f"P{i}", "baseline", -3.0, 7])
        rows.append([f"P{i}", "month 6", -2.8, 5])
    return rows


@pytest.fixture(scope="session")
def sample_study():
    from medpath.study import load_sample_study

    return load_sample_study()
