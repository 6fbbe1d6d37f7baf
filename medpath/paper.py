"""What the PI reports to the ethics board, the registry's results module and the paper (issue 13): the
CONSORT 2025 participant flow (``medpath.consort``), Table 1 (``medpath.baseline``), harms
(``medpath.adverse_events``) and the secondary outcomes with the LSC (``medpath.secondary``), as the
``summary --json`` keys and as sections of the HTML report. One call each from ``medpath.summary`` and
``medpath.report``."""

from __future__ import annotations

from medpath.adverse_events import ae_summary, grade_relatedness_matrix, listing
from medpath.analysis import Analysis
from medpath.baseline import band_notes, baseline_json, baseline_table
from medpath.consort import stages_table
from medpath.secondary import LABEL, lsc_counts, lsc_table, secondary_json


def paper_json(analysis: Analysis) -> dict:
    """The keys ``consort``, ``baseline``, ``adverse_events`` (None without an AE sheet) and ``secondary``."""
    study = analysis.study
    return {
        "consort": analysis.flow.as_json(),
        "baseline": baseline_json(study, list(analysis.flow.enrolled_ids)),
        "adverse_events": ae_summary(study.adverse_events),
        "secondary": secondary_json(analysis.secondary, analysis.settings.lsc),
    }


def report_sections(analysis: Analysis, chart) -> list[str]:
    """The report's sections: participant flow (the diagram as an inline SVG, which needs no script and copies
    into a paper), Table 1, adverse events, secondary outcomes (with a waterfall of the changes against the LSC
    where the protocol gives one). ``chart``: the report's chart renderer (``medpath.report._Charts``)."""
    from medpath.export import footer_lines
    from medpath.figures.consort import consort_svg
    from medpath.figures.waterfall import waterfall_figure
    from medpath.outcomes import headline, summary_table
    from medpath.report import _h3, _list, _p, _section, _table
    from medpath.wording import plain_sentence

    study, flow = analysis.study, analysis.flow
    followup_month, lsc = analysis.followup_month, analysis.settings.lsc
    flow_parts = [
        f'<figure class="consort">{consort_svg(flow, footer=footer_lines(analysis.study))}</figure>',
        _table(stages_table(flow), data=True),
    ]
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
    table1 += [_p(note, "notice") for note in band_notes(study, list(flow.enrolled_ids))]
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

    comparisons = analysis.secondary
    secondary = [_p(LABEL + ".", "notice")]
    if not comparisons:
        names = ", ".join(study.protocol.outcomes[k].label for k in study.protocol.secondary_outcomes)
        secondary.append(_p(f"No secondary outcome ({names}) has a value."))
    for comparison in comparisons.values():
        meta = comparison.meta
        secondary += [
            _h3(meta.label),
            _p(plain_sentence(comparison), "plain"),
            _table(summary_table(comparison), data=False),
            _p(headline(comparison)),
        ]
        if meta.lsc is not None:
            used = meta.lsc.value if lsc is None else lsc
            table = lsc_table(comparison, used)
            counts = lsc_counts(table)
            secondary += [
                _p(
                    f"{meta.lsc.note} LSC used: {used:.4f} {meta.unit}: gain {counts['gain']}, "
                    f"stable {counts['stable']}, loss {counts['loss']}."
                ),
                chart(waterfall_figure(table, used, meta, followup_month), f"waterfall-{comparison.outcome}"),
                _table(table),
            ]
    sections.append(_section("secondary", f"Secondary outcomes: baseline vs month {followup_month:g}", *secondary))
    return sections
