"""A PowerPoint deck of a study for a study meeting (python-pptx), 16:9 or 4:3 (the Word tables:
``medpath.word_tables``).

The deck: a title slide (trial, data file, date, MedPath version, the SYNTHETIC mark for the sample); the screening
flow; for each primary outcome its trajectories and its before-after plot, each with its plain sentence
(``medpath.wording.plain_sentence``); the results as a real table, with the Holm-adjusted p and the Hodges–Lehmann
estimate and interval; safety (patients and events by CTCAE grade × relatedness and the serious events by patient, or
that adverse events were not supplied or not read, and why: never "0 events"; ``medpath.safety_status``); the data
status (errors, warnings, the values left out and
the first findings). Every chart is a native PowerPoint chart, editable in PowerPoint (its data sheet travels with
it): the trajectories a line chart with markers (one series per patient; a missed visit an empty point, never
interpolated, the line across it dotted: ``_bridge_missed_visits``), the before-after plot a line chart of the two
visits (its category axis names them) with the median, the outcome's classes shaded (``Outcome.bands``, e.g. the WHO
T-score classes) and each line labelled with its patient at its end, the flow a bar chart. Each patient keeps the
colour and marker of the dashboard's charts. Every slide's footer and every chart's title carry the provenance
(``medpath.export.provenance``) and the MedPath version, so that a chart copied into another deck keeps them; the
speaker notes carry the caveats. Both slide sizes are 7.5 in high: the layouts differ only in width.

Text from the data (patient ids, file names) is written as plain text runs, series names and categories, never as a
hyperlink or a field, through ``medpath.inert.reveal_controls`` (controls, and the characters XML cannot hold, shown
as ⟨U+…⟩).

A study of more than ``medpath.scale.SUMMARY_ABOVE`` patients (issue 28) gets the dashboard's summaries as native
charts instead of a line per patient (a line chart of 5,000 series took minutes to write and could not be read):
each outcome's course as the median per visit over the band of the middle half of the patients (25th to 75th
percentile, ``summary_views.visit_quartiles``; each visit's n under it), its before-after as the histogram of the
paired changes (``summary_views.change_bins``, the bins of the dashboard's paired figure), and the adverse events by
term and worst grade as stacked bars (``ae_groups.term_grade_table``). The speaker notes then count instead of
listing: the serious events at most ``medpath.paper.LISTED_ROWS`` (``paper.first_rows``), the events by term. A
pilot's deck is as it was.

``python -m medpath slides FILE ... -o deck.pptx`` and the dashboard's "Download slides" button both call
``build_deck``.
"""

from __future__ import annotations

import copy
import datetime as dt
import io
import math
from collections.abc import Iterable, Sequence

import pandas as pd
from pptx import Presentation
from pptx.chart.chart import Chart
from pptx.chart.data import CategoryChartData
from pptx.chart.series import AreaSeries, LineSeries
from pptx.dml.color import RGBColor
from pptx.enum.chart import (
    XL_AXIS_CROSSES,
    XL_CHART_TYPE,
    XL_LABEL_POSITION,
    XL_LEGEND_POSITION,
    XL_MARKER_STYLE,
    XL_TICK_LABEL_POSITION,
)
from pptx.enum.dml import MSO_LINE_DASH_STYLE
from pptx.enum.text import PP_ALIGN
from pptx.oxml import parse_xml
from pptx.oxml.ns import nsdecls, qn
from pptx.util import Emu, Inches, Length, Pt

from medpath import __version__
from medpath.adverse_events import grade_name, grade_relatedness_matrix, listing
from medpath.ae_groups import TERM_GRADE_NOTE, term_grade_table
from medpath.analysis import Analysis
from medpath.export import date_stamp, provenance, slug
from medpath.figures.safety import GRADE_COLOURS, timeline_rows
from medpath.figures.style import MEDIAN_COLOUR, patient_colours, patient_symbols
from medpath.figures.summary_views import BAR_COLOUR, IQR_NAME, SUMMARY_COLOUR, change_bins, visit_quartiles
from medpath.figures.trajectory import BAND_FILLS, MEDIAN_NAME, _band_label
from medpath.formatting import count_or_reason, number, p_value, percent
from medpath.inert import reveal_controls as _text
from medpath.model import Study
from medpath.outcomes import OutcomeComparison, details_table, plain_language, summary_table
from medpath.paper import first_rows
from medpath.protocol import Outcome
from medpath.safety_status import events_sentence, no_serious_sentence, not_read_sentence, safety
from medpath.scale import summary_first
from medpath.wording import plain_sentence

