"""Sheets beyond screening and visits: adverse events and the per-patient disposition.

``split_extra_tables(tables)`` takes the raw tables of one file (``medpath.pipeline.read.reading.read_tables``)
before ``medpath.pipeline.layout.layouts.arrange`` sees them and takes out

* a sheet (or CSV file) named like adverse events (``adverse_events``, "AE", "Adverse events",
  "Kejadian tidak diinginkan", "Efek samping", "Safety") or disposition (``disposition``, "End of
  study", "Study completion", "Status akhir"), or recognised by its columns (an AE term and a grade; a
  disposition status and no visit or screening field);
* the rows of a REDCap repeating instrument named like adverse events (``redcap_repeat_instrument``
  = ``adverse_events``, "Adverse Event", "ae", ...), with the instrument's own columns (``ae_term``,
  ``ae_grade``, ...) and the record id; the rest of the export goes on to ``medpath.pipeline.layout.layouts``.

``parse_extra_tables(...)`` validates them with a finding for every problem (file, sheet, Excel row,
column, value), the same way ``medpath.pipeline.validate.validation`` treats screening and visits: a bad value costs that
value only (it becomes missing, with an error); a row without a patient id, and a repeated row, is left
out and counted. The canonical tables are described in ``medpath.adverse_events`` and
``medpath.disposition``; the fields, cell readers and row reading they share are ``medpath.pipeline.map.extra_fields``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace

import pandas as pd

from medpath.adverse_events import AE_FIELDS, parse_adverse_events
from medpath.disposition import disposition_fields, parse_disposition
from medpath.findings import Code
from medpath.model import Finding
from medpath.pipeline.cells.values import is_missing
from medpath.pipeline.map.columns import normalise
from medpath.pipeline.map.extra_fields import Field, strip_ae
from medpath.pipeline.map.schema import Schema
from medpath.pipeline.read.reading import RawTable

AE_SHEETS = frozenset(
    normalise(n)
    for n in (
        "adverse events",
        "adverse event",
        "adverse_events",
        "ae",
        "aes",
        "ae log",
        "safety",
        "harms",
        "kejadian tidak diinginkan",
        "kti",
        "ktd",
        "efek samping",
    )
)
DISPOSITION_SHEETS = frozenset(
    normalise(n)
    for n in (
        "disposition",
        "dispositions",
        "patient disposition",
        "end of study",
        "study completion",
        "completion",
        "status akhir",
        "disposisi",
    )
)

# --- finding tables in a file -------------------------------------------------------------------------


@dataclass
class ExtraTables:
    """The adverse-event and disposition tables taken out of the uploaded files, and what was said."""

    adverse_events: list[RawTable] = field(default_factory=list)
    disposition: list[RawTable] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)


def _stem(file: str) -> str:
    return file.rsplit("/", 1)[-1].rsplit(".", 1)[0]


def _name_kind(name: str) -> str | None:
    key = normalise(name)
    for kind, names in (("adverse_events", AE_SHEETS), ("disposition", DISPOSITION_SHEETS)):
        if key in names or any(len(n) > 5 and (key.startswith(n) or key.endswith(n)) for n in names):
            return kind
    return None


def table_kind(
    table: RawTable, ae_fields: Sequence[Field], disposition_fields: Sequence[Field], schema: Schema
) -> str | None:
    """ "adverse_events" or "disposition" by the sheet (or CSV file) name, else by the columns (a visit or screening
    field of ``schema`` makes a table neither)."""
    visit_aliases, screening_aliases = schema.visit_aliases, schema.screening_aliases
    assigned = [getattr(h, "field", None) or "" for h in table.header]  # fields a mapping profile named
    if any(a.startswith("ae_") for a in assigned):
        return "adverse_events"
    if any(a.startswith("disposition_") for a in assigned):
        return "disposition"
    kind = _name_kind(table.sheet if table.sheet is not None else _stem(table.file))
    if kind:
        return kind
    keys = {strip_ae(normalise(h)) for h in table.header}
    named = {f.name for f in ae_fields if f.keys() & keys}
    redcap = {"redcaprepeatinstrument", "repeatinstrument", "redcapeventname"} & {normalise(h) for h in table.header}
    outcomes = {visit_aliases.get(normalise(h)) for h in table.header} - {None, "patient_id", "visit", "month", "day"}
    if {"term", "grade"} <= named and not redcap and not outcomes:
        return "adverse_events"
    others = {visit_aliases.get(normalise(h)) for h in table.header} | {
        screening_aliases.get(normalise(h)) for h in table.header
    }
    others -= {None, "patient_id"}
    if (
        "status" in {f.name for f in disposition_fields if f.keys() & {normalise(h) for h in table.header}}
        and not others
        and any(normalise(h) in ("disposition", "endofstudystatus", "studystatus", "statusakhir") for h in table.header)
    ):
        return "disposition"
    return None


def split_extra_tables(tables: Sequence[RawTable], schema: Schema) -> tuple[ExtraTables, list[RawTable]]:
    """The adverse-event and disposition tables of one file, and the file's other tables (for
    ``medpath.pipeline.layout.layouts.arrange``). Hidden sheets are left to ``arrange``, which says they are left out."""
    extra, rest = ExtraTables(), []
    for table in tables:
        kind = None if table.hidden else table_kind(table, AE_FIELDS, disposition_fields(schema.protocol), schema)
        if kind == "adverse_events":
            extra.adverse_events.append(table)
        elif kind == "disposition":
            extra.disposition.append(table)
        elif not table.hidden:
            ae_part, remaining, said = _redcap_adverse_events(table, AE_FIELDS, schema)
            if ae_part is not None:
                extra.adverse_events.append(ae_part)
            extra.findings.extend(said)
            rest.append(remaining)
        else:
            rest.append(table)
    return extra, rest


def _redcap_adverse_events(table: RawTable, ae_fields: Sequence[Field], schema: Schema):
    """A REDCap export's rows of a repeating adverse-event instrument, as their own table (record id + the
    instrument's columns), and the export without them."""
    keys = [normalise(h) for h in table.header]
    if "redcaprepeatinstrument" not in keys and "repeatinstrument" not in keys:
        return None, table, []
    repeat = keys.index("redcaprepeatinstrument" if "redcaprepeatinstrument" in keys else "repeatinstrument")
    record = next((i for i, k in enumerate(keys) if k in ("recordid", "record")), None)
    if record is None:
        record = next((i for i, k in enumerate(keys) if schema.visit_aliases.get(k) == "patient_id"), None)
    rows = [
        (cells, n)
        for cells, n in zip(table.rows, table.row_numbers)
        if repeat < len(cells) and not is_missing(cells[repeat]) and _name_kind(str(cells[repeat])) == "adverse_events"
    ]
    if not rows or record is None:
        return None, table, []
    field_keys = {k for f in ae_fields if f.name != "patient_id" for k in f.keys()}
    columns = [
        i
        for i, k in enumerate(keys)
        if i != record
        and (k in field_keys or strip_ae(k) in field_keys)
        and schema.visit_aliases.get(k) is None
        and schema.screening_aliases.get(k) is None
    ]
    instrument = str(rows[0][0][repeat])
    named = {f.name for f in ae_fields for i in columns if {keys[i], strip_ae(keys[i])} & f.keys()}
    if not {"term", "grade"} <= named:
        lacking = " and ".join(f"'{n}'" for n in ("term", "grade") if n not in named)
        return (
            None,
            table,
            [
                table.finding(
                    "warning",
                    table.header_row,
                    table.header[repeat],
                    instrument,
                    f"the REDCap repeating instrument '{instrument}' has no {lacking} "
                    "field (e.g. ae_term, ae_grade), so it was not read as the adverse events table",
                    code=Code.REDCAP_INSTRUMENT_APART,
                )
            ],
        )
    taken = {n for _, n in rows}
    part = RawTable(
        table.file,
        table.sheet,
        [table.header[record], *(table.header[i] for i in columns)],
        [[cells[i] if i < len(cells) else None for i in (record, *columns)] for cells, _ in rows],
        [n for _, n in rows],
        table.header_row,
    )
    keep_columns = [i for i in range(len(table.header)) if i not in columns]
    remaining = replace(
        table,
        header=[table.header[i] for i in keep_columns],
        rows=[
            [cells[i] if i < len(cells) else None for i in keep_columns]
            for cells, n in zip(table.rows, table.row_numbers)
            if n not in taken
        ],
        row_numbers=[n for n in table.row_numbers if n not in taken],
        above=tuple(table.above[i] if i < len(table.above) else None for i in keep_columns) if table.above else (),
        hidden_columns=frozenset(),
    )
    said = table.finding(
        "warning",
        table.header_row,
        table.header[repeat],
        instrument,
        f"read as: the REDCap repeating instrument '{instrument}' ({len(rows)} row(s)) → the adverse "
        f"events table, with the columns {', '.join(repr(table.header[i]) for i in columns)}",
        code=Code.LAYOUT_READ_AS,
    )
    return part, remaining, [said]


def parse_extra_tables(extra: ExtraTables, screening: pd.DataFrame | None, visits: pd.DataFrame, schema: Schema):
    """(adverse events or None, disposition or None, findings, excluded row counts) from the tables
    ``split_extra_tables`` took out of every file. ``None``: no such sheet was supplied."""
    findings, excluded = list(extra.findings), {}
    adverse_events = disposition = None
    if extra.adverse_events:
        adverse_events, said, excluded["adverse_events"] = parse_adverse_events(extra.adverse_events, screening, visits)
        findings += said
    if extra.disposition:
        disposition, said, excluded["disposition"] = parse_disposition(
            extra.disposition, screening, visits, adverse_events, schema.protocol
        )
        findings += said
    return adverse_events, disposition, findings, excluded
