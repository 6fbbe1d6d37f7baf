"""Eligibility criteria of a trial's protocol as data, and the CONSORT-style screening funnel.

The criteria are declared in the protocol file (``medpath.protocol``, ``Protocol.criteria``) as a few rule kinds,
each quoting the protocol sentence it comes from; ``criteria(protocol)`` turns each into a ``Criterion`` that
judges every screened candidate with three outcomes: ``True`` (met), ``False`` (not met) or ``None`` (unknown: a
value it needs is missing). Unknown never counts as passing and is reported apart from "not met". Rule kinds:

* ``flags_absent``: not met when any of its yes/no fields (a history item, a positive test) is true;
* ``at_most`` / ``at_least``: the field's value is at most / at least ``value`` (inclusive), or the bound of the
  candidate's sex (``value: {M: 13.0, F: 12.0}``);
* ``equals``: the field's value is ``value`` (e.g. consent "signed"; a test "positive");
* ``days_before``: the days from a date field back from a reference date (screening) are at least / at most
  ``value`` (a date window: "no immunosuppressant in the 90 days before screening");
* ``older_than_by_sex``: age strictly above the sex's threshold, and not below ``minimum_age``.

Any criterion may apply to a subgroup only (``applies_to: {sex: F}``): everyone else meets it (not applicable, which
is not unknown).

The funnel (``Eligibility.steps``):

* **Screened**: the rows of the screening log (not determinable when the log was supplied but not read whole,
  ``Study.unread``).
* **Each criterion** counts the candidates who meet it and every earlier one (sequential: n = the previous n minus
  those who dropped out here, not meeting it or unknown on it). A criterion step is **not determinable** (``n`` None,
  ``reason`` in words) when a column it reads holds no value for any candidate who reaches it (the column is
  missing from the file, not recognised, or none of its values could be read): counting the candidates "unknown"
  there would make every later step 0 although nothing was checked. The criterion steps after it are not
  determinable either. On such a criterion a candidate without the value is unknown even where a partial rule
  could decide (a 60-year-old of unknown sex), and a recorded value that already fails it is still "not met".
  Candidate-level gaps (some values missing) stay as they are: those candidates are counted as unknown beside n.
* **Enrolled** is the enrolment recorded, never a count derived from the criteria: the screening log's candidates
  marked enrolled, plus any candidate with visit rows (a patient with visits received the intervention, whatever
  the log says; reported as an inconsistency), plus patients with visit rows who are not in the screening log; with
  no screening log, every patient with visit rows (``Eligibility.enrolled_ids``). So "Enrolled" does not become 0
  because a criterion could not be checked. In the sequential arithmetic the enrolled step adds those enrolled
  without passing every criterion (``FunnelStep.added``: protocol deviations, eligibility not confirmed, not in the
  screening log): n = the previous n - dropped + added. After a step that is not determinable this arithmetic does
  not apply (nothing is dropped or added relative to an unknown number): n is the recorded enrolment. It is not
  determinable only when nothing records it: no readable ``enrolled`` column in a screening log read whole, and
  no visits table read whole with rows.
* **Completed**: the enrolled patients with a primary-month visit holding a primary outcome value; not determinable
  when the enrolled patients are not, when the visits table was not read whole or has no rows, or when no value of
  a primary outcome was read.

Eligibility never removes anything from the analysis: an enrolled patient who fails (or is unknown on) a criterion
is reported as a protocol deviation and still analysed; where a criterion is not determinable, one sentence says
that the eligibility of the enrolled patients cannot be confirmed on it.
"""

from __future__ import annotations

import functools
import math
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import chain

import numpy as np
import pandas as pd

from medpath.deviations import Deviation, Kind, counts_by_criterion, sentences
from medpath.findings import Code
from medpath.model import Study
from medpath.protocol import TRUTH_WORDS, CriterionSpec, Protocol
from medpath.trajectories import completed_primary

Row = Mapping[str, object]

#: Verdict codes of the vectorised rules (one int8 per candidate): met, not met, unknown.
MET, NOT_MET, UNKNOWN = 1, 0, -1
_VERDICT = {MET: True, NOT_MET: False, UNKNOWN: None}

SEX_WORD = {"M": "male", "F": "female"}

#: Derived column: the candidate has a primary-month visit with at least one primary outcome.
PRIMARY_VISIT = "has_primary_visit"
#: Derived column: the candidate has visit rows (received the intervention, whatever the log's enrolled says).
WITH_VISITS = "has_visit_rows"
#: The id of the funnel's last step: enrolled and measured at the primary month.
COMPLETED = "completed"


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


