"""``medpath.pipeline.layout.layouts``: the rules that turn real layouts into the tables validation reads (issue 11)."""

from __future__ import annotations

import datetime as dt
import math

import pytest
from workbooks import csv_bytes, visits_rows, xlsx_bytes

from medpath.findings import Code
from medpath.pipeline.layout.layouts import arrange, parse_date
from medpath.pipeline.map.profile import Profile
from medpath.pipeline.map.schema import schema_of
from medpath.pipeline.read.reading import RawTable
from medpath.protocol import default_protocol
from medpath.study import load_study


def _raw(header, rows, sheet="visits", above=()) -> RawTable:
    return RawTable(
        "f.xlsx", sheet, list(header), [list(r) for r in rows], list(range(2, 2 + len(rows))), 1, above=tuple(above)
    )


def _load(rows, sheet="visits"):
    return load_study([("f.xlsx", xlsx_bytes({sheet: rows}))], protocol=default_protocol())


# --- rows that are not data ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "label",
    [
        "Total",
        "Jumlah",
        "Rata-rata",
        "rerata",
        "Mean ± SD",
        "Median",
        "SD",
        "SB",
        "n",
        "N = 5",
        "Min",
        "Max",
        "Catatan: pasien pindah",
        "Keterangan",
    ],
)
def test_summary_and_note_rows_are_left_out_with_a_warning_naming_the_row(label):
    out = arrange(
        [_raw(["patient_id", "visit", "vas"], [["P1", "baseline", 7], [label, None, 5]])], schema_of(default_protocol())
    )
    (table,) = out.tables
    assert table.row_numbers == [2]
    (note,) = table.notes
    assert (note.severity, note.row, note.code) == ("warning", 3, Code.ROW_SUMMARY)
    assert "the row was left out" in note.message


@pytest.mark.parametrize("pid", ["SD-01", "N01", "MSC-05", "Minah-1", "T-10", "101"])
def test_ids_that_only_start_like_a_summary_word_are_patients(pid):
    out = arrange([_raw(["patient_id", "visit", "vas"], [[pid, "baseline", 7]])], schema_of(default_protocol()))
    assert out.tables[0].row_numbers == [2] and out.tables[0].notes == ()


@pytest.mark.parametrize("pid", ["TEST", "test-01", "MSC-TEST", "DUMMY", "dummy2", "XXX", "coba", "Pasien coba 1"])
def test_test_and_dummy_ids_are_left_out(pid):
    out = arrange(
        [_raw(["patient_id", "visit", "vas"], [["P1", "baseline", 7], [pid, "baseline", 1]])],
        schema_of(default_protocol()),
    )
    assert out.tables[0].row_numbers == [2]
    (note,) = out.tables[0].notes
    assert (note.code, note.column) == (Code.ROW_SUMMARY, "patient_id") and "test/dummy entry" in note.message


def test_a_signature_block_leaves_out_itself_and_every_row_below():
    rows = [["P1", "baseline", 7], ["Mengetahui,", None, None], [None, "Peneliti utama", None], ["dr. A", None, None]]
    (table,) = arrange([_raw(["patient_id", "visit", "vas"], rows)], schema_of(default_protocol())).tables
    assert table.row_numbers == [2]
    (note,) = table.notes
    assert (note.row, note.code) == (3, Code.SIGNATURE_BLOCK) and "rows 3, 4, 5" in note.message


def test_rows_with_patient_ids_below_a_signature_block_are_left_out_too():
    """Rows with ordinary ids are passed over without a look at each (each distinct id judged once), but
    below a signature block they are left out like every other row, and test rows above it still say so."""
    rows = [
        ["P1", "baseline", 7],
        ["TEST", "baseline", 1],
        ["P2", "baseline", 6],
        ["Mengetahui,", None, None],
        ["P3", "baseline", 5],
        [3, "baseline", 5],
        ["P1", "month 6", 4],
    ]
    (table,) = arrange([_raw(["patient_id", "visit", "vas"], rows)], schema_of(default_protocol())).tables
    assert table.row_numbers == [2, 4]
    assert [(n.row, n.code) for n in table.notes] == [(3, Code.ROW_SUMMARY), (5, Code.SIGNATURE_BLOCK)]
    assert "test/dummy" in table.notes[0].message and "rows 5, 6, 7, 8" in table.notes[1].message


