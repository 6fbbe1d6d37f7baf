"""Adverse-event and disposition sheets (medpath.pipeline.layout.extra_tables, medpath.adverse_events, medpath.disposition):
hand-counted tables of the sample, and a finding with file, sheet, Excel row, column and value for every problem.

The sample's events are scripts/make_sample.py's ADVERSE_EVENTS (Excel rows 2-8 of sheet adverse_events):

    row 2 MSC-01 Fever                  month 0  grade 1  not serious  probable
    row 3 MSC-01 Infusion site reaction month 0  grade 1  not serious  definite
    row 4 MSC-08 Fever                  month 0  grade 2  not serious  probable
    row 5 MSC-08 Back pain              month 3  grade 2  not serious  unlikely
    row 6 MSC-15 Pneumonia              month 4  grade 3  SERIOUS      unrelated
    row 7 MSC-23 Fever                  month 0  grade 1  not serious  probable
    row 8 MSC-23 Rash                   month 1  grade 1  not serious  possible
"""

from __future__ import annotations

import pandas as pd
import pytest
from conftest import SCREENING_HEADER, csv_bytes, screening_row, visits_rows, xlsx_bytes

from medpath.adverse_events import ae_summary, grade_relatedness_matrix, grade_relatedness_table, listing
from medpath.findings import Code
from medpath.protocol import default_protocol
from medpath.study import load_study

AE_HEADER = ["patient_id", "term", "onset", "grade", "serious", "relatedness", "outcome"]


def _study(ae_rows=None, disposition_rows=None, n=3):
    sheets = {
        "screening": [SCREENING_HEADER, *(screening_row(f"P{i}") for i in range(1, n + 1))],
        "visits": visits_rows(n),
    }
    if ae_rows is not None:
        sheets["Adverse events"] = [AE_HEADER, *ae_rows]
    if disposition_rows is not None:
        sheets["disposition"] = [["patient_id", "status", "reason", "date"], *disposition_rows]
    return load_study([("t.xlsx", xlsx_bytes(sheets))], protocol=default_protocol())


def _places(study):
    return [(f.severity, f.sheet, f.row, f.column, f.value) for f in study.findings]


def test_sample_events_are_read_without_findings(sample_study):
    ae = sample_study.adverse_events
    assert sample_study.findings == ()
    assert ae["source_row"].tolist() == [2, 3, 4, 5, 6, 7, 8]
    assert ae["patient_id"].tolist() == ["MSC-01", "MSC-01", "MSC-08", "MSC-08", "MSC-15", "MSC-23", "MSC-23"]
    assert ae["grade"].tolist() == [1, 1, 2, 2, 3, 1, 1]
    assert ae["serious"].tolist() == [False, False, False, False, True, False, False]


def test_sample_summary_matches_a_hand_count(sample_study):
    """7 events (rows 2-8); patients with an event: MSC-01, 08, 15, 23 = 4 (MSC-04 has none); serious: row 6 only.

    By grade x relatedness (events; patients counted once per relatedness at their worst grade there):
      grade 1 probable: rows 2 and 7 -> 2 events, 2 patients (MSC-01, MSC-23)
      grade 1 definite: row 3; grade 1 possible: row 8; grade 2 probable: row 4; grade 2 unlikely: row 5;
      grade 3 unrelated: row 6 -> 1 event, 1 patient each
      any: worst grade MSC-01 1, MSC-23 1, MSC-08 2, MSC-15 3 -> grade 1: 2 patients, 4 events (rows 2, 3, 7, 8);
      grade 2: 1 patient, 2 events (rows 4, 5); grade 3: 1 patient, 1 event."""
    summary = ae_summary(sample_study.adverse_events)
    assert (summary["events"], summary["patients"], summary["serious"], summary["serious_patients"]) == (7, 4, 1, 1)
    cells = {(c["grade"], c["relatedness"]): (c["patients"], c["events"]) for c in summary["by_grade_relatedness"]}
    assert cells == {
        (1, "possible"): (1, 1),
        (1, "probable"): (2, 2),
        (2, "probable"): (1, 1),
        (1, "definite"): (1, 1),
        (2, "unlikely"): (1, 1),
        (3, "unrelated"): (1, 1),
        (1, "any"): (2, 4),
        (2, "any"): (1, 2),
        (3, "any"): (1, 1),
    }
    matrix = grade_relatedness_matrix(grade_relatedness_table(sample_study.adverse_events)).set_index("CTCAE grade")
    assert matrix.loc["1 (mild)", "probable"] == "2 (2)" and matrix.loc["3 (severe)", "any"] == "1 (1)"
    assert matrix.loc["5 (death)"].tolist() == ["0"] * 6


def test_listing_orders_by_patient_and_onset(sample_study):
    shown = listing(sample_study.adverse_events, sample_study.protocol.intervention_event)
    assert shown[["patient_id", "term"]].values.tolist()[-2:] == [["MSC-23", "Fever"], ["MSC-23", "Rash"]]
    assert shown.loc[shown["serious"] == "yes", "term"].tolist() == ["Pneumonia"]
    assert shown["onset"].tolist()[0] == "month 0 (infusion)"  # the protocol's intervention.event
    assert listing(sample_study.adverse_events)["onset"].tolist()[0] == "month 0"


