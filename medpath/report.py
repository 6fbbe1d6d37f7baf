"""One self-contained HTML report of a study: key numbers, charts, tables, findings, methods, provenance.

``build_report(study)`` returns a single HTML document that opens offline: every chart is an interactive
plotly div drawn from its figure JSON, embedded next to it in a ``<script type="application/json">``.
plotly.js is included once (only when there is a chart), gzip-compressed and base-85 encoded (about
1.8 MB instead of 4.8 MB); a short script in the page decodes it, inflates it with the browser's
``DecompressionStream`` (Chrome 80, Firefox 113, Safari 16.4 and later; older browsers show the text
and tables and a note in place of each chart), runs it and draws the charts. There is no
``<script src=>``, no ``<link href=>`` and nothing is fetched from the network.

Safety: every piece of text that comes from the data (patient ids, file names, finding values and
messages, the study label) is HTML-escaped; chart data is embedded by plotly as JSON with ``<`` and
``>`` escaped. Data-derived table cells are also neutralised against formula injection
(``medpath.export.neutralise``), so a table copied from the report into a spreadsheet stays inert.

A study of more than ``medpath.scale.SUMMARY_ABOVE`` patients (issue 28) gets the dashboard's summary views, so that
the file stays a few megabytes whatever the study's size (at 5,000 patients it was 52 MB of spaghetti, before-after
lines, 167 pages of small multiples and one bullet per deviation): the trajectories as the median and middle half per
visit with the lines of a few patients over it (``_drawn``), each before-after plot as the paired distribution, the
protocol deviations counted by criterion, the adverse events by term and grade, the changes against the LSC as a
histogram, and every per-patient listing cut to its first ``medpath.paper.LISTED_ROWS`` rows with a sentence saying
how many more there are and where (``medpath.paper.first_rows``). A pilot's report is as it was.

``python -m medpath report FILE ... -o report.html`` and the dashboard's "Download report" button
both call ``build_report``.
"""

from __future__ import annotations

import datetime as dt
import html
import json
import platform
import re
from collections.abc import Iterable
from importlib.metadata import version

import numpy as np
import pandas as pd
import plotly.io as pio
from plotly.utils import PlotlyJSONEncoder

import medpath
from medpath.adverse_events import grade_relatedness_matrix, listing
from medpath.ae_groups import TERM_GRADE_NOTE, term_grade_table
from medpath.analysis import Analysis
from medpath.baseline import band_notes, table1, table1_intro
from medpath.consort import stages_table
from medpath.deviations import deviation_table, summary_sentences
from medpath.eligibility import deviation_counts, reasons_table, team_statements
from medpath.export import chart_config, date_stamp, footer_lines, neutralise_frame, slug, stamped, text_columns
from medpath.figures.consort import consort_svg
from medpath.figures.funnel import funnel_figure
from medpath.figures.safety import term_grade_figure, timeline_rows
from medpath.figures.summary_views import before_after_view, trajectory_summary_figure
from medpath.figures.svg import figure_svg
from medpath.figures.trajectory import (
    PATIENTS_PER_PAGE,
    SMALL_MULTIPLE_COLUMNS,
    small_multiple_pages,
    small_multiples_figure,
    spaghetti_figure,
)
from medpath.figures.waterfall import change_histogram_figure, waterfall_figure
from medpath.formatting import count_or_reason, number_cells, smallest_p
from medpath.inert import reveal_controls
from medpath.model import Study
from medpath.outcomes import (
    OutcomeComparison,
    details_table,
    headline,
    per_patient_changes,
    plain_language,
    plain_sentence,
    summary_table,
)
from medpath.packed_plotly import BASE85_DIGITS, packed_plotly_js
from medpath.paper import first_rows
from medpath.protocol import Protocol
from medpath.safety_status import events_sentence, not_read_sentence, safety
from medpath.scale import summary_first
from medpath.secondary import LABEL, lsc_counts, lsc_table
from medpath.stats import HL_ZERO_CONVENTIONS, minimum_attainable_p
from medpath.summary import key_numbers

DISCLAIMER = (
    "Exploratory analysis of a single-group, uncontrolled study with few patients. The results "
    "describe these patients only; they are not evidence that the treatment works or does not work, "
    "and they are no substitute for the trial's statistical analysis plan or for clinical judgement."
)


