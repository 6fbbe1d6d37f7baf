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

import math
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from itertools import chain

import numpy as np
import pandas as pd

from medpath.model import INFECTION_COLUMNS, OUTCOMES, PRIMARY_MONTH, PRIMARY_OUTCOMES

PROTOCOL = "NCT04501354"

Row = Mapping[str, object]

#: Verdict codes of the vectorised rules (one int8 per candidate): met, not met, unknown.
MET, NOT_MET, UNKNOWN = 1, 0, -1
_VERDICT = {MET: True, NOT_MET: False, UNKNOWN: None}

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
    """One funnel criterion: what it reads, the protocol text it comes from, and how it judges rows.

    ``rule(table)`` judges every row of a table at once (column-wise, vectorised) and returns one
    verdict code per row: ``MET``, ``NOT_MET`` or ``UNKNOWN``. ``reason(row)`` names why a row that is
    not met fails, as shown in the funnel's exclusion boxes (e.g. "male ≤ 50 y"); it is asked only
    for those rows.
    """

    id: str
    label: str
    protocol_text: str
    columns: tuple[str, ...]
    rule: Callable[[pd.DataFrame], np.ndarray]
    reason: Callable[[Row], str]

    def missing(self, row: Row) -> list[str]:
        """The columns this criterion reads that are missing in ``row``."""
        return [c for c in self.columns if _value(row, c) is None]


def _value(row: Row, column: str) -> object | None:
    """The row's value, or None when the column is absent or the value is missing (NA / NaN)."""
    value = row.get(column)
    missing = value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value))
    return None if missing else value


def _known(table: pd.DataFrame, column: str) -> np.ndarray:
    """Per row: the column has a value (False everywhere when the column is absent)."""
    return table[column].notna().to_numpy() if column in table else np.zeros(len(table), dtype=bool)


def _truth(table: pd.DataFrame, column: str) -> np.ndarray:
    """Per row: the value is true (a missing value or an absent column reads False here; combine
    with ``_known``)."""
    if column not in table:
        return np.zeros(len(table), dtype=bool)
    values = table[column]
    return values.where(values.notna(), False).astype(bool).to_numpy()


def _numbers(table: pd.DataFrame, column: str) -> np.ndarray:
    """The column as floats, NaN where missing or absent."""
    if column not in table:
        return np.full(len(table), np.nan)
    return pd.to_numeric(table[column]).to_numpy(dtype=float, na_value=np.nan)


def _verdict(known: np.ndarray, met: np.ndarray) -> np.ndarray:
    return np.where(known, np.where(met, MET, NOT_MET), UNKNOWN).astype(np.int8)


def _all(verdicts: Sequence[np.ndarray]) -> np.ndarray:
    """Three-valued AND per row: any not met -> not met; all met -> met; otherwise (something
    missing) unknown."""
    stacked = np.vstack(verdicts)
    return np.where(
        (stacked == NOT_MET).any(axis=0), NOT_MET, np.where((stacked == MET).all(axis=0), MET, UNKNOWN)
    ).astype(np.int8)


def _flags(id: str, label: str, protocol_text: str, columns: tuple[str, ...]) -> Criterion:
    """A criterion failed by any yes/no column that is true (a history item, a positive test)."""

    def rule(table: pd.DataFrame) -> np.ndarray:
        return _all([_verdict(_known(table, c), ~_truth(table, c)) for c in columns])

    def reason(row: Row) -> str:
        return " + ".join(FLAG_LABELS[c] for c in columns if _value(row, c) is True)

    return Criterion(id, label, protocol_text, columns, rule, reason)


def _age_sex(table: pd.DataFrame) -> np.ndarray:
    age = _numbers(table, "age")
    sex = table["sex"].astype(object) if "sex" in table else pd.Series([None] * len(table), dtype=object)
    threshold = sex.map(OLDER_THAN).to_numpy(dtype=float, na_value=np.nan)  # NaN: sex missing or other
    known_sex = ~np.isnan(threshold)
    return np.select(
        [np.isnan(age), age < MINIMUM_AGE, known_sex, age <= min(OLDER_THAN.values()), age > max(OLDER_THAN.values())],
        [UNKNOWN, NOT_MET, np.where(age > threshold, MET, NOT_MET), NOT_MET, MET],
        UNKNOWN,  # missing sex and an age that does not decide it for either sex
    ).astype(np.int8)


