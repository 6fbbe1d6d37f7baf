"""CONSORT 2025 flow (medpath.consort), Table 1 (medpath.baseline) and the secondary outcomes with the LSC
(medpath.secondary), against counts made by hand from scripts/make_sample.py (MSC-nn = row nn of CANDIDATES)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import html
import re

import pytest
from conftest import SCREENING_HEADER, screening_row, visits_rows, xlsx_bytes

from medpath import __version__
from medpath.baseline import band_notes, baseline_table
from medpath.consort import DECLINED, NOT_MEETING, OTHER, consort_flow, stages_table
from medpath.export import footer_lines
from medpath.figures.consort import consort_figure, consort_svg, layout
from medpath.figures.style import FOOTER_MARGIN
from medpath.protocol import default_protocol
from medpath.secondary import lsc_counts, lsc_table, secondary_analysis, secondary_json
from medpath.study import load_study


@pytest.fixture(scope="module")
def flow(sample_study):
    return consort_flow(sample_study)


def test_sample_flow_matches_a_hand_count(flow):
    """Not enrolled: 25 of 30, each at the first step not passed.
    Not meeting criteria (20): age/sex 5 (men 02 (50 y), 05 (45), 17 (48); women 07 (38), 14 (40)); BMD 3 (03, 10, 18);
    disease 3 (autoimmune 11, 25; osteoporosis-related 19); medication 5 (drugs 16, 24; corticosteroid 06;
    anticoagulant 12; immunosuppressant 30; 17's steroid is counted under age); infection 3 (HBsAg 09, 26; CMV 20);
    paralysis 1 (21). Declined 2 (13, 29). Other 3: consent pending 22; rubella missing 27; eligible but not enrolled 28.
    Enrolled 01, 04, 08, 15, 23 = 5, all with visits (received), all 'completed' in the disposition sheet, all with
    baseline and month-6 T-score and VAS."""
    assert (flow.assessed, flow.excluded.n, flow.enrolled, flow.received_intervention) == (30, 25, 5, 5)
    assert flow.category_counts() == [(NOT_MEETING, 20), (DECLINED, 2), (OTHER, 3)]
    reasons = [(r.label, r.n) for r in flow.excluded.reasons]
    assert reasons == [
        ("Age: men > 50 y, women > 40 y", 5),
        ("Osteoporosis on BMD (T-score ≤ −2.5)", 3),
        ("No autoimmune / osteoporosis-related disease", 3),
        ("No excluded medication", 5),
        ("No active infection", 3),
        ("No paralysis after surgery", 1),
        ("consent declined", 2),
        ("consent pending", 1),
        ("eligibility not confirmed: No active infection (missing data)", 1),
        ("eligible, not enrolled", 1),
    ]
    assert sum(n for _, n in reasons) == flow.excluded.n  # the reasons partition the excluded
    age = flow.excluded.reasons[0]
    assert age.details == (("male ≤ 50 y", 3), ("female ≤ 40 y", 2))
    assert flow.excluded.reasons[3].details == (
        ("osteoporosis-related drugs", 2),
        ("corticosteroid", 1),
        ("anticoagulant", 1),
        ("immunosuppressant", 1),
    )
    assert (flow.lost_to_follow_up.n, flow.discontinued.n) == (0, 0)
    assert flow.analysed == {"bmd_tscore": 5, "vas": 5}
    assert flow.enrolled_ids == ("MSC-01", "MSC-04", "MSC-08", "MSC-15", "MSC-23")


def test_flow_json_keys(flow):
    data = flow.as_json()
    assert data["excluded"]["n"] == 25 and sum(r["n"] for r in data["excluded"]["reasons"]) == 25
    assert {
        "assessed",
        "excluded",
        "enrolled",
        "received_intervention",
        "lost_to_follow_up",
        "discontinued",
        "analysed",
    } <= set(data)
    assert data["lost_to_follow_up"] == {"n": 0, "reason": None, "reasons": [], "patients": []}
    assert (data["completed"], data["not_determinable"]) == (5, {})


def _losses_studies():
    """P1-P4 enrolled with visits; P3 has no month-6 row. Disposition: P1 completed, P2 withdrew (moved away),
    P3 lost (no reason), P4 died (stroke). The study with the disposition sheet, and without it."""
    visits = visits_rows(4)
    del visits[6]  # P3 month 6
    screening = [
        SCREENING_HEADER,
        *(screening_row(f"P{i}") for i in range(1, 5)),
        screening_row("S5", tscore=-1.0, enrolled="no"),
    ]
    disposition = [
        ["patient_id", "status", "reason", "date"],
        ["P1", "completed", None, None],
        ["P2", "withdrew", "moved away", None],
        ["P3", "lost to follow-up", None, None],
        ["P4", "died", "stroke", None],
    ]
    study = load_study(
        [("t.xlsx", xlsx_bytes({"screening": screening, "visits": visits, "disposition": disposition}))],
        protocol=default_protocol(),
    )
    return study, load_study(
        [("t.xlsx", xlsx_bytes({"screening": screening, "visits": visits}))], protocol=default_protocol()
    )


def test_losses_come_from_the_disposition_sheet_and_unknown_stays_unknown():
    """Without the sheet the losses are not determinable (None, with the reason), never 0."""
    study, without = _losses_studies()
    flow = consort_flow(study)
    assert (flow.assessed, flow.excluded.n, flow.enrolled) == (5, 1, 4)
    assert [(r.label, r.n) for r in flow.lost_to_follow_up.reasons] == [("reason not recorded", 1)]
    assert [(r.label, r.n) for r in flow.discontinued.reasons] == [("withdrew: moved away", 1), ("died: stroke", 1)]
    assert flow.analysed == {"bmd_tscore": 3, "vas": 3}
    assert [(r.label, r.n) for r in flow.excluded_from_analysis["vas"].reasons] == [("no month 6 visit", 1)]
    bare = consort_flow(without)
    assert bare.lost_to_follow_up.n is None and bare.discontinued.n is None and bare.no_primary_visit == ("P3",)
    assert bare.lost_to_follow_up.reason == "no disposition sheet was supplied"
    svg = consort_svg(bare)
    assert "Lost to follow-up / discontinued: not determinable" in svg and "No disposition sheet was supplied." in svg


def test_figure_and_svg_show_the_counts(flow):
    svg = consort_svg(flow)
    assert svg.startswith("<svg") and "Assessed for eligibility (n = 30)" in svg and "Excluded (n = 25)" in svg
    assert "Declined to participate (n = 2)" in svg and "Spine BMD T-score: n = 5" in svg
    texts = " ".join(a.text for a in consort_figure(flow).layout.annotations)
    assert "Enrolled (n = 5)" in texts and "Received the intervention (n = 5)" in texts
    stages = stages_table(flow)
    assert stages["n"].tolist() == [30, 25, 5, 5, 0, 0, 5, 5]


def test_baseline_table_of_the_sample(sample_study):
    """Enrolled: MSC-01 (F 63, T −3.1, VAS 7), 04 (F 71, −2.8, 6), 08 (M 67, −3.4, 7), 15 (F 64, −2.5, 6),
    23 (F 65, −3.6, 7). Age sorted 63 64 65 67 71: median 65, quartiles 64 and 67. T-score sorted −3.6 −3.4 −3.1 −2.8
    −2.5: −3.1 (−3.4 to −2.8); all ≤ −2.5: osteoporosis 5 (100 %). BMD g/cm² = 0.78 + 0.1 (T + 3): 0.77 0.80 0.74 0.83
    0.72 -> 0.77 (0.74 to 0.8). VAS 7 6 7 6 7 -> 7 (6 to 7). ROM and QoL from the generated visits sheet:
    ROM 40 38 35 38 38 -> 38 (38 to 38); QoL 48 47 56 50 52 -> 50 (48 to 52)."""
    table = baseline_table(sample_study).set_index("characteristic")
    assert list(table.index) == [
        "Age, years",
        "Sex: female",
        "Sex: male",
        "Spine BMD T-score at baseline, SD",
        "WHO class at baseline: normal",
        "WHO class at baseline: osteopenia",
        "WHO class at baseline: osteoporosis",
        "VAS pain at baseline, 0–10",
        "Spine BMD at baseline, g/cm²",
        "Range of motion at baseline, degrees",
        "Quality of life at baseline, score",
    ]  # age, sex, then each outcome in protocol order, each followed by its classes
    assert table.loc["Age, years", "summary"] == "65 (64 to 67)" and table.loc["Age, years", "n"] == 5
    assert table.loc["Sex: female", "summary"] == "4 (80 %)"
    assert table.loc["Sex: male", "values"] == "MSC-08"
    assert table.loc["Spine BMD T-score at baseline, SD", "summary"] == "−3.1 (−3.4 to −2.8)"
    assert table.loc["WHO class at baseline: osteoporosis", "summary"] == "5 (100 %)"
    assert table.loc["Spine BMD at baseline, g/cm²", "summary"] == "0.77 (0.74 to 0.8)"
    assert table.loc["VAS pain at baseline, 0–10", "summary"] == "7 (6 to 7)"
    assert table.loc["Range of motion at baseline, degrees", "summary"] == "38 (38 to 38)"
    assert table.loc["Quality of life at baseline, score", "summary"] == "50 (48 to 52)"
    assert table.loc["Age, years", "values"].startswith("MSC-01: 63; MSC-04: 71")
    assert band_notes(sample_study) == []  # every enrolled patient is 63 or older


def test_who_note_for_men_and_women_under_50():
    screening = [SCREENING_HEADER, screening_row("P1", sex="F", age=45), screening_row("P2", sex="M", age=55)]
    study = load_study(
        [("t.xlsx", xlsx_bytes({"screening": screening, "visits": visits_rows(2)}))], protocol=default_protocol()
    )
    notes = band_notes(study)
    assert len(notes) == 1 and "P1 (woman, 45 y)" in notes[0] and "P2" not in notes[0] and "Z-scores" in notes[0]
    assert notes[0].startswith("WHO class (Spine BMD T-score) is applied to P1 (woman, 45 y): for men under 50")


def test_secondary_outcomes_and_lsc(sample_study):
    """Month-6 minus baseline (generated visits): BMD g/cm² 0.80−0.77, 0.81−0.80, 0.78−0.74, 0.84−0.83, 0.75−0.72 =
    +0.03 +0.01 +0.04 +0.01 +0.03; LSC 2.77 × 0.010 = 0.0277: gain MSC-01, 08, 23 (3), stable MSC-04, 15 (2), loss 0.
    ROM changes 9 11 11 9 10, QoL 12 13 13 15 13: all positive, so W+ = 15 and the exact two-sided p = 2/32."""
    comparisons = secondary_analysis(sample_study.visits, protocol=sample_study.protocol)
    assert set(comparisons) == {"bmd_g_cm2", "rom_deg", "qol"}
    assert all(c.p_holm is None for c in comparisons.values())  # outside the Holm family
    assert comparisons["rom_deg"].changes["change"].tolist() == [9, 11, 11, 9, 10]
    assert comparisons["qol"].wilcoxon.p_value == pytest.approx(0.0625)
    lsc = default_protocol().outcomes["bmd_g_cm2"].lsc
    assert default_protocol().secondary_outcomes == ("bmd_g_cm2", "rom_deg", "qol")
    assert (lsc.factor, lsc.value) == (2.77, pytest.approx(0.0277)) and "2.77 × precision error" in lsc.note
    table = lsc_table(comparisons["bmd_g_cm2"], lsc.value)
    assert lsc_counts(lsc_table(comparisons["bmd_g_cm2"])) == {"gain": 3, "stable": 2, "loss": 0}  # default LSC
    assert table["category"].tolist() == ["gain", "stable", "gain", "stable", "gain"]
    assert lsc_counts(table) == {"gain": 3, "stable": 2, "loss": 0}
    assert table["percent_change"].tolist()[0] == pytest.approx(100 * 0.03 / 0.77)
    assert lsc_counts(lsc_table(comparisons["bmd_g_cm2"], 0.05)) == {"gain": 0, "stable": 5, "loss": 0}
    data = secondary_json(comparisons)
    assert (data["bmd_g_cm2"]["gain"], data["bmd_g_cm2"]["stable"], data["bmd_g_cm2"]["loss"]) == (3, 2, 0)
    assert data["bmd_g_cm2"]["lsc"] == pytest.approx(0.0277) and data["rom_deg"]["role"] == "secondary"


@pytest.fixture(scope="module")
def flows(flow):
    """The sample's flow, the flows with and without a disposition sheet (one excluded from an analysis), and a
    tall one (the sample's exclusion reasons four times over)."""
    study, without = _losses_studies()
    tall = dataclasses.replace(flow, excluded=dataclasses.replace(flow.excluded, reasons=flow.excluded.reasons * 4))
    return {"sample": flow, "losses": consort_flow(study), "no disposition": consort_flow(without), "tall": tall}


def _on_border(x: float, y: float, box) -> bool:
    inside = box.x0 <= x <= box.x1 and box.y0 <= y <= box.y1
    return inside and (x in (box.x0, box.x1) or y in (box.y0, box.y1))


def test_every_arrow_leaves_a_drawn_box_or_the_line_between_two_and_ends_on_a_box(flows):
    """An export drew "Excluded from the analysis" reached by an arrow from nothing (below the last box)."""
    assert flows["losses"].excluded_from_analysis["vas"].n == 1  # its side box is drawn
    for name, flow in flows.items():
        diagram = layout(flow)
        lines = [(x0, y0, y1) for x0, y0, x1, y1 in diagram.arrows if x0 == x1]  # the main column's arrows
        assert len(lines) == 3, name  # assessed -> enrolled -> received -> analysed
        for x0, y0, x1, y1 in diagram.arrows:
            on_line = any(x == x0 and top < y0 < bottom for x, top, bottom in lines)
            assert on_line or any(_on_border(x0, y0, box) for box in diagram.boxes), (name, x0, y0)
            assert any(_on_border(x1, y1, box) for box in diagram.boxes), (name, x1, y1)
    excluded = next(b for b in layout(flows["losses"]).boxes if b.lines[0] == "Excluded from the analysis")
    analysed = next(b for b in layout(flows["losses"]).boxes if b.lines[0].startswith("Analysed"))
    assert excluded.y0 == analysed.y0  # beside the last box, reached from it


def test_png_and_svg_are_landscape_and_the_svg_carries_the_footer(flows, sample_study):
    """The PNG was 1880 x 2174 (portrait) and the SVG had no footer."""
    lines = footer_lines(sample_study, dt.date(2025, 1, 31))
    assert lines == (
        "NCT04501354 · medpath_sample_study.xlsx",
        f"2025-01-31 · SYNTHETIC DATA — not real patients · MedPath {__version__}",
    )
    for name, flow in flows.items():
        fig = consort_figure(flow)
        # the Eligibility page saves it at its width and its height plus the footer's room
        assert fig.layout.width >= 4 / 3 * (fig.layout.height + FOOTER_MARGIN), name
        assert list(fig.layout.xaxis.range) == [0, 940]  # the diagram's width, stretched over the figure's
        svg = consort_svg(flow, footer=lines)
        width, height = map(float, re.search(r'viewBox="0 0 ([\d.]+) ([\d.]+)"', svg).groups())
        assert width >= 4 / 3 * height, name
        text = html.unescape(svg)
        assert all(line in text for line in lines) and "Excluded (n = " in text
    assert consort_figure(flows["tall"]).layout.width > consort_figure(flows["sample"]).layout.width  # widened
    assert "MedPath" not in consort_svg(flows["sample"])  # no footer unless given


def test_the_who_note_of_a_large_study_counts_the_patients_instead_of_naming_them():
    """Issue 28: above 30 patients the note is a count (by hand: of 40 patients, 31 women of 45 y and 4 men of 49 y)."""
    people = [("F", 45)] * 31 + [("M", 49)] * 4 + [("M", 60)] * 5
    screening = [SCREENING_HEADER, *(screening_row(f"P{i}", sex=s, age=a) for i, (s, a) in enumerate(people, 1))]
    study = load_study(
        [("t.xlsx", xlsx_bytes({"screening": screening, "visits": visits_rows(40)}))], protocol=default_protocol()
    )
    (note,) = band_notes(study)
    assert note.startswith("WHO class (Spine BMD T-score) is applied to 35 patients under 50 y (4 men, 31 women): ")
