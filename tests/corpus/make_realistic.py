"""Build the realistic-exports corpus of issue 11: files kept the way study teams really keep them.

``PYTHONPATH=tests python tests/corpus/make_realistic.py [DIR]`` writes the files to DIR (default:
tests/corpus/generated_realistic/); ``tests/test_realistic_exports.py`` builds them in a temporary folder.
All data are invented. Nothing generated is committed.

Every case is one trial of the same invented study (five enrolled patients MSC-01..MSC-05, ten
candidates screened) kept in a different way, with the numbers a careful person reads off the file:
the pairs analysed per outcome (baseline vs month 6), each patient's baseline and month-6 values, the
screened and enrolled counts, the CLI's exit code and the findings expected (each by its code, with a
key phrase of its message). The values below are the ones a person reads in the file; the expectations
are written out by hand per case, not computed by MedPath.
"""

from __future__ import annotations

import csv as _csv
import datetime as dt
import io
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Font

from medpath.findings import Code

HERE = Path(__file__).resolve().parent

# --- the invented study ------------------------------------------------------------------------------

IDS = ["MSC-01", "MSC-02", "MSC-03", "MSC-04", "MSC-05"]
#: spine (L1-L4) T-score and VAS at baseline, month 3 and month 6, as the DXA report and the CRF say
TSCORE = {
    "MSC-01": (-3.1, -3.0, -2.8),
    "MSC-02": (-2.7, -2.7, -2.6),
    "MSC-03": (-3.4, -3.2, -3.0),
    "MSC-04": (-2.9, -2.9, -2.9),
    "MSC-05": (-3.6, -3.4, -3.2),
}
VAS = {"MSC-01": (7, 5, 4), "MSC-02": (6, 4, 3), "MSC-03": (8, 6, 5), "MSC-04": (5, 5, 5), "MSC-05": (7, 4, 2)}
#: the single-vertebra L1 T-scores of the DXA report: read as "the" T-score they would move MSC-01,
#: MSC-02 and MSC-03 out of osteoporosis (> -2.5) at baseline
L1_TSCORE = {
    "MSC-01": (-2.2, -2.1),
    "MSC-02": (-2.0, -1.9),
    "MSC-03": (-2.4, -2.2),
    "MSC-04": (-2.8, -2.8),
    "MSC-05": (-3.0, -2.9),
}
BMD = {
    "MSC-01": (0.712, 0.731),
    "MSC-02": (0.760, 0.768),
    "MSC-03": (0.680, 0.702),
    "MSC-04": (0.735, 0.735),
    "MSC-05": (0.650, 0.671),
}

#: (screening no, subject id or None, sex, age, screening T-score, reason not enrolled or None)
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

_HISTORY_ID = [
    "Riwayat autoimun",
    "Penyakit terkait osteoporosis",
    "Obat osteoporosis",
    "Imunosupresan",
    "Antikoagulan",
    "Kortikosteroid",
    "Kelumpuhan pasca operasi",
]
_TESTS_ID = ["HBsAg", "Anti HIV", "CMV IgM", "Rubella IgM", "Toksoplasma IgM"]
SCREENING_HEADER_ID = [
    "Jenis kelamin",
    "Umur",
    "T-score skrining",
    *_HISTORY_ID,
    *_TESTS_ID,
    "Informed consent",
    "Terdaftar",
]


def screening_cells(candidate, *, negative="Negatif", no="Tidak") -> list[object]:
    """The Indonesian screening columns (``SCREENING_HEADER_ID``) of one candidate."""
    _, subject, sex, age, tscore, reason = candidate
    history = [("Ya" if reason == "steroid" and name == "Kortikosteroid" else no) for name in _HISTORY_ID]
    tests = [("Positif" if reason == "hbsag" and name == "HBsAg" else negative) for name in _TESTS_ID]
    consent = "Menolak" if reason == "consent" else "Ya"
    return [sex, age, tscore, *history, *tests, consent, "Ya" if subject else "Tidak"]


# --- writing files -----------------------------------------------------------------------------------


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
        ws.append(row)
    return ws


def csv(rows: Sequence[Sequence[object]], delimiter: str = ",") -> bytes:
    text = io.StringIO()
    _csv.writer(text, delimiter=delimiter).writerows([["" if v is None else v for v in r] for r in rows])
    return text.getvalue().encode("utf-8")


