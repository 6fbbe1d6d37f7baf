"""The Data page's mapping step and columns table, run headless with Streamlit's AppTest (issues 12, 24, 11.1).

An export whose headers and values MedPath does not know opens the mapping step by itself, pre-filled with the best
guess; answering the values and clicking "Apply" reads it to the file's own numbers, keeps the profile in the session
beside the files (a second upload of next month's file is read with it), and a broken profile is refused naming its
line. Issue 24: the preview's counts change as the boxes change, before Apply; "T" in seven yes/no columns is one
box; Undo and "Back to MedPath's guesses"; a refusal the mapping step fixes says so; a profile of the previous upload
is asked about; MedPath's questions about rows are answered in the step and kept in the profile; the second bundled
protocol is mapped the same way. The real upload and download are exercised by the browser test
(``tests/test_mapping_browser.py``).
"""

from __future__ import annotations

import io

import openpyxl
from streamlit.testing.v1 import AppTest
from test_mapping import PROFILE, SCREENING, VISITS, indonesian
from test_mapping_preview import renamed_sample
from test_pages import APP, TIMEOUT, metrics, texts
from test_row_questions import _two_sites
from workbooks import SCREENING_HEADER, profile_of, screening_row, xlsx_bytes

from medpath.analysis import analyse
from medpath.protocol import default_protocol
from medpath.study import SAMPLE_DIR, load_study
from medpath.summary import key_numbers
from pages.mapping_step import HELD_PROFILE_KEY, HISTORY_KEY, STEP_KEY
from pages.session import FILES_KEY, PROFILE_KEY, PROTOCOL_KEY, STUDY_KEY


def data_page(files, profile=None, protocol: str | None = None) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    at.session_state[FILES_KEY] = tuple(files)
    if profile is not None:
        at.session_state[PROFILE_KEY] = profile
    if protocol is not None:
        at.session_state[PROTOCOL_KEY] = protocol
    at.run()
    at.switch_page("pages/data.py").run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def selectbox(at: AppTest, label: str):
    return next(s for s in at.selectbox if s.label.endswith(label))


def test_the_mapping_step_opens_prefilled_and_apply_reads_the_export():
    at = data_page(indonesian())
    expander = next(e for e in at.expander if e.label.startswith("Mapping"))
    assert "needs your answer" in expander.label
    warning = texts(at.warning)
    assert (
        "Usia" in warning and "is not a name MedPath knows" in warning and "value(s) of sex not understood" in warning
    )
    assert selectbox(at, "age (years)").value == "Skrining › Usia (tahun)"
    assert "(e.g. 61, 58, 66)" in selectbox(at, "age (years)").format_func(selectbox(at, "age (years)").value)
    assert selectbox(at, "VAS pain (0–10)").value == "Kunjungan › Skor Nyeri"
    assert selectbox(at, "visit").value == "Kunjungan › Waktu"
    # before: nothing can be analysed
    findings = next(t.value for t in at.table if "Message" in t.value.columns)
    assert "required column missing" in "\n".join(findings["Message"])
    # the value step: one select box per text not understood
    selectbox(at, "sex: 'Pr'").set_value("F")
    selectbox(at, "sex: 'Lk'").set_value("M")
    selectbox(at, "HIV test: 'Tidak Reaktif'").set_value("negative")
    selectbox(at, "informed consent: 'Lengkap'").set_value("signed")
    next(b for b in at.button if b.label == "Apply").click().run()
    assert not at.exception, [e.value for e in at.exception]

    profile = at.session_state[PROFILE_KEY]
    assert profile.columns["Usia (tahun)"] == "age" and profile.values["sex"] == {"Pr": "F", "Lk": "M"}
    expected = load_study(indonesian(), mapping=profile_of(profile.to_yaml()), protocol=default_protocol())
    assert not expected.errors
    assert "0 error(s)" in texts(at.warning) or "No problems found" in texts(at.success)
    columns = next(d.value for d in at.dataframe if "Read as" in d.value.columns)
    assert "Usia (tahun) → age (years)" in list(columns["Read as"])
    assert "T-score Lumbal → spine BMD T-score" in list(columns["Read as"])
    assert "Download mapping profile (YAML)" in [b.label for b in at.get("download_button")]

    at.switch_page("pages/overview.py").run()  # the profile is kept beside the files: every page reads with it
    numbers = key_numbers(analyse(expected))
    shown = metrics(at)
    assert (shown["Screened"], shown["Completed"], shown["Errors"]) == (
        str(numbers.screened),
        str(numbers.completed),
        "0",
    )
    assert numbers.screened == 4 and all(line.endswith("n = 3 pairs") for line in numbers.results)
    assert "indo.xlsx" in texts(at.markdown) + texts(at.caption)


