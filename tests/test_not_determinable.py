"""Issue 23, item 6: an unknown is never a number. A count that depends on something not determinable is None with
the reason in words, everywhere it is shown (funnel, CONSORT boxes, Overview metrics, Table 1, safety, JSON, report,
slides, Word tables); "Enrolled" is the enrolment recorded; the Overview's metrics and the flow diagram are one
computation."""

from __future__ import annotations

import dataclasses
import io
import json

import pytest
from docx import Document
from pptx import Presentation
from workbooks import SCREENING_HEADER, screening_row, visits_rows, xlsx_bytes

from medpath.analysis import analyse
from medpath.baseline import table1
from medpath.consort import NOT_DETERMINED, NOT_MEETING, stages_table
from medpath.figures.consort import consort_svg
from medpath.figures.funnel import funnel_figure
from medpath.formatting import NOT_DETERMINABLE, count, count_or_reason, not_determinable, of_total
from medpath.protocol import default_protocol
from medpath.report import build_report
from medpath.safety_status import safety, safety_json, table_status
from medpath.slides import build_deck
from medpath.study import load_study
from medpath.summary import key_numbers, summarise
from medpath.word_tables import word_tables

PROTOCOL = default_protocol()
AE_UNREAD = "trial.xlsx, sheet 'AE': it could not be read (a merged header)"


def _workbook(drop: tuple[str, ...] = (), rows=None, visits=None, **sheets) -> bytes:
    header = [h for h in SCREENING_HEADER if h not in drop]
    body = [[v for h, v in zip(SCREENING_HEADER, row) if h not in drop] for row in rows]
    return xlsx_bytes({"screening": [header, *body], "visits": visits or visits_rows(4), **sheets})


def _no_sex_column():
    """Six candidates, the log has no sex column: P1-P4 enrolled (visits), P5 (35 y) and P6 (45 y) not enrolled.
    Without sex, "men > 50 y, women > 40 y" cannot be checked: P5 fails it whatever the sex (under 40), P6 is unknown."""
    rows = [screening_row(f"P{i}", age=60) for i in range(1, 5)]
    rows += [screening_row("P5", age=35, enrolled="no"), screening_row("P6", age=45, enrolled="no")]
    return load_study([("trial.xlsx", _workbook(("sex",), rows))], protocol=default_protocol())


def _no_infection_tests():
    """A legacy log without the five infection-test columns: four candidates, three enrolled with visits."""
    rows = [screening_row(f"P{i}") for i in range(1, 4)] + [screening_row("P4", enrolled="no")]
    tests = tuple(SCREENING_HEADER[11:16])
    assert tests == ("hbsag", "hiv", "cmv", "rubella", "toxoplasma")
    return load_study([("legacy.xlsx", _workbook(tests, rows, visits_rows(3)))], protocol=default_protocol())


def _screening_only():
    """A screening log and no visits table: enrolment is recorded, what needs visits is not determinable."""
    rows = [SCREENING_HEADER, screening_row("P1"), screening_row("P2"), screening_row("P3", enrolled="no")]
    return load_study([("log.xlsx", xlsx_bytes({"screening": rows}))], protocol=default_protocol())


def _sample_with_visits_unread(sample_study):
    return dataclasses.replace(sample_study, unread={"visits": "trial.xlsx, sheet 'visits 2': it could not be read"})


# --- the funnel --------------------------------------------------------------------------------------------------


