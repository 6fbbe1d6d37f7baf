"""Issue 24's mapping-profile primitives (``tests/corpus/make_profile_primitives.py``): each export read right WITH
its profile (the hand-written truths of the case), and WITHOUT it never silently wrong; each primitive's broken
forms refused with their line; every profile written back by ``Profile.to_yaml`` and shown in ``summary --json``.

The numbers are read from ``medpath summary FILE --mapping PROFILE --json`` run in-process, as
``tests/test_trust_corpus.py`` reads them (its pass rule: the truth, or null beside an error)."""

from __future__ import annotations

import datetime as dt
import html
import json

import make_profile_primitives as corpus
import pytest
from test_trust_corpus import flat_truth, passes, read_numbers

from medpath.analysis import analyse
from medpath.cli import main
from medpath.eligibility import evaluate_study, team_statements
from medpath.findings import Code
from medpath.pipeline.map.columns import column_index
from medpath.pipeline.map.profile import ProfileError, cell_texts, parse_profile
from medpath.pipeline.map.profile_tables import apply_header
from medpath.pipeline.map.schema import schema_of
from medpath.pipeline.read.reading import read_tables
from medpath.protocol import bundled, default_protocol
from medpath.report import build_report
from medpath.study import load_study

CASES = {c.name: c for c in corpus.cases()}
PROTOCOL = default_protocol()

#: Numbers that, WITHOUT the profile, are null beside a warning only (not an error): MedPath's own gaps, named here
#: with the finding that says why, for the owner's work list (never a wrong number).
WITHOUT_PROFILE_GAPS = {
    # the screening sheet's header is not found under 31 lines of instructions: the sheet is "not used" (a warning)
    ("header_rows_and_letters", "screened"): Code.SHEET_NOT_USED,
}


def summary(case: corpus.PrimitiveCase, folder, capsys, *, with_profile: bool) -> tuple[int, dict]:
    paths = []
    for name, data in case.files():
        (folder / name).write_bytes(data)
        paths.append(str(folder / name))
    args = ["summary", *paths, "--json"]
    if case.protocol:
        args += ["--protocol", case.protocol]
    if with_profile:
        (folder / "profile.yaml").write_text(case.profile, encoding="utf-8")
        args += ["--mapping", str(folder / "profile.yaml")]
    capsys.readouterr()
    code = main(args)
    return code, json.loads(capsys.readouterr().out)


def _found(summary_: dict, code: Code) -> list[dict]:
    return [f for f in summary_["findings"] if f["code"] == code.value]


@pytest.mark.parametrize("name", sorted(CASES))
def test_each_export_is_read_right_with_its_profile(name, tmp_path, capsys):
    case = CASES[name]
    code, read = summary(case, tmp_path, capsys, with_profile=True)
    errors = [f["message"] for f in read["findings"] if f["severity"] == "error"]
    assert code == 0 and not errors, errors
    assert read_numbers(read, case.truth) == flat_truth(case.truth)
    # the profile applied, in its own format, is the one written (and reads back to itself)
    protocol = bundled()[case.protocol] if case.protocol else PROTOCOL
    profile = parse_profile(case.profile, "profile.yaml", protocol)
    assert read["mapping"]["profile"] == profile.as_dict()
    assert parse_profile(profile.to_yaml(), "profile.yaml", protocol) == profile


@pytest.mark.parametrize("name", sorted(CASES))
def test_without_its_profile_no_export_is_silently_wrong(name, tmp_path, capsys):
    case = CASES[name]
    _, read = summary(case, tmp_path, capsys, with_profile=False)
    has_error = any(f["severity"] == "error" for f in read["findings"])
    numbers, truth = read_numbers(read, case.truth), flat_truth(case.truth)
    for key, expected in truth.items():
        gap = WITHOUT_PROFILE_GAPS.get((name, key))
        if gap is not None:
            assert numbers[key] is None and _found(read, gap), key
        else:
            assert passes(numbers[key], expected, has_error), (key, numbers[key], expected)


def test_a_primary_outcome_in_a_column_medpath_does_not_know_is_a_question(tmp_path, capsys):
    """The REDCap export's VAS is in 'skor_utama': without the profile its results are null beside an error naming
    the unrecognised columns (a question the mapping step answers), not a warning only."""
    _, read = summary(CASES["scoped_redcap"], tmp_path, capsys, with_profile=False)
    asked = _found(read, Code.PRIMARY_OUTCOME_NOT_READ)
    assert len(asked) == 1 and asked[0]["severity"] == "error" and "'skor_utama'" in asked[0]["message"]


