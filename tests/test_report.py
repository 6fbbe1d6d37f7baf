"""The one-file HTML report (issue 6, item 3; ``medpath report``: test_cli.py)."""

from __future__ import annotations

import base64
import datetime as dt
import gzip
import hashlib
import html
import re

import numpy as np
import pandas as pd
import plotly
import pytest
import scipy
from conftest import SAMPLE_XLSX, SCREENING_HEADER, VISITS_HEADER, csv_bytes, screening_row, visits_rows, xlsx_bytes
from plotly.offline import get_plotlyjs

import medpath
from medpath.analysis import Settings, analyse
from medpath.formatting import p_value
from medpath.outcomes import headline, plain_language, primary_analysis
from medpath.protocol import default_protocol
from medpath.report import build_report, report_filename
from medpath.study import load_study

WHEN = dt.datetime(2025, 3, 4, 5, 6, tzinfo=dt.UTC)
PACKED = re.compile(r'<script type="application/octet-stream" id="plotly-js">(.*?)</script>', re.S)


def _plotly_js_blocks(report: str) -> list[str]:
    """The packed plotly.js blocks of a report, unpacked: base-85 with "." for "<", then gzip."""
    return [
        gzip.decompress(base64.b85decode(block.replace(".", "<"))).decode("utf-8") for block in PACKED.findall(report)
    ]


def _without_plotly_js(report: str) -> str:
    return PACKED.sub("", report)


@pytest.fixture(scope="module")
def sample_report(sample_study):
    return build_report(analyse(sample_study), generated_at=WHEN)


def test_report_names_the_input_files_sha256_and_the_software_versions(sample_report):
    assert hashlib.sha256(SAMPLE_XLSX.read_bytes()).hexdigest() in sample_report
    for name, version in [
        ("medpath", medpath.__version__),
        ("scipy", scipy.__version__),
        ("numpy", np.__version__),
        ("pandas", pd.__version__),
        ("plotly", plotly.__version__),
    ]:
        assert f"<td>{name}</td>\n      <td>{version}</td>" in sample_report


def test_report_numbers_are_the_cores(sample_study, sample_report):
    assert "<dt>Screened</dt><dd>30</dd>" in sample_report
    assert "<dt>Enrolled</dt><dd>5</dd>" in sample_report
    assert "<dt>Completed 6 months</dt><dd>5</dd>" in sample_report
    results = primary_analysis(sample_study.visits, protocol=sample_study.protocol)
    assert set(results) == {"bmd_tscore", "vas"}
    for comparison in results.values():
        assert html.escape(headline(comparison)) in sample_report
        assert f"p = {p_value(comparison.wilcoxon.p_value)}" in sample_report
        for sentence in plain_language(comparison):
            assert html.escape(sentence) in sample_report
    assert "Wilcoxon p = 0.0625, two-sided" in headline(results["bmd_tscore"])
    assert "93.75 % CI" in headline(results["vas"])
    assert "n = 5 pairs" in headline(results["vas"])


def test_report_has_the_banner_sections_methods_and_disclaimer(sample_report):
    assert "SYNTHETIC DATA" in sample_report
    assert "generated 2025-03-04 05:06 UTC" in sample_report
    assert "Exploratory analysis" in sample_report
    for anchor in ("key-numbers", "eligibility", "trajectories", "outcomes", "findings", "conventions", "methods"):
        assert f'<section id="{anchor}">' in sample_report and f'href="#{anchor}"' in sample_report
    for method in (
        "Wilcoxon signed-rank",
        "dynamic programming",
        "Hodges–Lehmann",
        "rank-biserial",
        "Sign test",
        "Holm",
        "interquartile range",
        "Student t interval",
    ):
        assert html.escape(method) in sample_report, method
    assert "IMMPACT" in sample_report and "older than 50" in sample_report
    # medpath.report.methods: the Holm family and the achieved interval level of this analysis
    assert "across the 2 primary outcome(s) (Spine BMD T-score, VAS pain;" in sample_report
    assert "with 5 pairs at most 93.75 %" in sample_report
    for title in (
        "WHO class of Spine BMD T-score at baseline (rows) and month 6 (columns), patients",
        "VAS pain response at month 6",
    ):
        assert f"<h3>{html.escape(title)}</h3>" in sample_report, title


