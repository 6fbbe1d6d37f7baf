"""Mapping profiles (issue 12) and the columns table (issue 11.1): the parser refuses every broken profile with its
line; a profile applied before validation reads an export whose headers, values and sheets MedPath does not know to
the file's own numbers, with findings still naming the user's columns; the CLI accepts the same profile (one test
per key); ``Study.columns`` accounts for every column; ``best_guess`` proposes the mapping step's choices."""

from __future__ import annotations

import json
import time

import pytest
from conftest import SAMPLE_XLSX, xlsx_bytes
from workbooks import profile_of

from medpath.cli import main
from medpath.findings import Code
from medpath.located_yaml import FileProblem
from medpath.pipeline.map.mapping import Profile, ProfileError, best_guess, profile_from_choices
from medpath.pipeline.map.schema import schema_of
from medpath.protocol import bundled, default_protocol
from medpath.study import load_study

# --- an export whose headers and values MedPath does not know ------------------------------------------------

SCREENING: list[list[object]] = [
    [
        "No. Responden",
        "L/P",
        "Usia (tahun)",
        "T-score Lumbal",
        "HIV",
        "Persetujuan (IC)",
        "Masuk Penelitian (Ya/Tidak)",
    ],
    ["R01", "Pr", 61, -3.1, "Tidak Reaktif", "Lengkap", "Ya"],
    ["R02", "Pr", 58, -2.9, "Tidak Reaktif", "Lengkap", "Ya"],
    ["R03", "Lk", 66, -3.4, "Tidak Reaktif", "Lengkap", "Ya"],
    ["R04", "Lk", 70, -1.2, "Tidak Reaktif", "Menolak", "Tidak"],
]
VISITS: list[list[object]] = [
    ["No. Responden", "Waktu", "T-score Lumbal", "Skor Nyeri"],
    ["R01", "Awal", -3.1, 7],
    ["R01", "Bulan 6", -2.8, 4],
    ["R02", "Awal", -2.9, 6],
    ["R02", "Bulan 6", -2.6, 5],
    ["R03", "Awal", -3.4, 8],
    ["R03", "Bulan 6", -3.0, 3],
]
PROFILE = """\
columns:
  No. Responden: patient_id
  L/P: sex
  Usia (tahun): age
  Persetujuan (IC): consent
  Masuk Penelitian (Ya/Tidak): enrolled
  Waktu: visit
  Skor Nyeri: vas
values:
  sex: {Pr: F, Lk: M}
  hiv:
    Tidak Reaktif: negative
  consent: {Lengkap: signed}
"""


def indonesian() -> list[tuple[str, bytes]]:
    return [("indo.xlsx", xlsx_bytes({"Skrining": SCREENING, "Kunjungan": VISITS}))]


def _pairs(study, outcome):
    v = study.visits
    out = {}
    for pid, rows in v.groupby("patient_id"):
        base = rows.loc[rows["month"] == 0, outcome].dropna()
        m6 = rows.loc[rows["month"] == 6, outcome].dropna()
        if len(base) and len(m6):
            out[pid] = (float(base.iat[0]), float(m6.iat[0]))
    return out


def test_without_a_profile_the_export_is_refused_and_every_column_is_listed_as_unknown():
    study = load_study(indonesian(), protocol=default_protocol())
    assert study.errors and len(study.visits) == 0
    columns = study.columns
    assert len(columns) == 11  # 7 + 4: every column of both sheets
    assert set(columns.loc[columns["header"] == "Usia (tahun)", "status"]) == {"unknown"}
    assert "did you mean informed consent?" in columns.loc[columns["header"] == "Persetujuan (IC)", "note"].iat[0]
    # a recognised column of a sheet that cannot be read is not 'used'
    assert set(columns.loc[columns["header"] == "T-score Lumbal", "status"]) == {"not read"}


