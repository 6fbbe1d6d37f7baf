"""Per-patient trajectories of the trial outcomes: series over time, completeness, WHO class shifts
and VAS pain response.

Every function reads the canonical ``Study.visits`` table (``medpath.model``). Baseline is the visit
at month 0. A value that was not measured stays NaN: nothing is interpolated or carried forward, so a
missing visit is a gap, never an estimate.
"""

from __future__ import annotations

import pandas as pd

from medpath.model import OUTCOMES, PRIMARY_MONTH, PRIMARY_OUTCOMES

#: WHO diagnostic categories of bone density, least to most severe.
WHO_CLASSES = ("normal", "osteopenia", "osteoporosis")
WHO_CLASS_DTYPE = pd.CategoricalDtype(WHO_CLASSES, ordered=True)
WHO_NORMAL_MIN = -1.0  # T >= -1.0 is normal
WHO_OSTEOPOROSIS_MAX = -2.5  # T <= -2.5 is osteoporosis
#: Row / column of ``who_shift_table`` for patients without a T-score at that visit.
MISSING = "missing"

#: T-scores and VAS changes are rounded to this many decimals before being compared with a
#: threshold, so that float noise (-2.5000000000000004, 7.3 - 5.3 = 1.9999999999999996) cannot flip
#: a value that is exactly on the boundary. Nine decimals, not six, so that a genuine difference
#: such as -1.0000001 still counts (T-scores are reported to one decimal; noise is ~1e-15).
DECIMALS = 9

VAS_RESPONSE_CONVENTION = (
    "Responder: VAS pain (0–10) reduced from baseline to month 6 by at least 2 points OR by at "
    "least 30 % of the baseline score. IMMPACT (Dworkin et al., J Pain 2008;9:105–121) regards a "
    "reduction of at least 30 % as moderately important and of at least 2 points (2 cm on a 10-cm "
    "scale) as clinically important; Farrar et al. (Pain 2001;94:149–158) found that reductions of "
    "about 2 points or 30 % on a 0–10 pain scale matched patients' rating of 'much improved'. A "
    "baseline of 0 leaves the percentage undefined, so such a patient is judged on points only. A "
    "patient without a baseline or month-6 score is not classified (NA)."
)


def who_class(tscore):
    """WHO diagnostic class of a T-score: a string (pd.NA if missing) or, for a Series, a categorical.

    WHO Study Group, "Assessment of fracture risk and its application to screening for postmenopausal
    osteoporosis", WHO Technical Report Series 843, Geneva 1994: normal T >= -1.0; osteopenia (low
    bone mass) -2.5 < T < -1.0; osteoporosis T <= -2.5. The T-score is rounded to ``DECIMALS``
    decimals first, so -2.5000000000000004 is osteoporosis. (WHO defined the classes for
    postmenopausal women; here they describe the spine T-score of every trial patient.)
    """
    if isinstance(tscore, pd.Series):
        return tscore.map(who_class).astype(WHO_CLASS_DTYPE)
    if pd.isna(tscore):
        return pd.NA
    t = round(float(tscore), DECIMALS)
    if t >= WHO_NORMAL_MIN:
        return "normal"
    return "osteopenia" if t > WHO_OSTEOPOROSIS_MAX else "osteoporosis"


def _check_outcome(visits: pd.DataFrame, outcome: str) -> None:
    if outcome not in OUTCOMES:
        raise ValueError(f"Unknown outcome {outcome!r}; expected one of {list(OUTCOMES)}.")
    if outcome not in visits.columns:
        raise ValueError(f"The visits table has no {outcome!r} column.")


def patient_ids(visits: pd.DataFrame) -> list[str]:
    """Every patient of the visits table, sorted (the order of ``style.patient_colours``)."""
    return sorted(dict.fromkeys(visits["patient_id"]))


def value_at(visits: pd.DataFrame, outcome: str, month: float) -> pd.Series:
    """Each patient's ``outcome`` at ``month``, indexed by patient id (NaN when not measured)."""
    _check_outcome(visits, outcome)
    at_month = visits[visits["month"] == month]
    return at_month.groupby("patient_id")[outcome].first().reindex(patient_ids(visits)).astype(float)


