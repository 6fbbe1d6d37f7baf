"""Crafted workbooks that once crashed or flooded the server (issue 18, item 1) are refused in time and memory.

Each file is loaded in a child process (so an abort inside the Rust reader fails the test instead of
killing pytest) that reports its findings and its own peak memory. The bounds are the issue's: every
crafted file is refused with a finding within 10 s and 1 GiB. Before ``medpath.pipeline.guard.size_guards`` the
reader was handed these files and tried to allocate the whole sheet area (up to 549 GB) and aborted.
"""

from __future__ import annotations

import io
import re
import struct
import zipfile

import pytest
from workbooks import VISITS_HEADER, load_in_child, ods_bytes, ods_row, xlsx_bytes

from medpath.findings import Code
from medpath.pipeline.guard.size_guards import MAX_CELLS
from medpath.pipeline.map.schema import schema_of
from medpath.pipeline.read.reading import ReadError, read_tables
from medpath.protocol import default_protocol

_SHEET = "xl/worksheets/sheet1.xml"


def _patched(replace) -> bytes:
    """A small valid visits workbook whose first sheet's XML is passed through ``replace``."""
    source = xlsx_bytes({"visits": [VISITS_HEADER, ["P1", "baseline", -3.0, 7], ["P1", "month 6", -2.8, 5]]})
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(source)) as old, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as new:
        for info in old.infolist():
            body = old.read(info.filename)
            if info.filename == _SHEET:
                body = replace(body.decode()).encode()
            new.writestr(info.filename, body)
    return out.getvalue()


def _far_cell(cell_xml: str):
    """Add a row holding ``cell_xml`` (a far cell written one way or another) at the end of sheetData."""
    return lambda xml: xml.replace("</sheetData>", f'<row r="1048576">{cell_xml}</row></sheetData>')


CRAFTED_XLSX = {
    "attribute order": _far_cell('<c t="n" r="XFD1048576"><v>1</v></c>'),
    "single quotes": _far_cell("<c r='XFD1048576'><v>1</v></c>"),
    "two spaces": _far_cell('<c  r="XFD1048576"><v>1</v></c>'),
    "newline in tag": _far_cell('<c\nr="XFD1048576"\n><v>1</v></c>'),
    "lower-case reference": _far_cell('<c r="xfd1048576"><v>1</v></c>'),
    "namespace prefix": lambda xml: xml.replace(
        "<worksheet ", '<worksheet xmlns:x="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
    ).replace("</sheetData>", '<x:row r="1048576"><x:c r="XFD1048576"><x:v>1</x:v></x:c></x:row></sheetData>'),
    "cell without r in a far row": _far_cell("<c><v>1</v></c>"),
    "far cell at 150,000 x 512": lambda xml: xml.replace(
        "</sheetData>", '<row r="150000"><c r="SR150000"><v>1</v></c></row></sheetData>'
    ),
}


def _refusal(result: dict) -> dict:
    """The one refusal (``Code.FILE_NOT_READ``, an error) among the findings of ``load_in_child``."""
    refusals = [f for f in result["findings"] if f["code"] == Code.FILE_NOT_READ]
    assert len(refusals) == 1 and refusals[0]["severity"] == "error", result["findings"]
    return refusals[0]


@pytest.mark.parametrize("case", list(CRAFTED_XLSX))
def test_far_cells_in_any_xml_form_are_refused_before_the_reader_allocates(case):
    result = load_in_child("crafted.xlsx", _patched(CRAFTED_XLSX[case]))
    refusal = _refusal(result)
    assert refusal["sheet"] == "visits" and re.search(r"rows|columns|used area", refusal["message"]), refusal
    assert result["rows"] == 0
    assert result["peak_mib"] < 1024 and result["seconds"] < 10, result


