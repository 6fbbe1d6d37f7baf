"""Waterfall plot of each patient's change from baseline in an outcome with a least significant change (the
protocol's ``Outcome.lsc``, e.g. spine BMD in g/cm²: ISCD, LSC = 2.77 x precision error; ``medpath.secondary``):
bars sorted from the largest gain to the largest loss, the ±LSC band shaded, each bar coloured gain / stable /
loss and labelled with its change and percent change. Patient ids are drawn through ``inert_plotly``.

A bar per patient is 72,000 elements at 5,000 patients: above ``medpath.scale.SUMMARY_ABOVE`` patients the Secondary
page draws instead the distribution of the changes (``change_histogram_figure``): a histogram whose bins never
straddle ±LSC, so that each bar is wholly gain, stable or loss and the bars of a colour add up to its count."""

from __future__ import annotations

import math
from collections import Counter
from typing import Any, Literal

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from medpath.figures.style import BASE_FONT_SIZE, across_line, one_go_figure, title_layout
from medpath.inert import inert_plotly
from medpath.protocol import Outcome
from medpath.secondary import lsc_counts

COLOURS = {"gain": "#009E73", "stable": "#8C8C8C", "loss": "#D55E00"}  # Okabe-Ito green, grey, vermilion


def _lsc_band(lsc: float, axis: Literal["x", "y"]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The ±LSC band (grey) and its two dashed lines, labelled, across the changes' axis (``y`` in the waterfall, whose
    bars stand on the patients; ``x`` in the histogram, whose bars are the changes): (shapes, annotations), as
    ``add_hrect`` / ``add_hline`` (``add_vrect`` / ``add_vline``) would add them with their ``annotation_*``
    settings, written out so that the figure is built in one go (``style.one_go_figure``)."""
    other = "x" if axis == "y" else "y"
    across = {f"{other}ref": f"{other} domain", f"{other}0": 0, f"{other}1": 1, f"{axis}ref": axis}
    shapes: list[dict[str, Any]] = [
        {
            **across,
            "type": "rect",
            f"{axis}0": -lsc,
            f"{axis}1": lsc,
            "fillcolor": "#E8E8E8",
            "opacity": 0.7,
            "line": {"width": 0},
            "layer": "below",
        }
    ]
    annotations = []
    for sign in (1, -1):
        at = sign * lsc
        shapes.append(
            {
                **across,
                "type": "line",
                f"{axis}0": at,
                f"{axis}1": at,
                "line": {"dash": "dash", "color": "#555555", "width": 1.2},
            }
        )
        if axis == "y":  # right of the line's end
            place = {"x": 1, "xref": "x domain", "xanchor": "left", "y": at, "yref": "y", "yanchor": "middle"}
        else:  # at the top, on the line's outer side
            place = {
                "x": at,
                "xref": "x",
                "xanchor": "left" if sign > 0 else "right",
                "y": 1,
                "yref": "y domain",
                "yanchor": "top",
            }
        annotations.append(
            {
                **place,
                "text": f"{'+' if sign > 0 else '−'}LSC {lsc:.4f}",
                "showarrow": False,
                "font": {"size": BASE_FONT_SIZE - 2},
            }
        )
    return shapes, annotations


def waterfall_figure(table: pd.DataFrame, lsc: float, outcome: Outcome, followup_visit: str) -> go.Figure:
    """``table``: ``medpath.secondary.lsc_table`` (patient_id, change, percent_change, category) of ``outcome``."""
    ordered = table.sort_values("change", ascending=False, kind="stable")
    ordered = ordered.assign(patient_id=ordered["patient_id"].map(inert_plotly))  # the bars' names as plotly draws them
    traces = []
    for category, colour in COLOURS.items():
        part = ordered[ordered["category"] == category]
        traces.append(
            {
                "type": "bar",
                "x": part["patient_id"].tolist(),
                "y": part["change"].tolist(),
                "name": f"{category} ({len(part)})",
                "marker": {"color": colour},
                "text": [f"{c:+.3f}<br>({p:+.1f} %)" for c, p in zip(part["change"], part["percent_change"])],
                "textposition": "outside",
                "textfont": {"size": BASE_FONT_SIZE - 1},
                "cliponaxis": False,
                "hovertemplate": "%{x}: %{y:+.3f} " + outcome.unit + "<extra>" + category + "</extra>",
            }
        )
    largest = max([abs(c) for c in table["change"]] + [lsc]) if len(table) else lsc
    shapes, annotations = _lsc_band(lsc, "y")
    layout = {
        "shapes": [*shapes, across_line(0, {"color": "#222222", "width": 1})],
        "annotations": annotations,
        "title": {"text": f"{outcome.label} change, baseline → {followup_visit}, per patient, against the LSC"},
        "barmode": "relative",
        "legend": {"orientation": "h", "y": 1.0, "yanchor": "bottom", "x": 1, "xanchor": "right"},
        "margin": {"r": 110, "t": 80},
        "xaxes": {
            "xaxis": {
                "title": "Patient (largest gain first)",
                "categoryorder": "array",
                "categoryarray": ordered["patient_id"].tolist(),
            }
        },
        "yaxes": {
            "yaxis": {
                "title": f"Change in {outcome.label} ({outcome.unit})",
                "range": [-1.5 * largest, 1.6 * largest],
                "zeroline": False,
            }
        },
    }
    return one_go_figure(traces, layout, height=480)


#: The histogram's bins across the range of the changes, about (``lsc_bins``).
HISTOGRAM_BINS = 40
#: The ±LSC band is cut into at most this many bins (a narrow band of wide changes is one bin).
BAND_BINS = 8
#: The columns of ``lsc_bins``.
COUNTED = ("category", "low", "high", "patients")


def lsc_bins(table: pd.DataFrame, lsc: float, bins: int = HISTOGRAM_BINS) -> pd.DataFrame:
    """The changes of ``table`` (``medpath.secondary.lsc_table``) counted in bins: category, low, high, patients;
    only bins with patients, from the lowest change up.

    The bins start at the LSC lines: gains in [LSC, LSC + w), [LSC + w, LSC + 2w)…, losses mirrored in (−LSC − w,
    −LSC]…, and the band between cut into equal bins about w wide, so no bin holds two categories. Each change is
    binned within the category ``lsc_table`` gave it (a change equal to the LSC as typed is a gain there), so a
    colour's bars add up to its count. w is the range of the changes over ``bins``, but at least 2 LSC /
    ``BAND_BINS``: about ``bins`` + ``BAND_BINS`` + 2 bins at most, whatever the number of patients."""
    changes = table["change"].astype(float).tolist()
    span = max(changes) - min(changes) if changes else 0.0
    width = max(span / bins, 2 * lsc / BAND_BINS)
    band_bins = max(1, round(2 * lsc / width))
    band_width = 2 * lsc / band_bins

    def edge(change: float, category: str) -> tuple[float, float]:
        if category == "gain":
            low = lsc + max(0, math.floor((change - lsc) / width + 1e-9)) * width
            return low, low + width
        if category == "loss":
            high = -lsc - max(0, math.floor((-lsc - change) / width + 1e-9)) * width
            return high - width, high
        j = min(band_bins - 1, max(0, math.floor((change + lsc) / band_width + 1e-9)))
        return -lsc + j * band_width, -lsc + (j + 1) * band_width

    edges = [(category, *edge(change, category)) for change, category in zip(changes, table["category"])]
    if not edges:
        return pd.DataFrame({c: pd.Series(dtype="int64" if c == "patients" else object) for c in COUNTED})
    # one bin, one key: the edges rounded as pandas rounds (numpy's round, not Python's)
    lows, highs = (np.round(np.array([e[k] for e in edges], dtype=float), 12).tolist() for k in (1, 2))
    counts = Counter(zip((e[0] for e in edges), lows, highs))
    # counted in Python, not by a pandas groupby (7 ms whatever the size): by category, low and high, then by low
    keys = sorted(sorted(counts), key=lambda key: key[1])
    return pd.DataFrame(
        {
            "category": [k[0] for k in keys],
            "low": [k[1] for k in keys],
            "high": [k[2] for k in keys],
            "patients": [counts[k] for k in keys],
        }
    )


def change_histogram_figure(table: pd.DataFrame, lsc: float, outcome: Outcome, followup_visit: str) -> go.Figure:
    """The distribution of the changes of ``table`` (``medpath.secondary.lsc_table``) against the LSC: the bins of
    ``lsc_bins`` as bars coloured gain / stable / loss (their counts in the legend and the title), the ±LSC band
    shaded and its lines dashed. A bar per bin, whatever the number of patients."""
    binned = lsc_bins(table, lsc)
    counts = lsc_counts(table)
    traces = []
    for category, colour in COLOURS.items():
        part = binned[binned["category"] == category]
        traces.append(
            {
                "type": "bar",
                "x": ((part["low"] + part["high"]) / 2).tolist(),
                "y": part["patients"].tolist(),
                "width": (part["high"] - part["low"]).tolist(),
                "name": f"{category} ({counts[category]})",
                "marker": {"color": colour, "line": {"color": "#FFFFFF", "width": 1}},
                "customdata": list(zip(part["low"], part["high"])),
                "hovertemplate": "%{customdata[0]:+.4f} to %{customdata[1]:+.4f} "
                + outcome.unit
                + ": %{y} patient(s)<extra>"
                + category
                + "</extra>",
            }
        )
    title = (
        f"{outcome.label} change, baseline → {followup_visit}, against the LSC: gain {counts['gain']}, "
        f"stable {counts['stable']}, loss {counts['loss']} of {len(table)} patients"
    )
    tallest = max(binned["patients"].tolist(), default=1)
    shapes, annotations = _lsc_band(lsc, "x")
    layout = {
        "shapes": shapes,
        "annotations": annotations,
        **title_layout(title, legend=True),  # wrapped: the whole title shows at 1280 px and in the export
        "barmode": "overlay",
        "bargap": 0,
        "legend": {"orientation": "h", "y": 1.0, "yanchor": "bottom", "x": 1, "xanchor": "right"},
        "xaxes": {"xaxis": {"title": f"Change in {outcome.label} ({outcome.unit})", "zeroline": False}},
        # room above the bars for the LSC labels
        "yaxes": {"yaxis": {"title": "Patients", "range": [0, 1.2 * tallest]}},
    }
    return one_go_figure(traces, layout, height=480)
