"""Every dashboard page, run headless with Streamlit's AppTest: no exception, and the numbers shown are the
core's (``medpath``), on the sample study, on an uploaded workbook and in the designed empty states.

Uploads: AppTest cannot drive ``st.file_uploader``, so a test puts the files where the uploader's
callback puts them (``st.session_state[FILES_KEY]``) before the first run. The real upload widget is
exercised by the browser test (``tests/test_browser.py``).
"""

from __future__ import annotations

import re

import pytest
from conftest import ROOT, SCREENING_HEADER, screening_row, study_bytes, visits_rows, xlsx_bytes
from streamlit.testing.v1 import AppTest

from medpath.analysis import Settings, analyse
from medpath.eligibility import evaluate
from medpath.outcomes import headline, primary_analysis
from medpath.protocol import default_protocol
from medpath.study import load_sample_study, load_study
from medpath.summary import key_numbers
from pages.components import literal
from pages.session import FILES_KEY

APP = str(ROOT / "dashboard.py")
PAGES = [
    "pages/overview.py",
    "pages/data.py",
    "pages/eligibility.py",
    "pages/trajectories.py",
    "pages/outcomes.py",
    "pages/secondary.py",
    "pages/safety.py",
]
TIMEOUT = 60  # the first run imports plotly, scipy and statsmodels