def test_summary_rows_no_longer_become_patients_in_the_analysis():
    rows = [
        ["Patient ID", "vas_baseline", "vas_m6"],
        ["P1", 7, 4],
        ["P2", 6, 3],
        ["Rata-rata", 6.5, 3.5],
        ["SD", 0.7, 0.7],
        ["n", 2, 2],
    ]
    study = _load(rows)
    assert study.patient_ids == ["P1", "P2"] and study.errors == ()


# --- two-row headers -----------------------------------------------------------------------------------


def test_a_visit_group_row_makes_wide_names():
    above = ["Kode Pasien", "Awal", None, "Bulan 6", None]
    header = ["Kode Pasien", "T-score", "VAS", "T-score", "VAS"]
    (table,) = arrange([_raw(header, [["P1", -3.1, 7, -2.8, 4]], above=above)], schema_of(default_protocol())).tables
    assert table.header == ["Kode Pasien", "T-score Awal", "VAS Awal", "T-score Bulan 6", "VAS Bulan 6"]


def test_a_two_row_header_is_read_to_values():
    rows = [
        ["ID", "Awal", None, "Bulan 6", None],
        ["ID", "T-score", "VAS", "T-score", "VAS"],
        ["P1", -3.1, 7, -2.8, 4],
        ["P2", -2.6, 6, -2.5, 5],
    ]
    study = _load(rows, sheet="Data")
    v = study.visits.set_index(["patient_id", "visit"])
    assert v.loc[("P2", "month 6"), "bmd_tscore"] == -2.5 and v.loc[("P1", "baseline"), "vas"] == 7
    assert study.errors == ()


def test_a_header_without_repeated_names_is_left_alone():
    table = _raw(["patient_id", "visit", "vas"], [["P1", "baseline", 7]], above=["Identitas", None, "Nyeri"])
    assert arrange([table], schema_of(default_protocol())).tables[0].header == ["patient_id", "visit", "vas"]


# --- columns that could be one field --------------------------------------------------------------------


def test_a_correction_column_supersedes_the_original():
    rows = [["patient_id", "visit", "T-score", "T-score (koreksi)", "vas"], ["P1", "baseline", -3.5, -3.1, 7]]
    study = _load(rows)
    assert study.visits["bmd_tscore"].tolist() == [-3.1]
    (warning,) = [f for f in study.findings if f.code is Code.COLUMN_CORRECTION]
    assert warning.column == "T-score (koreksi)" and "supersede" in warning.message and "'T-score'" in warning.message


def test_the_l1_l4_total_is_the_spine_t_score_whatever_the_column_order():
    rows = [
        ["patient_id", "visit", "T-score L1", "T-score L2-L4", "T-score Femoral neck", "T-score L1-L4", "vas"],
        ["P1", "baseline", -2.1, -2.4, -1.9, -3.0, 7],
    ]
    study = _load(rows)
    assert study.visits["bmd_tscore"].tolist() == [-3.0] and study.errors == ()


def test_a_plain_t_score_next_to_hip_and_neck_is_the_spine():
    rows = [
        ["patient_id", "visit", "T-score", "Femoral neck T-score", "Total hip T-score", "vas"],
        ["P1", "baseline", -3.0, -2.0, -1.5, 7],
    ]
    study = _load(rows)
    assert study.visits["bmd_tscore"].tolist() == [-3.0]


