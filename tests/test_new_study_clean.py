"""Issue 23, item 7: a new study starts clean. The choices made for one study (the patients drawn, the follow-up month,
the direction tested and the other analysis settings) do not carry silently into the next: those that do not fit it
go back to their defaults, and a notice shown once says which (``medpath.study_choices``, ``pages.session``).

The pure decision first, then the dashboard driven headless with Streamlit's AppTest (an upload is put where the
uploader's callback puts it, ``st.session_state[FILES_KEY]``, as in ``tests/test_pages.py``).
"""

from __future__ import annotations

import dataclasses

import pytest
from conftest import ROOT, study_bytes
from streamlit.testing.v1 import AppTest
from workbooks import profile_of

from medpath.protocol import bundled, default_protocol
from medpath.study import load_sample_study, load_study
from medpath.study_choices import FittedChoices, StudyFacts, fit_choices, study_fingerprint
from pages.session import CHOICE_DEFAULTS, FILES_KEY, PROFILE_KEY

APP = str(ROOT / "dashboard.py")
TIMEOUT = 60  # the first run imports plotly, scipy and statsmodels
NOTICE = "A new study was loaded"


# --- the pure decision -------------------------------------------------------------------------------------------


def facts(fingerprint: str, patients: int = 5, months: tuple[float, ...] = (1.0, 3.0, 6.0), primary: float = 6.0):
    return StudyFacts(fingerprint, tuple(f"P{i}" for i in range(1, patients + 1)), months, primary)


SAMPLE_LIKE = facts("a")  # five patients, months 1, 3 and 6, primary month 6
TEN_AT_MONTH_6 = facts("b", patients=10, months=(6.0,))


def test_the_issues_example_notice():
    fitted = fit_choices(
        {"patients": ["P1", "P4"], "followup": 12.0, "alternative": "greater"},
        CHOICE_DEFAULTS,
        facts("a", months=(6.0, 12.0)),
        TEN_AT_MONTH_6,
    )
    assert fitted.reset == ("patients", "followup", "alternative")
    assert fitted.notice == (
        "A new study was loaded: the patient selection (2 of 5 patients → all 10), the follow-up visit "
        "(month 12 → month 6) and the test direction (one-sided → two-sided) were reset to fit it."
    )


def test_nothing_is_reset_on_the_first_study_or_the_same_study_again():
    kept = {"patients": ["P1"], "followup": 3.0, "alternative": "expected", "lsc": 0.05}
    assert fit_choices(kept, CHOICE_DEFAULTS, None, SAMPLE_LIKE) == FittedChoices()
    same = dataclasses.replace(SAMPLE_LIKE, patient_ids=("P1",))  # same fingerprint: the same study read again
    assert fit_choices(kept, CHOICE_DEFAULTS, SAMPLE_LIKE, same) == FittedChoices()
    assert FittedChoices().notice is None


def test_a_follow_up_month_the_new_study_has_is_kept():
    fitted = fit_choices({"followup": 6.0}, CHOICE_DEFAULTS, SAMPLE_LIKE, TEN_AT_MONTH_6)
    assert fitted == FittedChoices()


@pytest.mark.parametrize(
    ("after", "said"),
    [
        (facts("b", months=(3.0, 12.0), primary=12.0), "the follow-up visit (month 6 → month 12)"),
        (facts("b", months=(1.0, 3.0), primary=12.0), "the follow-up visit (month 6 → month 3)"),  # the last one
        (facts("b", months=()), "the follow-up visit (month 6 → none: this study has no follow-up visit)"),
    ],
)
def test_a_follow_up_month_the_new_study_lacks_goes_back_to_its_default(after, said):
    fitted = fit_choices({"followup": 6.0}, CHOICE_DEFAULTS, SAMPLE_LIKE, after)
    assert fitted.reset == ("followup",) and fitted.said == (said,)
    assert fitted.notice == f"A new study was loaded: {said} was reset to fit it."


