"""Every validation rule, with the exact Excel row the user sees (issue 2; the CLI's exit codes: test_cli.py)."""

from __future__ import annotations

import math

import pytest
from conftest import SCREENING_HEADER, screening_row, visits_rows, xlsx_bytes
from workbooks import profile_of

from medpath.findings import Code
from medpath.protocol import default_protocol
from medpath.study import load_study


def _study(sheets):
    return load_study([("trial.xlsx", xlsx_bytes(sheets))], protocol=default_protocol())


def _one(findings, severity="error"):
    selected = [f for f in findings if f.severity == severity]
    assert len(selected) == 1, selected
    return selected[0]


def _screening(*rows):
    return [SCREENING_HEADER, *rows]


def test_vas_of_11_in_excel_row_7_is_exactly_one_error():
    visits = visits_rows(3)  # header in row 1, rows 2..7
    visits[6][3] = 11  # list index 6 = Excel row 7
    study = _study({"visits": visits})
    error = _one(study.findings)
    assert (error.file, error.sheet, error.row, error.column, error.value) == ("trial.xlsx", "visits", 7, "vas", 11)
    assert error.code is Code.VALUE_OUT_OF_RANGE
    assert "0 to 10" in error.message and "left out" in error.message
    # a bad value costs that value only: the row (P3 month 6) is kept with its T-score, VAS missing
    assert study.excluded_rows["visits"] == 0 and len(study.visits) == 6
    row = study.visits.iloc[5]
    assert (row["patient_id"], row["visit"], row["bmd_tscore"]) == ("P3", "month 6", -2.8) and math.isnan(row["vas"])


@pytest.mark.parametrize(
    "column, value, code, text",
    [
        ("bmd_tscore", "abc", Code.VALUE_INVALID, "expected a number"),
        ("bmd_tscore", -12, Code.VALUE_OUT_OF_RANGE, "-7 to 5"),
        ("vas", -1, Code.VALUE_OUT_OF_RANGE, "0 to 10"),
    ],
)
def test_bad_visit_values(column, value, code, text):
    visits = visits_rows(2)
    visits[3][visits[0].index(column)] = value
    error = _one(_study({"visits": visits}).findings)
    assert (error.row, error.column, error.value, error.code) == (4, column, value, code)
    assert text in error.message


def test_age_outside_0_120_and_non_numeric_age():
    study = _study(
        {
            "screening": _screening(screening_row("P1", age=130), screening_row("P2", age="sixty")),
            "visits": visits_rows(2),
        }
    )
    rows = {(f.row, f.column, f.value) for f in study.errors}
    assert rows == {(2, "age", 130), (3, "age", "sixty")}
    # both candidates stay (their other criteria are still read); only the ages are left out
    assert study.excluded_rows["screening"] == 0 and list(study.screening["patient_id"]) == ["P1", "P2"]
    assert study.screening["age"].isna().all() and list(study.screening["bmd_tscore"]) == [-3.0, -3.0]
    left = study.left_out_values
    assert list(zip(left["table"], left["patient_id"], left["field"], left["value"], left["source_row"])) == [
        ("screening", "P1", "age", 130, 2),
        ("screening", "P2", "age", "sixty", 3),
    ]


def test_required_columns_missing():
    study = _study({"visits": [["visit", "vas"], ["baseline", 5]]})
    (missing,) = [f for f in study.findings if f.code is Code.COLUMN_REQUIRED_MISSING]
    assert (missing.severity, missing.row) == ("error", 1) and "patient_id" in missing.message


def test_missing_patient_id_in_a_row():
    visits = visits_rows(1) + [[None, "baseline", -3.0, 5]]
    error = _one(_study({"visits": visits}).findings)
    assert (error.row, error.column, error.code) == (4, "patient_id", Code.PATIENT_ID_MISSING)
    assert "missing" in error.message


