"""The results tables of one analysis as a Word document (python-docx), for a study meeting or the trial file.

Content, in this order: the participant flow (screened, eligible, enrolled, received the intervention, lost and
discontinued, completed, analysed: ``medpath.consort.Flow`` and ``medpath.eligibility``, as the dashboard shows them),
Table 1 (``medpath.baseline``), the primary outcomes (per outcome its plain sentence, the main table, the statistical
details and the per-patient changes: ``medpath.outcomes``), and the adverse events (``medpath.adverse_events``: events
by CTCAE grade and relatedness, the serious events by patient, every event). A count that the data cannot give is
written "not determinable" with the reason, never 0 (``medpath.formatting.NOT_DETERMINABLE``): no screening log, a
criterion whose column was not read, no disposition sheet, no visit rows, a table not read whole. Unless an
adverse-event sheet was read without an error (``medpath.safety_status``) the section says that adverse events were
not supplied or not read, and why, never "0 events".

Layout: A4 portrait (or US Letter), 20 mm margins; on every page a running header (the trial's id and short title,
the SYNTHETIC DATA mark for the sample) and footer (the data file(s) and the study's label, the date generated, the
MedPath version, "Page N of M" as Word fields). Every table's header row repeats on each page (``w:tblHeader``), no
row splits across pages (``w:cantSplit``), and each heading and its sentence stay with their table
(``keep_with_next``; a table of up to ``KEEP_WHOLE_ROWS`` rows is kept whole on one page where it fits).

The document's properties are true: author "MedPath <version>", last modified by "MedPath", title, created and
modified at the time generated (the template python-docx ships says "python-docx", 2013-12-23).

Text from the data (patient ids, file names, adverse-event terms) is written as plain text runs, never as a
hyperlink or a field, through ``medpath.inert.reveal_controls``; the only fields are the footer's PAGE and NUMPAGES.

A study of more than ``medpath.scale.SUMMARY_ABOVE`` patients (issue 28) keeps every table of counts, but no longer
lists every patient: each per-patient or per-event listing (the changes, the serious and all adverse events) prints its
first ``medpath.paper.LISTED_ROWS`` rows with a sentence saying how many more and where (``paper.first_rows``), Table
1 drops its column of each patient's value, the flow counts the patients without a primary value instead of naming
them, and the adverse events are also counted by term and worst grade (``ae_groups.term_grade_table``). At 1,000
patients the document was some 200 pages. A pilot's tables are as they were.

``python -m medpath tables FILE ... -o tables.docx [--paper A4|Letter]`` and the dashboard's download both call
``word_tables``.
"""

from __future__ import annotations

import datetime as dt
import io
import math
from collections.abc import Sequence

import pandas as pd
from docx import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Inches, Length, Mm, Pt, RGBColor

from medpath import __version__
from medpath.adverse_events import grade_relatedness_matrix, grade_text, listing
from medpath.ae_groups import TERM_GRADE_NOTE, term_grade_table
from medpath.analysis import Analysis
from medpath.baseline import band_notes, table1, table1_intro
from medpath.consort import Count
from medpath.export import date_stamp, slug
from medpath.figures.safety import timeline_rows
from medpath.formatting import NOT_DETERMINABLE, count, first_upper, not_determinable
from medpath.funnel_notes import funnel_notes
from medpath.inert import reveal_controls as _text
from medpath.model import Study
from medpath.outcomes import OutcomeComparison, details_table, per_patient_changes, summary_table
from medpath.paper import first_rows
from medpath.protocol import Protocol
from medpath.safety_status import events_sentence, no_serious_sentence, not_read_sentence, safety
from medpath.scale import summary_first
from medpath.summary import key_numbers
from medpath.wording import plain_sentence

#: Paper sizes (portrait width, height).
PAPERS: dict[str, tuple[Length, Length]] = {"A4": (Mm(210), Mm(297)), "Letter": (Inches(8.5), Inches(11))}
MARGIN = Mm(20)
HEADER_DISTANCE = Mm(10)
SYNTHETIC_MARK = "SYNTHETIC DATA — not real patients"
#: Tables of at most this many rows are kept whole on one page (where they fit); longer ones keep the header row
#: with the first two rows, then break between rows.
KEEP_WHOLE_ROWS = 25
#: The error findings named on page 1 (the others are counted).
MAX_ERRORS_LISTED = 10
_MAX_FILES = 90  # characters of file names in the footer
_HEADER_FILL = "E7E9EE"
_MARK_COLOUR = RGBColor(0xB3, 0x47, 0x00)
_GREY = RGBColor(0x44, 0x44, 0x44)


