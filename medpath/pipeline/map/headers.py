"""Which table a sheet is, and which field each header cell names (stage 4 of the reading pipeline): the sheet's
role from its name or columns (``classify``), header names -> fields by the schema's aliases with a "did you mean"
for a near miss (``map_columns``), the columns a table cannot be read without (``required_present``), columns that
look like direct identifiers, and a wide sheet's "<outcome> <visit>" columns (``wide_columns``)."""

from __future__ import annotations

import difflib
from collections.abc import Mapping

from medpath.findings import Code
from medpath.model import Finding
from medpath.pipeline.cells.values import parse_visit_label
from medpath.pipeline.map.columns import AddedHeader, normalise, sheet_kind
from medpath.pipeline.map.profile import column_record
from medpath.pipeline.map.schema import Schema
from medpath.pipeline.read.reading import RawTable

_IDENTIFIER_HINTS = (
    "name",
    "nama",
    "mrn",
    "medicalrecord",
    "norm",
    "rekammedis",
    "dateofbirth",
    "dob",
    "birthdate",
    "tanggallahir",
    "tgllahir",
    "phone",
    "telepon",
    "telp",
    "hp",
    "mobile",
    "nik",
    "nationalid",
    "ktp",
    "address",
    "alamat",
    "email",
)


#: Sheets that hold notes for people, skipped without a finding.
NOTE_SHEETS = frozenset(
    {
        "about",
        "readme",
        "info",
        "instructions",
        "notes",
        "codebook",
        "dictionary",
        "datadictionary",
        "petunjuk",
        "keterangan",
    }
)


def unused_columns(table: RawTable, note: str) -> tuple[dict, ...]:
    return tuple(
        column_record(table, h, None, "not used", note)
        for h in table.header
        if str(h).strip() and not isinstance(h, AddedHeader)
    )


def classify(table: RawTable, schema: Schema) -> str | None:
    """ "screening" or "visits" from the sheet/file name, else from the columns; ``None`` if neither."""
    keys = {normalise(h) for h in table.header}
    if sheet_kind(table.sheet) or sheet_kind(_stem(table.file) if table.sheet is None else None):
        return sheet_kind(table.sheet) or sheet_kind(_stem(table.file))
    if {schema.visit_aliases.get(k) for k in keys} & {"visit", "month", "day"} or wide_columns(table.header, schema):
        return "visits"
    if {schema.screening_aliases.get(k) for k in keys} & {
        "sex",
        "age",
        "consent",
        "enrolled",
        *schema.protocol.fields_of_kind("test"),
    }:
        return "screening"
    return None


def _stem(file: str) -> str:
    return file.rsplit("/", 1)[-1].rsplit(".", 1)[0]


def map_columns(
    table: RawTable,
    aliases: Mapping[str, str],
    findings: list[Finding],
    schema: Schema,
    records: list[dict] | None = None,
    kind: str | None = None,
) -> dict[str, int]:
    """canonical column -> index of its first header cell; duplicates and identifiers are reported. ``records``
    receives a ``Study.columns`` row per column: the field it is read as, or why it is not used."""
    mapping: dict[str, int] = {}
    ignored = []
    for index, name in enumerate(table.header):
        key = normalise(name)
        canonical = aliases.get(key)
        if canonical is None:
            if key and not isinstance(name, AddedHeader):
                ignored.append(name)
            if any(hint == key or (len(hint) > 3 and hint in key) for hint in _IDENTIFIER_HINTS):
                findings.append(
                    table.finding(
                        "warning",
                        table.header_row,
                        name,
                        None,
                        "this column looks like a direct identifier (name, record number, date of "
                        "birth, phone or national id); share pseudonymised study ids instead",
                        code=Code.COLUMN_IDENTIFIER,
                    )
                )
            continue
        if canonical in mapping:
            findings.append(
                table.finding(
                    "warning",
                    table.header_row,
                    name,
                    None,
                    f"a second column for '{canonical}' (first: '{table.header[mapping[canonical]]}'); "
                    "only the first is read",
                    code=Code.COLUMN_SECOND,
                )
            )
            if records is not None:
                records.append(
                    column_record(
                        table,
                        name,
                        None,
                        "second column",
                        f"a second column for "
                        f"{schema.field_labels.get(canonical, canonical)}; only the first "
                        f"('{table.header[mapping[canonical]]}') is read",
                    )
                )
            continue
        mapping[canonical] = index
        if records is not None and not isinstance(name, AddedHeader):
            by_profile = getattr(name, "field", None) is not None
            records.append(
                column_record(
                    table,
                    name,
                    canonical,
                    "profile" if by_profile else "used",
                    "named in the mapping profile" if by_profile else "",
                    kind,
                )
            )
    if records is not None:
        for name in ignored:
            records.append(column_record(table, name, None, "unknown", unknown_note(name, aliases, mapping, schema)))
    for name in ignored:
        suggestion = _did_you_mean(normalise(name), aliases, mapping)
        if suggestion:
            findings.append(
                table.finding(
                    "warning",
                    table.header_row,
                    name,
                    None,
                    f"column not recognised: did you mean '{suggestion}'? Rename it to "
                    f"'{suggestion}' (or another accepted name) to use it",
                    code=Code.COLUMN_SIMILAR,
                )
            )
    if ignored:
        findings.append(
            table.finding(
                "warning",
                table.header_row,
                None,
                ", ".join(map(str, ignored[:20])),
                f"{len(ignored)} column(s) not recognised and not used",
                code=Code.COLUMNS_UNKNOWN,
            )
        )
    return mapping


