"""Trajectories: every patient's course on each outcome, over the WHO bands, and the class shifts."""

from typing import Literal

import streamlit as st

from medpath.figures.trajectory import small_multiples_figure, spaghetti_figure
from medpath.model import OUTCOMES, PRIMARY_MONTH
from medpath.trajectories import VAS_RESPONSE_CONVENTION, completeness, patient_series, vas_response, who_shift_table
from medpath.wording import OPTION_HELP
from pages.common import chart, choice, current_study, header, literal, no_data, plain, table, table_download

study = current_study()
header("Trajectories", study)
if no_data(study, "trajectories"):
    st.stop()

if not study.outcomes_present:
    st.warning(
        "The visit rows hold no outcome values (spine BMD T-score, VAS, ...): there is no trajectory to draw.",
        icon=":material/warning:",
    )
    st.stop()
controls = st.columns([2, 3, 2])
outcome = controls[0].selectbox(
    "Outcome", study.outcomes_present, format_func=lambda k: OUTCOMES[k].axis_title, help=OPTION_HELP["outcome"]
)
with controls[1]:
    patients = choice(
        "patients", st.multiselect, "Patients", study.patient_ids, format_func=plain, help=OPTION_HELP["patients"]
    )
modes: list[Literal["absolute", "change"]] = ["absolute", "change"]
mode = controls[2].radio(
    "Show",
    modes,
    horizontal=True,
    help=OPTION_HELP["show"],
    format_func={"absolute": "Values", "change": "Change from baseline"}.get,
)
if not patients:
    st.info("Choose at least one patient.")
    st.stop()

series = patient_series(study.visits, outcome)
series = series[series["patient_id"].isin(patients)]
chart(spaghetti_figure(study.visits, outcome, patients=patients, mode=mode), study, f"{outcome}_{mode}_by_patient")

st.subheader(f"{OUTCOMES[outcome].label}: values by patient and visit")
st.caption("Missed visits are empty cells here and dotted lines in the chart; no value is ever interpolated.")
table(series)
table_download(series, study, f"{outcome}_values")

incomplete = completeness(study.visits)
incomplete = incomplete[incomplete["incomplete"]]
if len(incomplete):
    st.warning(
        f"Incomplete follow-up (no month-{PRIMARY_MONTH:g} value for a primary outcome): "
        + ", ".join(map(literal, incomplete["patient_id"])),
        icon=":material/warning:",
    )

if "bmd_tscore" in study.outcomes_present:
    st.subheader(f"WHO class: baseline (rows) → month {PRIMARY_MONTH:g} (columns), patients")
    st.dataframe(who_shift_table(study.visits), width="content")
if "vas" in study.outcomes_present:
    st.subheader(f"VAS response at month {PRIMARY_MONTH:g}")
    points, percent, _ = st.columns([1, 1, 2])
    with points:
        min_points = choice(
            "min_points",
            st.number_input,
            "Reduction of at least (points)",
            min_value=0.5,
            max_value=10.0,
            step=0.5,
            help=OPTION_HELP["min_points"],
        )
    with percent:
        min_percent = choice(
            "min_percent",
            st.number_input,
            "or at least (% of baseline)",
            min_value=5.0,
            max_value=100.0,
            step=5.0,
            help=OPTION_HELP["min_percent"],
        )
    table(vas_response(study.visits, min_points=min_points, min_percent=min_percent))
    st.caption(VAS_RESPONSE_CONVENTION)

st.subheader("Each patient, both primary outcomes")
chart(small_multiples_figure(study.visits, patients=patients), study, "small_multiples")
