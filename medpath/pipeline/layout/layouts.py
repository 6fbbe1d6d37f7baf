"""Between reading and validation: the layouts study teams really keep, turned into the tables
``medpath.pipeline.validate.validation`` reads, and what is not data left out, each with a finding.

``arrange(tables)`` takes the raw tables of one file (``medpath.pipeline.read.reading.read_tables``) and returns
raw tables in the shapes validation understands, plus findings naming what was recognised
("read as: one sheet per visit") and what was left out. Nothing here guesses: when several columns
could be one field and no rule a PI would agree with picks one, the result is an error listing the
candidates and how to choose, and none of them is read.

In order, per file:

1. hidden sheets are left out (a warning names each);
2. per sheet: hidden columns, hidden rows and struck-through rows are left out; a two-row header
   (group cells, often merged, over repeated names such as a DXA report's regions over
   BMD / T-score / Z-score) is flattened to names like "L1-L4 T-score"; rows whose id or label reads
   as a summary (Total, Jumlah, Rata-rata, Mean, SD, n, ...), a note, a signature block
   ("Mengetahui", "Tanda tangan": it and every row below it) or a test/dummy id (TEST, DUMMY, XXX,
   coba) are left out;
3. REDCap exports (raw: ``redcap_event_name``; labels: "Record ID", "Event Name"): the screening event
   becomes the screening table, repeating instruments are kept apart, the data access group is
   ignored, checkbox fields (``field___code``, "Label (choice=...)") are read when their option names
   a known field;
4. a screening log keyed by a screening number, with a subject id column linking the enrolled;
5. columns that could be one field: a column marked as a correction (koreksi, corrected, revisi)
   supersedes the original; a densitometry field of a DXA report (``Outcome.dxa``) is read at the region the
   protocol names (``Outcome.dxa_site``, e.g. the L1-L4 total), never a single vertebra or another site;
   columns holding the same values in every row are one;
   anything else is an error;
6. one sheet holding screening and visits is split into a screening table and a visits table;
7. one sheet per visit (the visit from the sheet name: "Awal", "Baseline", "Bulan ke-3", "6 bulan",
   "M6"); visit dates instead of labels (the month from the days since the patient's first visit,
   placed with the visit windows of ``medpath.pipeline.cells.values.month_from_day``).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from functools import lru_cache
from operator import itemgetter

from medpath.findings import Code
from medpath.model import Finding
from medpath.pipeline.cells.values import is_missing, parse_date, parse_visit_label
from medpath.pipeline.layout import profile_layouts
from medpath.pipeline.map.columns import (
    SCREENING_NUMBER,
    VISIT_DATE,
    AddedHeader,
    FieldHeader,
    SheetLabel,
    column_letters,
    is_correction,
    normalise,
)
from medpath.pipeline.map.headers import classify
from medpath.pipeline.map.profile import (
    IGNORE,
    Profile,
    apply_columns,
    apply_sheet,
    apply_values,
    column_record,
    mark_sheet,
)
from medpath.pipeline.map.profile_tables import apply_fixed, apply_header, leave_out, split_scoped
from medpath.pipeline.map.schema import Schema
from medpath.pipeline.read.reading import RawTable
from medpath.pipeline.validate.row_questions import keep_site, remarks_not_measured

_TIME = frozenset({"visit", "month", "day"})


@dataclass
class Arranged:
    """The tables to validate, findings about what was recognised or left out as a whole, and the
    layout group of each table (tables of one group are one table kept over several sheets)."""

    tables: list[RawTable]
    findings: list[Finding] = field(default_factory=list)
    groups: dict[int, str] = field(default_factory=dict)  # index into ``tables`` -> group name
    #: the columns decided here (left out, or used in another way than by name), as ``Study.columns`` rows
    columns: list[dict] = field(default_factory=list)
    #: (file, sheet, header) -> what a mapping profile translated in that column
    value_notes: dict[tuple[str, str | None, str], str] = field(default_factory=dict)


#: Where the helpers below put the ``Study.columns`` rows of the columns they decide: ``Arranged.columns`` of the
#: ``arrange`` call, or None (``clean``: nothing is recorded).
Records = list[dict] | None


def _record(
    records: Records,
    table: RawTable,
    header: object,
    field_name: str | None,
    status: str,
    note: str,
    kind: str | None = None,
) -> None:
    if records is not None and str(header).strip() and not isinstance(header, AddedHeader):
        records.append(column_record(table, str(header), field_name, status, note, kind))


def arrange(tables: Sequence[RawTable], schema: Schema, profile: Profile | None = None) -> Arranged:
    """The raw tables of one file, rearranged for validation with the names of ``schema`` (see the module
    docstring); a mapping ``profile`` (``medpath.pipeline.map.profile``) is applied first: its sheet rules, then (after hidden
    rows and columns and two-row headers) its column rules, and at the end its value translations."""
    out = Arranged([])
    _arrange(tables, schema, profile, out)
    return out


def _arrange(tables: Sequence[RawTable], schema: Schema, profile: Profile | None, out: Arranged) -> None:
    records = out.columns
    parts: list[RawTable] = []
    profile_visits: list[int] = []
    tables, said = profile_layouts.before(list(tables), schema, profile, records)  # several tables on a sheet, ...
    out.findings.extend(said)
    for table in tables:
        table = apply_header(profile, table, schema)
        rule = apply_sheet(profile, table)
        if rule == IGNORE:
            for name in table.header:
                _record(records, table, name, None, "ignored", "the mapping profile says: ignore this sheet")
            continue
        if table.hidden and rule is None:
            out.findings.append(
                table.finding(
                    "warning",
                    None,
                    None,
                    None,
                    "this sheet is hidden in Excel; it was left out (unhide it, or delete it if it "
                    "is an old copy, to choose)",
                    code=Code.SHEET_HIDDEN,
                )
            )
            for name in table.header:
                _record(records, table, name, None, "hidden", "the sheet is hidden in Excel")
            continue
        if table.hidden:
            out.findings.append(
                table.finding(
                    "warning",
                    None,
                    None,
                    None,
                    f"this sheet is hidden in Excel; it was read because the mapping profile marks it as {rule}",
                    code=Code.SHEET_HIDDEN_READ,
                )
            )
        table, asked = keep_site(_clean(table, schema, profile, records), profile)
        table, remarked = remarks_not_measured(table, profile)
        table, left_out = leave_out(profile, table)
        out.findings.extend([*asked, *remarked, *left_out])
        table, dropped = apply_columns(profile, table, schema)
        out.columns.extend(dropped)
        table, said = profile_layouts.per_table(table, schema, profile, records)  # a patient's sheet, a long sheet
        out.findings.extend(said)
        if rule is not None:
            table = mark_sheet(table, rule, schema)
            if rule not in ("screening", "visits"):
                profile_visits.append(len(parts))
        parts.extend(
            _resolve_columns(_screening_log(part, schema, records), schema, records)
            for piece in split_scoped(profile, table, schema, records)
            for part in _split_redcap(piece, schema, records)
        )
    # a sheet holding screening and visits feeds the screening table only when the file has no other one
    has_screening = any(classify(p, schema) == "screening" and _both_tables(p, schema) is None for p in parts)
    for k, part in enumerate(parts):
        if k in profile_visits:
            out.groups[len(out.tables)] = "per-visit sheets"
        out.tables.extend(_split_screening_and_visits(part, schema, records, keep_screening=not has_screening))
    _per_visit_sheets(out, schema)
    out.tables = [_visit_dates(t, schema, records) for t in out.tables]
    for k, table in enumerate(out.tables):
        table, fixed = apply_fixed(profile, table, schema)
        out.findings.extend(fixed)
        table, notes = apply_values(profile, table, schema)
        out.tables[k] = table
        for header, note in notes.items():
            out.value_notes[(table.file, None if table.sheet is None else str(table.sheet) or None, header)] = note


def clean(table: RawTable, schema: Schema, profile: Profile | None = None) -> RawTable:
    """Hidden columns and rows, struck-through rows, a two-row header and rows that are not data, handled as
    ``arrange`` does (the mapping step shows the columns of the cleaned table; the adverse-event and disposition
    tables get the same row rules)."""
    return _clean(table, schema, profile, None)


# --- small table operations ------------------------------------------------------------------------


def _note(table: RawTable, *findings: Finding) -> RawTable:
    return replace(table, notes=(*table.notes, *findings))


def _keep_columns(table: RawTable, keep: list[int], header: list[str] | None = None) -> RawTable:
    """Only the columns ``keep`` (in that order); ``header`` renames them."""
    rows = [[cells[i] if i < len(cells) else None for i in keep] for cells in table.rows]
    above = tuple(table.above[i] if i < len(table.above) else None for i in keep) if table.above else ()
    return replace(
        table, header=header or [table.header[i] for i in keep], rows=rows, above=above, hidden_columns=frozenset()
    )


def _drop_columns(table: RawTable, drop: set[int]) -> RawTable:
    return _keep_columns(table, [i for i in range(len(table.header)) if i not in drop]) if drop else table


def _keep_rows(table: RawTable, keep: set[int]) -> RawTable:
    pairs = [(cells, n) for cells, n in zip(table.rows, table.row_numbers) if n in keep]
    return replace(table, rows=[c for c, _ in pairs], row_numbers=[n for _, n in pairs])


def _add_column(table: RawTable, name: str, values: Sequence[object]) -> RawTable:
    width = len(table.header)
    rows = [[*(cells[:width] + [None] * (width - len(cells))), value] for cells, value in zip(table.rows, values)]
    return replace(table, header=[*table.header, name], rows=rows)


def _cell(cells: list[object], index: int | None) -> object:
    return cells[index] if index is not None and index < len(cells) else None


def _blank(value: object) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _names(names: list[str], limit: int = 12) -> str:
    shown = ", ".join(f"'{n}'" for n in names[:limit])
    return shown + (f" and {len(names) - limit} more" if len(names) > limit else "")


def _rows_text(rows: list[int]) -> str:
    return ", ".join(map(str, rows[:20])) + (f" and {len(rows) - 20} more" if len(rows) > 20 else "")


def _id_index(table: RawTable, schema: Schema) -> int | None:
    for i, name in enumerate(table.header):
        key = normalise(name)
        if schema.all_aliases.get(key) == "patient_id" or key in SCREENING_NUMBER:
            return i
    return None


# --- 2. hidden columns and rows, two-row headers, rows that are not data -----------------------------


def _clean(table: RawTable, schema: Schema, profile: Profile | None, records: Records) -> RawTable:
    if table.hidden_columns:
        hidden = sorted(i for i in table.hidden_columns if i < len(table.header))
        if hidden:
            names = [table.header[i] or column_letters(i) for i in hidden]
            for i in hidden:
                _record(records, table, table.header[i], None, "hidden", "the column is hidden in Excel")
            table = _note(
                _drop_columns(table, set(hidden)),
                table.finding(
                    "warning",
                    table.header_row,
                    None,
                    ", ".join(names),
                    f"{len(hidden)} hidden column(s) left out: {_names(names)} (unhide them in Excel to have them read)",
                    code=Code.COLUMNS_HIDDEN,
                ),
            )
    left_out: list[Finding] = []
    keep = set(table.row_numbers)
    for n in sorted(table.struck_rows & keep):
        keep.discard(n)
        left_out.append(
            table.finding(
                "warning",
                n,
                None,
                None,
                "this row is struck through; it was left out as deleted (remove the strike-through to have it read)",
                code=Code.ROW_STRUCK,
            )
        )
    table = _flatten_header(table)
    left_out += _non_data_rows(table, keep, schema)
    left_out += _hidden_rows(table, keep, profile.answer("hidden") if profile else None)
    if len(keep) != len(table.row_numbers):
        table = _keep_rows(table, keep)
    return _note(table, *left_out) if left_out else table


def _hidden_rows(table: RawTable, keep: set[int], answer: object) -> list[Finding]:
    """Rows hidden in Excel that no certain rule leaves out (a summary, note or test row): a question
    (``medpath.pipeline.validate.row_questions``) -- read as proposed, with an error that blocks the sheet's numbers -- unless the
    mapping profile answers ``hidden: read`` (quiet) or ``leave out`` (removed from ``keep``, one warning)."""
    hidden = sorted(table.hidden_rows & keep)
    if not hidden or answer == "read":
        return []
    if answer == "leave out":
        keep.difference_update(hidden)
        message = f"{len(hidden)} row(s) hidden in Excel (rows {_rows_text(hidden)}) were left out, as the mapping profile says"
        return [table.finding("warning", hidden[0], None, None, message, code=Code.ROW_HIDDEN)]
    message = (
        f"{len(hidden)} row(s) of this sheet are hidden in Excel (rows {_rows_text(hidden)}), by a filter left applied "
        "or by hand. Are they data? A filter hides rows that are still data; MedPath proposes to read them (shown so "
        "until you answer); the numbers of this sheet are not determinable until you confirm or change it in the "
        "mapping profile: rows: {hidden: read} (or leave out)"
    )
    return [table.finding("error", hidden[0], None, None, message, code=Code.ROWS_HIDDEN)]


def _flatten_header(table: RawTable) -> RawTable:
    """A group row above repeated names (regions over BMD / T-score / Z-score, or visits over the
    outcomes) becomes one name per column: "L1-L4 T-score", or "T-score Bulan 6" for a visit group."""
    if not table.above:
        return table
    keys = [normalise(h) for h in table.header]
    repeated = {k for k in keys if k and keys.count(k) > 1}
    if not repeated:
        return table
    groups: list[str] = []
    seen: set[str]
    current, seen = "", set()
    for i, key in enumerate(keys):
        above = table.above[i] if i < len(table.above) else None
        if not _blank(above):
            current, seen = str(above).strip(), set()
        elif key not in repeated or key in seen:
            current = ""
        groups.append(current if key in repeated or not _blank(above) else "")
        seen.add(key)
    distinct = {g for g, k in zip(groups, keys) if k in repeated and g}
    if len(distinct) < 2:
        return table
    header = []
    for name, group in zip(table.header, groups):
        if not group or normalise(group) == normalise(name) or not name:
            header.append(name)
        elif parse_visit_label(group) is not None:
            header.append(f"{name} {group}")
        else:
            header.append(f"{group} {name}")
    renamed = [h for h, old in zip(header, table.header) if h != old]
    return _note(
        replace(table, header=header),
        table.finding(
            "warning",
            table.header_row,
            None,
            None,
            f"read as: a two-row header (row {table.header_row - 1} groups the names in row {table.header_row}); "
            f"columns named {_names(renamed, 8)}",
            code=Code.LAYOUT_READ_AS,
        ),
    )


_SUMMARY = re.compile(
    r"^(total|jumlah|rata[\s-]*rata|rerata|mean|median|sd|sb|s\.d\.?|std\.?|stdev|std\.?\s*dev\w*|"
    r"standar\s+deviasi|simpangan\s+baku|n|min|max|minimum|maximum|maks|average|avg|range|iqr|"
    r"modus|sum|count|p[\s-]*value|nilai\s+p|subtotal)(?=$|[\s:=(±/.,;])",
    re.I,
)
_NOTE = re.compile(
    r"^(catatan|keterangan|ket\.|note|notes|nb|n\.b\.|remarks?|komentar|\*+)(?=$|[\s:=(.,;*])"
    r"|^\([^()]*\)$",  # a label wholly in brackets: a row of instructions under the header, "(kode)", "(L/P)"
    re.I,
)
_SIGNATURE = re.compile(
    r"^(mengetahui|menyetujui|tanda\s*tangan|ttd|disetujui|dibuat\s+oleh|diperiksa\s+oleh|"
    r"peneliti\s+utama|principal\s+investigator|signature|signed\s+by|prepared\s+by|"
    r"approved\s+by|verified\s+by)(?=$|[\s:=(.,;])",
    re.I,
)
_TEST_ID = re.compile(r"(?<![a-z])(test|tes|testing|dummy|coba|percobaan|contoh|xxx+)(?![a-z])", re.I)


def _non_data_rows(table: RawTable, keep: set[int], schema: Schema) -> list[Finding]:
    """Summary, note, signature-block and test rows: removed from ``keep``, one warning each."""
    id_index = _id_index(table, schema)
    findings: list[Finding] = []
    signature_from = None
    verdicts: dict[tuple[str, bool], str | None] = {}  # each distinct label judged once
    table_rows, numbers = table.rows, table.row_numbers
    for pos in _labelled_rows(table_rows, id_index):
        cells, n = table_rows[pos], numbers[pos]
        if n not in keep:
            continue
        id_cell = cells[id_index] if id_index is not None and id_index < len(cells) else None
        if id_cell.__class__ is str and id_cell and not id_cell.isspace():  # the common case: an id (not blank)
            label: object = id_cell
            in_id = True
        elif not _blank(id_cell):
            if not isinstance(id_cell, str):
                continue  # a number or date in the id column: not a label
            label, in_id = id_cell, True
        else:
            label = next((c for c in cells if not _blank(c)), None)
            in_id = False
            if not isinstance(label, str):
                continue
        assert isinstance(label, str)
        key = (label, in_id)
        if key in verdicts:
            why = verdicts[key]
        else:
            why = verdicts[key] = _verdict(label.strip(), in_id)
        if why is None:
            continue
        if why is _SIGNATURE_ROW:
            signature_from = n
            keep.difference_update(numbers[pos:])  # this row and every row below it
            break
        text = label.strip()
        keep.discard(n)
        column = table.header[id_index] if in_id and id_index is not None else None
        findings.append(
            table.finding(
                "warning", n, column, text, f"'{text[:40]}' {why}; the row was left out", code=Code.ROW_SUMMARY
            )
        )
    if signature_from is not None:
        rows = [n for n in table.row_numbers if n >= signature_from]
        findings.append(
            table.finding(
                "warning",
                signature_from,
                None,
                None,
                f"a signature block starts here (rows {_rows_text(rows)}); left out, with every row below it",
                code=Code.SIGNATURE_BLOCK,
            )
        )
    return findings


_SIGNATURE_ROW = "a signature block"


def _labelled_rows(rows: list[list[object]], id_index: int | None):
    """Positions of the rows ``_non_data_rows`` must look at, in order: all but those whose id cell is a text
    judged a patient's (each distinct id judged once), which it would pass over."""
    if id_index is None:
        return range(len(rows))
    try:
        ids = list(map(itemgetter(id_index), rows))
    except IndexError:
        ids = [cells[id_index] if id_index < len(cells) else None for cells in rows]
    try:
        distinct = set(ids)
    except TypeError:  # an unhashable cell: every row is looked at
        return range(len(rows))
    patients = {
        label
        for label in distinct
        if label.__class__ is str and label and not label.isspace() and _verdict(label.strip(), True) is None
    }
    if len(patients) == len(distinct):
        return []
    return [pos for pos, label in enumerate(ids) if label not in patients]