def word_tables_filename(study: Study, when: dt.date | dt.datetime | None = None) -> str:
    """The download's name, e.g. "medpath_tables_synthetic-sample-study-not-real-patients_2025-01-31.docx"."""
    return f"medpath_tables_{slug(study.label)}_{date_stamp(when)}.docx"


def paper_name(paper: str) -> str:
    """The paper size ``paper`` names, in any case ("a4" -> "A4"); ValueError for any other."""
    for name in PAPERS:
        if name.lower() == str(paper).strip().lower():
            return name
    raise ValueError(f"paper must be one of {', '.join(PAPERS)}, not {paper!r}")


# --- low-level Word pieces ---------------------------------------------------------------------------------------


def _on(parent, tag: str, **attributes: str):
    """Append ``<tag w:attr=…/>`` to ``parent`` and return it."""
    element = OxmlElement(tag)
    for name, value in attributes.items():
        element.set(qn(f"w:{name}"), value)
    parent.append(element)
    return element


def _field(paragraph, instruction: str, shown: str) -> None:
    """A Word field (``PAGE``, ``NUMPAGES``) as begin / instruction / separate / cached result / end runs; Word and
    LibreOffice compute it for every page."""
    _on(paragraph.add_run()._r, "w:fldChar", fldCharType="begin")
    instr = _on(paragraph.add_run()._r, "w:instrText")
    instr.set(qn("xml:space"), "preserve")
    instr.text = f" {instruction} "
    _on(paragraph.add_run()._r, "w:fldChar", fldCharType="separate")
    paragraph.add_run(shown)
    _on(paragraph.add_run()._r, "w:fldChar", fldCharType="end")


def _size(paragraph, points: float, colour: RGBColor | None = None, bold: bool | None = None) -> None:
    for run in paragraph.runs:
        run.font.size = Pt(points)
        if colour is not None:
            run.font.color.rgb = colour
        if bold is not None:
            run.font.bold = bold


def _shade(cell, fill: str) -> None:
    _on(cell._tc.get_or_add_tcPr(), "w:shd", val="clear", color="auto", fill=fill)


def _cell_text(value: object) -> str:
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return "–"
    if isinstance(value, float):
        return f"{value:g}".replace("-", "−")
    return _text(value)


def _change(value: float) -> str:
    """A change as the data gives it, signed ("+0.3", "−2"), "0" for none and "–" when missing."""
    if math.isnan(value):
        return "–"
    return "0" if value == 0 else f"{value:+g}".replace("-", "−")