def long_rows(
    header=("Kode Pasien", "Kunjungan", "T-score L1-L4", "VAS"), labels=("Baseline", "Bulan 6"), months=(0, 2)
) -> list[list[Any]]:
    rows: list[list[Any]] = [list(header)]
    for pid in IDS:
        for label, k in zip(labels, months):
            rows.append([pid, label, TSCORE[pid][k], VAS[pid][k]])
    return rows


# --- the cases ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Realistic:
    name: str
    files: Callable[[], list[tuple[str, bytes]]]
    exit_code: int
    #: pairs analysed (baseline vs month 6) per outcome
    n: dict[str, int]
    #: outcome -> patient -> (baseline, month 6), as a careful person reads them
    values: dict[str, dict[str, tuple[float, float]]]
    screened: int | None
    #: ``None``: not asserted (the reading of the case's criteria cells is decided elsewhere)
    enrolled: int | None
    #: (severity, code) or (severity, code, phrase) that must be among the findings: a finding of that severity
    #: and code (``medpath.findings.Code``), whose message holds the phrase if one is given
    findings: tuple[tuple[str, Code] | tuple[str, Code, str], ...] = ()
    #: codes no finding may have (e.g. a duplicate for a struck-through row)
    absent: tuple[Code, ...] = ()
    #: set when the case waits for the value-level work of issue 11 (units in cells, mm VAS, ...)
    xfail: str | None = None
    what: str = ""
    visits: dict[tuple[str, str], dict[str, float]] = field(default_factory=dict)


def _pairs(table: dict[str, tuple], ids=IDS, first=0, last=2) -> dict[str, tuple[float, float]]:
    return {pid: (float(table[pid][first]), float(table[pid][last])) for pid in ids}


STANDARD = {"bmd_tscore": _pairs(TSCORE), "vas": _pairs(VAS)}
N5 = {"bmd_tscore": 5, "vas": 5}


def summary_sheet() -> bytes:
    """A wide sheet with Indonesian headers, then Rata-rata / SD / n rows, a note and a signature block."""
    header = ["No", "Kode Pasien", "T-score awal", "T-score bulan 6", "VAS awal", "VAS bulan 6"]
    rows: list[Sequence[object]] = [header] + [
        [i + 1, pid, TSCORE[pid][0], TSCORE[pid][2], VAS[pid][0], VAS[pid][2]] for i, pid in enumerate(IDS)
    ]
    mean = ["Rata-rata", None, -3.14, -2.9, 6.6, 3.8]
    rows += [
        [],
        mean,
        ["SD", None, 0.35, 0.22, 1.14, 1.3],
        ["n", None, 5, 5, 5, 5],
        ["Catatan: MSC-04 nyeri punggung bawah sejak bulan 3"],
        [],
        [None, "Mengetahui,"],
        [None, "Peneliti utama"],
        [None, "dr. Andi Pratama, SpOT(K)"],
    ]

    def build(wb):
        sheet(wb, "Ringkasan", [["Rekap hasil penelitian NCT04501354"], [], *rows])

    return xlsx(build)


def dxa_report(with_total: bool = True) -> bytes:
    """A DXA report pasted into Excel: regions over BMD g/cm² / T-score / Z-score (merged group cells)."""
    regions = ["L1", "L2", "L3", "L4", *(["L1-L4"] if with_total else []), "Femoral neck", "Total hip"]
    group: list[str | None] = ["No. Pasien", "Kunjungan"]
    sub = ["No. Pasien", "Kunjungan"]
    for region in regions:
        group += [region, None, None]
        sub += ["BMD (g/cm²)", "T-score", "Z-score"]
    group.append("VAS")
    sub.append("VAS")
    rows = []
    for pid in IDS:
        for k, label in ((0, "Baseline"), (1, "Bulan 6")):
            cells: list[object] = [pid, label]
            for region in regions:
                if region == "L1-L4":
                    t, bmd = TSCORE[pid][2 * k], BMD[pid][k]
                elif region == "L1":
                    t, bmd = L1_TSCORE[pid][k], round(BMD[pid][k] + 0.05, 3)
                else:
                    t, bmd = round(TSCORE[pid][2 * k] + 0.3 + regions.index(region) * 0.1, 1), 0.8
                cells += [bmd, t, round(t + 0.8, 1)]
            cells.append(VAS[pid][2 * k])
            rows.append(cells)

    def build(wb):
        ws = sheet(wb, "Hasil DXA", [["Hasil pemeriksaan DXA - Lunar Prodigy"], group, sub, *rows])
        ws.merge_cells("A2:A3")
        ws.merge_cells("B2:B3")
        column = len(group)
        ws.merge_cells(start_row=2, start_column=column, end_row=3, end_column=column)
        for k in range(len(regions)):
            ws.merge_cells(start_row=2, start_column=3 + 3 * k, end_row=2, end_column=5 + 3 * k)

    return xlsx(build)


