"""Build the trust corpus of issue 23: exports kept the way study teams keep them, each with hand-written truths.

The rule behind it: **MedPath must never show a wrong number without an error beside it.** Every case below is
one export of the invented study (five enrolled patients MSC-01..MSC-05, candidates screened at RSCM Jakarta) as a
coordinator really keeps it, and the headline numbers a careful person reads off the file, written BY HAND in the
case (never computed by MedPath): screened / enrolled / completed (the funnel steps), per primary outcome the pairs
analysed (baseline vs month 6) and the exact two-sided Wilcoxon signed-rank p-value, and the adverse-event counts.
``tests/test_trust_corpus.py`` builds each case in a temporary folder, runs ``medpath summary FILES --json``
in-process and holds every number to: equal to the truth, or ``null`` with at least one error finding.

``PYTHONPATH=tests/corpus python tests/corpus/make_trust.py [DIR]`` writes the files to DIR (default:
tests/corpus/generated_trust/). All data are invented; nothing generated is committed. This module does not import
``make_realistic``: the five patients' numbers are copied from it.

How the p-values are worked out by hand (MedPath's defaults: two-sided, exact, ``zero_method="wilcox"``, i.e. a
zero change is dropped before ranking; ``n_pairs`` still counts it). With ``m`` non-zero changes that all have the
same sign, W+ is either 0 or its maximum m(m+1)/2; of the 2^m equally likely sign assignments exactly one gives
W+ = 0 and one gives the maximum (ties among the |changes| only share midranks, which are all >= 1, so no other
assignment reaches either extreme), hence two-sided p = 2 / 2^m: m = 3 -> 0.25, m = 4 -> 0.125, m = 5 -> 0.0625,
m = 6 -> 0.03125.
"""

from __future__ import annotations

import csv as _csv
import io
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from openpyxl.worksheet.filters import AutoFilter, FilterColumn, Filters
from openpyxl.worksheet.table import Table, TableStyleInfo

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent

Files = list[tuple[str, bytes]]


class _NotDeterminable:
    """The truth of a number the file does not determine: MedPath must show null beside an error."""

    def __repr__(self) -> str:
        return "NOT_DETERMINABLE"


#: A truth meaning "this number cannot be read off the file": only null with an error passes.
NOT_DETERMINABLE: Any = _NotDeterminable()

# --- the invented study (copied from tests/corpus/make_realistic.py) ----------------------------------------

IDS = ["MSC-01", "MSC-02", "MSC-03", "MSC-04", "MSC-05"]
#: spine (L1-L4) T-score and VAS at baseline, month 3 and month 6
TSCORE = {
    "MSC-01": (-3.1, -3.0, -2.8),
    "MSC-02": (-2.7, -2.7, -2.6),
    "MSC-03": (-3.4, -3.2, -3.0),
    "MSC-04": (-2.9, -2.9, -2.9),
    "MSC-05": (-3.6, -3.4, -3.2),
}
VAS = {"MSC-01": (7, 5, 4), "MSC-02": (6, 4, 3), "MSC-03": (8, 6, 5), "MSC-04": (5, 5, 5), "MSC-05": (7, 4, 2)}

# Baseline -> month 6 changes of the five (the hand arithmetic every "standard" truth below rests on):
#   T-score: MSC-01 -3.1 -> -2.8 = +0.3; MSC-02 -2.7 -> -2.6 = +0.1; MSC-03 -3.4 -> -3.0 = +0.4;
#            MSC-04 -2.9 -> -2.9 = 0 (dropped); MSC-05 -3.6 -> -3.2 = +0.4.
#            n_pairs 5, m = 4 non-zero, all positive -> p = 2/16 = 0.125.
#   VAS:     MSC-01 7 -> 4 = -3; MSC-02 6 -> 3 = -3; MSC-03 8 -> 5 = -3; MSC-04 5 -> 5 = 0 (dropped);
#            MSC-05 7 -> 2 = -5.  n_pairs 5, m = 4 non-zero, all negative -> p = 2/16 = 0.125.
STANDARD_OUTCOMES = {"bmd_tscore": (5, 0.125), "vas": (5, 0.125)}

#: (screening code, subject id or None, sex, age, screening T-score, reason not enrolled or None)
CANDIDATES = [
    ("SKR-001", "MSC-01", "P", 62, -3.0, None),
    ("SKR-002", None, "P", 38, -2.8, "age"),
    ("SKR-003", "MSC-02", "P", 55, -2.6, None),
    ("SKR-004", None, "L", 58, -1.8, "t-score"),
    ("SKR-005", "MSC-03", "P", 67, -3.3, None),
    ("SKR-006", None, "P", 71, -3.1, "steroid"),
    ("SKR-007", "MSC-04", "P", 59, -2.9, None),
    ("SKR-008", None, "P", 64, -2.7, "hbsag"),
    ("SKR-009", "MSC-05", "P", 70, -3.5, None),
    ("SKR-010", None, "P", 66, -3.2, "consent"),
]

