"""Eligibility criteria of trial NCT04501354 as data, and the CONSORT-style screening funnel.

Each ``Criterion`` quotes the protocol sentence it comes from (ClinicalTrials.gov NCT04501354,
"Recruitment & Eligibility" and "Primary Outcome Measures") and judges one screened candidate with
three outcomes: ``True`` (met), ``False`` (not met) or ``None`` (unknown: a value it needs is
missing). Unknown never counts as passing and is reported apart from "not met".

Osteoporosis follows the WHO 1994 T-score classes (WHO Technical Report Series 843): normal
T >= -1, osteopenia -2.5 < T < -1, osteoporosis T <= -2.5.

The funnel is sequential: the n of a step counts the candidates who meet that criterion and every
earlier one. Eligibility never removes anything from the analysis: an enrolled patient who fails
(or is unknown on) a criterion is reported as a protocol deviation and still analysed.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from itertools import chain

import pandas as pd

from medpath.model import INFECTION_COLUMNS, OUTCOMES, PRIMARY_MONTH, PRIMARY_OUTCOMES

PROTOCOL = "NCT04501354"

Row = Mapping[str, object]

#: "Male patients older than 50", "Female patients older than 40": strictly older, in years.
OLDER_THAN = {"M": 50, "F": 40}
SEX_WORD = {"M": "male", "F": "female"}
#: "Patients under 20 years old" are excluded.
MINIMUM_AGE = 20
#: WHO 1994: osteoporosis is a T-score at or below -2.5.
OSTEOPOROSIS_TSCORE = -2.5

#: Derived column: the candidate has a PRIMARY_MONTH visit with at least one primary outcome.
PRIMARY_VISIT = "has_primary_visit"

#: How a true yes/no screening value is named in exclusion reasons.
FLAG_LABELS = {
    "autoimmune_disease": "autoimmune disease",
    "osteoporosis_related_disease": "osteoporosis-related disease",
    "osteoporosis_drugs": "osteoporosis-related drugs",
    "immunosuppressant": "immunosuppressant",
    "anticoagulant": "anticoagulant",
    "corticosteroid": "corticosteroid",
    "paralysis_after_surgery": "paralysis after surgery",
    "hbsag": "HBsAg positive",
    "hiv": "HIV positive",
    "cmv": "CMV positive",
    "rubella": "rubella positive",
    "toxoplasma": "toxoplasma positive",
}


@dataclass(frozen=True)
class Criterion:
    """One funnel criterion: what it reads, the protocol text it comes from, and how it judges a row.

    ``rule(row)`` returns True (met), False (not met) or None (unknown); ``reason(row)`` names why a
    row that is not met fails, as shown in the funnel's exclusion boxes (e.g. "male ≤ 50 y").
    """

    id: str
    label: str
    protocol_text: str
    columns: tuple[str, ...]
    rule: Callable[[Row], bool | None]
    reason: Callable[[Row], str]

    def missing(self, row: Row) -> list[str]:
        """The columns this criterion reads that are missing in ``row``."""
        return [c for c in self.columns if _value(row, c) is None]


def _value(row: Row, column: str) -> object | None:
    """The row's value, or None when the column is absent or the value is missing (NA / NaN)."""
    value = row.get(column)
    return None if value is None or pd.isna(value) else value


def _all(values: Sequence[bool | None]) -> bool | None:
    """Three-valued AND: any False -> False; all True -> True; otherwise (something missing) None."""
    if any(v is False for v in values):
        return False
    return None if None in values else True


def _flags(id: str, label: str, protocol_text: str, columns: tuple[str, ...]) -> Criterion:
    """A criterion failed by any yes/no column that is true (a history item, a positive test)."""

    def rule(row: Row) -> bool | None:
        return _all([None if (v := _value(row, c)) is None else not v for c in columns])

    def reason(row: Row) -> str:
        return " + ".join(FLAG_LABELS[c] for c in columns if _value(row, c) is True)

    return Criterion(id, label, protocol_text, columns, rule, reason)


def _age_sex(row: Row) -> bool | None:
    age, sex = _value(row, "age"), _value(row, "sex")
    if age is None:
        return None
    if age < MINIMUM_AGE:
        return False
    if sex not in OLDER_THAN:  # missing sex: decided when the age decides it for either sex
        if age <= min(OLDER_THAN.values()):
            return False
        return True if age > max(OLDER_THAN.values()) else None
    return bool(age > OLDER_THAN[sex])