@lru_cache(maxsize=2**16)  # a pure function of module constants: ids seen again (screening, then visits) judged once
def _verdict(text: str, in_id: bool) -> str | None:
    """Why a row whose label (its id, or its first cell when the id is blank) is ``text`` is not data:
    ``_SIGNATURE_ROW``, or the reason of a summary, note or test row; ``None`` for a patient's row."""
    if _SIGNATURE.match(text):
        return _SIGNATURE_ROW
    if _SUMMARY.match(text):
        return "reads as a summary row, not a patient"
    if _NOTE.match(text):
        return "reads as a note, not a patient"
    if in_id and _TEST_ID.search(text):
        return "is a test/dummy entry, not a patient"
    return None


# --- 3. REDCap exports -----------------------------------------------------------------------------

_REDCAP_ARM = re.compile(r"\s*\(\s*arm\s*\d+[^)]*\)\s*$", re.I)
_CHECKBOX_RAW = re.compile(r"^(?P<base>.+?)___(?P<code>[A-Za-z0-9_]+)$")
_CHECKBOX_LABEL = re.compile(r"^(?P<base>.*?)\s*\(\s*choice\s*=\s*(?P<code>[^)]+)\)\s*$", re.I)
_SCREENING_EVENT = re.compile(r"screen|skrining|eligib|seleksi", re.I)