HISTORY = [
    "Riwayat autoimun",
    "Penyakit terkait osteoporosis",
    "Obat osteoporosis",
    "Imunosupresan",
    "Antikoagulan",
    "Kortikosteroid",
    "Kelumpuhan pasca operasi",
]
TESTS = ["HBsAg", "Anti HIV", "CMV IgM", "Rubella IgM", "Toksoplasma IgM"]
#: the reason of a screen failure -> the history item or test it sets
_HISTORY_REASON = {"steroid": "Kortikosteroid", "anticoagulant": "Antikoagulan"}
_TEST_REASON = {"hbsag": "HBsAg", "hiv": "Anti HIV"}


def candidate_id(candidate) -> str:
    """The id a screening log shows: the subject id once enrolled, else the screening code."""
    return candidate[1] or candidate[0]


def history_cells(reason: str | None) -> list[object]:
    return ["Ya" if _HISTORY_REASON.get(reason or "") == name else "Tidak" for name in HISTORY]


def infection_cells(reason: str | None) -> list[object]:
    return ["Positif" if _TEST_REASON.get(reason or "") == name else "Negatif" for name in TESTS]


def consent_cell(reason: str | None) -> str:
    return "Menolak" if reason == "consent" else "Ya"


def screening_header(sex="Jenis kelamin", age="Umur", tests=True, enrolled="Terdaftar") -> list[object]:
    return [
        "Kode Pasien",
        sex,
        age,
        "T-score skrining",
        *HISTORY,
        *(TESTS if tests else []),
        "Informed consent",
        enrolled,
    ]


def screening_row(candidate, *, tests=True, enrolled: object = None, pid: object = None) -> list[object]:
    """One candidate's screening row under ``screening_header`` (``enrolled``: the cell, default Ya/Tidak)."""
    _, subject, sex, age, tscore, reason = candidate
    return [
        candidate_id(candidate) if pid is None else pid,
        sex,
        age,
        tscore,
        *history_cells(reason),
        *(infection_cells(reason) if tests else []),
        consent_cell(reason),
        ("Ya" if subject else "Tidak") if enrolled is None else enrolled,
    ]


def screening_rows(candidates=CANDIDATES, **header) -> list[list[object]]:
    tests = header.get("tests", True)
    return [screening_header(**header), *(screening_row(c, tests=tests) for c in candidates)]


def visit_rows(
    ids: Sequence[str] = IDS,
    labels: Sequence[tuple[str, int]] = (("Baseline", 0), ("Bulan 3", 1), ("Bulan 6", 2)),
    header: Sequence[str] = ("Kode Pasien", "Kunjungan", "T-score L1-L4", "VAS"),
) -> list[list[object]]:
    """The long visits table (one row per patient and visit) of the five."""
    rows: list[list[object]] = [list(header)]
    for pid in ids:
        for label, k in labels:
            rows.append([pid, label, TSCORE[pid][k], VAS[pid][k]])
    return rows


# --- writing files ------------------------------------------------------------------------------------------


def xlsx(build: Callable[[Workbook], None]) -> bytes:
    workbook = Workbook()
    workbook.remove(workbook.active)
    build(workbook)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def sheet(workbook: Workbook, title: str, rows: Sequence[Sequence[object]]):
    ws = workbook.create_sheet(title)
    for row in rows:
        ws.append(list(row))
    return ws


def csv(rows: Sequence[Sequence[object]], delimiter: str = ",") -> bytes:
    text = io.StringIO()
    _csv.writer(text, delimiter=delimiter).writerows([["" if v is None else v for v in r] for r in rows])
    return text.getvalue().encode("utf-8")


def standard_workbook(extra: Callable[[Workbook], None] | None = None) -> bytes:
    """Sheets "Skrining" and "Kunjungan" as the template's users keep them, plus whatever ``extra`` adds."""

    def build(wb):
        sheet(wb, "Skrining", screening_rows())
        sheet(wb, "Kunjungan", visit_rows())
        if extra:
            extra(wb)

    return xlsx(build)


# --- the cases ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TrustCase:
    """One export and the numbers a careful person reads off it.

    ``truth`` keys: "screened", "enrolled", "completed" (funnel steps); "outcomes": {outcome key: (n_pairs,
    two-sided exact Wilcoxon p)}; "adverse_events": {"events", "patients", "serious"}. A value may be
    ``NOT_DETERMINABLE``. A number not listed is not asserted.
    """

    name: str
    what: str
    files: Callable[[], Files]
    truth: dict[str, Any]
    #: the expected exit code where it is obvious (None: 0 or 2 both defensible)
    exit_code: int | None = None
    protocol: str | None = None
    #: the name of the file in ``files()`` given as ``--mapping`` (not as a data file)
    mapping: str | None = None


CASES: list[TrustCase] = []


def case(name: str, truth: dict[str, Any], *, exit_code: int | None = None, protocol=None, mapping=None):
    """Register the decorated file builder as a case; its docstring describes the export."""

    def register(build: Callable[[], Files]) -> Callable[[], Files]:
        what = " ".join((build.__doc__ or "").split())
        CASES.append(TrustCase(name, what, build, truth, exit_code, protocol, mapping))
        return build

    return register


# 1 ----------------------------------------------------------------------------------------------------------