def run_page(page: str, files: tuple[tuple[str, bytes], ...] | None = None) -> AppTest:
    """The app after one run of ``page`` (with ``files`` uploaded in this session, if given)."""
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    if files:
        at.session_state[FILES_KEY] = files
    at.run()
    if page != "pages/overview.py":
        at.switch_page(page).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def metrics(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def texts(elements) -> str:
    return "\n".join(str(e.value) for e in elements)


#: The Overview's status badge when one candidate could not be checked (missing data), not "no problems found".
UNCHECKED = ":orange-badge[:material/help: Data checked: 1 candidate could not be checked — see Eligibility]"


def badges(at: AppTest) -> list[str]:
    """The page's ``st.badge``s, as the Markdown Streamlit sends for them (":green-badge[…]")."""
    return [str(m.value) for m in at.markdown if re.match(r":\w+-badge\[", str(m.value))]


def trial_workbook() -> bytes:
    """Three enrolled patients (P1-P3) and two screened-out candidates; P3's month-6 VAS is 11 (Excel row 7):
    that VAS is left out, the row (and its T-score) is kept."""
    visits = visits_rows(3)
    visits[6][3] = 11  # P3, month 6: header is row 1, so this is Excel row 7
    visits[2][2], visits[4][2] = -2.5, -2.6  # different changes, so the two outcomes' results differ
    screening = [
        SCREENING_HEADER,
        *(screening_row(f"P{i}") for i in (1, 2, 3)),
        screening_row("S4", tscore=-1.0, enrolled="no"),
        screening_row("S5", consent="declined", enrolled="no"),
    ]
    return xlsx_bytes({"screening": screening, "visits": visits})


TRIAL = (("trial.xlsx", trial_workbook()),)
ONLY_ERRORS = (("broken.xlsx", b"this is not a spreadsheet"),)
VISITS_ONLY = (("visits.xlsx", xlsx_bytes({"visits": visits_rows(3)})),)


@pytest.fixture(scope="module")
def sample():
    return load_sample_study()


# --- sample study -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("page", PAGES)
def test_every_page_runs_on_the_sample_and_labels_it(page, sample):
    at = run_page(page)
    shown = texts(at.caption) if page == "pages/overview.py" else texts(at.info)  # the Overview: one compact line
    assert sample.label in shown, "the synthetic sample must be labelled on every page"
    if page == "pages/overview.py":
        assert "SYNTHETIC" in shown


def test_overview_numbers_are_the_cores(sample):
    at = run_page("pages/overview.py")
    numbers = key_numbers(analyse(sample))
    assert (numbers.screened, numbers.enrolled, numbers.completed) == (30, 5, 5)
    shown = metrics(at)
    assert shown["Screened"] == str(numbers.screened)
    assert shown["Enrolled"] == str(numbers.enrolled)
    assert shown["Completed"] == str(numbers.completed)
    assert not sample.findings  # no finding: one status badge instead of three zero counters
    assert "Errors" not in shown and "Warnings" not in shown and "Left out" not in shown
    # but one candidate has no rubella result (funnel_notes): the badge must not say "no problems found"
    assert badges(at) == [UNCHECKED]
    markdown = texts(at.markdown)
    assert len(numbers.sentences) == 2
    for sentence in numbers.sentences.values():
        assert literal(sentence) in markdown
    assert "Spine T-score rose in 5 of 5 patients" in markdown
    assert numbers.caveat in texts(at.caption)
    assert len(at.get("plotly_chart")) == 2  # both before-after plots on the first screen


def test_data_page_shows_no_findings_and_both_tables(sample):
    at = run_page("pages/data.py")
    assert "No problems found" in texts(at.success)
    frames = [d.value for d in at.dataframe if "Read as" not in d.value.columns]  # not the columns table
    assert [len(f) for f in frames] == [len(sample.screening), len(sample.visits)]


def test_eligibility_shows_deviations_and_every_candidate(sample):
    at = run_page("pages/eligibility.py")
    eligibility = evaluate(sample.screening, sample.visits, sample.protocol)
    warnings = texts(at.warning)
    for deviation in eligibility.deviations:
        assert deviation in warnings
    candidates = [d.value for d in at.dataframe if "patient_id" in d.value.columns]
    assert len(candidates) == 1 and len(candidates[0]) == 30


def test_trajectories_shows_each_patient(sample):
    at = run_page("pages/trajectories.py")
    assert at.multiselect[0].value == sample.patient_ids
    values = at.dataframe[0].value
    assert set(values["patient_id"]) == set(sample.patient_ids)


def test_outcomes_headlines_follow_the_alternative(sample):
    at = run_page("pages/outcomes.py")
    for comparison in primary_analysis(sample.visits, protocol=sample.protocol).values():
        assert headline(comparison) in texts(at.markdown)

    alternative = next(s for s in at.selectbox if s.label == "Direction tested")
    assert all(s.help for s in at.selectbox), "every option has help text"
    assert "α = 0.025" in alternative.help
    alternative.set_value("expected").run()
    assert not at.exception
    markdown = texts(at.markdown)
    expected = primary_analysis(sample.visits, alternative="expected", protocol=sample.protocol)
    for outcome, comparison in expected.items():
        assert headline(comparison) in markdown
        assert (
            headline(primary_analysis(sample.visits, protocol=sample.protocol)[outcome]) not in markdown
        )  # it did change
    assert {c.wilcoxon.alternative for c in expected.values()} == {"greater", "less"}


# --- an uploaded workbook ---------------------------------------------------------------------------------


def test_uploaded_workbook_data_page_shows_the_error_row():
    study = load_study(list(TRIAL), protocol=default_protocol())
    assert [(f.severity, f.row, f.column) for f in study.findings] == [("error", 7, "vas")]
    at = run_page("pages/data.py", TRIAL)
    assert "1 error(s)" in texts(at.error)
    assert "trial.xlsx" in texts(at.caption)  # the banner names the uploaded file, not the sample
    assert not at.info or study.label not in texts(at.info)
    findings = next(t.value for t in at.table if "Message" in t.value.columns)  # static: messages wrap at 1280 px
    assert list(findings["Excel row"]) == ["7"] and list(findings["Column"]) == ["vas"]
    assert list(findings["Value"]) == ["11"]
    assert "outside the possible range of VAS pain" in findings["Message"].iloc[0]
    assert "Back to the sample study" in [b.label for b in at.button]


def test_uploaded_workbook_overview_numbers_are_the_cores():
    study = load_study(list(TRIAL), protocol=default_protocol())
    numbers = key_numbers(analyse(study))
    assert (numbers.screened, numbers.enrolled, numbers.completed) == (5, 3, 3)  # P3's month 6 row is kept
    at = run_page("pages/overview.py", TRIAL)
    shown = metrics(at)
    assert (shown["Screened"], shown["Enrolled"], shown["Completed"]) == tuple(
        str(n) for n in (numbers.screened, numbers.enrolled, numbers.completed)
    )
    assert shown["Errors"] == "1" and shown["Left out"] == "1"  # only the VAS 11 value is left out, not its row
    markdown = texts(at.markdown)
    for sentence in numbers.sentences.values():
        assert literal(sentence) in markdown


@pytest.mark.parametrize("page", PAGES[2:])
def test_uploaded_workbook_runs_on_every_analysis_page(page):
    study = load_study(list(TRIAL), protocol=default_protocol())
    at = run_page(page, TRIAL)
    if page == "pages/outcomes.py":
        for comparison in primary_analysis(study.visits, lost=study.left_out_text, protocol=study.protocol).values():
            assert headline(comparison) in texts(at.markdown)
    if page == "pages/eligibility.py":
        candidates = [d.value for d in at.dataframe if "patient_id" in d.value.columns]
        assert len(candidates[0]) == 5


# --- designed states --------------------------------------------------------------------------------------


@pytest.mark.parametrize("page", PAGES)
def test_a_file_with_only_errors_shows_a_designed_state_on_every_page(page):
    at = run_page(page, ONLY_ERRORS)
    assert at.warning or at.error, "a page without usable data must say so"
    if page == "pages/data.py":
        assert "not an Excel workbook" in "\n".join(at.table[0].value["Message"])
        assert "Next step" in texts(at.error)  # the file-level refusal, full width, with what to do
    if page in ("pages/trajectories.py", "pages/outcomes.py"):
        assert "no usable visit rows" in texts(at.warning)


def test_a_visits_only_file_starts_the_funnel_at_enrolment():
    study = load_study(list(VISITS_ONLY), protocol=default_protocol())
    steps = evaluate(study.screening, study.visits, study.protocol).steps
    assert [s.id for s in steps] == ["enrolled", "completed"]
    at = run_page("pages/overview.py", VISITS_ONLY)
    shown = metrics(at)
    assert shown["Screened"] == "not determinable" and shown["Enrolled"] == "3" and shown["Completed"] == "3"
    at = run_page("pages/data.py", VISITS_ONLY)
    assert "funnel starts at enrolment" in texts(at.info)
    at = run_page("pages/eligibility.py", VISITS_ONLY)
    assert "the funnel starts at enrolment" in texts(at.markdown)
    for page in ("pages/trajectories.py", "pages/outcomes.py"):
        run_page(page, VISITS_ONLY)


def test_eligibility_shows_each_deviation_once():
    """An enrolled patient failing a criterion is a protocol deviation, shown once and not double-prefixed."""
    screening = [SCREENING_HEADER, screening_row("P1"), screening_row("P2", tscore=-1.0), screening_row("P3")]
    files = (("deviation.xlsx", xlsx_bytes({"screening": screening, "visits": visits_rows(3)})),)
    study = load_study(list(files), protocol=default_protocol())
    deviations = evaluate(study.screening, study.visits, study.protocol).deviations
    assert len(deviations) == 1 and "P2" in deviations[0]
    at = run_page("pages/eligibility.py", files)
    warnings = [w.value for w in at.warning]
    assert sum(literal(deviations[0]) in w for w in warnings) == 1  # shown as inert Markdown
    assert not any(w.count("Protocol deviation:") > 1 for w in warnings), warnings


def test_overview_caveat_uses_the_uploaded_studys_pairs():
    study = load_study(list(TRIAL), protocol=default_protocol())
    pairs = {c.n_pairs for c in primary_analysis(study.visits, protocol=study.protocol).values()}
    assert pairs == {2, 3}  # BMD: P1-P3; VAS: P3's month-6 VAS (11) is left out
    at = run_page("pages/overview.py", TRIAL)
    caption = texts(at.caption)
    assert "T-score: with n = 3 pairs" in caption and "VAS pain: with n = 2 pairs" in caption and "n = 5" not in caption


BASELINE_ONLY = (("baseline.xlsx", xlsx_bytes({"visits": visits_rows(3)[:2] + [["P2", "baseline", -2.9, 6]]})),)
NO_VALUES = (
    (
        "empty.xlsx",
        xlsx_bytes(
            {
                "visits": [
                    ["patient_id", "visit", "bmd_tscore", "vas"],
                    ["P1", "baseline", None, None],
                    ["P1", "month 6", None, None],
                ]
            }
        ),
    ),
)


@pytest.mark.parametrize("page", PAGES)
@pytest.mark.parametrize("files", [BASELINE_ONLY, NO_VALUES], ids=["baseline-only", "no-outcome-values"])
def test_valid_files_with_nothing_to_compare_get_a_designed_state(page, files):
    at = run_page(page, files)
    if page == "pages/outcomes.py":
        assert "nothing to compare with baseline" in texts(at.info)
    if page == "pages/trajectories.py" and files is NO_VALUES:
        assert "no trajectory to draw" in texts(at.warning)


def test_choices_stay_across_pages_and_the_overview_follows_them(sample):
    """The direction tested on the Outcomes page stays when the page changes, and the Overview's sentences use it."""
    at = run_page("pages/outcomes.py")
    next(s for s in at.selectbox if s.label == "Direction tested").set_value("expected").run()
    assert "α = 0.025" in texts(at.caption)
    at.switch_page("pages/overview.py").run()
    one_sided = key_numbers(analyse(sample, Settings(alternative="expected")))
    assert "no one-sided test can reach p < 0.025" in one_sided.sentences["bmd_tscore"]
    for sentence in one_sided.sentences.values():
        assert literal(sentence) in texts(at.markdown)
    at.switch_page("pages/outcomes.py").run()
    assert next(s for s in at.selectbox if s.label == "Direction tested").value == "expected"


def test_outcomes_page_hl_zeros_reaches_the_estimate(sample):
    at = run_page("pages/outcomes.py")
    labels = [s.label for s in at.selectbox]
    assert labels[:4] == [
        "Compare baseline with",
        "Direction tested",
        "Patients with no change",
        "No change, in the median change",
    ]
    hl_zeros = at.selectbox[3]
    assert hl_zeros.value == "keep" and hl_zeros.help
    hl_zeros.set_value("drop").run()
    assert not at.exception
    assert at.session_state["kept_hl_zeros"] == "drop"
    dropped = analyse(sample, Settings(hl_zeros="drop")).primary
    assert dropped["vas"].hodges_lehmann.zeros == "drop"
    for comparison in dropped.values():
        assert headline(comparison) in texts(at.markdown)
    assert "Hodges–Lehmann estimate −2.75 points, 87.5 % CI −4 to −2" in headline(dropped["vas"])  # 4 non-zero
    assert headline(analyse(sample).primary["vas"]) not in texts(at.markdown)  # it did change


def test_data_page_chooses_the_protocol_first():
    at = run_page("pages/data.py")
    chooser = at.selectbox[0]
    assert chooser.label == "Trial protocol" and chooser.value == "NCT04501354"
    assert set(chooser.options) >= {"NCT04501354 — " + load_sample_study().protocol.title}
    chooser.set_value("DEMO-KOA-PRP").run()
    assert not at.exception, [e.value for e in at.exception]
    at.switch_page("pages/overview.py").run()
    assert not at.exception, [e.value for e in at.exception]
    shown = metrics(at)
    assert (shown["Screened"], shown["Enrolled"], shown["Completed"]) == ("17", "8", "7")


def test_patients_and_vas_thresholds_stay_across_pages():
    at = run_page("pages/trajectories.py")
    at.multiselect[0].set_value(["MSC-01", "MSC-04"]).run()
    next(n for n in at.number_input if n.label.startswith("Reduction")).set_value(3.0).run()
    at.switch_page("pages/overview.py").run()
    at.switch_page("pages/trajectories.py").run()
    assert not at.exception
    assert at.multiselect[0].value == ["MSC-01", "MSC-04"]
    assert next(n for n in at.number_input if n.label.startswith("Reduction")).value == 3.0
    assert at.session_state["kept_min_points"] == 3.0


def test_an_uploaded_study_says_that_refreshing_clears_it():
    at = run_page("pages/outcomes.py", TRIAL)
    assert "refreshing or closing the tab clears them" in texts(at.caption)


# --- issue 13: CONSORT flow, Table 1, safety, secondary outcomes ------------------------------------------


def test_eligibility_shows_the_consort_flow_stages_and_table_1(sample):
    """The stages table: 30 assessed, 25 excluded, 5 enrolled, 5 received, 0 lost, 0 discontinued, 5 + 5 analysed
    (hand count in tests/test_consort.py); Table 1 has the sample's age row 65 (64 to 67)."""
    at = run_page("pages/eligibility.py")
    frames = [d.value for d in at.dataframe]
    stages = next(f for f in frames if "stage" in f.columns)
    assert stages["n"].tolist() == [30, 25, 5, 5, 0, 0, 5, 5]
    baseline = next(f for f in frames if "characteristic" in f.columns).set_index("characteristic")
    assert baseline.loc["Age, years", "summary"] == "65 (64 to 67)"
    criteria = next(f for f in frames if "label" in f.columns)  # the criteria by their labels (not their ids)
    assert len(criteria) == 7 and not {"Enrolled", "Completed 6 months"} & set(criteria["label"])  # stages: no criteria
    assert [t.label for t in at.tabs] == ["CONSORT 2025 flow diagram", "Sequential funnel"]


def test_safety_page_counts_and_serious_event(sample):
    """7 events, 4 of 5 patients, 1 serious (MSC-15 pneumonia, grade 3, unrelated): see tests/test_adverse_events.py."""
    at = run_page("pages/safety.py")
    shown = metrics(at)
    assert (shown["Adverse events"], shown["Patients with an event"], shown["Serious events"]) == ("7", "4 of 5", "1")
    assert "MSC-15: Pneumonia, month 4, grade 3 (severe), unrelated, recovered" in texts(at.error)
    matrix = next(d.value for d in at.dataframe if "CTCAE grade" in d.value.columns).set_index("CTCAE grade")
    assert matrix.loc["1 (mild)", "any"] == "2 (4)"


def test_safety_page_says_what_is_missing():
    at = run_page("pages/safety.py", TRIAL)
    assert "No adverse-event sheet was supplied" in texts(at.info)


#: An adverse-event sheet without a grade column: the sheet is not read (Study.unread), so no harms number is shown.
AE_NOT_READ = (
    (
        "trial.xlsx",
        xlsx_bytes(
            {
                "screening": [SCREENING_HEADER, *(screening_row(f"P{i}") for i in range(1, 4))],
                "visits": visits_rows(3),
                "adverse_events": [["patient_id", "term", "serious"], ["P1", "Fever", "no"]],
            }
        ),
    ),
)


def test_safety_page_with_an_adverse_event_sheet_not_read_shows_no_number():
    at = run_page("pages/safety.py", AE_NOT_READ)
    said = texts(at.error).replace("\u2060", "")  # literal(): a word joiner after each colon
    assert "Adverse events were not read: trial.xlsx, sheet 'adverse\\_events'" in said
    assert not metrics(at) and not at.success  # never "0 events", never "no serious adverse event" in green
    assert "not determinable" in texts(at.error)


#: The screening log without a sex column: the age criterion cannot be checked; three candidates enrolled.
NO_SEX = (
    (
        "trial.xlsx",
        xlsx_bytes(
            {
                "screening": [
                    [h for h in SCREENING_HEADER if h != "sex"],
                    *([v for h, v in zip(SCREENING_HEADER, screening_row(f"P{i}")) if h != "sex"] for i in range(1, 4)),
                ],
                "visits": visits_rows(3),
            }
        ),
    ),
)


def test_overview_without_a_sex_column_shows_the_recorded_enrolment_and_why_a_step_is_not_determinable():
    at = run_page("pages/overview.py", NO_SEX)
    shown = metrics(at)
    assert (shown["Screened"], shown["Enrolled"], shown["Completed"]) == ("3", "3", "3")  # never "Enrolled 0"
    flow = next(h.proto.body for h in at.get("html") if "medpath-flow" in h.proto.body)
    assert '<span class="n">3</span> enrolled' in flow  # the metrics and the flow: one computation
    warned = texts(at.warning).replace("\u2060", "")  # literal(): a word joiner after each colon
    assert "not determinable: no column for Sex was read from the screening log" in warned
    at = run_page("pages/eligibility.py", NO_SEX)
    steps = next(d.value for d in at.dataframe if "step" in d.value.columns).set_index("step")
    assert steps.loc["Enrolled", "n"] == "3"
    assert steps.loc["Age: men > 50 y, women > 40 y", "n"].startswith("not determinable: no column for Sex")
    assert "Table 1, n = 3" in texts(at.subheader)


def test_secondary_page_lsc_follows_the_input(sample):
    """Default LSC 0.0277: gain 3, stable 2, loss 0; an LSC of 0.05 makes all 5 stable (changes ≤ 0.04)."""
    at = run_page("pages/secondary.py")
    assert "gain 3, stable 2, loss 0" in texts(at.markdown)
    assert "Secondary, exploratory" in texts(at.warning)
    lsc = next(n for n in at.number_input if n.label.startswith("Least significant change, g/cm²"))
    assert lsc.value == 0.0277  # the protocol's LSC until the input is changed
    assert "kept_lsc" not in at.session_state  # None in CHOICE_DEFAULTS: the protocol's value
    lsc.set_value(0.05).run()
    assert not at.exception
    assert "gain 0, stable 5, loss 0" in texts(at.markdown)
    assert at.session_state["kept_lsc"] == 0.05  # kept as the choice "lsc": it stays when the page changes
    at.switch_page("pages/overview.py").run()
    at.switch_page("pages/secondary.py").run()
    assert "gain 0, stable 5, loss 0" in texts(at.markdown)


def test_secondary_page_says_what_is_missing():
    at = run_page("pages/secondary.py", TRIAL)
    assert "No secondary outcome" in texts(at.info)


def test_missing_values_show_as_a_dash_never_none():
    at = run_page("pages/trajectories.py")
    values = at.dataframe[0].value
    assert "day" not in values.columns  # the sample has no day offsets: no column of blanks
    missed = values[(values["patient_id"] == "MSC-23") & (values["visit"] == "month 3")]
    assert list(missed["value"]) == ["—"] and list(missed["band"]) == ["—"]  # the WHO class (protocol bands)
    assert not values.isna().any().any()


# --- issue 14: meeting-ready (chart names and tables, SVG, the page address, the Overview's flow) -----------


def _expander_labels(at: AppTest) -> list[str]:
    return [e.label.replace("\u2060", "") for e in at.expander]


@pytest.mark.parametrize("page", [p for p in PAGES if p != "pages/data.py"])
def test_every_chart_is_named_and_has_its_data_table(page):
    """Each plotly chart: its title as a caption ("Chart: …") and a data-table expander naming it."""
    at = run_page(page)
    charts = at.get("plotly_chart")
    assert charts, f"{page} draws no chart"
    named = [label for label in _expander_labels(at) if label.startswith("Data of this chart (table): ")]
    captions = [str(c.value).replace("\u2060", "") for c in at.caption if str(c.value).startswith("Chart: ")]
    assert len(named) == len(captions) == len(charts), (page, named, captions)
    titles = [label.removeprefix("Data of this chart (table): ") for label in named]
    assert [c.removeprefix("Chart: ") for c in captions] == titles
    assert all(title.strip() for title in titles)


def test_svg_download_under_every_chart():
    """One "Download SVG" per chart: the before-after plots of the Overview, and on the Secondary page the
    waterfall (bars) too, and the safety timeline (a categorical axis), which the static SVG now draws."""
    at = run_page("pages/overview.py")
    labels = [b.proto.label for b in at.get("download_button")]
    assert labels.count("Download SVG") == len(at.get("plotly_chart")) == 2
    for page in ("pages/secondary.py", "pages/safety.py"):
        at = run_page(page)
        charts = len(at.get("plotly_chart"))
        assert charts and [b.proto.label for b in at.get("download_button")].count("Download SVG") == charts


def test_the_static_svg_draws_every_chart_of_the_pages(sample):
    from medpath.figures.safety import timeline_figure
    from medpath.figures.svg import can_draw
    from medpath.figures.trajectory import before_after_figure
    from medpath.figures.waterfall import waterfall_figure
    from medpath.secondary import lsc_table

    analysis = analyse(sample)
    assert can_draw(before_after_figure(analysis.primary["vas"], all_patients=sample.patient_ids))
    bmd = analysis.secondary["bmd_g_cm2"]
    assert bmd.meta.lsc is not None
    lsc = bmd.meta.lsc.value
    assert can_draw(waterfall_figure(lsc_table(bmd, lsc), lsc, bmd.meta, analysis.followup_month))
    assert can_draw(timeline_figure(sample.adverse_events, sample.visits, list(sample.patient_ids)))


def test_the_overview_reads_its_choices_from_the_address(sample):
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    at.query_params["followup"] = "3"
    at.query_params["alternative"] = "greater"
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    numbers = key_numbers(analyse(sample, Settings(followup_month=3.0, alternative="greater")))
    for sentence in numbers.sentences.values():
        assert "month 3" in sentence
        assert literal(sentence) in texts(at.markdown)
    assert at.query_params == {"followup": "3", "alternative": "greater"}  # kept in the address
    at.switch_page("pages/outcomes.py").run()
    shown = {s.label: s.value for s in at.selectbox}
    assert shown["Compare baseline with"] == 3.0 and shown["Direction tested"] == "greater"


def test_bad_address_values_are_ignored_with_a_caption(sample):
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    for name, value in {"followup": "99", "zero_method": "<b>x</b>", "patients": "1,9", "hl_zeros": "drop"}.items():
        at.query_params[name] = value
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    note = next(str(c.value) for c in at.caption if str(c.value).startswith("The page address asked for"))
    assert "followup" in note and "99" in note and "patients" in note and "ignored" in note
    assert "<b>" not in note  # inert text: what the address says is never markup
    assert at.query_params == {"hl_zeros": "drop"}  # the bad values leave the address, the good one stays
    assert at.session_state["kept_hl_zeros"] == "drop"
    assert "kept_followup" not in at.session_state and "kept_patients" not in at.session_state
    numbers = key_numbers(analyse(sample, Settings(hl_zeros="drop")))
    for sentence in numbers.sentences.values():
        assert literal(sentence) in texts(at.markdown)
    at.run()  # the note is said once
    assert not any(str(c.value).startswith("The page address asked for") for c in at.caption)


def test_choices_are_written_to_the_address_and_stay_there_across_pages(sample):
    at = run_page("pages/outcomes.py")
    assert at.query_params == {}  # the defaults: a clean address
    next(s for s in at.selectbox if s.label == "Direction tested").set_value("expected").run()
    next(s for s in at.selectbox if s.label == "Patients with no change").set_value("pratt").run()
    assert at.query_params == {"alternative": "expected", "zero_method": "pratt"}
    at.switch_page("pages/trajectories.py").run()
    at.multiselect[0].set_value(["MSC-08", "MSC-01"]).run()
    positions = ",".join(str(sample.patient_ids.index(p) + 1) for p in ("MSC-01", "MSC-08"))
    assert at.query_params["patients"] == positions  # positions in the study, never the patients' ids
    assert "MSC" not in "".join(at.query_params.values())
    at.switch_page("pages/overview.py").run()
    assert at.query_params == {"alternative": "expected", "zero_method": "pratt", "patients": positions}
    next(s for s in at.switch_page("pages/outcomes.py").run().selectbox if s.label == "Direction tested").set_value(
        "two-sided"
    ).run()
    assert "alternative" not in at.query_params  # back to the default: out of the address


def test_patients_from_the_address_are_positions_in_the_study(sample):
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    at.query_params["patients"] = "2,4"
    at.run()
    at.switch_page("pages/trajectories.py").run()
    assert not at.exception
    assert at.multiselect[0].value == [sample.patient_ids[1], sample.patient_ids[3]]


def test_the_protocol_comes_from_the_address():
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    at.query_params["protocol"] = "DEMO-KOA-PRP"
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    shown = metrics(at)
    assert (shown["Screened"], shown["Enrolled"], shown["Completed"]) == ("17", "8", "7")
    assert at.query_params == {"protocol": "DEMO-KOA-PRP"}
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    at.query_params["protocol"] = "NO-SUCH-TRIAL"
    at.run()
    assert metrics(at)["Enrolled"] == "5" and at.query_params == {}
    assert "NO-SUCH-TRIAL" in texts(at.caption)


def test_an_upload_is_never_in_the_address():
    at = run_page("pages/trajectories.py", TRIAL)
    at.multiselect[0].set_value(["P2"]).run()
    assert at.query_params == {"patients": "2"}
    assert "trial" not in str(at.query_params).lower() and "P2" not in str(at.query_params)


def test_the_overview_shows_the_participant_flow(sample):
    at = run_page("pages/overview.py")
    flow = analyse(sample).flow
    (html,) = at.get("html")
    body = html.proto.body
    assert f'<span class="n">{flow.assessed}</span> assessed for eligibility' in body
    assert f"Excluded {flow.excluded.n}: not meeting eligibility criteria: 20" in body
    assert f'<span class="n">{flow.enrolled}</span> enrolled' in body
    assert "analysed, month 6" in body and "Spine BMD T-score: 5; VAS pain: 5" in body
    assert 'aria-label="Participant flow (CONSORT)"' in body
    at = run_page("pages/overview.py", VISITS_ONLY)  # no screening log: the flow starts at enrolment
    body = at.get("html")[0].proto.body
    assert "assessed for eligibility" not in body and '<span class="n">3</span> enrolled' in body


# --- meeting artefacts: the pages' wording -----------------------------------------------------------------


def outside_expanders(block) -> list[str]:
    """The Markdown of the page itself, not one click away inside an expander."""
    shown = []
    for node in block.children.values():
        if node.type == "markdown":
            shown.append(str(node.value))
        elif node.type != "expander" and hasattr(node, "children"):
            shown += outside_expanders(node)
    return shown


def test_secondary_page_leads_each_outcome_with_its_plain_sentence(sample):
    """As on the Outcomes page: the plain sentence first; the Hodges–Lehmann estimate, interval and test one click
    away, in "Statistical details"."""
    from medpath.wording import plain_sentence

    at = run_page("pages/secondary.py")
    bmd = analyse(sample).secondary["bmd_g_cm2"]
    assert plain_sentence(bmd).startswith("Spine BMD rose in 5 of 5 patients from baseline to month 6")
    shown = outside_expanders(at.main)
    assert f"**{literal(plain_sentence(bmd))}**" in shown
    assert not any("Hodges–Lehmann" in text for text in shown)  # not on the page itself
    details = [texts(e.markdown) for e in at.expander if e.label == "Statistical details"]
    assert len(details) == 3 and headline(bmd) in details[0]  # Spine BMD, range of motion, quality of life


def test_outcomes_options_for_unchanged_patients_say_what_they_do(sample):
    at = run_page("pages/outcomes.py")
    zero_method = next(s for s in at.selectbox if s.label == "Patients with no change")
    hl_zeros = next(s for s in at.selectbox if s.label == "No change, in the median change")
    assert zero_method.options == ["Left out (Wilcoxon's rule)", "Ranked, then left out (Pratt's rule)"]
    assert hl_zeros.options == ["Counted as a change of 0", "Left out"]
    assert "Wilcoxon's original rule" in zero_method.help and "Pratt's rule" in zero_method.help
    assert "Hollander, Wolfe & Chicken" in hl_zeros.help and "StatXact" in hl_zeros.help  # the methods: in the help
    hl_zeros.set_value("drop").run()
    assert at.session_state["kept_hl_zeros"] == "drop"  # the option shown as "Left out" is the "drop" convention


def test_the_overview_says_when_a_candidate_could_not_be_checked():
    """One candidate without an HIV result: the data are not "no problems found"; the badge says so and where to
    look, and the note names the protocol's test, not the column's key."""
    screening = [SCREENING_HEADER, *(screening_row(f"P{i}") for i in (1, 2, 3)), screening_row("S4", hiv=None)]
    files = (("unchecked.xlsx", xlsx_bytes({"screening": screening, "visits": visits_rows(3)})),)
    assert not load_study(list(files), protocol=default_protocol()).findings
    at = run_page("pages/overview.py", files)
    assert badges(at) == [UNCHECKED]
    note = "1 candidate(s) could not be checked on 'No active infection': a value it needs (HIV test) is missing"
    assert literal(note) in texts(at.warning)
    complete = (("complete.xlsx", study_bytes("P", 3)),)  # nothing missing, nothing wrong
    at = run_page("pages/overview.py", complete)
    assert badges(at) == [":green-badge[:material/check_circle: Data checked: no problems found]"]


def test_the_eligibility_page_names_criteria_and_fields_by_the_protocols_labels():
    """A deviation (P2 enrolled with a T-score of −1) and a candidate unknown on a disease history: banners and
    tables say "Osteoporosis on BMD (T-score ≤ −2.5)" and "osteoporosis-related disease (yes/no)", never the
    internal ids bmd_confirmed or osteoporosis_related_disease."""
    screening = [
        SCREENING_HEADER,
        screening_row("P1"),
        screening_row("P2", tscore=-1.0),
        screening_row("P3", osteoporosis_related_disease=None),
    ]
    files = (("ids.xlsx", xlsx_bytes({"screening": screening, "visits": visits_rows(3)})),)
    at = run_page("pages/eligibility.py", files)
    banners = texts(at.warning)
    assert literal("'Osteoporosis on BMD (T-score ≤ −2.5)' (T-score > −2.5)") in banners
    assert literal("(unknown: osteoporosis-related disease (yes/no) missing)") in banners
    tables = [d.value for d in at.dataframe if "stage" not in d.value.columns]
    cells = " ".join(str(v) for frame in tables for v in [*frame.columns, *frame.astype(str).to_numpy().ravel()])
    for internal in ("bmd_confirmed", "osteoporosis_related_disease", "no_excluded_disease"):
        assert internal not in banners and internal not in cells, internal
    criteria = next(f for f in tables if "label" in f.columns)
    assert criteria.set_index("label").loc["Osteoporosis on BMD (T-score ≤ −2.5)", "failed"] == 1


def test_the_data_page_mentions_the_mapping_step_only_where_it_is_shown():
    at = run_page("pages/data.py")  # the sample: nothing uploaded, so no mapping step
    assert not any(e.label.startswith("Mapping") for e in at.expander)
    columns_caption = next(str(c.value) for c in at.caption if "column(s) used" in str(c.value))
    assert "Mapping" not in columns_caption
    at = run_page("pages/data.py", TRIAL)
    assert any(e.label.startswith("Mapping") for e in at.expander)
    assert "Open **Mapping** above to change it." in texts(at.caption)


# --- issue 28: a large study leads with its summaries ----------------------------------------------------------

LARGE = 200


def _large_tscore(i: int, month: int) -> float:
    return round(-3.5 + (i % 20) / 10 + {0: 0.0, 3: 0.1, 6: (i % 5) / 10 - 0.1}[month], 1)


def _large_vas(i: int, month: int) -> int:
    return max(0, 3 + i % 7 - {0: 0, 3: 1, 6: i % 4}[month])


def large_workbook(n: int = LARGE) -> bytes:
    """``n`` screened and enrolled patients L001.., each with baseline, month 3 and month 6 (values varied by
    patient: ``_large_tscore``, ``_large_vas``)."""
    visits = [visits_rows(0)[0]] + [
        [f"L{i:03d}", "baseline" if month == 0 else f"month {month}", _large_tscore(i, month), _large_vas(i, month)]
        for i in range(1, n + 1)
        for month in (0, 3, 6)
    ]
    screening = [SCREENING_HEADER, *(screening_row(f"L{i:03d}") for i in range(1, n + 1))]
    return xlsx_bytes({"screening": screening, "visits": visits})


@pytest.fixture(scope="module")
def large():
    return (("large.xlsx", large_workbook()),)


def _figures(at: AppTest) -> list[dict]:
    import json

    return [json.loads(chart.proto.spec) for chart in at.get("plotly_chart")]


def _named(figure: dict, name: str) -> dict:
    return next(t for t in figure["data"] if t.get("name") == name)


def _numbers(values) -> list[float]:
    """A trace's numbers as plotly's JSON holds them: a list, or a typed array (``bdata``)."""
    import base64

    import numpy as np

    if isinstance(values, dict):
        return np.frombuffer(base64.b64decode(values["bdata"]), dtype=values["dtype"]).tolist()
    return list(values)


@pytest.mark.parametrize("page", ["pages/overview.py", "pages/outcomes.py"])
def test_a_large_study_gets_the_paired_distribution_of_its_changes(page, large):
    import numpy as np

    at = run_page(page, large)
    figures = _figures(at)
    assert len(figures) == 2
    for figure in figures:
        bars = _named(figure, "Patients by change")
        assert sum(_numbers(bars["y"])) == LARGE  # every patient's change counted once
        assert sum(len(_numbers(t["x"])) for t in figure["data"]) < 100  # aggregates, not a mark per patient
    vas = next(f for f in figures if f["layout"]["title"]["text"].startswith("VAS pain"))
    changes = [_large_vas(i, 6) - _large_vas(i, 0) for i in range(1, LARGE + 1)]
    values, counts = np.unique(changes, return_counts=True)
    bars = _named(vas, "Patients by change")
    assert _numbers(bars["x"]) == values.tolist() and _numbers(bars["y"]) == counts.tolist()
    assert _named(vas, "Change: median")["x"] == [float(np.median(changes))]
    labels = [b.proto.label for b in at.get("download_button")]
    assert labels.count("Download SVG") == 2  # the static SVG draws it


def test_a_large_study_leads_the_trajectories_with_the_summary_and_draws_five_patients(large):
    import numpy as np

    at = run_page("pages/trajectories.py", large)
    ids = [f"L{i:03d}" for i in range(1, LARGE + 1)]
    assert at.multiselect[0].value == ids[:5]  # a short selection, not 200 chips
    summary, multiples = _figures(at)
    assert "median and middle half of patients" in summary["layout"]["title"]["text"]
    median = _named(summary, "Median")
    baseline = [_large_tscore(i, 0) for i in range(1, LARGE + 1)]
    assert median["y"][0] == pytest.approx(float(np.median(baseline)))
    assert summary["layout"]["xaxis"]["ticktext"][0] == "0<br>n = 200"
    assert {t["name"] for t in summary["data"]} >= set(ids[:5])  # the chosen patients' own lines
    assert len(summary["data"]) < 20
    panels = {a["text"] for a in multiples["layout"]["annotations"] if a.get("name") != "provenance"}
    assert panels == set(ids[:5])
    assert not any("median" in d.value.columns for d in at.dataframe)  # the chart's data is made when opened
    at.session_state[f"chart-data-open-{at.selectbox[0].value}_absolute_summary"] = True
    at.run()
    quartiles, values = at.dataframe[0].value, at.dataframe[1].value  # the chart's data, the values by patient
    assert quartiles["n"].tolist() == [LARGE] * 3 and quartiles["median"][0] == median["y"][0]
    assert set(values["patient_id"]) == set(ids[:5])
    # no patient chosen: the summary stays, the per-patient parts say how to get them
    at.multiselect[0].set_value([]).run()
    assert not at.exception
    assert len(_figures(at)) == 1 and _named(_figures(at)[0], "Median")["y"] == median["y"]
    assert "Choose patients above" in texts(at.info)