def methods(analysis: Analysis) -> list[str]:
    """The methods text, with the numbers of this analysis (pairs, levels, the outcomes in the Holm family) and
    the protocol's sources (classes, responder rules)."""
    protocol, settings = analysis.study.protocol, analysis.settings
    primary = [protocol.outcomes[k].label for k in protocol.primary_outcomes]
    pairs = min((c.n_pairs for c in analysis.primary.values() if c.n_pairs), default=0)
    levels = [c.hodges_lehmann.ci_level for c in analysis.primary.values() if c.n_pairs == pairs and pairs]
    level = f" (with {pairs} pairs at most {100 * levels[0]:.4g} %, never 95 %)" if levels and levels[0] < 0.95 else ""
    texts = [
        "Paired changes are follow-up minus baseline, in the patients measured at both visits; nothing is "
        "imputed, interpolated or carried forward.",
        "Wilcoxon signed-rank test (Wilcoxon, Biometrics Bulletin 1 (1945) 80–83), exact and conditional: the "
        "p-value comes from the permutation distribution of W+ over all 2^n sign assignments of the observed "
        "midranks, computed by dynamic programming over the doubled midranks, so it stays exact with ties "
        "(Hollander, Wolfe & Chicken, Nonparametric Statistical Methods, 3rd ed., Wiley 2014, §3.1). Zero "
        "changes are dropped (Wilcoxon) or ranked and then dropped (Pratt, J. Amer. Statist. Assoc. 54 (1959) "
        "655–667). Above 60 non-zero changes a normal approximation with tie and continuity corrections is used."
        + (
            f" With {pairs} pairs the smallest two-sided p-value is {smallest_p(minimum_attainable_p(pairs))}."
            if pairs
            else ""
        ),
        "Hodges–Lehmann estimator of the median change (Hodges & Lehmann, Ann. Math. Statist. 34 (1963) "
        "598–611): the median of the Walsh averages, with the distribution-free confidence interval from "
        "their order statistics (Hollander, Wolfe & Chicken 2014, §3.2–3.3). The interval's achieved "
        f"confidence level is reported{level}. {HL_ZERO_CONVENTIONS[settings.hl_zeros]}",
        "Effect size: matched-pairs rank-biserial correlation r = (W+ − W−) / (W+ + W−) (Kerby, "
        "Comprehensive Psychology 3 (2014) 11.IT.3.1).",
        "Sign test, two-sided, exact binomial (Hollander, Wolfe & Chicken 2014, ch. 3).",
        f"Holm step-down adjustment of the Wilcoxon p-values across the {len(primary)} primary outcome(s) "
        f"({', '.join(primary)}; Holm, Scand. J. Statist. 6 (1979) 65–70).",
        "Descriptive statistics: median (interquartile range, linear interpolation, Hyndman & Fan type 7, "
        "Amer. Statist. 50 (1996) 361–365) of baseline, follow-up and change; for reference the mean change "
        "with its Student t interval (t quantile from the exact series of Abramowitz & Stegun 26.7.3–26.7.4, "
        "Cornish–Fisher 26.7.5 above 1,000 degrees of freedom).",
    ]
    texts += [f"{o.label} classes: {o.bands.source}." for o in protocol.outcomes.values() if o.bands]
    texts.append(
        "Participant flow and eligibility funnel drawn after the CONSORT 2025 flow diagram (Hopewell et al., "
        "BMJ 2025;389:e081123)."
    )
    return texts


CSS = """
body { font-family: Arial, Helvetica, sans-serif; font-size: 15px; color: #1a1a1a; margin: 0; }
main { max-width: 1180px; margin: 0 auto; padding: 24px 32px 64px; }
h1 { font-size: 26px; margin: 0 0 6px; } h2 { font-size: 21px; margin-top: 40px;
  border-bottom: 2px solid #0072B2; padding-bottom: 4px; } h3 { font-size: 17px; margin-top: 28px; }
.banner { background: #D55E00; color: white; font-weight: bold; padding: 10px 16px; font-size: 17px;
  letter-spacing: 0.04em; }
.meta { color: #555; margin: 0 0 12px; }
.notice { background: #FFF3D6; border-left: 5px solid #E69F00; padding: 10px 14px; margin: 14px 0; }
.disclaimer { background: #F2F2F2; border-left: 5px solid #888; padding: 10px 14px; }
nav ul { list-style: none; padding: 0; display: flex; flex-wrap: wrap; gap: 6px 18px; }
table { border-collapse: collapse; margin: 10px 0 18px; font-size: 14px; }
th, td { border: 1px solid #ccc; padding: 4px 9px; text-align: left; vertical-align: top; }
th { background: #EAF1F8; } td.num, td.hash { font-family: Consolas, Menlo, monospace; }
dl.key { display: grid; grid-template-columns: max-content auto; gap: 4px 18px; }
dl.key dt { font-weight: bold; } dl.key dd { margin: 0; }
ul.results li { margin-bottom: 6px; }
figure.chart { margin: 12px 0 24px; border: 1px solid #e3e3e3; max-width: 100%; }
.static-chart svg { display: block; width: 100%; height: auto; max-width: 100%; }
figure.consort { margin: 12px 0 24px; } figure.consort svg { display: block; max-width: 100%; height: auto; }
figure.drawn .static-chart { display: none; }
.plotly-graph-div:empty { display: none; }
p.plain { font-size: 17px; font-weight: bold; }
details summary { cursor: pointer; font-weight: bold; margin: 8px 0; }
@media (max-width: 600px) { main { padding: 12px; } table { display: block; overflow-x: auto; } }
@page { size: A4; margin: 16mm 14mm; }
@media print {
  main { max-width: none; padding: 0; }
  figure, table, tr, dl.key, p.plain { break-inside: avoid; }
  h2, h3 { break-after: avoid; }
  nav { display: none; }
  .plotly-graph-div { display: none !important; }
  figure.drawn .static-chart { display: block; }
  figure svg { max-height: 235mm; }
  details > * { display: block; }
  table { width: 100%; table-layout: fixed; word-wrap: break-word; font-size: 12px; }
}
"""


