"""Recognising the study team's column and sheet names.

Names are compared after ``normalise``: lower case with every character that is not a letter or a
digit removed, so "Patient ID", "patient_id" and "PATIENT-ID" are the same name, as are
"T-score L1-L4" and "tscore_l1_l4". Each canonical column has a short list of aliases, including the
Indonesian names used at Cipto Mangunkusumo Hospital (umur, jenis kelamin, ...).
"""

from __future__ import annotations

import re

from medpath.model import OUTCOMES

_NOT_ALNUM = re.compile(r"[^0-9a-z]+")
#: Words that mark a column as a correction of another one ("T-score M6 (koreksi)"); they do not change
#: which field the column holds, so ``normalise`` drops them (``is_correction`` tells them apart).
_CORRECTION = re.compile(
    r"[\s_(\[-]*(?<![a-z])(koreksi|dikoreksi|corrected|correction|revisi|revised|perbaikan|"
    r"diperbaiki)(?![a-z])[)\]]*",
    re.I,
)


def normalise(name: object) -> str:
    """The comparison key of a header: lower case, letters and digits only, without a correction mark. A header
    that a mapping profile assigned to a field (``FieldHeader``) compares as that field."""
    assigned = getattr(name, "field", None)
    if assigned is not None:
        return _NOT_ALNUM.sub("", assigned.lower())
    text = str(name).lower()
    if "kor" in text or "cor" in text or "rev" in text or "perbai" in text:
        text = _CORRECTION.sub(" ", text)
    return _NOT_ALNUM.sub("", text)


def is_correction(name: object) -> bool:
    """Whether a header marks its column as a correction (koreksi, corrected, revisi, ...)."""
    return bool(_CORRECTION.search(str(name)))


def _aliases(table: dict[str, tuple[str, ...]]) -> dict[str, str]:
    """Invert ``canonical -> aliases`` into ``normalised alias -> canonical``."""
    return {normalise(alias): canonical for canonical, names in table.items() for alias in (canonical, *names)}


_PATIENT_ID = (
    "patient id",
    "patient",
    "id",
    "subject id",
    "subject",
    "participant id",
    "record id",
    "study id",
    "pid",
    "no rm pasien",
    "kode pasien",
    "id subjek",
    "kode subjek",
    "subject code",
    "id pasien",
    "id peserta",
    "kode peserta",
    "no pasien",
    "nomor pasien",
)
_TSCORE = (
    "t-score",
    "t score",
    "spine t-score",
    "spine bmd t-score",
    "bmd t-score",
    "t-score l1-l4",
    "lumbar t-score",
    "lumbar spine t-score",
    "bmd spine t-score",
    "l1-l4 t-score",
    "t-score (l1-l4)",
    "total l1-l4 t-score",
    "l1-l4 total t-score",
    "lumbar spine l1-l4 t-score",
    "spine l1-l4 t-score",
    "t-score lumbal",
    "t-score lumbal l1-l4",
    "lumbal l1-l4 t-score",
    "t-skor",
)

SCREENING_ALIASES = _aliases(
    {
        "patient_id": _PATIENT_ID,
        "sex": ("gender", "jenis kelamin", "jk", "kelamin"),
        "age": ("age years", "age (years)", "age yrs", "umur", "usia", "age at screening"),
        "bmd_tscore": (
            *_TSCORE,
            "screening t-score",
            "bmd t-score screening",
            "t-score screening",
            "screening bmd t-score",
            "t-score skrining",
            "skrining t-score",
        ),
        "autoimmune_disease": (
            "autoimmune",
            "autoimmune history",
            "history of autoimmune disease",
            "autoimun",
            "riwayat autoimun",
            "penyakit autoimun",
        ),
        "osteoporosis_related_disease": (
            "other osteoporosis related disease",
            "osteoporosis related diseases",
            "secondary osteoporosis",
            "penyakit terkait osteoporosis",
            "osteoporosis sekunder",
        ),
        "osteoporosis_drugs": (
            "osteoporosis drug",
            "osteoporosis related drugs",
            "osteoporosis medication",
            "osteoporosis medications",
            "obat osteoporosis",
        ),
        "immunosuppressant": (
            "immunosuppressive",
            "immunosuppressants",
            "immunosuppressive treatment",
            "imunosupresan",
            "obat imunosupresan",
        ),
        "anticoagulant": ("anticoagulants", "anticoagulant treatment", "antikoagulan"),
        "corticosteroid": ("corticosteroids", "steroid", "steroids", "corticosteroid treatment", "kortikosteroid"),
        "paralysis_after_surgery": (
            "paralysis",
            "post surgical paralysis",
            "paralysis after surgical treatment",
            "kelumpuhan",
            "kelumpuhan pasca operasi",
            "lumpuh pasca operasi",
        ),
        "hbsag": ("hbs ag", "hepatitis b", "hbsag test"),
        "hiv": ("anti hiv", "hiv test"),
        "cmv": ("cmv igm", "cmv test", "cytomegalovirus"),
        "rubella": ("rubella igm", "rubella test"),
        "toxoplasma": ("toxo", "toxoplasma igm", "toxoplasma test", "toksoplasma", "toksoplasma igm"),
        "consent": ("informed consent", "consent status", "ic", "persetujuan", "status ic", "informed consent ttd"),
        "enrolled": (
            "enrollment",
            "enrolment",
            "included",
            "enrolled in study",
            "terdaftar",
            "inklusi",
            "masuk penelitian",
            "diikutsertakan",
        ),
    }
)