#: Slide sizes (width, height) by aspect ratio. Both are 7.5 in high, so only the widths of the layout differ.
ASPECTS = {"16:9": (Inches(13.333), Inches(7.5)), "4:3": (Inches(10), Inches(7.5))}
MARGIN = Inches(0.5)
#: Where the parts of a slide go, as (top, height), across the slide between the margins.
TITLE_AT = (Inches(0.25), Inches(0.8))
CHART_AT = (Inches(1.1), Inches(4.75))
SENTENCE_AT = (Inches(5.85), Inches(1.05))
FOOTER_AT = (Inches(6.95), Inches(0.5))
#: How many findings, outcomes with values left out, and serious adverse events a slide lists.
MAX_LISTED = 4
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
#: The band of the middle half of the patients: ``summary_views.BAND_FILL`` (the dashboard's blue at 16 %) laid over
#: white, as a slide's area needs an opaque colour.
BAND_COLOUR = "#D6E8F3"
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


def _font_size(text: str, width: Length, lines: int, largest: int, smallest: int) -> int:
    """The largest size from ``largest`` down to ``smallest`` (points) at which ``text`` takes at most ``lines``
    lines of ``width``: a character of the theme's font (Calibri), or of a wider one put in its place where Calibri
    is missing (DejaVu Sans in LibreOffice), is at most about 0.6 of the size wide."""
    return max(smallest, min(largest, int(width.pt * lines / (0.6 * max(len(text), 1)))))


class _Deck:
    def __init__(self, study: Study, when: dt.datetime, aspect: str):
        if aspect not in ASPECTS:
            raise ValueError(f"aspect must be one of {', '.join(ASPECTS)}, not {aspect!r}")
        self.when = when
        self.prs = Presentation()
        self.prs.slide_width, self.prs.slide_height = ASPECTS[aspect]
        self.width = Emu(ASPECTS[aspect][0] - 2 * MARGIN)
        self.footer = f"{provenance(study, when)} · MedPath {__version__}"

    def across(self, top: Length, height: Length) -> tuple[Length, Length, Length, Length]:
        """(left, top, width, height) of a box across the slide between the margins."""
        return MARGIN, top, self.width, height

    def slide(self, title: str, notes: str):
        slide = self.prs.slides.add_slide(self.prs.slide_layouts[6])  # blank
        _textbox(slide, title, *self.across(*TITLE_AT), size=_font_size(title, self.width, 1, 28, 20), bold=True)
        _textbox(slide, self.footer, *self.across(*FOOTER_AT), size=12, colour=_GREY)
        slide.notes_slide.notes_text_frame.text = _text(notes)
        return slide

    def chart(self, slide, kind: XL_CHART_TYPE, data: CategoryChartData) -> Chart:
        """A native chart in the chart area, titled with the footer (provenance and version), so that the chart
        copied on its own still says which trial, file, date and MedPath version it shows."""
        chart = slide.shapes.add_chart(kind, *self.across(*CHART_AT), data).chart
        chart.has_title = True
        frame = chart.chart_title.text_frame
        frame.text = self.footer
        for run in frame.paragraphs[0].runs:
            run.font.size, run.font.bold, run.font.color.rgb = Pt(12), False, _GREY
        return chart

    def save(self, title: str) -> bytes:
        """The deck as .pptx bytes, its properties saying what made it, when (the generation time) and ``title``
        (python-pptx's template says "Steve Canny", 2013)."""
        core = self.prs.core_properties
        core.author = core.last_modified_by = f"MedPath {__version__}"
        core.title = _text(title)[:255]
        core.comments = self.footer[:255]
        core.created = core.modified = self.when.astimezone(dt.UTC).replace(tzinfo=None)  # written with a "Z"
        core.revision = 1
        buffer = io.BytesIO()
        self.prs.save(buffer)
        return buffer.getvalue()


def _table(deck: _Deck, slide, header: Sequence[str], rows: Iterable[Sequence[str]], top: Length, shares, *, size: int):
    """A real table across the slide: ``header`` (the table style makes it bold), then ``rows``, the columns
    ``shares`` of the width, the text in ``size`` pt."""
    texts = [list(header), *(list(row) for row in rows)]
    height = Inches(size / 40)  # a line and the cell's margins
    shape = slide.shapes.add_table(len(texts), len(header), MARGIN, top, deck.width, Emu(height * len(texts)))
    grid = shape.table
    for column, share in zip(grid.columns, shares):
        column.width = Emu(int(deck.width * share / sum(shares)))
    for i, values in enumerate(texts):
        grid.rows[i].height = height
        for j, value in enumerate(values):
            cell = grid.cell(i, j)
            cell.text = _text(value)
            for run in cell.text_frame.paragraphs[0].runs:
                run.font.size = Pt(size)
    return shape


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


