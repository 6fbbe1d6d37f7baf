"""Secondary outcomes (range of motion, quality of life, spine BMD in g/cm²): the same exact paired analysis as
the primary outcomes, labelled secondary and exploratory, and BMD change against the least significant change."""

import streamlit as st

from medpath.figures.trajectory import before_after_figure
from medpath.figures.waterfall import waterfall_figure
from medpath.model import OUTCOMES, PRIMARY_MONTH
from medpath.outcomes import headline, plain_language, summary_table
from medpath.secondary import (
    DEFAULT_PRECISION_G_CM2,
    LABEL,
    LSC_FACTOR,
    LSC_NOTE,
    lsc_counts,
    lsc_table,
    secondary_analysis,
)
from pages.common import chart, current_study, header, literal, no_data, table, table_download

study = current_study()
header("Secondary outcomes", study)
if no_data(study, "the secondary outcomes"):
    st.stop()
comparisons = secondary_analysis(study.visits, PRIMARY_MONTH)
if not comparisons:
    st.info(
        "No secondary outcome (range of motion `rom_deg`, quality of life `qol`, spine BMD in g/cm² `bmd_g_cm2`) "
        "has a value in the visits table, so there is nothing to analyse. Add these columns to the visits sheet "
        "(see the template).",
        icon=":material/info:",
    )
    st.stop()
st.warning(
    f"**{LABEL}.** Baseline vs month {PRIMARY_MONTH:g}, exact Wilcoxon signed-rank test and Hodges–Lehmann "
    "estimate as for the primary outcomes; a single group without control.",
    icon=":material/science:",
)
missing = [OUTCOMES[k].label for k in ("bmd_g_cm2", "rom_deg", "qol") if k not in comparisons]
if missing:
    st.caption("Not in the data: " + ", ".join(missing) + ".")

if "bmd_g_cm2" in comparisons:
    st.header("Spine BMD (g/cm²) against the least significant change")
    st.caption(LSC_NOTE)
    left, right = st.columns(2)
    mode = left.radio("Enter", ["precision error", "LSC"], horizontal=True)
    if mode == "precision error":
        precision = right.number_input(
            "Precision error (RMS-SD), g/cm²",
            min_value=0.001,
            max_value=0.1,
            value=DEFAULT_PRECISION_G_CM2,
            step=0.001,
            format="%.3f",
        )
        lsc = LSC_FACTOR * precision
    else:
        lsc = right.number_input(
            "Least significant change, g/cm²",
            min_value=0.001,
            max_value=0.3,
            value=round(LSC_FACTOR * DEFAULT_PRECISION_G_CM2, 4),
            step=0.001,
            format="%.4f",
        )
    bmd = lsc_table(comparisons["bmd_g_cm2"], lsc)
    counts = lsc_counts(bmd)
    st.markdown(
        f"**LSC {lsc:.4f} g/cm²: gain {counts['gain']}, stable {counts['stable']}, loss {counts['loss']}** "
        f"(of {len(bmd)} patients with both values)"
    )
    chart(waterfall_figure(bmd, lsc, PRIMARY_MONTH), study, "bmd_g_cm2_waterfall")
    table(bmd)
    table_download(bmd, study, "bmd_g_cm2_lsc")

for outcome, comparison in comparisons.items():
    st.header(f"{OUTCOMES[outcome].label} (secondary)")
    st.markdown(f"**{headline(comparison)}**")
    left, right = st.columns([3, 2], gap="large")
    with left:
        chart(
            before_after_figure(study.visits, outcome, followup_month=PRIMARY_MONTH), study, f"{outcome}_before_after"
        )
    with right:
        st.markdown("**Per-patient change**")
        table(comparison.changes)
    table(summary_table(comparison))
    st.info(
        "**What these numbers can and cannot show**\n\n"
        + "\n".join(f"- {literal(s)}" for s in plain_language(comparison)),
        icon=":material/lightbulb:",
    )
