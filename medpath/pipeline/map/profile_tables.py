"""The mapping profile's primitives that reshape a table before validation (``medpath.pipeline.map.profile`` parses
them; ``medpath.pipeline.layout.layouts.arrange`` calls these in its profile steps; docs/your-data.md, "Mapping
profile"):

* ``apply_header``: where the header is (``header: {Data Awal: 3}``, a group row above a name row
  ``header: {Kunjungan: [3, 4]}``: "Bulan 6" over "VAS" is the column "Bulan 6 VAS", read as the VAS at month 6)
  and a column by its letter (``columns: {Data Awal!column C: age}``);
* ``leave_out``: rows the team leaves out (``rows: {leave out: [{sheet: Skrining, row: 23}]}``), each listed by a
  finding naming file, sheet and Excel row;
* ``split_scoped``: a column with a field per table (``columns: {Skor: {screening: age, visits: qol}}``): a sheet whose screening rows and visit rows are told apart by the visit column is split into its
  screening and visits tables, the column read as its field in each; a sheet that is one table reads the column as
  that table's field;
* ``apply_fixed``: a field the file lacks, given one value for every row by the team (``fixed: {hbsag: negative}``):
  a column added with that value, and a finding (``Code.FIXED_BY_PROFILE``, its column the field) saying it is the
  team's statement, not read from the file (``medpath.eligibility.team_statements`` shows it beside the criterion).

Each keeps the user's own header text (``FieldHeader``) and Excel row numbers, so every finding still names the
file, sheet, row and column. Nothing here touches disk.
"""

from __future__ import annotations

import re
from dataclasses import replace

from medpath.findings import Code, Finding
from medpath.pipeline.cells.values import parse_visit_label
from medpath.pipeline.map.columns import (
    AddedHeader,
    FieldHeader,
    SheetLabel,
    TableHeader,
    column_index,
    normalise,
)
from medpath.pipeline.map.headers import classify
from medpath.pipeline.map.profile import (
    IGNORE,
    LEAVE_OUT,
    MISSING_WORD,
    Profile,
    cell_texts,
    column_record,
    header_field,
    label,
)
from medpath.pipeline.map.schema import Schema
from medpath.pipeline.read.reading import RawTable, unnamed_note

#: a visit cell that marks a screening row (the screening event of a REDCap export, "Skrining" in a visit column)
SCREENING_ROW = re.compile(r"screen|skrining|eligib|seleksi", re.I)


# --- where the header is; a column by its letter ------------------------------------------------------------


def apply_header(profile: Profile | None, table: RawTable, schema: Schema) -> RawTable:
    """The table with the header the profile places (``header``) and the columns it names by letter; unchanged
    without such a rule."""
    if not profile:
        return table
    rows = profile.header_rule(table.sheet, table.file)
    # a two-row header once joined has no row above it (``above``): applying the rule again changes nothing
    if rows is not None and (rows[-1] != table.header_row or (len(rows) == 2 and table.above)):
        table = _reheaded(profile, table, rows, schema)
    letters = profile.letter_rules(table.sheet)
    if letters:
        table = _lettered(table, letters)
    return table


def _reheaded(profile: Profile, table: RawTable, rows: tuple[int, ...], schema: Schema) -> RawTable:
    grid = {n: list(cells) for n, cells in table.top}
    grid[table.header_row] = list(table.header)
    grid.update(zip(table.row_numbers, table.rows))
    line = profile.lines.get(("header", _sheet_key(profile, table)))
    said = f"the mapping profile (header{f', line {line}' if line else ''})"
    name_row = rows[-1]
    if name_row not in grid:
        return replace(
            table,
            notes=(
                *table.notes,
                table.finding(
                    "error",
                    name_row,
                    None,
                    None,
                    f"row {name_row}, which {said} names as the header, is blank or beyond the sheet; the header "
                    f"was looked for as usual (row {table.header_row})",
                    code=Code.PROFILE_HEADER_ROW_ABSENT,
                ),
            ),
        )
    names = [_text(c) for c in grid[name_row]]
    if len(rows) == 2:
        names = _joined(grid.get(rows[0], []), names, schema)
    while names and names[-1] == "":
        names.pop()
    body = sorted(n for n in grid if n > name_row)
    top = tuple((n, tuple(grid[n])) for n in sorted(grid) if n < name_row)
    above = tuple(grid[name_row - 1][: len(names)]) if len(rows) == 1 and name_row - 1 in grid else ()
    where = f"rows {rows[0]} and {rows[1]} (a group row over a name row)" if len(rows) == 2 else f"row {name_row}"
    notes = [f for f in table.notes if f.code is not Code.COLUMNS_UNNAMED]
    body_rows = [grid[n] for n in body]
    unnamed = unnamed_note(table.file, table.sheet, name_row, names, body_rows)
    return replace(
        table,
        header=names,
        rows=body_rows,
        row_numbers=body,
        header_row=name_row,
        above=above,
        top=top,
        notes=(
            *notes,
            *([unnamed] if unnamed else []),
            table.finding(
                "warning",
                name_row,
                None,
                None,
                f"read as: the header in {where}, as {said} says",
                code=Code.LAYOUT_READ_AS,
            ),
        ),
    )


