"""The static SVG copy of the figures (medpath.figures.svg): bars, categorical axes, text beside markers."""

from __future__ import annotations

import re

import plotly.graph_objects as go

from medpath.figures.svg import can_draw, figure_svg


def _rects(svg: str) -> list[tuple[float, float, float, float, str]]:
    found = re.findall(r'<rect x="([\d.-]+)" y="([\d.-]+)" width="([\d.]+)" height="([\d.]+)" fill="([^"]+)"/>', svg)
    return [(float(x), float(y), float(w), float(h), fill) for x, y, w, h, fill in found]


def _labels(svg: str) -> dict[str, tuple[float, float]]:
    """Text of each <tspan> -> (x, y)."""
    return {
        t: (float(x), float(y)) for x, y, t in re.findall(r'<tspan x="([\d.-]+)" y="([\d.-]+)">([^<]*)</tspan>', svg)
    }


def test_bars_on_a_categorical_axis_are_drawn_to_scale_in_the_categorys_order():
    fig = go.Figure(go.Bar(x=["B", "A", "C"], y=[2.0, 1.0, -1.0], marker={"color": "#007A5A"}, text=["+2", "+1", "−1"]))
    fig.update_layout(height=400, margin={"l": 70, "r": 30, "t": 80, "b": 60})
    fig.update_xaxes(categoryorder="array", categoryarray=["A", "B", "C"])
    fig.update_yaxes(range=[-2, 3])
    assert can_draw(fig)
    svg = figure_svg(fig, "bars")
    bars = [r for r in _rects(svg) if r[4] == "#007A5A"]
    assert len(bars) == 3
    # drawn in trace order B, A, C; placed by the category array A, B, C
    b, a, c = bars
    assert a[0] < b[0] < c[0]
    # heights in proportion to |value| (2 : 1 : 1), all from the zero line
    assert abs(b[3] - 2 * a[3]) < 0.5 and abs(c[3] - a[3]) < 0.5
    assert abs(a[1] + a[3] - c[1]) < 0.5  # A ends at 0 where C (negative) begins
    labels = _labels(svg)
    assert {"A", "B", "C", "+2", "+1", "−1"} <= set(labels)
    assert labels["+2"][1] < b[1] and labels["−1"][1] > c[1] + c[3]  # text outside the bar's end


def test_a_categorical_y_axis_puts_the_first_category_of_the_array_at_the_bottom():
    fig = go.Figure(
        go.Scatter(
            x=[0, 1, 4],
            y=["P1", "P2", "P3"],
            mode="markers+text",
            text=["Fever", None, "Pneumonia"],
            marker={"symbol": "line-ns-open", "size": 20, "color": "#9A9A9A"},
        )
    )
    fig.update_yaxes(type="category", categoryorder="array", categoryarray=["P3", "P2", "P1"])
    svg = figure_svg(fig, "timeline")
    labels = _labels(svg)
    assert labels["P3"][1] > labels["P2"][1] > labels["P1"][1]  # P3 first in the array: lowest on the page
    assert "Fever" in labels and "Pneumonia" in labels
    assert len(re.findall(r'<line x1="[\d.]+" y1="[\d.]+" x2="[\d.]+" y2="[\d.]+" stroke="#9A9A9A"', svg)) == 3


def test_a_long_tick_label_makes_room_for_the_y_title():
    fig = go.Figure(go.Bar(x=["a"], y=[0.0277]))
    fig.update_layout(margin={"l": 70})
    fig.update_yaxes(title="Change in spine BMD (g/cm²)", range=[-0.05, 0.05])
    svg = figure_svg(fig, "room")
    title_x = float(re.search(r'<text[^>]*transform="rotate\(-90 ([\d.]+)', svg).group(1))
    assert title_x >= 12  # inside the picture, left of the tick labels
    assert title_x < _labels(svg)["−0.04"][0] - 40  # the label is right-aligned at x; about 40 px wide


def test_horizontal_bars_and_other_traces_are_not_claimed():
    assert not can_draw(go.Figure(go.Bar(x=[1, 2], y=["a", "b"], orientation="h")))
    assert not can_draw(go.Figure(go.Pie(values=[1, 2])))


# --- legends, footers, titles and labels the PNG has -------------------------------------------------------------

import html  # noqa: E402
from types import SimpleNamespace  # noqa: E402

import pandas as pd  # noqa: E402
from test_trajectories import FIVE_PATIENTS  # noqa: E402

from medpath import __version__  # noqa: E402
from medpath.eligibility import Eligibility, FunnelStep  # noqa: E402
from medpath.export import stamped  # noqa: E402
from medpath.figures.funnel import funnel_figure  # noqa: E402
from medpath.figures.safety import timeline_figure  # noqa: E402
from medpath.figures.style import text_width  # noqa: E402
from medpath.figures.trajectory import MEDIAN_NAME, MISSED_LEGEND, spaghetti_figure  # noqa: E402
from medpath.protocol import default_protocol  # noqa: E402

