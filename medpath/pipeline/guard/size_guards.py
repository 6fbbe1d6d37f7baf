"""What a workbook will cost to read, bounded from the file itself before the reader allocates anything.

python-calamine (the Rust reader behind ``medpath.pipeline.read.reading``) lays every sheet out densely: from the
cells with content it takes the highest row and column and allocates rows x columns cells
(``Range::from_sparse``). A 5 KB file with one cell in A1 and one in XFD1048576 therefore asks for
~549 GB, and a failed Rust allocation aborts the whole server process — no ``try`` can catch it. The
same holds for a shared-string table that declares a huge ``uniqueCount`` (the reader reserves that
many strings), a legacy .xls whose DIMENSIONS record or cell records point far away, and an
OpenDocument sheet whose ``number-rows-repeated`` / ``number-columns-repeated`` expand a few bytes
into millions of cells.

So this module parses — not pattern-matches — the parts that decide those sizes, the way the reader
will read them, and refuses a file whose sheets would exceed ``MAX_ROWS`` rows, ``MAX_COLUMNS``
columns or ``MAX_CELLS`` cells, before the reader sees it:

* .xlsx / .xlsm: every XML part is inflated once, in 1 MiB steps, never past its declared size (a
  zip bomb or a part lying about its size is refused); in each, every ``c`` (cell) start tag is found
  whatever its namespace prefix, attribute order, quoting or white space, and its position is taken
  from its ``r`` attribute as the reader does (letters then digits, either case). Cells written
  without ``r`` take implicit positions; those are bounded conservatively by the number of rows and
  cells written. The common form that Excel, LibreOffice and openpyxl write (``<c r="B7"``, ``r``
  first, double quotes) is counted with fast byte searches, and a 1 MiB piece of XML falls back to
  the general tag parser only where that count does not account for every cell tag in it. Shared
  strings: ``uniqueCount`` is bounded. Binary .xlsb parts are refused (save as .xlsx).
* .ods: ``content.xml`` is parsed with expat (namespace-aware), expanding repeated rows and columns
  arithmetically — never cell by cell — into the used area the reader will allocate.
* .xls: the OLE compound file is opened with ``olefile``, and the BIFF8 records of every sheet
  substream are walked: the DIMENSIONS record (the reader reserves its area) and every cell record
  (NUMBER, RK, MULRK, LABEL, LABELSST, RSTRING, BOOLERR, FORMULA) bound the area.

The formula cells without a saved result and the Excel error cells of an .xlsx are collected in the
same pass (the reader shows them as empty; ``medpath.pipeline.read.reading`` warns about them).

A refusal raises ``Refused`` with a message that says what is too large and what to do.
"""

from __future__ import annotations

import io
import re
import struct
import xml.etree.ElementTree as ET
import xml.parsers.expat
import zipfile
import zlib
from dataclasses import dataclass, field
from typing import NamedTuple

import numpy

MAX_ROWS = 200_000
MAX_COLUMNS = 300
#: Cells of a sheet's used area (rows x columns, empty ones included): about 0.2 GiB once read.
MAX_CELLS = 6_000_000
MAX_UNCOMPRESSED_BYTES = 300 * 1024 * 1024
#: Distinct shared strings a workbook may declare (the reader reserves room for all of them).
MAX_SHARED_STRINGS = 4_000_000
#: XML elements in an OpenDocument content part (each is one parser callback).
MAX_ODS_ELEMENTS = 8_000_000
#: Sheets of one workbook, and tables of one upload, MedPath reads (each table is validated and compared with the
#: others: about 10 ms apiece; a real study has a handful).
MAX_TABLES = 200
_INFLATE_STEP = 1024 * 1024
_ZIP_MAGIC = b"PK\x03\x04"
DAMAGED_ZIP = "the file looks like an .xlsx workbook but its zip structure is damaged"


#: Memory one upload (all its files together) may take to be read, validated and analysed: an upload whose
#: estimate (``upload_memory``) is larger is refused before any of its files is read. Chosen from bench/bench.py:
#: the whole ``summary --json`` process peaks at ~230 MB at 50,000 visit rows (0.43 M cells) and ~380 MB at
#: 150,000 (1.28 M cells), i.e. ~180 bytes per cell of the sheets' used areas above a ~160 MB process; so one
#: plausible upload stays well inside it, and a server can hold a few uploads at once.
UPLOAD_MEMORY_BUDGET = 1_500_000_000
#: The estimate per cell of a sheet's used area (empty cells included: the reader lays sheets out densely) and
#: for the process itself, with a margin over the measured ~180 bytes and ~160 MB (text cells cost more).
BYTES_PER_CELL = 250
BASE_BYTES = 200_000_000


def upload_memory(cells: int) -> int:
    """The estimated peak memory (bytes) of reading, validating and analysing an upload of ``cells`` cells."""
    return BASE_BYTES + cells * BYTES_PER_CELL