def _flags(spec: CriterionSpec, reasons: dict[str, str]) -> Criterion:
    """Not met when any yes/no field (a history item, a positive test) is true."""
    columns = spec.fields

    def rule(table: pd.DataFrame) -> np.ndarray:
        return _all([_verdict(_known(table, c), ~_truth(table, c)) for c in columns])

    def reason(row: Row) -> str:
        return " + ".join(reasons[c] for c in columns if _value(row, c) is True)

    return Criterion(spec.id, spec.label, spec.text, columns, rule, reason)


def _bound(spec: CriterionSpec) -> Criterion:
    """``at_most`` / ``at_least``: the value is at most / at least the bound (inclusive). With a bound by sex
    (``CriterionSpec.by_sex``: haemoglobin ≥ 13.0 g/dL for men, ≥ 12.0 for women) each candidate is held to the bound
    of their sex; with the sex missing, a value that meets (or fails) both bounds decides, any other is unknown."""
    (column,) = spec.fields
    by_sex = dict(spec.by_sex)
    at_most = spec.kind == "at_most"

    def meets(values: np.ndarray, bounds: np.ndarray | float) -> np.ndarray:
        return values <= bounds if at_most else values >= bounds

    def rule(table: pd.DataFrame) -> np.ndarray:
        values = _numbers(table, column)
        if not by_sex:
            return _verdict(~np.isnan(values), meets(values, float(spec.value)))
        sex = table["sex"].astype(object) if "sex" in table else pd.Series([None] * len(table), dtype=object)
        bounds = sex.map(by_sex).to_numpy(dtype=float, na_value=np.nan)  # NaN: sex missing or other
        low, high = min(by_sex.values()), max(by_sex.values())
        either = meets(values, high if not at_most else low)  # meets the stricter bound: meets both
        neither = ~meets(values, low if not at_most else high)  # fails the looser bound: fails both
        return np.select(
            [np.isnan(values), ~np.isnan(bounds), either, neither],
            [UNKNOWN, np.where(meets(values, bounds), MET, NOT_MET), MET, NOT_MET],
            UNKNOWN,
        ).astype(np.int8)

    def reason(row: Row) -> str:
        sign = ">" if at_most else "<"
        sex = _value(row, "sex")
        if by_sex and sex in by_sex:
            return spec.reason or f"{column} {sign} {by_sex[str(sex)]:g} ({SEX_WORD.get(str(sex), sex)})"
        if by_sex:
            return spec.reason or f"{column} {sign} {(max if at_most else min)(by_sex.values()):g}, sex missing"
        return spec.reason or f"{column} {sign} {float(spec.value):g}"

    return Criterion(spec.id, spec.label, spec.text, (*spec.fields, "sex") if by_sex else spec.fields, rule, reason)


def _equals(spec: CriterionSpec, words: Mapping[object, str]) -> Criterion:
    """The value is ``spec.value`` (e.g. consent "signed"); any other known value fails."""
    (column,) = spec.fields

    def rule(table: pd.DataFrame) -> np.ndarray:
        known = _known(table, column)
        return _verdict(known, table[column].isin([spec.value]).to_numpy() if column in table else known)

    def reason(row: Row) -> str:
        value = _value(row, column)
        return spec.reason or f"{column.replace('_', ' ')} {words.get(value, value)}"

    return Criterion(spec.id, spec.label, spec.text, spec.fields, rule, reason)


def _dates(table: pd.DataFrame, column: str) -> pd.Series:
    """The column as dates (NaT where missing or absent)."""
    if column not in table:
        return pd.Series(pd.NaT, index=table.index, dtype="datetime64[ns]")
    return pd.to_datetime(table[column], errors="coerce")


def _days_before(spec: CriterionSpec, labels: Mapping[str, str]) -> Criterion:
    """``days_before``: the days from the field's date to the reference date (reference − field) are at least
    ``value`` ("no immunosuppressant in the 90 days before screening": the last dose at least 90 days before) or
    between 0 and ``value`` ("diagnosed at most 180 days before screening"). A missing reference date is unknown; a
    missing field date is unknown, or meets the criterion when the protocol says so (``blank: met``)."""
    (column,) = spec.fields
    bound = float(spec.value)

    def days(table: pd.DataFrame) -> np.ndarray:
        return (_dates(table, spec.reference) - _dates(table, column)).dt.days.to_numpy(dtype=float, na_value=np.nan)

    def rule(table: pd.DataFrame) -> np.ndarray:
        gap = days(table)
        met = gap >= bound if spec.days == "at_least" else (gap >= 0) & (gap <= bound)
        reference_known = _dates(table, spec.reference).notna().to_numpy()
        blank = ~_dates(table, column).notna().to_numpy()
        return np.select(
            [~reference_known, blank, met], [UNKNOWN, MET if spec.blank_meets else UNKNOWN, MET], NOT_MET
        ).astype(np.int8)

    def reason(row: Row) -> str:
        gap = days(pd.DataFrame([row]))[0]
        name, reference = labels.get(column, column), labels.get(spec.reference, spec.reference)
        return spec.reason or f"{name} {gap:g} days before {reference}"

    return Criterion(spec.id, spec.label, spec.text, (column, spec.reference), rule, reason)


