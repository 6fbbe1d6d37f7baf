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

from collections.abc import Callable
from dataclasses import dataclass

import pandas as pd

from medpath.columns import OUTCOME_ALIASES, SCREENING_ALIASES, VISIT_ALIASES, normalise, sheet_kind
from medpath.export import FORMULA_TRIGGERS
from medpath.model import (
    HISTORY_COLUMNS,
    INFECTION_COLUMNS,
    OUTCOMES,
    PRIMARY_OUTCOMES,
    PROVENANCE,
    SCREENING_COLUMNS,
    VISIT_COLUMNS,
    Finding,
)
from medpath.reading import RawTable
from medpath.values import (
    BadValue,
    month_from_day,
    month_label,
    parse_consent,
    parse_number,
    parse_patient_id,
    parse_sex,
    parse_visit_label,
    parse_yes_no,
)

_IDENTIFIER_HINTS = ("name", "nama", "mrn", "medicalrecord", "norm", "rekammedis", "dateofbirth", "dob",
                     "birthdate", "tanggallahir", "tgllahir", "phone", "telepon", "telp", "hp", "mobile",
                     "nik", "nationalid", "ktp", "address", "alamat", "email")


#: Sheets that hold notes for people, skipped without a finding.
_NOTE_SHEETS = frozenset({"about", "readme", "info", "instructions", "notes", "codebook", "dictionary",
                          "datadictionary", "petunjuk", "keterangan"})


@dataclass(frozen=True)
class _Rule:
    """How one canonical column is read and which values are impossible."""

    parse: Callable[[object], object]
    bounds: tuple[float, float] | None = None
    bounds_severity: str = "error"
    what: str = ""


_SCREENING_RULES: dict[str, _Rule] = {
    "patient_id": _Rule(parse_patient_id),
    "sex": _Rule(parse_sex),
    "age": _Rule(parse_number, (0, 120), what="age in years"),
    "bmd_tscore": _Rule(parse_number, OUTCOMES["bmd_tscore"].valid_range, what="a spine T-score"),
    **{c: _Rule(parse_yes_no) for c in (*HISTORY_COLUMNS, *INFECTION_COLUMNS, "enrolled")},
    "consent": _Rule(parse_consent),
}
_VISIT_RULES: dict[str, _Rule] = {
    "patient_id": _Rule(parse_patient_id),
    "visit": _Rule(lambda raw: raw),
    "month": _Rule(parse_number, (0, 240), what="months since baseline"),
    "day": _Rule(parse_number, (0, 7300), what="days since baseline"),
    **{k: _Rule(parse_number, o.valid_range, "error" if o.primary else "warning", o.label)
       for k, o in OUTCOMES.items()},
}


@dataclass(frozen=True)
class Parsed:
    """The canonical rows read from one raw table, the findings, and the Excel rows left out."""

    kind: str  # "screening", "visits" or "ignored"
    frame: pd.DataFrame | None
    findings: list[Finding]
    excluded_rows: frozenset[int] = frozenset()  # Excel row numbers with an error

    @property
    def excluded(self) -> int:
        return len(self.excluded_rows)


def classify(table: RawTable) -> str | None:
    """"screening" or "visits" from the sheet/file name, else from the columns; ``None`` if neither."""
    keys = {normalise(h) for h in table.header}
    if sheet_kind(table.sheet) or sheet_kind(_stem(table.file) if table.sheet is None else None):
        return sheet_kind(table.sheet) or sheet_kind(_stem(table.file))
    if {VISIT_ALIASES.get(k) for k in keys} & {"visit", "month", "day"} or _wide_columns(table.header):
        return "visits"
    if {SCREENING_ALIASES.get(k) for k in keys} & {"sex", "age", "consent", "enrolled", *INFECTION_COLUMNS}:
        return "screening"
    return None


def _stem(file: str) -> str:
    return file.rsplit("/", 1)[-1].rsplit(".", 1)[0]


def parse_table(table: RawTable) -> Parsed:
    """Validate one raw table into canonical rows (the kind is decided by ``classify``)."""
    kind = classify(table)
    if kind is None and normalise(table.sheet or "") in _NOTE_SHEETS:
        return Parsed("ignored", None, [])
    if kind is None:
        return Parsed("ignored", None, [_finding(table, "warning", table.header_row, None, None,
                      "this sheet is neither a screening nor a visits table (no recognised columns); it was not used")])
    if kind == "screening":
        return _parse(table, "screening", SCREENING_ALIASES, _SCREENING_RULES)
    wide = _wide_columns(table.header)
    has_time = any(VISIT_ALIASES.get(normalise(h)) in ("visit", "month", "day") for h in table.header)
    if not wide or has_time:
        return _parse(table, "visits", VISIT_ALIASES, _VISIT_RULES)
    subtables = _wide_to_long(table, wide)
    parts = [_parse(sub, "visits", aliases, _VISIT_RULES) for sub, aliases in subtables]
    frames = [p.frame for p in parts if p.frame is not None]
    findings = list(table.notes) + [f for p in parts for f in p.findings]
    used = {n for sub, _ in subtables for n in sub.row_numbers}
    findings += [_finding(table, "warning", n, None, None, "this row has no outcome value at any visit; nothing "
                          "from it can be analysed") for n in table.row_numbers if n not in used]
    frame = pd.concat(frames, ignore_index=True).sort_values(["source_row", "month"], kind="stable") if frames else None
    return Parsed("visits", frame, list(dict.fromkeys(findings)), frozenset().union(*(p.excluded_rows for p in parts)))


