"""Sheets beyond screening and visits: adverse events and the per-patient disposition.

``split_extra_tables(tables)`` takes the raw tables of one file (``medpath.reading.read_tables``)
before ``medpath.layouts.arrange`` sees them and takes out

* a sheet (or CSV file) named like adverse events (``adverse_events``, "AE", "Adverse events",
  "Kejadian tidak diinginkan", "Efek samping", "Safety") or disposition (``disposition``, "End of
  study", "Study completion", "Status akhir"), or recognised by its columns (an AE term and a grade; a
  disposition status and no visit or screening field);
* the rows of a REDCap repeating instrument named like adverse events (``redcap_repeat_instrument``
  = ``adverse_events``, "Adverse Event", "ae", ...), with the instrument's own columns (``ae_term``,
  ``ae_grade``, ...) and the record id; the rest of the export goes on to ``medpath.layouts``.

``parse_extra_tables(...)`` validates them with a finding for every problem (file, sheet, Excel row,
column, value), the same way ``medpath.validation`` treats screening and visits: a bad value costs that
value only (it becomes missing, with an error); a row without a patient id, and a repeated row, is left
out and counted. The canonical tables are described in ``medpath.adverse_events`` and
``medpath.disposition``.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import Literal

import pandas as pd

from medpath.columns import SCREENING_ALIASES, VISIT_ALIASES, normalise
from medpath.findings import Code
from medpath.model import PROVENANCE, Finding
from medpath.protocol import current
from medpath.reading import RawTable
from medpath.values import BadValue, is_missing, parse_number, parse_patient_id, parse_visit_label, word_reader

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

# --- the fields of each table -------------------------------------------------------------------------


@dataclass(frozen=True)
class Field:
    """One canonical column: its accepted names (compared after ``normalise``), how a cell is read (a
    value, or ``BadValue`` with the reason) and whether the table needs the column."""

    name: str
    aliases: tuple[str, ...]
    read: Callable[[object], object]
    required: bool = False

    def keys(self) -> set[str]:
        return {normalise(a) for a in (self.name, *self.aliases)}


def _text(raw: object) -> str | None:
    return None if is_missing(raw) else str(raw).strip()


_GRADE = re.compile(r"^(?:ctcae\s*)?(?:grade|gr\.?|g|derajat)?\s*([1-5])(?:\.0+)?$", re.I)
_ROMAN = {"i": 1, "ii": 2, "iii": 3, "iv": 4, "v": 5}


def read_grade(raw: object) -> int | None:
    """A CTCAE v5.0 grade 1-5: 2, "2", "Grade 2", "G2", "grade II"; ``BadValue`` otherwise."""
    if is_missing(raw):
        return None
    if isinstance(raw, (int, float)) and not isinstance(raw, bool):
        if float(raw).is_integer() and 1 <= raw <= 5:
            return int(raw)
        raise BadValue("expected a CTCAE grade 1-5 (a whole number)")
    text = str(raw).strip()
    match = _GRADE.match(text)
    if match:
        return int(match.group(1))
    roman = re.sub(r"^(?:ctcae\s*)?(?:grade|derajat)\s*", "", text, flags=re.I).lower()
    if roman in _ROMAN:
        return _ROMAN[roman]
    raise BadValue("expected a CTCAE grade 1-5 (1 mild, 2 moderate, 3 severe, 4 life-threatening, 5 death)")


RELATEDNESS = ("unrelated", "unlikely", "possible", "probable", "definite")
_RELATED_WORDS = {
    "unrelated": "unrelated",
    "notrelated": "unrelated",
    "none": "unrelated",
    "no": "unrelated",
    "tidakberhubungan": "unrelated",
    "tidakterkait": "unrelated",
    "unlikely": "unlikely",
    "unlikelyrelated": "unlikely",
    "unlikelytoberelated": "unlikely",
    "possible": "possible",
    "possibly": "possible",
    "possiblyrelated": "possible",
    "mungkin": "possible",
    "probable": "probable",
    "probably": "probable",
    "probablyrelated": "probable",
    "likely": "probable",
    "likelyrelated": "probable",
    "kemungkinanbesar": "probable",
    "definite": "definite",
    "definitely": "definite",
    "definitelyrelated": "definite",
    "certain": "definite",
    "pasti": "definite",
}


def read_relatedness(raw: object) -> str | None:
    """unrelated / unlikely / possible / probable / definite (the five-point attribution scale)."""
    if is_missing(raw):
        return None
    key = normalise(raw)
    if key in _RELATED_WORDS:
        return _RELATED_WORDS[key]
    if key in ("related", "yes", "ya", "terkait", "berhubungan"):
        raise BadValue(
            "'related' does not say how likely: write possible, probable or definite (or unrelated / unlikely)"
        )
    raise BadValue("expected the relatedness: unrelated, unlikely, possible, probable or definite")


AE_OUTCOMES = ("recovered", "recovering", "not recovered", "recovered with sequelae", "fatal", "unknown")
_OUTCOME_WORDS = {
    "recovered": "recovered",
    "resolved": "recovered",
    "recoveredresolved": "recovered",
    "sembuh": "recovered",
    "recovering": "recovering",
    "resolving": "recovering",
    "recoveringresolving": "recovering",
    "membaik": "recovering",
    "improving": "recovering",
    "ongoing": "not recovered",
    "notrecovered": "not recovered",
    "notresolved": "not recovered",
    "notrecoverednotresolved": "not recovered",
    "belumsembuh": "not recovered",
    "recoveredwithsequelae": "recovered with sequelae",
    "resolvedwithsequelae": "recovered with sequelae",
    "recoveredresolvedwithsequelae": "recovered with sequelae",
    "sequelae": "recovered with sequelae",
    "sembuhdengangejalasisa": "recovered with sequelae",
    "fatal": "fatal",
    "death": "fatal",
    "died": "fatal",
    "meninggal": "fatal",
    "unknown": "unknown",
    "tidakdiketahui": "unknown",
}


def read_ae_outcome(raw: object) -> str | None:
    """The event's outcome (CDISC AEOUT terms): recovered, recovering, not recovered, recovered with
    sequelae, fatal, unknown."""
    if is_missing(raw):
        return None
    try:
        return _OUTCOME_WORDS[normalise(raw)]
    except KeyError:
        raise BadValue(
            "expected the outcome: recovered, recovering, not recovered, recovered with sequelae, fatal or unknown"
        ) from None


_YES_NO = word_reader("yes_no")


def read_yes_no(raw: object) -> bool | None:
    return _YES_NO(raw)[0]


def read_date(raw: object) -> dt.date | None:
    """A date (an Excel date, DD/MM/YYYY, YYYY-MM-DD)."""
    from medpath.layouts import parse_date

    if is_missing(raw):
        return None
    date = parse_date(raw)
    if date is None:
        raise BadValue("expected a date such as 15/01/2026")
    return date


def read_month(raw: object) -> float | None:
    """Months since baseline (the infusion): a number 0-240 or a visit label ("month 3", "day 1", "week 2")."""
    if is_missing(raw):
        return None
    if isinstance(raw, (dt.date, dt.datetime)):
        raise BadValue("expected months since baseline (a number or a label such as 'month 3'), found a date")
    number = None
    if isinstance(raw, (int, float)) and not isinstance(raw, bool):
        number = float(raw)
    else:
        try:
            number = parse_number(str(raw))
        except (BadValue, ValueError):
            number = None
    if number is None:
        label = parse_visit_label(raw)
        if label is None:
            raise BadValue("expected months since baseline (a number, or a label such as 'month 3' or 'day 1')")
        number = label[1]
    if not 0 <= number <= 240:
        raise BadValue("months since baseline must be between 0 and 240")
    return number


def read_onset(raw: object) -> tuple[dt.date | None, float | None]:
    """An onset written as a date or as a month (number or visit label): (date, month)."""
    if is_missing(raw):
        return None, None
    if isinstance(raw, (dt.date, dt.datetime)) or (isinstance(raw, str) and ("/" in raw or re.match(r"\d{4}-", raw))):
        return read_date(raw), None
    try:
        return None, read_month(raw)
    except BadValue:
        raise BadValue(
            "expected the onset as a date (15/01/2026) or as months since baseline (a number, or 'month 3', 'day 1')"
        ) from None


_PATIENT_ALIASES = tuple(k for k, v in SCREENING_ALIASES.items() if v == "patient_id")


def read_patient(raw: object) -> str | None:
    return parse_patient_id(raw)


def _identity(raw: object) -> object:
    return raw


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


def table_kind(table: RawTable, ae_fields: Sequence[Field], disposition_fields: Sequence[Field]) -> str | None:
    """ "adverse_events" or "disposition" by the sheet (or CSV file) name, else by the columns."""
    kind = _name_kind(table.sheet if table.sheet is not None else _stem(table.file))
    if kind:
        return kind
    keys = {_strip_ae(normalise(h)) for h in table.header}
    named = {f.name for f in ae_fields if f.keys() & keys}
    redcap = {"redcaprepeatinstrument", "repeatinstrument", "redcapeventname"} & {normalise(h) for h in table.header}
    outcomes = {VISIT_ALIASES.get(normalise(h)) for h in table.header} - {None, "patient_id", "visit", "month", "day"}
    if {"term", "grade"} <= named and not redcap and not outcomes:
        return "adverse_events"
    others = {VISIT_ALIASES.get(normalise(h)) for h in table.header} | {
        SCREENING_ALIASES.get(normalise(h)) for h in table.header
    }
    others -= {None, "patient_id"}
    if (
        "status" in {f.name for f in disposition_fields if f.keys() & {normalise(h) for h in table.header}}
        and not others
        and any(normalise(h) in ("disposition", "endofstudystatus", "studystatus", "statusakhir") for h in table.header)
    ):
        return "disposition"
    return None


def _strip_ae(key: str) -> str:
    return key[2:] if key.startswith("ae") and len(key) > 2 and key[2:] not in ("", "s") else key


_BRACKETS = re.compile(r"\([^()]*\)|\[[^\[\]]*\]")


def header_keys(header: object) -> set[str]:
    """The comparison keys of an adverse-event or disposition header: as written, without an "AE" prefix, and
    without what it says in brackets ("Serius (Ya/Tidak)" is "serius", "Grade [CTCAE v5]" is "grade")."""
    keys = {normalise(header), normalise(_BRACKETS.sub(" ", str(header)))}
    return keys | {_strip_ae(k) for k in keys} - {""}


def split_extra_tables(tables: Sequence[RawTable]) -> tuple[ExtraTables, list[RawTable]]:
    """The adverse-event and disposition tables of one file, and the file's other tables (for
    ``medpath.layouts.arrange``). Hidden sheets are left to ``arrange``, which says they are left out."""
    from medpath.adverse_events import AE_FIELDS as ae_fields
    from medpath.disposition import DISPOSITION_FIELDS as disposition_fields

    extra, rest = ExtraTables(), []
    for table in tables:
        kind = None if table.hidden else table_kind(table, ae_fields, disposition_fields)
        if kind == "adverse_events":
            extra.adverse_events.append(table)
        elif kind == "disposition":
            extra.disposition.append(table)
        elif not table.hidden:
            ae_part, remaining, said = _redcap_adverse_events(table, ae_fields)
            if ae_part is not None:
                extra.adverse_events.append(ae_part)
            extra.findings.extend(said)
            rest.append(remaining)
        else:
            rest.append(table)
    return extra, rest


def _redcap_adverse_events(table: RawTable, ae_fields: Sequence[Field]):
    """A REDCap export's rows of a repeating adverse-event instrument, as their own table (record id + the
    instrument's columns), and the export without them."""
    keys = [normalise(h) for h in table.header]
    if "redcaprepeatinstrument" not in keys and "repeatinstrument" not in keys:
        return None, table, []
    repeat = keys.index("redcaprepeatinstrument" if "redcaprepeatinstrument" in keys else "repeatinstrument")
    record = next((i for i, k in enumerate(keys) if k in ("recordid", "record")), None)
    if record is None:
        record = next((i for i, k in enumerate(keys) if VISIT_ALIASES.get(k) == "patient_id"), None)
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
        and (k in field_keys or _strip_ae(k) in field_keys)
        and VISIT_ALIASES.get(k) is None
        and SCREENING_ALIASES.get(k) is None
    ]
    instrument = str(rows[0][0][repeat])
    named = {f.name for f in ae_fields for i in columns if {keys[i], _strip_ae(keys[i])} & f.keys()}
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