#: Jakarta's 12 candidates: the ten of the study and two more screen failures
JAKARTA = [
    *CANDIDATES,
    ("SKR-011", None, "L", 49, -3.0, "age"),  # a man of 49: not older than 50
    ("SKR-012", None, "P", 60, -2.9, "anticoagulant"),
]
#: Bandung's 7 candidates (the sister protocol): four enrolled
BANDUNG = [
    ("BDG-01", "BDG-01", "P", 61, -2.9, None),
    ("BDG-02", "BDG-02", "P", 57, -3.1, None),
    ("BDG-03", "BDG-03", "L", 66, -2.7, None),
    ("BDG-04", "BDG-04", "P", 63, -3.0, None),
    ("BDG-05", None, "P", 35, -2.6, "age"),
    ("BDG-06", None, "P", 58, -1.5, "t-score"),
    ("BDG-07", None, "P", 69, -3.3, "consent"),
]
#: Bandung's outcomes (baseline, month 3, month 6): T-scores falling and VAS rising, so pooling moves every result
BANDUNG_TSCORE = {"BDG-01": (-2.8, -2.9, -3.0), "BDG-02": (-3.2, -3.3, -3.5), "BDG-03": (-2.6, -2.7, -2.7)}
BANDUNG_TSCORE["BDG-04"] = (-3.0, -3.0, -3.1)
BANDUNG_VAS = {"BDG-01": (6, 6, 7), "BDG-02": (5, 6, 6), "BDG-03": (7, 7, 8), "BDG-04": (4, 5, 5)}


@case(
    "01_two_hospital_tracker",
    {
        "screened": 12,  # Jakarta rows only; 12 + 7 = 19 pools the sister protocol
        "enrolled": 5,
        "completed": 4,  # MSC-02 dropped out after month 3
        # Jakarta completers MSC-01, 03, 04, 05:
        #   T-score +0.3, +0.4, 0 (MSC-04, dropped), +0.4 -> n_pairs 4, m = 3 all positive -> p = 2/8 = 0.25
        #   VAS     -3,   -3,   0 (MSC-04, dropped), -5   -> n_pairs 4, m = 3 all negative -> p = 2/8 = 0.25
        "outcomes": {"bmd_tscore": (4, 0.25), "vas": (4, 0.25)},
    },
)
def two_hospital_tracker() -> Files:
    """One tracker for two hospitals: sheets "Screening" and "Follow-up", each with a "Site" column holding
    "RSCM Jakarta" or "RSHS Bandung". The trial is the Jakarta study; Bandung runs a sister protocol with the same
    CRF and keeps its rows in the same workbook. Jakarta screened 12, enrolled 5, 4 completed month 6 (MSC-02
    dropped out after month 3); Bandung screened 7, enrolled 4, all 4 completed."""
    screening: list[list[object]] = [["Site", *screening_header()]]
    screening += [["RSCM Jakarta", *screening_row(c)] for c in JAKARTA]
    screening += [["RSHS Bandung", *screening_row(c)] for c in BANDUNG]
    follow_up: list[list[object]] = [["Site", "Kode Pasien", "Kunjungan", "T-score L1-L4", "VAS"]]
    labels = (("Baseline", 0), ("Bulan 3", 1), ("Bulan 6", 2))
    for pid in IDS:
        for label, k in labels:
            if pid == "MSC-02" and k == 2:
                continue  # dropped out after month 3
            follow_up.append(["RSCM Jakarta", pid, label, TSCORE[pid][k], VAS[pid][k]])
    for pid in BANDUNG_TSCORE:
        for label, k in labels:
            follow_up.append(["RSHS Bandung", pid, label, BANDUNG_TSCORE[pid][k], BANDUNG_VAS[pid][k]])

    def build(wb):
        sheet(wb, "Screening", screening)
        sheet(wb, "Follow-up", follow_up)

    return [("tracker_2_rs.xlsx", xlsx(build))]


# 2 ----------------------------------------------------------------------------------------------------------


@case("02_sex_age_short_local_headers", {"screened": 10, "enrolled": 5, "completed": 5, "outcomes": STANDARD_OUTCOMES})
def sex_age_short_headers() -> Files:
    """A screening form typed by the research nurse: sex in a column headed "L/P" (laki-laki / perempuan, values
    L and P) and age in "Umur (th)" (years), the other columns in Indonesian; visits in a long sheet. Ten
    candidates, five enrolled, all five measured at month 6."""

    def build(wb):
        sheet(wb, "Skrining", screening_rows(sex="L/P", age="Umur (th)"))
        sheet(wb, "Kunjungan", visit_rows())

    return [("skrining_lp_umur.xlsx", xlsx(build))]


# 3 ----------------------------------------------------------------------------------------------------------


@case(
    "03_legacy_without_infection_tests",
    {"screened": 10, "enrolled": 5, "completed": 5, "outcomes": STANDARD_OUTCOMES},
)
def legacy_without_tests() -> Files:
    """The first year's screening file, made before the infection tests were added to the CRF: no HBsAg / HIV /
    CMV / Rubella / Toxoplasma columns at all (the results are in the lab system). The team enrolled five; whether
    they had an active infection cannot be checked from this file, but they were enrolled."""

    def build(wb):
        sheet(wb, "Skrining", screening_rows(tests=False))
        sheet(wb, "Kunjungan", visit_rows())

    return [("skrining_lama_tanpa_tes.xlsx", xlsx(build))]


# 4 ----------------------------------------------------------------------------------------------------------

