"""medpath.word_tables: the Word results tables read back with python-docx — the page size (A4 by default, Letter on
request), the running header and footer with a PAGE field, header rows that repeat and rows that never split, the
flow, Table 1, the primary results and the adverse events with the numbers the core computes, "not determinable"
(never 0) where the data cannot say, true document properties, and the ``medpath tables`` command.

The expected values come from the core (``medpath.analysis.analyse`` and the modules it uses) or from the hand counts
of the bundled sample made in tests/test_cli.py (funnel), tests/test_cli_paper.py and tests/test_adverse_events.py
(Table 1, adverse events)."""

from __future__ import annotations

import datetime as dt
import io
import re
import time

import pytest
from conftest import SCREENING_HEADER, screening_row, visits_rows, xlsx_bytes
from docx import Document
from docx.oxml.ns import qn
from docx.table import Table
from docx.text.paragraph import Paragraph

from medpath import __version__
from medpath.adverse_events import ae_summary, grade_relatedness_matrix, grade_relatedness_table, listing
from medpath.analysis import analyse
from medpath.baseline import baseline_table
from medpath.cli import main
from medpath.formatting import NOT_DETERMINABLE
from medpath.inert import reveal_controls
from medpath.outcomes import details_table, summary_table
from medpath.protocol import bundled, default_protocol
from medpath.study import load_sample_study, load_study
from medpath.summary import key_numbers
from medpath.word_tables import word_tables, word_tables_filename
from medpath.wording import plain_sentence

WHEN = dt.datetime(2025, 1, 31, 9, 0, tzinfo=dt.UTC)
FLOW_HEADER = ["Stage", "n", "Notes and reasons"]
TABLE_1_HEADER = ["Characteristic", "n", "Median (IQR) or n (%)", "Patients' values"]


@pytest.fixture(scope="module")
def document(analysis):
    return Document(io.BytesIO(word_tables(analysis, generated_at=WHEN)))


def _rows(table: Table) -> list[list[str]]:
    return [[cell.text for cell in row.cells] for row in table.rows]


def _table(document, header: list[str]) -> list[list[str]]:
    """The rows (header first) of the one table with this header."""
    found = [_rows(t) for t in document.tables if _rows(t)[0] == header]
    assert len(found) == 1, header
    return found[0]


def _tables_after(document, heading: str) -> list[list[list[str]]]:
    """The tables between the heading ``heading`` and the next heading of the same or a higher level."""
    body = document.element.body
    found, inside, level = [], False, None
    for element in body.iterchildren():
        if element.tag == qn("w:p"):
            paragraph = Paragraph(element, document)
            style = paragraph.style.name if paragraph.style is not None else ""
            match = re.fullmatch(r"Heading (\d)", style)
            if match:
                if paragraph.text == heading:
                    inside, level = True, int(match.group(1))
                elif inside and level is not None and int(match.group(1)) <= level:
                    break
        elif element.tag == qn("w:tbl") and inside:
            found.append(_rows(Table(element, document)))
    return found


def _text(document) -> str:
    return "\n".join(p.text for p in document.paragraphs)


def _header_footer(document) -> tuple[str, str]:
    section = document.sections[0]
    return (
        "\n".join(p.text for p in section.header.paragraphs),
        "\n".join(p.text for p in section.footer.paragraphs),
    )


# --- the page -------------------------------------------------------------------------------------------------------


def test_a4_by_default_and_letter_on_request(analysis, document):
    section = document.sections[0]
    assert len(document.sections) == 1
    assert abs(section.page_width.mm - 210) < 1 and abs(section.page_height.mm - 297) < 1
    assert all(15 <= m.mm <= 25 for m in (section.left_margin, section.right_margin, section.top_margin))
    letter = Document(io.BytesIO(word_tables(analysis, generated_at=WHEN, paper="Letter"))).sections[0]
    assert abs(letter.page_width.inches - 8.5) < 0.01 and abs(letter.page_height.inches - 11) < 0.01
    with pytest.raises(ValueError, match="A4, Letter"):
        word_tables(analysis, paper="B5")


