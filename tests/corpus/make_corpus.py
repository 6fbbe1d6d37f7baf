"""Build the bad-input corpus of issue 7: every kind of file a study team might upload by mistake.

``PYTHONPATH=tests python tests/corpus/make_corpus.py [DIR]`` (in the project's virtualenv, where medpath is
installed) writes the files to DIR (default: tests/corpus/generated/, which git ignores);
``tests/test_corpus.py`` builds them once per test session in a temporary folder.
Nothing generated is committed.

Each ``Case`` has the file's name and bytes and what MedPath must say about it: the CLI's exit code
(0 = no error finding, 2 = errors or a refused file) and the findings expected, each as
``Expect(severity, code, sheet, row, column, phrase)`` (``ANY`` where a place is not checked): the
finding is picked by its code (``medpath.findings.Code``) and place, never by its wording, and the
phrase is then a check of what its message says; plus an optional ``check`` of the loaded ``Study``.
Every workbook here is built in memory: big and crafted ones (a 1,000,000-row sheet, a zip bomb, an archive that lies about its sizes) are written as raw
sheet XML / raw zip records, which takes well under a second each.

Test-only packages: ``xlwt`` (writes the legacy .xls) and ``msoffcrypto-tool`` (encrypts a workbook
with a password), both in pyproject.toml's ``test`` extra.
"""

from __future__ import annotations

import csv as _csv
import datetime as dt
import io
import struct
import sys
import zipfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from workbooks import SCREENING_HEADER, VISITS_HEADER, screening_row
from workbooks import visits_rows as visits
from workbooks import xlsx_bytes as xlsx

from medpath.findings import Code

HERE = Path(__file__).resolve().parent
ANY = object()


@dataclass(frozen=True)
class Expect:
    severity: str
    code: Code
    sheet: object
    row: object
    column: object
    phrase: str


@dataclass(frozen=True)
class Case:
    name: str
    build: Callable[[], bytes]
    exit_code: int
    expect: tuple[Expect, ...] = ()
    #: True: the findings are exactly ``expect`` (same count); False: ``expect`` must be among them.
    exact: bool = True
    check: Callable[[object], None] | None = None
    why: str = ""


# --- small builders ------------------------------------------------------------------------------


def csv(rows: list[list], delimiter: str = ",", encoding: str = "utf-8") -> bytes:
    text = io.StringIO()
    _csv.writer(text, delimiter=delimiter).writerows(rows)
    return text.getvalue().encode(encoding)


def with_cell(rows: list[list], row: int, column: str, value) -> list[list]:
    """``rows`` with Excel row ``row``'s cell in ``column`` (a header name) set to ``value``."""
    rows = [list(r) for r in rows]
    rows[row - 1][rows[0].index(column)] = value
    return rows


# --- raw .xlsx writing (sheet XML straight into a zip) ----------------------------------------

_NS = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
_R = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PKG = "http://schemas.openxmlformats.org/package/2006/relationships"


def _package_parts(sheet_name: str) -> list[tuple[str, bytes]]:
    head = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    return [
        (
            "[Content_Types].xml",
            (
                head + '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
                '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
                '<Default Extension="xml" ContentType="application/xml"/>'
                '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.'
                'spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/'
                'vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>'
            ).encode(),
        ),
        (
            "_rels/.rels",
            (
                head + f'<Relationships xmlns="{_PKG}"><Relationship Id="rId1" Type="{_R}/officeDocument" '
                'Target="xl/workbook.xml"/></Relationships>'
            ).encode(),
        ),
        (
            "xl/workbook.xml",
            (
                head + f'<workbook {_NS} xmlns:r="{_R}"><sheets><sheet name="{sheet_name}" sheetId="1" '
                'r:id="rId1"/></sheets></workbook>'
            ).encode(),
        ),
        (
            "xl/_rels/workbook.xml.rels",
            (
                head + f'<Relationships xmlns="{_PKG}"><Relationship Id="rId1" '
                f'Type="{_R}/worksheet" Target="worksheets/sheet1.xml"/></Relationships>'
            ).encode(),
        ),
    ]


_SHEET_HEAD = f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<worksheet {_NS}><sheetData>'.encode()
_SHEET_TAIL = b"</sheetData></worksheet>"


