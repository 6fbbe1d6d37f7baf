"""From an uploaded file's bytes to raw tables: a header and rows of cells, with Excel row numbers.

Workbooks (.xlsx, .xlsm, legacy .xls, .ods) are read with python-calamine, a Rust reader several
times faster than openpyxl; CSV files with the standard library's ``csv`` module. Everything happens
in memory: nothing the user uploaded is written to disk.

Guards, so that no upload can crash the process, exhaust memory or take minutes:

* the file's size (``MAX_FILE_BYTES``, the same 25 MiB as the app's upload limit, so the CLI is covered);
* before the reader sees a workbook, ``medpath.size_guards`` bounds what it will allocate from the file
  itself (zip parts, sheet XML, shared strings, OpenDocument repeats, legacy BIFF records) and refuses
  a file that is too large, damaged or crafted; see that module;
* every sheet is also capped while its rows are read.

A file that cannot be read raises ``ReadError`` carrying a ``Finding`` that names the file and, where
known, the sheet. Nothing is logged and nothing is written to disk.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass

import python_calamine

from medpath.columns import OUTCOME_ALIASES, SCREENING_ALIASES, VISIT_ALIASES, normalise
from medpath.model import Finding
from medpath.size_guards import (
    MAX_CELLS,
    MAX_COLUMNS,
    MAX_ROWS,
    Refused,
    SheetScan,
    check_xls,
    check_zip,
    too_many_cells,
    too_many_rows,
)

MAX_FILE_BYTES = 25 * 1024 * 1024
HEADER_SEARCH_ROWS = 30

_ZIP_MAGIC = b"PK\x03\x04"
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_KNOWN_NAMES = set(SCREENING_ALIASES) | set(VISIT_ALIASES)


class ReadError(Exception):
    """The file (or one sheet of it) cannot be read; ``finding`` says what and where."""

    def __init__(self, file: str, message: str, sheet: str | None = None, value: object = None):
        super().__init__(message)
        self.finding = Finding("error", file, sheet, None, None, value, message)


@dataclass(frozen=True)
class RawTable:
    """One sheet or CSV file: header cells, data rows (cells as read) and where they sit in the file.

    ``header_row`` is the 1-based row number of the header as Excel shows it; ``rows[i]`` is Excel row
    ``row_numbers[i]``. Blank rows are skipped (they are not data) but never renumber the others.
    """

    file: str
    sheet: str | None
    header: list[str]
    rows: list[list[object]]
    row_numbers: list[int]
    header_row: int
    notes: tuple[Finding, ...] = ()


def read_tables(name: str, data: bytes) -> list[RawTable]:
    """Every table in one uploaded file. Raises ``ReadError`` when the file cannot be read at all."""
    if not data:
        raise ReadError(name, "the file is empty (0 bytes)")
    if len(data) > MAX_FILE_BYTES:
        raise ReadError(name, f"the file is {len(data) / 2**20:,.1f} MiB, more than the {MAX_FILE_BYTES / 2**20:,.0f} MiB "
                              "MedPath accepts; remove unused sheets or rows, or split it")
    if data.startswith(_ZIP_MAGIC):
        return _read_workbook(name, data, _guarded(name, check_zip, data))
    if data.startswith(_OLE_MAGIC):
        if b"E\x00n\x00c\x00r\x00y\x00p\x00t\x00e\x00d\x00P\x00a\x00c\x00k\x00a\x00g\x00e" in data:
            raise ReadError(name, "the workbook is password-protected (encrypted); save an unprotected copy "
                                  "in Excel (File > Info > Protect Workbook) and upload that")
        return _read_workbook(name, data, _guarded(name, check_xls, data))
    if name.lower().endswith((".xlsx", ".xlsm", ".xls", ".ods")):
        raise ReadError(name, "the file is named like a spreadsheet but is not an Excel workbook "
                              "(it may be damaged, or another kind of file renamed)")
    return [_read_csv(name, data)]


def _guarded(name: str, check, data: bytes) -> dict[str, SheetScan]:
    """Run a size guard of ``medpath.size_guards``; its refusal becomes a ``ReadError`` naming the file."""
    try:
        return check(data)
    except Refused as exc:
        raise ReadError(name, exc.message, sheet=exc.sheet, value=exc.value) from None


def _reader_failure(exc: BaseException) -> bool:
    """Whether ``exc`` is the reader's way of saying a file is broken: its own exceptions, or PyO3's
    ``PanicException`` (a Rust panic), which derives from ``BaseException`` and is not importable."""
    return isinstance(exc, Exception) or type(exc).__name__ == "PanicException"


def _read_workbook(name: str, data: bytes, scans: dict[str, SheetScan]) -> list[RawTable]:
    try:
        workbook = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(data))
    except BaseException as exc:  # calamine raises several exception types for unreadable files
        if not _reader_failure(exc):
            raise
        raise ReadError(name, f"the workbook cannot be opened: {_reason(exc)}") from None
    tables = []
    for sheet_name in workbook.sheet_names:
        try:
            sheet = workbook.get_sheet_by_name(sheet_name)
            if sheet.height > MAX_ROWS:
                raise ReadError(name, too_many_rows(sheet.height, exact=True), sheet=sheet_name)
            if sheet.height * sheet.width > MAX_CELLS:
                raise ReadError(name, too_many_cells(sheet.height, sheet.width), sheet=sheet_name)
            rows = _capped_rows(name, sheet_name, sheet.iter_rows())
            merged = sheet.merged_cell_ranges or []
        except ReadError:
            raise
        except BaseException as exc:
            if not _reader_failure(exc):
                raise
            raise ReadError(name, f"the sheet cannot be read: {_reason(exc)}", sheet=sheet_name) from None
        notes = _fill_merged(name, sheet_name, rows, merged)
        scan = scans.get(sheet_name)
        if scan is not None and scan.uncached:
            notes += (_cells_note(name, sheet_name, scan.uncached, "formula cell(s) have no saved result",
                                  "The file was written by a program that does not calculate formulas; open it in "
                                  "Excel and save it again, or paste the values"),)
        if scan is not None and scan.errors:
            notes += (_cells_note(name, sheet_name, scan.errors, "cell(s) hold an Excel error (#DIV/0!, #N/A, ...)",
                                  "Correct the formulas or enter the values"),)
        table = _table(name, sheet_name, rows, notes)
        if table is not None:
            tables.append(table)
    if not tables:
        raise ReadError(name, "the workbook has no sheet with data")
    return tables


def _cells_note(file: str, sheet: str, cells: list[str], what: str, advice: str) -> Finding:
    """One warning for cells that were read as empty, naming them (the first 20)."""
    shown = ", ".join(cells[:20]) + (f" and {len(cells) - 20:,} more" if len(cells) > 20 else "")
    first_row = int(re.sub(r"^[A-Z]+", "", cells[0]))
    return Finding("warning", file, sheet, first_row, None, shown,
                   f"{len(cells):,} {what} and were read as empty: {shown}. {advice}")


def _reason(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return text[:200]


def _capped_rows(file: str, sheet: str | None, rows) -> list[list[object]]:
    out = []
    for row in rows:
        if len(out) >= MAX_ROWS:
            raise ReadError(file, too_many_rows(MAX_ROWS + 1), sheet=sheet)
        if len(row) > MAX_COLUMNS:
            row = _cap_columns(file, sheet, row)
        out.append(row)
    return out


def _cap_columns(file: str, sheet: str | None, row: list[object]) -> list[object]:
    if any(cell not in ("", None) for cell in row[MAX_COLUMNS:]):
        raise ReadError(file, f"more than {MAX_COLUMNS} columns in use; MedPath reads at most {MAX_COLUMNS}",
                        sheet=sheet)
    return row[:MAX_COLUMNS]


def _fill_merged(file: str, sheet: str, rows: list[list[object]], merged) -> tuple[Finding, ...]:
    """Give every cell of a merged range its top-left value (Excel shows it there) and say so."""
    notes = []
    for (r0, c0), (r1, c1) in merged:
        if r0 >= len(rows) or c0 >= len(rows[r0]):
            continue
        value = rows[r0][c0]
        for r in range(r0, min(r1, len(rows) - 1) + 1):
            for c in range(c0, min(c1, len(rows[r]) - 1) + 1):
                rows[r][c] = value
        notes.append(Finding("warning", file, sheet, r0 + 1, None, value,
                             f"merged cells {_cell(r0, c0)}:{_cell(r1, c1)} were read as each holding "
                             f"the value of {_cell(r0, c0)}"))
    return tuple(notes)


def _cell(row: int, col: int) -> str:
    letters = ""
    col += 1
    while col:
        col, rem = divmod(col - 1, 26)
        letters = chr(65 + rem) + letters
    return f"{letters}{row + 1}"


def _read_csv(name: str, data: bytes) -> RawTable:
    for encoding in ("utf-8-sig", "cp1252", "latin-1"):
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    if "\x00" in text:
        raise ReadError(name, "the file is neither a spreadsheet nor a text (CSV) file")
    sample = text[:20_000]
    try:
        dialect = csv.Sniffer().sniff(sample, delimiters=",;\t|")
        delimiter = dialect.delimiter
    except csv.Error:
        delimiter = ","
    try:
        rows = _capped_rows(name, None, csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
    except csv.Error as exc:
        raise ReadError(name, f"the CSV file cannot be read: {exc}") from None
    table = _table(name, None, rows, ())
    if table is None:
        raise ReadError(name, "the CSV file has no rows")
    return table


def _header_score(row: list[object]) -> int:
    names = [normalise(c) for c in row if isinstance(c, str) and c.strip()]
    return sum(1 for n in names if n in _KNOWN_NAMES or _is_wide_outcome(n))


def _is_wide_outcome(key: str) -> bool:
    return any(key.startswith(alias) and len(key) > len(alias) for alias in OUTCOME_ALIASES if len(alias) > 2)


def _table(file: str, sheet: str | None, rows: list[list[object]], notes) -> RawTable | None:
    """Find the header (the best-matching of the first rows: title rows above it are skipped)."""
    nonblank = [i for i, row in enumerate(rows) if any(not _blank(c) for c in row)]
    if not nonblank:
        return None
    candidates = nonblank[:HEADER_SEARCH_ROWS]
    scores = [_header_score(rows[i]) for i in candidates]
    best = max(range(len(candidates)), key=lambda k: (scores[k], -k))
    h = candidates[best] if scores[best] > 0 else nonblank[0]
    header = [str(c).strip() if not _blank(c) else "" for c in rows[h]]
    while header and header[-1] == "":
        header.pop()
    body = [(i + 1, row[: len(header)]) for i, row in enumerate(rows) if i > h and any(not _blank(c) for c in row[: len(header)])]
    unnamed = sorted({c for row in rows[h + 1:] for c, cell in enumerate(row)
                      if not _blank(cell) and (c >= len(header) or not header[c])})
    if unnamed:
        letters = ", ".join(_cell(h, c)[:-len(str(h + 1))] for c in unnamed[:20])
        notes = (*notes, Finding("warning", file, sheet, h + 1, None, letters,
                                 f"column(s) {letters} hold values but have no header; they were not read"))
    return RawTable(file, sheet, header, [r for _, r in body], [n for n, _ in body], h + 1, tuple(notes))


def _blank(cell: object) -> bool:
    return cell is None or (isinstance(cell, str) and not cell.strip())
