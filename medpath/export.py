"""Spreadsheet-safe exports of tables (CSV, XLSX) and the file names of downloaded charts.

Formula ("CSV") injection: a spreadsheet program runs a cell whose text starts with ``=``, ``+``,
``-`` or ``@`` as a formula (e.g. ``=HYPERLINK("http://evil.example", "click")`` or the DDE payload
``-cmd|' /C calc'!A0``), and a leading tab or carriage return can hide such a start. Following
OWASP, "CSV Injection" (https://owasp.org/www-community/attacks/CSV_Injection), every *text* cell
that starts with one of those characters -- also after leading whitespace -- gets a single quote
prepended, so Excel, LibreOffice and Google Sheets show it as text. (Quoting and escaping embedded
double quotes and separators, OWASP's other half, is done by the CSV writer.)

Numbers are never touched: a float -2.7 stays a number, in the CSV text and as a numeric XLSX cell.
A *text* cell that is exactly a plain decimal number ("-2.7", "+3", "-1.5e-3") is left alone too:
a spreadsheet reads it as that number and nothing else, so it cannot carry a formula, and prefixing
it would turn a negative T-score typed as text into a string no formula can compute with. Anything
else after the sign ("-2+3", "-1.5)*2") is neutralised.

In XLSX files every text cell is also stored as a string cell (``data_type == "s"``), never as a
formula, so the quote is a second line of defence that survives copy-paste and re-export to CSV.
"""

from __future__ import annotations

import datetime as dt
import io
import numbers
import re
import unicodedata
from collections.abc import Mapping

import numpy as np
import pandas as pd

from medpath import __version__
from medpath.inert import inert_plotly, reveal_controls

#: The characters OWASP lists as starting a formula (or hiding the start of one).
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")
#: Excel's sheet-name limits: 31 characters, none of []:*?/\ .
_SHEET_NAME_MAX = 31
_SHEET_NAME_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")


def _is_formula_like(text: str) -> bool:
    if text.startswith(FORMULA_TRIGGERS):
        return True
    stripped = text.lstrip()
    return stripped != text and stripped.startswith(FORMULA_TRIGGERS)


def neutralise(value: object) -> object:
    """``value`` made inert for a spreadsheet: text starting (after optional whitespace) with
    = + - @ tab or CR gets a leading single quote, unless it is exactly a plain number.

    Numbers, booleans, dates and missing values are returned unchanged; any other object (a list,
    a custom object) is first turned into its text, which is then checked like any text.
    """
    if value is None or isinstance(value, (numbers.Number, np.bool_, dt.date, dt.time, dt.timedelta)):
        return value
    try:
        if pd.isna(value):
            return value
    except (TypeError, ValueError):  # list-likes have no single truth value
        pass
    text = value if isinstance(value, str) else str(value)
    if _is_formula_like(text) and not _PLAIN_NUMBER.fullmatch(text.strip()):
        return "'" + text
    return text


def neutralise_frame(df: pd.DataFrame, *, index: bool = False) -> pd.DataFrame:
    """A copy of ``df`` with every text cell and column label neutralised; numeric, boolean and
    datetime columns are kept as they are (same dtype). With ``index=True`` the index becomes the
    first column(s), neutralised too. Multi-level column labels are joined with " / "."""
    frame = df.reset_index() if index else df.copy()
    if isinstance(frame.columns, pd.MultiIndex):
        frame.columns = [" / ".join(str(level) for level in col if str(level)) for col in frame.columns]
    frame.columns = [neutralise(c) if isinstance(c, str) else c for c in frame.columns]
    for position in text_columns(frame):
        frame.isetitem(position, frame.iloc[:, position].astype(object).map(neutralise))
    return frame


def text_columns(frame: pd.DataFrame) -> list[int]:
    """Positions of the columns that may hold text (neither numeric, boolean nor datetime)."""
    types = pd.api.types
    return [
        i
        for i, (_, column) in enumerate(frame.items())
        if not (
            types.is_numeric_dtype(column)
            or types.is_bool_dtype(column)
            or types.is_datetime64_any_dtype(column)
            or types.is_timedelta64_dtype(column)
        )
    ]


def to_csv_bytes(df: pd.DataFrame, *, index: bool = False) -> bytes:
    """``df`` as CSV in UTF-8 with a byte-order mark (so Excel detects the encoding), text neutralised."""
    text = neutralise_frame(df, index=index).to_csv(index=False)
    return text.encode("utf-8-sig")


def _sheet_names(names) -> list[str]:
    """Valid, unique Excel sheet names (forbidden characters replaced, 31 characters at most)."""
    result: list[str] = []
    for name in names:
        base = _SHEET_NAME_FORBIDDEN.sub("_", str(name)).strip("'") or "Sheet"
        candidate, n = base[:_SHEET_NAME_MAX], 1
        while candidate.lower() in (r.lower() for r in result):
            n += 1
            suffix = f" ({n})"
            candidate = base[: _SHEET_NAME_MAX - len(suffix)] + suffix
        result.append(candidate)
    return result


#: The control characters XML 1.0 cannot hold (openpyxl's ``ILLEGAL_CHARACTERS_RE``, the same class, written here
#: so that importing this module does not import openpyxl, about 0.15 s).
ILLEGAL_CHARACTERS_RE = re.compile(r"[\000-\010]|[\013-\014]|[\016-\037]")


def _xml_safe(value: object) -> object:
    """Control characters XML (and so XLSX) cannot store are replaced by U+FFFD."""
    return ILLEGAL_CHARACTERS_RE.sub("\ufffd", value) if isinstance(value, str) else value


