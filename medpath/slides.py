"""A 16:9 PowerPoint deck of a study for a study meeting (python-pptx), and the results tables as a Word
document (python-docx).

The deck: a title slide (trial, data file, date, the SYNTHETIC mark for the sample); the screening flow;
for each primary outcome its trajectories and its before-after plot, each with its plain sentence
(``medpath.wording.plain_sentence``); the results as a real table. Every chart is a native PowerPoint
chart, editable in PowerPoint (its data sheet travels with it): the trajectories a line chart with
markers (one series per patient; a missed visit an empty point, never interpolated, the line across it dotted:
``_bridge_missed_visits``), the
before-after plot an XY scatter with lines (baseline at x = 0, follow-up at x = 1), the flow a bar chart.
Each patient keeps the colour and marker of the dashboard's charts. Every slide carries the provenance
footer (``medpath.export.provenance``); the speaker notes carry the caveats.

Text from the data (patient ids, file names) is written as plain text runs, series names and categories, never as a
hyperlink or a field, through ``medpath.inert.reveal_controls`` (controls, and the characters XML cannot hold, shown
as ⟨U+…⟩).

``python -m medpath slides FILE ... -o deck.pptx`` and the dashboard's "Download slides" button both call
``build_deck``.
"""

from __future__ import annotations

import datetime as dt
import io

import pandas as pd
from docx import Document
from docx.shared import Pt as DocxPt
from pptx import Presentation
from pptx.chart.data import CategoryChartData, XyChartData
from pptx.chart.series import LineSeries
from pptx.dml.color import RGBColor
from pptx.enum.chart import XL_AXIS_CROSSES, XL_CHART_TYPE, XL_LEGEND_POSITION, XL_MARKER_STYLE, XL_TICK_LABEL_POSITION
from pptx.enum.dml import MSO_LINE_DASH_STYLE
from pptx.enum.text import PP_ALIGN
from pptx.oxml.ns import qn
from pptx.util import Emu, Inches, Pt

from medpath.analysis import Analysis
from medpath.export import date_stamp, provenance, slug
from medpath.figures.style import patient_colours, patient_symbols
from medpath.inert import reveal_controls as _text
from medpath.model import Study
from medpath.outcomes import OutcomeComparison, details_table, plain_language, summary_table
from medpath.protocol import Outcome
from medpath.values import month_label
from medpath.wording import plain_sentence

SLIDE_WIDTH, SLIDE_HEIGHT = Inches(13.333), Inches(7.5)  # 16:9
MARKERS = {
    "circle": XL_MARKER_STYLE.CIRCLE,
    "square": XL_MARKER_STYLE.SQUARE,
    "diamond": XL_MARKER_STYLE.DIAMOND,
    "triangle-up": XL_MARKER_STYLE.TRIANGLE,
    "x": XL_MARKER_STYLE.X,
    "triangle-down": XL_MARKER_STYLE.TRIANGLE,
    "star": XL_MARKER_STYLE.STAR,
    "cross": XL_MARKER_STYLE.PLUS,
    "hexagon": XL_MARKER_STYLE.DIAMOND,
    "pentagon": XL_MARKER_STYLE.SQUARE,
    "triangle-left": XL_MARKER_STYLE.TRIANGLE,
}
CAVEATS = (
    "Exploratory: a single group without control, so a change from baseline cannot be attributed to the "
    "treatment. A non-significant result is not evidence of no effect."
)
SYNTHETIC_MARK = "SYNTHETIC DATA — not real patients"
_DARK = RGBColor(0x22, 0x22, 0x22)
_GREY = RGBColor(0x44, 0x44, 0x44)


def _rgb(colour: str) -> RGBColor:
    return RGBColor.from_string(colour.lstrip("#").upper())


