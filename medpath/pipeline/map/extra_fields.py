"""What the adverse-event and disposition tables share: their fields, the readers of their cells, and reading rows.

``medpath.adverse_events`` and ``medpath.disposition`` declare their tables' fields (``Field``: accepted names, a
reader, required or not) with the readers here (CTCAE grades, relatedness, outcomes, dates, months, onsets, yes/no,
patient ids), read a table's rows with ``parse_rows`` and say what is wrong with ``add_finding``.
``medpath.pipeline.layout.extra_tables`` finds those tables in the uploaded files and hands them to both modules. This module
depends on neither of them.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import pandas as pd

from medpath.findings import Code
from medpath.model import Finding
from medpath.pipeline.cells.values import (
    BadValue,
    is_missing,
    label_months,
    parse_number,
    parse_patient_id,
    read_date,
    word_reader,
)
from medpath.pipeline.map.columns import PATIENT_ID_KEYS, normalise
from medpath.pipeline.read.reading import RawTable

# --- the fields of a table and the readers of their cells ---------------------------------------------------


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
    if number is None:  # a label is a time as written ("week 12": 2.76 months), never moved to a visit
        number = label_months(raw)
        if number is None:
            raise BadValue("expected months since baseline (a number, or a label such as 'month 3' or 'day 1')")
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


#: The names of a patient id column (the same in every protocol).
PATIENT_ALIASES = PATIENT_ID_KEYS


def read_patient(raw: object) -> str | None:
    return parse_patient_id(raw)


def _identity(raw: object) -> object:
    return raw


def strip_ae(key: str) -> str:
    return key[2:] if key.startswith("ae") and len(key) > 2 and key[2:] not in ("", "s") else key


_BRACKETS = re.compile(r"\([^()]*\)|\[[^\[\]]*\]")


def header_keys(header: object) -> set[str]:
    """The comparison keys of an adverse-event or disposition header: as written, without an "AE" prefix, and
    without what it says in brackets ("Serius (Ya/Tidak)" is "serius", "Grade [CTCAE v5]" is "grade")."""
    assigned = getattr(header, "field", None) or ""
    if assigned.startswith(("ae_", "disposition_")):  # a mapping profile named the field: that field only
        return {normalise(assigned.split("_", 1)[1])}
    keys = {normalise(header), normalise(_BRACKETS.sub(" ", str(header)))}
    return keys | {strip_ae(k) for k in keys} - {""}


@dataclass
class Parsed:
    """The rows read (one dict per row: the fields, ``PROVENANCE``, ``_columns`` the user's column of each field and
    ``_raw`` its cell; a missing value is None), the findings and the number of rows left out."""

    records: list[dict[str, Any]]
    findings: list[Finding]
    excluded: int


def columns_of(header: Sequence[object], fields: Sequence[Field]) -> dict[str, int]:
    """Field name -> the index of its column: the first column whose name (``header_keys``) is one of the field's
    names, each column for one field at most."""
    found: dict[str, int] = {}
    for index, name in enumerate(header):
        keys = header_keys(name)
        for f in fields:
            if keys & f.keys() and f.name not in found:
                found[f.name] = index
                break
    return found


def parse_rows(tables: Sequence[RawTable], fields: Sequence[Field], what: str, onset_split: bool = False) -> Parsed:
    """Read the rows of ``tables`` with the ``fields`` (and ``PROVENANCE``): a bad value becomes missing with an
    error finding; a row without a patient id is left out (error, counted)."""
    records: list[dict[str, Any]] = []
    findings: list[Finding] = []
    excluded = 0
    for table in tables:
        found = columns_of(table.header, fields)
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
        source_sheet = str(table.sheet) if table.sheet else None
        by_name = {f.name: f for f in fields}
        readers = [(by_name[name], index) for name, index in found.items()]  # in the table's column order
        columns = {name: table.header[index] for name, index in found.items()}  # one dict, shared by the rows
        # each column's distinct cells are read once: a column of 8,000 events holds a handful of grades
        known: dict[str, dict[tuple[type, object], Any]] = {name: {} for name in found}
        for cells, n in zip(table.rows, table.row_numbers):
            record: dict[str, Any] = {f.name: None for f in fields}
            record.update(source_file=table.file, source_sheet=source_sheet, source_row=n)
            raw_values = {}
            for f, index in readers:
                name = f.name
                raw = cells[index] if index < len(cells) else None
                raw_values[name] = raw
                read = known[name]
                cell = (type(raw), raw)
                if cell not in read:
                    try:
                        read[cell] = f.read(raw)
                    except BadValue as exc:
                        read[cell] = exc
                value = read[cell]
                if isinstance(value, BadValue):
                    findings.append(
                        Finding(
                            "error",
                            table.file,
                            source_sheet,
                            n,
                            table.header[index],
                            raw,
                            f"{value}; this value is left out (the row's other values are used)",
                            code=Code.VALUE_INVALID,
                        )
                    )
                else:
                    record[name] = value
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
            record["_columns"] = columns
            record["_raw"] = raw_values
            records.append(record)
    return Parsed(records, findings, excluded)


def place(row: Mapping[str, Any], column: str | None = None) -> tuple[str, str | None, int, str | None]:
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


def add_finding(
    findings: list[Finding],
    row: Mapping[str, Any],
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