# --- reading one table ----------------------------------------------------------------------------------


@dataclass
class Parsed:
    frame: pd.DataFrame
    findings: list[Finding]
    excluded: int


def parse_rows(tables: Sequence[RawTable], fields: Sequence[Field], what: str, onset_split: bool = False) -> Parsed:
    """Read ``tables`` into one frame with the ``fields`` (and ``PROVENANCE``): a bad value becomes missing
    with an error finding; a row without a patient id is left out (error, counted)."""
    records, findings, excluded = [], [], 0
    for table in tables:
        found: dict[str, int] = {}
        for index, name in enumerate(table.header):
            keys = header_keys(name)
            for f in fields:
                if keys & f.keys() and f.name not in found:
                    found[f.name] = index
                    break
        missing = [f for f in fields if f.required and f.name not in found]
        if missing:
            names = ", ".join(f"'{f.name}'" for f in missing)
            findings.append(
                table.finding(
                    "error",
                    table.header_row,
                    None,
                    None,
                    f"the {what} table has no column {names} (accepted names: "
                    + "; ".join(f"{f.name}: " + ", ".join(f.aliases[:4]) for f in missing)
                    + "); the table was not read",
                    code=Code.TABLE_NOT_READ,
                )
            )
            excluded += len(table.rows)
            continue
        for cells, n in zip(table.rows, table.row_numbers):
            record: dict[str, object] = {f.name: None for f in fields}
            source_sheet = str(table.sheet) if table.sheet else None
            record.update(source_file=table.file, source_sheet=source_sheet, source_row=n)
            raw_values = {}
            for name, index in found.items():
                raw = cells[index] if index < len(cells) else None
                raw_values[name] = raw
                f = next(f for f in fields if f.name == name)
                try:
                    record[name] = f.read(raw)
                except BadValue as exc:
                    findings.append(
                        Finding(
                            "error",
                            table.file,
                            source_sheet,
                            n,
                            table.header[index],
                            raw,
                            f"{exc}; this value is left out (the row's other values are used)",
                            code=Code.VALUE_INVALID,
                        )
                    )
            if record.get("patient_id") is None:
                findings.append(
                    Finding(
                        "error",
                        table.file,
                        source_sheet,
                        n,
                        table.header[found["patient_id"]],
                        raw_values.get("patient_id"),
                        f"no patient id: this {what} row was not used",
                        code=Code.PATIENT_ID_MISSING,
                    )
                )
                excluded += 1
                continue
            record["_columns"] = {name: table.header[index] for name, index in found.items()}
            record["_raw"] = raw_values
            records.append(record)
    columns = [f.name for f in fields] + list(PROVENANCE) + ["_columns", "_raw"]
    frame = pd.DataFrame(records, columns=columns) if records else pd.DataFrame(columns=columns)
    return Parsed(frame, findings, excluded)