def _textbox(
    slide,
    text: str,
    left,
    top,
    width,
    height,
    *,
    size: int = 18,
    bold: bool = False,
    colour: RGBColor = _DARK,
    align=None,
):
    box = slide.shapes.add_textbox(left, top, width, height)
    frame = box.text_frame
    frame.word_wrap = True
    paragraph = frame.paragraphs[0]
    paragraph.text = _text(text)
    if align is not None:
        paragraph.alignment = align
    for run in paragraph.runs:
        run.font.size, run.font.bold, run.font.color.rgb = Pt(size), bold, colour
    return box


class _Deck:
    def __init__(self, study: Study, when: dt.datetime):
        self.study, self.when = study, when
        self.prs = Presentation()
        self.prs.slide_width, self.prs.slide_height = SLIDE_WIDTH, SLIDE_HEIGHT
        self.footer = provenance(study, when)

    def slide(self, title: str, notes: str):
        slide = self.prs.slides.add_slide(self.prs.slide_layouts[6])  # blank
        _textbox(slide, title, Inches(0.5), Inches(0.25), Inches(12.3), Inches(0.8), size=28, bold=True)
        _textbox(slide, self.footer, Inches(0.5), Inches(7.0), Inches(12.3), Inches(0.4), size=11, colour=_GREY)
        slide.notes_slide.notes_text_frame.text = _text(notes)
        return slide

    def save(self) -> bytes:
        buffer = io.BytesIO()
        self.prs.save(buffer)
        return buffer.getvalue()


def _axis_title(axis, text: str) -> None:
    axis.has_title = True
    axis.axis_title.text_frame.text = _text(text)
    for run in axis.axis_title.text_frame.paragraphs[0].runs:
        run.font.size = Pt(14)
    axis.tick_labels.font.size = Pt(14)


def _style_series(series, colour: str, symbol: str) -> None:
    series.format.line.color.rgb = _rgb(colour)
    series.format.line.width = Pt(2.5)
    series.smooth = False
    series.marker.style = MARKERS.get(symbol, XL_MARKER_STYLE.CIRCLE)
    series.marker.size = 9
    series.marker.format.fill.solid()
    series.marker.format.fill.fore_color.rgb = _rgb(colour)
    series.marker.format.line.color.rgb = _rgb(colour)


def _value_range(chart, o: Outcome, values) -> None:
    """The value axis: the outcome's fixed range (VAS 0-10) or the data's, in whole half-units, with the
    other axis (and its labels) at the bottom whatever the sign of the values."""
    import math

    finite = [float(v) for v in values if v is not None and not pd.isna(v)]
    if o.axis_range is not None:
        low, high = o.axis_range
    elif finite:
        low, high = math.floor(min(finite) * 2) / 2 - 0.5, math.ceil(max(finite) * 2) / 2 + 0.5
    else:
        return
    chart.value_axis.minimum_scale, chart.value_axis.maximum_scale = low, high
    chart.value_axis.crosses = XL_AXIS_CROSSES.MINIMUM
    chart.category_axis.tick_label_position = XL_TICK_LABEL_POSITION.LOW
    chart.has_title = False


def _chart_area():
    return Inches(0.5), Inches(1.1), Inches(12.3), Inches(4.9)


def _sentence(slide, sentence: str) -> None:
    _textbox(slide, sentence, Inches(0.5), Inches(6.05), Inches(12.3), Inches(0.9), size=18)


def _flow_slide(deck: _Deck, analysis: Analysis) -> None:
    steps = analysis.eligibility.steps
    data = CategoryChartData()
    data.categories = [_text(s.label) for s in reversed(steps)]  # the first step at the top
    data.add_series("Patients", [s.n for s in reversed(steps)])
    notes = "\n".join(
        f"{s.label}: {s.n}"
        + (
            f" (excluded {s.dropped}: " + "; ".join(f"{reason}: {count}" for reason, count in s.excluded.items()) + ")"
            if s.dropped
            else ""
        )
        for s in steps
    )
    slide = deck.slide(f"Screening and enrolment flow — {analysis.study.protocol.id}", notes + "\n\n" + CAVEATS)
    chart = slide.shapes.add_chart(XL_CHART_TYPE.BAR_CLUSTERED, *_chart_area(), data).chart
    chart.has_legend = False
    chart.has_title = False
    plot = chart.plots[0]
    plot.has_data_labels = True
    plot.data_labels.font.size = Pt(14)
    plot.series[0].format.fill.solid()
    plot.series[0].format.fill.fore_color.rgb = _rgb("#0072B2")
    chart.category_axis.tick_labels.font.size = Pt(13)
    chart.value_axis.visible = False
    chart.value_axis.has_major_gridlines = False