def visits_as_header_groups() -> bytes:
    """A CRF summary: visits as merged group cells over T-score / VAS, one row per patient."""
    group = ["Kode Pasien", "Awal", None, "Bulan 3", None, "Bulan 6", None]
    sub = ["Kode Pasien", "T-score", "VAS", "T-score", "VAS", "T-score", "VAS"]
    rows = [[pid, *(v for k in range(3) for v in (TSCORE[pid][k], VAS[pid][k]))] for pid in IDS]

    def build(wb):
        ws = sheet(wb, "Rekap CRF", [group, sub, *rows])
        ws.merge_cells("A1:A2")
        for first in ("B1:C1", "D1:E1", "F1:G1"):
            ws.merge_cells(first)

    return xlsx(build)


def koreksi_columns() -> bytes:
    header = ["Kode Pasien", "T-score Awal", "T-score M6", "T-score M6 (koreksi)", "VAS Awal", "VAS M6"]
    rows: list[Sequence[object]] = [header]
    for pid in IDS:
        wrong = -3.5 if pid == "MSC-03" else TSCORE[pid][2]
        rows.append([pid, TSCORE[pid][0], wrong, TSCORE[pid][2], VAS[pid][0], VAS[pid][2]])
    return xlsx(lambda wb: sheet(wb, "Data", rows))


def two_vas_columns() -> bytes:
    header = ["Kode Pasien", "Kunjungan", "T-score L1-L4", "VAS", "VAS (0-10)"]
    rows: list[Sequence[object]] = [header]
    for pid in IDS:
        for label, k in (("Baseline", 0), ("Bulan 6", 2)):
            rows.append([pid, label, TSCORE[pid][k], VAS[pid][k], min(10, VAS[pid][k] + 1)])
    return xlsx(lambda wb: sheet(wb, "Kunjungan", rows))


def hidden_superseded_sheet() -> bytes:
    def build(wb):
        old = long_rows()
        for row in old[1:]:
            row[2] = round(row[2] - 0.5, 1)
        ws = sheet(wb, "visits lama", old)
        ws.sheet_state = "hidden"
        sheet(wb, "visits", long_rows())

    return xlsx(build)


def hidden_test_row() -> bytes:
    def build(wb):
        rows = long_rows()
        rows.insert(3, ["TEST-01", "Baseline", -1.0, 1])
        rows.append(["coba", "Bulan 6", 0.0, 0])
        ws = sheet(wb, "visits", rows)
        ws.row_dimensions[4].hidden = True  # the TEST-01 row (Excel row 4)
        ws.column_dimensions["E"].hidden = True
        ws["E1"] = "Catatan petugas"
        ws["E2"] = "diinput ulang"

    return xlsx(build)


def struck_row() -> bytes:
    def build(wb):
        rows = long_rows()
        rows.insert(4, ["MSC-02", "Bulan 6", -3.5, 9])  # the first entry of MSC-02's month 6, struck through
        ws = sheet(wb, "visits", rows)
        for cell in ws[5]:
            cell.font = Font(strike=True)

    return xlsx(build)


def one_sheet_per_visit() -> bytes:
    def build(wb):
        for title, k in (("Awal", 0), ("Bulan ke-3", 1), ("6 bulan", 2)):
            sheet(wb, title, [["Kode Pasien", "T-score", "VAS"], *([pid, TSCORE[pid][k], VAS[pid][k]] for pid in IDS)])

    return xlsx(build)


#: each patient's baseline date; month 3 and month 6 follow after the days given
_BASE_DATES = {
    "MSC-01": dt.date(2025, 1, 14),
    "MSC-02": dt.date(2025, 2, 3),
    "MSC-03": dt.date(2025, 2, 20),
    "MSC-04": dt.date(2025, 3, 11),
    "MSC-05": dt.date(2025, 4, 2),
}
_DAYS = {
    "MSC-01": (0, 91, 182),
    "MSC-02": (0, 88, 179),
    "MSC-03": (0, 95, 186),
    "MSC-04": (0, 90, 176),
    "MSC-05": (0, 92, 184),
}


