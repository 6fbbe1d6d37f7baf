"""Every validation rule, with the exact Excel row the user sees (issue 2; the CLI's exit codes: test_cli.py)."""

from __future__ import annotations

import pytest

from conftest import SCREENING_HEADER, screening_row, visits_rows, xlsx_bytes
from medpath.study import load_study


def _study(sheets):
    return load_study([("trial.xlsx", xlsx_bytes(sheets))])


def _one(findings, severity="error"):
    selected = [f for f in findings if f.severity == severity]
    assert len(selected) == 1, selected
    return selected[0]


def _screening(*rows):
    return [SCREENING_HEADER, *rows]


def test_vas_of_11_in_excel_row_7_is_exactly_one_error():
    visits = visits_rows(3)          # header in row 1, rows 2..7
    visits[6][3] = 11                # list index 6 = Excel row 7
    study = _study({"visits": visits})
    error = _one(study.findings)
    assert (error.file, error.sheet, error.row, error.column, error.value) == ("trial.xlsx", "visits", 7, "vas", 11)
    assert "0 to 10" in error.message
    assert study.excluded_rows["visits"] == 1 and len(study.visits) == 5


@pytest.mark.parametrize("column, value, text", [
    ("bmd_tscore", "abc", "expected a number"),
    ("bmd_tscore", -12, "-7 to 5"),
    ("vas", -1, "0 to 10"),
])
def test_bad_visit_values(column, value, text):
    visits = visits_rows(2)
    visits[3][visits[0].index(column)] = value
    error = _one(_study({"visits": visits}).findings)
    assert (error.row, error.column, error.value) == (4, column, value)
    assert text in error.message


def test_age_outside_0_120_and_non_numeric_age():
    study = _study({"screening": _screening(screening_row("P1", age=130), screening_row("P2", age="sixty")),
                    "visits": visits_rows(2)})
    rows = {(f.row, f.column, f.value) for f in study.errors}
    assert rows == {(2, "age", 130), (3, "age", "sixty")}
    assert study.excluded_rows["screening"] == 2


def test_required_columns_missing():
    study = _study({"visits": [["visit", "vas"], ["baseline", 5]]})
    assert any(f.severity == "error" and "patient_id" in f.message and f.row == 1 for f in study.findings)


def test_missing_patient_id_in_a_row():
    visits = visits_rows(1) + [[None, "baseline", -3.0, 5]]
    error = _one(_study({"visits": visits}).findings)
    assert (error.row, error.column) == (4, "patient_id") and "missing" in error.message


def test_duplicate_patient_in_screening_points_to_first_row():
    study = _study({"screening": _screening(screening_row("P1"), screening_row("P2"), screening_row("P1")),
                    "visits": visits_rows(2)})
    error = _one(study.findings)
    assert (error.row, error.column, error.value) == (4, "patient_id", "P1")
    assert "row 2" in error.message
    assert len(study.screening) == 2 and study.excluded_rows["screening"] == 1


def test_duplicate_patient_visit():
    visits = visits_rows(2) + [["P2", "Month 6", -2.0, 1]]
    study = _study({"visits": visits})
    error = _one(study.findings)
    assert (error.row, error.value) == (6, "month 6")
    assert "row 5" in error.message


def test_visits_of_a_patient_missing_from_screening_is_a_warning_and_still_analysed():
    study = _study({"screening": _screening(screening_row("P1")), "visits": visits_rows(2)})
    warning = _one(study.findings, "warning")
    assert (warning.row, warning.value) == (4, "P2")
    assert "P2" in study.patient_ids and study.errors == ()


def test_unknown_visit_label_is_an_error_without_an_offset_and_a_warning_with_one():
    visits = visits_rows(1) + [["P1", "follow-up?", -2.9, 6]]
    error = _one(_study({"visits": visits}).findings)
    assert (error.row, error.column, error.value) == (4, "visit", "follow-up?")
    with_month = [["patient_id", "visit", "month", "bmd_tscore", "vas"], ["P1", "baseline", 0, -3, 7], ["P1", "V2", 2, -3, 6]]
    study = _study({"visits": with_month})
    warning = _one(study.findings, "warning")
    assert (warning.row, warning.value) == (3, "V2")
    assert list(study.visits["month"]) == [0.0, 2.0] and study.visits["visit"].iloc[1] == "month 2"


def test_bad_yes_no_sex_and_consent_are_reported():
    study = _study({"screening": _screening(screening_row("P1", sex="X", hiv="maybe", consent="soon")),
                    "visits": visits_rows(1)})
    assert {(f.column, f.value) for f in study.errors} == {("sex", "X"), ("hiv", "maybe"), ("consent", "soon")}


def test_identifier_columns_are_warned_about():
    visits = [["Patient ID", "Nama Pasien", "Date of birth", "visit", "vas"], ["P1", "Siti", "1960-01-01", "baseline", 7]]
    warned = {f.column for f in _study({"visits": visits}).warnings if "identifier" in f.message}
    assert warned == {"Nama Pasien", "Date of birth"}


def test_two_columns_for_one_field_are_an_error_naming_both_and_neither_is_read():
    visits = [["patient_id", "visit", "bmd_tscore", "vas", "VAS (0-10)"], ["P1", "baseline", -3, 7, 3]]
    study = _study({"visits": visits})
    (error,) = study.errors
    assert error.value == "vas, VAS (0-10)" and "2 columns could be the VAS pain" in error.message
    assert study.visits["vas"].isna().all() and study.visits["bmd_tscore"].iloc[0] == -3


def test_a_header_only_visits_table_is_an_error_and_a_header_only_screening_a_warning():
    study = _study({"screening": [SCREENING_HEADER], "visits": [["patient_id", "visit", "bmd_tscore", "vas"]]})
    assert [(f.severity, f.sheet, f.row) for f in study.warnings if "no data rows" in f.message] == [
        ("warning", "screening", 1), ("warning", "visits", 1)]
    (error,) = study.errors
    assert "no usable visit rows" in error.message


def test_wide_layout_counts_each_bad_excel_row_once_and_reports_rows_without_values():
    rows = [["patient_id", "vas_baseline", "vas_m6"], [None, 7, 5], [None, 6, 4], ["P3", None, None], ["P4", 6, 5]]
    study = _study({"visits": rows})
    assert study.excluded_rows["visits"] == 2  # Excel rows 2 and 3, not once per visit
    assert {(f.row, f.severity) for f in study.findings if "no outcome value" in f.message} == {(4, "warning")}
    assert study.patient_ids == ["P4"]


def test_excel_error_cells_and_values_without_a_header_are_reported():
    from openpyxl import Workbook
    import io

    book = Workbook()
    sheet = book.active
    sheet.title = "visits"
    sheet.append(["patient_id", "visit", "bmd_tscore", "vas"])
    sheet.append(["P1", "baseline", -3.0, 7, "stray note"])
    sheet["C3"], sheet["A3"], sheet["B3"] = "#DIV/0!", "P1", "month 6"
    sheet["C3"].data_type = "e"
    buffer = io.BytesIO()
    book.save(buffer)
    study = load_study([("e.xlsx", buffer.getvalue())])
    messages = {f.message.split(":")[0] for f in study.warnings}
    assert "1 cell(s) hold an Excel error (#DIV/0!, #N/A, ...) and were read as empty" in messages
    assert any(f.value == "E" and "no header" in f.message for f in study.warnings)
