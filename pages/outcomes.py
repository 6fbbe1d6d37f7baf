"""Outcomes: baseline vs a follow-up visit. Each outcome leads with one plain sentence; the estimate,
interval, test, effect size and Holm adjustment sit in "Statistical details", each term explained."""

import streamlit as st

from medpath.figures.trajectory import before_after_figure
from medpath.model import OUTCOMES
from medpath.outcomes import details_table, followup_months, headline, plain_language, primary_analysis, summary_table
from medpath.values import month_label
from medpath.wording import DIRECTION_OPTIONS, OPTION_HELP, ZERO_METHOD_OPTIONS, plain_sentence
from pages.common import (
    chart,
    choice,
    current_study,
    downloads_row,
    header,
    literal,
    no_data,
    table,
    table_download,
    test_options,
)

study = current_study()
header("Outcomes", study)
if no_data(study, "outcome statistics"):
    st.stop()

months = followup_months(study.visits)
if not months:
    st.info(
        "No primary outcome was measured after baseline yet, so there is nothing to compare with baseline. "
        "The **Trajectories** page shows the values there are.",
        icon=":material/info:",
    )
    st.stop()
controls = st.columns(3)
with controls[0]:
    choice(
        "followup", st.selectbox, "Compare baseline with", months, format_func=month_label, help=OPTION_HELP["followup"]
    )
with controls[1]:
    choice(
        "alternative",
        st.selectbox,
        "Direction tested",
        list(DIRECTION_OPTIONS),
        format_func=DIRECTION_OPTIONS.get,
        help=OPTION_HELP["direction"],
    )
with controls[2]:
    choice(
        "zero_method",
        st.selectbox,
        "Patients with no change",
        list(ZERO_METHOD_OPTIONS),
        format_func=ZERO_METHOD_OPTIONS.get,
        help=OPTION_HELP["zero_method"],
    )
options = test_options(study)
if options["alternative"] != "two-sided":
    st.caption(
        "One-sided: a pre-specified one-sided test conventionally uses α = 0.025, which five pairs cannot "
        "reach (smallest one-sided p with 5 pairs = 0.03125)."
    )

comparisons = primary_analysis(study.visits, **options, lost=study.left_out_text)
if not comparisons:
    st.warning("Neither primary outcome (spine BMD T-score, VAS) has any values.")
    st.stop()

for outcome, comparison in comparisons.items():
    st.header(OUTCOMES[outcome].label)
    st.markdown(f"**{literal(plain_sentence(comparison))}**")
    left, right = st.columns([3, 2], gap="large")
    with left:
        chart(
            before_after_figure(study.visits, outcome, followup_month=options["followup_month"]),
            study,
            f"{outcome}_before_after",
            data=comparison.changes,
        )
    with right:
        st.markdown("**Result**")
        table(summary_table(comparison))
        st.markdown("**Per-patient change**")
        table(
            comparison.changes.rename(
                columns={
                    "patient_id": "Patient",
                    "baseline": "Baseline",
                    "change": "Change",
                    "followup": month_label(comparison.followup_month).capitalize(),
                }
            )
        )
        table_download(comparison.changes, study, f"{outcome}_changes")
    with st.expander("Statistical details"):
        st.markdown(headline(comparison))
        table(details_table(comparison))
        st.markdown(
            "**What these numbers can and cannot show**\n\n"
            + "\n".join(f"- {literal(s)}" for s in plain_language(comparison))
        )

st.divider()
downloads_row(study)
