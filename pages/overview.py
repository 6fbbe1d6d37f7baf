"""Overview: the study card, the data source and its status, and the key numbers."""

import streamlit as st

from medpath.summary import key_numbers
from pages.common import current_study, header, literal, report_download

study = current_study()
header("MedPath — umbilical-cord MSC in osteoporosis", study)
numbers = key_numbers(study)

counts = st.columns(6)
counts[0].metric("Screened", "—" if numbers.screened is None else numbers.screened)
counts[1].metric("Enrolled", numbers.enrolled)
counts[2].metric("Completed", numbers.completed, help="Completed 6 months: enrolled, with a month-6 value for a primary outcome")
counts[3].metric("Errors", len(study.errors))
counts[4].metric("Warnings", len(study.warnings))
counts[5].metric("Rows left out", sum(study.excluded_rows.values()), help="Rows with an error finding")
if study.errors:
    st.error(f"{len(study.errors)} error finding(s): the rows concerned are left out of every analysis. "
             "See the **Data** page.", icon=":material/error:")

left, right = st.columns([3, 2], gap="large")
with left:
    st.subheader("Primary results")
    if numbers.results:
        for line in numbers.results:
            st.markdown(f"- {line}")
        st.caption(numbers.caveat)
    else:
        st.warning("No primary outcome can be analysed with the data provided.", icon=":material/warning:")
with right:
    st.subheader("Study")
    st.markdown(
        "**NCT04501354** · Phase 2 · single group · Cipto Mangunkusumo Hospital, Jakarta · target n = 5  \n"
        "Allogeneic umbilical-cord mesenchymal stem cells in osteoporosis. Primary outcomes at 6 months: "
        "spine BMD T-score (expected to rise) and VAS pain 0–10 (expected to fall).  \n"
        f"**Data source:** {literal(study.label)}"
    )

st.divider()
report_download(study)
