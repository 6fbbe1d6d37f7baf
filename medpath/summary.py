"""The study summary behind ``python -m medpath summary --json`` and the dashboard's Overview page.

Keys (documented in docs/command-line.md): ``study`` (label, synthetic, sources with SHA-256), ``patients``
(number of patients with visits), ``screened``, ``excluded_rows``, ``findings``, ``funnel`` and
``candidates`` (``medpath.eligibility``), ``outcomes`` (``medpath.outcomes``: one entry per primary
outcome present, baseline vs the protocol's primary month by default), all from one ``medpath.analysis.analyse``.

A number that cannot be known is ``null`` with its reason beside it, never 0: a funnel step has ``reason``; the
``consort`` key lists ``not_determinable`` {number: reason}; ``adverse_events`` has ``status`` and ``reason``
(``medpath.safety_status``).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

from medpath.analysis import Analysis
from medpath.formatting import floor_limits, smallest_p
from medpath.funnel_notes import funnel_notes
from medpath.gc_paused import gc_paused
from medpath.outcomes import headline
from medpath.paper import paper_json
from medpath.wording import plain_sentence

CAVEAT = (
    "Exploratory: a single group without control, so a change from baseline cannot be attributed to "
    "the treatment.{floors} A non-significant result is not evidence of no effect."
)


@dataclass(frozen=True)
class KeyNumbers:
    """The Overview page's numbers: screened, enrolled and completed (None when not determinable, ``reasons``
    then says why: "screened" / "enrolled" / "completed" -> reason in words) and each primary result in one line."""

    screened: int | None
    enrolled: int | None
    completed: int | None
    results: list[str]
    caveat: str
    sentences: dict[str, str] = field(default_factory=dict)  # outcome -> plain sentence (wording.plain_sentence)
    funnel_notes: list[str] = field(default_factory=list)  # why candidates could not be checked (funnel_notes)
    reasons: dict[str, str] = field(default_factory=dict)


def key_numbers(analysis: Analysis) -> KeyNumbers:
    """The numbers of one analysis (the choices in force on the pages). Screened, enrolled and completed are the
    participant flow's (``Analysis.flow``, itself taken from the eligibility funnel): the Overview's metrics and its
    flow diagram are one computation and cannot disagree."""
    eligibility, comparisons, flow = analysis.eligibility, analysis.primary, analysis.flow
    names = {"assessed": "screened", "enrolled": "enrolled", "completed": "completed"}
    floors = "".join(  # only where the floor limits what the study can show (never "cannot give p < 0")
        f" {c.meta.label}: with n = {c.n_pairs} pairs ({c.counted}) a {c.wilcoxon.alternative} "
        f"{c.test_name} test cannot give p < {smallest_p(c.min_attainable_p)}."
        for c in comparisons.values()
        if c.n_pairs and floor_limits(c.min_attainable_p)
    )
    return KeyNumbers(
        screened=flow.assessed,
        enrolled=flow.enrolled,
        completed=flow.completed,
        results=[headline(c) for c in comparisons.values()],
        caveat=CAVEAT.format(floors=floors),
        sentences={key: plain_sentence(c) for key, c in comparisons.items()},
        funnel_notes=funnel_notes(eligibility, analysis.study.screening, analysis.study.protocol),
        reasons={names[k]: reason for k, reason in flow.reasons.items() if k in names},
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
        "screened": analysis.flow.assessed,
        "excluded_rows": dict(study.excluded_rows),
        "findings": [f.as_dict() for f in study.findings],
        **analysis.eligibility.as_json(),
        "outcomes": {key: comparison.as_json() for key, comparison in analysis.primary.items()},
        # why "outcomes" is empty although there are visits: null when the statistics are given
        "outcomes_not_determinable": analysis.outcomes_not_determinable,
        # consort, baseline, adverse_events, secondary (issue 13)
        **paper_json(analysis),
    }