def test_without_a_sex_column_the_age_step_is_not_determinable_and_enrolled_is_the_recorded_enrolment():
    study = _no_sex_column()
    analysis = analyse(study)
    steps = {s.id: s for s in analysis.eligibility.steps}
    assert steps["screened"].n == 6
    assert steps["age_sex"].n is None
    assert steps["age_sex"].reason == "no column for Sex was read from the screening log"
    for later in ("bmd_confirmed", "no_active_infection", "consented"):  # the criteria after it: not determinable
        assert steps[later].n is None and steps[later].reason.startswith("it follows 'Age: men > 50 y, women > 40 y'")
        assert (steps[later].excluded, steps[later].unknown) == ({}, 0)
    assert steps["enrolled"].n == 4  # the enrolment recorded (P1-P4), never 0
    assert steps["completed"].n == 4
    candidates = analysis.eligibility.candidates.set_index("patient_id")
    assert candidates.loc["P5", "failed"][:1] == ["age_sex"]  # 35 y fails it whatever the sex
    assert candidates.loc["P6", "unknown"] == ["age_sex"]  # 45 y: a woman would pass, a man would not
    assert candidates.loc["P1", "unknown"] == ["age_sex"]  # 60 y: not counted as passing a criterion not checked
    [deviation] = analysis.eligibility.deviations  # one sentence, not one per enrolled patient
    assert deviation.startswith("The eligibility of 4 enrolled patient(s) cannot be confirmed on 'Age: men > 50 y")


def test_the_json_funnel_gives_null_and_the_reason():
    data = json.loads(json.dumps(summarise(analyse(_no_sex_column()))))
    funnel = {s["id"]: s for s in data["funnel"]}
    assert funnel["age_sex"] == {
        "id": "age_sex",
        "label": "Age: men > 50 y, women > 40 y",
        "n": None,
        "reason": "no column for Sex was read from the screening log",
    }
    assert (funnel["screened"]["n"], funnel["enrolled"]["n"], funnel["completed"]["n"]) == (6, 4, 4)
    assert all(step["reason"] is None for step in funnel.values() if step["n"] is not None)
    assert data["screened"] == 6 and data["consort"]["enrolled"] == 4 and data["consort"]["not_determinable"] == {}


def test_a_legacy_file_without_the_infection_tests():
    study = _no_infection_tests()
    steps = {s.id: s for s in analyse(study).eligibility.steps}
    assert steps["no_excluded_medication"].n == 4  # checked: every column read
    assert steps["no_active_infection"].n is None
    assert steps["no_active_infection"].reason == (
        "no column for HBsAg test, HIV test, CMV test, rubella test or toxoplasma test was read from the screening log"
    )
    assert steps["consented"].n is None
    assert (steps["enrolled"].n, steps["completed"].n) == (3, 3)


def test_the_funnel_figure_draws_no_bar_for_a_step_not_determinable():
    fig = funnel_figure(analyse(_no_sex_column()).eligibility, trial=PROTOCOL.id)
    x = list(fig.data[0].x)
    assert x[0] == 6 and x[1] is None and x[-2:] == [4, 4]  # never a bar of 0
    boxes = {a.y: a.text.replace("<br>", " ") for a in fig.layout.annotations}
    assert boxes["Age: men > 50 y, women > 40 y"].startswith("Not determinable: no column for Sex was read")
    assert "Counted as recorded" in boxes["Enrolled"]


def test_the_enrolled_step_adds_protocol_deviations_and_keeps_the_sequential_arithmetic():
    """P2 enrolled although on a corticosteroid, P9 with visits but not in the log: both enrolled."""
    rows = [screening_row("P1"), screening_row("P2", corticosteroid="yes"), screening_row("P3", enrolled="no")]
    visits = visits_rows(2) + [["P9", "baseline", -3.0, 7], ["P9", "month 6", -2.9, 6]]
    study = load_study([("trial.xlsx", _workbook((), rows, visits))], protocol=default_protocol())
    analysis = analyse(study)
    steps = analysis.eligibility.steps
    enrolled = analysis.eligibility.step("enrolled")
    before = steps[steps.index(enrolled) - 1]
    assert (before.n, enrolled.n) == (2, 3)  # P1 and P3 pass every criterion; P1, P2 and P9 are enrolled
    assert enrolled.excluded == {"not enrolled": 1}
    assert enrolled.added == {
        "enrolled without meeting every criterion (protocol deviation)": 1,
        "with visit rows, not in the screening log": 1,
    }
    assert enrolled.n == before.n - enrolled.dropped + sum(enrolled.added.values())
    flow = analysis.flow
    assert flow.enrolled == enrolled.n and flow.enrolled_ids == ("P1", "P2", "P9")
    assert flow.assessed - flow.excluded.n + 1 == flow.enrolled  # + P9, not in the screening log


