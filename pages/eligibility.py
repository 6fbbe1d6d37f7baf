"""Eligibility: the protocol's criteria per candidate, as a CONSORT-style funnel."""

import streamlit as st

from medpath.eligibility import candidate_table, evaluate, reasons_table
from medpath.figures.funnel import funnel_figure
from pages.common import chart, current_study, header, literal, no_data, table, table_download

study = current_study()
header("Eligibility", study)
if study.screening is None and no_data(study, "the eligibility funnel"):
    st.stop()
eligibility = evaluate(study.screening, study.visits)

for deviation in eligibility.deviations:
    st.warning(literal(deviation), icon=":material/warning:")

chart(funnel_figure(eligibility), study, "eligibility_funnel")

reasons = reasons_table(eligibility)
st.subheader("Reasons (over all candidates, not only the first reason)")
table(reasons)
labels = dict(zip(reasons["criterion"], reasons["label"]))

st.subheader("Candidates")
chosen = st.multiselect("Show candidates who fail or are unknown on", options=list(labels),
                        format_func=labels.get, placeholder="all candidates")
shown = candidate_table(eligibility, chosen)
table(shown)
table_download(shown, study, "candidates")

with st.expander("Conventions used at the boundaries", expanded=True):
    for convention in eligibility.conventions:
        st.markdown(f"- {convention}")
