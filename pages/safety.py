"""Safety: every adverse event, patients and events by CTCAE grade x relatedness, serious events
highlighted, and a per-patient timeline of the events against the visits."""

import streamlit as st

from medpath.adverse_events import ae_summary, grade_relatedness_matrix, grade_relatedness_table, listing
from medpath.consort import consort_flow
from medpath.figures.safety import timeline_figure
from pages.components import chart, header, inert_cells, literal, no_data, table, table_download
from pages.session import current_study

study = current_study()
header("Safety", study)
events = study.adverse_events
if events is None and no_data(study, "the safety tables"):
    st.stop()
if events is None:
    st.info(
        "**No adverse-event sheet was supplied**, so there is nothing to list. Add a sheet (or CSV file) named "
        "`adverse_events` with one row per event: patient_id, term, onset_month (or an onset date), grade "
        "(CTCAE v5.0, 1–5), serious (yes/no), relatedness (unrelated / unlikely / possible / probable / "
        "definite) and outcome; a REDCap repeating instrument named adverse_events is read too. The template "
        "on the **Data** page has the columns.",
        icon=":material/info:",
    )
    st.stop()

summary = ae_summary(events)
assert summary is not None  # events is not None here
enrolled = consort_flow(study).enrolled_ids
numbers = st.columns(4)
numbers[0].metric("Adverse events", summary["events"])
numbers[1].metric(
    "Patients with an event",
    f"{summary['patients']} of {len(enrolled)}",
    help="Patients with at least one adverse event, of the enrolled patients",
)
numbers[2].metric("Serious events", summary["serious"])
numbers[3].metric("Patients with a serious event", summary["serious_patients"])

shown = listing(events)
serious = shown[shown["serious"] == "yes"]
if len(serious):
    st.error(
        "**Serious adverse events**\n\n"
        + "\n".join(
            f"- {literal(r.patient_id)}: {literal(r.term)}, {r.onset}, grade {r.grade}, {r.relatedness}, {r.outcome}"
            for r in serious.itertuples()
        ),
        icon=":material/emergency:",
    )
else:
    st.success("No serious adverse event was recorded.", icon=":material/check_circle:")

st.subheader("Patients (events) by worst CTCAE grade and relatedness")
st.caption(
    "Each cell: patients (events). A patient is counted once per relatedness column, at the worst grade of "
    "their events of that relatedness; 'any' counts each patient once at their worst grade overall. "
    "Relatedness is the investigator's attribution to the umbilical-cord MSC infusion."
)
# the grade stays in view while the relatedness columns scroll sideways on a phone
table(grade_relatedness_matrix(events), **{"CTCAE grade": st.column_config.TextColumn("CTCAE grade", pinned=True)})
table_download(
    grade_relatedness_table(events),
    study,
    "adverse_events_by_grade_relatedness",
    label="Download the tidy counts (CSV)",
)

st.subheader("Timeline")
with st.container(key="wide-timeline"):  # on a phone: scrolls sideways at its own width (pages.session.PAGE_CSS)
    chart(
        timeline_figure(events, study.visits, list(enrolled)),
        study,
        "adverse_events_timeline",
        data=shown[["patient_id", "term", "onset", "grade", "serious", "relatedness"]],
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
st.dataframe(
    inert_cells(shown).style.apply(_highlight, axis=1),
    hide_index=True,
    width="stretch",
    height="content",
    column_config=LISTING_COLUMNS,
)
table_download(shown, study, "adverse_events")
