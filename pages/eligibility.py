"""Eligibility: the protocol deviations, the CONSORT 2025 participant flow, the sequential funnel, the protocol's
criteria per candidate, and the baseline characteristics of the enrolled (Table 1).

Up to ``medpath.scale.SUMMARY_ABOVE`` enrolled patients each deviation is a warning of its own, as in the pilot; above
it, a few sentences and the deviations counted by criterion, every patient in a table one click away (a box per
patient was 55,000 px of page at 1,000 patients)."""

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from medpath.baseline import band_notes, table1, table1_intro
from medpath.consort import stages_table
from medpath.deviations import deviation_table, summary_sentences
from medpath.eligibility import candidate_table, criteria_table, deviation_counts, team_statements
from medpath.export import chart_filename, footer_lines
from medpath.figures.consort import consort_figure, consort_svg
from medpath.figures.funnel import funnel_figure, step_text
from medpath.figures.style import FOOTER_MARGIN
from medpath.formatting import count, count_or_reason
from medpath.scale import summary_first
from pages.components import chart, header, literal, no_data, paged_table, table, table_download
from pages.session import current_analysis, current_study

study = current_study()
header("Eligibility", study)
if study.screening is None and no_data(study, "the eligibility funnel"):
    st.stop()
analysis = current_analysis(study)
eligibility, flow = analysis.eligibility, analysis.flow

records = eligibility.deviation_records
if summary_first(len(eligibility.enrolled_ids)):  # a few sentences and a table by criterion, not a box per patient
    for sentence in [*summary_sentences(records), *eligibility.deviation_notes]:
        st.warning(literal(sentence), icon=":material/warning:")
    if records:
        counts = deviation_counts(eligibility)
        if len(counts):
            table(
                counts.drop(columns="criterion"),
                label="Criterion",
                not_met=st.column_config.NumberColumn("Enrolled patients not meeting it"),
                unknown=st.column_config.NumberColumn("Enrolled patients not determinable on it"),
            )
        listed = deviation_table(records)
        with st.expander(f"Every protocol deviation and enrolment inconsistency, patient by patient ({len(listed)})"):
            table(listed, patient_id=st.column_config.TextColumn("Patient", pinned=True))
            table_download(listed, study, "protocol_deviations")
else:
    for deviation in eligibility.deviations:
        st.warning(literal(deviation), icon=":material/warning:")

diagram, funnel = st.tabs(["CONSORT 2025 flow diagram", "Sequential funnel"])
with diagram:

    def consort_with_footer_room() -> go.Figure:
        figure = consort_figure(flow)
        return figure.update_layout(height=figure.layout.height + FOOTER_MARGIN)  # room for the provenance footer

    stages = stages_table(flow)
    with st.container(key="wide-consort"):  # on a phone: scrolls sideways at its own width (pages.session.PAGE_CSS)
        chart(
            consort_with_footer_room,
            study,
            "consort_flow",
            data=stages,
            svg=lambda: consort_svg(
                flow, footer=footer_lines(study)
            ),  # the diagram's own vector drawing, for a paper or a registry entry
            width="content",
            config=lambda figure: {
                "displaylogo": False,
                "toImageButtonOptions": {
                    "format": "png",
                    "filename": chart_filename(study, "consort_flow"),
                    "scale": 2,
                    "width": figure.layout.width,
                    "height": figure.layout.height,
                },
            },
            key=(analysis.settings,),
        )
    for note in flow.notes:
        st.caption(literal(note))
    table_download(stages, study, "study_stages", label="Download the study stages (CSV)")
with funnel:
    st.caption(
        "Each bar counts the candidates who passed that step and every earlier one; the boxes say why the "
        "others stopped there."
    )
    shown_steps = eligibility.steps
    steps = pd.DataFrame(
        {
            "step": [s.label for s in shown_steps],
            "n": [s.n for s in shown_steps]  # numbers, or "not determinable: …" where one is not (never 0)
            if all(s.n is not None for s in shown_steps)
            else [count_or_reason(s.n, s.reason) for s in shown_steps],
            "excluded": [
                step_text(s, before is not None and before.n is None and s.n is not None).replace("<br>", " ")
                if s.n is not None
                else ""
                for before, s in zip([None, *shown_steps], shown_steps)
            ],
        }
    )
    chart(
        lambda: funnel_figure(eligibility, trial=study.protocol.id),
        study,
        "eligibility_funnel",
        data=steps,
        key=(analysis.settings,),
    )

st.subheader(f"Baseline characteristics of the enrolled patients (Table 1, n = {count(flow.enrolled)})")
st.caption(literal(table1_intro(flow)) + " Outcomes at the baseline visit; age and sex from the screening log.")
baseline = table1(study, flow)
table(baseline, values=st.column_config.TextColumn("Values", width="large"))
table_download(baseline, study, "baseline_characteristics")
for note in band_notes(study, list(flow.enrolled_ids)):
    st.warning(literal(note), icon=":material/info:")

criteria = criteria_table(eligibility)
st.subheader("Eligibility criteria: candidates not meeting each (over all candidates, not only the first reason)")
table(criteria.drop(columns="criterion"), label="Criterion", failed="Not met", unknown="Unknown")
for statement in team_statements(study, eligibility):  # a value the team stated in its mapping profile
    st.info(literal(statement), icon=":material/info:")
labels = dict(zip(criteria["criterion"], criteria["label"]))  # the criteria's ids, shown by their labels

st.subheader("Candidates")
chosen = st.multiselect(
    "Show candidates who fail or are unknown on",
    options=list(labels),
    format_func=lambda c: labels.get(c, c),
    placeholder="all candidates",
)
shown = candidate_table(eligibility, chosen)
paged_table(  # the patient in view as the table scrolls sideways
    shown,
    "eligibility-candidates-page",
    "candidates",
    columns={"patient_id": st.column_config.TextColumn("Patient", pinned=True)},
)
table_download(shown, study, "candidates")

with st.expander("Conventions used at the boundaries", expanded=True):
    for convention in eligibility.conventions:
        st.markdown(f"- {convention}")
