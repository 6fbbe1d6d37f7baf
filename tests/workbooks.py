"""Small study workbooks built in memory, shared by the tests, the bad-input corpus and the load test."""

from __future__ import annotations

import io
import json
import subprocess
import sys
import time
import zipfile
from collections.abc import Mapping, Sequence

from openpyxl import Workbook

from medpath.protocol import default_protocol

SCREENING_COLUMNS = default_protocol().screening_columns

SCREENING_HEADER = list(SCREENING_COLUMNS)
VISITS_HEADER = ["patient_id", "visit", "bmd_tscore", "vas"]


Rows = Sequence[Sequence[object]]


def profile_of(data: bytes | str, name: str = "mapping profile"):
    """A mapping profile for the default protocol (``medpath.pipeline.map.mapping.parse_profile``)."""
    from medpath.pipeline.map.mapping import parse_profile

    return parse_profile(data, name, default_protocol())


def xlsx_bytes(sheets: Mapping[str, Rows], merge: dict[str, list[str]] | None = None) -> bytes:
    """An .xlsx workbook whose sheets hold the given rows, row 1 first; ``merge`` lists merged ranges per sheet."""
    workbook = Workbook()
    workbook.remove(workbook.active)
    for title, rows in sheets.items():
        sheet = workbook.create_sheet(title)
        for row in rows:
            sheet.append(list(row))
        for ref in (merge or {}).get(title, []):
            sheet.merge_cells(ref)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def csv_bytes(rows: Rows, delimiter: str = ",", encoding: str = "utf-8") -> bytes:
    return "\n".join(delimiter.join("" if v is None else str(v) for v in row) for row in rows).encode(encoding)


def screening_row(pid: str, sex="F", age=60, tscore=-3.0, consent="signed", enrolled="yes", **overrides) -> list:
    """An eligible, enrolled candidate unless ``overrides`` say otherwise (e.g. corticosteroid="yes")."""
    values = dict.fromkeys(SCREENING_HEADER[4:11], "no") | dict.fromkeys(SCREENING_HEADER[11:16], "negative")
    values |= {"consent": consent, "enrolled": enrolled} | overrides
    return [pid, sex, age, tscore, *(values[c] for c in SCREENING_HEADER[4:])]


def visits_rows(n_patients: int = 3, prefix: str = "P") -> list[list]:
    """Header, then baseline and month-6 rows for <prefix>1..n (Excel rows 2, 3, ... follow the header)."""
    rows: list[list] = [list(VISITS_HEADER)]
    for i in range(1, n_patients + 1):
        rows.append([f"{prefix}{i}", "baseline", -3.0, 7])
        rows.append([f"{prefix}{i}", "month 6", -2.8, 5])
    return rows


def study_bytes(prefix: str, n: int = 3) -> bytes:
    """A small valid study: ``n`` screened and enrolled patients <prefix>1..n, each with baseline and month 6."""
    return xlsx_bytes(
        {
            "screening": [SCREENING_HEADER, *(screening_row(f"{prefix}{i}") for i in range(1, n + 1))],
            "visits": visits_rows(n, prefix),
        }
    )


def ods_bytes(rows_xml: str, sheet: str = "visits") -> bytes:
    """A minimal OpenDocument spreadsheet with one table whose ``table:table-row`` elements are ``rows_xml``."""
    content = (
        '<?xml version="1.0" encoding="UTF-8"?><office:document-content '
        'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
        'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
        'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.2">'
        f'<office:body><office:spreadsheet><table:table table:name="{sheet}">'
        f"{rows_xml}</table:table></office:spreadsheet></office:body></office:document-content>"
    )
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(zipfile.ZipInfo("mimetype"), "application/vnd.oasis.opendocument.spreadsheet")
        archive.writestr(
            "META-INF/manifest.xml",
            '<?xml version="1.0"?><manifest:manifest xmlns:manifest='
            '"urn:oasis:names:tc:opendocument:xmlns:manifest:1.0"><manifest:file-entry '
            'manifest:full-path="/" manifest:media-type="application/vnd.oasis.opendocument.'
            'spreadsheet"/><manifest:file-entry manifest:full-path="content.xml" '
            'manifest:media-type="text/xml"/></manifest:manifest>',
        )
        archive.writestr("content.xml", content)
    return out.getvalue()


def ods_row(values: list[str], repeat: int = 1) -> str:
    """One ``table:table-row`` of text cells (``number-rows-repeated`` when ``repeat`` > 1)."""
    attribute = f' table:number-rows-repeated="{repeat}"' if repeat > 1 else ""
    cells = "".join(
        f'<table:table-cell office:value-type="string"><text:p>{v}</text:p></table:table-cell>' for v in values
    )
    return f"<table:table-row{attribute}>{cells}</table:table-row>"


# The child's own peak: VmHWM of its address space (ru_maxrss would include the parent's size at fork).
_LOAD_CHILD = r"""
import json, re, sys, time
from medpath.protocol import default_protocol
from medpath.study import load_study
name = sys.argv[1]
data = sys.stdin.buffer.read()
started = time.monotonic()
study = load_study([(name, data)], protocol=default_protocol())
load_seconds = time.monotonic() - started
with open("/proc/self/status") as status:
    peak_kib = int(re.search(r"VmHWM:\s+(\d+)", status.read()).group(1))
print(json.dumps({"findings": [f.as_dict() for f in study.findings], "peak_mib": peak_kib / 1024,
                  "rows": len(study.visits), "load_seconds": load_seconds}))
"""


def load_in_child(name: str, data: bytes) -> dict:
    """``load_study`` of one file in a fresh Python process, as the server would run it: its findings, visit rows,
    its own peak memory (``peak_mib``), the seconds ``load_study`` took (``load_seconds``) and the child's in all
    (``seconds``, start-up included). A child that dies fails."""
    started = time.monotonic()
    done = subprocess.run([sys.executable, "-c", _LOAD_CHILD, name], input=data, capture_output=True, timeout=60)
    elapsed = time.monotonic() - started
    assert done.returncode == 0, f"the child died (code {done.returncode}): {done.stderr.decode()[-2000:]}"
    result = json.loads(done.stdout)
    result["seconds"] = elapsed
    return result
