"""Issue 24's layout primitives (``layout:`` in a mapping profile): a long parameter / value sheet, sheets that are
patients, several tables on one sheet. Each export of ``tests/corpus/make_layout_primitives.py`` is read through
``medpath summary FILE --mapping PROFILE --json`` (in-process, as ``test_trust_corpus`` does) and held to the truths
written by hand in its case; without its profile it must not be silently wrong (each number null beside an error, or
right). Broken profiles are refused with their line; a profile that does not fit the file (a range outside the sheet,
a column the sheet lacks) is an error naming the profile's line; every finding on the file names its sheet, Excel row
and column."""

from __future__ import annotations

import io
import json
from pathlib import Path

import make_layout_primitives as corpus
import pytest
from make_trust import IDS, TSCORE, VAS, csv
from openpyxl import load_workbook
from test_trust_corpus import flat_truth, passes, read_numbers

from medpath.cli import main
from medpath.pipeline.map.profile import ProfileError, parse_profile
from medpath.protocol import default_protocol

CASES = {c.name: c for c in corpus.cases()}


def summary(capsys, files: list[Path], profile: Path | None = None) -> tuple[int, dict]:
    args = ["summary", *map(str, files), "--json"] + (["--mapping", str(profile)] if profile else [])
    capsys.readouterr()
    code = main(args)
    return code, json.loads(capsys.readouterr().out)


def written(case: corpus.LayoutCase, folder: Path) -> tuple[list[Path], Path]:
    paths = []
    for name, data in case.files():
        paths.append(folder / name)
        paths[-1].write_bytes(data)
    profile = folder / f"{case.name}.yaml"
    profile.write_text(case.profile, encoding="utf-8")
    return paths, profile


def errors(result: dict) -> list[dict]:
    return [f for f in result["findings"] if f["severity"] == "error"]


def codes(result: dict) -> list[str]:
    return [f["code"] for f in result["findings"]]


@pytest.mark.parametrize("name", sorted(CASES))
def test_each_export_is_read_right_with_its_profile(name, tmp_path, capsys):
    case = CASES[name]
    files, profile = written(case, tmp_path)
    code, result = summary(capsys, files, profile)
    truth = flat_truth(case.truth)
    assert read_numbers(result, case.truth) == truth, case.what
    assert code == 0 and not errors(result)
    assert "layout_read_as" in codes(result)  # how the layout was read is said
    # the profile applied is in the output, in its own format, and reads back to the same profile
    shown = result["mapping"]["profile"]
    assert "layout" in shown
    again = parse_profile(json.dumps(shown), "shown.json", default_protocol())
    assert again.layout == parse_profile(case.profile, "p.yaml", default_protocol()).layout


@pytest.mark.parametrize("name", sorted(CASES))
def test_without_its_profile_no_number_is_silently_wrong(name, tmp_path, capsys):
    case = CASES[name]
    files, _ = written(case, tmp_path)
    _, result = summary(capsys, files)
    truth, read = flat_truth(case.truth), read_numbers(result, case.truth)
    has_error = bool(errors(result))
    assert has_error  # none of these layouts is read by itself
    assert all(passes(read[k], v, has_error) for k, v in truth.items()), (read, truth)


def test_every_profile_round_trips_through_its_download():
    for case in CASES.values():
        profile = parse_profile(case.profile, f"{case.name}.yaml", default_protocol())
        assert parse_profile(profile.to_yaml(), f"{case.name}.yaml", default_protocol()) == profile


# --- the long layout ---------------------------------------------------------------------------------------


def test_long_export_names_the_unknown_measure_and_counts_a_repeated_value_once(tmp_path, capsys):
    files, profile = written(CASES["long_lab_export"], tmp_path)
    _, result = summary(capsys, files, profile)
    unknown = next(f for f in result["findings"] if f["code"] == "columns_unknown" and f["sheet"] == "Hasil Lab")
    # Kalsium is measured at each patient's baseline: the 4th data row of each patient's 10 (header in row 4,
    # MSC-01's rows 5-14, MSC-03's second VAS at month 6 is row 35): rows 8, 18, 28, 39, 49
    assert "'Kalsium' (5 row(s): 8, 18, 28, 39, 49)" in unknown["message"]
    assert (unknown["row"], unknown["column"]) == (8, "Parameter")
    twice = next(f for f in result["findings"] if f["code"] == "duplicate_row")
    assert (twice["sheet"], twice["row"], twice["column"], twice["value"]) == ("Hasil Lab", 35, "Nilai", 5)
    columns = {c["header"]: c for c in result["mapping"]["columns"] if c["sheet"] == "Hasil Lab"}
    assert columns["Nilai"]["field"] == "bmd_tscore, bmd_g_cm2, vas" and columns["Nilai"]["status"] == "profile"
    assert columns["Satuan"]["status"] == "not used"