def _finding(table: RawTable, severity: str, row: int | None, column: str | None, value: object, message: str) -> Finding:
    return Finding(severity, table.file, table.sheet, row, column, value, message)


def _map_columns(table: RawTable, aliases: dict[str, str], findings: list[Finding]) -> dict[str, int]:
    """canonical column -> index of its first header cell; duplicates and identifiers are reported."""
    mapping: dict[str, int] = {}
    ignored = []
    for index, name in enumerate(table.header):
        key = normalise(name)
        canonical = aliases.get(key)
        if canonical is None:
            if key:
                ignored.append(name)
            if any(hint == key or (len(hint) > 3 and hint in key) for hint in _IDENTIFIER_HINTS):
                findings.append(_finding(table, "warning", table.header_row, name, None,
                                         "this column looks like a direct identifier (name, record number, date of "
                                         "birth, phone or national id); share pseudonymised study ids instead"))
            continue
        if canonical in mapping:
            findings.append(_finding(table, "warning", table.header_row, name, None,
                                     f"a second column for '{canonical}' (first: '{table.header[mapping[canonical]]}'); "
                                     "only the first is read"))
            continue
        mapping[canonical] = index
    if ignored:
        findings.append(_finding(table, "warning", table.header_row, None, ", ".join(map(str, ignored[:20])),
                                 f"{len(ignored)} column(s) not recognised and not used"))
    return mapping


def _parse(table: RawTable, kind: str, aliases: dict[str, str], rules: dict[str, _Rule]) -> Parsed:
    findings: list[Finding] = list(table.notes)
    mapping = _map_columns(table, aliases, findings)
    if not _required_present(table, kind, mapping, findings):
        return Parsed(kind, None, findings, frozenset(table.row_numbers))
    if not table.rows:
        findings.append(_finding(table, "warning", table.header_row, None, None,
                                 f"this {kind} table has a header but no data rows"))
    placed = ("visit", "month", "day") if kind == "visits" else ()
    columns = {c: [] for c in dict.fromkeys([*mapping, *placed])}
    rows_kept: list[int] = []
    excluded: set[int] = set()
    formula_ids: set[str] = set()
    readers = [(canonical, index, rules[canonical]) for canonical, index in mapping.items()]
    for cells, excel_row in zip(table.rows, table.row_numbers):
        values, ok = {}, True
        width = len(cells)
        for canonical, index, rule in readers:
            raw = cells[index] if index < width else None
            value, problem = _read_cell(rule, raw)
            if problem:
                severity, message = problem
                findings.append(_finding(table, severity, excel_row, table.header[index], raw, message))
                ok = ok and severity != "error"
            values[canonical] = value
        pid = values.get("patient_id")
        if pid is None:
            findings.append(_finding(table, "error", excel_row, table.header[mapping["patient_id"]], None,
                                     "the patient id is missing"))
            ok = False
        elif pid.startswith(FORMULA_TRIGGERS) and pid not in formula_ids:
            formula_ids.add(pid)
            findings.append(_finding(table, "warning", excel_row, table.header[mapping["patient_id"]], pid,
                                     "this patient id looks like a spreadsheet formula; it is kept as an id, and "
                                     "exports write it as text so that Excel does not run it"))
        if kind == "visits" and ok:
            ok = _place_visit(table, excel_row, mapping, values, findings)
        if not ok:
            excluded.add(excel_row)
            continue
        rows_kept.append(excel_row)
        for canonical in columns:
            columns[canonical].append(values[canonical])
    frame = _frame(kind, columns, rows_kept, table)
    return Parsed(kind, frame, findings, frozenset(excluded))


def _read_cell(rule: _Rule, raw: object) -> tuple[object, tuple[str, str] | None]:
    try:
        value = rule.parse(raw)
    except BadValue as exc:
        return None, ("error", str(exc))
    bounds = rule.bounds
    if bounds is None or value is None or bounds[0] <= value <= bounds[1]:
        return value, None
    low, high = bounds
    return (value if rule.bounds_severity == "warning" else None), (
        rule.bounds_severity, f"{_fmt(value)} is outside the possible range of {rule.what}: {_fmt(low)} to {_fmt(high)}")


def _fmt(x: float) -> str:
    return f"{x:g}"


