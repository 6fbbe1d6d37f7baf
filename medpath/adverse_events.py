"""Adverse events: the optional ``adverse_events`` sheet, validated, and the harms tables (CONSORT 2025
items 15 and 27; CONSORT Harms 2022).

``Study.adverse_events`` (``None`` when no adverse-event sheet was supplied), one row per event:
    patient_id (str); term (str, the event as reported, e.g. "Fever"; MedDRA coding is left to the
    study team); onset_date (datetime.date or None); onset_month (float, months since baseline = the
    infusion, NaN when only a date or nothing was given); grade (pandas "Int64", CTCAE v5.0 grade 1-5:
    1 mild, 2 moderate, 3 severe, 4 life-threatening, 5 death related to the event); serious
    ("boolean", ICH E2A: results in death, is life-threatening, requires or prolongs hospitalisation,
    disability, congenital anomaly); relatedness (one of ``RELATEDNESS``: the investigator's
    attribution to the study intervention, None = not assessed); outcome (one of ``AE_OUTCOMES``, the
    CDISC AEOUT terms); ``PROVENANCE`` (file, sheet, Excel row).

Columns (names matched like every other sheet's, ``ae_`` prefixes of a REDCap instrument accepted):
patient_id; term; onset (a date, or months as a number or a visit label such as "month 3" / "day 1"),
or onset_date and onset_month; grade; serious (yes/no); relatedness; outcome.

The known signals of umbilical-cord MSC infusion are transient fever and infusion-site reactions
(Thompson et al., EClinicalMedicine 2020;19:100249, a meta-analysis of MSC trials).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

import numpy as np
import pandas as pd

from medpath.findings import Code
from medpath.model import PROVENANCE, Finding
from medpath.pipeline.cells.values import is_missing
from medpath.pipeline.map.extra_fields import (
    AE_OUTCOMES,
    PATIENT_ALIASES,
    RELATEDNESS,
    Field,
    add_finding,
    enrolled_patients,
    header_keys,
    parse_rows,
    read_ae_outcome,
    read_date,
    read_grade,
    read_month,
    read_onset,
    read_patient,
    read_relatedness,
    read_yes_no,
)
from medpath.pipeline.read.reading import RawTable
from medpath.schedule import MONTHS, Clock

__all__ = [
    "AE_COLUMNS",
    "AE_FIELDS",
    "AE_OUTCOMES",
    "RELATEDNESS",
    "GRADE_WORDS",
    "parse_adverse_events",
    "ae_summary",
    "grade_relatedness_table",
    "grade_relatedness_matrix",
    "listing",
    "empty_adverse_events",
]

AE_FIELDS: tuple[Field, ...] = (
    Field("patient_id", PATIENT_ALIASES, read_patient, required=True),
    Field(
        "term",
        (
            "adverse event",
            "event",
            "ae",
            "ae term",
            "event term",
            "reported term",
            "description",
            "kejadian",
            "efek samping",
            "nama kejadian",
        ),
        lambda raw: None if raw is None or not str(raw).strip() else str(raw).strip(),
        required=True,
    ),
    Field("onset", ("onset", "start", "kejadian mulai", "awitan"), read_onset),
    Field(
        "onset_date",
        ("onset date", "start date", "date of onset", "tanggal mulai", "tanggal kejadian", "date"),
        read_date,
    ),
    Field(
        "onset_month",
        ("onset month", "month", "months since baseline", "onset (month)", "bulan", "bulan ke", "onset visit"),
        read_month,
    ),
    Field(
        "grade",
        ("ctcae grade", "severity grade", "ctcae", "severity", "derajat", "grade (ctcae)"),
        read_grade,
        required=True,
    ),
    Field("serious", ("sae", "serious ae", "serious adverse event", "is serious", "serius", "kts"), read_yes_no),
    Field(
        "relatedness",
        (
            "related",
            "relationship",
            "causality",
            "attribution",
            "relation to treatment",
            "relationship to study treatment",
            "hubungan",
            "keterkaitan",
        ),
        read_relatedness,
    ),
    Field("outcome", ("ae outcome", "event outcome", "result", "hasil", "luaran"), read_ae_outcome),
)
AE_COLUMNS = (
    "patient_id",
    "term",
    "onset_date",
    "onset_month",
    "grade",
    "serious",
    "relatedness",
    "outcome",
    *PROVENANCE,
)
#: CTCAE v5.0 general grade descriptions.
GRADE_WORDS = {1: "mild", 2: "moderate", 3: "severe", 4: "life-threatening", 5: "death"}
NOT_ASSESSED = "not assessed"


def grade_text(grade: float | None) -> str:
    """A CTCAE grade as a table's grade column writes it: "3 (severe)"; "not graded" when missing (None, NA, NaN)."""
    if grade is None or pd.isna(grade):
        return "not graded"
    return f"{int(grade)} ({GRADE_WORDS[int(grade)]})"


