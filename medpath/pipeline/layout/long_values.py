"""A long parameter / value sheet (issue 24, item 3): one row per patient x visit x measure, as a laboratory system
exports it (``No RM``, ``Kunjungan``, ``Parameter``, ``Nilai``) or a CDISC ADaM BDS dataset (``USUBJID``, ``AVISIT``,
``PARAMCD``, ``AVAL``; CDISC ADaM Implementation Guide v1.3, section 3.2, "the Basic Data Structure"), spread into
one row per patient and visit with a column per measure, as a mapping profile's
``layout: {Sheet: {long: {parameter, value, parameters}}}`` says (``medpath.pipeline.map.profile_layout``).

The patient id and the visit (label, month, day or date) are the columns MedPath reads as such (by their names, or
by the profile's ``columns``); every other column holds something of one measure (its unit, its long name) and is
not spread (listed in ``Study.columns``). Each value is read here, at its own cell, by the field's own reader
(``medpath.pipeline.cells.cells.read_column``, a column in another unit as a whole: ``column_scales``), so that each
finding names the Excel row and the column of the value itself; the spread row holds the value read. Two values for
one patient, visit and measure are a question (``DUPLICATE_CONFLICT``: the first is proposed, the numbers blocked
until ``rows: {duplicates: first}`` or ``leave out`` answers), never a silent pick; the same value twice is counted
once with a warning. A measure the profile does not name is listed in a warning, with its rows.
"""

from __future__ import annotations

from dataclasses import replace

from medpath.findings import Code, Finding
from medpath.pipeline.cells.cells import column_scales, group_cells, read_column
from medpath.pipeline.layout.listing import blank, rows_text
from medpath.pipeline.map.columns import FieldHeader, SheetLabel, normalise
from medpath.pipeline.map.profile import Profile, column_record, header_field
from medpath.pipeline.map.profile_layout import IGNORE, LongLayout
from medpath.pipeline.map.schema import Schema
from medpath.pipeline.read.reading import RawTable

_TIME = ("visit", "month", "day", "date")


def _key(value: object) -> object:
    """A cell as compared when rows are grouped ("P-01 " and "P-01" alike; 3 and 3.0 alike)."""
    if isinstance(value, str):
        return " ".join(value.split()).casefold()
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def _column(table: RawTable, written: str) -> int | None:
    """The column whose header is ``written`` (as written, else as MedPath compares names)."""
    texts = [str(h).strip() for h in table.header]
    if written in texts:
        return texts.index(written)
    key = normalise(written)
    return next((i for i, h in enumerate(table.header) if normalise(str(h)) == key), None)