def test_report_is_self_contained_with_plotly_js_once_compressed(sample_report):
    assert _plotly_js_blocks(sample_report) == [get_plotlyjs()]  # the installed plotly.js, byte for byte
    assert (
        len(sample_report.encode("utf-8")) < 2_100_000
    )  # plotly.js alone is 4.8 MB; issue 13 adds ~15 kB (flow SVG, tables)
    assert "DecompressionStream" in sample_report
    assert not re.search(r"<script[^>]*\bsrc\s*=", sample_report, re.I)
    assert not re.search(r"<link[^>]*\bhref\s*=", sample_report, re.I)
    rest = _without_plotly_js(sample_report)
    assert not re.search(r"""(src|href)\s*=\s*["']?https?:""", rest, re.I)
    assert "cdn.plot.ly" not in rest
    charts = re.findall(r'class="plotly-graph-div"', rest)
    assert len(charts) == 7  # funnel, 2 spaghetti, small multiples, 2 before-after, the BMD waterfall
    assert rest.count('"scale": 2') == 7


def test_chart_downloads_are_named_by_study_chart_and_local_date(sample_report):
    day = WHEN.astimezone().date().isoformat()
    assert f'"filename": "medpath_synthetic-sample-study-not-real-patients_funnel_{day}"' in sample_report


def test_report_filename(sample_study):
    assert (
        report_filename(sample_study, dt.date(2025, 1, 31))
        == "medpath_report_synthetic-sample-study-not-real-patients_2025-01-31.html"
    )


HOSTILE_IDS = ["<script>alert(1)</script>", '=HYPERLINK("http://x")', "P3"]


def test_hostile_text_from_the_data_is_inert():
    rows = [VISITS_HEADER]
    for pid in HOSTILE_IDS:
        rows += [[pid, "baseline", -3.0, 7], [pid, "month 6", -2.8, 5]]
    rows.append([HOSTILE_IDS[0], "month 6", -2.9, "<b>x</b>"])  # duplicate visit + bad VAS: findings
    screening = xlsx_bytes({"screening": [SCREENING_HEADER, screening_row("<script>alert(1)</script>")]})
    study = load_study(
        [("<img src=x onerror=alert(1)>.csv", csv_bytes(rows)), ("s.xlsx", screening)], protocol=default_protocol()
    )
    assert study.patient_ids == HOSTILE_IDS and study.findings
    report = build_report(analyse(study))
    rest = _without_plotly_js(report)
    assert "<script>alert" not in rest and "<img" not in rest and "<b>x</b>" not in rest
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in rest
    assert "&lt;img src=x onerror=alert(1)&gt;.csv" in rest
    # in the tables the id is neutralised like a spreadsheet export; in the charts it is HTML-escaped text
    assert '<td>\'=HYPERLINK("http://x")</td>' in rest
    assert "<td>=HYPERLINK" not in rest
    assert '"name":"&lt;script&gt;alert(1)&lt;\\u002fscript&gt;"' in rest
    assert not re.search(r"<script[^>]*\bsrc\s*=", report, re.I)


def test_visits_only_study_has_a_funnel_from_enrolment():
    study = load_study([("visits.xlsx", xlsx_bytes({"visits": visits_rows(3)}))], protocol=default_protocol())
    assert study.screening is None and not study.errors
    report = build_report(analyse(study))
    assert "<dt>Screened</dt><dd>not determinable: no screening log was read</dd>" in report
    assert "<dt>Enrolled</dt><dd>3</dd>" in report
    assert "No screening log was supplied" in report
    assert len(_plotly_js_blocks(report)) == 1
    assert "n = 3 pairs" in report


def test_study_with_only_errors_shows_the_findings_and_analyses_nothing():
    study = load_study([("broken.xlsx", b"not a workbook")], protocol=default_protocol())
    assert study.errors and study.visits.empty
    report = build_report(analyse(study))
    assert "nothing can be analysed" in report
    assert "broken.xlsx" in report and html.escape(study.errors[0].message) in report
    assert _plotly_js_blocks(report) == [] and "DecompressionStream" not in report  # no chart, no plotly.js
    assert '<section id="trajectories">' not in report and '<section id="outcomes">' not in report
    assert (
        "<dt>Enrolled</dt><dd>not determinable: no screening log was read, and no visit rows were read</dd>" in report
    )
    assert "<dt>Completed 6 months</dt><dd>not determinable: the enrolled patients are not known</dd>" in report
    assert hashlib.sha256(b"not a workbook").hexdigest() in report


def test_visits_without_primary_outcome_values_say_so():
    rows = [
        ["patient_id", "visit", "bmd_tscore", "vas", "qol"],
        ["P1", "baseline", None, None, 50],
        ["P1", "month 6", None, None, 60],
    ]
    report = build_report(analyse(load_study([("v.xlsx", xlsx_bytes({"visits": rows}))], protocol=default_protocol())))
    assert "nothing to test" in report


def test_report_options_reach_the_tests(sample_study):
    report = build_report(analyse(sample_study, Settings(alternative="expected", zero_method="pratt")))
    assert "one-sided (increase expected)" in report and "one-sided (decrease expected)" in report
    assert "zero method &#x27;pratt&#x27;" in report