def test_no_sheet_means_none_not_zero():
    study = _study()
    assert study.adverse_events is None and study.disposition is None
    assert ae_summary(study.adverse_events) is None


def test_bad_values_cost_the_value_with_a_finding_naming_the_place():
    """Excel rows: 2 good; 3 repeats row 2 (not counted again); 4 bad grade, seriousness, relatedness and outcome;
    5 no patient id (row left out); 6 grade 5 recorded as not serious."""
    study = _study(
        [
            ["P1", "Fever", "day 1", 1, "no", "probable", "recovered"],
            ["P1", "Fever", "day 1", 1, "no", "probable", "recovered"],
            ["P2", "Rash", 2, 7, "maybe", "related", "gone"],
            [None, "Headache", 1, 1, "no", "possible", "recovered"],
            ["P3", "Sepsis", "month 5", "Grade 5", "no", "unrelated", "fatal"],
        ]
    )
    assert _places(study) == [
        ("error", "Adverse events", 4, "grade", 7),
        ("error", "Adverse events", 4, "serious", "maybe"),
        ("error", "Adverse events", 4, "relatedness", "related"),
        ("error", "Adverse events", 4, "outcome", "gone"),
        ("error", "Adverse events", 5, "patient_id", ""),  # a blank cell reads as ""
        ("error", "Adverse events", 3, "term", "Fever"),
        ("warning", "Adverse events", 6, "serious", "no"),
    ]
    assert study.excluded_rows["adverse_events"] == 2  # rows 3 and 5
    ae = study.adverse_events
    assert ae["source_row"].tolist() == [2, 4, 6]
    assert ae["grade"].tolist()[1] is pd.NA and ae["onset_month"].tolist() == pytest.approx(
        [1 / 30.4375, 2.0, 5.0]
    )  # "day 1": exactly one day
    assert ae_summary(ae)["events"] == 3


def test_a_cell_repeated_down_a_column_is_read_once_but_each_row_keeps_its_finding():
    """Each column's distinct cells are read once (``parse_rows``): a bad grade met again is still an error in every
    Excel row it is in (7 as a number in rows 2, 3 and 7; "2.5" as text in rows 5 and 6), and each of those rows keeps
    its other values."""
    study = _study(
        [
            ["P1", "Fever", 1, 7, "no", "possible", "recovered"],
            ["P2", "Fever", 1, 7, "no", "possible", "recovered"],
            ["P3", "Rash", 2, 2, "yes", "possible", "recovered"],
            ["P1", "Rash", 3, "2.5", "no", "possible", "recovered"],
            ["P2", "Rash", 3, "2.5", "no", "possible", "recovered"],
            ["P3", "Cough", 4, 7, "no", "possible", "recovered"],
        ]
    )
    bad = [(f.row, f.column, f.value) for f in study.findings if f.code == Code.VALUE_INVALID]
    assert bad == [(2, "grade", 7), (3, "grade", 7), (5, "grade", "2.5"), (6, "grade", "2.5"), (7, "grade", 7)]
    ae = study.adverse_events
    assert ae["source_row"].tolist() == [2, 3, 4, 5, 6, 7]  # a bad grade costs the value, not the row
    assert ae["grade"].tolist()[2] == 2 and sum(g is pd.NA for g in ae["grade"]) == 5
    assert ae["serious"].tolist() == [False, False, True, False, False, False]


def test_redcap_repeating_instrument_feeds_the_adverse_events():
    rows = [
        [
            "record_id",
            "redcap_event_name",
            "redcap_repeat_instrument",
            "redcap_repeat_instance",
            "bmd_tscore",
            "vas",
            "ae_term",
            "ae_grade",
            "ae_onset",
            "ae_serious",
            "ae_related",
            "ae_outcome",
        ],
        ["P1", "baseline_arm_1", "", "", -3, 7, "", "", "", "", "", ""],
        ["P1", "month_6_arm_1", "", "", -2.8, 5, "", "", "", "", "", ""],
        ["P1", "baseline_arm_1", "adverse_events", 1, "", "", "Fever", 1, "day 1", "no", "probable", "recovered"],
    ]
    study = load_study([("redcap.csv", csv_bytes(rows))], protocol=default_protocol())
    assert not study.errors
    assert study.adverse_events["term"].tolist() == ["Fever"] and study.adverse_events["source_row"].tolist() == [4]
    assert len(study.visits) == 2  # the AE row is not a visit
    assert any(
        "repeating instrument 'adverse_events' (1 row(s)) → the adverse events table" in f.message
        for f in study.warnings
    )


def test_disposition_sample_and_checks(sample_study):
    assert sample_study.disposition["status"].tolist() == ["completed"] * 5
    study = _study(
        disposition_rows=[
            ["P1", "completed", None, "01/02/2021"],
            ["P2", "lost", None, None],
            ["P2", "completed", None, None],
            ["P3", "bogus", "x", "xx"],
        ]
    )
    assert _places(study) == [
        ("error", "disposition", 5, "status", "bogus"),
        ("error", "disposition", 5, "date", "xx"),
        ("warning", "disposition", 3, "reason", ""),  # lost to follow-up without a reason
        ("error", "disposition", 4, "patient_id", "P2"),  # a second row for P2
    ]
    assert study.disposition["status"].tolist()[:2] == ["completed", "lost to follow-up"]
    assert study.excluded_rows["disposition"] == 1
