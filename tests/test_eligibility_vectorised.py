"""The column-wise eligibility rules against a plain row-by-row reading of the protocol's criteria
(the conventions in ``medpath.eligibility``), on random candidates with every kind of missing value."""

from __future__ import annotations

import random

import pytest
from test_eligibility import followed, screening

from medpath.eligibility import COMPLETED, criteria, evaluate
from medpath.protocol import default_protocol

PROTOCOL = default_protocol()
CRITERIA = criteria(PROTOCOL)
HISTORY_COLUMNS = PROTOCOL.fields_of_kind("yes_no")
INFECTION_COLUMNS = PROTOCOL.fields_of_kind("test")
SCREENING_COLUMNS = PROTOCOL.screening_columns

FLAG_GROUPS = {c.id: c.columns for c in CRITERIA if set(c.columns) <= set(HISTORY_COLUMNS + INFECTION_COLUMNS)}


def _and(values):
    if False in values:
        return False
    return None if None in values else True


def expected_verdicts(row: dict, has_primary_visit: bool) -> dict:
    """Each criterion by hand: True met, False not met, None unknown (here every patient with visits has a primary
    visit, and a patient with visits is enrolled whatever the log says)."""
    age, sex, tscore = row["age"], row["sex"], row["bmd_tscore"]
    if age is None:
        age_sex = None
    elif age < 20:
        age_sex = False
    elif sex in ("M", "F"):
        age_sex = age > {"M": 50, "F": 40}[sex]
    else:
        age_sex = False if age <= 40 else (True if age > 50 else None)
    verdicts = {"age_sex": age_sex, "bmd_confirmed": None if tscore is None else tscore <= -2.5}
    for criterion, columns in FLAG_GROUPS.items():
        verdicts[criterion] = _and([None if row[c] is None else not row[c] for c in columns])
    verdicts["consented"] = None if row["consent"] is None else row["consent"] == "signed"
    verdicts["enrolled"] = True if has_primary_visit else row["enrolled"]
    verdicts[COMPLETED] = _and([verdicts["enrolled"], has_primary_visit])
    return verdicts


def random_candidate(rng: random.Random, pid: str) -> dict:
    def maybe(value):
        return None if rng.random() < 0.15 else value

    row = {
        "patient_id": pid,
        "sex": maybe(rng.choice("MF")),
        "age": maybe(rng.choice([15, 20, 40, 41, 50, 51, 66])),
        "bmd_tscore": maybe(rng.choice([-3.5, -2.5, -2.4, -1.0])),
        "consent": maybe(rng.choice(["signed", "declined", "pending"])),
        "enrolled": maybe(rng.random() < 0.7),
    }
    return row | {c: maybe(rng.random() < 0.1) for c in HISTORY_COLUMNS + INFECTION_COLUMNS}


@pytest.mark.parametrize("seed", range(5))
def test_column_wise_rules_equal_the_row_by_row_reading(seed):
    rng = random.Random(seed)
    rows = [random_candidate(rng, f"C{i:03d}") for i in range(300)]
    seen = [row["patient_id"] for row in rows if rng.random() < 0.4]
    result = evaluate(screening(*rows), followed(*seen), protocol=PROTOCOL)
    assert list(result.candidates["patient_id"]) == [row["patient_id"] for row in rows]
    reached, counts = list(range(len(rows))), []
    for row, (_, candidate) in zip(rows, result.candidates.iterrows()):
        verdicts = expected_verdicts(row, row["patient_id"] in seen)
        assert candidate["failed"] == [k for k, v in verdicts.items() if v is False], row
        assert candidate["unknown"] == [k for k, v in verdicts.items() if v is None], row
        assert candidate["first_exclusion"] == next((k for k, v in verdicts.items() if v is not True), None)
        assert bool(candidate["eligible"]) == all(verdicts[c.id] is True for c in CRITERIA)
    every = [expected_verdicts(row, row["patient_id"] in seen) for row in rows]
    for step in result.steps[1:-2]:  # the criteria: sequential counts
        reached = [i for i in reached if every[i][step.id] is True]
        counts.append(len(reached))
    # enrolled: the enrolment recorded; completed: the enrolled with a primary visit
    counts += [sum(v["enrolled"] is True for v in every), sum(v[COMPLETED] is True for v in every)]
    assert [s.n for s in result.steps[1:]] == counts
    before, enrolled = result.steps[-3], result.steps[-2]
    assert enrolled.n == before.n - enrolled.dropped + sum(enrolled.added.values())  # the sequential arithmetic
    deviants = [
        row["patient_id"]
        for row in rows
        if (row["enrolled"] or row["patient_id"] in seen)
        and not all(expected_verdicts(row, row["patient_id"] in seen)[c.id] is True for c in CRITERIA)
    ]
    assert [m.split()[3] for m in result.deviations if m.startswith("Protocol deviation")] == deviants


def test_absent_columns_read_as_unknown():
    table = screening(
        {"patient_id": "C1", "sex": "F", "age": 60.0, "bmd_tscore": -3.0, "consent": "signed", "enrolled": True}
    ).drop(columns=["hiv", "consent"])
    assert set(SCREENING_COLUMNS) - set(table) == {"hiv", "consent"}
    candidate = evaluate(table, followed("C1"), protocol=PROTOCOL).candidates.iloc[0]
    assert "no_active_infection" in candidate["unknown"] and "consented" in candidate["unknown"]
    assert candidate["failed"] == []