# ---------------------------------------------------------------------------------------- formatting


def _text(value: object) -> str:
    """HTML-escaped text of any value (quotes included), bidirectional and invisible controls shown."""
    return html.escape(reveal_controls(value), quote=True)


# ------------------------------------------------------------------------------------- HTML helpers


_SECTION_START = r'<section id="([a-z-]+)">\n<h2>(.*?)</h2>'


def _section(anchor: str, title: str, *parts: str) -> str:
    return f'<section id="{anchor}">\n<h2>{_text(title)}</h2>\n' + "\n".join(parts) + "\n</section>"


def _h3(title: str) -> str:
    return f"<h3>{_text(title)}</h3>"


def _p(text: str, css: str | None = None) -> str:
    return f'<p class="{css}">{_text(text)}</p>' if css else f"<p>{_text(text)}</p>"


def _list(items: Iterable[str], css: str | None = None) -> str:
    rows = "".join(f"<li>{_text(item)}</li>" for item in items)
    return f'<ul class="{css}">{rows}</ul>' if css else f"<ul>{rows}</ul>"


#: Column labels a reader understands, instead of the tables' raw names.
COLUMN_LABELS = {
    "patient_id": "Patient",
    "baseline": "Baseline",
    "followup": "Follow-up",
    "change": "Change",
    "measure": "Measure",
    "value": "Value",
    "meaning": "What it means",
    "method": "Method",
    "label": "Criterion",
    "failed": "Not met",
    "unknown": "Unknown",
    "severity": "Severity",
    "file": "File",
    "sheet": "Sheet",
    "row": "Excel row",
    "column": "Column",
    "message": "Message",
    "percent_change": "Change (%)",
    "responder": "Responder",
    "band": "Class",
    "month": "Month",
    "visit": "Visit",
}


def _label(name: object, protocol: Protocol | None = None) -> object:
    """A column's label for a reader: ``COLUMN_LABELS``, else an outcome's axis title (``protocol``: the study's;
    without it outcome columns keep their names), else the name made readable."""
    if not isinstance(name, str):
        return name
    if name in COLUMN_LABELS:
        return COLUMN_LABELS[name]
    if protocol is not None and name in protocol.outcomes:
        return protocol.outcomes[name].axis_title
    return name.replace("_", " ").capitalize() if name.islower() and "_" in name else name


def _cell(value: object) -> object:
    """Missing values as "—", never "None"; True/False as yes/no; text with its controls shown."""
    if value is None or (isinstance(value, float) and np.isnan(value)) or value is pd.NA:
        return "—"
    if isinstance(value, (bool, np.bool_)):
        return "yes" if value else "no"
    return reveal_controls(value) if isinstance(value, str) else value


def _table(df: pd.DataFrame, *, index: bool = False, data: bool = True, protocol: Protocol | None = None) -> str:
    """An HTML table with readable column labels (``COLUMN_LABELS``, an outcome of ``protocol`` by its axis title),
    every cell escaped; ``data=True`` also neutralises text cells (they come from the uploaded files); the report's
    own composed text (``data=False``) is only escaped. Numbers are written as everywhere else
    (``formatting.number_cells``: "−3.1", changes "+0.3"), missing values as "—", booleans as yes/no."""
    frame = number_cells(neutralise_frame(df, index=index) if data else (df.reset_index() if index else df))
    frame.columns = [_label(c, protocol) for c in frame.columns]
    for position, (_, column) in enumerate(frame.items()):
        if pd.api.types.is_bool_dtype(column) or position in text_columns(frame):
            frame.isetitem(position, column.astype(object).map(_cell))
    return frame.to_html(index=False, escape=True, na_rep="—", border=0)


def _listing(frame: pd.DataFrame, n_patients: int, where: str, **options) -> list[str]:
    """A per-patient (or per-event) listing as ``_table`` (``options``) writes it, of a study of ``n_patients``: its
    first rows and the sentence saying how many more and where above ``SUMMARY_ABOVE`` patients
    (``paper.first_rows``), the whole table otherwise."""
    shown, more = first_rows(frame, n_patients, where)
    return ([_p(more, "notice")] if more else []) + [_table(shown, **options)]