def test_the_patient_selection_always_goes_back_to_the_new_studys_patients():
    # ids that recur in the new study are no reason to keep the selection: it was made for the other study
    fitted = fit_choices({"patients": ["P1", "P2", "P3", "P4"]}, CHOICE_DEFAULTS, SAMPLE_LIKE, facts("b", 10))
    assert fitted.reset == ("patients",)
    assert fitted.said == ("the patient selection (4 of 5 patients → all 10)",)
    none = fit_choices({"patients": []}, CHOICE_DEFAULTS, SAMPLE_LIKE, facts("b", 0))
    assert none.said == ("the patient selection (0 of 5 patients → none: this study has no patients)",)


def test_a_selection_of_every_patient_is_reset_without_a_word():
    every = list(reversed(SAMPLE_LIKE.patient_ids))  # every patient, in any order: the default view
    fitted = fit_choices({"patients": every}, CHOICE_DEFAULTS, SAMPLE_LIKE, TEN_AT_MONTH_6)
    assert fitted.reset == ("patients",) and fitted.notice is None


def test_every_analysis_setting_goes_back_to_the_protocols_default():
    kept = {
        "lsc": 0.05,
        "min_percent": 40.0,
        "min_points": 3.0,
        "hl_zeros": "drop",
        "zero_method": "pratt",
        "alternative": "expected",
    }
    fitted = fit_choices(kept, CHOICE_DEFAULTS, SAMPLE_LIKE, TEN_AT_MONTH_6)
    assert set(fitted.reset) == set(kept)
    assert fitted.said == (  # in the pages' order; the two responder thresholds in one phrase
        "the test direction (one-sided → two-sided)",
        "the test's rule for patients with no change (Pratt's rule → Wilcoxon's rule)",
        "the median change's rule for patients with no change (left out → counted as a change of 0)",
        "the responder thresholds (back to the protocol's)",
        "the least significant change (0.05 → the protocol's)",
    )


def test_a_setting_at_its_default_is_reset_without_a_word():
    kept = {"alternative": "two-sided", "zero_method": "wilcox", "hl_zeros": "keep"}
    fitted = fit_choices(kept, CHOICE_DEFAULTS, SAMPLE_LIKE, TEN_AT_MONTH_6)
    assert set(fitted.reset) == set(kept) and fitted.notice is None


def test_an_unknown_choice_is_reset_too():
    fitted = fit_choices({"new_thing": 1}, {"new_thing": None}, SAMPLE_LIKE, TEN_AT_MONTH_6)
    assert fitted.reset == ("new_thing",) and fitted.said == ("the new thing (back to its default)",)


def test_default_month():
    assert facts("a").default_month == 6.0
    assert facts("a", months=(1.0, 3.0)).default_month == 3.0
    assert facts("a", months=()).default_month is None


@pytest.fixture(scope="module")
def sample():
    return load_sample_study()


def test_the_facts_of_the_sample(sample):
    sample_facts = StudyFacts.of(sample)
    assert sample_facts.patient_ids == tuple(sample.patient_ids) and len(sample_facts.patient_ids) == 5
    assert sample_facts.months == (1.0, 3.0, 6.0) and sample_facts.default_month == 6.0
    assert sample_facts.fingerprint == study_fingerprint(sample)


def test_the_fingerprint_is_the_studys_content(sample):
    # the same data, whatever the label, files or findings: the same study
    assert study_fingerprint(dataclasses.replace(sample, label="other", sources=(), findings=())) == (
        study_fingerprint(sample)
    )
    same_files_renamed = [
        load_study([(name, study_bytes("P", 3))], protocol=default_protocol()) for name in ("a.xlsx", "copy of a.xlsx")
    ]
    assert study_fingerprint(same_files_renamed[0]) == study_fingerprint(same_files_renamed[1])
    # one value, one patient fewer, or another protocol: another study
    visits = sample.visits.copy()
    visits.loc[visits.index[0], "vas"] = 9.5
    assert study_fingerprint(dataclasses.replace(sample, visits=visits)) != study_fingerprint(sample)
    fewer = sample.visits[sample.visits["patient_id"] != sample.patient_ids[0]]
    assert study_fingerprint(dataclasses.replace(sample, visits=fewer)) != study_fingerprint(sample)
    demo = bundled()["DEMO-KOA-PRP"]
    assert study_fingerprint(dataclasses.replace(sample, protocol=demo)) != study_fingerprint(sample)
    assert study_fingerprint(dataclasses.replace(sample, screening=None)) != study_fingerprint(sample)


