"""Baseline characteristics of the enrolled patients (CONSORT 2025 item 25, "Table 1").

One row per characteristic: age and sex (screening log), the spine T-score and its WHO class, spine BMD
in g/cm², VAS pain, range of motion and quality of life at the baseline visit (month 0). A continuous
characteristic is summarised as median (IQR: quartiles by linear interpolation, Hyndman & Fan type 7, as
``medpath.stats``), a category as n (%) of the patients with a value; with five patients every
individual value is listed beside the summary. Patients are those ``medpath.consort`` counts as enrolled.

WHO T-score classes (WHO Technical Report Series 843, 1994) are defined for postmenopausal women and men
aged 50 and older; for men under 50 and premenopausal women the ISCD prefers Z-scores (ISCD 2019 Adult
Official Positions: "In females prior to menopause transition and males younger than age 50, Z-scores,
not T-scores, are preferred"). Menopausal status is not recorded here, so every woman under 50 is
flagged as possibly premenopausal (``who_class_notes``).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from medpath.consort import consort_flow
from medpath.formatting import number
from medpath.model import OUTCOMES, Study
from medpath.trajectories import who_class

#: Age below which the WHO T-score classes are not the ISCD's choice (men; women: premenopausal).
ISCD_AGE = 50
WHO_CLASSES = ("osteoporosis", "osteopenia", "normal")
BASELINE_COLUMNS = ["characteristic", "n", "summary", "values"]


def _quartiles(values: np.ndarray) -> tuple[float, float, float]:
    q1, median, q3 = np.percentile(values, [25, 50, 75])  # linear interpolation (type 7)
    return float(median), float(q1), float(q3)


def _continuous(label: str, ids: list[str], values: dict[str, float]) -> dict:
    known = [(pid, values[pid]) for pid in ids if pid in values and not pd.isna(values[pid])]
    if not known:
        return {"characteristic": label, "n": 0, "summary": "not recorded", "values": ""}
    median, q1, q3 = _quartiles(np.array([v for _, v in known], dtype=float))
    return {
        "characteristic": label,
        "n": len(known),
        "summary": f"{number(median)} ({number(q1)} to {number(q3)})",
        "values": "; ".join(f"{pid}: {number(v)}" for pid, v in known),
    }


def _categories(label: str, ids: list[str], values: dict[str, object], categories) -> list[dict]:
    known = [(pid, values[pid]) for pid in ids if pid in values and not pd.isna(values[pid])]
    if not known:
        return [{"characteristic": label, "n": 0, "summary": "not recorded", "values": ""}]
    rows = []
    for category, word in categories:
        who = [pid for pid, v in known if v == category]
        rows.append(
            {
                "characteristic": f"{label}: {word}",
                "n": len(known),
                "summary": f"{len(who)} ({100 * len(who) / len(known):.0f} %)",
                "values": ", ".join(who),
            }
        )
    return rows


def baseline_table(study: Study, enrolled: list[str] | None = None) -> pd.DataFrame:
    """Table 1 of the enrolled patients: characteristic, n (patients with a value), summary (median (IQR) or
    n (%)), values (each patient's value, or the patients in the category)."""
    ids = list(enrolled if enrolled is not None else consort_flow(study).enrolled_ids)
    screening = study.screening
    age: dict[str, float] = {}
    sex: dict[str, object] = {}
    if screening is not None:
        age = dict(zip(screening["patient_id"].tolist(), screening["age"].astype(float).tolist()))
        sex = dict(zip(screening["patient_id"].tolist(), screening["sex"].astype(object).tolist()))
    visits = study.visits
    base = visits[visits["month"] == 0].drop_duplicates("patient_id")
    at_baseline = {
        key: dict(zip(base["patient_id"].tolist(), base[key].astype(float).tolist())) for key in OUTCOMES if key in base
    }
    rows = [_continuous("Age, years", ids, age), *_categories("Sex", ids, sex, (("F", "female"), ("M", "male")))]
    tscores = at_baseline.get("bmd_tscore", {})
    rows.append(_continuous("Spine BMD T-score at baseline, SD", ids, tscores))
    classes = {pid: who_class(t) for pid, t in tscores.items() if not pd.isna(t)}
    rows += _categories("WHO class at baseline", ids, classes, [(c, c) for c in WHO_CLASSES])
    for key, label in (
        ("bmd_g_cm2", "Spine BMD at baseline, g/cm²"),
        ("vas", "VAS pain at baseline, 0–10"),
        ("rom_deg", "Range of motion at baseline, degrees"),
        ("qol", "Quality of life at baseline, score"),
    ):
        rows.append(_continuous(label, ids, at_baseline.get(key, {})))
    table = pd.DataFrame(rows, columns=BASELINE_COLUMNS)
    return table.astype({"n": "int64"})


def baseline_json(study: Study) -> list[dict]:
    """The ``baseline`` key of ``summary --json``: [{characteristic, n, summary, values}]."""
    return [
        {k: (int(v) if k == "n" else v) for k, v in row.items()}
        for row in baseline_table(study).to_dict(orient="records")
    ]


def who_class_notes(study: Study, patients: list[str] | None = None) -> list[str]:
    """Where WHO T-score classes are applied to men under 50 or to women under 50 (possibly premenopausal:
    menopausal status is not recorded), one sentence naming them; [] otherwise."""
    if study.screening is None:
        return []
    ids = set(patients if patients is not None else study.patient_ids)
    screening = study.screening
    young = [
        (pid, s, a)
        for pid, s, a in zip(
            screening["patient_id"].tolist(),
            screening["sex"].astype(object).tolist(),
            screening["age"].astype(float).tolist(),
        )
        if pid in ids and not pd.isna(a) and a < ISCD_AGE and s in ("M", "F")
    ]
    if not young:
        return []
    who = ", ".join(f"{pid} ({'man' if s == 'M' else 'woman'}, {a:g} y)" for pid, s, a in young)
    return [
        f"WHO T-score classes are applied to {who}: for men under {ISCD_AGE} and premenopausal women the ISCD "
        "prefers Z-scores (ISCD 2019 Adult Official Positions); menopausal status is not recorded, so women under "
        f"{ISCD_AGE} are flagged as possibly premenopausal. Read their WHO class with care."
    ]