def _values(values: Iterable) -> list[float | None]:
    """Numbers for a chart's data sheet, a missing value as an empty cell."""
    return [None if pd.isna(v) else float(v) for v in values]


def _axis_range(o: Outcome, values: Iterable) -> tuple[float, float] | None:
    """The value axis's range: the outcome's fixed range (VAS 0-10), or the data's in whole half-units; None
    without a value."""
    if o.axis_range is not None:
        return o.axis_range
    finite = [v for v in _values(values) if v is not None]
    if not finite:
        return None
    return math.floor(min(finite) * 2) / 2 - 0.5, math.ceil(max(finite) * 2) / 2 + 0.5


def _set_range(chart: Chart, value_range: tuple[float, float] | None) -> None:
    """The value axis over ``value_range``, with the other axis (and its labels) at the bottom whatever the sign
    of the values."""
    if value_range is None:
        return
    chart.value_axis.minimum_scale, chart.value_axis.maximum_scale = value_range
    chart.value_axis.crosses = XL_AXIS_CROSSES.MINIMUM
    chart.category_axis.tick_label_position = XL_TICK_LABEL_POSITION.LOW


def _sentence(deck: _Deck, slide, sentence: str) -> None:
    _textbox(slide, sentence, *deck.across(*SENTENCE_AT), size=_font_size(sentence, deck.width, 3, 18, 14))


def _flow_slide(deck: _Deck, analysis: Analysis) -> None:
    """The funnel as a bar chart; a step that is not determinable has no bar (never a bar of 0), its category says
    "not determinable" and the notes say why."""
    steps = analysis.eligibility.steps
    data = CategoryChartData()
    data.categories = [  # the first step at the top
        _text(s.label if s.n is not None else f"{s.label}: not determinable") for s in reversed(steps)
    ]
    data.add_series("Patients", [s.n for s in reversed(steps)])
    notes = "\n".join(
        f"{s.label}: {count_or_reason(s.n, s.reason)}"
        + (
            f" (excluded {s.dropped}: " + "; ".join(f"{reason}: {count}" for reason, count in s.excluded.items()) + ")"
            if s.dropped
            else ""
        )
        for s in steps
    )
    slide = deck.slide(f"Screening and enrolment flow — {analysis.study.protocol.id}", notes + "\n\n" + CAVEATS)
    chart = deck.chart(slide, XL_CHART_TYPE.BAR_CLUSTERED, data)
    chart.has_legend = False
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
    data.categories = [study.protocol.visit_label(m).capitalize() for m in months]
    colours, symbols = patient_colours(study.visits["patient_id"]), patient_symbols(study.visits["patient_id"])
    ids = [pid for pid in patients if pid in set(series["patient_id"])]
    rows: dict[str, list[float | None]] = {}
    for pid in ids:
        rows[pid] = _values(series[series["patient_id"] == pid].set_index("month")["value"].reindex(months))
        data.add_series(_text(pid), rows[pid])
    o = comparison.meta
    title = f"{o.name}: each patient over time (n = {len(ids)})"
    notes = (
        "Each line is one patient. A dotted stretch of a line bridges a missed visit: it only joins the visits "
        "either side, and the missed visit has no value and no marker (no value is interpolated).\n"
        + "\n".join(plain_language(comparison))
    )
    slide = deck.slide(title, notes)
    chart = deck.chart(slide, XL_CHART_TYPE.LINE_MARKERS, data)
    _legend_right(chart)
    for pid, line in zip(ids, chart.plots[0].series):
        _style_series(line, colours[pid], symbols[pid])
    _bridge_missed_visits(chart, [(line, rows[pid], colours[pid]) for pid, line in zip(ids, chart.plots[0].series)])
    _axis_title(chart.value_axis, f"{o.axis_title} — {o.better} is better")
    _axis_title(chart.category_axis, "Visit")
    _set_range(chart, _axis_range(o, series["value"]))
    _sentence(deck, slide, plain_sentence(comparison))


