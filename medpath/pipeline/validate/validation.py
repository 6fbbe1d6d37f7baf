"""From raw tables to the canonical screening and visits rows, with a finding for every problem (stage 6 of the
reading pipeline).

Each finding names the file, sheet, Excel row, column and value. A row with an error is not put in
the canonical table; the caller counts it (``Study.excluded_rows``), so nothing is dropped silently.
This module puts the stages' work together per table (``parse_table``): which table and which columns
(``medpath.pipeline.map.headers``: required columns, direct identifiers, "did you mean"), each column's
values (``medpath.pipeline.cells.cells``: numbers that are not numbers, values outside their range, unreadable
yes/no, sex or consent values, a column in another unit), where each visit belongs
(``medpath.pipeline.validate.visit_places``), and then the rows: a missing patient id, and patient ids that a
spreadsheet would run as a formula (=, +, -, @, tab or carriage return first, as OWASP's "CSV injection" page
lists): kept as ids, with a warning that exports neutralise them. Duplicates and visits of patients missing from
screening are cross-checks across tables (``medpath.study``, ``medpath.pipeline.validate.row_questions``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from operator import itemgetter

import numpy as np
import pandas as pd

from medpath.export import FORMULA_TRIGGERS
from medpath.findings import Code
from medpath.model import LEFT_OUT_COLUMNS, Finding, empty_left_out
from medpath.pipeline.cells.cells import (
    BOOL_TYPES,
    FLOAT_OR_NONE,
    LEFT_OUT,
    NONE_TYPES,
    Cell,
    column_cells,
    column_scales,
    group_cells,
    read_column,
)
from medpath.pipeline.cells.values import parse_visit_label
from medpath.pipeline.map.columns import AddedHeader, normalise
from medpath.pipeline.map.headers import (
    NOTE_SHEETS,
    classify,
    map_columns,
    required_present,
    unknown_note,
    unused_columns,
    wide_columns,
)
from medpath.pipeline.map.profile import column_record
from medpath.pipeline.map.schema import Rule, Schema
from medpath.pipeline.read.reading import RawTable
from medpath.pipeline.validate.visit_places import place_visit, wide_to_long


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
class _Part:
    kind: str
    frame: pd.DataFrame | None
    entries: list  # Finding or Cell, in order
    excluded_rows: frozenset[int]
    left_out: list[dict]
    columns: list[dict] = field(default_factory=list)


def parse_table(table: RawTable, schema: Schema) -> Parsed:
    """Validate one raw table into canonical rows with the rules of ``schema`` (the kind is decided by
    ``classify``)."""
    kind = classify(table, schema)
    if kind is None and normalise(table.sheet or "") in NOTE_SHEETS:
        return Parsed("ignored", None, [], columns=unused_columns(table, "a sheet of notes"))
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
            columns=unused_columns(
                table, "the sheet is neither a screening nor a visits table (the mapping step can say which it is)"
            ),
        )
    if kind == "screening":
        return _resolve(
            table, [_parse(table, "screening", schema.screening_aliases, schema.screening_rules, {}, schema)]
        )
    visit_aliases = schema.visit_aliases
    wide = wide_columns(table.header, schema)
    has_time = any(visit_aliases.get(normalise(h)) in ("visit", "month", "day") for h in table.header)
    if not wide or has_time:
        columns: dict[str | None, list[int]] = {}
        for index, name in enumerate(table.header):
            columns.setdefault(visit_aliases.get(normalise(name)), [index])
        outcomes = schema.protocol.outcomes
        scales, notes = column_scales(
            table, {k: v for k, v in columns.items() if k is not None and k in outcomes}, schema
        )
        part = _parse(table, "visits", visit_aliases, schema.visit_rules, scales, schema)
        return _resolve(table, [part], notes)
    by_field: dict[str, list[int]] = {}
    for index, (outcome, _) in wide.items():
        by_field.setdefault(outcome, []).append(index)
    scales, notes = column_scales(table, by_field, schema)
    subtables = wide_to_long(table, wide, visit_aliases, schema.protocol.clock)
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
                    f"at {(parse_visit_label(label, schema.protocol.clock) or (str(label),))[0]} (a wide sheet: one column per visit)",
                    "visits",
                )
            )
        elif found == "patient_id":
            records.append(column_record(table, name, found, "used" if readable else "not read", "", "visits"))
        else:
            records.append(column_record(table, name, None, "unknown", unknown_note(name, visit_aliases, {}, schema)))
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
    findings = list(dict.fromkeys(group_cells(table, entries)))
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
    mapping = map_columns(table, aliases, findings, schema, records, kind)
    entries += findings
    if not required_present(table, kind, mapping, entries, schema):
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
    notes: dict[str, dict[int, Cell]] = {}
    arrays: dict[str, np.ndarray] = {}  # the number columns read at once, as float64 (``read_column``)
    for canonical, index in mapping.items():
        rule = rules[canonical]
        raws[canonical] = column = column_cells(table.rows, index)
        vals[canonical], notes[canonical], numbers = read_column(
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
                parsed = parse_visit_label(label, schema.protocol.clock)
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
                ok = place_visit(table, excel_row, mapping, values, entries, schema.protocol.clock)
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
                    "reason": cell.message.replace(LEFT_OUT, ""),
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
            elif (
                set(map(type, values)) <= BOOL_TYPES
            ):  # as pd.array(values, dtype="boolean") makes it, without its checks
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
                if types <= NONE_TYPES:  # an empty column
                    data[c] = pd.array(np.full(n, np.nan), dtype="float64")
                elif types <= FLOAT_OR_NONE:  # None -> NaN, as numpy converts it
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
