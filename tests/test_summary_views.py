"""Summary views of a large study (issue 28): the trajectory summary (median and middle half at each visit, n per
visit) and the paired distribution of the before-after changes, checked on their data against quartiles computed
by hand and by numpy, and on what they send to the browser (a few points, whatever the number of patients)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from test_trajectories import visits_table

from medpath.figures.summary_views import (
    BAR_COLOUR,
    GL_TRACE,
    IQR_NAME,
    change_bins,
    paired_change_figure,
    trajectory_summary_figure,
    visit_quartiles,
)
from medpath.figures.svg import can_draw, figure_svg
from medpath.figures.trajectory import MAX_PATIENT_TRACES, MEDIAN_NAME
from medpath.outcomes import compare_visits
from medpath.protocol import default_protocol
from medpath.trajectories import patient_series

PROTOCOL = default_protocol()
N = 40
IDS = [f"P{i:02d}" for i in range(1, N + 1)]


def _tscore(i: int, visit: str) -> float:
    """Patient i's T-score: baseline −4 + 0.05·i; month 3 missed by every fourth patient; month 6 up by (i mod 5)/10."""
    base = -4.0 + 0.05 * i
    if visit == "baseline":
        return base
    if visit == "month 3":
        return math.nan if i % 4 == 0 else base + 0.1
    return base + (i % 5) / 10


def _vas(i: int, visit: str) -> float:
    """Patient i's VAS: baseline i mod 10; month 3 one lower (not below 0); month 6 down by i mod 4 (not below 0)."""
    base = i % 10
    return float(base if visit == "baseline" else max(0, base - 1) if visit == "month 3" else max(0, base - i % 4))


FORTY = visits_table(
    [
        (pid, visit, _tscore(i, visit), _vas(i, visit))
        for i, pid in enumerate(IDS, 1)
        for visit in ("baseline", "month 3", "month 6")
    ]
)


def _by_visit(values) -> dict[float, np.ndarray]:
    """The non-missing values of each visit month, from the hand-made functions (not from the table under test)."""
    months = {"baseline": 0.0, "month 3": 3.0, "month 6": 6.0}
    out = {}
    for visit, month in months.items():
        v = np.array([values(i, visit) for i in range(1, N + 1)], dtype=float)
        out[month] = v[~np.isnan(v)]
    return out


def _traces(fig) -> dict:
    return {t.name: t for t in fig.data}


def _points(fig) -> int:
    """How many points the figure sends to the browser: the x values of all its traces."""
    return sum(len(t.x) for t in fig.data if t.x is not None)


# --- quartiles per visit -----------------------------------------------------------------------------------------


def test_visit_quartiles_are_hyndman_fan_type_7_by_hand():
    """Four patients: baseline 1, 2, 3, 4 (q1 = 1 + 0.75 · (2 − 1) = 1.75, median 2.5, q3 = 3.25); month 6: 2, —,
    4, 10 (three values: q1 at h = 1.5: 2 + 0.5 · 2 = 3, median 4, q3 at h = 2.5: 4 + 0.5 · 6 = 7)."""
    visits = visits_table(
        [
            (pid, visit, math.nan, value)
            for pid, values in {"A": (1, 2), "B": (2, math.nan), "C": (3, 4), "D": (4, 10)}.items()
            for visit, value in zip(("baseline", "month 6"), values)
        ]
    )
    table = visit_quartiles(patient_series(visits, "vas", PROTOCOL))
    assert table["month"].tolist() == [0.0, 6.0]
    assert table["visit"].tolist() == ["baseline", "month 6"]
    assert table["n"].tolist() == [4, 3]
    assert table[["q1", "median", "q3"]].to_numpy().tolist() == [[1.75, 2.5, 3.25], [3.0, 4.0, 7.0]]
    changes = visit_quartiles(patient_series(visits, "vas", PROTOCOL), "change")  # 1, —, 1, 6 at month 6
    assert changes["n"].tolist() == [4, 3] and changes["median"].tolist() == [0.0, 1.0]


def test_a_month_without_any_change_has_n_0_and_no_quartiles():
    visits = visits_table([("A", "baseline", math.nan, math.nan), ("A", "month 6", -2.0, math.nan)])
    visits.loc[0, "bmd_tscore"] = math.nan  # a month-6 value, no baseline: no change anywhere after baseline
    table = visit_quartiles(patient_series(visits, "bmd_tscore", PROTOCOL), "change")
    assert table["n"].tolist() == [0] and math.isnan(table["median"][0])


# --- the trajectory summary -----------------------------------------------------------------------------------


