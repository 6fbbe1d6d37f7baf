"""Why the eligibility funnel stops where it does, in words, when the cause is missing data.

A candidate whose value for a criterion is missing or unreadable is *unknown* on it and does not pass
that funnel step (``medpath.eligibility``). When a whole screening column is missing, every candidate
is unknown there and "Enrolled" becomes 0 — which reads like a result, not a data problem. These notes
name the step, the columns it needs and how many candidates could not be checked, so the Overview can
say why (issue 11, item 7).
"""

from __future__ import annotations

import pandas as pd

from medpath.eligibility import Eligibility
from medpath.protocol import Protocol, current


def funnel_notes(
    eligibility: Eligibility, screening: pd.DataFrame | None, protocol: Protocol | None = None
) -> list[str]:
    """One sentence per funnel step on which candidates were unknown, the step that emptied the funnel first; the
    fields named by ``protocol``'s labels (by default the active protocol's)."""
    named = {f.key: f.label for f in (protocol or current()).screening}

    def said(fields: list[str]) -> str:
        return ", ".join(named.get(f, f) for f in fields)

    columns = {c.id: c.columns for c in (*eligibility.criteria, *eligibility.follow_up)}
    notes = []
    for step in eligibility.steps:
        if not step.unknown or step.id not in columns:
            continue
        needed = [c for c in columns[step.id] if screening is not None and c in screening]
        empty = [c for c in needed if screening is not None and screening[c].isna().all()]
        if empty:
            what = f"the screening column(s) for {said(empty)} are missing or hold no readable value"
        else:  # name only the columns that are blank for the candidates unknown on this step
            unknown = eligibility.candidates["unknown"].map(lambda ids, step=step.id: step in ids).to_numpy()
            rows = screening.loc[unknown] if screening is not None and len(unknown) == len(screening) else None
            blank = [c for c in needed if rows is not None and rows[c].isna().any()] or needed
            what = f"a value it needs ({said(blank) or 'visits'}) is missing or unreadable for them"
        notes.append(
            f"{step.unknown} candidate(s) could not be checked on '{step.label}': {what}. "
            "They are counted as not passing this step; the Data page lists the cells."
        )
    enrolled = next((s for s in eligibility.steps if s.id == "enrolled"), None)
    if enrolled is not None and enrolled.n == 0 and notes:
        notes[0] = "'Enrolled' is 0 because of missing data, not because candidates failed: " + notes[0]
    return notes