def test_duplicate_patient_in_screening_points_to_first_row():
    """Two screening rows of one patient that disagree (age 60 and 61) are a question: the first is kept as
    proposed, and the error blocks the screening table's numbers until the profile answers."""
    study = _study(
        {
            "screening": _screening(screening_row("P1"), screening_row("P2"), screening_row("P1", age=61)),
            "visits": visits_rows(2),
        }
    )
    error = _one(study.findings)
    assert (error.row, error.column, error.value, error.code) == (4, "patient_id", "P1", Code.DUPLICATE_CONFLICT)
    assert "row 2" in error.message and "rows: {duplicates: first}" in error.message
    assert len(study.screening) == 2 and study.excluded_rows["screening"] == 1
    assert set(study.unread) == {"screening"}


def test_a_screening_row_repeated_exactly_is_counted_once_with_a_warning():
    study = _study(
        {
            "screening": _screening(screening_row("P1"), screening_row("P2"), screening_row("P1")),
            "visits": visits_rows(2),
        }
    )
    warning = _one(study.findings, "warning")
    assert (warning.row, warning.code) == (4, Code.DUPLICATE_ROW) and not study.errors and not study.unread
    assert len(study.screening) == 2 and study.excluded_rows["screening"] == 1


def test_duplicate_rows_answered_by_the_profile_are_certain():
    files = [
        (
            "d.xlsx",
            xlsx_bytes(
                {
                    "screening": _screening(screening_row("P1"), screening_row("P2"), screening_row("P1", age=61)),
                    "visits": visits_rows(2),
                }
            ),
        )
    ]
    first = load_study(files, mapping=profile_of("rows: {duplicates: first}"), protocol=default_protocol())
    assert not first.errors and not first.unread and first.screening["age"].tolist() == [60, 60]
    neither = load_study(files, mapping=profile_of("rows: {duplicates: leave out}"), protocol=default_protocol())
    assert not neither.errors and neither.screening["patient_id"].tolist() == ["P2"]
    assert neither.excluded_rows["screening"] == 2


def test_duplicate_patient_visit():
    visits = visits_rows(2) + [["P2", "Month 6", -2.0, 1]]
    study = _study({"visits": visits})
    error = _one(study.findings)
    assert (error.row, error.value, error.code) == (6, "month 6", Code.DUPLICATE_CONFLICT)
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
    with_month = [
        ["patient_id", "visit", "month", "bmd_tscore", "vas"],
        ["P1", "baseline", 0, -3, 7],
        ["P1", "V2", 2, -3, 6],
    ]
    study = _study({"visits": with_month})
    warning = _one(study.findings, "warning")
    assert (warning.row, warning.value) == (3, "V2")
    assert list(study.visits["month"]) == [0.0, 2.0] and study.visits["visit"].iloc[1] == "month 2"


def test_bad_yes_no_sex_and_consent_are_reported():
    study = _study(
        {"screening": _screening(screening_row("P1", sex="X", hiv="maybe", consent="soon")), "visits": visits_rows(1)}
    )
    assert {(f.column, f.value) for f in study.errors} == {("sex", "X"), ("hiv", "maybe"), ("consent", "soon")}


def test_identifier_columns_are_warned_about():
    visits = [
        ["Patient ID", "Nama Pasien", "Date of birth", "visit", "vas"],
        ["P1", "Siti", "1960-01-01", "baseline", 7],
    ]
    warned = {f.column for f in _study({"visits": visits}).warnings if f.code is Code.COLUMN_IDENTIFIER}
    assert warned == {"Nama Pasien", "Date of birth"}


def test_two_columns_for_one_field_are_an_error_naming_both_and_neither_is_read():
    visits = [["patient_id", "visit", "bmd_tscore", "vas", "VAS (0-10)"], ["P1", "baseline", -3, 7, 3]]
    study = _study({"visits": visits})
    (error,) = study.errors
    assert (error.code, error.value) == (Code.COLUMN_AMBIGUOUS, "vas, VAS (0-10)")
    assert "2 columns could be the VAS pain" in error.message
    assert study.visits["vas"].isna().all() and study.visits["bmd_tscore"].iloc[0] == -3


