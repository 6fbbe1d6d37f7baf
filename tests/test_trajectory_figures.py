"""Trajectory figures, checked on their data and layout (not pixels)."""

import math

import numpy as np
import pytest
from test_trajectories import FIVE_PATIENTS

from medpath.figures.style import (
    BAND_BORDER_COLOUR,
    FOOTER_MARGIN,
    MEDIAN_COLOUR,
    PALETTE,
    contrast_ratio,
    patient_colours,
    patient_symbols,
)
from medpath.figures.trajectory import (
    BAND_FILLS,
    MISSED_LEGEND,
    MISSED_SUFFIX,
    before_after_figure,
    small_multiples_figure,
    spaghetti_figure,
)
from medpath.outcomes import compare_visits
from medpath.protocol import default_protocol

PROTOCOL = default_protocol()
PATIENTS = ["P01", "P02", "P03", "P04", "P05"]


def _traces(fig) -> dict:
    return {trace.name: trace for trace in fig.data}


def _font_sizes(node, inside_font: bool = False):
    """Every font size set anywhere in a figure's JSON."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "size" and inside_font:
                yield value
            else:
                yield from _font_sizes(value, inside_font=key.endswith("font"))
    elif isinstance(node, list):
        for item in node:
            yield from _font_sizes(item, inside_font)


def _is_missing(value) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def _all_figures():
    return [
        spaghetti_figure(FIVE_PATIENTS, "bmd_tscore", protocol=PROTOCOL),
        spaghetti_figure(FIVE_PATIENTS, "vas", mode="change", protocol=PROTOCOL),
        small_multiples_figure(FIVE_PATIENTS, protocol=PROTOCOL),
        before_after_figure(compare_visits(FIVE_PATIENTS, "vas", protocol=PROTOCOL), all_patients=PATIENTS),
    ]


#: The sideways step of five patients in the spaghetti plot (months): 0.1 apart, centred on the visit.
OFFSETS = dict(zip(PATIENTS, [-0.2, -0.1, 0.0, 0.1, 0.2]))


def test_spaghetti_one_trace_per_patient_median_beneath_and_missed_visits_bridged():
    fig = spaghetti_figure(FIVE_PATIENTS, "bmd_tscore", protocol=PROTOCOL)
    # the median first (drawn beneath), a patient trace each, then the dotted bridges of P02 (a month-3 row
    # without T-score) and P05 (no month-3 row), and the legend entry explaining the dotted line
    assert [t.name for t in fig.data] == [
        "Median",
        *PATIENTS,
        "P02 · missed visit",
        "P05 · missed visit",
        MISSED_LEGEND,
    ]
    median = fig.data[0]
    assert median.line.color == MEDIAN_COLOUR and median.line.width > 2 * fig.data[1].line.width
    assert list(median.x) == [0.0, 3.0, 6.0]
    # month 0: median of -2.8, -2.0, -1.0, -3.1, -2.6; month 3: of -2.6, -1.2; month 6: of -2.4, -0.9, -1.1, -2.5
    assert list(median.y) == pytest.approx([-2.6, -1.9, -1.75])


def test_spaghetti_values_and_gaps():
    traces = _traces(spaghetti_figure(FIVE_PATIENTS, "bmd_tscore", protocol=PROTOCOL))
    assert list(traces["P01"].x) == pytest.approx([-0.2, 2.8, 5.8]) and list(traces["P01"].y) == [-2.8, -2.6, -2.4]
    for patient in ("P02", "P05"):  # month-3 value missing / month-3 row absent
        trace = traces[patient]
        assert trace.connectgaps is False
        assert list(trace.x) == pytest.approx([m + OFFSETS[patient] for m in (0.0, 3.0, 6.0)])
        assert _is_missing(trace.y[1])
        assert not _is_missing(trace.y[0]) and not _is_missing(trace.y[2])
    assert all(_is_missing(y) for y in traces["P04"].y[1:])
    assert "P04 · missed visit" not in traces  # nothing after baseline: no bridge


def test_missed_visit_is_a_dotted_bridge_with_a_hollow_marker_where_the_visit_was_due():
    bridge = _traces(spaghetti_figure(FIVE_PATIENTS, "bmd_tscore", protocol=PROTOCOL))["P02 · missed visit"]
    assert bridge.line.dash == "dot" and bridge.line.color == patient_colours(PATIENTS)["P02"]
    # from baseline (-2.0) to month 6 (-0.9), the missed month 3 halfway in time: -2.0 + 0.5 * 1.1
    assert list(bridge.x[:3]) == pytest.approx([-0.1, 2.9, 5.9]) and _is_missing(bridge.x[3])
    assert list(bridge.y[:3]) == pytest.approx([-2.0, -1.45, -0.9])
    assert list(bridge.marker.symbol[:3]) == ["circle", "circle-open", "circle"]
    assert list(bridge.marker.size[:3]) == [0, 10, 0]  # only the missed visit is marked
    assert "missed visit: month 3 (no value" in bridge.hovertext[1]
    assert bridge.showlegend is False


def test_each_patient_has_a_marker_shape_and_a_label_at_the_line_end():
    fig = spaghetti_figure(FIVE_PATIENTS, "vas", protocol=PROTOCOL)
    traces = _traces(fig)
    symbols = [traces[p].marker.symbol for p in PATIENTS]
    assert len(set(symbols)) == 5 and symbols == [patient_symbols(PATIENTS)[p] for p in PATIENTS]
    labels = {a.name.removeprefix("label "): a for a in fig.layout.annotations if (a.name or "").startswith("label")}
    assert set(labels) == set(PATIENTS)
    # at its last value, in the column right of every patient's point at that visit (nudged up to +0.2 months)
    assert labels["P01"].x == pytest.approx(6.0 + 0.2) and labels["P01"].y == 5.0
    assert labels["P04"].x == pytest.approx(0.0 + 0.2) and labels["P04"].y == 6.0  # seen only at baseline
    assert labels["P01"].font.color == patient_colours(PATIENTS)["P01"]
    assert fig.layout.showlegend is not False and all(traces[p].showlegend is False for p in PATIENTS)


def _label_height(fig) -> float:
    """A line-end label's height (1.25 lines of its font) in y units: the plot area's pixels are the figure's height
    less its margins and the provenance footer written under it."""
    layout = fig.layout
    plot = layout.height - layout.margin.t - layout.margin.b - FOOTER_MARGIN
    size = next(a.font.size for a in layout.annotations if (a.name or "").startswith("label"))
    low, high = layout.yaxis.range
    return 1.25 * size / plot * (high - low)


def _label_ys(fig, patients) -> list[float]:
    return sorted(a.y for a in fig.layout.annotations if (a.name or "").removeprefix("label ") in patients)


def test_labels_of_tied_line_ends_are_pushed_apart():
    """P01 and P03 both end on VAS 6, P02 on 6 too: three labels at one height would overprint. They are nudged
    at least a label's height apart, centred on the tied value."""
    visits = FIVE_PATIENTS.copy()
    visits.loc[(visits["month"] == 6.0) & visits["patient_id"].isin(["P01", "P02", "P03"]), "vas"] = 6.0
    fig = spaghetti_figure(visits, "vas", protocol=PROTOCOL)
    ys = _label_ys(fig, ("P01", "P02", "P03"))
    assert min(np.diff(ys)) >= _label_height(fig) > 0.3  # 0.3 VAS points: about 9 pixels
    assert np.mean(ys) == pytest.approx(6.0)
    assert _label_ys(fig, ("P05",))[0] >= 0  # P05 ends on 0, the axis's bottom: its label stays on the axis