def patient_series(visits: pd.DataFrame, outcome: str) -> pd.DataFrame:
    """One row per (patient, study visit), sorted by patient and month.

    Columns: patient_id, visit, month, day (the day offset when the file gives one), value, baseline
    (the patient's month-0 value), change
    (value - baseline), percent_change (100 * change / |baseline|; NaN when the baseline is 0 or
    missing; not for ``bmd_tscore``) and, for ``bmd_tscore``, who_class. The grid is every patient x every visit at which
    this outcome was measured in anyone (its schedule: spine BMD is not measured at month 1, so
    month 1 is not a BMD time point): a scheduled visit a patient missed is a row with NaN value
    (a gap), never an interpolation.
    There is no percent_change for ``bmd_tscore``: a T-score is a score centred on 0, so its percent change is
    meaningless (a change from −0.1 to +0.1 would be "+200 %"); bone researchers judge BMD change in g/cm²
    against the least significant change instead (``medpath.secondary``).
    """
    _check_outcome(visits, outcome)
    schedule = visits.loc[visits[outcome].notna(), ["visit", "month"]].drop_duplicates()
    grid = pd.DataFrame({"patient_id": patient_ids(visits)}).merge(schedule, how="cross")
    day = visits["day"] if "day" in visits else float("nan")
    series = grid.merge(
        visits[["patient_id", "visit", "month"]].assign(day=day, value=visits[outcome]),
        on=["patient_id", "visit", "month"],
        how="left",
    )
    series["value"] = series["value"].astype(float)
    series["baseline"] = series["patient_id"].map(value_at(visits, outcome, 0.0)).astype(float)
    series["change"] = series["value"] - series["baseline"]
    if outcome != "bmd_tscore":  # a T-score is centred on 0: its percent change means nothing (issue 13)
        series["percent_change"] = 100 * series["change"] / series["baseline"].abs().where(series["baseline"] != 0)
    if outcome == "bmd_tscore":
        series["who_class"] = who_class(series["value"])
    return series.sort_values(["patient_id", "month"], kind="stable").reset_index(drop=True)


def completeness(visits: pd.DataFrame, followup_month: float = PRIMARY_MONTH) -> pd.DataFrame:
    """Per patient, the visits with a value for each primary outcome and an ``incomplete`` flag.

    Columns: patient_id; ``<outcome>_visits`` (visit labels with a value, comma-separated);
    ``<outcome>_at_month_<m>`` (True when measured at the follow-up month); incomplete (a primary
    outcome lacks its follow-up value). A patient seen only at baseline is listed, as incomplete.
    """
    table = pd.DataFrame({"patient_id": patient_ids(visits)})
    at_followup = []
    for outcome in PRIMARY_OUTCOMES:
        series = patient_series(visits, outcome).dropna(subset=["value"])
        measured = series.groupby("patient_id")["visit"].agg(", ".join)
        table[f"{outcome}_visits"] = table["patient_id"].map(measured).fillna("")
        column = f"{outcome}_at_month_{followup_month:g}"
        table[column] = value_at(visits, outcome, followup_month).notna().to_numpy()
        at_followup.append(column)
    table["incomplete"] = ~table[at_followup].all(axis=1)
    return table


def who_shift_table(visits: pd.DataFrame, followup_month: float = PRIMARY_MONTH) -> pd.DataFrame:
    """Patients counted by WHO class at baseline (rows) and at ``followup_month`` (columns).

    Rows and columns are always normal, osteopenia, osteoporosis and ``MISSING`` (no T-score at that
    visit), so every patient is counted exactly once and the table sums to the number of patients;
    ``table.loc[WHO_CLASSES, WHO_CLASSES]`` is the 3 x 3 table of classifiable patients.
    """
    categories = [*WHO_CLASSES, MISSING]

    def classes(month: float) -> pd.Series:
        return who_class(value_at(visits, "bmd_tscore", month)).cat.add_categories(MISSING).fillna(MISSING)

    table = pd.crosstab(classes(0.0), classes(followup_month))
    table = table.reindex(index=categories, columns=categories, fill_value=0).astype(int)
    table.index.name = "baseline"
    table.columns.name = f"month {followup_month:g}"
    return table


def vas_response(
    visits: pd.DataFrame,
    followup_month: float = PRIMARY_MONTH,
    min_points: float = 2.0,
    min_percent: float = 30.0,
) -> pd.DataFrame:
    """Per patient VAS pain at baseline and follow-up, and whether the patient responded.

    Columns: patient_id, baseline, followup, change (followup - baseline; negative = less pain),
    percent_change (100 * change / baseline; NaN for a baseline of 0) and responder (boolean, NA
    without both scores): a reduction of at least ``min_points`` OR at least ``min_percent`` % of
    baseline. Defaults follow ``VAS_RESPONSE_CONVENTION`` (IMMPACT, Dworkin et al. 2008; Farrar
    et al. 2001). Reductions are rounded to ``DECIMALS`` decimals before comparison.
    """
    baseline = value_at(visits, "vas", 0.0)
    followup = value_at(visits, "vas", followup_month)
    change = followup - baseline
    percent_change = 100 * change / baseline.where(baseline != 0)
    responder = ((-change).round(DECIMALS) >= min_points) | ((-percent_change).round(DECIMALS) >= min_percent)
    table = pd.DataFrame(
        {
            "baseline": baseline,
            "followup": followup,
            "change": change,
            "percent_change": percent_change,
            "responder": responder.astype("boolean").mask(change.isna()),
        }
    )
    return table.rename_axis("patient_id").reset_index()