def visit_dates() -> bytes:
    rows: list[Sequence[object]] = [["ID Pasien", "Tanggal kunjungan", "T-score", "VAS"]]
    for i, pid in enumerate(IDS):
        for k in range(3):
            date = _BASE_DATES[pid] + dt.timedelta(days=_DAYS[pid][k])
            shown = date if i % 2 == 0 else date.strftime("%d/%m/%Y")  # real dates and DD/MM/YYYY text
            rows.append(
                [
                    pid,
                    dt.datetime.combine(shown, dt.time()) if isinstance(shown, dt.date) else shown,
                    TSCORE[pid][k],
                    VAS[pid][k],
                ]
            )
    return xlsx(lambda wb: sheet(wb, "Kunjungan", rows))


def wide_screening_and_visits() -> bytes:
    header = ["Kode Pasien", *SCREENING_HEADER_ID, "T-score awal", "T-score bulan 6", "VAS awal", "VAS bulan 6"]
    rows: list[Sequence[object]] = [header]
    for candidate in CANDIDATES:
        subject = candidate[1]
        outcomes = [TSCORE[subject][0], TSCORE[subject][2], VAS[subject][0], VAS[subject][2]] if subject else [None] * 4
        rows.append([subject or candidate[0], *screening_cells(candidate), *outcomes])
    return xlsx(lambda wb: sheet(wb, "Data", rows))


def screening_log_by_number() -> bytes:
    def build(wb):
        sheet(
            wb,
            "Skrining",
            [
                ["No. Skrining", "ID Subjek", *SCREENING_HEADER_ID],
                *([c[0], c[1], *screening_cells(c)] for c in CANDIDATES),
            ],
        )
        sheet(wb, "Kunjungan", long_rows(header=("ID Subjek", "Kunjungan", "T-score", "VAS")))

    return xlsx(build)


_CHECKBOX_CODES = [
    "autoimmune",
    "osteoporosis_related_disease",
    "osteoporosis_drugs",
    "immunosuppressant",
    "anticoagulant",
    "corticosteroid",
    "paralysis",
]
_REDCAP_FIELDS = [
    "jenis_kelamin",
    "umur",
    "bmd_tscore",
    *(f"riwayat___{c}" for c in _CHECKBOX_CODES),
    "riwayat___99",
    "hbsag",
    "hiv",
    "cmv",
    "rubella",
    "toxoplasma",
    "consent",
    "enrolled",
    "vas",
    "ae_description",
]


def redcap_raw() -> bytes:
    head = [
        "record_id",
        "redcap_event_name",
        "redcap_repeat_instrument",
        "redcap_repeat_instance",
        "redcap_data_access_group",
        *_REDCAP_FIELDS,
        "screening_complete",
        "outcomes_complete",
    ]
    rows: list[Sequence[object]] = [head]
    for candidate in CANDIDATES:
        record = candidate[1] or candidate[0]
        _, subject, sex, age, tscore, reason = candidate
        rows.append(
            [
                record,
                "screening_arm_1",
                "",
                "",
                "rscm",
                sex,
                age,
                tscore,
                *(1 if reason == "steroid" and c == "corticosteroid" else 0 for c in _CHECKBOX_CODES),
                0,
                1 if reason == "hbsag" else 0,
                0,
                0,
                0,
                0,
                0 if reason == "consent" else 1,
                1 if subject else 0,
                "",
                "",
                2,
                "",
            ]
        )
        if subject:
            for event, k in (("baseline_arm_1", 0), ("month_3_arm_1", 1), ("month_6_arm_1", 2)):
                rows.append(
                    [
                        record,
                        event,
                        "",
                        "",
                        "rscm",
                        *[""] * 2,
                        TSCORE[subject][k],
                        *[""] * 15,
                        VAS[subject][k],
                        "",
                        "",
                        2,
                    ]
                )
            if subject == "MSC-03":
                rows.append([record, "month_3_arm_1", "adverse_events", 1, "rscm", *[""] * 19, "nyeri lokal", "", ""])
    return csv(rows)


