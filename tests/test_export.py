"""Spreadsheet-safe exports (OWASP "CSV Injection") and download file names (issue 7, item 3)."""

from __future__ import annotations

import csv
import datetime as dt
import io

import numpy as np
import pandas as pd
import pytest
from openpyxl import load_workbook

from medpath import __version__
from medpath.export import chart_config, chart_filename, neutralise, neutralise_frame, slug, to_csv_bytes, to_xlsx_bytes
from medpath.model import Study
from medpath.protocol import default_protocol

HOSTILE = [
    '=HYPERLINK("http://evil.example","click")',
    "+cmd",
    "-cmd|' /C calc'!A0",
    "@SUM(1)",
    "\t=1",
    "\r=1",
    "  =1+1",
    " \t@x",
]


@pytest.mark.parametrize("text", HOSTILE)
def test_formula_like_text_gets_a_leading_quote(text):
    assert neutralise(text) == "'" + text


@pytest.mark.parametrize(
    "value", ["MSC-01", "normal text", "", " spaced", "a=b", "2.5", "-2.7", "+3", " -1.5e-3", "osteopenia"]
)
def test_ordinary_text_and_plain_number_text_are_unchanged(value):
    assert neutralise(value) == value


@pytest.mark.parametrize("value", ["-2+3", "-1.5)*2", "-2.7 ", "+1e5*A1", "-inf", "-nan"])
def test_anything_beyond_a_plain_number_after_a_sign_is_neutralised(value):
    expected = value if value == "-2.7 " else "'" + value  # trailing blank: still a plain number
    assert neutralise(value) == expected


@pytest.mark.parametrize(
    "value",
    [
        -2.7,
        -3,
        np.float64(-2.5),
        np.int64(-1),
        True,
        np.bool_(False),
        None,
        np.nan,
        pd.NA,
        pd.Timestamp("2024-01-01"),
        dt.date(2024, 1, 1),
    ],
)
def test_non_text_values_are_returned_unchanged(value):
    assert neutralise(value) is value


def test_other_objects_are_checked_as_their_text():
    assert neutralise(["a"]) == "['a']"
    assert neutralise(type("X", (), {"__str__": lambda self: "=1"})()) == "'=1"


def _frame():
    return pd.DataFrame(
        {
            "patient_id": [*HOSTILE[:5], "MSC-01"],
            "bmd_tscore": [-2.7, -3.1, np.nan, 0.5, -1.0, -2.5],
            "note": ["ok", None, "-2.7", "-2+3", "x", "y"],
            "responder": pd.array([True, False, None, True, True, False], dtype="boolean"),
        }
    )


def test_neutralise_frame_keeps_numeric_columns_and_labels_hostile_headers():
    df = _frame()
    df["=cmd"] = 1.0
    out = neutralise_frame(df)
    assert out["bmd_tscore"].dtype == float and out["bmd_tscore"].iloc[0] == -2.7
    assert out["patient_id"].tolist()[:2] == ["'" + HOSTILE[0], "'+cmd"]
    assert "'=cmd" in out.columns
    assert df["patient_id"].iloc[0] == HOSTILE[0]  # the input is not modified


def test_csv_has_a_bom_neutralised_text_and_raw_negative_numbers():
    data = to_csv_bytes(_frame())
    assert data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert rows[0] == ["patient_id", "bmd_tscore", "note", "responder"]
    ids = [r[0] for r in rows[1:]]
    assert ids[:5] == ["'" + t for t in HOSTILE[:5]] and ids[5] == "MSC-01"
    assert [r[1] for r in rows[1:]][:2] == ["-2.7", "-3.1"]  # numbers untouched, no quote
    assert [r[2] for r in rows[1:]][2:4] == ["-2.7", "'-2+3"]
    assert not any(cell.startswith(("=", "+", "@", "\t", "\r")) for row in rows for cell in row)


def test_csv_with_index_neutralises_the_index():
    df = pd.DataFrame({"n": [1]}, index=pd.Index(["=x"], name="who"))
    rows = list(csv.reader(io.StringIO(to_csv_bytes(df, index=True).decode("utf-8-sig"))))
    assert rows == [["who", "n"], ["'=x", "1"]]


def test_xlsx_text_is_inert_string_cells_and_numbers_stay_numeric():
    data = to_xlsx_bytes({"visits": _frame(), "other": pd.DataFrame({"a": ["=1"]})})
    book = load_workbook(io.BytesIO(data))
    assert book.sheetnames == ["visits", "other"]
    sheet = book["visits"]
    ids = [sheet.cell(row=r, column=1) for r in range(2, 8)]
    assert [c.value for c in ids[:5]] == ["'" + t for t in HOSTILE[:5]]
    assert all(c.data_type == "s" for c in ids)
    tscore = sheet.cell(row=2, column=2)
    assert tscore.value == -2.7 and tscore.data_type == "n"
    assert sheet.cell(row=4, column=3).value == "-2.7" and sheet.cell(row=4, column=3).data_type == "s"
    assert sheet.cell(row=2, column=4).value is True
    assert not any(c.data_type == "f" for s in book.worksheets for row in s.iter_rows() for c in row)


