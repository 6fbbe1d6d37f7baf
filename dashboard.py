"""MedPath dashboard: ``streamlit run dashboard.py``. Thin: navigation only; pages live in ``pages/``
(every page gets its data through ``pages.common.current_study``, which holds the sign-in gate)."""

import streamlit as st

st.set_page_config(page_title="MedPath — NCT04501354", page_icon=":material/monitoring:", layout="wide")

navigation = st.navigation([
    st.Page("pages/overview.py", title="Overview", icon=":material/home:", default=True),
    st.Page("pages/data.py", title="Data", icon=":material/upload_file:"),
    st.Page("pages/eligibility.py", title="Eligibility", icon=":material/filter_alt:"),
    st.Page("pages/trajectories.py", title="Trajectories", icon=":material/show_chart:"),
    st.Page("pages/outcomes.py", title="Outcomes", icon=":material/analytics:"),
])
navigation.run()