def test_the_profile_reads_the_export_to_its_own_numbers():
    study = load_study(indonesian(), mapping=profile_of(PROFILE, "p.yaml"), protocol=default_protocol())
    assert not study.errors, [str(f) for f in study.errors]
    s = study.screening.set_index("patient_id")
    assert list(s.index) == ["R01", "R02", "R03", "R04"]
    assert list(s["sex"]) == ["F", "F", "M", "M"] and list(s["age"]) == [61, 58, 66, 70]
    assert list(s["consent"]) == ["signed", "signed", "signed", "declined"]
    assert list(s["enrolled"]) == [True, True, True, False] and not s["hiv"].any()
    assert _pairs(study, "bmd_tscore") == {"R01": (-3.1, -2.8), "R02": (-2.9, -2.6), "R03": (-3.4, -3.0)}
    assert _pairs(study, "vas") == {"R01": (7, 4), "R02": (6, 5), "R03": (8, 3)}
    # provenance and findings still name the user's own sheet, row and column
    assert list(study.visits["source_sheet"].unique()) == ["Kunjungan"] and study.visits["source_row"].tolist() == [
        2,
        3,
        4,
        5,
        6,
        7,
    ]
    menolak = [f for f in study.findings if f.value == "Menolak"]
    assert [(f.sheet, f.row, f.column) for f in menolak] == [("Skrining", 5, "Persetujuan (IC)")]
    assert all(type(f.column) is str for f in study.findings if f.column)
    columns = study.columns.set_index(["sheet", "header"])
    assert columns.loc[("Skrining", "Usia (tahun)"), "field"] == "age"
    assert columns.loc[("Skrining", "Usia (tahun)"), "status"] == "profile"
    assert columns.loc[("Skrining", "T-score Lumbal"), ["field", "status"]].tolist() == ["bmd_tscore", "used"]
    assert "'Tidak Reaktif' → negative (4 cells)" in columns.loc[("Skrining", "HIV"), "note"]
    assert study.profile == profile_of(PROFILE).as_dict()


def test_a_bad_value_after_translation_is_still_an_error_naming_the_users_cell():
    visits = [row[:] for row in VISITS]
    visits[2][3] = 11  # R01 month 6: Excel row 3
    files = [("indo.xlsx", xlsx_bytes({"Skrining": SCREENING, "Kunjungan": visits}))]
    study = load_study(files, mapping=profile_of(PROFILE), protocol=default_protocol())
    errors = [(f.sheet, f.row, f.column, f.value) for f in study.errors]
    assert errors == [("Kunjungan", 3, "Skor Nyeri", 11)]
    assert study.left_out_values["source_column"].tolist() == ["Skor Nyeri"]


def test_sheet_qualified_columns_ignore_and_sheet_rules():
    per_visit = {
        "Data Awal": [["Kode", "Umur", "T-score Lumbal", "Catatan"], ["A1", 60, -3.0, "x"], ["A2", 55, -2.7, "y"]],
        "Kontrol I": [["Kode", "TS", "Nyeri"], ["A1", -3.0, 7], ["A2", -2.7, 5]],
        "Kontrol II": [["Kode", "TS", "Nyeri"], ["A1", -2.6, 4], ["A2", -2.5, 5]],
        "Lama": [["Kode", "TS"], ["A1", -9]],
    }
    profile = profile_of("""
columns:
  Kode: patient_id
  Data Awal!Catatan: ignore
  Kontrol I!TS: bmd_tscore
  Kontrol II!TS: bmd_tscore
  Nyeri: vas
sheets:
  Data Awal: screening
  Kontrol I: baseline
  Kontrol II: month 6
  Lama: ignore
""")
    study = load_study([("k.xlsx", xlsx_bytes(per_visit))], mapping=profile, protocol=default_protocol())
    assert not study.errors, [str(f) for f in study.errors]
    assert _pairs(study, "bmd_tscore") == {"A1": (-3.0, -2.6), "A2": (-2.7, -2.5)}
    assert _pairs(study, "vas") == {"A1": (7, 4), "A2": (5, 5)}
    assert list(study.screening["age"]) == [60, 55]
    c = study.columns.set_index(["sheet", "header"])
    assert c.loc[("Data Awal", "Catatan"), "status"] == "ignored"
    assert c.loc[("Lama", "TS"), "status"] == "ignored"
    assert "Visit" not in set(study.columns["header"])  # the column MedPath added is not one of the user's


def test_a_profile_column_supersedes_the_column_medpath_would_have_read():
    visits = [
        ["Patient ID", "Visit", "VAS", "VAS koreksi final", "T-score"],
        ["P1", "baseline", 7, 6, -3.0],
        ["P1", "month 6", 5, 4, -2.8],
    ]
    profile = profile_of("columns:\n  VAS koreksi final: vas\n")
    study = load_study([("v.xlsx", xlsx_bytes({"visits": visits}))], mapping=profile, protocol=default_protocol())
    assert not study.errors
    assert study.visits["vas"].tolist() == [6, 4]
    c = study.columns.set_index("header")
    assert c.loc["VAS", "status"] == "superseded" and "VAS koreksi final" in c.loc["VAS", "note"]


