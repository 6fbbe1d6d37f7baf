"""Per-patient trajectory charts: spaghetti plot, small multiples and a before-after (paired) plot.

Each patient keeps one colour and one marker shape on every chart (``style.patient_colours``,
``style.patient_symbols`` over all patients of the visits table). Patients stay distinguishable when
their values tie (integer VAS scores): each is nudged sideways by a small fixed step, the median line is
drawn beneath them, and each line is labelled with its patient at its end. A missed visit is a gap in
the patient's solid line (``connectgaps=False``: no value is ever interpolated) bridged by a separate
dotted line, named and hovered as a missed visit, with a hollow marker where the visit was due.
Values come from ``medpath.trajectories.patient_series``.

Many patients: beyond ``MAX_PATIENT_TRACES`` patients the spaghetti and before-after plots draw all
patients as one grey trace (lines separated by gaps, each point's hover naming its patient), so a
figure of thousands of patients stays a handful of traces; the small multiples show the first
``MAX_SMALL_MULTIPLES`` patients (by id) and say so in the title.
"""

from __future__ import annotations

import html
import math
from typing import Literal

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from medpath.figures.style import (
    BAND_BORDER_COLOUR,
    BASE_FONT_SIZE,
    MEDIAN_COLOUR,
    apply_layout,
    patient_colours,
    patient_symbols,
)
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
    return f"{title} — {o.better} is better"


def _colours(visits: pd.DataFrame, colours: dict[str, str] | None) -> dict[str, str]:
    return {**patient_colours(visits["patient_id"]), **(colours or {})}


def _shifts(n: int, step: float, half_width: float) -> np.ndarray:
    """Sideways offsets of n patients, centred on 0, ``step`` apart or closer so all stay within
    ±``half_width``."""
    step = min(step, 2 * half_width / max(n - 1, 1))
    return (np.arange(n) - (n - 1) / 2) * step


def _missed_trace(rows: pd.DataFrame, colour: str, x: list[float], y: str) -> go.Scatter | None:
    """The dotted lines bridging a patient's missed visits: from the last value before a run of
    missing values to the first after it, with a hollow marker at each missed visit's month (on the
    bridge; hover says there is no value). None when the patient missed nothing between values."""
    values = rows[y].to_numpy(dtype=float)
    months = rows["month"].to_numpy(dtype=float)
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
            xs.append(x[i])
            ys.append(float(values[a] + fraction * (values[b] - values[a])))
            hover.append(f"missed visit: {missed} (no value; dotted line only joins the neighbours)")
        xs.append(None)
        ys.append(None)
        hover.append("")
    if not xs:
        return None
    pid = html.escape(rows["patient_id"].iloc[0])
    symbols = [
        "circle-open"
        if 0 < k < len(xs) and xs[k - 1] is not None and k + 1 < len(xs) and xs[k + 1] is not None
        else "circle"
        for k in range(len(xs))
    ]
    return go.Scatter(
        x=xs,
        y=ys,
        name=pid + MISSED_SUFFIX,
        mode="lines+markers",
        showlegend=False,
        line={"color": colour, "width": 2, "dash": "dot"},
        marker={"color": colour, "size": [10 if sym == "circle-open" else 0 for sym in symbols], "symbol": symbols},
        hovertext=hover,
        hovertemplate=f"<b>{pid}</b> · %{{hovertext}}<extra></extra>",
        connectgaps=False,
    )


def _end_labels(fig: go.Figure, ends: list[tuple[str, float, float, str]], y_span: float) -> None:
    """Label each line with its patient just right of its last point; labels closer than a line's height
    are pushed apart (then the group is re-centred on the points), so tied end values stay readable."""
    if not ends:
        return
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
    for (pid, x, _, colour), label_y in zip(ends, placed):
        fig.add_annotation(
            x=x,
            y=label_y,
            ax=0,
            ay=0,
            text=f"<b>{pid}</b>",
            showarrow=False,
            xanchor="left",
            xshift=8,
            font={"size": BASE_FONT_SIZE - 2, "color": colour},
            name=f"label {pid}",
        )


