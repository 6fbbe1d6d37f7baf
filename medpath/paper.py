"""What the PI reports to the ethics board, the registry's results module and the paper (issue 13), as ``summary
--json`` keys: the CONSORT 2025 participant flow (``medpath.consort``), Table 1 (``medpath.baseline``), harms
(``medpath.safety_status``: the adverse events' numbers only when their sheet was read) and the secondary outcomes
with the LSC (``medpath.secondary``). The HTML report draws the same from the same analysis
(``medpath.report``); this module imports nothing of it.

The report, the Word tables and the slides' notes also share here how long a per-patient listing they print
(``first_rows``): a study of 5,000 patients would otherwise give 5,000 rows per outcome and some 8,000 adverse events
in one HTML file or Word document."""

from __future__ import annotations

import pandas as pd

from medpath.analysis import Analysis
from medpath.baseline import baseline_json
from medpath.safety_status import safety_json
from medpath.scale import summary_first
from medpath.secondary import secondary_json

#: Above ``medpath.scale.SUMMARY_ABOVE`` patients a listing of one row per patient or per event shows this many rows:
#: about two A4 pages of the Word tables and 20 kB of the report, enough to read what the rows hold, while the
#: counts and the summary charts beside it say what the study shows. The dashboard's table of the same rows holds
#: every one and downloads as CSV.
LISTED_ROWS = 100


def paper_json(analysis: Analysis) -> dict:
    """The keys ``consort``, ``baseline``, ``adverse_events`` (``safety_json``: ``status`` "read" / "not supplied" /
    "not read", ``reason``, and the numbers, null unless the sheet was read), ``secondary`` and ``responders`` (per
    outcome with a responder rule, its rate at the compared visit with the exact interval, ``Analysis.responder_rates``)."""
    study = analysis.study
    return {
        "consort": analysis.flow.as_json(),
        "baseline": baseline_json(study, analysis.flow),
        "adverse_events": safety_json(study),
        "secondary": secondary_json(analysis.secondary, analysis.settings.lsc),
        "responders": {key: rate.as_json() for key, rate in analysis.responder_rates.items()},
    }


def first_rows(frame: pd.DataFrame, n_patients: int, where: str) -> tuple[pd.DataFrame, str | None]:
    """A listing of a study of ``n_patients`` patients as the artefacts print it: (the rows printed, the sentence
    saying what was left out, or None). Up to ``medpath.scale.SUMMARY_ABOVE`` patients, or with at most
    ``LISTED_ROWS`` rows, ``frame`` whole (a pilot's listings stay as they were); above, its first ``LISTED_ROWS``
    rows in the listing's own order (by patient) and a sentence naming how many more there are and where all of them
    are (``where``: the dashboard's page that shows the same table, e.g. "Safety")."""
    if not summary_first(n_patients) or len(frame) <= LISTED_ROWS:
        return frame, None
    more = len(frame) - LISTED_ROWS
    return frame.head(LISTED_ROWS), (
        f"The first {LISTED_ROWS} of {len(frame):,} rows. The other {more:,} are in the same table on the "
        f"dashboard's {where} page, which downloads every row as CSV."
    )