def _key_values(pairs: Iterable[tuple[str, object]]) -> str:
    rows = "".join(f"<dt>{_text(k)}</dt><dd>{_text(v)}</dd>" for k, v in pairs)
    return f'<dl class="key">{rows}</dl>'


class _Charts:
    """Renders plotly figures as an empty div and the figure's JSON (data, layout and a config whose
    modebar PNG download is named by ``export.chart_filename``); ``_CHART_LOADER`` draws them. The
    JSON is plotly's, with ``<``, ``>`` and ``/`` written as \\u escapes, so it cannot end its
    ``<script>`` element."""

    def __init__(self, study: Study, when: dt.datetime):
        self.study, self.when, self.count = study, when, 0
        #: the layout template the charts share (7 kB each), written once by ``template_script``
        self.template: str | None = None

    def __call__(self, fig, name: str) -> str:
        """The chart's figure: a static SVG copy (``figures.svg``, shown where scripts do not run and on
        paper) and the interactive plotly div the loader draws and then shows instead."""
        self.count += 1
        div_id = f"chart-{slug(name)}"
        fig = stamped(fig, self.study, self.when, copy=False)  # made for this report only: no copy needed
        config = {**chart_config(self.study, name, self.when, figure=fig), "responsive": True}
        template = json.dumps(fig.layout.template.to_plotly_json(), cls=PlotlyJSONEncoder).replace("<", "\\u003c")
        self.template = self.template or template
        if template == self.template:  # the shared template is written once; the loader puts it back
            fig.layout.template = None
        figure = pio.to_json(fig, validate=False)
        figure = figure[:-1] + ', "config": ' + json.dumps(config).replace("<", "\\u003c") + "}"
        height = fig.layout.height or 450
        title = " ".join(re.sub(r"<[^>]+>", " ", str(fig.layout.title.text or name)).split())
        return (
            f'<figure class="chart" aria-label="{_text(title)}"><div class="static-chart">{figure_svg(fig, title)}</div>'
            f'<div id="{div_id}" class="plotly-graph-div" data-height="{height}" style="width:100%;"></div>\n'
            f'<script type="application/json" class="chart-data" data-chart="{div_id}">{figure}</script></figure>'
        )


#: Decodes the packed plotly.js (base-85: five digits -> four bytes, a final group of k digits
#: padded with the top digit to give k - 1 bytes, as Python's base64.b85decode), inflates it with
#: DecompressionStream("gzip"), runs it, then draws every chart from its JSON.
_CHART_LOADER = (
    """
(async () => {
  const holders = document.querySelectorAll("script.chart-data");
  const place = (text) => holders.forEach((h) => { document.getElementById(h.dataset.chart).textContent = text; });
  try {
    const digits = "%s", value = new Uint8Array(128);
    for (let i = 0; i < 85; i++) value[digits.charCodeAt(i)] = i;
    const text = document.getElementById("plotly-js").textContent.trim();
    const full = Math.floor(text.length / 5), rest = text.length %% 5;
    const bytes = new Uint8Array(full * 4 + (rest ? rest - 1 : 0));
    const group = (at, n) => { let acc = 0; for (let j = 0; j < 5; j++) acc = acc * 85 + (j < n ? value[text.charCodeAt(at + j)] : 84); return acc; };
    for (let g = 0; g < full; g++) {
      const acc = group(5 * g, 5);
      for (let k = 0; k < 4; k++) bytes[4 * g + k] = Math.floor(acc / 2 ** (24 - 8 * k)) %% 256;
    }
    if (rest) {
      const acc = group(5 * full, rest);
      for (let k = 0; k < rest - 1; k++) bytes[4 * full + k] = Math.floor(acc / 2 ** (24 - 8 * k)) %% 256;
    }
    const stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream("gzip"));
    const code = document.createElement("script");
    code.textContent = await new Response(stream).text();
    document.head.appendChild(code);
    const template = JSON.parse(document.getElementById("chart-template").textContent);
    for (const holder of holders) {
      const figure = JSON.parse(holder.textContent), div = document.getElementById(holder.dataset.chart);
      figure.layout.template = figure.layout.template || template;
      div.style.height = div.dataset.height + "px";
      await Plotly.newPlot(div, figure.data, figure.layout, figure.config);
      div.closest("figure").classList.add("drawn");
    }
  } catch (error) {
    place("This interactive chart needs a current browser (Chrome 80, Firefox 113, Safari 16.4 or later): " + error);
  }
})();
"""
    % BASE85_DIGITS
)


# ------------------------------------------------------------------------------------------ sections


