"""Per-patient disposition after enrolment: the optional ``disposition`` sheet, validated (CONSORT 2025
item 22: "losses and exclusions after randomisation [here: enrolment], together with reasons").

``Study.disposition`` (``None`` when no disposition sheet was supplied), one row per enrolled patient:
    patient_id (str); status (one of ``STATUSES``: "completed", "lost to follow-up", "withdrew", "died";
    None when unreadable); reason (str or None); date (datetime.date or None, the date of completion or of
    the last contact); received_intervention ("boolean", optional column: NA = not recorded);
    ``PROVENANCE``.

Columns: patient_id; status (also "disposition", "end of study status", "status akhir"); reason
("alasan"); date ("tanggal"); received_intervention (yes/no, "infused", "received MSC").
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

import pandas as pd

from medpath.findings import Code
from medpath.model import PROVENANCE, Finding
from medpath.pipeline.cells.values import BadValue, is_missing
from medpath.pipeline.map.columns import normalise
from medpath.pipeline.map.extra_fields import (
    PATIENT_ALIASES,
    Field,
    add_finding,
    enrolled_patients,
    parse_rows,
    read_date,
    read_patient,
    read_yes_no,
)
from medpath.pipeline.read.reading import RawTable
from medpath.protocol import Protocol
from medpath.trajectories import completed_primary

STATUSES = ("completed", "lost to follow-up", "withdrew", "died")
_STATUS_WORDS = {
    "completed": "completed",
    "complete": "completed",
    "finished": "completed",
    "selesai": "completed",
    "completedstudy": "completed",
    "tamat": "completed",
    "losttofollowup": "lost to follow-up",
    "ltfu": "lost to follow-up",
    "lost": "lost to follow-up",
    "lostfollowup": "lost to follow-up",
    "lfu": "lost to follow-up",
    "hilang": "lost to follow-up",
    "dropout": "lost to follow-up",
    "lostkontak": "lost to follow-up",
    "tidakkembali": "lost to follow-up",
    "withdrew": "withdrew",
    "withdrawn": "withdrew",
    "withdrawal": "withdrew",
    "withdraw": "withdrew",
    "consentwithdrawn": "withdrew",
    "withdrewconsent": "withdrew",
    "mengundurkandiri": "withdrew",
    "discontinued": "withdrew",
    "died": "died",
    "death": "died",
    "dead": "died",
    "deceased": "died",
    "meninggal": "died",
    "meninggaldunia": "died",
}


def read_status(raw: object) -> str | None:
    """completed / lost to follow-up / withdrew / died."""
    if is_missing(raw):
        return None
    try:
        return _STATUS_WORDS[normalise(raw)]
    except KeyError:
        raise BadValue("expected the disposition: completed, lost to follow-up, withdrew or died") from None


DISPOSITION_FIELDS: tuple[Field, ...] = (
    Field("patient_id", PATIENT_ALIASES, read_patient, required=True),
    Field(
        "status",
        ("disposition", "end of study status", "study status", "status akhir", "final status", "completion status"),
        read_status,
        required=True,
    ),
    Field(
        "reason",
        (
            "reason for discontinuation",
            "reason for withdrawal",
            "alasan",
            "keterangan alasan",
            "discontinuation reason",
        ),
        lambda raw: None if is_missing(raw) else str(raw).strip(),
    ),
    Field(
        "date",
        (
            "disposition date",
            "date of completion",
            "date of last contact",
            "last contact",
            "tanggal",
            "tanggal akhir",
            "end date",
        ),
        read_date,
    ),
    Field(
        "received_intervention",
        (
            "received intervention",
            "treated",
            "intervention received",
            "mendapat intervensi",
        ),
        read_yes_no,
    ),
)
DISPOSITION_COLUMNS = ("patient_id", "status", "reason", "date", "received_intervention", *PROVENANCE)


def empty_disposition() -> pd.DataFrame:
    return pd.DataFrame({c: [] for c in DISPOSITION_COLUMNS}).astype(
        {"received_intervention": "boolean", "source_row": "int64"}
    )


def disposition_fields(protocol: Protocol) -> tuple[Field, ...]:
    """``DISPOSITION_FIELDS`` with the protocol's own names for "received the intervention" (``Intervention.aliases``:
    "infused", "received MSC")."""
    extra = protocol.intervention.aliases if protocol.intervention else ()
    return tuple(
        replace(f, aliases=(*f.aliases, *extra)) if f.name == "received_intervention" and extra else f
        for f in DISPOSITION_FIELDS
    )


def parse_disposition(
    tables: Sequence[RawTable],
    screening: pd.DataFrame | None,
    visits: pd.DataFrame,
    adverse_events: pd.DataFrame | None,
    protocol: Protocol,
) -> tuple[pd.DataFrame, list[Finding], int]:
    """The canonical disposition table, the findings and the number of rows left out (no patient id,
    a second row for a patient); ``protocol``: the trial's (a patient completed at its primary month)."""
    parsed = parse_rows(tables, disposition_fields(protocol), "disposition")
    findings, excluded, records = parsed.findings, parsed.excluded, parsed.records
    with_visits, enrolled = enrolled_patients(screening, visits)
    completed = completed_primary(visits, protocol)
    deaths = (
        set()
        if adverse_events is None
        else set(adverse_events.loc[adverse_events["grade"].eq(5).fillna(False).to_numpy(), "patient_id"].tolist())
    )
    keep: list = []
    first: dict[str, int] = {}
    for i, row in enumerate(records):
        excel_row, raw = int(row["source_row"]), row["_raw"]
        pid, status = row["patient_id"], row["status"]

        def say(severity, column, message, value=None, *, code, _row=row):
            add_finding(findings, _row, severity, column, message, value, code=code)

        if pid in first:
            say(
                "error",
                "patient_id",
                f"a second disposition row for patient {pid} (first in row {first[pid]}); it was not used",
                code=Code.DUPLICATE_ROW,
            )
            excluded += 1
            continue
        first[pid] = excel_row
        keep.append(i)
        if status is None and is_missing(raw.get("status")):
            say(
                "error",
                "status",
                "no disposition: write completed, lost to follow-up, withdrew or died",
                code=Code.EXTRA_INCOMPLETE,
            )
        if status not in (None, "completed") and row["reason"] is None:
            say(
                "warning",
                "reason" if "reason" in row["_columns"] else "status",
                f"'{status}' without a reason: CONSORT asks for the reason of every loss",
                code=Code.EXTRA_INCOMPLETE,
            )
        if pid not in with_visits and pid not in enrolled:
            say(
                "warning",
                "patient_id",
                f"patient {pid} has a disposition row but no visit rows and is not marked enrolled",
                pid,
                code=Code.EXTRA_UNKNOWN_PATIENT,
            )
        if status == "completed" and pid in with_visits and pid not in completed:
            say(
                "warning",
                "status",
                f"patient {pid} is recorded as completed but has no {protocol.visit_adjective(protocol.primary_month)} value of a "
                "primary outcome",
                code=Code.EXTRA_INCONSISTENT,
            )
        if status == "died" and adverse_events is not None and pid not in deaths:
            say(
                "warning",
                "status",
                f"patient {pid} died, but the adverse events list no grade 5 event for this "
                "patient (CTCAE v5.0: death related to an adverse event is grade 5)",
                code=Code.EXTRA_INCONSISTENT,
            )
    frame = pd.DataFrame([records[i] for i in keep], columns=list(DISPOSITION_COLUMNS)).astype(
        {"received_intervention": "boolean", "source_row": "int64"}
    )
    missing = sorted((with_visits | enrolled) - set(frame["patient_id"]))
    if missing and tables:
        table = tables[0]
        findings.append(
            table.finding(
                "warning",
                None,
                None,
                ", ".join(missing),
                f"{len(missing)} enrolled patient(s) without a disposition row: "
                f"{', '.join(missing)}; their disposition is shown as not recorded",
                code=Code.DISPOSITION_MISSING,
            )
        )
    return frame, findings, excluded