def test_summary_median_and_band_equal_numpy_percentiles_with_n_per_visit():
    fig = trajectory_summary_figure(FORTY, "bmd_tscore", protocol=PROTOCOL)
    expected = _by_visit(_tscore)
    traces = _traces(fig)
    median = traces[MEDIAN_NAME]
    assert list(median.x) == [0.0, 3.0, 6.0]
    for k, month in enumerate(median.x):
        q1, mid, q3 = np.percentile(expected[month], [25, 50, 75])  # numpy's default: linear, type 7
        assert median.y[k] == pytest.approx(mid)
        assert [t.y[k] for t in fig.data if t.name == IQR_NAME] == pytest.approx([q3, q1])  # upper edge, lower edge
        assert median.customdata[k] == pytest.approx([len(expected[month]), q1, q3])
        assert median.hovertext[k] == ("baseline" if month == 0 else f"month {month:g}")
    # n per visit, counted by hand: 40 at baseline, 30 at month 3 (every fourth patient missed it), 40 at month 6
    assert [len(expected[m]) for m in (0.0, 3.0, 6.0)] == [40, 30, 40]
    assert list(fig.layout.xaxis.ticktext) == ["0<br>n = 40", "3<br>n = 30", "6<br>n = 40"]
    band = [t for t in fig.data if t.name == IQR_NAME]
    assert band[1].fill == "tonexty" and band[1].showlegend is not False and band[0].showlegend is False
    assert "n = 40 patients, baseline to month 6" in fig.layout.title.text
    assert not any(t.name.startswith("P") for t in fig.data)  # no patient drawn unless chosen


def test_summary_of_changes_is_of_each_patients_change_from_baseline():
    fig = trajectory_summary_figure(FORTY, "vas", mode="change", protocol=PROTOCOL)
    median = _traces(fig)[MEDIAN_NAME]
    for k, visit in enumerate(("baseline", "month 3", "month 6")):
        changes = [_vas(i, visit) - _vas(i, "baseline") for i in range(1, N + 1)]
        assert median.y[k] == pytest.approx(np.median(changes))
        assert median.customdata[k][1:] == pytest.approx(np.percentile(changes, [25, 75]))
    assert fig.layout.shapes[0].y0 == 0  # the zero line
    assert fig.layout.title.text.startswith("Change in VAS pain from baseline")


def test_the_summary_does_not_depend_on_the_patients_drawn_over_it():
    alone = trajectory_summary_figure(FORTY, "bmd_tscore", protocol=PROTOCOL)
    chosen = trajectory_summary_figure(FORTY, "bmd_tscore", ["P01", "P07", "P40"], protocol=PROTOCOL)
    for name in (MEDIAN_NAME, IQR_NAME):
        assert [list(t.y) for t in alone.data if t.name == name] == [list(t.y) for t in chosen.data if t.name == name]
    assert {"P01", "P07", "P40"} <= {t.name for t in chosen.data}  # their own lines, as in the spaghetti plot
    assert list(_traces(chosen)["P07"].y) == pytest.approx([_tscore(7, v) for v in ("baseline", "month 3", "month 6")])
    assert {a.text for a in chosen.layout.annotations} >= {"<b>P01</b>", "<b>P07</b>", "<b>P40</b>"}  # end labels
    assert fig_title(chosen).endswith("lines: 3 chosen patients")
    assert [t.name for t in chosen.data][-1] == MEDIAN_NAME  # the median drawn last, over the chosen lines


def fig_title(fig) -> str:
    return fig.layout.title.text.replace("<br>", " ").replace("<sup>", "").replace("</sup>", "")


def test_many_chosen_patients_are_one_webgl_trace():
    visits = _large(MAX_PATIENT_TRACES + 10)
    ids = sorted(visits["patient_id"].unique())
    fig = trajectory_summary_figure(visits, "vas", ids, protocol=PROTOCOL)
    gl = [t for t in fig.data if t.type == GL_TRACE]
    assert len(gl) == 1 and gl[0].name == f"Patients (n = {len(ids)}, one line each)"
    assert not can_draw(fig)  # the page then offers no SVG
    assert can_draw(trajectory_summary_figure(visits, "vas", ids[:3], protocol=PROTOCOL))


def test_the_y_axis_spans_the_band_and_not_one_extreme_patient():
    visits = FORTY.copy()
    visits.loc[(visits["patient_id"] == "P01") & (visits["visit"] == "month 6"), "bmd_tscore"] = 3.5  # one outlier
    y_range = trajectory_summary_figure(visits, "bmd_tscore", mode="change", protocol=PROTOCOL).layout.yaxis.range
    assert y_range[1] < 1.0  # the middle half's changes are at most 0.4: an axis up to 5.5 would flatten them


# --- bounded: what reaches the browser -------------------------------------------------------------------------


