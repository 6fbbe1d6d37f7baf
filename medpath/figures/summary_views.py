"""Summary views of a large study: what the Trajectories, Overview and Outcomes pages draw above
``medpath.scale.SUMMARY_ABOVE`` patients instead of one mark per patient (issue 28: at 5,000 patients the browser
held one SVG element per point, the spaghetti plot was a hairball and each before-after plot a black blob).

Both figures send the browser aggregates, a few points a visit whatever the study's size:

- ``trajectory_summary_figure``: per visit month the median and the interquartile band (25th to 75th percentile) of
  the values or of the changes from baseline, with the number of patients that have a value at each visit under its
  month (``visit_quartiles``); the lines of the patients a PI picks are drawn over it, as in the spaghetti plot when
  they are few (colours, labels at their ends, missed visits bridged: ``trajectory._patient_lines``), as one WebGL
  trace when many.
- ``paired_change_figure``: the two medians (baseline and follow-up) with their quartiles as boxes on the outcome's
  scale, above the distribution of the paired changes (a histogram, ``change_bins``), with no change marked and the
  direction that is better named, and the median change with its quartiles as a box above the bars.

Quartiles are Hyndman & Fan's type 7 (linear interpolation between order statistics: pandas' and numpy's default
and R's; Hyndman & Fan, "Sample quantiles in statistical packages", Am. Stat. 50 (1996) 361–365), the definition
``medpath.stats.describe_paired`` uses for the results tables, so that the chart and the tables agree.

The axes, titles, ranges and class bands are the trajectory figures' own (``medpath.figures.trajectory``), and so
is the house style. Every trace is a scatter or a vertical bar, which the static SVG copy draws
(``medpath.figures.svg``; it outlines the boxes and the band without their fill), except the WebGL trace of many
chosen patients, for which the page offers no SVG.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any, Literal

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from medpath.figures.style import FIGURE_HEIGHT, FOOTER_MARGIN, one_go_figure, title_layout
from medpath.figures.trajectory import (
    BOTTOM,
    MEDIAN_NAME,
    _colours,
    _padded,
    _patient_lines,
    _selected,
    _span,
    _trajectory_layout,
    _y_title,
    before_after_figure,
)
from medpath.outcomes import OutcomeComparison
from medpath.protocol import Protocol
from medpath.scale import summary_first
from medpath.stats import Quartiles
from medpath.trajectories import patient_series

#: The interquartile band's legend entry.
IQR_NAME = "Middle half of patients (25th–75th percentile)"
#: The median line of the summary (dark and wide, above the band) and the band: a pale fill with thin edges (the
#: static SVG copy draws the edges only).
SUMMARY_COLOUR, BAND_FILL, BAND_EDGE = "#222222", "rgba(0, 114, 178, 0.16)", "#0072B2"
#: Room below the plot of the trajectory summary (pixels): the month and the patients counted there, two lines of
#: tick labels, then the axis title.
SUMMARY_BOTTOM = BOTTOM + 20
#: The chosen patients' lines over the summary: at most ``trajectory.MAX_PATIENT_TRACES`` a trace each, beyond
#: that one trace drawn with WebGL (a canvas, not an SVG element per point).
GL_TRACE = "scattergl"

#: Paired changes: at most this many bars in the histogram.
MAX_BINS = 40
#: The histogram's bars and the boxes (one blue: patients), the medians' ticks, and the line of no change.
BAR_COLOUR, BOX_LINE, ZERO_COLOUR = "#4A7FB0", "#222222", "#555555"
#: The paired figure in pixels: the boxes' panel (two rows), the room under it for its tick labels and two-line
#: axis title, the histogram's panel at least, and the room below for its tick labels and two-line title.
BOX_PANEL, BOX_GAP, MIN_BARS_PANEL, PAIRED_BOTTOM = 84, 84, 150, 84
#: A box's thickness (pixels; a wide line from the first to the third quartile) and its median's tick.
BOX_WIDTH, MEDIAN_TICK = 18, 26


# ------------------------------------------------------------------------------------------ trajectories


def visit_quartiles(series: pd.DataFrame, y: Literal["value", "change"] = "value") -> pd.DataFrame:
    """Per visit month of ``series`` (``medpath.trajectories.patient_series``): the number of patients with a value
    of ``y`` (n), its first quartile (q1), median and third quartile (q3), Hyndman & Fan type 7 (pandas' linear
    ``quantile``). One row per month of the outcome's schedule, in order; a month where nobody has a value of ``y``
    (a change without baselines) has n = 0 and no quartiles. Columns: month, visit, n, q1, median, q3."""
    months = sorted(series["month"].unique())
    values = series.dropna(subset=[y]).groupby("month")[y]
    table = pd.DataFrame(
        {
            "n": values.count(),
            "q1": values.quantile(0.25),
            "median": values.median(),
            "q3": values.quantile(0.75),
        }
    ).reindex(months)
    table["n"] = table["n"].fillna(0).astype(int)
    table.insert(0, "visit", series.groupby("month")["visit"].first().reindex(months).tolist())
    return table.rename_axis("month").reset_index()


def trajectory_summary_figure(
    visits: pd.DataFrame,
    outcome: str,
    patients: Sequence[str] = (),
    mode: Literal["absolute", "change"] = "absolute",
    colours: dict[str, str] | None = None,
    *,
    protocol: Protocol,
    series: pd.DataFrame | None = None,
) -> go.Figure:
    """The course of ``outcome`` over months since baseline as a summary of every patient: the median at each visit
    and the band of the middle half of the patients (first to third quartile, ``visit_quartiles``), each month's
    tick saying how many patients have a value there (also in the median's hover). ``mode="change"``: of the change
    from each patient's baseline, with a zero line; in absolute mode an outcome's classes are shaded, as in
    ``trajectory.spaghetti_figure``.

    The summary is of every patient of ``series`` (the analysis's ``patient_series``; computed when not given)
    whatever ``patients`` holds: those are only the patients whose own lines are drawn over it (none by default),
    as the spaghetti plot draws them up to ``trajectory.MAX_PATIENT_TRACES``, in one WebGL trace beyond. The y axis
    spans the band and the lines drawn (not the most extreme patient's value, which would flatten the band)."""
    if mode not in ("absolute", "change"):
        raise ValueError(f"mode must be 'absolute' or 'change', not {mode!r}.")
    o = protocol.outcomes[outcome]
    y: Literal["value", "change"] = "value" if mode == "absolute" else "change"
    if series is None:
        series = patient_series(visits, outcome, protocol)
    quartiles = visit_quartiles(series, y)
    months = quartiles["month"].tolist()
    chosen = series[series["patient_id"].isin(_selected(visits, list(patients)))]

    def band_edge(column: str, **extra) -> dict[str, Any]:
        return {
            "type": "scatter",
            "x": months,
            "y": quartiles[column].tolist(),
            "name": IQR_NAME,
            "mode": "lines",
            "line": {"color": BAND_EDGE, "width": 1},
            "connectgaps": False,
            "hoverinfo": "skip",
            "legendgroup": "iqr",
            **extra,
        }

    lines, ends, reach = _patient_lines(visits, chosen, o, y, _colours(visits, colours), kind=GL_TRACE)
    customdata = quartiles[["n", "q1", "q3"]].to_numpy(dtype=float).tolist()
    traces: list[dict[str, Any]] = [
        band_edge("q3", showlegend=False),
        band_edge("q1", fill="tonexty", fillcolor=BAND_FILL),  # filled up to the third quartile's edge
        *lines,  # the chosen patients over the band, under the median: the summary leads
        {
            "type": "scatter",
            "x": months,
            "y": quartiles["median"].tolist(),
            "name": MEDIAN_NAME,
            "mode": "lines+markers",
            "line": {"color": SUMMARY_COLOUR, "width": 4},
            "marker": {"color": SUMMARY_COLOUR, "size": 10, "symbol": "diamond"},
            "connectgaps": False,
            "customdata": customdata,
            "hovertext": quartiles["visit"].tolist(),
            "hovertemplate": f"<b>{MEDIAN_NAME}</b> · %{{hovertext}}: %{{y:.6g}}"
            "<br>middle half: %{customdata[1]:.6g} to %{customdata[2]:.6g}"
            "<br>n = %{customdata[0]:,} patients with a value<extra></extra>",
        },
    ]

    plotted = series.dropna(subset=[y])
    what = o.label if mode == "absolute" else f"Change in {o.label} from baseline"
    drawn = chosen["patient_id"].nunique()
    caption = f"n = {plotted['patient_id'].nunique():,} patients, {_span(plotted['month'], protocol)}" + (
        f"; lines: {drawn:,} chosen patient{'' if drawn == 1 else 's'}" if drawn else ""
    )
    heading = title_layout(f"{what}: median and middle half of patients", caption, legend=True)
    ticks = [f"{protocol.clock.count(m):g}<br>n = {n:,}" for m, n in zip(months, quartiles["n"])]
    extent = pd.concat([quartiles["q1"], quartiles["q3"], chosen[y]], ignore_index=True)
    layout, height = _trajectory_layout(
        o, mode, heading, months, extent, ends, reach, clock=protocol.clock, tick_text=ticks, bottom=SUMMARY_BOTTOM
    )
    return one_go_figure(traces, layout, height)


# ------------------------------------------------------------------------------------------ before-after


def _nice_at_least(x: float) -> float:
    """The smallest of 1, 2 and 5 times a power of ten that is at least ``x`` (> 0)."""
    power = 10.0 ** math.floor(math.log10(x))
    return next(m * power for m in (1, 2, 5, 10) if m * power >= x * (1 - 1e-9))


def change_bins(changes: Sequence[float] | np.ndarray, max_bins: int = MAX_BINS) -> tuple[float, pd.DataFrame]:
    """The histogram of paired changes: (the bins' width w, a frame of the bins that hold a change: centre, low, high,
    n), in order.

    Bins are w wide and centred on the multiples of w (bin k holds the changes in [(k − ½)·w, (k + ½)·w)), so that
    no change has a bin centred on 0 and equal changes (integer scores) share a bar. w is the smallest of 1, 2 and 5
    times a power of ten that is at least the data's resolution (the smallest gap between two different changes) and
    leaves at most ``max_bins`` bins across the changes. Changes are rounded to 9 decimals first, so that float noise
    (7.3 − 5.3 = 1.9999999999999996) cannot move a change into the next bin."""
    d = np.round(np.asarray(changes, dtype=float), 9)
    d = d[~np.isnan(d)]
    if not len(d):
        return 1.0, pd.DataFrame({"centre": [], "low": [], "high": [], "n": []})
    distinct = np.unique(d)
    resolution = float(np.diff(distinct).min()) if len(distinct) > 1 else 1.0
    span = float(distinct[-1] - distinct[0])
    width = _nice_at_least(max(resolution, span / max_bins, 1e-9))
    k = np.floor(np.round(d / width, 9) + 0.5)
    ks, counts = np.unique(k, return_counts=True)
    centre = np.round(ks * width, 9)
    return width, pd.DataFrame({"centre": centre, "low": centre - width / 2, "high": centre + width / 2, "n": counts})


def _box(q: Quartiles, position: str | float, axes: dict[str, str], label: str, n: int) -> list[dict[str, Any]]:
    """A box of ``q`` lying along the x axis at ``position`` on the y axis: a wide pale line from the first to the
    third quartile, the median a dark tick across it, hovered with the three values and ``n``."""
    hover = (
        f"<b>{label}</b>: median {q.median:.6g}<br>middle half: {q.q1:.6g} to {q.q3:.6g}<br>n = {n:,}<extra></extra>"
    )
    return [
        {
            "type": "scatter",
            "x": [q.q1, q.q3],
            "y": [position, position],
            "mode": "lines",
            "line": {"color": BAR_COLOUR, "width": BOX_WIDTH},
            "name": f"{label}: quartiles",
            "showlegend": False,
            "hoverinfo": "skip",
            **axes,
        },
        {
            "type": "scatter",
            "x": [q.median],
            "y": [position],
            "mode": "markers",
            "marker": {
                "color": BOX_LINE,
                "size": MEDIAN_TICK,
                "symbol": "line-ns",
                "line": {"color": BOX_LINE, "width": 4},
            },
            "name": f"{label}: median",
            "showlegend": False,
            "hovertemplate": hover,
            **axes,
        },
    ]


def before_after_view(
    comparison: OutcomeComparison, all_patients: Sequence[str], height: int = FIGURE_HEIGHT
) -> go.Figure:
    """The before–after plot of a comparison as a study of ``all_patients`` is shown (pages, report): each patient's
    pair joined by a line (``trajectory.before_after_figure``) up to ``medpath.scale.SUMMARY_ABOVE`` patients, the
    paired distribution (``paired_change_figure``) above."""
    if summary_first(len(all_patients)):
        return paired_change_figure(comparison, height=height)
    return before_after_figure(comparison, all_patients=list(all_patients), height=height)


def paired_change_figure(comparison: OutcomeComparison, height: int = FIGURE_HEIGHT) -> go.Figure:
    """Baseline against follow-up for many pairs, as distributions rather than one line per patient.

    Above, on the outcome's scale: the baseline and follow-up values of the tested pairs
    (``OutcomeComparison.changes``), each as a box from its first to its third quartile with its median, the two
    medians joined by a dotted line (the numbers of ``describe_paired``, as in the results table). Below: how many
    patients changed by how much (the paired changes, follow-up − baseline, binned by ``change_bins``), a dotted line
    at no change, the axis title naming which way is better, and the median change with its quartiles as a box above
    the bars. ``height``: at least this many pixels (taller when the two panels need it).
    """
    o, summary = comparison.meta, comparison.summary
    first, second = comparison.baseline_visit, comparison.followup_visit
    rows = [second.capitalize(), first.capitalize()]  # bottom to top: baseline above the follow-up
    n = comparison.n_pairs
    changes = comparison.changes["change"].to_numpy(dtype=float)
    width, bins = change_bins(changes)
    top_count = int(bins["n"].max()) if len(bins) else 1

    on_bars = {"xaxis": "x2", "yaxis": "y2"}
    box_row = 1.22 * top_count  # the median change's box, above the tallest bar
    traces: list[dict[str, Any]] = [
        *_box(summary.before, rows[1], {}, rows[1], n),
        *_box(summary.after, rows[0], {}, rows[0], n),
        {
            "type": "scatter",
            "x": [summary.before.median, summary.after.median],
            "y": [rows[1], rows[0]],
            "mode": "lines",
            "line": {"color": ZERO_COLOUR, "width": 1.5, "dash": "dot"},
            "name": "medians joined",
            "showlegend": False,
            "hoverinfo": "skip",
        },
        {
            "type": "bar",
            "x": bins["centre"].tolist(),
            "y": bins["n"].tolist(),
            "width": width,
            "marker": {"color": BAR_COLOUR, "line": {"color": "white", "width": 1}},
            "name": "Patients by change",
            "showlegend": False,
            "customdata": bins[["low", "high"]].to_numpy().tolist(),
            "hovertemplate": "change %{x:+.6g} (%{customdata[0]:.6g} to %{customdata[1]:.6g}): "
            "%{y:,} patients<extra></extra>",
            **on_bars,
        },
        {
            "type": "scatter",
            "x": [0.0, 0.0],
            "y": [0.0, 1.3 * top_count],
            "mode": "lines",
            "line": {"color": ZERO_COLOUR, "width": 2, "dash": "dot"},
            "name": "no change",
            "showlegend": False,
            "hovertemplate": "no change<extra></extra>",
            **on_bars,
        },
        *_box(summary.change, box_row, on_bars, "Change", n),
    ]

    heading = title_layout(
        f"{o.label}: {first} and {second}",
        f"n = {n:,} pairs · boxes: middle half of patients, tick: median",
    )
    top = heading["margin"]["t"]
    fixed = top + BOX_PANEL + BOX_GAP + PAIRED_BOTTOM + FOOTER_MARGIN
    height = max(height, math.ceil(fixed + MIN_BARS_PANEL))
    plot = height - top - PAIRED_BOTTOM - FOOTER_MARGIN  # pixels of both panels and the gap between them
    box_domain = [1 - BOX_PANEL / plot, 1.0]
    bars_domain = [0.0, 1 - (BOX_PANEL + BOX_GAP) / plot]
    values = [summary.before.q1, summary.before.q3, summary.after.q1, summary.after.q3]
    x_range = o.axis_range or _padded([v for v in values if not math.isnan(v)])
    reach = [*bins["low"], *bins["high"], 0.0, summary.change.q1, summary.change.q3]
    change_range = _padded([v for v in reach if not math.isnan(v)])
    layout: dict[str, Any] = {
        **heading,
        "showlegend": False,
        "margin": {"t": top, "b": PAIRED_BOTTOM},
        "xaxes": {
            "xaxis": {"domain": [0, 1], "anchor": "y", "range": list(x_range), "title": {"text": _y_title(o)}},
            "xaxis2": {
                "domain": [0, 1],
                "anchor": "y2",
                "range": list(change_range),
                "zeroline": False,
                "title": {"text": _y_title(o, "change")},
            },
        },
        "yaxes": {
            "yaxis": {
                "domain": box_domain,
                "anchor": "x",
                "type": "category",
                "categoryorder": "array",
                "categoryarray": rows,
                "range": [-0.6, 1.6],
            },
            "yaxis2": {
                "domain": bars_domain,
                "anchor": "x2",
                "range": [0, 1.35 * top_count],
                "title": {"text": "Patients"},
            },
        },
    }
    return one_go_figure(traces, layout, height)
