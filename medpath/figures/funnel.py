"""CONSORT-style eligibility funnel (Schulz et al., CONSORT 2010 flow diagram) of a study's screening.

Bars show how many candidates passed each step and every earlier one, with the percentage of the
first step; a box beside each step lists why the others dropped out there.
"""

from __future__ import annotations

import plotly.graph_objects as go

from medpath.eligibility import Eligibility, FunnelStep
from medpath.figures.style import BASE_FONT_SIZE, OKABE_ITO, apply_layout

#: The funnel uses the left part of the plot; exclusion boxes sit in the right part.
FUNNEL_DOMAIN = (0.0, 0.42)
BAR_COLOUR = OKABE_ITO[3]
#: Exclusion boxes wrap after about this many characters, to stay inside a 1280 px wide page.
LINE_CHARS = 44


def exclusion_text(step: FunnelStep) -> str:
    """For a step someone dropped out at, e.g. "Excluded (n=8): male ≤ 50 y: 4; female ≤ 40 y: 3;
    unknown (missing data): 1", wrapped (``<br>``) between reasons so that no line passes LINE_CHARS
    where it can be helped (a single reason longer than that keeps its line)."""
    reasons = [f"{reason}: {count}" for reason, count in step.excluded.items()]
    if step.unknown:
        reasons.append(f"unknown (missing data): {step.unknown}")
    lines = [f"Excluded (n={step.dropped}):"]
    for i, reason in enumerate(reasons):
        if len(lines[-1]) + len(reason) + 2 > LINE_CHARS:
            lines[-1] += ";" if i else ""
            lines.append(reason)
        else:
            lines[-1] += f"{'; ' if i else ' '}{reason}"
    return "<br>".join(lines)


def funnel_figure(eligibility: Eligibility, title: str | None = None, trial: str = "") -> go.Figure:
    """The funnel of ``eligibility.steps``; the default title names the study and the n screened
    (or the n enrolled when there was no screening log)."""
    steps = eligibility.steps
    labels = [s.label for s in steps]
    if title is None:
        first = steps[0]
        title = f"Eligibility funnel{', ' + trial if trial else ''}: {first.n} {first.label.lower()}"
    fig = go.Figure(
        go.Funnel(
            y=labels,
            x=[s.n for s in steps],
            textinfo="value+percent initial",
            textposition="auto",
            textfont={"size": BASE_FONT_SIZE},
            marker={"color": BAR_COLOUR},
            connector={"fillcolor": "#DDE7F0"},
            hovertemplate="%{y}: %{x} (%{percentInitial:.0%} of first step)<extra></extra>",
        )
    )
    for step in steps:
        if step.dropped:
            fig.add_annotation(
                x=FUNNEL_DOMAIN[1] + 0.02,
                xref="paper",
                xanchor="left",
                y=step.label,
                yref="y",
                text=exclusion_text(step),
                showarrow=False,
                align="left",
                font={"size": BASE_FONT_SIZE - 1},
                bgcolor="white",
                bordercolor="#888888",
                borderwidth=1,
                borderpad=4,
            )
    apply_layout(fig, title, height=max(520, 72 * len(steps) + 140))
    fig.update_layout(showlegend=False)
    fig.update_xaxes(domain=FUNNEL_DOMAIN, visible=False)
    fig.update_yaxes(automargin=True)
    return fig