def _lab_rows(extra: list[list[object]]) -> bytes:
    rows: list[list[object]] = [["Kode Subjek", "Kunjungan", "Parameter", "Nilai"]]
    for pid in IDS:
        for label, k in corpus.LABELS:
            rows.append([pid, label, "T-score L1-L4", TSCORE[pid][k]])
            rows.append([pid, label, "Skala Nyeri (VAS)", VAS[pid][k]])
    return csv(rows + extra)


LONG_CSV_PROFILE = """\
columns: {Kode Subjek: patient_id}
layout:
  hasil:
    long: {parameter: Parameter, value: Nilai, parameters: {T-score L1-L4: bmd_tscore, Skala Nyeri (VAS): vas}}
"""


def test_two_values_for_one_patient_visit_and_measure_are_a_question(tmp_path, capsys):
    """MSC-03's month-6 VAS entered twice, 5 (row 19, the first) and 6 (row 32): an error with MedPath's proposed
    answer (the first), the VAS numbers not determinable until answered; answered, the first is read."""
    data = tmp_path / "hasil.csv"
    data.write_bytes(_lab_rows([["MSC-03", "Bulan 6", "Skala Nyeri (VAS)", 6]]))
    profile = tmp_path / "p.yaml"
    profile.write_text(LONG_CSV_PROFILE, encoding="utf-8")
    code, result = summary(capsys, [data], profile)
    question = next(f for f in errors(result) if f["code"] == "duplicate_conflict")
    assert (question["file"], question["row"], question["column"], question["value"]) == ("hasil.csv", 32, "Nilai", "6")
    assert "first in row 19" in question["message"] and "duplicates: first" in question["message"]
    assert code == 2 and "vas" not in result["outcomes"]  # not determinable: the visits table is blocked
    profile.write_text(LONG_CSV_PROFILE + "rows: {duplicates: first}\n", encoding="utf-8")
    code, result = summary(capsys, [data], profile)
    assert code == 0
    assert result["outcomes"]["vas"]["n_pairs"] == 5 and result["outcomes"]["vas"]["wilcoxon"]["p_value"] == 0.125
    profile.write_text(LONG_CSV_PROFILE + "rows: {duplicates: leave out}\n", encoding="utf-8")
    _, result = summary(capsys, [data], profile)
    # MSC-03's month-6 VAS left out: pairs MSC-01, 02, 04, 05 (-3, -3, 0, -5): m = 3 -> p = 2/8
    assert result["outcomes"]["vas"]["n_pairs"] == 4 and result["outcomes"]["vas"]["wilcoxon"]["p_value"] == 0.25


def test_a_bad_value_in_a_long_sheet_is_named_at_its_own_row_and_column(tmp_path, capsys):
    """MSC-05's month-3 VAS written 'tujuh' (row 29 of the CSV: header row 1, 6 rows per patient) is an error at that
    cell, not at the first row of MSC-05's month 3 (row 28, its T-score)."""
    rows = _lab_rows([]).decode().splitlines()
    assert rows[28] == "MSC-05,Bulan 3,Skala Nyeri (VAS),4"
    rows[28] = "MSC-05,Bulan 3,Skala Nyeri (VAS),tujuh"
    data = tmp_path / "hasil.csv"
    data.write_text("\n".join(rows) + "\n", encoding="utf-8")
    profile = tmp_path / "p.yaml"
    profile.write_text(LONG_CSV_PROFILE, encoding="utf-8")
    _, result = summary(capsys, [data], profile)
    bad = next(f for f in errors(result) if f["value"] == "tujuh")
    assert (bad["file"], bad["row"], bad["column"], bad["code"]) == ("hasil.csv", 29, "Nilai", "value_invalid")
    # the month-3 value does not enter the baseline / month-6 comparison: still n_pairs 5, p 0.125
    assert result["outcomes"]["vas"]["n_pairs"] == 5