def _split_redcap(table: RawTable, schema: Schema, records: Records) -> list[RawTable]:
    aliases, screening_only = schema.all_aliases, schema.screening_only
    keys = [normalise(h) for h in table.header]
    raw = "redcapeventname" in keys
    labels = not raw and "eventname" in keys and any(aliases.get(k) == "patient_id" for k in keys)
    if not raw and not labels:
        return [table]
    event = keys.index("redcapeventname" if raw else "eventname")
    repeat = next((i for i, k in enumerate(keys) if k in ("redcaprepeatinstrument", "repeatinstrument")), None)
    ignored = {
        i
        for i, k in enumerate(keys)
        if k
        in (
            "redcaprepeatinstance",
            "repeatinstance",
            "redcapdataaccessgroup",
            "dataaccessgroup",
            "redcapsurveyidentifier",
            "surveyidentifier",
        )
        or k.endswith("complete")
        or k.endswith("timestamp")
    }
    said = [f"read as: a REDCap {'raw' if raw else 'labels'} export"]
    header = list(table.header)
    unread_checkboxes: list[str] = []
    checkbox_values: dict[int, bool] = {}
    for i, name in enumerate(table.header):
        match = (_CHECKBOX_RAW if raw else _CHECKBOX_LABEL).match(name)
        if not match:
            continue
        if isinstance(name, FieldHeader):  # named in the mapping profile: read as that field, under its own name
            checkbox_values[i] = labels
            continue
        field_name = aliases.get(normalise(match.group("code")))
        if field_name in screening_only or field_name in schema.protocol.outcomes:
            header[i] = match.group("code").strip()
            checkbox_values[i] = labels
        else:
            ignored.add(i)
            unread_checkboxes.append(name)
    rows = [list(cells) for cells in table.rows]
    for cells in rows:
        if event < len(cells) and isinstance(text := cells[event], str):
            cells[event] = _REDCAP_ARM.sub("", text).strip()
        for i, is_label in checkbox_values.items():
            if is_label and i < len(cells) and isinstance(text := cells[i], str):
                cells[i] = {"checked": "yes", "unchecked": "no"}.get(text.strip().lower(), text)
    table = replace(table, header=header, rows=rows)
    for i in sorted(ignored):
        if table.header[i] in unread_checkboxes:
            _record(
                records,
                table,
                table.header[i],
                None,
                "unknown",
                "a REDCap checkbox whose option is not a field MedPath knows",
            )
        else:
            _record(
                records,
                table,
                table.header[i],
                None,
                "ignored",
                "REDCap bookkeeping (instance, data access group, form status or time stamp)",
            )
    if repeat is not None:
        _record(
            records,
            table,
            table.header[repeat],
            None,
            "ignored",
            "the REDCap repeating instrument: its rows are kept apart",
        )
    notes: list[Finding] = []
    if unread_checkboxes:
        notes.append(
            table.finding(
                "warning",
                table.header_row,
                None,
                ", ".join(unread_checkboxes[:20]),
                f"{len(unread_checkboxes)} REDCap checkbox column(s) whose option is not a field MedPath "
                f"knows were not used: {_names(unread_checkboxes, 8)} (the option meanings are in the "
                "REDCap data dictionary)",
                code=Code.REDCAP_CHECKBOX_UNUSED,
            )
        )
    if any(k in ("redcapdataaccessgroup", "dataaccessgroup") for k in keys):
        said.append("the data access group is ignored")
    repeated: dict[str, list[int]]
    screening_rows, visit_rows, repeated = set(), set(), {}
    for cells, n in zip(table.rows, table.row_numbers):
        instrument = _cell(cells, repeat)
        if not _blank(instrument):
            repeated.setdefault(str(instrument), []).append(n)
        elif _SCREENING_EVENT.search(str(_cell(cells, event) or "")):
            screening_rows.add(n)
        else:
            visit_rows.add(n)
    for instrument, numbers in repeated.items():
        assert repeat is not None  # only a row with a repeating instrument is in ``repeated``
        notes.append(
            table.finding(
                "warning",
                numbers[0],
                table.header[repeat],
                instrument,
                f"{len(numbers)} row(s) of the repeating instrument '{instrument}' (rows "
                f"{_rows_text(numbers)}) were kept apart: they are not screening or visit rows and "
                "were not analysed",
                code=Code.REDCAP_INSTRUMENT_APART,
            )
        )
    record = next((i for i, k in enumerate(keys) if k == "recordid"), None)
    other_ids = [
        i
        for i, h in enumerate(header)
        if i != record and i not in ignored and aliases.get(normalise(h)) == "patient_id"
    ]
    if record is not None and other_ids:
        ignored |= set(other_ids)
        for i in other_ids:
            _record(
                records,
                table,
                table.header[i],
                None,
                "not used",
                f"the patient id is the REDCap record id ('{table.header[record]}')",
            )
        notes.append(
            table.finding(
                "warning",
                table.header_row,
                table.header[record],
                None,
                f"the patient id is the REDCap record id ('{table.header[record]}', which links the "
                f"events); {_names([header[i] for i in other_ids])} not used as the id",
                code=Code.REDCAP_RECORD_ID,
            )
        )
    fields = {i: aliases.get(normalise(h)) for i, h in enumerate(header) if i not in ignored}
    id_index = next((i for i, f in fields.items() if f == "patient_id"), None)
    parts = []
    if screening_rows:
        columns = [
            i for i, f in fields.items() if i != event and (f in screening_only or f in schema.screening_outcomes)
        ]
        part = _keep_columns(
            _keep_rows(table, screening_rows), [*([id_index] if id_index is not None else []), *columns]
        )
        parts.append(replace(part, sheet=SheetLabel(table.sheet or "", "screening"), notes=()))
        said.append(f"the screening event's {len(screening_rows)} row(s) → the screening table")
    drop_from_visits = {i for i, f in fields.items() if f in screening_only}
    visit_columns = [i for i in range(len(header)) if i not in ignored and i not in drop_from_visits]
    if repeat is not None:
        visit_columns = [i for i in visit_columns if i != repeat]
    part = _keep_columns(_keep_rows(table, visit_rows), visit_columns)
    parts.append(replace(part, sheet=SheetLabel(table.sheet or "", "visits"), notes=()))
    said.append(f"the other events' {len(visit_rows)} row(s) → the visits table")
    notes.insert(0, table.finding("warning", table.header_row, None, None, "; ".join(said), code=Code.LAYOUT_READ_AS))
    parts[0] = replace(parts[0], notes=(*table.notes, *notes))
    return parts