# --- the dashboard -----------------------------------------------------------------------------------------------


def app(page: str = "pages/overview.py") -> AppTest:
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    at.run()
    if page != "pages/overview.py":
        at.switch_page(page).run()
    ok(at)
    return at


def ok(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]


def notices(at: AppTest) -> list[str]:
    return [str(i.value) for i in at.info if str(i.value).startswith(NOTICE)]


def selectbox(at: AppTest, label: str):
    return next(s for s in at.selectbox if s.label == label)


def choose_on_the_sample(at: AppTest, patients: list[str], month: float, direction: str) -> None:
    """Two patients on Trajectories, then a follow-up month and a one-sided test on Outcomes; the page left on
    Outcomes."""
    at.switch_page("pages/trajectories.py").run()
    at.multiselect[0].set_value(patients).run()
    at.switch_page("pages/outcomes.py").run()
    selectbox(at, "Compare baseline with").set_value(month).run()
    selectbox(at, "Direction tested").set_value(direction).run()
    ok(at)
    assert at.session_state["kept_patients"] == patients and at.session_state["kept_alternative"] == direction
    assert not notices(at)


def test_the_reported_scenario_a_new_upload_shows_its_own_patients_and_default_settings(sample):
    """The sample with 2 patients, month 3 and a one-sided test; then an upload of ten patients seen at month 6 only."""
    at = app()
    choose_on_the_sample(at, ["MSC-01", "MSC-04"], 3.0, "expected")
    at.session_state[FILES_KEY] = (("ten_patients.xlsx", study_bytes("P", 10)),)
    at.run()  # the Outcomes page, on the new study
    ok(at)
    assert notices(at) == [
        "A new study was loaded: the patient selection (2 of 5 patients → all 10), the follow-up visit "
        "(month 3 → month 6) and the test direction (one-sided → two-sided) were reset to fit it."
    ]
    shown = {s.label: s.value for s in at.selectbox}
    assert shown["Compare baseline with"] == 6.0 and shown["Direction tested"] == "two-sided"
    assert not any("One-sided" in str(c.value) for c in at.caption)
    assert at.query_params == {}  # nothing of the previous study's choices left in the address
    for name in ("patients", "followup", "alternative"):
        assert f"kept_{name}" not in at.session_state
    at.switch_page("pages/trajectories.py").run()
    ok(at)
    assert at.multiselect[0].value == [f"P{i}" for i in range(1, 11)]  # the new study's default: every patient
    assert "Choose at least one patient." not in [str(i.value) for i in at.info]
    assert not notices(at)  # said once


def test_recurring_patient_ids_do_not_keep_a_selection_for_another_study(sample):
    """The report's "only 4 of 10 patients": the new study's ids include the ones chosen before."""
    at = app("pages/trajectories.py")
    at.multiselect[0].set_value(["MSC-01", "MSC-04", "MSC-08"]).run()
    at.session_state[FILES_KEY] = (("nine.xlsx", study_bytes("MSC-0", 9)),)  # MSC-01 ... MSC-09
    at.run()
    ok(at)
    assert at.multiselect[0].value == [f"MSC-0{i}" for i in range(1, 10)]
    assert notices(at) == [
        "A new study was loaded: the patient selection (3 of 5 patients → all 9) was reset to fit it."
    ]


