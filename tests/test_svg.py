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
