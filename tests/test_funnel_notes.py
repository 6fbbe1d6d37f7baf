"""The Overview's explanation of a funnel step that cannot be counted (a column not read) or that leaves candidates
unknown (some values missing): which step, which columns, how many candidates — and "Enrolled" stays the enrolment
recorded, never 0 because a criterion could not be checked."""

from __future__ import annotations

from workbooks import SCREENING_HEADER, screening_row, visits_rows, xlsx_bytes

from medpath.eligibility import evaluate_study
from medpath.funnel_notes import funnel_notes
from medpath.protocol import default_protocol
from medpath.study import load_study


def _study(drop: str | None = None, overrides: dict[int, dict] | None = None):
    header = [h for h in SCREENING_HEADER if h != drop]
    rows = [
        [v for h, v in zip(SCREENING_HEADER, screening_row(f"P{i}", **(overrides or {}).get(i, {}))) if h != drop]
        for i in range(1, 4)
    ]
    return load_study(
        [("trial.xlsx", xlsx_bytes({"screening": [header, *rows], "visits": visits_rows(3)}))],
        protocol=default_protocol(),
    )


def test_a_missing_criterion_column_makes_its_step_not_determinable_and_enrolled_stays_recorded():
    study = _study(drop="hiv")
    eligibility = evaluate_study(study)
    steps = {s.id: s for s in eligibility.steps}
    assert steps["no_active_infection"].n is None
    assert steps["no_active_infection"].reason == "no column for HIV test was read from the screening log"
    assert steps["consented"].n is None  # after it: not determinable either
    assert steps["enrolled"].n == 3  # the enrolment recorded, not 0
    assert funnel_notes(eligibility, study.screening, study.protocol) == [
        "'No active infection' is not determinable: no column for HIV test was read from the screening log, so the "
        "eligibility steps after it cannot be counted either. 'Enrolled' counts the patients recorded as enrolled; "
        "the Data page says which columns were read."
    ]


def test_one_unreadable_value_is_named_without_claiming_the_funnel_is_empty():
    study = _study(overrides={2: {"cmv": "?"}})
    eligibility = evaluate_study(study)
    assert next(s.n for s in eligibility.steps if s.id == "enrolled") == 3  # P2 enrolled: a protocol deviation
    assert next(s.n for s in eligibility.steps if s.id == "consented") == 2
    notes = funnel_notes(eligibility, study.screening, study.protocol)
    assert len(notes) == 1
    assert notes[0].startswith("1 candidate(s) could not be checked on 'No active infection': a value it needs")
    assert "a value it needs (CMV test) is missing" in notes[0]  # only the blank column, not all five tests


def test_complete_data_gives_no_note():
    study = _study()
    assert funnel_notes(evaluate_study(study), study.screening, study.protocol) == []


def test_the_overview_numbers_carry_the_notes():
    from medpath.analysis import analyse
    from medpath.summary import key_numbers

    numbers = key_numbers(analyse(_study(drop="hiv")))
    assert (numbers.screened, numbers.enrolled, numbers.completed) == (3, 3, 3)
    assert numbers.funnel_notes[0].startswith("'No active infection' is not determinable")
