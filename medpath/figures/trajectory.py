"""Per-patient trajectory charts: spaghetti plot, small multiples and a before-after (paired) plot.

Each patient keeps one colour and one marker shape on every chart (``style.patient_colours``,
``style.patient_symbols`` over all patients of the visits table). Patients stay distinguishable when
their values tie (integer VAS scores): each is nudged sideways by a small fixed step, the median line is
drawn beneath them, and each line is labelled with its patient at its end. A missed visit is a gap in
the patient's solid line (``connectgaps=False``: no value is ever interpolated) bridged by a separate
dotted line, named and hovered as a missed visit, with a hollow marker where the visit was due, in the spaghetti
plot (with a legend entry explaining it) and in each small multiple (the title explains it).
Values come from ``medpath.trajectories.patient_series``.

Each figure is built in one go: its traces as dicts and its whole layout, the house style
(``style.apply_layout``) computed once and merged in, the small multiples' panel grid computed here rather than
by ``make_subplots``, so that plotly validates every part once (a rerun of the Trajectories page redraws both).

Many patients: beyond ``MAX_PATIENT_TRACES`` patients the spaghetti and before-after plots draw all
patients as one grey trace (lines separated by gaps, each point's hover naming its patient), so a
figure of thousands of patients stays a handful of traces; the small multiples show the first
``MAX_SMALL_MULTIPLES`` patients (by id) and say so in the title.

Patient ids and visit labels are text from the data: every one is drawn through ``inert_plotly``.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Mapping
from typing import Any, Literal

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from medpath.figures.style import (
    BAND_BORDER_COLOUR,
    BASE_FONT_SIZE,
    MEDIAN_COLOUR,
    apply_layout,
    patient_colours,
    patient_symbols,
)
from medpath.inert import inert_plotly
from medpath.outcomes import OutcomeComparison
from medpath.protocol import Bands, Outcome, Protocol, current
from medpath.trajectories import patient_ids, patient_series
from medpath.values import month_label

X_TITLE = "Months since baseline"
MEDIAN_NAME = "Median"
#: Pale fills of an outcome's classes (``Outcome.bands``, best first: green, amber, red), kept light so that the
#: saturated patient colours stay readable on top of them.
BAND_FILLS = ("#E3F2E6", "#FFF3D6", "#FBE1DC")
SMALL_MULTIPLE_COLUMNS = 5
#: Small multiples, in pixels: a panel's height, the gap between rows, and the figure's margins above and below the
#: panels (top 80 + a caption line 20, bottom 60 + the provenance footer 44; ``style.FOOTER_MARGIN``).
PANEL_HEIGHT, PANEL_GAP, SMALL_MULTIPLE_MARGINS = 200, 105, 204
#: Small multiples: at most this many patients (panels per outcome), the first by id.
MAX_SMALL_MULTIPLES = 25
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


def _span(months) -> str:
    """'baseline to month 6' for the months that carry data."""
    months = sorted(set(months))
    if not months:
        return "no data"
    first, last = month_label(months[0]), month_label(months[-1])
    return first if first == last else f"{first} to {last}"


def _y_title(o: Outcome, mode: str = "absolute") -> str:
    title = o.axis_title if mode == "absolute" else f"Change from baseline ({o.unit})"
    return f"{title}<br>{o.better} is better"  # two lines: the title fits a short plot (a phone)


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


@functools.cache
def _house_style() -> dict[str, Any]:
    """``style.apply_layout``'s look (template, fonts, white background, margins, axis lines) as a layout dict,
    made once: applying it to a finished figure walks every axis through plotly's validators, which costs
    more than building the figure. Never mutated: ``_merged`` copies what it changes, and the template stays
    plotly's validated object (plotly copies it; a template as a dict would have its traces' "type" popped and
    restored while a figure is built, under the feet of another session building one at the same time)."""
    layout = apply_layout(go.Figure(), "").layout
    return {**layout.to_plotly_json(), "template": layout.template}


def _merged(base: dict[str, Any], extra: dict[str, Any]) -> dict[str, Any]:
    """``base`` updated by ``extra`` as ``update_layout`` would (nested dicts merged), leaving both unchanged."""
    out = dict(base)
    for key, value in extra.items():
        out[key] = _merged(out[key], value) if isinstance(value, dict) and isinstance(out.get(key), dict) else value
    return out


def _figure(traces: list[dict[str, Any]], title: str, layout: dict[str, Any], height: int = 480) -> go.Figure:
    """The figure in one go (each trace and the layout validated once): the house style, then ``layout``, whose
    ``xaxes`` / ``yaxes`` entries (axis name -> settings) each get the house axis style first."""
    style = _house_style()
    axes = {
        name: _merged(style["xaxis" if name.startswith("x") else "yaxis"], settings)
        for name, settings in {**layout.pop("xaxes", {}), **layout.pop("yaxes", {})}.items()
    }
    full = _merged(style, _merged({"title": {"text": title}, "height": height}, layout))
    return go.Figure(data=traces, layout={**full, **axes})


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
        missed = ", ".join(month_label(m) for m in months[a + 1 : b])
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


def _end_labels(ends: list[tuple[str, float, float, str]], y_span: float) -> list[dict[str, Any]]:
    """Labels of each line with its patient just right of its last point; labels closer than a line's height
    are pushed apart (then the group is re-centred on the points), so tied end values stay readable."""
    if not ends:
        return []
    gap = 0.055 * y_span
    ends = sorted(ends, key=lambda e: (round(e[1]), e[2], e[0]))  # by end month (lines ending together), then y
    placed: list[float] = []
    runs: list[list[int]] = []  # labels that touch: pushed apart, then re-centred on their points
    for i, (_, x, y, _) in enumerate(ends):
        same_column = i > 0 and round(ends[i - 1][1]) == round(x)
        if same_column and y < placed[-1] + gap:
            placed.append(placed[-1] + gap)
            runs[-1].append(i)
        else:
            placed.append(y)
            runs.append([i])
    for run in runs:
        shift = float(np.mean([ends[i][2] for i in run]) - np.mean([placed[i] for i in run]))
        for i in run:
            placed[i] += shift
    return [
        {
            "x": x,
            "y": label_y,
            "ax": 0,
            "ay": 0,
            "text": f"<b>{pid}</b>",
            "showarrow": False,
            "xanchor": "left",
            "xshift": 8,
            "font": {"size": BASE_FONT_SIZE - 2, "color": colour},
            "name": f"label {pid}",
        }
        for (pid, x, _, colour), label_y in zip(ends, placed)
    ]


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
        f"<b>{pid}</b> · {inert_plotly(visit)} (month {month:g}{'' if math.isnan(day) else f', day {day:g}'})"
        f"<br>{o.axis_title}: {_fmt(value)}"
        f"<br>Change from baseline: {_fmt(change, sign=True)}"
        for visit, month, day, value, change in zip(
            rows["visit"], rows["month"], rows["day"].astype(float), rows["value"], rows["change"]
        )
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


def _all_patients_trace(series: pd.DataFrame, o: Outcome, y: str = "value", x: str = "month") -> dict[str, Any]:
    """Every patient of ``series`` (sorted by patient) in one trace: each patient's points joined,
    patients separated by a gap (NaN), hover naming the patient and visit."""
    pids = series["patient_id"].to_numpy()
    starts = np.flatnonzero(pids[1:] != pids[:-1]) + 1  # where the next patient begins

    def text(column):
        values = series[column].astype(str)
        return values.map({v: inert_plotly(v) for v in values.unique()}).to_numpy(dtype=object)

    label = o.axis_title
    return {
        "type": "scatter",
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


def _band_shapes(bands: Bands, y_range: tuple[float, float]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The outcome's classes shaded behind the traces and labelled in the right margin, with dashed borders at
    the thresholds, so that the classes survive colour blindness: (shapes, annotations)."""
    shapes: list[dict[str, Any]] = []
    labels: list[dict[str, Any]] = []
    for index, band in enumerate(bands.classes):
        y0 = band.at_least if band.at_least is not None else y_range[0] if band.at_most is not None else None
        y1 = band.at_most if band.at_most is not None else y_range[1] if band.at_least is not None else None
        if y0 is None or y1 is None:  # the class between the others
            y0, y1 = bands.thresholds[0], bands.thresholds[-1]
        shapes.append(
            {
                **_ACROSS,
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
                "x": 1.01,
                "xanchor": "left",
                "y": (y0 + y1) / 2,
                "yref": "y",
                "showarrow": False,
                "align": "left",
                "font": {"size": BASE_FONT_SIZE - 1, "color": "#444444"},
            }
        )
    for boundary in bands.thresholds:
        line = {"color": BAND_BORDER_COLOUR, "width": 1.5, "dash": "dash"}
        shapes.append(_hline(boundary, line, layer="below", name=f"{bands.name} boundary {boundary:g}"))
    return shapes, labels


