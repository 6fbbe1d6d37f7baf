"""Input layouts, column aliases and cell spellings (issue 2)."""

from __future__ import annotations

import io
import math

import pandas as pd
import pytest
from conftest import SAMPLE_XLSX, SCREENING_HEADER, csv_bytes, screening_row, visits_rows, xlsx_bytes
from workbooks import profile_of

from medpath.findings import Code
from medpath.pipeline.cells.values import (
    BadValue,
    parse_consent,
    parse_number,
    parse_sex,
    parse_visit_label,
    parse_yes_no,
)
from medpath.pipeline.map.schema import schema_of
from medpath.protocol import default_protocol
from medpath.schedule import MONTHS
from medpath.study import load_study


def _load(mapping=None, **files: bytes):
    return load_study(list(files.items()), mapping=mapping, protocol=default_protocol())


def test_sample_workbook_is_clean_and_complete(sample_study):
    assert sample_study.findings == ()
    assert len(sample_study.screening) == 30
    assert sample_study.patient_ids == ["MSC-01", "MSC-04", "MSC-08", "MSC-15", "MSC-23"]
    assert len(sample_study.visits) == 19  # 5 patients x 4 visits, one month-3 visit missed
    assert sample_study.synthetic and "Synthetic" in sample_study.label


def test_sample_csv_pair_equals_workbook(sample_study):
    folder = SAMPLE_XLSX.parent
    study = load_study(
        [(p.name, p.read_bytes()) for p in sorted(folder.glob("medpath_sample_*.csv"))], protocol=default_protocol()
    )
    assert study.findings == ()
    drop = ["source_file", "source_sheet", "source_row"]
    pd.testing.assert_frame_equal(study.visits.drop(columns=drop), sample_study.visits.drop(columns=drop))
    pd.testing.assert_frame_equal(study.screening.drop(columns=drop), sample_study.screening.drop(columns=drop))
    # the banner line above the header is skipped, and Excel-style row numbers still count it
    assert study.visits["source_row"].iloc[0] == 3


def test_visits_only_workbook_has_no_screening():
    study = _load(**{"v.xlsx": xlsx_bytes({"Visits": visits_rows(2)})})
    assert study.screening is None
    assert study.patient_ids == ["P1", "P2"]
    assert study.errors == ()


def test_sheet_names_match_case_insensitively_and_by_alias():
    data = xlsx_bytes({"SCREENING LOG": [SCREENING_HEADER, screening_row("P1")], "Follow-up": visits_rows(1)})
    study = _load(**{"a.xlsx": data})
    assert list(study.screening["patient_id"]) == ["P1"]
    assert len(study.visits) == 2


def test_wide_layout_becomes_long_with_each_patients_row_number():
    rows = [
        ["Patient ID", "bmd_tscore_baseline", "bmd_tscore_m6", "vas_baseline", "vas_m6", "VAS month 3"],
        ["P1", -3.1, -2.8, 7, 4, 5],
        ["P2", -2.9, None, 6, 6, None],
    ]
    study = _load(**{"wide.xlsx": xlsx_bytes({"visits": rows})})
    assert study.errors == ()
    v = study.visits.set_index(["patient_id", "visit"])
    assert v.loc[("P1", "month 6"), "bmd_tscore"] == -2.8
    assert v.loc[("P1", "month 3"), "vas"] == 5 and math.isnan(v.loc[("P1", "month 3"), "bmd_tscore"])
    assert math.isnan(v.loc[("P2", "month 6"), "bmd_tscore"]) and v.loc[("P2", "month 6"), "vas"] == 6
    assert ("P2", "month 3") not in v.index  # nothing recorded: no row invented
    assert v.loc[("P2", "baseline"), "source_row"] == 3
    assert v.loc[("P1", "month 6"), "month"] == 6.0


def test_wide_layout_error_names_the_users_column_and_row():
    rows = [["patient_id", "vas_baseline", "vas_m6"], ["P1", 7, 11]]
    study = _load(**{"wide.xlsx": xlsx_bytes({"visits": rows})})
    (error,) = study.errors
    assert (error.row, error.column, error.value) == (2, "vas_m6", 11)


def test_redcap_long_export():
    rows = [
        ["record_id", "redcap_event_name", "bmd_tscore", "vas"],
        ["101", "baseline_arm_1", -3.0, 7],
        ["101", "month_6_arm_1", -2.7, 4],
        ["102", "baseline_arm_1", -2.6, 6],
        ["102", "6_month_followup_arm_1", -2.5, 6],
    ]
    study = _load(**{"redcap.csv": csv_bytes(rows)})
    assert study.errors == ()
    assert list(study.visits["visit"]) == ["baseline", "month 6", "baseline", "month 6"]
    assert list(study.visits["month"]) == [0, 6, 0, 6]


