"""Issue 28, a large study in the browser: the Safety and Secondary views above ``medpath.scale.SUMMARY_ABOVE``
patients (the events by term and CTCAE grade, one patient's timeline, the serious events in a sentence, the
distribution of the changes against the LSC), counted by hand on small made-up frames; the figures stay a bounded
number of marks at 5,000 patients; and the Eligibility, Safety and Secondary pages of a 200-patient study with adverse
events lead with the grouped views. (The deviations counted by criterion: ``tests/test_eligibility.py``.)"""

from __future__ import annotations

import random

import pandas as pd
import plotly.graph_objects as go
import pytest
from conftest import SCREENING_HEADER, screening_row, xlsx_bytes
from test_pages import run_page, texts

from medpath.adverse_events import listing
from medpath.ae_groups import OTHER_TERMS, patient_choices, serious_sentence, term_grade_table
from medpath.figures.safety import patient_timeline_figure, term_grade_figure, timeline_figure
from medpath.figures.style import BASE_FONT_SIZE
from medpath.figures.waterfall import _lsc_band, change_histogram_figure, lsc_bins
from medpath.protocol import default_protocol
from medpath.study import load_study

PROTOCOL = default_protocol()
BMD = PROTOCOL.outcomes["bmd_g_cm2"]


def events(*rows: tuple[str, str | None, int | None, bool | None]) -> pd.DataFrame:
    """An adverse-event frame (the columns the grouping reads) from (patient_id, term, grade, serious) rows."""
    frame = pd.DataFrame(rows, columns=["patient_id", "term", "grade", "serious"])
    return frame.astype({"grade": "Int64", "serious": "boolean"})


#: A, B, C have fever ("fever" once: the same term); C and D a rash (D's not graded); D a headache, E nausea.
EVENTS = events(
    ("A", "Fever", 1, False),
    ("A", "fever", 2, False),
    ("B", "Fever", 1, False),
    ("C", "Fever", 1, False),
    ("C", "Rash", 3, True),
    ("D", "Rash", None, None),
    ("D", "Headache", 2, False),
    ("E", "Nausea", 1, False),
)


def rows(table: pd.DataFrame) -> list[tuple]:
    return [(t, None if pd.isna(g) else int(g), p, e) for t, g, p, e in table.itertuples(index=False)]


def test_events_by_term_and_grade_match_a_hand_count():
    """Fever: A (worst 2), B (1), C (1) -> grade 1: 2 patients, 3 events (A, B, C); grade 2: 1 patient, 1 event (A).
    Rash: C grade 3, D not graded -> 1 patient and 1 event each. Headache: D grade 2; nausea: E grade 1. Fever (3
    patients) first, rash (2) second, then headache and nausea (1 patient, 1 event each) by name."""
    assert rows(term_grade_table(EVENTS)) == [
        ("Fever", 1, 2, 3),
        ("Fever", 2, 1, 1),
        ("Rash", 3, 1, 1),
        ("Rash", None, 1, 1),
        ("Headache", 2, 1, 1),
        ("Nausea", 1, 1, 1),
    ]


def test_terms_beyond_the_top_are_counted_together_as_other_terms():
    """Top 2: fever and rash named; headache (D, grade 2) and nausea (E, grade 1) are "other terms": 1 patient at
    each grade. With top 3 the fourth term is named rather than being an "other terms" of one term."""
    assert rows(term_grade_table(EVENTS, top=2))[-2:] == [(OTHER_TERMS, 1, 1, 1), (OTHER_TERMS, 2, 1, 1)]
    assert OTHER_TERMS not in set(term_grade_table(EVENTS, top=3)["term"])


def test_a_patient_is_counted_once_per_term_at_the_worst_grade():
    table = term_grade_table(EVENTS)
    patients = table.groupby("term")["patients"].sum()
    assert patients.to_dict() == {"Fever": 3, "Rash": 2, "Headache": 1, "Nausea": 1}  # A, B, C / C, D / D / E