def _in_subgroup(criterion: Criterion, field_name: str, value: object) -> Criterion:
    """``criterion`` for the candidates whose ``field_name`` is ``value`` only (``CriterionSpec.applies_to``): the
    others meet it (not applicable, never unknown: a man's empty "pregnant" cell); a candidate whose field is missing
    is judged by the criterion itself."""

    def rule(table: pd.DataFrame) -> np.ndarray:
        outside = _known(table, field_name)
        if field_name in table:
            outside = outside & (table[field_name] != value).to_numpy(dtype=bool, na_value=False)
        return np.where(outside, MET, criterion.rule(table)).astype(np.int8)

    columns = tuple(dict.fromkeys((*criterion.columns, field_name)))
    return Criterion(criterion.id, criterion.label, criterion.protocol_text, columns, rule, criterion.reason)


def _older_than_by_sex(spec: CriterionSpec) -> Criterion:
    """Age strictly above the threshold of the candidate's sex and not under ``minimum_age``; with sex missing,
    an age at or below every threshold fails and one above every threshold passes."""
    older_than = dict(spec.older_than)
    minimum = -math.inf if spec.minimum_age is None else spec.minimum_age
    lowest, highest = min(older_than.values()), max(older_than.values())

    def rule(table: pd.DataFrame) -> np.ndarray:
        age = _numbers(table, "age")
        sex = table["sex"].astype(object) if "sex" in table else pd.Series([None] * len(table), dtype=object)
        threshold = sex.map(older_than).to_numpy(dtype=float, na_value=np.nan)  # NaN: sex missing or other
        return np.select(
            [np.isnan(age), age < minimum, ~np.isnan(threshold), age <= lowest, age > highest],
            [UNKNOWN, NOT_MET, np.where(age > threshold, MET, NOT_MET), NOT_MET, MET],
            UNKNOWN,  # missing sex and an age that does not decide it for either sex
        ).astype(np.int8)

    def reason(row: Row) -> str:
        age, sex = _value(row, "age"), _value(row, "sex")
        assert isinstance(age, float | int), "a candidate who fails on age has an age"
        if age < minimum:
            return f"under {minimum:g} y"
        if sex in older_than:
            return f"{SEX_WORD.get(str(sex), sex)} ≤ {older_than[str(sex)]:g} y"
        return f"age ≤ {lowest:g} y, sex missing"

    return Criterion(spec.id, spec.label, spec.text, ("sex", "age"), rule, reason)


def _yes(column: str) -> Callable[[pd.DataFrame], np.ndarray]:
    """The rule "this yes/no column is yes"."""
    return lambda table: _verdict(_known(table, column), _truth(table, column))


@functools.cache
def criteria(protocol: Protocol) -> tuple[Criterion, ...]:
    """The protocol's inclusion and exclusion criteria, in funnel order."""
    reasons = {f.key: f.reason or f.label for f in protocol.screening}
    kinds = {f.key: f.kind for f in protocol.screening}
    # how a yes/no or test value is written in a reason: True -> "positive" for a test, "yes" for a yes/no item
    truth_words = {kind: {truth: word for word, truth in words.items()} for kind, words in TRUTH_WORDS.items()}
    build = {
        "flags_absent": lambda spec: _flags(spec, reasons),
        "at_most": _bound,
        "at_least": _bound,
        "equals": lambda spec: _equals(spec, truth_words.get(kinds.get(spec.fields[0], ""), {})),
        "days_before": lambda spec: _days_before(spec, field_labels(protocol)),
        "older_than_by_sex": _older_than_by_sex,
    }
    built = [(spec, build[spec.kind](spec)) for spec in protocol.criteria]
    return tuple(c if spec.applies_to is None else _in_subgroup(c, *spec.applies_to) for spec, c in built)


