"""The Data page's mapping step and columns table, run headless with Streamlit's AppTest (issue 12, issue 11.1).

An export whose headers and values MedPath does not know opens the mapping step by itself, pre-filled with the best
guess; answering the values and clicking "Apply" reads it to the file's own numbers, keeps the profile in the session
beside the files (a second upload of next month's file is read with it), and a broken profile is refused naming its
line. The real upload and download are exercised by the browser test (``tests/test_mapping_browser.py``).
"""

from __future__ import annotations

from streamlit.testing.v1 import AppTest
from test_mapping import PROFILE, indonesian
from test_pages import APP, TIMEOUT, metrics, texts
from workbooks import profile_of

from medpath.analysis import analyse
from medpath.protocol import default_protocol
from medpath.study import load_study
from medpath.summary import key_numbers
from pages.session import FILES_KEY, PROFILE_KEY


def data_page(files, profile=None) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    at.session_state[FILES_KEY] = tuple(files)
    if profile is not None:
        at.session_state[PROFILE_KEY] = profile
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
    assert "required column missing" in "\n".join(at.table[0].value["Message"])
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


def test_the_columns_table_lists_every_column_of_the_sample():
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    at.run()
    at.switch_page("pages/data.py").run()
    columns = next(d.value for d in at.dataframe if "Read as" in d.value.columns)
    assert "vas → VAS pain (0–10)" in list(columns["Read as"])
    assert len(columns) == 27 and "26 of 27 column(s) used" in texts(at.caption)
