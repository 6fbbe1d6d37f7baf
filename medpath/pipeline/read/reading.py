"""From an uploaded file's bytes to raw tables: a header and rows of cells, with Excel row numbers.

Workbooks (.xlsx, .xlsm, legacy .xls, .ods) are read with python-calamine, a Rust reader several
times faster than openpyxl; CSV files with the standard library's ``csv`` module. Everything happens
in memory: nothing the user uploaded is written to disk.

Guards, so that no upload can crash the process, exhaust memory or take minutes:

* the file's size (``MAX_FILE_BYTES``, the same 25 MiB as the app's upload limit, so the CLI is covered);
* before the reader sees a workbook, ``medpath.pipeline.guard.size_guards`` bounds what it will allocate from the file
  itself (zip parts, sheet XML, shared strings, OpenDocument repeats, legacy BIFF records) and refuses
  a file that is too large, damaged or crafted; see that module;
* every sheet is also capped while its rows are read.

Each ``RawTable`` also says what Excel hides or strikes through: hidden sheets (calamine's sheet
metadata), hidden rows and columns and struck-through rows (for .xlsx from the sheet XML's
``<row hidden="1">`` / ``<col hidden="1">`` and the styles part's struck fonts, for legacy .xls from the
BIFF ROW, COLINFO, FONT and XF records); ``medpath.pipeline.layout.layouts`` leaves them out with a finding. A sheet
whose XML is larger than ``STYLE_SCAN_MAX_BYTES``, and any .ods, is not checked, and a finding says so.

A file that cannot be read raises ``ReadError`` carrying a ``Finding`` that names the file and, where
known, the sheet. Nothing is logged and nothing is written to disk.
"""

from __future__ import annotations

import csv
import io
import itertools
import re
import struct
import xml.etree.ElementTree as ET
import zipfile
import zlib
from dataclasses import dataclass, field, replace
from operator import itemgetter
from typing import Literal

import python_calamine

from medpath.findings import Code, Finding
from medpath.gc_paused import gc_paused
from medpath.pipeline.guard.size_guards import (
    MAX_CELLS,
    MAX_COLUMNS,
    MAX_ROWS,
    MAX_TABLES,
    Refused,
    SheetScan,
    area_cells,
    check_xls,
    check_zip,
    sheet_parts,
    too_many_cells,
    too_many_rows,
    too_many_tables,
)
from medpath.pipeline.map.columns import normalise
from medpath.pipeline.map.schema import Schema

MAX_FILE_BYTES = 25 * 1024 * 1024
HEADER_SEARCH_ROWS = 30

_ZIP_MAGIC = b"PK\x03\x04"
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


class ReadError(Exception):
    """The file (or one sheet of it) cannot be read; ``finding`` says what and where."""

    def __init__(
        self, file: str, message: str, sheet: str | None = None, value: object = None, code: Code = Code.FILE_NOT_READ
    ):
        super().__init__(file, message, sheet, value, code)  # the arguments: a copy (pickle) is made the same way
        self.finding = Finding("error", file, sheet, None, None, value, message, code)

    def __str__(self) -> str:
        return self.finding.message


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
    #: the row just above the header, when it is not blank (a group row of a two-row header), else ()
    above: tuple[object, ...] = ()
    #: what Excel hides or strikes: the sheet itself, Excel row numbers, 0-based column indices
    hidden: bool = False
    hidden_rows: frozenset[int] = frozenset()
    hidden_columns: frozenset[int] = frozenset()
    struck_rows: frozenset[int] = frozenset()
    #: the rows above the header that hold a value (title rows, notes, a group row), as (Excel row, cells): a mapping
    #: profile that says where the header is (``header: {Sheet: 3}``) takes its header from them
    top: tuple[tuple[int, tuple[object, ...]], ...] = ()

    def finding(
        self,
        severity: Literal["error", "warning"],
        row: int | None,
        column: str | None,
        value: object,
        message: str,
        *,
        code: Code,
    ) -> Finding:
        """A finding about this table: its file and sheet, an Excel row and the user's column."""
        return Finding(severity, self.file, self.sheet, row, column, value, message, code)