def _age_sex_reason(row: Row) -> str:
    age, sex = _value(row, "age"), _value(row, "sex")
    if age < MINIMUM_AGE:
        return f"under {MINIMUM_AGE} y"
    if sex in OLDER_THAN:
        return f"{SEX_WORD[sex]} ≤ {OLDER_THAN[sex]} y"
    return f"age ≤ {min(OLDER_THAN.values())} y, sex missing"


def _osteoporosis(row: Row) -> bool | None:
    tscore = _value(row, "bmd_tscore")
    return None if tscore is None else bool(tscore <= OSTEOPOROSIS_TSCORE)


def _consented(row: Row) -> bool | None:
    consent = _value(row, "consent")
    return None if consent is None else consent == "signed"


def _completed(row: Row) -> bool | None:
    return _all([_value(row, "enrolled"), _value(row, PRIMARY_VISIT)])


def _completed_reason(row: Row) -> str:
    if _value(row, "enrolled") is False:
        return "not enrolled"
    return f"no month-{PRIMARY_MONTH:g} primary outcome"


#: The protocol's inclusion and exclusion criteria, in funnel order.
CRITERIA: tuple[Criterion, ...] = (
    Criterion(
        "age_sex",
        f"Age: men > {OLDER_THAN['M']} y, women > {OLDER_THAN['F']} y",
        'Inclusion 1: "Male patients older than 50 yrs old." Inclusion 2: "Female patients older '
        'than 40 years old." Exclusion 4: "Patients under 20 years old"',
        ("sex", "age"),
        _age_sex,
        _age_sex_reason,
    ),
    Criterion(
        "bmd_confirmed",
        "Osteoporosis on BMD (T-score ≤ −2.5)",
        'Inclusion 3: "Patients enrolled in Cipto Mangunkusumo Hospital with osteoporosis confirmed '
        'by BMD test." Primary outcome: "Below SD (-2.5) is categorized as osteoporosis."',
        ("bmd_tscore",),
        _osteoporosis,
        lambda row: "T-score > −2.5",
    ),
    _flags(
        "no_excluded_disease",
        "No autoimmune / osteoporosis-related disease",
        "Inclusion 4: \"Patients with no history of autoimun disease (SLE, Addison's disease, Chron's "
        'disease) and other diseases related to osteoporosis." Exclusion 1: "Patients with autoimun '
        "diesasde (SLE, Addison's diesase, Chron's disease and other osteoporosis related disease.\"",
        ("autoimmune_disease", "osteoporosis_related_disease"),
    ),
    _flags(
        "no_excluded_medication",
        "No excluded medication",
        'Inclusion 5: "Patients with no history of consuming drug related osteoporosis." Exclusion 2: '
        '"Patients under immunosuppressive, anticoagulant or corticosteroid treatment."',
        ("osteoporosis_drugs", "immunosuppressant", "anticoagulant", "corticosteroid"),
    ),
    _flags(
        "no_active_infection",
        "No active infection",
        'Inclusion 6: "No active infection confirmed by HbsAg, HIV, CMV, Rubella and Toxoplasma '
        'examination."',
        INFECTION_COLUMNS,
    ),
    _flags(
        "no_paralysis_after_surgery",
        "No paralysis after surgery",
        'Exclusion 3: "Paralysis patients after surgical treatment"',
        ("paralysis_after_surgery",),
    ),
    Criterion(
        "consented",
        "Informed consent signed",
        'Inclusion 7: "Agree to participate the study by signing informed consent form." '
        'Exclusion 5: "Declined to participate in the study"',
        ("consent",),
        _consented,
        lambda row: f"consent {_value(row, 'consent')}",
    ),
)

#: Steps after eligibility: enrolment and the primary end point.
FOLLOW_UP: tuple[Criterion, ...] = (
    Criterion(
        "enrolled",
        "Enrolled",
        'Recruitment: "Target Recruitment 5"',
        ("enrolled",),
        lambda row: _value(row, "enrolled"),
        lambda row: "not enrolled",
    ),
    Criterion(
        "completed_6_months",
        f"Completed {PRIMARY_MONTH:g} months",
        'Primary outcome measures: "Bone Mass Density (BMD)" and "Visual Analog Scale (VAS)", '
        'time frame "6 months"',
        ("enrolled", PRIMARY_VISIT),
        _completed,
        _completed_reason,
    ),
)

SCREENED = ("screened", "Screened")

