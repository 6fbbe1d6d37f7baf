"""Safety: every adverse event, patients and events by CTCAE grade x relatedness, serious events
highlighted, and a per-patient timeline of the events against the visits.

Above ``medpath.scale.SUMMARY_ABOVE`` patients on the timeline, the page leads with summaries that keep their size
whatever the study's: the serious events as a count and a table (not a bullet each), the events by term and worst
grade (not a row per patient: 350,000 px at 5,000 patients), the timeline of one patient chosen from those with
events, and the listing of every event a page of ``pages.components.PAGE_ROWS`` events at a time (all in its CSV).

Only when an adverse-event table was read without an error (``medpath.safety_status``): otherwise the page says that
adverse events were not supplied, or not read and why, and shows no number (never "0 events", never "no serious
adverse event")."""

from collections.abc import Callable
from typing import TypeVar

import streamlit as st

from medpath.adverse_events import grade_relatedness_matrix, listing
from medpath.ae_groups import TERM_GRADE_NOTE, patient_choices, serious_sentence, term_grade_table
from medpath.figures.safety import patient_timeline_figure, term_grade_figure, timeline_figure, timeline_rows
from medpath.formatting import of_total
from medpath.safety_status import NOT_SUPPLIED, no_serious_sentence, not_read_sentence, safety
from medpath.scale import summary_first
from pages.components import chart, header, inert_cells, literal, no_data, paged_table, plain, table, table_download
from pages.session import built_once, current_analysis, current_study

T = TypeVar("T")


def once(name: str, build: Callable[[], T]) -> T:
    """A table of this study's adverse events, built once per study (``session.built_once``), not on every rerun."""
    return built_once(study, ("safety", name), build)


study = current_study()
header("Safety", study)
harms = once("harms", lambda: safety(study))
if not harms.read and no_data(study, "the safety tables"):
    st.stop()
if harms.status.status == NOT_SUPPLIED:
    st.info(
        "**No adverse-event sheet was supplied**, so there is nothing to list: the numbers of adverse events are "
        "not determinable (this is not the same as no adverse events). Add a sheet (or CSV file) named "
        "`adverse_events` with one row per event: patient_id, term, onset_month (or an onset date), grade "
        "(CTCAE v5.0, 1–5), serious (yes/no), relatedness (unrelated / unlikely / possible / probable / "
        "definite) and outcome; a REDCap repeating instrument named adverse_events is read too. The template "
        "on the **Data** page has the columns.",
        icon=":material/info:",
    )
    st.stop()
if not harms.read:
    st.error(
        f"**{literal(not_read_sentence(harms.status))}** The **Data** page says what to fix.", icon=":material/error:"
    )
    st.stop()

events, summary = harms.events, harms.summary
assert events is not None and summary is not None  # read
flow = current_analysis(study).flow  # the participant flow the other pages show
enrolled = flow.enrolled_ids
numbers = st.columns(4)
numbers[0].metric("Adverse events", summary["events"])
numbers[1].metric(
    "Patients with an event",
    of_total(summary["patients"], flow.enrolled),
    help="Patients with at least one adverse event, of the enrolled patients",
)
numbers[2].metric("Serious events", summary["serious"])
numbers[3].metric("Patients with a serious event", summary["serious_patients"])

event = study.protocol.intervention_event  # what month 0 is named after ("infusion")
shown = once("listing", lambda: listing(events, event, study.protocol.clock))
serious = shown[shown["serious"] == "yes"]
large = summary_first(len(timeline_rows(events, list(enrolled))))
if len(serious) and large:
    st.error(f"**{serious_sentence(summary)}**", icon=":material/emergency:")
    table(serious.drop(columns=["serious"]), patient_id=st.column_config.TextColumn("Patient", pinned=True))
elif len(serious):
    st.error(
        "**Serious adverse events**\n\n"
        + "\n".join(
            f"- {literal(r.patient_id)}: {literal(r.term)}, {r.onset}, grade {r.grade}, {r.relatedness}, {r.outcome}"
            for r in serious.itertuples()
        ),
        icon=":material/emergency:",
    )