_INITIALS = ["S.W.", "R.A.", "N.H.", "B.S.", "E.K.", "M.T.", "D.P.", "Y.L.", "T.R.", "A.M."]
_FAILURE_VAS = {"SKR-002": 6, "SKR-004": 4, "SKR-006": 8, "SKR-008": 5, "SKR-010": 7}


@case(
    "04_one_wide_sheet_per_candidate",
    {
        "screened": 10,
        "enrolled": 5,
        "completed": 5,
        # the screening DXA is the baseline DXA: the enrolled rows hold the five's baseline T-scores, so the
        # changes are the standard ones (n_pairs 5, p 0.125 each); screen failures have no month-6 values
        "outcomes": STANDARD_OUTCOMES,
    },
)
def one_wide_sheet() -> Files:
    """One sheet, one row per screened candidate, as a coordinator keeps a small study: No, the candidate's
    initials, sex, age, the criteria, the screening DXA T-score (which is also the baseline DXA of those enrolled),
    the baseline VAS, the month-6 T-score and VAS, and "Enrolled (Y/N)". Screen failures have the baseline
    values but nothing at month 6."""
    header: list[object] = [
        "No",
        "Inisial",
        "JK",
        "Umur",
        *HISTORY,
        *TESTS,
        "Informed consent",
        "T-score DXA skrining/awal",
        "VAS awal",
        "T-score bulan 6",
        "VAS bulan 6",
        "Enrolled (Y/N)",
    ]
    rows: list[list[object]] = [header]
    for i, candidate in enumerate(CANDIDATES):
        code, subject, sex, age, tscore, reason = candidate
        if subject:
            values = [TSCORE[subject][0], VAS[subject][0], TSCORE[subject][2], VAS[subject][2], "Y"]
        else:
            values = [tscore, _FAILURE_VAS[code], None, None, "N"]
        cells = [i + 1, _INITIALS[i], sex, age, *history_cells(reason), *infection_cells(reason), consent_cell(reason)]
        rows.append(cells + values)
    return [("data_penelitian.xlsx", xlsx(lambda wb: sheet(wb, "Data Pasien", rows)))]


# 5 ----------------------------------------------------------------------------------------------------------


@case(
    "05_table_with_autofilter_left_applied",
    {"screened": 10, "enrolled": 5, "completed": 5, "outcomes": STANDARD_OUTCOMES},
)
def table_with_filter() -> Files:
    """The screening log is an Excel Table (Insert > Table) with a Total Row (=SUBTOTAL(103, ...), the count of
    candidates) and an AutoFilter on "Terdaftar" left set to "Ya", so the 5 screen failures are hidden rows; the
    visits sheet has an AutoFilter on "Kunjungan" left hiding every "Bulan 3" row. Hidden by a filter is not
    deleted: 10 candidates were screened. The Total Row is not a candidate."""
    rows = screening_rows()
    header = rows[0]
    enrolled_col = header.index("Terdaftar")
    last_col = len(header)

    def letter(n: int) -> str:
        from openpyxl.utils import get_column_letter

        return get_column_letter(n)

    def build(wb):
        ws = sheet(wb, "Skrining", rows)
        total_row = len(rows) + 1
        ws.cell(total_row, 1, "Total")  # the Total Row's label sits in the first column, the patient id's
        ws.cell(total_row, enrolled_col + 1, "=SUBTOTAL(103,tblSkrining[Terdaftar])")
        ref = f"A1:{letter(last_col)}{total_row}"
        table = Table(displayName="tblSkrining", ref=ref, totalsRowCount=1)
        table.tableStyleInfo = TableStyleInfo(name="TableStyleMedium2", showRowStripes=True)
        table._initialise_columns()
        table.tableColumns[0].totalsRowLabel = "Total"
        table.tableColumns[enrolled_col].totalsRowFunction = "count"
        table.autoFilter = AutoFilter(
            ref=f"A1:{letter(last_col)}{total_row - 1}",
            filterColumn=[FilterColumn(colId=enrolled_col, filters=Filters(filter=["Ya"]))],
        )
        ws.add_table(table)
        for excel_row, row in enumerate(rows[1:], start=2):
            if row[enrolled_col] != "Ya":
                ws.row_dimensions[excel_row].hidden = True

        visits = visit_rows()
        wv = sheet(wb, "Kunjungan", visits)
        wv.auto_filter.ref = f"A1:D{len(visits)}"
        wv.auto_filter.add_filter_column(1, ["Baseline", "Bulan 6"])
        for excel_row, row in enumerate(visits[1:], start=2):
            if row[1] == "Bulan 3":
                wv.row_dimensions[excel_row].hidden = True

    return [("skrining_tabel_filter.xlsx", xlsx(build))]


# 6 ----------------------------------------------------------------------------------------------------------

#: the six adverse events of four patients, one serious (the truth of every AE case below):
#: (patient, term, onset month, CTCAE grade, serious, relatedness, outcome)
EVENTS = [
    ("MSC-01", "Demam", 0, 1, "Tidak", "probable", "recovered"),
    ("MSC-01", "Nyeri tempat infus", 0, 1, "Tidak", "definite", "recovered"),
    ("MSC-02", "Demam", 0, 1, "Tidak", "probable", "recovered"),
    ("MSC-03", "Nyeri punggung", 3, 2, "Tidak", "unlikely", "recovered"),
    ("MSC-05", "Pneumonia", 4, 3, "Ya", "unrelated", "recovered"),
    ("MSC-05", "Sakit kepala", 1, 1, "Tidak", "possible", "recovered"),
]
# events 6 (six rows); patients 4 (MSC-01, MSC-02, MSC-03, MSC-05); serious 1 (the pneumonia)
AE_TRUTH = {"events": 6, "patients": 4, "serious": 1}


