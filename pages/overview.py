"""Overview: a compact header, screened / enrolled / completed, one status badge for the data (the
counts only when something is wrong), each primary outcome's plain sentence beside its before-after plot,
and the meeting downloads. Follows the choices made on the other pages (follow-up, direction tested)."""

import streamlit as st

from medpath.figures.trajectory import before_after_figure
from medpath.model import OUTCOMES
from medpath.summary import key_numbers
from pages.common import chart, current_study, downloads_row, header, literal, test_options

study = current_study()
header("MedPath — NCT04501354", study, compact=True)
options = test_options(study)
numbers = key_numbers(study, **options)

counts = st.columns([1, 1, 1, 3], vertical_alignment="center")
counts[0].metric("Screened", "—" if numbers.screened is None else numbers.screened)
counts[1].metric("Enrolled", numbers.enrolled)
counts[2].metric(
    "Completed", numbers.completed, help="Completed 6 months: enrolled, with a month-6 value for a primary outcome"
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
        with column:
            st.markdown(f"**{OUTCOMES[outcome].label}.** {literal(sentence)}")
            fig = before_after_figure(study.visits, outcome, followup_month=options["followup_month"])
            fig.update_layout(height=400, title_font_size=15, margin={"r": 10, "t": 60})
            chart(fig, study, f"{outcome}_before_after_overview")
    st.caption(numbers.caveat + " Statistical details: **Outcomes** page.")
else:
    st.warning("No primary outcome can be analysed with the data provided.", icon=":material/warning:")

with st.expander("About the study"):
    st.markdown(
        "**NCT04501354** · Phase 2 · single group · Cipto Mangunkusumo Hospital, Jakarta · target n = 5  \n"
        "Allogeneic umbilical-cord mesenchymal stem cells in osteoporosis. Primary outcomes at 6 months: "
        "spine BMD T-score (expected to rise) and VAS pain 0–10 (expected to fall).  \n"
        f"**Data source:** {literal(study.label)}"
    )

st.divider()
downloads_row(study)