def test_tied_labels_of_many_patients_stay_apart_and_the_figure_grows_to_hold_them():
    """30 patients ending on VAS 4 or 5 at month 6 (15 each, 1 point apart): one column of 30 labels, each a label's
    height from the next, inside the axis: the figure is taller than the house 480 pixels to hold them."""
    visits = _many(30)
    for fig in (
        before_after_figure(compare_visits(visits, "vas", protocol=PROTOCOL)),
        spaghetti_figure(visits, "vas", protocol=PROTOCOL),
    ):
        ys = [a.y for a in fig.layout.annotations if (a.name or "").startswith("label")]
        assert len(ys) == 30 and min(np.diff(sorted(ys))) >= _label_height(fig)
        low, high = fig.layout.yaxis.range
        assert low <= min(ys) and max(ys) <= high and fig.layout.height > 480


def test_spaghetti_hover_has_exact_value_visit_and_month():
    trace = _traces(spaghetti_figure(FIVE_PATIENTS, "bmd_tscore", protocol=PROTOCOL))["P01"]
    assert "month 3" in trace.hovertext[1] and "(day" not in trace.hovertext[1]
    assert "-2.6" in trace.hovertext[1]
    assert "%{hovertext}" in trace.hovertemplate


def test_spaghetti_change_mode():
    fig = spaghetti_figure(FIVE_PATIENTS, "bmd_tscore", mode="change", protocol=PROTOCOL)
    assert list(_traces(fig)["P02"].y[::2]) == pytest.approx([0.0, 1.1])
    assert "Change from baseline (SD)" in fig.layout.yaxis.title.text
    zero_lines = [s for s in fig.layout.shapes if s.type == "line" and s.y0 == 0 and s.y1 == 0]
    assert len(zero_lines) == 1
    assert not [s for s in fig.layout.shapes if s.type == "rect"]  # no WHO bands on changes
    assert fig.layout.title.text.startswith("Change in Spine BMD T-score")