# 0: controls -------------------------------------------------------------------------------------------------
# The plain shapes the README documents, built with the same helpers as every case: they pass today, so a failing
# case fails because of its shape, not because of the corpus's own study.


@case(
    "00a_control_plain_workbook",
    {"screened": 10, "enrolled": 5, "completed": 5, "outcomes": STANDARD_OUTCOMES},
    exit_code=0,
)
def control_plain() -> Files:
    """Control: sheets "Skrining" (one row per candidate, the alias table's Indonesian headers, ten candidates,
    five enrolled) and "Kunjungan" (long: Kode Pasien, Kunjungan Baseline / Bulan 3 / Bulan 6, T-score L1-L4,
    VAS) for the five."""
    return [("kontrol.xlsx", standard_workbook())]


@case(
    "00b_control_adverse_events_english",
    {"screened": 10, "enrolled": 5, "completed": 5, "outcomes": STANDARD_OUTCOMES, "adverse_events": AE_TRUTH},
    exit_code=0,
)
def control_adverse_events() -> Files:
    """Control: the plain workbook plus an "Adverse events" sheet with the README's column names (Patient ID, Term,
    Onset month, Grade, Serious, Relatedness, Outcome): 6 events in 4 patients, 1 serious."""

    def extra(wb):
        rows: list[list[object]] = [["Patient ID", "Term", "Onset month", "Grade", "Serious", "Relatedness"]]
        rows[0].append("Outcome")
        rows += [list(event) for event in EVENTS]
        sheet(wb, "Adverse events", rows)

    return [("kontrol_ae.xlsx", standard_workbook(extra))]


@case(
    "06a_adverse_events_unreadable_sheet",
    {"screened": 10, "enrolled": 5, "completed": 5, "outcomes": STANDARD_OUTCOMES, "adverse_events": AE_TRUTH},
)
def ae_unreadable() -> Files:
    """An "Efek Samping" sheet whose patient column is headed "Responden" (a questionnaire word nobody maps to a
    patient id) and without a grade column (the team never graded): 6 events in 4 patients, 1 serious, as anyone
    counting the rows sees."""

    def extra(wb):
        rows: list[list[object]] = [["Responden", "Kejadian", "Bulan", "Serius", "Hubungan", "Luaran"]]
        rows += [[p, term, month, serious, rel, out] for p, term, month, _, serious, rel, out in EVENTS]
        sheet(wb, "Efek Samping", rows)

    return [("studi_dengan_efek_samping.xlsx", standard_workbook(extra))]


@case(
    "06b_adverse_events_indonesian_headers",
    {"screened": 10, "enrolled": 5, "completed": 5, "outcomes": STANDARD_OUTCOMES, "adverse_events": AE_TRUTH},
)
def ae_indonesian() -> Files:
    """An adverse-event sheet ("KTD", kejadian tidak diinginkan) with the CRF's Indonesian headers: "Kode Pasien",
    "Kejadian", "Bulan ke", "Derajat" (the CTCAE grade), "Serius (Ya/Tidak)" holding Ya / Tidak, "Hubungan dengan MSC",
    "Luaran". One of the six events (MSC-05's pneumonia) is serious."""

    def extra(wb):
        rows: list[list[object]] = [
            ["Kode Pasien", "Kejadian", "Bulan ke", "Derajat", "Serius (Ya/Tidak)", "Hubungan dengan MSC"]
        ]
        rows[0].append("Luaran")
        rows += [list(event) for event in EVENTS]
        sheet(wb, "KTD", rows)

    return [("studi_ktd.xlsx", standard_workbook(extra))]


@case(
    "06c_adverse_events_total_row",
    {"screened": 10, "enrolled": 5, "completed": 5, "outcomes": STANDARD_OUTCOMES, "adverse_events": AE_TRUTH},
)
def ae_total_row() -> Files:
    """An "Adverse events" list with the team's total under it: a row whose patient cell is "Total" and whose
    event column holds the count 6. Six events, not seven."""

    def extra(wb):
        rows: list[list[object]] = [["No", "Patient ID", "Event", "Onset month", "Grade", "Serious"]]
        rows[0] += ["Relatedness", "Outcome"]
        rows += [[i + 1, *event] for i, event in enumerate(EVENTS)]
        rows.append([None, "Total", 6, None, None, None, None, None])
        sheet(wb, "Adverse events", rows)

    return [("studi_ae_total.xlsx", standard_workbook(extra))]


# 7 ----------------------------------------------------------------------------------------------------------

DEMO_SAMPLE = REPO / "medpath" / "sample" / "demo_knee_prp_study.xlsx"