def test_patients_to_choose_the_most_severe_first():
    """C: worst grade 3, 1 serious; A and D: worst 2 (D's rash not graded), 2 events each, by id; B and E: grade 1;
    F: nothing graded, last."""
    choices = patient_choices(pd.concat([EVENTS, events(("F", "Dizziness", None, False))]))
    assert choices["patient_id"].tolist() == ["C", "A", "D", "B", "E", "F"]
    assert choices["events"].tolist() == [2, 2, 2, 1, 1, 1]
    labels = dict(zip(choices["patient_id"], choices["label"]))
    assert labels["C"] == "C: 2 events, worst grade 3 (severe), 1 serious"
    assert labels["B"] == "B: 1 event, worst grade 1 (mild)"
    assert labels["F"] == "F: 1 event, not graded"


def test_serious_events_in_one_sentence():
    said = serious_sentence({"serious": 3, "serious_patients": 2})
    assert said.startswith("Serious adverse events: 3 event(s) in 2 patient(s).")


def test_the_term_chart_draws_the_hand_counts():
    fig = term_grade_figure(term_grade_table(EVENTS))
    bars = {trace.name: dict(zip(trace.y, trace.x)) for trace in fig.data if trace.type == "bar"}
    assert bars["grade 1 (mild)"] == {"Fever": 2, "Nausea": 1}
    assert bars["grade 2 (moderate)"] == {"Fever": 1, "Headache": 1}
    assert bars["grade 3 (severe)"] == {"Rash": 1} and bars["not graded"] == {"Rash": 1}
    [totals] = [trace for trace in fig.data if trace.type == "scatter"]
    assert list(totals.text) == [
        "  3 patients (4 events)",
        "  2 patients (2 events)",
        "  1 patient (1 event)",
        "  1 patient (1 event)",
    ]
    assert list(fig.layout.yaxis.categoryarray) == ["Nausea", "Headache", "Rash", "Fever"]  # the most frequent on top
    assert fig.layout.xaxis.title.text == "Patients with the event"


def test_one_patients_timeline_shows_only_their_events():
    visits = pd.DataFrame(
        {"patient_id": ["C", "C", "D"], "visit": ["baseline", "month 6", "baseline"], "month": [0, 6, 0]}
    )
    timed = EVENTS.assign(onset_month=[0.0, 1, 0, 0, 3, 2, 1, 0], relatedness="possible")
    fig = patient_timeline_figure(timed, visits, "C")
    assert {y for trace in fig.data for y in trace.y} == {"C"}
    assert sorted(x for trace in fig.data[1:] for x in trace.x) == [0.0, 3.0]  # fever at 0, rash at 3
    assert fig.layout.height == 320  # one row


# --- the distribution of the changes against the LSC -------------------------------------------------------

LSC = 0.03
CHANGES = [0.12, 0.05, 0.03, 0.049, 0.0, -0.01, 0.029, -0.03, -0.08]


def lsc_rows(changes: list[float], lsc: float = LSC) -> pd.DataFrame:
    """A ``medpath.secondary.lsc_table``: at least +LSC gain, at most -LSC loss (categories written by hand here)."""
    category = ["gain" if c >= lsc else "loss" if c <= -lsc else "stable" for c in changes]
    return pd.DataFrame(
        {
            "patient_id": [f"P{i}" for i in range(len(changes))],
            "change": changes,
            "percent_change": [100 * c for c in changes],
            "category": category,
        }
    )


def test_the_changes_are_binned_from_the_lsc_lines_by_hand():
    """Range 0.12 - (-0.08) = 0.2 over 10 bins: w = 0.02; the band [-0.03, 0.03) in 3 bins of 0.02.
    Gains: [0.03, 0.05) holds 0.03 and 0.049, [0.05, 0.07) 0.05, [0.11, 0.13) 0.12. Stable: [-0.01, 0.01) holds
    0 and -0.01, [0.01, 0.03) 0.029. Losses: (-0.05, -0.03] holds -0.03, (-0.09, -0.07] -0.08."""
    binned = lsc_bins(lsc_rows(CHANGES), LSC, bins=10)
    assert binned["category"].tolist() == ["loss", "loss", "stable", "stable", "gain", "gain", "gain"]
    assert binned["low"].tolist() == pytest.approx([-0.09, -0.05, -0.01, 0.01, 0.03, 0.05, 0.11])
    assert binned["high"].tolist() == pytest.approx([-0.07, -0.03, 0.01, 0.03, 0.05, 0.07, 0.13])
    assert binned["patients"].tolist() == [1, 1, 2, 1, 2, 1, 1]