def _cell(ref: str, value) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        text = value.replace("&", "&amp;").replace("<", "&lt;")
        return f'<c r="{ref}" t="inlineStr"><is><t>{text}</t></is></c>'
    return f'<c r="{ref}"><v>{value}</v></c>'


def _row(number: int, values: list) -> str:
    return f'<row r="{number}">' + "".join(_cell(f"{chr(65 + i)}{number}", v) for i, v in enumerate(values)) + "</row>"


def raw_xlsx(sheet_name: str, sheet_xml_chunks) -> bytes:
    """An .xlsx of one sheet whose sheetData is the given XML (an iterable of str chunks)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        for part, content in _package_parts(sheet_name):
            archive.writestr(part, content)
        with archive.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as sheet:
            sheet.write(_SHEET_HEAD)
            for chunk in sheet_xml_chunks:
                sheet.write(chunk.encode())
            sheet.write(_SHEET_TAIL)
    return buffer.getvalue()


def raw_zip(parts: list[tuple[str, bytes, int, int]]) -> bytes:
    """A zip from (name, deflated bytes, declared uncompressed size, CRC-32) records, written by hand so
    that the declared sizes can be anything (a zip bomb, or an archive that lies about its sizes)."""
    out, central = io.BytesIO(), io.BytesIO()
    for name, body, size, crc in parts:
        offset = out.tell()
        encoded = name.encode()
        out.write(struct.pack("<4s5H3L2H", b"PK\x03\x04", 20, 0, 8, 0, 0x21, crc, len(body), size, len(encoded), 0))
        out.write(encoded)
        out.write(body)
        central.write(
            struct.pack(
                "<4s6H3L5H2L",
                b"PK\x01\x02",
                20,
                20,
                0,
                8,
                0,
                0x21,
                crc,
                len(body),
                size,
                len(encoded),
                0,
                0,
                0,
                0,
                0,
                offset,
            )
        )
        central.write(encoded)
    start, directory = out.tell(), central.getvalue()
    out.write(directory)
    out.write(struct.pack("<4s4H2LH", b"PK\x05\x06", 0, 0, len(parts), len(parts), len(directory), start, 0))
    return out.getvalue()


def _deflate(data: bytes) -> bytes:
    packer = zlib.compressobj(1, zlib.DEFLATED, -zlib.MAX_WBITS)  # fastest: the 40 MB sheet of lying_sizes
    return packer.compress(data) + packer.flush()


def _stored_parts(sheet_name: str, sheet_xml: bytes) -> list[tuple[str, bytes, int, int]]:
    parts = [*_package_parts(sheet_name), ("xl/worksheets/sheet1.xml", sheet_xml)]
    return [(n, _deflate(c), len(c), zlib.crc32(c)) for n, c in parts]


def million_rows() -> bytes:
    """1,000,000 visit rows (about 14 MB zipped), written as XML in 10,000-row chunks."""

    def chunks():
        yield _row(1, VISITS_HEADER)
        for start in range(2, 1_000_002, 10_000):
            yield "".join(
                f'<row r="{r}"><c r="A{r}" t="inlineStr"><is><t>P{r % 5}</t></is></c><c r="B{r}" '
                f'><v>{r}</v></c><c r="C{r}"><v>-2.5</v></c><c r="D{r}"><v>5</v></c></row>'
                for r in range(start, min(start + 10_000, 1_000_002))
            )

    return raw_xlsx("visits", chunks())


def far_apart_cells() -> bytes:
    """A 1 KB sheet with a table in A1:D3 and one stray cell in ZZ150000: its used area is 105 million
    cells, which calamine would allocate densely (one in XFD1048576 makes it abort the process)."""
    rows = visits(1)
    return raw_xlsx(
        "visits", [*(_row(i + 1, r) for i, r in enumerate(rows)), '<row r="150000"><c r="ZZ150000"><v>1</v></c></row>']
    )


def zip_bomb() -> bytes:
    """A 3 MB .xlsx whose sheet inflates to 3 GiB (whitespace inside sheetData: valid XML)."""
    block = b" " * (64 * 2**20)
    packer = zlib.compressobj(9, zlib.DEFLATED, -zlib.MAX_WBITS)
    head = packer.compress(_SHEET_HEAD + _row(1, VISITS_HEADER).encode()) + packer.flush(zlib.Z_FULL_FLUSH)
    one = packer.compress(block) + packer.flush(zlib.Z_FULL_FLUSH)
    two = packer.compress(block) + packer.flush(zlib.Z_FULL_FLUSH)
    assert one == two  # after a full flush the same input deflates to the same bytes
    tail = packer.compress(_SHEET_TAIL) + packer.flush()
    repeats = 48
    crc = zlib.crc32(_SHEET_HEAD + _row(1, VISITS_HEADER).encode())
    for _ in range(repeats):
        crc = zlib.crc32(block, crc)
    crc = zlib.crc32(_SHEET_TAIL, crc)
    size = len(_SHEET_HEAD) + len(_row(1, VISITS_HEADER)) + repeats * len(block) + len(_SHEET_TAIL)
    parts = [p for p in _stored_parts("visits", b"") if not p[0].endswith("sheet1.xml")]
    return raw_zip([*parts, ("xl/worksheets/sheet1.xml", head + one * repeats + tail, size, crc)])


def lying_sizes() -> bytes:
    """A valid-looking .xlsx whose sheet declares 600 bytes but inflates to 40 MB: the declared size
    passes the zip-bomb check, so only inflating with a cap shows the lie."""
    rows = "".join(
        f'<row r="{r}"><c r="A{r}" t="inlineStr"><is><t>P{r}</t></is></c><c r="B{r}" t="inlineStr"><is>'
        f'<t>baseline</t></is></c><c r="C{r}"><v>-3.0</v></c><c r="D{r}"><v>7</v></c></row>'
        for r in range(2, 500_000)
    )  # what _row writes, without its per-cell calls
    sheet = _SHEET_HEAD + _row(1, VISITS_HEADER).encode() + rows.encode() + _SHEET_TAIL
    parts = _stored_parts("visits", sheet)
    name, body, _, _ = parts[-1]
    parts[-1] = (name, body, 600, zlib.crc32(sheet[:600]))
    return raw_zip(parts)


def formulas_cached() -> bytes:
    """Formula cells saved with their results, as Excel writes them."""
    return raw_xlsx(
        "visits",
        [
            _row(1, VISITS_HEADER),
            '<row r="2"><c r="A2" t="inlineStr"><is><t>P1</t></is></c><c r="B2" t="inlineStr"><is><t>baseline</t></is>'
            '</c><c r="C2"><f>-3.2+0.1</f><v>-3.1</v></c><c r="D2"><v>7</v></c></row>',
            '<row r="3"><c r="A3" t="inlineStr"><is><t>P1</t></is></c><c r="B3" t="inlineStr"><is><t>month 6</t></is>'
            '</c><c r="C3"><v>-2.8</v></c><c r="D3"><f>D2-3</f><v>4</v></c></row>',
        ],
    )


def encrypted() -> bytes:
    import msoffcrypto.format.ooxml

    plain = io.BytesIO(xlsx({"visits": visits(1)}))
    out = io.BytesIO()
    msoffcrypto.format.ooxml.OOXMLFile(plain).encrypt("Passw0rd", out)
    return out.getvalue()


def legacy_xls() -> bytes:
    import xlwt

    book = xlwt.Workbook()
    sheet = book.add_sheet("visits")
    for r, row in enumerate(with_cell(visits(2), 4, "vas", 11)):
        for c, value in enumerate(row):
            sheet.write(r, c, value)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def too_many_columns() -> bytes:
    header = VISITS_HEADER + [f"extra {i}" for i in range(1, 300)]
    return xlsx({"visits": [header, ["P1", "baseline", -3.0, 7] + ["x"] * 299]})


# --- checks on the loaded study ----------------------------------------------------------------


def _visits_equal(**expected):
    def check(study):
        for column, values in expected.items():
            assert list(study.visits[column]) == values, (column, list(study.visits[column]))

    return check


def _formulas_read_as_empty(study):
    v = study.visits
    assert v["bmd_tscore"].isna().tolist() == [True, False] and v["vas"].isna().tolist() == [False, True]


def _no_data(study):
    assert len(study.visits) == 0 and study.screening is None


# --- the corpus ----------------------------------------------------------------------------------

E = Expect
_NO_VISITS = E("error", Code.NO_VISITS_TABLE, None, None, None, "no visits table found")


def cases() -> list[Case]:
    ident: list[list[Any]] = [
        ["Patient ID", "Name", "Medical record number", "Date of birth", "Phone", "NIK", "National ID", "visit", "vas"],
        ["P1", "Siti", "RM-001", "1960-01-01", "0812", "3171", "3171", "baseline", 7],
    ]
    injection: list[list[Any]] = [
        list(VISITS_HEADER),
        ['=HYPERLINK("http://evil.example","P1")', "baseline", -3.0, 7],
        ["+cmd|' /C calc'!A0", "baseline", -3.0, 7],
        ["@SUM(1+1)", "baseline", -2.9, 6],
    ]
    return [
        Case(
            "not_a_spreadsheet.xlsx",
            lambda: b"%PDF-1.4\n% a PDF renamed to .xlsx\n" + bytes(range(256)),
            2,
            (E("error", Code.FILE_NOT_READ, None, None, None, "not an Excel workbook"),),
            check=_no_data,
        ),
        Case(
            "empty_file.xlsx",
            lambda: b"",
            2,
            (E("error", Code.FILE_NOT_READ, None, None, None, "empty (0 bytes)"),),
            check=_no_data,
        ),
        Case(
            "empty_workbook.xlsx",
            lambda: xlsx({"Sheet1": []}),
            2,
            (E("error", Code.FILE_NOT_READ, None, None, None, "no sheet with data"),),
            check=_no_data,
        ),
        Case(
            "no_recognisable_sheet.xlsx",
            lambda: xlsx({"Sheet1": [["foo", "bar"], [1, 2]]}),
            2,
            (
                E("warning", Code.SHEET_NOT_USED, "Sheet1", 1, None, "neither a screening nor a visits table"),
                _NO_VISITS,
            ),
        ),
        Case(
            "missing_patient_id.xlsx",
            lambda: xlsx({"visits": [["visit", "vas"], ["baseline", 5]]}),
            2,
            (E("error", Code.COLUMN_REQUIRED_MISSING, "visits", 1, None, "required column missing: patient_id"),),
            exact=False,
        ),
        Case(
            "duplicate_columns.xlsx",
            lambda: xlsx({"visits": [["patient_id", "visit", "vas", "VAS (0-10)"], ["P1", "baseline", 7, 3]]}),
            2,
            (
                E(
                    "error",
                    Code.COLUMN_AMBIGUOUS,
                    "visits",
                    1,
                    None,
                    "2 columns could be the VAS pain: 'vas', 'VAS (0-10)'",
                ),
            ),
            exact=False,
            check=_no_data,
            why="two columns for one field with different values: no guess (issue 11)",
        ),
        Case(
            "header_below_title_rows.xlsx",
            lambda: xlsx({"visits": [["Trial NCT04501354 follow-up export"], [], ["exported 2026-11-01"], *visits(1)]}),
            0,
            (),
            check=_visits_equal(source_row=[5, 6], patient_id=["P1", "P1"]),
        ),
        Case(
            "merged_cells.xlsx",
            lambda: xlsx(
                {"visits": [VISITS_HEADER, ["P1", "baseline", -3.0, 7], [None, "month 6", -2.8, 5]]},
                merge={"visits": ["A2:A3"]},
            ),
            0,
            (E("warning", Code.CELLS_MERGED, "visits", 2, None, "merged cells A2:A3"),),
            check=_visits_equal(patient_id=["P1", "P1"]),
        ),
        Case(
            "date_in_number_column.xlsx",
            lambda: xlsx({"visits": with_cell(visits(2), 3, "vas", dt.datetime(2026, 1, 5))}),
            2,
            (E("error", Code.VALUE_INVALID, "visits", 3, "vas", "found a date"),),
        ),
        Case(
            "comma_decimals.xlsx",
            lambda: xlsx(
                {"visits": [VISITS_HEADER, ["P1", "baseline", "-3,1", "7"], ["P1", "month 6", "-2,75", "4,5"]]}
            ),
            0,
            (),
            check=_visits_equal(bmd_tscore=[-3.1, -2.75], vas=[7.0, 4.5]),
        ),
        Case(
            "text_in_numeric_column.xlsx",
            lambda: xlsx({"visits": with_cell(visits(2), 5, "vas", "seven")}),
            2,
            (E("error", Code.VALUE_INVALID, "visits", 5, "vas", "expected a number"),),
        ),
        Case(
            "vas_11.xlsx",
            lambda: xlsx({"visits": with_cell(visits(3), 7, "vas", 11)}),
            2,
            (E("error", Code.VALUE_OUT_OF_RANGE, "visits", 7, "vas", "0 to 10"),),
        ),
        Case(
            "vas_minus_1.xlsx",
            lambda: xlsx({"visits": with_cell(visits(3), 4, "vas", -1)}),
            2,
            (E("error", Code.VALUE_OUT_OF_RANGE, "visits", 4, "vas", "0 to 10"),),
        ),
        Case(
            "tscore_abc.xlsx",
            lambda: xlsx({"visits": with_cell(visits(2), 2, "bmd_tscore", "abc")}),
            2,
            (E("error", Code.VALUE_INVALID, "visits", 2, "bmd_tscore", "expected a number"),),
        ),
        Case(
            "tscore_minus_12.xlsx",
            lambda: xlsx({"visits": with_cell(visits(2), 3, "bmd_tscore", -12)}),
            2,
            (E("error", Code.VALUE_OUT_OF_RANGE, "visits", 3, "bmd_tscore", "-7 to 5"),),
        ),
        Case(
            "duplicate_patient_ids.xlsx",
            lambda: xlsx(
                {
                    "screening": [
                        SCREENING_HEADER,
                        screening_row("P1"),
                        screening_row("P2"),
                        screening_row("P1", age=61),
                    ],
                    "visits": visits(2),
                }
            ),
            2,
            (E("error", Code.DUPLICATE_CONFLICT, "screening", 4, "patient_id", "already appears in row 2"),),
        ),
        Case(
            "visits_of_unknown_patient.xlsx",
            lambda: xlsx({"screening": [SCREENING_HEADER, screening_row("P1")], "visits": visits(2)}),
            0,
            (E("warning", Code.PATIENT_NOT_SCREENED, "visits", 4, "patient_id", "not in the screening table"),),
        ),
        Case(
            "million_rows.xlsx",
            million_rows,
            2,
            (E("error", Code.FILE_NOT_READ, "visits", None, None, "more than the 200,000 rows"),),
            check=_no_data,
        ),
        Case(
            "far_apart_cells.xlsx",
            far_apart_cells,
            2,
            (E("error", Code.FILE_NOT_READ, "visits", None, None, "used area is 150,000 rows x 702 columns"),),
            check=_no_data,
        ),
        Case(
            "too_many_columns.xlsx",
            too_many_columns,
            2,
            (E("error", Code.FILE_NOT_READ, "visits", None, None, "more than 300 columns"),),
            check=_no_data,
        ),
        Case(
            "zip_bomb.xlsx",
            zip_bomb,
            2,
            (E("error", Code.FILE_NOT_READ, None, None, None, "would unpack to 3,072 MiB"),),
            check=_no_data,
        ),
        Case(
            "lying_sizes.xlsx",
            lying_sizes,
            2,
            (E("error", Code.FILE_NOT_READ, None, None, None, "inflates to more than its declared size"),),
            check=_no_data,
        ),
        Case(
            "formulas_without_cached_values.xlsx",
            lambda: xlsx(
                {"visits": [VISITS_HEADER, ["P1", "baseline", "=-3.2+0.1", 7], ["P1", "month 6", -2.8, "=D2-3"]]}
            ),
            0,
            (
                E(
                    "warning",
                    Code.CELLS_READ_EMPTY,
                    "visits",
                    2,
                    None,
                    "2 formula cell(s) have no saved result and were read as empty: C2, D3",
                ),
            ),
            check=_formulas_read_as_empty,
        ),
        Case(
            "formulas_with_cached_values.xlsx",
            formulas_cached,
            0,
            (),
            check=_visits_equal(bmd_tscore=[-3.1, -2.8], vas=[7.0, 4.0]),
        ),
        Case(
            "encrypted.xlsx",
            encrypted,
            2,
            (E("error", Code.FILE_NOT_READ, None, None, None, "password-protected"),),
            check=_no_data,
        ),
        Case(
            "legacy.xls",
            legacy_xls,
            2,
            (E("error", Code.VALUE_OUT_OF_RANGE, "visits", 4, "vas", "0 to 10"),),  # the VAS only is left out
            check=_visits_equal(patient_id=["P1", "P1", "P2", "P2"], bmd_tscore=[-3.0, -2.8, -3.0, -2.8]),
        ),
        Case(
            "latin1.csv",
            lambda: csv(
                [
                    VISITS_HEADER + ["catatan"],
                    ["PÉ-1", "baseline", "-3.0", "7", "nyeri à gauche"],
                    ["PÉ-1", "month 6", "-2.8", "5", "été"],
                ],
                encoding="latin-1",
            ),
            0,
            (E("warning", Code.COLUMNS_UNKNOWN, None, 1, None, "1 column(s) not recognised"),),
            check=_visits_equal(patient_id=["PÉ-1", "PÉ-1"]),
        ),
        Case(
            "utf8_bom.csv",
            lambda: b"\xef\xbb\xbf" + csv(visits(1)),
            0,
            (),
            check=_visits_equal(patient_id=["P1", "P1"], source_row=[2, 3]),
        ),
        Case(
            "semicolon_comma_decimals.csv",
            lambda: csv([VISITS_HEADER, ["P1", "baseline", "-3,1", "7"], ["P1", "month 6", "-2,75", "4,5"]], ";"),
            0,
            (),
            check=_visits_equal(bmd_tscore=[-3.1, -2.75], vas=[7.0, 4.5]),
        ),
        Case(
            "formula_injection_ids.csv",
            lambda: csv(injection),
            0,
            (
                E("warning", Code.PATIENT_ID_FORMULA, None, 2, "patient_id", "looks like a spreadsheet formula"),
                E("warning", Code.PATIENT_ID_FORMULA, None, 3, "patient_id", "looks like a spreadsheet formula"),
                E("warning", Code.PATIENT_ID_FORMULA, None, 4, "patient_id", "looks like a spreadsheet formula"),
            ),
            check=_visits_equal(patient_id=[r[0] for r in injection[1:]]),
        ),
        Case(
            "formula_injection_ids.xlsx",
            lambda: raw_xlsx("visits", [_row(i + 1, r) for i, r in enumerate(injection)]),
            0,
            (
                E("warning", Code.PATIENT_ID_FORMULA, "visits", 2, "patient_id", "looks like a spreadsheet formula"),
                E("warning", Code.PATIENT_ID_FORMULA, "visits", 3, "patient_id", "looks like a spreadsheet formula"),
                E("warning", Code.PATIENT_ID_FORMULA, "visits", 4, "patient_id", "looks like a spreadsheet formula"),
            ),
            check=_visits_equal(patient_id=[r[0] for r in injection[1:]]),
        ),
        Case(
            "identifier_columns.xlsx",
            lambda: xlsx({"visits": ident}),
            0,
            tuple(
                E("warning", Code.COLUMN_IDENTIFIER, "visits", 1, c, "looks like a direct identifier")
                for c in ident[0][1:7]
            ),
            exact=False,
        ),
        Case(
            "too_large.csv",
            lambda: b"patient_id,visit,vas\n" + b"P1,baseline,5\n" * 2_000_000,
            2,
            (E("error", Code.FILE_NOT_READ, None, None, None, "more than the 25 MiB MedPath accepts"),),
            check=_no_data,
        ),
        Case(
            "damaged_zip.xlsx",
            lambda: xlsx({"visits": visits(1)})[:700],
            2,
            (E("error", Code.FILE_NOT_READ, None, None, None, "zip structure is damaged"),),
            check=_no_data,
        ),
    ]


def build(folder: Path) -> dict[str, Path]:
    """Write every case into ``folder``; returns name -> path."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = {}
    for case in cases():
        path = folder / case.name
        path.write_bytes(case.build())
        paths[case.name] = path
    return paths


if __name__ == "__main__":
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else HERE / "generated"
    for name, path in build(target).items():
        print(f"{path.stat().st_size:>12,}  {name}")