# --- 4. a screening log keyed by screening number ----------------------------------------------------


def _screening_log(table: RawTable, schema: Schema, records: Records) -> RawTable:
    keys = [normalise(h) for h in table.header]
    number = next((i for i, k in enumerate(keys) if k in SCREENING_NUMBER), None)
    if number is None:
        return table
    subject = next((i for i, k in enumerate(keys) if schema.all_aliases.get(k) == "patient_id"), None)
    if subject is None:
        header = list(table.header)
        header[number] = "Patient ID"
        return _note(
            replace(table, header=header),
            table.finding(
                "warning",
                table.header_row,
                table.header[number],
                None,
                f"read as: a screening log keyed by screening number; '{table.header[number]}' is read as the patient id "
                "(no column links it to the subject ids of the visits: add one, e.g. 'ID Subjek')",
                code=Code.LAYOUT_READ_AS,
            ),
        )
    rows, linked = [], 0
    for cells in table.rows:
        cells = list(cells)
        while len(cells) <= max(number, subject):
            cells.append(None)
        if _blank(cells[subject]) or is_missing(cells[subject]):
            cells[subject] = cells[number]
        else:
            linked += 1
        rows.append(cells)
    number_name, subject_name = table.header[number], table.header[subject]
    _record(
        records,
        table,
        number_name,
        "patient_id",
        "used",
        f"screening number: the id of candidates without a subject id in '{subject_name}'",
        "screening",
    )
    table = _drop_columns(replace(table, rows=rows), {number})
    return _note(
        table,
        table.finding(
            "warning",
            table.header_row,
            subject_name,
            None,
            f"read as: a screening log keyed by screening number ('{number_name}'); '{subject_name}' links it to the "
            f"visits: {linked} candidate(s) with a subject id are matched by it, the other {len(rows) - linked} keep "
            "their screening number",
            code=Code.LAYOUT_READ_AS,
        ),
    )


