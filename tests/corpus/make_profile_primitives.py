"""Exports that only a mapping profile's new primitives read right (issue 24): one realistic export per primitive,
its profile (the YAML a coordinator writes, here as text) and the numbers a careful person reads off the file,
written BY HAND (never computed by MedPath).

The study is the trust corpus's (``tests/corpus/make_trust.py``: five enrolled patients MSC-01..MSC-05 among ten
candidates screened at RSCM Jakarta); its numbers are imported from there, and each file here keeps them in a
shape a team really uses. ``tests/test_profile_primitives.py`` runs ``medpath summary FILE --mapping PROFILE
--json`` in-process on each, with and without its profile.

Unless a case says otherwise the truths are the trust corpus's standard ones: screened 10, enrolled 5, completed 5;
T-score and VAS each 5 pairs, four non-zero changes of one sign, exact two-sided Wilcoxon p = 2 / 2^4 = 0.125.

``PYTHONPATH=tests/corpus python tests/corpus/make_profile_primitives.py DIR`` writes the files to DIR. All data
are invented; nothing generated is committed.
"""

from __future__ import annotations

import datetime as dt
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from make_trust import (
    CANDIDATES,
    HISTORY,
    IDS,
    STANDARD_OUTCOMES,
    TESTS,
    TSCORE,
    VAS,
    candidate_id,
    consent_cell,
    history_cells,
    infection_cells,
    sheet,
    write_with_profiles,
    xlsx,
)

Files = list[tuple[str, bytes]]
STANDARD = {"screened": 10, "enrolled": 5, "completed": 5, "outcomes": STANDARD_OUTCOMES}
VISITS = (("Baseline", 0), ("Bulan 3", 1), ("Bulan 6", 2))


@dataclass(frozen=True)
class PrimitiveCase:
    """One export, the profile that reads it, and the truths (``make_trust.TrustCase``'s keys)."""

    name: str
    what: str
    files: Callable[[], Files]
    profile: str
    truth: dict[str, Any]
    #: the bundled protocol the file is of (``--protocol``; None: the default one)
    protocol: str | None = None


CASES: list[PrimitiveCase] = []


def case(name: str, profile: str, truth: dict[str, Any] = STANDARD, protocol: str | None = None):
    def register(build: Callable[[], Files]) -> Callable[[], Files]:
        what = " ".join((build.__doc__ or "").split())
        CASES.append(PrimitiveCase(name, what, build, profile, truth, protocol))
        return build

    return register


def _enrolled(candidate) -> bool:
    return candidate[1] is not None


# 1. a column with a field per table -----------------------------------------------------------------------------


@case(
    "scoped_one_sheet",
    """columns:
  T-score: {screening: bmd_tscore, visits: bmd_tscore}
""",
)
def scoped_one_sheet() -> Files:
    """One sheet "Data Pasien" under two title rows: per candidate a "Skrining" row (sex, age, history, tests,
    consent, enrolment and the screening DXA's T-score) and, for the five enrolled, a row per visit (T-score and
    VAS). The one T-score column holds the screening value on screening rows and the visit's on visit rows."""
    header: list[object] = ["No.", "Kode Pasien", "Kunjungan", "JK", "Umur", "T-score", *HISTORY, *TESTS]
    header += ["Informed consent", "Terdaftar", "VAS", "Catatan"]
    rows: list[list[object]] = [
        ["DATA PENELITIAN SEL PUNCA - OSTEOPOROSIS"],
        ["RSCM Jakarta, diisi oleh koordinator penelitian"],
        [],
        header,
    ]
    blank = [None] * (len(HISTORY) + len(TESTS) + 2)
    for k, c in enumerate(CANDIDATES, start=1):
        pid, sex, age, tscore, reason = candidate_id(c), c[2], c[3], c[4], c[5]
        rows.append(
            [
                k,
                pid,
                "Skrining",
                sex,
                age,
                tscore,
                *history_cells(reason),
                *infection_cells(reason),
                consent_cell(reason),
            ]
            + ["Ya" if _enrolled(c) else "Tidak", None, None]
        )
        if _enrolled(c):
            for label, v in VISITS:
                rows.append([None, pid, label, None, None, TSCORE[pid][v], *blank, VAS[pid][v], None])
    return [("data_pasien_satu_lembar.xlsx", xlsx(lambda wb: sheet(wb, "Data Pasien", rows)))]