def test_a_kept_profile_reads_the_next_upload_and_the_step_stays_closed():
    at = data_page(indonesian(), profile_of(PROFILE, "bulan.yaml"))
    expander = next(e for e in at.expander if e.label.startswith("Mapping"))
    assert "needs your answer" not in expander.label
    assert "Mapping profile in use:** bulan.yaml — 7 column(s), 4 value(s)" in texts(at.markdown)
    assert "No problems found" in texts(at.success) or "0 error(s)" in texts(at.warning)


def test_a_closed_step_makes_no_boxes_until_it_is_opened_and_stays_open_after_apply():
    """A file read as it is: the step is closed and makes none of its boxes (issue 28: dozens of them cost the browser
    half a second on every view of the Data page); opened, it shows them pre-filled; an Apply made in it keeps it
    open for the study the Apply reads."""
    sample = (("sample.xlsx", (SAMPLE_DIR / "medpath_sample_study.xlsx").read_bytes()),)
    at = data_page(sample)
    assert at.session_state[STEP_KEY] is False
    assert not [s for s in at.selectbox if s.label.endswith("VAS pain (0–10)")]
    assert not [b for b in at.button if b.label == "Apply"]
    at.session_state[STEP_KEY] = True  # the reader opens it
    at.run()
    assert selectbox(at, "VAS pain (0–10)").value.endswith("vas")
    click(at, "Apply")  # nothing changed: no profile, and the step stays open
    assert at.session_state[PROFILE_KEY] is None and at.session_state[STEP_KEY] is True
    assert [b for b in at.button if b.label == "Apply"]


def test_an_upload_is_read_once_for_the_study_and_the_mapping_guess(monkeypatch):
    """The study and the mapping step's guess come from one read of each file (before issue 28's change the guess read
    the file again in a second worker: half a second at 5,000 patients); the guess is the one a read of its own
    makes. (A file that needs an answer is read again for the step's preview of the answers, a study of its own.)"""
    import medpath.pipeline.guard.disposable_reader as reader
    from medpath.pipeline.map.mapping import best_guess

    read = reader.read_upload
    names: list[str] = []

    def counted(name, *args, **kwargs):
        names.append(name)
        return read(name, *args, **kwargs)

    monkeypatch.setattr(reader, "read_upload", counted)
    sample = [("sample.xlsx", (SAMPLE_DIR / "medpath_sample_study.xlsx").read_bytes())]
    at = data_page(sample)
    assert names == ["sample.xlsx"]
    kept, own = at.session_state[STUDY_KEY][3], best_guess(sample, default_protocol())
    assert (kept.sheets, kept.fields, kept.columns, kept.texts) == (own.sheets, own.fields, own.columns, own.texts)
    assert kept.fields and not kept.unknown_values


def test_the_columns_table_lists_every_column_of_the_sample():
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    at.run()
    at.switch_page("pages/data.py").run()
    columns = next(d.value for d in at.dataframe if "Read as" in d.value.columns)
    assert "vas → VAS pain (0–10)" in list(columns["Read as"])
    assert len(columns) == 27 and "26 of 27 column(s) used" in texts(at.caption)