def test_every_page_has_the_trial_the_file_the_date_the_version_and_page_numbers(sample, document):
    section = document.sections[0]
    assert not section.different_first_page_header_footer  # the same header and footer on page 1 too
    header, footer = _header_footer(document)
    protocol = sample.protocol
    assert protocol.id == "NCT04501354" and protocol.id in header and protocol.short_title in header
    assert "SYNTHETIC DATA" in header  # the sample is synthetic
    assert sample.sources[0].name == "medpath_sample_study.xlsx"
    assert sample.sources[0].name in footer and sample.label in footer
    assert "2025-01-31" in footer and f"MedPath {__version__}" in footer
    fields = [t.text.strip() for t in section.footer._element.iter(qn("w:instrText"))]
    assert fields == ["PAGE", "NUMPAGES"]
    assert re.search(r"Page 1 of 1$", footer)  # the fields' cached results; Word and LibreOffice recompute them
    header_fields = list(section.header._element.iter(qn("w:instrText")))
    assert not header_fields


def test_every_header_row_repeats_no_row_splits_and_headings_stay_with_their_tables(document):
    body = list(document.element.body.iterchildren())
    tables = [e for e in body if e.tag == qn("w:tbl")]
    assert len(tables) >= 10
    for element in tables:
        rows = element.findall(qn("w:tr"))
        for i, row in enumerate(rows):
            properties = row.find(qn("w:trPr"))
            assert properties is not None and properties.find(qn("w:cantSplit")) is not None
            assert (properties.find(qn("w:tblHeader")) is not None) == (i == 0)
        before = body[body.index(element) - 1]
        assert before.tag == qn("w:p") and Paragraph(before, document).paragraph_format.keep_with_next
        table = Table(element, document)
        kept = [all(p.paragraph_format.keep_with_next for c in r.cells for p in c.paragraphs) for r in table.rows]
        assert kept == [True] * (len(rows) - 1) + [False]  # each (short) table kept whole, on one page


# --- the content ----------------------------------------------------------------------------------------------------


def test_sections_in_order(document):
    headings = [p.text for p in document.paragraphs if p.style is not None and p.style.name == "Heading 1"]
    assert headings == [
        "1. Participant flow (CONSORT 2025)",
        "2. Baseline characteristics (Table 1)",
        "3. Primary outcomes: baseline vs month 6",
        "4. Adverse events",
        "Caveats",
    ]


def test_flow_counts_are_the_cores(analysis, document):
    rows = {stage: (n, notes) for stage, n, notes in _table(document, FLOW_HEADER)[1:]}
    flow, eligibility = analysis.flow, analysis.eligibility
    funnel = {step.id: step.n for step in eligibility.steps}
    # the hand count of tests/test_cli.py: 30 screened, 6 consented (the funnel's last criterion), 5 enrolled
    assert (funnel["screened"], funnel["consented"], funnel["enrolled"]) == (30, 6, 5)
    assert rows["Screened (assessed for eligibility)"][0] == str(flow.assessed) == "30"
    assert rows["Excluded before enrolment"][0] == str(flow.excluded.n) == "25"
    assert (
        "Not meeting eligibility criteria: 20; Declined to participate: 2; Other reasons: 3"
        in (rows["Excluded before enrolment"][1])
    )
    assert rows["Eligible (met every eligibility criterion)"][0] == str(funnel["consented"])
    assert rows["Enrolled"][0] == str(flow.enrolled) == "5"
    assert rows["Received the intervention"][0] == str(flow.received_intervention)
    assert rows["Lost to follow-up"][0] == str(flow.lost_to_follow_up.n)  # recorded on the disposition sheet
    completed = "Completed month 6 (enrolled, with a month 6 primary outcome value)"
    assert rows[completed][0] == str(key_numbers(analysis).completed) == str(funnel["completed"])
    for key, n in flow.analysed.items():
        label = analysis.primary[key].meta.label
        assert rows[f"Analysed: {label} (baseline and month 6 both measured)"][0] == str(n)
    assert set(flow.analysed) == {"bmd_tscore", "vas"}