def test_spaghetti_who_bands_behind_lines():
    fig = spaghetti_figure(FIVE_PATIENTS, "bmd_tscore", protocol=PROTOCOL)
    bands = {s.name: s for s in fig.layout.shapes if s.type == "rect"}
    assert set(bands) == {"normal", "osteopenia", "osteoporosis"}
    assert all(s.layer == "below" for s in bands.values())
    assert bands["osteoporosis"].y1 == -2.5
    assert (bands["osteopenia"].y0, bands["osteopenia"].y1) == (-2.5, -1.0)
    assert bands["normal"].y0 == -1.0
    low, high = fig.layout.yaxis.range
    assert bands["osteoporosis"].y0 == low <= -3.1 and bands["normal"].y1 == high >= -0.9
    labels = " ".join(a.text for a in fig.layout.annotations)
    for name in ("Normal", "Osteopenia", "Osteoporosis", "−2.5", "−1"):
        assert name in labels


def test_spaghetti_vas_axis_and_direction():
    fig = spaghetti_figure(FIVE_PATIENTS, "vas", protocol=PROTOCOL)
    assert list(fig.layout.yaxis.range) == [0, 10]
    assert "lower is better" in fig.layout.yaxis.title.text
    assert not fig.layout.shapes


def test_spaghetti_axes_and_title():
    fig = spaghetti_figure(FIVE_PATIENTS, "bmd_tscore", protocol=PROTOCOL)
    assert fig.layout.xaxis.title.text == "Months since baseline"
    assert list(fig.layout.xaxis.tickvals) == [0.0, 3.0, 6.0]
    assert fig.layout.title.text == "Spine BMD T-score by patient<br><sup>n = 5, baseline to month 6</sup>"
    assert (
        "n = 2" in spaghetti_figure(FIVE_PATIENTS, "vas", patients=["P01", "P04"], protocol=PROTOCOL).layout.title.text
    )


def test_spaghetti_rejects_unknown_patient_and_mode():
    with pytest.raises(ValueError, match="P99"):
        spaghetti_figure(FIVE_PATIENTS, "vas", patients=["P99"], protocol=PROTOCOL)
    with pytest.raises(ValueError, match="mode"):
        spaghetti_figure(FIVE_PATIENTS, "vas", mode="percent", protocol=PROTOCOL)


