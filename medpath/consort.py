"""The participant flow of a single-group trial, as the CONSORT 2025 flow diagram counts it.

CONSORT 2025 (Hopewell et al., BMJ 2025;389:e081123; Lancet 2025) item 22a asks, for each group, the
numbers assessed for eligibility, randomly assigned [here: enrolled], receiving the intended intervention
and analysed for the primary outcome; item 22b the losses and exclusions after enrolment, with reasons.
A single-group trial has one column of boxes:

    Assessed for eligibility (n)  ->  Excluded (n): not meeting eligibility criteria / declined to
                                      participate / other reasons, each with its reasons
    Enrolled (n)
    Received the intervention (n) ->  Did not receive it (n, reasons)
    Follow-up                     ->  Lost to follow-up (n, reasons); discontinued (n, reasons)
    Analysed, per primary outcome ->  Excluded from the analysis (n, reasons)

Conventions (where the flow is silent):

* Assessed, enrolled and completed are the eligibility funnel's own numbers (``medpath.eligibility``: the Overview's
  metrics, the funnel and this diagram are one computation and cannot disagree). Enrolled = the enrolment recorded:
  the screened candidates marked enrolled, plus any candidate with visit rows (a patient with visits received the
  intervention, whatever the log says; ``medpath.eligibility`` reports the inconsistency), plus patients with
  visits who are not in the screening log (named in ``notes``; then enrolled = assessed - excluded + those
  patients). It stays the recorded enrolment when a criterion cannot be checked.
* Each candidate not enrolled is excluded for the first step of the protocol's order
  (the protocol's criteria, ``medpath.eligibility.criteria``, then enrolment) not passed: a criterion not met -> "Not meeting
  eligibility criteria" (the criterion, and within it the protocol reason, e.g. "male ≤ 50 y"); a
  criterion that cannot be checked for this candidate (missing value) -> "Other reasons: eligibility not confirmed";
  a criterion that cannot be checked for anyone (its column was not read: the funnel step is not determinable) ->
  "Reason not determinable" (the criterion and why); consent declined -> "Declined to participate"; consent pending
  or not recorded, eligible but not enrolled -> "Other reasons". So the reasons partition the excluded: they add up
  to its n, and assessed = excluded + enrolled (less the patients not in the screening log).
* A number that cannot be known is None with the reason in ``Flow.reasons`` (a box: ``Count.reason``), never 0:
  assessed without a screening log read whole; enrolled when nothing records it; excluded when either is unknown;
  received the intervention (and who did not) when the visits table was not read whole or has no rows, or a
  disposition sheet was supplied but not read; completed as the funnel says.
* Received the intervention = enrolled patients with visit rows, unless the disposition sheet says
  ``received_intervention`` no.
* Lost to follow-up and discontinued (withdrew, died) come from the disposition sheet only
  (``medpath.safety_status.table_status``); without one, or when it was not read, they are not determinable
  (``None`` and the reason), never guessed as 0, and the enrolled patients without a primary-month primary value are
  named instead.
* Analysed = the pairs of each primary analysis (baseline and the primary month both measured); the others are
  excluded from that analysis with the reason ``medpath.outcomes`` gives.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from medpath.eligibility import COMPLETED, Criterion, Eligibility, evaluate_study
from medpath.formatting import count_or_reason, not_determinable
from medpath.model import Study
from medpath.outcomes import OutcomeComparison, primary_analysis
from medpath.safety_status import table_status

NOT_MEETING = "Not meeting eligibility criteria"
DECLINED = "Declined to participate"
OTHER = "Other reasons"
#: candidates whose first step not passed is a criterion nobody could be checked on (its column was not read)
NOT_DETERMINED = "Reason not determinable"
CATEGORIES = (NOT_MEETING, DECLINED, OTHER, NOT_DETERMINED)


@dataclass(frozen=True)
class Reason:
    """One reason and how many it applies to; ``details`` split it further (a criterion's protocol reasons)."""

    label: str
    n: int
    category: str = ""
    details: tuple[tuple[str, int], ...] = ()

    def as_json(self) -> dict:
        out: dict = {"label": self.label, "n": self.n}
        if self.category:
            out["category"] = self.category
        if self.details:
            out["details"] = [{"label": d, "n": k} for d, k in self.details]
        return out


@dataclass(frozen=True)
class Count:
    """A box: n and its reasons (which add up to n); n None = not determinable, ``reason`` then says why (lower
    case, no final stop)."""

    n: int | None
    reasons: tuple[Reason, ...] = ()
    patients: tuple[str, ...] = ()
    reason: str | None = None

    def as_json(self) -> dict:
        return {
            "n": self.n,
            "reason": self.reason,
            "reasons": [r.as_json() for r in self.reasons],
            "patients": list(self.patients),
        }

    @property
    def shown(self) -> str:
        """n as written beside the box's label: "3", or "not determinable: <reason>"."""
        return count_or_reason(self.n, self.reason)


@dataclass(frozen=True)
class Flow:
    """The CONSORT 2025 participant flow of one study (see the module docstring for each count)."""

    assessed: int | None
    excluded: Count
    enrolled: int | None
    received_intervention: int | None
    not_received: Count
    lost_to_follow_up: Count
    discontinued: Count
    disposition_recorded: bool
    no_primary_visit: tuple[str, ...]  # enrolled patients without a primary-month primary value
    analysed: dict[str, int]
    excluded_from_analysis: dict[str, Count]
    notes: tuple[str, ...] = field(default=())
    enrolled_ids: tuple[str, ...] = field(default=())
    #: outcome key -> label, for the "Analysed" boxes
    labels: dict[str, str] = field(default_factory=dict)
    trial: str = ""  # the protocol's id, in the diagram's title
    followup_month: float | None = None  # the month of the primary end point compared
    followup_visit: str = ""  # its name in the schedule's unit ("month 6", "week 24")
    #: enrolled with a primary-month primary outcome value (the funnel's "Completed"; None: not determinable)
    completed: int | None = None
    #: why a number is None: "assessed", "enrolled", "received_intervention", "completed" -> reason in words
    reasons: dict[str, str] = field(default_factory=dict)
    #: a screening log was supplied (read or not): the diagram starts with "Assessed for eligibility"
    screening_supplied: bool = True

    def shown(self, number: str) -> str:
        """One of the flow's numbers ("assessed", "enrolled", "received_intervention", "completed") as written:
        "5", or "not determinable: <reason>"."""
        return count_or_reason(getattr(self, number), self.reasons.get(number))

    def category_counts(self) -> list[tuple[str, int]]:
        counts: Counter[str] = Counter()
        for r in self.excluded.reasons:
            counts[r.category] += r.n
        return [(c, counts[c]) for c in CATEGORIES if counts[c]]

    def as_json(self) -> dict:
        """The ``consort`` key of ``summary --json``."""
        excluded = self.excluded.as_json()
        excluded["categories"] = [{"label": c, "n": n} for c, n in self.category_counts()]
        excluded.pop("patients")
        return {
            "assessed": self.assessed,
            "excluded": excluded,
            "enrolled": self.enrolled,
            "received_intervention": self.received_intervention,
            "not_received": self.not_received.as_json(),
            "lost_to_follow_up": self.lost_to_follow_up.as_json(),
            "discontinued": self.discontinued.as_json(),
            "disposition_recorded": self.disposition_recorded,
            "no_primary_visit": list(self.no_primary_visit),
            "analysed": dict(self.analysed),
            "excluded_from_analysis": {k: v.as_json() for k, v in self.excluded_from_analysis.items()},
            "notes": list(self.notes),
            "completed": self.completed,
            "not_determinable": dict(self.reasons),
        }


def _reasons(labels: Sequence[tuple[str, str, str | None]], judged: Sequence[Criterion] = ()) -> tuple[Reason, ...]:
    """(category, label, detail) per person -> Reasons in category order, then the criteria's order (``judged``),
    then by first appearance."""
    by: dict[tuple[str, str], Counter] = {}
    for category, label, detail in labels:
        by.setdefault((category, label), Counter())[detail] += 1
    order = {c: i for i, c in enumerate(CATEGORIES)}
    criteria = {c.label: i for i, c in enumerate(judged)}  # criteria in the protocol's order
    items = sorted(by.items(), key=lambda kv: (order.get(kv[0][0], len(order)), criteria.get(kv[0][1], len(criteria))))
    return tuple(
        Reason(label, sum(c.values()), category, tuple((d, k) for d, k in c.most_common() if d is not None))
        for (category, label), c in items
    )


def consort_flow(
    study: Study,
    eligibility: Eligibility | None = None,
    followup_month: float | None = None,
    comparisons: dict[str, OutcomeComparison] | None = None,
) -> Flow:
    """The participant flow of ``study`` (counts as the module docstring defines them): ``eligibility`` and the
    primary ``comparisons`` as ``medpath.analysis.analyse`` computed them (evaluated here when not given);
    ``followup_month``: the protocol's primary month by default."""
    protocol = study.protocol
    followup_month = protocol.primary_month if followup_month is None else followup_month
    eligibility = eligibility or evaluate_study(study)
    reasons: dict[str, str] = {}

    def funnel(step_id: str, key: str) -> int | None:
        """The funnel step's n (and its reason under ``key`` when not determinable)."""
        step = eligibility.step(step_id)
        if step is None:
            return None
        if step.n is None and step.reason:
            reasons[key] = step.reason
        return step.n

    visits = study.visits
    with_visits = list(dict.fromkeys(visits["patient_id"].tolist()))
    with_visits_set = set(with_visits)
    notes: list[str] = []
    enrolled_ids = list(eligibility.enrolled_ids)
    enrolled = funnel("enrolled", "enrolled")
    screening = study.screening
    assessed = funnel("screened", "assessed")
    if screening is None and "assessed" not in reasons:
        reasons["assessed"] = "no screening log was read"
    if screening is not None:
        table = eligibility.candidates
        ids = table["patient_id"].tolist()
        marked = table["enrolled"].fillna(False).astype(bool).to_numpy()
        has_visits = np.array([pid in with_visits_set for pid in ids], dtype=bool)
        chosen = set(enrolled_ids)
        enrolled_mask = np.array([pid in chosen for pid in ids], dtype=bool)
        screened = set(ids)
        unscreened = [pid for pid in with_visits if pid not in screened]
        if unscreened:
            notes.append(
                f"{len(unscreened)} patient(s) with visits are not in the screening log and are counted as "
                f"enrolled: {', '.join(unscreened)}"
            )
        late = [pid for pid, m, v in zip(ids, marked, has_visits) if v and not m]
        if late:
            notes.append(
                f"{len(late)} candidate(s) with visit rows are not marked enrolled in the screening log and "
                f"are counted as enrolled: {', '.join(late)}"
            )
        if assessed is None:
            excluded = Count(None, reason=f"the number assessed is not determinable ({reasons['assessed']})")
        elif enrolled is None:
            excluded = Count(None, reason=f"the number enrolled is not determinable ({reasons['enrolled']})")
        else:
            not_checked = {
                s.id: s.reason or ""
                for s in eligibility.steps
                if s.n is None and not (s.reason or "").startswith("it follows")
            }
            excluded = _excluded(
                screening.reset_index(drop=True), table, ~enrolled_mask, eligibility.criteria, not_checked
            )
    else:
        excluded = Count(None, reason=reasons["assessed"])
        notes.append("No screening log: the flow starts at enrolment (every patient with visit rows)")

    disposition = table_status(study, "disposition")
    status: dict[str, tuple[str | None, str | None, object]] = {}
    if study.disposition is not None:
        for pid, s, reason, received in zip(
            study.disposition["patient_id"].tolist(),
            study.disposition["status"].tolist(),
            study.disposition["reason"].tolist(),
            study.disposition["received_intervention"].tolist(),
        ):
            status[pid] = (s if isinstance(s, str) else None, reason if isinstance(reason, str) else None, received)

    received_unknown = (
        "the enrolled patients are not known"
        if enrolled is None
        else study.unread.get("visits")
        or ("no visit rows were read" if not len(visits) else None)
        or study.unread.get("disposition")  # a disposition sheet not read may say who did not receive it
    )
    if received_unknown is not None:
        reasons["received_intervention"] = received_unknown
        received_ids: list[str] = []
        not_received_count = Count(None, reason=received_unknown)
    else:
        not_received = []
        for pid in enrolled_ids:
            received = status.get(pid, (None, None, None))[2]
            if received is False:
                reason = status[pid][1]
                not_received.append((OTHER, reason or "reason not recorded", None))
            elif pid not in with_visits_set:
                not_received.append((OTHER, "no visit data", None))
        received_ids = [
            pid for pid in enrolled_ids if pid in with_visits_set and status.get(pid, (0, 0, None))[2] is not False
        ]
        not_received_count = Count(len(not_received), _plain(_reasons(not_received)))

    if disposition.read:
        lost = [
            (OTHER, status[p][1] or "reason not recorded", None)
            for p in enrolled_ids
            if p in status and status[p][0] == "lost to follow-up"
        ]
        stopped = [
            (OTHER, f"{status[p][0]}: {status[p][1] or 'reason not recorded'}", None)
            for p in enrolled_ids
            if p in status and status[p][0] in ("withdrew", "died")
        ]
        lost_count = Count(
            len(lost),
            _plain(_reasons(lost)),
            tuple(p for p in enrolled_ids if p in status and status[p][0] == "lost to follow-up"),
        )
        stopped_count = Count(
            len(stopped),
            _plain(_reasons(stopped)),
            tuple(p for p in enrolled_ids if p in status and status[p][0] in ("withdrew", "died")),
        )
        unrecorded = [p for p in enrolled_ids if p not in status or status[p][0] is None]
        if unrecorded:
            notes.append(f"Disposition not recorded for {len(unrecorded)} enrolled patient(s): {', '.join(unrecorded)}")
    else:
        lost_count = stopped_count = Count(None, reason=disposition.reason)

    at_end = visits[np.isclose(visits["month"].to_numpy(dtype=float), followup_month)]
    primary = [k for k in protocol.primary_outcomes if k in visits]
    measured = set(at_end.loc[at_end[primary].notna().any(axis=1), "patient_id"].tolist()) if primary else set()
    no_primary_visit = tuple(p for p in enrolled_ids if p not in measured)

    analysed, excluded_analysis = {}, {}
    if comparisons is None:
        comparisons = primary_analysis(visits, followup_month=followup_month, protocol=protocol) if len(visits) else {}
    received_set = set(received_ids)
    for key, comparison in comparisons.items():
        paired = set(comparison.changes["patient_id"].tolist())
        analysed[key] = len(paired)
        out = [
            (OTHER, comparison.unpaired.get(p, "no visit data"), None)
            for p in enrolled_ids
            if p not in paired and (p in received_set or p in comparison.unpaired)
        ]
        excluded_analysis[key] = Count(
            len(out),
            _plain(_reasons(out)),
            tuple(p for p in enrolled_ids if p not in paired and (p in received_set or p in comparison.unpaired)),
        )
    return Flow(
        assessed,
        excluded,
        enrolled,
        None if received_unknown is not None else len(received_ids),
        not_received_count,
        lost_count,
        stopped_count,
        disposition.read,
        no_primary_visit,
        analysed,
        excluded_analysis,
        tuple(notes),
        tuple(enrolled_ids),
        {key: protocol.outcomes[key].label for key in analysed},
        protocol.id,
        followup_month,
        protocol.visit_label(followup_month),
        completed=funnel(COMPLETED, "completed"),
        reasons=reasons,
        screening_supplied=screening is not None or "screening" in study.unread,
    )


def _plain(reasons: tuple[Reason, ...]) -> tuple[Reason, ...]:
    """Reasons without a category (boxes after enrolment have none)."""
    return tuple(Reason(r.label, r.n, "", r.details) for r in reasons)


def _excluded(
    screening: pd.DataFrame,
    candidates: pd.DataFrame,
    mask: np.ndarray,
    judged: Sequence[Criterion],
    not_checked: dict[str, str],
) -> Count:
    """The candidates not enrolled (``mask``), each under the first step not passed (module docstring);
    ``not_checked``: the criteria nobody could be checked on (funnel steps not determinable), id -> why."""
    labels = {c.id: c for c in judged}
    consent_step = next((c.id for c in judged if c.columns == ("consent",)), None)
    people: list[tuple[str, str, str | None]] = []
    consent = screening["consent"].tolist() if "consent" in screening else [None] * len(screening)
    rows = screening.loc[mask]
    selected = candidates.loc[mask]
    columns = list(rows.columns)
    # tolist gives Python values (True, not numpy.bool_), which the criteria's reasons compare with ``is``
    for values, first, failed, position in zip(
        zip(*(rows[c].tolist() for c in columns)),
        selected["first_exclusion"].tolist(),
        selected["failed"].tolist(),
        np.flatnonzero(mask),
    ):
        not_met = first in failed
        if first in labels and first != consent_step:
            criterion = labels[first]
            if not_met:
                row = dict(zip(columns, values))
                people.append((NOT_MEETING, criterion.label, criterion.reason(row)))
            elif first in not_checked:
                people.append((NOT_DETERMINED, f"{criterion.label}: could not be checked ({not_checked[first]})", None))
            else:
                people.append((OTHER, f"eligibility not confirmed: {criterion.label} (missing data)", None))
        elif first == consent_step:
            value = consent[position]
            if value == "declined":
                people.append((DECLINED, "consent declined", None))
            elif isinstance(value, str):
                people.append((OTHER, f"consent {value}", None))
            else:
                people.append((OTHER, "consent not recorded", None))
        elif first == "enrolled":
            people.append((OTHER, "eligible, not enrolled" if not_met else "eligible, enrolment not recorded", None))
        else:
            people.append((OTHER, "not enrolled", None))
    return Count(len(people), _reasons(people, judged), tuple(candidates.loc[mask, "patient_id"].tolist()))


def stages_table(flow: Flow) -> pd.DataFrame:
    """The study stages (not criteria) as a tidy table: stage, n (missing when not determinable), of_whom (what the n
    is taken from) and reasons in words — what the Eligibility page shows beside the diagram; a number that is not
    determinable says why in its reasons ("not determinable: …")."""

    def words(count: Count) -> str:
        if count.n is None:
            return not_determinable(count.reason)
        return "; ".join(f"{r.label}: {r.n}" for r in count.reasons) or "–"

    def why(number: str, otherwise: str = "–") -> str:
        return not_determinable(flow.reasons[number]) if number in flow.reasons else otherwise

    rows = [
        ("Assessed for eligibility", flow.assessed, "screening log", why("assessed")),
        ("Excluded", flow.excluded.n, "assessed", words(flow.excluded)),
        ("Enrolled", flow.enrolled, "assessed", why("enrolled")),
        (
            "Received the intervention",
            flow.received_intervention,
            "enrolled",
            words(flow.not_received) if flow.not_received.n != 0 else "–",
        ),
        ("Lost to follow-up", flow.lost_to_follow_up.n, "enrolled", words(flow.lost_to_follow_up)),
        ("Discontinued (withdrew, died)", flow.discontinued.n, "enrolled", words(flow.discontinued)),
    ]
    for key, n in flow.analysed.items():
        rows.append(
            (
                f"Analysed: {flow.labels.get(key, key)}",
                n,
                "received the intervention",
                words(flow.excluded_from_analysis[key]) if flow.excluded_from_analysis[key].n else "–",
            )
        )
    return pd.DataFrame(rows, columns=["stage", "n", "of", "reasons"]).astype({"n": "Int64"})