def _trajectory_summary_slide(deck: _Deck, analysis: Analysis, comparison: OutcomeComparison) -> None:
    """The course of the outcome over all the study's patients: the median at each visit (a line) over the band of
    the middle half of the patients (first to third quartile, stacked areas as the classes of ``_bands``: the first
    quartile not drawn, the band above it), each visit's category saying how many patients have a value there."""
    quartiles = visit_quartiles(analysis.series[comparison.outcome], "value")
    o, n = comparison.meta, len(analysis.study.patient_ids)
    data = CategoryChartData()
    data.categories = [f"{visit.capitalize()} (n = {k:,})" for visit, k in zip(quartiles["visit"], quartiles["n"])]
    data.add_series("First quartile (not drawn)", _values(quartiles["q1"]))
    data.add_series(IQR_NAME, _values((quartiles["q3"] - quartiles["q1"]).round(9)))  # no float noise in the sheet
    data.add_series(MEDIAN_NAME, _values(quartiles["median"]))
    notes = (
        f"Each visit: the median of the patients with a value there (the line) and the middle half of them, from the "
        f"25th to the 75th percentile (the band); n under the visit. The summary is of all {n:,} patients, none "
        "drawn on their own: each patient's line is on the dashboard's Trajectories page.\n"
        + "\n".join(plain_language(comparison))
    )
    slide = deck.slide(f"{o.name}: median and middle half of patients over time (n = {n:,})", notes)
    chart = deck.chart(slide, XL_CHART_TYPE.LINE_MARKERS, data)
    _shade(chart, [None, BAND_COLOUR])
    (median,) = chart.plots[-1].series
    _style_series(median, SUMMARY_COLOUR, "diamond")
    median.format.line.width = Pt(4)
    _legend_below(chart, [chart.plots[0].series[0]])
    _axis_title(chart.value_axis, f"{o.axis_title} — {o.better} is better")
    _axis_title(chart.category_axis, "Visit (patients with a value)")
    _set_range(chart, _axis_range(o, [*quartiles["q1"], *quartiles["q3"]]))
    _sentence(deck, slide, plain_sentence(comparison))


def _paired_change_slide(deck: _Deck, comparison: OutcomeComparison) -> None:
    """The paired changes (follow-up − baseline) as a histogram: a column per bin of ``change_bins`` (the bins of the
    dashboard's paired figure, centred on multiples of their width), empty bins between included so that the
    category axis is a true scale; the medians and quartiles in the notes."""
    o, summary, n = comparison.meta, comparison.summary, comparison.n_pairs
    width, bins = change_bins(comparison.changes["change"].to_numpy(dtype=float))
    steps = [round(c / width) for c in bins["centre"]]
    counts = dict(zip(steps, bins["n"].astype(int)))
    every = range(min(steps), max(steps) + 1) if steps else range(0)
    after = comparison.followup_visit
    data = CategoryChartData()
    data.categories = [number(k * width, True) if k else "0" for k in every]
    data.add_series("Patients", [counts.get(k, 0) for k in every])

    def quartiles(name: str, q, sign: bool = False) -> str:
        return f"{name}: median {number(q.median, sign)} (middle half {number(q.q1, sign)} to {number(q.q3, sign)})"

    notes = (
        f"Each column: the patients whose change lies within ±{number(width / 2)} of the value under it; 0 is no "
        f"change. {quartiles('Baseline', summary.before)}; {quartiles(after.capitalize(), summary.after)}; "
        f"{quartiles('change', summary.change, True)}.\n" + "\n".join(plain_language(comparison))
    )
    slide = deck.slide(f"{o.name}: change from baseline to {after} (n = {n:,} pairs)", notes)
    chart = deck.chart(slide, XL_CHART_TYPE.COLUMN_CLUSTERED, data)
    chart.has_legend = False
    plot = chart.plots[0]
    plot.gap_width = 15
    plot.series[0].format.fill.solid()
    plot.series[0].format.fill.fore_color.rgb = _rgb(BAR_COLOUR)
    _axis_title(chart.category_axis, f"Change in {o.axis_title}, {after} − baseline ({o.better} is better)")
    _axis_title(chart.value_axis, "Patients")
    _sentence(deck, slide, plain_sentence(comparison))


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


def _legend_right(chart, hidden: Iterable[AreaSeries | LineSeries] = ()) -> None:
    """A legend of the patients at the chart's right, outside the plot, at a size legible on a projector, without
    the ``hidden`` series (``_legend_below``)."""
    _legend_below(chart, hidden)
    chart.legend.position = XL_LEGEND_POSITION.RIGHT


def _bands(o: Outcome, value_range: tuple[float, float] | None) -> list[tuple[str, float, str | None]]:
    """The outcome's classes (``Outcome.bands``, e.g. the WHO T-score classes) as stacked areas, from the bottom of
    the value axis up: (name, height, fill). First the axis's minimum itself, not drawn (fill None), then each class
    up to its upper bound (the top class up to the top of the axis). Stacked, the areas fill between their bounds
    whatever order a program draws them in."""
    if o.bands is None or value_range is None:
        return []
    bands, (low, high) = o.bands, value_range
    tops = [
        band.at_most if band.at_most is not None else high if band.at_least is not None else bands.thresholds[-1]
        for band in bands.classes
    ]
    classes = sorted(
        (min(max(top, low), high), _band_label(bands, i).replace("<br>", ": "), BAND_FILLS[i % len(BAND_FILLS)])
        for i, top in enumerate(tops)
    )
    bottoms = [low, *(top for top, _, _ in classes[:-1])]
    return [("Axis minimum (not drawn)", low, None)] + [
        (name, top - bottom, fill) for bottom, (top, name, fill) in zip(bottoms, classes)
    ]


