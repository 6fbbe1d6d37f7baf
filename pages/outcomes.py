"""Outcomes: baseline vs a follow-up visit, exact small-sample statistics, and what n = 5 can show."""

import streamlit as st

from medpath.figures.trajectory import before_after_figure
from medpath.model import OUTCOMES, PRIMARY_MONTH
from medpath.outcomes import followup_months, headline, plain_language, primary_analysis, summary_table
from medpath.values import month_label
from pages.common import chart, current_study, header, literal, no_data, report_download, table, table_download

ALTERNATIVES = {
    "two-sided": "Two-sided (default)",
    "expected": "One-sided, protocol direction (BMD up, VAS down)",
    "greater": "One-sided: increase",
    "less": "One-sided: decrease",
}

study = current_study()
header("Outcomes", study)
if no_data(study, "outcome statistics"):
    st.stop()

months = followup_months(study.visits)
if not months:
    st.info("No primary outcome was measured after baseline yet, so there is nothing to compare with baseline. "
            "The **Trajectories** page shows the values there are.", icon=":material/info:")
    st.stop()
controls = st.columns(3)
followup = controls[0].selectbox("Compare baseline with", months, format_func=month_label,
                                 index=months.index(PRIMARY_MONTH) if PRIMARY_MONTH in months else len(months) - 1)
alternative = controls[1].selectbox("Alternative", list(ALTERNATIVES), format_func=ALTERNATIVES.get)
zero_method = controls[2].selectbox("Zero changes", ["wilcox", "pratt"],
                                    format_func={"wilcox": "Dropped (Wilcoxon)", "pratt": "Ranked, then dropped (Pratt)"}.get)

comparisons = primary_analysis(study.visits, followup_month=followup, alternative=alternative, zero_method=zero_method)
if not comparisons:
    st.warning("Neither primary outcome (spine BMD T-score, VAS) has any values.")
    st.stop()

for outcome, comparison in comparisons.items():
    st.header(OUTCOMES[outcome].label)
    st.markdown(f"**{headline(comparison)}**")
    left, right = st.columns([3, 2], gap="large")
    with left:
        chart(before_after_figure(study.visits, outcome, followup_month=followup), study, f"{outcome}_before_after")
    with right:
        st.markdown("**Per-patient change**")
        table(comparison.changes)
        table_download(comparison.changes, study, f"{outcome}_changes")
    table(summary_table(comparison))
    st.info("**What these numbers can and cannot show**\n\n" + "\n".join(f"- {literal(s)}" for s in plain_language(comparison)),
            icon=":material/lightbulb:")

st.divider()
report_download(study, followup_month=followup, alternative=alternative, zero_method=zero_method)
