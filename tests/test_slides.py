"""medpath.slides: the deck opens with python-pptx and holds the expected slides, native charts with the
study's numbers, a real results table and the caveats in the speaker notes; the Word tables open with
python-docx."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from pptx import Presentation
from pptx.enum.chart import XL_CHART_TYPE
from pptx.util import Inches

from medpath.analysis import Settings, analyse
from medpath.cli import main
from medpath.figures.style import patient_colours
from medpath.outcomes import primary_analysis, summary_table
from medpath.protocol import default_protocol
from medpath.slides import build_deck
from medpath.study import load_study
from medpath.wording import plain_sentence

WHEN = dt.datetime(2025, 1, 31, 9, 0, tzinfo=dt.UTC)


@pytest.fixture(scope="module")
def deck(sample):
    return Presentation(io.BytesIO(build_deck(analyse(sample), generated_at=WHEN)))


def _texts(slide) -> str:
    return "\n".join(shape.text_frame.text for shape in slide.shapes if shape.has_text_frame)


def _charts(slide):
    return [shape.chart for shape in slide.shapes if shape.has_chart]


def test_deck_is_16_to_9_with_title_flow_two_slides_per_outcome_results_safety_and_data_status(deck, sample):
    assert (deck.slide_width, deck.slide_height) == (Inches(13.333), Inches(7.5))
    titles = [_texts(s).splitlines()[0] for s in deck.slides]
    assert titles == [
        "NCT04501354: umbilical-cord MSC in osteoporosis",
        "Screening and enrolment flow — NCT04501354",
        "Spine T-score: each patient over time (n = 5)",
        "Spine T-score: baseline and month 6 (n = 5 pairs)",
        "VAS pain: each patient over time (n = 5)",
        "VAS pain: baseline and month 6 (n = 5 pairs)",
        "Primary outcomes: baseline vs month 6",
        "Safety: adverse events",
        f"Data status: {len(sample.errors)} error(s), {len(sample.warnings)} warning(s)",
    ]


def test_every_slide_names_trial_file_date_and_the_synthetic_mark(deck):
    footer = "NCT04501354 · medpath_sample_study.xlsx · 2025-01-31 · SYNTHETIC DATA — not real patients"
    for slide in deck.slides:
        assert footer in _texts(slide)
    assert "SYNTHETIC DATA — not real patients" in _texts(deck.slides[0]).splitlines()
    assert "Data: medpath_sample_study.xlsx" in _texts(deck.slides[0])


def test_charts_are_native_with_the_studys_values(deck, sample):
    [flow] = _charts(deck.slides[1])
    assert flow.chart_type == XL_CHART_TYPE.BAR_CLUSTERED
    assert flow.plots[0].categories[-1] == "Screened" and flow.series[0].values[-1] == 30  # first step on top

    [lines] = _charts(deck.slides[2])
    assert lines.chart_type == XL_CHART_TYPE.LINE_MARKERS
    assert list(lines.plots[0].categories) == ["Baseline", "Month 3", "Month 6"]
    series = {s.name: s for s in lines.series}
    assert set(series) == set(sample.patient_ids)
    assert series["MSC-01"].values == (-3.1, -3.0, -2.8)
    assert series["MSC-23"].values == (-3.6, None, -3.3)  # the missed month 3: a gap, not interpolated
    colour = patient_colours(sample.patient_ids)["MSC-01"]
    assert str(series["MSC-01"].format.line.color.rgb) == colour.lstrip("#")

    [pairs] = _charts(deck.slides[5])
    assert pairs.chart_type == XL_CHART_TYPE.LINE  # the visits on a category axis; the median first, no markers
    assert list(pairs.plots[0].categories) == ["Baseline", "Month 6"]
    vas = {s.name: s for s in pairs.series}
    assert vas["MSC-04"].values == (6.0, 6.0) and vas["MSC-08"].values == (7.0, 3.0)  # y values of the pairs


def test_plain_sentences_on_the_outcome_slides_and_caveats_in_the_notes(deck, sample):
    results = primary_analysis(sample.visits, protocol=sample.protocol)
    assert plain_sentence(results["bmd_tscore"]) in _texts(deck.slides[2])
    assert plain_sentence(results["vas"]) in _texts(deck.slides[5])
    for slide in list(deck.slides)[2:7]:  # the outcome slides and the results
        notes = slide.notes_slide.notes_text_frame.text
        assert "not evidence of no effect" in notes
    assert "Hodges–Lehmann estimate +0.25" in deck.slides[6].notes_slide.notes_text_frame.text


def test_results_table_is_a_real_table(deck, sample):
    [shape] = [s for s in deck.slides[6].shapes if s.has_table]
    grid = shape.table
    rows = [[grid.cell(i, j).text for j in range(3)] for i in range(len(grid.rows))]
    assert rows[0] == ["Measure", "Spine T-score", "VAS pain"]
    expected = {k: summary_table(c) for k, c in primary_analysis(sample.visits, protocol=sample.protocol).items()}
    assert [r[0] for r in rows[1:-2]] == list(expected["bmd_tscore"]["measure"])
    assert [r[0] for r in rows[-2:]] == ["Holm-adjusted p", "Hodges–Lehmann estimate (CI)"]
    assert rows[4] == ["Median change (range)", "+0.3 (+0.1 to +0.4)", "−2 (−4 to 0)"]
    assert rows[5] == ["Up / down / unchanged", "5 / 0 / 0", "0 / 4 / 1"]


def test_deck_follows_the_chosen_direction_and_patients(sample):
    deck = Presentation(
        io.BytesIO(build_deck(analyse(sample, Settings(alternative="expected")), patients=["MSC-04", "MSC-15"]))
    )
    [lines] = _charts(deck.slides[2])
    assert [s.name for s in lines.series] == ["MSC-04", "MSC-15"]
    assert "no one-sided test can reach p < 0.025" in _texts(deck.slides[2])


def test_patient_ids_stay_text_and_a_study_without_visits_still_gets_a_deck():
    from conftest import SCREENING_HEADER, screening_row, visits_rows, xlsx_bytes

    visits = visits_rows(2)
    for row in visits[1:]:
        row[0] = {"P1": "P1\u202e", "P2": "<b>P2</b>"}[row[0]]
    screening = [SCREENING_HEADER, screening_row("P1\u202e"), screening_row("<b>P2</b>")]
    study = load_study(
        [("t.xlsx", xlsx_bytes({"screening": screening, "visits": visits}))], protocol=default_protocol()
    )
    deck = Presentation(io.BytesIO(build_deck(analyse(study))))
    names = {s.name for s in _charts(deck.slides[2])[0].series}
    assert names == {"P1⟨U+202E⟩", "<b>P2</b>"}
    empty = load_study([("broken.xlsx", b"not a workbook")], protocol=default_protocol())
    titles = [s.shapes[0].text_frame.text for s in Presentation(io.BytesIO(build_deck(analyse(empty)))).slides]
    status = f"Data status: {len(empty.errors)} error(s), {len(empty.warnings)} warning(s)"
    assert titles[1:] == ["Safety: adverse events", status]  # what was not read, said


def test_cli_writes_the_deck(tmp_path, capsys):
    output = tmp_path / "deck.pptx"
    assert main(["slides", "--sample", "-o", str(output)]) == 0
    assert "wrote" in capsys.readouterr().out
    assert len(Presentation(str(output)).slides) == 9


def _dotted_points(series) -> dict[int, object]:
    """Index -> dash style of the points formatted on their own (read from the XML, without adding any)."""
    from pptx.oxml.ns import qn

    return {
        int(dpt.find(qn("c:idx")).get("val")): series.points[
            int(dpt.find(qn("c:idx")).get("val"))
        ].format.line.dash_style
        for dpt in series._element.findall(qn("c:dPt"))
    }


def test_a_missed_visit_is_bridged_by_a_dotted_segment_and_no_value(deck, sample):
    """MSC-23 missed month 3 (VAS and T-score): its series keeps the empty point (no value, no marker), the chart
    spans empty points, and the one segment that crosses the missed visit (formatted by the point it leads to:
    month 6) is dotted in MSC-23's colour; every other segment and patient stays solid."""
    from pptx.enum.dml import MSO_LINE_DASH_STYLE
    from pptx.oxml.ns import qn

    colour = patient_colours(sample.patient_ids)["MSC-23"].lstrip("#")
    for index, values, month_6 in ((4, (7.0, 7.0, None, 5.0), 3), (2, (-3.6, None, -3.3), 2)):
        [lines] = _charts(deck.slides[index])
        assert lines._chartSpace.chart.find(qn("c:dispBlanksAs")).get("val") == "span"
        series = {s.name: s for s in lines.series}
        assert len(series) == 5  # no extra series: the data sheet holds only the values measured
        assert series["MSC-23"].values == values
        assert _dotted_points(series["MSC-23"]) == {month_6: MSO_LINE_DASH_STYLE.ROUND_DOT}
        dotted = series["MSC-23"].points[month_6].format.line
        assert str(dotted.color.rgb) == colour and dotted.width == series["MSC-23"].format.line.width
        assert series["MSC-23"].format.line.dash_style is None  # the rest of its line is solid
        assert all(not _dotted_points(s) for name, s in series.items() if name != "MSC-23")
    notes = deck.slides[4].notes_slide.notes_text_frame.text
    assert "dotted stretch of a line bridges a missed visit" in notes and "no value is interpolated" in notes


def test_a_patient_who_missed_nothing_gets_no_dotted_segment(sample):
    deck = Presentation(io.BytesIO(build_deck(analyse(sample), patients=["MSC-01", "MSC-08"])))
    [lines] = _charts(deck.slides[4])
    assert [s.values for s in lines.series] == [(7.0, 6.0, 5.0, 4.0), (7.0, 6.0, 4.0, 3.0)]
    assert all(not _dotted_points(s) for s in lines.series)


def test_cli_writes_a_four_by_three_deck(tmp_path):
    output = tmp_path / "deck.pptx"
    assert main(["slides", "--sample", "--aspect", "4:3", "-o", str(output)]) == 0
    deck = Presentation(str(output))
    assert (deck.slide_width, deck.slide_height) == (9144000, 6858000)
