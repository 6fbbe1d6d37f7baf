"""The mapping step's live preview (issue 24): the study as the step's current choices would read it, before Apply.

``read_preview`` reads the files with the profile the step's boxes make, exactly as Apply would
(``medpath.study.load_study``, then ``medpath.analysis.analyse`` with the protocol's defaults), and ``preview_of``
turns the study into what the step shows: the first rows of the screening and visits tables and the counts a
coordinator checks before Apply -- screened, enrolled and completed (the participant flow's, ``medpath.consort``, as
on the Overview) and, per primary outcome, the number of before-after pairs. A count that cannot be determined is
"not determinable" with its reason, never 0. ``compared`` marks what differs from the study read at the last Apply:
each count's number then and whether it changed, and the table columns whose values changed.
``profile_changes`` lists the entries of the profile that the boxes change (column, value, sheet, rows), one line
each.
Nothing here touches disk or the page.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace

import pandas as pd

from medpath.analysis import analyse
from medpath.formatting import NOT_DETERMINABLE, count_or_reason
from medpath.model import Study
from medpath.pipeline.map.profile import Profile
from medpath.protocol import Protocol
from medpath.study import load_study

#: The rows of each table the preview shows (the step's grid scrolls; the whole table is on the Data page).
PREVIEW_ROWS = 100
#: The columns of the counts table (``Preview.counts``).
COUNT_COLUMNS = ("count", "value", "shown", "at last Apply", "changed")


@dataclass(frozen=True)
class Preview:
    """What the step shows of a study: its tables' first ``PREVIEW_ROWS`` rows with their row counts, the counts
    (one row each: ``COUNT_COLUMNS``; ``value`` None when not determinable, ``shown`` the number or "not
    determinable: why"), the number of errors, and per table the columns changed since the last Apply (filled by
    ``compared``)."""

    tables: dict[str, pd.DataFrame]  # "screening" (absent without a screening table), "visits"
    rows: dict[str, int]
    counts: pd.DataFrame
    errors: int
    changed_columns: dict[str, tuple[str, ...]] = field(default_factory=dict)
    #: the whole tables, for ``compared`` (not shown)
    whole: dict[str, pd.DataFrame] = field(default_factory=dict, repr=False, compare=False)


def read_preview(files: Sequence[tuple[str, bytes]], protocol: Protocol, profile: Profile | None) -> Preview:
    """The preview of ``files`` read with ``profile`` under ``protocol`` (what Apply would read)."""
    return preview_of(load_study(files, mapping=profile or None, protocol=protocol))


def preview_of(study: Study) -> Preview:
    """The tables and counts of ``study`` (its analysis with the protocol's default choices)."""
    analysis = analyse(study)
    flow = analysis.flow
    counts: list[tuple[str, int | None, str | None]] = [
        ("Screened", flow.assessed, flow.reasons.get("assessed")),
        ("Enrolled", flow.enrolled, flow.reasons.get("enrolled")),
        ("Completed", flow.completed, flow.reasons.get("completed")),
    ]
    protocol = study.protocol
    for key in protocol.primary_outcomes:
        comparison = analysis.primary.get(key)
        reason = analysis.outcomes_not_determinable or (
            "no visit row holds it" if not len(study.visits) else f"no column is read as {protocol.outcomes[key].label}"
        )
        counts.append(
            (
                f"{protocol.outcomes[key].label}: n pairs",
                None if comparison is None else comparison.n_pairs,
                None if comparison is not None else reason,
            )
        )
    whole = {"visits": study.visits} | ({} if study.screening is None else {"screening": study.screening})
    return Preview(
        tables={kind: table.head(PREVIEW_ROWS) for kind, table in whole.items()},
        rows={kind: len(table) for kind, table in whole.items()},
        counts=pd.DataFrame(
            [(name, value, count_or_reason(value, reason), None, False) for name, value, reason in counts],
            columns=list(COUNT_COLUMNS),
        ),
        errors=len(study.errors),
        whole=whole,
    )


def compared(now: Preview, before: Preview) -> Preview:
    """``now`` with what differs from ``before`` (the study read at the last Apply): each count's number then and
    whether it changed, and per table the columns that are new or whose values differ."""
    then = dict(zip(before.counts["count"], before.counts["shown"]))
    value_then = dict(zip(before.counts["count"], before.counts["value"]))
    counts = now.counts.assign(
        changed=[then.get(c) != shown for c, shown in zip(now.counts["count"], now.counts["shown"])],
        **{"at last Apply": [_short(c, then, value_then) for c in now.counts["count"]]},
    )
    changed: dict[str, tuple[str, ...]] = {}
    for kind, table in now.whole.items():
        old = before.whole.get(kind)
        changed[kind] = tuple(str(c) for c in table.columns if old is None or not _same(table[c], old, c))
    return replace(now, counts=counts, changed_columns=changed)


def _short(count: str, shown: Mapping[str, str], value: Mapping[str, object]) -> str:
    """A count at the last Apply as the step shows it beside the new one: the number, or "not determinable" when its
    value was None (its reason is the findings' of the study in use, listed on the Data page); "—" when there was no
    such count."""
    if count not in shown:
        return "—"
    return NOT_DETERMINABLE if value[count] is None or pd.isna(value[count]) else shown[count]


def _same(column: pd.Series, old: pd.DataFrame, name: object) -> bool:
    if name not in old.columns or len(old) != len(column):
        return False
    a = column.astype(object).where(column.notna(), None).tolist()
    b = old[name].astype(object).where(old[name].notna(), None).tolist()
    return a == b


def profile_changes(applied: Profile | None, proposed: Profile | None) -> list[str]:
    """The entries of ``proposed`` that differ from ``applied``, one line each ("column 'Usia (tahun)': age (new)",
    "value of sex 'Pr': F (was: M)", "sheet 'Arsip': removed (was: ignore)")."""
    a = applied.as_dict() if applied else {}
    p = proposed.as_dict() if proposed else {}
    out: list[str] = []
    for section, what in (("columns", "column"), ("sheets", "sheet"), ("rows", "rows")):
        before, after = a.get(section, {}), p.get(section, {})
        for key in dict.fromkeys([*after, *before]):
            if before.get(key) != after.get(key):
                out.append(f"{what} '{key}': {_change(before.get(key), after.get(key))}")
    before_values, after_values = a.get("values", {}), p.get("values", {})
    for f in dict.fromkeys([*after_values, *before_values]):
        old, new = before_values.get(f, {}), after_values.get(f, {})
        for text in dict.fromkeys([*new, *old]):
            if old.get(text) != new.get(text):
                out.append(f"value of {f} '{text}': {_change(old.get(text), new.get(text))}")
    return out


def _change(before: object, after: object) -> str:
    """ "age (new)", "removed (was: age)" or "vas (was: ignore)"."""
    if before is None:
        return f"{_said(after)} (new)"
    if after is None:
        return f"removed (was: {_said(before)})"
    return f"{_said(after)} (was: {_said(before)})"


def _said(entry: object) -> str:
    if isinstance(entry, dict):
        return ", ".join(f"{k}: {v}" for k, v in entry.items())
    return str(entry)
