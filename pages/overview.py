"""Overview: a compact header, screened / enrolled / completed, one status badge for the data (the
counts only when something is wrong), a compact participant flow (CONSORT), each primary outcome's plain sentence
beside its before-after plot, and the meeting downloads. Follows the choices made on the other pages (follow-up,
direction tested).

The metrics and the flow come from one computation (``summary.key_numbers`` takes them from ``Analysis.flow``): they
cannot disagree. A number the data cannot give is "not determinable" with the reason, never 0."""

import streamlit as st

from medpath.consort import Count, Flow
from medpath.formatting import count, first_upper, not_determinable
from medpath.inert import inert_html
from medpath.summary import key_numbers
from pages.components import HALF_WIDTH, awaiting_upload, before_after_chart, downloads_row, header, literal
from pages.session import current_analysis, current_study

#: The compact flow: boxes side by side, wrapping, stacked with downward arrows on a narrow screen. Scoped by class.
FLOW_CSS = """
<style>
ol.medpath-flow {display: flex; flex-wrap: wrap; align-items: stretch; gap: .35rem; margin: 0 !important;
  padding: 0 !important; list-style: none; font-size: .9rem; line-height: 1.3}
ol.medpath-flow li {margin: 0 !important; padding-left: 0}
ol.medpath-flow li.box {flex: 1 1 9rem; min-width: 0; padding: .4rem .6rem; border-radius: .4rem;
  border: 1px solid rgba(49, 51, 63, .25); overflow-wrap: anywhere}
.medpath-flow .n {font-size: 1.35rem; font-weight: 600; display: block}
.medpath-flow .exit {display: block; color: rgba(49, 51, 63, .75); font-size: .8rem; margin-top: .2rem}
.medpath-flow .arrow {align-self: center; color: rgba(49, 51, 63, .6); font-size: 1.1rem}
@media (max-width: 640px) {
  ol.medpath-flow {flex-direction: column}
  ol.medpath-flow li.box {flex: none; padding: .25rem .6rem}
  ol.medpath-flow .n {display: inline; font-size: 1.1rem}
  ol.medpath-flow li.arrow {transform: rotate(90deg); align-self: flex-start; margin-left: 1.2rem}
}
</style>
"""


def _n(box: Count) -> str:
    return count(box.n)


def _why(reason: str | None) -> str:
    """The reason a box's number is not determinable, as its exit line ("" when it is determinable)."""
    return first_upper(not_determinable(reason)) if reason else ""


def flow_html(flow: Flow) -> str:
    """The CONSORT participant flow in one line of boxes (assessed -> enrolled -> received -> analysed), each exit
    beneath its box; plain HTML text, so a screen reader reads it and it wraps at any width. A number that is not
    determinable is written so, its reason beneath."""
    boxes: list[tuple[str, str, str]] = []  # (number, what, exits)
    if flow.screening_supplied:
        reasons = "; ".join(f"{label[0].lower()}{label[1:]}: {n}" for label, n in flow.category_counts())
        excluded = f"Excluded {_n(flow.excluded)}" + (f": {reasons}" if reasons else "")
        exits = _why(flow.reasons.get("assessed")) or excluded
        boxes.append((count(flow.assessed), "assessed for eligibility", exits))
    not_received = f"Did not receive it: {_n(flow.not_received)}" if flow.not_received.n else ""
    boxes.append((count(flow.enrolled), "enrolled", _why(flow.reasons.get("enrolled"))))
    lost = flow.lost_to_follow_up
    exits = f"Lost to follow-up {_n(lost)}; discontinued {_n(flow.discontinued)}" + (
        f" ({lost.reason})" if lost.n is None and lost.reason else ""
    )
    received = _why(flow.reasons.get("received_intervention"))
    boxes.append(
        (
            count(flow.received_intervention),
            "received the intervention",
            "; ".join(filter(None, [received, not_received, exits])),
        )
    )
    month = f", {flow.followup_visit}" if flow.followup_month is not None else ""
    analysed = "; ".join(f"{flow.labels.get(k, k)}: {n}" for k, n in flow.analysed.items())
    numbers = sorted(set(flow.analysed.values()))
    nothing = count(None) if "received_intervention" in flow.reasons else "0"
    shown = (
        "–".join(str(n) for n in (numbers[0], numbers[-1]))
        if len(numbers) > 1
        else str(numbers[0])
        if numbers
        else nothing
    )
    boxes.append((shown, f"analysed{month}", analysed))
    items = []
    for i, (number, what, exit_text) in enumerate(boxes):
        if i:
            items.append('<li class="arrow" aria-hidden="true">→</li>')
        exit_html = f'<span class="exit">{inert_html(exit_text)}</span>' if exit_text else ""
        items.append(f'<li class="box"><span class="n">{inert_html(number)}</span> {inert_html(what)}{exit_html}</li>')
    return f'{FLOW_CSS}<ol class="medpath-flow" aria-label="Participant flow (CONSORT)">{"".join(items)}</ol>'


