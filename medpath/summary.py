"""The study summary behind ``python -m medpath summary --json`` and the dashboard's Overview page.

Keys (documented in the README): ``study`` (label, synthetic, sources with SHA-256), ``patients``
(number of patients with visits), ``screened``, ``excluded_rows``, ``findings``, ``funnel`` and
``candidates`` (``medpath.eligibility``), ``outcomes`` (``medpath.outcomes``: one entry per primary
outcome present, baseline vs month 6 by default).
"""

from __future__ import annotations

from dataclasses import asdict

from medpath.eligibility import evaluate
from medpath.model import PRIMARY_MONTH, Study
from medpath.outcomes import primary_analysis


def summarise(study: Study, *, followup_month: float = PRIMARY_MONTH, alternative: str = "two-sided",
              zero_method: str = "wilcox") -> dict:
    """One JSON-ready dict with everything the CLI prints."""
    eligibility = evaluate(study.screening, study.visits)
    outcomes = primary_analysis(study.visits, followup_month=followup_month, alternative=alternative,
                                zero_method=zero_method)
    return {
        "study": {"label": study.label, "synthetic": study.synthetic, "sources": [asdict(s) for s in study.sources]},
        "patients": len(study.patient_ids),
        "screened": None if study.screening is None else len(study.screening),
        "excluded_rows": dict(study.excluded_rows),
        "findings": [f.as_dict() for f in study.findings],
        **eligibility.as_json(),
        "outcomes": {key: comparison.as_json() for key, comparison in outcomes.items()},
    }
