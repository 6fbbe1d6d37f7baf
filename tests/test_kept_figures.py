"""A chart is built once per study and what it depends on (issue 28: server time per page view): the bundled
sample's charts once per server, an upload's once per session; another choice (the follow-up month) builds it again,
and the chart shown is the one of the choices in force."""

from __future__ import annotations

import streamlit as st
from conftest import ROOT, study_bytes
from streamlit.testing.v1 import AppTest

import medpath.figures.summary_views
from pages.session import FILES_KEY

APP = str(ROOT / "dashboard.py")


def _counting(monkeypatch) -> list[str]:
    """Every before-after figure built, by outcome."""
    built: list[str] = []
    real = medpath.figures.summary_views.before_after_figure

    def counted(comparison, **options):
        built.append(comparison.meta.key)
        return real(comparison, **options)

    monkeypatch.setattr(medpath.figures.summary_views, "before_after_figure", counted)
    return built


def _titles(at: AppTest) -> list[str]:
    return [c.value for c in at.caption if str(c.value).startswith("Chart:")]


def test_the_samples_charts_are_built_once_per_server_and_again_for_another_choice(monkeypatch):
    st.cache_resource.clear()
    built = _counting(monkeypatch)
    first = AppTest.from_file(APP, default_timeout=60)
    first.run()
    assert sorted(built) == ["bmd_tscore", "vas"]  # the Overview's two before-after plots
    second = AppTest.from_file(APP, default_timeout=60)  # another session
    second.run()
    second.run()  # and a rerun
    assert len(built) == 2 and _titles(second) == _titles(first)
    fresh = AppTest.from_file(APP, default_timeout=60)
    fresh.query_params["followup"] = "3"  # another follow-up month: other charts
    fresh.run()
    assert len(built) == 4 and all("month 3" in t for t in _titles(fresh))


def test_an_uploads_charts_are_built_once_in_its_session(monkeypatch):
    built = _counting(monkeypatch)
    at = AppTest.from_file(APP, default_timeout=60)
    at.session_state[FILES_KEY] = (("study.xlsx", study_bytes("P")),)
    at.run()
    assert len(built) == 2
    at.run()
    assert len(built) == 2  # a rerun sends the kept charts
    other = AppTest.from_file(APP, default_timeout=60)  # the same files in another session: its own charts
    other.session_state[FILES_KEY] = (("study.xlsx", study_bytes("P")),)
    other.run()
    assert len(built) == 4