@case(
    "scoped_redcap",
    """columns:
  skor_utama: {screening: bmd_tscore, visits: vas}
""",
)
def scoped_redcap() -> Files:
    """A REDCap raw export (one row per record and event) whose instrument "pemeriksaan" is used at every event:
    its field skor_utama holds the screening DXA's T-score in the screening event and the VAS in the visit events;
    the visits' T-score is tscore_l1l4."""
    header: list[object] = [
        "record_id",
        "redcap_event_name",
        "jenis_kelamin",
        "umur",
        "autoimun",
        "osteoporosis_sekunder",
    ]
    header += ["obat_osteoporosis", "imunosupresan", "antikoagulan", "kortikosteroid", "kelumpuhan"]
    header += ["hbsag", "hiv", "cmv", "rubella", "toksoplasma", "informed_consent", "terdaftar"]
    header += ["skor_utama", "tscore_l1l4", "pemeriksaan_complete"]
    rows: list[list[object]] = [header]
    events = {"Baseline": "baseline_arm_1", "Bulan 3": "bulan_3_arm_1", "Bulan 6": "bulan_6_arm_1"}
    for c in CANDIDATES:
        pid, sex, age, tscore, reason = candidate_id(c), c[2], c[3], c[4], c[5]
        history = [1 if cell == "Ya" else 0 for cell in history_cells(reason)]
        rows.append(
            [pid, "skrining_arm_1", sex, age, *history, *infection_cells(reason), consent_cell(reason)]
            + [1 if _enrolled(c) else 0, tscore, None, 2]
        )
        if _enrolled(c):
            for label, v in VISITS:
                rows.append([pid, events[label], *[None] * 16, VAS[pid][v], TSCORE[pid][v], 2])
    text = "\n".join(",".join("" if v is None else str(v) for v in row) for row in rows) + "\n"
    return [("STUDISELPUNCA_DATA_2021-10-01.csv", text.encode("utf-8"))]


@case(
    "scoped_side_by_side",
    """columns:
  T-score Skrining: {screening: bmd_tscore}
""",
)
def scoped_side_by_side() -> Files:
    """One sheet "Rekap", one row per patient and visit, the candidate's screening cells repeated on each of its
    rows (a screen failure has one row, without a visit): the screening DXA in "T-score Skrining", the visit's DXA in
    "T-score". Both read as the T-score, so MedPath cannot choose; the profile says the first is the screening
    table's."""
    header: list[object] = ["Kode Pasien", "JK", "Umur", "T-score Skrining", *HISTORY, *TESTS, "Informed consent"]
    header += ["Terdaftar", "Kunjungan", "T-score", "VAS"]
    rows: list[list[object]] = [["Rekap data penelitian (semua kunjungan)"], header]
    for c in CANDIDATES:
        pid, reason = candidate_id(c), c[5]
        screening = [pid, c[2], c[3], c[4], *history_cells(reason), *infection_cells(reason), consent_cell(reason)]
        screening.append("Ya" if _enrolled(c) else "Tidak")
        if not _enrolled(c):
            rows.append([*screening, None, None, None])
        for label, v in VISITS if _enrolled(c) else ():
            rows.append([*screening, label, TSCORE[pid][v], VAS[pid][v]])
    return [("rekap_semua_kunjungan.xlsx", xlsx(lambda wb: sheet(wb, "Rekap", rows)))]


# 2. rows the team leaves out ---------------------------------------------------------------------------------------


@case(
    "leave_out_rows",
    """rows:
  leave out:
    - {sheet: Skrining, row: 14}          # SKR-008 entered a second time by mistake
    - {sheet: Kunjungan, Catatan: salah input}
""",
)
def leave_out_rows() -> Files:
    """The usual two sheets, each with a mistake the team knows of: the screening log's last row (Excel row 14)
    re-enters candidate SKR-008 with another age and T-score, and the visits hold MSC-03's month-6 visit twice,
    the wrong one (VAS 9) marked "salah input" in Catatan. The right values are the first ones."""
    screening_header: list[object] = ["Kode Pasien", "Jenis kelamin", "Umur", "T-score skrining", *HISTORY, *TESTS]
    screening_header += ["Informed consent", "Terdaftar"]
    screening: list[list[object]] = [["LOG SKRINING 2021"], [], screening_header]
    for c in CANDIDATES:
        screening.append(_screening_cells(c))
    again = next(c for c in CANDIDATES if c[0] == "SKR-008")
    screening.append(_screening_cells((again[0], None, again[2], 46, -2.2, again[5])))
    visits: list[list[object]] = [["Kode Pasien", "Kunjungan", "T-score L1-L4", "VAS", "Catatan"]]
    for pid in IDS:
        for label, v in VISITS:
            visits.append([pid, label, TSCORE[pid][v], VAS[pid][v], None])
    visits.append(["MSC-03", "Bulan 6", TSCORE["MSC-03"][2], 9, "salah input"])

    def build(wb):
        sheet(wb, "Skrining", screening)
        sheet(wb, "Kunjungan", visits)

    return [("log_penelitian_okt.xlsx", xlsx(build))]


