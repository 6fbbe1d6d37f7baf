"""Trajectories: every patient's course on each outcome, over the WHO bands, and the class shifts."""

import streamlit as st

from medpath.figures.trajectory import small_multiples_figure, spaghetti_figure
from medpath.model import OUTCOMES, PRIMARY_MONTH
from medpath.trajectories import VAS_RESPONSE_CONVENTION, completeness, patient_series, vas_response, who_shift_table
from pages.common import chart, current_study, header, literal, no_data, plain, table, table_download

study = current_study()
header("Trajectories", study)
if no_data(study, "trajectories"):
    st.stop()

if not study.outcomes_present:
    st.warning("The visit rows hold no outcome values (spine BMD T-score, VAS, ...): there is no trajectory to draw.",
               icon=":material/warning:")
    st.stop()
controls = st.columns([2, 3, 2])
outcome = controls[0].selectbox("Outcome", study.outcomes_present, format_func=lambda k: OUTCOMES[k].axis_title)
patients = controls[1].multiselect("Patients", study.patient_ids, default=study.patient_ids, format_func=plain)
mode = controls[2].radio("Show", ["absolute", "change"], horizontal=True,
                         format_func={"absolute": "Values", "change": "Change from baseline"}.get)
if not patients:
    st.info("Choose at least one patient.")
    st.stop()

chart(spaghetti_figure(study.visits, outcome, patients=patients, mode=mode), study, f"{outcome}_{mode}_by_patient")

series = patient_series(study.visits, outcome)
series = series[series["patient_id"].isin(patients)]
st.subheader(f"{OUTCOMES[outcome].label}: values by patient and visit")
st.caption("Missing visits are shown as gaps (empty cells), never interpolated.")
table(series)
table_download(series, study, f"{outcome}_values")

incomplete = completeness(study.visits)
incomplete = incomplete[incomplete["incomplete"]]
if len(incomplete):
    st.warning(f"Incomplete follow-up (no month-{PRIMARY_MONTH:g} value for a primary outcome): "
               + ", ".join(map(literal, incomplete["patient_id"])), icon=":material/warning:")

if "bmd_tscore" in study.outcomes_present:
    st.subheader(f"WHO class: baseline (rows) → month {PRIMARY_MONTH:g} (columns), patients")
    st.dataframe(who_shift_table(study.visits), width="content")
if "vas" in study.outcomes_present:
    st.subheader(f"VAS response at month {PRIMARY_MONTH:g}")
    points, percent, _ = st.columns([1, 1, 2])
    min_points = points.number_input("Reduction of at least (points)", 0.5, 10.0, 2.0, 0.5)
    min_percent = percent.number_input("or at least (% of baseline)", 5.0, 100.0, 30.0, 5.0)
    table(vas_response(study.visits, min_points=min_points, min_percent=min_percent))
    st.caption(VAS_RESPONSE_CONVENTION)

st.subheader("Each patient, both primary outcomes")
chart(small_multiples_figure(study.visits, patients=patients), study, "small_multiples")
