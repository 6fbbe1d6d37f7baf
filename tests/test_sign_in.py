"""With sign-in configured, no page shows data to an anonymous visitor (issue 8)."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from conftest import ROOT

PAGES = ["pages/overview.py", "pages/data.py", "pages/eligibility.py", "pages/trajectories.py", "pages/outcomes.py"]
AUTH = {"redirect_uri": "http://localhost:8501/oauth2callback", "cookie_secret": "test-only",
        "client_id": "medpath", "client_secret": "test-only",
        "server_metadata_url": "https://idp.example.org/.well-known/openid-configuration"}


def _app(monkeypatch, *, auth: bool, require: bool) -> AppTest:
    if require:
        monkeypatch.setenv("MEDPATH_REQUIRE_LOGIN", "1")
    else:
        monkeypatch.delenv("MEDPATH_REQUIRE_LOGIN", raising=False)
    app = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=60)
    if auth:
        app.secrets["auth"] = AUTH
    return app


def _shows_data(app: AppTest) -> bool:
    return bool(app.metric) or bool(app.dataframe) or bool(app.get("plotly_chart"))


@pytest.mark.parametrize("page", PAGES)
def test_anonymous_visitor_sees_only_the_sign_in_button(monkeypatch, page):
    app = _app(monkeypatch, auth=True, require=False)
    app.run()
    app.switch_page(page).run()
    assert not app.exception
    assert [b.label for b in app.button] == ["Sign in"]
    assert not _shows_data(app)


def test_required_but_unconfigured_sign_in_locks_everyone_out(monkeypatch):
    app = _app(monkeypatch, auth=False, require=True)
    app.run()
    assert not app.exception
    assert "no [auth] section" in app.error[0].value
    assert not _shows_data(app)


def test_without_sign_in_configuration_the_dashboard_opens_on_the_sample(monkeypatch):
    app = _app(monkeypatch, auth=False, require=False)
    app.run()
    assert not app.exception
    assert _shows_data(app)