class _Document:
    def __init__(self, paper: str, width: Length, height: Length):
        self.document = Document()
        self.document.styles["Normal"].font.size = Pt(10)
        section = self.document.sections[0]
        section.page_width, section.page_height = width, height
        section.left_margin = section.right_margin = section.top_margin = section.bottom_margin = MARGIN
        section.header_distance = section.footer_distance = HEADER_DISTANCE
        self.paper = paper
        self.content_width = width - 2 * MARGIN

    def heading(self, text: str, level: int):
        heading = self.document.add_heading(_text(text), level=level)
        heading.paragraph_format.keep_with_next = True
        return heading

    def paragraph(self, text: str, *, keep: bool = False, size: float | None = None, bold: bool = False):
        paragraph = self.document.add_paragraph(_text(text))
        paragraph.paragraph_format.keep_with_next = keep
        if size is not None or bold:
            _size(paragraph, size or 10, bold=bold or None)
        return paragraph

    def table(self, header: Sequence[str], rows: Sequence[Sequence[object]], widths: Sequence[float]) -> None:
        """A table with a bold, shaded header row that repeats on every page; no row splits across pages; kept
        whole (with the heading before it) when it has at most ``KEEP_WHOLE_ROWS`` rows. ``widths``: the columns'
        shares of the text width."""
        grid = self.document.add_table(rows=1 + len(rows), cols=len(header))
        grid.style = "Table Grid"
        grid.autofit = False
        total = sum(widths)
        column_widths = [Length(int(self.content_width * w / total)) for w in widths]
        for column, width in zip(grid.columns, column_widths):
            column.width = width
        texts = [[_text(h) for h in header], *[[_cell_text(v) for v in row] for row in rows]]
        kept = len(texts) - 1 if len(texts) <= KEEP_WHOLE_ROWS else 3
        points = 9 if len(header) < 7 else 8  # a wide table in a smaller font, so its words fit their columns
        for i, (row, values) in enumerate(zip(grid.rows, texts)):
            properties = row._tr.get_or_add_trPr()
            _on(properties, "w:cantSplit")
            if i == 0:
                _on(properties, "w:tblHeader")
            for cell, width, value in zip(row.cells, column_widths, values):
                cell.width = width
                paragraph = cell.paragraphs[0]
                paragraph.text = value
                paragraph.paragraph_format.space_after = Pt(0)
                paragraph.paragraph_format.keep_with_next = i < kept
                _size(paragraph, points, bold=True if i == 0 else None)
                if i == 0:
                    _shade(cell, _HEADER_FILL)
        self.document.add_paragraph().paragraph_format.space_after = Pt(4)  # a gap before what follows

    def running_header_footer(self, header: str, mark: str | None, footer_text: str) -> None:
        section = self.document.sections[0]
        top = section.header.paragraphs[0]
        top.text = _text(header)
        _size(top, 8.5, _GREY, bold=True)
        if mark:
            run = top.add_run("  ·  " + mark.split(" — ")[0])  # "SYNTHETIC DATA"; page 1 says the rest
            run.font.size, run.font.bold, run.font.color.rgb = Pt(8.5), True, _MARK_COLOUR
        footer = section.footer
        data = footer.paragraphs[0]
        data.text = _text(footer_text)
        _size(data, 8, _GREY)
        pages = footer.add_paragraph("Page ", style="Footer")
        _field(pages, "PAGE", "1")
        pages.add_run(" of ")
        _field(pages, "NUMPAGES", "1")
        _size(pages, 8, _GREY)
        pages.alignment = WD_ALIGN_PARAGRAPH.RIGHT

    def properties(self, title: str, subject: str, when: dt.datetime, synthetic: bool) -> None:
        core = self.document.core_properties
        utc = when.astimezone(dt.UTC).replace(tzinfo=None)  # python-docx writes the time as given, with a "Z"
        core.author = f"MedPath {__version__}"
        core.last_modified_by = "MedPath"
        core.title = _text(title)[:255]
        core.subject = _text(subject)[:255]
        core.comments = f"Results tables made by MedPath {__version__}" + (f"; {SYNTHETIC_MARK}" if synthetic else "")
        core.keywords = "SYNTHETIC DATA" if synthetic else ""
        core.category = "Clinical trial results tables"
        core.created = core.modified = utc
        core.revision = 1

    def save(self) -> bytes:
        buffer = io.BytesIO()
        self.document.save(buffer)
        return buffer.getvalue()


# --- the content ---------------------------------------------------------------------------------------------------


def _files(study: Study) -> str:
    names = ", ".join(source.name for source in study.sources) or "no file"
    return names if len(names) <= _MAX_FILES else names[: _MAX_FILES - 1] + "…"


def _data_words(study: Study) -> str:
    """The data file(s), and the study's label when it says more than their names."""
    files = _files(study)
    label = study.label.strip()
    return files if not label or label == ", ".join(s.name for s in study.sources) else f"{files} — {label}"


def _count_words(count: Count) -> str:
    return "; ".join(f"{r.label}: {r.n}" for r in count.reasons)