#: A shape across the whole plot width (what ``add_hline`` / ``add_hrect`` draw).
_ACROSS = {"xref": "x domain", "x0": 0, "x1": 1, "yref": "y"}


def _hline(y: float, line: dict[str, Any], **extra) -> dict[str, Any]:
    return {**_ACROSS, "type": "line", "y0": y, "y1": y, "line": line, **extra}


def _y_range(o: Outcome, values: pd.Series) -> tuple[float, float]:
    """The outcome's y range: its classes' range, its fixed scale, or the data's with 10 % padding."""
    if o.bands is not None:
        return _band_range(values, o.bands)
    if o.axis_range is not None:
        return o.axis_range
    finite = values.dropna()
    if not len(finite):
        return (0.0, 1.0)
    padding = 0.1 * (float(finite.max() - finite.min()) or 1.0)
    return float(finite.min()) - padding, float(finite.max()) + padding


def spaghetti_figure(
    visits: pd.DataFrame,
    outcome: str,
    patients: list[str] | None = None,
    mode: Literal["absolute", "change"] = "absolute",
    colours: dict[str, str] | None = None,
    protocol: Protocol | None = None,
    series: pd.DataFrame | None = None,
) -> go.Figure:
    """One line per patient over months since baseline, plus the median of the available values.

    ``mode="change"`` plots the change from each patient's baseline, with a zero reference line.
    In absolute mode an outcome with classes (``Outcome.bands``, e.g. the WHO T-score classes) shades them, and
    an outcome with a fixed scale (``Outcome.axis_range``) uses it.
    """
    if mode not in ("absolute", "change"):
        raise ValueError(f"mode must be 'absolute' or 'change', not {mode!r}.")
    protocol = protocol or current()
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
            "customdata": count.tolist(),
            "hovertemplate": f"<b>{MEDIAN_NAME}</b> · month %{{x:g}}<br>%{{y:.6g}} (n = %{{customdata}})<extra></extra>",
        }
    ]
    ends: list[tuple[str, float, float, str]] = []
    if series["patient_id"].nunique() > MAX_PATIENT_TRACES:
        traces.append(_all_patients_trace(series, o, y))
    else:
        groups = _by_patient(series, TRACE_COLUMNS)
        shifts = _shifts(len(groups), MONTH_DODGE, 0.3)
        symbol = patient_symbols(visits["patient_id"])
        missed = []
        for (pid, rows), shift in zip(groups, shifts):
            x = (rows["month"].astype(float) + shift).tolist()
            traces.append(_patient_trace(pid, rows, o, colour[pid], y, symbol=symbol[pid], x=x, showlegend=False))
            if (bridge := _missed_trace(pid, rows, colour[pid], x, y)) is not None:
                missed.append(bridge)
            if len(valid := np.flatnonzero(~np.isnan(rows[y].astype(float)))):
                ends.append((inert_plotly(pid), x[valid[-1]], float(rows[y][valid[-1]]), colour[pid]))
        traces += missed
        if missed:  # one legend entry that explains the dotted lines
            traces.append(_missed_legend_trace())

    plotted = series.dropna(subset=[y])
    what = o.label if mode == "absolute" else f"Change in {o.label} from baseline"
    title = f"{what} by patient — n = {plotted['patient_id'].nunique()}, {_span(plotted['month'])}"
    months = sorted(series["month"].unique())
    right = (max(months) if months else 0) + max(0.9, 0.16 * (max(months) if months else 0))  # room for labels
    x_axis = {
        "title": {"text": X_TITLE},
        "tickmode": "array",
        "tickvals": months,
        "ticktext": [f"{m:g}" for m in months],
        "range": [-0.5, right],
    }
    y_axis: dict[str, Any] = {"title": {"text": _y_title(o, mode)}}
    layout: dict[str, Any] = {
        "legend": {
            "orientation": "h",
            "x": 1,
            "xanchor": "right",
            "y": 1.0,
            "yanchor": "bottom",
            "font": {"size": BASE_FONT_SIZE - 2},
        },
        "title": {"y": 0.985, "yanchor": "top", "yref": "container"},
        "margin": {"t": 90},
    }
    shapes: list[dict[str, Any]] = []
    annotations: list[dict[str, Any]] = []
    y_span = 1.0
    if mode == "change":
        shapes.append(_hline(0, {"color": "#555555", "width": 1.5, "dash": "dot"}))
        finite = plotted[y].dropna()
        y_span = float(finite.max() - finite.min()) if len(finite) else 1.0
    elif o.bands is not None:
        y_range = _band_range(plotted[y], o.bands)
        y_axis["range"] = list(y_range)
        shapes, annotations = _band_shapes(o.bands, y_range)
        layout["margin"]["r"] = 150
        y_span = y_range[1] - y_range[0]
    elif o.axis_range is not None:
        y_axis["range"] = list(o.axis_range)
        y_span = o.axis_range[1] - o.axis_range[0]
    annotations += _end_labels(ends, y_span or 1.0)
    if shapes:
        layout["shapes"] = shapes
    if annotations:
        layout["annotations"] = annotations
    return _figure(traces, title, {**layout, "xaxes": {"xaxis": x_axis}, "yaxes": {"yaxis": y_axis}})


