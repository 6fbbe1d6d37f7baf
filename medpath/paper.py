"""What the PI reports to the ethics board, the registry's results module and the paper (issue 13): the
CONSORT 2025 participant flow (``medpath.consort``), Table 1 (``medpath.baseline``), harms
(``medpath.adverse_events``) and the secondary outcomes with the LSC (``medpath.secondary``), as the
``summary --json`` keys and as sections of the HTML report. One call each from ``medpath.summary`` and
``medpath.report``."""

from __future__ import annotations

import pandas as pd

from medpath.adverse_events import ae_summary, grade_relatedness_matrix, listing
from medpath.baseline import baseline_json, baseline_table, who_class_notes
from medpath.consort import consort_flow, stages_table
from medpath.eligibility import Eligibility
from medpath.model import OUTCOMES, PRIMARY_MONTH, Study
from medpath.secondary import DEFAULT_LSC, LABEL, LSC_NOTE, lsc_counts, lsc_table, secondary_analysis, secondary_json


def paper_json(
    study: Study,
    eligibility: Eligibility | None = None,
    *,
    followup_month: float = PRIMARY_MONTH,
    alternative: str = "two-sided",
    zero_method: str = "wilcox",
    lsc: float = DEFAULT_LSC,
) -> dict:
    """The keys ``consort``, ``baseline``, ``adverse_events`` (None without an AE sheet) and ``secondary``."""
    flow = consort_flow(study, eligibility, followup_month)
    return {
        "consort": flow.as_json(),
        "baseline": baseline_json(study),
        "adverse_events": ae_summary(study.adverse_events),
        "secondary": secondary_json(study.visits, followup_month, lsc, alternative, zero_method)
        if len(study.visits)
        else {},
    }


def report_sections(
    study: Study, chart, *, followup_month: float = PRIMARY_MONTH, lsc: float = DEFAULT_LSC
) -> list[str]:
    """The report's sections: participant flow (the diagram as an inline SVG, which needs no script and copies
        into a paper), Table 1, adverse events, secondary outcomes (the BMD waterfall plot is on the Secondary outcomes
    page; here its numbers are a table). ``chart``: the report's chart renderer (not used yet)."""
    from medpath.figures.consort import consort_svg
    from medpath.outcomes import headline, summary_table
    from medpath.report import _h3, _list, _p, _section, _table

    flow = consort_flow(study, None, followup_month)
    flow_parts = [f'<figure class="consort">{consort_svg(flow)}</figure>', _table(stages_table(flow), data=True)]
    if flow.notes:
        flow_parts.append(_list(flow.notes))
    sections = [_section("participant-flow", "Participant flow (CONSORT 2025)", *flow_parts)]

    table1 = [
        _p(
            f"Enrolled patients (n = {flow.enrolled}): median (IQR) or n (%) of the patients with a value, "
            "and every patient's value."
        ),
        _table(baseline_table(study, list(flow.enrolled_ids))),
    ]
    table1 += [_p(note, "notice") for note in who_class_notes(study, list(flow.enrolled_ids))]
    sections.append(_section("baseline", "Baseline characteristics (Table 1)", *table1))

    events = study.adverse_events
    if events is None:
        harms = [_p("No adverse-event sheet was supplied: harms are not reported here.", "notice")]
    else:
        summary = ae_summary(events)
        assert summary is not None  # None only without an AE sheet
        harms = [
            _p(
                f"{summary['events']} adverse event(s) in {summary['patients']} of {flow.enrolled} enrolled "
                f"patient(s); {summary['serious']} serious in {summary['serious_patients']} patient(s). CTCAE v5.0 "
                "grades; relatedness to the intervention as assessed by the investigator."
            ),
            _h3("Patients (events) by worst CTCAE grade and relatedness"),
            _table(grade_relatedness_matrix(events), data=False),
            _h3("Listing"),
            _table(listing(events)),
        ]
    sections.append(_section("adverse-events", "Adverse events", *harms))

    comparisons = secondary_analysis(study.visits, followup_month) if len(study.visits) else {}
    secondary = [_p(LABEL + ".", "notice")]
    if not comparisons:
        secondary.append(_p("No secondary outcome (range of motion, quality of life, spine BMD in g/cm²) has a value."))
    for key, comparison in comparisons.items():
        secondary += [_h3(OUTCOMES[key].label), _p(headline(comparison)), _table(summary_table(comparison), data=False)]
        if key == "bmd_g_cm2":
            table = lsc_table(comparison, lsc)
            counts = lsc_counts(table)
            secondary += [
                _p(
                    f"{LSC_NOTE} LSC used: {lsc:.4f} g/cm²: gain {counts['gain']}, stable {counts['stable']}, "
                    f"loss {counts['loss']}."
                ),
                _table(table.assign(percent_change=table["percent_change"].round(2))),
            ]
    sections.append(_section("secondary", f"Secondary outcomes: baseline vs month {followup_month:g}", *secondary))
    return sections


__all__ = ["paper_json", "report_sections", "pd"]