def test_a_parameter_column_the_sheet_lacks_is_an_error_at_the_profile_line(tmp_path, capsys):
    data = tmp_path / "hasil.csv"
    data.write_bytes(_lab_rows([]))
    profile = tmp_path / "p.yaml"
    profile.write_text(LONG_CSV_PROFILE.replace("parameter: Parameter", "parameter: Pemeriksaan"), encoding="utf-8")
    code, result = summary(capsys, [data], profile)
    refused = next(f for f in errors(result) if f["code"] == "profile_invalid")
    assert (refused["file"], refused["row"], refused["value"]) == ("p.yaml", 4, "Pemeriksaan")
    assert "hasil.csv" in refused["message"]
    assert code == 2 and result["outcomes"].get("vas", {}).get("n_pairs") is None


# --- several tables on one sheet ---------------------------------------------------------------------------


def test_a_range_outside_the_sheet_is_an_error_at_the_profile_line(tmp_path, capsys):
    files, profile = written(CASES["tables_on_one_sheet"], tmp_path)
    text = corpus.TABLES_PROFILE.replace("A14:Q19", "A140:Q190")
    profile.write_text(text, encoding="utf-8")
    code, result = summary(capsys, files, profile)
    refused = next(f for f in errors(result) if f["code"] == "profile_invalid")
    assert (refused["file"], refused["row"], refused["value"]) == (profile.name, 5, "A140:Q190")
    assert "outside the sheet" in refused["message"] and "end at row 38" in refused["message"]
    # the five not enrolled are not read: the funnel cannot start at 10, and says so with the error beside it
    assert code == 2


def test_a_title_found_nowhere_is_an_error_at_the_profile_line(tmp_path, capsys):
    files, profile = written(CASES["tables_on_one_sheet"], tmp_path)
    profile.write_text(corpus.TABLES_PROFILE.replace("under: Data Kunjungan", "under: Data Follow-up"), "utf-8")
    _, result = summary(capsys, files, profile)
    refused = next(f for f in errors(result) if f["code"] == "profile_invalid")
    assert (refused["row"], refused["value"]) == (6, "Data Follow-up")
    assert result["outcomes"].get("vas", {}).get("n_pairs") is None


def test_each_table_keeps_its_excel_rows(tmp_path, capsys):
    """A bad age in the "Tidak masuk" table (Excel row 16) is named at row 16 of sheet Data, column Umur."""
    case = CASES["tables_on_one_sheet"]
    book = load_workbook(io.BytesIO(case.files()[0][1]))
    assert (book["Data"]["A16"].value, book["Data"]["C16"].value) == ("SKR-004", 58)  # the second not enrolled
    book["Data"]["C16"] = "lima puluh"
    buffer = io.BytesIO()
    book.save(buffer)
    data = tmp_path / "data.xlsx"
    data.write_bytes(buffer.getvalue())
    profile = tmp_path / "p.yaml"
    profile.write_text(case.profile, encoding="utf-8")
    _, result = summary(capsys, [data], profile)
    bad = next(f for f in errors(result) if f["value"] == "lima puluh")
    assert (bad["sheet"], bad["row"], bad["column"]) == ("Data", 16, "Umur")


# --- broken profiles ---------------------------------------------------------------------------------------

BROKEN = {
    # (profile text, the line of the problem, words of its message)
    "unknown key": ("layout:\n  Data:\n    tabels: {screening: A1:B2}\n", 3, "did you mean 'tables'?"),
    "not a layout": ("layout:\n  Pasien *: patients\n", 2, "did you mean 'patient'?"),
    "bad range": ("layout:\n  Data:\n    tables:\n      screening: A14-K1\n", 4, "is not a cell range"),
    "upside-down range": ("layout:\n  Data:\n    tables:\n      screening: K14:A1\n", 4, "above and left"),
    "range of another sheet": ("layout:\n  Data:\n    tables:\n      visits: Lain!A1:B2\n", 4, "on sheet 'Lain'"),
    "unknown table key": ("layout:\n  Data:\n    tables:\n      visits: {undr: X}\n", 4, "did you mean 'under'?"),
    "two places": ("layout:\n  Data:\n    tables:\n      visits: {under: X, range: A1:B2}\n", 4, "either a range"),
    "enrolled visits": (
        "layout:\n  Data:\n    tables:\n      visits: {under: X, enrolled: yes}\n",
        4,
        "'visits' is visits",
    ),
    "long without value": ("layout:\n  Lab:\n    long: {parameter: P, parameters: {T: vas}}\n", 3, "needs value"),
    "unknown field": (
        "layout:\n  Lab:\n    long:\n      parameter: P\n      value: V\n      parameters: {T: tscore}\n",
        6,
        "did you mean 'bmd_tscore'?",
    ),
    "wrong type": ("layout:\n  Lab:\n    long: [P, V]\n", 3, "must be a mapping"),
    "two layouts": (
        "layout:\n  Lab:\n    long: {parameter: P, value: V, parameters: {T: vas}}\n    tables: {}\n",
        2,
        "two",
    ),
}