def test_another_protocol_resets_what_does_not_fit_and_keeps_the_month_it_has(sample):
    """The sample, then the bundled DEMO-KOA-PRP protocol chosen on the Data page (its sample: 8 patients, months
    1, 3 and 12): month 1 fits and stays; the patients and every analysis setting go back to their defaults."""
    at = app()
    choose_on_the_sample(at, ["MSC-01", "MSC-08"], 1.0, "greater")
    selectbox(at, "Patients with no change").set_value("pratt").run()
    at.switch_page("pages/secondary.py").run()
    next(n for n in at.number_input if n.label.startswith("Least significant change")).set_value(0.05).run()
    at.switch_page("pages/data.py").run()
    selectbox(at, "Trial protocol").set_value("DEMO-KOA-PRP").run()
    ok(at)
    assert notices(at) == [
        "A new study was loaded: the patient selection (2 of 5 patients → all 8), the test direction "
        "(one-sided → two-sided), the test's rule for patients with no change (Pratt's rule → Wilcoxon's rule) and "
        "the least significant change (0.05 → the protocol's) were reset to fit it."
    ]
    assert at.query_params == {"protocol": "DEMO-KOA-PRP", "followup": "1"}
    at.switch_page("pages/outcomes.py").run()
    ok(at)
    shown = {s.label: s.value for s in at.selectbox}
    assert shown["Compare baseline with"] == 1.0  # the month the new study has is kept
    assert (shown["Direction tested"], shown["Patients with no change"]) == ("two-sided", "wilcox")
    assert not notices(at)
    at.switch_page("pages/trajectories.py").run()
    demo = load_sample_study(bundled()["DEMO-KOA-PRP"])
    assert at.multiselect[0].value == list(demo.patient_ids) and len(demo.patient_ids) == 8


def test_a_month_the_other_protocols_study_lacks_goes_back_to_its_primary_month(sample):
    at = app()
    choose_on_the_sample(at, ["MSC-01", "MSC-04"], 3.0, "expected")
    selectbox(at, "Compare baseline with").set_value(6.0).run()  # month 6 chosen: the demo study has no month 6
    assert at.session_state["kept_followup"] == 6.0
    at.switch_page("pages/data.py").run()
    selectbox(at, "Trial protocol").set_value("DEMO-KOA-PRP").run()
    ok(at)
    (notice,) = notices(at)
    assert "the follow-up visit (month 6 → month 3)" in notice
    at.switch_page("pages/outcomes.py").run()
    assert selectbox(at, "Compare baseline with").value == 3.0


def test_the_same_study_read_again_keeps_every_choice_and_back_to_the_sample_resets_them():
    files = (("trial.xlsx", study_bytes("P", 4)),)
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    at.session_state[FILES_KEY] = files
    at.run()
    at.switch_page("pages/trajectories.py").run()
    at.multiselect[0].set_value(["P2"]).run()
    at.switch_page("pages/outcomes.py").run()
    selectbox(at, "Direction tested").set_value("less").run()
    # the same workbook uploaded again, under another name: read again, the same study
    at.session_state[FILES_KEY] = (("trial (corrected).xlsx", files[0][1]),)
    at.run()
    ok(at)
    assert not notices(at)
    assert selectbox(at, "Direction tested").value == "less"
    assert at.query_params == {"alternative": "less", "patients": "2"}
    at.switch_page("pages/data.py").run()
    next(b for b in at.button if b.label == "Back to the sample study").click().run()
    ok(at)
    assert notices(at) == [
        "A new study was loaded: the patient selection (1 of 4 patients → all 5) and the test direction "
        "(one-sided → two-sided) were reset to fit it."
    ]
    assert at.query_params == {}
    at.switch_page("pages/trajectories.py").run()
    assert at.multiselect[0].value == list(load_sample_study().patient_ids)


def test_a_mapping_profile_resets_the_choices_only_when_it_changes_the_study():
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    at.session_state[FILES_KEY] = (("trial.xlsx", study_bytes("P", 4)),)
    at.run()
    at.switch_page("pages/outcomes.py").run()
    selectbox(at, "Direction tested").set_value("greater").run()
    at.session_state[PROFILE_KEY] = profile_of("columns:\n  Not in this file: age\n")  # changes nothing read
    at.run()
    ok(at)
    assert not notices(at) and selectbox(at, "Direction tested").value == "greater"
    at.session_state[PROFILE_KEY] = profile_of("columns:\n  vas: qol\n")  # the VAS column read as quality of life
    at.run()
    ok(at)
    assert notices(at) == ["A new study was loaded: the test direction (one-sided → two-sided) was reset to fit it."]
    assert selectbox(at, "Direction tested").value == "two-sided"
