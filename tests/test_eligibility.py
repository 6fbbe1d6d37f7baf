"""Eligibility criteria of NCT04501354 on hand-built candidates, every boundary included."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pandas as pd
import pytest

from medpath.eligibility import COMPLETED, PRIMARY_VISIT, criteria, evaluate, follow_up, reasons_table
from medpath.protocol import bundled, default_protocol

PROTOCOL = default_protocol()
CRITERIA = criteria(PROTOCOL)
FOLLOW_UP = follow_up(PROTOCOL)
OUTCOMES = PROTOCOL.outcomes
SCREENING_COLUMNS = PROTOCOL.screening_columns
VISIT_COLUMNS = PROTOCOL.visit_columns
HISTORY_COLUMNS = PROTOCOL.fields_of_kind("yes_no")
INFECTION_COLUMNS = PROTOCOL.fields_of_kind("test")

FLAGS = HISTORY_COLUMNS + INFECTION_COLUMNS
#: The trial's registry record (ClinicalTrials.gov NCT04501354), kept beside the protocol file.
PROTOCOL_FILE = Path(__file__).resolve().parent.parent / "medpath" / "protocols" / "NCT04501354.txt"


def candidate(pid: str, **values) -> dict:
    """An eligible, not (yet) enrolled woman of 60 with osteoporosis; ``values`` override."""
    row = {"patient_id": pid, "sex": "F", "age": 60.0, "bmd_tscore": -3.0}
    row |= dict.fromkeys(FLAGS, False) | {"consent": "signed", "enrolled": False}
    return row | values


def screening(*rows: dict) -> pd.DataFrame:
    """A canonical screening table (model.py schema); None becomes NA."""
    table = pd.DataFrame(list(rows), columns=list(SCREENING_COLUMNS))
    table["patient_id"] = table["patient_id"].astype(str)
    table["sex"] = table["sex"].astype("string")
    table["consent"] = table["consent"].astype("string")
    table[["age", "bmd_tscore"]] = table[["age", "bmd_tscore"]].astype(float)
    for column in (*FLAGS, "enrolled"):
        table[column] = table[column].astype("boolean")
    rows_in_excel = range(2, len(table) + 2)
    return table.assign(source_file="screening.xlsx", source_sheet="Screening", source_row=rows_in_excel)


def visits(*rows: tuple[str, float, float | None, float | None]) -> pd.DataFrame:
    """A canonical visits table from (patient_id, month, bmd_tscore, vas) rows."""
    records = [
        {"patient_id": pid, "visit": "baseline" if month == 0 else f"month {month:g}", "month": float(month)}
        | {k: float("nan") for k in OUTCOMES}
        | {"bmd_tscore": float("nan") if t is None else t, "vas": float("nan") if vas is None else vas}
        for pid, month, t, vas in rows
    ]
    table = pd.DataFrame(records, columns=list(VISIT_COLUMNS))
    return table.assign(source_file="visits.csv", source_sheet=None, source_row=range(2, len(table) + 2))


def followed(*pids: str) -> pd.DataFrame:
    """Visits of patients seen at baseline and at month 6 with both primary outcomes."""
    return visits(*[row for pid in pids for row in ((pid, 0, -3.1, 7.0), (pid, 6, -2.8, 4.0))])


NO_VISITS = visits()


def verdict(criterion_id: str, **values) -> bool | None:
    """How one candidate with ``values`` fares on one criterion: True met, False not, None unknown. A second,
    complete candidate keeps every column read (a column holding no value at all makes its criterion not
    determinable: ``test_a_criterion_without_any_value_is_not_determinable``)."""
    table = screening(candidate("C1", **values), candidate("C0"))
    row = evaluate(table, NO_VISITS, protocol=PROTOCOL).candidates.iloc[0]
    if criterion_id in row["failed"]:
        return False
    return None if criterion_id in row["unknown"] else True


# --- one criterion at a time, on its boundaries ------------------------------------------------


@pytest.mark.parametrize(
    ("sex", "age", "expected"),
    [
        ("M", 50.0, False),  # "older than 50": 50 is not older
        ("M", 51.0, True),
        ("F", 40.0, False),  # "older than 40": 40 is not older
        ("F", 41.0, True),
        ("F", 19.0, False),  # under 20, and not older than 40
        ("M", 20.0, False),
        ("F", 20.0, False),
        (None, 45.0, None),  # a woman would pass, a man would not
        (None, 50.0, None),  # a woman would pass, a man would not
        (None, 51.0, True),  # older than 50: passes for either sex
        (None, 40.0, False),  # fails for either sex
        (None, 19.0, False),
        ("M", None, None),
        ("F", None, None),
        (None, None, None),
    ],
)
def test_age_and_sex_boundaries(sex, age, expected):
    assert verdict("age_sex", sex=sex, age=age) is expected


@pytest.mark.parametrize(
    ("tscore", "expected"),
    [(-2.5, True), (-2.4, False), (-2.51, True), (-4.0, True), (-1.0, False), (None, None)],
)
def test_bmd_confirmed_uses_who_osteoporosis_threshold(tscore, expected):
    assert verdict("bmd_confirmed", bmd_tscore=tscore) is expected


FLAG_CRITERION = {c: crit.id for crit in CRITERIA for c in crit.columns if c in FLAGS}


def test_every_yes_no_column_belongs_to_one_criterion():
    assert set(FLAG_CRITERION) == set(FLAGS)


@pytest.mark.parametrize("column", FLAGS)
@pytest.mark.parametrize(("value", "expected"), [(True, False), (False, True), (None, None)])
def test_each_yes_no_value(column, value, expected):
    assert verdict(FLAG_CRITERION[column], **{column: value}) is expected


def test_one_missing_infection_test_is_unknown_but_a_positive_one_still_fails():
    assert verdict("no_active_infection", cmv=None) is None
    assert verdict("no_active_infection", cmv=None, hiv=True) is False
    assert verdict("no_excluded_medication", corticosteroid=None, anticoagulant=True) is False


@pytest.mark.parametrize(
    ("consent", "expected"), [("signed", True), ("declined", False), ("pending", False), (None, None)]
)
def test_consent(consent, expected):
    assert verdict("consented", consent=consent) is expected


@pytest.mark.parametrize(("enrolled", "expected"), [(True, True), (False, False), (None, None)])
def test_enrolled(enrolled, expected):
    assert verdict("enrolled", enrolled=enrolled) is expected


def test_completed_needs_enrolment_and_a_month_6_primary_outcome():
    table = screening(
        candidate("A", enrolled=True),
        candidate("B", enrolled=True),
        candidate("C", enrolled=True),
        candidate("D", enrolled=False),
    )
    seen = visits(
        ("A", 0, -3.0, 7.0),
        ("A", 6, None, 3.0),  # VAS alone is a primary outcome
        ("B", 0, -3.0, 7.0),
        ("B", 3, -2.9, 5.0),
        ("B", 6, None, None),  # month 6 measured nothing
        ("D", 0, -3.0, 7.0),
        ("D", 6, -2.9, 5.0),
    )
    candidates = evaluate(table, seen, protocol=PROTOCOL).candidates.set_index("patient_id")
    # D is marked not enrolled but has visit rows: enrolled (the visits say so), and measured at month 6
    assert [COMPLETED in failed for failed in candidates["failed"]] == [False, True, True, False]


# --- the whole funnel on a hand-counted table ---------------------------------------------------

SCREENING = screening(
    candidate("C01", enrolled=True),
    candidate("C02", enrolled=True),  # month-6 row without primary outcomes
    candidate("C03", sex="M", age=50.0),
    candidate("C04", sex="F", age=40.0),
    candidate("C05", age=19.0, corticosteroid=True, hiv=True),  # three reasons
    candidate("C06", bmd_tscore=-2.4),
    candidate("C07", bmd_tscore=None),
    candidate("C08", autoimmune_disease=True),
    candidate("C09", cmv=None),
    candidate("C10", consent="declined"),
    candidate("C11", consent="pending"),
    candidate("C12"),  # eligible, not enrolled
    candidate("C13", enrolled=True),
)
VISITS = pd.concat([followed("C01", "C13"), visits(("C02", 0, -3.0, 6.0), ("C02", 6, None, None))])


@pytest.fixture(scope="module")
def result():
    return evaluate(SCREENING, VISITS, protocol=PROTOCOL)


def test_funnel_order_and_sequential_counts(result):
    assert [(s.id, s.n) for s in result.steps] == [
        ("screened", 13),
        ("age_sex", 10),
        ("bmd_confirmed", 8),
        ("no_excluded_disease", 7),
        ("no_excluded_medication", 7),
        ("no_active_infection", 6),
        ("no_paralysis_after_surgery", 6),
        ("consented", 4),
        ("enrolled", 3),
        (COMPLETED, 2),
    ]


def test_exclusions_count_only_those_dropping_out_at_the_step(result):
    steps = {s.id: s for s in result.steps}
    assert steps["age_sex"].excluded == {"male ≤ 50 y": 1, "female ≤ 40 y": 1, "under 20 y": 1}
    assert (steps["bmd_confirmed"].excluded, steps["bmd_confirmed"].unknown) == ({"T-score > −2.5": 1}, 1)
    assert steps["no_excluded_medication"].excluded == {}  # C05 already left at age_sex
    assert (steps["no_active_infection"].excluded, steps["no_active_infection"].unknown) == ({}, 1)
    assert steps["consented"].excluded == {"consent declined": 1, "consent pending": 1}
    assert steps["enrolled"].excluded == {"not enrolled": 1}
    assert steps[COMPLETED].excluded == {"no month-6 primary outcome": 1}
    for before, step in zip(result.steps, result.steps[1:]):
        assert before.n - step.n == step.dropped


def test_every_failed_criterion_is_listed(result):
    c05 = result.candidates.set_index("patient_id").loc["C05"]
    three = ["age_sex", "no_excluded_medication", "no_active_infection"]
    assert c05["failed"] == [*three, "enrolled", COMPLETED]  # C05 is not enrolled either
    assert c05["unknown"] == []
    assert c05["first_exclusion"] == "age_sex"


def test_candidate_table(result):
    table = result.candidates.set_index("patient_id")
    assert list(table.columns) == ["eligible", "failed", "unknown", "enrolled", "first_exclusion"]
    assert str(table["eligible"].dtype) == "boolean"
    assert list(table.index[table["eligible"]]) == ["C01", "C02", "C12", "C13"]
    assert table.loc["C07", "unknown"] == ["bmd_confirmed"]
    assert table.loc["C09", "unknown"] == ["no_active_infection"]
    assert not table.loc["C07", "eligible"]  # unknown never counts as passing
    assert table.loc["C12", "first_exclusion"] == "enrolled"
    assert table.loc["C02", "first_exclusion"] == COMPLETED
    assert pd.isna(table.loc["C01", "first_exclusion"])


def test_reasons_table_counts_all_candidates(result):
    reasons = reasons_table(result).set_index("criterion")
    assert list(reasons.columns) == ["label", "failed", "unknown"]
    assert list(reasons.index) == [c.id for c in CRITERIA + FOLLOW_UP]
    assert reasons.loc["age_sex", "failed"] == 3
    assert reasons.loc["no_excluded_medication", "failed"] == 1  # C05, excluded earlier in the funnel
    assert tuple(reasons.loc["bmd_confirmed", ["failed", "unknown"]]) == (1, 1)
    assert tuple(reasons.loc["no_active_infection", ["failed", "unknown"]]) == (1, 1)
    assert reasons.loc["enrolled", "failed"] == 10


def test_as_json(result):
    data = json.loads(json.dumps(result.as_json()))
    assert [f["id"] for f in data["funnel"]][:2] == ["screened", "age_sex"]
    assert data["funnel"][0] == {"id": "screened", "label": "Screened", "n": 13, "reason": None}
    first = data["candidates"][0]
    assert first == {"patient_id": "C01", "eligible": True, "failed": [], "unknown": []}


def test_conventions_state_the_boundaries(result):
    text = "\n".join(result.conventions)
    assert "a 50-year-old man is not eligible" in text
    assert "(≤ −2.5" in text
    assert "never counts as passing" in text


def test_no_deviation_when_enrolled_patients_are_eligible(result):
    assert result.deviations == []


# --- protocol deviations ------------------------------------------------------------------------


def test_enrolled_patient_on_corticosteroid_is_a_deviation_and_still_analysed():
    seen = followed("P1", "P2")
    before = seen.copy()
    deviant = candidate("P1", enrolled=True, corticosteroid=True, bmd_tscore=None)
    result = evaluate(screening(deviant, candidate("P2", enrolled=True)), seen, protocol=PROTOCOL)
    [message] = result.deviations
    assert "P1" in message and "P2" not in message
    assert "'No excluded medication' (corticosteroid)" in message  # the protocol's labels, not its ids
    assert "'Osteoporosis on BMD (T-score ≤ −2.5)' (unknown: spine BMD T-score missing)" in message
    assert "still analysed" in message
    pd.testing.assert_frame_equal(seen, before)
    # enrolled is the enrolment recorded: both, P1 a protocol deviation (added to the funnel beside the one eligible)
    steps = {s.id: s for s in result.steps}
    assert [steps[k].n for k in ("consented", "enrolled", COMPLETED)] == [1, 2, 2]
    assert steps["enrolled"].added == {"enrolled without meeting every criterion (protocol deviation)": 1}


def test_visits_without_enrolment_in_the_screening_log_are_reported():
    result = evaluate(screening(candidate("P1", enrolled=False)), followed("P1", "P9"), protocol=PROTOCOL)
    assert len(result.deviations) == 2
    assert "P1" in result.deviations[0] and "not enrolled" in result.deviations[0]
    assert "P9" in result.deviations[1] and "no screening row" in result.deviations[1]


# --- only a visits table ------------------------------------------------------------------------


def test_visits_only_funnel_starts_at_enrolment():
    result = evaluate(None, pd.concat([followed("P1", "P2"), visits(("P3", 0, -3.0, 8.0))]), protocol=PROTOCOL)
    assert [(s.id, s.n) for s in result.steps] == [("enrolled", 3), (COMPLETED, 2)]
    assert result.candidates["eligible"].isna().all()
    assert result.candidates["enrolled"].all()
    assert result.candidates.set_index("patient_id").loc["P3", "failed"] == [COMPLETED]
    assert [c["eligible"] for c in result.as_json()["candidates"]] == [None, None, None]
    assert result.deviations == []
    assert any("No screening log" in c for c in result.conventions)
    assert list(reasons_table(result)["criterion"]) == ["enrolled", COMPLETED]


# --- the criteria as data -----------------------------------------------------------------------


def test_criteria_read_only_canonical_columns():
    for criterion in CRITERIA + FOLLOW_UP:
        assert set(criterion.columns) <= set(SCREENING_COLUMNS) | {PRIMARY_VISIT}, criterion.id
        assert criterion.protocol_text and criterion.label


def test_quoted_protocol_text_is_verbatim():
    protocol = " ".join(PROTOCOL_FILE.read_text(encoding="utf-8").split())
    for criterion in CRITERIA + FOLLOW_UP:
        quotes = re.findall(r'"([^"]+)"', criterion.protocol_text)
        assert quotes, criterion.id
        for quote in quotes:
            assert " ".join(quote.split()) in protocol, (criterion.id, quote)


def test_every_bundled_protocol_quotes_its_own_record_verbatim():
    protocols = bundled()
    assert PROTOCOL.id in protocols and len(protocols) >= 2
    for pid, protocol in protocols.items():
        record = " ".join(protocol.text.split())
        assert record, pid  # every bundled protocol commits its public record
        for criterion in criteria(protocol) + follow_up(protocol):
            quotes = re.findall(r'"([^"]+)"', criterion.protocol_text)
            assert quotes, (pid, criterion.id)
            for quote in quotes:
                assert " ".join(quote.split()) in record, (pid, criterion.id, quote)


def test_candidate_table_filters_by_reason_and_names_criteria(sample_study):
    from medpath.eligibility import candidate_table, evaluate

    eligibility = evaluate(sample_study.screening, sample_study.visits, protocol=PROTOCOL)
    table = candidate_table(eligibility, ["no_active_infection"])
    # sample: HBsAg positive (MSC-09, MSC-26), CMV positive (MSC-20), rubella missing (MSC-27)
    assert list(table["patient_id"]) == ["MSC-09", "MSC-20", "MSC-26", "MSC-27"]
    assert table.set_index("patient_id").loc["MSC-27", "unknown"].startswith("No active infection")
    assert len(candidate_table(eligibility)) == 30


def test_candidate_table_leaves_follow_up_out_of_screen_failures_only(sample_study):
    from medpath.eligibility import candidate_table, evaluate

    table = candidate_table(evaluate(sample_study.screening, sample_study.visits, protocol=PROTOCOL)).set_index(
        "patient_id"
    )
    assert table.loc["MSC-02", "failed"] == "Age: men > 50 y, women > 40 y"  # male aged 50
    assert table.loc["MSC-02", "first_exclusion"] == "Age: men > 50 y, women > 40 y"
    assert table.loc["MSC-28", "failed"] == "Enrolled; Completed 6 months"  # eligible, not enrolled
    assert table.loc["MSC-01", "failed"] == "" and table.loc["MSC-01", "first_exclusion"] == ""


# --- protocol deviations as records, counted by criterion (issue 28) --------------------------------------------


def deviating_study():
    """P1 enrolled on a corticosteroid with no T-score (not met: medication; unknown: BMD); P2 enrolled with a T-score
    of −1 (not met: BMD); P3 enrolled without an HIV result (unknown: infection); P4 enrolled and eligible; P5 a screen
    failure (T-score −1) not enrolled and without visits; P6 eligible with visit rows but marked not enrolled; P7
    enrolled with a positive CMV test and a T-score of −2 (not met: BMD and infection); P9 with visit rows and no
    screening row."""
    rows = (
        candidate("P1", enrolled=True, corticosteroid=True, bmd_tscore=None),
        candidate("P2", enrolled=True, bmd_tscore=-1.0),
        candidate("P3", enrolled=True, hiv=None),
        candidate("P4", enrolled=True),
        candidate("P5", bmd_tscore=-1.0),
        candidate("P6", enrolled=False),
        candidate("P7", enrolled=True, cmv=True, bmd_tscore=-2.0),
    )
    return evaluate(screening(*rows), followed("P1", "P2", "P3", "P4", "P6", "P7", "P9"), protocol=PROTOCOL)


def test_deviations_are_counted_by_criterion_by_hand():
    """BMD: not met P2, P7 (2), unknown P1 (1); medication: not met P1 (1); infection: not met P7 (1), unknown P3 (1).
    In the protocol's order; criteria without a deviation have no row."""
    from medpath.eligibility import deviation_counts

    counts = deviation_counts(deviating_study())
    assert counts["criterion"].tolist() == ["bmd_confirmed", "no_excluded_medication", "no_active_infection"]
    assert counts["not_met"].tolist() == [2, 1, 1]
    assert counts["unknown"].tolist() == [1, 0, 1]
    assert counts["label"].tolist()[0] == "Osteoporosis on BMD (T-score ≤ −2.5)"


