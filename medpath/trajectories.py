"""Per-patient trajectories of the trial outcomes: series over time, completeness, class shifts (an outcome's
``bands``, e.g. the WHO T-score classes) and responders (an outcome's ``responder`` rule).

Every function reads the canonical ``Study.visits`` table (``medpath.model``) and takes what is specific to the
trial (which outcomes exist, their classes, their responder rule, the primary month) from the ``protocol``
(``medpath.protocol``; by default the active one). Baseline is the visit at month 0. A value that was not
measured stays NaN: nothing is interpolated or carried forward, so a missing visit is a gap, never an estimate.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from medpath import stats
from medpath.formatting import NOT_DETERMINABLE, share_with_interval
from medpath.protocol import Bands, Outcome, Protocol
from medpath.schedule import at_time

#: Row / column of ``shift_table`` for patients without a value at that visit.
MISSING = "missing"

#: Values and changes are rounded to this many decimals before being compared with a threshold, so that
#: float noise (-1.0000000000000002, 7.3 - 5.3 = 1.9999999999999996) cannot flip a value that is exactly on
#: the boundary. Nine decimals, not six, so that a genuine difference such as -1.0000001 still counts
#: (measurements are reported to one or two decimals; noise is ~1e-15).
DECIMALS = 9


def band_class(values, bands: Bands):
    """The class of a value under ``bands`` (a string, pd.NA if missing) or, for a Series, an ordered
    categorical in the bands' order. The value is rounded to ``DECIMALS`` decimals first, so
    -1.0000000000000002 is in a band "at least -1"."""
    if isinstance(values, pd.Series):
        dtype = pd.CategoricalDtype(bands.labels, ordered=True)
        if values.dtype == "float64":  # each distinct value classified once (NaN: no class)
            classes = {v: band_class(v, bands) for v in values.unique().tolist() if v == v}
            return values.map(classes).astype(dtype)
        return values.map(lambda v: band_class(v, bands)).astype(dtype)
    if pd.isna(values):
        return pd.NA
    return bands.classify(round(float(values), DECIMALS))


def _outcome(visits: pd.DataFrame, outcome: str, protocol: Protocol) -> Outcome:
    outcomes = protocol.outcomes
    if outcome not in outcomes:
        raise ValueError(f"Unknown outcome {outcome!r}; expected one of {list(outcomes)}.")
    if outcome not in visits.columns:
        raise ValueError(f"The visits table has no {outcome!r} column.")
    return outcomes[outcome]


def patient_ids(visits: pd.DataFrame) -> list[str]:
    """Every patient of the visits table, sorted (the order of ``style.patient_colours``)."""
    return sorted(visits["patient_id"].unique().tolist())


def completed_primary(visits: pd.DataFrame, protocol: Protocol) -> set[str]:
    """Patients with a visit at the primary time holding at least one primary outcome value (the funnel's
    "Completed", the disposition's check of "completed")."""
    at = at_time(visits, protocol.primary_month)
    measured = at[[k for k in protocol.primary_outcomes if k in at]].notna().any(axis=1)
    return set(at.loc[measured, "patient_id"].tolist())


def value_at(visits: pd.DataFrame, outcome: str, month: float, protocol: Protocol) -> pd.Series:
    """Each patient's ``outcome`` at ``month``, indexed by patient id (NaN when not measured)."""
    _outcome(visits, outcome, protocol)
    at_month = at_time(visits, month)
    return at_month.groupby("patient_id")[outcome].first().reindex(patient_ids(visits)).astype(float)


def patient_series(visits: pd.DataFrame, outcome: str, protocol: Protocol) -> pd.DataFrame:
    """One row per (patient, study visit), sorted by patient and month.

    Columns: patient_id, visit, month, day (the day offset when the file gives one), value, baseline
    (the patient's month-0 value), change (value - baseline), percent_change (100 * change / |baseline|;
    NaN when the baseline is 0 or missing; only for outcomes with ``percent_change``) and, for an outcome with
    ``bands``, band (its class). The grid is every patient x every visit at which this outcome was measured in
    anyone (its schedule: an outcome not measured at month 1 has no month-1 time point): a scheduled visit a
    patient missed is a row with NaN value (a gap), never an interpolation.
    There is no percent_change for a score centred on 0 (a T-score): a change from −0.1 to +0.1 would be
    "+200 %".
    """
    meta = _outcome(visits, outcome, protocol)
    schedule = visits.loc[visits[outcome].notna(), ["visit", "month"]].drop_duplicates()
    grid = pd.DataFrame({"patient_id": patient_ids(visits)}).merge(schedule, how="cross")
    day = visits["day"] if "day" in visits else float("nan")
    series = grid.merge(
        visits[["patient_id", "visit", "month"]].assign(day=day, value=visits[outcome]),
        on=["patient_id", "visit", "month"],
        how="left",
    )
    series["value"] = series["value"].astype(float)
    series["baseline"] = series["patient_id"].map(value_at(visits, outcome, 0.0, protocol)).astype(float)
    series["change"] = series["value"] - series["baseline"]
    if meta.percent_change:
        series["percent_change"] = 100 * series["change"] / series["baseline"].abs().where(series["baseline"] != 0)
    if meta.bands is not None:
        series["band"] = band_class(series["value"], meta.bands)
    return series.sort_values(["patient_id", "month"], kind="stable").reset_index(drop=True)


def completeness(visits: pd.DataFrame, followup_month: float | None, protocol: Protocol) -> pd.DataFrame:
    """Per patient, the visits with a value for each primary outcome and an ``incomplete`` flag.

    Columns: patient_id; ``<outcome>_visits`` (visit labels with a value, comma-separated);
    ``<outcome>_at_month_<m>`` (True when measured at the follow-up month, the primary month by default);
    incomplete (a primary outcome lacks its follow-up value). A patient seen only at baseline is listed, as
    incomplete. ``followup_month`` None: the protocol's primary month.
    """
    followup_month = protocol.primary_month if followup_month is None else followup_month
    table = pd.DataFrame({"patient_id": patient_ids(visits)})
    at_followup = []
    for outcome in protocol.primary_outcomes:
        series = patient_series(visits, outcome, protocol).dropna(subset=["value"])
        measured: dict[str, list[str]] = {}  # in visit order (the series is sorted); a dict, not a groupby per patient
        for patient, visit in zip(series["patient_id"].tolist(), series["visit"].tolist()):
            measured.setdefault(patient, []).append(visit)
        table[f"{outcome}_visits"] = [", ".join(measured.get(p, ())) for p in table["patient_id"].tolist()]
        column = f"{outcome}_at_month_{followup_month:g}"
        table[column] = value_at(visits, outcome, followup_month, protocol).notna().to_numpy()
        at_followup.append(column)
    table["incomplete"] = ~table[at_followup].all(axis=1)
    return table


def shift_table(visits: pd.DataFrame, outcome: str, followup_month: float | None, protocol: Protocol) -> pd.DataFrame:
    """Patients counted by the outcome's class (``Outcome.bands``) at baseline (rows) and at ``followup_month``
    (columns; the primary month by default).

    Rows and columns are always the classes in the bands' order and ``MISSING`` (no value at that visit), so
    every patient is counted exactly once and the table sums to the number of patients.
    """
    bands = _outcome(visits, outcome, protocol).bands
    if bands is None:
        raise ValueError(f"{outcome!r} has no classes (bands) in the protocol.")
    followup_month = protocol.primary_month if followup_month is None else followup_month
    categories = [*bands.labels, MISSING]

    def classes(month: float) -> pd.Series:
        values = value_at(visits, outcome, month, protocol)
        return band_class(values, bands).cat.add_categories(MISSING).fillna(MISSING)

    table = pd.crosstab(classes(0.0), classes(followup_month))
    table = table.reindex(index=categories, columns=categories, fill_value=0).astype(int)
    table.index.name = "baseline"
    table.columns.name = protocol.visit_label(followup_month)
    return table


@dataclass(frozen=True)
class ResponderRate:
    """How many of the patients classified by ``responder_table`` responded, with the exact (Clopper–Pearson) 95 %
    interval of the proportion (``stats.clopper_pearson``); ``not_classified``: patients without both values."""

    responders: int
    classified: int
    not_classified: int
    ci: tuple[float, float]

    def as_json(self) -> dict:
        """The ``summary --json`` entry (``responders``): the counts and the exact interval (null bounds when none
        is classified)."""
        low, high = self.ci
        return {
            "responders": self.responders,
            "classified": self.classified,
            "not_classified": self.not_classified,
            "ci_low": None if low != low else low,
            "ci_high": None if high != high else high,
            "interval": "Clopper-Pearson 95 %",
        }

    @property
    def text(self) -> str:
        """ "Responders: 5 of 7 classified patients (71 %; exact 95 % CI 29 % to 96 %); 1 not classified (no value at
        both visits)", or why no rate can be given."""
        missing = f"; {self.not_classified} not classified (no value at both visits)" if self.not_classified else ""
        if not self.classified:
            return f"Responders: {NOT_DETERMINABLE}, no patient has a value at both visits"
        return f"Responders: {share_with_interval(self.responders, self.classified, self.ci, 'classified patients')}{missing}"


def responder_rate(table: pd.DataFrame) -> ResponderRate:
    """The responder proportion of a ``responder_table``: responders among the patients classified (NA left out and
    counted apart, never as non-responders)."""
    known = table["responder"].dropna()
    responders, classified = int(known.sum()), len(known)
    return ResponderRate(responders, classified, len(table) - classified, stats.clopper_pearson(responders, classified))


def responder_table(
    visits: pd.DataFrame,
    outcome: str,
    followup_month: float | None = None,
    min_points: float | None = None,
    min_percent: float | None = None,
    *,
    protocol: Protocol,
) -> pd.DataFrame:
    """Per patient the outcome at baseline and follow-up, and whether the patient responded.

    Columns: patient_id, baseline, followup, change (followup - baseline), percent_change (100 * change /
    baseline; NaN for a baseline of 0) and responder (boolean, NA without both values): an improvement, in the
    outcome's ``better`` direction, of at least ``min_points`` OR at least ``min_percent`` % of baseline. The
    defaults are the protocol's responder rule (``Outcome.responder``, which cites its source); the follow-up
    month defaults to the primary month. Improvements are rounded to ``DECIMALS`` decimals before comparison.
    """
    meta = _outcome(visits, outcome, protocol)
    if meta.responder is None and (min_points is None or min_percent is None):
        raise ValueError(f"{outcome!r} has no responder rule in the protocol; give min_points and min_percent.")
    rule = meta.responder
    min_points = rule.points if min_points is None and rule else min_points
    min_percent = rule.percent if min_percent is None and rule else min_percent
    followup_month = protocol.primary_month if followup_month is None else followup_month
    baseline = value_at(visits, outcome, 0.0, protocol)
    followup = value_at(visits, outcome, followup_month, protocol)
    change = followup - baseline
    percent_change = 100 * change / baseline.where(baseline != 0)
    sign = -1 if meta.better == "lower" else 1
    improved, improved_percent = (sign * change).round(DECIMALS), (sign * percent_change).round(DECIMALS)
    responder = (improved >= min_points) | (improved_percent >= min_percent)
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
