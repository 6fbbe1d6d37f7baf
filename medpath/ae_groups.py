"""Adverse events grouped for a study too large to draw patient by patient (``medpath.scale.summary_first``): the
events counted by term and CTCAE grade, the patients with events to pick one for their own timeline, and the serious
events said in one sentence instead of one bullet each.

Terms are counted as reported (MedDRA coding is left to the study team, ``medpath.adverse_events``), but without
regard to letter case ("Fever" and "fever" are one term, shown in its most frequent spelling): a large study's sheet
is typed by several people, and two bars for one event would halve its frequency. A missing term is "(no term)".

Patients are counted at their worst grade, as in ``grade_relatedness_table`` (the "worst grade" convention of AE
tables, CONSORT Harms 2022): within one term each patient is counted once, at the worst grade of their events of that
term, so a term's patients add up over the grades to the patients with that term. Events are counted at their own
grade.
"""

from __future__ import annotations

from collections import Counter

import pandas as pd

from medpath.adverse_events import grade_name, worst_grade_counts

#: How many terms a chart names, the most frequent first; the others are counted together as ``OTHER_TERMS``.
TOP_TERMS = 15
OTHER_TERMS = "other terms"
#: What a chart or table of ``term_grade_table`` counts, under it on the page, in the report, the slides and the Word tables.
TERM_GRADE_NOTE = (
    f"The {TOP_TERMS} most frequent terms (patients with the term), the others together; letter case aside, terms are "
    "counted as reported. Each patient is counted once per term, at the worst grade of their events of it."
)
NO_TERM = "(no term)"


def _terms(adverse_events: pd.DataFrame) -> list[str]:
    """Each event's term as counted: case-insensitive groups shown in their most frequent spelling (ties: the
    spelling met first)."""
    written = [NO_TERM if not isinstance(t, str) else t for t in adverse_events["term"].tolist()]
    folded = {term: term.casefold() for term in set(written)}  # each distinct spelling folded once
    shown: dict[str, str] = {}
    for term, _ in Counter(written).most_common():  # by frequency; ties in the order first met (sorted stably)
        shown.setdefault(folded[term], term)
    return [shown[folded[t]] for t in written]


def term_grade_table(adverse_events: pd.DataFrame, top: int = TOP_TERMS) -> pd.DataFrame:
    """Tidy counts by term x CTCAE grade: columns term, grade ("Int64", 1-5, NA = not graded), patients, events;
    one row per term and grade with events, the terms from the most frequent down (patients with the term, then
    events, then the term's name), the ``top`` most frequent named and the rest together as ``OTHER_TERMS`` (last).
    ``patients``: the term's patients whose worst grade of it is this grade (module docstring); ``events``: the
    term's events of this grade."""
    columns = ["term", "grade", "patients", "events"]
    if adverse_events is None or adverse_events.empty:
        return pd.DataFrame({c: pd.Series(dtype="Int64" if c == "grade" else object) for c in columns})
    terms = _terms(adverse_events)
    patients = adverse_events["patient_id"].tolist()
    grades = adverse_events["grade"].astype("float64").fillna(0).tolist()  # 0 = not graded, below 1
    events = Counter(terms)
    with_term = Counter(term for term, _ in set(zip(terms, patients)))  # each patient once per term
    ranked = sorted(events, key=lambda t: (-with_term[t], -events[t], t))
    named = ranked[:top] if len(ranked) > top + 1 else ranked  # "other terms" only for two or more terms
    kept = set(named)
    grouped = [t if t in kept else OTHER_TERMS for t in terms]
    rows = [
        (term, grade or pd.NA, n_patients, n_events)
        for term, grade, n_patients, n_events in worst_grade_counts(grouped, patients, grades, [*named, OTHER_TERMS])
    ]
    return pd.DataFrame(rows, columns=columns).astype({"grade": "Int64"})


def patient_choices(adverse_events: pd.DataFrame) -> pd.DataFrame:
    """The patients with events, to choose one for their timeline: patient_id, events, worst_grade ("Int64", NA when
    none is graded), serious (their serious events), label (e.g. "P7: 3 events, worst grade 4 (life-threatening),
    1 serious"); the most severe first (worst grade, then serious events, then events), then by patient id."""
    per: dict[str, list] = {}  # patient -> [events, worst grade (None: none graded), serious events], in one pass
    for pid, grade, serious in zip(
        adverse_events["patient_id"].tolist(),
        adverse_events["grade"].astype("float64").tolist(),  # NaN: not graded
        adverse_events["serious"].eq(True).fillna(False).tolist(),
    ):
        counts = per.get(pid) or per.setdefault(pid, [0, None, 0])
        counts[0] += 1
        if grade == grade and (counts[1] is None or grade > counts[1]):
            counts[1] = grade
        counts[2] += serious
    ids = sorted(  # the most severe first: worst grade (none graded last), serious events, events; then the id
        per, key=lambda pid: (per[pid][1] is None, -(per[pid][1] or 0), -per[pid][2], -per[pid][0], pid)
    )
    events = [per[pid][0] for pid in ids]
    worst = [per[pid][1] for pid in ids]
    serious = [int(per[pid][2]) for pid in ids]
    graded = {w: "not graded" if w is None else f"worst {grade_name(w)}" for w in set(worst)}  # each named once

    def label(pid: str, events: int, worst: float | None, serious: int) -> str:
        return f"{pid}: {events} event{'s' if events != 1 else ''}, {graded[worst]}" + (
            f", {serious} serious" if serious else ""
        )

    return pd.DataFrame(
        {
            "patient_id": ids,
            "events": events,
            "worst_grade": pd.array([None if w is None else int(w) for w in worst], dtype="Int64"),
            "serious": serious,
            "label": [label(*values) for values in zip(ids, events, worst, serious)],
        }
    )


def serious_sentence(summary: dict) -> str:
    """The serious adverse events of a larger study in one sentence (``summary``: ``ae_summary``), for a page that
    lists them in a table under it instead of one bullet each."""
    return (
        f"Serious adverse events: {summary['serious']} event(s) in {summary['serious_patients']} patient(s). Each is "
        "in the table below, and highlighted in the listing of every adverse event."
    )