def test_deviation_records_sentences_and_summary_agree():
    """Records in screening order (P1's two, P2, P3, P6, P7's two), then P9; the sentences are one per patient and
    kind as before; the summary: 4 deviant patients (P1, P2, P3, P7), 3 failing one (P1, P2, P7), 1 only unknown
    (P3), 1 not marked enrolled (P6), 1 not screened (P9)."""
    from medpath.deviations import Kind, deviation_table, summary_sentences

    result = deviating_study()
    records = result.deviation_records
    assert [(r.patient_id, r.kind, r.criterion) for r in records] == [
        ("P1", Kind.UNKNOWN, "bmd_confirmed"),
        ("P1", Kind.NOT_MET, "no_excluded_medication"),
        ("P2", Kind.NOT_MET, "bmd_confirmed"),
        ("P3", Kind.UNKNOWN, "no_active_infection"),
        ("P6", Kind.NOT_MARKED_ENROLLED, ""),
        ("P7", Kind.NOT_MET, "bmd_confirmed"),
        ("P7", Kind.NOT_MET, "no_active_infection"),
        ("P9", Kind.NOT_SCREENED, ""),
    ]
    assert [m.split()[:4] for m in result.deviations] == [
        ["Protocol", "deviation:", "patient", "P1"],
        ["Protocol", "deviation:", "patient", "P2"],
        ["Protocol", "deviation:", "patient", "P3"],
        ["Patient", "P6", "has", "visit"],
        ["Protocol", "deviation:", "patient", "P7"],
        ["Patient", "P9", "has", "visit"],
    ]
    assert result.deviations[2] == (
        "Protocol deviation: patient P3 is enrolled but does not meet 'No active infection' (unknown: HIV test "
        "missing). The patient is still analysed."
    )
    assert "'No active infection' (CMV positive)" in result.deviations[4]
    assert result.deviation_notes == ()
    first, enrolment, unscreened = summary_sentences(records)
    assert first.startswith("Protocol deviations: 4 enrolled patient(s) do not meet every criterion (3 fail at least")
    assert "1 are not determinable" in first
    assert enrolment.startswith("1 patient(s) have visit rows but the screening log does not say")
    assert unscreened.startswith("1 patient(s) have visit rows but no screening row")
    listed = deviation_table(records)
    assert len(listed) == 8 and listed["finding"].tolist().count("not met") == 4
    assert listed.set_index(["patient_id", "deviation"]).loc[("P6", "Enrolment"), "detail"] == "not enrolled"