def to_xlsx_bytes(sheets: Mapping[str, pd.DataFrame], *, index: bool = False) -> bytes:
    """One in-memory XLSX workbook (openpyxl), a sheet per table, text neutralised and stored as
    string cells, numbers as numeric cells. Sheet names are made valid for Excel."""
    buffer = io.BytesIO()
    with pd.ExcelWriter(buffer, engine="openpyxl") as writer:
        for name, df in zip(_sheet_names(sheets), sheets.values()):
            frame = neutralise_frame(df, index=index)
            frame.columns = [_xml_safe(c) for c in frame.columns]
            for position in text_columns(frame):
                frame.isetitem(position, frame.iloc[:, position].astype(object).map(_xml_safe))
            frame.to_excel(writer, sheet_name=name, index=False)
            for row in writer.sheets[name].iter_rows():
                for cell in row:
                    if isinstance(cell.value, str):
                        cell.data_type = "s"  # never a formula, whatever the text
    return buffer.getvalue()


def study_workbook(study) -> bytes:
    """The validated study as one XLSX workbook: screening (when present), visits and findings, each row
    with its source file, sheet and Excel row, ready to share or re-open in Excel."""
    sheets = {"screening": study.screening} if study.screening is not None else {}
    sheets |= {
        "visits": study.visits,
        "findings": pd.DataFrame(
            [f.as_dict() for f in study.findings],
            columns=["severity", "file", "sheet", "row", "column", "value", "message"],
        ),
    }
    return to_xlsx_bytes(sheets)


def slug(text: str, *, max_length: int = 40, default: str = "study") -> str:
    """A file-name-safe slug: ASCII letters and digits in lower case, joined by hyphens."""
    ascii_text = unicodedata.normalize("NFKD", str(text)).encode("ascii", "ignore").decode()
    words = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    return words[:max_length].rstrip("-") or default


def date_stamp(when: dt.date | dt.datetime | None) -> str:
    """``when`` (default: today, local time -- the date the user sees on their calendar) as YYYY-MM-DD."""
    when = dt.date.today() if when is None else when
    return (when.date() if isinstance(when, dt.datetime) else when).isoformat()


def chart_filename(study, chart: str, when: dt.date | dt.datetime | None = None) -> str:
    """Base name (no extension: plotly adds ".png") for a chart's download, e.g.
    "medpath_synthetic-sample-study-not-real-patients_funnel_2025-01-31"."""
    return f"medpath_{slug(study.label)}_{slug(chart, default='chart')}_{date_stamp(when)}"


def provenance(study, when: dt.date | dt.datetime | None = None, *, max_files: int = 60) -> str:
    """The footer every exported chart, slide and report figure carries: trial id (the study's protocol), data
    file(s), date, and "SYNTHETIC DATA" for the bundled sample, e.g. "NCT… · medpath_sample_study.xlsx ·
    2025-01-31 · SYNTHETIC DATA — not real patients". File names longer than ``max_files`` characters
    together are cut with "…". Plain text (the caller escapes it for its medium)."""
    names = ", ".join(source.name for source in study.sources) or "no file"
    if len(names) > max_files:
        names = names[: max_files - 1] + "…"
    parts = [study.protocol.id, names, date_stamp(when)]
    if study.synthetic:
        parts.append("SYNTHETIC DATA — not real patients")
    return " · ".join(reveal_controls(part) for part in parts)


def chart_config(study, chart: str, when: dt.date | dt.datetime | None = None, figure=None) -> dict:
    """plotly config: the modebar's camera button saves a PNG of one fixed 16:9 size whatever the window
    (``EXPORT_WIDTH`` x ``EXPORT_HEIGHT`` layout pixels at ``EXPORT_SCALE``: 1600 x 900 pixels), named by
    ``chart_filename``; no plotly logo. (The file name is a slug, safe inside a <script>.) A ``figure`` drawn taller
    than the house ``FIGURE_HEIGHT`` (small multiples, a long label column, a long timeline) saves at its own
    height: squeezed into 450 pixels its panels and labels would overlap."""
    from medpath.figures.style import EXPORT_HEIGHT, EXPORT_SCALE, EXPORT_WIDTH, FIGURE_HEIGHT

    tall = figure is not None and (figure.layout.height or 0) > FIGURE_HEIGHT
    return {
        "toImageButtonOptions": {
            "format": "png",
            "filename": chart_filename(study, chart, when),
            "width": EXPORT_WIDTH,
            "height": figure.layout.height if tall else EXPORT_HEIGHT,
            "scale": EXPORT_SCALE,
        },
        "displaylogo": False,
    }


def footer_lines(study, when: dt.date | dt.datetime | None = None) -> tuple[str, str]:
    """The footer inside every exported chart, in two lines of plain text: trial and data file(s); date, "SYNTHETIC
    DATA" for the sample, and the MedPath version that drew it (``provenance``, then "MedPath 0.1.0")."""
    parts = provenance(study, when).split(" · ")
    return " · ".join(parts[:2]), " · ".join([*parts[2:], f"MedPath {__version__}"])


def stamped(fig, study, when: dt.date | dt.datetime | None = None, *, copy: bool = True):
    """A copy of the plotly figure ``fig`` with the footer (``footer_lines``) written inside it (``inert_plotly``:
    plotly renders pseudo-HTML, and the file names are the uploader's), so the image the modebar saves names its
    trial, file, date and MedPath version. ``copy=False`` writes it into ``fig`` itself (for a caller that made the
    figure only to show it: a copy validates the whole figure again)."""
    import plotly.graph_objects as go

    from medpath.figures.style import add_footer

    text = "<br>".join(inert_plotly(line) for line in footer_lines(study, when))
    return add_footer(go.Figure(fig) if copy else fig, text)