def test_patient_keeps_colour_on_every_figure():
    expected = patient_colours(PATIENTS)
    subset = _traces(spaghetti_figure(FIVE_PATIENTS, "vas", patients=["P03", "P05"], protocol=PROTOCOL))
    assert [subset[p].line.color for p in ("P03", "P05")] == [expected["P03"], expected["P05"]]
    for fig in _all_figures():
        for trace in fig.data:
            if trace.name in expected:
                assert trace.line.color == expected[trace.name] == trace.marker.color


def test_colours_argument_overrides():
    fig = spaghetti_figure(FIVE_PATIENTS, "vas", colours={"P01": "#123456"}, protocol=PROTOCOL)
    traces = _traces(fig)
    assert traces["P01"].line.color == "#123456"
    assert traces["P02"].line.color == patient_colours(PATIENTS)["P02"]


@pytest.mark.parametrize("fig", _all_figures(), ids=["spaghetti", "change", "small-multiples", "before-after"])
def test_fonts_are_legible_and_background_white(fig):
    sizes = list(_font_sizes(fig.to_plotly_json()))
    assert sizes and min(sizes) >= 12
    assert fig.layout.font.size >= 12
    assert fig.layout.paper_bgcolor == fig.layout.plot_bgcolor == "white"


def _patient_traces(fig) -> list:
    return [t for t in fig.data if not t.name.endswith(MISSED_SUFFIX)]


def test_small_multiples_one_panel_per_patient():
    fig = small_multiples_figure(FIVE_PATIENTS, protocol=PROTOCOL)
    assert len(_patient_traces(fig)) == 2 * len(PATIENTS)
    titles = [a.text for a in fig.layout.annotations]
    assert titles == PATIENTS
    assert "n = 5" in fig.layout.title.text
    tscore, vas = fig.data[0], fig.data[1]  # P01
    assert (tscore.xaxis, tscore.yaxis, vas.xaxis, vas.yaxis) == ("x", "y", "x6", "y6")
    assert list(tscore.y) == [-2.8, -2.6, -2.4] and list(vas.y) == [8.0, 6.0, 5.0]
    for axis in ("yaxis6", "yaxis7", "yaxis8", "yaxis9", "yaxis10"):
        assert list(fig.layout[axis].range) == [0, 10]
    assert fig.layout.yaxis.range == fig.layout.yaxis5.range


def test_small_multiples_bridge_a_missed_visit_with_a_dotted_line_in_its_panel():
    """The sample's MSC-23 missed month 3: in its VAS panel (row 2, column 5: axes x10/y10) the solid line has a
    gap at month 3 and a dotted line of its colour joins month 1 (7) to month 6 (5), hollow marker at month 3."""
    from medpath.study import load_sample_study

    study = load_sample_study()
    fig = small_multiples_figure(study.visits, protocol=study.protocol)
    colour = patient_colours(study.patient_ids)["MSC-23"]
    line = next(t for t in fig.data if t.name == "MSC-23" and t.xaxis == "x10")
    assert list(line.x) == [0.0, 1.0, 3.0, 6.0] and _is_missing(line.y[2]) and line.connectgaps is False
    assert [line.y[i] for i in (0, 1, 3)] == [7.0, 7.0, 5.0]
    bridges = {t.xaxis: t for t in fig.data if t.name == "MSC-23" + MISSED_SUFFIX}
    assert set(bridges) == {"x5", "x10"}  # its T-score panel (month 3 missed too) and its VAS panel
    vas = bridges["x10"]
    assert (vas.yaxis, vas.line.dash, vas.line.color) == ("y10", "dot", colour)
    # month 1 (7) to month 6 (5); month 3 lies 2/5 of the way: 7 - 0.4 * 2 = 6.2
    assert list(vas.x[:3]) == [1.0, 3.0, 6.0] and _is_missing(vas.x[3])
    assert list(vas.y[:3]) == pytest.approx([7.0, 6.2, 5.0])
    assert list(vas.marker.symbol[:3]) == ["circle", "circle-open", "circle"] and list(vas.marker.size[:3]) == [
        0,
        10,
        0,
    ]
    assert "missed visit: month 3 (no value" in vas.hovertext[1]
    assert [t.name for t in fig.data].count("MSC-23" + MISSED_SUFFIX) == 2 and vas.showlegend is False
    assert fig.layout.title.text.endswith(f"<br><sup>{MISSED_LEGEND}</sup>")  # the caption explains the dots
    # a patient who missed nothing has no bridge, and without any missed visit there is no caption
    assert not [t for t in fig.data if t.name == "MSC-01" + MISSED_SUFFIX]
    complete = small_multiples_figure(study.visits, patients=["MSC-01", "MSC-04"], protocol=study.protocol)
    assert not [t for t in complete.data if t.name.endswith(MISSED_SUFFIX)]
    assert MISSED_LEGEND not in complete.layout.title.text