@dataclass(frozen=True)
class Measured:
    """What the size guards found in one file before it is read: each workbook sheet's used area and special
    cells (``scans``; ``None`` for a CSV file) and the cells the file holds (``size_guards.area_cells``; for a
    CSV file its lines x the fields of its first line)."""

    scans: dict[str, SheetScan] | None
    cells: int
    #: an .xlsx workbook's hidden and struck-through rows and hidden columns (``_xlsx_styles``), taken from the
    #: sheet XML the size guard inflated (so that it is inflated once); ``None``: not taken yet
    marks: dict | None = field(default=None, compare=False, repr=False)


def measure(name: str, data: bytes) -> Measured:
    """The size guards' verdict on one file (``medpath.pipeline.guard.size_guards``), before anything is read: raises
    ``ReadError`` for a file that is empty, too large, damaged, crafted or not a workbook it claims to be."""
    with gc_paused():
        return _measure(name, data)


def read_tables(name: str, data: bytes, schema: Schema, measured: Measured | None = None) -> list[RawTable]:
    """Every table in one uploaded file, each sheet's header found with the names of ``schema`` (``measured``: the
    file's ``measure``, when already taken). Raises ``ReadError`` when the file cannot be read at all."""
    with gc_paused():
        return _read_tables(name, data, schema, measured)


def _read_tables(name: str, data: bytes, schema: Schema, measured: Measured | None) -> list[RawTable]:
    measured = measured or _measure(name, data)
    if measured.scans is not None:
        return _read_workbook(name, data, schema, measured.scans, measured.marks)
    return [_read_csv(name, data, schema)]


def _measure(name: str, data: bytes) -> Measured:
    if not data:
        raise ReadError(name, "the file is empty (0 bytes)")
    if len(data) > MAX_FILE_BYTES:
        raise ReadError(
            name,
            f"the file is {len(data) / 2**20:,.1f} MiB, more than the {MAX_FILE_BYTES / 2**20:,.0f} MiB "
            "MedPath accepts; remove unused sheets or rows, or split it",
        )
    if data.startswith(_ZIP_MAGIC):
        inflated: dict[tuple[str, int], list[bytes]] = {}
        scans = _guarded(name, lambda d: check_zip(d, inflated, STYLE_SCAN_MAX_BYTES), data)
        return Measured(scans, area_cells(scans), _xlsx_styles(data, inflated))
    if data.startswith(_OLE_MAGIC):
        if b"E\x00n\x00c\x00r\x00y\x00p\x00t\x00e\x00d\x00P\x00a\x00c\x00k\x00a\x00g\x00e" in data:
            raise ReadError(
                name,
                "the workbook is password-protected (encrypted); save an unprotected copy "
                "in Excel (File > Info > Protect Workbook) and upload that",
            )
        scans = _guarded(name, check_xls, data)
        return Measured(scans, area_cells(scans))
    if name.lower().endswith((".xlsx", ".xlsm", ".xls", ".ods")):
        raise ReadError(
            name,
            "the file is named like a spreadsheet but is not an Excel workbook "
            "(it may be damaged, or another kind of file renamed)",
        )
    return Measured(None, _csv_cells(data))


def _csv_cells(data: bytes) -> int:
    """A text file's cells, estimated without parsing it: its lines x (1 + the most frequent field separator
    among , ; tab | in its first line)."""
    first = data[: data.find(b"\n")] if b"\n" in data else data
    return (data.count(b"\n") + 1) * (1 + max(first.count(d) for d in (b",", b";", b"\t", b"|")))


def _guarded(name: str, check, data: bytes) -> dict[str, SheetScan]:
    """Run a size guard of ``medpath.pipeline.guard.size_guards``; its refusal becomes a ``ReadError`` naming the file."""
    try:
        return check(data)
    except Refused as exc:
        raise ReadError(name, exc.message, sheet=exc.sheet, value=exc.value) from None


def _reader_failure(exc: BaseException) -> bool:
    """Whether ``exc`` is the reader's way of saying a file is broken: its own exceptions, or PyO3's
    ``PanicException`` (a Rust panic), which derives from ``BaseException`` and is not importable."""
    return isinstance(exc, Exception) or type(exc).__name__ == "PanicException"