@functools.cache
def follow_up(protocol: Protocol) -> tuple[Criterion, ...]:
    """The steps after eligibility: enrolment and the primary end point."""
    month = protocol.primary_month

    def enrolled(table: pd.DataFrame) -> np.ndarray:
        """Marked enrolled, or with visit rows (met); marked not enrolled and without visits (not met); else
        unknown."""
        with_visits = _truth(table, WITH_VISITS)
        return np.where(with_visits, MET, _yes("enrolled")(table)).astype(np.int8)

    def completed(table: pd.DataFrame) -> np.ndarray:
        return _all([enrolled(table), _yes(PRIMARY_VISIT)(table)])

    def completed_reason(row: Row) -> str:
        not_enrolled = _value(row, "enrolled") is False and _value(row, WITH_VISITS) is not True
        return "not enrolled" if not_enrolled else f"no {protocol.visit_adjective(month)} primary outcome"

    return (
        Criterion("enrolled", "Enrolled", protocol.enrolment_text, ("enrolled",), enrolled, lambda row: "not enrolled"),
        Criterion(
            COMPLETED,
            f"Completed {protocol.time_span(month)}",
            protocol.primary_text,
            ("enrolled", PRIMARY_VISIT),
            completed,
            completed_reason,
        ),
    )


def field_labels(protocol: Protocol) -> dict[str, str]:
    """Screening field -> how it is named to a reader: the protocol's labels, and the fields every protocol has."""
    return {"sex": "Sex", "age": "Age", "consent": "Consent", "enrolled": "Enrolled"} | {
        f.key: f.label for f in protocol.screening
    }


SCREENED = ("screened", "Screened")


def _conventions(protocol: Protocol, screened: bool) -> list[str]:
    """How the protocol's words and missing values were read: the protocol's own conventions, then MedPath's."""
    primary = " / ".join(protocol.outcomes[k].label for k in protocol.primary_outcomes)
    general = [
        "Unknown (missing) never counts as passing; it is counted apart from 'not met'. A criterion "
        "that a recorded value already fails is 'not met' even if its other values are missing.",
        "The funnel is sequential: each criterion counts the candidates who passed it and every earlier "
        "step. A criterion whose column holds no value for any candidate reaching it is 'not determinable' (never "
        "0), and so are the criteria after it. 'Enrolled' is the enrolment recorded (the screening log's enrolled "
        "column, and every patient with visit rows), not a count derived from the criteria; 'Completed' counts the "
        f"enrolled with a {protocol.visit_adjective(protocol.primary_month)} visit with at least one of {primary}.",
        "Eligibility never removes a patient's visits from the analysis.",
    ]
    if not screened:
        return [
            "No screening log: the funnel starts at enrolment, every patient with a visit row counts as "
            "enrolled, and eligibility is not assessed (eligible is missing, never assumed).",
            *general,
        ]
    return [
        *protocol.conventions,
        "Every failed and unknown criterion is listed per candidate, but the funnel counts a candidate "
        "as excluded at the first step not passed only.",
        "Enrolled patients who fail or are unknown on a criterion are reported as protocol deviations and still "
        "analysed.",
        *general,
    ]


@dataclass(frozen=True)
class FunnelStep:
    """One funnel step: ``n`` passed it and every earlier step; the others who reached it dropped out
    here, either not meeting it (``excluded``: reason -> count) or unknown on it (``unknown``).

    ``n`` is None when it is not determinable, ``reason`` then says why in words (lower case, no final stop:
    "no column for Sex was read from the screening log"); ``excluded`` and ``unknown`` are then empty, as nothing
    can be said to have dropped out of an unknown number. ``added``: on the enrolled step, those enrolled without
    passing every earlier step (reason -> count), so that n = previous n - dropped + added."""

    id: str
    label: str
    n: int | None
    excluded: dict[str, int]
    unknown: int
    reason: str | None = None
    added: dict[str, int] = field(default_factory=dict)

    @property
    def dropped(self) -> int:
        return sum(self.excluded.values()) + self.unknown

    def as_json(self) -> dict:
        return {"id": self.id, "label": self.label, "n": self.n, "reason": self.reason}