def test_a_cell_tag_cut_by_the_inflate_step_is_still_seen():
    """The XML is scanned in 1 MiB pieces; a '>' inside an attribute value must not hide a far cell that
    straddles a piece boundary (pieces end before a '<', which XML forbids inside a tag)."""
    filler = "".join(
        f'<row r="{r}"><c r="A{r}" t="inlineStr"><is><t>{"x" * 40}</t></is></c></row>' for r in range(4, 40_000)
    )

    def replace(xml: str) -> str:
        return xml.replace(
            "</sheetData>", filler + '<row r="40000"><c note="a>b" r="XFD40000"><v>1</v></c></row></sheetData>'
        )

    data = _patched(replace)
    with pytest.raises(ReadError) as refused:
        read_tables("cut.xlsx", data, schema_of(default_protocol()))
    finding = refused.value.finding
    assert finding.code is Code.FILE_NOT_READ and "columns" in finding.message


def test_huge_shared_string_count_is_refused():
    """The reader reserves room for the declared ``uniqueCount`` of xl/sharedStrings.xml (read by path)."""
    strings = (
        '<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="1" '
        'uniqueCount="4000000000000"><si><t>P1</t></si></sst>'
    )
    out = io.BytesIO()
    source = _patched(lambda xml: xml)
    with zipfile.ZipFile(io.BytesIO(source)) as old, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as new:
        for info in old.infolist():
            new.writestr(info.filename, old.read(info.filename))
        new.writestr("xl/sharedStrings.xml", strings)
    result = load_in_child("strings.xlsx", out.getvalue())
    assert "4,000,000,000,000 distinct texts" in _refusal(result)["message"]
    assert result["peak_mib"] < 1024 and result["seconds"] < 10


def test_ods_renamed_xlsx_with_repeated_rows_is_refused():
    header = ods_row(VISITS_HEADER)
    wide_row = (
        '<table:table-row table:number-rows-repeated="1048575"><table:table-cell office:value-type="float" '
        'office:value="7" table:number-columns-repeated="64"/></table:table-row>'
    )
    crafted = ods_bytes(header + wide_row)
    assert len(crafted) < 1500
    result = load_in_child("renamed.xlsx", crafted)
    refusal = _refusal(result)
    assert refusal["sheet"] == "visits" and "rows" in refusal["message"], refusal
    assert result["peak_mib"] < 1024 and result["seconds"] < 10


def test_ods_repeated_columns_are_refused():
    wide = (
        '<table:table-row><table:table-cell office:value-type="float" office:value="1" '
        'table:number-columns-repeated="16000"/></table:table-row>'
    )
    result = load_in_child("wide.ods", ods_bytes(ods_row(VISITS_HEADER) + wide))
    assert "columns" in _refusal(result)["message"]
    assert result["peak_mib"] < 1024


def test_a_real_ods_with_trailing_empty_repeats_is_read():
    """LibreOffice writes trailing empty rows and columns as huge repeats; they are not content."""
    empty_tail = (
        '<table:table-row table:number-rows-repeated="1048570"><table:table-cell '
        'table:number-columns-repeated="1024"/></table:table-row>'
    )
    rows = [ods_row(VISITS_HEADER), ods_row(["P1", "baseline", "-3", "7"]), ods_row(["P1", "month 6", "-2.5", "5"])]
    tables = read_tables("real.ods", ods_bytes("".join(rows) + empty_tail), schema_of(default_protocol()))
    assert [t.header for t in tables] == [VISITS_HEADER]
    assert tables[0].rows == [["P1", "baseline", "-3", "7"], ["P1", "month 6", "-2.5", "5"]]


def test_ods_area_is_bounded_just_above_the_limit():
    """Exactly MAX_CELLS cells of content pass the guard's arithmetic; one more row does not."""
    from medpath.pipeline.guard.size_guards import Refused, check_zip

    columns = 200
    rows_allowed = MAX_CELLS // columns
    ok = ods_bytes(ods_row(["x"] * columns, repeat=rows_allowed))
    assert check_zip(ok)["visits"].last_row == rows_allowed
    with pytest.raises(Refused):
        check_zip(ods_bytes(ods_row(["x"] * columns, repeat=rows_allowed + 1)))