else:  # the adverse-event table was read whole: this is what it says
    st.success(no_serious_sentence(harms), icon=":material/check_circle:")

st.subheader("Patients (events) by worst CTCAE grade and relatedness")
st.caption(
    "Each cell: patients (events). A patient is counted once per relatedness column, at the worst grade of "
    "their events of that relatedness; 'any' counts each patient once at their worst grade overall. "
    f"Relatedness is the investigator's attribution to the {study.protocol.intervention_name}."
)
# the grade stays in view while the relatedness columns scroll sideways on a phone
table(
    once("grade_matrix", lambda: grade_relatedness_matrix(harms.by_grade_relatedness)),
    **{"CTCAE grade": st.column_config.TextColumn("CTCAE grade", pinned=True)},
)
table_download(
    harms.by_grade_relatedness,
    study,
    "adverse_events_by_grade_relatedness",
    label="Download the tidy counts (CSV)",
)

if large:
    st.subheader("Events by term and CTCAE grade")
    st.caption(TERM_GRADE_NOTE)
    terms = once("terms", lambda: term_grade_table(events))
    chart(lambda: term_grade_figure(terms), study, "adverse_events_by_term", data=terms, key=())
    table_download(
        lambda: term_grade_table(events, top=len(shown)), study, "adverse_events_by_term", "Every term (CSV)"
    )
    st.subheader("Timeline of one patient")
    choices = once("patient_choices", lambda: patient_choices(events))
    labels = dict(zip(choices["patient_id"], choices["label"]))
    patient = st.selectbox(
        "Patient (the most severe first)",
        list(labels),
        format_func=lambda pid: plain(labels[pid]),
        key="safety-timeline-patient",
    )
    if patient is not None:
        chart(
            lambda: patient_timeline_figure(events, study.visits, patient, event),
            study,
            "adverse_events_timeline",
            data=shown.loc[shown["patient_id"] == patient, ["patient_id", "term", "onset", "grade", "serious"]],
            key=(patient,),
        )
else:
    st.subheader("Timeline")
    with st.container(key="wide-timeline"):  # on a phone: scrolls sideways at its own width (pages.session.PAGE_CSS)
        chart(
            lambda: timeline_figure(events, study.visits, list(enrolled), event=event),
            study,
            "adverse_events_timeline",
            data=shown[["patient_id", "term", "onset", "grade", "serious", "relatedness"]],
            key=(tuple(enrolled),),
        )
unplaced = int(events["onset_month"].isna().sum())
if unplaced:
    st.caption(
        f"{unplaced} event(s) have no onset month (only a date, or none) and are not on the timeline; they are "
        "in the listing below."
    )

st.subheader("Listing of every adverse event")


def _highlight(row):
    return ["background-color: #FDE2E1; font-weight: bold" if row["serious"] == "yes" else "" for _ in row]


#: The listing's columns as a reader names them; the patient stays in view while the others scroll sideways on a phone.
LISTING_COLUMNS = {
    "patient_id": st.column_config.TextColumn("Patient", pinned=True),
    "row": st.column_config.NumberColumn("Excel row", format="%d"),
    **{
        c: st.column_config.Column(c.capitalize())
        for c in ("term", "onset", "grade", "serious", "relatedness", "outcome", "sheet")
    },
}
if large:  # a page of events at a time: the serious ones are in their own table above (a styled grid is rendered cell
    # by cell on the server, 3.6 s for 8,000 events; the whole listing, 8,000 rows sent on every view of the page)
    paged_table(shown, "safety-listing-page", "events", columns=LISTING_COLUMNS)
else:  # the serious rows highlighted
    st.dataframe(
        inert_cells(shown).style.apply(_highlight, axis=1),
        hide_index=True,
        width="stretch",
        height="content" if len(shown) <= 40 else "auto",  # a long listing scrolls inside its own (virtualised) box
        column_config=LISTING_COLUMNS,
    )
table_download(shown, study, "adverse_events")