def test_a_header_only_visits_table_is_an_error_and_a_header_only_screening_a_warning():
    study = _study({"screening": [SCREENING_HEADER], "visits": [["patient_id", "visit", "bmd_tscore", "vas"]]})
    empty = [f for f in study.warnings if f.code is Code.TABLE_EMPTY]
    assert [(f.severity, f.sheet, f.row) for f in empty] == [("warning", "screening", 1), ("warning", "visits", 1)]
    assert all("no data rows" in f.message for f in empty)
    (error,) = study.errors
    assert error.code is Code.NO_VISIT_ROWS and "no usable visit rows" in error.message


def test_wide_layout_counts_each_bad_excel_row_once_and_reports_rows_without_values():
    rows = [["patient_id", "vas_baseline", "vas_m6"], [None, 7, 5], [None, 6, 4], ["P3", None, None], ["P4", 6, 5]]
    study = _study({"visits": rows})
    assert study.excluded_rows["visits"] == 2  # Excel rows 2 and 3, not once per visit
    assert {(f.row, f.severity) for f in study.findings if f.code is Code.ROW_NO_OUTCOME} == {(4, "warning")}
    assert study.patient_ids == ["P4"]


def test_excel_error_cells_and_values_without_a_header_are_reported():
    import io

    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.title = "visits"
    sheet.append(["patient_id", "visit", "bmd_tscore", "vas"])
    sheet.append(["P1", "baseline", -3.0, 7, "stray note"])
    sheet["C3"], sheet["A3"], sheet["B3"] = "#DIV/0!", "P1", "month 6"
    sheet["C3"].data_type = "e"
    buffer = io.BytesIO()
    book.save(buffer)
    study = load_study([("e.xlsx", buffer.getvalue())], protocol=default_protocol())
    (errors,) = [f for f in study.warnings if f.code is Code.CELLS_READ_EMPTY]
    assert errors.message.split(":")[0] == "1 cell(s) hold an Excel error (#DIV/0!, #N/A, ...) and were read as empty"
    (unnamed,) = [f for f in study.warnings if f.code is Code.COLUMNS_UNNAMED]
    assert unnamed.value == "E" and "no header" in unnamed.message


# --- issue 11: a bad value costs that value only; values as teams write them; grouped findings -----------------


def test_vas_11_at_baseline_leaves_out_that_vas_only_and_says_so():
    visits = visits_rows(5, "MSC-0")  # MSC-01..05, baseline T -3.0 VAS 7, month 6 T -2.8 VAS 5
    visits[1][3] = 11  # MSC-01 baseline, Excel row 2
    study = _study({"visits": visits})
    error = _one(study.findings)
    assert (error.row, error.column, error.value, error.code) == (2, "vas", 11, Code.VALUE_OUT_OF_RANGE)
    assert "left out" in error.message
    v = study.visits.set_index(["patient_id", "visit"])
    assert v.loc[("MSC-01", "baseline"), "bmd_tscore"] == -3.0  # the T-score of that row is still analysed
    assert math.isnan(v.loc[("MSC-01", "baseline"), "vas"])
    assert v["bmd_tscore"].notna().sum() == 10 and v["vas"].notna().sum() == 9
    assert study.excluded_rows == {"screening": 0, "visits": 0}
    (left,) = study.left_out_values.itertuples()
    assert (
        left.table,
        left.patient_id,
        left.visit,
        left.month,
        left.field,
        left.value,
        left.source_row,
        left.source_column,
    ) == ("visits", "MSC-01", "baseline", 0.0, "vas", 11, 2, "vas")
    assert "0 to 10" in left.reason
    assert study.left_out_text("vas", 0.0) == "MSC-01 baseline left out (11)"
    assert study.left_out_text("vas", 6.0) == "" and study.left_out_text("bmd_tscore") == ""


