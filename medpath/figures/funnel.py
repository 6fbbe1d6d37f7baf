"""CONSORT-style eligibility funnel (Schulz et al., CONSORT 2010 flow diagram) of a study's screening.

Bars show how many candidates passed each step and every earlier one, with the percentage of the
first step; a box beside each step lists why the others dropped out there. A step whose number is not determinable
(``FunnelStep.n`` None) has no bar, never a bar of 0: its box says "Not determinable" and why; a step counted on its
own after such steps (the recorded enrolment) says so in its box.
"""

from __future__ import annotations

import plotly.graph_objects as go

from medpath.eligibility import Eligibility, FunnelStep
from medpath.figures.style import BASE_FONT_SIZE, OKABE_ITO, one_go_figure
from medpath.formatting import count, first_upper, not_determinable

#: The funnel uses the left part of the plot; exclusion boxes sit in the right part.
FUNNEL_DOMAIN = (0.0, 0.42)
BAR_COLOUR = OKABE_ITO[3]
#: Exclusion boxes wrap after about this many characters, to stay inside a 1280 px wide page.
LINE_CHARS = 44


def _wrapped(first: str, parts: list[str]) -> str:
    """``first``, then the ``parts`` separated by "; ", wrapped (``<br>``) between parts so that no line passes
    LINE_CHARS where it can be helped (a single part longer than that keeps its line)."""
    lines = [first]
    for i, part in enumerate(parts):
        if len(lines[-1]) + len(part) + 2 > LINE_CHARS:
            lines[-1] += ";" if i else ""
            lines.append(part)
        else:
            lines[-1] += f"{'; ' if i else ' '}{part}"
    return "<br>".join(lines)


def exclusion_text(step: FunnelStep) -> str:
    """For a step someone dropped out at, e.g. "Excluded (n=8): male ≤ 50 y: 4; female ≤ 40 y: 3;
    unknown (missing data): 1", wrapped (``<br>``) between reasons so that no line passes LINE_CHARS
    where it can be helped (a single reason longer than that keeps its line)."""
    reasons = [f"{reason}: {n}" for reason, n in step.excluded.items()]
    if step.unknown:
        reasons.append(f"unknown (missing data): {step.unknown}")
    return _wrapped(f"Excluded (n={step.dropped}):", reasons)


def step_text(step: FunnelStep, after_unknown: bool = False) -> str:
    """The box beside a step: "Not determinable: <reason>" for a step without a number; for the others the
    exclusions (``exclusion_text``) and those added (enrolled without passing every earlier step), and for a step
    counted on its own after steps that are not determinable (``after_unknown``: the recorded enrolment) that it is;
    "" when there is nothing to say."""
    if step.n is None:
        return _wrapped(f"{first_upper(not_determinable(None))}:", [step.reason or "the data cannot give it"])
    parts = [exclusion_text(step)] if step.dropped else []
    if step.added:
        parts.append(
            _wrapped(f"Added (n={sum(step.added.values())}):", [f"{reason}: {n}" for reason, n in step.added.items()])
        )
    if after_unknown:
        parts.append(_wrapped("Counted as recorded:", ["the steps above are not determinable"]))
    return "<br>".join(parts)


def funnel_figure(eligibility: Eligibility, title: str | None = None, trial: str = "") -> go.Figure:
    """The funnel of ``eligibility.steps``; the default title names the study and the n screened
    (or the n enrolled when there was no screening log)."""
    steps = eligibility.steps
    labels = [s.label for s in steps]
    if title is None:
        first = steps[0]
        said = f"{first.n} {first.label.lower()}" if first.n is not None else f"{first.label.lower()} {count(None)}"
        title = f"Eligibility funnel{', ' + trial if trial else ''}: {said}"
    trace = {
        "type": "funnel",
        "y": labels,
        "x": [s.n for s in steps],
        "textinfo": "value+percent initial",
        "textposition": "auto",
        "textfont": {"size": BASE_FONT_SIZE},
        "marker": {"color": BAR_COLOUR},
        "connector": {"fillcolor": "#DDE7F0"},
        "hovertemplate": "%{y}: %{x} (%{percentInitial:.0%} of first step)<extra></extra>",
    }
    notes = []
    for before, step in zip([None, *steps], steps):
        text = step_text(step, after_unknown=before is not None and before.n is None and step.n is not None)
        if text:
            notes.append(
                {
                    "x": FUNNEL_DOMAIN[1] + 0.02,
                    "xref": "paper",
                    "xanchor": "left",
                    "y": step.label,
                    "yref": "y",
                    "text": text,
                    "showarrow": False,
                    "align": "left",
                    "font": {"size": BASE_FONT_SIZE - 1},
                    "bgcolor": "white",
                    "bordercolor": "#888888",
                    "borderwidth": 1,
                    "borderpad": 4,
                }
            )
    layout = {
        "title": {"text": title},
        **({"annotations": notes} if notes else {}),
        "showlegend": False,
        "xaxes": {"xaxis": {"domain": FUNNEL_DOMAIN, "visible": False}},
        "yaxes": {"yaxis": {"automargin": True}},
    }
    return one_go_figure([trace], layout, height=max(520, 72 * len(steps) + 140))