def flow_rows(analysis: Analysis) -> list[tuple[str, str, str]]:
    """The participant flow as (stage, n, notes) rows: every n the flow the app shows computes
    (``Analysis.flow``, the eligibility funnel), or "not determinable" with the reason in the notes."""
    study, flow, eligibility = analysis.study, analysis.flow, analysis.eligibility
    visits = len(study.visits) > 0
    month = flow.followup_month if flow.followup_month is not None else analysis.followup_month
    visit = study.protocol.visit_label(month)
    rows: list[tuple[str, str, str]] = []

    def add(stage: str, n: int | None, notes: str = "", why: str | None = None) -> None:
        if n is None:
            rows.append((stage, NOT_DETERMINABLE, f"{first_upper(not_determinable(why))}."))
        else:
            rows.append((stage, str(n), notes or "–"))

    add("Screened (assessed for eligibility)", flow.assessed, "screening log", flow.reasons.get("assessed"))
    add(
        "Excluded before enrolment",
        flow.excluded.n,
        "; ".join(f"{label}: {n}" for label, n in flow.category_counts())
        + (f" ({_count_words(flow.excluded)})" if flow.excluded.reasons else ""),
        flow.excluded.reason,
    )
    criteria = [s for s in eligibility.steps if s.id in {c.id for c in eligibility.criteria}]
    if study.screening is None:
        add(
            "Eligible (met every eligibility criterion)",
            None,
            why=f"{flow.reasons['assessed']}: eligibility was not assessed",
        )
    elif criteria:
        last = criteria[-1]
        unknown = sum(s.unknown for s in criteria)
        cause = next((s for s in criteria if s.n is None), None)  # the first criterion that could not be checked
        add(
            "Eligible (met every eligibility criterion)",
            last.n,
            f"every criterion of the funnel up to '{last.label}'"
            + (
                f"; {unknown} candidate(s) could not be checked on a criterion (missing data): not counted"
                if unknown
                else ""
            ),
            None if cause is None else f"'{cause.label}' could not be checked ({cause.reason})",
        )
    enrolled_notes = (
        "; ".join(flow.notes) if study.screening is not None else "no screening log: every patient with visit rows"
    )
    add("Enrolled", flow.enrolled, enrolled_notes, flow.reasons.get("enrolled"))
    add(
        "Received the intervention",
        flow.received_intervention,
        _count_words(flow.not_received) and f"did not receive it: {_count_words(flow.not_received)}",
        flow.reasons.get("received_intervention"),
    )
    add(
        "Lost to follow-up",
        flow.lost_to_follow_up.n,
        _count_words(flow.lost_to_follow_up),
        flow.lost_to_follow_up.reason,
    )
    add("Discontinued (withdrew, died)", flow.discontinued.n, _count_words(flow.discontinued), flow.discontinued.reason)
    missing = list(flow.no_primary_visit)
    named = ", ".join(missing)
    if summary_first(len(flow.enrolled_ids)):  # a count, not thousands of ids in one cell
        named = f"{len(missing):,} patients (each on the dashboard's Trajectories page)"
    add(
        f"Completed {visit} (enrolled, with a {visit} primary outcome value)",
        None
        if flow.completed is None or flow.enrolled is None
        else flow.completed
        if month == study.protocol.primary_month
        else flow.enrolled - len(missing),
        f"no {visit} primary value: {named}" if missing else "",
        flow.reasons.get("completed"),
    )
    for key in study.protocol.primary_outcomes:
        label = study.protocol.outcomes[key].label
        stage = f"Analysed: {label} (baseline and {visit} both measured)"
        if key in flow.analysed:
            add(
                stage,
                flow.analysed[key],
                _count_words(flow.excluded_from_analysis[key])
                and (f"excluded from the analysis: {_count_words(flow.excluded_from_analysis[key])}"),
            )
        else:
            add(
                stage,
                None,
                why=study.unread.get("visits")
                or ("no visit rows were read" if not visits else f"no {label} value was read"),
            )
    return rows


def _flow_section(doc: _Document, analysis: Analysis) -> None:
    doc.heading("1. Participant flow (CONSORT 2025)", 1)
    doc.paragraph(
        "Counts as the dashboard computes them. A count the data cannot give is marked 'not determinable', "
        "with the reason.",
        keep=True,
    )
    doc.table(["Stage", "n", "Notes and reasons"], flow_rows(analysis), [36, 10, 54])
    for note in funnel_notes(analysis.eligibility, analysis.study.screening, analysis.study.protocol):
        doc.paragraph(note, size=9)


def _baseline_section(doc: _Document, analysis: Analysis) -> None:
    study, flow = analysis.study, analysis.flow
    enrolled = list(flow.enrolled_ids)
    doc.heading("2. Baseline characteristics (Table 1)", 1)
    if flow.enrolled is None:
        doc.paragraph(
            f"Table 1 is {not_determinable(flow.reasons.get('enrolled'))}, so the enrolled patients are not known."
        )
        return
    doc.paragraph(table1_intro(flow), keep=True)
    table = table1(study, flow)
    rows = [
        (r.characteristic, count(None if pd.isna(r.n) else int(r.n)), r.summary, r.values or "–")
        for r in table.itertuples(index=False)
    ]
    if summary_first(len(enrolled)):  # a cell of every patient's value would be thousands of values long
        doc.paragraph("Each patient's value is on the dashboard's Eligibility page (Table 1, Values).", keep=True)
        doc.table(["Characteristic", "n", "Median (IQR) or n (%)"], [row[:3] for row in rows], [40, 10, 50])
    else:
        doc.table(["Characteristic", "n", "Median (IQR) or n (%)", "Patients' values"], rows, [28, 5, 23, 44])
    for note in band_notes(study, enrolled):
        doc.paragraph(note, size=9)


