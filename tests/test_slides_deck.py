"""medpath.slides, what a study meeting needs besides the outcomes: the safety and data-status slides, the
before-after chart in words (visits, WHO classes, median, patients at the line ends), the Holm-adjusted p and the
Hodges–Lehmann estimate in the results table, provenance and version inside every chart, the file's properties
and the 4:3 layout; read back with python-pptx. Expected numbers come from the study's own tables."""

from __future__ import annotations

import datetime as dt
import io

import numpy as np
import pytest
from pptx import Presentation
from pptx.chart.axis import CategoryAxis
from pptx.enum.dml import MSO_FILL
from pptx.oxml.ns import qn
from pptx.util import Inches, Pt

from medpath import __version__
from medpath.analysis import analyse
from medpath.export import provenance
from medpath.outcomes import details_table
from medpath.protocol import bundled, default_protocol
from medpath.slides import MAX_LISTED, build_deck
from medpath.study import load_sample_study, load_study

WHEN = dt.datetime(2025, 1, 31, 9, 0, tzinfo=dt.UTC)


@pytest.fixture(scope="module")
def deck(analysis):
    return _deck(analysis)


def _deck(analysis, **options):
    return Presentation(io.BytesIO(build_deck(analysis, generated_at=WHEN, **options)))


def _texts(slide) -> str:
    return "\n".join(shape.text_frame.text for shape in slide.shapes if shape.has_text_frame)


def _slide(deck, title: str):
    [slide] = [s for s in deck.slides if _texts(s).startswith(title)]
    return slide


def _tables(slide):
    return [
        [[cell.text for cell in row.cells] for row in shape.table.rows] for shape in slide.shapes if shape.has_table
    ]


def _charts(deck):
    return [shape.chart for slide in deck.slides for shape in slide.shapes if shape.has_chart]


def _no_adverse_event_sheet():
    from conftest import SCREENING_HEADER, screening_row, visits_rows, xlsx_bytes

    screening = [SCREENING_HEADER, screening_row("P1"), screening_row("P2")]
    return load_study(
        [("t.xlsx", xlsx_bytes({"screening": screening, "visits": visits_rows(2)}))], protocol=default_protocol()
    )


def test_safety_slide_counts_patients_and_events_by_worst_grade_and_relatedness(deck, sample):
    events = sample.adverse_events
    relatedness = events["relatedness"].astype(object).where(events["relatedness"].notna(), "not assessed")
    slide = _slide(deck, "Safety: adverse events")
    matrix, serious = _tables(slide)
    header = matrix[0]
    assert header[0] == "CTCAE grade" and header[-1] == "any"
    assert set(relatedness) <= set(header[1:-1])
    assert [row[0].split()[0] for row in matrix[1:]] == ["1", "2", "3", "4", "5"]  # every CTCAE grade, none missing
    for row in matrix[1:]:
        grade = int(row[0].split()[0])
        for column, text in zip(header[1:], row[1:]):
            chosen = events if column == "any" else events[relatedness == column]
            n_events = int((chosen["grade"] == grade).sum())
            n_patients = int((chosen.groupby("patient_id")["grade"].max() == grade).sum())  # at their worst grade
            assert text == (f"{n_patients} ({n_events})" if n_events else "0"), (grade, column)
    assert sum(int(row[-1].split("(")[1].rstrip(")")) for row in matrix[1:] if row[-1] != "0") == len(events)

    is_serious = events["serious"].fillna(False).astype(bool)
    expected = events[is_serious].sort_values("patient_id")
    assert serious[0] == ["Patient", "Event", "CTCAE grade", "Relatedness", "Onset", "Outcome"]
    assert len(serious) - 1 == min(len(expected), MAX_LISTED) > 0
    for row, event in zip(serious[1:], expected.itertuples()):
        assert row[:2] == [event.patient_id, event.term]
        assert row[2].startswith(f"{event.grade} (") and row[3] == event.relatedness and row[5] == event.outcome
    text = _texts(slide)
    assert f"{len(events)} adverse event(s) in {events['patient_id'].nunique()} of " in text
    assert f"{int(is_serious.sum())} serious in {events.loc[is_serious, 'patient_id'].nunique()} patient(s)" in text
    notes = slide.notes_slide.notes_text_frame.text
    assert all(f"{e.patient_id}: {e.term}, " in notes for e in events.itertuples())  # every event in the notes


def test_without_an_adverse_event_sheet_the_safety_slide_says_not_supplied_never_zero():
    study = _no_adverse_event_sheet()
    assert study.adverse_events is None
    slide = _slide(_deck(analyse(study)), "Safety: adverse events")
    text = _texts(slide)
    assert "Adverse events were not supplied" in text and "not read" not in text
    assert "0 adverse event" not in text and "no serious" not in text.lower() and "not determinable" in text
    assert not _tables(slide)
    broken = load_study(
        [("broken.xlsx", b"not a workbook")], protocol=default_protocol()
    )  # it may have held adverse events: not "not supplied"
    assert "Adverse events were not read: broken.xlsx could not be read" in _texts(
        _slide(_deck(analyse(broken)), "Safety: adverse events")
    )