#: Advance widths of Arial (Helvetica's metrics, Adobe's AFM files; 1/1000 em), bold, of the characters used below.
ARIAL_BOLD = {
    **dict.fromkeys("0123", 556),
    **dict.fromkeys("CNU", 722),
    **dict.fromkeys(" /il", 278),
    **dict.fromkeys("-()t", 333),
    **dict.fromkeys("aesy", 556),
    **dict.fromkeys("dnopu", 611),
    **{"M": 833, "S": 667, "O": 778, "m": 889, "r": 389},
}
STUDY = SimpleNamespace(protocol=default_protocol(), sources=(SimpleNamespace(name="visits.xlsx"),), synthetic=True)


def _arial_bold(text: str, size: float) -> float:
    return size * sum(ARIAL_BOLD[c] for c in text) / 1000


def test_estimated_text_widths_are_never_narrower_than_arial_bold():
    for text in ("UCMSC-001", "MSC-23", "Osteoporosis", "No autoimmune / osteoporosis-related disease"):
        assert text_width(text, 13) >= _arial_bold(text, 13), text


def test_the_timeline_svg_draws_every_grades_legend_entry():
    grades = [1, 2, 3, 4, 5, None]
    events = pd.DataFrame(
        {
            "patient_id": "P1",
            "onset_month": [1.0, 2.0, 3.0, 4.0, 5.0, 6.0],
            "grade": pd.array(grades, dtype="Int64"),
            "serious": [False, False, True, False, False, False],
            "term": ["Fever", "Rash", "Pneumonia", "Sepsis", "Death", "Headache"],
            "relatedness": "unrelated",
        }
    )
    visits = pd.DataFrame({"patient_id": ["P1", "P1"], "visit": ["baseline", "month 6"], "month": [0.0, 6.0]})
    fig = timeline_figure(events, visits, ["P1"])
    names = ["visit", "grade 1 (mild)", "grade 2 (moderate)", "grade 3 (severe)", "grade 4 (life-threatening)",
             "grade 5 (death)", "not graded"]  # fmt: skip
    assert [t.name for t in fig.data] == names
    labels = _labels(figure_svg(fig, "timeline"))
    for name in names:
        assert labels[name][1] < fig.layout.margin.t  # above the plot, as plotly draws the legend


def test_the_trajectory_svg_draws_the_median_and_dotted_keys():
    fig = spaghetti_figure(FIVE_PATIENTS, "bmd_tscore", protocol=default_protocol())
    svg = figure_svg(fig, "trajectories")
    labels = _labels(svg)
    assert labels[MEDIAN_NAME][1] < fig.layout.margin.t and labels[MISSED_LEGEND][1] < fig.layout.margin.t
    # each key left of its name: the median's wide grey line, the dotted line
    assert re.search(r'<polyline points="[\d.]+,([\d.]+) [\d.]+,\1" fill="none" stroke="#767676" stroke-width="7"', svg)
    assert re.search(r'<polyline points="[\d.]+,([\d.]+) [\d.]+,\1" [^>]*stroke-dasharray="2 4"/>', svg)
    without = spaghetti_figure(
        FIVE_PATIENTS, "vas", patients=["P01"], protocol=default_protocol()
    )  # no missed visit: the median's key alone
    assert MEDIAN_NAME in _labels(figure_svg(without, "one")) and MISSED_LEGEND not in figure_svg(without, "one")


def test_every_svg_carries_the_footer_with_the_medpath_version():
    fig = stamped(spaghetti_figure(FIVE_PATIENTS, "vas", protocol=default_protocol()), STUDY)
    [footer] = [a for a in fig.layout.annotations if a.name == "provenance"]
    assert footer.text.endswith(f" · SYNTHETIC DATA — not real patients · MedPath {__version__}")
    text = html.unescape(figure_svg(fig, "vas"))
    for part in ("NCT04501354 · visits.xlsx", "SYNTHETIC DATA — not real patients", f"MedPath {__version__}"):
        assert part in text


def test_the_static_funnel_shows_its_longest_label_whole():
    longest = "No autoimmune / osteoporosis-related disease"
    steps = [FunnelStep("screened", "Screened", 30, {}, 0), FunnelStep("disease", longest, 27, {"autoimmune": 3}, 0)]
    svg = figure_svg(funnel_figure(Eligibility(steps, pd.DataFrame(), [], [])), "funnel")
    x, _ = _labels(svg)[longest]  # right-aligned at x
    assert x - _arial_bold(longest, 13) >= 0
