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


def normalise(name: object) -> str:
    """The comparison key of a header: lower case, letters and digits only."""
    return _NOT_ALNUM.sub("", str(name).lower())


def _aliases(table: dict[str, tuple[str, ...]]) -> dict[str, str]:
    """Invert ``canonical -> aliases`` into ``normalised alias -> canonical``."""
    return {normalise(alias): canonical for canonical, names in table.items() for alias in (canonical, *names)}


_PATIENT_ID = ("patient id", "patient", "id", "subject id", "subject", "participant id", "record id",
               "study id", "pid", "no rm pasien", "kode pasien")
_TSCORE = ("t-score", "t score", "spine t-score", "spine bmd t-score", "bmd t-score", "t-score l1-l4",
           "lumbar t-score", "lumbar spine t-score", "bmd spine t-score")

SCREENING_ALIASES = _aliases({
    "patient_id": _PATIENT_ID,
    "sex": ("gender", "jenis kelamin", "jk", "kelamin"),
    "age": ("age years", "age (years)", "age yrs", "umur", "usia", "age at screening"),
    "bmd_tscore": (*_TSCORE, "screening t-score", "bmd t-score screening", "t-score screening",
                   "screening bmd t-score"),
    "autoimmune_disease": ("autoimmune", "autoimmune history", "history of autoimmune disease"),
    "osteoporosis_related_disease": ("other osteoporosis related disease", "osteoporosis related diseases",
                                     "secondary osteoporosis"),
    "osteoporosis_drugs": ("osteoporosis drug", "osteoporosis related drugs", "osteoporosis medication",
                           "osteoporosis medications"),
    "immunosuppressant": ("immunosuppressive", "immunosuppressants", "immunosuppressive treatment"),
    "anticoagulant": ("anticoagulants", "anticoagulant treatment"),
    "corticosteroid": ("corticosteroids", "steroid", "steroids", "corticosteroid treatment"),
    "paralysis_after_surgery": ("paralysis", "post surgical paralysis", "paralysis after surgical treatment"),
    "hbsag": ("hbs ag", "hepatitis b", "hbsag test"),
    "hiv": ("anti hiv", "hiv test"),
    "cmv": ("cmv igm", "cmv test", "cytomegalovirus"),
    "rubella": ("rubella igm", "rubella test"),
    "toxoplasma": ("toxo", "toxoplasma igm", "toxoplasma test"),
    "consent": ("informed consent", "consent status", "ic"),
    "enrolled": ("enrollment", "enrolment", "included", "enrolled in study"),
})

_OUTCOME_ALIASES: dict[str, tuple[str, ...]] = {
    "bmd_tscore": _TSCORE,
    "vas": ("vas (0-10)", "vas pain", "pain vas", "vas score", "pain"),
    "bmd_g_cm2": ("bmd", "bmd g/cm2", "spine bmd", "bmd (g/cm2)", "bmd g cm2", "bmd l1-l4"),
    "rom_deg": ("rom", "range of motion", "rom (deg)", "rom degrees"),
    "qol": ("quality of life", "qol score"),
}
assert set(_OUTCOME_ALIASES) == set(OUTCOMES)
OUTCOME_ALIASES = _aliases(_OUTCOME_ALIASES)

VISIT_ALIASES = _aliases({
    "patient_id": _PATIENT_ID,
    "visit": ("visit label", "timepoint", "time point", "event", "redcap event name", "kunjungan"),
    "month": ("months", "month offset", "months since baseline", "bulan"),
    "day": ("days", "day offset", "study day", "days since baseline", "hari"),
    **_OUTCOME_ALIASES,
})

#: Sheet names (normalised) that hold each table; anything else is recognised by its columns.
SHEET_ALIASES = {
    "screening": {"screening", "screen", "screeninglog", "candidates", "eligibility", "skrining"},
    "visits": {"visits", "visit", "followup", "outcomes", "data", "kunjungan", "redcap"},
}


def sheet_kind(sheet_name: str | None) -> str | None:
    """"screening" or "visits" when the sheet (or CSV file) name says which table it holds."""
    key = normalise(sheet_name or "")
    for kind, names in SHEET_ALIASES.items():
        if key in names or any(key.startswith(n) or key.endswith(n) for n in names if len(n) > 5):
            return kind
    return None