def _shade(chart: Chart, fills: list[str | None]) -> None:
    """Turn the chart's first ``len(fills)`` series into stacked areas behind the lines, filled with ``fills``
    (None: not drawn): an area chart on the same axes, written first. python-pptx makes no combined chart, so the
    series are moved into a ``c:areaChart`` before the ``c:lineChart``; they stay in the chart's data sheet. The
    categories stay between the tick marks, as in a line chart (with an area chart LibreOffice would put them on
    the tick marks, the first on the value axis)."""
    if not fills:
        return
    lines = chart.plots[0]._element
    area = parse_xml(f'<c:areaChart {nsdecls("c")}><c:grouping val="stacked"/><c:varyColors val="0"/></c:areaChart>')
    for ser in lines.findall(qn("c:ser"))[: len(fills)]:
        for child in [*ser.findall(qn("c:marker")), *ser.findall(qn("c:smooth"))]:  # not in an area series
            ser.remove(child)
        area.append(ser)
    for axis in lines.findall(qn("c:axId")):
        area.append(copy.deepcopy(axis))
    lines.addprevious(area)
    crosses = chart.value_axis._element.find(qn("c:crosses"))
    crosses.addnext(parse_xml(f'<c:crossBetween {nsdecls("c")} val="between"/>'))
    for series, fill in zip(chart.plots[0].series, fills):
        if fill is None:
            series.format.fill.background()
        else:
            series.format.fill.solid()
            series.format.fill.fore_color.rgb = _rgb(fill)
        series.format.line.fill.background()


#: Patients labelled at their line ends on a before-after slide; with more, a stack of 12-pt labels would be taller
#: than the plot (about 2.3 in), and the legend names them instead.
MAX_END_LABELS = 10


def _label_ends(ends: list[tuple[LineSeries, str, str, float]], point: int, span: float) -> None:
    """Label each line with its patient just right of its point ``point`` (its end), in the patient's colour, so that
    the lines are told apart without a legend. ``ends``: (series, patient, colour, value at ``point``).

    As on the dashboard, labels that would overlap (a line of 12 pt is about 9 % of the value axis's ``span`` high:
    the plot is about 2.3 in high in its 4.75-in chart, between the title, the axis labels and the legend) are stacked
    one above the other, the stack centred on their values: here one label of several lines, the highest value's
    patient on top, attached to the point nearest the stack's centre. Stacks that would touch are merged."""
    gap = 0.09 * span

    def centre(group: list[tuple[LineSeries, str, str, float]]) -> float:
        return sum(end[3] for end in group) / len(group)

    groups = [[end] for end in sorted(ends, key=lambda end: end[3])]
    i = 0
    while i < len(groups) - 1:
        below, above = groups[i], groups[i + 1]
        if centre(above) - centre(below) < (len(below) + len(above)) * gap / 2:
            groups[i : i + 2] = [below + above]
            i = max(i - 1, 0)  # the merged stack may now reach the one below
        else:
            i += 1
    for group in groups:
        anchor = min(group, key=lambda end: abs(end[3] - centre(group)))
        label = anchor[0].points[point].data_label
        label.position = XL_LABEL_POSITION.RIGHT
        frame = label.text_frame
        frame.word_wrap = False  # one patient a line (LibreOffice would wrap a long id)
        for k, (_, pid, colour, _) in enumerate(reversed(group)):
            run = (frame.add_paragraph() if k else frame.paragraphs[0]).add_run()
            run.text = _text(pid)
            run.font.size, run.font.bold, run.font.color.rgb = Pt(12), True, _rgb(colour)


def _legend_below(chart: Chart, hidden: Iterable[AreaSeries | LineSeries]) -> None:
    """A legend below the plot without the ``hidden`` series (``c:legendEntry`` deleted, by series index)."""
    chart.has_legend = True
    chart.legend.position = XL_LEGEND_POSITION.BOTTOM
    chart.legend.include_in_layout = False
    chart.legend.font.size = Pt(14)
    position = chart.legend._element.find(qn("c:legendPos"))
    for series in reversed(list(hidden)):  # each right after the position: in the order of the series
        entry = f'<c:legendEntry {nsdecls("c")}><c:idx val="{series.index}"/><c:delete val="1"/></c:legendEntry>'
        position.addnext(parse_xml(entry))