# --- 5. several columns that could be one field -----------------------------------------------------

_REGIONS = (
    ("total hip", re.compile(r"totalhip|hiptotal|hip|panggul|pinggul")),
    ("femoral neck", re.compile(r"femoralneck|femurneck|neckfemur|neck|leherfemur|collumfemur|collum")),
    ("forearm", re.compile(r"radius33|radius|forearm|lenganbawah")),
    ("trochanter", re.compile(r"trochanter|troch")),
    ("L1-L4", re.compile(r"l1l4|l14(?!\d)")),
    ("vertebra", re.compile(r"l([1-5])(?:l?([1-5]))?")),
)
_SPINE_WORDS = re.compile(r"lumbalspine|lumbarspine|lumbal|lumbar|spine|vertebra|total")
_HIP = ("total hip", "femoral neck", "trochanter")


def _same_bone(region: str, other: str) -> bool:
    """Whether two regions of a DXA report are of one bone: two vertebral regions ("L1", "L1-L4"), or two of the
    hip."""
    return (region.startswith("L") and other.startswith("L")) or (region in _HIP and other in _HIP)


@dataclass(frozen=True)
class _Column:
    index: int
    name: str
    field: str
    slot: str  # the visit of a wide column ("month 6"), "" in a long table
    region: str | None  # "L1-L4", "L1", "L2-L4", "femoral neck", ... (T-score and BMD columns only)
    corrected: bool


