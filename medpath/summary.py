"""The study summary behind ``python -m medpath summary --json`` and the dashboard's Overview page.

Keys (documented in the README): ``study`` (label, synthetic, sources with SHA-256), ``patients``
(number of patients with visits), ``screened``, ``excluded_rows``, ``findings``, ``funnel`` and
``candidates`` (``medpath.eligibility``), ``outcomes`` (``medpath.outcomes``: one entry per primary
outcome present, baseline vs the protocol's primary month by default), all from one ``medpath.analysis.analyse``.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

from medpath.analysis import Analysis
from medpath.eligibility import COMPLETED
from medpath.funnel_notes import funnel_notes
from medpath.gc_paused import gc_paused
from medpath.outcomes import headline
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


def key_numbers(analysis: Analysis) -> KeyNumbers:
    """The numbers of one analysis (the choices in force on the pages)."""
    eligibility, comparisons = analysis.eligibility, analysis.primary
    steps = {step.id: step.n for step in eligibility.steps}
    floors = " ".join(
        f"{c.meta.label}: with n = {c.n_pairs} pairs ({c.wilcoxon.n_used} non-zero changes) a "
        f"{c.wilcoxon.alternative} Wilcoxon test cannot give p < {c.min_attainable_p:.4g}."
        for c in comparisons.values()
        if c.n_pairs
    )
    return KeyNumbers(
        screened=steps.get("screened"),
        enrolled=steps["enrolled"],
        completed=steps[COMPLETED],
        results=[headline(c) for c in comparisons.values()],
        caveat=CAVEAT.format(floors=floors),
        sentences={key: plain_sentence(c) for key, c in comparisons.items()},
        funnel_notes=funnel_notes(eligibility, analysis.study.screening, analysis.study.protocol),
    )


def summarise(analysis: Analysis) -> dict:
    """One JSON-ready dict with everything the CLI prints (made with the cyclic collector paused, as
    ``analyse``: one dict per candidate and finding)."""
    with gc_paused():
        return _summarise(analysis)


def _summarise(analysis: Analysis) -> dict:
    study = analysis.study
    return {
        "study": {
            "label": study.label,
            "synthetic": study.synthetic,
            "protocol": study.protocol.id,
            "sources": [asdict(s) for s in study.sources],
        },
        "patients": len(study.patient_ids),
        "screened": None if study.screening is None else len(study.screening),
        "excluded_rows": dict(study.excluded_rows),
        "findings": [f.as_dict() for f in study.findings],
        **analysis.eligibility.as_json(),
        "outcomes": {key: comparison.as_json() for key, comparison in analysis.primary.items()},
        # consort, baseline, adverse_events, secondary (issue 13)
        **paper_json(analysis),
    }