def _read_workbook(
    name: str, data: bytes, schema: Schema, scans: dict[str, SheetScan], xlsx_marks: dict | None
) -> list[RawTable]:
    try:
        workbook = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(data))
    except BaseException as exc:  # calamine raises several exception types for unreadable files
        if not _reader_failure(exc):
            raise
        raise ReadError(name, f"the workbook cannot be opened: {_reason(exc)}") from None
    if len(workbook.sheet_names) > MAX_TABLES:
        raise ReadError(name, too_many_tables(len(workbook.sheet_names), "the workbook"))
    tables = []
    hidden_sheets = _hidden_sheets(workbook)
    styles = (
        (xlsx_marks if xlsx_marks is not None else _xlsx_styles(data))
        if data.startswith(_ZIP_MAGIC)
        else _xls_marks(data)
        if data.startswith(_OLE_MAGIC)
        else None
    )
    for sheet_name in workbook.sheet_names:
        try:
            sheet = workbook.get_sheet_by_name(sheet_name)
            if sheet.height > MAX_ROWS:
                raise ReadError(name, too_many_rows(sheet.height, exact=True), sheet=sheet_name)
            if sheet.height * sheet.width > MAX_CELLS:
                raise ReadError(name, too_many_cells(sheet.height, sheet.width), sheet=sheet_name)
            rows = _capped_sheet_rows(name, sheet_name, sheet.iter_rows())
            # calamine starts each row at the first used column; pad back to column A so that column
            # indices are the sheet's own (letters in findings, merged ranges, hidden columns)
            first_column = sheet.start[1] if sheet.start else 0
            if first_column:
                rows = [[""] * first_column + row for row in rows]
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
            notes += (
                _cells_note(
                    name,
                    sheet_name,
                    scan.uncached,
                    "formula cell(s) have no saved result",
                    "The file was written by a program that does not calculate formulas; open it in "
                    "Excel and save it again, or paste the values",
                ),
            )
        if scan is not None and scan.errors:
            notes += (
                _cells_note(
                    name,
                    sheet_name,
                    scan.errors,
                    "cell(s) hold an Excel error (#DIV/0!, #N/A, ...)",
                    "Correct the formulas or enter the values",
                ),
            )
        table = _table(schema, name, sheet_name, rows, notes)
        if table is None:
            continue
        marks = styles.get(sheet_name, _ODS_SKIPPED if _ODS_KEY in styles else None) if styles is not None else None
        if marks is not None:
            table = replace(
                table, hidden_rows=marks.hidden_rows, hidden_columns=marks.hidden_columns, struck_rows=marks.struck_rows
            )
            if marks.skipped:
                table = replace(
                    table,
                    notes=(
                        *table.notes,
                        Finding(
                            "warning", name, sheet_name, None, None, None, marks.skipped, code=Code.SHEET_SKIPPED_MARKS
                        ),
                    ),
                )
        tables.append(replace(table, hidden=sheet_name in hidden_sheets))
    if not tables:
        raise ReadError(name, "the workbook has no sheet with data")
    return tables


def _hidden_sheets(workbook) -> set[str]:
    """Names of the sheets Excel does not show (hidden or "very hidden")."""
    try:
        return {m.name for m in workbook.sheets_metadata if not str(m.visible).endswith(".Visible")}
    except BaseException as exc:
        if not _reader_failure(exc):
            raise
        return set()


# --- what Excel hides or strikes through (.xlsx only) -----------------------------------------------

#: Sheet XML above this size (uncompressed) is not scanned for hidden rows and struck-through rows; a
#: finding says the check was skipped.
STYLE_SCAN_MAX_BYTES = 32 * 2**20
_SMALL_PART_BYTES = 4 * 2**20


@dataclass(frozen=True)
class SheetMarks:
    """Hidden rows (Excel numbers), hidden columns (0-based) and struck-through rows of one sheet."""

    hidden_rows: frozenset[int] = frozenset()
    hidden_columns: frozenset[int] = frozenset()
    struck_rows: frozenset[int] = frozenset()
    skipped: str | None = None