def _screening_cells(c) -> list[object]:
    reason = c[5]
    return [candidate_id(c), c[2], c[3], c[4], *history_cells(reason), *infection_cells(reason)] + [
        consent_cell(reason),
        "Ya" if _enrolled(c) else "Tidak",
    ]


# 3. a fixed value: the team's statement -----------------------------------------------------------------------------

#: the first year's nine candidates: the trust corpus's ten without SKR-008 (whose HBsAg was positive), as every
#: candidate of that year was screened negative by the lab
LEGACY = [c for c in CANDIDATES if c[0] != "SKR-008"]


@case(
    "fixed_infection_tests",
    """sheets:
  Skrining 2021: screening
fixed:                       # the lab screened every candidate of 2021 negative (lab book, not in this file)
  hbsag: negative
  hiv: negative
  cmv: negative
  rubella: negative
  toxoplasma: negative
""",
    {"screened": 9, "enrolled": 5, "completed": 5, "outcomes": STANDARD_OUTCOMES},
)
def fixed_infection_tests() -> Files:
    """The first year's screening file, made before the infection tests were added to the CRF: no HBsAg / HIV /
    CMV / Rubella / Toxoplasma columns (the results are in the lab book, every candidate negative); nine
    candidates, five enrolled."""
    header: list[object] = ["Kode Pasien", "Jenis kelamin", "Umur", "T-score skrining", *HISTORY]
    header += ["Informed consent", "Terdaftar"]
    screening: list[list[object]] = [["Skrining tahun pertama (sebelum CRF v2)"], header]
    for c in LEGACY:
        reason = c[5]
        screening.append([candidate_id(c), c[2], c[3], c[4], *history_cells(reason), consent_cell(reason)])
        screening[-1].append("Ya" if _enrolled(c) else "Tidak")
    visits: list[list[object]] = [["Kode Pasien", "Kunjungan", "T-score L1-L4", "VAS"]]
    for pid in IDS:
        for label, v in VISITS:
            visits.append([pid, label, TSCORE[pid][v], VAS[pid][v]])

    def build(wb):
        sheet(wb, "Skrining 2021", screening)
        sheet(wb, "Kunjungan", visits)

    return [("skrining_2021_tanpa_tes.xlsx", xlsx(build))]


# 4. where the header is ---------------------------------------------------------------------------------------------

#: the instructions a coordinator pasted above the screening table (31 lines: more than MedPath looks through)
INSTRUCTIONS = [
    f"Petunjuk {k}: isi satu baris per calon subjek; kode L/P, Ya/Tidak, Negatif/Positif" for k in range(31)
]


@case(
    "header_rows_and_letters",
    """sheets:
  Data Awal: screening
header:
  Data Awal: 33                  # under 31 lines of instructions and a blank row
  Kunjungan: [3, 4]              # "Bulan 6" over "T-score" and "VAS"
columns:
  L/P: sex
  Data Awal!column D: age        # the age column has no header
  Nilai T (DXA): bmd_tscore
""",
)
def header_rows_and_letters() -> Files:
    """ "Data Awal": 31 lines of filling-in instructions, a blank row and the header in row 33 (sex as "L/P", the
    age column with no header at all, the screening T-score as "Nilai T (DXA)"). "Kunjungan": a title, then a
    two-row header: the visit ("Awal", "Bulan 3", "Bulan 6", written once over its two columns) above "T-score"
    and "VAS"; one row per patient."""
    screening: list[list[object]] = [[line] for line in INSTRUCTIONS]
    screening.append([])
    screening.append(["No", "Kode Pasien", "L/P", None, "Nilai T (DXA)", *HISTORY, *TESTS, "IC", "Masuk Penelitian"])
    for k, c in enumerate(CANDIDATES, start=1):
        reason = c[5]
        screening.append(
            [k, candidate_id(c), c[2], c[3], c[4], *history_cells(reason), *infection_cells(reason)]
            + [consent_cell(reason), "Ya" if _enrolled(c) else "Tidak"]
        )
    visits: list[list[object]] = [
        ["Hasil pemeriksaan per kunjungan (DXA lumbal L1-L4, VAS 0-10)"],
        [],
        [None, None, "Awal", None, "Bulan 3", None, "Bulan 6", None],
        ["No", "Kode Pasien", "T-score", "VAS", "T-score", "VAS", "T-score", "VAS"],
    ]
    for k, pid in enumerate(IDS, start=1):
        visits.append([k, pid, *(x for v in range(3) for x in (TSCORE[pid][v], VAS[pid][v]))])

    def build(wb):
        sheet(wb, "Data Awal", screening)
        sheet(wb, "Kunjungan", visits)

    return [("crf_skrining_dan_kunjungan.xlsx", xlsx(build))]


# 5. values as a person sees them -------------------------------------------------------------------------------------

