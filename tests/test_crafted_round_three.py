"""The third round of crafted uploads (issue 27), one file per kind of attack, each written from the review's
description: every one is refused with an error in under 5 s, and the process that loads it (as the server would)
grows no more than reading a small valid workbook makes it grow.

Before this round most of these reached the Rust reader, which read the bytes differently from the size guard and
aborted the whole server (``memory allocation of N bytes failed``), or turned a few kilobytes into gigabytes. Now
every file is read in a disposable worker (``medpath.pipeline.guard.disposable_reader``) and the differentials are closed in
``medpath.pipeline.guard.size_guards``, so the refusal below is the guard's own, specific message.
"""

from __future__ import annotations

import io
import re
import struct
import zipfile
from collections.abc import Callable

import pytest
from workbooks import VISITS_HEADER, load_in_child, ods_bytes, ods_row, xlsx_bytes

from medpath.findings import Code

_SHEET = "xl/worksheets/sheet1.xml"
_FAR_ROW = b'<row r="1048576"><c r="XFD1048576"><v>1</v></c></row></sheetData>'
_SST_TYPE = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings"


def _base() -> bytes:
    return xlsx_bytes({"visits": [VISITS_HEADER, ["P1", "baseline", -3.0, 7], ["P1", "month 6", -2.8, 5]]})


def _rewrite(change: Callable[[str, bytes], list[tuple[str, bytes]]]) -> bytes:
    """The small valid workbook with each part passed through ``change`` (which returns the parts to write)."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(_base())) as old, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as new:
        for info in old.infolist():
            for name, body in change(info.filename, old.read(info.filename)):
                new.writestr(name, body)
    return out.getvalue()


def _far(body: bytes) -> bytes:
    return body.replace(b"</sheetData>", _FAR_ROW)


def _sheet_renamed(rename: Callable[[str], str], rels: Callable[[bytes], bytes] = lambda b: b) -> bytes:
    """The sheet part (with a far cell) stored under another name; the workbook's relationships passed through
    ``rels``."""

    def change(name: str, body: bytes) -> list[tuple[str, bytes]]:
        if name == _SHEET:
            return [(rename(name), _far(body))]
        if name == "xl/_rels/workbook.xml.rels":
            return [(name, rels(body))]
        return [(name, body)]

    return _rewrite(change)


def _moved_workbook() -> bytes:
    """_rels/.rels points the workbook at data/workbook.xml; every xl/ part moved there."""

    def change(name: str, body: bytes) -> list[tuple[str, bytes]]:
        if name == "_rels/.rels":
            return [(name, body.replace(b"xl/workbook.xml", b"data/workbook.xml"))]
        if name == "[Content_Types].xml":
            return [(name, body.replace(b"/xl/", b"/data/"))]
        if name.startswith("xl/"):
            return [("data/" + name[3:], _far(body) if name == _SHEET else body)]
        return [(name, body)]

    return _rewrite(change)


def _with_shared_strings(sst: bytes, sheet_rows: bytes) -> bytes:
    """A shared-string part ``sst`` and extra sheet rows ``sheet_rows`` added to the small workbook."""

    def change(name: str, body: bytes) -> list[tuple[str, bytes]]:
        if name == "xl/_rels/workbook.xml.rels":
            rel = f'<Relationship Id="rIdS" Type="{_SST_TYPE}" Target="sharedStrings.xml"/></Relationships>'
            return [(name, body.replace(b"</Relationships>", rel.encode())), ("xl/sharedStrings.xml", sst)]
        if name == _SHEET:
            return [(name, body.replace(b"</sheetData>", sheet_rows + b"</sheetData>"))]
        return [(name, body)]

    return _rewrite(change)


def _sst(strings: bytes, unique: int) -> bytes:
    return (
        b'<?xml version="1.0"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
        b'count="%d" uniqueCount="%d">%s</sst>' % (unique, unique, strings)
    )


def _references(n: int) -> bytes:
    return b"".join(b'<row r="%d"><c r="A%d" t="s"><v>0</v></c></row>' % (r, r) for r in range(10, 10 + n))


def _xlsb_in_disguise() -> bytes:
    """Binary workbook parts, no _rels/.rels, in a file named .xlsx: one cell record in column 4,294,967,280."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/book.bin", b"\x83\x01\x00")
        archive.writestr("xl/data/s1.bin", b"\x00\x08" + struct.pack("<I", 4_294_967_280) + b"\x00\x00")
    return out.getvalue()


def _ods_rebound_prefix() -> bytes:
    """A row that binds the ``table`` prefix to another namespace: 3,000 rows x 16,384 cells to a raw-name reader."""
    row = (
        '<table:table-row xmlns:table="urn:example:other" table:number-rows-repeated="3000">'
        '<table:table-cell table:number-columns-repeated="16384" office:value-type="float" office:value="1"/>'
        "</table:table-row>"
    )
    return ods_bytes(ods_row(VISITS_HEADER) + row)


def _ods_long_text_repeated() -> bytes:
    cell = f'<table:table-cell table:number-columns-repeated="300" office:value-type="string"><text:p>{"A" * 2**23}'
    return ods_bytes(ods_row(VISITS_HEADER) + f"<table:table-row>{cell}</text:p></table:table-cell></table:table-row>")


def _ods_many_tables(n: int) -> bytes:
    tables = "".join(
        f'</table:table><table:table table:name="v{k}">{ods_row(VISITS_HEADER)}{ods_row([f"P{k}", "baseline", "1", "2"])}'
        for k in range(n)
    )
    return ods_bytes(ods_row(VISITS_HEADER) + tables)