def test_a_profile_naming_a_column_no_file_has_warns_with_its_line():
    profile = profile_of("columns:\n  Skor Nyeri: vas\n  Nomor Lama: ignore\nsheets:\n  Arsip: ignore\n", "p.yaml")
    study = load_study(indonesian(), mapping=profile, protocol=default_protocol())
    absent = (Code.PROFILE_COLUMN_ABSENT, Code.PROFILE_SHEET_ABSENT)
    unmatched = [f for f in study.warnings if f.code in absent]
    assert [(f.code, f.file, f.row, f.column, f.sheet) for f in unmatched] == [
        (Code.PROFILE_COLUMN_ABSENT, "p.yaml", 3, "Nomor Lama", None),
        (Code.PROFILE_SHEET_ABSENT, "p.yaml", 5, None, "Arsip"),
    ]
    assert all("no file has it" in f.message for f in unmatched)


def test_every_column_of_a_realistic_export_is_accounted_for():
    study = load_study([(SAMPLE_XLSX.name, SAMPLE_XLSX.read_bytes())], protocol=default_protocol())
    data = study.columns[study.columns["sheet"].isin(["screening", "visits"])]
    assert len(data) == 26 and set(data["status"]) == {"used"}
    about = study.columns[study.columns["sheet"] == "About"]
    assert set(about["status"]) == {"not used"} and set(about["note"]) == {"a sheet of notes"}
    assert study.columns.loc[study.columns["header"] == "vas", "field"].tolist() == ["vas"]
    dxa = [
        ["Patient ID", "Visit", "L1 T-score", "L1-L4 T-score", "Femoral neck T-score", "VAS", "Catatan"],
        ["P1", "baseline", -3.5, -3.0, -2.0, 7, ""],
        ["P1", "month 6", -3.2, -2.8, -2.0, 5, ""],
    ]
    study = load_study([("d.xlsx", xlsx_bytes({"visits": dxa}))], protocol=default_protocol())
    c = study.columns.set_index("header")
    assert c.loc["L1-L4 T-score", ["field", "status"]].tolist() == ["bmd_tscore", "used"]
    assert c.loc["L1 T-score", "status"] == "not used" and "L1-L4 region" in c.loc["L1 T-score", "note"]
    assert c.loc["Catatan", "status"] == "unknown"
    assert len(c) == 7


# --- the parser: every error names the profile's line ------------------------------------------------------------


def problems(text: str | bytes) -> list[tuple[int | None, str]]:
    with pytest.raises(ProfileError) as info:
        profile_of(text, "p.yaml")
    return [(p.line, p.message) for p in info.value.problems]


def test_a_valid_profile_in_yaml_and_in_json():
    profile = profile_of(PROFILE)
    assert profile.columns["Usia (tahun)"] == "age" and profile.values["hiv"] == {"Tidak Reaktif": "negative"}
    assert profile.values["sex"] == {"Pr": "F", "Lk": "M"}
    as_json = profile_of(json.dumps(profile.as_dict(), indent=2).encode())
    assert as_json.as_dict() == profile.as_dict()
    assert profile_of(profile.to_yaml()).as_dict() == profile.as_dict()  # the download reads back


def test_yaml_words_are_read_as_written_not_as_booleans():
    profile = profile_of(
        "values:\n  enrolled: {No: no, Yes: yes, Y: yes}\n  sex: {1: M, 2: F}\n  vas: {'tidak nyeri': 0}\n"
    )
    assert profile.values["enrolled"] == {"No": "no", "Yes": "yes", "Y": "yes"}
    assert profile.values["sex"] == {"1": "M", "2": "F"} and profile.values["vas"] == {"tidak nyeri": 0.0}
    assert "'No': 'no'" in repr(profile_of(profile.to_yaml()).values)