def test_the_gaps_are_real(tmp_path, capsys):
    """Each listed gap is one: the profile's absence makes that number null (so the list cannot hide a number)."""
    for name in {n for n, _ in WITHOUT_PROFILE_GAPS}:
        _, read = summary(CASES[name], tmp_path, capsys, with_profile=False)
        assert all(read_numbers(read, CASES[name].truth)[k] is None for n, k in WITHOUT_PROFILE_GAPS if n == name)


# --- 1. a column with a field per table ---------------------------------------------------------------------------


def test_one_column_is_the_screening_t_score_on_screening_rows_and_the_visits_on_visit_rows(tmp_path, capsys):
    _, read = summary(CASES["scoped_one_sheet"], tmp_path, capsys, with_profile=True)
    used = {(r["table"], r["field"]) for r in read["mapping"]["columns"] if r["header"] == "T-score"}
    assert used == {("screening, visits", "bmd_tscore")}
    study = _study(CASES["scoped_one_sheet"])
    # the screening DXA's T-score (not the baseline visit's): MSC-01 screened at -3.0, baseline -3.1
    assert study.screening.set_index("patient_id").loc["MSC-01", "bmd_tscore"] == -3.0
    baseline = study.visits[(study.visits["patient_id"] == "MSC-01") & (study.visits["month"] == 0)]
    assert baseline["bmd_tscore"].tolist() == [-3.1]


def test_a_redcap_field_is_one_field_at_screening_and_another_at_the_visits():
    study = _study(CASES["scoped_redcap"])
    assert study.screening.set_index("patient_id").loc["SKR-004", "bmd_tscore"] == -1.8
    month_6 = study.visits[study.visits["month"] == 6].set_index("patient_id")
    assert month_6.loc["MSC-05", "vas"] == 2 and month_6.loc["MSC-05", "bmd_tscore"] == -3.2


def test_a_column_scoped_to_one_table_is_not_read_in_the_other():
    text = "columns:\n  T-score: {visits: bmd_tscore}\n"
    study = _study(CASES["scoped_one_sheet"], text)
    assert study.screening["bmd_tscore"].isna().all()
    assert study.visits["bmd_tscore"].notna().sum() == 15


def test_a_sheet_split_by_its_columns_puts_a_column_scoped_to_screening_in_the_screening_table():
    study = _study(CASES["scoped_side_by_side"])
    assert study.screening.set_index("patient_id")["bmd_tscore"].to_dict()["SKR-004"] == -1.8
    assert study.visits.groupby("month")["bmd_tscore"].count().to_dict() == {0: 5, 3: 5, 6: 5}


def test_one_column_as_one_field_in_both_tables_of_a_sheet_without_screening_rows_is_an_error():
    study = _study(CASES["scoped_side_by_side"], "columns:\n  T-score: {screening: bmd_tscore, visits: bmd_tscore}\n")
    errors = [(f.row, f.column, f.code) for f in study.findings if f.severity == "error"]
    assert (2, "T-score", Code.COLUMN_AMBIGUOUS) in errors


# --- 2. rows the team leaves out -------------------------------------------------------------------------------------


def test_each_row_left_out_is_listed_with_its_file_sheet_and_excel_row(tmp_path, capsys):
    _, read = summary(CASES["leave_out_rows"], tmp_path, capsys, with_profile=True)
    listed = {(f["file"], f["sheet"], f["row"]) for f in _found(read, Code.ROWS_KEPT_BY_PROFILE)}
    assert listed == {("log_penelitian_okt.xlsx", "Skrining", 14), ("log_penelitian_okt.xlsx", "Kunjungan", 17)}


def test_rows_left_out_by_a_column_value_in_every_sheet():
    text = "rows:\n  leave out: [{Kode Pasien: SKR-008}]\n"
    study = _study(CASES["leave_out_rows"], text)
    left = sorted(f.row for f in study.findings if f.code is Code.ROWS_KEPT_BY_PROFILE)
    assert left == [11, 14] and "SKR-008" not in set(study.screening["patient_id"])


# --- 3. a fixed value: the team's statement ------------------------------------------------------------------------


def test_a_fixed_value_is_the_teams_statement_and_the_infection_criterion_is_judged_on_it(tmp_path, capsys):
    case = CASES["fixed_infection_tests"]
    _, read = summary(case, tmp_path, capsys, with_profile=True)
    stated = {(f["column"], f["value"]) for f in _found(read, Code.FIXED_BY_PROFILE)}
    assert stated == {(f, "negative") for f in ("hbsag", "hiv", "cmv", "rubella", "toxoplasma")}
    assert all(step["n"] is not None for step in read["funnel"])
    study = _study(case)
    statements = team_statements(study, evaluate_study(study))
    assert len(statements) == 1 and "hbsag = negative for every candidate" in statements[0]
    _, without = summary(case, tmp_path, capsys, with_profile=False)
    assert any(step["n"] is None for step in without["funnel"])  # the tests cannot be checked from the file


