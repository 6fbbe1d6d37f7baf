"""The layouts a mapping profile names (``layout:``, ``medpath.pipeline.map.profile_layout``), applied by
``medpath.pipeline.layout.layouts.arrange`` at two points: ``before`` its sheet-by-sheet work, on the tables of one
file (several tables on one sheet are cut apart: ``sheet_ranges``; sheets that are patients are said once), and
``per_table`` after a sheet's rows are cleaned and its columns named (a patient's sheet gets its id column:
``patient_sheets``; a long parameter / value sheet is spread: ``long_values``)."""

from __future__ import annotations

from medpath.findings import Finding
from medpath.pipeline.layout import long_values, patient_sheets, sheet_ranges
from medpath.pipeline.map.profile import Profile
from medpath.pipeline.map.schema import Schema
from medpath.pipeline.read.reading import RawTable


def before(
    tables: list[RawTable], schema: Schema, profile: Profile | None, records: list[dict]
) -> tuple[list[RawTable], list[Finding]]:
    """The file's tables with each sheet the profile cuts into tables replaced by them, and the findings saying how
    the profile's layouts were read."""
    if not profile or not profile.layout:
        return list(tables), []
    tables, findings = sheet_ranges.split_tables(tables, schema, profile, records)
    entries = [sheet_ranges.layout_of(profile, t) for t in tables]
    tables = [sheet_ranges.long_header(t, e, schema, profile) if e and e.long else t for t, e in zip(tables, entries)]
    patients = [t for t in tables if (e := sheet_ranges.layout_of(profile, t)) is not None and e.patient]
    if patients:
        findings.append(patient_sheets.said(patients))
    return tables, findings


def per_table(
    table: RawTable, schema: Schema, profile: Profile | None, records: list[dict]
) -> tuple[RawTable, list[Finding]]:
    """One cleaned table as its layout in the profile says: a patient's visits with the id added, a long sheet
    spread, or as it is."""
    entry = sheet_ranges.layout_of(profile, table) if profile and profile.layout else None
    if entry is None or profile is None:
        return table, []
    if entry.patient:
        return patient_sheets.patient_table(table), []
    if entry.long is not None:
        return long_values.spread(table, entry.long, schema, profile, records)
    return table, []
