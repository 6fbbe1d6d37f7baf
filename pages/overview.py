"""Overview: a compact header, screened / enrolled / completed, one status badge for the data (the
counts only when something is wrong), each primary outcome's plain sentence beside its before-after plot,
and the meeting downloads. Follows the choices made on the other pages (follow-up, direction tested)."""

import streamlit as st

from medpath.figures.trajectory import before_after_figure
from medpath.summary import key_numbers
from pages.components import chart, downloads_row, header, literal
from pages.session import current_analysis, current_study

study = current_study()
protocol = study.protocol
header(f"MedPath — {protocol.id}", study, compact=True)
analysis = current_analysis(study)
numbers = key_numbers(analysis)

counts = st.columns([1, 1, 1, 3], vertical_alignment="center")
counts[0].metric("Screened", "—" if numbers.screened is None else numbers.screened)
counts[1].metric("Enrolled", numbers.enrolled)
counts[2].metric(
    "Completed",
    numbers.completed,
    help=f"Completed {protocol.primary_month:g} months: enrolled, with a month-{protocol.primary_month:g} value for a "
    "primary outcome",
)
with counts[3]:
    if study.errors or study.warnings:
        problems = st.columns(3)
        problems[0].metric("Errors", len(study.errors))
        problems[1].metric("Warnings", len(study.warnings))
        problems[2].metric(
            "Left out",
            sum(study.excluded_rows.values()) + len(study.left_out_values),
            help="Rows and single values left out of the analyses because of an error finding",
        )
    else:
        st.badge("Data checked: no problems found", icon=":material/check_circle:", color="green")
if study.errors:
    st.error(
        f"{len(study.errors)} error finding(s): {study.left_out or 'nothing'} left out of the analyses; "
        "each result below names the values it lost. See the **Data** page.",
        icon=":material/error:",
    )
for note in numbers.funnel_notes:
    st.warning(literal(note), icon=":material/help:")

st.subheader("Primary results")
if numbers.sentences:
    plots = st.columns(len(numbers.sentences), gap="large")
    for column, (outcome, sentence) in zip(plots, numbers.sentences.items()):
        comparison = analysis.primary[outcome]
        with column:
            st.markdown(f"**{comparison.meta.label}.** {literal(sentence)}")
            fig = before_after_figure(comparison, all_patients=study.patient_ids)
            fig.update_layout(height=400, title_font_size=15, margin={"r": 10, "t": 60})
            chart(fig, study, f"{outcome}_before_after_overview")
    st.caption(numbers.caveat + " Statistical details: **Outcomes** page.")
else:
    st.warning("No primary outcome can be analysed with the data provided.", icon=":material/warning:")

with st.expander("About the study"):
    expected = "; ".join(
        f"{protocol.outcomes[k].label} (expected to {'rise' if protocol.outcomes[k].better == 'higher' else 'fall'})"
        for k in protocol.primary_outcomes
    )
    st.markdown(
        f"**{literal(protocol.headline)}**  \n{literal(protocol.title)}. Primary outcomes at month "
        f"{protocol.primary_month:g}: {literal(expected)}.  \n**Data source:** {literal(study.label)}"
    )

st.divider()
downloads_row(study)