def test_the_report_says_the_criterion_was_judged_on_the_teams_statement():
    study = _study(CASES["fixed_infection_tests"])
    (statement,) = team_statements(study, evaluate_study(study))
    report = build_report(analyse(study))
    assert html.escape(statement) in report
    assert "the team&#x27;s statement" not in build_report(analyse(_study(CASES["fixed_infection_tests"], "{}")))


def test_a_fixed_value_of_one_sheet_only_and_one_the_file_has():
    text = "fixed:\n  Lain!hbsag: negative\n  consent: signed\n"
    study = _study(CASES["fixed_infection_tests"], text)
    assert study.screening["hbsag"].isna().all()  # fixed for another sheet only
    not_used = [f for f in study.findings if f.code is Code.FIXED_NOT_USED]
    assert [(f.column, f.sheet) for f in not_used] == [("Informed consent", "Skrining 2021")]
    assert study.screening["consent"].value_counts().to_dict() == {"signed": 8, "declined": 1}


# --- 4. where the header is ----------------------------------------------------------------------------------------


def test_the_header_row_the_two_row_header_and_a_column_by_letter(tmp_path, capsys):
    _, read = summary(CASES["header_rows_and_letters"], tmp_path, capsys, with_profile=True)
    columns = {(r["sheet"], r["header"]): r["field"] for r in read["mapping"]["columns"] if r["field"]}
    assert columns[("Data Awal", "column D")] == "age"
    assert columns[("Kunjungan", "Bulan 6 VAS")] == "vas"
    assert columns[("Kunjungan", "Awal T-score")] == "bmd_tscore"
    study = _study(CASES["header_rows_and_letters"])
    assert study.screening.set_index("patient_id").loc["SKR-002", "age"] == 38  # column D of Excel row 35
    said = [f.row for f in study.findings if f.code is Code.LAYOUT_READ_AS and f.sheet == "Data Awal"]
    assert said == [33]


def test_a_header_row_that_is_blank_is_an_error_naming_it():
    text = "sheets:\n  Data Awal: screening\nheader:\n  Data Awal: 32\n"
    study = _study(CASES["header_rows_and_letters"], text)
    (error,) = [f for f in study.findings if f.code is Code.PROFILE_HEADER_ROW_ABSENT]
    assert (error.severity, error.sheet, error.row) == ("error", "Data Awal", 32)


def test_the_header_rule_applied_twice_changes_nothing():
    case = CASES["header_rows_and_letters"]
    profile = parse_profile(case.profile, "profile.yaml", PROTOCOL)
    schema = schema_of(PROTOCOL)
    for table in read_tables(*case.files()[0], schema):
        once = apply_header(profile, table, schema)
        assert apply_header(profile, once, schema) == once
        assert once.header_row == {"Data Awal": 33, "Kunjungan": 4}[str(table.sheet)]


def test_a_json_profile_with_the_new_primitives_is_the_yaml_one():
    as_json = json.dumps(
        {
            "columns": {"T-score": {"screening": "bmd_tscore"}, "Data Awal!column D": "age"},
            "rows": {"leave out": [{"sheet": "Skrining", "row": 14}]},
            "fixed": {"hbsag": "negative"},
            "header": {"Kunjungan": [3, 4]},
        }
    )
    yaml_text = (
        "columns:\n  T-score: {screening: bmd_tscore}\n  Data Awal!column D: age\n"
        "rows:\n  leave out: [{sheet: Skrining, row: 14}]\nfixed: {hbsag: negative}\nheader: {Kunjungan: [3, 4]}\n"
    )
    assert parse_profile(as_json, "p", PROTOCOL) == parse_profile(yaml_text, "p", PROTOCOL)


def test_column_letters():
    assert [column_index(x) for x in ("A", "D", "Z", "AA", "AB")] == [0, 3, 25, 26, 27]


# --- 5. values as a person sees them ---------------------------------------------------------------------------------


def test_a_date_cell_is_matched_as_excel_shows_it():
    assert cell_texts(dt.date(2021, 3, 15))[:2] == ("15/03/2021", "15/3/2021")
    assert "2021-03-15" in cell_texts(dt.datetime(2021, 3, 15))
    assert cell_texts(7.0) == ("7",)
    profile = parse_profile("values:\n  visit: {15/3/2021: month 6}\n", "p.yaml", PROTOCOL)
    assert profile.value_rule("visit", dt.datetime(2021, 3, 15)) == (True, "month 6")
    assert profile.value_rule("visit", dt.date(2021, 3, 16)) == (False, dt.date(2021, 3, 16))