def _trajectory_slide(deck: _Deck, analysis: Analysis, comparison: OutcomeComparison, patients: list[str]) -> None:
    study = analysis.study
    series = analysis.series[comparison.outcome]
    series = series[series["patient_id"].isin(patients)]
    months = sorted(series["month"].unique())
    data = CategoryChartData()
    data.categories = [month_label(m).capitalize() for m in months]
    colours, symbols = patient_colours(study.visits["patient_id"]), patient_symbols(study.visits["patient_id"])
    ids = [pid for pid in patients if pid in set(series["patient_id"])]
    rows: dict[str, list[float | None]] = {}
    for pid in ids:
        values = series[series["patient_id"] == pid].set_index("month")["value"].reindex(months)
        rows[pid] = [None if pd.isna(v) else float(v) for v in values]
        data.add_series(_text(pid), rows[pid])
    o = comparison.meta
    title = f"{o.name}: each patient over time (n = {len(ids)})"
    notes = (
        "Each line is one patient. A dotted stretch of a line bridges a missed visit: it only joins the visits "
        "either side, and the missed visit has no value and no marker (no value is interpolated).\n"
        + "\n".join(plain_language(comparison))
    )
    slide = deck.slide(title, notes)
    chart = slide.shapes.add_chart(XL_CHART_TYPE.LINE_MARKERS, *_chart_area(), data).chart
    _legend_right(chart)
    for pid, line in zip(ids, chart.plots[0].series):
        _style_series(line, colours[pid], symbols[pid])
    _bridge_missed_visits(chart, [(line, rows[pid], colours[pid]) for pid, line in zip(ids, chart.plots[0].series)])
    _axis_title(chart.value_axis, f"{o.axis_title} — {o.better} is better")
    _axis_title(chart.category_axis, "Visit")
    _value_range(chart, o, series["value"])
    _sentence(slide, plain_sentence(comparison))


def _bridge_missed_visits(chart, lines: list[tuple[LineSeries, list[float | None], str]]) -> None:
    """Make each missed visit visible as a dotted bridge, as on the dashboard's charts.

    A line chart's empty points are drawn as gaps, spanned, or as zero, for the whole chart
    (``c:dispBlanksAs``); a second series holding only the two values around a gap would itself be a
    gap, so nothing would be drawn. Instead the chart spans empty points, and in each patient's series the
    segment that crosses a run of missed visits (PowerPoint formats a line chart's segment with the point it
    leads to: the first value after the run) is dotted, in the patient's colour. The data sheet keeps the
    missed visit as an empty cell and it gets no marker: no value is interpolated. Empty points before the
    first value or after the last are not spanned (nothing is drawn there).

    ``lines``: (series, its values, colour) for every series of the chart."""
    blanks = chart._chartSpace.chart.find(qn("c:dispBlanksAs"))  # no python-pptx API: its line charts write "gap"
    blanks.set("val", "span")
    for series, values, colour in lines:
        observed = [i for i, v in enumerate(values) if v is not None]
        for before, after in zip(observed, observed[1:]):
            if after - before > 1:
                line = series.points[after].format.line
                line.dash_style = MSO_LINE_DASH_STYLE.ROUND_DOT
                line.color.rgb = _rgb(colour)
                line.width = Pt(2.5)


def _legend_right(chart) -> None:
    """A legend of the patients at the chart's right, outside the plot, at a size legible on a projector."""
    chart.has_legend = True
    chart.legend.position = XL_LEGEND_POSITION.RIGHT
    chart.legend.include_in_layout = False
    chart.legend.font.size = Pt(14)