@pytest.mark.parametrize("length", [0, 1, 2, 3, 4, 5, 6, 7, 8, 255, 4097])
def test_base85_is_pythons_with_dot_for_less_than(length):
    from medpath.packed_plotly import base85

    data = bytes((7 * i + length) % 256 for i in range(length)) + b"\xff\xff\xff\xff" * (length > 4)
    assert base85(data) == base64.b85encode(data).decode("ascii").replace("<", ".")
    assert "<" not in base85(bytes(range(256)) * 4)


def test_packed_plotly_is_kept_between_processes_and_a_wrong_copy_is_not_used(tmp_path, monkeypatch):
    """The packed bundle is the gzip of plotly.js in base 85; a later process reads it from the cache folder, a
    cached file whose check does not match is made again (and replaced), and a folder that cannot be written
    still gives the packed text."""
    import gzip

    from plotly.offline import get_plotlyjs

    from medpath import packed_plotly

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    packed_plotly.packed_plotly_js.cache_clear()
    text = packed_plotly.packed_plotly_js()
    raw = base64.b85decode(text.replace(".", "<"))
    assert gzip.decompress(raw) == get_plotlyjs().encode("utf-8")
    (kept,) = (tmp_path / "medpath").glob("plotly-*.b85")
    assert kept.read_text(encoding="ascii").split("\n", 1)[1] == text

    import hashlib

    stored = "stored"  # a valid copy is used as it is: nothing is compressed again
    kept.write_text(f"{hashlib.sha256(stored.encode()).hexdigest()}\n{stored}", encoding="ascii")
    packed_plotly.packed_plotly_js.cache_clear()
    assert packed_plotly.packed_plotly_js() == stored

    kept.write_text(kept.read_text(encoding="ascii") + "x", encoding="ascii")  # damaged
    packed_plotly.packed_plotly_js.cache_clear()
    assert packed_plotly.packed_plotly_js() == text and kept.read_text(encoding="ascii").endswith(text)

    blocked = tmp_path / "file"
    blocked.write_text("not a folder")
    monkeypatch.setenv("XDG_CACHE_HOME", str(blocked))
    packed_plotly.packed_plotly_js.cache_clear()
    assert packed_plotly.packed_plotly_js() == text
    packed_plotly.packed_plotly_js.cache_clear()


# --- issue 14: plain sentences, static fallbacks, readable tables, the choices in force --------------------

from medpath.wording import plain_sentence  # noqa: E402


def test_report_leads_with_the_plain_sentences_and_keeps_the_details(sample_study, sample_report):
    for comparison in primary_analysis(sample_study.visits, protocol=sample_study.protocol).values():
        assert f'<p class="plain">{html.escape(plain_sentence(comparison))}</p>' in sample_report
    assert "<td>Hodges–Lehmann estimate</td>" in sample_report and "What it means" in sample_report


def test_every_chart_has_a_static_svg_fallback_with_an_accessible_name(sample_report):
    body = _without_plotly_js(sample_report)
    charts = re.findall(
        r'<figure class="chart" aria-label="([^"]+)"><div class="static-chart">(<svg .*?</svg>)</div>', body, re.S
    )
    assert len(charts) == body.count('class="plotly-graph-div"') == 7
    for title, svg in charts:
        assert 'role="img"' in svg and f"<title>{title}</title>" in svg
        assert "NCT04501354 · medpath_sample_study.xlsx" in svg  # provenance footer inside the picture
        assert "SYNTHETIC DATA" in svg
    spaghetti = dict(charts)["Spine BMD T-score by patient n = 5, baseline to month 6"]
    assert spaghetti.count("<polyline") >= 5 and 'stroke-dasharray="2 4"' in spaghetti  # lines, the missed visit
    assert "<script" not in "".join(svg for _, svg in charts)
    waterfall = dict(charts)["Spine BMD change, baseline → month 6, per patient, against the LSC"]
    assert waterfall.count("<rect") >= 5 + 2 and "+LSC 0.0277" in waterfall  # 5 bars, the band, its labels


def test_report_tables_have_readable_labels_and_no_none(sample_report):
    body = _without_plotly_js(sample_report)
    assert "<th>patient_id</th>" not in body and "<th>Patient</th>" in body
    assert ">None<" not in body and ">True<" not in body and ">False<" not in body
    assert "<th>Responder</th>" in body or "<th>Responder" in body


def test_report_follows_the_thresholds_and_patients_chosen(sample_study):
    report = _without_plotly_js(
        build_report(
            analyse(sample_study, Settings(min_points=3.0, min_percent=50.0, alternative="expected")),
            generated_at=WHEN,
            patients=["MSC-01", "MSC-08"],
        )
    )
    assert "at least 3 points or 50 % of baseline" in report
    assert "2 of 5 patients (MSC-01, MSC-08)" in report
    assert "Spine BMD T-score by patient n = 2" in report
    assert "no one-sided test can reach p &lt; 0.025" in report