@pytest.mark.parametrize(
    "text, expected",
    [
        ("colums:\n  Usia: age\n", [(1, "unknown key 'colums' (did you mean 'columns'?)")]),
        ("columns:\n  Usia: umur\n", [(2, "unknown field 'umur' for column 'Usia'")]),
        (
            "columns:\n  A: patient_id\n  Usia: agee\n",
            [(3, "unknown field 'agee' for column 'Usia' (did you mean 'age'?)")],
        ),
        (
            "values:\n  hiv:\n    Tidak Reaktif: negatif\n",
            [(3, "'negatif' is not a valid value for hiv ('Tidak Reaktif'): expected positive / negative / missing")],
        ),
        ("values:\n  umur: {a: 1}\n", [(2, "unknown field 'umur' in values")]),
        (
            "values:\n  age: {enam puluh: sixty}\n",
            [(2, "'sixty' is not a valid value for age ('enam puluh'): expected a number or missing")],
        ),
        ("values:\n  sex: {Pr: X}\n", [(2, "'X' is not a valid value for sex")]),
        (
            "values:\n  consent: {Lengkap: yes}\n",
            [(2, "'yes' is not a valid value for consent ('Lengkap'): expected signed / declined / pending / missing")],
        ),
        ("values:\n  visit: {Kontrol X: later}\n", [(2, "'later' is not a valid value for visit")]),
        ("values:\n  date: {x: y}\n", [(2, "the values of 'date' cannot be translated")]),
        ("sheets:\n  Data: screning\n", [(2, "'screning' is not a use of sheet 'Data'")]),
        ("columns:\n  Usia: age\n  Usia: sex\n", [(3, "'Usia' is given twice in columns (first on line 2)")]),
        ("columns:\n  - Usia\n", [(2, "columns must be a mapping")]),
        ("columns:\n  Usia: [age, sex]\n", [(2, "the field of column 'Usia' must be a single value")]),
        ("values:\n  hiv: negative\n", [(2, "the values of 'hiv' must be a mapping")]),
        ("- columns\n", [(1, "the profile must be a mapping")]),
        ("columns:\n  Usia: age\n bad indent: x\n", [(3, "not valid YAML")]),
        ('{"columns": {"Usia": "age",}}', [(1, "not valid JSON")]),
        ("", [(None, "the profile is empty")]),
        (b"\xff\xfe\x00garbage", [(None, "not a text file")]),
    ],
)
def test_every_broken_profile_is_refused_naming_its_line(text, expected):
    found = problems(text)
    assert [line for line, _ in found] == [line for line, _ in expected]
    for (_, message), (_, start) in zip(found, expected):
        assert message.startswith(start), message


def test_all_problems_are_listed_at_once_with_the_file_name():
    with pytest.raises(ProfileError) as info:
        profile_of("columns:\n  A: x\nsheetz: {}\nvalues:\n  hiv: {a: maybe}\n", "bulan.yaml")
    assert [p.line for p in info.value.problems] == [2, 3, 5]
    assert str(info.value).splitlines()[0].startswith("bulan.yaml, line 2: unknown field 'x'")
    assert [f.row for f in info.value.findings()] == [2, 3, 5]


def test_wide_outcome_fields_and_ignore():
    profile = profile_of("columns:\n  Nyeri B6: vas month 6\n  Nyeri Awal: VAS baseline\n  Foto: IGNORE\n")
    assert profile.columns == {"Nyeri B6": "vas month 6", "Nyeri Awal": "vas baseline", "Foto": "ignore"}
    wide = [["ID", "Nyeri Awal", "Nyeri B6", "Foto"], ["P1", 7, 4, "a.jpg"], ["P2", 6, 6, "b.jpg"]]
    study = load_study([("w.xlsx", xlsx_bytes({"visits": wide}))], mapping=profile, protocol=default_protocol())
    assert _pairs(study, "vas") == {"P1": (7, 4), "P2": (6, 6)}


# --- the mapping step's guess -------------------------------------------------------------------------------------


def test_best_guess_proposes_each_column_with_samples_and_the_texts_not_understood():
    guess = best_guess(indonesian(), default_protocol())

    def best(table, field):
        g = guess.guess(table, field)
        return g.best and (g.best.sheet, g.best.header)

    assert best("screening", "patient_id") == ("Skrining", "No. Responden")
    assert best("screening", "age") == ("Skrining", "Usia (tahun)")
    assert best("screening", "sex") == ("Skrining", "L/P")
    assert best("screening", "enrolled") == ("Skrining", "Masuk Penelitian (Ya/Tidak)")
    assert best("visits", "visit") == ("Kunjungan", "Waktu")
    assert best("visits", "vas") == ("Kunjungan", "Skor Nyeri")
    assert best("visits", "bmd_tscore") == ("Kunjungan", "T-score Lumbal")
    assert guess.guess("screening", "age").best.samples == ("61", "58", "66")
    assert guess.guess("visits", "bmd_tscore").recognised
    assert guess.unknown_values == {"sex": ("Pr", "Lk"), "hiv": ("Tidak Reaktif",), "consent": ("Lengkap",)}
    assert any("Usia (tahun)" in why for why in guess.needs_attention)