def _joined(group_row: list[object], names: list[str], schema: Schema) -> list[str]:
    """A group row over a name row as one name per column: the group's label (carried right over the blank cells
    after it, as a merged or centred group reads) before the name: "Bulan 6" over "VAS" is "Bulan 6 VAS", read as
    the outcome at that visit (``FieldHeader``) when the group is a visit and the name an outcome."""
    out: list[str] = []
    group = ""
    for i, name in enumerate(names):
        cell = _text(group_row[i]) if i < len(group_row) else ""
        group = cell or group
        if not group or not name or normalise(group) == normalise(name):
            out.append(name or group)
            continue
        joined = f"{group} {name}"
        visit = parse_visit_label(group, schema.protocol.clock)
        outcome = schema.outcome_aliases.get(normalise(name))
        out.append(FieldHeader(joined, f"{outcome} {visit[0]}") if visit and outcome else joined)
    return out


def _lettered(table: RawTable, letters: dict[str, str]) -> RawTable:
    """The columns named by letter as ``FieldHeader`` (a blank header is named "column C")."""
    header = list(table.header)
    for letter, rule in letters.items():
        index = column_index(letter)
        header += [""] * (index + 1 - len(header))
        header[index] = FieldHeader(str(header[index]) or f"column {letter}", rule)
    notes = [f for f in table.notes if f.code is not Code.COLUMNS_UNNAMED]
    unnamed = unnamed_note(table.file, table.sheet, table.header_row, [str(h) for h in header], table.rows)
    return replace(table, header=header, notes=(*notes, *([unnamed] if unnamed else [])))


def _text(cell: object) -> str:
    return "" if cell is None else str(cell).strip()


def _sheet_key(profile: Profile, table: RawTable) -> str:
    place = table.sheet if table.sheet is not None else table.file
    return next((k for k in profile.header if normalise(k) == normalise(place)), str(place))


# --- rows the team leaves out ----------------------------------------------------------------------------------


def leave_out(profile: Profile | None, table: RawTable) -> tuple[RawTable, list[Finding]]:
    """The table without the rows the profile leaves out (``rows: leave out``), and one warning per row left out
    naming its Excel row (``Code.ROWS_KEPT_BY_PROFILE``)."""
    records = profile.answer(LEAVE_OUT) if profile else None
    if not isinstance(records, list) or not table.rows:
        return table, []
    assert profile is not None
    dropped: dict[int, str] = {}
    for k, record in enumerate(records):
        if not _same_place(record, table):
            continue
        conditions = {c: str(v) for c, v in record.items() if c not in ("sheet", "file", "row")}
        indices = {c: _column_index(table, c) for c in conditions}
        if any(i is None for i in indices.values()):
            continue
        line = profile.lines.get(("rows", f"{LEAVE_OUT}:{k}"))
        for cells, n in zip(table.rows, table.row_numbers):
            if "row" in record and record["row"] != n:
                continue
            if all(_holds(cells, indices[c], wanted) for c, wanted in conditions.items()) and n not in dropped:
                shown = ", ".join(f"{c}: {v}" for c, v in conditions.items())
                dropped[n] = f"{shown}; " if shown else ""
                dropped[n] += f"rows: leave out{f', line {line}' if line else ''}"
    if not dropped:
        return table, []
    findings = [
        table.finding(
            "warning",
            n,
            None,
            None,
            f"row {n} was left out, as the mapping profile says ({why}); it is not analysed",
            code=Code.ROWS_KEPT_BY_PROFILE,
        )
        for n, why in sorted(dropped.items())
    ]
    kept = [(c, n) for c, n in zip(table.rows, table.row_numbers) if n not in dropped]
    return replace(table, rows=[c for c, _ in kept], row_numbers=[n for _, n in kept]), findings