def test_table_1_is_the_cores(analysis, document, sample):
    rows = _table(document, TABLE_1_HEADER)[1:]
    expected = baseline_table(sample, list(analysis.flow.enrolled_ids))
    assert rows == [[r.characteristic, str(r.n), r.summary, r.values or "–"] for r in expected.itertuples(index=False)]
    assert ["Age, years", "5", "65 (64 to 67)"] == rows[0][:3]  # tests/test_cli_paper.py's hand count
    assert rows[1][:3] == ["Sex: female", "5", "4 (80 %)"]


def test_primary_results_are_the_cores(analysis, document):
    text = _text(document)
    for comparison in analysis.primary.values():
        assert plain_sentence(comparison) in text
        main_table, details, changes = _tables_after(document, comparison.meta.label)
        assert main_table[1:] == [[m, v] for m, v in summary_table(comparison).itertuples(index=False)]
        assert details[1:] == [list(row) for row in details_table(comparison).itertuples(index=False)]
        assert changes[0] == ["Patient", "Baseline", "Month 6", "Change"]
        assert [row[0] for row in changes[1:]] == comparison.changes["patient_id"].tolist()
        assert [float(row[3].replace("−", "-")) for row in changes[1:]] == pytest.approx(
            comparison.changes["change"].tolist()
        )
    bmd = _tables_after(document, "Spine BMD T-score")
    assert bmd[0][4] == ["Median change (range)", "+0.3 (+0.1 to +0.4)"]
    assert bmd[2][1] == ["MSC-01", "−3.1", "−2.8", "+0.3"]


def test_adverse_events_are_the_cores(sample, document):
    events = sample.adverse_events
    summary = ae_summary(events)
    assert summary is not None and (summary["events"], summary["serious"]) == (7, 1)  # the sample's hand count
    text = _text(document)
    assert f"{summary['events']} adverse event(s) in {summary['patients']} of 5 enrolled patient(s); 1 serious" in text
    by_grade, serious, every = _tables_after(document, "4. Adverse events")
    matrix = grade_relatedness_matrix(grade_relatedness_table(events))
    assert by_grade == [list(matrix.columns), *(list(row) for row in matrix.itertuples(index=False))]
    assert by_grade[3][0] == "3 (severe)" and by_grade[3][-1] == "1 (1)"
    listed = listing(events)
    serious_events = listed[listed["serious"] == "yes"]
    assert serious[0] == ["Patient", "Event", "Onset", "CTCAE grade", "Relatedness", "Outcome", "Row"]
    assert [row[:4] for row in serious[1:]] == [
        [r.patient_id, r.term, r.onset, r.grade] for r in serious_events.itertuples(index=False)
    ]
    assert serious[1][1:4] == ["Pneumonia", "month 4", "3 (severe)"]
    assert len(every) - 1 == summary["events"]
    assert [row[1] for row in every[1:]] == listed["term"].tolist()
    assert "Adverse events were not" not in text


def test_what_the_data_cannot_say_is_not_determinable_never_0(tmp_path):
    """Visits only: no screening log, no disposition sheet, no adverse-event sheet."""
    study = load_study([("visits.xlsx", xlsx_bytes({"visits": visits_rows(3)}))], protocol=default_protocol())
    assert study.screening is None and study.disposition is None and study.adverse_events is None
    analysis = analyse(study)
    document = Document(io.BytesIO(word_tables(analysis, generated_at=WHEN)))
    rows = {stage: (n, notes) for stage, n, notes in _table(document, FLOW_HEADER)[1:]}
    for stage, why in (
        ("Screened (assessed for eligibility)", "no screening log"),
        ("Eligible (met every eligibility criterion)", "eligibility was not assessed"),
        ("Lost to follow-up", "no disposition sheet"),
        ("Discontinued (withdrew, died)", "no disposition sheet"),
    ):
        assert rows[stage][0] == NOT_DETERMINABLE and why in rows[stage][1], stage
    assert rows["Enrolled"][0] == str(analysis.flow.enrolled) == "3"
    text = _text(document)
    assert "Adverse events were not supplied: no adverse-event sheet was read" in text
    assert not re.search(r"\b0 (adverse )?events?\b", text)
    header, footer = _header_footer(document)
    assert "SYNTHETIC" not in header + text and "visits.xlsx" in footer


