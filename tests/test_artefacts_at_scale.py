"""Issue 28, the meeting artefacts of a large study: above ``medpath.scale.SUMMARY_ABOVE`` patients the HTML report,
the slides and the Word tables lead with the dashboard's summaries and cut every per-patient listing to
``medpath.paper.LISTED_ROWS`` rows (``paper.first_rows``); at ``SUMMARY_ABOVE`` patients they still draw every
patient. The study is made up here, so that each number is counted by hand or with numpy from the rows written, never
read back from the code under test."""

from __future__ import annotations

import datetime as dt
import html
import io
import json
import re
from collections import Counter

import numpy as np
import pandas as pd
import pytest
from conftest import SCREENING_HEADER, screening_row, xlsx_bytes
from docx import Document
from pptx import Presentation

from medpath.analysis import analyse
from medpath.paper import LISTED_ROWS, first_rows
from medpath.protocol import default_protocol
from medpath.report import build_report
from medpath.scale import SUMMARY_ABOVE
from medpath.slides import build_deck
from medpath.study import load_study
from medpath.word_tables import word_tables

PROTOCOL = default_protocol()
WHEN = dt.datetime(2025, 3, 4, 5, 6, tzinfo=dt.UTC)
N = 250  # above SUMMARY_ABOVE and above LISTED_ROWS: summaries lead, listings are cut
MONTHS = {"baseline": 0.0, "month 3": 3.0, "month 6": 6.0}


def _pid(i: int) -> str:
    return f"MSC-{i:04d}"


def _values(i: int) -> dict[str, dict[str, float]]:
    """Patient i's visits: T-score (tenths) and VAS (whole points) at baseline, month 3 and month 6, spine BMD at
    baseline and month 6; every 50th patient misses month 6."""
    tscore = round(-3.0 + (i % 7) * 0.1, 1)
    vas = 4 + i % 6
    visits = {
        "baseline": {"bmd_tscore": tscore, "vas": vas, "bmd_g_cm2": round(0.70 + (i % 9) * 0.01, 3)},
        "month 3": {"bmd_tscore": round(tscore + 0.1 * (i % 3), 1), "vas": vas - i % 3},
        "month 6": {
            "bmd_tscore": round(tscore + 0.1 * (i % 5 - 1), 1),
            "vas": vas - i % 4,
            "bmd_g_cm2": round(0.70 + (i % 9) * 0.01 + 0.004 * (i % 7 - 3), 3),
        },
    }
    if i % 50 == 0:
        del visits["month 6"]
    return visits


def _events(i: int) -> list[tuple[str, int, bool]]:
    """Patient i's adverse events (term, grade, serious): fever (grade 1) every 2nd patient, headache (grade 2) every
    3rd, pneumonia (grade 3, serious) every 40th."""
    return [
        *([("Fever", 1, False)] if i % 2 == 0 else []),
        *([("Headache", 2, False)] if i % 3 == 0 else []),
        *([("Pneumonia", 3, True)] if i % 40 == 0 else []),
    ]


def study_bytes(n: int) -> bytes:
    """``n`` screened and enrolled patients; every 10th with a T-score of −1.0 at screening (a protocol deviation on
    the osteoporosis criterion)."""
    screening: list[list] = [SCREENING_HEADER]
    visits: list[list] = [["patient_id", "visit", "bmd_tscore", "vas", "bmd_g_cm2"]]
    adverse: list[list] = [["patient_id", "term", "onset", "grade", "serious", "relatedness", "outcome"]]
    for i in range(1, n + 1):
        screening.append(screening_row(_pid(i), tscore=-1.0 if i % 10 == 0 else -3.0))
        for visit, values in _values(i).items():
            visits.append([_pid(i), visit, values["bmd_tscore"], values["vas"], values.get("bmd_g_cm2")])
        for term, grade, serious in _events(i):
            adverse.append([_pid(i), term, 1, grade, "yes" if serious else "no", "possible", "recovered"])
    return xlsx_bytes({"screening": screening, "visits": visits, "adverse_events": adverse})


def _analysis(n: int):
    return analyse(load_study([("large.xlsx", study_bytes(n))], protocol=PROTOCOL))


@pytest.fixture(scope="module")
def large():
    return _analysis(N)


@pytest.fixture(scope="module")
def report(large):
    return build_report(large, generated_at=WHEN)


#: By hand from ``_values`` and ``_events``.
PAIRS = N - N // 50  # every 50th patient has no month 6
EVENTS = N // 2 + N // 3 + N // 40  # 125 fevers, 83 headaches, 6 pneumonias
SERIOUS = N // 40
DEVIANT = N // 10  # a T-score of −1.0 at screening


def _charts(report: str) -> dict[str, dict]:
    """The report's charts: id -> figure JSON."""
    found = re.findall(
        r'<script type="application/json" class="chart-data" data-chart="([^"]+)">(.*?)</script>', report
    )
    return {name: json.loads(figure) for name, figure in found}