def test_two_columns_claiming_a_field_are_flagged_with_the_candidates():
    visits = [
        ["Kode", "Waktu", "Nyeri Pagi", "Nyeri Malam", "T-score"],
        ["P1", "baseline", 7, 6, -3.0],
        ["P1", "month 6", 5, 4, -2.8],
    ]
    guess = best_guess([("v.xlsx", xlsx_bytes({"visits": visits}))], default_protocol())
    vas = guess.guess("visits", "vas")
    assert vas.ambiguous and {c.header for c in vas.candidates} >= {"Nyeri Pagi", "Nyeri Malam"}
    assert any("several columns could be the VAS" in why for why in guess.needs_attention)


def test_the_choices_make_a_profile_that_reads_the_export():
    guess = best_guess(indonesian(), default_protocol())
    choices = {(g.table, g.field): g.best for g in guess.fields}
    values = {"sex": {"Pr": "F", "Lk": "M"}, "hiv": {"Tidak Reaktif": "negative"}, "consent": {"Lengkap": "signed"}}
    profile = profile_from_choices(choices, guess, values, {})
    assert "T-score Lumbal" not in profile.columns  # MedPath reads it by itself
    assert profile.columns["Usia (tahun)"] == "age" and profile.columns["Skor Nyeri"] == "vas"
    again = profile_of(profile.to_yaml())
    study = load_study(indonesian(), mapping=again, protocol=default_protocol())
    assert not study.errors and _pairs(study, "vas") == {"R01": (7, 4), "R02": (6, 5), "R03": (8, 3)}
    assert isinstance(again, Profile) and len(study.screening) == 4


# --- the CLI: one test per key --------------------------------------------------------------------------------------


@pytest.fixture
def run(capsys):
    def call(*argv: str) -> tuple[int, str]:
        capsys.readouterr()
        code = main(list(argv))
        return code, capsys.readouterr().out

    return call


def test_cli_columns_key(run, tmp_path):
    data = tmp_path / "v.xlsx"
    data.write_bytes(
        xlsx_bytes(
            {
                "visits": [
                    ["Kode", "Waktu", "TS", "Nyeri"],
                    ["P1", "baseline", -3.0, 7],
                    ["P1", "month 6", -2.8, 4],
                    ["P2", "baseline", -2.5, 6],
                    ["P2", "month 6", -2.5, 6],
                ]
            }
        )
    )
    code, _ = run("validate", str(data))
    assert code == 2
    profile = tmp_path / "m.yaml"
    profile.write_text("columns:\n  Kode: patient_id\n  Waktu: visit\n  TS: bmd_tscore\n  Nyeri: vas\n")
    code, out = run("summary", str(data), "--json", "--mapping", str(profile))
    assert code == 0, out
    summary = json.loads(out)
    assert summary["outcomes"]["vas"]["n_pairs"] == 2 and summary["outcomes"]["vas"]["median_change"] == -1.5
    assert summary["mapping"]["profile"]["columns"]["Nyeri"] == "vas"
    rows = {r["header"]: (r["field"], r["status"]) for r in summary["mapping"]["columns"]}
    assert rows == {
        "Kode": ("patient_id", "profile"),
        "Waktu": ("visit", "profile"),
        "TS": ("bmd_tscore", "profile"),
        "Nyeri": ("vas", "profile"),
    }


def test_cli_values_key(run, tmp_path):
    data = tmp_path / "s.xlsx"
    data.write_bytes(indonesian()[0][1])
    profile = tmp_path / "m.yaml"
    profile.write_text(PROFILE)
    code, out = run("summary", str(data), "--json", "--mapping", str(profile))
    assert code == 0
    summary = json.loads(out)
    funnel = {step["id"]: step["n"] for step in summary["funnel"]}
    assert funnel["screened"] == 4 and summary["screened"] == 4  # the criteria columns are not in this export
    assert summary["outcomes"]["bmd_tscore"]["n_pairs"] == 3
    without_values = tmp_path / "cols.yaml"
    without_values.write_text(PROFILE.split("values:")[0])
    code, out = run("validate", str(data), "--mapping", str(without_values))
    assert code == 2 and "'Pr'" in out and "expected sex M/F" in out


