"""From an uploaded file's bytes to raw tables: a header and rows of cells, with Excel row numbers.

Workbooks (.xlsx, .xlsm, legacy .xls, .ods) are read with python-calamine, a Rust reader several
times faster than openpyxl; CSV files with the standard library's ``csv`` module. Everything happens
in memory: nothing the user uploaded is written to disk.

Guards (issue 7), so that no upload can crash the process, exhaust memory or take minutes:

* the file's size (``MAX_FILE_BYTES``, the same 25 MiB as the app's upload limit, so the CLI is covered);
* an .xlsx's zip parts, before calamine sees the archive: their declared uncompressed sizes (a "zip
  bomb" is refused), their compression method (stored or deflate only), and their *actual* size: each
  part is inflated once, in 1 MiB steps, and a part that inflates past its declared size is refused.
  calamine is therefore only handed an archive whose parts inflate to at most ``MAX_UNCOMPRESSED_BYTES``
  in all; nothing has to be re-read with a cap later;
* the same single pass scans each worksheet's XML for the rows and columns it uses, so a sheet over
  ``MAX_ROWS`` rows, or whose used area (rows x columns) exceeds ``MAX_CELLS``, is refused before it is
  parsed. This matters beyond speed: calamine allocates the used area densely, and a tiny file with one
  cell in A1 and one in XFD1048576 makes it abort the whole process (a Rust allocation failure cannot
  be caught). The scan also finds formula cells without a saved result (written by programs that do
  not calculate, e.g. openpyxl): calamine reads them as empty, so each sheet gets a warning naming them;
* legacy .xls and .ods files are checked after calamine has loaded the sheet (its height and width),
  and every sheet is also capped while its rows are read.

A file that cannot be read raises ``ReadError`` carrying a ``Finding`` that names the file and, where
known, the sheet. Nothing is logged and nothing is written to disk.
"""

from __future__ import annotations

import csv
import io
import re
import struct
import xml.etree.ElementTree as ET
import zipfile
import zlib
from dataclasses import dataclass, field

import python_calamine

from medpath.columns import OUTCOME_ALIASES, SCREENING_ALIASES, VISIT_ALIASES, normalise
from medpath.model import Finding

MAX_FILE_BYTES = 25 * 1024 * 1024
MAX_ROWS = 200_000
MAX_COLUMNS = 300
#: Cells of a sheet's used area (rows x columns, empty ones included): about 0.2 GiB once read.
MAX_CELLS = 6_000_000
MAX_UNCOMPRESSED_BYTES = 300 * 1024 * 1024
HEADER_SEARCH_ROWS = 30
_INFLATE_STEP = 1024 * 1024

_ZIP_MAGIC = b"PK\x03\x04"
_DAMAGED_ZIP = "the file looks like an .xlsx workbook but its zip structure is damaged"
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
        scans = _check_zip(name, data)
        return _read_workbook(name, data, scans)
    if data.startswith(_OLE_MAGIC):
        if b"E\x00n\x00c\x00r\x00y\x00p\x00t\x00e\x00d\x00P\x00a\x00c\x00k\x00a\x00g\x00e" in data:
            raise ReadError(name, "the workbook is password-protected (encrypted); save an unprotected copy "
                                  "in Excel (File > Info > Protect Workbook) and upload that")
        return _read_workbook(name, data)
    if name.lower().endswith((".xlsx", ".xlsm", ".xls", ".ods")):
        raise ReadError(name, "the file is named like a spreadsheet but is not an Excel workbook "
                              "(it may be damaged, or another kind of file renamed)")
    return [_read_csv(name, data)]


@dataclass
class _SheetScan:
    """What one worksheet's XML says about its size, and its formula cells without a saved result."""

    rows: int = 0          # <row> elements with content
    last_row: int = 0      # highest row number of a cell with content
    last_column: int = 0   # highest column number (1-based) of a cell with content
    uncached: list[str] = field(default_factory=list)  # cell references, e.g. "C2"
    errors: list[str] = field(default_factory=list)    # cells holding an Excel error (#DIV/0!, #N/A, ...)


