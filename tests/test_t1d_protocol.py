"""Issue 26: the third bundled protocol, DEMO-T1D-MSC (fictional), of a design unlike the first two: a schedule in
weeks with the primary visit (week 24) before the last (week 52), a yes/no primary outcome, date-window criteria, a
limit by sex, a criterion for women only, a test that must be positive and HbA1c in % or mmol/mol. Its synthetic
sample (``scripts/make_t1d_sample.py``) is kept as a team keeps it ("NA" for men in the women-only item, "8.1 %" and
"65 mmol/mol" in cells, dates typed as text). Every truth below is counted by hand from that script's tables, and
the study is run end to end: the command line (text and JSON), the report, the slides, the Word tables and the app.
"""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import pandas as pd
import pytest
from conftest import xlsx_bytes
from streamlit.testing.v1 import AppTest

from medpath.analysis import analyse
from medpath.cli import main
from medpath.figures.trajectory import small_multiples_figure, spaghetti_figure
from medpath.protocol import bundled
from medpath.report import build_report
from medpath.slides import build_deck
from medpath.study import load_sample_study, load_study
from medpath.word_tables import word_tables

ROOT = Path(__file__).resolve().parent.parent
PROTOCOL = bundled()["DEMO-T1D-MSC"]
WEEK = 7 / (365.25 / 12)  # one week in nominal months


def _summary(capsys, *args: str) -> dict:
    assert main(["summary", "--sample", "--protocol", "DEMO-T1D-MSC", "--json", *args]) == 0
    return json.loads(capsys.readouterr().out)


def test_the_schedule_is_in_weeks_with_the_primary_visit_at_week_24():
    assert PROTOCOL.clock.unit == "week"
    assert [label for label, _ in PROTOCOL.visits] == ["baseline", "week 2", "week 4", "week 12", "week 24", "week 52"]
    assert PROTOCOL.primary_month == pytest.approx(24 * WEEK) and PROTOCOL.primary_visit == "week 24"
    assert PROTOCOL.time_span(PROTOCOL.primary_month) == "24 weeks"


def test_funnel_by_hand(capsys):
    """19 screened: 03 is 17 (age), 05 diagnosed 181 days before (04's 180 passes), 06 GAD negative and 14 GAD not
    recorded (unknown, so not counted as passing), 07 a man's Hb 12.5 (08, a woman's 12.5, passes), 09 an
    immunosuppressant 30 days before (10's 120 days passes), 11 pregnant (the men's "NA" is not applicable), 12
    HBsAg positive, 13 declined: 10 eligible, all 10 enrolled; 19 lost after week 12, so 9 completed week 24."""
    steps = {s["id"]: s["n"] for s in _summary(capsys)["funnel"]}
    assert steps == {
        "screened": 19,
        "age_18_to_40_lower": 18,
        "age_18_to_40_upper": 18,
        "recent_diagnosis": 17,
        "gad_positive": 15,
        "haemoglobin": 14,
        "no_recent_immunosuppressant": 13,
        "not_pregnant": 12,
        "no_bloodborne_infection": 11,
        "consented": 10,
        "enrolled": 10,
        "completed": 9,
    }


def test_primary_outcomes_by_hand(capsys):
    """C-peptide, week 24 minus baseline (nmol/L): -0.04, +0.06, 0, -0.08, -0.08, -0.06, -0.03, +0.01, -0.09 (9
    pairs). The zero dropped, the 8 absolute changes ranked: 0.01 (+) 1, 0.03 2, 0.04 3, 0.06 (+ and -) 4.5 each, 0.08
    6.5 each, 0.09 8: W+ = 1 + 4.5 = 5.5. The sign assignments with W+ <= 5.5 are {}, {1}, {2}, {3}, {4.5} twice,
    {1,2}, {1,3}, {1,4.5} twice and {2,3}: 11 of 256, so the exact two-sided p = 22/256 = 0.0859375.

    Remission in the 9 pairs: yes at baseline 02, 10 (2); yes at week 24 01, 02, 04, 08, 15, 17 (6); 5 became yes, 1
    became no; exact McNemar two-sided p = 2 (1 + 6) / 2**6 = 0.21875. Holm over the two: 0.0859375 * 2 = 0.171875,
    then max(0.171875, 0.21875) = 0.21875."""
    outcomes = _summary(capsys)["outcomes"]
    c = outcomes["c_peptide"]
    assert c["n_pairs"] == 9 and c["wilcoxon"]["statistic"] == 5.5
    assert c["wilcoxon"]["p_value"] == pytest.approx(22 / 256, rel=1e-12)
    assert c["median_change"] == pytest.approx(-0.04) and c["direction_counts"] == {"up": 2, "down": 6, "unchanged": 1}
    assert c["p_holm"] == pytest.approx(2 * 22 / 256, rel=1e-12)
    r = outcomes["remission"]
    b = r["binary"]
    assert (r["n_pairs"], b["yes_baseline"], b["yes_followup"], b["gained"], b["lost"]) == (9, 2, 6, 5, 1)
    assert b["p_value"] == pytest.approx(14 / 64, rel=1e-12) and r["p_holm"] == pytest.approx(14 / 64, rel=1e-12)