def test_cli_sheets_key(run, tmp_path):
    data = tmp_path / "k.xlsx"
    data.write_bytes(
        xlsx_bytes(
            {
                "Awal": [["Patient ID", "T-score", "VAS"], ["P1", -3.0, 7], ["P2", -2.9, 6]],
                "Kontrol": [["Patient ID", "T-score", "VAS"], ["P1", -2.7, 4], ["P2", -2.6, 5]],
            }
        )
    )
    profile = tmp_path / "m.json"
    profile.write_text(json.dumps({"sheets": {"Awal": "baseline", "Kontrol": "month 6"}}))
    code, out = run("summary", str(data), "--json", "--mapping", str(profile))
    assert code == 0, out
    summary = json.loads(out)
    assert summary["outcomes"]["bmd_tscore"]["n_pairs"] == 2 and summary["outcomes"]["vas"]["median_change"] == -2
    assert summary["mapping"]["profile"] == {"sheets": {"Awal": "baseline", "Kontrol": "month 6"}}


def test_cli_refuses_a_broken_profile_naming_its_line(run, tmp_path):
    profile = tmp_path / "bad.yaml"
    profile.write_text("columns:\n  Usia: umur\n")
    code, out = run("validate", str(SAMPLE_XLSX), "--mapping", str(profile))
    assert code == 2
    assert out.splitlines()[0] == (
        "ERROR: bad.yaml, row 2: mapping profile: unknown field 'umur' for column 'Usia'; "
        "a field is one of " + out.splitlines()[0].split("a field is one of ")[1]
    )
    code, out = run(
        "report", str(SAMPLE_XLSX), "--mapping", str(tmp_path / "missing.yaml"), "-o", str(tmp_path / "r.html")
    )
    assert code == 2


def test_the_docs_example_is_a_valid_profile():
    from conftest import ROOT

    text = (ROOT / "docs" / "your-data.md").read_text(encoding="utf-8")
    example = text.split("## Mapping profile")[1].split("```yaml")[1].split("```")[0]
    profile = profile_of(example, "docs/your-data.md")
    assert profile.columns["Kontrol II!TS"] == "bmd_tscore" and profile.sheets["Arsip Lama"] == "ignore"
    assert profile.values["enrolled"] == {"Masuk": "yes", "Keluar": "no"}
    assert profile.rows == {
        "hidden": "read",
        "keep": {"Site": "RSCM Jakarta"},
        "not enrolled visits": "leave out",
        "duplicates": "first",
        "leave out": [{"sheet": "Data Awal", "row": 23}, {"Catatan": "salah input"}],
    }
    assert profile.scoped == {"T-score": {"screening": "bmd_tscore", "visits": "bmd_tscore"}}
    assert profile.letters == {"Data Awal!column D": "age"} and profile.letter_rules("data awal") == {"D": "age"}
    assert profile.fixed == {"hbsag": "negative", "Data Awal!hiv": "negative"}
    assert profile.header == {"Data Awal": (3,), "Kunjungan": (3, 4)}
    assert profile.values["patient_id"] == {"1": "001"} and profile.values["visit"]["14/09/2021"] == "month 6"
    assert profile_of(profile.to_yaml(), "docs/your-data.md") == profile  # written back as read


# --- crafted profiles: refused at once, with few problems, never a traceback ---------------------------------------

DEEP_PROFILES = {
    "JSON": '{"columns": ' + "[" * 10_000 + "]" * 10_000 + "}",
    "YAML lists": "columns:\n  " + "- " * 10_000 + "x\n",
    "YAML brackets": "columns: " + "[" * 10_000 + "]" * 10_000 + "\n",
}
DEEP_PROBLEM = "lists and mappings are nested more than 20 levels deep here; a mapping profile needs a few"
FIELDS_16 = "hiv hbsag cmv rubella toxoplasma sex consent enrolled age visit vas qol bmd_tscore anticoagulant corticosteroid immunosuppressant"