def preview_counts(at: AppTest) -> dict[str, tuple[str, ...]]:
    """The preview's counts: count -> (with these choices, at the last Apply, changed marker)."""
    frame = next(t.value for t in at.table if "At the last apply" in t.value.columns)

    def shown(text: str) -> str:  # as the table shows it (pages.components.literal keeps Markdown inert)
        return text.replace("\u2060", "").replace("\\", "")

    columns = ["With these choices", "At the last apply", "Changed"]
    return {shown(c): tuple(shown(v) for v in frame.loc[c, columns]) for c in frame.index}


def click(at: AppTest, label: str) -> AppTest:
    next(b for b in at.button if b.label == label).click().run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def test_the_preview_changes_with_the_boxes_before_apply_and_undo_goes_back():
    at = data_page(indonesian())
    shown = preview_counts(at)
    # the guesses read the ids and visits, but 'Lengkap' is no consent MedPath knows: nobody consented, so nobody
    # enrolled is eligible; every count differs from the study as uploaded (nothing read: not determinable)
    assert shown["Screened"][0] == "4" and shown["Screened"][1].startswith("not determinable")
    assert shown["Screened"][2] == "● changed" and shown["VAS pain: n pairs"][0] == "3"
    assert "● 8 change(s) not applied yet" in texts(at.markdown)
    selectbox(at, "sex: 'Pr'").set_value("F")
    selectbox(at, "sex: 'Lk'").set_value("M")
    selectbox(at, "HIV test: 'Tidak Reaktif'").set_value("negative")
    selectbox(at, "informed consent: 'Lengkap'").set_value("signed")
    at.run()
    assert "● 12 change(s) not applied yet" in texts(at.markdown)  # + four values
    assert "value of sex 'Pr': F (new)" in texts(at.caption)
    assert PROFILE_KEY not in at.session_state  # nothing applied yet
    selectbox(at, "age (years)").select_index(0)  # a box changed from its guess says so, and the preview follows
    at.run()
    assert "● changed (MedPath's guess: Skrining › Usia (tahun))" in texts(at.caption)
    click(at, "Apply")
    shown = preview_counts(at)
    assert shown["Completed"] == ("3", "3", "") and "as at the last Apply" in texts(at.markdown)
    assert "age" not in at.session_state[PROFILE_KEY].columns.values()
    assert at.session_state[HISTORY_KEY] == (None,)
    click(at, "Undo the last Apply")
    assert at.session_state[PROFILE_KEY] is None and at.session_state[HISTORY_KEY] == ()
    click(at, "Back to MedPath's guesses")  # from no profile: stays none, one more step to undo
    assert at.session_state[PROFILE_KEY] is None and at.session_state[HISTORY_KEY] == (None,)


def test_t_in_seven_yes_no_columns_is_one_question_answered_for_all():
    at = data_page(renamed_sample())
    boxes = [s.label for s in at.selectbox if "'T'" in s.label]
    assert boxes == ["yes/no (7 columns): 'T'"]
    assert not [s for s in at.selectbox if "'Y'" in s.label]  # Y is read as yes by MedPath itself
    selectbox(at, "yes/no (7 columns): 'T'").set_value("no")
    at.run()
    assert preview_counts(at)["Screened"][0] == "30"
    click(at, "Apply")
    profile = at.session_state[PROFILE_KEY]
    assert profile.values["anticoagulant"] == {"T": "no"} and len(profile.values) == 7
    shown = metrics(at.switch_page("pages/overview.py").run())
    assert (shown["Screened"], shown["Enrolled"], shown["Completed"]) == ("30", "5", "5")  # the sample's own


def test_a_refusal_the_mapping_step_fixes_says_open_the_mapping_step():
    at = data_page(indonesian())
    refusal = next(e.value for e in at.error if "no visits table found" in e.value)
    assert "**Next step:** open the mapping step below (**Mapping: which column is which field**)" in refusal
    damaged = data_page([("rusak.xlsx", b"PK\x03\x04 not a workbook")])
    refusal = next(e.value for e in damaged.error if "rusak.xlsx" in e.value)
    assert "correct the file as this says and upload it again" in refusal and "mapping step" not in refusal
    assert not [e for e in damaged.expander if e.label.startswith("Mapping")]