def test_hba1c_written_in_percent_and_in_mmol_per_mol_by_hand(capsys):
    """Baseline HbA1c of the 9 pairs: 9.4, 8.1, 10.2, 11.0, 65 mmol/mol = 0.09148 * 65 + 2.152 = 8.0982 %, 9.9, 12.1,
    8.8, 10.6 (median 9.9); week 24: 7.0, 6.8, 7.1, 7.2, 7.5, 7.3, 8.4, 6.6, 8.1 (median 7.2); every change is down,
    so W+ = 0 and the exact two-sided p = 2 / 2**9."""
    summary = _summary(capsys)
    h = summary["secondary"]["hba1c"]
    assert (h["n_pairs"], h["baseline_median"], h["followup_median"]) == (9, 9.9, 7.2)
    assert h["wilcoxon"]["p_value"] == pytest.approx(2 / 2**9, rel=1e-12)
    study = load_sample_study(PROTOCOL)
    baseline = study.visits[(study.visits["month"] == 0) & (study.visits["patient_id"] == "T1D-10")]
    assert baseline["hba1c"].tolist() == [pytest.approx(0.09148 * 65 + 2.152)]
    assert {f.code.name for f in study.findings} == {"VALUE_READ_AS"} and not study.errors


def test_the_text_summary_names_weeks_never_months(capsys):
    assert main(["summary", "--sample", "--protocol", "DEMO-T1D-MSC"]) == 0
    text = capsys.readouterr().out
    assert "Completed 24 weeks" in text
    assert "Fasting C-peptide, baseline → week 24: median change −0.04 nmol/L" in text
    assert "Partial remission, baseline → week 24: yes in 2 of 9 → 6 of 9 (5 became yes, 1 became no)" in text
    assert "month" not in text.lower()


def test_a_clean_workbook_of_the_same_study_reads_the_same():
    """The sample as a tidy export (numbers, yes/no, Excel dates, 'no' for the men's pregnancy item, HbA1c in %): the
    same funnel and the same primary results as the team's own file."""
    team = analyse(load_sample_study(PROTOCOL))
    screening = [list(PROTOCOL.screening_columns)]
    kinds = {f.key: f.kind for f in PROTOCOL.screening} | {"enrolled": "yes_no"}
    for row in team.study.screening.itertuples(index=False):
        values = row._asdict()
        values["pregnant_or_breastfeeding"] = (
            bool(values["pregnant_or_breastfeeding"]) if values["sex"] == "F" else False
        )
        screening.append([_clean(values[c], kinds.get(c, "number")) for c in PROTOCOL.screening_columns])
    visits = [["patient_id", "visit", *PROTOCOL.outcomes]]
    for row in team.study.visits.itertuples(index=False):
        visits.append(
            [
                row.patient_id,
                row.visit,
                *(
                    _clean(getattr(row, k), "yes_no" if PROTOCOL.outcomes[k].kind == "binary" else "number")
                    for k in PROTOCOL.outcomes
                ),
            ]
        )
    clean = analyse(
        load_study([("clean.xlsx", xlsx_bytes({"screening": screening, "visits": visits}))], protocol=PROTOCOL)
    )
    assert not clean.study.errors
    assert [(s.id, s.n) for s in clean.eligibility.steps] == [(s.id, s.n) for s in team.eligibility.steps]
    for key in PROTOCOL.primary_outcomes:
        assert clean.primary[key].p_value == team.primary[key].p_value
        assert clean.primary[key].changes["change"].tolist() == team.primary[key].changes["change"].tolist()


