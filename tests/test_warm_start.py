"""``pages.warm_start``: the server's long-lived objects are frozen out of the garbage collector's walk once, so that
Streamlit's full collection after every script run walks only what was made since (issue 28). Run in a fresh
interpreter: freezing this test process's objects would change every other test's."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

PROBE = """
import gc, json, sys
from pages.warm_start import warm_start
warm_start()
frozen, tracked = gc.get_freeze_count(), len(gc.get_objects())
made_since = [[i] for i in range(20_000)]  # a session's objects, made after the first run
warm_start()  # every later run: nothing more is frozen
print(json.dumps({
    "frozen": frozen,
    "tracked": tracked,
    "frozen_again": gc.get_freeze_count(),
    "tracked_later": len(gc.get_objects()),
    "downloads_loaded": all(m in sys.modules for m in ("medpath.report", "medpath.slides", "medpath.word_tables")),
}))
"""


def test_the_first_run_freezes_the_imported_objects_and_later_runs_freeze_nothing():
    result = subprocess.run(
        [sys.executable, "-c", PROBE], cwd=ROOT, capture_output=True, text=True, timeout=120, check=True
    )
    seen = json.loads(result.stdout.strip().splitlines()[-1])
    assert seen["downloads_loaded"]  # python-pptx and python-docx are loaded before the freeze, not on first use
    assert seen["frozen"] > 100_000  # Streamlit, pandas, plotly, MedPath: what every collection used to walk
    assert seen["tracked"] < 1_000  # left for the collector right after the freeze
    assert seen["frozen_again"] <= seen["frozen"]  # the second call froze nothing (some frozen objects were freed)
    assert seen["tracked_later"] >= 20_000  # the session's objects stay the collector's