def _header(study: Study, generated: dt.datetime) -> str:
    title = f"MedPath report — {study.label or 'study'}"
    banner = (
        '<div class="banner">SYNTHETIC DATA — not real patients; for demonstration only</div>'
        if study.synthetic
        else ""
    )
    meta = f"Trial {study.protocol.id} · generated {generated:%Y-%m-%d %H:%M} UTC · MedPath {medpath.__version__}"
    return f"{banner}<main>\n<h1>{_text(title)}</h1>\n{_p(meta, 'meta')}\n{_p(DISCLAIMER, 'disclaimer')}"


def _nav(sections: list[str]) -> str:
    """Links to the sections present (their titles are already escaped)."""
    links = (m.groups() for m in (re.match(_SECTION_START, s) for s in sections) if m is not None)
    return "<nav><ul>" + "".join(f'<li><a href="#{a}">{t}</a></li>' for a, t in links) + "</ul></nav>"


def _key_numbers(analysis: Analysis) -> str:
    """Screened, enrolled and completed (``summary.key_numbers``: the participant flow's, as the Overview shows them;
    "not determinable: <reason>" where the data cannot give them), the findings and the primary results."""
    study, results = analysis.study, analysis.primary
    numbers = key_numbers(analysis)
    errors, warnings = len(study.errors), len(study.warnings)
    left_out = study.left_out or "none"
    pairs = [
        ("Screened", count_or_reason(numbers.screened, numbers.reasons.get("screened"))),
        ("Enrolled", count_or_reason(numbers.enrolled, numbers.reasons.get("enrolled"))),
        (
            f"Completed {study.protocol.time_span(study.protocol.primary_month)}",
            count_or_reason(numbers.completed, numbers.reasons.get("completed")),
        ),
        ("Patients with visit data", len(study.patient_ids)),
        ("Findings", f"{errors} error(s), {warnings} warning(s)"),
        ("Rows left out of the analyses", left_out),
    ]
    parts = [_key_values(pairs)]
    parts += [_p(note, "notice") for note in numbers.funnel_notes if "not determinable" in note]
    if results:
        parts += [
            _h3("Primary results"),
            *(_p(plain_sentence(c), "plain") for c in results.values()),
            _p("In statistical terms:"),
            _list((headline(c) for c in results.values()), "results"),
        ]
    elif len(study.visits):
        names = ", ".join(study.protocol.outcomes[k].label for k in study.protocol.primary_outcomes)
        parts.append(_p(f"No primary outcome ({names}) has a value: nothing to test.", "notice"))
    else:
        parts.append(
            _p(
                "No visit data could be read, so nothing can be analysed. The findings below say "
                "which file and which place to fix.",
                "notice",
            )
        )
    return _section("key-numbers", "Key numbers", *parts)


def _eligibility(study: Study, eligibility, chart: _Charts) -> str:
    parts = []
    if study.screening is None:
        parts.append(
            _p(
                "No screening log was supplied: the funnel starts at enrolment and eligibility is not assessed.",
                "notice",
            )
        )
    parts += [
        chart(funnel_figure(eligibility, trial=study.protocol.id), "funnel"),
        _h3("Exclusion reasons (all candidates, every criterion not met or unknown)"),
        _table(reasons_table(eligibility).drop(columns="criterion")),  # the protocol's label, not its id
        *(_p(statement, "notice") for statement in team_statements(study, eligibility)),
    ]
    enrolled = len(eligibility.enrolled_ids)
    if eligibility.deviations and summary_first(enrolled):  # counted by criterion, not a bullet per patient
        records = eligibility.deviation_records
        counts = (
            deviation_counts(eligibility)
            .drop(columns="criterion")
            .rename(
                columns={
                    "not_met": "Enrolled patients not meeting it",
                    "unknown": "Enrolled patients not determinable on it",
                }
            )
        )
        parts += [
            _h3("Protocol deviations and enrolment inconsistencies"),
            *(_p(sentence, "notice") for sentence in [*summary_sentences(records), *eligibility.deviation_notes]),
            *([_table(counts)] if len(counts) else []),
            _h3("Every protocol deviation and enrolment inconsistency, patient by patient"),
            *_listing(deviation_table(records), enrolled, "Eligibility"),
        ]
    elif eligibility.deviations:
        parts += [_h3("Protocol deviations and enrolment inconsistencies"), _list(eligibility.deviations)]
    return _section("eligibility", "Eligibility", *parts)


def _drawn(study: Study, patients: list[str] | None) -> list[str] | None:
    """The patients whose own lines the trajectory charts draw (None: every patient). Up to ``SUMMARY_ABOVE``
    patients, ``patients``. Above, the chosen patients of the study, at most ``PATIENTS_PER_PAGE`` (one page of small
    multiples, and lines that can still be told apart over the summary); every patient (``patients`` None, as from
    the command line, or all of them, as from a dashboard session that never opened the Trajectories page) means no
    choice was made, and the first ``SMALL_MULTIPLE_COLUMNS`` are drawn, as the Trajectories page starts."""
    ids = list(study.patient_ids)
    if not summary_first(len(ids)):
        return patients
    chosen = ids if patients is None else [pid for pid in ids if pid in set(patients)]
    return chosen[:SMALL_MULTIPLE_COLUMNS] if len(chosen) == len(ids) else chosen[:PATIENTS_PER_PAGE]