def _before_after_slide(deck: _Deck, study: Study, comparison: OutcomeComparison) -> None:
    o, pairs = comparison.meta, comparison.changes
    visits = [comparison.baseline_visit.capitalize(), comparison.followup_visit.capitalize()]
    thresholds = o.bands.thresholds if o.bands is not None else ()
    value_range = _axis_range(o, [*pairs["baseline"], *pairs["followup"], *thresholds])
    bands = _bands(o, value_range)
    data = CategoryChartData()
    data.categories = visits
    for name, height, _ in bands:
        data.add_series(name, [height, height])
    data.add_series(MEDIAN_NAME, _values([comparison.baseline_median, comparison.followup_median]))
    for row in pairs.itertuples():
        data.add_series(_text(row.patient_id), [float(row.baseline), float(row.followup)])
    after = visits[1].lower()
    title = f"{o.name}: baseline and {after} (n = {len(pairs)} pairs)"
    shaded = f" Shaded: {'; '.join(name for name, _, _ in bands[1:])} ({o.bands.source})." if o.bands and bands else ""
    notes = (
        f"One line per patient with both values, labelled with the patient at its end; the wide grey line is the "
        f"median.{shaded}\n" + "\n".join(plain_language(comparison))
    )
    slide = deck.slide(title, notes)
    chart = deck.chart(slide, XL_CHART_TYPE.LINE_MARKERS, data)
    _shade(chart, [fill for _, _, fill in bands])
    median, *lines = chart.plots[-1].series
    median.format.line.color.rgb = _rgb(MEDIAN_COLOUR)
    median.format.line.width = Pt(6)
    median.smooth = False
    median.marker.style = XL_MARKER_STYLE.NONE
    colours, symbols = patient_colours(study.visits["patient_id"]), patient_symbols(study.visits["patient_id"])
    for row, line in zip(pairs.itertuples(), lines):
        _style_series(line, colours[row.patient_id], symbols[row.patient_id])
    span = value_range[1] - value_range[0] if value_range else 1.0
    ends = [
        (line, row.patient_id, colours[row.patient_id], float(row.followup))
        for row, line in zip(pairs.itertuples(), lines)
    ]
    if len(ends) <= MAX_END_LABELS:
        _label_ends(ends, 1, span)
        _legend_below(chart, [chart.plots[0].series[0], *lines] if bands else lines)  # no axis minimum, no patient
    else:  # a stack of more labels would be taller than the plot: the patients in the legend, as on the trajectories
        _legend_right(chart, [chart.plots[0].series[0]] if bands else [])
    _axis_title(chart.category_axis, "Visit")
    _axis_title(chart.value_axis, f"{o.axis_title} — {o.better} is better")
    _set_range(chart, value_range)
    _sentence(deck, slide, plain_sentence(comparison))


def _result_rows(c: OutcomeComparison) -> list[tuple[str, str]]:
    """The rows of ``summary_table``, then the Holm-adjusted p and the Hodges–Lehmann estimate with its interval,
    written as the dashboard writes them (``medpath.formatting``)."""
    hl = c.hodges_lehmann
    estimate = (
        f"{number(hl.estimate, True)} ({percent(hl.ci_level)} CI {number(hl.ci_low, True)} to "
        f"{number(hl.ci_high, True)})"
        if c.n_pairs
        else "–"
    )
    return [
        *summary_table(c).itertuples(index=False, name=None),
        ("Holm-adjusted p", p_value(c.p_holm)),
        # a yes/no or ordinal outcome has no median change to estimate
        *([("Hodges–Lehmann estimate (CI)", estimate)] if c.moved is None else []),
    ]


def _results_slide(deck: _Deck, comparisons: dict[str, OutcomeComparison]) -> None:
    results = [_result_rows(c) for c in comparisons.values()]
    notes = (
        "\n\n".join(
            f"{c.meta.label}: "
            + "; ".join(f"{r.measure} {r.value} ({r.meaning})" for r in details_table(c).itertuples())
            for c in comparisons.values()
        )
        + "\n\n"
        + CAVEATS
    )
    after = next(iter(comparisons.values())).followup_visit
    slide = deck.slide(f"Primary outcomes: baseline vs {after}", notes)
    header = ["Measure", *(c.meta.name for c in comparisons.values())]
    # the measures of every outcome in order (a yes/no outcome has its own), "–" where an outcome has none
    measures = list(dict.fromkeys(measure for result in results for measure, _ in result))
    rows = [[measure, *(dict(result).get(measure, "–") for result in results)] for measure in measures]
    _table(deck, slide, header, rows, Inches(1.15), [0.35, *[0.65 / len(results)] * len(results)], size=16)
    _textbox(
        slide,
        "Effect size, sign test and mean change: in the speaker notes and the report.",
        *deck.across(Inches(6.3), Inches(0.5)),
        size=14,
        colour=_GREY,
    )