def test_the_profile_of_the_previous_upload_is_asked_about_not_applied():
    at = data_page(indonesian())
    at.session_state[HELD_PROFILE_KEY] = profile_of(PROFILE, "bulan.yaml")  # as a new upload leaves it
    at.run()
    assert "The mapping profile **bulan.yaml** (7 column(s), 4 value(s), 0 sheet(s)) was in use" in texts(at.error)
    assert PROFILE_KEY not in at.session_state  # not applied until the user says so
    click(at, "Keep the profile")
    assert at.session_state[PROFILE_KEY].name == "bulan.yaml" and HELD_PROFILE_KEY not in at.session_state
    assert "No problems found" in texts(at.success) or "0 error(s)" in texts(at.warning)
    at.session_state[HELD_PROFILE_KEY] = at.session_state[PROFILE_KEY]  # the next upload
    del at.session_state[PROFILE_KEY]
    at.run()
    click(at, "Drop the profile")
    assert PROFILE_KEY not in at.session_state and HELD_PROFILE_KEY not in at.session_state


def test_the_questions_about_rows_are_answered_in_the_step_and_kept_in_the_profile():
    at = data_page(_two_sites())
    expander = next(e for e in at.expander if e.label.startswith("Mapping"))
    assert "needs your answer" in expander.label
    answer = next(s for s in at.selectbox if s.label == "Answer (rows: keep)")
    assert answer.value == "site = RSCM Jakarta  (MedPath's proposed answer)"
    next(b for b in at.button if b.label == "Confirm this answer").click().run()
    profile = at.session_state[PROFILE_KEY]
    assert profile.rows == {"keep": {"site": "RSCM Jakarta"}}
    assert "rows:\n  keep:\n    site: RSCM Jakarta\n" in profile.to_yaml()  # the downloaded profile
    click(at, "Apply")  # an Apply of the boxes keeps the answer
    assert at.session_state[PROFILE_KEY].rows == {"keep": {"site": "RSCM Jakarta"}}
    assert not [e for e in at.error if "RSHS Bandung" in e.value]


DEMO = "DEMO-KOA-PRP"
DEMO_RENAMED = {"patient_id": "No. Peserta", "age": "Umur (th)", "visit": "Kunjungan ke", "womac_pain": "WOMAC Nyeri"}


def demo_export() -> list[tuple[str, bytes]]:
    """The second protocol's sample as a team's export: its own headers renamed."""
    book = openpyxl.load_workbook(io.BytesIO((SAMPLE_DIR / "demo_knee_prp_study.xlsx").read_bytes()))
    sheets = {}
    for name in ("screening", "visits"):
        rows = [list(r) for r in book[name].iter_rows(values_only=True)]
        rows[0] = [DEMO_RENAMED.get(str(h), h) for h in rows[0]]
        sheets[{"screening": "Skrining", "visits": "Kontrol"}[name]] = rows
    return [("lutut.xlsx", xlsx_bytes(sheets))]


def test_a_file_of_the_second_protocol_is_mapped_the_same_way():
    at = data_page(demo_export(), protocol=DEMO)
    assert selectbox(at, "WOMAC pain subscale (0–20)").value == "Kontrol › WOMAC Nyeri"
    shown = preview_counts(at)  # 17 screened; PRP-01, 03, 05, 07, 10, 14, 16, 17 enrolled; all but 16 at month 3
    assert {k: v[0] for k, v in shown.items()} == {
        "Screened": "17",
        "Enrolled": "8",
        "Completed": "7",
        "WOMAC pain: n pairs": "7",
    }
    click(at, "Apply")
    assert at.session_state[PROFILE_KEY].columns["Kontrol!No. Peserta"] == "patient_id"
    shown = metrics(at.switch_page("pages/overview.py").run())
    assert (shown["Screened"], shown["Enrolled"], shown["Completed"]) == ("17", "8", "7")