def _age_sex_reason(row: Row) -> str:
    age, sex = _value(row, "age"), _value(row, "sex")
    assert isinstance(age, float | int), "a candidate who fails on age has an age"
    if age < MINIMUM_AGE:
        return f"under {MINIMUM_AGE} y"
    if sex in OLDER_THAN:
        return f"{SEX_WORD[sex]} ≤ {OLDER_THAN[sex]} y"
    return f"age ≤ {min(OLDER_THAN.values())} y, sex missing"


def _osteoporosis(table: pd.DataFrame) -> np.ndarray:
    tscore = _numbers(table, "bmd_tscore")
    return _verdict(~np.isnan(tscore), tscore <= OSTEOPOROSIS_TSCORE)


def _consented(table: pd.DataFrame) -> np.ndarray:
    known = _known(table, "consent")
    signed = table["consent"].isin(["signed"]).to_numpy() if "consent" in table else known
    return _verdict(known, signed)


def _yes(column: str) -> Callable[[pd.DataFrame], np.ndarray]:
    """The rule "this yes/no column is yes"."""
    return lambda table: _verdict(_known(table, column), _truth(table, column))


def _completed(table: pd.DataFrame) -> np.ndarray:
    return _all([_yes("enrolled")(table), _yes(PRIMARY_VISIT)(table)])


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
        'Inclusion 6: "No active infection confirmed by HbsAg, HIV, CMV, Rubella and Toxoplasma examination."',
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
        _yes("enrolled"),
        lambda row: "not enrolled",
    ),
    Criterion(
        "completed_6_months",
        f"Completed {PRIMARY_MONTH:g} months",
        'Primary outcome measures: "Bone Mass Density (BMD)" and "Visual Analog Scale (VAS)", time frame "6 months"',
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
    "T-score −2.5 counts as osteoporosis (≤ −2.5, WHO 1994 classes), although the protocol writes 'below −2.5'.",
    "A positive HBsAg, HIV, CMV, rubella or toxoplasma result is read as an active infection.",
    "Only consent 'signed' passes; 'declined' and 'pending' fail.",
    "Every failed and unknown criterion is listed per candidate, but the funnel counts a candidate "
    "as excluded at the first step not passed only.",
    "Enrolled patients who fail or are unknown on a criterion are reported as protocol deviations and still analysed.",
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
        table = self.candidates
        return {
            "funnel": [{"id": s.id, "label": s.label, "n": s.n} for s in self.steps],
            "candidates": [
                {
                    "patient_id": pid,
                    "eligible": None if eligible is pd.NA else bool(eligible),
                    "failed": list(failed),
                    "unknown": list(unknown),
                }
                for pid, eligible, failed, unknown in zip(
                    table["patient_id"].tolist(), table["eligible"].tolist(), table["failed"], table["unknown"]
                )
            ],
        }


def evaluate(screening: pd.DataFrame | None, visits: pd.DataFrame) -> Eligibility:
    """Judge every screened candidate against ``CRITERIA`` and ``FOLLOW_UP`` and build the funnel.

    With ``screening`` None (only visits were supplied) eligibility cannot be judged: the funnel
    has the ``enrolled`` and ``completed_6_months`` steps only, every patient with a visit row counts
    as enrolled, ``eligible`` is missing (NA, not True) and there are no deviations to report.
    """
    visit_ids = list(dict.fromkeys(visits["patient_id"].tolist()))  # tolist: fast for Arrow-backed strings
    if screening is None:
        table = pd.DataFrame({"patient_id": visit_ids, "enrolled": True})
        criteria, steps = FOLLOW_UP, []
    else:
        table = screening
        criteria, steps = CRITERIA + FOLLOW_UP, [FunnelStep(*SCREENED, len(screening), {}, 0)]
    table = table.reset_index(drop=True)
    table[PRIMARY_VISIT] = _member(table, _completed_patients(visits))
    verdicts = (
        np.column_stack([c.rule(table) for c in criteria])
        if len(table)
        else np.zeros((0, len(criteria)), dtype=np.int8)
    )  # one row per candidate, one column per criterion

    reached = np.ones(len(table), dtype=bool)
    for j, c in enumerate(criteria):
        passed = reached & (verdicts[:, j] == MET)
        failed = Counter(c.reason(row) for row in _rows(table, reached & (verdicts[:, j] == NOT_MET), c.columns))
        unknown = int(np.sum(reached & (verdicts[:, j] == UNKNOWN)))
        steps.append(FunnelStep(c.id, c.label, int(passed.sum()), dict(failed.most_common()), unknown))
        reached = passed

    ids = [c.id for c in criteria]
    eligible_ = (verdicts[:, : len(CRITERIA)] == MET).all(axis=1)
    # Candidates share few verdict patterns: each pattern's id lists are made once.
    patterns, pattern_of = np.unique(verdicts, axis=0, return_inverse=True)
    pattern_of = pattern_of.reshape(-1)

    def per_candidate(pick) -> list:
        values = [pick(pattern) for pattern in patterns]
        return [values[p] if not isinstance(values[p], list) else list(values[p]) for p in pattern_of]

    enrolled = (
        pd.array(table["enrolled"].tolist(), dtype="boolean")
        if "enrolled" in table
        else pd.array([pd.NA] * len(table), dtype="boolean")
    )
    candidates = pd.DataFrame(
        {
            "patient_id": table["patient_id"].tolist(),
            "eligible": pd.array([pd.NA] * len(table) if screening is None else eligible_, dtype="boolean"),
            "failed": per_candidate(lambda v: [k for k, r in zip(ids, v) if r == NOT_MET]),
            "unknown": per_candidate(lambda v: [k for k, r in zip(ids, v) if r == UNKNOWN]),
            "enrolled": enrolled,
            "first_exclusion": per_candidate(lambda v: next((k for k, r in zip(ids, v) if r != MET), None)),
        }
    )
    deviations = [] if screening is None else _deviations(table, verdicts, eligible_, visit_ids)
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


def _deviations(table: pd.DataFrame, verdicts: np.ndarray, eligible: np.ndarray, visit_ids: list[str]) -> list[str]:
    """Warnings for enrolled patients not meeting every criterion, and enrolment inconsistencies, in
    screening order (``verdicts``: one row per candidate, the columns in ``CRITERIA`` order first).
    Only the candidates concerned are looked at row by row; membership tests use sets."""
    with_visits = _member(table, set(visit_ids))
    known, enrolled = _known(table, "enrolled"), _truth(table, "enrolled")
    concerned = (with_visits & ~(known & enrolled)) | (~eligible & ((known & enrolled) | with_visits))
    columns = ["patient_id", "enrolled", *chain.from_iterable(c.columns for c in CRITERIA)]
    messages = []
    for i, row in zip(np.flatnonzero(concerned), _rows(table, concerned, columns)):
        pid, state = row["patient_id"], _value(row, "enrolled")
        if with_visits[i] and state is not True:
            messages.append(
                f"Patient {pid} has visit rows but the screening log says enrolled: "
                f"{'missing' if state is None else 'not enrolled'}; the visits are still analysed."
            )
        problems = [
            _problem(c, row, _VERDICT[int(verdicts[i, j])]) for j, c in enumerate(CRITERIA) if verdicts[i, j] != MET
        ]
        if problems and (state or with_visits[i]):
            messages.append(
                f"Protocol deviation: patient {pid} is enrolled but does not meet "
                f"{'; '.join(problems)}. The patient is still analysed."
            )
    screened = set(table["patient_id"])
    messages += [
        f"Patient {pid} has visit rows but no screening row, so eligibility cannot be checked; "
        "the visits are still analysed."
        for pid in visit_ids
        if pid not in screened
    ]
    return messages


def _member(table: pd.DataFrame, ids: set) -> np.ndarray:
    """Per row: the patient id is in ``ids`` (a set: O(1) per row)."""
    return np.array([pid in ids for pid in table["patient_id"].tolist()], dtype=bool)


def _rows(table: pd.DataFrame, mask: np.ndarray, columns) -> list[dict]:
    """The rows selected by ``mask`` as dicts of the ``columns`` the table has (what a criterion's
    reason reads), for the few candidates that need words."""
    present = [c for c in dict.fromkeys(columns) if c in table]
    selected = table.loc[mask, present]
    return [dict(zip(present, values)) for values in zip(*(selected[c].tolist() for c in present))]


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


def criteria_table(eligibility: Eligibility) -> pd.DataFrame:
    """``reasons_table`` for the protocol's eligibility criteria only (``CRITERIA``): the study stages
    (enrolled, completed 6 months) are not criteria and are counted by ``medpath.consort`` instead."""
    ids = {c.id for c in CRITERIA}
    table = reasons_table(eligibility)
    return table[table["criterion"].isin(ids)].reset_index(drop=True)