def test_small_multiples_wraps_and_filters():
    fig = small_multiples_figure(FIVE_PATIENTS, patients=["P02", "P04"], protocol=PROTOCOL)
    assert [a.text for a in fig.layout.annotations] == ["P02", "P04"]
    assert {t.name for t in _patient_traces(fig)} == {"P02", "P04"}
    assert [t.name for t in fig.data if t not in _patient_traces(fig)] == ["P02 · missed visit"]


def test_before_after_pairs_only():
    fig = before_after_figure(compare_visits(FIVE_PATIENTS, "bmd_tscore", protocol=PROTOCOL))
    assert [t.name for t in fig.data] == ["P01", "P02", "P03", "P05"]  # P04 has no month 6
    traces = _traces(fig)
    # four patients dodged by 0.03 around x = 0 and x = 1: P02 is second, at -0.015
    assert list(traces["P02"].x) == pytest.approx([-0.015, 0.985])
    assert [round(t.x[0], 3) for t in fig.data] == [-0.045, -0.015, 0.015, 0.045]
    assert list(traces["P02"].y) == [-2.0, -0.9]
    assert fig.layout.title.text == "Spine BMD T-score: baseline and month 6 — n = 4 pairs"
    assert list(fig.layout.xaxis.tickvals) == [0, 1] and list(fig.layout.xaxis.ticktext) == ["Baseline", "Month 6"]


def test_before_after_vas_axis_and_other_month():
    fig = before_after_figure(compare_visits(FIVE_PATIENTS, "vas", followup_month=3.0, protocol=PROTOCOL))
    assert [t.name for t in fig.data] == ["P01", "P02", "P03"]
    assert list(fig.data[0].x) == pytest.approx([-0.03, 0.97])
    assert list(fig.layout.xaxis.ticktext) == ["Baseline", "Month 3"]
    assert list(fig.layout.yaxis.range) == [0, 10]
    assert "n = 3 pairs" in fig.layout.title.text


def test_patient_ids_are_text_in_legends_hovers_and_panel_titles_and_hover_gives_the_day():
    visits = FIVE_PATIENTS.assign(day=FIVE_PATIENTS["month"] * 30 + 1)
    hostile = '<a href="https://evil.example">P01</a>'
    visits["patient_id"] = visits["patient_id"].replace("P01", hostile)
    fig = spaghetti_figure(visits, "vas", protocol=PROTOCOL)
    trace = next(t for t in fig.data if "evil" in t.name)
    assert trace.name == '&lt;a href="https://evil.example"&gt;P01&lt;/a&gt;'  # plotly does not decode &quot;
    assert "<a " not in " ".join(trace.hovertext) and "day 91" in " ".join(trace.hovertext)
    titles = [a.text for a in small_multiples_figure(visits, protocol=PROTOCOL).layout.annotations]
    assert not any("<a " in t for t in titles)
    assert not any("<a " in a.text for a in fig.layout.annotations)  # the line-end labels too