@dataclass(frozen=True)
class Eligibility:
    """The funnel, each candidate's verdict, protocol deviations and the boundary conventions used.

    ``deviations``: one sentence per patient concerned and per study-level problem (what the report lists), built
    from ``deviation_records`` and ``deviation_notes``.

    ``candidates`` has one row per screened candidate (screening order): patient_id; eligible
    ("boolean": every inclusion/exclusion criterion met; missing when there is no screening log);
    failed and unknown (lists of criterion ids, every one, not only the first); enrolled
    ("boolean"); first_exclusion (id of the first step not passed, missing if all passed).
    """

    steps: list[FunnelStep]
    candidates: pd.DataFrame
    deviations: list[str]
    conventions: list[str]
    #: the protocol's criteria judged (``criteria(protocol)``) and the follow-up steps (``follow_up(protocol)``)
    criteria: tuple[Criterion, ...] = ()
    follow_up: tuple[Criterion, ...] = ()
    #: the recorded enrolment (module docstring): screened candidates in screening order, then patients with visit
    #: rows who are not in the screening log. The enrolled step's n is its length, unless not determinable.
    enrolled_ids: tuple[str, ...] = ()
    #: ``deviations`` as records (``medpath.deviations``), one per patient and problem: what a larger study's page
    #: counts by criterion; and the study-level sentences among ``deviations`` (one each, not one per patient).
    deviation_records: tuple[Deviation, ...] = ()
    deviation_notes: tuple[str, ...] = ()

    def step(self, step_id: str) -> FunnelStep | None:
        """The funnel step ``step_id`` ("screened", a criterion's id, "enrolled", ``COMPLETED``), None if absent."""
        return next((s for s in self.steps if s.id == step_id), None)

    def as_json(self) -> dict:
        table = self.candidates
        return {
            "funnel": [s.as_json() for s in self.steps],
            "candidates": [
                {
                    "patient_id": pid,
                    "eligible": None if eligible is pd.NA else bool(eligible),
                    "failed": list(failed),
                    "unknown": list(unknown),
                }
                for pid, eligible, failed, unknown in zip(
                    table["patient_id"].tolist(),
                    table["eligible"].tolist(),
                    table["failed"].tolist(),
                    table["unknown"].tolist(),
                )
            ],
        }


def evaluate_study(study: Study) -> Eligibility:
    """``evaluate`` of a study: its screening and visits, its protocol and what was not read (``Study.unread``)."""
    return evaluate(study.screening, study.visits, study.protocol, unread=study.unread)


