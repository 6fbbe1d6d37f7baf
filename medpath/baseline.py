"""Baseline characteristics of the enrolled patients (CONSORT 2025 item 25, "Table 1").

One row per characteristic: the rows the protocol names (``Protocol.table1``: age, sex, its own screening fields
such as disease duration or haemoglobin, and outcomes), by default age and sex (screening log) and every outcome;
an outcome is its value at the baseline visit (month 0), followed by its class where the protocol defines classes
(``Outcome.bands``, e.g. the WHO T-score classes). A screening number is summarised like age, a yes/no item or
a test as n (%) yes / positive. A continuous characteristic is summarised as median (IQR: quartiles by linear
interpolation, Hyndman & Fan type 7, as ``medpath.stats``), a category as n (%) of the patients with a value;
with few patients every individual value is listed beside the summary. Patients are those
``medpath.consort`` counts as enrolled.

Where the protocol says its classes are not defined below an age (``Bands.caution_age``, e.g. the WHO T-score
classes for men under 50 and premenopausal women), ``band_notes`` names the patients concerned.

A characteristic that cannot be known is "not determinable" with the reason, never "0" (n None): age and sex
without a screening log read whole or without a readable column; an outcome when the visits table was not read
whole or holds no value of it. "Not recorded" (n 0) says only that none of the enrolled has a value where others
do. When the enrolled patients themselves are not known (``Flow.enrolled`` None), every row is not determinable
(``table1``).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from medpath.consort import Flow, consort_flow
from medpath.formatting import count, not_determinable, number
from medpath.model import Study
from medpath.protocol import TRUTH_WORDS
from medpath.scale import summary_first
from medpath.trajectories import band_class

BASELINE_COLUMNS = ["characteristic", "n", "summary", "values"]


def _quartiles(values: np.ndarray) -> tuple[float, float, float]:
    q1, median, q3 = np.percentile(values, [25, 50, 75])  # linear interpolation (type 7)
    return float(median), float(q1), float(q3)


def _known(ids: list[str], values: dict) -> pd.Series:
    """The values of the patients ``ids`` that have one (missing and absent left out), in ``ids`` order."""
    series = pd.Series(values, dtype=object).reindex(pd.Index(ids, dtype=object))
    return series[series.notna()]


def _unknown(label: str, reason: str) -> dict:
    """A characteristic that is not determinable, and why."""
    return {"characteristic": label, "n": None, "summary": not_determinable(reason), "values": ""}


def _continuous(label: str, ids: list[str], values: dict[str, float], unknown: str | None = None) -> dict:
    if unknown is not None:
        return _unknown(label, unknown)
    known = _known(ids, values).astype(float)
    if known.empty:
        return {"characteristic": label, "n": 0, "summary": "not recorded", "values": ""}
    median, q1, q3 = _quartiles(known.to_numpy())
    shown = known.map({v: number(v) for v in known.unique()})  # each distinct value formatted once
    return {
        "characteristic": label,
        "n": len(known),
        "summary": f"{number(median)} ({number(q1)} to {number(q3)})",
        "values": "; ".join(f"{pid}: {text}" for pid, text in zip(known.index.tolist(), shown.tolist())),
    }


def _categories(
    label: str, ids: list[str], values: dict[str, object], categories, unknown: str | None = None
) -> list[dict]:
    if unknown is not None:
        return [_unknown(label, unknown)]
    known = list(_known(ids, values).items())
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


def _screening_unknown(study: Study, column: str, label: str) -> str | None:
    """Why a screening characteristic (age, sex) cannot be known, or None."""
    if "screening" in study.unread:
        return study.unread["screening"]
    if study.screening is None:
        return "no screening log was read"
    if column not in study.screening or not study.screening[column].notna().any():
        return f"no column for {label} was read from the screening log"
    return None


def _visits_unknown(study: Study, key: str, label: str) -> str | None:
    """Why an outcome at baseline cannot be known, or None."""
    if "visits" in study.unread:
        return study.unread["visits"]
    if key not in study.visits or not study.visits[key].notna().any():
        return f"no {label} value was read from the visits"
    return None


def baseline_table(study: Study, enrolled: list[str] | None = None) -> pd.DataFrame:
    """Table 1 of the enrolled patients (``enrolled``: their ids; by default the participant flow's): characteristic,
    n (patients with a value; missing when not determinable), summary (median (IQR) or n (%), or "not determinable:
    <reason>"), values (each patient's value, or the patients in the category)."""
    ids = list(enrolled if enrolled is not None else consort_flow(study).enrolled_ids)
    protocol = study.protocol
    screening = study.screening
    visits = study.visits
    base = visits[visits["month"] == 0].drop_duplicates("patient_id")
    fields = {f.key: f for f in protocol.screening}
    rows: list[dict] = []
    for key in protocol.table1 or ("age", "sex", *protocol.outcomes):
        if key in protocol.outcomes:
            rows += _outcome_rows(study, key, ids, base)
            continue
        values: dict[str, object] = {}
        if screening is not None and key in screening:
            values = dict(zip(screening["patient_id"].tolist(), screening[key].astype(object).tolist()))
        field = fields.get(key)
        label = "Age" if key == "age" else "Sex" if key == "sex" else (field.label if field else key)
        label = label[:1].upper() + label[1:]  # the Data page's "body mass index (kg/m²)" opens a table row
        unknown = _screening_unknown(study, key, label)
        if key == "sex":
            rows += _categories("Sex", ids, values, (("F", "female"), ("M", "male")), unknown)
        elif field is not None and field.kind in TRUTH_WORDS:
            rows += _categories(label, ids, values, [(v, w) for w, v in TRUTH_WORDS[field.kind].items()], unknown)
        else:
            numbers = {pid: float(v) for pid, v in values.items() if isinstance(v, int | float) and not pd.isna(v)}
            rows.append(_continuous("Age, years" if key == "age" else label, ids, numbers, unknown))
    table = pd.DataFrame(rows, columns=BASELINE_COLUMNS)
    return table.astype({"n": "Int64"})


def _outcome_rows(study: Study, key: str, ids: list[str], base: pd.DataFrame) -> list[dict]:
    """An outcome at the baseline visit, and its class where the protocol defines classes."""
    outcome = study.protocol.outcomes[key]
    values = dict(zip(base["patient_id"].tolist(), base[key].astype(float).tolist())) if key in base else {}
    unknown = _visits_unknown(study, key, outcome.label)
    if outcome.kind == "binary":  # yes / no: n (%), as a yes/no screening item
        return _categories(f"{outcome.label} at baseline", ids, values, ((1.0, "yes"), (0.0, "no")), unknown)
    if outcome.kind == "ordinal":  # n (%) per level, lowest first (the cells hold each level's place)
        levels = [(float(place), level) for place, level in enumerate(outcome.levels)]
        return _categories(f"{outcome.label} at baseline", ids, values, levels, unknown)
    rows = [_continuous(f"{outcome.label} at baseline, {outcome.unit}", ids, values, unknown)]
    if outcome.bands is not None:
        classes = {pid: band_class(v, outcome.bands) for pid, v in values.items() if not pd.isna(v)}
        labels = [(c, c) for c in outcome.bands.labels]
        rows += _categories(f"{outcome.bands.name} at baseline", ids, classes, labels, unknown)
    return rows


def table1(study: Study, flow: Flow) -> pd.DataFrame:
    """``baseline_table`` of the patients the participant flow counts as enrolled; when that number is not
    determinable, every row is not determinable (a table of whoever happens to be known would be a wrong number)."""
    table = baseline_table(study, list(flow.enrolled_ids))
    if flow.enrolled is None:
        reason = f"the enrolled patients are not known ({flow.reasons.get('enrolled', 'not recorded')})"
        table = table.assign(
            n=pd.array([pd.NA] * len(table), dtype="Int64"), summary=not_determinable(reason), values=""
        )
    return table


def table1_intro(flow: Flow) -> str:
    """The sentence above Table 1: how many enrolled patients it describes and how (or why it cannot)."""
    return (
        f"Enrolled patients (n = {count(flow.enrolled)}): median (IQR) or n (%) of the patients with a value, and every "
        "patient's value."
    )


def baseline_json(study: Study, flow: Flow) -> list[dict]:
    """The ``baseline`` key of ``summary --json``: [{characteristic, n, summary, values}] (``table1``; n null when
    not determinable, the summary then says why)."""
    return [
        {k: (None if k == "n" and pd.isna(v) else int(v) if k == "n" else v) for k, v in row.items()}
        for row in table1(study, flow).astype(object).to_dict(orient="records")
    ]


def band_notes(study: Study, patients: list[str] | None = None) -> list[str]:
    """Per outcome whose classes carry a caution below an age (``Bands.caution_age``): one sentence naming the
    patients (men, and women possibly premenopausal) younger than that age, or counting them in a study above
    ``medpath.scale.SUMMARY_ABOVE`` patients (a sentence must not grow with the study); [] when none."""
    if study.screening is None:
        return []
    ids = set(patients if patients is not None else study.patient_ids)
    screening = study.screening
    notes = []
    for outcome in study.protocol.outcomes.values():
        bands = outcome.bands
        if bands is None or bands.caution_age is None:
            continue
        young = [
            (pid, s, a)
            for pid, s, a in zip(
                screening["patient_id"].tolist(),
                screening["sex"].astype(object).tolist(),
                screening["age"].astype(float).tolist(),
            )
            if pid in ids and not pd.isna(a) and a < bands.caution_age and s in ("M", "F")
        ]
        if not young:
            continue
        men = sum(s == "M" for _, s, _ in young)
        who = (
            f"{len(young)} patients under {bands.caution_age:g} y ({men} men, {len(young) - men} women)"
            if summary_first(len(ids))
            else ", ".join(f"{pid} ({'man' if s == 'M' else 'woman'}, {a:g} y)" for pid, s, a in young)
        )
        notes.append(f"{bands.name} ({outcome.label}) is applied to {who}: {bands.caution}")
    return notes