def test_patient_id_values_link_the_numbers_excel_stripped_to_the_visits_ids():
    study = _study(CASES["values_dates_and_ids"])
    assert set(study.visits["patient_id"]) == {"001", "003", "005", "007", "009"}
    assert set(study.visits["patient_id"]) <= set(study.screening["patient_id"])
    assert len(study.visits[study.visits["month"] == 6]) == 5  # the two dated visits placed at month 6


def test_what_the_profile_names_that_no_file_has_is_a_warning_at_its_line():
    text = (
        "columns:\n  Skor: {screening: age}\n  Arsip!column B: age\n"
        "rows:\n  leave out:\n    - {sheet: Skrining, row: 99}\n    - {sheet: Skrining, row: 14}\n"
        "fixed:\n  Lama!hiv: negative\nheader:\n  Kunjungan: 1\n  Rekap: 2\n"
    )
    study = _study(CASES["leave_out_rows"], text)
    said = sorted((f.code.value, f.row) for f in study.findings if f.file == "profile.yaml")
    assert said == [
        ("profile_column_absent", 2),  # Skor
        ("profile_rows_unmatched", 6),  # row 99 (row 14 is left out)
        ("profile_sheet_absent", 3),  # Arsip
        ("profile_sheet_absent", 9),  # Lama
        ("profile_sheet_absent", 12),  # Rekap
    ]


# --- broken profiles: refused with their line ------------------------------------------------------------------------

BROKEN = [
    (
        "columns:\n  T-score: {screenig: bmd_tscore}\n",
        2,
        "unknown table 'screenig' for column 'T-score' (did you mean 'screening'?)",
    ),
    ("columns:\n  T-score: {visits: age}\n", 2, "'age' is not a field of the visits table"),
    ("columns:\n  Data Awal!column D: umur\n", 2, "unknown field 'umur' for column 'Data Awal!column D'"),
    ("rows:\n  leave out: [{row: 23}]\n", 2, "a row to leave out needs its sheet"),
    ("rows:\n  leave out:\n    - {sheet: Skrining, row: dua}\n", 3, "'dua' is not a row number"),
    ("rows:\n  leave out: {sheet: Skrining, row: 3}\n", 2, "rows: leave out is a list of records"),
    ("rows:\n  leav out: []\n", 2, "unknown question 'leav out' (did you mean 'leave out'?)"),
    ("fixed:\n  hbsagg: negative\n", 2, "unknown field 'hbsagg' in fixed (did you mean 'hbsag'?)"),
    ("fixed:\n  hiv: yes\n", 2, "'yes' is not a value for hiv: expected positive / negative"),
    ("fixed:\n  hiv: missing\n", 2, "'missing' is not a value for hiv"),
    ("fixed:\n  patient_id: '001'\n", 2, "'patient_id' cannot have a fixed value"),
    ("header:\n  Kunjungan: [4, 3]\n", 2, "a group row above a name row ([3, 4])"),
    ("header:\n  Kunjungan: tiga\n", 2, "'tiga' is not a row number"),
    ("fixd:\n  hiv: negative\n", 1, "unknown key 'fixd' (did you mean 'fixed'?)"),
]


@pytest.mark.parametrize("text, line, message", BROKEN, ids=[m[:40] for _, _, m in BROKEN])
def test_a_broken_primitive_is_refused_with_its_line(text, line, message):
    with pytest.raises(ProfileError) as refused:
        parse_profile(text, "bulan.yaml", PROTOCOL)
    problems = [(p.line, p.message) for p in refused.value.problems]
    assert any(at == line and message in said for at, said in problems), problems


def test_the_cli_refuses_a_broken_primitive_naming_its_line(tmp_path, capsys):
    case = CASES["fixed_infection_tests"]
    (tmp_path / "data.xlsx").write_bytes(case.files()[0][1])
    (tmp_path / "bad.yaml").write_text("fixed:\n  hbsag: negatif\n", encoding="utf-8")
    capsys.readouterr()
    code = main(["summary", str(tmp_path / "data.xlsx"), "--mapping", str(tmp_path / "bad.yaml"), "--json"])
    assert code == 2
    (finding,) = json.loads(capsys.readouterr().out)["findings"]
    assert (finding["file"], finding["row"], finding["code"]) == ("bad.yaml", 2, "profile_invalid")


def _study(case: corpus.PrimitiveCase, profile: str | None = None):
    mapping = parse_profile(case.profile if profile is None else profile, "profile.yaml", PROTOCOL)
    return load_study(case.files(), mapping=mapping, protocol=PROTOCOL)