#: the subject number the visits sheet writes ("001") for each trust-corpus id; the screening log's numbers lost
#: their zeros in Excel (1, 2, ...)
NUMBERS = {c[1] or c[0]: f"{k:03d}" for k, c in enumerate(CANDIDATES, start=1)}
#: two month-6 visits whose visit cell holds the visit's date (typed instead of the label; Excel made it a date)
DATED = {"MSC-03": dt.date(2021, 9, 14), "MSC-05": dt.date(2021, 9, 20)}


@case(
    "values_dates_and_ids",
    """columns:
  No. Subjek: patient_id
values:
  patient_id: {"1": "001", "2": "002", "3": "003", "4": "004", "5": "005", "6": "006", "7": "007", "8": "008",
               "9": "009", "10": "010"}
  visit: {14/09/2021: month 6, 20/09/2021: month 6}
""",
)
def values_dates_and_ids() -> Files:
    """The screening log numbers its candidates 1..10 (typed as numbers: Excel dropped the zeros of "001"); the
    visits sheet writes them "001".."009". Two month-6 visits have their date in the visit column (14/09/2021,
    20/09/2021 as Excel shows them), typed instead of "Bulan 6"."""
    screening: list[list[object]] = [
        ["No. Subjek", "Jenis kelamin", "Umur", "T-score skrining", *HISTORY, *TESTS, "Informed consent", "Terdaftar"]
    ]
    for c in CANDIDATES:
        row = _screening_cells(c)
        row[0] = int(NUMBERS[c[1] or c[0]])
        screening.append(row)
    visits: list[list[object]] = [["No. Subjek", "Kunjungan", "T-score L1-L4", "VAS"]]
    for pid in IDS:
        for label, v in VISITS:
            shown: object = DATED[pid] if label == "Bulan 6" and pid in DATED else label
            visits.append([NUMBERS[pid], shown, TSCORE[pid][v], VAS[pid][v]])

    def build(wb):
        sheet(wb, "Skrining", screening)
        ws = sheet(wb, "Kunjungan", visits)
        for cells in ws.iter_rows(min_col=2, max_col=2):
            for cell in cells:
                if isinstance(cell.value, dt.date):
                    cell.number_format = "DD/MM/YYYY"

    return [("data_subjek.xlsx", xlsx(build))]


# the second bundled protocol ------------------------------------------------------------------------------------------


@case(
    "demo_protocol_fixed_and_left_out",
    """fixed:
  hiv: negative                  # every candidate's HIV test was negative (the lab's list, not in this file)
rows:
  leave out:
    - {sheet: Skrining Lutut, row: 21}   # PRP-13 entered again, hepatitis C copied wrong
""",
    # the sample's truths, worked out in tests/corpus/make_trust.py (its DEMO-KOA-PRP case): 17 screened, 8 enrolled,
    # 7 completed (all enrolled but PRP-16, lost after month 1); WOMAC pain baseline -> month 3: PRP-01 -4, 03 -2,
    # 05 0 (dropped), 07 -4, 10 -3, 14 -5, 17 -6 -> 7 pairs, 6 non-zero changes all negative -> p = 2 / 2^6 = 0.03125
    {"screened": 17, "enrolled": 8, "completed": 7, "outcomes": {"womac_pain": (7, 0.03125)}},
    protocol="DEMO-KOA-PRP",
)
def demo_protocol_fixed_and_left_out() -> Files:
    """The second protocol's (DEMO-KOA-PRP) screening log as the knee clinic keeps it: two title rows, Indonesian
    sheet name, no HIV column (the lab's list says every candidate was negative), and PRP-13 entered a second time at
    the bottom (Excel row 21) with hepatitis C "negative" copied wrong; the visits sheet as the sample has it."""
    from openpyxl import load_workbook

    from medpath.protocol import bundled

    sample = load_workbook(bundled()["DEMO-KOA-PRP"].sample)
    screening = [list(r) for r in sample["screening"].iter_rows(values_only=True)]
    hiv = screening[0].index("hiv")
    screening = [r[:hiv] + r[hiv + 1 :] for r in screening]
    again = next(list(r) for r in screening if r[0] == "PRP-13")
    again[screening[0].index("hepatitis_c")] = "negative"
    rows: list[list[object]] = [["Log skrining klinik lutut"], ["Versi lama CRF (tanpa kolom HIV)"], *screening, again]
    visits = [list(r) for r in sample["visits"].iter_rows(values_only=True)]

    def build(wb):
        sheet(wb, "Skrining Lutut", rows)
        sheet(wb, "Kunjungan", visits)

    return [("klinik_lutut.xlsx", xlsx(build))]


def cases() -> list[PrimitiveCase]:
    return list(CASES)


if __name__ == "__main__":
    write_with_profiles(CASES, Path(sys.argv[1]))