def _clean(value, kind: str = "number"):
    """A tidy cell: the words of a yes/no or test field, the date itself, None for a missing value."""
    if value is None or pd.isna(value):
        return None
    if kind in ("yes_no", "test"):
        return {"yes_no": ("no", "yes"), "test": ("negative", "positive")}[kind][bool(value)]
    if isinstance(value, pd.Timestamp):
        return value.date()
    return value


def test_report_slides_and_word_tables_speak_in_weeks():
    analysis = analyse(load_sample_study(PROTOCOL))
    report = build_report(analysis)
    assert "Trial DEMO-T1D-MSC" in report and "Completed 24 weeks" in report
    assert "baseline vs week 24" in report and "Weeks since baseline" in report
    assert "month 5.52" not in report and "Month 5.52" not in report
    deck = _texts(build_deck(analysis))
    assert "Primary outcomes: baseline vs week 24" in deck and "5.52" not in deck
    word = _texts(word_tables(analysis))
    assert "3. Primary outcomes: baseline vs week 24" in word and "Completed week 24" in word and "5.52" not in word


def _texts(document: bytes) -> str:
    """Every XML part of an Office file, as one text (the words of its slides or pages)."""
    with zipfile.ZipFile(io.BytesIO(document)) as archive:
        return "".join(archive.read(n).decode("utf-8") for n in archive.namelist() if n.endswith(".xml"))


def test_the_trajectory_axis_is_in_weeks():
    study = load_sample_study(PROTOCOL)
    fig = spaghetti_figure(study.visits, "c_peptide", protocol=PROTOCOL)
    assert fig.layout.xaxis.title.text == "Weeks since baseline"
    assert list(fig.layout.xaxis.ticktext) == ["0", "2", "4", "12", "24", "52"]
    assert list(fig.layout.xaxis.tickvals) == pytest.approx([w * WEEK for w in (0, 2, 4, 12, 24, 52)])
    panels = small_multiples_figure(study.visits, patients=["T1D-01"], protocol=PROTOCOL)
    assert list(panels.layout.xaxis2.ticktext) == ["0", "", "", "12", "24", "52"]  # weeks 2 and 4 would touch week 0
    assert panels.layout.xaxis2.title.text == "Week"
    assert list(panels.layout.yaxis2.ticktext) == ["no", "yes"]  # partial remission


PAGES = [f"pages/{name}.py" for name in ("overview", "eligibility", "trajectories", "outcomes", "secondary", "safety")]


def test_the_app_runs_every_page_on_the_third_protocol():
    at = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=60)
    at.run()
    at.switch_page("pages/data.py").run()
    at.selectbox(key="protocol_choice").set_value("DEMO-T1D-MSC").run()
    for page in PAGES:
        at.switch_page(page).run()
        assert not at.exception, (page, [e.value for e in at.exception])
        shown = " ".join(str(e.value) for e in [*at.markdown, *at.caption, *at.subheader, *at.metric, *at.warning])
        assert "5.52" not in shown, page
    at.switch_page("pages/overview.py").run()
    assert any(m.label.startswith("Completed") and m.value == "9" for m in at.metric), [
        (m.label, m.value) for m in at.metric
    ]


def test_a_weeks_trials_visit_named_by_a_sheet_or_a_profile_is_placed_in_weeks(capsys, tmp_path):
    """One sheet per visit ("Minggu 24"), and a profile naming a sheet's visit ("Kontrol II: week 24"): both are week
    24 of the weeks schedule (a months reading would put them at month 6, i.e. week 26, and find no pairs)."""
    rows = {p: (0.40 + i / 100, 0.35 + i / 100) for i, p in enumerate(("A", "B", "C", "D"))}
    base = [["patient_id", "c_peptide", "remission"], *([p, b, "no"] for p, (b, _) in rows.items())]
    after = [["patient_id", "c_peptide", "remission"], *([p, a, "yes"] for p, (_, a) in rows.items())]
    by_sheet = xlsx_bytes({"Baseline": base, "Minggu 24": after})
    read = analyse(load_study([("s.xlsx", by_sheet)], protocol=PROTOCOL))
    assert read.primary["c_peptide"].n_pairs == 4 and read.primary["c_peptide"].followup_visit == "week 24"
    named = tmp_path / "k.xlsx"
    named.write_bytes(xlsx_bytes({"Baseline": base, "Kontrol II": after}))
    profile = tmp_path / "p.yaml"
    profile.write_text("sheets:\n  Kontrol II: week 24\n", encoding="utf-8")
    args = ["summary", str(named), "--protocol", "DEMO-T1D-MSC", "--mapping", str(profile), "--json"]
    assert main(args) == 0
    summary = json.loads(capsys.readouterr().out)
    assert (
        summary["outcomes"]["c_peptide"]["n_pairs"] == 4 and summary["outcomes"]["remission"]["binary"]["gained"] == 4
    )


