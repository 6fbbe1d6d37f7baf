"""Once per server process: import what the pages and the downloads need, then take those long-lived objects out of
the garbage collector's walk (``gc.freeze``, Python's documentation of the ``gc`` module).

Streamlit runs a full garbage collection after every script run (``runner.postScriptGC``, on by default: a session's
cyclic garbage is given back at once). A full collection walks every object the collector tracks. With Streamlit,
pandas, plotly, python-pptx, python-docx and MedPath imported, that is some 150,000 objects that live as long as the
server, and about 0.1 s of server CPU after every page view and every click, whatever the study's size (issue 28: at
1,000 patients, most of the Data page's server time). Frozen, they are skipped: the collection after a run walks the
objects made since (the sessions' studies and results, a few thousand), about 1 ms, and still frees a session's
cyclic garbage.

Only what is alive when the server's first script run starts is frozen: modules, classes and functions, before any
session holds a study, so nothing of an upload is kept from the collector."""

from __future__ import annotations

import functools
import gc


@functools.cache
def warm_start() -> None:
    """Import the modules the downloads load on first use, collect, then freeze what is alive (once per process)."""
    from medpath import report, slides, word_tables  # noqa: F401  (for their objects, which live as long as the server)
    from pages import components, mapping_step  # noqa: F401

    gc.collect()
    gc.freeze()