def _listing(doc: _Document, header: Sequence[str], rows: list, widths: Sequence[float], n_patients: int, where: str):
    """A per-patient (or per-event) table of a study of ``n_patients``: above ``SUMMARY_ABOVE`` patients its first
    ``LISTED_ROWS`` rows after the sentence saying how many more and where (``paper.first_rows``), else whole."""
    shown, more = first_rows(pd.DataFrame({"row": rows}), n_patients, where)
    if more:
        doc.paragraph(more, keep=True, size=9)
    doc.table(header, shown["row"].tolist(), widths)


def _outcome(doc: _Document, c: OutcomeComparison, n_patients: int) -> None:
    doc.heading(c.meta.label, 2)
    doc.paragraph(plain_sentence(c), keep=True)
    doc.table(["Measure", "Value"], list(summary_table(c).itertuples(index=False)), [50, 50])
    doc.heading("Statistical details", 3)
    doc.table(["Measure", "Value", "What it means"], list(details_table(c).itertuples(index=False)), [26, 26, 48])
    doc.heading("Per-patient change", 3)
    table = per_patient_changes(c)
    rows = [
        (pid, before, after, change if isinstance(change, str) else _change(float(change)))
        for pid, before, after, change in table.itertuples(index=False)
    ]
    header = ["Patient", "Baseline", c.followup_visit.capitalize(), "Change"]
    _listing(doc, header, rows, [25, 25, 25, 25], n_patients, "Outcomes")


def _primary_section(doc: _Document, analysis: Analysis) -> None:
    doc.heading(f"3. Primary outcomes: baseline vs {analysis.followup_visit}", 1)
    if not analysis.primary:
        doc.paragraph("No primary outcome could be analysed with the data provided.")
    for comparison in analysis.primary.values():
        _outcome(doc, comparison, len(analysis.study.patient_ids))


def _events_table(
    doc: _Document, events: pd.DataFrame, protocol: Protocol, *, serious_only: bool, n_patients: int
) -> bool:
    """The events of ``listing`` (only the serious ones with ``serious_only``) as a table, by patient and onset,
    each with its place in the file: the Excel row (and the sheet, when the events come from several); the first
    rows only above ``SUMMARY_ABOVE`` patients (``n_patients``: those the Safety page would draw, ``_listing``).
    False when there is no such event."""
    frame = listing(events, protocol.intervention_event, protocol.clock)
    if serious_only:
        frame = frame[frame["serious"] == "yes"]
    if frame.empty:
        return False
    sheets = list(dict.fromkeys(frame["sheet"].tolist()))
    one_sheet = len(sheets) == 1
    place = "Row" if one_sheet else "Sheet, row"
    rows = [
        (
            r.patient_id,
            r.term,
            r.onset,
            r.grade,
            *(() if serious_only else (r.serious,)),
            r.relatedness,
            r.outcome,
            str(r.row) if one_sheet else f"{r.sheet}, row {r.row}",
        )
        for r in frame.itertuples(index=False)
    ]
    header = ["Patient", "Event", "Onset", "CTCAE grade", "Serious", "Relatedness", "Outcome", place]
    widths = [11, 17, 15, 14, 10, 14, 11, 8 if one_sheet else 14]
    if serious_only:
        del header[4], widths[4]
    where = f"the Excel row in the sheet '{sheets[0]}'" if one_sheet else "the sheet and the Excel row"
    doc.paragraph(f"{place}: {where} the event was read from.", keep=True, size=9)
    _listing(doc, header, rows, widths, n_patients, "Safety")
    return True