def spread(
    table: RawTable, layout: LongLayout, schema: Schema, profile: Profile, records: list[dict]
) -> tuple[RawTable, list[Finding]]:
    """The long ``table`` spread into a visits table (one row per patient and visit, numbered by its first Excel
    row), and the findings; ``records``: the ``Study.columns`` rows of the columns decided here. A parameter or value
    column the sheet does not have is an error naming the profile's line, and the table is left as it is."""
    parameter, value = _column(table, layout.parameter), _column(table, layout.value)
    if parameter is None or value is None:
        missing = [w for w, i in ((layout.parameter, parameter), (layout.value, value)) if i is None]
        where = table.file + (f", sheet '{table.sheet}'" if table.sheet else "")
        message = (
            f"mapping profile: the long layout of {where} names the column(s) {', '.join(repr(m) for m in missing)}, "
            f"which the sheet does not have (its columns: {', '.join(repr(str(h)) for h in table.header if str(h))}); "
            "the sheet was not spread"
        )
        return table, [
            Finding(
                "error", profile.name, None, layout.line, None, ", ".join(missing), message, code=Code.PROFILE_INVALID
            )
        ]
    fields = {i: header_field(h, schema) for i, h in enumerate(table.header)}
    ident = next((i for i, f in fields.items() if f == "patient_id"), None)
    times = [i for i, f in fields.items() if f in _TIME and i not in (parameter, value)]
    keys = [i for i in (ident, *times) if i is not None]
    cell = lambda cells, i: cells[i] if i < len(cells) else None  # noqa: E731
    # the measures of each row, and the rows of each field
    unknown: dict[str, list[int]] = {}
    ignored: dict[str, int] = {}
    unlabelled: list[int] = []
    seen: set[str | None] = set()  # the entries of the profile's parameters some row holds
    by_field: dict[str, list[int]] = {}
    for pos, (cells, n) in enumerate(zip(table.rows, table.row_numbers)):
        written = cell(cells, parameter)
        if blank(written):
            if not blank(cell(cells, value)):
                unlabelled.append(n)
            continue
        named = layout.parameter_of(written)
        field_name = None if named is None else layout.parameters[named]
        seen.add(named)
        if field_name is None:
            unknown.setdefault(str(written).strip(), []).append(n)
        elif field_name == IGNORE:
            ignored[str(written).strip()] = ignored.get(str(written).strip(), 0) + 1
        else:
            by_field.setdefault(field_name, []).append(pos)
    findings: list[Finding] = []
    read: dict[int, object] = {}  # position -> the value read
    value_header = str(table.header[value])
    for field_name, positions in by_field.items():
        read.update(zip(positions, _read(table, field_name, positions, value, value_header, schema, profile, findings)))
    # one row per patient and visit; a row without a patient id stays a row of its own (validation says so)
    groups: dict[tuple, int] = {}
    spread_rows: list[list[object]] = []
    numbers: list[int] = []
    first_of: dict[tuple[int, str], int] = {}  # (spread row, field) -> the position of its value
    dropped: set[tuple[int, str]] = set()
    answer = profile.answer("duplicates")
    columns = list(by_field)
    for field_name, positions in by_field.items():
        for pos in positions:
            cells, n = table.rows[pos], table.row_numbers[pos]
            ident_cell = cell(cells, ident) if ident is not None else None
            key = ("row", n) if blank(ident_cell) else tuple(_key(cell(cells, i)) for i in keys)
            if key not in groups:
                groups[key] = len(spread_rows)
                spread_rows.append([cell(cells, i) for i in keys] + [None] * len(columns))
                numbers.append(n)
            k = groups[key]
            slot = len(keys) + columns.index(field_name)
            if (k, field_name) not in first_of:
                first_of[(k, field_name)] = pos
                spread_rows[k][slot] = read[pos]
                continue
            first = first_of[(k, field_name)]
            said = _twice(table, pos, first, value, read, answer, layout, field_name, schema)
            findings.append(said)
            if said.code is Code.DUPLICATE_ROW and answer == "leave out" and read[first] != read[pos]:
                dropped.add((k, field_name))
    for k, field_name in dropped:
        spread_rows[k][len(keys) + columns.index(field_name)] = None
    order = sorted(range(len(spread_rows)), key=numbers.__getitem__)
    header = [table.header[i] for i in keys] + [FieldHeader(value_header, f) for f in columns]
    result = replace(
        table,
        header=header,
        rows=[spread_rows[k] for k in order],
        row_numbers=[numbers[k] for k in order],
        above=(),
        sheet=SheetLabel(str(table.sheet or ""), "visits"),
        hidden_columns=frozenset(),
    )
    findings[:0] = _said(table, layout, parameter, value, by_field, ignored, unknown, unlabelled, len(spread_rows))
    _record_columns(table, layout, keys, parameter, value, by_field, records, schema)
    where = table.file + (f", sheet '{table.sheet}'" if table.sheet else "")
    absent = [
        Finding(
            "warning",
            profile.name,
            None,
            layout.lines.get(p),
            p,
            None,
            f"the mapping profile names the measure '{p}' of {where}, but no row holds it (its row is the profile's "
            "line)",
            code=Code.PROFILE_COLUMN_ABSENT,
        )
        for p in layout.parameters
        if p not in seen
    ]
    return replace(result, notes=(*table.notes, *findings)), absent


def _read(
    table: RawTable,
    field_name: str,
    positions: list[int],
    value: int,
    header: str,
    schema: Schema,
    profile: Profile,
    findings: list[Finding],
) -> list[object]:
    """The values of one field's rows, each read at its own cell (the profile's ``values`` translated first)."""
    raw = []
    for pos in positions:
        cells = table.rows[pos]
        cell = cells[value] if value < len(cells) else None
        hit, translated = profile.value_rule(field_name, cell)
        raw.append(translated if hit else cell)
    rows = [table.row_numbers[p] for p in positions]
    column = replace(table, header=[header], rows=[[v] for v in raw], row_numbers=rows, notes=())
    scales, said = column_scales(column, {field_name: [0]} if field_name in schema.protocol.outcomes else {}, schema)
    findings.extend(said)
    values, notes, _ = read_column(schema.visit_rules[field_name], raw, scales.get(field_name), rows, header)
    findings.extend(group_cells(table, [notes[k] for k in sorted(notes)]))
    return values