@case(
    "07_demo_protocol_with_profile",
    {
        # Read by hand from the cells of medpath/sample/demo_knee_prp_study.xlsx (openpyxl dump):
        # screening: 17 rows PRP-01..PRP-17 -> screened 17.
        # enrolled "yes": PRP-01, 03, 05, 07, 10, 14, 16, 17 = 8; each meets every criterion (age >= 45: youngest
        #   enrolled PRP-05 is 45; KL 2-3; BMI <= 40: PRP-07 is exactly 40; no history; HIV/HCV negative; signed),
        #   so the sequential funnel's "enrolled" is 8.
        # completed (a month-3 WOMAC value): all enrolled but PRP-16 (baseline and month 1 only, lost) -> 7.
        # WOMAC pain baseline -> month 3: PRP-01 12->8 = -4; 03 11->9 = -2; 05 9->9 = 0 (dropped); 07 14->10 = -4;
        #   10 13->10 = -3; 14 10->5 = -5; 17 15->9 = -6 -> n_pairs 7, m = 6 all negative -> p = 2/64 = 0.03125.
        # adverse_events: 7 rows; patients PRP-01, 03, 07, 14, 16, 17 = 6; serious "yes": PRP-17's atrial
        #   fibrillation only = 1.
        "screened": 17,
        "enrolled": 8,
        "completed": 7,
        "outcomes": {"womac_pain": (7, 0.03125)},
        "adverse_events": {"events": 7, "patients": 6, "serious": 1},
    },
    exit_code=0,  # the sample reads without an error; a profile naming the protocol's own field must not be refused
    protocol="DEMO-KOA-PRP",
    mapping="p.yaml",
)
def demo_protocol_profile() -> Files:
    """The second bundled protocol's own sample (DEMO-KOA-PRP, WOMAC pain at month 3) given with a one-line mapping
    profile that maps its "womac_pain" column to the protocol's own field womac_pain: what a team on that
    protocol saves from the Data page's mapping step. The profile changes nothing, so the numbers are the
    sample's."""
    profile = b"columns:\n  womac_pain: womac_pain\n"
    return [("demo_knee_prp_study.xlsx", DEMO_SAMPLE.read_bytes()), ("p.yaml", profile)]


# 8 ----------------------------------------------------------------------------------------------------------


@case(
    "08_duplicate_patient_visit_rows",
    {
        "screened": 10,
        "enrolled": 5,
        "completed": 5,  # MSC-03 was measured at month 6 whichever entry is right
        "outcomes": {
            # both MSC-03 month-6 rows say T-score -3.0: the T-score is not in doubt -> standard n 5, p 0.125
            "bmd_tscore": (5, 0.125),
            # MSC-03's month-6 VAS is 5 or 6: five patients have a pair either way (n_pairs 5), but which change
            # (-3 or -2) is MSC-03's cannot be read off the file, so MedPath must not pick one: the p-value (and
            # the estimate beside it) must be null with an error. (With these numbers the exact p would be 0.125
            # under either entry -- changes -3,-3,-3,0,-5 or -3,-3,-2,0,-5, m = 4 all negative -- but the median
            # change and the Hodges-Lehmann estimate differ, and a p computed on an entry MedPath picked is still a
            # guess: the rule of issue 23 is that the result of an ambiguous pair is not determinable.)
            "vas": (5, NOT_DETERMINABLE),
        },
    },
    exit_code=2,  # two different values for one patient and visit: an error to resolve
)
def duplicate_visit_rows() -> Files:
    """A visits sheet where MSC-03's month-6 visit was typed in twice, once from the paper CRF (VAS 5) and once
    from the nurse's notes (VAS 6); the T-score is -3.0 in both rows."""

    def build(wb):
        rows = visit_rows()
        at = next(i for i, r in enumerate(rows) if r[0] == "MSC-03" and r[1] == "Bulan 6")
        rows.insert(at + 1, ["MSC-03", "Bulan 6", -3.0, 6])
        sheet(wb, "Skrining", screening_rows())
        sheet(wb, "Kunjungan", rows)

    return [("kunjungan_dobel.xlsx", xlsx(build))]


# 9 ----------------------------------------------------------------------------------------------------------


@case(
    "09_screen_failures_with_visit_values",
    {
        "screened": 10,
        "enrolled": 5,
        "completed": 5,
        # over the five enrolled only: the standard n 5, p 0.125 each (SKR-006 and SKR-008 are not patients)
        "outcomes": STANDARD_OUTCOMES,
    },
)
def screen_failures_in_visits() -> Files:
    """The visits sheet also holds baseline and month-6 rows for two candidates the screening log says were NOT
    enrolled (SKR-006 on corticosteroids, SKR-008 HBsAg positive): the DXA unit measured them for the hospital's
    own follow-up and the coordinator pasted the whole DXA list in."""

    def build(wb):
        rows = visit_rows()
        rows += [
            ["SKR-006", "Baseline", -3.1, 6],
            ["SKR-006", "Bulan 6", -3.3, 7],
            ["SKR-008", "Baseline", -2.7, 5],
            ["SKR-008", "Bulan 6", -2.9, 6],
        ]
        sheet(wb, "Skrining", screening_rows())
        sheet(wb, "Kunjungan", rows)

    return [("kunjungan_dengan_gagal_skrining.xlsx", xlsx(build))]


# 10: shapes no issue names --------------------------------------------------------------------------------------