_P = r"(?:[A-Za-z_][\w.-]*:)?"  # an optional namespace prefix
_CELL = re.compile(rf"<{_P}c\b([^>]*?)(?:/>|>(.*?)</{_P}c>)", re.S)
_VALUE = re.compile(rf"<{_P}(?:v|t)\b[^>]*>\s*[^<\s]", re.S)


def _attr(attrs: str, name: str) -> str | None:
    match = re.search(rf"(?:^|\s){name}\s*=\s*[\"']([^\"']*)[\"']", attrs)
    return match.group(1) if match else None


def _true(value: str | None) -> bool:
    return value in ("1", "true")


_ODS_KEY = object()  # the key of ``_xlsx_styles``'s answer for an OpenDocument spreadsheet
_ODS_SKIPPED = SheetMarks(
    skipped="hidden rows, hidden columns and struck-through rows cannot be detected in an "
    "OpenDocument (.ods) spreadsheet; they were read like any other row (save it as "
    ".xlsx to have them checked)"
)


def _xlsx_styles(data: bytes, inflated: dict[tuple[str, int], list[bytes]] | None = None) -> dict:
    """Sheet name -> hidden rows, hidden columns and struck-through rows, read from the sheet XML and the
    styles part (both inflated from the bytes with zipfile; size guards have already bounded them).

    ``inflated``: sheet parts the size guard has already inflated (``check_zip``'s ``keep``, in pieces), used
    instead of inflating them again once zipfile has checked the part's header and the bytes match its CRC-32
    (what ``ZipFile.read`` checks); a part without the word "hidden" in a workbook without struck-through
    formats needs no look at its text, so its pieces are not even joined."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        names = set(archive.namelist())
        if "content.xml" in names and "xl/workbook.xml" not in names:
            return {_ODS_KEY: _ODS_SKIPPED}
        parts = sheet_parts(archive, _SMALL_PART_BYTES)
        struck_styles = _struck_styles(archive)
    except Exception:
        return {}
    out = {}
    for part, sheet in parts.items():
        try:
            info = archive.getinfo(part)
        except KeyError:
            continue
        if info.file_size > STYLE_SCAN_MAX_BYTES:
            out[sheet] = SheetMarks(
                skipped=f"the sheet is too large ({info.file_size / 2**20:,.0f} MiB of XML) to be "
                "checked for hidden rows, hidden columns and struck-through rows; they "
                "were read like any other row"
            )
            continue
        try:
            pieces = inflated.get((info.filename, info.header_offset)) if inflated else None
            if not struck_styles and pieces is not None and not any(b"hidden" in piece for piece in pieces):
                out[sheet] = SheetMarks()  # nothing hidden, nothing struck: no text to read
                continue
            raw = _part_bytes(archive, info, inflated)
            if not struck_styles and b"hidden" not in raw:
                out[sheet] = SheetMarks()
                continue
            out[sheet] = _sheet_marks(raw.decode("utf-8", "replace"), struck_styles)
        except Exception:
            continue
    return out


def _part_bytes(
    archive: zipfile.ZipFile, info: zipfile.ZipInfo, inflated: dict[tuple[str, int], list[bytes]] | None
) -> bytes:
    """A part's bytes: the size guard's copy when it has one (after zipfile's own checks of the part's local
    header, encryption flag and CRC-32, so that whatever ``ZipFile.read`` refuses is refused alike), else
    ``ZipFile.read``."""
    pieces = inflated.get((info.filename, info.header_offset)) if inflated else None
    raw = None if pieces is None else b"".join(pieces)
    if raw is None or len(raw) != info.file_size:
        return archive.read(info)
    with archive.open(info):  # checks the local header (name, encryption) as read() does
        pass
    if zlib.crc32(raw) != info.CRC:
        return archive.read(info)  # raises as zipfile does
    return raw


def _struck_styles(archive: zipfile.ZipFile) -> frozenset[int]:
    """Indices of the cell formats (cellXfs) whose font is struck through."""
    name = "xl/styles.xml"
    if name not in archive.namelist() or archive.getinfo(name).file_size > _SMALL_PART_BYTES:
        return frozenset()
    root = ET.fromstring(archive.read(name))
    struck_fonts, xf_fonts = set(), []
    for child in root:
        tag = child.tag.rsplit("}", 1)[-1]
        if tag == "fonts":
            for i, font in enumerate(child):
                strike = next((e for e in font if e.tag.rsplit("}", 1)[-1] == "strike"), None)
                if strike is not None and strike.get("val", "1") not in ("0", "false"):
                    struck_fonts.add(i)
        elif tag == "cellXfs":
            xf_fonts = [int(xf.get("fontId", "0")) for xf in child]
    return frozenset(i for i, font in enumerate(xf_fonts) if font in struck_fonts)


_XLS_SKIPPED = (
    "the legacy .xls workbook could not be checked for hidden rows, hidden columns and struck-through "
    "rows; they were read like any other row (save it as .xlsx to have them checked)"
)


def _xls_marks(data: bytes) -> dict[str, SheetMarks]:
    """Hidden rows and columns and struck-through rows of a legacy .xls, from its BIFF8 records (MS-XLS:
    ROW 2.4.221 fDyZero, COLINFO 2.4.53 fHidden, FONT 2.4.122 fStrikeOut, XF 2.4.353 ifnt, and the
    cell records' ixfe). The size guard has already bounded the stream."""
    try:
        import olefile

        ole = olefile.OleFileIO(io.BytesIO(data))
        stream_name = next((n for n in ("Workbook", "Book") if ole.exists(n)), None)
        stream = ole.openstream(stream_name).read() if stream_name else b""
    except Exception:
        return {}
    try:
        return _biff_marks(stream)
    except Exception:
        return {}


def _biff_records(stream: bytes, offset: int):
    while offset + 4 <= len(stream):
        kind, size = struct.unpack_from("<HH", stream, offset)
        yield kind, stream[offset + 4 : offset + 4 + size]
        offset += 4 + size


_BIFF_CELLS = frozenset({0x00FD, 0x0203, 0x027E, 0x0204, 0x0205, 0x0006})  # LABELSST NUMBER RK LABEL BOOLERR FORMULA


def _biff_marks(stream: bytes) -> dict[str, SheetMarks]:
    fonts, xf_fonts, sheets = [], [], []
    for kind, payload in _biff_records(stream, 0):
        if kind == 0x000A:  # EOF of the globals
            break
        if kind == 0x0031 and len(payload) >= 4:  # FONT
            fonts.append(bool(struct.unpack_from("<H", payload, 2)[0] & 0x0008))
            if len(fonts) == 4:
                fonts.append(False)  # font index 4 is never written (MS-XLS 2.5.129)
        elif kind == 0x00E0 and len(payload) >= 2:  # XF
            xf_fonts.append(struct.unpack_from("<H", payload)[0])
        elif kind == 0x0085 and len(payload) >= 8:  # BOUNDSHEET8
            offset = struct.unpack_from("<I", payload)[0]
            length, flags = payload[6], payload[7]
            raw = payload[8 : 8 + (length * 2 if flags & 1 else length)]
            sheets.append((offset, raw.decode("utf-16-le" if flags & 1 else "latin-1", "replace")))
    struck_xf = {i for i, f in enumerate(xf_fonts) if f < len(fonts) and fonts[f]}
    out = {}
    for offset, name in sheets:
        hidden_columns: set[int]
        styles: dict[int, list[bool]]
        hidden_rows, hidden_columns, styles = set(), set(), {}
        depth = 0
        for kind, payload in _biff_records(stream, offset):
            if kind == 0x0809:  # BOF
                depth += 1
            elif kind == 0x000A:
                depth -= 1
                if depth <= 0:
                    break
            elif depth != 1:
                continue
            elif kind == 0x0208 and len(payload) >= 14:  # ROW
                if struct.unpack_from("<H", payload, 12)[0] & 0x0020:
                    hidden_rows.add(struct.unpack_from("<H", payload)[0] + 1)
            elif kind == 0x007D and len(payload) >= 10:  # COLINFO
                first, last = struct.unpack_from("<HH", payload)
                if struct.unpack_from("<H", payload, 8)[0] & 0x0001:
                    hidden_columns.update(range(first, min(last, 16383) + 1))
            elif kind in _BIFF_CELLS and len(payload) >= 6:
                row, _, xf = struct.unpack_from("<HHH", payload)
                styles.setdefault(row + 1, []).append(xf in struck_xf)
            elif kind == 0x00BD and len(payload) >= 6:  # MULRK
                row = struct.unpack_from("<H", payload)[0]
                for k in range(4, len(payload) - 2, 6):
                    styles.setdefault(row + 1, []).append(struct.unpack_from("<H", payload, k)[0] in struck_xf)
        struck = {r for r, flags in styles.items() if flags and all(flags)}
        out[name] = SheetMarks(frozenset(hidden_rows), frozenset(hidden_columns), frozenset(struck))
    return out


def _sheet_marks(xml: str, struck_styles: frozenset[int]) -> SheetMarks:
    """Hidden columns and rows and struck-through rows of one sheet's XML. Only the tags that can say
    so are looked at, after a literal search for them, so a large sheet without marks costs little."""
    prefix = "" if "<sheetData" in xml else _P  # Excel writes no namespace prefixes; other writers may
    data_at = xml.find("sheetData")
    head = xml[:data_at] if data_at >= 0 else xml
    hidden_columns: set[int] = set()
    if "hidden" in head:
        for match in re.finditer(rf"<{prefix}col\b([^>]*?)/?>", head):
            attrs = match.group(1)
            if _true(_attr(attrs, "hidden")):
                low, high = int(_attr(attrs, "min") or 0), int(_attr(attrs, "max") or 0)
                hidden_columns.update(range(max(low, 1) - 1, min(high, 16384)))
    hidden_rows = set()
    if re.search(r"hidden\s*=\s*[\"'](?:1|true)", xml[max(data_at, 0) :]):
        pattern = re.compile(rf"<{prefix}row\b[^>]*?\shidden\s*=\s*[\"'](?:1|true)[\"']")
        hidden_rows = {_row_number(xml, m.start()) for m in pattern.finditer(xml)}
    struck_rows = set()
    if struck_styles:
        styled = re.compile(rf"<{prefix}c\b[^>]*?\ss\s*=\s*[\"'](?:{'|'.join(map(str, sorted(struck_styles)))})[\"']")
        checked = set()
        for match in styled.finditer(xml):
            start = _row_start(xml, match.start())
            if start < 0 or start in checked:
                continue
            checked.add(start)
            end = xml.find("row>", match.start())
            body = xml[start : end if end >= 0 else len(xml)]
            styles = [
                int(_attr(c.group(1), "s") or 0)
                for c in _CELL.finditer(body)
                if c.group(2) and _VALUE.search(c.group(2))
            ]
            if styles and all(x in struck_styles for x in styles):
                struck_rows.add(_row_number(xml, start))
    return SheetMarks(frozenset(hidden_rows), frozenset(hidden_columns), frozenset(struck_rows))


_ROW_START = re.compile(rf"<{_P}row\b([^>]*)>")


def _row_start(xml: str, pos: int) -> int:
    """Where the row tag holding position ``pos`` starts (-1 if none), with or without a namespace prefix."""
    plain = xml.rfind("<row", 0, pos)
    colon = xml.rfind(":row", 0, pos)
    if colon > plain:
        opening = xml.rfind("<", 0, colon)
        if opening >= 0 and re.fullmatch(r"<[A-Za-z_][\w.-]*", xml[opening:colon]):
            return opening
    return plain


def _row_number(xml: str, start: int) -> int:
    """The Excel number of the row whose tag starts at ``start`` (its r attribute, else by counting)."""
    match = _ROW_START.match(xml, start)
    number = _attr(match.group(1), "r") if match else None
    if number is not None:
        return int(number)
    return len(_ROW_START.findall(xml, 0, start)) + 1


def _cells_note(file: str, sheet: str, cells: list[str], what: str, advice: str) -> Finding:
    """One warning for cells that were read as empty, naming them (the first 20)."""
    shown = ", ".join(cells[:20]) + (f" and {len(cells) - 20:,} more" if len(cells) > 20 else "")
    first_row = int(re.sub(r"^[A-Z]+", "", cells[0]))
    return Finding(
        "warning",
        file,
        sheet,
        first_row,
        None,
        shown,
        f"{len(cells):,} {what} and were read as empty: {shown}. {advice}",
        code=Code.CELLS_READ_EMPTY,
    )


def _reason(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return text[:200]


def _capped_sheet_rows(file: str, sheet: str | None, rows) -> list[list[object]]:
    """A read sheet's rows as ``_capped_rows`` gives them: taken in one go (at most ``MAX_ROWS`` + 1), then
    looked at row by row only when some row is wider than ``MAX_COLUMNS``."""
    rows = iter(rows)
    out = list(itertools.islice(rows, MAX_ROWS + 1))
    if not out or max(map(len, out)) <= MAX_COLUMNS:
        if len(out) > MAX_ROWS:
            raise ReadError(file, too_many_rows(MAX_ROWS + 1), sheet=sheet)
        return out
    return _capped_rows(file, sheet, itertools.chain(out, rows))


def _capped_rows(file: str, sheet: str | None, rows) -> list[list[object]]:
    """The rows, at most ``MAX_ROWS`` of them, each cut to ``MAX_COLUMNS`` cells (a row with a value beyond
    them refused)."""
    out: list[list[object]] = []
    for row in rows:
        if len(out) >= MAX_ROWS:
            raise ReadError(file, too_many_rows(MAX_ROWS + 1), sheet=sheet)
        if len(row) > MAX_COLUMNS:
            row = _cap_columns(file, sheet, row)
        out.append(row)
    return out


def _cap_columns(file: str, sheet: str | None, row: list[object]) -> list[object]:
    if any(cell not in ("", None) for cell in row[MAX_COLUMNS:]):
        raise ReadError(
            file, f"more than {MAX_COLUMNS} columns in use; MedPath reads at most {MAX_COLUMNS}", sheet=sheet
        )
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
        notes.append(
            Finding(
                "warning",
                file,
                sheet,
                r0 + 1,
                None,
                value,
                f"merged cells {_cell(r0, c0)}:{_cell(r1, c1)} were read as each holding the value of {_cell(r0, c0)}",
                code=Code.CELLS_MERGED,
            )
        )
    return tuple(notes)


def _cell(row: int, col: int) -> str:
    letters = ""
    col += 1
    while col:
        col, rem = divmod(col - 1, 26)
        letters = chr(65 + rem) + letters
    return f"{letters}{row + 1}"


def _read_csv(name: str, data: bytes, schema: Schema) -> RawTable:
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
    table = _table(schema, name, None, rows, ())
    if table is None:
        raise ReadError(name, "the CSV file has no rows")
    return table


def _header_score(schema: Schema, row: list[object]) -> int:
    names = [normalise(c) for c in row if isinstance(c, str) and c.strip()]
    known, prefixes = schema.known_names, schema.wide_prefixes
    return sum(1 for n in names if n in known or _is_wide_outcome(prefixes, n))


def _is_wide_outcome(prefixes: tuple[str, ...], key: str) -> bool:
    """Whether the name starts with an outcome alias of over 2 letters (``prefixes``: ``Schema.wide_prefixes``) and
    goes on ("vasm6"): an alias that is a proper prefix of the name is a prefix of the name without its last
    letter."""
    return key[:-1].startswith(prefixes)


def _table(schema: Schema, file: str, sheet: str | None, rows: list[list[object]], notes) -> RawTable | None:
    """Find the header (the best-matching of the first rows: title rows above it are skipped)."""
    nonblank = []  # the first rows with a value: where the header is looked for
    for i, row in enumerate(rows):
        if _has_value(row):
            nonblank.append(i)
            if len(nonblank) == HEADER_SEARCH_ROWS:
                break
    if not nonblank:
        return None
    candidates = nonblank[:HEADER_SEARCH_ROWS]
    scores = [_header_score(schema, rows[i]) for i in candidates]
    best = max(range(len(candidates)), key=lambda k: (scores[k], -k))
    h = candidates[best] if scores[best] > 0 else nonblank[0]
    header = [str(c).strip() if not _blank(c) else "" for c in rows[h]]
    while header and header[-1] == "":
        header.pop()
    width = len(header)
    # the rows are kept as wide as the widest row where a header was looked for (every row's cells when no header
    # was recognised), so that a mapping profile naming another header row (wider than the one found) has its columns
    span = max(width, *(_width(rows[i]) for i in candidates)) if scores[best] > 0 else max(map(len, rows))
    body_rows, body_numbers = _body(rows, h, span)
    unnamed = unnamed_note(file, sheet, h + 1, header, rows[h + 1 :])
    if unnamed:
        notes = (*notes, unnamed)
    above = tuple(rows[h - 1][:width]) if h > 0 and _has_value(rows[h - 1]) else ()
    top = tuple((i + 1, tuple(rows[i][:span])) for i in candidates if i < h)
    return RawTable(file, sheet, header, body_rows, body_numbers, h + 1, tuple(notes), above, top=top)


def unnamed_note(
    file: str, sheet: str | None, header_row: int, header: list[str], rows: list[list[object]]
) -> Finding | None:
    """A warning naming the columns that hold values under no header (they are not read), or None."""
    unnamed = _unnamed_columns(header, rows)
    if not unnamed:
        return None
    letters = ", ".join(_cell(0, c)[:-1] for c in unnamed[:20])
    return Finding(
        "warning",
        file,
        sheet,
        header_row,
        None,
        letters,
        f"column(s) {letters} hold values but have no header; they were not read",
        code=Code.COLUMNS_UNNAMED,
    )


def _width(row: list[object]) -> int:
    """The cells of a row up to its last one with a value."""
    return next((k + 1 for k in range(len(row) - 1, -1, -1) if not _blank(row[k])), 0)


def _body(rows: list[list[object]], h: int, width: int) -> tuple[list[list[object]], list[int]]:
    """The cells under the header (the first ``width`` of each row) and the Excel row numbers of the rows below
    the header ``rows[h]`` that have a value. A row whose first cell is not blank has one: the first cells are
    judged once per distinct value, and only the other rows are looked at cell by cell."""
    below = rows[h + 1 :]
    if max(map(len, below), default=0) > width:  # cut to the header's width (else each row is kept as it is)
        below = [row[:width] for row in below]
    numbers = range(h + 2, h + 2 + len(below))
    try:
        firsts = list(map(itemgetter(0), below))
        filled = {cell for cell in set(firsts) if not _blank(cell)}
    except (IndexError, TypeError):  # an empty row, or an unhashable cell
        kept = [(n, cells) for n, cells in zip(numbers, below) if _has_value(cells)]
        return [cells for _, cells in kept], [n for n, _ in kept]
    flags = list(map(filled.__contains__, firsts))
    if all(flags):
        return below, list(numbers)
    for pos, first_filled in enumerate(flags):
        if not first_filled:
            flags[pos] = _has_value(below[pos])
    return list(itertools.compress(below, flags)), list(itertools.compress(numbers, flags))


def _unnamed_columns(header: list[str], rows: list[list[object]]) -> list[int]:
    """Indexes of columns with a value in some row but no header: only the cells right of the header and
    under its blank cells are looked at (one slice per row), not every cell of the sheet."""
    width = len(header)
    gaps = [c for c, name in enumerate(header) if not name]
    if not gaps and (not rows or max(map(len, rows)) <= width):
        return []  # no cell right of the header or under a blank header cell
    found: set[int] = set()
    for row in rows:
        if len(row) > width:
            found.update(width + c for c, cell in enumerate(row[width:]) if not _blank(cell))
        found.update(c for c in gaps if c < len(row) and not _blank(row[c]))
    return sorted(found)


def _has_value(row: list[object]) -> bool:
    """Whether any cell of the row is not blank (the same test as ``_blank``, without a call per cell)."""
    for cell in row:
        if cell is None:
            continue
        if cell.__class__ is str:
            if cell and not cell.isspace():
                return True
            continue
        return True
    return False


def _blank(cell: object) -> bool:
    return cell is None or (isinstance(cell, str) and not cell.strip())
