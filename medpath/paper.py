"""What the PI reports to the ethics board, the registry's results module and the paper (issue 13), as ``summary
--json`` keys: the CONSORT 2025 participant flow (``medpath.consort``), Table 1 (``medpath.baseline``), harms
(``medpath.safety_status``: the adverse events' numbers only when their sheet was read) and the secondary outcomes
with the LSC (``medpath.secondary``). The HTML report draws the same from the same analysis
(``medpath.report``); this module imports nothing of it."""

from __future__ import annotations

from medpath.analysis import Analysis
from medpath.baseline import baseline_json
from medpath.safety_status import safety_json
from medpath.secondary import secondary_json


def paper_json(analysis: Analysis) -> dict:
    """The keys ``consort``, ``baseline``, ``adverse_events`` (``safety_json``: ``status`` "read" / "not supplied" /
    "not read", ``reason``, and the numbers, null unless the sheet was read) and ``secondary``."""
    study = analysis.study
    return {
        "consort": analysis.flow.as_json(),
        "baseline": baseline_json(study, analysis.flow),
        "adverse_events": safety_json(study),
        "secondary": secondary_json(analysis.secondary, analysis.settings.lsc),
    }
