"""From an uploaded file's bytes to raw tables: a header and rows of cells, with Excel row numbers.

Workbooks (.xlsx, .xlsm, legacy .xls, .ods) are read with python-calamine, a Rust reader several
times faster than openpyxl; CSV files with the standard library's ``csv`` module. Everything happens
in memory: nothing the user uploaded is written to disk.

Guards, checked before a workbook is parsed: the declared uncompressed size of the .xlsx's zip parts
(a "zip bomb" is refused), and row and column caps while reading. A file that cannot be read raises
``ReadError`` carrying a ``Finding`` that names the file and, where known, the sheet.
"""

from __future__ import annotations

import csv
import io
import zipfile
from dataclasses import dataclass

import python_calamine

from medpath.columns import OUTCOME_ALIASES, SCREENING_ALIASES, VISIT_ALIASES, normalise
from medpath.model import Finding

MAX_ROWS = 200_000
MAX_COLUMNS = 300
MAX_UNCOMPRESSED_BYTES = 300 * 1024 * 1024
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
    if data.startswith(_ZIP_MAGIC):
        _check_zip(name, data)
        return _read_workbook(name, data)
    if data.startswith(_OLE_MAGIC):
        if b"E\x00n\x00c\x00r\x00y\x00p\x00t\x00e\x00d\x00P\x00a\x00c\x00k\x00a\x00g\x00e" in data:
            raise ReadError(name, "the workbook is password-protected (encrypted); save an unprotected copy "
                                  "in Excel (File > Info > Protect Workbook) and upload that")
        return _read_workbook(name, data)
    if name.lower().endswith((".xlsx", ".xlsm", ".xls", ".ods")):
        raise ReadError(name, "the file is named like a spreadsheet but is not an Excel workbook "
                              "(it may be damaged, or another kind of file renamed)")
    return [_read_csv(name, data)]


def _check_zip(name: str, data: bytes) -> None:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            total = sum(info.file_size for info in archive.infolist())
    except zipfile.BadZipFile:
        raise ReadError(name, "the file looks like an .xlsx workbook but its zip structure is damaged") from None
    if total > MAX_UNCOMPRESSED_BYTES:
        raise ReadError(name, f"the workbook would unpack to {total / 2**20:,.0f} MiB, more than the "
                              f"{MAX_UNCOMPRESSED_BYTES / 2**20:,.0f} MiB MedPath accepts; it was not opened")


def _read_workbook(name: str, data: bytes) -> list[RawTable]:
    try:
        workbook = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(data))
    except Exception as exc:  # calamine raises several exception types for unreadable files
        raise ReadError(name, f"the workbook cannot be opened: {_reason(exc)}") from None
    tables = []
    for sheet_name in workbook.sheet_names:
        try:
            sheet = workbook.get_sheet_by_name(sheet_name)
            rows = _capped_rows(name, sheet_name, sheet.iter_rows())
            merged = sheet.merged_cell_ranges or []
        except ReadError:
            raise
        except Exception as exc:
            raise ReadError(name, f"the sheet cannot be read: {_reason(exc)}", sheet=sheet_name) from None
        notes = _fill_merged(name, sheet_name, rows, merged)
        table = _table(name, sheet_name, rows, notes)
        if table is not None:
            tables.append(table)
    if not tables:
        raise ReadError(name, "the workbook has no sheet with data")
    return tables


def _reason(exc: Exception) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return text[:200]


def _capped_rows(file: str, sheet: str | None, rows) -> list[list[object]]:
    out = []
    for row in rows:
        if len(out) >= MAX_ROWS:
            raise ReadError(file, f"more than {MAX_ROWS:,} rows; MedPath reads at most {MAX_ROWS:,} rows "
                                  "a sheet (split the file or remove unused rows)", sheet=sheet)
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
    return RawTable(file, sheet, header, [r for _, r in body], [n for n, _ in body], h + 1, tuple(notes))


def _blank(cell: object) -> bool:
    return cell is None or (isinstance(cell, str) and not cell.strip())
