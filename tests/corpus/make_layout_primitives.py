"""Exports whose layout only a mapping profile can tell (issue 24, items 3, 6 and 7), each with its profile and the
numbers a careful person reads off the file, written BY HAND in the case (never computed by MedPath).

* a laboratory system's long export: one row per patient x visit x measure (``Parameter``, ``Nilai``), and a
  CDISC ADaM BDS dataset (``USUBJID``, ``AVISIT``, ``PARAMCD``, ``AVAL``);
* a case report form kept as one sheet per patient, the sheet name the patient's code, the screening log apart;
* one sheet holding three tables one under another: the candidates enrolled ("Masuk penelitian"), those not
  ("Tidak masuk") and the visits ("Data Kunjungan"), enrolment given by the table a candidate is in.

Each is built as a study team keeps it: Indonesian headers, title rows, a printed-on line, notes, blank rows
between tables. The invented study is issue 23's (``make_trust``: five enrolled patients MSC-01..MSC-05 of ten
candidates); its numbers and helpers are imported from there. ``tests/test_layout_primitives.py`` runs
``medpath summary FILE --mapping PROFILE --json`` in-process on each, with and without the profile.

``PYTHONPATH=tests/corpus python tests/corpus/make_layout_primitives.py DIR`` writes the files and profiles to DIR
(nothing generated is committed).

The p-values by hand (as in ``make_trust``): with m non-zero changes all of one sign the exact two-sided Wilcoxon
p is 2 / 2^m (m = 3 -> 0.25, m = 4 -> 0.125); a zero change is dropped before ranking but still counted in n_pairs.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from make_trust import (
    CANDIDATES,
    IDS,
    STANDARD_OUTCOMES,
    TSCORE,
    VAS,
    candidate_id,
    csv,
    screening_header,
    screening_row,
    screening_rows,
    sheet,
    write_with_profiles,
    xlsx,
)
from openpyxl import Workbook

Files = list[tuple[str, bytes]]
#: the three visits as the team writes them, with the index into TSCORE / VAS
LABELS = (("Baseline", 0), ("Bulan 3", 1), ("Bulan 6", 2))


@dataclass(frozen=True)
class LayoutCase:
    """One export, the profile (YAML text) that tells its layout, and the truth read off it by hand.

    ``truth`` keys, as in ``make_trust.TrustCase``: "screened", "enrolled", "completed"; "outcomes": {outcome:
    (n_pairs, exact two-sided Wilcoxon p)}. A number the file does not determine is left out."""

    name: str
    what: str
    files: Callable[[], Files]
    profile: str
    truth: dict[str, Any]


CASES: list[LayoutCase] = []


def case(name: str, profile: str, truth: dict[str, Any]):
    def register(build: Callable[[], Files]) -> Callable[[], Files]:
        CASES.append(LayoutCase(name, " ".join((build.__doc__ or "").split()), build, profile, truth))
        return build

    return register


def _comma(value: float) -> str:
    """A number as an Indonesian keyboard types it into a text cell ("-3,1")."""
    return f"{value:g}".replace(".", ",")


# 1. a long parameter / value export ---------------------------------------------------------------------------

LAB_PROFILE = """\
# the laboratory system's export: one row per patient, visit and measure
columns:
  Kode Subjek: patient_id
layout:
  Hasil Lab:
    long:
      parameter: Parameter
      value: Nilai
      parameters:
        T-score L1-L4: bmd_tscore
        Skala Nyeri (VAS): vas
        BMD L1-L4: bmd_g_cm2
