"""The Overview's explanation of an empty funnel: which step, which columns, how many candidates."""

from __future__ import annotations

from workbooks import SCREENING_HEADER, screening_row, visits_rows, xlsx_bytes

from medpath.eligibility import evaluate
from medpath.funnel_notes import funnel_notes
from medpath.study import load_study


def _study(drop: str | None = None, overrides: dict[int, dict] | None = None):
    header = [h for h in SCREENING_HEADER if h != drop]
    rows = [
        [v for h, v in zip(SCREENING_HEADER, screening_row(f"P{i}", **(overrides or {}).get(i, {}))) if h != drop]
        for i in range(1, 4)
    ]
    return load_study([("trial.xlsx", xlsx_bytes({"screening": [header, *rows], "visits": visits_rows(3)}))])


def test_a_missing_criterion_column_explains_why_enrolled_is_zero():
    study = _study(drop="hiv")
    eligibility = evaluate(study.screening, study.visits)
    assert next(s.n for s in eligibility.steps if s.id == "enrolled") == 0
    assert funnel_notes(eligibility, study.screening) == [
        "'Enrolled' is 0 because of missing data, not because candidates failed: 3 candidate(s) could not be "
        "checked on 'No active infection': the screening column(s) for HIV test are missing or hold no readable value. "
        "They are counted as not passing this step; the Data page lists the cells."
    ]


def test_one_unreadable_value_is_named_without_claiming_the_funnel_is_empty():
    study = _study(overrides={2: {"cmv": "?"}})
    eligibility = evaluate(study.screening, study.visits)
    assert next(s.n for s in eligibility.steps if s.id == "enrolled") == 2
    notes = funnel_notes(eligibility, study.screening)
    assert len(notes) == 1
    assert notes[0].startswith("1 candidate(s) could not be checked on 'No active infection': a value it needs")
    assert "a value it needs (CMV test) is missing" in notes[0]  # only the blank column, not all five tests


def test_complete_data_gives_no_note():
    study = _study()
    assert funnel_notes(evaluate(study.screening, study.visits), study.screening) == []


def test_the_overview_numbers_carry_the_notes():
    from medpath.analysis import analyse
    from medpath.summary import key_numbers

    numbers = key_numbers(analyse(_study(drop="hiv")))
    assert numbers.enrolled == 0
    assert numbers.funnel_notes[0].startswith("'Enrolled' is 0 because of missing data")