def _twice(
    table: RawTable,
    pos: int,
    first: int,
    value: int,
    read: dict[int, object],
    answer: object,
    layout: LongLayout,
    field_name: str,
    schema: Schema,
) -> Finding:
    """The finding on a second value of one patient, visit and measure (at the second row)."""
    n, first_n = table.row_numbers[pos], table.row_numbers[first]
    cells = table.rows[pos]
    raw = cells[value] if value < len(cells) else None
    what = f"a second {schema.field_labels.get(field_name, field_name)} for this patient and visit (first in row {first_n})"
    if read[pos] == read[first]:
        message, severity, code = f"{what}, with the same value; counted once", "warning", Code.DUPLICATE_ROW
    elif answer == "first":
        message, severity, code = (
            f"{what} with another value; not used, as the mapping profile says",
            "warning",
            Code.DUPLICATE_ROW,
        )
    elif answer == "leave out":
        message, severity, code = (
            f"{what} with another value; both left out, as the mapping profile says",
            "warning",
            Code.DUPLICATE_ROW,
        )
    else:
        message, severity, code = (
            f"{what} with another value: which is right? MedPath proposes the first (shown so until you answer); the "
            "numbers of this table are not determinable until you confirm or change it in the mapping profile: "
            "rows: {duplicates: first} (or leave out)",
            "error",
            Code.DUPLICATE_CONFLICT,
        )
    return table.finding(severity, n, str(table.header[value]), raw, message, code=code)  # type: ignore[arg-type]


def _said(
    table: RawTable,
    layout: LongLayout,
    parameter: int,
    value: int,
    by_field: dict[str, list[int]],
    ignored: dict[str, int],
    unknown: dict[str, list[int]],
    unlabelled: list[int],
    spread_rows: int,
) -> list[Finding]:
    """How the sheet was read, and what of it was not (measures not in the profile, values without a measure)."""
    parts = ", ".join(f"{field} ({len(rows)} row(s))" for field, rows in by_field.items())
    message = (
        f"read as: a long sheet, one row per patient, visit and measure ('{table.header[parameter]}' names the measure, "
        f"'{table.header[value]}' holds its value), spread into {spread_rows} row(s) of one patient and visit, as the "
        f"mapping profile says: {parts}"
    )
    if ignored:
        message += "; ignored as the profile says: " + ", ".join(f"'{p}' ({k} row(s))" for p, k in ignored.items())
    out = [table.finding("warning", table.header_row, None, None, message, code=Code.LAYOUT_READ_AS)]
    if unknown:
        listed = "; ".join(f"'{p}' ({len(rows)} row(s): {rows_text(rows)})" for p, rows in list(unknown.items())[:20])
        first = min(min(rows) for rows in unknown.values())
        out.append(
            table.finding(
                "warning",
                first,
                str(table.header[parameter]),
                ", ".join(list(unknown)[:20]),
                f"{len(unknown)} measure(s) the mapping profile does not name were not read: {listed}. Name each under "
                "parameters (a field, or ignore)",
                code=Code.COLUMNS_UNKNOWN,
            )
        )
    if unlabelled:
        out.append(
            table.finding(
                "warning",
                unlabelled[0],
                str(table.header[parameter]),
                None,
                f"{len(unlabelled)} row(s) hold a value but no measure (rows {rows_text(unlabelled)}); they were not read",
                code=Code.ROW_NO_OUTCOME,
            )
        )
    return out


def _record_columns(
    table: RawTable,
    layout: LongLayout,
    keys: list[int],
    parameter: int,
    value: int,
    by_field: dict[str, list[int]],
    records: list[dict],
    schema: Schema,
) -> None:
    """``Study.columns`` rows of the measure and value columns, and of the columns not spread."""
    records.append(
        column_record(
            table, table.header[parameter], None, "profile", "names each row's measure (long layout)", "visits"
        )
    )
    records.append(
        column_record(
            table,
            table.header[value],
            None,  # its fields are those of the spread columns (named as this one), recorded by validation
            "profile",
            "the value of each row's measure (long layout): "
            + ", ".join(f"{schema.field_labels.get(f, f)} ({len(rows)} row(s))" for f, rows in by_field.items()),
            "visits",
        )
    )
    for i, name in enumerate(table.header):
        if i not in keys and i not in (parameter, value) and str(name).strip():
            records.append(
                column_record(
                    table, name, None, "not used", "a long sheet: this column describes one measure, and is not spread"
                )
            )