def _selected(visits: pd.DataFrame, patients) -> list[str]:
    ids = patient_ids(visits)
    if patients is None:
        return ids
    wanted = set(patients)
    if unknown := wanted - set(ids):
        raise ValueError(f"No visits for patient(s) {sorted(unknown)}.")
    return [p for p in ids if p in wanted]


def _patient_trace(
    rows: pd.DataFrame, o: Outcome, colour: str, y: str = "value", symbol: str = "circle", **kwargs
) -> go.Scatter:
    """One patient's line with markers; hover gives the exact value, visit label and month."""
    pid = html.escape(rows["patient_id"].iloc[0])  # plotly renders pseudo-HTML: an id must stay text
    hover = [
        f"<b>{pid}</b> · {r.visit} (month {r.month:g}{'' if math.isnan(r.day) else f', day {r.day:g}'})"
        f"<br>{o.axis_title}: {_fmt(r.value)}"
        f"<br>Change from baseline: {_fmt(r.change, sign=True)}"
        for r in rows.itertuples()
    ]
    kwargs.setdefault("x", rows["month"].tolist())
    return go.Scatter(
        y=rows[y].tolist(),
        name=pid,
        mode="lines+markers",
        line={"color": colour, "width": 2.5},
        marker={"color": colour, "size": 9, "symbol": symbol},
        connectgaps=False,
        cliponaxis=False,
        hovertext=hover,
        hovertemplate="%{hovertext}<extra></extra>",
        **kwargs,
    )


def _all_patients_trace(series: pd.DataFrame, o: Outcome, y: str = "value", x: str = "month") -> go.Scatter:
    """Every patient of ``series`` (sorted by patient) in one trace: each patient's points joined,
    patients separated by a gap (NaN), hover naming the patient and visit."""
    pids = series["patient_id"].to_numpy()
    starts = np.flatnonzero(pids[1:] != pids[:-1]) + 1  # where the next patient begins

    def text(column):  # plotly renders pseudo-HTML: ids and labels must stay text
        values = series[column].astype(str)
        return values.map({v: html.escape(v) for v in values.unique()}).to_numpy(dtype=object)

    label = o.axis_title
    return go.Scatter(
        x=np.insert(series[x].to_numpy(dtype=float), starts, np.nan),
        y=np.insert(series[y].to_numpy(dtype=float), starts, np.nan),
        customdata=np.column_stack([np.insert(text("patient_id"), starts, ""), np.insert(text("visit"), starts, "")]),
        name=f"Patients (n = {len(starts) + 1 if len(pids) else 0:,}, one line each)",
        mode="lines+markers",
        line={"color": ALL_PATIENTS_COLOUR, "width": 1},
        marker={"color": ALL_PATIENTS_COLOUR, "size": 4},
        connectgaps=False,
        hovertemplate=f"<b>%{{customdata[0]}}</b> · %{{customdata[1]}}<br>{label}: %{{y:.6g}}<extra></extra>",
    )


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