@pytest.mark.parametrize("name", sorted(BROKEN))
def test_a_broken_layout_is_refused_with_its_line(name):
    text, line, words = BROKEN[name]
    with pytest.raises(ProfileError) as refused:
        parse_profile(text, "broken.yaml", default_protocol())
    assert any(p.line == line and words in p.message for p in refused.value.problems), refused.value.problems


def test_a_broken_profile_is_refused_by_the_command_line_with_its_line(tmp_path, capsys):
    files, profile = written(CASES["sheets_are_patients"], tmp_path)
    profile.write_text("sheets:\n  Rekap: ignore\nlayout:\n  MSC-*: pasien\n", encoding="utf-8")
    code, result = summary(capsys, files, profile)
    assert code == 2
    refused = errors(result)
    assert [(f["file"], f["row"], f["code"]) for f in refused] == [(profile.name, 4, "profile_invalid")]
    assert result["outcomes"] == {} or all(o.get("n_pairs") is None for o in result["outcomes"].values())


def test_patient_sheets_named_otherwise_take_the_ids_the_profile_gives(tmp_path, capsys):
    """The CRF's sheets renamed "Pasien 1" ... "Pasien 5": the profile's values give each its screening-log id, and
    the numbers are those of the case."""
    case = CASES["sheets_are_patients"]
    book = load_workbook(io.BytesIO(case.files()[0][1]))
    for k, pid in enumerate(IDS, start=1):
        book[pid].title = f"Pasien {k}"
    buffer = io.BytesIO()
    book.save(buffer)
    data = tmp_path / "crf.xlsx"
    data.write_bytes(buffer.getvalue())
    profile = tmp_path / "p.yaml"
    ids = ", ".join(f"Pasien {k}: {pid}" for k, pid in enumerate(IDS, start=1))
    profile.write_text(f"layout:\n  Pasien *: patient\nsheets:\n  Rekap: ignore\nvalues:\n  patient_id: {{{ids}}}\n")
    code, result = summary(capsys, [data], profile)
    assert code == 0 and read_numbers(result, case.truth) == flat_truth(case.truth)


def test_the_docs_layout_examples_are_valid_profiles():
    text = (Path(__file__).resolve().parent.parent / "docs" / "your-data.md").read_text(encoding="utf-8")
    section = text.split("### Layouts")[1]
    examples = [block.split("```")[0] for block in section.split("```yaml")[1:]]
    layouts = [parse_profile(e, "docs/your-data.md", default_protocol()).layout for e in examples]
    assert [s.key for layout in layouts for s in layout.sheets] == ["Hasil Lab", "Pasien *", "Data"]
    long, patients, tables = (layout.sheets[0] for layout in layouts)
    assert long.long is not None and long.long.parameters["Kalsium"] == "ignore"
    assert patients.patient and [t.enrolled for t in tables.tables] == ["yes", "no", None]


def test_a_measure_the_profile_names_but_no_row_holds_is_said_at_its_line(tmp_path, capsys):
    data = tmp_path / "hasil.csv"
    data.write_bytes(_lab_rows([]))
    profile = tmp_path / "p.yaml"
    profile.write_text(
        LONG_CSV_PROFILE.replace("Skala Nyeri (VAS): vas}", "Skala Nyeri (VAS): vas, BMD L1-L4: bmd_g_cm2}")
    )
    code, result = summary(capsys, [data], profile)
    absent = next(f for f in result["findings"] if f["code"] == "profile_column_absent")
    assert (absent["file"], absent["row"], absent["column"], absent["severity"]) == (
        "p.yaml",
        4,
        "BMD L1-L4",
        "warning",
    )
    assert code == 0 and result["outcomes"]["vas"]["n_pairs"] == 5


def test_a_pattern_does_not_take_the_sheets_the_profile_names(tmp_path, capsys):
    """'*: patient' beside 'Skrining: screening': the screening log stays the screening table."""
    case = CASES["sheets_are_patients"]
    files, profile = written(case, tmp_path)
    profile.write_text("layout:\n  '*': patient\nsheets:\n  Skrining: screening\n  Rekap: ignore\n", "utf-8")
    code, result = summary(capsys, files, profile)
    assert code == 0 and read_numbers(result, case.truth) == flat_truth(case.truth)