def _safety_slide(deck: _Deck, analysis: Analysis) -> None:
    """Adverse events by CTCAE grade × relatedness and the serious ones by patient (every event in the notes), only
    when the adverse-event sheet was read (``safety_status``); otherwise that they were not supplied or not read, and
    why: never "0 events"."""
    study = analysis.study
    harms = safety(study)
    title = "Safety: adverse events"
    if not harms.read:
        text = not_read_sentence(harms.status)
        _textbox(deck.slide(title, text), text, *deck.across(Inches(1.3), Inches(2.0)), size=24, bold=True)
        return
    events = harms.events
    assert events is not None  # read
    sentence = events_sentence(harms, analysis.flow.enrolled, study.excluded_rows.get("adverse_events", 0))
    every = listing(events, study.protocol.intervention_event, study.protocol.clock)
    serious = every[every["serious"] == "yes"]
    n = len(timeline_rows(events, list(analysis.flow.enrolled_ids)))  # the patients the Safety page would draw
    large = summary_first(n)
    listed, more = first_rows(serious, n, "Safety")
    notes = (
        "CTCAE v5.0 grades; relatedness to the intervention as assessed by the investigator. Each cell of the table: "
        "patients (events), a patient counted once per column, at the worst grade of their events in that column."
        + ("\n\nSerious adverse events:\n" if large else "\n\nEvery adverse event:\n")
        + (
            "\n".join(
                f"{r.patient_id}: {r.term}, {r.onset}, grade {r.grade}, serious: {r.serious}, {r.relatedness}, "
                f"{r.outcome}"
                for r in (listed if large else every).itertuples()
            )
            or "none"
        )
        + (f"\n{more}" if more else "")
        + ("\n\nEvery event is on the dashboard's Safety page; the next slide counts them by term." if large else "")
    )
    slide = deck.slide(title, notes)
    _textbox(slide, sentence, *deck.across(Inches(1.05), Inches(0.45)), size=16)
    heading = "Patients (events) by worst CTCAE grade and relatedness"
    _textbox(slide, heading, *deck.across(Inches(1.5), Inches(0.4)), size=14, bold=True)
    matrix = grade_relatedness_matrix(harms.by_grade_relatedness)
    shape = _table(
        deck, slide, matrix.columns, matrix.to_numpy(), Inches(1.9), [2] + [1] * (matrix.shape[1] - 1), size=13
    )
    top = Emu(shape.top + shape.height + Inches(0.15))
    if serious.empty:
        heading = no_serious_sentence(harms)
    else:
        heading = "Serious adverse events, by patient" + (
            f" (the first {MAX_LISTED} of {len(serious)}; "
            + ("all" if more is None else f"the first {len(listed)}")
            + " in the speaker notes)"
            if len(serious) > MAX_LISTED
            else ""
        )
    _textbox(slide, heading, *deck.across(top, Inches(0.4)), size=14, bold=True)
    if len(serious):
        columns = ["patient_id", "term", "grade", "relatedness", "onset", "outcome"]
        header = ["Patient", "Event", "CTCAE grade", "Relatedness", "Onset", "Outcome"]
        rows = serious[columns].head(MAX_LISTED).to_numpy()
        _table(deck, slide, header, rows, Emu(top + Inches(0.4)), [1, 1.5, 1.2, 1.1, 1.5, 1], size=13)
    if large:
        _term_grade_slide(deck, events)