def test_xlsx_sheet_names_are_made_valid_and_unique_and_control_characters_dropped():
    frame = pd.DataFrame({"a": ["bad\x01char"]})
    data = to_xlsx_bytes({"a/b": frame, "a?b": frame, "x" * 40: frame})
    book = load_workbook(io.BytesIO(data))
    assert book.sheetnames == ["a_b", "a_b (2)", "x" * 31]
    assert book["a_b"]["A2"].value == "bad\ufffdchar"


def _study(label):
    return Study(screening=None, visits=pd.DataFrame(), label=label, protocol=default_protocol())


def test_chart_filename_names_study_chart_and_date():
    study = _study("Synthetic sample study (not real patients)")
    name = chart_filename(study, "Spaghetti bmd_tscore", dt.date(2025, 1, 31))
    assert name == "medpath_synthetic-sample-study-not-real-patients_spaghetti-bmd-tscore_2025-01-31"
    assert (
        chart_filename(_study('<script>"x"</script>'), "funnel", dt.datetime(2025, 2, 1, 23, 0))
        == "medpath_script-x-script_funnel_2025-02-01"
    )
    config = chart_config(study, "funnel", dt.date(2025, 1, 31))
    # one fixed 16:9 size whatever the window: 800 x 450 layout pixels at 2x = a 1600 x 900 PNG
    assert config["toImageButtonOptions"] == {
        "format": "png",
        "scale": 2,
        "width": 800,
        "height": 450,
        "filename": chart_filename(study, "funnel", dt.date(2025, 1, 31)),
    }


def test_provenance_names_trial_file_date_and_the_synthetic_mark():
    import plotly.graph_objects as go

    from medpath.export import provenance, stamped
    from medpath.study import load_sample_study

    sample = load_sample_study()
    assert provenance(sample, dt.date(2025, 1, 31)) == (
        "NCT04501354 · medpath_sample_study.xlsx · 2025-01-31 · SYNTHETIC DATA — not real patients"
    )
    uploaded = _study("trial")
    uploaded = type(uploaded)(**{**uploaded.__dict__, "sources": (type(sample.sources[0])("<b>x</b>.xlsx", 1, "0"),)})
    assert provenance(uploaded, dt.date(2025, 1, 31)) == "NCT04501354 · <b>x</b>.xlsx · 2025-01-31"
    fig = stamped(go.Figure(), uploaded, dt.date(2025, 1, 31))
    [footer] = [a for a in fig.layout.annotations if a.name == "provenance"]
    assert footer.text == f"NCT04501354 · &lt;b&gt;x&lt;/b&gt;.xlsx<br>2025-01-31 · MedPath {__version__}"  # escaped
    assert footer.yref == "paper" and footer.y == 0 and footer.yanchor == "top"


def test_slug_falls_back_and_transliterates():
    assert slug("") == "study" and slug("!!!") == "study"
    assert slug("Études à Jakarta") == "etudes-a-jakarta"
    assert len(slug("a" * 100)) == 40


def test_study_workbook_holds_the_validated_tables_and_findings_with_numbers_as_numbers():
    import io

    from conftest import visits_rows
    from openpyxl import load_workbook

    from medpath.export import study_workbook
    from medpath.study import load_study

    rows = visits_rows(2)
    rows[2][3] = 11  # Excel row 3: VAS 11
    rows.append(["=HYPERLINK(1)", "baseline", -2.7, 5])
    study = load_study(
        [("t.csv", "\n".join(",".join(map(str, r)) for r in rows).encode())], protocol=default_protocol()
    )
    book = load_workbook(io.BytesIO(study_workbook(study)))
    assert book.sheetnames == ["visits", "findings"]
    visits = list(book["visits"].values)
    header = visits[0]
    tscores = [r[header.index("bmd_tscore")] for r in visits[1:]]
    assert tscores == [-3.0, -2.8, -3.0, -2.8, -2.7]  # only the VAS 11 is left out; negatives stay numbers
    ids = [r[header.index("patient_id")] for r in visits[1:]]
    assert ids[-1].startswith("'=HYPERLINK")
    findings = list(book["findings"].values)
    assert findings[0] == ("severity", "file", "sheet", "row", "column", "value", "message")
    assert any(r[0] == "error" and r[3] == 3 and r[4] == "vas" for r in findings[1:])


def test_xml_illegal_characters_are_openpyxls():
    """The class written in medpath.export (so that importing it does not import openpyxl) is openpyxl's own."""
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE as openpyxl_pattern

    from medpath.export import ILLEGAL_CHARACTERS_RE

    assert ILLEGAL_CHARACTERS_RE.pattern == openpyxl_pattern.pattern
    every = "".join(map(chr, range(0x20)))
    assert ILLEGAL_CHARACTERS_RE.sub("", every) == openpyxl_pattern.sub("", every) == "\t\n\r"


def test_the_cli_starts_without_the_heavy_libraries():
    """Issue 17: the CLI's start-up imports neither openpyxl, scipy, plotly nor python-pptx; each command imports
    what it needs (a fresh interpreter, so nothing is imported already)."""
    import subprocess
    import sys

    code = (
        "import sys, medpath.cli; "
        "print(sorted(m for m in ('openpyxl', 'scipy', 'plotly', 'pptx', 'docx', 'streamlit') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