def test_data_status_slide_counts_findings_and_lists_what_was_left_out():
    from conftest import SCREENING_HEADER, screening_row, visits_rows, xlsx_bytes

    visits = visits_rows(6)
    visits[1][2], visits[4][3], visits[7][2] = 11, 99, 12  # impossible values: errors, each value left out
    visits[0].append("qol score x")  # a column not recognised: warnings
    for row in visits[1:]:
        row.append(3)
    screening = [SCREENING_HEADER, *(screening_row(f"P{i}") for i in range(1, 7))]
    study = load_study(
        [("t.xlsx", xlsx_bytes({"screening": screening, "visits": visits}))], protocol=default_protocol()
    )
    findings = [*study.errors, *study.warnings]
    assert len(findings) > MAX_LISTED and len(study.left_out_values) == 3
    slide = _slide(_deck(analyse(study)), "Data status")
    text = _texts(slide)
    assert text.splitlines()[0] == f"Data status: {len(study.errors)} error(s), {len(study.warnings)} warning(s)"
    assert f"Left out of the analyses: {study.left_out}." in text
    for field, outcome in study.protocol.outcomes.items():
        if field in set(study.left_out_values["field"]):
            assert f"{outcome.label}: {study.left_out_text(field)}" in text  # "P1 baseline left out (11)"
    for finding in findings[:MAX_LISTED]:  # the errors first
        assert str(finding)[:100] in text
    assert all(str(finding)[:100] not in text for finding in findings[MAX_LISTED:])
    assert "Every finding and every value left out: on the Data page and in the report." in text
    notes = slide.notes_slide.notes_text_frame.text
    assert all(str(finding) in notes for finding in findings[:MAX_LISTED])  # each in full


def test_data_status_of_the_sample_says_it_is_clean(deck, sample):
    assert not sample.findings and not sample.left_out
    text = _texts(_slide(deck, "Data status: 0 error(s), 0 warning(s)"))
    assert "Nothing was left out of the analyses." in text and "No findings: every row passed validation." in text


def test_before_after_chart_names_the_visits_shades_the_classes_and_labels_each_line(deck, analysis, sample):
    comparison = analysis.primary["bmd_tscore"]
    bands = sample.protocol.outcomes["bmd_tscore"].bands
    [chart] = [shape.chart for shape in _slide(deck, "Spine T-score: baseline and").shapes if shape.has_chart]
    area, lines = chart.plots
    visits = [comparison.baseline_visit.capitalize(), comparison.followup_visit.capitalize()]
    assert isinstance(chart.category_axis, CategoryAxis) and list(lines.categories) == visits
    assert chart.category_axis.axis_title.text_frame.text == "Visit"

    # the WHO classes, from the protocol: stacked areas from the axis minimum (not drawn), each up to its upper bound
    low, high = chart.value_axis.minimum_scale, chart.value_axis.maximum_scale
    assert low < min(bands.thresholds) and max(bands.thresholds) < high
    base, *classes = area.series
    assert base.values == (low, low) and base.format.fill.type == MSO_FILL.BACKGROUND
    tops = dict(zip((s.name.split(":")[0].lower() for s in classes), low + np.cumsum([s.values[0] for s in classes])))
    assert set(tops) == {band.label.lower() for band in bands.classes}
    for band in bands.classes:
        top = band.at_most if band.at_most is not None else high if band.at_least is not None else max(bands.thresholds)
        assert tops[band.label.lower()] == pytest.approx(top)
    assert all(s.values[0] == s.values[1] > 0 and s.format.fill.type == MSO_FILL.SOLID for s in classes)

    median, *patients = lines.series
    assert median.name == "Median" and median.values == (comparison.baseline_median, comparison.followup_median)
    pairs = comparison.changes
    assert [s.name for s in patients] == list(pairs["patient_id"])
    labelled = [
        s.points[1].data_label.text_frame.text for s in patients if s.points[1].data_label.has_text_frame
    ]  # at the line ends (the follow-up)
    assert sorted("\n".join(labelled).split("\n")) == sorted(pairs["patient_id"])  # a line each
    legend = chart.legend._element.findall(qn("c:legendEntry"))  # the patients are not in the legend
    assert sorted(int(e.find(qn("c:idx")).get("val")) for e in legend) == sorted(s.index for s in [base, *patients])