def evaluate(
    screening: pd.DataFrame | None,
    visits: pd.DataFrame,
    protocol: Protocol,
    *,
    unread: Mapping[str, str] | None = None,
) -> Eligibility:
    """Judge every screened candidate against the protocol's ``criteria`` and ``follow_up`` steps and build the
    funnel (the module docstring says how each step counts, and when it is not determinable). ``unread``: the
    tables supplied but not read whole, kind -> reason (``Study.unread``).

    With ``screening`` None (only visits were supplied) eligibility cannot be judged: the funnel
    has the ``enrolled`` and ``completed`` steps only (after a "Screened" step that is not determinable when a
    screening log was supplied but not read), every patient with a visit row counts as
    enrolled, ``eligible`` is missing (NA, not True) and there are no deviations to report.
    """
    unread = unread or {}
    eligibility_criteria = criteria(protocol)
    labels = field_labels(protocol)
    visit_ids = list(dict.fromkeys(visits["patient_id"].tolist()))  # tolist: fast for Arrow-backed strings
    steps: list[FunnelStep] = []
    if screening is None:
        table = pd.DataFrame({"patient_id": visit_ids, "enrolled": True})
        judged = follow_up(protocol)
        if "screening" in unread:
            steps.append(FunnelStep(*SCREENED, None, {}, 0, unread["screening"]))
    else:
        table = screening
        judged = eligibility_criteria + follow_up(protocol)
        steps.append(
            FunnelStep(*SCREENED, None if "screening" in unread else len(screening), {}, 0, unread.get("screening"))
        )
    table = table.reset_index(drop=True)
    table[PRIMARY_VISIT] = _member(table, completed_primary(visits, protocol))
    table[WITH_VISITS] = _member(table, set(visit_ids))
    verdicts = (
        np.column_stack([c.rule(table) for c in judged]) if len(table) else np.zeros((0, len(judged)), dtype=np.int8)
    )  # one row per candidate, one column per criterion
    screened = screening is not None
    n_criteria = len(eligibility_criteria) if screened else 0

    # the criteria, in order: sequential while determinable
    reached = np.ones(len(table), dtype=bool)
    blocked = None if "screening" not in unread else "the screening log was not read whole"
    not_checked: dict[int, str] = {}  # criterion position -> why it cannot be checked (its own cause)
    for j, c in enumerate(judged[:n_criteria]):
        cause = _cannot_check(table, reached if blocked is None else np.ones(len(table), dtype=bool), c, labels)
        if cause is not None:
            not_checked[j] = cause
            # unknown wherever a value it reads is missing, unless a recorded value already fails it
            lacking = np.column_stack([~_known(table, column) for column in c.columns]).any(axis=1)
            verdicts[:, j] = np.where(lacking & (verdicts[:, j] == MET), UNKNOWN, verdicts[:, j])
        if blocked is not None or cause is not None:
            steps.append(FunnelStep(c.id, c.label, None, {}, 0, cause or blocked))
            blocked = blocked or f"it follows '{c.label}', which could not be checked"
            continue
        passed = reached & (verdicts[:, j] == MET)
        failed = Counter(c.reason(row) for row in _rows(table, reached & (verdicts[:, j] == NOT_MET), c.columns))
        unknown = int(np.sum(reached & (verdicts[:, j] == UNKNOWN)))
        steps.append(FunnelStep(c.id, c.label, int(passed.sum()), dict(failed.most_common()), unknown))
        reached = passed

    # enrolled: the enrolment recorded
    e = len(judged) - 2
    enrolled_c, completed_c = judged[e], judged[e + 1]
    is_enrolled = verdicts[:, e] == MET
    ids = table["patient_id"].tolist()
    screened_ids = set(ids)
    unscreened = [pid for pid in visit_ids if pid not in screened_ids] if screened else []
    enrolled_ids = tuple([pid for pid, yes in zip(ids, is_enrolled) if yes] + unscreened)
    enrolment_unknown = _enrolment_unknown(table if screened else None, visits, unread)
    if enrolment_unknown is not None:
        steps.append(FunnelStep(enrolled_c.id, enrolled_c.label, None, {}, 0, enrolment_unknown))
    elif blocked is not None or not screened:  # nothing to count dropped or added against
        steps.append(FunnelStep(enrolled_c.id, enrolled_c.label, len(enrolled_ids), {}, 0))
    else:
        failed = Counter(
            enrolled_c.reason(row) for row in _rows(table, reached & (verdicts[:, e] == NOT_MET), enrolled_c.columns)
        )
        outside = is_enrolled & ~reached  # enrolled without passing every criterion
        deviant = outside & (verdicts[:, :n_criteria] == NOT_MET).any(axis=1)
        added = {
            "enrolled without meeting every criterion (protocol deviation)": int(deviant.sum()),
            "enrolled, eligibility not confirmed (missing data)": int((outside & ~deviant).sum()),
            "with visit rows, not in the screening log": len(unscreened),
        }
        steps.append(
            FunnelStep(
                enrolled_c.id,
                enrolled_c.label,
                len(enrolled_ids),
                dict(failed.most_common()),
                int(np.sum(reached & (verdicts[:, e] == UNKNOWN))),
                added={k: v for k, v in added.items() if v},
            )
        )

    # completed: the enrolled with a primary-month primary outcome value
    completed_unknown = _completion_unknown(steps[-1], visits, protocol, unread)
    if completed_unknown is not None:
        steps.append(FunnelStep(completed_c.id, completed_c.label, None, {}, 0, completed_unknown))
    else:
        measured = completed_primary(visits, protocol)
        done = sum(pid in measured for pid in enrolled_ids)
        missing = len(enrolled_ids) - done
        reason = f"no {protocol.visit_adjective(protocol.primary_month)} primary outcome"
        steps.append(FunnelStep(completed_c.id, completed_c.label, done, {reason: missing} if missing else {}, 0))

    step_ids = [c.id for c in judged]
    eligible_ = (verdicts[:, :n_criteria] == MET).all(axis=1)
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
            "patient_id": ids,
            "eligible": pd.array([pd.NA] * len(table) if screening is None else eligible_, dtype="boolean"),
            "failed": per_candidate(lambda v: [k for k, r in zip(step_ids, v) if r == NOT_MET]),
            "unknown": per_candidate(lambda v: [k for k, r in zip(step_ids, v) if r == UNKNOWN]),
            "enrolled": enrolled,
            "first_exclusion": per_candidate(lambda v: next((k for k, r in zip(step_ids, v) if r != MET), None)),
        }
    )
    records, notes = (
        ([], [])
        if screening is None
        else _deviations(table, verdicts, eligible_, visit_ids, eligibility_criteria, labels, not_checked)
    )
    unscreened_records = [r for r in records if r.kind == Kind.NOT_SCREENED]  # listed after the study's sentences
    return Eligibility(
        steps,
        candidates,
        sentences([r for r in records if r.kind != Kind.NOT_SCREENED]) + notes + sentences(unscreened_records),
        _conventions(protocol, screening is not None),
        eligibility_criteria,
        follow_up(protocol),
        enrolled_ids,
        tuple(records),
        tuple(notes),
    )


def _said(columns: Sequence[str], labels: Mapping[str, str]) -> str:
    """Fields in words: "Sex", "HIV test or CMV test"."""
    named = [labels.get(c, c) for c in columns]
    return ", ".join(named[:-1]) + " or " + named[-1] if len(named) > 1 else named[0]