def test_a_missing_patient_id_still_leaves_out_the_row():
    visits = visits_rows(1) + [[None, "baseline", -3.0, 11]]
    study = _study({"visits": visits})
    assert study.excluded_rows["visits"] == 1 and len(study.visits) == 2
    assert study.left_out_values.empty  # the row is counted, not its values


def test_a_bad_value_in_a_duplicate_row_is_not_listed_as_a_left_out_value():
    visits = visits_rows(1) + [["P1", "month 6", -2.9, 12]]  # a second month 6 for P1: the row is dropped
    study = _study({"visits": visits})
    assert study.excluded_rows["visits"] == 1 and study.left_out_values.empty


def test_an_excel_date_in_an_outcome_cell_is_an_error_naming_the_cell_and_only_that_value_is_left_out():
    import datetime as dt

    visits = visits_rows(2)
    visits[4][3] = dt.datetime(2026, 10, 6)  # a typed "6/10" that Excel made 6 October; Excel row 5
    study = _study({"visits": visits})
    error = _one(study.findings)
    assert (error.row, error.column, error.code) == (5, "vas", Code.VALUE_INVALID)
    assert "found a date (06 Oct 2026)" in error.message
    assert "'6/10'" in error.message
    row = study.visits.iloc[3]
    assert (row["patient_id"], row["bmd_tscore"]) == ("P2", -2.8) and math.isnan(row["vas"])


def test_decorated_values_are_read_with_a_warning_showing_what_was_read():
    visits = [
        ["patient_id", "visit", "bmd_tscore", "vas"],
        ["P1", "baseline", "-3,1 SD", "VAS 6"],
        ["P1", "month 6", "-2.7", "8 (berat)"],
    ]
    study = _study({"visits": visits})
    assert study.errors == ()
    assert list(study.visits["bmd_tscore"]) == [-3.1, -2.7] and list(study.visits["vas"]) == [6.0, 8.0]
    shown = {(f.row, f.column, f.value, f.code, f.message.split(":")[0]) for f in study.warnings}
    assert shown == {
        (2, "bmd_tscore", "-3,1 SD", Code.VALUE_READ_AS, "read as -3.1"),
        (2, "vas", "VAS 6", Code.VALUE_READ_AS, "read as 6"),
        (3, "vas", "8 (berat)", Code.VALUE_READ_AS, "read as 8"),
    }


def test_the_same_spelling_in_many_cells_is_one_grouped_finding():
    rows = [screening_row(f"P{i}", hiv="NR", cmv="NR") for i in range(1, 6)]
    study = _study({"screening": _screening(*rows), "visits": visits_rows(1)})
    grouped = [f for f in study.warnings if "NR" in str(f.value)]
    assert len(grouped) == 1
    (finding,) = grouped
    assert (finding.row, finding.column, finding.code) == (2, "hiv, cmv", Code.VALUE_READ_AS)
    assert finding.message.startswith("'NR' in 10 cells of hiv, cmv (Excel rows 2, 3, 4, 5, 6): read as negative")
    assert study.screening["hiv"].tolist() == [False] * 5 and study.screening["cmv"].tolist() == [False] * 5


def test_two_cells_with_the_same_problem_stay_two_findings():
    rows = [screening_row("P1", hiv="NR"), screening_row("P2", hiv="NR")]
    study = _study({"screening": _screening(*rows), "visits": visits_rows(1)})
    assert [(f.row, f.column) for f in study.warnings if f.value == "NR"] == [(2, "hiv"), (3, "hiv")]


def test_same_error_in_many_cells_is_grouped_and_every_value_is_still_listed_as_left_out():
    visits = visits_rows(2)
    for r in (1, 2, 3):
        visits[r][3] = "nyeri"
    study = _study({"visits": visits})
    error = _one(study.findings)
    assert (error.row, error.column, error.code) == (2, "vas", Code.VALUE_INVALID)
    assert error.message.startswith("'nyeri' in 3 cells of vas (Excel rows 2, 3, 4): expected a number")
    assert "these values are left out" in error.message
    assert list(study.left_out_values["source_row"]) == [2, 3, 4] and len(study.visits) == 4