def _same_place(record: dict, table: RawTable) -> bool:
    sheet, file = record.get("sheet"), record.get("file")
    if sheet is not None and (table.sheet is None or normalise(sheet) != normalise(table.sheet)):
        return False
    return file is None or normalise(file) in (normalise(table.file), normalise(table.file.rsplit("/", 1)[-1]))


def _column_index(table: RawTable, column: str) -> int | None:
    key = normalise(column)
    return next((i for i, h in enumerate(table.header) if normalise(str(h)) == key), None)


def _holds(cells: list[object], index: int | None, wanted: str) -> bool:
    if index is None or index >= len(cells) or cells[index] is None:
        return False
    folded = " ".join(wanted.casefold().split())
    return any(" ".join(t.casefold().split()) == folded for t in cell_texts(cells[index]))


# --- a column with a field per table ---------------------------------------------------------------------------


def split_scoped(profile: Profile | None, table: RawTable, schema: Schema, records: list[dict]) -> list[RawTable]:
    """The table with its scoped columns (``columns: {T-score: {screening: ..., visits: ...}}``) read as their field
    in each table: split into a screening and a visits table by its rows when the visit column marks screening rows
    (``SCREENING_ROW``) beside visit rows, else read as the field of the one table the sheet is."""
    if not profile or not profile.scoped:
        return [table]
    scoped = {i: rule for i, h in enumerate(table.header) if (rule := _scope(profile, table, h)) is not None}
    if not scoped:
        return [table]
    visit = next((i for i, h in enumerate(table.header) if header_field(h, schema) == "visit"), None)
    marks = [
        visit is not None and visit < len(cells) and bool(SCREENING_ROW.search(str(cells[visit] or "")))
        for cells in table.rows
    ]
    if visit is not None and any(marks) and not all(marks):
        return [
            _part(table, scoped, "screening", list(marks), schema, records, drop={visit}),
            _part(table, scoped, "visits", [not m for m in marks], schema, records, drop=set()),
        ]
    if _both_by_columns(table, set(scoped), schema):
        return [_by_columns(table, scoped)]
    kind = getattr(table.sheet, "kind", None) or _kind_without(table, set(scoped), schema)
    if kind not in ("screening", "visits"):
        for i in scoped:
            records.append(
                column_record(
                    table,
                    table.header[i],
                    None,
                    "not read",
                    "the mapping profile gives it a field per table, and this sheet is neither the screening nor the "
                    "visits table",
                )
            )
        return [_without(table, set(scoped))]
    return [_part(table, scoped, kind, [True] * len(table.rows), schema, records, drop=set(), split=False)]


def _both_by_columns(table: RawTable, scoped: set[int], schema: Schema) -> bool:
    """Whether a sheet without screening rows holds both tables side by side (two screening fields or more beside a
    visit column, as ``medpath.pipeline.layout.layouts`` splits such a sheet by its columns)."""
    if getattr(table.sheet, "kind", None):
        return False
    fields = [header_field(h, schema) for i, h in enumerate(table.header) if i not in scoped]
    return len([f for f in fields if f in schema.screening_only]) >= 2 and bool({"visit", "month", "day"} & set(fields))


def _by_columns(table: RawTable, scoped: dict[int, dict[str, str]]) -> RawTable:
    """A sheet split later by its columns: a column scoped to the screening table goes there (``TableHeader``), one
    with a field in each table is read twice (a copy for the visits). One column cannot be the same field in both
    tables without screening rows to tell the values apart: it is read in the visits table, with an error."""
    width = len(table.header)
    header, notes = list(table.header), list(table.notes)
    rows = [[*cells[:width], *[None] * (width - len(cells))] for cells in table.rows]
    for i, rule in scoped.items():
        screening, visits = rule.get("screening", IGNORE), rule.get("visits", IGNORE)
        name = str(table.header[i])
        if screening == visits and screening != IGNORE:
            header[i] = FieldHeader(name, visits)
            notes.append(
                table.finding(
                    "error",
                    table.header_row,
                    name,
                    None,
                    f"the mapping profile reads '{name}' as {screening} in both tables, but this sheet has no screening "
                    "rows (a visit cell such as 'Skrining') to tell the screening value from the visits': it is read in "
                    "the visits table only, and the screening table has no value for it (mark the screening rows, or "
                    "keep the screening value in a column of its own)",
                    code=Code.COLUMN_AMBIGUOUS,
                )
            )
            continue
        header[i] = TableHeader(name, screening, "screening") if screening != IGNORE else FieldHeader(name, IGNORE)
        if visits != IGNORE:
            header.append(FieldHeader(name, visits))
            for cells in rows:
                cells.append(cells[i])
    keep = [i for i, h in enumerate(header) if getattr(h, "field", None) != IGNORE]
    return replace(
        table,
        header=[header[i] for i in keep],
        rows=[[cells[i] if i < len(cells) else None for i in keep] for cells in rows],
        above=(),
        hidden_columns=frozenset(),
        notes=tuple(notes),
    )