@pytest.mark.parametrize(
    "header",
    [
        ["Patient ID", "Visit", "T-score L1-L4", "VAS (0-10)"],
        ["patient-id", "TIMEPOINT", "Spine BMD T-score", "vas pain"],
        ["Subject", "visit_label", "t_score", "VAS"],
    ],
)
def test_column_aliases(header):
    study = _load(**{"v.csv": csv_bytes([header, ["P1", "baseline", "-2,7", "6"]], delimiter=";")})
    assert study.errors == ()
    row = study.visits.iloc[0]
    assert (row["patient_id"], row["bmd_tscore"], row["vas"]) == ("P1", -2.7, 6.0)


def test_header_row_below_title_rows_is_found():
    rows = [["Trial NCT04501354 - follow-up export"], [], ["exported 2026-11-01"], *visits_rows(1)]
    study = _load(**{"t.xlsx": xlsx_bytes({"visits": rows})})
    assert study.errors == ()
    assert list(study.visits["source_row"]) == [5, 6]


def test_month_and_day_offsets_place_visits():
    rows = [["patient_id", "day", "vas"], ["P1", 0, 7], ["P1", 14, 6], ["P1", 183, 4]]
    study = _load(**{"d.csv": csv_bytes(rows)})
    assert list(study.visits["month"]) == [0.0, 0.46, 6.0]
    assert list(study.visits["visit"]) == ["baseline", "month 0.46", "month 6"]
    assert list(study.visits["day"]) == [0.0, 14.0, 183.0]


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("yes", True),
        ("Y", True),
        ("TRUE", True),
        (1, True),
        ("1", True),
        ("ya", True),
        ("Positive", True),
        (True, True),
        ("no", False),
        ("n", False),
        ("false", False),
        (0, False),
        ("0", False),
        ("tidak", False),
        ("negative", False),
        ("", None),
        ("NA", None),
        ("n/a", None),
        ("-", None),
        (".", None),
        (None, None),
    ],
)
def test_yes_no_spellings(raw, expected):
    assert parse_yes_no(raw) is expected


@pytest.mark.parametrize(
    "raw, expected", [("-2,7", -2.7), ("−2.7", -2.7), (" 3 ", 3.0), (-2.5, -2.5), (7, 7.0), ("1e1", 10.0), (",5", 0.5)]
)
def test_number_spellings(raw, expected):
    assert parse_number(raw) == expected


@pytest.mark.parametrize("raw", ["abc", "2.5 cm", "1,234.5", True])
def test_bad_numbers_are_refused(raw):
    with pytest.raises(BadValue):
        parse_number(raw)


@pytest.mark.parametrize("raw", ["", "NA", "N/A", "n/a", "-", ".", None])
def test_missing_spellings(raw):
    assert parse_number(raw) is None


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("M", "M"),
        ("male", "M"),
        ("L", "M"),
        ("Laki-laki", "M"),
        ("F", "F"),
        ("Female", "F"),
        ("P", "F"),
        ("perempuan", "F"),
    ],
)
def test_sex_spellings(raw, expected):
    assert parse_sex(raw) == expected


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("signed", "signed"),
        ("Yes", "signed"),
        ("declined", "declined"),
        ("refused", "declined"),
        ("pending", "pending"),
        ("", None),
    ],
)
def test_consent_spellings(raw, expected):
    assert parse_consent(raw) == expected


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("Baseline", ("baseline", 0.0)),
        ("M6", ("month 6", 6.0)),
        ("6 months", ("month 6", 6.0)),
        ("Month 3", ("month 3", 3.0)),
        ("bulan ke-6", ("month 6", 6.0)),
        ("visit 3", None),
        ("later", None),
    ],
)
def test_visit_labels(raw, expected):
    assert parse_visit_label(raw) == expected


def test_screening_values_are_typed(sample_study):
    s = sample_study.screening.set_index("patient_id")
    assert s.loc["MSC-02", "sex"] == "M" and s.loc["MSC-02", "age"] == 50.0
    assert s.loc["MSC-06", "corticosteroid"] == True  # noqa: E712  (pandas BooleanDtype scalar)
    assert pd.isna(s.loc["MSC-27", "rubella"])
    assert s.loc["MSC-13", "consent"] == "declined"
    assert str(s["enrolled"].dtype) == "boolean"


@pytest.mark.parametrize("day, month", [(0, 0.0), (14, 0.46), (15, 1.0), (16, 1.0), (45, 1.0), (46, 2.0), (182, 6.0)])
def test_day_offsets_snap_to_whole_months_from_day_15_never_to_baseline(day, month):
    assert MONTHS.place_days(day) == month