# --- many patients: bounded figures ----------------------------------------------------------------

from test_trajectories import visits_table  # noqa: E402

from medpath.figures.trajectory import MAX_PATIENT_TRACES, PATIENTS_PER_PAGE, small_multiple_pages  # noqa: E402


def _many(n: int):
    """n patients P0000.. with baseline, month 3 and month 6; every third misses month 3's T-score."""
    rows = []
    for i in range(n):
        pid = f"P{i:04d}"
        rows += [
            (pid, "baseline", -3.0 + i / n, 8.0),
            (pid, "month 3", math.nan if i % 3 == 0 else -2.9, 6.0),
            (pid, "month 6", -2.5 + i / n, 4.0 + i % 2),
        ]
    return visits_table(rows)


def test_small_multiples_of_more_than_thirty_patients_are_paged():
    """75 patients: pages of 30, 30 and 15, in order of id, each title saying which patients of how many."""
    visits = _many(75)
    assert PATIENTS_PER_PAGE == 30
    assert [small_multiple_pages(n) for n in (0, 1, 30, 31, 60, 75)] == [1, 1, 1, 2, 2, 3]
    second = small_multiples_figure(visits, page=2, protocol=PROTOCOL)
    shown = [f"P{i:04d}" for i in range(30, 60)]
    assert [a.text for a in second.layout.annotations] == shown
    assert {t.name for t in _patient_traces(second)} == set(shown)
    # every third patient misses month 3's T-score: a dotted bridge in its T-score panel (row 1 of its block)
    assert [t.name.removesuffix(MISSED_SUFFIX) for t in second.data if t.name.endswith(MISSED_SUFFIX)] == shown[::3]
    assert "patients 31–60 of 75 (by id; page 2 of 3)" in second.layout.title.text.replace("<br>", " ")
    last = small_multiples_figure(visits, page=3, protocol=PROTOCOL)
    assert [a.text for a in last.layout.annotations] == [f"P{i:04d}" for i in range(60, 75)]
    assert len(small_multiples_figure(visits, protocol=PROTOCOL).layout.annotations) == 30  # page 1 by default
    with pytest.raises(ValueError, match="page must be 1 to 3, not 4"):
        small_multiples_figure(visits, page=4, protocol=PROTOCOL)
    exact = small_multiples_figure(visits, patients=[f"P{i:04d}" for i in range(30)], protocol=PROTOCOL)
    assert "n = 30" in exact.layout.title.text and "page" not in exact.layout.title.text


def test_spaghetti_of_many_patients_is_one_trace_with_gaps_between_patients():
    n = MAX_PATIENT_TRACES + 1
    fig = spaghetti_figure(_many(n), "bmd_tscore", protocol=PROTOCOL)
    assert [t.name for t in fig.data] == ["Median", f"Patients (n = {n}, one line each)"]
    trace = fig.data[1]
    assert len(trace.x) == len(trace.y) == 3 * n + (n - 1)  # three visits each, a gap between patients
    assert list(trace.x[:3]) == [0.0, 3.0, 6.0] and _is_missing(trace.x[3]) and trace.x[4] == 0.0
    assert _is_missing(trace.y[1]) and trace.y[0] == -3.0 and trace.y[2] == -2.5  # P0000's month-3 gap
    assert _is_missing(trace.y[3])  # between P0000 and P0001
    assert list(trace.customdata[4]) == ["P0001", "baseline"]
    assert trace.connectgaps is False and "%{customdata[0]}" in trace.hovertemplate
    median = fig.data[0]
    assert list(median.x) == [0.0, 3.0, 6.0]
    assert median.y[2] == pytest.approx(np.median([-2.5 + i / n for i in range(n)]))
    # up to the limit: one trace per patient, as before
    assert len(spaghetti_figure(_many(MAX_PATIENT_TRACES), "vas", protocol=PROTOCOL).data) == MAX_PATIENT_TRACES + 1