def _check_zip(name: str, data: bytes) -> dict[str, _SheetScan]:
    """Refuse an archive that is a zip bomb or lies about its sizes; scan its worksheets (see module doc)."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        infos = archive.infolist()
    except (zipfile.BadZipFile, ValueError, struct.error, OSError):
        raise ReadError(name, _DAMAGED_ZIP) from None
    total = sum(info.file_size for info in infos)
    if total > MAX_UNCOMPRESSED_BYTES:
        raise ReadError(name, f"the workbook would unpack to {total / 2**20:,.0f} MiB, more than the "
                              f"{MAX_UNCOMPRESSED_BYTES / 2**20:,.0f} MiB MedPath accepts; it was not opened")
    bad = [i.filename for i in infos if i.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED)]
    if bad:
        raise ReadError(name, "the workbook uses a zip compression method that Excel does not write; it was not "
                              "opened", value=bad[0])
    sheets = _worksheet_parts(archive)
    scans: dict[str, _SheetScan] = {}
    for info in infos:
        sheet = sheets.get(info.filename)
        scan = _SheetScan() if sheet is not None else None
        try:
            _inflate_part(name, data, info, scan, sheet)
        except ReadError:
            raise
        except (zlib.error, struct.error, ValueError, OSError):
            raise ReadError(name, _DAMAGED_ZIP,
                            value=info.filename) from None
        if scan is not None:
            scans[sheet] = scan
    return scans


def _worksheet_parts(archive: zipfile.ZipFile) -> dict[str, str]:
    """Zip part name -> sheet name, from xl/workbook.xml and its relationships (empty if unreadable).

    Both parts were size-checked above (declared size); they are small, and ElementTree (expat) does not
    fetch external entities and limits entity expansion."""
    try:
        names = set(archive.namelist())
        if "xl/workbook.xml" not in names or "xl/_rels/workbook.xml.rels" not in names:
            return {}
        if max(archive.getinfo(n).file_size for n in ("xl/workbook.xml", "xl/_rels/workbook.xml.rels")) > 16 * 2**20:
            return {}
        targets = {}
        for rel in ET.fromstring(archive.read("xl/_rels/workbook.xml.rels")).iter():
            if rel.tag.endswith("Relationship") and rel.get("Id") and rel.get("Target"):
                target = rel.get("Target")
                targets[rel.get("Id")] = target.lstrip("/") if target.startswith("/") else "xl/" + target
        parts = {}
        for sheet in ET.fromstring(archive.read("xl/workbook.xml")).iter():
            if sheet.tag.endswith("}sheet"):
                rid = next((v for k, v in sheet.attrib.items() if k.endswith("}id")), None)
                if rid in targets and sheet.get("name") is not None:
                    parts[targets[rid]] = sheet.get("name")
        return parts
    except Exception:  # a damaged workbook part: calamine will say so when it opens the file
        return {}


def _inflate_part(name: str, data: bytes, info: zipfile.ZipInfo, scan: _SheetScan | None, sheet: str | None) -> None:
    """Inflate one part from the raw bytes, never past its declared size + 1 byte; scan it if it is a sheet."""
    start = info.header_offset
    if data[start:start + 4] != _ZIP_MAGIC:
        raise ReadError(name, _DAMAGED_ZIP, value=info.filename)
    name_len, extra_len = struct.unpack("<HH", data[start + 26:start + 30])
    begin = start + 30 + name_len + extra_len
    raw = memoryview(data)[begin:begin + info.compress_size]
    inflater = zlib.decompressobj(-zlib.MAX_WBITS) if info.compress_type == zipfile.ZIP_DEFLATED else None
    produced = 0
    carry = b""
    pos = 0
    while True:
        if inflater is None:
            chunk = bytes(raw[pos:pos + _INFLATE_STEP])
            pos += len(chunk)
            done = pos >= len(raw)
        else:
            if inflater.unconsumed_tail:
                source = inflater.unconsumed_tail
            else:
                source = bytes(raw[pos:pos + _INFLATE_STEP])
                pos += len(source)
            chunk = inflater.decompress(source, _INFLATE_STEP)
            done = inflater.eof or (not chunk and pos >= len(raw) and not inflater.unconsumed_tail)
        produced += len(chunk)
        if produced > info.file_size:
            raise ReadError(name, f"a part of the workbook inflates to more than its declared size "
                                  f"({info.file_size:,} bytes); the file is damaged or crafted and was not opened",
                            value=info.filename)
        if scan is not None:
            text = carry + chunk
            cut = text.rfind(b"</row>") + 6 if not done else len(text)
            if cut < 6 and not done:
                cut = 0
            carry = text[cut:]
            _scan_rows(name, sheet, text[:cut], scan)
            if len(carry) > 64 * _INFLATE_STEP:  # one row of 64 MiB: far beyond any real sheet
                raise ReadError(name, "a row of the sheet is too large to read", sheet=sheet)
        if done:
            break
    if produced != info.file_size:
        raise ReadError(name, f"a part of the workbook inflates to {produced:,} bytes, not the {info.file_size:,} it "
                              "declares; the file is damaged and was not opened", value=info.filename)


_ROW_EMPTY = re.compile(rb"<row\b[^>]*/>")
_CELL_WIDE = re.compile(rb'<c r="([A-Z]{2,3})\d+"[^>]*?(?<!/)>')
_CELL_REF = re.compile(rb'<c r="([A-Z]{1,3})(\d+)"[^>]*?(?<!/)>')
_CELL_BODY = re.compile(rb'<c r="([A-Z]{1,3}\d+)"[^>]*?(?<!/)>(.*?)</c>', re.S)
_CACHED = re.compile(rb"<v>[^<]+</v>")
_ERROR_CELL = re.compile(rb'<c r="([A-Z]{1,3}\d+)"[^>]*?\bt="e"')


def _scan_rows(name: str, sheet: str, text: bytes, scan: _SheetScan) -> None:
    """Update ``scan`` with whole rows of sheet XML; refuse as soon as the sheet is known to be too large."""
    if not text:
        return
    scan.rows += text.count(b"<row ") + text.count(b"<row>") - len(_ROW_EMPTY.findall(text))
    at = len(text)
    while True:  # the last cell with content (cells come in row order)
        at = text.rfind(b'<c r="', 0, at)
        if at < 0:
            break
        match = _CELL_REF.match(text, at)
        if match:
            scan.last_row = max(scan.last_row, int(match.group(2)))
            break
    for letters in set(_CELL_WIDE.findall(text)):
        scan.last_column = max(scan.last_column, _column_number(letters))
    scan.last_column = max(scan.last_column, 1 if scan.last_row else 0)
    if max(scan.rows, scan.last_row) > MAX_ROWS:
        raise ReadError(name, _too_many_rows(max(scan.rows, scan.last_row)), sheet=sheet)
    if max(scan.rows, scan.last_row) * max(scan.last_column, 1) > MAX_CELLS:
        raise ReadError(name, _too_many_cells(max(scan.rows, scan.last_row), scan.last_column), sheet=sheet)
    if b't="e"' in text and len(scan.errors) < 1000:
        scan.errors.extend(ref.decode("ascii") for ref in _ERROR_CELL.findall(text))
    if (b"<f>" in text or b"<f " in text) and len(scan.uncached) < 1000:
        for ref, body in _CELL_BODY.findall(text):
            if (b"<f>" in body or b"<f " in body) and not _CACHED.search(body):
                scan.uncached.append(ref.decode("ascii"))


def _column_number(letters: bytes) -> int:
    number = 0
    for byte in letters:
        number = number * 26 + byte - 64
    return number


def _too_many_rows(rows: int, exact: bool = False) -> str:
    return (f"{'' if exact else 'at least '}{rows:,} rows, more than the {MAX_ROWS:,} rows MedPath reads in a sheet "
            "(split the file or remove unused rows); the file was not read")


def _too_many_cells(rows: int, columns: int) -> str:
    return (f"the sheet's used area is {rows:,} rows x {columns:,} columns, more than the {MAX_CELLS:,} cells "
            "MedPath reads in a sheet (delete unused rows and columns, or cells far from the table); "
            "the file was not read")


def _read_workbook(name: str, data: bytes, scans: dict[str, _SheetScan] | None = None) -> list[RawTable]:
    try:
        workbook = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(data))
    except Exception as exc:  # calamine raises several exception types for unreadable files
        raise ReadError(name, f"the workbook cannot be opened: {_reason(exc)}") from None
    tables = []
    for sheet_name in workbook.sheet_names:
        try:
            sheet = workbook.get_sheet_by_name(sheet_name)
            if sheet.height > MAX_ROWS:
                raise ReadError(name, _too_many_rows(sheet.height, exact=True), sheet=sheet_name)
            if sheet.height * sheet.width > MAX_CELLS:
                raise ReadError(name, _too_many_cells(sheet.height, sheet.width), sheet=sheet_name)
            rows = _capped_rows(name, sheet_name, sheet.iter_rows())
            merged = sheet.merged_cell_ranges or []
        except ReadError:
            raise
        except Exception as exc:
            raise ReadError(name, f"the sheet cannot be read: {_reason(exc)}", sheet=sheet_name) from None
        notes = _fill_merged(name, sheet_name, rows, merged)
        scan = (scans or {}).get(sheet_name)
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


def _reason(exc: Exception) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return text[:200]


def _capped_rows(file: str, sheet: str | None, rows) -> list[list[object]]:
    out = []
    for row in rows:
        if len(out) >= MAX_ROWS:
            raise ReadError(file, _too_many_rows(MAX_ROWS + 1), sheet=sheet)
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