def _region(key: str) -> tuple[str | None, str]:
    for name, pattern in _REGIONS:
        match = pattern.search(key)
        if match:
            if name == "vertebra":
                a, b = match.group(1), match.group(2)
                name = f"L{a}-L{b}" if b else f"L{a}"
            return name, key[: match.start()] + key[match.end() :]
    return None, key


def _column_field(index: int, name: str, schema: Schema) -> _Column | None:
    key = normalise(name)
    if not key:
        return None
    region, rest = _region(key)
    candidates = [key, rest, _SPINE_WORDS.sub("", rest)] if region else [key, _SPINE_WORDS.sub("", key)]
    for candidate in candidates:
        found = schema.all_aliases.get(candidate)
        if found:
            return _Column(index, name, found, "", region if found in schema.dxa_fields else None, is_correction(name))
    for candidate in candidates:
        for prefix in schema.outcome_prefixes:
            tail = candidate[len(prefix) :]
            if candidate.startswith(prefix) and tail:
                visit = parse_visit_label(tail, schema.protocol.clock)
                if visit is not None:
                    found = schema.outcome_aliases[prefix]
                    return _Column(
                        index,
                        name,
                        found,
                        visit[0],
                        region if found in schema.dxa_fields else None,
                        is_correction(name),
                    )
    return None


def _columns(table: RawTable, schema: Schema) -> list[_Column]:
    """The columns of the table that hold a field (``_column_field``), in order."""
    return [c for c in (_column_field(i, h, schema) for i, h in enumerate(table.header)) if c is not None]


def _resolve_columns(table: RawTable, schema: Schema, records: Records) -> RawTable:
    columns = _columns(table, schema)
    groups: dict[tuple[str, str, str | None], list[_Column]] = {}
    for column in columns:  # a column a mapping profile reads in one table only (TableHeader) is apart
        scope = getattr(table.header[column.index], "table", None)
        groups.setdefault((column.field, column.slot, scope), []).append(column)
    drop: set[int] = set()
    notes: list[Finding] = []
    for (field_name, slot, _), group in groups.items():
        if len(group) == 1 and group[0].region in (None, schema.dxa_sites.get(field_name)):
            continue
        before = len(notes)
        dropped = _choose(table, field_name, slot, group, notes, schema)
        drop |= dropped
        said = notes[before:]
        error = next((f.message for f in said if f.severity == "error"), None)
        kept_corrected = any(c.corrected and c.index not in dropped for c in group)
        for c in group:
            if c.index not in dropped:
                continue
            if error:
                _record(records, table, c.name, None, "ambiguous", error)
            elif kept_corrected and not c.corrected:
                _record(records, table, c.name, None, "superseded", said[0].message if said else "")
            else:
                _record(records, table, c.name, None, "not used", said[-1].message if said else "")
    if not drop and not notes:
        return table
    return _note(_drop_columns(table, drop), *notes)