_OUTCOME_ALIASES: dict[str, tuple[str, ...]] = {
    "bmd_tscore": _TSCORE,
    "vas": (
        "vas (0-10)",
        "vas pain",
        "pain vas",
        "vas score",
        "pain",
        "vas (mm)",
        "vas mm",
        "vas (0-100)",
        "vas 0-100 mm",
        "vas nyeri",
        "skala nyeri",
        "nyeri vas",
    ),
    "bmd_g_cm2": (
        "bmd",
        "bmd g/cm2",
        "spine bmd",
        "bmd (g/cm2)",
        "bmd g cm2",
        "bmd l1-l4",
        "bmd g/cm²",
        "l1-l4 bmd",
        "l1-l4 bmd g/cm²",
        "l1-l4 bmd g/cm2",
        "bmd l1-l4 g/cm²",
    ),
    "rom_deg": ("rom", "range of motion", "rom (deg)", "rom degrees"),
    "qol": ("quality of life", "qol score"),
}
assert set(_OUTCOME_ALIASES) == set(OUTCOMES)
OUTCOME_ALIASES = _aliases(_OUTCOME_ALIASES)

VISIT_ALIASES = _aliases(
    {
        "patient_id": _PATIENT_ID,
        "visit": ("visit label", "timepoint", "time point", "event", "redcap event name", "kunjungan", "event name"),
        "month": ("months", "month offset", "months since baseline", "bulan"),
        "day": ("days", "day offset", "study day", "days since baseline", "hari"),
        **_OUTCOME_ALIASES,
    }
)

#: A screening number: the key of a screening log whose enrolled candidates get a subject id later.
SCREENING_NUMBER = frozenset(
    normalise(n)
    for n in (
        "screening no",
        "screening number",
        "screening id",
        "no skrining",
        "nomor skrining",
        "no. skrining",
        "kode skrining",
        "no screening",
        "screening code",
        "id skrining",
    )
)

#: A visit date (a visits table with dates instead of labels).
VISIT_DATE = frozenset(
    normalise(n)
    for n in (
        "date",
        "visit date",
        "date of visit",
        "tanggal",
        "tanggal kunjungan",
        "tgl kunjungan",
        "tgl",
        "tanggal visit",
        "tanggal pemeriksaan",
        "tgl pemeriksaan",
        "exam date",
        "tanggal periksa",
    )
)

#: Sheet names (normalised) that hold each table; anything else is recognised by its columns.
SHEET_ALIASES = {
    "screening": {"screening", "screen", "screeninglog", "candidates", "eligibility", "skrining"},
    "visits": {"visits", "visit", "followup", "outcomes", "data", "kunjungan", "redcap"},
}


class SheetLabel(str):
    """A sheet name (shown as is) that also says which table it holds: set by ``medpath.layouts`` when it
    splits one sheet into a screening and a visits table, so that the sheet's own name (e.g. "Data")
    does not decide."""

    kind: str | None = None

    def __new__(cls, name: str, kind: str | None = None) -> SheetLabel:
        label = super().__new__(cls, name)
        label.kind = kind
        return label

    def __reduce__(self):
        return (SheetLabel, (str(self), self.kind))


def sheet_kind(sheet_name: str | None) -> str | None:
    """ "screening" or "visits" when the sheet (or CSV file) name says which table it holds."""
    forced = getattr(sheet_name, "kind", None)
    if forced:
        return forced
    key = normalise(sheet_name or "")
    for kind, names in SHEET_ALIASES.items():
        if key in names or any(key.startswith(n) or key.endswith(n) for n in names if len(n) > 5):
            return kind
    return None


class FieldHeader(str):
    """A header as the user wrote it (shown as is, so every finding names the user's own column) that a mapping
    profile (``medpath.mapping``) assigned to a field: ``normalise`` compares it as that field."""

    field: str | None = None

    def __new__(cls, name: str, field: str) -> FieldHeader:
        header = super().__new__(cls, name)
        header.field = field
        return header

    def __reduce__(self):
        return (FieldHeader, (str(self), self.field))


class AddedHeader(str):
    """A column MedPath added (the visit of a per-visit sheet, the days computed from visit dates): not one of
    the user's columns, so it is not listed among them."""


#: How the Data page names each field ("T-score L1-L4 → spine BMD T-score").
FIELD_LABELS: dict[str, str] = {
    "patient_id": "patient id",
    "sex": "sex",
    "age": "age (years)",
    "bmd_tscore": "spine BMD T-score",
    "autoimmune_disease": "autoimmune disease (yes/no)",
    "osteoporosis_related_disease": "osteoporosis-related disease (yes/no)",
    "osteoporosis_drugs": "osteoporosis drugs (yes/no)",
    "immunosuppressant": "immunosuppressant (yes/no)",
    "anticoagulant": "anticoagulant (yes/no)",
    "corticosteroid": "corticosteroid (yes/no)",
    "paralysis_after_surgery": "paralysis after surgery (yes/no)",
    "hbsag": "HBsAg test",
    "hiv": "HIV test",
    "cmv": "CMV test",
    "rubella": "rubella test",
    "toxoplasma": "toxoplasma test",
    "consent": "informed consent",
    "enrolled": "enrolled (yes/no)",
    "visit": "visit",
    "month": "month since baseline",
    "day": "day since baseline",
    "date": "visit date",
    "screening_number": "screening number",
    **{
        key: outcome.label + ("" if key == "bmd_tscore" else f" ({outcome.unit})")
        for key, outcome in OUTCOMES.items()
        if key != "bmd_tscore"
    },
}