@case("10a_title_block_and_notes_row", {"screened": 10, "enrolled": 5, "completed": 5, "outcomes": STANDARD_OUTCOMES})
def title_block_and_notes_row() -> Files:
    """Both sheets start with a merged, centred title block (study name, hospital and period over the whole
    width, then an empty row), then the header, then a row of filling instructions under the header ("(kode)",
    "(L/P)", "(tahun)", "(SD)", "(Ya/Tidak)", "(0-10)") before the data."""
    screening = screening_rows()
    width = len(screening[0])
    notes = ["(kode)", "(L/P)", "(tahun)", "(SD)", *["(Ya/Tidak)"] * len(HISTORY), *["(Pos/Neg)"] * len(TESTS)]
    notes += ["(Ya/Menolak)", "(Ya/Tidak)"]
    visits = visit_rows()
    visit_notes = ["(kode)", "(Baseline/Bulan 3/Bulan 6)", "(SD)", "(0-10)"]

    def titled(wb, title, rows, note, columns):
        ws = wb.create_sheet(title)
        ws.append(["PENELITIAN SEL PUNCA TALI PUSAT PADA OSTEOPOROSIS (NCT04501354)"])
        ws.append(["RSCM Jakarta - periode Januari s/d Desember 2021"])
        ws.append([])
        ws.append(rows[0])
        ws.append(note)
        for row in rows[1:]:
            ws.append(row)
        for r in (1, 2):
            ws.merge_cells(start_row=r, start_column=1, end_row=r, end_column=columns)
            ws.cell(r, 1).alignment = Alignment(horizontal="center")
            ws.cell(r, 1).font = Font(bold=True)

    def build(wb):
        titled(wb, "Skrining", screening, notes, width)
        titled(wb, "Kunjungan", visits, visit_notes, 4)

    return [("log_dengan_judul.xlsx", xlsx(build))]


_BASELINE_WORDS = {"MSC-01": "Baseline", "MSC-02": "Awal", "MSC-03": "M0", "MSC-04": "Bulan 0", "MSC-05": "Baseline"}
_MONTH3_WORDS = {"MSC-01": "Bulan 3", "MSC-02": "M3", "MSC-03": "3 bln", "MSC-04": "Bln 3", "MSC-05": "bulan ke-3"}
_MONTH6_WORDS = {"MSC-01": "Bulan 6", "MSC-02": "M6", "MSC-03": "6 bln", "MSC-04": "Bln 6", "MSC-05": "bulan ke-6"}
_DATES = {
    "MSC-01": ("14/01/2021", "15/04/2021", "15/07/2021"),
    "MSC-02": ("03/02/2021", "02/05/2021", "01/08/2021"),
    "MSC-03": ("20/02/2021", "26/05/2021", "25/08/2021"),
    "MSC-04": ("11/03/2021", "09/06/2021", "03/09/2021"),
    "MSC-05": ("02/04/2021", "03/07/2021", "03/10/2021"),
}


@case(
    "10b_mixed_month_words_and_text_dates",
    {"screened": 10, "enrolled": 5, "completed": 5, "outcomes": STANDARD_OUTCOMES},
)
def mixed_month_words() -> Files:
    """A visits sheet typed by three people over a year: the visit written "Baseline" / "Awal" / "M0" / "Bulan 0"
    and "Bulan 6" / "M6" / "6 bln" / "Bln 6" / "bulan ke-6" (and the same for month 3), with the visit date typed
    as text "15/07/2021" (day first) in "Tgl kunjungan". Every label is plainly baseline, month 3 or month 6."""
    rows: list[list[object]] = [["Kode Pasien", "Kunjungan", "Tgl kunjungan", "T-score L1-L4", "VAS"]]
    for pid in IDS:
        for k, words in enumerate((_BASELINE_WORDS, _MONTH3_WORDS, _MONTH6_WORDS)):
            rows.append([pid, words[pid], _DATES[pid][k], TSCORE[pid][k], VAS[pid][k]])

    def build(wb):
        sheet(wb, "Skrining", screening_rows())
        sheet(wb, "Kunjungan", rows)

    return [("kunjungan_label_campur.xlsx", xlsx(build))]


def _comma(value: float) -> str:
    return f"{value:.1f}".replace(".", ",")


@case(
    "10c_csv_semicolons_comma_decimals_id_spelling",
    {"screened": 10, "enrolled": 5, "completed": 5, "outcomes": STANDARD_OUTCOMES},
)
def csv_id_spelling() -> Files:
    """Two CSV files saved from an Indonesian-locale Excel (semicolons, decimal commas: "-2,8"): the screening log
    writes the subject ids "MSC 01" (with a space, as on the consent forms), the visits file "MSC-01" (as on
    the DXA reports). They are the same five patients."""
    screening = screening_rows()
    for row in screening[1:]:
        if str(row[0]).startswith("MSC-"):
            row[0] = str(row[0]).replace("-", " ")
        row[3] = _comma(float(str(row[3])))
    visits = visit_rows()
    for row in visits[1:]:
        row[2] = _comma(float(str(row[2])))
    return [("skrining.csv", csv(screening, ";")), ("kunjungan.csv", csv(visits, ";"))]