def _add_bands(fig: go.Figure, bands: Bands, y_range: tuple[float, float]) -> None:
    """Shade the outcome's classes behind the traces and label them in the right margin; dashed borders at the
    thresholds, so that the classes survive colour blindness."""
    for index, band in enumerate(bands.classes):
        y0 = band.at_least if band.at_least is not None else y_range[0] if band.at_most is not None else None
        y1 = band.at_most if band.at_most is not None else y_range[1] if band.at_least is not None else None
        if y0 is None or y1 is None:  # the class between the others
            y0, y1 = bands.thresholds[0], bands.thresholds[-1]
        fig.add_hrect(
            y0=y0, y1=y1, fillcolor=BAND_FILLS[index % len(BAND_FILLS)], line_width=0, layer="below", name=band.label
        )
        fig.add_annotation(
            text=_band_label(bands, index),
            xref="paper",
            x=1.01,
            xanchor="left",
            y=(y0 + y1) / 2,
            yref="y",
            showarrow=False,
            align="left",
            font={"size": BASE_FONT_SIZE - 1, "color": "#444444"},
        )
    for boundary in bands.thresholds:
        fig.add_hline(
            y=boundary,
            layer="below",
            name=f"{bands.name} boundary {boundary:g}",
            line={"color": BAND_BORDER_COLOUR, "width": 1.5, "dash": "dash"},
        )


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
    series = patient_series(visits, outcome, protocol)
    series = series[series["patient_id"].isin(_selected(visits, patients))]
    colour = _colours(visits, colours)

    fig = go.Figure()
    by_month = series.groupby("month")[y]
    median, count = by_month.median(), by_month.count()
    fig.add_trace(  # first, so that it is drawn beneath the patients' lines
        go.Scatter(
            x=median.index.tolist(),
            y=median.tolist(),
            name=MEDIAN_NAME,
            mode="lines",
            line={"color": MEDIAN_COLOUR, "width": 7},
            opacity=0.55,
            connectgaps=False,
            customdata=count.tolist(),
            hovertemplate=f"<b>{MEDIAN_NAME}</b> · month %{{x:g}}<br>%{{y:.6g}} (n = %{{customdata}})<extra></extra>",
        )
    )
    ends: list[tuple[str, float, float, str]] = []
    if series["patient_id"].nunique() > MAX_PATIENT_TRACES:
        fig.add_trace(_all_patients_trace(series, o, y))
    else:
        groups = list(series.groupby("patient_id", sort=True))
        shifts = _shifts(len(groups), MONTH_DODGE, 0.3)
        symbol = patient_symbols(visits["patient_id"])
        missed = []
        for (pid, rows), shift in zip(groups, shifts):
            x = (rows["month"].to_numpy(dtype=float) + shift).tolist()
            fig.add_trace(_patient_trace(rows, o, colour[pid], y, symbol=symbol[pid], x=x, showlegend=False))
            if (bridge := _missed_trace(rows, colour[pid], x, y)) is not None:
                missed.append(bridge)
            last = rows[y].last_valid_index()
            if last is not None:
                ends.append((html.escape(pid), x[rows.index.get_loc(last)], float(rows.at[last, y]), colour[pid]))
        for bridge in missed:
            fig.add_trace(bridge)
        if missed:  # one legend entry that explains the dotted lines
            fig.add_trace(
                go.Scatter(
                    x=[None],
                    y=[None],
                    name=MISSED_LEGEND,
                    mode="lines",
                    line={"color": "#444444", "width": 2, "dash": "dot"},
                    hoverinfo="skip",
                )
            )

    plotted = series.dropna(subset=[y])
    what = o.label if mode == "absolute" else f"Change in {o.label} from baseline"
    title = f"{what} by patient — n = {plotted['patient_id'].nunique()}, {_span(plotted['month'])}"
    apply_layout(fig, title)
    months = sorted(series["month"].unique())
    right = (max(months) if months else 0) + max(0.9, 0.16 * (max(months) if months else 0))  # room for labels
    fig.update_xaxes(
        title_text=X_TITLE, tickmode="array", tickvals=months, ticktext=[f"{m:g}" for m in months], range=[-0.5, right]
    )
    fig.update_yaxes(title_text=_y_title(o, mode))
    fig.update_layout(
        legend={
            "orientation": "h",
            "x": 1,
            "xanchor": "right",
            "y": 1.0,
            "yanchor": "bottom",
            "font": {"size": BASE_FONT_SIZE - 2},
        },
        title={"y": 0.985, "yanchor": "top", "yref": "container"},
        margin={"t": 90},
    )
    y_span = 1.0
    if mode == "change":
        fig.add_hline(y=0, line={"color": "#555555", "width": 1.5, "dash": "dot"})
        finite = plotted[y].dropna()
        y_span = float(finite.max() - finite.min()) if len(finite) else 1.0
    elif o.bands is not None:
        y_range = _band_range(plotted[y], o.bands)
        fig.update_yaxes(range=list(y_range))
        _add_bands(fig, o.bands, y_range)
        fig.update_layout(margin={"r": 150})
        y_span = y_range[1] - y_range[0]
    elif o.axis_range is not None:
        fig.update_yaxes(range=list(o.axis_range))
        y_span = o.axis_range[1] - o.axis_range[0]
    _end_labels(fig, ends, y_span or 1.0)
    return fig