def test_patient_ids_stay_text_in_the_many_patients_trace():
    visits = _many(MAX_PATIENT_TRACES + 1)
    visits["patient_id"] = visits["patient_id"].replace("P0000", "<b>P0000</b>")
    trace = spaghetti_figure(visits, "vas", protocol=PROTOCOL).data[1]
    assert "&lt;b&gt;P0000&lt;/b&gt;" in {row[0] for row in trace.customdata}
    assert not any("<b>" in row[0] for row in trace.customdata)


def test_before_after_of_many_pairs_is_one_trace_within_the_dodge_band():
    n = MAX_PATIENT_TRACES + 10
    fig = before_after_figure(compare_visits(_many(n), "vas", protocol=PROTOCOL))
    [trace] = fig.data
    assert fig.layout.title.text == f"VAS pain: baseline and month 6 — n = {n} pairs"
    x = np.array(trace.x, dtype=float)
    baseline, followup = x[0::3], x[1::3]  # pairs separated by gaps
    assert np.isnan(x[2::3]).all()
    assert baseline.min() == pytest.approx(-0.2) and baseline.max() == pytest.approx(0.2)
    assert followup - baseline == pytest.approx(np.ones(n))
    assert list(trace.y[:2]) == [8.0, 4.0]


# --- accessibility: contrast (WCAG 2.1, 1.4.11 non-text contrast: 3:1) ---------------------------------------


def test_contrast_ratio_by_hand():
    assert contrast_ratio("#000000", "#FFFFFF") == pytest.approx(21.0)
    assert contrast_ratio("#FFFFFF", "#FFFFFF") == pytest.approx(1.0)
    # #767676: channel 118/255 = 0.4627 -> ((0.4627 + 0.055) / 1.055) ** 2.4 = 0.1812; (1.05) / (0.2312) = 4.54
    assert contrast_ratio("#767676", "#FFFFFF") == pytest.approx(4.54, abs=0.01)
    # the old Okabe-Ito orange on white: the 1.8-2.3:1 the issue measured
    assert contrast_ratio("#E69F00", "#FFFFFF") == pytest.approx(2.25, abs=0.01)


@pytest.mark.parametrize("colour", PALETTE)
def test_patient_colours_reach_3_to_1_on_white_and_every_who_band(colour):
    for background in ("#FFFFFF", *BAND_FILLS):
        assert contrast_ratio(colour, background) >= 3.0, (colour, background)


def test_who_band_borders_are_dashed_at_the_two_boundaries_and_reach_3_to_1():
    fig = spaghetti_figure(FIVE_PATIENTS, "bmd_tscore", protocol=PROTOCOL)
    borders = [s for s in fig.layout.shapes if s.type == "line"]
    assert sorted(s.y0 for s in borders) == [-2.5, -1.0]
    assert all(s.line.dash == "dash" and s.line.color == BAND_BORDER_COLOUR for s in borders)
    for fill in BAND_FILLS:
        assert contrast_ratio(BAND_BORDER_COLOUR, fill) >= 3.0


def test_figures_drawn_from_the_analysis_series_are_the_same_figures(sample_study):
    """The pages and the report pass the series the analysis computed once; the figures must not change."""
    from medpath.analysis import analyse

    analysis = analyse(sample_study)
    visits = sample_study.visits
    for key in ("bmd_tscore", "vas"):
        own = spaghetti_figure(visits, key, mode="change", protocol=PROTOCOL)
        given = spaghetti_figure(visits, key, mode="change", series=analysis.series[key], protocol=PROTOCOL)
        assert given.to_json() == own.to_json()
    assert (
        small_multiples_figure(visits, series=analysis.series, protocol=PROTOCOL).to_json()
        == small_multiples_figure(visits, protocol=PROTOCOL).to_json()
    )


# --- small multiples of 1 to 30 patients: a layout that holds (pixels, as the export draws it) ----------------------

from chart_gallery import STUDY, synthetic_visits  # noqa: E402

