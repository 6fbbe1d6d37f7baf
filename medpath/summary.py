"""The study summary behind ``python -m medpath summary --json`` and the dashboard's Overview page.

Keys (documented in the README): ``study`` (label, synthetic, sources with SHA-256), ``patients``
(number of patients with visits), ``screened``, ``excluded_rows``, ``findings``, ``funnel`` and
``candidates`` (``medpath.eligibility``), ``outcomes`` (``medpath.outcomes``: one entry per primary
outcome present, baseline vs month 6 by default).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

from medpath.eligibility import evaluate
from medpath.funnel_notes import funnel_notes
from medpath.model import OUTCOMES, PRIMARY_MONTH, Study
from medpath.outcomes import headline, primary_analysis
from medpath.paper import paper_json
from medpath.wording import plain_sentence

CAVEAT = (
    "Exploratory: a single group without control, so a change from baseline cannot be attributed to "
    "the treatment. {floors} A non-significant result is not evidence of no effect."
)


@dataclass(frozen=True)
class KeyNumbers:
    """The Overview page's numbers: funnel counts and each primary result in one line."""

    screened: int | None
    enrolled: int
    completed: int
    results: list[str]
    caveat: str
    sentences: dict[str, str] = field(default_factory=dict)  # outcome -> plain sentence (wording.plain_sentence)
    funnel_notes: list[str] = field(default_factory=list)  # why candidates could not be checked (funnel_notes)


def key_numbers(
    study: Study, *, followup_month: float = PRIMARY_MONTH, alternative: str = "two-sided", zero_method: str = "wilcox"
) -> KeyNumbers:
    """The numbers with the test options in force on the pages (the defaults are the protocol's)."""
    eligibility = evaluate(study.screening, study.visits)
    steps = {step.id: step.n for step in eligibility.steps}
    comparisons = (
        primary_analysis(study.visits, followup_month, alternative, zero_method, lost=study.left_out_text)
        if len(study.visits)
        else {}
    )
    floors = " ".join(
        f"{OUTCOMES[key].label}: with n = {c.n_pairs} pairs ({c.wilcoxon.n_used} non-zero changes) a "
        f"{c.wilcoxon.alternative} Wilcoxon test cannot give p < {c.min_attainable_p:.4g}."
        for key, c in comparisons.items()
        if c.n_pairs
    )
    return KeyNumbers(
        screened=steps.get("screened"),
        enrolled=steps["enrolled"],
        completed=steps["completed_6_months"],
        results=[headline(c) for c in comparisons.values()],
        caveat=CAVEAT.format(floors=floors),
        sentences={key: plain_sentence(c) for key, c in comparisons.items()},
        funnel_notes=funnel_notes(eligibility, study.screening),
    )


def summarise(
    study: Study, *, followup_month: float = PRIMARY_MONTH, alternative: str = "two-sided", zero_method: str = "wilcox"
) -> dict:
    """One JSON-ready dict with everything the CLI prints."""
    eligibility = evaluate(study.screening, study.visits)
    outcomes = primary_analysis(
        study.visits,
        followup_month=followup_month,
        alternative=alternative,
        zero_method=zero_method,
        lost=study.left_out_text,
    )
    return {
        "study": {"label": study.label, "synthetic": study.synthetic, "sources": [asdict(s) for s in study.sources]},
        "patients": len(study.patient_ids),
        "screened": None if study.screening is None else len(study.screening),
        "excluded_rows": dict(study.excluded_rows),
        "findings": [f.as_dict() for f in study.findings],
        **eligibility.as_json(),
        "outcomes": {key: comparison.as_json() for key, comparison in outcomes.items()},
        # consort, baseline, adverse_events, secondary (issue 13)
        **paper_json(
            study, eligibility, followup_month=followup_month, alternative=alternative, zero_method=zero_method
        ),
    }