def _trajectories(analysis: Analysis, chart: _Charts, patients: list[str] | None = None) -> str:
    """Each primary outcome's course: every patient's line up to ``SUMMARY_ABOVE`` patients, else the median and
    middle half per visit with the lines of ``patients`` over it (``_drawn`` already applied); the small multiples of
    the patients drawn; the class shifts and the responders."""
    study, protocol = analysis.study, analysis.study.protocol
    visits = study.visits
    present = [k for k in protocol.primary_outcomes if k in study.outcomes_present]
    series = analysis.series  # computed once by analyse
    summary = summary_first(len(study.patient_ids))
    parts = [
        chart(
            trajectory_summary_figure(visits, key, patients or (), protocol=protocol, series=series[key]),
            f"trajectory-summary-{key}",
        )
        if summary
        else chart(spaghetti_figure(visits, key, patients, protocol=protocol, series=series[key]), f"spaghetti-{key}")
        for key in present
    ]
    shown = patients if patients is not None else list(visits["patient_id"].drop_duplicates())
    pages = small_multiple_pages(len(shown)) if shown or not summary else 0  # above: none without a patient drawn
    for page in range(1, pages + 1):  # every page of 30 patients
        small = small_multiples_figure(visits, patients=patients, protocol=protocol, series=series, page=page)
        parts.append(chart(small, "small-multiples" if page == 1 else f"small-multiples-{page}"))
    for key, table in analysis.shifts.items():
        o = protocol.outcomes[key]
        assert o.bands is not None  # shifts exist for outcomes with classes only
        parts += [
            _h3(f"{o.bands.name} of {o.label} at baseline (rows) and {analysis.followup_visit} (columns), patients"),
            _table(table, index=True, protocol=protocol),
        ]
    for key, table in analysis.responders.items():
        o = protocol.outcomes[key]
        assert o.responder is not None  # responders exist for outcomes with a rule only
        verb = "fell" if o.better == "lower" else "rose"
        settings = analysis.settings
        parts += [
            _h3(f"{o.label} response at {analysis.followup_visit}"),
            _p(
                f"Responder: {o.label} {verb} by at least {settings.min_points:g} points or {settings.min_percent:g} % "
                "of baseline (the thresholds chosen on the dashboard)."
            ),
            _p(analysis.responder_rates[key].text),
            *_listing(table, len(study.patient_ids), "Trajectories", protocol=protocol),
            _p(o.responder.convention),
        ]
    return _section("trajectories", "Trajectories", *parts)


def _outcome(c: OutcomeComparison, study: Study, chart: _Charts) -> str:
    """One primary outcome: its sentence, the before-after plot (above ``SUMMARY_ABOVE`` patients the paired
    distribution, as on the dashboard), the results, the per-patient changes and the statistical details."""
    label = c.meta.label
    n = len(study.patient_ids)
    figure = before_after_view(c, study.patient_ids)
    changes = per_patient_changes(c)
    parts = [
        _h3(label),
        _p(plain_sentence(c), "plain"),
        chart(figure, f"before-after-{c.outcome}"),
        _table(summary_table(c), data=False),
        *_listing(changes, n, "Outcomes", protocol=study.protocol),
        _h3(f"{label}: statistical details"),
        _p(headline(c)),
        _table(details_table(c), data=False),
    ]
    if c.unpaired:
        unpaired = pd.DataFrame(list(c.unpaired.items()), columns=["Patient", "Why not paired"])
        parts += _listing(unpaired, n, "Outcomes")
    return "\n".join([*parts, _list(plain_language(c))])


def _findings(study: Study) -> str:
    if not study.findings:
        return _section("findings", "Findings", _p("No findings: every row passed validation."))
    table = pd.DataFrame([f.as_dict() for f in study.findings])
    return _section(
        "findings",
        "Findings",
        _p(
            "Every problem found in the files, with the place to open in "
            "Excel (row numbers as Excel shows them, header included)."
        ),
        _table(table),
    )


