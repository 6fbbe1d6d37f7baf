"""Issue 24, item 8: a profile translates the values of adverse-event and disposition columns as the team writes them
("Berat" a grade, "Ya"/"T" serious, "Mungkin berhubungan" a relatedness, "Selesai" a disposition). A realistic
export: an Indonesian KTD (adverse events) sheet and a disposition sheet, read right only with the profile; every
count below is counted by hand from the rows."""

from __future__ import annotations

import json

import pytest
from conftest import xlsx_bytes

from medpath.cli import main
from medpath.pipeline.map.profile import ProfileError, parse_profile
from medpath.protocol import default_protocol

VISITS: list[list[object]] = [["patient_id", "visit", "bmd_tscore", "vas"]]
for i, (t0, t6, v0, v6) in enumerate([(-3.1, -2.8, 7, 4), (-2.9, -2.7, 6, 6), (-3.4, -3.0, 8, 5)], start=1):
    VISITS += [[f"MSC-0{i}", "baseline", t0, v0], [f"MSC-0{i}", "month 6", t6, v6]]
# KTD: 4 events in 3 patients; serious: only MSC-01's "Demam tinggi" (Ya); grades 3, 1, 2, 1
KTD: list[list[object]] = [
    ["Data KTD (Kejadian Tidak Diinginkan) - RSCM"],
    [],
    ["No. Pasien", "Kejadian", "Derajat", "Serius", "Hubungan dengan MSC", "Bulan ke", "Hasil"],
    ["MSC-01", "Demam tinggi", "Berat", "Ya", "Mungkin berhubungan", 0, "Sembuh"],
    ["MSC-02", "Nyeri kepala", "Ringan", "T", "Tidak berhubungan", 1, "Sembuh"],
    ["MSC-03", "Mual", "Sedang", "T", "Kemungkinan kecil", 2, "Sembuh"],
    ["MSC-03", "Ruam", "Ringan", "T", "Mungkin berhubungan", 3, "Sembuh"],
]
# disposition: MSC-01 and MSC-03 completed ("Selesai"), MSC-02 lost to follow-up ("Hilang kontak")
STATUS: list[list[object]] = [
    ["No. Pasien", "Status Akhir", "Alasan"],
    ["MSC-01", "Selesai", None],
    ["MSC-02", "Hilang kontak", "pindah ke luar kota"],
    ["MSC-03", "Selesai", None],
]
PROFILE = """columns:
  No. Pasien: ae_patient_id
  Kejadian: ae_term
  Derajat: ae_grade
  Serius: ae_serious
  Hubungan dengan MSC: ae_relatedness
  Bulan ke: ae_onset_month
  Hasil: ae_outcome
  Status Pasien!No. Pasien: disposition_patient_id
  Status Akhir: disposition_status
  Alasan: disposition_reason
values:
  ae_grade: {Ringan: 1, Sedang: 2, Berat: 3}
  ae_serious: {T: no}
  ae_relatedness: {Mungkin berhubungan: possible, Kemungkinan kecil: unlikely}
  disposition_status: {Selesai: completed, Hilang kontak: lost to follow-up}
"""


def _summary(tmp_path, capsys, profile: str | None) -> dict:
    path = tmp_path / "rscm.xlsx"
    path.write_bytes(xlsx_bytes({"Kunjungan": VISITS, "KTD": KTD, "Status Pasien": STATUS}))
    args = ["summary", str(path), "--json"]
    if profile is not None:
        (tmp_path / "p.yaml").write_text(profile, encoding="utf-8")
        args += ["--mapping", str(tmp_path / "p.yaml")]
    capsys.readouterr()
    main(args)
    return json.loads(capsys.readouterr().out)


def test_the_teams_words_are_read_with_the_profile(tmp_path, capsys):
    read = _summary(tmp_path, capsys, PROFILE)
    assert not [f["message"] for f in read["findings"] if f["severity"] == "error"]
    events = read["adverse_events"]
    assert (events["events"], events["patients"], events["serious"], events["serious_patients"]) == (4, 3, 1, 1)
    cells = {(c["grade"], c["relatedness"]): (c["patients"], c["events"]) for c in events["by_grade_relatedness"]}
    assert cells[(3, "possible")] == (1, 1) and cells[(1, "possible")] == (1, 1)
    assert cells[(2, "unlikely")] == (1, 1) and cells[(1, "unrelated")] == (1, 1)
    assert read["consort"]["lost_to_follow_up"]["n"] == 1
    translated = [f for f in read["findings"] if f["code"] == "value_read_as" and f["sheet"] == "KTD"]
    assert any("'Berat' → 3 (1 cell)" in f["message"] for f in translated)


def test_without_the_profile_no_count_is_silently_wrong(tmp_path, capsys):
    """Without the profile the KTD columns are not recognised: the events are not determinable beside an error, or
    read with each unknown value an error; never a count that looks complete."""
    read = _summary(tmp_path, capsys, None)
    events = read["adverse_events"]
    errors = [f for f in read["findings"] if f["severity"] == "error"]
    assert events.get("events") is None or errors


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ("ae_grade: {Berat: 7}", "'7' is not a valid value for ae_grade ('Berat'): expected 1 / 2 / 3 / 4 / 5"),
        ("ae_relatedness: {X: related}", "expected unrelated / unlikely / possible / probable / definite"),
        ("disposition_status: {Selesai: gone}", "expected completed / lost to follow-up / withdrew / died"),
    ],
)
def test_a_value_the_field_cannot_hold_is_refused_with_its_line(values, message):
    with pytest.raises(ProfileError, match="line 2") as refused:
        parse_profile(f"values:\n  {values}\n", "p.yaml", default_protocol())
    assert message in str(refused.value)