def test_an_unreadable_file_gives_a_document_that_says_so():
    study = load_study([("broken.xlsx", b"not a workbook")], protocol=default_protocol())
    document = Document(io.BytesIO(word_tables(analyse(study), generated_at=WHEN)))
    rows = _table(document, FLOW_HEADER)[1:]
    assert all(n == NOT_DETERMINABLE for _, n, _ in rows)  # not one count written as 0
    assert "Data checks: 1 error(s)" in _text(document)
    assert "Table 1 is not determinable" in _text(document)
    assert not [t for t in document.tables if _rows(t)[0] == TABLE_1_HEADER]


@pytest.fixture
def jakarta_time(monkeypatch):
    """The process's local time zone is UTC+7 (Asia/Jakarta) for the test."""
    monkeypatch.setenv("TZ", "Asia/Jakarta")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


def test_document_properties_are_true(analysis, jakarta_time):
    when = dt.datetime(2025, 1, 31, 10, 30, tzinfo=dt.timezone(dt.timedelta(hours=1)))
    document = Document(io.BytesIO(word_tables(analysis, generated_at=when)))
    properties = document.core_properties
    assert properties.author == f"MedPath {__version__}"
    assert properties.last_modified_by == "MedPath"
    assert properties.created == properties.modified == dt.datetime(2025, 1, 31, 9, 30, tzinfo=dt.UTC)
    assert properties.title == "NCT04501354: results tables"
    assert "python-docx" not in properties.comments
    assert "2025-01-31" in _header_footer(document)[1]  # 16:30 in Jakarta, the same day


def test_uploaded_text_stays_plain_text_and_the_only_fields_are_the_page_numbers():
    link = 'HYPERLINK "https://evil.example" { PAGE }'  # a field's instruction, as text
    bidi = "P\u202e1"
    anchor = '<a href="https://evil.example">x</a>'
    file_name = "<a href='https:evil.example'>x\u202e.xlsx"
    visits = visits_rows(3)
    visits[1][0] = visits[2][0] = bidi
    visits[3][0] = visits[4][0] = anchor
    events = [["patient_id", "term", "onset", "grade", "serious", "relatedness", "outcome"]]
    events.append([bidi, link, "month 1", 3, "yes", "unrelated", "recovered"])
    study = load_study(
        [(file_name, xlsx_bytes({"visits": visits, "adverse_events": events}))], protocol=default_protocol()
    )
    data = word_tables(analyse(study), generated_at=WHEN)
    document = Document(io.BytesIO(data))
    cells = {cell.text for table in document.tables for row in table.rows for cell in row.cells}
    assert {reveal_controls(bidi), anchor, link} <= cells
    assert "\u202e" not in "".join(cells)
    _, footer = _header_footer(document)
    assert reveal_controls(file_name) in footer
    instructions, hyperlinks = [], []
    for part in document.part.package.iter_parts():
        hyperlinks += [r for r in part.rels.values() if r.reltype.endswith("/hyperlink") or r.is_external]
        blob = getattr(part, "blob", b"")
        assert b"<w:fldSimple" not in blob and b"<w:hyperlink" not in blob
        instructions += [m.strip() for m in re.findall(rb"<w:instrText[^>]*>([^<]*)</w:instrText>", blob)]
    assert instructions == [b"PAGE", b"NUMPAGES"] and not hyperlinks