study = current_study()
protocol = study.protocol
header(f"MedPath — {protocol.id}", study, compact=True)
if awaiting_upload(study):
    st.stop()
analysis = current_analysis(study)
numbers = key_numbers(analysis)

counts = st.columns([1, 1, 1, 3], vertical_alignment="center")
completed_help = (
    f"Completed {protocol.time_span(protocol.primary_month)}: enrolled, with a "
    f"{protocol.visit_adjective(protocol.primary_month)} value for a primary outcome"
)
for column, (name, n, help_text) in zip(
    counts,
    [
        ("Screened", numbers.screened, "Rows of the screening log"),
        (
            "Enrolled",
            numbers.enrolled,
            "The enrolment recorded: marked enrolled in the screening log, or with visit rows",
        ),
        ("Completed", numbers.completed, completed_help),
    ],
):
    reason = numbers.reasons.get(name.lower())
    column.metric(name, count(n), help=literal(f"{help_text}. {not_determinable(reason)}." if n is None else help_text))
with counts[3]:
    if study.errors or study.warnings:
        problems = st.columns(3)
        problems[0].metric("Errors", len(study.errors))
        problems[1].metric("Warnings", len(study.warnings))
        problems[2].metric(
            "Left out",
            sum(study.excluded_rows.values()) + len(study.left_out_values),
            help="Rows and single values left out of the analyses because of an error finding",
        )
    elif any(step.n is None for step in analysis.eligibility.steps if step.id != "screened"):
        st.badge("Data checked: some counts are not determinable — see below", icon=":material/help:", color="orange")
    elif unchecked := sum(step.unknown for step in analysis.eligibility.steps):  # missing data: not "no problems"
        st.badge(
            f"Data checked: {unchecked} candidate{'s' if unchecked != 1 else ''} could not be checked — see Eligibility",
            icon=":material/help:",
            color="orange",
        )
    else:
        st.badge("Data checked: no problems found", icon=":material/check_circle:", color="green")
if study.errors:
    st.error(
        f"{len(study.errors)} error finding(s): {study.left_out or 'nothing'} left out of the analyses; "
        "each result below names the values it lost. See the **Data** page.",
        icon=":material/error:",
    )
unknown_numbers = [
    f"{name.capitalize()}: {not_determinable(reason)}."
    for name, reason in numbers.reasons.items()
    if not (name == "screened" and study.screening is None and "screening" not in study.unread)  # no log: as designed
]
if unknown_numbers:
    st.warning(literal(" ".join(unknown_numbers)), icon=":material/help:")
for note in numbers.funnel_notes:
    st.warning(literal(note), icon=":material/help:")
st.html(flow_html(analysis.flow))
st.caption("Participant flow (CONSORT 2025). Every reason and the full diagram: the **Eligibility** page.")

st.subheader("Primary results")
if numbers.sentences:
    plots = st.columns(len(numbers.sentences), gap="large")
    for column, (outcome, sentence) in zip(plots, numbers.sentences.items()):
        comparison = analysis.primary[outcome]
        with column:
            st.markdown(f"**{comparison.meta.label}.** {literal(sentence)}")
            before_after_chart(comparison, study, f"{outcome}_before_after_overview", HALF_WIDTH, height=400)
    st.caption(numbers.caveat + " Statistical details: **Outcomes** page.")
elif analysis.outcomes_not_determinable:
    st.error(
        f"The primary results are not determinable: {literal(analysis.outcomes_not_determinable)}. Answer it in the "
        "mapping step on the **Data** page.",
        icon=":material/help:",
    )
else:
    st.warning("No primary outcome can be analysed with the data provided.", icon=":material/warning:")

with st.expander("About the study"):
    expected = "; ".join(
        f"{protocol.outcomes[k].label} (expected to {'rise' if protocol.outcomes[k].better == 'higher' else 'fall'})"
        for k in protocol.primary_outcomes
    )
    st.markdown(
        f"**{literal(protocol.headline)}**  \n{literal(protocol.title)}. Primary outcomes at "
        f"{protocol.primary_visit}: {literal(expected)}.  \n**Data source:** {literal(study.label)}"
    )

st.divider()
downloads_row(study)