_CONVENTIONS = (
    "Unknown (missing) never counts as passing; it is counted apart from 'not met'. A criterion "
    "that a recorded value already fails is 'not met' even if its other values are missing.",
    "The funnel is sequential: each step counts the candidates who passed it and every earlier "
    f"step; the primary end point is a month-{PRIMARY_MONTH:g} visit with at least one of "
    + " / ".join(OUTCOMES[k].label for k in PRIMARY_OUTCOMES)
    + ".",
    "Eligibility never removes a patient's visits from the analysis.",
)
_SCREENING_CONVENTIONS = (
    "'older than 50' is read as age > 50, so a 50-year-old man is not eligible.",
    "'older than 40' is read as age > 40, so a 40-year-old woman is not eligible.",
    "'under 20 years old' is read as age < 20, so a 20-year-old is not excluded by that rule.",
    "With sex missing, an age ≤ 40 fails and an age > 50 passes for either sex; 41–50 is unknown.",
    "T-score −2.5 counts as osteoporosis (≤ −2.5, WHO 1994 classes), although the protocol "
    "writes 'below −2.5'.",
    "A positive HBsAg, HIV, CMV, rubella or toxoplasma result is read as an active infection.",
    "Only consent 'signed' passes; 'declined' and 'pending' fail.",
    "Every failed and unknown criterion is listed per candidate, but the funnel counts a candidate "
    "as excluded at the first step not passed only.",
    "Enrolled patients who fail or are unknown on a criterion are reported as protocol deviations "
    "and still analysed.",
)
_VISITS_ONLY_CONVENTIONS = (
    "No screening log: the funnel starts at enrolment, every patient with a visit row counts as "
    "enrolled, and eligibility is not assessed (eligible is missing, never assumed).",
)


@dataclass(frozen=True)
class FunnelStep:
    """One funnel step: ``n`` passed it and every earlier step; the others who reached it dropped out
    here, either not meeting it (``excluded``: reason -> count) or unknown on it (``unknown``)."""

    id: str
    label: str
    n: int
    excluded: dict[str, int]
    unknown: int

    @property
    def dropped(self) -> int:
        return sum(self.excluded.values()) + self.unknown


@dataclass(frozen=True)
class Eligibility:
    """The funnel, each candidate's verdict, protocol deviations and the boundary conventions used.

    ``candidates`` has one row per screened candidate (screening order): patient_id; eligible
    ("boolean": every inclusion/exclusion criterion met; missing when there is no screening log);
    failed and unknown (lists of criterion ids, every one, not only the first); enrolled
    ("boolean"); first_exclusion (id of the first step not passed, missing if all passed).
    """

    steps: list[FunnelStep]
    candidates: pd.DataFrame
    deviations: list[str]
    conventions: list[str]

    def as_json(self) -> dict:
        return {
            "funnel": [{"id": s.id, "label": s.label, "n": s.n} for s in self.steps],
            "candidates": [
                {
                    "patient_id": row["patient_id"],
                    "eligible": None if pd.isna(row["eligible"]) else bool(row["eligible"]),
                    "failed": list(row["failed"]),
                    "unknown": list(row["unknown"]),
                }
                for row in self.candidates.to_dict("records")
            ],
        }


def evaluate(screening: pd.DataFrame | None, visits: pd.DataFrame) -> Eligibility:
    """Judge every screened candidate against ``CRITERIA`` and ``FOLLOW_UP`` and build the funnel.

    With ``screening`` None (only visits were supplied) eligibility cannot be judged: the funnel
    has the ``enrolled`` and ``completed_6_months`` steps only, every patient with a visit row counts
    as enrolled, ``eligible`` is missing (NA, not True) and there are no deviations to report.
    """
    visit_ids = list(dict.fromkeys(visits["patient_id"]))
    if screening is None:
        table = pd.DataFrame({"patient_id": visit_ids, "enrolled": True})
        criteria, steps = FOLLOW_UP, []
    else:
        table = screening
        criteria, steps = CRITERIA + FOLLOW_UP, [FunnelStep(*SCREENED, len(screening), {}, 0)]
    completed = _completed_patients(visits)
    rows = [{**r, PRIMARY_VISIT: r["patient_id"] in completed} for r in table.to_dict("records")]
    verdicts = [{c.id: c.rule(row) for c in criteria} for row in rows]

    reached = list(range(len(rows)))
    for c in criteria:
        passed = [i for i in reached if verdicts[i][c.id] is True]
        failed = Counter(c.reason(rows[i]) for i in reached if verdicts[i][c.id] is False)
        unknown = sum(verdicts[i][c.id] is None for i in reached)
        steps.append(FunnelStep(c.id, c.label, len(passed), dict(failed.most_common()), unknown))
        reached = passed

    if screening is None:
        eligible = [pd.NA] * len(rows)
    else:
        eligible = [all(v[c.id] is True for c in CRITERIA) for v in verdicts]
    candidates = pd.DataFrame(
        {
            "patient_id": [row["patient_id"] for row in rows],
            "eligible": pd.array(eligible, dtype="boolean"),
            "failed": [[k for k, r in v.items() if r is False] for v in verdicts],
            "unknown": [[k for k, r in v.items() if r is None] for v in verdicts],
            "enrolled": pd.array([_value(row, "enrolled") for row in rows], dtype="boolean"),
            "first_exclusion": [next((k for k in v if v[k] is not True), None) for v in verdicts],
        }
    )
    deviations = [] if screening is None else _deviations(rows, verdicts, visit_ids)
    extra = _VISITS_ONLY_CONVENTIONS if screening is None else _SCREENING_CONVENTIONS
    return Eligibility(steps, candidates, deviations, [*extra, *_CONVENTIONS])