def _grid(rows: int, cols: int, h_spacing: float, v_spacing: float) -> list[list[tuple[list[float], list[float]]]]:
    """The (x, y) paper domains of a rows x cols grid of panels, row 1 at the top: ``make_subplots``'s
    arithmetic, without its cost (it builds and validates every axis one by one)."""
    width = (1.0 - h_spacing * (cols - 1)) / cols
    height = (1.0 - v_spacing * (rows - 1)) / rows
    domains = []
    for r in range(rows):
        y0 = sum([height] * (rows - 1 - r)) + (rows - 1 - r) * v_spacing
        y1 = min(y0 + height, 1.0)
        row = []
        for c in range(cols):
            x0 = sum([width] * c) + c * h_spacing
            row.append(([x0, x0 + width], [max(y0, 0.0), y1]))
        domains.append(row)
    return domains


def small_multiples_figure(
    visits: pd.DataFrame,
    patients: list[str] | None = None,
    colours: dict[str, str] | None = None,
    protocol: Protocol | None = None,
    series: Mapping[str, pd.DataFrame] | None = None,
) -> go.Figure:
    """One column per patient (wrapping after five), one row per primary outcome of the protocol.

    Every panel of a row has the same y axis, so patients can be compared at a glance. A missed visit is a
    gap in the patient's line bridged by a dotted line (``_missed_trace``, as in the spaghetti plot); the title
    then says so. At most ``MAX_SMALL_MULTIPLES`` patients are drawn (the first by id); the title then says
    how many of how many are shown.
    """
    protocol = protocol or current()
    primary = [k for k in protocol.primary_outcomes if k in visits]
    outcomes = [protocol.outcomes[k] for k in primary]
    selected = _selected(visits, patients)
    ids = selected[:MAX_SMALL_MULTIPLES]
    colour = _colours(visits, colours)
    symbols = patient_symbols(visits["patient_id"])
    ncols = max(1, min(len(ids), SMALL_MULTIPLE_COLUMNS))
    blocks = [ids[start : start + ncols] for start in range(0, len(ids), ncols)] or [[]]
    per_block = max(1, len(primary))
    n_rows = per_block * len(blocks)
    # Pixels: each panel PANEL_HEIGHT tall, PANEL_GAP between rows (room for "Month" and the next block's panel
    # titles), and the margins around the panels (title and caption, axis labels, the provenance footer).
    height = SMALL_MULTIPLE_MARGINS + n_rows * PANEL_HEIGHT + (n_rows - 1) * PANEL_GAP
    grid = _grid(n_rows, ncols, h_spacing=0.03, v_spacing=PANEL_GAP / (height - SMALL_MULTIPLE_MARGINS))
    months = sorted(visits["month"].unique())
    x_ticks = {"tickmode": "array", "tickvals": months, "ticktext": [f"{m:g}" for m in months]}
    x_range = [-0.5, max(months) + 0.5]
    known = series or {}  # the analysis's ``patient_series`` per outcome, when the caller has them
    series = {k: known[k] if k in known else patient_series(visits, k, protocol) for k in primary}
    by_patient = {
        outcome: dict(_by_patient(s[s["patient_id"].isin(ids)], TRACE_COLUMNS)) for outcome, s in series.items()
    }
    y_ranges = {k: _y_range(o, series[k]["value"]) for k, o in zip(primary, outcomes)}
    panel: dict[
        tuple[str, str], int
    ] = {}  # (patient, outcome) -> axis number, numbered row by row as make_subplots does
    xaxes: dict[str, dict[str, Any]] = {}
    yaxes: dict[str, dict[str, Any]] = {}
    titles: list[dict[str, Any]] = []
    for b, block in enumerate(blocks):
        for j, (outcome, o) in enumerate(zip(primary, outcomes)):
            for col, pid in enumerate(block):
                n = len(panel) + 1
                panel[pid, outcome] = n
                x_domain, y_domain = grid[per_block * b + j][col]
                suffix = "" if n == 1 else str(n)
                last = j == len(primary) - 1
                xaxes[f"xaxis{suffix}"] = {
                    "anchor": f"y{suffix}",
                    "domain": x_domain,
                    **x_ticks,
                    "range": x_range,
                    **({"title": {"text": "Month"}} if last else {"showticklabels": False}),
                }
                yaxes[f"yaxis{suffix}"] = {
                    "anchor": f"x{suffix}",
                    "domain": y_domain,
                    "range": list(y_ranges[outcome]),
                    **({"title": {"text": o.axis_title}} if col == 0 else {"showticklabels": False}),
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
        if len(ids) == len(selected)
        else f"the first {len(ids)} of {len(selected):,} patients (by id) shown"
    )
    rows_named = ", ".join(f"{o.label} (row {j + 1})" for j, o in enumerate(outcomes))
    title = f"Primary outcomes by patient — {shown}: {rows_named}"
    layout: dict[str, Any] = {"xaxes": xaxes, "yaxes": yaxes}
    if bridges:  # a caption line under the title (the static SVG copy draws no legend)
        title += f"<br><sup>{MISSED_LEGEND}</sup>"
        layout["margin"] = {"t": 100}
    if titles:
        layout["annotations"] = titles
    return _figure(traces + bridges, title, layout, height=height)