def grade_name(grade: float | None) -> str:
    """A CTCAE grade as a legend or a label names it: "grade 3 (severe)", "not graded"."""
    text = grade_text(grade)
    return text if text == "not graded" else f"grade {text}"


def empty_adverse_events() -> pd.DataFrame:
    return _typed(pd.DataFrame({c: [] for c in AE_COLUMNS}))


def _typed(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.astype(
        {"onset_month": "float64", "grade": "Int64", "serious": "boolean", "source_row": "int64"}
    ).reset_index(drop=True)


def parse_adverse_events(
    tables: Sequence[RawTable], screening: pd.DataFrame | None, visits: pd.DataFrame
) -> tuple[pd.DataFrame, list[Finding], int]:
    """The canonical adverse-event table of ``tables``, the findings and the number of rows left out."""
    parsed = parse_rows(tables, AE_FIELDS, "adverse events")
    findings, excluded, records = parsed.findings, parsed.excluded, parsed.records
    for table in tables:  # optional columns the table lacks: said once per table
        keys = {f.name for f in AE_FIELDS if any(k in f.keys() for k in _header_keys(table))}
        if not any(f.name in ("patient_id", "term", "grade") and f.name not in keys for f in AE_FIELDS):
            for name, why in (
                ("serious", "seriousness is not reported (serious events cannot be highlighted)"),
                ("relatedness", "relatedness to the intervention is not reported"),
                ("outcome", "the outcome of each event is not reported"),
            ):
                if name not in keys:
                    findings.append(
                        table.finding(
                            "warning",
                            table.header_row,
                            None,
                            None,
                            f"the adverse events table has no '{name}' column: {why}",
                            code=Code.EXTRA_COLUMN_MISSING,
                        )
                    )
            if not keys & {"onset", "onset_date", "onset_month"}:
                message = "the adverse events table has no onset column: events cannot be placed in time"
                findings.append(
                    table.finding("warning", table.header_row, None, None, message, code=Code.EXTRA_COLUMN_MISSING)
                )
    if not records:
        return empty_adverse_events(), findings, excluded
    for record in records:  # an 'onset' cell fills the date or the month
        if onset := record["onset"]:
            record["onset_date"] = record["onset_date"] if record["onset_date"] is not None else onset[0]
            record["onset_month"] = record["onset_month"] if record["onset_month"] is not None else onset[1]
    with_visits, enrolled = enrolled_patients(screening, visits)
    keep: list = []
    seen: dict[tuple, int] = {}
    told_unknown: set[str] = set()
    for i, row in enumerate(records):
        excel_row, raw = int(row["source_row"]), row["_raw"]

        def say(severity, column, message, value=None, *, code, _row=row):
            add_finding(findings, _row, severity, column, message, value, code=code)

        key = (row["patient_id"], row["term"], row["onset_date"], row["onset_month"], row["grade"], row["relatedness"])
        if key in seen:
            say(
                "error",
                "term",
                f"the same event as row {seen[key]} (patient, term, onset, grade and relatedness "
                "all equal); this row was not counted a second time",
                row["term"],
                code=Code.DUPLICATE_ROW,
            )
            excluded += 1
            continue
        seen[key] = excel_row
        keep.append(i)
        if row["term"] is None and raw.get("term") is None:
            say(
                "error",
                "term",
                "no adverse-event term: the event is counted, but write what happened",
                code=Code.EXTRA_INCOMPLETE,
            )
        if row["grade"] is None and is_blank(raw.get("grade")):
            say(
                "error",
                "grade",
                "no CTCAE grade: every adverse event needs one (CTCAE v5.0, 1-5); the event is counted as 'not graded'",
                code=Code.EXTRA_INCOMPLETE,
            )
        if "serious" in row["_columns"] and row["serious"] is None and is_blank(raw.get("serious")):
            say("warning", "serious", "seriousness not recorded (yes/no)", code=Code.EXTRA_INCOMPLETE)
        if row["grade"] == 5 and row["serious"] is False:
            say(
                "warning",
                "serious",
                "a grade 5 event (death) is serious by definition (ICH E2A), but is recorded as not serious",
                code=Code.EXTRA_INCONSISTENT,
            )
        if "relatedness" in row["_columns"] and row["relatedness"] is None and is_blank(raw.get("relatedness")):
            say(
                "warning",
                "relatedness",
                "relatedness not recorded: counted as 'not assessed'",
                code=Code.EXTRA_INCOMPLETE,
            )
        if row["grade"] == 5 and row["outcome"] not in (None, "fatal"):
            say(
                "warning",
                "outcome",
                f"a grade 5 event (death) has the outcome '{row['outcome']}', not fatal",
                code=Code.EXTRA_INCONSISTENT,
            )
        if (
            row["onset_date"] is None
            and row["onset_month"] is None
            and any(c in row["_columns"] for c in ("onset", "onset_date", "onset_month"))
            and all(is_blank(raw.get(c)) for c in ("onset", "onset_date", "onset_month"))
        ):
            say(
                "warning",
                next(c for c in ("onset", "onset_month", "onset_date") if c in row["_columns"]),
                "no onset: the event is listed and counted but not placed on the timeline",
                code=Code.EXTRA_INCOMPLETE,
            )
        pid = row["patient_id"]
        if pid not in with_visits and pid not in enrolled and pid not in told_unknown:
            told_unknown.add(pid)
            say(
                "warning",
                "patient_id",
                f"patient {pid} has adverse events but no visit rows and is not marked "
                "enrolled; the events are listed and counted",
                pid,
                code=Code.EXTRA_UNKNOWN_PATIENT,
            )
    return _typed(pd.DataFrame([records[i] for i in keep], columns=list(AE_COLUMNS))), findings, excluded


def is_blank(raw: object) -> bool:
    return raw is None or is_missing(raw)


def _header_keys(table: RawTable) -> set[str]:
    return set().union(*(header_keys(h) for h in table.header))


# --- the harms tables -----------------------------------------------------------------------------------


def _relatedness(frame: pd.DataFrame) -> pd.Series:
    return frame["relatedness"].astype(object).where(frame["relatedness"].notna(), NOT_ASSESSED)


def grade_relatedness_table(adverse_events: pd.DataFrame) -> pd.DataFrame:
    """Tidy counts by CTCAE grade x relatedness: columns grade (1-5, or NA = not graded), relatedness
    (``RELATEDNESS`` order, then "not assessed", then "any"), patients, events; only cells with events.

    ``events`` counts the events of that grade and relatedness. ``patients`` counts each patient once per
    relatedness, at the worst grade of their events of that relatedness (the "worst grade" convention of
    AE tables, e.g. CTCAE-based tables in CONSORT Harms 2022), so within one relatedness the patients add up
    to the patients with any such event. The rows with relatedness "any" do the same over all events."""
    if adverse_events is None or adverse_events.empty:
        return pd.DataFrame(
            {
                "grade": pd.Series(dtype="Int64"),
                "relatedness": pd.Series(dtype=object),
                "patients": pd.Series(dtype="int64"),
                "events": pd.Series(dtype="int64"),
            }
        )
    patients = adverse_events["patient_id"].tolist()
    grades = adverse_events["grade"].astype("float64").fillna(0).tolist()  # 0 = not graded, below grade 1
    counted = [
        *worst_grade_counts(_relatedness(adverse_events).tolist(), patients, grades, [*RELATEDNESS, NOT_ASSESSED]),
        *worst_grade_counts(["any"] * len(patients), patients, grades, ["any"]),
    ]
    rows = [(grade or pd.NA, related, patients, events) for related, grade, patients, events in counted]
    table = pd.DataFrame(rows, columns=["grade", "relatedness", "patients", "events"])
    return table.astype({"grade": "Int64"})


#: The order of the grades in a table of adverse events: 1-5, then 0 (not graded).
GRADE_ORDER = (1, 2, 3, 4, 5, 0)


def worst_grade_counts(
    by: Sequence[str], patients: Sequence[str], grades: Sequence[float], groups: Sequence[str]
) -> list[tuple[str, int, int, int]]:
    """(group, grade, patients, events) for each of ``groups`` in that order and each grade in ``GRADE_ORDER`` with
    events, of the events whose group, patient and grade (0 = not graded) are ``by``, ``patients`` and ``grades``:
    ``events`` the group's events of that grade, ``patients`` the group's patients whose worst grade in the group is
    that grade (the "worst grade" convention, ``grade_relatedness_table``). Counted in one pass over the events, not a
    pass per group (a study's every term: thousands of passes over 8,000 events)."""
    events = Counter(zip(by, grades))
    worst: dict[tuple[str, str], float] = {}
    for group, patient, grade in zip(by, patients, grades):
        if grade > worst.get((group, patient), -1.0):
            worst[(group, patient)] = grade
    counted = Counter((group, grade) for (group, _), grade in worst.items())
    return [
        (group, grade, counted[(group, grade)], events[(group, grade)])
        for group in groups
        for grade in GRADE_ORDER
        if (group, grade) in events
    ]


def grade_relatedness_matrix(table: pd.DataFrame) -> pd.DataFrame:
    """For display: the tidy counts ``table`` (``grade_relatedness_table``) as one row per CTCAE grade 1-5 (and "not
    graded" if any), one column per relatedness and "any", each cell "patients (events)"; "0" where there is none."""
    related = [r for r in (*RELATEDNESS, NOT_ASSESSED) if r != NOT_ASSESSED or (table["relatedness"] == r).any()]
    grades: list = [1, 2, 3, 4, 5] + ([pd.NA] if table["grade"].isna().any() else [])
    cells = {(None if pd.isna(g) else int(g), r): f"{p} ({e})" for g, r, p, e in table.itertuples(index=False)}
    rows = []
    for grade in grades:
        g = None if grade is pd.NA else grade
        rows.append({"CTCAE grade": grade_text(g), **{r: cells.get((g, r), "0") for r in [*related, "any"]}})
    return pd.DataFrame(rows)


def ae_summary(adverse_events: pd.DataFrame | None, table: pd.DataFrame | None = None) -> dict | None:
    """The ``adverse_events`` key of ``summary --json``: {events, patients, serious, serious_patients,
    by_grade_relatedness: [{grade, relatedness, patients, events}]}; None without an AE sheet. ``table``: the
    events' ``grade_relatedness_table``, when the caller has it (else counted here)."""
    if adverse_events is None:
        return None
    if table is None:
        table = grade_relatedness_table(adverse_events)
    serious = adverse_events["serious"].eq(True).fillna(False)
    return {
        "events": len(adverse_events),
        "patients": int(adverse_events["patient_id"].nunique()),
        "serious": int(serious.sum()),
        "serious_patients": int(adverse_events.loc[serious.to_numpy(), "patient_id"].nunique()),
        "by_grade_relatedness": [
            {"grade": None if pd.isna(g) else int(g), "relatedness": r, "patients": int(p), "events": int(e)}
            for g, r, p, e in table.itertuples(index=False)
        ],
    }


def listing(adverse_events: pd.DataFrame, event: str = "", clock: Clock = MONTHS) -> pd.DataFrame:
    """Every event for display, by patient and onset: patient_id, term, onset, grade, serious, relatedness,
    outcome, and where it is in the file (sheet, Excel row). ``event``: what time 0 is (the protocol's
    ``Intervention.event``, "infusion": "month 0 (infusion)"); ``clock``: the unit the onset is named in (the
    protocol's schedule: "week 12")."""
    if adverse_events is None or adverse_events.empty:
        return pd.DataFrame(
            columns=["patient_id", "term", "onset", "grade", "serious", "relatedness", "outcome", "sheet", "row"]
        )
    frame = adverse_events.sort_values(["patient_id", "onset_month", "source_row"], kind="stable", na_position="last")
    onsets: dict[tuple, str] = {}  # each distinct onset and grade written once (8,000 events hold a few hundred)
    onset = [
        onsets.get((d, m)) or onsets.setdefault((d, m), _onset_text(d, m, event, clock))
        for d, m in zip(frame["onset_date"].tolist(), frame["onset_month"].tolist())
    ]
    grades: dict[object, str] = {}
    grade = [grades.get(g) or grades.setdefault(g, grade_text(g)) for g in frame["grade"].tolist()]
    serious = ["–" if pd.isna(s) else ("yes" if s else "no") for s in frame["serious"].tolist()]
    return pd.DataFrame(
        {
            "patient_id": frame["patient_id"].tolist(),
            "term": frame["term"].tolist(),
            "onset": onset,
            "grade": grade,
            "serious": serious,
            "relatedness": _relatedness(frame).tolist(),
            "outcome": [o if isinstance(o, str) else "–" for o in frame["outcome"].tolist()],
            "sheet": frame["source_sheet"].tolist(),
            "row": frame["source_row"].astype(int).tolist(),
        }
    )


def _onset_text(date, month, event: str, clock: Clock) -> str:
    parts = []
    if month is not None and not (isinstance(month, float) and np.isnan(month)):
        at_zero = f"{clock.unit} 0"
        parts.append((f"{at_zero} ({event})" if event else at_zero) if float(month) == 0 else clock.label(float(month)))
    if date is not None and not (isinstance(date, float)) and not pd.isna(date):
        parts.append(f"{date:%Y-%m-%d}")
    return " · ".join(parts) or "not recorded"