def _cannot_check(
    table: pd.DataFrame, reached: np.ndarray, criterion: Criterion, labels: Mapping[str, str]
) -> str | None:
    """Why ``criterion`` cannot be checked at all, or None: a column it reads holds no value for any candidate who
    reaches it (``reached``; nobody reaching it leaves nothing to check)."""
    if not reached.any():
        return None
    absent = [c for c in criterion.columns if not _known(table, c).any()]
    if absent:
        return f"no column for {_said(absent, labels)} was read from the screening log"
    empty = [c for c in criterion.columns if not _known(table, c)[reached].any()]
    if empty:
        k = int(reached.sum())
        return f"{_said(empty, labels)} is missing for all {k} candidate(s) who reach this step"
    return None


def _enrolment_unknown(screening: pd.DataFrame | None, visits: pd.DataFrame, unread: Mapping[str, str]) -> str | None:
    """Why the enrolment is not recorded anywhere, or None: a screening log read whole with a readable enrolled
    column records it; otherwise the visits table, read whole and with rows, does (every patient with visit rows)."""
    if (
        screening is not None
        and "screening" not in unread
        and "enrolled" in screening
        and screening["enrolled"].notna().any()
    ):
        return None
    if "visits" not in unread and len(visits):
        return None
    if "screening" in unread:
        log = unread["screening"]
    elif screening is None:
        log = "no screening log was read"
    else:
        log = "the screening log has no readable enrolled column"
    return f"{log}, and {unread.get('visits') or 'no visit rows were read'}"


def _completion_unknown(
    enrolled: FunnelStep, visits: pd.DataFrame, protocol: Protocol, unread: Mapping[str, str]
) -> str | None:
    """Why "completed" is not determinable, or None."""
    if enrolled.n is None:
        return "the enrolled patients are not known"
    if "visits" in unread:
        return unread["visits"]
    if not len(visits):
        return "no visit rows were read"
    primary = [k for k in protocol.primary_outcomes if k in visits]
    if not primary or not visits[primary].notna().any().any():
        names = " / ".join(protocol.outcomes[k].label for k in protocol.primary_outcomes)
        return f"no value of a primary outcome ({names}) was read"
    return None


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


def _deviations(
    table: pd.DataFrame,
    verdicts: np.ndarray,
    eligible: np.ndarray,
    visit_ids: list[str],
    judged: tuple[Criterion, ...],
    fields: Mapping[str, str],
    not_checked: Mapping[int, str],
) -> tuple[list[Deviation], list[str]]:
    """The enrolled patients not meeting every criterion, and the enrolment inconsistencies, as records
    (``medpath.deviations``) in screening order, then the patients with visit rows but no screening row; and the
    study-level sentences (``verdicts``: one row per candidate, the columns in ``judged`` order first; ``fields``:
    the protocol's label of each screening field). A criterion that cannot be checked at all (``not_checked``: its
    position -> why) is one sentence for all the enrolled, not a record per patient; a value that fails it still is
    a record. Only the candidates concerned are looked at row by row; membership tests use sets."""
    with_visits = _member(table, set(visit_ids))
    # not checkable at all: unknown there is said once for every enrolled patient, not as a deviation per patient
    excused = np.zeros(verdicts.shape, dtype=bool)
    for j in not_checked:
        excused[:, j] = verdicts[:, j] == UNKNOWN
    fine = (verdicts[:, : len(judged)] == MET) | excused[:, : len(judged)]
    eligible = eligible | fine.all(axis=1)
    known, enrolled = _known(table, "enrolled"), _truth(table, "enrolled")
    is_enrolled = (known & enrolled) | with_visits
    concerned = (with_visits & ~(known & enrolled)) | (~eligible & is_enrolled)
    columns = ["patient_id", "enrolled", *chain.from_iterable(c.columns for c in judged)]
    records: list[Deviation] = []
    for i, row in zip(np.flatnonzero(concerned), _rows(table, concerned, columns)):
        pid, state = str(row["patient_id"]), _value(row, "enrolled")
        if with_visits[i] and state is not True and known.any():  # no enrolled value at all: said once below
            records.append(
                Deviation(pid, Kind.NOT_MARKED_ENROLLED, detail="missing" if state is None else "not enrolled")
            )
        if state or with_visits[i]:
            records += [
                _problem(pid, c, row, _VERDICT[int(verdicts[i, j])], fields)
                for j, c in enumerate(judged)
                if verdicts[i, j] != MET and not excused[i, j]
            ]
    notes = []
    if not known.any() and with_visits.any():
        notes.append(
            f"The screening log has no readable enrolled column: the {int(with_visits.sum())} candidate(s) with visit "
            "rows are counted as enrolled."
        )
    for j, cause in not_checked.items():
        k = int((is_enrolled & excused[:, j]).sum())
        if k:
            notes.append(
                f"The eligibility of {k} enrolled patient(s) cannot be confirmed on '{judged[j].label}': {cause}. "
                "They are still analysed."
            )
    screened = set(table["patient_id"])
    records += [Deviation(str(pid), Kind.NOT_SCREENED) for pid in visit_ids if pid not in screened]
    return records, notes