def anchored(keys: int) -> str:
    """One mapping of ``keys`` keys marked &x and repeated (*x) as the values of 16 fields."""
    return (
        "columns: &x {"
        + ", ".join(f"k{i}: 1" for i in range(keys))
        + "}\nvalues:\n"
        + "".join(f"  {field}: *x\n" for field in FIELDS_16.split())
    )


def timed_problems(data: str | bytes, limit: float) -> list[tuple[int | None, str]]:
    started = time.perf_counter()
    found = problems(data)
    assert time.perf_counter() - started < limit
    return found


@pytest.mark.parametrize("kind", DEEP_PROFILES)
def test_a_profile_nested_10000_levels_deep_is_refused_with_the_depth_problem_within_a_second(kind):
    assert timed_problems(DEEP_PROFILES[kind], 1.0) == [(2 if kind == "YAML lists" else 1, DEEP_PROBLEM)]
    assert timed_problems(DEEP_PROFILES[kind].encode(), 1.0) == [(2 if kind == "YAML lists" else 1, DEEP_PROBLEM)]


def test_a_json_profile_is_refused_at_the_line_of_its_21st_level_and_brackets_in_texts_are_not_nesting():
    # '{' line 1 (level 1), '{' line 2 (2), then one '[' a line from line 3: level 21 on line 21
    assert problems('{\n  "columns": {\n    "x": ' + "[\n" * 25 + "]" * 25 + "}}") == [(21, DEEP_PROBLEM)]
    headers = {"[" * 30 + "Usia": "age", 'L/P "{{{{" ]]': "sex"}
    assert profile_of(json.dumps({"columns": headers})).columns == headers


def test_the_anchored_60000_key_mapping_aliased_16_times_is_refused_within_two_seconds():
    """Before: 1,020,000 problems in 16.6 s and 811 MB. The mapping alone passes the limit of values."""
    assert timed_problems(anchored(60_000), 2.0) == [
        (
            1,
            "the file holds more than 10,000 values (each value an alias repeats counted again); "
            "a mapping profile holds far fewer",
        )
    ]


def test_a_profile_with_an_alias_is_refused_naming_the_alias_and_its_line():
    assert problems(anchored(100)) == [
        (3, "'*x' repeats the value marked '&x': a mapping profile does not use YAML aliases; write the value out")
    ]
    assert profile_of("columns: &c\n  Usia: age\n").columns == {"Usia": "age"}  # an anchor alone is harmless


def test_a_profile_over_one_mib_is_refused_unread():
    text = "columns:\n  Usia: age\n" + "#" * 2**20
    expected = [(None, "the file is larger than 1 MiB; a mapping profile is a small text file")]
    assert problems(text) == expected and problems(text.encode()) == expected


def test_at_most_fifty_problems_are_listed_then_how_many_more():
    text = "columns:\n" + "".join(f"  H{i}: agee\n" for i in range(300))
    with pytest.raises(ProfileError) as info:
        profile_of(text, "many.yaml")
    error = info.value
    assert len(error.problems) == 51 and error.omitted == 250
    assert error.problems[0].line == 2 and error.problems[0].message.startswith(
        "unknown field 'agee' for column 'H0' (did you mean 'age'?); a field is one of patient_id, sex, age, "
    )
    assert error.problems[49].line == 51
    last = "… and 250 more problems on lines 52 to 301, not listed (only the first 50 are)"
    assert error.problems[50] == FileProblem(None, last)
    assert len(error.lines()) == 51 and error.lines()[-1] == f"many.yaml: {last}"
    findings = error.findings()
    assert len(findings) == 51 and {f.code for f in findings} == {Code.PROFILE_INVALID}
    assert (findings[-1].row, findings[-1].message) == (None, f"mapping profile: {last}")


@pytest.mark.parametrize(
    "data, expected",
    [
        (
            b"\x89PNG\r\n\x1a\n\x00\x00",
            [(1, "not a text file (expected YAML or JSON in UTF-8): the byte 0x89 is not UTF-8")],
        ),
        (
            "columns:\n  Usia: age\n".encode("utf-16"),
            [
                (
                    None,
                    "not a text file (expected YAML or JSON in UTF-8): it starts as a UTF-16 text does; save it as UTF-8",
                )
            ],
        ),
        (
            b"columns:\n  Us\x00ia: age\n",
            [
                (
                    2,
                    "not a text file: the character #x0000 cannot be in a YAML file (special characters are not allowed)",
                )
            ],
        ),
        (  # json.loads would raise ValueError (more than 4,300 digits) were numbers read
            '{"sheets": {"Data": ' + "1" * 5000 + "}}",
            [
                (
                    1,
                    f"'{'1' * 5000}' is not a use of sheet 'Data': expected screening, visits, ignore, or a visit label such as baseline or month 3",
                )
            ],
        ),
    ],
    ids=["binary", "utf-16", "nul", "long number"],
)
def test_a_file_that_is_no_profile_is_a_problem_with_its_line(data, expected):
    assert problems(data) == expected