def _xls_far_cell() -> bytes:
    import xlwt

    book = xlwt.Workbook()
    sheet = book.add_sheet("visits")
    for column, name in enumerate(VISITS_HEADER):
        sheet.write(0, column, name)
    sheet.write(65535, 255, 1)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_legacy_xls_with_one_far_cell_is_refused_before_the_reader():
    data = _xls_far_cell()
    assert len(data) < 10_000
    result = load_in_child("far.xls", data)
    assert "used area is 65,536 rows x 256 columns" in _refusal(result)["message"], result
    assert result["peak_mib"] < 300, "refused before the reader allocates the 16.7 M-cell area"


def test_legacy_xls_dimensions_record_is_bounded():
    """The reader reserves the DIMENSIONS record's area; a crafted record is refused from the record alone."""
    import xlwt

    from medpath.pipeline.guard.size_guards import Refused, check_xls

    book = xlwt.Workbook()
    book.add_sheet("visits").write(0, 0, "patient_id")
    out = io.BytesIO()
    book.save(out)
    data = bytearray(out.getvalue())
    record = struct.pack("<HHIIHHH", 0x0200, 14, 0, 1, 0, 1, 0)
    at = bytes(data).find(record)
    assert at > 0, "xlwt writes a 14-byte DIMENSIONS record for one cell"
    data[at : at + len(record)] = struct.pack("<HHIIHHH", 0x0200, 14, 0, 4_000_000_000, 0, 200, 0)
    with pytest.raises(Refused, match="rows"):
        check_xls(bytes(data))


def test_xlsb_is_refused_with_the_fix():
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/workbook.bin", b"\x83\x01\x00")
        archive.writestr("xl/worksheets/sheet1.bin", b"\x81\x01\x00")
    with pytest.raises(ReadError) as refused:
        read_tables("book.xlsb", out.getvalue(), schema_of(default_protocol()))
    finding = refused.value.finding
    assert finding.code is Code.FILE_NOT_READ and "Excel Workbook (.xlsx)" in finding.message


def test_cells_without_r_in_a_small_sheet_are_read():
    """A writer that omits cell positions is still read when the conservative bound is small."""

    def replace(xml: str) -> str:
        return re.sub(r'<c r="[A-Z]+\d+"', "<c", xml)

    tables = read_tables("no_r.xlsx", _patched(replace), schema_of(default_protocol()))
    assert tables[0].header == VISITS_HEADER
    assert tables[0].rows[0][:2] == ["P1", "baseline"]


# --- the memory budget of one upload (issue 17) ------------------------------------------------------


def test_an_upload_over_the_memory_budget_is_refused_before_it_is_read():
    """One stray cell at AM150000 makes a 150,000 x 39 used area: 5.85 M cells, under the per-sheet limits
    (MAX_ROWS, MAX_CELLS) but, with the estimate of ``size_guards.upload_memory``, over the budget of one
    upload; the refusal names the file, the cells, the memory and the limit, and comes before the reader
    lays out the area."""
    from medpath.pipeline.guard.size_guards import UPLOAD_MEMORY_BUDGET, upload_memory

    assert 150_000 * 39 < MAX_CELLS and upload_memory(150_000 * 39) > UPLOAD_MEMORY_BUDGET
    data = _patched(
        lambda xml: xml.replace("</sheetData>", '<row r="150000"><c r="AM150000"><v>1</v></c></row></sheetData>')
    )
    assert len(data) < 10_000
    result = load_in_child("stray cell.xlsx", data)
    errors = [f for f in result["findings"] if f["severity"] == "error"]
    assert len(errors) == 1 and errors[0]["code"] == Code.UPLOAD_TOO_LARGE, result["findings"]
    message = errors[0]["message"]
    assert errors[0]["file"] == "stray cell.xlsx"
    assert "'stray cell.xlsx': 5,850,000 cells" in message
    assert f"more than the {UPLOAD_MEMORY_BUDGET / 1e9:,.1f} GB MedPath allows one upload" in message
    assert "nothing was analysed" in message and "delete unused sheets, rows and columns" in message
    assert result["rows"] == 0
    assert result["peak_mib"] < 300 and result["seconds"] < 10, result