def test_file_name():
    study = load_sample_study()
    assert word_tables_filename(study, dt.date(2025, 1, 31)) == (
        "medpath_tables_synthetic-sample-study-not-real-patients_2025-01-31.docx"
    )


# --- the command ----------------------------------------------------------------------------------------------------


def test_cli_writes_a_readable_a4_document(tmp_path, capsys, analysis):
    output = tmp_path / "tables.docx"
    assert main(["tables", "--sample", "-o", str(output)]) == 0
    assert f"wrote {output}" in capsys.readouterr().out
    document = Document(str(output))
    assert abs(document.sections[0].page_width.mm - 210) < 1
    rows = {stage: n for stage, n, _ in _table(document, FLOW_HEADER)[1:]}
    assert rows["Enrolled"] == str(analysis.flow.enrolled)
    assert document.core_properties.author == f"MedPath {__version__}"


def test_cli_letter_paper(tmp_path):
    output = tmp_path / "tables.docx"
    assert main(["tables", "--sample", "--paper", "letter", "-o", str(output)]) == 0
    assert abs(Document(str(output)).sections[0].page_width.inches - 8.5) < 0.01


def test_cli_the_knee_demo_protocol(tmp_path):
    protocol = bundled()["DEMO-KOA-PRP"]
    analysis = analyse(load_sample_study(protocol))
    output = tmp_path / "knee.docx"
    assert main(["tables", "--sample", "--protocol", "DEMO-KOA-PRP", "-o", str(output)]) == 0
    document = Document(str(output))
    header, _ = _header_footer(document)
    assert "DEMO-KOA-PRP" in header and protocol.short_title in header
    flow = analysis.flow
    rows = {stage: (n, notes) for stage, n, notes in _table(document, FLOW_HEADER)[1:]}
    assert rows["Enrolled"][0] == str(flow.enrolled)
    assert rows["Lost to follow-up"][0] == str(flow.lost_to_follow_up.n)
    assert flow.lost_to_follow_up.n == 1 and "moved away" in rows["Lost to follow-up"][1]
    completed = "Completed month 3 (enrolled, with a month 3 primary outcome value)"
    assert rows[completed][0] == str(flow.enrolled - len(flow.no_primary_visit)) == str(key_numbers(analysis).completed)
    label = analysis.primary["womac_pain"].meta.label
    assert rows[f"Analysed: {label} (baseline and month 3 both measured)"][0] == str(flow.analysed["womac_pain"])
    by_grade = _tables_after(document, "4. Adverse events")[0]
    matrix = grade_relatedness_matrix(grade_relatedness_table(analysis.study.adverse_events))
    assert by_grade[1:] == [list(row) for row in matrix.itertuples(index=False)]


def test_a_screening_log_without_visits():
    """Enrolment is known from the log; what needs visits is not determinable."""
    screening = [SCREENING_HEADER, screening_row("P1"), screening_row("P2", enrolled="no")]
    study = load_study([("log.xlsx", xlsx_bytes({"screening": screening}))], protocol=default_protocol())
    analysis = analyse(study)
    document = Document(io.BytesIO(word_tables(analysis, generated_at=WHEN)))
    rows = {stage: (n, notes) for stage, n, notes in _table(document, FLOW_HEADER)[1:]}
    assert rows["Screened (assessed for eligibility)"][0] == "2"
    assert rows["Enrolled"][0] == str(analysis.flow.enrolled) == "1"
    for stage in ("Received the intervention", "Completed month 6 (enrolled, with a month 6 primary outcome value)"):
        n, why = rows[stage]  # no visit rows, or (as the reading side says) no visits table found
        assert n == NOT_DETERMINABLE and why.startswith("Not determinable: ") and "visit" in why, stage
    expected = baseline_table(study, list(analysis.flow.enrolled_ids))
    assert _table(document, TABLE_1_HEADER)[1][:3] == [expected["characteristic"][0], "1", expected["summary"][0]]
    assert expected["summary"][0] == "60 (60 to 60)"  # screening_row's age of P1, the one patient enrolled
