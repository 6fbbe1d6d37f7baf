"""Waterfall plot of each patient's change from baseline in an outcome with a least significant change (the
protocol's ``Outcome.lsc``, e.g. spine BMD in g/cm²: ISCD, LSC = 2.77 x precision error; ``medpath.secondary``):
bars sorted from the largest gain to the largest loss, the ±LSC band shaded, each bar coloured gain / stable /
loss and labelled with its change and percent change. Patient ids are drawn through ``inert_plotly``.

A bar per patient is 72,000 elements at 5,000 patients: above ``medpath.scale.SUMMARY_ABOVE`` patients the Secondary
page draws instead the distribution of the changes (``change_histogram_figure``): a histogram whose bins never
straddle ±LSC, so that each bar is wholly gain, stable or loss and the bars of a colour add up to its count."""

from __future__ import annotations

import math
from typing import Literal

import pandas as pd
import plotly.graph_objects as go

from medpath.figures.style import BASE_FONT_SIZE, apply_layout, title_layout
from medpath.inert import inert_plotly
from medpath.protocol import Outcome
from medpath.secondary import lsc_counts

COLOURS = {"gain": "#009E73", "stable": "#8C8C8C", "loss": "#D55E00"}  # Okabe-Ito green, grey, vermilion


def _lsc_band(fig: go.Figure, lsc: float, axis: Literal["x", "y"]) -> None:
    """The ±LSC band (grey) and its two dashed lines, labelled, across the changes' axis (``y`` in the waterfall, whose
    bars stand on the patients; ``x`` in the histogram, whose bars are the changes)."""
    band, line = (fig.add_hrect, fig.add_hline) if axis == "y" else (fig.add_vrect, fig.add_vline)
    band(**{f"{axis}0": -lsc, f"{axis}1": lsc}, fillcolor="#E8E8E8", opacity=0.7, line_width=0, layer="below")
    for sign in (1, -1):
        line(
            **{axis: sign * lsc},
            line={"dash": "dash", "color": "#555555", "width": 1.2},
            annotation_text=f"{'+' if sign > 0 else '−'}LSC {lsc:.4f}",
            annotation_position="right" if axis == "y" else ("top right" if sign > 0 else "top left"),
            annotation_font_size=BASE_FONT_SIZE - 2,
        )


def waterfall_figure(table: pd.DataFrame, lsc: float, outcome: Outcome, followup_visit: str) -> go.Figure:
    """``table``: ``medpath.secondary.lsc_table`` (patient_id, change, percent_change, category) of ``outcome``."""
    ordered = table.sort_values("change", ascending=False, kind="stable")
    ordered = ordered.assign(patient_id=ordered["patient_id"].map(inert_plotly))  # the bars' names as plotly draws them
    fig = go.Figure()
    for category, colour in COLOURS.items():
        part = ordered[ordered["category"] == category]
        fig.add_bar(
            x=part["patient_id"].tolist(),
            y=part["change"].tolist(),
            name=f"{category} ({len(part)})",
            marker={"color": colour},
            text=[f"{c:+.3f}<br>({p:+.1f} %)" for c, p in zip(part["change"], part["percent_change"])],
            textposition="outside",
            textfont={"size": BASE_FONT_SIZE - 1},
            cliponaxis=False,
            hovertemplate="%{x}: %{y:+.3f} " + outcome.unit + "<extra>" + category + "</extra>",
        )
    _lsc_band(fig, lsc, "y")
    fig.add_hline(y=0, line={"color": "#222222", "width": 1})
    largest = max([abs(c) for c in table["change"]] + [lsc]) if len(table) else lsc
    apply_layout(
        fig,
        f"{outcome.label} change, baseline → {followup_visit}, per patient, against the LSC",
        height=480,
    )
    fig.update_layout(
        barmode="relative",
        legend={"orientation": "h", "y": 1.0, "yanchor": "bottom", "x": 1, "xanchor": "right"},
        margin={"r": 110, "t": 80},
    )
    fig.update_xaxes(
        title="Patient (largest gain first)",
        categoryorder="array",
        categoryarray=ordered["patient_id"].tolist(),
    )
    fig.update_yaxes(
        title=f"Change in {outcome.label} ({outcome.unit})", range=[-1.5 * largest, 1.6 * largest], zeroline=False
    )
    return fig


#: The histogram's bins across the range of the changes, about (``change_bins``).
HISTOGRAM_BINS = 40
#: The ±LSC band is cut into at most this many bins (a narrow band of wide changes is one bin).
BAND_BINS = 8


def change_bins(table: pd.DataFrame, lsc: float, bins: int = HISTOGRAM_BINS) -> pd.DataFrame:
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

    counted = pd.DataFrame(
        [(category, *edge(change, category)) for change, category in zip(changes, table["category"])],
        columns=["category", "low", "high"],
    )
    counted["low"], counted["high"] = counted["low"].round(12), counted["high"].round(12)  # one bin, one key
    grouped = counted.groupby(["category", "low", "high"]).size().rename("patients").reset_index()
    return grouped.sort_values("low", kind="stable").reset_index(drop=True)


def change_histogram_figure(table: pd.DataFrame, lsc: float, outcome: Outcome, followup_visit: str) -> go.Figure:
    """The distribution of the changes of ``table`` (``medpath.secondary.lsc_table``) against the LSC: the bins of
    ``change_bins`` as bars coloured gain / stable / loss (their counts in the legend and the title), the ±LSC band
    shaded and its lines dashed. A bar per bin, whatever the number of patients."""
    binned = change_bins(table, lsc)
    counts = lsc_counts(table)
    fig = go.Figure()
    for category, colour in COLOURS.items():
        part = binned[binned["category"] == category]
        fig.add_bar(
            x=((part["low"] + part["high"]) / 2).tolist(),
            y=part["patients"].tolist(),
            width=(part["high"] - part["low"]).tolist(),
            name=f"{category} ({counts[category]})",
            marker={"color": colour, "line": {"color": "#FFFFFF", "width": 1}},
            customdata=list(zip(part["low"], part["high"])),
            hovertemplate="%{customdata[0]:+.4f} to %{customdata[1]:+.4f} "
            + outcome.unit
            + ": %{y} patient(s)<extra>"
            + category
            + "</extra>",
        )
    _lsc_band(fig, lsc, "x")
    title = (
        f"{outcome.label} change, baseline → {followup_visit}, against the LSC: gain {counts['gain']}, "
        f"stable {counts['stable']}, loss {counts['loss']} of {len(table)} patients"
    )
    apply_layout(fig, title, height=480)
    fig.update_layout(
        **title_layout(title, legend=True),  # wrapped: the whole title shows at 1280 px and in the export
        barmode="overlay",
        bargap=0,
        legend={"orientation": "h", "y": 1.0, "yanchor": "bottom", "x": 1, "xanchor": "right"},
    )
    fig.update_xaxes(title=f"Change in {outcome.label} ({outcome.unit})", zeroline=False)
    tallest = max(binned["patients"].tolist(), default=1)
    fig.update_yaxes(title="Patients", range=[0, 1.2 * tallest])  # room above the bars for the LSC labels
    return fig