def _methods(analysis: Analysis, patients: list[str] | None = None) -> str:
    study, settings = analysis.study, analysis.settings
    n = len(study.patient_ids)
    lines = f"the lines of {len(patients):,} of them ({', '.join(patients)})" if patients else "no patient's own line"
    drawn = (
        f"the median and middle half of all {n:,} patients per visit, with {lines}"
        if summary_first(n) and patients is not None
        else "all patients"
        if patients is None or set(patients) >= set(study.patient_ids)
        else (f"{len(patients)} of {len(study.patient_ids)} patients ({', '.join(patients)})")
    )
    responder = (
        f"responders at least {settings.min_points:g} points or {settings.min_percent:g} %; "
        if analysis.responders
        else ""
    )
    chosen = (
        f"Settings: protocol {study.protocol.id}; baseline vs {analysis.followup_visit}; Wilcoxon alternative "
        f"'{settings.alternative}'; zero method '{settings.zero_method}'; Hodges–Lehmann zero changes "
        f"'{settings.hl_zeros}'; {responder}trajectory charts of {drawn} (the tests always use every pair)."
    )
    versions = pd.DataFrame(
        [
            ("medpath", medpath.__version__),
            ("python", platform.python_version()),
            *((package, version(package)) for package in ("numpy", "scipy", "pandas", "plotly")),
        ],
        columns=["Software", "Version"],
    )
    sources = pd.DataFrame(
        [(s.name, s.size, s.sha256) for s in study.sources], columns=["Input file", "Size (bytes)", "SHA-256"]
    )
    return _section(
        "methods",
        "Methods and provenance",
        _list(methods(analysis)),
        _p(chosen),
        _h3("Software"),
        _table(versions, data=False),
        _h3("Input files"),
        _table(sources),
    )


def _participant_flow(analysis: Analysis) -> str:
    """The participant flow (the CONSORT diagram as an inline SVG, which needs no script and copies into a paper),
    and the stages table."""
    flow = analysis.flow
    parts = [
        f'<figure class="consort">{consort_svg(flow, footer=footer_lines(analysis.study))}</figure>',
        _table(stages_table(flow), data=True),
    ]
    if flow.notes:
        parts.append(_list(flow.notes))
    return _section("participant-flow", "Participant flow (CONSORT 2025)", *parts)


def _baseline(analysis: Analysis) -> str:
    """Table 1 of the enrolled (``baseline.table1``: not determinable when the enrolled patients are not known)."""
    study, flow = analysis.study, analysis.flow
    table = table1(study, flow)
    parts = [_p(table1_intro(flow))]
    if summary_first(len(flow.enrolled_ids)):  # a cell of every patient's value would be thousands of values long
        table = table.drop(columns="values")
        parts.append(_p("Each patient's value is on the dashboard's Eligibility page (Table 1, Values)."))
    parts.append(_table(table, protocol=study.protocol))
    parts += [_p(note, "notice") for note in band_notes(study, list(flow.enrolled_ids))]
    return _section("baseline", "Baseline characteristics (Table 1)", *parts)


def _adverse_events(analysis: Analysis, chart: _Charts) -> str:
    """The harms (``safety_status``): the numbers and tables only when the adverse-event sheet was read, else why
    they are not determinable. Above ``SUMMARY_ABOVE`` patients with a row on the Safety page's timeline
    (``timeline_rows``: the enrolled and anyone with an event), as on that page: the events by term and worst grade
    (``term_grade_figure``), the serious events in a table of their own (the listing is cut, they must not be), and
    the listing's first rows."""
    study = analysis.study
    harms = safety(study)
    if not harms.read:
        return _section("adverse-events", "Adverse events", _p(not_read_sentence(harms.status), "notice"))
    events = harms.events
    assert events is not None  # read
    sentence = events_sentence(harms, analysis.flow.enrolled, study.excluded_rows.get("adverse_events", 0))
    every = listing(events, study.protocol.intervention_event, study.protocol.clock)
    parts = [
        _p(f"{sentence} CTCAE v5.0 grades; relatedness to the intervention as assessed by the investigator."),
        _h3("Patients (events) by worst CTCAE grade and relatedness"),
        _table(grade_relatedness_matrix(harms.by_grade_relatedness), data=False),
    ]
    n = len(timeline_rows(events, list(analysis.flow.enrolled_ids)))
    if summary_first(n):
        serious = every[every["serious"] == "yes"]
        parts += [
            _h3("Events by term and CTCAE grade"),
            _p(TERM_GRADE_NOTE),
            chart(term_grade_figure(term_grade_table(events)), "adverse-events-by-term"),
            _h3(f"Serious adverse events ({len(serious):,})"),
            *(_listing(serious, n, "Safety") if len(serious) else [_p("None of the events is serious.")]),
        ]
    return _section("adverse-events", "Adverse events", *parts, _h3("Listing"), *_listing(every, n, "Safety"))