def test_cells_that_differ_keep_one_finding_each():
    visits = visits_rows(3)  # 3 of 6 VAS values above 10: not a majority, so not millimetres
    visits[1][3], visits[2][3], visits[3][3] = 11, 12, 13
    study = _study({"visits": visits})
    assert [(f.row, f.value) for f in study.errors] == [(2, 11), (3, 12), (4, 13)]


def test_a_dash_in_test_and_yes_no_columns_is_unknown_with_one_grouped_warning_naming_the_fix():
    rows = [screening_row(f"P{i}", hiv="-", corticosteroid="-") for i in range(1, 4)]
    study = _study({"screening": _screening(*rows), "visits": visits_rows(1)})
    (warning,) = [f for f in study.warnings if f.value == "-"]
    assert (warning.column, warning.code) == ("corticosteroid, hiv", Code.VALUE_READ_AS)
    assert "6 cells" in warning.message
    assert "read as unknown" in warning.message and "If it means 'no' or 'negative', write that" in warning.message
    assert study.screening["hiv"].isna().all() and study.screening["corticosteroid"].isna().all()
    assert study.errors == ()


def test_indonesian_consent_and_lab_words():
    rows = [
        screening_row("P1", consent="Sudah TTD", hbsag="Reaktif"),
        screening_row("P2", consent="Menolak", hbsag="Non Reaktif"),
    ]
    study = _study({"screening": _screening(*rows), "visits": visits_rows(1)})
    assert study.errors == ()
    assert list(study.screening["consent"]) == ["signed", "declined"]
    assert study.screening["hbsag"].tolist() == [True, False]
    read = {(f.row, f.column): f.message.split(":")[0] for f in study.warnings if f.code is Code.VALUE_READ_AS}
    assert read == {
        (2, "consent"): "read as signed",
        (2, "hbsag"): "read as positive",
        (3, "consent"): "read as declined",
        (3, "hbsag"): "read as negative",
    }


def test_vas_in_millimetres_is_rescaled_with_one_warning_naming_the_column():
    rows = [["patient_id", "visit", "bmd_tscore", "VAS (mm)"]]
    for i, (before, after) in enumerate([(70, 40), (65, 30), (80, 55), (60, 8), (75, 35)], start=1):
        rows += [[f"P{i}", "baseline", -3.0, before], [f"P{i}", "month 6", -2.8, after]]
    rows[0][3] = "vas"
    study = _study({"visits": rows})
    assert study.errors == ()
    assert list(study.visits["vas"]) == [7.0, 4.0, 6.5, 3.0, 8.0, 5.5, 6.0, 0.8, 7.5, 3.5]
    (warning,) = study.warnings
    assert (warning.row, warning.column, warning.code) == (1, "vas", Code.VALUES_SCALED)
    assert (
        "millimetres" in warning.message and "9 of 10 are above 10" in warning.message and "70 -> 7" in warning.message
    )


def test_vas_in_millimetres_in_a_wide_sheet_is_decided_over_all_its_vas_columns():
    rows = [["patient_id", "vas_baseline", "vas_m6"], ["P1", 70, 8], ["P2", 65, 9], ["P3", 80, 30]]
    study = _study({"visits": rows})
    v = study.visits.set_index(["patient_id", "visit"])["vas"]
    assert (v[("P1", "month 6")], v[("P3", "baseline")]) == (0.8, 8.0)  # month 6 alone has 2 of 3 <= 10
    (warning,) = [f for f in study.warnings if f.code is Code.VALUES_SCALED]
    assert "millimetres" in warning.message
    assert warning.column == "vas_baseline, vas_m6" and "4 of 6 are above 10" in warning.message