def test_print_css_keeps_figures_in_the_page_and_headings_with_their_content(sample_report):
    css = sample_report[sample_report.index("<style>") : sample_report.index("</style>")]
    printing = css[css.index("@media print") :]
    assert "h2, h3 { break-after: avoid; }" in printing
    assert ".plotly-graph-div { display: none !important; }" in printing  # the static copy is printed
    assert ".static-chart svg { display: block; width: 100%; height: auto; max-width: 100%; }" in css


# --- meeting artefacts: print, one CONSORT version, distinct headings, numbers written alike ----------------

from medpath.formatting import number  # noqa: E402


def test_print_css_sets_a4_and_keeps_figures_and_tables_whole_without_forced_breaks(sample_report):
    css = sample_report[sample_report.index("<style>") : sample_report.index("</style>")]
    page = re.search(r"@page \{([^}]*)\}", css)
    assert page and "size: A4;" in page.group(1) and re.search(r"margin: \d+mm \d+mm;", page.group(1))
    printing = css[css.index("@media print") :]
    whole = re.search(r"\n  ([^{}\n]+) \{ break-inside: avoid; \}", printing)
    assert whole and {"figure", "table"} <= {s.strip() for s in whole.group(1).split(",")}
    assert "break-before" not in css and "page-break" not in css and "break-after: page" not in css
    assert "figure svg { max-height: 235mm; }" in printing  # a chart is never taller than the printable page


def test_one_consort_version_in_the_whole_report(sample_report):
    body = _without_plotly_js(sample_report)
    assert set(re.findall(r"CONSORT (\d{4})", body)) == {"2025"}
    assert "Participant flow (CONSORT 2025)" in body
    assert "after the CONSORT 2025 flow diagram (Hopewell et al., BMJ 2025;389:e081123)" in body


def test_every_table_has_distinct_column_headings(sample_report):
    body = _without_plotly_js(sample_report)
    heads = re.findall(r"<thead>(.*?)</thead>", body, re.S)
    assert len(heads) > 10
    for head in heads:
        headings = re.findall(r"<th>(.*?)</th>", head)
        assert len(headings) == len(set(headings)), headings
    reasons = body[body.index("<h3>Exclusion reasons") :]
    assert re.findall(r"<th>(.*?)</th>", reasons[: reasons.index("</thead>")]) == ["Criterion", "Not met", "Unknown"]


def test_per_patient_tables_write_numbers_as_the_results_tables_do(sample_study, sample_report):
    """A true minus sign and a signed change, as ``formatting.number`` writes them in the sentences and results
    tables: "−3.1", "+0.3", never "-3.1" or "0.3"."""
    body = re.sub(r">\s+<", "><", _without_plotly_js(sample_report))
    for c in analyse(sample_study).primary.values():
        for row in c.changes.itertuples():
            cells = [row.patient_id, number(row.baseline), number(row.followup), number(row.change, sign=True)]
            assert "<tr>" + "".join(f"<td>{html.escape(v)}</td>" for v in cells) + "</tr>" in body, cells
    assert "<tr><td>MSC-01</td><td>−3.1</td><td>−2.8</td><td>+0.3</td></tr>" in body  # Spine BMD T-score
    assert "<tr><td>MSC-01</td><td>7</td><td>4</td><td>−3</td><td>−42.9</td><td>yes</td></tr>" in body  # responders
    assert "<tr><td>MSC-01</td><td>0.77</td><td>0.8</td><td>+0.03</td><td>+3.9</td><td>gain</td></tr>" in body  # LSC
    assert not re.search(r"<td>-\d", body)  # no hyphen for a minus anywhere


def test_the_t_interval_has_the_decimals_of_its_mean(sample_report):
    """Spine BMD T-score changes +0.3, +0.1, +0.4, +0.1, +0.3: mean 0.24, 95 % t interval 0.0734 to 0.4066
    (t(4) = 2.776); VAS: mean −2.2, interval to one decimal."""
    body = re.sub(r">\s+<", "><", _without_plotly_js(sample_report))
    assert "<td>Mean change (t interval)</td><td>+0.24 (+0.07 to +0.41, 95 %)</td>" in body
    assert "<td>Mean change (t interval)</td><td>−2.2 (−4.0 to −0.4, 95 %)</td>" in body


def test_the_secondary_outcomes_lead_with_their_plain_sentence(sample_study, sample_report):
    bmd = analyse(sample_study).secondary["bmd_g_cm2"]
    secondary = sample_report[sample_report.index('<section id="secondary">') :]
    lead = f'<p class="plain">{html.escape(plain_sentence(bmd))}</p>'
    assert lead in secondary and secondary.index(lead) < secondary.index(html.escape(headline(bmd)))
