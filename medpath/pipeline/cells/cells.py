"""Whole columns of cells read as their field's values (stage 5 of the reading pipeline): a number column at once
as float64, each distinct text read once (``read_column``; one cell: ``values`` through the schema's ``Rule``), a
column of another unit as a whole (``column_scales``: VAS in millimetres), and the same problem in many cells
grouped into one finding that lists the Excel rows (``group_cells``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from operator import itemgetter
from typing import Literal

import numpy as np

from medpath.findings import Code
from medpath.model import Finding
from medpath.pipeline.cells.values import BadValue, column_unit, converts_unit, is_number_reader, read_patient_id
from medpath.pipeline.map.schema import Rule, Schema
from medpath.pipeline.read.reading import RawTable

#: The same problem in at least this many cells of one sheet is reported once, listing the Excel rows.
GROUP_MIN_CELLS = 3
#: Excel rows listed in a grouped finding before "…".
GROUP_ROWS_SHOWN = 10
LEFT_OUT = "; this value is left out (the row's other values are used)"


@dataclass(frozen=True)
class Cell:
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


def column_scales(
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
            column = column_cells(table.rows, index)
            if set(map(type, column)) <= FLOAT_OR_NONE:  # the fast path below for every cell, at once
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
                f"{schema.protocol.outcomes[name].label} read as {rule.unit}: every value is at most {plain_number(rule.all_at_most)} and "
                f"{len(above)} of {len(values)} are above {plain_number(rule.above)}, so each was multiplied by {plain_number(rule.factor)} "
                f"to the {rule.scale} scale (e.g. {plain_number(example)} -> {plain_number(round(example * rule.factor, 10))}). If the "
                f"column is already on the {rule.scale} scale, the values above {plain_number(rule.above)} are typing errors: "
                "correct them",
                code=Code.VALUES_SCALED,
            )
        )
    return scales, findings


def group_cells(table: RawTable, entries: list) -> list[Finding]:
    """Cell findings with the same problem in ``GROUP_MIN_CELLS`` or more cells become one finding (at the place of
    the first), naming the columns and the first Excel rows; the others stay one finding per cell."""
    groups: dict[tuple, list[Cell]] = {}
    for entry in entries:
        if isinstance(entry, Cell):
            groups.setdefault(entry.key, []).append(entry)
    out = []
    for entry in entries:
        if not isinstance(entry, Cell):
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


def _grouped(table: RawTable, cells: list[Cell]) -> Finding:
    first = cells[0]
    columns = list(dict.fromkeys(str(c.column) for c in cells))
    column_text = ", ".join(columns[:5]) + (", …" if len(columns) > 5 else "")
    rows = sorted({c.row for c in cells})
    row_text = ", ".join(map(str, rows[:GROUP_ROWS_SHOWN])) + (", …" if len(rows) > GROUP_ROWS_SHOWN else "")
    where = f"{len(cells)} cells of {column_text} (Excel rows {row_text})"
    same = len({str(c.raw) for c in cells}) == 1
    if first.note is None:  # an error or a range warning: the same value in every cell
        message = first.message.replace(LEFT_OUT, "; these values are left out (the rows' other values are used)")
        text = f"{str(first.raw)!r} in {where}: {message}"
    elif same:
        text = f"{str(first.raw)!r} in {where}: read as {first.shown}: {first.note}"
    else:
        text = f"{where}: {first.note}; e.g. {str(first.raw)!r} read as {first.shown}"
    return table.finding(first.severity, first.row, column_text, first.raw, text, code=first.code)


def column_cells(rows: list[list[object]], index: int) -> list[object]:
    """The cells of column ``index`` (``None`` where a row is shorter)."""
    try:
        return list(map(itemgetter(index), rows))
    except IndexError:
        return [cells[index] if index < len(cells) else None for cells in rows]


_PLAIN_NUMBERS = frozenset({float, int, type(None)})
_TEXT_OR_EMPTY = frozenset({str, type(None)})
FLOAT_OR_NONE = frozenset({float, type(None)})
NONE_TYPES = frozenset({type(None)})
BOOL_TYPES = frozenset({bool})


def read_column(
    rule: Rule, column: list[object], scale: float | None, row_numbers: list[int], header: str
) -> tuple[list, dict[int, Cell], np.ndarray | None]:
    """The values of one column's cells and the findings of those that have one (by position), as
    ``_read_cell`` gives them cell by cell, and for a number column read at once (below) the same values as a
    float64 array (NaN where a value is None), else None. A plain value (read without a note, within bounds, no
    unit to convert) takes no call of ``_read_cell``; a number column whose cells are all floats, ints or empty
    takes no call per cell at all, and each distinct text is read once."""
    read, bounds = rule.read, rule.bounds
    notes: dict[int, Cell] = {}
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
    notes: dict[int, Cell],
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
) -> tuple[list, dict[int, Cell], np.ndarray]:
    """``read_column`` of a number column whose cells are all floats, ints or empty (``numbers``: the cells as
    float64, None -> NaN): only the infinite and out-of-bounds cells are read one by one (``_read_cell``)."""
    bounds = rule.bounds
    notes: dict[int, Cell] = {}
    missing = np.isnan(numbers)
    if types <= FLOAT_OR_NONE and int(missing.sum()) == column.count(None):
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


def _read_cell(rule: Rule, raw: object, scale: float | None, row: int, column: str) -> tuple[object, Cell | None]:
    """The cell's value and its finding (``None`` for a plain, valid value). An error's value is ``None``."""
    try:
        value, note = rule.read(raw)
    except BadValue as exc:
        message = str(exc) + ("; this row is left out" if rule.identity else LEFT_OUT)
        return None, Cell(
            "error", row, column, raw, message, ("error", message, _hashable(raw)), code=Code.VALUE_INVALID
        )
    if scale is not None and value is not None:
        value = round(value * scale, 10)
    bounds = rule.bounds
    if bounds is not None and value is not None and not bounds[0] <= value <= bounds[1]:
        low, high = bounds
        read_as = f"read as {plain_number(value)} ({note}); " if note else ""
        message = f"{read_as}{plain_number(value)} is outside the possible range of {rule.what}: {plain_number(low)} to {plain_number(high)}"
        if rule.bounds_severity == "warning":
            return value, Cell(
                "warning", row, column, raw, message, ("warning", message, _hashable(raw)), code=Code.VALUE_OUT_OF_RANGE
            )
        message += LEFT_OUT
        return None, Cell(
            "error", row, column, raw, message, ("error", message, _hashable(raw)), code=Code.VALUE_OUT_OF_RANGE
        )
    if note is None:
        return value, None
    shown = rule.show(value)
    return value, Cell(
        "warning", row, column, raw, f"read as {shown}: {note}", ("note", note), note, shown, code=Code.VALUE_READ_AS
    )


def _hashable(raw: object) -> object:
    try:
        hash(raw)
    except TypeError:
        return repr(raw)
    return (type(raw).__name__, raw)


def plain_number(x: float) -> str:
    return f"{x:g}"