def test_one_vas_typo_does_not_make_the_column_millimetres():
    visits = visits_rows(5)
    visits[3][3] = 11
    study = _study({"visits": visits})
    assert _one(study.findings).value == 11 and study.visits["vas"].max() == 7.0


def test_an_unrecognised_column_close_to_an_alias_gets_did_you_mean():
    visits = [
        ["patient_id", "visit", "bmd_tscore", "vas", "Umur (th)", "catatan"],
        ["P1", "baseline", -3.0, 7, 60, "x"],
    ]
    study = _study({"visits": visits, "screening": _screening(screening_row("P1"))})
    hints = [(f.column, f.message) for f in study.warnings if f.code is Code.COLUMN_SIMILAR]
    assert hints == []  # "Umur (th)" is a screening field, not a visits one
    screening = [[*SCREENING_HEADER[:2], "Umur (th)", *SCREENING_HEADER[3:]], screening_row("P1")]
    study = _study({"screening": screening, "visits": visits_rows(1)})
    (hint,) = [f for f in study.warnings if f.code is Code.COLUMN_SIMILAR]
    assert hint.column == "Umur (th)" and "did you mean 'age'?" in hint.message


def test_no_did_you_mean_for_a_field_already_read_or_a_distant_name():
    visits = [["patient_id", "visit", "bmd_tscore", "vas", "vas2", "keterangan"], ["P1", "baseline", -3.0, 7, 6, "x"]]
    study = _study({"visits": visits})
    assert not [f for f in study.warnings if f.code is Code.COLUMN_SIMILAR]


@pytest.mark.parametrize(
    ("ids", "known"),
    [(["a", "b", None, "c"], ["b", None]), (["a", "b"], []), (["a", None], ["x"]), (["a", "a", "b"], ["a", "a"])],
)
def test_unscreened_patients_are_found_as_pandas_isin_finds_them(ids, known):
    """``study._isin`` (pyarrow's is_in on two text columns) answers as ``Series.isin(set(...))``, missing ids
    included."""
    import pandas as pd

    from medpath.study import _isin

    visits, screening = pd.Series(ids, dtype="str"), pd.Series(known, dtype="str")
    assert _isin(visits, screening).equals(visits.isin(set(screening)))
    mixed = pd.Series(["a", 1, None], dtype=object)
    assert _isin(mixed, pd.Series([1, None], dtype=object)).equals(mixed.isin({1, None}))


def test_a_patient_id_that_looks_like_a_formula_is_kept_with_one_warning_per_id():
    """Ids starting with + - @ (or = , a tab, a carriage return) would run as formulas in a spreadsheet: each is
    kept as an id, with one warning naming it at its first row, however many rows hold it. (An id cell starting
    with "=" is a formula in the workbook already: openpyxl writes it as one.)"""
    from medpath.export import FORMULA_TRIGGERS

    assert all(len(trigger) == 1 for trigger in FORMULA_TRIGGERS)  # _special_rows checks first characters
    visits = [
        ["patient_id", "visit", "bmd_tscore", "vas"],
        ["+62-01", "baseline", -3.0, 7],
        ["+62-01", "month 6", -2.8, 5],
        ["P-02", "baseline", -3.1, 6],
        ["P-02", "month 6", -2.9, 4],
        ["@SUM(A1)", "baseline", -2.7, 8],
        ["@SUM(A1)", "month 6", -2.6, 6],
    ]
    study = _study({"visits": visits})
    warned = [f for f in study.warnings if f.code is Code.PATIENT_ID_FORMULA]
    assert [(f.row, f.value) for f in warned] == [(2, "+62-01"), (6, "@SUM(A1)")]
    assert all("looks like a spreadsheet formula" in f.message for f in warned)
    assert list(study.visits["patient_id"]) == ["+62-01", "+62-01", "P-02", "P-02", "@SUM(A1)", "@SUM(A1)"]