def test_the_histogram_draws_the_hand_counts():
    """Gain 4 (0.12, 0.05, 0.03, 0.049), stable 3 (0, -0.01, 0.029), loss 2 (-0.03, -0.08)."""
    fig = change_histogram_figure(lsc_rows(CHANGES), LSC, BMD, 6)
    drawn = {trace.name: sum(trace.y) for trace in fig.data}
    assert drawn == {"gain (4)": 4, "stable (3)": 3, "loss (2)": 2}
    assert "gain 4, stable 3, loss 2 of 9 patients" in fig.layout.title.text.replace("<br>", " ")
    assert fig.layout.xaxis.title.text == "Change in Spine BMD (g/cm²)"
    assert fig.layout.yaxis.title.text == "Patients"
    assert sorted(shape.x0 for shape in fig.layout.shapes if shape.type == "line") == [-LSC, LSC]


@pytest.mark.parametrize("axis", ["x", "y"])
def test_the_lsc_band_is_what_plotlys_own_band_and_line_helpers_draw(axis):
    """The figures are built in one go (``style.one_go_figure``), so the ±LSC band is written out as shapes and
    annotations: they must be exactly what ``add_vrect`` / ``add_vline`` (histogram, ``x``) and ``add_hrect`` /
    ``add_hline`` (waterfall, ``y``) make with the same settings."""
    reference = go.Figure()
    band, line = (
        (reference.add_hrect, reference.add_hline) if axis == "y" else (reference.add_vrect, reference.add_vline)
    )
    band(**{f"{axis}0": -LSC, f"{axis}1": LSC}, fillcolor="#E8E8E8", opacity=0.7, line_width=0, layer="below")
    for sign in (1, -1):
        line(
            **{axis: sign * LSC},
            line={"dash": "dash", "color": "#555555", "width": 1.2},
            annotation_text=f"{'+' if sign > 0 else '−'}LSC {LSC:.4f}",
            annotation_position="right" if axis == "y" else ("top right" if sign > 0 else "top left"),
            annotation_font_size=BASE_FONT_SIZE - 2,
        )
    shapes, annotations = _lsc_band(LSC, axis)
    written = go.Figure(layout={"shapes": shapes, "annotations": annotations})
    assert written.to_dict()["layout"] == reference.to_dict()["layout"]


# --- bounded at 5,000 patients ---------------------------------------------------------------------------


def test_at_5000_patients_the_figures_send_a_bounded_number_of_marks():
    rng = random.Random(28)
    n = 5000
    changes = [rng.gauss(0.01, 0.03) for _ in range(n)]
    histogram = change_histogram_figure(lsc_rows(changes, 0.0277), 0.0277, BMD, 6)
    assert sum(len(trace.x) for trace in histogram.data) < 60
    assert sum(sum(trace.y) for trace in histogram.data) == n
    many = events(
        *((f"P{i}", f"term {rng.randrange(300)}", rng.choice([1, 2, 3, None]), False) for i in range(n) for _ in (0, 1))
    )
    terms = term_grade_figure(term_grade_table(many))
    assert sum(len(trace.x) for trace in terms.data) < 120  # 16 bars of up to 5 grades, and 16 totals
    assert terms.layout.height < 1000
    visits = pd.DataFrame({"patient_id": [f"P{i}" for i in range(n)], "visit": "baseline", "month": 0.0})
    timed = many.assign(onset_month=1.0, relatedness="possible")
    one = patient_timeline_figure(timed, visits, "P7")
    assert sum(len(trace.x) for trace in one.data) < 10
    assert timeline_figure(timed, visits, ["P7"]).layout.height > 300_000  # what the page no longer draws


# --- the pages of a 200-patient study ---------------------------------------------------------------------

TERMS = ["Fever", "Infusion site reaction", "Headache", "Back pain", "Nausea", "Rash", "Fatigue", "Pneumonia"]


