"""Waterfall plot of each patient's change from baseline in an outcome with a least significant change (the
protocol's ``Outcome.lsc``, e.g. spine BMD in g/cm²: ISCD, LSC = 2.77 x precision error; ``medpath.secondary``):
bars sorted from the largest gain to the largest loss, the ±LSC band shaded, each bar coloured gain / stable /
loss and labelled with its change and percent change. Patient ids are drawn through ``inert_plotly``."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from medpath.figures.style import BASE_FONT_SIZE, apply_layout
from medpath.inert import inert_plotly
from medpath.pipeline.cells.values import month_label
from medpath.protocol import Outcome

COLOURS = {"gain": "#009E73", "stable": "#8C8C8C", "loss": "#D55E00"}  # Okabe-Ito green, grey, vermilion


def waterfall_figure(table: pd.DataFrame, lsc: float, outcome: Outcome, followup_month: float) -> go.Figure:
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
    fig.add_hrect(y0=-lsc, y1=lsc, fillcolor="#E8E8E8", opacity=0.7, line_width=0, layer="below")
    for sign in (1, -1):
        fig.add_hline(
            y=sign * lsc,
            line={"dash": "dash", "color": "#555555", "width": 1.2},
            annotation_text=f"{'+' if sign > 0 else '−'}LSC {lsc:.4f}",
            annotation_position="right",
            annotation_font_size=BASE_FONT_SIZE - 2,
        )
    fig.add_hline(y=0, line={"color": "#222222", "width": 1})
    largest = max([abs(c) for c in table["change"]] + [lsc]) if len(table) else lsc
    apply_layout(
        fig,
        f"{outcome.label} change, baseline → {month_label(followup_month)}, per patient, against the LSC",
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