def _large(n: int) -> pd.DataFrame:
    """n patients with baseline, month 3 and month 6 (values varied by patient), built as a frame."""
    i = np.repeat(np.arange(n), 3)
    visit = np.tile(["baseline", "month 3", "month 6"], n)
    month = np.tile([0.0, 3.0, 6.0], n)
    return pd.DataFrame(
        {
            "patient_id": [f"P{k:05d}" for k in i],
            "visit": visit,
            "month": month,
            "bmd_tscore": -4.0 + (i % 30) / 10 + month / 60,
            "vas": np.maximum(0.0, (i % 10) - month / 3 * (i % 3)),
            "source_file": "visits.xlsx",
            "source_sheet": "Visits",
            "source_row": np.arange(2, 3 * n + 2),
        }
    )


def test_five_thousand_patients_send_a_few_dozen_points():
    visits = _large(5000)
    for mode in ("absolute", "change"):
        fig = trajectory_summary_figure(visits, "bmd_tscore", mode=mode, protocol=PROTOCOL)
        assert len(fig.data) == 3 and _points(fig) == 9  # two band edges and the median, at three visits
        assert "n = 5,000" in fig.layout.xaxis.ticktext[0]
    comparison = compare_visits(visits, "vas", protocol=PROTOCOL)
    assert comparison.n_pairs == 5000
    paired = paired_change_figure(comparison)
    assert len(paired.data) <= 10 and _points(paired) < 200
    assert sum(_traces(paired)["Patients by change"].y) == 5000


# --- the paired distribution -----------------------------------------------------------------------------------


def test_change_bins_by_hand():
    width, bins = change_bins([-2, -2, -1, 0, 0, 0, 1, 3])  # integer changes: a bar for each value that occurs
    assert width == 1
    assert bins["centre"].tolist() == [-2, -1, 0, 1, 3] and bins["n"].tolist() == [2, 1, 3, 1, 1]
    assert bins[["low", "high"]].to_numpy().tolist()[2] == [-0.5, 0.5]
    width, bins = change_bins([-0.1, 0.0, 0.1, 0.1, 0.3, math.nan])  # one decimal: bars 0.1 wide, NaN left out
    assert width == pytest.approx(0.1)
    assert bins["centre"].tolist() == pytest.approx([-0.1, 0.0, 0.1, 0.3]) and bins["n"].tolist() == [1, 1, 2, 1]
    width, bins = change_bins([7.3 - 5.3, 2.0])  # float noise: 1.9999999999999996 is 2
    assert bins["n"].tolist() == [2]
    width, bins = change_bins(list(range(-50, 51)))  # 101 values 1 apart: 5 wide (2 would give 51 bins, over 40)
    assert width == 5 and len(bins) == 21 and bins["n"].sum() == 101
    assert bins["n"].tolist()[0] == 3 and bins["n"].tolist()[1] == 5  # −50 to −48 in [−52.5, −47.5), then five each


def test_paired_figure_draws_the_quartiles_and_the_hand_computed_changes():
    comparison = compare_visits(FORTY, "vas", protocol=PROTOCOL)
    before = np.array([_vas(i, "baseline") for i in range(1, N + 1)])
    after = np.array([_vas(i, "month 6") for i in range(1, N + 1)])
    changes = after - before  # every patient has both visits: 40 pairs
    fig = paired_change_figure(comparison)
    traces = _traces(fig)
    for label, values in (("Baseline", before), ("Month 6", after), ("Change", changes)):
        q1, mid, q3 = np.percentile(values, [25, 50, 75])
        assert list(traces[f"{label}: quartiles"].x) == pytest.approx([q1, q3])
        assert list(traces[f"{label}: median"].x) == pytest.approx([mid])
    bars = traces["Patients by change"]
    centres, counts = np.unique(changes, return_counts=True)  # integer changes: one bar per value
    assert list(bars.x) == centres.tolist() and list(bars.y) == counts.tolist() and bars.width == 1
    assert sum(bars.y) == 40
    assert list(traces["no change"].x) == [0.0, 0.0]
    assert fig.layout.xaxis2.title.text == "Change from baseline (0–10)<br>lower is better"  # the better direction
    assert list(fig.layout.yaxis.categoryarray) == ["Month 6", "Baseline"]  # baseline drawn above the follow-up
    assert fig.layout.title.text.startswith("VAS pain: baseline and month 6<br><sup>n = 40 pairs")


def test_paired_figure_is_tall_enough_for_both_panels_and_drawn_by_the_static_svg():
    fig = paired_change_figure(compare_visits(FORTY, "bmd_tscore", protocol=PROTOCOL), height=400)
    assert fig.layout.height >= 480  # two panels need more than the Overview's 400 pixels
    assert fig.layout.yaxis.domain[0] > fig.layout.yaxis2.domain[1]  # the boxes above the bars, apart
    assert can_draw(fig)
    svg = figure_svg(fig)
    assert svg.count(f'fill="{BAR_COLOUR}"') == len(_traces(fig)["Patients by change"].x)
    assert "Baseline" in svg and "higher is better" in svg