def _before_after_slide(deck: _Deck, study: Study, comparison: OutcomeComparison) -> None:
    data = XyChartData()
    colours, symbols = patient_colours(study.visits["patient_id"]), patient_symbols(study.visits["patient_id"])
    pairs = comparison.changes
    for row in pairs.itertuples():
        line = data.add_series(_text(row.patient_id))
        line.add_data_point(0.0, float(row.baseline))
        line.add_data_point(1.0, float(row.followup))
    o = comparison.meta
    after = month_label(comparison.followup_month)
    title = f"{o.name}: baseline and {after} (n = {len(pairs)} pairs)"
    notes = f"Left: baseline (x = 0); right: {after} (x = 1). One line per patient with both values.\n" + "\n".join(
        plain_language(comparison)
    )
    slide = deck.slide(title, notes)
    chart = slide.shapes.add_chart(XL_CHART_TYPE.XY_SCATTER_LINES, *_chart_area(), data).chart
    _legend_right(chart)
    for row, line in zip(pairs.itertuples(), chart.plots[0].series):
        _style_series(line, colours[row.patient_id], symbols[row.patient_id])
    chart.category_axis.minimum_scale, chart.category_axis.maximum_scale = -0.5, 1.5
    chart.category_axis.major_unit = 0.5
    chart.category_axis.has_major_gridlines = False
    chart.category_axis.crosses = XL_AXIS_CROSSES.MINIMUM  # the value axis at the left edge
    _axis_title(chart.category_axis, f"0 = baseline, 1 = {after}")
    _axis_title(chart.value_axis, f"{o.axis_title} — {o.better} is better")
    _value_range(chart, o, [*pairs["baseline"], *pairs["followup"]])
    _sentence(slide, plain_sentence(comparison))


def _results_slide(deck: _Deck, comparisons: dict) -> None:
    tables = {key: summary_table(c) for key, c in comparisons.items()}
    measures = list(next(iter(tables.values()))["measure"])  # the same rows for every outcome
    notes = (
        "\n\n".join(
            f"{c.meta.label}: "
            + "; ".join(f"{r.measure} {r.value} ({r.meaning})" for r in details_table(c).itertuples())
            for c in comparisons.values()
        )
        + "\n\n"
        + CAVEATS
    )
    after = month_label(next(iter(comparisons.values())).followup_month)
    slide = deck.slide(f"Primary outcomes: baseline vs {after}", notes)
    rows, cols = len(measures) + 1, len(tables) + 1
    shape = slide.shapes.add_table(rows, cols, Inches(0.5), Inches(1.2), Inches(12.3), Emu(Inches(0.55) * rows))
    grid = shape.table
    grid.columns[0].width = Inches(4.3)
    for j in range(1, cols):
        grid.columns[j].width = Emu(int(Inches(8.0) / (cols - 1)))
    header = ["Measure", *(comparisons[k].meta.name for k in tables)]
    for j, text in enumerate(header):
        grid.cell(0, j).text = _text(text)
    for i, measure in enumerate(measures, start=1):
        grid.cell(i, 0).text = _text(measure)
        for j, frame in enumerate(tables.values(), start=1):
            grid.cell(i, j).text = _text(frame["value"].iloc[i - 1])
    for i in range(rows):
        for j in range(cols):
            for paragraph in grid.cell(i, j).text_frame.paragraphs:
                for run in paragraph.runs:
                    run.font.size = Pt(16)
    _textbox(
        slide,
        "Estimates, intervals, effect sizes and the Holm adjustment: in the speaker notes and the report.",
        Inches(0.5),
        Inches(6.2),
        Inches(12.3),
        Inches(0.6),
        size=14,
        colour=_GREY,
    )