from medpath.export import chart_config  # noqa: E402
from medpath.figures.style import TITLE_FONT_SIZE, TITLE_WIDTH, text_width  # noqa: E402

#: Below a panel with tick labels: the labels and the "Month" title (1.3 lines of each font, plotly's pads).
BELOW_PANEL = 1.3 * 14 + 1.3 * 15 + 12


def _plot_pixels(fig) -> float:
    """The plot area's height in pixels at the height the figure exports at, under the provenance footer."""
    height = chart_config(STUDY, "chart", figure=fig)["toImageButtonOptions"]["height"]
    assert height == fig.layout.height  # the PNG is drawn at the figure's own height, not squeezed into 450
    return height - fig.layout.margin.t - fig.layout.margin.b - FOOTER_MARGIN


def _axes(fig, letter: str) -> dict[str, dict]:
    return {k: v for k, v in fig.layout.to_plotly_json().items() if k.startswith(f"{letter}axis")}


@pytest.mark.parametrize("n", [1, 5, 9, 30])
def test_small_multiples_titles_stay_apart_from_one_to_thirty_patients(n):
    """Nine patients (a two-site export) printed the two y titles of a column on top of each other and row 2's
    "Month" over row 3's patient ids. Measured in the plot's pixels: the y titles of one column (a line of the font
    per 0.62 em of its longest line) do not meet; a patient id (1.3 lines of its font above its panel) stays clear of
    the tick labels and "Month" title under the panel above it."""
    fig = small_multiples_figure(synthetic_visits(n), protocol=PROTOCOL)
    plot = _plot_pixels(fig)
    ys, xs = _axes(fig, "y"), _axes(fig, "x")
    titled = sorted(
        (sum(a["domain"]) / 2 * plot, max(len(line) for line in a["title"]["text"].split("<br>")) * 0.62 * 15)
        for a in ys.values()
        if a.get("title", {}).get("text")
    )
    assert len(titled) == 2 * math.ceil(n / 5)  # the first column: T-score and VAS pain in every block
    for (low_centre, low_length), (high_centre, high_length) in zip(titled, titled[1:]):
        assert high_centre - high_length / 2 > low_centre + low_length / 2
    panels = [(xs["xaxis" + name[5:]], y) for name, y in ys.items()]  # (x axis, y axis) of each panel
    titles = [a for a in fig.layout.annotations if a.yanchor == "bottom"]
    assert len(titles) == n
    for title in titles:
        above = [
            (y["domain"][0], x)
            for x, y in panels
            if x["domain"][0] < title.x < x["domain"][1] and y["domain"][0] > title.y
        ]
        if above:  # the panel right above, the last of its block: its tick labels and "Month" title are under it
            bottom, x = min(above, key=lambda panel: panel[0])
            assert x["title"]["text"] == "Month" and x.get("showticklabels") is not False
            assert (bottom - title.y) * plot >= BELOW_PANEL + 1.3 * title.font.size


@pytest.mark.parametrize("n", [1, 5, 9, 30])
def test_small_multiples_title_is_whole_and_has_room(n):
    """The title was cut ("VAS pai…") in the PNG, SVG and report: it is wrapped to the export width, every word of
    it in the layout, and the top margin holds its lines and the caption."""
    fig = small_multiples_figure(synthetic_visits(n), protocol=PROTOCOL)
    caption = f"<br><sup>{MISSED_LEGEND}</sup>" if n >= 4 else ""  # the fourth patient misses month 3
    assert fig.layout.title.text.endswith(caption)
    lines = fig.layout.title.text.removesuffix(caption).split("<br>")
    assert " ".join(lines) == f"Primary outcomes by patient — n = {n}: Spine BMD T-score (row 1), VAS pain (row 2)"
    assert all(text_width(line, TITLE_FONT_SIZE) <= TITLE_WIDTH for line in lines)
    assert fig.layout.margin.t >= 12 + 1.3 * TITLE_FONT_SIZE * (len(lines) + bool(caption))