_CHOICES = [
    "Autoimmune",
    "Secondary osteoporosis",
    "Osteoporosis drugs",
    "Immunosuppressant",
    "Anticoagulant",
    "Corticosteroid",
    "Paralysis",
]


def redcap_labels() -> bytes:
    head = [
        "Record ID",
        "Event Name",
        "Repeat Instrument",
        "Repeat Instance",
        "Data Access Group",
        "Jenis kelamin",
        "Umur",
        "T-score L1-L4",
        *(f"Riwayat (choice={c})" for c in _CHOICES),
        "Riwayat (choice=Lainnya)",
        "HBsAg",
        "Anti HIV",
        "CMV IgM",
        "Rubella IgM",
        "Toxoplasma IgM",
        "Informed consent",
        "Enrolled",
        "VAS (0-10)",
        "Complete?",
    ]
    rows: list[Sequence[object]] = [head]
    for candidate in CANDIDATES:
        _, subject, sex, age, tscore, reason = candidate
        record = subject or candidate[0]
        rows.append(
            [
                record,
                "Screening (Arm 1: Main)",
                "",
                "",
                "RSCM",
                "Perempuan" if sex == "P" else "Laki-laki",
                age,
                tscore,
                *("Checked" if reason == "steroid" and c == "Corticosteroid" else "Unchecked" for c in _CHOICES),
                "Unchecked",
                "Positive" if reason == "hbsag" else "Negative",
                "Negative",
                "Negative",
                "Negative",
                "Negative",
                "Declined" if reason == "consent" else "Signed",
                "Yes" if subject else "No",
                "",
                "Complete",
            ]
        )
        if subject:
            for event, k in (("Baseline (Arm 1: Main)", 0), ("Month 6 (Arm 1: Main)", 2)):
                rows.append(
                    [record, event, "", "", "RSCM", "", "", TSCORE[subject][k], *[""] * 15, VAS[subject][k], "Complete"]
                )
    return csv(rows)


def legacy_xls() -> bytes:
    import xlwt

    book = xlwt.Workbook()
    ws = book.add_sheet("Kunjungan")
    strike = xlwt.easyxf("font: struck_out on")
    rows = long_rows()
    rows.insert(2, ["TEST", "Baseline", -1.0, 1])  # Excel row 3, hidden
    rows.insert(5, ["MSC-02", "Bulan 6", -3.5, 9])  # Excel row 6, struck through (an old entry)
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            ws.write(r, c, value, strike if r == 5 else xlwt.Style.default_style)
    ws.row(2).hidden = True
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def two_sheets_same_table() -> bytes:
    def build(wb):
        sheet(wb, "visits", long_rows())
        copy = long_rows()
        copy[4][2] = -2.5
        sheet(wb, "visits (2)", copy)

    return xlsx(build)


def visits_v2() -> bytes:
    rows = long_rows()
    rows[4][2] = -2.5  # one value corrected in the second file
    return xlsx(lambda wb: sheet(wb, "visits", rows))


def units_in_cells() -> bytes:
    rows: list[Sequence[object]] = [["Kode Pasien", "Kunjungan", "T-score L1-L4", "VAS"]]
    for pid in IDS:
        for label, k in (("Baseline", 0), ("Bulan 6", 2)):
            rows.append([pid, label, f"{TSCORE[pid][k]} SD".replace(".", ","), f"{VAS[pid][k]}/10"])
    return xlsx(lambda wb: sheet(wb, "Kunjungan", rows))


def vas_typo() -> bytes:
    rows = long_rows()
    rows[1][3] = 11  # MSC-01 baseline VAS typed 11
    return xlsx(lambda wb: sheet(wb, "Kunjungan", rows))


def vas_mm() -> bytes:
    rows = long_rows(header=("Kode Pasien", "Kunjungan", "T-score L1-L4", "VAS (mm)"))
    for row in rows[1:]:
        row[3] *= 10
    return xlsx(lambda wb: sheet(wb, "Kunjungan", rows))


def dash_and_non_reaktif() -> bytes:
    def build(wb):
        rows = [["Kode Pasien", *SCREENING_HEADER_ID]]
        for candidate in CANDIDATES:
            rows.append([candidate[1] or candidate[0], *screening_cells(candidate, negative="Non Reaktif", no="-")])
        sheet(wb, "Skrining", rows)
        sheet(wb, "Kunjungan", long_rows())

    return xlsx(build)