def large_workbook(patients: int, seed: int = 28) -> bytes:
    """``patients`` screened and enrolled patients (every 10th with a T-score of -1.0: a protocol deviation; every
    25th without an HIV result: not determinable), each with baseline and month-6 T-score, VAS and spine BMD, and
    adverse events for about half of them (every 40th's first event serious)."""
    rng = random.Random(seed)
    screening: list[list] = [SCREENING_HEADER]
    visits: list[list] = [["patient_id", "visit", "bmd_tscore", "vas", "bmd_g_cm2"]]
    adverse: list[list] = [["patient_id", "term", "onset", "grade", "serious", "relatedness", "outcome"]]
    for i in range(1, patients + 1):
        pid = f"MSC-{i:04d}"
        tscore = -1.0 if i % 10 == 0 else -3.0
        screening.append(screening_row(pid, tscore=tscore, **({"hiv": None} if i % 25 == 0 else {})))
        bmd = rng.uniform(0.6, 0.9)
        visits.append([pid, "baseline", -3.0, rng.randint(4, 9), round(bmd, 3)])
        visits.append([pid, "month 6", -2.8, rng.randint(1, 7), round(bmd + rng.gauss(0.01, 0.03), 3)])
        count = max(i % 40 == 0, rng.choice([0, 0, 1, 1, 2, 3]))  # every 40th has an event, its first serious
        for k, term in enumerate(rng.sample(TERMS, count)):  # distinct terms: never the same event twice
            grade = rng.choice([1, 1, 1, 2, 2, 3])
            serious = "yes" if i % 40 == 0 and k == 0 else "no"
            adverse.append([pid, term, rng.choice([0, 1, 3, 6]), grade, serious, "possible", "recovered"])
    return xlsx_bytes({"screening": screening, "visits": visits, "adverse_events": adverse})


@pytest.fixture(scope="module")
def large_files():
    return (("large.xlsx", large_workbook(200)),)


def chart_names(at) -> list[str]:
    return [str(c.value).replace("\u2060", "") for c in at.caption if str(c.value).startswith("Chart: ")]


def test_eligibility_of_a_large_study_counts_the_deviations_by_criterion(large_files):
    """20 patients with a T-score of -1.0 (every 10th) and 8 without an HIV result (every 25th: 25, 50, ..., 200),
    4 of those also among the 20 (50, 100, 150, 200): 24 deviant patients, 20 failing one criterion."""
    at = run_page("pages/eligibility.py", large_files)
    warnings = [str(w.value) for w in at.warning]
    assert not any("Protocol deviation:" in w for w in warnings)  # no box per patient
    assert any("24 enrolled patient(s) do not meet every criterion (20 fail" in w for w in warnings)
    counts = next(d.value for d in at.dataframe if "not_met" in d.value.columns).set_index("label")
    assert counts.loc["Osteoporosis on BMD (T-score ≤ −2.5)", "not_met"] == 20
    assert counts.loc["No active infection", "unknown"] == 8
    listed = next(d.value for d in at.dataframe if "finding" in d.value.columns)
    assert len(listed) == 28  # one row per patient and criterion


def test_safety_of_a_large_study_leads_with_terms_and_one_patients_timeline(large_files):
    at = run_page("pages/safety.py", large_files)
    names = chart_names(at)
    assert any(name.startswith("Chart: Adverse events by term") for name in names), names
    assert not any("against each patient's visits" in name for name in names)  # not a row per patient
    chooser = next(s for s in at.selectbox if s.label == "Patient (the most severe first)")
    assert any("of patient " + chooser.value in name for name in names)
    assert "Serious adverse events: 5 event(s) in 5 patient(s)." in texts(at.error)  # every 40th patient
    serious = next(d.value for d in at.dataframe if "term" in d.value.columns and "serious" not in d.value.columns)
    assert len(serious) == 5
    study = load_study(list(large_files), protocol=PROTOCOL)
    first, other = patient_choices(study.adverse_events)["patient_id"].tolist()[:2]
    assert chooser.value == first
    chooser.set_value(other).run()
    assert not at.exception
    assert any("of patient " + other in name for name in chart_names(at))


def test_secondary_of_a_large_study_draws_the_distribution_of_the_changes(large_files):
    at = run_page("pages/secondary.py", large_files)
    names = chart_names(at)
    assert any("against the LSC: gain" in name and "of 200 patients" in name for name in names), names


#: pages/data.py's expander of the validated tables (a page script cannot be imported without running it)
VALIDATED_OPEN = "data-validated-open"