def _secondary(analysis: Analysis, chart: _Charts) -> str:
    """The secondary outcomes, with a waterfall of the changes against the LSC where the protocol gives one (above
    ``SUMMARY_ABOVE`` patients with both values, the histogram of the changes against it, as on the dashboard)."""
    study, lsc = analysis.study, analysis.settings.lsc
    comparisons = analysis.secondary
    parts = [_p(LABEL + ".", "notice")]
    if not comparisons:
        names = ", ".join(study.protocol.outcomes[k].label for k in study.protocol.secondary_outcomes)
        parts.append(_p(f"No secondary outcome ({names}) has a value."))
    for comparison in comparisons.values():
        meta = comparison.meta
        parts += [
            _h3(meta.label),
            _p(plain_sentence(comparison), "plain"),
            _table(summary_table(comparison), data=False),
            _p(headline(comparison)),
        ]
        if meta.lsc is not None:
            used = meta.lsc.value if lsc is None else lsc
            table = lsc_table(comparison, used)
            counts = lsc_counts(table)
            parts += [
                _p(
                    f"{meta.lsc.note} LSC used: {used:.4f} {meta.unit}: gain {counts['gain']}, "
                    f"stable {counts['stable']}, loss {counts['loss']}."
                ),
                chart(
                    change_histogram_figure(table, used, meta, analysis.followup_visit), f"changes-{comparison.outcome}"
                )
                if summary_first(len(table))
                else chart(
                    waterfall_figure(table, used, meta, analysis.followup_visit), f"waterfall-{comparison.outcome}"
                ),
                *_listing(table, len(table), "Secondary outcomes", protocol=study.protocol),
            ]
    return _section("secondary", f"Secondary outcomes: baseline vs {analysis.followup_visit}", *parts)


def _paper_sections(analysis: Analysis, chart: _Charts) -> list[str]:
    """What the PI reports to the ethics board, the registry and the paper (issue 13; its JSON: ``medpath.paper``):
    participant flow, Table 1, adverse events, secondary outcomes."""
    return [
        _participant_flow(analysis),
        _baseline(analysis),
        _adverse_events(analysis, chart),
        _secondary(analysis, chart),
    ]


# ---------------------------------------------------------------------------------------- the report


def build_report(
    analysis: Analysis, *, generated_at: dt.datetime | None = None, patients: list[str] | None = None
) -> str:
    """The whole report of one analysis (``medpath.analysis.analyse``: the study and the choices in force) as one
    HTML document (str). Never needs the network to open. ``patients``: the patients drawn in the trajectory
    charts (every patient by default; the statistics always use every pair); above ``SUMMARY_ABOVE`` patients their
    lines over the summary, at most ``PATIENTS_PER_PAGE`` of them, a few when none was chosen (``_drawn``).

    A study without visit rows (e.g. every file failed to read) still gets a report: the key numbers,
    a notice that nothing can be analysed, the findings and the provenance.
    """
    return _build(analysis, generated_at, patients)


def _build(analysis: Analysis, generated_at: dt.datetime | None, patients: list[str] | None) -> str:
    study = analysis.study
    patients = _drawn(study, patients)
    generated = (generated_at or dt.datetime.now(dt.UTC)).astimezone(dt.UTC)
    chart = _Charts(study, generated.astimezone())  # file names carry the local date
    has_visits = len(study.visits) > 0
    results = analysis.primary
    eligibility = analysis.eligibility if has_visits or study.screening is not None else None

    sections = [_key_numbers(analysis)]
    if eligibility is not None:
        sections.append(_eligibility(study, eligibility, chart))
    if has_visits:
        sections.append(_trajectories(analysis, chart, patients))
        outcomes = [_outcome(c, study, chart) for c in results.values()]
        sections.append(
            _section(
                "outcomes",
                f"Primary outcomes: baseline vs {analysis.followup_visit}",
                *(outcomes or [_p("No primary outcome has a value.")]),
            )
        )
    if has_visits or study.screening is not None:  # participant flow, Table 1, adverse events, secondary outcomes
        sections += _paper_sections(analysis, chart)
    conventions = [_h3("Eligibility"), _list(eligibility.conventions)] if eligibility else []
    for o in study.protocol.outcomes.values():
        if o.responder is not None:
            conventions += [_h3(f"{o.label} response"), _p(o.responder.convention)]
    sections += [
        _findings(study),
        _section("conventions", "Conventions", *conventions),
        _methods(analysis, patients),
    ]
    body = [_header(study, generated), _nav(sections), *sections, "</main>"]

    if chart.count:  # the packed plotly.js once, and the script that unpacks it and draws the charts
        body += [
            f'<script type="application/octet-stream" id="plotly-js">{packed_plotly_js()}</script>',
            f'<script type="application/json" id="chart-template">{chart.template or "null"}</script>',
            f"<script>{_CHART_LOADER}</script>",
        ]
    return (
        f'<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        f'<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{_text('MedPath report — ' + (study.label or 'study'))}</title>\n"
        f"<style>{CSS}</style>\n</head>\n<body>\n" + "\n".join(body) + "\n</body>\n</html>\n"
    )


def report_filename(study: Study, when: dt.date | dt.datetime | None = None) -> str:
    """e.g. "medpath_report_synthetic-sample-study-not-real-patients_2025-01-31.html" (local date)."""
    return f"medpath_report_{slug(study.label)}_{date_stamp(when)}.html"