def test_a_lone_femoral_neck_t_score_is_never_read_as_the_spine():
    rows = [["patient_id", "visit", "Femoral neck T-score", "vas"], ["P1", "baseline", -2.0, 7]]
    study = _load(rows)
    assert math.isnan(study.visits["bmd_tscore"].iloc[0]) and study.visits["vas"].tolist() == [7.0]
    (error,) = study.errors
    assert error.code is Code.COLUMN_REGION_NOT_ANALYSED
    assert "no column holds the spine BMD T-score of the L1-L4 region" in error.message
    assert "rename it 'T-score L1-L4'" in error.message


def test_single_vertebrae_without_the_total_are_an_error_listing_them():
    rows = [["patient_id", "visit", "L1 T-score", "L2 T-score", "vas"], ["P1", "baseline", -2.0, -2.2, 7]]
    (error,) = _load(rows).errors
    assert error.value == "L1 T-score, L2 T-score"


def test_two_columns_with_the_same_values_are_read_once():
    rows = [["patient_id", "visit", "vas", "VAS (0-10)"], ["P1", "baseline", 7, "7"], ["P1", "month 6", None, ""]]
    study = _load(rows)
    assert study.errors == () and study.visits["vas"].tolist()[0] == 7
    (same,) = [f for f in study.findings if f.code is Code.COLUMN_SAME_VALUES]
    assert "hold the same values in every row" in same.message


def test_two_wide_columns_for_one_visit_are_an_error_and_the_other_visit_is_still_read():
    rows = [["patient_id", "VAS awal", "VAS M6", "VAS bulan 6"], ["P1", 7, 4, 3]]
    study = _load(rows, sheet="Data")
    (error,) = study.errors
    assert error.code is Code.COLUMN_AMBIGUOUS
    assert "2 columns could be the VAS pain at month 6: 'VAS M6', 'VAS bulan 6'" in error.message
    assert study.visits["visit"].tolist() == ["baseline"] and study.visits["vas"].tolist() == [7.0]


# --- screening and visits in one sheet; screening log ----------------------------------------------------


def test_one_sheet_with_screening_and_visits_is_split():
    rows = [
        ["ID", "Umur", "Jenis kelamin", "Terdaftar", "VAS awal", "VAS bulan 6"],
        ["P1", 61, "P", "Ya", 7, 4],
        ["P2", 45, "L", "Tidak", None, None],
        ["P3", 70, "P", "Ya", 6, 2],
    ]
    study = _load(rows, sheet="Data")
    assert study.screening["patient_id"].tolist() == ["P1", "P2", "P3"]
    assert study.screening["age"].tolist() == [61.0, 45.0, 70.0]
    assert study.patient_ids == ["P1", "P3"] and len(study.visits) == 4
    assert study.screening["source_sheet"].tolist() == ["Data"] * 3
    assert type(study.screening["source_sheet"].iloc[0]) is str
    assert not [f for f in study.findings if f.code is Code.ROW_NO_OUTCOME]


def test_a_screening_log_keyed_by_screening_number_links_by_subject_id():
    screening = [["No. Skrining", "ID Subjek", "Umur"], ["S-1", "MSC-01", 60], ["S-2", None, 38], ["S-3", "MSC-02", 55]]
    visits = [["ID Subjek", "Kunjungan", "VAS"], ["MSC-01", "Awal", 7], ["MSC-02", "Awal", 6]]
    study = load_study(
        [("f.xlsx", xlsx_bytes({"Skrining": screening, "Kunjungan": visits}))], protocol=default_protocol()
    )
    assert study.screening["patient_id"].tolist() == ["MSC-01", "S-2", "MSC-02"]
    assert not [f for f in study.findings if f.code is Code.PATIENT_NOT_SCREENED]


# --- the same table twice --------------------------------------------------------------------------------


def test_two_visits_tables_with_other_patients_are_combined_with_a_warning():
    study = load_study(
        [
            ("a.xlsx", xlsx_bytes({"visits": visits_rows(1, "A")})),
            ("b.xlsx", xlsx_bytes({"visits": visits_rows(1, "B")})),
        ],
        protocol=default_protocol(),
    )
    assert study.patient_ids == ["A1", "B1"] and study.errors == ()
    (combined,) = [f for f in study.findings if f.code is Code.TABLES_COMBINED]
    assert "2 visits tables were found and combined" in combined.message