def _scope(profile: Profile, table: RawTable, header: str) -> dict[str, str] | None:
    if isinstance(header, (FieldHeader, AddedHeader)):
        return None
    return profile.scoped_rule(table.sheet, header)


def _kind_without(table: RawTable, columns: set[int], schema: Schema) -> str | None:
    rule = getattr(table.sheet, "kind", None)
    return rule or classify(_without(table, columns), schema)


def _without(table: RawTable, columns: set[int]) -> RawTable:
    keep = [i for i in range(len(table.header)) if i not in columns]
    return replace(
        table,
        header=[table.header[i] for i in keep],
        rows=[[cells[i] if i < len(cells) else None for i in keep] for cells in table.rows],
        above=tuple(table.above[i] if i < len(table.above) else None for i in keep) if table.above else (),
        hidden_columns=frozenset(),
    )


def _part(
    table: RawTable,
    scoped: dict[int, dict[str, str]],
    kind: str,
    rows: list[bool],
    schema: Schema,
    records: list[dict],
    *,
    drop: set[int],
    split: bool = True,
) -> RawTable:
    """The rows ``rows`` of the table as its ``kind`` table: each scoped column read as its field in that table (or
    left out when it has none there, or ``ignore``), the other table's own fields left out, its own kept."""
    header = list(table.header)
    own = set(schema.screening_fields if kind == "screening" else schema.visit_fields)
    for i, rule in scoped.items():
        field_name = rule.get(kind)
        if field_name is None or field_name == IGNORE:
            drop.add(i)
            elsewhere = next((f for t, f in rule.items() if t != kind and f != IGNORE), None)
            note = (
                f"the mapping profile reads it in the {kind} table as: ignore"
                if field_name
                else (
                    f"the mapping profile reads it as {label(elsewhere, schema)} in the other table only"
                    if elsewhere
                    else "the mapping profile says: ignore"
                )
            )
            records.append(column_record(table, table.header[i], None, "ignored", note))
        else:
            header[i] = FieldHeader(str(table.header[i]), field_name)
    profiled = {rule[kind] for i, rule in scoped.items() if i not in drop}
    for i, name in enumerate(header):
        found = None if i in scoped else header_field(name, schema)
        if found is not None and found in profiled:  # the profile reads this field from the scoped column
            drop.add(i)
            records.append(
                column_record(
                    table,
                    name,
                    None,
                    "superseded",
                    f"the mapping profile reads {label(found, schema)} in the {kind} table from another column",
                )
            )
        elif split and found is not None and found not in own:  # the other table's field
            drop.add(i)
    keep = [i for i in range(len(header)) if i not in drop]
    picked = [(cells, n) for cells, n, on in zip(table.rows, table.row_numbers, rows) if on]
    sheet = SheetLabel(str(table.sheet or ""), kind)
    part = replace(
        table,
        header=[header[i] for i in keep],
        rows=[[cells[i] if i < len(cells) else None for i in keep] for cells, _ in picked],
        row_numbers=[n for _, n in picked],
        above=(),
        hidden_columns=frozenset(),
        sheet=sheet,
    )
    if not split:
        return part
    said = (
        f"read as: the rows whose visit reads as screening → the screening table ({len(picked)} row(s))"
        if kind == "screening"
        else f"the other rows → the visits table ({len(picked)} row(s)), as the mapping profile's columns "
        "with a field per table say"
    )
    first = table.header_row
    notes = table.notes if kind == "screening" else ()
    return replace(part, notes=(*notes, table.finding("warning", first, None, None, said, code=Code.LAYOUT_READ_AS)))


# --- a fixed value: the team's statement ------------------------------------------------------------------------


