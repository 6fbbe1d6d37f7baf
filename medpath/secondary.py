"""Secondary outcomes of NCT04501354: range of motion, quality of life and spine BMD in g/cm², with the
same exact paired analysis as the primary outcomes (``medpath.outcomes.compare_visits``: exact Wilcoxon
signed-rank test, Hodges-Lehmann estimate and interval), labelled secondary and exploratory. They are
outside the Holm family of the two primary outcomes: their p-values are not adjusted and carry no
confirmatory weight.

BMD change is also judged against the densitometer's least significant change (LSC). The ISCD (2019 Adult
Official Positions; Baim et al., J Clin Densitom 2005;8:371-378) defines LSC = 2.77 x the site's precision
error (RMS-SD of repeated scans, in g/cm²), the change that is real with 95 % confidence; each facility
should measure its own. MedPath's default precision error is 0.010 g/cm² at the lumbar spine
(``DEFAULT_PRECISION_G_CM2``, about 1 % at a spine BMD near 1.0 g/cm², within the ISCD's minimum
acceptable precision of 1.9 % for the spine), so LSC = 0.0277 g/cm². A patient whose change is at least
+LSC is "gain", at most -LSC "loss", otherwise "stable". Percent change is computed on g/cm² (a ratio
scale) only, never on a T-score (a score centred on 0).
"""

from __future__ import annotations

import math

import pandas as pd

from medpath.model import OUTCOMES, PRIMARY_MONTH
from medpath.outcomes import OutcomeComparison, compare_visits

SECONDARY_OUTCOMES = ("bmd_g_cm2", "rom_deg", "qol")
#: ISCD: LSC = 2.77 x precision error (95 % confidence).
LSC_FACTOR = 2.77
#: Documented default precision error (RMS-SD) of a spine DXA scan, g/cm²; the site should enter its own.
DEFAULT_PRECISION_G_CM2 = 0.010
LSC_NOTE = (
    "LSC = 2.77 × precision error (ISCD 2019 Adult Official Positions). Default precision error "
    f"{DEFAULT_PRECISION_G_CM2:.3f} g/cm² at the lumbar spine → LSC {LSC_FACTOR * DEFAULT_PRECISION_G_CM2:.4f} "
    "g/cm²; enter your densitometer's own precision error or LSC."
)
LABEL = "Secondary, exploratory (not adjusted for multiplicity; outside the Holm family of the primary outcomes)"


def lsc_from_precision(precision_error: float) -> float:
    """ISCD: LSC = 2.77 x precision error."""
    return LSC_FACTOR * precision_error


DEFAULT_LSC = lsc_from_precision(DEFAULT_PRECISION_G_CM2)


def secondary_analysis(
    visits: pd.DataFrame,
    followup_month: float = PRIMARY_MONTH,
    alternative: str = "two-sided",
    zero_method: str = "wilcox",
) -> dict[str, OutcomeComparison]:
    """``compare_visits`` for each secondary outcome with a value (no Holm adjustment: ``p_holm`` stays None)."""
    return {
        key: compare_visits(visits, key, followup_month, alternative=alternative, zero_method=zero_method)
        for key in SECONDARY_OUTCOMES
        if key in visits.columns and visits[key].notna().any()
    }


def lsc_table(comparison: OutcomeComparison, lsc: float = DEFAULT_LSC) -> pd.DataFrame:
    """Per patient with both values: patient_id, baseline, followup, change (g/cm²), percent_change (100 x
    change / baseline), category ("gain": change >= LSC, "loss": change <= -LSC, else "stable")."""
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


def secondary_json(
    visits: pd.DataFrame,
    followup_month: float = PRIMARY_MONTH,
    lsc: float = DEFAULT_LSC,
    alternative: str = "two-sided",
    zero_method: str = "wilcox",
) -> dict:
    """The ``secondary`` key of ``summary --json``: per outcome the shape of ``outcomes`` (``as_json``) plus
    role "secondary" and exploratory true; for bmd_g_cm2 also lsc, precision_error, gain, stable, loss and the
    per-patient table."""
    out = {}
    for key, comparison in secondary_analysis(visits, followup_month, alternative, zero_method).items():
        entry = comparison.as_json() | {"role": "secondary", "exploratory": True, "unit": OUTCOMES[key].unit}
        if key == "bmd_g_cm2":
            table = lsc_table(comparison, lsc)
            entry |= {
                "lsc": round(lsc, 10),
                "precision_error": round(lsc / LSC_FACTOR, 10),
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
