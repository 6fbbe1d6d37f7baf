"""The eligibility funnel figure: stages, values, CONSORT exclusion boxes, legibility."""

from __future__ import annotations

import pandas as pd

from medpath.eligibility import Eligibility, FunnelStep, evaluate
from medpath.figures.funnel import LINE_CHARS, exclusion_text, funnel_figure
from medpath.protocol import default_protocol

STEPS = [
    FunnelStep("screened", "Screened", 10, {}, 0),
    FunnelStep("age_sex", "Age: men > 50 y, women > 40 y", 3, {"male ≤ 50 y": 4, "female ≤ 40 y": 3}, 0),
    FunnelStep("bmd_confirmed", "Osteoporosis on BMD", 1, {"T-score > −2.5": 1}, 1),
    FunnelStep("consented", "Informed consent signed", 1, {}, 0),
]
ELIGIBILITY = Eligibility(STEPS, pd.DataFrame(), [], [])


def test_one_stage_per_step_with_step_counts():
    fig = funnel_figure(ELIGIBILITY)
    [trace] = fig.data
    assert trace.type == "funnel"
    assert list(trace.y) == [s.label for s in STEPS]
    assert list(trace.x) == [10, 3, 1, 1]
    assert trace.textinfo == "value+percent initial"


def test_exclusion_boxes_list_reasons_with_counts():
    fig = funnel_figure(ELIGIBILITY)
    boxes = {a.y: a.text for a in fig.layout.annotations}
    assert boxes == {
        # wrapped between reasons at LINE_CHARS = 44 characters
        "Age: men > 50 y, women > 40 y": "Excluded (n=7): male ≤ 50 y: 4;<br>female ≤ 40 y: 3",
        "Osteoporosis on BMD": "Excluded (n=2): T-score > −2.5: 1;<br>unknown (missing data): 1",
    }
    assert all(a.xref == "paper" and a.x > fig.layout.xaxis.domain[1] for a in fig.layout.annotations)


def test_long_reason_lists_wrap_between_reasons():
    reasons = {f"{test} positive": 1 for test in ("HBsAg", "HIV", "CMV", "rubella", "toxoplasma")}
    text = exclusion_text(FunnelStep("no_active_infection", "No active infection", 0, reasons, 2))
    lines = text.split(";<br>")
    assert len(lines) > 1 and all(len(line) <= LINE_CHARS for line in lines)
    assert text.replace(";<br>", "; ") == (
        "Excluded (n=7): HBsAg positive: 1; HIV positive: 1; CMV positive: 1; rubella positive: 1; "
        "toxoplasma positive: 1; unknown (missing data): 2"
    )


def test_title_and_legibility():
    fig = funnel_figure(ELIGIBILITY, trial=default_protocol().id)
    assert "NCT04501354" in fig.layout.title.text and "10 screened" in fig.layout.title.text
    assert fig.layout.paper_bgcolor == "white" and fig.layout.plot_bgcolor == "white"
    sizes = [fig.layout.font.size, fig.layout.title.font.size, fig.data[0].textfont.size]
    sizes += [a.font.size for a in fig.layout.annotations]
    assert min(sizes) >= 12
    assert funnel_figure(ELIGIBILITY, title="My funnel").layout.title.text == "My funnel"


def test_visits_only_funnel_figure():
    seen = pd.DataFrame(
        {
            "patient_id": ["P1", "P1", "P2"],
            "visit": ["baseline", "month 6", "baseline"],
            "month": [0.0, 6.0, 0.0],
            "bmd_tscore": [-3.0, -2.7, -3.2],
            "vas": [7.0, 4.0, 6.0],
        }
    )
    fig = funnel_figure(evaluate(None, seen, default_protocol()))
    assert list(fig.data[0].x) == [2, 1]
    assert "2 enrolled" in fig.layout.title.text
    assert [a.text for a in fig.layout.annotations] == ["Excluded (n=1):<br>no month-6 primary outcome: 1"]
