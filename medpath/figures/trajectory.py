"""Per-patient trajectory charts: spaghetti plot, small multiples and a before-after (paired) plot.

Each patient keeps one colour and one marker shape on every chart (``style.patient_colours``,
``style.patient_symbols`` over all patients of the visits table). Patients stay distinguishable when
their values tie (integer VAS scores): each is nudged sideways by a small fixed step, the median line is
drawn beneath them, and each line is labelled with its patient right of its end, tied labels nudged apart, in a
column the right margin makes room for (``_end_labels``; an outcome's class labels get a column of their own beyond
it). A missed visit is a gap in the patient's solid line (``connectgaps=False``: no value is ever interpolated)
bridged by a separate dotted line, named and hovered as a missed visit, with a hollow marker where the visit was due,
in the spaghetti plot (with a legend entry explaining it) and in each small multiple (the title explains it).
Values come from ``medpath.trajectories.patient_series``.

Each figure is built in one go: its traces as dicts and its whole layout, the house style
(``style.apply_layout``) computed once and merged in, the small multiples' panel grid computed here rather than
by ``make_subplots``, so that plotly validates every part once (a rerun of the Trajectories page redraws both).

Sizes are in pixels: titles wrap to the export width (``style.title_layout``), a figure grows taller when its
labels or panels need it, and the small multiples are laid out panel by panel (``small_multiples_figure``).

Many patients: beyond ``MAX_PATIENT_TRACES`` patients the spaghetti and before-after plots draw all
patients as one grey trace (lines separated by gaps, each point's hover naming its patient), so a
figure of thousands of patients stays a handful of traces; the small multiples show ``PATIENTS_PER_PAGE``
patients a page (``small_multiple_pages``) and say which in the title.

Patient ids and visit labels are text from the data: every one is drawn through ``inert_plotly``.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Any, Literal

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from medpath.figures.style import (
    ACROSS,
    BAND_BORDER_COLOUR,
    BASE_FONT_SIZE,
    FIGURE_HEIGHT,
    FOOTER_MARGIN,
    MEDIAN_COLOUR,
    across_line,
    merged_layout,
    one_go_figure,
    patient_colours,
    patient_symbols,
    text_width,
    title_layout,
    wrap,
)
from medpath.inert import inert_plotly
from medpath.outcomes import OutcomeComparison
from medpath.protocol import Bands, Outcome, Protocol
from medpath.schedule import Clock
from medpath.trajectories import patient_ids, patient_series

MEDIAN_NAME = "Median"
#: Pale fills of an outcome's classes (``Outcome.bands``, best first: green, amber, red), kept light so that the
#: saturated patient colours stay readable on top of them.
BAND_FILLS = ("#E3F2E6", "#FFF3D6", "#FBE1DC")
SMALL_MULTIPLE_COLUMNS = 5
#: Small multiples, in pixels: a panel's height; the gap between the outcome rows of a block of patients (no text
#: between them); the strip above a block for the patients' ids; the gap below a block for its tick labels and
#: "Month" titles; and the gap between columns (a fraction of the width).
PANEL_HEIGHT, ROW_GAP, PANEL_TITLE, BLOCK_GAP, COLUMN_SPACING = 160, 16, 28, 56, 0.03
#: Small multiples: at most this many patients on a page (``small_multiple_pages``), in order of id.
PATIENTS_PER_PAGE = 30
#: Line-end labels (pixels): their font size, the height each takes (they are at least that far apart), and
#: the room between the column's x and the labels.
LABEL_SIZE, LABEL_HEIGHT, LABEL_SHIFT = BASE_FONT_SIZE - 2, 20, 8
#: An outcome's class labels: their font size, and the gap between the patients' label column and theirs (pixels).
BAND_LABEL_SIZE, COLUMN_GAP = BASE_FONT_SIZE - 1, 14
#: Room below the plot for the x tick labels and the axis title (pixels; the house bottom margin).
BOTTOM = 60
#: A legend in a row above the plot's right end (where ``style.title_layout`` leaves room for it, and where the
#: static SVG copy draws it).
TOP_LEGEND = {
    "orientation": "h",
    "x": 1,
    "xanchor": "right",
    "y": 1.0,
    "yanchor": "bottom",
    "font": {"size": BASE_FONT_SIZE - 2},
}
#: Up to this many patients, each patient is a trace of its own colour (a legend entry).
MAX_PATIENT_TRACES = 50
#: Beyond ``MAX_PATIENT_TRACES``: the single trace of all patients.
ALL_PATIENTS_COLOUR = "rgba(80, 80, 80, 0.35)"
#: Sideways step between patients in the before-after plot (x units; baseline and follow-up are 1 apart).
DODGE = 0.03
#: Sideways step between patients in the spaghetti plot (months), shrunk so all stay within ±0.3 months.
MONTH_DODGE = 0.1
#: Suffix of the name of a patient's dotted missed-visit trace, and the legend entry explaining it.
MISSED_SUFFIX = " · missed visit"
MISSED_LEGEND = "Dotted: missed visit (no value)"


def _fmt(value: float, sign: bool = False) -> str:
    """Hover text: the exact value (6 significant digits), not the 3 of ``medpath.formatting``."""
    return "–" if pd.isna(value) else format(value, "+.6g" if sign else ".6g")


def _span(months, protocol: Protocol) -> str:
    """'baseline to month 6' for the months that carry data (named in the schedule's unit)."""
    months = sorted(set(months))
    if not months:
        return "no data"
    first, last = protocol.visit_label(months[0]), protocol.visit_label(months[-1])
    return first if first == last else f"{first} to {last}"


def _y_title(o: Outcome, mode: str = "absolute") -> str:
    title = o.axis_title if mode == "absolute" else f"Change from baseline ({o.unit})"
    return f"{title}<br>{o.better} is better"  # two lines: the title fits a short plot (a phone)


#: In a narrow panel, a visit's tick is labelled only this far (a fraction of the axis) from the last one labelled.
TICK_LABEL_GAP = 0.075


def _spaced_tick_text(months: list[float], clock: Clock) -> list[str]:
    """The x tick labels of a small panel: each visit's time in the schedule's unit, left blank where it would touch
    the label before it (weeks 0, 2 and 4 of a year: "0", "", ""); the first and the last are always labelled."""
    span = (max(months) - min(months) + 1.0) if months else 1.0
    labels, last = [], -math.inf
    for i, m in enumerate(months):
        keep = m - last >= TICK_LABEL_GAP * span or i == len(months) - 1
        labels.append(f"{clock.count(m):g}" if keep else "")
        last = m if keep else last
    return labels


def _level_ticks(o: Outcome, mode: str = "absolute") -> dict[str, Any]:
    """A yes/no or ordinal outcome's y ticks: its values by name (a change: whole steps); a number: none."""
    if not o.level_names:
        return {}
    if mode != "absolute":
        return {"dtick": 1}
    return {"tickmode": "array", "tickvals": list(range(len(o.level_names))), "ticktext": list(o.level_names)}


def _colours(visits: pd.DataFrame, colours: dict[str, str] | None) -> dict[str, str]:
    return {**patient_colours(visits["patient_id"]), **(colours or {})}


def _shifts(n: int, step: float, half_width: float) -> np.ndarray:
    """Sideways offsets of n patients, centred on 0, ``step`` apart or closer so all stay within
    ±``half_width``."""
    step = min(step, 2 * half_width / max(n - 1, 1))
    return (np.arange(n) - (n - 1) / 2) * step


Patients = list[tuple[str, dict[str, np.ndarray]]]


def _by_patient(series: pd.DataFrame, columns: tuple[str, ...]) -> Patients:
    """Each patient's rows of ``series`` (sorted by patient, as ``patient_series`` returns them) as arrays of
    ``columns``, in order of patient id: slices of one array each, cheaper than a pandas groupby."""
    pids = series["patient_id"].to_numpy()
    arrays = {column: series[column].to_numpy() for column in columns}
    bounds = [0, *(np.flatnonzero(pids[1:] != pids[:-1]) + 1).tolist(), len(pids)] if len(pids) else [0]
    return [(str(pids[a]), {c: v[a:b] for c, v in arrays.items()}) for a, b in zip(bounds[:-1], bounds[1:])]


def _missed_trace(pid: str, rows: dict[str, np.ndarray], colour: str, x, y: str) -> dict[str, Any] | None:
    """The dotted lines bridging a patient's missed visits: from the last value before a run of
    missing values to the first after it, with a hollow marker at each missed visit's month (on the
    bridge; hover says there is no value). None when the patient missed nothing between values.
    ``rows``: the patient's columns (``_by_patient``); ``x``: where each row is drawn."""
    values = rows[y].astype(float)
    months = rows["month"].astype(float)
    observed = np.flatnonzero(~np.isnan(values))
    xs: list[float | None] = []
    ys: list[float | None] = []
    hover: list[str] = []
    for a, b in zip(observed[:-1], observed[1:]):
        if b - a < 2:
            continue
        missed = ", ".join(map(str, rows["visit"][a + 1 : b]))
        for i in (a, *range(a + 1, b), b):
            fraction = (months[i] - months[a]) / (months[b] - months[a])
            xs.append(float(x[i]))
            ys.append(float(values[a] + fraction * (values[b] - values[a])))
            hover.append(f"missed visit: {missed} (no value; dotted line only joins the neighbours)")
        xs.append(None)
        ys.append(None)
        hover.append("")
    if not xs:
        return None
    pid = inert_plotly(pid)
    symbols = [
        "circle-open"
        if 0 < k < len(xs) and xs[k - 1] is not None and k + 1 < len(xs) and xs[k + 1] is not None
        else "circle"
        for k in range(len(xs))
    ]
    return {
        "type": "scatter",
        "x": xs,
        "y": ys,
        "name": pid + MISSED_SUFFIX,
        "mode": "lines+markers",
        "showlegend": False,
        "line": {"color": colour, "width": 2, "dash": "dot"},
        "marker": {"color": colour, "size": [10 if s == "circle-open" else 0 for s in symbols], "symbol": symbols},
        "hovertext": hover,
        "hovertemplate": f"<b>{pid}</b> · %{{hovertext}}<extra></extra>",
        "connectgaps": False,
    }


def _missed_legend_trace() -> dict[str, Any]:
    """The legend entry that explains the dotted lines (a trace without points)."""
    return {
        "type": "scatter",
        "x": [None],
        "y": [None],
        "name": MISSED_LEGEND,
        "mode": "lines",
        "line": {"color": "#444444", "width": 2, "dash": "dot"},
        "hoverinfo": "skip",
    }


def _spread(wanted: list[float], gap: float, low: float, high: float) -> list[float]:
    """Heights for labels wanted at ``wanted`` (ascending), at least ``gap`` apart: labels that would touch are
    spread evenly around the mean of their wanted heights, then the column is kept within [low, high] where it
    fits."""
    groups: list[list[float]] = []
    for y in wanted:
        groups.append([y])
        while (
            len(groups) > 1
            and np.mean(groups[-1]) - np.mean(groups[-2]) < gap * (len(groups[-2]) + len(groups[-1])) / 2
        ):
            last = groups.pop()
            groups[-1] += last
    placed = [float(np.mean(g)) + (i - (len(g) - 1) / 2) * gap for g in groups for i in range(len(g))]
    n = len(placed)
    return [min(max(y, low + (i + 0.5) * gap), high - (n - i - 0.5) * gap) for i, y in enumerate(placed)]


#: A line's end: (its patient as plotly draws it, the x of its label column, its last value, its colour).
End = tuple[str, float, float, str]


def _end_labels(ends: list[End], y_range: Sequence[float], plot_height: float) -> list[dict[str, Any]]:
    """Each line labelled with its patient: a column of labels at each x of ``ends`` (right of every patient's point
    at that visit), the labels of a column at least ``LABEL_HEIGHT`` pixels of the ``plot_height`` apart
    (``_spread``), so that tied end values stay readable."""
    low, high = y_range
    gap = LABEL_HEIGHT / plot_height * (high - low)
    labels = []
    for x in sorted({end[1] for end in ends}):
        column = sorted((end for end in ends if end[1] == x), key=lambda end: (end[2], end[0]))
        for (pid, _, _, colour), y in zip(column, _spread([end[2] for end in column], gap, low, high)):
            labels.append(
                {
                    "x": x,
                    "y": y,
                    "text": f"<b>{pid}</b>",
                    "showarrow": False,
                    "xanchor": "left",
                    "xshift": LABEL_SHIFT,
                    "font": {"size": LABEL_SIZE, "color": colour},
                    "name": f"label {pid}",
                }
            )
    return labels


def _label_room(ends: list[End]) -> float:
    """Pixels right of a label column's x that its widest label takes (0 without labels)."""
    return max((LABEL_SHIFT + text_width(pid, LABEL_SIZE) for pid, *_ in ends), default=0.0)


def _right_margin(ends: list[End]) -> int:
    """The right margin (pixels) that holds the widest label of a column at the plot's right edge."""
    return math.ceil(_label_room(ends) + 12) if ends else 30


def _figure_height(ends: list[End], top: float, height: int = FIGURE_HEIGHT, bottom: int = BOTTOM) -> int:
    """``height``, or taller when the longest label column needs more room (``LABEL_HEIGHT`` each) beside the plot,
    given its margins: ``top``, ``bottom`` and the provenance footer's."""
    rows = max(Counter(end[1] for end in ends).values(), default=0)
    return max(height, math.ceil(top + bottom + FOOTER_MARGIN + rows * LABEL_HEIGHT))


def _plot_height(height: int, top: float, bottom: int = BOTTOM) -> float:
    """Pixels of a figure's plot area once the provenance footer is written under it (``export.stamped``)."""
    return height - top - bottom - FOOTER_MARGIN


def _selected(visits: pd.DataFrame, patients) -> list[str]:
    ids = patient_ids(visits)
    if patients is None:
        return ids
    wanted = set(patients)
    if unknown := wanted - set(ids):
        raise ValueError(f"No visits for patient(s) {sorted(unknown)}.")
    return [p for p in ids if p in wanted]


#: The columns of ``patient_series`` a patient's trace reads.
TRACE_COLUMNS = ("visit", "month", "day", "value", "change")


def _patient_trace(
    pid: str,
    rows: dict[str, np.ndarray],
    o: Outcome,
    colour: str,
    y: str = "value",
    symbol: str = "circle",
    **kwargs,
) -> dict[str, Any]:
    """One patient's line with markers; hover gives the exact value, visit label and month. ``rows``: the
    patient's ``TRACE_COLUMNS`` (``_by_patient``)."""
    pid = inert_plotly(pid)
    hover = [
        f"<b>{pid}</b> · {inert_plotly(visit)}{'' if math.isnan(day) else f' (day {day:g})'}"
        f"<br>{o.axis_title}: {_fmt(value)}"
        f"<br>Change from baseline: {_fmt(change, sign=True)}"
        for visit, day, value, change in zip(rows["visit"], rows["day"].astype(float), rows["value"], rows["change"])
    ]
    kwargs.setdefault("x", rows["month"].tolist())
    return {
        "type": "scatter",
        "y": rows[y].tolist(),
        "name": pid,
        "mode": "lines+markers",
        "line": {"color": colour, "width": 2.5},
        "marker": {"color": colour, "size": 9, "symbol": symbol},
        "connectgaps": False,
        "cliponaxis": False,
        "hovertext": hover,
        "hovertemplate": "%{hovertext}<extra></extra>",
        **kwargs,
    }


def _all_patients_trace(
    series: pd.DataFrame, o: Outcome, y: str = "value", x: str = "month", kind: str = "scatter"
) -> dict[str, Any]:
    """Every patient of ``series`` (sorted by patient) in one trace: each patient's points joined,
    patients separated by a gap (NaN), hover naming the patient and visit. ``kind``: "scattergl" draws it with
    WebGL (one canvas, not one SVG element per point), for lines a PI chose over a summary."""
    pids = series["patient_id"].to_numpy()
    starts = np.flatnonzero(pids[1:] != pids[:-1]) + 1  # where the next patient begins

    def text(column):
        values = series[column].astype(str)
        return values.map({v: inert_plotly(v) for v in values.unique()}).to_numpy(dtype=object)

    label = o.axis_title
    return {
        "type": kind,
        "x": np.insert(series[x].to_numpy(dtype=float), starts, np.nan),
        "y": np.insert(series[y].to_numpy(dtype=float), starts, np.nan),
        "customdata": np.column_stack(
            [np.insert(text("patient_id"), starts, ""), np.insert(text("visit"), starts, "")]
        ),
        "name": f"Patients (n = {len(starts) + 1 if len(pids) else 0:,}, one line each)",
        "mode": "lines+markers",
        "line": {"color": ALL_PATIENTS_COLOUR, "width": 1},
        "marker": {"color": ALL_PATIENTS_COLOUR, "size": 4},
        "connectgaps": False,
        "hovertemplate": f"<b>%{{customdata[0]}}</b> · %{{customdata[1]}}<br>{label}: %{{y:.6g}}<extra></extra>",
    }


def _band_range(values: pd.Series, bands: Bands) -> tuple[float, float]:
    """A y range that shows the data and a part of every class."""
    low = min([*values.dropna(), bands.thresholds[0] - 1.0])
    high = max([*values.dropna(), bands.thresholds[-1] + 0.5])
    return math.floor(low * 2) / 2 - 0.25, math.ceil(high * 2) / 2 + 0.25


def _band_label(bands: Bands, index: int) -> str:
    """ "Osteoporosis<br>T ≤ −2.5": the class and its bounds (``Bands.symbol`` names the value)."""
    band, v = bands.classes[index], bands.symbol

    def num(x: float) -> str:
        return f"{x:g}".replace("-", "−")

    if band.at_least is not None:
        bound = f"{v} ≥ {num(band.at_least)}"
    elif band.at_most is not None:
        bound = f"{v} ≤ {num(band.at_most)}"
    else:
        low, high = bands.thresholds[0], bands.thresholds[-1]
        bound = f"{num(low)} < {v} < {num(high)}"
    return f"{band.label.capitalize()}<br>{bound}"


def _band_shapes(
    bands: Bands, y_range: tuple[float, float], shift: float
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The outcome's classes shaded behind the traces and labelled in the right margin, ``shift`` pixels right of
    the plot (beyond the patients' labels), with dashed borders at the thresholds, so that the classes survive
    colour blindness: (shapes, annotations)."""
    shapes: list[dict[str, Any]] = []
    labels: list[dict[str, Any]] = []
    for index, band in enumerate(bands.classes):
        y0 = band.at_least if band.at_least is not None else y_range[0] if band.at_most is not None else None
        y1 = band.at_most if band.at_most is not None else y_range[1] if band.at_least is not None else None
        if y0 is None or y1 is None:  # the class between the others
            y0, y1 = bands.thresholds[0], bands.thresholds[-1]
        shapes.append(
            {
                **ACROSS,
                "type": "rect",
                "y0": y0,
                "y1": y1,
                "fillcolor": BAND_FILLS[index % len(BAND_FILLS)],
                "line": {"width": 0},
                "layer": "below",
                "name": band.label,
            }
        )
        labels.append(
            {
                "text": _band_label(bands, index),
                "xref": "paper",
                "x": 1,
                "xanchor": "left",
                "xshift": shift,
                "y": (y0 + y1) / 2,
                "yref": "y",
                "showarrow": False,
                "align": "left",
                "font": {"size": BAND_LABEL_SIZE, "color": "#444444"},
            }
        )
    for boundary in bands.thresholds:
        line = {"color": BAND_BORDER_COLOUR, "width": 1.5, "dash": "dash"}
        shapes.append(across_line(boundary, line, layer="below", name=f"{bands.name} boundary {boundary:g}"))
    return shapes, labels


def _y_range(o: Outcome, values: pd.Series, mode: str = "absolute") -> tuple[float, float]:
    """The outcome's y range: its classes' range, its fixed scale, or the data's (changes: and 0) with 10 %
    padding."""
    if mode == "absolute" and o.bands is not None:
        return _band_range(values, o.bands)
    if mode == "absolute" and o.level_names:
        return -0.5, len(o.level_names) - 0.5
    if mode == "absolute" and o.axis_range is not None:
        return o.axis_range
    return _padded([*values.dropna().tolist(), *([0.0] if mode == "change" else [])])


def _padded(values: list[float]) -> tuple[float, float]:
    """The range of ``values`` with 10 % padding ((0, 1) for none)."""
    if not values:
        return (0.0, 1.0)
    padding = 0.1 * ((max(values) - min(values)) or 1.0)
    return min(values) - padding, max(values) + padding


def _widest(texts: list[str], size: float) -> float:
    """The width in pixels of the widest line of ``texts`` (plotly pseudo-HTML lines), 0 for none."""
    return max((text_width(line, size) for text in texts for line in text.split("<br>")), default=0.0)


def _patient_lines(
    visits: pd.DataFrame, series: pd.DataFrame, o: Outcome, y: str, colour: dict[str, str], kind: str = "scatter"
) -> tuple[list[dict[str, Any]], list[End], float]:
    """The patients' own lines of ``series`` over months (``y``: "value" or "change"): up to ``MAX_PATIENT_TRACES``
    patients a trace each (colour, marker shape, a sideways nudge, the dotted bridges of missed visits and the
    legend entry explaining them); beyond, every patient in one grey trace of ``kind`` (``_all_patients_trace``).
    Returns (traces, the lines' ends for their labels, the largest nudge: every line ends at most this far right of
    its visit)."""
    if series["patient_id"].nunique() > MAX_PATIENT_TRACES:
        return [_all_patients_trace(series, o, y, kind=kind)], [], 0.0
    groups = _by_patient(series, TRACE_COLUMNS)
    shifts = _shifts(len(groups), MONTH_DODGE, 0.3)
    reach = float(shifts.max()) if len(groups) else 0.0
    symbol = patient_symbols(visits["patient_id"])
    lines, missed, ends = [], [], []
    for (pid, rows), shift in zip(groups, shifts):
        x = (rows["month"].astype(float) + shift).tolist()
        lines.append(_patient_trace(pid, rows, o, colour[pid], y, symbol=symbol[pid], x=x, showlegend=False))
        if (bridge := _missed_trace(pid, rows, colour[pid], x, y)) is not None:
            missed.append(bridge)
        if len(valid := np.flatnonzero(~np.isnan(rows[y].astype(float)))):
            last = valid[-1]
            ends.append((inert_plotly(pid), float(rows["month"][last]) + reach, float(rows[y][last]), colour[pid]))
    if missed:  # one legend entry that explains the dotted lines
        missed.append(_missed_legend_trace())
    return lines + missed, ends, reach


def _trajectory_layout(
    o: Outcome,
    mode: str,
    heading: dict[str, Any],
    months: list[float],
    values: pd.Series,
    ends: list[End],
    reach: float,
    *,
    clock: Clock,
    tick_text: list[str] | None = None,
    bottom: int = BOTTOM,
) -> tuple[dict[str, Any], int]:
    """The layout of a chart over time since baseline, and its height: ``heading`` (``style.title_layout``), the
    legend above the plot, an x tick at each of ``months`` (``tick_text``, or the time in the unit of the schedule's
    ``clock``, which titles the axis), a y axis titled for the
    outcome and ``mode`` over ``values`` (``_y_range``), the zero line of changes or the outcome's classes
    (``_band_shapes``), and the lines' ``ends`` labelled right of them (``_end_labels``, ``reach``: how far right of
    its visit a line ends), the figure as tall as they need."""
    x_axis = {
        "title": {"text": clock.axis_title},
        "tickmode": "array",
        "tickvals": months,
        "ticktext": tick_text or [f"{clock.count(m):g}" for m in months],
        "range": [-0.5, (max(months) if months else 0) + max(reach + 0.2, 0.5)],
    }
    y_range = _y_range(o, values, mode)
    shapes: list[dict[str, Any]] = []
    annotations: list[dict[str, Any]] = []
    right = _right_margin(ends)
    if mode == "change":
        shapes.append(across_line(0, {"color": "#555555", "width": 1.5, "dash": "dot"}))
    elif o.bands is not None:
        shift = _label_room(ends) + COLUMN_GAP if ends else LABEL_SHIFT  # beyond the patients' labels
        shapes, annotations = _band_shapes(o.bands, y_range, shift)
        right = math.ceil(shift + _widest([a["text"] for a in annotations], BAND_LABEL_SIZE) + 8)
    top = heading["margin"]["t"]
    height = _figure_height(ends, top, bottom=bottom)
    annotations += _end_labels(ends, y_range, _plot_height(height, top, bottom))
    layout: dict[str, Any] = merged_layout(
        heading,
        {
            "legend": TOP_LEGEND,
            "margin": {"r": right, "b": bottom},
            "xaxes": {"xaxis": x_axis},
            "yaxes": {"yaxis": {"title": {"text": _y_title(o, mode)}, "range": list(y_range), **_level_ticks(o, mode)}},
        },
    )
    if shapes:
        layout["shapes"] = shapes
    if annotations:
        layout["annotations"] = annotations
    return layout, height


def spaghetti_figure(
    visits: pd.DataFrame,
    outcome: str,
    patients: list[str] | None = None,
    mode: Literal["absolute", "change"] = "absolute",
    colours: dict[str, str] | None = None,
    *,
    protocol: Protocol,
    series: pd.DataFrame | None = None,
) -> go.Figure:
    """One line per patient over months since baseline, plus the median of the available values (``protocol``: the
    study's, which describes ``outcome``).

    ``mode="change"`` plots the change from each patient's baseline, with a zero reference line.
    In absolute mode an outcome with classes (``Outcome.bands``, e.g. the WHO T-score classes) shades them, and
    an outcome with a fixed scale (``Outcome.axis_range``) uses it.
    """
    if mode not in ("absolute", "change"):
        raise ValueError(f"mode must be 'absolute' or 'change', not {mode!r}.")
    o = protocol.outcomes[outcome]
    y = "value" if mode == "absolute" else "change"
    if series is None:  # ``series``: the analysis's ``patient_series`` of this outcome, when the caller has it
        series = patient_series(visits, outcome, protocol)
    series = series[series["patient_id"].isin(_selected(visits, patients))]
    colour = _colours(visits, colours)

    by_month = series.groupby("month")[y]
    median, count = by_month.median(), by_month.count()
    traces: list[dict[str, Any]] = [  # the median first, so that it is drawn beneath the patients' lines
        {
            "type": "scatter",
            "x": median.index.tolist(),
            "y": median.tolist(),
            "name": MEDIAN_NAME,
            "mode": "lines",
            "line": {"color": MEDIAN_COLOUR, "width": 7},
            "opacity": 0.55,
            "connectgaps": False,
            "showlegend": True,  # its key, also when it is the only one
            "customdata": count.tolist(),
            "hovertext": [protocol.visit_label(m) for m in median.index],
            "hovertemplate": f"<b>{MEDIAN_NAME}</b> · %{{hovertext}}<br>%{{y:.6g}} (n = %{{customdata}})<extra></extra>",
        }
    ]
    lines, ends, reach = _patient_lines(visits, series, o, y, colour)
    traces += lines
    plotted = series.dropna(subset=[y])
    what = o.label if mode == "absolute" else f"Change in {o.label} from baseline"
    # the count and the time span on the caption line, so that the title itself fits a phone's width
    heading = title_layout(
        f"{what} by patient", f"n = {plotted['patient_id'].nunique()}, {_span(plotted['month'], protocol)}", legend=True
    )
    months = sorted(series["month"].unique())
    layout, height = _trajectory_layout(o, mode, heading, months, plotted[y], ends, reach, clock=protocol.clock)
    return one_go_figure(traces, layout, height)


def small_multiple_pages(n_patients: int) -> int:
    """How many pages the small multiples of ``n_patients`` patients take (``PATIENTS_PER_PAGE`` a page; at least
    one): a caller with more than one offers a page picker (``small_multiples_figure``'s ``page``)."""
    return max(1, math.ceil(n_patients / PATIENTS_PER_PAGE))


def small_multiples_figure(
    visits: pd.DataFrame,
    patients: list[str] | None = None,
    colours: dict[str, str] | None = None,
    *,
    protocol: Protocol,
    series: Mapping[str, pd.DataFrame] | None = None,
    page: int = 1,
) -> go.Figure:
    """One column per patient (wrapping after five into blocks), one row per primary outcome of the protocol.

    Every panel of a row has the same y axis, so patients can be compared at a glance. A missed visit is a
    gap in the patient's line bridged by a dotted line (``_missed_trace``, as in the spaghetti plot); the title
    then says so. At most ``PATIENTS_PER_PAGE`` patients are drawn: ``page`` (from 1, of ``small_multiple_pages``)
    picks which, in order of id; the title then says which of how many are shown.

    Laid out in pixels, the figure as tall as its blocks need: each block a strip for the patients' ids, its
    panels (``PANEL_HEIGHT``, ``ROW_GAP`` apart) and room for its tick labels and "Month" titles (``BLOCK_GAP``).
    """
    primary = [k for k in protocol.primary_outcomes if k in visits]
    outcomes = [protocol.outcomes[k] for k in primary]
    selected = _selected(visits, patients)
    pages = small_multiple_pages(len(selected))
    if not 1 <= page <= pages:
        raise ValueError(f"page must be 1 to {pages}, not {page}.")
    first = (page - 1) * PATIENTS_PER_PAGE
    ids = selected[first : first + PATIENTS_PER_PAGE]
    colour = _colours(visits, colours)
    symbols = patient_symbols(visits["patient_id"])
    ncols = max(1, min(len(ids), SMALL_MULTIPLE_COLUMNS))
    blocks = [ids[start : start + ncols] for start in range(0, len(ids), ncols)] or [[]]
    per_block = max(1, len(primary))
    block_height = PANEL_TITLE + per_block * PANEL_HEIGHT + (per_block - 1) * ROW_GAP
    plot_height = len(blocks) * block_height + (len(blocks) - 1) * BLOCK_GAP  # pixels of the plot area
    width = (1.0 - COLUMN_SPACING * (ncols - 1)) / ncols
    months = sorted(visits["month"].unique())
    x_ticks = {"tickmode": "array", "tickvals": months, "ticktext": _spaced_tick_text(months, protocol.clock)}
    x_range = [-0.5, max(months) + 0.5]
    known = series or {}  # the analysis's ``patient_series`` per outcome, when the caller has them
    series = {k: known[k] if k in known else patient_series(visits, k, protocol) for k in primary}
    by_patient = {
        outcome: dict(_by_patient(s[s["patient_id"].isin(ids)], TRACE_COLUMNS)) for outcome, s in series.items()
    }
    y_ranges = {k: _y_range(o, series[k]["value"]) for k, o in zip(primary, outcomes)}
    # a y title as long as a panel is tall at most (several lines): titles of panels above one another stay apart
    y_titles = {
        k: "<br>".join(wrap(o.axis_title, PANEL_HEIGHT - 10, BASE_FONT_SIZE)) for k, o in zip(primary, outcomes)
    }
    panel: dict[tuple[str, str], int] = {}  # (patient, outcome) -> axis number, numbered row by row
    xaxes: dict[str, dict[str, Any]] = {}
    yaxes: dict[str, dict[str, Any]] = {}
    titles: list[dict[str, Any]] = []
    for b, block in enumerate(blocks):
        for j, outcome in enumerate(primary):
            top = b * (block_height + BLOCK_GAP) + PANEL_TITLE + j * (PANEL_HEIGHT + ROW_GAP)  # pixels from the top
            y_domain = [1 - (top + PANEL_HEIGHT) / plot_height, 1 - top / plot_height]
            for col, pid in enumerate(block):
                n = len(panel) + 1
                panel[pid, outcome] = n
                x_domain = [col * (width + COLUMN_SPACING), col * (width + COLUMN_SPACING) + width]
                suffix = "" if n == 1 else str(n)
                last = j == len(primary) - 1
                xaxes[f"xaxis{suffix}"] = {
                    "anchor": f"y{suffix}",
                    "domain": x_domain,
                    **x_ticks,
                    "range": x_range,
                    **({"title": {"text": protocol.clock.unit.capitalize()}} if last else {"showticklabels": False}),
                }
                yaxes[f"yaxis{suffix}"] = {
                    "anchor": f"x{suffix}",
                    "domain": y_domain,
                    "range": list(y_ranges[outcome]),
                    **_level_ticks(protocol.outcomes[outcome]),
                    **({"title": {"text": y_titles[outcome]}} if col == 0 else {"showticklabels": False}),
                }
                if j == 0:
                    titles.append(
                        {
                            "y": y_domain[1],
                            "xref": "paper",
                            "x": sum(x_domain) / 2.0,
                            "yref": "paper",
                            "text": inert_plotly(pid),
                            "showarrow": False,
                            "font": {"size": 16},
                            "xanchor": "center",
                            "yanchor": "bottom",
                        }
                    )

    traces: list[dict[str, Any]] = []
    bridges: list[dict[str, Any]] = []
    for pid in ids:
        for outcome, o in zip(primary, outcomes):
            rows = by_patient[outcome].get(pid)
            if rows is None:  # the outcome was never measured in this study
                continue
            n = panel[pid, outcome]
            on = {"xaxis": f"x{n if n > 1 else ''}", "yaxis": f"y{n if n > 1 else ''}"}
            traces.append(_patient_trace(pid, rows, o, colour[pid], symbol=symbols[pid], showlegend=False, **on))
            if (bridge := _missed_trace(pid, rows, colour[pid], rows["month"], "value")) is not None:
                bridges.append({**bridge, **on})

    shown = (
        f"n = {len(ids)}"
        if pages == 1
        else f"patients {first + 1}–{first + len(ids)} of {len(selected):,} (by id; page {page} of {pages})"
    )
    rows_named = ", ".join(f"{o.label} (row {j + 1})" for j, o in enumerate(outcomes))
    # the caption under the title explains the dotted lines (the static SVG copy draws no legend for them)
    heading = title_layout(f"Primary outcomes by patient — {shown}: {rows_named}", MISSED_LEGEND if bridges else "")
    top = heading["margin"]["t"]
    layout: dict[str, Any] = {**heading, "margin": {"t": top, "b": BOTTOM}, "xaxes": xaxes, "yaxes": yaxes}
    if titles:
        layout["annotations"] = titles
    return one_go_figure(traces + bridges, layout, height=math.ceil(top + BOTTOM + FOOTER_MARGIN + plot_height))


def before_after_figure(
    comparison: OutcomeComparison,
    colours: dict[str, str] | None = None,
    all_patients: list[str] | None = None,
    height: int = FIGURE_HEIGHT,
) -> go.Figure:
    """Paired plot as GraphPad Prism draws it: each patient's baseline and follow-up joined by a line.

    Exactly the pairs that were tested are drawn (``OutcomeComparison.changes``); the title states their
    number. Baseline sits at x = 0 and the follow-up at x = 1, each patient nudged sideways by ``DODGE`` so
    that patients with equal values (common with integer scores) do not hide one another; with many pairs the
    nudges shrink so that all stay within ±0.2. Beyond ``MAX_PATIENT_TRACES`` pairs all patients are one grey
    trace. ``all_patients``: every patient of the study, so that colours and markers match the other charts.
    ``height``: the figure's height in pixels (taller when its labels need it), for which the labels are spaced.
    """
    o, followup_month = comparison.meta, comparison.followup_month
    changes = comparison.changes.sort_values("patient_id", kind="stable")
    labels = [comparison.baseline_visit.capitalize(), comparison.followup_visit.capitalize()]
    everyone = pd.DataFrame({"patient_id": all_patients if all_patients is not None else changes["patient_id"]})
    colour = _colours(everyone, colours)

    n_pairs = len(changes)
    step = min(DODGE, 0.4 / max(n_pairs - 1, 1))
    shift = (np.arange(n_pairs) - (n_pairs - 1) / 2) * step
    series = pd.DataFrame(
        {
            "patient_id": np.repeat(changes["patient_id"].to_numpy(dtype=object), 2),
            "visit": labels * n_pairs,
            "month": [comparison.baseline_month, followup_month] * n_pairs,
            "day": np.nan,
            "value": np.column_stack([changes["baseline"], changes["followup"]]).reshape(-1),
            "change": np.column_stack([np.zeros(n_pairs), changes["change"]]).reshape(-1),
            "x": np.column_stack([shift, 1 + shift]).reshape(-1),
        }
    )
    ends: list[End] = []
    many = n_pairs > MAX_PATIENT_TRACES  # one trace of all, named in a legend; else patients labelled at the ends
    if many:
        traces = [_all_patients_trace(series, o, x="x")]
    else:
        symbol = patient_symbols(everyone["patient_id"])
        groups = _by_patient(series, (*TRACE_COLUMNS, "x"))
        traces = [
            _patient_trace(pid, rows, o, colour[pid], symbol=symbol[pid], x=rows["x"].tolist()) for pid, rows in groups
        ]
        column = 1 + float(shift.max()) if n_pairs else 1.0  # right of every follow-up point
        ends = [(inert_plotly(pid), column, float(rows["value"][-1]), colour[pid]) for pid, rows in groups]
    pairs = f"n = {n_pairs} pair{'' if n_pairs == 1 else 's'}"
    heading = title_layout(f"{o.label}: {labels[0].lower()} and {labels[1].lower()} — {pairs}", legend=many)
    top = heading["margin"]["t"]
    height = _figure_height(ends, top, height)
    y_range = o.axis_range or _padded(series["value"].dropna().tolist())  # no classes drawn here
    x_end = max((end[1] for end in ends), default=1.3) + 0.2  # just right of the label column's x
    layout = {
        **heading,
        "margin": {**heading["margin"], "r": _right_margin(ends), "b": BOTTOM},
        "showlegend": many,
        "legend": TOP_LEGEND,
        "annotations": _end_labels(ends, y_range, _plot_height(height, top)),
        "xaxes": {"xaxis": {"tickmode": "array", "tickvals": [0, 1], "ticktext": labels, "range": [-0.5, x_end]}},
        "yaxes": {"yaxis": {"title": {"text": _y_title(o)}, "range": list(y_range), **_level_ticks(o)}},
    }
    return one_go_figure(traces, layout, height)
