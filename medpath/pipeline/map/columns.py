"""Recognising the study team's column and sheet names.

Names are compared after ``normalise``: lower case with every character that is not a letter or a
digit removed, so "Patient ID", "patient_id" and "PATIENT-ID" are the same name, as are
"T-score L1-L4" and "tscore_l1_l4". Each canonical column has a short list of aliases, including
Indonesian names (umur, jenis kelamin, ...). The built-in fields (patient id, sex, age, consent, enrolled,
visit, month, day) have their aliases here; the trial's own fields and outcomes take theirs from the protocol
file (``medpath.protocol``).

The tables that depend on the protocol are built here from a ``Protocol`` passed as an argument
(``screening_aliases``, ``outcome_aliases``, ``visit_aliases``, ``field_labels``) and compiled once per protocol
into its ``medpath.pipeline.map.schema.Schema``, which every reading stage receives.
"""

from __future__ import annotations

import re
from typing import Self

from medpath.protocol import Protocol

_NOT_ALNUM = re.compile(r"[^0-9a-z]+")
#: Words that mark a column as a correction of another one ("T-score M6 (koreksi)"); they do not change
#: which field the column holds, so ``normalise`` drops them (``is_correction`` tells them apart).
_CORRECTION = re.compile(
    r"[\s_(\[-]*(?<![a-z])(koreksi|dikoreksi|corrected|correction|revisi|revised|perbaikan|"
    r"diperbaiki)(?![a-z])[)\]]*",
    re.I,
)


def normalise(name: object) -> str:
    """The comparison key of a header: lower case, letters and digits only, without a correction mark. A header
    that a mapping profile assigned to a field (``FieldHeader``) compares as that field."""
    assigned = getattr(name, "field", None)
    if assigned is not None:
        return _NOT_ALNUM.sub("", assigned.lower())
    text = str(name).lower()
    if "kor" in text or "cor" in text or "rev" in text or "perbai" in text:
        text = _CORRECTION.sub(" ", text)
    return _NOT_ALNUM.sub("", text)


def is_correction(name: object) -> bool:
    """Whether a header marks its column as a correction (koreksi, corrected, revisi, ...)."""
    return bool(_CORRECTION.search(str(name)))


def _aliases(table: dict[str, tuple[str, ...]]) -> dict[str, str]:
    """Invert ``canonical -> aliases`` into ``normalised alias -> canonical``."""
    return {normalise(alias): canonical for canonical, names in table.items() for alias in (canonical, *names)}


_PATIENT_ID = (
    "patient id",
    "patient",
    "id",
    "subject id",
    "subject",
    "participant id",
    "record id",
    "study id",
    "pid",
    "no rm pasien",
    "kode pasien",
    "id subjek",
    "kode subjek",
    "subject code",
    "id pasien",
    "id peserta",
    "kode peserta",
    "no pasien",
    "nomor pasien",
)
_GENERIC_SCREENING: dict[str, tuple[str, ...]] = {
    "patient_id": _PATIENT_ID,
    "sex": ("gender", "jenis kelamin", "jk", "kelamin"),
    "age": ("age years", "age (years)", "age yrs", "umur", "usia", "age at screening"),
    "consent": ("informed consent", "consent status", "ic", "persetujuan", "status ic", "informed consent ttd"),
    "enrolled": (
        "enrollment",
        "enrolment",
        "included",
        "enrolled in study",
        "terdaftar",
        "inklusi",
        "masuk penelitian",
        "diikutsertakan",
    ),
}
_GENERIC_VISITS: dict[str, tuple[str, ...]] = {
    "patient_id": _PATIENT_ID,
    "visit": ("visit label", "timepoint", "time point", "event", "redcap event name", "kunjungan", "event name"),
    "month": ("months", "month offset", "months since baseline", "bulan"),
    "day": ("days", "day offset", "study day", "days since baseline", "hari"),
}


def screening_aliases(protocol: Protocol) -> dict[str, str]:
    """A screening field's names: its own, and those of the outcome it is a baseline reading of."""
    table: dict[str, tuple[str, ...]] = {}
    for f in protocol.screening:
        outcome = protocol.outcomes.get(f.outcome)
        table[f.key] = (*(outcome.aliases if outcome else ()), *f.aliases)
    return _aliases({**_GENERIC_SCREENING, **table})


def outcome_aliases(protocol: Protocol) -> dict[str, str]:
    return _aliases({key: o.aliases for key, o in protocol.outcomes.items()})


def visit_aliases(protocol: Protocol) -> dict[str, str]:
    return _aliases({**_GENERIC_VISITS, **{key: o.aliases for key, o in protocol.outcomes.items()}})