def test_cli_refuses_a_crafted_profile_with_exit_2_and_its_problems_not_a_traceback(run, tmp_path, capsys):
    files = {
        "deep.json": DEEP_PROFILES["JSON"].encode(),
        "laughs.yaml": anchored(60_000).encode(),
        "many.yaml": ("columns:\n" + "".join(f"  H{i}: agee\n" for i in range(300))).encode(),
        "binary.yaml": bytes(range(256)) * 8,
    }
    expected_first = {
        "deep.json": f"ERROR: deep.json, row 1: mapping profile: {DEEP_PROBLEM}",
        "laughs.yaml": "ERROR: laughs.yaml, row 1: mapping profile: the file holds more than 10,000 values",
        "many.yaml": "ERROR: many.yaml, row 2: mapping profile: unknown field 'agee' for column 'H0'",
        "binary.yaml": "ERROR: binary.yaml, row 2: mapping profile: not a text file (expected YAML or JSON in UTF-8)",
    }
    for name, data in files.items():
        (tmp_path / name).write_bytes(data)
        code, out = run("validate", str(SAMPLE_XLSX), "--mapping", str(tmp_path / name))
        assert code == 2, out
        lines = [line for line in out.splitlines() if line.startswith(f"ERROR: {name}")]
        assert lines[0].startswith(expected_first[name]), lines[0]
        assert len(lines) == (51 if name == "many.yaml" else 1)
        assert "Traceback" not in out + capsys.readouterr().err


def test_a_profile_naming_the_second_protocols_own_fields_works_under_that_protocol(tmp_path, capsys):
    """Issue 23, item 6: a profile is read with the protocol the study is read with, so DEMO-KOA-PRP's own outcome
    (womac_pain) is a field there; read with the profile, its sample gives the numbers it gives without one."""
    from medpath.protocol import bundled

    demo = bundled()["DEMO-KOA-PRP"]
    profile = tmp_path / "p.yaml"
    profile.write_text("columns:\n  womac_pain: womac_pain\n  Skor nyeri WOMAC: womac_pain\n")
    assert demo.sample is not None
    sample = str(demo.sample)
    assert main(["summary", sample, "--protocol", "DEMO-KOA-PRP", "--json"]) == 0
    plain = json.loads(capsys.readouterr().out)
    assert main(["summary", sample, "--protocol", "DEMO-KOA-PRP", "--mapping", str(profile), "--json"]) == 0
    mapped = json.loads(capsys.readouterr().out)
    assert mapped["mapping"]["profile"] == {"columns": {"womac_pain": "womac_pain", "Skor nyeri WOMAC": "womac_pain"}}
    assert mapped["funnel"] == plain["funnel"] and mapped["outcomes"] == plain["outcomes"]
    assert mapped["outcomes"]["womac_pain"]["n_pairs"] == plain["outcomes"]["womac_pain"]["n_pairs"] > 0
    guess = best_guess([("knee.xlsx", demo.sample.read_bytes())], demo)
    assert not guess.needs_attention  # its own columns are its own fields: nothing to ask


def test_an_id_fits_a_screening_table_only_when_its_values_are_distinct():
    """A weeks trial has 6 visits: in a visits table an id may repeat 6 times, in a screening table it may not (a
    column of 14 rows holding 'M' and 'F' is no patient id there)."""
    from medpath.pipeline.map.mapping import _cells, _fits

    schema = schema_of(bundled()["DEMO-T1D-MSC"])
    sexes = ["M", "F"] * 7
    assert _fits("patient_id", _cells(sexes), schema, "screening") == 0.3
    ids = [f"T{i:02d}" for i in range(1, 15)]
    assert _fits("patient_id", _cells(ids), schema, "screening") == 1.0
    assert _fits("patient_id", _cells([p for p in ids[:3] for _ in range(6)]), schema, "visits") == 1.0
