"""Secondary outcomes of a protocol (``Protocol.secondary_outcomes``), with the same exact paired analysis as the
primary outcomes (``medpath.outcomes.compare_visits``: exact Wilcoxon signed-rank test, Hodges-Lehmann estimate and
interval), labelled secondary and exploratory. They are outside the Holm family of the primary outcomes: their
p-values are not adjusted and carry no confirmatory weight.

Where the protocol gives an outcome a least significant change (``Outcome.lsc``, e.g. spine BMD in g/cm²: the
ISCD's LSC = 2.77 x the site's precision error, 2019 Adult Official Positions; Baim et al., J Clin Densitom
2005;8:371-378), each patient's change is also judged against it: at least +LSC is "gain", at most -LSC "loss",
otherwise "stable". The protocol's precision error is a documented default; the site should enter its own.
"""

from __future__ import annotations

import math

import pandas as pd

from medpath import stats
from medpath.outcomes import OutcomeComparison, compare_outcomes
from medpath.protocol import Protocol

LABEL = "Secondary, exploratory (not adjusted for multiplicity; outside the Holm family of the primary outcomes)"


def secondary_analysis(
    visits: pd.DataFrame,
    followup_month: float | None = None,
    alternative: stats.AlternativeChoice = "two-sided",
    zero_method: stats.ZeroMethod = "wilcox",
    *,
    protocol: Protocol,
    hl_zeros: stats.HLZeros = "keep",
) -> dict[str, OutcomeComparison]:
    """``compare_visits`` for each secondary outcome of ``protocol`` (the study's) with a value (no Holm adjustment:
    ``p_holm`` stays None)."""
    return compare_outcomes(
        visits, protocol.secondary_outcomes, followup_month, alternative, zero_method, hl_zeros, protocol
    )


def lsc_table(comparison: OutcomeComparison, lsc: float | None = None) -> pd.DataFrame:
    """Per patient with both values: patient_id, baseline, followup, change (the outcome's unit), percent_change
    (100 x change / baseline), category ("gain": change >= LSC, "loss": change <= -LSC, else "stable"); ``lsc``:
    the protocol's default (``Outcome.lsc``) when None."""
    if lsc is None:
        assert comparison.meta.lsc is not None, "an LSC is given or the outcome has one"
        lsc = comparison.meta.lsc.value
    changes = comparison.changes
    change = changes["change"].astype(float)
    tolerance = 1e-9  # a change equal to the LSC as typed counts as reaching it
    category = ["gain" if c >= lsc - tolerance else "loss" if c <= -lsc + tolerance else "stable" for c in change]
    return pd.DataFrame(
        {
            "patient_id": changes["patient_id"].tolist(),
            "baseline": changes["baseline"].astype(float),
            "followup": changes["followup"].astype(float),
            "change": change,
            "percent_change": 100 * change / changes["baseline"].astype(float).where(changes["baseline"] != 0),
            "category": category,
        }
    )


def lsc_counts(table: pd.DataFrame) -> dict[str, int]:
    return {c: int((table["category"] == c).sum()) for c in ("gain", "stable", "loss")}


def secondary_json(comparisons: dict[str, OutcomeComparison], lsc: float | None = None) -> dict:
    """The ``secondary`` key of ``summary --json``: per outcome the shape of ``outcomes`` (``as_json``) plus
    role "secondary" and exploratory true; for an outcome with an LSC also lsc, precision_error, gain, stable,
    loss and the per-patient table (``lsc``: the LSC in force, the protocol's when None)."""
    out = {}
    for key, comparison in comparisons.items():
        entry = comparison.as_json() | {"role": "secondary", "exploratory": True, "unit": comparison.meta.unit}
        rule = comparison.meta.lsc
        if rule is not None:
            used = rule.value if lsc is None else lsc
            table = lsc_table(comparison, used)
            entry |= {
                "lsc": round(used, 10),
                "precision_error": round(used / rule.factor, 10),
                **lsc_counts(table),
                "patients": [
                    {
                        "patient_id": r.patient_id,
                        "change": r.change,
                        "percent_change": None if math.isnan(r.percent_change) else r.percent_change,
                        "category": r.category,
                    }
                    for r in table.itertuples()
                ],
            }
        out[key] = entry
    return out
