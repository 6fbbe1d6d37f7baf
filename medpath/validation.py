"""From raw tables to the canonical screening and visits tables, with a finding for every problem.

Each finding names the file, sheet, Excel row, column and value. A row with an error is not put in
the canonical table; the caller counts it (``Study.excluded_rows``), so nothing is dropped silently.
Rules: required columns; numbers that are not numbers; VAS outside 0–10; T-score outside −7..+5;
age outside 0..120; unreadable yes/no, sex or consent values; unknown visit labels; duplicate
patients in screening; duplicate (patient, visit); visits of a patient missing from screening;
columns that look like direct identifiers (names, record numbers, dates of birth, phone numbers);
patient ids that a spreadsheet would run as a formula (=, +, -, @, tab or carriage return first, as
OWASP's "CSV injection" page lists): kept as ids, with a warning that exports neutralise them.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from operator import itemgetter
from typing import Literal

import numpy as np
import pandas as pd

from medpath.columns import AddedHeader, normalise, sheet_kind
from medpath.export import FORMULA_TRIGGERS
from medpath.findings import Code
from medpath.model import LEFT_OUT_COLUMNS, Finding, empty_left_out
from medpath.profile import column_record
from medpath.reading import RawTable
from medpath.schema import Rule, Schema
from medpath.values import (
    BadValue,
    column_unit,
    converts_unit,
    is_number_reader,
    month_from_day,
    month_label,
    parse_visit_label,
    read_patient_id,
)

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
_NOTE_SHEETS = frozenset(
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


#: The same problem in at least this many cells of one sheet is reported once, listing the Excel rows.
GROUP_MIN_CELLS = 3
#: Excel rows listed in a grouped finding before "…".
GROUP_ROWS_SHOWN = 10
_LEFT_OUT = "; this value is left out (the row's other values are used)"


@dataclass(frozen=True)
class Parsed:
    """The canonical rows read from one raw table, the findings, the Excel rows left out, and the values left
    out of rows that were kept (records with the fields of ``LEFT_OUT_COLUMNS``)."""

    kind: str  # "screening", "visits" or "ignored"
    frame: pd.DataFrame | None
    findings: list[Finding]
    excluded_rows: frozenset[int] = frozenset()  # Excel row numbers left out (no patient id, unplaceable visit)
    left_out: tuple[dict, ...] = field(default=())
    #: every column of the table: which field it was read as, or why it was not used (``Study.columns`` rows)
    columns: tuple[dict, ...] = field(default=())

    @property
    def excluded(self) -> int:
        return len(self.excluded_rows)


@dataclass(frozen=True)
class _Cell:
    """A finding on one cell, before cells with the same problem are grouped into one finding."""

    severity: Literal["error", "warning"]
    row: int
    column: str
    raw: object
    message: str  # for this cell alone
    key: tuple  # cells with equal keys have the same problem
    note: str | None = None  # how an unusual spelling was read (warnings)
    shown: str = ""
    code: Code = field(kw_only=True)


@dataclass(frozen=True)
class _Part:
    kind: str
    frame: pd.DataFrame | None
    entries: list  # Finding or _Cell, in order
    excluded_rows: frozenset[int]
    left_out: list[dict]
    columns: list[dict] = field(default_factory=list)


def _unused_columns(table: RawTable, note: str) -> tuple[dict, ...]:
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
    if {schema.visit_aliases.get(k) for k in keys} & {"visit", "month", "day"} or _wide_columns(table.header, schema):
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


def parse_table(table: RawTable, schema: Schema) -> Parsed:
    """Validate one raw table into canonical rows with the rules of ``schema`` (the kind is decided by
    ``classify``)."""
    kind = classify(table, schema)
    if kind is None and normalise(table.sheet or "") in _NOTE_SHEETS:
        return Parsed("ignored", None, [], columns=_unused_columns(table, "a sheet of notes"))
    if kind is None:
        return Parsed(
            "ignored",
            None,
            [
                table.finding(
                    "warning",
                    table.header_row,
                    None,
                    None,
                    "this sheet is neither a screening nor a visits table (no recognised columns); it was not used",
                    code=Code.SHEET_NOT_USED,
                )
            ],
            columns=_unused_columns(
                table, "the sheet is neither a screening nor a visits table (the mapping step can say which it is)"
            ),
        )
    if kind == "screening":
        return _resolve(
            table, [_parse(table, "screening", schema.screening_aliases, schema.screening_rules, {}, schema)]
        )
    visit_aliases = schema.visit_aliases
    wide = _wide_columns(table.header, schema)
    has_time = any(visit_aliases.get(normalise(h)) in ("visit", "month", "day") for h in table.header)
    if not wide or has_time:
        columns: dict[str | None, list[int]] = {}
        for index, name in enumerate(table.header):
            columns.setdefault(visit_aliases.get(normalise(name)), [index])
        outcomes = schema.protocol.outcomes
        scales, notes = _column_units(
            table, {k: v for k, v in columns.items() if k is not None and k in outcomes}, schema
        )
        part = _parse(table, "visits", visit_aliases, schema.visit_rules, scales, schema)
        return _resolve(table, [part], notes)
    by_field: dict[str, list[int]] = {}
    for index, (outcome, _) in wide.items():
        by_field.setdefault(outcome, []).append(index)
    scales, notes = _column_units(table, by_field, schema)
    subtables = _wide_to_long(table, wide, visit_aliases)
    parts = [_parse(sub, "visits", aliases, schema.visit_rules, scales, schema) for sub, aliases in subtables]
    used = {n for sub, _ in subtables for n in sub.row_numbers}
    after = [
        table.finding(
            "warning",
            n,
            None,
            None,
            "this row has no outcome value at any visit; nothing from it can be analysed",
            code=Code.ROW_NO_OUTCOME,
        )
        for n in table.row_numbers
        if n not in used
    ]
    parsed = _resolve(table, parts, [*table.notes, *notes], after, wide=True)
    readable = any(p.frame is not None for p in parts)
    records = []
    for index, name in enumerate(table.header):
        if not str(name).strip() or isinstance(name, AddedHeader):
            continue
        found = visit_aliases.get(normalise(name))
        if index in wide:
            outcome, label = wide[index]
            records.append(
                column_record(
                    table,
                    name,
                    outcome,
                    "used" if readable else "not read",
                    f"at {(parse_visit_label(label) or (str(label),))[0]} (a wide sheet: one column per visit)",
                    "visits",
                )
            )
        elif found == "patient_id":
            records.append(column_record(table, name, found, "used" if readable else "not read", "", "visits"))
        else:
            records.append(column_record(table, name, None, "unknown", _unknown_note(name, visit_aliases, {}, schema)))
    return replace(parsed, columns=tuple(records))


def _resolve(
    table: RawTable,
    parts: list[_Part],
    before: Sequence[Finding] = (),
    after: Sequence[Finding] = (),
    wide: bool = False,
) -> Parsed:
    """Combine the parts of one table: group cell findings (``GROUP_MIN_CELLS``), stack frames, union exclusions."""
    entries = [*before, *(e for p in parts for e in p.entries), *after]
    findings = list(dict.fromkeys(_group(table, entries)))
    frames = [p.frame for p in parts if p.frame is not None]
    if not frames:
        frame = None
    elif len(frames) == 1:
        frame = frames[0]
    else:
        frame = pd.concat(frames, ignore_index=True)
    if wide and frame is not None:
        frame = frame.sort_values(["source_row", "month"], kind="stable").reset_index(drop=True)
    return Parsed(
        parts[0].kind,
        frame,
        findings,
        frozenset().union(*(p.excluded_rows for p in parts)),
        tuple(r for p in parts for r in p.left_out),
        tuple(r for p in parts for r in p.columns),
    )


def _column_units(
    table: RawTable, columns: dict[str, list[int]], schema: Schema
) -> tuple[dict[str, float], list[Finding]]:
    """Fields whose columns are in another unit as a whole (``Schema.column_units``: VAS in millimetres), with
    the factor that converts them and one warning naming the columns (all of a field's columns decide together)."""
    scales, findings = {}, []
    for name, indices in columns.items():
        unit = schema.column_units.get(name)
        if unit is None:
            continue
        read = schema.number_reader(name)
        parts, own_unit = [], False
        for index in indices:
            column = _column(table.rows, index)
            if set(map(type, column)) <= _FLOAT_OR_NONE:  # the fast path below for every cell, at once
                numbers = np.array(column, dtype="float64")  # None -> NaN: left out as read() leaves it
                parts.append(numbers[~np.isnan(numbers)])
                continue
            read_values = []
            for raw in column:
                if type(raw) is float:  # fast path (as read() gives)
                    if raw == raw:
                        read_values.append(raw)
                    continue
                try:
                    value, note = read(raw)
                except BadValue:
                    continue
                if value is not None:
                    read_values.append(value)
                    own_unit = own_unit or converts_unit(note)
            parts.append(np.array(read_values, dtype="float64"))
        values = np.concatenate(parts) if parts else np.zeros(0)
        rule = None if own_unit else column_unit(unit, values)
        if rule is None:
            continue
        scales[name] = rule.factor
        above = values[values > rule.above]
        example = float(above[0])
        findings.append(
            table.finding(
                "warning",
                table.header_row,
                ", ".join(str(table.header[i]) for i in indices),
                None,
                f"{schema.protocol.outcomes[name].label} read as {rule.unit}: every value is at most {_fmt(rule.all_at_most)} and "
                f"{len(above)} of {len(values)} are above {_fmt(rule.above)}, so each was multiplied by {_fmt(rule.factor)} "
                f"to the {rule.scale} scale (e.g. {_fmt(example)} -> {_fmt(round(example * rule.factor, 10))}). If the "
                f"column is already on the {rule.scale} scale, the values above {_fmt(rule.above)} are typing errors: "
                "correct them",
                code=Code.VALUES_SCALED,
            )
        )
    return scales, findings


def _group(table: RawTable, entries: list) -> list[Finding]:
    """Cell findings with the same problem in ``GROUP_MIN_CELLS`` or more cells become one finding (at the place of
    the first), naming the columns and the first Excel rows; the others stay one finding per cell."""
    groups: dict[tuple, list[_Cell]] = {}
    for entry in entries:
        if isinstance(entry, _Cell):
            groups.setdefault(entry.key, []).append(entry)
    out = []
    for entry in entries:
        if not isinstance(entry, _Cell):
            out.append(entry)
            continue
        members = groups[entry.key]
        if len(members) < GROUP_MIN_CELLS:
            out.append(
                table.finding(entry.severity, entry.row, entry.column, entry.raw, entry.message, code=entry.code)
            )
        elif entry is members[0]:
            out.append(_grouped(table, members))
    return out


def _grouped(table: RawTable, cells: list[_Cell]) -> Finding:
    first = cells[0]
    columns = list(dict.fromkeys(str(c.column) for c in cells))
    column_text = ", ".join(columns[:5]) + (", …" if len(columns) > 5 else "")
    rows = sorted({c.row for c in cells})
    row_text = ", ".join(map(str, rows[:GROUP_ROWS_SHOWN])) + (", …" if len(rows) > GROUP_ROWS_SHOWN else "")
    where = f"{len(cells)} cells of {column_text} (Excel rows {row_text})"
    same = len({str(c.raw) for c in cells}) == 1
    if first.note is None:  # an error or a range warning: the same value in every cell
        message = first.message.replace(_LEFT_OUT, "; these values are left out (the rows' other values are used)")
        text = f"{str(first.raw)!r} in {where}: {message}"
    elif same:
        text = f"{str(first.raw)!r} in {where}: read as {first.shown}: {first.note}"
    else:
        text = f"{where}: {first.note}; e.g. {str(first.raw)!r} read as {first.shown}"
    return table.finding(first.severity, first.row, column_text, first.raw, text, code=first.code)


def _map_columns(
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
            records.append(column_record(table, name, None, "unknown", _unknown_note(name, aliases, mapping, schema)))
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


def _unknown_note(name: object, aliases: Mapping[str, str], mapping: dict[str, int], schema: Schema) -> str:
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


def _parse(
    table: RawTable,
    kind: str,
    aliases: Mapping[str, str],
    rules: Mapping[str, Rule],
    scales: dict[str, float],
    schema: Schema,
) -> _Part:
    entries: list = list(table.notes)
    findings: list[Finding] = []
    records: list[dict] = []
    mapping = _map_columns(table, aliases, findings, schema, records, kind)
    entries += findings
    if not _required_present(table, kind, mapping, entries, schema):
        unread = [
            r
            | {"status": "not read", "note": "a required column is missing, so none of this sheet's rows could be used"}
            if r["field"]
            else r
            for r in records
        ]
        return _Part(kind, None, entries, frozenset(table.row_numbers), [], unread)
    if not table.rows:
        entries.append(
            table.finding(
                "warning",
                table.header_row,
                None,
                None,
                f"this {kind} table has a header but no data rows",
                code=Code.TABLE_EMPTY,
            )
        )
    placed = ("visit", "month", "day") if kind == "visits" else ()
    n = len(table.rows)
    # column by column: each cell's value, and its finding where it has one (``_read_cell``); a row is then
    # only visited for what involves several of its cells (the patient id, the visit's place)
    raws: dict[str, list] = {}
    vals: dict[str, list] = {}
    notes: dict[str, dict[int, _Cell]] = {}
    arrays: dict[str, np.ndarray] = {}  # the number columns read at once, as float64 (``_read_column``)
    for canonical, index in mapping.items():
        rule = rules[canonical]
        raws[canonical] = column = _column(table.rows, index)
        vals[canonical], notes[canonical], numbers = _read_column(
            rule, column, scales.get(canonical), table.row_numbers, table.header[index]
        )
        if numbers is not None:
            arrays[canonical] = numbers
    noted = set().union(*(cells.keys() for cells in notes.values())) if notes else set()
    checked = [(canonical, rules[canonical].identity, notes[canonical]) for canonical in mapping]
    ids = vals["patient_id"]
    id_column = table.header[mapping["patient_id"]]
    kept: list[int] = []  # positions of the rows kept (when some are not)
    rows_kept: list[int]
    excluded: set[int] = set()
    left_out: list[dict] = []
    formula_ids: set[str] = set()
    if kind == "visits":
        empty = [None] * n
        labels, months, days = (vals.get(c, empty) for c in ("visit", "month", "day"))
        placed_visit: list = [None] * n
        placed_month: list = [None] * n
        placed_day: list = [None] * n
        places: dict[tuple, tuple[str, float]] = {}  # a label alone (no month, no day) placed without a finding
    # the rows that need a look of their own (a cell with a finding, a missing or formula-like patient id, a visit
    # not placed by a recognised label alone); every other row is kept, placed in bulk by its label
    looked_at = _special_rows(kind, n, noted, ids, vals)
    special: Sequence[int] = range(n) if looked_at is None else looked_at
    if looked_at is not None and kind == "visits":
        for label in dict.fromkeys(labels):  # every label here is hashable (``_special_rows``)
            if label.__class__ is str:
                parsed = parse_visit_label(label)
                if parsed is not None:
                    places[(str, label)] = parsed
        if places:
            visit_of = {label: place[0] for (_, label), place in places.items()}
            month_of = {label: place[1] for (_, label), place in places.items()}
            placed_visit = list(map(visit_of.get, labels))
            placed_month = list(map(month_of.get, labels))
    dropped: list[int] = []
    row_numbers = table.row_numbers
    for pos in special:
        excel_row = row_numbers[pos]
        ok = True
        lost = []
        if pos in noted:
            for canonical, identity, cells in checked:
                cell = cells.get(pos)
                if cell is None:
                    continue
                entries.append(cell)
                if cell.severity == "error":
                    if identity:
                        ok = False
                    else:
                        lost.append((canonical, raws[canonical][pos], cell))
        pid = ids[pos]
        if pid is None:
            if ok:
                entries.append(
                    table.finding(
                        "error",
                        excel_row,
                        id_column,
                        None,
                        "the patient id is missing; this row is left out",
                        code=Code.PATIENT_ID_MISSING,
                    )
                )
            ok = False
        elif pid.startswith(FORMULA_TRIGGERS) and pid not in formula_ids:
            formula_ids.add(pid)
            entries.append(
                table.finding(
                    "warning",
                    excel_row,
                    id_column,
                    pid,
                    "this patient id looks like a spreadsheet formula; it is kept as an id, and "
                    "exports write it as text so that Excel does not run it",
                    code=Code.PATIENT_ID_FORMULA,
                )
            )
        if kind == "visits" and ok:
            label, month, day = labels[pos], months[pos], days[pos]
            key = (label.__class__, label) if month is None and day is None else None
            try:
                hit = places.get(key) if key is not None else None
            except TypeError:  # an unhashable cell value
                key = hit = None
            if hit is not None:
                placed_visit[pos], placed_month[pos] = hit
            else:
                values = {"visit": label, "month": month, "day": day}
                before = len(entries)
                ok = _place_visit(table, excel_row, mapping, values, entries)
                if ok:
                    placed_visit[pos], placed_month[pos], placed_day[pos] = (
                        values["visit"],
                        values["month"],
                        values["day"],
                    )
                    if key is not None and len(entries) == before and values["day"] is None:
                        places[key] = (values["visit"], values["month"])
        if not ok:
            excluded.add(excel_row)
            dropped.append(pos)
            continue
        for canonical, raw, cell in lost:
            left_out.append(
                {
                    "table": kind,
                    "patient_id": pid,
                    "visit": placed_visit[pos] if kind == "visits" else None,
                    "month": placed_month[pos] if kind == "visits" else None,
                    "field": canonical,
                    "value": raw,
                    "reason": cell.message.replace(_LEFT_OUT, ""),
                    "source_file": table.file,
                    "source_sheet": None if table.sheet is None else str(table.sheet),
                    "source_row": excel_row,
                    "source_column": cell.column,
                }
            )
    full: dict[str, list | np.ndarray] = {**vals, **arrays}  # a number column read at once as its array
    if kind == "visits":
        full.update(visit=placed_visit, month=placed_month, day=placed_day)
    every = not dropped
    if every:
        rows_kept = list(row_numbers)
    else:
        out = set(dropped)
        kept = [pos for pos in range(n) if pos not in out]
        rows_kept = [row_numbers[pos] for pos in kept]
    columns = {c: full[c] if every else _take(full[c], kept) for c in dict.fromkeys([*mapping, *placed])}
    frame = _frame(kind, columns, rows_kept, table, schema)
    return _Part(kind, frame, entries, frozenset(excluded), left_out, records)


_TRIGGER_CHARACTERS = frozenset(FORMULA_TRIGGERS)  # each one character (tests/test_validation.py)
_FIRST_CHARACTER = itemgetter(slice(0, 1))


def _special_rows(kind: str, n: int, noted: set[int], ids: list, vals: dict[str, list]) -> list[int] | None:
    """The positions, in order, of the rows ``_parse`` must look at one by one: a cell with a finding, a patient
    id missing or looking like a formula, and (visits) a month or day given, or a label that is not a text
    recognised by ``parse_visit_label``. ``None``: every row (an unhashable cell)."""
    special = set(noted)
    try:
        distinct = set(ids)
        texts = distinct - {None}
        # every trigger is one character: the ids' first characters say whether any id starts with one
        maybe = not _TRIGGER_CHARACTERS.isdisjoint(map(_FIRST_CHARACTER, texts))
        odd_ids = {pid for pid in texts if pid.startswith(FORMULA_TRIGGERS)} if maybe else set()
        if None in distinct:
            odd_ids.add(None)
        if odd_ids:
            special.update(pos for pos, pid in enumerate(ids) if pid in odd_ids)
        if kind == "visits":
            for offsets in (vals.get("month"), vals.get("day")):
                if offsets is not None and offsets.count(None) != n:
                    special.update(pos for pos, offset in enumerate(offsets) if offset is not None)
            labels = vals.get("visit")
            if labels is None:
                return None if n else []
            distinct = set(labels)
            unplaced = {label for label in distinct if label.__class__ is not str or parse_visit_label(label) is None}
            if unplaced:
                special.update(pos for pos, label in enumerate(labels) if label in unplaced)
    except (TypeError, AttributeError):  # an unhashable cell, an id that is not a text
        return None
    return sorted(special)


def _column(rows: list[list[object]], index: int) -> list[object]:
    """The cells of column ``index`` (``None`` where a row is shorter)."""
    try:
        return list(map(itemgetter(index), rows))
    except IndexError:
        return [cells[index] if index < len(cells) else None for cells in rows]


_PLAIN_NUMBERS = frozenset({float, int, type(None)})
_TEXT_OR_EMPTY = frozenset({str, type(None)})
_FLOAT_OR_NONE = frozenset({float, type(None)})
_NONE = frozenset({type(None)})
_BOOL = frozenset({bool})


def _read_column(
    rule: Rule, column: list[object], scale: float | None, row_numbers: list[int], header: str
) -> tuple[list, dict[int, _Cell], np.ndarray | None]:
    """The values of one column's cells and the findings of those that have one (by position), as
    ``_read_cell`` gives them cell by cell, and for a number column read at once (below) the same values as a
    float64 array (NaN where a value is None), else None. A plain value (read without a note, within bounds, no
    unit to convert) takes no call of ``_read_cell``; a number column whose cells are all floats, ints or empty
    takes no call per cell at all, and each distinct text is read once."""
    read, bounds = rule.read, rule.bounds
    notes: dict[int, _Cell] = {}
    if scale is None and is_number_reader(read):
        types = set(map(type, column))
        if types <= _PLAIN_NUMBERS:
            try:
                numbers = np.array(column, dtype="float64")  # None -> NaN; an int as float(int)
            except (OverflowError, ValueError, TypeError):
                numbers = None
            if numbers is not None:
                return _read_numbers(rule, column, numbers, types, row_numbers, header)
    try:
        distinct = dict.fromkeys(column)
        # a text equals no other kind of value, so the distinct cells have a non-text type if any cell has
        texts = set(map(type, distinct)) <= _TEXT_OR_EMPTY
    except TypeError:  # an unhashable cell
        texts = False
    slow = object()
    if texts and read is read_patient_id and scale is None and bounds is None:
        # patient ids: each distinct one read once for every sheet of the load (screening, then visits)
        global _READ_IDS
        slow = _SLOW_ID
        plain, slow_ids = _READ_IDS  # this call's own reference: another thread may start new ones meanwhile
        new = set() if distinct.keys() <= plain.keys() else distinct.keys() - plain.keys()
        if len(plain) + len(new) > _READ_IDS_SIZE:
            plain, slow_ids = _READ_IDS = ({}, set())
            new = set(distinct)
        for raw in new:
            value = plain[raw] = _plain_value(read, None, None, raw, slow)
            if value is slow:
                slow_ids.add(raw)
        values = list(map(plain.__getitem__, column))
        if not slow_ids.isdisjoint(distinct):
            _read_slow_cells(rule, column, plain, slow, scale, row_numbers, header, values, notes)
        return values, notes, None
    if texts:  # texts and empty cells: each distinct one read once, then looked up
        plain = {raw: _plain_value(read, bounds, scale, raw, slow) for raw in distinct}
        values = list(map(plain.__getitem__, column))
        if any(value is slow for value in plain.values()):
            _read_slow_cells(rule, column, plain, slow, scale, row_numbers, header, values, notes)
        return values, notes, None
    seen: dict[str, object] = {}
    values = []
    append = values.append
    for pos, raw in enumerate(column):
        if raw.__class__ is str:
            value = seen.get(raw, seen)
            if value is seen:
                value = seen[raw] = _plain_value(read, bounds, scale, raw, slow)
        else:
            value = _plain_value(read, bounds, scale, raw, slow)
        if value is slow:
            value, cell = _read_cell(rule, raw, scale, row_numbers[pos], header)
            if cell is not None:
                notes[pos] = cell
        append(value)
    return values, notes, None


def _read_slow_cells(
    rule: Rule,
    column: list[object],
    plain: dict,
    slow: object,
    scale: float | None,
    row_numbers: list[int],
    header: str,
    values: list,
    notes: dict[int, _Cell],
) -> None:
    """Read one by one (``_read_cell``) the cells whose distinct text has no plain value (``plain[raw] is slow``),
    putting each value in ``values`` and each finding in ``notes`` at the cell's position."""
    for pos, raw in enumerate(column):
        if plain[raw] is slow:
            values[pos], cell = _read_cell(rule, raw, scale, row_numbers[pos], header)
            if cell is not None:
                notes[pos] = cell


def _read_numbers(
    rule: Rule, column: list[object], numbers: np.ndarray, types: set[type], row_numbers: list[int], header: str
) -> tuple[list, dict[int, _Cell], np.ndarray]:
    """``_read_column`` of a number column whose cells are all floats, ints or empty (``numbers``: the cells as
    float64, None -> NaN): only the infinite and out-of-bounds cells are read one by one (``_read_cell``)."""
    bounds = rule.bounds
    notes: dict[int, _Cell] = {}
    missing = np.isnan(numbers)
    if types <= _FLOAT_OR_NONE and int(missing.sum()) == column.count(None):
        values = list(column)  # each cell as itself (-0.0 kept), None where empty: what the reader gives
    else:
        values = numbers.tolist()  # an int as float(int)
        for pos in np.flatnonzero(missing).tolist():
            values[pos] = None  # an empty cell, or a NaN float
    odd = np.isinf(numbers)
    if bounds is not None:
        with np.errstate(invalid="ignore"):
            odd |= (numbers < bounds[0]) | (numbers > bounds[1])
    for pos in np.flatnonzero(odd).tolist():
        value, cell = _read_cell(rule, column[pos], None, row_numbers[pos], header)
        values[pos] = value
        numbers[pos] = np.nan if value is None else value
        if cell is not None:
            notes[pos] = cell
    return values, notes, numbers


#: The plain value of each patient id text or empty cell read lately (``read_patient_id`` is a pure function of
#: the cell), else ``_SLOW_ID``, and the set of those read as ``_SLOW_ID``; at most ``_READ_IDS_SIZE``.
_READ_IDS: tuple[dict[object, object], set[object]] = ({}, set())
_SLOW_ID = object()
_READ_IDS_SIZE = 2**16


def _plain_value(read, bounds, scale, raw: object, slow: object) -> object:
    """The value of a plain cell (read without a note, within bounds, no unit to convert), else ``slow``."""
    try:
        value, note = read(raw)
    except BadValue:
        return slow
    if note is None and scale is None and (value is None or bounds is None or bounds[0] <= value <= bounds[1]):
        return value
    return slow


def _read_cell(rule: Rule, raw: object, scale: float | None, row: int, column: str) -> tuple[object, _Cell | None]:
    """The cell's value and its finding (``None`` for a plain, valid value). An error's value is ``None``."""
    try:
        value, note = rule.read(raw)
    except BadValue as exc:
        message = str(exc) + ("; this row is left out" if rule.identity else _LEFT_OUT)
        return None, _Cell(
            "error", row, column, raw, message, ("error", message, _hashable(raw)), code=Code.VALUE_INVALID
        )
    if scale is not None and value is not None:
        value = round(value * scale, 10)
    bounds = rule.bounds
    if bounds is not None and value is not None and not bounds[0] <= value <= bounds[1]:
        low, high = bounds
        read_as = f"read as {_fmt(value)} ({note}); " if note else ""
        message = f"{read_as}{_fmt(value)} is outside the possible range of {rule.what}: {_fmt(low)} to {_fmt(high)}"
        if rule.bounds_severity == "warning":
            return value, _Cell(
                "warning", row, column, raw, message, ("warning", message, _hashable(raw)), code=Code.VALUE_OUT_OF_RANGE
            )
        message += _LEFT_OUT
        return None, _Cell(
            "error", row, column, raw, message, ("error", message, _hashable(raw)), code=Code.VALUE_OUT_OF_RANGE
        )
    if note is None:
        return value, None
    shown = rule.show(value)
    return value, _Cell(
        "warning", row, column, raw, f"read as {shown}: {note}", ("note", note), note, shown, code=Code.VALUE_READ_AS
    )


def _hashable(raw: object) -> object:
    try:
        hash(raw)
    except TypeError:
        return repr(raw)
    return (type(raw).__name__, raw)


def _fmt(x: float) -> str:
    return f"{x:g}"


def _required_present(
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


#: A visit's offset may differ from its label's nominal month by this much (a visit window) unremarked.
VISIT_WINDOW_MONTHS = 0.5


def _place_visit(table: RawTable, excel_row: int, mapping: dict[str, int], values: dict, findings: list) -> bool:
    """Fill the canonical visit label and nominal month; an unplaceable visit is an error.

    A recognised label gives the nominal month (a "baseline" row is always month 0, even at study
    day 1); a month or day offset places a visit without a usable label. When both are given and the
    offset lies outside the label's visit window (± ``VISIT_WINDOW_MONTHS``), a warning names both.
    """
    label_raw = values.get("visit")
    parsed = parse_visit_label(label_raw)
    month, day = values.get("month"), values.get("day")
    offset = month if month is not None else (month_from_day(day) if day is not None else None)
    if parsed is not None:
        if offset is not None and abs(offset - parsed[1]) > VISIT_WINDOW_MONTHS:
            if month is not None:
                given = f"month {_fmt(month)}"
            else:
                assert day is not None  # the offset came from the day
                given = f"day {_fmt(day)}"
            findings.append(
                table.finding(
                    "warning",
                    excel_row,
                    table.header[mapping["visit"]],
                    label_raw,
                    f"the visit label says {parsed[0]} but the offset says {given}; "
                    f"analysed as {parsed[0]} (the label)",
                    code=Code.VISIT_LABEL_OFFSET_DISAGREE,
                )
            )
        values["visit"], values["month"], values["day"] = parsed[0], parsed[1], day
        return True
    if offset is None:
        if label_raw is None:
            findings.append(
                table.finding(
                    "error",
                    excel_row,
                    None,
                    None,
                    "the visit has no label and no month/day offset",
                    code=Code.VISIT_UNPLACED,
                )
            )
        else:
            findings.append(
                table.finding(
                    "error",
                    excel_row,
                    table.header[mapping["visit"]],
                    label_raw,
                    "unknown visit label (use e.g. baseline, month 1, month 3, month 6, or put "
                    "numbers in a 'month' column) and no month or day offset to place it",
                    code=Code.VISIT_UNPLACED,
                )
            )
        return False
    if label_raw is not None:
        findings.append(
            table.finding(
                "warning",
                excel_row,
                table.header[mapping["visit"]],
                label_raw,
                f"unknown visit label; placed at month {_fmt(offset)} from the offset column",
                code=Code.VISIT_PLACED_BY_OFFSET,
            )
        )
    values["visit"], values["month"], values["day"] = month_label(offset), offset, day
    return True


def _take(values: list | np.ndarray, positions: list[int]) -> list | np.ndarray:
    """The values at ``positions``, in their order."""
    if isinstance(values, np.ndarray):
        return values[positions]
    return [values[p] for p in positions]


def _frame(
    kind: str, columns: dict[str, list | np.ndarray], rows: list[int], table: RawTable, schema: Schema
) -> pd.DataFrame:
    """The canonical frame of one table: the protocol's columns of ``kind`` (a column the table lacks is empty),
    then the provenance columns."""
    protocol = schema.protocol
    wanted = protocol.screening_columns if kind == "screening" else protocol.visit_columns
    flags = {"enrolled", *protocol.fields_of_kind("yes_no"), *protocol.fields_of_kind("test")}
    numbers = {"age", "month", "day", *protocol.fields_of_kind("number"), *protocol.outcomes}
    n = len(rows)
    data: dict[str, object] = {}
    for c in wanted:
        values = columns.get(c)
        if c in flags:
            if values is None:
                data[c] = pd.array([None] * n, dtype="boolean")
            elif set(map(type, values)) <= _BOOL:  # as pd.array(values, dtype="boolean") makes it, without its checks
                data[c] = pd.arrays.BooleanArray(np.array(values, dtype=bool), np.zeros(n, dtype=bool))
            else:
                data[c] = pd.array(values, dtype="boolean")
        elif c in numbers:
            if values is None:  # a column the table lacks
                data[c] = pd.array(np.full(n, np.nan), dtype="float64")
            elif isinstance(values, np.ndarray):  # float64, NaN where missing (``_read_numbers``)
                data[c] = pd.array(values, dtype="float64")
            else:
                types = set(map(type, values))
                if types <= _NONE:  # an empty column
                    data[c] = pd.array(np.full(n, np.nan), dtype="float64")
                elif types <= _FLOAT_OR_NONE:  # None -> NaN, as numpy converts it
                    data[c] = pd.array(np.array(values, dtype="float64"), dtype="float64")
                else:
                    data[c] = pd.array([float("nan") if v is None else v for v in values], dtype="float64")
        else:
            data[c] = pd.array([None] * n if values is None else values, dtype="object")
    data["source_file"] = _repeated(table.file, n)
    data["source_sheet"] = None if table.sheet is None else _repeated(table.sheet, n)
    data["source_row"] = np.array(rows, dtype=np.int64)
    return pd.DataFrame(data, index=pd.RangeIndex(n))


def _repeated(text: str, n: int) -> pd.api.extensions.ExtensionArray:
    """``text`` n times, as the text column pandas makes of it (one value taken n times, not n values converted)."""
    return pd.Index([text], dtype="str").take(np.zeros(n, dtype=np.intp)).array


# --- wide visits layout -------------------------------------------------------------------------


def _wide_columns(header: list[str], schema: Schema) -> dict[int, tuple[str, object]]:
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


def _wide_to_long(
    table: RawTable, wide: dict[int, tuple[str, object]], visit_aliases: Mapping[str, str]
) -> list[tuple[RawTable, dict[str, str]]]:
    """One long sub-table per visit, each with its own column aliases (``visit_aliases``, the schema's, and the
    table's wide columns), so that findings still name the user's own column (e.g. 'vas_m6') and each long row
    keeps its patient row's Excel number."""
    id_index = next((i for i, h in enumerate(table.header) if visit_aliases.get(normalise(h)) == "patient_id"), None)
    by_visit: dict[str, list[int]] = {}
    for index, (_, label) in wide.items():
        parsed = parse_visit_label(label)
        assert parsed is not None  # _wide_columns keeps only the labels that parse
        by_visit.setdefault(parsed[0], []).append(index)
    keep = [id_index] if id_index is not None else []
    out = []
    for visit, indices in by_visit.items():
        header = [AddedHeader("Visit"), *(table.header[i] for i in keep + indices)]
        aliases = {**visit_aliases, **{normalise(table.header[i]): wide[i][0] for i in indices}}
        rows, numbers = [], []
        for cells, excel_row in zip(table.rows, table.row_numbers):
            values = [cells[i] if i < len(cells) else None for i in indices]
            if any(v not in (None, "") for v in values):
                rows.append([visit, *(cells[i] if i < len(cells) else None for i in keep), *values])
                numbers.append(excel_row)
        out.append((RawTable(table.file, table.sheet, header, rows, numbers, table.header_row, ()), aliases))
    return out


# --- values left out ----------------------------------------------------------------------------


def left_out_table(parsed: list[Parsed], screening: pd.DataFrame | None, visits: pd.DataFrame) -> pd.DataFrame:
    """``Study.left_out_values``: every value left out of a row that is in the final tables (a row dropped later,
    e.g. as a duplicate visit, is counted in ``Study.excluded_rows`` instead)."""
    records = [r for p in parsed for r in p.left_out]
    if not records:
        return empty_left_out()
    kept: set[tuple] = set()
    for frame, with_month in ((screening, False), (visits, True)):
        if frame is not None and len(frame):
            months = frame["month"] if with_month else [None] * len(frame)
            kept.update(zip(frame["source_file"], frame["source_sheet"], frame["source_row"], months))
    rows = [
        r
        for r in records
        if (r["source_file"], r["source_sheet"], r["source_row"], r["month"] if r["table"] == "visits" else None)
        in kept
    ]
    if not rows:
        return empty_left_out()
    frame = pd.DataFrame(rows, columns=list(LEFT_OUT_COLUMNS))
    frame["month"] = pd.to_numeric(frame["month"], errors="coerce").astype("float64")
    frame["source_row"] = frame["source_row"].astype("int64")
    return frame