@case(
    "10d_dropout_comment_with_carried_forward_values",
    {
        "screened": 10,
        "enrolled": 5,
        "completed": 4,  # MSC-02 was not measured at month 6
        # MSC-01, 03, 04, 05 (MSC-02's "month 6" values are its month-3 values carried forward, not a measurement):
        #   T-score +0.3, +0.4, 0 (dropped), +0.4 -> n_pairs 4, m = 3 all positive -> p = 2/8 = 0.25
        #   VAS     -3,   -3,   0 (dropped), -5   -> n_pairs 4, m = 3 all negative -> p = 2/8 = 0.25
        "outcomes": {"bmd_tscore": (4, 0.25), "vas": (4, 0.25)},
    },
)
def dropout_comment() -> Files:
    """A visits sheet with a "Keterangan" (remarks) column. MSC-02 dropped out in month 4; the coordinator filled
    its month-6 row by carrying the month-3 values forward (LOCF, as a statistician once asked) and wrote
    "drop out bln 4, data LOCF" in the remarks. Month 6 was not measured for MSC-02."""
    rows: list[list[object]] = [["Kode Pasien", "Kunjungan", "T-score L1-L4", "VAS", "Keterangan"]]
    for pid in IDS:
        for label, k in (("Baseline", 0), ("Bulan 3", 1), ("Bulan 6", 2)):
            if pid == "MSC-02" and k == 2:
                rows.append([pid, label, TSCORE[pid][1], VAS[pid][1], "drop out bln 4, data LOCF"])
            else:
                rows.append([pid, label, TSCORE[pid][k], VAS[pid][k], None])

    def build(wb):
        sheet(wb, "Skrining", screening_rows())
        sheet(wb, "Kunjungan", rows)

    return [("kunjungan_keterangan.xlsx", xlsx(build))]


@case(
    "10e_status_column_with_drop_out",
    {
        "screened": 10,
        "enrolled": 5,  # the drop-out was enrolled
        "completed": 4,  # MSC-05 has no month-6 row
        # MSC-01..MSC-04:
        #   T-score +0.3, +0.1, +0.4, 0 (dropped) -> n_pairs 4, m = 3 all positive -> p = 2/8 = 0.25
        #   VAS     -3,   -3,   -3,   0 (dropped) -> n_pairs 4, m = 3 all negative -> p = 2/8 = 0.25
        "outcomes": {"bmd_tscore": (4, 0.25), "vas": (4, 0.25)},
    },
)
def status_column() -> Files:
    """The screening log has no yes/no "enrolled" column but a "Status" column the coordinator keeps up to date:
    "Inklusi" (in the study), "Tidak memenuhi kriteria" (screen failure), "Menolak" (declined), and "Drop out"
    for MSC-05, who was enrolled and infused and left after month 3."""
    status = {None: "Inklusi", "consent": "Menolak"}
    rows: list[list[object]] = [screening_header(enrolled="Status")]
    for candidate in CANDIDATES:
        reason = candidate[5]
        cell = "Drop out" if candidate[1] == "MSC-05" else status.get(reason, "Tidak memenuhi kriteria")
        rows.append(screening_row(candidate, enrolled=cell))
    visits = visit_rows()
    visits = [r for r in visits if not (r[0] == "MSC-05" and r[1] == "Bulan 6")]

    def build(wb):
        sheet(wb, "Skrining", rows)
        sheet(wb, "Kunjungan", visits)

    return [("skrining_status.xlsx", xlsx(build))]


@case("10f_sheet_per_visit_short_names", {"screened": 10, "enrolled": 5, "completed": 5, "outcomes": STANDARD_OUTCOMES})
def sheet_per_visit() -> Files:
    """The screening log, then one sheet per visit named as the DXA nurse names her folders: "Baseline", "M3",
    "6 bln"; each with Kode Pasien, T-score, VAS for the five."""

    def build(wb):
        sheet(wb, "Skrining", screening_rows())
        for title, k in (("Baseline", 0), ("M3", 1), ("6 bln", 2)):
            sheet(wb, title, [["Kode Pasien", "T-score", "VAS"], *([p, TSCORE[p][k], VAS[p][k]] for p in IDS)])

    return [("per_kunjungan.xlsx", xlsx(build))]


def cases() -> list[TrustCase]:
    """Every case, in the order of their names (controls first)."""
    return sorted(CASES, key=lambda c: c.name)


def write_with_profiles(profiled_cases, folder: Path) -> None:
    """Write the files of cases that carry a mapping profile (``name``, ``files()``, ``profile``) into ``folder``, each
    case's profile beside them as ``<case>.yaml`` (the corpora of the profile and layout primitives)."""
    folder.mkdir(parents=True, exist_ok=True)
    for c in profiled_cases:
        for name, data in c.files():
            (folder / name).write_bytes(data)
        (folder / f"{c.name}.yaml").write_text(c.profile, encoding="utf-8")


def build(folder: Path) -> dict[str, list[Path]]:
    """Write every case's files into ``folder/<case>/``; returns case name -> paths."""
    out = {}
    for trust_case in cases():
        target = folder / trust_case.name
        target.mkdir(parents=True, exist_ok=True)
        paths = []
        for name, data in trust_case.files():
            path = target / name
            path.write_bytes(data)
            paths.append(path)
        out[trust_case.name] = paths
    return out


if __name__ == "__main__":
    out_folder = Path(sys.argv[1]) if len(sys.argv) > 1 else HERE / "generated_trust"
    for case_name, case_paths in build(out_folder).items():
        print(f"{case_name}: {', '.join(p.name for p in case_paths)}")
