"""Outcomes: baseline vs a follow-up visit. Each outcome leads with one plain sentence; the estimate,
interval, test, effect size and Holm adjustment sit in "Statistical details", each term explained."""

import streamlit as st

from medpath.outcomes import followup_months
from medpath.stats import minimum_attainable_p
from medpath.wording import HL_ZEROS_OPTIONS, ONE_SIDED_ALPHA, ZERO_METHOD_OPTIONS, direction_options, option_help
from pages.components import downloads_row, header, literal, no_data, outcome_result
from pages.session import choice, current_analysis, current_study

study = current_study()
protocol = study.protocol
OPTION_HELP, DIRECTION_OPTIONS = option_help(protocol), direction_options(protocol)
header("Outcomes", study)
if no_data(study, "outcome statistics"):
    st.stop()

months = followup_months(study.visits, protocol)
if not months:
    st.info(
        "No primary outcome was measured after baseline yet, so there is nothing to compare with baseline. "
        "The **Trajectories** page shows the values there are.",
        icon=":material/info:",
    )
    st.stop()
# which follow-up and which direction on one row, the two conventions for patients with no change on the next:
# each box wide enough to show its choice whole at 1280 px
comparison_row, zeros_row = st.columns([1, 2]), st.columns(2)
with comparison_row[0]:
    choice(
        "followup",
        st.selectbox,
        "Compare baseline with",
        months,
        format_func=protocol.visit_label,
        help=OPTION_HELP["followup"],
    )
# the test's choices: (the key kept in the page address and the session, label, options, help)
TEST_CHOICES = (
    ("alternative", "Direction tested", DIRECTION_OPTIONS, "direction"),
    ("zero_method", "Patients with no change", ZERO_METHOD_OPTIONS, "zero_method"),
    ("hl_zeros", "No change, in the median change", HL_ZEROS_OPTIONS, "hl_zeros"),
)
for column, (key, label, options, help_key) in zip([comparison_row[1], *zeros_row], TEST_CHOICES):
    with column:
        choice(key, st.selectbox, label, list(options), format_func=options.get, help=OPTION_HELP[help_key])
analysis = current_analysis(study)
comparisons = analysis.primary
if analysis.settings.alternative != "two-sided" and comparisons:
    pairs = min(c.n_pairs for c in comparisons.values())
    floor = minimum_attainable_p(pairs, "greater")
    st.caption(
        f"One-sided: a pre-specified one-sided test conventionally uses α = {ONE_SIDED_ALPHA}"
        + (
            f", which {pairs} pairs cannot reach (smallest one-sided p = {floor:g})."
            if floor > ONE_SIDED_ALPHA
            else "."
        )
    )

if analysis.outcomes_not_determinable:
    st.error(
        f"Not determinable: {literal(analysis.outcomes_not_determinable)}. Answer it in the mapping step on the "
        "**Data** page.",
        icon=":material/help:",
    )
    st.stop()
if not comparisons:
    names = ", ".join(protocol.outcomes[k].label for k in protocol.primary_outcomes)
    st.warning(f"No primary outcome ({names}) has any values.")
    st.stop()

for outcome, comparison in comparisons.items():
    st.header(comparison.meta.label)
    outcome_result(comparison, study, outcome)

st.divider()
downloads_row(study)