def apply_fixed(profile: Profile | None, table: RawTable, schema: Schema) -> tuple[RawTable, list[Finding]]:
    """The table with a column for each field the profile fixes (``fixed``) that this table holds and the file
    lacks, every row given the team's value, and a finding saying so (``Code.FIXED_BY_PROFILE``, its column the
    field); a field the file has a column for is read from the file (``Code.FIXED_NOT_USED``)."""
    rules = profile.fixed_rules(table.sheet) if profile else {}
    if not rules or not table.rows:
        return table, []
    assert profile is not None
    kind = getattr(table.sheet, "kind", None) or classify(table, schema)
    fields = schema.screening_fields if kind == "screening" else schema.visit_fields if kind == "visits" else ()
    present = {header_field(h, schema) for h in table.header}
    findings: list[Finding] = []
    for field_name, value in rules.items():
        if field_name not in fields:
            continue
        line = profile.lines.get(("fixed", field_name)) or next(
            (n for (section, key), n in profile.lines.items() if section == "fixed" and key.endswith(f"!{field_name}")),
            None,
        )
        at = f" (line {line})" if line else ""
        shown = MISSING_WORD if value is None else f"{value:g}" if isinstance(value, float) else value
        if field_name in present:
            column = next(str(h) for h in table.header if header_field(h, schema) == field_name)
            findings.append(
                table.finding(
                    "warning",
                    table.header_row,
                    column,
                    None,
                    f"{field_name}: the file has the column '{column}', so it is read from the file; the mapping "
                    f"profile's fixed value ({shown}){at} was not used",
                    code=Code.FIXED_NOT_USED,
                )
            )
            continue
        width = len(table.header)
        rows = [[*(cells[:width] + [None] * (width - len(cells))), value] for cells in table.rows]
        table = replace(table, header=[*table.header, _Fixed(field_name, field_name)], rows=rows)
        findings.append(
            table.finding(
                "warning",
                None,
                field_name,
                shown,
                f"{field_name}: {shown} for every row ({len(rows)}) — the team's statement in the mapping profile"
                f"{at}, not read from the file",
                code=Code.FIXED_BY_PROFILE,
            )
        )
    return table, findings


class _Fixed(FieldHeader, AddedHeader):
    """The column a fixed value fills: read as its field, not one of the user's columns (not listed among them)."""


# --- what the profile names that no file has ---------------------------------------------------------------------


def unmatched(profile: Profile, tables: list[RawTable], schema: Schema) -> list[Finding]:
    """A warning naming the profile's line for each of its new primitives that meets nothing in the upload's
    tables as read (``tables``): a column with a field per table no sheet has, a sheet of ``header``, a letter or a
    ``fixed`` value no file has, and a record of ``rows: leave out`` that matches no row (next month's export may have
    renamed or corrected it)."""
    tables = [apply_header(profile, t, schema) for t in tables]
    sheets = {normalise(t.sheet) for t in tables if t.sheet is not None} | {normalise(t.file) for t in tables}
    out = []

    def absent(section: str, key: str, what: str, code: Code) -> None:
        line = profile.lines.get((section, key))
        message = f"the mapping profile names {what}, but no file has it (its row is the profile's line)"
        out.append(Finding("warning", profile.name, None, line, key, None, message, code=code))

    for written in profile.scoped:
        if not any(_placed_in(profile, t, written) for t in tables):
            absent("columns", written, "this column", Code.PROFILE_COLUMN_ABSENT)
    named_sheets = [("header", s) for s in profile.header] + [("columns", k) for k in profile.letters]
    named_sheets += [("fixed", k) for k in profile.fixed if "!" in k]
    for section, key in named_sheets:
        sheet = key.rpartition("!")[0] if section != "header" else key
        if normalise(sheet) not in sheets:
            absent(section, key, "this sheet", Code.PROFILE_SHEET_ABSENT)
    records = profile.answer(LEAVE_OUT)
    for k, record in enumerate(records if isinstance(records, list) else []):
        if not any(_matches(record, t) for t in tables):
            line = profile.lines.get(("rows", f"{LEAVE_OUT}:{k}"))
            message = "this record of rows: leave out matches no row of the upload, so nothing was left out by it"
            out.append(
                Finding("warning", profile.name, None, line, None, None, message, code=Code.PROFILE_ROWS_UNMATCHED)
            )
    return out


def _placed_in(profile: Profile, table: RawTable, written: str) -> bool:
    return any(profile.scoped_rule(table.sheet, h) is profile.scoped[written] for h in table.header)


def _matches(record: dict, table: RawTable) -> bool:
    if not _same_place(record, table):
        return False
    conditions = {c: str(v) for c, v in record.items() if c not in ("sheet", "file", "row")}
    indices = {c: _column_index(table, c) for c in conditions}
    return any(
        ("row" not in record or record["row"] == n) and all(_holds(cells, indices[c], v) for c, v in conditions.items())
        for cells, n in zip(table.rows, table.row_numbers)
    )