def _member(table: pd.DataFrame, ids: set) -> np.ndarray:
    """Per row: the patient id is in ``ids`` (a set: O(1) per row)."""
    return np.array([pid in ids for pid in table["patient_id"].tolist()], dtype=bool)


def _rows(table: pd.DataFrame, mask: np.ndarray, columns) -> list[dict]:
    """The rows selected by ``mask`` as dicts of the ``columns`` the table has (what a criterion's
    reason reads), for the few candidates that need words."""
    present = [c for c in dict.fromkeys(columns) if c in table]
    selected = table.loc[mask, present]
    return [dict(zip(present, values)) for values in zip(*(selected[c].tolist() for c in present))]


def _problem(pid: str, criterion: Criterion, row: Row, verdict: bool | None, fields: Mapping[str, str]) -> Deviation:
    """The record of a criterion ``pid`` fails ("corticosteroid") or is unknown on ("spine BMD T-score missing"):
    the protocol's labels (``fields``: screening field -> label), never its ids."""
    if verdict is False:
        return Deviation(pid, Kind.NOT_MET, criterion.id, criterion.label, criterion.reason(row))
    missing = ", ".join(fields.get(c, c) for c in criterion.missing(row))
    return Deviation(pid, Kind.UNKNOWN, criterion.id, criterion.label, f"{missing} missing")


def candidate_table(eligibility: Eligibility, reasons: Sequence[str] = ()) -> pd.DataFrame:
    """The candidates for display: criterion ids replaced by their labels, and for candidates who are
    not eligible the follow-up steps (enrolled, completed) left out of "failed" as self-evident. With
    ``reasons`` (criterion ids), only the candidates who fail or are unknown on one of them."""
    labels = {c.id: c.label for c in (*eligibility.criteria, *eligibility.follow_up)}
    later_steps = {c.id for c in eligibility.follow_up}
    table = eligibility.candidates
    if reasons:
        wanted = set(reasons)
        hit = [bool(wanted & {*failed, *unknown}) for failed, unknown in zip(table["failed"], table["unknown"])]
        table = table[hit]
    screen_failure = table["eligible"].eq(False).fillna(False).to_numpy()

    def named(ids, drop_follow_up):
        return "; ".join(labels[i] for i in ids if not (drop_follow_up and i in later_steps))

    return table.assign(
        failed=[named(ids, drop) for ids, drop in zip(table["failed"], screen_failure)],
        unknown=[named(ids, drop) for ids, drop in zip(table["unknown"], screen_failure)],
        first_exclusion=table["first_exclusion"].map(lambda i: labels.get(i, "") if isinstance(i, str) else ""),
    )


def team_statements(study: Study, eligibility: Eligibility) -> list[str]:
    """Per criterion judged on a value the study team stated in its mapping profile (``fixed``: a field the file
    lacks, e.g. every candidate's HBsAg negative, ``Code.FIXED_BY_PROFILE``) instead of one read from the file, one
    sentence saying so, for the Eligibility page and the report."""
    stated = {f.column: f for f in study.findings if f.code is Code.FIXED_BY_PROFILE}
    out = []
    for criterion in eligibility.criteria:
        fields = [c for c in criterion.columns if c in stated]
        if fields:
            values = "; ".join(f"{f} = {stated[f].value} for every candidate" for f in fields)
            out.append(
                f"{criterion.label}: judged on the team's statement in the mapping profile ({values}), not on values "
                f"read from the file ({stated[fields[0]].file}, sheet {stated[fields[0]].sheet})"
            )
    return out


def criteria_table(eligibility: Eligibility) -> pd.DataFrame:
    """``reasons_table`` for the protocol's eligibility criteria only: the study stages (enrolled, completed)
    are not criteria and are counted by ``medpath.consort`` instead."""
    ids = {c.id for c in eligibility.criteria}
    table = reasons_table(eligibility)
    return table[table["criterion"].isin(ids)].reset_index(drop=True)


def deviation_counts(eligibility: Eligibility) -> pd.DataFrame:
    """``medpath.deviations.counts_by_criterion`` of the eligibility's deviations, in the protocol's order of
    criteria: criterion (id), label, not_met, unknown (enrolled patients)."""
    return counts_by_criterion(eligibility.deviation_records, [c.id for c in eligibility.criteria])