def place(row: pd.Series | dict, column: str | None = None) -> tuple[str, str | None, int, str | None]:
    """(file, sheet, Excel row, the user's column name) of a canonical row, for a finding."""
    columns = row["_columns"]
    return row["source_file"], row["source_sheet"], int(row["source_row"]), columns.get(column) if column else None


def enrolled_patients(screening: pd.DataFrame | None, visits: pd.DataFrame) -> tuple[set[str], set[str]]:
    """(patients with visit rows, patients marked enrolled in the screening log)."""
    with_visits = set(visits["patient_id"].tolist())
    enrolled = set()
    if screening is not None and "enrolled" in screening:
        enrolled = set(screening.loc[screening["enrolled"].eq(True).fillna(False), "patient_id"].tolist())
    return with_visits, enrolled


def completed_primary(visits: pd.DataFrame) -> set[str]:
    """Patients with a primary-month visit holding a primary outcome value (the active protocol's)."""
    protocol = current()
    at = visits[visits["month"] == protocol.primary_month]
    measured = at[[k for k in protocol.primary_outcomes if k in at]].notna().any(axis=1)
    return set(at.loc[measured, "patient_id"].tolist())


def parse_extra_tables(extra: ExtraTables, screening: pd.DataFrame | None, visits: pd.DataFrame):
    """(adverse events or None, disposition or None, findings, excluded row counts) from the tables
    ``split_extra_tables`` took out of every file. ``None``: no such sheet was supplied."""
    from medpath.adverse_events import parse_adverse_events
    from medpath.disposition import parse_disposition

    findings, excluded = list(extra.findings), {}
    adverse_events = disposition = None
    if extra.adverse_events:
        adverse_events, said, excluded["adverse_events"] = parse_adverse_events(extra.adverse_events, screening, visits)
        findings += said
    if extra.disposition:
        disposition, said, excluded["disposition"] = parse_disposition(
            extra.disposition, screening, visits, adverse_events
        )
        findings += said
    return adverse_events, disposition, findings, excluded


def add_finding(
    findings: list[Finding],
    row: pd.Series,
    severity: Literal["error", "warning"],
    column: str | None,
    message: str,
    value: object = None,
    *,
    code: Code,
) -> None:
    """A finding on ``row`` of a canonical table, at its file, sheet, Excel row and the user's column."""
    file, sheet, excel_row, name = place(row, column)
    findings.append(
        Finding(
            severity, file, sheet, excel_row, name, row["_raw"].get(column, value) if column else value, message, code
        )
    )


def none(value: object) -> object:
    """NaN / NA as None (a row read with ``iterrows`` turns None into NaN)."""
    return None if not isinstance(value, (dict, list, tuple)) and pd.isna(value) else value
