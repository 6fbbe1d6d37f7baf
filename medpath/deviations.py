"""Protocol deviations and enrolment inconsistencies as records: one ``Deviation`` per patient and problem, from
which both the sentences of ``Eligibility.deviations`` (one per patient, as the report, the slides and a pilot's
Eligibility page list them) and the grouped views of a larger study (counts by criterion, the per-patient table)
are built, so that the two can never disagree.

Why records and not only sentences: at 1,000 enrolled patients a sentence per patient is 1,000 warning boxes; a
count per criterion is a table of a few rows whatever the study's size, and the individuals stay one click away in
a virtualised table. Each record carries a ``Kind`` (a code): the pages pick and count by it, never by a sentence's
wording.

The study-level sentences (no readable enrolled column; a criterion nobody could be checked on) are not records:
they are one sentence each, not one per patient (``medpath.eligibility``).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from itertools import groupby

import pandas as pd


class Kind(StrEnum):
    """What is wrong with one enrolled patient (a stable code; the sentence says the particulars)."""

    NOT_MET = "not_met"  # a recorded value fails a criterion: a protocol deviation
    UNKNOWN = "unknown"  # a value a criterion needs is missing: eligibility on it not determinable
    NOT_MARKED_ENROLLED = "not_marked_enrolled"  # visit rows, the screening log says not enrolled (or nothing)
    NOT_SCREENED = "not_screened"  # visit rows, no screening row


#: The kinds about one criterion (``Deviation.criterion`` set); the others are about the enrolment.
CRITERION_KINDS = (Kind.NOT_MET, Kind.UNKNOWN)
#: How each kind reads in the per-patient table.
KIND_WORDS = {
    Kind.NOT_MET: "not met",
    Kind.UNKNOWN: "not determinable",
    Kind.NOT_MARKED_ENROLLED: "visit rows, not marked enrolled",
    Kind.NOT_SCREENED: "visit rows, no screening row",
}


@dataclass(frozen=True)
class Deviation:
    """One problem of one enrolled patient. ``criterion`` and ``label``: the criterion's id and the protocol's label
    of it (for ``NOT_MET`` and ``UNKNOWN``; empty otherwise). ``detail``: ``NOT_MET``: why it fails (the criterion's
    reason, e.g. "T-score > −2.5"); ``UNKNOWN``: what is missing ("spine BMD T-score missing");
    ``NOT_MARKED_ENROLLED``: what the screening log says ("not enrolled" or "missing")."""

    patient_id: str
    kind: Kind
    criterion: str = ""
    label: str = ""
    detail: str = ""


def _problem(record: Deviation) -> str:
    """e.g. "'No excluded medication' (corticosteroid)", "'Osteoporosis on BMD (T-score ≤ −2.5)' (unknown: spine BMD
    T-score missing)"."""
    unknown = "unknown: " if record.kind == Kind.UNKNOWN else ""
    return f"'{record.label}' ({unknown}{record.detail})"


def sentences(records: Iterable[Deviation]) -> list[str]:
    """One sentence per patient and kind of problem, in the records' order (a patient's records are consecutive):
    an enrolment inconsistency, then the criteria the patient does not meet (or is unknown on) in one sentence."""
    said = []
    for pid, own in groupby(records, key=lambda r: r.patient_id):
        mine = list(own)
        for record in mine:
            if record.kind == Kind.NOT_MARKED_ENROLLED:
                said.append(
                    f"Patient {pid} has visit rows but the screening log says enrolled: {record.detail}; "
                    "the visits are still analysed."
                )
            elif record.kind == Kind.NOT_SCREENED:
                said.append(
                    f"Patient {pid} has visit rows but no screening row, so eligibility cannot be checked; "
                    "the visits are still analysed."
                )
        problems = [_problem(r) for r in mine if r.kind in CRITERION_KINDS]
        if problems:
            said.append(
                f"Protocol deviation: patient {pid} is enrolled but does not meet {'; '.join(problems)}. "
                "The patient is still analysed."
            )
    return said


def counts_by_criterion(records: Sequence[Deviation], order: Sequence[str] = ()) -> pd.DataFrame:
    """Per criterion with at least one deviation: criterion (id), label, not_met (enrolled patients a recorded value
    fails it), unknown (enrolled patients not determinable on it: a value missing). Rows in ``order`` (criterion
    ids, the protocol's), then any other in order of appearance. A patient has at most one record per criterion,
    so these count patients. A criterion without a deviation has no row: its 0 is said by the criteria table, and a
    criterion nobody could be checked on is a sentence of its own, never a 0 here."""
    counted = Counter((r.criterion, r.kind) for r in records if r.kind in CRITERION_KINDS)
    labels = {r.criterion: r.label for r in records if r.kind in CRITERION_KINDS}
    ids = [c for c in order if c in labels] + [c for c in labels if c not in order]
    return pd.DataFrame(
        {
            "criterion": ids,
            "label": [labels[c] for c in ids],
            "not_met": [counted[c, Kind.NOT_MET] for c in ids],
            "unknown": [counted[c, Kind.UNKNOWN] for c in ids],
        },
        columns=["criterion", "label", "not_met", "unknown"],
    ).astype({"not_met": "int64", "unknown": "int64"})


def summary_sentences(records: Sequence[Deviation]) -> list[str]:
    """The deviations of a larger study in a few sentences, whatever its size: the enrolled patients who do not meet
    every criterion (those failing at least one, and those only not determinable), then each enrolment
    inconsistency counted. No sentence for a kind with no patient."""
    patients = {kind: {r.patient_id for r in records if r.kind == kind} for kind in Kind}
    deviant = patients[Kind.NOT_MET] | patients[Kind.UNKNOWN]
    said = []
    if deviant:
        failing, only_unknown = len(patients[Kind.NOT_MET]), len(deviant - patients[Kind.NOT_MET])
        said.append(
            f"Protocol deviations: {len(deviant)} enrolled patient(s) do not meet every criterion ({failing} fail at "
            f"least one, {only_unknown} are not determinable on one: a value is missing). They are still analysed. "
            "The table counts them by criterion; the list of every patient is under it."
        )
    if k := len(patients[Kind.NOT_MARKED_ENROLLED]):
        said.append(
            f"{k} patient(s) have visit rows but the screening log does not say they were enrolled (not enrolled, "
            "or missing); their visits are still analysed."
        )
    if k := len(patients[Kind.NOT_SCREENED]):
        said.append(
            f"{k} patient(s) have visit rows but no screening row, so their eligibility cannot be checked; their "
            "visits are still analysed."
        )
    return said


def deviation_table(records: Sequence[Deviation]) -> pd.DataFrame:
    """Every record for display, one row each (a patient failing two criteria has two rows): patient_id,
    deviation (the criterion's label, or the enrolment inconsistency in words), finding (``KIND_WORDS``), detail."""
    return pd.DataFrame(
        {
            "patient_id": [r.patient_id for r in records],
            "deviation": [r.label or "Enrolment" for r in records],
            "finding": [KIND_WORDS[r.kind] for r in records],
            "detail": [r.detail for r in records],
        },
        columns=["patient_id", "deviation", "finding", "detail"],
    )