@pytest.mark.parametrize(
    "label, expected",
    [
        ("day 180", ("month 6", 6.0)),
        ("week 26", ("month 6", 6.0)),
        ("week 2", ("week 2", 0.46)),
        ("day 15", ("month 1", 1.0)),
        (0.0, ("baseline", 0.0)),
        (6.0, None),
    ],
)
def test_day_and_week_labels_reach_the_monthly_end_points(label, expected):
    assert parse_visit_label(label) == expected


def test_a_label_is_the_visit_and_a_conflicting_offset_is_reported():
    rows = [
        ["patient_id", "visit", "day", "bmd_tscore", "vas"],
        ["P1", "baseline", 1, -3.0, 7],  # study day 1 = baseline: within the window, no finding
        ["P1", "month 3", 183, -2.9, 6],  # offset says month 6: warned, analysed as month 3
        ["P1", "month 6", 182, -2.8, 5],
    ]
    study = _load(**{"s.xlsx": xlsx_bytes({"visits": rows})})
    assert list(study.visits["month"]) == [0.0, 3.0, 6.0]
    assert list(study.visits["day"]) == [1.0, 183.0, 182.0]
    (warning,) = study.findings
    assert (warning.row, warning.value, warning.code) == (3, "month 3", Code.VISIT_LABEL_OFFSET_DISAGREE)
    assert "offset says day 183" in warning.message


def test_float_written_ids_match_across_sheets():
    rows = [["patient_id", "visit", "vas"], ["1.0", "baseline", 7], [2.0, "baseline", 6]]
    study = _load(**{"v.csv": csv_bytes(rows)})
    assert list(study.visits["patient_id"]) == ["1", "2"]


def test_infinite_numbers_are_refused():
    with pytest.raises(BadValue):
        parse_number("1e999")


# --- what Excel hides or strikes through (issue 11) ------------------------------------------------------


def _styled_workbook() -> bytes:
    import io

    from openpyxl import Workbook
    from openpyxl.styles import Font

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "visits"
    for row in [*visits_rows(2), ["P9", "baseline", -1.0, 1]]:
        sheet.append(row)
    for cell in sheet[3]:
        cell.font = Font(strike=True)  # every cell of row 3 struck: a deleted row
    sheet["A4"].font = Font(strike=True)  # one struck cell in row 4: not a deleted row
    sheet.row_dimensions[6].hidden = True
    sheet.column_dimensions["D"].hidden = True
    old = workbook.create_sheet("old")
    old.append(["patient_id", "visit", "vas"])
    old.sheet_state = "hidden"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def test_reader_marks_hidden_sheets_rows_columns_and_struck_rows():
    from medpath.pipeline.read.reading import read_tables

    visits, old = read_tables("s.xlsx", _styled_workbook(), schema_of(default_protocol()))
    assert (visits.hidden, old.hidden) == (False, True)
    assert visits.struck_rows == {3} and visits.hidden_rows == {6} and visits.hidden_columns == {3}


def test_marks_from_the_guards_copy_of_the_sheet_xml_equal_a_fresh_read(monkeypatch):
    """The size guard keeps the sheet XML it inflated so that the hidden / struck marks need no second
    inflation; the marks are the same as from zipfile, and a part whose bytes fail its CRC-32 is not used."""
    import zipfile

    from medpath.pipeline.guard.size_guards import check_zip
    from medpath.pipeline.read.reading import _xlsx_styles, measure

    data = _styled_workbook()
    measured = measure("s.xlsx", data)
    assert measured.marks == _xlsx_styles(data) and measured.marks["visits"].struck_rows == {3}
    archive = zipfile.ZipFile(io.BytesIO(data))
    info = archive.getinfo("xl/worksheets/sheet1.xml")
    raw = archive.read(info)
    wrong = {(info.filename, info.header_offset): [raw.replace(b'hidden="1"', b'hidden="0"')]}
    assert _xlsx_styles(data, wrong) == _xlsx_styles(data)
    # the guard's copy: the pieces its scanner read, each after the first starting at a tag, so that a word
    # such as "hidden" is never cut in two; joined, the part as zipfile reads it
    kept: dict = {}
    monkeypatch.setattr("medpath.pipeline.guard.size_guards._INFLATE_STEP", 64)  # many pieces from a small part
    check_zip(data, kept, 2**30)
    assert {name for name, _ in kept} == {"xl/worksheets/sheet1.xml", "xl/worksheets/sheet2.xml"}
    for (name, _), pieces in kept.items():
        assert b"".join(pieces) == archive.read(name) and all(piece.startswith(b"<") for piece in pieces[1:])
        assert len(pieces) > 10
    assert measure("s.xlsx", data).marks == measured.marks  # the same marks from those pieces