# --- CONSORT --------------------------------------------------------------------------------------------------


def test_consort_boxes_add_up_with_a_not_determinable_box():
    flow = analyse(_no_sex_column()).flow
    assert (flow.assessed, flow.excluded.n, flow.enrolled) == (6, 2, 4)
    assert flow.assessed == flow.excluded.n + flow.enrolled  # screened = excluded + enrolled
    assert [(r.category, r.label, r.n) for r in flow.excluded.reasons] == [
        (NOT_MEETING, "Age: men > 50 y, women > 40 y", 1),  # P5, under 40: fails whatever the sex
        (
            NOT_DETERMINED,
            "Age: men > 50 y, women > 40 y: could not be checked (no column for Sex was read from the screening log)",
            1,
        ),  # P6
    ]
    assert sum(r.n for r in flow.excluded.reasons) == flow.excluded.n
    svg = consort_svg(flow)
    assert "Enrolled (n = 4)" in svg and "Reason not determinable (n = 1)" in svg


def test_without_visits_received_and_completed_are_not_determinable_never_0():
    analysis = analyse(_screening_only())
    flow = analysis.flow
    assert (flow.assessed, flow.enrolled, flow.excluded.n) == (3, 2, 1)
    assert flow.received_intervention is None and flow.not_received.n is None  # not "did not receive it: 2"
    assert flow.completed is None
    assert "visit" in flow.reasons["received_intervention"] and "visit" in flow.reasons["completed"]
    stages = stages_table(flow).set_index("stage")
    assert stages.loc["Received the intervention", "reasons"].startswith("not determinable: ")
    numbers = key_numbers(analysis)
    assert (numbers.screened, numbers.enrolled, numbers.completed) == (3, 2, None)
    assert numbers.reasons["completed"] == flow.reasons["completed"]


def test_a_visits_table_not_read_whole_makes_completed_and_received_not_determinable(sample_study):
    flow = analyse(_sample_with_visits_unread(sample_study)).flow
    assert (flow.assessed, flow.enrolled) == (30, 5)  # the screening log records both
    assert flow.completed is None and flow.received_intervention is None
    assert (
        flow.reasons["completed"]
        == flow.reasons["received_intervention"]
        == ("trial.xlsx, sheet 'visits 2': it could not be read")
    )
    assert flow.as_json()["not_determinable"]["completed"].startswith("trial.xlsx")


def test_a_disposition_sheet_not_read_leaves_the_losses_not_determinable(sample_study):
    study = dataclasses.replace(sample_study, unread={"disposition": "trial.xlsx, sheet 'status akhir': unreadable"})
    assert table_status(study, "disposition").status == "not read"
    flow = analyse(study).flow
    assert flow.lost_to_follow_up.n is None and flow.discontinued.n is None and not flow.disposition_recorded
    assert flow.lost_to_follow_up.reason == "trial.xlsx, sheet 'status akhir': unreadable"
    assert flow.received_intervention is None  # the sheet may say who did not receive it


def test_nothing_records_the_enrolment():
    """Neither a screening log nor visit rows: enrolled, and all that hangs on it, is not determinable."""
    analysis = analyse(load_study([("broken.xlsx", b"not a workbook")], protocol=default_protocol()))
    flow = analysis.flow
    assert flow.enrolled is None and flow.completed is None and flow.assessed is None
    assert flow.reasons["enrolled"] == "no screening log was read, and no visit rows were read"
    table = table1(analysis.study, flow)
    assert table["n"].isna().all() and table["summary"].str.startswith("not determinable").all()


# --- one computation: the Overview's metrics, the flow diagram and the funnel agree ------------------------------