def test_the_budget_is_for_the_upload_as_a_whole(monkeypatch):
    """Files that each fit can be refused together: the budget sums the cells of every file and sheet, names each
    file, and nothing of any file is read; within the budget the same files are read as before."""
    from medpath.pipeline.guard import size_guards
    from medpath.study import load_study

    data = xlsx_bytes({"visits": [VISITS_HEADER, ["P1", "baseline", -3.0, 7], ["P1", "month 6", -2.8, 5]]})
    files = [("a.xlsx", data), ("b.xlsx", data[:])]
    one = size_guards.upload_memory(3 * len(VISITS_HEADER))  # one file: 3 rows x the header's columns
    monkeypatch.setattr(size_guards, "UPLOAD_MEMORY_BUDGET", one)
    assert not [
        f for f in load_study(files[:1], protocol=default_protocol()).findings if f.code is Code.UPLOAD_TOO_LARGE
    ]
    study = load_study(files, protocol=default_protocol())
    refused = [f for f in study.findings if f.code is Code.UPLOAD_TOO_LARGE]
    assert len(refused) == 1 and refused[0].severity == "error" and "too large to analyse" in refused[0].message
    assert refused[0].file == "a.xlsx, b.xlsx"
    assert "'a.xlsx': 12 cells; 'b.xlsx': 12 cells" in refused[0].message
    assert len(study.visits) == 0 and study.sources  # nothing read, both files still listed as sources
    assert [f for f in study.findings if f.severity == "error"] == refused  # no other error (e.g. "no visits table")


def test_piece_tags_matches_the_patterns_and_byte_searches():
    """``piece_tags`` (array operations) gives exactly what the canonical patterns and the byte searches give,
    on random pieces built from canonical tags and near misses (case, quoting, lengths, white space, prefixes,
    cut tags), so a piece it calls canonical is one the patterns call canonical."""
    import random

    from medpath.pipeline.guard.size_guards import (
        _CANONICAL_CELL_LETTERS,
        _CANONICAL_CELL_ROW,
        _CANONICAL_ROW,
        _column_number,
        piece_tags,
    )

    def expected(piece: bytes) -> tuple:
        cells, rows = _CANONICAL_CELL_ROW.findall(piece), _CANONICAL_ROW.findall(piece)
        letters = set(_CANONICAL_CELL_LETTERS.findall(piece))
        return (
            len(cells),
            len(rows),
            max([int(d) for d in cells + rows], default=0),
            max([_column_number(c) for c in letters], default=0),
            piece.count(b"<c"),
            piece.count(b"<row"),
            b":c" in piece or b":row" in piece,
            b"<f>" in piece or b"<f " in piece,
            len(re.findall(rb"(?<=[ \t\n\r:])r(?=[ \t\n\r=])", piece)) - piece.count(b"xmlns:r="),
        )

    def tag(rng: random.Random) -> bytes:
        letters = bytes(rng.choice(b"ABZaz@[") for _ in range(rng.choice([0, 1, 2, 3, 4])))
        digits = bytes(rng.choice(b"0123456789:") for _ in range(rng.choice([0, 1, 2, 6, 7, 8])))
        quote = rng.choice([b'"', b'"', b"'", b""])
        end = rng.choice([b" ", b"/", b">", b"\t", b"\n", b"\r", b"\x0b", b"\x0c", b"x", b"", b"\xa0"])
        start = rng.choice(
            [b'<c r="', b'<c r="', b'<c  r="', b"<c r='", b'<C r="', b'<row r="', b'<rows r="', b'<x:c r="']
        )
        return start + letters + digits + quote + end

    rng = random.Random(17)
    fillers = [
        b"",
        b"<v>1</v></c>",
        b"</row>",
        b"<f>A1</f>",
        b"<f ",
        b":ro",
        b"w",
        b"<",
        b":",
        b' r="A1"',
        b" xmlns:r=",
    ]
    for _ in range(20_000):
        piece = b"".join(tag(rng) + rng.choice(fillers) for _ in range(rng.randint(1, 10)))
        piece = piece[: rng.randint(1, len(piece))]
        assert tuple(piece_tags(piece)) == expected(piece), piece
