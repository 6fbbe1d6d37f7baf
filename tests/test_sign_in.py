"""The sign-in gate in the app (issues 8 and 18): with sign-in on, no page shows data unless the visitor is
signed in with a verified e-mail on the allow-list, and every misconfiguration stops the app with a
message instead of opening the data. The identity is seeded through ``AppTest.user``; the real OpenID
Connect flow is in ``test_oidc_flow.py``."""

from __future__ import annotations

import pytest
from conftest import ROOT
from streamlit.testing.v1 import AppTest

PAGES = ["pages/overview.py", "pages/data.py", "pages/eligibility.py", "pages/trajectories.py", "pages/outcomes.py"]
AUTH = {
    "redirect_uri": "http://localhost:8501/oauth2callback",
    "cookie_secret": "test-only",
    "client_id": "medpath",
    "client_secret": "test-only",
    "server_metadata_url": "https://idp.example.org/.well-known/openid-configuration",
}
ENV = ("MEDPATH_REQUIRE_LOGIN", "MEDPATH_ALLOWED_USERS", "MEDPATH_TRUST_UNVERIFIED_EMAIL")
PI = {"is_logged_in": True, "email": "pi@rscm.co.id", "email_verified": True}


def _app(
    monkeypatch, *, auth: bool, env: dict[str, str] | None = None, medpath: dict | None = None, user: dict | None = None
) -> AppTest:
    for name in ENV:
        monkeypatch.delenv(name, raising=False)
    for name, value in (env or {}).items():
        monkeypatch.setenv(name, value)
    app = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=60)
    if auth:
        app.secrets["auth"] = AUTH
    if medpath is not None:
        app.secrets["medpath"] = medpath
    app.user = user if user is not None else {}
    return app


def _shows_data(app: AppTest) -> bool:
    return bool(app.metric) or bool(app.dataframe) or bool(app.get("plotly_chart")) or bool(app.get("file_uploader"))


def _errors(app: AppTest) -> str:
    return " ".join(e.value for e in app.error)


@pytest.mark.parametrize("page", PAGES)
def test_anonymous_visitor_sees_only_the_sign_in_button_and_no_page_is_registered(monkeypatch, page):
    app = _app(monkeypatch, auth=True)
    app.run()
    assert not app.exception
    assert [b.label for b in app.button] == ["Sign in"]
    assert not _shows_data(app)
    with pytest.raises(ValueError, match="Known pages: \\['Sign in'\\]"):
        app.switch_page(page)  # the gate ran before navigation: the page scripts are not even registered


@pytest.mark.parametrize("page", PAGES)
def test_a_page_opened_directly_as_the_first_run_is_gated_too(monkeypatch, page):
    """Streamlit's first run in a fresh process can start a page script directly (the legacy pages/
    directory mode) without running dashboard.py: the data accessor then runs the gate itself."""
    app = _app(monkeypatch, auth=True)
    app.switch_page(page).run()
    assert not app.exception
    assert [b.label for b in app.button] == ["Sign in"]
    assert not _shows_data(app)


def test_required_but_unconfigured_sign_in_locks_everyone_out(monkeypatch):
    app = _app(monkeypatch, auth=False, env={"MEDPATH_REQUIRE_LOGIN": "1"}, user=PI)
    app.run()
    assert not app.exception
    assert "no [auth] section" in _errors(app)
    assert not _shows_data(app)


def test_without_sign_in_configuration_the_dashboard_opens_on_the_sample(monkeypatch):
    app = _app(monkeypatch, auth=False)
    app.run()
    assert not app.exception
    assert _shows_data(app)


@pytest.mark.parametrize("auth", [False, True])
@pytest.mark.parametrize("value", ["y", "enabled", "2"])
def test_an_unknown_switch_value_stops_the_app_with_a_configuration_error(monkeypatch, auth, value):
    app = _app(monkeypatch, auth=auth, env={"MEDPATH_REQUIRE_LOGIN": value}, medpath={"allowed_users": ["*"]}, user=PI)
    app.run()
    assert not app.exception
    assert "Configuration error" in _errors(app) and "MEDPATH_REQUIRE_LOGIN" in _errors(app)
    assert not _shows_data(app) and not app.button


@pytest.mark.parametrize("medpath", [{"trust_unverified_email": "yes"}, {"allowed_users": 5}])
def test_misconfigured_medpath_secrets_stop_the_app(monkeypatch, medpath):
    app = _app(monkeypatch, auth=True, medpath=medpath, user=PI)
    app.run()
    assert not app.exception
    assert "Configuration error" in _errors(app) and not _shows_data(app)


@pytest.mark.parametrize(
    "env, medpath, user, reason",
    [
        ({}, None, PI, "no allow-list"),  # compose's default
        ({"MEDPATH_ALLOWED_USERS": " "}, None, PI, "no allow-list"),  # blank is not configured
        ({"MEDPATH_ALLOWED_USERS": "@ui.ac.id"}, None, PI, "not on the allow-list"),
        ({}, {"allowed_users": ["*"]}, PI | {"email_verified": False}, "not verified"),
        ({}, {"allowed_users": ["*"]}, {"is_logged_in": True, "email": "pi@rscm.co.id"}, "not verified"),
        ({}, {"allowed_users": ["*"]}, PI | {"email_verified": "false"}, "not verified"),
        (
            {"MEDPATH_TRUST_UNVERIFIED_EMAIL": "1"},
            {"allowed_users": ["*"]},
            PI | {"email_verified": "false"},
            "not verified",
        ),
    ],
)
def test_signed_in_but_not_admitted(monkeypatch, env, medpath, user, reason):
    app = _app(monkeypatch, auth=True, env=env, medpath=medpath, user=user)
    app.run()
    assert not app.exception
    assert reason in _errors(app)
    assert [b.label for b in app.button] == ["Sign out"]
    assert not _shows_data(app)


@pytest.mark.parametrize(
    "env, medpath, user",
    [
        ({"MEDPATH_ALLOWED_USERS": "pi@rscm.co.id"}, None, PI),
        ({}, {"allowed_users": ["@rscm.co.id"]}, PI),
        ({}, {"allowed_users": ["*"]}, PI),
        (
            {"MEDPATH_TRUST_UNVERIFIED_EMAIL": "1"},
            {"allowed_users": ["*"]},
            {"is_logged_in": True, "email": "pi@rscm.co.id"},
        ),
        (
            {},
            {"allowed_users": ["*"], "trust_unverified_email": True},
            {"is_logged_in": True, "email": "pi@rscm.co.id"},
        ),
    ],
)
def test_listed_and_verified_user_sees_data(monkeypatch, env, medpath, user):
    app = _app(monkeypatch, auth=True, env=env, medpath=medpath, user=user)
    app.run()
    assert not app.exception
    assert _shows_data(app)
    assert "pi@rscm.co.id" in " ".join(c.value for c in app.sidebar.caption).replace("\u2060", "")
    app.switch_page("pages/data.py").run()
    assert not app.exception and _shows_data(app)