def _required_present(table: RawTable, kind: str, mapping: dict[str, int], findings: list[Finding]) -> bool:
    missing = [] if "patient_id" in mapping else ["patient_id (e.g. 'Patient ID')"]
    if kind == "visits":
        if not {"visit", "month", "day"} & set(mapping):
            missing.append("a visit label or a month/day offset (e.g. 'Visit': baseline, month 6)")
        if not set(PRIMARY_OUTCOMES) & set(mapping):
            missing.append("at least one primary outcome (spine BMD T-score or VAS)")
    for text in missing:
        findings.append(_finding(table, "error", table.header_row, None, None,
                                 f"required column missing: {text}; none of this sheet's rows can be used"))
    absent = [c for c in (SCREENING_COLUMNS if kind == "screening" else PRIMARY_OUTCOMES) if c not in mapping]
    if absent and not missing:
        findings.append(_finding(table, "warning", table.header_row, None, ", ".join(absent),
                                 "expected column(s) not found; what depends on them is shown as unknown"))
    return not missing


#: A visit's offset may differ from its label's nominal month by this much (a visit window) unremarked.
VISIT_WINDOW_MONTHS = 0.5


def _place_visit(table: RawTable, excel_row: int, mapping: dict[str, int], values: dict, findings: list[Finding]) -> bool:
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
            given = f"month {_fmt(month)}" if month is not None else f"day {_fmt(day)}"
            findings.append(_finding(table, "warning", excel_row, table.header[mapping["visit"]], label_raw,
                                     f"the visit label says {parsed[0]} but the offset says {given}; "
                                     f"analysed as {parsed[0]} (the label)"))
        values["visit"], values["month"], values["day"] = parsed[0], parsed[1], day
        return True
    if offset is None:
        if label_raw is None:
            findings.append(_finding(table, "error", excel_row, None, None, "the visit has no label and no month/day offset"))
        else:
            findings.append(_finding(table, "error", excel_row, table.header[mapping["visit"]], label_raw,
                                     "unknown visit label (use e.g. baseline, month 1, month 3, month 6, or put "
                                     "numbers in a 'month' column) and no month or day offset to place it"))
        return False
    if label_raw is not None:
        findings.append(_finding(table, "warning", excel_row, table.header[mapping["visit"]], label_raw,
                                 f"unknown visit label; placed at month {_fmt(offset)} from the offset column"))
    values["visit"], values["month"], values["day"] = month_label(offset), offset, day
    return True


def _frame(kind: str, columns: dict[str, list], rows: list[int], table: RawTable) -> pd.DataFrame:
    wanted = SCREENING_COLUMNS if kind == "screening" else VISIT_COLUMNS
    data = {}
    for c in wanted:
        values = columns.get(c, [None] * len(rows))
        if c in HISTORY_COLUMNS or c in INFECTION_COLUMNS or c == "enrolled":
            data[c] = pd.array(values, dtype="boolean")
        elif c in ("age", "bmd_tscore", "month", "day") or c in OUTCOMES:
            data[c] = pd.array([float("nan") if v is None else v for v in values], dtype="float64")
        else:
            data[c] = pd.array(values, dtype="object")
    frame = pd.DataFrame(data)
    frame["source_file"] = table.file
    frame["source_sheet"] = table.sheet
    frame["source_row"] = pd.array(rows, dtype="int64")
    return frame[[*wanted, *PROVENANCE]]


# --- wide visits layout -------------------------------------------------------------------------

def _wide_columns(header: list[str]) -> dict[int, tuple[str, object]]:
    """Header index -> (outcome, visit label) for names like 'bmd_tscore_m6' or 'VAS baseline'."""
    found = {}
    prefixes = sorted(OUTCOME_ALIASES, key=len, reverse=True)
    for index, name in enumerate(header):
        key = normalise(name)
        for prefix in prefixes:
            rest = key[len(prefix):]
            if key.startswith(prefix) and rest and parse_visit_label(rest) is not None:
                found[index] = (OUTCOME_ALIASES[prefix], rest)
                break
    return found


def _wide_to_long(table: RawTable, wide: dict[int, tuple[str, object]]) -> list[tuple[RawTable, dict[str, str]]]:
    """One long sub-table per visit, each with its own column aliases, so that findings still name
    the user's own column (e.g. 'vas_m6') and each long row keeps its patient row's Excel number."""
    id_index = next((i for i, h in enumerate(table.header) if VISIT_ALIASES.get(normalise(h)) == "patient_id"), None)
    by_visit: dict[str, list[int]] = {}
    for index, (_, label) in wide.items():
        by_visit.setdefault(parse_visit_label(label)[0], []).append(index)
    keep = [id_index] if id_index is not None else []
    out = []
    for visit, indices in by_visit.items():
        header = ["Visit", *(table.header[i] for i in keep + indices)]
        aliases = {**VISIT_ALIASES, **{normalise(table.header[i]): wide[i][0] for i in indices}}
        rows, numbers = [], []
        for cells, excel_row in zip(table.rows, table.row_numbers):
            values = [cells[i] if i < len(cells) else None for i in indices]
            if any(v not in (None, "") for v in values):
                rows.append([visit, *(cells[i] if i < len(cells) else None for i in keep), *values])
                numbers.append(excel_row)
        out.append((RawTable(table.file, table.sheet, header, rows, numbers, table.header_row, ()), aliases))
    return out
