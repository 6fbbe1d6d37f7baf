"""Why the eligibility funnel cannot count a step, or counts candidates as unknown there, in words.

A candidate whose value for a criterion is missing or unreadable is *unknown* on it and does not pass that funnel
step (``medpath.eligibility``). When a column a criterion reads holds no value for any candidate reaching it (a
header MedPath does not recognise, a legacy file without the infection tests), the step is *not determinable*
(``FunnelStep.n`` None) and so are the criteria after it; "Enrolled" is still the enrolment recorded. These notes
name the step, the columns and how many candidates could not be checked, so the Overview and the Word tables say
why (issue 11, item 7; issue 23, item 6).
"""

from __future__ import annotations

import pandas as pd

from medpath.eligibility import Eligibility, field_labels
from medpath.formatting import not_determinable
from medpath.protocol import Protocol


def funnel_notes(eligibility: Eligibility, screening: pd.DataFrame | None, protocol: Protocol) -> list[str]:
    """One sentence per criterion that cannot be checked at all (the first of the steps that are not determinable,
    and any other with a cause of its own), and one per step on which some candidates are unknown; the fields named
    by ``protocol``'s labels."""
    named = field_labels(protocol)
    columns = {c.id: c.columns for c in (*eligibility.criteria, *eligibility.follow_up)}
    criteria = {c.id for c in eligibility.criteria}
    notes = []
    said_before: set[str] = set()  # causes already said (a step that merely follows one is not noted again)
    for step in eligibility.steps:
        if step.id in criteria and step.n is None:
            cause = step.reason or ""
            if cause not in said_before and not (said_before and cause.startswith("it follows")):
                notes.append(
                    f"'{step.label}' is {not_determinable(step.reason)}, so the eligibility steps after it cannot be "
                    "counted either. 'Enrolled' counts the patients recorded as enrolled; the Data page says which "
                    "columns were read."
                )
            said_before.add(cause)
            continue
        if not step.unknown or step.id not in columns:
            continue
        needed = [c for c in columns[step.id] if screening is not None and c in screening]
        # name only the columns that are blank for the candidates unknown on this step
        unknown = eligibility.candidates["unknown"].map(lambda ids, step=step.id: step in ids).to_numpy()
        rows = screening.loc[unknown] if screening is not None and len(unknown) == len(screening) else None
        blank = [c for c in needed if rows is not None and rows[c].isna().any()] or needed
        said = ", ".join(named.get(c, c) for c in blank) or "visits"
        notes.append(
            f"{step.unknown} candidate(s) could not be checked on '{step.label}': a value it needs ({said}) is "
            "missing or unreadable for them. They are counted as not passing this step; the Data page lists the cells."
        )
    return notes