def test_hidden_and_struck_content_is_left_out_of_the_study_with_a_warning_each():
    """Struck-through rows, hidden columns and a hidden sheet are left out with a warning each; a hidden row is a
    question (issue 23): read as proposed, with an error that blocks the sheet's numbers until the profile answers."""
    study = _load(**{"s.xlsx": _styled_workbook()})
    assert list(study.visits["source_row"]) == [2, 4, 5, 6]
    assert study.visits["vas"].isna().all()  # column D (vas) is hidden
    said = [(f.sheet, f.row, f.code) for f in study.findings]
    for place in [
        ("visits", 3, Code.ROW_STRUCK),
        ("visits", 6, Code.ROWS_HIDDEN),
        ("visits", 1, Code.COLUMNS_HIDDEN),
        ("old", None, Code.SHEET_HIDDEN),
    ]:
        assert place in said, (place, said)
    (question,) = study.errors
    assert question.code is Code.ROWS_HIDDEN
    assert "rows 6" in question.message and "rows: {hidden: read}" in question.message
    assert set(study.unread) == {"visits"}
    answered = _load(mapping=profile_of("rows: {hidden: leave out}"), **{"s.xlsx": _styled_workbook()})
    assert list(answered.visits["source_row"]) == [2, 4, 5] and not answered.errors and not answered.unread
    read = _load(mapping=profile_of("rows: {hidden: read}"), **{"s.xlsx": _styled_workbook()})
    assert list(read.visits["source_row"]) == [2, 4, 5, 6] and not read.errors


def test_a_sheet_too_large_for_the_style_check_says_it_was_skipped(monkeypatch):
    import medpath.pipeline.read.reading

    monkeypatch.setattr(
        medpath.pipeline.read.reading, "STYLE_SCAN_MAX_BYTES", 100
    )  # in this process: read here, not in a worker
    (table,) = medpath.pipeline.read.reading.read_tables(
        "s.xlsx", xlsx_bytes({"visits": visits_rows(1)}), schema_of(default_protocol())
    )
    (warning,) = table.notes
    assert (warning.sheet, warning.code) == ("visits", Code.SHEET_SKIPPED_MARKS)
    assert "too large" in warning.message and "struck-through" in warning.message


def test_legacy_xls_hidden_rows_and_struck_rows_are_found_in_the_biff_records():
    import io

    import xlwt

    from medpath.pipeline.read.reading import read_tables

    book = xlwt.Workbook()
    sheet = book.add_sheet("visits")
    strike = xlwt.easyxf("font: struck_out on")
    for r, row in enumerate([*visits_rows(2), ["TEST", "baseline", -1.0, 1]]):
        for c, value in enumerate(row):
            sheet.write(r, c, value, strike if r == 2 else xlwt.Style.default_style)
    sheet.row(5).hidden = True
    sheet.col(2).hidden = True
    out = io.BytesIO()
    book.save(out)
    (table,) = read_tables("old.xls", out.getvalue(), schema_of(default_protocol()))
    assert table.struck_rows == {3} and table.hidden_rows == {6} and table.hidden_columns == {2}


def test_an_ods_spreadsheet_says_its_hidden_and_struck_rows_were_not_checked():
    from workbooks import ods_bytes, ods_row

    rows = ods_row(["patient_id", "visit", "vas"]) + ods_row(["P1", "baseline", "7"])
    study = _load(**{"v.ods": ods_bytes(rows)})
    assert study.visits["vas"].tolist() == [7.0]
    (note,) = [f for f in study.findings if f.code is Code.SHEET_SKIPPED_MARKS]
    assert note.sheet == "visits" and "OpenDocument" in note.message and "cannot be detected" in note.message


def test_a_table_that_does_not_start_in_column_a_keeps_its_column_letters_and_merges():
    rows = [
        [None, None, "patient_id", "visit", "bmd_tscore", "vas"],
        [None, None, "P1", "baseline", -3.0, 7],
        [None, None, None, "month 6", -2.8, 5],
        [None, None, "P2", "baseline", -2.9, 6, None, "stray"],
    ]
    study = _load(**{"c.xlsx": xlsx_bytes({"visits": rows}, merge={"visits": ["C2:C3"]})})
    assert study.visits["patient_id"].tolist() == ["P1", "P1", "P2"]
    (merged,) = [f for f in study.findings if f.code is Code.CELLS_MERGED]
    assert "merged cells C2:C3" in merged.message
    (unnamed,) = [f for f in study.findings if f.code is Code.COLUMNS_UNNAMED]
    assert unnamed.value == "H" and "no header" in unnamed.message