def test_the_same_visits_twice_is_an_error_and_neither_is_read():
    study = load_study(
        [("a.xlsx", xlsx_bytes({"visits": visits_rows(2)})), ("b.csv", csv_bytes(visits_rows(1)))],
        protocol=default_protocol(),
    )
    (error,) = study.errors
    assert error.code is Code.TABLE_TWICE
    assert (
        "appears twice: 'a.xlsx' sheet 'visits' and 'b.csv' both hold patient P1 at month 0 and 1 more" in error.message
    )
    assert len(study.visits) == 0 and study.excluded_rows["visits"] == 6


# --- one sheet per visit; visit dates -------------------------------------------------------------------


def test_sheets_named_after_visits_are_one_visits_table():
    sheets = {
        name: [["Kode Pasien", "T-score", "VAS"], ["P1", -3.0, vas]]
        for name, vas in (("Baseline", 7), ("3 bulan", 5), ("M6", 4))
    }
    study = load_study([("f.xlsx", xlsx_bytes(sheets))], protocol=default_protocol())
    assert study.visits["month"].tolist() == [0.0, 3.0, 6.0] and study.visits["vas"].tolist() == [7.0, 5.0, 4.0]
    assert study.visits["source_sheet"].tolist() == ["Baseline", "3 bulan", "M6"]
    assert [(f.code, f.message) for f in study.findings] == [
        (
            Code.LAYOUT_READ_AS,
            "read as: one sheet per visit, the visit from the sheet name: 'Baseline' → baseline, '3 bulan' → month 3, "
            "'M6' → month 6",
        )
    ]


def test_visit_dates_place_visits_by_days_since_the_first():
    rows = [
        ["patient_id", "Tanggal", "vas"],
        ["P1", "03/02/2025", 7],
        ["P1", dt.datetime(2025, 5, 5), 5],
        ["P1", "04/08/2025", 4],
        ["P2", "10/02/2025", 6],
        ["P2", "31/02/2025", 3],
    ]
    study = _load(rows)
    # P1: 3 Feb -> 5 May is 91 days (month 3), -> 4 Aug is 182 days (month 6)
    assert study.visits.loc[study.visits["patient_id"] == "P1", "month"].tolist() == [0.0, 3.0, 6.0]
    assert study.visits["day"].tolist()[:3] == [0.0, 91.0, 182.0]
    errors = [(f.row, f.column, f.value) for f in study.errors]
    assert (6, "Tanggal", "31/02/2025") in errors


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("15/01/2026", dt.date(2026, 1, 15)),
        ("5-3-2025", dt.date(2025, 3, 5)),
        ("2025-03-05", dt.date(2025, 3, 5)),
        (dt.datetime(2025, 1, 2, 10, 0), dt.date(2025, 1, 2)),
        (45658.0, dt.date(2025, 1, 1)),
        ("31/02/2025", None),
        ("kemarin", None),
        (7, None),
    ],
)
def test_parse_date(raw, expected):
    assert parse_date(raw) == expected


# --- REDCap ----------------------------------------------------------------------------------------------


def test_redcap_repeating_instrument_rows_are_kept_apart_and_the_dag_ignored():
    rows = [
        [
            "record_id",
            "redcap_event_name",
            "redcap_repeat_instrument",
            "redcap_repeat_instance",
            "redcap_data_access_group",
            "vas",
        ],
        ["1", "baseline_arm_1", "", "", "site_a", 7],
        ["1", "month_6_arm_1", "", "", "site_a", 4],
        ["1", "month_6_arm_1", "adverse_events", "1", "site_a", ""],
    ]
    study = load_study([("r.csv", csv_bytes(rows))], protocol=default_protocol())
    assert study.visits["vas"].tolist() == [7.0, 4.0] and study.errors == ()
    (apart,) = [f for f in study.findings if f.code is Code.REDCAP_INSTRUMENT_APART and f.row == 4]
    assert "repeating instrument 'adverse_events'" in apart.message