def cases() -> list[Realistic]:
    R = Realistic
    vas_without_01 = {pid: v for pid, v in STANDARD["vas"].items() if pid != "MSC-01"}
    return [
        R(
            "ringkasan_rata_rata.xlsx",
            lambda: [("ringkasan_rata_rata.xlsx", summary_sheet())],
            0,
            N5,
            STANDARD,
            None,
            5,
            (
                ("warning", Code.ROW_SUMMARY, "'Rata-rata' reads as a summary row"),
                ("warning", Code.ROW_SUMMARY, "'SD' reads as a summary row"),
                ("warning", Code.ROW_SUMMARY, "'n' reads as a summary row"),
                ("warning", Code.ROW_SUMMARY, "reads as a note"),
                ("warning", Code.SIGNATURE_BLOCK, "a signature block starts here"),
            ),
            what="a summary sheet with Rata-rata / SD / n rows, a note and a signature block",
        ),
        R(
            "laporan_dxa.xlsx",
            lambda: [("laporan_dxa.xlsx", dxa_report())],
            0,
            N5,
            STANDARD,
            None,
            5,
            (
                ("warning", Code.LAYOUT_READ_AS, "read as: a two-row header"),
                ("warning", Code.COLUMN_CHOSEN, "the protocol's spine BMD T-score is the L1-L4 region"),
                ("warning", Code.COLUMN_CHOSEN, "'L1-L4 T-score'"),
            ),
            what="a DXA report pasted into Excel (two-row header, merged region cells)",
        ),
        R(
            "laporan_dxa_tanpa_total.xlsx",
            lambda: [("laporan_dxa_tanpa_total.xlsx", dxa_report(False))],
            2,
            {"bmd_tscore": 0, "vas": 5},
            {"vas": STANDARD["vas"]},
            None,
            5,
            (("error", Code.COLUMN_REGION_NOT_ANALYSED, "no column holds the spine BMD T-score of the L1-L4 region"),),
            what="a DXA report without the L1-L4 total: no T-score is guessed",
        ),
        R(
            "rekap_crf_kunjungan_bertingkat.xlsx",
            lambda: [("rekap_crf_kunjungan_bertingkat.xlsx", visits_as_header_groups())],
            0,
            N5,
            STANDARD,
            None,
            5,
            (
                (
                    "warning",
                    Code.LAYOUT_READ_AS,
                    "columns named 'T-score Awal', 'VAS Awal', 'T-score Bulan 3', 'VAS Bulan 3', 'T-score Bulan 6', "
                    "'VAS Bulan 6'",
                ),
            ),
            what="visits as merged group cells over the outcomes (two-row header, one row per patient)",
            visits={("MSC-02", "month 3"): {"bmd_tscore": -2.7, "vas": 4.0}},
        ),
        R(
            "t_score_koreksi.xlsx",
            lambda: [("t_score_koreksi.xlsx", koreksi_columns())],
            0,
            N5,
            STANDARD,
            None,
            5,
            (
                (
                    "warning",
                    Code.COLUMN_CORRECTION,
                    "'T-score M6 (koreksi)' marked as a correction supersede(s) 'T-score M6'",
                ),
            ),
            what="a wide sheet with 'T-score M6' and 'T-score M6 (koreksi)'",
        ),
        R(
            "dua_kolom_vas.xlsx",
            lambda: [("dua_kolom_vas.xlsx", two_vas_columns())],
            2,
            {"bmd_tscore": 5, "vas": 0},
            {"bmd_tscore": STANDARD["bmd_tscore"]},
            None,
            5,
            (("error", Code.COLUMN_AMBIGUOUS, "2 columns could be the VAS pain: 'VAS', 'VAS (0-10)'"),),
            what="two VAS columns with different values: an error, neither is read",
        ),
        R(
            "sheet_lama_tersembunyi.xlsx",
            lambda: [("sheet_lama_tersembunyi.xlsx", hidden_superseded_sheet())],
            0,
            N5,
            STANDARD,
            None,
            5,
            (("warning", Code.SHEET_HIDDEN, "this sheet is hidden in Excel; it was left out"),),
            absent=(Code.DUPLICATE_CONFLICT, Code.DUPLICATE_ROW, Code.TABLE_TWICE),
            what="a hidden, superseded sheet before the corrected one",
        ),
        R(
            "baris_test_tersembunyi.xlsx",
            lambda: [("baris_test_tersembunyi.xlsx", hidden_test_row())],
            0,
            N5,
            STANDARD,
            None,
            5,
            (
                # 'TEST-01' is hidden too: a certain rule, so no question
                ("warning", Code.ROW_SUMMARY, "'TEST-01' is a test/dummy entry"),
                ("warning", Code.ROW_SUMMARY, "'coba' is a test/dummy entry"),
                ("warning", Code.COLUMNS_HIDDEN, "1 hidden column(s) left out: 'Catatan petugas'"),
            ),
            what="a hidden TEST row, a visible 'coba' row and a hidden column",
        ),
        R(
            "baris_dicoret.xlsx",
            lambda: [("baris_dicoret.xlsx", struck_row())],
            0,
            N5,
            STANDARD,
            None,
            5,
            (("warning", Code.ROW_STRUCK, "this row is struck through; it was left out"),),
            absent=(Code.DUPLICATE_CONFLICT, Code.DUPLICATE_ROW),
            what="a struck-through old entry above its correction",
        ),
        R(
            "satu_sheet_per_kunjungan.xlsx",
            lambda: [("satu_sheet_per_kunjungan.xlsx", one_sheet_per_visit())],
            0,
            N5,
            STANDARD,
            None,
            5,
            (
                (
                    "warning",
                    Code.LAYOUT_READ_AS,
                    "read as: one sheet per visit, the visit from the sheet name: 'Awal' → baseline, "
                    "'Bulan ke-3' → month 3, '6 bulan' → month 6",
                ),
            ),
            absent=(Code.TABLES_COMBINED,),
            what="one sheet per visit (Awal, Bulan ke-3, 6 bulan)",
            visits={("MSC-05", "month 3"): {"bmd_tscore": -3.4, "vas": 4.0}},
        ),
        R(
            "tanggal_kunjungan.xlsx",
            lambda: [("tanggal_kunjungan.xlsx", visit_dates())],
            0,
            N5,
            STANDARD,
            None,
            5,
            (("warning", Code.VISIT_DATES_READ, "read as: visit dates in 'Tanggal kunjungan'"),),
            what="visit dates instead of labels (Excel dates and DD/MM/YYYY text)",
            visits={("MSC-04", "month 6"): {"day": 176.0}, ("MSC-02", "month 3"): {"day": 88.0, "vas": 4.0}},
        ),
        R(
            "skrining_dan_kunjungan_satu_sheet.xlsx",
            lambda: [("skrining_dan_kunjungan_satu_sheet.xlsx", wide_screening_and_visits())],
            0,
            N5,
            STANDARD,
            10,
            5,
            (("warning", Code.LAYOUT_READ_AS, "read as: one sheet holding screening and visits"),),
            what="one wide sheet with the screening columns and the visits",
        ),
        R(
            "log_skrining_no_skrining.xlsx",
            lambda: [("log_skrining_no_skrining.xlsx", screening_log_by_number())],
            0,
            N5,
            STANDARD,
            10,
            5,
            (("warning", Code.LAYOUT_READ_AS, "read as: a screening log keyed by screening number ('No. Skrining')"),),
            absent=(Code.PATIENT_NOT_SCREENED,),
            what="a screening log keyed by screening number",
        ),
        R(
            "redcap_raw.csv",
            lambda: [("redcap_raw.csv", redcap_raw())],
            0,
            N5,
            STANDARD,
            10,
            5,
            (
                ("warning", Code.LAYOUT_READ_AS, "read as: a REDCap raw export"),
                ("warning", Code.LAYOUT_READ_AS, "the data access group is ignored"),
                ("warning", Code.REDCAP_INSTRUMENT_APART, "repeating instrument 'adverse_events'"),
                ("warning", Code.REDCAP_CHECKBOX_UNUSED, "riwayat___99"),
            ),
            what="a REDCap raw export with a screening event, checkboxes, a repeating instrument and a DAG",
            visits={("MSC-03", "month 3"): {"bmd_tscore": -3.2, "vas": 6.0}},
        ),
        R(
            "redcap_labels.csv",
            lambda: [("redcap_labels.csv", redcap_labels())],
            0,
            N5,
            STANDARD,
            10,
            5,
            (("warning", Code.LAYOUT_READ_AS, "read as: a REDCap labels export"),),
            what="a REDCap labels export ('Record ID', 'Event Name', '(Arm 1: Main)')",
        ),
        R(
            "lama.xls",
            lambda: [("lama.xls", legacy_xls())],
            0,
            N5,
            STANDARD,
            None,
            5,
            (
                ("warning", Code.ROW_SUMMARY, "'TEST' is a test/dummy entry"),
                ("warning", Code.ROW_STRUCK, "this row is struck through"),
            ),
            absent=(Code.DUPLICATE_CONFLICT, Code.DUPLICATE_ROW),
            what="a legacy .xls with a hidden TEST row and a struck-through row",
        ),
        R(
            "dua_file_sama",
            lambda: [
                ("kunjungan_v1.xlsx", xlsx(lambda wb: sheet(wb, "visits", long_rows()))),
                ("kunjungan_v2.xlsx", visits_v2()),
            ],
            2,
            {"bmd_tscore": 0, "vas": 0},
            {},
            None,
            None,  # not determinable (no screening log, no visits table read): null, never 0
            (("error", Code.TABLE_TWICE, "the visits table appears twice"),),
            what="two files holding the same visits: an error asking which to keep",
        ),
        R(
            "dua_sheet_sama.xlsx",
            lambda: [("dua_sheet_sama.xlsx", two_sheets_same_table())],
            2,
            {"bmd_tscore": 0, "vas": 0},
            {},
            None,
            None,  # not determinable (no screening log, no visits table read): null, never 0
            (
                (
                    "error",
                    Code.TABLE_TWICE,
                    "the visits table appears twice: 'dua_sheet_sama.xlsx' sheet 'visits' and "
                    "'dua_sheet_sama.xlsx' sheet 'visits (2)'",
                ),
            ),
            what="two sheets holding the same visits",
        ),
        R(
            "satuan_dalam_sel.xlsx",
            lambda: [("satuan_dalam_sel.xlsx", units_in_cells())],
            0,
            N5,
            STANDARD,
            None,
            5,
            (
                ("warning", Code.VALUE_READ_AS, "'-3,1 SD' read as -3.1"),
                ("warning", Code.VALUE_READ_AS, "'7/10' read as 7"),
            ),
            what="units in cells: '-3,1 SD', '7/10'",
        ),
        R(
            "vas_salah_ketik_11.xlsx",
            lambda: [("vas_salah_ketik_11.xlsx", vas_typo())],
            2,
            {"bmd_tscore": 5, "vas": 4},
            {"bmd_tscore": STANDARD["bmd_tscore"], "vas": vas_without_01},
            None,
            5,
            (("error", Code.VALUE_OUT_OF_RANGE, "outside the possible range of VAS"),),
            what="a VAS typo (11) costs only that value",
        ),
        R(
            "vas_mm.xlsx",
            lambda: [("vas_mm.xlsx", vas_mm())],
            0,
            N5,
            STANDARD,
            None,
            5,
            (("warning", Code.VALUES_SCALED, "VAS pain read as millimetres"),),
            what="VAS recorded in millimetres (all values <= 100, some > 10): rescaled to 0-10",
        ),
        R(
            "strip_dan_non_reaktif.xlsx",
            lambda: [("strip_dan_non_reaktif.xlsx", dash_and_non_reaktif())],
            0,
            N5,
            STANDARD,
            10,
            None,
            (
                ("warning", Code.VALUE_READ_AS, "'-' in 69 cells"),
                ("warning", Code.VALUE_READ_AS, "'Non Reaktif' in 49 cells"),
            ),
            what="'-' in yes/no columns and 'Non Reaktif' in the tests: each a finding, never silently missing",
        ),
    ]


def build(folder: Path) -> dict[str, list[Path]]:
    """Write every case's files into ``folder/<case>/``; returns case name -> paths."""
    out = {}
    for case in cases():
        target = folder / case.name.replace(".", "_")
        target.mkdir(parents=True, exist_ok=True)
        paths = []
        for name, data in case.files():
            path = target / name
            path.write_bytes(data)
            paths.append(path)
        out[case.name] = paths
    return out


if __name__ == "__main__":
    folder = Path(sys.argv[1]) if len(sys.argv) > 1 else HERE / "generated_realistic"
    for name, paths in build(folder).items():
        print(f"{name}: {', '.join(p.name for p in paths)}")