"""


@case(
    "long_lab_export",
    LAB_PROFILE,
    {
        "screened": 10,
        "enrolled": 5,
        "completed": 5,
        # every patient has each measure at each visit: the standard changes (make_trust): T-score +0.3, +0.1,
        # +0.4, 0, +0.4 and VAS -3, -3, -3, 0, -5 -> n_pairs 5, m = 4 of one sign -> p = 2/16 = 0.125 each
        "outcomes": STANDARD_OUTCOMES,
    },
)
def long_lab_export() -> Files:
    """The hospital information system's export of the study's results (SIMRS "Ekspor Hasil Pemeriksaan"): a
    title, the printing date and a blank row above the header; one row per patient, visit and measure: No, Kode
    Subjek, Kunjungan, Tgl Periksa, Parameter, Nilai (typed with a decimal comma as text for the T-scores), Satuan,
    Petugas. Besides the spine T-score, the VAS and the spine BMD in g/cm², the laboratory added a serum calcium
    (Kalsium) at baseline, which the study does not analyse; MSC-03's month-6 VAS was entered twice with the same
    value. A notes row closes the export. The screening log is a sheet of its own ("Skrining")."""
    rows: list[list[object]] = [
        ["EKSPOR HASIL PEMERIKSAAN - STUDI MSC OSTEOPOROSIS"],
        ["Dicetak: 02/09/2024 10:14"],
        [],
        ["No", "Kode Subjek", "Kunjungan", "Tgl Periksa", "Parameter", "Nilai", "Satuan", "Petugas"],
    ]
    day = {"Baseline": "04/03/2024", "Bulan 3": "03/06/2024", "Bulan 6": "02/09/2024"}
    for pid in IDS:
        for label, k in LABELS:
            rows.append([pid, label, day[label], "T-score L1-L4", _comma(TSCORE[pid][k]), "SD", "Rad"])
            rows.append([pid, label, day[label], "BMD L1-L4", round(0.80 + TSCORE[pid][k] / 10, 3), "g/cm2", "Rad"])
            rows.append([pid, label, day[label], "Skala Nyeri (VAS)", VAS[pid][k], "0-10", "Prw"])
            if label == "Baseline":
                rows.append([pid, label, day[label], "Kalsium", 9.1, "mg/dL", "Lab"])
            if pid == "MSC-03" and label == "Bulan 6":
                rows.append([pid, label, day[label], "Skala Nyeri (VAS)", VAS[pid][k], "0-10", "Prw"])
    numbered = rows[:4] + [[i, *r] for i, r in enumerate(rows[4:], start=1)]
    numbered.append(["Catatan: nilai VAS dicatat oleh perawat penelitian"])

    def build(wb: Workbook) -> None:
        sheet(wb, "Skrining", screening_rows())
        sheet(wb, "Hasil Lab", numbered)

    return [("ekspor_hasil_lab.xlsx", xlsx(build))]


ADAM_PROFILE = """\
columns:
  USUBJID: patient_id
  AVISIT: visit
layout:
  adbmd:                        # the CSV file adbmd.csv
    long: {parameter: PARAMCD, value: AVAL, parameters: {LSTSCORE: bmd_tscore, VASPAIN: vas}}
values:
  patient_id: {MSC01-01: MSC-01, MSC01-02: MSC-02, MSC01-03: MSC-03, MSC01-04: MSC-04, MSC01-05: MSC-05}
"""


@case(
    "long_adam_bds",
    ADAM_PROFILE,
    {
        "enrolled": 5,
        "completed": 4,
        # MSC-02 discontinued after month 3 (no month-6 rows). Completers MSC-01, 03, 04, 05:
        #   T-score +0.3, +0.4, 0 (dropped), +0.4 -> n_pairs 4, m = 3 all positive -> p = 2/8 = 0.25
        #   VAS     -3,   -3,   0 (dropped), -5   -> n_pairs 4, m = 3 all negative -> p = 2/8 = 0.25
        "outcomes": {"bmd_tscore": (4, 0.25), "vas": (4, 0.25)},
    },
)
def long_adam_bds() -> Files:
    """A statistician's CDISC ADaM BDS dataset as CSV (adbmd.csv): STUDYID, USUBJID ("MSC01-03"), PARAMCD
    (LSTSCORE, VASPAIN), PARAM, AVISIT (BASELINE, MONTH 3, MONTH 6), AVISITN, AVAL, BASE, CHG, ABLFL. No
    screening data. MSC-02 discontinued after month 3."""
    rows: list[list[object]] = [
        ["STUDYID", "USUBJID", "PARAMCD", "PARAM", "AVISIT", "AVISITN", "AVAL", "BASE", "CHG", "ABLFL"]
    ]
    params = (("LSTSCORE", "Lumbar spine L1-L4 T-score", TSCORE), ("VASPAIN", "Pain VAS (0-10)", VAS))
    for pid in IDS:
        usubjid = "MSC01-" + pid[-2:]
        for code, name, values in params:
            for label, k in (("BASELINE", 0), ("MONTH 3", 1), ("MONTH 6", 2)):
                if pid == "MSC-02" and k == 2:
                    continue
                base = values[pid][0]
                chg = round(values[pid][k] - base, 2) if k else ""
                rows.append(
                    [
                        "MSC01",
                        usubjid,
                        code,
                        name,
                        label,
                        (0, 3, 6)[k],
                        values[pid][k],
                        base,
                        chg,
                        "Y" if k == 0 else "",
                    ]
                )
    return [("adbmd.csv", csv(rows))]


# 2. sheets that are patients ----------------------------------------------------------------------------------

PATIENT_PROFILE = """\
layout:
  MSC-*: patient                # one sheet per patient: the sheet name is the patient's code
sheets:
  Rekap: ignore                 # the coordinator's summary sheet