def _term_grade_slide(deck: _Deck, events: pd.DataFrame) -> None:
    """The events by term (``ae_groups.term_grade_table``: the ``TOP_TERMS`` most frequent, the others together) as
    stacked bars, the most frequent at the top: each bar the patients with the term, a segment per worst CTCAE grade
    in the grade colours of the dashboard's chart; every count, with the events, in the notes."""
    table = term_grade_table(events)
    terms = list(dict.fromkeys(table["term"]))
    grades = [None if pd.isna(g) else int(g) for g in table["grade"]]
    patients = {(t, g): int(k) for t, g, k in zip(table["term"], grades, table["patients"])}
    data = CategoryChartData()
    data.categories = [_text(t) for t in reversed(terms)]  # a bar chart draws its first category at the bottom
    shown = [g for g in (1, 2, 3, 4, 5, None) if g in set(grades)]
    for grade in shown:
        data.add_series(grade_name(grade), [patients.get((t, grade), 0) for t in reversed(terms)])
    notes = f"{TERM_GRADE_NOTE}\n" + "\n".join(
        f"{term}: "
        + "; ".join(
            f"{'not graded' if g is None else f'grade {g}'}: {k} patient(s), {e} event(s)"
            for t, g, k, e in zip(table["term"], grades, table["patients"], table["events"])
            if t == term
        )
        for term in terms
    )
    slide = deck.slide("Safety: adverse events by term and worst CTCAE grade", notes)
    chart = deck.chart(slide, XL_CHART_TYPE.BAR_STACKED, data)
    plot = chart.plots[0]
    plot.gap_width = 40
    for grade, series in zip(shown, plot.series):
        series.format.fill.solid()
        series.format.fill.fore_color.rgb = _rgb(GRADE_COLOURS[grade])
    _legend_below(chart, [])
    chart.category_axis.tick_labels.font.size = Pt(12)
    _axis_title(chart.value_axis, "Patients with the event")


def _clip(text: str, limit: int = 220) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _data_status_slide(deck: _Deck, study: Study) -> None:
    """The errors and warnings, the values left out of the analyses and the first findings, in words; each item in
    full in the notes."""
    findings = [*study.errors, *study.warnings]
    outcomes = study.protocol.outcomes
    left_out = study.left_out_values
    fields = list(dict.fromkeys(zip(left_out["table"], left_out["field"])))
    lines = [
        f"Left out of the analyses: {study.left_out}." if study.left_out else "Nothing was left out of the analyses.",
        *(
            f"• {outcomes[field].label if field in outcomes else field}: {study.left_out_text(field, table=table)}"
            for table, field in fields[:MAX_LISTED]
        ),
        "First findings:" if findings else "No findings: every row passed validation.",
        *(f"• {finding}" for finding in findings[:MAX_LISTED]),
    ]
    if findings or fields:
        lines.append("Every finding and every value left out: on the Data page and in the report.")
    slide = deck.slide(f"Data status: {len(study.errors)} error(s), {len(study.warnings)} warning(s)", "\n".join(lines))
    _textbox(slide, "\n".join(_clip(line) for line in lines), *deck.across(Inches(1.1), Inches(5.7)), size=15)


def build_deck(
    analysis: Analysis,
    *,
    patients: list[str] | None = None,
    generated_at: dt.datetime | None = None,
    aspect: str = "16:9",
) -> bytes:
    """The deck of one analysis (``medpath.analysis.analyse``) as .pptx bytes. ``patients`` limits the trajectory
    charts (the statistics use every pair) up to ``SUMMARY_ABOVE`` patients; above, the charts summarise every patient
    and draw none on their own (a slide cannot tell more than a few lines apart). ``aspect``: "16:9" (13.333 × 7.5 in) or "4:3" (10 × 7.5 in, for a
    1024 × 768 projector); ValueError for another."""
    study, protocol = analysis.study, analysis.study.protocol
    when = (generated_at or dt.datetime.now(dt.UTC)).astimezone()
    deck = _Deck(study, when, aspect)
    subtitle = f": {protocol.short_title}" if protocol.short_title else ""
    title = deck.slide(f"{protocol.id}{subtitle}", "Exploratory summary for a study meeting. " + CAVEATS)
    files = ", ".join(s.name for s in study.sources) or "no file"
    _textbox(
        title,
        f"Data: {files}\nPrepared {date_stamp(when)} with MedPath {__version__}",
        *deck.across(Inches(1.4), Inches(1.4)),
        size=20,
    )
    if study.synthetic:
        _textbox(
            title,
            SYNTHETIC_MARK,
            *deck.across(Inches(3.2), Inches(0.9)),
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
        if summary_first(len(study.patient_ids)):  # the summaries of every patient, no patient's own line
            _trajectory_summary_slide(deck, analysis, comparison)
            _paired_change_slide(deck, comparison)
        else:
            _trajectory_slide(deck, analysis, comparison, chosen)
            _before_after_slide(deck, study, comparison)
    if comparisons:
        _results_slide(deck, comparisons)
    _safety_slide(deck, analysis)
    _data_status_slide(deck, study)
    return deck.save(f"{protocol.id}{subtitle}: study meeting slides")


def deck_filename(study: Study, when: dt.date | dt.datetime | None = None) -> str:
    return f"medpath_slides_{slug(study.label)}_{date_stamp(when)}.pptx"