def small_multiples_figure(
    visits: pd.DataFrame,
    patients: list[str] | None = None,
    colours: dict[str, str] | None = None,
    protocol: Protocol | None = None,
) -> go.Figure:
    """One column per patient (wrapping after five), one row per primary outcome of the protocol.

    Every panel of a row has the same y axis, so patients can be compared at a glance. At most
    ``MAX_SMALL_MULTIPLES`` patients are drawn (the first by id); the title then says how many of
    how many are shown.
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
    specs: list[list[dict[str, object] | None]] = [
        [{} if c < len(block) else None for c in range(ncols)] for block in blocks for _ in primary
    ]
    per_block = max(1, len(primary))
    titles = [html.escape(title) for block in blocks for title in [*block, *[""] * (len(block) * (per_block - 1))]]
    height = 130 + 235 * per_block * len(blocks)
    fig = make_subplots(
        rows=per_block * len(blocks),
        cols=ncols,
        specs=specs,
        subplot_titles=titles,
        vertical_spacing=105 / height,  # room for "Month" and the next block's panel titles
        horizontal_spacing=0.03,
    )
    series = {outcome: patient_series(visits, outcome, protocol) for outcome in primary}
    by_patient = {
        outcome: dict(tuple(s[s["patient_id"].isin(ids)].groupby("patient_id", sort=False)))
        for outcome, s in series.items()
    }
    for i, pid in enumerate(ids):
        b, col = divmod(i, ncols)
        for j, (outcome, o) in enumerate(zip(primary, outcomes)):
            rows = by_patient[outcome].get(pid)
            if rows is None:  # the outcome was never measured in this study
                continue
            trace = _patient_trace(rows, o, colour[pid], symbol=symbols[pid], showlegend=False)
            fig.add_trace(trace, row=per_block * b + j + 1, col=col + 1)

    shown = (
        f"n = {len(ids)}"
        if len(ids) == len(selected)
        else f"the first {len(ids)} of {len(selected):,} patients (by id) shown"
    )
    rows_named = ", ".join(f"{o.label} (row {j + 1})" for j, o in enumerate(outcomes))
    apply_layout(fig, f"Primary outcomes by patient — {shown}: {rows_named}", height=height)
    months = sorted(visits["month"].unique())
    fig.update_xaxes(
        tickmode="array", tickvals=months, ticktext=[f"{m:g}" for m in months], range=[-0.5, max(months) + 0.5]
    )
    y_ranges = {k: _y_range(o, series[k]["value"]) for k, o in zip(primary, outcomes)}
    for b, block in enumerate(blocks):  # panel by panel (cheaper than row/col selectors over all axes)
        for j, (outcome, o) in enumerate(zip(primary, outcomes)):
            for col in range(1, len(block) + 1):
                panel = fig.get_subplot(per_block * b + j + 1, col)
                labels = {"title_text": o.axis_title} if col == 1 else {"showticklabels": False}
                panel.yaxis.update(range=list(y_ranges[outcome]), **labels)
                last = j == len(primary) - 1
                panel.xaxis.update({"title_text": "Month"} if last else {"showticklabels": False})
    return fig


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
    fig = go.Figure()
    if n_pairs > MAX_PATIENT_TRACES:
        fig.add_trace(_all_patients_trace(series, o, x="x"))
    else:
        symbol = patient_symbols(everyone["patient_id"])
        for pid, rows in series.groupby("patient_id", sort=True):
            fig.add_trace(_patient_trace(rows, o, colour[pid], symbol=symbol[pid], x=rows["x"].tolist()))

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
            (html.escape(pid), float(rows["x"].iloc[-1]), float(rows["value"].iloc[-1]), colour[pid])
            for pid, rows in series.groupby("patient_id", sort=True)
        ]
        _end_labels(fig, ends, y_span or 1.0)
    return fig