def test_every_other_field_is_offered_for_a_column_medpath_does_not_know():
    adverse = [
        ["No. Responden", "Kejadian", "Derajat", "Serius"],
        ["R01", "Demam", 1, "Tidak"],
        ["R02", "Ruam", 2, "Tidak"],
    ]
    files = [("indo.xlsx", xlsx_bytes({"Skrining": SCREENING, "Kunjungan": VISITS, "Efek Samping": adverse}))]
    at = data_page(files, profile_of(PROFILE, "bulan.yaml"))
    term = selectbox(at, "Efek Samping › Kejadian")
    assert {"adverse events: term", "adverse events: grade", "VAS pain at month 6", "screening number"} <= set(
        map(term.format_func, term.options)
    )
    for header, field in (("No. Responden", "ae_patient_id"), ("Kejadian", "ae_term"), ("Derajat", "ae_grade")):
        selectbox(at, f"Efek Samping › {header}").set_value(field)
    selectbox(at, "Efek Samping › Serius").set_value("ae_serious")
    click(at, "Apply")
    profile = at.session_state[PROFILE_KEY]
    assert {k: v for k, v in profile.columns.items() if v.startswith("ae_")} == {
        "Efek Samping!No. Responden": "ae_patient_id",
        "Kejadian": "ae_term",
        "Derajat": "ae_grade",
        "Serius": "ae_serious",
    }
    study = load_study(files, mapping=profile, protocol=default_protocol())
    assert study.adverse_events["term"].tolist() == ["Demam", "Ruam"]
    assert study.adverse_events["grade"].tolist() == [1, 2]


def test_another_answer_than_medpaths_can_be_chosen_and_is_kept():
    screening = [SCREENING_HEADER, screening_row("P1"), screening_row("P2"), screening_row("F1", enrolled="no")]
    visits: list[list[object]] = [["patient_id", "visit", "bmd_tscore", "vas"]]
    for pid in ("P1", "P2", "F1"):
        visits += [[pid, "baseline", -3.0, 7], [pid, "month 6", -2.8, 4]]
    at = data_page([("f.xlsx", xlsx_bytes({"screening": screening, "visits": visits}))])
    answer = next(s for s in at.selectbox if s.label == "Answer (rows: not enrolled visits)")
    assert answer.options == ["leave out  (MedPath's proposed answer)", "analyse"]
    answer.set_value("analyse")
    click(at, "Confirm this answer")
    assert at.session_state[PROFILE_KEY].rows == {"not enrolled visits": "analyse"}
    assert preview_counts(at)["VAS pain: n pairs"][0] == "3"  # F1's visits are analysed as the team says


def test_the_missing_primary_outcome_question_is_answered_by_saying_a_column_is_not_data():
    """VAS is missing and the visits sheet has a column MedPath does not know ('Catatan Dokter'): an error asks. Saying
    in the mapping step that the column is not data (``ignore``) answers it: the error goes, VAS stays not
    determinable beside the missing-column warning, and the answer is in the profile."""
    visits = [["patient_id", "visit", "bmd_tscore", "Catatan Dokter"]]
    for i in range(1, 4):
        visits += [[f"P{i}", "baseline", -3.0, "stabil"], [f"P{i}", "month 6", -2.8, "membaik"]]
    files = [("v.xlsx", xlsx_bytes({"visits": visits}))]
    before = load_study(files, protocol=default_protocol())
    assert [f.code.name for f in before.errors] == ["PRIMARY_OUTCOME_NOT_READ"]
    at = data_page(files)
    box = selectbox(at, "Catatan Dokter")
    assert box.format_func("ignore") == "not data (ignore)"
    box.set_value("ignore")
    click(at, "Apply")
    profile = at.session_state[PROFILE_KEY]
    assert profile.columns.get("Catatan Dokter") == "ignore"
    after = load_study(files, mapping=profile, protocol=default_protocol())
    assert not after.errors and "vas" not in after.outcomes_present