def test_results_table_has_the_holm_adjusted_p_and_the_hodges_lehmann_estimate(deck, analysis):
    [grid] = _tables(_slide(deck, "Primary outcomes"))
    rows = {row[0]: row[1:] for row in grid[1:]}
    for column, c in enumerate(analysis.primary.values()):
        shown = dict(zip(details_table(c)["measure"], details_table(c)["value"]))  # as the dashboard writes them
        interval = next(value for measure, value in shown.items() if measure.endswith("confidence interval"))
        level = next(measure for measure in shown if measure.endswith("confidence interval")).split(" confidence")[0]
        assert rows["Holm-adjusted p"][column] == shown["Holm-adjusted p"]
        estimate = f"{shown['Hodges–Lehmann estimate']} ({level} CI {interval})"
        assert rows["Hodges–Lehmann estimate (CI)"][column] == estimate


def test_every_chart_and_slide_carries_trial_file_date_and_version(deck, sample):
    files = [source.name for source in sample.sources]
    charts = _charts(deck)
    assert len(charts) == 1 + 2 * len(sample.protocol.primary_outcomes)
    for chart in charts:
        xml = chart._chartSpace.xml
        for part in (sample.protocol.id, *files, "2025-01-31", f"MedPath {__version__}", "SYNTHETIC DATA"):
            assert part in xml
    expected = f"{provenance(sample, WHEN)} · MedPath {__version__}"
    for slide in deck.slides:
        [footer] = [s for s in slide.shapes if s.has_text_frame and s.text_frame.text == expected]
        assert all(run.font.size >= Pt(12) for p in footer.text_frame.paragraphs for run in p.runs)


def test_file_properties_say_medpath_and_the_generation_time(deck, sample):
    core = deck.core_properties
    assert core.author == core.last_modified_by == f"MedPath {__version__}"
    assert core.title.startswith(sample.protocol.id)
    assert core.created == core.modified == WHEN.replace(tzinfo=None)
    assert "python-pptx" not in core.comments


@pytest.mark.parametrize(
    ("aspect", "width", "height"), [("16:9", Inches(13.333), Inches(7.5)), ("4:3", 9144000, 6858000)]
)
def test_every_shape_lies_on_the_slide_in_either_aspect(analysis, aspect, width, height):
    deck = _deck(analysis, aspect=aspect)
    assert (deck.slide_width, deck.slide_height) == (width, height)
    for slide in deck.slides:
        for shape in slide.shapes:
            assert shape.left >= 0 and shape.top >= 0, shape.name
            assert shape.left + shape.width <= width and shape.top + shape.height <= height, shape.name
            if shape.has_table:
                assert sum(column.width for column in shape.table.columns) <= shape.width


def test_an_unknown_aspect_is_refused(analysis):
    with pytest.raises(ValueError, match="16:9, 4:3"):
        build_deck(analysis, aspect="3:2")


def test_the_demo_protocols_sample_builds():
    protocol = bundled()["DEMO-KOA-PRP"]
    deck = _deck(analyse(load_sample_study(protocol)), aspect="4:3")
    titles = [_texts(s).splitlines()[0] for s in deck.slides]
    assert titles[0].startswith("DEMO-KOA-PRP") and titles[-2] == "Safety: adverse events"
    assert titles[-1].startswith("Data status")
    before_after = [
        shape.chart
        for s in deck.slides
        if ": baseline and " in _texts(s).splitlines()[0]
        for shape in s.shapes
        if shape.has_chart
    ]
    assert [list(c.plots[-1].categories) for c in before_after] == [
        ["Baseline", protocol.primary_visit.capitalize()]
    ] * len(protocol.primary_outcomes)


def test_with_more_patients_than_fit_as_labels_the_legend_names_them():
    """30 pairs: a stack of 30 labels would be taller than the plot, so no line is labelled and every patient is in
    the legend at the right (the axis minimum still not)."""
    from conftest import SCREENING_HEADER, screening_row, xlsx_bytes

    from medpath.slides import MAX_END_LABELS

    ids = [f"UCMSC-{i:03d}" for i in range(1, 31)]
    visits = [["patient_id", "visit", "bmd_tscore", "vas"]]
    for k, pid in enumerate(ids):
        visits += [[pid, "baseline", -3.5 + k / 50, 8], [pid, "month 6", -3.3 + k / 40, 5]]
    workbook = xlsx_bytes({"screening": [SCREENING_HEADER, *(screening_row(p) for p in ids)], "visits": visits})
    deck = _deck(analyse(load_study([("u.xlsx", workbook)], protocol=default_protocol())))
    [chart] = [shape.chart for shape in _slide(deck, "Spine T-score: baseline and").shapes if shape.has_chart]
    base = chart.plots[0].series[0]
    median, *patients = chart.plots[1].series
    assert len(patients) == 30 > MAX_END_LABELS
    assert not any(s.points[1].data_label.has_text_frame for s in patients)
    from pptx.enum.chart import XL_LEGEND_POSITION

    assert chart.legend.position == XL_LEGEND_POSITION.RIGHT
    legend = chart.legend._element
    assert [int(e.find(qn("c:idx")).get("val")) for e in legend.findall(qn("c:legendEntry"))] == [base.index]
