"""Secondary outcomes (the protocol's non-primary outcomes): the same exact paired analysis as the primary
outcomes, labelled secondary and exploratory, and each change against the least significant change where the
protocol gives one (``Outcome.lsc``): a waterfall of a bar per patient up to ``medpath.scale.SUMMARY_ABOVE``
patients, the distribution of the changes above it (a bar per patient was 72,000 elements at 5,000 patients)."""

from functools import partial

import streamlit as st

from medpath.figures.waterfall import change_histogram_figure, lsc_bins, waterfall_figure
from medpath.formatting import number_cells
from medpath.scale import summary_first
from medpath.secondary import LABEL, lsc_counts, lsc_table
from pages.components import chart, header, no_data, outcome_result, paged_table, table_download
from pages.session import choice, current_analysis, current_study

study = current_study()
protocol = study.protocol
header("Secondary outcomes", study)
if no_data(study, "the secondary outcomes"):
    st.stop()
analysis = current_analysis(study)
comparisons = analysis.secondary
if not comparisons:
    names = ", ".join(f"{protocol.outcomes[k].label} `{k}`" for k in protocol.secondary_outcomes)
    st.info(
        f"No secondary outcome ({names}) has a value in the visits table, so there is nothing to analyse. Add these "
        "columns to the visits sheet (see the template).",
        icon=":material/info:",
    )
    st.stop()
st.warning(
    f"**{LABEL}.** Baseline vs {analysis.followup_visit}, exact Wilcoxon signed-rank test and Hodges–Lehmann "
    "estimate as for the primary outcomes; a single group without control.",
    icon=":material/science:",
)
missing = [protocol.outcomes[k].label for k in protocol.secondary_outcomes if k not in comparisons]
if missing:
    st.caption("Not in the data: " + ", ".join(missing) + ".")

for outcome, comparison in comparisons.items():
    rule = comparison.meta.lsc
    if rule is None:
        continue
    unit = comparison.meta.unit
    st.header(f"{comparison.meta.label} ({unit}) against the least significant change")
    st.caption(rule.note)
    lsc = choice(
        "lsc",
        st.number_input,
        f"Least significant change, {unit} (= {rule.factor:g} × {rule.precision_name})",
        default=round(rule.value, 4),
        min_value=0.0001,
        max_value=10 * rule.value,
        step=0.001,
        format="%.4f",
    )
    changes = lsc_table(comparison, lsc)
    counts = lsc_counts(changes)
    st.markdown(
        f"**LSC {lsc:.4f} {unit}: gain {counts['gain']}, stable {counts['stable']}, loss {counts['loss']}** "
        f"(of {len(changes)} patients with both values; precision error {lsc / rule.factor:.4f} {unit})"
    )
    if summary_first(len(changes)):
        chart(
            partial(change_histogram_figure, changes, lsc, comparison.meta, analysis.followup_visit),
            study,
            f"{outcome}_changes_histogram",
            data=lsc_bins(changes, lsc),
            key=(analysis.settings, lsc),
        )
    else:
        with st.container(key=f"wide-{outcome}-waterfall"):  # on a phone: scrolls sideways at its own width (PAGE_CSS)
            chart(
                partial(waterfall_figure, changes, lsc, comparison.meta, analysis.followup_visit),
                study,
                f"{outcome}_waterfall",
                data=changes,
                key=(analysis.settings, lsc),
            )
    paged_table(changes, f"{outcome}-lsc-page", "patients", cells=number_cells)
    table_download(changes, study, f"{outcome}_lsc")

for outcome, comparison in comparisons.items():
    st.header(f"{comparison.meta.label} (secondary)")
    outcome_result(comparison, study, outcome)