def _adverse_events_section(doc: _Document, analysis: Analysis) -> None:
    """The harms (``safety_status``): their numbers and tables only when the adverse-event sheet was read, else that
    they were not supplied or not read, and why."""
    study, flow = analysis.study, analysis.flow
    harms = safety(study)
    doc.heading("4. Adverse events", 1)
    if not harms.read:
        doc.paragraph(not_read_sentence(harms.status), bold=True)
        return
    events = harms.events
    assert events is not None  # read
    doc.paragraph(
        events_sentence(harms, flow.enrolled, study.excluded_rows.get("adverse_events", 0))
        + " CTCAE v5.0 grades; relatedness to the intervention as assessed by the investigator.",
        keep=True,
    )
    doc.heading("Patients (events) by worst CTCAE grade and relatedness", 3)
    doc.paragraph(
        "Each cell: patients (events). A patient is counted once per column, at the worst grade of their events "
        "in that column.",
        keep=True,
        size=9,
    )
    matrix = grade_relatedness_matrix(harms.by_grade_relatedness)
    doc.table(
        list(matrix.columns),
        list(matrix.itertuples(index=False)),
        [22, *[78 / (len(matrix.columns) - 1)] * (len(matrix.columns) - 1)],
    )
    n = len(timeline_rows(events, list(flow.enrolled_ids)))  # the patients the Safety page would draw
    if summary_first(n):
        doc.heading("Patients (events) by term and worst CTCAE grade", 3)
        doc.paragraph(
            TERM_GRADE_NOTE,
            keep=True,
            size=9,
        )
        terms = term_grade_table(events)
        doc.table(
            ["Term", "CTCAE grade", "Patients", "Events"],
            [(t, grade_text(g), k, e) for t, g, k, e in terms.itertuples(index=False)],
            [40, 30, 15, 15],
        )
    doc.heading("Serious adverse events, by patient", 3)
    if not _events_table(doc, events, study.protocol, serious_only=True, n_patients=n):
        doc.paragraph(no_serious_sentence(harms))
    doc.heading("Every adverse event, by patient and onset", 3)
    if not _events_table(doc, events, study.protocol, serious_only=False, n_patients=n):
        doc.paragraph("The adverse-event sheet was read and lists no event.")


def word_tables(analysis: Analysis, *, generated_at: dt.datetime | None = None, paper: str = "A4") -> bytes:
    """The results tables of one analysis (``medpath.analysis.analyse``) as .docx bytes, on ``paper`` "A4"
    (default) or "Letter" (see the module docstring). ``generated_at``: the time written in the footer and the
    document's properties (default: now)."""
    paper = paper_name(paper)
    study, protocol = analysis.study, analysis.study.protocol
    when = (generated_at or dt.datetime.now(dt.UTC)).astimezone()
    doc = _Document(paper, *PAPERS[paper])
    trial = f"{protocol.id}: {protocol.short_title}" if protocol.short_title else protocol.id
    mark = SYNTHETIC_MARK if study.synthetic else None
    doc.running_header_footer(
        trial, mark, f"Data: {_data_words(study)} · Generated {date_stamp(when)} · MedPath {__version__}"
    )
    doc.properties(f"{protocol.id}: results tables", trial, when, study.synthetic)

    doc.document.add_heading(_text(f"{protocol.id}: results tables"), level=0)
    if protocol.title:
        doc.paragraph(protocol.title)
    if mark:
        paragraph = doc.paragraph(mark)
        _size(paragraph, 14, _MARK_COLOUR, bold=True)
    doc.paragraph(f"Data: {_data_words(study)}")
    doc.paragraph(f"Generated {when:%Y-%m-%d %H:%M %Z} with MedPath {__version__}.")
    problems = f"Data checks: {len(study.errors)} error(s), {len(study.warnings)} warning(s)"
    doc.paragraph(problems + (f"; left out of the analyses: {study.left_out}." if study.left_out else "."))
    for finding in study.errors[:MAX_ERRORS_LISTED]:
        doc.paragraph(str(finding), size=9)
    if len(study.errors) > MAX_ERRORS_LISTED:
        doc.paragraph(
            f"… and {len(study.errors) - MAX_ERRORS_LISTED} more error(s): `medpath validate` or the dashboard's "
            "Data page lists every finding.",
            size=9,
        )

    _flow_section(doc, analysis)
    _baseline_section(doc, analysis)
    _primary_section(doc, analysis)
    _adverse_events_section(doc, analysis)
    doc.heading("Caveats", 1)
    doc.paragraph(" ".join(key_numbers(analysis).caveat.split()))
    return doc.save()