def cells_left(cells_so_far: int) -> int:
    """How many more cells an upload whose files so far hold ``cells_so_far`` may hold within the budget."""
    return max((UPLOAD_MEMORY_BUDGET - BASE_BYTES) // BYTES_PER_CELL - cells_so_far, 0)


def over_budget(cells: dict[str, int]) -> str | None:
    """Why an upload whose files have these used areas (file name -> cells of all its sheets) is refused, or
    ``None`` when its estimated memory is within ``UPLOAD_MEMORY_BUDGET``."""
    total = sum(cells.values())
    need = upload_memory(total)
    if need <= UPLOAD_MEMORY_BUDGET:
        return None
    largest = sorted(cells.items(), key=lambda item: -item[1])
    each = "; ".join(f"'{name}': {n:,} cells" for name, n in largest[:5]) + (
        f"; and {len(largest) - 5} more file(s)" if len(largest) > 5 else ""
    )
    return (
        f"the upload is too large to analyse: its sheets' used areas hold {total:,} cells ({each}), which would "
        f"take about {need / 1e9:,.1f} GB of memory, more than the {UPLOAD_MEMORY_BUDGET / 1e9:,.1f} GB MedPath "
        f"allows one upload (about {(UPLOAD_MEMORY_BUDGET - BASE_BYTES) // BYTES_PER_CELL:,} cells); nothing was "
        "analysed. Upload fewer files, delete unused sheets, rows and columns (and stray cells far from the tables), "
        "or split the study into smaller uploads"
    )


def area_cells(scans: dict[str, SheetScan]) -> int:
    """Cells of the used areas of a workbook's sheets (rows x columns, as the reader allocates them)."""
    return sum(scan.last_row * scan.last_column for scan in scans.values())


class Refused(Exception):
    """The file would be too large or is damaged; ``sheet`` and ``value`` say where, if known."""

    def __init__(self, message: str, sheet: str | None = None, value: object = None):
        super().__init__(message)
        self.message, self.sheet, self.value = message, sheet, value


@dataclass
class SheetScan:
    """The used area of one sheet (1-based last row and column with content) and its special cells."""

    last_row: int = 0
    last_column: int = 0
    uncached: list[str] = field(default_factory=list)  # formula cells without a saved result, e.g. "C2"
    errors: list[str] = field(default_factory=list)  # cells holding an Excel error (#DIV/0!, #N/A, ...)


def too_many_rows(rows: int, exact: bool = False) -> str:
    return (
        f"{'' if exact else 'at least '}{rows:,} rows, more than the {MAX_ROWS:,} rows MedPath reads in a sheet "
        "(split the file or remove unused rows); the file was not read"
    )


def too_many_cells(rows: int, columns: int) -> str:
    return (
        f"the sheet's used area is {rows:,} rows x {columns:,} columns, more than the {MAX_CELLS:,} cells "
        "MedPath reads in a sheet (delete unused rows and columns, or cells far from the table); "
        "the file was not read"
    )


def too_many_columns(columns: int) -> str:
    return (
        f"more than {MAX_COLUMNS} columns in use (a cell in column {columns:,}); MedPath reads at most "
        f"{MAX_COLUMNS} columns in a sheet (delete cells far to the right of the table); the file was not read"
    )


def too_many_tables(tables: int, what: str) -> str:
    return (
        f"{what} has {tables:,} sheets or tables, more than the {MAX_TABLES} MedPath reads in one upload; keep the "
        "study's sheets in one workbook and delete the others (or split the upload); nothing was read"
    )


def check_area(rows: int, columns: int, sheet: str | None) -> None:
    """Refuse a used area of ``rows`` x ``columns`` over the limits."""
    if rows > MAX_ROWS:
        raise Refused(too_many_rows(rows), sheet=sheet)
    if rows * columns > MAX_CELLS:
        raise Refused(too_many_cells(rows, columns), sheet=sheet)
    if columns > MAX_COLUMNS:
        raise Refused(too_many_columns(columns), sheet=sheet)


# --- zip containers (.xlsx, .xlsm, .ods) ------------------------------------------------------------


def check_zip(
    data: bytes, keep: dict[tuple[str, int], list[bytes]] | None = None, keep_max: int = 0
) -> dict[str, SheetScan]:
    """Refuse a zip bomb, a part lying about its size, or a sheet too large; return each sheet's scan.

    ``keep``: when given, the inflated bytes of every worksheet part named in the workbook and of at most
    ``keep_max`` bytes are stored in it, keyed by (part name, offset of its local header), so that a later
    reader of the same parts (``medpath.pipeline.read.reading``'s hidden and struck-through rows) need not inflate them
    again: as the pieces the scanner was fed (in order; each ends just before a '<', so no word without a '<'
    is ever cut in two), joined only by a reader that needs the whole part."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        infos = archive.infolist()
    except (zipfile.BadZipFile, ValueError, struct.error, OSError):
        raise Refused(DAMAGED_ZIP) from None
    total = sum(info.file_size for info in infos)
    if total > MAX_UNCOMPRESSED_BYTES:
        raise Refused(
            f"the workbook would unpack to {total / 2**20:,.0f} MiB, more than the "
            f"{MAX_UNCOMPRESSED_BYTES / 2**20:,.0f} MiB MedPath accepts; it was not opened"
        )
    bad = [i.filename for i in infos if i.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED)]
    if bad:
        raise Refused(
            "the workbook uses a zip compression method that Excel does not write; it was not opened", value=bad[0]
        )
    parts = [part_name(i.filename) for i in infos]
    if len(set(parts)) != len(parts):
        raise Refused(
            "the workbook holds two parts whose names differ only in case or in '\\' for '/'; the file is damaged "
            "or crafted and was not opened",
            value=next(p for p in parts if parts.count(p) > 1),
        )
    binary = [p for p in parts if p.endswith(".bin") and ("sheet" in p or "workbook" in p)]
    if binary or ("_rels/.rels" not in parts and "content.xml" not in parts and any(p.endswith(".bin") for p in parts)):
        raise Refused(
            "this is a binary Excel workbook (.xlsb), which MedPath does not read; save it in Excel as "
            "'Excel Workbook (.xlsx)' and upload that"
        )
    names = sheet_parts(archive)
    scans: dict[str, SheetScan] = {}
    for info, lower in zip(infos, parts):
        sheet = names.get(info.filename, info.filename)
        if lower == "content.xml":
            scanner: _PartScanner | None = _OdsScanner()
        elif lower.endswith("sharedstrings.xml"):
            scanner = _SharedStringsScanner()
        elif not lower.endswith(_MEDIA):
            # every other part may be a sheet to the reader, whatever its name or folder (a relationship can point
            # anywhere): scanned as one
            scanner = _XlsxSheetScanner(sheet)
        else:
            scanner = None
        kept: list[bytes] | None = (
            [] if keep is not None and info.filename in names and info.file_size <= keep_max else None
        )
        try:
            _inflate_part(data, info, scanner, kept)
        except (zlib.error, struct.error, ValueError, OSError):
            raise Refused(DAMAGED_ZIP, value=info.filename) from None
        if kept is not None and keep is not None:
            keep[info.filename, info.header_offset] = kept
        if isinstance(scanner, _XlsxSheetScanner) and (scanner.scan.last_row or scanner.scan.uncached):
            scans[sheet] = scanner.scan
        elif isinstance(scanner, _OdsScanner):
            scans.update(scanner.sheets)
    return scans


#: Parts that are pictures or sounds, never read as sheets (every other part is scanned as one).
_MEDIA = (".png", ".jpg", ".jpeg", ".gif", ".bmp", ".tif", ".tiff", ".emf", ".wmf", ".wdp", ".svg", ".wav", ".mp3")


def part_name(name: str) -> str:
    """A zip entry's name as the reader matches it: '\\' read as '/', any case, no leading '/'."""
    return name.replace("\\", "/").lower().lstrip("/")


def sheet_parts(archive: zipfile.ZipFile, limit: int = 16 * 2**20) -> dict[str, str]:
    """Zip part name -> sheet name, from xl/workbook.xml and its relationships (empty if unreadable, or if
    either part is over ``limit`` bytes).

    The size guards use it only to name sheets in messages: every XML part under xl/ is scanned whether
    or not it is named here. ElementTree (expat) neither fetches external entities nor expands entities
    without limit."""
    try:
        names = set(archive.namelist())
        wanted = ("xl/workbook.xml", "xl/_rels/workbook.xml.rels")
        if not all(n in names for n in wanted) or max(archive.getinfo(n).file_size for n in wanted) > limit:
            return {}
        targets = {}
        for rel in ET.fromstring(archive.read(wanted[1])).iter():
            target = rel.get("Target")
            if rel.tag.endswith("Relationship") and rel.get("Id") and target:
                targets[rel.get("Id")] = target.lstrip("/") if target.startswith("/") else "xl/" + target
        parts = {}
        for sheet in ET.fromstring(archive.read(wanted[0])).iter():
            if sheet.tag.endswith("}sheet"):
                rid = next((v for k, v in sheet.attrib.items() if k.endswith("}id")), None)
                sheet_name = sheet.get("name")
                if rid in targets and sheet_name is not None:
                    parts[targets[rid]] = sheet_name
        return parts
    except Exception:  # a damaged workbook part: the reader will say so when it opens the file
        return {}


class _PartScanner:
    """Receives an XML part in pieces that end just before a '<' (XML allows no '<' inside a tag, so no
    tag is ever cut in two), then ``finish``."""

    def feed(self, piece: bytes) -> None:
        raise NotImplementedError

    def finish(self) -> None:
        """Called once after the last piece."""


def _inflate_part(
    data: bytes, info: zipfile.ZipInfo, scanner: _PartScanner | None, kept: list[bytes] | None = None
) -> None:
    """Inflate one part from the raw bytes, never past its declared size + 1 byte, feeding ``scanner`` (and
    appending the pieces it is fed, or without a scanner the inflated chunks, to ``kept``, if given)."""
    start = info.header_offset
    if data[start : start + 4] != _ZIP_MAGIC:
        raise Refused(DAMAGED_ZIP, value=info.filename)
    name_len, extra_len = struct.unpack("<HH", data[start + 26 : start + 30])
    begin = start + 30 + name_len + extra_len
    raw = memoryview(data)[begin : begin + info.compress_size]
    inflater = zlib.decompressobj(-zlib.MAX_WBITS) if info.compress_type == zipfile.ZIP_DEFLATED else None
    produced, pos, carry = 0, 0, b""
    while True:
        if inflater is None:
            chunk = bytes(raw[pos : pos + _INFLATE_STEP])
            pos += len(chunk)
            done = pos >= len(raw)
        else:
            if inflater.unconsumed_tail:
                source = inflater.unconsumed_tail
            else:
                source = bytes(raw[pos : pos + _INFLATE_STEP])
                pos += len(source)
            chunk = inflater.decompress(source, _INFLATE_STEP)
            done = inflater.eof or (not chunk and pos >= len(raw) and not inflater.unconsumed_tail)
        produced += len(chunk)
        if produced > info.file_size:
            raise Refused(
                f"a part of the workbook inflates to more than its declared size ({info.file_size:,} "
                "bytes); the file is damaged or crafted and was not opened",
                value=info.filename,
            )
        if kept is not None and scanner is None:
            kept.append(chunk)
        if scanner is not None:
            text = carry + chunk
            cut = len(text) if done else max(text.rfind(b"<"), 0)
            carry = text[cut:]
            if len(carry) > 16 * _INFLATE_STEP:  # 16 MiB without a tag: no real sheet part looks like this
                raise Refused(
                    "a part of the workbook holds a tag too large to read; the file was not opened", value=info.filename
                )
            if cut:
                piece = text[:cut]
                if _long_text(piece):
                    raise Refused(
                        "a cell holds a text longer than Excel allows (32,767 characters); the file is damaged or "
                        "crafted and was not opened",
                        value=info.filename,
                    )
                scanner.feed(piece)
                if kept is not None:
                    kept.append(piece)
        if done:
            break
    if produced != info.file_size:
        raise Refused(
            f"a part of the workbook inflates to {produced:,} bytes, not the {info.file_size:,} it "
            "declares; the file is damaged and was not opened",
            value=info.filename,
        )
    if scanner is not None:
        scanner.finish()


#: A run of this many bytes with no '<' holds more text than one cell can: Excel's 32,767 characters are at most
#: 131,068 bytes of UTF-8. A reader copies a text once per cell that refers to it, so long texts are what turn a
#: small file into gigabytes.
_TEXT_BLOCK = 128 * 1024


def _long_text(piece: bytes) -> bool:
    """Whether an aligned block of ``_TEXT_BLOCK`` bytes of ``piece`` has no '<': true for every run of text of
    twice that length or more, never for one shorter than a block (a byte search per block, no copy)."""
    return any(
        piece.find(b"<", start, start + _TEXT_BLOCK) < 0
        for start in range(0, len(piece) - _TEXT_BLOCK + 1, _TEXT_BLOCK)
    )


# --- .xlsx worksheets --------------------------------------------------------------------------------

_QUOTED_ATTRS = rb"""((?:[^>"']|"[^"]*"|'[^']*')*)"""
#: Any cell or row tag, whatever its prefix, attributes, quoting and white space.
_ANY_TAG = re.compile(rb"<(/?)(?:[A-Za-z_][\w.\-]*:)?(c|row)(?=[\s/>])" + _QUOTED_ATTRS + rb">")
_ATTRIBUTE = re.compile(rb"""([^\s=/]+)\s*=\s*(?:"([^"]*)"|'([^']*)')""")
_REF = re.compile(rb"([A-Za-z]*)([0-9]+)")
#: The form Excel, LibreOffice and openpyxl write: ``r`` first, double quotes, capital letters.
_CANONICAL_CELL_ROW = re.compile(rb'<c r="[A-Z]{1,3}([0-9]{1,7})"(?=[\s/>])')
_CANONICAL_CELL_LETTERS = re.compile(rb'<c r="([A-Z]{1,3})[0-9]{1,7}"(?=[\s/>])')
_CANONICAL_ROW = re.compile(rb'<row r="([0-9]{1,7})"(?=[\s/>])')
_PREFIXED = re.compile(rb"<[A-Za-z_][\w.\-]*:(?:c|row)[\s/>]")
_TAG_STARTS = (b"<c ", b"<c>", b"<c/", b"<c\t", b"<c\n", b"<c\r")
_ROW_STARTS = (b"<row ", b"<row>", b"<row/", b"<row\t", b"<row\n", b"<row\r")

_CELL_BODY = re.compile(rb'<c r="([A-Z]{1,3}[0-9]+)"[^>]*?(?<!/)>(.*?)</c>', re.S)
_CACHED = re.compile(rb"<v>[^<]+</v>")
_ERROR_CELL = re.compile(rb'<c r="([A-Z]{1,3}[0-9]+)"[^>]*?\bt="e"')


_SPACE_SLASH_GT = numpy.zeros(256, dtype=bool)
_SPACE_SLASH_GT[list(b" \t\n\r\f\v/>")] = True
#: what may stand before an attribute's name (white space, or the ':' of a prefix) and after it (white space, '=')
_BEFORE_NAME = numpy.zeros(256, dtype=bool)
_BEFORE_NAME[list(b" \t\n\r:")] = True
_AFTER_NAME = numpy.zeros(256, dtype=bool)
_AFTER_NAME[list(b" \t\n\r=")] = True


class PieceTags(NamedTuple):
    """What ``piece_tags`` finds in a piece of sheet XML."""

    cells: int  # cell tags matching ``_CANONICAL_CELL_ROW``
    rows: int  # row tags matching ``_CANONICAL_ROW``
    max_row: int  # the highest row number of both (0: none)
    max_column: int  # the highest column number of those cells (0: none)
    starts_c: int  # piece.count(b"<c")
    starts_row: int  # piece.count(b"<row")
    prefixed: bool  # b":c" in piece or b":row" in piece
    formulas: bool  # b"<f>" in piece or b"<f " in piece
    r_attributes: int  # attribute names r (an 'r' after white space or ':', before white space or '='), xmlns:r= not


def piece_tags(piece: bytes) -> PieceTags:
    """The canonical cell and row tags of ``piece`` and the counts that say whether they are all of its tags.

    The same answer as the patterns' matches and the byte searches named in ``PieceTags``, computed with
    array operations on the bytes (no Python object per cell): every '<' is looked at, the ones starting
    ``<c r="`` / ``<row r="`` are kept, and the 12 bytes after the opening quote are checked the way the
    pattern checks them (1-3 capitals, then 1-7 digits, a closing quote and white space, '/' or '>'), so a
    tag that is not exactly canonical is not counted and the caller's tag count sends its piece to the
    general parser."""
    size = len(piece)
    padded = numpy.frombuffer(piece + bytes(24), dtype=numpy.uint8)  # zeros after the end: no pattern byte matches
    opening = numpy.flatnonzero(padded[:size] == 60)  # '<'
    after = padded[opening + 1]
    c_at = opening[after == 99]  # <c
    r_at = opening[after == 114]  # <r
    row_at = r_at[(padded[r_at + 2] == 111) & (padded[r_at + 3] == 119)]  # <row
    cells = c_at[
        (padded[c_at + 2] == 32)
        & (padded[c_at + 3] == 114)  # r
        & (padded[c_at + 4] == 61)  # =
        & (padded[c_at + 5] == 34)  # "
    ]
    rows = row_at[
        (padded[row_at + 4] == 32)
        & (padded[row_at + 5] == 114)  # r
        & (padded[row_at + 6] == 61)  # =
        & (padded[row_at + 7] == 34)  # "
    ]
    prefixed = False
    if b":" in piece:
        colon = numpy.flatnonzero(padded[:size] == 58)  # ':'
        prefixed = bool(
            (
                (padded[colon + 1] == 99)
                | ((padded[colon + 1] == 114) & (padded[colon + 2] == 111) & (padded[colon + 3] == 119))
            ).any()
        )
    f_at = opening[after == 102]  # <f
    formulas = bool(((padded[f_at + 2] == 62) | (padded[f_at + 2] == 32)).any())  # <f> or <f + space
    r_at = numpy.flatnonzero(padded[:size] == 114)  # 'r'
    r_attributes = int(
        (_BEFORE_NAME[padded[r_at - 1]] & _AFTER_NAME[padded[r_at + 1]] & (r_at > 0)).sum()
    ) - piece.count(b"xmlns:r=")
    cell_count, cell_max_row, max_column = _refs(padded, cells + 6, letters=True)
    row_count, row_max_row, _ = _refs(padded, rows + 8, letters=False)
    return PieceTags(
        cell_count,
        row_count,
        max(cell_max_row, row_max_row),
        max_column,
        len(c_at),
        len(row_at),
        prefixed,
        formulas,
        r_attributes,
    )


def _refs(padded: numpy.ndarray, starts: numpy.ndarray, letters: bool) -> tuple[int, int, int]:
    """(matches, highest row, highest column) of ``[A-Z]{1,3}`` (when ``letters``) ``([0-9]{1,7})"(?=[\\s/>])``
    at each of ``starts`` in ``padded``: one vector operation per byte position, never one per cell."""
    if not len(starts):
        return 0, 0, 0
    window = [padded[starts + j] for j in range(12)]  # 3 letters + 7 digits + quote + the byte after
    ok = numpy.zeros(len(starts), dtype=bool)
    best_row = best_column = 0
    for capitals in (1, 2, 3) if letters else (0,):
        lead = numpy.ones(len(starts), dtype=bool)
        for j in range(capitals):
            lead &= (window[j] >= 65) & (window[j] <= 90)
        if letters and capitals < 3:  # exactly this many capitals: a digit follows (checked below), not a capital
            lead &= (window[capitals] < 65) | (window[capitals] > 90)
        if not lead.any():
            continue
        row = numpy.zeros(len(starts), dtype=numpy.int64)
        running = lead.copy()  # still inside the digits
        for length in range(1, 8):
            byte = window[capitals + length - 1]
            running &= (byte >= 48) & (byte <= 57)
            row = numpy.where(running, row * 10 + byte.astype(numpy.int64) - 48, row)
            closed = running & (window[capitals + length] == 34) & _SPACE_SLASH_GT[window[capitals + length + 1]]
            ok |= closed
            if closed.any():
                best_row = max(best_row, int(row[closed].max()))
                if letters:
                    column = numpy.zeros(int(closed.sum()), dtype=numpy.int64)
                    for j in range(capitals):
                        column = column * 26 + window[j][closed].astype(numpy.int64) - 64
                    best_column = max(best_column, int(column.max()))
    return int(ok.sum()), best_row, best_column


def _column_number(letters: bytes) -> int:
    number = 0
    for byte in letters.upper():
        number = number * 26 + byte - 64
    return number


class _XlsxSheetScanner(_PartScanner):
    """The used area of one worksheet part, as the reader computes it (see module doc).

    Cells with an ``r`` attribute sit where it says. A cell without one sits after the previous cell
    of its row; those positions are bounded from above by (highest explicit row + rows written) x
    (highest explicit column + cell tags written), which is exact enough to admit small such sheets and
    refuses only large ones."""

    def __init__(self, sheet: str):
        self.sheet = sheet
        self.scan = SheetScan()
        self.max_row = 0  # highest explicit row number (cells and rows)
        self.max_column = 0  # highest explicit column number
        self.cells = 0  # cell start tags seen
        self.rows = 0  # row tags seen (an upper bound on implicit row steps)
        self.implicit = False  # a cell without an r attribute was seen
        self.row_cells = 0  # cell tags in the current row (general parser only)
        self.widest_row = 0  # most cell tags in one row up to a cell without r

    def feed(self, piece: bytes) -> None:
        tags = piece_tags(piece)
        if self._all_canonical(piece, tags):
            self.cells += tags.cells
            self.rows += tags.rows
            self.max_row = max(self.max_row, tags.max_row)
            self.max_column = max(self.max_column, tags.max_column)
        else:
            self._feed_general(piece)
        self._check()
        if len(self.scan.errors) < 1000 and b't="e"' in piece:
            self.scan.errors.extend(ref.decode("ascii") for ref in _ERROR_CELL.findall(piece))
        if len(self.scan.uncached) < 1000 and tags.formulas:
            self.scan.uncached.extend(
                ref.decode("ascii")
                for ref, body in _CELL_BODY.findall(piece)
                if (b"<f>" in body or b"<f " in body) and not _CACHED.search(body)
            )

    @staticmethod
    def _all_canonical(piece: bytes, tags: PieceTags) -> bool:
        """Whether the canonical matches account for every cell and row tag of the piece: one byte count
        each when only cell and row tags start with "<c" / "<row" (the body of sheetData), an exact
        count of the tags otherwise."""
        if tags.prefixed:
            if _PREFIXED.search(piece):
                return False
        cells, rows = tags.cells, tags.rows
        starts_c, starts_row = tags.starts_c, tags.starts_row
        if starts_c != cells:
            starts_c = sum(piece.count(t) for t in _TAG_STARTS)
        if starts_row != rows:
            starts_row = sum(piece.count(t) for t in _ROW_STARTS)
        # an attribute named r anywhere else (a second r in a tag, "r =", a prefix) sends the piece to the parser
        return starts_c == cells and starts_row == rows and tags.r_attributes == cells + rows

    def _feed_general(self, piece: bytes) -> None:
        for match in _ANY_TAG.finditer(piece):
            closing, name, attributes = match.groups()
            if name == b"row":
                self.row_cells = 0
                if closing:
                    continue
                self.rows += 1
            elif closing:
                continue
            else:
                self.cells += 1
                self.row_cells += 1
            refs = [
                m.group(2) if m.group(2) is not None else m.group(3)
                for m in _ATTRIBUTE.finditer(attributes)
                if m.group(1).rpartition(b":")[2] == b"r"
            ]
            if len(refs) > 1:  # XML allows one; readers differ in which they take
                raise Refused(
                    "a cell or row of the sheet has two positions; the file is damaged or crafted and was not opened",
                    sheet=self.sheet,
                    value=b" / ".join(refs).decode("ascii", "replace")[:80],
                )
            ref = refs[0] if refs else None
            if ref is None:
                if name == b"c":
                    self.implicit = True
                    self.widest_row = max(self.widest_row, self.row_cells)
                continue
            parsed = _REF.fullmatch(ref)
            if parsed is None:
                continue  # the reader rejects such a reference with an error; nothing is allocated
            self.max_row = max(self.max_row, int(parsed.group(2)))
            if name == b"c":
                self.max_column = max(self.max_column, _column_number(parsed.group(1)))
            if self.max_row > MAX_ROWS or self.max_column > MAX_COLUMNS:
                break

    def _check(self) -> None:
        rows, columns = self.max_row, self.max_column
        if self.implicit:
            rows, columns = rows + self.rows, columns + self.widest_row
        self.scan.last_row, self.scan.last_column = rows, columns
        try:
            check_area(rows, columns, self.sheet)
        except Refused as exc:
            if self.implicit:
                exc.message += (
                    " (some cells are written without their position, so their place was bounded "
                    "from the rows and cells written; opening the file in Excel and saving it again "
                    "writes the positions)"
                )
                exc.args = (exc.message,)
            raise

    def finish(self) -> None:
        self._check()


class _SharedStringsScanner(_PartScanner):
    """The shared-string table's declared ``uniqueCount`` (the reader reserves room for that many)."""

    _SST = re.compile(rb"<(?:[A-Za-z_][\w.\-]*:)?sst(?=[\s/>])" + _QUOTED_ATTRS + rb">")

    def __init__(self) -> None:
        self.seen = False
        self.strings = 0  # <si> elements written (an upper bound: every "<si" and ":si")

    def feed(self, piece: bytes) -> None:
        self.strings += piece.count(b"<si") + piece.count(b":si")
        if self.strings > MAX_SHARED_STRINGS:
            raise Refused(
                f"the workbook holds more than {MAX_SHARED_STRINGS:,} distinct texts, more than MedPath reads; the "
                "file is damaged or crafted and was not opened"
            )
        if self.seen:
            return
        match = self._SST.search(piece)
        if match is None:
            return
        self.seen = True
        for attribute in _ATTRIBUTE.finditer(match.group(1)):
            value = attribute.group(2) if attribute.group(2) is not None else attribute.group(3)
            if (
                attribute.group(1) in (b"uniqueCount", b"count")
                and value.strip().isdigit()
                and int(value) > MAX_SHARED_STRINGS
            ):
                raise Refused(
                    f"the workbook declares {int(value):,} distinct texts, more than the "
                    f"{MAX_SHARED_STRINGS:,} MedPath reads; the file is damaged or crafted and was not "
                    "opened",
                    value=value.decode("ascii", "replace"),
                )


# --- .ods content --------------------------------------------------------------------------------

_TABLE_NS = "urn:oasis:names:tc:opendocument:xmlns:table:1.0"


class _OdsScanner(_PartScanner):
    """The used area of every table in an OpenDocument ``content.xml``, repeats expanded arithmetically.

    The reader keeps the rows and columns between the first and the last cell with content (a value,
    a formula or text), repeated ones included, and allocates that area densely."""

    def __init__(self) -> None:
        self.sheets: dict[str, SheetScan] = {}
        self.parser = xml.parsers.expat.ParserCreate(namespace_separator=" ")
        self.parser.StartElementHandler = self._start
        self.parser.EndElementHandler = self._end
        self.elements = 0
        self.table: str | None = None
        self.row = 0  # rows before the current one (repeats included)
        self.row_repeat = 1
        self.column = 0  # columns before the current cell (repeats included)
        self.cell_repeat = 1
        self.cell_has_content = False
        self.depth_in_cell = 0
        self.row_content_end = 0  # column after the last cell with content in the current row
        self.last_row = 0
        self.last_column = 0

    @staticmethod
    def _repeat(attrs: dict, name: str) -> int:
        """The attribute's repeat count, taken from any namespace (the reader matches the raw name, so a document
        that binds the ``table`` prefix to another namespace still repeats), the largest if there are several."""
        values = [value for key, value in attrs.items() if key.rsplit(" ", 1)[-1] == name] or ["1"]
        try:
            return max(max(int(value) for value in values), 1)
        except ValueError:
            raise Refused(
                f"an OpenDocument '{name}' attribute is not a whole number; the file is damaged", value=values[0]
            ) from None

    def _start(self, name: str, attrs: dict) -> None:
        self.elements += 1
        if self.elements > MAX_ODS_ELEMENTS:
            raise Refused(
                "the spreadsheet's content is too large or too complex to read "
                f"(more than {MAX_ODS_ELEMENTS:,} XML elements); the file was not read"
            )
        local = name.rsplit(" ", 1)[-1]
        if self.depth_in_cell:
            self.depth_in_cell += 1
            self.cell_has_content = True  # text (text:p) or other content inside the cell
            return
        if local == "table":
            self.table = attrs.get(f"{_TABLE_NS} name", f"Sheet{len(self.sheets) + 1}")
            self.row, self.last_row, self.last_column = 0, 0, 0
        elif local == "table-row":
            self.row_repeat = self._repeat(attrs, "number-rows-repeated")
            self.column, self.row_content_end = 0, 0
        elif local in ("table-cell", "covered-table-cell"):
            self.cell_repeat = self._repeat(attrs, "number-columns-repeated")
            self.cell_has_content = any(key.rsplit(" ", 1)[-1] in ("value-type", "value", "formula") for key in attrs)
            self.depth_in_cell = 1

    def _end(self, name: str) -> None:
        if self.depth_in_cell > 1:
            self.depth_in_cell -= 1
            return
        local = name.rsplit(" ", 1)[-1]
        if local in ("table-cell", "covered-table-cell") and self.depth_in_cell == 1:
            self.depth_in_cell = 0
            self.column += self.cell_repeat
            if self.cell_has_content:
                self.row_content_end = self.column
        elif local == "table-row":
            self.row += self.row_repeat
            if self.row_content_end:
                self.last_row = self.row
                self.last_column = max(self.last_column, self.row_content_end)
                check_area(self.last_row, self.last_column, self.table)
        elif local == "table" and self.table is not None:
            self.sheets[self.table] = SheetScan(self.last_row, self.last_column)
            self.table = None

    def feed(self, piece: bytes) -> None:
        try:
            self.parser.Parse(piece, False)
        except xml.parsers.expat.ExpatError:
            raise Refused("the spreadsheet's content is not well-formed XML; the file is damaged") from None

    def finish(self) -> None:
        self.feed(b"")
        try:
            self.parser.Parse(b"", True)
        except xml.parsers.expat.ExpatError:
            raise Refused("the spreadsheet's content is not well-formed XML; the file is damaged") from None


# --- legacy .xls (BIFF8 in an OLE compound file) ----------------------------------------------------

#: BIFF record types that place one cell at (row u16, column u16) in their first four bytes.
_BIFF_CELLS = frozenset({0x0203, 0x027E, 0x0204, 0x00FD, 0x00D6, 0x0205, 0x0006})
_BIFF_MULRK, _BIFF_DIMENSIONS, _BIFF_BOF, _BIFF_EOF, _BIFF_BOUNDSHEET = 0x00BD, 0x0200, 0x0809, 0x000A, 0x0085


def check_xls(data: bytes) -> dict[str, SheetScan]:
    """Bound every sheet of a legacy .xls from its BIFF records (see module doc); return their scans.

    A file whose compound structure cannot be read is passed on: the reader will report it."""
    import olefile

    try:
        ole = olefile.OleFileIO(io.BytesIO(data))
        streams = [n for n in ("Workbook", "Book") if ole.exists(n)]
        if len(streams) != 1:  # none: not a workbook; two: readers differ in which they take
            raise Refused(_DAMAGED_XLS + " (it holds " + (" and ".join(streams) or "no workbook") + " stream)")
        stream = ole.openstream(streams[0]).read(MAX_UNCOMPRESSED_BYTES + 1)
    except Refused:
        raise
    except Exception:  # a compound structure olefile cannot walk (a looping chain, a bad sector): never passed on
        raise Refused(_DAMAGED_XLS) from None
    if len(stream) > MAX_UNCOMPRESSED_BYTES:
        raise Refused(f"the workbook is larger than the {MAX_UNCOMPRESSED_BYTES / 2**20:,.0f} MiB MedPath accepts")
    sheets = _boundsheets(stream)
    scans = {}
    for offset, name in sheets:
        scans[name] = _scan_biff_sheet(stream, offset, name)
    return scans


def _records(stream: bytes, offset: int):
    """(type, payload) of each BIFF record from ``offset`` on (MS-XLS 2.1.4: u16 type, u16 size)."""
    while offset + 4 <= len(stream):
        kind, size = struct.unpack_from("<HH", stream, offset)
        yield kind, stream[offset + 4 : offset + 4 + size]
        offset += 4 + size


def _boundsheets(stream: bytes) -> list[tuple[int, str]]:
    """(substream offset, sheet name) from the globals substream's BOUNDSHEET8 records (MS-XLS 2.4.28)."""
    out = []
    for kind, payload in _records(stream, 0):
        if kind == _BIFF_EOF:
            break
        if kind == _BIFF_BOUNDSHEET and len(payload) >= 8:
            offset = struct.unpack_from("<I", payload)[0]
            length, flags = payload[6], payload[7]
            raw = payload[8 : 8 + (length * 2 if flags & 1 else length)]
            name = raw.decode("utf-16-le" if flags & 1 else "latin-1", "replace")
            out.append((offset, name))
    return out


_DAMAGED_XLS = "the legacy Excel workbook (.xls) is damaged or crafted and was not opened"


def _scan_biff_sheet(stream: bytes, offset: int, sheet: str) -> SheetScan:
    last_row = last_column = 0
    depth = 0
    if offset + 4 > len(stream) or struct.unpack_from("<H", stream, offset)[0] != _BIFF_BOF:
        raise Refused(_DAMAGED_XLS + ": a sheet does not start where the workbook says", sheet=sheet)
    for kind, payload in _records(stream, offset):
        if kind == _BIFF_BOF:
            depth += 1
            continue
        if kind == _BIFF_EOF:
            depth -= 1
            if depth <= 0:
                break
            continue
        if depth != 1:
            continue  # an embedded chart's substream
        if kind == _BIFF_DIMENSIONS and len(payload) in (10, 14):
            # the reader reserves rows x columns cells from this record (MS-XLS 2.4.90)
            first_row, last = struct.unpack_from("<II" if len(payload) == 14 else "<HH", payload)
            cols = struct.unpack_from("<HH", payload, 8 if len(payload) == 14 else 4)
            if first_row > last or cols[0] > cols[1]:  # a reader that subtracts unsigned numbers wraps around
                raise Refused(_DAMAGED_XLS + ": a sheet's size record is inverted", sheet=sheet)
            first_col = cols[0] if cols[0] <= 0xFF else 0
            check_area(max(last - first_row, 1), max(cols[1] - first_col, 1), sheet)
            continue
        elif kind in _BIFF_CELLS and len(payload) >= 4:
            row, column = struct.unpack_from("<HH", payload)
            last_row, last_column = max(last_row, row + 1), max(last_column, column + 1)
        elif kind == _BIFF_MULRK and len(payload) >= 6:
            row = struct.unpack_from("<H", payload)[0]
            column = struct.unpack_from("<H", payload, len(payload) - 2)[0]
            last_row, last_column = max(last_row, row + 1), max(last_column, column + 1)
        else:
            continue
        check_area(last_row, last_column, sheet)
    return SheetScan(last_row, last_column)