def reasons_table(eligibility: Eligibility) -> pd.DataFrame:
    """Per criterion (funnel order): how many candidates fail it and how many are unknown on it,
    counted over all candidates (not sequentially), e.g. to filter the candidate table by reason."""
    steps = [s for s in eligibility.steps if s.id != SCREENED[0]]
    failed = Counter(chain.from_iterable(eligibility.candidates["failed"]))
    unknown = Counter(chain.from_iterable(eligibility.candidates["unknown"]))
    return pd.DataFrame(
        {
            "criterion": [s.id for s in steps],
            "label": [s.label for s in steps],
            "failed": [failed[s.id] for s in steps],
            "unknown": [unknown[s.id] for s in steps],
        }
    )


def _completed_patients(visits: pd.DataFrame) -> set[str]:
    """Patients with a PRIMARY_MONTH visit holding at least one primary outcome value."""
    at_end_point = visits[visits["month"] == PRIMARY_MONTH]
    measured = at_end_point[[k for k in PRIMARY_OUTCOMES if k in visits]].notna().any(axis=1)
    return set(at_end_point.loc[measured, "patient_id"])


def _deviations(rows: list[dict], verdicts: list[dict], visit_ids: list[str]) -> list[str]:
    """Warnings for enrolled patients not meeting every criterion, and enrolment inconsistencies."""
    messages = []
    for row, verdict in zip(rows, verdicts):
        pid, enrolled = row["patient_id"], _value(row, "enrolled")
        if pid in visit_ids and enrolled is not True:
            state = "missing" if enrolled is None else "not enrolled"
            messages.append(
                f"Patient {pid} has visit rows but the screening log says enrolled: {state}; "
                "the visits are still analysed."
            )
        problems = [_problem(c, row, verdict[c.id]) for c in CRITERIA if verdict[c.id] is not True]
        if problems and (enrolled or pid in visit_ids):
            messages.append(
                f"Protocol deviation: patient {pid} is enrolled but does not meet "
                f"{'; '.join(problems)}. The patient is still analysed."
            )
    screened = {row["patient_id"] for row in rows}
    messages += [
        f"Patient {pid} has visit rows but no screening row, so eligibility cannot be checked; "
        "the visits are still analysed."
        for pid in visit_ids
        if pid not in screened
    ]
    return messages


def _problem(criterion: Criterion, row: Row, verdict: bool | None) -> str:
    """e.g. "no_excluded_medication (corticosteroid)", "bmd_confirmed (unknown: bmd_tscore missing)"."""
    if verdict is False:
        return f"{criterion.id} ({criterion.reason(row)})"
    return f"{criterion.id} (unknown: {', '.join(criterion.missing(row))} missing)"


def candidate_table(eligibility: Eligibility, reasons: Sequence[str] = ()) -> pd.DataFrame:
    """The candidates for display: criterion ids replaced by their labels, and for candidates who are
    not eligible the follow-up steps (enrolled, completed) left out of "failed" as self-evident. With
    ``reasons`` (criterion ids), only the candidates who fail or are unknown on one of them."""
    labels = {c.id: c.label for c in (*CRITERIA, *FOLLOW_UP)}
    follow_up = {c.id for c in FOLLOW_UP}
    table = eligibility.candidates
    if reasons:
        wanted = set(reasons)
        hit = [bool(wanted & {*failed, *unknown}) for failed, unknown in zip(table["failed"], table["unknown"])]
        table = table[hit]
    screen_failure = table["eligible"].eq(False).fillna(False).to_numpy()

    def named(ids, drop_follow_up):
        return "; ".join(labels[i] for i in ids if not (drop_follow_up and i in follow_up))

    return table.assign(
        failed=[named(ids, drop) for ids, drop in zip(table["failed"], screen_failure)],
        unknown=[named(ids, drop) for ids, drop in zip(table["unknown"], screen_failure)],
        first_exclusion=table["first_exclusion"].map(lambda i: labels.get(i, "") if isinstance(i, str) else ""),
    )