def _choose(
    table: RawTable, field_name: str, slot: str, group: list[_Column], notes: list[Finding], schema: Schema
) -> set[int]:
    """The indices to leave out of ``group`` (all but the one chosen), with a finding saying why."""
    outcome = schema.protocol.outcomes.get(field_name)
    name = (outcome.field_label or outcome.label) if outcome else schema.field_labels.get(field_name, field_name)
    dxa_fields = schema.dxa_fields
    what = name + (f" at {slot}" if slot else "")
    row = table.header_row
    candidates = group
    corrected = [c for c in candidates if c.corrected]
    if corrected and len(corrected) < len(candidates):
        originals = [c for c in candidates if not c.corrected]
        notes.append(
            table.finding(
                "warning",
                row,
                corrected[0].name if len(corrected) == 1 else None,
                None,
                f"{_names([c.name for c in corrected])} marked as a correction supersede(s) "
                f"{_names([c.name for c in originals])} for the {what}; the original was not read",
                code=Code.COLUMN_CORRECTION,
            )
        )
        candidates = corrected
    if field_name in dxa_fields and any(c.region for c in candidates):
        site = schema.dxa_sites[field_name]
        total = [c for c in candidates if c.region == site]
        plain = [c for c in candidates if c.region is None]
        # regions of the same bone as the analysed one (single vertebrae beside L1-L4, the neck beside the total hip):
        # a column without a region beside them is still read as the analysed one, but not said to be "other regions"
        parts = [c for c in candidates if c.region is not None and c.region != site and _same_bone(c.region, site)]
        if len(total) == 1 or (not total and len(plain) == 1 and not parts):
            chosen = total[0] if total else plain[0]
            others = [c for c in candidates if c is not chosen]
            reason = (
                f"the protocol's {name} is the {site} region"
                if chosen in total
                else f"the other columns are other regions, not {site}"
            )
            if others:
                notes.append(
                    table.finding(
                        "warning",
                        row,
                        chosen.name,
                        None,
                        f"the {what} is read from '{chosen.name}' ({reason}); not used: "
                        f"{_names([c.name for c in others])}",
                        code=Code.COLUMN_CHOSEN,
                    )
                )
            return {c.index for c in group if c is not chosen}
        if total:
            candidates = total
        else:
            elsewhere = [c for c in candidates if c not in plain]
            if not plain:
                notes.append(
                    table.finding(
                        "error",
                        row,
                        None,
                        ", ".join(c.name for c in candidates),
                        f"no column holds the {what} of the {site} region: {_names([c.name for c in elsewhere])} "
                        "are other regions, which the protocol does not analyse. If one of them is the value to "
                        f"analyse, rename it '{dxa_fields[field_name]} {site}'; none was read",
                        code=Code.COLUMN_REGION_NOT_ANALYSED,
                    )
                )
                return {c.index for c in group}
            candidates = plain
    if len(candidates) > 1 and _same_values(table, candidates):
        notes.append(
            table.finding(
                "warning",
                row,
                candidates[0].name,
                None,
                f"{_names([c.name for c in candidates])} hold the same values in every row; read once as the {what}",
                code=Code.COLUMN_SAME_VALUES,
            )
        )
        return {c.index for c in group if c is not candidates[0]}
    if len(candidates) == 1:
        return {c.index for c in group if c is not candidates[0]}
    notes.append(
        table.finding(
            "error",
            row,
            None,
            ", ".join(c.name for c in candidates),
            f"{len(candidates)} columns could be the {what}: {_names([c.name for c in candidates])}; "
            "MedPath does not guess which to read. Keep the one to analyse and delete or rename the "
            "others (e.g. add 'old' to the name), or mark the right one as a correction "
            "('... (koreksi)'); none was read",
            code=Code.COLUMN_AMBIGUOUS,
        )
    )
    return {c.index for c in group}


def _same_values(table: RawTable, columns: list[_Column]) -> bool:
    for cells in table.rows:
        values = {_comparable(_cell(cells, c.index)) for c in columns}
        if len(values) > 1:
            return False
    return True


def _comparable(value: object) -> object:
    if _blank(value) or is_missing(value):
        return None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    text = str(value).strip().replace(",", ".")
    try:
        return float(text)
    except ValueError:
        return text.lower()


# --- 6. one sheet holding screening and visits -----------------------------------------------------


def _both_tables(table: RawTable, schema: Schema) -> tuple[int, list[_Column], list[_Column]] | None:
    """(id column, screening columns, time columns) when one sheet holds screening and visits, else None."""
    columns = _columns(table, schema)
    only, outcomes = schema.screening_only, schema.screening_outcomes
    screening = [c for c in columns if c.field in only or (c.field in outcomes and not c.slot)]
    wide = [c for c in columns if c.slot]
    time = [c for c in columns if c.field in _TIME]
    id_index = next((c.index for c in columns if c.field == "patient_id"), None)
    if len([c for c in screening if c.field in only]) < 2 or not (wide or time) or id_index is None:
        return None
    if time:  # a long table: its unlabelled T-score column is the visits' T-score (unless a profile scopes it)
        screening = [c for c in screening if c.field in only or getattr(table.header[c.index], "table", None)]
    return id_index, screening, time