def test_the_data_page_shows_a_long_visits_table_a_page_at_a_time():
    """300 patients x 2 visits = 600 visit rows. Above 30 patients the validated tables are made when their expander
    is opened, its label counting their rows; then the first 500 (PAGE_ROWS) on page 1, the last 100 on page 2, each
    row the study's own; the 300 screening rows fit on one page and are shown whole (issue 28)."""
    files = (("large.xlsx", large_workbook(300)),)
    at = run_page("pages/data.py", files)
    study = load_study(list(files), protocol=PROTOCOL)
    assert len(study.visits) == 600 and len(study.screening) == 300
    assert not [d for d in at.dataframe if "patient_id" in d.value.columns]  # not drawn until asked for
    assert [e.label for e in at.expander if e.label.startswith("Browse")] == [
        "Browse the validated tables: 300 candidate(s), 600 visit row(s)"
    ]
    at.session_state[VALIDATED_OPEN] = True
    at.run()
    grids = {len(d.value.columns): d.value for d in at.dataframe if "patient_id" in d.value.columns}
    visits = next(g for g in grids.values() if "visit" in g.columns)
    screening = next(g for g in grids.values() if "visit" not in g.columns)
    assert len(visits) == 500 and list(visits["patient_id"]) == list(study.visits["patient_id"][:500])
    assert len(screening) == 300
    page_box = next(n for n in at.number_input if n.label == "Page (of 2, 500 visit rows each)")
    assert "Visit rows 1–500 of 600." in texts(at.caption)
    page_box.set_value(2).run()
    visits = next(d.value for d in at.dataframe if "visit" in d.value.columns and "patient_id" in d.value.columns)
    assert list(visits["patient_id"]) == list(study.visits["patient_id"][500:])
    assert "Visit rows 501–600 of 600." in texts(at.caption)


def test_the_pilots_data_page_shows_its_tables_whole():
    at = run_page("pages/data.py")
    assert not [n for n in at.number_input if n.label.startswith("Page (of")]
    visits = next(d.value for d in at.dataframe if "visit" in d.value.columns and "patient_id" in d.value.columns)
    assert len(visits) == 19  # the sample's every visit row


@pytest.fixture(scope="module")
def files_600():
    return (("large.xlsx", large_workbook(600)),)


def test_a_large_studys_listing_of_adverse_events_is_paged(files_600):
    """600 patients with 0-3 events each (more than PAGE_ROWS = 500 events): the listing shows 500 per page, the
    study's own rows in the listing's order, and says which; page 2 holds the rest."""
    files = files_600
    study = load_study(list(files), protocol=PROTOCOL)
    every = listing(study.adverse_events, PROTOCOL.intervention_event, PROTOCOL.clock)
    assert len(every) > 500
    at = run_page("pages/safety.py", files)

    def shown():
        return next(d.value for d in at.dataframe if {"onset", "serious", "relatedness"} <= set(d.value.columns))

    assert list(shown()["term"]) == list(every["term"][:500]) and f"Events 1–500 of {len(every):,}." in texts(
        at.caption
    )
    next(n for n in at.number_input if n.label == "Page (of 2, 500 events each)").set_value(2).run()
    assert list(shown()["row"]) == list(every["row"][500:])


def test_the_per_patient_changes_of_a_large_study_are_paged_and_written_as_the_sentences(files_600):
    """600 patients: each outcome's per-patient changes show 500 patients on page 1 (written by number_cells: "−2.8",
    "+0.2") and the other 100 on page 2."""
    at = run_page("pages/outcomes.py", files_600)
    boxes = [n for n in at.number_input if n.label == "Page (of 2, 500 patients each)"]
    assert len(boxes) == 2  # T-score and VAS
    assert texts(at.caption).count("Patients 1–500 of 600.") == 2

    def changes():  # the per-patient tables (the follow-up named; the charts' data tables say "followup")
        return [d.value for d in at.dataframe if {"change", "Month 6"} <= set(d.value.columns)]

    first = changes()[0]
    assert len(first) == 500 and set(first["change"]) == {"+0.2"}  # every T-score went from -3.0 to -2.8
    boxes[0].set_value(2).run()
    assert len(changes()[0]) == 100