"""


@case(
    "sheets_are_patients",
    PATIENT_PROFILE,
    {
        "screened": 10,
        "enrolled": 5,
        "completed": 4,  # MSC-02 dropped out after month 3: no "Bulan 6" row on its sheet
        # completers MSC-01, 03, 04, 05: T-score +0.3, +0.4, 0, +0.4 and VAS -3, -3, 0, -5 -> n_pairs 4,
        # m = 3 of one sign -> p = 2/8 = 0.25 each
        "outcomes": {"bmd_tscore": (4, 0.25), "vas": (4, 0.25)},
    },
)
def sheets_are_patients() -> Files:
    """A case report form kept in Excel, one sheet per patient named by the patient's code (MSC-01 ... MSC-05):
    a title ("LEMBAR KUNJUNGAN PASIEN"), the code again and a blank row above the header Kunjungan, Tanggal,
    T-score L1-L4, VAS (0-10), Keterangan; one row per visit. MSC-02 dropped out after month 3; MSC-04's sheet ends
    with a note row. The screening log is the first sheet ("Skrining"); a "Rekap" sheet counts the visits."""
    dates = ("11/03/2024", "10/06/2024", "09/09/2024")

    def build(wb: Workbook) -> None:
        sheet(wb, "Skrining", [["LOG SKRINING"], [], *screening_rows()])
        for pid in IDS:
            rows: list[list[object]] = [
                ["LEMBAR KUNJUNGAN PASIEN"],
                [f"Kode: {pid}"],
                [],
                ["Kunjungan", "Tanggal", "T-score L1-L4", "VAS (0-10)", "Keterangan"],
            ]
            for (label, k), date in zip(LABELS, dates):
                if pid == "MSC-02" and k == 2:
                    continue
                rows.append([label, date, TSCORE[pid][k], VAS[pid][k], None])
            if pid == "MSC-04":
                rows.append(["Catatan: kunjungan bulan 3 diundur 1 minggu"])
            sheet(wb, pid, rows)
        sheet(wb, "Rekap", [["Pasien", "Jumlah kunjungan"], *[[pid, 2 if pid == "MSC-02" else 3] for pid in IDS]])

    return [("crf_per_pasien.xlsx", xlsx(build))]


# 3. several tables on one sheet -------------------------------------------------------------------------------

TABLES_PROFILE = """\
layout:
  Data:
    tables:
      Masuk penelitian: {under: Masuk penelitian, table: screening, enrolled: yes}
      Tidak masuk: {range: A14:Q19, table: screening, enrolled: no}
      visits: {under: Data Kunjungan}
"""


def _enrolled() -> list[tuple]:
    return [c for c in CANDIDATES if c[1]]


def _failures() -> list[tuple]:
    return [c for c in CANDIDATES if not c[1]]


@case(
    "tables_on_one_sheet",
    TABLES_PROFILE,
    {
        "screened": 10,  # 5 in "Masuk penelitian" + 5 in "Tidak masuk"
        "enrolled": 5,
        "completed": 5,
        "outcomes": STANDARD_OUTCOMES,  # the five's standard changes: n_pairs 5, p = 2/16 = 0.125 each
    },
)
def tables_on_one_sheet() -> Files:
    """One sheet "Data" holding three tables one under another, each under its title, a blank row between them:
    the title of the study (rows 1-2); "Masuk penelitian" (row 4), the screening of the five enrolled (header row 5,
    rows 6-10); "Tidak masuk" (row 13), the five not enrolled (header row 14, rows 15-19); "Data Kunjungan" (row
    22), the visits (header row 23: Kode Pasien, Kunjungan, T-score L1-L4, VAS; 15 rows). The screening tables have
    no enrolled column: enrolment is the table a candidate is in."""
    header = screening_header()[:-1]  # without "Terdaftar"
    rows: list[list[object]] = [
        ["DATA PENELITIAN SEL PUNCA MESENKIMAL - OSTEOPOROSIS"],
        ["RSCM Jakarta, diperbarui 14/10/2024"],
        [],
        ["Masuk penelitian"],
        header,
        *(screening_row(c)[:-1] for c in _enrolled()),
        [],
        [],
        ["Tidak masuk"],
        header,
        *(screening_row(c)[:-1] for c in _failures()),
        [],
        [],
        ["Data Kunjungan"],
        ["Kode Pasien", "Kunjungan", "T-score L1-L4", "VAS"],
        *([pid, label, TSCORE[pid][k], VAS[pid][k]] for pid in IDS for label, k in LABELS),
    ]
    assert rows[13] == header and rows[18][0] == candidate_id(_failures()[-1])  # rows 14 and 19 in Excel
    return [("data_satu_sheet.xlsx", xlsx(lambda wb: sheet(wb, "Data", rows)))]


def cases() -> list[LayoutCase]:
    return list(CASES)


if __name__ == "__main__":
    write_with_profiles(CASES, Path(sys.argv[1]))