def _xls(change: Callable[[bytearray], None]) -> bytes:
    import xlwt

    book = xlwt.Workbook()
    sheet = book.add_sheet("visits")
    for column, name in enumerate(VISITS_HEADER):
        sheet.write(0, column, name)
    out = io.BytesIO()
    book.save(out)
    data = bytearray(out.getvalue())
    change(data)
    return bytes(data)


def _inverted_dimensions(data: bytearray) -> None:
    record = struct.pack("<HHIIHHH", 0x0200, 14, 0, 1, 0, 4, 0)
    at = bytes(data).find(record)
    assert at > 0, "xlwt writes the header row's DIMENSIONS record"
    data[at : at + len(record)] = struct.pack("<HHIIHHH", 0x0200, 14, 50_000, 1, 0, 4, 0)  # first row > last


def _sheet_without_bof(data: bytearray) -> None:
    at = bytes(data).find(b"\x85\x00")  # BOUNDSHEET8: the sheet's stream offset follows the record header
    assert at > 0
    offset = struct.unpack_from("<I", data, at + 4)[0]
    struct.pack_into("<I", data, at + 4, offset + 20)  # into the middle of the sheet's records


CRAFTED: dict[str, tuple[Callable[[], bytes], str]] = {
    # part names: the guard must scan what the reader reads, whatever the part is called
    "workbook moved by _rels/.rels": (_moved_workbook, "rows"),
    "sheet stored as xl\\worksheets\\sheet1.xml": (lambda: _sheet_renamed(lambda n: n.replace("/", "\\")), "rows"),
    "sheet part named .dat": (
        lambda: _sheet_renamed(lambda n: n.replace(".xml", ".dat"), lambda b: b.replace(b"sheet1.xml", b"sheet1.dat")),
        "rows",
    ),
    "relationships with an undefined entity": (
        lambda: _sheet_renamed(lambda n: n, lambda b: b.replace(b"<Relationships ", b'<Relationships x="&bogus;" ')),
        "rows",
    ),
    "two parts differing in case": (
        lambda: _rewrite(lambda n, b: [(n, b), (n.upper(), _far(b))] if n == _SHEET else [(n, b)]),
        "differ only in case",
    ),
    # attributes: XML allows one r; readers differ in which of two they take
    "cell with two r attributes": (
        lambda: _rewrite(
            lambda n, b: [(n, b.replace(b'<c r="A3"', b'<c r="A3" r="XFD1048576"') if n == _SHEET else b)]
        ),
        "two positions",
    ),
    "binary workbook in disguise": (_xlsb_in_disguise, "binary Excel workbook"),
    "OpenDocument row rebinding the table prefix": (_ods_rebound_prefix, "rows|columns|used area"),
    "OpenDocument 8 MiB text cell repeated 300 times": (_ods_long_text_repeated, "longer than Excel allows"),
    "legacy .xls with inverted DIMENSIONS": (lambda: _xls(_inverted_dimensions), "inverted"),
    "legacy .xls sheet substream without BOF": (lambda: _xls(_sheet_without_bof), "does not start where"),
    # amplification: a few kilobytes that a reader copies into gigabytes
    "1 MiB shared string referenced by 1,000 cells": (
        lambda: _with_shared_strings(_sst(b"<si><t>" + b"A" * 2**20 + b"</t></si>", 1), _references(1000)),
        "longer than Excel allows",
    ),
    "5 million empty strings declared as one": (
        lambda: _with_shared_strings(
            _sst(b"<si/>" * 5_000_000, 1).replace(b'uniqueCount="5000000"', b'uniqueCount="1"'), b""
        ),
        "distinct texts",
    ),
    "rich-text runs of 1 MiB each": (
        lambda: _with_shared_strings(_sst(b"<si>" + b"<r><t>" + b"B" * 2**20 + b"</t></r>" * 1 + b"</si>", 1), b""),
        "longer than Excel allows",
    ),
    "cells of 1 MiB inline text": (
        lambda: _rewrite(
            lambda n, b: [
                (
                    n,
                    b.replace(
                        b"</sheetData>",
                        b"".join(
                            b'<row r="%d"><c r="A%d" t="inlineStr"><is><t>%s</t></is></c></row>' % (r, r, b"C" * 2**20)
                            for r in range(10, 13)
                        )
                        + b"</sheetData>",
                    )
                    if n == _SHEET
                    else b,
                )
            ]
        ),
        "longer than Excel allows",
    ),
    # time: tables compared pairwise took minutes
    "400 small sheets": (
        lambda: xlsx_bytes({f"v{k}": [VISITS_HEADER, [f"P{k}", "baseline", -3.0, 7]] for k in range(400)}),
        "400 sheets or tables",
    ),
    "OpenDocument with 300 visits tables": (lambda: _ods_many_tables(300), "sheets or tables"),
}


@pytest.fixture(scope="module")
def baseline_peak() -> float:
    """The loading process's own peak memory for the small valid workbook."""
    result = load_in_child("small.xlsx", _base())
    assert result["rows"] == 2 and not [f for f in result["findings"] if f["severity"] == "error"]
    return result["peak_mib"]


@pytest.mark.parametrize("case", list(CRAFTED))
def test_each_crafted_file_is_refused_quickly_without_growing_the_server(case, baseline_peak):
    make, expected = CRAFTED[case]
    data = make()
    result = load_in_child(
        "crafted.ods" if data[:2] == b"PK" and b"opendocument" in data[:200] else "crafted.xlsx", data
    )
    refusals = [f for f in result["findings"] if f["code"] == Code.FILE_NOT_READ]
    assert len(refusals) == 1 and refusals[0]["severity"] == "error", result["findings"]
    assert re.search(expected, refusals[0]["message"]), refusals[0]["message"]
    assert result["rows"] == 0
    assert result["load_seconds"] < 5, result["load_seconds"]
    assert result["peak_mib"] < baseline_peak + 50, (result["peak_mib"], baseline_peak)