def _tables(report: str) -> list[str]:
    return re.findall(r"<table.*?</table>", report, re.S)


def _rows(table: str) -> int:
    return len(re.findall(r"<tr", table)) - 1  # the header row aside


# ---------------------------------------------------------------------------------------------------------- paper


def test_first_rows_cuts_only_a_large_studys_long_listing():
    frame = pd.DataFrame({"patient_id": [_pid(i) for i in range(1, 151)]})
    assert first_rows(frame, SUMMARY_ABOVE, "Safety") == (frame, None)  # a study of 30 patients: whole
    assert first_rows(frame.head(LISTED_ROWS), SUMMARY_ABOVE + 1, "Safety")[1] is None  # short enough: whole
    shown, said = first_rows(frame, SUMMARY_ABOVE + 1, "Safety")
    assert shown["patient_id"].tolist() == [_pid(i) for i in range(1, LISTED_ROWS + 1)]
    assert said == (
        f"The first {LISTED_ROWS} of 150 rows. The other {150 - LISTED_ROWS} are in the same table on the dashboard's "
        "Safety page, which downloads every row as CSV."
    )


# ---------------------------------------------------------------------------------------------------------- report


def test_report_draws_the_summaries_and_no_chart_per_patient(report):
    charts = _charts(report)
    assert {"chart-trajectory-summary-bmd-tscore", "chart-trajectory-summary-vas"} <= set(charts)
    assert "chart-adverse-events-by-term" in charts and "chart-changes-bmd-g-cm2" in charts
    assert not [name for name in charts if "spaghetti" in name or "waterfall" in name or "small-multiples-" in name]
    for name in ("chart-before-after-bmd-tscore", "chart-before-after-vas"):  # the paired distribution
        assert any(trace.get("type") == "bar" for trace in charts[name]["data"])


def test_report_trajectory_summary_is_the_numpy_median_of_every_patient(report):
    median = next(
        t for t in _charts(report)["chart-trajectory-summary-vas"]["data"] if t.get("name", "").startswith("Median")
    )
    for visit, month in MONTHS.items():
        values = [v[visit]["vas"] for v in map(_values, range(1, N + 1)) if visit in v]
        assert median["y"][median["x"].index(month)] == pytest.approx(float(np.median(values)))


def test_report_draws_the_first_five_patients_when_none_was_chosen_and_at_most_a_page(large, report):
    def drawn(text: str) -> str:
        found = re.search(r"trajectory charts of (.*?) \(the tests always use every pair\)", text)
        assert found is not None
        return found.group(1)

    first = ", ".join(_pid(i) for i in range(1, 6))
    assert (
        drawn(report)
        == f"the median and middle half of all {N} patients per visit, with the lines of 5 of them ({first})"
    )
    every = build_report(large, generated_at=WHEN, patients=[_pid(i) for i in range(1, N + 1)])
    assert drawn(every) == drawn(report)  # every patient "chosen" is no choice
    chosen = build_report(large, generated_at=WHEN, patients=[_pid(i) for i in range(101, 141)])
    assert "with the lines of 30 of them (MSC-0101," in drawn(chosen) and "MSC-0131" not in drawn(chosen)
    none = build_report(large, generated_at=WHEN, patients=[])
    assert html.unescape(drawn(none)).endswith("with no patient's own line")
    assert "chart-small-multiples" not in _charts(none)


def test_report_counts_deviations_by_criterion_and_cuts_every_listing(report):
    assert "Protocol deviation: patient" not in report  # no bullet per patient
    assert f"Protocol deviations: {DEVIANT} enrolled patient(s) do not meet every criterion" in report
    assert re.search(rf"<td>Osteoporosis on BMD \(T-score ≤ −2.5\)</td>\s*<td>{DEVIANT}</td>\s*<td>0</td>", report)
    assert max(_rows(t) for t in _tables(report)) <= LISTED_ROWS
    for total in (PAIRS, EVENTS):
        assert f"The first {LISTED_ROWS} of {total} rows. The other {total - LISTED_ROWS} are" in report
    assert f"Serious adverse events ({SERIOUS})" in report
    serious = next(t for t in _tables(report) if "Pneumonia" in t and "Headache" not in t)
    assert _rows(serious) == SERIOUS


def test_report_of_a_large_study_stays_small(report):
    packed = re.sub(r'<script type="application/octet-stream" id="plotly-js">.*?</script>', "", report, flags=re.S)
    assert len(packed.encode()) < 400_000  # at 250 patients: summaries and cut listings


