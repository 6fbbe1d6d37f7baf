"""Whether the optional tables (adverse events, disposition) were read, and the safety numbers only when they were.

The one place that decides whether a harms count can be shown (issue 23, item 6). A count of adverse events, of
patients with an event, of serious events, and the grade × relatedness table are **determinable only when an
adverse-event table was read without an error**: ``Study.adverse_events`` is not None and "adverse_events" is not in
``Study.unread``. Otherwise they are not determinable — never 0, and never "no serious adverse event" — and the
status says why:

* ``"read"``: the table was read whole (it may list no event: then "no event" is what it says);
* ``"not supplied"``: no such sheet or file was given;
* ``"not read"``: one was given but could not be read whole; the reason (``Study.unread``) names the file and sheet.
  Also when no such table was read and a file of the upload could not be read at all (it has no column in
  ``Study.columns``): it may have held one, so "not supplied" cannot be said.

The same three statuses serve the disposition sheet (``table_status(study, "disposition")``), from which the
participant flow takes its losses (``medpath.consort``). The summary JSON (``safety_json``), the Safety page, the
report, the slides and the Word tables all ask here; none decides for itself.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import pandas as pd

from medpath.adverse_events import ae_summary, grade_relatedness_table
from medpath.formatting import NOT_DETERMINABLE, of_total
from medpath.model import Study

Status = Literal["read", "not supplied", "not read"]
READ: Status = "read"
NOT_SUPPLIED: Status = "not supplied"
NOT_READ: Status = "not read"

#: The optional tables, as a reader names them.
TABLE_WORDS = {"adverse_events": "adverse-event", "disposition": "disposition"}
#: The numbers of ``medpath.adverse_events.ae_summary``: None in the JSON when they are not determinable.
SAFETY_NUMBERS = ("events", "patients", "serious", "serious_patients", "by_grade_relatedness")


@dataclass(frozen=True)
class TableStatus:
    """Whether an optional table was read: ``status`` and, unless read, ``reason`` (lower case, no final stop)."""

    kind: str
    status: Status
    reason: str | None = None

    @property
    def read(self) -> bool:
        return self.status == READ


def unreadable_files(study: Study) -> list[str]:
    """The files of the upload of which nothing was read (not one column of theirs in ``Study.columns``)."""
    read = set(study.columns["file"].tolist())
    return [source.name for source in study.sources if source.name not in read]


def table_status(study: Study, kind: str) -> TableStatus:
    """The status of the optional table ``kind`` ("adverse_events" or "disposition") of ``study``."""
    word = TABLE_WORDS[kind]
    if kind in study.unread:
        return TableStatus(kind, NOT_READ, study.unread[kind])
    if getattr(study, kind) is None:
        if unreadable := unreadable_files(study):
            names = ", ".join(unreadable)
            return TableStatus(
                kind, NOT_READ, f"{names} could not be read, so whether it holds a {word} sheet is not known"
            )
        return TableStatus(kind, NOT_SUPPLIED, f"no {word} sheet was supplied")
    return TableStatus(kind, READ)


@dataclass(frozen=True)
class Safety:
    """The harms of a study: the adverse events' status, and the events themselves only when they were read."""

    status: TableStatus
    #: the adverse-event table, None unless read whole
    events: pd.DataFrame | None
    #: ``ae_summary`` of ``events``, None unless read whole
    summary: dict | None
    #: ``grade_relatedness_table`` of ``events`` (the tidy counts behind the summary and the grade matrix), None
    #: unless read whole
    by_grade_relatedness: pd.DataFrame | None

    @property
    def read(self) -> bool:
        return self.status.read


def safety(study: Study) -> Safety:
    """The harms of ``study`` (module docstring): the events and their summary only when the table was read whole."""
    status = table_status(study, "adverse_events")
    if not status.read:
        return Safety(status, None, None, None)
    table = grade_relatedness_table(study.adverse_events)
    return Safety(status, study.adverse_events, ae_summary(study.adverse_events, table), table)


def safety_json(study: Study) -> dict:
    """The ``adverse_events`` key of ``summary --json``: ``status`` ("read" / "not supplied" / "not read"),
    ``reason`` (null when read), and the numbers of ``ae_summary`` (events, patients, serious, serious_patients,
    by_grade_relatedness), each null unless the table was read."""
    harms = safety(study)
    numbers = harms.summary if harms.summary is not None else dict.fromkeys(SAFETY_NUMBERS)
    return {"status": harms.status.status, "reason": harms.status.reason, **numbers}


def not_read_sentence(status: TableStatus) -> str:
    """What a harms section says when the adverse events were not read: that they were not supplied, or not read
    and why, and that this is not the same as no adverse events."""
    if status.status == NOT_SUPPLIED:
        said = "Adverse events were not supplied: no adverse-event sheet was read"
    else:
        said = f"Adverse events were not read: {status.reason}"
    return (
        f"{said}, so the numbers of adverse events and of patients with one are {NOT_DETERMINABLE} and harms are not "
        "reported here. This is not the same as no adverse events."
    )


def events_sentence(harms: Safety, enrolled: int | None, left_out: int = 0) -> str:
    """The harms in one sentence, e.g. "7 adverse event(s) in 4 of 5 enrolled patient(s); 1 serious in 1 patient(s);
    seriousness not recorded for 1; 2 row(s) of the adverse-event sheet left out because of an error." (``left_out``:
    ``Study.excluded_rows["adverse_events"]``). Only for events that were read (``Safety.read``)."""
    assert harms.summary is not None and harms.events is not None, "only for adverse events that were read"
    s = harms.summary
    unknown = int(harms.events["serious"].isna().sum())
    return (
        f"{s['events']} adverse event(s) in {of_total(s['patients'], enrolled)} enrolled patient(s); "
        f"{s['serious']} serious in {s['serious_patients']} patient(s)"
        + (f"; seriousness not recorded for {unknown}" if unknown else "")
        + (f"; {left_out} row(s) of the adverse-event sheet left out because of an error" if left_out else "")
        + "."
    )


def no_serious_sentence(harms: Safety) -> str:
    """What a read table says when it records no serious event (only then: never for events not read)."""
    assert harms.events is not None, "only for adverse events that were read"
    unknown = int(harms.events["serious"].isna().sum())
    return "No adverse event is recorded as serious." + (
        f" Seriousness is not recorded for {unknown} event(s)." if unknown else ""
    )
