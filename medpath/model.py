"""The canonical, validated study model that every analysis, figure and report reads.

Data flows one way: file bytes -> parsed tables (``medpath.pipeline.read.reading``) -> validated ``Study``
(``medpath.pipeline.validate.validation``) -> analyses -> figures / tables / report.

Canonical tables (pandas DataFrames, one row per observation, in the tidy sense of
Wickham, "Tidy Data", J. Stat. Softw. 59(10), 2014):

``Study.screening`` (``None`` when only visits were supplied), one row per screened candidate, columns
``Protocol.screening_columns``: patient_id (str); sex ("M" / "F" / NA); age (float, years); the protocol's own
screening fields (``medpath.protocol``: numbers as float; yes/no history items and infection tests as pandas
"boolean", NA = unknown, for a test True = positive); consent ("signed" / "declined" / "pending" / NA);
enrolled ("boolean").

``Study.visits``, one row per (patient, visit):
    patient_id (str); visit (canonical label, e.g. "baseline", "month 6"); month (float, nominal months
    since baseline, baseline = 0); day (float, the day offset when the file gives one, else NaN); the
    protocol's outcome columns (``Protocol.outcomes``; float, NaN = not measured).

Both tables carry provenance columns ``PROVENANCE`` = (source_file, source_sheet, source_row): the
file name, the sheet (None for CSV) and the row number the user sees in Excel (1-based, header
included). A bad value costs that value only: it is missing (NaN / NA) in these tables, has an error finding,
and is listed in ``Study.left_out_values``. Only rows that cannot be placed (no patient id, a visit that has no
usable label or offset, a duplicate) are left out of these tables; they are counted in ``Study.excluded_rows``,
so that no row is dropped silently.

``Study.left_out_values``, one row per value left out of a row that was kept (columns ``LEFT_OUT_COLUMNS``):
    table ("screening" / "visits"); patient_id; visit and month (the placed visit; None / NaN in screening);
    field (the canonical column); value (the cell as written, e.g. 11); reason (the finding's
    message); source_file, source_sheet, source_row (Excel row), source_column (the user's column name).
    ``Study.left_out_text(field, month)`` says it in words: "MSC-01 baseline left out (11)".

``Study.columns``, one row per column of every sheet of every file (columns ``COLUMN_FIELDS``):
    file; sheet (None for CSV); header (as the user wrote it, or as a two-row header was flattened); field (the
    canonical field it was read as, or None); table ("screening" / "visits", or several joined
    by ", "; None when not used); status: "used" (read by its name), "profile" (read as the mapping profile says),
    or why it was not used: "unknown" (not a name MedPath knows), "second column", "superseded", "ambiguous",
    "not used", "not read" (its sheet could not be used), "hidden", "ignored" (by the profile, or REDCap
    bookkeeping); note: the reason or detail in words. ``Study.profile`` is the mapping profile applied (in its
    own format, ``medpath.pipeline.map.profile``), or None.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from medpath.findings import Finding
from medpath.protocol import Protocol
from medpath.schedule import at_time

PROVENANCE = ("source_file", "source_sheet", "source_row")
LEFT_OUT_COLUMNS = ("table", "patient_id", "visit", "month", "field", "value", "reason", *PROVENANCE, "source_column")


COLUMN_FIELDS = ("file", "sheet", "header", "field", "table", "status", "note")
#: ``Study.columns`` statuses of a column that is read.
USED_STATUSES = ("used", "profile")


def empty_columns() -> pd.DataFrame:
    """A ``Study.columns`` table with no rows."""
    return pd.DataFrame({c: pd.Series(dtype="object") for c in COLUMN_FIELDS})


def empty_left_out() -> pd.DataFrame:
    """A ``Study.left_out_values`` table with no rows."""
    return pd.DataFrame(
        {
            c: pd.Series(dtype="float64" if c == "month" else "int64" if c == "source_row" else "object")
            for c in LEFT_OUT_COLUMNS
        }
    )


@dataclass(frozen=True)
class SourceFile:
    """An input file as received: its name, size and SHA-256 (the bytes themselves are not kept)."""

    name: str
    size: int
    sha256: str


@dataclass(frozen=True)
class Study:
    """A validated study: the canonical tables, every finding, and what was left out and why."""

    screening: pd.DataFrame | None
    visits: pd.DataFrame
    findings: tuple[Finding, ...] = ()
    sources: tuple[SourceFile, ...] = ()
    excluded_rows: dict[str, int] = field(default_factory=dict)
    label: str = ""
    synthetic: bool = False
    left_out_values: pd.DataFrame = field(default_factory=empty_left_out)
    columns: pd.DataFrame = field(default_factory=empty_columns)
    profile: dict | None = None

    #: optional sheets (``medpath.adverse_events``, ``medpath.disposition``); None = no such sheet supplied
    adverse_events: pd.DataFrame | None = None
    disposition: pd.DataFrame | None = None
    #: tables supplied but not read whole: kind ("screening", "visits", "adverse_events", "disposition") -> the
    #: reason in words, naming the file and sheet. A count that depends on such a table is not determinable.
    unread: dict[str, str] = field(default_factory=dict)
    #: the trial's protocol (``medpath.protocol``): its outcomes, criteria, schedule and wording (always given: a
    #: study is read with one protocol, ``medpath.study.load_study``)
    protocol: Protocol = field(kw_only=True)

    def mapping_json(self) -> dict:
        """The ``mapping`` key of the summary JSON: the profile applied (or None) and every column with the field
        it was read as, or why not, so a run can be reproduced from its output."""
        rows = self.columns.astype(object).where(self.columns.notna(), None).to_dict("records")
        return {"profile": self.profile, "columns": rows}

    @property
    def errors(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.severity == "error")

    @property
    def warnings(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.severity == "warning")

    @property
    def left_out(self) -> str:
        """The rows and the single values left out of the analyses because of an error, in words ("" when none)."""
        rows = [f"{n} {kind} row(s)" for kind, n in self.excluded_rows.items() if n]
        counts = self.left_out_values["table"].value_counts()
        values = [f"{counts[kind]} {kind} value(s)" for kind in ("screening", "visits") if kind in counts]
        return ", ".join(rows + values)

    def left_out_of(self, field_: str, month: float | None = None, table: str = "visits") -> pd.DataFrame:
        """The values of one field (at one visit month, if given) left out because of an error."""
        lo = self.left_out_values
        selected = lo.loc[(lo["table"] == table) & (lo["field"] == field_)]
        return selected if month is None else at_time(selected, month)

    def left_out_text(self, field_: str, month: float | None = None, table: str = "visits") -> str:
        """The values of one field left out, in words ("MSC-01 baseline left out (11)"; "" when none)."""
        parts = []
        for r in self.left_out_of(field_, month, table).itertuples():
            visit = f" {r.visit}" if table == "visits" and r.visit else ""
            value = r.value
            shown = f"{value:g}" if isinstance(value, float) else str(value)
            parts.append(f"{r.patient_id}{visit} left out ({shown})")
        return "; ".join(parts)

    @property
    def patient_ids(self) -> list[str]:
        """Patients with at least one visit row, in first-seen order."""
        return self.visits["patient_id"].unique().tolist()  # pandas keeps the order of appearance

    @property
    def outcomes_present(self) -> list[str]:
        """Outcome keys with at least one value, primary outcomes first."""
        return [k for k in self.protocol.outcomes if k in self.visits and self.visits[k].notna().any()]