#: The normalised names of a patient id column (the same in every protocol: a protocol cannot name a field
#: ``patient_id``), for the adverse-event and disposition tables.
PATIENT_ID_KEYS = tuple(dict.fromkeys(normalise(n) for n in ("patient_id", *_PATIENT_ID)))

#: A screening number: the key of a screening log whose enrolled candidates get a subject id later.
SCREENING_NUMBER = frozenset(
    normalise(n)
    for n in (
        "screening no",
        "screening number",
        "screening id",
        "no skrining",
        "nomor skrining",
        "no. skrining",
        "kode skrining",
        "no screening",
        "screening code",
        "id skrining",
    )
)

#: A visit date (a visits table with dates instead of labels).
VISIT_DATE = frozenset(
    normalise(n)
    for n in (
        "date",
        "visit date",
        "date of visit",
        "tanggal",
        "tanggal kunjungan",
        "tgl kunjungan",
        "tgl",
        "tanggal visit",
        "tanggal pemeriksaan",
        "tgl pemeriksaan",
        "exam date",
        "tanggal periksa",
    )
)

#: Sheet names (normalised) that hold each table; anything else is recognised by its columns.
SHEET_ALIASES = {
    "screening": {"screening", "screen", "screeninglog", "candidates", "eligibility", "skrining"},
    "visits": {"visits", "visit", "followup", "outcomes", "data", "kunjungan", "redcap"},
}


class SheetLabel(str):
    """A sheet name (shown as is) that also says which table it holds: set by ``medpath.pipeline.layout.layouts`` when it
    splits one sheet into a screening and a visits table, so that the sheet's own name (e.g. "Data")
    does not decide."""

    kind: str | None = None

    def __new__(cls, name: str, kind: str | None = None) -> SheetLabel:
        label = super().__new__(cls, name)
        label.kind = kind
        return label

    def __reduce__(self):
        return (SheetLabel, (str(self), self.kind))


def sheet_kind(sheet_name: str | None) -> str | None:
    """ "screening" or "visits" when the sheet (or CSV file) name says which table it holds."""
    forced = getattr(sheet_name, "kind", None)
    if forced:
        return forced
    key = normalise(sheet_name or "")
    for kind, names in SHEET_ALIASES.items():
        if key in names or any(key.startswith(n) or key.endswith(n) for n in names if len(n) > 5):
            return kind
    return None


class FieldHeader(str):
    """A header as the user wrote it (shown as is, so every finding names the user's own column) that a mapping
    profile (``medpath.pipeline.map.profile``) assigned to a field: ``normalise`` compares it as that field."""

    field: str | None = None

    def __new__(cls, name: str, field: str) -> Self:
        header = super().__new__(cls, name)
        header.field = field
        return header

    def __reduce__(self):
        return (FieldHeader, (str(self), self.field))


class TableHeader(FieldHeader):
    """A ``FieldHeader`` the mapping profile reads in one table only (``columns: {Header: {screening: field}}``):
    a sheet holding both tables puts it in that table (``medpath.pipeline.map.profile_tables.split_scoped``)."""

    table: str | None = None

    def __new__(cls, name: str, field: str, table: str) -> Self:
        header = super().__new__(cls, name, field)
        header.table = table
        return header

    def __reduce__(self):
        return (TableHeader, (str(self), self.field, self.table))


class AddedHeader(str):
    """A column MedPath added (the visit of a per-visit sheet, the days computed from visit dates): not one of
    the user's columns, so it is not listed among them."""


_GENERIC_LABELS = {
    "patient_id": "patient id",
    "sex": "sex",
    "age": "age (years)",
    "consent": "informed consent",
    "enrolled": "enrolled (yes/no)",
    "visit": "visit",
    "month": "month since baseline",
    "day": "day since baseline",
    "date": "visit date",
    "screening_number": "screening number",
}


def field_labels(protocol: Protocol) -> dict[str, str]:
    return {
        **_GENERIC_LABELS,
        **{key: o.field_label or f"{o.label} ({o.unit})" for key, o in protocol.outcomes.items()},
        **{f.key: f.label for f in protocol.screening},
    }


def column_index(letters: str) -> int:
    """The 0-based index of a column's letters ("A" -> 0, "AA" -> 26)."""
    index = 0
    for letter in letters.upper():
        index = index * 26 + ord(letter) - 64
    return index - 1


def column_letters(index: int) -> str:
    """The letters of a 0-based column index (0 -> "A")."""
    letters, index = "", index + 1
    while index:
        index, rem = divmod(index - 1, 26)
        letters = chr(65 + rem) + letters
    return letters