def test_a_weeks_visit_whose_day_is_another_visit_is_remarked():
    """The visit window is half a unit of the schedule: a "week 2" row on day 28 (week 4, another visit) is named;
    day 17 (2.4 weeks) is within week 2's window."""
    rows = [["patient_id", "visit", "day", "c_peptide"], ["A", "baseline", 0, 0.4], ["A", "week 2", 28, 0.41]]
    rows += [["B", "baseline", 0, 0.5], ["B", "week 2", 17, 0.52]]
    study = load_study([("d.xlsx", xlsx_bytes({"visits": rows}))], protocol=PROTOCOL)
    remarked = [f for f in study.findings if f.code.name == "VISIT_LABEL_OFFSET_DISAGREE"]
    assert [(f.row, f.value) for f in remarked] == [(3, "week 2")]
    assert "the offset says day 28; analysed as week 2" in remarked[0].message


def test_a_primary_outcome_missing_is_a_question_only_when_a_visits_sheet_has_an_unknown_column():
    """Remission is not in the visits: with an unknown column on the visits sheet ('Skor X') that column may hold it,
    an error asks; an unknown column only on the screening sheet ('Pekerjaan') cannot, and the outcome is simply
    missing (its results not determinable beside the missing-column warning)."""
    screening = [["patient_id", "sex", "age", "Pekerjaan"], ["A", "F", 30, "guru"], ["B", "M", 25, "petani"]]
    visits = [["patient_id", "visit", "c_peptide"], ["A", "baseline", 0.4], ["A", "week 24", 0.38]]
    visits += [["B", "baseline", 0.5], ["B", "week 24", 0.45]]
    plain = load_study([("a.xlsx", xlsx_bytes({"Skrining": screening, "Kunjungan": visits}))], protocol=PROTOCOL)
    assert not [f for f in plain.findings if f.code.name == "PRIMARY_OUTCOME_NOT_READ"]
    with_unknown = [[*row, cell] for row, cell in zip(visits, ["Skor X", "ya", "tidak", "ya", "ya"])]
    asked = load_study([("b.xlsx", xlsx_bytes({"Skrining": screening, "Kunjungan": with_unknown}))], protocol=PROTOCOL)
    errors = [f for f in asked.errors if f.code.name == "PRIMARY_OUTCOME_NOT_READ"]
    assert len(errors) == 1 and "Partial remission" in errors[0].message and "'Skor X'" in errors[0].message
    assert errors[0].sheet == "Kunjungan"


def test_an_adverse_events_onset_written_in_weeks_is_that_time_and_named_in_weeks():
    """ "Week 12" is 84 days = 2.76 months exactly (never moved to month 3 = week 13); the listing of a weeks trial
    names it "week 12"."""
    from medpath.adverse_events import listing

    visits = [["patient_id", "visit", "c_peptide"], ["A", "baseline", 0.4], ["A", "week 24", 0.38]]
    events = [["patient_id", "term", "onset", "grade"], ["A", "Fever", "week 12", 1], ["A", "Rash", "Minggu 2", 1]]
    study = load_study([("e.xlsx", xlsx_bytes({"visits": visits, "adverse_events": events}))], protocol=PROTOCOL)
    assert study.adverse_events["onset_month"].tolist() == pytest.approx([84 / 30.4375, 14 / 30.4375])
    shown = listing(study.adverse_events, PROTOCOL.intervention_event, PROTOCOL.clock)
    assert shown["onset"].tolist() == ["week 2", "week 12"]