def test_a_redcap_checkbox_named_in_the_mapping_profile_is_read_as_that_field():
    """Issue 23, item 7: the option codes of a checkbox ("infeksi___1", "infeksi___2") mean nothing to MedPath, so
    they are left out with a warning; named in a profile, each is read as its field (raw export: 1 = checked)."""
    rows = [
        ["record_id", "redcap_event_name", "umur", "jenis_kelamin", "infeksi___1", "infeksi___2", "vas"],
        ["1", "screening_arm_1", 61, "P", 0, 1, ""],
        ["1", "baseline_arm_1", "", "", "", "", 7],
        ["1", "month_6_arm_1", "", "", "", "", 4],
    ]
    files = [("r.csv", csv_bytes(rows))]
    plain = load_study(files, protocol=default_protocol())
    assert [f.value for f in plain.findings if f.code is Code.REDCAP_CHECKBOX_UNUSED] == ["infeksi___1, infeksi___2"]
    assert plain.screening[["hbsag", "hiv"]].isna().all(axis=None)
    profile = Profile(columns={"infeksi___1": "hbsag", "infeksi___2": "hiv"})
    named = load_study(files, mapping=profile, protocol=default_protocol())
    assert not [f for f in named.findings if f.code is Code.REDCAP_CHECKBOX_UNUSED]
    assert named.screening[["hbsag", "hiv"]].iloc[0].tolist() == [False, True]
    assert named.visits["vas"].tolist() == [7.0, 4.0]


def test_hidden_sheets_are_left_out_by_arrange():
    table = _raw(["patient_id", "visit", "vas"], [["P1", "baseline", 7]])
    from dataclasses import replace

    out = arrange([replace(table, hidden=True)], schema_of(default_protocol()))
    (hidden,) = out.findings
    assert out.tables == [] and hidden.code is Code.SHEET_HIDDEN and "hidden in Excel" in hidden.message


def test_screening_columns_repeated_in_the_visits_sheet_do_not_make_a_second_screening_table():
    screening = [["patient_id", "Umur", "Jenis kelamin"], ["P1", 61, "P"], ["P2", 55, "P"]]
    visits = [
        ["patient_id", "Umur", "Jenis kelamin", "visit", "vas"],
        ["P1", 61, "P", "baseline", 7],
        ["P1", 61, "P", "month 6", 4],
    ]
    study = load_study(
        [("f.xlsx", xlsx_bytes({"screening": screening, "visits": visits}))], protocol=default_protocol()
    )
    assert study.errors == () and study.screening["patient_id"].tolist() == ["P1", "P2"]
    assert study.visits["vas"].tolist() == [7.0, 4.0]
    (unused,) = [f for f in study.findings if f.code is Code.LAYOUT_READ_AS]
    assert "the screening columns of this sheet ('Umur', 'Jenis kelamin') were not used" in unused.message


def test_a_long_sheet_with_screening_columns_on_each_visit_row_gives_one_screening_row_per_patient():
    rows = [
        ["patient_id", "Umur", "Jenis kelamin", "visit", "vas"],
        ["P1", 61, "P", "baseline", 7],
        ["P1", 61, "P", "month 6", 4],
        ["P2", 50, "P", "baseline", 5],
    ]
    study = _load(rows)
    assert study.errors == () and study.screening["patient_id"].tolist() == ["P1", "P2"]
    assert len(study.visits) == 3