def _split_screening_and_visits(
    table: RawTable, schema: Schema, records: Records, keep_screening: bool = True
) -> list[RawTable]:
    both = _both_tables(table, schema)
    if both is None:
        return [table]
    id_index, screening, time = both
    visit_columns = [i for i in range(len(table.header)) if i != id_index and i not in {c.index for c in screening}]
    visits = _keep_columns(table, [id_index, *visit_columns])
    data_columns = [k for k, i in enumerate(visit_columns, start=1) if i not in {c.index for c in time}]
    with_values = {
        n
        for cells, n in zip(visits.rows, visits.row_numbers)
        if any(not _blank(_cell(cells, k)) and not is_missing(_cell(cells, k)) for k in data_columns)
    }
    visits = _keep_rows(visits, with_values)
    names = _names([c.name for c in screening], 6)
    if not keep_screening:
        for c in screening:
            _record(
                records,
                table,
                c.name,
                None,
                "not used",
                "a screening column of a sheet that also holds visits: the file has a screening table",
            )
        message = (
            f"the screening columns of this sheet ({names}) were not used: the file has a screening table; "
            f"{len(visit_columns)} column(s) → the visits table ({len(visits.rows)} row(s) with visit values)"
        )
        return [
            replace(
                visits,
                sheet=SheetLabel(table.sheet or "", "visits"),
                notes=(
                    *table.notes,
                    table.finding("warning", table.header_row, None, None, message, code=Code.LAYOUT_READ_AS),
                ),
            )
        ]
    screen = _keep_columns(table, [id_index, *(c.index for c in screening)])
    if time:  # screening cells repeated on each visit row: read once per patient when they are the same
        seen, keep = set(), set()
        for cells, n in zip(screen.rows, screen.row_numbers):
            key = tuple(map(_comparable, cells))
            if key not in seen:
                seen.add(key)
                keep.add(n)
        screen = _keep_rows(screen, keep)
    message = (
        f"read as: one sheet holding screening and visits: {len(screening)} column(s) ({names}) → the "
        f"screening table ({len(screen.rows)} row(s)); {len(visit_columns)} column(s) → the visits table "
        f"({len(visits.rows)} row(s) with visit values)"
    )
    screen = replace(
        screen,
        sheet=SheetLabel(table.sheet or "", "screening"),
        notes=(*table.notes, table.finding("warning", table.header_row, None, None, message, code=Code.LAYOUT_READ_AS)),
    )
    visits = replace(visits, sheet=SheetLabel(table.sheet or "", "visits"), notes=())
    return [screen, visits]


# --- 7. one sheet per visit; visit dates -------------------------------------------------------------


def _per_visit_sheets(out: Arranged, schema: Schema) -> None:
    found = []
    for k, table in enumerate(out.tables):
        if table.sheet is None or getattr(table.sheet, "kind", None):
            continue
        visit = parse_visit_label(table.sheet, schema.protocol.clock)
        if visit is None:
            continue
        fields = _columns(table, schema)
        names = {c.field for c in fields if not c.slot}
        if (
            "patient_id" not in names
            or not names & set(schema.protocol.outcomes)
            or names & _TIME
            or any(c.slot for c in fields)
        ):
            continue
        out.tables[k] = replace(
            _add_column(table, AddedHeader("Visit"), [str(table.sheet)] * len(table.rows)),
            sheet=SheetLabel(str(table.sheet), "visits"),
        )
        found.append((k, table, visit))
    if not found:
        return
    for k, _, _ in found:
        out.groups[k] = "per-visit sheets"
    first = found[0][1]
    out.findings.append(
        Finding(
            "warning",
            first.file,
            None,
            None,
            None,
            None,
            "read as: one sheet per visit, the visit from the sheet name: "
            + ", ".join(f"'{t.sheet}' → {v[0]}" for _, t, v in found),
            code=Code.LAYOUT_READ_AS,
        )
    )


def _visit_dates(table: RawTable, schema: Schema, records: Records) -> RawTable:
    keys = [normalise(h) for h in table.header]
    date_index = next((i for i, k in enumerate(keys) if k in VISIT_DATE), None)
    if date_index is None:
        return table
    aliases = schema.all_aliases
    fields = {aliases.get(k) for k in keys}
    if "patient_id" not in fields or not fields & set(schema.protocol.outcomes) or fields & _TIME:
        return table
    if len(fields & schema.screening_only) >= 2 or classify(table, schema) == "screening":
        return table  # a screening date, not a visit date
    id_index = keys.index(next(k for k in keys if aliases.get(k) == "patient_id"))
    dates = [parse_date(_cell(cells, date_index)) for cells in table.rows]
    first: dict[object, dt.date] = {}
    for cells, date in zip(table.rows, dates):
        pid = _cell(cells, id_index)
        if date is not None and not _blank(pid):
            first[pid] = min(first.get(pid, date), date)
    days: list[float | None] = []
    notes: list[Finding] = []
    for cells, n, date in zip(table.rows, table.row_numbers, dates):
        pid = _cell(cells, id_index)
        if date is None:
            days.append(None)
            notes.append(
                table.finding(
                    "error",
                    n,
                    table.header[date_index],
                    _cell(cells, date_index),
                    "the visit date cannot be read (expected a date such as 15/01/2026)",
                    code=Code.VISIT_DATE_INVALID,
                )
            )
        else:
            days.append(float((date - first[pid]).days) if pid in first else None)
    message = (
        f"read as: visit dates in '{table.header[date_index]}': each visit's month is counted from the "
        "patient's first visit (baseline), days 0-14 exact, from day 15 on the nearest whole month"
    )
    _record(
        records,
        table,
        table.header[date_index],
        "date",
        "used",
        "visit dates: the month is counted from the patient's first visit",
        "visits",
    )
    return _note(
        _drop_columns(_add_column(table, AddedHeader("days since baseline"), days), {date_index}),
        table.finding("warning", table.header_row, table.header[date_index], None, message, code=Code.VISIT_DATES_READ),
        *notes,
    )