def build_deck(
    analysis: Analysis, *, patients: list[str] | None = None, generated_at: dt.datetime | None = None
) -> bytes:
    """The deck of one analysis (``medpath.analysis.analyse``) as .pptx bytes. ``patients`` limits the trajectory
    charts (the statistics use every pair)."""
    study, protocol = analysis.study, analysis.study.protocol
    when = (generated_at or dt.datetime.now(dt.UTC)).astimezone()
    deck = _Deck(study, when)
    subtitle = f": {protocol.short_title}" if protocol.short_title else ""
    title = deck.slide(f"{protocol.id}{subtitle}", "Exploratory summary for a study meeting. " + CAVEATS)
    files = ", ".join(s.name for s in study.sources) or "no file"
    _textbox(
        title,
        f"Data: {files}\nPrepared {date_stamp(when)} with MedPath",
        Inches(0.5),
        Inches(1.4),
        Inches(12.3),
        Inches(1.4),
        size=20,
    )
    if study.synthetic:
        _textbox(
            title,
            SYNTHETIC_MARK,
            Inches(0.5),
            Inches(3.2),
            Inches(12.3),
            Inches(0.9),
            size=32,
            bold=True,
            colour=RGBColor(0xB3, 0x47, 0x00),
            align=PP_ALIGN.LEFT,
        )
    if len(study.visits) or study.screening is not None:
        _flow_slide(deck, analysis)
    comparisons = analysis.primary
    chosen = list(study.patient_ids) if patients is None else [p for p in study.patient_ids if p in set(patients)]
    for comparison in comparisons.values():
        _trajectory_slide(deck, analysis, comparison, chosen)
        _before_after_slide(deck, study, comparison)
    if comparisons:
        _results_slide(deck, comparisons)
    return deck.save()


def deck_filename(study: Study, when: dt.date | dt.datetime | None = None) -> str:
    return f"medpath_slides_{slug(study.label)}_{date_stamp(when)}.pptx"


def tables_filename(study: Study, when: dt.date | dt.datetime | None = None) -> str:
    return f"medpath_tables_{slug(study.label)}_{date_stamp(when)}.docx"


def _docx_table(document, frame: pd.DataFrame, header: list[str]) -> None:
    grid = document.add_table(rows=1, cols=len(header))
    grid.style = "Table Grid"
    for cell, text in zip(grid.rows[0].cells, header):
        cell.text = _text(text)
        for run in cell.paragraphs[0].runs:
            run.font.bold = True
    for row in frame.itertuples(index=False):
        cells = grid.add_row().cells
        for cell, value in zip(cells, row):
            cell.text = (
                "—"
                if value is None or (isinstance(value, float) and pd.isna(value))
                else _text(f"{value:g}" if isinstance(value, float) else value)
            )


def results_docx(analysis: Analysis, *, generated_at: dt.datetime | None = None) -> bytes:
    """The results tables of one analysis as a Word document (python-docx): per primary outcome its plain
    sentence, the main table, the statistical details (each term explained) and the per-patient changes;
    provenance on top."""
    study = analysis.study
    when = (generated_at or dt.datetime.now(dt.UTC)).astimezone()
    document = Document()
    document.styles["Normal"].font.size = DocxPt(11)
    document.add_heading(f"{study.protocol.id}: primary outcomes", level=1)
    document.add_paragraph(_text(provenance(study, when)))
    comparisons = analysis.primary
    if not comparisons:
        document.add_paragraph("No primary outcome could be analysed with the data provided.")
    for c in comparisons.values():
        document.add_heading(c.meta.label, level=2)
        document.add_paragraph(_text(plain_sentence(c)))
        _docx_table(document, summary_table(c), ["Measure", "Value"])
        document.add_heading("Statistical details", level=3)
        _docx_table(document, details_table(c), ["Measure", "Value", "What it means"])
        document.add_heading("Per-patient change", level=3)
        after = month_label(c.followup_month).capitalize()
        _docx_table(document, c.changes, ["Patient", "Baseline", after, "Change"])
    document.add_paragraph(CAVEATS)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()