def test_at_the_threshold_every_patient_is_drawn_and_listed_above_it_the_summary():
    at, above = (build_report(_analysis(n), generated_at=WHEN) for n in (SUMMARY_ABOVE, SUMMARY_ABOVE + 1))
    assert "chart-spaghetti-vas" in _charts(at) and "chart-trajectory-summary-vas" not in _charts(at)
    assert "chart-trajectory-summary-vas" in _charts(above) and "chart-spaghetti-vas" not in _charts(above)
    assert "Protocol deviation: patient MSC-0030 is enrolled" in at  # the pilot's bullet


# ---------------------------------------------------------------------------------------------------------- slides


@pytest.fixture(scope="module")
def deck(large):
    return Presentation(io.BytesIO(build_deck(large, generated_at=WHEN)))


def _slide(deck, title: str):
    return next(
        s for s in deck.slides if any(sh.has_text_frame and sh.text_frame.text.startswith(title) for sh in s.shapes)
    )


def _chart(slide):
    return next(sh.chart for sh in slide.shapes if sh.has_chart)


def test_slides_trajectory_is_the_median_and_quartiles_per_visit(deck):
    chart = _chart(_slide(deck, f"VAS pain: median and middle half of patients over time (n = {N})"))
    series = {s.name: list(s.values) for plot in chart.plots for s in plot.series}
    counts = [sum(visit in v for v in map(_values, range(1, N + 1))) for visit in MONTHS]
    assert list(chart.plots[0].categories) == [f"{v.capitalize()} (n = {k})" for v, k in zip(MONTHS, counts)]
    for k, visit in enumerate(MONTHS):
        values = [v[visit]["vas"] for v in map(_values, range(1, N + 1)) if visit in v]
        q1, median, q3 = np.percentile(values, [25, 50, 75])
        assert series["Median"][k] == pytest.approx(median)
        assert series["First quartile (not drawn)"][k] == pytest.approx(q1)
        assert series["Middle half of patients (25th–75th percentile)"][k] == pytest.approx(q3 - q1)


def test_slides_before_after_is_the_histogram_of_the_changes(deck):
    chart = _chart(_slide(deck, f"VAS pain: change from baseline to month 6 (n = {PAIRS} pairs)"))
    changes = Counter(
        v["month 6"]["vas"] - v["baseline"]["vas"] for v in map(_values, range(1, N + 1)) if "month 6" in v
    )
    shown = dict(zip(chart.plots[0].categories, chart.plots[0].series[0].values))
    assert shown == {("0" if c == 0 else f"−{-c}"): float(changes[c]) for c in range(min(changes), max(changes) + 1)}


def test_slides_count_adverse_events_by_term_and_list_no_patient_per_event(deck):
    chart = _chart(_slide(deck, "Safety: adverse events by term and worst CTCAE grade"))
    bars = {(s.name, term): v for s in chart.plots[0].series for term, v in zip(chart.plots[0].categories, s.values)}
    assert bars["grade 1 (mild)", "Fever"] == N // 2
    assert bars["grade 2 (moderate)", "Headache"] == N // 3
    assert bars["grade 3 (severe)", "Pneumonia"] == SERIOUS
    assert list(chart.plots[0].categories)[-1] == "Fever"  # the most frequent at the top
    notes = _slide(deck, "Safety: adverse events").notes_slide.notes_text_frame.text
    assert "Every adverse event:" not in notes
    assert len([line for line in notes.splitlines() if line.startswith("MSC-")]) == SERIOUS
    for slide in deck.slides:  # no chart with a series per patient
        for shape in slide.shapes:
            assert not shape.has_chart or sum(len(p.series) for p in shape.chart.plots) <= 6


# ---------------------------------------------------------------------------------------------------------- Word


@pytest.fixture(scope="module")
def document(large):
    return Document(io.BytesIO(word_tables(large, generated_at=WHEN)))


def test_word_tables_cut_the_listings_and_keep_the_counts(document):
    text = "\n".join(p.text for p in document.paragraphs)
    for total in (PAIRS, EVENTS):
        assert f"The first {LISTED_ROWS} of {total} rows." in text
    headers = [[c.text for c in t.rows[0].cells] for t in document.tables]
    assert ["Characteristic", "n", "Median (IQR) or n (%)"] in headers  # no cell of every patient's value
    assert max(len(t.rows) - 1 for t in document.tables) <= LISTED_ROWS
    terms = next(t for t in document.tables if t.rows[0].cells[0].text == "Term")
    counted = {(r.cells[0].text, r.cells[1].text): (r.cells[2].text, r.cells[3].text) for r in terms.rows[1:]}
    assert counted["Fever", "1 (mild)"] == (str(N // 2), str(N // 2))
    assert counted["Pneumonia", "3 (severe)"] == (str(SERIOUS), str(SERIOUS))
    flow = next(t for t in document.tables if t.rows[0].cells[0].text == "Stage")
    assert any(f"no month 6 primary value: {N // 50} patients" in c.text for r in flow.rows for c in r.cells)