def _studies(sample_study):
    return {
        "sample": sample_study,
        "no sex column": _no_sex_column(),
        "no infection tests": _no_infection_tests(),
        "no visits read": _screening_only(),
        "visits not read whole": _sample_with_visits_unread(sample_study),
        "visits only": load_study(
            [("visits.xlsx", xlsx_bytes({"visits": visits_rows(3)}))], protocol=default_protocol()
        ),
        "nothing read": load_study([("broken.xlsx", b"not a workbook")], protocol=default_protocol()),
    }


@pytest.mark.parametrize(
    "name",
    [
        "sample",
        "no sex column",
        "no infection tests",
        "no visits read",
        "visits not read whole",
        "visits only",
        "nothing read",
    ],
)
def test_overview_metrics_flow_diagram_and_funnel_agree(name, sample_study):
    analysis = analyse(_studies(sample_study)[name])
    numbers, flow, eligibility = key_numbers(analysis), analysis.flow, analysis.eligibility
    assert (numbers.screened, numbers.enrolled, numbers.completed) == (flow.assessed, flow.enrolled, flow.completed)
    for step, number in (
        ("screened", numbers.screened),
        ("enrolled", numbers.enrolled),
        ("completed", numbers.completed),
    ):
        funnel = eligibility.step(step)
        if funnel is not None:
            assert funnel.n == number, step
    for key in ("screened", "enrolled", "completed"):  # every unknown has its reason
        if getattr(numbers, key) is None:
            assert numbers.reasons[key], key
    svg = consort_svg(flow)
    assert f"Enrolled ({'n = ' + str(flow.enrolled) if flow.enrolled is not None else NOT_DETERMINABLE})" in svg


# --- safety --------------------------------------------------------------------------------------------------------


def test_an_unread_adverse_event_sheet_gives_null_numbers_with_the_reason(sample_study):
    study = dataclasses.replace(sample_study, unread={"adverse_events": AE_UNREAD})
    assert study.adverse_events is not None  # some rows were read, but not the whole table
    harms = safety(study)
    assert not harms.read and harms.events is None and harms.summary is None
    data = json.loads(json.dumps(summarise(analyse(study))))
    assert data["adverse_events"] == {
        "status": "not read",
        "reason": AE_UNREAD,
        "events": None,
        "patients": None,
        "serious": None,
        "serious_patients": None,
        "by_grade_relatedness": None,
    }


def test_adverse_events_read_and_not_supplied(sample_study):
    read = safety_json(sample_study)
    assert (read["status"], read["reason"], read["events"], read["serious"]) == ("read", None, 7, 1)
    bare = dataclasses.replace(sample_study, adverse_events=None)
    assert safety_json(bare) == {
        "status": "not supplied",
        "reason": "no adverse-event sheet was supplied",
        **dict.fromkeys(("events", "patients", "serious", "serious_patients", "by_grade_relatedness")),
    }
    broken = load_study([("broken.xlsx", b"not a workbook")], protocol=default_protocol())  # it may have held one
    assert table_status(broken, "adverse_events").status == "not read"


def test_report_slides_and_word_tables_say_the_adverse_events_were_not_read(sample_study):
    study = dataclasses.replace(sample_study, unread={"adverse_events": AE_UNREAD})
    analysis = analyse(study)
    said = "Adverse events were not read: trial.xlsx, sheet &#x27;AE&#x27;"
    report = build_report(analysis)
    section = report[report.index('<section id="adverse-events">') :]
    section = section[: section.index("</section>")]
    assert said in section and "not determinable" in section
    assert "adverse event(s) in" not in section and "serious" not in section.replace("not the same", "")
    deck = Presentation(io.BytesIO(build_deck(analysis)))
    safety_slide = next(
        s for s in deck.slides if any("Safety" in sh.text_frame.text for sh in s.shapes if sh.has_text_frame)
    )
    text = " ".join(sh.text_frame.text for sh in safety_slide.shapes if sh.has_text_frame)
    assert "Adverse events were not read: trial.xlsx, sheet 'AE'" in text and "0 adverse" not in text
    assert not any(sh.has_table for sh in safety_slide.shapes)
    document = Document(io.BytesIO(word_tables(analysis)))
    words = "\n".join(p.text for p in document.paragraphs)
    assert "Adverse events were not read: trial.xlsx, sheet 'AE'" in words
    assert "No adverse event is recorded as serious" not in words