def test_in_a_redcap_export_the_record_id_is_the_patient_id():
    rows = [
        ["record_id", "redcap_event_name", "subject_id", "vas"],
        ["1", "baseline_arm_1", "MSC-01", 7],
        ["1", "month_6_arm_1", "", 4],
    ]
    study = load_study([("r.csv", csv_bytes(rows))], protocol=default_protocol())
    assert study.visits["patient_id"].tolist() == ["1", "1"] and study.errors == ()
    (record_id,) = [f for f in study.findings if f.code is Code.REDCAP_RECORD_ID]
    assert "'subject_id' not used as the id" in record_id.message


def test_a_screening_date_does_not_make_a_screening_table_a_visits_table():
    rows = [["patient_id", "Tanggal", "Umur", "Jenis kelamin", "T-score"], ["P1", "03/02/2025", 61, "P", -3.0]]
    study = load_study(
        [("f.xlsx", xlsx_bytes({"Pasien": rows, "visits": visits_rows(1, "P")}))], protocol=default_protocol()
    )
    assert study.screening["age"].tolist() == [61.0]


def test_tables_split_from_a_csv_file_have_no_sheet():
    rows = [
        ["record_id", "redcap_event_name", "umur", "jenis_kelamin", "vas"],
        ["1", "screening_arm_1", 60, "P", ""],
        ["1", "baseline_arm_1", "", "", 7],
    ]
    study = load_study([("r.csv", csv_bytes(rows))], protocol=default_protocol())
    assert study.screening["source_sheet"].tolist() == [None] and study.visits["source_sheet"].tolist() == [None]
    assert {f.sheet for f in study.findings} == {None}


def test_a_redcap_labels_export_whose_record_field_has_its_own_label():
    rows = [
        ["ID Pasien", "Event Name", "Umur", "Jenis kelamin", "VAS (0-10)"],
        ["MSC-01", "Screening (Arm 1: Main)", 61, "Perempuan", ""],
        ["MSC-01", "Baseline (Arm 1: Main)", "", "", 7],
        ["MSC-01", "Month 6 (Arm 1: Main)", "", "", 4],
    ]
    study = load_study([("labels.csv", csv_bytes(rows))], protocol=default_protocol())
    assert study.screening["age"].tolist() == [61.0]
    assert study.visits["visit"].tolist() == ["baseline", "month 6"] and study.visits["vas"].tolist() == [7.0, 4.0]


def test_the_analysed_region_of_a_dxa_report_is_the_protocols_not_the_codes():
    """Issue 26, item 9: the region read (the L1-L4 total for NCT04501354) is the protocol's ``dxa_site``; a
    protocol that analyses the total hip reads that column of the same report, and a hip report without it is
    read from the femoral neck or the spine."""
    from dataclasses import replace

    hip, tscore = default_protocol(), default_protocol().outcomes["bmd_tscore"]
    tscore = replace(tscore, dxa_site="total hip", aliases=(*tscore.aliases, "total hip t-score"))  # as its file says
    hip = replace(hip, outcomes={**hip.outcomes, "bmd_tscore": tscore})
    header = ["patient_id", "visit", "T-score L1-L4", "Total hip T-score", "Femoral neck T-score", "vas"]
    study = load_study(
        [("f.xlsx", xlsx_bytes({"visits": [header, ["P1", "baseline", -3.0, -1.5, -2.0, 7]]}))], protocol=hip
    )
    assert study.visits["bmd_tscore"].tolist() == [-1.5] and study.errors == ()
    (chosen,) = [f for f in study.findings if f.code is Code.COLUMN_CHOSEN]
    assert "the protocol's spine BMD T-score is the total hip region" in chosen.message
    header = ["patient_id", "visit", "Femoral neck T-score", "T-score L1-L4", "vas"]
    study = load_study([("f.xlsx", xlsx_bytes({"visits": [header, ["P1", "baseline", -2.0, -3.0, 7]]}))], protocol=hip)
    assert math.isnan(study.visits["bmd_tscore"].iloc[0])
    (error,) = study.errors
    assert error.code is Code.COLUMN_REGION_NOT_ANALYSED
    assert "of the total hip region" in error.message and "rename it 'T-score total hip'" in error.message
