"""Trajectories: every patient's course on each outcome (over its classes, where the protocol defines them), the
class shifts and the responders.

A study of more than ``medpath.scale.SUMMARY_ABOVE`` patients leads with the summary of every patient (median and
middle half at each visit, ``trajectory_summary_figure``); the patients picker then starts from the first
``FIRST_DRAWN`` patients, whose own lines are drawn over the summary and whose values, panels and tables follow."""

from typing import Literal

import pandas as pd
import streamlit as st

from medpath.figures.summary_views import trajectory_summary_figure, visit_quartiles
from medpath.figures.trajectory import (
    SMALL_MULTIPLE_COLUMNS,
    small_multiple_pages,
    small_multiples_figure,
    spaghetti_figure,
)
from medpath.formatting import number_cells
from medpath.scale import summary_first
from medpath.wording import option_help
from pages.components import chart, header, literal, no_data, paged_table, plain, table, table_download
from pages.session import choice, current_analysis, current_study

#: Above ``SUMMARY_ABOVE`` patients the picker starts from this many (one row of small multiples).
FIRST_DRAWN = SMALL_MULTIPLE_COLUMNS

study = current_study()
protocol = study.protocol
OPTION_HELP = option_help(protocol)
header("Trajectories", study)
if no_data(study, "trajectories"):
    st.stop()

if not study.outcomes_present:
    st.warning(
        "The visit rows hold no outcome values ("
        + ", ".join(o.label for o in protocol.outcomes.values())
        + "): there is no trajectory to draw.",
        icon=":material/warning:",
    )
    st.stop()
# the outcome and what to show side by side; the patients on a row of their own, so that every chip shows whole
controls = st.columns([3, 2], gap="large")
outcome = controls[0].selectbox(
    "Outcome",
    study.outcomes_present,
    format_func=lambda k: protocol.outcomes[k].axis_title,
    help=OPTION_HELP["outcome"],
)
modes: list[Literal["absolute", "change"]] = ["absolute", "change"]
mode = controls[1].radio(
    "Show",
    modes,
    horizontal=True,
    help=OPTION_HELP["show"],
    format_func={"absolute": "Values", "change": "Change from baseline"}.get,
)
summary = summary_first(len(study.patient_ids))
patients = choice(
    "patients",
    st.multiselect,
    "Patients drawn one by one" if summary else "Patients",
    study.patient_ids,
    default=study.patient_ids[:FIRST_DRAWN] if summary else None,
    format_func=plain,
    help=OPTION_HELP["patients"],
)
if not patients and not summary:
    st.info("Choose at least one patient.")
    st.stop()

analysis = current_analysis(study)
series = analysis.series[outcome]
if summary:  # every patient summarised; the chosen ones' lines over it
    chart(
        lambda: trajectory_summary_figure(study.visits, outcome, patients, mode=mode, protocol=protocol, series=series),
        study,
        f"{outcome}_{mode}_summary",
        data=protocol.clock.in_unit(visit_quartiles(series, "value" if mode == "absolute" else "change")),
        key=(analysis.settings, tuple(patients)),
    )
series = series[series["patient_id"].isin(patients)]
if not summary:
    chart(
        lambda: spaghetti_figure(
            study.visits, outcome, patients=patients, mode=mode, protocol=protocol, series=analysis.series[outcome]
        ),
        study,
        f"{outcome}_{mode}_by_patient",
        data=protocol.clock.in_unit(series),
        key=(analysis.settings, tuple(patients)),
    )

st.subheader(f"{protocol.outcomes[outcome].label}: values by patient and visit")
if patients:
    st.caption("Missed visits are empty cells here and dotted lines in the chart; no value is ever interpolated.")
    shown = protocol.clock.in_unit(series)  # the time in the schedule's unit ("week" 24), not nominal months
    table(number_cells(shown))
    table_download(shown, study, f"{outcome}_values")
else:
    st.info("Choose patients above to see their values, lines and panels.")

incomplete = analysis.completeness[analysis.completeness["incomplete"]]
missing = f"Incomplete follow-up (no {protocol.visit_adjective(protocol.primary_month)} value for a primary outcome)"
if len(incomplete) and not summary:
    st.warning(f"{missing}: " + ", ".join(map(literal, incomplete["patient_id"])), icon=":material/warning:")
elif len(incomplete):  # one line whatever the number of patients, the patients in a table one click away
    st.warning(f"{missing}: {len(incomplete):,} of {len(study.patient_ids):,} patients.", icon=":material/warning:")
    with st.expander(f"Patients with incomplete follow-up ({len(incomplete):,})"):
        paged_table(incomplete.drop(columns="incomplete"), "incomplete-page", "patients")

for key, shifts in analysis.shifts.items():
    bands = protocol.outcomes[key].bands
    assert bands is not None  # shifts exist for outcomes with classes
    st.subheader(
        f"{bands.name} of {protocol.outcomes[key].label}: baseline (rows) → {analysis.followup_visit} (columns), patients"
    )
    st.dataframe(shifts, width="content")
for key in analysis.responders:
    o = protocol.outcomes[key]
    assert o.responder is not None  # responders exist for outcomes with a rule
    verb = "Reduction" if o.better == "lower" else "Increase"
    st.subheader(f"{o.label} response at {analysis.followup_visit}")
    points, percent, _ = st.columns([1, 1, 2])
    with points:
        choice(
            "min_points",
            st.number_input,
            f"{verb} of at least (points)",
            default=o.responder.points,
            min_value=0.5,
            max_value=float(o.valid_range[1] - o.valid_range[0]),
            step=0.5,
            help=OPTION_HELP.get("min_points"),
        )
    with percent:
        choice(
            "min_percent",
            st.number_input,
            "or at least (% of baseline)",
            default=o.responder.percent,
            min_value=5.0,
            max_value=100.0,
            step=5.0,
            help=OPTION_HELP.get("min_percent"),
        )
    chosen = current_analysis(study)  # the thresholds just chosen
    st.markdown(chosen.responder_rates[key].text)
    paged_table(chosen.responders[key], f"{key}-responders-page", "patients", cells=number_cells)
    st.caption(o.responder.convention)

st.subheader("Each patient, every primary outcome")
if not patients:
    st.info("Choose patients above to draw their panels.")
    st.stop()
multiples = pd.concat(
    [
        analysis.series[k][analysis.series[k]["patient_id"].isin(patients)].assign(outcome=protocol.outcomes[k].label)
        for k in protocol.primary_outcomes
        if k in analysis.series
    ],
    ignore_index=True,
)
pages = small_multiple_pages(len(patients))
page = int(st.number_input(f"Page (of {pages}, 30 patients each)", 1, pages, 1)) if pages > 1 else 1
with st.container(key="wide-small-multiples"):  # on a phone: scrolls sideways at its own width (pages.session.PAGE_CSS)
    chart(
        lambda: small_multiples_figure(
            study.visits, patients=patients, protocol=protocol, series=analysis.series, page=page
        ),
        study,
        "small_multiples",
        data=protocol.clock.in_unit(multiples[["outcome", *(c for c in multiples.columns if c != "outcome")]])
        if len(multiples)
        else None,
        key=(analysis.settings, tuple(patients), page),
    )