# --- the shared formatter ------------------------------------------------------------------------------------------


def test_the_formatter_never_writes_an_unknown_as_0():
    assert (count(0), count(5), count(None)) == ("0", "5", "not determinable")
    assert count_or_reason(None, "no screening log was read") == "not determinable: no screening log was read"
    assert count_or_reason(3, "ignored when known") == "3"
    assert not_determinable(None) == NOT_DETERMINABLE
    assert (of_total(4, 5), of_total(4, None)) == ("4 of 5", "4 (of a total that is not determinable)")


def test_table_1_says_why_a_characteristic_is_not_determinable():
    analysis = analyse(_no_sex_column())
    table = table1(analysis.study, analysis.flow).set_index("characteristic")
    assert table.loc["Sex", "summary"] == "not determinable: no column for Sex was read from the screening log"
    assert table["n"].isna().loc["Sex"] and table.loc["Age, years", "n"] == 4


def test_summary_json_of_an_unread_adverse_event_sheet_is_null_with_an_error_naming_the_sheet(tmp_path, capsys):
    """The issue's "done when": an adverse-event sheet that cannot be read (here: no grade column) gives
    ``adverse_events`` numbers null, status "not read" and a reason naming the file and the sheet."""
    from medpath.cli import main

    rows = [screening_row(f"P{i}") for i in range(1, 4)]
    events = [["patient_id", "term", "serious"], ["P1", "Fever", "no"]]
    path = tmp_path / "trial.xlsx"
    path.write_bytes(_workbook((), rows, visits_rows(3), adverse_events=events))
    assert main(["summary", "--json", str(path)]) == 2  # an error finding
    data = json.loads(capsys.readouterr().out)
    harms = data["adverse_events"]
    assert harms["status"] == "not read" and "trial.xlsx" in harms["reason"] and "adverse_events" in harms["reason"]
    assert all(harms[k] is None for k in ("events", "patients", "serious", "serious_patients", "by_grade_relatedness"))
    assert any(f["severity"] == "error" and f["sheet"] == "adverse_events" for f in data["findings"])


def test_report_slides_and_word_tables_of_a_study_without_a_sex_column():
    analysis = analyse(_no_sex_column())
    report = build_report(analysis)
    assert "<dt>Enrolled</dt><dd>4</dd>" in report and "<dt>Screened</dt><dd>6</dd>" in report
    assert "is not determinable: no column for Sex was read from the screening log" in report
    deck = Presentation(io.BytesIO(build_deck(analysis)))
    flow_slide = next(s for s in deck.slides if any(sh.has_chart for sh in s.shapes))
    chart = next(sh.chart for sh in flow_slide.shapes if sh.has_chart)
    categories = list(chart.plots[0].categories)
    assert "Age: men > 50 y, women > 40 y: not determinable" in categories
    values = dict(zip(categories, chart.plots[0].series[0].values))
    assert values["Enrolled"] == 4 and values["Age: men > 50 y, women > 40 y: not determinable"] is None
    document = Document(io.BytesIO(word_tables(analysis)))
    flow = next(t for t in document.tables if t.rows[0].cells[0].text == "Stage")
    rows = {r.cells[0].text: (r.cells[1].text, r.cells[2].text) for r in flow.rows[1:]}
    eligible = rows["Eligible (met every eligibility criterion)"]
    assert eligible[0] == NOT_DETERMINABLE and "Sex" in eligible[1]
    assert rows["Enrolled"][0] == "4" and rows["Excluded before enrolment"][0] == "2"