def before_after_figure(
    comparison: OutcomeComparison,
    colours: dict[str, str] | None = None,
    all_patients: list[str] | None = None,
) -> go.Figure:
    """Paired plot as GraphPad Prism draws it: each patient's baseline and follow-up joined by a line.

    Exactly the pairs that were tested are drawn (``OutcomeComparison.changes``); the title states their
    number. Baseline sits at x = 0 and the follow-up at x = 1, each patient nudged sideways by ``DODGE`` so
    that patients with equal values (common with integer scores) do not hide one another; with many pairs the
    nudges shrink so that all stay within ±0.2. Beyond ``MAX_PATIENT_TRACES`` pairs all patients are one grey
    trace. ``all_patients``: every patient of the study, so that colours and markers match the other charts.
    """
    o, followup_month = comparison.meta, comparison.followup_month
    changes = comparison.changes.sort_values("patient_id", kind="stable")
    labels = [month_label(comparison.baseline_month).capitalize(), month_label(followup_month).capitalize()]
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
    if n_pairs > MAX_PATIENT_TRACES:
        traces = [_all_patients_trace(series, o, x="x")]
    else:
        symbol = patient_symbols(everyone["patient_id"])
        groups = _by_patient(series, (*TRACE_COLUMNS, "x"))
        traces = [
            _patient_trace(pid, rows, o, colour[pid], symbol=symbol[pid], x=rows["x"].tolist()) for pid, rows in groups
        ]
    fig = go.Figure(data=traces)

    apply_layout(fig, f"{o.label}: {labels[0].lower()} and {labels[1].lower()} — n = {n_pairs} pairs")
    fig.update_xaxes(tickmode="array", tickvals=[0, 1], ticktext=labels, range=[-0.5, 1.5])
    fig.update_yaxes(title_text=_y_title(o))
    fig.update_layout(showlegend=n_pairs > MAX_PATIENT_TRACES)  # patients are labelled at the line ends
    if o.axis_range is not None:
        fig.update_yaxes(range=list(o.axis_range))
        y_span = o.axis_range[1] - o.axis_range[0]
    else:
        values = series["value"]
        y_span = float(values.max() - values.min()) if len(values) else 1.0
        padding = 0.1 * (y_span or 1.0)
        fig.update_yaxes(range=[float(values.min()) - padding, float(values.max()) + padding] if len(values) else None)
        y_span = y_span + 2 * padding
    if n_pairs <= MAX_PATIENT_TRACES:
        ends = [
            (inert_plotly(pid), float(rows["x"][-1]), float(rows["value"][-1]), colour[pid])
            for pid, rows in _by_patient(series, ("x", "value"))
        ]
        fig.update_layout(annotations=_end_labels(ends, y_span or 1.0))
    return fig