def unknown_note(name: object, aliases: Mapping[str, str], mapping: dict[str, int], schema: Schema) -> str:
    key = normalise(name)
    if any(hint == key or (len(hint) > 3 and hint in key) for hint in _IDENTIFIER_HINTS):
        return "looks like a direct identifier; not read"
    suggestion = _did_you_mean(key, aliases, mapping)
    return (
        f"not a name MedPath knows (did you mean {schema.field_labels.get(suggestion, suggestion)}?)"
        if suggestion
        else "not a name MedPath knows"
    )


#: How close (difflib's ratio of the normalised names) an unrecognised column must be to an alias to be suggested.
DID_YOU_MEAN_CUTOFF = 0.8


def _did_you_mean(key: str, aliases: Mapping[str, str], mapping: dict[str, int]) -> str | None:
    """The field whose alias is closest to an unrecognised column name, when close and not already read."""
    if len(key) < 3 or any(hint == key or (len(hint) > 3 and hint in key) for hint in _IDENTIFIER_HINTS):
        return None
    for match in difflib.get_close_matches(key, list(aliases), n=3, cutoff=DID_YOU_MEAN_CUTOFF):
        if aliases[match] not in mapping:
            return aliases[match]
    return None


def required_present(
    table: RawTable, kind: str, mapping: dict[str, int], findings: list[Finding], schema: Schema
) -> bool:
    protocol = schema.protocol
    missing = [] if "patient_id" in mapping else ["patient_id (e.g. 'Patient ID')"]
    if kind == "visits":
        if not {"visit", "month", "day"} & set(mapping):
            missing.append("a visit label or a month/day offset (e.g. 'Visit': baseline, month 6)")
        if not set(protocol.primary_outcomes) & set(mapping):
            names = " or ".join(protocol.outcomes[k].label for k in protocol.primary_outcomes)
            missing.append(f"at least one primary outcome ({names})")
    for text in missing:
        findings.append(
            table.finding(
                "error",
                table.header_row,
                None,
                None,
                f"required column missing: {text}; none of this sheet's rows can be used",
                code=Code.COLUMN_REQUIRED_MISSING,
            )
        )
    expected = protocol.screening_columns if kind == "screening" else protocol.primary_outcomes
    absent = [c for c in expected if c not in mapping]
    if absent and not missing:
        findings.append(
            table.finding(
                "warning",
                table.header_row,
                None,
                ", ".join(absent),
                "expected column(s) not found; what depends on them is shown as unknown",
                code=Code.COLUMN_EXPECTED_MISSING,
            )
        )
    return not missing


def wide_columns(header: list[str], schema: Schema) -> dict[int, tuple[str, object]]:
    """Header index -> (outcome, visit label) for names like '<outcome>_m6' or 'VAS baseline'."""
    found: dict[int, tuple[str, object]] = {}
    outcomes = schema.outcome_aliases
    prefixes = sorted(outcomes, key=len, reverse=True)
    for index, name in enumerate(header):
        key = normalise(name)
        for prefix in prefixes:
            rest = key[len(prefix) :]
            if key.startswith(prefix) and rest and parse_visit_label(rest) is not None:
                found[index] = (outcomes[prefix], rest)
                break
    return found
